//! Bad model files and malformed tensors give errors that name the file or tensor.

mod common;

use ae_onnx::proto::tensor_proto::{DataLocation, DataType};
use ae_onnx::proto::{GraphProto, ModelProto, StringStringEntryProto, TensorProto};
use ae_onnx::{build_model, metadata, read_model, tensor_f32, tensor_i64, write_model, Error};
use common::{autoencoder_spec, conv_layers, linear_layers};
use prost::Message;

fn read_error(bytes: &[u8]) -> (String, Error) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("model.onnx");
    std::fs::write(&path, bytes).unwrap();
    let error = read_model(&path).unwrap_err();
    (path.display().to_string(), error)
}

#[test]
fn missing_file_names_path() {
    let error = read_model(std::path::Path::new("no/such/model.onnx")).unwrap_err();

    assert!(matches!(error, Error::Read { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("no/such/model.onnx: failed to read the ONNX model: "),
        "{message}"
    );
    assert!(message.ends_with(". Check the path"), "{message}");
}

#[test]
fn empty_file_is_not_onnx() {
    let (path, error) = read_error(b"");

    assert!(matches!(error, Error::NotOnnx { .. }), "{error:?}");
    assert!(error
        .to_string()
        .starts_with(&format!("{path}: not an ONNX model: the file is empty")));
}

#[test]
fn text_file_is_not_onnx() {
    let (path, error) = read_error(b"This is a README, not a model.\n");

    assert!(matches!(error, Error::NotOnnx { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{path}: not an ONNX model: ")),
        "{error}"
    );
}

#[test]
fn truncated_model_is_not_onnx() {
    let model = build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap();
    let bytes = model.encode_to_vec();

    let (path, error) = read_error(&bytes[..bytes.len() / 2]);

    let message = error.to_string();
    assert!(matches!(error, Error::NotOnnx { .. }), "{error:?}");
    assert!(message.starts_with(&format!(
        "{path}: not an ONNX model: protobuf decoding failed"
    )));
    assert!(message.ends_with("Pass a .onnx file written by ae-train or torch.onnx.export"));
}

#[test]
fn model_without_graph_is_empty() {
    let model = ModelProto {
        ir_version: Some(8),
        ..Default::default()
    };

    let (path, error) = read_error(&model.encode_to_vec());

    assert!(matches!(error, Error::EmptyGraph { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("{path}: the ONNX model has an empty graph (no graph). Export the model again")
    );
}

#[test]
fn graph_without_nodes_is_empty() {
    let graph = GraphProto {
        name: Some("g".to_string()),
        ..Default::default()
    };
    let model = ModelProto {
        ir_version: Some(8),
        graph: Some(graph),
        ..Default::default()
    };

    let (_, error) = read_error(&model.encode_to_vec());

    assert!(
        error
            .to_string()
            .contains("empty graph (the graph has no nodes)"),
        "{error}"
    );
}

fn float_tensor(dims: Vec<i64>) -> TensorProto {
    TensorProto {
        name: Some("w".to_string()),
        dims,
        data_type: Some(DataType::Float as i32),
        ..Default::default()
    }
}

#[test]
fn tensor_f32_from_float_data() {
    let tensor = TensorProto {
        float_data: vec![1.5, -2.0, 0.25, 8.0],
        ..float_tensor(vec![2, 2])
    };

    assert_eq!(tensor_f32(&tensor).unwrap(), [1.5, -2.0, 0.25, 8.0]);
}

#[test]
fn tensor_f32_from_raw_data() {
    let raw = [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]; // 1.5 and -2.0, little-endian.
    let tensor = TensorProto {
        raw_data: Some(raw.to_vec()),
        ..float_tensor(vec![2])
    };

    assert_eq!(tensor_f32(&tensor).unwrap(), [1.5, -2.0]);
}

#[test]
fn scalar_tensor_has_one_element() {
    let tensor = TensorProto {
        float_data: vec![3.0],
        ..float_tensor(vec![])
    };

    assert_eq!(tensor_f32(&tensor).unwrap(), [3.0]);
}

#[test]
fn tensor_i64_from_both_fields() {
    let typed = TensorProto {
        name: Some("shape".to_string()),
        dims: vec![3],
        data_type: Some(DataType::Int64 as i32),
        int64_data: vec![-1, 64, 7],
        ..Default::default()
    };
    let raw: Vec<u8> = [-1i64, 64, 7]
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect();
    let packed = TensorProto {
        int64_data: vec![],
        raw_data: Some(raw),
        ..typed.clone()
    };

    assert_eq!(tensor_i64(&typed).unwrap(), [-1, 64, 7]);
    assert_eq!(tensor_i64(&packed).unwrap(), [-1, 64, 7]);
}

#[test]
fn malformed_tensors_name_tensor() {
    let wrong_type = TensorProto {
        data_type: Some(DataType::Double as i32),
        double_data: vec![1.0],
        ..float_tensor(vec![1])
    };
    let odd_raw = TensorProto {
        raw_data: Some(vec![0; 7]),
        ..float_tensor(vec![2])
    };
    let short = TensorProto {
        float_data: vec![1.0; 5],
        ..float_tensor(vec![2, 3])
    };
    let negative = TensorProto {
        float_data: vec![],
        ..float_tensor(vec![-1])
    };
    let external = TensorProto {
        data_location: Some(DataLocation::External as i32),
        external_data: vec![StringStringEntryProto {
            key: Some("location".to_string()),
            value: Some("weights.bin".to_string()),
        }],
        ..float_tensor(vec![2])
    };

    let cases = [
        (
            wrong_type,
            "tensor `w`: expected data type FLOAT, found DOUBLE",
        ),
        (
            odd_raw,
            "tensor `w`: raw_data has 7 bytes, not a multiple of 4",
        ),
        (
            short,
            "tensor `w`: has 5 elements, expected 6 for dims [2, 3]",
        ),
        (negative, "tensor `w`: invalid dims [-1]"),
        (external, "tensor `w`: its data is in an external file"),
    ];
    for (tensor, expected) in cases {
        let message = tensor_f32(&tensor).unwrap_err().to_string();
        assert!(
            message.starts_with(expected),
            "expected `{expected}`, found `{message}`"
        );
    }

    let float_as_int = float_tensor(vec![1]);
    let message = tensor_i64(&float_as_int).unwrap_err().to_string();
    assert_eq!(message, "tensor `w`: expected data type INT64, found FLOAT");
}

#[test]
fn metadata_round_trip() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("linear.onnx");
    let model = build_model(&autoencoder_spec("linear", linear_layers(), 5)).unwrap();
    write_model(&path, &model).unwrap();

    let metadata = metadata(&read_model(&path).unwrap());

    assert_eq!(metadata.get("model").map(String::as_str), Some("linear"));
    assert_eq!(metadata.get("graph").map(String::as_str), Some("full"));
}
