//! ONNX Runtime 1.32 sets FTZ and DAZ for good on the thread that creates the first session of
//! the process when that session sets `session.set_denormal_as_zero`. This file contains one
//! test, so that its session is the first one in its process.

#![cfg(target_arch = "x86_64")]

mod common;

use ae_runtime::denormal::{self, DenormalGuard};
use ae_runtime::{LoadOptions, RuntimeKind};
use common::fixture;

#[test]
fn first_ort_session_keeps_caller_mode() {
    let _keep = DenormalGuard::keep();
    let options = LoadOptions::default();
    assert!(options.flush_denormals);

    let runtime = ae_runtime::load(
        RuntimeKind::Ort,
        &fixture("linear.full.ts17.onnx"),
        &options,
    )
    .unwrap_or_else(|error| panic!("{error} (run scripts/setup-onnxruntime.sh)"));
    assert!(
        !denormal::is_flushing(),
        "loading the first ONNX Runtime session left FTZ and DAZ set on the calling thread"
    );
    drop(runtime);
}
