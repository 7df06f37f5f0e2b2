//! Int8 quantization: the maths shared by the generator, the kernels and the
//! reference implementations.
//!
//! Weights are quantized symmetrically per output channel `o`:
//!
//! ```text
//! s_w[o] = max_i |W[o, i]| / 127          (1.0 when the row is all zeros)
//! q_w[o, i] = clamp(round(W[o, i] / s_w[o]), -127, 127)
//! ```
//!
//! Activations are quantized per tensor with a scale and a zero point taken
//! from the calibrated range `[min, max]`, widened to contain 0 so that 0.0
//! (ReLU output, convolution padding) is represented exactly:
//!
//! ```text
//! s_x = (max - min) / 255                 (1.0 when max == min)
//! z_x = clamp(round(-128 - min / s_x), -128, 127)
//! q_x = clamp(round(x / s_x) + z_x, -128, 127)
//! ```
//!
//! The kernels store an activation as the centred value `c = q_x - z_x` in an
//! `i16` (range -255..=255). A padded convolution tap is then exactly 0, and
//! the inner loops multiply `c` by `q_w` with no zero-point correction:
//!
//! ```text
//! y[o] = s_w[o] * s_x * sum_i q_w[o, i] * c[i] + b[o]
//! ```
//!
//! The sum is an `i32`: `|q_w * c| <= 127 * 255`, so rows of up to
//! [`MAX_ROW_LEN_I8`] products cannot overflow.
//!
//! Rounding: weights and zero points, computed once by the generator, round
//! half away from zero (`libm::roundf`). Activations, quantized on every
//! encode, round half to even (as ONNX QuantizeLinear does) with two float
//! additions, because `libm::roundf` costs about 20 instructions per value on
//! a Cortex-M4.

/// Maximum int8 dot-product length (weights per output) that cannot
/// overflow the `i32` accumulator: `floor((2^31 - 1) / (127 * 255))`.
pub const MAX_ROW_LEN_I8: usize = 66_311;

/// Scale and zero point of a per-tensor int8 activation quantization.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantParams {
    /// Real value of one quantization step.
    pub scale: f32,
    /// Quantized value that represents 0.0, in -128..=127.
    pub zero_point: i32,
}

impl QuantParams {
    /// Computes the parameters that map `[min, max]`, widened to contain 0,
    /// onto -128..=127.
    pub fn from_min_max(min: f32, max: f32) -> Self {
        let min = if min < 0.0 { min } else { 0.0 };
        let max = if max > 0.0 { max } else { 0.0 };
        let range = max - min;
        let scale = if range > 0.0 { range / 255.0 } else { 1.0 };
        let zero_point = libm::roundf(-128.0 - min / scale) as i32;
        QuantParams {
            scale,
            zero_point: zero_point.clamp(-128, 127),
        }
    }

    /// Quantizes one value and returns it centred on the zero point (`q - z`).
    #[inline]
    pub fn quantize_centred(self, x: f32) -> i16 {
        // Past 2^22 steps the rounding is inexact, but any value beyond
        // -256..=255 steps saturates anyway. The cast saturates too, and
        // turns NaN into 0.
        let steps = round_ties_even(x / self.scale) as i32;
        let q = steps.clamp(-256, 255) + self.zero_point;
        (q.clamp(-128, 127) - self.zero_point) as i16
    }

    /// Converts a centred quantized value back to a real value.
    #[inline]
    pub fn dequantize_centred(self, centred: i16) -> f32 {
        centred as f32 * self.scale
    }
}

/// Rounds `x` to the nearest integer, ties to even, for `|x| <= 2^22`.
/// Adding 1.5 * 2^23 leaves no fraction bits, so the addition rounds in the
/// default IEEE mode, and subtracting it again is exact.
#[inline(always)]
fn round_ties_even(x: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    (x + SHIFT) - SHIFT
}

/// Computes the symmetric scale `max |w| / 127` of one output channel's
/// weights (1.0 for an all-zero channel, so that dividing by it is safe).
pub fn weight_scale(row: &[f32]) -> f32 {
    let max_abs = row
        .iter()
        .fold(0.0f32, |max, w| if w.abs() > max { w.abs() } else { max });
    if max_abs > 0.0 {
        max_abs / 127.0
    } else {
        1.0
    }
}

/// Quantizes one weight with its channel's scale to -127..=127.
#[inline]
pub fn quantize_weight(w: f32, scale: f32) -> i8 {
    (libm::roundf(w / scale) as i32).clamp(-127, 127) as i8
}

/// Reorders int8 weight rows of `row_len` values into the layout that the
/// fast int8 kernels read, writing into `packed`.
///
/// Each group of four weights `[w0, w1, w2, w3]` is stored as
/// `[w0, w2, w1, w3]`. Read as a little-endian word, SXTB16 then yields the
/// 16-bit pair `(w0, w1)` and SXTB16 with an 8-bit rotation yields
/// `(w2, w3)`, which line up with the activation pairs `(c0, c1)` and
/// `(c2, c3)` for SMLAD. The last `row_len % 4` weights of a row keep their
/// order.
///
/// # Panics
/// If `natural` and `packed` differ in length or are not a whole number of
/// rows.
pub fn pack_weights_i8(row_len: usize, natural: &[i8], packed: &mut [i8]) {
    assert_eq!(
        natural.len(),
        packed.len(),
        "packed weights must have the same length"
    );
    assert!(
        row_len > 0 && natural.len().is_multiple_of(row_len),
        "weights are not whole rows"
    );

    for (src, dst) in natural
        .chunks_exact(row_len)
        .zip(packed.chunks_exact_mut(row_len))
    {
        let (src_groups, src_tail) = src.as_chunks::<4>();
        let (dst_groups, dst_tail) = dst.as_chunks_mut::<4>();
        for (s, d) in src_groups.iter().zip(dst_groups.iter_mut()) {
            *d = [s[0], s[2], s[1], s[3]];
        }
        dst_tail.copy_from_slice(src_tail);
    }
}

/// Rescales an int8 accumulator to a real value and adds the bias. The fast
/// and the reference kernels share it so that both round identically.
#[inline(always)]
pub(crate) fn rescale(acc: i32, scale: f32, bias: f32) -> f32 {
    acc as f32 * scale + bias
}
