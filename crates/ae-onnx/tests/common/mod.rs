//! Graph descriptions shared by the integration tests.

#![allow(dead_code)]

use ae_onnx::{GraphSpec, Layer, NamedLayer, OutputSpec, TensorSpec};

/// Returns `count` deterministic values in [-0.5, 0.5], different for each `seed`.
pub fn values(count: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..count)
        .map(|_| {
            // Numerical Recipes' 32-bit linear congruential generator.
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

pub fn named(name: &str, layer: Layer) -> NamedLayer {
    NamedLayer {
        name: name.to_string(),
        layer,
    }
}

pub fn linear(name: &str, in_features: usize, out_features: usize, seed: u32) -> NamedLayer {
    let layer = Layer::Linear {
        weight: values(out_features * in_features, seed),
        bias: values(out_features, seed + 1000),
        in_features,
        out_features,
    };
    named(name, layer)
}

pub fn conv(
    name: &str,
    channels: (usize, usize),
    kernel: usize,
    stride: usize,
    padding: usize,
    seed: u32,
) -> NamedLayer {
    let (in_channels, out_channels) = channels;
    let layer = Layer::Conv2d {
        weight: values(out_channels * in_channels * kernel * kernel, seed),
        bias: values(out_channels, seed + 1000),
        in_channels,
        out_channels,
        kernel,
        stride,
        padding,
    };
    named(name, layer)
}

pub fn conv_transpose(
    name: &str,
    channels: (usize, usize),
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
    seed: u32,
) -> NamedLayer {
    let (in_channels, out_channels) = channels;
    let layer = Layer::ConvTranspose2d {
        weight: values(in_channels * out_channels * kernel * kernel, seed),
        bias: values(out_channels, seed + 1000),
        in_channels,
        out_channels,
        kernel,
        stride,
        padding,
        output_padding,
    };
    named(name, layer)
}

/// Builds the layers of the project's convolutional autoencoder, (N, 1, 28, 28) to
/// (N, 64, 1, 1) and back.
pub fn conv_layers() -> Vec<NamedLayer> {
    vec![
        conv("encoder.0", (1, 16), 3, 2, 1, 1),
        named("encoder.1", Layer::Relu),
        conv("encoder.2", (16, 32), 3, 2, 1, 2),
        named("encoder.3", Layer::Relu),
        conv("encoder.4", (32, 64), 7, 1, 0, 3),
        conv_transpose("decoder.0", (64, 32), 7, 1, 0, 0, 4),
        named("decoder.1", Layer::Relu),
        conv_transpose("decoder.2", (32, 16), 3, 2, 1, 1, 5),
        named("decoder.3", Layer::Relu),
        conv_transpose("decoder.4", (16, 1), 3, 2, 1, 1, 6),
        named("decoder.5", Layer::Sigmoid),
    ]
}

/// Builds the layers of the project's fully connected autoencoder, with Flatten and Unflatten
/// around it so that it takes and returns images.
pub fn linear_layers() -> Vec<NamedLayer> {
    vec![
        named("encoder.flatten", Layer::Flatten),
        linear("encoder.0", 784, 128, 11),
        linear("encoder.1", 128, 64, 12),
        named("encoder.2", Layer::Relu),
        linear("encoder.3", 64, 12, 13),
        linear("encoder.4", 12, 3, 14),
        linear("decoder.0", 3, 12, 15),
        named("decoder.1", Layer::Relu),
        linear("decoder.2", 12, 64, 16),
        linear("decoder.3", 64, 128, 17),
        named("decoder.4", Layer::Relu),
        linear("decoder.5", 128, 784, 18),
        named("decoder.6", Layer::Sigmoid),
        named(
            "decoder.unflatten",
            Layer::Unflatten {
                dims: vec![1, 28, 28],
            },
        ),
    ]
}

/// Describes a whole autoencoder graph with outputs `reconstruction` (after the last layer) and
/// `latent` (after layer `latent_after`).
pub fn autoencoder_spec(name: &str, layers: Vec<NamedLayer>, latent_after: usize) -> GraphSpec {
    let last = layers.len() - 1;
    GraphSpec {
        graph_name: name.to_string(),
        input: TensorSpec {
            name: "image".to_string(),
            dims: vec![1, 28, 28],
        },
        outputs: vec![
            OutputSpec {
                name: "reconstruction".to_string(),
                after_layer: last,
            },
            OutputSpec {
                name: "latent".to_string(),
                after_layer: latent_after,
            },
        ],
        layers,
        metadata: vec![
            ("model".to_string(), name.to_string()),
            ("graph".to_string(), "full".to_string()),
        ],
        producer_name: "ae-onnx-tests".to_string(),
        producer_version: "0.1.0".to_string(),
    }
}
