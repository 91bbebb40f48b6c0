//! Characters an uploaded name must not carry into what a reader or a log sees as they
//! are: they change or hide what the text around them says. [`render::xml`] replaces them
//! with U+FFFD in every output; messages write them as `\u{..}` escapes.
//!
//! [`render::xml`]: crate::render::xml

/// A bidirectional formatting character (Unicode's `Bidi_Control` property: the Arabic
/// letter mark, the left-to-right and right-to-left marks, embeddings, overrides and
/// isolates). With one, `\u{202E}evil.com/tool` reads as `loot/moc.live`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that takes no room and has no job in a name: the zero-width space, the
/// word joiner and the invisible mathematical operators (U+2060..=U+2064), and the
/// zero-width no-break space (U+FEFF, the byte-order mark). With one, `cmd/\u{200B}go`
/// reads as `cmd/go`. The zero-width joiner and non-joiner stay: Persian, Indic scripts
/// and emoji sequences need them.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_the_twelve_of_unicode() {
        // Unicode's PropList.txt lists 12 Bidi_Control code points.
        let all: Vec<u32> =
            (0..0x3000).filter_map(char::from_u32).filter(|&c| is_bidi_control(c)).map(u32::from).collect();
        assert_eq!(
            all,
            [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069]
        );
    }

    #[test]
    fn zero_width_characters_are_invisible_but_joiners_and_spaces_are_not() {
        for c in ['\u{200B}', '\u{2060}', '\u{2063}', '\u{2064}', '\u{FEFF}'] {
            assert!(is_invisible(c), "{:?}", c);
        }
        for c in ['\u{200C}', '\u{200D}', ' ', '\u{A0}', '\u{2065}', 'a', 'ی'] {
            assert!(!is_invisible(c), "{:?}", c);
        }
    }
}
