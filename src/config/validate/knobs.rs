//! The timer, advert-policy and GARP knobs of `global_defs` and `vrrp_instance`
//! (inventory §2.4, §2.5, §4.1, §4.2 rule 10): `vrrp_mcast_group6`, `*down_timer_adverts`,
//! `*garp_lower_prio_*`, `vrrp_garp_interval`/`vrrp_gna_interval`, `vrrp_min_garp`,
//! `*lower_prio_no_advert`, `*higher_prio_send_advert`, `*owner_ignore_adverts`,
//! `*skip_check_adv_addr`, `*check_unicast_src`, `unicast_ttl`, `*v3_checksum_as_v2`,
//! `vrrp_startup_delay`, with keepalived 2.2.7's ranges, messages, global -> instance
//! inheritance and strict-mode derivations (`vrrp_complete_instance()`). The two keywords
//! keepalived 2.2.7 does not know yet (`owner_ignore_adverts`, `v3_checksum_as_v2`) follow the
//! later releases that added them.

use std::net::IpAddr;
use std::time::Duration;

use super::super::diag::{Severity, Span};
use super::super::source::Token;
use super::super::tree::Stmt;
use super::{RawInstance, TIMER_HZ, Validator};
use crate::model::Centis;

/// The instance knobs as written; `None` = not configured (inherited in `complete_knobs`).
#[derive(Debug, Default)]
pub(super) struct RawKnobs {
    garp_lower_prio_delay: Option<Centis>,
    garp_lower_prio_repeat: Option<u32>,
    down_timer_adverts: Option<u32>,
    lower_prio_no_advert: Option<bool>,
    higher_prio_send_advert: Option<bool>,
    owner_ignore_adverts: Option<bool>,
    skip_check_adv_addr: bool,
    check_unicast_src: bool,
    unicast_ttl: Option<u8>,
    v3_checksum_as_v2: Option<bool>,
}

/// The knobs of one instance after inheritance and strict-mode rules.
#[derive(Debug)]
pub(super) struct Knobs {
    pub(super) garp_lower_prio_delay: Centis,
    pub(super) garp_lower_prio_repeat: u32,
    pub(super) down_timer_adverts: u32,
    pub(super) lower_prio_no_advert: bool,
    pub(super) higher_prio_send_advert: bool,
    pub(super) owner_ignore_adverts: bool,
    pub(super) skip_check_adv_addr: bool,
    pub(super) check_unicast_src: bool,
    pub(super) unicast_ttl: Option<u8>,
    pub(super) v3_checksum_as_v2: bool,
}

