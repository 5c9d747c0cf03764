"""A real Redis Cluster on free ports: 3 masters, 3 replicas, started and stopped by the test.

Six ``redis-server --cluster-enabled yes`` (no persistence, node timeout 1 s so a failover
takes a couple of seconds), joined by ``redis-cli --cluster create ... --cluster-replicas 1``.
"""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis
from redis.cluster import ClusterNode, RedisCluster

NODE_TIMEOUT_MS = 1000


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_node_port() -> int:
    """A port free with its cluster bus port (port + 10000, so below 55536)."""
    while True:
        port = random.randrange(20000, 55000)
        if _free(port) and _free(port + 10000):
            return port


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisClusterServers:
    """Six nodes; ``url`` is the ``redis+cluster://`` URL of all of them (the seeds)."""

    def __init__(self, folder: Path) -> None:
        binary, cli = shutil.which("redis-server"), shutil.which("redis-cli")
        assert binary and cli, "redis-server and redis-cli are missing (make tools installs them)"
        self.ports = [free_node_port() for _ in range(6)]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        for port in self.ports:
            node = folder / str(port)
            node.mkdir()
            self.processes[port] = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", str(node / "nodes.conf"),
                 "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--save", "",
                 "--appendonly", "no", "--dir", str(node)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while not all(_ping(p) for p in self.ports):
                assert time.monotonic() < deadline, "the cluster's nodes did not start"
                time.sleep(0.05)
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                 "--cluster-replicas", "1", "--cluster-yes"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
            )  # fmt: skip
            self.wait_ok()
        except BaseException:
            self.stop()  # no node left behind
            raise

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def client(self) -> RedisCluster:
        """A blocking redis-py cluster client."""
        live = [ClusterNode("127.0.0.1", p) for p in self.ports if self.processes[p].poll() is None]
        return RedisCluster(startup_nodes=live)

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port)

    def masters(self) -> list[int]:
        """The ports of the live masters."""
        out = []
        for port in self.ports:
            live = self.processes[port].poll() is None and _ping(port)
            if live and self.node(port).info("replication")["role"] == "master":
                out.append(port)
        return out

    def master_of(self, key: str) -> int:
        """The port of the master serving ``key``'s slot."""
        slot = self.client().keyslot(key)
        for port in self.masters():
            for start, end, master, *_ in self.node(port).execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        raise AssertionError(f"no master serves slot {slot}")

    def wait_ok(self, timeout: float = 30.0) -> float:
        """Wait until every live node says cluster_state:ok and every slot has a live master;
        returns the seconds waited."""
        start = time.monotonic()
        while True:
            live = [p for p in self.ports if self.processes[p].poll() is None]
            try:
                infos = [self.node(p).cluster("info") for p in live]
                if all(i["cluster_state"] == "ok" and int(i["cluster_slots_ok"]) == 16384
                       for i in infos):  # fmt: skip
                    return time.monotonic() - start
            except redis.RedisError:
                pass
            assert time.monotonic() - start < timeout, "the cluster is not ok"
            time.sleep(0.05)

    def wait_failover(self, victim: int, timeout: float = 30.0) -> float:
        """Wait until a replica of the dead master ``victim`` has taken its slots (three live
        masters, the cluster ok on every live node); returns the seconds waited."""
        start = time.monotonic()
        while True:
            try:
                masters = self.masters()
            except redis.RedisError:
                masters = []
            if len(masters) == 3 and victim not in masters:
                self.wait_ok(timeout)
                return time.monotonic() - start
            assert time.monotonic() - start < timeout, "no replica took over"
            time.sleep(0.05)

    def kill(self, port: int) -> None:
        """SIGKILL one node."""
        self.processes[port].send_signal(signal.SIGKILL)
        self.processes[port].wait(10)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
