#!/usr/bin/env bash
# config_load.sh -- configuration load benchmark (not a test): `keepalived -t -f` on a generated
# configuration of 1000 vrrp_instances and 10,000 virtual addresses, ours (KA_BIN) against real
# keepalived 2.2.7 (REF_BIN), in one run.
#
# The configuration: 4 interfaces (eth0..eth3), 250 VRIDs on each. eth0/eth1 carry 500 VRRPv2
# IPv4 instances with 10 VIPs each taken in turn from 198.51.100.1-250 (eth0) and
# 203.0.113.1-250 (eth1), so each address serves several instances (both daemons accept
# that); eth2/eth3 carry 500 VRRPv3 IPv6 instances with 10 VIPs each, all distinct, in
# 2001:db8::/32. Only documentation ranges are used.
# Both daemons run `-t -f CONF` inside a private network namespace holding eth0..eth3 (veth
# pairs), like compat-tests' oracle: the root namespace is never changed, and the namespace
# and temp dir are removed on every exit path. Each round runs both, in alternating order;
# reported per daemon: median wall time, median CPU time (user + system, from wait4()), and
# peak RSS (ru_maxrss). Both must exit 0 on the configuration, else the run fails.
# Usage: bench/config_load.sh [--rounds N] [--keep FILE]   (needs root, python3; KA_BIN defaults
# to target/release/keepalived, REF_BIN to /usr/sbin/keepalived). --keep copies the config out.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=11
keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=${2:?}; shift 2 ;;
	--keep) keep=${2:?}; shift 2 ;;
	-h | --help)
		sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) echo "unknown argument: $1 (see --help)"; exit 2 ;;
	esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "--rounds wants a positive integer"; exit 2; }
KA_BIN=$(readlink -f "${KA_BIN:-$repo/target/release/keepalived}")
REF_BIN=${REF_BIN:-/usr/sbin/keepalived}
[ "$(id -u)" = 0 ] || { echo "needs root (ip netns)"; exit 77; }
command -v python3 >/dev/null || { echo "needs python3"; exit 77; }
[ -x "$KA_BIN" ] || { echo "KA_BIN=$KA_BIN is not an executable (cargo build --release)"; exit 2; }
[ -x "$REF_BIN" ] || { echo "REF_BIN=$REF_BIN is not an executable (apt-get install keepalived)"; exit 2; }

ns="kabench-$$"
tmp=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

conf=$tmp/keepalived.conf
python3 - "$conf" <<'PY'
import sys
out = ["global_defs {\n    router_id config_load_bench\n}\n"]
vips = 0
for k in range(4):
    for vrid in range(1, 251):
        if k < 2:
            net = "198.51.100" if k == 0 else "203.0.113"
            lines = [f"        {net}.{((vrid - 1) * 10 + j) % 250 + 1}/24" for j in range(10)]
            version = ""
        else:
            lines = [f"        2001:db8:{k}:{vrid:x}::{j + 1:x}/64" for j in range(10)]
            version = "    version 3\n"
        vips += len(lines)
        out.append(
            f"vrrp_instance VI_{k}_{vrid} {{\n    state BACKUP\n    interface eth{k}\n"
            f"    virtual_router_id {vrid}\n    priority {100 + k}\n    advert_int 1\n{version}"
            f"    virtual_ipaddress {{\n" + "\n".join(lines) + "\n    }\n}\n"
        )
open(sys.argv[1], "w").write("".join(out))
print(f"config: 1000 vrrp_instances, {vips} VIPs, {sum(map(len, out))} bytes")
PY
[ -n "$keep" ] && cp "$conf" "$keep"

ip netns add "$ns" || exit 2
ip -n "$ns" link set lo up
for k in 0 1 2 3; do
	ip -n "$ns" link add "eth$k" type veth peer name "cb$k" || exit 2
	ip -n "$ns" link set "eth$k" up
	ip -n "$ns" link set "cb$k" up
done

ip netns exec "$ns" python3 - "$conf" "$rounds" "$KA_BIN" "$REF_BIN" <<'PY'
import os, statistics, sys, time

conf, rounds, ours, ref = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def run(binary):
    """One `-t -f CONF`: wall ms, CPU ms (user+sys), peak RSS KiB, exit code."""
    t0 = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        fd = os.open("/dev/null", os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(binary, [binary, "-t", "-f", conf])
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - t0) / 1e6
    return wall, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_maxrss, os.waitstatus_to_exitcode(status)

impls = [("keepalived-rs", ours), ("keepalived 2.2.7", ref)]
for name, b in impls:
    code = run(b)[3]
    if code != 0:
        sys.exit(f"{name} -t exits {code} on the generated configuration (want 0)")
results = {name: [] for name, _ in impls}
for r in range(rounds):
    order = impls if r % 2 == 0 else impls[::-1]
    for name, b in order:
        results[name].append(run(b))

print(f"rounds: {rounds} (alternating order), times in ms, medians")
print(f"{'implementation':<18} {'wall':>8} {'cpu':>8} {'peak RSS':>10}")
med = {}
for name, _ in impls:
    v = results[name]
    med[name] = (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
    rss = max(x[2] for x in v)
    print(f"{name:<18} {med[name][0]:8.1f} {med[name][1]:8.1f} {rss / 1024:8.1f} MB")
ka, kr = med["keepalived-rs"], med["keepalived 2.2.7"]
rss = max(x[2] for x in results["keepalived-rs"]) / 1024
print(f"ratio keepalived-rs / keepalived: wall {ka[0] / kr[0]:.2f}, cpu {ka[1] / kr[1]:.2f} (target: at most 0.50)")
print(f"keepalived-rs peak RSS: {rss:.1f} MB (target: under 50 MB)")
PY
