//! Readers for IDX files, the format of MNIST and Fashion-MNIST.
//!
//! An IDX file starts with a big-endian u32 magic number `0x0000TTNN`, where `TT` is the element
//! type (0x08 for unsigned bytes, the only type supported here) and `NN` is the number of
//! dimensions. One big-endian u32 per dimension follows, then the elements in row-major order.
//! Image files have 3 dimensions (count, rows, columns) and magic 0x00000803. Label files have 1
//! dimension (count) and magic 0x00000801.
//!
//! Files may be plain or gzip-compressed. Compression is detected from the gzip signature
//! (bytes 1f 8b), not from the file extension.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{format_dims, Error, Result};

/// Element type code of unsigned bytes in an IDX magic number.
const UNSIGNED_BYTE: u8 = 0x08;

/// Maximum rows or columns per image. Real IDX image sets use far smaller sides, so a larger
/// value means a damaged header.
const MAX_IMAGE_SIDE: usize = 16_384;

/// A set of greyscale images read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
    /// Pixel values, image after image, each image row-major.
    pub pixels: Vec<u8>,
}

/// A set of labels read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxLabels {
    /// One label per item, in file order.
    pub labels: Vec<u8>,
}

impl IdxImages {
    /// Returns the number of pixels per image (`rows * cols`).
    pub fn image_len(&self) -> usize {
        self.rows * self.cols
    }

    /// Returns the pixels of image `index`, row-major.
    ///
    /// Panics if `index >= self.count`, like slice indexing.
    pub fn image(&self, index: usize) -> &[u8] {
        assert!(
            index < self.count,
            "image index {index} out of range for {} images",
            self.count
        );
        let len = self.image_len();
        &self.pixels[index * len..(index + 1) * len]
    }

    /// Converts all pixels to f32 in [0, 1] by dividing by 255.
    pub fn to_f32(&self) -> Vec<f32> {
        self.pixels
            .iter()
            .map(|&pixel| f32::from(pixel) / 255.0)
            .collect()
    }
}

/// Reads an IDX image file (magic 0x00000803), plain or gzip-compressed.
///
/// Fails with a one-line error naming `path` when the file is missing, empty or not valid gzip.
/// It also fails when the header has the wrong magic number or number of dimensions, or declares
/// a zero or implausibly large dimension, and when the data is shorter or longer than declared.
pub fn read_images(path: &Path) -> Result<IdxImages> {
    let (dims, pixels) = read_idx(path, IdxKind::Images)?;
    let images = IdxImages {
        count: dims[0],
        rows: dims[1],
        cols: dims[2],
        pixels,
    };
    tracing::debug!(
        path = %path.display(),
        count = images.count,
        rows = images.rows,
        cols = images.cols,
        "read IDX images"
    );
    Ok(images)
}

/// Reads an IDX label file (magic 0x00000801), plain or gzip-compressed.
///
/// Fails like [`read_images`] does.
pub fn read_labels(path: &Path) -> Result<IdxLabels> {
    let (_, labels) = read_idx(path, IdxKind::Labels)?;
    tracing::debug!(path = %path.display(), count = labels.len(), "read IDX labels");
    Ok(IdxLabels { labels })
}

/// The two kinds of IDX file this crate reads.
#[derive(Debug, Clone, Copy)]
enum IdxKind {
    Images,
    Labels,
}

impl IdxKind {
    fn name(self) -> &'static str {
        match self {
            IdxKind::Images => "images",
            IdxKind::Labels => "labels",
        }
    }

    fn dimension_count(self) -> u8 {
        match self {
            IdxKind::Images => 3,
            IdxKind::Labels => 1,
        }
    }

    fn magic(self) -> u32 {
        u32::from(UNSIGNED_BYTE) << 8 | u32::from(self.dimension_count())
    }
}

