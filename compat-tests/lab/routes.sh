#!/usr/bin/env bash
# routes.sh -- what a MASTER owns besides its VIP, and what every node owns statically.
#
# Two nodes, n1 (priority 100) and n2 (90), each with eth0 on the LAN and a veth pair x0/x1 of
# its own. Instance VI_1 has the VIP 198.51.100.50, eVIPs (virtual_ipaddress_excluded)
# 198.51.100.60/24 on eth0, 2001:db8::60/64 and 203.0.113.10/32 on x0, virtual routes (one
# via a gateway in table 100, a blackhole, one with the VIP as its source address) and two
# virtual rules; promote_secondaries; static_ipaddress / static_routes / static_rules on both.
#
# Ours on both nodes:
#   the master holds the VIP, the eVIPs, the virtual routes and rules, the backup none of them;
#   both hold the static address (their own), route and rule; promote_secondaries is 1 on the
#   master's eth0 while it runs;
#   adverts (tcpdump on the bridge) list only the VIP, never an eVIP; a gratuitous ARP goes
#   out for the IPv4 eVIP;
#   a virtual route deleted by hand on the master: it leaves MASTER (priority 0) and takes it
#   again, the route is back; a static route deleted by hand comes back;
#   x0 down on the master (implicit tracking of an eVIP's interface): FAULT, n2 takes
#   everything; x0 up: n1 takes it back;
#   SIGTERM on the master: n2 holds everything, n1 nothing, not even its static entries, and
#   promote_secondaries is 0 again; restart: n1 preempts, n2 holds nothing virtual;
#   SIGKILL on the master: everything stays on n1; restarted below n2's priority it removes
#   those leftovers before the first election: n2 alone holds the virtual part, n1 its static
#   entries once; SIGHUP on the master with a virtual and the static route changed: the old
#   ones go, the new ones come, no flap;
#   track_src_ip (another instance, unicast from a secondary address): the master's source
#   address deleted: FAULT, n2 takes the VIP; the address back: n1 master again.
# Interop (same configuration): ours master / real keepalived backup, then swapped; each
# master's routes, rules and addresses (ip route show table all, ip rule, ip addr) are the same
# whichever daemon installed them, and each daemon removes them at SIGTERM.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require killall ps tcpdump
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init routes
lab_host n1 1
lab_host n2 2
for n in n1 n2; do
	ip -n "${LAB_NS}$n" link add x0 type veth peer name x1
	ip -n "${LAB_NS}$n" link set x0 up
	ip -n "${LAB_NS}$n" link set x1 up
done

# conf PRIO OCTET -- the configuration of a node (OCTET: its static address 203.0.113.2OCTET).
conf() {
	cat <<-EOF
		global_defs {
		    router_id lab_node
		}
		static_ipaddress {
		    203.0.113.20$2/32 dev eth0
		}
		static_routes {
		    203.0.113.224/28 via 198.51.100.254 dev eth0
		}
		static_rules {
		    from 203.0.113.224/28 table 200 priority 200
		}
		vrrp_instance VI_1 {
		    state BACKUP
		    interface eth0
		    virtual_router_id 51
		    priority $1
		    advert_int 1
		    promote_secondaries
		    authentication {
		        auth_type PASS
		        auth_pass 1111
		    }
		    virtual_ipaddress {
		        $VIP
		    }
		    virtual_ipaddress_excluded {
		        198.51.100.60/24 dev eth0
		        2001:db8::60/64 dev x0
		        203.0.113.10/32 dev x0
		    }
		    virtual_routes {
		        203.0.113.64/26 via 198.51.100.254 dev eth0 table 100
		        blackhole 203.0.113.128/26
		        src $VIP 203.0.113.192/28 via 198.51.100.254 dev eth0
		    }
		    virtual_rules {
		        from 203.0.113.0/26 table 100 priority 100
		        to 203.0.113.64/26 lookup 100 priority 101
		    }
		}
	EOF
}

# What a master sets, as `ip` prints it; the static entries of every node.
VROUTES=("203.0.113.64/26 via 198.51.100.254 dev eth0 table 100 proto keepalived"
	"blackhole 203.0.113.128/26 proto keepalived"
	"203.0.113.192/28 via 198.51.100.254 dev eth0 proto keepalived src $VIP")
VRULES=("100:	from 203.0.113.0/26 lookup 100 proto keepalived"
	"101:	from all to 203.0.113.64/26 lookup 100 proto keepalived")
SROUTE="203.0.113.224/28 via 198.51.100.254 dev eth0 proto keepalived"
SRULE="200:	from 203.0.113.224/28 lookup 200 proto keepalived"

