//! Errors of every runtime, one line each, naming the runtime and the file involved.

use std::path::PathBuf;

use crate::RuntimeKind;

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Failure to load or run a graph.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model file could not be read. The message contains the file system's error, so
    /// that error is not also exposed as the source, which would print it twice.
    #[error("{}: {}", path.display(), read_problem(error))]
    Io {
        /// Runtime that was asked to load the file.
        runtime: RuntimeKind,
        /// Model file.
        path: PathBuf,
        /// Error from the file system.
        error: std::io::Error,
    },

    /// The file is not an ONNX model, or its graph is not one this crate can run.
    #[error("{runtime}: invalid model {}: {message}", path.display())]
    InvalidModel {
        /// Runtime that rejected the model.
        runtime: RuntimeKind,
        /// Model file.
        path: PathBuf,
        /// Description of the problem.
        message: String,
    },

    /// The graph uses an operator that the runtime does not implement.
    #[error(
        "{runtime}: cannot load {}: not supported by this runtime: {op} (node `{node}`)",
        path.display()
    )]
    Unsupported {
        /// Runtime that lacks the operator.
        runtime: RuntimeKind,
        /// Model file.
        path: PathBuf,
        /// Name of the first node that uses the operator.
        node: String,
        /// ONNX operator type, for example `ConvTranspose`.
        op: String,
    },

    /// The ONNX Runtime shared library was not found or could not be loaded.
    #[error("ort: {message}")]
    Library {
        /// Library file involved, when one was found or requested.
        path: Option<PathBuf>,
        /// Failure and the way to get the library.
        message: String,
    },

    /// The requested device is not usable by this runtime.
    #[error("{runtime}: cannot run {} on {device}: {reason}", path.display())]
    Device {
        /// Runtime that rejected the device.
        runtime: RuntimeKind,
        /// Model file.
        path: PathBuf,
        /// Requested device, for example `cuda:0`.
        device: String,
        /// Reason the device is not usable.
        reason: String,
    },

    /// The load options are invalid for this runtime or this graph.
    #[error("{runtime}: invalid options for {}: {message}", path.display())]
    InvalidOptions {
        /// Runtime that rejected the options.
        runtime: RuntimeKind,
        /// Model file.
        path: PathBuf,
        /// Invalid option and the reason.
        message: String,
    },

    /// The input tensor does not fit the graph input.
    #[error("{runtime}: invalid input for {}: {message}", path.display())]
    InvalidInput {
        /// Runtime that rejected the input.
        runtime: RuntimeKind,
        /// Model file.
        path: PathBuf,
        /// Shape expected and found.
        message: String,
    },

    /// The runtime failed while building or running the graph.
    #[error("{runtime}: failed to run {}: {message}", path.display())]
    Run {
        /// Runtime that failed.
        runtime: RuntimeKind,
        /// Model file.
        path: PathBuf,
        /// Error reported by the runtime.
        message: String,
    },

    /// A tensor whose data does not match its shape, or a slice outside it.
    #[error("invalid tensor: {message}")]
    InvalidTensor {
        /// Shape and length involved.
        message: String,
    },

    /// The runtime was not compiled into this build.
    #[error("{runtime} is not available in this build: {hint}")]
    NotCompiled {
        /// Runtime that is missing.
        runtime: RuntimeKind,
        /// Cargo feature or setup step that adds it.
        hint: String,
    },

    /// A runtime name or device name that cannot be parsed.
    #[error("invalid {kind} `{value}`: expected {expected}")]
    Parse {
        /// Kind of name, `runtime` or `device`.
        kind: &'static str,
        /// Text that was given.
        value: String,
        /// Accepted forms.
        expected: &'static str,
    },
}

/// Describes a failed read of a model file and what to do about it.
fn read_problem(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => {
            "file not found; pass an existing ONNX model with --model".to_string()
        }
        _ => format!("cannot read the model ({error}); check the path and its permissions"),
    }
}
