//! The dump files as the two Prometheus exporters read them (peers.md §3).
//!
//! Each parser below re-states, in Rust, the rules of one consumer: mehdy/keepalived-exporter's
//! `ParseVRRPData`, `ParseStats`, `ParseVIP` and its Go `encoding/json` structs, and
//! gen2brain/keepalived_exporter's `parseData`, `parseStats` and JSON structs (current and the
//! older full `Data` struct). The files are rendered by `daemon::dump` from real engines
//! driven through MASTER, BACKUP and FAULT, so what passes here is what a scrape would see.

use keepalived::config::{LoadOptions, load_str};
use keepalived::daemon::dump::{self, InstanceDump};
use keepalived::model::{self, TrackEvent};
use keepalived::vrrp::{self, State};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant, SystemTime};

// ---- a strict JSON reader --------------------------------------------------------------------

/// A parsed JSON value; numbers keep their text so integer vs float stays visible.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn get(&self, k: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.iter().find(|(n, _)| n == k).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// RFC 8259, strictly: no trailing commas, no raw control characters, valid escapes only.
struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn parse(text: &str) -> Result<J, String> {
        let mut r = Reader {
            b: text.as_bytes(),
            i: 0,
        };
        let v = r.value()?;
        r.ws();
        if r.i != r.b.len() {
            return Err(format!("trailing bytes at {}", r.i));
        }
        Ok(v)
    }

    fn ws(&mut self) {
        while self.i < self.b.len() && b" \t\r\n".contains(&self.b[self.i]) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn lit(&mut self, word: &str, v: J) -> Result<J, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }

    /// Items of an array or members of an object, after the opening bracket.
    fn items<T>(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        let mut out = Vec::new();
        if self.peek() == Some(close) {
            self.i += 1;
            return Ok(out);
        }
        loop {
            out.push(item(self)?);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {
                    self.i += 1;
                    return Ok(out);
                }
                _ => return Err(format!("expected , or {} at {}", close as char, self.i)),
            }
        }
    }

    fn value(&mut self) -> Result<J, String> {
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                Ok(J::Obj(self.items(b'}', |r| {
                    r.ws();
                    let k = r.string()?;
                    if r.peek() != Some(b':') {
                        return Err(format!("expected : at {}", r.i));
                    }
                    r.i += 1;
                    Ok((k, r.value()?))
                })?))
            }
            Some(b'[') => {
                self.i += 1;
                Ok(J::Arr(self.items(b']', Self::value)?))
            }
            Some(b'"') => Ok(J::Str(self.string()?)),
            Some(b't') => self.lit("true", J::Bool(true)),
            Some(b'f') => self.lit("false", J::Bool(false)),
            Some(b'n') => self.lit("null", J::Null),
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.b.len() && b"+-.eE0123456789".contains(&self.b[self.i]) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.b[start..self.i]).unwrap();
                t.parse::<f64>().map_err(|e| format!("number {t}: {e}"))?;
                Ok(J::Num(t.to_string()))
            }
            _ => Err(format!("unexpected byte at {}", self.i)),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if self.b.get(self.i) != Some(&b'"') {
            return Err(format!("expected a string at {}", self.i));
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = *self.b.get(self.i).ok_or("unterminated string")?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let e = *self.b.get(self.i).ok_or("bad escape")?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let h = self
                                .b
                                .get(self.i..self.i + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .ok_or("short \\u escape")?;
                            self.i += 4;
                            let n = u32::from_str_radix(h, 16).map_err(|e| e.to_string())?;
                            char::from_u32(n).ok_or("surrogate escape")?
                        }
                        _ => return Err(format!("bad escape \\{}", e as char)),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(format!("raw control byte {c:#x} in a string")),
                c => out.push(c),
            }
        }
    }
}

// ---- Go's encoding/json into the exporters' structs ------------------------------------------

/// The Go type of a struct field.
#[derive(Debug, Clone, Copy)]
enum Go {
    Int,
    Float,
    Str,
    Bool,
    StrSlice,
}

