//! Statements -> `model::Config`: keyword dispatch per block, value parsing with keepalived's
//! ranges and messages, then the post-parse derivations of `vrrp_complete_instance()`
//! (inventory §2, §3.1, §4).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::time::Duration;

mod track_blocks;

use super::LoadOptions;
use super::diag::{Level, Severity, Span};
use super::keywords::{self, Status};
use super::script;
use super::source::{Reporter, Token};
use super::tree::Stmt;
mod knobs;
mod notifyx;
mod routes;
pub(crate) mod runtime;
mod script_security;
mod strict;

use crate::model::{
    Auth, Centis, Config, InitialState, Instance, NotifyFifo, NotifyScripts, ScriptCommand,
    ScriptUser, SmtpServer, TrackInterface, TrackScript, Version, VirtualAddr, VrrpScript,
};

mod dump_files;
mod garp_group;
mod if_delays;
mod io;
mod process;
mod sync_group;
mod traps;

mod lvs;
mod vmac;
mod vrid;

/// Validates a statement tree into a model; every finding goes to `rep`.
pub(crate) fn validate(stmts: &[Stmt], rep: &mut Reporter, opts: &LoadOptions) -> Config {
    let mut v = Validator {
        rep,
        opts,
        config: Config::default(),
        noted: HashSet::new(),
        strict: false,
        default_user_fail: None,
        dynamic_interfaces: false,
        in_child: false,
        fifo_scripts: [None, None],
        instance_spans: HashMap::new(),
        garp_numbered: 0,
        routes: routes::RouteState::new(opts.check_interfaces),
        lvs: lvs::Lvs::default(),
        ifs: Default::default(),
        instance_names: HashSet::new(),
        vmac_pending: Vec::new(),
        start_stop: Default::default(),
        io_state: Default::default(),
    };
    v.top(stmts);
    v.finish()
}

struct Validator<'a> {
    rep: &'a mut Reporter,
    opts: &'a LoadOptions,
    config: Config,
    /// Keywords already reported as skipped/ignored: one message per keyword, no cascade.
    noted: HashSet<(&'static str, &'static str)>,
    /// `vrrp_strict`: only its configuration checks are applied (§4.5).
    strict: bool,
    /// keepalived's `default_user_fail`: the default script user could not be set, so every
    /// vrrp_script without its own `user` is removed. `None` = not looked up yet.
    default_user_fail: Option<bool>,
    /// `dynamic_interfaces`: missing interfaces are waited for, not fatal.
    dynamic_interfaces: bool,
    /// Inside a block keepalived's VRRP child parses (see [`Diagnostic::vrrp_child`]).
    in_child: bool,
    /// `notify_fifo_script`, `vrrp_notify_fifo_script`: joined to their FIFO in `finish`, since
    /// the script may be written before the FIFO.
    fifo_scripts: [Option<(ScriptCommand, Span)>; 2],
    /// Where each `vrrp_instance` block starts, for notes made once the whole file is read.
    instance_spans: HashMap<String, Span>,
    /// `garp_group`s kept that had an `interfaces` block (keepalived numbers those).
    garp_numbered: usize,
    /// Route/rule name tables, automatic rule preferences, `track_group` names (`routes.rs`).
    routes: routes::RouteState,
    /// VMAC settings resolved once every instance is read (`vmac.rs`).
    vmac_pending: Vec<vmac::Pending>,
    /// The LVS blocks, checked but not acted on (`lvs.rs`).
    lvs: lvs::Lvs,
    /// `/sys/class/net` facts per interface name, read once per load (1000 instances on one
    /// interface would otherwise read the same files 1000 times).
    ifs: std::collections::HashMap<String, IfFacts>,
    /// Names of `config.instances`, for "already defined" without a scan per instance.
    instance_names: HashSet<String>,
    /// `startup_script`, `shutdown_script` and their timeouts until the file is read.
    start_stop: process::RawStartStop,
    /// `vrrp_rx_bufs_policy` bits and the boot delay until the file is read (`io.rs`).
    io_state: io::IoState,
}

/// What the kernel says about one interface name.
#[derive(Debug, Clone, Copy)]
struct IfFacts {
    exists: bool,
    loopback: bool,
    multicast: bool,
    /// `None` when it cannot be read (no such interface).
    mtu: Option<usize>,
}

/// An instance while its block is read; `None` = not configured (defaults derived later).
#[derive(Default)]
struct RawInstance {
    name: String,
    span: Option<Span>,
    state: Option<InitialState>,
    interface: Option<(String, Span)>,
    vrid: Option<u8>,
    priority: Option<u8>,
    advert_int: Option<u32>, // microseconds, like keepalived's TIMER_HZ
    version: Option<Version>,
    auth_type: Option<()>,
    auth_pass: Option<[u8; 8]>,
    auth_ah: bool,
    /// `strict_mode`, else `vrrp_strict`.
    strict: Option<bool>,
    /// The last of `accept` / `no_accept`.
    accept: Option<bool>,
    /// Parsed-but-ignored keywords and their first argument: strict-mode checks read them.
    ignored: Vec<(String, Option<String>)>,
    vips: Vec<VirtualAddr>,
    track_scripts: Vec<TrackScript>,
    track_interfaces: Vec<TrackInterface>,
    /// `track_file { … }` lines, resolved (see `track_blocks`).
    track_files: Vec<crate::model::TrackRef>,
    /// `track_process { … }` lines, resolved.
    track_processes: Vec<crate::model::TrackRef>,
    dont_track_primary: bool,
    nopreempt: bool,
    preempt_delay: u64, // microseconds
    notify: NotifyScripts,
    smtp_alert: Option<bool>,
    /// `notify_priority_changes [BOOL]`; `None` = `vrrp_notify_priority_changes`.
    notify_priority_changes: Option<bool>,
    src_ip: Option<IpAddr>,
    unicast_configured: bool,
    unicast_peers: Vec<IpAddr>,
    /// Where each of `unicast_peers` was written.
    unicast_peer_spans: Vec<Span>,
    /// Where `unicast_src_ip` was written.
    src_ip_span: Option<Span>,
    garp_master_delay: Option<Centis>,
    garp_master_repeat: Option<u32>,
    garp_master_refresh: Option<Centis>,
    garp_master_refresh_repeat: Option<u32>,
    /// Timer, advert-policy and lower-priority GARP knobs (`knobs.rs`).
    knobs: knobs::RawKnobs,
    /// eVIPs, virtual routes and rules, promote_secondaries, track_src_ip (`routes.rs`).
    routes: routes::RawRoutes,
    /// `use_vmac` and its companions (`vmac.rs`).
    vmac: vmac::RawVmac,
    /// `native_ipv6`: an IPv6 instance before (or without) anything IPv6 in it.
    native_ipv6: bool,
    /// `unicast_fault_no_peer`, `old_unicast_checksum` (`io.rs`).
    unicast_opts: crate::model::UnicastOptions,
    /// `mcast_dst_ip` (`io.rs`).
    mcast_dst: Option<IpAddr>,
}

impl RawInstance {
    /// keepalived's `vrrp->family` so far: set by the first VIP, source address, peer or
    /// `native_ipv6` read, each later one of another family being refused.
    fn family_v6(&self) -> Option<bool> {
        self.vips
            .first()
            .map(|v| v.addr.is_ipv6())
            .or(self.src_ip.map(|a| a.is_ipv6()))
            .or(self.unicast_peers.first().map(|a| a.is_ipv6()))
            .or(self.native_ipv6.then_some(true))
            .or(self.mcast_dst.map(|a| a.is_ipv6()))
    }
}

const TIMER_HZ: u64 = 1_000_000;

