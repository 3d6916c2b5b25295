"""A small headless-browser harness for tests: Debian's chromium over the DevTools Protocol.

Why no playwright/selenium: they download browsers and drivers; the system chromium and the
`websockets` package are enough to load a page, watch its console and network, run
JavaScript in it and take screenshots.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--no-default-browser-check",
    "--remote-debugging-port=0",
    "--hide-scrollbars",   # else a scrollbar narrows full-page screenshots by 15 px
)


class CDPError(RuntimeError):
    """A DevTools command failed, a wait timed out, or the page's JavaScript threw."""


def ensure_chromium() -> str:
    """The chromium binary; installed with apt-get when missing and we are root. A missing
    browser raises instead of skipping: browser tests that silently do not run prove nothing."""
    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

        def apt_get(*args: str) -> int:
            try:
                return subprocess.run(["apt-get", *args], capture_output=True, timeout=600,
                                      env=env).returncode
            except (OSError, subprocess.TimeoutExpired):   # no apt-get (not Debian), or stuck
                return 1

        if apt_get("install", "-y", "chromium") != 0:   # stale or missing package lists
            apt_get("update")
            apt_get("install", "-y", "chromium")
        found = shutil.which("chromium")
    if found is None:
        raise RuntimeError("chromium is not installed (not on PATH) and could not be installed "
                           "with `apt-get install -y chromium` (needs root); install it first")
    return found


class _Connection:
    """The one websocket to the browser: a reader thread hands replies to the waiting sender
    (by id) and events to the listener of their session, so callers can stay synchronous."""

    def __init__(self, url: str):
        self._ws = connect(url, max_size=None, open_timeout=30, ping_interval=None, legacy=True)
        self._ids = itertools.count(1)
        self._pending: dict[int, queue.Queue] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.listeners: dict[str, Callable[[str, dict], None]] = {}
        self._reader = threading.Thread(target=self._read, daemon=True, name="cdp-reader")
        self._reader.start()

    def _read(self) -> None:
        try:
            for raw in self._ws:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        waiting = self._pending.pop(message["id"], None)
                    if waiting is not None:
                        waiting.put(message)
                elif (listener := self.listeners.get(message.get("sessionId", ""))) is not None:
                    try:   # one odd event must not stop the reader: every reply would hang
                        listener(message["method"], message.get("params", {}))
                    except Exception:
                        logging.getLogger(__name__).exception("CDP event %s", message["method"])
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._closed = True
                for waiting in self._pending.values():
                    waiting.put({"error": {"message": "connection to the browser closed"}})
                self._pending.clear()

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        number = next(self._ids)
        reply_box: queue.Queue = queue.Queue(maxsize=1)
        with self._lock:
            if self._closed:
                raise CDPError(f"{method}: connection to the browser closed")
            self._pending[number] = reply_box
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            self._ws.send(json.dumps(message))
        except ConnectionClosed:
            raise CDPError(f"{method}: connection to the browser closed") from None
        try:
            reply = reply_box.get(timeout=timeout)
        except queue.Empty:
            with self._lock:
                self._pending.pop(number, None)
            raise CDPError(f"{method}: no reply within {timeout} s") from None
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def close(self) -> None:
        self._ws.close()
        self._reader.join(timeout=5)


