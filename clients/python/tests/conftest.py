from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from server import Reviewer, Server, serve  # noqa: E402

from countersign import Countersign, Decision  # noqa: E402


class WatchedClient(Countersign):
    """A client that tells the test when it starts waiting on a long-poll, so a reviewer can
    decide while the agent is really waiting (no sleeps)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.waiting = threading.Event()
        self.polls = 0
        # Long-poll requests sent, reconnections by the transport included.
        self.poll_requests = 0
        once = self._t._once

        def counting(method: str, path: str, body: Any, timeout: float) -> Any:
            if "/decision?wait=" in path and not path.endswith("wait=0"):
                self.poll_requests += 1
            return once(method, path, body, timeout)

        setattr(self._t, "_once", counting)

    def decision(self, action_id: str, *, wait: int = 0, retry_for: float | None = None) -> Decision:
        if wait > 0:
            self.polls += 1
            self.waiting.set()
        return super().decision(action_id, wait=wait, retry_for=retry_for)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with serve() as s:
        yield s


@pytest.fixture(scope="session")
def agent_key(server: Server) -> str:
    return server.create_key("py-agent", "ingest")


@pytest.fixture(scope="session")
def reviewer(server: Server) -> Reviewer:
    return Reviewer(server, server.create_key("py-reviewer", "reviewer"))


@pytest.fixture
def client(server: Server, agent_key: str) -> WatchedClient:
    return WatchedClient(server.url, agent_key)


@pytest.fixture
def run_id() -> str:
    return f"run-{uuid.uuid4().hex[:12]}"
