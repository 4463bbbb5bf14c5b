#!/usr/bin/env bash
# fast_v3.sh -- VRRPv3 at advert_int 0.05 s (benchmark, not a test): failover time against
# the protocol bound, and false transitions while both cores are kept busy; ours (KA_BIN)
# against real keepalived (REF_BIN), in one run, on one LAN.
#
# Failover: a pair of one implementation (n1 priority 100, n2 90, VRID 51). Each round the
#   master's daemons are SIGKILLed and its VIP removed (a dead host). Reference: n1's last
#   advert arriving on n2 (tcpdump in n2's namespace, kernel time); measured: n2's first
#   gratuitous ARP for the VIP on the wire. Bound: Master_Down_Interval = 3 x 50 ms +
#   Skew_Time (v3: (256 - 90) x 50 ms / 256 = 32.421 ms) = 182.421 ms. Implementations
#   alternate round by round.
# Stability: both pairs at once on the same bridge (ours VRID 51 on a1/a2, keepalived VRID 52
#   on b1/b2), both cores kept busy by two spinning processes (nice 0) for SECONDS; every
#   state change a daemon logs during the window is a false transition (nothing happens to
#   the nodes), counted per implementation; the VIP holders are also sampled every ~0.5 s and
#   any sample without exactly one holder per pair is counted.
# Usage: bench/fast_v3.sh [--rounds N] [--seconds S]   (root; KA_BIN defaults to target/release)
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=10
seconds=600
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=${2:?}; shift 2 ;;
	--seconds) seconds=${2:?}; shift 2 ;;
	-h | --help)
		sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) echo "unknown argument: $1 (see --help)"; exit 2 ;;
	esac
done
[[ $rounds =~ ^[0-9]+$ ]] || { echo "--rounds wants a number"; exit 2; }
[[ $seconds =~ ^[0-9]+$ ]] || { echo "--seconds wants a number"; exit 2; }

KA_BIN=${KA_BIN:-$repo/target/release/keepalived}
. "$repo/compat-tests/lab/lib.sh"
lab_require killall tcpdump nice
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable (cargo build --release)"
[ -x "$REF_BIN" ] || fail "REF_BIN=$REF_BIN is not an executable (apt-get install keepalived)"

BOUND_US=$((3 * 50000 + (256 - 90) * 50000 / 256))
VIP_B=$LAB_PREFIX.60

# conf PRIO VRID VIP -- VRRPv3, advert_int 0.05, no authentication.
conf() {
	cat <<EOF
global_defs {
    router_id lab_node
    vrrp_version 3
}
vrrp_instance VI_$2 {
    state BACKUP
    interface eth0
    virtual_router_id $2
    priority $1
    advert_int 0.05
    virtual_ipaddress {
        $3
    }
}
EOF
}

lab_init fastv3
for h in n1:1 n2:2 a1:11 a2:12 b1:21 b2:22; do lab_host "${h%%:*}" "${h##*:}"; done
conf 100 51 "$VIP" >"$LAB_DIR/n1/keepalived.conf"
conf 90 51 "$VIP" >"$LAB_DIR/n2/keepalived.conf"
conf 100 51 "$VIP" >"$LAB_DIR/a1/keepalived.conf"
conf 90 51 "$VIP" >"$LAB_DIR/a2/keepalived.conf"
conf 100 52 "$VIP_B" >"$LAB_DIR/b1/keepalived.conf"
conf 90 52 "$VIP_B" >"$LAB_DIR/b2/keepalived.conf"

# --- failover --------------------------------------------------------------------------
results="$LAB_DIR/failover.txt"
: >"$results"
cap="$LAB_DIR/wire-n2.txt"
n2mac=$(ip -n "${LAB_NS}n2" link show dev eth0 | awk '$1 == "link/ether" { print $2 }')
# usec TIMESTAMP -- tcpdump's "S.U" as integer microseconds.
usec() { awk -v t="$1" 'BEGIN { split(t, a, "."); printf "%s%s", a[1], substr(a[2] "000000", 1, 6) }'; }

