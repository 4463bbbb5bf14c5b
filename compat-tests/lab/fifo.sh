#!/usr/bin/env bash
# fifo.sh -- the notify FIFO contract of KA_BIN (inventory section 6.4).
#
# n1 (KA_BIN, priority 100): vrrp_notify_fifo (created by the daemon) read by
# vrrp_notify_fifo_script. n2 (KA_BIN, priority 50): notify_fifo (created by the daemon) read by
# notify_fifo_script, and vrrp_notify_fifo on a FIFO the lab made beforehand, read by a `cat`
# loop of the lab's own. Every reader appends what it reads to a file.
# Phases: n1 alone -> BACKUP then MASTER; n2 starts -> BACKUP; SIGHUP n2 (FIFOs closed and
# reopened, notify_fifo_script restarted, no line); SIGTERM n1 -> STOP on n1, n2 -> MASTER;
# SIGTERM n2 -> STOP. Checked: the exact line sequence of every reader
# (`INSTANCE "VI_1" STATE PRIO`), both FIFOs of n2 get every line, the FIFO script gets the FIFO
# path as its last argument and SIGTERM at exit and reload, a FIFO the daemon created has mode
# 0600 (0644 & ~umask 0177) and is removed at exit, the lab's own FIFO is kept.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require mkfifo setsid stat
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init fifo
lab_host n1 1
lab_host n2 2

# reader_script DIR -- a FIFO script recording its argv (one line per start) and SIGTERM, that
# copies the FIFO (its last argument) to DIR/lines. The copying `cat` runs in a session of its
# own so that the SIGTERM sent to the script's process group does not cut it off: it reads
# every buffered line until end of file, as a careful reader does.
reader_script() {
	local d=$1
	cat >"$d/reader.sh" <<-EOF
		#!/bin/bash
		line=""
		for a in "\$@"; do line="\$line<\$a>"; done
		echo "\$line" >>"$d/args"
		trap 'echo TERM >>"$d/term"' TERM
		setsid cat "\${@: -1}" >>"$d/lines" &
		wait \$!
		wait \$!
	EOF
	chmod 755 "$d/reader.sh"
	: >"$d/lines"
	echo "$d/reader.sh"
}

# conf NODE PRIO GLOBAL_LINES -- conf_simple with extra global_defs lines.
conf() {
	conf_simple "$2" 2 | awk -v extra="$3" '{ print } /^ *router_id / { print extra }' >"$LAB_DIR/$1/keepalived.conf"
}

d1="$LAB_DIR/n1"
d2="$LAB_DIR/n2"
r1=$(reader_script "$d1")
r2=$(reader_script "$d2")
conf n1 100 "    vrrp_notify_fifo $d1/vrrp.fifo
    vrrp_notify_fifo_script \"$r1 first-arg\""
conf n2 50 "    notify_fifo $d2/all.fifo
    notify_fifo_script $r2
    vrrp_notify_fifo $d2/own.fifo"

# n2's vrrp FIFO exists before the daemon starts; the lab reads it with cat in a bounded loop
# (a reader sees end of file whenever the daemon closes the FIFO, at reload and at exit).
mkfifo -m 600 "$d2/own.fifo"
: >"$d2/own.lines"
node_exec n2 bash -c "for i in 1 2 3 4; do cat '$d2/own.fifo'; done >>'$d2/own.lines'" </dev/null &

# expect_lines FILE SECONDS LINE... -- wait until FILE holds exactly these lines, in order, then
# check that nothing more arrives for 1 s.
expect_lines() {
	local file=$1 secs=$2 want
	shift 2
	want=$(printf '%s\n' "$@")
	lines_are() { [ "$(cat "$file")" = "$want" ]; }
	if ! wait_until "$secs" lines_are; then
		echo "expected lines in $file:"
		echo "$want" | sed 's/^/    /'
		echo "read:"
		sed 's/^/    /' "$file"
		fail "FIFO lines differ"
	fi
	sleep 1
	[ "$(cat "$file")" = "$want" ] || fail "extra FIFO lines in $file: $(cat "$file" | tail -n +$(($# + 1)))"
	ok "$(basename "$(dirname "$file")")/$(basename "$file"): $(tr '\n' ';' <"$file")"
}

# lines_in FILE N -- FILE exists and has exactly N lines (for wait_until).
lines_in() { [ -f "$1" ] && [ "$(wc -l <"$1")" -eq "$2" ]; }

