#!/usr/bin/env bash
# ipv6.sh -- VRRPv3 over IPv6: an instance whose VIPs are IPv6 (first one link-local, as
# keepalived recommends, then one in 2001:db8::/64), nothing but the family in the config
# (version 3 and the group ff02::12 are derived). Pairs: KA_BIN with KA_BIN, then KA_BIN with
# REF_BIN both ways round; each in multicast mode and in unicast mode (unicast_peer = the other
# node's link-local address). For each pair:
#   converge: exactly the priority-100 node holds both VIPs (sampled over 2 s), the IPv6 host
#     VIP is deprecated (preferred_lft 0) and nodad, as keepalived adds it;
#   SIGKILL the master: the backup takes over; restart it: it removes its leftover VIPs,
#     sends from its own link-local (not the leftover link-local VIP) and preempts back;
#   SIGTERM the master: the backup takes over (priority-0 advert), the master drops the VIPs;
#   restart it: it preempts back; stop both: no VIP left.
# Then ours alone, started with no link-local address on eth0: FAULT until one is added, then
# it takes that address as its source (netlink) and becomes MASTER.
# tcpdump on the bridge: adverts go from the nodes' link-local addresses to ff02::12 with hop
# limit 255 (unicast: to the peer's link-local, nothing to the group), and a new master
# announces each VIP with an unsolicited NA to ff02::1.
# Neither daemon may log a complaint about its peer's packets.
# Only link-local and 2001:db8::/32 addresses are configured (the lab's IPv4 on eth0 is unused).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require killall ps tcpdump
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

VIP6_LL=fe80::50
VIP6=2001:db8::50

lab_init ipv6
lab_host n1 1
lab_host n2 2

# link_local NAME -- NAME's eth0 link-local address once DAD has finished ("" before).
link_local() {
	ip -n "${LAB_NS}$1" -6 -o addr show dev eth0 scope link -tentative |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}
ll_ready() { [ -n "$(link_local "$1")" ]; }

# Adverts leave from the link-local address, which must be past DAD first (a tentative
# address cannot be a source); both daemons read it at start.
for n in n1 n2; do
	wait_until 10 ll_ready "$n" || fail "$n: no usable link-local address on eth0 after 10 s"
done
LL_n1=$(link_local n1)
LL_n2=$(link_local n2)
say "link-local addresses: n1 $LL_n1, n2 $LL_n2"

# has_vip6 NAME ADDR -- ADDR is on NAME's eth0. The listing is read whole first: with
# pipefail, `ip … | grep -q` fails whenever grep exits before ip has written everything.
has_vip6() {
	local list
	list=$(ip -n "${LAB_NS}$1" -6 -o addr show dev eth0)
	[[ $list == *" $2/"* ]]
}

# holders6 ADDR -- the hosts holding ADDR.
holders6() {
	local n out=()
	for n in "${LAB_NODES[@]}"; do has_vip6 "$n" "$1" && out+=("$n"); done
	echo "${out[*]:-}"
}

# only6 NAME -- NAME and nobody else holds both VIPs.
only6() { [ "$(holders6 $VIP6)" = "$1" ] && [ "$(holders6 $VIP6_LL)" = "$1" ]; }
none6() { [ -z "$(holders6 $VIP6)$(holders6 $VIP6_LL)" ]; }

expect_only6() {
	wait_until "$2" only6 "$1" ||
		fail "$3: expected only $1 to hold $VIP6_LL and $VIP6 within $2 s, holders: '$(holders6 $VIP6_LL)' / '$(holders6 $VIP6)'"
	ok "$3: $1 holds $VIP6_LL and $VIP6"
}

sample_only6() {
	local i
	for ((i = 0; i < $2; i++)); do
		only6 "$1" || fail "sample $i: expected exactly $1 to hold the VIPs, holders: '$(holders6 $VIP6_LL)' / '$(holders6 $VIP6)'"
		sleep 0.5
	done
	ok "$2 samples over $(($2 / 2)) s: exactly $1 holds the VIPs"
}

