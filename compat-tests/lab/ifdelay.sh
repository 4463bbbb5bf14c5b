#!/usr/bin/env bash
# ifdelay.sh -- interface_up_down_delays: a short link flap is ridden out, a lasting one is
# acted on after its delay (KA_BIN on both nodes; passes with real keepalived 2.2.7 too).
#
# n1 (priority 100) has `interface_up_down_delays { eth0 1.5 0.5 }` and notify scripts that
# record each state with its time; n2 (priority 90) is plain.
#   flap: n1's eth0 down for 0.5 s: n1 never enters FAULT (the pending down is cancelled) and
#     keeps the VIP; n2 never takes it (the outage is shorter than Master_Down_Interval);
#   outage: eth0 down for good: n1 enters FAULT 1.5 s after the link went down (measured,
#     at least 1.4 s), n2 takes the VIP; eth0 up: n1 enters BACKUP 0.5 s after (at least
#     0.4 s), then preempts and holds the VIP alone.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init ifdelay
lab_host n1 1
lab_host n2 2
d1="$LAB_DIR/n1"
cat >"$d1/rec.sh" <<EOF
#!/bin/sh
echo "\$1 \$(date +%s.%N)" >>"$d1/states.txt"
EOF
chmod 755 "$d1/rec.sh"
: >"$d1/states.txt"
{
	echo "interface_up_down_delays {"
	echo "    eth0 1.5 0.5"
	echo "}"
	conf_simple 100 2 "    notify_master \"$d1/rec.sh MASTER\"
    notify_backup \"$d1/rec.sh BACKUP\"
    notify_fault \"$d1/rec.sh FAULT\""
} >"$d1/keepalived.conf"
conf_simple 90 2 >"$LAB_DIR/n2/keepalived.conf"

ka_start n1 "$KA_BIN" "$d1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n1 15 "election"
wait_until 5 grep -q "^MASTER" "$d1/states.txt" || fail "n1's notify_master did not run"

# epoch_ms -- now in milliseconds since the epoch, as date +%s.%N in rec.sh writes them.
epoch_ms() { echo $(($(date +%s%N) / 1000000)); }
# state_ms STATE N -- the time (ms) of the Nth record of STATE in states.txt.
state_ms() {
	awk -v s="$1" -v n="$2" '$1 == s { k++; if (k == n) { printf "%.0f", $2 * 1000; exit } }' "$d1/states.txt"
}
has_state() { [ "$(grep -c "^$1" "$d1/states.txt")" -ge "$2" ]; }

say "flap: n1's eth0 down for 0.5 s"
ip -n "${LAB_NS}n1" link set eth0 down
sleep 0.5
ip -n "${LAB_NS}n1" link set eth0 up
sample_vip_only n1 6
has_state FAULT 1 && fail "n1 entered FAULT on a 0.5 s flap: $(cat "$d1/states.txt")"
ok "a 0.5 s flap changed nothing (the pending down was cancelled)"

say "outage: n1's eth0 down"
t_down=$(epoch_ms)
ip -n "${LAB_NS}n1" link set eth0 down
wait_until 6 has_state FAULT 1 || fail "n1 did not enter FAULT within 6 s of its link going down"
t_fault=$(state_ms FAULT 1)
waited=$((t_fault - t_down))
say "n1 entered FAULT ${waited} ms after eth0 went down (down delay 1500 ms)"
[ "$waited" -ge 1400 ] || fail "FAULT after ${waited} ms: the down delay was not applied"
[ "$waited" -le 3000 ] || fail "FAULT after ${waited} ms: far beyond the down delay"
expect_vip_only n2 8 "n2 took over during the outage"

say "n1's eth0 up"
t_up=$(epoch_ms)
ip -n "${LAB_NS}n1" link set eth0 up
# BACKUP 1 is the start-up one.
wait_until 6 has_state BACKUP 2 || fail "n1 did not leave FAULT within 6 s of its link coming up"
waited=$(($(state_ms BACKUP 2) - t_up))
say "n1 entered BACKUP ${waited} ms after eth0 came up (up delay 500 ms)"
[ "$waited" -ge 400 ] || fail "BACKUP after ${waited} ms: the up delay was not applied"
[ "$waited" -le 2000 ] || fail "BACKUP after ${waited} ms: far beyond the up delay"
expect_vip_only n1 10 "n1 preempted back"

for n in n1 n2; do ka_signal "$n" TERM; done
for n in n1 n2; do ka_wait_exit "$n" 8 || fail "$n still running 8 s after SIGTERM"; done
say "PASS ifdelay"
