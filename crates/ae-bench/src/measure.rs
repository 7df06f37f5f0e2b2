//! The measurement loops over a set of loaded engines: interleaved timing, and error figures
//! over the test images.

use std::time::Instant;

use ae_runtime::Tensor;

use crate::engine::Engine;
use crate::models::GraphKind;
use crate::quality::{Quality, QualityAccumulator};
use crate::Result;

/// Test images as f32 pixels in [0, 1], back to back.
#[derive(Debug, Clone, Copy)]
pub struct TestImages<'a> {
    /// Pixels of all images.
    pub pixels: &'a [f32],
    /// Pixels per image.
    pub image_len: usize,
}

impl TestImages<'_> {
    /// Number of images.
    pub fn count(&self) -> usize {
        self.pixels.len() / self.image_len
    }

    /// Copies images `start..start + batch` into a tensor of shape `[batch, image_shape...]`.
    /// Images past the end wrap around to the start.
    pub fn batch(&self, start: usize, batch: usize, image_shape: &[usize]) -> Result<Tensor> {
        let mut data = Vec::with_capacity(batch * self.image_len);
        for index in start..start + batch {
            let image = index % self.count();
            data.extend_from_slice(&self.pixels[image * self.image_len..][..self.image_len]);
        }
        let mut shape = vec![batch];
        shape.extend_from_slice(image_shape);
        Ok(Tensor::new(shape, data)?)
    }
}

/// Call counts per engine of [`time_interleaved`], and the size of their blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Untimed calls per engine before the timed ones.
    pub warmup: usize,
    /// Timed calls per engine.
    pub calls: usize,
    /// Timed calls per visit of an engine.
    pub block: usize,
}

/// Call durations in ns per engine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timing {
    /// Timed calls, each one right after a call of the same engine.
    pub warm: Vec<Vec<u64>>,
    /// First call of each timed visit, right after other engines ran, which left the caches
    /// with their code and data.
    pub cold: Vec<Vec<u64>>,
}

impl Timing {
    /// Returns a timing with no durations for `engines` engines.
    pub fn empty(engines: usize) -> Timing {
        Timing {
            warm: vec![Vec::new(); engines],
            cold: vec![Vec::new(); engines],
        }
    }
}

/// Times every engine in rounds. Each round visits every engine once, and each visit makes one
/// call whose duration goes to [`Timing::cold`], then `block` timed calls. Warm-up visits come
/// first and are not timed. Call `n` of an engine gets `inputs[n % inputs.len()]`.
///
/// Rounds interleave the engines so that drift of the machine's speed hits all of them alike.
/// The order within each round is a new pseudo-random permutation, so that no engine always
/// follows the same one: an engine that follows another instance of its own runtime finds that
/// runtime's code in the caches.
///
/// An engine that fails is recorded in `failures` and skipped from then on. `on_round` is
/// called after every round, warm-up included.
pub fn time_interleaved(
    engines: &mut [Engine],
    inputs: &[Tensor],
    schedule: Schedule,
    failures: &mut [Option<String>],
    mut on_round: impl FnMut(),
) -> Timing {
    let block = schedule.block.max(1);
    let warmup_rounds = schedule.warmup.div_ceil(block);
    let timed_rounds = schedule.calls.div_ceil(block);
    let mut timing = Timing {
        warm: vec![Vec::with_capacity(schedule.calls); engines.len()],
        cold: vec![Vec::with_capacity(timed_rounds); engines.len()],
    };
    let mut calls_made = vec![0usize; engines.len()];
    let mut order: Vec<usize> = (0..engines.len()).collect();
    let mut random = XorShift(0x9E37_79B9_7F4A_7C15);

    for round in 0..warmup_rounds + timed_rounds {
        let timed = round >= warmup_rounds;
        random.shuffle(&mut order);
        for &index in &order {
            if failures[index].is_some() {
                continue;
            }
            let remaining = schedule.calls - timing.warm[index].len();
            let visit_calls = if timed {
                1 + block.min(remaining)
            } else {
                block
            };
            for call in 0..visit_calls {
                let input = &inputs[calls_made[index] % inputs.len()];
                calls_made[index] += 1;
                let started = Instant::now();
                let result = engines[index].run(input);
                let elapsed = started.elapsed().as_nanos() as u64;
                if let Err(error) = result.map(std::hint::black_box) {
                    failures[index] = Some(error.to_string());
                    break;
                }
                match (timed, call) {
                    (false, _) => {}
                    (true, 0) => timing.cold[index].push(elapsed),
                    (true, _) => timing.warm[index].push(elapsed),
                }
            }
        }
        on_round();
    }
    timing
}

/// xorshift64 generator: enough to vary the call order, and the same sequence every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Shuffles `items` with the Fisher-Yates algorithm.
    fn shuffle(&mut self, items: &mut [usize]) {
        for last in (1..items.len()).rev() {
            let pick = (self.next() % (last as u64 + 1)) as usize;
            items.swap(last, pick);
        }
    }
}

