//! Helpers shared by the cross-crate tests: paths, real MNIST images and comparisons.

use std::path::{Path, PathBuf};
use std::process::Command;

use ae_models::{Autoencoder, GraphPart, ModelKind};
use candle_core::{Device, Tensor};

/// The repository's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The MNIST folder that ships with the repository.
pub fn mnist_dir() -> PathBuf {
    workspace_root().join("data/mnist")
}

/// The first `count` MNIST test images as a (count, 1, 28, 28) tensor in [0, 1].
pub fn mnist_test_images(count: usize) -> Tensor {
    let dataset = ae_data::load_dataset(&mnist_dir()).expect("the shipped MNIST loads");
    let pixels = dataset.test.to_f32();
    Tensor::from_slice(&pixels[..count * 784], (count, 1, 28, 28), &Device::Cpu)
        .expect("valid shape")
}

/// Flattens a candle tensor into an `ae_runtime::Tensor`.
pub fn to_runtime_tensor(tensor: &Tensor) -> ae_runtime::Tensor {
    let data = tensor
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .expect("f32 tensor");
    ae_runtime::Tensor {
        shape: tensor.dims().to_vec(),
        data,
    }
}

/// Tolerance of every numeric comparison between runtimes, see [`scaled_diff`].
pub const TOLERANCE: f32 = 1e-5;

/// Largest difference between `got` and `expected`, measured in units of
/// max(1, |expected|): |got - expected| / max(1, |expected|).
///
/// For values in [-1, 1], such as reconstructions, this is the plain absolute
/// difference. Latent codes reach magnitudes near 30, where one f32 ulp is
/// 1.9e-6, and two correct runtimes that sum a 1,568-term dot product in
/// different orders differ by several ulps; scaling keeps the tolerance at
/// the same number of significant digits there.
pub fn scaled_diff(got: &[f32], expected: &[f32]) -> f32 {
    assert_eq!(
        got.len(),
        expected.len(),
        "compared slices differ in length"
    );
    got.iter()
        .zip(expected)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f32::max)
}

/// Largest absolute difference between two equally long slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "compared slices differ in length");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The pretrained checkpoint of `kind` that ships in models/.
pub fn pretrained(kind: ModelKind) -> Autoencoder {
    let path = workspace_root().join(format!("models/{kind}.safetensors"));
    Autoencoder::load_safetensors(&path, &Device::Cpu).expect("the shipped checkpoint loads")
}

/// Exports the three graphs of `model` into `dir` as `KIND.onnx`,
/// `KIND.encoder.onnx` and `KIND.decoder.onnx`; returns their paths by part.
pub fn export_all(model: &Autoencoder, dir: &Path) -> Vec<(GraphPart, PathBuf)> {
    let whole = dir.join(format!("{}.onnx", model.kind()));
    let provenance = ae_train::Provenance {
        recipe: ae_train::Recipe::default(),
        dataset: "mnist".to_string(),
        test_mse: 0.0,
    };
    let paths = ae_train::export_onnx(model, &whole, &provenance).expect("export succeeds");
    GraphPart::ALL.into_iter().zip(paths).collect()
}

/// The test environment's Python, made by scripts/setup-python.sh.
///
/// Panics with the command to run when it is missing: tests that need it fail
/// rather than skip.
pub fn python() -> PathBuf {
    let python = workspace_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} not found: run scripts/setup-python.sh (or scripts/setup-test-env.sh) first",
        python.display()
    );
    python
}

/// Runs a command and returns its stdout, panicking with its stderr when it fails.
pub fn run_ok(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("could not start {command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?} failed with {}:\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
