//! IDX reading: the real MNIST files, and one small invalid file per error case.

mod common;

use ae_data::{read_images, read_labels};
use common::{error_text, gzip, idx_bytes, idx_images, idx_labels, mnist_dir, write_file};

#[test]
fn mnist_test_images_read() {
    let images = read_images(&mnist_dir().join("t10k-images-idx3-ubyte.gz")).unwrap();

    assert_eq!(images.count, 10_000);
    assert_eq!(images.rows, 28);
    assert_eq!(images.cols, 28);
    assert_eq!(images.pixels.len(), 10_000 * 28 * 28);
    assert_eq!(images.pixels.iter().min(), Some(&0));
    assert_eq!(images.pixels.iter().max(), Some(&255));
    // MNIST digits are light strokes on a black background, so corners are 0.
    assert_eq!(images.image(0)[0], 0);
    assert!(images.image(0).iter().any(|&p| p > 200));
}

#[test]
fn mnist_labels_read() {
    let test = read_labels(&mnist_dir().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let train = read_labels(&mnist_dir().join("train-labels-idx1-ubyte.gz")).unwrap();

    assert_eq!(test.labels.len(), 10_000);
    assert_eq!(train.labels.len(), 60_000);
    // First 16 test labels as published with MNIST.
    assert_eq!(
        test.labels[..16],
        [7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5]
    );
    assert_eq!(train.labels[0], 5);
    assert!(train.labels.iter().all(|&label| label <= 9));
}

#[test]
fn mnist_train_images_read() {
    let images = read_images(&mnist_dir().join("train-images-idx3-ubyte.gz")).unwrap();

    assert_eq!((images.count, images.rows, images.cols), (60_000, 28, 28));
    assert_eq!(images.pixels.len(), 60_000 * 784);
}

#[test]
fn to_f32_divides_by_255() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "images",
        &idx_bytes(0x08, &[1, 1, 3], &[0, 51, 255]),
    );

    let images = read_images(&path).unwrap();

    assert_eq!(images.to_f32(), vec![0.0, 0.2, 1.0]);
}

#[test]
fn image_returns_one_image() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "images", &idx_images(3, 2, 2));

    let images = read_images(&path).unwrap();

    assert_eq!(images.image_len(), 4);
    assert_eq!(images.image(1), &[4, 5, 6, 7]);
}

#[test]
fn plain_and_gzip_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = idx_images(4, 3, 5);
    // The extension does not decide: the gzip file has no .gz, the plain one has.
    let plain = write_file(dir.path(), "images.gz", &bytes);
    let compressed = write_file(dir.path(), "images", &gzip(&bytes));

    let from_plain = read_images(&plain).unwrap();
    let from_gzip = read_images(&compressed).unwrap();

    assert_eq!(from_plain, from_gzip);
    assert_eq!(from_plain.pixels, bytes[16..]);
}

#[test]
fn truncated_data_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = idx_images(10, 28, 28);
    bytes.truncate(16 + 5000);
    let path = write_file(dir.path(), "images", &bytes);

    let message = error_text(read_images(&path));

    let expected = format!(
        "{}: truncated IDX file: header declares 10x28x28 = 7840 bytes of data but only 5000 \
         follow; copy the file again or use a complete MNIST folder",
        path.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn truncated_gzip_data_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = idx_labels(&[1, 2, 3, 4]);
    bytes.pop();
    let path = write_file(dir.path(), "labels.gz", &gzip(&bytes));

    let message = error_text(read_labels(&path));

    assert!(
        message.contains("truncated IDX file: header declares 4 = 4 bytes"),
        "{message}"
    );
    assert!(message.contains("only 3 follow"), "{message}");
}

#[test]
fn truncated_header_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = idx_images(1, 2, 2);
    let path = write_file(dir.path(), "images", &bytes[..9]);

    let message = error_text(read_images(&path));

    let expected = format!(
        "{}: truncated IDX file: it ends after 9 bytes, inside the 16-byte header; \
         copy the file again",
        path.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn trailing_bytes_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = idx_images(2, 2, 2);
    bytes.extend_from_slice(&[0; 3]);
    let path = write_file(dir.path(), "images", &bytes);

    let message = error_text(read_images(&path));

    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("declares 2x2x2 = 8 bytes of data but 3 more bytes follow"),
        "{message}"
    );
}

