//! The LVS half of keepalived.conf, checked as keepalived 2.2.7's checker process checks it
//! and not acted on: `virtual_server`, `virtual_server_group`, `SSL`, `real_server` and every
//! checker block (`check_parser.c`, `check_data.c`, `check_*.c`, `ipwrapper.c
//! link_vsg_to_vs()`).
//!
//! keepalived's `-t` runs the checker's parse and `validate_check_config()` in-process, so an
//! unknown keyword, a bad value or a missing one there decides its exit code as much as the
//! VRRP side does. We reproduce that reading: every keyword of every LVS block is known, each
//! value is read with keepalived's readers and messages (`values.rs`), a missing required value
//! stops `-t` with exit 2, a block whose address is invalid is skipped whole, and the
//! post-parse checks (no real servers, no protocol, protocol with a fwmark, no scheduler,
//! duplicate real servers, quorum, ports, script security) report what keepalived reports.
//! Nothing of it reaches the model: keepalived-rs does not program IPVS or run health
//! checkers yet, which one warning per block kind says.

mod checkers;
#[cfg(test)]
mod tests;
mod values;

use std::net::IpAddr;

use super::Validator;
use crate::config::diag::{Level, Severity, Span};
use crate::config::tree::Stmt;
use crate::model::ScriptCommand;
use values::{SockAddr, addr_str, inet_aton, no_port, true_false};

/// keepalived's `IPVS_WEIGHT_LIMIT` (`INT32_MAX`).
const WEIGHT_LIMIT: u64 = i32::MAX as u64;
/// `LVS_MAX_TIMEOUT`: 31 days, for `persistence_timeout`.
const LVS_MAX_TIMEOUT: u64 = 86_400 * 31;
/// `IPVS_SVC_PERSISTENT_TIMEOUT`: the persistence a bare `persistence_timeout` sets.
const PERSISTENT_TIMEOUT: u64 = 360;
/// `IP_VS_PENAME_MAXLEN`.
const PENAME_MAXLEN: usize = 16;
/// keepalived's schedulers (`lvs_schedulers[]`).
const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos",
];

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

fn family(ip: &IpAddr) -> Family {
    if ip.is_ipv4() { Family::V4 } else { Family::V6 }
}

/// `protocol`: what `inet_sockaddrtotrio()` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Tcp,
    Udp,
    Sctp,
}

fn proto_str(p: Option<Proto>) -> &'static str {
    match p {
        Some(Proto::Tcp) => "tcp",
        Some(Proto::Udp) => "udp",
        Some(Proto::Sctp) => "sctp",
        None => "none",
    }
}

/// `lvs_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fwd {
    Nat,
    Dr,
    Tun,
}

/// What a virtual server is keyed by.
#[derive(Debug, Clone)]
enum VsKey {
    Addr(SockAddr),
    Fwmark(u32),
    /// `virtual_server group NAME`; the number is its place among the servers of that group
    /// (keepalived prints it as the port).
    Group(String, u16),
}

/// A real or sorry server.
#[derive(Debug, Clone)]
struct Server {
    addr: SockAddr,
    fwd: Option<Fwd>,
    /// `inhibit_on_failure`; `None` = the virtual server's.
    inhibit: Option<bool>,
    /// `weight`; `None` = the virtual server's.
    weight: Option<u64>,
    notify: Vec<ScriptCommand>,
    span: Span,
}

/// A virtual server while and after its block is read.
#[derive(Debug)]
struct VirtualServer {
    key: VsKey,
    span: Span,
    af: Option<Family>,
    proto: Option<Proto>,
    sched: Option<String>,
    ops: bool,
    persistence_timeout: u64,
    ha_suspend: bool,
    fwd: Option<Fwd>,
    inhibit: bool,
    quorum: u64,
    hysteresis: u64,
    weight: u64,
    quorum_scripts: Vec<ScriptCommand>,
    quorum_up: bool,
    quorum_down: bool,
    sorry: Option<Server>,
    rs: Vec<Server>,
}

impl VirtualServer {
    /// `FMT_VS()`.
    fn label(&self) -> String {
        match &self.key {
            VsKey::Group(name, seq) => format!("[{name}]:{seq}"),
            VsKey::Fwmark(m) => format!("FWM {m}"),
            VsKey::Addr(a) => trio(a, self.proto),
        }
    }

    /// `FMT_RS()`.
    fn rs_label(&self, rs: &SockAddr) -> String {
        trio(rs, self.proto)
    }

    /// keepalived prints the group name of the server (NULL unless `group`) in some messages.
    fn group_name(&self) -> &str {
        match &self.key {
            VsKey::Group(n, _) => n,
            _ => "(null)",
        }
    }
}

/// `inet_sockaddrtotrio()`: `[ADDR]:PROTO:PORT`.
fn trio(a: &SockAddr, p: Option<Proto>) -> String {
    format!("[{}]:{}:{}", addr_str(&a.ip), proto_str(p), a.port)
}

/// One `virtual_server_group` entry.
#[derive(Debug, Clone)]
enum GroupEntry {
    Fwmark,
    /// An address range and its port (0 = none).
    Range {
        start: IpAddr,
        end: IpAddr,
        port: u16,
    },
}

#[derive(Debug)]
struct Group {
    name: String,
    entries: Vec<GroupEntry>,
    have_v4: bool,
    have_v6: bool,
}

impl Group {
    fn has_fwmark(&self) -> bool {
        self.entries.iter().any(|e| matches!(e, GroupEntry::Fwmark))
    }
    fn ranges(&self) -> impl Iterator<Item = (&IpAddr, &IpAddr, u16)> {
        self.entries.iter().filter_map(|e| match e {
            GroupEntry::Range { start, end, port } => Some((start, end, *port)),
            GroupEntry::Fwmark => None,
        })
    }
}

/// What the LVS blocks left behind for the whole-configuration checks.
#[derive(Debug, Default)]
pub(super) struct Lvs {
    servers: Vec<VirtualServer>,
    groups: Vec<Group>,
    ssl_seen: bool,
    /// `bfd_instance` names a `BFD_CHECK` may use (those not restricted to `vrrp`).
    bfds: Vec<String>,
    /// Every `MISC_CHECK` script still queued (keepalived checks them all).
    misc_scripts: Vec<ScriptCommand>,
}

