"""A small network-namespace lab: namespaces, veth links, a bridge, processes inside them.

Everything the lab makes lives inside namespaces it created (veth ends are created
directly in their namespaces, never in the host's), and `close()` takes it all down
again, processes first: it is safe to call after any failure, and twice.

    lab = Lab("e2e")
    dev, lap = lab.namespace("dev"), lab.namespace("lap")    # `ip netns add`, lo up
    lab.veth(dev, "ap0", lap, "wlan0")
    lab.ip(dev, "addr", "add", "10.10.7.1/24", "dev", "ap0")
    proc = lab.spawn(dev, [sys.executable, "-m", "tests.e2e.device_side"], first_line=...)
    proc.expect(lambda m: m.get("mode") == "ap", 10, "the hotspot")
    lab.close()

Processes speak one JSON object per stdout line (see device_side.py, cloud_side.py);
`Proc.expect` waits, bounded, for a line that matches. Stderr goes to a file so a failing
test can show the tail of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

IP_TIMEOUT = 10.0  # one `ip` command
STOP_GRACE = 3.0  # a process gets this long to exit after its stdin closes


class LabUnavailable(Exception):
    """Namespaces (or veth, or bridges) cannot be made here; the message says why."""


def unavailable_reason() -> str | None:
    """Why this machine cannot run a namespace lab, or None when it probably can."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (CI runs the tests as root)"
    if shutil.which("ip") is None:
        return "the `ip` tool (iproute2) is not installed"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=IP_TIMEOUT)
    if check and done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, ["ip", *args], done.stdout,
                                            done.stderr)
    return done


class Proc:
    """A process in a namespace: JSON lines from stdout collected by a reader thread."""

    def __init__(self, name: str, popen: subprocess.Popen, stderr_path: Path) -> None:
        self.name = name
        self.popen = popen
        self.stderr_path = stderr_path
        self.messages: list[dict[str, Any]] = []
        self.other_lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            with self._changed:
                if isinstance(message, (dict, list)):
                    self.messages.append(message)
                else:
                    self.other_lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def expect(self, predicate: Callable[[Any], bool], timeout: float, what: str) -> Any:
        """The first message (from the start) that matches; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0 or (self.popen.poll() is not None and not self._reader.is_alive()):
                    break
                self._changed.wait(min(left, 0.1))
        raise AssertionError(f"{self.name}: no {what} within {timeout:g} s "
                             f"(exit code {self.popen.poll()})\n{self.describe()}")

    def wait(self, timeout: float) -> int:
        """The exit code; kills the process and fails the test after `timeout`."""
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not finish within {timeout:g} s\n"
                                 f"{self.describe()}") from None
        self._reader.join(timeout=2)
        return code

    @property
    def stdout_text(self) -> str:
        lines = [json.dumps(m) for m in self.messages] + self.other_lines
        return "\n".join(lines)

    @property
    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def describe(self, tail: int = 4000) -> str:
        return (f"--- {self.name} stdout ---\n{self.stdout_text[-tail:]}\n"
                f"--- {self.name} stderr ---\n{self.stderr_text[-tail:]}")

    def stop(self) -> None:
        """Close stdin (the scripts' "power off"), then terminate, then kill; all bounded."""
        if self.popen.poll() is None and self.popen.stdin is not None:
            try:
                self.popen.stdin.close()
            except OSError:
                pass
            try:
                self.popen.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                pass
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()  # this process only (by its id), never a name
            self.popen.wait(timeout=STOP_GRACE)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


class Lab:
    def __init__(self, tag: str, workdir: Path) -> None:
        # Unique per run: parallel runs and leftovers of a killed run never collide.
        self.prefix = f"sitekit-{tag}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.workdir = workdir
        self.namespaces: list[str] = []
        self.processes: list[Proc] = []

    # -- building ----------------------------------------------------------------------

    def namespace(self, role: str) -> str:
        """A new namespace with loopback up (multicast on, for mDNS tests on lo)."""
        name = f"{self.prefix}-{role}"
        made = _ip("netns", "add", name, check=False)
        if made.returncode != 0:
            raise LabUnavailable(f"cannot create a network namespace: "
                                 f"{made.stderr.strip() or made.returncode}")
        self.namespaces.append(name)
        self.ip(name, "link", "set", "lo", "up")
        self.ip(name, "link", "set", "lo", "multicast", "on")
        return name

    def ip(self, namespace: str, *args: str) -> None:
        _ip("-n", namespace, *args)

    def batch(self, namespace: str, commands: list[str]) -> None:
        """Several `ip` commands applied back to back (one process, no gap between them)."""
        done = subprocess.run(["ip", "-n", namespace, "-batch", "-"], input="\n".join(commands),
                              capture_output=True, text=True, timeout=IP_TIMEOUT)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, ["ip", "-batch"], done.stdout,
                                                done.stderr)

    def veth(self, ns_a: str, if_a: str, ns_b: str, if_b: str) -> None:
        """A cable between two namespaces (both ends created inside them)."""
        made = _ip("link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b,
                   "netns", ns_b, check=False)
        if made.returncode != 0:
            raise LabUnavailable(f"cannot create a veth pair: {made.stderr.strip()}")

    def bridge(self, namespace: str, name: str) -> None:
        made = _ip("-n", namespace, "link", "add", name, "type", "bridge", check=False)
        if made.returncode != 0:
            raise LabUnavailable(f"cannot create a bridge: {made.stderr.strip()}")

    # -- processes ---------------------------------------------------------------------

    def spawn(self, namespace: str, argv: list[str], *, name: str, env: dict[str, str],
              cwd: Path, stdin_text: str | None = None, keep_stdin: bool = True) -> Proc:
        """Run argv inside the namespace. `stdin_text` is written first; stdin then stays
        open (the scripts stop when it closes) unless `keep_stdin` is False."""
        stderr_path = self.workdir / f"{name}.stderr"
        stderr = open(stderr_path, "w")
        try:
            popen = subprocess.Popen(["ip", "netns", "exec", namespace, *argv],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr, text=True, env=env, cwd=cwd)
        finally:
            stderr.close()
        proc = Proc(name, popen, stderr_path)
        self.processes.append(proc)
        assert popen.stdin is not None
        if stdin_text is not None:
            popen.stdin.write(stdin_text)
            popen.stdin.flush()
        if not keep_stdin:
            popen.stdin.close()
        return proc

    def run(self, namespace: str, argv: list[str], *, name: str, env: dict[str, str],
            cwd: Path, timeout: float, stdin_text: str = "") -> Proc:
        """Run to completion (bounded); the Proc has the exit code, messages and stderr."""
        proc = self.spawn(namespace, argv, name=name, env=env, cwd=cwd, stdin_text=stdin_text,
                          keep_stdin=False)
        proc.wait(timeout)
        return proc

    # -- teardown ----------------------------------------------------------------------

    def close(self) -> None:
        """Processes first (they hold sockets in the namespaces), then the namespaces;
        deleting a namespace deletes the veth ends and bridges inside it."""
        processes, self.processes = self.processes, []
        for proc in reversed(processes):
            try:
                proc.stop()
            except Exception:  # noqa: BLE001 - keep tearing down the rest
                pass
        namespaces, self.namespaces = self.namespaces, []
        for name in reversed(namespaces):
            _ip("netns", "del", name, check=False)

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def leftover_namespaces(prefix: str) -> list[str]:
    listing = _ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in listing.splitlines() if line.startswith(prefix)]
