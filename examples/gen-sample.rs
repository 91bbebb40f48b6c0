//! Writes the repository's sample data: `cargo run --example gen-sample -- data/`.
//!
//! Four weeks of reports in the upload layout (`<Week>/<%g of X>.json`), encoded as Go's
//! `json.Encoder` writes a `telemetry.Report`: compact, struct fields in Go order, map keys
//! sorted, Go's float text for `X`, a final newline. Programs, versions and counters come
//! from `<DIR>/upload-config.json`; a handful of bad reports of different kinds follow.
//!
//! Deterministic: a seeded splitmix64 and fixed dates, so re-running it rewrites the same
//! bytes. Before writing it removes the date folders (`YYYY-MM-DD/`) in DIR and nothing else.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use telemetry_site::config::upload::{expand_counter, UploadConfig};
use telemetry_site::day::Day;
use telemetry_site::gofmt::format_g;

const FIRST_DAY: &str = "2026-10-26";
const DAYS: i32 = 28;
const SEED: u64 = 0x5eed_7e1e_3e7a;

fn main() {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => {
            eprintln!("usage: cargo run --example gen-sample -- DIR   (DIR holds upload-config.json)");
            std::process::exit(2);
        }
    };
    let config_path = dir.join("upload-config.json");
    let text = std::fs::read_to_string(&config_path).unwrap_or_else(|e| fail(&config_path, e));
    let config = UploadConfig::parse(&text).unwrap_or_else(|e| fail(&config_path, e));
    remove_date_folders(&dir);
    let (written, bytes) = generate(&config, &dir);
    eprintln!("wrote {written} reports ({bytes} bytes of good ones) into `{}`", dir.display());
}

/// Writes every report into `dir`; returns the number of reports and bytes of good ones.
fn generate(config: &UploadConfig, dir: &Path) -> (usize, usize) {
    let mut rng = Rng(SEED);
    let first = Day::parse(FIRST_DAY).expect("a valid first day");
    let mut written = 0;
    let mut bytes = 0;
    for offset in 0..DAYS {
        let day = first.plus(offset);
        let count = 9 + rng.below(7) as usize; // 9..=15 reports a day
        for _ in 0..count {
            let report = make_report(&mut rng, config, day, offset);
            let text = encode(&report);
            bytes += text.len();
            write(dir, &format!("{}/{}.json", report.week, format_g(report.x)), text.as_bytes());
            written += 1;
        }
    }
    for (name, text) in bad_reports(&mut rng, config, first) {
        write(dir, &name, &text);
        written += 1;
    }
    (written, bytes)
}

fn fail(path: &Path, e: impl std::fmt::Display) -> ! {
    eprintln!("error: `{}`: {e}", path.display());
    std::process::exit(2);
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).unwrap_or_else(|e| fail(&path, e));
    std::fs::write(&path, bytes).unwrap_or_else(|e| fail(&path, e));
}

fn remove_date_folders(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && Day::parse(&name).is_some() {
            std::fs::remove_dir_all(entry.path()).unwrap_or_else(|e| fail(&entry.path(), e));
        }
    }
}

/// splitmix64: small, seeded, good enough for sample data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// An index into `weights`, with probability proportional to its weight.
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.len() - 1
    }
    fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let weights: Vec<f64> = items.iter().map(|(_, w)| *w).collect();
        &items[self.weighted(&weights)].0
    }
    /// A heavy-tailed count in [1, max].
    fn count(&mut self, max: u64) -> i64 {
        let n = ((max as f64).ln() * self.unit() * self.unit()).exp();
        n.floor().max(1.0) as i64
    }
    /// `computeRandom` in the client: a 52-bit fraction, never 0. Values below 1e-6 are drawn
    /// again: Go's encoder writes them in exponent form, which this sample does not need.
    fn x(&mut self) -> f64 {
        loop {
            let k = self.next() >> 12;
            let x = k as f64 / (1u64 << 52) as f64;
            if x >= 1e-6 {
                return x;
            }
        }
    }
}

struct Report {
    week: String,
    last_week: String,
    x: f64,
    programs: Vec<Program>,
    config: String,
}

struct Program {
    program: String,
    version: String,
    go_version: String,
    goos: String,
    goarch: String,
    counters: Vec<(String, i64)>,
    stacks: Vec<(String, i64)>,
}

