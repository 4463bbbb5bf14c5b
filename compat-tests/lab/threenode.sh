#!/usr/bin/env bash
# threenode.sh -- three nodes on one VRID: n1 = KA_BIN (priority 100), n2 = KA_BIN (90),
# n3 = REF_BIN, real keepalived (80), all with `vrrp_mcast_group4 224.0.0.118`.
#
#   converge: exactly n1 holds the VIP at every sample (~every 100 ms for ~10 s), and the
#     adverts on the bridge go to 224.0.0.118, none to 224.0.0.18;
#   crash the master (SIGKILL, its leftover VIP removed as if the host died): exactly n2 takes
#     over, n3 (real keepalived) stays backup, and n2's 5 gratuitous ARPs are at least
#     `vrrp_garp_interval 0.2` apart on the wire; restart n1: it preempts back;
#   partition n1 (its bridge port detached): n2 takes over on the other side; heal: back to
#     exactly one master (n1) within one advert interval (1 s) + 0.5 s margin;
#   partition n3 (real keepalived): it becomes master alone and advertises to 224.0.0.118
#     (tcpdump on its side); heal: it yields to n1 within 1 s + margin, so keepalived and ours
#     hear each other on the configured group.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require killall ps tcpdump timeout
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"
[ -x "$REF_BIN" ] || skip "REF_BIN=$REF_BIN (real keepalived) not installed"

GROUP=224.0.0.118
lab_init threenode
lab_host n1 1
lab_host n2 2
lab_host n3 3

conf() {
	conf_simple "$1" 2 | sed "s/^    router_id lab_node$/    router_id lab_node\n    vrrp_mcast_group4 $GROUP/"
}
conf 100 >"$LAB_DIR/n1/keepalived.conf"
# n2 also paces its gratuitous ARPs (checked at its takeover).
conf 90 | sed "s/^    router_id lab_node$/    router_id lab_node\n    vrrp_garp_interval 0.2/" >"$LAB_DIR/n2/keepalived.conf"
conf 80 >"$LAB_DIR/n3/keepalived.conf"
grep -q "vrrp_mcast_group4 $GROUP" "$LAB_DIR/n1/keepalived.conf" || fail "config generation"

# sample_exactly NAME SECONDS -- sample the VIP holders every ~100 ms (a sample of three
# hosts takes about that long on a busy machine) for SECONDS: exactly NAME at every sample.
sample_exactly() {
	local h n=0 t0 end t
	t0=$(now_ms)
	end=$((t0 + $2 * 1000))
	while :; do
		t=$(now_ms)
		[ "$t" -ge "$end" ] && break
		h=$(who_has_vip)
		[ "$h" = "$1" ] || fail "sample $n: expected exactly $1 to hold $VIP, holders: '$h'"
		n=$((n + 1))
		t=$(($(now_ms) - t))
		[ "$t" -lt 100 ] && sleep "0.$(printf '%03d' $((100 - t)))"
	done
	[ "$n" -ge $(($2 * 2)) ] || fail "only $n samples in $2 s (machine too busy to sample)"
	ok "$n samples over $2 s: exactly $1 holds $VIP"
}

# holders_are "A B" -- the VIP holders are exactly these hosts.
holders_are() { [ "$(who_has_vip)" = "$1" ]; }

# heal_within PORT_NODE LIMIT_MS WHAT -- reattach the node's bridge port and measure how long
# until exactly n1 holds the VIP; fail beyond LIMIT_MS.
heal_within() {
	local t0 t1
	t0=$(now_ms)
	ip -n "${LAB_NS}br" link set "v$1" master br0 || fail "cannot reattach v$1"
	wait_until 5 vip_only n1 || fail "$3: still holders '$(who_has_vip)' 5 s after healing"
	t1=$(now_ms)
	say "$3: one master (n1) $((t1 - t0)) ms after healing"
	[ $((t1 - t0)) -le "$2" ] || fail "$3: $((t1 - t0)) ms to one master, limit $2 ms"
	ok "$3: back to exactly one master within $2 ms"
}

ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
ka_start n3 "$REF_BIN" "$LAB_DIR/n3/keepalived.conf"
expect_vip_only n1 15 "three-node election"

