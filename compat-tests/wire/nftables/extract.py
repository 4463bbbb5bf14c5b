#!/usr/bin/env python3
"""extract.py STRACE CONF PREFIX [CONF2] -- the nf_tables netlink datagrams in an strace log
(`-e trace=sendto -e write=all`) as PREFIX-N.hex, one per sendto, numbered from 1, with
the configuration (and CONF2, the one a reload switched to) and a summary of the messages as
comments."""
import re
import struct
import sys

NFT = {0: "NEWTABLE", 1: "GETTABLE", 2: "DELTABLE", 3: "NEWCHAIN", 6: "NEWRULE",
       9: "NEWSET", 12: "NEWSETELEM", 14: "DELSETELEM"}
FAM = {0: "", 2: "ip", 10: "ip6"}


def sends(path):
    out, cur = [], None
    for line in open(path):
        if "sendto(" in line:
            cur = bytearray()
            out.append(cur)
            continue
        m = re.match(r"\s*\| ([0-9a-f]{5})  (.{48})", line)
        if m and cur is not None:
            cur.extend(bytes.fromhex(m.group(2).replace(" ", "")))
    return [b for b in out if is_nft(b)]


def is_nft(b):
    if len(b) < 20:
        return False
    ty = struct.unpack_from("<H", b, 4)[0]
    return ty in (0x10, 0x11) or ty >> 8 == 10


def summary(b):
    i, out = 0, []
    while i + 20 <= len(b):
        ln, ty = struct.unpack_from("<IH", b, i)
        fam = b[i + 16]
        name = {0x10: "BATCH_BEGIN", 0x11: "BATCH_END"}.get(ty) or NFT.get(ty & 0xff, str(ty & 0xff))
        out.append(f"{name} {FAM.get(fam, fam)}".strip())
        i += (ln + 3) & ~3
    return out


def main():
    strace, conf, prefix = sys.argv[1:4]
    conf_lines = open(conf).read().rstrip("\n").split("\n")
    if len(sys.argv) > 4:
        conf_lines.append("(SIGHUP after 6 s with this one instead:)")
        conf_lines += open(sys.argv[4]).read().rstrip("\n").split("\n")
    for n, b in enumerate(sends(strace), 1):
        with open(f"{prefix}-{n}.hex", "w") as f:
            f.write(f"# nf_tables netlink datagram {n} keepalived 2.2.7 sent (captured with strace by\n")
            f.write("# compat-tests/wire/nftables/capture.sh; eth0 is ifindex 3, peer0 2, x1 4, x0 5,\n")
            f.write("# VMACs 6, 7, ... in order of creation) for this config:\n")
            for line in conf_lines:
                f.write(f"#   {line}\n")
            f.write("# messages: " + ", ".join(summary(b)) + "\n")
            for j in range(0, len(b), 16):
                f.write(" ".join(f"{x:02x}" for x in b[j:j + 16]) + "\n")


main()
