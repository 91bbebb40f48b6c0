//! One report on one line: JSON whitespace outside strings removed, everything else kept
//! byte for byte. A report in the upload server's own encoding comes out unchanged.

/// Appends `text` without the whitespace between JSON tokens to `out`.
/// `text` must be valid JSON (it has been parsed).
pub fn compact_into(text: &[u8], out: &mut Vec<u8>) {
    if !text.iter().any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
        out.extend_from_slice(text);
        return;
    }
    let mut in_string = false;
    let mut escaped = false;
    for &b in text {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(b);
            in_string = b == b'"';
        }
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
}
