//! The training loop: mini-batch Adam on the mean squared reconstruction error.

use std::time::Instant;

use ae_models::Autoencoder;
use candle_core::{Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tracing::info;

use crate::adam::{Adam, AdamConfig};
use crate::evaluate::mean_squared_error;
use crate::{Error, Result};

/// The training recipe. The defaults are the project's reference recipe.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    /// Passes over the training set.
    pub epochs: usize,
    /// Images per optimiser step. The last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// L2 penalty added to the gradient, as in PyTorch's Adam.
    pub weight_decay: f64,
    /// Seed of the initial weights and of the shuffling.
    pub seed: u64,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            epochs: 10,
            batch_size: 64,
            lr: 1e-3,
            weight_decay: 1e-5,
            seed: 0,
        }
    }
}

/// Images as tensors (N, 1, 28, 28) in [0, 1] on the training device.
pub struct TrainData {
    /// Training images, the ones the optimiser steps on.
    pub train: Tensor,
    /// The held-out images the per-epoch test MSE is computed on.
    pub test: Tensor,
}

impl TrainData {
    /// Copies a data set to `device`, keeping only the first `train_limit`
    /// training images when it is set.
    pub fn from_dataset(
        dataset: &ae_data::Dataset,
        train_limit: Option<usize>,
        device: &Device,
    ) -> Result<Self> {
        let to_tensor = |images: &ae_data::IdxImages, limit: usize| -> Result<Tensor> {
            let count = images.count.min(limit);
            let pixels = &images.to_f32()[..count * images.rows * images.cols];
            Ok(Tensor::from_slice(
                pixels,
                (count, 1, images.rows, images.cols),
                device,
            )?)
        };
        Ok(TrainData {
            train: to_tensor(&dataset.train, train_limit.unwrap_or(usize::MAX))?,
            test: to_tensor(&dataset.test, usize::MAX)?,
        })
    }
}

/// Progress inside an epoch, sent after every optimiser step.
#[derive(Debug, Clone, Copy)]
pub struct StepProgress {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Images processed so far in this epoch.
    pub images: usize,
    /// Images in the epoch.
    pub total_images: usize,
    /// Mean loss per image over this epoch so far.
    pub running_loss: f64,
    /// Training throughput over this epoch so far.
    pub images_per_second: f64,
}

/// Figures of one finished epoch.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct EpochReport {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss (MSE per pixel) over the epoch's batches, weighted by batch size.
    pub train_loss: f64,
    /// MSE per pixel over every test image after the epoch.
    pub test_mse: f64,
    /// Wall time of the epoch's training steps, without the test evaluation.
    pub seconds: f64,
    /// Training throughput of the epoch.
    pub images_per_second: f64,
}

/// Receives progress from [`train`]; the binary draws it, tests ignore it.
pub trait Observer {
    /// Called after every optimiser step.
    fn step(&mut self, _progress: StepProgress) {}
    /// Called after every epoch.
    fn epoch(&mut self, _report: &EpochReport) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// Trains `model` in place and returns one report per epoch.
///
/// Each epoch visits every training image once, in an order reshuffled from
/// a generator seeded with `recipe.seed`, so equal seeds and flags give equal
/// weights on the CPU.
pub fn train(
    model: &Autoencoder,
    data: &TrainData,
    recipe: &Recipe,
    observer: &mut dyn Observer,
) -> Result<Vec<EpochReport>> {
    let config = AdamConfig {
        lr: recipe.lr,
        weight_decay: recipe.weight_decay,
        ..AdamConfig::default()
    };
    let mut optimizer = Adam::new(model.vars(), config)?;
    let mut rng = ChaCha8Rng::seed_from_u64(recipe.seed);
    // The initial weights use stream 0 of the same seed; shuffling uses its own stream.
    rng.set_stream(1);

    let count = data.train.dim(0)?;
    let device = data.train.device().clone();
    let mut order: Vec<u32> = (0..count as u32).collect();
    let mut reports = Vec::with_capacity(recipe.epochs);

    for epoch in 1..=recipe.epochs {
        order.shuffle(&mut rng);
        let start = Instant::now();
        let mut loss_sum = 0.0;
        let mut seen = 0;

        for batch in order.chunks(recipe.batch_size) {
            let indices = Tensor::from_slice(batch, batch.len(), &device)?;
            let images = data.train.index_select(&indices, 0)?;
            let reconstruction = model.forward(&images)?;
            let loss = (reconstruction - &images)?.sqr()?.mean_all()?;
            optimizer.backward_step(&loss)?;

            let batch_loss = loss.to_scalar::<f32>()?;
            if !batch_loss.is_finite() {
                return Err(Error::Diverged { epoch, loss: batch_loss });
            }
            loss_sum += batch_loss as f64 * batch.len() as f64;
            seen += batch.len();
            observer.step(StepProgress {
                epoch,
                images: seen,
                total_images: count,
                running_loss: loss_sum / seen as f64,
                images_per_second: seen as f64 / start.elapsed().as_secs_f64(),
            });
        }

        let seconds = start.elapsed().as_secs_f64();
        let test_mse = mean_squared_error(model, &data.test)?;
        let report = EpochReport {
            epoch,
            train_loss: loss_sum / seen as f64,
            test_mse,
            seconds,
            images_per_second: seen as f64 / seconds,
        };
        info!(
            epoch,
            train_loss = report.train_loss,
            test_mse,
            seconds,
            "epoch finished"
        );
        observer.epoch(&report);
        reports.push(report);
    }
    Ok(reports)
}
