//! Escaping for text we put into XML (SVG charts, the Atom feed) and HTML (the pages).
//!
//! Uploaded names reach these files, so every string goes through [`text`] (or
//! [`page_text`], the templates' escaping): markup characters are escaped, and control
//! characters (every C0 control: XML 1.0 forbids most, and `&#13;` for a carriage return
//! is an HTML parse error where an SVG is inlined; DEL and C1, which XML discourages),
//! the noncharacters (U+FDD0..=U+FDEF and the last two of every plane, which HTML parsers
//! flag), the bidirectional controls (embeddings, overrides, isolates and marks, with
//! which a name like `\u{202E}evil.com/tool` reads as `loot/moc.live` and turns the page's
//! text after it around) and the zero-width characters of [`crate::chars::is_invisible`]
//! (with which `cmd/\u{200B}go` reads as `cmd/go`) become U+FFFD, so the output always
//! parses and shows no invisible or misleading characters, and a name reads the same in
//! every file.

/// `s` escaped for element content and for attribute values in double or single quotes.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_text(&mut out, s);
    out
}

/// Appends `s` escaped as [`text`] does.
pub fn push_text(out: &mut String, s: &str) {
    push_escaped(out, s, false);
}

/// `s` escaped for a page, as [`text`] but keeping tab and newline: the pages show
/// multi-line text (the configs in `<pre>`), where they are layout; names reach the pages
/// already made one line ([`super::paths::display_text`]).
pub fn page_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s, true);
    out
}

/// The bytes that may start a character [`push_escaped`] changes: ASCII controls, DEL,
/// the markup characters, and the lead bytes of C1 controls (`0xC2`), of U+061C (`0xD8`),
/// of the other bidirectional controls and of U+200B and U+2060..=U+2064 (`0xE2`), of
/// the noncharacters of the first plane and U+FEFF (`0xEF`) and of every character of the
/// others (`0xF0..=0xF4`).
static MAY_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    let markup = [b'&', b'<', b'>', b'"', b'\'', 0x7F, 0xC2, 0xD8, 0xE2, 0xEF, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4];
    let mut i = 0;
    while i < markup.len() {
        table[markup[i] as usize] = true;
        i += 1;
    }
    table
};

/// Appends `s` escaped, copying the runs between characters that need escaping whole.
///
/// Works on bytes: in UTF-8 every character this changes starts with one of the bytes
/// of [`MAY_ESCAPE`], so plain text is skipped a byte at a time without decoding.
fn push_escaped(out: &mut String, s: &str, keep_layout: bool) {
    let bytes = s.as_bytes();
    let mut plain = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Most text needs nothing: skip to the next byte that may.
        match bytes[i..].iter().position(|&b| MAY_ESCAPE[usize::from(b)]) {
            Some(skip) => i += skip,
            None => break,
        }
        let (replacement, len) = match bytes[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&#39;", 1),
            b'\t' | b'\n' if keep_layout => ("", 0),
            0..0x20 | 0x7F => ("\u{FFFD}", 1),
            // U+0080..=U+009F (C1 controls).
            0xC2 if matches!(bytes.get(i + 1), Some(0x80..=0x9F)) => ("\u{FFFD}", 2),
            0xC2..=0xF4 => {
                let c = s[i..].chars().next().expect("a character starts here");
                if is_hidden_or_misleading(c) {
                    ("\u{FFFD}", c.len_utf8())
                } else {
                    ("", 0)
                }
            }
            _ => ("", 0),
        };
        if len == 0 {
            i += 1;
            continue;
        }
        out.push_str(&s[plain..i]);
        out.push_str(replacement);
        i += len;
        plain = i;
    }
    out.push_str(&s[plain..]);
}

/// A C1 control, a noncharacter, a bidirectional control or a zero-width character
/// ([`crate::chars`]): replaced, as the module says.
pub(crate) fn is_hidden_or_misleading(c: char) -> bool {
    let n = u32::from(c);
    matches!(n, 0x80..=0x9F | 0xFDD0..=0xFDEF)
        || n & 0xFFFE == 0xFFFE
        || crate::chars::is_bidi_control(c)
        || crate::chars::is_invisible(c)
}

/// A parsed XML document for tests: checks well-formedness (matching end tags, known
/// entities, one root) and gives the tree.
#[cfg(test)]
pub(crate) mod tree {
    use quick_xml::events::Event;
    use quick_xml::Reader;

    #[derive(Debug, Clone, Default)]
    pub struct Element {
        pub name: String,
        pub attrs: Vec<(String, String)>,
        pub children: Vec<Element>,
        pub text: String,
    }

