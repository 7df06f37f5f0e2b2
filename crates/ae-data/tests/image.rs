//! Digit preprocessing: a real MNIST test digit written in many pixel formats must load back
//! as the same 28x28 values, and invalid files must give one-line errors.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ae_data::{load_digit, read_images, Invert};
use common::{error_text, mnist_dir, png_bytes, write_file};
use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder};

/// Tolerance for lossless formats. Values are exact up to f32 rounding of the Rec. 601 sum.
const LOSSLESS_TOLERANCE: f32 = 1e-5;

/// Returns the first MNIST test image (a 7) as bytes.
fn mnist_digit() -> &'static [u8] {
    static DIGIT: OnceLock<Vec<u8>> = OnceLock::new();
    DIGIT.get_or_init(|| {
        let images = read_images(&mnist_dir().join("t10k-images-idx3-ubyte.gz")).unwrap();
        images.image(0).to_vec()
    })
}

fn digit_f32() -> Vec<f32> {
    mnist_digit()
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect()
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn mean_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

/// Saves `bytes` of the given colour type with the `image` encoder, in the format that the
/// extension of `name` selects.
fn save_image(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    width: u32,
    height: u32,
    colour: ExtendedColorType,
) -> PathBuf {
    let path = dir.join(name);
    image::save_buffer(&path, bytes, width, height, colour).unwrap();
    path
}

#[test]
fn grey_png_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = save_image(
        dir.path(),
        "digit.png",
        mnist_digit(),
        28,
        28,
        ExtendedColorType::L8,
    );

    let digit = load_digit(&path, Invert::Auto).unwrap();

    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
    assert!(!digit.inverted);
    assert_eq!((digit.source_width, digit.source_height), (28, 28));
}

#[test]
fn rgb_png_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let rgb: Vec<u8> = mnist_digit().iter().flat_map(|&p| [p, p, p]).collect();
    let path = save_image(
        dir.path(),
        "digit.png",
        &rgb,
        28,
        28,
        ExtendedColorType::Rgb8,
    );

    let digit = load_digit(&path, Invert::No).unwrap();

    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
}

#[test]
fn rgba_png_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let rgba: Vec<u8> = mnist_digit().iter().flat_map(|&p| [p, p, p, 255]).collect();
    let path = save_image(
        dir.path(),
        "digit.png",
        &rgba,
        28,
        28,
        ExtendedColorType::Rgba8,
    );

    let digit = load_digit(&path, Invert::Auto).unwrap();

    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
    assert!(!digit.inverted);
}

#[test]
fn grey16_png_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    // v * 257 maps 0..=255 onto 0..=65535, so v16 / 65535 = v / 255.
    let grey16: Vec<u8> = mnist_digit()
        .iter()
        .flat_map(|&p| (u16::from(p) * 257).to_ne_bytes())
        .collect();
    let path = save_image(
        dir.path(),
        "digit.png",
        &grey16,
        28,
        28,
        ExtendedColorType::L16,
    );

    let digit = load_digit(&path, Invert::No).unwrap();

    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
}

#[test]
fn grey16_precision_kept() {
    let dir = tempfile::tempdir().unwrap();
    // 1000 / 65535 = 0.01526, which 8 bits would round to 4 / 255 = 0.01569.
    let grey16: Vec<u8> = (0..28 * 28).flat_map(|_| 1000u16.to_ne_bytes()).collect();
    let path = save_image(
        dir.path(),
        "flat.png",
        &grey16,
        28,
        28,
        ExtendedColorType::L16,
    );

    let digit = load_digit(&path, Invert::No).unwrap();

    for value in digit.pixels {
        assert!((value - 1000.0 / 65535.0).abs() < 1e-7, "{value}");
    }
}

#[test]
fn palette_png_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let palette: Vec<[u8; 3]> = (0..=255u8).map(|v| [v, v, v]).collect();
    let scanlines: Vec<u8> = mnist_digit()
        .chunks(28)
        .flat_map(|row| [&[0u8][..], row].concat())
        .collect();
    let path = write_file(
        dir.path(),
        "digit.png",
        &png_bytes(28, 28, 8, 3, Some(&palette), &scanlines),
    );

    let digit = load_digit(&path, Invert::No).unwrap();

    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
}

