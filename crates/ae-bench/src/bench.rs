//! A whole benchmark run: which targets to measure, in which order, on which threads.
//!
//! Targets are grouped by model, graph and thread count. Each group runs entirely on a new
//! rayon pool of that many threads, so candle's parallel kernels use exactly that many threads
//! and the other runtimes run on the pool's thread. Within a group the targets are interleaved
//! call by call, so that drift of the machine's speed affects all of them alike.
//!
//! At one thread a group interleaves both subnormal modes. Above one thread each mode gets its
//! own group and pool, because a flushing candle run leaves FTZ and DAZ set on the pool's
//! threads (see `ae_runtime::denormal`), which would turn the keep runs into flushing ones.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ae_runtime::{LoadOptions, RuntimeKind};

use crate::backend::{Backend, DenormalMode};
use crate::engine::{Engine, EngineConfig, LoadSettings};
use crate::load::measure_load_in_children;
use crate::measure::{
    measure_quality, time_interleaved, QualityPass, Schedule, TestImages, Timing,
};
use crate::models::{GraphKind, ModelFiles};
use crate::report::{BackendStatus, ReferenceTarget, TargetResult, Throughput};
use crate::stats::{images_per_second, summarize};
use crate::{Error, Result};

/// Number of distinct test images that the batch-1 calls cycle through.
const LATENCY_INPUTS: usize = 100;

/// Number of distinct batches that the throughput calls cycle through.
const THROUGHPUT_INPUTS: usize = 4;

/// Timed throughput calls per visit of an engine.
const THROUGHPUT_BLOCK: usize = 5;

/// Backends that can serve as the reference for error figures, most trusted first.
const REFERENCE_ORDER: [Backend; 3] = [Backend::Ort, Backend::Tract, Backend::Candle];

/// Targets, call counts and settings of a benchmark run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Models to measure.
    pub models: Vec<ModelFiles>,
    /// Backends to measure, where available.
    pub backends: Vec<Backend>,
    /// CPU thread counts. Backends that run on one thread are measured at 1 only.
    pub thread_counts: Vec<usize>,
    /// Subnormal modes. The first is the one that load time and the grid use.
    pub denormal_modes: Vec<DenormalMode>,
    /// Untimed batch-1 calls per target before the timed ones.
    pub warmup_calls: usize,
    /// Timed batch-1 calls per target.
    pub timed_calls: usize,
    /// Timed batch-1 calls per visit of a target, after one call timed as cold.
    pub block_calls: usize,
    /// Batch size of the throughput calls.
    pub throughput_batch: usize,
    /// Timed throughput calls per target, after one untimed call.
    pub throughput_calls: usize,
    /// Batch size of the error pass over the test images.
    pub quality_batch: usize,
    /// Reconstructions per whole graph kept for the image grid.
    pub grid_images: usize,
    /// Child processes per target that measure load cost, and the executable they run. `None`
    /// skips load measurements.
    pub load_children: Option<(PathBuf, usize)>,
    /// ONNX Runtime library and int8 calibration data.
    pub settings: LoadSettings,
}

/// Receives progress while a benchmark runs.
pub trait Observer: Send {
    /// Announces the number of steps in the run.
    fn begin(&mut self, total_steps: u64);
    /// Names what runs now.
    fn phase(&mut self, message: &str);
    /// Marks `steps` steps as done.
    fn advance(&mut self, steps: u64);
}

/// Measured targets of one run, with what the report needs besides them.
#[derive(Debug, Clone)]
pub struct BenchOutcome {
    /// Each requested backend and whether it ran.
    pub backends: Vec<BackendStatus>,
    /// Reference of the error figures.
    pub reference: Option<ReferenceTarget>,
    /// Every target, in model, graph, thread count, backend and mode order.
    pub targets: Vec<TargetResult>,
    /// Grid rows as label and reconstructions, whole graphs in the first mode at one thread.
    pub grid: Vec<(String, Vec<f32>)>,
}