impl Validator<'_> {
    /// One warning per kind of LVS block: it is checked, but nothing acts on it.
    fn lvs_kind_note(&mut self, stmt: &Stmt) {
        let kind: &'static str = match stmt.keyword() {
            "virtual_server" => "virtual_server",
            "virtual_server_group" => "virtual_server_group",
            _ => "SSL",
        };
        if self.noted.insert(("top", kind)) {
            self.rep
                .at(
                    Severity::Warning,
                    None,
                    &stmt.line.words[0].span,
                    format!(
                        "`{kind}` is checked as keepalived checks it, but keepalived-rs does not act on it: the LVS half (IPVS services, health checkers) is not supported yet"
                    ),
                )
                .help = Some(format!(
                "further `{kind}` blocks are checked without repeating this warning"
            ));
        }
    }

    /// Top-level LVS blocks: `virtual_server`, `virtual_server_group`, `SSL`.
    pub(super) fn lvs_top(&mut self, stmt: &Stmt) {
        self.lvs_kind_note(stmt);
        match stmt.keyword() {
            "virtual_server" => self.virtual_server(stmt),
            "virtual_server_group" => self.virtual_server_group(stmt),
            _ => self.ssl(stmt),
        }
    }

    /// `bfd_instance NAME { … }` as the checker sees it: the name, unless the block names its
    /// users and `checker` is not among them.
    pub(super) fn lvs_bfd_instance(&mut self, stmt: &Stmt) {
        let Some(name) = stmt.line.words.get(1) else {
            return;
        };
        let body = stmt.block.as_deref().unwrap_or(&[]);
        let users: Vec<&str> = body
            .iter()
            .map(|s| s.keyword())
            .filter(|k| matches!(*k, "vrrp" | "checker"))
            .collect();
        if users.is_empty() || users.contains(&"checker") {
            self.lvs.bfds.push(name.text.clone());
        }
    }

    /// A keyword that takes no block, or the block keyword's block.
    fn lvs_body<'s>(&mut self, st: &'s Stmt) -> &'s [Stmt] {
        self.block(st)
    }

    /// keepalived's "Unknown keyword", with a hint when the keyword is a known one in the
    /// wrong block, or one keepalived dropped.
    fn lvs_unknown(&mut self, block: &'static str, st: &Stmt) {
        self.unknown(block, st);
        let kw = st.keyword();
        let hint = match kw {
            "nat_mask" => Some(
                "`nat_mask` was removed in keepalived 1.2.20: delete the line"
                    .to_string(),
            ),
            "nb_get_retry" => Some(
                "`nb_get_retry` exists only in HTTP_GET and SSL_GET (and is deprecated there): use `retry`"
                    .to_string(),
            ),
            _ => {
                let mut homes: Vec<&str> = crate::config::keywords::KEYWORDS
                    .iter()
                    .filter(|k| k.name == kw && k.block != block)
                    .map(|k| if k.block == "top" { "the top level" } else { k.block })
                    .collect();
                homes.dedup();
                (!homes.is_empty()).then(|| {
                    format!("`{kw}` belongs in {}, not in {block}", homes.join(", "))
                })
            }
        };
        if let (Some(h), Some(d)) = (hint, self.rep.diags.last_mut()) {
            if d.help.is_none() {
                d.help = Some(h);
            }
        }
    }

    fn lvs_error(&mut self, span: &Span, msg: impl Into<String>) {
        self.rep
            .at(Severity::Error, Some(Level::GeneralError), span, msg);
    }

    /// A value keyword: no block, and a note on ignored words.
    fn lvs_plain(&mut self, block: &'static str, st: &Stmt) {
        self.no_block(st);
        self.extra_words(block, st);
    }

    /// The optional BOOL of `smtp_alert`, `alpha`…: absent = true; `None` after reporting
    /// `msg` with the word.
    fn lvs_bool(&mut self, st: &Stmt, msg: &str) -> Option<bool> {
        let Some(t) = st.line.words.get(1) else {
            return Some(true);
        };
        match true_false(&t.text) {
            Some(b) => Some(b),
            None => {
                self.lvs_error(&t.span, format!("{msg} {}", t.text));
                None
            }
        }
    }

    fn ssl(&mut self, stmt: &Stmt) {
        if self.lvs.ssl_seen {
            self.lvs_error(&stmt.line.span, "SSL context already specified - replacing");
        }
        self.lvs.ssl_seen = true;
        let body = self.lvs_body(stmt);
        let mut seen: Vec<&str> = Vec::new();
        for st in body {
            let what = match st.keyword() {
                "password" => "password",
                "ca" => "cafile",
                "certificate" => "certfile",
                "key" => "keyfile",
                _ => {
                    self.lvs_unknown("SSL", st);
                    continue;
                }
            };
            self.lvs_plain("SSL", st);
            if st.line.words.len() < 2 {
                self.lvs_error(&st.line.span, format!("SSL {what} missing"));
                continue;
            }
            if seen.contains(&what) {
                self.lvs_error(
                    &st.line.span,
                    format!("SSL {what} already specified - replacing"),
                );
            }
            seen.push(what);
        }
    }

    fn virtual_server_group(&mut self, stmt: &Stmt) {
        let Some(name) = self.arg(stmt, 1).map(|t| t.text.clone()) else {
            return;
        };
        if let Some(extra) = stmt.line.words.get(2) {
            self.lvs_error(
                &extra.span,
                format!(
                    "Block virtual_server_group has extra parameters {} ...",
                    extra.text
                ),
            );
        }
        let body = self.lvs_body(stmt);
        let mut g = Group {
            name,
            entries: Vec::new(),
            have_v4: false,
            have_v6: false,
        };
        let mut fwmark_no_family = false;
        for st in body {
            self.no_block(st);
            self.group_entry(&mut g, &mut fwmark_no_family, st);
        }
        if g.entries.is_empty() {
            self.lvs_error(
                &stmt.line.span,
                format!("virtual server group {} has no entries - removing", g.name),
            );
            return;
        }
        if g.have_v4 && g.have_v6 && fwmark_no_family {
            self.lvs_error(
                &stmt.line.span,
                format!(
                    "virtual server group {} cannot have IPv4, IPv6 and fwmark without family - removing",
                    g.name
                ),
            );
            return;
        }
        self.lvs.groups.push(g);
    }

    /// `alloc_vsg_entry()`: `fwmark N [inet|inet6]`, or `ADDR[-END|/MASK] [PORT]`.
    fn group_entry(&mut self, g: &mut Group, fwmark_no_family: &mut bool, st: &Stmt) {
        let w = &st.line.words;
        let first = &w[0];
        if first.text == "fwmark" {
            let Some(m) = self.arg(st, 1) else { return };
            if self.lvs_unsigned(m, 0, u64::from(u32::MAX)).is_none() {
                self.lvs_error(
                    &m.span,
                    format!(
                        "({}): fwmark '{}' must be in [0, {}] - ignoring",
                        g.name,
                        m.text,
                        u32::MAX
                    ),
                );
                return;
            }
            match w.get(2).map(|t| t.text.as_str()) {
                Some("inet") => g.have_v4 = true,
                Some("inet6") => g.have_v6 = true,
                Some(other) => {
                    self.lvs_error(
                        &w[2].span,
                        format!(
                            "({}): fwmark '{}' family {other} unknown - ignoring",
                            g.name, m.text
                        ),
                    );
                    return;
                }
                None => *fwmark_no_family = true,
            }
            g.entries.push(GroupEntry::Fwmark);
            return;
        }
        let text = first.text.as_str();
        let port_tok = w.get(1).filter(|_| !no_port(w.get(1)));
        let Some(start) = self.lvs_sockaddr(text, port_tok) else {
            let p = port_tok.map(|t| t.text.as_str());
            self.lvs_error(
                &first.span,
                format!(
                    "Invalid virtual server group IP address {text} {}{}{} - skipping",
                    if p.is_some() { "/port" } else { "" },
                    if p.is_some() { "/" } else { "" },
                    p.unwrap_or("")
                ),
            );
            return;
        };
        let end = if let Some((_, mask)) = text.split_once('/') {
            match group_mask(&start.ip, mask) {
                Ok(end) => end,
                Err(msg) => {
                    self.lvs_error(&first.span, format!("{msg} - {text} - skipping"));
                    return;
                }
            }
        } else if let Some((_, e)) = text
            .split_once('-')
            .filter(|(_, e)| e.contains(if start.ip.is_ipv4() { '.' } else { ':' }))
        {
            let Some(end) = self.lvs_sockaddr(e, port_tok) else {
                self.lvs_error(&first.span, format!("Invalid range end {text} - skipping"));
                return;
            };
            if family(&end.ip) != family(&start.ip) {
                self.lvs_error(
                    &first.span,
                    format!("Range address families do not match {text} - skipping"),
                );
                return;
            }
            if end.ip < start.ip {
                self.lvs_error(
                    &first.span,
                    format!(
                        "Address range end is less than address range start - {text} - skipping"
                    ),
                );
                return;
            }
            end.ip
        } else if let Some((_, r)) = text.split_once('-') {
            // `inet_stor()`: the last byte (IPv4, decimal) or group (IPv6, hex) of the end.
            let v6 = text.contains(':');
            let (v, over, rest) = values::strtoul(r, if v6 { 16 } else { 10 });
            if !rest.is_empty() {
                self.rep.at(
                    Severity::Error,
                    Some(Level::InvalidNumber),
                    &first.span,
                    format!(
                        "Virtual server group range '{text}' has extra characters at end '{rest}'"
                    ),
                );
                return;
            }
            if over || v > if v6 { 0xffff } else { 255 } {
                self.rep.at(
                    Severity::Error,
                    Some(Level::InvalidNumber),
                    &first.span,
                    format!("Virtual server group range '{text}' end '{r}' too large"),
                );
                return;
            }
            let (first_part, end) = match start.ip {
                IpAddr::V4(a) => {
                    let o = a.octets();
                    let end = std::net::Ipv4Addr::new(o[0], o[1], o[2], v as u8);
                    (u64::from(o[3]), IpAddr::V4(end))
                }
                IpAddr::V6(a) => {
                    let mut s = a.segments();
                    let first_part = u64::from(s[7]);
                    s[7] = v as u16;
                    (first_part, IpAddr::V6(s.into()))
                }
            };
            if first_part >= v {
                self.lvs_error(
                    &first.span,
                    format!(
                        "Address range end is not greater than address range start - {text} - skipping"
                    ),
                );
                return;
            }
            end
        } else {
            start.ip
        };
        match family(&start.ip) {
            Family::V4 => g.have_v4 = true,
            Family::V6 => g.have_v6 = true,
        }
        g.entries.push(GroupEntry::Range {
            start: start.ip,
            end,
            port: start.port,
        });
    }

    fn virtual_server(&mut self, stmt: &Stmt) {
        let w = &stmt.line.words;
        let Some(first) = self.arg(stmt, 1) else {
            return;
        };
        let key = match first.text.as_str() {
            "group" => {
                let Some(name) = self.arg(stmt, 2) else {
                    return;
                };
                VsKey::Group(name.text.clone(), 0)
            }
            "fwmark" => {
                let Some(m) = self.arg(stmt, 2) else { return };
                let Some(v) = self.lvs_unsigned(m, 0, u64::from(u32::MAX)) else {
                    self.lvs_error(
                        &m.span,
                        format!(
                            "virtual server fwmark '{}' must be in [0, {}] - ignoring",
                            m.text,
                            u32::MAX
                        ),
                    );
                    return;
                };
                VsKey::Fwmark(v as u32)
            }
            text => {
                let port = w.get(2).filter(|_| !no_port(w.get(2)));
                match self.lvs_sockaddr(text, port) {
                    Some(a) => VsKey::Addr(a),
                    None => {
                        let p = port.map(|t| t.text.as_str());
                        self.lvs_error(
                            &first.span,
                            format!(
                                "Invalid virtual server IP address{} {text}{}{} - skipping",
                                if p.is_some() { "/port" } else { "" },
                                if p.is_some() { "/" } else { "" },
                                p.unwrap_or("")
                            ),
                        );
                        return;
                    }
                }
            }
        };
        let af = match &key {
            VsKey::Addr(a) => Some(family(&a.ip)),
            _ => None,
        };
        let mut vs = VirtualServer {
            key,
            span: stmt.line.span.clone(),
            af,
            proto: None,
            sched: None,
            ops: false,
            persistence_timeout: 0,
            ha_suspend: false,
            fwd: None,
            inhibit: false,
            quorum: 1,
            hysteresis: 0,
            weight: 1,
            quorum_scripts: Vec::new(),
            quorum_up: false,
            quorum_down: false,
            sorry: None,
            rs: Vec::new(),
        };
        let body = self.lvs_body(stmt);
        for st in body {
            self.vs_keyword(&mut vs, st);
        }
        // vs_end_handler(): a sorry server that is not tunnelled must share the family.
        if let Some(s) = &vs.sorry {
            if s.fwd != Some(Fwd::Tun) {
                let f = family(&s.addr.ip);
                match vs.af {
                    None => vs.af = Some(f),
                    Some(af) if af != f => {
                        let span = s.span.clone();
                        self.lvs_error(
                            &span,
                            format!(
                                "Address family of virtual server and sorry server {} don't match - skipping sorry server.",
                                addr_str(&s.addr.ip)
                            ),
                        );
                        vs.sorry = None;
                    }
                    Some(_) => {}
                }
            }
        }
        self.lvs.servers.push(vs);
    }

    fn vs_keyword(&mut self, vs: &mut VirtualServer, st: &Stmt) {
        const B: &str = "virtual_server";
        let kw = st.keyword();
        let w = &st.line.words;
        if kw == "real_server" {
            self.real_server(vs, st);
            return;
        }
        if crate::config::keywords::find(B, kw).is_none() {
            self.lvs_unknown(B, st);
            return;
        }
        self.lvs_plain(B, st);
        match kw {
            "ip_family" => {
                let Some(t) = self.arg(st, 1) else { return };
                let f = match t.text.as_str() {
                    "inet" => Family::V4,
                    "inet6" => Family::V6,
                    other => {
                        self.lvs_error(&t.span, format!("unknown address family {other}"));
                        return;
                    }
                };
                if vs.af.is_some_and(|af| af != f) {
                    self.lvs_error(
                        &t.span,
                        format!(
                            "Virtual server specified family {} conflicts with server family",
                            t.text
                        ),
                    );
                    return;
                }
                vs.af = Some(f);
            }
            "retry" => {
                let Some(t) = self.arg(st, 1) else { return };
                if self.lvs_unsigned(t, 1, u64::from(u32::MAX)).is_none() {
                    self.lvs_error(&t.span, format!("retry value invalid - {}", t.text));
                }
            }
            "delay_before_retry" | "warmup" | "connect_timeout" | "delay_loop" => {
                let Some(t) = self.arg(st, 1) else { return };
                let (min, max, what) = match kw {
                    "delay_before_retry" => (0, 0, "delay before retry '{}'"),
                    "warmup" => (0, 0, "warmup '{}'"),
                    "connect_timeout" => (1, u64::from(u32::MAX), "connect_timeout {}"),
                    _ => (1, 0, "delay loop '{}'"),
                };
                if self.lvs_timer(t, min, max).is_none() {
                    let what = what.replace("{}", &t.text);
                    self.lvs_error(&t.span, format!("virtual server {what} invalid - ignoring"));
                }
            }
            "inhibit_on_failure" => vs.inhibit = true,
            "lb_algo" | "lvs_sched" => {
                let Some(t) = self.arg(st, 1) else { return };
                if SCHEDULERS.contains(&t.text.as_str()) {
                    vs.sched = Some(t.text.clone());
                } else {
                    let help = match crate::config::keywords::closest(SCHEDULERS, &t.text) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("schedulers: {}", SCHEDULERS.join(", ")),
                    };
                    let d = self.rep.at(
                        Severity::Error,
                        Some(Level::GeneralError),
                        &t.span,
                        format!("Invalid lvs_scheduler '{}' - ignoring", t.text),
                    );
                    d.help = Some(help);
                }
            }
            "ops" => vs.ops = true,
            "flag-1" | "flag-2" | "flag-3" => {}
            "hashed" | "sh-port" | "sh-fallback" | "mh-port" | "mh-fallback" => {
                // lbflags_handler(): the sh/mh flags need that scheduler chosen *before*
                // them; `hashed` is never accepted.
                let ok = matches!(vs.sched.as_deref(), Some("sh" | "mh"));
                if !ok {
                    self.lvs_error(
                        &w[0].span,
                        format!("{kw} only applies to sh scheduler - ignoring"),
                    );
                }
            }
            "lb_kind" | "lvs_method" => {
                if let Some(f) = self.lvs_forwarding(st, "virtual") {
                    vs.fwd = Some(f);
                }
            }
            "persistence_engine" => {
                let Some(t) = self.arg(st, 1) else { return };
                if t.text.len() > PENAME_MAXLEN {
                    self.lvs_error(
                        &t.span,
                        format!("persistence_name too long, truncating - {}", t.text),
                    );
                }
            }
            "persistence_timeout" => {
                let Some(t) = w.get(1) else {
                    vs.persistence_timeout = PERSISTENT_TIMEOUT;
                    return;
                };
                match self.lvs_unsigned(t, 1, LVS_MAX_TIMEOUT) {
                    Some(v) => vs.persistence_timeout = v,
                    None => self.lvs_error(&t.span, "persistence_timeout invalid"),
                }
            }
            "persistence_granularity" => {
                let Some(t) = self.arg(st, 1) else { return };
                let f = vs.af.unwrap_or(if t.text.contains('.') {
                    Family::V4
                } else {
                    Family::V6
                });
                let ok = match f {
                    Family::V6 => self.lvs_unsigned(t, 1, 128).is_some(),
                    Family::V4 => inet_aton(&t.text).is_some(),
                };
                if !ok {
                    let v = if f == Family::V6 { "IPv6" } else { "IPv4" };
                    self.lvs_error(
                        &t.span,
                        format!("Invalid {v} persistence_granularity specified - {}", t.text),
                    );
                    return;
                }
                vs.af.get_or_insert(f);
                if vs.persistence_timeout == 0 {
                    vs.persistence_timeout = PERSISTENT_TIMEOUT;
                }
            }
            "protocol" => {
                let Some(t) = self.arg(st, 1) else { return };
                match t.text.to_ascii_uppercase().as_str() {
                    "TCP" => vs.proto = Some(Proto::Tcp),
                    "UDP" => vs.proto = Some(Proto::Udp),
                    "SCTP" => vs.proto = Some(Proto::Sctp),
                    _ => self.lvs_error(&t.span, format!("Unknown protocol {} - ignoring", t.text)),
                }
            }
            "ha_suspend" => vs.ha_suspend = true,
            "smtp_alert" => {
                self.lvs_bool(st, "Invalid virtual_server smtp_alert parameter");
            }
            "virtualhost" if w.len() < 2 => {
                self.lvs_error(&st.line.span, "virtual server virtualhost missing");
            }
            "snmp_name" if w.len() != 2 => {
                self.lvs_error(
                    &st.line.span,
                    "virtual server snmp_name missing or extra parameters",
                );
            }
            "alpha" | "omega" => {}
            "quorum_up" | "quorum_down" => {
                let up = kw == "quorum_up";
                if (up && vs.quorum_up) || (!up && vs.quorum_down) {
                    let Some(t) = self.arg(st, 1) else { return };
                    self.lvs_error(
                        &t.span,
                        format!(
                            "({}) {kw} script already specified - ignoring {}",
                            vs.group_name(),
                            t.text
                        ),
                    );
                    return;
                }
                if let Some(cmd) = self.script_cmd(st, true) {
                    vs.quorum_scripts.push(cmd);
                }
                if up {
                    vs.quorum_up = true;
                } else {
                    vs.quorum_down = true;
                }
            }
            "quorum" => {
                let Some(t) = self.arg(st, 1) else { return };
                vs.quorum = match self.lvs_unsigned(t, 1, u64::from(u32::MAX)) {
                    Some(v) => v,
                    None => {
                        self.lvs_error(
                            &t.span,
                            format!(
                                "Quorum {} must be in [1, {}]. Setting to 1.",
                                t.text,
                                u32::MAX
                            ),
                        );
                        1
                    }
                };
            }
            "hysteresis" => {
                let Some(t) = self.arg(st, 1) else { return };
                match self.lvs_unsigned(t, 0, u64::from(u32::MAX)) {
                    Some(v) => vs.hysteresis = v,
                    None => self.lvs_error(
                        &t.span,
                        format!(
                            "Hysteresis {} must be in [0, {}] - ignoring",
                            t.text,
                            u32::MAX
                        ),
                    ),
                }
            }
            "weight" => {
                let Some(t) = self.arg(st, 1) else { return };
                match self.lvs_unsigned(t, 1, WEIGHT_LIMIT) {
                    Some(v) => vs.weight = v,
                    None => self.lvs_error(
                        &t.span,
                        format!(
                            "Virtual server weight {} is outside range 1-{WEIGHT_LIMIT}",
                            t.text
                        ),
                    ),
                }
            }
            "sorry_server" => {
                let Some(ip) = self.arg(st, 1) else { return };
                let port = w.get(2).filter(|_| !no_port(w.get(2)));
                match self.lvs_sockaddr(&ip.text, port) {
                    Some(addr) => {
                        vs.sorry = Some(Server {
                            addr,
                            fwd: vs.fwd,
                            inhibit: Some(false),
                            weight: Some(1),
                            notify: Vec::new(),
                            span: st.line.span.clone(),
                        });
                    }
                    None => self.lvs_error(
                        &ip.span,
                        format!("Invalid sorry server IP address {} - skipping", ip.text),
                    ),
                }
            }
            "sorry_server_inhibit" => match &mut vs.sorry {
                Some(s) => s.inhibit = Some(true),
                None => self.lvs_error(
                    &st.line.span,
                    "Ignoring sorry_server inhibit used before or without sorry_server",
                ),
            },
            "sorry_server_lvs_method" => {
                if vs.sorry.is_none() {
                    self.lvs_error(
                        &st.line.span,
                        "sorry_server forwarding used without sorry_server",
                    );
                    return;
                }
                if let Some(f) = self.lvs_forwarding(st, "sorry") {
                    if let Some(s) = &mut vs.sorry {
                        s.fwd = Some(f);
                    }
                }
            }
            _ => {}
        }
    }

    /// `svr_forwarding_handler()`: `NAT|DR|TUN` and the tunnel options. The method is kept
    /// even when an option is wrong (keepalived sets it first).
    fn lvs_forwarding(&mut self, st: &Stmt, who: &str) -> Option<Fwd> {
        #[derive(PartialEq)]
        enum Tun {
            Ipip,
            Gue,
            Gre,
        }
        #[derive(PartialEq)]
        enum Csum {
            No,
            Yes,
            Remote,
        }
        let w = &st.line.words;
        let t = self.arg(st, 1)?;
        let fwd = match t.text.as_str() {
            "NAT" => Fwd::Nat,
            "DR" => Fwd::Dr,
            "TUN" => Fwd::Tun,
            other => {
                self.lvs_error(
                    &t.span,
                    format!("PARSER : unknown [{other}] routing method for {who} server."),
                );
                return None;
            }
        };
        let mut tun = Tun::Ipip;
        let mut port = 0;
        let mut csum = Csum::No;
        let mut i = 2;
        while i < w.len() {
            match w[i].text.as_str() {
                "type" => {
                    let Some(v) = w.get(i + 1) else {
                        self.lvs_error(
                            &w[i].span,
                            format!("Missing tunnel type for {who} server."),
                        );
                        return Some(fwd);
                    };
                    tun = match v.text.as_str() {
                        "ipip" => Tun::Ipip,
                        "gue" => Tun::Gue,
                        "gre" => Tun::Gre,
                        other => {
                            self.lvs_error(
                                &v.span,
                                format!("Unknown tunnel type {other} for {who} server."),
                            );
                            return Some(fwd);
                        }
                    };
                    i += 1;
                }
                "port" => {
                    let Some(v) = w.get(i + 1) else {
                        self.lvs_error(
                            &w[i].span,
                            format!("Missing port for {who} server gue tunnel."),
                        );
                        return Some(fwd);
                    };
                    match self.lvs_unsigned(v, 1, 65535) {
                        Some(p) => port = p,
                        None => {
                            self.lvs_error(
                                &v.span,
                                format!("Invalid gue tunnel port {} for {who} server.", v.text),
                            );
                            return Some(fwd);
                        }
                    }
                    i += 1;
                }
                "nocsum" => csum = Csum::No,
                "csum" => csum = Csum::Yes,
                "remcsum" => csum = Csum::Remote,
                other => {
                    self.lvs_error(
                        &w[i].span,
                        format!("Invalid tunnel option {other} for {who} server."),
                    );
                    return Some(fwd);
                }
            }
            i += 1;
        }
        if (tun == Tun::Gue) != (port != 0) {
            self.lvs_error(
                &st.line.span,
                "gue tunnels require port, otherwise cannot have port.",
            );
        } else if tun == Tun::Ipip && csum != Csum::No {
            self.lvs_error(
                &st.line.span,
                "ipip tunnels do not support checksum option.",
            );
        } else if tun == Tun::Gre && csum == Csum::Remote {
            self.lvs_error(
                &st.line.span,
                "gre tunnels do not support remote checksum option.",
            );
        }
        Some(fwd)
    }

    fn real_server(&mut self, vs: &mut VirtualServer, stmt: &Stmt) {
        const B: &str = "real_server";
        let w = &stmt.line.words;
        let Some(ip) = self.arg(stmt, 1) else { return };
        let port = w.get(2).filter(|_| !no_port(w.get(2)));
        let Some(addr) = self.lvs_sockaddr(&ip.text, port) else {
            self.lvs_error(
                &ip.span,
                format!(
                    "Invalid real server ip address/port {}/{} - skipping",
                    ip.text,
                    w.get(2).map_or("(null)", |t| t.text.as_str())
                ),
            );
            return;
        };
        let mut rs = Server {
            addr,
            fwd: vs.fwd,
            inhibit: None,
            weight: None,
            notify: Vec::new(),
            span: stmt.line.span.clone(),
        };
        let mut notify_up = false;
        let mut notify_down = false;
        let mut bfds: Vec<String> = Vec::new();
        let body = self.lvs_body(stmt);
        for st in body {
            let kw = st.keyword();
            let Some(k) = crate::config::keywords::find(B, kw) else {
                self.lvs_unknown(B, st);
                continue;
            };
            if k.args == "block" {
                self.checker(vs, &rs, &mut bfds, st);
                continue;
            }
            self.lvs_plain(B, st);
            match kw {
                "weight" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    match self.lvs_unsigned(t, 0, WEIGHT_LIMIT) {
                        Some(v) => rs.weight = Some(v),
                        None => self.lvs_error(
                            &t.span,
                            format!(
                                "Real server weight {} is outside range 0-{WEIGHT_LIMIT}",
                                t.text
                            ),
                        ),
                    }
                }
                "lvs_method" => {
                    if let Some(f) = self.lvs_forwarding(st, "real") {
                        rs.fwd = Some(f);
                    }
                }
                "uthreshold" | "lthreshold" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    if self.lvs_unsigned(t, 0, u64::from(u32::MAX)).is_none() {
                        self.lvs_error(
                            &t.span,
                            format!("Invalid real_server {kw} '{}' - ignoring", t.text),
                        );
                    }
                }
                "inhibit_on_failure" => {
                    if let Some(b) = self.lvs_bool(st, "Invalid inhibit_on_failure parameter") {
                        rs.inhibit = Some(b);
                    }
                }
                "notify_up" | "notify_down" => {
                    let up = kw == "notify_up";
                    if (up && notify_up) || (!up && notify_down) {
                        let Some(t) = self.arg(st, 1) else { continue };
                        self.lvs_error(
                            &t.span,
                            format!(
                                "({}) {kw} script already specified - ignoring {}",
                                vs.group_name(),
                                t.text
                            ),
                        );
                        continue;
                    }
                    if let Some(cmd) = self.script_cmd(st, true) {
                        rs.notify.push(cmd);
                    }
                    if up {
                        notify_up = true;
                    } else {
                        notify_down = true;
                    }
                }
                "alpha" => {
                    self.lvs_bool(st, "Invalid alpha parameter");
                }
                "retry" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    if self.lvs_unsigned(t, 1, u64::from(u32::MAX)).is_none() {
                        self.lvs_error(&t.span, format!("retry value invalid - {}", t.text));
                    }
                }
                "delay_before_retry" | "warmup" | "connect_timeout" | "delay_loop" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    let (min, max, msg) = match kw {
                        "delay_before_retry" => (0, 0, format!("delay_before_retry '{}'", t.text)),
                        "warmup" => (0, 0, format!("warmup '{}'", t.text)),
                        "connect_timeout" => (
                            1,
                            u64::from(u32::MAX),
                            format!("connect_timeout {}", t.text),
                        ),
                        _ => (1, 0, format!("delay_loop '{}'", t.text)),
                    };
                    if self.lvs_timer(t, min, max).is_none() {
                        self.lvs_error(&t.span, format!("real server {msg} invalid - ignoring"));
                    }
                }
                "smtp_alert" => {
                    self.lvs_bool(st, "Invalid real_server smtp_alert parameter");
                }
                "virtualhost" if st.line.words.len() < 2 => {
                    self.lvs_error(&st.line.span, "real server virtualhost missing");
                }
                "snmp_name" if st.line.words.len() != 2 => {
                    self.lvs_error(
                        &st.line.span,
                        "real server snmp_name missing or extra parameters",
                    );
                }
                _ => {}
            }
        }
        // rs_end_handler(): a real server that is not tunnelled must share the family.
        if rs.fwd != Some(Fwd::Tun) {
            let f = family(&rs.addr.ip);
            match vs.af {
                None => vs.af = Some(f),
                Some(af) if af != f => {
                    self.lvs_error(
                        &ip.span,
                        format!(
                            "Address family of virtual server and real server {} don't match - skipping real server.",
                            addr_str(&rs.addr.ip)
                        ),
                    );
                    return;
                }
                Some(_) => {}
            }
        }
        vs.rs.push(rs);
    }

    /// `link_vsg_to_vs()`, `validate_check_config()` and `check_check_script_security()`:
    /// the whole-configuration checks of the checker process, once every block is read.
    pub(super) fn lvs_finish(&mut self) {
        let mut servers = std::mem::take(&mut self.lvs.servers);
        let groups = std::mem::take(&mut self.lvs.groups);
        // link_vsg_to_vs(): only logged, but the server is dropped.
        servers.retain_mut(|vs| {
            let VsKey::Group(name, _) = &vs.key else {
                return true;
            };
            let Some(g) = groups.iter().find(|g| &g.name == name) else {
                let msg = format!(
                    "Virtual server group {name} specified but not configured - ignoring virtual server {}",
                    vs.label()
                );
                self.rep.at(Severity::Warning, None, &vs.span, msg);
                return false;
            };
            let gaf = match (g.have_v4, g.have_v6) {
                (true, false) => Some(Family::V4),
                (false, true) => Some(Family::V6),
                _ => None,
            };
            let why = if g.have_v4 && g.have_v6 && vs.af.is_some() {
                Some("virtual server group with IPv4 & IPv6 doesn't match")
            } else if (g.have_v4 && vs.af == Some(Family::V6))
                || (g.have_v6 && vs.af == Some(Family::V4))
                || gaf.is_some_and(|f| vs.af.is_some_and(|a| a != f))
            {
                Some("address family doesn't match")
            } else {
                None
            };
            if let Some(why) = why {
                let msg = format!("{name}: {why} virtual server {} - ignoring", vs.label());
                self.rep.at(Severity::Warning, None, &vs.span, msg);
                return false;
            }
            if vs.af.is_none() {
                vs.af = gaf;
            }
            true
        });
        let mut seq: Vec<(String, u16)> = Vec::new();
        for vs in &mut servers {
            if let VsKey::Group(name, n) = &mut vs.key {
                let slot = match seq.iter_mut().find(|(g, _)| g == name) {
                    Some(s) => s,
                    None => {
                        seq.push((name.clone(), 0));
                        seq.last_mut().expect("pushed")
                    }
                };
                *n = slot.1;
                slot.1 = slot.1.wrapping_add(1);
            }
        }

        let mut kept = Vec::new();
        for mut vs in servers {
            let group = match &vs.key {
                VsKey::Group(n, _) => groups.iter().find(|g| &g.name == n),
                _ => None,
            };
            if self.lvs_check_server(&mut vs, group) {
                kept.push(vs);
            }
        }

        // check_check_script_security(): only with virtual servers left.
        if kept.is_empty() {
            return;
        }
        let mut scripts: Vec<(ScriptCommand, &str)> = std::mem::take(&mut self.lvs.misc_scripts)
            .into_iter()
            .map(|c| (c, "misc"))
            .collect();
        for vs in &kept {
            scripts.extend(vs.quorum_scripts.iter().map(|c| (c.clone(), "quorum")));
            for rs in &vs.rs {
                scripts.extend(rs.notify.iter().map(|c| (c.clone(), "notify")));
            }
        }
        self.lvs_script_security(&mut scripts);
    }

    /// `check_check_script_security()`: the checker's scripts (`MISC_CHECK`, `notify_up`,
    /// `notify_down`, `quorum_up`, `quorum_down`) checked like the VRRP ones, and its own
    /// `SECURITY VIOLATION` line.
    fn lvs_script_security(&mut self, scripts: &mut [(ScriptCommand, &str)]) {
        let default = self.default_script_user();
        let mut is_script = false;
        let mut insecure = false;
        for (cmd, kind) in scripts.iter_mut() {
            let v = self.check_command(cmd, default.as_ref(), Some(kind));
            is_script |= v.is_script();
            insecure |= v.insecure();
        }
        if is_script && !self.config.global.enable_script_security {
            let d = self.rep.global(
                Severity::Warning,
                Some(Level::SecurityError),
                format!(
                    "SECURITY VIOLATION - check scripts are being executed but script_security not enabled.{}",
                    if insecure {
                        " There are insecure scripts."
                    } else {
                        ""
                    }
                ),
            );
            d.help = Some("add `enable_script_security` (and `script_user`) to global_defs".into());
        }
    }

    /// One virtual server of `validate_check_config()`; false = dropped.
    fn lvs_check_server(&mut self, vs: &mut VirtualServer, group: Option<&Group>) -> bool {
        let span = vs.span.clone();
        if vs.rs.is_empty() {
            let msg = format!(
                "Virtual server {} has no real servers - ignoring",
                vs.label()
            );
            self.lvs_error(&span, msg);
            return false;
        }
        let is_fwmark = matches!(vs.key, VsKey::Fwmark(_));
        if vs.ha_suspend && (is_fwmark || group.is_some_and(Group::has_fwmark)) {
            let msg = format!(
                "Virtual server {}: cannot use ha_suspend with fwmarks - clearing ha_suspend",
                vs.label()
            );
            self.lvs_error(&span, msg);
            vs.ha_suspend = false;
        }
        let by_addr = match group {
            Some(g) => g.ranges().next().is_some(),
            None => !is_fwmark,
        };
        if by_addr {
            if vs.proto.is_none() {
                let msg = format!(
                    "Virtual server {}: no protocol set - defaulting to UDP",
                    vs.label()
                );
                self.lvs_error(&span, msg);
                vs.proto = Some(Proto::Udp);
            }
            if vs.ops && vs.proto != Some(Proto::Udp) {
                let msg = format!(
                    "Virtual server {}: one packet scheduling requires UDP - resetting",
                    vs.label()
                );
                self.lvs_error(&span, msg);
                vs.ops = false;
            }
            if let VsKey::Addr(a) = &vs.key {
                if vs.persistence_timeout == 0 && a.port == 0 {
                    let msg = format!(
                        "Virtual server {}: zero port only valid for persistent services - setting",
                        vs.label()
                    );
                    self.lvs_error(&span, msg);
                    vs.persistence_timeout = PERSISTENT_TIMEOUT;
                }
            }
        }
        if vs.persistence_timeout == 0 {
            if let Some(g) = group {
                if g.ranges().any(|(_, _, port)| port == 0) {
                    let msg = format!(
                        "Virtual server {}: zero port only valid for persistent services - setting",
                        vs.label()
                    );
                    self.lvs_error(&span, msg);
                    vs.persistence_timeout = PERSISTENT_TIMEOUT;
                }
            }
        }
        let only_fwmarks = match group {
            Some(g) => g.ranges().next().is_none() && g.has_fwmark(),
            None => is_fwmark,
        };
        if vs.proto.is_some() && only_fwmarks {
            let msg = format!(
                "Warning: Virtual server {}: protocol specified for fwmark - protocol will be ignored",
                vs.label()
            );
            self.lvs_error(&span, msg);
            vs.proto = None;
        }
        if vs.sched.is_none() {
            let msg = format!(
                "Virtual server {}: no scheduler set, setting default 'wlc'",
                vs.label()
            );
            self.lvs_error(&span, msg);
            vs.sched = Some("wlc".into());
        }

        let mut weight_sum: u32 = 0;
        let mut i = 0;
        while i < vs.rs.len() {
            let addr = vs.rs[i].addr;
            if vs.rs[..i].iter().any(|r| r.addr == addr) {
                let msg = format!(
                    "VS {}: real server {} is duplicated - removing second rs",
                    vs.label(),
                    vs.rs_label(&addr)
                );
                let rspan = vs.rs[i].span.clone();
                self.lvs_error(&rspan, msg);
                vs.rs.remove(i);
                continue;
            }
            if vs.rs[i].fwd.is_none() {
                self.lvs_default_nat(vs, &span);
                vs.rs[i].fwd = vs.fwd;
            }
            let inhibit = *vs.rs[i].inhibit.get_or_insert(vs.inhibit);
            let weight = *vs.rs[i].weight.get_or_insert(vs.weight);
            weight_sum = weight_sum.wrapping_add(weight as u32);
            let same_as_sorry = vs.sorry.as_ref().is_some_and(|s| s.addr == addr);
            if same_as_sorry {
                let sorry_inhibit = vs.sorry.as_ref().and_then(|s| s.inhibit) == Some(true);
                if sorry_inhibit != inhibit {
                    let msg = format!(
                        "Virtual server {}: real server {} matches sorry server, but inhibit setting differs, {}ing on sorry server",
                        vs.label(),
                        vs.rs_label(&addr),
                        if inhibit { "sett" } else { "clear" }
                    );
                    self.lvs_error(&span, msg);
                    if let Some(s) = &mut vs.sorry {
                        s.inhibit = Some(inhibit);
                    }
                }
            }
            i += 1;
        }
        if vs.sorry.as_ref().is_some_and(|s| s.fwd.is_none()) {
            self.lvs_default_nat(vs, &span);
            let f = vs.fwd;
            if let Some(s) = &mut vs.sorry {
                s.fwd = f;
            }
        }
        if vs.quorum > u64::from(weight_sum) {
            let msg = format!(
                "Warning - quorum {} for {} exceeds total weight of real servers {weight_sum}, reducing quorum to {weight_sum}",
                vs.quorum,
                vs.label()
            );
            self.lvs_error(&span, msg);
            vs.quorum = u64::from(weight_sum);
        }
        if vs.hysteresis >= vs.quorum {
            let to = (vs.quorum as u32).wrapping_sub(1);
            let msg = format!(
                "Virtual server {}: hysteresis {} >= quorum {}; setting hysteresis to {to}",
                vs.label(),
                vs.hysteresis,
                vs.quorum
            );
            self.lvs_error(&span, msg);
            vs.hysteresis = u64::from(to);
        }
        self.lvs_check_ports(vs, group, &span);
        true
    }

    /// "no forwarding method set": said once, the server's method becomes NAT.
    fn lvs_default_nat(&mut self, vs: &mut VirtualServer, span: &Span) {
        if vs.fwd.is_none() {
            let msg = format!(
                "Virtual server {}: no forwarding method set, setting default NAT",
                vs.label()
            );
            self.lvs_error(span, msg);
            vs.fwd = Some(Fwd::Nat);
        }
    }

    /// Unless NAT, real and sorry servers must use the virtual server's port (none with a
    /// fwmark); keepalived resets what it can and says so.
    fn lvs_check_ports(&mut self, vs: &mut VirtualServer, group: Option<&Group>, span: &Span) {
        let label = vs.label();
        if let Some(g) = group {
            if g.has_fwmark() {
                for rs in vs.rs.iter().filter(|r| r.fwd != Some(Fwd::Nat)) {
                    if rs.addr.port != 0 {
                        let msg = format!(
                            "WARNING - fwmark virtual server {label}, real server {} has port specified - port will be ignored",
                            vs.rs_label(&rs.addr)
                        );
                        self.lvs_error(&rs.span, msg);
                    }
                }
                if let Some(s) = &vs.sorry {
                    if s.fwd != Some(Fwd::Nat) && s.addr.port != 0 {
                        let msg = format!(
                            "WARNING - fwmark virtual server {label}, sorry server has port specified - port will be ignored"
                        );
                        self.lvs_error(&s.span, msg);
                    }
                }
            }
            for (start, end, port) in g.ranges() {
                let entry = if start != end {
                    format!("{}-{},{port}", addr_str(start), addr_str(end))
                } else {
                    format!("{},{port}", addr_str(start))
                };
                for rs in vs.rs.iter().filter(|r| r.fwd != Some(Fwd::Nat)) {
                    if rs.addr.port != 0 && rs.addr.port != port {
                        let msg = format!(
                            "virtual server {label}:[{entry}] and real server {} ports don't match",
                            vs.rs_label(&rs.addr)
                        );
                        self.lvs_error(&rs.span, msg);
                    }
                }
                if let Some(s) = &vs.sorry {
                    if s.fwd != Some(Fwd::Nat) && s.addr.port != 0 && s.addr.port != port {
                        let msg = format!(
                            "WARNING - virtual server {label}, sorry server has port specified - port will be ignored"
                        );
                        self.lvs_error(&s.span, msg);
                    }
                }
            }
            return;
        }
        let (fwmark, vport) = match &vs.key {
            VsKey::Addr(a) => (false, a.port),
            _ => (true, 0),
        };
        let proto = vs.proto;
        for rs in &mut vs.rs {
            if rs.fwd == Some(Fwd::Nat) {
                if !fwmark && rs.addr.port == 0 {
                    rs.addr.port = vport;
                }
                continue;
            }
            if fwmark {
                if rs.addr.port != 0 {
                    let msg = format!(
                        "WARNING - fwmark virtual server {label}, real server {} has port specified - clearing",
                        trio(&rs.addr, proto)
                    );
                    self.lvs_error(&rs.span, msg);
                    rs.addr.port = 0;
                }
            } else if rs.addr.port == 0 {
                rs.addr.port = vport;
            } else if rs.addr.port != vport {
                let msg = format!(
                    "WARNING - virtual server {label} and real server {} ports don't match - resetting",
                    trio(&rs.addr, proto)
                );
                self.lvs_error(&rs.span, msg);
                rs.addr.port = vport;
            }
        }
        if let Some(s) = &mut vs.sorry {
            if s.fwd != Some(Fwd::Nat) {
                if fwmark {
                    if s.addr.port != 0 {
                        let msg = format!(
                            "WARNING - virtual server {label}, sorry server has port specified - clearing"
                        );
                        self.lvs_error(span, msg);
                        s.addr.port = 0;
                    }
                } else if s.addr.port == 0 {
                    s.addr.port = vport;
                } else if s.addr.port != vport {
                    let msg = format!(
                        "WARNING - virtual server {label} and sorry server ports don't match - resetting"
                    );
                    self.lvs_error(span, msg);
                    s.addr.port = vport;
                }
            }
        }
    }
}

/// A `/MASK` of a group entry: the last address of the block, or keepalived's complaint.
fn group_mask(start: &IpAddr, mask: &str) -> Result<IpAddr, &'static str> {
    let (m, _, rest) = values::strtoul(mask, 10);
    let bits = if start.is_ipv4() { 32 } else { 128 };
    if !rest.is_empty() || m == 0 || m > bits {
        return Err("Invalid netmask");
    }
    match start {
        IpAddr::V4(a) => {
            let host: u32 = if m >= 32 { 0 } else { u32::MAX >> m };
            let v = u32::from(*a);
            if v & host != 0 {
                return Err("Address mask bits not empty");
            }
            Ok(IpAddr::V4((v | host).into()))
        }
        IpAddr::V6(a) => {
            let host: u128 = if m >= 128 { 0 } else { u128::MAX >> m };
            let v = u128::from(*a);
            if v & host != 0 {
                return Err("Address mask bits not empty");
            }
            Ok(IpAddr::V6((v | host).into()))
        }
    }
}
