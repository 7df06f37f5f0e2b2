//! Runs `ae-bench --quick` once per test binary on the shipped models and the PyTorch conv
//! export in `fixtures/`, and hands its outputs to every test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use ae_bench::report::Report;

/// Name under which the PyTorch export with subnormal weights is measured.
pub const PYTORCH_MODEL: &str = "pytorch-conv";

/// Outputs of the shared quick run.
pub struct QuickRun {
    /// Folder with the JSON, plot and grid files.
    pub folder: tempfile::TempDir,
    /// Parsed `--json` file.
    pub report: Report,
    /// Markdown printed on stdout.
    pub stdout: String,
}

impl QuickRun {
    /// Path of an output file.
    pub fn file(&self, name: &str) -> PathBuf {
        self.folder.path().join(name)
    }
}

/// Workspace root, where `models/`, `data/mnist` and `.cache/onnxruntime` are.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Path of a file in this crate's `fixtures/` folder.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Runs `ae-bench` with `args` in the workspace root.
pub fn run_bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ae-bench"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("ae-bench starts")
}

/// Returns the quick run, which the first test that needs it starts.
pub fn quick_run() -> &'static QuickRun {
    static RUN: OnceLock<QuickRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let folder = tempfile::tempdir().expect("temporary folder");
        let json = folder.path().join("report.json");
        let plot = folder.path().join("latency.png");
        let grid = folder.path().join("grid.png");
        let pytorch = format!(
            "{PYTORCH_MODEL}={}",
            fixture("conv.full.ts17.onnx").display()
        );
        // candle-onnx (when compiled in) lacks ConvTranspose, so it cannot run the whole conv
        // graphs measured here; the conformance suite checks that it rejects them.
        let output = run_bench(&[
            "--quick",
            "--no-progress",
            "--runtimes",
            "tract,ort,ort-cuda,candle,native-f32,native-int8",
            "--model",
            &pytorch,
            "--json",
            json.to_str().unwrap(),
            "--plot",
            plot.to_str().unwrap(),
            "--grid",
            grid.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "ae-bench --quick failed ({}): {stderr}",
            output.status
        );

        let text = std::fs::read_to_string(&json).expect("ae-bench wrote --json");
        let report: Report = serde_json::from_str(&text).expect("--json parses as a Report");
        QuickRun {
            folder,
            report,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        }
    })
}
