//! The files keepalived writes on signals (inventory §5.2, §5.4) and the systemd `STATUS=` line.
//!
//! - SIGUSR1 -> `keepalived.data`: one ` VRRP Instance = NAME` block per instance with
//!   keepalived's key names (`State`, `Wantstate`, `Interface`, `Virtual Router ID`,
//!   `Gratuitous ARP delay`, `Virtual IP (N):` …), then our normalised config dump.
//! - SIGUSR2 -> `keepalived.stats`, keepalived's exact layout; SIGRTMAX-1 writes it, then the
//!   daemon zeroes the counters.
//! - SIGRTMIN+2 -> `keepalived.json`, keepalived's `json_version 1` layout: an array of
//!   `{"data":{…},"stats":{…}}`, the fields 2.2.7's `vrrp_json.c` writes, in its order, with its
//!   value types (booleans, unsigned integers, `%g` floats, `%f` for `last_transition`).
//!
//! The exporters parse these files line by line or with Go's `encoding/json` into `int`
//! fields (peers.md §3): layout and number formats are an interface, not cosmetics.
//! All files are written atomically (temp file + rename) on a blocking thread, never on the loop.

use crate::model::{self, Auth, Centis, ScriptCommand, Version};
use crate::vrrp::{self, State, Stats};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::SystemTime;

/// keepalived's temp directory (`set_tmp_dir()`): `$TMPDIR` when it is an absolute path (and,
/// as keepalived ≥ 2.3 checks, a directory), else `/tmp`. The second value is the line to log
/// when `$TMPDIR` was set but not usable.
pub fn tmp_dir(tmpdir_env: Option<&std::ffi::OsStr>) -> (PathBuf, Option<String>) {
    let fallback = PathBuf::from("/tmp");
    let Some(t) = tmpdir_env.filter(|t| t.as_encoded_bytes().first() == Some(&b'/')) else {
        return (fallback, None);
    };
    let t = PathBuf::from(t);
    if t.is_dir() {
        (t, None)
    } else {
        let why = format!("Environment TMPDIR={} not a directory", t.display());
        (fallback, Some(why))
    }
}

/// The three files the signals write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    /// SIGUSR1, `keepalived.data` (`state_dump_file`).
    Data,
    /// SIGUSR2 and STATS_CLEAR, `keepalived.stats` (`stats_dump_file`).
    Stats,
    /// SIGRTMIN+2, `keepalived.json` (`json_dump_file`).
    Json,
}

/// Where a dump goes, by keepalived's `open_dump_file()` rules: a configured absolute path is
/// used as is, or as a directory when it ends in `/`; a relative one keeps only its last
/// component, under `tmp`; nothing configured is `tmp/keepalived.{data,stats,json}`. With
/// `data_use_instance` the state dump's name gets `.NS_INST` (whichever of the namespace and
/// instance names are set, `_` between them) before its last `.`: `keepalived.blue_east.data`.
/// keepalived applies that suffix to the state dump only, and so do we.
pub fn dump_path(
    kind: DumpKind,
    files: &model::DumpFiles,
    tmp: &std::path::Path,
    namespace: Option<&str>,
    instance: Option<&str>,
) -> PathBuf {
    let (configured, default) = match kind {
        DumpKind::Data => (&files.state, "keepalived.data"),
        DumpKind::Stats => (&files.stats, "keepalived.stats"),
        DumpKind::Json => (&files.json, "keepalived.json"),
    };
    let configured = configured.as_deref().filter(|p| !p.is_empty());
    let dir = match configured {
        Some(p) if p.starts_with('/') => match p.rfind('/') {
            Some(0) => PathBuf::from("/"),
            Some(i) => PathBuf::from(&p[..i]),
            None => unreachable!("starts with /"),
        },
        _ => tmp.to_path_buf(),
    };
    let name = match configured {
        Some(p) if !p.ends_with('/') => p.rsplit('/').next().unwrap_or(p),
        _ => default,
    };
    let suffix = if kind == DumpKind::Data && files.data_use_instance {
        match (namespace, instance) {
            (None, None) => String::new(),
            (ns, inst) => format!(
                ".{}{}{}",
                ns.unwrap_or(""),
                if ns.is_some() && inst.is_some() {
                    "_"
                } else {
                    ""
                },
                inst.unwrap_or("")
            ),
        }
    } else {
        String::new()
    };
    let (stem, ext) = name.rfind('.').map_or((name, ""), |i| name.split_at(i));
    dir.join(format!("{stem}{suffix}{ext}"))
}

/// One running instance as the dumps see it: the engine plus the wall-clock facts the
/// (sans-IO, monotonic-clock) engine does not keep.
#[derive(Debug, Clone, Copy)]
pub struct InstanceDump<'a> {
    /// The engine: state, priorities, counters and the configuration in force.
    pub engine: &'a vrrp::Instance,
    /// Wall-clock time of the last state change (start time before the first).
    pub last_transition: SystemTime,
    /// Priority of the last advert a BACKUP accepted from the master (0 = none yet), as
    /// keepalived's `master_priority`.
    pub master_priority: u8,
    /// Its VMAC was made (keepalived's `VRRP_VMAC_UP_BIT`): `is_up` of the data file.
    pub vmac_up: bool,
}

/// keepalived's state numbers (`VRRP_STATE_*`), the `state`/`wantstate` of the JSON dump.
pub fn state_number(s: State) -> u8 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
    }
}

/// keepalived's `wantstate`: where the instance is heading. Steady states want themselves;
/// INIT wants the configured `state` (MASTER only for an owner or `state MASTER`).
pub fn wantstate(engine: &vrrp::Instance) -> State {
    match engine.state() {
        State::Init => match engine.config().initial_state {
            model::InitialState::Master => State::Master,
            model::InitialState::Backup => State::Backup,
        },
        s => s,
    }
}

/// One instance's block of `keepalived.stats`, as keepalived's `vrrp_print_stats()` lays it out.
pub fn stats_block(name: &str, st: &Stats) -> String {
    format!(
        "VRRP Instance: {name}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    Address List: {}\n  Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    Failure: {}\n  Priority Zero:\n    Received: {}\n    Sent: {}\n",
        st.advert_rcvd,
        st.advert_sent,
        st.become_master,
        st.release_master,
        st.packet_len_err,
        st.ip_ttl_err,
        st.invalid_type_rcvd,
        st.advert_interval_err,
        st.addr_list_err,
        st.invalid_authtype,
        st.authtype_mismatch,
        st.auth_failure,
        st.pri_zero_rcvd,
        st.pri_zero_sent
    )
}

