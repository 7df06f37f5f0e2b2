//! The tract runtime: one optimized plan per input shape, each built on first use.
//!
//! tract optimizes a graph much better when every dimension is known: with a symbolic batch,
//! convolutions fall back to slower generic kernels. So the batch is fixed with an input fact
//! before optimizing, and a run with a new input shape builds and caches a plan for it.
//!
//! tract runs on the calling thread: tract-linalg's multithreaded executor is behind its
//! `multithread-mm` feature, which this build does not enable, so [`LoadOptions::threads`] has no
//! effect here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tract_onnx::pb;
use tract_onnx::prelude::{
    tvec, Arc, DatumExt, DatumType, Framework, InferenceFact, InferenceModel, InferenceModelExt,
    IntoRunnable, IntoTValue, TValue, Tensor as TractTensor, ToDim, TractError, TypedRunnableModel,
    TypedSimpleState,
};

use crate::{Dim, Error, LoadOptions, Result, Runtime, RuntimeKind, Tensor, TensorInfo};

/// Version of tract-onnx that this crate is built against: the exact pin in the workspace
/// `Cargo.toml`, checked against `Cargo.lock` by a unit test below.
const TRACT_VERSION: &str = "0.23.9";

/// ONNX `TensorProto.DataType` code of float32.
const ONNX_FLOAT: i32 = 1;

/// A graph loaded into tract.
pub(crate) struct TractRuntime {
    path: PathBuf,
    /// Parsed graph before typing, cloned for each new input shape.
    model: InferenceModel,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
    /// Run states of the optimized plans, keyed by the full input shape they were built for. A
    /// state keeps its buffers between runs, so a run allocates less than `plan.run` would.
    states: HashMap<Vec<usize>, TypedSimpleState>,
}

