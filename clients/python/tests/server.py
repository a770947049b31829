"""A real `countersign backend serve` for the tests, its keys, and a reviewer that decides
through the console's decision API (as the console's outbox does)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from countersign._http import Transport

REPO = Path(__file__).resolve().parents[3]


def binary() -> str:
    """The CLI: $COUNTERSIGN_BIN, else $CARGO_TARGET_DIR/debug/countersign, else target/."""
    explicit = os.environ.get("COUNTERSIGN_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    return str(Path(target) / "debug" / "countersign")


def until(what: str, cond: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Polls ``cond`` until it returns something truthy, or fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Server:
    def __init__(self, proc: subprocess.Popen[str], data: Path, url: str, admin: str,
                 extra: tuple[str, ...] = ()) -> None:
        self.proc = proc
        self.data = data
        self.extra = extra
        self.url = url
        self.admin_token = admin
        self.admin = Transport(url, admin, retry_for=20.0)

    def kill(self) -> None:
        """Kills the server (SIGKILL by PID), as a crash would."""
        self.proc.kill()
        self.proc.wait()

    def start_again(self) -> None:
        """Starts the stopped server again on the same port and data (keys, actions kept)."""
        listen = self.url.split("://", 1)[1].rstrip("/")
        self.proc, url, _ = _start(self.data, listen, self.extra)
        assert url == self.url, (url, self.url)

    def create_key(self, name: str, scope: str = "ingest") -> str:
        out = subprocess.run(
            [binary(), "backend", "keys", "create", "--data", str(self.data), "--name", name, "--scope", scope],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        m = re.search(r"^key: (\S+)$", out, re.M)
        assert m, out
        return m.group(1)

    def feed(self, what: str) -> list[dict[str, Any]]:
        """Every item of the console's runs or actions feed, latest revision last."""
        items: list[dict[str, Any]] = []
        cursor = ""
        while True:
            page = self.admin.call("GET", f"/v1/{what}?limit=500&cursor={cursor}", idempotent=True)
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return items

    def action(self, action_id: str) -> dict[str, Any]:
        return dict(self.admin.call("GET", f"/v1/actions/{action_id}", idempotent=True))

    def run(self, run_id: str) -> dict[str, Any]:
        return dict(self.admin.call("GET", f"/v1/runs/{run_id}", idempotent=True))

    def add_caps(self, *caps: Mapping[str, Any]) -> None:
        now = self.admin.call("GET", "/v1/budgets", idempotent=True)
        items = list(now["items"]) + [dict(c) for c in caps]
        self.admin.call("PUT", "/v1/budgets", {"items": items}, idempotent=True)


class Reviewer:
    """A person with the reviewer scope, deciding in the console's decision API."""

    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self.t = Transport(server.url, token, retry_for=20.0)
        self._n = 0

    def pending(self, run_id: str | None = None, kind: str | None = None, timeout: float = 20.0) -> dict[str, Any]:
        """Waits for a pending action (of ``run_id``/``kind``) to show in the console's feed."""

        def find() -> dict[str, Any] | None:
            latest: dict[str, dict[str, Any]] = {}
            for a in self.server.feed("actions"):
                latest[a["action_id"]] = a
            for a in latest.values():
                if a["status"] != "pending":
                    continue
                if run_id is not None and a["run_id"] != run_id:
                    continue
                if kind is not None and a["kind"] != kind:
                    continue
                return a
            return None

        return dict(until(f"a pending action of {run_id or kind}", find, timeout))

    def decide(
        self,
        action: Mapping[str, Any],
        decision: str,
        *,
        edits: Mapping[str, str] | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        self._n += 1
        body: dict[str, Any] = {
            "decision": decision,
            "idempotency_key": f"test-review-{action['action_id']}-{self._n}",
        }
        if decision in ("approve", "approve_with_edits"):
            fields = {f["name"]: f["value"] for f in action["fields"]}
            fields.update(edits or {})
            body["fields"] = fields
        if reason is not None:
            body["reason"] = reason
        return dict(
            self.t.call("POST", f"/v1/actions/{action['action_id']}/decision", body, idempotent=True)
        )

    def in_background(self, fn: Callable[[], Any]) -> BackgroundReview:
        return BackgroundReview(fn)


class BackgroundReview:
    """Runs a reviewer's steps in a thread; ``join`` re-raises what failed there."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._errors: queue.Queue[BaseException] = queue.Queue()
        self.result: Any = None

        def body() -> None:
            try:
                self.result = fn()
            except BaseException as e:  # noqa: BLE001 - handed to the test thread
                self._errors.put(e)

        self._thread = threading.Thread(target=body, daemon=True)
        self._thread.start()

    def join(self, timeout: float = 30.0) -> Any:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the reviewer thread did not finish"
        if not self._errors.empty():
            raise self._errors.get()
        return self.result


def _read_lines(stream: IO[str], out: queue.Queue[str]) -> None:
    for line in stream:
        out.put(line)


def _start(data: Path, listen: str, extra: tuple[str, ...]) -> tuple[subprocess.Popen[str], str, str]:
    """Starts `countersign backend serve` and reads its `url:` and `token:` lines."""
    proc = subprocess.Popen(
        [binary(), "backend", "serve", "--listen", listen, "--data", str(data),
         "--seed-runs", "0", "--trickle", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
    seen: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while "url" not in seen or "token" not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            _stop(proc)
            raise AssertionError(f"server did not start: {seen}")
        try:
            line = lines.get(timeout=min(left, 1.0))
        except queue.Empty:
            continue
        k, _, v = line.strip().partition(": ")
        seen[k] = v
    return proc, seen["url"], seen["token"]


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stops the server by its PID (SIGTERM, then SIGKILL after 10 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serve(*extra: str) -> Iterator[Server]:
    """Starts `countersign backend serve` on a free loopback port (port 0, read back from
    its `url:` line), empty (no seeded runs, no trickle); stops it by PID."""
    exe = binary()
    assert os.path.exists(exe), f"{exe} missing: build it with `cargo build -p countersign-cli`"
    with tempfile.TemporaryDirectory(prefix="cs-py-") as tmp:
        data = Path(tmp) / "data"
        proc, url, token = _start(data, "127.0.0.1:0", extra)
        server = Server(proc, data, url, token, extra)
        try:
            yield server
        finally:
            _stop(server.proc)