/// Decode `obj` into a Go struct with these tagged fields as `encoding/json` would: unknown
/// keys are ignored, missing ones stay zero, a value of the wrong type is an error (the
/// exporters then report `keepalived_up 0`). Returns the integer fields.
fn go_decode(obj: &J, fields: &[(&str, Go)]) -> Result<BTreeMap<String, i64>, String> {
    let J::Obj(_) = obj else {
        return Err(format!("not an object: {obj:?}"));
    };
    let mut ints = BTreeMap::new();
    for &(name, ty) in fields {
        let Some(v) = obj.get(name) else { continue };
        let ok = match (ty, v) {
            (_, J::Null) => true,
            (Go::Int, J::Num(t)) => match t.parse::<i64>() {
                Ok(n) => {
                    ints.insert(name.to_string(), n);
                    true
                }
                Err(_) => false, // "0.5", "1e3", "5.0": cannot unmarshal number into int
            },
            (Go::Float, J::Num(_)) | (Go::Str, J::Str(_)) | (Go::Bool, J::Bool(_)) => true,
            (Go::StrSlice, J::Arr(items)) => items.iter().all(|i| matches!(i, J::Str(_))),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "json: cannot unmarshal {v:?} into field {name} ({ty:?})"
            ));
        }
    }
    Ok(ints)
}

const STATS_FIELDS: [(&str, Go); 14] = [
    ("advert_rcvd", Go::Int),
    ("advert_sent", Go::Int),
    ("become_master", Go::Int),
    ("release_master", Go::Int),
    ("packet_len_err", Go::Int),
    ("advert_interval_err", Go::Int),
    ("ip_ttl_err", Go::Int),
    ("invalid_type_rcvd", Go::Int),
    ("addr_list_err", Go::Int),
    ("invalid_authtype", Go::Int),
    ("authtype_mismatch", Go::Int),
    ("auth_failure", Go::Int),
    ("pri_zero_rcvd", Go::Int),
    ("pri_zero_sent", Go::Int),
];

/// mehdy's `VRRPData`.
const MEHDY_DATA: [(&str, Go); 8] = [
    ("iname", Go::Str),
    ("state", Go::Int),
    ("wantstate", Go::Int),
    ("ifp_ifname", Go::Str),
    ("garp_delay", Go::Int),
    ("vrid", Go::Int),
    ("vips", Go::StrSlice),
    ("evips", Go::StrSlice),
];

/// gen2brain's current `Data`.
const GEN2BRAIN_DATA: [(&str, Go); 6] = [
    ("iname", Go::Str),
    ("ifp_ifname", Go::Str),
    ("last_transition", Go::Float),
    ("vrid", Go::Int),
    ("state", Go::Int),
    ("wantstate", Go::Int),
];

/// gen2brain's older full `Data` (whole-second intervals decoded into ints).
const GEN2BRAIN_OLD_DATA: [(&str, Go); 33] = [
    ("iname", Go::Str),
    ("dont_track_primary", Go::Int),
    ("skip_check_adv_addr", Go::Int),
    ("strict_mode", Go::Int),
    ("vmac_ifname", Go::Str),
    ("ifp_ifname", Go::Str),
    ("master_priority", Go::Int),
    ("last_transition", Go::Float),
    ("garp_delay", Go::Int),
    ("garp_refresh", Go::Int),
    ("garp_rep", Go::Int),
    ("garp_refresh_rep", Go::Int),
    ("garp_lower_prio_delay", Go::Int),
    ("garp_lower_prio_rep", Go::Int),
    ("lower_prio_no_advert", Go::Int),
    ("higher_prio_send_advert", Go::Int),
    ("vrid", Go::Int),
    ("base_priority", Go::Int),
    ("effective_priority", Go::Int),
    ("vipset", Go::Bool),
    ("promote_secondaries", Go::Bool),
    ("adver_int", Go::Int),
    ("master_adver_int", Go::Int),
    ("accept", Go::Int),
    ("nopreempt", Go::Bool),
    ("preempt_delay", Go::Int),
    ("state", Go::Int),
    ("wantstate", Go::Int),
    ("version", Go::Int),
    ("smtp_alert", Go::Bool),
    ("vips", Go::StrSlice),
    ("auth_type", Go::Int),
    ("auth_data", Go::Str),
];

