//! Exact ports of Go's two version orders.
//!
//! Program versions (gopls `v0.17.0`) are semantic versions, ordered by
//! `golang.org/x/mod/semver`; Go toolchain versions (`go1.21rc1`, `go1.21.0`) are
//! not semver and are ordered by `go/version` (`internal/gover`). The dashboard sorts
//! chart buckets with these, so the ports follow the Go sources line by line rather
//! than a general-purpose version crate, whose answers differ on shorthands
//! (`v1.2`), language versions (`go1.21` < `go1.21rc1`) and invalid strings.

use std::cmp::Ordering;

// ---------------------------------------------------------------------------
// golang.org/x/mod/semver
// ---------------------------------------------------------------------------

/// The parts of a semantic version, as slices of the input (semver.go `parsed`).
#[derive(Debug, Default, PartialEq)]
struct Semver<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    prerelease: &'a str,
}

/// `golang.org/x/mod/semver.IsValid`: `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`,
/// where the shorthands `vMAJOR` and `vMAJOR.MINOR` take no suffix.
///
/// ```
/// use telemetry_site::version::semver_is_valid;
/// assert!(semver_is_valid("v1.2"));
/// assert!(!semver_is_valid("v1.2-pre"));
/// ```
pub fn semver_is_valid(v: &str) -> bool {
    parse_semver(v).is_some()
}

/// `golang.org/x/mod/semver.Compare`: invalid versions sort before all valid ones
/// and equal to each other; build metadata is ignored.
pub fn semver_compare(a: &str, b: &str) -> Ordering {
    match (parse_semver(a), parse_semver(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(pa), Some(pb)) => compare_decimal(pa.major, pb.major)
            .then_with(|| compare_decimal(pa.minor, pb.minor))
            .then_with(|| compare_decimal(pa.patch, pb.patch))
            .then_with(|| compare_prerelease(pa.prerelease, pb.prerelease)),
    }
}

/// The order of the Version chart: [`semver_compare`], ties broken by byte-wise
/// string order, as `semver.Sort` (`ByVersion.Less`) does.
pub fn semver_order(a: &str, b: &str) -> Ordering {
    semver_compare(a, b).then_with(|| a.cmp(b))
}

fn parse_semver(v: &str) -> Option<Semver<'_>> {
    let rest = v.strip_prefix('v')?;
    let (major, rest) = cut_int(rest)?;
    if rest.is_empty() {
        return Some(Semver { major, minor: "0", patch: "0", prerelease: "" });
    }
    let (minor, rest) = cut_int(rest.strip_prefix('.')?)?;
    if rest.is_empty() {
        return Some(Semver { major, minor, patch: "0", prerelease: "" });
    }
    let (patch, mut rest) = cut_int(rest.strip_prefix('.')?)?;
    let mut prerelease = "";
    if rest.starts_with('-') {
        (prerelease, rest) = semver_prerelease(rest)?;
    }
    if rest.starts_with('+') {
        rest = semver_build(rest)?;
    }
    rest.is_empty().then_some(Semver { major, minor, patch, prerelease })
}

/// semver.go `parseInt` and gover.go `cutInt` (identical): leading digits, no
/// leading zero unless the number is `0`. Returns (number, rest).
fn cut_int(v: &str) -> Option<(&str, &str)> {
    let digits = leading_digits(v);
    if digits == 0 || (v.as_bytes()[0] == b'0' && digits != 1) {
        return None;
    }
    Some(v.split_at(digits))
}

/// semver.go `parsePrerelease`: `-` then non-empty dot-separated identifiers;
/// numeric identifiers have no leading zero. Returns (prerelease, rest).
fn semver_prerelease(v: &str) -> Option<(&str, &str)> {
    let bytes = v.as_bytes();
    let mut i = 1;
    let mut start = 1;
    while i < bytes.len() && bytes[i] != b'+' {
        if !is_ident_char(bytes[i]) && bytes[i] != b'.' {
            return None;
        }
        if bytes[i] == b'.' {
            if start == i || is_bad_num(&v[start..i]) {
                return None;
            }
            start = i + 1;
        }
        i += 1;
    }
    if start == i || is_bad_num(&v[start..i]) {
        return None;
    }
    Some(v.split_at(i))
}

