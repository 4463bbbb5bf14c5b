#!/usr/bin/env bash
# smtp.sh -- the SMTP alert dialogue of KA_BIN (inventory section 7).
#
# An SMTP sink in its own namespace at 198.51.100.129:25 records every dialogue. n1 runs the
# issue's master config (smtp_alert, track_script) and n2 the backup's, both with KA_BIN and
# nginx (the check script needs it). Checked: n1 mails BACKUP (init) then MASTER, n2 mails
# BACKUP; the MASTER mail's dialogue is HELO <node's canonical name>, MAIL FROM:<Alexandre.Cassen@firewall.loc>,
# the three RCPT TO in config order, DATA with Date/From/Subject/X-Mailer/To headers,
# the body line, ".", QUIT. Then the sink is replaced by one that answers every RCPT with 550
# and n1 is stopped: n2 takes the VIP, its MASTER mail is refused, it logs keepalived's line
# with the server and the code, ends the dialogue with QUIT, and keeps the VIP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require nginx curl
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init smtp
lab_host n1 1
lab_host n2 2
lab_host smtp 129
smtp_start smtp
web_start n1
web_start n2
conf_issue MASTER 100 "$(check_script n1)" 1 >"$LAB_DIR/n1/keepalived.conf"
conf_issue BACKUP 90 "$(check_script n2)" 1 >"$LAB_DIR/n2/keepalived.conf"
ka_start n1 "$KA_BIN" "$LAB_DIR/n1/keepalived.conf"
ka_start n2 "$KA_BIN" "$LAB_DIR/n2/keepalived.conf"
expect_vip_only n1 15 "election"

mail_count() { grep -l '^C: QUIT' "$LAB_DIR"/smtp/mail-*.txt 2>/dev/null | wc -l; }
three_mails() { [ "$(mail_count)" -ge 3 ]; }
wait_until 10 three_mails || {
	for f in "$LAB_DIR"/smtp/mail-*.txt; do [ -f "$f" ] && { echo "--- $f" && cat "$f"; }; done
	fail "expected 3 complete mails (n1 BACKUP, n1 MASTER, n2 BACKUP), got $(mail_count)"
}
sleep 1 # a duplicate mail would arrive now

