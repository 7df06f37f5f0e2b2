//! Conversion of an arbitrary image file into a 28x28 MNIST-style digit.
//!
//! [`load_digit`] accepts PNG, JPEG and BMP files of any size and pixel format: grey, grey with
//! alpha, RGB, RGBA, 8 or 16 bits per channel, and palette images. It applies these steps:
//!
//! 1. **Decode.** The format is detected from the file content, not the extension. The EXIF
//!    orientation of a JPEG is applied, so a phone photo is upright.
//! 2. **Convert to luma** in f32, keeping the full precision of 16-bit files. Colour images use
//!    the Rec. 601 weights `0.299 R + 0.587 G + 0.114 B` on the stored (gamma-encoded) values.
//!    Grey images keep their value.
//! 3. **Composite alpha** over a background that contrasts with the opaque pixels: black when
//!    their alpha-weighted mean luma is above 0.5, white otherwise. A digit drawn on a
//!    transparent canvas thus stays visible whether its ink is light or dark. A fully
//!    transparent image becomes white.
//! 4. **Pad to a square** with the mean of the image's outer ring of pixels, so that a
//!    non-square image is not stretched. The image is centred, and an odd extra row or column
//!    goes to the bottom or right.
//! 5. **Resize to 28x28 by area averaging**: each output pixel is the mean of the source area it
//!    covers. A 28x28 image passes through unchanged.
//! 6. **Invert** to MNIST's light digit on a dark background, as [`Invert`] selects. With
//!    [`Invert::Auto`] the digit is inverted (`1 - x`) when the mean of the outer ring of the
//!    28x28 result is above 0.5, which means a light background.
//!
//! Images whose decoded pixels would take more than 512 MiB, the default allocation limit of the
//! `image` crate (0.25), are rejected. Peak memory is roughly the file size plus the decoded
//! size plus 8 bytes per pixel, an estimate from the buffers that these steps allocate.
//!
//! Values are in [0, 1] throughout. No contrast stretching or centring by mass is applied, so a
//! digit that fills only a corner of a large image stays small.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use ::image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use crate::error::{Error, Result};
use crate::image_header::declared_size;
use crate::luma::to_luma;
use crate::resize::pad_and_resize;

/// Largest image, in pixels, that [`load_digit`] decodes (64 megapixels, e.g. 8192x8192).
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// Side of an MNIST image in pixels.
pub const DIGIT_SIDE: usize = 28;

/// Whether [`load_digit`] inverts the image to get a light digit on a dark background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Invert {
    /// Invert when the border of the 28x28 result is light (mean above 0.5).
    #[default]
    Auto,
    /// Always invert.
    Yes,
    /// Never invert.
    No,
}

impl FromStr for Invert {
    type Err = ParseInvertError;

    /// Parses `auto`, `yes` or `no`, ignoring ASCII case.
    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "auto" => Ok(Invert::Auto),
            "yes" => Ok(Invert::Yes),
            "no" => Ok(Invert::No),
            _ => Err(ParseInvertError {
                value: text.to_string(),
            }),
        }
    }
}

impl fmt::Display for Invert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invert::Auto => "auto",
            Invert::Yes => "yes",
            Invert::No => "no",
        })
    }
}

/// Error for a string that is not `auto`, `yes` or `no`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid invert mode '{value}': expected auto, yes or no")]
pub struct ParseInvertError {
    /// The rejected string.
    pub value: String,
}

/// A digit image preprocessed for the models.
#[derive(Debug, Clone, PartialEq)]
pub struct Digit {
    /// 28x28 = 784 values in [0, 1], row-major, light digit on dark background.
    pub pixels: Vec<f32>,
    /// Whether the image was inverted.
    pub inverted: bool,
    /// Width of the decoded image in pixels, after EXIF orientation.
    pub source_width: u32,
    /// Height of the decoded image in pixels, after EXIF orientation.
    pub source_height: u32,
}

