//! ONNX protobuf messages, written by hand as prost structs so that the build needs no `protoc`.
//!
//! Each message mirrors the message of the same name in `onnx/onnx.proto` from the ONNX
//! repository, checked field by field against commit `64209faab4da3d679f2d46c7f725f6f2b779279b`
//! (IR version 10 in development, the schema of ONNX 1.16). Field numbers, wire types and
//! packing are the same as there. Files written for IR version 8 use a subset of those fields.
//! Struct fields are declared in field-number order because prost encodes them in declaration
//! order, so an encoded model has the same byte layout as one serialized by the C++ protobuf
//! library that PyTorch and ONNX use.
//!
//! `onnx.proto` is a proto2 file, so every `optional` scalar is an `Option` here, which keeps
//! presence: an attribute `i = 0` is written to the file, which the ONNX checker requires. The
//! prost derive adds getters that return the default when a field is absent, for example
//! [`ModelProto::ir_version`] and [`NodeProto::op_type`].
//!
//! Fields that this project neither writes nor reads are left out: training information,
//! model-local functions, sparse tensors, tensor segments, quantization annotations, the
//! metadata of graphs, nodes and values, and the sequence, map, optional and sparse variants of
//! [`TypeProto`]. Prost skips unknown fields when it decodes, so files that use them still
//! decode. Those fields are lost when such a model is encoded again.

/// Top-level ONNX file: IR version, operator sets, producer and the graph.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelProto {
    /// IR version of the file format, for example 8.
    #[prost(int64, optional, tag = "1")]
    pub ir_version: Option<i64>,
    /// Name of the tool that wrote the file.
    #[prost(string, optional, tag = "2")]
    pub producer_name: Option<String>,
    /// Version of the tool that wrote the file.
    #[prost(string, optional, tag = "3")]
    pub producer_version: Option<String>,
    /// Reverse-DNS domain of the model.
    #[prost(string, optional, tag = "4")]
    pub domain: Option<String>,
    /// Version of the model itself.
    #[prost(int64, optional, tag = "5")]
    pub model_version: Option<i64>,
    /// Human-readable description.
    #[prost(string, optional, tag = "6")]
    pub doc_string: Option<String>,
    /// Computation graph of the model.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    /// Operator sets that the nodes bind against. The default domain is `""`.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
    /// Free-form key/value metadata. Keys should be distinct.
    #[prost(message, repeated, tag = "14")]
    pub metadata_props: Vec<StringStringEntryProto>,
}

/// Operator set identifier: a domain and its version.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OperatorSetIdProto {
    /// Operator set domain. Empty or absent means the default ONNX domain.
    #[prost(string, optional, tag = "1")]
    pub domain: Option<String>,
    /// Operator set version, for example 17.
    #[prost(int64, optional, tag = "2")]
    pub version: Option<i64>,
}

/// Key/value pair, used where `onnx.proto` would use a map.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StringStringEntryProto {
    /// Entry key.
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    /// Entry value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// Computation graph: topologically sorted nodes, constant tensors, inputs and outputs.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphProto {
    /// Nodes, sorted topologically.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// Graph name.
    #[prost(string, optional, tag = "2")]
    pub name: Option<String>,
    /// Named constant tensors (weights), referenced by node inputs.
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// Human-readable description.
    #[prost(string, optional, tag = "10")]
    pub doc_string: Option<String>,
    /// Graph inputs. Initializers may be listed here too, and before IR version 4 they must be.
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// Graph outputs.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
    /// Types and shapes of intermediate values, listed for any subset of them.
    #[prost(message, repeated, tag = "13")]
    pub value_info: Vec<ValueInfoProto>,
}

/// One operator application in a graph.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeProto {
    /// Names of the input values. An empty name marks an omitted optional input.
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// Names of the output values.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// Node name, unique in the graph when present.
    #[prost(string, optional, tag = "3")]
    pub name: Option<String>,
    /// Operator name, for example `Gemm`.
    #[prost(string, optional, tag = "4")]
    pub op_type: Option<String>,
    /// Operator attributes.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    /// Human-readable description.
    #[prost(string, optional, tag = "6")]
    pub doc_string: Option<String>,
    /// Operator set domain of `op_type`. Empty or absent means the default ONNX domain.
    #[prost(string, optional, tag = "7")]
    pub domain: Option<String>,
}

