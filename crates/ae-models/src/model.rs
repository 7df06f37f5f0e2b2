use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::architecture::{architecture, layer_names, LayerDef, ModelKind, IMAGE_DIMS};
use crate::conv;
use crate::{Error, Result};

/// One layer with its parameters, if it has any.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub(crate) name: String,
    pub(crate) def: LayerDef,
    pub(crate) weight: Option<Var>,
    pub(crate) bias: Option<Var>,
    /// Gather or scatter table of a convolution (see [`crate::conv`]).
    index: Option<Tensor>,
}

/// An autoencoder whose parameters are candle variables, ready to train.
#[derive(Debug, Clone)]
pub struct Autoencoder {
    kind: ModelKind,
    pub(crate) encoder: Vec<Layer>,
    pub(crate) decoder: Vec<Layer>,
}

impl Autoencoder {
    /// Creates a model initialised as PyTorch initialises the same layers.
    ///
    /// Every weight and bias is drawn uniformly from ±1/sqrt(fan_in), where
    /// fan_in is the product of the weight's dimensions after the first. For
    /// weights this is PyTorch's `kaiming_uniform_(a = sqrt(5))`, whose bound
    /// gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)) simplifies to
    /// 1/sqrt(fan_in). The draws come from ChaCha8 seeded with `seed`, layer by
    /// layer, weight before bias, so a seed always gives the same model.
    pub fn new(kind: ModelKind, seed: u64, device: &Device) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Self::build(kind, |_, def, shape| {
            let bound = 1.0 / (def.fan_in().unwrap_or(1) as f32).sqrt();
            let count = shape.iter().product();
            let values: Vec<f32> = (0..count)
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            Ok(Tensor::from_vec(values, shape, device)?)
        })
    }

    /// Creates a model from named tensors, as written by [`Autoencoder::tensors`].
    ///
    /// `source` names where the tensors came from, for error messages.
    pub fn from_tensors(
        kind: ModelKind,
        tensors: &HashMap<String, Tensor>,
        source: &Path,
        device: &Device,
    ) -> Result<Self> {
        Self::build(kind, |name, _, shape| {
            let tensor = tensors.get(name).ok_or_else(|| Error::Checkpoint {
                path: source.to_path_buf(),
                problem: format!("no tensor named {name} for the {kind} model"),
            })?;
            if tensor.dims() != shape {
                return Err(Error::Checkpoint {
                    path: source.to_path_buf(),
                    problem: format!(
                        "tensor {name} has shape {:?}, expected {shape:?} for the {kind} model",
                        tensor.dims()
                    ),
                });
            }
            Ok(tensor.to_dtype(DType::F32)?.to_device(device)?)
        })
    }

    /// Loads a safetensors checkpoint, recognising the model from its tensors.
    pub fn load_safetensors(path: &Path, device: &Device) -> Result<Self> {
        let tensors = candle_core::safetensors::load(path, &Device::Cpu).map_err(|err| {
            Error::Checkpoint {
                path: path.to_path_buf(),
                problem: format!("not a readable safetensors file ({err})"),
            }
        })?;
        let kind = match tensors.get("encoder.0.weight").map(|t| t.rank()) {
            Some(2) => ModelKind::Linear,
            Some(4) => ModelKind::Conv,
            _ => {
                return Err(Error::Checkpoint {
                    path: path.to_path_buf(),
                    problem: "no 2-D or 4-D tensor named encoder.0.weight".to_string(),
                })
            }
        };
        Self::from_tensors(kind, &tensors, path, device)
    }

    /// Builds every layer of `kind`, asking `make` for each parameter tensor
    /// by name, layer and shape.
    fn build(
        kind: ModelKind,
        mut make: impl FnMut(&str, &LayerDef, &[usize]) -> Result<Tensor>,
    ) -> Result<Self> {
        let (encoder_defs, decoder_defs) = architecture(kind);
        let mut half =
            |prefix: &str, defs: &[LayerDef], input_dims: Vec<usize>| -> Result<Vec<Layer>> {
                let names = layer_names(prefix, defs);
                let mut dims = input_dims;
                let mut layers = Vec::with_capacity(defs.len());
                for (def, name) in defs.iter().zip(names) {
                    let (weight, bias) = match def.parameter_shapes() {
                        Some((weight_shape, bias_shape)) => {
                            let weight = make(&format!("{name}.weight"), def, &weight_shape)?;
                            let bias = make(&format!("{name}.bias"), def, &bias_shape)?;
                            (
                                Some(Var::from_tensor(&weight)?),
                                Some(Var::from_tensor(&bias)?),
                            )
                        }
                        None => (None, None),
                    };
                    let device = weight
                        .as_ref()
                        .map(|w| w.device().clone())
                        .unwrap_or(Device::Cpu);
                    let index = conv_index(def, &dims, &device)?;
                    dims = def.output_dims(&dims);
                    layers.push(Layer {
                        name,
                        def: *def,
                        weight,
                        bias,
                        index,
                    });
                }
                Ok(layers)
            };
        let encoder = half("encoder", &encoder_defs, IMAGE_DIMS.to_vec())?;
        let decoder = half("decoder", &decoder_defs, kind.latent_dims())?;
        Ok(Autoencoder {
            kind,
            encoder,
            decoder,
        })
    }

    /// Returns the kind of this model.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// Returns the device that stores the parameters.
    pub fn device(&self) -> Device {
        self.vars()[0].device().clone()
    }

    /// Returns every trainable parameter, encoder first, weight before bias.
    pub fn vars(&self) -> Vec<Var> {
        self.layers()
            .flat_map(|layer| [layer.weight.clone(), layer.bias.clone()])
            .flatten()
            .collect()
    }

    /// Returns every parameter by its PyTorch name, such as `encoder.0.weight`.
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        let mut tensors = HashMap::new();
        for layer in self.layers() {
            if let (Some(weight), Some(bias)) = (&layer.weight, &layer.bias) {
                tensors.insert(format!("{}.weight", layer.name), weight.as_tensor().clone());
                tensors.insert(format!("{}.bias", layer.name), bias.as_tensor().clone());
            }
        }
        tensors
    }

    /// Number of trainable scalars.
    pub fn parameter_count(&self) -> usize {
        self.vars().iter().map(|var| var.elem_count()).sum()
    }

    pub(crate) fn layers(&self) -> impl Iterator<Item = &Layer> {
        self.encoder.iter().chain(&self.decoder)
    }

    /// Maps images (N, 1, 28, 28) to latent codes: (N, 3) or (N, 64, 1, 1).
    pub fn encode(&self, images: &Tensor) -> Result<Tensor> {
        run_layers(&self.encoder, images)
    }

    /// Maps latent codes to reconstructions (N, 1, 28, 28) in [0, 1].
    pub fn decode(&self, latent: &Tensor) -> Result<Tensor> {
        run_layers(&self.decoder, latent)
    }

    /// Encodes then decodes a batch of images.
    pub fn forward(&self, images: &Tensor) -> Result<Tensor> {
        self.decode(&self.encode(images)?)
    }
}

