//! Each runtime runs PyTorch's exports and must match ONNX Runtime 1.32.0's recorded outputs
//! within `common::TOLERANCE`, at the recorded batch of 16 and at slices of 1 and 7 rows.

mod common;

use ae_runtime::{Dim, LoadOptions, RuntimeKind, TensorInfo};
use common::{fixture, max_abs_diff, read_npy, FIXTURES, TOLERANCE};

/// Batch ranges run on one loaded graph: the full batch, then a single row, then rows 3..10 so
/// that the slice does not start at row 0.
const BATCHES: [(usize, usize); 3] = [(0, 16), (0, 1), (3, 10)];

/// Runs every fixture at every batch in `BATCHES` and returns one line per mismatch.
fn mismatches(kind: RuntimeKind, options: &LoadOptions) -> Vec<String> {
    let mut failures = Vec::new();
    for stem in FIXTURES {
        let model = fixture(&format!("{stem}.onnx"));
        let input = read_npy(&fixture(&format!("{stem}.input.npy")));
        let expected = read_npy(&fixture(&format!("{stem}.output.npy")));

        let mut runtime = match ae_runtime::load(kind, &model, options) {
            Ok(runtime) => runtime,
            Err(error) => {
                failures.push(format!("{kind} {stem}: load failed: {error}"));
                continue;
            }
        };
        for (start, end) in BATCHES {
            let batch_input = input.slice_batch(start, end).expect("fixture has 16 rows");
            let batch_expected = expected
                .slice_batch(start, end)
                .expect("fixture has 16 rows");
            let outputs = match runtime.run(&batch_input) {
                Ok(outputs) => outputs,
                Err(error) => {
                    failures.push(format!("{kind} {stem} rows {start}..{end}: {error}"));
                    continue;
                }
            };
            if outputs.len() != 1 {
                failures.push(format!(
                    "{kind} {stem}: {} outputs, expected 1",
                    outputs.len()
                ));
                continue;
            }
            match max_abs_diff(&outputs[0], &batch_expected) {
                Ok(diff) if diff <= TOLERANCE => {}
                Ok(diff) => failures.push(format!(
                    "{kind} {stem} rows {start}..{end}: max abs diff {diff:e} > {TOLERANCE:e}"
                )),
                Err(message) => {
                    failures.push(format!("{kind} {stem} rows {start}..{end}: {message}"))
                }
            }
        }
    }
    failures
}

fn assert_matches(kind: RuntimeKind, options: &LoadOptions) {
    let failures = mismatches(kind, options);
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn tract_matches_recorded_outputs() {
    assert_matches(RuntimeKind::Tract, &LoadOptions::default());
}

#[test]
fn tract_with_fixed_batch_matches() {
    let options = LoadOptions {
        batch: Some(16),
        ..LoadOptions::default()
    };
    assert_matches(RuntimeKind::Tract, &options);
}

#[test]
fn ort_matches_recorded_outputs() {
    assert_matches(RuntimeKind::Ort, &LoadOptions::default());
}

#[test]
fn ort_with_two_threads_matches() {
    let options = LoadOptions {
        threads: Some(2),
        ..LoadOptions::default()
    };
    assert_matches(RuntimeKind::Ort, &options);
}

#[test]
fn candle_matches_recorded_outputs() {
    assert_matches(RuntimeKind::Candle, &LoadOptions::default());
}

fn symbolic(name: &str) -> Dim {
    Dim::Symbolic(name.into())
}

/// Declared inputs and outputs of each fixture, as PyTorch exported them.
fn expected_io(stem: &str) -> (TensorInfo, TensorInfo) {
    let image = vec![
        symbolic("batch"),
        Dim::Fixed(1),
        Dim::Fixed(28),
        Dim::Fixed(28),
    ];
    let flat = vec![symbolic("batch"), Dim::Fixed(784)];
    let (input, output) = match stem {
        "linear.full.ts17" => (flat.clone(), flat),
        "conv.full.ts17" => (image.clone(), image),
        "conv.encoder.untrained.ts11" => (
            image,
            vec![
                symbolic("batch"),
                Dim::Fixed(64),
                Dim::Fixed(1),
                Dim::Fixed(1),
            ],
        ),
        "linear.decoder.untrained.ts13" => (vec![symbolic("batch"), Dim::Fixed(3)], flat),
        _ => panic!("no expected shapes for fixture {stem}"),
    };
    (
        TensorInfo {
            name: "input".into(),
            dims: input,
        },
        TensorInfo {
            name: "output".into(),
            dims: output,
        },
    )
}

#[test]
fn runtimes_report_graph_io() {
    for kind in [RuntimeKind::Tract, RuntimeKind::Ort, RuntimeKind::Candle] {
        for stem in FIXTURES {
            let model = fixture(&format!("{stem}.onnx"));
            let runtime = ae_runtime::load(kind, &model, &LoadOptions::default())
                .unwrap_or_else(|error| panic!("{kind} {stem}: {error}"));
            let (input, output) = expected_io(stem);
            assert_eq!(runtime.inputs(), [input], "{kind} {stem} inputs");
            assert_eq!(runtime.outputs(), [output], "{kind} {stem} outputs");
        }
    }
}

#[test]
fn runtimes_report_name_and_device() {
    let model = fixture("linear.full.ts17.onnx");
    let tract = ae_runtime::load(RuntimeKind::Tract, &model, &LoadOptions::default()).unwrap();
    assert_eq!(tract.kind(), RuntimeKind::Tract);
    assert_eq!(tract.version(), "tract 0.23.9");
    assert_eq!(tract.device(), "cpu");

    let ort = ae_runtime::load(RuntimeKind::Ort, &model, &LoadOptions::default()).unwrap();
    assert_eq!(ort.kind(), RuntimeKind::Ort);
    assert_eq!(ort.version(), "onnxruntime 1.32.0");
    assert_eq!(ort.device(), "CPUExecutionProvider");

    let candle = ae_runtime::load(RuntimeKind::Candle, &model, &LoadOptions::default()).unwrap();
    assert_eq!(candle.kind(), RuntimeKind::Candle);
    assert_eq!(candle.version(), "candle 0.11.1");
    assert_eq!(candle.device(), "cpu");
}
