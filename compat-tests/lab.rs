//! Network-namespace labs: each test runs one `compat-tests/lab/NAME.sh` scenario with our
//! daemon as `KA_BIN` and real keepalived as `REF_BIN`.
//!
//! The scenarios build their own hosts as network namespaces (the root namespace is never
//! changed), so they need root. Without root or `ip netns` they print `skipped: ...` and pass,
//! unless `KA_REQUIRE_NETNS=1` (set by `.ci/run`), which turns every skip into a failure.
//! Scenarios share the machine's CPU and VRRP timing, so they run one at a time.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// One lab at a time: concurrent labs would compete for CPU and make timer bounds flaky.
static SERIAL: Mutex<()> = Mutex::new(());

/// Exit status a scenario uses for "prerequisite missing" (automake's convention).
const SKIP_STATUS: i32 = 77;

fn require_netns() -> bool {
    std::env::var("KA_REQUIRE_NETNS").is_ok_and(|v| v == "1")
}

/// Why the labs cannot run here, if they cannot.
fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root (network namespaces need CAP_SYS_ADMIN)".into());
    }
    match Command::new("ip").args(["netns", "list"]).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`ip netns list` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("cannot run `ip`: {e}")),
    }
}

fn skip_or_fail(name: &str, why: &str) {
    if require_netns() {
        panic!("lab {name}: {why} (KA_REQUIRE_NETNS=1 forbids skipping)");
    }
    println!("skipped: lab {name}: {why}");
}

fn run_lab(name: &str) {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(why) = unavailable() {
        skip_or_fail(name, &why);
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("compat-tests/lab").join(format!("{name}.sh"));
    let ka_bin =
        std::env::var("KA_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_keepalived").into());
    let ref_bin = std::env::var("REF_BIN").unwrap_or_else(|_| "/usr/sbin/keepalived".into());
    // `timeout` bounds a scenario that hangs despite its own bounded waits; SIGTERM lets its
    // EXIT trap tear the namespaces down.
    let out = Command::new("timeout")
        .args(["-k", "20", "900", "bash"])
        .arg(&script)
        .current_dir(root)
        .env("KA_BIN", &ka_bin)
        .env("REF_BIN", &ref_bin)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => println!("{stdout}"),
        Some(SKIP_STATUS) => skip_or_fail(name, stdout.trim()),
        code => panic!(
            "lab {name} failed (exit {code:?}) with KA_BIN={ka_bin} REF_BIN={ref_bin}\n\
             ----- stdout\n{stdout}\n----- stderr\n{stderr}"
        ),
    }
}

/// The tutorial's user story: nginx pair, client through the VIP, master stopped.
#[test]
fn nginx_pair() {
    run_lab("nginx_pair");
}

/// Mixed pairs with real keepalived, VRRPv2 and v3, SIGKILL/SIGTERM failover, preemption.
#[test]
fn interop() {
    run_lab("interop");
}

/// notify / notify_master / notify_backup / notify_stop argv and timing against the VIPs.
#[test]
fn notify() {
    run_lab("notify");
}

/// The SMTP alert dialogue of the config.
#[test]
fn smtp() {
    run_lab("smtp");
}

/// SIGHUP reload: no flap for a harmless change, preemption for a priority raise.
#[test]
fn reload() {
    run_lab("reload");
}

/// Hung check scripts and a silent SMTP server never delay an advert; link loss means FAULT.
#[test]
fn robust() {
    run_lab("robust");
}

#[test]
fn unicast() {
    run_lab("unicast");
}

/// startup_script/shutdown_script around VRRP, vrrp_rt_priority (SCHED_RR, RLIMIT_RTTIME),
/// vrrp_no_swap, vrrp_cpu_affinity, vrrp_priority, process_name, startup_script_timeout.
#[test]
fn process() {
    run_lab("process");
}

/// dynamic_interfaces allow_if_changes: an instance waits in FAULT for its interface, starts
/// when it is created, follows it when it is deleted and created again; without the option
/// the daemon stops at start.
#[test]
fn dynamic_if() {
    run_lab("dynamic_if");
}

/// Against keepalived 2.2.7: mcast_dst_ip both ways, old_unicast_checksum (configured and
/// detected), log_unknown_vrids, unicast_fault_no_peer, reload_check_config.
#[test]
fn wire_opts() {
    run_lab("wire_opts");
}

/// USR1/USR2/JSON dumps read by the exporters' rules, STATS_CLEAR, systemd STATUS=.
#[test]
fn dumps() {
    run_lab("dumps");
}