/// Named operator attribute holding one value of the kind given by `type`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttributeProto {
    /// Attribute name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Float value.
    #[prost(float, optional, tag = "2")]
    pub f: Option<f32>,
    /// Integer value.
    #[prost(int64, optional, tag = "3")]
    pub i: Option<i64>,
    /// UTF-8 string value, as bytes.
    #[prost(bytes = "vec", optional, tag = "4")]
    pub s: Option<Vec<u8>>,
    /// Tensor value, as used by `Constant` nodes.
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    /// Subgraph value, as used by `If` and `Loop` nodes.
    #[prost(message, optional, boxed, tag = "6")]
    pub g: Option<Box<GraphProto>>,
    /// List of floats.
    #[prost(float, repeated, packed = "false", tag = "7")]
    pub floats: Vec<f32>,
    /// List of integers.
    #[prost(int64, repeated, packed = "false", tag = "8")]
    pub ints: Vec<i64>,
    /// List of UTF-8 strings, as bytes.
    #[prost(bytes = "vec", repeated, tag = "9")]
    pub strings: Vec<Vec<u8>>,
    /// List of tensors.
    #[prost(message, repeated, tag = "10")]
    pub tensors: Vec<TensorProto>,
    /// List of subgraphs.
    #[prost(message, repeated, tag = "11")]
    pub graphs: Vec<GraphProto>,
    /// Human-readable description.
    #[prost(string, optional, tag = "13")]
    pub doc_string: Option<String>,
    /// Kind of value stored, which selects the one value field that is set.
    #[prost(enumeration = "attribute_proto::AttributeType", optional, tag = "20")]
    pub r#type: Option<i32>,
    /// Name of the attribute of the enclosing function that this attribute refers to.
    #[prost(string, optional, tag = "21")]
    pub ref_attr_name: Option<String>,
}

/// Nested types of [`AttributeProto`].
pub mod attribute_proto {
    /// Kind of value an attribute stores.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum AttributeType {
        /// No kind given.
        Undefined = 0,
        /// One float, in `f`.
        Float = 1,
        /// One integer, in `i`.
        Int = 2,
        /// One string, in `s`.
        String = 3,
        /// One tensor, in `t`.
        Tensor = 4,
        /// One graph, in `g`.
        Graph = 5,
        /// One sparse tensor (not decoded by this crate).
        SparseTensor = 11,
        /// One type (not decoded by this crate).
        TypeProto = 13,
        /// Floats, in `floats`.
        Floats = 6,
        /// Integers, in `ints`.
        Ints = 7,
        /// Strings, in `strings`.
        Strings = 8,
        /// Tensors, in `tensors`.
        Tensors = 9,
        /// Graphs, in `graphs`.
        Graphs = 10,
        /// Sparse tensors (not decoded by this crate).
        SparseTensors = 12,
        /// Types (not decoded by this crate).
        TypeProtos = 14,
    }
}

/// Tensor value: shape, element type and the elements in row-major order.
///
/// The elements are in `raw_data` (fixed-width little-endian) or in the typed field that
/// matches `data_type`, such as `float_data` for FLOAT or `int64_data` for INT64.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// Shape, empty for a scalar.
    #[prost(int64, repeated, packed = "false", tag = "1")]
    pub dims: Vec<i64>,
    /// Element type, a [`tensor_proto::DataType`] value.
    #[prost(int32, optional, tag = "2")]
    pub data_type: Option<i32>,
    /// Elements of FLOAT and COMPLEX64 tensors.
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    /// Elements of INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16 and similar tensors.
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    /// Elements of STRING tensors.
    #[prost(bytes = "vec", repeated, tag = "6")]
    pub string_data: Vec<Vec<u8>>,
    /// Elements of INT64 tensors.
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    /// Tensor name, required for initializers.
    #[prost(string, optional, tag = "8")]
    pub name: Option<String>,
    /// Elements as fixed-width little-endian bytes, for any type except STRING.
    #[prost(bytes = "vec", optional, tag = "9")]
    pub raw_data: Option<Vec<u8>>,
    /// Elements of DOUBLE and COMPLEX128 tensors.
    #[prost(double, repeated, tag = "10")]
    pub double_data: Vec<f64>,
    /// Elements of UINT32 and UINT64 tensors.
    #[prost(uint64, repeated, tag = "11")]
    pub uint64_data: Vec<u64>,
    /// Human-readable description.
    #[prost(string, optional, tag = "12")]
    pub doc_string: Option<String>,
    /// Location of elements stored outside the file (`location`, `offset`, `length` keys).
    #[prost(message, repeated, tag = "13")]
    pub external_data: Vec<StringStringEntryProto>,
    /// Whether the elements are in this message or in an external file.
    #[prost(enumeration = "tensor_proto::DataLocation", optional, tag = "14")]
    pub data_location: Option<i32>,
}

