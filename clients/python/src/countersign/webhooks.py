"""Checking a decision webhook's signature on the receiving side.

A delivery to a registered webhook carries ``Countersign-Signature: t=<unix seconds>,v1=<hex>``
where ``v1`` is HMAC-SHA256 of ``"<t>." + body`` keyed with the webhook's secret (returned once
by :meth:`countersign.Countersign.register_webhook`). Check it over the raw body bytes, before
parsing them, and drop repeats by the ``Countersign-Delivery`` header::

    from countersign.webhooks import verify_signature

    verify_signature(secret, raw_body, headers["Countersign-Signature"])  # raises if forged
    decision = json.loads(raw_body)
"""

from __future__ import annotations

import hashlib
import hmac
import time

from .errors import CountersignError

__all__ = ["SIGNATURE_HEADER", "InvalidSignature", "sign", "verify_signature"]

#: The header of the signature.
SIGNATURE_HEADER = "Countersign-Signature"


class InvalidSignature(CountersignError):
    """The delivery is not signed with the secret, was altered, or is too old (a replay)."""


def sign(secret: str, body: bytes, t: int) -> str:
    """The header value the server sends for ``body`` at unix time ``t``."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance_secs: int = 300,
    now: float | None = None,
) -> int:
    """Checks a delivery's signature; returns its timestamp. Raises :class:`InvalidSignature`
    when the header is missing or malformed, no ``v1`` matches (constant-time compare), or the
    timestamp is more than ``tolerance_secs`` away from ``now``."""
    if not header:
        raise InvalidSignature("no Countersign-Signature header")
    t: int | None = None
    sigs: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                t = int(value)
            except ValueError as e:
                raise InvalidSignature(f"bad timestamp {value!r}") from e
        elif key == "v1":
            sigs.append(value)
    if t is None or not sigs:
        raise InvalidSignature("the header lacks t= or v1=")
    current = time.time() if now is None else now
    if abs(current - t) > tolerance_secs:
        raise InvalidSignature(f"timestamp {t} is more than {tolerance_secs}s from now (replay?)")
    expected = sign(secret, body, t).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, s) for s in sigs):
        raise InvalidSignature("the signature does not match the body")
    return t
