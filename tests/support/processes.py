"""Linux /proc look-ups: a process's children, and which process holds a TCP connection."""

from __future__ import annotations

import os
from pathlib import Path


def children(pid: int) -> set[int]:
    """The direct children of `pid` (any thread's), from /proc/<pid>/task/*/children."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(n) for n in (task / "children").read_text().split())
        except OSError:  # the thread ended meanwhile
            continue
    return found


def running(pid: int) -> bool:
    """Not ended: a zombie has ended, and only waits for its parent (or init) to collect it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _socket_inodes(pid: int) -> set[int]:
    inodes: set[int] = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for name in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def _connection_inodes(server_port: int) -> dict[int, int]:
    """Established connections accepted on `server_port`: the client's port -> socket inode."""
    found: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == server_port:
                found[int(remote.rsplit(":", 1)[1], 16)] = inode
    return found


def connection_owners(server_port: int, client_ports: list[int], pids: set[int]) -> dict[int, int]:
    """Which of `pids` holds the server side of each open connection: client port -> pid."""
    inodes = _connection_inodes(server_port)
    holders = {inode: pid for pid in pids for inode in _socket_inodes(pid)}
    return {
        port: holders[inodes[port]]
        for port in client_ports
        if port in inodes and inodes[port] in holders
    }