#[test]
fn wrong_magic_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "images.png",
        b"\x89PNG\r\n\x1a\n0000000000000000",
    );

    let message = error_text(read_images(&path));

    let expected = format!(
        "{}: not an IDX images file: magic number is 0x89504e47, expected 0x00000803; \
         pass an uncompressed or gzip-compressed IDX images file",
        path.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn wrong_element_type_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "images", &idx_bytes(0x0d, &[1, 1, 1], &[0; 4]));

    let message = error_text(read_images(&path));

    assert!(
        message.contains("unsupported IDX element type 0x0d"),
        "{message}"
    );
}

#[test]
fn wrong_dimension_count_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let labels = write_file(dir.path(), "labels", &idx_labels(&[1, 2]));
    let images = write_file(dir.path(), "images", &idx_images(1, 1, 1));

    let images_as_labels = error_text(read_labels(&images));
    let labels_as_images = error_text(read_images(&labels));

    assert_eq!(
        images_as_labels,
        format!(
            "{}: IDX header declares 3 dimensions but an IDX labels file has 1; \
             check that the images and labels files are not swapped",
            images.display()
        )
    );
    assert!(
        labels_as_images.contains("declares 1 dimensions but an IDX images file has 3"),
        "{labels_as_images}"
    );
}

#[test]
fn zero_dimension_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "images", &idx_bytes(0x08, &[5, 0, 28], &[]));

    let message = error_text(read_images(&path));

    let expected = format!(
        "{}: invalid IDX header: dimensions 5x0x28 contain a zero; copy the file again",
        path.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn huge_dimension_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "images",
        &idx_bytes(0x08, &[1, 100_000, 28], &[0; 8]),
    );

    let message = error_text(read_images(&path));

    assert!(
        message.contains("dimensions 1x100000x28 exceed the maximum of 16384"),
        "{message}"
    );
}

#[test]
fn empty_file_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "labels", &[]);

    let message = error_text(read_labels(&path));

    assert_eq!(
        message,
        format!("{}: empty file; copy the file again", path.display())
    );
}

#[test]
fn corrupt_gzip_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = gzip(&idx_images(2, 28, 28));
    // Overwrite the deflate stream after the 10-byte gzip header.
    for byte in &mut bytes[10..30] {
        *byte = 0xff;
    }
    let path = write_file(dir.path(), "images.gz", &bytes);

    let message = error_text(read_images(&path));

    assert!(
        message.starts_with(&format!("{}: corrupt gzip data: ", path.display())),
        "{message}"
    );
    assert!(
        message.ends_with("; copy the file again, or test it with `gzip -t`"),
        "{message}"
    );
}

#[test]
fn cut_gzip_stream_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = gzip(&idx_images(2, 28, 28));
    let path = write_file(dir.path(), "images.gz", &bytes[..bytes.len() / 2]);

    let message = error_text(read_images(&path));

    assert!(message.contains("corrupt gzip data"), "{message}");
}

#[test]
fn missing_file_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-file.gz");

    let message = error_text(read_images(&path));

    assert_eq!(
        message,
        format!("{}: file not found; check the path", path.display())
    );
}

#[test]
fn errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        write_file(dir.path(), "empty", &[]),
        write_file(dir.path(), "text", b"hello world, this is not IDX"),
        write_file(dir.path(), "short", &idx_images(3, 4, 4)[..30]),
        write_file(dir.path(), "gz", &[0x1f, 0x8b, 0, 0, 0]),
    ];

    for path in cases {
        let message = error_text(read_images(&path));
        assert!(!message.contains('\n'), "{message}");
        assert!(
            message.starts_with(&path.display().to_string()),
            "{message}"
        );
    }
}
