//! The optional candle-onnx runtime, compiled with `--features candle-onnx` (needs `protoc`).
//! It must match ONNX Runtime's recorded outputs on the graphs it supports, and reject the
//! others with a clean error naming ConvTranspose.

#![cfg(feature = "candle-onnx")]

mod common;

use ae_runtime::{Error, LoadOptions, RuntimeKind};
use common::{fixture, max_abs_diff, read_npy, TOLERANCE};

#[test]
fn candle_onnx_matches_recorded_outputs() {
    let supported = [
        "linear.full.ts17",
        "linear.decoder.untrained.ts13",
        "conv.encoder.untrained.ts11",
    ];
    for stem in supported {
        let model = fixture(&format!("{stem}.onnx"));
        let input = read_npy(&fixture(&format!("{stem}.input.npy")));
        let expected = read_npy(&fixture(&format!("{stem}.output.npy")));
        let mut runtime =
            ae_runtime::load(RuntimeKind::CandleOnnx, &model, &LoadOptions::default())
                .unwrap_or_else(|error| panic!("{stem}: {error}"));

        for (start, end) in [(0, 16), (0, 1), (3, 10)] {
            let batch_input = input.slice_batch(start, end).unwrap();
            let batch_expected = expected.slice_batch(start, end).unwrap();
            let outputs = runtime
                .run(&batch_input)
                .unwrap_or_else(|error| panic!("{error}"));
            let diff = max_abs_diff(&outputs[0], &batch_expected)
                .unwrap_or_else(|message| panic!("{stem} rows {start}..{end}: {message}"));
            assert!(
                diff <= TOLERANCE,
                "candle-onnx {stem} rows {start}..{end}: max abs diff {diff:e}"
            );
        }
    }
}

#[test]
fn candle_onnx_rejects_conv_transpose() {
    let model = fixture("conv.full.ts17.onnx");
    let error = ae_runtime::load(RuntimeKind::CandleOnnx, &model, &LoadOptions::default())
        .err()
        .expect("candle-onnx has no ConvTranspose");
    let Error::Unsupported { runtime, op, .. } = &error else {
        panic!("expected Unsupported, got {error:?}");
    };
    assert_eq!(*runtime, RuntimeKind::CandleOnnx);
    assert_eq!(op, "ConvTranspose");
    assert!(
        error
            .to_string()
            .contains("not supported by this runtime: ConvTranspose"),
        "{error}"
    );
}
