//! Valid report texts set aside during ingest, so the raw-data downloads can be written
//! without holding every report in memory: one spool file per newline-delimited input file,
//! and one per folder of one-report files (read in order by one thread), each report on its
//! own line; and one per worker thread for what cannot have a file of its own. When a day's
//! reports are exactly one such file's lines, in order (the usual case for a merged day
//! file), its `data/<D>.json` is that spool file, hard-linked; otherwise it is read back in
//! runs of lines that follow one another.
//!
//! A file slot holds its texts in memory until its input is read (up to [`HELD_BYTES`]), so
//! that they can be written in the order a day's raw data takes, with what does not belong
//! there (another day's reports, a repeated report) put in the shared slots instead.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Where one report's text sits in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpoolRef {
    /// A thread slot below `FILE_SLOTS`, a file slot from it on.
    pub slot: u32,
    pub len: u32,
    pub offset: u64,
}

/// The first file slot.
const FILE_SLOTS: u32 = 1 << 16;

struct Slot {
    writer: BufWriter<TimedFile>,
    offset: u64,
}

/// Append-only text store in a temporary directory, removed when dropped.
pub struct Spool {
    /// `None` for a spool that keeps no text ([`Spool::none`]).
    dir: Option<tempfile::TempDir>,
    slots: Vec<Mutex<Slot>>,
    readers: Vec<File>,
    /// Per file slot: its reader and length once finished.
    files: std::sync::RwLock<Vec<Option<(File, u64)>>>,
    /// The first write that failed ([`Spool::fail`]): the texts it held are lost, so the
    /// reading that spooled them cannot stand.
    failure: Mutex<Option<io::Error>>,
    /// Nanoseconds spent in the spool files' `write` calls, summed over threads.
    writing: Arc<AtomicU64>,
}

/// A spool file whose `write` calls are timed: the texts' bytes going into the kernel's
/// page cache, which is most of what writing the raw-data downloads costs (they are the
/// spool's files, hard-linked, or copied from them by the kernel).
struct TimedFile {
    file: File,
    nanos: Arc<AtomicU64>,
}

impl Write for TimedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let clock = std::time::Instant::now();
        let written = self.file.write(buf);
        self.nanos.fetch_add(clock.elapsed().as_nanos() as u64, Ordering::Relaxed);
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// How many bytes of texts a file slot holds before writing them as they come (a few in
/// unit tests, which try both).
#[cfg(not(test))]
pub const HELD_BYTES: usize = 32 << 20;
#[cfg(test)]
pub const HELD_BYTES: usize = 4096;

/// The spool file of one newline-delimited input: each report then `\n`.
pub struct FileSpool {
    slot: u32,
    path: std::path::PathBuf,
    /// The texts put so far, each then `\n`, while they are held (see [`FileSpool::write_held`]).
    held: Option<Vec<u8>>,
    writer: BufWriter<TimedFile>,
    offset: u64,
    /// Why the held texts could not be written, for [`Spool::finish`] to report.
    failed: Option<io::Error>,
}

impl FileSpool {
    /// The slot its texts' references name.
    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// Stores `text` as the next line (held, while the held texts fit in [`HELD_BYTES`]).
    pub fn put(&mut self, text: &[u8]) -> io::Result<SpoolRef> {
        match &mut self.held {
            Some(held) => {
                held.extend_from_slice(text);
                held.push(b'\n');
                if held.len() > HELD_BYTES {
                    // Too much to hold: written in the order put, which the references name.
                    // If that fails, every text of the slot is lost (see `Spool::finish`).
                    let held = self.held.take().unwrap_or_default();
                    if let Err(e) = self.writer.write_all(&held) {
                        self.failed = Some(e);
                    }
                    give_back(held);
                }
            }
            None => {
                self.writer.write_all(text)?;
                self.writer.write_all(b"\n")?;
            }
        }
        let at = SpoolRef { slot: self.slot, len: text.len() as u32, offset: self.offset };
        self.offset += text.len() as u64 + 1;
        Ok(at)
    }

