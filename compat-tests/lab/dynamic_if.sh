#!/usr/bin/env bash
# dynamic_if.sh -- dynamic_interfaces: an instance on an interface that does not exist yet.
#
# n1 runs KA_BIN with `dynamic_interfaces allow_if_changes` and an instance on eth1, which n1
# does not have. The daemon must keep running, the instance in FAULT (notify_fault), until
# eth1 is created (a veth onto the lab bridge, 203.0.113.1/24): then it starts, becomes MASTER
# alone on its LAN and sets its VIP. eth1 is then deleted (FAULT, VIP gone) and created again
# under a new index: the instance follows it and is MASTER again. Without dynamic_interfaces
# the same configuration stops the daemon at start with a configuration error.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init dynif
lab_host n1 1
D="$LAB_DIR/n1"
VIP1=203.0.113.50

cat >"$D/state.sh" <<EOF
#!/bin/sh
echo "\$3" >>"$D/states"
EOF
chmod 755 "$D/state.sh"
cat >"$D/keepalived.conf" <<EOF
global_defs {
    router_id lab_node
    dynamic_interfaces allow_if_changes
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth1
    virtual_router_id 61
    priority 100
    advert_int 1
    notify $D/state.sh
    virtual_ipaddress {
        $VIP1/24
    }
}
EOF

# mk_eth1 -- n1's eth1: a veth whose peer is on the lab bridge.
mk_eth1() {
	ip link add eth1 netns "${LAB_NS}n1" type veth peer name v1n1 netns "${LAB_NS}br" ||
		fail "cannot create eth1"
	ip -n "${LAB_NS}br" link set v1n1 master br0 up
	ip -n "${LAB_NS}n1" addr add 203.0.113.1/24 dev eth1
	ip -n "${LAB_NS}n1" link set eth1 up
}
has_vip1() { ip -n "${LAB_NS}n1" -4 -o addr show dev eth1 2>/dev/null | grep -q " $VIP1/"; }
last_state() { tail -n 1 "$D/states" 2>/dev/null; }
state_is() { [ "$(last_state)" = "$1" ]; }

ka_start n1 "$KA_BIN" "$D/keepalived.conf"
wait_until 10 state_is FAULT || fail "no FAULT notify while eth1 is missing (states: $(tr '\n' ' ' <"$D/states" 2>/dev/null))"
sleep 4
ka_running n1 || fail "the daemon stopped although dynamic_interfaces is set"
state_is FAULT || fail "left FAULT without eth1: $(last_state)"
ok "no eth1: the daemon runs, VI_1 is in FAULT"

mk_eth1
idx1=$(ip -n "${LAB_NS}n1" -o link show eth1 | cut -d: -f1)
wait_until 15 has_vip1 || fail "eth1 created (index $idx1): no VIP within 15 s (states: $(tr '\n' ' ' <"$D/states"))"
state_is MASTER || fail "VIP set but last state $(last_state)"
ok "eth1 created (index $idx1): VI_1 MASTER with $VIP1"

ip -n "${LAB_NS}n1" link del eth1
wait_until 10 state_is FAULT || fail "eth1 deleted: no FAULT (states: $(tr '\n' ' ' <"$D/states"))"
ok "eth1 deleted: VI_1 in FAULT"
# Another interface first, so that eth1 comes back under another index.
ip link add dummyish netns "${LAB_NS}n1" type veth peer name v2n1 netns "${LAB_NS}br" ||
	fail "cannot create a spacer veth"
mk_eth1
idx2=$(ip -n "${LAB_NS}n1" -o link show eth1 | cut -d: -f1)
[ "$idx2" != "$idx1" ] || fail "eth1 came back under the same index $idx1"
wait_until 15 has_vip1 || fail "eth1 back (index $idx2): no VIP within 15 s (states: $(tr '\n' ' ' <"$D/states"))"
state_is MASTER || fail "VIP set but last state $(last_state)"
ok "eth1 back under index $idx2: VI_1 MASTER again"
ka_signal n1 TERM
ka_wait_exit n1 10 || fail "n1 did not stop"

say "without dynamic_interfaces"
ip -n "${LAB_NS}n1" link del eth1
sed -i '/dynamic_interfaces/d' "$D/keepalived.conf"
node_exec n1 timeout 15 "$KA_BIN" -n -l --vrrp -f "$D/keepalived.conf" -p "$D/ka2.pid" \
	-r "$D/vrrp2.pid" -c "$D/checkers2.pid" </dev/null >>"$D/ka.log" 2>&1
rc=$?
[ "$rc" != 124 ] && [ "$rc" != 0 ] ||
	fail "without dynamic_interfaces and without eth1 the daemon must stop at start (status $rc)"
ok "without dynamic_interfaces the daemon stops at start (status $rc)"

say "PASS dynamic_if"
