//! Fixed-precision numbers for SVG coordinates, printed fast.
//!
//! Charts print every coordinate with one decimal (`{:.1}`), and a year's site prints
//! millions of them; the standard library's exact float formatting is a notable share of
//! rendering. [`Fixed`] prints the same text through integer arithmetic, falling back to
//! the standard formatting wherever the fast path could round differently.

use std::fmt;

/// A number that prints exactly as `f64` does with the same format spec, but faster
/// with `{:.1}` for values from 0 up to 10^14.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Fixed(pub f64);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths = self.0 * 10.0;
        // Away from a tie (x.x5), the product's rounding error cannot change the rounded
        // tenth; at or near a tie the exact decimal expansion decides, so defer to std.
        let fast = f.precision() == Some(1)
            && f.width().is_none()
            && (0.0..1e15).contains(&tenths)
            && ((tenths - tenths.floor()) - 0.5).abs() > 1e-6;
        if !fast {
            return fmt::Display::fmt(&self.0, f);
        }
        f.write_str(Tenths::new(tenths.round() as u64).as_str())
    }
}

/// `n / 10` printed with one decimal (`123` -> `12.3`), built on the stack: the fast
/// path of [`Fixed`], which a page runs hundreds of thousands of times.
struct Tenths {
    bytes: [u8; 24],
    len: usize,
}

impl Tenths {
    fn new(n: u64) -> Tenths {
        let mut whole = itoa::Buffer::new();
        let whole = whole.format(n / 10).as_bytes();
        let mut bytes = [0u8; 24];
        bytes[..whole.len()].copy_from_slice(whole);
        bytes[whole.len()] = b'.';
        // n % 10 is a single digit.
        bytes[whole.len() + 1] = b'0' + (n % 10) as u8;
        Tenths { bytes, len: whole.len() + 2 }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("ASCII digits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_std_does() {
        let values = [
            0.0,
            0.04,
            0.05,
            0.15,
            0.25,
            0.35,
            0.45,
            1.0,
            9.95,
            9.96,
            12.0,
            99.99,
            123.456,
            702.75,
            1e13 + 0.05,
            -0.04,
            -3.25,
            1e16,
            f64::NAN,
            f64::INFINITY,
        ];
        for value in values {
            assert_eq!(format!("{:.1}", Fixed(value)), format!("{value:.1}"), "{value}");
            assert_eq!(format!("{}", Fixed(value)), format!("{value}"), "{value}");
        }
        // Many values on a fine grid, including every tie of the form k/20.
        for i in 0..200_000u32 {
            let value = f64::from(i) * 0.005 + f64::from(i % 7) * 1e-9;
            assert_eq!(format!("{:.1}", Fixed(value)), format!("{value:.1}"), "{value}");
        }
    }
}
