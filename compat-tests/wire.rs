//! Wire vectors captured from real keepalived 2.2.7, checked both ways.
//!
//! Every `compat-tests/wire/*.hex` file holds bytes keepalived put on the wire (see
//! `compat-tests/wire/README.md` for how they were captured) and, in `# key: value` comment
//! lines, what those bytes mean. For each vector this test decodes the bytes with our codec and
//! compares every field with the stated values, then encodes the decoded advert again and
//! requires keepalived's bytes back. Malformed variants derived from the captures must be
//! rejected with the right [`DecodeError`]. No namespace or privilege is needed: the vectors
//! are files.

use std::collections::BTreeMap;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use keepalived::model::{Centis, Version, vrrp_mac};
use keepalived::net::{garp_frame, na_frame};
use keepalived::vrrp::wire::{
    AdvertAuth, DecodeError, Received, emit_ipv4, parse_ipv4, parse_ipv6, vrrp_checksum_ipv6,
};

/// One `.hex` file: its `# key: value` lines and its bytes.
struct Vector {
    name: String,
    fields: BTreeMap<String, String>,
    bytes: Vec<u8>,
}

impl Vector {
    /// A stated value; a vector without it is a broken vector file, so fail loudly.
    fn get(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .unwrap_or_else(|| panic!("{}: no `# {key}:` line", self.name))
    }

    fn num<T: std::str::FromStr>(&self, key: &str) -> T {
        self.get(key)
            .parse()
            .unwrap_or_else(|_| panic!("{}: bad `{key}` value {:?}", self.name, self.get(key)))
    }

    fn ip<T: std::str::FromStr>(&self, key: &str) -> T {
        self.num(key)
    }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat-tests/wire")
}

/// Parses a vector file: comment lines `# key: value` (key = lowercase letters and `_`) are
/// fields, other comment lines are prose, every other line is whitespace-separated hex bytes.
fn parse_vector(name: &str, text: &str) -> Vector {
    let mut fields = BTreeMap::new();
    let mut bytes = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(comment) = line.strip_prefix('#') {
            let Some(rest) = comment.strip_prefix(' ') else {
                continue;
            };
            if let Some((key, value)) = rest.split_once(": ")
                && !key.is_empty()
                && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            {
                fields.insert(key.to_owned(), value.trim().to_owned());
            }
            continue;
        }
        for tok in line.split_whitespace() {
            let b = u8::from_str_radix(tok, 16)
                .unwrap_or_else(|_| panic!("{name}:{}: not a hex byte: {tok:?}", n + 1));
            bytes.push(b);
        }
    }
    Vector {
        name: name.to_owned(),
        fields,
        bytes,
    }
}

