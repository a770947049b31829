"""The core client against a real `countersign backend serve`: runs as revisions, approvals
(approve, edit, deny, expire, the caller's own deadline), the result reported once, budget
reservations, and problem errors naming the field."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import WatchedClient
from server import Reviewer, Server, serve

from countersign import (
    BudgetStopped,
    Conflict,
    Countersign,
    DecisionTimeout,
    Forbidden,
    InvalidRequest,
    NotFound,
    ReviewField,
    Target,
    Unauthorized,
)
from countersign._http import Transport


def refund_fields(amount: str) -> list[ReviewField]:
    return [
        ReviewField("amount", amount, kind="money", label="Refund amount", confirm="reenter"),
        ReviewField("currency", "EUR", kind="currency", editable=False),
        ReviewField("order_id", "ord_1001", kind="identifier", editable=False),
    ]


def ask(client: Countersign, run_id: str, amount: str = "40.00", **kw: Any) -> str:
    ticket = client.request_action(
        run_id=run_id,
        kind="issue_refund",
        title="Issue refund",
        target=Target("billing", "ord_1001"),
        fields=refund_fields(amount),
        proposed={"order_id": "ord_1001", "amount": amount, "currency": "EUR"},
        **kw,
    )
    assert ticket.status == "pending"
    return ticket.action_id


def test_a_run_is_reported_as_revisions_with_its_tool_calls(
    client: WatchedClient, server: Server, run_id: str
) -> None:
    with client.run(run_id=run_id, workflow="refund_request", user_id="u_17", model="scripted",
                    team="support", inputs={"ticket": "T-1"}) as run:
        assert server.run(run_id)["outcome"] == "pending"
        run.tool_call("kb_search", {"q": "refund policy"}, result_summary="2 passages", cost_micros=1200)
        run.tool_call("lookup_order", {"order_id": "ord_1001"}, result={"total": "40.00"}, cost_micros=800)
    stored = server.run(run_id)
    assert stored["revision"] == 3
    assert stored["outcome"] == "success"
    assert [c["tool"] for c in stored["tool_calls"]] == ["kb_search", "lookup_order"]
    assert stored["cost_micros"] == 2000
    # An older revision posted again (a retry) is ignored, never replacing the newer one.
    old = dict(run.record, revision=1, outcome="fail")
    assert client.report_run(old).status == "ignored"
    assert server.run(run_id)["outcome"] == "success"


def test_an_exception_in_the_run_reports_it_failed(client: WatchedClient, server: Server, run_id: str) -> None:
    with pytest.raises(RuntimeError):
        with client.run(run_id=run_id, workflow="refund_request", user_id="u_1", model="m"):
            raise RuntimeError("tool crashed")
    stored = server.run(run_id)
    assert (stored["outcome"], stored["outputs"]) == ("fail", {"error": "tool crashed"})


def test_approval_wakes_the_waiting_agent_and_carries_the_values(
    client: WatchedClient, reviewer: Reviewer, run_id: str
) -> None:
    action_id = ask(client, run_id)

    def review() -> None:
        assert client.waiting.wait(20), "the agent never waited"
        reviewer.decide(reviewer.pending(run_id), "approve")

    bg = reviewer.in_background(review)
    started = time.monotonic()
    d = client.wait_for_decision(action_id)
    bg.join()
    assert time.monotonic() - started < 20, "woken by the decision, not by a poll timeout"
    assert (d.status, d.outcome, d.approved) == ("approved", "approved", True)
    assert dict(d.fields) == {"amount": "40.00", "currency": "EUR", "order_id": "ord_1001"}
    assert d.edited == ()


def test_an_edit_comes_back_as_the_values_to_execute(
    client: WatchedClient, reviewer: Reviewer, run_id: str
) -> None:
    bg = reviewer.in_background(
        lambda: reviewer.decide(reviewer.pending(run_id), "approve_with_edits", edits={"amount": "35.50"})
    )
    d = client.request_approval(
        run_id=run_id, kind="issue_refund", title="Issue refund",
        target=Target("billing", "ord_1001"), fields=refund_fields("40.00"),
    )
    bg.join()
    assert (d.outcome, d.fields["amount"], d.edited) == ("edited", "35.50", ("amount",))
    assert d.decided_by == "py-reviewer"


def test_a_denial_carries_the_reason(client: WatchedClient, reviewer: Reviewer, run_id: str) -> None:
    bg = reviewer.in_background(
        lambda: reviewer.decide(reviewer.pending(run_id), "deny", reason="duplicate refund")
    )
    d = client.request_approval(
        run_id=run_id, kind="issue_refund", title="Issue refund",
        target=Target("billing", "ord_1001"), fields=refund_fields("40.00"),
    )
    bg.join()
    assert (d.status, d.outcome, d.approved, d.reason) == ("denied", "denied", False, "duplicate refund")
    assert dict(d.fields) == {}


def test_expired_is_not_denied_and_the_callers_deadline_is_its_own(
    client: WatchedClient, server: Server, run_id: str
) -> None:
    soon = ask(client, run_id, expires_in_secs=1)
    t = time.monotonic()
    d = client.wait_for_decision(soon)
    assert (d.status, d.outcome, d.reason) == ("expired", "expired", None)
    assert time.monotonic() - t < 15
    assert server.action(soon)["status"] == "expired"
    # Still pending on the server, but the agent gives up at its own deadline.
    later = ask(client, run_id, amount="41.00", idempotency_key=f"{run_id}-later")
    with pytest.raises(DecisionTimeout) as e:
        client.wait_for_decision(later, timeout=1.5)
    assert e.value.action_id == later
    assert server.action(later)["status"] == "pending"


def test_the_long_poll_reconnects_after_the_server_crashes_and_comes_back() -> None:
    with serve() as s:
        client = WatchedClient(s.url, s.create_key("restart-agent"))
        reviewer = Reviewer(s, s.create_key("restart-reviewer", "reviewer"))
        action_id = ask(client, "run-restart")

        def crash_restart_decide() -> None:
            assert client.waiting.wait(20), "the agent never waited"
            s.kill()  # the agent's long-poll connection dies with the server
            s.start_again()
            reviewer.decide(reviewer.pending("run-restart"), "approve_with_edits", edits={"amount": "39.00"})

        bg = reviewer.in_background(crash_restart_decide)
        d = client.wait_for_decision(action_id, timeout=60)
        bg.join()
        assert (d.outcome, d.fields["amount"]) == ("edited", "39.00")
        assert client.poll_requests >= 2, "answered by the first long-poll, which the crash cut"


def test_the_result_is_reported_once(client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str) -> None:
    action_id = ask(client, run_id, idempotency_key=f"{run_id}-refund")
    # Before a decision there is nothing to report.
    with pytest.raises(Conflict) as early:
        client.report_result(action_id, "executed")
    assert (early.value.slug, early.value.current_status) == ("not-approved", "pending")
    reviewer.decide(reviewer.pending(run_id), "approve")
    assert client.wait_for_decision(action_id).approved
    first = client.report_result(action_id, "executed", detail={"refund_id": "rf_1"})
    assert (first.status, first.replayed) == ("executed", False)
    again = client.report_result(action_id, "executed", detail={"refund_id": "rf_1"})
    assert again.replayed
    with pytest.raises(Conflict) as other:
        client.report_result(action_id, "failed", error="oops")
    assert other.value.slug == "result-reported"
    assert server.action(action_id)["status"] == "executed"
    # The same key and body answer the same action, now with its result.
    ticket = client.request_action(
        run_id=run_id, kind="issue_refund", title="Issue refund",
        target=Target("billing", "ord_1001"), fields=refund_fields("40.00"),
        proposed={"order_id": "ord_1001", "amount": "40.00", "currency": "EUR"},
        idempotency_key=f"{run_id}-refund",
    )
    assert (ticket.action_id, ticket.replayed) == (action_id, True)
    d = client.decision(action_id)
    assert d.result_reported and d.result is not None and d.result["status"] == "executed"


def test_budget_reserve_settle_and_the_cap_that_stops(client: WatchedClient, server: Server) -> None:
    server.add_caps({
        "budget_id": "bud_py_day",
        "scope": {"kind": "workflow", "value": "py_refunds"},
        "period": "day",
        "time_zone": "UTC",
        "limits": {"max_cost_micros": 1_000_000},
        "enforcement": "hard",
        "alert_at_percent": 80,
        "updated_at": "2026-11-01T00:00:00Z",
    })
    first = client.reserve(workflow="py_refunds", user_id="u_1", estimated_cost="0.70")
    with pytest.raises(BudgetStopped) as stopped:
        client.reserve(workflow="py_refunds", user_id="u_1", estimated_cost="0.40")
    s = stopped.value.stop
    assert (s.budget_id, s.limit, s.period) == ("bud_py_day", "max_cost_micros", "day")
    assert (s.max, s.used, s.requested) == (1_000_000, 700_000, 400_000)
    assert "bud_py_day" in str(stopped.value)
    # Settling for less frees the rest.
    assert client.settle(first, final_cost="0.50") is True
    assert client.settle(first, final_cost="0.50") is False  # the same settlement replayed
    with pytest.raises(Conflict) as again:
        client.settle(first, final_cost="0.60")
    assert again.value.slug == "already-settled"
    second = client.reserve(workflow="py_refunds", user_id="u_1", estimated_cost="0.40")
    assert second.reservation_id != first.reservation_id
    with pytest.raises(TypeError):
        client.reserve(workflow="py_refunds", user_id="u_1", estimated_cost=0.1)  # type: ignore[arg-type]


def test_problem_errors_name_the_field(client: WatchedClient, server: Server, run_id: str, agent_key: str) -> None:
    bad_run = {
        "run_id": run_id, "user_id": "u", "workflow": "w", "model": "m", "cost_micros": 0,
        "latency_ms": 0, "outcome": "pending", "started_at": "yesterday", "updated_at": "2026-11-20T10:00:00Z",
    }
    with pytest.raises(InvalidRequest) as e:
        client.report_run(bad_run)
    assert (e.value.status, e.value.slug, e.value.field) == (422, "invalid-field", "started_at")
    assert "started_at" in str(e.value)
    with pytest.raises(InvalidRequest) as money:
        ask(client, run_id, amount="12.3.4")
    assert money.value.field == "fields[0].value"
    # The same idempotency key with another body is refused, naming the action it holds.
    held = ask(client, run_id, idempotency_key=f"{run_id}-k")
    with pytest.raises(Conflict) as reused:
        ask(client, run_id, amount="99.00", idempotency_key=f"{run_id}-k")
    assert (reused.value.slug, reused.value.field, reused.value.action_id) == (
        "idempotency-key-reused", "idempotency_key", held)
    # An ingest key cannot decide; an unknown key is unauthorized; others' actions are 404.
    with pytest.raises(Forbidden):
        Transport(server.url, agent_key).call(
            "POST", f"/v1/actions/{held}/decision",
            {"decision": "deny", "reason": "self-serve", "idempotency_key": "x"}, idempotent=True)
    with pytest.raises(Unauthorized):
        Countersign(server.url, "cs_nope").decision(held)
    other = Countersign(server.url, server.create_key("py-other-agent"))
    with pytest.raises(NotFound):
        other.decision(held)
    with pytest.raises(InvalidRequest) as wait:
        client.decision(held, wait=3600)
    assert wait.value.field == "wait"


def test_a_key_is_never_sent_over_plain_http_to_another_host() -> None:
    with pytest.raises(ValueError):
        Countersign("http://example.com", "k")
    Countersign("http://example.com", "k", allow_http=True)
    Countersign("https://example.com", "k")
