//! Command-line arguments of `ae-bench`, and the plan they resolve to.

use std::path::PathBuf;

use ae_bench::{Backend, DenormalMode, ModelFiles};
use anyhow::{bail, Result};
use clap::Parser;

/// Measure every runtime on the same models and MNIST test images.
///
/// For each model, graph (whole, encoder), runtime, thread count and subnormal mode: batch-1
/// latency (runtimes interleaved call by call), batch throughput, load time and peak memory,
/// and the reconstruction error over the test images. Prints a Markdown table on stdout.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// Folder with the exported models NAME.onnx and NAME.encoder.onnx.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Models to read from --models, comma-separated. Pass an empty value to use --model only.
    #[arg(long, default_value = "linear,conv", value_delimiter = ',')]
    pub names: Vec<String>,
    /// Extra model as NAME=WHOLE.onnx or NAME=WHOLE.onnx,ENCODER.onnx; repeatable.
    #[arg(long = "model", value_name = "NAME=PATH")]
    pub extra_models: Vec<String>,
    /// MNIST folder with the test images (and the training images that calibrate int8).
    #[arg(long, default_value = "data/mnist")]
    pub data: PathBuf,
    /// Runtimes to measure, comma-separated; unavailable ones are skipped with the reason.
    #[arg(
        long,
        default_value = "tract,ort,ort-cuda,candle,candle-onnx,native-f32,native-int8",
        value_delimiter = ','
    )]
    pub runtimes: Vec<String>,
    /// CPU thread counts, comma-separated [default: 1 and the number of logical CPUs].
    #[arg(long, value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Subnormal modes, comma-separated: flush (FTZ and DAZ) and keep (IEEE 754). The first
    /// one is used for load times and the grid [default: flush,keep].
    #[arg(long, value_delimiter = ',')]
    pub denormals: Option<Vec<String>>,
    /// Timed batch-1 calls per target [default: 2000, --quick 100].
    #[arg(long)]
    pub calls: Option<usize>,
    /// Untimed batch-1 calls per target before the timed ones [default: 200, --quick 10].
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Timed batch-1 calls per visit of a runtime. Each visit starts with one more call,
    /// reported as cold latency, because other runtimes ran before it.
    #[arg(long, default_value_t = 10)]
    pub block: usize,
    /// Batch size of the throughput calls and of the error pass.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Timed calls per target at --batch [default: 50, --quick 3].
    #[arg(long)]
    pub batch_calls: Option<usize>,
    /// Test images that the error figures cover, from the first [default: all].
    #[arg(long)]
    pub images: Option<usize>,
    /// Test images run to count subnormal intermediate values [default: 1000, --quick 100].
    #[arg(long)]
    pub activation_images: Option<usize>,
    /// Child processes per target that measure load time and peak memory. 0 skips the
    /// measurement [default: 3, --quick 1].
    #[arg(long)]
    pub load_repeats: Option<usize>,
    /// Training images that calibrate the native int8 encoder.
    #[arg(long, default_value_t = 1000)]
    pub calibration_images: usize,
    /// Test images per row of the reconstruction grid.
    #[arg(long, default_value_t = 10)]
    pub grid_images: usize,
    /// Fewer calls everywhere, for tests and smoke runs: the figures are noisier.
    #[arg(long)]
    pub quick: bool,
    /// Write every raw figure as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the latency distributions as a PNG plot to this file.
    #[arg(long, value_name = "PATH.png")]
    pub plot: Option<PathBuf>,
    /// Write a PNG grid of test images and each runtime's reconstructions to this file.
    #[arg(long, value_name = "PATH.png")]
    pub grid: Option<PathBuf>,
    /// TrueType font for the plot's text [default: DejaVu Sans or another system font].
    #[arg(long, value_name = "PATH")]
    pub font: Option<PathBuf>,
    /// ONNX Runtime's shared library (else ORT_DYLIB_PATH, else the project's .cache/onnxruntime).
    #[arg(long, value_name = "PATH")]
    pub ort_lib: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Internal: measure the load of one graph in this process and print JSON.
    #[arg(long, num_args = 2, value_names = ["RUNTIME", "GRAPH"], hide = true)]
    pub measure_load: Option<Vec<String>>,
    /// Internal: image shape of --measure-load, such as 1x28x28.
    #[arg(long, hide = true)]
    pub image_shape: Option<String>,
}

