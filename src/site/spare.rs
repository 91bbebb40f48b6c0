//! The spare tree: a second copy of the site, beside it, that the next build turns into the
//! new site instead of making one from nothing.
//!
//! A nightly build changes a few dozen of a site's thousands of files. Making a fresh
//! staging tree costs a `mkdir` per folder and a hard link per unchanged file, and removing
//! the old site after the swap an `unlink` per file and an `rmdir` per folder: for a year's
//! site (3,000 files in 1,100 folders) that was most of a nightly build. So the old site is
//! not removed: it is kept as `.<SITE name>.spare` and becomes the next build's staging
//! tree, where only what changed since it was the site has to be replaced.
//!
//! Nothing in the spare is trusted. Its files share inodes with the site's (hard links), so
//! a shared file is never written in place: it is removed, then written or linked anew.
//! Only a file whose one name is in the spare (one the last build changed) is written
//! over in place ([`open_own`]). A file
//! the build reuses from the site is kept only when it is the site's file itself (same
//! device and inode); a symbolic link or special file is removed on sight; and whatever
//! the build did not produce is removed before the swap. The site itself is only ever
//! changed by the swap, so a build killed while it updates the spare leaves the site as it
//! was, and the next build puts the spare right.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// `.<SITE name>.spare` beside the site.
pub fn path(parent: &Path, name: &str) -> PathBuf {
    parent.join(format!(".{name}.spare"))
}

/// What a recycled staging tree held when the build took it: its folders and files,
/// relative to it, `/`-separated.
#[derive(Debug, Default)]
pub struct Contents {
    pub dirs: Vec<String>,
    pub files: Vec<String>,
}

/// Moves the spare at `spare` into place as `root` (an empty folder, which it replaces)
/// and lists it; symbolic links and special files in it are removed. The maintainer's
/// entries ([`super::is_kept`]: `.git`, `CNAME`) are neither listed nor looked into: the
/// build's carry makes them the site's ([`super::kept::carry`]). `None` when there is no
/// spare (or it is not a plain folder, or cannot be moved).
pub fn take(spare: &Path, root: &Path) -> Option<Contents> {
    let meta = fs::symlink_metadata(spare).ok()?;
    if !meta.is_dir() {
        return None;
    }
    fs::rename(spare, root).ok()?;
    let mut contents = Contents::default();
    let walk = WalkDir::new(root).min_depth(1).sort_by_file_name();
    for entry in walk.into_iter().filter_entry(|e| e.depth() != 1 || !super::is_kept(e.file_name())) {
        let Ok(entry) = entry else { continue };
        let Some(rel) = entry.path().strip_prefix(root).ok().and_then(|r| r.to_str()) else {
            let _ = remove(entry.path());
            continue;
        };
        let kind = entry.file_type();
        if kind.is_dir() {
            contents.dirs.push(rel.to_string());
        } else if kind.is_file() {
            contents.files.push(rel.to_string());
        } else {
            let _ = fs::remove_file(entry.path());
        }
    }
    Some(contents)
}

/// Removes what is at `path`, whatever it is; nothing there is fine.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The regular file at `path`, opened for writing, when `path` is its one name: no other
/// tree (the site above all) shares it, so it may be written over in place. Its blocks are
/// then used again, not freed and taken anew; on a file system mounted with `discard`,
/// freeing them waits for the disk. `None` for anything else: a link is not followed, and
/// a FIFO put there since the spare was listed does not block the open.
pub fn open_own(path: &Path) -> Option<fs::File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    let flags = (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32;
    let file = fs::OpenOptions::new().write(true).custom_flags(flags).open(path).ok()?;
    // Asked of the file opened, not of the name: what is written is what was checked.
    let meta = file.metadata().ok()?;
    (meta.is_file() && meta.nlink() == 1).then_some(file)
}

/// Whether `a` and `b` are the same regular file (one inode, two names).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::symlink_metadata(a), fs::symlink_metadata(b)) {
        (Ok(a), Ok(b)) => a.is_file() && b.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Removes from `root` every file of `before` that this build did not place and every
/// folder of `before` that holds nothing it placed. A name may have changed kind (a file
/// where a folder was, or the other way round): what the build put there stays.
pub fn sweep(root: &Path, before: &Contents, placed: &HashSet<String>) -> io::Result<()> {
    let mut needed: HashSet<&str> = HashSet::new();
    for rel in placed {
        let mut rest = rel.as_str();
        while let Some((dir, _)) = rest.rsplit_once('/') {
            if !needed.insert(dir) {
                break;
            }
            rest = dir;
        }
    }
    let kept = |rel: &String| placed.contains(rel) || needed.contains(rel.as_str());
    for rel in before.files.iter().chain(&before.dirs) {
        if !kept(rel) {
            remove(&root.join(rel))?;
        }
    }
    Ok(())
}

/// Makes the empty folder `to` a copy of the tree `from` made of hard links: its folders
/// made anew, the rest linked ([`link_all`] of each entry).
pub fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        link_all(&entry.path(), &to.join(entry.file_name()))?;
    }
    Ok(())
}

