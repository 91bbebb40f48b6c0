//! The benchmark floor: walk DATA, read, decompress and parse every report with serde_json
//! into an owned report type, on all cores, and nothing else. Gzipped files are
//! decompressed the way the build decompresses them.
//!
//! `cargo run --release --example floor -- DATA` prints the number of reports parsed.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Deserialize;
use telemetry_site::ingest::read::WHOLE_GZIP_BYTES;

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    week: String,
    last_week: String,
    x: f64,
    programs: Option<Vec<ProgramReport>>,
    config: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProgramReport {
    program: String,
    version: String,
    go_version: String,
    #[serde(rename = "GOOS")]
    goos: String,
    #[serde(rename = "GOARCH")]
    goarch: String,
    counters: Option<std::collections::HashMap<String, i64>>,
    stacks: Option<std::collections::HashMap<String, i64>>,
}

fn main() {
    let data = PathBuf::from(std::env::args().nth(1).expect("usage: floor DATA"));
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&data)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".json") || s.ends_with(".json.gz")))
        .filter(|p| !p.ends_with("upload-config.json"))
        .collect();
    let parsed: usize = files
        .par_iter()
        .map(|path| {
            let mut file = std::fs::File::open(path).expect("open");
            // Decompressed as the build does: whole, by libdeflate, when it is one gzip
            // member of at most `WHOLE_GZIP_BYTES`; streamed otherwise.
            let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
                let mut gz = Vec::new();
                file.read_to_end(&mut gz).expect("read");
                let mut text = Vec::new();
                if telemetry_site::ingest::gunzip::single_member(&gz, WHOLE_GZIP_BYTES, &mut text) {
                    Box::new(std::io::Cursor::new(text))
                } else {
                    Box::new(flate2::read::MultiGzDecoder::new(std::io::Cursor::new(gz)))
                }
            } else {
                Box::new(file)
            };
            let mut reader = BufReader::with_capacity(256 * 1024, reader);
            let mut ok = 0;
            let mut line = Vec::new();
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line).expect("read") == 0 {
                    break;
                }
                ok += usize::from(serde_json::from_slice::<Report>(&line).is_ok());
            }
            ok
        })
        .sum();
    println!("{parsed} reports parsed from {} files", files.len());
}
