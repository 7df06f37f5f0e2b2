//! Reading and writing of float32 arrays in NumPy's `.npy` format.
//!
//! A `.npy` file is the magic string `\x93NUMPY`, a major and minor version byte, the header
//! length (little-endian u16 in version 1, u32 in versions 2 and 3), and a header. The header is
//! a Python dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (16, 3), }`,
//! padded with spaces and ending in a newline. The raw array data follows.

use std::path::Path;

use crate::atomic::write_atomic;
use crate::error::{format_dims, Error, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Alignment of the data offset that NumPy uses when it writes a header.
const HEADER_ALIGNMENT: usize = 64;

/// Reads a `.npy` file of little-endian float32 values in C order.
///
/// Returns the shape (empty for a 0-d array) and the values in row-major order. Accepts format
/// versions 1.0, 2.0 and 3.0. Fails with a one-line error naming `path` when the file is not a
/// `.npy` file, has a dtype other than `<f4`, is in Fortran order, or its data length does not
/// match the shape.
pub fn read_npy_f32(path: &Path) -> Result<(Vec<usize>, Vec<f32>)> {
    let bytes = std::fs::read(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        _ => Error::Read {
            path: path.to_path_buf(),
            error,
        },
    })?;
    let format_error = |problem: String| Error::NpyFormat {
        path: path.to_path_buf(),
        problem,
    };

    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(format_error(
            "missing the \\x93NUMPY magic string".to_string(),
        ));
    }
    let major = bytes[6];
    let (header_start, header_len) = match major {
        1 => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        2 | 3 if bytes.len() >= 12 => (
            12,
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
        ),
        2 | 3 => {
            return Err(format_error(
                "file ends inside the header length".to_string(),
            ))
        }
        _ => {
            return Err(format_error(format!(
                "unsupported format version {major}.{}",
                bytes[7]
            )))
        }
    };
    let data_start = header_start + header_len;
    if bytes.len() < data_start {
        return Err(format_error(format!(
            "header declares {header_len} bytes but the file ends after {} bytes",
            bytes.len()
        )));
    }
    let header = std::str::from_utf8(&bytes[header_start..data_start])
        .map_err(|_| format_error("header is not ASCII or UTF-8 text".to_string()))?;
    let header = parse_header(header).map_err(format_error)?;

    if header.descr != "<f4" {
        return Err(Error::NpyDtype {
            path: path.to_path_buf(),
            found: header.descr,
        });
    }
    if header.fortran_order {
        return Err(Error::NpyFortranOrder {
            path: path.to_path_buf(),
        });
    }

    let data = &bytes[data_start..];
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |product, &dim| product.checked_mul(dim));
    let expected = count.and_then(|count| count.checked_mul(4));
    if expected != Some(data.len()) {
        return Err(Error::NpyDataLength {
            path: path.to_path_buf(),
            shape: format_shape(&header.shape),
            expected: expected.map_or(u64::MAX, |len| len as u64),
            found: data.len() as u64,
        });
    }

    let values = data
        .chunks_exact(4)
        .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect();
    tracing::debug!(path = %path.display(), shape = ?header.shape, "read .npy file");
    Ok((header.shape, values))
}

/// Writes `data` with `shape` as a `.npy` file of little-endian float32 in C order, atomically.
///
/// Writes format version 1.0 with the header padded by spaces so that the data starts at a
/// multiple of 64 bytes, as `numpy.save` does. A header too long for version 1.0 (only possible
/// with thousands of dimensions) is written as version 2.0. Fails if the product of `shape`
/// differs from `data.len()`.
pub fn write_npy_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    let count = shape
        .iter()
        .try_fold(1usize, |product, &dim| product.checked_mul(dim));
    if count != Some(data.len()) {
        return Err(Error::NpyShape {
            path: path.to_path_buf(),
            shape: format_shape(shape),
            expected: count.unwrap_or(usize::MAX),
            found: data.len(),
        });
    }

    let bytes = encode(shape, data);
    write_atomic(path, &bytes)?;
    tracing::debug!(path = %path.display(), ?shape, "wrote .npy file");
    Ok(())
}

/// Encodes a whole `.npy` file.
fn encode(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}",
        python_tuple(shape)
    );

    // Version 1.0 has a 10-byte preamble that ends in a u16 header length. Version 2.0 has a
    // 12-byte preamble that ends in a u32 length. The header ends in '\n' after the padding.
    let padded_len = |preamble: usize| {
        let unpadded = preamble + dict.len() + 1;
        unpadded.div_ceil(HEADER_ALIGNMENT) * HEADER_ALIGNMENT - preamble
    };
    let v1_len = padded_len(10);
    let mut bytes = Vec::with_capacity(v1_len + 12 + data.len() * 4);
    bytes.extend_from_slice(MAGIC);
    let header_len = if let Ok(len) = u16::try_from(v1_len) {
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&len.to_le_bytes());
        v1_len
    } else {
        let len = padded_len(12);
        bytes.extend_from_slice(&[2, 0]);
        bytes.extend_from_slice(&(len as u32).to_le_bytes());
        len
    };

    bytes.extend_from_slice(dict.as_bytes());
    bytes.resize(bytes.len() + header_len - dict.len() - 1, b' ');
    bytes.push(b'\n');
    for value in data {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    bytes
}

/// Formats a shape as Python does: `()`, `(5,)` or `(16, 3)`.
fn python_tuple(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [single] => format!("({single},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Formats a shape for error messages, as `16x3` (or `scalar` for a 0-d array).
fn format_shape(shape: &[usize]) -> String {
    if shape.is_empty() {
        "scalar".to_string()
    } else {
        format_dims(shape)
    }
}

/// The three fields of a `.npy` header.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses the header dict. Returns a description of the problem on failure.
fn parse_header(text: &str) -> std::result::Result<Header, String> {
    let mut parser = crate::npy_header::DictParser::new(text);
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    parser.parse(|key, value| {
        use crate::npy_header::Value;
        match (key, value) {
            ("descr", Value::Str(text) | Value::Other(text)) => descr = Some(text),
            ("fortran_order", Value::Bool(flag)) => fortran_order = Some(flag),
            ("shape", Value::Tuple(dims)) => shape = Some(dims),
            (key @ ("descr" | "fortran_order" | "shape"), value) => {
                return Err(format!("header key '{key}' has an invalid value {value}"));
            }
            _ => {}
        }
        Ok(())
    })?;

    match (descr, fortran_order, shape) {
        (Some(descr), Some(fortran_order), Some(shape)) => Ok(Header {
            descr,
            fortran_order,
            shape,
        }),
        _ => Err("header lacks one of the keys 'descr', 'fortran_order' and 'shape'".to_string()),
    }
}
