//! Escaping for text we put into XML (SVG charts, the Atom feed).
//!
//! Uploaded names reach these files, so every string goes through [`text`] or [`attr`]:
//! markup characters are escaped and characters XML 1.0 forbids (C0 controls other than
//! tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD, so the output always
//! parses.

/// `s` escaped for element content and for attribute values in double or single quotes.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_text(&mut out, s);
    out
}

/// Same as [`text`]: attribute values are escaped the same way (tab, newline and CR as
/// character references, so an attribute keeps them).
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            _ => push_char(&mut out, c),
        }
    }
    out
}

/// Appends `s` escaped for element content.
pub fn push_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\r' => out.push_str("&#13;"),
            _ => push_char(out, c),
        }
    }
}

fn push_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        '\t' | '\n' => out.push(c),
        c if allowed(c) => out.push(c),
        _ => out.push('\u{FFFD}'),
    }
}

/// Whether XML 1.0 allows `c` as a character (tab, newline and CR handled by the caller).
fn allowed(c: char) -> bool {
    !(c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_forbidden_characters() {
        assert_eq!(
            text("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            text("a\u{0}b\u{1b}c\u{FFFF}"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}"
        );
        assert_eq!(text("a\tb\nc\rd"), "a\tb\nc&#13;d");
        assert_eq!(attr("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert_eq!(text("gopls ✓"), "gopls ✓");
    }
}