routes_of() { ip -n "${LAB_NS}$1" route show table all; }
rules_of() { ip -n "${LAB_NS}$1" rule show; }
addrs_of() { ip -n "${LAB_NS}$1" addr show 2>/dev/null; }

# owns_all NAME -- NAME holds the VIP, the eVIPs, the virtual routes and rules.
owns_all() {
	local r u a l
	r=$(routes_of "$1")
	u=$(rules_of "$1")
	a=$(addrs_of "$1")
	for l in "${VROUTES[@]}"; do grep -qF "$l" <<<"$r" || return 1; done
	for l in "${VRULES[@]}"; do grep -qF "$l" <<<"$u" || return 1; done
	for l in "inet $VIP/32" "inet 198.51.100.60/24" "inet 203.0.113.10/32" "inet6 2001:db8::60/64"; do
		grep -qF "$l" <<<"$a" || return 1
	done
}

# owns_none NAME -- NAME holds none of them.
owns_none() {
	local r u a l
	r=$(routes_of "$1")
	u=$(rules_of "$1")
	a=$(addrs_of "$1")
	for l in "${VROUTES[@]}"; do grep -qF "$l" <<<"$r" && return 1; done
	for l in "${VRULES[@]}"; do grep -qF "$l" <<<"$u" && return 1; done
	for l in "inet $VIP/32" "inet 198.51.100.60/24" "inet 203.0.113.10/32" "inet6 2001:db8::60/64"; do
		grep -qF "$l" <<<"$a" && return 1
	done
	return 0
}

