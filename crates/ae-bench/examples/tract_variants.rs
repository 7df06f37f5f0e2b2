//! Times batch-1 calls of one ONNX graph under the ways of preparing it with tract, to show
//! which step makes tract fast: a fixed batch, `into_optimized`, and a run state kept between
//! calls. Calls run back to back, one variant after the other.
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
    Tensor as TractTensor, TractResult, TypedModel, TypedRunnableModel, TypedSimpleState,
};

/// Untimed calls before each variant's timed calls.
const WARMUP_CALLS: usize = 200;

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

    let optimized_fixed = prepare(path, Some(&shape), Preparation::Optimized)?;
    let decluttered_fixed = prepare(path, Some(&shape), Preparation::Decluttered)?;
    let optimized_symbolic = prepare(path, None, Preparation::Optimized)?;

    report("optimized, fixed batch, state kept", calls, || {
        let mut state = TypedSimpleState::new(&optimized_fixed)?;
        time_calls(calls, || {
            state.run(tvec![input.clone().into_tvalue()]).map(drop)
        })
    })?;
    report("optimized, fixed batch, plan.run", calls, || {
        time_calls(calls, || {
            optimized_fixed
                .run(tvec![input.clone().into_tvalue()])
                .map(drop)
        })
    })?;
    report("optimized, symbolic batch, plan.run", calls, || {
        time_calls(calls, || {
            optimized_symbolic
                .run(tvec![input.clone().into_tvalue()])
                .map(drop)
        })
    })?;
    report("decluttered only, fixed batch, plan.run", calls, || {
        time_calls(calls, || {
            decluttered_fixed
                .run(tvec![input.clone().into_tvalue()])
                .map(drop)
        })
    })?;

    // The project's own wrapper, which builds the optimized fixed-batch plan.
    let options = LoadOptions {
        batch: Some(1),
        flush_denormals: false,
        ..LoadOptions::default()
    };
    let mut runtime = ae_runtime::load(RuntimeKind::Tract, path, &options)?;
    let tensor = Tensor::new(shape.clone(), data.clone())?;
    report("ae-runtime TractRuntime", calls, || {
        time_calls(calls, || {
            runtime
                .run(&tensor)
                .map(drop)
                .map_err(tract_onnx::prelude::TractError::from)
        })
    })?;
    Ok(())
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

/// Runs `call` for warm-up and then `calls` timed times; returns the durations in ns.
fn time_calls(calls: usize, mut call: impl FnMut() -> TractResult<()>) -> TractResult<Vec<u64>> {
    for _ in 0..WARMUP_CALLS {
        call()?;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        call()?;
        samples.push(started.elapsed().as_nanos() as u64);
    }
    Ok(samples)
}

fn report(name: &str, calls: usize, measure: impl FnOnce() -> TractResult<Vec<u64>>) -> Result<()> {
    let samples = measure().with_context(|| format!("variant `{name}` failed"))?;
    let summary = summarize(&samples).context("no samples")?;
    println!(
        "{name:<42} p50 {:>8.1} µs  p90 {:>8.1} µs  ({calls} calls)",
        summary.p50_us, summary.p90_us
    );
    Ok(())
}
