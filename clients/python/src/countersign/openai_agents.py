"""OpenAI Agents SDK approvals reviewed in Countersign.

Tools made with :meth:`OpenAIAgentsApprovals.tool` need approval (``needs_approval=True``), so
a run stops with ``result.interruptions``. :meth:`OpenAIAgentsApprovals.resolve` turns each
interruption into a Countersign action (idempotency key ``<run_id>/<call_id>``), waits for the
reviewers, and calls ``state.approve`` or ``state.reject`` (with the reviewer's reason, or the
expiry, as the message the model sees). When the resumed run executes an approved call, the
tool runs with the reviewer's confirmed values -- edits included, since the SDK binds an
approval to the model's original arguments -- and its result is reported once. A call the
tool gets without a Countersign approval is not executed. :meth:`OpenAIAgentsApprovals.run`
does the whole loop.

    approvals = OpenAIAgentsApprovals(client, run_id=run.run_id)
    refund = approvals.tool(issue_refund, ApprovalSpec(fields=[FieldSpec("amount", "money")]))
    agent = Agent(name="refunds", tools=[refund], model=...)
    result = await approvals.run(agent, "Refund order ord_1001")
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from agents import Agent, FunctionTool, RunResult, Runner, function_tool
from agents.items import ToolApprovalItem
from agents.run_state import RunState
from agents.tool_context import ToolContext

from .approval import RunApprovals, result_detail
from .client import Countersign
from .models import ApprovalSpec, Decision

__all__ = ["OpenAIAgentsApprovals"]


class OpenAIAgentsApprovals(RunApprovals):
    """Countersign reviews for one agent run's tool approvals."""

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
        self._reported: set[str] = set()

    def tool(
        self,
        fn: Callable[..., Any],
        spec: ApprovalSpec | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> FunctionTool:
        """A function tool that needs approval and runs only with a Countersign approval,
        using the reviewer's confirmed values, and reports its result once."""
        base = function_tool(
            fn,
            name_override=name,
            description_override=description,
            failure_error_function=None,
            needs_approval=True,
        )
        if spec is not None:
            self.specs[base.name] = spec
        inner = base.on_invoke_tool

        async def invoke(ctx: ToolContext[Any], input_json: str) -> Any:
            decision = self.decisions.get(ctx.tool_call_id)
            if decision is None or not decision.approved or decision.result_reported:
                return f"Not executed: call {ctx.tool_call_id} has no Countersign approval."
            args = json.loads(input_json or "{}")
            final = self.spec_for(base.name).apply(args, decision)
            try:
                out = await inner(ctx, json.dumps(final))
            except Exception as e:
                await asyncio.to_thread(self._report, decision, "failed", None, f"{type(e).__name__}: {e}")
                return f"The tool failed: {e}"
            await asyncio.to_thread(self._report, decision, "executed", result_detail(out), None)
            return out

        return FunctionTool(
            name=base.name,
            description=base.description,
            params_json_schema=base.params_json_schema,
            on_invoke_tool=invoke,
            strict_json_schema=base.strict_json_schema,
            needs_approval=True,
        )

    def _report(self, decision: Decision, status: str, detail: Any, error: str | None) -> None:
        if decision.action_id in self._reported:
            return
        self.client.report_result(
            decision.action_id,
            "executed" if status == "executed" else "failed",
            detail=detail,
            error=error,
        )
        self._reported.add(decision.action_id)

    async def resolve(self, result: RunResult) -> RunState[Any]:
        """Decides every interruption of ``result`` in Countersign; returns the state to
        resume with ``Runner.run(agent, state)``."""
        state = result.to_state()

        async def one(item: ToolApprovalItem) -> None:
            raw = item.raw_item
            call_id = str(_get(raw, "call_id") or _get(raw, "id") or "")
            tool_name = item.tool_name or str(_get(raw, "name") or "tool")
            arguments = _get(raw, "arguments") or "{}"
            args = json.loads(arguments) if isinstance(arguments, str) else dict(arguments)
            decision = await self.decide(tool_name, args, call_id)
            if decision.approved and not decision.result_reported:
                state.approve(item)
            elif decision.result_reported:
                state.reject(
                    item,
                    rejection_message=f"Already executed earlier (action {decision.action_id}); not run again.",
                )
            elif decision.outcome == "denied":
                by = f" by {decision.decided_by}" if decision.decided_by else ""
                state.reject(item, rejection_message=f"Denied{by}: {decision.reason or 'no reason given'}")
            else:
                state.reject(
                    item,
                    rejection_message=f"No reviewer decided before the deadline ({decision.expires_at}); not executed.",
                )

        await asyncio.gather(*(one(i) for i in result.interruptions))
        return state

    async def run(self, agent: Agent[Any], input: str, **kwargs: Any) -> RunResult:
        """Runs ``agent``, and as long as it stops on approvals, resolves them in Countersign
        and resumes the run."""
        result = await Runner.run(agent, input, **kwargs)
        while result.interruptions:
            state = await self.resolve(result)
            result = await Runner.run(agent, state, **kwargs)
        return result


def _get(raw: Any, key: str) -> Any:
    if isinstance(raw, Mapping):
        return raw.get(key)
    return getattr(raw, key, None)
