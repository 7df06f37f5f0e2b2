//! The candle runtime on a safetensors checkpoint written by ae-train: the
//! model runs as `ae_models::Autoencoder`, the code it was trained with.

use std::path::{Path, PathBuf};

use ae_models::{Autoencoder, IMAGE_DIMS, IMAGE_INPUT, LATENT, RECONSTRUCTION};
use candle_core::{Device as CandleDevice, Tensor as CandleTensor};

use crate::{Device, Dim, Error, Result, Runtime, RuntimeKind, Tensor, TensorInfo};

/// A whole autoencoder loaded from a checkpoint; outputs `reconstruction` and `latent`,
/// like the whole-model ONNX export.
pub(crate) struct CheckpointRuntime {
    path: PathBuf,
    device: Device,
    candle_device: CandleDevice,
    model: Autoencoder,
    inputs: [TensorInfo; 1],
    outputs: [TensorInfo; 2],
}

impl CheckpointRuntime {
    /// Loads the checkpoint at `path` onto `candle_device`.
    pub(crate) fn load(path: &Path, device: Device, candle_device: CandleDevice) -> Result<Self> {
        let model = Autoencoder::load_safetensors(path, &candle_device).map_err(|error| {
            Error::InvalidModel { runtime: RuntimeKind::Candle, path: path.to_path_buf(), message: error.to_string() }
        })?;
        let batch = || Dim::Symbolic("N".to_string());
        let with_batch = |dims: &[usize]| {
            std::iter::once(batch()).chain(dims.iter().map(|&size| Dim::Fixed(size))).collect()
        };
        let inputs = [TensorInfo { name: IMAGE_INPUT.to_string(), dims: with_batch(&IMAGE_DIMS) }];
        let outputs = [
            TensorInfo { name: RECONSTRUCTION.to_string(), dims: with_batch(&IMAGE_DIMS) },
            TensorInfo { name: LATENT.to_string(), dims: with_batch(&model.kind().latent_dims()) },
        ];
        Ok(CheckpointRuntime { path: path.to_path_buf(), device, candle_device, model, inputs, outputs })
    }

    fn run_error(&self, message: String) -> Error {
        Error::Run { runtime: RuntimeKind::Candle, path: self.path.clone(), message }
    }
}

impl Runtime for CheckpointRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Candle
    }

    fn version(&self) -> String {
        format!("candle {}", super::CANDLE_VERSION)
    }

    fn device(&self) -> String {
        self.device.to_string()
    }

    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>> {
        let [c, h, w] = IMAGE_DIMS;
        if input.shape.len() != 4 || input.shape[1..] != [c, h, w] || input.data.len() != input.element_count() {
            return Err(Error::InvalidInput {
                runtime: RuntimeKind::Candle,
                path: self.path.clone(),
                message: format!("input has shape {:?}, expected [N, {c}, {h}, {w}]", input.shape),
            });
        }
        let images = CandleTensor::from_slice(&input.data, input.shape.as_slice(), &self.candle_device)
            .map_err(|error| self.run_error(error.to_string()))?;
        let latent = self.model.encode(&images).map_err(|error| self.run_error(error.to_string()))?;
        let reconstruction = self.model.decode(&latent).map_err(|error| self.run_error(error.to_string()))?;
        [reconstruction, latent]
            .iter()
            .map(|value| super::to_runtime_tensor(value).map_err(|error| self.run_error(error.to_string())))
            .collect()
    }
}