    /// When the texts are still held: writes the texts of `here` (references this slot gave)
    /// to its file in that order, and those of `elsewhere` to `spool`'s shared slots, and
    /// returns the new references of each, in the order given. `None` when the texts were
    /// already written as they came, where the references stand. Every reference this slot
    /// gave must be in one of the lists; after an error, none is valid (see [`Spool::finish`]).
    pub fn write_held(
        &mut self,
        spool: &Spool,
        here: &[SpoolRef],
        elsewhere: &[SpoolRef],
    ) -> Option<(Vec<SpoolRef>, Vec<SpoolRef>)> {
        let held = self.held.take()?;
        let mut offset = 0;
        let moved_here = here
            .iter()
            .map(|at| {
                let moved = SpoolRef { slot: self.slot, len: at.len, offset };
                offset += u64::from(at.len) + 1;
                moved
            })
            .collect();
        // Each text with its newline.
        let spans = here.iter().map(|at| (at.offset as usize, at.len as usize + 1));
        let written = write_spans(&mut self.writer, &held, spans).and_then(|()| {
            elsewhere
                .iter()
                .map(|at| spool.put(&held[at.offset as usize..at.offset as usize + at.len as usize]))
                .collect()
        });
        give_back(held);
        match written {
            Ok(moved_elsewhere) => {
                self.offset = offset;
                Some((moved_here, moved_elsewhere))
            }
            Err(e) => {
                self.failed = Some(e);
                None
            }
        }
    }
}

