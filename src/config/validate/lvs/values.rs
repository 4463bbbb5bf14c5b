//! keepalived's value readers as the checker parser uses them (`read_unsigned_strvec()`,
//! `read_int_strvec()`, `read_timer()`, `check_true_false()`, `inet_stosockaddr()`,
//! `read_hex_str()`), with the `-t` messages and the C library parsing rules they inherit
//! (`strtoul` skips blanks and takes a sign; a timer's digits are read after shifting the
//! decimal point; an address loses everything from its first `-` or `/`).
//!
//! In `-t` mode keepalived's readers return "invalid" on every error they report, except a
//! timer with trailing garbage whose leading digits are in range: that one is only reported.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::super::diag::{Level, Severity};
use super::super::super::source::Token;
use super::super::Validator;

/// keepalived's `TIMER_MAXIMUM` (`ULONG_MAX - 1` µs): the upper bound of an unbounded timer.
pub(super) const TIMER_MAXIMUM: u64 = u64::MAX - 1;

/// An address and port, as keepalived's `sockaddr_t` (port 0 = none given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SockAddr {
    pub ip: IpAddr,
    pub port: u16,
}

/// `strtoul`/`strtoull`: the value (saturated on overflow), whether it overflowed, and the
/// unparsed rest. Leading C white space and one sign are accepted; a negative value wraps as
/// in C; no digits = 0 with the whole input as the rest.
pub(super) fn strtoul(s: &str, radix: u32) -> (u64, bool, &str) {
    let t = s.trim_start_matches(is_c_space);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let t = if radix == 16 && (t.starts_with("0x") || t.starts_with("0X")) {
        let r = &t[2..];
        if r.starts_with(|c: char| c.is_ascii_hexdigit()) {
            r
        } else {
            // "0x" without hex digits: the "0" is the number.
            return (0, false, &t[1..]);
        }
    } else {
        t
    };
    let end = t.find(|c: char| !c.is_digit(radix)).unwrap_or(t.len());
    if end == 0 {
        return (0, false, s);
    }
    let mut v: u64 = 0;
    let mut over = false;
    for c in t[..end].chars() {
        let d = u64::from(c.to_digit(radix).expect("checked"));
        match v
            .checked_mul(u64::from(radix))
            .and_then(|x| x.checked_add(d))
        {
            Some(x) => v = x,
            None => over = true,
        }
    }
    if over {
        v = u64::MAX;
    } else if neg {
        v = v.wrapping_neg();
    }
    (v, over, &t[end..])
}

/// `strtol` (64-bit `long`): value, whether it was out of range, the rest.
fn strtol(s: &str) -> (i64, bool, &str) {
    let t = s.trim_start_matches(is_c_space);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return (0, false, s);
    }
    let (v, over, rest) = strtoul(digits, 10);
    let limit = if neg { 1u64 << 63 } else { i64::MAX as u64 };
    if over || v > limit {
        return (if neg { i64::MIN } else { i64::MAX }, true, rest);
    }
    let v = if neg {
        (v as i64).wrapping_neg()
    } else {
        v as i64
    };
    (v, false, rest)
}

/// C's `isspace()` in the C locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// `check_true_false()`: lower-case `true|on|yes` / `false|off|no`.
pub(super) fn true_false(s: &str) -> Option<bool> {
    match s {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// A port word that keepalived treats as "no port": absent, empty or only zeros.
pub(super) fn no_port(p: Option<&Token>) -> bool {
    p.is_none_or(|t| t.text.chars().all(|c| c == '0'))
}

/// `inet_sockaddrtos()`: the address as `inet_ntop` writes it.
pub(super) fn addr_str(ip: &IpAddr) -> String {
    ip.to_string()
}

/// `read_hex_str()`: bytes written as hex pairs, blanks between bytes, a lone digit before a
/// blank a byte of its own, `x`/`X` a wildcard nibble when `wildcards`. `None` when nothing
/// was read or the scan stopped on a non-hex character, and also (as keepalived, which marks
/// "invalid" with the value 0xff) when the last byte read is `ff`.
pub(super) fn hex_str(s: &str, wildcards: bool) -> Option<usize> {
    fn nibble(c: u8, wildcards: bool) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b'x' | b'X' if wildcards => 0xfe,
            _ => 0xff,
        }
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut len = 0;
    let mut val: u8 = 0;
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        val = nibble(b[i], wildcards);
        i += 1;
        if val == 0xff {
            break;
        }
        if val == 0xfe {
            val = 0;
        }
        if i < b.len() && b[i] != b' ' {
            let hi = val << 4;
            val = nibble(b[i], wildcards);
            i += 1;
            if val == 0xff {
                break;
            }
            if val == 0xfe {
                val = 0;
            }
            val |= hi;
        }
        len += 1;
    }
    (val != 0xff && len > 0).then_some(len)
}

