//! One-line errors of `ae-bench` on invalid arguments.

mod common;

use common::run_bench;

#[test]
fn model_without_name_is_rejected() {
    let output = run_bench(&["--quick", "--model", "models/conv.onnx"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.starts_with("error: invalid --model `models/conv.onnx`: the name is missing"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn unknown_runtime_is_rejected() {
    let output = run_bench(&["--quick", "--runtimes", "tract,onnxruntime"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("invalid --runtimes `onnxruntime`: unknown runtime, expected one of"),
        "{stderr}"
    );
}

#[test]
fn missing_data_folder_is_named() {
    let output = run_bench(&["--quick", "--data", "no/such/folder"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no/such/folder"), "{stderr}");
}

#[test]
fn threads_must_include_one() {
    let output = run_bench(&["--quick", "--threads", "2"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("--threads must include 1"), "{stderr}");
}
