//! Area-averaging resize of a greyscale image onto a square, padded canvas.

/// Weights that produce one output pixel along one axis.
struct Taps {
    /// Source pixel index and weight, for source pixels that overlap the output pixel.
    source: Vec<(usize, f32)>,
    /// Total weight of the padding that overlaps the output pixel.
    padding: f32,
}

/// Centres a `width`x`height` image on a square canvas filled with `background`, then resizes the
/// canvas to `side`x`side` by area averaging.
///
/// The canvas side is `max(width, height)`. When the padding is odd, the extra row or column
/// goes to the bottom or right. Each output pixel is the mean of the canvas area it covers,
/// with partly covered canvas pixels weighted by the covered fraction. A canvas already
/// `side`x`side` is returned unchanged.
pub(crate) fn pad_and_resize(
    luma: &[f32],
    width: usize,
    height: usize,
    background: f32,
    side: usize,
) -> Vec<f32> {
    debug_assert_eq!(luma.len(), width * height);
    let canvas = width.max(height);
    let column_taps = axis_taps(canvas, (canvas - width) / 2, width, side);
    let row_taps = axis_taps(canvas, (canvas - height) / 2, height, side);

    // Horizontal pass: each source row becomes `side` values.
    let mut rows = vec![0.0f32; height * side];
    for y in 0..height {
        let source_row = &luma[y * width..(y + 1) * width];
        for (x_out, taps) in column_taps.iter().enumerate() {
            rows[y * side + x_out] = apply(taps, |x| source_row[x], background);
        }
    }

    // Vertical pass over the canvas. A padding row is `background` everywhere, and stays so
    // after the horizontal pass because the weights of each output pixel sum to 1.
    let mut out = vec![0.0f32; side * side];
    for (y_out, taps) in row_taps.iter().enumerate() {
        for x_out in 0..side {
            out[y_out * side + x_out] = apply(taps, |y| rows[y * side + x_out], background);
        }
    }
    out
}

fn apply(taps: &Taps, value: impl Fn(usize) -> f32, background: f32) -> f32 {
    let source: f32 = taps
        .source
        .iter()
        .map(|&(index, weight)| weight * value(index))
        .sum();
    source + taps.padding * background
}

/// Computes, for each of `out` output pixels, the weights of the canvas pixels it covers.
///
/// Output pixel `o` covers canvas interval `[o * s, (o + 1) * s)` with `s = canvas / out`. Canvas
/// pixel `k` covers `[k, k + 1)` and gets weight `overlap / s`. Canvas pixels in
/// `[offset, offset + len)` are image pixels, the rest are padding.
fn axis_taps(canvas: usize, offset: usize, len: usize, out: usize) -> Vec<Taps> {
    let scale = canvas as f64 / out as f64;
    (0..out)
        .map(|o| {
            let start = (o * canvas) as f64 / out as f64;
            let end = ((o + 1) * canvas) as f64 / out as f64;
            let mut taps = Taps {
                source: Vec::new(),
                padding: 0.0,
            };
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(canvas);
            for k in first..last {
                let overlap = end.min(k as f64 + 1.0) - start.max(k as f64);
                if overlap <= 0.0 {
                    continue;
                }
                let weight = (overlap / scale) as f32;
                if (offset..offset + len).contains(&k) {
                    taps.source.push((k - offset, weight));
                } else {
                    taps.padding += weight;
                }
            }
            taps
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_size_is_identity() {
        let image: Vec<f32> = (0..16).map(|i| i as f32 / 15.0).collect();

        let out = pad_and_resize(&image, 4, 4, 0.5, 4);

        assert_eq!(out, image);
    }

    #[test]
    fn halving_averages_blocks() {
        let image = [0.0, 1.0, 0.2, 0.2, 1.0, 0.0, 0.4, 0.4];

        let out = pad_and_resize(&image, 4, 2, 0.0, 2);

        // Canvas is 4x4 with one padding row above and one below the image.
        let expected = [0.25, 0.1, 0.25, 0.2];
        for (o, e) in out.iter().zip(expected) {
            assert!((o - e).abs() < 1e-6, "{out:?} vs {expected:?}");
        }
    }

    #[test]
    fn weights_sum_to_one() {
        for (canvas, out) in [(100, 28), (28, 28), (7, 28), (4000, 28), (29, 28)] {
            for taps in axis_taps(canvas, 0, canvas, out) {
                let total: f32 = taps.source.iter().map(|t| t.1).sum::<f32>() + taps.padding;
                assert!(
                    (total - 1.0).abs() < 1e-5,
                    "canvas {canvas} out {out}: {total}"
                );
            }
        }
    }
}
