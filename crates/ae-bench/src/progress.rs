//! The progress bar on stderr, shown only when stderr is a terminal.

use ae_bench::bench::Observer;
use indicatif::{ProgressBar, ProgressStyle};

/// Progress bar that follows a benchmark run.
pub struct ProgressObserver {
    bar: ProgressBar,
}

impl ProgressObserver {
    /// Creates the bar, hidden when `hidden` is set.
    pub fn new(hidden: bool) -> ProgressObserver {
        let bar = if hidden {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {percent:>3}% eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        ProgressObserver { bar }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for ProgressObserver {
    fn begin(&mut self, total_steps: u64) {
        self.bar.set_length(total_steps);
    }

    fn phase(&mut self, message: &str) {
        self.bar.set_message(message.to_string());
    }

    fn advance(&mut self, steps: u64) {
        self.bar.inc(steps);
    }
}
