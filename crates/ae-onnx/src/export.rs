//! Export of a [`GraphSpec`] as an ONNX model, and atomic writing of model files.
//!
//! The exported graph uses opset 17 of the default domain and IR version 8, float32 tensors,
//! and a symbolic batch dimension `N` on every input and output. Each layer becomes one node
//! named `<layer>/<op type>`, its weights become initializers `<layer>.weight` and
//! `<layer>.bias`, and its output is the tensor `<layer>.out` unless it is a graph output.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use prost::Message;

use crate::error::{Error, Result};
use crate::nodes::{float_value_info, identity_node, layer_nodes};
use crate::proto::{GraphProto, ModelProto, OperatorSetIdProto, StringStringEntryProto};
use crate::shape::{check_dims, layer_output_dims};
use crate::spec::GraphSpec;

/// IR version of exported models.
pub const IR_VERSION: i64 = 8;
/// Version of the default-domain operator set that exported models import.
pub const OPSET_VERSION: i64 = 17;
/// Name of the symbolic batch dimension on every graph input and output.
pub const BATCH_DIM: &str = "N";

/// Builds an ONNX model from `spec`, inferring and checking each layer's shape on the way.
///
/// Every graph output and intermediate tensor gets a value info with its full shape. Errors name
/// the layer whose input shape, parameters or hyper-parameters do not fit, or the name that is
/// missing or used twice.
pub fn build_model(spec: &GraphSpec) -> Result<ModelProto> {
    spec.check_names()?;
    let invalid = |problem: String| Error::InvalidSpec {
        graph: spec.graph_name.clone(),
        problem,
    };
    check_dims(&spec.input.dims).map_err(|problem| invalid(format!("input {problem}")))?;

    let mut graph = GraphProto {
        name: Some(spec.graph_name.clone()),
        input: vec![float_value_info(
            &spec.input.name,
            BATCH_DIM,
            &spec.input.dims,
        )],
        ..Default::default()
    };
    let mut output_dims: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut current_name = spec.input.name.clone();
    let mut current_dims = spec.input.dims.clone();

    for (index, named) in spec.layers.iter().enumerate() {
        let dims = layer_output_dims(named, &current_dims)?;
        let outputs_here: Vec<&str> = spec
            .outputs
            .iter()
            .filter(|output| output.after_layer == index)
            .map(|output| output.name.as_str())
            .collect();

        // The first output after this layer names its tensor, and further ones copy it.
        let tensor_name = match outputs_here.first() {
            Some(name) => name.to_string(),
            None => format!("{}.out", named.name),
        };
        let layer = layer_nodes(named, &current_name, &tensor_name);
        graph.node.extend(layer.nodes);
        graph.initializer.extend(layer.initializers);
        for extra in outputs_here.iter().skip(1) {
            let node_name = format!("{}/Identity_{extra}", named.name);
            graph
                .node
                .push(identity_node(&node_name, &tensor_name, extra));
        }

        // Intermediate tensors get no value_info: tract 0.23.9 reads the batch symbol `N`
        // declared there as a constraint and then fails to load a graph whose input fact is
        // fixed to a concrete batch. The shapes are still checked here, layer by layer.
        for name in outputs_here {
            output_dims.insert(name, dims.clone());
        }
        tracing::debug!(layer = %named.name, op = named.layer.op_type(), ?dims, "exported layer");
        current_name = tensor_name;
        current_dims = dims;
    }

    for output in &spec.outputs {
        let dims = &output_dims[output.name.as_str()];
        graph
            .output
            .push(float_value_info(&output.name, BATCH_DIM, dims));
    }
    check_unique_tensor_names(&graph).map_err(invalid)?;

    let layer_count = spec.layers.len();
    Ok(ModelProto {
        ir_version: Some(IR_VERSION),
        producer_name: Some(spec.producer_name.clone()),
        producer_version: Some(spec.producer_version.clone()),
        doc_string: Some(format!(
            "{}: {layer_count} layers, exported by {} {}",
            spec.graph_name, spec.producer_name, spec.producer_version
        )),
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET_VERSION),
        }],
        metadata_props: spec
            .metadata
            .iter()
            .map(|(key, value)| StringStringEntryProto {
                key: Some(key.clone()),
                value: Some(value.clone()),
            })
            .collect(),
        ..Default::default()
    })
}

/// Writes `model` to `path` atomically: other readers see the old file or the whole new one.
pub fn write_model(path: &Path, model: &ModelProto) -> Result<()> {
    let bytes = model.encode_to_vec();
    ae_data::write_atomic(path, &bytes)?;
    tracing::info!(path = %path.display(), bytes = bytes.len(), "wrote ONNX model");
    Ok(())
}

/// Checks that no two graph inputs, initializers or node outputs share a name, because ONNX
/// requires each tensor name to be assigned once.
fn check_unique_tensor_names(graph: &GraphProto) -> std::result::Result<(), String> {
    let inputs = graph.input.iter().map(|input| input.name());
    let initializers = graph.initializer.iter().map(|tensor| tensor.name());
    let node_outputs = graph
        .node
        .iter()
        .flat_map(|node| node.output.iter().map(String::as_str));

    let mut seen = HashSet::new();
    for name in inputs.chain(initializers).chain(node_outputs) {
        if !seen.insert(name) {
            return Err(format!(
                "tensor name `{name}` is used twice, so rename the layer or output"
            ));
        }
    }
    Ok(())
}
