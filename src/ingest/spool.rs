//! Valid report texts set aside during ingest, one spool file per worker thread, so the
//! raw-data downloads can be written without holding every report in memory.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;

/// Where one report's text sits in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpoolRef {
    pub slot: u16,
    pub len: u32,
    pub offset: u64,
}

struct Slot {
    writer: BufWriter<File>,
    offset: u64,
}

/// Append-only text store in a temporary directory, removed when dropped.
pub struct Spool {
    _dir: tempfile::TempDir,
    slots: Vec<Mutex<Slot>>,
    readers: Vec<File>,
}

impl SpoolRef {
    /// No text: a report taken from the cache without its text.
    pub const NONE: SpoolRef = SpoolRef { slot: u16::MAX, len: 0, offset: 0 };
}

impl Spool {
    /// A spool with one slot per rayon thread, in a new temporary directory under `parent`.
    pub fn new(parent: &Path) -> io::Result<Spool> {
        let dir = tempfile::Builder::new().prefix(".telemetry-site-spool-").tempdir_in(parent)?;
        let count = rayon::current_num_threads() + 1;
        let mut slots = Vec::with_capacity(count);
        let mut readers = Vec::with_capacity(count);
        for i in 0..count {
            let path = dir.path().join(format!("{i}.jsonl"));
            let file = File::create(&path)?;
            readers.push(File::open(&path)?);
            // Unlinked at once: the handles keep it alive, and a killed build leaves nothing.
            std::fs::remove_file(&path)?;
            slots.push(Mutex::new(Slot { writer: BufWriter::with_capacity(1 << 20, file), offset: 0 }));
        }
        Ok(Spool { _dir: dir, slots, readers })
    }

    /// Stores `text` in the calling thread's slot.
    pub fn put(&self, text: &[u8]) -> io::Result<SpoolRef> {
        let index = rayon::current_thread_index().map_or(self.slots.len() - 1, |i| i.min(self.slots.len() - 1));
        let mut slot = self.slots[index].lock().expect("spool slot");
        slot.writer.write_all(text)?;
        let at = SpoolRef { slot: index as u16, len: text.len() as u32, offset: slot.offset };
        slot.offset += text.len() as u64;
        Ok(at)
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
        if at.slot == u16::MAX {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the report's text was not kept (taken from the cache)",
            ));
        }
        let start = out.len();
        out.resize(start + at.len as usize, 0);
        self.readers[at.slot as usize].read_exact_at(&mut out[start..], at.offset)
    }
}