#[test]
fn colour_palette_uses_rec601() {
    let dir = tempfile::tempdir().unwrap();
    let palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
    // 2x2 image: red, green / blue, white. Each source pixel becomes a 14x14 block.
    let scanlines = [0, 0, 1, 0, 2, 3];
    let path = write_file(
        dir.path(),
        "colour.png",
        &png_bytes(2, 2, 8, 3, Some(&palette), &scanlines),
    );

    let digit = load_digit(&path, Invert::No).unwrap();

    let at = |x: usize, y: usize| digit.pixels[y * 28 + x];
    assert!((at(0, 0) - 0.299).abs() < 1e-6, "red {}", at(0, 0));
    assert!((at(27, 0) - 0.587).abs() < 1e-6, "green {}", at(27, 0));
    assert!((at(0, 27) - 0.114).abs() < 1e-6, "blue {}", at(0, 27));
    assert!((at(27, 27) - 1.0).abs() < 1e-6, "white {}", at(27, 27));
}

#[test]
fn bmp_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let rgb: Vec<u8> = mnist_digit().iter().flat_map(|&p| [p, p, p]).collect();
    let path = save_image(
        dir.path(),
        "digit.bmp",
        &rgb,
        28,
        28,
        ExtendedColorType::Rgb8,
    );

    let digit = load_digit(&path, Invert::No).unwrap();

    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
}

#[test]
fn jpeg_close_to_original() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digit.jpg");
    let file = std::fs::File::create(&path).unwrap();
    JpegEncoder::new_with_quality(file, 95)
        .write_image(mnist_digit(), 28, 28, ExtendedColorType::L8)
        .unwrap();

    let digit = load_digit(&path, Invert::Auto).unwrap();

    // JPEG is lossy. At quality 95 this digit measured a mean error of 0.0022 and a maximum
    // of 0.024 (6/255) with image 0.25.10, and the bounds leave about twice that.
    let expected = digit_f32();
    assert!(!digit.inverted);
    assert!(mean_difference(&digit.pixels, &expected) < 0.005);
    assert!(max_difference(&digit.pixels, &expected) < 0.05);
}

#[test]
fn white_background_inverted_by_auto() {
    let dir = tempfile::tempdir().unwrap();
    let negative: Vec<u8> = mnist_digit().iter().map(|&p| 255 - p).collect();
    let path = save_image(
        dir.path(),
        "negative.png",
        &negative,
        28,
        28,
        ExtendedColorType::L8,
    );

    let auto = load_digit(&path, Invert::Auto).unwrap();
    let forced = load_digit(&path, Invert::Yes).unwrap();
    let kept = load_digit(&path, Invert::No).unwrap();

    let expected = digit_f32();
    assert!(auto.inverted);
    assert!(max_difference(&auto.pixels, &expected) <= LOSSLESS_TOLERANCE);
    assert!(forced.inverted);
    assert_eq!(forced.pixels, auto.pixels);
    assert!(!kept.inverted);
    let negative_expected: Vec<f32> = expected.iter().map(|v| 1.0 - v).collect();
    assert!(max_difference(&kept.pixels, &negative_expected) <= LOSSLESS_TOLERANCE);
}

#[test]
fn dark_ink_on_transparent_canvas() {
    let dir = tempfile::tempdir().unwrap();
    // Black strokes whose opacity is the MNIST intensity, on a fully transparent canvas.
    let rgba: Vec<u8> = mnist_digit().iter().flat_map(|&p| [0, 0, 0, p]).collect();
    let path = save_image(
        dir.path(),
        "ink.png",
        &rgba,
        28,
        28,
        ExtendedColorType::Rgba8,
    );

    let digit = load_digit(&path, Invert::Auto).unwrap();

    assert!(digit.inverted);
    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
}

#[test]
fn light_ink_on_transparent_canvas() {
    let dir = tempfile::tempdir().unwrap();
    let grey_alpha: Vec<u8> = mnist_digit().iter().flat_map(|&p| [255, p]).collect();
    let path = save_image(
        dir.path(),
        "ink.png",
        &grey_alpha,
        28,
        28,
        ExtendedColorType::La8,
    );

    let digit = load_digit(&path, Invert::Auto).unwrap();

    assert!(!digit.inverted);
    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
}

