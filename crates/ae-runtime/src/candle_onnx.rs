//! The candle-onnx runtime: the reference evaluator of the `candle-onnx` crate (0.11.1), compiled
//! only with this crate's `candle-onnx` feature.
//!
//! The evaluator has no ConvTranspose, so this project's conv graphs are rejected at load time
//! with "not supported by this runtime: ConvTranspose". It walks the protobuf graph on every
//! run and decodes the initializers again each time, and it runs on the CPU only.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use candle_core::{Device as CandleDevice, Tensor as CandleTensor};

use crate::candle::graph::Context;
use crate::{Device, Error, LoadOptions, Result, Runtime, RuntimeKind, Tensor, TensorInfo};

/// Version of candle-onnx that the `candle-onnx` feature pins in this crate's `Cargo.toml`.
const CANDLE_ONNX_VERSION: &str = "0.11.1";

/// Operators of the default ONNX domain that `candle_onnx::simple_eval` 0.11.1 implements, read
/// from the `match` on `op_type` in its `eval.rs`.
const SUPPORTED_OPS: &[&str] = &[
    "Abs",
    "Add",
    "And",
    "ArgMax",
    "ArgMin",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Ceil",
    "Clip",
    "Concat",
    "Constant",
    "ConstantOfShape",
    "Conv",
    "Cos",
    "CumSum",
    "Div",
    "Dropout",
    "Equal",
    "Erf",
    "Exp",
    "Expand",
    "Flatten",
    "Floor",
    "Gather",
    "GatherElements",
    "Gelu",
    "Gemm",
    "Greater",
    "GreaterOrEqual",
    "HardSwish",
    "Identity",
    "If",
    "LSTM",
    "LeakyRelu",
    "Less",
    "LessOrEqual",
    "Log",
    "LogSoftmax",
    "MatMul",
    "MaxPool",
    "Min",
    "Mul",
    "Neg",
    "Not",
    "OneHot",
    "Or",
    "PRelu",
    "Pad",
    "Pow",
    "RNN",
    "Range",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Resize",
    "ScatterND",
    "Selu",
    "Shape",
    "Sigmoid",
    "Sign",
    "Sin",
    "Size",
    "Slice",
    "Softmax",
    "Split",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Tanh",
    "Tile",
    "Transpose",
    "Trilu",
    "Unsqueeze",
    "Where",
    "Xor",
];

/// A graph loaded for candle-onnx's evaluator.
pub(crate) struct CandleOnnxRuntime {
    path: PathBuf,
    model: candle_onnx::onnx::ModelProto,
    inputs: [TensorInfo; 1],
    outputs: Vec<TensorInfo>,
}

impl CandleOnnxRuntime {
    /// Reads the graph and rejects operators that the evaluator lacks.
    pub(crate) fn load(path: &Path, options: &LoadOptions) -> Result<CandleOnnxRuntime> {
        if options.device != Device::Cpu {
            return Err(Error::Device {
                runtime: RuntimeKind::CandleOnnx,
                path: path.to_path_buf(),
                device: options.device.to_string(),
                reason: "candle-onnx evaluates on the CPU only".into(),
            });
        }

        let context = Context {
            path: path.to_path_buf(),
            runtime: RuntimeKind::CandleOnnx,
        };
        let checked = context.read_model()?;
        let graph = checked
            .graph
            .as_ref()
            .ok_or_else(|| context.invalid("the file has no graph"))?;
        let (input, outputs) = context.graph_io(graph)?;
        for node in &graph.node {
            let default_domain = matches!(node.domain(), "" | "ai.onnx");
            if !default_domain || !SUPPORTED_OPS.contains(&node.op_type()) {
                let op = match default_domain {
                    true => node.op_type().to_string(),
                    false => format!("{}.{}", node.domain(), node.op_type()),
                };
                return Err(context.unsupported(node, op));
            }
        }

        // candle-onnx evaluates its own protobuf types, so the file is decoded a second time.
        let model =
            candle_onnx::read_file(path).map_err(|error| context.invalid(error.to_string()))?;
        Ok(CandleOnnxRuntime {
            path: path.to_path_buf(),
            model,
            inputs: [input],
            outputs,
        })
    }

    fn run_error(&self, message: String) -> Error {
        Error::Run {
            runtime: RuntimeKind::CandleOnnx,
            path: self.path.clone(),
            message,
        }
    }
}

impl Runtime for CandleOnnxRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::CandleOnnx
    }

    fn version(&self) -> String {
        format!("candle-onnx {CANDLE_ONNX_VERSION}")
    }

    fn device(&self) -> String {
        Device::Cpu.to_string()
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
                runtime: RuntimeKind::CandleOnnx,
                path: self.path.clone(),
                message,
            })?;

        let tensor =
            CandleTensor::from_slice(&input.data, input.shape.as_slice(), &CandleDevice::Cpu)
                .map_err(|error| self.run_error(error.to_string()))?;
        let feeds = HashMap::from([(self.inputs[0].name.clone(), tensor)]);

        // NOTE: the evaluator unwraps some lookups in malformed graphs, so a panic there is
        // turned into an error here. The panic hook still prints the panic message.
        let evaluated = catch_unwind(AssertUnwindSafe(|| {
            candle_onnx::simple_eval(&self.model, feeds)
        }));
        let mut results = match evaluated {
            Ok(Ok(results)) => results,
            Ok(Err(error)) => return Err(self.run_error(error.to_string())),
            Err(panic) => {
                let reason = match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
                    (Some(text), _) => text.to_string(),
                    (None, Some(text)) => text.clone(),
                    (None, None) => "no message".into(),
                };
                return Err(self.run_error(format!("candle-onnx panicked: {reason}")));
            }
        };

        let mut tensors = Vec::with_capacity(self.outputs.len());
        for output in &self.outputs {
            let value = results.remove(&output.name).ok_or_else(|| {
                self.run_error(format!("graph output `{}` was not computed", output.name))
            })?;
            let data = value
                .flatten_all()
                .and_then(|flat| flat.to_vec1::<f32>())
                .map_err(|error| self.run_error(error.to_string()))?;
            tensors.push(Tensor {
                shape: value.dims().to_vec(),
                data,
            });
        }
        Ok(tensors)
    }
}
