#!/bin/bash
# capture.sh NAME CONFFILE [SECONDS] -- run real keepalived 2.2.7 alone in a throwaway network
# namespace and write everything it sends on eth0 to $OUT/NAME.pcap. Root only; used once to
# produce the vectors in this directory, never by the test suite (the .hex files are the test).
# The namespace holds a veth pair (eth0 <-> peer0), eth0 has MAC 02:00:00:00:00:01,
# 198.51.100.1/24 and 2001:db8::1/64 (nodad), IPv6 DAD off so the link-local
# fe80::ff:fe00:1 is usable at once. keepalived becomes master after ~3 advert intervals, is
# stopped with SIGTERM after SECONDS (its priority-0 advert), then the capture ends.
set -u
name=$1 conf=$2 secs=${3:-6}
OUT=${OUT:-/tmp/wirecap}
mkdir -p "$OUT"
ns="kaw$$"
cleanup() {
	[ -n "${kpid:-}" ] && kill "$kpid" 2>/dev/null
	[ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null
	sleep 0.5
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
ip netns add "$ns" || exit 1
x() { ip netns exec "$ns" "$@"; }
x sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
x ip link add eth0 address 02:00:00:00:00:01 type veth peer name peer0 address 02:00:00:00:00:02
x ip link set lo up
x ip link set eth0 up
x ip link set peer0 up
x ip addr add 198.51.100.1/24 dev eth0
x ip addr add 2001:db8::1/64 dev eth0 nodad
# Unicast peers 198.51.100.2 / 2001:db8::2 are static neighbours behind eth0, so unicast
# adverts leave without anyone answering ARP/ND.
x ip neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev eth0 nud permanent
x ip -6 neigh add 2001:db8::2 lladdr 02:00:00:00:00:02 dev eth0 nud permanent
sleep 1
x timeout $((secs + 10)) tcpdump -i eth0 -U -w "$OUT/$name.pcap" >/dev/null 2>&1 &
tpid=$!
sleep 1
d=$(mktemp -d /tmp/wirecap-ka.XXXXXX)
x timeout $((secs + 5)) /usr/sbin/keepalived -n -l -D --vrrp -f "$conf" -p "$d/p" -r "$d/r" -c "$d/c" >"$OUT/$name.log" 2>&1 &
kpid=$!
sleep "$secs"
kill -TERM "$(cat "$d/p")"
for _ in $(seq 1 30); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.2; done
kpid=""
sleep 1
kill "$tpid"; wait "$tpid" 2>/dev/null; tpid=""
rm -rf "$d"
echo "wrote $OUT/$name.pcap"
