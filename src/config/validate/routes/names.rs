//! The number and name readers keepalived's route and rule parsers rely on, with their C
//! semantics: `strtoul()` (base 0 or 10, wrapping negatives, `ERANGE`), `sscanf("%hu-%hu")`,
//! and the iproute2 name tables (`lib/rttables.c`): `/etc/iproute2/rt_tables`, `rt_dsfield`,
//! `rt_realms`, `rt_protos`, `rt_scopes`, `group`, each with keepalived's built-in defaults
//! added for ids the file does not name, and `/etc/protocols` for `ipproto`.
//!
//! The files are read only with host checks on ([`super::super::LoadOptions`]); golden tests
//! see the built-in defaults alone, so their output does not depend on the machine.

use std::collections::HashMap;

use crate::model::RTN_NAMES;

/// What `strtoul()` made of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Strtoul {
    /// The value, wrapped as C does for a leading `-` (`ULONG_MAX` on overflow).
    pub value: u64,
    /// Bytes consumed (0 when no digit was found: `endptr == nptr`).
    pub end: usize,
    /// `errno == ERANGE`.
    pub overflow: bool,
}

/// glibc's `strtoul(s, &end, base)` for base 0, 10 or 16 on a 64-bit `unsigned long`.
pub(crate) fn strtoul(s: &str, base: u32) -> Strtoul {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut radix = base;
    let hex_prefix = i + 1 < b.len() && b[i] == b'0' && (b[i + 1] | 0x20) == b'x';
    if (radix == 0 || radix == 16) && hex_prefix && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        radix = 16;
        i += 2;
    } else if radix == 0 {
        radix = if i < b.len() && b[i] == b'0' { 8 } else { 10 };
    }
    let start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while i < b.len() {
        let Some(d) = (b[i] as char).to_digit(radix) else {
            break;
        };
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return Strtoul {
            value: 0,
            end: 0,
            overflow: false,
        };
    }
    if overflow {
        value = u64::MAX;
    } else if neg {
        value = value.wrapping_neg();
    }
    Strtoul {
        value,
        end: i,
        overflow,
    }
}

/// `sscanf(s, "%hu-%hu", &a, &b)`: the number of conversions and the values (each wrapped to
/// 16 bits as `%hu` stores them).
pub(crate) fn scan_u16_range(s: &str) -> (usize, u16, u16) {
    let first = strtoul(s, 10);
    if first.end == 0 {
        return (0, 0, 0);
    }
    let a = first.value as u16;
    let rest = &s[first.end..];
    let Some(rest) = rest.strip_prefix('-') else {
        return (1, a, 0);
    };
    let second = strtoul(rest, 10);
    if second.end == 0 {
        return (1, a, 0);
    }
    (2, a, second.value as u16)
}

/// `sscanf(s, "%u-%u", &a, &b) == 2` (uidrange).
pub(crate) fn scan_u32_range(s: &str) -> Option<(u32, u32)> {
    let first = strtoul(s, 10);
    if first.end == 0 {
        return None;
    }
    let rest = s[first.end..].strip_prefix('-')?;
    let second = strtoul(rest, 10);
    (second.end != 0).then_some((first.value as u32, second.value as u32))
}

/// Which iproute2 table a name is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Table {
    /// `rt_tables` (routing tables, max `RT_TABLE_MAX`).
    Tables,
    /// `rt_dsfield` (TOS values, max 255).
    Dsfield,
    /// `rt_realms` (max 255).
    Realms,
    /// `rt_protos` (route protocols, max 255).
    Protos,
    /// `rt_scopes` (max 255).
    Scopes,
    /// `group` (interface groups, max `INT32_MAX`).
    Groups,
}

