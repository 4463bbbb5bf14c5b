#!/usr/bin/env bash
# reload.sh -- SIGHUP reload of KA_BIN without a flap, then a reload that changes the election.
#
# n1 (priority 100) and n2 (priority 90), both KA_BIN, converge on n1. `ip monitor address`
# records every address change on both nodes. Step 1: n2's config gets priority 95 (still lower)
# and n2 gets SIGHUP: for 6 s (more than Master_Down_Interval) the VIP never leaves n1 and never
# appears on n2, sampled every 20 ms and confirmed by the monitors; n2's daemon keeps running.
# Step 0: the MASTER n1 itself reloads with priority 100 -> 105: no address change anywhere.
# Step 2: n2's config gets priority 110, SIGHUP: n2 preempts and holds the VIP alone.
# Step 3 (keepalived-rs only; keepalived's VRRP child exits instead): n2 gets an invalid config
# and SIGHUP: it keeps running the old one, says why, and keeps the VIP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init reload
lab_host n1 1
lab_host n2 2
conf_simple 100 2 >"$LAB_DIR/n1/keepalived.conf"
conf_simple 90 2 >"$LAB_DIR/n2/keepalived.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n1 15 "election"
sample_vip_only n1 2

for n in n1 n2; do
	ip -n "${LAB_NS}$n" -ts monitor address dev eth0 >"$LAB_DIR/$n/monitor.txt" 2>&1 &
done
sleep 0.5 # let the monitors subscribe

# no_flap SECONDS HOLDER WHAT -- sample every 20 ms that only HOLDER holds the VIP.
no_flap() {
	local samples=0 end=$(($(now_ms) + $1 * 1000)) h
	while [ "$(now_ms)" -lt "$end" ]; do
		h=$(who_has_vip)
		[ "$h" = "$2" ] || fail "$3: holders of $VIP were '$h' at sample $samples"
		samples=$((samples + 1))
		sleep 0.02
	done
	ok "$3: $samples samples over $1 s, only $2 held $VIP"
}

say "step 0: the master n1 reloads with priority 100 -> 105, SIGHUP n1"
conf_simple 105 2 >"$LAB_DIR/n1/keepalived.conf"
ka_signal n1 HUP
no_flap 5 n1 "master reload"
if grep -F " $VIP/" "$LAB_DIR/n1/monitor.txt" "$LAB_DIR/n2/monitor.txt"; then
	fail "ip monitor saw $VIP change while the master reloaded (lines above)"
fi
ok "ip monitor: no change of $VIP during the master's reload"
ka_running n1 || fail "daemon on n1 is gone after SIGHUP"

say "step 1: n2 priority 90 -> 95 (still lower), SIGHUP n2"
conf_simple 95 2 >"$LAB_DIR/n2/keepalived.conf"
ka_signal n2 HUP
samples=0
end=$(($(now_ms) + 6000))
while [ "$(now_ms)" -lt "$end" ]; do
	h=$(who_has_vip)
	[ "$h" = n1 ] || fail "flap after reload: holders of $VIP were '$h' at sample $samples"
	samples=$((samples + 1))
	sleep 0.02
done
ok "$samples samples over 6 s after SIGHUP: only n1 held $VIP"
if grep -F " $VIP/" "$LAB_DIR/n1/monitor.txt" "$LAB_DIR/n2/monitor.txt"; then
	fail "ip monitor saw $VIP change during the no-flap reload (lines above)"
fi
ok "ip monitor: no change of $VIP on n1 or n2"
ka_running n2 || fail "daemon on n2 is gone after SIGHUP"
ok "daemon on n2 still running after SIGHUP"

say "step 2: n2 priority 95 -> 110, SIGHUP n2: n2 must preempt"
conf_simple 110 2 >"$LAB_DIR/n2/keepalived.conf"
ka_signal n2 HUP
expect_vip_only n2 10 "preemption after reload"
sample_vip_only n2 4
grep -q "Deleted.* $VIP/" "$LAB_DIR/n1/monitor.txt" || fail "ip monitor did not see n1 drop $VIP"
ok "ip monitor saw n1 drop $VIP"

if [ "$(readlink -f "$KA_BIN")" != "$(readlink -f "$REF_BIN")" ]; then
	say "step 3: n2 gets an invalid config (priority without a value), SIGHUP n2"
	printf 'vrrp_instance VI_1 {\n  priority\n}\n' >"$LAB_DIR/n2/keepalived.conf"
	ka_signal n2 HUP
	no_flap 5 n2 "invalid reload"
	ka_running n2 || fail "daemon on n2 died on an invalid config"
	grep -q "New configuration is not valid" "$LAB_DIR/n2/ka.log" ||
		fail "n2 did not say why it kept the running config"
	ok "n2 kept the running config and said why"
fi

say "PASS reload"
