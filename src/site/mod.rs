//! Writing the site: all or nothing.
//!
//! Files go into a staging directory beside `<SITE>`; at the end the staging directory and
//! `<SITE>` are exchanged in one step (`renameat2(RENAME_EXCHANGE)`), so `<SITE>` is at
//! every moment wholly the old site or wholly the new one, and then the old tree is
//! removed. Files are not fsynced one by one: a killed build loses nothing that the page
//! cache holds, and the swap is what makes the change atomic. A file whose bytes did not change is hard-linked from the old site, so it
//! keeps its timestamp. A lock file beside `<SITE>` keeps two builds apart.

use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::path_error::at as err;

mod kept;
mod lock;
mod spare;

pub use kept::is_kept;
pub use lock::{lock_path, remove_stale_spools, remove_stale_staging, spool_prefix, SiteLock};

/// An error writing the site, naming the path.
pub type WriteError = crate::path_error::PathError;

/// Length of the random part of a staging directory's name.
const STAGING_RANDOM: usize = 6;

/// What [`Staging::totals`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub files_written: u64,
    pub bytes_written: u64,
    pub site_files: u64,
    pub site_bytes: u64,
}

/// A new site being written beside the old one.
pub struct Staging {
    root: PathBuf,
    old: Option<PathBuf>,
    /// The files this build wrote, and their bytes.
    files: AtomicU64,
    bytes: AtomicU64,
    /// Every file placed in the new site, written or kept, and their bytes.
    site_files: AtomicU64,
    site_bytes: AtomicU64,
    kept: bool,
    /// The previous build's outputs: path -> (fingerprint, the file as that build left it).
    previous: std::collections::BTreeMap<String, (u64, crate::cache::FileStat)>,
    /// This build's memoized outputs: (path, fingerprint).
    memo: std::sync::Mutex<Vec<(String, u64)>>,
    reused: AtomicU64,
    /// Folders already made, so thousands of files in a few folders cost a few `mkdir`s.
    made: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    /// Where the old site is kept after the swap, for the next build ([`spare`]); `None`
    /// when it is removed.
    spare: Option<PathBuf>,
    /// What the tree held when it was taken from the spare; `None` for a fresh tree.
    recycled: Option<spare::Contents>,
    /// Every file placed in a recycled tree, so the rest can be swept before the swap.
    placed: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The spare of a first build (no old site, no spare), made while the site is written:
    /// a hard link to each file as it is placed, in folders made with the site's. Linking
    /// the whole site after the swap took one core 0.05-0.1 s on ext4 for a year's site.
    twin: Option<PathBuf>,
}

