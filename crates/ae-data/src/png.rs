//! Writing of greyscale images and image grids as 8-bit PNG files.

use std::path::Path;

use ::image::codecs::png::PngEncoder;
use ::image::{ExtendedColorType, ImageEncoder};

use crate::atomic::write_atomic;
use crate::error::{Error, Result};

/// Grey level of the gaps between tiles in [`save_grey_grid_png`]. Mid grey contrasts with both
/// the black background and the white strokes of MNIST digits.
pub const GRID_GAP_LEVEL: f32 = 0.5;

/// Writes a `width`x`height` greyscale image as an 8-bit grey PNG, atomically.
///
/// `pixels` is row-major. Each value is clamped to [0, 1] and rounded to the nearest of 0..=255,
/// and NaN becomes 0. Fails if `pixels.len() != width * height` or either side is zero.
pub fn save_grey_png(path: &Path, pixels: &[f32], width: u32, height: u32) -> Result<()> {
    let expected = (width as usize).saturating_mul(height as usize);
    if width == 0 || height == 0 || pixels.len() != expected {
        return Err(Error::PixelCount {
            path: path.to_path_buf(),
            width,
            height,
            expected,
            found: pixels.len(),
        });
    }

    let bytes: Vec<u8> = pixels.iter().map(|&value| to_u8(value)).collect();
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&bytes, width, height, ExtendedColorType::L8)
        .map_err(|error| Error::ImageEncode {
            path: path.to_path_buf(),
            message: error.to_string(),
        })?;
    write_atomic(path, &png)?;

    tracing::debug!(path = %path.display(), width, height, "wrote grey PNG");
    Ok(())
}

/// Writes `tiles` as a grid of greyscale images into one 8-bit grey PNG, atomically.
///
/// Each tile is `tile_width`x`tile_height` values, row-major, converted as in
/// [`save_grey_png`]. Tiles fill rows of `columns` tiles from left to right, top to bottom.
/// `padding` pixels of grey [`GRID_GAP_LEVEL`] separate the tiles and surround the grid, and
/// fill the unused cells of the last row. With `n` tiles the image is
/// `c * tile_width + (c + 1) * padding` wide, where `c = min(columns, n)`, and
/// `r * tile_height + (r + 1) * padding` high, where `r = ceil(n / columns)`.
///
/// Fails if there are no tiles, `columns` or a tile side is zero, a tile has the wrong length,
/// or the grid is too large for a PNG.
pub fn save_grey_grid_png(
    path: &Path,
    tiles: &[&[f32]],
    tile_width: u32,
    tile_height: u32,
    columns: u32,
    padding: u32,
) -> Result<()> {
    let invalid = |reason: String| Error::InvalidGrid {
        path: path.to_path_buf(),
        reason,
    };
    if tiles.is_empty() {
        return Err(invalid("no tiles given".to_string()));
    }
    if columns == 0 || tile_width == 0 || tile_height == 0 {
        return Err(invalid(format!(
            "columns ({columns}), tile width ({tile_width}) and tile height ({tile_height}) \
             must be positive"
        )));
    }
    let tile_len = tile_width as usize * tile_height as usize;
    if let Some((index, tile)) = tiles
        .iter()
        .enumerate()
        .find(|(_, tile)| tile.len() != tile_len)
    {
        return Err(invalid(format!(
            "tile {index} has {} values, expected {tile_width}x{tile_height} = {tile_len}",
            tile.len()
        )));
    }

    let count = tiles.len() as u64;
    let grid_columns = u64::from(columns).min(count);
    let grid_rows = count.div_ceil(u64::from(columns));
    let width = grid_columns * u64::from(tile_width) + (grid_columns + 1) * u64::from(padding);
    let height = grid_rows * u64::from(tile_height) + (grid_rows + 1) * u64::from(padding);
    let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(invalid(format!(
            "grid of {width}x{height} pixels is too large"
        )));
    };

    let mut canvas = vec![GRID_GAP_LEVEL; width as usize * height as usize];
    for (index, tile) in tiles.iter().enumerate() {
        let index = index as u32;
        let left = (padding + (index % columns) * (tile_width + padding)) as usize;
        let top = (padding + (index / columns) * (tile_height + padding)) as usize;
        for (row, tile_row) in tile.chunks_exact(tile_width as usize).enumerate() {
            let start = (top + row) * width as usize + left;
            canvas[start..start + tile_width as usize].copy_from_slice(tile_row);
        }
    }
    save_grey_png(path, &canvas, width, height)
}

/// Converts a value in [0, 1] to a byte, clamping out-of-range values and mapping NaN to 0.
fn to_u8(value: f32) -> u8 {
    if value.is_nan() {
        return 0;
    }
    (value.clamp(0.0, 1.0) * 255.0).round() as u8
}
