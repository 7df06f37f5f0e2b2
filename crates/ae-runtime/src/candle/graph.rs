//! Decoding of an ONNX graph into the operators that the candle interpreter runs.
//!
//! Every attribute is checked here, at load time, so that a graph the interpreter cannot run
//! is rejected before the first batch.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ae_onnx::proto::{GraphProto, ModelProto, NodeProto, ValueInfoProto};
use candle_core::{Device as CandleDevice, Tensor as CandleTensor};

use crate::{Dim, Error, Result, RuntimeKind, TensorInfo};

/// ONNX `TensorProto.DataType` code of float32.
const ONNX_FLOAT: i32 = 1;

/// One operator with its attributes, checked at load time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// `Y = alpha * A' * B' + beta * C`, where `'` transposes when the flag is set.
    Gemm {
        alpha: f32,
        beta: f32,
        trans_a: bool,
        trans_b: bool,
    },
    /// Matrix product with numpy broadcasting of the batch dimensions.
    MatMul,
    /// Element-wise sum with numpy broadcasting.
    Add,
    /// 2-D convolution with one stride for both axes.
    Conv {
        stride: usize,
        pads: Pads,
    },
    /// 2-D transposed convolution with one stride and one output padding for both axes.
    ConvTranspose {
        stride: usize,
        output_padding: usize,
        pads: Pads,
    },
    Relu,
    Sigmoid,
    /// Reshape to 2-D: the dimensions before `axis` form the rows, the rest the columns.
    Flatten {
        axis: i64,
    },
    /// Reshape to `shape`, where 0 copies the input dimension (unless `allow_zero`) and -1 is
    /// inferred from the element count.
    Reshape {
        shape: Vec<i64>,
        allow_zero: bool,
    },
    Identity,
}

/// Zero padding of the two spatial axes, as ONNX `pads` orders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pads {
    pub top: usize,
    pub left: usize,
    pub bottom: usize,
    pub right: usize,
}

impl Pads {
    /// Returns the padding when all four sides are equal, the only case candle's kernels take.
    pub(crate) fn uniform(self) -> Option<usize> {
        let Pads {
            top,
            left,
            bottom,
            right,
        } = self;
        (top == left && top == bottom && top == right).then_some(top)
    }
}

/// One node: its operator and the names of the values it reads and writes.
#[derive(Debug)]
pub(crate) struct Node {
    pub name: String,
    pub op: Op,
    /// Input names, where an empty name is an omitted optional input.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

/// A graph ready to run: nodes in order, float initializers on the device, and the declared
/// input and outputs.
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    pub weights: HashMap<String, CandleTensor>,
    pub input: TensorInfo,
    pub outputs: Vec<TensorInfo>,
}

/// Decodes the graph at `path` and loads its float initializers onto `device`.
pub(crate) fn load_graph(path: &Path, device: &CandleDevice) -> Result<Graph> {
    let context = Context {
        path: path.to_path_buf(),
        runtime: RuntimeKind::Candle,
    };
    let model = context.read_model()?;
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| context.invalid("the file has no graph"))?;
    let (input, outputs) = context.graph_io(graph)?;

    let nodes: Vec<Node> = graph
        .node
        .iter()
        .map(|node| context.node(node, graph))
        .collect::<Result<_>>()?;
    context.check_dataflow(&nodes, graph, &input, &outputs)?;
    let weights = context.float_weights(graph, &nodes, device)?;
    Ok(Graph {
        nodes,
        weights,
        input,
        outputs,
    })
}

/// The file being loaded and the runtime loading it, for error messages.
pub(crate) struct Context {
    pub path: PathBuf,
    pub runtime: RuntimeKind,
}

impl Context {
    pub(crate) fn invalid(&self, message: impl Into<String>) -> Error {
        Error::InvalidModel {
            runtime: self.runtime,
            path: self.path.clone(),
            message: message.into(),
        }
    }

