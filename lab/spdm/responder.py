#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A stub SPDM responder for QEMU's spdm_port socket: lab scaffolding.

THIS IS TEST SCAFFOLDING FOR THE DOE LAB, NOT AN SPDM IMPLEMENTATION.  It has
no keys, no certificates, no measurements and no sessions.  It exists so that
a QEMU device with spdm_port=N (e.g. "-device nvme,...,spdm_port=N") starts,
and so that the lab can watch CMA/SPDM requests coming out of the guest's DOE
mailbox.  It answers:

  GET_VERSION (0x84)       VERSION (0x04) listing SPDM 1.0, 1.1 and 1.2
  GET_CAPABILITIES (0xE1)  CAPABILITIES (0x61), in the request's version
  anything else            ERROR (0x7F): UnsupportedRequest (0x07), or
                           VersionMismatch (0x41) for a version not offered

and logs every request and response in hex.

The socket protocol is the one of QEMU's backends/spdm-socket.c (which follows
DMTF spdm-emu): QEMU connects to 127.0.0.1:PORT when the device is realized
(it refuses to start when nothing listens), then for every DOE exchange of
the CMA or Secured CMA protocol sends one message and reads one back.  Every
message, both ways, is

    u32 command         big endian: 0x0001 NORMAL, 0xDEAD TEST,
                        0xFFFE SHUTDOWN, 0xFFFD CONTINUE, 0xFFFF UNKNOWN, ...
    u32 transport type  big endian: 0x01 MCTP, 0x02 PCI DOE
    u32 payload size    big endian, in bytes
    payload

With transport 2 the payload is the whole DOE data object, its 2-dword DOE
header included, as the guest wrote it into the Write Data Mailbox; the
response payload goes verbatim into the Read Data Mailbox, so it must be a
whole DOE data object too, with a correct Length.  QEMU's buffer for it is
0x1200 bytes.  QEMU sends SHUTDOWN (no payload) when the device is torn down;
a QEMU that simply exits just closes the socket.

Usage: responder.py [--port N] [--port-file FILE] [--log FILE] [--once]
  --port 0 picks a free port; the port is printed on stdout ("listening on
  127.0.0.1:N") and written to --port-file when given, before QEMU may start.
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time

CMD_NORMAL = 0x0001
CMD_CONTINUE = 0xFFFD
CMD_SHUTDOWN = 0xFFFE
CMD_UNKNOWN = 0xFFFF
CMD_TEST = 0xDEAD
CMD_NAMES = {
    CMD_NORMAL: "NORMAL", 0x0002: "STORAGE_IF_SEND", 0x0003: "STORAGE_IF_RECV",
    0x0004: "STORAGE_ACK_STATUS", 0x8001: "OOB_ENCAP_KEY_UPDATE",
    CMD_CONTINUE: "CONTINUE", CMD_SHUTDOWN: "SHUTDOWN", CMD_UNKNOWN: "UNKNOWN",
    CMD_TEST: "TEST",
}
TRANSPORT_PCI_DOE = 0x02
QEMU_MAX_PAYLOAD = 0x1200

DOE_VID_PCISIG = 0x0001
DOE_TYPE_NAMES = {0: "Discovery", 1: "CMA/SPDM", 2: "Secured CMA"}

# SPDM 1.0, 1.1, 1.2: VersionNumberEntry = Major[15:12] Minor[11:8]
VERSIONS = (0x10, 0x11, 0x12)
REQ_NAMES = {0x84: "GET_VERSION", 0xE1: "GET_CAPABILITIES",
             0xE3: "NEGOTIATE_ALGORITHMS", 0x81: "GET_DIGESTS",
             0x82: "GET_CERTIFICATE", 0x83: "CHALLENGE",
             0xE0: "GET_MEASUREMENTS", 0xE4: "KEY_EXCHANGE", 0xFE: "VENDOR_DEFINED"}
ERR_UNSUPPORTED_REQUEST = 0x07
ERR_VERSION_MISMATCH = 0x41
# CAPABILITIES flags: CERT_CAP | CHAL_CAP | MEAS_CAP=2 (with signature).
# A claim only: everything past GET_CAPABILITIES gets an ERROR.
CAP_FLAGS = (1 << 1) | (1 << 2) | (2 << 3)
CT_EXPONENT = 12  # 2^12 us


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1) if path else sys.stderr
        self.lock = threading.Lock()

    def __call__(self, conn, msg):
        with self.lock:
            self.f.write("%s conn%d %s\n" % (time.strftime("%H:%M:%S"), conn, msg))


