#!/usr/bin/env python3
"""Kernel TCP peers for tcplab's analysis tests (run inside test network namespaces only).

serve: accept connections, optionally with a small SO_RCVBUF and a slow reader (zero window),
       read each connection to EOF (or reset), then close (server-side active close if asked).
send:  connect (optionally from a fixed source port), send N bytes, optionally idle with
       keep-alives enabled, then close normally or abort with RST (SO_LINGER 0).
"""
import argparse, socket, struct, sys, threading, time


def serve(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    ls.bind((a.host, a.port))
    ls.listen(16)
    print("ready", flush=True)

    def handle(c):
        try:
            if a.sleep:
                time.sleep(a.sleep)
            while True:
                d = c.recv(a.chunk)
                if not d:
                    break
                if a.read_delay:
                    time.sleep(a.read_delay)
            if a.reply:
                c.sendall(b"r" * a.reply)
        except OSError:
            pass
        finally:
            c.close()

    n = 0
    while a.count == 0 or n < a.count:
        c, _ = ls.accept()
        n += 1
        t = threading.Thread(target=handle, args=(c,), daemon=True)
        t.start()
        if a.count and n >= a.count:
            t.join()
    time.sleep(0.2)


def send(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.keepalive:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, a.keepalive)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, a.keepalive)
    if a.sport:
        s.bind(("0.0.0.0", a.sport))
    try:
        s.connect((a.host, a.port))
    except ConnectionRefusedError:
        print("refused", flush=True)
        return
    buf = b"x" * 65536
    left = a.bytes
    while left > 0:
        n = s.send(buf[: min(left, len(buf))])
        left -= n
    if a.idle:
        time.sleep(a.idle)
    if a.rst:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        return
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
ps = sub.add_parser("serve")
ps.add_argument("host"); ps.add_argument("port", type=int)
ps.add_argument("--rcvbuf", type=int, default=0)
ps.add_argument("--sleep", type=float, default=0)
ps.add_argument("--chunk", type=int, default=65536)
ps.add_argument("--read-delay", type=float, default=0)
ps.add_argument("--reply", type=int, default=0)
ps.add_argument("--count", type=int, default=1)
pc = sub.add_parser("send")
pc.add_argument("host"); pc.add_argument("port", type=int); pc.add_argument("bytes", type=int)
pc.add_argument("--sport", type=int, default=0)
pc.add_argument("--keepalive", type=int, default=0)
pc.add_argument("--idle", type=float, default=0)
pc.add_argument("--rst", action="store_true")
a = p.parse_args()
serve(a) if a.cmd == "serve" else send(a)
