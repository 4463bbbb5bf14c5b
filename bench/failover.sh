#!/usr/bin/env bash
# failover.sh -- failover benchmark (not a test): ours (KA_BIN) against real keepalived (REF_BIN).
#
# For each implementation (both nodes run it): n1 priority 100 is master, n2 priority 90 is
# backup, a client probes the VIP with ICMP echo every 10 ms. ROUNDS times each of:
#   SIGKILL  -- every keepalived process on n1 is SIGKILLed and, to model a dead host, the VIP is
#               removed from n1's eth0 at the same moment (a killed daemon leaves it there, and
#               n1's kernel would go on answering the client).
#               Protocol bound: Master_Down_Interval = 3 * advert_int + (256 - 90) / 256 s.
#   SIGTERM  -- n1's daemon is stopped (priority-0 advert). Bound: Skew_Time = (256 - 90) / 256 s.
# Measured from the kill: (a) until n2 holds the VIP (timestamped `ip monitor address` on n2),
# (b) until the client gets an answer again after the outage (first reply following a gap
# > 50 ms). Prints median and max per implementation and kind, next to the bound.
# VRRPv2 skew does not scale with advert_int, hence the formulas above.
# Usage: bench/failover.sh [--rounds N] [--advert-int SECONDS]   (needs root)
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
advert=1
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=${2:?}; shift 2 ;;
	--advert-int) advert=${2:?}; shift 2 ;;
	-h | --help)
		sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "unknown argument: $1 (see --help)"
		exit 2
		;;
	esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "--rounds wants a positive integer"; exit 2; }
[[ $advert =~ ^[1-9][0-9]*$ ]] || { echo "--advert-int wants whole seconds (VRRPv2 rounds fractions)"; exit 2; }

. "$repo/compat-tests/lab/lib.sh"
lab_require killall ps date
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable (cargo build, or set KA_BIN)"
[ -x "$REF_BIN" ] || fail "REF_BIN=$REF_BIN is not an executable (apt-get install keepalived)"
export LAB_ADVERT_INT=$advert

skew_us=$(((256 - 90) * 1000000 / 256))
bound_kill_us=$((3 * advert * 1000000 + skew_us))
bound_term_us=$skew_us

lab_init bench
lab_host n1 1
lab_host n2 2
lab_host client 100
conf_simple 100 2 >"$LAB_DIR/n1/keepalived.conf"
conf_simple 90 2 >"$LAB_DIR/n2/keepalived.conf"
results="$LAB_DIR/results.txt"
: >"$results"

# iso_to_us "2026-11-25T03:00:00.123456" -> microseconds since the epoch (local time, as ip -ts)
iso_to_us() { echo $(($(date -d "$1" +%s%N) / 1000)); }

# converge BIN -- (re)start n1 as needed and wait until only n1 holds the VIP.
converge() {
	ka_running n1 || ka_start n1 "$1" "$LAB_DIR/n1/keepalived.conf" >/dev/null
	expect_vip_only n1 $((6 * advert + 10)) "converge" >/dev/null
	sleep 1 # the client's ARP entry follows n1's gratuitous ARPs
}