#[test]
fn upscaled_digit_averages_back() {
    let dir = tempfile::tempdir().unwrap();
    // Each MNIST pixel becomes a 3x3 block, so area averaging to 28x28 restores it.
    let large: Vec<u8> = (0..84 * 84)
        .map(|i| mnist_digit()[(i / 84 / 3) * 28 + (i % 84) / 3])
        .collect();
    let path = save_image(
        dir.path(),
        "large.png",
        &large,
        84,
        84,
        ExtendedColorType::L8,
    );

    let digit = load_digit(&path, Invert::Auto).unwrap();

    assert_eq!((digit.source_width, digit.source_height), (84, 84));
    assert!(max_difference(&digit.pixels, &digit_f32()) <= LOSSLESS_TOLERANCE);
}

/// Returns the length of the overlap of `[a0, a1)` and `[b0, b1)`.
fn overlap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (a1.min(b1) - a0.max(b0)).max(0.0)
}

#[test]
fn wide_image_padded_not_stretched() {
    let dir = tempfile::tempdir().unwrap();
    // 100x60 black image with a white 20x20 square at x 40..60, y 20..40.
    let mut pixels = vec![0u8; 100 * 60];
    for y in 20..40 {
        for x in 40..60 {
            pixels[y * 100 + x] = 255;
        }
    }
    let path = save_image(
        dir.path(),
        "wide.png",
        &pixels,
        100,
        60,
        ExtendedColorType::L8,
    );

    let digit = load_digit(&path, Invert::Auto).unwrap();

    // Reference: padding to 100x100 centres the image 20 rows down, so the square covers
    // x 40..60, y 40..60 of the canvas. Each output pixel covers a cell of side 100/28 and its
    // value is the fraction of the cell inside the square.
    let cell = 100.0 / 28.0;
    assert_eq!((digit.source_width, digit.source_height), (100, 60));
    assert!(!digit.inverted);
    for y in 0..28 {
        for x in 0..28 {
            let (x0, y0) = (x as f64 * cell, y as f64 * cell);
            let covered = overlap(x0, x0 + cell, 40.0, 60.0) * overlap(y0, y0 + cell, 40.0, 60.0);
            let expected = (covered / (cell * cell)) as f32;
            let found = digit.pixels[y * 28 + x];
            assert!(
                (found - expected).abs() < 1e-5,
                "({x}, {y}): {found} vs {expected}"
            );
        }
    }
}

#[test]
fn exif_orientation_applied() {
    let dir = tempfile::tempdir().unwrap();
    // 40x20 stored image: left half white, right half black. EXIF orientation 6 means "rotate
    // 90 degrees clockwise to display", which makes it 20x40 with the white half on top.
    let pixels: Vec<u8> = (0..40 * 20)
        .map(|i| if i % 40 < 20 { 255 } else { 0 })
        .collect();
    let exif_tiff = [
        b'I', b'I', 42, 0, 8, 0, 0, 0, // little-endian TIFF header, first IFD at offset 8
        1, 0, // one IFD entry
        0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, // Orientation (0x0112), SHORT, 1 value: 6
        0, 0, 0, 0, // no next IFD
    ];
    let path = dir.path().join("rotated.jpg");
    let mut encoder = JpegEncoder::new_with_quality(std::fs::File::create(&path).unwrap(), 95);
    encoder.set_exif_metadata(exif_tiff.to_vec()).unwrap();
    encoder
        .write_image(&pixels, 40, 20, ExtendedColorType::L8)
        .unwrap();

    let digit = load_digit(&path, Invert::No).unwrap();

    assert_eq!((digit.source_width, digit.source_height), (20, 40));
    // Padded to 40x40, the white half covers canvas rows 0..20 and columns 10..30.
    let at = |x: usize, y: usize| digit.pixels[y * 28 + x];
    assert!(at(14, 3) > 0.9, "top centre {}", at(14, 3));
    assert!(at(14, 24) < 0.1, "bottom centre {}", at(14, 24));
}

#[test]
fn text_file_named_png_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "digit.png",
        b"this is a text file, not an image\n",
    );

    let message = error_text(load_digit(&path, Invert::Auto));

    let expected = format!(
        "{}: not an image: the content matches no known image format; pass a PNG or JPEG file",
        path.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn empty_file_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "digit.png", &[]);

    let message = error_text(load_digit(&path, Invert::Auto));

    assert!(
        message.starts_with(&format!("{}: not an image", path.display())),
        "{message}"
    );
}

