//! Path segments for uploaded names (program paths, chart names).
//!
//! A segment is lowercase ASCII letters, digits and single `-`, so it is safe on every
//! file system and in a URL, and readable: `golang.org/x/tools/gopls` becomes
//! `golang-org-x-tools-gopls--8a1e0f6b2c7d9e34`. A name that is already such a segment
//! maps to itself; any other name gets `--` and sixteen hex digits of its SHA-256. No
//! identity segment contains `--`, so the two kinds never meet; [`Slugs`] guarantees
//! uniqueness within one set of names even if two hashes collided.
//!
//! Why SHA-256, cut to 64 bits: without an upload config, uploads name the programs and
//! charts, and a segment is a stable URL that READMEs embed. With a 32-bit FNV hash, a
//! name like `Golang.org/x/tools/gopls)</.*&/` that shares gopls's readable part and hash
//! took gopls's segment (it sorts first) after ten seconds of search. Finding another name
//! with a given 64-bit cut of SHA-256 takes about 2^64 hashes.

use std::collections::BTreeMap;

/// The longest readable part kept before the hash.
const MAX_BASE: usize = 48;

/// Windows device names: never a bare segment.
const RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2",
    "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The segment for `name` on its own (see the module docs). Not unique on its own in
/// theory (a 64-bit hash); use [`Slugs`] for a set of names.
pub fn slug(name: &str) -> String {
    let mut base = String::with_capacity(name.len().min(MAX_BASE));
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            base.push(c);
        } else if !base.is_empty() && !base.ends_with('-') {
            base.push('-');
        }
        if base.len() >= MAX_BASE {
            break;
        }
    }
    while base.ends_with('-') {
        base.pop();
    }
    if !base.is_empty() && base == name && !RESERVED.contains(&name) {
        return base;
    }
    if base.is_empty() {
        base.push('x');
    }
    format!("{base}--{:016x}", hash64(name))
}

/// The first 64 bits of `name`'s SHA-256, big-endian: stable across platforms and releases.
fn hash64(name: &str) -> u64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(name.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
}

/// Segments for a set of names, distinct for distinct names. Names are taken in sorted
/// order; should two hashed segments ever collide, the later name gets `-2`, `-3`, ...
/// (still containing `--`, so still apart from every identity segment).
#[derive(Debug, Clone, Default)]
pub struct Slugs {
    by_name: BTreeMap<String, String>,
}

impl Slugs {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Slugs {
        Slugs::with(names, slug)
    }

    fn with<'a>(names: impl IntoIterator<Item = &'a str>, slug: impl Fn(&str) -> String) -> Slugs {
        let mut sorted: Vec<&str> = names.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut taken = std::collections::BTreeSet::new();
        let mut by_name = BTreeMap::new();
        for name in sorted {
            let first = slug(name);
            let mut segment = first.clone();
            let mut n = 2;
            while !taken.insert(segment.clone()) {
                segment = format!("{first}-{n}");
                n += 1;
            }
            by_name.insert(name.to_string(), segment);
        }
        Slugs { by_name }
    }

    /// The segment of a name given to [`Slugs::new`].
    pub fn get(&self, name: &str) -> Option<&str> {
        self.by_name.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_safe(segment: &str) -> bool {
        !segment.is_empty()
            && segment.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !segment.starts_with('-')
            && !segment.ends_with('-')
    }

    #[test]
    fn readable_and_identity_when_already_safe() {
        assert_eq!(slug("gopls"), "gopls");
        assert_eq!(slug("go-version"), "go-version");
        let gopls = slug("golang.org/x/tools/gopls");
        assert!(gopls.starts_with("golang-org-x-tools-gopls--"), "{gopls}");
        assert_eq!(gopls.len(), "golang-org-x-tools-gopls--".len() + 16);
        assert!(slug("GOOS").starts_with("goos--"));
        assert!(slug("cmd/go").starts_with("cmd-go--"));
        // Stable across runs and platforms: SHA-256's test vectors (FIPS 180-2).
        assert_eq!(slug("cmd/go"), slug("cmd/go"));
        assert_eq!(hash64(""), 0xe3b0_c442_98fc_1c14);
        assert_eq!(hash64("abc"), 0xba78_16bf_8f01_cfea);
        assert_eq!(slug("ABC"), "abc--b5d4045c3f466fa9");
    }

    #[test]
    fn a_name_found_to_collide_with_gopls_under_the_old_32_bit_hash_no_longer_does() {
        // Explorer H's name: the same readable part and the same 32-bit FNV-1a as gopls's.
        let slugs = Slugs::new(["golang.org/x/tools/gopls", "Golang.org/x/tools/gopls)</.*&/"]);
        let (real, other) = (slugs.get("golang.org/x/tools/gopls"), slugs.get("Golang.org/x/tools/gopls)</.*&/"));
        assert_eq!(real, Some(slug("golang.org/x/tools/gopls").as_str()), "gopls keeps its own segment");
        assert_ne!(real, other);
        assert!(!other.unwrap().ends_with("-2"), "{other:?}");
    }

    #[test]
    fn hostile_names_become_safe_segments() {
        for name in [
            "..",
            ".",
            "",
            "/",
            "../../etc/passwd",
            "a/../b",
            "nul",
            "CON",
            "a\0b",
            "\\windows\\x",
            "-",
            "--",
            "a--b",
            "<script>",
            "ünïcödé",
            "名前",
            &"x".repeat(500),
        ] {
            let s = slug(name);
            assert!(is_safe(&s), "{name:?} -> {s:?}");
            assert!(!s.contains(".."), "{s}");
            assert!(!s.contains('/') && !s.contains('\0'), "{s}");
            assert!(s.len() <= MAX_BASE + 18, "{s}");
        }
    }

    #[test]
    fn distinct_names_never_share_a_segment() {
        let mut names: Vec<String> = vec![
            "GOOS".into(),
            "goos".into(),
            "Goos".into(),
            "go-os".into(),
            "go os".into(),
            "go/os".into(),
            "go.os".into(),
            "go--os".into(),
            "goos--00000000".into(),
            "a".into(),
            "A".into(),
            "".into(),
            "-".into(),
            "x".into(),
        ];
        // Many near-identical names: case and punctuation variants of a few words.
        for w in ["gopls", "cmd/go", "vscode", "v1.0.0"] {
            for i in 0..200 {
                names.push(format!("{w}{i}"));
                names.push(format!("{}/{i}", w.to_uppercase()));
                names.push(format!("{w}.{i}"));
                names.push(format!("{w}-{i}"));
            }
        }
        let slugs = Slugs::new(names.iter().map(String::as_str));
        let mut seen = std::collections::BTreeMap::new();
        for name in &names {
            let s = slugs.get(name).unwrap();
            assert!(is_safe(s), "{name:?} -> {s:?}");
            if let Some(other) = seen.insert(s.to_string(), name.clone()) {
                assert_eq!(&other, name, "{other:?} and {name:?} share {s}");
            }
        }
    }

    #[test]
    fn a_hash_collision_is_resolved_by_a_suffix() {
        // Two hashed names whose hashes collide cannot be found cheaply: fake the hash.
        let fake = |name: &str| format!("{}--00000000", name.to_ascii_lowercase());
        let slugs = Slugs::with(["AB", "Ab", "aB"], fake);
        assert_eq!(slugs.get("AB"), Some("ab--00000000"));
        assert_eq!(slugs.get("Ab"), Some("ab--00000000-2"));
        assert_eq!(slugs.get("aB"), Some("ab--00000000-3"));
    }
}
