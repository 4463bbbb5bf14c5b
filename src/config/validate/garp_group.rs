//! `garp_group { garp_interval gna_interval interface interfaces }` (keepalived 2.2.7
//! `vrrp_parser.c`): interfaces that share one pace for gratuitous ARPs / unsolicited NAs, in
//! place of the global `vrrp_garp_interval` / `vrrp_gna_interval` for them.

use std::time::Duration;

use super::{Validator, interface_exists};
use crate::config::diag::{Severity, Span};
use crate::config::source::Token;
use crate::config::tree::Stmt;
use crate::model::GarpGroup;

/// keepalived's `TIMER_HZ_DIGITS`: intervals are read in microseconds.
const US_DIGITS: u32 = 6;
/// `INT_MAX` microseconds, keepalived's bound.
const MAX_US: u64 = i32::MAX as u64;

impl Validator<'_> {
    pub(super) fn garp_group(&mut self, stmt: &Stmt) {
        let mut g = GarpGroup::default();
        // keepalived numbers a group only when it has an `interfaces` block (its message
        // about a group without delays then names that number, else 0).
        let mut number = 0;
        let mut numbered = false;
        let body = self.block(stmt);
        for st in body {
            let w = &st.line.words;
            match st.keyword() {
                kw @ ("garp_interval" | "gna_interval") => {
                    let Some(t) = w.get(1) else {
                        self.missing(st, 1);
                        continue;
                    };
                    let Some(v) = self.garp_interval(kw, t) else {
                        continue;
                    };
                    if kw == "garp_interval" {
                        g.garp_interval = Some(v);
                    } else {
                        g.gna_interval = Some(v);
                    }
                }
                "interface" => {
                    let Some(t) = w.get(1) else {
                        self.missing(st, 1);
                        continue;
                    };
                    self.garp_group_member(&mut g, &t.text, &t.span, &t.text, true);
                }
                "interfaces" => {
                    let items = self.block(st);
                    let names: Vec<&Token> = items.iter().flat_map(|i| &i.line.words).collect();
                    if names.is_empty() {
                        self.error(&st.line.span, "Warning - empty garp_group interfaces block");
                        continue;
                    }
                    number = self.garp_numbered + 1;
                    numbered = true;
                    // keepalived's "already specified" message names the block's second
                    // interface, whichever one is the duplicate (a quirk kept for `-t`).
                    let second = names
                        .get(1)
                        .map_or("(null)", |t| t.text.as_str())
                        .to_owned();
                    for t in names {
                        self.garp_group_member(&mut g, &t.text, &t.span, &second, false);
                    }
                }
                _ if self.not_supported("garp_group", st) => {}
                _ => self.unknown("garp_group", st),
            }
        }
        if g.garp_interval.is_none() && g.gna_interval.is_none() {
            self.error(
                &stmt.line.span,
                format!("garp group {number} does not have any delay set - removing"),
            );
            return;
        }
        if numbered {
            self.garp_numbered += 1;
        }
        self.config.global.garp_groups.push(g);
    }

    /// `garp_interval` / `gna_interval`: decimal seconds, microsecond resolution.
    fn garp_interval(&mut self, kw: &str, t: &Token) -> Option<Duration> {
        let Some(us) = self.decimal_lenient(t, US_DIGITS, 0, MAX_US) else {
            self.error(&t.span, format!("garp_group {kw} '{}' invalid", t.text));
            return None;
        };
        if us >= 1_000_000 {
            self.rep.at(
                Severity::Note,
                None,
                &t.span,
                format!("The {kw} is very large - {} seconds", t.text),
            );
        }
        Some(Duration::from_micros(us))
    }

    /// One interface of a group: it must exist (unless `dynamic_interfaces`) and belong to
    /// no other group. `dup_name` is the name keepalived prints for a duplicate.
    fn garp_group_member(
        &mut self,
        g: &mut GarpGroup,
        name: &str,
        span: &Span,
        dup_name: &str,
        single: bool,
    ) {
        if self.check_ifs() && !interface_exists(name) {
            self.error(
                span,
                format!("WARNING - interface {name} specified for garp_group doesn't exist"),
            );
            return;
        }
        let taken = g.interfaces.iter().any(|i| i == name)
            || self
                .config
                .global
                .garp_groups
                .iter()
                .any(|x| x.interfaces.iter().any(|i| i == name));
        if taken {
            let shown = if single { name } else { dup_name };
            self.error(
                span,
                format!("garp_group already specified for {shown} - ignoring"),
            );
            return;
        }
        g.interfaces.push(name.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_test;
    use crate::model::GarpGroup;
    use std::time::Duration;

    fn load(body: &str) -> (Vec<GarpGroup>, Vec<String>, i32) {
        let l = load_test(body);
        let msgs = l.diagnostics.iter().map(|d| d.message.clone()).collect();
        let code = l.test_exit_code();
        let groups = l.config.map(|c| c.global.garp_groups).unwrap_or_default();
        (groups, msgs, code)
    }

    #[test]
    fn groups_with_intervals_and_interfaces() {
        let (g, msgs, code) = load(
            "garp_group {\n garp_interval 0.002\n gna_interval 0.5\n interface eth0\n}\n\
             garp_group {\n gna_interval 0.01\n interfaces {\n eth1 eth2\n eth3\n }\n}\n",
        );
        assert_eq!(code, 0, "{msgs:?}");
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].garp_interval, Some(Duration::from_millis(2)));
        assert_eq!(g[0].gna_interval, Some(Duration::from_millis(500)));
        assert_eq!(g[0].interfaces, ["eth0"]);
        assert_eq!(g[1].garp_interval, None);
        assert_eq!(g[1].interfaces, ["eth1", "eth2", "eth3"]);
    }

    #[test]
    fn a_word_that_is_no_number_counts_as_what_strtoull_reads() {
        // keepalived reports it and goes on with the leading digits (none: 0).
        let (g, msgs, code) = load("garp_group {\n garp_interval soon\n interface eth0\n}\n");
        assert_eq!(code, 5);
        assert_eq!(msgs, ["invalid number 'soon'"]);
        assert_eq!(g[0].garp_interval, Some(Duration::ZERO));
        let (g, _, _) = load("garp_group {\n gna_interval 1.5x\n interface eth0\n}\n");
        assert_eq!(g[0].gna_interval, Some(Duration::from_micros(15)));
    }

    #[test]
    fn keepalived_s_errors() {
        let (g, msgs, code) = load(
            "garp_group {\n garp_interval -1\n interface eth0\n}\n\
             garp_group {\n garp_interval 2\n interfaces {\n eth1 eth0\n }\n interface eth1\n}\n\
             garp_group {\n interfaces {\n }\n}\n",
        );
        assert_eq!(code, 5);
        assert!(msgs.contains(&"garp_group garp_interval '-1' invalid".to_string()));
        // The first group has no delay left: removed (it has no `interfaces` block: number 0).
        assert!(msgs.contains(&"garp group 0 does not have any delay set - removing".to_string()));
        assert!(msgs.contains(&"The garp_interval is very large - 2 seconds".to_string()));
        // eth0 was in the removed group only, so it may join the second one; eth1 twice:
        // keepalived names the block's second interface for a duplicate from `interfaces`,
        // the interface itself for one from `interface`.
        assert!(msgs.contains(&"garp_group already specified for eth1 - ignoring".to_string()));
        assert!(msgs.contains(&"Warning - empty garp_group interfaces block".to_string()));
        assert!(msgs.contains(&"garp group 0 does not have any delay set - removing".to_string()));
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].interfaces, ["eth1", "eth0"]);
    }
}