/// Measures every target of `config` on `images`.
pub fn run_bench(
    config: &BenchConfig,
    images: TestImages<'_>,
    observer: &mut dyn Observer,
) -> Result<BenchOutcome> {
    let backends = backend_statuses(config);
    let available: Vec<Backend> = backends
        .iter()
        .filter(|status| status.available)
        .map(|status| status.backend)
        .collect();
    let reference = choose_reference(&available, &config.denormal_modes);

    observer.begin(total_steps(config, &available, images));

    let mut targets = Vec::new();
    let mut grid = Vec::new();
    for model in &config.models {
        for (kind, path) in model.graphs() {
            let graph = GraphRun {
                model: &model.name,
                kind,
                path,
            };
            for (threads, modes) in groups(config) {
                let engine_configs = plan_group(&available, kind, threads, &modes);
                if engine_configs.is_empty() {
                    continue;
                }
                observer.phase(&format!("{} {} at {threads} thread(s)", model.name, kind));
                let pool = build_pool(threads)?;
                let group = pool.install(|| {
                    measure_group(config, &graph, &engine_configs, reference, images, observer)
                });
                if threads == 1 && kind == GraphKind::Whole {
                    grid.push((
                        format!("original ({})", model.name),
                        original_tiles(config, images),
                    ));
                    grid.extend(group.grid);
                }
                targets.extend(group.targets);
            }
        }
    }

    if let Some((exe, repeats)) = &config.load_children {
        measure_loads(config, exe, *repeats, &mut targets, observer);
    }
    Ok(BenchOutcome {
        backends,
        reference,
        targets,
        grid,
    })
}

/// Model name, graph kind and file of the graph being measured.
struct GraphRun<'a> {
    model: &'a str,
    kind: GraphKind,
    path: &'a Path,
}

/// Results of one group: its targets and its grid rows.
struct GroupOutcome {
    targets: Vec<TargetResult>,
    grid: Vec<(String, Vec<f32>)>,
}

/// Checks which requested backends can run. A runtime must be compiled in, and ONNX Runtime
/// needs its library. ort-cuda also needs a session to start on GPU 0.
fn backend_statuses(config: &BenchConfig) -> Vec<BackendStatus> {
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
fn choose_reference(available: &[Backend], modes: &[DenormalMode]) -> Option<ReferenceTarget> {
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

fn build_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |index| format!("bench-{threads}-{index}"))
        .build()
        .map_err(|error| Error::InvalidArgument {
            option: "--threads",
            value: threads.to_string(),
            reason: format!("failed to start a pool of {threads} threads ({error})"),
        })
}