/// One array element decoded with a data schema and the stats schema.
fn decode_all(
    text: &str,
    data: &[(&str, Go)],
) -> Vec<(BTreeMap<String, i64>, BTreeMap<String, i64>)> {
    let root = Reader::parse(text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"));
    let J::Arr(items) = root else {
        panic!("json_version 1 is a top-level array: {text}")
    };
    items
        .iter()
        .map(|it| {
            let d = go_decode(it.get("data").expect("data"), data).unwrap();
            let s = go_decode(it.get("stats").expect("stats"), &STATS_FIELDS).unwrap();
            (d, s)
        })
        .collect()
}

// ---- the text parsers ------------------------------------------------------------------------

/// Go's `strings.Split(s, sep)[i]`, with Go's panic turned into an error.
fn split_at(s: &str, sep: char, i: usize) -> Result<String, String> {
    s.split(sep)
        .nth(i)
        .map(str::to_string)
        .ok_or_else(|| format!("index out of range splitting {s:?}"))
}

const STATES: [&str; 4] = ["INIT", "BACKUP", "MASTER", "FAULT"];

#[derive(Debug, Default, Clone, PartialEq)]
struct MehdyData {
    state: i64,
    wantstate: i64,
    intf: String,
    garp_delay: i64,
    vrid: i64,
    vips: Vec<String>,
}

/// mehdy's `ParseVRRPData`.
fn mehdy_parse_data(text: &str) -> Result<BTreeMap<String, MehdyData>, String> {
    let mut data: BTreeMap<String, MehdyData> = BTreeMap::new();
    let mut instance = String::new();
    // Go keeps `key` across lines: list items belong to the last key seen.
    let mut key = String::new();
    for l in text.lines() {
        let val: String;
        if l.starts_with(" VRRP Instance") && l.contains('=') {
            instance = split_at(l.trim(), '=', 1)?.trim().to_string();
            data.insert(instance.clone(), MehdyData::default());
        } else if l.starts_with("   ") && !instance.is_empty() {
            if l.starts_with("     ") {
                val = l.trim().to_string();
            } else {
                let sep = if l.contains('=') {
                    '='
                } else if l.contains(':') {
                    ':'
                } else {
                    continue;
                };
                key = split_at(l.trim(), sep, 0)?.trim().to_string();
                if key == "Virtual IP" {
                    continue;
                }
                val = split_at(l.trim(), sep, 1)?.trim().to_string();
            }
            let d = data.get_mut(&instance).expect("inserted");
            if (key.starts_with("Virtual IP (") || key == "Virtual IP") && !val.is_empty() {
                d.vips.push(val.clone());
            }
            let state = |v: &str| {
                STATES
                    .iter()
                    .position(|s| *s == v)
                    .map(|p| p as i64)
                    .ok_or_else(|| format!("unknown state {v:?}"))
            };
            let atoi = |v: &str| v.parse::<i64>().map_err(|e| format!("{key}: {v:?}: {e}"));
            match key.as_str() {
                "State" => d.state = state(&val)?,
                "Wantstate" => d.wantstate = state(&val)?,
                "Interface" | "Listening device" => d.intf = val.clone(),
                "Gratuitous ARP delay" => d.garp_delay = atoi(&val)?,
                "Virtual Router ID" => d.vrid = atoi(&val)?,
                _ => {}
            }
        } else if l.starts_with(" VRRP Version") || l.starts_with(" VRRP Script") {
            continue;
        } else {
            instance.clear();
        }
    }
    Ok(data)
}

/// mehdy's `ParseVIP`: (address, interface).
fn mehdy_parse_vip(vip: &str) -> Option<(String, String)> {
    let args: Vec<&str> = vip.split(' ').collect();
    (args.len() >= 3).then(|| (args[0].to_string(), args[2].to_string()))
}

/// The 14 counters by JSON name, as the stats parsers fill them.
type Counters = BTreeMap<&'static str, i64>;

fn stats_counter(section: &str, key: &str) -> Option<&'static str> {
    Some(match (section, key) {
        ("Advertisements", "Received") => "advert_rcvd",
        ("Advertisements", "Sent") => "advert_sent",
        ("Packet Errors", "Length") => "packet_len_err",
        ("Packet Errors", "TTL") => "ip_ttl_err",
        ("Packet Errors", "Invalid Type") => "invalid_type_rcvd",
        ("Packet Errors", "Advertisement Interval") => "advert_interval_err",
        ("Packet Errors", "Address List") => "addr_list_err",
        ("Authentication Errors", "Invalid Type") => "invalid_authtype",
        ("Authentication Errors", "Type Mismatch") => "authtype_mismatch",
        ("Authentication Errors", "Failure") => "auth_failure",
        ("Priority Zero", "Received") => "pri_zero_rcvd",
        ("Priority Zero", "Sent") => "pri_zero_sent",
        ("", "Became master") => "become_master",
        ("", "Released master") => "release_master",
        _ => return None,
    })
}

