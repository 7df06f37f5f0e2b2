//! Helpers shared by the integration tests: paths to the real data and builders for small
//! IDX and PNG files.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::{Compression, Crc};

/// Returns the folder of the real MNIST files in this repository.
pub fn mnist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

/// Returns the path of a file in the workspace's `tests/fixtures/interop`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/interop")
        .join(name)
}

/// Builds an IDX file: magic `0x0000TTNN`, one big-endian u32 per dimension, then `data`.
pub fn idx_bytes(element_type: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, element_type, dims.len() as u8];
    for dim in dims {
        bytes.extend_from_slice(&dim.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    bytes
}

/// Builds a valid IDX images file of `count` images of `rows`x`cols` with pixel `i` = `i % 256`.
pub fn idx_images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let len = (count * rows * cols) as usize;
    let data: Vec<u8> = (0..len).map(|i| (i % 256) as u8).collect();
    idx_bytes(0x08, &[count, rows, cols], &data)
}

/// Builds a valid IDX labels file.
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    idx_bytes(0x08, &[labels.len() as u32], labels)
}

/// Compresses `bytes` with gzip.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Returns the error message of a failed result, panicking if it succeeded.
pub fn error_text<T: std::fmt::Debug>(result: Result<T, ae_data::Error>) -> String {
    result.expect_err("expected an error").to_string()
}

/// Builds a PNG file by hand from its IHDR fields, optional palette and raw scanlines.
///
/// This reaches formats the `image` encoder does not write (palette images) and invalid
/// headers (zero width). `scanlines` must already include the filter byte of each row.
pub fn png_bytes(
    width: u32,
    height: u32,
    bit_depth: u8,
    colour_type: u8,
    palette: Option<&[[u8; 3]]>,
    scanlines: &[u8],
) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();

    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[bit_depth, colour_type, 0, 0, 0]);
    push_chunk(&mut png, b"IHDR", &header);

    if let Some(palette) = palette {
        let entries: Vec<u8> = palette.iter().flatten().copied().collect();
        push_chunk(&mut png, b"PLTE", &entries);
    }

    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(scanlines).unwrap();
    push_chunk(&mut png, b"IDAT", &encoder.finish().unwrap());
    push_chunk(&mut png, b"IEND", &[]);
    png
}

fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.sum().to_be_bytes());
}