/// The whole `keepalived.stats`: one block per instance, in configuration order.
pub fn stats_file(instances: &[InstanceDump<'_>]) -> String {
    instances
        .iter()
        .map(|d| stats_block(d.engine.name(), d.engine.stats()))
        .collect()
}

/// keepalived's name for a numeric rtnetlink scope (`get_rttables_scope()` defaults).
fn scope_name(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

/// A VIP as keepalived's `format_ipaddress()` prints it: `ADDR[/LEN] [brd B] dev IF scope S
/// [label L]` (IPv6: then `preferred_lft forever` or, for a /128, `deprecated`), the prefix
/// only when not a host route; ` set` while the address is on the interface (MASTER). `dev` is always the third word, which
/// mehdy/keepalived-exporter relies on unless a `brd` was configured (as with keepalived).
pub fn vip_text(v: &model::VirtualAddr, instance_if: Option<&str>, set: bool) -> String {
    let mut s = v.addr.to_string();
    let host = if v.addr.is_ipv4() { 32 } else { 128 };
    if v.prefix_len != host {
        let _ = write!(s, "/{}", v.prefix_len);
    }
    if let Some(b) = v.brd.filter(|b| !b.is_unspecified()) {
        let _ = write!(s, " brd {b}");
    }
    let dev = v.dev.as_deref().or(instance_if).unwrap_or("(null)");
    let _ = write!(s, " dev {dev} scope {}", scope_name(v.scope));
    if let Some(l) = &v.label {
        let _ = write!(s, " label {l}");
    }
    if v.no_track {
        s.push_str(" no_track");
    }
    // keepalived's IPv6 default lifetime: a /128 VIP is added deprecated (RFC 3484).
    if v.addr.is_ipv6() {
        s.push_str(if v.prefix_len == 128 {
            " deprecated"
        } else {
            " preferred_lft forever"
        });
    }
    if set {
        s.push_str(" set");
    }
    s
}

/// A VIP on one of the instance's VMACs is shown `dev VMAC@PARENT`, as keepalived's
/// `format_ipaddress()` shows an address on a macvlan.
fn on_vmac(v: &model::VirtualAddr, c: &model::Instance) -> model::VirtualAddr {
    let mut v = v.clone();
    if let Some(x) = c.vmac.all().find(|x| Some(&x.ifname) == v.dev.as_ref()) {
        v.dev = Some(format!("{}@{}", x.ifname, x.parent));
    }
    v
}

/// A script as keepalived's `cmd_str()` shows it: every word in single quotes, space separated
/// (a first word starting with `<` or `>` is left bare).
pub fn cmd_text(c: &ScriptCommand) -> String {
    let mut out = String::new();
    for (i, w) in c.argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i == 0 && (w.starts_with('<') || w.starts_with('>')) {
            out.push_str(w);
        } else {
            let _ = write!(out, "'{w}'");
        }
    }
    out
}

/// Seconds and microseconds since the epoch (0 for a clock before 1970).
fn epoch_us(t: SystemTime) -> (u64, u32) {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or((0, 0), |d| (d.as_secs(), d.subsec_micros()))
}

/// C's `%f`: six decimals.
fn fmt_f(t: SystemTime) -> String {
    let (s, us) = epoch_us(t);
    format!("{s}.{us:06}")
}

/// C's `%g` (precision 6): the shortest of fixed or exponent notation, trailing zeros dropped.
/// keepalived prints `garp_delay`, `adver_int` and `master_adver_int` with it, and
/// mehdy/keepalived-exporter decodes `garp_delay` into a Go `int`: `5` must stay `5`.
pub fn fmt_g(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "nan"
        } else if v > 0.0 {
            "inf"
        } else {
            "-inf"
        }
        .into();
    }
    // The exponent after rounding to 6 significant digits decides the style, as in C.
    let e_form = format!("{v:.5e}");
    let (mantissa, exp) = e_form.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if (-4..6).contains(&exp) {
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        strip(&format!("{v:.decimals$}"))
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip(mantissa), exp.abs())
    }
}

fn centis_g(c: Centis) -> String {
    fmt_g(f64::from(c.0) / 100.0)
}

/// A JSON string literal. Unlike keepalived's writer (which turns `\` into `\n` and passes
/// other control characters through raw), every string is valid JSON; `/` is escaped as
/// keepalived does, so paths read the same.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes the members of one JSON object, commas included, in call order.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push_str(&json_string(k));
        self.out.push(':');
    }

    /// A number, boolean or other already-encoded value.
    fn raw(&mut self, k: &str, v: impl std::fmt::Display) {
        self.key(k);
        let _ = write!(self.out, "{v}");
    }

    fn uint(&mut self, k: &str, v: impl Into<u64>) {
        self.raw(k, v.into());
    }

    fn flag(&mut self, k: &str, v: bool) {
        self.raw(k, u8::from(v));
    }

    fn string(&mut self, k: &str, v: &str) {
        self.key(k);
        self.out.push_str(&json_string(v));
    }

    /// keepalived leaves an empty list out altogether.
    fn strings(&mut self, k: &str, items: &[String]) {
        if items.is_empty() {
            return;
        }
        self.key(k);
        self.out.push('[');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(&json_string(it));
        }
        self.out.push(']');
    }

    fn close(self) {
        self.out.push('}');
    }
}

