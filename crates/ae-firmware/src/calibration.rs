//! MNIST images for int8 calibration and for the digits baked into the
//! firmware.

use std::path::Path;

use ae_data::{load_dataset, Dataset};

use crate::error::FirmwareError;
use crate::native::Calibration;
use crate::network::FloatNetwork;

/// Loads the first `calibration.images` training images as f32 in [0, 1],
/// checking that their size matches the encoder's input.
pub fn calibration_images(
    calibration: &Calibration,
    network: &FloatNetwork,
) -> Result<Vec<f32>, FirmwareError> {
    let dataset = load_dataset(&calibration.mnist_dir)?;
    let dir = &calibration.mnist_dir;
    check_image_len(dir, &dataset, network)?;
    if calibration.images == 0 || calibration.images > dataset.train.count {
        return Err(FirmwareError::Dataset {
            path: dir.to_path_buf(),
            reason: format!(
                "{} calibration images requested but the training set has {}; pass --calibration-images between 1 and {}",
                calibration.images, dataset.train.count, dataset.train.count
            ),
        });
    }
    let len = dataset.train.image_len();
    let pixels = &dataset.train.pixels[..calibration.images * len];
    Ok(pixels.iter().map(|&p| f32::from(p) / 255.0).collect())
}

/// Test digits to bake into the firmware: pixels and labels of the first
/// `count` test images.
pub struct TestDigits {
    /// `count * 784` pixels, image after image.
    pub pixels: Vec<u8>,
    /// One label per image.
    pub labels: Vec<u8>,
    /// Pixels per image.
    pub image_len: usize,
}

/// Loads the first `count` MNIST test images and labels from `dir`.
pub fn test_digits(
    dir: &Path,
    count: usize,
    network: &FloatNetwork,
) -> Result<TestDigits, FirmwareError> {
    let dataset = load_dataset(dir)?;
    check_image_len(dir, &dataset, network)?;
    if count > dataset.test.count {
        return Err(FirmwareError::Dataset {
            path: dir.to_path_buf(),
            reason: format!(
                "{count} test digits requested but the test set has {}",
                dataset.test.count
            ),
        });
    }
    let len = dataset.test.image_len();
    Ok(TestDigits {
        pixels: dataset.test.pixels[..count * len].to_vec(),
        labels: dataset.test_labels.labels[..count].to_vec(),
        image_len: len,
    })
}

fn check_image_len(
    dir: &Path,
    dataset: &Dataset,
    network: &FloatNetwork,
) -> Result<(), FirmwareError> {
    let expected: usize = network.input_shape.iter().product();
    if dataset.train.image_len() != expected {
        return Err(FirmwareError::Dataset {
            path: dir.to_path_buf(),
            reason: format!(
                "images have {} pixels but encoder {} takes {expected} values",
                dataset.train.image_len(),
                network.name
            ),
        });
    }
    Ok(())
}
