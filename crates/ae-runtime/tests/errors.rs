//! Bad files, unsupported operators, devices and inputs give one-line errors, never panics.

mod common;

use std::path::Path;

use ae_runtime::{Device, Error, LoadOptions, RuntimeKind, Tensor};
use common::fixture;
use common::graphs::write_graph_with_op;

/// Runtimes that every build has.
const RUNTIMES: [RuntimeKind; 3] = [RuntimeKind::Tract, RuntimeKind::Ort, RuntimeKind::Candle];

#[test]
fn missing_file_is_one_clean_line() {
    let path = Path::new("/nonexistent/model.onnx");
    for kind in RUNTIMES.into_iter().chain([RuntimeKind::Native]) {
        let error = ae_runtime::load(kind, path, &LoadOptions::default())
            .err()
            .expect("load fails");
        assert!(matches!(error, Error::Io { .. }), "{kind}: {error:?}");
        assert_eq!(
            error.to_string(),
            "/nonexistent/model.onnx: file not found; pass an existing ONNX model with --model",
            "{kind}"
        );
        // A source would make `{:#}` printers repeat the file system's error.
        assert!(std::error::Error::source(&error).is_none(), "{kind}");
    }
}

#[test]
fn thread_count_outside_1_to_1024_is_rejected() {
    let model = fixture("linear.full.ts17.onnx");
    for threads in [0, 1025, usize::MAX] {
        let options = LoadOptions {
            threads: Some(threads),
            ..LoadOptions::default()
        };
        for kind in RUNTIMES {
            let error = ae_runtime::load(kind, &model, &options)
                .err()
                .unwrap_or_else(|| panic!("{kind} rejects {threads} threads"));
            assert!(
                matches!(error, Error::InvalidOptions { .. }),
                "{kind}: {error:?}"
            );
            let message = error.to_string();
            assert!(
                message.contains(&format!("threads is {threads}")),
                "{kind}: {message}"
            );
        }
    }
}

/// Writes `x [N,1,8,8] -> OP (weight [1,1,3,3]) -> y`, with the node named `encoder.0/Conv`
/// and the given attributes.
fn write_convolution(path: &Path, op: &str, attributes: Vec<ae_onnx::proto::AttributeProto>) {
    use ae_onnx::proto::GraphProto;
    use common::graphs::{float_initializer, node, value_info, write_model};

    let mut conv = node("encoder.0/Conv", op, &["x", "w"], &["y"]);
    conv.attribute = attributes;
    let graph = GraphProto {
        node: vec![conv],
        initializer: vec![float_initializer("w", &[1, 1, 3, 3], vec![0.5; 9])],
        input: vec![value_info("x", &["N", "1", "8", "8"])],
        output: vec![value_info("y", &["N", "1", "?", "?"])],
        ..GraphProto::default()
    };
    write_model(path, graph);
}

fn ints(name: &str, values: &[i64]) -> ae_onnx::proto::AttributeProto {
    use ae_onnx::proto::attribute_proto::AttributeType;
    ae_onnx::proto::AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints: values.to_vec(),
        ..ae_onnx::proto::AttributeProto::default()
    }
}

fn int(name: &str, value: i64) -> ae_onnx::proto::AttributeProto {
    use ae_onnx::proto::attribute_proto::AttributeType;
    ae_onnx::proto::AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(value),
        ..ae_onnx::proto::AttributeProto::default()
    }
}

#[test]
fn crafted_convolution_attributes_are_invalid_models() {
    // Each of these crashed a runtime: huge pads made them allocate 1.2 TB and abort, and
    // stride 0 divided by zero in tract.
    let cases = [
        ("Conv", ints("pads", &[100000; 4]),
         "pads [100000, 100000, 100000, 100000] must be smaller than the kernel (3x3)"),
        ("Conv", ints("pads", &[3, 0, 0, 0]), "pads [3, 0, 0, 0] must be smaller than the kernel (3x3)"),
        ("Conv", ints("pads", &[-1, 0, 0, 0]), "pads [-1, 0, 0, 0] must not be negative"),
        ("Conv", ints("strides", &[0, 0]), "strides [0, 0] must be at least 1"),
        ("Conv", ints("strides", &[1, -2]), "strides [1, -2] must be at least 1"),
        ("Conv", ints("dilations", &[0, 1]), "dilations [0, 1] must be at least 1"),
        ("Conv", int("group", 0), "group 0 must be at least 1"),
        ("Conv", ints("kernel_shape", &[5, 5]), "kernel_shape [5, 5] disagrees with the weight's kernel (3x3)"),
        ("ConvTranspose", ints("pads", &[100000; 4]),
         "pads [100000, 100000, 100000, 100000] must be smaller than the kernel (3x3)"),
        ("ConvTranspose", ints("strides", &[0, 0]), "strides [0, 0] must be at least 1"),
        ("ConvTranspose", ints("output_padding", &[1, 1]),
         "output_padding [1, 1] must be one value per axis from 0 to one less than the strides [1, 1]"),
        ("ConvTranspose", ints("output_padding", &[-1, 0]),
         "output_padding [-1, 0] must be one value per axis"),
    ];
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("conv.onnx");
    let mut kinds = RUNTIMES.to_vec();
    kinds.push(RuntimeKind::Native);
    if cfg!(feature = "candle-onnx") {
        kinds.push(RuntimeKind::CandleOnnx);
    }
    for (op, attribute, expected) in cases {
        write_convolution(&path, op, vec![attribute]);
        for &kind in &kinds {
            let error = ae_runtime::load(kind, &path, &LoadOptions::default())
                .err()
                .unwrap_or_else(|| panic!("{kind} rejects {op} with {expected}"));
            assert!(
                matches!(error, Error::InvalidModel { .. }),
                "{kind}: {error:?}"
            );
            let message = error.to_string();
            let node = "conv.onnx: node \"encoder.0/Conv\": ";
            assert!(
                message.contains(&format!("{node}{expected}")),
                "{kind}: {message}"
            );
            assert_eq!(message.matches("conv.onnx").count(), 1, "{kind}: {message}");
        }
    }
}

#[test]
fn valid_convolution_attributes_still_load() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("conv.onnx");
    write_convolution(
        &path,
        "Conv",
        vec![
            ints("pads", &[2, 2, 2, 2]),
            ints("strides", &[1, 1]),
            ints("kernel_shape", &[3, 3]),
        ],
    );
    for kind in RUNTIMES {
        let mut runtime = ae_runtime::load(kind, &path, &LoadOptions::default())
            .unwrap_or_else(|error| panic!("{kind}: {error}"));
        let image = Tensor::new(vec![1, 1, 8, 8], vec![1.0; 64]).unwrap();
        let output = runtime
            .run(&image)
            .unwrap_or_else(|error| panic!("{kind}: {error}"));
        // (8 + 2 + 2 - 3) / 1 + 1 = 10 outputs per axis.
        assert_eq!(output[0].shape, [1, 1, 10, 10], "{kind}");
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
        error
            .to_string()
            .contains("--features ae-runtime/candle-onnx"),
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