/// mehdy's `ParseStats` (every value must pass `Atoi`).
fn mehdy_parse_stats(text: &str) -> Result<BTreeMap<String, Counters>, String> {
    let mut stats: BTreeMap<String, Counters> = BTreeMap::new();
    let (mut instance, mut section) = (String::new(), String::new());
    for l in text.lines() {
        let atoi = |v: &str| v.parse::<i64>().map_err(|e| format!("{l:?}: {e}"));
        if l.starts_with("VRRP Instance") && l.contains(':') {
            instance = split_at(l.trim(), ':', 1)?.trim().to_string();
            stats.insert(instance.clone(), Counters::new());
        } else if l.starts_with("  ") && l.ends_with(':') {
            section = split_at(l.trim(), ':', 0)?.trim().to_string();
        } else if l.starts_with("    ") && !section.is_empty() {
            let key = split_at(l.trim(), ':', 0)?.trim().to_string();
            let value = atoi(split_at(l.trim(), ':', 1)?.trim())?;
            if let Some(c) = stats_counter(&section, &key) {
                stats
                    .get_mut(&instance)
                    .ok_or("counter before instance")?
                    .insert(c, value);
            }
        } else if l.starts_with("  ") && !l.ends_with(':') && !l.starts_with("    ") {
            let key = split_at(l.trim(), ':', 0)?.trim().to_string();
            let value = atoi(split_at(l.trim(), ':', 1)?.trim())?;
            section.clear();
            if let Some(c) = stats_counter("", &key) {
                stats
                    .get_mut(&instance)
                    .ok_or("counter before instance")?
                    .insert(c, value);
            }
        }
    }
    Ok(stats)
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Gen2brainData {
    iname: String,
    ifp_ifname: String,
    last_transition: f64,
    vrid: i64,
    state: i64,
    wantstate: i64,
}

/// gen2brain's `parseData`: an instance is kept only when a line outside it follows.
fn gen2brain_parse_data(text: &str) -> Result<Vec<Gen2brainData>, String> {
    let mut out = Vec::new();
    let mut dt = Gen2brainData::default();
    for line in text.lines() {
        if line.starts_with(" VRRP Instance") && line.contains('=') {
            dt.iname = split_at(line.trim(), '=', 1)?.trim().to_string();
        } else if line.starts_with("   ") && line.contains('=') && !dt.iname.is_empty() {
            let key = split_at(line.trim(), '=', 0)?.trim().to_string();
            let val = split_at(line.trim(), '=', 1)?.trim().to_string();
            let state = STATES.iter().position(|s| *s == val).map(|p| p as i64);
            match key.as_str() {
                "Interface" => dt.ifp_ifname = val,
                "Last transition" => {
                    dt.last_transition = split_at(&val, ' ', 0)?
                        .parse()
                        .map_err(|e| format!("Last transition {val:?}: {e}"))?;
                }
                "Virtual Router ID" => {
                    dt.vrid = val.parse().map_err(|e| format!("vrid {val:?}: {e}"))?;
                }
                "State" => dt.state = state.unwrap_or(dt.state),
                "Wantstate" => dt.wantstate = state.unwrap_or(dt.wantstate),
                _ => {}
            }
        } else if line.starts_with(" VRRP Version") {
        } else if !dt.iname.is_empty() {
            out.push(std::mem::take(&mut dt));
        }
    }
    Ok(out)
}

/// gen2brain's `parseStats`: same sections as mehdy's, one block per instance, in order.
fn gen2brain_parse_stats(text: &str) -> Result<Vec<Counters>, String> {
    let mut out = Vec::new();
    let mut dt = Counters::new();
    let (mut instance, mut section) = (String::new(), String::new());
    for line in text.lines() {
        let atoi = |v: &str| v.parse::<i64>().map_err(|e| format!("{line:?}: {e}"));
        if line.starts_with("VRRP Instance") && line.contains(':') {
            if !instance.is_empty() {
                out.push(std::mem::take(&mut dt));
            }
            instance = split_at(line.trim(), ':', 1)?.trim().to_string();
        } else if line.starts_with("  ") && line.ends_with(':') {
            section = split_at(line.trim(), ':', 0)?.trim().to_string();
        } else if line.starts_with("    ") && !section.is_empty() {
            let key = split_at(line.trim(), ':', 0)?.trim().to_string();
            let value = atoi(split_at(line.trim(), ':', 1)?.trim())?;
            if let Some(c) = stats_counter(&section, &key) {
                dt.insert(c, value);
            }
        } else if line.starts_with("  ") && !line.starts_with("    ") {
            let key = split_at(line.trim(), ':', 0)?.trim().to_string();
            let value = atoi(split_at(line.trim(), ':', 1)?.trim())?;
            section.clear();
            if let Some(c) = stats_counter("", &key) {
                dt.insert(c, value);
            }
        }
    }
    if !instance.is_empty() {
        out.push(dt);
    }
    Ok(out)
}

// ---- the instances ---------------------------------------------------------------------------

const CONF: &str = r#"
vrrp_script chk_ok {
    script "/bin/true"
    weight 10
}
vrrp_script chk_down {
    script "/bin/false"
    weight 0
}
vrrp_instance VI_MASTER {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        198.51.100.50
        198.51.100.51/24 dev eth1
    }
    track_script {
        chk_ok
    }
}
vrrp_instance VI_BACKUP {
    interface eth0
    virtual_router_id 52
    priority 90
    version 3
    virtual_ipaddress {
        198.51.100.60
    }
}
vrrp_instance VI_FAULT {
    interface eth1
    virtual_router_id 53
    virtual_ipaddress {
        198.51.100.70
    }
    track_interface {
        eth2
    }
    track_script {
        chk_down
    }
    garp_master_delay 2
}
"#;

