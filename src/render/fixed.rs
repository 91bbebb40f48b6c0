//! Fixed-precision numbers for SVG coordinates, printed fast, and `push!`, which appends
//! markup pieces to a `String` without the formatting machinery.
//!
//! Charts print every coordinate with one decimal (`{:.1}`), and a year's site prints
//! millions of them; the standard library's exact float formatting is a notable share of
//! rendering. [`Fixed`] prints the same text through integer arithmetic, ties included
//! (chart coordinates such as 200 * 3 / 8000 = 0.075 land on them often), falling back to
//! the standard formatting only for negative and huge values. In the loops
//! that run once per bar, `write!` itself (a dynamic call per argument) cost more than
//! the digits, so they append their pieces with `push!`.

use std::fmt;
use std::fmt::Write as _;

/// A number that prints exactly as `f64` does with the same format spec, but faster
/// with `{:.1}` for values from 0 up to 10^14.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Fixed(pub f64);

impl Fixed {
    /// The number in tenths, rounded as `{:.1}` rounds it: to the nearest tenth of the
    /// number's exact value, ties to even. `x * 10` is rounded, so near a tie (x.x5) its
    /// rounding error decides; it is recovered exactly by splitting the product into
    /// `x * 8 + x * 2` (both exact) and summing them with Knuth's TwoSum. `None` outside
    /// 0..10^14, left to std.
    fn tenths(self) -> Option<u64> {
        let (a, b) = (self.0 * 8.0, self.0 * 2.0);
        let tenths = a + b;
        if self.0.is_sign_negative() || !(0.0..1e15).contains(&tenths) {
            return None;
        }
        let floor = tenths.floor();
        if ((tenths - floor) - 0.5).abs() > 1e-6 {
            return Some(tenths.round() as u64);
        }
        // x * 10 is exactly `tenths + error`.
        let (b_part, a_part) = (tenths - a, tenths - (tenths - a));
        let error = (a - a_part) + (b - b_part);
        // Exact (Sterbenz: both are within a factor of two), so the sum's sign is exact.
        let past_half = (tenths - (floor + 0.5)) + error;
        let floor = floor as u64;
        Some(if past_half > 0.0 || (past_half == 0.0 && floor % 2 == 1) { floor + 1 } else { floor })
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tenths() {
            Some(tenths) if f.precision() == Some(1) && f.width().is_none() => {
                let (whole, tenth) = split_tenths(tenths);
                f.write_str(itoa::Buffer::new().format(whole))?;
                f.write_str(tenth)
            }
            _ => fmt::Display::fmt(&self.0, f),
        }
    }
}

/// A piece of markup `push!` appends: text as it is (the caller escapes it), a
/// [`Fixed`] with one decimal, or an integer.
pub trait Piece {
    fn push_to(self, out: &mut String);
}

impl Piece for &str {
    fn push_to(self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for Fixed {
    /// As `{:.1}` prints it.
    fn push_to(self, out: &mut String) {
        match self.tenths() {
            Some(tenths) => {
                let (whole, tenth) = split_tenths(tenths);
                out.push_str(itoa::Buffer::new().format(whole));
                out.push_str(tenth);
            }
            None => {
                let _ = write!(out, "{:.1}", self.0);
            }
        }
    }
}

impl Piece for u64 {
    fn push_to(self, out: &mut String) {
        out.push_str(itoa::Buffer::new().format(self));
    }
}

impl Piece for u128 {
    fn push_to(self, out: &mut String) {
        out.push_str(itoa::Buffer::new().format(self));
    }
}

impl Piece for usize {
    fn push_to(self, out: &mut String) {
        out.push_str(itoa::Buffer::new().format(self));
    }
}

/// Appends each [`Piece`] to the `String` `out`, in order: `push!(out, "<x a=\"", n, "\"/>")`.
macro_rules! push {
    ($out:expr, $($piece:expr),+ $(,)?) => {{
        let out: &mut String = $out;
        $( $crate::render::fixed::Piece::push_to($piece, out); )+
    }};
}
pub(crate) use push;

/// `n` tenths as the whole number and the text after it (`123` -> `12` and `.3`): the
/// fast path of [`Fixed`], which a page runs hundreds of thousands of times. The pieces
/// are appended to the output as they are: building the text in a buffer of its own and
/// copying that cost more than the digits.
fn split_tenths(n: u64) -> (u64, &'static str) {
    const TENTHS: [&str; 10] = [".0", ".1", ".2", ".3", ".4", ".5", ".6", ".7", ".8", ".9"];
    (n / 10, TENTHS[(n % 10) as usize])
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
            let mut pushed = String::new();
            push!(&mut pushed, Fixed(value));
            assert_eq!(pushed, format!("{value:.1}"), "{value}");
        }
        // Many values on a fine grid, including every tie of the form k/20.
        for i in 0..200_000u32 {
            let value = f64::from(i) * 0.005 + f64::from(i % 7) * 1e-9;
            assert_eq!(format!("{:.1}", Fixed(value)), format!("{value:.1}"), "{value}");
            let mut pushed = String::new();
            push!(&mut pushed, Fixed(value));
            assert_eq!(pushed, format!("{value:.1}"), "{value}");
        }
    }

    #[test]
    fn ties_round_as_std_rounds_them() {
        // Exact ties (quarters: ties to even) and the floats on either side of every
        // tenth's midpoint (k + 0.5) / 10, which std rounds by their exact expansion.
        let mut values = vec![-0.0, 0.125, 1e14 - 0.25];
        for k in 0..100_000u32 {
            values.push(f64::from(k) + 0.25);
            values.push(f64::from(k) + 0.75);
            let mid = (f64::from(k) + 0.5) / 10.0;
            values.extend([mid, mid.next_up(), mid.next_down()]);
            let far = (f64::from(k) * 997.0 + 0.5) / 10.0;
            values.extend([far, far.next_up(), far.next_down()]);
        }
        for value in values {
            let mut pushed = String::new();
            push!(&mut pushed, Fixed(value));
            assert_eq!(pushed, format!("{value:.1}"), "{value:e}");
        }
    }

    #[test]
    fn push_appends_every_piece_in_order() {
        let mut out = String::from(">");
        push!(&mut out, "<rect x=\"", Fixed(12.34), "\" n=\"", 42u64, "\" i=\"", 7usize, "\"/>");
        assert_eq!(out, r#"><rect x="12.3" n="42" i="7"/>"#);
        let mut tie = String::new();
        push!(&mut tie, Fixed(0.25), " ", Fixed(-3.25), " ", Fixed(f64::NAN), " ", Fixed(1e16));
        assert_eq!(tie, format!("{:.1} {:.1} {:.1} {:.1}", 0.25, -3.25, f64::NAN, 1e16));
        let mut max = String::new();
        push!(&mut max, u64::MAX);
        assert_eq!(max, u64::MAX.to_string());
    }
}
