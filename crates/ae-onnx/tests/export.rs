//! Export of the project's two autoencoders: graph structure, attributes, shapes, round trips.

mod common;

use ae_onnx::proto::attribute_proto::AttributeType;
use ae_onnx::proto::tensor_proto::DataType;
use ae_onnx::proto::{GraphProto, ModelProto, NodeProto};
use ae_onnx::{
    attr_float, attr_int, attr_ints, attribute, build_model, initializers, metadata, opset_version,
    read_model, tensor_f32, tensor_i64, value_info_dims, write_model, Dim, Error, Layer,
};
use common::{autoencoder_spec, conv_layers, linear_layers};
use prost::Message;

fn graph(model: &ModelProto) -> &GraphProto {
    model
        .graph
        .as_ref()
        .expect("build_model always sets the graph")
}

fn node<'a>(graph: &'a GraphProto, name: &str) -> &'a NodeProto {
    let found = graph.node.iter().find(|node| node.name() == name);
    found.unwrap_or_else(|| panic!("no node `{name}`"))
}

fn batched(dims: &[i64]) -> Vec<Dim> {
    let fixed = dims.iter().map(|&dim| Dim::Fixed(dim));
    std::iter::once(Dim::Symbolic("N".to_string()))
        .chain(fixed)
        .collect()
}

#[test]
fn model_header_fields() {
    let model = build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap();

    assert_eq!(model.ir_version(), 8);
    assert_eq!(opset_version(&model), Some(17));
    assert_eq!(model.opset_import.len(), 1);
    assert_eq!(model.producer_name(), "ae-onnx-tests");
    assert_eq!(model.producer_version(), "0.1.0");
    assert!(!model.doc_string().is_empty());
    assert_eq!(graph(&model).name(), "conv");

    let metadata = metadata(&model);
    assert_eq!(metadata.len(), 2);
    assert_eq!(metadata["model"], "conv");
    assert_eq!(metadata["graph"], "full");
}

#[test]
fn conv_graph_nodes_and_tensors() {
    let model = build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap();
    let graph = graph(&model);

    let op_types: Vec<&str> = graph.node.iter().map(|node| node.op_type()).collect();
    let expected_ops = [
        "Conv",
        "Relu",
        "Conv",
        "Relu",
        "Conv",
        "ConvTranspose",
        "Relu",
        "ConvTranspose",
        "Relu",
        "ConvTranspose",
        "Sigmoid",
    ];
    assert_eq!(op_types, expected_ops);

    let first = node(graph, "encoder.0/Conv");
    assert_eq!(first.input, ["image", "encoder.0.weight", "encoder.0.bias"]);
    assert_eq!(first.output, ["encoder.0.out"]);
    // The latent output names the tensor after encoder.4, which decoder.0 then reads.
    assert_eq!(node(graph, "encoder.4/Conv").output, ["latent"]);
    assert_eq!(node(graph, "decoder.0/ConvTranspose").input[0], "latent");
    assert_eq!(node(graph, "decoder.5/Sigmoid").output, ["reconstruction"]);

    let weights = initializers(graph);
    assert_eq!(weights.len(), 12);
    assert_eq!(weights["encoder.0.weight"].dims, [16, 1, 3, 3]);
    assert_eq!(weights["encoder.4.weight"].dims, [64, 32, 7, 7]);
    assert_eq!(weights["decoder.0.weight"].dims, [64, 32, 7, 7]);
    assert_eq!(weights["decoder.0.bias"].dims, [32]);
    assert_eq!(weights["decoder.4.weight"].dims, [16, 1, 3, 3]);
    assert_eq!(weights["decoder.4.bias"].dims, [1]);
    for tensor in weights.values() {
        assert_eq!(
            tensor.data_type(),
            DataType::Float as i32,
            "{}",
            tensor.name()
        );
    }

    // The stored values are the layer's values, in the same order.
    let layers = conv_layers();
    let Layer::ConvTranspose2d { weight, bias, .. } = &layers[7].layer else {
        panic!("layer 7 is decoder.2, a ConvTranspose2d");
    };
    assert_eq!(&tensor_f32(weights["decoder.2.weight"]).unwrap(), weight);
    assert_eq!(&tensor_f32(weights["decoder.2.bias"]).unwrap(), bias);
}

#[test]
fn conv_attributes() {
    let model = build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap();
    let graph = graph(&model);

    let strided = node(graph, "encoder.0/Conv");
    assert_eq!(attr_ints(strided, "kernel_shape"), Some(vec![3, 3]));
    assert_eq!(attr_ints(strided, "strides"), Some(vec![2, 2]));
    assert_eq!(attr_ints(strided, "pads"), Some(vec![1, 1, 1, 1]));
    assert_eq!(attr_ints(strided, "dilations"), Some(vec![1, 1]));
    assert_eq!(attr_int(strided, "group"), Some(1));

    let unpadded = node(graph, "encoder.4/Conv");
    assert_eq!(attr_ints(unpadded, "kernel_shape"), Some(vec![7, 7]));
    assert_eq!(attr_ints(unpadded, "strides"), Some(vec![1, 1]));
    assert_eq!(attr_ints(unpadded, "pads"), Some(vec![0, 0, 0, 0]));
}

