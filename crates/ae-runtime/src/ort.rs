//! The ONNX Runtime runtime, through the `ort` crate, on the CPU or the CUDA execution provider.
//!
//! ONNX Runtime silently falls back to the CPU when an execution provider fails to register.
//! [`Device::Cuda`] registers the CUDA provider with `error_on_failure`, so a missing provider
//! library, a missing CUDA library or a missing GPU is a load error and never a CPU run.
//!
//! CUDA needs a GPU build of ONNX Runtime passed with `--ort-lib` or `ORT_DYLIB_PATH`, for
//! example `libonnxruntime.so` from the `onnxruntime-gpu` wheel, next to the
//! `libonnxruntime_providers_shared.so` and `libonnxruntime_providers_cuda.so` of the same
//! wheel. The provider then loads the CUDA and cuDNN libraries that ort 2.0.0-rc.15 lists in
//! `ort::ep::cuda::CUDA_DYLIBS` and `CUDNN_DYLIBS`, such as `libcudart.so.13` and
//! `libcudnn.so.9`.
//!
//! [`Runtime::device`] names the provider that the session was built for. ONNX Runtime may
//! still place single nodes that the CUDA provider lacks on the CPU.

use std::path::{Path, PathBuf};

use ::ort::ep::{self, ExecutionProvider};
use ::ort::session::builder::SessionBuilder;
use ::ort::session::Session;
use ::ort::value::{TensorElementType, TensorRef, ValueType};
use ::ort::ErrorCode;

use crate::denormal::DenormalGuard;
use crate::ort_library;
use crate::{Device, Dim, Error, LoadOptions, Result, Runtime, RuntimeKind, Tensor, TensorInfo};

/// A graph loaded into an ONNX Runtime session.
pub(crate) struct OrtRuntime {
    path: PathBuf,
    session: Session,
    version: String,
    /// Name of the execution provider that the session was built for.
    device: String,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
}

impl OrtRuntime {
    /// Loads ONNX Runtime if needed and builds a session for the graph at `path`.
    pub(crate) fn load(path: &Path, options: &LoadOptions) -> Result<OrtRuntime> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            runtime: RuntimeKind::Ort,
            path: path.to_path_buf(),
            error: source,
        })?;
        let library = ort_library::load(options.ort_library.as_deref())?;
        let run_error = |error: ::ort::Error<SessionBuilder>| Error::Run {
            runtime: RuntimeKind::Ort,
            path: path.to_path_buf(),
            message: error.to_string(),
        };

        let mut builder = Session::builder(&library.environment).map_err(|error| Error::Run {
            runtime: RuntimeKind::Ort,
            path: path.to_path_buf(),
            message: error.to_string(),
        })?;
        if let Some(threads) = options.threads {
            builder = builder.with_intra_threads(threads).map_err(run_error)?;
        }
        if options.flush_denormals {
            // Sets FTZ and DAZ on the session's intra-op threads. The calling thread gets them
            // from the guard that `crate::load` wraps around every run.
            builder = builder
                .with_config_entry("session.set_denormal_as_zero", "1")
                .map_err(run_error)?;
        }
        if let Some(batch) = options.batch {
            tracing::debug!(
                batch,
                "ONNX Runtime takes any batch size, so the batch option is unused"
            );
        }

        let device = match options.device {
            Device::Cpu => ep::CPU::NAME.to_string(),
            Device::Cuda(ordinal) => {
                let device_error = |reason: String| Error::Device {
                    runtime: RuntimeKind::Ort,
                    path: path.to_path_buf(),
                    device: options.device.to_string(),
                    reason,
                };
                let device_id = i32::try_from(ordinal)
                    .map_err(|_| device_error(format!("GPU ordinal {ordinal} is too large")))?;
                let cuda = ep::CUDA::default()
                    .with_device_id(device_id)
                    .build()
                    .error_on_failure();
                builder = builder.with_execution_providers([cuda]).map_err(|error| {
                    device_error(format!(
                        "the CUDA execution provider failed to register ({}). It needs a GPU \
                         build of ONNX Runtime (onnxruntime-gpu), its CUDA and cuDNN libraries, \
                         and a GPU",
                        error.to_string().trim_end_matches('.')
                    ))
                })?;
                format!("{} (device {ordinal})", ep::CUDA::NAME)
            }
        };

        // ONNX Runtime 1.32 applies `session.set_denormal_as_zero` of the first session in the
        // process to the thread that creates it, for good. Restoring the mode after the commit
        // keeps that from leaking into the caller's later work.
        let preserved = DenormalGuard::preserve();
        let committed = builder.commit_from_memory(&bytes);
        drop(preserved);
        let session = committed.map_err(|error| commit_error(error, path, options.device))?;
        let inputs = read_outlets(session.inputs(), "input", path)?;
        let outputs = read_outlets(session.outputs(), "output", path)?;
        if inputs.len() != 1 {
            return Err(Error::InvalidModel {
                runtime: RuntimeKind::Ort,
                path: path.to_path_buf(),
                message: format!("the graph has {} inputs, expected exactly 1", inputs.len()),
            });
        }

        Ok(OrtRuntime {
            path: path.to_path_buf(),
            session,
            version: format!("onnxruntime {}", library.version),
            device,
            inputs,
            outputs,
        })
    }

    fn run_error(&self, error: ::ort::Error) -> Error {
        Error::Run {
            runtime: RuntimeKind::Ort,
            path: self.path.clone(),
            message: error.to_string(),
        }
    }
}

