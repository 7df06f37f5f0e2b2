//! Errors of the benchmark library, one line each, naming the file or runtime involved.

use std::path::PathBuf;

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Failure to prepare, run or report a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A runtime failed to load or run a graph.
    #[error(transparent)]
    Runtime(#[from] ae_runtime::Error),

    /// The data set could not be read, or an image could not be written.
    #[error(transparent)]
    Data(#[from] ae_data::Error),

    /// The firmware's host-side encoder failed to load or run a graph.
    #[error("native encoder {}: {source}", path.display())]
    Native {
        /// Encoder graph.
        path: PathBuf,
        /// Error from ae-firmware, boxed because it is large.
        source: Box<ae_firmware::FirmwareError>,
    },

    /// A model file named on the command line or expected in the models folder is missing.
    #[error("model `{name}`: {} not found: {hint}", path.display())]
    ModelNotFound {
        /// Model name.
        name: String,
        /// Missing file.
        path: PathBuf,
        /// Next step for the user, such as the option to pass.
        hint: String,
    },

    /// A command-line value that cannot be used.
    #[error("invalid {option} `{value}`: {reason}")]
    InvalidArgument {
        /// Option name, for example `--model`.
        option: &'static str,
        /// Value given.
        value: String,
        /// Reason and accepted forms.
        reason: String,
    },

    /// A graph whose inputs or outputs the benchmark cannot use.
    #[error("{}: {message}", path.display())]
    InvalidGraph {
        /// Graph file.
        path: PathBuf,
        /// Input or output expected and found.
        message: String,
    },

    /// Outputs that cannot be compared with the input images or the reference runtime's.
    #[error("unexpected outputs: {message}")]
    Outputs {
        /// Outputs expected and found.
        message: String,
    },

    /// An ONNX file that could not be decoded while counting subnormal weights.
    #[error("failed to read ONNX file {}: {message}", path.display())]
    Onnx {
        /// ONNX file.
        path: PathBuf,
        /// Decoding error.
        message: String,
    },

    /// A result file (JSON, plot or grid) could not be written.
    #[error("failed to write {}: {message}", path.display())]
    Write {
        /// Output file.
        path: PathBuf,
        /// Error from the encoder or file system.
        message: String,
    },

    /// No TrueType font was found for the plot's text.
    #[error(
        "no TrueType font found for the plot (tried {tried}), so install one \
         (Debian: apt-get install fonts-dejavu-core) or pass --font PATH"
    )]
    FontNotFound {
        /// Paths searched, comma-separated.
        tried: String,
    },

    /// A child process that measures load time and memory failed.
    #[error("load measurement of {target} failed: {message}")]
    Child {
        /// Runtime and graph measured.
        target: String,
        /// Exit status and the child's error output.
        message: String,
    },
}
