//! Structure, error figures and output files of one `ae-bench --quick` run on the shipped
//! models and the PyTorch conv export. Nothing here checks a duration's size, only counts,
//! order and errors.

mod common;

use ae_bench::report::TargetResult;
use ae_bench::{Backend, DenormalMode, GraphKind};
use common::{quick_run, workspace_root, PYTORCH_MODEL};
use tract_onnx::prelude::Framework;

/// Timed calls per target in quick mode, the `--calls` default under `--quick`.
const QUICK_CALLS: usize = 100;

/// Timed batch calls per target in quick mode.
const QUICK_BATCH_CALLS: usize = 3;

/// Max abs difference allowed between an f32 runtime's outputs and the reference runtime's.
/// Latent codes reach about 30, where runtimes that sum in different orders differ by a few
/// ulps (about 2e-6 each).
const RUNTIME_TOLERANCE: f64 = 1e-4;

fn targets<'a>(model: &'a str, graph: GraphKind) -> impl Iterator<Item = &'a TargetResult> + 'a {
    quick_run()
        .report
        .targets
        .iter()
        .filter(move |target| target.model == model && target.graph == graph)
}

fn find(
    model: &str,
    graph: GraphKind,
    backend: Backend,
    threads: usize,
    mode: DenormalMode,
) -> &'static TargetResult {
    quick_run()
        .report
        .targets
        .iter()
        .find(|target| {
            target.model == model
                && target.graph == graph
                && target.backend == backend
                && target.threads == threads
                && target.denormals == mode
        })
        .unwrap_or_else(|| panic!("no target {model} {graph} {backend} {threads} {mode}"))
}

#[test]
fn ort_is_available() {
    let status = quick_run()
        .report
        .backends
        .iter()
        .find(|status| status.backend == Backend::Ort)
        .expect("ort is requested by default");
    assert!(
        status.available,
        "ONNX Runtime is missing ({:?}): run scripts/setup-onnxruntime.sh",
        status.reason
    );
}

#[test]
fn every_target_is_present() {
    let report = &quick_run().report;
    let modes = [DenormalMode::Flush, DenormalMode::Keep];
    for model in ["linear", "conv"] {
        for graph in [GraphKind::Whole, GraphKind::Encoder] {
            for backend in [Backend::Tract, Backend::Ort, Backend::Candle] {
                for mode in modes {
                    find(model, graph, backend, 1, mode);
                }
            }
            for backend in [Backend::NativeF32, Backend::NativeInt8] {
                let present = targets(model, graph).any(|target| target.backend == backend);
                assert_eq!(
                    present,
                    graph == GraphKind::Encoder,
                    "{model} {graph} {backend}"
                );
            }
        }
    }
    for mode in modes {
        find(PYTORCH_MODEL, GraphKind::Whole, Backend::Ort, 1, mode);
    }

    for status in &report.backends {
        let measured = report.targets.iter().any(|t| t.backend == status.backend);
        assert_eq!(measured, status.available, "{:?}", status);
    }
    let failed: Vec<_> = report
        .targets
        .iter()
        .filter(|t| t.error.is_some())
        .collect();
    assert!(failed.is_empty(), "targets failed: {failed:#?}");
}

#[test]
fn multithreaded_targets_are_ort_and_candle() {
    let report = &quick_run().report;
    let cpus = report.system.logical_cpus;
    assert_eq!(report.settings.thread_counts.first(), Some(&1));
    for target in report.targets.iter().filter(|t| t.threads > 1) {
        assert_eq!(target.threads, cpus);
        assert!(target.backend.uses_threads(), "{}", target.backend);
        assert!(target.quality.is_none());
        assert!(target.load.is_none());
    }
}

