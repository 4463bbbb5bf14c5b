#!/usr/bin/env python3
"""extract.py PCAP INDEX_SPEC -- print frames of a capture.sh pcap, to pick vectors by hand.

`extract.py FILE list` lists every frame (index, length, what it is); `extract.py FILE N SKIP`
prints frame N in hex, 16 bytes a line, without its first SKIP bytes (14 = Ethernet header,
54 = Ethernet + IPv6 header). Reads classic little-endian pcap with Ethernet link type only.
"""
import struct, sys

def frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('<I', data[:4])
    if magic != 0xa1b2c3d4:
        sys.exit('not a little-endian microsecond pcap')
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack('<IIII', data[off:off + 16])
        off += 16
        yield data[off:off + incl]
        off += incl

def describe(fr):
    et = struct.unpack('>H', fr[12:14])[0]
    if et == 0x0806:
        return 'ARP spa %s tpa %s' % ('.'.join(map(str, fr[28:32])), '.'.join(map(str, fr[38:42])))
    if et == 0x0800 and fr[23] == 112:
        return 'VRRPv4 ver %d vrid %d prio %d id %d' % (fr[34] >> 4, fr[35], fr[36], struct.unpack('>H', fr[18:20])[0])
    if et == 0x86dd and fr[20] == 112:
        return 'VRRPv6 ver %d vrid %d prio %d hlim %d' % (fr[54] >> 4, fr[55], fr[56], fr[21])
    if et == 0x86dd and fr[20] == 58 and fr[54] == 136:
        return 'NA tgt %s' % fr[62:78].hex()
    return 'other 0x%04x' % et

fs = list(frames(sys.argv[1]))
if sys.argv[2] == 'list':
    for i, fr in enumerate(fs):
        print(i, len(fr), describe(fr))
else:
    fr = fs[int(sys.argv[2])][int(sys.argv[3]):]
    for i in range(0, len(fr), 16):
        print(' '.join('%02x' % b for b in fr[i:i + 16]))
