//! ONNX support for the project's autoencoders: protobuf types, export and reading.
//!
//! - [`proto`]: the ONNX protobuf messages as prost structs, so no `protoc` is needed.
pub mod proto;