#[test]
fn percentiles_are_ordered() {
    for target in &quick_run().report.targets {
        let latency = target.latency.expect("every target has latency");
        let name = format!("{} {} {}", target.model, target.graph, target.backend);
        assert_eq!(latency.calls, QUICK_CALLS, "{name}");
        assert_eq!(target.latency_samples_ns.len(), QUICK_CALLS, "{name}");
        assert!(latency.min_us <= latency.p50_us, "{name}: {latency:?}");
        assert!(latency.p50_us <= latency.p90_us, "{name}: {latency:?}");
        assert!(latency.p90_us <= latency.p99_us, "{name}: {latency:?}");
        assert!(latency.p99_us <= latency.max_us, "{name}: {latency:?}");
        assert!(latency.min_us <= latency.mean_us, "{name}: {latency:?}");
        assert!(latency.mean_us <= latency.max_us, "{name}: {latency:?}");
        assert!(latency.min_us > 0.0, "{name}: {latency:?}");

        let throughput = target
            .throughput
            .as_ref()
            .expect("every target has throughput");
        assert_eq!(throughput.batch, 64, "{name}");
        assert_eq!(throughput.samples_ns.len(), QUICK_BATCH_CALLS, "{name}");
        assert!(throughput.images_per_second > 0.0, "{name}");
    }
}

#[test]
fn error_figures_cover_test_set() {
    for target in quick_run().report.targets.iter().filter(|t| t.threads == 1) {
        let quality = target
            .quality
            .expect("one-thread targets have error figures");
        assert_eq!(
            quality.images, 10_000,
            "{} {}",
            target.model, target.backend
        );
        assert_eq!(
            quality.mse.is_some(),
            target.graph == GraphKind::Whole,
            "{} {} {}",
            target.model,
            target.graph,
            target.backend
        );
    }
}