impl Staging {
    /// A staging directory beside `site`, after removing any left by a killed build: the
    /// spare tree the last build kept, when `keep_spare` and there is one, else a fresh,
    /// empty one. With `keep_spare`, the old site is kept as the spare after the swap
    /// (see `spare`); without it, an old spare is removed. The caller holds the
    /// [`SiteLock`].
    pub fn new(site: &Path, keep_spare: bool) -> Result<Staging, WriteError> {
        let (parent, name) = parent_and_name(site);
        fs::create_dir_all(&parent).map_err(err(&parent))?;
        remove_stale_staging(site);
        if let Ok(meta) = fs::symlink_metadata(site) {
            if !meta.is_dir() && !site.is_dir() {
                return Err(WriteError {
                    path: site.display().to_string(),
                    source: io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "exists and is not a directory; refusing to replace it",
                    ),
                });
            }
        }
        let root = staging_dir(&parent, &name).map_err(err(&parent))?;
        let spare = spare::path(&parent, &name);
        let recycled = keep_spare.then(|| spare::take(&spare, &root)).flatten();
        if recycled.is_none() {
            // Not kept, or not a folder that could be taken: whatever it is goes.
            let _ = spare::remove(&spare);
        }
        let made = match &recycled {
            Some(contents) => contents.dirs.iter().map(|rel| root.join(rel)).collect(),
            None => Default::default(),
        };
        let old = site.is_dir().then(|| site.to_path_buf());
        let twin =
            (keep_spare && recycled.is_none() && old.is_none()).then(|| staging_dir(&parent, &name).ok()).flatten();
        Ok(Staging {
            root,
            old,
            bytes: AtomicU64::new(0),
            files: AtomicU64::new(0),
            site_files: AtomicU64::new(0),
            site_bytes: AtomicU64::new(0),
            kept: false,
            previous: Default::default(),
            memo: Default::default(),
            reused: AtomicU64::new(0),
            made: std::sync::Mutex::new(made),
            spare: keep_spare.then_some(spare),
            recycled,
            placed: Default::default(),
            twin,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `bytes` at `rel` (a `/`-separated path of safe segments) in the new site.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let (rel_path, path) = self.target(rel)?;
        self.place(rel);
        if let Some(old) = &self.old {
            let previous = old.join(&rel_path);
            if same_bytes(&previous, bytes) && self.link(&previous, &path).is_ok() {
                self.count(false, bytes.len() as u64);
                return Ok(());
            }
        }
        self.count(true, bytes.len() as u64);
        // In a recycled tree, a file no other tree shares is written over, not replaced.
        // There is nothing to link into a twin then: one is made only when no tree is
        // recycled ([`Staging::new`]).
        if self.recycled.is_some() {
            debug_assert!(self.twin.is_none(), "a twin tree beside a recycled one");
            if let Some(mut file) = spare::open_own(&path) {
                file.write_all(bytes).and_then(|()| file.set_len(bytes.len() as u64)).map_err(err(&path))?;
                return Ok(());
            }
        }
        self.clear(&path)?;
        let mut file = File::create(&path).map_err(err(&path))?;
        file.write_all(bytes).map_err(err(&path))?;
        self.link_twin(&rel_path, &path);
        Ok(())
    }

    /// True when there is a previous site that [`Staging::write`] compares new files with.
    pub fn has_previous(&self) -> bool {
        self.old.is_some()
    }

    /// Writes the file at `rel` by `fill`, for a build with no previous site (see
    /// [`Staging::has_previous`]): with nothing to compare with, the bytes need not be in
    /// memory at once, and `fill` may have the kernel copy them.
    pub fn write_by(&self, rel: &str, fill: impl FnOnce(&mut File) -> io::Result<()>) -> Result<(), WriteError> {
        let (rel_path, path) = self.target(rel)?;
        self.place(rel);
        self.clear(&path)?;
        let mut file = File::create(&path).map_err(err(&path))?;
        fill(&mut file).map_err(err(&path))?;
        self.link_twin(&rel_path, &path);
        let len = file.metadata().map_err(err(&path))?.len();
        self.count(true, len);
        Ok(())
    }

    /// Puts the previous site's file at `rel` into the new site unchanged (a hard link),
    /// for output the cache proved unchanged.
    pub fn reuse(&self, rel: &str) -> Result<(), WriteError> {
        self.reuse_sized(rel, None)
    }

    /// [`Staging::reuse`] of a file whose size is known (`None`: stat'ed here).
    fn reuse_sized(&self, rel: &str, size: Option<u64>) -> Result<(), WriteError> {
        let (rel_path, path) = self.target(rel)?;
        let old = self.old.as_ref().map(|o| o.join(&rel_path)).ok_or_else(|| WriteError {
            path: rel.to_string(),
            source: io::Error::new(io::ErrorKind::NotFound, "no previous site to reuse from"),
        })?;
        self.link(&old, &path).map_err(err(&old))?;
        self.place(rel);
        let size = size.or_else(|| fs::symlink_metadata(&path).ok().map(|meta| meta.len()));
        self.count(false, size.unwrap_or(0));
        Ok(())
    }

    /// Hard-links `from` at `path`; in a recycled tree, keeps what is there when it is
    /// already that file, and removes it first when it is not.
    fn link(&self, from: &Path, path: &Path) -> io::Result<()> {
        if self.recycled.is_some() {
            if spare::same_file(from, path) {
                return Ok(());
            }
            spare::remove(path)?;
        }
        fs::hard_link(from, path)
    }

    /// Links the file just placed at `path` into the twin tree, when there is one. A file
    /// the twin misses is only written again by the next build: the spare is not trusted.
    fn link_twin(&self, rel_path: &Path, path: &Path) {
        if let Some(twin) = &self.twin {
            let _ = fs::hard_link(path, twin.join(rel_path));
        }
    }

    /// In a recycled tree, removes what is at `path` before a file is written there: it
    /// may be the live site's own file under another name, which must not change.
    fn clear(&self, path: &Path) -> Result<(), WriteError> {
        match self.recycled {
            Some(_) => spare::remove(path).map_err(err(path)),
            None => Ok(()),
        }
    }

    /// Notes that `rel` is part of the new site (needed only to sweep a recycled tree).
    fn place(&self, rel: &str) {
        if self.recycled.is_some() {
            self.placed.lock().expect("placed lock").insert(rel.to_string());
        }
    }

    /// Gives the previous build's memo of rendered outputs (see [`Staging::memoized`]).
    pub fn remember(&mut self, previous: std::collections::BTreeMap<String, (u64, crate::cache::FileStat)>) {
        self.previous = previous;
    }

    /// Writes the output at `rel` that `render` makes from inputs whose hash is
    /// `fingerprint`; when the previous build rendered it from the same inputs and its file
    /// is as that build left it, that file is reused (hard-linked) and `render` not called.
    pub fn memoized<E: From<WriteError>>(
        &self,
        rel: &str,
        fingerprint: u64,
        render: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<(), E> {
        self.memo.lock().expect("memo lock").push((rel.to_string(), fingerprint));
        if let (Some((old_print, stat)), Some(old)) = (self.previous.get(rel), &self.old) {
            let now = crate::cache::FileStat::of(&old.join(rel)).ok().filter(|now| now.same_output(stat));
            if *old_print == fingerprint && now.is_some() && self.reuse_sized(rel, now.map(|n| n.size)).is_ok() {
                self.reused.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
        }
        let bytes = render()?;
        self.write(rel, &bytes)?;
        Ok(())
    }

    /// This build's memoized outputs, and how many were reused.
    pub fn memo(&self) -> (Vec<(String, u64)>, u64) {
        (std::mem::take(&mut *self.memo.lock().expect("memo lock")), self.reused.load(Ordering::Relaxed))
    }

    /// Puts the file at `from` (on the same file system, as the spool is) at `rel` in the
    /// new site: a hard link, or a copy where linking fails.
    pub fn link_file(&self, from: &Path, rel: &str) -> Result<(), WriteError> {
        let (rel_path, path) = self.target(rel)?;
        self.place(rel);
        // As in `write`: a file that comes out as the previous site's keeps that file, and
        // its timestamp (inputs copied afresh are read again, to the same raw data).
        let previous = self.old.as_ref().map(|old| old.join(&rel_path));
        let kept =
            previous.is_some_and(|previous| same_contents(&previous, from) && self.link(&previous, &path).is_ok());
        if !kept {
            if self.link(from, &path).is_err() {
                self.clear(&path)?;
                fs::copy(from, &path).map_err(err(from))?;
            }
            self.link_twin(&rel_path, &path);
        }
        let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        self.count(!kept, len);
        Ok(())
    }

    /// Where `rel` (a `/`-separated path of safe segments, checked here) goes in the new
    /// site, as that relative path and as a full path whose folder now exists.
    fn target(&self, rel: &str) -> Result<(PathBuf, PathBuf), WriteError> {
        let rel_path = checked(rel).map_err(err(Path::new(rel)))?;
        let path = self.root.join(&rel_path);
        if let Some(dir) = path.parent() {
            self.make_dir(dir)?;
        }
        Ok((rel_path, path))
    }

    /// Makes `dir` and its parents, once per build.
    fn make_dir(&self, dir: &Path) -> Result<(), WriteError> {
        if self.made.lock().expect("made lock").contains(dir) {
            return Ok(());
        }
        if fs::create_dir_all(dir).is_err() && self.recycled.is_some() {
            // A file of the spare where this build needs a folder.
            for ancestor in dir.ancestors().take_while(|a| a.starts_with(&self.root) && *a != self.root) {
                if fs::symlink_metadata(ancestor).is_ok_and(|m| !m.is_dir()) {
                    spare::remove(ancestor).map_err(err(ancestor))?;
                }
            }
        }
        fs::create_dir_all(dir).map_err(err(dir))?;
        if let (Some(twin), Ok(rel)) = (&self.twin, dir.strip_prefix(&self.root)) {
            let _ = fs::create_dir_all(twin.join(rel));
        }
        self.made.lock().expect("made lock").insert(dir.to_path_buf());
        Ok(())
    }

    /// Counts one file of `size` bytes placed in the new site: `written` by this build, or
    /// kept from the previous site (a hard link to its file).
    fn count(&self, written: bool, size: u64) {
        if written {
            self.files.fetch_add(1, Ordering::Relaxed);
            self.bytes.fetch_add(size, Ordering::Relaxed);
        }
        self.site_files.fetch_add(1, Ordering::Relaxed);
        self.site_bytes.fetch_add(size, Ordering::Relaxed);
    }

    /// The files and bytes written so far, and the files and bytes of the new site so far
    /// (written or kept).
    pub fn totals(&self) -> Totals {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        Totals {
            files_written: load(&self.files),
            bytes_written: load(&self.bytes),
            site_files: load(&self.site_files),
            site_bytes: load(&self.site_bytes),
        }
    }

    /// Puts the new site in place of `site` in one step; returns the old one, moved aside,
    /// for the caller to remove or keep as the spare (while it does other work). A recycled
    /// tree is first swept of what this build did not place, and what the maintainer keeps
    /// in `site` is linked into it (see [`is_kept`]).
    pub fn commit(mut self, site: &Path) -> Result<OldSite, WriteError> {
        if let Some(before) = &self.recycled {
            let placed = std::mem::take(&mut *self.placed.lock().expect("placed lock"));
            spare::sweep(&self.root, before, &placed).map_err(err(&self.root))?;
        }
        let root = self.root.clone();
        kept::carry(site, &root).map_err(err(site))?;
        let old = if site.exists() || fs::symlink_metadata(site).is_ok() {
            exchange(&root, site).map_err(err(site))?;
            // `root` now holds the old site.
            Some(root)
        } else {
            fs::rename(&root, site).map_err(err(site))?;
            None
        };
        self.kept = true;
        if let Some(parent) = site.parent() {
            let _ = File::open(if parent.as_os_str().is_empty() { Path::new(".") } else { parent })
                .and_then(|d| d.sync_all());
        }
        Ok(OldSite { old, site: site.to_path_buf(), spare: self.spare.take(), twin: self.twin.take() })
    }
}

/// The previous site after [`Staging::commit`]: [`OldSite::finish`] keeps it as the spare
/// tree or removes it; dropped, it is removed (a killed build leaves it to the next
/// build's stale-staging clean-up).
#[must_use = "the old site is removed or kept as the spare by `finish`, or removed on drop"]
pub struct OldSite {
    old: Option<PathBuf>,
    site: PathBuf,
    spare: Option<PathBuf>,
    /// The spare made beside the site ([`Staging`]'s twin), when there is one.
    twin: Option<PathBuf>,
}

impl OldSite {
    /// Keeps the old site as the spare tree when there is to be one (after a first build,
    /// a copy of the new site made of hard links), or removes it.
    pub fn finish(mut self) -> Result<(), WriteError> {
        match (self.old.take(), &self.spare) {
            (Some(old), Some(spare)) => {
                fs::rename(&old, spare).or_else(|_| fs::remove_dir_all(&old)).map_err(err(&old))
            }
            (Some(old), None) => fs::remove_dir_all(&old).map_err(err(&old)),
            (None, Some(spare)) => {
                let tree = match self.twin.take() {
                    Some(twin) => twin,
                    None => {
                        let (parent, name) = parent_and_name(&self.site);
                        let tree = staging_dir(&parent, &name).map_err(err(&parent))?;
                        if let Err(e) = spare::link_tree(&self.site, &tree) {
                            let _ = fs::remove_dir_all(&tree);
                            return Err(err(&tree)(e));
                        }
                        tree
                    }
                };
                fs::rename(&tree, spare).map_err(err(spare))
            }
            (None, None) => Ok(()),
        }
    }
}

impl Drop for OldSite {
    fn drop(&mut self) {
        for path in [self.old.take(), self.twin.take()].into_iter().flatten() {
            let _ = fs::remove_dir_all(path);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_dir_all(&self.root);
        }
        if let Some(twin) = self.twin.take() {
            let _ = fs::remove_dir_all(twin);
        }
    }
}

/// A new, empty staging folder `.<name>.staging-<random>` in `parent` (a killed build's
/// are removed by the next one).
fn staging_dir(parent: &Path, name: &str) -> io::Result<PathBuf> {
    Ok(tempfile::Builder::new()
        .prefix(&format!(".{name}.staging-"))
        .rand_bytes(STAGING_RANDOM)
        .tempdir_in(parent)?
        .keep())
}

/// A relative path with no empty, `.`, `..` or absolute parts, no NUL and no backslash.
fn checked(rel: &str) -> io::Result<PathBuf> {
    let ok = !rel.is_empty()
        && !rel.contains(['\0', '\\'])
        && rel.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    if !ok {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "refusing an output path outside the site"));
    }
    Ok(PathBuf::from(rel))
}

fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => fs::read(path).is_ok_and(|old| old == bytes),
        _ => false,
    }
}

