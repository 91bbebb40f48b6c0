//! Reads a report file into report texts, within limits, never holding more than one
//! report (or one buffer) of a newline-delimited file at a time.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;

use super::discover::{InputFile, Layout};

/// Bounds on what one file may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A report's size in bytes, its final newline not counted (the upload server's 100 KiB).
    pub max_report_bytes: usize,
    /// The bytes a file may hold, after decompression (a gzip bomb stops here).
    pub max_file_bytes: u64,
}

/// The default of [`Limits::max_report_bytes`]: the upload server's limit, 100 KiB.
pub const DEFAULT_MAX_REPORT_BYTES: usize = 100 * 1024;

/// The default of [`Limits::max_file_bytes`], 1 GiB: about fifty times a busy day's merged
/// file, and the most a hostile file can cost: at worst (a gzip bomb of blank lines, one
/// skip per byte) about 15 seconds of one core in a release build, in constant memory.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

impl Default for Limits {
    fn default() -> Self {
        Limits { max_report_bytes: DEFAULT_MAX_REPORT_BYTES, max_file_bytes: DEFAULT_MAX_FILE_BYTES }
    }
}

/// A file as [`read_reports`] read it: its stat as opened, and the hash of its content
/// ([`crate::cache::content_hash`]) when it was read into memory whole, so that the cache
/// need not read it again.
#[derive(Debug, Clone, Copy)]
pub struct FileRead {
    pub stat: crate::cache::FileStat,
    pub hash: Option<u64>,
}

/// One report's text as read, or the length of one that was too large to keep (without
/// its final newline; `None` when it was not read to its end: a gzipped upload).
pub enum Piece<'a> {
    Text(&'a [u8]),
    TooLarge(Option<u64>),
}

/// Calls `each(line, piece)` for every report in `file` (line 0 in the upload layout,
/// 1-based in the merged layout). An error ends the file: what came before it stands.
/// Returns the file's identity as opened (the stat of the open file, taken anyway to see
/// that it is a regular file), and the time spent decompressing it when `timed` (zero
/// otherwise). The time is not part of [`FileRead`]: a million of those are kept.
pub fn read_reports(
    file: &InputFile,
    limits: &Limits,
    timed: bool,
    mut each: impl FnMut(u32, Piece<'_>),
) -> io::Result<(FileRead, Duration)> {
    let (mut raw, meta) = open_regular(file.path())?;
    let stat = crate::cache::FileStat::from_metadata(&meta);
    if file.layout == Layout::Merged {
        // A pointer's lines would be skipped one by one; it is one unreadable file. (A
        // merged file is almost never small enough to be one, so this reads nothing.)
        super::pointer::refuse(&raw, stat.size)?;
    }
    // The time spent decompressing, shared with the decoder's reader; kept only when timed.
    let spent = timed.then(|| Rc::new(Cell::new(Duration::ZERO)));
    let size = stat.size;
    if file.gzip && file.layout == Layout::Merged && size <= WHOLE_GZIP_BYTES {
        let (mut gz, mut text) = WholeBuffers::take();
        gz.reserve(size as usize);
        // One byte more than the bound tells a file that grew past it since its stat.
        (&mut raw).take(WHOLE_GZIP_BYTES + 1).read_to_end(&mut gz)?;
        let whole = gz.len() as u64 <= WHOLE_GZIP_BYTES;
        let hash = whole.then(|| crate::cache::content_hash(&gz));
        let clock = timed.then(Instant::now);
        let inflated =
            whole && super::gunzip::single_member(&gz, limits.max_file_bytes.min(WHOLE_GZIP_BYTES), &mut text);
        if let (Some(spent), Some(clock)) = (&spent, clock) {
            spent.set(clock.elapsed());
        }
        if inflated {
            read_lines(&text[..], limits, true, each)?;
            WholeBuffers::give_back(gz, text);
        } else {
            // Streamed from what was read on (a file that grew goes on from where it is).
            let gz = io::Cursor::new(gz).chain(raw);
            let gz = Timed::new(MultiGzDecoder::new(BufReader::new(gz)), &spent);
            let reader = Capped::new(gz, limits.max_file_bytes);
            read_lines(BufReader::with_capacity(256 * 1024, reader), limits, true, each)?;
        }
        return Ok((FileRead { stat, hash }, spent.map_or(Duration::ZERO, |s| s.get())));
    }
    let reader: Box<dyn Read> = if file.gzip {
        Box::new(Timed::new(MultiGzDecoder::new(BufReader::new(&raw)), &spent))
    } else {
        Box::new(&raw)
    };
    let reader = Capped::new(reader, limits.max_file_bytes);
    match file.layout {
        Layout::Upload => {
            // A plain file's size is known without reading it; a gzipped one's is not.
            let known = (!file.gzip).then_some(size);
            read_one(reader, limits, known, file.gzip, |p| each(0, p))
                .map_err(|e| super::pointer::explain(&raw, size, e))?;
        }
        Layout::Merged => read_lines(BufReader::with_capacity(256 * 1024, reader), limits, file.gzip, each)?,
    }
    Ok((FileRead { stat, hash: None }, spent.map_or(Duration::ZERO, |s| s.get())))
}

/// A reader that adds the time spent in its reads to a shared total, if it has one: a
/// decompressor's time, apart from the time spent on the lines it gave.
struct Timed<R> {
    inner: R,
    spent: Option<Rc<Cell<Duration>>>,
}

impl<R> Timed<R> {
    fn new(inner: R, spent: &Option<Rc<Cell<Duration>>>) -> Timed<R> {
        Timed { inner, spent: spent.clone() }
    }
}

impl<R: Read> Read for Timed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(spent) = &self.spent else { return self.inner.read(buf) };
        let clock = Instant::now();
        let read = self.inner.read(buf);
        spent.set(spent.get() + clock.elapsed());
        read
    }
}

