#!/usr/bin/env bash
# strict.sh -- vrrp_strict's firewall, ours against real keepalived 2.2.7 (built with nftables).
# Two nginx nodes, n1 (priority 150) and n2 (100), and a client. Config: vrrp_strict, VI_4
# (VRRPv2, 198.51.100.50) and VI_6 (VRRPv3, fe80::50 and 2001:db8::50/64), no accept mode.
#   reference: REF_BIN alone on n1 as MASTER: its nftables tables (ip and ip6 "keepalived"),
#     listed with nft and normalised (no handles, no counter values), are the reference; the
#     client cannot fetch http://VIP/ although nginx serves the node's own address; after
#     SIGTERM no table is left.
#   ours: KA_BIN on n1 and n2: the MASTER's tables are the reference's, the BACKUP has none,
#     the client cannot fetch the VIP.
#   failover: SIGTERM n1: its tables go, n2 takes the VIPs and has the reference's tables.
#   killed run: SIGKILL n2 (its tables stay), start it again: once MASTER its tables are the
#     reference's again (the leftovers were replaced, nothing doubled); SIGTERM: none left.
#   accept: the same pair with `accept` (VI_4 as VRRPv3, since strict VRRPv2 has no accept
#     mode): no table anywhere and the client gets the page from the MASTER, then from the
#     other node after a failover.
#   reload: that MASTER reloads a config without accept: its VIPs are dropped (it stays
#     MASTER); reloading accept mode back lets the client in again.
# Only the namespaces' own rulesets are listed or changed; the root namespace is never touched.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require nginx curl nft killall ps
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"
[ -x "$REF_BIN" ] || skip "no reference keepalived at $REF_BIN"

VIP6_LL=fe80::50
VIP6=2001:db8::50

lab_init strict
lab_host n1 1
lab_host n2 2
lab_host client 100
web_start n1
web_start n2

# conf PRIO ACCEPT -- the pair's config; ACCEPT=1 gives every instance accept mode,
# ACCEPT=v3 only makes VI_4 VRRPv3 (as with ACCEPT=1, so that a reload between the two
# changes nothing but accept mode).
conf() {
	local prio=$1 accept=$2 v4extra="" extra=""
	if [ "$accept" = 1 ]; then
		v4extra=$'    version 3\n    accept'
		extra="    accept"
	elif [ "$accept" = v3 ]; then
		v4extra="    version 3"
	fi
	cat <<-EOF
		global_defs {
		    router_id lab_node
		    vrrp_strict
		}
		vrrp_instance VI_4 {
		    interface eth0
		    virtual_router_id 51
		    priority $prio
		    advert_int 1
		$v4extra
		    virtual_ipaddress {
		        $VIP
		    }
		}
		vrrp_instance VI_6 {
		    interface eth0
		    virtual_router_id 52
		    version 3
		    priority $prio
		    advert_int 1
		$extra
		    virtual_ipaddress {
		        $VIP6_LL
		        $VIP6/64
		    }
		}
	EOF
}
conf 150 0 >"$LAB_DIR/n1/strict.conf"
conf 100 0 >"$LAB_DIR/n2/strict.conf"
conf 150 1 >"$LAB_DIR/n1/accept.conf"
conf 100 1 >"$LAB_DIR/n2/accept.conf"
conf 100 v3 >"$LAB_DIR/n2/strict3.conf"

# tables NAME -- NAME's keepalived tables as nft lists them, ip then ip6 (so that creation
# order does not matter), without handles and counter values; empty when there are none.
tables() {
	local f
	for f in ip ip6; do
		node_exec "$1" nft list table "$f" keepalived 2>/dev/null
	done | sed -E 's/ # handle [0-9]+//; s/counter packets [0-9]+ bytes [0-9]+/counter/'
}
ruleset_empty() { [ -z "$(node_exec "$1" nft list ruleset)" ]; }
# has_all NAME -- NAME holds the three VIPs.
has_all() {
	local l6
	l6=$(ip -n "${LAB_NS}$1" -6 -o addr show dev eth0)
	has_vip "$1" && [[ $l6 == *" $VIP6_LL/"* ]] && [[ $l6 == *" $VIP6/"* ]]
}
# both_tables NAME -- both tables exist and hold their VIPs.
both_tables() {
	local t
	t=$(tables "$1")
	[[ $t == *"$VIP"* ]] && [[ $t == *"$VIP6"* ]] && [[ $t == *"$VIP6_LL"* ]]
}
# expect_master NAME WHAT -- NAME holds every VIP and its drop sets list them.
expect_master() {
	wait_until 15 has_all "$1" || fail "$2: $1 does not hold the VIPs (IPv4 holders '$(who_has_vip)')"
	wait_until 5 both_tables "$1" || fail "$2: $1 holds the VIPs but its tables are: $(tables "$1")"
	ok "$2: $1 is MASTER with its VIPs in the drop sets"
}
# client_blocked WHAT -- three fetches of http://VIP/ all fail, while the VIP's holder
# serves its own address.
client_blocked() {
	local holder i
	holder=$(who_has_vip)
	[ -n "$holder" ] || fail "$1: nobody holds $VIP"
	for ((i = 0; i < 3; i++)); do
		client_get >/dev/null && fail "$1: the client fetched http://$VIP/ from $holder: '$(client_get)'"
	done
	ip netns exec "${LAB_NS}client" curl -s --max-time 2 "http://${LAB_IP[$holder]}/" | grep -q "served by $holder" ||
		fail "$1: $holder does not serve its own address either"
	ok "$1: the client cannot fetch http://$VIP/ ($holder holds it), $holder serves ${LAB_IP[$holder]}"
}
same_tables() {
	local got
	got=$(tables "$1")
	[ "$got" = "$REF_TABLES" ] || {
		echo "----- reference (keepalived 2.2.7)"
		echo "$REF_TABLES"
		echo "----- $1"
		echo "$got"
		diff <(echo "$REF_TABLES") <(echo "$got")
		fail "$2: $1's tables differ from keepalived's"
	}
	ok "$2: $1's tables are keepalived's ($(echo "$got" | wc -l) lines)"
}

