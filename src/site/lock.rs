//! What lives beside `<SITE>`: the lock that keeps two builds apart, and the staging and
//! spool directories a killed build left, which only the lock's holder may remove.

use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{err, parent_and_name, WriteError, STAGING_RANDOM};

/// Holds `<SITE>`'s lock for as long as it lives. The kernel releases it when the process
/// ends, however it ends, so a killed build never leaves a stale lock behind.
pub struct SiteLock {
    _file: File,
}

impl SiteLock {
    /// Takes the lock `.<SITE name>.lock` beside `site` (never inside it, so it is never
    /// published); fails at once if another build holds it. That error's kind is
    /// [`io::ErrorKind::WouldBlock`], its path the lock file's.
    pub fn acquire(site: &Path) -> Result<SiteLock, WriteError> {
        SiteLock::take(site, false)
    }

    /// Like [`SiteLock::acquire`], but waits for another build to finish.
    pub fn wait(site: &Path) -> Result<SiteLock, WriteError> {
        SiteLock::take(site, true)
    }

    fn take(site: &Path, wait: bool) -> Result<SiteLock, WriteError> {
        let path = lock_path(site);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(err(parent))?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
            .map_err(err(&path))?;
        use std::os::fd::AsRawFd;
        let operation = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
        loop {
            // SAFETY: flock on a valid, owned descriptor.
            let rc = unsafe { libc::flock(file.as_raw_fd(), operation) };
            if rc == 0 {
                return Ok(SiteLock { _file: file });
            }
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            let source = if e.kind() == io::ErrorKind::WouldBlock {
                io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "another build of `{}` is running and holds this lock; \
                         try again when it has finished",
                        site.display()
                    ),
                )
            } else {
                e
            };
            return Err(WriteError { path: path.display().to_string(), source });
        }
    }
}

/// The lock file of `site`: `.<name>.lock` in the same directory.
pub fn lock_path(site: &Path) -> PathBuf {
    let (parent, name) = parent_and_name(site);
    parent.join(format!(".{name}.lock"))
}

/// Removes staging directories (`.<name>.staging-*` beside `site`) that a build killed
/// before its end left behind: a partial new site, or an old one not yet removed after
/// the swap. Call only while holding the [`SiteLock`], so none of them is in use.
/// Returns how many were removed; one that cannot be removed is left, not an error.
pub fn remove_stale_staging(site: &Path) -> usize {
    remove_stale(site, "staging")
}

/// Removes the spool directories (see [`spool_prefix`]) a killed build left beside `site`.
/// Call only while holding the [`SiteLock`] and before this build makes its spool.
pub fn remove_stale_spools(site: &Path) -> usize {
    remove_stale(site, "spool")
}

/// `.<SITE name>.spool-`: the prefix of the spool directory a build of `site` keeps beside
/// it, on the site's file system, so raw data can be hard-linked from it.
pub fn spool_prefix(site: &Path) -> (PathBuf, String) {
    let (parent, name) = parent_and_name(site);
    (parent, format!(".{name}.spool-"))
}

fn remove_stale(site: &Path, kind: &str) -> usize {
    let (parent, name) = parent_and_name(site);
    let prefix = format!(".{name}.{kind}-");
    let Ok(entries) = fs::read_dir(&parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        // Exactly the prefix and the random part `Staging::new` adds, so the staging
        // directories of a site named `<name>.staging-x` beside this one are left alone.
        let stale = name
            .as_bytes()
            .strip_prefix(prefix.as_bytes())
            .is_some_and(|rest| rest.len() == STAGING_RANDOM && rest.iter().all(u8::is_ascii_alphanumeric))
            && entry.file_type().is_ok_and(|t| t.is_dir()); // never a link: not followed
        if stale && fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}
