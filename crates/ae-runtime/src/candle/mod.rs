//! The candle runtime: a small interpreter that runs the project's ONNX graphs with candle
//! tensor operations, from the weights stored in the file's initializers.
//!
//! It supports the operators that this project's exports and PyTorch's exports of the same
//! models use: Gemm, MatMul, Add, Conv, ConvTranspose, Relu, Sigmoid, Flatten, Reshape and
//! Identity. It also runs a `.safetensors` checkpoint written by ae-train directly, as the
//! `ae_models::Autoencoder` it was trained as ([`checkpoint`]). Any other operator, or an attribute value outside what candle's kernels take, is
//! an [`Error::Unsupported`] at load time.
//!
//! candle sizes its CPU thread pool once per process from `RAYON_NUM_THREADS`, so
//! [`LoadOptions::threads`] has no effect here.

mod checkpoint;
pub(crate) mod graph;
mod ops;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device as CandleDevice, Tensor as CandleTensor};

use crate::{Device, Error, LoadOptions, Result, Runtime, RuntimeKind, Tensor, TensorInfo};
use graph::Graph;

/// Version of candle-core that this crate is built against: the exact pin in the workspace
/// `Cargo.toml`, checked against `Cargo.lock` by a unit test below.
const CANDLE_VERSION: &str = "0.11.1";

/// A graph decoded for the candle interpreter, with its weights on the device.
pub(crate) struct CandleRuntime {
    path: PathBuf,
    device: Device,
    candle_device: CandleDevice,
    graph: Graph,
    /// Declared inputs: the one graph input, kept as a slice for [`Runtime::inputs`].
    inputs: [TensorInfo; 1],
}

/// Loads an ONNX graph, or a `.safetensors` checkpoint written by ae-train, into candle.
pub(crate) fn load(path: &Path, options: &LoadOptions) -> Result<Box<dyn Runtime>> {
    if path.extension().is_some_and(|extension| extension == "safetensors") {
        let candle_device = candle_device(path, options)?;
        return Ok(Box::new(checkpoint::CheckpointRuntime::load(path, options.device, candle_device)?));
    }
    Ok(Box::new(CandleRuntime::load(path, options)?))
}

fn candle_device(path: &Path, options: &LoadOptions) -> Result<CandleDevice> {
    match options.device {
        Device::Cpu => Ok(CandleDevice::Cpu),
        Device::Cuda(ordinal) => cuda_device(ordinal).map_err(|reason| Error::Device {
            runtime: RuntimeKind::Candle,
            path: path.to_path_buf(),
            device: options.device.to_string(),
            reason,
        }),
    }
}

impl CandleRuntime {
    /// Decodes the graph at `path` and loads its weights onto the requested device.
    pub(crate) fn load(path: &Path, options: &LoadOptions) -> Result<CandleRuntime> {
        let candle_device = candle_device(path, options)?;
        if options.threads.is_some() {
            tracing::warn!(
                path = %path.display(),
                "candle sizes its thread pool from RAYON_NUM_THREADS, so the thread count is ignored"
            );
        }

        let graph = graph::load_graph(path, &candle_device)?;
        let inputs = [graph.input.clone()];
        Ok(CandleRuntime {
            path: path.to_path_buf(),
            device: options.device,
            candle_device,
            graph,
            inputs,
        })
    }

    fn run_error(&self, message: String) -> Error {
        Error::Run {
            runtime: RuntimeKind::Candle,
            path: self.path.clone(),
            message,
        }
    }

    /// Looks up a value computed by an earlier node, or else an initializer.
    fn lookup<'a>(
        &'a self,
        values: &'a HashMap<String, CandleTensor>,
        name: &str,
    ) -> Option<&'a CandleTensor> {
        values.get(name).or_else(|| self.graph.weights.get(name))
    }
}

/// Copies a candle tensor into a plain row-major [`Tensor`].
fn to_runtime_tensor(value: &CandleTensor) -> candle_core::Result<Tensor> {
    let data = value.flatten_all()?.to_vec1::<f32>()?;
    Ok(Tensor { shape: value.dims().to_vec(), data })
}

#[cfg(feature = "cuda")]
fn cuda_device(ordinal: usize) -> std::result::Result<CandleDevice, String> {
    CandleDevice::new_cuda(ordinal).map_err(|error| error.to_string())
}

#[cfg(not(feature = "cuda"))]
fn cuda_device(_ordinal: usize) -> std::result::Result<CandleDevice, String> {
    Err(
        "this build of ae-runtime has no CUDA support for candle, so rebuild it with \
         `--features cuda` (needs the CUDA toolkit)"
            .into(),
    )
}

impl Runtime for CandleRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Candle
    }

    fn version(&self) -> String {
        format!("candle {CANDLE_VERSION}")
    }

    fn device(&self) -> String {
        self.device.to_string()
    }

    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    fn outputs(&self) -> &[TensorInfo] {
        &self.graph.outputs
    }

    fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>> {
        self.graph
            .input
            .check_input(input)
            .map_err(|message| Error::InvalidInput {
                runtime: RuntimeKind::Candle,
                path: self.path.clone(),
                message,
            })?;

        let tensor =
            CandleTensor::from_slice(&input.data, input.shape.as_slice(), &self.candle_device)
                .map_err(|error| self.run_error(error.to_string()))?;
        let mut values = HashMap::new();
        values.insert(self.graph.input.name.clone(), tensor);

        for node in &self.graph.nodes {
            let inputs: Vec<Option<&CandleTensor>> = node
                .inputs
                .iter()
                .map(|name| {
                    if name.is_empty() {
                        None
                    } else {
                        self.lookup(&values, name)
                    }
                })
                .collect();
            let output = ops::evaluate(&node.op, &inputs).map_err(|error| {
                self.run_error(format!("node `{}` ({:?}): {error}", node.name, node.op))
            })?;
            values.insert(node.outputs[0].clone(), output);
        }

        self.graph
            .outputs
            .iter()
            .map(|info| {
                let value = self.lookup(&values, &info.name).ok_or_else(|| {
                    self.run_error(format!("graph output `{}` was not computed", info.name))
                })?;
                to_runtime_tensor(value).map_err(|error| self.run_error(error.to_string()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::CANDLE_VERSION;

    #[test]
    fn candle_version_matches_lockfile() {
        let lockfile = include_str!("../../../../Cargo.lock");
        let entry = format!("name = \"candle-core\"\nversion = \"{CANDLE_VERSION}\"");
        assert!(
            lockfile.contains(&entry),
            "Cargo.lock does not pin candle-core {CANDLE_VERSION}"
        );
    }
}
