//! Test fixtures: data directories written at test time, and a runner for the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary directory holding `data/` (inputs) and room for `site/`.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        Fixture { dir }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn site(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    /// Writes `bytes` at `rel` under `data/`, creating folders.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        let path = self.data().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    /// Writes `bytes` gzipped at `rel` under `data/`.
    pub fn write_gz(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes.as_ref()).unwrap();
        self.write(rel, enc.finish().unwrap())
    }

    pub fn read_site(&self, rel: &str) -> String {
        std::fs::read_to_string(self.site().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Runs `telemetry-site build data site ARGS...`.
    pub fn build(&self, args: &[&str]) -> Output {
        run(&[&["build", path_str(&self.data()), path_str(&self.site())], args].concat())
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Runs the binary with `args` in a clean environment.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telemetry-site"))
        .args(args)
        .env_remove("TELEMETRY_SITE_LOG")
        .output()
        .expect("run telemetry-site")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
