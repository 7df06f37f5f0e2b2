//! `build_model` rejects inconsistent graph descriptions with errors that name the culprit.

mod common;

use ae_onnx::{build_model, Error, GraphSpec, Layer, OutputSpec};
use common::{autoencoder_spec, conv_layers, linear, linear_layers, named};

/// An edit that makes a valid spec invalid.
type SpecChange = Box<dyn Fn(&mut GraphSpec)>;

fn conv_spec() -> GraphSpec {
    autoencoder_spec("conv", conv_layers(), 4)
}

fn message(spec: &GraphSpec) -> String {
    match build_model(spec) {
        Ok(_) => panic!("build_model accepted an invalid spec"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn mismatched_chain_names_layer() {
    let mut spec = conv_spec();
    // A linear decoder layer after the convolutional encoder expects (N, 3), not (N, 64, 1, 1).
    spec.layers[5] = linear("decoder.0", 3, 12, 1);

    let error = build_model(&spec).unwrap_err();

    assert!(
        matches!(&error, Error::InputShape { layer, .. } if layer == "decoder.0"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "layer `decoder.0` (Gemm): expected input shape [N, 3], found [N, 64, 1, 1]. \
         Check that the previous layer produces the shape this layer takes"
    );
}

#[test]
fn wrong_input_shape_names_first_layer() {
    let mut spec = autoencoder_spec("linear", linear_layers(), 5);
    spec.input.dims = vec![1, 28, 27];

    let message = message(&spec);

    assert!(message.starts_with("layer `encoder.0` (Gemm)"), "{message}");
    assert!(
        message.contains("expected input shape [N, 784], found [N, 756]"),
        "{message}"
    );
}

#[test]
fn wrong_bias_length_names_layer() {
    let mut spec = conv_spec();
    if let Layer::Conv2d { bias, .. } = &mut spec.layers[2].layer {
        bias.push(0.0);
    }

    assert_eq!(
        message(&spec),
        "layer `encoder.2` (Conv): bias has 33 values, expected 32 for shape [32]"
    );
}

#[test]
fn invalid_specs_name_problem() {
    let cases: Vec<(&str, SpecChange)> = vec![
        (
            "graph `conv`: the graph has no layers",
            Box::new(|spec| spec.layers.clear()),
        ),
        (
            "graph `conv`: the graph has no outputs",
            Box::new(|spec| spec.outputs.clear()),
        ),
        (
            "graph ``: the graph name is empty",
            Box::new(|spec| spec.graph_name.clear()),
        ),
        (
            "graph `conv`: the input name is empty",
            Box::new(|spec| spec.input.name.clear()),
        ),
        (
            "graph `conv`: layer name `encoder.1` is used twice",
            Box::new(|spec| spec.layers[3].name = "encoder.1".to_string()),
        ),
        (
            "graph `conv`: layer 0 has an empty name",
            Box::new(|spec| spec.layers[0].name.clear()),
        ),
        (
            "graph `conv`: output name `latent` is used twice",
            Box::new(|spec| spec.outputs[0].name = "latent".to_string()),
        ),
        (
            "graph `conv`: output `latent` follows layer 11, but the graph has 11 layers",
            Box::new(|spec| spec.outputs[1].after_layer = 11),
        ),
        (
            "graph `conv`: metadata key `model` is used twice",
            Box::new(|spec| {
                spec.metadata
                    .push(("model".to_string(), "again".to_string()))
            }),
        ),
        (
            "graph `conv`: input shape [N, 1, 0, 28] has a zero-size axis",
            Box::new(|spec| spec.input.dims = vec![1, 0, 28]),
        ),
        (
            "graph `conv`: tensor name `encoder.0.weight` is used twice",
            Box::new(|spec| spec.outputs[1].name = "encoder.0.weight".to_string()),
        ),
        (
            "graph `conv`: tensor name `image` is used twice",
            Box::new(|spec| {
                spec.outputs.push(OutputSpec {
                    name: "image".to_string(),
                    after_layer: 0,
                })
            }),
        ),
    ];

    for (expected, change) in cases {
        let mut spec = conv_spec();
        change(&mut spec);
        let message = message(&spec);
        assert!(
            message.starts_with(expected),
            "expected `{expected}`, found `{message}`"
        );
    }
}

#[test]
fn unflatten_without_matching_features() {
    let mut spec = autoencoder_spec("linear", linear_layers(), 5);
    let last = spec.layers.len() - 1;
    spec.layers[last] = named(
        "decoder.unflatten",
        Layer::Unflatten {
            dims: vec![2, 28, 28],
        },
    );

    let message = message(&spec);

    assert_eq!(
        message,
        "layer `decoder.unflatten` (Reshape): expected input shape [N, 1568], found [N, 784]. \
         Check that the previous layer produces the shape this layer takes"
    );
}
