//! The ae-infer binary on real MNIST test digits, end to end after ae-train,
//! and its errors on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ae_infer() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ae-infer"));
    command.current_dir(root());
    command
}

/// ae-train, built beside ae-infer when the workspace's tests are built.
fn ae_train() -> Command {
    let path = Path::new(env!("CARGO_BIN_EXE_ae-infer")).with_file_name("ae-train");
    assert!(
        path.exists(),
        "{} not found: build it with `cargo build --release -p ae-train`",
        path.display()
    );
    Command::new(path)
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

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

/// Copies a shipped real MNIST test digit into `dir`.
fn digit(dir: &Path, label: u8) -> PathBuf {
    let path = dir.join(format!("{label}.png"));
    std::fs::copy(root().join(format!("data/digits/{label}.png")), &path).unwrap();
    path
}

/// MSE between a preprocessed input and the reconstruction PNG, recomputed here.
fn png_mse(input: &Path, reconstruction: &Path) -> f64 {
    let input = ae_data::load_digit(input, ae_data::Invert::No)
        .unwrap()
        .pixels;
    let output = ae_data::load_digit(reconstruction, ae_data::Invert::No)
        .unwrap()
        .pixels;
    input
        .iter()
        .zip(&output)
        .map(|(a, b)| ((a - b) as f64).powi(2))
        .sum::<f64>()
        / input.len() as f64
}

#[test]
fn train_export_then_reconstruct() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("conv.onnx");
    let output = ae_train()
        .args([
            "--model",
            "conv",
            "--epochs",
            "1",
            "--train-limit",
            "2000",
            "--json",
        ])
        .arg("--data")
        .arg(root().join("data/mnist"))
        .arg("--export")
        .arg(&whole)
        .output()
        .unwrap();
    json(&output);

    let image = digit(dir.path(), 7);
    let report = json(
        &ae_infer()
            .args(["--runtime", "tract", "--json", "--model"])
            .arg(&whole)
            .arg(&image)
            .output()
            .unwrap(),
    );
    let result = &report["images"][0];
    let reconstruction = dir.path().join("7.recon.png");
    assert_eq!(
        result["reconstruction"].as_str().map(Path::new),
        Some(reconstruction.as_path())
    );
    assert_eq!(result["latent"].as_array().unwrap().len(), 64);
    let mse = result["mse"].as_f64().unwrap();
    // The PNG stores 8-bit pixels, so the recomputed MSE differs by rounding only.
    let recomputed = png_mse(&image, &reconstruction);
    assert!(
        (mse - recomputed).abs() < 1e-3,
        "reported MSE {mse}, recomputed from the PNG {recomputed}"
    );
    let psnr = result["psnr_db"].as_f64().unwrap();
    assert!((psnr - 10.0 * (1.0 / mse).log10()).abs() < 1e-9);
}

#[test]
fn pretrained_conv_reconstructs_every_digit() {
    let dir = tempfile::tempdir().unwrap();
    let images: Vec<PathBuf> = (0..10).map(|label| digit(dir.path(), label)).collect();
    let report = json(&ae_infer().arg("--json").args(&images).output().unwrap());
    assert_eq!(report["model"], "models/conv.onnx");
    assert_eq!(report["runtime"], "tract");
    for (index, result) in report["images"].as_array().unwrap().iter().enumerate() {
        let mse = result["mse"].as_f64().unwrap();
        // The pretrained conv model's mean test MSE is about 0.003.
        assert!(mse < 0.01, "digit {index}: MSE {mse}");
        assert_eq!(result["inverted"], false);
        assert!(dir.path().join(format!("{index}.recon.png")).is_file());
    }
}

#[test]
fn encoder_prints_latent_only() {
    let dir = tempfile::tempdir().unwrap();
    let image = digit(dir.path(), 3);
    let report = json(
        &ae_infer()
            .args(["--json", "--model", "models/linear.encoder.onnx"])
            .arg(&image)
            .output()
            .unwrap(),
    );
    let result = &report["images"][0];
    assert_eq!(result["latent"].as_array().unwrap().len(), 3);
    assert!(result["reconstruction"].is_null());
    assert!(!dir.path().join("3.recon.png").exists());
}

#[test]
fn light_background_is_inverted() {
    let dir = tempfile::tempdir().unwrap();
    let digit =
        ae_data::load_digit(&root().join("data/digits/7.png"), ae_data::Invert::No).unwrap();
    let inverted: Vec<f32> = digit.pixels.iter().map(|value| 1.0 - value).collect();
    let image = dir.path().join("paper.png");
    ae_data::save_grey_png(&image, &inverted, 28, 28).unwrap();
    let report = json(&ae_infer().arg("--json").arg(&image).output().unwrap());
    assert_eq!(report["images"][0]["inverted"], true);
    assert!(report["images"][0]["mse"].as_f64().unwrap() < 0.01);
}

