//! Reading ONNX protobufs: the model file, initializer tensors, attributes
//! and the graph input's shape.
//!
//! NOTE: this uses the prost structs that tract-onnx exports (`pb`). Switch to
//! `ae_onnx::proto` once that crate's API is settled.

use std::collections::HashMap;
use std::path::Path;

use prost::Message;
use tract_onnx::pb::{
    tensor_shape_proto::dimension, type_proto, ModelProto, NodeProto, TensorProto, ValueInfoProto,
};

use crate::error::FirmwareError;

const FLOAT: i32 = 1;
const INT64: i32 = 7;

/// Reads and decodes an ONNX model file.
pub(crate) fn read_model(path: &Path) -> Result<ModelProto, FirmwareError> {
    let bytes = std::fs::read(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => FirmwareError::ModelNotFound {
            path: path.to_path_buf(),
        },
        _ => FirmwareError::Io {
            path: path.to_path_buf(),
            error,
        },
    })?;
    ModelProto::decode(bytes.as_slice()).map_err(|source| FirmwareError::Decode {
        path: path.to_path_buf(),
        source,
    })
}

/// A constant tensor: dimensions and values (f32 or i64 converted on request).
pub(crate) struct Constant<'a> {
    pub proto: &'a TensorProto,
}

impl Constant<'_> {
    /// Dimensions, with negative entries rejected.
    pub fn dims(&self) -> Result<Vec<usize>, String> {
        self.proto
            .dims
            .iter()
            .map(|&d| {
                usize::try_from(d)
                    .map_err(|_| format!("tensor \"{}\" has a negative dimension", self.proto.name))
            })
            .collect()
    }

    /// Values of a FLOAT tensor, from `float_data` or little-endian `raw_data`.
    pub fn f32s(&self) -> Result<Vec<f32>, String> {
        let t = self.proto;
        if t.data_type != FLOAT {
            return Err(format!(
                "tensor \"{}\" has ONNX data type {}, expected FLOAT (1)",
                t.name, t.data_type
            ));
        }
        check_internal(t)?;
        let values: Vec<f32> = if t.raw_data.is_empty() {
            t.float_data.clone()
        } else {
            t.raw_data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        let expected: i64 = t.dims.iter().product();
        if values.len() as i64 != expected {
            return Err(format!(
                "tensor \"{}\" has {} values for dimensions {:?}",
                t.name,
                values.len(),
                t.dims
            ));
        }
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(format!(
                "tensor \"{}\" contains the non-finite value {bad}",
                t.name
            ));
        }
        Ok(values)
    }

    /// Values of an INT64 tensor, from `int64_data` or little-endian `raw_data`.
    pub fn i64s(&self) -> Result<Vec<i64>, String> {
        let t = self.proto;
        if t.data_type != INT64 {
            return Err(format!(
                "tensor \"{}\" has ONNX data type {}, expected INT64 (7)",
                t.name, t.data_type
            ));
        }
        check_internal(t)?;
        if t.raw_data.is_empty() {
            return Ok(t.int64_data.clone());
        }
        Ok(t.raw_data
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect())
    }
}

fn check_internal(t: &TensorProto) -> Result<(), String> {
    if t.external_data.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tensor \"{}\" is stored in an external file, which the generator does not read",
            t.name
        ))
    }
}

/// Initializers and Constant-node outputs by tensor name.
pub(crate) fn constants(model: &ModelProto) -> HashMap<&str, Constant<'_>> {
    let mut map = HashMap::new();
    let Some(graph) = &model.graph else {
        return map;
    };
    for t in &graph.initializer {
        map.insert(t.name.as_str(), Constant { proto: t });
    }
    for node in graph.node.iter().filter(|n| n.op_type == "Constant") {
        let value = node
            .attribute
            .iter()
            .find(|a| a.name == "value")
            .and_then(|a| a.t.as_ref());
        if let (Some(t), Some(output)) = (value, node.output.first()) {
            map.insert(output.as_str(), Constant { proto: t });
        }
    }
    map
}

/// Integer list attribute, or `None` when absent.
pub(crate) fn attr_ints(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    node.attribute
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.ints.clone())
}

/// Integer attribute, or `default` when absent.
pub(crate) fn attr_int(node: &NodeProto, name: &str, default: i64) -> i64 {
    node.attribute
        .iter()
        .find(|a| a.name == name)
        .map_or(default, |a| a.i)
}

/// Float attribute, or `default` when absent.
pub(crate) fn attr_float(node: &NodeProto, name: &str, default: f32) -> f32 {
    node.attribute
        .iter()
        .find(|a| a.name == name)
        .map_or(default, |a| a.f)
}

/// String attribute, or `default` when absent.
pub(crate) fn attr_string(node: &NodeProto, name: &str, default: &str) -> String {
    node.attribute
        .iter()
        .find(|a| a.name == name)
        .map_or(default.to_string(), |a| {
            String::from_utf8_lossy(&a.s).into_owned()
        })
}

/// Dimensions of a graph input or output: `Some(n)` for fixed sizes, `None`
/// for symbolic (`dim_param`) or unknown ones.
pub(crate) fn value_dims(value: &ValueInfoProto) -> Option<Vec<Option<usize>>> {
    let type_proto::Value::TensorType(tensor) = value.r#type.as_ref()?.value.as_ref()?;
    let shape = tensor.shape.as_ref()?;
    Some(
        shape
            .dim
            .iter()
            .map(|d| match d.value {
                Some(dimension::Value::DimValue(v)) => usize::try_from(v).ok(),
                _ => None,
            })
            .collect(),
    )
}

/// Name used in messages: the node's name, or its first output when unnamed.
pub(crate) fn node_label(node: &NodeProto) -> String {
    if !node.name.is_empty() {
        node.name.clone()
    } else {
        node.output.first().cloned().unwrap_or_default()
    }
}
