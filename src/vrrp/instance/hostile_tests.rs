//! Virtual-time tests of hostile adverts (issue 5 item 7): priority-255 adverts that fail a
//! check are counted and dropped, and never take, disturb or delay mastership. keepalived
//! 2.2.7 re-arms an instance's timer after any packet carrying its VRID, valid or not, so a
//! flood of invalid adverts silences its MASTER and freezes its BACKUPs' master-down timers;
//! here only an accepted advert moves a timer (KNOWN_DIVERGENCES.md).

use super::tests::{A, B, cfg, drain, ms, prio_of, rx, started, to_master};
use super::*;

/// Every kind of invalid priority-255 advert an attacker on the LAN could send for our VRID.
fn hostile(c: &model::Instance) -> Vec<wire::Received> {
    let mut out = Vec::new();
    // Wrong password.
    let mut bad = c.clone();
    bad.auth = Some(Auth::Pass(*b"guessed!"));
    out.push(rx(&bad, A, 255));
    // No authentication.
    bad.auth = None;
    out.push(rx(&bad, A, 255));
    // Routed from afar: TTL below 255.
    let mut p = rx(c, A, 255);
    p.ttl = 254;
    out.push(p);
    // A VIP list that is not ours.
    let mut other = c.clone();
    other.vips.truncate(1);
    out.push(rx(&other, A, 255));
    // Another version.
    let mut p = rx(c, A, 255);
    p.advert.version = Version::V3;
    out.push(p);
    // Another advert interval (v2: dropped).
    let mut other = c.clone();
    other.advert_int = Centis::from_secs(3);
    out.push(rx(&other, A, 255));
    out
}

#[test]
fn a_flood_of_invalid_priority_255_adverts_never_disturbs_a_master() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    let bad = hostile(&c);
    // Ten adverts a second for 10 s, each kind in turn: the MASTER keeps its state and sends
    // exactly one advert per second, on its own schedule.
    let mut sent_at = Vec::new();
    let mut now = t1;
    for k in 1..=100u32 {
        let at = t1 + ms(100) * k - ms(50);
        while let Some(due) = i.poll_timeout().filter(|d| *d <= at) {
            i.handle_timeout(due);
            for a in drain(&mut i) {
                if prio_of(&a).is_some() {
                    sent_at.push(due);
                }
            }
        }
        now = at;
        i.handle_packet(now, &bad[k as usize % bad.len()]);
        i.handle_decode_error(now, A.into(), &DecodeError::Checksum);
        assert_eq!(i.state(), State::Master, "after hostile packet {k}");
        assert!(drain(&mut i).is_empty(), "nothing answers a hostile packet");
    }
    // The last hostile packet came at t1 + 9.95 s: nine adverts, one per second.
    assert_eq!(now, t1 + ms(9950));
    let expected: Vec<Instant> = (1..=9u32).map(|n| t1 + ms(1000) * n).collect();
    assert_eq!(sent_at, expected);
    assert_eq!(i.poll_timeout(), Some(t1 + ms(10_000)));
    let s = i.stats();
    assert_eq!(s.advert_rcvd, 0, "no hostile advert counted as received");
    // 100 packets, packet k of kind k % 6: each counted under keepalived's stat name (a v2
    // interval mismatch is dropped uncounted, as keepalived does).
    assert_eq!(s.auth_failure, 16);
    assert_eq!(s.authtype_mismatch, 17);
    assert_eq!(s.ip_ttl_err, 17);
    assert_eq!(s.addr_list_err, 17);
    assert_eq!(s.vers_err, 17);
    assert_eq!(s.chk_err, 100);
}

#[test]
fn invalid_adverts_never_delay_a_backups_takeover() {
    let t0 = Instant::now();
    let c = cfg(90);
    let mut i = started(&c, t0, B);
    drain(&mut i);
    // The master's last advert at t0 + 1 s.
    let t1 = t0 + ms(1000);
    i.handle_packet(t1, &rx(&c, A, 100));
    let down = i.poll_timeout().unwrap();
    assert_eq!(down, t1 + Duration::from_micros(3_648_437));
    // The master is gone; hostile priority-255 adverts keep arriving every 100 ms.
    let bad = hostile(&c);
    let mut k = 0;
    let mut now = t1 + ms(100);
    while now < down {
        i.handle_packet(now, &bad[k % bad.len()]);
        assert_eq!(
            i.poll_timeout(),
            Some(down),
            "packet {k} moved the master-down timer"
        );
        k += 1;
        now += ms(100);
    }
    i.handle_timeout(down);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn a_valid_advert_with_the_wrong_vrid_is_not_ours() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    let mut other = c.clone();
    other.vrid = 52;
    i.handle_packet(t1 + ms(300), &rx(&other, A, 255));
    assert_eq!(i.state(), State::Master);
    assert!(drain(&mut i).is_empty());
    assert_eq!(i.poll_timeout(), Some(t1 + ms(1000)));
    assert_eq!(i.stats().advert_rcvd, 0);
}