#[test]
fn missing_image_is_an_error() {
    assert_user_error(
        &ae_infer().arg("/nonexistent/7.png").output().unwrap(),
        "/nonexistent/7.png",
    );
}

#[test]
fn text_file_is_not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.png");
    std::fs::write(&path, "not a picture").unwrap();
    assert_user_error(&ae_infer().arg(&path).output().unwrap(), "notes.png");
    assert!(!dir.path().join("notes.recon.png").exists());
}

#[test]
fn missing_model_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let image = digit(dir.path(), 1);
    let output = ae_infer()
        .args(["--model", "/nonexistent/model.onnx"])
        .arg(&image)
        .output()
        .unwrap();
    assert_user_error(&output, "/nonexistent/model.onnx");
}

#[test]
fn decoder_is_rejected_with_reason() {
    let dir = tempfile::tempdir().unwrap();
    let image = digit(dir.path(), 1);
    let output = ae_infer()
        .args(["--model", "models/conv.decoder.onnx"])
        .arg(&image)
        .output()
        .unwrap();
    assert_user_error(&output, "not a 28x28 image");
}

#[test]
fn out_with_several_images_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (digit(dir.path(), 1), digit(dir.path(), 2));
    let output = ae_infer()
        .arg("--out")
        .arg(dir.path().join("x.png"))
        .arg(&first)
        .arg(&second)
        .output()
        .unwrap();
    assert_user_error(&output, "--out");
}

/// Row 0 of a recorded .npy array.
fn first_row(path: &Path) -> Vec<f32> {
    let (shape, data) = ae_data::read_npy_f32(path).unwrap();
    let len: usize = shape[1..].iter().product();
    data[..len].to_vec()
}

#[test]
fn runs_pytorch_exports_on_every_runtime() {
    // Row 0 of every recorded input is MNIST test image 0, shipped as data/digits/7.png.
    let interop = root().join("tests/fixtures/interop");
    let dir = tempfile::tempdir().unwrap();
    let image = digit(dir.path(), 7);
    let pixels = ae_data::load_digit(&image, ae_data::Invert::No)
        .unwrap()
        .pixels;

    for model in ["full", "encoder"].iter().flat_map(|graph| {
        ["ts17", "untrained.ts11", "untrained.ts13"]
            .iter()
            .flat_map(move |set| ["linear", "conv"].map(|kind| format!("{kind}.{graph}.{set}")))
    }) {
        let expected = first_row(&interop.join(format!("{model}.output.npy")));
        for runtime in ["tract", "ort", "candle"] {
            let output = ae_infer()
                .args(["--json", "--runtime", runtime, "--model"])
                .arg(interop.join(format!("{model}.onnx")))
                .arg(&image)
                .output()
                .unwrap();
            let report = json(&output);
            let result = &report["images"][0];
            if model.contains(".full.") {
                let mse = expected
                    .iter()
                    .zip(&pixels)
                    .map(|(a, b)| ((a - b) as f64).powi(2))
                    .sum::<f64>()
                    / 784.0;
                let reported = result["mse"].as_f64().unwrap();
                assert!(
                    (reported - mse).abs() < 1e-6,
                    "{runtime} {model}: MSE {reported}, recorded output gives {mse}"
                );
            } else {
                let latent: Vec<f32> = result["latent"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|value| value.as_f64().unwrap() as f32)
                    .collect();
                let diff = latent
                    .iter()
                    .zip(&expected)
                    .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
                    .fold(0.0, f32::max);
                assert_eq!(
                    latent.len(),
                    expected.len(),
                    "{runtime} {model}: latent length"
                );
                assert!(
                    diff <= 1e-5,
                    "{runtime} {model}: latent differs from the recorded output by {diff:e}"
                );
            }
        }
    }
}

#[test]
fn out_over_input_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let image = digit(dir.path(), 7);
    let before = std::fs::read(&image).unwrap();
    let output = ae_infer().arg("--out").arg(&image).arg(&image).output().unwrap();
    assert_user_error(&output, "overwrite an input image");
    assert_eq!(std::fs::read(&image).unwrap(), before);
}

#[test]
fn same_stem_twice_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let png = digit(dir.path(), 7);
    let bmp = dir.path().join("7.bmp");
    image::open(&png).unwrap().save(&bmp).unwrap();
    let output = ae_infer().arg(&png).arg(&bmp).output().unwrap();
    assert_user_error(&output, "same reconstruction");
}

#[test]
fn out_with_encoder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let image = digit(dir.path(), 7);
    let out = dir.path().join("x.png");
    let output = ae_infer().args(["--model", "models/conv.encoder.onnx", "--out"]).arg(&out).arg(&image).output().unwrap();
    assert_user_error(&output, "no reconstruction");
}

#[test]
fn closed_stdout_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let image = digit(dir.path(), 7);
    let mut child = ae_infer()
        .arg("--json")
        .arg(&image)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.status.success(), "{stderr}");
}
