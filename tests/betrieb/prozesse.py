"""Real `spm` processes for the operations tests: start, read their output line by line,
kill them at a chosen line, and find every process that still works for a home."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

SPM = str(Path(sys.executable).parent / "spm")


class SpmProzess:
    """`spm --home <root> <args>` with its output read in the background."""

    def __init__(self, root: Path, *args: str, env: dict | None = None):
        self.zeilen: list[str] = []
        self._neu: queue.Queue[str | None] = queue.Queue()
        environment = dict(os.environ, **(env or {}))
        environment["SPM_HOME"] = str(root)     # found by prozesse_des_homes
        self.process = subprocess.Popen(
            [SPM, "--home", str(root), *args], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, encoding="utf-8",
            errors="replace", env=environment)
        self._leser = threading.Thread(target=self._lesen, daemon=True)
        self._leser.start()

    def _lesen(self) -> None:
        for line in self.process.stdout:
            self.zeilen.append(line.rstrip("\n"))
            self._neu.put(line)
        self._neu.put(None)

    @property
    def pid(self) -> int:
        return self.process.pid

    def warte_auf(self, text: str, timeout: float = 600) -> str:
        """Block until a line containing `text` appears; AssertionError if the process
        ends first or the time runs out."""
        deadline = time.monotonic() + timeout
        for line in self.zeilen:
            if text in line:
                return line
        while True:
            rest = deadline - time.monotonic()
            assert rest > 0, f"{text!r} kam nicht in {timeout} s:\n" + self.ausgabe()[-3000:]
            try:
                line = self._neu.get(timeout=rest)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"Prozess endete vor {text!r} (Exit "
                                     f"{self.process.wait()}):\n" + self.ausgabe()[-3000:])
            if text in line:
                return line

    def toeten(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL

    def ende(self, timeout: float = 900) -> int:
        code = self.process.wait(timeout=timeout)
        self._leser.join(timeout=10)
        return code

    def ausgabe(self) -> str:
        return "\n".join(self.zeilen)


def prozesse_des_homes(root: Path) -> list[tuple[int, str]]:
    """(pid, command line) of every process whose environment names the home (`SPM_HOME`,
    set for the run and inherited by dbt and the file writers)."""
    wanted = f"SPM_HOME={root}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            if wanted not in environ.split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state == "Z":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except (OSError, IndexError):
            continue
        found.append((int(entry.name), cmdline.strip()))
    return found


def warte_bis_keine_prozesse(root: Path, timeout: float = 20) -> list[tuple[int, str]]:
    """The processes of the home still alive after `timeout` seconds (empty: all gone)."""
    deadline = time.monotonic() + timeout
    while True:
        left = prozesse_des_homes(root)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
