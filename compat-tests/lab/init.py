#!/usr/bin/python3
"""PID 1 of one lab node (its own PID, mount and UTS namespace).

It names the node (so keepalived's default SMTP HELO name and config-id are the node's name)
and reaps every orphan at once: nginx and keepalived daemonise or get killed, and an unreaped
zombie would still be counted by the tutorial's `ps -C nginx --no-header | wc -l`.
Usage: init.py NODENAME
"""
import os
import signal
import socket
import sys


def reap(*_):
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


socket.sethostname(sys.argv[1])
signal.signal(signal.SIGCHLD, reap)
# PID 1 ignores signals it has no handler for; the lab tears a node down with SIGKILL from
# outside, which takes every process of the node with it.
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
while True:
    signal.pause()
