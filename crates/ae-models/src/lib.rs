//! The project's two autoencoders for 28x28 grey images, in candle.
//!
//! Both models are defined once, as a list of [`LayerDef`]s per half
//! ([`architecture`]), and everything else is derived from that list: the
//! parameters and their PyTorch-style names, the candle forward pass, the
//! initialisation and the ONNX layers handed to `ae-onnx`.
//!
//! - Linear: encoder Linear(784,128), Linear(128,64), ReLU, Linear(64,12),
//!   Linear(12,3); decoder Linear(3,12), ReLU, Linear(12,64),
//!   Linear(64,128), ReLU, Linear(128,784), Sigmoid. The image is flattened
//!   to 784 inside the model and the output is reshaped to (N,1,28,28).
//! - Conv: encoder Conv2d(1,16,k3,s2,p1), ReLU, Conv2d(16,32,k3,s2,p1), ReLU,
//!   Conv2d(32,64,k7); decoder ConvTranspose2d(64,32,k7), ReLU,
//!   ConvTranspose2d(32,16,k3,s2,p1,op1), ReLU,
//!   ConvTranspose2d(16,1,k3,s2,p1,op1), Sigmoid.
//!
//! Consecutive layers without an activation between them are part of the
//! design and are kept as separate layers.

mod architecture;
mod conv;
mod error;
mod model;
mod onnx;

pub use architecture::{architecture, LayerDef, ModelKind, IMAGE_DIMS};
pub use error::{Error, Result};
pub use model::Autoencoder;
pub use onnx::{GraphPart, IMAGE_INPUT, LATENT, RECONSTRUCTION};
