//! Conversion of a decoded image of any pixel type to opaque luma values in [0, 1].

use ::image::DynamicImage;

/// Rec. 601 luma weights of red, green and blue.
const REC601: [f32; 3] = [0.299, 0.587, 0.114];

/// Converts `image` to one luma value in [0, 1] per pixel, row-major, with alpha composited.
///
/// Colour pixels get Rec. 601 luma, grey pixels keep their value. 16-bit and float samples keep
/// their precision. Transparent areas are composited over black when the opaque pixels are
/// light on average (alpha-weighted mean luma above 0.5), and over white otherwise.
pub(crate) fn to_luma(image: &DynamicImage) -> Vec<f32> {
    let (mut luma, alpha) = match image {
        DynamicImage::ImageLuma8(buffer) => split_channels(buffer.as_raw(), 1),
        DynamicImage::ImageLumaA8(buffer) => split_channels(buffer.as_raw(), 2),
        DynamicImage::ImageRgb8(buffer) => split_channels(buffer.as_raw(), 3),
        DynamicImage::ImageRgba8(buffer) => split_channels(buffer.as_raw(), 4),
        DynamicImage::ImageLuma16(buffer) => split_channels(buffer.as_raw(), 1),
        DynamicImage::ImageLumaA16(buffer) => split_channels(buffer.as_raw(), 2),
        DynamicImage::ImageRgb16(buffer) => split_channels(buffer.as_raw(), 3),
        DynamicImage::ImageRgba16(buffer) => split_channels(buffer.as_raw(), 4),
        DynamicImage::ImageRgb32F(buffer) => split_channels(buffer.as_raw(), 3),
        DynamicImage::ImageRgba32F(buffer) => split_channels(buffer.as_raw(), 4),
        // `DynamicImage` is non-exhaustive, so a future pixel type goes through RGBA f32.
        other => split_channels(other.to_rgba32f().as_raw(), 4),
    };
    if let Some(alpha) = alpha {
        composite(&mut luma, &alpha);
    }
    luma
}

/// A channel sample that converts to f32 in [0, 1].
trait Sample: Copy {
    fn to_unit(self) -> f32;
}

impl Sample for u8 {
    fn to_unit(self) -> f32 {
        f32::from(self) / 255.0
    }
}

impl Sample for u16 {
    fn to_unit(self) -> f32 {
        f32::from(self) / 65535.0
    }
}

impl Sample for f32 {
    fn to_unit(self) -> f32 {
        self
    }
}

/// Splits interleaved samples with `channels` per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)
/// into luma and, for 2 and 4 channels, alpha.
fn split_channels<T: Sample>(samples: &[T], channels: usize) -> (Vec<f32>, Option<Vec<f32>>) {
    let pixels = samples.chunks_exact(channels);
    let luma = if channels >= 3 {
        pixels
            .clone()
            .map(|p| {
                REC601[0] * p[0].to_unit() + REC601[1] * p[1].to_unit() + REC601[2] * p[2].to_unit()
            })
            .collect()
    } else {
        pixels.clone().map(|p| p[0].to_unit()).collect()
    };
    let has_alpha = channels == 2 || channels == 4;
    let alpha = has_alpha.then(|| pixels.map(|p| p[channels - 1].to_unit()).collect());
    (luma, alpha)
}

/// Composites `luma` in place over black or white, whichever contrasts with the opaque pixels.
/// A fully transparent image becomes white.
fn composite(luma: &mut [f32], alpha: &[f32]) {
    let opacity: f64 = alpha.iter().map(|&a| f64::from(a)).sum();
    let weighted: f64 = luma
        .iter()
        .zip(alpha)
        .map(|(&l, &a)| f64::from(l * a))
        .sum();
    let background = if opacity > 0.0 && weighted / opacity > 0.5 {
        0.0
    } else {
        1.0
    };
    for (value, &a) in luma.iter_mut().zip(alpha) {
        *value = *value * a + background * (1.0 - a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::image::{GrayAlphaImage, ImageBuffer, Rgb};

    #[test]
    fn rgb16_uses_rec601() {
        let pixels = vec![65535u16, 0, 0, 0, 65535, 0, 0, 0, 65535];
        let buffer: ImageBuffer<Rgb<u16>, _> = ImageBuffer::from_raw(3, 1, pixels).unwrap();

        let luma = to_luma(&DynamicImage::ImageRgb16(buffer));

        assert_eq!(luma, REC601);
    }

    #[test]
    fn fully_transparent_becomes_white() {
        let buffer = GrayAlphaImage::from_raw(2, 1, vec![0, 0, 255, 0]).unwrap();

        let luma = to_luma(&DynamicImage::ImageLumaA8(buffer));

        assert_eq!(luma, [1.0, 1.0]);
    }

    #[test]
    fn half_transparent_dark_ink_over_white() {
        // A black pixel at alpha 0.6 and a transparent one: the ink is dark, so white behind.
        let buffer = GrayAlphaImage::from_raw(2, 1, vec![0, 153, 0, 0]).unwrap();

        let luma = to_luma(&DynamicImage::ImageLumaA8(buffer));

        assert!((luma[0] - 0.4).abs() < 1e-6, "{luma:?}");
        assert_eq!(luma[1], 1.0);
    }
}
