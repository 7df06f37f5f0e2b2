//! Layer operators of the ONNX translation: Gemm, MatMul, Add and Conv.

use ae_kernels::{Conv2dShape, LayerKind};
use tract_onnx::pb::NodeProto;

use super::shape::{broadcast, to_usizes, transpose};
use super::Chain;
use crate::error::FirmwareError;
use crate::onnx::{attr_float, attr_int, attr_ints, attr_string};

impl Chain<'_> {
    pub(super) fn gemm(&mut self, node: &NodeProto) -> Result<(), FirmwareError> {
        let in_features = self.features(node)?;
        if attr_int(node, "transA", 0) != 0 {
            return Err(self.invalid(
                node,
                "transA=1 is not supported; the activation must be the first operand",
            ));
        }
        let trans_b = attr_int(node, "transB", 0) != 0;
        let (alpha, beta) = (
            attr_float(node, "alpha", 1.0),
            attr_float(node, "beta", 1.0),
        );

        let b = self.constant(node, 1)?;
        let dims = b.dims().map_err(|e| self.invalid(node, e))?;
        let values = b.f32s().map_err(|e| self.invalid(node, e))?;
        let [rows, cols] = dims[..] else {
            return Err(self.invalid(
                node,
                format!("weight B has shape {dims:?}; expected 2 dimensions"),
            ));
        };
        let (out_features, b_in) = if trans_b { (rows, cols) } else { (cols, rows) };
        if b_in != in_features {
            return Err(self.invalid(
                node,
                format!("weight B has shape {dims:?} but the input has {in_features} features"),
            ));
        }
        let mut weights = if trans_b {
            values
        } else {
            transpose(&values, rows, cols)
        };
        weights.iter_mut().for_each(|w| *w *= alpha);

        let mut bias = vec![0.0; out_features];
        if node.input.get(2).is_some_and(|c| !c.is_empty()) {
            let c = self.constant(node, 2)?;
            let values = c.f32s().map_err(|e| self.invalid(node, e))?;
            let values = broadcast(&values, out_features).ok_or_else(|| {
                self.invalid(
                    node,
                    format!(
                        "bias C has {} values for {out_features} outputs",
                        values.len()
                    ),
                )
            })?;
            bias = values.iter().map(|v| v * beta).collect();
        }

        self.advance(node, 0)?;
        let kind = LayerKind::Dense {
            in_features,
            out_features,
        };
        self.push(node, kind, weights, bias, vec![out_features]);
        Ok(())
    }

    pub(super) fn matmul(&mut self, node: &NodeProto) -> Result<(), FirmwareError> {
        let in_features = self.features(node)?;
        let b = self.constant(node, 1)?;
        let dims = b.dims().map_err(|e| self.invalid(node, e))?;
        let values = b.f32s().map_err(|e| self.invalid(node, e))?;
        let [rows, out_features] = dims[..] else {
            return Err(self.invalid(
                node,
                format!("weight has shape {dims:?}; expected [in_features, out_features]"),
            ));
        };
        if rows != in_features {
            return Err(self.invalid(
                node,
                format!("weight has shape {dims:?} but the input has {in_features} features"),
            ));
        }
        self.advance(node, 0)?;
        let weights = transpose(&values, rows, out_features);
        let kind = LayerKind::Dense {
            in_features,
            out_features,
        };
        self.push(
            node,
            kind,
            weights,
            vec![0.0; out_features],
            vec![out_features],
        );
        Ok(())
    }

    pub(super) fn add(&mut self, node: &NodeProto) -> Result<(), FirmwareError> {
        let data_index = node
            .input
            .iter()
            .position(|i| *i == self.current)
            .unwrap_or(0);
        let const_index = 1 - data_index.min(1);
        if !self.bias_open {
            return Err(self.invalid(
                node,
                "Add is supported only as the bias directly after a Gemm, MatMul or Conv",
            ));
        }
        let c = self.constant(node, const_index)?;
        let dims = c.dims().map_err(|e| self.invalid(node, e))?;
        let values = c.f32s().map_err(|e| self.invalid(node, e))?;

        let Some(layer) = self.layers.last() else {
            return Err(self.invalid(node, "Add before any layer"));
        };
        let rows = layer.kind.rows();
        // Per-output bias: the constant's shape without leading 1s must be
        // [rows] for a dense layer, [rows, 1, 1] for a convolution, or a scalar.
        let trimmed: Vec<usize> = dims.iter().copied().skip_while(|&d| d == 1).collect();
        let per_row = match layer.kind {
            LayerKind::Dense { .. } => trimmed == [rows],
            LayerKind::Conv2d(_) => trimmed == [rows, 1, 1],
        };
        if !(per_row || values.len() == 1) {
            return Err(self.invalid(
                node,
                format!("constant of shape {dims:?} is not a per-output bias for {rows} outputs"),
            ));
        }
        let values = broadcast(&values, rows).unwrap_or_default();

        self.advance(node, data_index)?;
        if let Some(layer) = self.layers.last_mut() {
            layer
                .bias
                .iter_mut()
                .zip(&values)
                .for_each(|(b, v)| *b += v);
        }
        Ok(())
    }

    pub(super) fn conv(&mut self, node: &NodeProto) -> Result<(), FirmwareError> {
        let [in_channels, in_height, in_width] = self.shape[..] else {
            return Err(self.invalid(
                node,
                format!(
                    "input has per-image shape {:?}; expected [channels, height, width]",
                    self.shape
                ),
            ));
        };
        if attr_int(node, "group", 1) != 1 {
            return Err(self.invalid(node, "group != 1 is not supported"));
        }
        if attr_ints(node, "dilations").is_some_and(|d| d.iter().any(|&v| v != 1)) {
            return Err(self.invalid(node, "dilations other than 1 are not supported"));
        }
        let auto_pad = attr_string(node, "auto_pad", "NOTSET");
        if auto_pad != "NOTSET" && auto_pad != "VALID" {
            return Err(self.invalid(
                node,
                format!("auto_pad={auto_pad} is not supported; export with explicit pads"),
            ));
        }

        let w = self.constant(node, 1)?;
        let dims = w.dims().map_err(|e| self.invalid(node, e))?;
        let weights = w.f32s().map_err(|e| self.invalid(node, e))?;
        let [out_channels, w_channels, kernel_height, kernel_width] = dims[..] else {
            return Err(self.invalid(
                node,
                format!("weight has shape {dims:?}; expected [out, in, kh, kw]"),
            ));
        };
        if w_channels != in_channels {
            return Err(self.invalid(
                node,
                format!("weight has shape {dims:?} but the input has {in_channels} channels"),
            ));
        }
        if let Some(kernel) = attr_ints(node, "kernel_shape") {
            if kernel != [kernel_height as i64, kernel_width as i64] {
                return Err(self.invalid(
                    node,
                    format!("kernel_shape {kernel:?} disagrees with weight shape {dims:?}"),
                ));
            }
        }
        let strides = attr_ints(node, "strides").unwrap_or(vec![1, 1]);
        let pads = if auto_pad == "VALID" {
            vec![0; 4]
        } else {
            attr_ints(node, "pads").unwrap_or(vec![0; 4])
        };
        let (Ok([stride_height, stride_width]), Ok([pad_top, pad_left, pad_bottom, pad_right])) =
            (to_usizes::<2>(&strides), to_usizes::<4>(&pads))
        else {
            return Err(self.invalid(
                node,
                format!("strides {strides:?} or pads {pads:?} are not 2 and 4 non-negative values"),
            ));
        };
        if stride_height == 0 || stride_width == 0 {
            return Err(self.invalid(node, format!("strides {strides:?} must be at least 1")));
        }
        if kernel_height == 0 || kernel_width == 0 {
            return Err(self.invalid(
                node,
                format!("weight has shape {dims:?}; the kernel must not be empty"),
            ));
        }
        // A pad as large as the kernel only adds outputs that see no input; larger pads let
        // a crafted file demand terabytes of scratch memory.
        if pad_top.max(pad_bottom) >= kernel_height || pad_left.max(pad_right) >= kernel_width {
            return Err(self.invalid(
                node,
                format!("pads {pads:?} must be smaller than the kernel ({kernel_height}x{kernel_width})"),
            ));
        }

        let shape = Conv2dShape {
            in_channels,
            in_height,
            in_width,
            out_channels,
            kernel_height,
            kernel_width,
            stride_height,
            stride_width,
            pad_top,
            pad_left,
            pad_bottom,
            pad_right,
        };
        self.check_scratch(
            shape.out_channels as u128 * shape.out_height() as u128 * shape.out_width() as u128,
        )?;
        if shape.output_len() == 0 {
            return Err(self.invalid(
                node,
                format!("the kernel does not fit the padded input {:?}", self.shape),
            ));
        }

        let mut bias = vec![0.0; out_channels];
        if node.input.get(2).is_some_and(|b| !b.is_empty()) {
            let b = self.constant(node, 2)?;
            let values = b.f32s().map_err(|e| self.invalid(node, e))?;
            if values.len() != out_channels {
                return Err(self.invalid(
                    node,
                    format!(
                        "bias has {} values for {out_channels} channels",
                        values.len()
                    ),
                ));
            }
            bias = values;
        }

        self.advance(node, 0)?;
        let out_shape = vec![out_channels, shape.out_height(), shape.out_width()];
        self.push(node, LayerKind::Conv2d(shape), weights, bias, out_shape);
        Ok(())
    }
}