struct Fixture {
    config: model::Config,
    engines: Vec<vrrp::Instance>,
    at: Instant,
}

impl Fixture {
    /// VI_MASTER becomes master (sending adverts), VI_BACKUP stays BACKUP (its timer is not run),
    /// VI_FAULT's weight-0 script fails.
    fn new() -> Self {
        let opts = LoadOptions {
            config_id: "test".into(),
            check_interfaces: false,
            all_config: false,
        };
        let loaded = load_str("keepalived.conf", CONF, &opts);
        assert!(!loaded.is_fatal(), "{:?}", loaded.diagnostics);
        let config = loaded.config.expect("valid config");
        let t0 = Instant::now();
        let me = Ipv4Addr::new(198, 51, 100, 1);
        let mut engines = Vec::new();
        for ic in &config.instances {
            let mut e = vrrp::Instance::new(ic, &config.scripts);
            for (name, ok) in [("chk_ok", true), ("chk_down", false)] {
                e.handle_track(
                    t0,
                    &TrackEvent::Script {
                        name: name.into(),
                        ok,
                    },
                );
            }
            e.handle_startup(t0, Some(me.into()), true);
            engines.push(e);
        }
        let mut at = t0;
        for _ in 0..5 {
            at = engines[0].poll_timeout().expect("a deadline");
            engines[0].handle_timeout(at);
        }
        for e in &mut engines {
            while e.poll_action().is_some() {}
        }
        let f = Fixture {
            config,
            engines,
            at,
        };
        assert_eq!(
            f.engines
                .iter()
                .map(vrrp::Instance::state)
                .collect::<Vec<_>>(),
            [State::Master, State::Backup, State::Fault]
        );
        f
    }