# statics NAME COUNT -- NAME holds its static address, route and rule COUNT times each.
statics() {
	local o=${1#n}
	[ "$(routes_of "$1" | grep -cF "$SROUTE")" = "$2" ] &&
		[ "$(rules_of "$1" | grep -cF "$SRULE")" = "$2" ] &&
		[ "$(addrs_of "$1" | grep -cF "inet 203.0.113.20$o/32")" = "$2" ]
}

# expect_owner MASTER OTHER SECONDS WHAT
expect_owner() {
	wait_until "$3" owns_all "$1" || fail "$4: $1 does not hold the VIP, eVIPs, routes and rules:
$(routes_of "$1")
$(rules_of "$1")
$(addrs_of "$1")"
	wait_until 5 owns_none "$2" || fail "$4: $2 still holds some of them:
$(routes_of "$2")
$(rules_of "$2")"
	ok "$4: $1 holds the VIP, eVIPs, virtual routes and rules; $2 none"
}

promote() { node_exec "$1" cat /proc/sys/net/ipv4/conf/eth0/promote_secondaries; }

conf 100 1 >"$LAB_DIR/n1/keepalived.conf"
conf 90 2 >"$LAB_DIR/n2/keepalived.conf"

# ------------------------------------------------------------------ ours on both nodes
say "=== ours on both nodes"
ip netns exec "${LAB_NS}br" tcpdump -n -vv -l -i br0 'ip proto 112 or arp' \
	>"$LAB_DIR/lan.txt" 2>/dev/null &
tcpdump_pid=$!
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_owner n1 n2 15 "election"
for n in n1 n2; do
	wait_until 5 statics "$n" 1 || fail "$n: static address/route/rule missing:
$(routes_of "$n")
$(rules_of "$n")"
done
ok "static address, route and rule present once on both nodes"
[ "$(promote n1)" = 1 ] || fail "promote_secondaries not set on n1's eth0"
ok "promote_secondaries is 1 on the master's eth0"
sleep 3
kill "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null
adverts=$(grep -c 'VRRPv2, Advertisement' "$LAB_DIR/lan.txt")
[ "$adverts" -ge 3 ] || fail "expected adverts on the LAN, saw $adverts"
grep 'VRRPv2, Advertisement' "$LAB_DIR/lan.txt" | grep -v "addrs: $VIP auth" &&
	fail "an advert lists something besides $VIP (lines above)"
ok "$adverts adverts, each listing only $VIP (no eVIP)"
grep -q 'who-has 198.51.100.60 .*tell 198.51.100.60' "$LAB_DIR/lan.txt" ||
	fail "no gratuitous ARP for the eVIP 198.51.100.60"
ok "gratuitous ARP sent for the eVIP"

say "delete a virtual route behind the master's back"
backups() { grep -c "Entering BACKUP STATE" "$LAB_DIR/n1/ka.log"; }
before=$(backups)
more_backups() { [ "$(backups)" -gt "$before" ]; }
ip -n "${LAB_NS}n1" route del 203.0.113.64/26 table 100
wait_until 5 more_backups || fail "n1 did not leave MASTER when its route was deleted"
expect_owner n1 n2 10 "route deleted: n1 left MASTER and took it again"
say "delete the static route and the static rule by hand"
ip -n "${LAB_NS}n2" route del 203.0.113.224/28
ip -n "${LAB_NS}n2" rule del priority 200
wait_until 5 statics n2 1 || fail "n2 did not restore its static route and rule"
grep -q "Restoring deleted static route" "$LAB_DIR/n2/ka.log" || fail "no 'Restoring deleted static route' on n2"
ok "static route and rule restored on n2"

say "x0 (interface of two eVIPs) down on n1: implicit tracking"
ip -n "${LAB_NS}n1" link set x1 down
wait_until 5 grep -q "Entering FAULT STATE" "$LAB_DIR/n1/ka.log" || fail "n1 did not enter FAULT"
wait_until 10 owns_all n2 || fail "n2 did not take over while n1 is in FAULT"
ok "n1 in FAULT, n2 took over"
ip -n "${LAB_NS}n1" link set x1 up
expect_owner n1 n2 15 "x0 up again: n1 preempted"

say "SIGTERM n1"
ka_signal n1 TERM
ka_wait_exit n1 8 || fail "n1 still running 8 s after SIGTERM"
expect_owner n2 n1 10 "after n1's SIGTERM"
statics n1 0 || fail "n1 left static entries behind at exit:
$(routes_of n1)
$(rules_of n1)"
[ "$(promote n1)" = 0 ] || fail "promote_secondaries not reset on n1's eth0"
ok "n1 removed its static entries and reset promote_secondaries at exit"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
expect_owner n1 n2 15 "n1 restarted: preempted"

say "SIGKILL n1: everything stays; restart below n2"
ka_kill9 n1
ka_wait_exit n1 5 || fail "n1 survived SIGKILL"
owns_all n1 || fail "the killed daemon's routes vanished by themselves: nothing left to test"
wait_until 8 owns_all n2 || fail "n2 did not take over after n1's SIGKILL"
ok "leftovers on n1, n2 took over"
conf 80 1 >"$LAB_DIR/n1/keepalived.low.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.low.conf"
expect_owner n2 n1 8 "leftovers removed at restart"
wait_until 5 statics n1 1 || fail "n1's static entries not exactly once after restart:
$(routes_of n1)
$(rules_of n1)
$(addrs_of n1)"
ok "n1's static entries present exactly once"

say "SIGHUP n2 (master) with a virtual route and the static route changed"
cp "$LAB_DIR/n2/keepalived.conf" "$LAB_DIR/n2/keepalived.orig.conf"
sed -e 's#203.0.113.64/26 via#203.0.113.96/27 via#' -e 's#203.0.113.224/28 via#203.0.113.240/28 via#' \
	"$LAB_DIR/n2/keepalived.orig.conf" >"$LAB_DIR/n2/keepalived.conf"
ka_signal n2 HUP
reloaded() {
	local r
	r=$(routes_of n2)
	grep -qF "203.0.113.96/27 via 198.51.100.254 dev eth0 table 100 proto keepalived" <<<"$r" &&
		! grep -qF "203.0.113.64/26" <<<"$r" &&
		grep -qF "203.0.113.240/28 via 198.51.100.254 dev eth0 proto keepalived" <<<"$r" &&
		! grep -qF "203.0.113.224/28" <<<"$r"
}
wait_until 5 reloaded || fail "reload: n2's routes not updated:
$(routes_of n2)"
has_vip n2 || fail "reload: n2 lost the VIP"
ok "reload: the old virtual and static routes removed, the new ones set, n2 still master"
cp "$LAB_DIR/n2/keepalived.orig.conf" "$LAB_DIR/n2/keepalived.conf"
ka_signal n2 HUP
wait_until 5 owns_all n2 || fail "reload back: n2's routes not restored:
$(routes_of n2)"
wait_until 5 statics n2 1 || fail "reload back: n2's static route not restored"
! routes_of n2 | grep -qF -e "203.0.113.96/27" -e "203.0.113.240/28" ||
	fail "reload back: the routes of the other configuration stayed"
ok "reload back: original routes again"
ka_signal n1 TERM
ka_signal n2 TERM
ka_wait_exit n1 8 || fail "n1 still running"
ka_wait_exit n2 8 || fail "n2 still running"
for n in n1 n2; do
	owns_none "$n" || fail "$n: virtual entries left after SIGTERM"
	statics "$n" 0 || fail "$n: static entries left after SIGTERM"
done
ok "both stopped: nothing left on either node"

# ------------------------------------------------------------------ track_src_ip
say "=== track_src_ip: the unicast source address removed from the master"
VIP2=198.51.100.51
for o in 1 2; do ip -n "${LAB_NS}n$o" addr add "198.51.100.1$o/24" dev eth0; done
# conf_src PRIO SELF PEER
conf_src() {
	cat <<-EOF
		vrrp_instance VI_2 {
		    state BACKUP
		    interface eth0
		    virtual_router_id 52
		    priority $1
		    advert_int 1
		    track_src_ip
		    unicast_src_ip 198.51.100.1$2
		    unicast_peer {
		        198.51.100.1$3
		    }
		    virtual_ipaddress {
		        $VIP2
		    }
		}
	EOF
}
conf_src 100 1 2 >"$LAB_DIR/n1/src.conf"
conf_src 90 2 1 >"$LAB_DIR/n2/src.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/src.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/src.conf"
vip2_only() { [ "$(who_has_vip $VIP2)" = "$1" ]; }
wait_until 15 vip2_only n1 || fail "track_src_ip: n1 did not become master: '$(who_has_vip $VIP2)'"
ok "n1 master of VI_2"
ip -n "${LAB_NS}n1" addr del 198.51.100.11/24 dev eth0
wait_until 8 vip2_only n2 || fail "track_src_ip: n2 did not take over: '$(who_has_vip $VIP2)'"
grep -q "Entering FAULT STATE" "$LAB_DIR/n1/ka.log" || fail "track_src_ip: n1 not in FAULT"
ok "source address gone: n1 in FAULT, n2 holds $VIP2"
ip -n "${LAB_NS}n1" addr add 198.51.100.11/24 dev eth0
wait_until 15 vip2_only n1 || fail "track_src_ip: n1 did not come back: '$(who_has_vip $VIP2)'"
ok "source address back: n1 master again"
ka_signal n1 TERM
ka_signal n2 TERM
ka_wait_exit n1 8 || fail "n1 still running"
ka_wait_exit n2 8 || fail "n2 still running"
for o in 1 2; do ip -n "${LAB_NS}n$o" addr del "198.51.100.1$o/24" dev eth0; done

# ------------------------------------------------------------------ interop
[ -x "$REF_BIN" ] || {
	say "REF_BIN=$REF_BIN not installed: interop part skipped"
	say "PASS routes"
	exit 0
}

# What a master set, comparable between nodes and daemons: keepalived's routes and rules,
# the addresses of eth0 and x0 but the node's own.
snapshot() {
	{
		routes_of "$1" | grep 'proto keepalived' | grep -v '203.0.113.224/28'
		ip -n "${LAB_NS}$1" -6 route show table all | grep 'proto keepalived'
		rules_of "$1" | grep 'proto keepalived' | grep -v '^200:'
		ip -n "${LAB_NS}$1" -o addr show 2>/dev/null | awk '{print $2, $3, $4}' |
			grep -v -e "198.51.100.$2/" -e '203.0.113.20' -e '^lo ' -e 'fe80' -e '^x1 '
	} | sed -e 's/ *$//' | sort
}

interop_round() {
	local mbin=$1 bbin=$2 tag=$3
	say "=== interop: n1 = $tag master, n2 = the other daemon"
	: >"$LAB_DIR/n1/ka.log"
	: >"$LAB_DIR/n2/ka.log"
	ka_start n1 "$mbin" "$LAB_DIR/n1/keepalived.conf"
	ka_start n2 "$bbin" "$LAB_DIR/n2/keepalived.conf"
	expect_owner n1 n2 15 "$tag: election"
	sleep 1
	snapshot n1 1 >"$LAB_DIR/snap-$tag-n1.txt"
	ka_signal n1 TERM
	ka_wait_exit n1 8 || fail "$tag: n1 still running"
	expect_owner n2 n1 10 "$tag: takeover after SIGTERM"
	sleep 1
	snapshot n2 2 >"$LAB_DIR/snap-$tag-n2.txt"
	diff "$LAB_DIR/snap-$tag-n1.txt" "$LAB_DIR/snap-$tag-n2.txt" ||
		fail "$tag: the two daemons installed different things (diff above)"
	ok "$tag: both daemons installed the same routes, rules and addresses ($(wc -l <"$LAB_DIR/snap-$tag-n1.txt") lines)"
	ka_signal n2 TERM
	ka_wait_exit n2 8 || fail "$tag: n2 still running"
	owns_none n2 || fail "$tag: n2 left virtual entries after SIGTERM"
	ok "$tag: n2 removed everything at SIGTERM"
}

interop_round "$KA_BIN" "$REF_BIN" ka-master
interop_round "$REF_BIN" "$KA_BIN" ref-master
cmp -s "$LAB_DIR/snap-ka-master-n1.txt" "$LAB_DIR/snap-ref-master-n1.txt" ||
	fail "ours and keepalived set different things as master:
$(diff "$LAB_DIR/snap-ka-master-n1.txt" "$LAB_DIR/snap-ref-master-n1.txt")"
ok "ours and keepalived 2.2.7 set identical routes, rules and addresses"
say "PASS routes"