# expect_mode PATH MODE -- PATH is a FIFO with this octal mode.
expect_mode() {
	[ -p "$1" ] || fail "$1 is not a FIFO"
	[ "$(stat -c %a "$1")" = "$2" ] || fail "$1 has mode $(stat -c %a "$1"), expected $2"
	ok "$1: FIFO, mode $2"
}

say "phase 1: n1 alone: BACKUP, then MASTER"
ka_start n1 "$KA_BIN" "$d1/keepalived.conf"
expect_vip_only n1 15 "n1 alone"
expect_lines "$d1/lines" 5 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_1" MASTER 100'
expect_mode "$d1/vrrp.fifo" 600
[ "$(cat "$d1/args")" = "<first-arg><$d1/vrrp.fifo>" ] ||
	fail "vrrp_notify_fifo_script argv: $(cat "$d1/args")"
ok "vrrp_notify_fifo_script argv: $(cat "$d1/args")"

say "phase 2: n2 (priority 50) starts: BACKUP on both its FIFOs"
ka_start n2 "$KA_BIN" "$d2/keepalived.conf"
expect_lines "$d2/lines" 8 'INSTANCE "VI_1" BACKUP 50'
expect_lines "$d2/own.lines" 2 'INSTANCE "VI_1" BACKUP 50'
expect_mode "$d2/all.fifo" 600
[ "$(cat "$d2/args")" = "<$d2/all.fifo>" ] || fail "notify_fifo_script argv: $(cat "$d2/args")"
sample_vip_only n1 4

say "phase 3: SIGHUP n2: FIFOs reopened, its script restarted, no line"
ka_signal n2 HUP
wait_until 8 lines_in "$d2/args" 2 ||
	fail "notify_fifo_script not restarted by the reload: $(cat "$d2/args")"
wait_until 5 lines_in "$d2/term" 1 || fail "old notify_fifo_script got no SIGTERM at reload"
ok "reload: notify_fifo_script restarted, the old one got SIGTERM"
expect_lines "$d2/lines" 2 'INSTANCE "VI_1" BACKUP 50'

say "phase 4: SIGTERM n1: STOP on n1, n2 becomes MASTER"
ka_signal n1 TERM
ka_wait_exit n1 8 || fail "daemon on n1 still running 8 s after SIGTERM"
expect_lines "$d1/lines" 5 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_1" MASTER 100' \
	'INSTANCE "VI_1" STOP 100'
wait_until 5 lines_in "$d1/term" 1 || fail "vrrp_notify_fifo_script of n1 got no SIGTERM at exit"
[ -e "$d1/vrrp.fifo" ] && fail "n1 left its FIFO $d1/vrrp.fifo behind"
ok "n1: FIFO script got SIGTERM, the FIFO it created is gone"
expect_vip_only n2 15 "n2 takes over"
expect_lines "$d2/lines" 5 'INSTANCE "VI_1" BACKUP 50' 'INSTANCE "VI_1" MASTER 50'
expect_lines "$d2/own.lines" 2 'INSTANCE "VI_1" BACKUP 50' 'INSTANCE "VI_1" MASTER 50'

say "phase 5: SIGTERM n2: STOP on both FIFOs"
ka_signal n2 TERM
ka_wait_exit n2 8 || fail "daemon on n2 still running 8 s after SIGTERM"
expect_lines "$d2/lines" 5 'INSTANCE "VI_1" BACKUP 50' 'INSTANCE "VI_1" MASTER 50' \
	'INSTANCE "VI_1" STOP 50'
expect_lines "$d2/own.lines" 2 'INSTANCE "VI_1" BACKUP 50' 'INSTANCE "VI_1" MASTER 50' \
	'INSTANCE "VI_1" STOP 50'
wait_until 5 lines_in "$d2/term" 2 || fail "notify_fifo_script of n2 got no SIGTERM at exit"
[ -e "$d2/all.fifo" ] && fail "n2 left the FIFO it created behind"
[ -p "$d2/own.fifo" ] || fail "n2 removed the FIFO the lab created"
ok "n2: its own FIFO removed, the lab's FIFO kept"
if grep -Ei 'fifo.*(error|unable|not using)' "$d1/ka.log" "$d2/ka.log"; then
	fail "FIFO errors logged"
fi

say "PASS fifo"