impl Validator<'_> {
    fn invalid_number(&mut self, t: &Token, msg: String) {
        self.rep
            .at(Severity::Error, Some(Level::InvalidNumber), &t.span, msg);
    }

    /// `read_unsigned_strvec()`: `strtoul` base 10 over the whole word, then the range.
    pub(super) fn lvs_unsigned(&mut self, t: &Token, min: u64, max: u64) -> Option<u64> {
        let s = t.text.as_str();
        let body = s.trim_start_matches(is_c_space);
        if body.starts_with('-') {
            self.invalid_number(t, format!("negative number '{s}'"));
            return None;
        }
        let (v, over, rest) = strtoul(body, 10);
        let msg = if !rest.is_empty() {
            format!("invalid number '{s}'")
        } else if over || v > u64::from(u32::MAX) {
            format!("number '{s}' outside unsigned integer range")
        } else if v < min || v > max {
            format!("number '{s}' outside range [{min}, {max}]")
        } else {
            return Some(v);
        };
        self.invalid_number(t, msg);
        None
    }

    /// `read_int_strvec()`: `strtol` base 10, `int` range, then the range given.
    pub(super) fn lvs_int(&mut self, t: &Token, min: i64, max: i64) -> Option<i64> {
        let s = t.text.as_str();
        let (v, over, rest) = strtol(s);
        let msg = if !rest.is_empty() {
            format!("invalid number '{s}'")
        } else if over || v < i64::from(i32::MIN) || v > i64::from(i32::MAX) {
            format!("number '{s}' outside integer range")
        } else if v < min || v > max {
            format!("number '{s}' outside range [{min}, {max}]")
        } else {
            return Some(v);
        };
        self.invalid_number(t, msg);
        None
    }

    /// `read_timer()`: seconds with up to 6 decimals, in µs, within `[min, max]` µs
    /// (`max` 0 = [`TIMER_MAXIMUM`]).
    pub(super) fn lvs_timer(&mut self, t: &Token, min: u64, max: u64) -> Option<u64> {
        const SHIFT: usize = 6;
        let max = if max == 0 { TIMER_MAXIMUM } else { max };
        let s = t.text.as_str();
        if s.starts_with('-') {
            self.invalid_number(t, format!("negative number '{s}'"));
            return None;
        }
        let (int, frac) = match s.find('.') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let mut digits = int.to_string();
        let mut round_up = false;
        let mut used = 0;
        if let Some(f) = frac {
            if f.len() > SHIFT {
                self.invalid_number(t, format!("number '{s}' has too many decimal places"));
                round_up = f.as_bytes()[SHIFT] >= b'5';
            }
            let take: String = f.chars().take(SHIFT).collect();
            used = take.len().min(SHIFT);
            digits.push_str(&take);
        }
        digits.push_str(&"0".repeat(SHIFT.saturating_sub(used)));
        let (mut v, over, rest) = strtoul(&digits, 10);
        if round_up {
            v = v.wrapping_add(1);
        }
        if !rest.is_empty() {
            self.invalid_number(t, format!("invalid number '{s}'"));
            return (v >= min && v <= max).then_some(v);
        }
        if over {
            self.invalid_number(t, format!("number '{s}' outside unsigned decimal range"));
            return None;
        }
        if v < min || v > max {
            let (a, b) = (min / 1_000_000, min % 1_000_000);
            let (c, d) = (max / 1_000_000, max % 1_000_000);
            self.invalid_number(
                t,
                format!("number '{s}' outside range [{a}.{b:06}, {c}.{d:06}]"),
            );
            return None;
        }
        Some(v)
    }

    /// `inet_stosockaddr()`: the family from a `:` in the text, the port (1..65535) read
    /// first, then the address up to its first `-` (else `/`).
    pub(super) fn lvs_sockaddr(&mut self, ip: &str, port: Option<&Token>) -> Option<SockAddr> {
        let v6 = ip.contains(':');
        let port = match port {
            Some(p) => u16::try_from(self.lvs_unsigned(p, 1, 65535)?).ok()?,
            None => 0,
        };
        let cut = ip.find('-').or_else(|| ip.find('/')).unwrap_or(ip.len());
        let text = &ip[..cut];
        let ip = if v6 {
            IpAddr::V6(text.parse::<Ipv6Addr>().ok()?)
        } else {
            IpAddr::V4(text.parse::<Ipv4Addr>().ok()?)
        };
        Some(SockAddr { ip, port })
    }
}

