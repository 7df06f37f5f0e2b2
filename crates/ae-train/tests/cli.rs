//! The ae-train binary: a short real training run with export, and its errors on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ae_train() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ae-train"))
}

fn mnist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

/// Asserts that a call failed with exit code 1 and one line of error that mentions `expected`.
fn assert_user_error(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains(expected),
        "{expected:?} not in stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic in stderr: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "more than one line: {stderr}"
    );
}

#[test]
fn short_run_exports_three_graphs() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("lin.onnx");
    let checkpoint = dir.path().join("lin.safetensors");
    let output = ae_train()
        .args([
            "--model",
            "linear",
            "--epochs",
            "1",
            "--train-limit",
            "2000",
            "--json",
        ])
        .arg("--data")
        .arg(mnist())
        .arg("--export")
        .arg(&whole)
        .arg("--checkpoint")
        .arg(&checkpoint)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["model"], "linear");
    assert_eq!(summary["train_images"], 2000);
    assert_eq!(summary["epochs"].as_array().unwrap().len(), 1);
    let test_mse = summary["test_mse"].as_f64().unwrap();
    assert!(test_mse > 0.0, "test MSE {test_mse}");
    assert!(test_mse < 0.2, "test MSE {test_mse}");

    for name in [
        "lin.onnx",
        "lin.encoder.onnx",
        "lin.decoder.onnx",
        "lin.safetensors",
    ] {
        assert!(dir.path().join(name).is_file(), "{name} was not written");
    }
    let model = ae_onnx::read_model(&whole).unwrap();
    let metadata = ae_onnx::metadata(&model);
    assert_eq!(metadata["model"], "linear");
    assert_eq!(metadata["epochs"], "1");
    assert_eq!(metadata["seed"], "0");
    assert_eq!(metadata["dataset"], "mnist");
    let recorded: f64 = metadata["test_mse"].parse().unwrap();
    assert!(
        (recorded - test_mse).abs() < 1e-6,
        "metadata test_mse {recorded}, summary {test_mse}"
    );
}

#[test]
fn fashion_mnist_layout_trains() {
    // Fashion-MNIST has MNIST's file names and format; a folder of plain
    // (not gzipped) IDX files cut from MNIST replaces it here.
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        let gz = std::fs::File::open(mnist().join(format!("{name}.gz"))).unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut plain).unwrap();
        std::fs::write(dir.path().join(name), plain).unwrap();
    }
    let output = ae_train()
        .args([
            "--model",
            "linear",
            "--epochs",
            "1",
            "--train-limit",
            "640",
            "--json",
        ])
        .arg("--data")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn cuda_without_feature_is_an_error() {
    let output = ae_train()
        .args(["--device", "cuda", "--epochs", "1"])
        .arg("--data")
        .arg(mnist())
        .output()
        .unwrap();
    assert_user_error(&output, "built without CUDA support");
}

#[test]
fn missing_data_folder_is_an_error() {
    let output = ae_train()
        .args(["--data", "/nonexistent/mnist"])
        .output()
        .unwrap();
    assert_user_error(&output, "/nonexistent/mnist");
}

#[test]
fn truncated_idx_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(mnist().join(name), dir.path().join(name)).unwrap();
    }
    let images = std::fs::read(mnist().join("train-images-idx3-ubyte.gz")).unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&images[..]), &mut plain).unwrap();
    std::fs::write(
        dir.path().join("train-images-idx3-ubyte"),
        &plain[..plain.len() / 2],
    )
    .unwrap();

    let output = ae_train().arg("--data").arg(dir.path()).output().unwrap();
    assert_user_error(&output, "train-images-idx3-ubyte");
}

#[test]
fn zero_batch_size_is_an_error() {
    let output = ae_train().args(["--batch-size", "0"]).output().unwrap();
    assert_user_error(&output, "--batch-size");
}

#[test]
fn export_into_missing_folder_is_an_error() {
    let output = ae_train()
        .args(["--export", "/nonexistent/dir/conv.onnx"])
        .output()
        .unwrap();
    assert_user_error(&output, "does not exist");
}

#[test]
fn diverged_run_fails_without_files() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("nan.onnx");
    let output = ae_train()
        .args(["--model", "linear", "--lr", "1e30", "--epochs", "1", "--train-limit", "500", "--json"])
        .arg("--data")
        .arg(mnist())
        .arg("--export")
        .arg(&whole)
        .output()
        .unwrap();
    assert_user_error(&output, "training diverged");
    assert!(!whole.exists(), "a diverged model was exported");
}

#[test]
fn checkpoint_named_like_export_is_an_error() {
    let output = ae_train().args(["--export", "x.onnx", "--checkpoint", "x.onnx"]).output().unwrap();
    assert_user_error(&output, "--checkpoint x.onnx");
}

#[test]
fn images_other_than_28x28_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let idx = |magic: u32, dims: &[u32]| {
        let mut bytes = magic.to_be_bytes().to_vec();
        for dim in dims {
            bytes.extend(dim.to_be_bytes());
        }
        bytes.resize(bytes.len() + dims.iter().product::<u32>() as usize, 0);
        bytes
    };
    std::fs::write(dir.path().join("train-images-idx3-ubyte"), idx(0x803, &[10, 32, 32])).unwrap();
    std::fs::write(dir.path().join("train-labels-idx1-ubyte"), idx(0x801, &[10])).unwrap();
    std::fs::write(dir.path().join("t10k-images-idx3-ubyte"), idx(0x803, &[5, 32, 32])).unwrap();
    std::fs::write(dir.path().join("t10k-labels-idx1-ubyte"), idx(0x801, &[5])).unwrap();

    let output = ae_train().arg("--data").arg(dir.path()).output().unwrap();
    assert_user_error(&output, "the images are 32x32");
}
