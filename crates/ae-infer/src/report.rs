//! The results ae-infer prints, as text or JSON.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Results of one ae-infer call.
#[derive(Debug, Serialize)]
pub struct Report {
    pub model: PathBuf,
    pub runtime: String,
    pub runtime_version: String,
    /// The device or execution provider that actually ran the graph.
    pub device: String,
    pub images: Vec<ImageResult>,
}

/// Results for one input image.
#[derive(Debug, Serialize)]
pub struct ImageResult {
    pub image: PathBuf,
    /// Whether preprocessing inverted the image (light background detected or forced).
    pub inverted: bool,
    /// Latent code, when the graph outputs one.
    pub latent: Option<Vec<f32>>,
    /// Reconstruction PNG, when the graph outputs one.
    pub reconstruction: Option<PathBuf>,
    /// Mean squared error per pixel between the preprocessed input and its reconstruction.
    pub mse: Option<f64>,
    /// Peak signal-to-noise ratio in dB for pixels in [0, 1]: 10·log10(1 / MSE).
    pub psnr_db: Option<f64>,
}

impl ImageResult {
    pub fn new(image: &Path, inverted: bool, latent: Option<Vec<f32>>) -> Self {
        ImageResult {
            image: image.to_path_buf(),
            inverted,
            latent,
            reconstruction: None,
            mse: None,
            psnr_db: None,
        }
    }

    /// Records the written reconstruction and its error against `input`.
    pub fn set_reconstruction(&mut self, path: PathBuf, input: &[f32], output: &[f32]) {
        let sum: f64 = input
            .iter()
            .zip(output)
            .map(|(a, b)| ((a - b) as f64).powi(2))
            .sum();
        let mse = sum / input.len() as f64;
        self.reconstruction = Some(path);
        self.mse = Some(mse);
        self.psnr_db = Some(10.0 * (1.0 / mse).log10());
    }
}

impl Report {
    /// Formats the report for a terminal, one block per image.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "model {} on {} ({}, {})",
            self.model.display(),
            self.runtime,
            self.runtime_version,
            self.device
        );
        for image in &self.images {
            let _ = writeln!(
                text,
                "{}{}",
                image.image.display(),
                if image.inverted { " (inverted)" } else { "" }
            );
            if let Some(latent) = &image.latent {
                let values: Vec<String> =
                    latent.iter().map(|value| format!("{value:.4}")).collect();
                let _ = writeln!(text, "  latent ({}): [{}]", latent.len(), values.join(", "));
            }
            if let (Some(path), Some(mse), Some(psnr)) =
                (&image.reconstruction, image.mse, image.psnr_db)
            {
                let _ = writeln!(text, "  reconstruction: {}", path.display());
                let _ = writeln!(text, "  MSE {mse:.6}, PSNR {psnr:.2} dB");
            }
        }
        text
    }
}
