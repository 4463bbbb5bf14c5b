#!/usr/bin/env bash
# failover.sh -- failover benchmark (not a test): ours (KA_BIN) against real keepalived (REF_BIN).
#
# For each implementation (both nodes run it): n1 priority 100 is master, n2 priority 90 is
# backup, a client probes the VIP with ICMP echo every 10 ms. ROUNDS times each of:
#   SIGKILL  -- every keepalived process on n1 is SIGKILLed and, to model a dead host, the VIP is
#               removed from n1's eth0 right after (a killed daemon leaves it there, and n1's
#               kernel would go on answering the client).
#               Reference: the last advert from n1 that reached n2 (n2's Master_Down timer was
#               restarted by it, so the kill itself lands at an arbitrary point of that timer).
#               Protocol bound: Master_Down_Interval = 3 * advert_int + (256 - 90) / 256 s.
#   SIGTERM  -- n1's daemon is stopped. Reference: n1's priority-0 advert arriving on n2.
#               Protocol bound: Skew_Time = (256 - 90) / 256 s.
# Measured from the reference: (a) until n2 holds the VIP (timestamped `ip monitor address` on
# n2), (b) until the client gets an answer again after the outage (first reply following a gap
# > 50 ms). Arrivals on n2 come from tcpdump -tt in n2's namespace (kernel receive time of
# n2's eth0). tcpdump -tt, `ip -ts monitor`, the prober's time.time() and date +%s%N all read
# CLOCK_REALTIME, so the differences are meaningful. The old "from the kill" figures are
# printed too, and (c) the first gratuitous ARP for the VIP that n2 puts on the wire (kernel
# timestamp; `ip monitor` stamps an event only when it gets scheduled, a few ms late on a busy
# machine, so (b) can come out before (a)). Implementations alternate round by round (same
# conditions for both).
# VRRPv2 skew does not scale with advert_int, hence the formulas above.
# KA_BIN defaults to target/release/keepalived here (build it with cargo build --release).
# Usage: bench/failover.sh [--rounds N] [--advert-int SECONDS]   (needs root, tcpdump)
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

# A benchmark measures the optimised build; lib.sh's default (debug) is for the labs.
KA_BIN=${KA_BIN:-$repo/target/release/keepalived}
. "$repo/compat-tests/lab/lib.sh"
lab_require killall ps date tcpdump
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable (cargo build --release, or set KA_BIN)"
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

# VRRP and ARP on n2's eth0 for the whole run (received and sent), one line per packet:
# "EPOCH.USEC SRCMAC > DSTMAC, ethertype ..., length N: SRC > 224.0.0.18: VRRPv2, ..., prio N, ..."
# --immediate-mode so a round's lines are in the file when the round reads them.
cap="$LAB_DIR/wire-n2.txt"
n2mac=$(ip -n "${LAB_NS}n2" link show dev eth0 | awk '$1 == "link/ether" { print $2 }')
[ -n "$n2mac" ] || fail "no MAC address on n2's eth0"
ip netns exec "${LAB_NS}n2" tcpdump -tt -e -n -l --immediate-mode -i eth0 'ip proto 112 or arp' \
	>"$cap" 2>"$LAB_DIR/tcpdump.err" &
wait_until 5 grep -q "listening on" "$LAB_DIR/tcpdump.err" ||
	fail "tcpdump in n2 did not start: $(cat "$LAB_DIR/tcpdump.err")"

# iso_to_us "2026-11-25T03:00:00.123456" -> microseconds since the epoch (local time, as ip -ts)
iso_to_us() { echo $(($(date -d "$1" +%s%N) / 1000)); }

# adverts_from SRC -- "USEC PRIO" per VRRP packet from SRC in the capture (exact integer
# microseconds: mawk's %d stops at 2^31, so the epoch is built from its two halves as a string).
adverts_from() {
	awk -v src="$1" 'index($0, ": " src " > ") && index($0, ": VRRP") {
		split($1, t, "."); p = ""
		for (i = 4; i < NF; i++) if ($i == "prio") { p = $(i + 1); sub(",", "", p) }
		if (p != "") printf "%s%s %s\n", t[1], substr(t[2] "000000", 1, 6), p
	}' "$cap"
}

