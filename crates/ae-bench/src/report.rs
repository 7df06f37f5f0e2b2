//! Every figure a benchmark run measures, as written by `--json`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backend::{Backend, DenormalMode};
use crate::models::GraphKind;
use crate::quality::Quality;
use crate::stats::LatencySummary;
use crate::subnormal::{ActivationCount, WeightCount};
use crate::system::SystemInfo;
use crate::{Error, Result};

/// A whole benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Tool name and version, `ae-bench X.Y.Z`.
    pub tool: String,
    /// Command line that produced the report.
    pub command: Vec<String>,
    /// Machine the run measured.
    pub system: SystemInfo,
    /// Call counts and the other settings of the run.
    pub settings: Settings,
    /// Each requested backend, and why it was skipped where it was.
    pub backends: Vec<BackendStatus>,
    /// Backend and mode whose outputs the others are compared with, if any ran.
    pub reference: Option<ReferenceTarget>,
    /// One entry per model, graph, backend, thread count and subnormal mode.
    pub targets: Vec<TargetResult>,
    /// Subnormal weights per graph file.
    pub weights: Vec<WeightCount>,
    /// Subnormal intermediate values per whole graph.
    pub activations: Vec<ActivationCount>,
    /// Rows of the reconstruction grid, top to bottom, when one was written.
    pub grid_rows: Vec<String>,
}

/// Settings that the figures depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Untimed calls per target before the timed ones.
    pub warmup_calls: usize,
    /// Timed calls per target at batch 1.
    pub timed_calls: usize,
    /// Timed batch-1 calls per visit of a target, after one cold call.
    pub block_calls: usize,
    /// Batch size of the throughput calls.
    pub throughput_batch: usize,
    /// Timed calls per target at the throughput batch size.
    pub throughput_calls: usize,
    /// Test images that the error figures cover.
    pub quality_images: usize,
    /// Test images run to count subnormal intermediate values.
    pub activation_images: usize,
    /// CPU thread counts measured.
    pub thread_counts: Vec<usize>,
    /// Subnormal modes measured.
    pub denormal_modes: Vec<DenormalMode>,
    /// Child processes per target that measure load time and memory (0: not measured).
    pub load_repeats: usize,
    /// Training images that calibrate the native int8 encoder.
    pub calibration_images: usize,
    /// Memory allocator of the benchmark process.
    pub allocator: String,
    /// Whether the benchmark was built with debug assertions, as this workspace's release
    /// profile sets them. They slow tract, candle and the native kernels down, but not ONNX
    /// Runtime, which is a prebuilt library.
    pub debug_assertions: bool,
}

/// Whether a requested backend could run here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendStatus {
    /// Backend.
    pub backend: Backend,
    /// Whether it ran.
    pub available: bool,
    /// Reason it did not run.
    pub reason: Option<String>,
}

/// The target whose outputs the error figures compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceTarget {
    /// Backend.
    pub backend: Backend,
    /// Subnormal mode.
    pub denormals: DenormalMode,
}

/// Throughput at a fixed batch size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Images per call.
    pub batch: usize,
    /// Images per second over all timed calls.
    pub images_per_second: f64,
    /// Duration of each timed call in ns.
    pub samples_ns: Vec<u64>,
}

/// Cost of loading a graph, from file to first result, measured in fresh child processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    /// Median over the child processes of the time from the start of loading to the first
    /// batch-1 result, in ms.
    pub load_ms: f64,
    /// Each child process's time in ms.
    pub samples_ms: Vec<f64>,
    /// Median increase of peak resident memory (`VmHWM`) during the load and first run, in KiB.
    pub peak_rss_delta_kib: Option<u64>,
}

/// One measured combination of model, graph, backend, thread count and subnormal mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetResult {
    /// Model name.
    pub model: String,
    /// Graph of the model.
    pub graph: GraphKind,
    /// Graph file.
    pub path: PathBuf,
    /// Shape of one input image without the batch dimension, empty when loading failed.
    pub image_shape: Vec<usize>,
    /// Backend.
    pub backend: Backend,
    /// CPU threads one run may use.
    pub threads: usize,
    /// Subnormal handling.
    pub denormals: DenormalMode,
    /// Runtime name and version, empty when loading failed.
    pub version: String,
    /// Device or execution provider, empty when loading failed.
    pub device: String,
    /// Batch-1 latency of calls that follow a call of the same target.
    pub latency: Option<LatencySummary>,
    /// Duration of each of those calls in ns, in call order.
    pub latency_samples_ns: Vec<u64>,
    /// Batch-1 latency of the first call of each visit, which follows other targets' calls.
    pub cold_latency: Option<LatencySummary>,
    /// Duration of each of those calls in ns, in call order.
    pub cold_samples_ns: Vec<u64>,
    /// Throughput at the throughput batch size.
    pub throughput: Option<Throughput>,
    /// Error figures, measured at one thread only.
    pub quality: Option<Quality>,
    /// Load time and memory, measured at one thread in the first subnormal mode only.
    pub load: Option<LoadSummary>,
    /// Reason this target has no figures, if it failed.
    pub error: Option<String>,
}

impl Report {
    /// Writes the report as pretty-printed JSON, atomically.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|error| Error::Write {
            path: path.to_path_buf(),
            message: error.to_string(),
        })?;
        ae_data::write_atomic(path, &json)?;
        Ok(())
    }
}