    pub(crate) fn unsupported(&self, node: &NodeProto, op: String) -> Error {
        Error::Unsupported {
            runtime: self.runtime,
            path: self.path.clone(),
            node: node.name().to_string(),
            op,
        }
    }

    /// Reads and decodes the model file.
    pub(crate) fn read_model(&self) -> Result<ModelProto> {
        ae_onnx::read_model(&self.path).map_err(|error| match error {
            ae_onnx::Error::Read { source, .. } => Error::Io {
                runtime: self.runtime,
                path: self.path.clone(),
                error: source,
            },
            other => self.invalid(other.to_string()),
        })
    }

    /// Returns the graph's one float32 input and its float32 outputs.
    pub(crate) fn graph_io(&self, graph: &GraphProto) -> Result<(TensorInfo, Vec<TensorInfo>)> {
        let initializers = ae_onnx::initializers(graph);
        let inputs: Vec<TensorInfo> = graph
            .input
            .iter()
            .filter(|value| !initializers.contains_key(value.name()))
            .map(|value| self.tensor_info(value, "input"))
            .collect::<Result<_>>()?;
        let outputs: Vec<TensorInfo> = graph
            .output
            .iter()
            .map(|value| self.tensor_info(value, "output"))
            .collect::<Result<_>>()?;

        let [input] = <[TensorInfo; 1]>::try_from(inputs).map_err(|inputs| {
            self.invalid(format!(
                "the graph has {} inputs, expected exactly 1",
                inputs.len()
            ))
        })?;
        if input.dims.is_empty() {
            return Err(self.invalid(format!("input {input} is a scalar, expected a batch")));
        }
        if outputs.is_empty() {
            return Err(self.invalid("the graph has no outputs"));
        }
        Ok((input, outputs))
    }

    fn tensor_info(&self, value: &ValueInfoProto, role: &str) -> Result<TensorInfo> {
        let name = value.name();
        let Some(ae_onnx::proto::type_proto::Value::TensorType(tensor)) =
            value.r#type.as_ref().and_then(|kind| kind.value.as_ref())
        else {
            return Err(self.invalid(format!("{role} `{name}` is not a tensor")));
        };
        if tensor.elem_type() != ONNX_FLOAT {
            return Err(self.invalid(format!(
                "{role} `{name}` has ONNX element type {}, expected float32 (1)",
                tensor.elem_type()
            )));
        }
        let shape = ae_onnx::value_info_shape(value)
            .ok_or_else(|| self.invalid(format!("{role} `{name}` has no shape")))?;

        let dims = shape
            .into_iter()
            .map(|dim| match dim {
                ae_onnx::Dim::Fixed(size) if size >= 0 => Dim::Fixed(size as usize),
                ae_onnx::Dim::Symbolic(name) => Dim::Symbolic(name),
                _ => Dim::Symbolic("?".into()),
            })
            .collect();
        Ok(TensorInfo {
            name: name.to_string(),
            dims,
        })
    }

