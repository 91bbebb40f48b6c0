//! One report on one line: JSON whitespace outside strings removed, everything else kept
//! byte for byte. A report in the upload server's own encoding comes out unchanged.

/// `text` without the whitespace between JSON tokens: `text` itself when it has none,
/// else its compact copy in `scratch` (cleared first). `text` must be valid JSON.
pub fn compact<'a>(text: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if !has_space_or_control(text) {
        return text;
    }
    scratch.clear();
    compact_into(text, scratch);
    scratch
}

/// Whether `text` holds a byte up to `0x20`. Valid JSON with none has no whitespace to
/// remove (a string cannot hold a raw tab, newline or carriage return). Checked a block
/// at a time without stopping early inside one, so the compiler can do each block at
/// once: a year's reports are 700 MB, nearly all of them compact already.
fn has_space_or_control(text: &[u8]) -> bool {
    text.chunks(64).any(|block| block.iter().fold(false, |seen, &b| seen | (b <= b' ')))
}

/// Appends `text` without the whitespace between JSON tokens to `out`.
/// `text` must be valid JSON (it has been parsed).
pub fn compact_into(text: &[u8], out: &mut Vec<u8>) {
    if !has_space_or_control(text) {
        out.extend_from_slice(text);
        return;
    }
    let mut strings = Strings::default();
    for &b in text {
        if strings.inside(b) || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(b);
        }
    }
}

/// Which bytes of a JSON text are in its strings, told byte by byte.
#[derive(Debug, Default)]
pub struct Strings {
    in_string: bool,
    escaped: bool,
}

impl Strings {
    /// Whether `b`, the text's next byte, is part of a string, its quotes included.
    #[inline]
    pub fn inside(&mut self, b: u8) -> bool {
        if !self.in_string {
            self.in_string = b == b'"';
            return self.in_string;
        }
        if self.escaped {
            self.escaped = false;
        } else if b == b'\\' {
            self.escaped = true;
        } else if b == b'"' {
            self.in_string = false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::compact_into;

    fn compact(s: &str) -> String {
        let mut out = Vec::new();
        compact_into(s.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn removes_only_whitespace_between_tokens() {
        assert_eq!(
            compact("{\"A\": 1,\n  \"B\" : [ \"x y\\\" \\\\\" , 2 ]\r\n}"),
            "{\"A\":1,\"B\":[\"x y\\\" \\\\\",2]}"
        );
        assert_eq!(compact("{\"Week\":\"2026-01-01\"}"), "{\"Week\":\"2026-01-01\"}");
        assert_eq!(compact("{\"a\\n\": \"\\\\\"}"), "{\"a\\n\":\"\\\\\"}");
    }

    #[test]
    fn compact_text_is_given_back_as_it_is() {
        let mut scratch = b"old".to_vec();
        let text = br#"{"Week":"2026-01-01","X":0.5,"Programs":[]}"#;
        assert!(std::ptr::eq(super::compact(text, &mut scratch), &text[..]), "no copy");
        // A space in a string alone also takes the copy, which keeps it.
        let long = format!("{{\"a\":\"{} b\",\n\"c\":1}}", "x".repeat(200));
        let expected = format!("{{\"a\":\"{} b\",\"c\":1}}", "x".repeat(200));
        assert_eq!(super::compact(long.as_bytes(), &mut scratch), expected.as_bytes());
        assert_eq!(super::compact(b"{\"a\":\"x y\"}", &mut scratch), b"{\"a\":\"x y\"}");
    }
}
