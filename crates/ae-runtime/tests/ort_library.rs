//! Finding ONNX Runtime's library. This file contains a single test because a process loads the
//! library once, so the steps must run in order and in their own process.

mod common;

use ae_runtime::{Error, LoadOptions, RuntimeKind};
use common::fixture;

fn load_error(options: &LoadOptions) -> Error {
    let model = fixture("linear.full.ts17.onnx");
    match ae_runtime::load(RuntimeKind::Ort, &model, options) {
        Ok(_) => panic!("loading with {options:?} succeeded"),
        Err(error) => error,
    }
}

fn assert_library_error(error: &Error, expected_text: &str) {
    assert!(matches!(error, Error::Library { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(expected_text), "{message}");
    assert!(
        message.contains("scripts/setup-onnxruntime.sh"),
        "{message}"
    );
    assert!(message.contains("--ort-lib"), "{message}");
    assert!(message.contains("ORT_DYLIB_PATH"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn library_lookup_order_and_errors() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("missing/libonnxruntime.so");
    let not_a_library = folder.path().join("libonnxruntime.so");
    std::fs::write(&not_a_library, "not a shared library\n").unwrap();

    // An explicit path that does not exist is an error, with no fallback to the cache.
    let options = LoadOptions {
        ort_library: Some(missing.clone()),
        ..LoadOptions::default()
    };
    assert_library_error(&load_error(&options), "missing/libonnxruntime.so");

    // ORT_DYLIB_PATH comes next, and a missing file there is an error too.
    let saved = std::env::var_os("ORT_DYLIB_PATH");
    std::env::set_var("ORT_DYLIB_PATH", &missing);
    let error = load_error(&LoadOptions::default());
    match &saved {
        Some(value) => std::env::set_var("ORT_DYLIB_PATH", value),
        None => std::env::remove_var("ORT_DYLIB_PATH"),
    }
    assert_library_error(&error, "(from ORT_DYLIB_PATH)");

    // A file that is not a shared library fails to load.
    let options = LoadOptions {
        ort_library: Some(not_a_library.clone()),
        ..LoadOptions::default()
    };
    assert_library_error(&load_error(&options), "libonnxruntime.so");

    // Without a path the project cache is used, or ORT_DYLIB_PATH where the caller set it.
    let model = fixture("linear.full.ts17.onnx");
    let runtime = ae_runtime::load(RuntimeKind::Ort, &model, &LoadOptions::default())
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(
        runtime.version().starts_with("onnxruntime 1."),
        "{}",
        runtime.version()
    );

    // Once loaded, asking for another library file is an error.
    let options = LoadOptions {
        ort_library: Some(not_a_library),
        ..LoadOptions::default()
    };
    let error = load_error(&options);
    assert!(matches!(error, Error::Library { .. }), "{error:?}");
    assert!(error.to_string().contains("already loaded"), "{error}");
}