impl Validator<'_> {
    // ---- reporting helpers -------------------------------------------------------------

    fn error(&mut self, span: &Span, msg: impl Into<String>) {
        self.rep
            .at(Severity::Error, Some(Level::GeneralError), span, msg);
    }

    /// keepalived's error, with our explanation of the trap behind it.
    fn error_help(&mut self, span: &Span, msg: impl Into<String>, help: impl Into<String>) {
        self.rep
            .at(Severity::Error, Some(Level::GeneralError), span, msg)
            .help = Some(help.into());
    }

    /// Our own advice about a configuration keepalived accepts silently (never changes the
    /// `-t` exit code).
    fn note_help(&mut self, span: &Span, msg: impl Into<String>, help: impl Into<String>) {
        self.rep.at(Severity::Note, None, span, msg).help = Some(help.into());
    }

    fn note_once(&mut self, block: &'static str, name: &'static str, span: &Span, msg: String) {
        if self.noted.insert((block, name)) {
            self.rep.at(Severity::Note, None, span, msg);
        }
    }

    /// keepalived's `null_strvec()`: a keyword without its value stops keepalived (exit 2).
    fn missing(&mut self, stmt: &Stmt, pos: usize) {
        let kw = stmt.keyword();
        let last = stmt.line.words.last().expect("a statement has a keyword");
        let span = Span {
            col: last.span.col + last.span.len,
            len: 1,
            ..last.span.clone()
        };
        let d = self.rep.at(
            Severity::Fatal,
            Some(Level::MissingParameter),
            &span,
            format!(
                "*** Configuration line starting `{kw}` is missing a parameter after keyword `{}` at word position {}",
                last.text,
                pos + 1
            ),
        );
        d.abort = Some(2);
        d.vrrp_child = self.in_child;
    }

    fn arg<'s>(&mut self, stmt: &'s Stmt, i: usize) -> Option<&'s Token> {
        let t = stmt.line.words.get(i);
        if t.is_none() {
            self.missing(stmt, i);
        }
        t
    }

    fn block<'s>(&mut self, stmt: &'s Stmt) -> &'s [Stmt] {
        match &stmt.block {
            Some(b) => b,
            None => {
                self.rep.at(
                    Severity::Error,
                    Some(Level::MissingBob),
                    &stmt.line.span,
                    "Missing '{' at beginning of configuration block",
                );
                &[]
            }
        }
    }

    /// keepalived ignores words beyond those a keyword takes (`priority 100 advert_int 3`
    /// sets only the priority); we say so in a note, which leaves the exit code alone.
    fn extra_words(&mut self, block: &'static str, stmt: &Stmt) {
        let Some(k) = keywords::find(block, stmt.keyword()) else {
            return;
        };
        let max = match k.args {
            "0" => 0,
            "1" | "0-1" => 1,
            "1-2" => 2,
            _ => return,
        };
        let w = &stmt.line.words;
        if w.len() > max + 1 {
            let extra = &w[max + 1];
            let rest: Vec<&str> = w[max + 1..].iter().map(|t| t.text.as_str()).collect();
            self.rep
                .at(
                    Severity::Note,
                    None,
                    &extra.span,
                    format!("ignored extra words after `{}`: {}", k.name, rest.join(" ")),
                )
                .help = Some(
                "keepalived reads one statement per line; put each keyword on its own line".into(),
            );
        }
    }

    /// `/sys/class/net/NAME` facts, looked up once per name.
    fn if_facts(&mut self, name: &str) -> IfFacts {
        if let Some(f) = self.ifs.get(name) {
            return *f;
        }
        let f = IfFacts {
            exists: interface_exists(name),
            loopback: interface_is_loopback(name),
            multicast: interface_multicast(name),
            mtu: interface_mtu(name),
        };
        self.ifs.insert(name.to_string(), f);
        f
    }

    /// Whether named interfaces must exist now.
    fn check_ifs(&self) -> bool {
        self.opts.check_interfaces && !self.dynamic_interfaces
    }

    /// keepalived's VRRP process refuses to start when a named interface is missing and
    /// `dynamic_interfaces` is off (`start_vrrp()`).
    fn nonexistent_interface(&mut self, span: &Span) {
        self.rep.at(
            Severity::Fatal,
            Some(Level::BadIf),
            span,
            "Non-existent interface specified in configuration",
        );
    }

    fn no_block(&mut self, stmt: &Stmt) {
        if stmt.block.is_some() {
            self.rep.at(
                Severity::Error,
                Some(Level::UnexpectedBob),
                &stmt.line.span,
                format!("Unexpected '{{' after `{}` - block ignored", stmt.keyword()),
            );
        }
    }

    fn unknown(&mut self, block: &str, stmt: &Stmt) {
        let kw = &stmt.line.words[0];
        let d = self.rep.at(
            Severity::Warning,
            Some(Level::UnknownKeyword),
            &kw.span,
            format!("Unknown keyword '{}'", kw.text),
        );
        if let Some(s) = keywords::suggest(block, &kw.text) {
            d.help = Some(format!("did you mean `{s}`?"));
        }
    }

    /// Dispatches the keywords we do not act on; returns true when handled.
    fn not_supported(&mut self, block: &'static str, stmt: &Stmt) -> bool {
        let Some(k) = keywords::find(block, stmt.keyword()) else {
            return false;
        };
        match k.status {
            Status::Supported | Status::ValidatedIgnored => false,
            Status::SkippedBlock => {
                let msg = format!(
                    "`{}` is not supported by keepalived-rs yet: block skipped (further `{}` blocks skipped silently)",
                    k.name, k.name
                );
                if self.noted.insert((block, k.name)) {
                    self.rep.at(Severity::Warning, None, &stmt.line.span, msg);
                }
                true
            }
            Status::ParsedIgnored => {
                if stmt.line.words.len() <= k.min_args() {
                    self.missing(stmt, stmt.line.words.len());
                }
                if block == "vrrp_instance" && k.name == "lvs_sync_daemon_interface" {
                    self.rep.at(
                        Severity::Warning,
                        Some(Level::Deprecated),
                        &stmt.line.span,
                        "Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon",
                    );
                }
                let msg = format!(
                    "`{}` is recognised but not acted on by keepalived-rs",
                    k.name
                );
                self.note_once(block, k.name, &stmt.line.span, msg);
                true
            }
        }
    }

    // ---- value parsers -------------------------------------------------------------------

    /// `strtoul` base 10 over the whole word, then a range check.
    fn uint(&mut self, t: &Token, min: u64, max: u64) -> Option<u64> {
        let s = t.text.as_str();
        let msg = if s.starts_with('-') {
            format!("negative number '{s}'")
        } else {
            match s.strip_prefix('+').unwrap_or(s).parse::<u64>() {
                Ok(v) if v >= min && v <= max => return Some(v),
                Ok(_) => format!("number '{s}' outside range [{min}, {max}]"),
                Err(_) => format!("invalid number '{s}'"),
            }
        };
        self.rep
            .at(Severity::Error, Some(Level::InvalidNumber), &t.span, msg);
        None
    }

    fn int(&mut self, t: &Token, min: i64, max: i64) -> Option<i64> {
        let s = t.text.as_str();
        let msg = match s.strip_prefix('+').unwrap_or(s).parse::<i64>() {
            Ok(v) if v >= min && v <= max => return Some(v),
            Ok(_) => format!("number '{s}' outside range [{min}, {max}]"),
            Err(_) => format!("invalid number '{s}'"),
        };
        self.rep
            .at(Severity::Error, Some(Level::InvalidNumber), &t.span, msg);
        None
    }

    /// `read_decimal_unsigned()`: `N[.frac]` scaled to `10^digits` units; extra decimals are
    /// an error and rounded.
    fn decimal(&mut self, t: &Token, digits: u32, min: u64, max: u64) -> Option<u64> {
        let s = t.text.as_str();
        let scale = 10u64.pow(digits);
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let ok = !s.is_empty()
            && int.chars().all(|c| c.is_ascii_digit())
            && frac.chars().all(|c| c.is_ascii_digit())
            && !(int.is_empty() && frac.is_empty());
        let bad = |v: &mut Self, m: String| {
            v.rep
                .at(Severity::Error, Some(Level::InvalidNumber), &t.span, m);
            None
        };
        if s.starts_with('-') {
            return bad(self, format!("negative number '{s}'"));
        }
        if !ok {
            return bad(self, format!("invalid number '{s}'"));
        }
        let int_v: u64 = if int.is_empty() {
            0
        } else {
            match int.parse::<u64>() {
                Ok(v) if v <= u64::MAX / scale / 10 => v,
                _ => return bad(self, format!("number '{s}' outside unsigned decimal range")),
            }
        };
        let mut frac_v = 0u64;
        for (i, c) in frac.chars().enumerate() {
            let d = c.to_digit(10).expect("checked") as u64;
            if (i as u32) < digits {
                frac_v += d * 10u64.pow(digits - 1 - i as u32);
            } else if i as u32 == digits && d >= 5 {
                frac_v += 1;
            }
        }
        if frac.len() as u32 > digits {
            self.rep.at(
                Severity::Error,
                Some(Level::InvalidNumber),
                &t.span,
                format!("number '{s}' has too many decimal places"),
            );
        }
        let v = int_v * scale + frac_v;
        if v < min || v > max {
            return bad(self, format!("number '{s}' outside range"));
        }
        Some(v)
    }

    /// keepalived's `read_decimal_unsigned_strvec(…, ignore_error = true)`: the messages of
    /// [`Validator::decimal`], but a word that is not a number still gives what `strtoull`
    /// reads from it once the `.` is dropped and zeros appended (`x` is 0, `1.5x` is 15 µs
    /// at 6 digits), if that is in range; only a negative, out-of-range or overflowing value
    /// is refused.
    fn decimal_lenient(&mut self, t: &Token, digits: u32, min: u64, max: u64) -> Option<u64> {
        if let Some(v) = self.decimal(t, digits, min, max) {
            return Some(v);
        }
        let s = t.text.as_str();
        if s.starts_with('-') {
            return None;
        }
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let frac: String = frac.chars().take(digits as usize).collect();
        let pad = "0".repeat(digits as usize - frac.chars().count());
        let joined = format!("{int}{frac}{pad}");
        let lead: String = joined.chars().take_while(char::is_ascii_digit).collect();
        let v = if lead.is_empty() {
            0
        } else {
            lead.parse::<u64>().ok()?
        };
        (min..=max).contains(&v).then_some(v)
    }

    /// Optional BOOL argument: absent = true (`check_true_false()`, lower case only).
    fn boolean(&mut self, stmt: &Stmt, what: &str) -> Option<bool> {
        let Some(t) = stmt.line.words.get(1) else {
            return Some(true);
        };
        match t.text.as_str() {
            "true" | "on" | "yes" => Some(true),
            "false" | "off" | "no" => Some(false),
            other => {
                self.error(
                    &t.span,
                    format!("Invalid value '{other}' for {what} specified"),
                );
                None
            }
        }
    }

    fn ip(&mut self, t: &Token, what: &str) -> Option<IpAddr> {
        match t.text.parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.error(
                    &t.span,
                    format!("{what}: invalid IP address '{}' - ignoring", t.text),
                );
                None
            }
        }
    }

    /// `CMD [USER [[:]GROUP]]` of notify-style keywords (§1.3): the raw line is re-split with
    /// quotes, the 2nd word is a user name.
    fn script_cmd(&mut self, stmt: &Stmt, with_user: bool) -> Option<ScriptCommand> {
        let kw = stmt.keyword();
        let Some(first) = script::split_quoted(stmt.line.text()) else {
            self.error(
                &stmt.line.span,
                format!("Unable to parse {kw} script '{}'", stmt.line.text()),
            );
            return None;
        };
        let Some(cmd) = first.get(1) else {
            self.missing(stmt, 1);
            return None;
        };
        let Some(argv) = script::split_escaped(cmd) else {
            self.error(
                &stmt.line.span,
                format!("Unable to parse {kw} script '{cmd}'"),
            );
            return None;
        };
        if argv.is_empty() || argv[0].is_empty() {
            self.error(
                &stmt.line.span,
                format!("{kw}: empty script command - ignoring"),
            );
            return None;
        }
        let user = if with_user {
            first
                .get(2)
                .map(|u| script_user(u, first.get(3).map(String::as_str)))
        } else {
            None
        };
        let rest = stmt.line.text()[kw.len()..].trim_start();
        if let (Some(u), Some(tok)) = (first.get(2).filter(|_| with_user), stmt.line.words.get(2)) {
            if !rest.starts_with(['"', '\'']) {
                self.note_help(
                    &tok.span,
                    format!("`{u}` is read as the user to run `{cmd}` as, not as an argument"),
                    format!("to pass arguments, quote the whole command: {kw} \"{cmd} {u}\""),
                );
            }
        }
        Some(ScriptCommand { argv, user })
    }

    // ---- blocks ----------------------------------------------------------------------------

    fn top(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            match stmt.keyword() {
                "global_defs" => {
                    let body = self.block(stmt);
                    self.global(body);
                }
                "vrrp_sync_group" => {
                    self.in_child = true;
                    self.sync_group(stmt);
                    self.in_child = false;
                }
                "vrrp_script" | "vrrp_instance" => {
                    self.in_child = true;
                    if stmt.keyword() == "vrrp_script" {
                        self.vrrp_script(stmt);
                    } else {
                        self.instance(stmt);
                    }
                    self.in_child = false;
                }
                "track_file" | "vrrp_track_file" | "vrrp_track_process" => {
                    self.in_child = true;
                    if stmt.keyword() == "vrrp_track_process" {
                        self.track_process_block(stmt);
                    } else {
                        self.track_file_block(stmt);
                    }
                    self.in_child = false;
                }
                "garp_group" => {
                    self.in_child = true;
                    self.garp_group(stmt);
                    self.in_child = false;
                }
                "interface_up_down_delays" => {
                    self.in_child = true;
                    self.if_up_down_delays(stmt);
                    self.in_child = false;
                }
                _ if self.runtime_top(stmt) => {}
                "static_ipaddress" | "static_routes" | "static_rules" => self.static_block(stmt),
                "track_group" => {
                    // Skipped, but static lines may name it (keepalived looks the name up).
                    if let Some(n) = stmt.line.words.get(1) {
                        self.routes.track_groups.push(n.text.clone());
                    }
                    self.not_supported("top", stmt);
                }
                "virtual_server" | "virtual_server_group" | "SSL" => {
                    // keepalived's checker process reads these (in-process with `-t`).
                    self.in_child = true;
                    self.lvs_top(stmt);
                    self.in_child = false;
                }
                "bfd_instance" => {
                    self.lvs_bfd_instance(stmt);
                    self.not_supported("top", stmt);
                }
                _ if self.not_supported("top", stmt) => {}
                _ => self.unknown("top", stmt),
            }
        }
    }

    fn global(&mut self, body: &[Stmt]) {
        for stmt in body {
            let kw = stmt.keyword();
            if keywords::find("global_defs", kw).is_some_and(|k| k.status == Status::Supported)
                && kw != "notification_email"
                && !dump_files::ONE_PATH.contains(&kw)
            {
                self.no_block(stmt);
                self.extra_words("global_defs", stmt);
            }
            let w = &stmt.line.words;
            match kw {
                "default_interface" => match w.get(1) {
                    Some(t) => self.config.global.default_interface = Some(t.text.clone()),
                    None => {
                        self.error(&stmt.line.span, "default_interface requires interface name")
                    }
                },
                "router_id" => match w.get(1) {
                    Some(t) => self.config.global.router_id = Some(t.text.clone()),
                    None => self.error(&stmt.line.span, "routerid name missing - ignoring"),
                },
                "notification_email" => {
                    let items = self.block(stmt);
                    if items.is_empty() && stmt.block.is_some() {
                        self.error(&stmt.line.span, "Warning - empty notification_email block");
                    }
                    for item in items {
                        let rcpts = notifyx::email_recipients(&item.line.words);
                        self.config.global.notification_email.extend(rcpts);
                    }
                }
                "notification_email_from" => {
                    if let Some(t) = self.arg(stmt, 1) {
                        self.config.global.notification_email_from = Some(t.text.clone());
                    }
                }
                "smtp_server" => {
                    let Some(host) = self.arg(stmt, 1) else {
                        continue;
                    };
                    let port = match w.get(2) {
                        None => Some(25),
                        Some(p) => match p.text.parse::<u16>() {
                            Ok(v) if v > 0 => Some(v),
                            _ => {
                                self.error(
                                    &p.span,
                                    format!("Invalid smtp server {} {}", host.text, p.text),
                                );
                                None
                            }
                        },
                    };
                    if let Some(port) = port {
                        self.smtp_host_resolves(stmt, port);
                        self.config.global.smtp_server = Some(SmtpServer {
                            host: host.text.clone(),
                            port,
                        });
                    }
                }
                "smtp_helo_name" => {
                    if let Some(t) = self.arg(stmt, 1) {
                        self.config.global.smtp_helo_name = Some(t.text.clone());
                    }
                }
                "smtp_connect_timeout" => {
                    let Some(t) = self.arg(stmt, 1) else { continue };
                    if let Some(v) = self.uint(t, 0, u64::from(u32::MAX) / TIMER_HZ) {
                        let v = if v == 0 {
                            self.error(
                                &t.span,
                                "smtp_conect_timeout must be greater than 0, setting to 1",
                            );
                            1
                        } else {
                            v
                        };
                        self.config.global.smtp_connect_timeout = Duration::from_secs(v);
                    }
                }
                "smtp_alert" => {
                    if let Some(b) = self.boolean(stmt, "global smtp_alert") {
                        self.config.global.smtp_alert = Some(b);
                    }
                }
                "smtp_alert_vrrp" => {
                    if let Some(b) = self.boolean(stmt, "global smtp_alert_vrrp") {
                        self.config.global.smtp_alert_vrrp = Some(b);
                    }
                }
                "script_user" => match w.get(1) {
                    Some(u) => {
                        let su = script_user(&u.text, w.get(2).map(|g| g.text.as_str()));
                        if self.opts.check_interfaces && !user_exists(&su) {
                            self.error(&u.span, "Error setting global script uid/gid");
                            self.default_user_fail = Some(true);
                        } else {
                            self.default_user_fail = Some(false);
                        }
                        self.config.global.script_user = Some(su);
                    }
                    None => self.error(&stmt.line.span, "No script username specified"),
                },
                "enable_script_security" => self.config.global.enable_script_security = true,
                "vrrp_strict" | "vrrp_iptables" | "vrrp_ipsets" | "nftables"
                | "nftables_priority" | "nftables_ifindex" | "nftables_counters" => {
                    self.firewall_global(stmt)
                }
                "vrrp_version" => {
                    let Some(t) = self.arg(stmt, 1) else { continue };
                    match self.int(t, 2, 3) {
                        Some(2) => self.config.global.vrrp_version = Version::V2,
                        Some(_) => self.config.global.vrrp_version = Version::V3,
                        None => self.error(&t.span, "VRRP Error: Version must be either 2 or 3"),
                    }
                }
                "vrrp_mcast_group4" => {
                    let Some(t) = self.arg(stmt, 1) else { continue };
                    match t.text.parse::<IpAddr>() {
                        Ok(IpAddr::V4(a)) if a.is_multicast() => {
                            self.config.global.vrrp_mcast_group4 = a
                        }
                        Ok(IpAddr::V4(_)) => self.error(
                            &t.span,
                            format!("vrrp_mcast_group4 [{}] is not multicast. Skipping", t.text),
                        ),
                        Ok(IpAddr::V6(_)) => self.error(
                            &t.span,
                            format!("vrrp_mcast_group4 [{}] is not IPv4. Skipping", t.text),
                        ),
                        Err(_) => self.error(
                            &t.span,
                            format!("Can't parse vrrp_mcast_group4 [{}]. Skipping", t.text),
                        ),
                    }
                }
                "vrrp_garp_master_delay" => {
                    if let Some(v) = self.secs(stmt, kw) {
                        self.config.global.vrrp_garp_master_delay = v;
                    }
                }
                "vrrp_garp_master_refresh" => {
                    if let Some(v) = self.secs(stmt, kw) {
                        self.config.global.vrrp_garp_master_refresh = v;
                    }
                }
                "vrrp_garp_master_repeat" => {
                    if let Some(v) = self.repeat(stmt, kw) {
                        self.config.global.vrrp_garp_master_repeat = v;
                    }
                }
                "vrrp_garp_master_refresh_repeat" => {
                    if let Some(v) = self.repeat(stmt, kw) {
                        self.config.global.vrrp_garp_master_refresh_repeat = v;
                    }
                }
                "notify_fifo" | "vrrp_notify_fifo" => self.notify_fifo(stmt),
                "notify_fifo_script" | "vrrp_notify_fifo_script" => {
                    let slot = usize::from(kw.starts_with("vrrp_"));
                    let Some(cmd) = self.script_cmd(stmt, true) else {
                        continue;
                    };
                    if self.fifo_scripts[slot].is_some() {
                        let prefix = if slot == 1 { "vrrp_" } else { "" };
                        self.error(
                            &stmt.line.span,
                            format!(
                                "{prefix}notify_fifo_script already specified - ignoring {}",
                                cmd.argv[0]
                            ),
                        );
                    } else {
                        self.fifo_scripts[slot] = Some((cmd, stmt.line.span.clone()));
                    }
                }
                // Acted on while reading (it changes the checks of later includes).
                "include_check" => {}
                _ if self.notifyx_global(stmt) => {}
                _ if self.global_knob(stmt) => {}
                _ if self.runtime_global(stmt) => {}
                _ if self.global_vmac(stmt) => {}
                _ if self.dump_files_global(stmt) => {}
                _ if self.process_global(stmt) => {}
                _ if self.io_global(stmt) => {}
                _ if self.not_supported("global_defs", stmt) => {}
                _ => self.unknown("global_defs", stmt),
            }
        }
    }

    /// `[vrrp_]notify_fifo PATH [USER [GROUP]]` (keepalived `notify_fifo()`): the first one
    /// wins; an unknown user makes keepalived ignore the FIFO (logged, exit code unchanged).
    fn notify_fifo(&mut self, stmt: &Stmt) {
        let kw = stmt.keyword();
        let prefix = kw.strip_suffix("notify_fifo").unwrap_or_default();
        let w = &stmt.line.words;
        let Some(path) = w.get(1) else {
            self.error(
                &stmt.line.span,
                format!("No {prefix}notify_fifo name specified"),
            );
            return;
        };
        let slot = if prefix.is_empty() {
            &self.config.global.notify_fifo
        } else {
            &self.config.global.vrrp_notify_fifo
        };
        if slot.is_some() {
            self.error(
                &path.span,
                format!(
                    "{prefix}notify_fifo already specified - ignoring {}",
                    path.text
                ),
            );
            return;
        }
        let user = w
            .get(2)
            .map(|u| script_user(&u.text, w.get(3).map(|g| g.text.as_str())));
        if let (Some(u), Some(t)) = (&user, w.get(2)) {
            if self.opts.check_interfaces && !user_exists(u) {
                self.rep.at(
                    Severity::Note,
                    None,
                    &t.span,
                    format!(
                        "Invalid user/group for {prefix} fifo {} - ignoring",
                        path.text
                    ),
                );
                return;
            }
        }
        let fifo = Some(NotifyFifo {
            path: path.text.clone(),
            user,
            script: None,
        });
        if prefix.is_empty() {
            self.config.global.notify_fifo = fifo;
        } else {
            self.config.global.vrrp_notify_fifo = fifo;
        }
    }

    /// Whole seconds (`garp_*_delay`, `garp_*_refresh`) as centiseconds.
    fn secs(&mut self, stmt: &Stmt, kw: &str) -> Option<Centis> {
        let t = self.arg(stmt, 1)?;
        match self.uint(t, 0, u64::from(u32::MAX) / 100) {
            Some(v) => Some(Centis(v as u32 * 100)),
            None => {
                self.error(&t.span, format!("{kw} '{}' invalid - ignoring", t.text));
                None
            }
        }
    }

    /// Repeat counts: 0 becomes 1 with an error, as keepalived does.
    fn repeat(&mut self, stmt: &Stmt, kw: &str) -> Option<u32> {
        let t = self.arg(stmt, 1)?;
        match self.uint(t, 0, u64::from(u32::MAX)) {
            Some(0) => {
                self.error(
                    &t.span,
                    format!("{kw} must be greater than 0, setting to 1"),
                );
                Some(1)
            }
            Some(v) => Some(v as u32),
            None => {
                self.error(&t.span, format!("{kw} '{}' invalid - ignoring", t.text));
                None
            }
        }
    }

    fn vrrp_script(&mut self, stmt: &Stmt) {
        let Some(name) = stmt.line.words.get(1).map(|t| t.text.clone()) else {
            self.error(&stmt.line.span, "vrrp_script must have a name - skipping");
            return;
        };
        if self.config.scripts.iter().any(|s| s.name == name) {
            // keepalived 2.2.7 says nothing and tracks the first definition.
            self.rep.at(
                Severity::Note,
                None,
                &stmt.line.span,
                format!("vrrp script {name} already defined - skipping"),
            );
            return;
        }
        let body = self.block(stmt);
        let mut s = VrrpScript {
            name: name.clone(),
            command: ScriptCommand {
                argv: Vec::new(),
                user: None,
            },
            interval: Duration::from_secs(1),
            timeout: None,
            weight: 0,
            reverse: false,
            rise: 1,
            fall: 1,
            init_fail: false,
        };
        for st in body {
            self.no_block(st);
            self.extra_words("vrrp_script", st);
            let kw = st.keyword();
            let w = &st.line.words;
            match kw {
                "script" => {
                    // Extra unquoted words are dropped (§1.3), and there is no user here.
                    if let Some(c) = self.script_cmd(st, false) {
                        s.command = c;
                    }
                }
                "interval" | "timeout" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    match self.decimal(t, 3, 0, u64::from(u32::MAX)) {
                        Some(0) => {
                            self.error(&t.span, format!("({name}): vrrp script {kw} must be greater than 0, setting to 1"));
                            let d = Duration::from_secs(1);
                            if kw == "interval" {
                                s.interval = d
                            } else {
                                s.timeout = Some(d)
                            }
                        }
                        Some(ms) => {
                            if ms % 1000 != 0 {
                                // keepalived >= 2.3 takes fractions; 2.2.7 rejects them.
                                self.rep.at(
                                    Severity::Warning,
                                    Some(Level::InvalidNumber),
                                    &t.span,
                                    format!("fractional vrrp script {kw} '{}' used as given; keepalived 2.2.7 rejects it (whole seconds only)", t.text),
                                );
                            }
                            let d = Duration::from_millis(ms);
                            if kw == "interval" {
                                s.interval = d
                            } else {
                                s.timeout = Some(d)
                            }
                        }
                        None => self.error(
                            &t.span,
                            format!("({name}): vrrp script {kw} '{}' invalid - ignoring", t.text),
                        ),
                    }
                }
                "weight" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    match self.int(t, -253, 253) {
                        Some(v) => s.weight = v as i32,
                        None => self.error(
                            &t.span,
                            format!(
                                "vrrp_script {name} weight {} must be in [-253, 253]",
                                t.text
                            ),
                        ),
                    }
                    if let Some(r) = w.get(2) {
                        if r.text == "reverse" {
                            s.reverse = true;
                        } else {
                            self.error(
                                &r.span,
                                format!("vrrp_script {name} unknown weight option {}", r.text),
                            );
                        }
                    }
                }
                "rise" | "fall" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    let v = match self.uint(t, 1, i32::MAX as u64) {
                        Some(v) => v as u32,
                        None => {
                            self.error(&t.span, format!("({name}): vrrp script {kw} value '{}' invalid, defaulting to 1", t.text));
                            1
                        }
                    };
                    if kw == "rise" { s.rise = v } else { s.fall = v }
                }
                "user" => {
                    let Some(u) = self.arg(st, 1) else { continue };
                    s.command.user = Some(script_user(&u.text, w.get(2).map(|g| g.text.as_str())));
                }
                "init_fail" => s.init_fail = true,
                _ if self.not_supported("vrrp_script", st) => {}
                _ => self.unknown("vrrp_script", st),
            }
        }
        if s.command.argv.is_empty() {
            self.error(
                &stmt.line.span,
                format!("No script set for vrrp_script {name} - removing"),
            );
            return;
        }
        if self.opts.check_interfaces && s.command.user.is_none() && self.default_user_failed() {
            self.error(
                &stmt.line.span,
                format!("Unable to set default user for vrrp script {name} - removing"),
            );
            return;
        }
        self.config.scripts.push(s);
    }

    fn instance(&mut self, stmt: &Stmt) {
        let Some(name) = stmt.line.words.get(1).map(|t| t.text.clone()) else {
            self.error(&stmt.line.span, "vrrp_instance must have a name - skipping");
            return;
        };
        if self.instance_names.contains(&name) {
            self.error(
                &stmt.line.span,
                format!("vrrp instance {name} already defined - skipping"),
            );
            return;
        }
        self.instance_spans
            .insert(name.clone(), stmt.line.span.clone());
        let mut r = RawInstance {
            name: name.clone(),
            span: Some(stmt.line.span.clone()),
            ..Default::default()
        };
        let body = self.block(stmt);
        for st in body {
            self.instance_keyword(&mut r, st);
        }
        if let Some(i) = self.complete(r) {
            self.instance_names.insert(i.name.clone());
            self.config.instances.push(i);
        }
    }

    fn instance_keyword(&mut self, r: &mut RawInstance, st: &Stmt) {
        let kw = st.keyword();
        let w = &st.line.words;
        let name = r.name.clone();
        if !matches!(
            kw,
            "authentication"
                | "virtual_ipaddress"
                | "track_script"
                | "track_interface"
                | "track_file"
                | "track_process"
                | "unicast_peer"
                | "virtual_ipaddress_excluded"
                | "virtual_routes"
                | "virtual_rules"
        ) && keywords::find("vrrp_instance", kw).is_some_and(|k| k.status == Status::Supported)
        {
            self.no_block(st);
            self.extra_words("vrrp_instance", st);
        }
        match kw {
            "state" => {
                let Some(t) = self.arg(st, 1) else { return };
                match t.text.as_str() {
                    "MASTER" => r.state = Some(InitialState::Master),
                    "BACKUP" => {
                        if r.state == Some(InitialState::Master) {
                            self.error(
                                &t.span,
                                format!(
                                    "({name}) state previously set as MASTER - ignoring BACKUP"
                                ),
                            );
                        } else {
                            r.state = Some(InitialState::Backup);
                        }
                    }
                    other => {
                        self.error(
                            &t.span,
                            format!("({name}) unknown state '{other}', defaulting to BACKUP"),
                        );
                        r.state = Some(InitialState::Backup);
                    }
                }
            }
            "interface" => {
                let Some(t) = self.arg(st, 1) else { return };
                if t.text.len() >= 16 {
                    self.error(
                        &t.span,
                        format!("Interface name '{}' too long - ignoring", t.text),
                    );
                } else if self.opts.check_interfaces && self.if_facts(&t.text).loopback {
                    self.error(
                        &t.span,
                        format!(
                            "({name}) cannot use a loopback interface ({}) for vrrp - ignoring",
                            t.text
                        ),
                    );
                } else {
                    r.interface = Some((t.text.clone(), t.span.clone()));
                }
            }
            "virtual_router_id" => {
                let Some(t) = self.arg(st, 1) else { return };
                match self.uint(t, 1, 255) {
                    Some(v) => r.vrid = Some(v as u8),
                    None => self.error(
                        &t.span,
                        format!(
                            "({name}): VRID '{}' not valid - must be between 1 & 255",
                            t.text
                        ),
                    ),
                }
            }
            "priority" => {
                let Some(t) = self.arg(st, 1) else { return };
                match self.uint(t, 1, 255) {
                    Some(v) => r.priority = Some(v as u8),
                    None => {
                        self.error(&t.span, format!("({name}) Priority not valid! must be between 1 & 255. Using default 100"));
                        r.priority = Some(100);
                    }
                }
            }
            "advert_int" => {
                let Some(t) = self.arg(st, 1) else { return };
                match self.decimal(t, 6, TIMER_HZ / 100, 255 * TIMER_HZ) {
                    Some(v) if v > 0 => r.advert_int = Some(v as u32),
                    _ => self.error(
                        &t.span,
                        format!(
                            "({name}) Advert interval ({}) not valid! Must be > 0 - ignoring",
                            t.text
                        ),
                    ),
                }
            }
            "version" => {
                let Some(t) = self.arg(st, 1) else { return };
                let v = match self.int(t, 2, 3) {
                    Some(2) => Version::V2,
                    Some(_) => Version::V3,
                    None => {
                        self.error(&t.span, format!("({name}): Version must be either 2 or 3"));
                        return;
                    }
                };
                // The first version written (or set by native_ipv6) stays, and an IPv6
                // instance cannot be made VRRPv2 afterwards (`vrrp_version_handler()`).
                if r.version.is_some_and(|c| c != v)
                    || (v == Version::V2 && r.family_v6() == Some(true))
                {
                    let n = |v: Version| if v == Version::V2 { 2 } else { 3 };
                    self.error(
                        &t.span,
                        format!(
                            "({name}) vrrp_version {} conflicts with configured or deduced version {}; ignoring.",
                            n(v),
                            r.version.map_or(0, n)
                        ),
                    );
                } else {
                    r.version = Some(v);
                }
            }
            "native_ipv6" => {
                if r.family_v6() == Some(false) {
                    self.error(
                        &w[0].span,
                        format!("({name}) Cannot specify native_ipv6 with IPv4 addresses"),
                    );
                } else {
                    // keepalived sets the version with the family, over any earlier `version`.
                    r.native_ipv6 = true;
                    r.version = Some(Version::V3);
                }
            }
            "authentication" => {
                let body = self.block(st);
                for a in body {
                    self.no_block(a);
                    match a.keyword() {
                        "auth_type" => {
                            let Some(t) = self.arg(a, 1) else { continue };
                            match t.text.as_str() {
                                "PASS" => r.auth_type = Some(()),
                                "AH" => {
                                    r.auth_ah = true;
                                    self.rep.at(
                                    Severity::Warning,
                                    None,
                                    &t.span,
                                    format!("({name}) AH authentication is not supported by keepalived-rs - ignoring"),
                                ).help = Some("use auth_type PASS, or no authentication".into())
                                }
                                other => self.error(
                                    &t.span,
                                    format!("({name}) unknown authentication type '{other}'"),
                                ),
                            }
                        }
                        "auth_pass" => {
                            let Some(t) = self.arg(a, 1) else { continue };
                            let bytes = t.text.as_bytes();
                            if bytes.len() > 8 {
                                let kept = String::from_utf8_lossy(&bytes[..8]).into_owned();
                                self.error_help(
                                    &t.span,
                                    "Truncating auth_pass to 8 characters",
                                    format!("only `{kept}` is used; every peer must give the same first 8 characters"),
                                );
                            }
                            let mut p = [0u8; 8];
                            let n = bytes.len().min(8);
                            p[..n].copy_from_slice(&bytes[..n]);
                            r.auth_pass = Some(p);
                        }
                        _ => self.unknown("authentication", a),
                    }
                }
            }
            "virtual_ipaddress" => {
                let body = self.block(st);
                r.vips.reserve_exact(body.len());
                for item in body {
                    self.vip(r, item);
                }
            }
            "track_script" => {
                let body = self.block(st);
                for item in body {
                    self.track_script(r, item);
                }
            }
            "track_interface" => {
                let body = self.block(st);
                for item in body {
                    self.track_interface(r, item);
                }
            }
            "track_file" | "track_process" => {
                let body = self.block(st);
                for item in body {
                    if kw == "track_file" {
                        self.instance_track_file(r, item);
                    } else {
                        self.instance_track_process(r, item);
                    }
                }
            }
            "unicast_peer" => {
                r.unicast_configured = true;
                let body = self.block(st);
                for item in body {
                    let t = &item.line.words[0];
                    let Some(a) = self.ip(t, &format!("({name}) unicast_peer")) else {
                        continue;
                    };
                    if r.family_v6().is_some_and(|v6| v6 != a.is_ipv6()) {
                        self.error(&t.span, format!("Configuration error: VRRP instance[{name}] and unicast peer address[{}] MUST be of the same family !!! Skipping...", t.text));
                        continue;
                    }
                    self.peer_options(&name, item);
                    r.unicast_peers.push(a);
                    r.unicast_peer_spans.push(t.span.clone());
                }
            }
            "nopreempt" => r.nopreempt = true,
            "preempt" => r.nopreempt = false,
            "preempt_delay" => {
                let Some(t) = self.arg(st, 1) else { return };
                match self.decimal(t, 6, 0, 1000 * TIMER_HZ) {
                    Some(v) => r.preempt_delay = v,
                    None => self.error(
                        &t.span,
                        format!("({name}) Preempt_delay not valid! must be between 0-1000"),
                    ),
                }
            }
            "notify" | "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" => {
                let Some(c) = self.script_cmd(st, true) else {
                    return;
                };
                let slot = match kw {
                    "notify" => &mut r.notify.generic,
                    "notify_master" => &mut r.notify.master,
                    "notify_backup" => &mut r.notify.backup,
                    "notify_fault" => &mut r.notify.fault,
                    _ => &mut r.notify.stop,
                };
                *slot = Some(Box::new(c));
            }
            "smtp_alert" => {
                if let Some(b) = self.boolean(st, "vrrp_instance smtp_alert") {
                    r.smtp_alert = Some(b);
                }
            }
            "unicast_src_ip" | "mcast_src_ip" => {
                let Some(t) = self.arg(st, 1) else { return };
                if kw == "unicast_src_ip" {
                    r.unicast_configured = true;
                }
                let Some(a) = self.ip(t, &format!("({name}) {kw}")) else {
                    return;
                };
                if r.family_v6().is_some_and(|v6| v6 != a.is_ipv6()) {
                    self.error(&t.span, format!("Configuration error: VRRP instance[{name}] and src address[{}] MUST be of the same family !!! Skipping...", t.text));
                    return;
                }
                r.src_ip = Some(a);
                r.src_ip_span = Some(t.span.clone());
            }
            "garp_master_delay" => r.garp_master_delay = self.secs(st, kw).or(r.garp_master_delay),
            "garp_master_refresh" => {
                r.garp_master_refresh = self.secs(st, kw).or(r.garp_master_refresh)
            }
            "garp_master_repeat" => {
                r.garp_master_repeat = self.repeat(st, kw).or(r.garp_master_repeat)
            }
            "garp_master_refresh_repeat" => {
                r.garp_master_refresh_repeat = self.repeat(st, kw).or(r.garp_master_refresh_repeat)
            }
            "dont_track_primary" => r.dont_track_primary = true,
            "strict_mode" => self.strict_mode(r, st),
            "accept" => r.accept = Some(true),
            "no_accept" => r.accept = Some(false),
            _ if self.instance_routes_keyword(r, st) => {}
            _ if self.notifyx_instance(r, st) => {}
            _ if self.instance_knob(r, st) => {}
            _ if self.instance_vmac(r, st) => {}
            _ if self.io_instance(r, st) => {}
            _ if self.not_supported("vrrp_instance", st) => {
                r.ignored
                    .push((kw.to_string(), w.get(1).map(|t| t.text.clone())));
            }
            _ => self.unknown("vrrp_instance", st),
        }
    }

    /// One `virtual_ipaddress` line (§4.3): `alloc_ipaddress()` (in `routes.rs`), then the
    /// instance's family (`alloc_vrrp_vip()`).
    fn vip(&mut self, r: &mut RawInstance, item: &Stmt) {
        let name = r.name.clone();
        let Some(v) = self.ip_address_line(item, false) else {
            return;
        };
        let first = &item.line.words[0];
        if r.vips.iter().any(|x| x.addr == v.addr) {
            // keepalived 2.2.7 keeps duplicates silently; the kernel holds an address once.
            self.rep.at(
                Severity::Note,
                None,
                &first.span,
                format!("({name}) duplicate VIP {} - ignoring", first.text),
            );
            return;
        }
        if r.family_v6().is_some_and(|v6| v6 != v.addr.is_ipv6()) {
            self.error(
                &first.span,
                format!(
                    "({name}): address family must match VRRP instance [{}] - ignoring",
                    first.text
                ),
            );
            return;
        }
        if item.line.words[1..].iter().any(|t| t.text == "use_vmac") {
            // The VIP gets a VMAC of its own (`vmac.rs`).
            r.vmac.vip_use_vmac.push(v.addr);
        }
        r.vips.push(v);
    }

    /// `ADDR [min_ttl N] [max_ttl N]` of a `unicast_peer` line (`alloc_unicast_peer()`):
    /// options come in pairs; a second address on the line is an option without a value.
    fn peer_options(&mut self, name: &str, item: &Stmt) {
        let w = &item.line.words;
        let (mut min, mut max) = (0u64, 255u64);
        let mut i = 1;
        while i < w.len() {
            let opt = &w[i];
            let Some(val) = w.get(i + 1) else {
                let msg = format!("({name}) {} is missing a value", opt.text);
                if opt.text.parse::<IpAddr>().is_ok() {
                    self.error_help(
                        &opt.span,
                        msg,
                        format!(
                            "keepalived reads one peer per line: put `{}` on a line of its own",
                            opt.text
                        ),
                    );
                } else {
                    self.error(&opt.span, msg);
                }
                break;
            };
            if let Some(ttl) = self.uint(val, 0, 255) {
                match opt.text.as_str() {
                    "min_ttl" => min = ttl,
                    "max_ttl" => max = ttl,
                    other => {
                        self.error(
                            &opt.span,
                            format!("({name}) unknown unicast_peer option {other}"),
                        );
                        break;
                    }
                }
                self.note_once(
                    "unicast_peer",
                    "min_ttl",
                    &opt.span,
                    "unicast_peer min_ttl/max_ttl are not acted on by keepalived-rs".into(),
                );
            }
            i += 2;
        }
        if min > max {
            self.error(
                &item.line.span,
                format!("({name}) min_ttl {min} > max_ttl {max} - all packets will be discarded"),
            );
        }
    }

    fn track_script(&mut self, r: &mut RawInstance, item: &Stmt) {
        let name = r.name.clone();
        let w = &item.line.words;
        let tracked = &w[0];
        let Some(script) = self.config.scripts.iter().find(|s| s.name == tracked.text) else {
            self.error(
                &tracked.span,
                format!(
                    "({name}) track script {} not found, ignoring...",
                    tracked.text
                ),
            );
            return;
        };
        let own_weight = script.weight;
        if r.track_scripts.iter().any(|t| t.name == tracked.text) {
            self.error(
                &tracked.span,
                format!(
                    "({name}) duplicate track_script {} - ignoring",
                    tracked.text
                ),
            );
            return;
        }
        let mut ts = TrackScript {
            name: tracked.text.clone(),
            weight: None,
            reverse: None,
        };
        if let Some(opt) = w.get(1) {
            if opt.text != "weight" {
                let msg = format!(
                    "({name}) unknown track script option {} - ignoring",
                    opt.text
                );
                if self.config.scripts.iter().any(|s| s.name == opt.text) {
                    self.error_help(
                        &opt.span,
                        msg,
                        format!(
                            "keepalived reads one script per line, so neither `{}` nor `{}` is \
                             tracked: put each on a line of its own",
                            tracked.text, opt.text
                        ),
                    );
                } else {
                    self.error(&opt.span, msg);
                }
                return;
            }
            let Some(val) = w.get(2) else {
                self.error(
                    &opt.span,
                    format!(
                        "({name}) weight without value specified for track script {} - ignoring",
                        tracked.text
                    ),
                );
                return;
            };
            match self.int(val, -254, 254) {
                Some(x) if x.abs() == 254 => {
                    self.error(
                        &val.span,
                        format!(
                            "({name}) weight for {} cannot be +/-254. Setting to +/-253",
                            tracked.text
                        ),
                    );
                    ts.weight = Some(x.signum() as i32 * 253);
                }
                Some(x) => ts.weight = Some(x as i32),
                None => {
                    self.error(&val.span, format!("({name}) track script {}: weight must be between [-253..253] inclusive, ignoring...", tracked.text));
                    ts.weight = Some(own_weight);
                }
            }
            if let Some(rv) = w.get(3) {
                match rv.text.as_str() {
                    "reverse" => ts.reverse = Some(true),
                    "noreverse" => ts.reverse = Some(false),
                    o => self.error(
                        &rv.span,
                        format!(
                            "({name}) unknown track_script {} weight option {o} - ignoring",
                            tracked.text
                        ),
                    ),
                }
            }
        }
        r.track_scripts.push(ts);
    }

    fn track_interface(&mut self, r: &mut RawInstance, item: &Stmt) {
        let name = r.name.clone();
        let w = &item.line.words;
        let ifname = &w[0];
        if self.check_ifs() && !self.if_facts(&ifname.text).exists {
            self.rep.at(
                Severity::Fatal,
                Some(Level::GeneralError),
                &ifname.span,
                format!("({name}) tracked interface {} doesn't exist", ifname.text),
            );
            self.nonexistent_interface(&ifname.span);
            return;
        }
        if r.track_interfaces.iter().any(|t| t.name == ifname.text) {
            self.error(
                &ifname.span,
                format!(
                    "({name}) duplicate track_interface {} - ignoring",
                    ifname.text
                ),
            );
            return;
        }
        let mut ti = TrackInterface {
            name: ifname.text.clone(),
            weight: 0,
            reverse: false,
        };
        if let Some(opt) = w.get(1) {
            if opt.text != "weight" {
                self.error(
                    &opt.span,
                    format!(
                        "({name}) unknown track_interface {} option {} - ignoring",
                        ifname.text, opt.text
                    ),
                );
                return;
            }
            let Some(val) = w.get(2) else {
                self.error(
                    &opt.span,
                    format!(
                        "({name}) weight without value specified for track_interface {} - ignoring",
                        ifname.text
                    ),
                );
                return;
            };
            match self.int(val, -254, 254) {
                Some(x) if x.abs() == 254 => {
                    self.error(
                        &val.span,
                        format!(
                            "({name}) weight for {} cannot be +/-254. Setting to +/-253",
                            ifname.text
                        ),
                    );
                    ti.weight = x.signum() as i32 * 253;
                }
                Some(x) => ti.weight = x as i32,
                None => {
                    self.error(&val.span, format!("({name}) weight {} for {} must be between [-253..253] inclusive. Ignoring", val.text, ifname.text));
                    return;
                }
            }
            if let Some(rv) = w.get(3) {
                if rv.text == "reverse" {
                    ti.reverse = true;
                } else {
                    self.error(
                        &rv.span,
                        format!(
                            "({name}) unknown track_interace {} weight option {} - ignoring",
                            ifname.text, rv.text
                        ),
                    );
                }
            }
        }
        r.track_interfaces.push(ti);
    }

    /// `vrrp_complete_instance()` (§4.2): defaults, derived values and fatal checks.
    fn complete(&mut self, mut r: RawInstance) -> Option<Instance> {
        let name = r.name.clone();
        let span = r.span.clone().expect("set when created");
        let g = self.config.global.clone();
        let mut fatal = false;

        let Some(vrid) = r.vrid else {
            self.rep.at(
                Severity::Fatal,
                Some(Level::GeneralError),
                &span,
                format!("({name}) the virtual router id must be set"),
            );
            return None;
        };
        if r.interface.is_none() && r.src_ip.is_none() {
            self.rep.at(
                Severity::Fatal,
                Some(Level::GeneralError),
                &span,
                format!("({name}) Unknown interface !"),
            );
            fatal = true;
        }
        if let Some((ifname, ifspan)) = &r.interface {
            if self.check_ifs() && !self.if_facts(ifname).exists {
                self.error(
                    ifspan,
                    format!("WARNING - interface {ifname} for vrrp_instance {name} doesn't exist"),
                );
                self.nonexistent_interface(ifspan);
                fatal = true;
            }
        }
        let v6 = r.family_v6().unwrap_or(false);
        let strict = r.strict.unwrap_or(self.strict);
        let vmac = self.complete_vmac(&r, &span, vrid, v6, strict);
        if vmac.own.is_some() {
            // Set on the VMAC anyway; keepalived ignores the keyword then (reported above).
            r.routes.promote_secondaries = false;
        }
        let version = if v6 {
            // keepalived keeps an explicit `version 2` on IPv6 unless strict.
            if r.version == Some(Version::V2) && !strict {
                Version::V2
            } else {
                if r.version == Some(Version::V2) {
                    self.error(
                        &span,
                        format!("({name}) cannot use IPv6 with VRRP version 2; setting version 3"),
                    );
                }
                Version::V3
            }
        } else {
            r.version.unwrap_or(g.vrrp_version)
        };
        let priority = r
            .priority
            .unwrap_or(if r.state == Some(InitialState::Master) {
                255
            } else {
                100
            });
        let mut initial_state = r.state.unwrap_or(if priority == 255 {
            InitialState::Master
        } else {
            InitialState::Backup
        });
        if r.auth_ah && initial_state == InitialState::Master && priority != 255 {
            self.error(
                &span,
                format!("({name}) Initial state master is incompatible with AH authentication - clearing"),
            );
            initial_state = InitialState::Backup;
        }

        if strict
            && r.state.is_some()
            && (initial_state == InitialState::Master) != (priority == 255)
        {
            self.error(
                &span,
                format!("({name}) State MASTER must match being address owner"),
            );
            initial_state = if priority == 255 {
                InitialState::Master
            } else {
                InitialState::Backup
            };
        }
        let ignored = |k: &str| {
            r.ignored
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        let auth = match (r.auth_type, r.auth_pass) {
            (None, _) => None,
            (Some(()), _) if strict => {
                self.error(
                    &span,
                    format!("({name}) Strict mode does not support authentication. Ignoring."),
                );
                None
            }
            (Some(()), _) if version == Version::V3 => {
                self.error(
                    &span,
                    format!("({name}) VRRP version 3 does not support authentication. Ignoring."),
                );
                None
            }
            (Some(()), Some(p)) if p[0] != 0 => Some(Auth::Pass(p)),
            (Some(()), _) => {
                self.error(
                    &span,
                    format!("({name}) Authentication specified but no password given. Ignoring"),
                );
                None
            }
        };

        if let Some(src) = r.src_ip {
            if let Some(i) = r.unicast_peers.iter().position(|p| *p == src) {
                let at = r.unicast_peer_spans[i].clone();
                self.note_help(
                    &at,
                    format!("({name}) unicast_peer {src} is this instance's own unicast_src_ip"),
                    "it then sends its adverts to itself too; list only the other nodes \
                     (a peer list shared by all nodes can use per-node `@id` lines)",
                );
            }
        }

        let mut nopreempt = r.nopreempt;
        let mut preempt_delay = r.preempt_delay;
        if priority == 255 && nopreempt {
            self.error(
                &span,
                format!(
                    "({name}) nopreempt is incompatible with priority 255. resetting nopreempt"
                ),
            );
            nopreempt = false;
        }
        if initial_state == InitialState::Master {
            if nopreempt {
                self.error_help(
                    &span,
                    format!("({name}) Warning - nopreempt will not work with initial state MASTER - clearing"),
                    "nopreempt needs `state BACKUP` on every node; with state MASTER this node \
                     takes over again whenever it has the highest priority",
                );
                nopreempt = false;
            }
            if preempt_delay > 0 {
                self.error(&span, format!("({name}) Warning - preempt delay will not work with initial state MASTER - clearing"));
                preempt_delay = 0;
            }
        }
        if preempt_delay > 0 && strict {
            self.error(
                &span,
                format!("({name}) preempt_delay is incompatible with strict mode - resetting"),
            );
            preempt_delay = 0;
        }
        let mut accept = None;
        if strict {
            let nonzero = |v: Option<Option<String>>| {
                v.is_some_and(|a| {
                    a.as_deref()
                        .is_some_and(|x| x.parse::<f64>().ok() != Some(0.0))
                })
            };
            let is_false =
                |v: &Option<String>| matches!(v.as_deref(), Some("false" | "off" | "no"));
            if ignored("down_timer_adverts")
                .flatten()
                .is_some_and(|v| v != "3")
            {
                self.error(
                    &span,
                    format!(
                        "({name}) down_timer_adverts is incompatible with strict mode - resetting"
                    ),
                );
            }
            // keepalived checks accept mode here, between the two groups of strict messages.
            accept = Some(self.accept_mode(&span, &name, r.accept, priority, strict, version));
            if nonzero(ignored("garp_lower_prio_repeat")) {
                self.error(
                    &span,
                    format!("({name}) Strict mode requires no repeat garps. resetting"),
                );
            }
            if nonzero(ignored("garp_lower_prio_delay")) {
                self.error(
                    &span,
                    format!("({name}) Strict mode requires no repeat garp delay. resetting"),
                );
            }
            if ignored("lower_prio_no_advert").is_some_and(|v| is_false(&v)) {
                self.error(
                    &span,
                    format!("({name}) Strict mode requires no lower priority advert. resetting"),
                );
            }
            if ignored("higher_prio_send_advert").is_some_and(|v| !is_false(&v)) {
                self.error(&span, format!("({name}) strict mode requires higher_prio_send_advert to be clear. resetting"));
            }
        }
        let accept = accept
            .unwrap_or_else(|| self.accept_mode(&span, &name, r.accept, priority, strict, version));
        if preempt_delay > 0 && nopreempt {
            self.error(
                &span,
                format!("({name}) preempt_delay is incompatible with nopreempt mode - resetting"),
            );
            preempt_delay = 0;
        }

        let smtp_alert = r
            .smtp_alert
            .or(g.smtp_alert_vrrp)
            .or(g.smtp_alert)
            .unwrap_or(false);

        // advert_int is kept in microseconds until rounded for the version.
        let mut adv = u64::from(r.advert_int.unwrap_or(TIMER_HZ as u32));
        match version {
            Version::V2 => {
                if adv >= 256 * TIMER_HZ {
                    self.error(&span, format!("({name}) VRRPv2 advertisement interval is out of range. Must be less than 256s. Setting to 255s"));
                    adv = 255 * TIMER_HZ;
                } else if adv % TIMER_HZ != 0 {
                    self.error(&span, format!("({name}) VRRPv2 advertisement interval {:.6}s must be an integer. rounding", adv as f64 / TIMER_HZ as f64));
                    adv += TIMER_HZ / 2;
                    adv -= adv % TIMER_HZ;
                    if adv == 0 {
                        adv = TIMER_HZ;
                    }
                }
            }
            Version::V3 => {
                let centi = TIMER_HZ / 100;
                if adv >= 4096 * centi {
                    self.error(&span, format!("({name}) VRRPv3 advertisement interval is out of range. Must be less than 40.96s. Setting to 40.95s"));
                    adv = 4095 * centi;
                } else if adv % centi != 0 {
                    self.error(&span, format!("({name}) VRRPv3 advertisement interval {:.6}s must be in units of 10ms - rounding", adv as f64 / TIMER_HZ as f64));
                    adv += centi / 2;
                    adv -= adv % centi;
                    if adv == 0 {
                        adv = centi;
                    }
                }
            }
        }

        let rt = self.complete_routes(
            &mut r,
            &span,
            strict,
            if version == Version::V2 { 8 } else { 0 },
        );
        if r.vips.is_empty() && !rt.allow_no_vips {
            if version == Version::V3 || strict {
                self.rep.at(
                    Severity::Fatal,
                    Some(Level::GeneralError),
                    &span,
                    format!("({name}) No VIP specified; at least one is required"),
                );
                fatal = true;
            } else {
                self.rep.at(
                    Severity::Warning,
                    Some(Level::Warning),
                    &span,
                    format!("({name}) No VIP specified; at least one is sensible"),
                );
            }
        }

        if strict && !r.unicast_peers.is_empty() {
            // Without host checks assume the usual multicast-capable Ethernet interface.
            let mcast = match &r.interface {
                Some((i, _)) => !self.opts.check_interfaces || self.if_facts(i).multicast,
                None => false,
            };
            if mcast {
                self.rep.at(
                    Severity::Fatal,
                    Some(Level::GeneralError),
                    &span,
                    format!("({name}) Unicast peers are not supported in strict mode"),
                );
                fatal = true;
            }
        }
        let unicast_peers = if r.unicast_configured
            && r.unicast_peers.is_empty()
            && r.unicast_opts.fault_no_peer
        {
            // keepalived logs it when it completes the instance (not under -t).
            self.rep.at(
                Severity::Note,
                None,
                &span,
                format!("({name}) Cannot use unicast without any peers - going to fault state"),
            );
            Vec::new()
        } else if r.unicast_configured && r.unicast_peers.is_empty() {
            self.rep.at(
                Severity::Warning,
                Some(Level::GeneralError),
                &span,
                format!("({name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration."),
            );
            Vec::new()
        } else {
            r.unicast_peers
        };

        let mut track_scripts = r.track_scripts;
        if priority == 255 {
            let scripts = &self.config.scripts;
            let weighted: Vec<String> = track_scripts
                .iter()
                .filter(|t| {
                    t.weight.unwrap_or_else(|| {
                        scripts
                            .iter()
                            .find(|s| s.name == t.name)
                            .map_or(0, |s| s.weight)
                    }) != 0
                })
                .map(|t| t.name.clone())
                .collect();
            for n in &weighted {
                self.rep.at(
                    Severity::Note,
                    None,
                    &span,
                    format!(
                        "({name}) ignoring tracked script {n} with weights due to address_owner"
                    ),
                );
            }
            track_scripts.retain(|t| !weighted.contains(&t.name));
        }
        let mut track_interfaces = r.track_interfaces;
        if let Some((ifname, _)) = &r.interface {
            if track_interfaces.iter().any(|t| &t.name == ifname) {
                self.error(
                    &span,
                    format!("({name}) Ignoring track_interface {ifname} since own interface"),
                );
                track_interfaces.retain(|t| &t.name != ifname);
            }
        }
        if priority == 255 {
            track_interfaces.iter_mut().for_each(|t| t.weight = 0);
        }
        let mut track_files = r.track_files;
        if priority == 255 {
            self.owner_track_files(&name, &span, &mut track_files);
        }

        // RFC 5798 §5.2.9: over IPv6 the first address is the link-local one. keepalived 2.2.7
        // only logs "should be" at run time (the daemon does) unless strict, where it is a
        // configuration error (`-t` exit 5, observed).
        if v6
            && strict
            && unicast_peers.is_empty()
            && r.vips
                .first()
                .is_some_and(|v| matches!(v.addr, IpAddr::V6(a) if !a.is_unicast_link_local()))
        {
            self.error(
                &span,
                format!("({name}) the first IPv6 VIP address must be link local"),
            );
        }

        let mcast_group = match r.mcast_dst {
            // `mcast_dst_ip`, checked against the family when read.
            Some(a) if a.is_ipv6() == v6 => a,
            _ if v6 => IpAddr::V6(g.vrrp_mcast_group6),
            _ => IpAddr::V4(g.vrrp_mcast_group4),
        };
        if fatal {
            return None;
        }
        let k = self.complete_knobs(
            &r.knobs,
            &name,
            &span,
            strict,
            priority,
            !unicast_peers.is_empty(),
        );
        Some(Instance {
            name,
            initial_state,
            interface: r.interface.map(|x| x.0),
            vrid,
            priority,
            advert_int: Centis((adv / (TIMER_HZ / 100)) as u32),
            version,
            auth,
            vips: r.vips,
            track_scripts,
            track_interfaces,
            track_files,
            track_processes: r.track_processes,
            dont_track_primary: r.dont_track_primary,
            nopreempt,
            preempt_delay: Duration::from_micros(preempt_delay),
            notify: r.notify,
            smtp_alert,
            notify_priority_changes: r
                .notify_priority_changes
                .unwrap_or(g.vrrp_notify_priority_changes),
            src_ip: r.src_ip,
            unicast_peers,
            mcast_group,
            garp_master_delay: r.garp_master_delay.unwrap_or(g.vrrp_garp_master_delay),
            garp_master_repeat: r.garp_master_repeat.unwrap_or(g.vrrp_garp_master_repeat),
            garp_master_refresh: r.garp_master_refresh.unwrap_or(g.vrrp_garp_master_refresh),
            garp_master_refresh_repeat: r
                .garp_master_refresh_repeat
                .unwrap_or(g.vrrp_garp_master_refresh_repeat),
            garp_lower_prio_delay: k.garp_lower_prio_delay,
            garp_lower_prio_repeat: k.garp_lower_prio_repeat,
            down_timer_adverts: k.down_timer_adverts,
            lower_prio_no_advert: k.lower_prio_no_advert,
            higher_prio_send_advert: k.higher_prio_send_advert,
            owner_ignore_adverts: k.owner_ignore_adverts,
            skip_check_adv_addr: k.skip_check_adv_addr,
            check_unicast_src: k.check_unicast_src,
            unicast_ttl: k.unicast_ttl,
            v3_checksum_as_v2: k.v3_checksum_as_v2,
            vips_excluded: rt.vips_excluded,
            virtual_routes: rt.virtual_routes,
            virtual_rules: rt.virtual_rules,
            implicit_interfaces: rt.implicit_interfaces,
            promote_secondaries: rt.promote_secondaries,
            track_src_ip: rt.track_src_ip,
            vmac,
            strict,
            accept,
            unicast_opts: r.unicast_opts,
        })
    }

    /// Whole-configuration checks after every block is read: script security, unused scripts.
    fn finish(mut self) -> Config {
        self.check_vrid_conflicts();
        self.finish_sync_groups();
        self.finish_vmacs();
        // A FIFO script belongs to its FIFO; without one it is never started.
        for (slot, prefix) in [(0, ""), (1, "vrrp_")] {
            let Some((cmd, span)) = self.fifo_scripts[slot].take() else {
                continue;
            };
            let g = &mut self.config.global;
            let fifo = if slot == 0 {
                &mut g.notify_fifo
            } else {
                &mut g.vrrp_notify_fifo
            };
            match fifo {
                Some(f) => f.script = Some(cmd),
                None => {
                    self.rep
                        .at(
                            Severity::Note,
                            None,
                            &span,
                            format!(
                                "{prefix}notify_fifo_script without {prefix}notify_fifo - never run"
                            ),
                        )
                        .help = Some(format!("add `{prefix}notify_fifo PATH` to global_defs"));
                }
            }
        }
        // The checker process's whole-configuration checks come first in keepalived's `-t`.
        self.lvs_finish();
        // Scripts that cannot run, or may not (script security), are dropped and untracked.
        self.script_security();
        self.finish_start_stop();
        self.finish_io();
        let used: HashSet<String> = self
            .config
            .instances
            .iter()
            .flat_map(|i| i.track_scripts.iter().map(|t| t.name.clone()))
            .chain(
                self.config
                    .sync_groups
                    .iter()
                    .flat_map(|g| g.track_scripts.iter().map(|t| t.name.clone())),
            )
            .collect();
        let unused: Vec<String> = self
            .config
            .scripts
            .iter()
            .filter(|s| !used.contains(&s.name))
            .map(|s| s.name.clone())
            .collect();
        for n in &unused {
            // keepalived 2.2.7 says this only when running, not under -t: no level.
            self.rep.global(
                Severity::Note,
                None,
                format!("Warning - script {n} is not used"),
            );
        }
        self.config.scripts.retain(|s| used.contains(&s.name));
        self.drop_untracked();
        self.narrow_weight_notes();
        self.reduce_if_delays();
        self.finish_firewall();
        self.config
    }
}

