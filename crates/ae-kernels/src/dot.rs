//! Dot products of weight rows with one activation vector: the inner loops
//! that every fast kernel runs.
//!
//! The f32 loops add `w[j] * x[j]` to a zero accumulator for `j` in order,
//! with the product rounded before the addition. The Cortex-M4 assembly
//! (`vmla.f32`, which rounds the product too) follows the same order, so both
//! builds return bit-identical sums. The int8 loops are exact in `i32`.

/// Returns the dot products of four f32 rows with `x`.
///
/// # Panics
/// If a row's length differs from `x.len()`.
#[inline]
pub(crate) fn dot4_f32(rows: [&[f32]; 4], x: &[f32]) -> [f32; 4] {
    let n = x.len();
    for row in rows {
        assert_eq!(row.len(), n, "weight row length");
    }

    let mut acc = [0.0f32; 4];
    let groups = n / 4;
    let done = groups_f32(rows, x, groups, &mut acc);
    for j in done..n {
        for (a, row) in acc.iter_mut().zip(rows) {
            *a += row[j] * x[j];
        }
    }
    acc
}

/// Returns the dot product of one f32 row with `x`.
#[inline]
pub(crate) fn dot1_f32(row: &[f32], x: &[f32]) -> f32 {
    assert_eq!(row.len(), x.len(), "weight row length");
    let mut acc = 0.0f32;
    for (w, v) in row.iter().zip(x) {
        acc += w * v;
    }
    acc
}

/// Adds the first `groups * 4` products of each row to `acc` and returns how
/// many columns it consumed.
#[cfg(not(feature = "cortex-m4"))]
#[inline(always)]
fn groups_f32(rows: [&[f32]; 4], x: &[f32], groups: usize, acc: &mut [f32; 4]) -> usize {
    let n = groups * 4;
    let (xs, _) = x[..n].as_chunks::<4>();
    let (r0, _) = rows[0][..n].as_chunks::<4>();
    let (r1, _) = rows[1][..n].as_chunks::<4>();
    let (r2, _) = rows[2][..n].as_chunks::<4>();
    let (r3, _) = rows[3][..n].as_chunks::<4>();
    let [mut a0, mut a1, mut a2, mut a3] = *acc;
    for ((((x, w0), w1), w2), w3) in xs.iter().zip(r0).zip(r1).zip(r2).zip(r3) {
        for k in 0..4 {
            a0 += w0[k] * x[k];
            a1 += w1[k] * x[k];
            a2 += w2[k] * x[k];
            a3 += w3[k] * x[k];
        }
    }
    *acc = [a0, a1, a2, a3];
    n
}

/// Cortex-M4F version of the loop above: per four columns, five VLDM loads
/// and sixteen VMLA, about 1.4 instructions per multiply-add.
#[cfg(feature = "cortex-m4")]
#[inline(always)]
fn groups_f32(rows: [&[f32]; 4], x: &[f32], groups: usize, acc: &mut [f32; 4]) -> usize {
    if groups == 0 {
        return 0;
    }
    let n = groups * 4;
    assert!(x.len() >= n && rows.iter().all(|row| row.len() >= n));

    // SAFETY: each pointer is valid for `n` f32 reads (checked above) and
    // `acc` for four f32 reads and writes. The block saves and restores every
    // FPU register it uses, because rustc on stable cannot name FPU registers
    // as operands for this target.
    unsafe {
        core::arch::asm!(
            "vpush {{s0-s23}}",
            "vldmia {acc}, {{s0-s3}}",
            "2:",
            "vldmia {x}!, {{s4-s7}}",
            "vldmia {w0}!, {{s8-s11}}",
            "vldmia {w1}!, {{s12-s15}}",
            "vldmia {w2}!, {{s16-s19}}",
            "vldmia {w3}!, {{s20-s23}}",
            "vmla.f32 s0, s8, s4",
            "vmla.f32 s1, s12, s4",
            "vmla.f32 s2, s16, s4",
            "vmla.f32 s3, s20, s4",
            "vmla.f32 s0, s9, s5",
            "vmla.f32 s1, s13, s5",
            "vmla.f32 s2, s17, s5",
            "vmla.f32 s3, s21, s5",
            "vmla.f32 s0, s10, s6",
            "vmla.f32 s1, s14, s6",
            "vmla.f32 s2, s18, s6",
            "vmla.f32 s3, s22, s6",
            "vmla.f32 s0, s11, s7",
            "vmla.f32 s1, s15, s7",
            "vmla.f32 s2, s19, s7",
            "vmla.f32 s3, s23, s7",
            "subs {n}, {n}, #1",
            "bne 2b",
            "vstmia {acc}, {{s0-s3}}",
            "vpop {{s0-s23}}",
            acc = in(reg) acc.as_mut_ptr(),
            x = inout(reg) x.as_ptr() => _,
            w0 = inout(reg) rows[0].as_ptr() => _,
            w1 = inout(reg) rows[1].as_ptr() => _,
            w2 = inout(reg) rows[2].as_ptr() => _,
            w3 = inout(reg) rows[3].as_ptr() => _,
            n = inout(reg) groups => _,
        );
    }
    n
}

/// Returns the dot products of two packed int8 rows (see
/// [`crate::quant::pack_weights_i8`]) with centred activations `x`.
///
/// # Panics
/// If a row's length differs from `x.len()`.
#[inline]
pub(crate) fn dot2_i8(rows: [&[i8]; 2], x: &[i16]) -> [i32; 2] {
    let n = x.len();
    for row in rows {
        assert_eq!(row.len(), n, "weight row length");
    }

    let mut acc = [0i32; 2];
    let groups = n / 4;
    let done = groups_i8(rows, x, groups, &mut acc);
    for j in done..n {
        for (a, row) in acc.iter_mut().zip(rows) {
            *a += row[j] as i32 * x[j] as i32;
        }
    }
    acc
}

