"""Signed decision webhooks against a real `countersign backend serve`: the agent registers a
webhook, names it on an action, and its receiver checks the delivery's signature with
:func:`countersign.webhooks.verify_signature`; altered bodies, other secrets and old timestamps
are refused."""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import WatchedClient
from server import Reviewer
from test_client import ask

from countersign.webhooks import InvalidSignature, sign, verify_signature


class Receiver:
    """An HTTP receiver on 127.0.0.1 that hands each POST (headers, raw body) to the test."""

    def __init__(self) -> None:
        self.got: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                got.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_decision_delivery_verifies_with_the_webhook_secret(
    client: WatchedClient, reviewer: Reviewer, run_id: str
) -> None:
    rx = Receiver()
    try:
        hook = client.register_webhook(rx.url)
        assert hook.secret is not None and hook.secret.startswith("whsec_")
        assert [w.webhook_id for w in client.webhooks()] == [hook.webhook_id]
        assert all(w.secret is None for w in client.webhooks())
        action_id = ask(client, run_id, webhook_id=hook.webhook_id)
        reviewer.decide(reviewer.pending(run_id), "deny", reason="not eligible")
        headers, body = rx.got.get(timeout=30)
        t = verify_signature(hook.secret, body, headers.get("countersign-signature"))
        decision = json.loads(body)
        assert (decision["action_id"], decision["status"]) == (action_id, "denied")
        assert headers["countersign-event"] == "decision.denied"
        assert headers["countersign-delivery"].startswith("dlv_")
        # Altered, signed with another secret, replayed later, or unsigned: refused.
        with pytest.raises(InvalidSignature):
            verify_signature(hook.secret, body.replace(b"denied", b"approved"), headers["countersign-signature"])
        with pytest.raises(InvalidSignature):
            verify_signature("whsec_other", body, headers["countersign-signature"])
        with pytest.raises(InvalidSignature):
            verify_signature(hook.secret, body, headers["countersign-signature"], now=t + 301)
        with pytest.raises(InvalidSignature):
            verify_signature(hook.secret, body, None)
        client.delete_webhook(hook.webhook_id)
        assert client.webhooks() == []
    finally:
        rx.close()


def test_sign_and_verify_agree_and_keep_to_the_tolerance() -> None:
    body = b'{"status":"approved"}'
    header = sign("whsec_s", body, 1_700_000_000)
    assert verify_signature("whsec_s", body, header, now=1_700_000_100) == 1_700_000_000
    with pytest.raises(InvalidSignature):
        verify_signature("whsec_s", body, header, now=1_700_000_000 - 301)
    with pytest.raises(InvalidSignature):
        verify_signature("whsec_s", body, "t=abc,v1=00")