    /// Decodes one node, rejecting operators and attribute values the interpreter lacks.
    fn node(&self, node: &NodeProto, graph: &GraphProto) -> Result<Node> {
        let op_type = node.op_type();
        if !matches!(node.domain(), "" | "ai.onnx") {
            return Err(self.unsupported(node, format!("{}.{op_type}", node.domain())));
        }

        let op = match op_type {
            "Gemm" => Op::Gemm {
                alpha: ae_onnx::attr_float(node, "alpha").unwrap_or(1.0),
                beta: ae_onnx::attr_float(node, "beta").unwrap_or(1.0),
                trans_a: ae_onnx::attr_int(node, "transA").unwrap_or(0) != 0,
                trans_b: ae_onnx::attr_int(node, "transB").unwrap_or(0) != 0,
            },
            "MatMul" => Op::MatMul,
            "Add" => Op::Add,
            "Conv" | "ConvTranspose" => self.convolution(node)?,
            "Relu" => Op::Relu,
            "Sigmoid" => Op::Sigmoid,
            "Flatten" => Op::Flatten {
                axis: ae_onnx::attr_int(node, "axis").unwrap_or(1),
            },
            "Reshape" => self.reshape(node, graph)?,
            "Identity" => Op::Identity,
            other => return Err(self.unsupported(node, other.to_string())),
        };

        let required_inputs = match &op {
            Op::Gemm { .. } | Op::Conv { .. } | Op::ConvTranspose { .. } => 2,
            Op::MatMul | Op::Add | Op::Reshape { .. } => 2,
            _ => 1,
        };
        let present = node
            .input
            .iter()
            .take(required_inputs)
            .filter(|name| !name.is_empty());
        let one_output = node.output.len() == 1 && !node.output[0].is_empty();
        if present.count() < required_inputs || !one_output {
            return Err(self.invalid(format!(
                "node `{}` ({op_type}) has {} inputs and {} outputs, expected at least \
                 {required_inputs} inputs and exactly 1 output",
                node.name(),
                node.input.len(),
                node.output.len()
            )));
        }

        Ok(Node {
            name: node.name().to_string(),
            op,
            inputs: node.input.clone(),
            outputs: node.output.clone(),
        })
    }

    /// Decodes Conv or ConvTranspose: 2-D, group 1, dilation 1, explicit pads, one stride for
    /// both axes.
    fn convolution(&self, node: &NodeProto) -> Result<Op> {
        let op_type = node.op_type();
        let unsupported =
            |detail: String| self.unsupported(node, format!("{op_type} with {detail}"));

        let auto_pad = ae_onnx::attr_string(node, "auto_pad").unwrap_or_else(|| "NOTSET".into());
        if auto_pad != "NOTSET" && auto_pad != "VALID" {
            return Err(unsupported(format!("auto_pad {auto_pad}")));
        }
        let group = ae_onnx::attr_int(node, "group").unwrap_or(1);
        if group != 1 {
            return Err(unsupported(format!("group {group}")));
        }
        let dilations = ae_onnx::attr_ints(node, "dilations").unwrap_or_else(|| vec![1, 1]);
        if dilations.iter().any(|&dilation| dilation != 1) {
            return Err(unsupported(format!("dilations {dilations:?}")));
        }
        if let Some(kernel) = ae_onnx::attr_ints(node, "kernel_shape") {
            if kernel.len() != 2 {
                return Err(unsupported(format!(
                    "kernel_shape {kernel:?} (only 2-D is supported)"
                )));
            }
        }
        if ae_onnx::attr_ints(node, "output_shape").is_some() {
            return Err(unsupported("output_shape".into()));
        }

        let strides = ae_onnx::attr_ints(node, "strides").unwrap_or_else(|| vec![1, 1]);
        let stride = match strides.as_slice() {
            [vertical, horizontal] if vertical == horizontal && *vertical >= 1 => {
                *vertical as usize
            }
            _ => return Err(unsupported(format!("strides {strides:?}"))),
        };
        let pads = ae_onnx::attr_ints(node, "pads").unwrap_or_else(|| vec![0; 4]);
        let pads = match pads.as_slice() {
            &[top, left, bottom, right] if pads.iter().all(|&pad| pad >= 0) => Pads {
                top: top as usize,
                left: left as usize,
                bottom: bottom as usize,
                right: right as usize,
            },
            _ => return Err(unsupported(format!("pads {pads:?}"))),
        };

        if op_type == "Conv" {
            return Ok(Op::Conv { stride, pads });
        }
        let output_padding =
            ae_onnx::attr_ints(node, "output_padding").unwrap_or_else(|| vec![0, 0]);
        let output_padding = match output_padding.as_slice() {
            [vertical, horizontal] if vertical == horizontal && *vertical >= 0 => {
                *vertical as usize
            }
            _ => return Err(unsupported(format!("output_padding {output_padding:?}"))),
        };
        Ok(Op::ConvTranspose {
            stride,
            output_padding,
            pads,
        })
    }