fn make_report(rng: &mut Rng, config: &UploadConfig, day: Day, offset: i32) -> Report {
    let goos = rng.pick(&[("linux", 46.0), ("darwin", 33.0), ("windows", 19.0), ("freebsd", 2.0)]).to_string();
    let goarch = if goos == "darwin" {
        rng.pick(&[("arm64", 80.0), ("amd64", 20.0)]).to_string()
    } else {
        rng.pick(&[("amd64", 78.0), ("arm64", 20.0), ("386", 2.0)]).to_string()
    };
    // The machine's Go toolchain, shared by every program of the report.
    let toolchain = pick_version(rng, config, "cmd/go", offset);
    let mut programs = Vec::new();
    let go_invocations = rng.count(400);
    for (name, share) in [
        ("cmd/compile", 0.68),
        ("cmd/go", 0.73),
        ("github.com/go-delve/delve/cmd/dlv", 0.13),
        ("github.com/golang/vscode-go/vscgo", 0.30),
        ("golang.org/x/tools/gopls", 0.80),
        ("golang.org/x/vuln/cmd/govulncheck", 0.05),
    ] {
        if !rng.chance(share) || !config.programs.iter().any(|p| p.name == name) {
            continue;
        }
        let version =
            if name.starts_with("cmd/") { toolchain.clone() } else { pick_version(rng, config, name, offset) };
        let mut program = Program {
            program: name.to_string(),
            version,
            go_version: toolchain.clone(),
            goos: goos.clone(),
            goarch: goarch.clone(),
            counters: Vec::new(),
            stacks: Vec::new(),
        };
        fill_counters(rng, config, &mut program, go_invocations);
        program.counters.sort();
        program.stacks.sort();
        programs.push(program);
    }
    let last_week = match rng.below(100) {
        0..=5 => String::new(),
        6..=11 => day.plus(-14).to_string(),
        _ => day.plus(-7).to_string(),
    };
    let config_version = if rng.chance(0.87) { "v0.115.0" } else { "v0.114.0" };
    Report { week: day.to_string(), last_week, x: rng.x(), programs, config: config_version.to_string() }
}

/// A release of `program` from the config, newer ones more common. The newest release
/// ships on the sample's 12th day and takes over from then on.
fn pick_version(rng: &mut Rng, config: &UploadConfig, program: &str, offset: i32) -> String {
    let versions = &config.programs.iter().find(|p| p.name == program).expect("program in the config").versions;
    let releases: Vec<&String> =
        versions.iter().filter(|v| !v.contains('-') && !v.contains("rc") && !v.contains("beta")).collect();
    let newest = if offset < 12 { releases.len() - 1 } else { releases.len() };
    let recent = &releases[newest.saturating_sub(6)..newest];
    let weights: Vec<f64> = (0..recent.len()).map(|i| 1.0 / (recent.len() - i) as f64).collect();
    if rng.chance(0.02) {
        // A prerelease now and then.
        if let Some(pre) = versions.iter().rev().find(|v| v.contains('-') || v.contains("rc")) {
            return pre.clone();
        }
    }
    recent[rng.weighted(&weights)].clone()
}

