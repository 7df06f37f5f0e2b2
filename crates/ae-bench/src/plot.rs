//! The latency plot: for each model, graph and thread count, the cumulative distribution of
//! every target's batch-1 call durations on a log scale.
//!
//! Text needs a TrueType font, read at run time from `--font` or from common system paths,
//! because this crate ships no font file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::backend::{Backend, DenormalMode};
use crate::models::GraphKind;
use crate::report::{Report, TargetResult};
use crate::{Error, Result};

/// Font family name under which the font is registered with plotters.
const FAMILY: &str = "sans-serif";

/// Fonts tried when `--font` is not given: DejaVu and Liberation on Linux distributions, then
/// macOS and Windows system fonts.
const FONT_CANDIDATES: [&str; 6] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Pixel size of one panel.
const PANEL: (u32, u32) = (640, 420);

/// Font registered with plotters, once per process.
static FONT: OnceLock<PathBuf> = OnceLock::new();

/// Draws the latency distributions of `report` and writes them as a PNG, atomically.
pub fn write_latency_plot(report: &Report, path: &Path, font: Option<&Path>) -> Result<()> {
    load_font(font)?;
    let panels = panel_groups(report);
    if panels.is_empty() {
        return Err(Error::Write {
            path: path.to_path_buf(),
            message: "no target has latency samples to plot".into(),
        });
    }

    let columns = report.settings.thread_counts.len().clamp(1, panels.len()) as u32;
    let rows = (panels.len() as u32).div_ceil(columns);
    let (width, height) = (PANEL.0 * columns, PANEL.1 * rows);
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    let draw_error = |error: String| Error::Write {
        path: path.to_path_buf(),
        message: error,
    };
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|error| draw_error(error.to_string()))?;
        let areas = root.split_evenly((rows as usize, columns as usize));
        for (area, panel) in areas.iter().zip(&panels) {
            draw_panel(area, panel).map_err(|error| draw_error(error.to_string()))?;
        }
        root.present()
            .map_err(|error| draw_error(error.to_string()))?;
    }

    ae_data::write_atomic_with(path, |writer| {
        PngEncoder::new(writer)
            .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
            .map_err(std::io::Error::other)
    })?;
    Ok(())
}

/// Targets of one panel: one model, graph and thread count.
struct Panel<'a> {
    title: String,
    targets: Vec<&'a TargetResult>,
}

fn panel_groups(report: &Report) -> Vec<Panel<'_>> {
    let mut panels: Vec<Panel<'_>> = Vec::new();
    for target in report
        .targets
        .iter()
        .filter(|t| !t.latency_samples_ns.is_empty())
    {
        let title = panel_title(&target.model, target.graph, target.threads);
        match panels.iter_mut().find(|panel| panel.title == title) {
            Some(panel) => panel.targets.push(target),
            None => panels.push(Panel {
                title,
                targets: vec![target],
            }),
        }
    }
    panels
}

fn panel_title(model: &str, graph: GraphKind, threads: usize) -> String {
    format!("{model} {graph}, batch 1, {threads} thread(s)")
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel<'_>,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let all = panel
        .targets
        .iter()
        .flat_map(|t| t.latency_samples_ns.iter());
    let min_us = all.clone().copied().min().unwrap_or(1) as f64 / 1e3;
    let max_us = all.copied().max().unwrap_or(1) as f64 / 1e3;
    let range = (min_us * 0.9).max(0.01)..(max_us * 1.1).max(min_us * 1.2);

    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(range.log_scale(), 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("call duration (µs, log scale)")
        .y_desc("fraction of calls")
        .label_style((FAMILY, 13))
        .draw()?;

    for target in &panel.targets {
        let color = backend_color(target.backend);
        let style = color.stroke_width(2);
        let points = cumulative_points(&target.latency_samples_ns);
        let label = format!("{} ({})", target.backend, target.denormals);
        match target.denormals {
            DenormalMode::Flush => {
                chart
                    .draw_series(LineSeries::new(points, style))?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
            DenormalMode::Keep => {
                chart
                    .draw_series(DashedLineSeries::new(points, 6, 4, style))?
                    .label(label)
                    .legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 20, y)], 4, 3, style)
                    });
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Points of the empirical cumulative distribution: call duration in µs against the fraction
/// of calls that took at most that long. At most 500 points, evenly spaced in rank.
fn cumulative_points(samples_ns: &[u64]) -> Vec<(f64, f64)> {
    let mut sorted = samples_ns.to_vec();
    sorted.sort_unstable();
    let count = sorted.len();
    let step = count.div_ceil(500).max(1);
    let mut points: Vec<(f64, f64)> = (0..count)
        .step_by(step)
        .map(|index| {
            (
                sorted[index] as f64 / 1e3,
                (index + 1) as f64 / count as f64,
            )
        })
        .collect();
    if let Some(&last) = sorted.last() {
        points.push((last as f64 / 1e3, 1.0));
    }
    points
}

fn backend_color(backend: Backend) -> RGBColor {
    let index = Backend::ALL
        .iter()
        .position(|&candidate| candidate == backend)
        .unwrap_or(0);
    let palette = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(44, 160, 44),
        RGBColor(140, 86, 75),
        RGBColor(255, 127, 14),
        RGBColor(23, 190, 207),
    ];
    palette[index % palette.len()]
}

/// Registers the font for plot text, from `requested` or the first of [`FONT_CANDIDATES`]
/// that exists. The file is read once per process and kept for its lifetime.
fn load_font(requested: Option<&Path>) -> Result<()> {
    if FONT.get().is_some() {
        return Ok(());
    }
    let candidates: Vec<PathBuf> = match requested {
        Some(path) => vec![path.to_path_buf()],
        None => FONT_CANDIDATES.iter().map(PathBuf::from).collect(),
    };
    let Some(path) = candidates.iter().find(|path| path.is_file()) else {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::FontNotFound {
            tried: tried.join(", "),
        });
    };

    let bytes = std::fs::read(path).map_err(|error| Error::InvalidArgument {
        option: "--font",
        value: path.display().to_string(),
        reason: format!("failed to read the font ({error})"),
    })?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    register_font(FAMILY, FontStyle::Normal, bytes).map_err(|_| Error::InvalidArgument {
        option: "--font",
        value: path.display().to_string(),
        reason: "not a TrueType or OpenType font".into(),
    })?;
    let _ = FONT.set(path.clone());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_points_end_at_one() {
        let points = cumulative_points(&[3000, 1000, 2000, 4000]);
        assert_eq!(points.first(), Some(&(1.0, 0.25)));
        assert_eq!(points.last(), Some(&(4.0, 1.0)));
        assert!(points
            .windows(2)
            .all(|pair| pair[0].0 <= pair[1].0 && pair[0].1 <= pair[1].1));
    }

    #[test]
    fn cumulative_points_are_capped() {
        let samples: Vec<u64> = (1..=2000).collect();
        assert!(cumulative_points(&samples).len() <= 501);
    }
}
