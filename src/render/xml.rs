//! Escaping for text we put into XML (SVG charts, the Atom feed).
//!
//! Uploaded names reach these files, so every string goes through [`text`] or [`attr`]:
//! markup characters are escaped and control characters (C0 other than tab, newline and
//! carriage return, which XML 1.0 forbids; DEL and C1, which it discourages) and U+FFFE,
//! U+FFFF become U+FFFD, so the output always parses and shows no invisible bytes.

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

/// Whether `c` may appear as it is (tab, newline and CR are handled by the caller): not a
/// control character (C0, DEL, C1) nor a noncharacter XML forbids.
fn allowed(c: char) -> bool {
    !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
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
        assert_eq!(text("a\tb\nc\rd"), "a\tb\nc&#13;d");
        assert_eq!(attr("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert_eq!(text("gopls ✓"), "gopls ✓");
    }
}