#[test]
fn unsupported_format_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "digit.png",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    );

    let message = error_text(load_digit(&path, Invert::Auto));

    let expected = format!(
        "{}: unsupported image: Gif images are not supported, only PNG, JPEG and BMP; \
         convert it to PNG",
        path.display()
    );
    assert_eq!(message, expected);
}

/// Encodes the MNIST digit in `format` and returns the file bytes.
fn encode_digit(format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::GrayImage::from_raw(28, 28, mnist_digit().to_vec())
        .unwrap()
        .write_to(&mut bytes, format)
        .unwrap();
    bytes.into_inner()
}

#[test]
fn zero_size_image_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let png = png_bytes(0, 28, 8, 0, None, &[]);
    // JPEG: set the height in the SOF0 segment (FF C0, length, precision, height) to zero.
    let mut jpeg = encode_digit(image::ImageFormat::Jpeg);
    let sof = jpeg.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    jpeg[sof + 5..sof + 7].copy_from_slice(&[0, 0]);
    // BMP: set the i32 width in the DIB header to zero.
    let mut bmp = encode_digit(image::ImageFormat::Bmp);
    bmp[18..22].copy_from_slice(&[0; 4]);
    let cases = [
        ("empty.png", png, "0x28"),
        ("empty.jpg", jpeg, "28x0"),
        ("empty.bmp", bmp, "0x28"),
    ];

    for (name, bytes, size) in cases {
        let path = write_file(dir.path(), name, &bytes);

        let message = error_text(load_digit(&path, Invert::Auto));

        let expected = format!(
            "{}: image has zero size ({size}); pass an image with at least one pixel",
            path.display()
        );
        assert_eq!(message, expected);
    }
}

#[test]
fn huge_image_rejected() {
    let dir = tempfile::tempdir().unwrap();
    // The header declares 60000x60000 grey pixels, 3.6 GB decoded.
    let path = write_file(
        dir.path(),
        "huge.png",
        &png_bytes(60_000, 60_000, 8, 0, None, &[0]),
    );

    let message = error_text(load_digit(&path, Invert::Auto));

    assert!(
        message.starts_with(&format!("{}: image too large: ", path.display())),
        "{message}"
    );
    assert!(
        message.ends_with("; scale it down and try again"),
        "{message}"
    );
}

#[test]
fn truncated_png_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let full = save_image(
        dir.path(),
        "full.png",
        mnist_digit(),
        28,
        28,
        ExtendedColorType::L8,
    );
    let bytes = std::fs::read(full).unwrap();
    let path = write_file(dir.path(), "cut.png", &bytes[..bytes.len() / 2]);

    let message = error_text(load_digit(&path, Invert::Auto));

    assert!(
        message.starts_with(&format!("{}: invalid image: ", path.display())),
        "{message}"
    );
    assert!(message.ends_with("; export the image again"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn missing_image_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nothing.png");

    let message = error_text(load_digit(&path, Invert::Auto));

    assert_eq!(
        message,
        format!("{}: file not found; check the path", path.display())
    );
}

#[test]
fn invert_parses_and_displays() {
    for (text, mode) in [
        ("auto", Invert::Auto),
        ("yes", Invert::Yes),
        ("no", Invert::No),
    ] {
        assert_eq!(text.parse::<Invert>().unwrap(), mode);
        assert_eq!(mode.to_string(), text);
    }
    assert_eq!("AUTO".parse::<Invert>().unwrap(), Invert::Auto);

    let error = "maybe".parse::<Invert>().unwrap_err();

    assert_eq!(
        error.to_string(),
        "invalid invert mode 'maybe': expected auto, yes or no"
    );
}

#[test]
fn huge_declared_png_is_rejected_before_decoding() {
    // A PNG header declaring 20000x20000 grey pixels, as a decompression bomb does.
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(13u32.to_be_bytes());
    bytes.extend(b"IHDR");
    bytes.extend(20000u32.to_be_bytes());
    bytes.extend(20000u32.to_be_bytes());
    bytes.extend([8, 0, 0, 0, 0]);
    bytes.extend([0, 0, 0, 0]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, bytes).unwrap();

    let message = ae_data::load_digit(&path, ae_data::Invert::Auto).unwrap_err().to_string();
    assert!(message.contains("image too large"), "{message}");
    assert!(message.contains("20000x20000"), "{message}");
}