impl TractRuntime {
    /// Parses the graph, checks its operators, and builds the plan for
    /// [`LoadOptions::batch`] when it is set.
    pub(crate) fn load(path: &Path, options: &LoadOptions) -> Result<TractRuntime> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            runtime: RuntimeKind::Tract,
            path: path.to_path_buf(),
            error: source,
        })?;
        let invalid = |message: String| Error::InvalidModel {
            runtime: RuntimeKind::Tract,
            path: path.to_path_buf(),
            message,
        };

        let onnx = tract_onnx::onnx();
        let proto = onnx
            .proto_model_for_read(&mut bytes.as_slice())
            .map_err(|error| invalid(format!("not an ONNX protobuf file ({error:#})")))?;
        let graph = proto
            .graph
            .as_ref()
            .ok_or_else(|| invalid("the file has no graph".into()))?;
        let (inputs, outputs) = read_graph_io(graph).map_err(invalid)?;
        check_operators(&onnx, graph, path)?;

        let model = onnx
            .model_for_proto_model(&proto)
            .map_err(|error| invalid(format!("{error:#}")))?;
        let mut runtime = TractRuntime {
            path: path.to_path_buf(),
            model,
            inputs,
            outputs,
            states: HashMap::new(),
        };

        if options.threads.is_some_and(|threads| threads > 1) {
            tracing::warn!(
                path = %path.display(),
                "tract runs on one thread, so the requested thread count is ignored"
            );
        }
        if !matches!(options.device, crate::Device::Cpu) {
            return Err(Error::Device {
                runtime: RuntimeKind::Tract,
                path: path.to_path_buf(),
                device: options.device.to_string(),
                reason: "tract runs on the CPU only, so use the ort or candle runtime for CUDA"
                    .into(),
            });
        }

        match options.batch {
            Some(batch) => {
                let shape = runtime.shape_for_batch(batch)?;
                runtime.state_for(&shape)?;
            }
            // Type the graph once with its symbolic batch, so that a graph tract cannot run is
            // rejected at load time and not on the first run.
            None => {
                runtime
                    .model
                    .clone()
                    .into_typed()
                    .map_err(|error| runtime.run_error(error))?;
            }
        }
        Ok(runtime)
    }

    /// Returns the input shape for `batch`, which needs every other input dimension fixed.
    fn shape_for_batch(&self, batch: usize) -> Result<Vec<usize>> {
        let invalid = |message: String| Error::InvalidOptions {
            runtime: RuntimeKind::Tract,
            path: self.path.clone(),
            message,
        };
        if batch == 0 {
            return Err(invalid("batch size 0 is invalid: use 1 or more".into()));
        }

        let input = &self.inputs[0];
        let mut shape = vec![batch];
        for dim in &input.dims[1..] {
            match dim {
                Dim::Fixed(size) => shape.push(*size),
                Dim::Symbolic(name) => {
                    return Err(invalid(format!(
                        "cannot prepare a batch at load time because dimension `{name}` of \
                         input {input} is symbolic, so leave the batch unset"
                    )))
                }
            }
        }
        if let Dim::Fixed(fixed) = input.dims[0] {
            if fixed != batch {
                return Err(invalid(format!(
                    "batch size {batch} does not match the fixed batch of input {input}"
                )));
            }
        }
        Ok(shape)
    }

    /// Returns the run state for `shape`, building the plan and its state first if needed.
    fn state_for(&mut self, shape: &[usize]) -> Result<&mut TypedSimpleState> {
        if !self.states.contains_key(shape) {
            let plan = self.build_plan(shape)?;
            let state = TypedSimpleState::new(&plan).map_err(|error| self.run_error(error))?;
            self.states.insert(shape.to_vec(), state);
        }
        Ok(self
            .states
            .get_mut(shape)
            .expect("the state for this shape was inserted above"))
    }

    /// Builds the optimized plan for the input shape `shape`.
    fn build_plan(&self, shape: &[usize]) -> Result<Arc<TypedRunnableModel>> {
        tracing::debug!(path = %self.path.display(), ?shape, "building tract plan");
        let mut model = self.model.clone();

        // Intermediate value infos, as this project's exporter writes them, declare the batch
        // symbol too, so tract could not unify them with a fixed input size. Binding the input's
        // symbols to their sizes throughout the graph resolves that.
        let mut bindings = HashMap::new();
        for (dim, &size) in self.inputs[0].dims.iter().zip(shape) {
            if let Dim::Symbolic(name) = dim {
                bindings.insert(model.symbols.sym(name), size.to_dim());
            }
        }
        let fact: InferenceFact = f32::fact(shape).into();
        let plan = model
            .set_symbols(&bindings)
            .and_then(|()| model.with_input_fact(0, fact))
            .and_then(|model| model.into_optimized())
            .and_then(|model| model.into_runnable())
            .map_err(|error| self.run_error(error))?;
        Ok(plan)
    }

    fn run_error(&self, error: impl Into<TractError>) -> Error {
        Error::Run {
            runtime: RuntimeKind::Tract,
            path: self.path.clone(),
            message: format!("{:#}", error.into()),
        }
    }
}

impl Runtime for TractRuntime {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Tract
    }

    fn version(&self) -> String {
        format!("tract {TRACT_VERSION}")
    }

    fn device(&self) -> String {
        "cpu".into()
    }

    fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    fn run(&mut self, input: &Tensor) -> Result<Vec<Tensor>> {
        self.inputs[0]
            .check_input(input)
            .map_err(|message| Error::InvalidInput {
                runtime: RuntimeKind::Tract,
                path: self.path.clone(),
                message,
            })?;

        let tensor = TractTensor::from_shape(&input.shape, &input.data)
            .map_err(|error| self.run_error(error))?;
        let state = self.state_for(&input.shape)?;
        let results = match state.run(tvec![tensor.into_tvalue()]) {
            Ok(results) => results,
            Err(error) => {
                // A failed run may leave values behind, so the next run starts from a new state.
                self.states.remove(&input.shape);
                return Err(self.run_error(error));
            }
        };

        results.iter().map(|value| self.to_tensor(value)).collect()
    }
}