fn load(name: &str) -> Vector {
    let path = dir().join(format!("{name}.hex"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_vector(name, &text)
}

/// Every vector file of one kind, so a vector added to the directory is checked too.
fn all(kind: &str) -> Vec<Vector> {
    let mut names: Vec<String> = fs::read_dir(dir())
        .expect("compat-tests/wire exists")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "hex").then(|| p.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    let v: Vec<Vector> = names
        .iter()
        .map(|n| load(n))
        .filter(|v| v.get("kind") == kind)
        .collect();
    assert!(!v.is_empty(), "no {kind} vectors");
    v
}

fn parse_mac(s: &str) -> [u8; 6] {
    let mut mac = [0u8; 6];
    let parts: Vec<&str> = s.split(':').collect();
    assert_eq!(parts.len(), 6, "bad MAC {s}");
    for (m, p) in mac.iter_mut().zip(parts) {
        *m = u8::from_str_radix(p, 16).unwrap();
    }
    mac
}

/// Checks the decoded advert against the vector's stated fields (all but the IP ones).
fn check_fields(v: &Vector, got: &Received) {
    let a = &got.advert;
    let version = match v.get("version") {
        "2" => Version::V2,
        "3" => Version::V3,
        other => panic!("{}: version {other}", v.name),
    };
    assert_eq!(a.version, version, "{}: version", v.name);
    assert_eq!(a.vrid, v.num::<u8>("vrid"), "{}: vrid", v.name);
    assert_eq!(a.priority, v.num::<u8>("priority"), "{}: priority", v.name);
    assert_eq!(a.addrs.len(), v.num::<usize>("count"), "{}: count", v.name);
    assert_eq!(
        a.advert_int,
        Centis(v.num("interval_cs")),
        "{}: interval",
        v.name
    );
    let auth = match v.get("auth") {
        "none" => AdvertAuth::None,
        s => {
            let pw = s
                .strip_prefix("pass:")
                .unwrap_or_else(|| panic!("{}: auth {s}", v.name));
            let mut b = [0u8; 8];
            b[..pw.len()].copy_from_slice(pw.as_bytes());
            AdvertAuth::Pass(b)
        }
    };
    assert_eq!(a.auth, auth, "{}: auth", v.name);
    let addrs: Vec<IpAddr> = v
        .get("addrs")
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(a.addrs, addrs, "{}: addresses", v.name);
    assert_eq!(got.ttl, v.num::<u8>("ttl"), "{}: ttl / hop limit", v.name);
}

#[test]
fn ipv4_adverts_decode_to_the_stated_fields_and_reencode_byte_for_byte() {
    let vectors = all("ipv4");
    assert!(vectors.len() >= 6, "expected the six IPv4 captures");
    for v in &vectors {
        let got = parse_ipv4(&v.bytes).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        let (src, dst): (Ipv4Addr, Ipv4Addr) = (v.ip("src"), v.ip("dst"));
        assert_eq!(got.src, IpAddr::V4(src), "{}: src", v.name);
        assert_eq!(got.dst, IpAddr::V4(dst), "{}: dst", v.name);
        check_fields(v, &got);
        let ip_id: u16 = v.num("ip_id");
        assert_eq!(
            u16::from_be_bytes([v.bytes[4], v.bytes[5]]),
            ip_id,
            "{}: IP id",
            v.name
        );
        // keepalived's IP header (TOS 0xc0, no DF, its own IP id) and ours agree byte for byte,
        // header checksum included, so the whole datagram is compared.
        let ours = emit_ipv4(&got.advert, src, dst, got.ttl, ip_id);
        assert_eq!(ours, v.bytes, "{}: re-encoded datagram differs", v.name);
    }
}

#[test]
fn ipv6_adverts_decode_to_the_stated_fields_and_reencode_byte_for_byte() {
    let vectors = all("ipv6");
    assert!(vectors.len() >= 3, "expected the three IPv6 captures");
    for v in &vectors {
        let (src, dst): (Ipv6Addr, Ipv6Addr) = (v.ip("src"), v.ip("dst"));
        let hlim: u8 = v.num("ttl");
        let got =
            parse_ipv6(&v.bytes, src, dst, hlim).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        assert_eq!(got.src, IpAddr::V6(src), "{}: src", v.name);
        assert_eq!(got.dst, IpAddr::V6(dst), "{}: dst", v.name);
        check_fields(v, &got);
        // Our message leaves the checksum zero for the kernel (IPV6_CHECKSUM) to fill in:
        // compare with the checksum bytes masked, then check our checksum function computes
        // what the kernel put on the wire for keepalived.
        let ours = got.advert.emit_ipv6();
        let mut masked = v.bytes.clone();
        masked[6..8].fill(0);
        assert_eq!(ours, masked, "{}: re-encoded message differs", v.name);
        let captured = u16::from_be_bytes([v.bytes[6], v.bytes[7]]);
        assert_eq!(
            vrrp_checksum_ipv6(&ours, src, dst),
            captured,
            "{}: checksum",
            v.name
        );
        // A message with its checksum filled in sums to zero over the pseudo-header.
        assert_eq!(vrrp_checksum_ipv6(&v.bytes, src, dst), 0, "{}", v.name);
    }
}

#[test]
fn garp_frames_match_byte_for_byte() {
    for v in all("garp") {
        let ours = garp_frame(parse_mac(v.get("mac")), v.ip("ip"));
        assert_eq!(ours.as_slice(), v.bytes.as_slice(), "{}", v.name);
    }
}

#[test]
fn unsolicited_na_frames_match_byte_for_byte() {
    let vectors = all("na");
    assert!(vectors.len() >= 2, "global and link-local NA captures");
    for v in vectors {
        let router = match v.get("router") {
            "true" => true,
            "false" => false,
            s => panic!("{}: router {s}", v.name),
        };
        let ours = na_frame(parse_mac(v.get("mac")), v.ip("ip"), router);
        assert_eq!(ours.as_slice(), v.bytes.as_slice(), "{}", v.name);
    }
}

/// The Ethernet multicast address of an IP group (RFC 1112 §6.4, RFC 2464 §7).
fn multicast_mac(group: IpAddr) -> [u8; 6] {
    match group {
        IpAddr::V4(g) => {
            let o = g.octets();
            [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
        }
        IpAddr::V6(g) => {
            let o = g.octets();
            [0x33, 0x33, o[12], o[13], o[14], o[15]]
        }
    }
}

#[test]
fn vmac_adverts_leave_from_the_virtual_mac_and_decode_both_ways() {
    // keepalived's adverts from a VMAC (use_vmac), whole Ethernet frames: the source MAC is
    // the one we create our VMACs with (model::vrrp_mac), the destination the group's, and
    // the datagram inside is the same as without a VMAC, byte for byte.
    let v4 = all("vmac-ipv4");
    assert!(v4.len() >= 2, "advert and priority-0 captures");
    for v in &v4 {
        let (eth, dg) = v.bytes.split_at(14);
        let vrid: u8 = v.num("vrid");
        assert_eq!(eth[6..12], vrrp_mac(vrid, false), "{}: source MAC", v.name);
        assert_eq!(eth[6..12], parse_mac(v.get("eth_src")), "{}", v.name);
        let (src, dst): (Ipv4Addr, Ipv4Addr) = (v.ip("src"), v.ip("dst"));
        assert_eq!(
            eth[..6],
            multicast_mac(IpAddr::V4(dst)),
            "{}: dest MAC",
            v.name
        );
        assert_eq!(eth[..6], parse_mac(v.get("eth_dst")), "{}", v.name);
        assert_eq!(eth[12..14], [0x08, 0x00], "{}: ethertype", v.name);
        let got = parse_ipv4(dg).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        assert_eq!(got.src, IpAddr::V4(src), "{}: src", v.name);
        assert_eq!(got.dst, IpAddr::V4(dst), "{}: dst", v.name);
        check_fields(v, &got);
        let ip_id: u16 = v.num("ip_id");
        assert_eq!(
            emit_ipv4(&got.advert, src, dst, got.ttl, ip_id),
            dg,
            "{}",
            v.name
        );
    }
    for v in all("vmac-ipv6") {
        let (eth, rest) = v.bytes.split_at(14);
        let (ip6, msg) = rest.split_at(40);
        let vrid: u8 = v.num("vrid");
        assert_eq!(eth[6..12], vrrp_mac(vrid, true), "{}: source MAC", v.name);
        assert_eq!(eth[6..12], parse_mac(v.get("eth_src")), "{}", v.name);
        let (src, dst): (Ipv6Addr, Ipv6Addr) = (v.ip("src"), v.ip("dst"));
        assert_eq!(
            eth[..6],
            multicast_mac(IpAddr::V6(dst)),
            "{}: dest MAC",
            v.name
        );
        assert_eq!(eth[..6], parse_mac(v.get("eth_dst")), "{}", v.name);
        assert_eq!(eth[12..14], [0x86, 0xdd], "{}: ethertype", v.name);
        assert_eq!(ip6[6], 112, "{}: next header VRRP", v.name);
        assert_eq!(ip6[7], v.num::<u8>("ttl"), "{}: hop limit", v.name);
        assert_eq!(
            Ipv6Addr::from(<[u8; 16]>::try_from(&ip6[8..24]).unwrap()),
            src
        );
        assert_eq!(
            Ipv6Addr::from(<[u8; 16]>::try_from(&ip6[24..40]).unwrap()),
            dst
        );
        let got = parse_ipv6(msg, src, dst, ip6[7]).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        check_fields(&v, &got);
        let ours = got.advert.emit_ipv6();
        let mut masked = msg.to_vec();
        masked[6..8].fill(0);
        assert_eq!(ours, masked, "{}: re-encoded message differs", v.name);
        assert_eq!(vrrp_checksum_ipv6(msg, src, dst), 0, "{}", v.name);
    }
}

/// A captured IPv4 datagram with one byte changed, the IP header checksum left as captured
/// (the kernel checks it, `parse_ipv4` deliberately does not).
fn with_byte(bytes: &[u8], at: usize, f: impl FnOnce(u8) -> u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] = f(b[at]);
    b
}

#[test]
fn malformed_ipv4_variants_of_the_captures_are_rejected() {
    for v in all("ipv4") {
        let b = &v.bytes;
        let n = &v.name;
        // Shorter than an IP header, or IP header without a whole VRRP header.
        assert_eq!(parse_ipv4(&b[..19]), Err(DecodeError::Truncated), "{n}");
        assert_eq!(parse_ipv4(&b[..27]), Err(DecodeError::Truncated), "{n}");
        assert_eq!(parse_ipv4(&[]), Err(DecodeError::Truncated), "{n}");
        // Not IPv4 at all.
        assert_eq!(
            parse_ipv4(&with_byte(b, 0, |_| 0x65)),
            Err(DecodeError::Truncated),
            "{n}"
        );
        // Another protocol (IPsec AH, 51).
        assert_eq!(
            parse_ipv4(&with_byte(b, 9, |_| 51)),
            Err(DecodeError::Protocol(51)),
            "{n}"
        );
        // Version nibble 1 and 4 (type nibble kept).
        for ver in [1u8, 4] {
            assert_eq!(
                parse_ipv4(&with_byte(b, 20, |x| (ver << 4) | (x & 0x0f))),
                Err(DecodeError::Version(ver)),
                "{n}"
            );
        }
        // Type 2 (not an advertisement).
        assert_eq!(
            parse_ipv4(&with_byte(b, 20, |x| (x & 0xf0) | 2)),
            Err(DecodeError::Type(2)),
            "{n}"
        );
        // Address count one more than carried: the length no longer fits.
        let bad = with_byte(b, 23, |c| c + 1);
        assert_eq!(
            parse_ipv4(&bad),
            Err(DecodeError::Length {
                expected: b.len() + 4,
                actual: b.len()
            }),
            "{n}"
        );
        // A trailing byte (2.2.7 tolerates none), total length updated so only the VRRP
        // length is wrong.
        let mut long = b.clone();
        long.push(0);
        let tl = (long.len() as u16).to_be_bytes();
        long[2..4].copy_from_slice(&tl);
        assert_eq!(
            parse_ipv4(&long),
            Err(DecodeError::Length {
                expected: b.len(),
                actual: long.len()
            }),
            "{n}"
        );
        // IP total length disagreeing with the bytes received.
        let mut tl = b.clone();
        tl[2..4].copy_from_slice(&(b.len() as u16 + 4).to_be_bytes());
        assert_eq!(
            parse_ipv4(&tl),
            Err(DecodeError::TotalLength {
                header: b.len() as u16 + 4,
                actual: b.len()
            }),
            "{n}"
        );
        // Corrupt VRRP checksum, and a corrupt address under an intact checksum.
        assert_eq!(
            parse_ipv4(&with_byte(b, 26, |x| x ^ 0x01)),
            Err(DecodeError::Checksum),
            "{n}"
        );
        assert_eq!(
            parse_ipv4(&with_byte(b, 28, |x| x ^ 0x80)),
            Err(DecodeError::Checksum),
            "{n}"
        );
        // Priority changed without fixing the checksum.
        assert_eq!(
            parse_ipv4(&with_byte(b, 22, |x| x.wrapping_add(1))),
            Err(DecodeError::Checksum),
            "{n}"
        );
    }
}

#[test]
fn v3_ipv4_checksum_covers_the_pseudo_header() {
    // A v3 advert's checksum includes the IP addresses: the unicast capture re-sent to the
    // multicast group (IP header fixed, VRRP checksum not) must fail; v2 has no
    // pseudo-header, so the same change on a v2 capture still decodes.
    let uc = load("v3-ipv4-unicast");
    let mut b = uc.bytes.clone();
    b[16..20].copy_from_slice(&[224, 0, 0, 18]);
    assert_eq!(parse_ipv4(&b), Err(DecodeError::Checksum));
    let v2 = load("v2-pass-mcast");
    let mut b = v2.bytes.clone();
    b[16..20].copy_from_slice(&[198, 51, 100, 2]);
    let got = parse_ipv4(&b).expect("v2 checksum has no pseudo-header");
    assert_eq!(got.dst, IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2)));
}