/// `inet_aton()` (what `getaddrinfo(AI_NUMERICHOST)` accepts for IPv4): 1 to 4 parts, each
/// decimal, octal (`0…`) or hex (`0x…`), the last part filling the remaining bytes.
pub(super) fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut vals = Vec::with_capacity(4);
    for p in &parts {
        let (radix, digits) = if let Some(h) = p.strip_prefix("0x").or(p.strip_prefix("0X")) {
            (16, h)
        } else if p.len() > 1 && p.starts_with('0') {
            (8, &p[1..])
        } else {
            (10, *p)
        };
        if digits.is_empty() && radix != 16 {
            return None;
        }
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        vals.push(v);
    }
    let n = vals.len();
    let last_max = match n {
        1 => u64::from(u32::MAX),
        2 => 0x00ff_ffff,
        3 => 0xffff,
        _ => 0xff,
    };
    if vals[..n - 1].iter().any(|&v| v > 0xff) || vals[n - 1] > last_max {
        return None;
    }
    let mut addr: u32 = 0;
    for (i, v) in vals[..n - 1].iter().enumerate() {
        addr |= (*v as u32) << (24 - 8 * i);
    }
    addr |= vals[n - 1] as u32;
    Some(Ipv4Addr::from(addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoul_follows_c() {
        assert_eq!(strtoul("42", 10), (42, false, ""));
        assert_eq!(strtoul(" +7x", 10), (7, false, "x"));
        assert_eq!(strtoul("abc", 10), (0, false, "abc"));
        assert_eq!(strtoul("", 10), (0, false, ""));
        assert!(strtoul("99999999999999999999", 10).1);
        assert_eq!(strtoul("ff", 16), (255, false, ""));
        assert_eq!(strtoul("0x1f", 16), (31, false, ""));
        assert_eq!(strtol("-12"), (-12, false, ""));
        assert_eq!(strtol("--1"), (0, false, "--1"));
        assert!(strtol("9223372036854775808").1);
    }

    #[test]
    fn hex_strings_as_keepalived_reads_them() {
        assert_eq!(hex_str("30 26 02 01", false), Some(4));
        assert_eq!(hex_str("3026", false), Some(2));
        assert_eq!(hex_str("3 26", false), Some(2));
        assert_eq!(hex_str("zz", false), None);
        assert_eq!(hex_str("", false), None);
        assert_eq!(hex_str("30 xx", false), None);
        assert_eq!(hex_str("30 xx", true), Some(2));
        // keepalived's quirk: a final 0xff byte reads as "invalid".
        assert_eq!(hex_str("01 ff", false), None);
    }

    #[test]
    fn inet_aton_forms() {
        assert_eq!(
            inet_aton("255.255.255.0"),
            Some(Ipv4Addr::new(255, 255, 255, 0))
        );
        assert_eq!(inet_aton("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("0x7f.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(inet_aton("256.1.1.1"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("a.b.c.d"), None);
    }
}
