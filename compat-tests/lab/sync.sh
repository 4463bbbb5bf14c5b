#!/usr/bin/env bash
# sync.sh -- vrrp_sync_group end to end (inventory section 3.7, 6.1).
#
# Two nodes, each with two instances (VRID 51 -> 198.51.100.50, VRID 52 -> 198.51.100.51) in
# one sync group G1 with group notify scripts. VI_2 alone tracks a check script that fails
# when the node's `fail` file exists. n1 has priority 150, n2 100. Phases, per pair:
#   1. start: n1 holds both VIPs, n2 none; group notifies BACKUP then MASTER on n1, BACKUP on n2
#   2. VI_2's check fails on n1: the group goes FAULT on n1 and *both* VIPs move to n2 together
#      (VI_1 has nothing wrong of its own); n2's group notifies MASTER
#   3. the check recovers: n1's group goes BACKUP, then n1 preempts both VIPs back
#   4. SIGTERM both: group STOP
# The exact sequence of generic group notify calls (`GROUP G1 STATE 0`) is checked on both
# nodes, and at every sample both VIPs are on the same node.
# A SIGHUP with the config unchanged notifies nothing; the notify FIFO carries the same
# `GROUP "G1" STATE 0` lines.
# Pairs: ours/ours, then (unless REF_BIN is missing) ours/real keepalived both ways round.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

VIP1=198.51.100.50
VIP2=198.51.100.51

lab_init sync
lab_host n1 1
lab_host n2 2

# conf NODE PRIO -- the node's config; scripts live in the node's directory.
conf() {
	local d="$LAB_DIR/$1" prio=$2
	cat >"$d/chk.sh" <<-EOF
		#!/bin/sh
		[ ! -e $d/fail ]
	EOF
	cat >"$d/rec.sh" <<-EOF
		#!/bin/sh
		f=\$1
		shift
		line=""
		for a in "\$@"; do line="\$line<\$a>"; done
		echo "\$line" >>"$d/\$f.log"
	EOF
	cat >"$d/fifo_reader.sh" <<-EOF
		#!/bin/sh
		# Ignore the SIGTERM the daemon sends at exit: read on to end of file, STOP lines included.
		trap '' TERM
		while read -r line; do echo "\$line" >>"$d/fifo.log"; done <"\$1"
	EOF
	chmod 755 "$d/chk.sh" "$d/rec.sh" "$d/fifo_reader.sh"
	cat <<-EOF
		global_defs {
		    router_id $1
		    vrrp_notify_fifo $d/notify.fifo
		    vrrp_notify_fifo_script "$d/fifo_reader.sh"
		}
		vrrp_script chk {
		    script "$d/chk.sh"
		    interval 1
		}
		vrrp_sync_group G1 {
		    group {
		        VI_1
		        VI_2
		    }
		    notify "$d/rec.sh group"
		    notify_master "$d/rec.sh gstate master"
		    notify_backup "$d/rec.sh gstate backup"
		    notify_fault "$d/rec.sh gstate fault"
		}
	EOF
	local i vrid vip
	for i in 1 2; do
		vrid=$((50 + i))
		vip=$LAB_PREFIX.$((49 + i))
		cat <<-EOF
			vrrp_instance VI_$i {
			    state BACKUP
			    interface eth0
			    virtual_router_id $vrid
			    priority $prio
			    advert_int 1
			    authentication {
			        auth_type PASS
			        auth_pass 1111
			    }
			    virtual_ipaddress {
			        $vip
			    }
			    notify "$d/rec.sh inst"
		EOF
		[ "$i" = 2 ] && printf '    track_script {\n        chk\n    }\n'
		echo "}"
	done
}

# addrs NODE -- NODE's IPv4 addresses on eth0, read whole (a `| grep -q` under pipefail can
# fail when grep exits before `ip` has written everything).
addrs() { ip -n "${LAB_NS}$1" -4 -o addr show dev eth0 | awk '{print $4}' | tr '\n' ' '; }

# holder ADDR -- the nodes holding ADDR, space separated.
holder() {
	local n out=()
	for n in n1 n2; do
		case " $(addrs "$n")" in *" $1/"*) out+=("$n") ;; esac
	done
	echo "${out[*]:-}"
}

# holders -- "<holders of VIP1>/<holders of VIP2>".
holders() { echo "$(holder $VIP1)/$(holder $VIP2)"; }
both_on() { [ "$(holders)" = "$1/$1" ]; }

# expect_both NODE SECONDS WHAT -- both VIPs on NODE only, then 6 samples: still together.
expect_both() {
	wait_until "$2" both_on "$1" || fail "$3: expected both VIPs on $1 within $2 s, holders: $(holders)"
	local i
	for ((i = 0; i < 6; i++)); do
		both_on "$1" || fail "$3: sample $i: holders $(holders) (n1: $(addrs n1)n2: $(addrs n2))"
		sleep 0.5
	done
	ok "$3: $1 holds $VIP1 and $VIP2"
}

# group_calls NODE -- the generic group notify calls so far, space separated.
group_calls() { tr '\n' ' ' <"$LAB_DIR/$1/group.log" 2>/dev/null | sed 's/ $//'; }
calls_are() { [ "$(group_calls "$1")" = "$2" ]; }

