#!/usr/bin/env bash
# scale.sh -- scale benchmark (not a test): 1000 VRRP instances on one node, ours (KA_BIN)
# against real keepalived (REF_BIN), CPU time and memory over a measuring window.
#
# Two nodes, four LANs (eth0..eth3, each its own bridge), 250 VRIDs per LAN = 1000 instances
# per node, VRRPv2, advert_int 1, PASS authentication, one VIP each. The node under test (n1)
# has priority 100 on eth0/eth1 (it is MASTER there and sends 500 adverts/s) and priority 50 on
# eth2/eth3, where the peer n2 (always real keepalived, priority 100/50 the other way round) is
# MASTER and n1 receives 500 adverts/s. So both the send and the receive paths are loaded.
# The peer starts first and becomes MASTER of all 1000, then n1 starts and takes its 500 over.
# After convergence (n1 holds exactly its 500 VIPs, n2 its 500), n1's daemon processes are
# sampled from /proc for SECONDS: CPU = utime+stime over the window (all processes of the daemon:
# keepalived's parent + VRRP child, ours is one process), RSS = sum of VmRSS at the end, and
# VmHWM (peak). Also counted: state transitions logged by n1 during the window (must be 0).
# Then --reloads times (default 3): SIGHUP to n1 with its configuration unchanged (issue 7
# item 3: a reload that never flaps). Measured over a RELOAD_WINDOW (4 s) after each signal: the
# daemon's CPU time beyond its steady rate (the cost of applying the reload), our own
# "Reload complete in N usec" (keepalived logs no end of reload), and what must stay 0:
# state transitions, priority-0 adverts and gratuitous ARPs from n1 on the wire.
# Implementations run one after the other on the same LANs, each with a fresh peer.
# Addresses: eth0 VIPs 198.51.100.1-250, eth1 VIPs 203.0.113.1-250 (hosts .251/.252); eth2 and
# eth3 reuse the same VIP numbers (the kernel accepts one address on several interfaces, and
# so do both daemons) -- only the documentation ranges are used.
# Usage: bench/scale.sh [--seconds N] [--reloads N] [--only ours|keepalived]
#        (needs root; KA_BIN defaults to target/release)
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=60
reloads=3
only=""
RELOAD_WINDOW=4
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
	--reloads) reloads=${2:?}; shift 2 ;;
	-h | --help)
		sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) echo "unknown argument: $1 (see --help)"; exit 2 ;;
	esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "--seconds wants a positive integer"; exit 2; }
[[ $reloads =~ ^[0-9]+$ ]] || { echo "--reloads wants a number"; exit 2; }

KA_BIN=${KA_BIN:-$repo/target/release/keepalived}
. "$repo/compat-tests/lab/lib.sh"
lab_require pgrep
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable (cargo build --release)"
[ -x "$REF_BIN" ] || fail "REF_BIN=$REF_BIN is not an executable (apt-get install keepalived)"

NVRID=250
lab_init scale
lab_host n1 251
lab_host n2 252
# eth1..eth3: one more bridge each in the bridge namespace, one veth per host.
for i in 1 2 3; do
	ip -n "${LAB_NS}br" link add "br$i" type bridge mcast_snooping 0 || fail "bridge br$i"
	ip -n "${LAB_NS}br" link set "br$i" up
	for h in n1 n2; do
		ip link add "eth$i" netns "${LAB_NS}$h" type veth peer name "v$h$i" netns "${LAB_NS}br" ||
			fail "veth eth$i for $h"
		ip -n "${LAB_NS}br" link set "v$h$i" master "br$i" up
		case $i in
		1) net=203.0.113 ;;
		*) net=198.51.100 ;; # eth2/eth3: separate LANs, same numbers as eth0/eth1
		esac
		[ "$i" = 3 ] && net=203.0.113
		ip -n "${LAB_NS}$h" addr add "$net.${LAB_IP[$h]##*.}/24" dev "eth$i"
		ip -n "${LAB_NS}$h" link set "eth$i" up
	done
done

# conf HIGH_IFS -- 1000 instances; priority 100 on the interfaces listed, 50 elsewhere.
conf() {
	local high=" $1 " i vrid prio net
	echo "global_defs {"
	echo "    router_id scale"
	echo "}"
	for i in 0 1 2 3; do
		case $i in 0 | 2) net=198.51.100 ;; *) net=203.0.113 ;; esac
		prio=50
		[[ $high == *" eth$i "* ]] && prio=100
		for ((vrid = 1; vrid <= NVRID; vrid++)); do
			cat <<CONF
