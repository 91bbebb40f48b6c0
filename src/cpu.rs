//! The process's CPU time, user and system apart, for `-v` and the JSON summary: which
//! part of a build is the tool's own work (user) and which the kernel's (system: reading,
//! writing and naming files, faulting memory in). On a virtual machine the second moves
//! with the host, so a build's wall time alone does not tell the two apart.

use serde::{Deserialize, Serialize};

/// CPU seconds of every thread of the process, since it started or between two readings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuTime {
    pub user: f64,
    pub system: f64,
}

impl CpuTime {
    /// The process's CPU time so far (all its threads); zero where it cannot be read.
    pub fn now() -> CpuTime {
        CpuTime::of(libc::RUSAGE_SELF)
    }

    /// The calling thread's CPU time so far (for tests, which share their process;
    /// `RUSAGE_THREAD` is Linux's).
    #[cfg(test)]
    pub(crate) fn of_this_thread() -> CpuTime {
        CpuTime::of(libc::RUSAGE_THREAD)
    }

    fn of(who: libc::c_int) -> CpuTime {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `getrusage` fills the struct it is given, which is zeroed and of its type;
        // it is read only when the call succeeded.
        let usage = match unsafe { libc::getrusage(who, usage.as_mut_ptr()) } {
            0 => unsafe { usage.assume_init() },
            _ => return CpuTime::default(),
        };
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        CpuTime { user: seconds(usage.ru_utime), system: seconds(usage.ru_stime) }
    }

    /// The CPU time spent from `earlier` to `self` (never negative).
    pub fn since(&self, earlier: CpuTime) -> CpuTime {
        CpuTime { user: (self.user - earlier.user).max(0.0), system: (self.system - earlier.system).max(0.0) }
    }
}

/// Reads the CPU time at the end of each part of a build, named in order.
pub struct CpuParts {
    read: fn() -> CpuTime,
    last: CpuTime,
    parts: Vec<(String, CpuTime)>,
}

impl CpuParts {
    /// Starts counting from the process's CPU time so far.
    pub fn start() -> CpuParts {
        CpuParts::start_with(CpuTime::now)
    }

    /// Starts counting with `read` as the clock ([`CpuTime::now`], or the thread's in tests).
    pub fn start_with(read: fn() -> CpuTime) -> CpuParts {
        CpuParts { read, last: read(), parts: Vec::new() }
    }

    /// Ends the part `name`: the CPU time since the last part ended.
    pub fn lap(&mut self, name: &str) {
        let now = (self.read)();
        self.parts.push((name.to_string(), now.since(self.last)));
        self.last = now;
    }

    pub fn into_parts(self) -> Vec<(String, CpuTime)> {
        self.parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed amount of arithmetic (about 50 ms here): user time. Counted in work, not
    /// wall time, as a loaded machine takes the core away but never adds CPU time.
    fn spin() {
        let mut x = 1u64;
        for _ in 0..50_000_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }

    #[test]
    fn work_on_a_core_shows_as_user_time_and_system_calls_as_system_time() {
        // This thread's clock: other tests run in this process at the same time.
        let mut parts = CpuParts::start_with(CpuTime::of_this_thread);
        spin();
        parts.lap("compute");
        // A fixed number of system calls (about 50 ms here): system time.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        for _ in 0..2_000 {
            std::fs::write(&file, [0u8; 4096]).unwrap();
            let _ = std::fs::metadata(&file).unwrap();
        }
        parts.lap("system calls");
        let parts = parts.into_parts();
        assert_eq!(parts.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["compute", "system calls"]);
        let (compute, calls) = (parts[0].1, parts[1].1);
        // Lower bounds, a tenth of what this machine takes, so the test holds on a faster
        // one. Not the split's proportions: the kernel splits a thread's time between user
        // and system by where its clock ticks land, and under load (a test run, a debug
        // build) a tick can land in the kernel during pure arithmetic.
        assert!(compute.user >= 0.005, "{compute:?}");
        assert!(calls.system >= 0.005, "{calls:?}");
    }

    #[test]
    fn the_process_clock_counts_the_work_of_other_threads() {
        let before = CpuTime::now();
        std::thread::spawn(spin).join().unwrap();
        let spent = CpuTime::now().since(before);
        assert!(spent.user >= 0.005, "{spent:?}");
    }

    #[test]
    fn a_difference_is_never_negative() {
        let later = CpuTime { user: 1.0, system: 0.5 };
        let earlier = CpuTime { user: 1.5, system: 0.25 };
        assert_eq!(later.since(earlier), CpuTime { user: 0.0, system: 0.25 });
    }
}
