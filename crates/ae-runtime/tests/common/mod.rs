//! Helpers shared by the integration tests: fixture paths, a `.npy` reader and tensor comparison.

#![allow(dead_code)]

pub mod graphs;

use std::path::{Path, PathBuf};

use ae_runtime::Tensor;

/// Max abs difference allowed between a runtime's output and ONNX Runtime's recorded output.
pub const TOLERANCE: f32 = 1e-5;

/// Fixture stems: PyTorch exports with ONNX Runtime 1.32.0's outputs for the first 16 MNIST
/// test images (see tests/fixtures/interop/README.md at the workspace root).
pub const FIXTURES: [&str; 4] = [
    "linear.full.ts17",
    "conv.full.ts17",
    "conv.encoder.untrained.ts11",
    "linear.decoder.untrained.ts13",
];

/// Returns the path of a file in the workspace's tests/fixtures/interop.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/interop")
        .join(name)
}

/// Reads a little-endian float32, C-order `.npy` file (format versions 1 to 3).
pub fn read_npy(path: &Path) -> Tensor {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert!(
        bytes.starts_with(b"\x93NUMPY"),
        "{} is not a .npy file",
        path.display()
    );

    let major = bytes[6];
    let (header_len, header_start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => panic!("{}: unknown .npy version {major}", path.display()),
    };
    let header = std::str::from_utf8(&bytes[header_start..header_start + header_len])
        .unwrap_or_else(|error| panic!("{}: header is not text: {error}", path.display()));
    assert!(
        header.contains("'descr': '<f4'"),
        "{}: not float32: {header}",
        path.display()
    );
    assert!(
        header.contains("'fortran_order': False"),
        "{}: not C order",
        path.display()
    );

    let shape_start = header.find("'shape': (").expect("header has a shape") + "'shape': (".len();
    let shape_end = shape_start
        + header[shape_start..]
            .find(')')
            .expect("shape tuple is closed");
    let shape: Vec<usize> = header[shape_start..shape_end]
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().expect("shape entries are integers"))
        .collect();

    let data: Vec<f32> = bytes[header_start + header_len..]
        .chunks_exact(4)
        .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect();
    Tensor::new(shape, data).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Returns the max abs difference between two tensors of the same shape, or a message saying
/// how their shapes differ.
pub fn max_abs_diff(found: &Tensor, expected: &Tensor) -> Result<f32, String> {
    if found.shape != expected.shape {
        return Err(format!(
            "shape {:?}, expected {:?}",
            found.shape, expected.shape
        ));
    }
    let diff = found
        .data
        .iter()
        .zip(&expected.data)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    if found.data.iter().any(|value| value.is_nan()) {
        return Err("output contains NaN".into());
    }
    Ok(diff)
}