/// Each thread's buffers for a gzipped file read whole and its text, kept from one file to
/// the next rather than freed and allocated again for every file (buffers of megabytes,
/// which glibc's heap keeps once its mmap threshold has risen to their size). The merged
/// year's peak memory: 212 MB -> 198 MB; the same year padded to 4x the bytes: 285 MB ->
/// 272 MB. Taken out while in use, so a file read on the same thread meanwhile (rayon runs
/// stolen work while it waits) gets buffers of its own.
struct WholeBuffers;

thread_local! {
    static WHOLE_BUFFERS: std::cell::Cell<(Vec<u8>, Vec<u8>)> = const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

impl WholeBuffers {
    /// Buffers larger than this are not kept (a file that size is rare).
    const KEPT_BYTES: usize = 16 << 20;

    /// This thread's buffers, empty (new ones when they are in use or were not kept).
    fn take() -> (Vec<u8>, Vec<u8>) {
        WHOLE_BUFFERS.take()
    }

    /// Keeps `gz` and `text`, emptied, for the next file read on this thread.
    fn give_back(mut gz: Vec<u8>, mut text: Vec<u8>) {
        for buffer in [&mut gz, &mut text] {
            buffer.clear();
            if buffer.capacity() > Self::KEPT_BYTES {
                *buffer = Vec::new();
            }
        }
        WHOLE_BUFFERS.set((gz, text));
    }
}

/// Whether a read failed for a reason outside the file's content: an error from the system
/// (permissions, I/O), which may be mended without the file changing. Such a file is read
/// again by the next build, and `merge` leaves its day as it is.
pub fn failed_outside_the_file(error: &io::Error) -> bool {
    error.raw_os_error().is_some()
}

/// Opens `path` for reading only if it is a regular file, and returns its stat.
///
/// Discovery lists FIFOs, devices and links without opening them, but the entry may have
/// been replaced since: `O_NOFOLLOW` refuses a link, and `O_NONBLOCK` makes opening a FIFO
/// return at once (opening one for reading otherwise waits for a writer, forever), after
/// which anything but a regular file is refused before a byte is read. The cache's file
/// is opened so too: a FIFO or a link to `/dev/zero` there must not hang or fill memory.
pub(crate) fn open_regular(path: &Path) -> io::Result<(File, std::fs::Metadata)> {
    let file =
        File::options().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY).open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok((file, meta))
}

