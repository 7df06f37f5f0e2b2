//! Errors of the generator, the host runtime and the QEMU runner.

use std::path::PathBuf;

use ae_kernels::KernelError;

/// Operators the generator translates, listed in error messages.
pub const SUPPORTED_OPS: &str = "Gemm, MatMul, Add, Conv, Relu, Flatten, Reshape";

/// Largest scratch memory, in bytes, that an encoder's layers may need (64 MiB).
pub const MAX_SCRATCH_BYTES: u128 = 64 << 20;

/// Everything that can go wrong between an ONNX file and a latent code.
#[derive(Debug, thiserror::Error)]
pub enum FirmwareError {
    /// A file could not be read or written. The message contains the underlying error, so it is
    /// not also exposed as the source, which would print it twice.
    #[error("{}: {error}", path.display())]
    Io {
        /// File involved.
        path: PathBuf,
        /// Underlying error.
        error: std::io::Error,
    },
    /// The model file does not exist.
    #[error("{}: file not found; pass an existing ONNX model with --model", path.display())]
    ModelNotFound {
        /// Path that was given.
        path: PathBuf,
    },
    /// The file is not a valid ONNX protobuf.
    #[error("{}: not a valid ONNX model: {source}; export the model again", path.display())]
    Decode {
        /// File involved.
        path: PathBuf,
        /// Protobuf error.
        #[source]
        source: prost::DecodeError,
    },
    /// A node uses an operator the firmware kernels do not implement.
    #[error("{}: node \"{node}\" (op {op}) is not supported by the firmware generator; supported: {SUPPORTED_OPS}", path.display())]
    UnsupportedOp {
        /// Model file.
        path: PathBuf,
        /// Node name (or its output name when unnamed).
        node: String,
        /// ONNX operator type.
        op: String,
    },
    /// A supported operator is used in a form the kernels cannot run.
    #[error("{}: node \"{node}\" (op {op}): {reason}", path.display())]
    InvalidNode {
        /// Model file.
        path: PathBuf,
        /// Node name (or its output name when unnamed).
        node: String,
        /// ONNX operator type.
        op: String,
        /// Description of the problem and of what the generator expects instead.
        reason: String,
    },
    /// The graph as a whole does not fit the generator's model of an encoder.
    #[error("{}: {reason}", path.display())]
    InvalidGraph {
        /// Model file.
        path: PathBuf,
        /// Description of the problem.
        reason: String,
    },
    /// Reading the MNIST data or a reference array failed.
    #[error(transparent)]
    Data(#[from] ae_data::Error),
    /// The data set does not fit the encoder.
    #[error("{}: {reason}", path.display())]
    Dataset {
        /// Data set folder.
        path: PathBuf,
        /// Description of the problem.
        reason: String,
    },
    /// Input of the wrong length passed to the host runtime.
    #[error("input has {found} values, but the encoder takes a multiple of {expected}")]
    InputLength {
        /// Values per image.
        expected: usize,
        /// Values received.
        found: usize,
    },
    /// The kernels rejected the generated layer table.
    #[error("{context}: {source}")]
    Kernel {
        /// Model or layer involved.
        context: String,
        /// Kernel error.
        #[source]
        source: KernelError,
    },
    /// The encoder's activation and patch buffers need more memory than the limit.
    #[error(
        "{}: the layers need {bytes} bytes of scratch memory, more than the {MAX_SCRATCH_BYTES} \
         bytes allowed; use smaller inputs or layers",
        path.display()
    )]
    ScratchTooLarge {
        /// Model file.
        path: PathBuf,
        /// Scratch bytes the layers need.
        bytes: u128,
    },
    /// Building or running the firmware failed.
    #[error("{0}")]
    Firmware(String),
}

impl FirmwareError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> FirmwareError {
        let path = path.into();
        move |error| FirmwareError::Io { path, error }
    }
}
