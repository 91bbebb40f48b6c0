//! A file the render stage wants written into the site, by path relative to the site root.

/// One output file. `rel_path` uses `/` separators and was built by this program from
/// safe segments (see `render::paths`), never joined from raw uploaded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub rel_path: String,
    pub bytes: Vec<u8>,
}

impl OutputFile {
    pub fn new(rel_path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        OutputFile { rel_path: rel_path.into(), bytes: bytes.into() }
    }
}
