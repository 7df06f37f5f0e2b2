//! The machine a benchmark runs on, and this process's resident memory from
//! `/proc/self/status` on Linux.

use serde::{Deserialize, Serialize};

/// Description of the machine, recorded with every report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemInfo {
    /// CPU model name from `/proc/cpuinfo`, or `unknown` where it cannot be read.
    pub cpu_model: String,
    /// Logical CPUs this process may run on.
    pub logical_cpus: usize,
    /// Operating system and architecture, for example `linux x86_64`.
    pub os: String,
}

impl SystemInfo {
    /// Reads the CPU model and the number of logical CPUs available to this process.
    pub fn detect() -> SystemInfo {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| cpu_model_from_cpuinfo(&text))
            .unwrap_or_else(|| "unknown".to_string());
        let logical_cpus = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1);
        SystemInfo {
            cpu_model,
            logical_cpus,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }
}

/// Returns the first `model name` entry of `/proc/cpuinfo` text.
fn cpu_model_from_cpuinfo(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim() == "model name")
        .map(|(_, value)| value.trim().to_string())
}

/// Resident memory of this process in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryStatus {
    /// Current resident set size (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size since the process started or since [`reset_peak_rss`]
    /// (`VmHWM`).
    pub peak_rss_kib: u64,
}

/// Reads `VmRSS` and `VmHWM` of this process. Returns `None` where `/proc/self/status` does
/// not exist (any OS other than Linux) or lacks them.
pub fn memory_status() -> Option<MemoryStatus> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    Some(MemoryStatus {
        rss_kib: status_kib(&text, "VmRSS")?,
        peak_rss_kib: status_kib(&text, "VmHWM")?,
    })
}

/// Resets this process's peak resident set size to its current size, by writing `5` to
/// `/proc/self/clear_refs` (Linux 4.0 and later). Returns whether that succeeded.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Reads a `NAME:   1234 kB` line of `/proc/self/status`.
fn status_kib(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| {
        line.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let value = line[name.len() + 1..].trim().strip_suffix("kB")?;
    value.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_model_name_is_read() {
        let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B45\n";
        assert_eq!(
            cpu_model_from_cpuinfo(text).as_deref(),
            Some("AMD EPYC 9B45")
        );
        assert_eq!(cpu_model_from_cpuinfo("processor\t: 0\n"), None);
    }

    #[test]
    fn status_lines_are_parsed() {
        let text = "Name:\tae-bench\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nVmRSSx: 1 kB\n";
        assert_eq!(status_kib(text, "VmHWM"), Some(20480));
        assert_eq!(status_kib(text, "VmRSS"), Some(10240));
        assert_eq!(status_kib(text, "VmSwap"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn memory_status_reads_this_process() {
        let status = memory_status().unwrap();
        assert!(status.rss_kib > 0);
        assert!(status.peak_rss_kib >= status.rss_kib);
    }
}
