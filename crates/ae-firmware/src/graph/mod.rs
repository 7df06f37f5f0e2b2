//! Translation of an encoder's ONNX graph into a chain of f32 layers.
//!
//! The graph must be one chain from its input to its output: each operator
//! reads the previous operator's output plus constant tensors. Relu is fused
//! into the layer before it, Add of a constant into that layer's bias, and
//! Flatten and Reshape change only the recorded shape because the kernels
//! keep activations contiguous in CHW order.

use std::path::{Path, PathBuf};

use ae_kernels::{Activation, EncoderF32, LayerF32, LayerKind};
use tract_onnx::pb::NodeProto;

use crate::error::{FirmwareError, MAX_SCRATCH_BYTES};
use crate::network::{FloatLayer, FloatNetwork};
mod layers;
mod shape;

use shape::reshape_target;

use crate::onnx::{attr_int, constants, node_label, read_model, value_dims, Constant};

/// Reads an encoder ONNX file and translates it into f32 layers.
pub fn import(path: &Path) -> Result<FloatNetwork, FirmwareError> {
    let model = read_model(path)?;
    let graph_error = |reason: String| FirmwareError::InvalidGraph {
        path: path.to_path_buf(),
        reason,
    };
    let Some(graph) = &model.graph else {
        return Err(graph_error("the model has no graph".into()));
    };
    let consts = constants(&model);

    let Some(input) = graph
        .input
        .iter()
        .find(|i| !consts.contains_key(i.name.as_str()))
    else {
        return Err(graph_error("the graph has no non-constant input".into()));
    };
    let Some(dims) = value_dims(input) else {
        return Err(graph_error(format!(
            "input \"{}\" has no tensor shape",
            input.name
        )));
    };
    if dims.len() < 2 {
        return Err(graph_error(format!(
            "input \"{}\" has rank {}; expected a batch dimension and at least one more",
            input.name,
            dims.len()
        )));
    }
    let mut sample_shape = Vec::new();
    for (axis, dim) in dims.iter().enumerate().skip(1) {
        match dim {
            Some(d) if *d > 0 => sample_shape.push(*d),
            _ => {
                return Err(graph_error(format!(
                    "input \"{}\" dimension {axis} is symbolic or zero; only the batch (first) dimension may be symbolic",
                    input.name
                )))
            }
        }
    }

    let input_len = sample_shape
        .iter()
        .fold(1u128, |len, &dim| len.saturating_mul(dim as u128));
    let mut chain = Chain {
        path: path.to_path_buf(),
        consts: &consts,
        current: input.name.clone(),
        shape: sample_shape.clone(),
        layers: Vec::new(),
        bias_open: false,
        relu_open: false,
    };
    chain.check_scratch(input_len)?;
    for node in &graph.node {
        chain.apply(node)?;
    }

    let Some(output) = graph.output.first() else {
        return Err(graph_error("the graph has no output".into()));
    };
    if output.name != chain.current {
        return Err(graph_error(format!(
            "output \"{}\" is not the end of the layer chain (\"{}\"); the generator supports single-chain graphs only",
            output.name, chain.current
        )));
    }
    if chain.layers.is_empty() {
        return Err(graph_error(
            "the graph has no Gemm, MatMul or Conv layer".into(),
        ));
    }

    check_total_scratch(path, &chain.layers, input_len)?;

    let name = path.file_stem().map_or_else(
        || "encoder".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    Ok(FloatNetwork {
        name,
        input_shape: sample_shape,
        output_shape: chain.shape,
        layers: chain.layers,
    })
}

/// Rejects layers whose scratch buffers need more than [`MAX_SCRATCH_BYTES`]: the f32 scratch
/// of 4-byte values, or the int8 encoder's 2-byte scratch, which holds at most the f32 buffers
/// plus a copy of the input.
fn check_total_scratch(
    path: &Path,
    layers: &[FloatLayer],
    input_len: u128,
) -> Result<(), FirmwareError> {
    let table: Vec<LayerF32<'_>> = layers
        .iter()
        .map(|layer| LayerF32 {
            kind: layer.kind,
            weights: &layer.weights,
            bias: &layer.bias,
            activation: layer.activation,
        })
        .collect();
    let f32_len = EncoderF32 { layers: &table }.scratch_len() as u128;
    let bytes = (4 * f32_len).max(2 * (f32_len + input_len));
    if bytes > MAX_SCRATCH_BYTES {
        return Err(FirmwareError::ScratchTooLarge {
            path: path.to_path_buf(),
            bytes,
        });
    }
    Ok(())
}

/// The walk along the graph: the tensor that carries the activation, its
/// per-image shape and the layers so far.
struct Chain<'a> {
    path: PathBuf,
    consts: &'a std::collections::HashMap<&'a str, Constant<'a>>,
    current: String,
    shape: Vec<usize>,
    layers: Vec<FloatLayer>,
    /// True while the activation is the last layer's raw output, so an Add
    /// of a constant can become its bias.
    bias_open: bool,
    /// True while only reshapes separate the activation from the last layer
    /// and that layer has no activation yet, so a Relu can be fused.
    relu_open: bool,
}