fn fill_counters(rng: &mut Rng, config: &UploadConfig, p: &mut Program, go_invocations: i64) {
    let program = config.programs.iter().find(|c| c.name == p.program).expect("program in the config");
    let allowed = program.expanded_counters();
    let add = |name: String, n: i64, counters: &mut Vec<(String, i64)>| {
        if allowed.contains(&name) && n > 0 {
            counters.push((name, n));
        }
    };
    match p.program.as_str() {
        "cmd/go" => {
            add("go/invocations".into(), go_invocations, &mut p.counters);
            add(format!("go/platform/target/port:{}-{}", p.goos, p.goarch), go_invocations, &mut p.counters);
            add("go/build/flag/buildmode:default".into(), rng.count(go_invocations as u64 + 1), &mut p.counters);
            if rng.chance(0.1) {
                add("go/build/flag:buildmode".into(), rng.count(5), &mut p.counters);
                add("go/build/flag/buildmode:pie".into(), rng.count(5), &mut p.counters);
            }
            let vcs = rng.pick(&[("git", 90.0), ("mod", 8.0), ("hg", 2.0)]);
            add(format!("go/vcs:{vcs}"), rng.count(50), &mut p.counters);
            if p.goos == "darwin" {
                let major = rng.pick(&[("23", 20.0), ("24", 45.0), ("25", 35.0)]);
                add(format!("go/platform/host/darwin/major-version:{major}"), 1, &mut p.counters);
            }
        }
        "cmd/compile" => {
            add("compile/invocations".into(), go_invocations * (2 + rng.below(4) as i64), &mut p.counters);
            if rng.chance(0.03) {
                p.stacks.push((stack(rng, "compile/bug", "cmd/compile/internal"), 1));
            }
        }
        "golang.org/x/tools/gopls" => {
            let client = rng.pick(&[
                ("vscode", 62.0),
                ("neovim", 12.0),
                ("cursor", 6.0),
                ("eglot", 4.0),
                ("zed", 4.0),
                ("helix", 3.0),
                ("sublimetext", 2.0),
                ("vscodium", 2.0),
                ("other", 5.0),
            ]);
            add(format!("gopls/client:{client}"), rng.count(60), &mut p.counters);
            let minor = p.go_version.trim_start_matches("go").split('.').take(2).collect::<Vec<_>>().join(".");
            add(format!("gopls/goversion:{minor}"), rng.count(30), &mut p.counters);
            if rng.chance(0.2) {
                add("gopls/goversion:1.24".into(), rng.count(10), &mut p.counters);
            }
            let toolchain = rng.pick(&[("auto", 70.0), ("local", 20.0), ("path", 8.0), ("other", 2.0)]);
            add(format!("gopls/gotoolchain:{toolchain}"), rng.count(20), &mut p.counters);
            for (name, share) in [
                ("gopls/telemetryprompt/accepted", 0.3),
                ("gopls/rename", 0.25),
                ("gopls/extract:func", 0.1),
                ("gopls/extract:variable", 0.08),
                ("gopls/inline:call", 0.05),
                ("gopls/changesig", 0.04),
                ("gopls/setting/staticcheck:true", 0.15),
                ("gopls/mcp", 0.05),
            ] {
                if rng.chance(share) {
                    add(name.into(), rng.count(12), &mut p.counters);
                }
            }
            if rng.chance(0.06) {
                p.stacks.push((stack(rng, "gopls/bug", "golang.org/x/tools/gopls/internal"), rng.count(3)));
            }
            if rng.chance(0.02) {
                p.stacks.push((stack(rng, "crash/crash", "golang.org/x/tools/gopls/internal"), 1));
            }
        }
        _ => {
            // vscgo, dlv, govulncheck: one or two of their counters.
            let names: Vec<String> = program.counters.iter().flat_map(|c| expand_counter(&c.name)).collect();
            for _ in 0..names.len().min(2) {
                let name = names[rng.below(names.len() as u64) as usize].clone();
                if !p.counters.iter().any(|(n, _)| *n == name) {
                    add(name, rng.count(20), &mut p.counters);
                }
            }
            if !program.stacks.is_empty() && rng.chance(0.05) {
                let name = program.stacks[rng.below(program.stacks.len() as u64) as usize].name.clone();
                p.stacks.push((stack(rng, &name, "github.com/go-delve/delve/pkg"), 1));
            }
        }
    }
}

/// A stack counter key in the client's encoding: the counter name, then a frame per line,
/// `import/path.Func:+line,+0xpc`, with `"` standing for the previous frame's import path.
fn stack(rng: &mut Rng, name: &str, root: &str) -> String {
    const PACKAGES: [&str; 4] = ["cache", "server", "golang", "protocol"];
    const FUNCS: [&str; 6] = ["(*Snapshot).load", "run", "(*Server).DidChange", "handle", "typeCheck", "Do"];
    let mut key = String::from(name);
    let mut last = String::new();
    for depth in 0..3 + rng.below(5) {
        let path =
            if depth == 0 { "runtime".to_string() } else { format!("{root}/{}", PACKAGES[rng.below(4) as usize]) };
        let func = if depth == 0 { "gopanic" } else { FUNCS[rng.below(6) as usize] };
        let shown = if path == last { "\"".to_string() } else { path.clone() };
        let _ = write!(key, "\n{shown}.{func}:+{},+0x{:x}", 1 + rng.below(200), rng.below(0x400));
        last = path;
    }
    key
}

/// The text Go's `json.NewEncoder(w).Encode(report)` writes.
fn encode(r: &Report) -> String {
    let mut out = String::new();
    out.push_str("{\"Week\":");
    string(&mut out, &r.week);
    out.push_str(",\"LastWeek\":");
    string(&mut out, &r.last_week);
    let _ = write!(out, ",\"X\":{}", go_float(r.x));
    out.push_str(",\"Programs\":");
    if r.programs.is_empty() {
        out.push_str("null");
    } else {
        out.push('[');
        for (i, p) in r.programs.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"Program\":");
            string(&mut out, &p.program);
            out.push_str(",\"Version\":");
            string(&mut out, &p.version);
            out.push_str(",\"GoVersion\":");
            string(&mut out, &p.go_version);
            out.push_str(",\"GOOS\":");
            string(&mut out, &p.goos);
            out.push_str(",\"GOARCH\":");
            string(&mut out, &p.goarch);
            out.push_str(",\"Counters\":");
            map(&mut out, &p.counters);
            out.push_str(",\"Stacks\":");
            map(&mut out, &p.stacks);
            out.push('}');
        }
        out.push(']');
    }
    out.push_str(",\"Config\":");
    string(&mut out, &r.config);
    out.push_str("}\n");
    out
}