def hexs(b):
    return " ".join("%02x" % x for x in b) if b else "-"


def spdm_answer(req):
    """The SPDM response to one SPDM request message (bytes)."""
    if len(req) < 4:
        return bytes([0x10, 0x7F, ERR_UNSUPPORTED_REQUEST, 0])
    ver, code = req[0], req[1]
    if code == 0x84:  # GET_VERSION is always sent as version 1.0
        return bytes([0x10, 0x04, 0, 0, 0, len(VERSIONS)]) + b"".join(
            struct.pack("<H", v << 8) for v in VERSIONS)
    if ver not in VERSIONS:
        return bytes([0x10, 0x7F, ERR_VERSION_MISMATCH, 0])
    if code == 0xE1:
        rsp = bytes([ver, 0x61, 0, 0, 0, CT_EXPONENT, 0, 0]) + struct.pack("<I", CAP_FLAGS)
        if ver >= 0x12:  # DataTransferSize, MaxSPDMmsgSize
            rsp += struct.pack("<II", 4096, 4096)
        return rsp
    return bytes([ver, 0x7F, ERR_UNSUPPORTED_REQUEST, code])


def doe_answer(obj, log, conn):
    """The DOE data object answering one DOE data object (PCI DOE transport)."""
    if len(obj) < 8:
        log(conn, "REQ  short DOE object: %s" % hexs(obj))
        return b""
    vid, typ = struct.unpack_from("<HB", obj, 0)
    length = struct.unpack_from("<I", obj, 4)[0] & 0x3FFFF
    spdm = obj[8:]
    name = REQ_NAMES.get(spdm[1], "0x%02x" % spdm[1]) if len(spdm) > 1 else "?"
    log(conn, "REQ  doe %04x:%02x (%s) len %d dw | spdm %s  [%s]" % (
        vid, typ, DOE_TYPE_NAMES.get(typ, "?"), length, hexs(spdm), name))
    rsp = spdm_answer(spdm)
    rsp += bytes(-len(rsp) % 4)
    out = struct.pack("<HBBI", vid, typ, 0, 2 + len(rsp) // 4) + rsp
    log(conn, "RSP  doe %04x:%02x len %d dw | spdm %s" % (vid, typ, len(out) // 4, hexs(rsp)))
    return out


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def send_msg(sock, cmd, transport, payload):
    sock.sendall(struct.pack(">III", cmd, transport, len(payload)) + payload)


def serve(sock, conn, log):
    log(conn, "connected")
    try:
        while True:
            cmd, transport, size = struct.unpack(">III", recv_exact(sock, 12))
            payload = recv_exact(sock, size) if size else b""
            cname = CMD_NAMES.get(cmd, "0x%04x" % cmd)
            log(conn, "recv %s transport %d, %d bytes: %s" % (cname, transport, size, hexs(payload)))
            if cmd == CMD_NORMAL and transport == TRANSPORT_PCI_DOE:
                out = doe_answer(payload, log, conn)
                if len(out) > QEMU_MAX_PAYLOAD:
                    log(conn, "response too long for QEMU (%d bytes)" % len(out))
                send_msg(sock, CMD_NORMAL, transport, out)
            elif cmd == CMD_NORMAL:  # other transports: raw SPDM
                send_msg(sock, CMD_NORMAL, transport, spdm_answer(payload))
            elif cmd == CMD_TEST:  # spdm-emu's handshake: answer the hello
                send_msg(sock, CMD_TEST, transport, b"Server Hello!\0")
            elif cmd == CMD_SHUTDOWN:
                send_msg(sock, CMD_SHUTDOWN, transport, b"")
                log(conn, "shutdown")
                return
            else:  # CONTINUE, key update, storage commands: nothing to do
                send_msg(sock, CMD_UNKNOWN, transport, b"")
    except (EOFError, ConnectionError):
        log(conn, "closed by peer")
    finally:
        sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=2323)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--once", action="store_true",
                    help="exit when the first connection ends")
    args = ap.parse_args()
    log = Log(args.log)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))  # QEMU connects to INADDR_LOOPBACK
    srv.listen(8)
    port = srv.getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    print("listening on 127.0.0.1:%d" % port, flush=True)
    log(0, "listening on 127.0.0.1:%d" % port)

    conn = 0
    while True:
        sock, _ = srv.accept()
        conn += 1
        if args.once:
            serve(sock, conn, log)
            return
        threading.Thread(target=serve, args=(sock, conn, log), daemon=True).start()


if __name__ == "__main__":
    main()
