//! Data files for the MNIST autoencoders: reading the data sets, preprocessing digit images for
//! inference, and writing results.
//!
//! - [`idx`] reads IDX image and label files, plain or gzip-compressed, with strict checks of
//!   the header and data length.
//! - [`mnist`] loads the four IDX files of an MNIST-format data set (MNIST, Fashion-MNIST) from a
//!   folder and checks that they belong together.
//! - [`image`] turns a PNG, JPEG or BMP file of any size into a 28x28 digit in [0, 1]. Its module
//!   documentation lists the preprocessing steps.
//! - [`png`] writes greyscale images and image grids as PNG files.
//! - [`npy`] reads and writes float32 arrays in NumPy's `.npy` format, the format of the
//!   reference inputs and outputs produced with PyTorch and ONNX Runtime.
//! - [`atomic`] writes files atomically, so that a crash or error never leaves a partial file.
//!
//! Every fallible function returns [`Error`], whose message is one line naming the file, the
//! problem and what to do about it.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use ae_data::{load_dataset, load_digit, save_grey_png, Invert};
//!
//! # fn main() -> ae_data::Result<()> {
//! let dataset = load_dataset(Path::new("data/mnist"))?;
//! let inputs: Vec<f32> = dataset.test.to_f32();
//! assert_eq!(inputs.len(), dataset.test.count * 28 * 28);
//!
//! let digit = load_digit(Path::new("my-digit.jpg"), Invert::Auto)?;
//! save_grey_png(Path::new("my-digit-28x28.png"), &digit.pixels, 28, 28)?;
//! # Ok(())
//! # }
//! ```

pub mod atomic;
pub mod error;
pub mod idx;
pub mod image;
mod image_header;
mod luma;
pub mod mnist;
pub mod npy;
mod npy_header;
pub mod png;
mod resize;

pub use crate::atomic::{write_atomic, write_atomic_with};
pub use crate::error::{Error, Result};
pub use crate::idx::{read_images, read_labels, IdxImages, IdxLabels};
pub use crate::image::{load_digit, Digit, Invert, ParseInvertError, DIGIT_SIDE};
pub use crate::mnist::{load_dataset, Dataset};
pub use crate::npy::{read_npy_f32, write_npy_f32};
pub use crate::png::{save_grey_grid_png, save_grey_png};
