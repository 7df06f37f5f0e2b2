//! Counts of subnormal floats in a graph's weights and in the intermediate values of a run.
//!
//! A float32 is subnormal when it is nonzero and its magnitude is below `f32::MIN_POSITIVE`
//! (2^-126, about 1.18e-38). Arithmetic on such values takes a slow path on x86_64 CPUs unless
//! FTZ and DAZ are set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ae_runtime::denormal::DenormalGuard;
use serde::{Deserialize, Serialize};
use tract_onnx::pb;
use tract_onnx::prelude::{
    tvec, DatumType, Framework, InferenceModelExt, IntoRunnable, IntoTValue, OutletId, TDim,
    Tensor, ToDim,
};
use tract_onnx::tract_core::internal::DimLike;
use tract_onnx::tract_core::ops::source::TypedSource;

use crate::{Error, Result};

/// ONNX `TensorProto.DataType` code of float32.
const ONNX_FLOAT: i32 = 1;

/// Number of values and of subnormal values in one tensor or graph value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCount {
    /// Initializer name, or node name and operator for an intermediate value.
    pub name: String,
    /// Float32 values counted.
    pub values: u64,
    /// Subnormal values among them.
    pub subnormal: u64,
}

/// Subnormal weights of one ONNX file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightCount {
    /// ONNX file.
    pub path: PathBuf,
    /// Float32 weights in initializers and `Constant` nodes.
    pub values: u64,
    /// Subnormal weights among them.
    pub subnormal: u64,
    /// Tensors that contain at least one subnormal weight, in graph order.
    pub tensors: Vec<NamedCount>,
}

/// Subnormal intermediate values of a graph run on a set of images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationCount {
    /// ONNX file.
    pub path: PathBuf,
    /// Number of images run.
    pub images: usize,
    /// Float32 values computed from the input by all nodes, graph outputs included.
    pub values: u64,
    /// Subnormal values among them.
    pub subnormal: u64,
    /// Every node's output, in evaluation order.
    pub nodes: Vec<NamedCount>,
}

/// Counts the subnormal float32 weights in the initializers and `Constant` nodes of the ONNX
/// file at `path`.
pub fn count_weights(path: &Path) -> Result<WeightCount> {
    let onnx_error = |message: String| Error::Onnx {
        path: path.to_path_buf(),
        message,
    };
    let proto = tract_onnx::onnx()
        .proto_model_for_path(path)
        .map_err(|error| onnx_error(format!("{error:#}")))?;
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| onnx_error("the file has no graph".into()))?;

    let constants = graph
        .node
        .iter()
        .filter(|node| node.op_type == "Constant")
        .flat_map(|node| {
            node.attribute
                .iter()
                .filter_map(|attribute| attribute.t.as_ref())
        });
    let mut count = WeightCount {
        path: path.to_path_buf(),
        values: 0,
        subnormal: 0,
        tensors: Vec::new(),
    };
    for tensor in graph.initializer.iter().chain(constants) {
        if tensor.data_type != ONNX_FLOAT {
            continue;
        }
        let values = float_values(tensor).map_err(onnx_error)?;
        let subnormal = count_subnormal(&values);
        count.values += values.len() as u64;
        count.subnormal += subnormal;
        if subnormal > 0 {
            count.tensors.push(NamedCount {
                name: tensor.name.clone(),
                values: values.len() as u64,
                subnormal,
            });
        }
    }
    Ok(count)
}

