//! Shape inference for [`Layer`]s: output shapes, checked against each layer's parameters.
//!
//! Shapes here leave out the batch axis. Every size is checked to fit in an `i64`, the integer
//! type of ONNX shapes and attributes, so the exporter can convert them without loss.

use crate::error::{format_batched, format_dims, Error, Result};
use crate::spec::{Layer, NamedLayer};

/// Computes the output size of a convolution along one spatial axis.
///
/// With dilation 1, `out = floor((in + 2 * padding - kernel) / stride) + 1`, as in PyTorch's
/// `nn.Conv2d` and ONNX `Conv` with explicit `pads`. Returns `None` when the stride or kernel
/// is zero, the kernel is larger than the padded input, or the arithmetic overflows.
pub fn conv_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Option<usize> {
    if stride == 0 || kernel == 0 {
        return None;
    }
    let padded = input.checked_add(padding.checked_mul(2)?)?;
    let span = padded.checked_sub(kernel)?;
    Some(span / stride + 1)
}

/// Computes the output size of a transposed convolution along one spatial axis.
///
/// With dilation 1, `out = (in - 1) * stride - 2 * padding + kernel + output_padding`, as in
/// PyTorch's `nn.ConvTranspose2d` and ONNX `ConvTranspose` with explicit `pads` and
/// `output_padding`. Returns `None` when the input, stride or kernel is zero, the result is not
/// positive, or the arithmetic overflows.
pub fn conv_transpose_output_size(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
) -> Option<usize> {
    if input == 0 || stride == 0 || kernel == 0 {
        return None;
    }
    let full = (input - 1)
        .checked_mul(stride)?
        .checked_add(kernel)?
        .checked_add(output_padding)?;
    let out = full.checked_sub(padding.checked_mul(2)?)?;
    (out > 0).then_some(out)
}

/// Computes the shape that `named` produces from `input`, both without the batch axis.
///
/// Checks that the input shape fits the layer, that the weight and bias have the number of
/// values their shapes need, and that the output is not empty. Every error names the layer.
pub fn layer_output_dims(named: &NamedLayer, input: &[usize]) -> Result<Vec<usize>> {
    let checker = LayerChecker { named, input };
    let output = match &named.layer {
        Layer::Linear {
            weight,
            bias,
            in_features,
            out_features,
        } => {
            checker.expect_input(&[*in_features])?;
            checker.positive("out_features", *out_features)?;
            checker.parameter("weight", weight, &[*out_features, *in_features])?;
            checker.parameter("bias", bias, &[*out_features])?;
            vec![*out_features]
        }
        Layer::Conv2d {
            weight,
            bias,
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
        } => {
            let (height, width) = checker.expect_image(*in_channels)?;
            checker.positive("out_channels", *out_channels)?;
            checker.positive("kernel", *kernel)?;
            checker.positive("stride", *stride)?;
            checker.parameter(
                "weight",
                weight,
                &[*out_channels, *in_channels, *kernel, *kernel],
            )?;
            checker.parameter("bias", bias, &[*out_channels])?;
            checker.fits_i64("stride", *stride)?;
            checker.fits_i64("padding", *padding)?;
            let size = |input| conv_output_size(input, *kernel, *stride, *padding);
            match (size(height), size(width)) {
                (Some(out_height), Some(out_width)) => vec![*out_channels, out_height, out_width],
                _ => {
                    return Err(checker.invalid(format!(
                        "kernel {kernel}, stride {stride}, padding {padding} do not fit input {}",
                        format_batched(input)
                    )))
                }
            }
        }
        Layer::ConvTranspose2d {
            weight,
            bias,
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            output_padding,
        } => {
            let (height, width) = checker.expect_image(*in_channels)?;
            checker.positive("out_channels", *out_channels)?;
            checker.positive("kernel", *kernel)?;
            checker.positive("stride", *stride)?;
            checker.parameter(
                "weight",
                weight,
                &[*in_channels, *out_channels, *kernel, *kernel],
            )?;
            checker.parameter("bias", bias, &[*out_channels])?;
            checker.fits_i64("stride", *stride)?;
            checker.fits_i64("padding", *padding)?;
            // ONNX and PyTorch both require output_padding < stride (with dilation 1).
            if output_padding >= stride {
                return Err(checker.invalid(format!(
                    "output_padding {output_padding} must be smaller than stride {stride}"
                )));
            }
            let size = |input| {
                conv_transpose_output_size(input, *kernel, *stride, *padding, *output_padding)
            };
            match (size(height), size(width)) {
                (Some(out_height), Some(out_width)) => vec![*out_channels, out_height, out_width],
                _ => {
                    return Err(checker.invalid(format!(
                        "kernel {kernel}, stride {stride}, padding {padding}, output_padding \
                     {output_padding} give an empty output for input {}",
                        format_batched(input)
                    )))
                }
            }
        }
        Layer::Relu | Layer::Sigmoid => input.to_vec(),
        Layer::Flatten => {
            if input.is_empty() {
                return Err(checker.input_shape("[N, ...] with at least one axis after N"));
            }
            vec![input.iter().product()]
        }
        Layer::Unflatten { dims } => {
            if dims.is_empty() || dims.contains(&0) {
                return Err(checker.invalid(format!(
                    "target dims {} must be non-empty with no zero size",
                    format_dims(dims)
                )));
            }
            let features = dims
                .iter()
                .try_fold(1usize, |product, &dim| product.checked_mul(dim));
            match features {
                Some(features) => checker.expect_input(&[features])?,
                None => {
                    return Err(
                        checker.invalid(format!("target dims {} overflow", format_dims(dims)))
                    )
                }
            }
            dims.clone()
        }
    };

    checker.check_element_count(&output)?;
    Ok(output)
}

