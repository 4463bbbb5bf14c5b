//! The notify and mail keywords beyond the four state scripts (inventory §2.2, §2.3, §6):
//! `notify_deleted`, `notify_master_rx_lower_pri`, `notify_priority_changes` in
//! `vrrp_instance`; `no_email_faults`, `vrrp_notify_priority_changes` and
//! `fifo_write_vrrp_states_on_reload` in `global_defs`; and display-name recipients in
//! `notification_email`. Messages are keepalived 2.2.7's (`vrrp_parser.c`, `global_parser.c`).

use super::{RawInstance, Validator};
use crate::config::source::Token;
use crate::config::tree::Stmt;

impl Validator<'_> {
    /// A `global_defs` keyword of this module; false when `stmt` is not one.
    pub(super) fn notifyx_global(&mut self, stmt: &Stmt) -> bool {
        let g = &mut self.config.global;
        match stmt.keyword() {
            "no_email_faults" => g.no_email_faults = true,
            "fifo_write_vrrp_states_on_reload" => g.fifo_write_vrrp_states_on_reload = true,
            "umask" => {
                if let Some(m) = self.umask(stmt) {
                    self.config.global.umask = Some(m);
                }
            }
            "vrrp_notify_priority_changes" => {
                if let Some(b) = self.boolean(stmt, "global vrrp_notify_priority_changes") {
                    self.config.global.vrrp_notify_priority_changes = b;
                }
            }
            _ => return false,
        }
        true
    }

    /// `umask MASK` as keepalived's `umask_handler()`: a number (`strtol` base 0: `0177`,
    /// `0x7f`, `127`) alone on the line, or bit names `IRUSR IWUSR IXUSR IRGRP IWGRP IXGRP
    /// IROTH IWOTH IXOTH` joined by `|` (blanks allowed around it).
    fn umask(&mut self, stmt: &Stmt) -> Option<u32> {
        let w = &stmt.line.words;
        let first = w.get(1)?;
        if first.text.starts_with(|c: char| c.is_ascii_digit()) {
            if w.len() != 2 {
                let what = if w.len() == 1 { "Missing" } else { "Extra" };
                self.error(
                    &stmt.line.span,
                    format!("{what} parameter(s) to umask option"),
                );
                return None;
            }
            let t = first.text.as_str();
            let parsed = if let Some(h) = t.strip_prefix("0x").or(t.strip_prefix("0X")) {
                u32::from_str_radix(h, 16)
            } else if t.len() > 1 && t.starts_with('0') {
                u32::from_str_radix(&t[1..], 8)
            } else {
                t.parse::<u32>()
            };
            return match parsed {
                Ok(v) if v & !0o777 == 0 => Some(v),
                _ => {
                    self.error(&first.span, format!("invalid umask value {t}"));
                    None
                }
            };
        }
        const BITS: [(&str, u32); 9] = [
            ("IRUSR", 0o400),
            ("IWUSR", 0o200),
            ("IXUSR", 0o100),
            ("IRGRP", 0o040),
            ("IWGRP", 0o020),
            ("IXGRP", 0o010),
            ("IROTH", 0o004),
            ("IWOTH", 0o002),
            ("IXOTH", 0o001),
        ];
        let mut mask = 0;
        let mut need_or = false;
        for t in &w[1..] {
            let mut p = t.text.as_str();
            while !p.is_empty() {
                if need_or {
                    match p.strip_prefix('|') {
                        Some(rest) => {
                            need_or = false;
                            p = rest;
                            continue;
                        }
                        None => {
                            self.error(&t.span, format!("Invalid umask syntax {}", t.text));
                            return None;
                        }
                    }
                }
                match BITS.iter().find(|(name, _)| p.starts_with(name)) {
                    Some((name, bit)) => {
                        mask |= bit;
                        p = &p[name.len()..];
                        need_or = true;
                    }
                    None => {
                        self.error(&t.span, format!("Unknown umask bit {p}"));
                        return None;
                    }
                }
            }
        }
        if !need_or {
            self.error(&stmt.line.span, "umask missing bit value");
            return None;
        }
        Some(mask)
    }

    /// keepalived resolves a `smtp_server` host name when it reads the configuration and
    /// reports `Invalid smtp server HOST PORT` when that fails (the server is then kept here,
    /// and resolved again for each mail). Host checks only: no name service in golden tests.
    pub(super) fn smtp_host_resolves(&mut self, stmt: &Stmt, port: u16) {
        let Some(host) = stmt.line.words.get(1) else {
            return;
        };
        if !self.opts.check_interfaces || host.text.parse::<std::net::IpAddr>().is_ok() {
            return;
        }
        if dns_lookup::lookup_host(&host.text).is_ok_and(|mut a| a.next().is_some()) {
            return;
        }
        self.error(
            &host.span,
            format!("Invalid smtp server {} {port}", host.text),
        );
    }

    /// A `vrrp_instance` keyword of this module; false when `st` is not one.
    pub(super) fn notifyx_instance(&mut self, r: &mut RawInstance, st: &Stmt) -> bool {
        let name = r.name.clone();
        let w = &st.line.words;
        match st.keyword() {
            "notify_deleted" => {
                if r.notify.notify_deleted {
                    let what = w.get(1).map_or("", |t| t.text.as_str());
                    self.error(
                        &st.line.span,
                        format!("({name}) notify_deleted already specified - ignoring {what}"),
                    );
                    return true;
                }
                // Without a command it only switches the notification from FAULT to DELETED.
                if w.len() > 1 {
                    r.notify.deleted = self.script_cmd(st, true).map(Box::new);
                }
                r.notify.notify_deleted = true;
            }
            "notify_master_rx_lower_pri" => {
                if r.notify.master_rx_lower_pri.is_some() {
                    let what = w.get(1).map_or("", |t| t.text.as_str());
                    self.error(
                        &st.line.span,
                        format!(
                            "({name}) notify_master_rx_lower_pri script already specified - ignoring {what}"
                        ),
                    );
                    return true;
                }
                r.notify.master_rx_lower_pri = self.script_cmd(st, true).map(Box::new);
            }
            "notify_priority_changes" => match w.get(1).map(|t| t.text.as_str()) {
                None | Some("true" | "on" | "yes") => r.notify_priority_changes = Some(true),
                Some("false" | "off" | "no") => r.notify_priority_changes = Some(false),
                Some(other) => self.error(
                    &w[1].span,
                    format!(
                        "({name}) Invalid value '{other}' for notify_priority_changes specified"
                    ),
                ),
            },
            _ => return false,
        }
        true
    }
}

