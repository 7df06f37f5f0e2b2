//! Loading a whole data set folder: the real MNIST folder and folders with missing or
//! mismatched files.

mod common;

use std::path::Path;

use ae_data::load_dataset;
use common::{error_text, gzip, idx_images, idx_labels, mnist_dir, write_file};

/// Writes a small consistent data set into `dir`: 6 training and 2 test images of 3x4.
fn write_small_dataset(dir: &Path) {
    write_file(dir, "train-images-idx3-ubyte", &idx_images(6, 3, 4));
    write_file(
        dir,
        "train-labels-idx1-ubyte.gz",
        &gzip(&idx_labels(&[0, 1, 2, 3, 4, 5])),
    );
    write_file(
        dir,
        "t10k-images-idx3-ubyte.gz",
        &gzip(&idx_images(2, 3, 4)),
    );
    write_file(dir, "t10k-labels-idx1-ubyte", &idx_labels(&[7, 8]));
}

#[test]
fn real_mnist_loads() {
    let dataset = load_dataset(&mnist_dir()).unwrap();

    assert_eq!(dataset.train.count, 60_000);
    assert_eq!(dataset.train_labels.labels.len(), 60_000);
    assert_eq!(dataset.test.count, 10_000);
    assert_eq!(dataset.test_labels.labels.len(), 10_000);
    assert_eq!((dataset.train.rows, dataset.train.cols), (28, 28));
    assert_eq!((dataset.test.rows, dataset.test.cols), (28, 28));
    assert_eq!(dataset.test_labels.labels[0], 7);
    assert_eq!(dataset.train_labels.labels[0], 5);

    let test = dataset.test.to_f32();
    let min = test.iter().copied().fold(f32::INFINITY, f32::min);
    let max = test.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    assert_eq!(min, 0.0);
    assert_eq!(max, 1.0);
}

#[test]
fn mixed_plain_and_gzip_files_load() {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path());

    let dataset = load_dataset(dir.path()).unwrap();

    assert_eq!(dataset.train.count, 6);
    assert_eq!(dataset.test.count, 2);
    assert_eq!(dataset.test_labels.labels, [7, 8]);
}

#[test]
fn plain_file_preferred_over_gzip() {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path());
    // A damaged .gz beside a valid plain file must not be read.
    write_file(dir.path(), "train-images-idx3-ubyte.gz", b"\x1f\x8bdamaged");

    let dataset = load_dataset(dir.path()).unwrap();

    assert_eq!(dataset.train.count, 6);
}

#[test]
fn missing_files_listed() {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path());
    std::fs::remove_file(dir.path().join("t10k-images-idx3-ubyte.gz")).unwrap();
    std::fs::remove_file(dir.path().join("train-labels-idx1-ubyte.gz")).unwrap();

    let message = error_text(load_dataset(dir.path()));

    let expected = format!(
        "{}: missing IDX files: train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz]; \
         put the four MNIST-format files (plain or .gz) in this folder",
        dir.path().display()
    );
    assert_eq!(message, expected);
}

#[test]
fn missing_folder_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mnist");

    let message = error_text(load_dataset(&missing));

    let expected = format!(
        "{}: not found or not a folder; pass the folder that contains the four MNIST-format IDX files",
        missing.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn label_count_mismatch_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path());
    let labels = write_file(
        dir.path(),
        "t10k-labels-idx1-ubyte",
        &idx_labels(&[7, 8, 9]),
    );

    let message = error_text(load_dataset(dir.path()));

    let images = dir.path().join("t10k-images-idx3-ubyte.gz");
    let expected = format!(
        "{}: 3 labels but {} has 2 images; use the labels file of the same split",
        labels.display(),
        images.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn image_size_mismatch_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path());
    let test = write_file(
        dir.path(),
        "t10k-images-idx3-ubyte.gz",
        &gzip(&idx_images(2, 4, 3)),
    );

    let message = error_text(load_dataset(dir.path()));

    assert!(
        message.starts_with(&format!("{}: images are 4x3", test.display())),
        "{message}"
    );
    assert!(
        message.contains("train-images-idx3-ubyte are 3x4"),
        "{message}"
    );
}

#[test]
fn invalid_file_error_names_it() {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path());
    let labels = write_file(dir.path(), "t10k-labels-idx1-ubyte", &[]);

    let message = error_text(load_dataset(dir.path()));

    assert_eq!(
        message,
        format!("{}: empty file; copy the file again", labels.display())
    );
}