    impl Element {
        pub fn attr(&self, name: &str) -> Option<&str> {
            self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
        }

        pub fn child(&self, name: &str) -> Option<&Element> {
            self.children.iter().find(|c| c.name == name)
        }

        pub fn all(&self, name: &str) -> Vec<&Element> {
            self.children.iter().filter(|c| c.name == name).collect()
        }

        /// Every element below this one, depth first.
        pub fn descendants(&self) -> Vec<&Element> {
            let mut out = Vec::new();
            for c in &self.children {
                out.push(c);
                out.extend(c.descendants());
            }
            out
        }
    }

    /// Parses `text`; panics with the reason when it is not well-formed.
    pub fn parse(text: &str) -> Element {
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<Element> = vec![Element::default()];
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => stack.push(element(&e)),
                Event::Empty(e) => {
                    let el = element(&e);
                    stack.last_mut().unwrap().children.push(el);
                }
                Event::End(_) => {
                    let el = stack.pop().unwrap();
                    stack.last_mut().unwrap().children.push(el);
                }
                Event::Text(t) => {
                    let t = t.unescape().expect("known entities");
                    stack.last_mut().unwrap().text.push_str(&t);
                }
                Event::CData(c) => {
                    let t = String::from_utf8(c.into_inner().into_owned()).unwrap();
                    stack.last_mut().unwrap().text.push_str(&t);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(stack.len(), 1, "unclosed elements");
        let mut document = stack.pop().unwrap();
        assert_eq!(document.children.len(), 1, "one root element");
        assert!(document.text.trim().is_empty(), "text outside the root");
        document.children.pop().unwrap()
    }

    fn element(e: &quick_xml::events::BytesStart<'_>) -> Element {
        let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.expect("well-formed attribute");
            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
            assert!(attrs.iter().all(|(k, _)| *k != key), "repeated attribute {key}");
            attrs.push((key, a.unescape_value().expect("known entities").into_owned()));
        }
        Element { name, attrs, ..Element::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_forbidden_characters() {
        assert_eq!(text("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        assert_eq!(text("a\u{0}b\u{1b}c\u{FFFF}"), "a\u{FFFD}b\u{FFFD}c\u{FFFD}");
        // No control character survives in SVG or the feed, not even as `&#13;` (an HTML
        // parse error once the SVG is inlined in a page) or `&#10;`.
        assert_eq!(text("a\tb\nc\rd\r\n"), "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}\u{FFFD}");
        // Pages keep tab and newline (a config's lines), never a carriage return.
        assert_eq!(page_text("a\tb\nc\rd<"), "a\tb\nc\u{FFFD}d&lt;");
        assert_eq!(text("gopls ✓"), "gopls ✓");
        assert_eq!(text("\u{85}é\u{9f}\u{a0}<"), "\u{FFFD}é\u{FFFD}\u{a0}&lt;");
    }

    #[test]
    fn every_character_is_escaped_as_one_at_a_time() {
        let one = |c: char, page: bool| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            '\t' | '\n' if page => c.to_string(),
            c if c.is_control() => "\u{FFFD}".into(),
            // Noncharacters, listed by the Unicode standard (section 23.7).
            c if (0xFDD0..=0xFDEF).contains(&u32::from(c)) => "\u{FFFD}".into(),
            c if (0..=0x10).any(|plane| [0xFFFE, 0xFFFF].map(|low| plane << 16 | low).contains(&u32::from(c))) => {
                "\u{FFFD}".into()
            }
            // Bidirectional formatting characters (Unicode's Bidi_Control property).
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                "\u{FFFD}".into()
            }
            // Zero-width characters with no job in a name.
            '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' => "\u{FFFD}".into(),
            c => c.to_string(),
        };
        let chars: Vec<char> = (0..0x250)
            .chain(0x600..0x620)
            .chain(0x2000..0x2080)
            .chain(0xFDC0..0xFE00)
            .chain(0xFEF0..0xFF00)
            .chain(0xFFF0..0x10010)
            .chain(0x1FFF0..0x20010)
            .chain(0x10FFF0..0x110000)
            .filter_map(char::from_u32)
            .collect();
        for window in chars.chunks(7) {
            let s: String = format!("ab{}c", window.iter().collect::<String>());
            assert_eq!(text(&s), s.chars().map(|c| one(c, false)).collect::<String>(), "{s:?}");
            assert_eq!(page_text(&s), s.chars().map(|c| one(c, true)).collect::<String>(), "{s:?}");
        }
    }
}
