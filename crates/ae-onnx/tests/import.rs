//! `spec_from_model` reads this crate's exports back and rejects nodes that no layer matches.

mod common;

use ae_onnx::proto::attribute_proto::AttributeType;
use ae_onnx::proto::{AttributeProto, ModelProto, NodeProto};
use ae_onnx::{build_model, spec_from_model};
use common::{autoencoder_spec, conv_layers, linear_layers};

fn conv_model() -> ModelProto {
    build_model(&autoencoder_spec("conv", conv_layers(), 4)).unwrap()
}

fn ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_string()),
        r#type: Some(AttributeType::Ints as i32),
        ints: values.to_vec(),
        ..Default::default()
    }
}

fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_string()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(value),
        ..Default::default()
    }
}

/// Replaces or adds attribute `attribute` on node `index` of `model`.
fn set_attribute(model: &mut ModelProto, index: usize, attribute: AttributeProto) {
    let node = &mut model.graph.as_mut().unwrap().node[index];
    node.attribute
        .retain(|existing| existing.name != attribute.name);
    node.attribute.push(attribute);
}

#[test]
fn own_export_imports_back() {
    for (name, layers, latent_after) in [("conv", conv_layers(), 4), ("linear", linear_layers(), 5)]
    {
        let spec = autoencoder_spec(name, layers, latent_after);
        let model = build_model(&spec).unwrap();

        let imported = spec_from_model(&model).unwrap();

        assert!(
            imported == spec,
            "{name}: the imported spec differs from the exported one"
        );
    }
}

#[test]
fn missing_kernel_shape_comes_from_weight() {
    let mut model = conv_model();
    let node = &mut model.graph.as_mut().unwrap().node[0];
    node.attribute
        .retain(|attribute| attribute.name() != "kernel_shape");

    let imported = spec_from_model(&model).unwrap();

    assert!(
        imported.layers == conv_layers(),
        "the layers differ from the exported ones"
    );
}

#[test]
fn unsupported_operator_names_node() {
    let mut model = conv_model();
    let graph = model.graph.as_mut().unwrap();
    graph.node[1] = NodeProto {
        op_type: Some("LeakyRelu".to_string()),
        ..graph.node[1].clone()
    };

    let message = spec_from_model(&model).unwrap_err().to_string();

    assert_eq!(
        message,
        "node `encoder.1/Relu` (LeakyRelu): not supported as a layer: the operator has no \
         matching layer"
    );
}

#[test]
fn unsupported_attributes_name_node() {
    let string_attribute = |name: &str, value: &str| AttributeProto {
        name: Some(name.to_string()),
        r#type: Some(AttributeType::String as i32),
        s: Some(value.as_bytes().to_vec()),
        ..Default::default()
    };
    // Node 0 is encoder.0/Conv, node 7 is decoder.2/ConvTranspose.
    let cases = [
        (
            0,
            int("group", 2),
            "encoder.0/Conv",
            "group is 2, expected 1",
        ),
        (
            0,
            ints("pads", &[1, 1, 0, 0]),
            "encoder.0/Conv",
            "pads [1, 1, 0, 0] must be 4 equal",
        ),
        (
            0,
            ints("strides", &[2, 1]),
            "encoder.0/Conv",
            "strides [2, 1] must be 2 equal values",
        ),
        (
            0,
            ints("dilations", &[2, 2]),
            "encoder.0/Conv",
            "dilations is 2, expected 1",
        ),
        (
            0,
            string_attribute("auto_pad", "SAME_UPPER"),
            "encoder.0/Conv",
            "auto_pad SAME_UPPER",
        ),
        (
            7,
            ints("output_shape", &[14, 14]),
            "decoder.2/ConvTranspose",
            "output_shape is set",
        ),
    ];

    for (index, attribute, node, expected) in cases {
        let mut model = conv_model();
        set_attribute(&mut model, index, attribute);

        let message = spec_from_model(&model).unwrap_err().to_string();

        assert!(
            message.starts_with(&format!("node `{node}` (")),
            "{message}"
        );
        assert!(
            message.contains(expected),
            "expected `{expected}` in `{message}`"
        );
    }
}

#[test]
fn gemm_without_transposed_weight() {
    let mut model = build_model(&autoencoder_spec("linear", linear_layers(), 5)).unwrap();
    set_attribute(&mut model, 1, int("transB", 0));

    let message = spec_from_model(&model).unwrap_err().to_string();

    assert_eq!(
        message,
        "node `encoder.0/Gemm` (Gemm): not supported as a layer: transB is 0, expected 1"
    );
}

#[test]
fn branching_graph_is_rejected() {
    let mut model = conv_model();
    let graph = model.graph.as_mut().unwrap();
    // decoder.0 now reads the graph input instead of the previous layer's output.
    graph.node[5].input[0] = "image".to_string();

    let message = spec_from_model(&model).unwrap_err().to_string();

    assert_eq!(
        message,
        "node `decoder.0/ConvTranspose` (ConvTranspose): not supported as a layer: its first \
         input is not `latent`"
    );
}
