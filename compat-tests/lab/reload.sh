#!/usr/bin/env bash
# reload.sh -- SIGHUP reload of KA_BIN without a flap, then a reload that changes the election.
#
# n1 (priority 100) and n2 (priority 90), both KA_BIN, converge on n1. `ip monitor address`
# records every address change on both nodes. Step 1: n2's config gets priority 95 (still lower)
# and n2 gets SIGHUP: for 6 s (more than Master_Down_Interval) the VIP never leaves n1 and never
# appears on n2, sampled every 20 ms and confirmed by the monitors; n2's daemon keeps running.
# Step 0: the MASTER n1 itself reloads with priority 100 -> 105: no address change anywhere;
# on the wire (keepalived-rs) the new priority, no priority 0 and no gratuitous ARP.
# Step 2: n2's config gets priority 110, SIGHUP: n2 preempts and holds the VIP alone.
# Step 3 (keepalived-rs only; keepalived's VRRP child exits instead): n2 gets an invalid config
# and SIGHUP: it keeps running the old one, says why, and keeps the VIP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require tcpdump
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

# The second GARP burst comes garp_master_delay (5 s) after n1 became MASTER: let it pass, so
# that any gratuitous ARP seen during step 0 is the reload's.
sleep 4
say "step 0: the master n1 reloads with priority 100 -> 105, SIGHUP n1"
conf_simple 105 2 >"$LAB_DIR/n1/keepalived.conf"
# The wire during the reload, seen from n2: VRRP and ARP.
wire="$LAB_DIR/n2/reload-wire.txt"
ip netns exec "${LAB_NS}n2" timeout -s INT 5 tcpdump -i eth0 -n -l 'arp or ip proto 112' \
	>"$wire" 2>"$LAB_DIR/n2/tcpdump.err" &
cap_pid=$!
wait_until 3 grep -q 'listening on' "$LAB_DIR/n2/tcpdump.err" || fail "tcpdump on n2 did not start"
ka_signal n1 HUP
no_flap 5 n1 "master reload"
wait "$cap_pid"
if grep -F " $VIP/" "$LAB_DIR/n1/monitor.txt" "$LAB_DIR/n2/monitor.txt"; then
	fail "ip monitor saw $VIP change while the master reloaded (lines above)"
fi
ok "ip monitor: no change of $VIP during the master's reload"
# keepalived-rs: the new priority is advertised, with no priority 0 and no gratuitous ARP
# (its VIPs did not change, so no GARP burst).
if "$KA_BIN" -v 2>&1 | grep -q keepalived-rs; then
	grep -q 'prio 105' "$wire" || fail "no advert with the new priority 105 on the wire: $(tail -n 3 "$wire")"
	grep -q 'prio 0,' "$wire" && fail "a priority-0 advert during the master's reload: $(grep 'prio 0,' "$wire")"
	grep -E "(who-has|Reply) $VIP" "$wire" && fail "gratuitous ARP for $VIP during the master's reload (lines above)"
	ok "wire during the reload: $(grep -c VRRP "$wire") adverts (prio 105 seen), no priority 0, no GARP"
fi
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
