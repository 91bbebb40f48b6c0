//! Paths and names inside the site: relative links from a page to the site root, anchors
//! and page names made from text, and the display form of uploaded names.
//!
//! Every link the site writes is relative (`../../charts/index.html`), so the site works
//! from a GitHub Pages project sub-path, any static host and a local folder alike; and it
//! names files, never directories, because a local folder has no `index.html` fallback.
//! Uploaded names never become paths: anchors and page names are slugs of `[a-z0-9-]`
//! (only the headings of the maintainers' own Markdown pages keep other scripts).

use std::collections::HashSet;

/// The relative path from the page at `rel` (a `/`-separated path from the site root) to
/// the root: `""` for `index.html`, `"../../"` for `charts/2026-01-05/index.html`.
pub fn root_of(rel: &str) -> String {
    "../".repeat(rel.matches('/').count())
}

/// Lowercase ASCII letters and digits, every other run of characters replaced by one `-`,
/// no `-` at either end. Empty when `text` has no ASCII letter or digit.
pub fn slug(text: &str) -> String {
    slug_keeping(text, |c| c.is_ascii_alphanumeric())
}

/// A heading's anchor on a maintainer's Markdown page: as [`slug`], but the letters,
/// digits and marks of every script are kept too (lowercased), so `## Детали` gets
/// `детали`, which a hand-written `[see](#детали)` finds, where [`slug`] would leave
/// nothing. Non-ASCII spaces and the Unicode punctuation blocks are separators, as ASCII
/// punctuation is. Never used for uploaded names, which stay `[a-z0-9-]`.
pub fn heading_slug(text: &str) -> String {
    slug_keeping(text, |c| {
        if c.is_ascii() {
            c.is_ascii_alphanumeric()
        } else {
            c.is_alphanumeric() || !(c.is_whitespace() || is_unprintable(c) || is_punctuation_block(c))
        }
    })
}

