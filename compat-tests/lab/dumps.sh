#!/usr/bin/env bash
# dumps.sh -- the signal-triggered dump files of KA_BIN, read by the exporters' rules.
#
# n1 (priority 150) and n2 (priority 100), both KA_BIN, converge on n1. Each daemon runs with
# its own TMPDIR (the nodes share /tmp). On each node: SIGUSR2, `--signum=JSON` and SIGUSR1
# produce keepalived.stats, keepalived.json and keepalived.data; a Python checker applies
# mehdy/keepalived-exporter's ParseVRRPData/ParseStats/ParseVIP and JSON structs and
# gen2brain/keepalived_exporter's parseData/parseStats and JSON struct (peers.md section 3):
# n1 is MASTER (2) and has sent adverts, n2 is BACKUP (1) and has received them, both files
# agree on the instances. Then `--signum=STATS_CLEAR` on n1 writes the stats (still counting)
# and zeroes them: the next SIGUSR2 shows the counters restarted from 0 and growing again.
# keepalived-rs only (real keepalived sends no STATUS=): n1's $NOTIFY_SOCKET received READY=1
# and STATUS=1 BACKUP then STATUS=1 MASTER, then RELOADING=1/READY=1 on SIGHUP and STOPPING=1
# on SIGTERM; n2 restarted with state_dump_file,
# stats_dump_file, json_dump_file, data_use_instance and json_version 2 (keywords keepalived
# 2.2.7 does not know) writes where they say, and the v2 JSON follows a tracked process.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"
SIG_JSON=$("$KA_BIN" --signum=JSON) || fail "$KA_BIN --signum=JSON failed"
SIG_CLEAR=$("$KA_BIN" --signum=STATS_CLEAR) || fail "$KA_BIN --signum=STATS_CLEAR failed"
OURS=0
"$KA_BIN" -v 2>&1 | grep -q keepalived-rs && OURS=1

lab_init dumps
lab_host n1 1
lab_host n2 2
conf_simple 150 2 >"$LAB_DIR/n1/keepalived.conf"
conf_simple 100 2 >"$LAB_DIR/n2/keepalived.conf"

# systemd's side of sd_notify: a datagram socket that logs what it gets, for at most 120 s.
"$LAB_PY" - "$LAB_DIR/n1/notify.sock" "$LAB_DIR/n1/notify.log" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1.0)
end = time.time() + 120
with open(sys.argv[2], "a") as log:
    while time.time() < end:
        try:
            msg = s.recv(4096)
        except socket.timeout:
            continue
        log.write(msg.decode(errors="replace").replace("\n", "|") + "\n")
        log.flush()
EOF
wait_until 5 test -S "$LAB_DIR/n1/notify.sock" || fail "notify socket listener did not start"

for n in n1 n2; do
	mkdir -p "$LAB_DIR/$n/tmp"
	export TMPDIR="$LAB_DIR/$n/tmp"
	if [ "$n" = n1 ]; then export NOTIFY_SOCKET="$LAB_DIR/n1/notify.sock"; fi
	ka_start "$n" "$KA_BIN" "$LAB_DIR/$n/keepalived.conf"
	unset TMPDIR NOTIFY_SOCKET
done
expect_vip_only n1 15 "election"
sleep 3 # a few adverts from n1 reach n2

# dump NODE SIG FILE -- send SIG to NODE's daemon and wait for a fresh FILE in its TMPDIR;
# keeps a copy as FILE.N (N counts the dumps of that file).
declare -A DUMPS=()
dump() {
	local f="$LAB_DIR/$1/tmp/$3" k="$1/$3"
	rm -f "$f"
	ka_signal "$1" "$2"
	wait_until 3 test -s "$f" || fail "$1: no $3 within 3 s of signal $2"
	DUMPS[$k]=$((${DUMPS[$k]:-0} + 1))
	cp "$f" "$f.${DUMPS[$k]}"
}
for n in n1 n2; do
	dump "$n" USR2 keepalived.stats
	dump "$n" "$SIG_JSON" keepalived.json
	dump "$n" USR1 keepalived.data
	ls -l "$LAB_DIR/$n/tmp/keepalived.data" | grep -q '^-rw-------' ||
		fail "$n: keepalived.data is not mode 0600"
