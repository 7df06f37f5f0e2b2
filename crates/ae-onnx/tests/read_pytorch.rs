//! Reading helpers and re-export on a file exported by PyTorch.
//!
//! The fixture `conv.encoder.untrained.ts11.onnx` is the project's convolutional encoder with
//! seed-0 initial weights, exported by `torch.onnx.export` (PyTorch 2.15.0, opset 11, IR 6).
//! Its input is `input` (batch, 1, 28, 28) and its output `output` (batch, 64, 1, 1). The
//! weights are named `0.weight` to `4.bias` after the indices of the encoder's `nn.Sequential`.

use std::path::{Path, PathBuf};

use ae_onnx::{
    attr_int, attr_ints, build_model, initializers, opset_version, read_model, spec_from_model,
    tensor_f32, value_info_dims, Dim, Layer,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/interop/conv.encoder.untrained.ts11.onnx")
}

fn batch(dims: &[i64]) -> Vec<Dim> {
    let fixed = dims.iter().map(|&dim| Dim::Fixed(dim));
    std::iter::once(Dim::Symbolic("batch".to_string()))
        .chain(fixed)
        .collect()
}

#[test]
fn pytorch_inputs_and_outputs() {
    let model = read_model(&fixture()).unwrap();
    let graph = model.graph.as_ref().unwrap();

    assert_eq!(opset_version(&model), Some(11));
    assert_eq!(graph.input.len(), 1);
    assert_eq!(graph.input[0].name(), "input");
    assert_eq!(value_info_dims(&graph.input[0]), batch(&[1, 28, 28]));
    assert_eq!(graph.output.len(), 1);
    assert_eq!(graph.output[0].name(), "output");
    assert_eq!(value_info_dims(&graph.output[0]), batch(&[64, 1, 1]));
}

#[test]
fn pytorch_nodes_and_attributes() {
    let model = read_model(&fixture()).unwrap();
    let graph = model.graph.as_ref().unwrap();

    let op_types: Vec<&str> = graph.node.iter().map(|node| node.op_type()).collect();
    assert_eq!(op_types, ["Conv", "Relu", "Conv", "Relu", "Conv"]);

    let first = &graph.node[0];
    assert_eq!(first.input, ["input", "0.weight", "0.bias"]);
    assert_eq!(attr_ints(first, "kernel_shape"), Some(vec![3, 3]));
    assert_eq!(attr_ints(first, "strides"), Some(vec![2, 2]));
    assert_eq!(attr_ints(first, "pads"), Some(vec![1, 1, 1, 1]));
    assert_eq!(attr_int(first, "group"), Some(1));
    // Asking for the wrong kind gives None rather than a default.
    assert_eq!(attr_int(first, "pads"), None);
    assert_eq!(attr_ints(first, "group"), None);
    assert_eq!(attr_ints(first, "missing"), None);

    let last = &graph.node[4];
    assert_eq!(attr_ints(last, "kernel_shape"), Some(vec![7, 7]));
    assert_eq!(attr_ints(last, "pads"), Some(vec![0, 0, 0, 0]));
}

#[test]
fn pytorch_initializer_lengths() {
    let model = read_model(&fixture()).unwrap();
    let weights = initializers(model.graph.as_ref().unwrap());

    let expected = [
        ("0.weight", 16 * 9),
        ("0.bias", 16),
        ("2.weight", 32 * 16 * 9),
        ("2.bias", 32),
        ("4.weight", 64 * 32 * 49),
        ("4.bias", 64),
    ];
    assert_eq!(weights.len(), expected.len());
    for (name, length) in expected {
        let values = tensor_f32(weights[name]).unwrap();
        assert_eq!(values.len(), length, "{name}");
        assert!(values.iter().all(|value| value.is_finite()), "{name}");
    }

    // PyTorch initializes a Conv2d weight uniformly in +-1/sqrt(fan_in), here fan_in = 1*3*3.
    let first = tensor_f32(weights["0.weight"]).unwrap();
    assert!(
        first.iter().all(|value| value.abs() <= 1.0 / 3.0),
        "{first:?}"
    );
    assert!(first.iter().any(|value| *value != 0.0));
}

/// Converting PyTorch's graph into layers and exporting them again keeps every weight and every
/// Conv attribute that PyTorch wrote.
#[test]
fn pytorch_export_rebuilds() {
    let original = read_model(&fixture()).unwrap();
    let original_graph = original.graph.as_ref().unwrap();

    let spec = spec_from_model(&original).unwrap();
    let layer_names: Vec<&str> = spec
        .layers
        .iter()
        .map(|layer| layer.name.as_str())
        .collect();
    assert_eq!(layer_names, ["0", "1", "2", "3", "4"]);
    assert_eq!(spec.input.dims, [1, 28, 28]);
    assert!(matches!(
        spec.layers[4].layer,
        Layer::Conv2d {
            kernel: 7,
            stride: 1,
            padding: 0,
            ..
        }
    ));

    let rebuilt = build_model(&spec).unwrap();
    let rebuilt_graph = rebuilt.graph.as_ref().unwrap();

    let original_weights = initializers(original_graph);
    let rebuilt_weights = initializers(rebuilt_graph);
    assert_eq!(rebuilt_weights.len(), original_weights.len());
    for (name, tensor) in &original_weights {
        let rebuilt_tensor = rebuilt_weights[name];
        assert_eq!(rebuilt_tensor.dims, tensor.dims, "{name}");
        assert_eq!(
            tensor_f32(rebuilt_tensor).unwrap(),
            tensor_f32(tensor).unwrap(),
            "{name}"
        );
    }

    assert_eq!(rebuilt_graph.node.len(), original_graph.node.len());
    for (rebuilt_node, original_node) in rebuilt_graph.node.iter().zip(&original_graph.node) {
        assert_eq!(rebuilt_node.op_type(), original_node.op_type());
        let mut rebuilt_attributes = rebuilt_node.attribute.clone();
        let mut original_attributes = original_node.attribute.clone();
        rebuilt_attributes.sort_by(|a, b| a.name.cmp(&b.name));
        original_attributes.sort_by(|a, b| a.name.cmp(&b.name));
        assert!(
            rebuilt_attributes == original_attributes,
            "{}: attributes differ from PyTorch's",
            original_node.name()
        );
    }
    assert_eq!(
        value_info_dims(&rebuilt_graph.output[0])[1..],
        batch(&[64, 1, 1])[1..]
    );
}