impl Chain<'_> {
    fn invalid(&self, node: &NodeProto, reason: impl Into<String>) -> FirmwareError {
        FirmwareError::InvalidNode {
            path: self.path.clone(),
            node: node_label(node),
            op: node.op_type.clone(),
            reason: reason.into(),
        }
    }

    /// Rejects one activation of `len` f32 values that alone exceeds [`MAX_SCRATCH_BYTES`],
    /// before any buffer size is computed from it.
    fn check_scratch(&self, len: u128) -> Result<(), FirmwareError> {
        let bytes = len.saturating_mul(4);
        if bytes > MAX_SCRATCH_BYTES {
            return Err(FirmwareError::ScratchTooLarge {
                path: self.path.clone(),
                bytes,
            });
        }
        Ok(())
    }

    fn apply(&mut self, node: &NodeProto) -> Result<(), FirmwareError> {
        if node.op_type == "Constant" {
            if node.output.contains(&self.current) {
                return Err(self.invalid(node, "a Constant replaces the activation"));
            }
            return Ok(());
        }
        if !node.domain.is_empty() && node.domain != "ai.onnx" {
            return Err(self.unsupported(node));
        }
        match node.op_type.as_str() {
            "Gemm" => self.gemm(node),
            "MatMul" => self.matmul(node),
            "Add" => self.add(node),
            "Conv" => self.conv(node),
            "Relu" => self.relu(node),
            "Flatten" => self.flatten(node),
            "Reshape" => self.reshape(node),
            _ => Err(self.unsupported(node)),
        }
    }

    fn unsupported(&self, node: &NodeProto) -> FirmwareError {
        FirmwareError::UnsupportedOp {
            path: self.path.clone(),
            node: node_label(node),
            op: node.op_type.clone(),
        }
    }

    /// Checks that input `index` is the activation and moves it to the node's output.
    fn advance(&mut self, node: &NodeProto, index: usize) -> Result<(), FirmwareError> {
        let read = node.input.get(index).map(String::as_str).unwrap_or("");
        if read != self.current {
            return Err(self.invalid(
                node,
                format!(
                    "reads \"{read}\" instead of the previous layer's output \"{}\"; the generator supports single-chain graphs only",
                    self.current
                ),
            ));
        }
        let Some(output) = node.output.first() else {
            return Err(self.invalid(node, "the node has no output"));
        };
        self.current = output.clone();
        Ok(())
    }

    fn constant(&self, node: &NodeProto, index: usize) -> Result<&Constant<'_>, FirmwareError> {
        let name = node.input.get(index).map(String::as_str).unwrap_or("");
        self.consts.get(name).ok_or_else(|| {
            self.invalid(
                node,
                format!("input {index} (\"{name}\") must be an initializer or Constant"),
            )
        })
    }

    fn features(&self, node: &NodeProto) -> Result<usize, FirmwareError> {
        match self.shape.as_slice() {
            [n] => Ok(*n),
            shape => Err(self.invalid(
                node,
                format!("input has per-image shape {shape:?}; expected a flat feature vector (add a Flatten before it)"),
            )),
        }
    }

    fn push(
        &mut self,
        node: &NodeProto,
        kind: LayerKind,
        weights: Vec<f32>,
        bias: Vec<f32>,
        shape: Vec<usize>,
    ) {
        self.layers.push(FloatLayer {
            name: node_label(node),
            kind,
            weights,
            bias,
            activation: Activation::Identity,
        });
        self.shape = shape;
        self.bias_open = true;
        self.relu_open = true;
    }

    fn relu(&mut self, node: &NodeProto) -> Result<(), FirmwareError> {
        if !self.relu_open {
            return Err(self.invalid(
                node,
                "Relu is supported only after a Gemm, MatMul or Conv layer (optionally reshaped)",
            ));
        }
        self.advance(node, 0)?;
        if let Some(layer) = self.layers.last_mut() {
            layer.activation = Activation::Relu;
        }
        self.relu_open = false;
        self.bias_open = false;
        Ok(())
    }

    fn flatten(&mut self, node: &NodeProto) -> Result<(), FirmwareError> {
        let axis = attr_int(node, "axis", 1);
        if axis != 1 {
            return Err(self.invalid(
                node,
                format!("axis={axis} is not supported; only axis=1 keeps the batch dimension"),
            ));
        }
        self.advance(node, 0)?;
        self.shape = vec![self.shape.iter().product()];
        self.bias_open = false;
        Ok(())
    }

    fn reshape(&mut self, node: &NodeProto) -> Result<(), FirmwareError> {
        let target = self
            .constant(node, 1)?
            .i64s()
            .map_err(|e| self.invalid(node, e))?;
        let count: usize = self.shape.iter().product();
        let shape = reshape_target(&target, count, attr_int(node, "allowzero", 0) != 0)
            .ok_or_else(|| self.invalid(node, format!("cannot reshape per-image shape {:?} to {target:?} keeping the batch dimension first", self.shape)))?;
        self.advance(node, 0)?;
        self.shape = shape;
        self.bias_open = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::shape::reshape_target;

    #[test]
    fn reshape_keeps_batch_first() {
        assert_eq!(reshape_target(&[-1, 784], 784, false), Some(vec![784]));
        assert_eq!(reshape_target(&[0, -1], 784, false), Some(vec![784]));
        assert_eq!(
            reshape_target(&[0, 16, 7, 7], 784, false),
            Some(vec![16, 7, 7])
        );
        assert_eq!(
            reshape_target(&[784], 784, false),
            None,
            "drops the batch dimension"
        );
        assert_eq!(reshape_target(&[-1, -1], 784, false), None);
        assert_eq!(
            reshape_target(&[0, 100], 784, false),
            None,
            "changes the element count"
        );
    }
}