done
ok "both nodes wrote keepalived.stats, keepalived.json and keepalived.data in their TMPDIR"

cat >"$LAB_DIR/check.py" <<'EOF'
# check.py MODE ARGS -- the exporters' parsing rules (peers.md section 3), restated.
import json, sys

STATES = ["INIT", "BACKUP", "MASTER", "FAULT"]
COUNTERS = {
    ("Advertisements", "Received"): "advert_rcvd", ("Advertisements", "Sent"): "advert_sent",
    ("Packet Errors", "Length"): "packet_len_err", ("Packet Errors", "TTL"): "ip_ttl_err",
    ("Packet Errors", "Invalid Type"): "invalid_type_rcvd",
    ("Packet Errors", "Advertisement Interval"): "advert_interval_err",
    ("Packet Errors", "Address List"): "addr_list_err",
    ("Authentication Errors", "Invalid Type"): "invalid_authtype",
    ("Authentication Errors", "Type Mismatch"): "authtype_mismatch",
    ("Authentication Errors", "Failure"): "auth_failure",
    ("Priority Zero", "Received"): "pri_zero_rcvd", ("Priority Zero", "Sent"): "pri_zero_sent",
    ("", "Became master"): "become_master", ("", "Released master"): "release_master",
}

def die(msg):
    print("check.py: " + msg)
    sys.exit(1)

def mehdy_data(text):
    data, inst, key = {}, "", ""
    for l in text.splitlines():
        if l.startswith(" VRRP Instance") and "=" in l:
            inst = l.strip().split("=")[1].strip()
            data[inst] = {"vips": []}
        elif l.startswith("   ") and inst:
            if l.startswith("     "):
                val = l.strip()
            else:
                sep = "=" if "=" in l else (":" if ":" in l else None)
                if sep is None:
                    continue
                key = l.strip().split(sep)[0].strip()
                if key == "Virtual IP":
                    continue
                val = l.strip().split(sep)[1].strip()
            d = data[inst]
            if (key.startswith("Virtual IP (") or key == "Virtual IP") and val:
                d["vips"].append(val)
            if key in ("State", "Wantstate"):
                if val not in STATES:
                    die("mehdy: unknown %s %r" % (key, val))
                d[key] = STATES.index(val)
            elif key in ("Interface", "Listening device"):
                d["intf"] = val
            elif key in ("Gratuitous ARP delay", "Virtual Router ID"):
                if not val.lstrip("-").isdigit():
                    die("mehdy: Atoi(%r) for %s" % (val, key))
                d[key] = int(val)
        elif l.startswith(" VRRP Version") or l.startswith(" VRRP Script"):
            continue
        else:
            inst = ""
    for inst, d in data.items():
        for v in d["vips"]:
            if len(v.split(" ")) < 3:
                die("mehdy ParseVIP: %r" % v)
    return data

def stats(text, mehdy):
    out, order, inst, section = {}, [], "", ""
    for l in text.splitlines():
        if l.startswith("VRRP Instance") and ":" in l:
            inst = l.strip().split(":")[1].strip()
            out[inst] = {}
            order.append(inst)
        elif l.startswith("  ") and l.endswith(":"):
            section = l.strip().split(":")[0].strip()
        elif (l.startswith("    ") and section) or (l.startswith("  ") and not l.startswith("    ")):
            if not l.startswith("    "):
                section = ""
            k, v = l.strip().split(":")[0].strip(), l.strip().split(":")[1].strip()
            if not v.isdigit():
                die("%s: Atoi(%r)" % ("mehdy" if mehdy else "gen2brain", v))
            c = COUNTERS.get((section, k))
            if c:
                out[inst][c] = int(v)
    return out, order

def gen2brain_data(text):
    out, dt = [], {}
    for line in text.splitlines():
        if line.startswith(" VRRP Instance") and "=" in line:
            dt["iname"] = line.strip().split("=")[1].strip()
        elif line.startswith("   ") and "=" in line and dt.get("iname"):
            k, v = line.strip().split("=")[0].strip(), line.strip().split("=")[1].strip()
            if k == "Last transition":
                dt["last_transition"] = float(v.split(" ")[0])
            elif k == "Virtual Router ID":
                dt["vrid"] = int(v)
            elif k in ("State", "Wantstate") and v in STATES:
                dt[k] = STATES.index(v)
            elif k == "Interface":
                dt["intf"] = v
        elif line.startswith(" VRRP Version"):
            pass
        elif dt.get("iname"):
            out.append(dt)
            dt = {}
    return out