/// Makes `to` a copy of `from` of hard links, keeping what it holds of it already:
/// anything but a folder (a file, a symbolic link, a FIFO) is linked as it is, a link not
/// followed, unless `to` is that very inode already; a folder is made with `from`'s mode
/// when missing, gets `from`'s entries the same way and loses those `from` lacks.
/// Something in `from` that vanishes meanwhile is passed by: git may be at work in the
/// site, whose `.git` this links ([`super::kept`]).
pub fn link_all(from: &Path, to: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(from) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return remove_stale(to),
        Err(e) => return Err(e),
    };
    let present = fs::symlink_metadata(to).ok();
    if !meta.is_dir() {
        if present.is_some_and(|m| !m.is_dir() && (m.dev(), m.ino()) == (meta.dev(), meta.ino())) {
            return Ok(());
        }
        remove(to)?;
        return match fs::hard_link(from, to) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            linked => linked,
        };
    }
    if !present.is_some_and(|m| m.is_dir()) {
        remove(to)?;
        fs::create_dir(to)?;
    }
    let entries = match fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return remove_stale(to),
        Err(e) => return Err(e),
    };
    let mut names = HashSet::new();
    for entry in entries {
        let name = entry?.file_name();
        link_all(&from.join(&name), &to.join(&name))?;
        names.insert(name);
    }
    for entry in fs::read_dir(to)? {
        let entry = entry?;
        if !names.contains(&entry.file_name()) {
            remove_stale(&entry.path())?;
        }
    }
    fs::set_permissions(to, meta.permissions())
}

/// Removes what `from` no longer has; when something is writing into it meanwhile
/// (`Directory not empty`), it stays: a stray file in the maintainer's `.git` is better
/// than a failed build.
fn remove_stale(path: &Path) -> io::Result<()> {
    match remove(path) {
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => Ok(()),
        removed => removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spare_is_listed_and_cleared_of_links() {
        let dir = tempfile::tempdir().unwrap();
        let spare = dir.path().join(".site.spare");
        fs::create_dir_all(spare.join("a/b")).unwrap();
        fs::write(spare.join("a/b/c.html"), "c").unwrap();
        fs::write(spare.join("top.html"), "t").unwrap();
        std::os::unix::fs::symlink("/etc", spare.join("a/escape")).unwrap();
        // The maintainer's `.git` (a link in it too) and CNAME: not listed, not touched.
        fs::create_dir_all(spare.join(".git/objects")).unwrap();
        fs::write(spare.join(".git/objects/x"), "object").unwrap();
        std::os::unix::fs::symlink("../x", spare.join(".git/objects/link")).unwrap();
        fs::write(spare.join("CNAME"), "example.org").unwrap();
        let root = dir.path().join("root");
        fs::create_dir(&root).unwrap();
        let contents = take(&spare, &root).unwrap();
        assert!(!spare.exists());
        assert_eq!(contents.dirs, ["a", "a/b"]);
        assert_eq!(contents.files, ["a/b/c.html", "top.html"]);
        assert!(fs::symlink_metadata(root.join("a/escape")).is_err(), "the link is removed");
        assert!(fs::symlink_metadata(root.join(".git/objects/link")).is_ok(), "the maintainer's own");
        assert!(root.join("CNAME").exists() && root.join(".git/objects/x").exists());
        // Nothing to take.
        assert!(take(&spare, &dir.path().join("other")).is_none());
    }

    #[test]
    fn a_sweep_keeps_only_what_was_placed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("keep/deep")).unwrap();
        fs::create_dir_all(root.join("gone/deep")).unwrap();
        for file in ["keep/deep/a.html", "keep/old.html", "gone/deep/b.html", "old.html", "new.html"] {
            fs::write(root.join(file), "x").unwrap();
        }
        // Names that changed kind during the build: `was-file` was a file and is now a
        // folder with a placed file in it; `was-dir` was a folder and is now a placed file.
        fs::create_dir(root.join("was-file")).unwrap();
        fs::write(root.join("was-file/in.html"), "x").unwrap();
        fs::write(root.join("was-dir"), "x").unwrap();
        let before = Contents {
            dirs: vec!["gone".into(), "gone/deep".into(), "keep".into(), "keep/deep".into(), "was-dir".into()],
            files: vec![
                "gone/deep/b.html".into(),
                "keep/deep/a.html".into(),
                "keep/old.html".into(),
                "old.html".into(),
                "was-file".into(),
            ],
        };
        let placed: HashSet<String> =
            ["keep/deep/a.html", "new.html", "was-file/in.html", "was-dir"].map(String::from).into();
        sweep(root, &before, &placed).unwrap();
        let mut left: Vec<String> = WalkDir::new(root)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap().path().strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["keep", "keep/deep", "keep/deep/a.html", "new.html", "was-dir", "was-file", "was-file/in.html"]
        );
    }

    #[test]
    fn a_linked_tree_shares_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from");
        fs::create_dir_all(from.join("x/y")).unwrap();
        fs::write(from.join("x/y/z.html"), "z").unwrap();
        fs::write(from.join("a.html"), "a").unwrap();
        let to = dir.path().join("to");
        fs::create_dir(&to).unwrap();
        link_tree(&from, &to).unwrap();
        assert!(same_file(&from.join("x/y/z.html"), &to.join("x/y/z.html")));
        assert!(same_file(&from.join("a.html"), &to.join("a.html")));
        assert!(!same_file(&from.join("a.html"), &to.join("x/y/z.html")));
        assert!(!same_file(&from.join("x"), &to.join("x")), "folders are not files");
    }
}