/// Everything `ae-bench` will measure, with the defaults filled in.
#[derive(Debug, Clone)]
pub struct Plan {
    pub models: Vec<ModelFiles>,
    pub backends: Vec<Backend>,
    pub thread_counts: Vec<usize>,
    pub denormal_modes: Vec<DenormalMode>,
    pub timed_calls: usize,
    pub warmup_calls: usize,
    pub block_calls: usize,
    pub throughput_batch: usize,
    pub throughput_calls: usize,
    pub quality_images: usize,
    pub activation_images: usize,
    pub load_repeats: usize,
    pub grid_images: usize,
}

impl Args {
    /// Checks the arguments and fills in the defaults, which `--quick` lowers.
    pub fn resolve(&self) -> Result<Plan> {
        let pick = |value: Option<usize>, full: usize, quick: usize| {
            value.unwrap_or(if self.quick { quick } else { full })
        };

        let mut models = Vec::new();
        for name in self.names.iter().filter(|name| !name.is_empty()) {
            models.push(ModelFiles::in_folder(&self.models, name)?);
        }
        for spec in &self.extra_models {
            models.push(ModelFiles::parse(spec)?);
        }
        if models.is_empty() {
            bail!("no models to measure: give --names or --model");
        }

        let backends = self
            .runtimes
            .iter()
            .map(|name| name.parse::<Backend>())
            .collect::<Result<Vec<_>, _>>()?;
        let denormal_modes = match &self.denormals {
            Some(names) => names
                .iter()
                .map(|name| name.parse::<DenormalMode>())
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![DenormalMode::Flush, DenormalMode::Keep],
        };

        let mut thread_counts = self.threads.clone();
        if thread_counts.is_empty() {
            let cpus = std::thread::available_parallelism().map_or(1, usize::from);
            thread_counts = vec![1, cpus];
        }
        thread_counts.dedup();
        if thread_counts.contains(&0) {
            bail!("--threads must be at least 1");
        }
        if !thread_counts.contains(&1) {
            bail!("--threads must include 1, where the error figures and load times are measured");
        }

        let plan = Plan {
            models,
            backends,
            thread_counts,
            denormal_modes,
            timed_calls: pick(self.calls, 2000, 100),
            warmup_calls: pick(self.warmup, 200, 10),
            block_calls: self.block,
            throughput_batch: self.batch,
            throughput_calls: pick(self.batch_calls, 50, 3),
            quality_images: self.images.unwrap_or(usize::MAX),
            activation_images: pick(self.activation_images, 1000, 100),
            load_repeats: pick(self.load_repeats, 3, 1),
            grid_images: self.grid_images,
        };
        let counts = [
            plan.timed_calls,
            plan.block_calls,
            plan.throughput_calls,
            plan.throughput_batch,
        ];
        if counts.contains(&0) {
            bail!("--calls, --block, --batch-calls and --batch must be at least 1");
        }
        if plan.quality_images == 0 {
            bail!("--images must be at least 1");
        }
        if plan.denormal_modes.is_empty() || plan.backends.is_empty() {
            bail!("--denormals and --runtimes need at least one value each");
        }
        Ok(plan)
    }
}

/// Parses `1x28x28` into `[1, 28, 28]`.
pub fn parse_shape(text: &str) -> Result<Vec<usize>> {
    text.split('x')
        .map(|size| {
            size.parse().map_err(|_| {
                anyhow::anyhow!(
                    "invalid --image-shape `{text}`: `{size}` is not a size, expected a form \
                     like 1x28x28"
                )
            })
        })
        .collect()
}
