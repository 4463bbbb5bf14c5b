#!/usr/bin/env bash
# track.sh -- track_file and vrrp_track_process end to end. n1 (priority 150) tracks a file with
# weight -20 and a `sleep` process with weight 0; n2 (140) tracks nothing.
#   echo 1 > file: n1 drops to 130, n2 preempts and holds the VIP; echo 0: n1 (150) takes it back.
#   the tracked sleep killed: n1 goes FAULT, n2 takes over; sleep started again: n1 preempts.
#   SIGHUP with the file at 1 and its weight changed to -5: n1 (145) takes the VIP back, the file
#   is not rewritten by `init_file … overwrite` and is still watched.
# Our daemon runs inside network and PID namespaces here, where the kernel's proc connector
# refuses subscriptions, so the process is followed by the /proc rescan (KNOWN_DIVERGENCES.md).
# Real keepalived 2.2.7 cannot track processes there at all (its instance stays in FAULT), so
# this scenario is for KA_BIN only.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require ps
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init track
lab_host n1 1
lab_host n2 2
FILE="$LAB_DIR/n1/maintenance"
{
	cat <<-EOF
		track_file maint {
		    file "$FILE"
		    weight -20
		    init_file 0 overwrite
		}
		vrrp_track_process sleeper {
		    process sleep
		    quorum 1
		}
	EOF
	conf_simple 150 2 "    track_file {
        maint
    }
    track_process {
        sleeper
    }"
} >"$LAB_DIR/n1/keepalived.conf"
conf_simple 140 2 >"$LAB_DIR/n2/keepalived.conf"

# sleep_start -- the tracked process on n1; prints its pid as n1 sees it.
sleep_start() { node_exec n1 sh -c 'sleep 3600 </dev/null >/dev/null 2>&1 & echo $!'; }
logged() { grep -q -- "$1" "$LAB_DIR/n1/ka.log"; }
fault_logged() { [ "$(grep -c 'Entering FAULT STATE' "$LAB_DIR/n1/ka.log")" -ge "$1" ]; }

SLEEP_PID=$(sleep_start)
[ -n "$SLEEP_PID" ] || fail "could not start the tracked sleep on n1"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n1 15 "election (150 against 140)"
[ "$(cat "$FILE" 2>/dev/null)" = 0 ] || fail "init_file did not create $FILE holding 0"
ok "init_file created $FILE holding 0"

say "echo 1 > $FILE (weight -20: 150 -> 130, below n2's 140)"
echo 1 >"$FILE"
wait_until 5 logged "Changing effective priority from 150 to 130" ||
	fail "n1 did not lower its priority to 130"
ok "n1 logged its priority going from 150 to 130"
expect_vip_only n2 10 "file value 1"

say "echo 0 > $FILE (back to 150)"
echo 0 >"$FILE"
wait_until 5 logged "Changing effective priority from 130 to 150" ||
	fail "n1 did not raise its priority back to 150"
expect_vip_only n1 10 "file value 0"

say "kill the tracked sleep (pid $SLEEP_PID on n1; weight 0 = fault tracker)"
node_exec n1 kill "$SLEEP_PID" || fail "could not kill the tracked sleep"
wait_until 8 fault_logged 1 || fail "n1 did not enter FAULT after the tracked process died"
ok "n1 entered FAULT"
expect_vip_only n2 10 "tracked process gone"
logged "Quorum lost for tracked process sleeper" || fail "no 'Quorum lost' line in n1's log"

say "start the tracked sleep again"
SLEEP_PID=$(sleep_start)
wait_until 8 logged "Quorum gained for tracked process sleeper" || fail "no 'Quorum gained' line in n1's log"
expect_vip_only n1 15 "tracked process back"
sample_vip_only n1 4

say "echo 1 > file again, then SIGHUP with weight -5: the watcher restarts and 145 beats 140"
echo 1 >"$FILE"
expect_vip_only n2 10 "file value 1 again"
sed -i 's/weight -20/weight -5/' "$LAB_DIR/n1/keepalived.conf"
ka_signal n1 HUP
wait_until 5 logged "Changing effective priority from 130 to 145" ||
	fail "n1 did not apply the reloaded weight to the file's current value"
ok "reload: n1's priority went from 130 to 145 with the file still at 1"
expect_vip_only n1 10 "after reload"
[ "$(cat "$FILE")" = 1 ] || fail "init_file overwrite rewrote the file on reload"
ok "init_file overwrite left the file alone on reload"
echo 0 >"$FILE"
wait_until 5 logged "Changing effective priority from 145 to 150" ||
	fail "the file is no longer watched after the reload"
ok "the file is still watched after the reload"
node_exec n1 kill "$SLEEP_PID" 2>/dev/null
say "PASS track"
