//! ONNX graphs in the project's own export style and unsupported graphs,
//! built in the test: the generator's translation against tract.

mod common;

use std::path::Path;

use ae_firmware::{FirmwareError, NativeEncoder, Precision};
use common::synthetic::{int, int64_tensor, ints, model, node, random, tensor, value};
use common::{max_abs_diff, test_images, tract_run};
use prost::Message;
use tract_onnx::pb::ModelProto;

fn write(dir: &Path, name: &str, model: &ModelProto) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, model.encode_to_vec()).expect("write model");
    path
}

/// Conv, Relu, Flatten, Gemm (transB=1), Relu, MatMul + Add, Reshape and
/// Gemm (transB=0, alpha, beta): every supported operator.
fn every_operator() -> ModelProto {
    let nodes = vec![
        node(
            "conv",
            "Conv",
            &["image", "conv.w", "conv.b"],
            "c",
            vec![
                ints("strides", &[2, 2]),
                ints("pads", &[1, 1, 1, 1]),
                ints("kernel_shape", &[3, 3]),
            ],
        ),
        node("relu1", "Relu", &["c"], "r", vec![]),
        node("flatten", "Flatten", &["r"], "f", vec![int("axis", 1)]),
        node(
            "fc1",
            "Gemm",
            &["f", "fc1.w", "fc1.b"],
            "g",
            vec![int("transB", 1)],
        ),
        node("relu2", "Relu", &["g"], "h", vec![]),
        node("fc2", "MatMul", &["h", "fc2.w"], "m", vec![]),
        node("bias2", "Add", &["m", "fc2.b"], "a", vec![]),
        node("reshape", "Reshape", &["a", "shape"], "s", vec![]),
        node("fc3", "Gemm", &["s", "fc3.w", "fc3.b"], "latent", vec![]),
    ];
    let initializer = vec![
        tensor("conv.w", &[4, 1, 3, 3], random(1, 36, 0.5)),
        tensor("conv.b", &[4], random(2, 4, 0.1)),
        tensor("fc1.w", &[10, 784], random(3, 7840, 0.05)),
        tensor("fc1.b", &[10], random(4, 10, 0.1)),
        tensor("fc2.w", &[10, 6], random(5, 60, 0.3)),
        tensor("fc2.b", &[6], random(6, 6, 0.1)),
        int64_tensor("shape", vec![0, -1]),
        tensor("fc3.w", &[6, 3], random(7, 18, 0.5)),
        tensor("fc3.b", &[3], random(8, 3, 0.1)),
    ];
    model(
        nodes,
        initializer,
        value("image", &[1, 28, 28]),
        value("latent", &[3]),
    )
}

#[test]
fn every_operator_matches_tract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "every-operator.onnx", &every_operator());
    let encoder = NativeEncoder::load(&path, Precision::F32).expect("supported graph");
    assert_eq!(encoder.input_shape(), [1, 28, 28]);
    assert_eq!(encoder.output_shape(), [3]);

    let (images, _) = test_images(20);
    let ours = encoder.encode(&images).expect("encode");
    let theirs = tract_run(&path, &[20, 1, 28, 28], &images);
    let diff = max_abs_diff(&ours, &theirs);
    assert!(diff <= 1e-5, "max abs diff {diff}");
}

#[test]
fn unsupported_op_names_node_and_op() {
    let mut graph = every_operator();
    let g = graph.graph.as_mut().expect("graph");
    g.node[1] = node(
        "Pool_3",
        "MaxPool",
        &["c"],
        "r",
        vec![ints("kernel_shape", &[2, 2])],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "pool.onnx", &graph);

    let error = NativeEncoder::load(&path, Precision::F32).expect_err("MaxPool is not supported");
    assert!(
        matches!(error, FirmwareError::UnsupportedOp { .. }),
        "{error}"
    );
    let expected = format!(
        "{}: node \"Pool_3\" (op MaxPool) is not supported by the firmware generator; supported: Gemm, MatMul, Add, Conv, Relu, Flatten, Reshape",
        path.display()
    );
    assert_eq!(error.to_string(), expected);
}

