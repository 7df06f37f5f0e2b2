//! `ae-train`: trains an autoencoder on MNIST-format data and exports it to ONNX.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ae_models::{Autoencoder, GraphPart, ModelKind};
use ae_train::{part_path, 
    export_onnx, save_checkpoint, train, EpochReport, Observer, Provenance, Recipe, StepProgress,
    TrainData,
};
use anyhow::{bail, Context, Result};
use candle_core::Device;
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Train an autoencoder on MNIST-format IDX files and export it to ONNX.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Autoencoder to train.
    #[arg(long, default_value = "conv", value_parser = ["linear", "conv"])]
    model: String,
    /// Passes over the training set.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Images per optimiser step.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// L2 penalty added to the gradient (PyTorch's Adam weight_decay, not AdamW's).
    #[arg(long, default_value_t = 1e-5)]
    weight_decay: f64,
    /// Seed of the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder with train-images-idx3-ubyte, t10k-images-idx3-ubyte and the labels, plain or .gz.
    #[arg(long, default_value = "data/mnist")]
    data: PathBuf,
    /// Train on only the first N training images (the test MSE still uses every test image).
    #[arg(long, value_name = "N")]
    train_limit: Option<usize>,
    /// CPU threads for candle's kernels.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Device to train on.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// Write the whole model to PATH and the encoder and decoder beside it: `conv.onnx` also writes conv.encoder.onnx and conv.decoder.onnx (.onnx is added when PATH lacks it).
    #[arg(long, value_name = "PATH")]
    export: Option<PathBuf>,
    /// Write the trained weights as safetensors to PATH.
    #[arg(long, value_name = "PATH")]
    checkpoint: Option<PathBuf>,
    /// Print a JSON summary on stdout instead of text, and no progress bar.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DeviceArg {
    Cpu,
    Cuda,
}

fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(err) = run(&args) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<()> {
    validate(args)?;
    // candle sizes its CPU thread pool from this variable on first use.
    std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string());
    let device = select_device(args.device)?;
    let kind: ModelKind = args.model.parse()?;
    let recipe = Recipe {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        weight_decay: args.weight_decay,
        seed: args.seed,
    };

    let dataset = ae_data::load_dataset(&args.data)?;
    let [_, rows, cols] = ae_models::IMAGE_DIMS;
    if (dataset.train.rows, dataset.train.cols) != (rows, cols) {
        bail!(
            "{}: the images are {}x{}, but both models take {rows}x{cols}; use a folder of {rows}x{cols} MNIST-format files",
            args.data.display(),
            dataset.train.rows,
            dataset.train.cols
        );
    }
    let data = TrainData::from_dataset(&dataset, args.train_limit, &device)?;
    let model = Autoencoder::new(kind, recipe.seed, &device)?;
    if !args.json {
        eprintln!(
            "training {kind} ({} parameters) on {} images from {} for {} epochs, {} thread(s), {:?}",
            model.parameter_count(),
            data.train.dim(0)?,
            args.data.display(),
            recipe.epochs,
            args.threads,
            args.device,
        );
    }

    let started = Instant::now();
    let mut observer = Progress::new(args.json);
    let reports = train(&model, &data, &recipe, &mut observer)?;
    observer.finish();
    // With --epochs 0 the untrained model is evaluated, so an export still records its MSE.
    let test_mse = match reports.last() {
        Some(report) => report.test_mse,
        None => ae_train::mean_squared_error(&model, &data.test)?,
    };

    if let Some(path) = &args.checkpoint {
        save_checkpoint(&model, path)?;
        if !args.json {
            eprintln!("wrote checkpoint {}", path.display());
        }
    }
    let mut exported = Vec::new();
    if let Some(path) = &args.export {
        let provenance = Provenance {
            recipe: recipe.clone(),
            dataset: dataset_name(&args.data),
            test_mse,
        };
        exported = export_onnx(&model, path, &provenance)?;
        if !args.json {
            for path in &exported {
                eprintln!("wrote {}", path.display());
            }
        }
    }

    if args.json {
        let summary = serde_json::json!({
            "model": kind.name(),
            "dataset": dataset_name(&args.data),
            "train_images": data.train.dim(0)?,
            "epochs": reports,
            "test_mse": test_mse,
            "seconds": started.elapsed().as_secs_f64(),
            "threads": args.threads,
            "checkpoint": args.checkpoint,
            "exported": exported,
        });
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
    } else {
        write_stdout(&format!("final test MSE per pixel: {test_mse:.6}\n"))?;
    }
    Ok(())
}

/// Writes `text` to stdout; a reader that has gone away (a closed pipe) is not an error.
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
}

fn validate(args: &Args) -> Result<()> {
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    if args.threads == 0 {
        bail!("--threads must be at least 1");
    }
    if args.train_limit == Some(0) {
        bail!("--train-limit must be at least 1");
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        bail!("--lr must be a positive number, got {}", args.lr);
    }
    if !(args.weight_decay.is_finite() && args.weight_decay >= 0.0) {
        bail!(
            "--weight-decay must be zero or positive, got {}",
            args.weight_decay
        );
    }
    for path in [&args.export, &args.checkpoint].into_iter().flatten() {
        check_writable_folder(path)?;
    }
    if let (Some(export), Some(checkpoint)) = (&args.export, &args.checkpoint) {
        let exported = GraphPart::ALL.map(|part| part_path(export, part));
        if exported.contains(checkpoint) {
            bail!(
                "--checkpoint {} is also a file that --export writes; give the checkpoint its own name, such as model.safetensors",
                checkpoint.display()
            );
        }
    }
    Ok(())
}

/// Fails early, before any training, when the folder of `path` is missing or read-only.
fn check_writable_folder(path: &Path) -> Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        bail!("{}: folder {} does not exist; create it first", path.display(), folder.display());
    }
    if let Err(err) = tempfile::Builder::new().prefix(".ae-train-probe-").tempfile_in(folder) {
        bail!("{}: cannot write to folder {} ({err}); choose a writable folder", path.display(), folder.display());
    }
    Ok(())
}

fn select_device(device: DeviceArg) -> Result<Device> {
    match device {
        DeviceArg::Cpu => Ok(Device::Cpu),
        DeviceArg::Cuda if cfg!(feature = "cuda") => {
            Device::new_cuda(0).context("could not open CUDA device 0")
        }
        DeviceArg::Cuda => bail!(
            "--device cuda: this ae-train was built without CUDA support; rebuild with `cargo build --release -p ae-train --features cuda`"
        ),
    }
}

fn dataset_name(dir: &Path) -> String {
    dir.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// Draws a progress bar per epoch and prints one line per finished epoch.
struct Progress {
    bar: Option<ProgressBar>,
    hidden: bool,
}

impl Progress {
    fn new(hidden: bool) -> Self {
        Progress { bar: None, hidden }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn step(&mut self, progress: StepProgress) {
        if self.hidden {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(progress.total_images as u64);
            bar.set_style(
                ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        bar.set_prefix(progress.epoch.to_string());
        bar.set_position(progress.images as u64);
        bar.set_message(format!(
            "loss {:.5}, {:.0} img/s",
            progress.running_loss, progress.images_per_second
        ));
    }

    fn epoch(&mut self, report: &EpochReport) {
        if self.hidden {
            return;
        }
        self.finish();
        eprintln!(
            "epoch {:>2}: train loss {:.6}, test MSE {:.6}, {:.1} s ({:.0} img/s)",
            report.epoch,
            report.train_loss,
            report.test_mse,
            report.seconds,
            report.images_per_second
        );
    }
}