# one_round IMPL BIN KIND ROUND
one_round() {
	local impl=$1 bin=$2 kind=$3 r=$4 mon="$LAB_DIR/mon.txt" probe="$LAB_DIR/probe.txt"
	local t0 vip_us="" client_us="" line ts bound
	converge "$bin"
	ip -n "${LAB_NS}n2" -ts monitor address dev eth0 >"$mon" 2>&1 &
	local monpid=$!
	ip netns exec "${LAB_NS}client" "$LAB_PY" "$LAB_HERE/probe.py" "$VIP" 0.01 \
		$((3 * advert + 10)) "$probe" &
	local probepid=$!
	sleep 0.5
	t0=$(($(date +%s%N) / 1000))
	if [ "$kind" = SIGKILL ]; then
		ka_kill9 n1
		ip -n "${LAB_NS}n1" addr del "$VIP/32" dev eth0 2>/dev/null
		bound=$bound_kill_us
	else
		ka_signal n1 TERM
		bound=$bound_term_us
	fi
	wait_until $((3 * advert + 5)) has_vip n2 || fail "$impl $kind round $r: n2 never took the VIP"
	sleep 1.5 # let the client recover and the probe record it
	kill "$monpid" "$probepid" 2>/dev/null
	wait "$monpid" "$probepid" 2>/dev/null
	line=$(grep -F " $VIP/" "$mon" | grep -v -m1 Deleted)
	ts=$(sed -n 's/^\[\([^]]*\)\].*/\1/p' <<<"$line")
	[ -n "$ts" ] && vip_us=$(($(iso_to_us "$ts") - t0))
	client_us=$(awk -v t0="$t0" '
		{ t = $1 * 1000000 }
		t > t0 && prev != "" && t - prev > 50000 { printf "%d", t - t0; found = 1; exit }
		{ prev = t }
		END { if (!found) printf "0" }' "$probe")
	[ -n "$vip_us" ] || fail "$impl $kind round $r: no timestamped VIP event on n2"
	echo "$impl $kind $vip_us $client_us $bound" >>"$results"
	say "$impl $kind round $r: VIP on n2 after $((vip_us / 1000)) ms, client answered after $((client_us / 1000)) ms (bound $((bound / 1000)) ms)"
	ka_kill9 n1 # SIGTERM leaves nothing running, but be sure before the restart
	ka_wait_exit n1 10 || fail "daemon on n1 did not stop"
}

for impl in ours keepalived; do
	bin=$KA_BIN
	[ "$impl" = keepalived ] && bin=$REF_BIN
	say "=== $impl ($bin): $rounds rounds each of SIGKILL and SIGTERM"
	ka_start n2 "$bin" "$LAB_DIR/n2/keepalived.conf" >/dev/null
	for kind in SIGKILL SIGTERM; do
		for ((r = 1; r <= rounds; r++)); do one_round "$impl" "$bin" "$kind" "$r"; done
	done
	ka_kill9 n1
	ka_signal n2 TERM
	ka_wait_exit n2 10 || fail "daemon on n2 did not stop"
	ip -n "${LAB_NS}n1" addr del "$VIP/32" dev eth0 2>/dev/null
	ip -n "${LAB_NS}n2" addr del "$VIP/32" dev eth0 2>/dev/null
done

echo
echo "failover benchmark: $rounds rounds per kind, VRRPv2, advert_int $advert s, priorities 100/90"
echo "bounds: SIGKILL -> Master_Down_Interval $(awk -v u="$bound_kill_us" 'BEGIN{printf "%.4f", u/1e6}') s," \
	"SIGTERM -> Skew_Time $(awk -v u="$bound_term_us" 'BEGIN{printf "%.4f", u/1e6}') s"
echo "(times count from the kill, so they include the dying master's signal handling and the"
echo " kernel's event delivery; SIGKILL lands at an arbitrary point of the backup's down timer)"
printf '%-11s %-8s %-28s %-28s %s\n' impl kind "VIP on backup median/max" "client back median/max" bound
# stats COLUMN -- "median / max s" of a column of microseconds read on stdin.
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f / %.3f s", m / 1e6, v[NR] / 1e6 }'
}
for impl in ours keepalived; do
	for kind in SIGKILL SIGTERM; do
		rows=$(awk -v i="$impl" -v k="$kind" '$1 == i && $2 == k' "$results")
		[ -n "$rows" ] || continue
		bound=$(awk 'NR == 1 { printf "%.4f s", $5 / 1e6 }' <<<"$rows")
		printf '%-11s %-8s %-28s %-28s %s\n' "$impl" "$kind" "$(awk '{ print $3 }' <<<"$rows" | stats)" \
			"$(awk '{ print $4 }' <<<"$rows" | stats)" "$bound"
	done
done
