#!/usr/bin/env bash
# metrics.sh -- `--metrics-listen` and `--status` end to end (keepalived-rs extensions).
# n1 (priority 150, a vrrp_script that always fails with weight -5: effective 145) and n2
# (140, notify_master) both run ours with `--metrics-listen ITS_IP:9650`; every scrape is curl
# inside the node's namespace.
#   election: state gauges say MASTER on n1 and BACKUP on n2, priorities 150/145 and 140, the
#     failing script shows BAD with its runs and exit status, advert counters grow;
#     OpenMetrics on request; bad requests get 4xx and the daemon serves on;
#   --status names state, master, VIPs and the reason; the socket is 0600 root;
#   SIGTERM on n1: n2's gauges flip to MASTER, priority 0 counted, reason "master sent
#     priority 0", a notify latency observed; n1's socket removed, --status exits 3;
#   n1 back: it preempts, n2's reason names the higher-priority advert;
#   SIGKILL on n1: n2 takes over on its master-down timer ("no advert received from master").
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require curl stat
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init metrics
lab_host n1 1
lab_host n2 2
PORT=9650
conf_simple 150 2 "    track_script {
        chk_fail
    }" >"$LAB_DIR/n1/keepalived.conf.tmp"
{
	cat <<-EOF
		vrrp_script chk_fail {
		    script "/bin/false"
		    interval 1
		    weight -5
		}
	EOF
	cat "$LAB_DIR/n1/keepalived.conf.tmp"
} >"$LAB_DIR/n1/keepalived.conf"
conf_simple 140 2 "    notify_master /bin/true" >"$LAB_DIR/n2/keepalived.conf"

# scrape NODE [CURL ARGS...] -- the node's /metrics as its own curl gets it.
scrape() {
	local n=$1
	shift
	node_exec "$n" curl -s --max-time 3 "$@" "http://${LAB_IP[$n]}:$PORT/metrics"
}
# metric NODE SERIES -- the value of the series (name and labels exactly) in a 0.0.4 scrape.
metric() { scrape "$1" | awk -v s="$2" 'index($0, s " ") == 1 { print $NF }'; }
# metric_is NODE SERIES VALUE
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
# metric_at_least NODE SERIES MIN
metric_at_least() {
	local v
	v=$(metric "$1" "$2")
	[ -n "$v" ] && awk -v v="$v" -v m="$3" 'BEGIN { exit !(v + 0 >= m + 0) }'
}
expect_metric() {
	wait_until "$4" metric_is "$1" "$2" "$3" ||
		fail "$1: expected $2 = $3 within $4 s, got '$(metric "$1" "$2")'"
	ok "$1: $2 = $3"
}
# status NODE -- `keepalived --status` for the node's daemon (found from its pid file).
status() { node_exec "$1" "$KA_BIN" --status -p "$LAB_DIR/$1/ka.pid"; }
status_has() {
	local out
	out=$(status "$1" 2>/dev/null) && grep -qF -- "$2" <<<"$out"
}
expect_status() {
	wait_until "$3" status_has "$1" "$2" ||
		fail "$1: --status did not show '$2' within $3 s; it printed:
$(status "$1" 2>&1)"
	ok "$1: --status shows '$2'"
}

ID='iname="VI_1",intf="eth0",vrid="51"'
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf" --metrics-listen "${LAB_IP[n1]}:$PORT"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf" --metrics-listen "${LAB_IP[n2]}:$PORT"
expect_vip_only n1 15 "election (145 after the failing script, against 140)"

