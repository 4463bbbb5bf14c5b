#!/usr/bin/python3
"""ICMP echo prober for the failover benchmark (the image has no ping).

Sends an echo request to ADDR every INTERVAL seconds for at most DURATION seconds (or until
SIGTERM) and writes one line per echo reply received: `EPOCH_SECONDS SEQ`, flushed at once.
Needs root (raw socket). Usage: probe.py ADDR INTERVAL DURATION OUTFILE
"""
import os
import select
import signal
import socket
import struct
import sys
import time

addr, interval, duration, outfile = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
ident = os.getpid() & 0xFFFF


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def request(seq):
    body = b"keepalived-rs failover probe"
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, checksum(header + body), ident, seq) + body


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
out = open(outfile, "w", encoding="ascii")
end = time.monotonic() + duration
next_send = time.monotonic()
seq = 0
while time.monotonic() < end:
    now = time.monotonic()
    if now >= next_send:
        seq = (seq + 1) & 0xFFFF
        try:
            sock.sendto(request(seq), (addr, 0))
        except OSError:
            pass  # no route / neighbour yet: counts as a lost probe
        next_send += interval
        if next_send < now:
            next_send = now + interval
    ready, _, _ = select.select([sock], [], [], max(0.0, next_send - time.monotonic()))
    if ready:
        packet = sock.recv(2048)
        ihl = (packet[0] & 0x0F) * 4
        icmp_type, _code, _sum, rid, rseq = struct.unpack("!BBHHH", packet[ihl:ihl + 8])
        if icmp_type == 0 and rid == ident:
            out.write(f"{time.time():.6f} {rseq}\n")
            out.flush()
