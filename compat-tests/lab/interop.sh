#!/usr/bin/env bash
# interop.sh -- KA_BIN and REF_BIN (real keepalived) as one VRRP pair, both ways round,
# VRRPv2 (PASS auth) and VRRPv3.
#
# For each version and each assignment (KA master / REF backup, then swapped):
#   converge: exactly the priority-100 node holds the VIP (sampled over 2 s);
#   SIGKILL the master's daemon: the backup takes over (after Master_Down_Interval);
#   restart it: it preempts back, and then exactly it holds the VIP;
#   SIGTERM the master: the backup takes over (priority-0 advert), the master drops the VIP;
#   restart it: it preempts back.
# The reference daemon's log must show no complaint about the packets it received
# (wrong version, bad checksum/auth/interval, missing address...).
# Usage: interop.sh [2|3]   (no argument: both)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require killall ps
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"
[ -x "$REF_BIN" ] || skip "REF_BIN=$REF_BIN (real keepalived) not installed"

versions=("${@:-2 3}")
# shellcheck disable=SC2206
versions=(${versions[*]})

lab_init interop
lab_host n1 1
lab_host n2 2

# One round: MASTER_BIN on n1 (priority 100), BACKUP_BIN on n2 (priority 90).
round() {
	local ver=$1 mbin=$2 bbin=$3 tag=$4
	say "=== VRRPv$ver: n1 = $tag master (priority 100), n2 = backup (priority 90)"
	conf_simple 100 "$ver" >"$LAB_DIR/n1/keepalived.conf"
	conf_simple 90 "$ver" >"$LAB_DIR/n2/keepalived.conf"
	ka_start n1 "$mbin" "$LAB_DIR/n1/keepalived.conf"
	ka_start n2 "$bbin" "$LAB_DIR/n2/keepalived.conf"
	expect_vip_only n1 15 "v$ver $tag election"
	sample_vip_only n1 4

	say "SIGKILL the master's daemon on n1"
	ka_kill9 n1
	ka_wait_exit n1 5 || fail "daemon on n1 survived SIGKILL"
	# The dead daemon cannot remove its VIP: n1 keeps it until restarted, so only n2 is checked.
	wait_until 8 has_vip n2 || fail "v$ver $tag: n2 did not take over within 8 s of the master's SIGKILL"
	ok "v$ver $tag: n2 took over after SIGKILL"
	ka_start n1 "$mbin" "$LAB_DIR/n1/keepalived.conf"
	expect_vip_only n1 15 "v$ver $tag preempt after restart"
	sample_vip_only n1 4

	say "SIGTERM the master's daemon on n1"
	ka_signal n1 TERM
	expect_vip_only n2 5 "v$ver $tag takeover after SIGTERM"
	ka_wait_exit n1 8 || fail "daemon on n1 still running 8 s after SIGTERM"
	ka_start n1 "$mbin" "$LAB_DIR/n1/keepalived.conf"
	expect_vip_only n1 15 "v$ver $tag preempt after SIGTERM restart"
	sample_vip_only n1 4

	ka_signal n1 TERM
	ka_signal n2 TERM
	ka_wait_exit n1 8 || fail "daemon on n1 still running 8 s after SIGTERM"
	ka_wait_exit n2 8 || fail "daemon on n2 still running 8 s after SIGTERM"
	wait_until 3 vip_none || fail "VIP left behind after both daemons stopped: '$(who_has_vip)'"
	ok "v$ver $tag: both stopped, no VIP left"
}

# Lines real keepalived logs when it drops a peer's packet (inventory section 5.6).
REF_COMPLAINTS='wrong VRRP version|invalid passwd|auth from|interval mismatch|not present in|invalid TTL|checksum|received an invalid|Invalid|Discarding|not a unicast peer'

for ver in "${versions[@]}"; do
	for tag in ka-master ref-master; do
		: >"$LAB_DIR/n1/ka.log"
		: >"$LAB_DIR/n2/ka.log"
		if [ "$tag" = ka-master ]; then
			round "$ver" "$KA_BIN" "$REF_BIN" "$tag"
			ref_log="$LAB_DIR/n2/ka.log"
		else
			round "$ver" "$REF_BIN" "$KA_BIN" "$tag"
			ref_log="$LAB_DIR/n1/ka.log"
		fi
		if grep -E "$REF_COMPLAINTS" "$ref_log"; then
			fail "v$ver $tag: real keepalived complained about received packets (lines above)"
		fi
		ok "v$ver $tag: real keepalived logged no complaint about the peer's packets"
	done
done
say "PASS interop (VRRPv${versions[*]})"