/// Decodes a float32 tensor stored in `raw_data` (little-endian) or `float_data`.
fn float_values(tensor: &pb::TensorProto) -> std::result::Result<Vec<f32>, String> {
    if tensor.data_location == Some(1) {
        return Err(format!(
            "tensor `{}` is stored in an external file, which this count does not read",
            tensor.name
        ));
    }
    if tensor.raw_data.is_empty() {
        return Ok(tensor.float_data.clone());
    }
    if !tensor.raw_data.len().is_multiple_of(4) {
        return Err(format!(
            "tensor `{}` has {} bytes of raw data, not a multiple of 4",
            tensor.name,
            tensor.raw_data.len()
        ));
    }
    Ok(tensor
        .raw_data
        .chunks_exact(4)
        .map(|bytes| f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
        .collect())
}

/// Number of subnormal values in `values`.
pub fn count_subnormal(values: &[f32]) -> u64 {
    values.iter().filter(|value| value.is_subnormal()).count() as u64
}

/// Runs the graph at `path` with tract on `images` (`image_len` values each, back to back) in
/// batches of `batch`, and counts the subnormal values that every node computes.
///
/// The graph is typed but not optimized, so that nodes keep their ONNX names and no operators
/// are fused. Only values that depend on the input count, so weight reshapes are left out. Runs keep subnormals (FTZ and DAZ cleared), but tract-linalg 0.23.9's x86_64
/// assembly kernels set DAZ while they run, so they still read subnormal inputs as zero.
pub fn count_activations(
    path: &Path,
    images: &[f32],
    image_len: usize,
    batch: usize,
) -> Result<ActivationCount> {
    let tract_error = |error: tract_onnx::prelude::TractError| Error::Onnx {
        path: path.to_path_buf(),
        message: format!("{error:#}"),
    };
    let image_count = images.len() / image_len.max(1);
    let batch = batch.clamp(1, image_count.max(1));

    let model = tract_onnx::onnx()
        .model_for_path(path)
        .and_then(|model| model.into_typed())
        .map_err(tract_error)?;
    let input_shape: Vec<TDim> = model
        .input_fact(0)
        .map_err(tract_error)?
        .shape
        .iter()
        .cloned()
        .collect();

    // Binds the batch symbol: this project's exports also declare it in intermediate values.
    let mut bindings = HashMap::new();
    for dim in &input_shape[..1] {
        if let TDim::Sym(symbol) = dim {
            bindings.insert(symbol.clone(), batch.to_dim());
        }
    }
    let mut model = model.set_symbols(&bindings).map_err(tract_error)?;

    // Nodes that only transform weights, such as the kernel reshapes of a typed
    // ConvTranspose, depend on constants alone. They are not activations, so they are skipped.
    let mut depends_on_input = vec![false; model.nodes().len()];
    for &node_id in &model.eval_order().map_err(tract_error)? {
        let node = model.node(node_id);
        depends_on_input[node_id] = node.op_is::<TypedSource>()
            || node.inputs.iter().any(|input| depends_on_input[input.node]);
    }
    let outlets: Vec<OutletId> = model
        .nodes()
        .iter()
        .filter(|node| depends_on_input[node.id] && !node.op_is::<TypedSource>())
        .flat_map(|node| (0..node.outputs.len()).map(move |slot| OutletId::new(node.id, slot)))
        .collect();
    let names: Vec<String> = outlets
        .iter()
        .map(|outlet| {
            let node = model.node(outlet.node);
            format!("{} ({})", node.name, node.op.name())
        })
        .collect();
    model.select_output_outlets(&outlets).map_err(tract_error)?;
    let plan = model.into_runnable().map_err(tract_error)?;

    let mut input_dims: Vec<usize> = vec![batch];
    for dim in &input_shape[1..] {
        let size = dim.to_usize().map_err(|error| tract_error(error.into()))?;
        input_dims.push(size);
    }
    let batch_len = batch * image_len;
    let mut counts: Vec<NamedCount> = names
        .into_iter()
        .map(|name| NamedCount {
            name,
            values: 0,
            subnormal: 0,
        })
        .collect();

    let _keep = DenormalGuard::keep();
    let mut images_run = 0;
    for chunk in images.chunks_exact(batch_len) {
        let input = Tensor::from_shape(&input_dims, chunk).map_err(tract_error)?;
        let outputs = plan.run(tvec![input.into_tvalue()]).map_err(tract_error)?;
        for (count, output) in counts.iter_mut().zip(outputs.iter()) {
            if output.datum_type() != DatumType::F32 {
                continue;
            }
            let values = output.to_plain_array_view::<f32>().map_err(tract_error)?;
            count.values += values.len() as u64;
            count.subnormal += values.iter().filter(|value| value.is_subnormal()).count() as u64;
        }
        images_run += batch;
    }

    counts.retain(|count| count.values > 0);
    Ok(ActivationCount {
        path: path.to_path_buf(),
        images: images_run,
        values: counts.iter().map(|count| count.values).sum(),
        subnormal: counts.iter().map(|count| count.subnormal).sum(),
        nodes: counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormal_bounds() {
        let values = [
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            f32::MIN_POSITIVE / 2.0,
            -f32::MIN_POSITIVE / 2.0,
            1.0e-45,
            1.0,
            f32::NAN,
        ];
        assert_eq!(count_subnormal(&values), 3);
    }

    #[test]
    fn raw_and_float_data_decode_alike() {
        let values = [1.5f32, -2.0e-39, 0.0];
        let raw = pb::TensorProto {
            name: "raw".into(),
            data_type: ONNX_FLOAT,
            raw_data: values
                .iter()
                .flat_map(|value| value.to_le_bytes())
                .collect(),
            ..pb::TensorProto::default()
        };
        let float = pb::TensorProto {
            name: "float".into(),
            data_type: ONNX_FLOAT,
            float_data: values.to_vec(),
            ..pb::TensorProto::default()
        };
        assert_eq!(float_values(&raw).unwrap(), values);
        assert_eq!(float_values(&float).unwrap(), values);

        let truncated = pb::TensorProto {
            raw_data: vec![0; 5],
            ..raw
        };
        assert!(float_values(&truncated)
            .unwrap_err()
            .contains("not a multiple of 4"));
    }
}
