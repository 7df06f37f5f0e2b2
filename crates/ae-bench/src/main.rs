//! `ae-bench`: latency, throughput, load cost and reconstruction error of every runtime on the
//! same models and MNIST test images, as a Markdown table, JSON, a plot and an image grid.

mod cli;
mod progress;

use std::path::Path;

use ae_bench::bench::{run_bench, BenchConfig};
use ae_bench::engine::{EngineConfig, LoadSettings};
use ae_bench::load::measure_load;
use ae_bench::measure::TestImages;
use ae_bench::report::{Report, Settings};
use ae_bench::subnormal::{count_activations, count_weights};
use ae_bench::system::SystemInfo;
use ae_bench::{grid, plot, table, Backend, DenormalMode, GraphKind};
use anyhow::{bail, Context, Result};
use clap::Parser;

use crate::cli::Args;
use crate::progress::ProgressObserver;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Batch size of the run that counts subnormal intermediate values.
const ACTIVATION_BATCH: usize = 100;

fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let result = match &args.measure_load {
        Some(request) => run_child(&args, request),
        None => run(&args),
    };
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<()> {
    let plan = args.resolve()?;
    let dataset = ae_data::load_dataset(&args.data)?;
    let image_len = dataset.test.image_len();
    let pixels = dataset.test.to_f32();
    let quality_len = plan.quality_images.min(dataset.test.count) * image_len;
    let images = TestImages {
        pixels: &pixels[..quality_len],
        image_len,
    };

    let mut weights = Vec::new();
    let mut activations = Vec::new();
    for model in &plan.models {
        for (kind, path) in model.graphs() {
            weights.push(count_weights(path)?);
            if kind == GraphKind::Whole && plan.activation_images > 0 {
                let count = plan.activation_images.min(dataset.test.count);
                let subset = &pixels[..count * image_len];
                let batch = ACTIVATION_BATCH.min(count);
                let counted =
                    count_activations(path, subset, image_len, batch).with_context(|| {
                        format!("counting subnormal activations of {}", path.display())
                    })?;
                activations.push(counted);
            }
        }
    }

    let exe = std::env::current_exe().context("failed to find this executable's path")?;
    let config = BenchConfig {
        models: plan.models.clone(),
        backends: plan.backends.clone(),
        thread_counts: plan.thread_counts.clone(),
        denormal_modes: plan.denormal_modes.clone(),
        warmup_calls: plan.warmup_calls,
        timed_calls: plan.timed_calls,
        block_calls: plan.block_calls,
        throughput_batch: plan.throughput_batch,
        throughput_calls: plan.throughput_calls,
        quality_batch: plan.throughput_batch,
        grid_images: plan.grid_images,
        load_children: (plan.load_repeats > 0).then_some((exe, plan.load_repeats)),
        settings: load_settings(args),
    };
    let mut observer = ProgressObserver::new(args.no_progress);
    let outcome = run_bench(&config, images, &mut observer)?;
    observer.finish();

    let mut report = Report {
        tool: format!("ae-bench {}", env!("CARGO_PKG_VERSION")),
        command: std::env::args().collect(),
        system: SystemInfo::detect(),
        settings: Settings {
            warmup_calls: plan.warmup_calls,
            timed_calls: plan.timed_calls,
            block_calls: plan.block_calls,
            throughput_batch: plan.throughput_batch,
            throughput_calls: plan.throughput_calls,
            quality_images: images.count(),
            activation_images: activations.first().map_or(0, |count| count.images),
            thread_counts: plan.thread_counts.clone(),
            denormal_modes: plan.denormal_modes.clone(),
            load_repeats: plan.load_repeats,
            calibration_images: args.calibration_images,
            allocator: "mimalloc".into(),
            debug_assertions: cfg!(debug_assertions),
        },
        backends: outcome.backends,
        reference: outcome.reference,
        targets: outcome.targets,
        weights,
        activations,
        grid_rows: Vec::new(),
    };

    if let Some(path) = &args.grid {
        report.grid_rows = grid::write_grid(path, &outcome.grid, plan.grid_images)?;
    }
    if let Some(path) = &args.plot {
        plot::write_latency_plot(&report, path, args.font.as_deref())?;
    }
    if let Some(path) = &args.json {
        report.write_json(path)?;
    }
    print!("{}", table::render_markdown(&report));
    Ok(())
}

fn load_settings(args: &Args) -> LoadSettings {
    LoadSettings {
        ort_library: args.ort_lib.clone(),
        mnist_dir: args.data.clone(),
        calibration_images: args.calibration_images,
    }
}

/// Child side of a load measurement: loads one graph, runs the first test image, and prints
/// the figures as JSON on stdout.
fn run_child(args: &Args, request: &[String]) -> Result<()> {
    let [backend, path] = request else {
        bail!("--measure-load takes a runtime and a graph path");
    };
    let backend: Backend = backend.parse()?;
    let mode: DenormalMode = match args.denormals.as_deref() {
        Some([text]) => text.parse()?,
        Some(_) => bail!("--measure-load takes one --denormals mode"),
        None => DenormalMode::Flush,
    };
    let path = Path::new(path);

    let dataset = ae_data::load_dataset(&args.data)?;
    let image_len = dataset.test.image_len();
    let pixels: Vec<f32> = dataset
        .test
        .image(0)
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    let images = TestImages {
        pixels: &pixels,
        image_len,
    };
    let config = EngineConfig {
        backend,
        mode,
        threads: 1,
    };
    let Some(shape) = args.image_shape.as_deref() else {
        bail!("--measure-load needs --image-shape");
    };
    let input = images.batch(0, 1, &cli::parse_shape(shape)?)?;
    drop(dataset);

    let measurement = measure_load(config, path, &input, &load_settings(args))?;
    println!("{}", serde_json::to_string(&measurement)?);
    Ok(())
}