impl Validator<'_> {
    /// `get_default_script_user()`: with `enable_script_security` and no `script_user`, the
    /// `keepalived_script` account must exist (reported once), else scripts lose their user.
    fn default_user_failed(&mut self) -> bool {
        if let Some(f) = self.default_user_fail {
            return f;
        }
        let missing = !user_exists(&ScriptUser {
            user: "keepalived_script".into(),
            group: None,
        });
        let fail = missing && self.config.global.enable_script_security;
        if fail {
            self.rep.global(
                Severity::Error,
                Some(Level::GeneralError),
                "Unable to set default user keepalived_script for script",
            );
        }
        self.default_user_fail = Some(fail);
        fail
    }
}

/// An interface ioctl (`SIOCGIF*`) answered by the kernel of the current network namespace:
/// after `setns()` (`net_namespace`, `-s`) that is the namespace's, where `/sys/class/net`
/// would still show the one sysfs was mounted in.
fn if_ioctl(name: &str, request: libc::c_ulong) -> Option<libc::ifreq> {
    use std::os::fd::AsRawFd;
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains(['/', '\0']) {
        return None;
    }
    let sock = std::os::unix::net::UnixDatagram::unbound().ok()?;
    // SAFETY: an all-zero ifreq is valid; the name is copied within IFNAMSIZ - 1 bytes, so it
    // stays NUL-terminated; the ioctl writes only into `ifr`, which outlives the call.
    unsafe {
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        (libc::ioctl(sock.as_raw_fd(), request as _, &mut ifr) == 0).then_some(ifr)
    }
}

