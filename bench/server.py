"""The real server and real workers as child processes, for the crash, load and scale-out
benchmarks (and their tests).

`crosscheck serve` runs from this tree (not from whatever `crosscheck` is installed) on a free
port of 127.0.0.1, where API keys are optional. The rate limits are lifted: the benchmarks
measure crashes and reads, not the limiter.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """`crosscheck serve` on one database, started, killed and restarted on the same store."""

    def __init__(self, database_url: str, log: Path, **settings: str) -> None:
        """Args:
        database_url: The store; it outlives every start of the server.
        log: File the server's output is appended to (read it when a start fails).
        settings: Further CROSSCHECK_* settings by lower-case name (`max_batch="20"`).
        """
        self.database_url = database_url
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update(
            {
                "HF_HUB_OFFLINE": "1",
                "PYTHONPATH": str(ROOT),
                "CROSSCHECK_RATE_LIMIT_REQUESTS": str(10**9),
                "CROSSCHECK_RATE_LIMIT_CHARS": str(10**12),
                "CROSSCHECK_LOG_LEVEL": "WARNING",
                **{f"CROSSCHECK_{k.upper()}": v for k, v in settings.items()},
            }
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._output: IO[Any] | None = None

    def start(self, timeout: float = 300.0) -> float:
        """Start the server and wait until /readyz answers 200; returns the seconds it took.

        Raises:
            RuntimeError: the server exited or was not ready in time (its log is named).
        """
        started = time.perf_counter()
        self._output = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from service.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--database-url",
                self.database_url,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}; see {self.log}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"the server was not ready after {timeout:.0f} s; see {self.log}")

    def kill(self) -> None:
        """kill -9: no shutdown handler, no flush, no rollback runs in the server."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._close_output()

    def stop(self) -> None:
        """Stop the server the polite way (SIGTERM), as at the end of a benchmark."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_output()

    def _close_output(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None


class Worker:
    """`crosscheck worker` from this tree, in a process group of its own (kill -9 takes its
    pool processes too)."""

    def __init__(
        self,
        database_url: str,
        broker_url: str,
        log: Path,
        *,
        pool: str = "threads",
        concurrency: int = 1,
        name: str = "w1",
        **settings: str,
    ) -> None:
        self.log = log
        self.argv = [
            sys.executable,
            "-c",
            "from service.cli import main; main()",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
        ]
        self.env = dict(os.environ)
        self.env.update(
            {
                "HF_HUB_OFFLINE": "1",
                "PYTHONPATH": str(ROOT),
                "CROSSCHECK_DATABASE_URL": database_url,
                "CROSSCHECK_BROKER_URL": broker_url,
                "CROSSCHECK_LOG_LEVEL": "INFO",
                **{f"CROSSCHECK_{k.upper()}": v for k, v in settings.items()},
            }
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._output: IO[Any] | None = None

    def start(self, timeout: float = 300.0) -> None:
        """Start the worker (from this tree) and wait until it takes jobs (models loaded).

        Raises:
            RuntimeError: it exited, or was not ready in time (its log is named).
        """
        offset = self.log.stat().st_size if self.log.exists() else 0
        self._output = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        due = time.monotonic() + timeout
        while time.monotonic() < due:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}: {self.log}")
            with self.log.open("rb") as handle:
                handle.seek(offset)
                if b" ready." in handle.read():
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the worker was not ready in {timeout} s: {self.log}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: nothing is acknowledged or cleaned up."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Stop the worker (SIGTERM: it finishes the job in hand; SIGKILL after 60 s)."""
        if self.process is None:
            return
        self._signal(signal.SIGTERM, wait=60.0)

    def _signal(self, which: signal.Signals, wait: float = 30.0) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, which)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
        try:  # pool processes that outlived their parent
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self._close()

    def _close(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> Worker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
