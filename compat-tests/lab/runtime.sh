#!/usr/bin/env bash
# runtime.sh -- the daemon's surroundings, in lab namespaces only.
#
# 1. -s NAMESPACE + `instance`: the daemon is started in host n3 and told to run in host n1's
#    network namespace (a lab namespace: the root namespace is never entered). It must hold
#    the VIP on n1's eth0, write its pid files where keepalived 2.2.7 does
#    (/run/keepalived/NS/keepalived_INST.pid, vrrp_INST.pid), log to journald (a listener on a
#    tmpfs private to n3's mount namespace) with the idents Keepalived_NS_INST /
#    Keepalived_vrrp_NS_INST, -S 1's facility and VRRP_INSTANCE; `-t -s` checks interfaces
#    inside the namespace; -a logs address changes there; a reload changing the instance name
#    is refused; SIGTERM removes the pid files and their directory.
# 2. vrrp_vip_lifetime 3: the master keeps its VIP for 10 s of sampling (renewed), then is
#    SIGKILLed: nobody cleans up, the kernel removes the VIP within the lifetime.
# 3. -V: a stopped master sends no priority 0 (tcpdump on the backup) and leaves its VIP.
# 4. A LAN host sends adverts with a wrong password for 12 s while the backup hears its
#    master: the backup logs at most 5 such lines (the rest are counted for a summary).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require killall ps tcpdump stat mount
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init runtime
RT_PIDDIR=""
rt_cleanup() {
	# The pid directory a SIGKILLed daemon could leave (in the real /run, as keepalived's).
	[ -n "$RT_PIDDIR" ] && rm -rf "$RT_PIDDIR" && rmdir /run/keepalived 2>/dev/null
	lab_cleanup
}
trap rt_cleanup EXIT

lab_host n1 1
lab_host n2 2
lab_host n3 3
NS1="${LAB_NS}n1"
INST=lab
RT_PIDDIR="/run/keepalived/$NS1"

# rt_start NAME LOGNAME ARGS... -- our daemon in host NAME, console log to $LAB_DIR/NAME/LOGNAME.
rt_start() {
	local name=$1 log="$LAB_DIR/$1/$2"
	shift 2
	node_exec "$name" env JOURNAL_STREAM="${RT_JOURNAL_STREAM:-}" "$KA_BIN" -n -l -D "$@" \
		</dev/null >>"$log" 2>&1 &
}

# ---------------------------------------------------------------- 1. namespace and instance
say "phase 1: the daemon in n3, running in n1's namespace ($NS1) as instance $INST"
conf_simple 100 2 >"$LAB_DIR/n1/keepalived.conf"
sed -i "1i instance $INST" "$LAB_DIR/n1/keepalived.conf"
conf_simple 90 2 >"$LAB_DIR/n2/keepalived.conf"

# journald for n3 only: a tmpfs over /run/systemd in n3's private mount namespace.
node_exec n3 mount -t tmpfs tmpfs /run/systemd || fail "cannot mount a tmpfs on n3's /run/systemd"
node_exec n3 mkdir -p /run/systemd/journal
node_exec n3 "$LAB_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\x1e\n")
' "$LAB_DIR/n3/journal.bin" </dev/null >/dev/null 2>&1 &
wait_until 5 node_exec n3 test -S /run/systemd/journal/socket || fail "journald listener did not start"
: >"$LAB_DIR/n3/ka.log"
RT_JOURNAL_STREAM=$(stat -c '%d:%i' "$LAB_DIR/n3/ka.log")

# -t with -s looks interfaces up inside the namespace: `only1` exists in n1, not in n3.
ip -n "$NS1" link add only1 type veth peer name only1p || fail "cannot add only1 in n1"
sed 's/interface eth0/interface only1/' "$LAB_DIR/n1/keepalived.conf" >"$LAB_DIR/n1/only1.conf"
node_exec n3 "$KA_BIN" -t -f "$LAB_DIR/n1/only1.conf" >/dev/null 2>"$LAB_DIR/n3/t-plain.log"
t_plain=$?
node_exec n3 "$KA_BIN" -t -s "$NS1" -f "$LAB_DIR/n1/only1.conf" >/dev/null 2>"$LAB_DIR/n3/t-ns.log"
t_ns=$?
[ "$t_plain" != 0 ] || fail "-t in n3 accepted interface only1 that n3 does not have"
[ "$t_ns" = 0 ] || fail "-t -s $NS1 exited $t_ns: $(cat "$LAB_DIR/n3/t-ns.log")"
ok "-t: interface only1 missing in n3 (status $t_plain), found with -s $NS1 (status 0)"

