//! Summary statistics of latency samples: mean and nearest-rank percentiles.

use serde::{Deserialize, Serialize};

/// Summary of one target's timed calls, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Number of timed calls.
    pub calls: usize,
    /// Arithmetic mean.
    pub mean_us: f64,
    /// Median (50th percentile).
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Fastest call.
    pub min_us: f64,
    /// Slowest call.
    pub max_us: f64,
}

/// Summarizes call durations given in nanoseconds. Returns `None` for no samples.
pub fn summarize(samples_ns: &[u64]) -> Option<LatencySummary> {
    if samples_ns.is_empty() {
        return None;
    }
    let mut sorted = samples_ns.to_vec();
    sorted.sort_unstable();

    let total: f64 = sorted.iter().map(|&ns| ns as f64).sum();
    let to_us = |ns: u64| ns as f64 / 1000.0;
    Some(LatencySummary {
        calls: sorted.len(),
        mean_us: total / sorted.len() as f64 / 1000.0,
        p50_us: to_us(percentile(&sorted, 50.0)),
        p90_us: to_us(percentile(&sorted, 90.0)),
        p99_us: to_us(percentile(&sorted, 99.0)),
        min_us: to_us(sorted[0]),
        max_us: to_us(sorted[sorted.len() - 1]),
    })
}

/// Returns the nearest-rank percentile `p` (0 < p <= 100) of ascending `sorted` samples: the
/// smallest sample such that at least `p` percent of the samples are less than or equal to it,
/// that is the sample at 1-based rank `ceil(p / 100 * n)`.
///
/// Panics if `sorted` is empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    assert!(!sorted.is_empty(), "percentile of no samples");
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Images per second of `calls` calls at `batch` images each that took `total_ns` in all.
pub fn images_per_second(batch: usize, samples_ns: &[u64]) -> f64 {
    let total_ns: u64 = samples_ns.iter().sum();
    if total_ns == 0 {
        return 0.0;
    }
    (batch * samples_ns.len()) as f64 / (total_ns as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nearest-rank percentile computed by counting, as its definition reads.
    fn percentile_by_counting(samples: &[u64], p: f64) -> u64 {
        let mut candidates = samples.to_vec();
        candidates.sort_unstable();
        *candidates
            .iter()
            .find(|&&value| {
                let at_or_below = samples.iter().filter(|&&sample| sample <= value).count();
                at_or_below as f64 >= p / 100.0 * samples.len() as f64
            })
            .unwrap()
    }

    #[test]
    fn percentile_matches_definition() {
        let samples: Vec<u64> = (0..997u64).map(|i| (i * 7919) % 1013).collect();
        let mut sorted = samples.clone();
        sorted.sort_unstable();
        for p in [1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
            assert_eq!(
                percentile(&sorted, p),
                percentile_by_counting(&samples, p),
                "p{p}"
            );
        }
    }

    #[test]
    fn summarize_small_sample() {
        let summary = summarize(&[4000, 1000, 3000, 2000]).unwrap();
        assert_eq!(summary.calls, 4);
        assert_eq!(summary.mean_us, 2.5);
        assert_eq!(summary.p50_us, 2.0);
        assert_eq!(summary.p90_us, 4.0);
        assert_eq!(summary.p99_us, 4.0);
        assert_eq!(summary.min_us, 1.0);
        assert_eq!(summary.max_us, 4.0);
    }

    #[test]
    fn summarize_empty_is_none() {
        assert!(summarize(&[]).is_none());
    }

    #[test]
    fn images_per_second_counts_all_calls() {
        // Two calls of 64 images in 0.5 s in all.
        assert_eq!(images_per_second(64, &[200_000_000, 300_000_000]), 256.0);
        assert_eq!(images_per_second(64, &[]), 0.0);
    }
}
