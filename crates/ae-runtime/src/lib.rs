//! One interface over the inference runtimes that run this project's ONNX graphs: tract,
//! ONNX Runtime (through the `ort` crate) and candle.
//!
//! [`load`] reads a graph with the runtime that [`RuntimeKind`] names and returns a
//! [`Runtime`], which reports the graph's input and output names and shapes and runs one batch
//! at a time. Every graph in this project has one input and one or two outputs.
//!
//! # Finding ONNX Runtime
//!
//! The `ort` runtime loads ONNX Runtime's shared library when the first `ort` graph is loaded,
//! from the first of these that is set:
//!
//! 1. [`LoadOptions::ort_library`], which the CLI fills from `--ort-lib PATH`;
//! 2. the `ORT_DYLIB_PATH` environment variable;
//! 3. the project cache that `scripts/setup-onnxruntime.sh` fills:
//!    `.cache/onnxruntime/libonnxruntime.so.1.32.0` under the workspace root that this crate was
//!    built in, then the same relative path under the current directory.
//!
//! A path given by 1 or 2 must exist, and no later source is tried. A process loads one library
//! only, so asking for a different library after the first load is an error.
//!
//! # Cargo features
//!
//! - `cuda`: lets the candle runtime run on [`Device::Cuda`]. ONNX Runtime's CUDA execution
//!   provider needs no feature, only a GPU build of the library.
//! - `candle-onnx`: adds [`RuntimeKind::CandleOnnx`], the `candle-onnx` evaluator. Its build
//!   script needs `protoc` (Debian package `protobuf-compiler`).

mod error;
mod options;
mod tensor;

mod ort;
mod ort_library;
mod tract;

pub use error::{Error, Result};
pub use options::{Device, LoadOptions, RuntimeKind};
pub use tensor::{Dim, Tensor, TensorInfo};

use std::path::Path;

/// A graph loaded into one runtime, ready to run batches.
pub trait Runtime {
    /// Runtime that loaded the graph.
    fn kind(&self) -> RuntimeKind;

    /// Runtime name and version, for example `tract 0.23.9` or `onnxruntime 1.32.0`.
    fn version(&self) -> String;

    /// Device or execution provider that runs the graph, for example `cpu`,
    /// `CPUExecutionProvider` or `CUDAExecutionProvider (device 0)`.
    fn device(&self) -> String;

    /// Graph inputs, in graph order.
    fn inputs(&self) -> &[TensorInfo];

    /// Graph outputs, in graph order.
    fn outputs(&self) -> &[TensorInfo];

    /// Runs the graph on one input batch; returns every graph output in graph order.
    fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>>;
}

/// Loads the ONNX graph at `path` into the runtime `kind`.
pub fn load(kind: RuntimeKind, path: &Path, options: &LoadOptions) -> Result<Box<dyn Runtime>> {
    tracing::debug!(runtime = %kind, path = %path.display(), ?options, "loading graph");
    match kind {
        RuntimeKind::Tract => Ok(Box::new(tract::TractRuntime::load(path, options)?)),
        RuntimeKind::Ort => Ok(Box::new(ort::OrtRuntime::load(path, options)?)),
        RuntimeKind::Candle => Err(Error::NotCompiled {
            runtime: kind,
            hint: "the candle runtime is not written yet".into(),
        }),
        RuntimeKind::CandleOnnx => Err(Error::NotCompiled {
            runtime: kind,
            hint: "rebuild with `--features candle-onnx`, which needs `protoc` \
                   (apt-get install protobuf-compiler)"
                .into(),
        }),
    }
}
