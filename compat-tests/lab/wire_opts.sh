#!/usr/bin/env bash
# wire_opts.sh -- the instance and global options that change what goes on the wire or into
# the log, KA_BIN against REF_BIN (real keepalived 2.2.7):
#
# 1. mcast_dst_ip 224.0.0.19 on both nodes, each binary in each role: adverts go to .19
#    (tcpdump), the higher priority wins and keeps winning (no split brain).
# 2. VRRPv3 unicast with old_unicast_checksum on both: they agree. Then REF_BIN alone sends the
#    old checksum: KA_BIN (not told) logs "Setting unicast VRRPv3 checksum to old version" and
#    stays BACKUP under it.
# 3. log_unknown_vrids: adverts for a VRID KA_BIN has not are logged as keepalived logs them.
# 4. unicast_fault_no_peer without peers: FAULT on both binaries, for good.
# 5. reload_check_config FILE: a SIGHUP with a configuration `-t` does not pass is refused
#    (keepalived's line, the report in FILE, the VIP stays); a clean one is applied. Both bins.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require tcpdump
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"
[ -x "$REF_BIN" ] || skip "REF_BIN=$REF_BIN is not installed"

lab_init wireopt
lab_host n1 1
lab_host n2 2

# conf PRIO VERSION GLOBAL_LINES INSTANCE_LINES [VRID] -- a one-instance configuration.
conf() {
	cat <<EOF
global_defs {
    router_id lab_node
$3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id ${5:-51}
    priority $1
    version $2
    advert_int 1
$4
    virtual_ipaddress {
        $VIP
    }
}
EOF
}

stop_all() {
	local n
	for n in n1 n2; do
		ka_running "$n" || continue
		ka_signal "$n" TERM
		ka_wait_exit "$n" 10 || fail "$n did not stop within 10 s"
	done
}

# ---------------------------------------------------------------- 1. mcast_dst_ip
mcast_pair() {
	local bin1=$1 bin2=$2 tag=$3 cap="$LAB_DIR/n2/mcast-$3.txt"
	say "=== mcast_dst_ip 224.0.0.19, $tag"
	conf 150 2 "" "    mcast_dst_ip 224.0.0.19" >"$LAB_DIR/n1/keepalived.conf"
	conf 100 2 "" "    mcast_dst_ip 224.0.0.19" >"$LAB_DIR/n2/keepalived.conf"
	ip netns exec "${LAB_NS}n2" timeout 30 tcpdump -l -n -i eth0 'ip proto 112' >"$cap" 2>/dev/null &
	sleep 0.5
	ka_start n1 "$bin1" "$LAB_DIR/n1/keepalived.conf"
	ka_start n2 "$bin2" "$LAB_DIR/n2/keepalived.conf"
	expect_vip_only n1 15 "$tag election"
	sample_vip_only n1 4
	grep -q "$LAB_PREFIX.1 > 224.0.0.19" "$cap" || fail "$tag: no advert from n1 to 224.0.0.19: $(head -3 "$cap")"
	grep -q "> 224.0.0.18" "$cap" && fail "$tag: an advert went to 224.0.0.18: $(grep -m1 '224.0.0.18' "$cap")"
	ka_signal n1 TERM
	expect_vip_only n2 6 "$tag takeover"
	stop_all
	ok "$tag: adverts to 224.0.0.19 only, election and takeover"
}
mcast_pair "$KA_BIN" "$REF_BIN" "KA_BIN master, REF_BIN backup"
mcast_pair "$REF_BIN" "$KA_BIN" "REF_BIN master, KA_BIN backup"

# ---------------------------------------------------------------- 2. old_unicast_checksum
uc() { printf '    unicast_src_ip %s.%s\n    unicast_peer {\n        %s.%s\n    }\n%s' \
	"$LAB_PREFIX" "$1" "$LAB_PREFIX" "$2" "${3:-}"; }
say "=== VRRPv3 unicast, old_unicast_checksum on both"
conf 150 3 "" "$(uc 1 2 '    old_unicast_checksum')" >"$LAB_DIR/n1/keepalived.conf"
conf 100 3 "" "$(uc 2 1 '    old_unicast_checksum')" >"$LAB_DIR/n2/keepalived.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$REF_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n1 15 "old checksum election"
sample_vip_only n1 4
grep -q "Invalid VRRPv3 checksum" "$LAB_DIR/n2/ka.log" && fail "REF_BIN rejected KA_BIN's old checksums"
stop_all
ok "old_unicast_checksum on both: REF_BIN accepts KA_BIN's adverts"

