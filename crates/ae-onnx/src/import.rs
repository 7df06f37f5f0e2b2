//! Conversion of a chain-shaped ONNX model back into a [`GraphSpec`].
//!
//! This reads the graphs that [`crate::build_model`] writes and PyTorch's exports of the same
//! networks: one float input, nodes that each take the previous node's output, and only the
//! operators that a [`Layer`] exports to, with the attribute values a [`Layer`] can express.
//! Re-exporting the result gives a graph that computes the same function.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::proto::{GraphProto, ModelProto, NodeProto, TensorProto};
use crate::read::{
    attr_float, attr_int, attr_ints, attr_string, attribute, initializers, tensor_f32, tensor_i64,
    value_info_dims, Dim,
};
use crate::spec::{GraphSpec, Layer, NamedLayer, OutputSpec, TensorSpec};

/// Converts a model whose nodes form a single chain into a [`GraphSpec`].
///
/// Layer names come from the weight initializers (`encoder.0.weight` gives `encoder.0`) or, for
/// layers without weights, from the node name (`/encoder/encoder.1/Relu` gives `encoder.1`).
/// Fails with [`Error::Unsupported`], naming the node, on any other operator, attribute value
/// or graph structure.
pub fn spec_from_model(model: &ModelProto) -> Result<GraphSpec> {
    let graph = model.graph.as_ref().ok_or_else(|| Error::InvalidSpec {
        graph: String::new(),
        problem: "the model has no graph".to_string(),
    })?;
    let graph_name = graph.name().to_string();
    let invalid = |problem: String| Error::InvalidSpec {
        graph: graph_name.clone(),
        problem,
    };

    let weights = initializers(graph);
    let input = graph_input(graph, &weights).map_err(invalid)?;

    let mut layers = Vec::new();
    let mut produced_by: HashMap<&str, usize> = HashMap::new();
    let mut previous = input.name.as_str();
    for (index, node) in graph.node.iter().enumerate() {
        if node.input.first().map(String::as_str) != Some(previous) {
            return Err(unsupported(
                node,
                format!("its first input is not `{previous}`"),
            ));
        }
        layers.push(import_node(node, index, &weights)?);
        let [output] = node.output.as_slice() else {
            return Err(unsupported(node, "it has more than one output".to_string()));
        };
        produced_by.insert(output.as_str(), index);
        previous = output.as_str();
    }

    let mut outputs = Vec::new();
    for output in &graph.output {
        let after_layer = *produced_by.get(output.name()).ok_or_else(|| {
            invalid(format!(
                "output `{}` is not produced by any node",
                output.name()
            ))
        })?;
        outputs.push(OutputSpec {
            name: output.name().to_string(),
            after_layer,
        });
    }

    Ok(GraphSpec {
        graph_name,
        input,
        outputs,
        layers,
        metadata: model
            .metadata_props
            .iter()
            .map(|entry| (entry.key().to_string(), entry.value().to_string()))
            .collect(),
        producer_name: model.producer_name().to_string(),
        producer_version: model.producer_version().to_string(),
    })
}

/// Finds the one graph input that is not an initializer, with a leading batch axis and fixed
/// sizes after it.
fn graph_input(
    graph: &GraphProto,
    weights: &HashMap<&str, &TensorProto>,
) -> std::result::Result<TensorSpec, String> {
    let mut inputs = graph
        .input
        .iter()
        .filter(|input| !weights.contains_key(input.name()));
    let (Some(input), None) = (inputs.next(), inputs.next()) else {
        return Err("the graph needs exactly one input that is not an initializer".to_string());
    };

    let shape = value_info_dims(input);
    if shape.is_empty() {
        return Err(format!("input `{}` has no shape", input.name()));
    }
    let mut dims = Vec::new();
    for dim in shape.iter().skip(1) {
        match dim {
            Dim::Fixed(size) if *size > 0 => dims.push(*size as usize),
            _ => {
                let name = input.name();
                return Err(format!(
                    "input `{name}` has shape {shape:?}, expected fixed sizes after the batch axis"
                ));
            }
        }
    }
    Ok(TensorSpec {
        name: input.name().to_string(),
        dims,
    })
}