fn json_data(out: &mut String, d: &InstanceDump<'_>, config: &model::Config, v2: bool) {
    let e = d.engine;
    let c = e.config();
    let mut o = Obj::open(out);
    o.string("iname", &c.name);
    o.flag("dont_track_primary", c.dont_track_primary);
    o.flag("skip_check_adv_addr", c.skip_check_adv_addr);
    o.flag("strict_mode", c.strict);
    // keepalived's `ifp` is the VMAC when there is one.
    let vmac = c.vmac.own.as_ref().map(|v| v.ifname.as_str());
    o.string("vmac_ifname", vmac.unwrap_or(""));
    if let Some(i) = vmac.or(c.interface.as_deref()) {
        o.string("ifp_ifname", i);
    }
    o.uint("master_priority", d.master_priority);
    o.raw("last_transition", fmt_f(d.last_transition));
    o.raw("garp_delay", centis_g(c.garp_master_delay));
    o.uint("garp_refresh", c.garp_master_refresh.0 / 100);
    o.uint("garp_rep", c.garp_master_repeat);
    o.uint("garp_refresh_rep", c.garp_master_refresh_repeat);
    o.uint("garp_lower_prio_delay", c.garp_lower_prio_delay.0 / 100);
    o.uint("garp_lower_prio_rep", c.garp_lower_prio_repeat);
    o.flag("lower_prio_no_advert", c.lower_prio_no_advert);
    o.flag("higher_prio_send_advert", c.higher_prio_send_advert);
    o.uint("vrid", c.vrid);
    o.uint("base_priority", e.base_priority());
    o.uint("effective_priority", e.effective_priority());
    o.raw("vipset", e.state() == State::Master && !c.vips.is_empty());
    o.raw("promote_secondaries", c.promote_secondaries);
    o.raw("adver_int", centis_g(c.advert_int));
    o.raw("master_adver_int", centis_g(e.master_adver_int()));
    o.flag("accept", c.accept);
    o.raw("nopreempt", c.nopreempt);
    o.uint("preempt_delay", c.preempt_delay.as_secs());
    o.uint("state", state_number(e.state()));
    o.uint("wantstate", state_number(wantstate(e)));
    o.uint(
        "version",
        match c.version {
            Version::V2 => 2u8,
            Version::V3 => 3,
        },
    );
    o.raw("smtp_alert", c.smtp_alert);
    o.raw("notify_deleted", c.notify.notify_deleted);
    for (k, s) in [
        ("script_backup", &c.notify.backup),
        ("script_master", &c.notify.master),
        ("script_fault", &c.notify.fault),
        ("script_stop", &c.notify.stop),
        ("script_deleted", &c.notify.deleted),
        ("script", &c.notify.generic),
        ("script_master_rx_lower_pri", &c.notify.master_rx_lower_pri),
    ] {
        if let Some(s) = s {
            o.string(k, &cmd_text(s));
        }
    }
    let iface = c.interface.as_deref();
    let set = e.state() == State::Master;
    let vips: Vec<String> = c
        .vips
        .iter()
        .map(|v| vip_text(&on_vmac(v, c), iface, set))
        .collect();
    o.strings("vips", &vips);
    let evips: Vec<String> = (c.vips_excluded.iter())
        .map(|v| vip_text(v, iface, set))
        .collect();
    o.strings("evips", &evips);
    let vroutes: Vec<String> = (c.virtual_routes.iter())
        .map(crate::config::dump_routes::route_text)
        .collect();
    o.strings("vroutes", &vroutes);
    let vrules: Vec<String> = (c.virtual_rules.iter())
        .map(crate::config::dump_routes::rule_text)
        .collect();
    o.strings("vrules", &vrules);
    let track_ifp: Vec<String> = c.track_interfaces.iter().map(|t| t.name.clone()).collect();
    o.strings("track_ifp", &track_ifp);
    // keepalived lists the tracked scripts' commands, not their names.
    let track_script: Vec<String> = c
        .track_scripts
        .iter()
        .filter_map(|t| config.scripts.iter().find(|s| s.name == t.name))
        .map(|s| cmd_text(&s.command))
        .collect();
    o.strings("track_script", &track_script);
    if v2 {
        let names: Vec<String> = c.track_processes.iter().map(|t| t.name.clone()).collect();
        o.strings("track_process", &names);
    }
    match &c.auth {
        None => o.uint("auth_type", 0u8),
        Some(Auth::Pass(p)) => {
            o.uint("auth_type", 1u8);
            let n = p.iter().position(|&b| b == 0).unwrap_or(p.len());
            o.string("auth_data", &String::from_utf8_lossy(&p[..n]));
        }
    }
    o.close();
}

fn json_stats(out: &mut String, st: &Stats) {
    let mut o = Obj::open(out);
    o.uint("advert_rcvd", st.advert_rcvd);
    o.uint("advert_sent", st.advert_sent);
    o.uint("become_master", st.become_master);
    o.uint("release_master", st.release_master);
    o.uint("packet_len_err", st.packet_len_err);
    o.uint("advert_interval_err", st.advert_interval_err);
    o.uint("ip_ttl_err", st.ip_ttl_err);
    o.uint("invalid_type_rcvd", st.invalid_type_rcvd);
    o.uint("addr_list_err", st.addr_list_err);
    o.uint("invalid_authtype", st.invalid_authtype);
    o.uint("authtype_mismatch", st.authtype_mismatch);
    o.uint("auth_failure", st.auth_failure);
    o.uint("pri_zero_rcvd", st.pri_zero_rcvd);
    o.uint("pri_zero_sent", st.pri_zero_sent);
    o.close();
}

/// One `vrrp_track_process` as the `json_version 2` dump shows it.
#[derive(Debug, Clone, Copy)]
pub struct ProcessDump<'a> {
    /// The block.
    pub config: &'a model::TrackProcess,
    /// Its state now, from the process watcher.
    pub status: crate::track::process::ProcessStatus,
}

/// One entry of the `track_process` array, keepalived's `vrrp_json_vprocess_dump()` fields
/// in its order: `max_processes` only when bounded, `parameters` only when configured, the
/// weight negative when reversed, the delays as `%g` seconds.
fn json_process(out: &mut String, p: &ProcessDump<'_>) {
    let c = p.config;
    let mut o = Obj::open(out);
    o.string("process", &c.name);
    if !c.params.is_empty() {
        o.string("parameters", &c.params.join(" "));
    }
    o.string(
        "param_match",
        match c.param_match {
            model::ParamMatch::None => "none",
            model::ParamMatch::Exact => "exact",
            model::ParamMatch::Partial => "partial",
            model::ParamMatch::Initial => "initial",
        },
    );
    o.uint("min_processes", c.quorum);
    if c.quorum_max < u32::MAX {
        o.uint("max_processes", c.quorum_max);
    }
    o.uint("current_processes", p.status.current);
    o.raw("have_quorum", p.status.have_quorum);
    o.raw("weight", if c.reverse { -c.weight } else { c.weight });
    o.raw("terminate_delay", fmt_g(c.terminate_delay.as_secs_f64()));
    o.raw("fork_delay", fmt_g(c.fork_delay.as_secs_f64()));
    o.raw("fork_delay_timer_running", p.status.fork_delay_running);
    o.raw(
        "terminate_delay_timer_running",
        p.status.terminate_delay_running,
    );
    o.raw("full_command", c.full_command);
    o.close();
}