/// Reads and checks a whole IDX file, returning its dimensions and data.
fn read_idx(path: &Path, kind: IdxKind) -> Result<(Vec<usize>, Vec<u8>)> {
    let (mut reader, gzip) = open_maybe_gzip(path)?;
    let dimension_count = usize::from(kind.dimension_count());
    let header_len = 4 + 4 * dimension_count;

    let mut magic = [0u8; 4];
    read_header_part(&mut reader, &mut magic, 0, header_len, path, gzip)?;
    check_magic(path, kind, magic)?;

    let mut dims = Vec::with_capacity(dimension_count);
    for index in 0..dimension_count {
        let mut bytes = [0u8; 4];
        read_header_part(
            &mut reader,
            &mut bytes,
            4 + 4 * index,
            header_len,
            path,
            gzip,
        )?;
        dims.push(u32::from_be_bytes(bytes) as usize);
    }
    let expected = check_dims(path, kind, &dims)?;

    let mut data = Vec::new();
    let stream_error = |error| stream_error(path, gzip, error);
    (&mut reader)
        .take(expected)
        .read_to_end(&mut data)
        .map_err(stream_error)?;
    if (data.len() as u64) < expected {
        return Err(Error::IdxTruncated {
            path: path.to_path_buf(),
            dims: format_dims(&dims),
            expected,
            found: data.len() as u64,
        });
    }

    let extra = io::copy(&mut reader, &mut io::sink()).map_err(stream_error)?;
    if extra > 0 {
        return Err(Error::IdxTrailingBytes {
            path: path.to_path_buf(),
            dims: format_dims(&dims),
            expected,
            extra,
        });
    }
    Ok((dims, data))
}

/// Opens `path` and wraps it in a gzip decoder if it starts with the gzip signature. Returns the
/// reader and whether it decompresses.
fn open_maybe_gzip(path: &Path) -> Result<(Box<dyn Read>, bool)> {
    let file = File::open(path).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        _ => Error::Read {
            path: path.to_path_buf(),
            error,
        },
    })?;
    let mut reader = BufReader::new(file);

    // `fill_buf` on a fresh `BufReader` over a file returns up to 8 KiB, so a non-empty file
    // yields at least the two signature bytes unless it is one byte long.
    let start = reader.fill_buf().map_err(|error| Error::Read {
        path: path.to_path_buf(),
        error,
    })?;
    if start.is_empty() {
        return Err(Error::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    if start.starts_with(&[0x1f, 0x8b]) {
        Ok((Box::new(MultiGzDecoder::new(reader)), true))
    } else {
        Ok((Box::new(reader), false))
    }
}

/// Maps a read failure to a gzip error when decompressing, or to a read error otherwise.
fn stream_error(path: &Path, gzip: bool, error: io::Error) -> Error {
    let path = path.to_path_buf();
    if gzip {
        Error::Gzip { path, error }
    } else {
        Error::Read { path, error }
    }
}

/// Fills `buffer` with the header bytes that start at `offset`, reporting a truncated header if
/// the stream ends first.
fn read_header_part(
    reader: &mut dyn Read,
    buffer: &mut [u8],
    offset: usize,
    header_len: usize,
    path: &Path,
    gzip: bool,
) -> Result<()> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => {
                return Err(Error::IdxHeaderTruncated {
                    path: path.to_path_buf(),
                    expected: header_len,
                    found: offset + filled,
                })
            }
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(stream_error(path, gzip, error)),
        }
    }
    Ok(())
}

/// Checks the magic number's zero prefix, element type and number of dimensions.
fn check_magic(path: &Path, kind: IdxKind, magic: [u8; 4]) -> Result<()> {
    let found = u32::from_be_bytes(magic);
    if magic[0] != 0 || magic[1] != 0 {
        return Err(Error::IdxMagic {
            path: path.to_path_buf(),
            kind: kind.name(),
            expected: kind.magic(),
            found,
        });
    }
    if magic[2] != UNSIGNED_BYTE {
        return Err(Error::IdxElementType {
            path: path.to_path_buf(),
            found: magic[2],
        });
    }
    if magic[3] != kind.dimension_count() {
        return Err(Error::IdxDimensionCount {
            path: path.to_path_buf(),
            kind: kind.name(),
            expected: kind.dimension_count(),
            found: magic[3],
        });
    }
    Ok(())
}

/// Checks that no dimension is zero or implausibly large, and returns the data length in bytes.
fn check_dims(path: &Path, kind: IdxKind, dims: &[usize]) -> Result<u64> {
    if dims.contains(&0) {
        return Err(Error::IdxZeroDimension {
            path: path.to_path_buf(),
            dims: format_dims(dims),
        });
    }

    let too_large = || Error::IdxDimensionTooLarge {
        path: path.to_path_buf(),
        dims: format_dims(dims),
        max: MAX_IMAGE_SIDE,
    };
    if matches!(kind, IdxKind::Images) && dims[1..].iter().any(|&side| side > MAX_IMAGE_SIDE) {
        return Err(too_large());
    }
    let len = dims
        .iter()
        .try_fold(1u64, |product, &dim| product.checked_mul(dim as u64));
    match len {
        Some(len) if usize::try_from(len).is_ok() => Ok(len),
        _ => Err(too_large()),
    }
}