/// Builds the gather or scatter table of a convolution layer that receives
/// inputs of shape `dims` (C, H, W); other layers need none.
fn conv_index(def: &LayerDef, dims: &[usize], device: &Device) -> Result<Option<Tensor>> {
    let index = match (*def, dims) {
        (
            LayerDef::Conv2d {
                kernel,
                stride,
                padding,
                ..
            },
            &[c, h, w],
        ) => conv::conv_gather_index(c, h, w, kernel, stride, padding, device)?,
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
        ) => conv::conv_transpose_scatter_index(
            out_channels,
            h,
            w,
            kernel,
            stride,
            padding,
            output_padding,
            device,
        )?,
        _ => return Ok(None),
    };
    Ok(Some(index))
}

fn run_layers(layers: &[Layer], input: &Tensor) -> Result<Tensor> {
    let mut x = input.clone();
    for layer in layers {
        x = layer.forward(&x)?;
    }
    Ok(x)
}

impl Layer {
    fn table(&self) -> &Tensor {
        self.index
            .as_ref()
            .expect("convolution layers have an index table")
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let params = || {
            let weight = self
                .weight
                .as_ref()
                .expect("layer with parameters")
                .as_tensor();
            let bias = self
                .bias
                .as_ref()
                .expect("layer with parameters")
                .as_tensor();
            (weight, bias)
        };
        let y = match self.def {
            LayerDef::Linear { .. } => {
                let (weight, bias) = params();
                x.matmul(&weight.t()?)?.broadcast_add(bias)?
            }
            LayerDef::Conv2d {
                out_channels,
                stride,
                padding,
                ..
            } => {
                let (weight, bias) = params();
                let y = conv::conv2d(x, weight, self.table(), stride, padding)?;
                y.broadcast_add(&bias.reshape((1, out_channels, 1, 1))?)?
            }
            LayerDef::ConvTranspose2d {
                out_channels,
                stride,
                padding,
                output_padding,
                ..
            } => {
                let (weight, bias) = params();
                let y = conv::conv_transpose2d(
                    x,
                    weight,
                    self.table(),
                    stride,
                    padding,
                    output_padding,
                )?;
                y.broadcast_add(&bias.reshape((1, out_channels, 1, 1))?)?
            }
            LayerDef::Relu => x.relu()?,
            LayerDef::Sigmoid => candle_nn::ops::sigmoid(x)?,
            LayerDef::Flatten => x.flatten_from(1)?,
            LayerDef::Unflatten => {
                let [c, h, w] = IMAGE_DIMS;
                x.reshape((x.dim(0)?, c, h, w))?
            }
        };
        Ok(y)
    }
}
