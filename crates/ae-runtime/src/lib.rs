//! One interface over the inference runtimes that run this project's ONNX graphs: tract,
//! ONNX Runtime (through the `ort` crate), candle and, optionally, candle-onnx.
//!
//! [`load`] reads a graph with the runtime that [`RuntimeKind`] names and returns a
//! [`Runtime`], which reports the graph's input and output names and shapes and runs one batch
//! at a time. Every graph in this project has one input and one or two outputs. Names and
//! shapes come from the graph itself: this project's exports read `image` and write `latent`
//! and `reconstruction` with a batch named `N`, and PyTorch's read `input` and write `output`
//! with a batch named `batch`.
//!
//! | runtime | devices | threads |
//! | --- | --- | --- |
//! | `tract` | CPU | one, because tract-linalg's thread pool feature is off |
//! | `ort` | CPU, CUDA with a GPU build of ONNX Runtime | [`LoadOptions::threads`] intra-op |
//! | `candle` | CPU, CUDA with the `cuda` feature | `RAYON_NUM_THREADS`, process-wide |
//! | `candle-onnx` | CPU | `RAYON_NUM_THREADS`, process-wide |
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
//! only, so asking for a different library after the first load is an error. The cache contains
//! the Linux CPU build, so CUDA needs a GPU build passed by 1 or 2.
//!
//! # Subnormal floats
//!
//! [`LoadOptions::flush_denormals`], on by default, runs every graph with subnormal floats read
//! and written as zero (x86_64 FTZ and DAZ; see [`denormal`]), because arithmetic on them is many
//! times slower on x86_64 CPUs. The mode applies to the calling thread during each run and is
//! restored afterwards. ONNX Runtime's intra-op threads get it from a session option, and
//! candle's rayon threads get it at the first flushing run and keep it.
//!
//! # Cargo features
//!
//! - `cuda`: lets the candle runtime run on [`Device::Cuda`]. Building it needs the CUDA
//!   toolkit. ONNX Runtime's CUDA execution provider needs no feature, only a GPU build of the
//!   library.
//! - `candle-onnx`: adds [`RuntimeKind::CandleOnnx`], the `candle-onnx` evaluator. Its build
//!   script needs `protoc` (Debian package `protobuf-compiler`).

mod check;
pub mod denormal;
mod error;
mod options;
mod tensor;

mod candle;
#[cfg(feature = "candle-onnx")]
mod candle_onnx;
mod native;
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

    /// Runs the graph on one input batch and returns every graph output in graph order.
    fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>>;
}

/// Loads the ONNX graph at `path` into the runtime `kind`.
///
/// Before any runtime reads the file, this checks the thread count (1 to 1024) and the
/// attributes of every Conv and ConvTranspose node. Strides, dilations and group must be
/// positive, pads smaller than the kernel, output_padding smaller than the stride, and
/// kernel_shape equal to the weight's kernel. A crafted file gives [`Error::InvalidModel`]
/// instead of a crash.
pub fn load(kind: RuntimeKind, path: &Path, options: &LoadOptions) -> Result<Box<dyn Runtime>> {
    tracing::debug!(runtime = %kind, path = %path.display(), ?options, "loading graph");
    check::check_options(kind, path, options)?;
    let checkpoint = kind == RuntimeKind::Candle
        && path
            .extension()
            .is_some_and(|extension| extension == "safetensors");
    let compiled = kind != RuntimeKind::CandleOnnx || cfg!(feature = "candle-onnx");
    if compiled && !checkpoint {
        check::check_model(kind, path)?;
    }
    let runtime = load_unwrapped(kind, path, options)?;
    if options.flush_denormals {
        Ok(Box::new(denormal::FlushingRuntime::new(runtime)))
    } else {
        Ok(runtime)
    }
}

fn load_unwrapped(
    kind: RuntimeKind,
    path: &Path,
    options: &LoadOptions,
) -> Result<Box<dyn Runtime>> {
    match kind {
        RuntimeKind::Tract => Ok(Box::new(tract::TractRuntime::load(path, options)?)),
        RuntimeKind::Ort => Ok(Box::new(ort::OrtRuntime::load(path, options)?)),
        RuntimeKind::Candle => candle::load(path, options),
        RuntimeKind::Native => Ok(Box::new(native::NativeRuntime::load(path, options)?)),
        #[cfg(feature = "candle-onnx")]
        RuntimeKind::CandleOnnx => Ok(Box::new(candle_onnx::CandleOnnxRuntime::load(
            path, options,
        )?)),
        #[cfg(not(feature = "candle-onnx"))]
        RuntimeKind::CandleOnnx => Err(candle_onnx_missing()),
    }
}

/// Checks which runtimes can load graphs on the CPU in this build and process: candle-onnx
/// needs the `candle-onnx` feature, and ort needs ONNX Runtime's library, which this call loads
/// as [`load`] would (see "Finding ONNX Runtime" above).
pub fn available_runtimes(options: &LoadOptions) -> Vec<(RuntimeKind, Result<()>)> {
    RuntimeKind::ALL
        .into_iter()
        .map(|kind| {
            let status = match kind {
                RuntimeKind::Tract | RuntimeKind::Candle | RuntimeKind::Native => Ok(()),
                RuntimeKind::Ort => ort_library::load(options.ort_library.as_deref()).map(|_| ()),
                RuntimeKind::CandleOnnx => candle_onnx_status(),
            };
            (kind, status)
        })
        .collect()
}

#[cfg(feature = "candle-onnx")]
fn candle_onnx_status() -> Result<()> {
    Ok(())
}

#[cfg(not(feature = "candle-onnx"))]
fn candle_onnx_status() -> Result<()> {
    Err(candle_onnx_missing())
}

#[cfg(not(feature = "candle-onnx"))]
fn candle_onnx_missing() -> Error {
    Error::NotCompiled {
        runtime: RuntimeKind::CandleOnnx,
        hint: "rebuild with `--features ae-runtime/candle-onnx`, which needs `protoc` \
               (apt-get install protobuf-compiler)"
            .into(),
    }
}