# expect_group NODE SECONDS STATE... -- the group calls are exactly GROUP G1 STATE 0, in order.
expect_group() {
	local node=$1 secs=$2 want="" s
	shift 2
	for s in "$@"; do want="$want<GROUP><G1><$s><0> "; done
	want=${want% }
	wait_until "$secs" calls_are "$node" "$want" ||
		fail "$node: group notify calls '$(group_calls "$node")', expected '$want'"
	ok "$node: group notify calls $*"
}

# expect_inst NODE STATE -- both instances reported STATE last through their generic notify.
expect_inst() {
	local f="$LAB_DIR/$1/inst.log" i
	for i in 1 2; do
		last=$(grep "<VI_$i>" "$f" 2>/dev/null | tail -n 1)
		case "$last" in
		"<INSTANCE><VI_$i><$2><"*) ;;
		*) fail "$1: VI_$i last instance notify '$last', expected $2" ;;
		esac
	done
	ok "$1: VI_1 and VI_2 notified $2"
}

run_pair() {
	local bin1=$1 bin2=$2 label=$3 n
	say "=== pair $label: n1=$(basename "$(dirname "$bin1")")/$(basename "$bin1") n2=$(basename "$(dirname "$bin2")")/$(basename "$bin2")"
	for n in n1 n2; do
		rm -f "$LAB_DIR/$n"/*.log "$LAB_DIR/$n/fail"
	done
	conf n1 150 >"$LAB_DIR/n1/keepalived.conf"
	conf n2 100 >"$LAB_DIR/n2/keepalived.conf"

	say "phase 1: start"
	ka_start n1 "$bin1" "$LAB_DIR/n1/keepalived.conf"
	ka_start n2 "$bin2" "$LAB_DIR/n2/keepalived.conf"
	expect_both n1 15 "$label start"
	expect_group n1 5 BACKUP MASTER
	expect_group n2 5 BACKUP
	expect_inst n1 MASTER
	grep -q '<master>' "$LAB_DIR/n1/gstate.log" || fail "n1: group notify_master not run"

	say "phase 1b: SIGHUP both (unchanged config): no group notify, nothing moves"
	ka_signal n1 HUP
	ka_signal n2 HUP
	expect_both n1 5 "$label after SIGHUP"
	expect_group n1 1 BACKUP MASTER
	expect_group n2 1 BACKUP

	say "phase 2: VI_2's check fails on n1: both instances move to n2"
	touch "$LAB_DIR/n1/fail"
	expect_both n2 15 "$label VI_2 check fails on n1"
	expect_group n1 5 BACKUP MASTER FAULT
	expect_group n2 5 BACKUP MASTER
	expect_inst n1 FAULT
	expect_inst n2 MASTER

	say "phase 3: the check recovers: n1 takes both back"
	rm -f "$LAB_DIR/n1/fail"
	expect_both n1 20 "$label check recovered on n1"
	expect_group n1 5 BACKUP MASTER FAULT BACKUP MASTER
	expect_group n2 5 BACKUP MASTER BACKUP
	expect_inst n2 BACKUP

	say "phase 4: SIGTERM both"
	ka_signal n1 TERM
	ka_signal n2 TERM
	ka_wait_exit n1 10 || fail "n1 did not exit"
	ka_wait_exit n2 10 || fail "n2 did not exit"
	expect_group n1 5 BACKUP MASTER FAULT BACKUP MASTER STOP
	expect_group n2 5 BACKUP MASTER BACKUP STOP
	# The FIFO carries the same group states as GROUP "G1" STATE 0 lines.
	fifo_done() { grep -q '^GROUP "G1" STOP 0' "$LAB_DIR/$1/fifo.log" 2>/dev/null; }
	wait_until 5 fifo_done n1
	wait_until 5 fifo_done n2
	fifo_groups() { grep '^GROUP' "$LAB_DIR/$1/fifo.log" 2>/dev/null | tr '\n' ' '; }
	[ "$(fifo_groups n1)" = 'GROUP "G1" BACKUP 0 GROUP "G1" MASTER 0 GROUP "G1" FAULT 0 GROUP "G1" BACKUP 0 GROUP "G1" MASTER 0 GROUP "G1" STOP 0 ' ] ||
		fail "n1: FIFO group lines: $(fifo_groups n1)"
	[ "$(fifo_groups n2)" = 'GROUP "G1" BACKUP 0 GROUP "G1" MASTER 0 GROUP "G1" BACKUP 0 GROUP "G1" STOP 0 ' ] ||
		fail "n2: FIFO group lines: $(fifo_groups n2)"
	ok "FIFO group lines on both nodes"
	# keepalived forks notify scripts without waiting; ours runs them in order: the set of
	# group notify_<state> calls is the same either way.
	[ "$(sort "$LAB_DIR/n1/gstate.log" | tr '\n' ' ')" = "<backup> <backup> <fault> <master> <master> " ] ||
		fail "n1: group notify_<state> calls: $(tr '\n' ' ' <"$LAB_DIR/n1/gstate.log")"
	ok "pair $label passed"
}

run_pair "$KA_BIN" "$KA_BIN" "ours/ours"
if [ -x "$REF_BIN" ] && [ "${KA_SYNC_INTEROP:-1}" = 1 ]; then
	run_pair "$KA_BIN" "$REF_BIN" "ours/keepalived"
	run_pair "$REF_BIN" "$KA_BIN" "keepalived/ours"
else
	say "interop pairs not run (REF_BIN=$REF_BIN not executable, or KA_SYNC_INTEROP=0)"
fi
ok "sync groups"
