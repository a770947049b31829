"""pydantic-ai deferred tools and OpenAI Agents SDK approvals, with the real packages and
scripted models, decided by a reviewer on a real server while the agent waits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agents import Agent as OAgent
from agents import set_tracing_disabled
from conftest import WatchedClient
from pydantic_ai import Agent
from pydantic_ai.messages import ToolReturnPart
from pydantic_ai.tools import DeferredToolRequests
from scripted import OpenAIScripted, pydantic_model
from server import Reviewer, Server

from countersign import ApprovalSpec, FieldSpec, Target
from countersign.openai_agents import OpenAIAgentsApprovals
from countersign.pydantic_ai import PydanticAIApprovals

set_tracing_disabled(True)

REFUND = ApprovalSpec(
    kind="issue_refund",
    title=lambda a: f"Refund {a['amount']} {a['currency']} on {a['order_id']}",
    fields=[
        FieldSpec("amount", "money", label="Refund amount", confirm="reenter"),
        FieldSpec("currency", "currency", editable=False),
        FieldSpec("order_id", "identifier", editable=False),
    ],
    target=lambda a: Target("billing", str(a["order_id"])),
    risk="high",
)
ARGS = {"order_id": "ord_1001", "amount": "40.00", "currency": "EUR"}


def pydantic_agent(executed: list[dict[str, Any]], fail: bool = False) -> Agent[None, str | DeferredToolRequests]:
    agent: Agent[None, str | DeferredToolRequests] = Agent(
        pydantic_model("issue_refund", ARGS), output_type=[str, DeferredToolRequests]
    )

    @agent.tool_plain(requires_approval=True)
    def issue_refund(order_id: str, amount: str, currency: str) -> str:
        if fail:
            raise RuntimeError("billing is down")
        executed.append({"order_id": order_id, "amount": amount, "currency": currency})
        return f"refunded {amount} {currency} on {order_id}"

    return agent


def review_when_waiting(client: WatchedClient, reviewer: Reviewer, run_id: str, decision: str, **kw: Any) -> Any:
    def go() -> Any:
        assert client.waiting.wait(20), "the agent never waited"
        return reviewer.decide(reviewer.pending(run_id, "issue_refund"), decision, **kw)

    return reviewer.in_background(go)


@pytest.mark.parametrize("decision,edits,amount", [("approve", None, "40.00"), ("approve_with_edits", {"amount": "35.50"}, "35.50")])
def test_pydantic_ai_approved_runs_the_tool_once_with_the_confirmed_args(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str,
    decision: str, edits: dict[str, str] | None, amount: str,
) -> None:
    executed: list[dict[str, Any]] = []
    agent = pydantic_agent(executed)
    approvals = PydanticAIApprovals(client, run_id=run_id, specs={"issue_refund": REFUND})
    bg = review_when_waiting(client, reviewer, run_id, decision, edits=edits)
    result = asyncio.run(approvals.run(agent, "refund order ord_1001"))
    bg.join()
    assert executed == [{"order_id": "ord_1001", "amount": amount, "currency": "EUR"}]
    assert result.output == f"tool said: refunded {amount} EUR on ord_1001"
    (d,) = approvals.decisions.values()
    action = server.action(d.action_id)
    assert action["status"] == "executed"
    assert action["title"] == "Refund 40.00 EUR on ord_1001"
    assert action["target"] == {"system": "billing", "record_id": "ord_1001"}
    final = client.decision(d.action_id)
    assert final.result is not None and final.result["detail"] == f"refunded {amount} EUR on ord_1001"


def test_pydantic_ai_denied_is_a_tool_denied_with_the_reason(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str
) -> None:
    executed: list[dict[str, Any]] = []
    agent = pydantic_agent(executed)
    approvals = PydanticAIApprovals(client, run_id=run_id, specs={"issue_refund": REFUND})
    bg = review_when_waiting(client, reviewer, run_id, "deny", reason="order already refunded")
    result = asyncio.run(approvals.run(agent, "refund order ord_1001"))
    bg.join()
    assert executed == []
    assert "Denied by py-reviewer: order already refunded" in result.output
    denied = [p for m in result.all_messages() for p in getattr(m, "parts", [])
              if isinstance(p, ToolReturnPart) and p.outcome == "denied"]
    assert len(denied) == 1
    (d,) = approvals.decisions.values()
    assert server.action(d.action_id)["status"] == "denied"


def test_pydantic_ai_expired_is_denied_to_the_model_as_expired(client: WatchedClient, server: Server, run_id: str) -> None:
    executed: list[dict[str, Any]] = []
    agent = pydantic_agent(executed)
    spec = ApprovalSpec(kind="issue_refund", fields=REFUND.fields, target=REFUND.target, expires_in_secs=1)
    approvals = PydanticAIApprovals(client, run_id=run_id, specs={"issue_refund": spec})
    result = asyncio.run(approvals.run(agent, "refund order ord_1001"))
    assert executed == []
    assert "No reviewer decided before the deadline" in result.output
    (d,) = approvals.decisions.values()
    assert d.outcome == "expired"
    assert server.action(d.action_id)["status"] == "expired"


def test_pydantic_ai_a_failing_tool_is_reported_failed(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str
) -> None:
    agent = pydantic_agent([], fail=True)
    approvals = PydanticAIApprovals(client, run_id=run_id, specs={"issue_refund": REFUND})
    bg = review_when_waiting(client, reviewer, run_id, "approve")
    with pytest.raises(RuntimeError, match="billing is down"):
        asyncio.run(approvals.run(agent, "refund order ord_1001"))
    bg.join()
    (d,) = approvals.decisions.values()
    assert server.action(d.action_id)["status"] == "failed"
    final = client.decision(d.action_id)
    assert final.result is not None and "billing is down" in final.result["error"]


def openai_agent(approvals: OpenAIAgentsApprovals, executed: list[dict[str, Any]],
                 model: OpenAIScripted, fail: bool = False) -> OAgent[Any]:
    def issue_refund(order_id: str, amount: str, currency: str) -> str:
        """Refund an order."""
        if fail:
            raise RuntimeError("billing is down")
        executed.append({"order_id": order_id, "amount": amount, "currency": currency})
        return f"refunded {amount} {currency} on {order_id}"

    return OAgent(name="refunds", model=model, tools=[approvals.tool(issue_refund, REFUND)])


@pytest.mark.parametrize("decision,edits,amount", [("approve", None, "40.00"), ("approve_with_edits", {"amount": "35.50"}, "35.50")])
def test_openai_agents_approved_resumes_and_runs_with_the_confirmed_args(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str,
    decision: str, edits: dict[str, str] | None, amount: str,
) -> None:
    executed: list[dict[str, Any]] = []
    approvals = OpenAIAgentsApprovals(client, run_id=run_id)
    model = OpenAIScripted("issue_refund", ARGS)
    agent = openai_agent(approvals, executed, model)
    bg = review_when_waiting(client, reviewer, run_id, decision, edits=edits)
    result = asyncio.run(approvals.run(agent, "refund order ord_1001"))
    bg.join()
    assert executed == [{"order_id": "ord_1001", "amount": amount, "currency": "EUR"}]
    assert result.interruptions == []
    assert result.final_output == f"tool said: refunded {amount} EUR on ord_1001"
    (d,) = approvals.decisions.values()
    assert server.action(d.action_id)["status"] == "executed"
    final = client.decision(d.action_id)
    assert final.result is not None and final.result["detail"] == f"refunded {amount} EUR on ord_1001"


def test_openai_agents_denied_is_rejected_with_the_reason(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str
) -> None:
    executed: list[dict[str, Any]] = []
    approvals = OpenAIAgentsApprovals(client, run_id=run_id)
    agent = openai_agent(approvals, executed, OpenAIScripted("issue_refund", ARGS))
    bg = review_when_waiting(client, reviewer, run_id, "deny", reason="order already refunded")
    result = asyncio.run(approvals.run(agent, "refund order ord_1001"))
    bg.join()
    assert executed == []
    assert result.final_output == "tool said: Denied by py-reviewer: order already refunded"
    (d,) = approvals.decisions.values()
    assert server.action(d.action_id)["status"] == "denied"


def test_openai_agents_expired_is_rejected_as_expired(client: WatchedClient, server: Server, run_id: str) -> None:
    executed: list[dict[str, Any]] = []
    approvals = OpenAIAgentsApprovals(client, run_id=run_id)
    agent = openai_agent(approvals, executed, OpenAIScripted("issue_refund", ARGS))
    approvals.specs["issue_refund"] = ApprovalSpec(
        kind="issue_refund", fields=REFUND.fields, target=REFUND.target, expires_in_secs=1)
    result = asyncio.run(approvals.run(agent, "refund order ord_1001"))
    assert executed == []
    assert "No reviewer decided before the deadline" in str(result.final_output)
    (d,) = approvals.decisions.values()
    assert server.action(d.action_id)["status"] == "expired"


def test_openai_agents_a_failing_tool_is_reported_failed_once(
    client: WatchedClient, reviewer: Reviewer, server: Server, run_id: str
) -> None:
    approvals = OpenAIAgentsApprovals(client, run_id=run_id)
    agent = openai_agent(approvals, [], OpenAIScripted("issue_refund", ARGS), fail=True)
    bg = review_when_waiting(client, reviewer, run_id, "approve")
    result = asyncio.run(approvals.run(agent, "refund order ord_1001"))
    bg.join()
    assert "The tool failed: billing is down" in str(result.final_output)
    (d,) = approvals.decisions.values()
    assert server.action(d.action_id)["status"] == "failed"


def test_openai_agents_a_local_approval_without_countersign_does_not_execute(
    client: WatchedClient, run_id: str
) -> None:
    from agents import Runner

    executed: list[dict[str, Any]] = []
    approvals = OpenAIAgentsApprovals(client, run_id=run_id)
    agent = openai_agent(approvals, executed, OpenAIScripted("issue_refund", ARGS))

    async def bypass() -> Any:
        first = await Runner.run(agent, "refund order ord_1001")
        assert len(first.interruptions) == 1
        state = first.to_state()
        state.approve(first.interruptions[0])  # approved in code, never asked in Countersign
        return await Runner.run(agent, state)

    result = asyncio.run(bypass())
    assert executed == []
    assert "has no Countersign approval" in str(result.final_output)
