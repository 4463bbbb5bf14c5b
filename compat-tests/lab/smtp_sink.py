#!/usr/bin/python3
"""A minimal SMTP server for the labs: accepts everything and records each dialogue.

Every connection is written to OUTDIR/mail-N.txt as it happens: the first line is
`peer IP`, then one line per client line (`C: ...`), the DATA lines (`D: ...`) and the
server replies (`S: ...`). keepalived speaks HELO / MAIL / RCPT / DATA / QUIT only, so that is
all this server understands; anything else gets a 502, which the test would notice.
With LAB_SMTP_REJECT_RCPT=1 in the environment every RCPT gets a 550 (a failing server).
Usage: smtp_sink.py ADDR PORT OUTDIR
"""
import asyncio
import itertools
import os
import sys

ADDR, PORT, OUTDIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]
COUNTER = itertools.count(1)
IDLE_TIMEOUT = 60
REJECT_RCPT = os.environ.get("LAB_SMTP_REJECT_RCPT") == "1"


async def session(reader, writer):
    n = next(COUNTER)
    peer = writer.get_extra_info("peername")[0]
    with open(os.path.join(OUTDIR, f"mail-{n}.txt"), "w", encoding="utf-8") as log:

        def record(line):
            log.write(line + "\n")
            log.flush()

        async def reply(text):
            record("S: " + text)
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        record(f"peer {peer}")
        await reply("220 lab-smtp ready")
        in_data = False
        while True:
            try:
                raw = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT)
            except asyncio.TimeoutError:
                record("!! idle timeout")
                break
            if not raw:
                record("!! client closed")
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    record("C: .")
                    await reply("250 queued")
                else:
                    record("D: " + line)
                continue
            record("C: " + line)
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "RCPT" and REJECT_RCPT:
                await reply("550 5.1.1 mailbox unavailable")
            elif verb in ("HELO", "EHLO", "MAIL", "RCPT", "RSET", "NOOP"):
                await reply("250 ok")
            elif verb == "DATA":
                in_data = True
                await reply("354 go ahead")
            elif verb == "QUIT":
                await reply("221 bye")
                break
            else:
                await reply("502 not implemented")
    writer.close()


async def main():
    server = await asyncio.start_server(session, ADDR, PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