/// Error figures of one engine, with the first reconstructions for the image grid.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityOutcome {
    /// Error figures.
    pub quality: Quality,
    /// Reconstructions of the first grid images, back to back (whole graphs only).
    pub grid: Vec<f32>,
}

/// Options of [`measure_quality`].
#[derive(Debug, Clone, Copy)]
pub struct QualityPass<'a> {
    /// Images to run.
    pub images: TestImages<'a>,
    /// Shape of one image as the graph takes it.
    pub image_shape: &'a [usize],
    /// Part of the autoencoder that the graph computes.
    pub kind: GraphKind,
    /// Images per call.
    pub batch: usize,
    /// Number of leading reconstructions to keep for the grid.
    pub grid_images: usize,
}

/// Runs every engine over all images in batches and measures its error figures: MSE and PSNR
/// of the reconstruction against the input for whole graphs, and the max abs difference of
/// every output from the engine at `reference`, if any.
///
/// Engines that fail are recorded in `failures` and get `None`. `on_batch` is called after each
/// batch of each engine.
pub fn measure_quality(
    engines: &mut [Engine],
    reference: Option<usize>,
    pass: QualityPass<'_>,
    failures: &mut [Option<String>],
    mut on_batch: impl FnMut(),
) -> Vec<Option<QualityOutcome>> {
    let starts: Vec<usize> = (0..pass.images.count())
        .step_by(pass.batch.max(1))
        .collect();
    let mut outcomes: Vec<Option<QualityOutcome>> = vec![None; engines.len()];

    // The reference runs first, and its outputs stay in memory for the others.
    let mut expected: Vec<Vec<Tensor>> = Vec::new();
    let mut order: Vec<usize> = (0..engines.len()).collect();
    if let Some(reference) = reference {
        order.retain(|&index| index != reference);
        order.insert(0, reference);
    }

    for index in order {
        if failures[index].is_some() {
            continue;
        }
        let is_reference = Some(index) == reference;
        let compare = reference.is_some() && !is_reference && !expected.is_empty();
        let mut accumulator = QualityAccumulator::default();
        let mut grid = Vec::new();

        for (batch_index, &start) in starts.iter().enumerate() {
            let size = pass.batch.min(pass.images.count() - start);
            let result = pass
                .images
                .batch(start, size, pass.image_shape)
                .and_then(|input| Ok((engines[index].run(&input)?, input)))
                .and_then(|(outputs, input)| {
                    let reference_outputs = compare.then(|| &expected[batch_index]);
                    accumulate(
                        &mut accumulator,
                        &mut grid,
                        &pass,
                        &input,
                        &outputs,
                        reference_outputs,
                    )?;
                    Ok(outputs)
                });
            match result {
                Ok(outputs) if is_reference => expected.push(outputs),
                Ok(_) => {}
                Err(error) => {
                    failures[index] = Some(error.to_string());
                    break;
                }
            }
            on_batch();
        }

        if failures[index].is_none() {
            outcomes[index] = Some(QualityOutcome {
                quality: accumulator.finish(),
                grid,
            });
        }
    }
    outcomes
}

/// Adds one batch's figures: reconstruction error, difference from the reference outputs, and
/// the leading reconstructions for the grid.
fn accumulate(
    accumulator: &mut QualityAccumulator,
    grid: &mut Vec<f32>,
    pass: &QualityPass<'_>,
    input: &Tensor,
    outputs: &[Tensor],
    reference: Option<&Vec<Tensor>>,
) -> Result<()> {
    let images = input.shape[0];
    match pass.kind {
        GraphKind::Whole => {
            let reconstruction = outputs
                .iter()
                .find(|output| output.data.len() == input.data.len())
                .ok_or_else(|| {
                    mismatch(format!(
                    "no output has the input's {} values per batch, so none is a reconstruction",
                    input.data.len()
                ))
                })?;
            accumulator.add_reconstruction(&input.data, &reconstruction.data, images);
            let missing = (pass.grid_images * pass.images.image_len).saturating_sub(grid.len());
            let take = missing.min(reconstruction.data.len());
            grid.extend_from_slice(&reconstruction.data[..take]);
        }
        GraphKind::Encoder => accumulator.add_images(images),
    }

    if let Some(expected) = reference {
        if expected.len() != outputs.len() {
            return Err(mismatch(format!(
                "{} outputs, but the reference runtime gave {}",
                outputs.len(),
                expected.len()
            )));
        }
        for (expected, output) in expected.iter().zip(outputs) {
            if expected.shape != output.shape {
                return Err(mismatch(format!(
                    "output shape {:?}, but the reference runtime gave {:?}",
                    output.shape, expected.shape
                )));
            }
            accumulator.add_difference(&expected.data, &output.data);
        }
    }
    Ok(())
}

fn mismatch(message: String) -> crate::Error {
    crate::Error::Outputs { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_permutes_and_varies() {
        let mut random = XorShift(1);
        let mut seen_first = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut items: Vec<usize> = (0..5).collect();
            random.shuffle(&mut items);
            let mut sorted = items.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3, 4]);
            seen_first.insert(items[0]);
        }
        assert_eq!(seen_first.len(), 5);
    }
}
