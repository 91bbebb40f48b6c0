//! Go's text for a float64 as `fmt.Sprintf("%g", x)` writes it: the upload server names a
//! report's object `<Week>/<%g of X>.json`, and merged files are ordered by that name.

/// The name the upload server gives the object of a report with this `X`: `<%g of X>.json`.
pub fn object_name(x: f64) -> String {
    format_g(x) + ".json"
}

/// `strconv.FormatFloat(x, 'g', -1, 64)`: the shortest digits that round-trip, in exponent
/// form (at least two exponent digits) when the decimal exponent is below -4 or at least 6.
pub fn format_g(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e-5".
    let sci = format!("{:e}", x);
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    // strconv's %g: `if shortest { eprec = 6 }; if exp < -4 || exp >= eprec { %e }`.
    let eprec = 6;
    if exp < -4 || exp >= eprec {
        let mut out = String::from(sign);
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push('0');
        }
        out.push_str(&abs.to_string());
        return out;
    }
    // %f with the shortest digits.
    let mut out = String::from(sign);
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_g;

    #[test]
    fn matches_go_percent_g() {
        // Expected strings are what Go's fmt.Sprintf("%g", x) prints.
        assert_eq!(format_g(0.5), "0.5");
        assert_eq!(format_g(0.1), "0.1");
        assert_eq!(format_g(0.0001), "0.0001");
        assert_eq!(format_g(0.00001), "1e-05");
        assert_eq!(format_g(0.000012345), "1.2345e-05");
        assert_eq!(format_g(1.0), "1");
        assert_eq!(format_g(123456.0), "123456");
        assert_eq!(format_g(1234567.0), "1.234567e+06");
        assert_eq!(format_g(1e21), "1e+21");
        assert_eq!(format_g(0.123456789012345), "0.123456789012345");
        assert_eq!(format_g(2.220446049250313e-16), "2.220446049250313e-16");
        assert_eq!(format_g(0.30000000000000004), "0.30000000000000004");
        assert_eq!(format_g(-0.25), "-0.25");
        assert_eq!(format_g(0.0), "0");
    }
}