say "gauges after the election"
expect_metric n1 "keepalived_vrrp_state{$ID}" 2 5
expect_metric n2 "keepalived_vrrp_state{$ID}" 1 5
expect_metric n1 "keepalived_vrrp_instance_state{$ID,state=\"MASTER\"}" 1 2
expect_metric n1 "keepalived_vrrp_instance_state{$ID,state=\"BACKUP\"}" 0 2
expect_metric n1 "keepalived_vrrp_base_priority{$ID}" 150 2
expect_metric n1 "keepalived_vrrp_effective_priority{$ID}" 145 2
expect_metric n2 "keepalived_vrrp_effective_priority{$ID}" 140 2
expect_metric n1 "keepalived_up" 1 2
expect_metric n1 'keepalived_script_status{name="chk_fail"}' 0 5
expect_metric n1 'keepalived_script_last_exit_status{name="chk_fail"}' 1 2
wait_until 5 metric_at_least n1 'keepalived_script_runs_total{name="chk_fail",result="failure"}' 2 ||
	fail "n1: fewer than 2 failed runs of chk_fail counted"
ok "n1: the failing vrrp_script's failed runs are counted"
# Whole scrapes into variables: `grep -q` on a pipe may close it under curl (pipefail).
BODY=$(scrape n1)
grep -q '^keepalived_build_info{version="' <<<"$BODY" || fail "n1: no keepalived_build_info in: $BODY"

SENT1=$(metric n1 "keepalived_advertisements_sent_total{$ID}")
RCVD1=$(metric n2 "keepalived_advertisements_received_total{$ID}")
sleep 2.5
SENT2=$(metric n1 "keepalived_advertisements_sent_total{$ID}")
RCVD2=$(metric n2 "keepalived_advertisements_received_total{$ID}")
[ -n "$SENT1" ] && [ "$SENT2" -gt "$SENT1" ] || fail "n1: adverts sent did not grow ($SENT1 -> $SENT2)"
[ -n "$RCVD1" ] && [ "$RCVD2" -gt "$RCVD1" ] || fail "n2: adverts received did not grow ($RCVD1 -> $RCVD2)"
ok "counters grow: n1 sent $SENT1 -> $SENT2, n2 received $RCVD1 -> $RCVD2"

say "formats and bad requests"
HEADERS=$(scrape n1 -D - -o /dev/null -H 'Accept: application/openmetrics-text; version=1.0.0')
grep -qi '^content-type: application/openmetrics-text; version=1.0.0' <<<"$HEADERS" ||
	fail "no OpenMetrics content type on request: $HEADERS"
BODY=$(scrape n1 -H 'Accept: application/openmetrics-text')
[ "$(tail -n 1 <<<"$BODY")" = "# EOF" ] ||
	fail "the OpenMetrics exposition does not end with # EOF"
HEADERS=$(scrape n1 -D - -o /dev/null)
grep -qi '^content-type: text/plain; version=0.0.4' <<<"$HEADERS" ||
	fail "no text format 0.0.4 by default"