/// Nested types of [`TensorProto`].
pub mod tensor_proto {
    /// Element type of a tensor.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum DataType {
        /// No type given.
        Undefined = 0,
        /// 32-bit IEEE 754 float.
        Float = 1,
        /// Unsigned 8-bit integer.
        Uint8 = 2,
        /// Signed 8-bit integer.
        Int8 = 3,
        /// Unsigned 16-bit integer.
        Uint16 = 4,
        /// Signed 16-bit integer.
        Int16 = 5,
        /// Signed 32-bit integer.
        Int32 = 6,
        /// Signed 64-bit integer.
        Int64 = 7,
        /// UTF-8 string.
        String = 8,
        /// Boolean, one byte per element in `raw_data`.
        Bool = 9,
        /// 16-bit IEEE 754 float.
        Float16 = 10,
        /// 64-bit IEEE 754 float.
        Double = 11,
        /// Unsigned 32-bit integer.
        Uint32 = 12,
        /// Unsigned 64-bit integer.
        Uint64 = 13,
        /// Complex number of two 32-bit floats.
        Complex64 = 14,
        /// Complex number of two 64-bit floats.
        Complex128 = 15,
        /// 32-bit float truncated to its upper 16 bits.
        Bfloat16 = 16,
        /// 8-bit float, 4 exponent and 3 mantissa bits, NaN but no infinity.
        Float8e4m3fn = 17,
        /// 8-bit float like `Float8e4m3fn` without negative zero.
        Float8e4m3fnuz = 18,
        /// 8-bit float, 5 exponent and 2 mantissa bits.
        Float8e5m2 = 19,
        /// 8-bit float like `Float8e5m2` without infinity or negative zero.
        Float8e5m2fnuz = 20,
        /// Unsigned 4-bit integer, two per byte.
        Uint4 = 21,
        /// Signed 4-bit integer, two per byte.
        Int4 = 22,
    }

    /// Place where a tensor's elements are stored.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum DataLocation {
        /// In this message, in `raw_data` or a typed field.
        Default = 0,
        /// In an external file described by `external_data`.
        External = 1,
    }
}

/// Name, type and shape of a value (a graph input, output or intermediate tensor).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    /// Value name, as used in node inputs and outputs.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Value type, required for the inputs and outputs of the top-level graph.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
    /// Human-readable description.
    #[prost(string, optional, tag = "3")]
    pub doc_string: Option<String>,
}

/// Type of a value. Only the tensor variant is decoded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProto {
    /// The type itself.
    #[prost(oneof = "type_proto::Value", tags = "1")]
    pub value: Option<type_proto::Value>,
    /// Standard denotation of the whole type, such as `IMAGE`.
    #[prost(string, optional, tag = "6")]
    pub denotation: Option<String>,
}

/// Nested types of [`TypeProto`].
pub mod type_proto {
    use super::TensorShapeProto;

    /// Tensor type: element type and an optional shape.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tensor {
        /// Element type, a [`super::tensor_proto::DataType`] value.
        #[prost(int32, optional, tag = "1")]
        pub elem_type: Option<i32>,
        /// Shape, absent when even the rank is unknown.
        #[prost(message, optional, tag = "2")]
        pub shape: Option<TensorShapeProto>,
    }

    /// Variants of [`super::TypeProto`].
    // NOTE: `onnx.proto` also has sequence (4), map (5), sparse tensor (8) and optional (9)
    // variants. Prost skips them as unknown fields, so such a type decodes as `value: None`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// Tensor type.
        #[prost(message, tag = "1")]
        TensorType(Tensor),
    }
}

/// Shape of a tensor: one entry per axis.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// Axis sizes, outermost first.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<tensor_shape_proto::Dimension>,
}

/// Nested types of [`TensorShapeProto`].
pub mod tensor_shape_proto {
    /// Size of one axis: a number, a symbolic name, or neither when unknown.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Dimension {
        /// The size.
        #[prost(oneof = "dimension::Value", tags = "1, 2")]
        pub value: Option<dimension::Value>,
        /// Standard denotation of the axis, such as `DATA_BATCH`.
        #[prost(string, optional, tag = "3")]
        pub denotation: Option<String>,
    }

    /// Nested types of [`Dimension`].
    pub mod dimension {
        /// Size of an axis.
        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum Value {
            /// Fixed size.
            #[prost(int64, tag = "1")]
            DimValue(i64),
            /// Symbolic size, such as `N` or `batch`.
            #[prost(string, tag = "2")]
            DimParam(String),
        }
    }
}