class Browser:
    """A headless chromium with a fresh profile; use as a context manager."""

    def __init__(self, binary: str | None = None, start_timeout: float = 30):
        command = [binary or ensure_chromium(), *FLAGS]
        self._root = Path(tempfile.mkdtemp(prefix="cdp-browser-"))
        profile = self._root / "profile"
        self._stderr_path = self._root / "stderr.log"
        try:
            with open(self._stderr_path, "wb") as stderr:   # a file, not a pipe: never blocks
                self._process = subprocess.Popen(
                    [*command, f"--user-data-dir={profile}", "about:blank"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                    start_new_session=True)   # own process group: close() ends every helper
        except OSError:
            shutil.rmtree(self._root, ignore_errors=True)
            raise
        try:
            self._connection = _Connection(self._devtools_url(profile, start_timeout))
        except BaseException:
            self._stop_process()
            raise

    def _devtools_url(self, profile: Path, timeout: float) -> str:
        """Chromium writes the port it picked (line 1) and the browser's path (line 2); the
        whole path is awaited, not just the file."""
        active_port = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = active_port.read_text() if active_port.exists() else ""
            if found := re.fullmatch(r"(\d+)\n(/devtools/browser/[\w-]+)\s*", text):
                return f"ws://127.0.0.1:{found[1]}{found[2]}"
            if self._process.poll() is not None:
                raise CDPError(f"chromium exited with {self._process.returncode} on start; "
                               f"stderr:\n{self.stderr_tail()}")
            time.sleep(0.05)
        raise CDPError(f"chromium did not open DevTools within {timeout} s; "
                       f"stderr:\n{self.stderr_tail()}")

    def stderr_tail(self, lines: int = 20) -> str:
        text = self._stderr_path.read_text(errors="replace") if self._stderr_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def open(self, url: str, window: tuple[int, int] = (1280, 900), timeout: float = 30) -> Page:
        """A new tab of `window` (width, height) CSS pixels, navigated to `url` and loaded."""
        target = self._connection.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._connection.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self._connection, target, session)
        width, height = window
        try:
            page.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
            page.navigate(url, timeout)
        except CDPError:
            page.close()
            raise
        return page

    def _stop_process(self) -> None:
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):   # also helpers left after the main one
            try:
                os.killpg(self._process.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        if self._process.poll() is None:
            self._process.wait(timeout=10)
        shutil.rmtree(self._root, ignore_errors=True)

    def close(self) -> None:
        try:
            self._connection.send("Browser.close", timeout=5)
        except CDPError:
            pass   # the reply often loses the race with the closing socket
        self._connection.close()
        self._stop_process()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class Page:
    """One tab; records console messages, exceptions, log entries and network requests."""

    def __init__(self, connection: _Connection, target: str, session: str):
        self._connection, self._target, self._session = connection, target, session
        self._changed = threading.Condition()
        self.console: list[tuple[str, str]] = []        # (type, text)
        self.exceptions: list[str] = []
        self.log: list[tuple[str, str, str]] = []       # (level, text, url)
        self.failed: list[tuple[str, str]] = []         # (url, error text)
        self._requests: dict[str, str] = {}             # request id -> url
        self._request_urls: list[str] = []
        self._loads: list[str | None] = []              # latest loader id at each load event
        self._latest_loader: str | None = None
        connection.listeners[session] = self._on_event
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        return self._connection.send(method, params, self._session, timeout)

    def _on_event(self, method: str, params: dict) -> None:
        with self._changed:
            if method == "Runtime.consoleAPICalled":
                text = " ".join(_describe(arg) for arg in params.get("args", []))
                self.console.append((params["type"], text))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                description = details.get("exception", {}).get("description", "")
                self.exceptions.append(f"{details.get('text', '')} {description}".strip())
            elif method == "Log.entryAdded":
                entry = params["entry"]
                self.log.append((entry["level"], entry["text"], entry.get("url", "")))
            elif method == "Network.requestWillBeSent":
                self._requests[params["requestId"]] = params["request"]["url"]
                self._request_urls.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                url = self._requests.get(params["requestId"], "?")
                self.failed.append((url, params.get("errorText", "")))
            elif method == "Page.frameNavigated" and "parentId" not in params["frame"]:
                self._latest_loader = params["frame"]["loaderId"]
            elif method == "Page.loadEventFired":
                self._loads.append(self._latest_loader)
            self._changed.notify_all()

    def navigate(self, url: str, timeout: float = 30) -> None:
        """Go to `url` and wait for its load event (not a stale one of the page before)."""
        started = len(self._loads)
        result = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise CDPError(f"navigation to {url} failed: {result['errorText']}")
        loader = result.get("loaderId")   # None for a same-document navigation
        loaded = (lambda: loader in self._loads[started:]) if loader else (
            lambda: len(self._loads) > started)
        with self._changed:
            if not self._changed.wait_for(loaded, timeout=timeout):
                raise CDPError(f"{url} did not fire its load event within {timeout} s")

    def errors(self) -> list[str]:
        """Console errors/asserts, uncaught exceptions and error log entries (failed loads)."""
        with self._changed:
            return ([f"console.{kind}: {text}" for kind, text in self.console
                     if kind in ("error", "assert")]
                    + [f"exception: {text}" for text in self.exceptions]
                    + [f"log: {text} ({url})" for level, text, url in self.log
                       if level == "error"])

    def requests(self) -> list[str]:
        """Every URL the page requested, in order (the page itself included)."""
        with self._changed:
            return list(self._request_urls)

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """The JSON value of `expression` (promises awaited); raises CDPError if it throws."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            description = details.get("exception", {}).get("description", "")
            raise CDPError(f"{expression!r} threw: {details.get('text', '')} {description}")
        return result["result"].get("value")

    def wait_for(self, condition: str, timeout: float = 10) -> Any:
        """Poll the JavaScript `condition` until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(condition)):
            if time.monotonic() > deadline:
                raise CDPError(f"{condition!r} not true within {timeout} s (last: {value!r})")
            time.sleep(0.1)
        return value

    def screenshot(self, path: str | os.PathLike) -> Path:
        """A PNG of the whole page, not only the window: clip to the content size."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.send("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True, "clip": clip})
        target = Path(path)
        target.write_bytes(base64.b64decode(shot["data"]))
        return target

    def close(self) -> None:
        self._connection.listeners.pop(self._session, None)
        self._connection.send("Target.closeTarget", {"targetId": self._target})

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _describe(remote: dict) -> str:
    """The text DevTools would show for a console argument (a CDP RemoteObject)."""
    if "value" in remote:
        value = remote["value"]
        return value if isinstance(value, str) else json.dumps(value)
    return str(remote.get("unserializableValue") or remote.get("description") or
               remote.get("type", ""))