/// Converts one node into a layer.
fn import_node(
    node: &NodeProto,
    index: usize,
    weights: &HashMap<&str, &TensorProto>,
) -> Result<NamedLayer> {
    let op = node.op_type();
    let layer = match op {
        "Gemm" => import_gemm(node, weights)?,
        "Conv" => import_conv(node, weights)?,
        "ConvTranspose" => import_conv_transpose(node, weights)?,
        "Relu" => Layer::Relu,
        "Sigmoid" => Layer::Sigmoid,
        "Flatten" => {
            expect_attribute(node, "axis", attr_int(node, "axis").unwrap_or(1), 1)?;
            Layer::Flatten
        }
        "Reshape" => import_reshape(node, weights)?,
        _ => {
            return Err(unsupported(
                node,
                "the operator has no matching layer".to_string(),
            ))
        }
    };
    Ok(NamedLayer {
        name: layer_name(node, index),
        layer,
    })
}

fn import_gemm(node: &NodeProto, weights: &HashMap<&str, &TensorProto>) -> Result<Layer> {
    expect_attribute(node, "transA", attr_int(node, "transA").unwrap_or(0), 0)?;
    expect_attribute(node, "transB", attr_int(node, "transB").unwrap_or(0), 1)?;
    let alpha = attr_float(node, "alpha").unwrap_or(1.0);
    let beta = attr_float(node, "beta").unwrap_or(1.0);
    if alpha != 1.0 || beta != 1.0 {
        return Err(unsupported(
            node,
            format!("alpha {alpha} and beta {beta} must both be 1"),
        ));
    }

    let (weight, weight_dims) = parameter(node, 1, weights)?;
    let (bias, _) = parameter(node, 2, weights)?;
    let [out_features, in_features] = weight_dims[..] else {
        return Err(unsupported(
            node,
            format!("weight has dims {weight_dims:?}, expected 2"),
        ));
    };
    Ok(Layer::Linear {
        weight,
        bias,
        in_features,
        out_features,
    })
}

fn import_conv(node: &NodeProto, weights: &HashMap<&str, &TensorProto>) -> Result<Layer> {
    let (weight, weight_dims) = parameter(node, 1, weights)?;
    let (bias, _) = parameter(node, 2, weights)?;
    let [out_channels, in_channels, _, _] = weight_dims[..] else {
        return Err(unsupported(
            node,
            format!("weight has dims {weight_dims:?}, expected 4"),
        ));
    };
    let geometry = conv_geometry(node, &weight_dims)?;
    let ConvGeometry {
        kernel,
        stride,
        padding,
        ..
    } = geometry;
    Ok(Layer::Conv2d {
        weight,
        bias,
        in_channels,
        out_channels,
        kernel,
        stride,
        padding,
    })
}

fn import_conv_transpose(node: &NodeProto, weights: &HashMap<&str, &TensorProto>) -> Result<Layer> {
    let (weight, weight_dims) = parameter(node, 1, weights)?;
    let (bias, _) = parameter(node, 2, weights)?;
    let [in_channels, out_channels, _, _] = weight_dims[..] else {
        return Err(unsupported(
            node,
            format!("weight has dims {weight_dims:?}, expected 4"),
        ));
    };
    let geometry = conv_geometry(node, &weight_dims)?;
    let ConvGeometry {
        kernel,
        stride,
        padding,
        output_padding,
    } = geometry;
    Ok(Layer::ConvTranspose2d {
        weight,
        bias,
        in_channels,
        out_channels,
        kernel,
        stride,
        padding,
        output_padding,
    })
}

