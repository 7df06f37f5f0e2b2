//! Latency, throughput, load cost and reconstruction error of every inference runtime of this
//! project on the same models and the same MNIST test images.
//!
//! The `ae-bench` binary drives [`bench::run_bench`] and writes its [`report::Report`] as a
//! Markdown table ([`table`]), JSON ([`report::Report::write_json`]), a latency plot ([`plot`])
//! and a grid of reconstructions ([`grid`]).
//!
//! - [`backend`]: the runtimes compared ([`Backend`]) and the subnormal modes
//!   ([`DenormalMode`]).
//! - [`engine`]: one graph loaded into one backend, behind a single `run`.
//! - [`measure`]: interleaved timing and the error pass over the test images.
//! - [`stats`] and [`quality`]: percentiles, MSE, PSNR and max abs difference.
//! - [`load`]: load time and peak memory, measured in child processes.
//! - [`subnormal`]: subnormal counts in weights and intermediate values.
//! - [`system`]: CPU model and process memory.

pub mod backend;
pub mod bench;
pub mod engine;
pub mod error;
pub mod grid;
pub mod load;
pub mod measure;
pub mod models;
mod plan;
pub mod plot;
pub mod quality;
pub mod report;
pub mod stats;
pub mod subnormal;
pub mod system;
pub mod table;

pub use backend::{Backend, DenormalMode};
pub use error::{Error, Result};
pub use models::{GraphKind, ModelFiles};
