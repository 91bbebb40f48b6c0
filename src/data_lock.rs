//! The lock on DATA that keeps `merge` from rewriting day folders while they are read.
//!
//! `merge` removes each day folder's files once its merged file is in place, so a build or
//! a check reading DATA at the same time finds files gone (read as `unreadable`, and a site
//! published without their reports), and two merges at once overwrite each other's merged
//! files. Readers (build, check) share the lock; `merge` takes it alone. Whoever finds it
//! taken waits, saying so: a merge run by hand during the nightly build starts once the
//! build is done, rather than failing. It is an `flock`
//! on the DATA directory itself: nothing is written into DATA (a data repository's
//! `git status` stays clean), and the kernel releases it when the process ends, however it
//! ends. On a file system without `flock` on directories (some network ones) it is not
//! taken, as before there was one.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Holds DATA's lock for as long as it lives.
#[derive(Debug)]
pub struct DataLock {
    _dir: Option<File>,
}

impl DataLock {
    /// A lock shared with other readers, for a build or a check. When a `merge` holds DATA,
    /// `waiting` is called and the lock waits for the merge to finish: its day is then
    /// wholly merged, and the build reads it as it is.
    pub fn read(data: &Path, waiting: impl FnOnce()) -> DataLock {
        DataLock::take(data, libc::LOCK_SH, waiting)
    }

    /// The lock `merge` takes alone. When another merge, a build or a check is using DATA,
    /// `waiting` is called and the lock waits for them to finish.
    pub fn merge(data: &Path, waiting: impl FnOnce()) -> DataLock {
        DataLock::take(data, libc::LOCK_EX, waiting)
    }

    /// `operation` (shared or exclusive) on DATA, at once when it is free, else after
    /// `waiting`; no lock at all when DATA cannot be opened or locked.
    fn take(data: &Path, operation: libc::c_int, waiting: impl FnOnce()) -> DataLock {
        let Some(dir) = open(data) else { return DataLock { _dir: None } };
        match flock(&dir, operation | libc::LOCK_NB) {
            Ok(()) => DataLock { _dir: Some(dir) },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                waiting();
                let taken = flock(&dir, operation).is_ok();
                DataLock { _dir: taken.then_some(dir) }
            }
            Err(_) => DataLock { _dir: None },
        }
    }
}

/// DATA opened to be locked, or `None` when it cannot be (the caller's own reading of DATA
/// then names what is wrong with it).
fn open(data: &Path) -> Option<File> {
    File::options().read(true).custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC).open(data).ok()
}

fn flock(file: &File, operation: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock on a valid, owned descriptor.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread::JoinHandle;
    use std::time::Duration;

    const NEVER: fn() = || panic!("nothing to wait for");

    /// Takes DATA's lock (a merge's when `merge`, else a reader's) on a thread of its own,
    /// which says when it has to wait and ends once it holds the lock.
    fn take_on_a_thread(data: &Path, merge: bool) -> (mpsc::Receiver<()>, JoinHandle<DataLock>) {
        let (said, waits) = mpsc::channel();
        let data = data.to_path_buf();
        let taker = std::thread::spawn(move || {
            let waiting = || said.send(()).unwrap();
            if merge {
                DataLock::merge(&data, waiting)
            } else {
                DataLock::read(&data, waiting)
            }
        });
        (waits, taker)
    }

    /// Whether the taker said it waits, and a moment later still has not taken the lock.
    fn waiting(waits: &mpsc::Receiver<()>, taker: &JoinHandle<DataLock>) -> bool {
        let said = waits.recv_timeout(Duration::from_secs(30)).is_ok();
        std::thread::sleep(Duration::from_millis(200));
        said && !taker.is_finished()
    }

    #[test]
    fn readers_share_and_a_merge_waits_until_the_last_one_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (DataLock::read(dir.path(), NEVER), DataLock::read(dir.path(), NEVER));
        assert!(a._dir.is_some() && b._dir.is_some());
        let (waits, merge) = take_on_a_thread(dir.path(), true);
        assert!(waiting(&waits, &merge), "the merge waits while readers hold DATA");
        drop(a);
        std::thread::sleep(Duration::from_millis(200));
        assert!(!merge.is_finished(), "and while one still does");
        drop(b);
        assert!(merge.join().unwrap()._dir.is_some(), "the merge holds DATA once the readers are done");
    }

    #[test]
    fn a_merge_waits_while_another_merges_and_goes_on_once_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::merge(dir.path(), NEVER);
        let (waits, second) = take_on_a_thread(dir.path(), true);
        assert!(waiting(&waits, &second));
        drop(first);
        assert!(second.join().unwrap()._dir.is_some());
    }

    #[test]
    fn a_reader_waits_for_a_merge_to_end_then_holds_off_the_next_merge() {
        let dir = tempfile::tempdir().unwrap();
        let merging = DataLock::merge(dir.path(), NEVER);
        let (waits, reader) = take_on_a_thread(dir.path(), false);
        assert!(waiting(&waits, &reader), "the reader waits while the merge holds DATA");
        drop(merging);
        let reading = reader.join().unwrap();
        let (waits, merge) = take_on_a_thread(dir.path(), true);
        assert!(waiting(&waits, &merge), "a merge waits for the reader");
        drop(reading);
        assert!(merge.join().unwrap()._dir.is_some());
    }

    #[test]
    fn a_missing_data_directory_is_left_to_the_callers_own_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert!(DataLock::merge(&missing, NEVER)._dir.is_none());
        assert!(DataLock::read(&missing, NEVER)._dir.is_none());
    }
}