/// notify_fifo / vrrp_notify_fifo: exact line sequences, FIFO scripts, modes, reload, cleanup.
#[test]
fn fifo() {
    run_lab("fifo");
}

/// MASTER_RX_LOWER_PRI (+ its script), MASTER_PRIORITY, DELETED on reload and the
/// fifo_write_vrrp_states_on_reload line, exactly as real keepalived 2.2.7 writes them.
#[test]
fn notify_events() {
    run_lab("notify_events");
}

/// VRRPv3 over IPv6 (link-local first VIP + 2001:db8::/64): ours with ours and with real
/// keepalived both ways round; election, SIGTERM takeover, preemption, unsolicited NAs.
#[test]
fn ipv6() {
    run_lab("ipv6");
}

/// VIPs do not outlive a crash: a restarted node removes its leftover VIP before electing.
#[test]
fn crash() {
    run_lab("crash");
}

/// track_file (weight -20: echo 1 moves the VIP, echo 0 brings it back) and vrrp_track_process
/// (weight 0: the tracked `sleep` killed = FAULT, started again = back to MASTER).
#[test]
fn track() {
    run_lab("track");
}

/// vrrp_sync_group: a member's failed check moves both instances to the peer together, group
/// notify calls `GROUP G1 STATE 0` in order; ours/ours and with real keepalived both ways.
#[test]
fn sync() {
    run_lab("sync");
}

/// Three nodes on one VRID (ours 100, ours 90, keepalived 2.2.7 80) with
/// `vrrp_mcast_group4 224.0.0.118`: exactly one master at every sample, crash takeover, and
/// back to one master within one advert interval of healing a partition.
#[test]
fn threenode() {
    run_lab("threenode");
}

/// An attacker floods invalid priority-255 adverts (wrong password, no auth, TTL 64, bad
/// checksum): the master keeps its VIP and its 1 s advert rhythm, both nodes count the drops,
/// and the backup still takes over within Master_Down_Interval when the master dies.
#[test]
fn hostile() {
    run_lab("hostile");
}

/// `interface_up_down_delays`: a 0.5 s flap is ridden out, a lasting outage gives FAULT after
/// the down delay and BACKUP after the up delay.
#[test]
fn ifdelay() {
    run_lab("ifdelay");
}

/// `--metrics-listen` and `--status` (our extensions): state gauges flip at failover, counters
/// grow, a failing vrrp_script shows, bad requests get 4xx, the 0600 socket names MASTER/BACKUP
/// and the reason of each transition, and is gone with its daemon.
#[test]
fn metrics() {
    run_lab("metrics");
}

/// `-s NAMESPACE` + `instance` (pid files, journald idents, `-t` inside the namespace, reload
/// refusal), `vrrp_vip_lifetime` (a SIGKILLed master's VIP expires), `-V`.
#[test]
fn runtime() {
    run_lab("runtime");
}

/// eVIPs, virtual routes and rules move with mastership (never in adverts), static entries
/// stay on every node, deletions behind our back, implicit interface tracking, leftovers of a
/// SIGKILL removed at restart; ours and keepalived 2.2.7 install the same as master.
#[test]
fn routes() {
    run_lab("routes");
}

/// use_vmac: the VIP on the private macvlan vrrp.51 with 00:00:5e:00:01:33, keepalived's
/// sysctls set and restored, adverts and GARPs from the virtual MAC, the client's ARP entry
/// unchanged at failover, FAULT on parent down, a deleted VMAC made again, a killed run's VMAC
/// taken over, vmac_xmit_base, interop with keepalived 2.2.7 both ways over IPv4 and IPv6, and
/// keepalived's VMAC firewall (the same nft tables; IGMP/MLD reports from the parent's MAC).
#[test]
fn vmac() {
    run_lab("vmac");
}

/// `vrrp_strict`: the MASTER's nftables tables are those real keepalived 2.2.7 makes for the
/// same config (IPv4 and IPv6, link-local set), the client cannot reach the VIP, the tables
/// move with a failover, go at SIGTERM, are replaced after a SIGKILL; with `accept` there are
/// none and the client is served.
#[test]
fn strict() {
    run_lab("strict");
}

/// One interface with a v2 IPv4 multicast, a v3 IPv4 unicast, a v3 IPv6 multicast and a v3
/// IPv6 unicast instance on each node (distinct VRIDs, then all on one VRID): each elects and
/// fails over on its own, adverts go where its mode says; ours with ours and with real
/// keepalived both ways round.
#[test]
fn mixed() {
    run_lab("mixed");
}
