//! A whole benchmark run: which targets to measure, in which order, on which threads.
//!
//! Targets are grouped by model, graph and thread count. Each group runs entirely on a new
//! rayon pool of that many threads, so candle's parallel kernels use exactly that many threads
//! and the other runtimes run on the pool's thread. Within a group the targets take turns in
//! short blocks of calls (see [`crate::measure::time_interleaved`]), so that drift of the
//! machine's speed affects all of them alike.
//!
//! At one thread a group interleaves both subnormal modes. Above one thread each mode gets its
//! own group and pool, because a flushing candle run leaves FTZ and DAZ set on the pool's
//! threads (see `ae_runtime::denormal`), which would turn the keep runs into flushing ones.

use std::path::{Path, PathBuf};

use ae_runtime::Tensor;

use crate::backend::{Backend, DenormalMode};
use crate::engine::{Engine, EngineConfig, LoadSettings};
use crate::load::measure_loads;
use crate::measure::{measure_quality, time_interleaved, QualityPass, TestImages, Timing};
use crate::models::{GraphKind, ModelFiles};
use crate::plan::{
    backend_statuses, choose_reference, group_steps, groups, latency_schedule, plan_group,
    throughput_schedule, total_steps,
};
use crate::report::{BackendStatus, ReferenceTarget, TargetResult, Throughput};
use crate::stats::{images_per_second, summarize};
use crate::{Error, Result};

/// Number of distinct test images that the batch-1 calls cycle through.
const LATENCY_INPUTS: usize = 100;

/// Number of distinct batches that the throughput calls cycle through.
const THROUGHPUT_INPUTS: usize = 4;

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
    let mut step = || {
        observer.advance(1);
        steps_done += 1;
    };

    let mut targets = Vec::new();
    let (mut engines, image_shape) = load_engines(config, graph, engine_configs, &mut targets);
    let mut failures: Vec<Option<String>> = vec![None; engines.len()];
    let inputs = batch_inputs(config, images, &image_shape);
    if let (Err(error), false) = (&inputs, engines.is_empty()) {
        let message = error.to_string();
        failures.fill(Some(message));
    }

    let mut latency = Timing::empty(engines.len());
    let mut throughput = Timing::empty(engines.len());
    let mut quality = vec![None; engines.len()];
    if let (Ok((single_inputs, batched_inputs)), false) = (&inputs, engines.is_empty()) {
        let schedule = latency_schedule(config);
        latency = time_interleaved(
            &mut engines,
            single_inputs,
            schedule,
            &mut failures,
            &mut step,
        );
        let schedule = throughput_schedule(config);
        throughput = time_interleaved(
            &mut engines,
            batched_inputs,
            schedule,
            &mut failures,
            &mut step,
        );
        if threads == 1 {
            let reference_index = reference.and_then(|reference| {
                engines.iter().position(|engine| {
                    engine.config().backend == reference.backend
                        && engine.config().mode == reference.denormals
                })
            });
            let pass = QualityPass {
                images,
                image_shape: &image_shape,
                kind: graph.kind,
                batch: config.quality_batch,
                grid_images: config.grid_images,
            };
            quality = measure_quality(
                &mut engines,
                reference_index,
                pass,
                &mut failures,
                &mut step,
            );
        }
    }
    observer.advance(planned_steps.saturating_sub(steps_done));

    let mut grid = Vec::new();
    for (index, engine) in engines.iter().enumerate() {
        let mut target = empty_target(graph, engine.config(), failures[index].take());
        target.image_shape = image_shape.clone();
        target.version = engine.version().to_string();
        target.device = engine.device().to_string();
        target.latency = summarize(&latency.warm[index]);
        target.latency_samples_ns = std::mem::take(&mut latency.warm[index]);
        target.cold_latency = summarize(&latency.cold[index]);
        target.cold_samples_ns = std::mem::take(&mut latency.cold[index]);
        let batch_samples = std::mem::take(&mut throughput.warm[index]);
        if !batch_samples.is_empty() {
            target.throughput = Some(Throughput {
                batch: config.throughput_batch,
                images_per_second: images_per_second(config.throughput_batch, &batch_samples),
                samples_ns: batch_samples,
            });
        }
        if let Some(outcome) = quality[index].take() {
            target.quality = Some(outcome.quality);
            let first_mode = config.denormal_modes.first() == Some(&engine.config().mode);
            if graph.kind == GraphKind::Whole && first_mode && !outcome.grid.is_empty() {
                let label = format!("{} ({})", engine.config().backend, graph.model);
                grid.push((label, outcome.grid));
            }
        }
        targets.push(target);
    }
    GroupOutcome { targets, grid }
}

/// Loads every engine of a group and reads the image shape of the graph. An engine that fails
/// to load becomes a target with its error in `failed`.
fn load_engines(
    config: &BenchConfig,
    graph: &GraphRun<'_>,
    engine_configs: &[EngineConfig],
    failed: &mut Vec<TargetResult>,
) -> (Vec<Engine>, Vec<usize>) {
    let mut engines = Vec::new();
    for &engine_config in engine_configs {
        match Engine::load(engine_config, graph.path, Some(1), &config.settings) {
            Ok(engine) => engines.push(engine),
            Err(error) => {
                tracing::warn!(
                    backend = %engine_config.backend,
                    path = %graph.path.display(),
                    %error,
                    "load failed"
                );
                failed.push(empty_target(graph, engine_config, Some(error.to_string())));
            }
        }
    }

    match engines.first().map(|engine| engine.image_shape(graph.path)) {
        Some(Ok(shape)) => (engines, shape),
        Some(Err(error)) => {
            for engine in &engines {
                failed.push(empty_target(
                    graph,
                    engine.config(),
                    Some(error.to_string()),
                ));
            }
            (Vec::new(), Vec::new())
        }
        None => (engines, Vec::new()),
    }
}

/// Batch-1 inputs for the latency calls and batches for the throughput calls.
fn batch_inputs(
    config: &BenchConfig,
    images: TestImages<'_>,
    image_shape: &[usize],
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    let single = (0..LATENCY_INPUTS.min(images.count()))
        .map(|index| images.batch(index, 1, image_shape))
        .collect::<Result<Vec<_>>>()?;
    let batch = config.throughput_batch;
    let batched = (0..THROUGHPUT_INPUTS)
        .map(|index| images.batch(index * batch, batch, image_shape))
        .collect::<Result<Vec<_>>>()?;
    Ok((single, batched))
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

/// Pixels of the first grid images, the row of originals above each model's reconstructions.
fn original_tiles(config: &BenchConfig, images: TestImages<'_>) -> Vec<f32> {
    let count = config.grid_images.min(images.count());
    images.pixels[..count * images.image_len].to_vec()
}
