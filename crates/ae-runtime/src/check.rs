//! Checks that [`crate::load`] runs before any runtime reads the file: the load options, and the
//! attributes of every Conv and ConvTranspose node.
//!
//! Runtimes trust these attributes. A huge pad makes them allocate terabytes and abort, and a
//! zero stride divides by zero inside tract, so a crafted file must fail here with an error.

use std::path::Path;

use ae_onnx::proto::{GraphProto, ModelProto, NodeProto};

use crate::{Error, LoadOptions, Result, RuntimeKind};

/// Largest thread count that [`LoadOptions::threads`] accepts.
pub(crate) const MAX_THREADS: usize = 1024;

/// Rejects a thread count of zero or above [`MAX_THREADS`].
pub(crate) fn check_options(kind: RuntimeKind, path: &Path, options: &LoadOptions) -> Result<()> {
    match options.threads {
        Some(threads) if threads == 0 || threads > MAX_THREADS => Err(Error::InvalidOptions {
            runtime: kind,
            path: path.to_path_buf(),
            message: format!("threads is {threads}; pass a count from 1 to {MAX_THREADS}"),
        }),
        _ => Ok(()),
    }
}

/// Reads the ONNX model at `path` and checks its convolution attributes.
pub(crate) fn check_model(kind: RuntimeKind, path: &Path) -> Result<ModelProto> {
    let invalid = |message: String| Error::InvalidModel {
        runtime: kind,
        path: path.to_path_buf(),
        message,
    };
    let model = ae_onnx::read_model(path).map_err(|error| match error {
        ae_onnx::Error::Read { source, .. } => Error::Io {
            runtime: kind,
            path: path.to_path_buf(),
            error: source,
        },
        ae_onnx::Error::NotOnnx { problem, .. } => invalid(format!(
            "not an ONNX model: {problem}; pass a .onnx file written by ae-train or \
             torch.onnx.export"
        )),
        ae_onnx::Error::EmptyGraph { problem, .. } => invalid(format!(
            "the graph is empty ({problem}); export the model again"
        )),
        other => invalid(other.to_string()),
    })?;
    if let Some(graph) = &model.graph {
        for node in &graph.node {
            let default_domain = matches!(node.domain(), "" | "ai.onnx");
            if default_domain && matches!(node.op_type(), "Conv" | "ConvTranspose") {
                check_convolution(node, graph).map_err(|problem| {
                    invalid(format!("node \"{}\": {problem}", node_label(node)))
                })?;
            }
        }
    }
    Ok(model)
}

/// Checks one Conv or ConvTranspose node against the ONNX rules that keep its output finite.
///
/// Strides, dilations and group must be positive. Each pad runs from 0 to one less than the
/// kernel along its axis, output_padding stays below the stride, and kernel_shape equals the
/// weight's kernel.
fn check_convolution(node: &NodeProto, graph: &GraphProto) -> Result<(), String> {
    let weight = weight_dims(node, graph);
    let kernel_shape = ae_onnx::attr_ints(node, "kernel_shape");
    let weight_kernel = weight
        .as_ref()
        .filter(|dims| dims.len() > 2)
        .map(|dims| dims[2..].to_vec());
    let kernel = match (&kernel_shape, &weight_kernel) {
        (Some(attribute), Some(from_weight)) if attribute != from_weight => {
            return Err(format!(
                "kernel_shape {attribute:?} disagrees with the weight's kernel ({})",
                format_kernel(from_weight)
            ));
        }
        (Some(kernel), _) | (None, Some(kernel)) => Some(kernel.clone()),
        (None, None) => None,
    };
    if let Some(kernel) = &kernel {
        if kernel.iter().any(|&size| size < 1) {
            return Err(format!("kernel_shape {kernel:?} must be positive"));
        }
    }
    let axes = kernel.as_ref().map(Vec::len);

    let group = ae_onnx::attr_int(node, "group").unwrap_or(1);
    if group < 1 {
        return Err(format!("group {group} must be at least 1"));
    }
    let strides = positive_per_axis(node, "strides", axes)?;
    positive_per_axis(node, "dilations", axes)?;

    if let Some(pads) = ae_onnx::attr_ints(node, "pads") {
        if pads.iter().any(|&pad| pad < 0) {
            return Err(format!("pads {pads:?} must not be negative"));
        }
        match &kernel {
            Some(kernel) => {
                if pads.len() != 2 * kernel.len() {
                    return Err(format!(
                        "pads {pads:?} must have {} values, a start and an end per axis",
                        2 * kernel.len()
                    ));
                }
                let (starts, ends) = pads.split_at(kernel.len());
                let fits = |side: &[i64]| side.iter().zip(kernel).all(|(pad, size)| pad < size);
                if !fits(starts) || !fits(ends) {
                    return Err(format!(
                        "pads {pads:?} must be smaller than the kernel ({})",
                        format_kernel(kernel)
                    ));
                }
            }
            None if pads.iter().any(|&pad| pad != 0) => {
                return Err(format!(
                    "pads {pads:?} cannot be checked against the kernel: the weight is not an \
                     initializer and kernel_shape is missing"
                ));
            }
            None => {}
        }
    }

    if node.op_type() == "ConvTranspose" {
        if let Some(output_padding) = ae_onnx::attr_ints(node, "output_padding") {
            let stride_at = |axis: usize| match &strides {
                Some(strides) => strides.get(axis).copied().unwrap_or(1),
                None => 1,
            };
            let fits = output_padding
                .iter()
                .enumerate()
                .all(|(axis, &padding)| padding >= 0 && padding < stride_at(axis));
            if !fits || axes.is_some_and(|axes| output_padding.len() != axes) {
                return Err(format!(
                    "output_padding {output_padding:?} must be one value per axis from 0 to \
                     one less than the strides {:?}",
                    strides.unwrap_or_else(|| vec![1; output_padding.len()])
                ));
            }
        }
    }
    Ok(())
}

/// Reads the ints attribute `name` and checks that it has one value per axis, each at least 1.
fn positive_per_axis(
    node: &NodeProto,
    name: &str,
    axes: Option<usize>,
) -> Result<Option<Vec<i64>>, String> {
    let Some(values) = ae_onnx::attr_ints(node, name) else {
        return Ok(None);
    };
    if values.iter().any(|&value| value < 1) {
        return Err(format!("{name} {values:?} must be at least 1"));
    }
    if let Some(axes) = axes.filter(|&axes| values.len() != axes) {
        return Err(format!(
            "{name} {values:?} must have {axes} values, one per axis"
        ));
    }
    Ok(Some(values))
}

/// Returns the dims of the node's weight (input 1) when it is an initializer or the output of
/// a Constant node.
fn weight_dims(node: &NodeProto, graph: &GraphProto) -> Option<Vec<i64>> {
    let name = node.input.get(1)?;
    if let Some(tensor) = graph
        .initializer
        .iter()
        .find(|tensor| tensor.name() == name)
    {
        return Some(tensor.dims.clone());
    }
    graph
        .node
        .iter()
        .filter(|other| other.op_type() == "Constant" && other.output.contains(name))
        .find_map(|constant| ae_onnx::attribute(constant, "value")?.t.as_ref())
        .map(|tensor| tensor.dims.clone())
}

/// Formats kernel sizes as `3x3`.
fn format_kernel(kernel: &[i64]) -> String {
    let sizes: Vec<String> = kernel.iter().map(i64::to_string).collect();
    sizes.join("x")
}

/// Returns the node's name, or its first output when it has none.
fn node_label(node: &NodeProto) -> &str {
    match node.name() {
        "" => node.output.first().map_or("", String::as_str),
        name => name,
    }
}
