//! Load time and peak memory of one backend on one graph, measured in a fresh process.
//!
//! `VmHWM`, the peak resident memory that Linux reports, covers the whole process, so each
//! measurement runs in a child process (`ae-bench --measure-load BACKEND GRAPH`) that loads
//! one graph and runs one image. The child loads ONNX Runtime's library and the test image
//! first, then resets `VmHWM` to the current size. The figures thus cover only the model:
//! reading and preparing the graph, the first run, and the int8 encoder's calibration.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ae_runtime::{LoadOptions, Tensor};
use serde::{Deserialize, Serialize};

use crate::bench::{BenchConfig, Observer};
use crate::engine::{Engine, EngineConfig, LoadSettings};
use crate::report::{LoadSummary, TargetResult};
use crate::system::{memory_status, reset_peak_rss};
use crate::{Error, Result};

/// Figures of one child process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoadMeasurement {
    /// Time from the start of loading to the first result, in ms.
    pub load_ms: f64,
    /// Resident memory before loading, in KiB, where it can be read.
    pub baseline_rss_kib: Option<u64>,
    /// Increase of peak resident memory during loading and the first run, in KiB.
    pub peak_rss_delta_kib: Option<u64>,
}

/// Loads the graph at `path` into `config`'s backend and runs `input` once, timing both and
/// tracking this process's peak resident memory. This is the child's side.
pub fn measure_load(
    config: EngineConfig,
    path: &Path,
    input: &Tensor,
    settings: &LoadSettings,
) -> Result<LoadMeasurement> {
    if config.backend.runtime().is_some() {
        // Loads ONNX Runtime's library now, so that neither figure includes it.
        let options = LoadOptions {
            ort_library: settings.ort_library.clone(),
            ..LoadOptions::default()
        };
        for (kind, status) in ae_runtime::available_runtimes(&options) {
            if let Err(error) = status {
                tracing::debug!(runtime = %kind, %error, "runtime not available");
            }
        }
    }

    let memory_tracked = reset_peak_rss();
    let baseline = memory_status();
    let started = Instant::now();
    let mut engine = Engine::load(config, path, Some(1), settings)?;
    let outputs = engine.run(input)?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    std::hint::black_box(outputs);

    let peak_rss_delta_kib = match (memory_tracked, baseline, memory_status()) {
        (true, Some(before), Some(after)) => {
            Some(after.peak_rss_kib.saturating_sub(before.rss_kib))
        }
        _ => None,
    };
    Ok(LoadMeasurement {
        load_ms,
        baseline_rss_kib: baseline.map(|status| status.rss_kib),
        peak_rss_delta_kib,
    })
}

/// Runs `repeats` child processes (at least one) of `exe` that measure `config`'s backend on
/// `path`, and returns their median figures.
pub fn measure_load_in_children(
    exe: &Path,
    config: EngineConfig,
    path: &Path,
    image_shape: &[usize],
    settings: &LoadSettings,
    repeats: usize,
) -> Result<LoadSummary> {
    let mut measurements = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        measurements.push(run_child(exe, config, path, image_shape, settings)?);
    }

    let samples_ms: Vec<f64> = measurements.iter().map(|m| m.load_ms).collect();
    let mut sorted = samples_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let mut deltas: Vec<u64> = measurements
        .iter()
        .filter_map(|m| m.peak_rss_delta_kib)
        .collect();
    deltas.sort_unstable();
    Ok(LoadSummary {
        load_ms: sorted[sorted.len() / 2],
        samples_ms,
        peak_rss_delta_kib: (!deltas.is_empty()).then(|| deltas[deltas.len() / 2]),
    })
}

fn run_child(
    exe: &Path,
    config: EngineConfig,
    path: &Path,
    image_shape: &[usize],
    settings: &LoadSettings,
) -> Result<LoadMeasurement> {
    let target = format!("{} on {}", config.backend, path.display());
    let mut command = Command::new(exe);
    command
        .arg("--measure-load")
        .arg(config.backend.name())
        .arg(path)
        .arg("--denormals")
        .arg(config.mode.name())
        .arg("--image-shape")
        .arg(shape_argument(image_shape))
        .arg("--data")
        .arg(&settings.mnist_dir)
        .arg("--calibration-images")
        .arg(settings.calibration_images.to_string());
    if let Some(library) = &settings.ort_library {
        command.arg("--ort-lib").arg(library);
    }

    let output = command.output().map_err(|error| Error::Child {
        target: target.clone(),
        message: format!("failed to start {}: {error}", exe.display()),
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Error::Child {
            target,
            message: format!("{}: {}", output.status, stderr.trim()),
        });
    }
    serde_json::from_slice(&output.stdout).map_err(|error| Error::Child {
        target,
        message: format!("invalid output ({error})"),
    })
}

/// Formats an image shape as `--image-shape` takes it, for example `1x28x28`.
pub fn shape_argument(shape: &[usize]) -> String {
    let sizes: Vec<String> = shape.iter().map(usize::to_string).collect();
    sizes.join("x")
}

/// Measures load time and memory of every one-thread target in the first mode, each in
/// fresh child processes, one target after another.
pub(crate) fn measure_loads(
    config: &BenchConfig,
    exe: &Path,
    repeats: usize,
    targets: &mut [TargetResult],
    observer: &mut dyn Observer,
) {
    let first_mode = config.denormal_modes.first().copied();
    for target in targets.iter_mut() {
        if target.threads != 1 || Some(target.denormals) != first_mode {
            continue;
        }
        if target.error.is_some() {
            observer.advance(repeats as u64);
            continue;
        }
        observer.phase(&format!(
            "load {} {} {}",
            target.model, target.graph, target.backend
        ));
        let engine_config = EngineConfig {
            backend: target.backend,
            mode: target.denormals,
            threads: 1,
        };
        let measured = measure_load_in_children(
            exe,
            engine_config,
            &target.path,
            &target.image_shape,
            &config.settings,
            repeats,
        );
        match measured {
            Ok(load) => target.load = Some(load),
            Err(error) => {
                tracing::warn!(%error, "load measurement failed");
                target.error = Some(error.to_string());
            }
        }
        observer.advance(repeats as u64);
    }
}
