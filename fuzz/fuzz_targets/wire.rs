//! Fuzzes the VRRP decoders: the bytes as a whole IPv4 datagram (`parse_ipv4`) and as a bare
//! VRRP message from a raw IPv6 socket (`parse_ipv6`, fixed addresses). Whatever decodes must
//! survive a round trip: re-emitting the advert and decoding it again gives the same `Advert`.
#![no_main]

use std::net::{IpAddr, Ipv6Addr};

use keepalived::vrrp::wire::{self, Received};
use libfuzzer_sys::fuzz_target;

const SRC6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const DST6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = wire::parse_ipv4(data) {
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (r.src, r.dst) else {
            panic!("parse_ipv4 gave non-IPv4 addresses: {r:?}");
        };
        let again = wire::emit_ipv4(&r.advert, src, dst, r.ttl, 0x1234);
        let back: Received = wire::parse_ipv4(&again).expect("re-emitted IPv4 advert decodes");
        assert_eq!(back.advert, r.advert);
        assert_eq!((back.src, back.dst, back.ttl), (r.src, r.dst, r.ttl));
    }
    if let Ok(r) = wire::parse_ipv6(data, SRC6, DST6, 255) {
        let again = r.advert.emit_ipv6();
        let back =
            wire::parse_ipv6(&again, SRC6, DST6, 255).expect("re-emitted IPv6 advert decodes");
        assert_eq!(back.advert, r.advert);
    }
});