say "reference: $REF_BIN alone on n1"
ka_start n1 "$REF_BIN" "$LAB_DIR/n1/strict.conf"
expect_master n1 "reference"
REF_TABLES=$(tables n1)
echo "$REF_TABLES"
client_blocked "reference"
ka_signal n1 TERM
ka_wait_exit n1 10 || fail "reference: keepalived did not stop"
ruleset_empty n1 || fail "reference: keepalived left tables: $(node_exec n1 nft list ruleset)"
ok "reference: no table left after SIGTERM"

say "ours on n1 and n2"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/strict.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/strict.conf"
expect_master n1 "ours"
same_tables n1 "ours"
ruleset_empty n2 || fail "ours: the BACKUP n2 has tables: $(tables n2)"
ok "ours: the BACKUP n2 has no table (keepalived makes them on becoming MASTER)"
client_blocked "ours"

say "failover: SIGTERM n1"
ka_signal n1 TERM
ka_wait_exit n1 10 || fail "failover: n1 did not stop"
ruleset_empty n1 || fail "failover: n1 left tables: $(node_exec n1 nft list ruleset)"
ok "failover: n1 left no table"
expect_master n2 "failover"
same_tables n2 "failover"
client_blocked "failover"

say "killed run: SIGKILL n2, then start it again"
ka_kill9 n2
ka_wait_exit n2 5 || fail "killed run: n2 still runs"
both_tables n2 || fail "killed run: expected n2's tables to outlive SIGKILL, have: $(tables n2)"
# A mark in the leftover table: it must be gone once n2 has made its tables again.
node_exec n2 nft add chain ip keepalived leftover_mark || fail "killed run: cannot mark the table"
ok "killed run: n2's tables outlive SIGKILL (marked with chain leftover_mark)"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/strict.conf"
deleted() { grep -q "Deleting old ip keepalived table" "$LAB_DIR/n2/ka.log"; }
wait_until 15 deleted || fail "restart: no 'Deleting old ip keepalived table' in n2's log within 15 s"
expect_master n2 "restart"
same_tables n2 "restart"
ok "restart: the leftover tables were deleted and made anew"
ka_signal n2 TERM
ka_wait_exit n2 10 || fail "restart: n2 did not stop"
ruleset_empty n2 || fail "restart: n2 left tables: $(node_exec n2 nft list ruleset)"
ok "restart: no table left after SIGTERM"

say "accept mode on both nodes"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/accept.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/accept.conf"
wait_until 15 has_all n1 || fail "accept: n1 does not hold the VIPs"
client_expect "served by n1" 5 "accept"
for n in n1 n2; do
	ruleset_empty "$n" || fail "accept: $n has tables: $(node_exec "$n" nft list ruleset)"
done
ok "accept: no table on either node"
ka_signal n1 TERM
ka_wait_exit n1 10 || fail "accept: n1 did not stop"
wait_until 15 has_all n2 || fail "accept: n2 did not take the VIPs"
client_expect "served by n2" 5 "accept failover"

say "reload of the MASTER n2: accept mode off, then on again"
cp "$LAB_DIR/n2/strict3.conf" "$LAB_DIR/n2/accept.conf"
ka_signal n2 HUP
wait_until 10 both_tables n2 || fail "reload: no drop rules on n2 after SIGHUP: $(tables n2)"
has_all n2 || fail "reload: n2 lost the VIPs"
client_blocked "reload to no accept"
conf 100 1 >"$LAB_DIR/n2/accept.conf"
ka_signal n2 HUP
no_vips_dropped() { ! [[ $(tables n2) == *"$VIP"* || $(tables n2) == *"$VIP6"* ]]; }
wait_until 10 no_vips_dropped || fail "reload: n2 still drops the VIPs: $(tables n2)"
client_expect "served by n2" 5 "reload to accept"
ka_signal n2 TERM
ka_wait_exit n2 10 || fail "accept: n2 did not stop"
ruleset_empty n2 || fail "reload: n2 left tables: $(node_exec n2 nft list ruleset)"
ok "reload: no table left after SIGTERM"
say "strict: all checks passed"