def go_json(text):
    """encoding/json into the exporters' structs: ints must be integer literals."""
    arr = json.loads(text)
    if not isinstance(arr, list):
        die("json: not an array (json_version 1)")
    ints = ["state", "wantstate", "garp_delay", "vrid", "master_priority", "base_priority",
            "effective_priority", "version", "auth_type"]
    for it in arr:
        d, s = it["data"], it["stats"]
        for k in ints:
            if k in d and (type(d[k]) is not int):
                die("json: %s=%r does not decode into a Go int" % (k, d[k]))
        for k in ("iname", "ifp_ifname"):
            if not isinstance(d.get(k), str):
                die("json: %s is not a string" % k)
        if not isinstance(d.get("last_transition"), (int, float)):
            die("json: last_transition is not a number")
        if sorted(s) != sorted(COUNTERS.values()):
            die("json: stats keys %r" % sorted(s))
        for k, v in s.items():
            if type(v) is not int:
                die("json: stats %s=%r is not an int" % (k, v))
    return arr

mode = sys.argv[1]
if mode == "node":
    # node DIR STATE COUNTER: every consumer sees one VI_1 in STATE with COUNTER > 0.
    d, want, counter = sys.argv[2], STATES.index(sys.argv[3]), sys.argv[4]
    ours = sys.argv[5] == "1"
    data_t, stats_t, json_t = (open(d + "/" + f).read() for f in
                               ("keepalived.data.1", "keepalived.stats.1", "keepalived.json.1"))
    md = mehdy_data(data_t)
    ms, _ = stats(stats_t, True)
    if sorted(md) != sorted(ms) or sorted(md) != ["VI_1"]:
        die("mehdy: data instances %r, stats instances %r" % (sorted(md), sorted(ms)))
    v = md["VI_1"]
    if v.get("State") != want or v.get("Virtual Router ID") != 51 or v.get("intf") != "eth0":
        die("mehdy data: %r" % v)
    if not v["vips"] or v["vips"][0].split(" ")[0] != "198.51.100.50" or v["vips"][0].split(" ")[2] != "eth0":
        die("mehdy VIPs: %r" % v["vips"])
    if ms["VI_1"].get(counter, 0) <= 0 or len(ms["VI_1"]) != 14:
        die("mehdy stats: %r" % ms["VI_1"])
    gd = gen2brain_data(data_t)
    gs, _ = stats(stats_t, False)
    if len(gd) != len(gs) or len(gd) != 1 or gd[0].get("State") != want:
        die("gen2brain data %r / stats %r" % (gd, gs))
    # keepalived 2.2.7's "   Flags: none" line ends gen2brain's block early (no "="), so it
    # only sees State there; keepalived-rs keeps every key it reads inside the block.
    if ours and (gd[0].get("vrid") != 51 or gd[0].get("intf") != "eth0" or "last_transition" not in gd[0]):
        die("gen2brain data %r" % gd)
    arr = go_json(json_t)
    if len(arr) != 1 or arr[0]["data"]["iname"] != "VI_1" or arr[0]["data"]["state"] != want:
        die("json: %r" % arr)
    if arr[0]["data"]["vrid"] != 51 or arr[0]["stats"][counter] <= 0:
        die("json: %r" % arr)
    print("VI_1 state %d, %s %d (text) %d (json), VIP %s" % (
        want, counter, ms["VI_1"][counter], arr[0]["stats"][counter], v["vips"][0]))
elif mode == "sent":
    # sent FILE: print advert_sent and become_master of VI_1 from a stats file.
    s, _ = stats(open(sys.argv[2]).read(), True)
    print(s["VI_1"]["advert_sent"], s["VI_1"]["become_master"])
EOF

for n in n1 n2; do
	if [ "$n" = n1 ]; then want=MASTER counter=advert_sent; else want=BACKUP counter=advert_rcvd; fi
	out=$("$LAB_PY" "$LAB_DIR/check.py" node "$LAB_DIR/$n/tmp" "$want" "$counter" "$OURS") ||
		fail "$n: $out"
	ok "$n: exporters read $out"