vrrp_instance I${i}_$vrid {
    state BACKUP
    interface eth$i
    virtual_router_id $vrid
    priority $prio
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s$vrid
    }
    virtual_ipaddress {
        $net.$vrid/32
    }
}
CONF
		done
	done
}
conf "eth0 eth1" >"$LAB_DIR/n1.conf"
conf "eth2 eth3" >"$LAB_DIR/n2.conf"

# vip_count NODE IFACES... -- VIPs (addresses numbered 1..250) the node holds on those links
vip_count() {
	local node=$1 n=0 i
	shift
	for i in "$@"; do
		n=$((n + $(ip -n "${LAB_NS}$node" -4 -o addr show dev "$i" |
			awk '{ split($4, a, "/"); split(a[1], o, "."); if (o[4] >= 1 && o[4] <= 250 && a[2] == 32) c++ } END { print c + 0 }')))
	done
	echo "$n"
}
converged() {
	[ "$(vip_count n1 eth0 eth1)" = $((2 * NVRID)) ] && [ "$(vip_count n1 eth2 eth3)" = 0 ] &&
		[ "$(vip_count n2 eth2 eth3)" = $((2 * NVRID)) ] && [ "$(vip_count n2 eth0 eth1)" = 0 ]
}
# daemon_sample NODE -> "TICKS RSS_KB HWM_KB NPROC" over the node's keepalived processes
daemon_sample() {
	node_exec "$1" sh -c 'for p in $(pgrep -x keepalived); do
		s=$(cat /proc/$p/stat) || continue
		r=$(awk "/^VmRSS/ { print \$2 }" /proc/$p/status)
		h=$(awk "/^VmHWM/ { print \$2 }" /proc/$p/status)
		echo "${s##*) } $r $h"
	done' | awk '{ t += $12 + $13; r += $(NF - 1); h += $NF; n++ } END { print t + 0, r + 0, h + 0, n + 0 }'
}
hz=$(getconf CLK_TCK)
results="$LAB_DIR/results.txt"
: >"$results"

