//! Prints the size, pixel range and label counts of an MNIST-format data set folder.
//!
//! Usage: `cargo run --release -p ae-data --example dataset_summary -- data/mnist`

use std::path::PathBuf;
use std::process::ExitCode;

use ae_data::{load_dataset, IdxImages, IdxLabels};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: dataset_summary DATA_FOLDER");
        return ExitCode::FAILURE;
    };
    match load_dataset(&dir) {
        Ok(dataset) => {
            print_split("train", &dataset.train, &dataset.train_labels);
            print_split("test", &dataset.test, &dataset.test_labels);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn print_split(name: &str, images: &IdxImages, labels: &IdxLabels) {
    let min = images.pixels.iter().min().copied().unwrap_or(0);
    let max = images.pixels.iter().max().copied().unwrap_or(0);
    let mean = images.pixels.iter().map(|&p| f64::from(p)).sum::<f64>()
        / images.pixels.len() as f64
        / 255.0;
    let mut label_counts = [0usize; 256];
    for &label in &labels.labels {
        label_counts[usize::from(label)] += 1;
    }
    let counts: Vec<String> = label_counts
        .iter()
        .enumerate()
        .filter(|(_, &count)| count > 0)
        .map(|(label, count)| format!("{label}:{count}"))
        .collect();
    println!(
        "{name}: {} images of {}x{}, pixels {min}..={max}, mean {mean:.4}, labels {}",
        images.count,
        images.rows,
        images.cols,
        counts.join(" ")
    );
}
