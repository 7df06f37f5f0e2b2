//! Planning of a benchmark run: which backends can run, which one is the reference, how the
//! targets of a graph form groups, and how many progress steps the run takes.

use std::collections::HashMap;

use ae_runtime::{LoadOptions, RuntimeKind};

use crate::backend::{Backend, DenormalMode};
use crate::bench::BenchConfig;
use crate::engine::{Engine, EngineConfig};
use crate::measure::{Schedule, TestImages};
use crate::models::GraphKind;
use crate::report::{BackendStatus, ReferenceTarget};
use crate::Result;

/// Timed throughput calls per visit of an engine.
const THROUGHPUT_BLOCK: usize = 5;

/// Backends that can serve as the reference for error figures, most trusted first.
const REFERENCE_ORDER: [Backend; 3] = [Backend::Ort, Backend::Tract, Backend::Candle];

/// Checks which requested backends can run. A runtime must be compiled in, and ONNX Runtime
/// needs its library. ort-cuda also needs a session to start on GPU 0.
pub(crate) fn backend_statuses(config: &BenchConfig) -> Vec<BackendStatus> {
    let options = LoadOptions {
        ort_library: config.settings.ort_library.clone(),
        ..LoadOptions::default()
    };
    let runtimes: HashMap<RuntimeKind, Option<String>> = ae_runtime::available_runtimes(&options)
        .into_iter()
        .map(|(kind, status)| (kind, status.err().map(|error| error.to_string())))
        .collect();

    config
        .backends
        .iter()
        .map(|&backend| {
            let mut reason = backend
                .runtime()
                .and_then(|(kind, _)| runtimes.get(&kind).cloned().flatten());
            if reason.is_none() && backend == Backend::OrtCuda {
                reason = probe_cuda(config).err().map(|error| error.to_string());
            }
            if let Some(reason) = &reason {
                tracing::warn!(%backend, %reason, "skipping an unavailable runtime");
            }
            BackendStatus {
                backend,
                available: reason.is_none(),
                reason,
            }
        })
        .collect()
}

/// Starts an ONNX Runtime session on GPU 0 with the first model's whole graph.
fn probe_cuda(config: &BenchConfig) -> Result<()> {
    let Some(model) = config.models.first() else {
        return Ok(());
    };
    let engine_config = EngineConfig {
        backend: Backend::OrtCuda,
        mode: DenormalMode::Flush,
        threads: 1,
    };
    Engine::load(engine_config, &model.whole, None, &config.settings).map(|_| ())
}

/// Picks the reference: the first available of [`REFERENCE_ORDER`], in keep mode when that is
/// measured, because it computes subnormals exactly.
pub(crate) fn choose_reference(
    available: &[Backend],
    modes: &[DenormalMode],
) -> Option<ReferenceTarget> {
    let backend = REFERENCE_ORDER
        .into_iter()
        .find(|backend| available.contains(backend))?;
    let denormals = if modes.contains(&DenormalMode::Keep) {
        DenormalMode::Keep
    } else {
        *modes.first()?
    };
    Some(ReferenceTarget { backend, denormals })
}

/// Thread count and subnormal modes of each group of a graph: every mode together at one
/// thread, and each mode alone at every higher thread count.
pub(crate) fn groups(config: &BenchConfig) -> Vec<(usize, Vec<DenormalMode>)> {
    let mut groups = Vec::new();
    for &threads in &config.thread_counts {
        if threads == 1 {
            groups.push((1, config.denormal_modes.clone()));
        } else {
            for &mode in &config.denormal_modes {
                groups.push((threads, vec![mode]));
            }
        }
    }
    groups
}

/// Engine configurations of one group, in backend then mode order.
pub(crate) fn plan_group(
    available: &[Backend],
    kind: GraphKind,
    threads: usize,
    modes: &[DenormalMode],
) -> Vec<EngineConfig> {
    let mut configs = Vec::new();
    for &backend in available {
        if !backend.runs(kind) || (threads > 1 && !backend.uses_threads()) {
            continue;
        }
        for &mode in modes {
            configs.push(EngineConfig {
                backend,
                mode,
                threads,
            });
        }
    }
    configs
}

/// Steps of the progress bar: one per timing round of each group, one per batch of each
/// engine's error pass, and one per load-measuring child process.
pub(crate) fn total_steps(
    config: &BenchConfig,
    available: &[Backend],
    images: TestImages<'_>,
) -> u64 {
    let quality_batches = images.count().div_ceil(config.quality_batch.max(1));
    let mut steps = 0;
    for model in &config.models {
        for (kind, _) in model.graphs() {
            for (threads, modes) in groups(config) {
                let engines = plan_group(available, kind, threads, &modes).len();
                if engines == 0 {
                    continue;
                }
                steps += group_steps(config, threads, engines, quality_batches);
                if threads == 1 {
                    if let Some((_, repeats)) = &config.load_children {
                        steps += (engines / config.denormal_modes.len().max(1) * repeats) as u64;
                    }
                }
            }
        }
    }
    steps
}

pub(crate) fn group_steps(
    config: &BenchConfig,
    threads: usize,
    engines: usize,
    quality_batches: usize,
) -> u64 {
    let rounds = |schedule: Schedule| {
        let block = schedule.block.max(1);
        schedule.warmup.div_ceil(block) + schedule.calls.div_ceil(block)
    };
    let timing_rounds = rounds(latency_schedule(config)) + rounds(throughput_schedule(config));
    let quality = if threads == 1 {
        engines * quality_batches
    } else {
        0
    };
    (timing_rounds + quality) as u64
}

pub(crate) fn latency_schedule(config: &BenchConfig) -> Schedule {
    Schedule {
        warmup: config.warmup_calls,
        calls: config.timed_calls,
        block: config.block_calls,
    }
}

pub(crate) fn throughput_schedule(config: &BenchConfig) -> Schedule {
    Schedule {
        warmup: 1,
        calls: config.throughput_calls,
        block: THROUGHPUT_BLOCK,
    }
}
