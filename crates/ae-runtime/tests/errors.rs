//! Bad files, unsupported operators, devices and inputs give one-line errors, never panics.

mod common;

use std::path::Path;

use ae_runtime::{Device, Error, LoadOptions, RuntimeKind, Tensor};
use common::fixture;
use common::graphs::write_graph_with_op;

/// Runtimes that every build has.
const RUNTIMES: [RuntimeKind; 3] = [RuntimeKind::Tract, RuntimeKind::Ort, RuntimeKind::Candle];

#[test]
fn missing_file_names_path() {
    let path = Path::new("/nonexistent/model.onnx");
    for kind in RUNTIMES {
        let error = ae_runtime::load(kind, path, &LoadOptions::default())
            .err()
            .expect("load fails");
        assert!(matches!(error, Error::Io { .. }), "{kind}: {error:?}");
        let message = error.to_string();
        assert!(
            message.contains("/nonexistent/model.onnx"),
            "{kind}: {message}"
        );
        assert!(!message.contains('\n'), "{kind}: {message}");
    }
}

#[test]
fn text_file_is_invalid_model() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("notes.onnx");
    std::fs::write(&path, "this is not a protobuf file\n").unwrap();
    for kind in RUNTIMES {
        let error = ae_runtime::load(kind, &path, &LoadOptions::default())
            .err()
            .expect("load fails");
        assert!(
            matches!(error, Error::InvalidModel { .. }),
            "{kind}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("notes.onnx"), "{kind}: {message}");
        assert!(!message.contains('\n'), "{kind}: {message}");
    }
}

#[test]
fn unknown_operator_is_rejected_at_load() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("frobnicate.onnx");
    write_graph_with_op(&path, "Frobnicate");

    let error = ae_runtime::load(RuntimeKind::Tract, &path, &LoadOptions::default())
        .err()
        .expect("tract rejects Frobnicate");
    let Error::Unsupported {
        runtime, node, op, ..
    } = &error
    else {
        panic!("tract: expected Unsupported, got {error:?}");
    };
    assert_eq!(*runtime, RuntimeKind::Tract);
    assert_eq!(node, "odd_node");
    assert_eq!(op, "Frobnicate");
    assert!(
        error
            .to_string()
            .contains("not supported by this runtime: Frobnicate"),
        "{error}"
    );

    // ONNX Runtime treats an operator outside the ONNX operator sets as an invalid graph.
    let error = ae_runtime::load(RuntimeKind::Ort, &path, &LoadOptions::default())
        .err()
        .expect("ort rejects Frobnicate");
    assert!(
        matches!(error, Error::InvalidModel { .. }),
        "ort: {error:?}"
    );
    assert!(error.to_string().contains("Frobnicate"), "ort: {error}");
}

#[test]
fn candle_rejects_unknown_and_unsupported_ops() {
    let folder = tempfile::tempdir().unwrap();
    // Frobnicate is no ONNX operator. Softmax is one, but outside the interpreter's list.
    for op in ["Frobnicate", "Softmax"] {
        let path = folder.path().join(format!("{op}.onnx"));
        write_graph_with_op(&path, op);

        let error = ae_runtime::load(RuntimeKind::Candle, &path, &LoadOptions::default())
            .err()
            .unwrap_or_else(|| panic!("candle rejects {op}"));
        let Error::Unsupported {
            runtime,
            node,
            op: found,
            ..
        } = &error
        else {
            panic!("candle: expected Unsupported for {op}, got {error:?}");
        };
        assert_eq!(*runtime, RuntimeKind::Candle);
        assert_eq!(node, "odd_node");
        assert_eq!(found, op);
        let message = error.to_string();
        assert!(
            message.contains(&format!("not supported by this runtime: {op}")),
            "{message}"
        );
        assert!(message.contains(&format!("{op}.onnx")), "{message}");
    }
}