/// Returns the dot product of one packed int8 row with centred activations.
#[inline]
pub(crate) fn dot1_i8(row: &[i8], x: &[i16]) -> i32 {
    assert_eq!(row.len(), x.len(), "weight row length");
    let (groups, tail) = row.as_chunks::<4>();
    let (xs, x_tail) = x.as_chunks::<4>();
    let mut acc = 0i32;
    for (w, x) in groups.iter().zip(xs) {
        acc += packed_group_dot(w, x);
    }
    for (w, x) in tail.iter().zip(x_tail) {
        acc += *w as i32 * *x as i32;
    }
    acc
}

/// Dot product of one packed group `[w0, w2, w1, w3]` with `[c0, c1, c2, c3]`.
#[inline(always)]
fn packed_group_dot(w: &[i8; 4], x: &[i16; 4]) -> i32 {
    w[0] as i32 * x[0] as i32
        + w[2] as i32 * x[1] as i32
        + w[1] as i32 * x[2] as i32
        + w[3] as i32 * x[3] as i32
}

#[cfg(not(feature = "cortex-m4"))]
#[inline(always)]
fn groups_i8(rows: [&[i8]; 2], x: &[i16], groups: usize, acc: &mut [i32; 2]) -> usize {
    let n = groups * 4;
    let (xs, _) = x[..n].as_chunks::<4>();
    let (r0, _) = rows[0][..n].as_chunks::<4>();
    let (r1, _) = rows[1][..n].as_chunks::<4>();
    for ((x, w0), w1) in xs.iter().zip(r0).zip(r1) {
        acc[0] += packed_group_dot(w0, x);
        acc[1] += packed_group_dot(w1, x);
    }
    n
}

/// Cortex-M4 version of the loop above: per four columns of two rows, three
/// word loads, four SXTB16 and four SMLAD, 1.75 instructions per
/// multiply-add with the loop branch.
#[cfg(feature = "cortex-m4")]
#[inline(always)]
fn groups_i8(rows: [&[i8]; 2], x: &[i16], groups: usize, acc: &mut [i32; 2]) -> usize {
    if groups == 0 {
        return 0;
    }
    let n = groups * 4;
    assert!(x.len() >= n && rows.iter().all(|row| row.len() >= n));

    let [mut a0, mut a1] = *acc;
    // SAFETY: each pointer is valid for `n` element reads (checked above).
    // ARMv7-M allows unaligned LDR, so the rows need no particular alignment.
    unsafe {
        core::arch::asm!(
            "2:",
            "ldr {x01}, [{x}], #4",
            "ldr {x23}, [{x}], #4",
            "ldr {w}, [{p0}], #4",
            "sxtb16 {t}, {w}",
            "sxtb16 {w}, {w}, ror #8",
            "smlad {a0}, {t}, {x01}, {a0}",
            "smlad {a0}, {w}, {x23}, {a0}",
            "ldr {w}, [{p1}], #4",
            "sxtb16 {t}, {w}",
            "sxtb16 {w}, {w}, ror #8",
            "smlad {a1}, {t}, {x01}, {a1}",
            "smlad {a1}, {w}, {x23}, {a1}",
            "subs {n}, {n}, #1",
            "bne 2b",
            x = inout(reg) x.as_ptr() => _,
            p0 = inout(reg) rows[0].as_ptr() => _,
            p1 = inout(reg) rows[1].as_ptr() => _,
            n = inout(reg) groups => _,
            a0 = inout(reg) a0,
            a1 = inout(reg) a1,
            x01 = out(reg) _,
            x23 = out(reg) _,
            w = out(reg) _,
            t = out(reg) _,
            options(nostack, readonly),
        );
    }
    *acc = [a0, a1];
    n
}

/// Calls `store(row, dot(row weights, x))` for every row of the row-major
/// f32 matrix `weights`, four rows at a time.
#[inline(always)]
pub(crate) fn matvec_f32(weights: &[f32], x: &[f32], mut store: impl FnMut(usize, f32)) {
    let n = x.len();
    assert!(n > 0, "empty input vector");
    let (blocks, rest) = weights.split_at(weights.len() / (4 * n) * 4 * n);

    for (b, block) in blocks.chunks_exact(4 * n).enumerate() {
        let (r0, r) = block.split_at(n);
        let (r1, r) = r.split_at(n);
        let (r2, r3) = r.split_at(n);
        let acc = dot4_f32([r0, r1, r2, r3], x);
        for (k, value) in acc.into_iter().enumerate() {
            store(4 * b + k, value);
        }
    }

    let first = blocks.len() / n;
    for (k, row) in rest.chunks_exact(n).enumerate() {
        store(first + k, dot1_f32(row, x));
    }
}

/// Calls `store(row, dot(row weights, x))` for every row of the packed int8
/// matrix `weights`, two rows at a time.
#[inline(always)]
pub(crate) fn matvec_i8(weights: &[i8], x: &[i16], mut store: impl FnMut(usize, i32)) {
    let n = x.len();
    assert!(n > 0, "empty input vector");
    let (blocks, rest) = weights.split_at(weights.len() / (2 * n) * 2 * n);

    for (b, block) in blocks.chunks_exact(2 * n).enumerate() {
        let (r0, r1) = block.split_at(n);
        let acc = dot2_i8([r0, r1], x);
        store(2 * b, acc[0]);
        store(2 * b + 1, acc[1]);
    }

    let first = blocks.len() / n;
    for (k, row) in rest.chunks_exact(n).enumerate() {
        store(first + k, dot1_i8(row, x));
    }
}
