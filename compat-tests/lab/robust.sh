#!/usr/bin/env bash
# robust.sh -- nothing slow delays VRRP, and link loss means FAULT (KA_BIN on both nodes).
#
# n1 (priority 100) and n2 (priority 90) run KA_BIN with smtp_alert towards a tarpit at
# 198.51.100.129:25 (its own namespace; it accepts every connection and never says a word,
# smtp_connect_timeout 30). n1 also tracks two weight-2 scripts (interval 1, timeout 5) that
# hang: one sleeps 60 s, the other forks a child that ignores SIGTERM and waits for it; and
# four more weight-2 scripts run every second: one passes, one fails (exit 1), one crashes
# (SIGSEGV), one starts a background daemon (`sleep 300 &`, stdio detached) and exits 0. n1's
# notify_fifo is read by a slow notify_fifo_script (0.2 s per line).
# Phase 1: while all of that goes on and an unanswered SMTP dialogue is in progress on n1, n2
# captures VRRP for 8 s: every gap between n1's adverts is within 0.9..1.1 s, nobody else
# adverts, only n1 holds the VIP (sampled), no state change is logged; both hanging scripts
# are logged `timed_out`, the others `succeeded`, `failed (exited with status 1)`,
# `failed (due to signal 11)` and `succeeded`; the daemons the fourth one started keep
# running, no zombie is left on n1, and the FIFO reader got n1's MASTER line. Phase 2: n1's eth0 goes down: n2 takes the VIP, n1 logs
# `(VI_1) Entering FAULT STATE`, has removed the VIP from the downed eth0 and its
# notify_fault ran. eth0 up: n1 logs `Entering BACKUP STATE`, then preempts and holds the VIP
# alone. Finally the SMTP tarpit's timeout is logged (30 s after the first connection).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require tcpdump
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init robust
lab_host n1 1
lab_host n2 2
lab_host smtp 129

# The tarpit: accept on :25, log the peer, keep every socket open, never send anything.
cat >"$LAB_DIR/smtp/tarpit.py" <<'EOF'
import socket, sys, time
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], 25))
srv.listen(16)
held = []
log = open(sys.argv[2], "a", buffering=1)
while len(held) < 64:
    conn, peer = srv.accept()
    held.append(conn)
    log.write(f"{time.time():.3f} {peer[0]}\n")
time.sleep(120)
EOF
: >"$LAB_DIR/smtp/conns.txt"
node_exec smtp "$LAB_PY" "$LAB_DIR/smtp/tarpit.py" "${LAB_IP[smtp]}" "$LAB_DIR/smtp/conns.txt" \
	</dev/null >"$LAB_DIR/smtp/tarpit.log" 2>&1 &
wait_until 5 smtp_listening smtp || fail "SMTP tarpit did not start: $(cat "$LAB_DIR/smtp/tarpit.log")"
ok "SMTP tarpit listening on ${LAB_IP[smtp]}:25 (accepts, never answers)"

# The hanging checks. Each run appends its start time to runs-NAME.txt.
d1="$LAB_DIR/n1"
cat >"$d1/chk_hang.sh" <<EOF
#!/bin/sh
date +%s.%N >>"$d1/runs-chk_hang.txt"
exec sleep 60
EOF
cat >"$d1/chk_orphan.sh" <<EOF
#!/bin/sh
date +%s.%N >>"$d1/runs-chk_orphan.txt"
(trap '' TERM; exec sleep 61) &
wait
EOF
# Quick checks that pass, fail, crash and daemonise, every second.
printf '#!/bin/sh\nexit 0\n' >"$d1/chk_pass.sh"
printf '#!/bin/sh\nexit 1\n' >"$d1/chk_fail.sh"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$d1/chk_crash.sh"
# The tutorial's check restarts nginx, which daemonises: the script returns at once while its
# child lives on (sleep 300 stands for the daemon: not in its own session, stdio detached).
printf '#!/bin/sh\nsleep 300 </dev/null >/dev/null 2>&1 &\nexit 0\n' >"$d1/chk_daemon.sh"
# The notify_fifo reader: slow on purpose, appends each line it gets.
cat >"$d1/fifo_reader.sh" <<EOF
#!/bin/sh
while read -r line; do
	echo "\$line" >>"$d1/fifo.txt"
	sleep 0.2
