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
//!
//! The new tree is mostly the spare, the site before last, whose kept entries are links to
//! the same files already: only what differs is linked again or removed ([`carry`]), so
//! a `.git` of tens of thousands of files costs a walk, not an unlink and a link each. And
//! git may be at work in `SITE` meanwhile (`git gc --auto` goes on in the background after
//! a commit): a file that vanishes while it is linked is passed by, and a stale one that
//! cannot be removed because something writes into its folder is left, not a failed build.

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

/// Makes every kept entry of `root`, the new tree, the same as `site`'s (when there is a
/// site): each of `site`'s linked in ([`super::spare::link_all`], which keeps what is
/// linked already), and those `site` no longer has removed.
pub fn carry(site: &Path, root: &Path) -> io::Result<()> {
    let kept_names = |dir: &Path| -> io::Result<Vec<std::ffi::OsString>> {
        match fs::read_dir(dir) {
            Ok(entries) => entries
                .map(|entry| entry.map(|e| e.file_name()))
                .filter(|name| name.as_ref().map_or(true, |name| is_kept(name)))
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    };
    let wanted = kept_names(site)?;
    for name in kept_names(root)? {
        if !wanted.contains(&name) {
            super::spare::remove(&root.join(&name))?;
        }
    }
    for name in wanted {
        super::spare::link_all(&site.join(&name), &root.join(&name))?;
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

    #[test]
    fn a_carry_into_a_tree_that_has_them_already_keeps_its_links_and_mends_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (site, root) = (dir.path().join("site"), dir.path().join("root"));
        fs::create_dir_all(site.join(".git/objects/ab")).unwrap();
        fs::write(site.join(".git/objects/ab/cdef"), "object").unwrap();
        fs::write(site.join(".git/HEAD"), "ref: refs/heads/gh-pages\n").unwrap();
        fs::write(site.join(".well-known"), "a file now").unwrap();
        fs::create_dir(&root).unwrap();
        carry(&site, &root).unwrap();
        let ino = |path: &Path| fs::symlink_metadata(path).unwrap().ino();
        let kept_ino = ino(&root.join(".git/objects/ab/cdef"));
        // Since: git packed an object away and wrote another; HEAD was rewritten (a new
        // inode); the spare holds a folder the site no longer has, and a folder where the
        // site has a file; CNAME was removed from the site.
        fs::remove_file(site.join(".git/HEAD")).unwrap();
        fs::write(site.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        fs::create_dir(site.join(".git/objects/pack")).unwrap();
        fs::write(site.join(".git/objects/pack/p.pack"), "pack").unwrap();
        fs::create_dir_all(root.join(".git/objects/old")).unwrap();
        fs::write(root.join(".git/objects/old/gone"), "packed away").unwrap();
        fs::remove_file(root.join(".well-known")).unwrap();
        fs::create_dir(root.join(".well-known")).unwrap();
        fs::write(root.join("CNAME"), "old.example.org\n").unwrap();

        carry(&site, &root).unwrap();
        assert_eq!(ino(&root.join(".git/objects/ab/cdef")), kept_ino, "the same link, not made again");
        for rel in [".git/objects/ab/cdef", ".git/HEAD", ".git/objects/pack/p.pack", ".well-known"] {
            assert_eq!(ino(&root.join(rel)), ino(&site.join(rel)), "{rel}");
        }
        assert!(!root.join(".git/objects/old").exists(), "what the site lacks goes");
        assert!(!root.join("CNAME").exists(), "a kept entry the site no longer has goes");
        // An entry that vanished from the site while it was being linked is passed by.
        let link_all = super::super::spare::link_all;
        link_all(&site.join(".git/not-there"), &root.join(".git/not-there")).unwrap();
        link_all(&site.join(".git/not-there"), &root.join(".git/HEAD.lock")).unwrap();
    }
}
