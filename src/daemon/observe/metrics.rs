//! `--metrics-listen ADDR:PORT` (beyond keepalived): a Prometheus endpoint serving
//! `GET /metrics` in the text format 0.0.4, or OpenMetrics 1.0 when `Accept` asks for it.
//!
//! Metric names follow mehdy/keepalived-exporter where it has one (`keepalived_up`,
//! `keepalived_vrrp_state`, `keepalived_advertisements_received_total`, …,
//! `keepalived_script_status`), so existing dashboards and alerts keep working; the counters
//! carry `iname`, `intf` and `vrid` but not the exporter's `state` label, which would start a
//! new series at every failover. The rest is ours: state as one 0/1 gauge per state,
//! priorities, transitions, script run counts and notify script latencies.
//!
//! Served from tasks of its own: each connection reads one request (bounded in size and
//! time), takes the latest [`Snapshot`] and renders it; the event loop is never waited on.

use super::http::{self, Answer, Parsed};
use super::{InstanceView, Reader, Snapshot, state_number};
use crate::notify::ScriptTiming;
use crate::track::{RunTally, ScriptStatus};
use crate::vrrp::{State, Stats};
use std::collections::BTreeMap;
use std::fmt::{Display, Write as _};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::{Semaphore, mpsc};

/// Connections served at once; more are closed at once (scrapers are few).
const MAX_CONNECTIONS: usize = 8;
/// A client has this long to send its request, then this long to take the response.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Upper bounds of the notify latency histogram buckets, in milliseconds.
pub const BUCKETS_MS: [u64; 12] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/// One latency histogram.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last slot is above every bound.
    counts: [u64; BUCKETS_MS.len() + 1],
    sum: Duration,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&mut self, d: Duration) {
        let i = BUCKETS_MS
            .iter()
            .position(|&ms| d <= Duration::from_millis(ms))
            .unwrap_or(BUCKETS_MS.len());
        self.counts[i] += 1;
        self.sum += d;
    }

    fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// Notify script latencies per instance: from the transition to each script's start, and to
/// its end.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    by_instance: BTreeMap<String, (Histogram, Histogram)>,
}

impl Latencies {
    /// Counts one script run.
    pub fn record(&mut self, t: &ScriptTiming) {
        let (start, end) = self.by_instance.entry(t.instance.clone()).or_default();
        start.observe(t.started);
        end.observe(t.finished);
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Gauge,
    Counter,
    Histogram,
    /// A constant 1 whose labels are the information (`_info`).
    Info,
}

/// The exposition being written: families (HELP and TYPE) and their samples.
struct Out {
    s: String,
    openmetrics: bool,
}

impl Out {
    /// Starts a family. `name` is the name of its samples (`…_total` for a counter, `…_info`
    /// for an info); OpenMetrics names the family without that suffix.
    fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let (family, ty) = match (kind, self.openmetrics) {
            (Kind::Counter, true) => (name.trim_end_matches("_total"), "counter"),
            (Kind::Info, true) => (name.trim_end_matches("_info"), "info"),
            (Kind::Counter, false) => (name, "counter"),
            (Kind::Info, false) | (Kind::Gauge, _) => (name, "gauge"),
            (Kind::Histogram, _) => (name, "histogram"),
        };
        let _ = writeln!(self.s, "# HELP {family} {help}");
        let _ = writeln!(self.s, "# TYPE {family} {ty}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.s.push_str(name);
        if !labels.is_empty() {
            self.s.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.s.push(',');
                }
                let _ = write!(self.s, "{k}=\"{}\"", escape(v));
            }
            self.s.push('}');
        }
        let _ = writeln!(self.s, " {value}");
    }

    /// One sample per instance.
    fn per_instance(
        &mut self,
        snap: &Snapshot,
        name: &str,
        kind: Kind,
        help: &str,
        value: impl Fn(&InstanceView) -> String,
    ) {
        self.family(name, kind, help);
        for i in &snap.instances {
            let vrid = i.vrid.to_string();
            let labels = [
                ("iname", i.name.as_str()),
                ("intf", i.interface.as_str()),
                ("vrid", vrid.as_str()),
            ];
            self.sample(name, &labels, value(i));
        }
    }
}

