"""The client an agent uses: report runs and tool calls, ask approval and wait, report the
result once, reserve and settle budget."""

from __future__ import annotations

import contextvars
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from ._http import Transport
from .errors import BudgetStopped, DecisionTimeout, TransportError
from .models import (
    ActionTicket,
    BudgetStop,
    Decision,
    Reservation,
    ReviewField,
    Risk,
    Rollback,
    RollbackRequest,
    RunReport,
    Target,
    Webhook,
)

__all__ = ["Countersign", "RunReporter", "current_run"]

# The most a single long-poll holds (the server allows up to 60 s).
MAX_POLL_SECS = 30
_current_run: contextvars.ContextVar[RunReporter | None] = contextvars.ContextVar(
    "countersign_current_run", default=None
)


def current_run() -> RunReporter | None:
    """The run opened with ``with client.run(...)`` around this code, if any."""
    return _current_run.get()


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _money(value: str | Decimal | int | None, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what}: give an exact decimal (str or Decimal), not {type(value).__name__}")
    if isinstance(value, int):
        return str(value)
    return format(Decimal(value), "f")


class Countersign:
    """A Countersign server seen by one agent (one ingest key).

    >>> cs = Countersign("http://127.0.0.1:8787", key="cs_ingest_...")
    """

    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout: float = 30.0,
        retry_for: float = 30.0,
        allow_http: bool = False,
    ) -> None:
        self._t = Transport(url, key, timeout=timeout, retry_for=retry_for, allow_http=allow_http)

    @property
    def url(self) -> str:
        return self._t.base_url

    # -- runs -------------------------------------------------------------------------------

    def report_run(self, run: Mapping[str, Any]) -> RunReport:
        """Posts one run record (`Run` in the protocol). A higher ``revision`` replaces the
        stored one; an equal or lower one is ``ignored``, so a retry is harmless."""
        body = self._t.call("POST", "/v1/runs", dict(run), idempotent=True)
        return RunReport(str(body["run_id"]), str(body["status"]), int(body["revision"]))

    def report_runs(self, runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Posts up to 1000 runs at once; one result per item (a rejected item carries its
        ``problem`` and never keeps the others out)."""
        body = self._t.call("POST", "/v1/runs", {"items": [dict(r) for r in runs]}, idempotent=True)
        return [dict(r) for r in body["results"]]

    @contextmanager
    def run(
        self,
        *,
        workflow: str,
        user_id: str,
        model: str,
        run_id: str | None = None,
        team: str | None = None,
        tenant: str | None = None,
        workflow_version: str | None = None,
        inputs: Any = None,
    ) -> Iterator[RunReporter]:
        """Opens a run reported as it goes (revision 0 now, one revision per tool call, the
        last on leaving: ``success``, or ``fail`` when an exception escapes). Inside it,
        :func:`requires_approval` files actions under this run."""
        rec = RunReporter(
            self,
            workflow=workflow,
            user_id=user_id,
            model=model,
            run_id=run_id,
            team=team,
            tenant=tenant,
            workflow_version=workflow_version,
            inputs=inputs,
        )
        rec.report()
        token = _current_run.set(rec)
        try:
            yield rec
        except BaseException as e:
            if not rec.finished:
                rec.finish("budget_stopped" if isinstance(e, BudgetStopped) else "fail", error=str(e))
            raise
        finally:
            _current_run.reset(token)
        if not rec.finished:
            rec.finish("success")

    # -- actions ----------------------------------------------------------------------------

    def request_action(
        self,
        *,
        run_id: str,
        kind: str,
        title: str,
        target: Target,
        fields: Sequence[ReviewField],
        risk: Risk = "high",
        idempotency_key: str | None = None,
        proposed: Any = None,
        rationale: str | None = None,
        expires_in_secs: int = 900,
        rollback: Rollback | None = None,
        webhook_url: str | None = None,
        webhook_id: str | None = None,
        tenant: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ActionTicket:
        """Posts a pending write for review. The idempotency key (a new one when not given)
        makes the post safe to retry: the same key and body answer the same action."""
        body: dict[str, Any] = {
            "idempotency_key": idempotency_key or f"py-{uuid.uuid4()}",
            "run_id": run_id,
            "kind": kind,
            "title": title,
            "target": {"system": target.system, "record_id": target.record_id},
            "risk": risk,
            "fields": [f.to_json() for f in fields],
            "expires_in_secs": expires_in_secs,
        }
        if proposed is not None:
            body["proposed"] = proposed
        if rationale is not None:
            body["rationale"] = rationale
        if rollback is not None:
            body["rollback"] = rollback.to_json()
        if webhook_url is not None:
            body["webhook_url"] = webhook_url
        if webhook_id is not None:
            body["webhook_id"] = webhook_id
        if tenant is not None:
            body["tenant"] = tenant
        if extra:
            body.update(extra)
        return self.post_action(body)

    # -- webhooks ---------------------------------------------------------------------------

    def register_webhook(self, url: str) -> Webhook:
        """Registers ``url`` to receive this agent's decisions, signed (check them with
        :func:`countersign.webhooks.verify_signature`). The secret is in the answer only: keep
        it. Name the webhook in :meth:`request_action` with ``webhook_id``."""
        r = self._t.call("POST", "/v1/webhooks", {"url": url}, idempotent=False, ok=(201,))
        return Webhook(webhook_id=str(r["webhook_id"]), url=str(r["url"]), secret=str(r["secret"]))

    def webhooks(self) -> list[Webhook]:
        """This agent's webhooks (without their secrets)."""
        r = self._t.call("GET", "/v1/webhooks", idempotent=True)
        return [Webhook(webhook_id=str(w["webhook_id"]), url=str(w["url"]), secret=None) for w in r["items"]]

    def delete_webhook(self, webhook_id: str) -> None:
        """Stops deliveries to a webhook."""
        self._t.call("DELETE", f"/v1/webhooks/{quote(webhook_id, safe='')}", idempotent=True, ok=(204,))

    def post_action(self, body: Mapping[str, Any]) -> ActionTicket:
        """Posts a ready `ActionRequest` body (it must carry its ``idempotency_key``)."""
        if not body.get("idempotency_key"):
            raise ValueError("an action needs its idempotency_key")
        r = self._t.call("POST", "/v1/actions", dict(body), idempotent=True)
        a = r["action"]
        return ActionTicket(
            action_id=str(a["action_id"]),
            status=str(a["status"]),
            expires_at=str(a.get("expires_at", "")),
            replayed=bool(r.get("replayed", False)),
            raw=a,
        )

    def decision(self, action_id: str, *, wait: int = 0, retry_for: float | None = None) -> Decision:
        """The action's state now, or after holding up to ``wait`` seconds (0-60) for it to
        change. Lost answers are retried for ``retry_for`` seconds (the client's default)."""
        path = f"/v1/actions/{quote(action_id, safe='')}/decision?wait={int(wait)}"
        body = self._t.call("GET", path, idempotent=True, timeout=wait + 15.0, retry_for=retry_for)
        return Decision.from_json(body)

    def wait_for_decision(self, action_id: str, *, timeout: float | None = None) -> Decision:
        """Long-polls until the action is decided or expired, reconnecting after lost
        connections and server errors. Without ``timeout`` it waits until the server's
        deadline for the action (which then answers ``expired``); with one it raises
        :class:`DecisionTimeout` when that passes first."""
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        failures = 0
        while True:
            left = MAX_POLL_SECS if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise DecisionTimeout(action_id, time.monotonic() - started)
            wait = max(0, min(MAX_POLL_SECS, int(left)))
            try:
                d = self.decision(action_id, wait=wait, retry_for=None if deadline is None else left)
                failures = 0
            except TransportError:
                # Lost even after the transport's retries: keep trying until the deadline.
                failures += 1
                if deadline is None and failures > 20:
                    raise
                time.sleep(min(0.1 * failures, 2.0))
                continue
            if d.decided or d.status != "pending":
                return d
            if wait == 0 and deadline is not None:
                # Less than a second left: one last look after the deadline.
                time.sleep(max(0.0, deadline - time.monotonic()))

    def request_approval(
        self,
        *,
        run_id: str,
        kind: str,
        title: str,
        target: Target,
        fields: Sequence[ReviewField],
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Decision:
        """Posts the action and waits for its decision (see :meth:`wait_for_decision`).
        Check ``decision.outcome``: ``approved``, ``edited``, ``denied`` or ``expired``;
        ``decision.fields`` are the values to execute."""
        ticket = self.request_action(
            run_id=run_id, kind=kind, title=title, target=target, fields=fields, **kwargs
        )
        return self.wait_for_decision(ticket.action_id, timeout=timeout)

    def report_result(
        self,
        action_id: str,
        status: Literal["executed", "failed"],
        *,
        detail: Any = None,
        error: str | None = None,
    ) -> ActionTicket:
        """Reports the execution of an approved action, once: the same report again is a
        harmless replay; a different one is refused (``Conflict``, ``result-reported``)."""
        body: dict[str, Any] = {"status": status}
        if detail is not None:
            body["detail"] = detail
        if error is not None:
            body["error"] = error
        r = self._t.call(
            "POST", f"/v1/actions/{quote(action_id, safe='')}/result", body, idempotent=True
        )
        a = r["action"]
        return ActionTicket(
            action_id=str(a["action_id"]),
            status=str(a["status"]),
            expires_at=str(a.get("expires_at", "")),
            replayed=bool(r.get("replayed", False)),
            raw=a,
        )

    # -- rollback ---------------------------------------------------------------------------

    def rollback_request(self, action_id: str, *, wait: int = 0) -> RollbackRequest:
        """Whether the console asked to roll back this executed action (``state``: ``none``,
        ``requested``, ``rolled_back`` or ``failed``), holding up to ``wait`` seconds (0-60)
        while nothing is asked."""
        path = f"/v1/actions/{quote(action_id, safe='')}/rollback?wait={int(wait)}"
        return RollbackRequest.from_json(self._t.call("GET", path, idempotent=True, timeout=wait + 15.0))

    def wait_for_rollback_request(self, action_id: str, *, timeout: float) -> RollbackRequest | None:
        """Long-polls until a rollback of the action is requested; ``None`` when ``timeout``
        seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            r = self.rollback_request(action_id, wait=max(0, min(MAX_POLL_SECS, int(left))))
            if r.state == "requested":
                return r
            if time.monotonic() >= deadline:
                return None

    def report_rolled_back(
        self,
        action_id: str,
        *,
        ok: bool = True,
        detail: Any = None,
        error: str | None = None,
    ) -> ActionTicket:
        """Confirms a requested rollback (the action becomes ``rolled_back``), or with
        ``ok=False`` says why the write could not be undone (``error`` required)."""
        body: dict[str, Any] = {"status": "rolled_back" if ok else "failed"}
        if detail is not None:
            body["detail"] = detail
        if error is not None:
            body["error"] = error
        r = self._t.call(
            "POST", f"/v1/actions/{quote(action_id, safe='')}/rolled-back", body, idempotent=True
        )
        a = r["action"]
        return ActionTicket(
            action_id=str(a["action_id"]),
            status=str(a["status"]),
            expires_at=str(a.get("expires_at", "")),
            replayed=bool(r.get("replayed", False)),
            raw=a,
        )

    # -- budget -----------------------------------------------------------------------------

    def reserve(
        self,
        *,
        workflow: str,
        user_id: str,
        team: str | None = None,
        estimated_cost: str | Decimal | None = None,
        estimated_cost_micros: int | None = None,
        tool_calls: int = 0,
        ttl_secs: int | None = None,
    ) -> Reservation:
        """Asks before spending. Returns the reservation, or raises :class:`BudgetStopped`
        naming the hard cap that refused it. Not retried after a lost answer (a retry could
        hold twice); 429/503 are retried."""
        body: dict[str, Any] = {"workflow": workflow, "user_id": user_id, "tool_calls": tool_calls}
        if team is not None:
            body["team"] = team
        cost = _money(estimated_cost, "estimated_cost")
        if cost is not None:
            body["estimated_cost"] = cost
        if estimated_cost_micros is not None:
            body["estimated_cost_micros"] = estimated_cost_micros
        if cost is None and estimated_cost_micros is None:
            body["estimated_cost_micros"] = 0
        if ttl_secs is not None:
            body["ttl_secs"] = ttl_secs
        r = self._t.call("POST", "/v1/budget/reserve", body, idempotent=False)
        if not r.get("allowed"):
            raise BudgetStopped(BudgetStop.from_json(r.get("stopped_by") or {}))
        return Reservation(str(r["reservation_id"]), str(r.get("expires_at", "")))

    def settle(
        self,
        reservation: Reservation | str,
        *,
        final_cost: str | Decimal | None = None,
        final_cost_micros: int | None = None,
        run_id: str | None = None,
    ) -> bool:
        """Settles a reservation with the final cost; returns whether this call settled it
        (``False`` for a replay of the same settlement)."""
        rid = reservation.reservation_id if isinstance(reservation, Reservation) else reservation
        body: dict[str, Any] = {"reservation_id": rid}
        cost = _money(final_cost, "final_cost")
        if cost is not None:
            body["final_cost"] = cost
        if final_cost_micros is not None:
            body["final_cost_micros"] = final_cost_micros
        if run_id is not None:
            body["run_id"] = run_id
        r = self._t.call("POST", "/v1/budget/settle", body, idempotent=True)
        return not bool(r.get("replayed", False))


class RunReporter:
    """A run record that is reported again (one revision higher) whenever it changes."""

    def __init__(
        self,
        client: Countersign,
        *,
        workflow: str,
        user_id: str,
        model: str,
        run_id: str | None = None,
        team: str | None = None,
        tenant: str | None = None,
        workflow_version: str | None = None,
        inputs: Any = None,
    ) -> None:
        self.client = client
        self.run_id = run_id or f"run-{uuid.uuid4()}"
        self.revision = -1
        self.finished = False
        self._t0 = time.monotonic()
        self.record: dict[str, Any] = {
            "run_id": self.run_id,
            "user_id": user_id,
            "workflow": workflow,
            "model": model,
            "cost_micros": 0,
            "latency_ms": 0,
            "outcome": "pending",
            "started_at": now_rfc3339(),
            "tool_calls": [],
        }
        for k, v in (
            ("team", team),
            ("tenant", tenant),
            ("workflow_version", workflow_version),
            ("inputs", inputs),
        ):
            if v is not None:
                self.record[k] = v

    def report(self) -> RunReport:
        """Posts the record as the next revision."""
        self.revision += 1
        self.record["revision"] = self.revision
        self.record["latency_ms"] = int((time.monotonic() - self._t0) * 1000)
        self.record["updated_at"] = now_rfc3339()
        return self.client.report_run(self.record)

    def tool_call(
        self,
        tool: str,
        arguments: Any = None,
        *,
        result: Any = None,
        result_summary: str | None = None,
        error: str | None = None,
        started_at: str | None = None,
        cost_micros: int = 0,
        call_id: str | None = None,
        report: bool = True,
    ) -> str:
        """Adds a finished tool call (and its cost) and reports the new revision."""
        cid = call_id or f"call-{len(self.record['tool_calls']) + 1}"
        call: dict[str, Any] = {
            "call_id": cid,
            "tool": tool,
            "started_at": started_at or now_rfc3339(),
            "ended_at": now_rfc3339(),
            "cost_micros": cost_micros,
        }
        if arguments is not None:
            call["arguments"] = arguments
        if result is not None:
            call["result"] = result
        if result_summary is not None:
            call["result_summary"] = result_summary
        if error is not None:
            call["error"] = error
        self.record["tool_calls"].append(call)
        self.record["cost_micros"] = int(self.record["cost_micros"]) + cost_micros
        if report:
            self.report()
        return cid

    def finish(
        self,
        outcome: Literal["success", "fail", "escalated", "denied", "budget_stopped"] = "success",
        *,
        outputs: Any = None,
        cost_micros: int | None = None,
        decision: str | None = None,
        error: str | None = None,
    ) -> RunReport:
        """Reports the final revision with its outcome."""
        self.record["outcome"] = outcome
        self.record["ended_at"] = now_rfc3339()
        if outputs is not None:
            self.record["outputs"] = outputs
        elif error is not None and "outputs" not in self.record:
            self.record["outputs"] = {"error": error}
        if cost_micros is not None:
            self.record["cost_micros"] = cost_micros
        if decision is not None:
            self.record["decision"] = decision
        self.finished = True
        return self.report()