#[test]
fn grouped_conv_is_rejected_with_reason() {
    let mut graph = every_operator();
    let g = graph.graph.as_mut().expect("graph");
    g.node[0].attribute.push(int("group", 2));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "grouped.onnx", &graph);

    let error = NativeEncoder::load(&path, Precision::F32).expect_err("groups are not supported");
    let message = error.to_string();
    assert!(
        message.contains("node \"conv\" (op Conv): group != 1 is not supported"),
        "{message}"
    );
}

#[test]
fn branching_graph_is_rejected() {
    let mut graph = every_operator();
    let g = graph.graph.as_mut().expect("graph");
    // fc1 reads the conv output instead of the flattened Relu output.
    g.node[3].input[0] = "c".into();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "branch.onnx", &graph);

    let error = NativeEncoder::load(&path, Precision::F32).expect_err("not a chain");
    assert!(
        error.to_string().contains("single-chain graphs only"),
        "{error}"
    );
}

#[test]
fn garbage_file_is_a_decode_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("garbage.onnx");
    std::fs::write(&path, b"\xff\xff\xff\xff not protobuf").expect("write");
    let error = NativeEncoder::load(&path, Precision::F32).expect_err("not ONNX");
    assert!(matches!(error, FirmwareError::Decode { .. }), "{error}");
}

#[test]
fn pads_larger_than_the_kernel_are_rejected() {
    let mut graph = every_operator();
    let conv = &mut graph.graph.as_mut().expect("graph").node[0];
    conv.attribute.retain(|attribute| attribute.name != "pads");
    conv.attribute.push(ints("pads", &[100000; 4]));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "huge_pads.onnx", &graph);

    let error = NativeEncoder::load(&path, Precision::F32).expect_err("huge pads");
    assert!(
        matches!(error, FirmwareError::InvalidNode { .. }),
        "{error}"
    );
    let expected = format!(
        "{}: node \"conv\" (op Conv): pads [100000, 100000, 100000, 100000] must be smaller \
         than the kernel (3x3)",
        path.display()
    );
    assert_eq!(error.to_string(), expected);
}

#[test]
fn scratch_above_64_mib_is_rejected() {
    // Three 1x1 convolutions over a 1x3000x3000 image. Each activation is 36 MB of f32, under
    // the limit, but the two buffers between the layers and a one-value patch need 72 MB.
    let nodes = vec![
        node("conv1", "Conv", &["image", "w"], "a", vec![]),
        node("conv2", "Conv", &["a", "w"], "b", vec![]),
        node("conv3", "Conv", &["b", "w"], "latent", vec![]),
    ];
    let initializer = vec![tensor("w", &[1, 1, 1, 1], vec![1.0])];
    let graph = model(
        nodes,
        initializer,
        value("image", &[1, 3000, 3000]),
        value("latent", &[1, 3000, 3000]),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "wide.onnx", &graph);

    let error = NativeEncoder::load(&path, Precision::F32).expect_err("72 MB of scratch");
    assert!(
        matches!(
            error,
            FirmwareError::ScratchTooLarge {
                bytes: 72_000_004,
                ..
            }
        ),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("wide.onnx"), "{message}");
    assert!(
        message.contains("72000004 bytes of scratch memory, more than the 67108864"),
        "{message}"
    );

    // One activation above the limit is rejected before any layer is read.
    let graph = model(
        vec![node("conv1", "Conv", &["image", "w"], "latent", vec![])],
        vec![tensor("w", &[1, 1, 1, 1], vec![1.0])],
        value("image", &[1, 5000, 5000]),
        value("latent", &[1, 5000, 5000]),
    );
    let path = write(dir.path(), "wider.onnx", &graph);
    let error = NativeEncoder::load(&path, Precision::F32).expect_err("100 MB input");
    assert!(
        matches!(
            error,
            FirmwareError::ScratchTooLarge {
                bytes: 100_000_000,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn missing_model_is_one_line() {
    let path = Path::new("/nonexistent/encoder.onnx");
    let error = NativeEncoder::load(path, Precision::F32).expect_err("no file");
    assert_eq!(
        error.to_string(),
        "/nonexistent/encoder.onnx: file not found; pass an existing ONNX model with --model"
    );
    assert!(std::error::Error::source(&error).is_none(), "{error:?}");
}