done

say "STATS_CLEAR on n1"
read -r sent0 bm0 < <("$LAB_PY" "$LAB_DIR/check.py" sent "$LAB_DIR/n1/tmp/keepalived.stats.1")
dump n1 "$SIG_CLEAR" keepalived.stats
read -r sent1 bm1 < <("$LAB_PY" "$LAB_DIR/check.py" sent "$LAB_DIR/n1/tmp/keepalived.stats.2")
[ "$sent1" -ge "$sent0" ] && [ "$bm1" = 1 ] ||
	fail "STATS_CLEAR must write the counters before zeroing them: sent $sent0 -> $sent1, became master $bm1"
dump n1 USR2 keepalived.stats
read -r sent2 bm2 < <("$LAB_PY" "$LAB_DIR/check.py" sent "$LAB_DIR/n1/tmp/keepalived.stats.3")
[ "$sent2" -le 1 ] && [ "$bm2" = 0 ] ||
	fail "after STATS_CLEAR: advert_sent $sent2 (want 0 or 1), became master $bm2 (want 0)"
sleep 3
dump n1 USR2 keepalived.stats
read -r sent3 _ < <("$LAB_PY" "$LAB_DIR/check.py" sent "$LAB_DIR/n1/tmp/keepalived.stats.4")
[ "$sent3" -ge 2 ] && [ "$sent3" -le 5 ] ||
	fail "3 s after STATS_CLEAR: advert_sent $sent3 (want 2..5 at 1 advert/s)"
ok "STATS_CLEAR: sent $sent1 written, then $sent2, then $sent3 three seconds later"

