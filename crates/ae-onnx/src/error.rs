//! The error type of this crate.

use std::io;
use std::path::PathBuf;

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Failure to build, write, read or interpret an ONNX model.
///
/// The `Display` text is one line that names the layer, tensor or file involved, the problem and,
/// where there is one, what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A graph description is inconsistent as a whole, for example it has no layers or two
    /// layers share a name.
    #[error("graph `{graph}`: {problem}")]
    InvalidSpec { graph: String, problem: String },

    /// A layer's input shape does not fit the layer, so the layer chain is mismatched.
    #[error(
        "layer `{layer}` ({op}): expected input shape {expected}, found {found}. \
         Check that the previous layer produces the shape this layer takes"
    )]
    InputShape {
        layer: String,
        op: &'static str,
        expected: String,
        found: String,
    },

    /// A layer's weight or bias has a different number of values than its shape needs.
    #[error(
        "layer `{layer}` ({op}): {parameter} has {found} values, expected {expected} \
         for shape {shape}"
    )]
    ParameterLength {
        layer: String,
        op: &'static str,
        parameter: &'static str,
        shape: String,
        expected: usize,
        found: usize,
    },

    /// A layer's hyper-parameters are invalid, for example a zero stride or a kernel larger than
    /// the padded input.
    #[error("layer `{layer}` ({op}): {problem}")]
    InvalidLayer {
        layer: String,
        op: &'static str,
        problem: String,
    },

    /// Reading a model file failed.
    #[error("{}: failed to read the ONNX model: {source}. Check the path", path.display())]
    Read { path: PathBuf, source: io::Error },

    /// A file is not an ONNX model.
    #[error(
        "{}: not an ONNX model: {problem}. Pass a .onnx file written by ae-train or \
         torch.onnx.export",
        path.display()
    )]
    NotOnnx { path: PathBuf, problem: String },

    /// An ONNX model has no graph or a graph without nodes.
    #[error(
        "{}: the ONNX model has an empty graph ({problem}). Export the model again",
        path.display()
    )]
    EmptyGraph { path: PathBuf, problem: String },

    /// Writing a model file failed; the inner error names the path.
    #[error(transparent)]
    Write(#[from] ae_data::Error),

    /// A node cannot be converted into a layer: its operator, attributes or place in the graph
    /// have no matching [`crate::Layer`].
    #[error("node `{node}` ({op}): not supported as a layer: {problem}")]
    Unsupported {
        node: String,
        op: String,
        problem: String,
    },

    /// A tensor's data cannot be read as the requested element type.
    #[error("tensor `{tensor}`: {problem}")]
    TensorData { tensor: String, problem: String },
}

/// Formats a shape without its batch axis as `[N, d1, d2, ...]`.
pub(crate) fn format_batched(dims: &[usize]) -> String {
    let mut parts = vec!["N".to_string()];
    parts.extend(dims.iter().map(|dim| dim.to_string()));
    format!("[{}]", parts.join(", "))
}

/// Formats a shape as `[d1, d2, ...]`.
pub(crate) fn format_dims<T: std::fmt::Display>(dims: &[T]) -> String {
    let parts: Vec<String> = dims.iter().map(|dim| dim.to_string()).collect();
    format!("[{}]", parts.join(", "))
}
