//! Plain description of a feed-forward network, independent of any training framework.
//!
//! [`crate::build_model`] turns a [`GraphSpec`] into an ONNX model. Shapes in this module leave
//! out the batch axis, which the exported graph adds as a symbolic dimension `N`.

use std::collections::HashSet;

use crate::error::{Error, Result};

/// One layer of a network, with its parameters in PyTorch's layout.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Fully connected layer, y = x W^T + b, with W stored (out_features, in_features)
    /// row-major as in PyTorch's `nn.Linear`.
    Linear {
        weight: Vec<f32>,
        bias: Vec<f32>,
        in_features: usize,
        out_features: usize,
    },
    /// 2-D convolution with a square kernel, weight stored (out_channels, in_channels, k, k)
    /// as in PyTorch's `nn.Conv2d`.
    Conv2d {
        weight: Vec<f32>,
        bias: Vec<f32>,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    /// 2-D transposed convolution with a square kernel, weight stored
    /// (in_channels, out_channels, k, k) as in PyTorch's `nn.ConvTranspose2d`.
    ConvTranspose2d {
        weight: Vec<f32>,
        bias: Vec<f32>,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        output_padding: usize,
    },
    /// Element-wise max(x, 0).
    Relu,
    /// Element-wise 1 / (1 + exp(-x)).
    Sigmoid,
    /// Flattening of every axis after the batch axis: (N, C, H, W) to (N, C*H*W).
    Flatten,
    /// Reshaping of (N, features) to (N, dims...), where the product of `dims` is `features`.
    Unflatten { dims: Vec<usize> },
}

impl Layer {
    /// Returns the ONNX operator that the layer is exported as.
    pub fn op_type(&self) -> &'static str {
        match self {
            Layer::Linear { .. } => "Gemm",
            Layer::Conv2d { .. } => "Conv",
            Layer::ConvTranspose2d { .. } => "ConvTranspose",
            Layer::Relu => "Relu",
            Layer::Sigmoid => "Sigmoid",
            Layer::Flatten => "Flatten",
            Layer::Unflatten { .. } => "Reshape",
        }
    }
}

/// Layer with the name that its ONNX node, output and initializers are named after.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedLayer {
    /// Layer name, such as `encoder.0`: the node is `encoder.0/Gemm`, the initializers are
    /// `encoder.0.weight` and `encoder.0.bias`.
    pub name: String,
    /// The layer itself.
    pub layer: Layer,
}

/// Named tensor shape without the batch axis.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    /// Tensor name in the ONNX graph.
    pub name: String,
    /// Sizes of the axes after the batch axis, for example `[1, 28, 28]`.
    pub dims: Vec<usize>,
}

/// Graph output: the activation after one layer, under a chosen name.
///
/// Several outputs let one graph return, for example, both the reconstruction and the latent
/// code of an autoencoder.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// Output name in the ONNX graph.
    pub name: String,
    /// Index into [`GraphSpec::layers`] of the layer whose output this is.
    pub after_layer: usize,
}

/// Description of a whole graph: input, layers in order, outputs and model metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphSpec {
    /// Name of the ONNX graph.
    pub graph_name: String,
    /// Graph input, which the first layer takes.
    pub input: TensorSpec,
    /// Graph outputs, in the order they appear in the ONNX graph.
    pub outputs: Vec<OutputSpec>,
    /// Layers, each taking the previous layer's output.
    pub layers: Vec<NamedLayer>,
    /// Key/value pairs stored as the model's `metadata_props`, with distinct keys.
    pub metadata: Vec<(String, String)>,
    /// Name of the tool that builds the model, stored as `producer_name`.
    pub producer_name: String,
    /// Version of that tool, stored as `producer_version`.
    pub producer_version: String,
}

impl GraphSpec {
    /// Checks what does not depend on shapes: names, output indices and metadata keys.
    pub(crate) fn check_names(&self) -> Result<()> {
        let invalid = |problem: String| Error::InvalidSpec {
            graph: self.graph_name.clone(),
            problem,
        };

        if self.graph_name.is_empty() {
            return Err(invalid(
                "the graph name is empty, and ONNX requires one".to_string(),
            ));
        }
        if self.input.name.is_empty() {
            return Err(invalid("the input name is empty".to_string()));
        }
        if self.layers.is_empty() {
            return Err(invalid("the graph has no layers".to_string()));
        }
        if self.outputs.is_empty() {
            return Err(invalid("the graph has no outputs".to_string()));
        }

        let mut layer_names = HashSet::new();
        for (index, named) in self.layers.iter().enumerate() {
            if named.name.is_empty() {
                return Err(invalid(format!("layer {index} has an empty name")));
            }
            if !layer_names.insert(named.name.as_str()) {
                return Err(invalid(format!(
                    "layer name `{}` is used twice",
                    named.name
                )));
            }
        }

        let mut output_names = HashSet::new();
        for output in &self.outputs {
            if output.name.is_empty() {
                return Err(invalid("an output has an empty name".to_string()));
            }
            if !output_names.insert(output.name.as_str()) {
                return Err(invalid(format!(
                    "output name `{}` is used twice",
                    output.name
                )));
            }
            if output.after_layer >= self.layers.len() {
                return Err(invalid(format!(
                    "output `{}` follows layer {}, but the graph has {} layers",
                    output.name,
                    output.after_layer,
                    self.layers.len()
                )));
            }
        }

        let mut keys = HashSet::new();
        for (key, _) in &self.metadata {
            if !keys.insert(key.as_str()) {
                return Err(invalid(format!("metadata key `{key}` is used twice")));
            }
        }
        Ok(())
    }
}
