//! The Markdown summary of a report that `ae-bench` prints on stdout.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::report::{Report, TargetResult};

/// Placeholder for a figure that was not measured.
const NONE: &str = "-";

/// Number of nodes listed per graph in the activation table.
const NODES_LISTED: usize = 3;

/// Renders the report as Markdown: the machine and settings, one table row per target, and
/// the subnormal counts.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    write_header(&mut out, report);
    write_targets(&mut out, report);
    write_subnormals(&mut out, report);
    if !report.grid_rows.is_empty() {
        out.push_str("\nReconstruction grid rows, top to bottom: ");
        out.push_str(&report.grid_rows.join(", "));
        out.push_str(".\n");
    }
    out
}

fn write_header(out: &mut String, report: &Report) {
    let system = &report.system;
    let settings = &report.settings;
    let versions: BTreeSet<&str> = report
        .targets
        .iter()
        .map(|target| target.version.as_str())
        .filter(|version| !version.is_empty())
        .collect();

    let _ = writeln!(out, "# {}\n", report.tool);
    let _ = writeln!(
        out,
        "- CPU: {} ({} logical CPUs, {}); allocator {}; debug assertions {}",
        system.cpu_model,
        system.logical_cpus,
        system.os,
        settings.allocator,
        if settings.debug_assertions {
            "on"
        } else {
            "off"
        }
    );
    let _ = writeln!(
        out,
        "- Runtimes: {}",
        versions.into_iter().collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(
        out,
        "- Latency: batch 1, {} timed calls per target after {} warm-up calls, in visits of \
         {} calls. Visits of all targets interleave in a shuffled order, and each visit starts \
         with one more call, reported as cold p50, since other runtimes ran before it",
        settings.timed_calls, settings.warmup_calls, settings.block_calls
    );
    let _ = writeln!(
        out,
        "- Throughput: batch {}, {} timed calls per target after one warm-up call",
        settings.throughput_batch, settings.throughput_calls
    );
    let reference = match &report.reference {
        Some(reference) => format!("{} ({})", reference.backend, reference.denormals),
        None => "none".to_string(),
    };
    let _ = writeln!(
        out,
        "- Error figures: {} test images at one thread; max abs diff against {reference}",
        settings.quality_images
    );
    if settings.load_repeats > 0 {
        let _ = writeln!(
            out,
            "- Load: file to first batch-1 result, median of {} fresh processes; peak memory is \
             the rise of VmHWM over the resident size before loading",
            settings.load_repeats
        );
    }
    for status in report.backends.iter().filter(|status| !status.available) {
        let reason = status.reason.as_deref().unwrap_or("unavailable");
        let _ = writeln!(out, "- Skipped {}: {reason}", status.backend);
    }
    out.push('\n');
}

fn write_targets(out: &mut String, report: &Report) {
    out.push_str(
        "| model | graph | runtime | threads | denormals | p50 µs | p90 µs | p99 µs | mean µs \
         | cold p50 µs | images/s | load ms | load MiB | MSE | PSNR dB | max abs diff |\n",
    );
    out.push_str(
        "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: \
         | ---: | ---: | ---: |\n",
    );
    for target in &report.targets {
        let _ = writeln!(out, "{}", target_row(target));
    }
    let failed: Vec<&TargetResult> = report
        .targets
        .iter()
        .filter(|target| target.error.is_some())
        .collect();
    if !failed.is_empty() {
        out.push('\n');
        for target in failed {
            let _ = writeln!(
                out,
                "- {} {} {} ({} thread(s), {}): {}",
                target.model,
                target.graph,
                target.backend,
                target.threads,
                target.denormals,
                target.error.as_deref().unwrap_or_default()
            );
        }
    }
}

fn target_row(target: &TargetResult) -> String {
    let latency = |value: fn(&crate::stats::LatencySummary) -> f64| {
        target
            .latency
            .as_ref()
            .map_or(NONE.to_string(), |summary| format!("{:.1}", value(summary)))
    };
    let cold = target
        .cold_latency
        .as_ref()
        .map_or(NONE.to_string(), |summary| format!("{:.1}", summary.p50_us));
    let throughput = target
        .throughput
        .as_ref()
        .map_or(NONE.to_string(), |t| format!("{:.0}", t.images_per_second));
    let load_ms = target
        .load
        .as_ref()
        .map_or(NONE.to_string(), |load| format!("{:.1}", load.load_ms));
    let load_mib = target
        .load
        .as_ref()
        .and_then(|load| load.peak_rss_delta_kib)
        .map_or(NONE.to_string(), |kib| {
            format!("{:.1}", kib as f64 / 1024.0)
        });
    let quality = target.quality.as_ref();
    let mse = quality
        .and_then(|q| q.mse)
        .map_or(NONE.to_string(), |mse| format!("{mse:.7}"));
    let psnr = quality
        .and_then(|q| q.psnr_db)
        .map_or(NONE.to_string(), |psnr| format!("{psnr:.2}"));
    let max_diff = quality
        .and_then(|q| q.max_abs_diff)
        .map_or(NONE.to_string(), format_difference);

    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        target.model,
        target.graph,
        target.backend,
        target.threads,
        target.denormals,
        latency(|s| s.p50_us),
        latency(|s| s.p90_us),
        latency(|s| s.p99_us),
        latency(|s| s.mean_us),
        cold,
        throughput,
        load_ms,
        load_mib,
        mse,
        psnr,
        max_diff
    )
}

fn format_difference(difference: f64) -> String {
    if difference == 0.0 {
        "0".to_string()
    } else {
        format!("{difference:.1e}")
    }
}

fn write_subnormals(out: &mut String, report: &Report) {
    if !report.weights.is_empty() {
        out.push_str("\n| graph file | weights | subnormal weights |\n| --- | ---: | ---: |\n");
        for count in &report.weights {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                count.path.display(),
                count.values,
                count.subnormal
            );
        }
    }
    if !report.activations.is_empty() {
        out.push_str(
            "\n| graph file | images | intermediate values | subnormal | nodes with the most |\n\
             | --- | ---: | ---: | ---: | --- |\n",
        );
        for count in &report.activations {
            let mut nodes: Vec<_> = count
                .nodes
                .iter()
                .filter(|node| node.subnormal > 0)
                .collect();
            nodes.sort_by_key(|node| std::cmp::Reverse(node.subnormal));
            let listed: Vec<String> = nodes
                .iter()
                .take(NODES_LISTED)
                .map(|node| format!("{}: {}", node.name, node.subnormal))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                count.path.display(),
                count.images,
                count.values,
                count.subnormal,
                if listed.is_empty() {
                    NONE.to_string()
                } else {
                    listed.join("; ")
                }
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_formats() {
        assert_eq!(format_difference(0.0), "0");
        assert_eq!(format_difference(1.25e-7), "1.2e-7");
    }
}