    fn views(&self) -> Vec<InstanceDump<'_>> {
        self.engines
            .iter()
            .map(|engine| InstanceDump {
                engine,
                last_transition: SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_040_000_125),
                master_priority: if engine.state() == State::Backup {
                    200
                } else {
                    0
                },
                vmac_up: false,
            })
            .collect()
    }

    fn json(&self) -> String {
        dump::json(&self.views(), &self.config, &[])
    }
    fn data(&self) -> String {
        dump::data_file(&self.views(), &self.config)
    }
    fn stats(&self) -> String {
        dump::stats_file(&self.views())
    }

    /// The engine counters by JSON name.
    fn counters(&self, i: usize) -> Counters {
        let s = self.engines[i].stats();
        [
            ("advert_rcvd", s.advert_rcvd),
            ("advert_sent", s.advert_sent),
            ("become_master", s.become_master),
            ("release_master", s.release_master),
            ("packet_len_err", s.packet_len_err),
            ("advert_interval_err", s.advert_interval_err),
            ("ip_ttl_err", s.ip_ttl_err),
            ("invalid_type_rcvd", s.invalid_type_rcvd),
            ("addr_list_err", s.addr_list_err),
            ("invalid_authtype", s.invalid_authtype),
            ("authtype_mismatch", s.authtype_mismatch),
            ("auth_failure", s.auth_failure),
            ("pri_zero_rcvd", s.pri_zero_rcvd),
            ("pri_zero_sent", s.pri_zero_sent),
        ]
        .into_iter()
        .map(|(k, v)| (k, i64::try_from(v).unwrap()))
        .collect()
    }
}

// ---- tests -----------------------------------------------------------------------------------

#[test]
fn json_decodes_into_every_exporter_struct_with_the_engine_values() {
    let f = Fixture::new();
    let text = f.json();
    for schema in [&MEHDY_DATA[..], &GEN2BRAIN_DATA, &GEN2BRAIN_OLD_DATA] {
        let items = decode_all(&text, schema);
        assert_eq!(items.len(), 3);
        for (i, (data, stats)) in items.iter().enumerate() {
            let e = &f.engines[i];
            assert_eq!(data["state"], i64::from(dump::state_number(e.state())));
            assert_eq!(data["vrid"], i64::from(e.config().vrid));
            let want: BTreeMap<String, i64> = f
                .counters(i)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            assert_eq!(*stats, want, "stats of instance {i}");
        }
    }
    let states: Vec<i64> = decode_all(&text, &MEHDY_DATA)
        .iter()
        .map(|(d, _)| d["state"])
        .collect();
    assert_eq!(states, [2, 1, 3]);
    let root = Reader::parse(&text).unwrap();
    let J::Arr(items) = &root else { panic!() };
    let m = items[0].get("data").unwrap();
    assert_eq!(m.get("iname"), Some(&J::Str("VI_MASTER".into())));
    assert_eq!(m.get("ifp_ifname"), Some(&J::Str("eth0".into())));
    assert_eq!(m.get("garp_delay"), Some(&J::Num("5".into())));
    assert_eq!(
        m.get("last_transition"),
        Some(&J::Num("1764040000.125000".into()))
    );
    assert_eq!(
        m.get("vips"),
        Some(&J::Arr(vec![
            J::Str("198.51.100.50 dev eth0 scope global set".into()),
            J::Str("198.51.100.51/24 dev eth1 scope global set".into()),
        ]))
    );
    assert_eq!(m.get("effective_priority"), Some(&J::Num("110".into())));
    assert!(f.counters(0)["advert_sent"] > 0);
    assert_eq!(f.counters(0)["become_master"], 1);
    let b = items[1].get("data").unwrap();
    assert_eq!(b.get("master_priority"), Some(&J::Num("200".into())));
    let fault = items[2].get("data").unwrap();
    assert_eq!(fault.get("wantstate"), Some(&J::Num("3".into())));
    assert_eq!(
        fault.get("track_ifp"),
        Some(&J::Arr(vec![J::Str("eth2".into())]))
    );
    assert_eq!(
        fault.get("track_script"),
        Some(&J::Arr(vec![J::Str("'/bin/false'".into())]))
    );
}