done <"\$1"
EOF
chmod 755 "$d1/chk_pass.sh" "$d1/chk_fail.sh" "$d1/chk_crash.sh" "$d1/chk_daemon.sh" "$d1/fifo_reader.sh"
: >"$d1/fifo.txt"
# notify_fault / notify_backup / notify_master of n1 append their word here.
cat >"$d1/rec.sh" <<EOF
#!/bin/sh
echo "\$1" >>"$d1/notify.log"
EOF
chmod 755 "$d1/chk_hang.sh" "$d1/chk_orphan.sh" "$d1/rec.sh"
: >"$d1/notify.log"

# conf NODE PRIO -- global_defs with SMTP towards the tarpit, the scripts on n1 only.
conf() {
	cat <<-EOF
		global_defs {
		    notification_email {
		        failover@example.org
		    }
		    notification_email_from robust-lab@example.org
		    smtp_server ${LAB_IP[smtp]}
		    smtp_connect_timeout 30
		    router_id robust_$1
		$([ "$1" = n1 ] && printf '    notify_fifo %s\n    notify_fifo_script %s\n' "$d1/fifo" "$d1/fifo_reader.sh")
		}
	EOF
	if [ "$1" = n1 ]; then
		for q in pass fail crash daemon; do
			printf 'vrrp_script chk_%s {\n    script "%s"\n    interval 1\n    weight 2\n}\n' "$q" "$d1/chk_$q.sh"
		done
		cat <<-EOF
			vrrp_script chk_hang {
			    script "$d1/chk_hang.sh"
			    interval 1
			    timeout 5
			    weight 2
			}
			vrrp_script chk_orphan {
			    script "$d1/chk_orphan.sh"
			    interval 1
			    timeout 5
			    weight 2
			}
		EOF
	fi
	cat <<-EOF
		vrrp_instance VI_1 {
		    state BACKUP
		    interface eth0
		    virtual_router_id 51
		    priority $2
		    advert_int 1
		    authentication {
		        auth_type PASS
		        auth_pass 1111
		    }
		    virtual_ipaddress {
		        $VIP
		    }
		    smtp_alert
	EOF
	if [ "$1" = n1 ]; then
		cat <<-EOF
			    track_script {
			        chk_hang
			        chk_orphan
			        chk_pass
			        chk_fail
			        chk_crash
			        chk_daemon
			    }
			    notify_fault "$d1/rec.sh FAULT"
			    notify_backup "$d1/rec.sh BACKUP"
			    notify_master "$d1/rec.sh MASTER"
		EOF
	fi
	echo "}"
}
conf n1 100 >"$d1/keepalived.conf"
conf n2 90 >"$LAB_DIR/n2/keepalived.conf"

log1="$d1/ka.log"
log2="$LAB_DIR/n2/ka.log"
logged() { grep -qE "$2" "$1"; }
count() { grep -cE "$2" "$1"; }

say "phase 1: election, then 8 s of adverts under a hung script and a silent SMTP server"
ka_start n1 "$KA_BIN" "$d1/keepalived.conf"
t_start=$(now_ms)
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n1 15 "election"
wait_until 3 logged "$log1" '\(VI_1\) Entering MASTER STATE' || fail "n1 holds the VIP but logged no Entering MASTER STATE"
sleep 0.5
ent1=$(count "$log1" 'Entering')
ent2=$(count "$log2" 'Entering')

# Both slow things must be in progress when the capture starts.
n1_connected() { grep -q " ${LAB_IP[n1]}\$" "$LAB_DIR/smtp/conns.txt"; }
wait_until 5 n1_connected || fail "n1 never connected to the SMTP tarpit"
ok "n1 has an SMTP connection open on the tarpit ($(grep -c " ${LAB_IP[n1]}\$" "$LAB_DIR/smtp/conns.txt") so far)"
hang_running() { node_exec n1 pgrep -f '^sleep 6[01]$' >/dev/null; }
wait_until 3 hang_running || fail "no hung check script is running on n1"
ok "hung check scripts running on n1 (pids $(node_exec n1 pgrep -f '^sleep 6[01]$' | tr '\n' ' '))"

cap="$LAB_DIR/n2/vrrp.txt"
cap_t0=$(date +%s.%N)
ip netns exec "${LAB_NS}n2" timeout -s INT 8 tcpdump -i eth0 -n -tt -l 'ip proto 112' \
	>"$cap" 2>"$LAB_DIR/n2/tcpdump.err" &
cap_pid=$!
sample_vip_only n1 16
wait "$cap_pid"
cap_t1=$(date +%s.%N)

"$LAB_PY" - "$cap" "${LAB_IP[n1]}" <<'EOF' || fail "advert timing under load (see above)"
import sys
path, master = sys.argv[1], sys.argv[2]
times, others = [], []
for line in open(path, encoding="utf-8", errors="replace"):
    f = line.split()
    if len(f) < 4 or f[1] != "IP" or "VRRP" not in line:
        continue
    (times if f[2] == master else others).append((float(f[0]), line.strip()))
if others:
    print("FAIL: adverts from another node:\n  " + "\n  ".join(l for _, l in others))
    sys.exit(1)
gaps = [b[0] - a[0] for a, b in zip(times, times[1:])]
print(f"ok: {len(times)} adverts from {master}, gaps (s): " + " ".join(f"{g:.3f}" for g in gaps))
if len(times) < 7:
    print(f"FAIL: expected at least 7 adverts in 8 s, got {len(times)}")
    sys.exit(1)
bad = [g for g in gaps if not 0.9 <= g <= 1.1]
if bad:
    print("FAIL: gaps outside 0.9..1.1 s: " + " ".join(f"{g:.3f}" for g in bad))
    sys.exit(1)
print(f"ok: every gap within 0.9..1.1 s (min {min(gaps):.3f}, max {max(gaps):.3f})")
EOF

[ "$(count "$log1" 'Entering')" = "$ent1" ] || fail "n1 changed state during the capture: $(grep Entering "$log1" | tail -n 3)"
[ "$(count "$log2" 'Entering')" = "$ent2" ] || fail "n2 changed state during the capture: $(grep Entering "$log2" | tail -n 3)"
logged "$log2" 'Entering MASTER' && fail "n2 became MASTER at some point"
ok "no state change logged on n1 or n2 since the election; n2 never MASTER"

# The timeout's SIGTERM ends a run; keepalived logs `timed_out`. keepalived 2.2.7 (unlike
# 2.2.8+, which KA_BIN follows) starts a new run on every interval tick even while one is
# still going ("skipping run" is logged but the run starts anyway), and when such a tick lands
# between the SIGTERM and the reaping, the same kill is logged `failed (due to signal 15)`.
for s in chk_hang chk_orphan; do
	line=$(grep -oE "VRRP_Script\\($s\\) (timed_out|failed \\(due to signal 15\\))" "$log1" | head -n 1)
	[ -n "$line" ] || fail "n1 did not log VRRP_Script($s) timed_out"
	ok "$s: n1 logged '$line', $(wc -l <"$d1/runs-$s.txt") runs started so far"
done
# No hung run outlives its timeout: SIGTERM at 5 s kills `sleep 60`; the child that ignores
# SIGTERM (`sleep 61`) goes with the SIGKILL to the process group that follows. Every such
# process on n1 must be younger than 5 + 2 + 2 s. keepalived 2.2.7's overlapping runs make
# the SIGKILL racy (a new run resets the script's state between the SIGTERM and the reaping,
# and then no SIGKILL is sent): its surviving `sleep 61` is reported, not failed, when the
# runs did overlap (consecutive starts less than the 5 s timeout apart).
overlap=$(awk 'NR > 1 && $1 - prev < 4.9 { o = 1 } { prev = $1 } END { print o ? 1 : 0 }' "$d1/runs-chk_orphan.txt")
procs=$(node_exec n1 ps -C sleep -o etimes=,args= | awk '$3 ~ /^6[01]$/ { print $3 ":" $1 }' | tr '\n' ' ')
for p in $procs; do
	[ "${p#*:}" -le 9 ] && continue
	if [ "${p%:*}" = 61 ] && [ "$overlap" = 1 ]; then
		say "note: chk_orphan's SIGTERM-ignoring child survived its run (${p#*:} s old): overlapping runs, keepalived 2.2.7's race"
		continue
	fi
	fail "a hung check process on n1 (sleep ${p%:*}) is ${p#*:} s old (timeout 5 s): $(node_exec n1 ps -C sleep -o pid,etimes,args)"
done
ok "hung check processes on n1 (sleep ARG:age s): ${procs:-none}; runs overlapped: $overlap"
for want in 'chk_pass) succeeded' 'chk_fail) failed (exited with status 1)' \
	'chk_crash) failed (due to signal 11)' 'chk_daemon) succeeded'; do
	grep -qF "VRRP_Script($want" "$log1" || fail "n1 did not log VRRP_Script($want"
done
ok "n1 logged chk_pass succeeded, chk_fail exit 1, chk_crash signal 11, chk_daemon succeeded"
daemons=$(node_exec n1 pgrep -c -f '^sleep 300$')
[ "${daemons:-0}" -ge 3 ] || fail "the daemons chk_daemon started are not running (${daemons:-0})"
zombies=$(node_exec n1 ps -e -o stat=,pid=,args= | awk '$1 ~ /^Z/' | tr '\n' ';')
[ -z "$zombies" ] || fail "zombies on n1: $zombies"
ok "$daemons daemons started by chk_daemon still running; no zombie on n1"
fifo_master() { grep -qE '^INSTANCE "VI_1" MASTER 10[0-4]$' "$d1/fifo.txt"; }
wait_until 3 fifo_master || fail "the notify_fifo reader did not get n1's MASTER line: $(tr '\n' ';' <"$d1/fifo.txt")"
ok "notify_fifo reader got: $(tr '\n' ';' <"$d1/fifo.txt")"
# The SMTP dialogues were pending all along: their 30 s timeout cannot have fired yet.
smtp_timeout() { logged "$log1" 'Timeout (reading data to remote|connecting) SMTP server'; }
smtp_timeout && fail "n1 logged an SMTP timeout before the end of the capture (smtp_connect_timeout is 30)"
ok "capture window $(awk -v a="$cap_t0" -v b="$cap_t1" 'BEGIN { printf "%.1f", b - a }') s, n1's SMTP dialogues still pending"

say "phase 2: n1 loses its link"
ip -n "${LAB_NS}n1" link set eth0 down
t_down=$(now_ms)
wait_until 5 logged "$log1" '\(VI_1\) Entering FAULT STATE' || fail "n1 did not log (VI_1) Entering FAULT STATE within 5 s of link down"
ok "n1 logged (VI_1) Entering FAULT STATE after $(($(now_ms) - t_down)) ms"
vip_gone_n1() { ! has_vip n1; }
wait_until 3 vip_gone_n1 || fail "n1 left $VIP on its downed eth0: $(ip -n "${LAB_NS}n1" -4 -o addr show dev eth0)"
ok "n1 removed $VIP from its downed eth0"
expect_vip_only n2 10 "link loss on n1"
say "n2 took the VIP $(($(now_ms) - t_down)) ms after n1's link went down"
fault_recorded() { grep -qx FAULT "$d1/notify.log"; }
wait_until 3 fault_recorded || fail "notify_fault did not run on n1 (notify.log: $(tr '\n' ' ' <"$d1/notify.log"))"
ok "n1 notify_fault recorded FAULT"
sample_vip_only n2 2
n_fault=$(wc -l <"$d1/notify.log")
ent_fault=$(count "$log1" 'Entering')

say "phase 3: n1's link comes back"
ip -n "${LAB_NS}n1" link set eth0 up
t_up=$(now_ms)
entered_backup() { [ "$(grep -E 'Entering' "$log1" | tail -n +$((ent_fault + 1)) | grep -c '(VI_1) Entering BACKUP STATE')" -gt 0 ]; }
wait_until 5 entered_backup || fail "n1 did not log (VI_1) Entering BACKUP STATE within 5 s of link up"
ok "n1 logged (VI_1) Entering BACKUP STATE after $(($(now_ms) - t_up)) ms"
expect_vip_only n1 10 "preemption after link up"
say "n1 holds the VIP again $(($(now_ms) - t_up)) ms after link up"
after=$(grep -E 'Entering' "$log1" | tail -n +$((ent_fault + 1)) | sed 's/.*(VI_1) //' | tr '\n' ',')
[ "$after" = "Entering BACKUP STATE,Entering MASTER STATE," ] ||
	fail "n1 states after link up: '$after', expected BACKUP then MASTER"
ok "n1 after link up: BACKUP then MASTER"
sample_vip_only n1 2
recorded=$(tail -n +$((n_fault + 1)) "$d1/notify.log" | tr '\n' ' ')
[ "$recorded" = "BACKUP MASTER " ] || fail "n1 notify after link up: '$recorded', expected 'BACKUP MASTER'"
ok "n1 notify scripts after link up: $recorded"

say "SMTP: the silent server's timeout is logged and never held anything up"
wait_until $((40 - ($(now_ms) - t_start) / 1000)) smtp_timeout ||
	fail "n1 logged no SMTP timeout within 40 s of its start"
ok "n1 logged: $(grep -E 'Timeout (reading data to remote|connecting) SMTP server' "$log1" | head -n 1 | sed 's/^.*Timeout/Timeout/')"
ok "SMTP timeout logged $(($(now_ms) - t_start)) ms after n1 started; tarpit got $(wc -l <"$LAB_DIR/smtp/conns.txt") connections"
ka_running n1 || fail "daemon on n1 is gone"
ka_running n2 || fail "daemon on n2 is gone"

say "PASS robust"
