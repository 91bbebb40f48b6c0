//! Tells a large-file pointer from the file it stands for: a data repository kept with Git
//! LFS or git-annex, checked out without fetching the files (`actions/checkout` without
//! `lfs: true`), holds small text files where the reports should be. Each such file is
//! one unreadable file whose reason says what to do, rather than one malformed report per
//! line of the pointer, or a bad gzip header. So is a file of gzip data read as text (a
//! name without `.gz`, or a file gzipped twice), rather than hundreds of invalid "lines"
//! cut at the newline bytes of compressed data ([`refuse_gzip_data`]).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Git LFS pointers are smaller than this (the LFS specification's bound); so are
/// git-annex's.
const POINTER_BYTES: u64 = 1024;

/// What a pointer file starts with, and how to fetch the file it stands for.
const KINDS: [(&[u8], &str); 2] = [
    (
        b"version https://git-lfs.github.com/spec/",
        "it is a Git LFS pointer, not the reports: fetch them with `git lfs pull` (actions/checkout: `lfs: true`)",
    ),
    (b"/annex/objects/", "it is a git-annex pointer, not the reports: fetch them with `git annex get`"),
];

/// An error naming what `file` (of `size` bytes) is when it is a pointer; reads its first
/// bytes without moving its position, and only when it is small enough to be one.
pub fn refuse(file: &File, size: u64) -> io::Result<()> {
    if size >= POINTER_BYTES {
        return Ok(());
    }
    let mut head = [0u8; POINTER_BYTES as usize];
    let read = file.read_at(&mut head, 0)?;
    refuse_text(&head[..read])
}

/// An error naming what a file whose whole content is `text` is when it is a pointer.
pub fn refuse_text(text: &[u8]) -> io::Result<()> {
    if text.len() as u64 >= POINTER_BYTES {
        return Ok(());
    }
    match KINDS.iter().find(|(start, _)| text.starts_with(start)) {
        Some((_, why)) => Err(io::Error::new(io::ErrorKind::InvalidData, Pointer(why))),
        None => Ok(()),
    }
}

/// An error when `text`, the start of what a file gave as reports (after decompressing it
/// when its name ends in `.gz`, as `named_gz` says), is gzip data: gzip's magic bytes
/// cannot start a report, which is JSON text.
pub fn refuse_gzip_data(text: &[u8], named_gz: bool) -> io::Result<()> {
    if !text.starts_with(&[0x1f, 0x8b]) {
        return Ok(());
    }
    let why = if named_gz {
        "it is gzip data once decompressed: it was gzipped twice (decompress it once with `gunzip`)"
    } else {
        "it is gzip data, but its name does not end in `.gz`: rename it to end in `.gz`"
    };
    Err(io::Error::new(io::ErrorKind::InvalidData, Pointer(why)))
}

/// The error of a file that is a pointer (or gzip data read as text): what it is and how
/// to mend it.
#[derive(Debug)]
struct Pointer(&'static str);

impl std::fmt::Display for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Pointer {}

/// Whether `error` says the file read is a pointer ([`refuse`]), not the file.
pub fn is_pointer(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<Pointer>())
}

/// `error`, or what `file` is when it is a pointer: for a file that failed to read as
/// what its name says (a gzipped pointer's header is not gzip's).
pub fn explain(file: &File, size: u64, error: io::Error) -> io::Error {
    refuse(file, size).err().unwrap_or(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LFS: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

    fn refused(bytes: &[u8]) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let file = File::open(&path).unwrap();
        let refused = refuse(&file, bytes.len() as u64).err().map(|e| e.to_string());
        let mut rest = String::new();
        io::Read::read_to_string(&mut &file, &mut rest).unwrap();
        assert_eq!(rest.as_bytes(), bytes, "the file's position is where it was");
        refused
    }

    #[test]
    fn lfs_and_annex_pointers_are_named_and_reports_are_not() {
        assert!(refused(LFS.as_bytes())
            .unwrap()
            .starts_with("it is a Git LFS pointer, not the reports: fetch them with `git lfs pull`"));
        let annex = b"/annex/objects/SHA256E-s1234--0123abcd.json\n";
        assert!(refused(annex).unwrap().starts_with("it is a git-annex pointer"));
        assert_eq!(refused(br#"{"Week":"2026-11-02","X":0.5}"#), None);
        assert_eq!(refused(b""), None);
        assert_eq!(refused(&LFS.as_bytes()[..20]), None, "a file cut short of the marker is not one");
        assert_eq!(refused(format!(" {LFS}").as_bytes()), None, "the marker starts the file");
    }

    #[test]
    fn a_read_error_is_explained_only_when_the_file_is_a_pointer() {
        let dir = tempfile::tempdir().unwrap();
        let (pointer, gzip) = (dir.path().join("p"), dir.path().join("g"));
        std::fs::write(&pointer, LFS).unwrap();
        std::fs::write(&gzip, b"\x1f\x8b not quite gzip").unwrap();
        let error = || io::Error::other("invalid gzip header");
        let explained = explain(&File::open(&pointer).unwrap(), LFS.len() as u64, error());
        assert!(explained.to_string().contains("Git LFS pointer"), "{explained}");
        assert!(is_pointer(&explained));
        let kept = explain(&File::open(&gzip).unwrap(), 19, error());
        assert_eq!(kept.to_string(), "invalid gzip header");
        assert!(!is_pointer(&kept));
        assert!(refuse_text(LFS.as_bytes()).is_err());
        assert!(refuse_text(b"{}").is_ok());
    }

    #[test]
    fn gzip_data_read_as_text_is_named_as_such() {
        let without_gz = refuse_gzip_data(b"\x1f\x8b\x08\x00rest", false).unwrap_err();
        assert!(without_gz.to_string().contains("its name does not end in `.gz`"), "{without_gz}");
        assert!(is_pointer(&without_gz), "one unreadable file, which merge leaves in place");
        let twice = refuse_gzip_data(b"\x1f\x8b\x08", true).unwrap_err();
        assert!(twice.to_string().contains("gzipped twice"), "{twice}");
        assert!(refuse_gzip_data(b"{\"Week\":\"2026-11-02\"}\n", true).is_ok());
        assert!(refuse_gzip_data(b"\x1f", false).is_ok() && refuse_gzip_data(b"", false).is_ok());
    }

    #[test]
    fn a_file_as_large_as_the_bound_is_not_read_for_it() {
        let mut big = LFS.as_bytes().to_vec();
        big.resize(POINTER_BYTES as usize, b' ');
        assert_eq!(refused(&big), None);
        big.pop();
        assert!(refused(&big).is_some());
    }
}
