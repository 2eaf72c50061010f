"""Loopback ports: pick free ones, and check whether someone listens on one.

Ports are picked by binding port 0 on 127.0.0.1 and letting the kernel choose, with all the probe
sockets held open until every port of one server is chosen, so that one server never gets the same
port twice. Between the probe and the server's own bind another process can take the port; the
executors detect "address in use" in the server's log and retry with new ports.
"""

import socket

LOOPBACK = "127.0.0.1"


def free_ports(count=1, host=LOOPBACK):
    """Return ``count`` distinct ports that are free on ``host`` right now."""
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind((host, 0))
            probes.append(probe)
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def listening(port, host=LOOPBACK, timeout=0.2):
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
