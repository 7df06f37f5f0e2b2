//! `ae-infer`: encodes and reconstructs images with an exported autoencoder.

mod report;

use std::path::{Path, PathBuf};

use ae_data::{load_digit, save_grey_png, Invert};
use ae_runtime::{Device, Dim, LoadOptions, Runtime, RuntimeKind, Tensor};
use anyhow::{bail, Result};
use clap::Parser;

use crate::report::{ImageResult, Report};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Side length of the images the models take.
const SIDE: u32 = 28;
const PIXELS: usize = (SIDE * SIDE) as usize;

/// Reconstruct images with an exported autoencoder, or print their latent codes.
///
/// Each image is read (PNG, JPEG or BMP, any size or colour type), turned into a
/// 28x28 grey image in [0, 1] with a light digit on black, and all images run
/// as one batch.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// PNG, JPEG or BMP images; several run as one batch.
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<PathBuf>,
    /// ONNX model: a whole autoencoder (writes reconstructions) or an encoder (prints latent codes); with --runtime candle also an ae-train .safetensors checkpoint.
    #[arg(long, default_value = "models/conv.onnx")]
    model: PathBuf,
    /// Inference runtime.
    #[arg(long, default_value = "tract", value_parser = ["tract", "ort", "candle", "candle-onnx", "native"])]
    runtime: String,
    /// Device: cpu, or cuda / cuda:N (ONNX Runtime's CUDA provider, or candle built with CUDA).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// ONNX Runtime's shared library (else ORT_DYLIB_PATH, else the project's .cache/onnxruntime).
    #[arg(long, value_name = "PATH")]
    ort_lib: Option<PathBuf>,
    /// Threads the runtime may use (default: the runtime's own choice).
    #[arg(long)]
    threads: Option<usize>,
    /// Invert the image: auto inverts a light background, as MNIST digits are light on black.
    #[arg(long, default_value = "auto", value_parser = ["auto", "yes", "no"])]
    invert: String,
    /// Reconstruction PNG, for a single image (default: IMAGE.recon.png beside each image).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Print the results as JSON on stdout.
    #[arg(long)]
    json: bool,
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
    if args.out.is_some() && args.images.len() > 1 {
        bail!("--out names one file, but {} images were given; leave --out out to write IMAGE.recon.png beside each", args.images.len());
    }
    let invert: Invert = args.invert.parse()?;
    let kind: RuntimeKind = args.runtime.parse()?;
    let device = parse_device(&args.device)?;

    let digits = args
        .images
        .iter()
        .map(|path| load_digit(path, invert))
        .collect::<Result<Vec<_>, _>>()?;
    let batch = digits.len();
    let out_paths: Vec<PathBuf> =
        args.images.iter().map(|path| args.out.clone().unwrap_or_else(|| recon_path(path))).collect();
    check_output_paths(&args.images, &out_paths)?;

    let options = LoadOptions {
        batch: Some(batch),
        threads: args.threads,
        device,
        ort_library: args.ort_lib.clone(),
        ..LoadOptions::default()
    };
    let mut runtime = ae_runtime::load(kind, &args.model, &options)?;
    let input = image_batch(runtime.as_ref(), &args.model, &digits)?;
    let outputs = runtime.run(&input)?;
    let (reconstruction, latent) = split_outputs(runtime.as_ref(), &args.model, &outputs, batch)?;
    if reconstruction.is_none() && args.out.is_some() {
        bail!("{}: the model outputs no reconstruction (an encoder), so --out has nothing to write; leave it out", args.model.display());
    }

    let mut results = Vec::with_capacity(batch);
    for (index, (path, digit)) in args.images.iter().zip(&digits).enumerate() {
        let latent = latent.map(|latent| per_image(latent, batch, index).to_vec());
        let mut result = ImageResult::new(path, digit.inverted, latent);
        if let Some(reconstruction) = reconstruction {
            let pixels = per_image(reconstruction, batch, index);
            let out = out_paths[index].clone();
            save_grey_png(&out, pixels, SIDE, SIDE)?;
            result.set_reconstruction(out, &digit.pixels, pixels);
        }
        results.push(result);
    }

    let report = Report {
        model: args.model.clone(),
        runtime: kind.to_string(),
        runtime_version: runtime.version(),
        device: runtime.device(),
        images: results,
    };
    if args.json {
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        write_stdout(&report.to_text())?;
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

/// Rejects output paths that would overwrite an input image or each other.
fn check_output_paths(images: &[PathBuf], outputs: &[PathBuf]) -> Result<()> {
    for (index, output) in outputs.iter().enumerate() {
        if images.contains(output) {
            bail!("{}: the reconstruction would overwrite an input image; choose another --out", output.display());
        }
        if outputs[..index].contains(output) {
            bail!(
                "{}: two input images would write the same reconstruction; rename one of them or run them separately",
                output.display()
            );
        }
    }
    Ok(())
}

fn parse_device(text: &str) -> Result<Device> {
    match text {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Ok(Device::Cuda(0)),
        _ => match text.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(index)) => Ok(Device::Cuda(index)),
            _ => bail!("--device {text:?} is not a device; use cpu, cuda or cuda:N"),
        },
    }
}

