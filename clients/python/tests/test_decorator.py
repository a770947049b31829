"""``@requires_approval`` on plain functions: the call blocks until decided, a denial raises,
edited values are used (typed), the result is reported once -- also through a server that
drops, cuts short and refuses a share of its answers."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from conftest import WatchedClient
from server import Reviewer, Server, serve

from countersign import (
    AlreadyExecuted,
    ApprovalDenied,
    ApprovalExpired,
    Countersign,
    FieldSpec,
    Target,
    requires_approval,
)

FIELDS = [
    FieldSpec("order_id", "identifier", editable=False),
    FieldSpec("amount", "money", confirm="reenter"),
    FieldSpec("notify", "bool"),
]


def refund_fn(client: Countersign, calls: list[tuple[str, Decimal, bool]], **kw: Any) -> Any:
    @requires_approval(
        client,
        kind="issue_refund",
        title=lambda a: f"Refund {a['amount']} on {a['order_id']}",
        fields=FIELDS,
        target=lambda a: Target("billing", a["order_id"]),
        **kw,
    )
    def issue_refund(order_id: str, amount: Decimal, notify: bool = True) -> dict[str, Any]:
        calls.append((order_id, amount, notify))
        return {"refund_id": f"rf_{len(calls)}", "amount": str(amount)}

    return issue_refund


def test_approved_call_runs_once_and_is_recorded_on_the_run(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str
) -> None:
    calls: list[tuple[str, Decimal, bool]] = []
    issue_refund = refund_fn(client, calls)

    def review() -> Any:
        assert client.waiting.wait(20), "the call never waited"
        assert calls == [], "ran before the decision"
        return reviewer.decide(reviewer.pending(run_id, "issue_refund"), "approve")

    bg = reviewer.in_background(review)
    with client.run(run_id=run_id, workflow="refund_request", user_id="u_1", model="none"):
        out = issue_refund("ord_7", Decimal("12.50"))
    decided = bg.join()
    assert out == {"refund_id": "rf_1", "amount": "12.50"}
    assert calls == [("ord_7", Decimal("12.50"), True)]
    action_id = decided["action"]["action_id"]
    action = server.action(action_id)
    assert action["status"] == "executed"
    assert [f["value"] for f in action["fields"]] == ["ord_7", "12.50", "true"]
    run = server.run(run_id)
    assert run["outcome"] == "success"
    assert [(c["tool"], c["call_id"]) for c in run["tool_calls"]] == [("issue_refund", f"approval-{action_id}")]


def test_edited_values_are_used_with_the_arguments_types(
    client: WatchedClient, reviewer: Reviewer, run_id: str
) -> None:
    calls: list[tuple[str, Decimal, bool]] = []
    issue_refund = refund_fn(client, calls, run_id=run_id)
    bg = reviewer.in_background(lambda: reviewer.decide(
        reviewer.pending(run_id), "approve_with_edits", edits={"amount": "9.99", "notify": "false"}))
    out = issue_refund("ord_8", Decimal("12.50"), notify=True)
    bg.join()
    assert calls == [("ord_8", Decimal("9.99"), False)]
    assert out["amount"] == "9.99"


def test_denied_raises_with_the_reason_and_never_runs(
    client: WatchedClient, reviewer: Reviewer, run_id: str
) -> None:
    calls: list[tuple[str, Decimal, bool]] = []
    issue_refund = refund_fn(client, calls, run_id=run_id)
    bg = reviewer.in_background(lambda: reviewer.decide(reviewer.pending(run_id), "deny", reason="fraud"))
    with pytest.raises(ApprovalDenied) as e:
        issue_refund("ord_9", Decimal("100"))
    bg.join()
    assert (e.value.reason, e.value.decision.status) == ("fraud", "denied")
    assert calls == []


def test_expired_raises_expired_not_denied(client: WatchedClient, run_id: str) -> None:
    calls: list[tuple[str, Decimal, bool]] = []
    issue_refund = refund_fn(client, calls, run_id=run_id, expires_in_secs=1)
    with pytest.raises(ApprovalExpired) as e:
        issue_refund("ord_10", Decimal("1"))
    assert e.value.decision.status == "expired"
    assert calls == []


def test_a_restarted_agent_finds_its_action_and_does_not_execute_twice(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str
) -> None:
    calls: list[tuple[str, Decimal, bool]] = []

    def key(a: Any) -> str:
        return f"{run_id}/refund/{a['order_id']}"

    issue_refund = refund_fn(client, calls, run_id=run_id, idempotency_key=key)
    bg = reviewer.in_background(lambda: reviewer.decide(reviewer.pending(run_id), "approve"))
    issue_refund("ord_11", Decimal("5.00"))
    bg.join()
    # The same call again (say, after a crash and restart): the server answers the same
    # action, already executed; the function does not run again.
    again = refund_fn(client, calls, run_id=run_id, idempotency_key=key)
    with pytest.raises(AlreadyExecuted) as e:
        again("ord_11", Decimal("5.00"))
    assert e.value.decision.status == "executed"
    assert len(calls) == 1
    executed = [a for a in server.feed("actions") if a["run_id"] == run_id]
    assert {a["action_id"] for a in executed} == {e.value.decision.action_id}


def test_a_failing_function_is_reported_failed_and_raises(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str
) -> None:
    @requires_approval(client, run_id=run_id, kind="close_ticket", fields=[FieldSpec("ticket_id", "identifier")])
    def close_ticket(ticket_id: str) -> None:
        raise ConnectionError("helpdesk unreachable")

    bg = reviewer.in_background(lambda: reviewer.decide(reviewer.pending(run_id), "approve"))
    with pytest.raises(ConnectionError):
        close_ticket("T-42")
    decided = bg.join()
    action_id = decided["action"]["action_id"]
    assert server.action(action_id)["status"] == "failed"
    d = client.decision(action_id)
    assert d.result is not None and d.result["error"] == "ConnectionError: helpdesk unreachable"


def test_an_async_function_waits_without_blocking_the_loop(
    client: WatchedClient, reviewer: Reviewer, run_id: str
) -> None:
    @requires_approval(client, run_id=run_id, kind="update_crm_field")
    async def update_crm(record_id: str, field: str, value: str) -> str:
        return f"{record_id}.{field}={value}"

    ticks = 0

    async def main() -> str:
        nonlocal ticks
        task = asyncio.create_task(update_crm("acct_1", "tier", "gold"))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return await task

    bg = reviewer.in_background(lambda: reviewer.decide(
        reviewer.pending(run_id), "approve_with_edits", edits={"value": "silver"}))
    assert asyncio.run(main()) == "acct_1.tier=silver"
    bg.join()
    assert ticks > 1, "the event loop was blocked while waiting"


def test_without_a_run_the_decorator_says_so(client: WatchedClient) -> None:
    @requires_approval(client)
    def f(x: int) -> int:
        return x

    with pytest.raises(RuntimeError, match="no run_id"):
        f(1)


def test_through_a_faulty_server_each_approved_call_executes_exactly_once() -> None:
    with serve("--faults", "0.3", "--seed", "11") as faulty:
        client = Countersign(faulty.url, faulty.create_key("flaky-agent"))
        reviewer = Reviewer(faulty, faulty.create_key("flaky-reviewer", "reviewer"))
        calls: list[tuple[str, Decimal, bool]] = []
        for i in range(6):
            run_id = f"flaky-{i}"
            issue_refund = refund_fn(client, calls, run_id=run_id,
                                     idempotency_key=lambda a: f"refund/{a['order_id']}")
            bg = reviewer.in_background(lambda: reviewer.decide(reviewer.pending(run_id), "approve"))
            issue_refund(f"ord_{i}", Decimal("1.00"))
            bg.join()
        assert [c[0] for c in calls] == [f"ord_{i}" for i in range(6)]
        latest: dict[str, dict[str, Any]] = {}
        for a in faulty.feed("actions"):
            latest[a["action_id"]] = a
        assert len(latest) == 6, "a retried post created a second action"
        assert {a["status"] for a in latest.values()} == {"executed"}