/// Reads one report, never more than the limit plus a few bytes, whatever the file's
/// size (`size`, when known, gives the length of a too-large report not read to its end).
fn read_one(
    reader: impl Read,
    limits: &Limits,
    size: Option<u64>,
    named_gz: bool,
    mut each: impl FnMut(Piece<'_>),
) -> io::Result<()> {
    let keep = limits.max_report_bytes.saturating_add(2); // room for a final "\r\n"
    let mut text = Vec::with_capacity(4096.min(keep.saturating_add(1)));
    let read = reader.take((keep as u64).saturating_add(1)).read_to_end(&mut text)?;
    super::pointer::refuse_text(&text)?;
    super::pointer::refuse_gzip_data(&text, named_gz)?;
    if read > keep || without_newline(&text).len() > limits.max_report_bytes {
        let len = if read > keep { size } else { Some(without_newline(&text).len() as u64) };
        each(Piece::TooLarge(len));
    } else {
        each(Piece::Text(&text));
    }
    Ok(())
}

/// Splits `reader` at `\n` and calls `each(line, piece)` for every line, numbered from 1.
///
/// Holds at most one buffer plus one line of up to the limit: a longer line is measured
/// (its length without `\n` or `\r\n`, as for a line within the limit) and dropped as
/// it streams past, so a 100 MB line costs no more memory than a short one.
fn read_lines(
    mut reader: impl BufRead,
    limits: &Limits,
    named_gz: bool,
    mut each: impl FnMut(u32, Piece<'_>),
) -> io::Result<()> {
    super::pointer::refuse_gzip_data(reader.fill_buf()?, named_gz)?;
    // Room for one `\r`, which `piece` strips, before a line is known to be too long.
    let keep = limits.max_report_bytes.saturating_add(1);
    let mut line_no: u32 = 0;
    let mut carry: Vec<u8> = Vec::new(); // the start of a line that crossed a buffer boundary
    let mut too_long: Option<TooLong> = None; // a line past the limit, as measured so far
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            if let Some(long) = too_long {
                line_no = line_no.saturating_add(1);
                each(line_no, Piece::TooLarge(Some(long.len())));
            } else if !carry.is_empty() {
                line_no = line_no.saturating_add(1);
                each(line_no, piece(&carry, limits));
            }
            return Ok(());
        }
        let mut start = 0;
        while let Some(nl) = memchr::memchr(b'\n', &buf[start..]) {
            let end = start + nl;
            line_no = line_no.saturating_add(1);
            if let Some(mut long) = too_long.take() {
                long.add(&buf[start..end]);
                each(line_no, Piece::TooLarge(Some(long.len())));
            } else if carry.is_empty() {
                each(line_no, piece(&buf[start..end], limits));
            } else {
                carry.extend_from_slice(&buf[start..end]);
                each(line_no, piece(&carry, limits));
                carry.clear();
            }
            start = end + 1;
        }
        let rest = &buf[start..];
        if let Some(long) = too_long.as_mut() {
            long.add(rest);
        } else if carry.len() + rest.len() > keep {
            let mut long = TooLong { bytes: carry.len() as u64, last: carry.last().copied() };
            long.add(rest);
            too_long = Some(long);
            carry = Vec::new();
        } else {
            carry.extend_from_slice(rest);
        }
        let used = buf.len();
        reader.consume(used);
    }
}

/// A line too long to keep: its bytes so far and the last of them.
#[derive(Clone, Copy)]
struct TooLong {
    bytes: u64,
    last: Option<u8>,
}

impl TooLong {
    fn add(&mut self, part: &[u8]) {
        self.bytes += part.len() as u64;
        if let Some(&b) = part.last() {
            self.last = Some(b);
        }
    }

    /// The length without a final `\r`, as [`without_newline`] measures a kept line.
    fn len(self) -> u64 {
        self.bytes - u64::from(self.last == Some(b'\r'))
    }
}