/// Whether the regular files `a` and `b` hold the same bytes (read a block at a time,
/// and only when their sizes agree).
fn same_contents(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Ok(mut a), Ok(mut b)) = (File::open(a), File::open(b)) else { return false };
    let (Ok(meta_a), Ok(meta_b)) = (a.metadata(), b.metadata()) else { return false };
    if !meta_a.is_file() || !meta_b.is_file() || meta_a.len() != meta_b.len() {
        return false;
    }
    let (mut block_a, mut block_b) = (vec![0u8; 256 * 1024], vec![0u8; 256 * 1024]);
    loop {
        let Ok(n) = a.read(&mut block_a) else { return false };
        if n == 0 {
            return b.read(&mut block_b[..1]).is_ok_and(|m| m == 0);
        }
        if b.read_exact(&mut block_b[..n]).is_err() || block_a[..n] != block_b[..n] {
            return false;
        }
    }
}

fn parent_and_name(site: &Path) -> (PathBuf, String) {
    let parent = match site.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = site.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "site".into());
    (parent, name)
}

/// Atomically exchanges two paths (Linux `renameat2` with `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them relative to the cwd.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_contents_compares_every_byte_past_the_first_block() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            fs::write(&path, bytes).unwrap();
            path
        };
        let long: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        let mut last_differs = long.clone();
        *last_differs.last_mut().unwrap() ^= 1;
        let (a, b, c) = (at("a", &long), at("b", &long), at("c", &last_differs));
        assert!(same_contents(&a, &b));
        assert!(!same_contents(&a, &c), "a byte past two blocks");
        assert!(!same_contents(&a, &at("d", &long[..599_999])), "a size apart");
        assert!(same_contents(&at("e", b""), &at("f", b"")));
        assert!(!same_contents(&a, &dir.path().join("missing")));
        assert!(!same_contents(dir.path(), dir.path()), "not a regular file");
    }

    #[test]
    fn refuses_paths_that_leave_the_site() {
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a\\b", "a/./b", "a\0b", "a/"] {
            assert!(checked(bad).is_err(), "{bad:?}");
        }
        assert!(checked("charts/2026-01-01/index.html").is_ok());
    }

    #[test]
    fn swaps_in_the_new_site_and_keeps_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let first = Staging::new(&site, false).unwrap();
        first.write("a/same.txt", b"same").unwrap();
        first.write("stale.txt", b"old").unwrap();
        first.commit(&site).unwrap().finish().unwrap();
        let before = fs::metadata(site.join("a/same.txt")).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = Staging::new(&site, false).unwrap();
        second.write("a/same.txt", b"same").unwrap();
        second.write("new.txt", b"new").unwrap();
        second.commit(&site).unwrap().finish().unwrap();
        let after = fs::metadata(site.join("a/same.txt")).unwrap();
        assert_eq!(before.modified().unwrap(), after.modified().unwrap());
        assert!(!site.join("stale.txt").exists());
        assert_eq!(fs::read(site.join("new.txt")).unwrap(), b"new");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("site")]);
    }

    #[test]
    fn a_dropped_staging_leaves_the_old_site() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        fs::create_dir(&site).unwrap();
        fs::write(site.join("keep.txt"), b"k").unwrap();
        {
            let staging = Staging::new(&site, false).unwrap();
            staging.write("x.txt", b"x").unwrap();
        }
        assert_eq!(fs::read(site.join("keep.txt")).unwrap(), b"k");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_second_lock_is_refused_naming_the_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let held = SiteLock::acquire(&site).unwrap();
        let refused = SiteLock::acquire(&site).err().expect("refused");
        assert_eq!(refused.source.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(refused.path, dir.path().join(".site.lock").display().to_string());
        let message = refused.to_string();
        assert!(message.contains(".site.lock`: another build of"), "{message}");
        assert!(!message.contains('\n'));
        // A waiting build gets the lock once the first one ends.
        let waiter = {
            let site = site.clone();
            std::thread::spawn(move || SiteLock::wait(&site).map(|_| ()).is_ok())
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(held);
        assert!(waiter.join().unwrap());
        assert!(SiteLock::acquire(&site).is_ok());
    }

    #[test]
    fn a_first_build_makes_its_spare_while_writing_and_a_failed_one_leaves_none() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let listing = || {
            let mut names: Vec<String> = fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        // Dropped before the swap: neither the staging tree nor its twin is left.
        let staging = Staging::new(&site, true).unwrap();
        staging.write("a/b/c.html", b"c").unwrap();
        assert_eq!(listing().len(), 2, "the staging tree and its twin: {:?}", listing());
        drop(staging);
        assert_eq!(listing(), Vec::<String>::new());
        // Swapped in: the spare holds every file placed, each the site's own (a hard link).
        let from = tempfile::tempdir_in(dir.path()).unwrap();
        fs::write(from.path().join("spooled"), b"e").unwrap();
        let staging = Staging::new(&site, true).unwrap();
        staging.write("a/b/c.html", b"c").unwrap();
        staging.write_by("d.json", |file| file.write_all(b"d")).unwrap();
        staging.link_file(&from.path().join("spooled"), "e/linked.json").unwrap();
        drop(from);
        staging.commit(&site).unwrap().finish().unwrap();
        assert_eq!(listing(), [".site.spare", "site"]);
        for rel in ["a/b/c.html", "d.json", "e/linked.json"] {
            assert!(spare::same_file(&site.join(rel), &dir.path().join(".site.spare").join(rel)), "{rel}");
        }
    }

    #[test]
    fn a_recycled_file_is_written_in_place_only_when_no_other_tree_shares_it() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let spare = dir.path().join(".site.spare");
        let ino = |path: &Path| fs::symlink_metadata(path).unwrap().ino();
        let build = |files: &[(&str, &[u8])]| {
            let staging = Staging::new(&site, true).unwrap();
            for (rel, bytes) in files {
                staging.write(rel, bytes).unwrap();
            }
            staging.commit(&site).unwrap().finish().unwrap();
        };
        build(&[("own.html", b"first, and long"), ("shared.html", b"1"), ("kept.html", b"k")]);
        build(&[("own.html", b"second"), ("shared.html", b"1"), ("kept.html", b"k")]);
        // Now the spare's `own.html` is its own (the site has another), its `shared.html`
        // the site's file. A name outside both trees shares `kept.html` too.
        assert!(!spare::same_file(&site.join("own.html"), &spare.join("own.html")));
        assert!(spare::same_file(&site.join("shared.html"), &spare.join("shared.html")));
        fs::hard_link(site.join("kept.html"), dir.path().join("outside")).unwrap();
        // Held open, so that a file put in its place could not take its inode number.
        let spare_own = fs::File::open(spare.join("own.html")).unwrap();
        let site_shared = ino(&site.join("shared.html"));
        build(&[("own.html", b"3"), ("shared.html", b"2"), ("kept.html", b"K")]);
        // Written over in place, and cut to its new length.
        assert_eq!(ino(&site.join("own.html")), spare_own.metadata().unwrap().ino());
        assert_eq!(std::io::read_to_string(&spare_own).unwrap(), "3");
        assert_eq!(fs::read(site.join("own.html")).unwrap(), b"3");
        // The files shared with another name were replaced: those names keep their bytes.
        assert_ne!(ino(&site.join("shared.html")), site_shared);
        assert_eq!(fs::read(spare.join("shared.html")).unwrap(), b"1");
        assert_eq!(fs::read(site.join("shared.html")).unwrap(), b"2");
        assert_eq!(fs::read(dir.path().join("outside")).unwrap(), b"k");
        assert_eq!(fs::read(site.join("kept.html")).unwrap(), b"K");
        // A link in the spare is never written through.
        fs::remove_file(spare.join("own.html")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), spare.join("own.html")).unwrap();
        build(&[("own.html", b"4"), ("shared.html", b"2"), ("kept.html", b"K")]);
        assert_eq!(fs::read(dir.path().join("outside")).unwrap(), b"k");
        assert_eq!(fs::read(site.join("own.html")).unwrap(), b"4");
        // Nor a link or a FIFO put there after the spare was taken: neither is opened.
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
        assert!(spare::open_own(&fifo).is_none(), "a FIFO with no reader is not waited for");
        std::os::unix::fs::symlink(dir.path().join("outside"), dir.path().join("link")).unwrap();
        assert!(spare::open_own(&dir.path().join("link")).is_none());
        fs::write(dir.path().join("one"), b"1").unwrap();
        assert!(spare::open_own(&dir.path().join("one")).is_some(), "one name");
        fs::hard_link(dir.path().join("one"), dir.path().join("two")).unwrap();
        assert!(spare::open_own(&dir.path().join("one")).is_none(), "two names");
    }

    #[test]
    fn stale_staging_dirs_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        fs::create_dir_all(site.join("keep")).unwrap();
        for stale in [".site.staging-AbC123", ".site.staging-zzzzzz"] {
            fs::create_dir_all(dir.path().join(stale).join("a/b")).unwrap();
            fs::write(dir.path().join(stale).join("a/b/c.json"), b"{}").unwrap();
        }
        // Not ours: another site's staging dir, a file, a link to a directory.
        let others = [".site.staging-x.staging-AbC123", ".site.staging-toolong1", ".other.staging-AbC123"];
        for other in others {
            fs::create_dir(dir.path().join(other)).unwrap();
        }
        fs::write(dir.path().join(".site.staging-file00"), b"x").unwrap();
        std::os::unix::fs::symlink(&site, dir.path().join(".site.staging-link00")).unwrap();
        let staging = Staging::new(&site, false).unwrap();
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| **n != *staging.root().file_name().unwrap().to_string_lossy())
            .collect();
        left.sort();
        let mut expected: Vec<String> = others.iter().map(|s| s.to_string()).collect();
        expected.extend([".site.staging-file00".into(), ".site.staging-link00".into(), "site".into()]);
        expected.sort();
        assert_eq!(left, expected);
        assert!(staging.root().is_dir());
        assert!(site.join("keep").is_dir());
    }
}