rt_start n3 ka.log -a -S 1 -s "$NS1" -f "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
MAIN_PID="$RT_PIDDIR/keepalived_$INST.pid"
VRRP_PID="$RT_PIDDIR/vrrp_$INST.pid"
wait_until 10 test -s "$MAIN_PID" || fail "no pid file $MAIN_PID: $(ls -l /run/keepalived 2>&1)"
wait_until 5 test -s "$VRRP_PID" || fail "no pid file $VRRP_PID"
pid=$(cat "$MAIN_PID")
[ "$(cat "$VRRP_PID")" = "$pid" ] || fail "vrrp pid $(cat "$VRRP_PID") differs from $pid"
[ "$(stat -c %a "$RT_PIDDIR")" = 755 ] || fail "$RT_PIDDIR mode $(stat -c %a "$RT_PIDDIR")"
node_exec n3 kill -0 "$pid" || fail "pid $pid of $MAIN_PID is not n3's daemon"
ok "pid files $MAIN_PID and $VRRP_PID name the daemon (pid $pid in n3)"
expect_vip_only n1 15 "election from inside $NS1"
ip -n "${LAB_NS}n3" -4 -o addr show | grep -q " $VIP/" && fail "the VIP landed in n3's namespace"
ok "n3's own namespace has no VIP: the daemon works in n1's"
ip -n "$NS1" addr add 203.0.113.77/32 dev eth0
wait_until 5 grep -q "Netlink reflector reports IP 203.0.113.77 added to eth0" "$LAB_DIR/n3/ka.log" ||
	fail "-a: no line for an address added in $NS1"
ip -n "$NS1" addr del 203.0.113.77/32 dev eth0
wait_until 5 grep -q "Netlink reflector reports IP 203.0.113.77 removed from eth0" "$LAB_DIR/n3/ka.log" ||
	fail "-a: no line for an address removed in $NS1"
ok "-a: address changes in $NS1 logged"

journal() { tr '\036' '\n' <"$LAB_DIR/n3/journal.bin"; }
wait_until 5 sh -c "tr '\\036' '\\n' <'$LAB_DIR/n3/journal.bin' | grep -q 'Entering MASTER STATE'" ||
	fail "no MASTER line reached journald: $(journal | head -20)"
# Each datagram is one record; find the fields of the records holding given messages.
record_of() { "$LAB_PY" -c '
import sys
data = open(sys.argv[1], "rb").read().split(b"\x1e\n")
for rec in data:
    if sys.argv[2].encode() in rec:
        sys.stdout.write(rec.decode(errors="replace"))
        break
' "$LAB_DIR/n3/journal.bin" "$1"; }
m=$(record_of "(VI_1) Entering MASTER STATE")
echo "$m" | grep -qx "SYSLOG_IDENTIFIER=Keepalived_vrrp_${NS1}_$INST" || fail "VRRP line ident: $m"
echo "$m" | grep -qx "SYSLOG_FACILITY=17" || fail "-S 1 is local1 (17): $m"
echo "$m" | grep -qx "VRRP_INSTANCE=VI_1" || fail "no VRRP_INSTANCE: $m"
echo "$m" | grep -qx "PRIORITY=6" || fail "keepalived logs at LOG_INFO: $m"
s=$(record_of "Starting Keepalived")
echo "$s" | grep -qx "SYSLOG_IDENTIFIER=Keepalived_${NS1}_$INST" || fail "parent line ident: $s"
grep -q "Changing syslog ident to Keepalived_${NS1}_$INST" "$LAB_DIR/n3/ka.log" ||
	fail "no 'Changing syslog ident' line"
ok "journald: Keepalived_${NS1}_$INST (start) and Keepalived_vrrp_${NS1}_$INST (VRRP), facility local1, VRRP_INSTANCE=VI_1"

say "SIGHUP with another instance name: refused, the daemon keeps running as it was"
sed -i "s/^instance $INST/instance other/" "$LAB_DIR/n1/keepalived.conf"
node_exec n3 kill -HUP "$pid"
wait_until 5 grep -q "Cannot change instance name at a reload - please restart keepalived" "$LAB_DIR/n3/ka.log" ||
	fail "reload with a new instance name was not refused"
[ -s "$MAIN_PID" ] && [ ! -e "$RT_PIDDIR/keepalived_other.pid" ] || fail "pid files changed"
sample_vip_only n1 4
sed -i "s/^instance other/instance $INST/" "$LAB_DIR/n1/keepalived.conf"

say "SIGTERM: pid files and their directory go, n2 takes over"
node_exec n3 kill -TERM "$pid"
wait_until 10 sh -c "! test -e '$MAIN_PID'" || fail "$MAIN_PID left after SIGTERM"
wait_until 5 sh -c "! test -d '$RT_PIDDIR'" || fail "$RT_PIDDIR left after SIGTERM: $(ls -la "$RT_PIDDIR")"
expect_vip_only n2 8 "takeover after the namespaced master stopped"
ka_signal n2 TERM
ka_wait_exit n2 10 || fail "n2 did not stop"
wait_until 5 vip_none || fail "VIP left after both stopped: '$(who_has_vip)'"
ok "phase 1 done"

# ---------------------------------------------------------------- 2. VIP lifetime
say "phase 2: vrrp_vip_lifetime 3 on the master; SIGKILL; the kernel removes the VIP"
conf_simple 100 2 | sed 's/^    router_id lab_node/    router_id lab_node\n    vrrp_vip_lifetime 3/' \
	>"$LAB_DIR/n1/life.conf"
grep -q "vrrp_vip_lifetime 3" "$LAB_DIR/n1/life.conf" || fail "config edit failed"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/life.conf"
expect_vip_only n1 15 "election with a VIP lifetime"
lft=$(ip -n "$NS1" -4 addr show dev eth0 | grep -A1 " $VIP/" | grep -o 'valid_lft [0-9]*sec')
case "$lft" in
"valid_lft 1sec" | "valid_lft 2sec" | "valid_lft 3sec") ok "VIP installed with $lft" ;;
*) fail "VIP lifetime is '$lft', expected at most 3 s: $(ip -n "$NS1" addr show dev eth0)" ;;
esac
# Alive, the master renews it: 20 samples over 10 s, more than three lifetimes.
sample_vip_only n1 20
ka_kill9 n1
t_kill=$(now_ms)
ka_wait_exit n1 5 || fail "daemon on n1 survived SIGKILL"
wait_until 8 sh -c "! ip -n '$NS1' -4 -o addr show dev eth0 | grep -q ' $VIP/'" ||
	fail "VIP still on n1 8 s after SIGKILL with a 3 s lifetime"
