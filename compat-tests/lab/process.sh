#!/usr/bin/env bash
# process.sh -- the daemon as a process: start/stop scripts, scheduling and the process name.
#
# 1. One node, KA_BIN with startup_script, shutdown_script, vrrp_rt_priority 10,
#    vrrp_rlimit_rttime 200000, vrrp_no_swap and vrrp_cpu_affinity 0. The startup script
#    (3 s) ends before the instance becomes MASTER (its notify_master comes later), and runs
#    with what the daemon had before (SCHED_OTHER, no real-time limit). The daemon runs
#    SCHED_RR at 10 with RLIMIT_RTTIME 100000/200000 us, locked memory and only CPU 0, and
#    logs a SIGXCPU instead of dying of it. On SIGTERM the shutdown script runs once the VIP is gone, and the daemon exits after it.
# 2. Restarted with vrrp_priority 5, process_name kalab and a startup script that would sleep
#    30 s with startup_script_timeout 1: it is killed at 1 s and the node becomes MASTER soon
#    after; the daemon's nice value is 5 and /proc/PID/comm is `kalab`.
# KA_BIN may be real keepalived (2.2.7 reads all of these): there the scheduling belongs to its
# VRRP child (vrrp.pid) and `process_name` to the parent, which is what is checked.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init process
lab_host n1 1
D="$LAB_DIR/n1"

# The script files: the startup one records what it was given, the others the time.
cat >"$D/startup.sh" <<EOF
#!/bin/sh
date +%s%N >"$D/startup.begin"
{
	sed -n 's/^policy *: *//p' /proc/self/sched
	grep '^Max realtime timeout' /proc/self/limits
	cut -d' ' -f19 /proc/self/stat
} >"$D/startup.env"
sleep 3
date +%s%N >"$D/startup.end"
EOF
cat >"$D/master.sh" <<EOF
#!/bin/sh
date +%s%N >>"$D/master.at"
EOF
cat >"$D/shutdown.sh" <<EOF
#!/bin/sh
ip -4 -o addr show dev eth0 >"$D/shutdown.addrs"
date +%s%N >"$D/shutdown.at"
EOF
chmod 755 "$D"/*.sh

{
	echo "global_defs {"
	echo "    router_id lab_node"
	echo "    startup_script $D/startup.sh"
	echo "    shutdown_script $D/shutdown.sh"
	echo "    vrrp_rt_priority 10"
	echo "    vrrp_rlimit_rttime 200000"
	echo "    vrrp_no_swap"
	echo "    vrrp_cpu_affinity 0"
	echo "}"
	conf_simple 100 2 "    notify_master $D/master.sh" | sed 1,3d
} >"$D/keepalived.conf"

# vrrp_pid -- the pid (in the node) of the process doing VRRP: vrrp.pid (keepalived's child,
# or our one process, which writes both files).
vrrp_pid() { cat "$D/vrrp.pid" 2>/dev/null; }

say "phase 1: start/stop scripts and real-time scheduling"
ka_start n1 "$KA_BIN" "$D/keepalived.conf"
wait_until 15 test -s "$D/master.at" || fail "no MASTER (notify_master) within 15 s"
expect_vip_only n1 2 "n1 master"
begin=$(cat "$D/startup.begin") end=$(cat "$D/startup.end" 2>/dev/null) master=$(head -1 "$D/master.at")
[ -n "$end" ] && [ "$end" -le "$master" ] ||
	fail "the startup script must end before VRRP starts: ended ${end:-never}, MASTER at $master"
ok "startup script ran $(((end - begin) / 1000000)) ms, MASTER $(((master - end) / 1000000)) ms after it ended"
read -r policy rtlimit nice < <(tr '\n' ' ' <"$D/startup.env" | awk '{print $1, $5, $NF}')
[ "$policy" = 0 ] && [ "$rtlimit" = unlimited ] ||
	fail "the startup script inherited the daemon's scheduling: $(tr '\n' '|' <"$D/startup.env")"
ok "startup script: policy $policy (SCHED_OTHER), realtime timeout $rtlimit, nice $nice"

pid=$(vrrp_pid)
[ -n "$pid" ] || fail "no vrrp.pid"
sched=$(node_exec n1 sed -n 's/^policy *: *//p;s/^prio *: *//p' "/proc/$pid/sched" | tr '\n' ' ')
# policy 2 = SCHED_RR; the kernel's prio for real-time priority 10 is 99 - 10 = 89.
[ "$sched" = "2 89 " ] || fail "VRRP process $pid: policy/prio '$sched', want SCHED_RR at 10 (2 89)"
limits=$(node_exec n1 grep '^Max realtime timeout' "/proc/$pid/limits" | awk '{print $4, $5}')
[ "$limits" = "100000 200000" ] || fail "VRRP process: RLIMIT_RTTIME '$limits', want 100000 200000"
cpus=$(node_exec n1 sed -n 's/^Cpus_allowed_list:\s*//p' "/proc/$pid/status")
[ "$cpus" = 0 ] || fail "VRRP process: Cpus_allowed_list '$cpus', want 0"
vmlck=$(node_exec n1 sed -n 's/^VmLck:\s*\([0-9]*\).*/\1/p' "/proc/$pid/status")
[ "${vmlck:-0}" -gt 0 ] || fail "VRRP process: VmLck ${vmlck:-?} kB, want locked memory"
ok "VRRP process $pid: SCHED_RR 10, RLIMIT_RTTIME $limits us, CPUs $cpus, $vmlck kB locked"