/// The recipients of one `notification_email` line. keepalived takes every word as an address,
/// so `"Ops Team" <ops@example.org>` gives the two recipients `Ops Team` and
/// `<ops@example.org>` and the mail fails at the first `RCPT`. Here a word that is not an address
/// (no `@`, no `<`) followed by an `<addr>` word is one recipient, `Ops Team <ops@example.org>`:
/// the envelope gets `<ops@example.org>` and the `To:` header the whole text, as keepalived
/// ≥ 2.3 does for the quoted single-word form `"Ops Team <ops@example.org>"`.
pub(super) fn email_recipients(words: &[Token]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i].text;
        let next = words.get(i + 1).map(|t| t.text.as_str());
        let is_name = !w.contains('@') && !w.contains('<') && !w.is_empty();
        match next {
            Some(n) if is_name && n.starts_with('<') && n.ends_with('>') => {
                out.push(format!("{} {n}", display_name(w)));
                i += 2;
            }
            _ => {
                out.push(w.clone());
                i += 1;
            }
        }
    }
    out
}

/// A display name as an RFC 5322 phrase: kept as is when it is only atoms and spaces, else
/// quoted (with `"` and `\` escaped).
fn display_name(name: &str) -> String {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~ ".contains(c);
    if name.chars().all(atext) {
        name.to_owned()
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{LoadOptions, Loaded, load_str};

    fn load(text: &str) -> Loaded {
        crate::config::load_test(text)
    }

    fn instance(body: &str, global: &str) -> Loaded {
        load(&format!(
            "global_defs {{\n{global}\n}}\nvrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n \
             priority 100\n virtual_ipaddress {{\n  192.0.2.1\n }}\n{body}\n}}\n"
        ))
    }

    #[test]
    fn notify_deleted_with_and_without_command() {
        let l = instance("notify_deleted", "");
        let i = &l.config.as_ref().unwrap().instances[0];
        assert!(i.notify.notify_deleted);
        assert_eq!(i.notify.deleted, None);

        let l = instance(
            "notify_deleted \"/x/del.sh a 'b c'\" nobody\nnotify_deleted /y.sh",
            "",
        );
        let i = &l.config.as_ref().unwrap().instances[0];
        assert!(i.notify.notify_deleted);
        let c = i.notify.deleted.as_ref().unwrap();
        assert_eq!(c.argv, ["/x/del.sh", "a", "b c"]);
        assert_eq!(c.user.as_ref().unwrap().user, "nobody");
        assert!(
            l.messages()
                .contains(&"(VI_1) notify_deleted already specified - ignoring /y.sh".into()),
            "{:?}",
            l.messages()
        );
    }

    #[test]
    fn master_rx_lower_pri_script_and_duplicate() {
        let l = instance(
            "notify_master_rx_lower_pri \"/x/lower.sh now\"\nnotify_master_rx_lower_pri /z.sh",
            "",
        );
        let i = &l.config.as_ref().unwrap().instances[0];
        assert_eq!(
            i.notify.master_rx_lower_pri.as_ref().unwrap().argv,
            ["/x/lower.sh", "now"]
        );
        assert!(l.messages().contains(
            &"(VI_1) notify_master_rx_lower_pri script already specified - ignoring /z.sh".into()
        ));
        let dump = crate::config::dump::dump(l.config.as_ref().unwrap());
        assert!(dump.contains("  notify_master_rx_lower_pri [\"/x/lower.sh\", \"now\"] user -\n"));
    }

    #[test]
    fn priority_changes_instance_overrides_global() {
        let l = instance("", "vrrp_notify_priority_changes");
        let c = l.config.unwrap();
        assert!(c.global.vrrp_notify_priority_changes);
        assert!(c.instances[0].notify_priority_changes);

        let l = instance(
            "notify_priority_changes false",
            "vrrp_notify_priority_changes",
        );
        assert!(!l.config.unwrap().instances[0].notify_priority_changes);

        let l = instance("notify_priority_changes", "");
        let c = l.config.unwrap();
        assert!(c.instances[0].notify_priority_changes);
        assert!(crate::config::dump::dump(&c).contains("  notify_priority_changes true\n"));

        let l = instance(
            "notify_priority_changes maybe",
            "vrrp_notify_priority_changes bad",
        );
        let m = l.messages();
        assert!(m.contains(
            &"(VI_1) Invalid value 'maybe' for notify_priority_changes specified".into()
        ));
        assert!(m.contains(
            &"Invalid value 'bad' for global vrrp_notify_priority_changes specified".into()
        ));
        let c = l.config.unwrap();
        assert!(!c.instances[0].notify_priority_changes);
    }

    #[test]
    fn global_flags_and_dump() {
        let l = instance("", "no_email_faults\nfifo_write_vrrp_states_on_reload");
        assert!(
            !l.messages().iter().any(|m| m.contains("not acted on")),
            "{:?}",
            l.messages()
        );
        let c = l.config.unwrap();
        assert!(c.global.no_email_faults);
        assert!(c.global.fifo_write_vrrp_states_on_reload);
        let d = crate::config::dump::dump(&c);
        assert!(d.contains("  no_email_faults true\n"), "{d}");
        assert!(
            d.contains("  fifo_write_vrrp_states_on_reload true\n"),
            "{d}"
        );
        // Defaults print nothing, so dumps of configs without these keywords are unchanged.
        let c = instance("", "").config.unwrap();
        let d = crate::config::dump::dump(&c);
        assert!(!d.contains("no_email_faults") && !d.contains("notify_priority_changes"));
    }

    #[test]
    fn umask_numbers_and_bit_names() {
        let um = |v: &str| {
            let l = load(&format!("global_defs {{\n umask {v}\n}}\n"));
            (l.config.as_ref().unwrap().global.umask, l.messages())
        };
        assert_eq!(um("0177").0, Some(0o177));
        assert_eq!(um("0x3f").0, Some(0o77));
        assert_eq!(um("18").0, Some(0o22));
        assert_eq!(um("IWGRP|IWOTH").0, Some(0o22));
        assert_eq!(um("IXUSR | IRWXG").1, ["Unknown umask bit IRWXG"]);
        assert_eq!(
            um("IRGRP | IWGRP|IXGRP IROTH").1,
            ["Invalid umask syntax IROTH"]
        );
        assert_eq!(um("IWGRP |").1, ["umask missing bit value"]);
        assert_eq!(um("01777").1, ["invalid umask value 01777"]);
        assert_eq!(um("022 x").1, ["Extra parameter(s) to umask option"]);
        assert_eq!(um("089").0, None);
        let c = load("global_defs {\n umask IRWXO|IWGRP\n}\n");
        assert_eq!(c.messages(), ["Unknown umask bit IRWXO|IWGRP"]);
        let c = load("global_defs {\n umask 027\n}\n").config.unwrap();
        assert!(crate::config::dump::dump(&c).contains("  umask 0027\n"));
    }

    #[test]
    fn smtp_server_host_names_resolve_at_load_with_host_checks() {
        let opts = LoadOptions {
            config_id: "main".into(),
            check_interfaces: true,
            all_config: false,
        };
        let l = load_str(
            "k.conf",
            "global_defs {\n smtp_server localhost 2525\n}\n",
            &opts,
        );
        let s = l
            .config
            .as_ref()
            .unwrap()
            .global
            .smtp_server
            .clone()
            .unwrap();
        assert_eq!((s.host.as_str(), s.port), ("localhost", 2525));
        assert!(l.messages().is_empty(), "{:?}", l.messages());
        // `.invalid` never resolves (RFC 2606).
        let l = load_str(
            "k.conf",
            "global_defs {\n smtp_server mail.ka-rs.invalid\n}\n",
            &opts,
        );
        assert_eq!(l.messages(), ["Invalid smtp server mail.ka-rs.invalid 25"]);
    }

    #[test]
    fn display_name_recipients() {
        let l = load(
            "global_defs {\n notification_email {\n  admin@example.org \"Ops Team\" <ops@example.org>\n  \
             \"Night Shift <night@example.org>\"\n  \"O'Brien, Pat\" <pat@example.org>\n  <bare@example.org>\n }\n}\n",
        );
        assert_eq!(
            l.config.unwrap().global.notification_email,
            [
                "admin@example.org",
                "Ops Team <ops@example.org>",
                "Night Shift <night@example.org>",
                "\"O'Brien, Pat\" <pat@example.org>",
                "<bare@example.org>",
            ]
        );
    }
}
