//! Reading of ONNX files and of the values inside them: tensors, attributes, shapes and metadata.
//!
//! These helpers work on any ONNX file, not only on this crate's exports: PyTorch's exports store
//! weights in `raw_data`, other tools use the typed fields such as `float_data`, and both kinds
//! are read here.

use std::collections::HashMap;
use std::path::Path;

use prost::Message;

use crate::error::{format_dims, Error, Result};
use crate::proto::attribute_proto::AttributeType;
use crate::proto::tensor_proto::{DataLocation, DataType};
use crate::proto::tensor_shape_proto::dimension;
use crate::proto::{
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto,
};

/// Reads and decodes the ONNX model at `path`.
///
/// Errors name the path and the problem: the file is missing or unreadable, is not an ONNX
/// model (empty, or not a protobuf `ModelProto`), or has no graph or a graph without nodes.
pub fn read_model(path: &Path) -> Result<ModelProto> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let not_onnx = |problem: String| Error::NotOnnx {
        path: path.to_path_buf(),
        problem,
    };
    if bytes.is_empty() {
        return Err(not_onnx("the file is empty".to_string()));
    }

    let model = ModelProto::decode(bytes.as_slice())
        .map_err(|error| not_onnx(format!("protobuf decoding failed ({error})")))?;
    // Protobuf decoding accepts many byte strings that are not models, as unknown fields.
    if model.ir_version.is_none() && model.graph.is_none() {
        return Err(not_onnx(
            "the file has neither an IR version nor a graph".to_string(),
        ));
    }

    let empty_graph = |problem: &str| Error::EmptyGraph {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    };
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| empty_graph("no graph"))?;
    if graph.node.is_empty() {
        return Err(empty_graph("the graph has no nodes"));
    }

    tracing::debug!(
        path = %path.display(),
        ir_version = model.ir_version(),
        nodes = graph.node.len(),
        initializers = graph.initializer.len(),
        "read ONNX model"
    );
    Ok(model)
}

/// Decodes the elements of a FLOAT tensor, from little-endian `raw_data` or from `float_data`.
///
/// Fails when the tensor has another data type, keeps its data in an external file, or has a
/// number of elements that does not match its dims.
pub fn tensor_f32(tensor: &TensorProto) -> Result<Vec<f32>> {
    check_data_type(tensor, DataType::Float)?;
    let values = match tensor.raw_data.as_deref() {
        Some(raw) => decode_raw(tensor, raw, f32::from_le_bytes)?,
        None => tensor.float_data.clone(),
    };
    check_element_count(tensor, values.len())?;
    Ok(values)
}

/// Decodes the elements of an INT64 tensor, from little-endian `raw_data` or from `int64_data`.
///
/// Fails when the tensor has another data type, keeps its data in an external file, or has a
/// number of elements that does not match its dims.
pub fn tensor_i64(tensor: &TensorProto) -> Result<Vec<i64>> {
    check_data_type(tensor, DataType::Int64)?;
    let values = match tensor.raw_data.as_deref() {
        Some(raw) => decode_raw(tensor, raw, i64::from_le_bytes)?,
        None => tensor.int64_data.clone(),
    };
    check_element_count(tensor, values.len())?;
    Ok(values)
}

/// Finds the attribute called `name` on `node`.
pub fn attribute<'a>(node: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    node.attribute
        .iter()
        .find(|attribute| attribute.name() == name)
}

/// Returns the integer list of attribute `name`, or `None` when it is absent or of another kind.
pub fn attr_ints(node: &NodeProto, name: &str) -> Option<Vec<i64>> {
    let attribute = attribute(node, name)?;
    has_kind(attribute, AttributeType::Ints).then(|| attribute.ints.clone())
}

/// Returns the integer of attribute `name`, or `None` when it is absent or of another kind.
pub fn attr_int(node: &NodeProto, name: &str) -> Option<i64> {
    let attribute = attribute(node, name)?;
    has_kind(attribute, AttributeType::Int).then_some(attribute.i?)
}

/// Returns the float of attribute `name`, or `None` when it is absent or of another kind.
pub fn attr_float(node: &NodeProto, name: &str) -> Option<f32> {
    let attribute = attribute(node, name)?;
    has_kind(attribute, AttributeType::Float).then_some(attribute.f?)
}

/// Returns the string of attribute `name`, such as `auto_pad`, or `None` when it is absent, of
/// another kind or not UTF-8.
pub fn attr_string(node: &NodeProto, name: &str) -> Option<String> {
    let attribute = attribute(node, name)?;
    if !has_kind(attribute, AttributeType::String) {
        return None;
    }
    String::from_utf8(attribute.s.clone()?).ok()
}

