//! Trackers: vrrp_script runners and the rise/fall policy, producing `model::TrackEvent`s.
