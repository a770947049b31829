"""pydantic-ai deferred tools reviewed in Countersign.

A tool registered with ``requires_approval=True`` ends the agent run with
``DeferredToolRequests``. :meth:`PydanticAIApprovals.resolve` turns each approval request into
a Countersign action (idempotency key ``<run_id>/<tool_call_id>``), waits for the reviewers,
and answers with ``DeferredToolResults``: ``ToolApproved`` (with ``override_args`` when a
reviewer edited a value), or ``ToolDenied`` carrying the reviewer's reason (or the expiry).
:meth:`PydanticAIApprovals.report` then reports each approved call's execution once, from the
tool returns of the continued run. :meth:`PydanticAIApprovals.run` does the whole loop.

    approvals = PydanticAIApprovals(client, run_id=run.run_id, specs={"issue_refund": spec})
    result = await approvals.run(agent, "Refund order ord_1001")
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.agent import AgentRunResult
from pydantic_ai.messages import ModelMessage, ModelRequest, RetryPromptPart, ToolReturnPart
from pydantic_ai.tools import DeferredToolRequests, DeferredToolResults, ToolApproved, ToolDenied

from .approval import RunApprovals, result_detail
from .client import Countersign
from .models import ApprovalSpec, Decision

__all__ = ["PydanticAIApprovals"]


class PydanticAIApprovals(RunApprovals):
    """Countersign reviews for one agent run's deferred tool calls."""

    def __init__(
        self,
        client: Countersign,
        *,
        run_id: str,
        specs: Mapping[str, ApprovalSpec] | None = None,
        default: ApprovalSpec | None = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__(client, run_id=run_id, specs=specs, default=default, timeout=timeout)
        # tool_call_id -> the decision, for approved calls whose result is not reported yet.
        self._awaiting_result: dict[str, Decision] = {}

    async def resolve(self, requests: DeferredToolRequests) -> DeferredToolResults:
        """Asks Countersign about every approval request (concurrently) and answers them."""

        async def one(call: Any) -> tuple[str, ToolApproved | ToolDenied]:
            args = call.args_as_dict()
            decision = await self.decide(call.tool_name, args, call.tool_call_id)
            return call.tool_call_id, self._answer(decision, args, self.spec_for(call.tool_name))

        answers = await asyncio.gather(*(one(c) for c in requests.approvals))
        results = DeferredToolResults()
        for call_id, answer in answers:
            results.approvals[call_id] = answer
        return results

    def _answer(
        self, decision: Decision, args: Mapping[str, Any], spec: ApprovalSpec
    ) -> ToolApproved | ToolDenied:
        if decision.result_reported:
            return ToolDenied(
                f"Already executed earlier (action {decision.action_id}, {decision.status}); not run again."
            )
        if decision.outcome == "denied":
            by = f" by {decision.decided_by}" if decision.decided_by else ""
            return ToolDenied(f"Denied{by}: {decision.reason or 'no reason given'}")
        if decision.outcome == "expired":
            return ToolDenied(
                f"No reviewer decided before the deadline ({decision.expires_at}); not executed."
            )
        self._awaiting_result[decision.action_id] = decision
        if decision.edited:
            return ToolApproved(override_args=spec.apply(args, decision))
        return ToolApproved()

    def report(self, messages: Sequence[ModelMessage]) -> int:
        """Reports the execution of each approved call found in ``messages`` (a tool return:
        executed; a failure or retry: failed), once. Returns how many were reported."""
        by_call = {
            call_id: d for call_id, d in self.decisions.items() if d.action_id in self._awaiting_result
        }
        reported = 0
        for msg in messages:
            if not isinstance(msg, ModelRequest):
                continue
            for part in msg.parts:
                if not isinstance(part, (ToolReturnPart, RetryPromptPart)):
                    continue
                decision = by_call.get(part.tool_call_id)
                if decision is None or decision.action_id not in self._awaiting_result:
                    continue
                if isinstance(part, ToolReturnPart) and part.outcome == "success":
                    self.client.report_result(
                        decision.action_id, "executed", detail=result_detail(part.content)
                    )
                else:
                    self.client.report_result(
                        decision.action_id, "failed", error=str(part.content)[:2000]
                    )
                del self._awaiting_result[decision.action_id]
                reported += 1
        return reported

    def fail_unreported(self, error: BaseException) -> None:
        """Reports every approved call with no result yet as failed (the run raised)."""
        for action_id in list(self._awaiting_result):
            self.client.report_result(action_id, "failed", error=f"{type(error).__name__}: {error}")
            del self._awaiting_result[action_id]

    async def run(self, agent: Agent[Any, Any], user_prompt: str, **kwargs: Any) -> AgentRunResult[Any]:
        """Runs ``agent`` (its ``output_type`` must include ``DeferredToolRequests``), and as
        long as it stops on approvals, resolves them in Countersign and continues the run."""
        result: AgentRunResult[Any] = await agent.run(user_prompt, **kwargs)
        while isinstance(result.output, DeferredToolRequests):
            answers = await self.resolve(result.output)
            try:
                result = await agent.run(
                    message_history=result.all_messages(),
                    deferred_tool_results=answers,
                    **kwargs,
                )
            except Exception as e:
                await asyncio.to_thread(self.fail_unreported, e)
                raise
            await asyncio.to_thread(self.report, result.new_messages())
        return result
