//! ONNX support for the project's autoencoders: protobuf types, export and reading.
//!
//! - [`proto`]: the ONNX protobuf messages as prost structs, so the build needs no `protoc`.
//! - [`spec`]: a plain description of a network ([`GraphSpec`], [`Layer`]), independent of
//!   the training framework.
//! - [`export`]: [`build_model`] turns a [`GraphSpec`] into a [`proto::ModelProto`] (opset 17,
//!   IR version 8, symbolic batch dimension `N`), and [`write_model`] writes it atomically.
//! - [`shape`]: the output-size formulas of convolutions and the per-layer shape checks that
//!   [`build_model`] runs.
//! - [`read`]: [`read_model`] and helpers that decode tensors, attributes, shapes and metadata
//!   of any ONNX file, including PyTorch's exports.
//! - [`import`]: [`spec_from_model`] turns a chain of supported nodes back into a
//!   [`GraphSpec`], for example to re-export PyTorch's weights.
//!
//! ```
//! use ae_onnx::{build_model, GraphSpec, Layer, NamedLayer, OutputSpec, TensorSpec};
//!
//! let spec = GraphSpec {
//!     graph_name: "tiny".to_string(),
//!     input: TensorSpec { name: "x".to_string(), dims: vec![2] },
//!     outputs: vec![OutputSpec { name: "y".to_string(), after_layer: 1 }],
//!     layers: vec![
//!         NamedLayer {
//!             name: "fc".to_string(),
//!             layer: Layer::Linear {
//!                 weight: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
//!                 bias: vec![0.0; 3],
//!                 in_features: 2,
//!                 out_features: 3,
//!             },
//!         },
//!         NamedLayer { name: "act".to_string(), layer: Layer::Relu },
//!     ],
//!     metadata: vec![],
//!     producer_name: "example".to_string(),
//!     producer_version: "0.1.0".to_string(),
//! };
//! let model = build_model(&spec)?;
//! let graph = model.graph.as_ref().unwrap();
//! assert_eq!(graph.node[0].name(), "fc/Gemm");
//! assert_eq!(graph.node[1].output, ["y"]);
//! # Ok::<(), ae_onnx::Error>(())
//! ```

pub mod error;
pub mod export;
pub mod import;
mod nodes;
pub mod proto;
pub mod read;
pub mod shape;
pub mod spec;

pub use crate::error::{Error, Result};
pub use crate::export::{build_model, write_model, BATCH_DIM, IR_VERSION, OPSET_VERSION};
pub use crate::import::spec_from_model;
pub use crate::read::{
    attr_float, attr_int, attr_ints, attr_string, attribute, initializers, metadata, opset_version,
    read_model, tensor_f32, tensor_i64, value_info_dims, value_info_shape, Dim,
};
pub use crate::spec::{GraphSpec, Layer, NamedLayer, OutputSpec, TensorSpec};
