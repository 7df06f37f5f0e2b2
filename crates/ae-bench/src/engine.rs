//! One graph loaded into one backend, behind a single `run`: an ae-runtime [`Runtime`], or
//! the firmware's int8 encoder kernels, which ae-runtime does not wrap because their results
//! differ from f32 by design.

use std::path::{Path, PathBuf};

use ae_firmware::{Calibration, NativeEncoder, Precision};
use ae_runtime::denormal::DenormalGuard;
use ae_runtime::{Dim, LoadOptions, Runtime, Tensor};

use crate::backend::{Backend, DenormalMode};
use crate::{Error, Result};

/// Settings that loading needs beyond the backend and graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSettings {
    /// ONNX Runtime shared library, ahead of `ORT_DYLIB_PATH` and the project cache.
    pub ort_library: Option<PathBuf>,
    /// MNIST folder whose training images calibrate the int8 encoder.
    pub mnist_dir: PathBuf,
    /// Number of training images that calibrate the int8 encoder.
    pub calibration_images: usize,
}

/// Backend, subnormal mode and CPU thread count of one engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EngineConfig {
    /// Runtime and device.
    pub backend: Backend,
    /// Subnormal handling during runs.
    pub mode: DenormalMode,
    /// CPU threads that one run may use. Only ONNX Runtime takes it at load time; candle uses
    /// the rayon pool that the run executes in.
    pub threads: usize,
}

/// A graph loaded into a backend, ready to run batches.
pub struct Engine {
    config: EngineConfig,
    inner: Inner,
    version: String,
    device: String,
}

enum Inner {
    Runtime(Box<dyn Runtime>),
    /// The int8 encoder, calibrated at load time.
    Native {
        path: PathBuf,
        encoder: NativeEncoder,
    },
}

impl Engine {
    /// Loads the graph at `path`. `batch` prepares that batch size where the runtime can fix it
    /// at load time (tract builds its optimized plan for it).
    pub fn load(
        config: EngineConfig,
        path: &Path,
        batch: Option<usize>,
        settings: &LoadSettings,
    ) -> Result<Engine> {
        let flush_denormals = config.mode == DenormalMode::Flush;
        let inner = match config.backend.runtime() {
            Some((kind, device)) => {
                let uses_ort_threads = config.backend == crate::Backend::Ort;
                let options = LoadOptions {
                    batch,
                    threads: uses_ort_threads.then_some(config.threads),
                    device,
                    ort_library: settings.ort_library.clone(),
                    flush_denormals,
                };
                Inner::Runtime(ae_runtime::load(kind, path, &options)?)
            }
            None => {
                let precision = Precision::Int8 {
                    calibration: Calibration {
                        mnist_dir: settings.mnist_dir.clone(),
                        images: settings.calibration_images,
                    },
                };
                let encoder =
                    NativeEncoder::load(path, precision).map_err(|source| Error::Native {
                        path: path.to_path_buf(),
                        source: Box::new(source),
                    })?;
                Inner::Native {
                    path: path.to_path_buf(),
                    encoder,
                }
            }
        };

        let (version, device) = match &inner {
            Inner::Runtime(runtime) => (runtime.version(), runtime.device()),
            Inner::Native { .. } => (
                format!("ae-kernels {} (int8)", env!("CARGO_PKG_VERSION")),
                "cpu".to_string(),
            ),
        };
        Ok(Engine {
            config,
            inner,
            version,
            device,
        })
    }

    /// Backend, subnormal mode and thread count.
    pub fn config(&self) -> EngineConfig {
        self.config
    }

    /// Runtime name and version, for example `tract 0.23.9`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Device or execution provider, for example `CPUExecutionProvider`.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Shape of one input image, without the batch dimension, for example `[1, 28, 28]`.
    pub fn image_shape(&self, path: &Path) -> Result<Vec<usize>> {
        match &self.inner {
            Inner::Native { encoder, .. } => Ok(encoder.input_shape().to_vec()),
            Inner::Runtime(runtime) => {
                let input = &runtime.inputs()[0];
                input.dims[1..]
                    .iter()
                    .map(|dim| match dim {
                        Dim::Fixed(size) => Ok(*size),
                        Dim::Symbolic(_) => Err(Error::InvalidGraph {
                            path: path.to_path_buf(),
                            message: format!(
                                "input {input} has a symbolic image dimension, expected fixed \
                                 sizes after the batch"
                            ),
                        }),
                    })
                    .collect()
            }
        }
    }

    /// Runs one batch and returns every output of the graph in graph order.
    ///
    /// In [`DenormalMode::Keep`] the calling thread's FTZ and DAZ are cleared during the run,
    /// whatever an earlier library call left set.
    pub fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>> {
        let _guard = match self.config.mode {
            DenormalMode::Keep => Some(DenormalGuard::keep()),
            // ae-runtime flushes inside its runs, and the int8 kernels need it here.
            DenormalMode::Flush => match self.inner {
                Inner::Native { .. } => Some(DenormalGuard::flush()),
                Inner::Runtime(_) => None,
            },
        };
        match &mut self.inner {
            Inner::Runtime(runtime) => Ok(runtime.run(input)?),
            Inner::Native { path, encoder } => run_native(encoder, path, input),
        }
    }
}

/// Encodes a batch with the native kernels, which take images back to back.
fn run_native(encoder: &NativeEncoder, path: &Path, input: &Tensor) -> Result<Vec<Tensor>> {
    let batch = input.shape.first().copied().unwrap_or(0);
    let image_len = encoder.input_len();
    if input.data.len() != batch * image_len {
        return Err(Error::InvalidGraph {
            path: path.to_path_buf(),
            message: format!(
                "the native encoder takes {image_len} values per image, but the input has shape \
                 {:?}",
                input.shape
            ),
        });
    }

    let latent = encoder
        .encode(&input.data)
        .map_err(|source| Error::Native {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
    let mut shape = vec![batch];
    shape.extend_from_slice(encoder.output_shape());
    Ok(vec![Tensor::new(shape, latent)?])
}
