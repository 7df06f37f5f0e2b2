//! Shared test helpers: fixture paths, MNIST digits and tract as the
//! reference runtime.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tract_onnx::prelude::*;

/// Fixture folder: encoders and decoders exported by PyTorch 2.15.0
/// (`torch.onnx.export`, TorchScript exporter), with ONNX Runtime 1.32.0's
/// outputs for the first 16 MNIST test images.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/interop")
        .join(name)
}

/// Returns the repository's MNIST folder.
pub fn mnist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

/// Loads the first `count` MNIST test images as f32 in [0, 1], and their
/// labels.
pub fn test_images(count: usize) -> (Vec<f32>, Vec<u8>) {
    let dataset = ae_data::load_dataset(&mnist_dir()).expect("MNIST in data/mnist");
    let len = dataset.test.image_len();
    let pixels = dataset.test.pixels[..count * len]
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    (pixels, dataset.test_labels.labels[..count].to_vec())
}

/// Runs an ONNX model in tract on a batch whose shape is `shape`.
pub fn tract_run(model: &Path, shape: &[usize], input: &[f32]) -> Vec<f32> {
    let plan = tract_onnx::onnx()
        .model_for_path(model)
        .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .unwrap_or_else(|e| panic!("tract cannot load {}: {e:?}", model.display()));
    let tensor: Tensor = tract_ndarray::ArrayD::from_shape_vec(shape.to_vec(), input.to_vec())
        .expect("input length matches the shape")
        .into();
    let outputs = plan
        .run(tvec!(tensor.into()))
        .unwrap_or_else(|e| panic!("tract failed on {}: {e:?}", model.display()));
    let output = outputs[0].clone().into_tensor();
    output
        .to_plain_array_view::<f32>()
        .expect("f32 output")
        .iter()
        .copied()
        .collect()
}

/// Encoder input shape for a batch: `[n, 784]` for the linear PyTorch
/// exports, `[n, 1, 28, 28]` otherwise.
pub fn batch_shape(per_image: &[usize], n: usize) -> Vec<usize> {
    let mut shape = vec![n];
    shape.extend_from_slice(per_image);
    shape
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "compared arrays differ in length");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Mean squared error per pixel between reconstructions and images.
pub fn mse(reconstruction: &[f32], images: &[f32]) -> f64 {
    assert_eq!(reconstruction.len(), images.len(), "reconstruction length");
    let sum: f64 = reconstruction
        .iter()
        .zip(images)
        .map(|(r, x)| ((r - x) as f64).powi(2))
        .sum();
    sum / images.len() as f64
}

/// Largest absolute value, to state tolerances relative to the latents' scale.
pub fn max_abs(values: &[f32]) -> f32 {
    values.iter().fold(0.0, |m, v| m.max(v.abs()))
}
pub mod synthetic;
