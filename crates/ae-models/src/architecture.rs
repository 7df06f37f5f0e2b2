use std::fmt;
use std::str::FromStr;

use crate::Error;

/// Shape of one input image without the batch dimension: (channels, height, width).
pub const IMAGE_DIMS: [usize; 3] = [1, 28, 28];

/// Kind of autoencoder: one of the two models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// The dense 784-128-64-12-3 autoencoder.
    Linear,
    /// The convolutional 1-16-32-64 autoencoder.
    Conv,
}

impl ModelKind {
    /// Both kinds, in a fixed order.
    pub const ALL: [ModelKind; 2] = [ModelKind::Linear, ModelKind::Conv];

    /// Returns the name used on the command line, in file names and in ONNX metadata.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Linear => "linear",
            ModelKind::Conv => "conv",
        }
    }

    /// Shape of the latent code without the batch dimension.
    pub fn latent_dims(self) -> Vec<usize> {
        match self {
            ModelKind::Linear => vec![3],
            ModelKind::Conv => vec![64, 1, 1],
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "linear" => Ok(ModelKind::Linear),
            "conv" => Ok(ModelKind::Conv),
            other => Err(Error::UnknownKind(other.to_string())),
        }
    }
}

/// One layer of an autoencoder, with its hyper-parameters but no weights.
///
/// Kernels are square and strides, paddings and output paddings are the same
/// along both spatial axes, as in every layer of the two models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerDef {
    /// `y = x W^T + b`, W of shape (out, in).
    Linear {
        in_features: usize,
        out_features: usize,
    },
    /// 2-D convolution, weight (out, in, k, k).
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    /// 2-D transposed convolution, weight (in, out, k, k) as in PyTorch.
    ConvTranspose2d {
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        output_padding: usize,
    },
    /// max(x, 0).
    Relu,
    /// 1 / (1 + exp(-x)).
    Sigmoid,
    /// (N, C, H, W) to (N, C*H*W).
    Flatten,
    /// (N, C*H*W) to (N, C, H, W) for [`IMAGE_DIMS`].
    Unflatten,
}

impl LayerDef {
    /// Whether the layer has a weight and a bias.
    pub fn has_parameters(&self) -> bool {
        matches!(
            self,
            LayerDef::Linear { .. } | LayerDef::Conv2d { .. } | LayerDef::ConvTranspose2d { .. }
        )
    }

    /// Shapes of the weight and the bias, in PyTorch's layout.
    pub fn parameter_shapes(&self) -> Option<(Vec<usize>, Vec<usize>)> {
        match *self {
            LayerDef::Linear {
                in_features,
                out_features,
            } => Some((vec![out_features, in_features], vec![out_features])),
            LayerDef::Conv2d {
                in_channels,
                out_channels,
                kernel,
                ..
            } => Some((
                vec![out_channels, in_channels, kernel, kernel],
                vec![out_channels],
            )),
            LayerDef::ConvTranspose2d {
                in_channels,
                out_channels,
                kernel,
                ..
            } => Some((
                vec![in_channels, out_channels, kernel, kernel],
                vec![out_channels],
            )),
            _ => None,
        }
    }

    /// Shape of the output without the batch dimension, given the input's.
    ///
    /// Convolution: H_out = floor((H + 2p - k) / s) + 1. Transposed
    /// convolution: H_out = (H - 1)·s - 2p + k + output_padding.
    pub fn output_dims(&self, input: &[usize]) -> Vec<usize> {
        match (*self, input) {
            (LayerDef::Linear { out_features, .. }, _) => vec![out_features],
            (
                LayerDef::Conv2d {
                    out_channels,
                    kernel,
                    stride,
                    padding,
                    ..
                },
                &[_, h, w],
            ) => {
                let size = |n: usize| (n + 2 * padding - kernel) / stride + 1;
                vec![out_channels, size(h), size(w)]
            }
            (
                LayerDef::ConvTranspose2d {
                    out_channels,
                    kernel,
                    stride,
                    padding,
                    output_padding,
                    ..
                },
                &[_, h, w],
            ) => {
                let size = |n: usize| (n - 1) * stride + kernel + output_padding - 2 * padding;
                vec![out_channels, size(h), size(w)]
            }
            (LayerDef::Flatten, _) => vec![input.iter().product()],
            (LayerDef::Unflatten, _) => IMAGE_DIMS.to_vec(),
            _ => input.to_vec(),
        }
    }