/// A label value as the text formats want it: backslash, double quote and newline escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Seconds since the Unix epoch, as the formats write floats.
fn epoch_seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// keepalived's per-instance counters: sample name, help, value. Destructured without `..`
/// so that a counter added to the engine cannot be forgotten here.
fn stats_counters(st: &Stats) -> [(&'static str, &'static str, u64); 16] {
    let Stats {
        advert_rcvd,
        advert_sent,
        become_master,
        release_master,
        packet_len_err,
        ip_ttl_err,
        invalid_type_rcvd,
        advert_interval_err,
        addr_list_err,
        invalid_authtype,
        authtype_mismatch,
        auth_failure,
        pri_zero_rcvd,
        pri_zero_sent,
        vers_err,
        chk_err,
    } = *st;
    [
        (
            "keepalived_advertisements_received_total",
            "Adverts received that passed the checks (keepalived.stats Advertisements Received).",
            advert_rcvd,
        ),
        (
            "keepalived_advertisements_sent_total",
            "Adverts sent (keepalived.stats Advertisements Sent).",
            advert_sent,
        ),
        (
            "keepalived_become_master_total",
            "Transitions to MASTER.",
            become_master,
        ),
        (
            "keepalived_release_master_total",
            "Transitions out of MASTER.",
            release_master,
        ),
        (
            "keepalived_packet_length_errors_total",
            "Adverts with a bad length.",
            packet_len_err,
        ),
        (
            "keepalived_advertisements_interval_errors_total",
            "Adverts with another advert interval.",
            advert_interval_err,
        ),
        (
            "keepalived_ip_ttl_errors_total",
            "Adverts whose TTL or hop limit was not 255.",
            ip_ttl_err,
        ),
        (
            "keepalived_invalid_type_received_total",
            "VRRP packets of a type other than ADVERTISEMENT.",
            invalid_type_rcvd,
        ),
        (
            "keepalived_address_list_errors_total",
            "Adverts whose virtual address list differs from ours.",
            addr_list_err,
        ),
        (
            "keepalived_authentication_invalid_total",
            "Adverts with an unknown authentication type.",
            invalid_authtype,
        ),
        (
            "keepalived_authentication_mismatch_total",
            "Adverts with another authentication type.",
            authtype_mismatch,
        ),
        (
            "keepalived_authentication_failure_total",
            "Adverts whose password differs.",
            auth_failure,
        ),
        (
            "keepalived_priority_zero_received_total",
            "Priority 0 adverts received (a master stopping).",
            pri_zero_rcvd,
        ),
        (
            "keepalived_priority_zero_sent_total",
            "Priority 0 adverts sent.",
            pri_zero_sent,
        ),
        (
            "keepalived_version_errors_total",
            "Adverts of another VRRP version.",
            vers_err,
        ),
        (
            "keepalived_checksum_errors_total",
            "Adverts with a wrong VRRP checksum.",
            chk_err,
        ),
    ]
}

const STATES: [State; 4] = [State::Init, State::Backup, State::Master, State::Fault];

/// The exposition of `snap`, `latencies` and the scripts' run counts: Prometheus text 0.0.4,
/// or OpenMetrics 1.0 (`# EOF` terminated).
pub fn render(snap: &Snapshot, latencies: &Latencies, openmetrics: bool) -> String {
    let tallies: Vec<(&str, RunTally)> = snap
        .scripts
        .iter()
        .map(|(n, c)| (n.as_str(), c.read()))
        .collect();
    render_with(snap, &tallies, latencies, openmetrics)
}

