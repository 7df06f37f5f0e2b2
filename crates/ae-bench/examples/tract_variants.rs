//! Times batch-1 calls of one ONNX graph under the ways of preparing it with tract, to show
//! which step makes tract fast: a fixed batch, `into_optimized`, and a run state kept between
//! calls. The variants take turns in blocks of calls, so that the machine's drift hits them
//! alike, and calls within a block run back to back.
//!
//! ```text
//! cargo run --release -p ae-bench --example tract_variants -- GRAPH.onnx [CALLS]
//! ```
//!
//! Prints the median and 90th percentile of each variant in µs.

use std::path::Path;
use std::time::Instant;

use ae_bench::stats::summarize;
use ae_runtime::{LoadOptions, RuntimeKind, Tensor};
use anyhow::{bail, Context, Result};
use tract_onnx::prelude::{
    tvec, DatumExt, Framework, InferenceFact, InferenceModelExt, IntoRunnable, IntoTValue,
    Tensor as TractTensor, TractError, TractResult, TypedModel, TypedRunnableModel,
    TypedSimpleState,
};

/// Untimed calls of each variant before the timed ones.
const WARMUP_CALLS: usize = 200;

/// Timed calls per turn of a variant.
const BLOCK_CALLS: usize = 20;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        bail!("usage: tract_variants GRAPH.onnx [CALLS]");
    };
    let calls: usize = match args.get(1) {
        Some(text) => text.parse().context("CALLS must be a number")?,
        None => 5000,
    };
    let path = Path::new(path);

    let shape = input_shape(path)?;
    let data: Vec<f32> = (0..shape.iter().product::<usize>())
        .map(|index| (index % 255) as f32 / 255.0)
        .collect();
    let input = TractTensor::from_shape(&shape, &data)?;
    let tensor = Tensor::new(shape.clone(), data.clone())?;

    let optimized_fixed = prepare(path, Some(&shape), Preparation::Optimized)?;
    let optimized_symbolic = prepare(path, None, Preparation::Optimized)?;
    let decluttered_fixed = prepare(path, Some(&shape), Preparation::Decluttered)?;
    let mut fixed_state = TypedSimpleState::new(&optimized_fixed)?;
    let mut symbolic_state = TypedSimpleState::new(&optimized_symbolic)?;
    let options = LoadOptions {
        batch: Some(1),
        flush_denormals: false,
        ..LoadOptions::default()
    };
    let mut runtime = ae_runtime::load(RuntimeKind::Tract, path, &options)?;

    let mut variants: Vec<(&str, Call<'_>)> = vec![
        (
            "decluttered only, fixed batch, plan.run",
            Box::new(|| {
                decluttered_fixed
                    .run(tvec![input.clone().into_tvalue()])
                    .map(drop)
            }),
        ),
        (
            "optimized, symbolic batch, plan.run",
            Box::new(|| {
                optimized_symbolic
                    .run(tvec![input.clone().into_tvalue()])
                    .map(drop)
            }),
        ),
        (
            "optimized, symbolic batch, state kept",
            Box::new(|| {
                symbolic_state
                    .run(tvec![input.clone().into_tvalue()])
                    .map(drop)
            }),
        ),
        (
            "optimized, fixed batch, plan.run",
            Box::new(|| {
                optimized_fixed
                    .run(tvec![input.clone().into_tvalue()])
                    .map(drop)
            }),
        ),
        (
            "optimized, fixed batch, state kept",
            Box::new(|| {
                fixed_state
                    .run(tvec![input.clone().into_tvalue()])
                    .map(drop)
            }),
        ),
        (
            "ae-runtime TractRuntime (batch 1)",
            Box::new(|| runtime.run(&tensor).map(drop).map_err(TractError::from)),
        ),
    ];

    let samples = time_in_blocks(&mut variants, calls)?;
    for ((name, _), samples) in variants.iter().zip(&samples) {
        let summary = summarize(samples).context("no samples")?;
        println!(
            "{name:<42} p50 {:>8.1} µs  p90 {:>8.1} µs  ({} calls)",
            summary.p50_us,
            summary.p90_us,
            samples.len()
        );
    }
    Ok(())
}

/// One call of a variant.
type Call<'a> = Box<dyn FnMut() -> TractResult<()> + 'a>;

/// Times `calls` calls of every variant, taking turns in blocks of [`BLOCK_CALLS`] calls
/// after one untimed call, so that the machine's drift hits every variant alike.
fn time_in_blocks(variants: &mut [(&str, Call<'_>)], calls: usize) -> TractResult<Vec<Vec<u64>>> {
    for (_, call) in variants.iter_mut() {
        for _ in 0..WARMUP_CALLS {
            call()?;
        }
    }
    let mut samples = vec![Vec::with_capacity(calls); variants.len()];
    for _ in 0..calls.div_ceil(BLOCK_CALLS) {
        for ((_, call), samples) in variants.iter_mut().zip(samples.iter_mut()) {
            call()?;
            for _ in 0..BLOCK_CALLS {
                let started = Instant::now();
                call()?;
                samples.push(started.elapsed().as_nanos() as u64);
            }
        }
    }
    Ok(samples)
}

#[derive(Clone, Copy)]
enum Preparation {
    Optimized,
    Decluttered,
}

/// Returns the graph's input shape with a batch of 1.
fn input_shape(path: &Path) -> Result<Vec<usize>> {
    let options = LoadOptions {
        flush_denormals: false,
        ..LoadOptions::default()
    };
    let runtime = ae_runtime::load(RuntimeKind::Tract, path, &options)?;
    let mut shape = vec![1];
    for dim in &runtime.inputs()[0].dims[1..] {
        match dim {
            ae_runtime::Dim::Fixed(size) => shape.push(*size),
            ae_runtime::Dim::Symbolic(name) => bail!("input dimension `{name}` is symbolic"),
        }
    }
    Ok(shape)
}

fn prepare(
    path: &Path,
    fixed_shape: Option<&[usize]>,
    preparation: Preparation,
) -> TractResult<std::sync::Arc<TypedRunnableModel>> {
    let mut model = tract_onnx::onnx().model_for_path(path)?;
    if let Some(shape) = fixed_shape {
        model = model.with_input_fact(0, InferenceFact::from(f32::fact(shape)))?;
    }
    let typed: TypedModel = match preparation {
        Preparation::Optimized => model.into_optimized()?,
        Preparation::Decluttered => model.into_typed()?.into_decluttered()?,
    };
    typed.into_runnable()
}