/// semver.go `parseBuild`: `+` then non-empty dot-separated identifiers; the
/// build runs to the end of the string. Returns the rest (always empty on success).
fn semver_build(v: &str) -> Option<&str> {
    let bytes = v.as_bytes();
    let mut start = 1;
    for (i, &c) in bytes.iter().enumerate().skip(1) {
        if !is_ident_char(c) && c != b'.' {
            return None;
        }
        if c == b'.' {
            if start == i {
                return None;
            }
            start = i + 1;
        }
    }
    if start == bytes.len() {
        return None;
    }
    Some("")
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// An all-digit identifier of more than one digit that starts with `0`.
fn is_bad_num(v: &str) -> bool {
    let digits = leading_digits(v);
    digits == v.len() && digits > 1 && v.starts_with('0')
}

fn is_num(v: &str) -> bool {
    leading_digits(v) == v.len()
}

fn leading_digits(v: &str) -> usize {
    v.bytes().take_while(u8::is_ascii_digit).count()
}

/// semver.go `compareInt` and gover.go `CmpInt`: decimal strings without leading
/// zeros compare by length, then byte-wise; no overflow whatever their size, and
/// `""` (a part gover leaves unset) sorts before every number.
fn compare_decimal(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

/// semver.go `comparePrerelease`: no prerelease sorts after any prerelease; then
/// identifier by identifier, numeric below alphanumeric, numbers numerically,
/// others byte-wise, and a longer list wins when one is a prefix of the other.
fn compare_prerelease(x: &str, y: &str) -> Ordering {
    if x == y {
        return Ordering::Equal;
    }
    if x.is_empty() {
        return Ordering::Greater;
    }
    if y.is_empty() {
        return Ordering::Less;
    }
    // Both start with '-'; identifiers are separated by '.'.
    let mut xs = x[1..].split('.');
    let mut ys = y[1..].split('.');
    loop {
        match (xs.next(), ys.next()) {
            (Some(dx), Some(dy)) => {
                if dx == dy {
                    continue;
                }
                return match (is_num(dx), is_num(dy)) {
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (true, true) => compare_decimal(dx, dy),
                    (false, false) => dx.cmp(dy),
                };
            }
            (None, _) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
        }
    }
}

// ---------------------------------------------------------------------------
// go/version and internal/gover
// ---------------------------------------------------------------------------

/// A parsed Go toolchain version (gover.go `Version`): `major[.minor[.patch]][kind[pre]]`.
/// The zero value (all empty) is the invalid version.
#[derive(Debug, Default, PartialEq)]
struct GoVersion<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    kind: &'a str,
    pre: &'a str,
}

/// `go/version.Lang`: the language version of a Go version, or `""` when invalid.
///
/// `go1.21.3` and `go1.21rc1` give `go1.21`; `go1` and `go1.0` give `go1`; `go222`
/// gives `go222.0` (Lang keeps the minor for every major but 1); a custom suffix
/// (`go1.21.0-bigcorp`) is dropped.
///
/// ```
/// use telemetry_site::version::go_lang;
/// assert_eq!(go_lang("go1.21.3"), "go1.21");
/// assert_eq!(go_lang("go1"), "go1");
/// assert_eq!(go_lang("1.21"), "");
/// ```
pub fn go_lang(v: &str) -> String {
    let lang = gover_lang(strip_go(v));
    if lang.is_empty() {
        return String::new();
    }
    // A non-empty result implies `v` starts with "go".
    if v[2..].starts_with(&lang) {
        v[..2 + lang.len()].to_string()
    } else {
        format!("go{lang}")
    }
}

/// `go/version.Compare`: `go1.21` < `go1.21rc1` < `go1.21.0`; before Go 1.21
/// `go1.20` == `go1.20.0`; a `-suffix` is ignored; invalid versions (including
/// those without the `go` prefix) sort before valid ones and equal to each other.
pub fn go_compare(a: &str, b: &str) -> Ordering {
    gover_compare(strip_go(a), strip_go(b))
}

/// The order of the `GoVersion` chart buckets: [`go_compare`], ties broken by
/// byte-wise string order, so equal versions (`go1.20`, `go1.20.0`) and invalid
/// strings still get one fixed order.
pub fn go_order(a: &str, b: &str) -> Ordering {
    go_compare(a, b).then_with(|| a.cmp(b))
}

/// version.go `stripGo`: cut at the first `-` (a `-bigcorp` toolchain suffix), then
/// drop the `go` prefix; without the prefix the result is `""`, a known invalid
/// version. Nothing else is cut: `go1.22.0 X:loopvar` (as `runtime.Version` prints
/// experiments) keeps its space and is therefore invalid.
fn strip_go(v: &str) -> &str {
    let v = v.split_once('-').map_or(v, |(before, _)| before);
    v.strip_prefix("go").unwrap_or("")
}

/// gover.go `Lang`.
fn gover_lang(x: &str) -> String {
    let v = parse_gover(x);
    if v.minor.is_empty() || (v.major == "1" && v.minor == "0") {
        return v.major.to_string();
    }
    format!("{}.{}", v.major, v.minor)
}

/// gover.go `Compare`.
fn gover_compare(x: &str, y: &str) -> Ordering {
    let vx = parse_gover(x);
    let vy = parse_gover(y);
    compare_decimal(vx.major, vy.major)
        .then_with(|| compare_decimal(vx.minor, vy.minor))
        .then_with(|| compare_decimal(vx.patch, vy.patch))
        // "" < alpha < beta < rc, as strings.
        .then_with(|| vx.kind.cmp(vy.kind))
        .then_with(|| compare_decimal(vx.pre, vy.pre))
}

/// gover.go `Parse`; the zero value for a malformed version.
fn parse_gover(x: &str) -> GoVersion<'_> {
    parse_gover_parts(x).unwrap_or_default()
}