# conf6 PRIO [PEER] -- the pair's config: IPv6 VIPs only, version and group derived from the
# family; with PEER (a link-local address), unicast to it instead of the group.
conf6() {
	cat <<-EOF
		global_defs {
		    router_id lab_node
		}
		vrrp_instance VI_6 {
		    state BACKUP
		    interface eth0
		    virtual_router_id 61
		    priority $1
		    advert_int 1
		    virtual_ipaddress {
		        $VIP6_LL
		        $VIP6
		    }
	EOF
	[ -n "${2:-}" ] && printf '    unicast_peer {\n        %s\n    }\n' "$2"
	echo "}"
}

# pair BIN1 BIN2 TAG MODE -- BIN1 on n1 (priority 100), BIN2 on n2 (priority 90); MODE is
# mcast (group ff02::12) or unicast (each node's unicast_peer is the other's link-local).
pair() {
	local bin1=$1 bin2=$2 tag=$3 mode=$4 cap="$LAB_DIR/lan-$3.txt"
	say "=== $tag: n1 priority 100, n2 priority 90, VRRPv3 over IPv6, $mode"
	: >"$LAB_DIR/n1/ka.log"
	: >"$LAB_DIR/n2/ka.log"
	if [ "$mode" = unicast ]; then
		conf6 100 "$LL_n2" >"$LAB_DIR/n1/keepalived.conf"
		conf6 90 "$LL_n1" >"$LAB_DIR/n2/keepalived.conf"
	else
		conf6 100 >"$LAB_DIR/n1/keepalived.conf"
		conf6 90 >"$LAB_DIR/n2/keepalived.conf"
	fi
	ip netns exec "${LAB_NS}br" timeout 90 tcpdump -l -n -v -i br0 ip6 >"$cap" 2>/dev/null &
	local dump=$!
	sleep 0.5
	ka_start n1 "$bin1" "$LAB_DIR/n1/keepalived.conf"
	ka_start n2 "$bin2" "$LAB_DIR/n2/keepalived.conf"
	expect_only6 n1 15 "$tag election"
	sample_only6 n1 4
	if [ "$bin1" = "$KA_BIN" ]; then
		local line
		line=$(ip -n "${LAB_NS}n1" -6 -o addr show dev eth0 | grep " $VIP6/")
		echo "$line" | grep -q "/128" || fail "$tag: $VIP6 is not a /128: $line"
		echo "$line" | grep -q deprecated || fail "$tag: $VIP6 not deprecated (preferred_lft 0): $line"
		echo "$line" | grep -q nodad || fail "$tag: $VIP6 added without nodad: $line"
		ok "$tag: $VIP6/128 added deprecated and nodad"
	fi

	say "SIGKILL the master's daemon on n1"
	ka_kill9 n1
	ka_wait_exit n1 5 || fail "$tag: daemon on n1 survived SIGKILL"
	# The dead daemon cannot remove its VIPs: only n2 is checked until n1 restarts. The
	# restarted daemon must remove the leftover link-local VIP before it picks its source.
	wait_until 8 has_vip6 n2 $VIP6 || fail "$tag: n2 did not take over within 8 s of the master's SIGKILL"
	ok "$tag: n2 took over after SIGKILL"
	ka_start n1 "$bin1" "$LAB_DIR/n1/keepalived.conf"
	expect_only6 n1 15 "$tag preempt after SIGKILL restart"
	sample_only6 n1 2

	say "SIGTERM the master's daemon on n1"
	ka_signal n1 TERM
	expect_only6 n2 5 "$tag takeover after SIGTERM"
	ka_wait_exit n1 8 || fail "$tag: daemon on n1 still running 8 s after SIGTERM"
	ka_start n1 "$bin1" "$LAB_DIR/n1/keepalived.conf"
	expect_only6 n1 15 "$tag preempt after restart"
	sample_only6 n1 2

	ka_signal n1 TERM
	ka_signal n2 TERM
	ka_wait_exit n1 8 || fail "$tag: daemon on n1 still running 8 s after SIGTERM"
	ka_wait_exit n2 8 || fail "$tag: daemon on n2 still running 8 s after SIGTERM"
	wait_until 3 none6 || fail "$tag: VIPs left behind after both daemons stopped"
	ok "$tag: both stopped, no VIP left"
	sleep 0.3
	kill "$dump" 2>/dev/null
	wait "$dump" 2>/dev/null

	# tcpdump -v prints the IPv6 header line ("hlim 255, next-header VRRP") and then the
	# addresses and the VRRP summary on the next line; join them.
	local joined="$cap.joined"
	awk '/^[0-9]/ { if (l != "") print l; l = $0; next } { l = l " " $0 } END { if (l != "") print l }' \
		"$cap" >"$joined"
	grep -q "$VIP6 > ff02::1: .*neighbor advertisement, .*tgt is $VIP6" "$joined" ||
		fail "$tag: no unsolicited NA for $VIP6 captured"
	grep -q "$VIP6_LL > ff02::1: .*neighbor advertisement, .*tgt is $VIP6_LL" "$joined" ||
		fail "$tag: no unsolicited NA for $VIP6_LL captured"
	local n ll dst
	for n in n1 n2; do
		ll=$(eval echo "\$LL_$n")
		if [ "$mode" = unicast ]; then
			dst=$(if [ $n = n1 ]; then echo "$LL_n2"; else echo "$LL_n1"; fi)
			grep -q "$ll > $dst: VRRPv3, Advertisement, .*vrid 61" "$joined" ||
				fail "$tag: no VRRPv3 advert from $n ($ll) unicast to $dst captured"
		else
			grep -q "hlim 255.*$ll > ff02::12: VRRPv3, Advertisement, vrid 61" "$joined" ||
				fail "$tag: no VRRPv3 advert from $n ($ll) to ff02::12 with hop limit 255 captured"
		fi
	done
	local want="> ff02::12: VRRPv3"
	[ "$mode" = unicast ] && want="> fe80::[0-9a-f:]*: VRRPv3"
	if grep "VRRP" "$joined" | grep -v -e "$want"; then
		fail "$tag: VRRP packets other than v3 adverts $([ "$mode" = unicast ] && echo "between the link-locals" || echo "to ff02::12") (lines above)"
	fi
	ok "$tag: $(grep -c 'VRRPv3, Advertisement' "$joined") v3 adverts from the link-local addresses ($mode), unsolicited NAs for both VIPs"

	# Lines either daemon logs when it drops a peer's packet.
	if grep -E 'wrong VRRP version|interval mismatch|not present in|invalid TTL|checksum|received an invalid|Invalid|Discarding|bad VRRP packet|unexpected ip number|Expected (mult|un)icast|not a unicast peer' \
		"$LAB_DIR"/n*/ka.log; then
		fail "$tag: a daemon complained about its peer's packets (lines above)"
	fi
}

for mode in mcast unicast; do
	pair "$KA_BIN" "$KA_BIN" "ours-ours-$mode" $mode
done
if [ -x "$REF_BIN" ] && [ "$(readlink -f "$KA_BIN")" != "$(readlink -f "$REF_BIN")" ]; then
	for mode in mcast unicast; do
		pair "$KA_BIN" "$REF_BIN" "ours-master-$mode" $mode
		pair "$REF_BIN" "$KA_BIN" "ref-master-$mode" $mode
	done
else
	say "REF_BIN=$REF_BIN not installed: mixed pairs not run"
fi
# Late link-local: a daemon started while its interface has no usable link-local address has
# no advert source and waits in FAULT; when an address appears (netlink) it uses it at once.
say "=== late link-local: ours on n1 alone, eth0 without a link-local address at start"
: >"$LAB_DIR/n1/ka.log"
conf6 100 >"$LAB_DIR/n1/keepalived.conf"
ip -n "${LAB_NS}n1" -6 addr flush dev eth0 scope link
ll_ready n1 && fail "n1 still has a link-local address after the flush"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
fault_logged() { grep -q "Entering FAULT STATE" "$LAB_DIR/n1/ka.log"; }
wait_until 5 fault_logged || fail "late link-local: no FAULT without a link-local address"
sleep 1
[ -z "$(holders6 $VIP6)" ] || fail "late link-local: VIP taken without an advert source"
ok "late link-local: FAULT and no VIP while eth0 has no link-local address"
ip -n "${LAB_NS}n1" addr add fe80::1:1/64 dev eth0 nodad
expect_only6 n1 10 "late link-local: fe80::1:1 added"
grep -q "link-local source now fe80::1:1" "$LAB_DIR/n1/ka.log" ||
	fail "late link-local: the new address was not taken as the advert source"
ka_signal n1 TERM
ka_wait_exit n1 8 || fail "late link-local: daemon on n1 still running 8 s after SIGTERM"
ok "late link-local: source fe80::1:1 picked up from netlink, MASTER, stopped cleanly"

say "PASS ipv6"
