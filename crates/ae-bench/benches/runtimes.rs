//! One batch-1 call per runtime on the shipped models, with criterion: back-to-back calls of
//! one runtime at a time, so caches stay warm, unlike the interleaved `ae-bench` binary.
//!
//! Run from the workspace root with `cargo bench -p ae-bench`. Subnormals are flushed, as by
//! default in ae-runtime. Runtimes that are not available (ONNX Runtime without its library)
//! are skipped with a message on stderr.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ae_bench::engine::{Engine, EngineConfig, LoadSettings};
use ae_bench::measure::TestImages;
use ae_bench::{Backend, DenormalMode, ModelFiles};
use criterion::{criterion_group, criterion_main, Criterion};

/// Backends measured, each on every graph it runs.
const BACKENDS: [Backend; 5] = [
    Backend::Tract,
    Backend::Ort,
    Backend::Candle,
    Backend::NativeF32,
    Backend::NativeInt8,
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn one_call_per_runtime(c: &mut Criterion) {
    let root = workspace_root();
    let dataset = ae_data::load_dataset(&root.join("data/mnist")).expect("MNIST in data/mnist");
    let pixels: Vec<f32> = dataset
        .test
        .image(0)
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    let images = TestImages {
        pixels: &pixels,
        image_len: pixels.len(),
    };
    let settings = LoadSettings {
        ort_library: None,
        mnist_dir: root.join("data/mnist"),
        calibration_images: 1000,
    };

    for name in ["linear", "conv"] {
        let model = ModelFiles::in_folder(&root.join("models"), name).expect("shipped models");
        let mut group = c.benchmark_group(name);
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for (kind, path) in model.graphs() {
            for backend in BACKENDS.into_iter().filter(|backend| backend.runs(kind)) {
                let config = EngineConfig {
                    backend,
                    mode: DenormalMode::Flush,
                    threads: 1,
                };
                let mut engine = match Engine::load(config, path, Some(1), &settings) {
                    Ok(engine) => engine,
                    Err(error) => {
                        eprintln!("skipping {name} {kind} {backend}: {error}");
                        continue;
                    }
                };
                let shape = engine.image_shape(path).expect("fixed image shape");
                let input = images.batch(0, 1, &shape).expect("one image");
                group.bench_function(format!("{kind}/{backend}"), |bencher| {
                    bencher.iter(|| engine.run(&input).expect("run succeeds"))
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, one_call_per_runtime);
criterion_main!(benches);
