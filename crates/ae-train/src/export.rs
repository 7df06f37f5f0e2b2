//! Export of a trained model as three ONNX files: whole, encoder and decoder.

use std::path::{Path, PathBuf};

use ae_models::{Autoencoder, GraphPart};
use tracing::info;

use crate::train::Recipe;
use crate::Result;

/// Provenance of a model: how it was made, as the exported files record it.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The recipe the model was trained with.
    pub recipe: Recipe,
    /// Name of the data set, such as `mnist`.
    pub dataset: String,
    /// MSE per pixel over the test set after training.
    pub test_mse: f64,
}

impl Provenance {
    fn metadata(&self) -> Vec<(String, String)> {
        let recipe = &self.recipe;
        [
            ("epochs", recipe.epochs.to_string()),
            ("batch_size", recipe.batch_size.to_string()),
            ("learning_rate", recipe.lr.to_string()),
            ("weight_decay", recipe.weight_decay.to_string()),
            (
                "optimizer",
                "adam (L2 weight decay added to the gradient)".to_string(),
            ),
            ("loss", "mse".to_string()),
            ("seed", recipe.seed.to_string()),
            ("dataset", self.dataset.clone()),
            ("test_mse", format!("{:.7}", self.test_mse)),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect()
    }
}

/// Returns the path of one part, given the path of the whole model:
/// `conv.onnx` gives `conv.onnx`, `conv.encoder.onnx` and `conv.decoder.onnx`.
pub fn part_path(whole: &Path, part: GraphPart) -> PathBuf {
    let stem = match whole.extension().and_then(|ext| ext.to_str()) {
        Some("onnx") => whole.with_extension(""),
        _ => whole.to_path_buf(),
    };
    let suffix = match part {
        GraphPart::Full => "onnx",
        GraphPart::Encoder => "encoder.onnx",
        GraphPart::Decoder => "decoder.onnx",
    };
    let mut name = stem.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    stem.with_file_name(name)
}

/// Writes the whole model to `whole` and its halves beside it; returns the
/// paths written, whole model first.
pub fn export_onnx(
    model: &Autoencoder,
    whole: &Path,
    provenance: &Provenance,
) -> Result<Vec<PathBuf>> {
    let metadata = provenance.metadata();
    let mut written = Vec::new();
    for part in GraphPart::ALL {
        let path = part_path(whole, part);
        let spec = model.graph_spec(part, &metadata)?;
        let proto = ae_onnx::build_model(&spec)?;
        ae_onnx::write_model(&path, &proto)?;
        info!(path = %path.display(), part = part.name(), "wrote ONNX model");
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_paths_sit_beside_whole_model() {
        let whole = Path::new("out/conv.onnx");
        assert_eq!(
            part_path(whole, GraphPart::Full),
            Path::new("out/conv.onnx")
        );
        assert_eq!(
            part_path(whole, GraphPart::Encoder),
            Path::new("out/conv.encoder.onnx")
        );
        assert_eq!(
            part_path(whole, GraphPart::Decoder),
            Path::new("out/conv.decoder.onnx")
        );
    }

    #[test]
    fn part_paths_without_extension() {
        let whole = Path::new("model");
        assert_eq!(
            part_path(whole, GraphPart::Encoder),
            Path::new("model.encoder.onnx")
        );
    }
}
