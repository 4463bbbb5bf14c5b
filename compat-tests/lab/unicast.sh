#!/usr/bin/env bash
# unicast.sh -- unicast VRRP (unicast_src_ip + unicast_peer), the cloud pattern: KA_BIN with
# KA_BIN, then KA_BIN with REF_BIN both ways round. For each pair: the priority-100 node wins,
# a SIGTERM moves the VIP to the other one, and not a single advert goes to the multicast
# group (tcpdump on the backup sees VRRP only between the two node addresses).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require killall ps tcpdump
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init unicast
lab_host n1 1
lab_host n2 2

# conf_unicast PRIO SELF PEER
conf_unicast() {
	conf_simple "$1" 2 "    unicast_src_ip $LAB_PREFIX.$2
    unicast_peer {
        $LAB_PREFIX.$3
    }"
}

pair() {
	local bin1=$1 bin2=$2 tag=$3 cap="$LAB_DIR/n2/vrrp-$3.txt"
	say "=== $tag: n1 priority 100, n2 priority 90, unicast"
	conf_unicast 100 1 2 >"$LAB_DIR/n1/keepalived.conf"
	conf_unicast 90 2 1 >"$LAB_DIR/n2/keepalived.conf"
	ip netns exec "${LAB_NS}n2" timeout 40 tcpdump -l -n -i eth0 'ip proto 112' >"$cap" 2>/dev/null &
	local dump=$!
	sleep 0.5
	ka_start n1 "$bin1" "$LAB_DIR/n1/keepalived.conf"
	ka_start n2 "$bin2" "$LAB_DIR/n2/keepalived.conf"
	expect_vip_only n1 15 "$tag election"
	sample_vip_only n1 4
	ka_signal n1 TERM
	expect_vip_only n2 5 "$tag takeover after SIGTERM"
	ka_wait_exit n1 8 || fail "$tag: daemon on n1 still running 8 s after SIGTERM"
	sample_vip_only n2 3 # n2 advertises as master meanwhile
	ka_signal n2 TERM
	ka_wait_exit n2 8 || fail "$tag: daemon on n2 still running 8 s after SIGTERM"
	sleep 0.5 # let tcpdump print what the kernel already captured before it is stopped
	kill "$dump" 2>/dev/null
	wait "$dump" 2>/dev/null
	grep -q "$LAB_PREFIX.1 > $LAB_PREFIX.2: VRRP" "$cap" || fail "$tag: no unicast advert from n1 to n2 captured"
	grep -q "$LAB_PREFIX.2 > $LAB_PREFIX.1: VRRP" "$cap" || fail "$tag: no unicast advert from n2 to n1 captured"
	if grep "224.0.0.18" "$cap"; then
		fail "$tag: adverts went to the multicast group (lines above)"
	fi
	ok "$tag: $(wc -l <"$cap") adverts captured, all unicast between the two nodes"
}

pair "$KA_BIN" "$KA_BIN" ours-ours
if [ -x "$REF_BIN" ] && [ "$(readlink -f "$KA_BIN")" != "$(readlink -f "$REF_BIN")" ]; then
	pair "$KA_BIN" "$REF_BIN" ours-master
	pair "$REF_BIN" "$KA_BIN" ref-master
	if grep -E 'not a unicast peer|invalid|wrong|mismatch|not present' "$LAB_DIR"/n*/ka.log; then
		fail "a daemon complained about its peer's packets (lines above)"
	fi
fi
say "PASS unicast"
