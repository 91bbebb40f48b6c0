//! A table of stack names: (program, stack counter key as uploaded), each kept once, all in
//! one string. Parsing fills one while it reads, the cache keeps one, and the stack pages
//! take their names from the cache's: a year of reports with distinct stacks holds a
//! million names, and a pair of strings each (two allocations) cost twice the memory.

use serde::{Deserialize, Serialize};

/// The hash a table of stack names finds a stack (program, key) by.
pub(crate) fn stack_hash(program: &str, key: &str) -> u64 {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    hash.update(program.as_bytes());
    hash.update(&[0]);
    hash.update(key.as_bytes());
    hash.digest()
}

/// The id of a stack in a table of `len` names whose `ids` map a [`stack_hash`] to the
/// first id that had it; `same(id)` says whether `id` is the stack sought.
pub(crate) fn find_stack(
    ids: &rustc_hash::FxHashMap<u64, u32>,
    hash: u64,
    len: usize,
    same: impl Fn(u32) -> bool,
) -> Option<u32> {
    match ids.get(&hash) {
        Some(&id) if same(id) => Some(id),
        // A hash shared with another stack (never in practice): searched.
        Some(_) => (0..len as u32).find(|&id| same(id)),
        None => None,
    }
}

/// Stack names by id, in the order they were first interned.
#[derive(Debug, Clone, Default)]
pub struct StackNames {
    text: String,
    /// Per id: where its program starts in `text`, and the lengths of program and key.
    spans: Vec<(u32, u32, u32)>,
    /// Ids by [`stack_hash`], for [`StackNames::intern`]: none until the first intern,
    /// and none again once the table is made ([`StackNames::shrink`]) or read back from a
    /// cache file, where it is not saved.
    ids: Option<rustc_hash::FxHashMap<u64, u32>>,
}

impl StackNames {
    /// The id of the stack (program, key), added if new.
    pub fn intern(&mut self, program: &str, key: &str) -> u32 {
        let hash = stack_hash(program, key);
        if self.ids.is_none() {
            let mut ids = rustc_hash::FxHashMap::default();
            for (id, (program, key)) in self.iter().enumerate() {
                ids.entry(stack_hash(program, key)).or_insert(id as u32);
            }
            self.ids = Some(ids);
        }
        let ids = self.ids.as_ref().expect("indexed above");
        if let Some(id) = find_stack(ids, hash, self.spans.len(), |id| self.get(id) == (program, key)) {
            return id;
        }
        let id = self.push(program, key);
        self.ids.as_mut().expect("indexed above").entry(hash).or_insert(id);
        id
    }

    /// Frees what only interning needs, the ids by hash and the spare capacity, once the
    /// table is made (a million names take 30 MB of ids); an intern after it indexes the
    /// names again.
    pub fn shrink(&mut self) {
        self.ids = None;
        self.text.shrink_to_fit();
        self.spans.shrink_to_fit();
    }

    /// Adds (program, key) as the next id, not looked up. Past 4 GiB of names (far past any
    /// memory a build is meant to use) it panics rather than store a wrapped span.
    fn push(&mut self, program: &str, key: &str) -> u32 {
        let start = self.text.len();
        assert!(start + program.len() + key.len() <= u32::MAX as usize, "a table of stack names under 4 GiB");
        self.text.push_str(program);
        self.text.push_str(key);
        self.spans.push((start as u32, program.len() as u32, key.len() as u32));
        self.spans.len() as u32 - 1
    }

    /// Keeps the first `len` names (all when there are fewer).
    pub fn truncate(&mut self, len: usize) {
        if let Some(&(start, _, _)) = self.spans.get(len) {
            self.text.truncate(start as usize);
        }
        self.spans.truncate(len);
        self.ids = None;
    }

    /// The (program, key) of `id`.
    pub fn get(&self, id: u32) -> (&str, &str) {
        let (start, program, key) = self.spans[id as usize];
        let (start, program, key) = (start as usize, program as usize, key as usize);
        (&self.text[start..start + program], &self.text[start + program..start + program + key])
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Every (program, key), by id.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        (0..self.spans.len() as u32).map(|id| self.get(id))
    }
}

/// Saved as a sequence of (program, key) pairs: the cache file's format since stacks
/// were first cached.
impl Serialize for StackNames {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for StackNames {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<StackNames, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = StackNames;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of stack names")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StackNames, A::Error> {
                let mut names = StackNames::default();
                while let Some((program, key)) =
                    seq.next_element::<(std::borrow::Cow<'de, str>, std::borrow::Cow<'de, str>)>()?
                {
                    if names.text.len() + program.len() + key.len() > u32::MAX as usize {
                        return Err(serde::de::Error::custom("a table of stack names of 4 GiB or more"));
                    }
                    names.push(&program, &key);
                }
                Ok(names)
            }
        }
        deserializer.deserialize_seq(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::StackNames;

    #[test]
    fn stack_names_keep_program_and_key_apart() {
        let mut names = StackNames::default();
        let ab_c = names.intern("ab", "c\nmain.f:+1");
        let a_bc = names.intern("a", "bc\nmain.f:+1");
        assert_ne!(ab_c, a_bc);
        assert_eq!(names.intern("ab", "c\nmain.f:+1"), ab_c);
        assert_eq!(names.get(ab_c), ("ab", "c\nmain.f:+1"));
        assert_eq!(names.get(a_bc), ("a", "bc\nmain.f:+1"));
        assert_eq!(names.intern("", ""), 2);
        assert_eq!(names.get(2), ("", ""));
        assert_eq!(names.len(), 3);
        // Made, then interned again: the same ids, nothing added twice.
        names.shrink();
        assert_eq!(names.intern("a", "bc\nmain.f:+1"), a_bc);
        assert_eq!(names.intern("x", "y"), 3);
        assert_eq!(names.len(), 4);
    }

    #[test]
    fn saved_as_the_pairs_a_vector_of_string_pairs_was_saved_as() {
        let mut names = StackNames::default();
        for (program, key) in [("gopls", "crash/crash\nmain.f:+1"), ("go", "é\n\".g:2"), ("", "")] {
            names.intern(program, key);
        }
        let pairs: Vec<(String, String)> = names.iter().map(|(p, k)| (p.to_string(), k.to_string())).collect();
        let bytes = postcard::to_allocvec(&names).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&pairs).unwrap());
        let mut back: StackNames = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.iter().collect::<Vec<_>>(), names.iter().collect::<Vec<_>>());
        assert_eq!(back.intern("go", "é\n\".g:2"), 1, "a table read back finds its names");
        // Cut short: an error, not a shorter table.
        assert!(postcard::from_bytes::<StackNames>(&bytes[..bytes.len() - 3]).is_err());
    }
}