/// `text` lowercased with the characters `keep` says yes to, every run of the others
/// replaced by one `-`, no `-` at either end.
fn slug_keeping(text: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        if keep(c) {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// Non-ASCII punctuation and symbols a heading's words are separated by: the Latin-1
/// signs (`«`, `§`, `×`), General and Supplemental Punctuation (`—`, `…`, `“`), CJK
/// punctuation (`、`, `。`, `「`) and the full-width and small forms of ASCII punctuation.
/// (Letters in those blocks, such as `々`, are alphanumeric and kept before this is asked.)
fn is_punctuation_block(c: char) -> bool {
    matches!(c,
        '\u{00A0}'..='\u{00BF}' | '\u{00D7}' | '\u{00F7}' | '\u{2000}'..='\u{206F}' | '\u{2E00}'..='\u{2E7F}'
        | '\u{3000}'..='\u{303F}' | '\u{FE10}'..='\u{FE1F}' | '\u{FE30}'..='\u{FE6F}' | '\u{FF00}'..='\u{FF0F}'
        | '\u{FF1A}'..='\u{FF20}' | '\u{FF3B}'..='\u{FF40}' | '\u{FF5B}'..='\u{FF65}')
}

/// Hands out distinct anchors (HTML `id`s) on one page.
#[derive(Debug)]
pub struct Anchors {
    used: HashSet<String>,
}

/// The `id`s the built-in templates give their own elements (the skip link's `main`, the
/// home page's `participation`, the config page's sections): a program or heading named
/// like one gets `-2`, so each link still leads to one place.
const TEMPLATE_IDS: [&str; 4] = ["main", "participation", "chart-config", "upload-config"];

impl Default for Anchors {
    fn default() -> Anchors {
        Anchors { used: TEMPLATE_IDS.iter().map(|id| id.to_string()).collect() }
    }
}

impl Anchors {
    /// The slug of `text` (or `fallback` when that is empty), with `-2`, `-3`, ... added
    /// when it is already taken on this page.
    pub fn unique(&mut self, text: &str, fallback: &str) -> String {
        self.take(slug(text), fallback)
    }

    /// As [`Anchors::unique`], with [`heading_slug`]: for the headings of Markdown pages.
    pub fn unique_heading(&mut self, text: &str, fallback: &str) -> String {
        self.take(heading_slug(text), fallback)
    }

    /// `id` exactly as written, when it can be an element's `id` (no whitespace, nothing
    /// [`display_text`] would change) and is not taken yet: for the chart JSON's IDs
    /// (`charts:golang.org/x/tools/gopls:gopls/client`), which telemetry.go.dev's pages use
    /// as fragments, so a link copied from there reaches the same chart here.
    pub fn verbatim(&mut self, id: String) -> Option<String> {
        let usable = !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || is_unprintable(c));
        (usable && self.used.insert(id.clone())).then_some(id)
    }

    /// Marks `id` (given by hand, `{#id}`) as taken, exactly as written.
    pub fn reserve(&mut self, id: &str) {
        self.used.insert(id.to_string());
    }

    fn take(&mut self, mut base: String, fallback: &str) -> String {
        if base.is_empty() {
            base = fallback.to_string();
        }
        let mut anchor = base.clone();
        let mut n = 1;
        while !self.used.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        anchor
    }
}

/// A program's name as telemetry.go.dev shows it: without a `golang.org/` or
/// `github.com/` prefix (`golang.org/x/tools/gopls` -> `x/tools/gopls`). The prefix stays
/// where dropping it would read as the Go toolchain's own `cmd/...`: without an upload
/// config, an upload naming `github.com/cmd/go` would otherwise show as `cmd/go`.
pub fn short_program_name(name: &str) -> &str {
    let short = name.strip_prefix("golang.org/").or_else(|| name.strip_prefix("github.com/")).unwrap_or(name);
    if short.is_empty() || short == "cmd" || short.starts_with("cmd/") {
        name
    } else {
        short
    }
}

/// An uploaded or configured string made safe to show: what [`is_unprintable`] names
/// becomes U+FFFD, so the text is valid in HTML and in XML and reads as it is stored.
/// Escaping `<`, `&` and quotes is left to the output (tera, or [`super::svg`]).
pub fn display_text(text: &str) -> String {
    if !text.chars().any(is_unprintable) {
        return text.to_string();
    }
    text.chars().map(|c| if is_unprintable(c) { '\u{FFFD}' } else { c }).collect()
}

/// A program's or a chart's name made safe to show as [`display_text`] does, and never
/// blank: a name of only spaces (or none) would be an empty link and an empty heading, so
/// it shows as `(blank name)`, quoted as it is nowhere else.
pub fn display_name(name: &str) -> String {
    if name.trim().is_empty() {
        "(blank name)".to_string()
    } else {
        display_text(name)
    }
}

/// Characters that must not reach HTML or XML output as they are: every control character
/// (tab and newline too) and what [`super::xml`] replaces (noncharacters, bidirectional
/// controls).
pub fn is_unprintable(c: char) -> bool {
    c.is_control() || super::xml::is_hidden_or_misleading(c)
}

/// True for `http://` and `https://` URLs: the only configured URLs made into links (a
/// `javascript:` URL in a chart config stays text).
pub fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && !url.contains(char::is_whitespace)
}