run_one() {
	local label=$1 bin=$2 t0 t1 s0 s1 trans0 trans1 conv_ms
	say "== $label: n1 runs $bin, n2 runs $REF_BIN"
	: >"$LAB_DIR/n1/ka.log"
	: >"$LAB_DIR/n2/ka.log"
	# The peer first, alone, until it is MASTER of all 1000: then n1 joins a running LAN and
	# takes over its 500 (both starting at once is a thundering herd of 1000 elections).
	ka_start n2 "$REF_BIN" "$LAB_DIR/n2.conf"
	wait_until 120 eval '[ "$(vip_count n2 eth0 eth1 eth2 eth3)" = $((4 * NVRID)) ]' ||
		fail "$label: the peer alone did not become MASTER of all $((4 * NVRID)) in 120 s"
	t0=$(now_ms)
	ka_start n1 "$bin" "$LAB_DIR/n1.conf"
	if ! wait_until 180 converged; then
		say "$label: not converged in 180 s (n1 eth0+1 $(vip_count n1 eth0 eth1), eth2+3 $(vip_count n1 eth2 eth3); n2 eth2+3 $(vip_count n2 eth2 eth3), eth0+1 $(vip_count n2 eth0 eth1))"
		printf "%s\tnot converged in 180 s\n" "$label" >>"$results"
		stop_both
		return
	fi
	conv_ms=$(($(now_ms) - t0))
	sleep 5 # let start-up GARP bursts (5 s later: the delayed burst) pass
	s0=$(daemon_sample n1)
	trans0=$(grep -c "Entering" "$LAB_DIR/n1/ka.log")
	t0=$(now_ms)
	sleep "$seconds"
	t1=$(now_ms)
	s1=$(daemon_sample n1)
	trans1=$(grep -c "Entering" "$LAB_DIR/n1/ka.log")
	converged || say "$label: WARNING: lost convergence during the window"
	read -r ta _ _ _ <<<"$s0"
	read -r tb rss hwm nproc <<<"$s1"
	reload_phase "$label" "$(((tb - ta) * 1000 / (t1 - t0)))"
	awk -v l="$label" -v ticks=$((tb - ta)) -v hz="$hz" -v ms=$((t1 - t0)) -v rss="$rss" \
		-v hwm="$hwm" -v np="$nproc" -v tr=$((trans1 - trans0)) -v conv="$conv_ms" 'BEGIN {
		printf "%s\t%.2f\t%.2f\t%.1f\t%.1f\t%d\t%d\t%d\n", l, ticks / hz, 100 * ticks / hz / (ms / 1000), rss / 1024, hwm / 1024, np, tr, conv
	}' >>"$results"
	stop_both
}
# reload_phase LABEL STEADY_TICKS_PER_S -- SIGHUP n1 (configuration unchanged) $reloads times.
reload_phase() {
	local label=$1 steady=$2 k s0 s1 a b tr0 cap pz garps us mac0 mac1
	mac0=$(ip -n "${LAB_NS}n1" link show dev eth0 | awk '$1 == "link/ether" { print $2 }')
	mac1=$(ip -n "${LAB_NS}n1" link show dev eth1 | awk '$1 == "link/ether" { print $2 }')
	for ((k = 1; k <= reloads; k++)); do
		cap="$LAB_DIR/reload-$label-$k.txt"
		ip netns exec "${LAB_NS}n2" timeout $((RELOAD_WINDOW + 2)) tcpdump -e -n -l -i any \
			'ip proto 112 or arp' >"$cap" 2>/dev/null &
		local capture=$!
		sleep 1
		tr0=$(grep -c "Entering" "$LAB_DIR/n1/ka.log")
		s0=$(daemon_sample n1)
		ka_signal n1 HUP
		sleep "$RELOAD_WINDOW"
		s1=$(daemon_sample n1)
		wait "$capture"
		read -r a _ _ _ <<<"$s0"
		read -r b _ _ _ <<<"$s1"
		pz=$(grep -c "${LAB_PREFIX}.251 > .*prio 0,\|203.0.113.251 > .*prio 0," "$cap")
		garps=$(grep -c -i "$mac0 .*ARP\|$mac1 .*ARP" "$cap")
		us=$(grep -o "Reload complete in [0-9]* usec" "$LAB_DIR/n1/ka.log" | tail -n 1 | awk '{ print $4 }')
		[ "$bin_is_ref" = 1 ] && us=""
		printf "%s\treload\t%d\t%s\t%d\t%d\t%d\n" "$label" \
			$(((b - a) * 1000 / hz - steady * RELOAD_WINDOW * 1000 / hz)) "${us:--}" \
			$(($(grep -c "Entering" "$LAB_DIR/n1/ka.log") - tr0)) "$pz" "$garps" >>"$results"
	done
	converged || say "$label: WARNING: lost convergence during the reloads"
}
stop_both() {
	ka_signal n1 TERM
	ka_signal n2 TERM
	ka_wait_exit n1 30 || ka_kill9 n1
	ka_wait_exit n2 30 || ka_kill9 n2
	# A killed daemon leaves its VIPs: the next run must start from a clean LAN.
	for h in n1 n2; do
		for i in eth0 eth1 eth2 eth3; do
			ip -n "${LAB_NS}$h" -4 -o addr show dev "$i" | awk '$4 ~ /\/32$/ { print $4 }' |
				while read -r a; do ip -n "${LAB_NS}$h" addr del "$a" dev "$i"; done
		done
	done
	sleep 2
}

bin_is_ref=0
[ "$only" != keepalived ] && run_one ours "$KA_BIN"
bin_is_ref=1
[ "$only" != ours ] && run_one keepalived "$REF_BIN"

echo
echo "1000 instances (250 VRIDs x 4 links), VRRPv2 advert_int 1, n1 master of 500 / backup of 500; window ${seconds} s"
printf "%-11s %10s %7s %8s %8s %6s %12s %12s\n" impl "cpu s" "cpu %" "RSS MB" "peak MB" procs transitions "converge ms"
while IFS=$'\t' read -r l c p r h n t v; do
	[ "$c" = reload ] && continue
	[ -z "$p" ] && { printf "%-11s %s\n" "$l" "$c"; continue; }
	printf "%-11s %10s %7s %8s %8s %6s %12s %12s\n" "$l" "$c" "$p" "$r" "$h" "$n" "$t" "$v"
done <"$results"
if [ "$reloads" -gt 0 ]; then
	echo
	echo "SIGHUP with the configuration unchanged, $reloads times each (window ${RELOAD_WINDOW} s after the signal)"
	printf "%-11s %14s %16s %12s %14s %12s\n" impl "reload cpu ms" "applied in ms" transitions "prio-0 adverts" "GARPs"
	while IFS=$'\t' read -r l c cpu us t p g; do
		[ "$c" = reload ] || continue
		[ "$us" = - ] || us=$(awk -v u="$us" 'BEGIN { printf "%.1f", u / 1000 }')
		printf "%-11s %14s %16s %12s %14s %12s\n" "$l" "$cpu" "$us" "$t" "$p" "$g"
	done <"$results"
fi
