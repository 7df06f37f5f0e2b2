//! Reconstruction error against the input images and output differences against a reference
//! runtime, accumulated batch by batch over the test set.

use serde::{Deserialize, Serialize};

/// Error figures of one target over the evaluated images.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Number of images evaluated.
    pub images: usize,
    /// Mean squared error per pixel between reconstruction and input, for whole graphs.
    pub mse: Option<f64>,
    /// Peak signal-to-noise ratio in dB for pixels in [0, 1], `10 * log10(1 / mse)`, for whole
    /// graphs.
    pub psnr_db: Option<f64>,
    /// Max abs difference from the reference runtime over every output value (reconstruction
    /// and latent code), or `None` for the reference itself.
    pub max_abs_diff: Option<f64>,
}

/// Running sums for [`Quality`].
#[derive(Debug, Clone, Default)]
pub struct QualityAccumulator {
    images: usize,
    squared_error_sum: f64,
    pixels: usize,
    max_abs_diff: Option<f64>,
}

impl QualityAccumulator {
    /// Adds the squared errors between `reconstruction` and `input`, which hold the same
    /// number of pixels, for `images` images.
    pub fn add_reconstruction(&mut self, input: &[f32], reconstruction: &[f32], images: usize) {
        debug_assert_eq!(input.len(), reconstruction.len());
        self.squared_error_sum += input
            .iter()
            .zip(reconstruction)
            .map(|(&x, &y)| {
                let difference = f64::from(y) - f64::from(x);
                difference * difference
            })
            .sum::<f64>();
        self.pixels += input.len();
        self.images += images;
    }

    /// Counts `images` images for a graph without a reconstruction, such as an encoder.
    pub fn add_images(&mut self, images: usize) {
        self.images += images;
    }

    /// Updates the max abs difference between `output` and the reference runtime's `expected`.
    pub fn add_difference(&mut self, expected: &[f32], output: &[f32]) {
        debug_assert_eq!(expected.len(), output.len());
        let batch_max = expected
            .iter()
            .zip(output)
            .map(|(&x, &y)| (f64::from(y) - f64::from(x)).abs())
            .fold(0.0, f64::max);
        self.max_abs_diff = Some(
            self.max_abs_diff
                .map_or(batch_max, |max| max.max(batch_max)),
        );
    }

    /// Returns the figures accumulated so far.
    pub fn finish(&self) -> Quality {
        let mse = (self.pixels > 0).then(|| self.squared_error_sum / self.pixels as f64);
        Quality {
            images: self.images,
            mse,
            psnr_db: mse.map(psnr_db),
            max_abs_diff: self.max_abs_diff,
        }
    }
}

/// Computes the peak signal-to-noise ratio in dB of a mean squared error for pixels in [0, 1].
pub fn psnr_db(mse: f64) -> f64 {
    10.0 * (1.0 / mse).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mse_over_batches_is_per_pixel_mean() {
        let mut accumulator = QualityAccumulator::default();
        accumulator.add_reconstruction(&[0.0, 1.0], &[0.5, 1.0], 1);
        accumulator.add_reconstruction(&[0.0, 0.0], &[0.0, 0.5], 1);
        let quality = accumulator.finish();
        // (0.25 + 0 + 0 + 0.25) / 4 pixels.
        assert_eq!(quality.mse, Some(0.125));
        assert_eq!(quality.images, 2);
        assert!((quality.psnr_db.unwrap() - 9.030899869919435).abs() < 1e-12);
        assert_eq!(quality.max_abs_diff, None);
    }

    #[test]
    fn max_abs_diff_spans_batches() {
        let mut accumulator = QualityAccumulator::default();
        accumulator.add_difference(&[1.0, 2.0], &[1.0, 2.25]);
        accumulator.add_difference(&[0.0], &[-0.5]);
        accumulator.add_difference(&[3.0], &[3.0]);
        accumulator.add_images(4);
        let quality = accumulator.finish();
        assert_eq!(quality.max_abs_diff, Some(0.5));
        assert_eq!(quality.mse, None);
        assert_eq!(quality.psnr_db, None);
        assert_eq!(quality.images, 4);
    }
}