/// Thread count and subnormal modes of each group of a graph: every mode together at one
/// thread, and each mode alone at every higher thread count.
fn groups(config: &BenchConfig) -> Vec<(usize, Vec<DenormalMode>)> {
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
fn plan_group(
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
fn total_steps(config: &BenchConfig, available: &[Backend], images: TestImages<'_>) -> u64 {
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

fn group_steps(
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

/// Loads and measures one group's engines. Runs on the group's rayon pool.
fn measure_group(
    config: &BenchConfig,
    graph: &GraphRun<'_>,
    engine_configs: &[EngineConfig],
    reference: Option<ReferenceTarget>,
    images: TestImages<'_>,
    observer: &mut dyn Observer,
) -> GroupOutcome {
    let threads = engine_configs[0].threads;
    let quality_batches = images.count().div_ceil(config.quality_batch.max(1));
    let planned_steps = group_steps(config, threads, engine_configs.len(), quality_batches);
    let mut steps_done = 0;

    let mut targets = Vec::new();
    let mut engines = Vec::new();
    for &engine_config in engine_configs {
        match Engine::load(engine_config, graph.path, Some(1), &config.settings) {
            Ok(engine) => engines.push(engine),
            Err(error) => {
                tracing::warn!(backend = %engine_config.backend, path = %graph.path.display(), %error, "load failed");
                targets.push(empty_target(graph, engine_config, Some(error.to_string())));
            }
        }
    }
    let image_shape = match engines.first().map(|engine| engine.image_shape(graph.path)) {
        Some(Ok(shape)) => shape,
        Some(Err(error)) => {
            for engine in &engines {
                targets.push(empty_target(
                    graph,
                    engine.config(),
                    Some(error.to_string()),
                ));
            }
            engines.clear();
            Vec::new()
        }
        None => Vec::new(),
    };
    if engines.is_empty() {
        observer.advance(planned_steps);
        return GroupOutcome {
            targets,
            grid: Vec::new(),
        };
    }

    let mut failures: Vec<Option<String>> = vec![None; engines.len()];
    let single_inputs = (0..LATENCY_INPUTS.min(images.count()))
        .map(|index| images.batch(index, 1, &image_shape))
        .collect::<Result<Vec<_>>>();
    let batch = config.throughput_batch;
    let batch_inputs = (0..THROUGHPUT_INPUTS)
        .map(|index| images.batch(index * batch, batch, &image_shape))
        .collect::<Result<Vec<_>>>();
    let (single_inputs, batch_inputs) = match (single_inputs, batch_inputs) {
        (Ok(single), Ok(batched)) => (single, batched),
        (Err(error), _) | (_, Err(error)) => {
            let message = error.to_string();
            failures
                .iter_mut()
                .for_each(|failure| *failure = Some(message.clone()));
            (Vec::new(), Vec::new())
        }
    };

    let mut latency = Timing::default();
    let mut throughput = Timing::default();
    let mut quality = vec![None; engines.len()];
    if !single_inputs.is_empty() {
        latency = time_interleaved(
            &mut engines,
            &single_inputs,
            latency_schedule(config),
            &mut failures,
            || {
                observer.advance(1);
                steps_done += 1;
            },
        );
        throughput = time_interleaved(
            &mut engines,
            &batch_inputs,
            throughput_schedule(config),
            &mut failures,
            || {
                observer.advance(1);
                steps_done += 1;
            },
        );
        if threads == 1 {
            let reference_index = reference.and_then(|reference| {
                engines.iter().position(|engine| {
                    let engine_config = engine.config();
                    engine_config.backend == reference.backend
                        && engine_config.mode == reference.denormals
                })
            });
            let pass = QualityPass {
                images,
                image_shape: &image_shape,
                kind: graph.kind,
                batch: config.quality_batch,
                grid_images: config.grid_images,
            };
            quality = measure_quality(&mut engines, reference_index, pass, &mut failures, || {
                observer.advance(1);
                steps_done += 1;
            });
        }
    }
    observer.advance(planned_steps.saturating_sub(steps_done));

    let mut grid = Vec::new();
    for (index, engine) in engines.iter().enumerate() {
        let engine_config = engine.config();
        let mut target = empty_target(graph, engine_config, failures[index].clone());
        target.image_shape = image_shape.clone();
        target.version = engine.version().to_string();
        target.device = engine.device().to_string();
        if let Some(samples) = latency.warm.get_mut(index) {
            target.latency = summarize(samples);
            target.latency_samples_ns = std::mem::take(samples);
        }
        if let Some(samples) = latency.cold.get_mut(index) {
            target.cold_latency = summarize(samples);
            target.cold_samples_ns = std::mem::take(samples);
        }
        if let Some(samples) = throughput.warm.get_mut(index).filter(|s| !s.is_empty()) {
            target.throughput = Some(Throughput {
                batch,
                images_per_second: images_per_second(batch, samples),
                samples_ns: std::mem::take(samples),
            });
        }
        if let Some(outcome) = quality[index].take() {
            target.quality = Some(outcome.quality);
            let first_mode = config.denormal_modes.first() == Some(&engine_config.mode);
            if graph.kind == GraphKind::Whole && first_mode && !outcome.grid.is_empty() {
                grid.push((
                    format!("{} ({})", engine_config.backend, graph.model),
                    outcome.grid,
                ));
            }
        }
        targets.push(target);
    }
    GroupOutcome { targets, grid }
}

fn empty_target(graph: &GraphRun<'_>, config: EngineConfig, error: Option<String>) -> TargetResult {
    TargetResult {
        model: graph.model.to_string(),
        graph: graph.kind,
        path: graph.path.to_path_buf(),
        image_shape: Vec::new(),
        backend: config.backend,
        threads: config.threads,
        denormals: config.mode,
        version: String::new(),
        device: String::new(),
        latency: None,
        latency_samples_ns: Vec::new(),
        cold_latency: None,
        cold_samples_ns: Vec::new(),
        throughput: None,
        quality: None,
        load: None,
        error,
    }
}

fn latency_schedule(config: &BenchConfig) -> Schedule {
    Schedule {
        warmup: config.warmup_calls,
        calls: config.timed_calls,
        block: config.block_calls,
    }
}

fn throughput_schedule(config: &BenchConfig) -> Schedule {
    Schedule {
        warmup: 1,
        calls: config.throughput_calls,
        block: THROUGHPUT_BLOCK,
    }
}

/// Pixels of the first grid images, the row of originals above each model's reconstructions.
fn original_tiles(config: &BenchConfig, images: TestImages<'_>) -> Vec<f32> {
    let count = config.grid_images.min(images.count());
    images.pixels[..count * images.image_len].to_vec()
}

/// Measures load time and memory of every one-thread target in the first mode, each in
/// fresh child processes, one target after another.
fn measure_loads(
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
