//! From an encoder's ONNX graph to firmware that runs it on a Cortex-M4 with
//! no operating system and no heap, and the same kernels as a host runtime.
//!
//! - [`graph::import`] translates the ONNX graph (Gemm, MatMul, Add, Conv,
//!   Relu, Flatten, Reshape) into f32 layers.
//! - [`network::quantize`] calibrates int8 activation ranges on MNIST
//!   training images and quantizes the weights per output channel.
//! - [`codegen::write_sources`] writes the weights and layer table as Rust
//!   `static` data for `firmware-demo`.
//! - [`NativeEncoder`] runs the same layer tables on the host.
//! - [`demo`] builds firmware-demo, runs it in QEMU and measures it, and
//!   [`report`] contains the measured figures.

pub mod calibration;
pub mod codegen;
pub mod demo;
pub mod elf;
pub mod error;
pub mod export;
pub mod graph;
pub mod native;
pub mod network;
mod onnx;
pub mod report;

pub use error::FirmwareError;
pub use native::{Calibration, NativeEncoder, Precision};