fn render_with(
    snap: &Snapshot,
    scripts: &[(&str, RunTally)],
    latencies: &Latencies,
    openmetrics: bool,
) -> String {
    let mut o = Out {
        s: String::new(),
        openmetrics,
    };
    o.family(
        "keepalived_up",
        Kind::Gauge,
        "1: the VRRP daemon is running.",
    );
    o.sample("keepalived_up", &[], 1);
    o.family(
        "keepalived_build_info",
        Kind::Info,
        "keepalived-rs version and the keepalived release it stands in for.",
    );
    o.sample(
        "keepalived_build_info",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("keepalived_version", crate::daemon::cli::KEEPALIVED_COMPAT),
        ],
        1,
    );
    o.family(
        "keepalived_start_time_seconds",
        Kind::Gauge,
        "Start time of the daemon since the Unix epoch in seconds.",
    );
    o.sample(
        "keepalived_start_time_seconds",
        &[],
        epoch_seconds(snap.started),
    );
    o.per_instance(
        snap,
        "keepalived_vrrp_state",
        Kind::Gauge,
        "Instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT (keepalived's numbers).",
        |i| state_number(i.state).to_string(),
    );
    o.family(
        "keepalived_vrrp_instance_state",
        Kind::Gauge,
        "1 for the state the instance is in, 0 for the others.",
    );
    for i in &snap.instances {
        let vrid = i.vrid.to_string();
        for s in STATES {
            let state = s.to_string();
            let labels = [
                ("iname", i.name.as_str()),
                ("intf", i.interface.as_str()),
                ("vrid", vrid.as_str()),
                ("state", state.as_str()),
            ];
            o.sample(
                "keepalived_vrrp_instance_state",
                &labels,
                u8::from(i.state == s),
            );
        }
    }
    o.per_instance(
        snap,
        "keepalived_vrrp_base_priority",
        Kind::Gauge,
        "Configured priority.",
        |i| i.base_priority.to_string(),
    );
    o.per_instance(
        snap,
        "keepalived_vrrp_effective_priority",
        Kind::Gauge,
        "Priority after the tracking weights.",
        |i| i.effective_priority.to_string(),
    );
    o.per_instance(
        snap,
        "keepalived_vrrp_master_priority",
        Kind::Gauge,
        "Priority of the master's last accepted advert as BACKUP (0 before one).",
        |i| i.master_priority.to_string(),
    );
    o.per_instance(
        snap,
        "keepalived_vrrp_transitions_total",
        Kind::Counter,
        "State changes since the daemon started.",
        |i| i.transitions.to_string(),
    );
    o.per_instance(
        snap,
        "keepalived_vrrp_last_transition_timestamp_seconds",
        Kind::Gauge,
        "Time of the last state change since the Unix epoch in seconds.",
        |i| epoch_seconds(i.last_transition).to_string(),
    );
    let counters: Vec<_> = snap
        .instances
        .iter()
        .map(|i| stats_counters(&i.stats))
        .collect();
    for (k, (name, help, _)) in stats_counters(&Stats::default()).iter().enumerate() {
        o.family(name, Kind::Counter, help);
        for (i, c) in snap.instances.iter().zip(&counters) {
            let vrid = i.vrid.to_string();
            let labels = [
                ("iname", i.name.as_str()),
                ("intf", i.interface.as_str()),
                ("vrid", vrid.as_str()),
            ];
            o.sample(name, &labels, c[k].2);
        }
    }
    o.family(
        "keepalived_vrrp_bad_packets_total",
        Kind::Counter,
        "Received VRRP packets that could not be decoded, by error.",
    );
    for (error, n) in &snap.bad_packets {
        o.sample("keepalived_vrrp_bad_packets_total", &[("error", error)], n);
    }
    render_scripts(&mut o, scripts);
    render_latencies(&mut o, latencies);
    if openmetrics {
        o.s.push_str("# EOF\n");
    }
    o.s
}

fn render_scripts(o: &mut Out, scripts: &[(&str, RunTally)]) {
    o.family(
        "keepalived_script_status",
        Kind::Gauge,
        "vrrp_script status after rise/fall: 1 GOOD, 0 BAD (absent before a result).",
    );
    for (name, t) in scripts {
        match t.status {
            ScriptStatus::Good => o.sample("keepalived_script_status", &[("name", name)], 1),
            ScriptStatus::Bad => o.sample("keepalived_script_status", &[("name", name)], 0),
            ScriptStatus::Unknown => {}
        }
    }
    o.family(
        "keepalived_script_state",
        Kind::Gauge,
        "vrrp_script run state: 0 idle, 1 running.",
    );
    for (name, t) in scripts {
        o.sample(
            "keepalived_script_state",
            &[("name", name)],
            u8::from(t.running),
        );
    }
    o.family(
        "keepalived_script_runs_total",
        Kind::Counter,
        "vrrp_script runs by result: success (exit 0), failure (other exit), signal, timeout, not_started.",
    );
    for (name, t) in scripts {
        for (result, n) in [
            ("success", t.success),
            ("failure", t.failure),
            ("signal", t.signaled),
            ("timeout", t.timed_out),
            ("not_started", t.not_started),
        ] {
            o.sample(
                "keepalived_script_runs_total",
                &[("name", name), ("result", result)],
                n,
            );
        }
    }
    o.family(
        "keepalived_script_last_exit_status",
        Kind::Gauge,
        "Exit status of the vrrp_script's last run that exited.",
    );
    for (name, t) in scripts {
        if let Some(status) = t.last_status {
            o.sample(
                "keepalived_script_last_exit_status",
                &[("name", name)],
                status,
            );
        }
    }
}

