#!/usr/bin/python3
"""Send one VRRPv2 advertisement, as a peer would, for the notify-event lab.

Usage: vrrp_send.py IFACE_ADDR VRID PRIORITY ADVERT_INT AUTH_PASS VIP...
Multicast to 224.0.0.18 with TTL 255 from the host's IFACE_ADDR, PASS authentication when
AUTH_PASS is not "-". Needs root (raw socket, protocol 112).
"""
import socket
import struct
import sys

src, vrid, prio, adv_int, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
vips = sys.argv[6:]


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


auth_type = 0 if password == "-" else 1
auth = b"\0" * 8 if password == "-" else password.encode()[:8].ljust(8, b"\0")
addrs = b"".join(socket.inet_aton(v) for v in vips)
head = struct.pack("!BBBBBBH", 0x21, vrid, prio, len(vips), auth_type, adv_int, 0)
msg = head + addrs + auth
msg = msg[:6] + struct.pack("!H", checksum(msg)) + msg[8:]

sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
sock.bind((src, 0))
sock.sendto(msg, ("224.0.0.18", 0))