gone_ms=$(($(now_ms) - t_kill))
ok "VIP gone from the killed node $gone_ms ms after SIGKILL (lifetime 3 s; nobody removed it)"

# ---------------------------------------------------------------- 3. -V
say "phase 3: -V on the master: no priority 0 and the VIP stays at stop"
# ka_start has no room for extra options: n1 is started by hand with -V.
rm -f "$LAB_DIR/n1/ka.pid"
node_exec n1 "$KA_BIN" -n -l -D -V --vrrp -f "$LAB_DIR/n1/keepalived.conf" \
	-p "$LAB_DIR/n1/ka.pid" -r "$LAB_DIR/n1/vrrp.pid" </dev/null >>"$LAB_DIR/n1/ka.log" 2>&1 &
wait_until 10 test -s "$LAB_DIR/n1/ka.pid" || fail "n1 -V did not start"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n1 15 "election with -V"
ip netns exec "${LAB_NS}n2" tcpdump -l -n -i eth0 -c 50 'ip proto 112' \
	>"$LAB_DIR/n2/stop.pcap.txt" 2>/dev/null &
tcpd=$!
sleep 1
ka_signal n1 TERM
ka_wait_exit n1 10 || fail "n1 -V did not stop"
has_vip n1 || fail "-V: the stopped master removed its VIP"
wait_until 8 has_vip n2 || fail "n2 did not take over"
sleep 0.5
kill "$tcpd" 2>/dev/null
grep -q "198.51.100.1 > 224.0.0.18" "$LAB_DIR/n2/stop.pcap.txt" || fail "tcpdump saw no advert from n1"
if grep "198.51.100.1 > 224.0.0.18" "$LAB_DIR/n2/stop.pcap.txt" | grep -q "prio 0"; then
	fail "-V: the stopping master sent priority 0: $(cat "$LAB_DIR/n2/stop.pcap.txt")"
fi
ok "-V: no priority 0 on the wire, the VIP stayed on the stopped master"

# ---------------------------------------------------------------- 4. bounded packet-error lines
say "phase 4: 12 s of adverts with a wrong password while the backup hears its master"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
expect_vip_only n1 15 "n1 back as master (leftover VIP removed, preemption)"
before=$(wc -l <"$LAB_DIR/n2/ka.log")
node_exec n3 "$LAB_PY" "$LAB_HERE/vrrp_send.py" --count 120 --every 0.1 \
	"${LAB_IP[n3]}" 51 255 1 guessed "$VIP" || fail "vrrp_send.py failed"
sleep 1
lines=$(tail -n +"$((before + 1))" "$LAB_DIR/n2/ka.log" | grep -c "(VI_1) received an invalid passwd from ${LAB_IP[n3]}!")
# Each good advert from n1 re-arms the line (keepalived's own rule): about 12 lines without a
# bound; the logger allows 5 of a kind a minute.
[ "$lines" -ge 1 ] && [ "$lines" -le 5 ] || fail "n2 logged $lines 'invalid passwd' lines in 12 s"
sample_vip_only n1 2
ok "n2 logged $lines of the attacker's password errors in 12 s (at most 5 a minute)"
say "PASS runtime"
