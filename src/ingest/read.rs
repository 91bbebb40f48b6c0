//! Reads a report file into report texts, within limits, never holding more than one
//! report (or one buffer) of a newline-delimited file at a time.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

use super::discover::{InputFile, Layout};

/// Bounds on what one file may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A report's size in bytes, its final newline not counted (the upload server's 100 KiB).
    pub max_report_bytes: usize,
    /// The bytes a file may decompress to (a gzip bomb stops here).
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_report_bytes: 100 * 1024, max_file_bytes: 4 << 30 }
    }
}

/// One report's text as read, or the length of one that was too large to keep.
pub enum Piece<'a> {
    Text(&'a [u8]),
    TooLarge(u64),
}

/// Calls `each(line, piece)` for every report in `file` (line 0 in the upload layout,
/// 1-based in the merged layout). An error ends the file: what came before it stands.
pub fn read_reports(file: &InputFile, limits: &Limits, mut each: impl FnMut(u32, Piece<'_>)) -> io::Result<()> {
    let raw = File::open(&file.path)?;
    let reader: Box<dyn Read> =
        if file.gzip { Box::new(MultiGzDecoder::new(BufReader::new(raw))) } else { Box::new(raw) };
    let reader = Capped { inner: reader, left: limits.max_file_bytes };
    match file.layout {
        Layout::Upload => read_one(reader, limits, |p| each(0, p)),
        Layout::Merged => read_lines(BufReader::with_capacity(256 * 1024, reader), limits, each),
    }
}

fn read_one(reader: impl Read, limits: &Limits, mut each: impl FnMut(Piece<'_>)) -> io::Result<()> {
    let keep = limits.max_report_bytes + 2; // room for a final "\r\n"
    let mut text = Vec::with_capacity(4096);
    let read = reader.take(keep as u64 + 1).read_to_end(&mut text)?;
    if read > keep || without_newline(&text).len() > limits.max_report_bytes {
        each(Piece::TooLarge(read as u64));
    } else {
        each(Piece::Text(&text));
    }
    Ok(())
}

fn read_lines(mut reader: impl BufRead, limits: &Limits, mut each: impl FnMut(u32, Piece<'_>)) -> io::Result<()> {
    let mut line_no: u32 = 0;
    let mut carry: Vec<u8> = Vec::new(); // the start of a line that crossed a buffer boundary
    let mut too_long: Option<u64> = None; // length so far of a line past the limit
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            if let Some(len) = too_long {
                line_no += 1;
                each(line_no, Piece::TooLarge(len));
            } else if !carry.is_empty() {
                line_no += 1;
                each(line_no, piece(&carry, limits));
            }
            return Ok(());
        }
        let mut start = 0;
        while let Some(nl) = memchr::memchr(b'\n', &buf[start..]) {
            let end = start + nl;
            line_no += 1;
            if let Some(len) = too_long.take() {
                each(line_no, Piece::TooLarge(len + (end - start) as u64));
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
        if let Some(len) = too_long.as_mut() {
            *len += rest.len() as u64;
        } else if carry.len() + rest.len() > limits.max_report_bytes + 1 {
            too_long = Some((carry.len() + rest.len()) as u64);
            carry = Vec::new();
        } else {
            carry.extend_from_slice(rest);
        }
        let used = buf.len();
        reader.consume(used);
    }
}

fn piece<'a>(line: &'a [u8], limits: &Limits) -> Piece<'a> {
    let text = without_newline(line);
    if text.len() > limits.max_report_bytes {
        Piece::TooLarge(text.len() as u64)
    } else {
        Piece::Text(text)
    }
}

/// The text without one final `\n` or `\r\n`.
pub fn without_newline(text: &[u8]) -> &[u8] {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    text.strip_suffix(b"\r").unwrap_or(text)
}

/// A reader that fails once it has given `left` bytes and more remain.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other("the file decompresses to more than the limit (--max-file-bytes)")),
            };
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(u32, Result<Vec<u8>, u64>)> {
        let limits = Limits { max_report_bytes: max, max_file_bytes: 1 << 20 };
        let mut out = Vec::new();
        // A tiny buffer makes lines cross buffer boundaries.
        let reader = BufReader::with_capacity(3, input);
        read_lines(reader, &limits, |n, p| {
            out.push((
                n,
                match p {
                    Piece::Text(t) => Ok(t.to_vec()),
                    Piece::TooLarge(len) => Err(len),
                },
            ))
        })
        .unwrap();
        out
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

    #[test]
    fn caps_decompressed_bytes() {
        let mut capped = Capped { inner: &[0u8; 100][..], left: 10 };
        let mut out = Vec::new();
        assert!(capped.read_to_end(&mut out).is_err());
        let mut fits = Capped { inner: &[0u8; 10][..], left: 10 };
        out.clear();
        assert_eq!(fits.read_to_end(&mut out).unwrap(), 10);
    }
}
