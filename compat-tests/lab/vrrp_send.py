#!/usr/bin/python3
"""Send VRRPv2 advertisements, as a peer (or an attacker on the LAN) would.

Usage: vrrp_send.py [--count N] [--every SECONDS] [--ttl TTL] [--bad-sum]
                    IFACE_ADDR VRID PRIORITY ADVERT_INT AUTH_PASS VIP...
Multicast to 224.0.0.18 from the host's IFACE_ADDR, PASS authentication when AUTH_PASS is not
"-". Defaults: one advert, TTL 255, a correct checksum; --bad-sum sends a wrong one. At most
1000 adverts. Needs root (raw socket, protocol 112).
"""
import argparse
import socket
import struct
import time

ap = argparse.ArgumentParser()
ap.add_argument("--count", type=int, default=1)
ap.add_argument("--every", type=float, default=0.1)
ap.add_argument("--ttl", type=int, default=255)
ap.add_argument("--bad-sum", action="store_true")
ap.add_argument("src")
ap.add_argument("vrid", type=int)
ap.add_argument("prio", type=int)
ap.add_argument("adv_int", type=int)
ap.add_argument("password")
ap.add_argument("vips", nargs="+")
a = ap.parse_args()
if not 1 <= a.count <= 1000:
    ap.error("--count must be 1..1000")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


auth_type = 0 if a.password == "-" else 1
auth = b"\0" * 8 if a.password == "-" else a.password.encode()[:8].ljust(8, b"\0")
addrs = b"".join(socket.inet_aton(v) for v in a.vips)
head = struct.pack("!BBBBBBH", 0x21, a.vrid, a.prio, len(a.vips), auth_type, a.adv_int, 0)
msg = head + addrs + auth
csum = checksum(msg) ^ (0x5555 if a.bad_sum else 0)
msg = msg[:6] + struct.pack("!H", csum) + msg[8:]

sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, a.ttl)
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.src))
sock.bind((a.src, 0))
for k in range(a.count):
    if k:
        time.sleep(a.every)
    sock.sendto(msg, ("224.0.0.18", 0))
