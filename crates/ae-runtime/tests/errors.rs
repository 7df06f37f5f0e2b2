//! Bad files, unsupported operators, devices and inputs give one-line errors, never panics.

mod common;

use std::path::Path;

use ae_onnx::proto::{
    tensor_shape_proto, type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use ae_runtime::{Device, Error, LoadOptions, RuntimeKind, Tensor};
use common::fixture;
use prost::Message;

/// Runtimes that every build has.
const RUNTIMES: [RuntimeKind; 2] = [RuntimeKind::Tract, RuntimeKind::Ort];

fn value_info(name: &str, dims: &[&str]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|dim| {
            let value = match dim.parse::<i64>() {
                Ok(size) => tensor_shape_proto::dimension::Value::DimValue(size),
                Err(_) => tensor_shape_proto::dimension::Value::DimParam(dim.to_string()),
            };
            tensor_shape_proto::Dimension {
                value: Some(value),
                denotation: None,
            }
        })
        .collect();
    let tensor = type_proto::Tensor {
        elem_type: Some(1),
        shape: Some(TensorShapeProto { dim }),
    };
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(tensor)),
            denotation: None,
        }),
        doc_string: None,
    }
}

/// Writes a graph `x [N,4] -> Relu -> OP -> y [N,4]` to `path`.
fn write_graph_with_op(path: &Path, op: &str) {
    let node = |name: &str, op_type: &str, input: &str, output: &str| NodeProto {
        input: vec![input.into()],
        output: vec![output.into()],
        name: Some(name.into()),
        op_type: Some(op_type.into()),
        ..NodeProto::default()
    };
    let graph = GraphProto {
        node: vec![
            node("relu", "Relu", "x", "hidden"),
            node("odd_node", op, "hidden", "y"),
        ],
        name: Some("unsupported".into()),
        input: vec![value_info("x", &["N", "4"])],
        output: vec![value_info("y", &["N", "4"])],
        ..GraphProto::default()
    };
    let model = ModelProto {
        ir_version: Some(8),
        producer_name: Some("ae-runtime tests".into()),
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(17),
        }],
        ..ModelProto::default()
    };
    std::fs::write(path, model.encode_to_vec()).expect("temporary folder is writable");
}

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
