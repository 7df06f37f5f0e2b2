//! The error type of this crate.

use std::io;
use std::path::PathBuf;

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Failure to read or write a data file.
///
/// Every variant names the file (or folder) involved. The `Display` text is one line: the path,
/// the problem and what to do about it. It already includes the message of the underlying I/O,
/// gzip or image error, so print it with `{}` and expect no `source()` chain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file does not exist.
    #[error("{}: file not found; check the path", path.display())]
    NotFound { path: PathBuf },

    /// The data set folder does not exist or is not a folder.
    #[error(
        "{}: not found or not a folder; pass the folder that contains the four MNIST-format IDX files",
        path.display()
    )]
    FolderNotFound { path: PathBuf },

    /// Reading the file failed for a reason other than its content.
    #[error("{}: read failed: {error}; check that the file is readable", path.display())]
    Read { path: PathBuf, error: io::Error },

    /// Writing or renaming the output file failed.
    #[error(
        "{}: write failed: {error}; check that the folder exists, is writable and has free space",
        path.display()
    )]
    Write { path: PathBuf, error: io::Error },

    /// The file has zero bytes.
    #[error("{}: empty file; copy the file again", path.display())]
    EmptyFile { path: PathBuf },

    /// The file starts with the gzip signature but does not decompress.
    #[error(
        "{}: corrupt gzip data: {error}; copy the file again, or test it with `gzip -t`",
        path.display()
    )]
    Gzip { path: PathBuf, error: io::Error },

    /// The file ends inside the IDX header.
    #[error(
        "{}: truncated IDX file: it ends after {found} bytes, inside the {expected}-byte header; \
         copy the file again",
        path.display()
    )]
    IdxHeaderTruncated {
        path: PathBuf,
        expected: usize,
        found: usize,
    },

    /// The first two bytes of the IDX magic number are not zero.
    #[error(
        "{}: not an IDX {kind} file: magic number is 0x{found:08x}, expected 0x{expected:08x}; \
         pass an uncompressed or gzip-compressed IDX {kind} file",
        path.display()
    )]
    IdxMagic {
        path: PathBuf,
        kind: &'static str,
        expected: u32,
        found: u32,
    },

    /// The IDX element type is not unsigned byte (0x08).
    #[error(
        "{}: unsupported IDX element type 0x{found:02x}: only unsigned bytes (0x08) are supported; \
         pass an MNIST-style IDX file",
        path.display()
    )]
    IdxElementType { path: PathBuf, found: u8 },

    /// The IDX header declares a different number of dimensions than the file kind has.
    #[error(
        "{}: IDX header declares {found} dimensions but an IDX {kind} file has {expected}; \
         check that the images and labels files are not swapped",
        path.display()
    )]
    IdxDimensionCount {
        path: PathBuf,
        kind: &'static str,
        expected: u8,
        found: u8,
    },

    /// One of the IDX dimensions is zero.
    #[error(
        "{}: invalid IDX header: dimensions {dims} contain a zero; copy the file again",
        path.display()
    )]
    IdxZeroDimension { path: PathBuf, dims: String },

    /// An IDX dimension is larger than any real data set uses, so the header is damaged.
    #[error(
        "{}: invalid IDX header: dimensions {dims} exceed the maximum of {max} per image side or \
         overflow the byte count; copy the file again",
        path.display()
    )]
    IdxDimensionTooLarge {
        path: PathBuf,
        dims: String,
        max: usize,
    },

    /// The IDX data is shorter than the header declares.
    #[error(
        "{}: truncated IDX file: header declares {dims} = {expected} bytes of data but only \
         {found} follow; copy the file again or use a complete MNIST folder",
        path.display()
    )]
    IdxTruncated {
        path: PathBuf,
        dims: String,
        expected: u64,
        found: u64,
    },

    /// Bytes follow the data that the IDX header declares.
    #[error(
        "{}: invalid IDX file: header declares {dims} = {expected} bytes of data but {extra} more \
         bytes follow; copy the file again or use a complete MNIST folder",
        path.display()
    )]
    IdxTrailingBytes {
        path: PathBuf,
        dims: String,
        expected: u64,
        extra: u64,
    },

    /// A data set folder lacks some of the four IDX files.
    #[error(
        "{}: missing IDX files: {missing}; put the four MNIST-format files \
         (plain or .gz) in this folder",
        path.display()
    )]
    MissingDataFiles { path: PathBuf, missing: String },

    /// A labels file and its images file contain different numbers of items.
    #[error(
        "{}: {labels} labels but {} has {images} images; use the labels file of the same split",
        path.display(),
        images_path.display()
    )]
    LabelCountMismatch {
        path: PathBuf,
        labels: usize,
        images_path: PathBuf,
        images: usize,
    },

    /// The test images have a different size from the training images.
    #[error(
        "{}: images are {found}, but the training images in {} are {expected}; \
         use files from one data set",
        path.display(),
        train_path.display()
    )]
    ImageSizeMismatch {
        path: PathBuf,
        found: String,
        train_path: PathBuf,
        expected: String,
    },

    /// The file content matches no known image signature.
    #[error(
        "{}: not an image: the content matches no known image format; \
         pass a PNG or JPEG file",
        path.display()
    )]
    UnknownImageFormat { path: PathBuf },

    /// The image format is recognised but this crate cannot decode it.
    #[error("{}: unsupported image: {message}; convert it to PNG", path.display())]
    UnsupportedImage { path: PathBuf, message: String },

    /// The image decoder rejected the file: it is truncated or corrupt.
    #[error("{}: invalid image: {message}; export the image again", path.display())]
    ImageDecode { path: PathBuf, message: String },

    /// Decoding the image would exceed the memory limit of the `image` crate.
    #[error("{}: image too large: {message}; scale it down and try again", path.display())]
    ImageTooLarge { path: PathBuf, message: String },

    /// The image has no pixels.
    #[error(
        "{}: image has zero size ({width}x{height}); pass an image with at least one pixel",
        path.display()
    )]
    ZeroSizeImage {
        path: PathBuf,
        width: u32,
        height: u32,
    },

    /// The pixel buffer passed for writing does not match the requested size.
    #[error(
        "{}: cannot write image: {width}x{height} needs {expected} pixels but {found} were given",
        path.display()
    )]
    PixelCount {
        path: PathBuf,
        width: u32,
        height: u32,
        expected: usize,
        found: usize,
    },

    /// The arguments for an image grid are inconsistent.
    #[error("{}: cannot write image grid: {reason}", path.display())]
    InvalidGrid { path: PathBuf, reason: String },

    /// The PNG encoder failed.
    #[error("{}: PNG encoding failed: {message}", path.display())]
    ImageEncode { path: PathBuf, message: String },

    /// The file is not a valid NumPy .npy file.
    #[error("{}: invalid .npy file: {problem}; save it again with numpy.save", path.display())]
    NpyFormat { path: PathBuf, problem: String },

    /// The .npy array has an element type other than little-endian float32.
    #[error(
        "{}: unsupported .npy dtype '{found}': only little-endian float32 ('<f4') is supported; \
         save the array with arr.astype('<f4')",
        path.display()
    )]
    NpyDtype { path: PathBuf, found: String },

    /// The .npy array is stored in Fortran (column-major) order.
    #[error(
        "{}: unsupported .npy layout: fortran_order is True; \
         save the array with numpy.ascontiguousarray",
        path.display()
    )]
    NpyFortranOrder { path: PathBuf },

    /// The .npy data length does not match the header's shape.
    #[error(
        "{}: invalid .npy file: shape {shape} needs {expected} bytes of data but {found} follow \
         the header; save it again with numpy.save",
        path.display()
    )]
    NpyDataLength {
        path: PathBuf,
        shape: String,
        expected: u64,
        found: u64,
    },

    /// The shape passed for writing does not match the number of values.
    #[error(
        "{}: cannot write .npy: shape {shape} has {expected} values but {found} were given",
        path.display()
    )]
    NpyShape {
        path: PathBuf,
        shape: String,
        expected: usize,
        found: usize,
    },
}

/// Formats dimensions as `10000x28x28`.
pub(crate) fn format_dims(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    parts.join("x")
}
