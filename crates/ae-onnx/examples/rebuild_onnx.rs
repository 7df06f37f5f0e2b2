//! Re-exports a chain-shaped ONNX model, such as a PyTorch export of the project's autoencoders,
//! through `spec_from_model` and `build_model`, so that its output can be checked against the
//! original's recorded output.
//!
//! ```text
//! cargo run --release -p ae-onnx --example rebuild_onnx -- \
//!     MODEL.onnx OUT_DIR --input IN.npy --expected OUT.npy \
//!     [--flatten-input C,H,W] [--unflatten-output C,H,W] [--add-output NAME=LAYER]
//! ```
//!
//! Writes `OUT_DIR/model.onnx`, `OUT_DIR/input.npy` and `OUT_DIR/expected.npy`. With
//! `--flatten-input`, the rebuilt graph takes images (N, C, H, W) through a Flatten layer, and
//! with `--unflatten-output` it returns images through an Unflatten layer. The arrays are
//! reshaped to match, which exercises those two layers on models that PyTorch exported with
//! flat (N, C*H*W) inputs and outputs. `--add-output` adds a graph output after the layer with
//! that index, counted after any Flatten was inserted. Then run
//! `tests/python/check_onnx.py OUT_DIR/model.onnx --input OUT_DIR/input.npy --expected
//! OUT_DIR/expected.npy`.

use std::error::Error;
use std::path::PathBuf;

use ae_data::{read_npy_f32, write_npy_f32};
use ae_onnx::{
    build_model, read_model, spec_from_model, write_model, Layer, NamedLayer, OutputSpec,
};

struct Args {
    model: PathBuf,
    out_dir: PathBuf,
    input: PathBuf,
    expected: PathBuf,
    flatten_input: Option<Vec<usize>>,
    unflatten_output: Option<Vec<usize>>,
    extra_outputs: Vec<OutputSpec>,
}

const USAGE: &str = "usage: rebuild_onnx MODEL.onnx OUT_DIR --input IN.npy --expected OUT.npy \
                     [--flatten-input C,H,W] [--unflatten-output C,H,W] [--add-output NAME=LAYER]";

fn parse_dims(option: &str, text: &str) -> Result<Vec<usize>, String> {
    let dims: Result<Vec<usize>, _> = text.split(',').map(str::parse).collect();
    dims.map_err(|_| format!("invalid {option} {text}, expected sizes such as 1,28,28"))
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let (mut input, mut expected) = (None, None);
    let (mut flatten_input, mut unflatten_output) = (None, None);
    let mut extra_outputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value. {USAGE}"));
        match arg.as_str() {
            "--input" => input = Some(PathBuf::from(value()?)),
            "--expected" => expected = Some(PathBuf::from(value()?)),
            "--flatten-input" => flatten_input = Some(parse_dims(&arg, &value()?)?),
            "--unflatten-output" => unflatten_output = Some(parse_dims(&arg, &value()?)?),
            "--add-output" => {
                let text = value()?;
                let parsed = text.split_once('=').and_then(|(name, layer)| {
                    let after_layer = layer.parse().ok()?;
                    Some(OutputSpec {
                        name: name.to_string(),
                        after_layer,
                    })
                });
                extra_outputs.push(parsed.ok_or(format!("invalid --add-output {text}. {USAGE}"))?);
            }
            _ => positional.push(PathBuf::from(arg)),
        }
    }
    let [model, out_dir] = <[PathBuf; 2]>::try_from(positional).map_err(|_| USAGE.to_string())?;
    Ok(Args {
        model,
        out_dir,
        input: input.ok_or(USAGE)?,
        expected: expected.ok_or(USAGE)?,
        flatten_input,
        unflatten_output,
        extra_outputs,
    })
}

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let original = read_model(&args.model)?;
    let mut spec = spec_from_model(&original)?;
    spec.producer_name = "ae-onnx rebuild_onnx example".to_string();
    spec.producer_version = env!("CARGO_PKG_VERSION").to_string();

    let (mut input_shape, input) = read_npy_f32(&args.input)?;
    let (mut expected_shape, expected) = read_npy_f32(&args.expected)?;
    if let Some(image) = &args.flatten_input {
        // Flatten goes first, which shifts every layer and output by one.
        spec.input.dims = image.clone();
        spec.layers.insert(
            0,
            NamedLayer {
                name: "flatten".to_string(),
                layer: Layer::Flatten,
            },
        );
        for output in &mut spec.outputs {
            output.after_layer += 1;
        }
        input_shape = [&input_shape[..1], image.as_slice()].concat();
    }
    if let Some(image) = &args.unflatten_output {
        // Outputs of the old last layer move to Unflatten, which goes last.
        let old_last = spec.layers.len() - 1;
        let unflatten = Layer::Unflatten {
            dims: image.clone(),
        };
        spec.layers.push(NamedLayer {
            name: "unflatten".to_string(),
            layer: unflatten,
        });
        for output in spec
            .outputs
            .iter_mut()
            .filter(|output| output.after_layer == old_last)
        {
            output.after_layer = old_last + 1;
        }
        expected_shape = [&expected_shape[..1], image.as_slice()].concat();
    }
    spec.outputs.extend(args.extra_outputs);

    let model = build_model(&spec)?;
    std::fs::create_dir_all(&args.out_dir)?;
    write_model(&args.out_dir.join("model.onnx"), &model)?;
    write_npy_f32(&args.out_dir.join("input.npy"), &input_shape, &input)?;
    write_npy_f32(
        &args.out_dir.join("expected.npy"),
        &expected_shape,
        &expected,
    )?;
    eprintln!(
        "wrote {} with {} layers",
        args.out_dir.join("model.onnx").display(),
        spec.layers.len()
    );
    Ok(())
}