# The soft RLIMIT_RTTIME's signal is logged, not fatal.
node_exec n1 kill -XCPU "$pid" || fail "kill -XCPU $pid failed"
wait_until 3 grep -q "has used too much CPU time, vrrp_rlimit_rttime may need to be increased" "$D/ka.log" ||
	fail "SIGXCPU was not logged"
sleep 0.5
node_exec n1 kill -0 "$pid" || fail "the VRRP process died of SIGXCPU"
ok "SIGXCPU logged, the VRRP process goes on"

ka_signal n1 TERM
ka_wait_exit n1 15 || fail "n1 did not exit within 15 s of SIGTERM"
[ -s "$D/shutdown.at" ] || fail "the shutdown script did not run"
grep -q "198.51.100.50/" "$D/shutdown.addrs" &&
	fail "the shutdown script ran while the VIP was still set: $(cat "$D/shutdown.addrs")"
ok "shutdown script ran after the VIP was removed, then the daemon exited"

say "phase 2: startup_script_timeout, vrrp_priority, process_name"
cat >"$D/slow.sh" <<EOF
#!/bin/sh
date +%s%N >"$D/slow.begin"
sleep 30
date +%s%N >"$D/slow.end"
EOF
chmod 755 "$D/slow.sh"
rm -f "$D/master.at"
{
	echo "global_defs {"
	echo "    router_id lab_node"
	echo "    startup_script $D/slow.sh"
	echo "    startup_script_timeout 1"
	echo "    vrrp_priority 5"
	echo "    process_name kalab"
	echo "}"
	conf_simple 100 2 "    notify_master $D/master.sh" | sed 1,3d
} >"$D/keepalived2.conf"
ka_start n1 "$KA_BIN" "$D/keepalived2.conf"
wait_until 15 test -s "$D/master.at" ||
	fail "no MASTER within 15 s: the startup script was not stopped at its timeout"
begin=$(cat "$D/slow.begin") master=$(head -1 "$D/master.at")
[ ! -e "$D/slow.end" ] || fail "the startup script ran to its end despite the 1 s timeout"
ok "startup script stopped at its timeout; MASTER $(((master - begin) / 1000000)) ms after it began"
pid=$(vrrp_pid)
nice=$(node_exec n1 cut -d' ' -f19 "/proc/$pid/stat")
[ "$nice" = 5 ] || fail "VRRP process $pid: nice $nice, want 5"
main=$(cat "$D/ka.pid")
comm=$(node_exec n1 cat "/proc/$main/comm")
[ "$comm" = kalab ] || fail "main process $main is named '$comm', want kalab"
ok "VRRP process nice $nice; main process named $comm"
ka_signal n1 TERM
wait_until 15 sh -c "! nsenter -t ${LAB_INIT[n1]} -p -m -- kill -0 $main 2>/dev/null" ||
	fail "n1 did not exit within 15 s of SIGTERM"

say "PASS process"
