//! One conformance suite for every runtime behind `ae_runtime::Runtime`.
//!
//! Cases:
//! - the shipped models (models/*.onnx): both models, whole, encoder and
//!   decoder graphs, batch 1 and batch 7 of real MNIST test images, against
//!   candle's forward pass of the matching safetensors checkpoint;
//! - the ONNX files exported by PyTorch's `torch.onnx.export` in
//!   tests/fixtures/interop (opsets 11, 13 and 17), batch 16, 1 and 7,
//!   against ONNX Runtime 1.32.0's recorded outputs. Input and output names
//!   and shapes are read from each graph.
//!
//! Tolerance: |runtime - reference| ≤ 1e-5 · max(1, |reference|) for every
//! value (`ae_tests::scaled_diff`), which is the plain max abs diff ≤ 1e-5 for
//! reconstructions. Each runtime lists the graphs it cannot run, with the
//! operator it lacks; such a graph must fail to load with that operator named.
//! The "native" runtime (the firmware's kernels on the host) runs encoders only.

use std::path::{Path, PathBuf};

use ae_models::{GraphPart, ModelKind};
use ae_runtime::{LoadOptions, Runtime, RuntimeKind, Tensor};
use ae_tests::{
    mnist_test_images, pretrained, scaled_diff, to_runtime_tensor, workspace_root, TOLERANCE,
};

/// Lists the runtimes under test in this build.
fn runtimes() -> Vec<RuntimeKind> {
    let mut kinds = vec![RuntimeKind::Tract, RuntimeKind::Ort, RuntimeKind::Candle, RuntimeKind::Native];
    if cfg!(feature = "candle-onnx") {
        kinds.push(RuntimeKind::CandleOnnx);
    }
    kinds
}

/// The operator `kind` lacks for a graph with these operators, if any.
fn known_unsupported(kind: RuntimeKind, model: &Path) -> Option<&'static str> {
    let name = model.file_name()?.to_str()?;
    let is_encoder = name.contains("encoder");
    let is_conv = name.starts_with("conv.");
    match kind {
        RuntimeKind::CandleOnnx if is_conv && !is_encoder => Some("ConvTranspose"),
        // The firmware kernels cover encoders; a decoder's first operator they lack is
        // ConvTranspose (conv) or the final Sigmoid (linear).
        RuntimeKind::Native if !is_encoder => Some(if is_conv { "ConvTranspose" } else { "Sigmoid" }),
        _ => None,
    }
}

fn load(kind: RuntimeKind, model: &Path, batch: usize) -> Option<Box<dyn Runtime>> {
    let options = LoadOptions {
        batch: Some(batch),
        threads: Some(1),
        ..LoadOptions::default()
    };
    let result = ae_runtime::load(kind, model, &options);
    match known_unsupported(kind, model) {
        Some(op) => {
            let error = result.err().unwrap_or_else(|| {
                panic!(
                    "{kind}: {} loaded, but {op} is listed as unsupported",
                    model.display()
                )
            });
            let message = error.to_string();
            assert!(
                message.contains(&format!("not supported by this runtime: {op}")),
                "{kind}: {}: {message}",
                model.display()
            );
            None
        }
        None => Some(result.unwrap_or_else(|error| panic!("{kind}: {}: {error}", model.display()))),
    }
}

fn assert_outputs(
    kind: RuntimeKind,
    label: &str,
    runtime: &mut dyn Runtime,
    input: &Tensor,
    expected: &[Tensor],
) {
    let outputs = runtime
        .run(input)
        .unwrap_or_else(|error| panic!("{kind}: {label}: {error}"));
    assert_eq!(
        outputs.len(),
        expected.len(),
        "{kind}: {label}: number of outputs"
    );
    for (index, (output, expected)) in outputs.iter().zip(expected).enumerate() {
        let name = &runtime.outputs()[index].name;
        assert_eq!(
            output.shape, expected.shape,
            "{kind}: {label}: shape of output {name}"
        );
        let diff = scaled_diff(&output.data, &expected.data);
        assert!(
            diff <= TOLERANCE,
            "{kind}: {label}: output {name} differs from the reference by {diff:e}"
        );
    }
}