thread_local! {
    /// The buffer a file slot of this thread held its texts in, kept for the next one.
    static HELD: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// An empty buffer to hold texts in: this thread's last one, if any.
fn held_buffer() -> Vec<u8> {
    HELD.with(|held| held.take())
}

/// Keeps `buffer` (emptied) for this thread's next file slot.
fn give_back(mut buffer: Vec<u8>) {
    buffer.clear();
    if buffer.capacity() <= 2 * HELD_BYTES {
        HELD.with(|held| held.set(buffer));
    }
}

/// Writes the `(start, len)` spans of `bytes` to `out` in order, spans that follow one
/// another as one: through the buffer when short, straight to the file when long. (Not as
/// one vectored write: with thousands of short pieces, ext4 here now and then spent seconds
/// of kernel time copying them into its page cache.)
fn write_spans(
    out: &mut BufWriter<TimedFile>,
    bytes: &[u8],
    spans: impl Iterator<Item = (usize, usize)>,
) -> io::Result<()> {
    let mut joined: Option<(usize, usize)> = None;
    for (start, len) in spans {
        match &mut joined {
            Some((at, n)) if *at + *n == start => *n += len,
            _ => {
                if let Some((at, n)) = joined.replace((start, len)) {
                    out.write_all(&bytes[at..at + n])?;
                }
            }
        }
    }
    if let Some((at, n)) = joined {
        out.write_all(&bytes[at..at + n])?;
    }
    Ok(())
}

impl SpoolRef {
    /// No text: a report taken from the cache, or one on a day whose raw data is reused
    /// from the previous site, has none kept.
    pub const NONE: SpoolRef = SpoolRef { slot: u32::MAX, len: 0, offset: 0 };
}

impl Spool {
    /// A spool with one slot per rayon thread, in a new temporary directory under `parent`
    /// whose name starts with `prefix`.
    pub fn new(parent: &Path, prefix: &str) -> io::Result<Spool> {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir_in(parent)?;
        let count = rayon::current_num_threads() + 1;
        let writing = Arc::new(AtomicU64::new(0));
        let mut slots = Vec::with_capacity(count);
        let mut readers = Vec::with_capacity(count);
        for i in 0..count {
            let path = dir.path().join(format!("{i}.jsonl"));
            let file = File::create(&path)?;
            readers.push(File::open(&path)?);
            // Unlinked at once: the handles keep it alive, and a killed build leaves nothing.
            std::fs::remove_file(&path)?;
            let file = TimedFile { file, nanos: Arc::clone(&writing) };
            slots.push(Mutex::new(Slot { writer: BufWriter::with_capacity(1 << 20, file), offset: 0 }));
        }
        Ok(Spool { dir: Some(dir), slots, readers, files: Default::default(), failure: Mutex::new(None), writing })
    }

    /// A spool that keeps no text and makes no file, for a reading that keeps none
    /// (`check`): putting a text in it is an error.
    pub fn none() -> Spool {
        Spool {
            dir: None,
            slots: Vec::new(),
            readers: Vec::new(),
            files: Default::default(),
            failure: Mutex::new(None),
            writing: Arc::default(),
        }
    }

    /// Whether texts can be put in it (not a [`Spool::none`]).
    pub fn keeps_texts(&self) -> bool {
        self.dir.is_some()
    }

    /// The spool's folder, or the error of a spool that keeps no text.
    fn dir(&self) -> io::Result<&Path> {
        self.dir.as_ref().map(tempfile::TempDir::path).ok_or_else(|| io::Error::other("this reading keeps no text"))
    }

    /// Removes the spool's folder now, as dropping the spool would (see
    /// [`crate::build::free_in_background`]).
    pub fn remove(&self) -> io::Result<()> {
        self.dir.as_ref().map_or(Ok(()), |dir| std::fs::remove_dir_all(dir.path()))
    }

    /// A new file slot, for one newline-delimited input file.
    pub fn file_slot(&self) -> io::Result<FileSpool> {
        let dir = self.dir()?;
        let n = {
            let mut files = self.files.write().expect("spool files");
            files.push(None);
            files.len() - 1
        };
        let path = dir.join(format!("f{n}.jsonl"));
        let file = File::create(&path)?;
        Ok(FileSpool {
            slot: FILE_SLOTS + n as u32,
            path,
            held: Some(held_buffer()),
            writer: BufWriter::with_capacity(256 * 1024, TimedFile { file, nanos: Arc::clone(&self.writing) }),
            offset: 0,
            failed: None,
        })
    }

    /// Ends a file slot: its texts become readable.
    pub fn finish(&self, spool: FileSpool) -> io::Result<()> {
        let FileSpool { slot, path, held, mut writer, offset, failed } = spool;
        if let Some(e) = failed {
            return Err(e);
        }
        if let Some(held) = held {
            writer.write_all(&held)?;
            give_back(held);
        }
        writer.into_inner().map_err(|e| e.into_error())?;
        let reader = File::open(&path)?;
        self.files.write().expect("spool files")[(slot - FILE_SLOTS) as usize] = Some((reader, offset));
        Ok(())
    }

    /// The spool file holding exactly the texts of `records`' references, in that order and
    /// nothing else, when there is one.
    pub fn whole_file(&self, refs: impl IntoIterator<Item = SpoolRef>) -> Option<std::path::PathBuf> {
        let mut refs = refs.into_iter();
        let first = refs.next()?;
        if first.slot < FILE_SLOTS || first.slot == u32::MAX || first.offset != 0 {
            return None;
        }
        let mut end = u64::from(first.len) + 1;
        for at in refs {
            if at.slot != first.slot || at.offset != end {
                return None;
            }
            end += u64::from(at.len) + 1;
        }
        let files = self.files.read().expect("spool files");
        let (_, len) = files.get((first.slot - FILE_SLOTS) as usize)?.as_ref()?;
        let dir = self.dir().ok()?;
        (*len == end).then(|| dir.join(format!("f{}.jsonl", first.slot - FILE_SLOTS)))
    }

    /// Stores `text` as the next line of the calling thread's slot.
    pub fn put(&self, text: &[u8]) -> io::Result<SpoolRef> {
        self.dir()?;
        let index = rayon::current_thread_index().map_or(self.slots.len() - 1, |i| i.min(self.slots.len() - 1));
        let mut slot = self.slots[index].lock().expect("spool slot");
        slot.writer.write_all(text)?;
        slot.writer.write_all(b"\n")?;
        let at = SpoolRef { slot: index as u32, len: text.len() as u32, offset: slot.offset };
        slot.offset += text.len() as u64 + 1;
        Ok(at)
    }

    /// Records that a write failed (the first failure is kept): a full disk or a file-size
    /// limit is no fault of the reports, and must not pass for one.
    pub fn fail(&self, error: &io::Error) {
        let mut failure = self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failure.get_or_insert_with(|| io::Error::new(error.kind(), error.to_string()));
    }

    /// The first write that failed, if any.
    pub fn failure(&self) -> Option<io::Error> {
        self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    /// Seconds spent writing texts into the spool's files so far, summed over threads.
    pub fn write_seconds(&self) -> f64 {
        self.writing.load(Ordering::Relaxed) as f64 / 1e9
    }

    /// Makes everything put so far readable.
    pub fn flush(&self) -> io::Result<()> {
        for slot in &self.slots {
            slot.lock().expect("spool slot").writer.flush()?;
        }
        Ok(())
    }

    /// Appends the text at `at` to `out` (after [`Spool::flush`]).
    pub fn read_into(&self, at: SpoolRef, out: &mut Vec<u8>) -> io::Result<()> {
        self.read_span(at, at.len as usize, out)
    }

    /// Appends each text of `refs` and a newline to `out` (after [`Spool::flush`]), reading
    /// each run of texts that follow one another in a slot with one read.
    pub fn lines_into(&self, refs: impl IntoIterator<Item = SpoolRef>, out: &mut Vec<u8>) -> io::Result<()> {
        for (at, len) in runs(refs) {
            self.read_span(at, len, out)?;
        }
        Ok(())
    }

    /// Appends `len` bytes of `at`'s slot from `at`'s offset to `out`.
    fn read_span(&self, at: SpoolRef, len: usize, out: &mut Vec<u8>) -> io::Result<()> {
        let start = out.len();
        out.resize(start + len, 0);
        self.with_reader(at, |reader| reader.read_exact_at(&mut out[start..], at.offset))
    }

    /// Writes what [`Spool::lines_into`] appends to `out` at its position, each run copied
    /// by the kernel (`copy_file_range`) without passing through this process; where the
    /// kernel cannot, read and written.
    pub fn copy_lines(&self, refs: impl IntoIterator<Item = SpoolRef>, out: &mut File) -> io::Result<()> {
        for (at, len) in runs(refs) {
            self.with_reader(at, |reader| copy_range(reader, at.offset, len, out))?;
        }
        Ok(())
    }

    /// Calls `f` with the file of `at`'s slot.
    fn with_reader<T>(&self, at: SpoolRef, f: impl FnOnce(&File) -> io::Result<T>) -> io::Result<T> {
        if at.slot == u32::MAX {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the report's text was not kept (taken from the cache)",
            ));
        }
        if at.slot < FILE_SLOTS {
            return f(&self.readers[at.slot as usize]);
        }
        let files = self.files.read().expect("spool files");
        match files.get((at.slot - FILE_SLOTS) as usize) {
            Some(Some((reader, _))) => f(reader),
            _ => Err(io::Error::other("a spool file was not finished")),
        }
    }
}