ok "text 0.0.4 by default, OpenMetrics when Accept asks"
code() { node_exec n1 curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@"; }
[ "$(code -X POST "http://${LAB_IP[n1]}:$PORT/metrics")" = 405 ] || fail "POST /metrics was not 405"
[ "$(code "http://${LAB_IP[n1]}:$PORT/nope")" = 404 ] || fail "GET /nope was not 404"
[ "$(code -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "http://${LAB_IP[n1]}:$PORT/metrics")" = 431 ] ||
	fail "a 9 KB header was not refused with 431"
OUT=$(node_exec n1 bash -c "exec 3<>/dev/tcp/${LAB_IP[n1]}/$PORT; printf 'GARBAGE\x00\x01\r\n\r\n' >&3; head -c 12 <&3")
grep -q '^HTTP/1.1 400' <<<"$OUT" || fail "garbage did not get 400 but '$OUT'"
node_exec n1 bash -c "exec 3<>/dev/tcp/${LAB_IP[n1]}/$PORT; printf 'GET /metr' >&3; exec 3>&-" || true
expect_metric n1 "keepalived_vrrp_state{$ID}" 2 2
ka_running n1 || fail "n1 died after bad requests"
ok "bad requests get 405, 404, 431, 400; the daemon still serves"

say "--status and its socket"
SOCK="$LAB_DIR/n1/ka.sock"
[ -S "$SOCK" ] || fail "no status socket $SOCK beside the pid file"
[ "$(stat -c '%a %U' "$SOCK")" = "600 root" ] || fail "status socket is $(stat -c '%a %U' "$SOCK"), not 600 root"
ok "status socket $SOCK is 0600, owned by root"
expect_status n1 "State:           MASTER" 3
expect_status n1 "Priority:        145 (base 150)" 3
expect_status n1 "Master:          ${LAB_IP[n1]} (this node)" 3
expect_status n1 "Virtual IPs:     $VIP/32" 3
expect_status n2 "State:           BACKUP" 3
expect_status n2 "Master:          ${LAB_IP[n1]} (priority 145)" 3
expect_status n2 "Last transition: INIT -> BACKUP" 3
expect_status n2 "Reason:          startup" 3
# Someone else than root cannot connect (the mode, not just our check, keeps them out).
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
	OUT=$(node_exec n1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$KA_BIN" --status -p "$LAB_DIR/n1/ka.pid" 2>&1)
	RC=$?
	[ "$RC" = 4 ] && grep -q "Permission denied" <<<"$OUT" ||
		fail "--status as nobody: exit $RC, '$OUT' (expected 4 and Permission denied)"
	ok "--status as nobody is refused: $OUT"
fi

say "SIGTERM n1: priority 0, n2 takes over"
ka_signal n1 TERM
expect_vip_only n2 10 "n1 stopped"
expect_metric n2 "keepalived_vrrp_state{$ID}" 2 5
expect_metric n2 "keepalived_vrrp_instance_state{$ID,state=\"MASTER\"}" 1 2
expect_metric n2 "keepalived_priority_zero_received_total{$ID}" 1 2
expect_metric n2 "keepalived_become_master_total{$ID}" 1 2
expect_metric n2 "keepalived_vrrp_transitions_total{$ID}" 2 2
expect_metric n2 "keepalived_notify_start_latency_seconds_count{iname=\"VI_1\"}" 1 5
expect_metric n2 "keepalived_notify_end_latency_seconds_bucket{iname=\"VI_1\",le=\"+Inf\"}" 1 2
expect_status n2 "Last transition: BACKUP -> MASTER" 3
expect_status n2 "Reason:          master sent priority 0" 3
ka_wait_exit n1 10 || fail "n1 did not exit after SIGTERM"
[ ! -e "$SOCK" ] || fail "n1 left its status socket $SOCK behind"
OUT=$(status n1 2>&1)
RC=$?
[ "$RC" = 3 ] || fail "--status with no daemon: exit $RC, not 3 ($OUT)"
grep -q "no keepalived daemon is running" <<<"$OUT" || fail "--status with no daemon printed '$OUT'"
ok "n1's socket is gone; --status: '$OUT' (exit 3)"

say "n1 back: it preempts n2"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf" --metrics-listen "${LAB_IP[n1]}:$PORT"
expect_vip_only n1 15 "n1 restarted"
expect_metric n2 "keepalived_vrrp_state{$ID}" 1 5
expect_metric n2 "keepalived_release_master_total{$ID}" 1 2
expect_status n2 "Last transition: MASTER -> BACKUP" 3
expect_status n2 "Reason:          advert from ${LAB_IP[n1]} with higher priority 145" 3

say "SIGKILL n1: n2 takes over on its master-down timer"
ka_kill9 n1
# A killed daemon cannot remove its VIP: n1 keeps a stale copy, n2 adds its own.
wait_until 10 has_vip n2 || fail "n2 did not take the VIP after n1 was killed"
ok "n1 killed: n2 holds $VIP"
expect_metric n2 "keepalived_vrrp_state{$ID}" 2 5
expect_status n2 "Reason:          no advert received from master" 3
expect_metric n2 "keepalived_vrrp_transitions_total{$ID}" 4 2
status n2 | sed 's/^/    /'
ok "metrics lab passed"
