//! How each day's raw data is published: `data/<D>.json`, one valid report per line as
//! telemetry.go.dev's merged files are (the default), or the same bytes gzipped as
//! `data/<D>.json.gz`, about a twelfth of the size. A year of 3,000 reports a day is 690 MB
//! of raw data, most of a site GitHub Pages will publish only up to 1 GB of.

use std::ptr::NonNull;

use libdeflate_sys::{
    libdeflate_alloc_compressor, libdeflate_compressor, libdeflate_free_compressor, libdeflate_gzip_compress,
    libdeflate_gzip_compress_bound,
};

use crate::day::Day;

/// The size GitHub Pages publishes a site up to: 1 GB. A larger site gets a note.
pub const PAGES_LIMIT: u64 = 1_000_000_000;

/// The compression level of `data/<D>.json.gz`: gzip's default. libdeflate compresses a
/// day of reports at about 220 MB/s on one core here, to a twelfth of its size.
const LEVEL: i32 = 6;

/// The format of the raw-data downloads (`--raw-data`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawData {
    /// `data/<D>.json`: newline-delimited JSON, as telemetry.go.dev publishes it
    #[default]
    Json,
    /// `data/<D>.json.gz`: the same bytes gzipped
    Gz,
}

impl RawData {
    /// The file name of `day`'s raw data: `<D>.json` or `<D>.json.gz`.
    pub fn file_name(self, day: Day) -> String {
        match self {
            RawData::Json => format!("{day}.json"),
            RawData::Gz => format!("{day}.json.gz"),
        }
    }

    /// The path of `day`'s raw data in the site: `data/<D>.json` or `data/<D>.json.gz`.
    pub fn rel(self, day: Day) -> String {
        format!("data/{}", self.file_name(day))
    }

    /// The bytes of a day's raw data file, from its text (the reports, one per line).
    pub fn encode(self, text: Vec<u8>) -> Vec<u8> {
        match self {
            RawData::Json => text,
            RawData::Gz => gzip(&text),
        }
    }
}

/// `bytes` as one gzip member, the same for the same bytes: no name, no time (MTIME 0).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let compressor = Compressor::new();
    // SAFETY: the compressor is live until dropped; the bound is for this input length.
    let bound = unsafe { libdeflate_gzip_compress_bound(compressor.0.as_ptr(), bytes.len()) };
    let mut out = Vec::with_capacity(bound);
    // SAFETY: the input is a live slice; the output is `out`'s spare capacity, `bound`
    // bytes, enough for any input of this length; libdeflate returns how many it wrote.
    let written = unsafe {
        libdeflate_gzip_compress(
            compressor.0.as_ptr(),
            bytes.as_ptr().cast(),
            bytes.len(),
            out.spare_capacity_mut().as_mut_ptr().cast(),
            bound,
        )
    };
    assert!(written > 0, "libdeflate's bound is always enough");
    // SAFETY: libdeflate initialised the first `written` bytes.
    unsafe { out.set_len(written) };
    out
}

/// A libdeflate compressor, freed when dropped.
struct Compressor(NonNull<libdeflate_compressor>);

impl Compressor {
    fn new() -> Compressor {
        // SAFETY: a plain allocation; null only when out of memory.
        let raw = unsafe { libdeflate_alloc_compressor(LEVEL) };
        Compressor(NonNull::new(raw).expect("libdeflate compressor: out of memory"))
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        // SAFETY: allocated by libdeflate_alloc_compressor and freed once, here.
        unsafe { libdeflate_free_compressor(self.0.as_ptr()) }
    }
}

/// The note for a site larger than GitHub Pages publishes, if it is.
pub fn size_note(site_bytes: u64, format: RawData) -> Option<String> {
    if site_bytes <= PAGES_LIMIT {
        return None;
    }
    let hint = match format {
        RawData::Json => "; `--raw-data gz` publishes each day's raw data gzipped, about a twelfth of its size",
        RawData::Gz => "",
    };
    Some(format!(
        "the site is {:.2} GB ({site_bytes} bytes), more than the 1 GB GitHub Pages publishes{hint}",
        site_bytes as f64 / 1e9
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn names_follow_the_format() {
        let day = Day::parse("2026-01-02").unwrap();
        assert_eq!(RawData::Json.rel(day), "data/2026-01-02.json");
        assert_eq!(RawData::Gz.rel(day), "data/2026-01-02.json.gz");
        assert_eq!(RawData::Gz.file_name(day), "2026-01-02.json.gz");
    }

    #[test]
    fn gzipped_raw_data_inflates_to_the_same_bytes_and_is_the_same_each_time() {
        let text: Vec<u8> =
            (0..2000).flat_map(|i| format!("{{\"Week\":\"2026-01-02\",\"X\":0.{i}}}\n").into_bytes()).collect();
        let gz = RawData::Gz.encode(text.clone());
        assert_eq!(gunzip(&gz), text);
        assert!(gz.len() * 5 < text.len(), "{} bytes from {}", gz.len(), text.len());
        assert_eq!(gz, gzip(&text), "the same bytes each time");
        assert_eq!(&gz[..2], &[0x1f, 0x8b], "a gzip member");
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "no time in the header");
        assert_eq!(RawData::Json.encode(text.clone()), text);
        assert_eq!(gunzip(&gzip(b"")), b"");
    }

    #[test]
    fn a_site_over_the_pages_limit_gets_a_note_with_the_way_out_unless_taken() {
        assert_eq!(size_note(PAGES_LIMIT, RawData::Json), None);
        let note = size_note(1_159_741_051, RawData::Json).unwrap();
        assert!(note.starts_with("the site is 1.16 GB (1159741051 bytes), more than the 1 GB"), "{note}");
        assert!(note.contains("`--raw-data gz`"), "{note}");
        let note = size_note(PAGES_LIMIT + 1, RawData::Gz).unwrap();
        assert!(!note.contains("--raw-data"), "{note}");
    }
}