#[test]
fn candle_rejects_unsupported_conv_attributes() {
    use ae_onnx::proto::attribute_proto::AttributeType;
    use ae_onnx::proto::{AttributeProto, GraphProto};
    use common::graphs::{float_initializer, node, value_info, write_model};

    let ints = |name: &str, values: &[i64]| AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints: values.to_vec(),
        ..AttributeProto::default()
    };
    let cases = [
        (ints("strides", &[2, 1]), "Conv with strides [2, 1]"),
        (ints("dilations", &[2, 2]), "Conv with dilations [2, 2]"),
    ];
    let folder = tempfile::tempdir().unwrap();
    for (attribute, expected) in cases {
        let mut conv = node("conv", "Conv", &["x", "w"], &["y"]);
        conv.attribute.push(attribute);
        let graph = GraphProto {
            node: vec![conv],
            initializer: vec![float_initializer("w", &[1, 1, 3, 3], vec![0.5; 9])],
            input: vec![value_info("x", &["N", "1", "8", "8"])],
            output: vec![value_info("y", &["N", "1", "?", "?"])],
            ..GraphProto::default()
        };
        let path = folder.path().join("conv.onnx");
        write_model(&path, graph);

        let error = ae_runtime::load(RuntimeKind::Candle, &path, &LoadOptions::default())
            .err()
            .unwrap_or_else(|| panic!("candle rejects {expected}"));
        assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn candle_cuda_needs_feature_or_gpu() {
    let options = LoadOptions {
        device: Device::Cuda(0),
        ..LoadOptions::default()
    };
    let error = ae_runtime::load(
        RuntimeKind::Candle,
        &fixture("conv.full.ts17.onnx"),
        &options,
    )
    .err()
    .expect("this machine has no CUDA GPU");
    assert!(matches!(error, Error::Device { .. }), "{error:?}");
    assert!(error.to_string().contains("cuda:0"), "{error}");
}

#[test]
fn wrong_input_shape_is_rejected() {
    let model = fixture("linear.full.ts17.onnx");
    for kind in RUNTIMES {
        let mut runtime = ae_runtime::load(kind, &model, &LoadOptions::default()).unwrap();
        let image = Tensor::new(vec![2, 1, 28, 28], vec![0.0; 2 * 784]).unwrap();
        let error = runtime
            .run(&image)
            .expect_err("a [2,1,28,28] input is rejected");
        assert!(
            matches!(error, Error::InvalidInput { .. }),
            "{kind}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("[batch, 784]"), "{kind}: {message}");
        assert!(message.contains("[2, 1, 28, 28]"), "{kind}: {message}");

        let short = Tensor {
            shape: vec![2, 784],
            data: vec![0.0; 10],
        };
        let error = runtime
            .run(&short)
            .expect_err("data shorter than the shape is rejected");
        assert!(
            matches!(error, Error::InvalidInput { .. }),
            "{kind}: {error:?}"
        );
    }
}

#[test]
fn tract_rejects_cuda() {
    let options = LoadOptions {
        device: Device::Cuda(0),
        ..LoadOptions::default()
    };
    let error = ae_runtime::load(
        RuntimeKind::Tract,
        &fixture("conv.full.ts17.onnx"),
        &options,
    )
    .err()
    .expect("tract has no CUDA");
    assert!(matches!(error, Error::Device { .. }), "{error:?}");
    assert!(error.to_string().contains("cuda:0"), "{error}");
}

#[test]
fn ort_cuda_fails_without_gpu_build() {
    // The CPU build of ONNX Runtime that scripts/setup-onnxruntime.sh installs has no CUDA
    // execution provider, so registration fails, and the error must not become a CPU run.
    let options = LoadOptions {
        device: Device::Cuda(0),
        ..LoadOptions::default()
    };
    let result = ae_runtime::load(RuntimeKind::Ort, &fixture("conv.full.ts17.onnx"), &options);
    let error = result
        .err()
        .expect("CUDA is not available with the CPU library");
    assert!(matches!(error, Error::Device { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("cuda:0"), "{message}");
    assert!(message.contains("CUDA execution provider"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn tract_rejects_batch_zero() {
    let options = LoadOptions {
        batch: Some(0),
        ..LoadOptions::default()
    };
    let error = ae_runtime::load(
        RuntimeKind::Tract,
        &fixture("linear.full.ts17.onnx"),
        &options,
    )
    .err()
    .expect("batch 0 is rejected");
    assert!(matches!(error, Error::InvalidOptions { .. }), "{error:?}");
}

#[cfg(not(feature = "candle-onnx"))]
#[test]
fn candle_onnx_needs_its_feature() {
    let model = fixture("linear.full.ts17.onnx");
    let error = ae_runtime::load(RuntimeKind::CandleOnnx, &model, &LoadOptions::default())
        .err()
        .expect("candle-onnx is not compiled in");
    assert!(matches!(error, Error::NotCompiled { .. }), "{error:?}");
    assert!(
        error.to_string().contains("--features candle-onnx"),
        "{error}"
    );
}

#[test]
fn available_runtimes_lists_every_runtime() {
    let statuses = ae_runtime::available_runtimes(&LoadOptions::default());
    let kinds: Vec<RuntimeKind> = statuses.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(kinds, RuntimeKind::ALL);
    for (kind, status) in &statuses {
        let expected_available = *kind != RuntimeKind::CandleOnnx || cfg!(feature = "candle-onnx");
        assert_eq!(status.is_ok(), expected_available, "{kind}: {status:?}");
    }
}
