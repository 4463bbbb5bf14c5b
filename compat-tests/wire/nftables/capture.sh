#!/bin/bash
# capture.sh NAME CONFFILE [leftover | reload CONF2] -- run real keepalived 2.2.7 alone in a throwaway network
# namespace under strace and write every nf_tables netlink batch it sends to $OUT/NAME.strace,
# then turn them into NAME-N.hex with extract.py. Root, strace and nft only; used once to
# produce the vectors in this directory, never by the test suite (the .hex files are the test).
# The namespace holds a veth pair eth0 <-> peer0 (the peer is created first, so eth0 is
# ifindex 3) with 198.51.100.1/24 and 2001:db8::1/64, and a second pair x0 <-> x1 (x1 is 4,
# x0 5, up, no address) for VIPs on another interface; VMACs keepalived makes come next (6,
# 7, ...). keepalived becomes master after ~3 s and is stopped with SIGTERM after 6 s.
# With `leftover`, a first keepalived is killed with SIGKILL while master, so that the captured
# run finds its tables (and VMACs) and deletes (takes over) them.
# With `reload CONF2`, CONF2 replaces the configuration after 6 s and keepalived gets SIGHUP;
# it is stopped 4 s later.
set -u
name=$1 conf=$2 leftover=${3:-} conf2=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/nftcap}
mkdir -p "$OUT"
ns="kan$$"
d=$(mktemp -d /tmp/nftcap-ka.XXXXXX)
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	sleep 0.3
	ip netns del "$ns" 2>/dev/null
	rm -rf "$d"
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
x ip link add x0 address 02:00:00:00:00:03 type veth peer name x1 address 02:00:00:00:00:04
x ip link set x0 up
x ip link set x1 up
cp "$conf" "$d/keepalived.conf"
sleep 1
if [ "$leftover" = leftover ]; then
	x timeout 20 /usr/sbin/keepalived -n -l -D --vrrp -f "$d/keepalived.conf" -p "$d/p" -r "$d/r" -c "$d/c" >/dev/null 2>&1 &
	sleep 5
	ip netns pids "$ns" | xargs -r kill -9
	sleep 0.5
	rm -f "$d/p" "$d/r" "$d/c"
	x nft list ruleset >"$OUT/$name.leftover.txt"
fi
x timeout 20 strace -f -e trace=sendto -e write=all -s 0 -o "$OUT/$name.strace" \
	/usr/sbin/keepalived -n -l -D --vrrp -f "$d/keepalived.conf" -p "$d/p" -r "$d/r" -c "$d/c" >"$OUT/$name.log" 2>&1 &
sleep 6
x nft list ruleset >"$OUT/$name.ruleset.txt"
if [ "$leftover" = reload ]; then
	cp "$conf2" "$d/keepalived.conf"
	kill -HUP "$(cat "$d/p")"
	sleep 4
	x nft list ruleset >"$OUT/$name.reloaded.txt"
fi
kill -TERM "$(cat "$d/p")"
for _ in $(seq 1 30); do [ -e "$d/p" ] || break; sleep 0.2; done
sleep 0.5
python3 "$here/extract.py" "$OUT/$name.strace" "$conf" "$OUT/$name" ${conf2:+"$conf2"}
echo "wrote $OUT/$name-*.hex"