    /// Decodes Reshape, whose target shape must be an INT64 initializer.
    fn reshape(&self, node: &NodeProto, graph: &GraphProto) -> Result<Op> {
        let shape_name = node.input.get(1).map(String::as_str).unwrap_or_default();
        let Some(tensor) = graph
            .initializer
            .iter()
            .find(|tensor| tensor.name() == shape_name)
        else {
            return Err(self.unsupported(node, "Reshape with a computed shape".into()));
        };
        let shape = ae_onnx::tensor_i64(tensor).map_err(|error| self.invalid(error.to_string()))?;

        let inferred = shape.iter().filter(|&&size| size == -1).count();
        if inferred > 1 || shape.iter().any(|&size| size < -1) {
            return Err(self.invalid(format!(
                "node `{}` (Reshape) has an invalid target shape {shape:?}",
                node.name()
            )));
        }
        let allow_zero = ae_onnx::attr_int(node, "allowzero").unwrap_or(0) != 0;
        Ok(Op::Reshape { shape, allow_zero })
    }

    /// Checks that every node reads values that exist by the time it runs, and that every
    /// graph output is written.
    fn check_dataflow(
        &self,
        nodes: &[Node],
        graph: &GraphProto,
        input: &TensorInfo,
        outputs: &[TensorInfo],
    ) -> Result<()> {
        let mut available: HashSet<&str> = graph
            .initializer
            .iter()
            .map(|tensor| tensor.name())
            .collect();
        available.insert(&input.name);

        for node in nodes {
            let missing = node
                .inputs
                .iter()
                .find(|name| !name.is_empty() && !available.contains(name.as_str()));
            if let Some(missing) = missing {
                return Err(self.invalid(format!(
                    "node `{}` reads `{missing}`, which no earlier node, initializer or input \
                     provides",
                    node.name
                )));
            }
            available.extend(node.outputs.iter().map(String::as_str));
        }
        if let Some(output) = outputs
            .iter()
            .find(|output| !available.contains(output.name.as_str()))
        {
            return Err(self.invalid(format!("graph output {output} is not written by any node")));
        }
        Ok(())
    }

    /// Loads the float initializers onto `device`, and rejects an initializer of another type
    /// unless it is only the shape input of Reshape.
    fn float_weights(
        &self,
        graph: &GraphProto,
        nodes: &[Node],
        device: &CandleDevice,
    ) -> Result<HashMap<String, CandleTensor>> {
        let mut weights = HashMap::new();
        for tensor in &graph.initializer {
            match tensor.data_type() {
                ONNX_FLOAT => {
                    let values = ae_onnx::tensor_f32(tensor)
                        .map_err(|error| self.invalid(error.to_string()))?;
                    let dims: Vec<usize> = tensor.dims.iter().map(|&dim| dim as usize).collect();
                    let weight = CandleTensor::from_vec(values, dims, device).map_err(|error| {
                        self.invalid(format!("initializer `{}`: {error}", tensor.name()))
                    })?;
                    weights.insert(tensor.name().to_string(), weight);
                }
                _ => {
                    // Only the shape input of Reshape, which `Context::reshape` decodes, may be
                    // another type.
                    let reader = nodes.iter().find(|node| {
                        node.inputs.iter().enumerate().any(|(index, name)| {
                            name == tensor.name()
                                && !(matches!(node.op, Op::Reshape { .. }) && index == 1)
                        })
                    });
                    if let Some(node) = reader {
                        return Err(self.invalid(format!(
                            "node `{}` reads initializer `{}` of ONNX element type {}, \
                             expected float32 (1)",
                            node.name,
                            tensor.name(),
                            tensor.data_type()
                        )));
                    }
                }
            }
        }
        Ok(weights)
    }
}
