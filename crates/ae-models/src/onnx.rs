//! Conversion of a trained model to the plain layer lists that `ae-onnx` exports.

use ae_onnx::{GraphSpec, Layer, NamedLayer, OutputSpec, TensorSpec};

use crate::architecture::{LayerDef, IMAGE_DIMS};
use crate::model::{Autoencoder, Layer as ModelLayer};
use crate::Result;

/// Part of an autoencoder that one ONNX file contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraphPart {
    /// Image to reconstruction, with the latent code as a second output.
    Full,
    /// Image to latent code.
    Encoder,
    /// Latent code to reconstruction.
    Decoder,
}

impl GraphPart {
    /// All three parts, in export order.
    pub const ALL: [GraphPart; 3] = [GraphPart::Full, GraphPart::Encoder, GraphPart::Decoder];

    /// Returns the name used in metadata and in file names (`full`, `encoder`, `decoder`).
    pub fn name(self) -> &'static str {
        match self {
            GraphPart::Full => "full",
            GraphPart::Encoder => "encoder",
            GraphPart::Decoder => "decoder",
        }
    }
}

/// Name of the graph input that takes images (N, 1, 28, 28).
pub const IMAGE_INPUT: &str = "image";
/// Name of the latent code, the encoder's output and the decoder's input.
pub const LATENT: &str = "latent";
/// Name of the decoder's output, images (N, 1, 28, 28) in [0, 1].
pub const RECONSTRUCTION: &str = "reconstruction";

impl Autoencoder {
    /// Describes one part of the model as a graph for `ae_onnx::build_model`.
    ///
    /// `metadata` is copied into the graph's metadata_props, after the entries
    /// `model` and `graph` that this function adds itself.
    pub fn graph_spec(&self, part: GraphPart, metadata: &[(String, String)]) -> Result<GraphSpec> {
        let encoder = self
            .encoder
            .iter()
            .map(onnx_layer)
            .collect::<Result<Vec<_>>>()?;
        let decoder = self
            .decoder
            .iter()
            .map(onnx_layer)
            .collect::<Result<Vec<_>>>()?;
        let image = TensorSpec {
            name: IMAGE_INPUT.to_string(),
            dims: IMAGE_DIMS.to_vec(),
        };
        let latent = TensorSpec {
            name: LATENT.to_string(),
            dims: self.kind().latent_dims(),
        };
        let output = |name: &str, after_layer: usize| OutputSpec {
            name: name.to_string(),
            after_layer,
        };

        let (input, layers, outputs) = match part {
            GraphPart::Full => {
                let latent_at = encoder.len() - 1;
                let layers: Vec<_> = encoder.into_iter().chain(decoder).collect();
                let outputs = vec![
                    output(RECONSTRUCTION, layers.len() - 1),
                    output(LATENT, latent_at),
                ];
                (image, layers, outputs)
            }
            GraphPart::Encoder => {
                let outputs = vec![output(LATENT, encoder.len() - 1)];
                (image, encoder, outputs)
            }
            GraphPart::Decoder => {
                let outputs = vec![output(RECONSTRUCTION, decoder.len() - 1)];
                (latent, decoder, outputs)
            }
        };

        let mut all_metadata = vec![
            ("model".to_string(), self.kind().name().to_string()),
            ("graph".to_string(), part.name().to_string()),
        ];
        all_metadata.extend(metadata.iter().cloned());

        Ok(GraphSpec {
            graph_name: format!("{}_{}", self.kind().name(), part.name()),
            input,
            outputs,
            layers,
            metadata: all_metadata,
            producer_name: "ae-train".to_string(),
            producer_version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }
}

fn onnx_layer(layer: &ModelLayer) -> Result<NamedLayer> {
    // Subnormal weights are written as zeros: they change no output by more than
    // 1e-38 and slow down every CPU runtime that meets them.
    let values = |var: &Option<candle_core::Var>| -> Result<Vec<f32>> {
        let tensor = var.as_ref().expect("layer with parameters").as_tensor();
        let mut values = tensor.flatten_all()?.to_vec1::<f32>()?;
        let mut flushed = 0;
        for value in values.iter_mut().filter(|value| value.is_subnormal()) {
            *value = 0.0;
            flushed += 1;
        }
        if flushed > 0 {
            tracing::info!(layer = %layer.name, flushed, "flushed subnormal weights to zero");
        }
        Ok(values)
    };
    let converted = match layer.def {
        LayerDef::Linear {
            in_features,
            out_features,
        } => Layer::Linear {
            weight: values(&layer.weight)?,
            bias: values(&layer.bias)?,
            in_features,
            out_features,
        },
        LayerDef::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
        } => Layer::Conv2d {
            weight: values(&layer.weight)?,
            bias: values(&layer.bias)?,
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
        },
        LayerDef::ConvTranspose2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            output_padding,
        } => Layer::ConvTranspose2d {
            weight: values(&layer.weight)?,
            bias: values(&layer.bias)?,
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            output_padding,
        },
        LayerDef::Relu => Layer::Relu,
        LayerDef::Sigmoid => Layer::Sigmoid,
        LayerDef::Flatten => Layer::Flatten,
        LayerDef::Unflatten => Layer::Unflatten {
            dims: IMAGE_DIMS.to_vec(),
        },
    };
    Ok(NamedLayer {
        name: layer.name.clone(),
        layer: converted,
    })
}