/// `ARPHRD_LOOPBACK` (772) as the interface's hardware type.
fn interface_is_loopback(name: &str) -> bool {
    // SAFETY: SIOCGIFHWADDR fills `ifru_hwaddr`, the union member read.
    if_ioctl(name, libc::SIOCGIFHWADDR)
        .is_some_and(|r| unsafe { r.ifr_ifru.ifru_hwaddr.sa_family } == libc::ARPHRD_LOOPBACK)
}

/// The interface's MTU (SIOCGIFMTU, so it is read in the current network namespace).
fn interface_mtu(name: &str) -> Option<usize> {
    // SAFETY: SIOCGIFMTU fills `ifru_mtu`, the union member read.
    if_ioctl(name, libc::SIOCGIFMTU)
        .and_then(|r| usize::try_from(unsafe { r.ifr_ifru.ifru_mtu }).ok())
}

/// The user (and group, when given) exist in the system databases.
fn user_exists(u: &ScriptUser) -> bool {
    use nix::unistd::{Group, User};
    let user_ok = matches!(User::from_name(&u.user), Ok(Some(_)));
    let group_ok = u
        .group
        .as_ref()
        .is_none_or(|g| matches!(Group::from_name(g), Ok(Some(_))));
    user_ok && group_ok
}

/// `IFF_MULTICAST` in the interface's flags; unknown interfaces count as multicast-capable.
fn interface_multicast(name: &str) -> bool {
    // SAFETY: SIOCGIFFLAGS fills `ifru_flags`, the union member read.
    if_ioctl(name, libc::SIOCGIFFLAGS).is_none_or(|r| {
        (unsafe { r.ifr_ifru.ifru_flags } as libc::c_int) & libc::IFF_MULTICAST != 0
    })
}

