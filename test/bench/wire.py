#!/usr/bin/python3
"""A wire with a real round-trip time, in userspace (the kernel here has no netem).

    wire.py --ns NAME --rtt-ms MS --outer-if TAP --inner-if TAP \
            --outer-addr 10.a.b.1/30 --inner-addr 10.a.b.2/30 --ready-file PATH \
            [--stats-file PATH]

Creates network namespace NAME and two TAP devices, one in the root
namespace (--outer-if, --outer-addr) and one inside NAME (--inner-if,
--inner-addr; the namespace's loopback is brought up too), and forwards
every Ethernet frame between them after RTT/2, in order, in each
direction.  Every packet pays: SYN, SYN-ACK, each TLS flight, request and
answer.  Writes --ready-file once both ends are up, then forwards until
SIGTERM or SIGINT, or until the process that started it is gone (a
benchmark killed before its trap could run); on the way out it stops what
still runs in the namespace and deletes it (the TAP devices go with this
process's descriptors) and writes --stats-file: how many frames
it forwarded and how late after their due time it let them go (its own
jitter), as "key value" lines.

Run as root (at real-time priority, when it may).  Single-threaded: one epoll loop, so frames cannot overtake
each other; a frame is held in a queue until it is due, and the loop sleeps
until the earliest due frame or the next arrival.
"""

import argparse
import collections
import ctypes
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
FRAME_MAX = 65536

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def ip(*args, ns=None):
    cmd = (["ip", "netns", "exec", ns, "ip"] if ns else ["ip"]) + list(args)
    subprocess.run(cmd, check=True)


def open_ends(args):
    """The two TAP descriptors, addressed and up."""
    subprocess.run(["ip", "netns", "add", args.ns], check=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    outer = open_tap(args.outer_if)
    inside = os.open(f"/run/netns/{args.ns}", os.O_RDONLY)
    setns(inside)
    try:
        inner = open_tap(args.inner_if)
    finally:
        setns(home)
        os.close(inside)
        os.close(home)
    for dev, ns in ((args.outer_if, None), (args.inner_if, args.ns)):
        subprocess.run((["ip", "netns", "exec", ns] if ns else []) +
                       ["sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1"],
                       check=False, stderr=subprocess.DEVNULL)
    ip("addr", "add", args.outer_addr, "dev", args.outer_if)
    ip("link", "set", args.outer_if, "up")
    ip("addr", "add", args.inner_addr, "dev", args.inner_if, ns=args.ns)
    ip("link", "set", args.inner_if, "up", ns=args.ns)
    ip("link", "set", "lo", "up", ns=args.ns)
    return outer, inner


class Lateness:
    """How late frames left, in ms: a coarse histogram (0.1 ms buckets)."""

    def __init__(self):
        self.buckets = collections.Counter()
        self.count = 0
        self.total = 0.0
        self.worst = 0.0

    def add(self, late_s):
        ms = max(0.0, late_s * 1000)
        self.buckets[int(ms * 10)] += 1
        self.count += 1
        self.total += ms
        self.worst = max(self.worst, ms)

    def quantile(self, q):
        seen, want = 0, q * self.count
        for b in sorted(self.buckets):
            seen += self.buckets[b]
            if seen >= want:
                return (b + 1) / 10
        return 0.0

    def lines(self):
        mean = self.total / self.count if self.count else 0.0
        return [f"frames {self.count}", f"late_mean_ms {mean:.3f}",
                f"late_p50_ms {self.quantile(0.5):.1f}", f"late_p99_ms {self.quantile(0.99):.1f}",
                f"late_max_ms {self.worst:.3f}"]


def forward(outer, inner, delay, stop, late, parent):
    """Until stop(), or until the parent is gone: each frame read from one
    end is written to the other `delay` seconds later, in order."""
    ep = select.epoll()
    ep.register(outer, select.EPOLLIN)
    ep.register(inner, select.EPOLLIN)
    queues = {outer: collections.deque(), inner: collections.deque()}  # by destination
    other = {outer: inner, inner: outer}
    while not stop() and os.getppid() == parent:
        now = time.monotonic()
        due = min((q[0][0] for q in queues.values() if q), default=None)
        if due is not None and due - now <= 0.0005:
            # close enough: nanosleep is finer than epoll's milliseconds
            if due > now:
                time.sleep(due - now)
            timeout = 0
        else:
            timeout = 0.2 if due is None else due - now - 0.0005
        for fd, _ in ep.poll(timeout):
            for _ in range(64):  # drain, but let due frames out in time
                try:
                    frame = os.read(fd, FRAME_MAX)
                except BlockingIOError:
                    break
                queues[other[fd]].append((time.monotonic() + delay, frame))
        now = time.monotonic()
        for dst, q in queues.items():
            while q and q[0][0] <= now:
                t, frame = q.popleft()
                try:
                    os.write(dst, frame)
                except OSError:
                    pass  # e.g. the interface went down: a lost frame, as on a wire
                late.add(now - t)
                now = time.monotonic()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for opt in ("--ns", "--outer-if", "--inner-if", "--outer-addr", "--inner-addr",
                "--ready-file"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--rtt-ms", type=float, required=True)
    ap.add_argument("--stats-file")
    args = ap.parse_args()
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stopping.append(1))
    late = Lateness()
    parent = os.getppid()
    try:
        # ahead of the processes it carries: a frame waits for no one's time slice
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except OSError:
        pass
    try:
        outer, inner = open_ends(args)
        with open(args.ready_file + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(args.ready_file + ".tmp", args.ready_file)
        forward(outer, inner, args.rtt_ms / 2000.0, lambda: bool(stopping), late, parent)
    finally:
        # what still runs in the namespace was started there for the rig
        pids = subprocess.run(["ip", "netns", "pids", args.ns], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", args.ns], check=False, stderr=subprocess.DEVNULL)
        if args.stats_file:
            with open(args.stats_file, "w") as f:
                f.write("\n".join(late.lines()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
