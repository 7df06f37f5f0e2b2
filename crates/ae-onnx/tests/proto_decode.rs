//! Decodes an ONNX file exported by PyTorch with the hand-written prost structs.
//!
//! The fixture `conv.encoder.untrained.ts11.onnx` is the project's convolutional encoder with
//! seed-0 initial weights, exported by `torch.onnx.export` (PyTorch 2.15.0, opset 11, IR 6).

use ae_onnx::proto::{tensor_proto::DataType, ModelProto};
use prost::Message;

const FIXTURE: &[u8] = include_bytes!("../../../tests/fixtures/interop/conv.encoder.untrained.ts11.onnx");

#[test]
fn pytorch_export_decodes() {
    let model = ModelProto::decode(FIXTURE).expect("the fixture is a valid ONNX file");

    assert_eq!(model.ir_version(), 6);
    assert_eq!(model.producer_name(), "pytorch");
    assert_eq!(model.opset_import.len(), 1);
    assert_eq!(model.opset_import[0].domain(), "");
    assert_eq!(model.opset_import[0].version(), 11);

    let graph = model.graph.as_ref().expect("the model has a graph");
    let op_types: Vec<&str> = graph.node.iter().map(|node| node.op_type()).collect();
    assert_eq!(op_types, ["Conv", "Relu", "Conv", "Relu", "Conv"]);

    for tensor in &graph.initializer {
        assert_eq!(
            tensor.data_type(),
            DataType::Float as i32,
            "{}",
            tensor.name()
        );
        let element_count: i64 = tensor.dims.iter().product();
        let raw_len = tensor.raw_data().len() as i64;
        assert_eq!(raw_len, element_count * 4, "{}", tensor.name());
    }
}

/// Re-encoding must reproduce PyTorch's bytes exactly, which checks every field number, wire
/// type, packing and field order that the file uses.
#[test]
fn pytorch_export_reencodes_identically() {
    let model = ModelProto::decode(FIXTURE).expect("the fixture is a valid ONNX file");

    let encoded = model.encode_to_vec();

    assert_eq!(encoded.len(), FIXTURE.len());
    assert!(
        encoded == FIXTURE,
        "re-encoded bytes differ from the fixture"
    );
}