#[test]
fn malformed_ipv6_variants_of_the_captures_are_rejected() {
    for v in all("ipv6") {
        let (src, dst): (Ipv6Addr, Ipv6Addr) = (v.ip("src"), v.ip("dst"));
        let b = &v.bytes;
        let n = &v.name;
        let p = |m: &[u8]| parse_ipv6(m, src, dst, 255);
        assert_eq!(p(&b[..7]), Err(DecodeError::Truncated), "{n}");
        assert_eq!(p(&[]), Err(DecodeError::Truncated), "{n}");
        // Cut inside the address list, and one trailing byte.
        assert_eq!(
            p(&b[..b.len() - 1]),
            Err(DecodeError::Length {
                expected: b.len(),
                actual: b.len() - 1
            }),
            "{n}"
        );
        let mut long = b.clone();
        long.push(0);
        assert_eq!(
            p(&long),
            Err(DecodeError::Length {
                expected: b.len(),
                actual: b.len() + 1
            }),
            "{n}"
        );
        // Count one less than carried.
        assert_eq!(
            p(&with_byte(b, 3, |c| c - 1)),
            Err(DecodeError::Length {
                expected: b.len() - 16,
                actual: b.len()
            }),
            "{n}"
        );
        for ver in [0u8, 4, 15] {
            assert_eq!(
                p(&with_byte(b, 0, |x| (ver << 4) | (x & 0x0f))),
                Err(DecodeError::Version(ver)),
                "{n}"
            );
        }
        assert_eq!(
            p(&with_byte(b, 0, |x| (x & 0xf0) | 7)),
            Err(DecodeError::Type(7)),
            "{n}"
        );
        // The kernel verifies the IPv6 checksum, not parse_ipv6; what we can check is that a
        // corrupted message no longer sums to zero, i.e. the kernel would drop it.
        let corrupt = with_byte(b, 2, |x| x ^ 0x10);
        assert_ne!(vrrp_checksum_ipv6(&corrupt, src, dst), 0, "{n}");
        // The same bytes from another source fail the pseudo-header too.
        let other: Ipv6Addr = "fe80::ff:fe00:9".parse().unwrap();
        assert_ne!(vrrp_checksum_ipv6(b, other, dst), 0, "{n}");
    }
}

#[test]
fn vector_parser_reads_fields_and_hex() {
    let v = parse_vector(
        "t",
        "# prose line, not a field\n#   auth_pass x: y\n# vrid: 7\n45 c0\n00 28\n",
    );
    assert_eq!(v.fields.len(), 1);
    assert_eq!(v.get("vrid"), "7");
    assert_eq!(v.bytes, vec![0x45, 0xc0, 0x00, 0x28]);
}
