"""A fixed delay on one host's link, in user space: the kernel this project's
CI runs on has no sch_netem (`tc qdisc ... netem` fails with "Specified
qdisc kind is unknown"), so the NAT lab delays packets the way netem would,
through an NFQUEUE (iptables' NFQUEUE target, netlink from the standard
library): every packet to or from one NAT router's public address is queued to
this process, which accepts it `delay_ms` later, in order.

The queue sits in the namespace that routes between the NAT routers, in
the raw table, before connection tracking: in a NAT router, two queued
packets of a new flow would each get a connection entry, and the second
would leave from another port.
"""

import collections
import select
import socket
import struct
import threading
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def _attr(kind, payload):
    size = 4 + len(payload)
    return struct.pack("=HH", size, kind) + payload + b"\0" * (-size % 4)


def _message(msg_type, queue, attrs, seq, flags=NLM_F_REQUEST):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags,
                       seq, 0) + body


def _attrs(data):
    at = 0
    while at + 4 <= len(data):
        size, kind = struct.unpack_from("=HH", data, at)
        if size < 4:
            return
        yield kind & 0x7fff, data[at + 4:at + size]
        at += (size + 3) & ~3


class DelayQueue:
    """delay = DelayQueue(netlink_socket, queue=0, delay_ms=40); delay.start()
    before the iptables rules that queue to it; delay.close() at the end."""

    def __init__(self, sock, queue, delay_ms):
        self.sock, self.queue, self.delay = sock, queue, delay_ms / 1000.0
        self.pending = collections.deque()  # (due, packet id), in arrival order
        self.stopping = False
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.sock.bind((0, 0))
        self._configure([_attr(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, 0))])
        self._configure([_attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))])
        self.thread.start()

    def _configure(self, attrs):
        self.sock.send(_message(NFQNL_MSG_CONFIG, self.queue, attrs, 1, NLM_F_REQUEST | NLM_F_ACK))
        reply = self.sock.recv(4096)
        _, kind = struct.unpack_from("=IH", reply)
        if kind == NLMSG_ERROR:
            (code,) = struct.unpack_from("=i", reply, 16)
            if code != 0:
                raise OSError(-code, "NFQUEUE configuration refused")

    def _run(self):
        try:
            while not self.stopping:
                now = time.monotonic()
                while self.pending and self.pending[0][0] <= now:
                    self._accept(self.pending.popleft()[1])
                wait = min(0.05, self.pending[0][0] - now) if self.pending else 0.05
                if select.select([self.sock], [], [], max(0.0, wait))[0]:
                    self._receive(self.sock.recv(65536))
        except OSError as e:
            if not self.stopping:
                self.error = e

    def _receive(self, data):
        at = 0
        while at + 16 <= len(data):
            size, kind = struct.unpack_from("=IH", data, at)
            if size < 16:
                return
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                for attr, value in _attrs(data[at + 20:at + size]):
                    if attr == NFQA_PACKET_HDR:
                        (packet_id,) = struct.unpack_from("!I", value)
                        self.pending.append((time.monotonic() + self.delay, packet_id))
            at += (size + 3) & ~3

    def _accept(self, packet_id):
        verdict = _attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id))
        self.sock.send(_message(NFQNL_MSG_VERDICT, self.queue, [verdict], 0))

    def close(self):
        self.stopping = True
        if self.thread.is_alive():
            self.thread.join(timeout=2)
        self.sock.close()
