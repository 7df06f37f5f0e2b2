//! ONNX nodes, attributes and initializers for each kind of [`Layer`].

use crate::proto::attribute_proto::AttributeType;
use crate::proto::tensor_proto::DataType;
use crate::proto::tensor_shape_proto::{dimension, Dimension};
use crate::proto::{
    type_proto, AttributeProto, NodeProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use crate::spec::{Layer, NamedLayer};

/// Nodes and initializers that implement one layer.
pub(crate) struct LayerNodes {
    pub nodes: Vec<NodeProto>,
    pub initializers: Vec<TensorProto>,
}

/// Builds the nodes and initializers of `named`, which reads tensor `input` and writes `output`.
///
/// The layer must have passed [`crate::shape::layer_output_dims`], which checks that every size
/// fits in an `i64`.
pub(crate) fn layer_nodes(named: &NamedLayer, input: &str, output: &str) -> LayerNodes {
    let name = named.name.as_str();
    let weight_name = format!("{name}.weight");
    let bias_name = format!("{name}.bias");
    let parameter_inputs = [input.to_string(), weight_name.clone(), bias_name.clone()];

    let (attributes, inputs, initializers) = match &named.layer {
        Layer::Linear {
            weight,
            bias,
            in_features,
            out_features,
        } => {
            let attributes = vec![
                float_attribute("alpha", 1.0),
                float_attribute("beta", 1.0),
                int_attribute("transB", 1),
            ];
            let initializers = vec![
                float_tensor(&weight_name, &[*out_features, *in_features], weight),
                float_tensor(&bias_name, &[*out_features], bias),
            ];
            (attributes, parameter_inputs.to_vec(), initializers)
        }
        Layer::Conv2d {
            weight,
            bias,
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
        } => {
            let attributes = vec![
                ints_attribute("dilations", &[1, 1]),
                int_attribute("group", 1),
                ints_attribute("kernel_shape", &[int(*kernel), int(*kernel)]),
                ints_attribute("pads", &[int(*padding); 4]),
                ints_attribute("strides", &[int(*stride), int(*stride)]),
            ];
            let weight_dims = [*out_channels, *in_channels, *kernel, *kernel];
            let initializers = vec![
                float_tensor(&weight_name, &weight_dims, weight),
                float_tensor(&bias_name, &[*out_channels], bias),
            ];
            (attributes, parameter_inputs.to_vec(), initializers)
        }
        Layer::ConvTranspose2d {
            weight,
            bias,
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            output_padding,
        } => {
            let attributes = vec![
                ints_attribute("dilations", &[1, 1]),
                int_attribute("group", 1),
                ints_attribute("kernel_shape", &[int(*kernel), int(*kernel)]),
                ints_attribute(
                    "output_padding",
                    &[int(*output_padding), int(*output_padding)],
                ),
                ints_attribute("pads", &[int(*padding); 4]),
                ints_attribute("strides", &[int(*stride), int(*stride)]),
            ];
            let weight_dims = [*in_channels, *out_channels, *kernel, *kernel];
            let initializers = vec![
                float_tensor(&weight_name, &weight_dims, weight),
                float_tensor(&bias_name, &[*out_channels], bias),
            ];
            (attributes, parameter_inputs.to_vec(), initializers)
        }
        Layer::Relu | Layer::Sigmoid => (Vec::new(), vec![input.to_string()], Vec::new()),
        Layer::Flatten => (
            vec![int_attribute("axis", 1)],
            vec![input.to_string()],
            Vec::new(),
        ),
        Layer::Unflatten { dims } => {
            // -1 lets Reshape infer the batch size from the element count.
            let mut shape = vec![-1];
            shape.extend(dims.iter().map(|&dim| int(dim)));
            let shape_name = format!("{name}.shape");
            let initializers = vec![int64_tensor(&shape_name, &shape)];
            (
                Vec::new(),
                vec![input.to_string(), shape_name],
                initializers,
            )
        }
    };

    let op_type = named.layer.op_type();
    let node = NodeProto {
        input: inputs,
        output: vec![output.to_string()],
        name: Some(format!("{name}/{op_type}")),
        op_type: Some(op_type.to_string()),
        attribute: attributes,
        ..Default::default()
    };
    LayerNodes {
        nodes: vec![node],
        initializers,
    }
}

/// Builds an `Identity` node that copies `input` to `output`.
pub(crate) fn identity_node(name: &str, input: &str, output: &str) -> NodeProto {
    NodeProto {
        input: vec![input.to_string()],
        output: vec![output.to_string()],
        name: Some(name.to_string()),
        op_type: Some("Identity".to_string()),
        ..Default::default()
    }
}

/// Builds the value info of a float tensor of shape (`batch`, dims...), with `batch` symbolic.
pub(crate) fn float_value_info(name: &str, batch: &str, dims: &[usize]) -> ValueInfoProto {
    let symbolic = Dimension {
        value: Some(dimension::Value::DimParam(batch.to_string())),
        denotation: None,
    };
    let fixed = dims.iter().map(|&dim| Dimension {
        value: Some(dimension::Value::DimValue(int(dim))),
        denotation: None,
    });
    let tensor = type_proto::Tensor {
        elem_type: Some(DataType::Float as i32),
        shape: Some(TensorShapeProto {
            dim: std::iter::once(symbolic).chain(fixed).collect(),
        }),
    };
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(tensor)),
            denotation: None,
        }),
        doc_string: None,
    }
}

/// Builds a FLOAT tensor with its values as little-endian `raw_data`, as PyTorch writes them.
fn float_tensor(name: &str, dims: &[usize], values: &[f32]) -> TensorProto {
    let raw: Vec<u8> = values
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect();
    TensorProto {
        dims: dims.iter().map(|&dim| int(dim)).collect(),
        data_type: Some(DataType::Float as i32),
        name: Some(name.to_string()),
        raw_data: Some(raw),
        ..Default::default()
    }
}

/// Builds a 1-D INT64 tensor with its values as little-endian `raw_data`.
fn int64_tensor(name: &str, values: &[i64]) -> TensorProto {
    let raw: Vec<u8> = values
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect();
    TensorProto {
        dims: vec![int(values.len())],
        data_type: Some(DataType::Int64 as i32),
        name: Some(name.to_string()),
        raw_data: Some(raw),
        ..Default::default()
    }
}

fn float_attribute(name: &str, value: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_string()),
        r#type: Some(AttributeType::Float as i32),
        f: Some(value),
        ..Default::default()
    }
}

fn int_attribute(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_string()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(value),
        ..Default::default()
    }
}

fn ints_attribute(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_string()),
        r#type: Some(AttributeType::Ints as i32),
        ints: values.to_vec(),
        ..Default::default()
    }
}

/// Converts a size that shape inference has already checked to fit in an `i64`.
fn int(value: usize) -> i64 {
    i64::try_from(value).expect("shape inference rejects sizes above i64::MAX")
}
