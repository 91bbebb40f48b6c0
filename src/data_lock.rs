//! The lock on DATA that keeps `merge` from rewriting day folders while they are read.
//!
//! `merge` removes each day folder's files once its merged file is in place, so a build or
//! a check reading DATA at the same time finds files gone (read as `unreadable`, and a site
//! published without their reports), and two merges at once overwrite each other's merged
//! files. Readers (build, check) share the lock; `merge` takes it alone. It is an `flock`
//! on the DATA directory itself: nothing is written into DATA (a data repository's
//! `git status` stays clean), and the kernel releases it when the process ends, however it
//! ends. On a file system without `flock` on directories (some network ones) it is not
//! taken, as before there was one.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::path_error::PathError;

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
        let Some(dir) = open(data) else { return DataLock { _dir: None } };
        match flock(&dir, libc::LOCK_SH | libc::LOCK_NB) {
            Ok(()) => DataLock { _dir: Some(dir) },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                waiting();
                let taken = flock(&dir, libc::LOCK_SH).is_ok();
                DataLock { _dir: taken.then_some(dir) }
            }
            Err(_) => DataLock { _dir: None },
        }
    }

    /// The lock `merge` takes alone; an error at once when another merge, a build or a
    /// check is using DATA.
    pub fn merge(data: &Path) -> Result<DataLock, PathError> {
        let Some(dir) = open(data) else { return Ok(DataLock { _dir: None }) };
        match flock(&dir, libc::LOCK_EX | libc::LOCK_NB) {
            Ok(()) => Ok(DataLock { _dir: Some(dir) }),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(PathError {
                path: data.display().to_string(),
                source: io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "another merge, a build or a check is using this data directory \
                     (it holds a lock on it); try again when it has finished",
                ),
            }),
            Err(_) => Ok(DataLock { _dir: None }),
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
    use std::time::Duration;

    #[test]
    fn readers_share_and_a_merge_is_refused_while_one_reads() {
        let dir = tempfile::tempdir().unwrap();
        let never = || panic!("readers do not wait for each other");
        let (_a, _b) = (DataLock::read(dir.path(), never), DataLock::read(dir.path(), never));
        let refused = DataLock::merge(dir.path()).expect_err("a reader holds DATA");
        assert_eq!(refused.source.kind(), io::ErrorKind::WouldBlock);
        assert!(refused.to_string().contains("try again when it has finished"), "{refused}");
    }

    #[test]
    fn a_merge_is_refused_while_another_merges_and_free_once_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::merge(dir.path()).unwrap();
        assert!(DataLock::merge(dir.path()).is_err());
        drop(first);
        assert!(DataLock::merge(dir.path()).is_ok());
    }

    #[test]
    fn a_reader_waits_for_a_merge_to_end() {
        let dir = tempfile::tempdir().unwrap();
        let merging = DataLock::merge(dir.path()).unwrap();
        let (said, waited) = mpsc::channel();
        let path = dir.path().to_path_buf();
        let reader = std::thread::spawn(move || {
            let lock = DataLock::read(&path, || said.send(()).unwrap());
            // Held once taken: a merge is refused until the reader lets go.
            DataLock::merge(&path).is_err() && lock._dir.is_some()
        });
        waited.recv_timeout(Duration::from_secs(30)).expect("the reader says it waits");
        assert!(!reader.is_finished(), "the reader waits while the merge holds DATA");
        drop(merging);
        assert!(reader.join().unwrap());
    }

    #[test]
    fn a_missing_data_directory_is_left_to_the_callers_own_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert!(DataLock::merge(&missing).is_ok());
        let _ = DataLock::read(&missing, || panic!("nothing to wait for"));
    }
}
