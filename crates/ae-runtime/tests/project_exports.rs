//! Graphs written by this project's exporter (`ae_onnx::build_model`) and by hand, which use
//! the operators that PyTorch's exports do not: Flatten, Reshape, Identity, MatMul and Add, and
//! two graph outputs. tract and candle must match ONNX Runtime within `common::TOLERANCE`.

mod common;

use ae_onnx::proto::GraphProto;
use ae_onnx::{build_model, GraphSpec, Layer, NamedLayer, OutputSpec, TensorSpec};
use ae_runtime::{Dim, LoadOptions, RuntimeKind, Tensor};
use common::graphs::{float_initializer, node, value_info, write_model};
use common::{max_abs_diff, TOLERANCE};

/// Returns `count` values in [-0.5, 0.5) from a fixed linear congruential sequence, so that
/// weights and inputs are the same on every run.
fn pseudo_random(count: usize, seed: u32) -> Vec<f32> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

/// Returns a small conv autoencoder on 8x8 images: Conv, Relu, Flatten, Gemm to a 6-value `latent`,
/// Gemm, Relu, Reshape, ConvTranspose and Sigmoid to `reconstruction`, which is also copied to
/// `reconstruction_copy` by an Identity node.
fn autoencoder_spec() -> GraphSpec {
    let layer = |name: &str, layer: Layer| NamedLayer {
        name: name.into(),
        layer,
    };
    GraphSpec {
        graph_name: "tiny_autoencoder".into(),
        input: TensorSpec {
            name: "image".into(),
            dims: vec![1, 8, 8],
        },
        outputs: vec![
            OutputSpec {
                name: "latent".into(),
                after_layer: 3,
            },
            OutputSpec {
                name: "reconstruction".into(),
                after_layer: 8,
            },
            OutputSpec {
                name: "reconstruction_copy".into(),
                after_layer: 8,
            },
        ],
        layers: vec![
            layer(
                "encoder.conv",
                Layer::Conv2d {
                    weight: pseudo_random(4 * 9, 1),
                    bias: pseudo_random(4, 2),
                    in_channels: 1,
                    out_channels: 4,
                    kernel: 3,
                    stride: 2,
                    padding: 1,
                },
            ),
            layer("encoder.relu", Layer::Relu),
            layer("encoder.flatten", Layer::Flatten),
            layer(
                "encoder.fc",
                Layer::Linear {
                    weight: pseudo_random(6 * 64, 3),
                    bias: pseudo_random(6, 4),
                    in_features: 64,
                    out_features: 6,
                },
            ),
            layer(
                "decoder.fc",
                Layer::Linear {
                    weight: pseudo_random(64 * 6, 5),
                    bias: pseudo_random(64, 6),
                    in_features: 6,
                    out_features: 64,
                },
            ),
            layer("decoder.relu", Layer::Relu),
            layer(
                "decoder.unflatten",
                Layer::Unflatten {
                    dims: vec![4, 4, 4],
                },
            ),
            layer(
                "decoder.deconv",
                Layer::ConvTranspose2d {
                    weight: pseudo_random(4 * 9, 7),
                    bias: pseudo_random(1, 8),
                    in_channels: 4,
                    out_channels: 1,
                    kernel: 3,
                    stride: 2,
                    padding: 1,
                    output_padding: 1,
                },
            ),
            layer("decoder.sigmoid", Layer::Sigmoid),
        ],
        metadata: vec![],
        producer_name: "ae-runtime tests".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Runs `input` through every runtime and compares tract and candle to ONNX Runtime.
fn assert_runtimes_agree(model: &std::path::Path, input: &Tensor) -> Vec<Tensor> {
    let run = |kind: RuntimeKind| {
        let mut runtime = ae_runtime::load(kind, model, &LoadOptions::default())
            .unwrap_or_else(|error| panic!("{error}"));
        runtime.run(input).unwrap_or_else(|error| panic!("{error}"))
    };
    let reference = run(RuntimeKind::Ort);
    for kind in [RuntimeKind::Tract, RuntimeKind::Candle] {
        let outputs = run(kind);
        assert_eq!(outputs.len(), reference.len(), "{kind}: number of outputs");
        for (index, (found, expected)) in outputs.iter().zip(&reference).enumerate() {
            let diff = max_abs_diff(found, expected)
                .unwrap_or_else(|message| panic!("{kind} output {index}: {message}"));
            assert!(
                diff <= TOLERANCE,
                "{kind} output {index}: max abs diff {diff:e}"
            );
        }
    }
    reference
}

#[test]
fn autoencoder_export_runs_everywhere() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("tiny.onnx");
    let model = build_model(&autoencoder_spec()).expect("the spec is consistent");
    ae_onnx::write_model(&path, &model).expect("temporary folder is writable");

    for kind in [RuntimeKind::Tract, RuntimeKind::Ort, RuntimeKind::Candle] {
        let runtime = ae_runtime::load(kind, &path, &LoadOptions::default()).unwrap();
        let names: Vec<&str> = runtime
            .outputs()
            .iter()
            .map(|info| info.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["latent", "reconstruction", "reconstruction_copy"],
            "{kind}"
        );
        assert_eq!(runtime.inputs()[0].name, "image", "{kind}");
        assert_eq!(
            runtime.inputs()[0].dims[0],
            Dim::Symbolic("N".into()),
            "{kind}"
        );
    }

    for batch in [1, 5] {
        let input = Tensor::new(vec![batch, 1, 8, 8], pseudo_random(batch * 64, 9)).unwrap();
        let outputs = assert_runtimes_agree(&path, &input);
        assert_eq!(outputs[0].shape, [batch, 6]);
        assert_eq!(outputs[1].shape, [batch, 1, 8, 8]);
        assert_eq!(outputs[1], outputs[2], "Identity copies the reconstruction");
    }
}

#[test]
fn matmul_add_graph_matches_plain_loops() {
    let weight = pseudo_random(3 * 2, 10);
    let bias = pseudo_random(2, 11);
    let graph = GraphProto {
        node: vec![
            node("product", "MatMul", &["x", "w"], &["xw"]),
            node("sum", "Add", &["xw", "b"], &["y"]),
        ],
        name: Some("matmul_add".into()),
        initializer: vec![
            float_initializer("w", &[3, 2], weight.clone()),
            float_initializer("b", &[2], bias.clone()),
        ],
        input: vec![value_info("x", &["N", "3"])],
        output: vec![value_info("y", &["N", "2"])],
        ..GraphProto::default()
    };
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("matmul_add.onnx");
    write_model(&path, graph);

    let input = Tensor::new(vec![4, 3], pseudo_random(12, 12)).unwrap();
    let outputs = assert_runtimes_agree(&path, &input);

    let mut expected = Vec::new();
    for row in 0..4 {
        for column in 0..2 {
            let dot: f32 = (0..3)
                .map(|k| input.data[row * 3 + k] * weight[k * 2 + column])
                .sum();
            expected.push(dot + bias[column]);
        }
    }
    let expected = Tensor::new(vec![4, 2], expected).unwrap();
    let diff = max_abs_diff(&outputs[0], &expected).unwrap();
    assert!(
        diff <= TOLERANCE,
        "ONNX Runtime vs plain loops: max abs diff {diff:e}"
    );
}