# keepalived's default HELO name (no smtp_helo_name) is the canonical name getaddrinfo
# (AI_CANONNAME) gives for the node name, or "localhost" when that lookup fails (2.2.7:
# global_data.c leaves smtp_helo_name unset, smtp.c falls back). Computed the same way on n1.
helo=$(node_exec n1 "$LAB_PY" -c '
import socket
try:
    print(socket.getaddrinfo(socket.gethostname(), None, flags=socket.AI_CANONNAME)[0][3] or "localhost")
except OSError:
    print("localhost")')
say "expected HELO name on n1: $helo"

EXPECT_HELO=$helo "$LAB_PY" - "$LAB_DIR/smtp" <<'EOF' || fail "SMTP dialogue differs (see above)"
import glob, os, re, sys

mails = []
for path in sorted(glob.glob(sys.argv[1] + "/mail-*.txt")):
    lines = open(path, encoding="utf-8").read().splitlines()
    peer = lines[0].split()[1]
    subject = next((l[len("D: Subject: "):] for l in lines if l.startswith("D: Subject: ")), None)
    mails.append((peer, subject, lines, path))
    print(f"mail from {peer}: {subject}")

def want(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)

pre = "[LVS_DEVEL] VRRP Instance VI_1 - Entering "
got = sorted((p, s) for p, s, _, _ in mails)
want(got == sorted([("198.51.100.1", pre + "BACKUP state"), ("198.51.100.1", pre + "MASTER state"),
                    ("198.51.100.2", pre + "BACKUP state")]),
     "exactly three mails: n1 BACKUP + MASTER, n2 BACKUP")
n1 = [m for m in mails if m[0] == "198.51.100.1"]
want([m[1] for m in n1] == [pre + "BACKUP state", pre + "MASTER state"], "n1 sent BACKUP (init) before MASTER")

_, _, lines, path = next(m for m in mails if m[1] == pre + "MASTER state")
print("--- the MASTER mail (" + path + "):\n" + "\n".join(lines) + "\n---")
cmds = [l[3:] for l in lines if l.startswith("C: ")]
want(cmds == ["HELO " + os.environ["EXPECT_HELO"], "MAIL FROM:<Alexandre.Cassen@firewall.loc>",
              "RCPT TO:<acassen@firewall.loc>", "RCPT TO:<failover@firewall.loc>",
              "RCPT TO:<sysadmin@firewall.loc>", "DATA", ".", "QUIT"],
     "commands: HELO <canonical node name>, MAIL FROM, 3 x RCPT TO in config order, DATA, ., QUIT")
data = [l[3:] for l in lines if l.startswith("D: ")]
blank = data.index("") if "" in data else len(data)
headers, body = data[:blank], data[blank + 1:]
names = [h.split(":", 1)[0] for h in headers]
want(names == ["Date", "From", "Subject", "X-Mailer", "To"], "headers Date, From, Subject, X-Mailer, To")
hdr = dict(h.split(": ", 1) for h in headers)
want(re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", hdr["Date"]) is not None,
     "Date: " + hdr["Date"])
want(hdr["From"] == "Alexandre.Cassen@firewall.loc", "From: Alexandre.Cassen@firewall.loc")
want(hdr["Subject"] == pre + "MASTER state", "Subject: " + pre + "MASTER state")
want(hdr["X-Mailer"] == "Keepalived", "X-Mailer: Keepalived")
want(all(a in data[names.index("To")] + "".join(body) for a in
         ["acassen@firewall.loc", "failover@firewall.loc", "sysadmin@firewall.loc"]),
     "To: lists the three addresses")
want("=> VRRP Instance is now owning VRRP VIPs <=" in body, "body: => VRRP Instance is now owning VRRP VIPs <=")
EOF

say "phase 2: a server that refuses the recipients"
node_exec smtp pkill -f smtp_sink.py
mkdir -p "$LAB_DIR/smtp/reject"
LAB_SMTP_REJECT_RCPT=1 node_exec smtp "$LAB_PY" "$LAB_HERE/smtp_sink.py" "${LAB_IP[smtp]}" 25 \
	"$LAB_DIR/smtp/reject" </dev/null >"$LAB_DIR/smtp/reject.log" 2>&1 &
wait_until 5 smtp_listening smtp || fail "rejecting SMTP sink did not start: $(cat "$LAB_DIR/smtp/reject.log")"
ka_signal n1 TERM
expect_vip_only n2 10 "n1 stopped"
refused() { grep -qF "Error processing RCPT cmd on SMTP server [${LAB_IP[smtp]}]:25. SMTP status code = 550" "$LAB_DIR/n2/ka.log"; }
wait_until 10 refused || fail "n2 logged no refused RCPT: $(grep -i smtp "$LAB_DIR/n2/ka.log" | tail -n 3)"
ok "n2 logged: $(grep -oF "Error processing RCPT cmd on SMTP server [${LAB_IP[smtp]}]:25. SMTP status code = 550" "$LAB_DIR/n2/ka.log" | head -n 1)"
quit_after_550() { grep -A1 '^S: 550' "$LAB_DIR"/smtp/reject/mail-*.txt 2>/dev/null | grep -q 'C: QUIT'; }
wait_until 3 quit_after_550 || fail "n2 did not QUIT after the 550: $(cat "$LAB_DIR"/smtp/reject/mail-*.txt 2>/dev/null)"
ok "n2's dialogue after the 550: $(grep -A1 -h '^S: 550' "$LAB_DIR"/smtp/reject/mail-*.txt | tr '\n' ' ')"
sample_vip_only n2 2
ka_running n2 || fail "daemon on n2 is gone"

say "PASS smtp"
