"""Rollback of a write the agent executed itself, against a real `countersign backend serve`:
the console asks (as a reviewer would), the agent sees the request with its own rollback
descriptor, undoes the write and confirms; or says why it could not."""

from __future__ import annotations

import pytest
from conftest import WatchedClient
from server import Reviewer, Server
from test_client import ask

from countersign import Conflict, InvalidRequest, Rollback


def executed(client: WatchedClient, reviewer: Reviewer, run_id: str) -> str:
    action_id = ask(client, run_id, rollback=Rollback(True, "reverse the refund", {"op": "reverse"}))
    reviewer.decide(reviewer.pending(run_id), "approve")
    assert client.wait_for_decision(action_id, timeout=20).status == "approved"
    assert client.report_result(action_id, "executed", detail={"refund_id": "rf_1"}).status == "executed"
    return action_id


def ask_rollback(reviewer: Reviewer, action_id: str, key: str) -> None:
    reviewer.t.call(
        "POST",
        f"/v1/actions/{action_id}/rollback",
        {"idempotency_key": key, "reason": "customer kept the item"},
        idempotent=True,
    )


def test_the_agent_rolls_back_when_the_console_asks(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str
) -> None:
    action_id = executed(client, reviewer, run_id)
    assert client.rollback_request(action_id).state == "none"
    assert client.wait_for_rollback_request(action_id, timeout=1) is None
    ask_rollback(reviewer, action_id, f"rb-{run_id}-1")
    req = client.wait_for_rollback_request(action_id, timeout=20)
    assert req is not None
    assert (req.state, req.reason) == ("requested", "customer kept the item")
    assert req.rollback == {"supported": True, "description": "reverse the refund", "inverse": {"op": "reverse"}}
    with pytest.raises(InvalidRequest):
        client.report_rolled_back(action_id, ok=False)
    assert client.report_rolled_back(action_id, ok=False, error="already paid out").status == "executed"
    assert client.rollback_request(action_id).state == "failed"
    checks = {c["name"]: c for c in server.action(action_id)["policy_checks"]}
    assert checks["rollback"]["passed"] is False and "already paid out" in checks["rollback"]["detail"]
    ask_rollback(reviewer, action_id, f"rb-{run_id}-2")
    assert client.report_rolled_back(action_id, detail={"reversal": "rv_1"}).status == "rolled_back"
    assert client.report_rolled_back(action_id, detail={"reversal": "rv_1"}).replayed
    with pytest.raises(Conflict):
        client.report_rolled_back(action_id, ok=False, error="changed my mind")
    assert server.action(action_id)["status"] == "rolled_back"