/// Maps each initializer name of `graph` to its tensor.
pub fn initializers(graph: &GraphProto) -> HashMap<&str, &TensorProto> {
    graph
        .initializer
        .iter()
        .map(|tensor| (tensor.name(), tensor))
        .collect()
}

/// Size of one axis of a value's shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dim {
    /// Known size.
    Fixed(i64),
    /// Size given by a name such as `N` or `batch`, bound when the model runs.
    Symbolic(String),
    /// Size neither fixed nor named.
    Unknown,
}

/// Returns the shape of a tensor value, or `None` when the value has no tensor type or no shape.
pub fn value_info_shape(value_info: &ValueInfoProto) -> Option<Vec<Dim>> {
    let type_proto::Value::TensorType(tensor) = value_info.r#type.as_ref()?.value.as_ref()?;
    let shape = tensor.shape.as_ref()?;
    let dims = shape.dim.iter().map(|dim| match &dim.value {
        Some(dimension::Value::DimValue(size)) => Dim::Fixed(*size),
        Some(dimension::Value::DimParam(name)) if !name.is_empty() => Dim::Symbolic(name.clone()),
        _ => Dim::Unknown,
    });
    Some(dims.collect())
}

/// Returns the shape of a tensor value, outermost axis first.
///
/// A value without a tensor type or shape gives an empty list, like a scalar does. Use
/// [`value_info_shape`] to tell the two apart.
pub fn value_info_dims(value_info: &ValueInfoProto) -> Vec<Dim> {
    value_info_shape(value_info).unwrap_or_default()
}

/// Returns the model's `metadata_props` as a map. A repeated key keeps its last value.
pub fn metadata(model: &ModelProto) -> HashMap<String, String> {
    let entries = model.metadata_props.iter();
    entries
        .map(|entry| (entry.key().to_string(), entry.value().to_string()))
        .collect()
}

/// Returns the version of the default ONNX operator set (`""` or `ai.onnx`) that the model
/// imports, or `None` when it imports none.
pub fn opset_version(model: &ModelProto) -> Option<i64> {
    let mut default_domain = model
        .opset_import
        .iter()
        .filter(|opset| matches!(opset.domain(), "" | "ai.onnx"));
    default_domain.next().map(|opset| opset.version())
}

/// Returns whether `attribute` stores a value of `kind`. Attributes from IR version 1 have no
/// type, and are accepted for any kind.
fn has_kind(attribute: &AttributeProto, kind: AttributeType) -> bool {
    attribute.r#type.is_none() || attribute.r#type() == kind
}

/// Returns the ONNX name of a data type code, such as `FLOAT` or `INT64`.
fn data_type_name(code: i32) -> String {
    match DataType::try_from(code) {
        Ok(data_type) => format!("{data_type:?}").to_uppercase(),
        Err(_) => format!("unknown data type {code}"),
    }
}

fn tensor_error(tensor: &TensorProto, problem: String) -> Error {
    Error::TensorData {
        tensor: tensor.name().to_string(),
        problem,
    }
}

fn check_data_type(tensor: &TensorProto, expected: DataType) -> Result<()> {
    if tensor.data_location() == DataLocation::External {
        let problem = "its data is in an external file, which this reader does not support. \
                       Save the model with its data inside the .onnx file";
        return Err(tensor_error(tensor, problem.to_string()));
    }
    if tensor.data_type() != expected as i32 {
        let problem = format!(
            "expected data type {}, found {}",
            data_type_name(expected as i32),
            data_type_name(tensor.data_type())
        );
        return Err(tensor_error(tensor, problem));
    }
    Ok(())
}

/// Splits `raw` into little-endian values of `N` bytes each.
fn decode_raw<T, const N: usize>(
    tensor: &TensorProto,
    raw: &[u8],
    from_le_bytes: fn([u8; N]) -> T,
) -> Result<Vec<T>> {
    let chunks = raw.chunks_exact(N);
    if !chunks.remainder().is_empty() {
        let problem = format!("raw_data has {} bytes, not a multiple of {N}", raw.len());
        return Err(tensor_error(tensor, problem));
    }
    let values = chunks.map(|chunk| {
        let mut bytes = [0u8; N];
        bytes.copy_from_slice(chunk);
        from_le_bytes(bytes)
    });
    Ok(values.collect())
}

fn check_element_count(tensor: &TensorProto, found: usize) -> Result<()> {
    let dims = format_dims(&tensor.dims);
    let count = tensor.dims.iter().try_fold(1usize, |product, &dim| {
        product.checked_mul(usize::try_from(dim).ok()?)
    });
    match count {
        Some(expected) if expected == found => Ok(()),
        Some(expected) => Err(tensor_error(
            tensor,
            format!("has {found} elements, expected {expected} for dims {dims}"),
        )),
        None => Err(tensor_error(tensor, format!("invalid dims {dims}"))),
    }
}
