//! Subnormal handling of every CPU runtime: with `flush_denormals` runs read subnormal inputs
//! as zero and write zero for subnormal results, without it they follow IEEE 754, and neither
//! leaves the calling thread's mode changed. Only x86_64 can switch the mode.

#![cfg(target_arch = "x86_64")]

mod common;

use std::path::Path;

use ae_onnx::proto::GraphProto;
use ae_runtime::denormal::{self, DenormalGuard};
use ae_runtime::{LoadOptions, RuntimeKind, Tensor};
use common::graphs::{float_initializer, node, value_info, write_model};

/// Input and addend of the test graph. `2^-125 - (2^-125 - 2^-136)` gives the subnormal
/// 2^-136, which flush-to-zero writes as zero. `2^-140 + 2^-140` reads two subnormals, which
/// denormals-are-zero reads as zeros.
fn input_and_addend() -> ([f32; 2], [f32; 2]) {
    let input = [2f32.powi(-125), 2f32.powi(-140)];
    let addend = [-(2f32.powi(-125) - 2f32.powi(-136)), 2f32.powi(-140)];
    (input, addend)
}

/// Sums under IEEE 754 of [`input_and_addend`].
fn ieee_sums() -> [f32; 2] {
    [2f32.powi(-136), 2f32.powi(-139)]
}

/// Writes `y = x + addend` for `x [N,2]`. Add runs outside tract-linalg 0.23.9's x86_64
/// assembly kernels (matrix products, sigmoid), which set DAZ themselves whatever the thread's
/// mode.
fn write_add_graph(path: &Path) {
    let (_, addend) = input_and_addend();
    let graph = GraphProto {
        node: vec![node("add", "Add", &["x", "addend"], &["y"])],
        name: Some("add".into()),
        input: vec![value_info("x", &["N", "2"])],
        output: vec![value_info("y", &["N", "2"])],
        initializer: vec![float_initializer("addend", &[2], addend.to_vec())],
        ..GraphProto::default()
    };
    write_model(path, graph);
}

fn run_add_graph(kind: RuntimeKind, flush_denormals: bool) -> Vec<f32> {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("add.onnx");
    write_add_graph(&path);
    let options = LoadOptions {
        threads: Some(1),
        flush_denormals,
        ..LoadOptions::default()
    };
    let mut runtime = ae_runtime::load(kind, &path, &options)
        .unwrap_or_else(|error| panic!("{error} (run scripts/setup-onnxruntime.sh for ort)"));
    let (input, _) = input_and_addend();
    let outputs = runtime
        .run(&Tensor::new(vec![1, 2], input.to_vec()).unwrap())
        .unwrap();
    outputs[0].data.clone()
}

const CPU_RUNTIMES: [RuntimeKind; 3] = [RuntimeKind::Tract, RuntimeKind::Ort, RuntimeKind::Candle];

#[test]
fn flush_zeroes_subnormals_in_every_runtime() {
    let _keep = DenormalGuard::keep();
    for kind in CPU_RUNTIMES {
        let output = run_add_graph(kind, true);
        assert_eq!(output, [0.0, 0.0], "{kind} with flush_denormals");
        assert!(!denormal::is_flushing(), "{kind} left the thread flushing");
    }
}

#[test]
fn keep_computes_subnormals_in_every_runtime() {
    let _keep = DenormalGuard::keep();
    for kind in CPU_RUNTIMES {
        let output = run_add_graph(kind, false);
        assert_eq!(output, ieee_sums(), "{kind} without flush_denormals");
    }
}