# The dump-file keywords (keepalived 2.3.3+) and json_version 2 (2.2.8+): n2 restarted with
# its dumps placed by state_dump_file (a directory), stats_dump_file (a file) and
# json_dump_file (a relative name, so under TMPDIR), data_use_instance with `instance lab2`,
# and a vrrp_track_process on `sleep` whose count and quorum the v2 JSON reports.
if [ "$OURS" = 1 ]; then
	say "n2 again with the dump-file keywords, json_version 2 and a tracked process"
	ka_signal n2 TERM
	ka_wait_exit n2 10 || fail "n2 did not stop within 10 s of SIGTERM"
	mkdir -p "$LAB_DIR/n2/dumps"
	rm -f "$LAB_DIR"/n2/tmp/*
	{
		echo "instance lab2"
		echo "global_defs {"
		echo "    router_id lab_node"
		echo "    state_dump_file $LAB_DIR/n2/dumps/"
		echo "    stats_dump_file $LAB_DIR/n2/dumps/n2.stats"
		echo "    json_dump_file sub/n2.json"
		echo "    data_use_instance"
		echo "    json_version 2"
		echo "}"
		echo "vrrp_track_process sleeper {"
		echo "    process sleep"
		echo "    weight 5"
		echo "}"
		conf_simple 100 2 "    track_process {
        sleeper
    }" | sed 1,3d
	} >"$LAB_DIR/n2/keepalived2.conf"
	node_exec n2 sleep 600 &
	wait_until 5 node_exec n2 pgrep -x sleep >/dev/null || fail "n2: sleep did not start"
	export TMPDIR="$LAB_DIR/n2/tmp"
	ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived2.conf"
	unset TMPDIR
	sleep 3 # BACKUP again, priority 105 < 150
	# wait_dump SIG FILE -- signal n2 and wait for FILE to appear.
	wait_dump() {
		rm -f "$2"
		ka_signal n2 "$1"
		wait_until 3 test -s "$2" || fail "n2: no $2 within 3 s of signal $1 ($(find "$LAB_DIR/n2" -type f | tr '\n' ' '))"
	}
	wait_dump USR1 "$LAB_DIR/n2/dumps/keepalived.lab2.data"
	grep -q '^   State = BACKUP$' "$LAB_DIR/n2/dumps/keepalived.lab2.data" ||
		fail "n2: keepalived.lab2.data: $(head -5 "$LAB_DIR/n2/dumps/keepalived.lab2.data")"
	wait_dump USR2 "$LAB_DIR/n2/dumps/n2.stats"
	grep -q '^VRRP Instance: VI_1$' "$LAB_DIR/n2/dumps/n2.stats" || fail "n2: n2.stats"
	wait_dump "$SIG_JSON" "$LAB_DIR/n2/tmp/n2.json"
	[ -z "$(ls "$LAB_DIR/n2/tmp" | grep -v '^n2.json$')" ] ||
		fail "n2: other files in TMPDIR: $(ls "$LAB_DIR/n2/tmp")"
	cat >"$LAB_DIR/v2.py" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
want_count, want_quorum = int(sys.argv[2]), sys.argv[3] == "1"
assert sorted(j) == ["track_process", "vrrp"], sorted(j)
(i,) = j["vrrp"]
d = i["data"]
assert d["iname"] == "VI_1" and d["state"] == 1 and d["track_process"] == ["sleeper"], d
assert d["effective_priority"] == (105 if want_quorum else 100), d["effective_priority"]
(p,) = j["track_process"]
assert p["process"] == "sleeper" and p["param_match"] == "none" and p["weight"] == 5, p
assert p["current_processes"] == want_count and p["have_quorum"] is want_quorum, p
assert p["min_processes"] == 1 and "max_processes" not in p, p
print("state %d, priority %d, sleeper: %d running, quorum %s" % (
    d["state"], d["effective_priority"], p["current_processes"], p["have_quorum"]))
EOF
	out=$("$LAB_PY" "$LAB_DIR/v2.py" "$LAB_DIR/n2/tmp/n2.json" 1 1 2>&1) || fail "n2 json v2: $out"
	ok "n2: dumps in dumps/keepalived.lab2.data, dumps/n2.stats, \$TMPDIR/n2.json; v2: $out"
	node_exec n2 pkill -x sleep
	# The /proc rescan (no proc connector in a lab namespace) sees it within a second or two.
	v2_gone() {
		rm -f "$LAB_DIR/n2/tmp/n2.json"
		ka_signal n2 "$SIG_JSON"
		wait_until 3 test -s "$LAB_DIR/n2/tmp/n2.json" &&
			"$LAB_PY" "$LAB_DIR/v2.py" "$LAB_DIR/n2/tmp/n2.json" 0 0 >/dev/null 2>&1
	}
	wait_until 10 v2_gone ||
		fail "n2 json v2 after the process ended: $("$LAB_PY" "$LAB_DIR/v2.py" "$LAB_DIR/n2/tmp/n2.json" 0 0 2>&1)"
	ok "n2: after sleep ended, $("$LAB_PY" "$LAB_DIR/v2.py" "$LAB_DIR/n2/tmp/n2.json" 0 0)"
	expect_vip_only n1 3 "n1 still master"
fi

if [ "$OURS" = 1 ]; then
	log="$LAB_DIR/n1/notify.log"
	grep -qx 'READY=1' "$log" || fail "no READY=1 on NOTIFY_SOCKET: $(tr '\n' ' ' <"$log")"
	statuses=$(grep '^STATUS=' "$log" | tr '\n' ' ')
	[ "$statuses" = "STATUS=1 BACKUP STATUS=1 MASTER " ] ||
		fail "STATUS= lines on NOTIFY_SOCKET: '$statuses' (want '1 BACKUP' then '1 MASTER')"
	ok "NOTIFY_SOCKET: READY=1, $statuses"
	# A reload is bracketed by RELOADING=1 and READY=1; a stop says STOPPING=1 (the unit is
	# Type=notify: systemd shows "reloading" / "deactivating" from these).
	ka_signal n1 HUP
	reloaded() { grep -A100 -x 'RELOADING=1' "$log" | grep -qx 'READY=1'; }
	wait_until 5 reloaded || fail "SIGHUP: no RELOADING=1 then READY=1: $(tr '\n' ' ' <"$log")"
	ka_signal n1 TERM
	ka_wait_exit n1 10 || fail "n1 did not stop on SIGTERM"
	wait_until 2 grep -qx 'STOPPING=1' "$log" || fail "SIGTERM: no STOPPING=1: $(tr '\n' ' ' <"$log")"
	ok "NOTIFY_SOCKET: RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM"
else
	say "STATUS= check skipped: $KA_BIN is not keepalived-rs"
fi

say "PASS dumps"