say "=== VRRPv3 unicast, only REF_BIN (master) configured with old_unicast_checksum"
: >"$LAB_DIR/n1/ka.log"
conf 100 3 "" "$(uc 1 2)" >"$LAB_DIR/n1/keepalived.conf"
conf 150 3 "" "$(uc 2 1 '    old_unicast_checksum')" >"$LAB_DIR/n2/keepalived.conf"
ka_start n2 "$REF_BIN" "$LAB_DIR/n2/keepalived.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
expect_vip_only n2 15 "auto-detected checksum election"
sample_vip_only n2 4
grep -q "(VI_1) Setting unicast VRRPv3 checksum to old version" "$LAB_DIR/n1/ka.log" ||
	fail "KA_BIN did not switch to the old checksum"
stop_all
ok "KA_BIN switched to the old checksum on REF_BIN's first advert and stayed BACKUP"

# ---------------------------------------------------------------- 3. log_unknown_vrids
say "=== log_unknown_vrids"
: >"$LAB_DIR/n1/ka.log"
conf 100 2 "    log_unknown_vrids" "" 51 >"$LAB_DIR/n1/keepalived.conf"
conf 100 2 "" "" 52 >"$LAB_DIR/n2/keepalived.conf"
ka_start n2 "$REF_BIN" "$LAB_DIR/n2/keepalived.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
wait_until 10 grep -q "Unknown VRID(52) received on interface(eth0). ignoring..." "$LAB_DIR/n1/ka.log" ||
	fail "no 'Unknown VRID(52)' line in KA_BIN's log"
stop_all
ok "KA_BIN logs REF_BIN's VRID 52 as unknown"

# ---------------------------------------------------------------- 4. unicast_fault_no_peer
say "=== unicast_fault_no_peer without peers"
for n in n1 n2; do
	cat >"$LAB_DIR/$n/state.sh" <<EOF
#!/bin/sh
echo "\$3" >>"$LAB_DIR/$n/states"
EOF
	chmod 755 "$LAB_DIR/$n/state.sh"
	conf 100 2 "" "    unicast_fault_no_peer
    notify $LAB_DIR/$n/state.sh" >"$LAB_DIR/$n/keepalived.conf"
done
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$REF_BIN" "$LAB_DIR/n2/keepalived.conf"
sleep 6
for n in n1 n2; do
	[ "$(cat "$LAB_DIR/$n/states" 2>/dev/null | tr '\n' ' ')" = "FAULT " ] ||
		fail "$n: states '$(tr '\n' ' ' <"$LAB_DIR/$n/states" 2>/dev/null)', want FAULT only"
done
[ -z "$(who_has_vip)" ] || fail "VIP on $(who_has_vip)"
stop_all
ok "both binaries: FAULT and nothing else"

# ---------------------------------------------------------------- 5. reload_check_config
check_reload() {
	local bin=$1 tag=$2 D="$LAB_DIR/n1"
	say "=== reload_check_config, $tag"
	: >"$D/ka.log"
	conf 100 2 "    reload_check_config $D/check.log" "" >"$D/keepalived.conf"
	ka_start n1 "$bin" "$D/keepalived.conf"
	expect_vip_only n1 15 "$tag master"
	conf 100 2 "    reload_check_config $D/check.log
    this_is_no_keyword" "" >"$D/keepalived.conf"
	ka_signal n1 HUP
	wait_until 10 grep -q "New config failed validation, see $D/check.log for details" "$D/ka.log" ||
		fail "$tag: the bad configuration was not refused"
	grep -q "this_is_no_keyword" "$D/check.log" || fail "$tag: check.log: $(cat "$D/check.log")"
	sample_vip_only n1 2
	conf 100 2 "    reload_check_config $D/check.log" "    virtual_ipaddress_excluded {
        203.0.113.77
    }" >"$D/keepalived.conf"
	ka_signal n1 HUP
	wait_until 10 sh -c "ip -n ${LAB_NS}n1 -4 -o addr show | grep -q ' 203.0.113.77/'" ||
		fail "$tag: the clean configuration was not applied"
	stop_all
	ok "$tag: bad configuration refused with its report in check.log, clean one applied"
}
check_reload "$KA_BIN" "KA_BIN"
check_reload "$REF_BIN" "REF_BIN"

say "PASS wire_opts"