/// The runs of `refs` whose texts follow one another in a slot, each as its first text
/// and the length of the run, newlines included.
fn runs(refs: impl IntoIterator<Item = SpoolRef>) -> impl Iterator<Item = (SpoolRef, usize)> {
    let mut refs = refs.into_iter().peekable();
    std::iter::from_fn(move || {
        let first = refs.next()?;
        let mut end = first.offset + u64::from(first.len) + 1;
        while let Some(next) = refs.next_if(|at| at.slot == first.slot && at.offset == end) {
            end += u64::from(next.len) + 1;
        }
        Some((first, (end - first.offset) as usize))
    })
}

/// Appends `len` bytes of `from` at `offset` to `to` at its position.
fn copy_range(from: &File, mut offset: u64, mut len: usize, to: &mut File) -> io::Result<()> {
    while len > 0 {
        match rustix::fs::copy_file_range(from, Some(&mut offset), &*to, None, len) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => len -= n,
            // Not between these files (another file system, an old kernel): copy by hand.
            Err(_) => {
                let mut buf = vec![0; len];
                from.read_exact_at(&mut buf, offset)?;
                return to.write_all(&buf);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spool_that_keeps_no_text_refuses_one_and_makes_no_file() {
        let spool = Spool::none();
        assert!(!spool.keeps_texts());
        assert!(spool.put(b"{}").is_err());
        assert!(spool.file_slot().is_err());
        assert!(spool.flush().is_ok() && spool.remove().is_ok());
        assert_eq!(spool.whole_file([SpoolRef { slot: FILE_SLOTS, len: 2, offset: 0 }]), None);
    }

    #[test]
    fn a_file_slot_is_the_whole_file_only_for_all_its_lines_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), ".test-spool-").unwrap();
        let mut own = spool.file_slot().unwrap();
        let refs: Vec<SpoolRef> =
            ["{\"a\":1}", "{\"b\":2}", "{}"].iter().map(|t| own.put(t.as_bytes()).unwrap()).collect();
        spool.finish(own).unwrap();
        let path = spool.whole_file(refs.iter().copied()).expect("every line, in order");
        assert_eq!(std::fs::read_to_string(path).unwrap(), "{\"a\":1}\n{\"b\":2}\n{}\n");
        assert_eq!(spool.whole_file(refs[..2].iter().copied()), None, "a line missing at the end");
        assert_eq!(spool.whole_file(refs[1..].iter().copied()), None, "a line missing at the start");
        assert_eq!(spool.whole_file([refs[0], refs[2], refs[1]]), None, "out of order");
        let thread = spool.put(b"{}").unwrap();
        assert_eq!(spool.whole_file([thread]), None, "a thread slot is shared");
        let mut text = Vec::new();
        spool.read_into(refs[1], &mut text).unwrap();
        assert_eq!(text, b"{\"b\":2}");
    }

    #[test]
    fn the_time_spent_writing_is_counted_for_file_slots_and_thread_slots() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), ".test-spool-").unwrap();
        let mut own = spool.file_slot().unwrap();
        own.put(&[b'x'; 3000]).unwrap();
        assert_eq!(spool.write_seconds(), 0.0, "held, not written yet");
        spool.finish(own).unwrap();
        let after_file = spool.write_seconds();
        assert!(after_file > 0.0, "the held texts were written");
        spool.put(&[b'y'; 3000]).unwrap();
        assert_eq!(spool.write_seconds(), after_file, "buffered, not written yet");
        spool.flush().unwrap();
        assert!(spool.write_seconds() > after_file, "the thread slot was written");
    }

    #[test]
    fn held_texts_are_written_in_the_order_asked_and_the_rest_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), ".test-spool-").unwrap();
        let mut own = spool.file_slot().unwrap();
        let refs: Vec<SpoolRef> = ["a", "bb", "ccc", "dddd"].iter().map(|t| own.put(t.as_bytes()).unwrap()).collect();
        let (here, elsewhere) = own.write_held(&spool, &[refs[2], refs[0], refs[3]], &[refs[1]]).unwrap();
        assert!(own.write_held(&spool, &[], &[]).is_none(), "written once");
        spool.finish(own).unwrap();
        spool.flush().unwrap();
        let path = spool.whole_file(here.iter().copied()).expect("the file holds exactly `here`, in order");
        assert_eq!(std::fs::read_to_string(path).unwrap(), "ccc\na\ndddd\n");
        let mut text = Vec::new();
        spool.lines_into(here.iter().chain(&elsewhere).copied(), &mut text).unwrap();
        assert_eq!(String::from_utf8(text).unwrap(), "ccc\na\ndddd\nbb\n");
        assert!(elsewhere[0].slot < FILE_SLOTS, "in a shared slot");
    }

    #[test]
    fn texts_past_the_held_limit_are_written_as_they_come() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), ".test-spool-").unwrap();
        let mut own = spool.file_slot().unwrap();
        let texts: Vec<String> = (0..HELD_BYTES / 8 + 2).map(|i| format!("line {i:04}")).collect();
        let refs: Vec<SpoolRef> = texts.iter().map(|t| own.put(t.as_bytes()).unwrap()).collect();
        assert!(own.write_held(&spool, &refs[1..], &refs[..1]).is_none(), "no longer held");
        spool.finish(own).unwrap();
        let path = spool.whole_file(refs.iter().copied()).expect("in the order put");
        assert_eq!(std::fs::read_to_string(path).unwrap(), texts.join("\n") + "\n");
    }

    #[test]
    fn lines_come_back_in_the_order_asked_whatever_the_runs() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), ".test-spool-").unwrap();
        let mut own = spool.file_slot().unwrap();
        let a: Vec<SpoolRef> = ["1", "22", "333"].iter().map(|t| own.put(t.as_bytes()).unwrap()).collect();
        spool.finish(own).unwrap();
        let b: Vec<SpoolRef> = ["x", "yy", "zzz"].iter().map(|t| spool.put(t.as_bytes()).unwrap()).collect();
        spool.flush().unwrap();
        let mut text = Vec::new();
        spool.lines_into([a[0], a[1], b[1], b[2], a[2], b[0], a[0]], &mut text).unwrap();
        assert_eq!(String::from_utf8(text).unwrap(), "1\n22\nyy\nzzz\n333\nx\n1\n");
        let mut none = Vec::new();
        assert!(spool.lines_into([a[0], SpoolRef::NONE], &mut none).is_err());
        // Copied file to file, the same lines after what the file already holds.
        let path = dir.path().join("copy.jsonl");
        let mut copy = File::create(&path).unwrap();
        copy.write_all(b"head\n").unwrap();
        spool.copy_lines([a[0], a[1], b[1], b[2], a[2], b[0], a[0]], &mut copy).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "head\n1\n22\nyy\nzzz\n333\nx\n1\n");
        assert!(spool.copy_lines([SpoolRef::NONE], &mut copy).is_err());
    }

    #[test]
    fn a_range_the_kernel_cannot_copy_is_read_and_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("from");
        std::fs::write(&path, "0123456789").unwrap();
        let from = File::open(&path).unwrap();
        // copy_file_range refuses an output opened for appending (EBADF).
        let out_path = dir.path().join("out");
        let mut out = std::fs::OpenOptions::new().create(true).append(true).open(&out_path).unwrap();
        copy_range(&from, 2, 5, &mut out).unwrap();
        copy_range(&from, 0, 1, &mut out).unwrap();
        assert_eq!(std::fs::read_to_string(&out_path).unwrap(), "234560");
        assert!(copy_range(&from, 8, 5, &mut out).is_err(), "past the end");
    }
}
