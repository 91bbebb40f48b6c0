//! DATA, SITE and the cache must be three separate folders, none inside another.
//!
//! A build replaces SITE whole (the old tree becomes the spare it writes the next site
//! into), so a DATA that is SITE or lies inside it would be moved aside and then written
//! over: the reports lost. A SITE or cache inside DATA would be read as input by the next
//! build (a site's `data/<DAY>.json` are reports, its chart JSON looks like them). Checked
//! before anything is created, on the paths as the file system resolves them (symbolic
//! links, `..`), so no spelling of one folder gets past.

use std::path::{Component, Path, PathBuf};

/// A folder a build uses, named for the error message.
pub struct Folder<'a> {
    pub role: &'static str,
    pub path: &'a Path,
}

/// An error naming the two folders that overlap, when any do.
pub fn check_apart(folders: &[Folder<'_>]) -> Result<(), String> {
    let resolved: Vec<PathBuf> = folders.iter().map(|f| resolve(f.path)).collect();
    for (i, a) in folders.iter().enumerate() {
        for (j, b) in folders.iter().enumerate().skip(i + 1) {
            let (ra, rb) = (&resolved[i], &resolved[j]);
            let named = |f: &Folder<'_>| format!("{} `{}`", f.role, f.path.display());
            let overlap = if ra == rb {
                format!("{} and {} are the same folder", named(a), named(b))
            } else if rb.starts_with(ra) {
                format!("{} is inside {}", named(b), named(a))
            } else if ra.starts_with(rb) {
                format!("{} is inside {}", named(a), named(b))
            } else {
                continue;
            };
            return Err(format!(
                "{overlap}: DATA, SITE and the cache must be separate folders, none inside another \
                 (a build replaces SITE whole and reads every file in DATA)"
            ));
        }
    }
    Ok(())
}

/// The folder a `SITE` that is a symbolic link points to (followed to the end), which a
/// build then replaces instead of the link: a `site` linked to a `gh-pages` worktree
/// elsewhere is updated there. `None` when `site` is not a link to a folder.
pub fn link_target(site: &Path) -> Option<PathBuf> {
    let meta = std::fs::symlink_metadata(site).ok()?;
    (meta.file_type().is_symlink() && site.is_dir()).then(|| site.canonicalize().ok()).flatten()
}

/// Whether `path` is a folder on another file system than the folder holding it (a
/// Docker volume, say), which no rename may replace.
pub fn is_mount_point(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let resolved = resolve(path);
    let (Some(parent), Ok(meta)) = (resolved.parent(), std::fs::metadata(&resolved)) else { return false };
    meta.is_dir() && std::fs::metadata(parent).is_ok_and(|up| up.dev() != meta.dev())
}

/// `path` as the file system resolves it: its longest existing ancestor made canonical,
/// then the components that do not exist yet, `..` and `.` taken lexically (below a
/// folder that does not exist, nothing can be a link).
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut out = canonical;
            for part in rest.iter().rev() {
                push_lexically(&mut out, *part);
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

fn push_lexically(out: &mut PathBuf, part: Component<'_>) {
    match part {
        Component::ParentDir => {
            out.pop();
        }
        Component::CurDir => {}
        other => out.push(other),
    }
}

/// Whether `entry`, found in one of the maintainer's own folders (templates, static files,
/// Markdown pages), is a file to read: a regular file, or a symbolic link to one (a page
/// or stylesheet kept in another checkout). Uploaded reports are never followed through
/// links; these folders are the maintainer's, and what is read is what the "nothing
/// changed" check hashes.
pub fn is_theme_file(entry: &walkdir::DirEntry) -> bool {
    entry.file_type().is_file() || (entry.path_is_symlink() && entry.path().is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_on_another_file_system_is_a_mount_point_and_an_ordinary_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir(&site).unwrap();
        assert!(!is_mount_point(&site));
        assert!(!is_mount_point(&dir.path().join("missing")));
        // /proc is its own file system on Linux.
        if Path::new("/proc/self").exists() {
            assert!(is_mount_point(Path::new("/proc")));
        }
    }

    fn check(data: &Path, site: &Path, cache: &Path) -> Result<(), String> {
        check_apart(&[
            Folder { role: "DATA", path: data },
            Folder { role: "SITE", path: site },
            Folder { role: "the cache", path: cache },
        ])
    }

    #[test]
    fn separate_folders_pass_and_any_overlap_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("data")).unwrap();
        let (data, site, cache) = (root.join("data"), root.join("site"), root.join(".site.cache"));
        assert_eq!(check(&data, &site, &cache), Ok(()));
        // A sibling whose name starts with DATA's is not inside it.
        assert_eq!(check(&data, &root.join("data-site"), &cache), Ok(()));

        let named = |role: &str, path: &Path| format!("{role} `{}`", path.display());
        let (in_data, in_site) = (data.join("site"), site.join("cache"));
        let cases = [
            (
                (&data, &data, &cache),
                format!("{} and {} are the same folder:", named("DATA", &data), named("SITE", &data)),
            ),
            ((&data, &in_data, &cache), format!("{} is inside {}:", named("SITE", &in_data), named("DATA", &data))),
            (
                (&data, &root.to_path_buf(), &cache),
                format!("{} is inside {}:", named("DATA", &data), named("SITE", root)),
            ),
            ((&data, &site, &in_data), format!("{} is inside {}:", named("the cache", &in_data), named("DATA", &data))),
            ((&data, &site, &in_site), format!("{} is inside {}:", named("the cache", &in_site), named("SITE", &site))),
        ];
        for ((data, site, cache), expected) in cases {
            let err = check(data, site, cache).unwrap_err();
            assert!(err.starts_with(&expected), "{err}");
        }
    }

    #[test]
    fn a_site_linked_to_a_folder_is_that_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("pages")).unwrap();
        std::os::unix::fs::symlink(root.join("pages"), root.join("link")).unwrap();
        std::os::unix::fs::symlink("link", root.join("site")).unwrap();
        std::os::unix::fs::symlink("missing", root.join("dangling")).unwrap();
        assert_eq!(link_target(&root.join("site")), Some(root.join("pages").canonicalize().unwrap()));
        assert_eq!(link_target(&root.join("pages")), None, "a folder itself");
        assert_eq!(link_target(&root.join("dangling")), None);
        assert_eq!(link_target(&root.join("absent")), None);
    }

    #[test]
    fn links_dots_and_folders_not_made_yet_resolve_to_the_same_place() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("data")).unwrap();
        std::os::unix::fs::symlink(root.join("data"), root.join("link")).unwrap();
        let data = root.join("data");
        assert_eq!(resolve(&root.join("link")), resolve(&data));
        assert_eq!(resolve(&root.join("data/./x/../")), resolve(&data));
        assert_eq!(resolve(&root.join("link/new/site")), resolve(&data).join("new/site"));
        assert_eq!(resolve(&root.join("new/../data")), resolve(&data));
        let cache = root.join("c");
        assert!(check(&data, &root.join("link"), &cache).unwrap_err().contains("are the same folder"));
        assert!(check(&data, &root.join("link/new/site"), &cache).unwrap_err().contains("is inside DATA"));
        assert!(check(&root.join("data/sub/.."), &root.join("site/../data"), &cache).is_err());
    }
}
