//! Strict mode and accept mode (inventory §2.6, §4.5): `vrrp_strict`, `strict_mode`,
//! `accept` / `no_accept` and the nftables keywords of `global_defs` (`nftables`,
//! `nftables_priority`, `nftables_ifindex`, `nftables_counters`, and the legacy
//! `vrrp_iptables` / `vrrp_ipsets`), with keepalived 2.2.7's messages as Debian builds it
//! (nftables, no iptables, no ipset). The instance-level derivation follows
//! `vrrp_complete_instance()`: accept mode defaults on, off in strict mode for non-owners,
//! and is forced off for VRRPv2 in strict mode; any instance left without it switches the
//! nftables firewall on.

use super::super::diag::{Level, Severity, Span};
use super::super::source::Token;
use super::super::tree::Stmt;
use super::{RawInstance, Validator};
use crate::model::{DEFAULT_NFTABLES_TABLE, Version};

/// The kernel's `NFT_TABLE_MAXNAMELEN` (with its NUL): keepalived refuses longer names.
const NFT_TABLE_MAXNAMELEN: usize = 256;

impl Validator<'_> {
    /// The strict-mode and firewall keywords of `global_defs`.
    pub(super) fn firewall_global(&mut self, stmt: &Stmt) {
        let w = &stmt.line.words;
        let fw = &mut self.config.global.firewall;
        match stmt.keyword() {
            "vrrp_strict" => {
                // keepalived 2.2.7's handler ignores its argument: `vrrp_strict off` is on.
                self.strict = true;
                self.config.global.vrrp_strict = true;
                self.ignored_value(stmt, "strict mode is on");
            }
            "vrrp_iptables" => {
                // Built without iptables, keepalived maps the legacy keyword to nftables
                // (overwriting any `nftables` name, and without its "already specified").
                fw.table = Some(DEFAULT_NFTABLES_TABLE.to_owned());
                fw.priority = -1;
                self.error(
                    &stmt.line.span,
                    "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option",
                );
            }
            "vrrp_ipsets" => {
                // Only registered when keepalived is built with ipset support, which Debian's
                // nftables build is not.
                let kw = &w[0];
                self.rep
                    .at(
                        Severity::Warning,
                        Some(Level::UnknownKeyword),
                        &kw.span,
                        format!("Unknown keyword '{}'", kw.text),
                    )
                    .help = Some(
                    "keepalived 2.2.7 built without iptables (as Debian's) does not know it; \
                     `nftables [TABLE]` replaces `vrrp_iptables` and `vrrp_ipsets`"
                        .into(),
                );
            }
            "nftables" => {
                if fw.table.is_some() {
                    self.error(&stmt.line.span, "nftables already specified - ignoring");
                    return;
                }
                let name = w.get(1).map_or(DEFAULT_NFTABLES_TABLE, |t| t.text.as_str());
                if name.len() >= NFT_TABLE_MAXNAMELEN {
                    self.error(&w[1].span, "nftables table name too long - ignoring");
                    return;
                }
                fw.table = Some(name.to_owned());
                fw.priority = -1;
            }
            "nftables_priority" => {
                let Some(t) = self.arg(stmt, 1) else { return };
                if let Some(p) = self.int32(t) {
                    self.config.global.firewall.priority = p;
                } else {
                    self.rep.at(
                        Severity::Error,
                        Some(Level::InvalidNumber),
                        &t.span,
                        format!("invalid nftables chain priority '{}'", t.text),
                    );
                }
            }
            "nftables_ifindex" => {
                fw.ifindex = true;
                self.ignored_value(stmt, "interface indexes are used");
            }
            "nftables_counters" => {
                fw.counters = true;
                self.ignored_value(stmt, "counters are on");
            }
            _ => unreachable!("firewall_global called for {}", stmt.keyword()),
        }
    }

    /// A flag keyword keepalived turns on whatever follows it (`vrrp_strict off` is on): say
    /// so, since the value reads as the opposite of what happens.
    fn ignored_value(&mut self, stmt: &Stmt, effect: &str) {
        if let Some(t) = stmt.line.words.get(1) {
            self.note_help(
                &t.span,
                format!(
                    "`{}` takes no value: keepalived ignores `{}`, {effect}",
                    stmt.keyword(),
                    t.text
                ),
                "remove the keyword to leave it off",
            );
        }
    }

    /// `read_int_strvec()` over the whole `int` range: `strtol` base 10 with keepalived's
    /// messages.
    fn int32(&mut self, t: &Token) -> Option<i32> {
        let s = t.text.trim_start();
        let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
        let msg = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            match s.strip_prefix('+').unwrap_or(s).parse::<i32>() {
                Ok(v) => return Some(v),
                Err(_) => format!("number '{}' outside integer range", t.text),
            }
        } else {
            format!("invalid number '{}'", t.text)
        };
        self.rep
            .at(Severity::Error, Some(Level::InvalidNumber), &t.span, msg);
        None
    }

    /// `strict_mode [BOOL]` of an instance, with keepalived's message for a bad value.
    pub(super) fn strict_mode(&mut self, r: &mut RawInstance, st: &Stmt) {
        match st.line.words.get(1).map(|t| (t, t.text.as_str())) {
            None | Some((_, "true" | "on" | "yes")) => r.strict = Some(true),
            Some((_, "false" | "off" | "no")) => r.strict = Some(false),
            Some((t, other)) => {
                let name = r.name.clone();
                self.error(
                    &t.span,
                    format!("({name}) invalid strict_mode {other} specified"),
                );
            }
        }
    }

    /// Accept mode after `vrrp_complete_instance()`'s rules; `configured` is the last of
    /// `accept` / `no_accept`.
    pub(super) fn accept_mode(
        &mut self,
        span: &Span,
        name: &str,
        configured: Option<bool>,
        priority: u8,
        strict: bool,
        version: Version,
    ) -> bool {
        let owner = priority == 255;
        let accept = configured.unwrap_or(owner || !strict);
        if accept && !owner && strict && version == Version::V2 {
            self.error(
                span,
                format!("({name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting"),
            );
            return false;
        }
        accept
    }

    /// After every instance is read: an instance that drops VIP traffic or has `use_vmac`
    /// switches the nftables firewall on (with keepalived's start-up line), and the first
    /// instance that drops gets our note saying what that means for services on this host.
    pub(super) fn finish_firewall(&mut self) {
        let dropping: Vec<String> = self
            .config
            .instances
            .iter()
            .filter(|i| i.drops_vip_traffic())
            .map(|i| i.name.clone())
            .collect();
        // vrrp_complete_instance(): a VMAC's IGMP/MLD reports need the firewall too.
        let vmac = self.config.instances.iter().any(|i| i.vmac.own.is_some());
        if dropping.is_empty() && !vmac {
            return;
        }
        let table = match &self.config.global.firewall.table {
            Some(t) => t.clone(),
            None => {
                // keepalived logs this when its VRRP process starts (not under -t).
                self.rep.global(
                    Severity::Note,
                    None,
                    "use_vmac or no_accept/strict specified, but no firewall configured - using nftables",
                );
                let t = DEFAULT_NFTABLES_TABLE.to_owned();
                self.config.global.firewall.table = Some(t.clone());
                t
            }
        };
        let Some(first) = dropping.first() else {
            return;
        };
        let others = match dropping.len() {
            1 => String::new(),
            2 => format!(" (and {})", dropping[1]),
            n => format!(" (and {} more: {}, …)", n - 1, dropping[1]),
        };
        let msg = format!(
            "({first}) no accept mode{others}: while MASTER, packets to and from its VIPs are \
             dropped (nftables tables ip/ip6 {table}), so nothing on this host answers on them"
        );
        let help = "add `accept` to the instance if services here must answer on the VIPs \
                    (under vrrp_strict, accept mode needs `version 3`: VRRPv2 has none)";
        match self.instance_spans.get(first).cloned() {
            Some(span) => self.note_help(&span, msg, help),
            None => self.rep.global(Severity::Note, None, msg).help = Some(help.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_test;
    use crate::model::{Config, Firewall};

    /// One instance (`body` inside it) under `global` in global_defs.
    fn load(global: &str, body: &str) -> (Config, Vec<String>) {
        let l = load_test(&format!(
            "global_defs {{\n{global}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n \
             virtual_router_id 51\n{body}\n virtual_ipaddress {{\n 198.51.100.50\n }}\n}}\n"
        ));
        let msgs = l.diagnostics.iter().map(|d| d.message.clone()).collect();
        (l.config.expect("loads"), msgs)
    }

    /// (strict, accept, drops) of the instance.
    fn modes(global: &str, body: &str) -> (bool, bool, bool) {
        let (c, _) = load(global, body);
        let i = &c.instances[0];
        (i.strict, i.accept, i.drops_vip_traffic())
    }

    #[test]
    fn accept_mode_defaults_follow_strict_mode_and_ownership() {
        // vrrp_complete_instance(): accept unless strict; owners always accept.
        assert_eq!(modes("", ""), (false, true, false));
        assert_eq!(modes("vrrp_strict", ""), (true, false, true));
        assert_eq!(modes("vrrp_strict", " priority 255"), (true, true, false));
        assert_eq!(modes("", " strict_mode"), (true, false, true));
        assert_eq!(
            modes("vrrp_strict", " strict_mode off"),
            (false, true, false)
        );
        // no_accept without strict mode drops too; an owner with no_accept does not.
        assert_eq!(modes("", " no_accept"), (false, false, true));
        assert_eq!(
            modes("", " priority 255\n no_accept"),
            (false, false, false)
        );
        // The last of accept / no_accept wins.
        assert_eq!(modes("", " no_accept\n accept"), (false, true, false));
        assert_eq!(modes("", " accept\n no_accept"), (false, false, true));
    }

    #[test]
    fn strict_vrrpv2_cannot_accept_but_v3_can() {
        let (c, msgs) = load("vrrp_strict", " accept");
        assert!(c.instances[0].drops_vip_traffic());
        assert!(msgs.contains(
            &"(VI_1) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting"
                .to_string()
        ));
        let (c, msgs) = load("vrrp_strict", " version 3\n accept");
        assert!(c.instances[0].accept);
        assert!(!msgs.iter().any(|m| m.contains("RFC3768")));
        // Not strict: VRRPv2 keeps accept mode without a word.
        let (c, msgs) = load("", " accept");
        assert!(c.instances[0].accept);
        assert!(!msgs.iter().any(|m| m.contains("RFC3768")));
    }

    #[test]
    fn vrrp_strict_ignores_its_value() {
        let (c, msgs) = load("vrrp_strict off", "");
        assert!(c.global.vrrp_strict && c.instances[0].strict);
        assert!(msgs.iter().any(|m| m.contains("keepalived ignores `off`")));
    }

    #[test]
    fn a_dropping_or_vmac_instance_switches_the_default_table_on() {
        let (c, msgs) = load("vrrp_strict", "");
        assert_eq!(c.global.firewall.table.as_deref(), Some("keepalived"));
        assert!(msgs.contains(
            &"use_vmac or no_accept/strict specified, but no firewall configured - using nftables"
                .to_string()
        ));
        assert!(msgs.iter().any(|m| m.starts_with("(VI_1) no accept mode")));
        // Nothing drops: no table, no note.
        let (c, msgs) = load("", "");
        assert_eq!(c.global.firewall, Firewall::default());
        assert!(!msgs.iter().any(|m| m.contains("accept")));
        // use_vmac switches it on too, without the no-accept note.
        let (c, msgs) = load("", " use_vmac");
        assert_eq!(c.global.firewall.table.as_deref(), Some("keepalived"));
        assert!(msgs.iter().any(|m| m.contains("using nftables")));
        assert!(!msgs.iter().any(|m| m.contains("no accept mode")));
        // A configured table is kept, without keepalived's "using nftables" line.
        let (c, msgs) = load("nftables fw\nvrrp_strict", "");
        assert_eq!(c.global.firewall.table.as_deref(), Some("fw"));
        assert!(!msgs.iter().any(|m| m.contains("using nftables")));
    }

    #[test]
    fn nftables_keywords_in_keepalived_order() {
        // `nftables` resets the priority given before it, not one given after.
        let (c, _) = load("nftables_priority 10\nnftables", "");
        assert_eq!(c.global.firewall.priority, -1);
        let (c, _) = load("nftables t1\nnftables_priority -300", "");
        assert_eq!(
            c.global.firewall,
            Firewall {
                table: Some("t1".into()),
                priority: -300,
                ifindex: false,
                counters: false
            }
        );
        // Without `nftables` the priority stays for the table an instance switches on.
        let (c, _) = load("nftables_priority 10\nvrrp_strict", "");
        assert_eq!(c.global.firewall.priority, 10);
        assert_eq!(c.global.firewall.table.as_deref(), Some("keepalived"));
        // vrrp_iptables: the default table, priority reset, and keepalived's error.
        let (c, msgs) = load("nftables other\nnftables_priority 5\nvrrp_iptables", "");
        assert_eq!(c.global.firewall.table.as_deref(), Some("keepalived"));
        assert_eq!(c.global.firewall.priority, -1);
        assert!(msgs.iter().any(|m| m.starts_with("iptables not supported")));
        let (_, msgs) = load("nftables a\nnftables b", "");
        assert!(msgs.contains(&"nftables already specified - ignoring".to_string()));
        let (c, _) = load("nftables_ifindex\nnftables_counters", "");
        assert!(c.global.firewall.ifindex && c.global.firewall.counters);
    }

    #[test]
    fn priority_and_name_limits() {
        for (v, first) in [
            ("abc", "invalid number 'abc'"),
            ("2147483648", "number '2147483648' outside integer range"),
            ("-2147483649", "number '-2147483649' outside integer range"),
            ("1x", "invalid number '1x'"),
        ] {
            let (c, msgs) = load(&format!("nftables_priority {v}"), "");
            assert_eq!(c.global.firewall.priority, -1, "{v}");
            assert_eq!(msgs[0], first);
            assert_eq!(msgs[1], format!("invalid nftables chain priority '{v}'"));
        }
        let (c, _) = load("nftables_priority -2147483648", "");
        assert_eq!(c.global.firewall.priority, i32::MIN);
        let (c, msgs) = load(&format!("nftables {}", "t".repeat(256)), "");
        assert_eq!(c.global.firewall.table, None);
        assert!(msgs.contains(&"nftables table name too long - ignoring".to_string()));
        let (c, _) = load(&format!("nftables {}", "t".repeat(255)), "");
        assert_eq!(c.global.firewall.table.map(|t| t.len()), Some(255));
    }

    #[test]
    fn vrrp_ipsets_is_unknown_as_in_debian_s_build() {
        let (_, msgs) = load("vrrp_ipsets a b", "");
        assert!(msgs.contains(&"Unknown keyword 'vrrp_ipsets'".to_string()));
    }

    #[test]
    fn strict_mode_bad_value_keeps_the_global() {
        let (c, msgs) = load("vrrp_strict", " strict_mode maybe");
        assert!(c.instances[0].strict);
        assert!(msgs.contains(&"(VI_1) invalid strict_mode maybe specified".to_string()));
    }
}
