//! PNG writing: single images and grids, read back with the `image` decoder.

mod common;

use ae_data::png::GRID_GAP_LEVEL;
use ae_data::{load_digit, read_images, save_grey_grid_png, save_grey_png, Invert};
use common::{error_text, mnist_dir};

/// Decodes a PNG into (width, height, colour type, grey bytes).
fn decode(path: &std::path::Path) -> (u32, u32, image::ColorType, Vec<u8>) {
    let image = image::open(path).unwrap();
    (
        image.width(),
        image.height(),
        image.color(),
        image.to_luma8().into_raw(),
    )
}

#[test]
fn grey_png_clamps_and_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.png");
    let pixels = [-0.5, 0.0, 0.5, 1.0, 1.5, f32::NAN, 0.2, 0.999];

    save_grey_png(&path, &pixels, 4, 2).unwrap();

    let (width, height, colour, bytes) = decode(&path);
    assert_eq!((width, height), (4, 2));
    assert_eq!(colour, image::ColorType::L8);
    // 0.5 * 255 = 127.5 rounds to 128, 0.2 * 255 = 51, 0.999 * 255 = 254.7 rounds to 255.
    assert_eq!(bytes, [0, 0, 128, 255, 255, 0, 51, 255]);
}

#[test]
fn mnist_digit_png_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digit.png");
    let images = read_images(&mnist_dir().join("t10k-images-idx3-ubyte.gz")).unwrap();
    let digit: Vec<f32> = images
        .image(0)
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();

    save_grey_png(&path, &digit, 28, 28).unwrap();
    let loaded = load_digit(&path, Invert::Auto).unwrap();

    let (_, _, _, bytes) = decode(&path);
    assert_eq!(bytes, images.image(0));
    let max = loaded
        .pixels
        .iter()
        .zip(&digit)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(max <= 1.0 / 255.0, "max difference {max}");
}

#[test]
fn wrong_pixel_count_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.png");

    let message = error_text(save_grey_png(&path, &[0.0; 10], 4, 2));

    let expected = format!(
        "{}: cannot write image: 4x2 needs 8 pixels but 10 were given",
        path.display()
    );
    assert_eq!(message, expected);
    assert!(!path.exists());
}

#[test]
fn zero_width_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.png");

    let message = error_text(save_grey_png(&path, &[], 0, 5));

    assert!(
        message.contains("0x5 needs 0 pixels but 0 were given"),
        "{message}"
    );
}

#[test]
fn grid_places_tiles_with_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    let black = [0.0f32; 4];
    let white = [1.0f32; 4];
    let tiles: [&[f32]; 3] = [&black, &white, &black];

    save_grey_grid_png(&path, &tiles, 2, 2, 2, 1).unwrap();

    // 2 columns and 2 rows of 2x2 tiles with 1-pixel gaps: 2*2 + 3*1 = 7 pixels each way.
    let (width, height, _, bytes) = decode(&path);
    assert_eq!((width, height), (7, 7));
    let gap = (GRID_GAP_LEVEL * 255.0).round() as u8;
    let expected_rows: [[u8; 7]; 7] = [
        [gap; 7],
        [gap, 0, 0, gap, 255, 255, gap],
        [gap, 0, 0, gap, 255, 255, gap],
        [gap; 7],
        [gap, 0, 0, gap, gap, gap, gap],
        [gap, 0, 0, gap, gap, gap, gap],
        [gap; 7],
    ];
    for (y, row) in expected_rows.iter().enumerate() {
        assert_eq!(&bytes[y * 7..(y + 1) * 7], row, "row {y}");
    }
}

#[test]
fn grid_narrower_than_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    let tile = [0.25f32; 6];

    save_grey_grid_png(&path, &[&tile, &tile], 3, 2, 8, 0).unwrap();

    let (width, height, _, bytes) = decode(&path);
    assert_eq!((width, height), (6, 2));
    assert!(bytes.iter().all(|&b| b == 64), "{bytes:?}");
}

#[test]
fn grid_rejects_bad_tile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    let good = [0.0f32; 4];
    let bad = [0.0f32; 3];

    let message = error_text(save_grey_grid_png(&path, &[&good, &bad], 2, 2, 2, 1));

    let expected = format!(
        "{}: cannot write image grid: tile 1 has 3 values, expected 2x2 = 4",
        path.display()
    );
    assert_eq!(message, expected);
    assert!(!path.exists());
}

#[test]
fn grid_rejects_empty_and_zero_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    let tile = [0.0f32; 4];

    let empty = error_text(save_grey_grid_png(&path, &[], 2, 2, 2, 1));
    let no_columns = error_text(save_grey_grid_png(&path, &[&tile], 2, 2, 0, 1));

    assert!(
        empty.ends_with("cannot write image grid: no tiles given"),
        "{empty}"
    );
    assert!(no_columns.contains("columns (0)"), "{no_columns}");
}
