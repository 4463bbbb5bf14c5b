#!/usr/bin/python3
"""Send one IGMPv3 or MLDv2 general query, as a multicast router (querier) on the LAN would.

Usage: mcast_query.py igmp SRC_ADDR | mcast_query.py mld IFNAME
IGMP: to 224.0.0.1 from SRC_ADDR, TTL 1. MLD: to ff02::1 out of IFNAME (from its link-local
address, which hosts require of a querier), hop limit 1. Maximum response time 1 s, so every
host answers with its reports within a second. Needs root (raw socket).
"""
import socket
import struct
import sys


def checksum(data):
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


if len(sys.argv) != 3 or sys.argv[1] not in ("igmp", "mld"):
    sys.exit(__doc__)
kind, where = sys.argv[1:]
if kind == "igmp":
    # type 0x11, max resp code 10 (1 s), checksum, group 0, S/QRV 2, QQIC 125, no sources
    q = struct.pack("!BBH4sBBH", 0x11, 10, 0, bytes(4), 2, 125, 0)
    q = q[:2] + struct.pack("!H", checksum(q)) + q[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(where))
    s.bind((where, 0))
    s.sendto(q, ("224.0.0.1", 0))
else:
    # type 130, max resp code 1000 ms, group ::, S/QRV 2, QQIC 125, no sources; the kernel
    # fills in the ICMPv6 checksum.
    q = struct.pack("!BBHHH16sBBH", 130, 0, 0, 1000, 0, bytes(16), 2, 125, 0)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
    index = socket.if_nametoindex(where)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    s.sendto(q, ("ff02::1", 0, 0, index))
