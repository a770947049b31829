"""JSON over HTTP with the standard library, retrying what is safe to retry.

A request is retried (with back-off, ``Retry-After`` honoured) when the server said it did
nothing (429, 503), and -- only for requests that are idempotent on the server (a keyed
action, a run revision, a result, a settlement, a read) -- when the answer was a 5xx or was
lost (connection reset, body cut short). Everything else is returned as it came.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TransportError, problem_error

USER_AGENT = "countersign-python/0.1"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any


class Transport:
    """One server and one bearer key."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        timeout: float = 30.0,
        retry_for: float = 30.0,
        allow_http: bool = False,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        local = parsed.hostname in ("localhost", "::1") or parsed.hostname.startswith("127.")
        if parsed.scheme == "http" and not (local or allow_http):
            raise ValueError(
                f"refusing to send a key over plain http to {parsed.hostname}; use https "
                "(or allow_http=True on a network you trust)"
            )
        self.base_url = base_url.rstrip("/")
        self._key = key
        self.timeout = timeout
        self.retry_for = retry_for
        # No redirects: a key never follows a redirect to another origin.
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        idempotent: bool,
        timeout: float | None = None,
        retry_for: float | None = None,
    ) -> Reply:
        """Sends the request until it gets an answer worth returning, or raises."""
        deadline = time.monotonic() + (self.retry_for if retry_for is None else retry_for)
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = self._once(method, path, body, timeout or self.timeout)
            except TransportError:
                if not idempotent or time.monotonic() >= deadline:
                    raise
                _pause(attempt, None, deadline)
                continue
            retryable = reply.status in (429, 503) or (idempotent and reply.status >= 500)
            if retryable and time.monotonic() < deadline:
                _pause(attempt, _retry_after(reply.headers), deadline)
                continue
            return reply

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        idempotent: bool,
        ok: tuple[int, ...] = (200, 201),
        timeout: float | None = None,
        retry_for: float | None = None,
    ) -> Any:
        """Like :meth:`request`, returning the JSON body of an ``ok`` status and raising the
        problem otherwise."""
        reply = self.request(
            method, path, body, idempotent=idempotent, timeout=timeout, retry_for=retry_for
        )
        if reply.status in ok:
            return reply.body
        problem = reply.body if isinstance(reply.body, Mapping) else {"detail": str(reply.body)}
        raise problem_error(reply.status, problem, _retry_after(reply.headers))

    def _once(self, method: str, path: str, body: Any, timeout: float) -> Reply:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self._key}")
        req.add_header("Accept", "application/json, application/problem+json")
        req.add_header("User-Agent", USER_AGENT)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                return _reply(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as e:
            try:
                raw = e.read()
            except (OSError, http.client.HTTPException) as inner:
                raise TransportError(f"{method} {path}: answer {e.code} lost: {inner}") from inner
            return _reply(e.code, e.headers, raw)
        except (urllib.error.URLError, OSError, http.client.HTTPException, socket.timeout) as e:
            raise TransportError(f"{method} {path}: {e}") from e


def _reply(status: int, headers: Any, raw: bytes) -> Reply:
    hdrs = {k.lower(): v for k, v in headers.items()}
    if not raw:
        return Reply(status, hdrs, None)
    try:
        body = json.loads(raw)
    except ValueError as e:
        if status < 300:
            # A 2xx whose JSON does not parse was cut short: treat it as lost.
            raise TransportError(f"answer {status} is not complete JSON: {e}") from e
        body = {"detail": raw.decode("utf-8", "replace")[:500]}
    return Reply(status, hdrs, body)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    v = headers.get("retry-after")
    if v is None:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        return None


def _pause(attempt: int, retry_after: float | None, deadline: float) -> None:
    wait = retry_after if retry_after is not None else min(0.05 * 2**attempt, 2.0)
    time.sleep(max(0.0, min(wait, deadline - time.monotonic())))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
