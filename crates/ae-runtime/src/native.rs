//! The "native" runtime: the firmware's `no_std` f32 kernels (`ae-kernels`), built for the
//! host through `ae_firmware::NativeEncoder`.
//!
//! It runs encoder graphs only (Gemm, MatMul, Add, Conv, Relu, Flatten, Reshape), the part of
//! an autoencoder that goes to the microcontroller, with the same code the firmware runs. A
//! graph with any other operator fails to load with that operator named. The int8 kernels are
//! reached through `ae_firmware` and ae-bench, since their results differ from f32 by design.

use std::path::{Path, PathBuf};

use ae_firmware::{FirmwareError, NativeEncoder, Precision};

use crate::{Device, Dim, Error, LoadOptions, Result, Runtime, RuntimeKind, Tensor, TensorInfo};

/// An encoder graph prepared for the host build of the firmware kernels.
pub(crate) struct NativeRuntime {
    path: PathBuf,
    encoder: NativeEncoder,
    inputs: [TensorInfo; 1],
    outputs: [TensorInfo; 1],
}

impl NativeRuntime {
    /// Reads the encoder graph at `path` into f32 kernel tables.
    pub(crate) fn load(path: &Path, options: &LoadOptions) -> Result<NativeRuntime> {
        if options.device != Device::Cpu {
            return Err(Error::Device {
                runtime: RuntimeKind::Native,
                path: path.to_path_buf(),
                device: options.device.to_string(),
                reason: "the native kernels run on the CPU only".to_string(),
            });
        }
        let encoder = NativeEncoder::load(path, Precision::F32).map_err(|error| match error {
            FirmwareError::UnsupportedOp { node, op, .. } => Error::Unsupported {
                runtime: RuntimeKind::Native,
                path: path.to_path_buf(),
                node,
                op,
            },
            FirmwareError::Io { error, .. } => Error::Io {
                runtime: RuntimeKind::Native,
                path: path.to_path_buf(),
                error,
            },
            other => Error::InvalidModel {
                runtime: RuntimeKind::Native,
                path: path.to_path_buf(),
                message: without_path(path, other.to_string()),
            },
        })?;
        let (input_name, output_name) = graph_names(path)?;
        let with_batch = |shape: &[usize]| {
            std::iter::once(Dim::Symbolic("N".to_string()))
                .chain(shape.iter().map(|&size| Dim::Fixed(size)))
                .collect()
        };
        let inputs = [TensorInfo {
            name: input_name,
            dims: with_batch(encoder.input_shape()),
        }];
        let outputs = [TensorInfo {
            name: output_name,
            dims: with_batch(encoder.output_shape()),
        }];
        Ok(NativeRuntime {
            path: path.to_path_buf(),
            encoder,
            inputs,
            outputs,
        })
    }
}

/// Reads the names of the graph's one input and first output.
fn graph_names(path: &Path) -> Result<(String, String)> {
    let invalid = |message: String| Error::InvalidModel {
        runtime: RuntimeKind::Native,
        path: path.to_path_buf(),
        message,
    };
    let model = ae_onnx::read_model(path)
        .map_err(|error| invalid(without_path(path, error.to_string())))?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| invalid("the model has no graph".to_string()))?;
    let initializers: Vec<&str> = graph
        .initializer
        .iter()
        .map(|tensor| tensor.name())
        .collect();
    let input = graph
        .input
        .iter()
        .map(|value| value.name().to_string())
        .find(|name| !initializers.contains(&name.as_str()))
        .ok_or_else(|| invalid("the graph has no input".to_string()))?;
    let output = graph
        .output
        .first()
        .map(|value| value.name().to_string())
        .ok_or_else(|| invalid("the graph has no output".to_string()))?;
    Ok((input, output))
}

/// Drops the leading `PATH: ` of a message, since [`Error::InvalidModel`] names the file itself.
fn without_path(path: &Path, message: String) -> String {
    let prefix = format!("{}: ", path.display());
    match message.strip_prefix(&prefix) {
        Some(rest) => rest.to_string(),
        None => message,
    }
}

impl Runtime for NativeRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Native
    }

    fn version(&self) -> String {
        format!("ae-kernels {} (f32)", env!("CARGO_PKG_VERSION"))
    }

    fn device(&self) -> String {
        "cpu".to_string()
    }

    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>> {
        let per_image = self.encoder.input_len();
        let batch = input.shape.first().copied().unwrap_or(0);
        if input.shape.len() < 2
            || input.shape[1..].iter().product::<usize>() != per_image
            || input.data.len() != input.element_count()
        {
            return Err(Error::InvalidInput {
                runtime: RuntimeKind::Native,
                path: self.path.clone(),
                message: format!(
                    "input has shape {:?}, expected {} values per image",
                    input.shape, per_image
                ),
            });
        }
        let data = self
            .encoder
            .encode(&input.data)
            .map_err(|error| Error::Run {
                runtime: RuntimeKind::Native,
                path: self.path.clone(),
                message: error.to_string(),
            })?;
        let mut shape = vec![batch];
        shape.extend(self.encoder.output_shape());
        Ok(vec![Tensor { shape, data }])
    }
}