fn shipped_model(kind: ModelKind) {
    let model = pretrained(kind);
    for batch in [1, 7] {
        let images = mnist_test_images(batch);
        let latent = model.encode(&images).unwrap();
        let reconstruction = model.decode(&latent).unwrap();
        let (images, latent, reconstruction) = (
            to_runtime_tensor(&images),
            to_runtime_tensor(&latent),
            to_runtime_tensor(&reconstruction),
        );

        for part in GraphPart::ALL {
            let suffix = if part == GraphPart::Full {
                String::new()
            } else {
                format!(".{}", part.name())
            };
            let path = workspace_root().join(format!("models/{kind}{suffix}.onnx"));
            let (input, expected) = match part {
                GraphPart::Full => (&images, vec![reconstruction.clone(), latent.clone()]),
                GraphPart::Encoder => (&images, vec![latent.clone()]),
                GraphPart::Decoder => (&latent, vec![reconstruction.clone()]),
            };
            for runtime_kind in runtimes() {
                let Some(mut runtime) = load(runtime_kind, &path, batch) else {
                    continue;
                };
                let label = format!("{} batch {batch}", path.display());
                assert_outputs(runtime_kind, &label, runtime.as_mut(), input, &expected);
            }
        }
    }
}

#[test]
fn shipped_linear_model() {
    shipped_model(ModelKind::Linear);
}

#[test]
fn shipped_conv_model() {
    shipped_model(ModelKind::Conv);
}

fn interop_dir() -> PathBuf {
    workspace_root().join("tests/fixtures/interop")
}

fn read_npy(path: &Path) -> Tensor {
    let (shape, data) = ae_data::read_npy_f32(path).unwrap();
    Tensor { shape, data }
}

/// Every PyTorch export in tests/fixtures/interop, by file stem.
fn interop_stems() -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(interop_dir())
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().ok()?;
            name.strip_suffix(".onnx").map(str::to_string)
        })
        .collect();
    stems.sort();
    stems
}

#[test]
fn pytorch_exports() {
    let stems = interop_stems();
    assert_eq!(
        stems.len(),
        18,
        "expected 18 PyTorch exports, found {stems:?}"
    );
    for stem in &stems {
        let path = interop_dir().join(format!("{stem}.onnx"));
        let input = read_npy(&interop_dir().join(format!("{stem}.input.npy")));
        let expected = read_npy(&interop_dir().join(format!("{stem}.output.npy")));
        for runtime_kind in runtimes() {
            for (start, end) in [(0, 16), (0, 1), (3, 10)] {
                let Some(mut runtime) = load(runtime_kind, &path, end - start) else {
                    continue;
                };
                let declared = &runtime.inputs()[0];
                assert_eq!(
                    declared.dims.len(),
                    input.shape.len(),
                    "{runtime_kind}: {stem}: input rank"
                );
                let label = format!("{stem} images {start}..{end}");
                let input = input.slice_batch(start, end).unwrap();
                let expected = [expected.slice_batch(start, end).unwrap()];
                assert_outputs(runtime_kind, &label, runtime.as_mut(), &input, &expected);
            }
        }
    }
}

/// candle on the safetensors checkpoint against tract on the ONNX export of
/// the same weights: the checkpoint and the shipped ONNX file agree.
#[test]
fn checkpoints_match_onnx_exports() {
    for kind in ModelKind::ALL {
        let checkpoint = workspace_root().join(format!("models/{kind}.safetensors"));
        let onnx = workspace_root().join(format!("models/{kind}.onnx"));
        let images = to_runtime_tensor(&mnist_test_images(7));
        let mut candle = load(RuntimeKind::Candle, &checkpoint, 7).unwrap();
        let mut tract = load(RuntimeKind::Tract, &onnx, 7).unwrap();
        let names: Vec<&str> = candle.outputs().iter().map(|info| info.name.as_str()).collect();
        assert_eq!(names, ["reconstruction", "latent"], "{kind}: checkpoint outputs");
        let expected = tract.run(&images).unwrap();
        assert_outputs(RuntimeKind::Candle, &checkpoint.display().to_string(), candle.as_mut(), &images, &expected);
    }
}