/// Reads `test_mse`, which ae-train writes with 7 decimals, from an ONNX file's metadata.
fn recorded_test_mse(path: &std::path::Path) -> f64 {
    let proto = tract_onnx::onnx()
        .proto_model_for_path(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let entry = proto
        .metadata_props
        .iter()
        .find(|entry| entry.key == "test_mse")
        .unwrap_or_else(|| panic!("{} has no test_mse metadata", path.display()));
    entry.value.parse().expect("test_mse is a number")
}

#[test]
fn tract_conv_mse_matches_training() {
    let recorded = recorded_test_mse(&workspace_root().join("models/conv.onnx"));
    for mode in [DenormalMode::Flush, DenormalMode::Keep] {
        let target = find("conv", GraphKind::Whole, Backend::Tract, 1, mode);
        let mse = target.quality.unwrap().mse.unwrap();
        // Half a unit in the 7th decimal for the rounding, plus 1e-6 relative.
        let tolerance = 0.5e-7 + 1e-6 * recorded;
        assert!(
            (mse - recorded).abs() <= tolerance,
            "tract MSE {mse} ({mode}), ae-train recorded {recorded}"
        );
    }
}

#[test]
fn f32_runtimes_agree_with_reference() {
    let report = &quick_run().report;
    let reference = report.reference.expect("a reference runtime ran");
    assert_eq!(reference.backend, Backend::Ort);
    assert_eq!(reference.denormals, DenormalMode::Keep);

    for target in report.targets.iter().filter(|t| t.threads == 1) {
        let quality = target.quality.unwrap();
        let name = format!(
            "{} {} {} {}",
            target.model, target.graph, target.backend, target.denormals
        );
        let is_reference =
            target.backend == reference.backend && target.denormals == reference.denormals;
        if is_reference {
            assert_eq!(quality.max_abs_diff, None, "{name}");
            continue;
        }
        let difference = quality.max_abs_diff.expect("compared with the reference");
        assert!(difference.is_finite(), "{name}");
        if target.backend != Backend::NativeInt8 {
            assert!(
                difference <= RUNTIME_TOLERANCE,
                "{name}: max abs diff {difference}"
            );
        }
    }
}

#[test]
fn flushing_keeps_reconstruction_error() {
    let report = &quick_run().report;
    for flush_target in report.targets.iter().filter(|t| {
        t.threads == 1 && t.denormals == DenormalMode::Flush && t.graph == GraphKind::Whole
    }) {
        let keep_target = find(
            &flush_target.model,
            flush_target.graph,
            flush_target.backend,
            1,
            DenormalMode::Keep,
        );
        let flush_mse = flush_target.quality.unwrap().mse.unwrap();
        let keep_mse = keep_target.quality.unwrap().mse.unwrap();
        assert!(
            (flush_mse - keep_mse).abs() <= 1e-6 * keep_mse,
            "{} {}: MSE {flush_mse} flush_target, {keep_mse} keep_target",
            flush_target.model,
            flush_target.backend
        );
    }
}

#[test]
fn load_figures_are_measured() {
    for target in quick_run().report.targets.iter() {
        let measured = target.threads == 1 && target.denormals == DenormalMode::Flush;
        assert_eq!(
            target.load.is_some(),
            measured,
            "{} {}",
            target.model,
            target.backend
        );
        let Some(load) = &target.load else { continue };
        assert_eq!(load.samples_ms.len(), 1);
        assert!(load.load_ms > 0.0);
        if cfg!(target_os = "linux") {
            assert!(
                load.peak_rss_delta_kib.is_some(),
                "{} {}",
                target.model,
                target.backend
            );
        }
    }
}

#[test]
fn subnormal_counts_cover_every_graph() {
    let report = &quick_run().report;
    let graphs: Vec<_> = report.targets.iter().map(|t| &t.path).collect();
    for path in &graphs {
        assert!(
            report.weights.iter().any(|count| &&count.path == path),
            "no weight count for {}",
            path.display()
        );
    }
    let pytorch = report
        .weights
        .iter()
        .find(|count| count.path.ends_with("conv.full.ts17.onnx"))
        .unwrap();
    assert_eq!(pytorch.subnormal, 2185);
    assert_eq!(pytorch.values, 210_369);

    assert_eq!(report.activations.len(), 3);
    for count in &report.activations {
        assert_eq!(count.images, report.settings.activation_images);
        assert!(count.values > 0);
        assert!(count.nodes.iter().map(|node| node.subnormal).sum::<u64>() == count.subnormal);
    }
}

#[test]
fn markdown_has_row_per_target() {
    let run = quick_run();
    assert!(run.stdout.starts_with("# ae-bench "), "{}", run.stdout);
    assert!(run
        .stdout
        .contains("| model | graph | runtime | threads | denormals | p50 µs |"));
    for target in &run.report.targets {
        let row = format!(
            "| {} | {} | {} | {} | {} |",
            target.model, target.graph, target.backend, target.threads, target.denormals
        );
        assert!(run.stdout.contains(&row), "no row starting {row}");
    }
    assert!(run
        .stdout
        .contains("| graph file | weights | subnormal weights |"));
}

#[test]
fn grid_has_row_per_runtime() {
    let run = quick_run();
    let rows = &run.report.grid_rows;
    // Per whole graph at one thread: the originals, then tract, ort and candle.
    assert_eq!(rows.len(), 3 * 4, "{rows:?}");
    assert_eq!(rows[0], "original (linear)");

    let image = image::open(run.file("grid.png")).expect("grid.png decodes");
    // 10 tiles of 28 pixels with 2-pixel gaps around and between them.
    assert_eq!(image.width(), 10 * 28 + 11 * 2);
    assert_eq!(
        image.height(),
        rows.len() as u32 * 28 + (rows.len() as u32 + 1) * 2
    );
}

#[test]
fn plot_is_png_with_panel_per_group() {
    let run = quick_run();
    let image = image::open(run.file("latency.png")).expect("latency.png decodes");
    let columns = run.report.settings.thread_counts.len() as u32;
    assert_eq!(image.width(), 640 * columns);
    assert_eq!(image.height() % 420, 0);
    assert!(image.height() >= 420);
}
