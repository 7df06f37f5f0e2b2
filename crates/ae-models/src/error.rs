use std::path::PathBuf;

/// Errors from building, running or loading an autoencoder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A candle operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),

    /// A model name other than `linear` or `conv`.
    #[error("unknown model kind {0:?}: expected linear or conv")]
    UnknownKind(String),

    /// A checkpoint that lacks a parameter or has one of the wrong shape.
    #[error("{path}: {problem}; pass a checkpoint written by ae-train for this model")]
    Checkpoint { path: PathBuf, problem: String },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
