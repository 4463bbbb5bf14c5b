//! `v3_checksum_as_v2`: VRRPv3 over IPv4 with the checksum of VRRPv2 (no pseudo-header).

use super::*;

const SRC: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

fn advert(version: Version) -> Advert {
    Advert {
        version,
        vrid: 60,
        priority: 200,
        advert_int: if version == Version::V3 {
            Centis(50)
        } else {
            Centis::from_secs(1)
        },
        auth: AdvertAuth::None,
        addrs: vec![IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10))],
    }
}

#[test]
fn v3_checksum_as_v2_leaves_out_the_pseudo_header() {
    let adv = advert(Version::V3);
    let rfc = adv.emit_ipv4_payload(SRC, GROUP);
    let as_v2 = adv.emit_ipv4_payload_as(SRC, GROUP, true);
    assert_eq!(rfc[..6], as_v2[..6]);
    assert_ne!(rfc[6..8], as_v2[6..8]);
    // The whole message sums to zero on its own, as a VRRPv2 advert does.
    assert_eq!(checksum(&as_v2), 0);
    assert_eq!(vrrp_checksum_ipv4(Version::V2, &as_v2, SRC, GROUP), 0);
    // Not a function of the addresses any more: one checksum for every unicast peer.
    let peer = Ipv4Addr::new(198, 51, 100, 9);
    assert_eq!(adv.emit_ipv4_payload_as(SRC, peer, true), as_v2);
}

#[test]
fn lax_parse_accepts_both_v3_checksums_but_still_checks_v2() {
    let adv = advert(Version::V3);
    let as_v2 = emit_ipv4_as(&adv, SRC, GROUP, 255, 1, true);
    let rfc = emit_ipv4(&adv, SRC, GROUP, 255, 1);
    assert_eq!(parse_ipv4(&as_v2), Err(DecodeError::Checksum));
    assert_eq!(parse_ipv4_v3_checksum_as_v2(&as_v2).unwrap().advert, adv);
    assert_eq!(parse_ipv4_v3_checksum_as_v2(&rfc).unwrap().advert, adv);
    // A VRRPv2 advert with a bad checksum is refused either way.
    let mut v2 = emit_ipv4(&advert(Version::V2), SRC, GROUP, 255, 1);
    v2[IPV4_HEADER_LEN + 6] ^= 0xff;
    assert_eq!(
        parse_ipv4_v3_checksum_as_v2(&v2),
        Err(DecodeError::Checksum)
    );
    // Emitting a v2 advert "as v2" changes nothing.
    let v2 = advert(Version::V2);
    assert_eq!(
        emit_ipv4_as(&v2, SRC, GROUP, 255, 1, true),
        emit_ipv4(&v2, SRC, GROUP, 255, 1)
    );
}