#[test]
fn conv_transpose_attributes() {
    let model = build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap();
    let graph = graph(&model);

    let strided = node(graph, "decoder.2/ConvTranspose");
    assert_eq!(attr_ints(strided, "kernel_shape"), Some(vec![3, 3]));
    assert_eq!(attr_ints(strided, "strides"), Some(vec![2, 2]));
    assert_eq!(attr_ints(strided, "pads"), Some(vec![1, 1, 1, 1]));
    assert_eq!(attr_ints(strided, "output_padding"), Some(vec![1, 1]));
    assert_eq!(attr_ints(strided, "dilations"), Some(vec![1, 1]));
    assert_eq!(attr_int(strided, "group"), Some(1));

    let first = node(graph, "decoder.0/ConvTranspose");
    assert_eq!(attr_ints(first, "kernel_shape"), Some(vec![7, 7]));
    assert_eq!(attr_ints(first, "strides"), Some(vec![1, 1]));
    assert_eq!(attr_ints(first, "pads"), Some(vec![0, 0, 0, 0]));
    assert_eq!(attr_ints(first, "output_padding"), Some(vec![0, 0]));
}

#[test]
fn gemm_flatten_reshape_attributes() {
    let model = build_model(&autoencoder_spec("linear", linear_layers(), 5)).unwrap();
    let graph = graph(&model);

    let gemm = node(graph, "encoder.0/Gemm");
    assert_eq!(
        gemm.input,
        ["encoder.flatten.out", "encoder.0.weight", "encoder.0.bias"]
    );
    assert_eq!(attr_float(gemm, "alpha"), Some(1.0));
    assert_eq!(attr_float(gemm, "beta"), Some(1.0));
    assert_eq!(attr_int(gemm, "transB"), Some(1));
    let trans_b = attribute(gemm, "transB").unwrap();
    assert_eq!(trans_b.r#type(), AttributeType::Int);

    let weights = initializers(graph);
    assert_eq!(weights["encoder.0.weight"].dims, [128, 784]);
    assert_eq!(weights["decoder.5.weight"].dims, [784, 128]);

    let flatten = node(graph, "encoder.flatten/Flatten");
    assert_eq!(attr_int(flatten, "axis"), Some(1));

    let reshape = node(graph, "decoder.unflatten/Reshape");
    assert_eq!(reshape.input, ["decoder.6.out", "decoder.unflatten.shape"]);
    let shape = weights["decoder.unflatten.shape"];
    assert_eq!(shape.data_type(), DataType::Int64 as i32);
    assert_eq!(shape.dims, [4]);
    assert_eq!(tensor_i64(shape).unwrap(), [-1, 1, 28, 28]);
}

#[test]
fn value_info_shapes() {
    let model = build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap();
    let graph = graph(&model);

    assert_eq!(graph.input.len(), 1);
    assert_eq!(graph.input[0].name(), "image");
    assert_eq!(value_info_dims(&graph.input[0]), batched(&[1, 28, 28]));

    let outputs: Vec<(&str, Vec<Dim>)> = graph
        .output
        .iter()
        .map(|output| (output.name(), value_info_dims(output)))
        .collect();
    assert_eq!(
        outputs,
        [
            ("reconstruction", batched(&[1, 28, 28])),
            ("latent", batched(&[64, 1, 1]))
        ]
    );

    // Intermediate tensors carry no value info, so that runtimes that fix the batch
    // size (tract with an input fact) do not meet the symbolic batch inside the graph.
    assert!(graph.value_info.is_empty(), "value_info: {:?}", graph.value_info);
}

#[test]
fn two_outputs_after_one_layer() {
    let mut spec = autoencoder_spec("conv", conv_layers(), 4);
    spec.outputs.push(ae_onnx::OutputSpec {
        name: "code".to_string(),
        after_layer: 4,
    });

    let model = build_model(&spec).unwrap();
    let graph = graph(&model);

    let copy = node(graph, "encoder.4/Identity_code");
    assert_eq!(copy.op_type(), "Identity");
    assert_eq!(copy.input, ["latent"]);
    assert_eq!(copy.output, ["code"]);
    let output_names: Vec<&str> = graph.output.iter().map(|output| output.name()).collect();
    assert_eq!(output_names, ["reconstruction", "latent", "code"]);
    assert_eq!(value_info_dims(&graph.output[2]), batched(&[64, 1, 1]));
}

#[test]
fn encode_decode_round_trip() {
    for (name, layers, latent_after) in [("conv", conv_layers(), 4), ("linear", linear_layers(), 5)]
    {
        let model = build_model(&autoencoder_spec(name, layers, latent_after)).unwrap();

        let bytes = model.encode_to_vec();
        let decoded = ModelProto::decode(bytes.as_slice()).unwrap();

        assert!(
            decoded == model,
            "{name}: decoded model differs from the built one"
        );
        assert_eq!(
            decoded.encode_to_vec(),
            bytes,
            "{name}: re-encoding changed the bytes"
        );
    }
}

#[test]
fn write_then_read_model() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("conv.onnx");
    let model = build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap();

    write_model(&path, &model).unwrap();
    let read_back = read_model(&path).unwrap();

    assert!(
        read_back == model,
        "the model read back differs from the one written"
    );
    let leftovers: Vec<_> = std::fs::read_dir(folder.path()).unwrap().collect();
    assert_eq!(
        leftovers.len(),
        1,
        "only conv.onnx is left, no temporary file"
    );
}

#[test]
fn write_into_missing_folder_names_path() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("missing").join("conv.onnx");
    let model = build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap();

    let error = write_model(&path, &model).unwrap_err();

    assert!(matches!(error, Error::Write(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("missing/conv.onnx"), "{message}");
}
