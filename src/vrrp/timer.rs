//! VRRP protocol timer arithmetic in integer microseconds, exactly as keepalived computes it
//! (`VRRP_TIMER_SKEW`, `VRRP_MS_DOWN_TIMER` in `keepalived/include/vrrp.h`; inventory §8.4).
//!
//! Truncating integer division is part of the contract: a keepalived peer and we must agree to
//! the microsecond on when a backup takes over, or tie cases resolve differently.

use std::time::Duration;

use crate::model::{Centis, Version};

/// Adverts a backup waits for before declaring the master down (RFC 5798 §6.1: 3).
pub const DOWN_TIMER_ADVERTS: u64 = 3;

/// Microseconds in a centisecond.
const US_PER_CENTI: u64 = 10_000;

/// `Skew_Time` for `priority` (the effective priority; 255 for an owner).
///
/// VRRPv2 (RFC 3768 §6.1): `(256 − P) / 256` s, i.e. `(256 − P) · 1 000 000 / 256` µs.
/// VRRPv3 (RFC 5798 §6.1): `((256 − P) · Master_Adver_Interval) / 256`, computed by keepalived
/// as `(256 − P) · MAI_centis · 625 / 16` µs; `master_adver_int` is ignored for v2.
pub fn skew_time_us(version: Version, priority: u8, master_adver_int: Centis) -> u64 {
    let weight = 256 - u64::from(priority);
    match version {
        Version::V2 => weight * 1_000_000 / 256,
        Version::V3 => weight * u64::from(master_adver_int.0) * 625 / 16,
    }
}

/// `Master_Down_Interval = 3 · Master_Adver_Interval + Skew_Time`, in microseconds.
pub fn master_down_interval_us(version: Version, priority: u8, master_adver_int: Centis) -> u64 {
    master_down_interval_n_us(
        version,
        priority,
        master_adver_int,
        DOWN_TIMER_ADVERTS as u32,
    )
}

/// keepalived's `VRRP_MS_DOWN_TIMER`: `down_timer_adverts · Master_Adver_Interval +
/// Skew_Time`, in microseconds (`down_timer_adverts` is 3 unless configured, 1..=100).
pub fn master_down_interval_n_us(
    version: Version,
    priority: u8,
    master_adver_int: Centis,
    down_timer_adverts: u32,
) -> u64 {
    u64::from(down_timer_adverts) * u64::from(master_adver_int.0) * US_PER_CENTI
        + skew_time_us(version, priority, master_adver_int)
}

/// A microsecond count as a `Duration`.
pub const fn us(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_matches_keepalived_dump() {
        // Inventory §8.4: prio 100 at 1 s -> 3.609375 s; prio 90 -> 3.648437 s (truncated).
        assert_eq!(skew_time_us(Version::V2, 100, Centis(100)), 609_375);
        assert_eq!(
            master_down_interval_us(Version::V2, 100, Centis(100)),
            3_609_375
        );
        assert_eq!(
            master_down_interval_us(Version::V2, 90, Centis(100)),
            3_648_437
        );
        // v2 skew does not scale with the interval.
        assert_eq!(skew_time_us(Version::V2, 100, Centis(300)), 609_375);
        assert_eq!(skew_time_us(Version::V2, 255, Centis(100)), 3_906);
        assert_eq!(skew_time_us(Version::V2, 1, Centis(100)), 996_093);
    }

    #[test]
    fn v3_scales_with_master_interval() {
        // (256-100)*50*625/16 = 304687.5 -> 304687.
        assert_eq!(skew_time_us(Version::V3, 100, Centis(50)), 304_687);
        assert_eq!(
            master_down_interval_us(Version::V3, 100, Centis(50)),
            1_804_687
        );
        // At 1 s v3 equals v2.
        assert_eq!(
            skew_time_us(Version::V3, 100, Centis(100)),
            skew_time_us(Version::V2, 100, Centis(100))
        );
        // (256-200)·5·625/16 = 10937.5 -> 10937.
        assert_eq!(skew_time_us(Version::V3, 200, Centis(5)), 10_937);
    }

    #[test]
    fn down_timer_adverts_scales_the_interval_only() {
        // 1 · 1 s + 609375 µs; 10 · 1 s + the same skew.
        assert_eq!(
            master_down_interval_n_us(Version::V2, 100, Centis(100), 1),
            1_609_375
        );
        assert_eq!(
            master_down_interval_n_us(Version::V2, 100, Centis(100), 10),
            10_609_375
        );
        // v3 at 10 ms: 5 · 10 ms + (256-100)·1·625/16 = 50000 + 6093.
        assert_eq!(
            master_down_interval_n_us(Version::V3, 100, Centis(1), 5),
            56_093
        );
    }
}