/// Builds the input batch in the shape of the graph's input: (N, 1, 28, 28)
/// for this project's models, (N, 784) for a dense model exported from PyTorch.
fn image_batch(runtime: &dyn Runtime, model: &Path, digits: &[ae_data::Digit]) -> Result<Tensor> {
    let input = &runtime.inputs()[0];
    let sample_dims: Vec<usize> = input.dims[1..]
        .iter()
        .map(|dim| match dim {
            Dim::Fixed(size) => Ok(*size),
            Dim::Symbolic(name) => bail!("{}: input {} has a symbolic dimension {name} after the batch; ae-infer needs fixed image dimensions", model.display(), input.name),
        })
        .collect::<Result<_>>()?;
    if sample_dims.iter().product::<usize>() != PIXELS {
        bail!(
            "{}: input {} has shape {} per sample, not a 28x28 image; ae-infer takes a whole autoencoder or an encoder",
            model.display(),
            input.name,
            format_dims(&sample_dims)
        );
    }
    let mut shape = vec![digits.len()];
    shape.extend(&sample_dims);
    let data = digits
        .iter()
        .flat_map(|digit| digit.pixels.iter().copied())
        .collect();
    Ok(Tensor { shape, data })
}

/// Finds the reconstruction (784 values per image) and the latent code among the outputs.
fn split_outputs<'a>(
    runtime: &dyn Runtime,
    model: &Path,
    outputs: &'a [Tensor],
    batch: usize,
) -> Result<(Option<&'a Tensor>, Option<&'a Tensor>)> {
    let mut reconstruction = None;
    let mut latent = None;
    for (info, output) in runtime.outputs().iter().zip(outputs) {
        if output.shape.first() != Some(&batch) {
            bail!(
                "{}: output {} has shape {:?}, expected a batch of {batch} first",
                model.display(),
                info.name,
                output.shape
            );
        }
        let per_sample = output.data.len() / batch;
        if per_sample == PIXELS && reconstruction.is_none() {
            reconstruction = Some(output);
        } else if latent.is_none() {
            latent = Some(output);
        }
    }
    if reconstruction.is_none() && latent.is_none() {
        bail!("{}: the graph has no outputs", model.display());
    }
    Ok((reconstruction, latent))
}

fn per_image(tensor: &Tensor, batch: usize, index: usize) -> &[f32] {
    let len = tensor.data.len() / batch;
    &tensor.data[index * len..(index + 1) * len]
}

/// `digit.png` gives `digit.recon.png`, beside the input.
fn recon_path(image: &Path) -> PathBuf {
    let stem = image.file_stem().unwrap_or_default().to_string_lossy();
    image.with_file_name(format!("{stem}.recon.png"))
}

fn format_dims(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(usize::to_string).collect();
    format!("[{}]", parts.join(", "))
}