fn render_latencies(o: &mut Out, latencies: &Latencies) {
    for (name, help, pick) in [
        (
            "keepalived_notify_start_latency_seconds",
            "From a state change to the start of each of its notify scripts.",
            0,
        ),
        (
            "keepalived_notify_end_latency_seconds",
            "From a state change to the end of each of its notify scripts.",
            1,
        ),
    ] {
        o.family(name, Kind::Histogram, help);
        for (iname, pair) in &latencies.by_instance {
            let h = if pick == 0 { &pair.0 } else { &pair.1 };
            let mut cumulative = 0;
            let bucket = format!("{name}_bucket");
            for (ms, n) in BUCKETS_MS.iter().zip(&h.counts) {
                cumulative += n;
                let le = (*ms as f64 / 1000.0).to_string();
                o.sample(&bucket, &[("iname", iname), ("le", &le)], cumulative);
            }
            o.sample(&bucket, &[("iname", iname), ("le", "+Inf")], h.count());
            o.sample(
                &format!("{name}_sum"),
                &[("iname", iname)],
                h.sum.as_secs_f64(),
            );
            o.sample(&format!("{name}_count"), &[("iname", iname)], h.count());
        }
    }
}

/// Binds `addr` (outside the event loop's hot path, once at start).
pub fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr)?;
    l.set_nonblocking(true)?;
    tokio::net::TcpListener::from_std(l)
}