fn script_user(user: &str, group: Option<&str>) -> ScriptUser {
    // `USER:GROUP`, `USER :GROUP` and `USER GROUP` are all accepted by keepalived.
    if let Some((u, g)) = user.split_once(':') {
        return ScriptUser {
            user: u.to_string(),
            group: (!g.is_empty()).then(|| g.to_string()),
        };
    }
    let group = group
        .map(|g| g.trim_start_matches(':'))
        .filter(|g| !g.is_empty());
    ScriptUser {
        user: user.to_string(),
        group: group.map(str::to_string),
    }
}

/// An interface exists when the kernel of the current network namespace knows its name.
fn interface_exists(name: &str) -> bool {
    if_ioctl(name, libc::SIOCGIFINDEX).is_some()
}

#[cfg(test)]
mod fifo_tests {
    use crate::config::Loaded;
    use crate::model::{NotifyFifo, ScriptCommand, ScriptUser};

    fn load(global: &str) -> Loaded {
        crate::config::load_test(&format!("global_defs {{\n{global}\n}}\n"))
    }

    #[test]
    fn fifos_paths_users_and_scripts() {
        let l = load(
            "vrrp_notify_fifo_script \"/x/reader.sh -v\" nobody\n\
             vrrp_notify_fifo /run/ka.fifo root root\n\
             notify_fifo /run/all.fifo\n",
        );
        let g = &l.config.as_ref().unwrap().global;
        assert_eq!(
            g.notify_fifo,
            Some(NotifyFifo {
                path: "/run/all.fifo".into(),
                user: None,
                script: None,
            })
        );
        assert_eq!(
            g.vrrp_notify_fifo,
            Some(NotifyFifo {
                path: "/run/ka.fifo".into(),
                user: Some(ScriptUser {
                    user: "root".into(),
                    group: Some("root".into()),
                }),
                script: Some(ScriptCommand {
                    argv: vec!["/x/reader.sh".into(), "-v".into()],
                    user: Some(ScriptUser {
                        user: "nobody".into(),
                        group: None,
                    }),
                }),
            })
        );
        // A FIFO script is a script: keepalived's security check counts it (vrrp.c).
        assert_eq!(
            l.messages(),
            ["SECURITY VIOLATION - scripts are being executed but script_security not enabled."]
        );
    }

    #[test]
    fn duplicates_and_orphan_scripts() {
        let l = load(
            "notify_fifo /a\nnotify_fifo /b\n\
             notify_fifo_script /s1\nnotify_fifo_script /s2\n\
             vrrp_notify_fifo_script /orphan\n",
        );
        let g = &l.config.as_ref().unwrap().global;
        let f = g.notify_fifo.as_ref().unwrap();
        assert_eq!(f.path, "/a");
        assert_eq!(f.script.as_ref().unwrap().argv, ["/s1"]);
        assert_eq!(g.vrrp_notify_fifo, None);
        let m = l.messages();
        assert!(
            m.contains(&"notify_fifo already specified - ignoring /b".to_string()),
            "{m:?}"
        );
        assert!(
            m.contains(&"notify_fifo_script already specified - ignoring /s2".to_string()),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|s| s.contains("vrrp_notify_fifo_script without vrrp_notify_fifo")),
            "{m:?}"
        );
    }
}
