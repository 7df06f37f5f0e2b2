//! Builders for small ONNX graphs written with `ae_onnx::proto`.

use std::path::Path;

use ae_onnx::proto::{
    tensor_proto, tensor_shape_proto, type_proto, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use prost::Message;

/// Returns a float32 value info, where a dimension that is not an integer is symbolic.
pub fn value_info(name: &str, dims: &[&str]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|dim| {
            let value = match dim.parse::<i64>() {
                Ok(size) => tensor_shape_proto::dimension::Value::DimValue(size),
                Err(_) => tensor_shape_proto::dimension::Value::DimParam(dim.to_string()),
            };
            tensor_shape_proto::Dimension {
                value: Some(value),
                denotation: None,
            }
        })
        .collect();
    let tensor = type_proto::Tensor {
        elem_type: Some(tensor_proto::DataType::Float as i32),
        shape: Some(TensorShapeProto { dim }),
    };
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(tensor)),
            denotation: None,
        }),
        doc_string: None,
    }
}

/// Returns a node without attributes.
pub fn node(name: &str, op_type: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|input| input.to_string()).collect(),
        output: outputs.iter().map(|output| output.to_string()).collect(),
        name: Some(name.into()),
        op_type: Some(op_type.into()),
        ..NodeProto::default()
    }
}

/// Returns a float32 initializer stored in `float_data`.
pub fn float_initializer(name: &str, dims: &[i64], values: Vec<f32>) -> TensorProto {
    TensorProto {
        dims: dims.to_vec(),
        data_type: Some(tensor_proto::DataType::Float as i32),
        float_data: values,
        name: Some(name.into()),
        ..TensorProto::default()
    }
}

/// Writes `graph` as an opset-17, IR-8 model to `path`.
pub fn write_model(path: &Path, graph: GraphProto) {
    let model = ModelProto {
        ir_version: Some(8),
        producer_name: Some("ae-runtime tests".into()),
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(17),
        }],
        ..ModelProto::default()
    };
    std::fs::write(path, model.encode_to_vec()).expect("temporary folder is writable");
}

/// Writes a graph `x [N,4] -> Relu -> OP -> y [N,4]` to `path`, where the OP node is named
/// `odd_node`.
pub fn write_graph_with_op(path: &Path, op: &str) {
    let graph = GraphProto {
        node: vec![
            node("relu", "Relu", &["x"], &["hidden"]),
            node("odd_node", op, &["hidden"], &["y"]),
        ],
        name: Some("one_odd_node".into()),
        input: vec![value_info("x", &["N", "4"])],
        output: vec![value_info("y", &["N", "4"])],
        ..GraphProto::default()
    };
    write_model(path, graph);
}