fn piece<'a>(line: &'a [u8], limits: &Limits) -> Piece<'a> {
    let text = without_newline(line);
    if text.len() > limits.max_report_bytes {
        Piece::TooLarge(Some(text.len() as u64))
    } else {
        Piece::Text(text)
    }
}

/// The text without one final `\n` or `\r\n`.
pub fn without_newline(text: &[u8]) -> &[u8] {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    text.strip_suffix(b"\r").unwrap_or(text)
}

/// The largest gzipped merged file decompressed whole, in memory ([`super::gunzip`]),
/// and the most text that gives; a larger one is streamed. 64 MiB of text is about
/// 90,000 reports, thirty times a busy day here.
pub const WHOLE_GZIP_BYTES: u64 = 64 << 20;

/// A reader that fails once it has given `limit` bytes and more remain.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R> Capped<R> {
    fn new(inner: R, limit: u64) -> Capped<R> {
        Capped { inner, left: limit, limit }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(format!(
                    "more than {} bytes (decompressed), the limit set by --max-file-bytes",
                    self.limit
                ))),
            };
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny buffer makes lines cross buffer boundaries.
    fn lines(input: &[u8], max: usize) -> Vec<(u32, Result<Vec<u8>, u64>)> {
        lines_with(input, max, 3)
    }

    #[test]
    fn splits_lines_and_numbers_them_from_one() {
        let got = lines(b"ab\n\ncdef\r\nxyz", 10);
        assert_eq!(
            got,
            vec![(1, Ok(b"ab".to_vec())), (2, Ok(vec![])), (3, Ok(b"cdef".to_vec())), (4, Ok(b"xyz".to_vec()))]
        );
    }

    #[test]
    fn a_line_past_the_limit_is_measured_not_kept() {
        let got = lines(b"abc\n0123456789ABCDEF\nok\n", 5);
        assert_eq!(got, vec![(1, Ok(b"abc".to_vec())), (2, Err(16)), (3, Ok(b"ok".to_vec()))]);
        // exactly at the limit is fine, the newline not counted
        assert_eq!(lines(b"12345\n", 5), vec![(1, Ok(b"12345".to_vec()))]);
        assert_eq!(lines(b"123456", 5), vec![(1, Err(6))]);
    }

    /// Makes a FIFO at `path` (for tests of files that must be refused, not waited on).
    pub(crate) fn mkfifo(path: &std::path::Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    }

    #[test]
    fn a_fifo_or_link_put_in_place_of_a_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("0.5.json");
        mkfifo(&fifo);
        let link = dir.path().join("0.6.json");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        for path in [fifo, link] {
            let file = InputFile::new(path, "x", Layout::Upload, false);
            let mut called = false;
            let got = read_reports(&file, &Limits::default(), false, |_, _| called = true);
            assert!(got.is_err() && !called);
        }
    }

    #[test]
    fn a_gzipped_merged_file_read_whole_is_hashed_as_the_cache_hashes_it() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"{\"Week\":\"2026-01-01\"}\n{}\n";
        let cases = [
            ("2026-01-01.json.gz", Layout::Merged, true, crate::raw_data::gzip(text)),
            ("2026-01-02.json", Layout::Merged, false, text.to_vec()),
            ("2026-01-03/0.5.json", Layout::Upload, false, text[..22].to_vec()),
        ];
        for (rel, layout, gzip, bytes) in cases {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            let file = InputFile::new(path.clone(), rel, layout, gzip);
            let mut lines = 0;
            let (read, _) = read_reports(&file, &Limits::default(), false, |_, _| lines += 1).unwrap();
            assert_eq!(read.stat, crate::cache::FileStat::of(&path).unwrap(), "{rel}");
            // Only the file read into memory whole is hashed; the others are read again.
            let expected = gzip.then(|| crate::cache::hash_file(&path).unwrap());
            assert_eq!(read.hash, expected, "{rel}");
            assert_eq!(lines, if layout == Layout::Merged { 2 } else { 1 }, "{rel}");
        }
    }

    /// Every line `read_reports` gives for a merged gzipped file holding `bytes`, and
    /// whether reading ended in an error.
    fn merged_gz_lines(bytes: &[u8], limits: &Limits) -> (Vec<(u32, Vec<u8>)>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-01-01.json.gz");
        std::fs::write(&path, bytes).unwrap();
        let file = InputFile::new(path, "2026-01-01.json.gz", Layout::Merged, true);
        let mut got = Vec::new();
        let result = read_reports(&file, limits, false, |line, piece| {
            if let Piece::Text(text) = piece {
                got.push((line, text.to_vec()));
            }
        });
        (got, result.is_err())
    }

    #[test]
    fn merged_gzip_files_read_alike_whole_or_streamed() {
        use crate::raw_data::gzip;
        let one = gzip(b"{\"a\":1}\n{\"b\":2}\n");
        let lines = |texts: &[&str]| -> Vec<(u32, Vec<u8>)> {
            texts.iter().enumerate().map(|(i, t)| (i as u32 + 1, t.as_bytes().to_vec())).collect()
        };
        let limits = Limits::default();
        // One member: decompressed whole.
        assert_eq!(merged_gz_lines(&one, &limits), (lines(&["{\"a\":1}", "{\"b\":2}"]), false));
        // Two members: streamed, both read (the whole-file path would stop after one).
        let two = [one.clone(), gzip(b"{\"c\":3}\n")].concat();
        assert_eq!(merged_gz_lines(&two, &limits), (lines(&["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]), false));
        // Truncated: what streaming reads before the cut stands, then an error.
        let long: Vec<u8> = (0..2000).flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes()).collect();
        let gz = gzip(&long);
        let (got, failed) = merged_gz_lines(&gz[..gz.len() / 2], &limits);
        assert!(failed && !got.is_empty() && got.len() < 2000, "{} lines", got.len());
        assert_eq!(got[0], (1, b"{\"n\":0}".to_vec()));
        // More text than the file limit: the limit's error, as when streamed.
        let small = Limits { max_file_bytes: 100, ..Limits::default() };
        let (got, failed) = merged_gz_lines(&gz, &small);
        assert!(failed && got.len() < 20, "{} lines", got.len());
    }

    #[test]
    fn decompressing_is_timed_when_asked_whole_or_streamed() {
        use crate::raw_data::gzip;
        let dir = tempfile::tempdir().unwrap();
        let text: Vec<u8> = (0..20_000).flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes()).collect();
        let one = gzip(&text);
        // Two members are streamed; a gzipped upload-layout file always is.
        let two = [one.clone(), gzip(b"{}\n")].concat();
        let cases = [
            ("2026-01-01.json.gz", Layout::Merged, one),
            ("2026-01-02.json.gz", Layout::Merged, two),
            ("2026-01-03/0.5.json.gz", Layout::Upload, gzip(&text[..8])),
        ];
        for (rel, layout, bytes) in cases {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
            let file = InputFile::new(path, rel, layout, true);
            let (_, timed) = read_reports(&file, &Limits::default(), true, |_, _| {}).unwrap();
            assert!(timed > Duration::ZERO, "{rel}");
            let (_, untimed) = read_reports(&file, &Limits::default(), false, |_, _| {}).unwrap();
            assert_eq!(untimed, Duration::ZERO, "{rel}");
        }
        // A plain file has nothing to decompress.
        let path = dir.path().join("2026-01-04.json");
        std::fs::write(&path, &text).unwrap();
        let file = InputFile::new(path, "2026-01-04.json", Layout::Merged, false);
        assert_eq!(read_reports(&file, &Limits::default(), true, |_, _| {}).unwrap().1, Duration::ZERO);
    }

    #[test]
    fn caps_decompressed_bytes() {
        let mut capped = Capped { inner: &[0u8; 100][..], left: 10, limit: 10 };
        let mut out = Vec::new();
        assert!(capped.read_to_end(&mut out).is_err());
        let mut fits = Capped { inner: &[0u8; 10][..], left: 10, limit: 10 };
        out.clear();
        assert_eq!(fits.read_to_end(&mut out).unwrap(), 10);
    }

    /// The lines `read_lines` must give for `input`: split at `\n` (no line after a final
    /// one), each measured without one final `\r`.
    fn model(input: &[u8], max: usize) -> Vec<(u32, Result<Vec<u8>, u64>)> {
        let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
        if input.is_empty() || input.ends_with(b"\n") {
            parts.pop();
        }
        parts
            .into_iter()
            .enumerate()
            .map(|(i, line)| {
                let text = line.strip_suffix(b"\r").unwrap_or(line);
                let got = if text.len() > max { Err(text.len() as u64) } else { Ok(text.to_vec()) };
                (i as u32 + 1, got)
            })
            .collect()
    }

    fn lines_with(input: &[u8], max: usize, capacity: usize) -> Vec<(u32, Result<Vec<u8>, u64>)> {
        let limits = Limits { max_report_bytes: max, max_file_bytes: 1 << 20 };
        let mut out = Vec::new();
        let reader = BufReader::with_capacity(capacity, input);
        read_lines(reader, &limits, false, |n, p| {
            out.push((
                n,
                match p {
                    Piece::Text(t) => Ok(t.to_vec()),
                    Piece::TooLarge(len) => Err(len.expect("a line is measured to its end")),
                },
            ))
        })
        .unwrap();
        out
    }

    /// Counts the bytes read through it.
    struct Counting<'a> {
        inner: &'a [u8],
        read: usize,
    }

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n;
            Ok(n)
        }
    }

    use proptest::prelude::*;

    /// Text made of few symbols, so that newlines, `\r\n` and long lines are common.
    fn text() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                4 => Just(b'a'),
                2 => Just(b'\n'),
                1 => Just(b'\r'),
                1 => any::<u8>(),
            ],
            0..400,
        )
    }

    proptest! {
        #![proptest_config(crate::ingest::validate::mutate::fuzz_config(256))]

        #[test]
        fn lines_and_numbers_survive_any_buffer_size(
            input in text(),
            max in 0usize..24,
            capacity in 1usize..64,
        ) {
            prop_assert_eq!(lines_with(&input, max, capacity), model(&input, max));
        }

        #[test]
        fn one_report_is_read_within_the_limit(input in text(), max in 0usize..64) {
            let limits = Limits { max_report_bytes: max, max_file_bytes: 1 << 20 };
            let mut reader = Counting { inner: &input, read: 0 };
            let mut got = None;
            read_one(&mut reader, &limits, Some(input.len() as u64), false, |p| {
                got = Some(match p {
                    Piece::Text(t) => Ok(t.to_vec()),
                    Piece::TooLarge(n) => Err(n),
                })
            })
            .unwrap();
            prop_assert!(reader.read <= max + 3, "read {} of {}", reader.read, input.len());
            match got.unwrap() {
                Ok(text) => {
                    prop_assert_eq!(&text, &input);
                    prop_assert!(without_newline(&text).len() <= max);
                }
                Err(n) => {
                    // Its length without the newline when it was read whole, else the file's.
                    let whole = input.len() <= max + 2;
                    let len = if whole { without_newline(&input).len() } else { input.len() };
                    prop_assert_eq!(n, Some(len as u64));
                    prop_assert!(without_newline(&input).len() > max);
                }
            }
        }

        #[test]
        fn the_file_cap_holds_for_any_reads(len in 0usize..300, limit in 0u64..300, chunk in 1usize..40) {
            let data = vec![b'x'; len];
            let mut capped = Capped { inner: &data[..], left: limit, limit };
            let mut total = 0usize;
            let mut buf = vec![0u8; chunk];
            let result = loop {
                match capped.read(&mut buf) {
                    Ok(0) => break Ok(()),
                    Ok(n) => total += n,
                    Err(e) => break Err(e),
                }
            };
            prop_assert!(total as u64 <= limit);
            prop_assert_eq!(result.is_ok(), len as u64 <= limit);
        }
    }
}
