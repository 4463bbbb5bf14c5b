#!/usr/bin/env bash
# crash.sh -- VIPs do not outlive a crash: the master n1 is SIGKILLed (its VIP stays on eth0,
# nobody is left to remove it), n2 takes over; n1 is restarted with a priority below n2's. At
# start it must find the leftover VIP and remove it before the first election (as keepalived
# does), so that exactly n2 holds the VIP again, without a preemption by n1.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require killall ps
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init crash
lab_host n1 1
lab_host n2 2
conf_simple 100 2 >"$LAB_DIR/n1/keepalived.conf"
conf_simple 90 2 >"$LAB_DIR/n2/keepalived.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n1 15 "election"

say "SIGKILL the master's daemon on n1"
ka_kill9 n1
ka_wait_exit n1 5 || fail "daemon on n1 survived SIGKILL"
has_vip n1 || fail "the killed daemon's VIP vanished by itself: nothing left to test"
ok "n1's VIP outlived its daemon, as after any crash"
wait_until 8 has_vip n2 || fail "n2 did not take over within 8 s"
ok "n2 took over; holders now: '$(who_has_vip)'"

say "restart n1 with priority 80 (below n2's 90)"
conf_simple 80 2 >"$LAB_DIR/n1/keepalived.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
expect_vip_only n2 5 "leftover removed at start"
sample_vip_only n2 10
grep -q "removing leftover VIP $VIP" "$LAB_DIR/n1/ka.log" || fail "n1 did not log the leftover's removal"
ok "n1 logged the removal of the leftover VIP"
say "PASS crash"