#[test]
fn mehdy_text_parsers_read_data_and_stats_with_matching_instances() {
    let f = Fixture::new();
    let data = mehdy_parse_data(&f.data()).unwrap();
    let stats = mehdy_parse_stats(&f.stats()).unwrap();
    // The exporter retries (then reports down) when the two files disagree on instances.
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        stats.keys().collect::<Vec<_>>()
    );
    assert_eq!(data.len(), 3);
    let m = &data["VI_MASTER"];
    assert_eq!((m.state, m.wantstate), (2, 2));
    assert_eq!(m.intf, "eth0");
    assert_eq!(m.vrid, 51);
    assert_eq!(m.garp_delay, 5);
    assert_eq!(
        m.vips,
        [
            "198.51.100.50 dev eth0 scope global set",
            "198.51.100.51/24 dev eth1 scope global set"
        ]
    );
    assert_eq!(data["VI_BACKUP"].state, 1);
    assert_eq!(data["VI_FAULT"].state, 3);
    assert_eq!(data["VI_FAULT"].intf, "eth1");
    assert_eq!(data["VI_FAULT"].garp_delay, 2);
    // Its VIP labels (iname, intf, vrid, ip_address) must be unique or the scrape fails.
    let mut labels = BTreeSet::new();
    for (name, d) in &data {
        for v in &d.vips {
            let (addr, intf) = mehdy_parse_vip(v).expect("ADDR dev IF ...");
            assert!(
                labels.insert((name.clone(), intf, d.vrid, addr)),
                "duplicate {v}"
            );
        }
    }
    for (i, name) in ["VI_MASTER", "VI_BACKUP", "VI_FAULT"].iter().enumerate() {
        assert_eq!(stats[*name], f.counters(i), "{name}");
    }
}

#[test]
fn gen2brain_text_parsers_keep_every_instance_in_order() {
    let f = Fixture::new();
    let data = gen2brain_parse_data(&f.data()).unwrap();
    let stats = gen2brain_parse_stats(&f.stats()).unwrap();
    assert_eq!(data.len(), 3, "{data:?}");
    assert_eq!(stats.len(), 3);
    let names: Vec<&str> = data.iter().map(|d| d.iname.as_str()).collect();
    assert_eq!(names, ["VI_MASTER", "VI_BACKUP", "VI_FAULT"]);
    assert_eq!(data.iter().map(|d| d.state).collect::<Vec<_>>(), [2, 1, 3]);
    assert_eq!(data[0].ifp_ifname, "eth0");
    assert_eq!(data[0].vrid, 51);
    assert!((data[0].last_transition - 1_764_040_000.125).abs() < 1e-6);
    for (i, s) in stats.iter().enumerate() {
        assert_eq!(*s, f.counters(i));
    }
}

