//! Kernels that run the autoencoders' encoders with no operating system and
//! no heap: fully connected and 2-D convolution layers in f32 and int8, and
//! runners for whole encoders described as layer tables.
//!
//! Every fast kernel has a plain counterpart in [`reference`]. The fast
//! kernels multiply weight rows by one activation vector, four f32 rows or two
//! int8 rows at a time. With the `cortex-m4` feature (for
//! `thumbv7em-none-eabihf` only) the inner loops are inline assembly using
//! VLDM/VMLA for f32 and SXTB16/SMLAD for int8. Without it the same
//! arithmetic runs as portable Rust, in the same order, so the host and the
//! microcontroller return identical results.
//!
//! The int8 scheme is described in [`quant`].

#![no_std]

pub mod activation;
pub mod conv;
pub mod dense;
mod dot;
pub mod encoder;
pub mod error;
pub mod layer;
pub mod quant;
pub mod reference;

pub use activation::Activation;
pub use conv::{conv2d_f32, conv2d_i8, Conv2dShape};
pub use dense::{dense_f32, dense_i8, I8Output};
pub use encoder::{EncoderF32, EncoderI8};
pub use error::KernelError;
pub use layer::{LayerF32, LayerI8, LayerKind};
pub use quant::QuantParams;

#[cfg(all(feature = "cortex-m4", not(target_arch = "arm")))]
compile_error!("the `cortex-m4` feature needs an ARM target such as thumbv7em-none-eabihf");
