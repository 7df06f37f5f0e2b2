//! The reconstruction grid: a row of original test images, then one row per runtime with its
//! reconstructions of the same images, for each model.

use std::path::Path;

use crate::{Error, Result};

/// Side of an MNIST image in pixels.
const SIDE: u32 = 28;

/// Grey pixels between tiles.
const PADDING: u32 = 2;

/// Writes `rows` (label and `columns` images of 28x28 pixels back to back) as one greyscale
/// PNG, atomically, and returns the labels in row order.
pub fn write_grid(path: &Path, rows: &[(String, Vec<f32>)], columns: usize) -> Result<Vec<String>> {
    let image_len = (SIDE * SIDE) as usize;
    let invalid = |message: String| Error::Write {
        path: path.to_path_buf(),
        message,
    };
    if rows.is_empty() || columns == 0 {
        return Err(invalid(
            "no reconstructions to show: the grid needs a whole graph measured at one thread"
                .into(),
        ));
    }

    let mut tiles: Vec<&[f32]> = Vec::with_capacity(rows.len() * columns);
    for (label, pixels) in rows {
        if pixels.len() != columns * image_len {
            return Err(invalid(format!(
                "row `{label}` has {} pixels, expected {columns} images of {image_len}",
                pixels.len()
            )));
        }
        tiles.extend(pixels.chunks_exact(image_len));
    }
    ae_data::save_grey_grid_png(path, &tiles, SIDE, SIDE, columns as u32, PADDING)?;
    Ok(rows.iter().map(|(label, _)| label.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_must_be_full() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("grid.png");
        let rows = vec![
            ("original".to_string(), vec![0.5; 2 * 784]),
            ("tract".to_string(), vec![0.5; 784]),
        ];
        let error = write_grid(&path, &rows, 2).unwrap_err();
        assert!(
            error.to_string().contains("row `tract` has 784 pixels"),
            "{error}"
        );
        assert!(!path.exists());

        let labels = write_grid(&path, &rows[..1], 2).unwrap();
        assert_eq!(labels, ["original"]);
        assert!(path.is_file());
    }
}
