//! Progress bars on the terminal (stderr) for long work; silent when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use trailmesh_core::Progress;

/// An indicatif bar that follows the phases a [`Progress`] reports.
#[derive(Debug)]
pub struct Bar {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bar {
    /// A bar drawn on stderr.
    pub fn new() -> Self {
        Bar { bar: Mutex::new(None) }
    }
}

impl Progress for Bar {
    fn phase(&self, name: &str, total: u64) {
        let mut slot = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = slot.take() {
            old.finish_and_clear();
        }
        let bar = if total > 0 {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template(
                    "{msg:32} [{bar:40.cyan/blue}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            )
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {msg} {human_pos}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            )
        };
        bar.set_message(name.to_string());
        *slot = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}