impl Table {
    fn file(self) -> &'static str {
        match self {
            Self::Tables => "/etc/iproute2/rt_tables",
            Self::Dsfield => "/etc/iproute2/rt_dsfield",
            Self::Realms => "/etc/iproute2/rt_realms",
            Self::Protos => "/etc/iproute2/rt_protos",
            Self::Scopes => "/etc/iproute2/rt_scopes",
            Self::Groups => "/etc/iproute2/group",
        }
    }

    fn max(self) -> u64 {
        match self {
            Self::Tables => u64::from(u32::MAX),
            Self::Groups => i32::MAX as u64,
            _ => 255,
        }
    }

    /// keepalived's built-in names, added for the ids the file does not name.
    fn defaults(self) -> &'static [(u32, &'static str)] {
        match self {
            Self::Tables => &[(253, "default"), (254, "main"), (255, "local")],
            Self::Protos => &[
                (0, "none"),
                (1, "redirect"),
                (2, "kernel"),
                (3, "boot"),
                (4, "static"),
                (8, "gated"),
                (9, "ra"),
                (10, "mrt"),
                (11, "zebra"),
                (12, "bird"),
                (42, "babel"),
                (13, "dnrouted"),
                (14, "xorp"),
                (15, "ntk"),
                (16, "dhcp"),
            ],
            Self::Scopes => &[
                (0, "global"),
                (255, "nowhere"),
                (254, "host"),
                (253, "link"),
                (200, "site"),
            ],
            Self::Dsfield | Self::Realms | Self::Groups => &[],
        }
    }
}

/// The name tables, loaded on first use as keepalived does.
#[derive(Debug, Default)]
pub(crate) struct RtNames {
    /// Read `/etc/iproute2/*` and `/etc/protocols` (host checks on).
    pub host_files: bool,
    loaded: HashMap<Table, Vec<(u32, String)>>,
    protocols: Option<Vec<(u8, String)>>,
}

impl RtNames {
    /// A loader that reads the host's files when `host_files` is set.
    pub fn new(host_files: bool) -> Self {
        Self {
            host_files,
            ..Default::default()
        }
    }

    fn list(&mut self, t: Table) -> &[(u32, String)] {
        let host = self.host_files;
        self.loaded.entry(t).or_insert_with(|| {
            let mut v = if host {
                read_table(t.file(), t.max())
            } else {
                Vec::new()
            };
            for &(id, name) in t.defaults() {
                if !v.iter().any(|(i, _)| *i == id) {
                    v.push((id, name.to_string()));
                }
            }
            v
        })
    }

    /// `find_entry()`: a number (any base, truncated to 32 bits, at most the table's max) or
    /// a name from the table.
    pub fn find(&mut self, t: Table, name: &str) -> Option<u32> {
        let n = strtoul(name, 0);
        if n.end != 0 && n.end == name.len() {
            let id = n.value as u32;
            return (u64::from(id) <= t.max()).then_some(id);
        }
        self.list(t)
            .iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| *id)
    }

    /// `find_rttables_dsfield()` / `_proto()` / `_scope()`: as [`RtNames::find`], low byte.
    pub fn find_u8(&mut self, t: Table, name: &str) -> Option<u8> {
        self.find(t, name).map(|v| (v & 0xff) as u8)
    }

    /// `get_realms()`: `[FROM/]TO`, each a number or an `rt_realms` name; FROM goes in the high
    /// 16 bits.
    pub fn realms(&mut self, s: &str) -> Option<u32> {
        match s.split_once('/') {
            None => self.find(Table::Realms, s),
            Some((from, to)) => {
                let f = self.find(Table::Realms, from)?;
                let t = self.find(Table::Realms, to)?;
                Some((f << 16) | t)
            }
        }
    }

    /// `inet_proto_a2n()`: a decimal number up to 127, else a name from `/etc/protocols`.
    pub fn ip_proto(&mut self, s: &str) -> Option<u8> {
        let t = s.trim_start_matches([' ', '\t']);
        if t.is_empty() || t.starts_with('-') {
            return None;
        }
        let n = strtoul(t, 10);
        if n.value > 127 {
            return None;
        }
        if n.end == t.len() {
            return Some(n.value as u8);
        }
        let host = self.host_files;
        let list = self.protocols.get_or_insert_with(|| protocols(host));
        list.iter().find(|(_, n)| n == t).map(|(p, _)| *p)
    }
}

/// `find_rttables_rtntype()`: a type name or a number 0..=255 (not negative).
pub(crate) fn rtn_type(s: &str) -> Option<u8> {
    if let Some((id, _)) = RTN_NAMES.iter().find(|(_, n)| *n == s) {
        return Some(*id);
    }
    let n = strtoul(s, 0);
    (n.end == s.len() && n.value <= 255 && !s.starts_with('-')).then_some(n.value as u8)
}