cap="$LAB_DIR/br0.txt"
ip netns exec "${LAB_NS}br" timeout 3 tcpdump -l -n -i br0 'ip proto 112' >"$cap" 2>/dev/null &
capture=$!
sample_exactly n1 10
wait "$capture"
grep -q "$LAB_PREFIX.1 > $GROUP: VRRPv2" "$cap" || fail "no advert from n1 to $GROUP on the bridge: $(head -3 "$cap")"
if grep -v "> $GROUP:" "$cap" | grep -q VRRP; then
	fail "adverts not sent to $GROUP: $(grep -v "> $GROUP:" "$cap" | head -3)"
fi
ok "adverts on the bridge: $(grep -c VRRP "$cap") from n1, all to $GROUP"

say "SIGKILL the master's daemon on n1 (the host dies: its VIP goes too)"
arp="$LAB_DIR/arp.txt"
ip netns exec "${LAB_NS}br" timeout 7 tcpdump -l -n -e -tt -i br0 arp >"$arp" 2>/dev/null &
capture=$!
ka_kill9 n1
ka_wait_exit n1 5 || fail "daemon on n1 survived SIGKILL"
ip -n "${LAB_NS}n1" addr del "$VIP/32" dev eth0 2>/dev/null
expect_vip_only n2 8 "takeover after the master's crash"
sample_exactly n2 3
wait "$capture"
# n2's frames only (by source MAC): another node's burst must not be mistaken for n2's.
mac2=$(ip -n "${LAB_NS}n2" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
garps=$(grep -E "^[0-9.]+ $mac2 > .*who-has $VIP (\\(ff:ff:ff:ff:ff:ff\\) )?tell $VIP" "$arp" | head -5 | awk '{print $1}')
[ "$(echo "$garps" | grep -c .)" = 5 ] || fail "expected 5 gratuitous ARPs from n2 ($mac2), got: $(cat "$arp")"
gaps=$(echo "$garps" | awk 'NR > 1 { printf "%d ", ($1 - prev) * 1000 } { prev = $1 }')
for g in $gaps; do
	[ "$g" -ge 190 ] || fail "gratuitous ARPs ${gaps}ms apart, vrrp_garp_interval is 200 ms: $(cat "$arp")"
done
ok "n2's gratuitous ARPs paced by vrrp_garp_interval: gaps ${gaps}ms"

ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
expect_vip_only n1 15 "n1 preempts after restart"
sample_exactly n1 2

say "partition: detach n1's bridge port"
ip -n "${LAB_NS}br" link set vn1 nomaster || fail "cannot detach vn1"
wait_until 8 holders_are "n1 n2" ||
	fail "partition of n1: expected n1 (isolated) and n2 to hold $VIP, holders '$(who_has_vip)'"
ok "partition of n1: n2 took over on the other side, n3 stayed backup"
sleep 1
heal_within n1 1500 "heal n1"
sample_exactly n1 2

say "partition: detach n3's bridge port (real keepalived)"
cap3="$LAB_DIR/n3.txt"
ip netns exec "${LAB_NS}n3" timeout 7 tcpdump -l -n -i eth0 'ip proto 112' >"$cap3" 2>/dev/null &
capture=$!
ip -n "${LAB_NS}br" link set vn3 nomaster || fail "cannot detach vn3"
wait_until 8 holders_are "n1 n3" ||
	fail "partition of n3: expected n1 and n3 (isolated) to hold $VIP, holders '$(who_has_vip)'"
ok "partition of n3: real keepalived is master on its own"
sleep 1.5
heal_within n3 1500 "heal n3"
wait "$capture"
grep -q "$LAB_PREFIX.3 > $GROUP: VRRPv2" "$cap3" ||
	fail "real keepalived sent no advert to $GROUP while isolated: $(head -3 "$cap3")"
ok "real keepalived advertised to $GROUP while isolated, and heard n1 on it after healing"
sample_exactly n1 2

for n in n1 n2 n3; do ka_signal "$n" TERM; done
for n in n1 n2 n3; do ka_wait_exit "$n" 8 || fail "daemon on $n still running 8 s after SIGTERM"; done
wait_until 3 vip_none || fail "VIP left behind after all daemons stopped: '$(who_has_vip)'"
REF_COMPLAINTS='wrong VRRP version|invalid passwd|auth from|interval mismatch|not present in|invalid TTL|checksum|received an invalid|Discarding|not a unicast peer'
if grep -E "$REF_COMPLAINTS" "$LAB_DIR/n3/ka.log"; then
	fail "real keepalived complained about received packets (lines above)"
fi
ok "all stopped, no VIP left, real keepalived logged no complaint"
say "PASS threenode"