/// Serves the endpoint until the runtime ends; `timings` feed the notify histograms.
pub async fn serve(
    listener: tokio::net::TcpListener,
    reader: Reader,
    mut timings: mpsc::UnboundedReceiver<ScriptTiming>,
) {
    let latencies = Arc::new(Mutex::new(Latencies::default()));
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut timings_open = true;
    loop {
        tokio::select! {
            t = timings.recv(), if timings_open => match t {
                Some(t) => latencies.lock().unwrap_or_else(|e| e.into_inner()).record(&t),
                None => timings_open = false,
            },
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Beyond the limit the connection is simply closed.
                    if let Ok(permit) = permits.clone().try_acquire_owned() {
                        let reader = reader.clone();
                        let latencies = latencies.clone();
                        tokio::spawn(async move {
                            handle(stream, reader, &latencies).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => {
                    // Out of descriptors and the like: do not spin.
                    tracing::warn!("metrics endpoint: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// One connection: one request, one response, closed.
async fn handle(
    mut stream: tokio::net::TcpStream,
    mut reader: Reader,
    latencies: &Arc<Mutex<Latencies>>,
) {
    let read = async {
        let mut buf = Vec::with_capacity(512);
        let mut chunk = [0u8; 1024];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Parsed::Complete(a) = http::parse(&buf) {
                return Some(a);
            }
        }
    };
    let bytes = match tokio::time::timeout(IO_TIMEOUT, read).await {
        Err(_) => http::error_response(408),
        Ok(None) => return,
        Ok(Some(Answer::Metrics { openmetrics, head })) => {
            let snap = reader.fresh().await;
            let latencies = latencies.clone();
            // The runtime's one thread is the VRRP loop's: text for a thousand instances takes
            // milliseconds, so it is written on a blocking thread.
            let text = tokio::task::spawn_blocking(move || {
                let l = latencies.lock().unwrap_or_else(|e| e.into_inner());
                render(&snap, &l, openmetrics)
            })
            .await
            .unwrap_or_default();
            let ct = if openmetrics {
                http::OPENMETRICS
            } else {
                http::TEXT_004
            };
            http::response(200, ct, &text, head)
        }
        Ok(Some(Answer::Index { head })) => {
            http::response(200, "text/plain; charset=utf-8", http::INDEX, head)
        }
        Ok(Some(Answer::Error(status))) => http::error_response(status),
    };
    let _ = tokio::time::timeout(IO_TIMEOUT, async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::NotifyState;
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Instant;

    fn at(secs: u64, millis: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    fn snapshot() -> Snapshot {
        let master = InstanceView {
            name: "VI_1".into(),
            interface: "eth0".into(),
            vrid: 51,
            state: State::Master,
            base_priority: 100,
            effective_priority: 110,
            stats: Stats {
                advert_rcvd: 3,
                advert_sent: 120,
                become_master: 1,
                pri_zero_rcvd: 1,
                chk_err: 2,
                ..Default::default()
            },
            transitions: 2,
            last: Some((
                State::Backup,
                State::Master,
                "master sent priority 0".into(),
            )),
            last_transition: at(1_700_000_100, 250),
            master: Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1))),
            master_is_self: true,
            master_priority: 0,
            vips: vec!["198.51.100.10/24".into()],
        };
        let backup = InstanceView {
            name: "VI \"2\"".into(),
            interface: "eth1".into(),
            vrid: 52,
            state: State::Backup,
            base_priority: 90,
            effective_priority: 90,
            stats: Stats::default(),
            transitions: 1,
            last: None,
            last_transition: at(1_700_000_000, 0),
            master: None,
            master_is_self: false,
            master_priority: 100,
            vips: vec![],
        };
        Snapshot {
            taken: Instant::now(),
            taken_wall: at(1_700_000_200, 0),
            started: at(1_700_000_000, 500),
            pid: 1,
            instances: vec![master, backup],
            scripts: Vec::new(),
            bad_packets: vec![("checksum error".into(), 4)],
        }
    }

    fn scripts() -> Vec<(&'static str, RunTally)> {
        vec![(
            "chk",
            RunTally {
                success: 5,
                failure: 2,
                signaled: 0,
                timed_out: 1,
                not_started: 0,
                last_status: Some(1),
                status: ScriptStatus::Bad,
                running: false,
            },
        )]
    }

    fn latencies() -> Latencies {
        let mut l = Latencies::default();
        for (start, end) in [(4, 30), (40, 1200)] {
            l.record(&ScriptTiming {
                instance: "VI_1".into(),
                state: NotifyState::Master,
                started: Duration::from_millis(start),
                finished: Duration::from_millis(end),
            });
        }
        l
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn text_004_lines_for_a_known_snapshot() {
        let text = render_with(&snapshot(), &scripts(), &latencies(), false);
        let l = lines(&text);
        let want = [
            "# HELP keepalived_up 1: the VRRP daemon is running.",
            "# TYPE keepalived_up gauge",
            "keepalived_up 1",
            "# TYPE keepalived_build_info gauge",
            "keepalived_start_time_seconds 1700000000.5",
            "keepalived_vrrp_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 2",
            "keepalived_vrrp_state{iname=\"VI \\\"2\\\"\",intf=\"eth1\",vrid=\"52\"} 1",
            "keepalived_vrrp_instance_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",state=\"INIT\"} 0",
            "keepalived_vrrp_instance_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",state=\"MASTER\"} 1",
            "keepalived_vrrp_instance_state{iname=\"VI \\\"2\\\"\",intf=\"eth1\",vrid=\"52\",state=\"BACKUP\"} 1",
            "keepalived_vrrp_base_priority{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 100",
            "keepalived_vrrp_effective_priority{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 110",
            "keepalived_vrrp_master_priority{iname=\"VI \\\"2\\\"\",intf=\"eth1\",vrid=\"52\"} 100",
            "# TYPE keepalived_vrrp_transitions_total counter",
            "keepalived_vrrp_transitions_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 2",
            "keepalived_vrrp_last_transition_timestamp_seconds{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 1700000100.25",
            "# TYPE keepalived_advertisements_received_total counter",
            "keepalived_advertisements_received_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 3",
            "keepalived_advertisements_sent_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 120",
            "keepalived_priority_zero_received_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 1",
            "keepalived_checksum_errors_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 2",
            "keepalived_checksum_errors_total{iname=\"VI \\\"2\\\"\",intf=\"eth1\",vrid=\"52\"} 0",
            "keepalived_vrrp_bad_packets_total{error=\"checksum error\"} 4",
            "keepalived_script_status{name=\"chk\"} 0",
            "keepalived_script_state{name=\"chk\"} 0",
            "keepalived_script_runs_total{name=\"chk\",result=\"success\"} 5",
            "keepalived_script_runs_total{name=\"chk\",result=\"failure\"} 2",
            "keepalived_script_runs_total{name=\"chk\",result=\"timeout\"} 1",
            "keepalived_script_last_exit_status{name=\"chk\"} 1",
            "# TYPE keepalived_notify_start_latency_seconds histogram",
            "keepalived_notify_start_latency_seconds_bucket{iname=\"VI_1\",le=\"0.005\"} 1",
            "keepalived_notify_start_latency_seconds_bucket{iname=\"VI_1\",le=\"0.025\"} 1",
            "keepalived_notify_start_latency_seconds_bucket{iname=\"VI_1\",le=\"0.05\"} 2",
            "keepalived_notify_start_latency_seconds_bucket{iname=\"VI_1\",le=\"+Inf\"} 2",
            "keepalived_notify_start_latency_seconds_sum{iname=\"VI_1\"} 0.044",
            "keepalived_notify_start_latency_seconds_count{iname=\"VI_1\"} 2",
            "keepalived_notify_end_latency_seconds_bucket{iname=\"VI_1\",le=\"0.025\"} 0",
            "keepalived_notify_end_latency_seconds_bucket{iname=\"VI_1\",le=\"0.05\"} 1",
            "keepalived_notify_end_latency_seconds_bucket{iname=\"VI_1\",le=\"1\"} 1",
            "keepalived_notify_end_latency_seconds_bucket{iname=\"VI_1\",le=\"2.5\"} 2",
            "keepalived_notify_end_latency_seconds_sum{iname=\"VI_1\"} 1.23",
        ];
        for w in want {
            assert!(l.contains(&w), "missing line {w:?} in\n{text}");
        }
        assert!(text.contains(&format!(
            "keepalived_build_info{{version=\"{}\",keepalived_version=\"2.2.7\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(!text.contains("# EOF"));
        // Every sample line is `name{labels} value` or `name value`, and every family is
        // declared once, before its samples.
        let mut declared = Vec::new();
        for line in &l {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap();
                assert!(!declared.contains(&name), "{name} declared twice");
                declared.push(name);
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .filter(|f| declared.contains(f))
                    .unwrap_or(name);
                assert_eq!(declared.last(), Some(&family), "{line}");
                let value = line.rsplit(' ').next().unwrap();
                assert!(value.parse::<f64>().is_ok(), "{line}");
            }
        }
        // All 16 engine counters are there.
        assert_eq!(
            l.iter()
                .filter(|x| x.starts_with("# TYPE keepalived_") && x.ends_with("_total counter"))
                .count(),
            16 + 3
        );
    }

    #[test]
    fn openmetrics_names_families_without_suffixes_and_ends_with_eof() {
        let text = render_with(&snapshot(), &scripts(), &latencies(), true);
        let l = lines(&text);
        for w in [
            "# TYPE keepalived_vrrp_transitions counter",
            "keepalived_vrrp_transitions_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 2",
            "# TYPE keepalived_advertisements_received counter",
            "# HELP keepalived_advertisements_received Adverts received that passed the checks (keepalived.stats Advertisements Received).",
            "# TYPE keepalived_build info",
            "# TYPE keepalived_notify_end_latency_seconds histogram",
            "keepalived_notify_end_latency_seconds_count{iname=\"VI_1\"} 2",
        ] {
            assert!(l.contains(&w), "missing line {w:?} in\n{text}");
        }
        assert_eq!(l.last(), Some(&"# EOF"));
        assert_eq!(text.matches("# EOF").count(), 1);
        assert!(!text.contains("_total counter"));
    }

    #[test]
    fn histogram_buckets_take_their_upper_bound() {
        let mut h = Histogram::default();
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_micros(5001));
        h.observe(Duration::from_secs(60));
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[1], 1);
        assert_eq!(h.counts[BUCKETS_MS.len()], 1);
        assert_eq!(h.count(), 3);
    }
}
