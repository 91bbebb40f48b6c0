//! The catalog of names a report may use, and the ids ingest gives them.
//!
//! A *key* is one (program, dimension, value) a program report can carry: its `Version`,
//! `GOOS`, `GOARCH`, `GoVersion`, or one counter name. Ingest turns every valid report into
//! a short list of key ids, so nothing downstream holds uploaded text.
//!
//! With an upload config the catalog is fixed: an unknown name rejects the report, as the
//! upload server does. Without one it is open: every name seen is added, and the config is
//! inferred from them afterwards.

use std::sync::RwLock;

use rustc_hash::{FxHashMap, FxHashSet};

use super::reason::Reason;
use super::report::Report;
use crate::config::UploadConfig;

/// What a key says about a program report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Version,
    Goos,
    Goarch,
    GoVersion,
    Counter,
}

/// One key: `program` indexes [`Catalog::program_names`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub program: u32,
    pub dimension: Dimension,
    pub value: String,
}

#[derive(Debug, Default)]
struct ProgramKeys {
    version: FxHashMap<String, u32>,
    goos: FxHashMap<String, u32>,
    goarch: FxHashMap<String, u32>,
    go_version: FxHashMap<String, u32>,
    counters: FxHashMap<String, u32>,
    stacks: FxHashSet<String>,
}

impl ProgramKeys {
    fn map(&self, dimension: Dimension) -> &FxHashMap<String, u32> {
        match dimension {
            Dimension::Version => &self.version,
            Dimension::Goos => &self.goos,
            Dimension::Goarch => &self.goarch,
            Dimension::GoVersion => &self.go_version,
            Dimension::Counter => &self.counters,
        }
    }

    fn map_mut(&mut self, dimension: Dimension) -> &mut FxHashMap<String, u32> {
        match dimension {
            Dimension::Version => &mut self.version,
            Dimension::Goos => &mut self.goos,
            Dimension::Goarch => &mut self.goarch,
            Dimension::GoVersion => &mut self.go_version,
            Dimension::Counter => &mut self.counters,
        }
    }
}

#[derive(Debug, Default)]
pub struct Names {
    program_ids: FxHashMap<String, u32>,
    program_names: Vec<String>,
    programs: Vec<ProgramKeys>,
    keys: Vec<Key>,
}

impl Names {
    fn add_program(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.program_ids.get(name) {
            return id;
        }
        let id = self.program_names.len() as u32;
        self.program_ids.insert(name.to_owned(), id);
        self.program_names.push(name.to_owned());
        self.programs.push(ProgramKeys::default());
        id
    }

    fn add_key(&mut self, program: u32, dimension: Dimension, value: &str) -> u32 {
        if let Some(&id) = self.programs[program as usize].map(dimension).get(value) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.keys.push(Key { program, dimension, value: value.to_owned() });
        self.programs[program as usize].map_mut(dimension).insert(value.to_owned(), id);
        id
    }

    /// The key ids of a report's program reports, or why a name is unknown.
    fn lookup(&self, report: &Report<'_>, keys: &mut Vec<u32>) -> Result<(), Miss> {
        let mut ids = Vec::with_capacity(report.programs.len());
        for p in &report.programs {
            let Some(&id) = self.program_ids.get(&*p.program) else {
                return Err(Miss::Program(format!("unknown program `{}`", p.program)));
            };
            let keys_of = &self.programs[id as usize];
            for (dimension, value, what) in [
                (Dimension::Version, &p.version, "version"),
                (Dimension::GoVersion, &p.go_version, "Go version"),
                (Dimension::Goos, &p.goos, "GOOS"),
                (Dimension::Goarch, &p.goarch, "GOARCH"),
            ] {
                match keys_of.map(dimension).get(&**value) {
                    Some(&key) => keys.push(key),
                    None => return Err(Miss::Program(format!("unknown {what} `{value}` for `{}`", p.program))),
                }
            }
            ids.push(id);
        }
        for (p, &id) in report.programs.iter().zip(&ids) {
            let keys_of = &self.programs[id as usize];
            for (name, _) in &p.counters {
                match keys_of.counters.get(&**name) {
                    Some(&key) => keys.push(key),
                    None => return Err(Miss::Counter(format!("unknown counter `{name}` for `{}`", p.program))),
                }
            }
            for (stack, _) in &p.stacks {
                let name = stack.split('\n').next().unwrap_or_default();
                if !keys_of.stacks.contains(name) {
                    return Err(Miss::Counter(format!("unknown stack counter `{name}` for `{}`", p.program)));
                }
            }
        }
        Ok(())
    }