/// The instance array: `{"data":{…},"stats":{…}}` per instance; `v2` adds each instance's
/// tracked process names to its data, as keepalived 2.2.8+ does.
fn json_instances(
    out: &mut String,
    instances: &[InstanceDump<'_>],
    config: &model::Config,
    v2: bool,
) {
    out.push('[');
    for (i, d) in instances.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"data\":");
        json_data(out, d, config, v2);
        out.push_str(",\"stats\":");
        json_stats(out, d.engine.stats());
        out.push('}');
    }
    out.push(']');
}

/// `keepalived.json` on one line plus a newline, as keepalived's compact writer produces it.
/// `json_version 1`: `[{"data":{…},"stats":{…}},…]`. `json_version 2`:
/// `{"vrrp":[…],"track_process":[…]}`, the array left out when no process is tracked.
pub fn json(
    instances: &[InstanceDump<'_>],
    config: &model::Config,
    processes: &[ProcessDump<'_>],
) -> String {
    let mut out = String::new();
    match config.global.dumps.json_version {
        model::JsonVersion::V1 => json_instances(&mut out, instances, config, false),
        model::JsonVersion::V2 => {
            out.push_str("{\"vrrp\":");
            json_instances(&mut out, instances, config, true);
            if !processes.is_empty() {
                out.push_str(",\"track_process\":[");
                for (i, p) in processes.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_process(&mut out, p);
                }
                out.push(']');
            }
            out.push('}');
        }
    }
    out.push('\n');
    out
}

/// One instance's block of `keepalived.data`, with keepalived's key names and indentation
/// (1 space before `VRRP Instance = `, 3 before `Key = value`, 5 before list items).
pub fn data_block(d: &InstanceDump<'_>) -> String {
    let e = d.engine;
    let c = e.config();
    let mut s = String::new();
    // A macro, not a closure: the VMAC lines below write to `s` between two `kv!`s.
    macro_rules! kv {
        ($k:expr, $v:expr $(,)?) => {{
            let v: &dyn std::fmt::Display = $v;
            let _ = writeln!(s, "   {} = {}", $k, v);
        }};
    }
    kv!(
        "VRRP Version",
        &match c.version {
            Version::V2 => 2,
            Version::V3 => 3,
        },
    );
    kv!("State", &e.state());
    if e.state() == State::Backup {
        kv!("Master priority", &d.master_priority);
    }
    kv!("Wantstate", &wantstate(e));
    let local = chrono::DateTime::<chrono::Local>::from(d.last_transition);
    kv!(
        "Last transition",
        &format!(
            "{} ({})",
            fmt_f(d.last_transition),
            local.format("%a %b %e %H:%M:%S%.6f %Y")
        ),
    );
    if let Some(own) = &c.vmac.own {
        let _ = writeln!(
            s,
            "   Use VMAC, i/f name {}, is_up = {}, xmit_base = {}",
            own.ifname, d.vmac_up, c.vmac.xmit_base
        );
        if c.vmac.mac_configured {
            let mac: Vec<String> = own.mac.iter().map(|b| format!("{b:02x}")).collect();
            let vrid = if c.vmac.mac_uses_vrid {
                " (using VRID)"
            } else {
                ""
            };
            let _ = writeln!(s, "     MAC = {}{vrid}", mac.join(":"));
        }
    }
    if c.vmac.use_vmac_addr {
        let _ = writeln!(s, "   Use VMAC for VIPs on other interfaces");
    }
    // keepalived's line after the interface has no ` = `: it rides on the value.
    let strict = if c.strict {
        "\n   Enforcing strict VRRP compliance"
    } else {
        ""
    };
    match &c.vmac.own {
        Some(own) => kv!(
            "Interface",
            &format!(
                "{}, vmac on {}{}{strict}",
                own.ifname,
                own.parent,
                if c.vmac.xmit_base {
                    ", xmit base i/f"
                } else {
                    ""
                }
            ),
        ),
        None => kv!(
            "Interface",
            &format!(
                "{}{strict}",
                c.interface.as_deref().unwrap_or("not configured")
            ),
        ),
    }
    // keepalived prints whole seconds here.
    kv!("Gratuitous ARP delay", &(c.garp_master_delay.0 / 100));
    kv!("Gratuitous ARP repeat", &c.garp_master_repeat);
    kv!("Gratuitous ARP refresh", &(c.garp_master_refresh.0 / 100));
    kv!(
        "Gratuitous ARP refresh repeat",
        &c.garp_master_refresh_repeat,
    );
    kv!(
        "Gratuitous ARP lower priority delay",
        &(c.garp_lower_prio_delay.0 / 100),
    );
    kv!(
        "Gratuitous ARP lower priority repeat",
        &c.garp_lower_prio_repeat,
    );
    kv!("Down timer adverts", &c.down_timer_adverts);
    if let Some(g) = c.vmac.garp_extra_if {
        kv!(
            if g.all {
                "Gratuitous ARP for each secondary i/f"
            } else {
                "Gratuitous ARP for each secondary VMAC"
            },
            &g.interval.as_secs(),
        );
    }
    kv!(
        "Send advert after receive lower priority advert",
        &!c.lower_prio_no_advert,
    );
    kv!(
        "Send advert after receive higher priority advert",
        &c.higher_prio_send_advert,
    );
    kv!("Virtual Router ID", &c.vrid);
    kv!("Priority", &e.base_priority());
    kv!("Effective priority", &e.effective_priority());
    kv!("Advert interval", &format!("{} sec", c.advert_int));
    kv!("Accept", &if c.accept { "enabled" } else { "disabled" });
    kv!("Preempt", &if c.nopreempt { "disabled" } else { "enabled" });
    let mut s = format!(" VRRP Instance = {}\n{s}", c.name);
    let set = e.state() == State::Master;
    if !c.vips.is_empty() {
        let _ = writeln!(s, "   Virtual IP ({}):", c.vips.len());
        for v in &c.vips {
            let _ = writeln!(
                s,
                "     {}",
                vip_text(&on_vmac(v, c), c.interface.as_deref(), set)
            );
        }
    }
    if !c.vips_excluded.is_empty() {
        let _ = writeln!(s, "   Virtual IP Excluded :");
        for v in &c.vips_excluded {
            let _ = writeln!(s, "     {}", vip_text(v, c.interface.as_deref(), set));
        }
    }
    if !c.virtual_routes.is_empty() {
        let _ = writeln!(s, "   Virtual Routes :");
        for r in &c.virtual_routes {
            let _ = writeln!(s, "     {}", crate::config::dump_routes::route_text(r));
        }
    }
    if !c.virtual_rules.is_empty() {
        let _ = writeln!(s, "   Virtual Rules :");
        for r in &c.virtual_rules {
            let _ = writeln!(s, "     {}", crate::config::dump_routes::rule_text(r));
        }
    }
    s
}

/// The whole `keepalived.data`: the instance blocks under keepalived's `VRRP Topology`
/// heading, then our normalised configuration. The heading after the last block matters:
/// gen2brain's parser only keeps an instance once a line outside it is read.
pub fn data_file(instances: &[InstanceDump<'_>], config: &model::Config) -> String {
    let mut s = String::from("------< VRRP Topology >------\n");
    for d in instances {
        s.push_str(&data_block(d));
    }
    s.push_str("------< Configuration >------\n");
    s.push_str(&crate::config::dump(config));
    s
}

/// Counts of instances per state, in the order of [`status_summary`].
pub type StateCounts = [usize; 4];

/// How many instances are MASTER, BACKUP, FAULT and INIT.
pub fn state_counts(states: impl IntoIterator<Item = State>) -> StateCounts {
    let mut n = [0; 4];
    for s in states {
        n[match s {
            State::Master => 0,
            State::Backup => 1,
            State::Fault => 2,
            State::Init => 3,
        }] += 1;
    }
    n
}

/// The systemd `STATUS=` text for `systemctl status`: `2 MASTER, 1 BACKUP` (zero counts
/// left out), or `no VRRP instance`.
pub fn status_summary(n: &StateCounts) -> String {
    let parts: Vec<String> = ["MASTER", "BACKUP", "FAULT", "INIT"]
        .iter()
        .zip(n)
        .filter(|(_, k)| **k > 0)
        .map(|(name, k)| format!("{k} {name}"))
        .collect();
    if parts.is_empty() {
        "no VRRP instance".into()
    } else {
        parts.join(", ")
    }
}

/// Write `text` to `path` atomically on a blocking thread, so the event loop never waits on
/// the filesystem. Mode 0600 as keepalived's dump files.
pub fn write_atomically(path: PathBuf, text: String) {
    let write = move || {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        // A hidden temp name per write: concurrent dumps (USR2 right after USR1, as the
        // exporters send them) never share one, and gen2brain's `keepalived.json*` sweep
        // cannot match it.
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = path
            .file_name()
            .map_or_else(|| "dump".into(), |n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(".{name}.{}.{seq}", std::process::id()));
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            tracing::error!("Can't open {} ({e})", path.display());
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            h.spawn_blocking(write);
        }
        Err(_) => write(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, load_str};
    use std::collections::BTreeMap;
    use std::net::Ipv4Addr;
    use std::time::{Duration, Instant};

    const CONF: &str = r#"
global_defs {
    router_id test
}
vrrp_script chk {
    script "/usr/local/bin/check web"
    interval 2
    weight 2
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        198.51.100.50
        198.51.100.60/24 dev eth1 scope link label eth1:vip
    }
    track_script {
        chk
    }
    notify "/etc/keepalived/notify.sh"
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 90
    version 3
    advert_int 0.5
    garp_master_delay 3
    virtual_ipaddress {
        2001:db8::7/64
    }
}
"#;

    fn config() -> model::Config {
        let opts = LoadOptions {
            config_id: "test".into(),
            check_interfaces: false,
            all_config: false,
        };
        let loaded = load_str("keepalived.conf", CONF, &opts);
        assert!(!loaded.is_fatal(), "{:?}", loaded.diagnostics);
        loaded.config.expect("valid config")
    }

    /// VI_1 driven to MASTER (with counters), VI_2 left in BACKUP.
    fn engines(c: &model::Config) -> Vec<vrrp::Instance> {
        let t0 = Instant::now();
        let a = Ipv4Addr::new(198, 51, 100, 1);
        let mut out = Vec::new();
        for (n, ic) in c.instances.iter().enumerate() {
            let mut e = vrrp::Instance::new(ic, &c.scripts);
            e.handle_track(
                t0,
                &model::TrackEvent::Script {
                    name: "chk".into(),
                    ok: true,
                },
            );
            e.handle_startup(t0, Some(a.into()), true);
            if n == 0 {
                for _ in 0..3 {
                    let now = e.poll_timeout().expect("a deadline");
                    e.handle_timeout(now);
                }
                assert_eq!(e.state(), State::Master);
            }
            while e.poll_action().is_some() {}
            out.push(e);
        }
        out
    }

    fn views(e: &[vrrp::Instance]) -> Vec<InstanceDump<'_>> {
        e.iter()
            .map(|engine| InstanceDump {
                engine,
                last_transition: SystemTime::UNIX_EPOCH
                    + Duration::from_micros(1_700_000_000_250_000),
                master_priority: 0,
                vmac_up: false,
            })
            .collect()
    }

    #[test]
    fn tmp_dir_is_an_absolute_directory_from_tmpdir_else_tmp() {
        use std::ffi::OsStr;
        let here = std::env::temp_dir();
        assert_eq!(tmp_dir(None), (PathBuf::from("/tmp"), None));
        // Relative: ignored without a word, as keepalived 2.2.7.
        assert_eq!(
            tmp_dir(Some(OsStr::new("rel/dir"))),
            (PathBuf::from("/tmp"), None)
        );
        assert_eq!(tmp_dir(Some(OsStr::new(""))), (PathBuf::from("/tmp"), None));
        let dir = here.join(format!("ka-tmpdir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(tmp_dir(Some(dir.as_os_str())), (dir.clone(), None));
        // Absolute but not a directory: /tmp, with keepalived's log line.
        let missing = dir.join("nope");
        let (d, why) = tmp_dir(Some(missing.as_os_str()));
        assert_eq!(d, PathBuf::from("/tmp"));
        assert_eq!(
            why.unwrap(),
            format!("Environment TMPDIR={} not a directory", missing.display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dump_paths_follow_keepalived_s_open_dump_file() {
        let tmp = std::path::Path::new("/var/tmp");
        let files = |state: Option<&str>, use_instance: bool| model::DumpFiles {
            state: state.map(str::to_string),
            stats: state.map(str::to_string),
            json: state.map(str::to_string),
            data_use_instance: use_instance,
            ..Default::default()
        };
        let p = |kind, f: &model::DumpFiles, ns, inst| {
            dump_path(kind, f, tmp, ns, inst)
                .to_string_lossy()
                .into_owned()
        };
        let none = files(None, false);
        assert_eq!(
            p(DumpKind::Data, &none, None, None),
            "/var/tmp/keepalived.data"
        );
        assert_eq!(
            p(DumpKind::Stats, &none, None, None),
            "/var/tmp/keepalived.stats"
        );
        assert_eq!(
            p(DumpKind::Json, &none, None, None),
            "/var/tmp/keepalived.json"
        );
        // data_use_instance: `.NS_INST` before the extension, the data file only.
        let inst = files(None, true);
        assert_eq!(
            p(DumpKind::Data, &inst, None, None),
            "/var/tmp/keepalived.data"
        );
        assert_eq!(
            p(DumpKind::Data, &inst, Some("blue"), Some("east")),
            "/var/tmp/keepalived.blue_east.data"
        );
        assert_eq!(
            p(DumpKind::Data, &inst, Some("blue"), None),
            "/var/tmp/keepalived.blue.data"
        );
        assert_eq!(
            p(DumpKind::Data, &inst, None, Some("east")),
            "/var/tmp/keepalived.east.data"
        );
        assert_eq!(
            p(DumpKind::Stats, &inst, Some("blue"), Some("east")),
            "/var/tmp/keepalived.stats"
        );
        assert_eq!(
            p(DumpKind::Data, &none, Some("blue"), Some("east")),
            "/var/tmp/keepalived.data",
            "the names are used only with data_use_instance"
        );
        // An absolute file, a directory (trailing /), a relative name under the temp dir.
        let abs = files(Some("/srv/ka/state.txt"), false);
        assert_eq!(p(DumpKind::Data, &abs, None, None), "/srv/ka/state.txt");
        assert_eq!(p(DumpKind::Json, &abs, None, None), "/srv/ka/state.txt");
        let abs = files(Some("/srv/ka/state.txt"), true);
        assert_eq!(
            p(DumpKind::Data, &abs, None, Some("i1")),
            "/srv/ka/state.i1.txt"
        );
        let dir = files(Some("/srv/ka/"), true);
        assert_eq!(
            p(DumpKind::Data, &dir, Some("n"), None),
            "/srv/ka/keepalived.n.data"
        );
        assert_eq!(
            p(DumpKind::Stats, &dir, Some("n"), None),
            "/srv/ka/keepalived.stats"
        );
        assert_eq!(
            p(DumpKind::Json, &dir, None, None),
            "/srv/ka/keepalived.json"
        );
        let rel = files(Some("sub/dir/mine.dump"), false);
        assert_eq!(p(DumpKind::Data, &rel, None, None), "/var/tmp/mine.dump");
        let rel_dir = files(Some("sub/"), false);
        assert_eq!(
            p(DumpKind::Stats, &rel_dir, None, None),
            "/var/tmp/keepalived.stats"
        );
        // No extension: the suffix goes at the end; a leading dot is all extension.
        let bare = files(Some("/srv/state"), true);
        assert_eq!(p(DumpKind::Data, &bare, None, Some("i")), "/srv/state.i");
        let hidden = files(Some("/srv/.state"), true);
        assert_eq!(p(DumpKind::Data, &hidden, None, Some("i")), "/srv/.i.state");
        let root = files(Some("/state"), false);
        assert_eq!(p(DumpKind::Data, &root, None, None), "/state");
    }

    #[test]
    fn json_version_2_wraps_the_instances_and_adds_the_processes() {
        let mut c = config();
        c.global.dumps.json_version = model::JsonVersion::V2;
        let proc_cfg = model::TrackProcess {
            name: "nginx_up".into(),
            process: "nginx".into(),
            params: vec!["-g".into(), "daemon off;".into()],
            param_match: model::ParamMatch::Partial,
            full_command: true,
            weight: 10,
            reverse: true,
            quorum: 1,
            quorum_max: 4,
            fork_delay: Duration::from_millis(1500),
            terminate_delay: Duration::ZERO,
        };
        c.instances[1].track_processes = vec![model::TrackRef {
            name: "nginx_up".into(),
            weight: -10,
            reverse: false,
        }];
        let e = engines(&c);
        let status = crate::track::process::ProcessStatus {
            current: 2,
            have_quorum: true,
            fork_delay_running: false,
            terminate_delay_running: true,
        };
        let procs = [ProcessDump {
            config: &proc_cfg,
            status,
        }];
        let text = json(&views(&e[1..]), &c, &procs);
        let v1_item = {
            let mut c1 = c.clone();
            c1.global.dumps.json_version = model::JsonVersion::V1;
            let t = json(&views(&e[1..]), &c1, &procs);
            t.trim_end()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string()
        };
        // The v1 item, with the instance's processes after its tracked scripts.
        let item = v1_item.replace(
            r#","auth_type":0}"#,
            r#","track_process":["nginx_up"],"auth_type":0}"#,
        );
        assert_ne!(item, v1_item);
        let want = format!(
            "{{\"vrrp\":[{item}],\"track_process\":[{{\"process\":\"nginx_up\",\
             \"parameters\":\"-g daemon off;\",\"param_match\":\"partial\",\"min_processes\":1,\
             \"max_processes\":4,\"current_processes\":2,\"have_quorum\":true,\"weight\":-10,\
             \"terminate_delay\":0,\"fork_delay\":1.5,\"fork_delay_timer_running\":false,\
             \"terminate_delay_timer_running\":true,\"full_command\":true}}]}}\n"
        );
        assert_eq!(text, want);
        // Unbounded quorum, no parameters: those two fields are left out.
        let plain = model::TrackProcess {
            params: vec![],
            param_match: model::ParamMatch::None,
            quorum_max: u32::MAX,
            reverse: false,
            full_command: false,
            ..proc_cfg.clone()
        };
        let procs = [ProcessDump {
            config: &plain,
            status: Default::default(),
        }];
        let text = json(&views(&e[1..]), &c, &procs);
        assert!(
            text.contains(r#"{"process":"nginx_up","param_match":"none","min_processes":1,"current_processes":0,"have_quorum":false,"weight":10,"#),
            "{text}"
        );
        // No tracked process: no array at all, as keepalived.
        let text = json(&views(&e[..1]), &c, &[]);
        assert!(
            text.starts_with(r#"{"vrrp":[{"data":{"iname":"VI_1","#),
            "{text}"
        );
        assert!(
            text.ends_with("}}]}\n") && !text.contains("track_process"),
            "{text}"
        );
        assert_eq!(json(&[], &c, &[]), "{\"vrrp\":[]}\n");
    }

    #[test]
    fn fmt_g_matches_c_percent_g() {
        for (v, want) in [
            (5.0, "5"),
            (0.5, "0.5"),
            (1.0, "1"),
            (0.05, "0.05"),
            (40.95, "40.95"),
            (0.0, "0"),
            (123456.0, "123456"),
            (1234567.0, "1.23457e+06"),
            (999999.5, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (12345.67, "12345.7"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(fmt_g(v), want, "{v}");
        }
    }

    #[test]
    fn json_strings_escape_everything_json_requires() {
        assert_eq!(json_string("VI_1"), r#""VI_1""#);
        assert_eq!(
            json_string("a\"b\\c/d\n\t\r\u{8}\u{c}\u{1}é"),
            r#""a\"b\\c\/d\n\t\r\b\f\u0001é""#
        );
        assert_eq!(json_string(""), r#""""#);
    }

    #[test]
    fn vips_and_commands_as_keepalived_prints_them() {
        let c = config();
        let i = &c.instances[0];
        assert_eq!(
            vip_text(&i.vips[0], Some("eth0"), false),
            "198.51.100.50 dev eth0 scope global"
        );
        assert_eq!(
            vip_text(&i.vips[1], Some("eth0"), true),
            "198.51.100.60/24 dev eth1 scope link label eth1:vip set"
        );
        assert_eq!(
            cmd_text(&c.scripts[0].command),
            "'/usr/local/bin/check' 'web'"
        );
        let redirect = ScriptCommand {
            argv: vec!["</dev/tcp/127.0.0.1/80".into()],
            user: None,
        };
        assert_eq!(cmd_text(&redirect), "</dev/tcp/127.0.0.1/80");
    }

    #[test]
    fn json_text_is_keepalived_s_compact_layout() {
        let c = config();
        let e = engines(&c);
        let text = json(&views(&e[1..]), &c, &[]);
        let want = concat!(
            r#"[{"data":{"iname":"VI_2","dont_track_primary":0,"skip_check_adv_addr":0,"#,
            r#""strict_mode":0,"vmac_ifname":"","ifp_ifname":"eth0","master_priority":0,"#,
            r#""last_transition":1700000000.250000,"garp_delay":3,"garp_refresh":0,"#,
            r#""garp_rep":5,"garp_refresh_rep":1,"garp_lower_prio_delay":5,"#,
            r#""garp_lower_prio_rep":5,"lower_prio_no_advert":0,"higher_prio_send_advert":0,"#,
            r#""vrid":52,"base_priority":90,"effective_priority":90,"vipset":false,"#,
            r#""promote_secondaries":false,"adver_int":0.5,"master_adver_int":0.5,"accept":1,"#,
            r#""nopreempt":false,"preempt_delay":0,"state":1,"wantstate":1,"version":3,"#,
            r#""smtp_alert":false,"notify_deleted":false,"#,
            r#""vips":["2001:db8::7\/64 dev eth0 scope global preferred_lft forever"],"#,
            r#""auth_type":0},"stats":{"advert_rcvd":0,"advert_sent":0,"become_master":0,"#,
            r#""release_master":0,"packet_len_err":0,"advert_interval_err":0,"ip_ttl_err":0,"#,
            r#""invalid_type_rcvd":0,"addr_list_err":0,"invalid_authtype":0,"#,
            r#""authtype_mismatch":0,"auth_failure":0,"pri_zero_rcvd":0,"pri_zero_sent":0}}]"#,
            "\n"
        );
        assert_eq!(text, want);
        // VI_1 (MASTER): scripts as cmd_str, tracked script commands, password, counters.
        let text = json(&views(&e[..1]), &c, &[]);
        for part in [
            r#""iname":"VI_1","#,
            r#""vrid":51,"base_priority":100,"effective_priority":102,"vipset":true,"#,
            r#""state":2,"wantstate":2,"version":2,"#,
            r#""script":"'\/etc\/keepalived\/notify.sh'","#,
            r#""vips":["198.51.100.50 dev eth0 scope global set","198.51.100.60\/24 dev eth1 scope link label eth1:vip set"],"#,
            r#""track_script":["'\/usr\/local\/bin\/check' 'web'"],"#,
            r#""auth_type":1,"auth_data":"1111"},"#,
            r#""become_master":1,"#,
        ] {
            assert!(text.contains(part), "missing {part} in {text}");
        }
        assert!(!text.contains("track_ifp"), "empty lists are left out");
        assert!(e[0].stats().advert_sent > 0);
        assert!(text.contains(&format!(r#""advert_sent":{},"#, e[0].stats().advert_sent)));
    }

    /// keepalived's JSON fields for `notify_deleted` and the two extra scripts, in its order.
    #[test]
    fn json_has_notify_deleted_and_the_event_scripts() {
        let mut c = config();
        let n = &mut c.instances[1].notify;
        n.notify_deleted = true;
        n.deleted = Some(Box::new(ScriptCommand {
            argv: vec!["/d.sh".into()],
            user: None,
        }));
        n.master_rx_lower_pri = Some(Box::new(ScriptCommand {
            argv: vec!["/l.sh".into(), "x".into()],
            user: None,
        }));
        let e = engines(&c);
        let text = json(&views(&e[1..]), &c, &[]);
        let want = concat!(
            r#""notify_deleted":true,"script_deleted":"'\/d.sh'","#,
            r#""script_master_rx_lower_pri":"'\/l.sh' 'x'","vips""#
        );
        assert!(text.contains(want), "{text}");
    }

    #[test]
    fn strict_and_accept_modes_are_dumped_as_keepalived_does() {
        let mut c = config();
        let e = engines(&c);
        let text = data_file(&views(&e), &c);
        assert!(text.contains("   Accept = enabled\n"), "{text}");
        assert!(!text.contains("Enforcing strict"), "{text}");
        assert!(json(&views(&e), &c, &[]).contains(r#""strict_mode":0,"#));
        // vrrp_strict: the line after the interface, accept off, JSON 1/0.
        for i in &mut c.instances {
            i.strict = true;
            i.accept = false;
        }
        let e = engines(&c);
        let text = data_file(&views(&e), &c);
        assert!(
            text.contains("   Interface = eth0\n   Enforcing strict VRRP compliance\n"),
            "{text}"
        );
        assert!(text.contains("   Accept = disabled\n"), "{text}");
        let j = json(&views(&e), &c, &[]);
        assert!(
            j.contains(r#""strict_mode":1,"#) && j.contains(r#""accept":0,"#),
            "{j}"
        );
    }

    #[test]
    fn json_of_no_instance_is_an_empty_array() {
        assert_eq!(json(&[], &model::Config::default(), &[]), "[]\n");
    }

    #[test]
    fn data_blocks_carry_the_keys_the_exporters_read() {
        let c = config();
        let e = engines(&c);
        let text = data_file(&views(&e), &c);
        let block = text
            .split_once(" VRRP Instance = VI_1\n")
            .expect("VI_1 block")
            .1;
        for line in [
            "   State = MASTER\n",
            "   Wantstate = MASTER\n",
            "   Interface = eth0\n",
            "   Gratuitous ARP delay = 5\n",
            "   Virtual Router ID = 51\n",
            "   Effective priority = 102\n",
            "   Virtual IP (2):\n     198.51.100.50 dev eth0 scope global set\n     198.51.100.60/24 dev eth1 scope link label eth1:vip set\n",
            "   Last transition = 1700000000.250000 (",
        ] {
            assert!(block.contains(line), "missing {line:?} in\n{block}");
        }
        assert!(text.starts_with("------< VRRP Topology >------\n VRRP Instance = VI_1\n"));
        // The last instance block is followed by a line outside it.
        let after_vi2 = text.split_once(" VRRP Instance = VI_2\n").unwrap().1;
        assert!(after_vi2.contains("\n------< Configuration >------\n"));
        assert!(after_vi2.contains("   State = BACKUP\n   Master priority = 0\n"));
    }

    #[test]
    fn stats_file_is_one_block_per_instance_in_order() {
        let c = config();
        let e = engines(&c);
        let text = stats_file(&views(&e));
        let want = stats_block("VI_1", e[0].stats()) + &stats_block("VI_2", e[1].stats());
        assert_eq!(text, want);
    }

    #[test]
    fn status_summary_counts_states() {
        let n = state_counts([State::Master, State::Backup, State::Master]);
        assert_eq!(status_summary(&n), "2 MASTER, 1 BACKUP");
        let n = state_counts([State::Fault, State::Init, State::Backup]);
        assert_eq!(status_summary(&n), "1 BACKUP, 1 FAULT, 1 INIT");
        assert_eq!(status_summary(&state_counts([])), "no VRRP instance");
        assert_ne!(
            state_counts([State::Master, State::Backup]),
            state_counts([State::Backup, State::Backup])
        );
    }

    #[test]
    fn state_numbers_are_keepalived_s() {
        let n: BTreeMap<u8, State> = [State::Init, State::Backup, State::Master, State::Fault]
            .into_iter()
            .map(|s| (state_number(s), s))
            .collect();
        assert_eq!(
            n.into_iter().collect::<Vec<_>>(),
            [
                (0, State::Init),
                (1, State::Backup),
                (2, State::Master),
                (3, State::Fault)
            ]
        );
    }

    #[test]
    fn stats_block_has_keepalived_layout() {
        let st = Stats {
            advert_rcvd: 7,
            advert_sent: 3,
            pri_zero_sent: 1,
            auth_failure: 2,
            ..Stats::default()
        };
        let text = stats_block("VI_1", &st);
        let want = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 7\n    Sent: 3\n  Became master: 0\n  Released master: 0\n  Packet Errors:\n    Length: 0\n    TTL: 0\n    Invalid Type: 0\n    Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: 2\n  Priority Zero:\n    Received: 0\n    Sent: 1\n";
        assert_eq!(text, want);
    }

    #[test]
    fn files_are_replaced_whole_with_mode_0600_and_no_temp_left() {
        let dir = std::env::temp_dir().join(format!("ka-dump-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keepalived.stats");
        std::fs::write(&path, "old contents that are longer than the new ones").unwrap();
        write_atomically(path.clone(), "new\n".into());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["keepalived.stats"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn vmac_instances_in_the_json_and_data_dumps() {
        let conf = "vrrp_instance VI_V {\ninterface eth0\nvirtual_router_id 51\n\
            use_vmac vmac51 02:00:5e:10:20\nvmac_xmit_base\nuse_vmac_addr\ngarp_extra_if 5\n\
            virtual_ipaddress {\n198.51.100.50\n198.51.100.51 dev eth1\n}\n}\n";
        let opts = LoadOptions {
            config_id: "test".into(),
            check_interfaces: false,
            all_config: false,
        };
        let c = load_str("k.conf", conf, &opts).config.expect("valid");
        let e = vrrp::Instance::new(&c.instances[0], &c.scripts);
        let view = InstanceDump {
            engine: &e,
            last_transition: SystemTime::UNIX_EPOCH,
            master_priority: 0,
            vmac_up: true,
        };
        let text = json(std::slice::from_ref(&view), &c, &[]);
        for part in [
            r#""vmac_ifname":"vmac51","ifp_ifname":"vmac51","#,
            r#""vips":["198.51.100.50 dev vmac51@eth0 scope global","198.51.100.51 dev vrrp.51@eth1 scope global"]"#,
        ] {
            assert!(text.contains(part), "missing {part} in {text}");
        }
        let block = data_block(&view);
        for line in [
            "   Use VMAC, i/f name vmac51, is_up = true, xmit_base = true\n",
            "     MAC = 02:00:5e:10:20:33 (using VRID)\n",
            "   Use VMAC for VIPs on other interfaces\n",
            "   Interface = vmac51, vmac on eth0, xmit base i/f\n",
            "   Gratuitous ARP for each secondary VMAC = 5\n",
            "     198.51.100.51 dev vrrp.51@eth1 scope global\n",
        ] {
            assert!(block.contains(line), "missing {line:?} in\n{block}");
        }
        // Without a VMAC nothing of it shows, and ifp_ifname is the interface.
        let plain = config();
        let e = engines(&plain);
        let text = json(&views(&e[1..]), &plain, &[]);
        assert!(text.contains(r#""vmac_ifname":"","ifp_ifname":"eth0","#));
        assert!(!data_block(&views(&e[1..])[0]).contains("VMAC"));
    }
}