round() {
	local impl=$1 bin=$2 r=$3 ref garp
	ka_start n1 "$bin" "$LAB_DIR/n1/keepalived.conf" >/dev/null
	expect_vip_only n1 10 "converge" >/dev/null
	sleep 0.5
	ip netns exec "${LAB_NS}n2" tcpdump -tt -e -n -l --immediate-mode -i eth0 'ip proto 112 or arp' \
		>"$cap" 2>"$LAB_DIR/tcpdump.err" &
	local tcpd=$!
	wait_until 5 grep -q "listening on" "$LAB_DIR/tcpdump.err" || fail "tcpdump did not start"
	sleep 0.3
	ka_kill9 n1
	ip -n "${LAB_NS}n1" addr del "$VIP/32" dev eth0 2>/dev/null
	wait_until 3 has_vip n2 || fail "$impl round $r: n2 never took the VIP"
	sleep 0.3
	kill "$tcpd" 2>/dev/null
	wait "$tcpd" 2>/dev/null
	garp=$(awk -v mac="$n2mac" -v vip="$VIP" '$2 == mac && index($0, "who-has " vip " ") { print $1; exit }' "$cap")
	[ -n "$garp" ] || fail "$impl round $r: no gratuitous ARP from n2 captured"
	ref=$(awk -v src="${LAB_IP[n1]}" -v g="$garp" 'index($0, ": " src " > ") && index($0, "VRRP") && $1 < g { r = $1 }
		END { print r }' "$cap")
	[ -n "$ref" ] || fail "$impl round $r: no advert of n1 before the takeover"
	local d=$(($(usec "$garp") - $(usec "$ref")))
	echo "$impl $d" >>"$results"
	say "$impl round $r: first GARP of n2 $((d / 1000)).$(printf '%03d' $((d % 1000))) ms after n1's last advert (bound $((BOUND_US / 1000)).$((BOUND_US % 1000)) ms)"
	ka_wait_exit n1 5 || fail "daemon on n1 did not stop"
}

for ((r = 1; r <= rounds; r++)); do
	order="ours keepalived"
	[ $((r % 2)) = 0 ] && order="keepalived ours"
	for impl in $order; do
		bin=$KA_BIN
		[ "$impl" = keepalived ] && bin=$REF_BIN
		ka_start n2 "$bin" "$LAB_DIR/n2/keepalived.conf" >/dev/null
		round "$impl" "$bin" "$r"
		ka_signal n2 TERM
		ka_wait_exit n2 10 || fail "daemon on n2 did not stop"
		ip -n "${LAB_NS}n2" addr del "$VIP/32" dev eth0 2>/dev/null
	done
done

# --- stability under load ----------------------------------------------------------------
holders() { # holders ADDR NODE... -- how many of NODE hold ADDR
	local a=$1 n c=0
	shift
	for n in "$@"; do has_vip "$n" "$a" && c=$((c + 1)); done
	echo $c
}
entering() { grep -c "Entering .* STATE" "$LAB_DIR/$1/ka.log"; }
if [ "$seconds" -gt 0 ]; then
	ka_start a2 "$KA_BIN" "$LAB_DIR/a2/keepalived.conf" >/dev/null
	ka_start b2 "$REF_BIN" "$LAB_DIR/b2/keepalived.conf" >/dev/null
	ka_start a1 "$KA_BIN" "$LAB_DIR/a1/keepalived.conf" >/dev/null
	ka_start b1 "$REF_BIN" "$LAB_DIR/b1/keepalived.conf" >/dev/null
	wait_until 10 has_vip a1 || fail "a1 (ours) did not become master"
	wait_until 10 has_vip b1 "$VIP_B" || fail "b1 (keepalived) did not become master"
	sleep 2
	declare -A before
	for n in a1 a2 b1 b2; do before[$n]=$(entering "$n"); done
	spin=()
	for i in 1 2; do
		nice -n 0 sh -c 'while :; do :; done' &
		spin+=($!)
	done
	say "stability: both pairs at advert_int 0.05 for $seconds s, 2 spinning processes"
	bad_a=0 bad_b=0 samples=0
	end=$(($(now_ms) + seconds * 1000))
	while [ "$(now_ms)" -lt "$end" ]; do
		[ "$(holders "$VIP" a1 a2)" = 1 ] || bad_a=$((bad_a + 1))
		[ "$(holders "$VIP_B" b1 b2)" = 1 ] || bad_b=$((bad_b + 1))
		samples=$((samples + 1))
		sleep 0.5
	done
	kill "${spin[@]}" 2>/dev/null
	wait "${spin[@]}" 2>/dev/null
	false_a=$(($(entering a1) - before[a1] + $(entering a2) - before[a2]))
	false_b=$(($(entering b1) - before[b1] + $(entering b2) - before[b2]))
	# What each false transition was (the log lines after the window started).
	for n in a1 a2 b1 b2; do
		grep "Entering .* STATE" "$LAB_DIR/$n/ka.log" | tail -n +$((before[$n] + 1)) | sed "s/^/  $n: /"
	done >"$LAB_DIR/false.txt"
fi

# --- report ------------------------------------------------------------------------------
echo
echo "VRRPv3, advert_int 0.05 s, priorities 100/90; bound = Master_Down_Interval = $((BOUND_US / 1000)).$((BOUND_US % 1000)) ms"
stats() { # stats IMPL -- n, median, max and median - bound (ms) of the failover rows
	awk -v i="$1" '$1 == i { print $2 }' "$results" | sort -n | awk -v b="$BOUND_US" '{ v[NR] = $1 }
		END { if (!NR) { print "no rounds"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%2d rounds: median %7.3f ms, max %7.3f ms, median - bound %+7.3f ms\n", NR, m / 1e3, v[NR] / 1e3, (m - b) / 1e3 }'
}
printf 'failover  ours:       %s' "$(stats ours)"; echo
printf 'failover  keepalived: %s' "$(stats keepalived)"; echo
if [ "$seconds" -gt 0 ]; then
	echo "stability over $seconds s with both cores busy ($samples samples of the holders):"
	echo "  ours:       $false_a false transitions, $bad_a samples without exactly one master"
	echo "  keepalived: $false_b false transitions, $bad_b samples without exactly one master"
	cat "$LAB_DIR/false.txt"
fi