impl Validator<'_> {
    /// `check_true_false()` on an optional argument, with keepalived's per-keyword message;
    /// absent = true.
    fn knob_bool(&mut self, stmt: &Stmt, msg: impl FnOnce(&str) -> String) -> Option<bool> {
        let Some(t) = stmt.line.words.get(1) else {
            return Some(true);
        };
        match t.text.as_str() {
            "true" | "on" | "yes" => Some(true),
            "false" | "off" | "no" => Some(false),
            other => {
                let m = msg(other);
                self.error(&t.span, m);
                None
            }
        }
    }

    /// An unsigned value in `[min, max]`, or keepalived's message for this keyword.
    fn knob_uint(&mut self, t: &Token, min: u64, max: u64, msg: String) -> Option<u64> {
        let v = self.uint(t, min, max);
        if v.is_none() {
            self.error(&t.span, msg);
        }
        v
    }

    /// `read_decimal_unsigned_strvec(…, TIMER_HZ_DIGITS)` in `[min_us, u32::MAX]` µs.
    fn knob_micros(&mut self, t: &Token, min_us: u64, kw: &str) -> Option<Duration> {
        match self.decimal(t, 6, min_us, u64::from(u32::MAX)) {
            Some(v) => Some(Duration::from_micros(v)),
            None => {
                self.error(&t.span, format!("{kw} '{}' is invalid", t.text));
                None
            }
        }
    }

    /// The knobs of `global_defs`; true when `stmt` was one of them.
    pub(super) fn global_knob(&mut self, stmt: &Stmt) -> bool {
        let kw = stmt.keyword();
        match kw {
            "vrrp_mcast_group6" => {
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                let text = t.text.clone();
                match text.parse::<IpAddr>() {
                    Ok(IpAddr::V6(a)) if a.is_multicast() => {
                        // ff02::/16 is link-local scope (flags nibble free, scope nibble 2).
                        if a.segments()[0] & 0xff0f != 0xff02 {
                            self.rep.at(
                                Severity::Warning,
                                None,
                                &t.span,
                                format!(
                                    "vrrp_mcast_group6 [{text}] should be link-local multicast."
                                ),
                            );
                        }
                        self.config.global.vrrp_mcast_group6 = a;
                    }
                    Ok(IpAddr::V6(_)) => self.error(
                        &t.span,
                        format!("vrrp_mcast_group6 [{text}] is not multicast. Skipping"),
                    ),
                    Ok(IpAddr::V4(_)) => self.error(
                        &t.span,
                        format!("vrrp_mcast_group6 [{text}] is not IPv6. Skipping"),
                    ),
                    Err(_) => self.error(
                        &t.span,
                        format!("Can't parse vrrp_mcast_group6 [{text}]. Skipping"),
                    ),
                }
            }
            "vrrp_garp_lower_prio_delay" => {
                if let Some(v) = self.secs(stmt, kw) {
                    self.config.global.vrrp_garp_lower_prio_delay = Some(v);
                }
            }
            "vrrp_garp_lower_prio_repeat" => {
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                let msg = format!("Invalid vrrp_garp_lower_prio_repeat '{}'", t.text);
                if let Some(v) = self.knob_uint(t, 0, i32::MAX as u64, msg) {
                    self.config.global.vrrp_garp_lower_prio_repeat = Some(v as u32);
                }
            }
            "vrrp_down_timer_adverts" => {
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                let msg = format!("Invalid vrrp_down_timer_adverts [1:100] '{}'", t.text);
                if let Some(v) = self.knob_uint(t, 1, 100, msg) {
                    self.config.global.vrrp_down_timer_adverts = v as u32;
                }
            }
            "vrrp_garp_interval" | "vrrp_gna_interval" => {
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                // keepalived rejects 0 (the shipped sample config uses it).
                if let Some(d) = self.knob_micros(t, 1, kw) {
                    if d >= Duration::from_secs(1) {
                        self.rep.at(
                            Severity::Note,
                            None,
                            &t.span,
                            format!("The {kw} is very large - {} seconds", t.text),
                        );
                    }
                    if kw == "vrrp_garp_interval" {
                        self.config.global.vrrp_garp_interval = d;
                    } else {
                        self.config.global.vrrp_gna_interval = d;
                    }
                }
            }
            "vrrp_min_garp" => {
                let on =
                    self.knob_bool(stmt, |_| "Invalid value for vrrp_min_garp specified".into());
                if on == Some(true) {
                    // Only values still at their defaults when it is read are changed.
                    let g = &mut self.config.global;
                    g.vrrp_min_garp = true;
                    if g.vrrp_garp_master_repeat == 5 {
                        g.vrrp_garp_master_repeat = 1;
                    }
                    if g.vrrp_garp_master_refresh_repeat == 1 {
                        g.vrrp_garp_master_refresh_repeat = 0;
                    }
                    if g.vrrp_garp_master_delay == Centis::from_secs(5) {
                        g.vrrp_garp_master_delay = Centis::ZERO;
                    }
                }
            }
            "vrrp_lower_prio_no_advert"
            | "vrrp_higher_prio_send_advert"
            | "vrrp_owner_ignore_adverts" => {
                if let Some(b) =
                    self.knob_bool(stmt, |_| format!("Invalid value for {kw} specified"))
                {
                    let g = &mut self.config.global;
                    match kw {
                        "vrrp_lower_prio_no_advert" => g.vrrp_lower_prio_no_advert = b,
                        "vrrp_higher_prio_send_advert" => g.vrrp_higher_prio_send_advert = b,
                        _ => g.vrrp_owner_ignore_adverts = b,
                    }
                }
            }
            // keepalived's handlers ignore any argument: even `vrrp_skip_check_adv_addr off`
            // turns the check off.
            "vrrp_check_unicast_src" => self.config.global.vrrp_check_unicast_src = true,
            "vrrp_skip_check_adv_addr" => self.config.global.vrrp_skip_check_adv_addr = true,
            "v3_checksum_as_v2" => self.config.global.v3_checksum_as_v2 = true,
            "vrrp_startup_delay" => {
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                if let Some(d) = self.knob_micros(t, TIMER_HZ / 1000, kw) {
                    if d >= Duration::from_secs(60) {
                        self.rep.at(
                            Severity::Note,
                            None,
                            &t.span,
                            format!("The vrrp_startup_delay is very large - {} seconds", t.text),
                        );
                    }
                    self.config.global.vrrp_startup_delay = d;
                }
            }
            _ => return false,
        }
        true
    }

    /// The knobs of `vrrp_instance`; true when `st` was one of them. Each is also recorded in
    /// `r.ignored`, which the strict-mode checks of `complete` read for their messages.
    pub(super) fn instance_knob(&mut self, r: &mut RawInstance, st: &Stmt) -> bool {
        let kw = st.keyword();
        let name = r.name.clone();
        let k = &mut r.knobs;
        match kw {
            "garp_lower_prio_delay" => {
                let Some(t) = self.arg(st, 1) else {
                    return true;
                };
                let msg = format!(
                    "({name}): garp_lower_prio_delay '{}' invalid - ignoring",
                    t.text
                );
                if let Some(v) = self.knob_uint(t, 0, u64::from(u32::MAX) / TIMER_HZ, msg) {
                    k.garp_lower_prio_delay = Some(Centis::from_secs(v as u32));
                }
            }
            "garp_lower_prio_repeat" => {
                let Some(t) = self.arg(st, 1) else {
                    return true;
                };
                let msg = format!("({name}): Invalid garp_lower_prio_repeat '{}'", t.text);
                if let Some(v) = self.knob_uint(t, 0, i32::MAX as u64, msg) {
                    k.garp_lower_prio_repeat = Some(v as u32);
                }
            }
            "down_timer_adverts" => {
                let Some(t) = self.arg(st, 1) else {
                    return true;
                };
                let msg = format!("({name}): Invalid down_timer_adverts [1:100] '{}'", t.text);
                if let Some(v) = self.knob_uint(t, 1, 100, msg) {
                    k.down_timer_adverts = Some(v as u32);
                }
            }
            "lower_prio_no_advert"
            | "higher_prio_send_advert"
            | "owner_ignore_adverts"
            | "v3_checksum_as_v2" => {
                let b = self.knob_bool(st, |v| format!("({name}) invalid {kw} {v} specified"));
                let k = &mut r.knobs;
                let slot = match kw {
                    "lower_prio_no_advert" => &mut k.lower_prio_no_advert,
                    "higher_prio_send_advert" => &mut k.higher_prio_send_advert,
                    "owner_ignore_adverts" => &mut k.owner_ignore_adverts,
                    _ => &mut k.v3_checksum_as_v2,
                };
                if b.is_some() {
                    *slot = b;
                }
            }
            "skip_check_adv_addr" => {
                // 2.2.7 sets the flag for any valid BOOL, `false` included.
                if self
                    .knob_bool(st, |v| {
                        format!("({name}) invalid skip_check_adv_addr {v} specified")
                    })
                    .is_some()
                {
                    r.knobs.skip_check_adv_addr = true;
                }
            }
            "check_unicast_src" => {
                k.check_unicast_src = true;
                r.unicast_configured = true;
            }
            "unicast_ttl" => {
                let Some(t) = self.arg(st, 1) else {
                    return true;
                };
                let msg = format!(
                    "({name}): TTL '{}' not valid - must be between 0 & 255",
                    t.text
                );
                if let Some(v) = self.knob_uint(t, 0, 255, msg) {
                    k.unicast_ttl = Some(v as u8);
                }
            }
            _ => return false,
        }
        let first = st.line.words.get(1).map(|t| t.text.clone());
        r.ignored.push((kw.to_string(), first));
        true
    }

    /// Inheritance from `global_defs` and the strict-mode values (`vrrp_complete_instance()`);
    /// the strict-mode messages themselves are `complete`'s.
    pub(super) fn complete_knobs(
        &mut self,
        k: &RawKnobs,
        name: &str,
        span: &Span,
        strict: bool,
        priority: u8,
        unicast: bool,
    ) -> Knobs {
        let g = &self.config.global;
        let owner = priority == 255;
        let down_timer_adverts = if strict {
            3
        } else {
            k.down_timer_adverts.unwrap_or(g.vrrp_down_timer_adverts)
        };
        let garp_lower_prio_repeat = if strict {
            0
        } else {
            k.garp_lower_prio_repeat
                .or(g.vrrp_garp_lower_prio_repeat)
                .unwrap_or(g.vrrp_garp_master_repeat)
        };
        let garp_lower_prio_delay = if strict {
            Centis::ZERO
        } else {
            k.garp_lower_prio_delay
                .or(g.vrrp_garp_lower_prio_delay)
                .unwrap_or(g.vrrp_garp_master_delay)
        };
        let lower_prio_no_advert = strict
            || k.lower_prio_no_advert
                .unwrap_or(g.vrrp_lower_prio_no_advert);
        let higher_prio_send_advert = !strict
            && k.higher_prio_send_advert
                .unwrap_or(g.vrrp_higher_prio_send_advert);
        let skip_check_adv_addr = k.skip_check_adv_addr || g.vrrp_skip_check_adv_addr;
        let check_unicast_src = k.check_unicast_src || g.vrrp_check_unicast_src;
        let v3_checksum_as_v2 = k.v3_checksum_as_v2.unwrap_or(g.v3_checksum_as_v2);
        let global_owner_ignore = g.vrrp_owner_ignore_adverts;
        let owner_ignore_adverts = match k.owner_ignore_adverts {
            Some(true) if !owner => {
                self.error(
                    span,
                    format!("({name}) ignoring owner_ignore_adverts since priority is not 255"),
                );
                false
            }
            None => owner && (strict || global_owner_ignore),
            Some(false) if owner && strict => {
                self.error(
                    span,
                    format!("({name}) strict_mode with priority 255 requires owner_ignore_adverts"),
                );
                true
            }
            Some(b) => b,
        };
        let unicast_ttl = match k.unicast_ttl {
            Some(_) if !unicast => {
                self.error(
                    span,
                    format!("({name}): Cannot use unicast_ttl without unicast peers - resetting"),
                );
                None
            }
            t => t,
        };
        Knobs {
            garp_lower_prio_delay,
            garp_lower_prio_repeat,
            down_timer_adverts,
            lower_prio_no_advert,
            higher_prio_send_advert,
            owner_ignore_adverts,
            skip_check_adv_addr,
            check_unicast_src,
            unicast_ttl,
            v3_checksum_as_v2,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Loaded;
    use crate::model::{Centis, Instance};
    use std::net::{IpAddr, Ipv6Addr};
    use std::time::Duration;

    fn load(text: &str) -> Loaded {
        crate::config::load_test(text)
    }

    /// `global_defs { GLOBAL }` and one instance with `BODY`.
    fn with(global: &str, body: &str) -> (Option<Instance>, Loaded) {
        let l = load(&format!(
            "global_defs {{\n{global}\n}}\nvrrp_instance VI {{\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {{\n198.51.100.50\n}}\n{body}\n}}\n"
        ));
        (
            l.config.as_ref().and_then(|c| c.instances.first().cloned()),
            l,
        )
    }

    #[test]
    fn defaults_are_keepalived_s() {
        let (i, l) = with("", "");
        let i = i.unwrap();
        assert_eq!(l.test_exit_code(), 0);
        assert_eq!(i.garp_lower_prio_delay, Centis::from_secs(5));
        assert_eq!(i.garp_lower_prio_repeat, 5);
        assert_eq!(i.down_timer_adverts, 3);
        assert!(!i.lower_prio_no_advert && !i.higher_prio_send_advert);
        assert!(!i.owner_ignore_adverts && !i.skip_check_adv_addr && !i.check_unicast_src);
        assert_eq!(i.unicast_ttl, None);
        assert!(!i.v3_checksum_as_v2);
        let g = &l.config.unwrap().global;
        assert_eq!(g.vrrp_mcast_group6, "ff02::12".parse::<Ipv6Addr>().unwrap());
        assert_eq!(g.vrrp_garp_interval, Duration::ZERO);
        assert_eq!(g.vrrp_startup_delay, Duration::ZERO);
    }

    #[test]
    fn instances_inherit_the_globals() {
        let (i, l) = with(
            "vrrp_garp_master_repeat 2\nvrrp_garp_master_delay 7\nvrrp_down_timer_adverts 5\nvrrp_lower_prio_no_advert\nvrrp_higher_prio_send_advert true\nvrrp_skip_check_adv_addr off\nvrrp_check_unicast_src\nv3_checksum_as_v2\nvrrp_garp_interval 0.001\nvrrp_gna_interval 0.0005\nvrrp_startup_delay 2.5",
            "",
        );
        assert_eq!(l.messages(), Vec::<String>::new());
        let i = i.unwrap();
        // The lower-priority burst defaults to the master values of global_defs.
        assert_eq!(
            (i.garp_lower_prio_delay, i.garp_lower_prio_repeat),
            (Centis::from_secs(7), 2)
        );
        assert_eq!(i.down_timer_adverts, 5);
        assert!(i.lower_prio_no_advert && i.higher_prio_send_advert);
        // keepalived 2.2.7 ignores the argument of vrrp_skip_check_adv_addr.
        assert!(i.skip_check_adv_addr && i.check_unicast_src && i.v3_checksum_as_v2);
        let g = l.config.unwrap().global;
        assert_eq!(g.vrrp_garp_interval, Duration::from_millis(1));
        assert_eq!(g.vrrp_gna_interval, Duration::from_micros(500));
        assert_eq!(g.vrrp_startup_delay, Duration::from_millis(2500));

        let (i, _) = with(
            "vrrp_garp_lower_prio_delay 1\nvrrp_garp_lower_prio_repeat 3",
            "",
        );
        let i = i.unwrap();
        assert_eq!(
            (i.garp_lower_prio_delay, i.garp_lower_prio_repeat),
            (Centis::from_secs(1), 3)
        );
    }

    #[test]
    fn instance_values_win() {
        let (i, l) = with(
            "vrrp_lower_prio_no_advert\nvrrp_down_timer_adverts 5",
            "garp_lower_prio_delay 2\ngarp_lower_prio_repeat 0\ndown_timer_adverts 1\nlower_prio_no_advert false\nhigher_prio_send_advert\nskip_check_adv_addr false\nv3_checksum_as_v2 no\nunicast_src_ip 198.51.100.2\nunicast_peer {\n198.51.100.3\n}\nunicast_ttl 10\ncheck_unicast_src",
        );
        assert_eq!(l.messages(), Vec::<String>::new());
        let i = i.unwrap();
        assert_eq!(
            (i.garp_lower_prio_delay, i.garp_lower_prio_repeat),
            (Centis::from_secs(2), 0)
        );
        assert_eq!(i.down_timer_adverts, 1);
        assert!(!i.lower_prio_no_advert && i.higher_prio_send_advert);
        // 2.2.7's quirk: any valid BOOL turns skip_check_adv_addr on.
        assert!(i.skip_check_adv_addr && i.check_unicast_src && !i.v3_checksum_as_v2);
        assert_eq!(i.unicast_ttl, Some(10));
    }

    #[test]
    fn bad_values_are_keepalived_s_errors() {
        let (i, l) = with(
            "vrrp_down_timer_adverts 0\nvrrp_garp_interval 0\nvrrp_mcast_group6 224.0.0.1\nvrrp_startup_delay 0.0001\nvrrp_lower_prio_no_advert maybe",
            "down_timer_adverts 101\nunicast_ttl 300\ngarp_lower_prio_repeat -1\nlower_prio_no_advert perhaps",
        );
        let m = l.messages();
        for want in [
            "Invalid vrrp_down_timer_adverts [1:100] '0'",
            "vrrp_garp_interval '0' is invalid",
            "vrrp_mcast_group6 [224.0.0.1] is not IPv6. Skipping",
            "vrrp_startup_delay '0.0001' is invalid",
            "Invalid value for vrrp_lower_prio_no_advert specified",
            "(VI): Invalid down_timer_adverts [1:100] '101'",
            "(VI): TTL '300' not valid - must be between 0 & 255",
            "(VI): Invalid garp_lower_prio_repeat '-1'",
            "(VI) invalid lower_prio_no_advert perhaps specified",
        ] {
            assert!(m.iter().any(|x| x == want), "missing {want:?} in {m:#?}");
        }
        assert_eq!(l.test_exit_code(), 5);
        let i = i.unwrap();
        assert_eq!(i.down_timer_adverts, 3);
        assert!(!i.lower_prio_no_advert);
        assert_eq!(i.mcast_group, "224.0.0.18".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn unicast_ttl_needs_peers() {
        let (i, l) = with("", "unicast_ttl 5");
        assert!(
            l.messages()
                .contains(&"(VI): Cannot use unicast_ttl without unicast peers - resetting".into())
        );
        assert_eq!(i.unwrap().unicast_ttl, None);
    }

    #[test]
    fn mcast_group6_is_the_group_of_ipv6_instances() {
        let l = load(
            "global_defs {\nvrrp_mcast_group6 ff02::1:12\nvrrp_mcast_group4 224.0.0.118\n}\nvrrp_instance V6 {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\nfe80::50\n2001:db8::50\n}\n}\nvrrp_instance V4 {\ninterface eth0\nvirtual_router_id 6\nvirtual_ipaddress {\n198.51.100.50\n}\n}\n",
        );
        assert_eq!(l.test_exit_code(), 0, "{:#?}", l.messages());
        let c = l.config.unwrap();
        assert_eq!(
            c.instances[0].mcast_group,
            "ff02::1:12".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            c.instances[1].mcast_group,
            "224.0.0.118".parse::<IpAddr>().unwrap()
        );
        // Not link-local scope: accepted with keepalived's warning.
        let (_, l) = with("vrrp_mcast_group6 ff05::12", "");
        assert!(
            l.messages()
                .contains(&"vrrp_mcast_group6 [ff05::12] should be link-local multicast.".into())
        );
        assert_eq!(
            l.config.unwrap().global.vrrp_mcast_group6,
            "ff05::12".parse::<Ipv6Addr>().unwrap()
        );
    }

    #[test]
    fn min_garp_changes_only_defaults() {
        let (i, _) = with("vrrp_min_garp", "");
        let i = i.unwrap();
        assert_eq!(
            (
                i.garp_master_repeat,
                i.garp_master_delay,
                i.garp_master_refresh_repeat
            ),
            (1, Centis::ZERO, 0)
        );
        // The lower-priority burst follows the (now minimal) master values.
        assert_eq!(
            (i.garp_lower_prio_repeat, i.garp_lower_prio_delay),
            (1, Centis::ZERO)
        );
        let (i, _) = with("vrrp_garp_master_repeat 3\nvrrp_min_garp", "");
        let i = i.unwrap();
        assert_eq!(
            (i.garp_master_repeat, i.garp_master_delay),
            (3, Centis::ZERO)
        );
        // Values given after it win.
        let (i, _) = with("vrrp_min_garp\nvrrp_garp_master_delay 4", "");
        assert_eq!(i.unwrap().garp_master_delay, Centis::from_secs(4));
        let (i, _) = with("vrrp_min_garp false", "");
        assert_eq!(i.unwrap().garp_master_repeat, 5);
    }

    #[test]
    fn strict_mode_values() {
        let (i, l) = with(
            "vrrp_strict\nvrrp_down_timer_adverts 6\nvrrp_higher_prio_send_advert",
            "",
        );
        let i = i.unwrap();
        assert_eq!(i.down_timer_adverts, 3);
        assert_eq!(
            (i.garp_lower_prio_repeat, i.garp_lower_prio_delay),
            (0, Centis::ZERO)
        );
        assert!(i.lower_prio_no_advert && !i.higher_prio_send_advert);
        assert!(!i.owner_ignore_adverts);
        drop(l);
        let (i, _) = with("vrrp_strict", "state MASTER\npriority 255");
        assert!(i.unwrap().owner_ignore_adverts);
    }

    #[test]
    fn v3_advert_int_down_to_10ms() {
        let (i, l) = with("", "version 3\nadvert_int 0.01");
        assert_eq!(l.test_exit_code(), 0, "{:#?}", l.messages());
        assert_eq!(i.unwrap().advert_int, Centis(1));
        let (i, _) = with("vrrp_version 3", "advert_int 0.25");
        assert_eq!(i.unwrap().advert_int, Centis(25));
        // Finer than 10 ms: rounded, with keepalived's error.
        let (i, l) = with("", "version 3\nadvert_int 0.015");
        assert_eq!(i.unwrap().advert_int, Centis(2));
        assert!(
            l.messages().contains(
                &"(VI) VRRPv3 advertisement interval 0.015000s must be in units of 10ms - rounding"
                    .into()
            )
        );
        // VRRPv2 carries whole seconds: 0.01 becomes 1 s.
        let (i, l) = with("", "advert_int 0.01");
        assert_eq!(i.unwrap().advert_int, Centis::from_secs(1));
        assert!(l.messages().contains(
            &"(VI) VRRPv2 advertisement interval 0.010000s must be an integer. rounding".into()
        ));
    }

    #[test]
    fn owner_ignore_adverts_is_for_owners() {
        let (i, l) = with("", "owner_ignore_adverts");
        assert!(
            l.messages()
                .contains(&"(VI) ignoring owner_ignore_adverts since priority is not 255".into())
        );
        assert!(!i.unwrap().owner_ignore_adverts);
        let (i, _) = with("vrrp_owner_ignore_adverts", "priority 255");
        assert!(i.unwrap().owner_ignore_adverts);
        let (i, _) = with("vrrp_owner_ignore_adverts", "priority 200");
        assert!(!i.unwrap().owner_ignore_adverts);
    }
}