fn parse_gover_parts(x: &str) -> Option<GoVersion<'_>> {
    let (major, x) = cut_int(x)?;
    let mut v = GoVersion { major, ..GoVersion::default() };
    if x.is_empty() {
        // "1" means "1.0.0".
        v.minor = "0";
        v.patch = "0";
        return Some(v);
    }
    let (minor, x) = cut_int(x.strip_prefix('.')?)?;
    v.minor = minor;
    if x.is_empty() {
        // A missing patch means ".0" before Go 1.21 and the language version after.
        if compare_decimal(v.minor, "21") == Ordering::Less {
            v.patch = "0";
        }
        return Some(v);
    }
    if let Some(x) = x.strip_prefix('.') {
        let (patch, x) = cut_int(x)?;
        v.patch = patch;
        // Like gover.go, a prerelease of a patch release is not a version, although
        // go1.9.2rc2 was released: Go's upload config lists it first, as invalid.
        return x.is_empty().then_some(v);
    }
    (v.kind, v.pre) = gover_prerelease(x)?;
    Some(v)
}

/// gover.go `parsePreRelease`: one or more of `a`-`z`, then optionally a number.
fn gover_prerelease(x: &str) -> Option<(&str, &str)> {
    let letters = x.bytes().take_while(|c| !c.is_ascii_digit()).count();
    if letters == 0 || !x.as_bytes()[..letters].iter().all(u8::is_ascii_lowercase) {
        return None;
    }
    let (kind, x) = x.split_at(letters);
    if x.is_empty() {
        return Some((kind, ""));
    }
    let (pre, rest) = cut_int(x)?;
    rest.is_empty().then_some((kind, pre))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    #[test]
    fn semver_validity() {
        for valid in [
            "v1",
            "v1.2",
            "v1.2.3",
            "v0.0.0",
            "v1.0.0-alpha",
            "v1.0.0-alpha.1",
            "v1.2.3-456-789",
            "v1.2.3-0",
            "v1.2.3-0a",
            "v1.2.3-pre+meta",
            "v1.2.3+meta-pre.sha.256a",
            "v10.200.3000",
        ] {
            assert!(semver_is_valid(valid), "{valid} should be valid");
        }
        for invalid in [
            "",
            "v",
            "1.2.3",
            "V1.2.3",
            "v01.2.3",
            "v1.02.3",
            "v1.2.03",
            "v1-pre",
            "v1.2+meta",
            "v1.2.3.4",
            "v1.2.3-",
            "v1.2.3-01",
            "v1.2.3-a..b",
            "v1.2.3+",
            "v1.2.3+a..b",
            "v1.2.3-a_b",
            "v1.2.3 ",
            "v1.",
        ] {
            assert!(!semver_is_valid(invalid), "{invalid:?} should be invalid");
        }
    }

    #[test]
    fn semver_precedence_chain() {
        // The semver.org example, each strictly below the next.
        let chain = [
            "v1.0.0-alpha",
            "v1.0.0-alpha.1",
            "v1.0.0-alpha.beta",
            "v1.0.0-beta",
            "v1.0.0-beta.2",
            "v1.0.0-beta.11",
            "v1.0.0-rc.1",
            "v1.0.0",
            "v1.0.1",
            "v1.2.0",
            "v1.10.0",
            "v2.0.0",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(semver_compare(a, b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn semver_shorthands_build_and_invalid() {
        assert_eq!(semver_compare("v1.2", "v1.2.0"), Equal);
        assert_eq!(semver_compare("v1", "v1.0.0"), Equal);
        assert_eq!(semver_compare("v1.2.3+build.7", "v1.2.3"), Equal);
        assert_eq!(semver_compare("v1.2.3-rc.1+a", "v1.2.3-rc.1+b"), Equal);
        assert_eq!(semver_compare("v1.19", "v1.2"), Greater);
        assert_eq!(semver_compare("v0.9.0", "v0.10.0"), Less);
        assert_eq!(semver_compare("v1.0.0-9", "v1.0.0-10"), Less);
        assert_eq!(semver_compare("v1.0.0-10", "v1.0.0-9a"), Less);
        // Invalid strings: below every valid version, equal to each other.
        assert_eq!(semver_compare("v01.0.0", "v0.0.0"), Less);
        assert_eq!(semver_compare("devel", "v0.0.0-pre"), Less);
        assert_eq!(semver_compare("garbage", "v1.2-pre"), Equal);
        assert_eq!(semver_compare("v99.0.0", ""), Greater);
    }

    #[test]
    fn semver_order_breaks_ties_bytewise() {
        assert_eq!(semver_order("v1.2", "v1.2.0"), Less); // "v1.2" < "v1.2.0" as bytes
        assert_eq!(semver_order("v1.2.0+b", "v1.2.0+a"), Greater);
        assert_eq!(semver_order("zzz", "aaa"), Greater); // both invalid
        assert_eq!(semver_order("zzz", "v0.0.1"), Less); // invalid first
        let mut versions = vec!["v0.10.0", "devel", "v0.9.1", "v0.9.1-pre.2", "(devel)", "v0.9.1-pre.10"];
        versions.sort_by(|a, b| semver_order(a, b));
        assert_eq!(versions, ["(devel)", "devel", "v0.9.1-pre.2", "v0.9.1-pre.10", "v0.9.1", "v0.10.0"]);
    }

    #[test]
    fn go_compare_releases_and_prereleases() {
        let chain = [
            "go1",
            "go1.2.2",
            "go1.3rc1",
            "go1.3",
            "go1.3.1",
            "go1.9beta1",
            "go1.9rc2",
            "go1.9",
            "go1.9.1",
            "go1.9.2",
            "go1.10",
            "go1.19alpha3",
            "go1.19beta2",
            "go1.19rc1",
            "go1.19rc2",
            "go1.19",
            "go1.19.1",
            "go1.21",
            "go1.21rc1",
            "go1.21rc4",
            "go1.21.0",
            "go1.21.10",
            "go1.22rc1",
            "go2",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(go_compare(a, b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn go_compare_equalities_suffixes_and_invalid() {
        // Before 1.21 a missing patch is ".0"; from 1.21 it is the language version.
        assert_eq!(go_compare("go1.20", "go1.20.0"), Equal);
        assert_eq!(go_compare("go1.19", "go1.19.0"), Equal);
        assert_eq!(go_compare("go1.21", "go1.21.0"), Less);
        assert_eq!(go_compare("go1", "go1.0.0"), Equal);
        // A custom toolchain suffix after '-' is ignored.
        assert_eq!(go_compare("go1.21.0", "go1.21.0-bigcorp"), Equal);
        assert_eq!(go_compare("go1.22-X:loopvar", "go1.22"), Equal);
        assert_eq!(go_compare("go1.20", "go1.20.0-bigcorp"), Equal);
        // Huge numbers compare as decimals, no overflow.
        assert_eq!(go_compare("go1.99999999999999998", "go1.99999999999999999"), Less);
        assert_eq!(go_compare("go1.1", "go1.99999999999999998"), Less);
        // Invalid: no "go", leading zeros, '+', spaces, uppercase kinds.
        for invalid in [
            "",
            "1.21",
            "devel",
            "go",
            "go1.021",
            "go1.600+auto",
            "go1.22.0 X:loopvar",
            "go1.21RC1",
            "go1.21rc01",
            "go1.9.2rc2",
            "go1.21.3rc1",
        ] {
            assert_eq!(go_compare(invalid, "go1"), Less, "{invalid:?}");
            assert_eq!(go_compare(invalid, "x"), Equal, "{invalid:?}");
        }
        assert_eq!(go_compare("go1.999testmod", "go1.999"), Greater);
    }

    #[test]
    fn go_order_breaks_ties_bytewise() {
        assert_eq!(go_order("go1.20", "go1.20.0"), Less);
        assert_eq!(go_order("go1.21.0-bigcorp", "go1.21.0"), Greater);
        let mut versions = vec!["go1.21.0", "go1.10", "devel", "go1.21rc2", "go1.9", "go1.21", "bad"];
        versions.sort_by(|a, b| go_order(a, b));
        assert_eq!(versions, ["bad", "devel", "go1.9", "go1.10", "go1.21", "go1.21rc2", "go1.21.0"]);
    }

    #[test]
    fn go_lang_normalises() {
        let cases = [
            ("go1.21.3", "go1.21"),
            ("go1.21rc1", "go1.21"),
            ("go1.21", "go1.21"),
            ("go1.2rc3", "go1.2"),
            // gover.go refuses a prerelease of a patch release, so it has no language.
            ("go1.8.2rc", ""),
            ("go1.9.2rc2", ""),
            ("go1.999testmod", "go1.999"),
            ("go1", "go1"),
            ("go1.0", "go1"),
            ("go1.0.5", "go1"),
            ("go2", "go2.0"),
            ("go222", "go222.0"),
            ("go2.1.3", "go2.1"),
            ("go1.21.0-bigcorp", "go1.21"),
            ("go1.22-X:loopvar", "go1.22"),
            ("bad", ""),
            ("1.21", ""),
            ("", ""),
            ("go", ""),
            ("go1.22.0 X:loopvar", ""),
        ];
        for (input, want) in cases {
            assert_eq!(go_lang(input), want, "go_lang({input:?})");
        }
    }
}