/// `read_file()`: lines of exactly two words `ID NAME` (keepalived's tokenizer: `#` and `!`
/// start comments), ids parsed as `strtoul(…, 0)` up to `max`.
fn read_table(path: &str, max: u64) -> Vec<(u32, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split(['#', '!']).next().unwrap_or("");
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() != 2 || words[0].starts_with('-') {
            continue;
        }
        let n = strtoul(words[0], 0);
        if n.end == 0 || n.end != words[0].len() || n.value > max {
            continue;
        }
        out.push((n.value as u32, words[1].to_string()));
    }
    out
}

/// `getprotobyname()`'s data: `/etc/protocols` (names and aliases), or the common ones when
/// host files are off or the file is missing.
fn protocols(host: bool) -> Vec<(u8, String)> {
    if host {
        if let Ok(text) = std::fs::read_to_string("/etc/protocols") {
            let mut v = Vec::new();
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or("");
                let mut words = line.split_whitespace();
                let (Some(name), Some(num)) = (words.next(), words.next()) else {
                    continue;
                };
                let Ok(num) = num.parse::<u8>() else { continue };
                v.push((num, name.to_string()));
                v.extend(words.map(|a| (num, a.to_string())));
            }
            if !v.is_empty() {
                return v;
            }
        }
    }
    [
        (0, "ip"),
        (1, "icmp"),
        (2, "igmp"),
        (6, "tcp"),
        (17, "udp"),
        (41, "ipv6"),
        (47, "gre"),
        (50, "esp"),
        (51, "ah"),
        (58, "ipv6-icmp"),
        (112, "vrrp"),
        (132, "sctp"),
        (136, "udplite"),
    ]
    .iter()
    .map(|(n, s)| (*n, (*s).to_string()))
    .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn strtoul_follows_glibc() {
        assert_eq!(strtoul("42", 10).value, 42);
        assert_eq!(strtoul("0x1f", 0).value, 31);
        assert_eq!(strtoul("010", 0).value, 8);
        assert_eq!(strtoul("010", 10).value, 10);
        let neg = strtoul("-1", 10);
        assert_eq!((neg.value, neg.end), (u64::MAX, 2), "negatives wrap");
        let junk = strtoul("12ab", 10);
        assert_eq!((junk.value, junk.end), (12, 2));
        assert_eq!(strtoul("abc", 10).end, 0);
        assert_eq!(
            strtoul("0x", 0),
            Strtoul {
                value: 0,
                end: 1,
                overflow: false
            }
        );
        let big = strtoul("99999999999999999999999", 10);
        assert!(big.overflow);
        assert_eq!(big.value, u64::MAX);
    }

    #[test]
    fn sscanf_ranges() {
        assert_eq!(scan_u16_range("80"), (1, 80, 0));
        assert_eq!(scan_u16_range("80-90"), (2, 80, 90));
        assert_eq!(scan_u16_range("70000-1"), (2, 4464, 1), "%hu wraps");
        assert_eq!(scan_u16_range("x"), (0, 0, 0));
        assert_eq!(scan_u32_range("1000-2000"), Some((1000, 2000)));
        assert_eq!(scan_u32_range("1000"), None);
    }

    #[test]
    fn names_and_numbers() {
        let mut n = RtNames::new(false);
        assert_eq!(n.find(Table::Tables, "main"), Some(254));
        assert_eq!(n.find(Table::Tables, "0x10"), Some(16));
        assert_eq!(n.find(Table::Tables, "-1"), Some(u32::MAX), "C wraps -1");
        assert_eq!(n.find(Table::Tables, "vrrp"), None);
        assert_eq!(n.find(Table::Scopes, "link"), Some(253));
        assert_eq!(n.find(Table::Scopes, "256"), None);
        assert_eq!(n.find_u8(Table::Protos, "none"), Some(0));
        assert_eq!(
            n.find(Table::Dsfield, "AF11"),
            None,
            "no built-in dsfield names"
        );
        assert_eq!(n.realms("1/2"), Some(0x0001_0002));
        assert_eq!(n.realms("3"), Some(3));
        assert_eq!(n.realms("x/2"), None);
        assert_eq!(n.ip_proto("tcp"), Some(6));
        assert_eq!(n.ip_proto("17"), Some(17));
        assert_eq!(n.ip_proto("132"), None, "numbers above 127 are refused");
        assert_eq!(rtn_type("blackhole"), Some(6));
        assert_eq!(rtn_type("9"), Some(9));
        assert_eq!(rtn_type("10.0.0.0/8"), None);
    }
}