/// Loads an image file and converts it to a 28x28 digit as the module documentation describes.
///
/// Fails with a one-line error naming `path` when the file is missing or unreadable, is not a
/// recognised image, is in a format other than PNG, JPEG or BMP, is truncated or corrupt, or has
/// zero width or height.
pub fn load_digit(path: &Path, invert: Invert) -> Result<Digit> {
    let image = decode(path)?;
    let (width, height) = (image.width(), image.height());
    if width == 0 || height == 0 {
        return Err(Error::ZeroSizeImage {
            path: path.to_path_buf(),
            width,
            height,
        });
    }

    let luma = to_luma(&image);
    let (w, h) = (width as usize, height as usize);
    let background = border_mean(&luma, w, h);
    let mut pixels = pad_and_resize(&luma, w, h, background, DIGIT_SIDE);

    let inverted = match invert {
        Invert::Yes => true,
        Invert::No => false,
        Invert::Auto => border_mean(&pixels, DIGIT_SIDE, DIGIT_SIDE) > 0.5,
    };
    for value in &mut pixels {
        let clamped = value.clamp(0.0, 1.0);
        *value = if inverted { 1.0 - clamped } else { clamped };
    }

    tracing::debug!(path = %path.display(), width, height, background, inverted, "loaded digit");
    Ok(Digit {
        pixels,
        inverted,
        source_width: width,
        source_height: height,
    })
}

/// Decodes the file at `path` and applies its EXIF orientation.
fn decode(path: &Path) -> Result<DynamicImage> {
    let bytes = std::fs::read(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        _ => Error::Read {
            path: path.to_path_buf(),
            error,
        },
    })?;
    let reader = ImageReader::new(std::io::Cursor::new(&bytes[..]))
        .with_guessed_format()
        .map_err(|error| Error::Read {
            path: path.to_path_buf(),
            error,
        })?;

    let format = match reader.format() {
        None => {
            return Err(Error::UnknownImageFormat {
                path: path.to_path_buf(),
            })
        }
        Some(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Bmp)) => format,
        Some(format) => {
            return Err(Error::UnsupportedImage {
                path: path.to_path_buf(),
                message: format!("{format:?} images are not supported, only PNG, JPEG and BMP"),
            })
        }
    };
    if let Some((width, height)) = declared_size(format, &bytes) {
        if width == 0 || height == 0 {
            return Err(Error::ZeroSizeImage {
                path: path.to_path_buf(),
                width,
                height,
            });
        }
        // A small compressed file can declare a huge image; the grey f32 copy made later
        // takes 4 bytes per pixel on top of the decoded image, so cap the pixel count.
        if u64::from(width) * u64::from(height) > MAX_PIXELS {
            return Err(Error::ImageTooLarge {
                path: path.to_path_buf(),
                message: format!("{width}x{height} pixels is more than the limit of {MAX_PIXELS}"),
            });
        }
    }

    let image_error = |error| image_error(path, error);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let orientation = decoder.orientation().map_err(image_error)?;
    // `ImageReader::decode` applies this allocation limit, but `from_decoder` does not.
    let mut limits = Limits::default();
    limits.reserve(decoder.total_bytes()).map_err(image_error)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Maps an error of the `image` crate to this crate's error for `path`.
fn image_error(path: &Path, error: ImageError) -> Error {
    let path = path.to_path_buf();
    match error {
        ImageError::Unsupported(error) => Error::UnsupportedImage {
            path,
            message: error.to_string(),
        },
        ImageError::IoError(error) if error.kind() != std::io::ErrorKind::UnexpectedEof => {
            Error::Read { path, error }
        }
        ImageError::IoError(_) => Error::ImageDecode {
            path,
            message: "file is truncated".to_string(),
        },
        ImageError::Limits(error) => Error::ImageTooLarge {
            path,
            message: error.to_string(),
        },
        other => Error::ImageDecode {
            path,
            message: other.to_string(),
        },
    }
}

/// Returns the mean of the outermost ring of pixels of a `width`x`height` image.
fn border_mean(pixels: &[f32], width: usize, height: usize) -> f32 {
    let mut sum = 0.0f64;
    let mut count = 0usize;
    for y in 0..height {
        for x in 0..width {
            if y == 0 || x == 0 || y == height - 1 || x == width - 1 {
                sum += f64::from(pixels[y * width + x]);
                count += 1;
            }
        }
    }
    (sum / count as f64) as f32
}