fn import_reshape(node: &NodeProto, weights: &HashMap<&str, &TensorProto>) -> Result<Layer> {
    let shape_name = node.input.get(1).map(String::as_str).unwrap_or_default();
    let tensor = weights
        .get(shape_name)
        .ok_or_else(|| unsupported(node, format!("shape `{shape_name}` is not an initializer")))?;
    let shape = tensor_i64(tensor)?;
    let dims = match shape.split_first() {
        Some((-1, rest)) if rest.iter().all(|&dim| dim > 0) => {
            rest.iter().map(|&dim| dim as usize).collect()
        }
        _ => {
            return Err(unsupported(
                node,
                format!("shape {shape:?} is not [-1, positive sizes...]"),
            ))
        }
    };
    Ok(Layer::Unflatten { dims })
}

/// Square kernel, stride and symmetric padding of a 2-D convolution node.
struct ConvGeometry {
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
}

/// Reads the geometry attributes of a Conv or ConvTranspose node whose weight has
/// `weight_dims`. A missing `kernel_shape` is taken from the weight's spatial dims.
fn conv_geometry(node: &NodeProto, weight_dims: &[usize]) -> Result<ConvGeometry> {
    expect_attribute(node, "group", attr_int(node, "group").unwrap_or(1), 1)?;
    if attribute(node, "output_shape").is_some() {
        let problem = "output_shape is set, and only pads with output_padding are supported";
        return Err(unsupported(node, problem.to_string()));
    }
    if let Some(auto_pad) = attr_string(node, "auto_pad").filter(|value| value != "NOTSET") {
        return Err(unsupported(
            node,
            format!("auto_pad {auto_pad} is not NOTSET"),
        ));
    }
    let uniform = |name: &str, default: i64, count: usize| -> Result<usize> {
        let values = attr_ints(node, name).unwrap_or_else(|| vec![default; count]);
        match values.as_slice() {
            [first, rest @ ..]
                if values.len() == count
                    && *first >= 0
                    && rest.iter().all(|value| value == first) =>
            {
                Ok(*first as usize)
            }
            _ => Err(unsupported(
                node,
                format!("{name} {values:?} must be {count} equal values"),
            )),
        }
    };
    expect_attribute(node, "dilations", uniform("dilations", 1, 2)?, 1)?;
    let weight_kernel = weight_dims.get(2).copied().unwrap_or(0) as i64;
    let kernel = uniform("kernel_shape", weight_kernel, 2)?;
    Ok(ConvGeometry {
        kernel,
        stride: uniform("strides", 1, 2)?,
        padding: uniform("pads", 0, 4)?,
        output_padding: uniform("output_padding", 0, 2)?,
    })
}

/// Reads the FLOAT initializer that is input `position` of `node`, with its dims.
fn parameter(
    node: &NodeProto,
    position: usize,
    weights: &HashMap<&str, &TensorProto>,
) -> Result<(Vec<f32>, Vec<usize>)> {
    let name = node
        .input
        .get(position)
        .map(String::as_str)
        .unwrap_or_default();
    let tensor = weights.get(name).ok_or_else(|| {
        unsupported(
            node,
            format!("input {position} (`{name}`) is not an initializer"),
        )
    })?;
    let dims = tensor.dims.iter().map(|&dim| dim.max(0) as usize).collect();
    Ok((tensor_f32(tensor)?, dims))
}

fn expect_attribute<T: PartialEq + std::fmt::Display>(
    node: &NodeProto,
    name: &str,
    found: T,
    expected: T,
) -> Result<()> {
    if found == expected {
        return Ok(());
    }
    Err(unsupported(
        node,
        format!("{name} is {found}, expected {expected}"),
    ))
}

fn layer_name(node: &NodeProto, index: usize) -> String {
    let weight_stem = node
        .input
        .get(1)
        .and_then(|name| name.strip_suffix(".weight"));
    if let Some(stem) = weight_stem {
        return stem.to_string();
    }
    let node_name = node
        .name()
        .strip_suffix(node.op_type())
        .unwrap_or(node.name());
    match node_name.trim_end_matches('/').rsplit('/').next() {
        Some(last) if !last.is_empty() => last.to_string(),
        _ => format!("{}_{index}", node.op_type()),
    }
}

fn unsupported(node: &NodeProto, problem: String) -> Error {
    Error::Unsupported {
        node: node.name().to_string(),
        op: node.op_type().to_string(),
        problem,
    }
}
