//! Training on real MNIST: a short run lowers the loss, and the same seed
//! and flags give bit-identical weights on the CPU.

use std::collections::HashMap;

use ae_models::{Autoencoder, ModelKind};
use ae_tests::mnist_dir;
use ae_train::{mean_squared_error, train, Recipe, Silent, TrainData};
use candle_core::{Device, Tensor};

const TRAIN_IMAGES: usize = 2000;

fn data() -> TrainData {
    let dataset = ae_data::load_dataset(&mnist_dir()).unwrap();
    TrainData::from_dataset(&dataset, Some(TRAIN_IMAGES), &Device::Cpu).unwrap()
}

fn train_once(kind: ModelKind, recipe: &Recipe, data: &TrainData) -> HashMap<String, Tensor> {
    let model = Autoencoder::new(kind, recipe.seed, &Device::Cpu).unwrap();
    train(&model, data, recipe, &mut Silent).unwrap();
    model.tensors()
}

fn bits(tensor: &Tensor) -> Vec<u32> {
    tensor
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .into_iter()
        .map(f32::to_bits)
        .collect()
}

fn one_epoch_lowers_loss(kind: ModelKind) {
    let data = data();
    let recipe = Recipe {
        epochs: 1,
        ..Recipe::default()
    };
    let model = Autoencoder::new(kind, recipe.seed, &Device::Cpu).unwrap();
    let before = mean_squared_error(&model, &data.train).unwrap();
    let reports = train(&model, &data, &recipe, &mut Silent).unwrap();
    let after = mean_squared_error(&model, &data.train).unwrap();

    assert_eq!(reports.len(), 1);
    assert!(
        after < before,
        "{kind}: training MSE went from {before} to {after}"
    );
    assert!(
        reports[0].test_mse < before,
        "{kind}: test MSE {} not below the untrained {before}",
        reports[0].test_mse
    );
    assert!(
        reports[0].train_loss.is_finite(),
        "{kind}: train loss {}",
        reports[0].train_loss
    );
}

#[test]
fn linear_one_epoch_lowers_loss() {
    one_epoch_lowers_loss(ModelKind::Linear);
}

#[test]
fn conv_one_epoch_lowers_loss() {
    one_epoch_lowers_loss(ModelKind::Conv);
}

fn same_seed_same_weights(kind: ModelKind) {
    let data = data();
    let recipe = Recipe {
        epochs: 2,
        ..Recipe::default()
    };
    let first = train_once(kind, &recipe, &data);
    let second = train_once(kind, &recipe, &data);
    let other_seed = train_once(
        kind,
        &Recipe {
            seed: 1,
            ..recipe.clone()
        },
        &data,
    );

    assert_eq!(first.len(), second.len());
    for (name, tensor) in &first {
        assert_eq!(
            bits(tensor),
            bits(&second[name]),
            "{kind}: {name} differs between equal runs"
        );
    }
    let differs = first
        .iter()
        .any(|(name, tensor)| bits(tensor) != bits(&other_seed[name]));
    assert!(differs, "{kind}: seeds 0 and 1 gave identical weights");
}

#[test]
fn linear_same_seed_same_weights() {
    same_seed_same_weights(ModelKind::Linear);
}

#[test]
fn conv_same_seed_same_weights() {
    same_seed_same_weights(ModelKind::Conv);
}