# garps_from_n2 -- USEC of every gratuitous ARP for the VIP that n2 sent (request "who-has VIP
# [(MAC)] tell VIP" or reply "VIP is-at"): the moment the new master announces the address on the wire,
# timestamped by the kernel, unlike `ip monitor` whose stamp is taken when it gets scheduled.
garps_from_n2() {
	awk -v mac="$n2mac" -v vip="$VIP" '$2 == mac && (index($0, "who-has " vip " ") && index($0, " tell " vip ",") ||
		index($0, "Reply " vip " is-at ")) {
		split($1, t, "."); printf "%s%s\n", t[1], substr(t[2] "000000", 1, 6)
	}' "$cap"
}

# converge BIN -- (re)start n1 as needed and wait until only n1 holds the VIP.
converge() {
	ka_running n1 || ka_start n1 "$1" "$LAB_DIR/n1/keepalived.conf" >/dev/null
	expect_vip_only n1 $((6 * advert + 10)) "converge" >/dev/null
	sleep 1 # the client's ARP entry follows n1's gratuitous ARPs
}

# one_round IMPL BIN KIND ROUND
one_round() {
	local impl=$1 bin=$2 kind=$3 r=$4 mon="$LAB_DIR/mon.txt" probe="$LAB_DIR/probe.txt"
	local t0 vip_abs="" client_abs="" ref="" garp="" line ts bound n1ip=${LAB_IP[n1]}
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
	sleep 1.5 # let the client recover, the probe and the capture record it
	kill "$monpid" "$probepid" 2>/dev/null
	wait "$monpid" "$probepid" 2>/dev/null
	line=$(grep -F " $VIP/" "$mon" | grep -v -m1 Deleted)
	ts=$(sed -n 's/^\[\([^]]*\)\].*/\1/p' <<<"$line")
	[ -n "$ts" ] && vip_abs=$(iso_to_us "$ts")
	[ -n "$vip_abs" ] || fail "$impl $kind round $r: no timestamped VIP event on n2"
	client_abs=$(awk -v t0="$t0" '
		{ split($1, s, "."); t = s[1] * 1000000 + substr(s[2] "000000", 1, 6) }
		t > t0 && prev != "" && t - prev > 50000 { printf "%.0f", t; found = 1; exit }
		{ prev = t }
		END { if (!found) printf "0" }' "$probe")
	[ "$client_abs" != 0 ] || fail "$impl $kind round $r: the client never recovered (see $probe)"
	if [ "$kind" = SIGKILL ]; then
		# The last advert of n1 before n2 took over (one may leave between t0 and the kill).
		ref=$(adverts_from "$n1ip" | awk -v v="$vip_abs" '$1 < v { r = $1; p = $2 }
			END { if (r != "" && p != 0) print r }')
		[ -n "$ref" ] || fail "$impl $kind round $r: no advert of n1 before the takeover" \
			"(or its last one had priority 0: the daemon was not killed hard)"
	else
		ref=$(adverts_from "$n1ip" | awk -v t0="$t0" '$1 >= t0 && $2 == 0 { print $1; exit }')
		[ -n "$ref" ] || fail "$impl $kind round $r: n2 saw no priority-0 advert from n1"
	fi
	garp=$(garps_from_n2 | awk -v r="$ref" '$1 > r { print; exit }')
	[ -n "$garp" ] || fail "$impl $kind round $r: n2 sent no gratuitous ARP for $VIP"
	# impl kind vip-from-ref client-from-ref bound vip-from-kill client-from-kill kill-after-ref
	# garp-from-ref
	echo "$impl $kind $((vip_abs - ref)) $((client_abs - ref)) $bound" \
		"$((vip_abs - t0)) $((client_abs - t0)) $((t0 - ref)) $((garp - ref))" >>"$results"
	say "$impl $kind round $r: from the $([ "$kind" = SIGKILL ] && echo "last advert" || echo "prio-0 advert")" \
		"VIP on n2 after $(((vip_abs - ref) / 1000)) ms, client answered after" \
		"$(((client_abs - ref) / 1000)) ms, first GARP after $(((garp - ref) / 1000)) ms" \
		"(bound $((bound / 1000)) ms; kill was" \
		"$(((t0 - ref) / 1000)) ms after the reference)"
	ka_kill9 n1 # SIGTERM leaves nothing running, but be sure before the restart
	ka_wait_exit n1 10 || fail "daemon on n1 did not stop"
}

# The implementations alternate (and swap which goes first) round by round, so that a change
# of machine load over the run hits both alike.
for ((r = 1; r <= rounds; r++)); do
	order="ours keepalived"
	[ $((r % 2)) = 0 ] && order="keepalived ours"
	for impl in $order; do
		bin=$KA_BIN
		[ "$impl" = keepalived ] && bin=$REF_BIN
		say "=== round $r/$rounds: $impl ($bin), SIGKILL then SIGTERM"
		ka_start n2 "$bin" "$LAB_DIR/n2/keepalived.conf" >/dev/null
		for kind in SIGKILL SIGTERM; do one_round "$impl" "$bin" "$kind" "$r"; done
		ka_kill9 n1
		ka_signal n2 TERM
		ka_wait_exit n2 10 || fail "daemon on n2 did not stop"
		ip -n "${LAB_NS}n1" addr del "$VIP/32" dev eth0 2>/dev/null
		ip -n "${LAB_NS}n2" addr del "$VIP/32" dev eth0 2>/dev/null
	done
done

echo
echo "failover benchmark: $rounds rounds per kind, VRRPv2, advert_int $advert s, priorities 100/90"
echo "bounds: SIGKILL -> Master_Down_Interval $(awk -v u="$bound_kill_us" 'BEGIN{printf "%.4f", u/1e6}') s" \
	"from n1's last advert on n2; SIGTERM -> Skew_Time $(awk -v u="$bound_term_us" 'BEGIN{printf "%.4f", u/1e6}') s" \
	"from n1's priority-0 advert on n2"
echo "times in ms: med = median, max, d = median - bound (positive: slower than the protocol bound)"
# stats -- "median max median-bound" (ms, one decimal) of microseconds on stdin; $1 = bound.
stats() {
	sort -n | awk -v b="$1" '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%8.1f %8.1f %+7.1f", m / 1e3, v[NR] / 1e3, (m - b) / 1e3 }'
}
# median -- median of microseconds on stdin, in ms.
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		printf "%8.1f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1e3 }'
}
printf '%-10s %-7s %8s | %-25s | %-25s | %-25s | %s\n' "" "" "" "VIP on n2 (ip monitor)" \
	"client answered" "first GARP of n2 (wire)" "from the kill (median)"
printf '%-10s %-7s %8s | %8s %8s %7s | %8s %8s %7s | %8s %8s %7s | %8s %8s\n' impl kind bound \
	med max d med max d med max d VIP client
for impl in ours keepalived; do
	for kind in SIGKILL SIGTERM; do
		rows=$(awk -v i="$impl" -v k="$kind" '$1 == i && $2 == k' "$results")
		[ -n "$rows" ] || continue
		bound=$(awk 'NR == 1 { print $5 }' <<<"$rows")
		printf '%-10s %-7s %8.1f | %s | %s | %s | %s %s\n' "$impl" "$kind" \
			"$(awk -v b="$bound" 'BEGIN { printf "%.1f", b / 1e3 }')" \
			"$(awk '{ print $3 }' <<<"$rows" | stats "$bound")" \
			"$(awk '{ print $4 }' <<<"$rows" | stats "$bound")" \
			"$(awk '{ print $9 }' <<<"$rows" | stats "$bound")" \
			"$(awk '{ print $6 }' <<<"$rows" | median)" "$(awk '{ print $7 }' <<<"$rows" | median)"
	done
done
echo "raw rows (us): impl kind vip-from-ref client-from-ref bound vip-from-kill client-from-kill kill-after-ref garp-from-ref"
cat "$results"