/// encoding/json's float64 text for 1e-6 <= |x| < 1e21: `strconv.AppendFloat(x, 'f', -1)`,
/// the shortest digits that round-trip, which is what Rust's `Display` writes too.
fn go_float(x: f64) -> String {
    assert!((1e-6..1e21).contains(&x.abs()), "exponent form not needed for X");
    format!("{x}")
}

/// A map with sorted keys, as Go encodes `map[string]int64`.
fn map(out: &mut String, entries: &[(String, i64)]) {
    let mut sorted: Vec<&(String, i64)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push('{');
    for (i, (key, n)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, key);
        let _ = write!(out, ":{n}");
    }
    out.push('}');
}

/// A JSON string as encoding/json writes it (HTML-safe escaping included).
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One bad report of each kind `check` should name: (path under DIR, bytes).
fn bad_reports(rng: &mut Rng, config: &UploadConfig, first: Day) -> Vec<(String, Vec<u8>)> {
    let mut bad = Vec::new();
    let good = |rng: &mut Rng, offset: i32| {
        let mut report = make_report(rng, config, first.plus(offset), offset);
        while report.programs.is_empty() {
            report = make_report(rng, config, first.plus(offset), offset);
        }
        report
    };
    // Truncated JSON: an upload cut short.
    let r = good(rng, 3);
    let text = encode(&r);
    bad.push((format!("{}/{}.json", r.week, format_g(r.x)), text.as_bytes()[..text.len() / 2].to_vec()));
    // A program the config does not list.
    let mut r = good(rng, 9);
    r.programs[0].program = "example.com/cmd/unlisted".into();
    bad.push((format!("{}/{}.json", r.week, format_g(r.x)), encode(&r).into_bytes()));
    // A negative count.
    let mut r = good(rng, 15);
    let program = r.programs.iter_mut().find(|p| !p.counters.is_empty()).expect("a program with counters");
    program.counters[0].1 = -3;
    bad.push((format!("{}/{}.json", r.week, format_g(r.x)), encode(&r).into_bytes()));
    // A `Week` that is not a date, filed under the day it arrived.
    let mut r = good(rng, 20);
    let folder = r.week.clone();
    r.week = "2026-11-31".into();
    bad.push((format!("{folder}/{}.json", format_g(r.x)), encode(&r).into_bytes()));
    // An empty file.
    let r = good(rng, 24);
    bad.push((format!("{}/{}.json", r.week, format_g(r.x)), Vec::new()));
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed `data/` is what this generator writes, byte for byte.
    #[test]
    fn regenerates_the_committed_sample() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let text = std::fs::read_to_string(data.join("upload-config.json")).unwrap();
        let config = UploadConfig::parse(&text).unwrap();
        let out = tempfile::tempdir().unwrap();
        let (written, _) = generate(&config, out.path());
        let mut checked = 0;
        for day in std::fs::read_dir(out.path()).unwrap() {
            let day = day.unwrap().path();
            for file in std::fs::read_dir(&day).unwrap() {
                let file = file.unwrap().path();
                let rel = file.strip_prefix(out.path()).unwrap();
                let committed = std::fs::read(data.join(rel)).unwrap_or_else(|e| panic!("{}: {e}", rel.display()));
                assert_eq!(std::fs::read(&file).unwrap(), committed, "{}", rel.display());
                checked += 1;
            }
        }
        assert_eq!(checked, written);
        let committed = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir() && Day::parse(&p.file_name().unwrap().to_string_lossy()).is_some())
            .map(|p| std::fs::read_dir(p).unwrap().count())
            .sum::<usize>();
        assert_eq!(committed, written, "no stale files in data/");
    }

    #[test]
    fn encodes_like_go() {
        let mut out = String::new();
        string(&mut out, "a<b>&\"\n\u{1}");
        assert_eq!(out, r#""a\u003cb\u003e\u0026\"\n\u0001""#);
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(0.000123), "0.000123");
    }
}
