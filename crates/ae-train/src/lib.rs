//! Training of the project's autoencoders on MNIST-format data with candle.
//!
//! - [`adam`]: Adam with PyTorch's L2 weight decay (candle-nn has only AdamW).
//! - [`train`]: the mini-batch loop with per-epoch test MSE.
//! - [`checkpoint`]: safetensors checkpoints, written atomically.
//! - [`export`]: the three ONNX files of a trained model.
//!
//! The `ae-train` binary in this crate drives all of them.

pub mod adam;
pub mod checkpoint;
pub mod evaluate;
pub mod export;
pub mod train;

use std::path::PathBuf;

pub use adam::{Adam, AdamConfig};
pub use checkpoint::save_checkpoint;
pub use evaluate::mean_squared_error;
pub use export::{export_onnx, part_path, Provenance};
pub use train::{train, EpochReport, Observer, Recipe, Silent, StepProgress, TrainData};

/// Errors from training, evaluation, checkpoints and export.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A candle operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// The model could not be built or converted.
    #[error(transparent)]
    Model(#[from] ae_models::Error),
    /// The ONNX export failed.
    #[error(transparent)]
    Onnx(#[from] ae_onnx::Error),
    /// The loss became NaN or infinite, so the weights are no longer usable.
    #[error("training diverged in epoch {epoch} (loss {loss}); lower --lr and train again")]
    Diverged { epoch: usize, loss: f32 },
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
