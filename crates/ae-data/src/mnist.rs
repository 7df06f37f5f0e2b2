//! Loading of a whole MNIST-format data set (MNIST, Fashion-MNIST) from one folder.

use std::path::{Path, PathBuf};

use crate::error::{format_dims, Error, Result};
use crate::idx::{read_images, read_labels, IdxImages, IdxLabels};

/// File name of the training images in the MNIST distribution, without `.gz`.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// File name of the training labels, without `.gz`.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
/// File name of the test images, without `.gz`.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
/// File name of the test labels, without `.gz`.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

/// The training and test splits of an MNIST-format data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Training images.
    pub train: IdxImages,
    /// Labels of the training images, in the same order.
    pub train_labels: IdxLabels,
    /// Test images.
    pub test: IdxImages,
    /// Labels of the test images, in the same order.
    pub test_labels: IdxLabels,
}

/// Loads the four IDX files of an MNIST-format data set from `dir`.
///
/// Each file may be plain or gzip-compressed (`NAME` or `NAME.gz`). When both exist the plain
/// file is read. Fails if the folder lacks any of the four files, and the error then lists the
/// missing ones. Also fails if a file is invalid (see [`read_images`]), if a labels file has a
/// different count from its images, or if the training and test images differ in size.
pub fn load_dataset(dir: &Path) -> Result<Dataset> {
    if !dir.is_dir() {
        return Err(Error::FolderNotFound {
            path: dir.to_path_buf(),
        });
    }
    let names = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];
    let found: Vec<Option<PathBuf>> = names.iter().map(|name| find_file(dir, name)).collect();
    let missing: Vec<String> = names
        .iter()
        .zip(&found)
        .filter(|(_, path)| path.is_none())
        .map(|(name, _)| format!("{name}[.gz]"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingDataFiles {
            path: dir.to_path_buf(),
            missing: missing.join(", "),
        });
    }
    let paths: Vec<PathBuf> = found.into_iter().flatten().collect();

    let train = read_images(&paths[0])?;
    let train_labels = read_labels(&paths[1])?;
    check_label_count(&paths[1], &train_labels, &paths[0], &train)?;
    let test = read_images(&paths[2])?;
    let test_labels = read_labels(&paths[3])?;
    check_label_count(&paths[3], &test_labels, &paths[2], &test)?;

    if (test.rows, test.cols) != (train.rows, train.cols) {
        return Err(Error::ImageSizeMismatch {
            path: paths[2].clone(),
            found: format_dims(&[test.rows, test.cols]),
            train_path: paths[0].clone(),
            expected: format_dims(&[train.rows, train.cols]),
        });
    }

    tracing::info!(
        dir = %dir.display(),
        train = train.count,
        test = test.count,
        rows = train.rows,
        cols = train.cols,
        "loaded data set"
    );
    Ok(Dataset {
        train,
        train_labels,
        test,
        test_labels,
    })
}

/// Returns `dir/name` if it exists, else `dir/name.gz` if that exists.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    let plain = dir.join(name);
    if plain.is_file() {
        return Some(plain);
    }
    let compressed = dir.join(format!("{name}.gz"));
    compressed.is_file().then_some(compressed)
}

fn check_label_count(
    labels_path: &Path,
    labels: &IdxLabels,
    images_path: &Path,
    images: &IdxImages,
) -> Result<()> {
    if labels.labels.len() == images.count {
        return Ok(());
    }
    Err(Error::LabelCountMismatch {
        path: labels_path.to_path_buf(),
        labels: labels.labels.len(),
        images_path: images_path.to_path_buf(),
        images: images.count,
    })
}
