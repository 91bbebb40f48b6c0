//! What a build keeps of `SITE` that it did not make: the top-level entries whose names
//! start with a dot (`.git`, as when `SITE` is a clone or `git worktree` of a `gh-pages`
//! branch; `.github`, `.gitignore`, `.well-known`), except the `.nojekyll` the build
//! writes, and `CNAME` (a custom domain for a site published from a branch).
//!
//! `SITE` is otherwise replaced whole, so these would be lost with the old tree: instead
//! each is hard-linked, as it is, into the new tree before the swap (folders made anew,
//! everything else linked, symbolic links not followed), so the swap stays one step and a
//! build killed at any moment leaves them in `SITE`. A build's outputs never start with a
//! dot (but `.nojekyll`) and are never named `CNAME`, so none is ever replaced by one.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Whether the top-level entry `name` of `SITE` is the maintainer's, kept by every build.
pub fn is_kept(name: &OsStr) -> bool {
    let name = name.as_bytes();
    (name.starts_with(b".") && name != b".nojekyll") || name == b"CNAME"
}

/// Links every kept entry of `site` (when there is one) into `root`, the new tree, in
/// place of whatever `root` holds under that name.
pub fn carry(site: &Path, root: &Path) -> io::Result<()> {
    let entries = match fs::read_dir(site) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if is_kept(&name) {
            let to = root.join(&name);
            super::spare::remove(&to)?;
            super::spare::link_all(&entry.path(), &to)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn dot_entries_and_cname_are_kept_and_the_builds_own_are_not() {
        for kept in [".git", ".github", ".gitignore", ".well-known", ".x", "CNAME"] {
            assert!(is_kept(OsStr::new(kept)), "{kept}");
        }
        for made in [".nojekyll", "index.html", "data", "charts", "cname", "CNAME.txt", "x.git"] {
            assert!(!is_kept(OsStr::new(made)), "{made}");
        }
    }

    #[test]
    fn kept_entries_are_linked_into_the_new_tree_in_place_of_stale_copies() {
        let dir = tempfile::tempdir().unwrap();
        let (site, root) = (dir.path().join("site"), dir.path().join("root"));
        fs::create_dir_all(site.join(".git/objects/ab")).unwrap();
        fs::write(site.join(".git/objects/ab/cdef"), "object").unwrap();
        fs::write(site.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").unwrap();
        std::os::unix::fs::symlink("../elsewhere", site.join(".git/link")).unwrap();
        fs::write(site.join("CNAME"), "telemetry.example.org\n").unwrap();
        fs::write(site.join(".nojekyll"), "").unwrap();
        fs::write(site.join("index.html"), "old page").unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join(".git/stale"), "from the spare").unwrap();
        fs::write(root.join("index.html"), "new page").unwrap();

        carry(&site, &root).unwrap();
        let same = |rel: &str| {
            let (a, b) = (fs::symlink_metadata(site.join(rel)).unwrap(), fs::symlink_metadata(root.join(rel)).unwrap());
            (a.dev(), a.ino()) == (b.dev(), b.ino())
        };
        assert!(same(".git/objects/ab/cdef") && same(".git/HEAD") && same("CNAME"));
        assert!(same(".git/link"), "the link itself, not what it points to");
        assert_eq!(fs::read_link(root.join(".git/link")).unwrap(), Path::new("../elsewhere"));
        assert!(!root.join(".git/stale").exists(), "a stale copy is replaced");
        assert!(!root.join(".nojekyll").exists(), "the build's own file is not carried");
        assert_eq!(fs::read_to_string(root.join("index.html")).unwrap(), "new page");
        // No site yet: nothing to carry.
        carry(&dir.path().join("absent"), &root).unwrap();
    }
}