/// Checks that a shape (without the batch axis) is non-empty in every axis and that its element
/// count fits in an `i64`. Returns the problem as text.
pub(crate) fn check_dims(dims: &[usize]) -> std::result::Result<(), String> {
    if dims.contains(&0) {
        return Err(format!(
            "shape {} has a zero-size axis",
            format_batched(dims)
        ));
    }
    let count = dims
        .iter()
        .try_fold(1usize, |product, &dim| product.checked_mul(dim));
    match count.map(i64::try_from) {
        Some(Ok(_)) => Ok(()),
        _ => Err(format!(
            "shape {} has too many elements for ONNX",
            format_batched(dims)
        )),
    }
}

/// One layer and its input shape, for building errors that name the layer.
struct LayerChecker<'a> {
    named: &'a NamedLayer,
    input: &'a [usize],
}

impl LayerChecker<'_> {
    fn op(&self) -> &'static str {
        self.named.layer.op_type()
    }

    fn invalid(&self, problem: String) -> Error {
        Error::InvalidLayer {
            layer: self.named.name.clone(),
            op: self.op(),
            problem,
        }
    }

    fn input_shape(&self, expected: &str) -> Error {
        Error::InputShape {
            layer: self.named.name.clone(),
            op: self.op(),
            expected: expected.to_string(),
            found: format_batched(self.input),
        }
    }

    fn expect_input(&self, expected: &[usize]) -> Result<()> {
        if self.input == expected {
            Ok(())
        } else {
            Err(self.input_shape(&format_batched(expected)))
        }
    }

    /// Checks for an (N, channels, H, W) input and returns (H, W).
    fn expect_image(&self, channels: usize) -> Result<(usize, usize)> {
        match *self.input {
            [found_channels, height, width] if found_channels == channels => Ok((height, width)),
            _ => Err(self.input_shape(&format!("[N, {channels}, H, W]"))),
        }
    }

    fn positive(&self, name: &str, value: usize) -> Result<()> {
        if value == 0 {
            return Err(self.invalid(format!("{name} must be at least 1")));
        }
        Ok(())
    }

    fn fits_i64(&self, name: &str, value: usize) -> Result<()> {
        if i64::try_from(value).is_err() {
            return Err(self.invalid(format!("{name} {value} does not fit in an ONNX int64")));
        }
        Ok(())
    }

    /// Checks that `values` has one value per element of `shape`.
    fn parameter(&self, parameter: &'static str, values: &[f32], shape: &[usize]) -> Result<()> {
        let expected = shape
            .iter()
            .try_fold(1usize, |product, &dim| product.checked_mul(dim));
        if expected == Some(values.len()) {
            return Ok(());
        }
        Err(Error::ParameterLength {
            layer: self.named.name.clone(),
            op: self.op(),
            parameter,
            shape: format_dims(shape),
            expected: expected.unwrap_or(usize::MAX),
            found: values.len(),
        })
    }

    fn check_element_count(&self, output: &[usize]) -> Result<()> {
        check_dims(output).map_err(|problem| self.invalid(format!("output {problem}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the window positions of a convolution one at a time: position `i` covers padded
    /// input indices `i * stride .. i * stride + kernel`, which must end inside the padded input.
    fn naive_conv_size(input: usize, kernel: usize, stride: usize, padding: usize) -> usize {
        let padded = input + 2 * padding;
        (0..).take_while(|i| i * stride + kernel <= padded).count()
    }

    /// Scatters every input position of a transposed convolution into an uncropped output, then
    /// crops `padding` from each side and adds `output_padding` at the end.
    fn naive_conv_transpose_size(
        input: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        output_padding: usize,
    ) -> usize {
        let mut touched = vec![false; input * stride + kernel];
        for i in 0..input {
            for k in 0..kernel {
                touched[i * stride + k] = true;
            }
        }
        let uncropped = touched.iter().rposition(|&hit| hit).unwrap() + 1;
        uncropped + output_padding - 2 * padding
    }

    #[test]
    fn conv_size_matches_naive_count() {
        for input in 1..=30 {
            for kernel in 1..=7 {
                for stride in 1..=3 {
                    for padding in 0..=3 {
                        let expected = (input + 2 * padding >= kernel)
                            .then(|| naive_conv_size(input, kernel, stride, padding));
                        let found = conv_output_size(input, kernel, stride, padding);
                        assert_eq!(
                            found, expected,
                            "in {input} k {kernel} s {stride} p {padding}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn conv_transpose_size_matches_naive_scatter() {
        for input in 1..=30 {
            for kernel in 1..=7 {
                for stride in 1..=3 {
                    for padding in 0..=3 {
                        for output_padding in 0..stride {
                            let naive = |p| {
                                naive_conv_transpose_size(input, kernel, stride, p, output_padding)
                            };
                            let uncropped = naive(0);
                            let expected = (uncropped > 2 * padding).then(|| naive(padding));
                            let found = conv_transpose_output_size(
                                input,
                                kernel,
                                stride,
                                padding,
                                output_padding,
                            );
                            assert_eq!(
                                found, expected,
                                "in {input} k {kernel} s {stride} p {padding} op {output_padding}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn conv_sizes_reject_degenerate_input() {
        assert_eq!(conv_output_size(28, 3, 0, 1), None);
        assert_eq!(conv_output_size(28, 0, 1, 0), None);
        assert_eq!(conv_output_size(2, 7, 1, 2), None);
        assert_eq!(conv_output_size(usize::MAX, 3, 1, 1), None);
        assert_eq!(conv_transpose_output_size(0, 3, 2, 1, 1), None);
        assert_eq!(conv_transpose_output_size(1, 1, 1, 1, 0), None);
        assert_eq!(conv_transpose_output_size(usize::MAX, 3, 2, 0, 0), None);
    }

    fn zeros(count: usize) -> Vec<f32> {
        vec![0.0; count]
    }

    fn conv(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> Layer {
        Layer::Conv2d {
            weight: zeros(out_channels * in_channels * kernel * kernel),
            bias: zeros(out_channels),
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
        }
    }

    fn conv_transpose(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        output_padding: usize,
    ) -> Layer {
        Layer::ConvTranspose2d {
            weight: zeros(in_channels * out_channels * kernel * kernel),
            bias: zeros(out_channels),
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            output_padding,
        }
    }

    fn named(name: &str, layer: Layer) -> NamedLayer {
        NamedLayer {
            name: name.to_string(),
            layer,
        }
    }

    /// The project's convolutional autoencoder: 1x28x28 -> 16x14x14 -> 32x7x7 -> 64x1x1 and
    /// back through three transposed convolutions to 1x28x28.
    #[test]
    fn conv_autoencoder_shapes() {
        let chain = [
            (named("encoder.0", conv(1, 16, 3, 2, 1)), vec![16, 14, 14]),
            (named("encoder.1", Layer::Relu), vec![16, 14, 14]),
            (named("encoder.2", conv(16, 32, 3, 2, 1)), vec![32, 7, 7]),
            (named("encoder.4", conv(32, 64, 7, 1, 0)), vec![64, 1, 1]),
            (
                named("decoder.0", conv_transpose(64, 32, 7, 1, 0, 0)),
                vec![32, 7, 7],
            ),
            (
                named("decoder.2", conv_transpose(32, 16, 3, 2, 1, 1)),
                vec![16, 14, 14],
            ),
            (
                named("decoder.4", conv_transpose(16, 1, 3, 2, 1, 1)),
                vec![1, 28, 28],
            ),
            (named("decoder.5", Layer::Sigmoid), vec![1, 28, 28]),
        ];

        let mut dims = vec![1, 28, 28];
        for (layer, expected) in &chain {
            dims = layer_output_dims(layer, &dims).unwrap();
            assert_eq!(&dims, expected, "after {}", layer.name);
        }
    }

    #[test]
    fn flatten_and_unflatten_shapes() {
        let flatten = named("flatten", Layer::Flatten);
        assert_eq!(layer_output_dims(&flatten, &[1, 28, 28]).unwrap(), [784]);

        let unflatten = named(
            "unflatten",
            Layer::Unflatten {
                dims: vec![1, 28, 28],
            },
        );
        assert_eq!(layer_output_dims(&unflatten, &[784]).unwrap(), [1, 28, 28]);
    }

    #[test]
    fn mismatched_chain_names_layer() {
        let linear = named(
            "decoder.0",
            Layer::Linear {
                weight: zeros(12 * 3),
                bias: zeros(12),
                in_features: 3,
                out_features: 12,
            },
        );

        let error = layer_output_dims(&linear, &[64, 1, 1]).unwrap_err();

        assert_eq!(
            error.to_string(),
            "layer `decoder.0` (Gemm): expected input shape [N, 3], found [N, 64, 1, 1]. \
             Check that the previous layer produces the shape this layer takes"
        );
    }

    #[test]
    fn conv_channel_mismatch_names_layer() {
        let error = layer_output_dims(&named("encoder.2", conv(16, 32, 3, 2, 1)), &[8, 14, 14])
            .unwrap_err();

        let message = error.to_string();
        assert!(message.starts_with("layer `encoder.2` (Conv)"), "{message}");
        assert!(
            message.contains("expected input shape [N, 16, H, W], found [N, 8, 14, 14]"),
            "{message}"
        );
    }

    #[test]
    fn wrong_weight_length_names_layer() {
        let mut layer = conv_transpose(32, 16, 3, 2, 1, 1);
        if let Layer::ConvTranspose2d { weight, .. } = &mut layer {
            weight.pop();
        }

        let error = layer_output_dims(&named("decoder.2", layer), &[32, 7, 7]).unwrap_err();

        assert_eq!(
            error.to_string(),
            "layer `decoder.2` (ConvTranspose): weight has 4607 values, expected 4608 \
             for shape [32, 16, 3, 3]"
        );
    }

    #[test]
    fn invalid_hyper_parameters_name_layer() {
        let cases = [
            (conv(1, 16, 3, 0, 1), "stride must be at least 1"),
            (conv(1, 16, 0, 1, 0), "kernel must be at least 1"),
            (
                conv(1, 16, 31, 1, 1),
                "kernel 31, stride 1, padding 1 do not fit input [N, 1, 28, 28]",
            ),
            (
                conv_transpose(1, 16, 3, 2, 1, 2),
                "output_padding 2 must be smaller than stride 2",
            ),
            (
                conv_transpose(1, 16, 1, 1, 20, 0),
                "give an empty output for input [N, 1, 28, 28]",
            ),
        ];
        for (layer, expected) in cases {
            let error = layer_output_dims(&named("bad", layer), &[1, 28, 28]).unwrap_err();
            let message = error.to_string();
            assert!(message.starts_with("layer `bad` ("), "{message}");
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn unflatten_checks_element_count() {
        let unflatten = named(
            "decoder.unflatten",
            Layer::Unflatten {
                dims: vec![1, 28, 28],
            },
        );
        let error = layer_output_dims(&unflatten, &[783]).unwrap_err();
        assert!(error
            .to_string()
            .contains("expected input shape [N, 784], found [N, 783]"));

        let empty = named("decoder.unflatten", Layer::Unflatten { dims: vec![] });
        let error = layer_output_dims(&empty, &[784]).unwrap_err();
        assert!(error.to_string().contains("must be non-empty"), "{error}");
    }
}
