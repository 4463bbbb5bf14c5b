#!/usr/bin/env bash
# notify_events.sh -- the notify events beyond state changes (inventory sections 6.1, 6.4), on
# KA_BIN's vrrp_notify_fifo, read by its vrrp_notify_fifo_script.
#
# n1 (KA_BIN): VI_1 (VRID 51, priority 100, notify_master_rx_lower_pri, notify_deleted,
# notify_priority_changes, a vrrp_script of weight -30 driven by a state file) and VI_2
# (VRID 52, priority 50); global fifo_write_vrrp_states_on_reload. n2 (KA_BIN): VI_2 at
# priority 100, so n1's VI_2 stays BACKUP. Phases: start -> VI_1 MASTER, VI_2 BACKUP; n2 sends
# one priority-50 advert for VRID 51 (vrrp_send.py) -> MASTER_RX_LOWER_PRI and the script with
# its configured words only; the check fails -> MASTER_PRIORITY 70; SIGHUP with VI_1 removed ->
# DELETED 70 and VI_2's BACKUP line written again; SIGTERM -> STOP. Checked: the exact FIFO
# line sequence and the script's argv.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require setsid
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init events
lab_host n1 1
lab_host n2 2
d1="$LAB_DIR/n1"
d2="$LAB_DIR/n2"
[ -d "$d1" ] && [ -d "$d2" ] || fail "lab directories missing"

# The FIFO reader: copies the FIFO (its last argument) to lines; `cat` in its own session so
# the SIGTERM of a reload does not cut off what is buffered (as in fifo.sh).
cat >"$d1/reader.sh" <<READER
#!/bin/bash
trap '' TERM
setsid cat "\${@: -1}" >>"$d1/lines" &
wait \$!
READER
cat >"$d1/lower.sh" <<LOWER
#!/bin/bash
line=""
for a in "\$@"; do line="\$line<\$a>"; done
echo "\$line" >>"$d1/lower.args"
LOWER
cat >"$d1/chk.sh" <<CHK
#!/bin/bash
exit \$(cat "$d1/chk.state")
CHK
chmod 755 "$d1/reader.sh" "$d1/lower.sh" "$d1/chk.sh"
echo 0 >"$d1/chk.state"
: >"$d1/lines"

# conf_n1 WITH_VI1 -- n1's config, with (1) or without (0) VI_1.
conf_n1() {
	cat <<GLOBAL
global_defs {
    router_id n1
    vrrp_notify_fifo $d1/vrrp.fifo
    vrrp_notify_fifo_script $d1/reader.sh
    fifo_write_vrrp_states_on_reload
}
vrrp_script chk {
    script $d1/chk.sh
    interval 1
    weight -30
}
GLOBAL
	if [ "$1" = 1 ]; then
		cat <<VI1
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        $VIP
    }
    track_script {
        chk
    }
    notify_master_rx_lower_pri "$d1/lower.sh lower 'two words'"
    notify_deleted
    notify_priority_changes
}
VI1
	fi
	cat <<VI2
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 50
    advert_int 1
    virtual_ipaddress {
        $LAB_PREFIX.52
    }
}
VI2
}
conf_n1 1 >"$d1/keepalived.conf"
conf_n1 0 >"$d1/removed.conf"
cat >"$d2/keepalived.conf" <<N2
global_defs {
    router_id n2
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        $LAB_PREFIX.52
    }
}
N2

# expect_lines SECONDS LINE... -- wait until n1's FIFO reader holds exactly these lines.
expect_lines() {
	local secs=$1 want
	shift
	want=$(printf '%s\n' "$@")
	lines_are() { [ "$(cat "$d1/lines")" = "$want" ]; }
	if ! wait_until "$secs" lines_are; then
		echo "expected:"
		echo "$want" | sed 's/^/    /'
		echo "read:"
		sed 's/^/    /' "$d1/lines"
		fail "FIFO lines differ"
	fi
	ok "FIFO: $(tail -n 1 "$d1/lines")"
}

say "phase 1: n2 (VI_2 priority 100) then n1: VI_1 MASTER, VI_2 BACKUP"
ka_start n2 "$KA_BIN" "$d2/keepalived.conf"
wait_until 10 has_vip n2 "$LAB_PREFIX.52" || fail "n2 did not take VI_2"
ka_start n1 "$KA_BIN" "$d1/keepalived.conf"
expect_vip_only n1 15 "VI_1"
# VI_1 and VI_2 enter BACKUP in config order, then VI_1 becomes MASTER.
expect_lines 5 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_2" BACKUP 50' 'INSTANCE "VI_1" MASTER 100'

say "phase 2: a priority-50 advert for VRID 51 reaches the MASTER"
node_exec n2 "$LAB_PY" "$LAB_HERE/vrrp_send.py" "${LAB_IP[n2]}" 51 50 1 1111 "$VIP" ||
	fail "vrrp_send.py failed"
expect_lines 5 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_2" BACKUP 50' 'INSTANCE "VI_1" MASTER 100' \
	'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100'
wait_until 5 test -s "$d1/lower.args" || fail "notify_master_rx_lower_pri did not run"
[ "$(cat "$d1/lower.args")" = "<lower><two words>" ] ||
	fail "notify_master_rx_lower_pri argv: $(cat "$d1/lower.args")"
ok "notify_master_rx_lower_pri argv: $(cat "$d1/lower.args")"
has_vip n1 || fail "n1 lost the VIP after a lower-priority advert"

say "phase 3: the weighted check fails: MASTER_PRIORITY 70"
echo 1 >"$d1/chk.state"
expect_lines 8 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_2" BACKUP 50' 'INSTANCE "VI_1" MASTER 100' \
	'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100' 'INSTANCE "VI_1" MASTER_PRIORITY 70'

say "phase 4: SIGHUP with VI_1 removed: DELETED, VI_2's state written again"
cp "$d1/removed.conf" "$d1/keepalived.conf"
ka_signal n1 HUP
expect_lines 8 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_2" BACKUP 50' 'INSTANCE "VI_1" MASTER 100' \
	'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100' 'INSTANCE "VI_1" MASTER_PRIORITY 70' \
	'INSTANCE "VI_1" DELETED 70' 'INSTANCE "VI_2" BACKUP 50'
wait_until 5 vip_none || fail "VI_1's VIP still held after its removal: $(who_has_vip)"
ok "VI_1's VIP removed with the instance"

say "phase 5: SIGTERM n1: STOP for VI_2 only"
ka_signal n1 TERM
ka_wait_exit n1 8 || fail "daemon on n1 still running 8 s after SIGTERM"
expect_lines 5 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_2" BACKUP 50' 'INSTANCE "VI_1" MASTER 100' \
	'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100' 'INSTANCE "VI_1" MASTER_PRIORITY 70' \
	'INSTANCE "VI_1" DELETED 70' 'INSTANCE "VI_2" BACKUP 50' 'INSTANCE "VI_2" STOP 50'
ka_signal n2 TERM
ka_wait_exit n2 8 || fail "daemon on n2 still running 8 s after SIGTERM"

say "PASS notify_events"