/// `url` fit for an `href`: the characters a URL may not hold (controls, space, `"`,
/// `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}` and every non-ASCII character, as UTF-8)
/// percent-encoded, as a browser does when it follows the link, so the attribute is a
/// valid URL. `%` is kept: what is already encoded stays so.
pub fn href(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for &b in url.as_bytes() {
        if b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_are_percent_encoded_where_a_url_may_not_hold_the_character() {
        assert_eq!(href("https://go.dev/issue/61038"), "https://go.dev/issue/61038");
        assert_eq!(href("https://example.com/issue?a=1&b=<2>"), "https://example.com/issue?a=1&b=%3C2%3E");
        assert_eq!(href("https://x.org/a b\"c{|}^`\\"), "https://x.org/a%20b%22c%7B%7C%7D%5E%60%5C");
        assert_eq!(href("https://x.org/é?q=%20#f"), "https://x.org/%C3%A9?q=%20#f");
    }

    #[test]
    fn root_is_one_step_up_per_folder() {
        assert_eq!(root_of("index.html"), "");
        assert_eq!(root_of("charts/index.html"), "../");
        assert_eq!(root_of("charts/2026-01-01_2026-01-07/index.html"), "../../");
    }

    #[test]
    fn slugs_keep_only_ascii_letters_and_digits() {
        assert_eq!(slug("gopls/client"), "gopls-client");
        assert_eq!(slug("  Hello, World!  "), "hello-world");
        assert_eq!(slug("<script>alert(1)</script>"), "script-alert-1-script");
        assert_eq!(slug("\"onmouseover=x"), "onmouseover-x");
        assert_eq!(slug("Ünïcode"), "n-code");
        assert_eq!(slug("---"), "");
    }

    #[test]
    fn heading_slugs_keep_every_scripts_letters() {
        assert_eq!(heading_slug("Детали"), "детали");
        assert_eq!(heading_slug("Über uns — «Kontakt»"), "über-uns-kontakt");
        assert_eq!(heading_slug("概要、使い方。"), "概要-使い方");
        assert_eq!(heading_slug("हिन्दी पाठ"), "हिन्दी-पाठ");
        assert_eq!(heading_slug("Go 1.26: What's new?"), "go-1-26-what-s-new");
        assert_eq!(heading_slug("a\u{200B}b\u{00A0}c"), "a-b-c");
        assert_eq!(heading_slug("…—"), "");
        let mut anchors = Anchors::default();
        assert_eq!(anchors.unique_heading("Детали", "section"), "детали");
        assert_eq!(anchors.unique_heading("ДЕТАЛИ", "section"), "детали-2");
        assert_eq!(anchors.unique_heading("Обзор", "section"), "обзор");
        anchors.reserve("Mine");
        assert_eq!(anchors.unique_heading("x", "Mine"), "x");
        assert_eq!(anchors.unique_heading("", "Mine"), "Mine-2");
    }

    #[test]
    fn anchors_are_unique_per_page() {
        let mut anchors = Anchors::default();
        assert_eq!(anchors.unique("GOOS", "chart"), "goos");
        assert_eq!(anchors.unique("goos", "chart"), "goos-2");
        // The templates' own ids are taken.
        assert_eq!(anchors.unique("main", "program"), "main-2");
        assert_eq!(anchors.unique("Participation", "section"), "participation-2");
        assert_eq!(anchors.unique("<>", "chart"), "chart");
        assert_eq!(anchors.unique("", "chart"), "chart-2");
        assert_eq!(anchors.unique("goos-2", "chart"), "goos-2-2");
        // The chart JSON's IDs, as they are, once, and only when they can be an id.
        let id = "charts:golang.org/x/tools/gopls:gopls/client".to_string();
        assert_eq!(anchors.verbatim(id.clone()), Some(id.clone()));
        assert_eq!(anchors.verbatim(id), None, "taken");
        assert_eq!(anchors.verbatim("charts:a b".into()), None, "whitespace");
        assert_eq!(anchors.verbatim("charts:a\u{202E}b".into()), None, "shown otherwise");
        assert_eq!(anchors.verbatim("main".into()), None, "a template's own");
        assert_eq!(anchors.verbatim("charts:<&\"".into()), Some("charts:<&\"".into()), "escaped by the template");
    }

    #[test]
    fn program_names_lose_their_host() {
        assert_eq!(short_program_name("golang.org/x/tools/gopls"), "x/tools/gopls");
        assert_eq!(short_program_name("github.com/go-delve/delve/cmd/dlv"), "go-delve/delve/cmd/dlv");
        assert_eq!(short_program_name("cmd/go"), "cmd/go");
        assert_eq!(short_program_name("golang.org/"), "golang.org/");
        // Never shown as the toolchain's own commands.
        assert_eq!(short_program_name("github.com/cmd/go"), "github.com/cmd/go");
        assert_eq!(short_program_name("golang.org/cmd/compile"), "golang.org/cmd/compile");
        assert_eq!(short_program_name("github.com/cmd"), "github.com/cmd");
        assert_eq!(short_program_name("github.com/cmdline/tool"), "cmdline/tool");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(display_text("a\u{0}b\u{1b}[31m\u{7f}\u{85}"), "a\u{FFFD}b\u{FFFD}[31m\u{FFFD}\u{FFFD}");
        assert_eq!(display_text("plain <text>"), "plain <text>");
        for blank in ["", " ", "\u{3000}\t"] {
            assert_eq!(display_name(blank), "(blank name)", "{blank:?}");
        }
        assert_eq!(display_name(" a\u{0}"), " a\u{FFFD}");
    }

    #[test]
    fn only_web_urls_are_links() {
        assert!(is_web_url("https://go.dev/issue/61038"));
        assert!(is_web_url("HTTP://example.com"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("go.dev/issue/1"));
        assert!(!is_web_url("https://x y"));
    }
}
