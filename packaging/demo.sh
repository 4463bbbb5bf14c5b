#!/usr/bin/env bash
# demo.sh -- watch keepalived-rs fail over, in about 15 seconds, without touching your network.
#
# Builds the release binary (cargo build --release) unless KA_BIN names one, then builds a
# throw-away LAN of network namespaces: two web servers n1 (priority 100) and n2 (priority 90)
# running our `keepalived` with a plain VRRP config, and a client fetching the virtual IP
# 198.51.100.50. It shows who holds the VIP, stops keepalived on the master as `systemctl stop`
# would, shows the VIP moved and that the client is still answered, and cleans everything up.
# Needs root (network namespaces) and iproute2, util-linux, curl, python3; nginx if present.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "demo.sh builds network namespaces, which needs root: sudo $0"
	exit 1
fi

if [ -z "${KA_BIN:-}" ]; then
	KA_BIN=$repo/target/release/keepalived
	cargo=$(command -v cargo || true)
	[ -z "$cargo" ] && [ -x "$HOME/.cargo/bin/cargo" ] && cargo=$HOME/.cargo/bin/cargo
	if [ -n "$cargo" ]; then
		echo "== building keepalived-rs (cargo build --release)"
		(cd "$repo" && "$cargo" build --release --bin keepalived) || exit 1
	elif [ -n "${SUDO_USER:-}" ]; then
		echo "== building keepalived-rs as $SUDO_USER (cargo build --release)"
		sudo -u "$SUDO_USER" -H bash -lc "cd '$repo' && cargo build --release --bin keepalived" || exit 1
	elif [ ! -x "$KA_BIN" ]; then
		echo "cargo not found and no $KA_BIN: install Rust (https://rustup.rs) or set KA_BIN"
		exit 1
	fi
fi
export KA_BIN
[ -x "$KA_BIN" ] || {
	echo "KA_BIN=$KA_BIN is not an executable"
	exit 1
}

. "$repo/compat-tests/lab/lib.sh"
lab_require curl

lab_init demo
lab_host n1 1
lab_host n2 2
lab_host client 100
web_start n1
web_start n2
for n in n1 n2; do
	prio=100
	[ "$n" = n2 ] && prio=90
	conf_simple "$prio" 2 >"$LAB_DIR/$n/keepalived.conf"
done

echo
echo "== the config of n1 (n2 is the same with priority 90):"
sed 's/^/    /' "$LAB_DIR/n1/keepalived.conf"
echo
echo "== starting $KA_BIN on n1 and n2"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
say "waiting for the election (3 x advert_int + skew, about 3.6 s)..."
expect_vip_only n1 15 "election"
say "the client asks http://$VIP/ and gets: '$(client_get)'"

echo
echo "== stopping keepalived on the master n1 (SIGTERM, as systemctl stop does)"
t0=$(now_ms)
ka_signal n1 TERM
wait_until 10 vip_only n2 || fail "the VIP did not move to n2 within 10 s (holders: '$(who_has_vip)')"
say "the VIP moved to n2 $(($(now_ms) - t0)) ms after the stop; holders now: $(who_has_vip)"
client_expect "served by n2" 5 "the client is still answered"

echo
echo "== what the daemons logged:"
for n in n1 n2; do
	grep -hE 'Entering|priority 0|Stopp' "$LAB_DIR/$n/ka.log" | sed "s/^/    $n: /"
done
echo
say "demo finished; cleaning up the namespaces"