    /// The fan-in PyTorch uses to initialise the layer.
    ///
    /// PyTorch computes it from dimension 1 of the weight times the kernel
    /// area, so for a transposed convolution it is `out_channels * k * k`.
    pub fn fan_in(&self) -> Option<usize> {
        self.parameter_shapes()
            .map(|(weight, _)| weight[1..].iter().product())
    }
}

/// The encoder and decoder layers of a model, in order.
///
/// Layers with parameters are named `encoder.I` or `decoder.I`, where I is the
/// layer's index in the PyTorch `nn.Sequential` that defines the model;
/// `Flatten` and `Unflatten` are not counted, as in the PyTorch model they
/// happen outside the `Sequential`.
pub fn architecture(kind: ModelKind) -> (Vec<LayerDef>, Vec<LayerDef>) {
    use LayerDef::*;

    let linear = |in_features, out_features| Linear {
        in_features,
        out_features,
    };
    let conv = |in_channels, out_channels, kernel, stride, padding| Conv2d {
        in_channels,
        out_channels,
        kernel,
        stride,
        padding,
    };
    let deconv =
        |in_channels, out_channels, kernel, stride, padding, output_padding| ConvTranspose2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            output_padding,
        };

    match kind {
        ModelKind::Linear => (
            vec![
                Flatten,
                linear(784, 128),
                linear(128, 64),
                Relu,
                linear(64, 12),
                linear(12, 3),
            ],
            vec![
                linear(3, 12),
                Relu,
                linear(12, 64),
                linear(64, 128),
                Relu,
                linear(128, 784),
                Sigmoid,
                Unflatten,
            ],
        ),
        ModelKind::Conv => (
            vec![
                conv(1, 16, 3, 2, 1),
                Relu,
                conv(16, 32, 3, 2, 1),
                Relu,
                conv(32, 64, 7, 1, 0),
            ],
            vec![
                deconv(64, 32, 7, 1, 0, 0),
                Relu,
                deconv(32, 16, 3, 2, 1, 1),
                Relu,
                deconv(16, 1, 3, 2, 1, 1),
                Sigmoid,
            ],
        ),
    }
}

/// Names each layer of one half (`prefix` is `encoder` or `decoder`) by its
/// index in PyTorch's `nn.Sequential`, skipping `Flatten` and `Unflatten`.
pub(crate) fn layer_names(prefix: &str, layers: &[LayerDef]) -> Vec<String> {
    let mut index = 0;
    layers
        .iter()
        .map(|layer| match layer {
            LayerDef::Flatten => format!("{prefix}.flatten"),
            LayerDef::Unflatten => format!("{prefix}.unflatten"),
            _ => {
                index += 1;
                format!("{prefix}.{}", index - 1)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_layer_names_follow_sequential() {
        let (encoder, decoder) = architecture(ModelKind::Linear);
        let names = layer_names("encoder", &encoder);
        assert_eq!(names[1], "encoder.0");
        assert_eq!(names[5], "encoder.4");
        let names = layer_names("decoder", &decoder);
        assert_eq!(names[5], "decoder.5");
    }

    #[test]
    fn conv_shapes_follow_the_design() {
        let (encoder, decoder) = architecture(ModelKind::Conv);
        let mut dims = IMAGE_DIMS.to_vec();
        let mut seen = vec![dims.clone()];
        for layer in encoder
            .iter()
            .chain(&decoder)
            .filter(|layer| layer.has_parameters())
        {
            dims = layer.output_dims(&dims);
            seen.push(dims.clone());
        }
        let expected: Vec<Vec<usize>> = vec![
            vec![1, 28, 28],
            vec![16, 14, 14],
            vec![32, 7, 7],
            vec![64, 1, 1],
            vec![32, 7, 7],
            vec![16, 14, 14],
            vec![1, 28, 28],
        ];
        assert_eq!(seen, expected);
    }

    #[test]
    fn transposed_conv_fan_in_uses_output_channels() {
        let (_, decoder) = architecture(ModelKind::Conv);
        assert_eq!(decoder[0].fan_in(), Some(32 * 7 * 7));
    }
}
