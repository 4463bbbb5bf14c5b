//! Small value types shared by every module: protocol time in centiseconds, the VRRP version and
//! the tracker events that flow from `track` through the daemon into the engine.

use std::fmt;
use std::time::Duration;

/// A protocol interval in integer centiseconds (VRRPv3's unit, RFC 5798 §5.2.7).
/// Never a float: deadlines computed from it are exact and comparable in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Centis(pub u32);

impl Centis {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// Whole seconds.
    pub const fn from_secs(secs: u32) -> Self {
        Self(secs * 100)
    }

    /// The value as a `Duration`.
    pub const fn to_duration(self) -> Duration {
        Duration::from_millis(self.0 as u64 * 10)
    }

    /// Whole seconds, truncating (the unit of a VRRPv2 advert).
    pub const fn as_secs(self) -> u32 {
        self.0 / 100
    }
}

impl fmt::Display for Centis {
    /// keepalived's decimal seconds: `1`, `0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 100 == 0 {
            write!(f, "{}", self.0 / 100)
        } else {
            let s = format!("{}.{:02}", self.0 / 100, self.0 % 100);
            f.write_str(s.trim_end_matches('0'))
        }
    }
}

/// VRRP version spoken by an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// RFC 3768.
    V2,
    /// RFC 5798.
    V3,
}

impl Version {
    /// The number in the advert's version nibble.
    pub const fn number(self) -> u8 {
        match self {
            Self::V2 => 2,
            Self::V3 => 3,
        }
    }
}

/// What a tracker reports; routed by the daemon to every instance that tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackEvent {
    /// A `vrrp_script` changed between OK and KO after its rise/fall policy.
    Script {
        /// `vrrp_script` name.
        name: String,
        /// True when the script is now OK.
        ok: bool,
    },
    /// An interface's link went up (`IFF_UP && IFF_RUNNING`) or down.
    Interface {
        /// Interface name.
        name: String,
        /// True when up.
        up: bool,
    },
    /// A `track_file`'s value: its content read as keepalived reads it (`strtol(buf, NULL, 0)`
    /// of the first 127 bytes, garbage = 0), 0 when the file is missing or was deleted.
    File {
        /// `track_file` name.
        name: String,
        /// The value (within `i32::MIN..=i32::MAX + 1`, keepalived's accepted range).
        value: i64,
    },
    /// A `vrrp_track_process` gained or lost its quorum (after its fork/terminate delay).
    Process {
        /// `vrrp_track_process` name.
        name: String,
        /// True when `quorum <= running <= quorum_max`.
        quorum: bool,
    },
}