impl Runtime for OrtRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Ort
    }

    fn version(&self) -> String {
        self.version.clone()
    }

    fn device(&self) -> String {
        self.device.clone()
    }

    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>> {
        self.inputs[0]
            .check_input(input)
            .map_err(|message| Error::InvalidInput {
                runtime: RuntimeKind::Ort,
                path: self.path.clone(),
                message,
            })?;

        let value = TensorRef::from_array_view((input.shape.as_slice(), input.data.as_slice()))
            .map_err(|error| self.run_error(error))?;
        let results = match self.session.run(::ort::inputs![value]) {
            Ok(results) => results,
            Err(error) => {
                return Err(Error::Run {
                    runtime: RuntimeKind::Ort,
                    path: self.path.clone(),
                    message: error.to_string(),
                })
            }
        };

        let mut tensors = Vec::with_capacity(self.outputs.len());
        for output in &self.outputs {
            let extracted = results
                .get(&output.name)
                .map(|value| value.try_extract_tensor::<f32>())
                .ok_or_else(|| format!("output `{}` is missing from the results", output.name))
                .and_then(|extracted| extracted.map_err(|error| error.to_string()));
            let (shape, data) = extracted.map_err(|message| Error::Run {
                runtime: RuntimeKind::Ort,
                path: self.path.clone(),
                message,
            })?;
            let shape = shape.iter().map(|&size| size as usize).collect();
            tensors.push(Tensor {
                shape,
                data: data.to_vec(),
            });
        }
        Ok(tensors)
    }
}

/// Classifies a failure to create the session. On CUDA, the provider initializes the GPU only
/// when the session is created, so errors that are not about the model are device errors.
// NOTE: which error codes ONNX Runtime uses for a missing GPU was not checked on a GPU machine.
fn commit_error(error: ::ort::Error, path: &Path, device: Device) -> Error {
    let model_problem = matches!(
        error.code(),
        ErrorCode::InvalidProtobuf
            | ErrorCode::InvalidGraph
            | ErrorCode::NoModel
            | ErrorCode::InvalidArgument
            | ErrorCode::NotImplemented
    );
    let message = error.to_string();
    match device {
        Device::Cuda(_) if !model_problem => Error::Device {
            runtime: RuntimeKind::Ort,
            path: path.to_path_buf(),
            device: device.to_string(),
            reason: format!(
                "creating the session on the CUDA execution provider failed ({message})"
            ),
        },
        _ => Error::InvalidModel {
            runtime: RuntimeKind::Ort,
            path: path.to_path_buf(),
            message,
        },
    }
}

/// Converts the session's view of the graph inputs or outputs, which must be float32 tensors.
fn read_outlets(
    outlets: &[::ort::value::Outlet],
    role: &str,
    path: &Path,
) -> Result<Vec<TensorInfo>> {
    outlets
        .iter()
        .map(|outlet| {
            let ValueType::Tensor {
                ty,
                shape,
                dimension_symbols,
            } = outlet.dtype()
            else {
                return Err(format!("{role} `{}` is not a tensor", outlet.name()));
            };
            if *ty != TensorElementType::Float32 {
                return Err(format!(
                    "{role} `{}` has element type {ty}, expected float32",
                    outlet.name()
                ));
            }
            let dims = shape
                .iter()
                .zip(dimension_symbols.iter())
                .map(|(&size, symbol)| match (size, symbol.as_str()) {
                    (size, _) if size >= 0 => Dim::Fixed(size as usize),
                    (_, "") => Dim::Symbolic("?".into()),
                    (_, symbol) => Dim::Symbolic(symbol.to_string()),
                })
                .collect();
            Ok(TensorInfo {
                name: outlet.name().to_string(),
                dims,
            })
        })
        .collect::<std::result::Result<_, String>>()
        .map_err(|message| Error::InvalidModel {
            runtime: RuntimeKind::Ort,
            path: path.to_path_buf(),
            message,
        })
}
