//! Runtime names, devices and the options that [`crate::load`] takes.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::Error;

/// Inference runtime behind a [`crate::Runtime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuntimeKind {
    /// tract, a pure-Rust ONNX runtime.
    Tract,
    /// ONNX Runtime through the `ort` crate, loaded from a shared library at run time.
    Ort,
    /// This crate's interpreter of the project's ONNX operators on candle tensors.
    Candle,
    /// The `candle-onnx` evaluator, compiled only with the `candle-onnx` feature.
    CandleOnnx,
    /// The no_std f32 kernels of the firmware (`ae-kernels`) built for the host; encoders only.
    Native,
}

impl RuntimeKind {
    /// Every runtime, in the order of the names that [`FromStr`] accepts.
    pub const ALL: [RuntimeKind; 5] = [
        RuntimeKind::Tract,
        RuntimeKind::Ort,
        RuntimeKind::Candle,
        RuntimeKind::CandleOnnx,
        RuntimeKind::Native,
    ];

    /// Name used on the command line: `tract`, `ort`, `candle`, `candle-onnx` or `native`.
    pub fn name(self) -> &'static str {
        match self {
            RuntimeKind::Tract => "tract",
            RuntimeKind::Ort => "ort",
            RuntimeKind::Candle => "candle",
            RuntimeKind::CandleOnnx => "candle-onnx",
            RuntimeKind::Native => "native",
        }
    }
}

impl fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RuntimeKind {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RuntimeKind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| Error::Parse {
                kind: "runtime",
                value: text.to_string(),
                expected: "one of tract, ort, candle, candle-onnx",
            })
    }
}

/// Device that a runtime runs the graph on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// The host CPU.
    #[default]
    Cpu,
    /// The CUDA GPU with this ordinal.
    Cuda(usize),
}

impl fmt::Display for Device {
    /// Formats as `cpu` or `cuda:ORDINAL`, the forms that [`FromStr`] accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(ordinal) => write!(f, "cuda:{ordinal}"),
        }
    }
}

impl FromStr for Device {
    type Err = Error;

    /// Parses `cpu`, `cuda` (GPU 0) or `cuda:ORDINAL`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || Error::Parse {
            kind: "device",
            value: text.to_string(),
            expected: "cpu, cuda or cuda:ORDINAL",
        };
        match text {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            _ => {
                let ordinal = text.strip_prefix("cuda:").ok_or_else(invalid)?;
                ordinal.parse().map(Device::Cuda).map_err(|_| invalid())
            }
        }
    }
}

/// Options for [`crate::load`]. `LoadOptions::default()` runs on the CPU with each runtime's
/// default threading, picks the batch size from the first run and flushes subnormals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Batch size to prepare for at load time. Runs with other batch sizes still work, and tract
    /// prepares a plan for each new size on first use.
    pub batch: Option<usize>,
    /// Number of intra-op threads for ONNX Runtime. tract runs on one thread, and candle sizes
    /// its thread pool for the whole process from `RAYON_NUM_THREADS`.
    pub threads: Option<usize>,
    /// Device to run on.
    pub device: Device,
    /// ONNX Runtime shared library to load, ahead of `ORT_DYLIB_PATH` and the project cache.
    pub ort_library: Option<PathBuf>,
    /// Treats subnormal floats as zero while the graph runs (x86_64 FTZ and DAZ, see
    /// [`crate::denormal`]), which avoids the CPU's slow path for them. When false, runs use the
    /// threads' mode unchanged, which includes FTZ and DAZ on candle's rayon threads after a
    /// flushing candle run in the same pool.
    pub flush_denormals: bool,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            batch: None,
            threads: None,
            device: Device::Cpu,
            ort_library: None,
            flush_denormals: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names_round_trip() {
        for kind in RuntimeKind::ALL {
            assert_eq!(kind.to_string().parse::<RuntimeKind>().unwrap(), kind);
        }
        assert_eq!(
            "candle-onnx".parse::<RuntimeKind>().unwrap(),
            RuntimeKind::CandleOnnx
        );
    }

    #[test]
    fn unknown_runtime_lists_names() {
        let error = "onnxruntime".parse::<RuntimeKind>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid runtime `onnxruntime`: expected one of tract, ort, candle, candle-onnx"
        );
    }

    #[test]
    fn device_parses_cpu_and_cuda() {
        assert_eq!("cpu".parse::<Device>().unwrap(), Device::Cpu);
        assert_eq!("cuda".parse::<Device>().unwrap(), Device::Cuda(0));
        assert_eq!("cuda:3".parse::<Device>().unwrap(), Device::Cuda(3));
        assert_eq!(Device::Cuda(3).to_string(), "cuda:3");
        assert!("cuda:".parse::<Device>().is_err());
        assert!("cuda:-1".parse::<Device>().is_err());
        assert!("gpu".parse::<Device>().is_err());
    }
}