#[test]
fn after_stats_clear_every_consumer_reads_zero_then_counting_resumes() {
    let mut f = Fixture::new();
    assert!(f.counters(0)["advert_sent"] > 0);
    // What the daemon does on SIGRTMAX-1: the stats file first, then zero.
    let before = f.stats();
    for e in &mut f.engines {
        e.clear_stats();
    }
    assert!(mehdy_parse_stats(&before).unwrap()["VI_MASTER"]["advert_sent"] > 0);
    for (_, c) in mehdy_parse_stats(&f.stats()).unwrap() {
        assert!(c.values().all(|&v| v == 0), "{c:?}");
        assert_eq!(c.len(), 14);
    }
    for (_, s) in decode_all(&f.json(), &MEHDY_DATA) {
        assert!(s.values().all(|&v| v == 0), "{s:?}");
    }
    let next = f.engines[0].poll_timeout().expect("next advert");
    assert!(next > f.at);
    f.engines[0].handle_timeout(next);
    assert_eq!(
        gen2brain_parse_stats(&f.stats()).unwrap()[0]["advert_sent"],
        1
    );
    assert_eq!(f.engines[0].state(), State::Master);
}

#[test]
fn the_checker_rejects_what_the_exporters_reject() {
    // Guards on the rules themselves: a float where Go wants an int, raw control characters,
    // a trailing comma, a non-numeric counter, an unknown state word.
    let half = Reader::parse(r#"{"garp_delay":0.5}"#).unwrap();
    assert!(go_decode(&half, &MEHDY_DATA).is_err());
    let whole = Reader::parse(r#"{"garp_delay":5}"#).unwrap();
    assert_eq!(go_decode(&whole, &MEHDY_DATA).unwrap()["garp_delay"], 5);
    assert!(Reader::parse("[\"a\u{1}b\"]").is_err());
    assert!(Reader::parse("[1,]").is_err());
    assert!(mehdy_parse_stats("VRRP Instance: X\n  Advertisements:\n    Received: n/a\n").is_err());
    assert!(mehdy_parse_data(" VRRP Instance = X\n   State = UP\n").is_err());
    // gen2brain drops an instance block that ends the file.
    assert!(
        gen2brain_parse_data(" VRRP Instance = X\n   State = MASTER\n")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn json_version_2_holds_the_v1_instances_under_vrrp_then_the_processes() {
    let mut f = Fixture::new();
    let v1 = Reader::parse(&f.json()).unwrap();
    f.config.global.dumps.json_version = model::JsonVersion::V2;
    let nginx = model::TrackProcess {
        name: "nginx_up".into(),
        process: "nginx".into(),
        params: Vec::new(),
        param_match: model::ParamMatch::None,
        full_command: false,
        weight: 0,
        reverse: false,
        quorum: 2,
        quorum_max: u32::MAX,
        fork_delay: Duration::from_millis(250),
        terminate_delay: Duration::from_secs(3),
    };
    let status = keepalived::track::process::ProcessStatus {
        current: 1,
        have_quorum: true,
        fork_delay_running: false,
        terminate_delay_running: true,
    };
    let procs = [dump::ProcessDump {
        config: &nginx,
        status,
    }];
    let text = dump::json(&f.views(), &f.config, &procs);
    let root = Reader::parse(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"));
    let J::Obj(members) = &root else {
        panic!("json_version 2 is an object: {text}")
    };
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["vrrp", "track_process"]);
    // No instance here tracks a process: the array is v1's, item for item.
    assert_eq!(root.get("vrrp"), Some(&v1));
    let J::Arr(p) = root.get("track_process").unwrap() else {
        panic!()
    };
    let want = [
        ("process", J::Str("nginx_up".into())),
        ("param_match", J::Str("none".into())),
        ("min_processes", J::Num("2".into())),
        ("current_processes", J::Num("1".into())),
        ("have_quorum", J::Bool(true)),
        ("weight", J::Num("0".into())),
        ("terminate_delay", J::Num("3".into())),
        ("fork_delay", J::Num("0.25".into())),
        ("fork_delay_timer_running", J::Bool(false)),
        ("terminate_delay_timer_running", J::Bool(true)),
        ("full_command", J::Bool(false)),
    ];
    let J::Obj(got) = &p[0] else { panic!() };
    assert_eq!(
        got.iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect::<Vec<_>>(),
        want
    );
}
