//! Shape helpers for the ONNX translation.

/// Resolves an ONNX Reshape target whose first entry is the batch (0 to copy
/// it, or -1 with every other entry fixed) into a per-image shape.
pub(super) fn reshape_target(target: &[i64], count: usize, allow_zero: bool) -> Option<Vec<usize>> {
    let (&first, rest) = target.split_first()?;
    let rest_has_infer = rest.contains(&-1);
    let batch_ok = (first == 0 && !allow_zero) || (first == -1 && !rest_has_infer);
    if !batch_ok
        || rest.iter().any(|&d| d < -1 || (d == 0 && allow_zero))
        || rest.iter().filter(|&&d| d == -1).count() > 1
    {
        return None;
    }
    // NOTE: a 0 after the first entry copies an input dimension in ONNX, but the
    // per-image shape does not track that, so it is rejected.
    if rest.contains(&0) {
        return None;
    }
    let known: usize = rest
        .iter()
        .filter(|&&d| d > 0)
        .map(|&d| d as usize)
        .product();
    let shape: Vec<usize> = rest
        .iter()
        .map(|&d| {
            if d == -1 {
                count.checked_div(known).unwrap_or(0)
            } else {
                d as usize
            }
        })
        .collect();
    (shape.iter().product::<usize>() == count && count > 0).then_some(shape)
}

pub(super) fn to_usizes<const N: usize>(values: &[i64]) -> Result<[usize; N], ()> {
    let converted: Vec<usize> = values
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| ()))
        .collect::<Result<_, _>>()?;
    converted.try_into().map_err(|_| ())
}

pub(super) fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

pub(super) fn broadcast(values: &[f32], len: usize) -> Option<Vec<f32>> {
    match values.len() {
        1 => Some(vec![values[0]; len]),
        n if n == len => Some(values.to_vec()),
        _ => None,
    }
}
