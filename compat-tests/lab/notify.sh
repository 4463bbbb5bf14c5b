#!/usr/bin/env bash
# notify.sh -- the notify script contract of KA_BIN (inventory section 6.1/6.2).
#
# n1 (KA_BIN, priority 100) has notify_master / notify_backup / notify_fault / notify_stop and
# the generic notify, all one recording script that appends its argv (and whether the VIP is
# on eth0) to a file. Phases: n1 alone -> BACKUP (init) then MASTER; a peer n2 with priority
# 150 starts -> n1 goes BACKUP; SIGTERM n1 -> STOP. After each phase the exact set of calls is
# checked: `notify` gets `INSTANCE VI_1 STATE 100`, the others only their configured words
# (quoted words kept together), notify_master sees the VIP already present, notify_backup
# after mastership sees it gone, nothing is called twice, notify_fault never. keepalived-rs
# also logs each script's exit status.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init notify
lab_host n1 1
lab_host n2 2

rec="$LAB_DIR/n1/rec.sh"
log="$LAB_DIR/n1/notify.log"
cat >"$rec" <<EOF
#!/bin/sh
line=""
for a in "\$@"; do line="\$line<\$a>"; done
vip=absent
$(command -v ip) -4 -o addr show dev eth0 | grep -q " $VIP/" && vip=present
echo "\$line vip=\$vip uid=\$(id -u)" >>"$log"
EOF
chmod 755 "$rec"
: >"$log"

conf_simple 100 2 "    notify_master \"$rec notify_master 'two words'\"
    notify_backup \"$rec notify_backup\"
    notify_fault \"$rec notify_fault\"
    notify_stop \"$rec notify_stop\"
    notify \"$rec notify\"" >"$LAB_DIR/n1/keepalived.conf"
conf_simple 150 2 >"$LAB_DIR/n2/keepalived.conf"

# expect_calls SECONDS LINE... -- wait until notify.log holds exactly these lines (any order;
# the daemon runs notify scripts concurrently, without waiting for them).
expect_calls() {
	local secs=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort)
	calls_are() { [ "$(sort "$log")" = "$want" ]; }
	if ! wait_until "$secs" calls_are; then
		echo "expected calls:"
		echo "$want" | sed 's/^/    /'
		echo "recorded calls:"
		sed 's/^/    /' "$log"
		fail "notify calls differ"
	fi
	# Nothing more may arrive (a duplicate notification would show up here).
	sleep 1
	got=$(sort "$log")
	[ "$got" = "$want" ] || fail "extra notify calls: $(diff <(echo "$want") <(echo "$got") | grep '^>')"
	ok "notify calls: $(tr '\n' ' ' <"$log")"
}

say "phase 1: n1 alone: BACKUP (init), then MASTER"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
expect_vip_only n1 15 "n1 alone"
expect_calls 5 \
	"<notify_backup> vip=absent uid=0" \
	"<notify><INSTANCE><VI_1><BACKUP><100> vip=absent uid=0" \
	"<notify_master><two words> vip=present uid=0" \
	"<notify><INSTANCE><VI_1><MASTER><100> vip=present uid=0"
: >"$log"

say "phase 2: peer n2 with priority 150 starts: n1 goes BACKUP"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n2 15 "n2 preempts"
expect_calls 5 \
	"<notify_backup> vip=absent uid=0" \
	"<notify><INSTANCE><VI_1><BACKUP><100> vip=absent uid=0"
: >"$log"

say "phase 3: SIGTERM n1: STOP"
ka_signal n1 TERM
ka_wait_exit n1 8 || fail "daemon on n1 still running 8 s after SIGTERM"
expect_calls 5 \
	"<notify_stop> vip=absent uid=0" \
	"<notify><INSTANCE><VI_1><STOP><100> vip=absent uid=0"

# keepalived-rs logs each notify script's end (beyond keepalived, which logs nothing).
if "$KA_BIN" -v 2>&1 | grep -q keepalived-rs; then
	for st in MASTER BACKUP STOP; do
		grep -qE "\(VI_1\) $st notify script $rec exited with status 0" "$LAB_DIR/n1/ka.log" ||
			fail "n1 logged no exit status for its $st notify script: $(grep 'notify script' "$LAB_DIR/n1/ka.log" | tail -n 4)"
	done
	ok "n1 logged every notify script's exit status: $(grep -c 'notify script .* exited with status 0' "$LAB_DIR/n1/ka.log") lines"
fi

say "PASS notify"
