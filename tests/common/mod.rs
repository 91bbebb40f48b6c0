//! Test fixtures: data directories written at test time, and a runner for the binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
    command(args).output().expect("run telemetry-site")
}

/// The binary with `args`, in a clean environment, to run as the test needs.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_telemetry-site"));
    command.args(args).env_remove("TELEMETRY_SITE_LOG");
    command
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Starts the binary with `args`, and returns it with a channel of its stderr's lines.
pub fn spawn(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = command(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start telemetry-site");
    let (lines, said) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (child, said)
}

/// The first line of `said` that starts with `prefix`, waiting at most a minute; `None`
/// when none came (the process ended, or the minute passed).
pub fn line_starting(said: &mpsc::Receiver<String>, prefix: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match said.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.starts_with(prefix) => return Some(line),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}
