//! The static files (`static/` in the site): built-ins embedded in the binary, replaced or
//! added to file by file from a project's `--static DIR`, as mdBook's themes are.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use super::RenderError;
use crate::site::Staging;

/// The built-in static files, by path under `static/`.
pub const BUILTIN: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../../static/style.css")),
    ("favicon.svg", include_bytes!("../../static/favicon.svg")),
];

/// Every static file: the built-ins, then the files of `user_dir` over them.
pub fn collect(user_dir: Option<&Path>) -> Result<BTreeMap<String, Cow<'static, [u8]>>, RenderError> {
    let mut files: BTreeMap<String, Cow<'static, [u8]>> =
        BUILTIN.iter().map(|&(name, bytes)| (name.to_string(), Cow::Borrowed(bytes))).collect();
    let Some(dir) = user_dir else { return Ok(files) };
    let input_error = |path: &Path, reason: String| RenderError::Input { path: path.display().to_string(), reason };
    if !dir.is_dir() {
        return Err(input_error(dir, "the static directory does not exist or is not a directory".into()));
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| input_error(dir, e.to_string()))?;
        if !crate::folders::is_theme_file(&entry) {
            continue;
        }
        let path = entry.path();
        let rel = path.strip_prefix(dir).expect("walkdir stays under its root");
        let segments: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        let Some(segments) = segments else {
            return Err(input_error(path, "the file name is not UTF-8".into()));
        };
        let bytes = std::fs::read(path).map_err(|e| input_error(path, format!("cannot read the file: {e}")))?;
        files.insert(segments.join("/"), Cow::Owned(bytes));
    }
    Ok(files)
}

/// Writes every static file under `static/`.
pub fn write(files: &BTreeMap<String, Cow<'static, [u8]>>, out: &Staging) -> Result<(), RenderError> {
    for (name, bytes) in files {
        out.write(&format!("static/{name}"), bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_files_replace_and_add() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("style.css"), "body{}").unwrap();
        std::fs::create_dir(dir.path().join("img")).unwrap();
        std::fs::write(dir.path().join("img/logo.png"), [1, 2]).unwrap();
        let files = collect(Some(dir.path())).unwrap();
        assert_eq!(files["style.css"].as_ref(), b"body{}");
        assert_eq!(files["img/logo.png"].as_ref(), [1, 2]);
        assert!(files["favicon.svg"].starts_with(b"<svg"));
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        assert!(collect(Some(Path::new("/nonexistent/static"))).is_err());
    }
}