    fn insert(&mut self, report: &Report<'_>, keys: &mut Vec<u32>) {
        for p in &report.programs {
            let id = self.add_program(&p.program);
            keys.push(self.add_key(id, Dimension::Version, &p.version));
            keys.push(self.add_key(id, Dimension::GoVersion, &p.go_version));
            keys.push(self.add_key(id, Dimension::Goos, &p.goos));
            keys.push(self.add_key(id, Dimension::Goarch, &p.goarch));
            for (name, _) in &p.counters {
                keys.push(self.add_key(id, Dimension::Counter, name));
            }
            for (stack, _) in &p.stacks {
                let name = stack.split('\n').next().unwrap_or_default();
                if !self.programs[id as usize].stacks.contains(name) {
                    self.programs[id as usize].stacks.insert(name.to_owned());
                }
            }
        }
    }
}

enum Miss {
    Program(String),
    Counter(String),
}

/// The names reports may use, fixed by an upload config or open to all.
#[derive(Debug)]
pub enum Catalog {
    Fixed(Box<FixedNames>),
    Open(RwLock<Names>),
}

/// The names of an upload config; opaque.
#[derive(Debug)]
pub struct FixedNames(Names);

impl Catalog {
    /// The catalog of an upload config: exactly its programs, versions, platforms,
    /// Go versions, expanded counter names and stack names.
    pub fn fixed(config: &UploadConfig) -> Catalog {
        let mut names = Names::default();
        for program in &config.programs {
            let id = names.add_program(&program.name);
            for v in &program.versions {
                names.add_key(id, Dimension::Version, v);
            }
            for (dimension, list) in [
                (Dimension::Goos, &config.goos),
                (Dimension::Goarch, &config.goarch),
                (Dimension::GoVersion, &config.go_version),
            ] {
                for v in list {
                    names.add_key(id, dimension, v);
                }
            }
            for counter in program.expanded_counters() {
                names.add_key(id, Dimension::Counter, &counter);
            }
            for stack in &program.stacks {
                names.programs[id as usize].stacks.insert(stack.name.clone());
            }
        }
        Catalog::Fixed(Box::new(FixedNames(names)))
    }

    /// A catalog that takes every name it sees.
    pub fn open() -> Catalog {
        Catalog::Open(RwLock::new(Names::default()))
    }

    /// Appends the key ids of `report`'s program reports to `keys` (in no particular
    /// order, possibly repeated), or says which rule an unknown name breaks.
    pub fn resolve(&self, report: &Report<'_>, keys: &mut Vec<u32>) -> Result<(), (Reason, String)> {
        let start = keys.len();
        let miss = match self {
            Catalog::Fixed(names) => names.0.lookup(report, keys),
            Catalog::Open(lock) => {
                let found = lock.read().expect("catalog lock").lookup(report, keys);
                if found.is_err() {
                    keys.truncate(start);
                    lock.write().expect("catalog lock").insert(report, keys);
                }
                Ok(())
            }
        };
        miss.map_err(|m| {
            keys.truncate(start);
            match m {
                Miss::Program(why) => (Reason::UnknownProgram, why),
                Miss::Counter(why) => (Reason::UnknownCounter, why),
            }
        })
    }

    fn with_names<T>(&self, f: impl FnOnce(&Names) -> T) -> T {
        match self {
            Catalog::Fixed(names) => f(&names.0),
            Catalog::Open(lock) => f(&lock.read().expect("catalog lock")),
        }
    }

    /// Every key, indexed by id.
    pub fn keys(&self) -> Vec<Key> {
        self.with_names(|n| n.keys.clone())
    }

    /// Program names, indexed by the `program` of a [`Key`].
    pub fn program_names(&self) -> Vec<String> {
        self.with_names(|n| n.program_names.clone())
    }
}
