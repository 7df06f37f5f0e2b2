//! The runtimes that the benchmark compares, and how each treats subnormal floats.

use std::fmt;
use std::str::FromStr;

use ae_runtime::{Device, RuntimeKind};
use serde::{Deserialize, Serialize};

use crate::models::GraphKind;
use crate::Error;

/// A runtime with its device, as the benchmark names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// tract on the CPU.
    Tract,
    /// ONNX Runtime's CPU execution provider.
    Ort,
    /// ONNX Runtime's CUDA execution provider on GPU 0.
    OrtCuda,
    /// ae-runtime's candle interpreter on the CPU.
    Candle,
    /// The `candle-onnx` evaluator, present when ae-runtime has its feature.
    CandleOnnx,
    /// ae-runtime's native runtime: the firmware's f32 encoder kernels run on the host
    /// (encoder graphs only).
    NativeF32,
    /// The firmware's int8 encoder kernels, run on the host (encoder graphs only).
    NativeInt8,
}

impl Backend {
    /// Every backend, in report order.
    pub const ALL: [Backend; 7] = [
        Backend::Tract,
        Backend::Ort,
        Backend::OrtCuda,
        Backend::Candle,
        Backend::CandleOnnx,
        Backend::NativeF32,
        Backend::NativeInt8,
    ];

    /// Name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Tract => "tract",
            Backend::Ort => "ort",
            Backend::OrtCuda => "ort-cuda",
            Backend::Candle => "candle",
            Backend::CandleOnnx => "candle-onnx",
            Backend::NativeF32 => "native-f32",
            Backend::NativeInt8 => "native-int8",
        }
    }

    /// Returns the ae-runtime runtime and device behind this backend, or `None` for the int8
    /// kernels, which ae-bench runs through ae-firmware.
    pub fn runtime(self) -> Option<(RuntimeKind, Device)> {
        match self {
            Backend::Tract => Some((RuntimeKind::Tract, Device::Cpu)),
            Backend::Ort => Some((RuntimeKind::Ort, Device::Cpu)),
            Backend::OrtCuda => Some((RuntimeKind::Ort, Device::Cuda(0))),
            Backend::Candle => Some((RuntimeKind::Candle, Device::Cpu)),
            Backend::CandleOnnx => Some((RuntimeKind::CandleOnnx, Device::Cpu)),
            Backend::NativeF32 => Some((RuntimeKind::Native, Device::Cpu)),
            Backend::NativeInt8 => None,
        }
    }

    /// Reports whether this backend runs graphs of `kind`. The native kernels run encoders only.
    pub fn runs(self, kind: GraphKind) -> bool {
        match self {
            Backend::NativeF32 | Backend::NativeInt8 => kind == GraphKind::Encoder,
            _ => true,
        }
    }

    /// Reports whether this backend can spread one run over several CPU threads. tract 0.23.9 runs on
    /// the calling thread without its `multithread-mm` feature, and the native kernels and GPU
    /// runs use one CPU thread.
    pub fn uses_threads(self) -> bool {
        matches!(self, Backend::Ort | Backend::Candle | Backend::CandleOnnx)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|backend| backend.name() == text)
            .ok_or_else(|| Error::InvalidArgument {
                option: "--runtimes",
                value: text.to_string(),
                reason: format!("unknown runtime, expected one of {}", backend_names()),
            })
    }
}

fn backend_names() -> String {
    let names: Vec<&str> = Backend::ALL.iter().map(|backend| backend.name()).collect();
    names.join(", ")
}

/// Subnormal handling of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DenormalMode {
    /// Subnormal inputs read as zero and subnormal results written as zero (FTZ and DAZ).
    Flush,
    /// Subnormals computed as IEEE 754 specifies.
    Keep,
}

impl DenormalMode {
    /// Name used on the command line and in reports: `flush` or `keep`.
    pub fn name(self) -> &'static str {
        match self {
            DenormalMode::Flush => "flush",
            DenormalMode::Keep => "keep",
        }
    }
}

impl fmt::Display for DenormalMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DenormalMode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "flush" => Ok(DenormalMode::Flush),
            "keep" => Ok(DenormalMode::Keep),
            _ => Err(Error::InvalidArgument {
                option: "--denormals",
                value: text.to_string(),
                reason: "expected flush or keep".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_round_trip() {
        for backend in Backend::ALL {
            assert_eq!(backend.name().parse::<Backend>().unwrap(), backend);
        }
        let error = "onnxruntime".parse::<Backend>().unwrap_err();
        assert!(
            error.to_string().contains("expected one of tract, ort,"),
            "{error}"
        );
    }

    #[test]
    fn native_backends_run_encoders_only() {
        assert!(Backend::NativeF32.runs(GraphKind::Encoder));
        assert!(!Backend::NativeInt8.runs(GraphKind::Whole));
        assert!(Backend::Tract.runs(GraphKind::Whole));
    }
}