impl TractRuntime {
    fn to_tensor(&self, value: &TValue) -> Result<Tensor> {
        let found = value.datum_type();
        if found != DatumType::F32 {
            return Err(Error::Run {
                runtime: RuntimeKind::Tract,
                path: self.path.clone(),
                message: format!("an output has element type {found:?}, expected f32"),
            });
        }
        let view = value
            .to_plain_array_view::<f32>()
            .map_err(|error| self.run_error(error))?;
        Ok(Tensor {
            shape: view.shape().to_vec(),
            data: view.iter().copied().collect(),
        })
    }
}

/// Reads the declared inputs and outputs of `graph`: one float32 input, one or more float32
/// outputs, each with a declared shape.
fn read_graph_io(
    graph: &pb::GraphProto,
) -> std::result::Result<(Vec<TensorInfo>, Vec<TensorInfo>), String> {
    // Files older than IR version 4 also list initializers as graph inputs.
    let inputs: Vec<TensorInfo> = graph
        .input
        .iter()
        .filter(|value| !graph.initializer.iter().any(|init| init.name == value.name))
        .map(|value| tensor_info(value, "input"))
        .collect::<std::result::Result<_, _>>()?;
    let outputs: Vec<TensorInfo> = graph
        .output
        .iter()
        .map(|value| tensor_info(value, "output"))
        .collect::<std::result::Result<_, _>>()?;

    if inputs.len() != 1 {
        return Err(format!(
            "the graph has {} inputs, expected exactly 1",
            inputs.len()
        ));
    }
    if inputs[0].dims.is_empty() {
        return Err(format!(
            "input {} is a scalar, expected a batch dimension",
            inputs[0]
        ));
    }
    if outputs.is_empty() {
        return Err("the graph has no outputs".into());
    }
    Ok((inputs, outputs))
}

fn tensor_info(value: &pb::ValueInfoProto, role: &str) -> std::result::Result<TensorInfo, String> {
    let name = &value.name;
    let Some(pb::type_proto::Value::TensorType(tensor)) =
        value.r#type.as_ref().and_then(|kind| kind.value.as_ref())
    else {
        return Err(format!("{role} `{name}` is not a tensor"));
    };
    if tensor.elem_type != ONNX_FLOAT {
        return Err(format!(
            "{role} `{name}` has ONNX element type {}, expected float32 (1)",
            tensor.elem_type
        ));
    }
    let shape = tensor
        .shape
        .as_ref()
        .ok_or_else(|| format!("{role} `{name}` has no shape"))?;

    let dims = shape.dim.iter().map(dim_from_proto).collect();
    Ok(TensorInfo {
        name: name.clone(),
        dims,
    })
}

/// Converts one declared dimension. An unnamed unknown dimension becomes `Symbolic("?")`.
fn dim_from_proto(dim: &pb::tensor_shape_proto::Dimension) -> Dim {
    use pb::tensor_shape_proto::dimension::Value;
    match &dim.value {
        Some(Value::DimValue(size)) if *size >= 0 => Dim::Fixed(*size as usize),
        Some(Value::DimParam(name)) if !name.is_empty() => Dim::Symbolic(name.clone()),
        _ => Dim::Symbolic("?".into()),
    }
}

/// Rejects the first node whose operator tract-onnx does not register.
fn check_operators(onnx: &tract_onnx::Onnx, graph: &pb::GraphProto, path: &Path) -> Result<()> {
    for node in &graph.node {
        let default_domain = node.domain.is_empty() || node.domain == "ai.onnx";
        if !default_domain || !onnx.op_register.0.contains_key(&node.op_type) {
            let op = if default_domain {
                node.op_type.clone()
            } else {
                format!("{}.{}", node.domain, node.op_type)
            };
            return Err(Error::Unsupported {
                runtime: RuntimeKind::Tract,
                path: path.to_path_buf(),
                node: node.name.clone(),
                op,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::TRACT_VERSION;

    #[test]
    fn tract_version_matches_lockfile() {
        let lockfile = include_str!("../../../Cargo.lock");
        let entry = format!("name = \"tract-onnx\"\nversion = \"{TRACT_VERSION}\"");
        assert!(
            lockfile.contains(&entry),
            "Cargo.lock does not pin tract-onnx {TRACT_VERSION}"
        );
    }
}
