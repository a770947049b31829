"""An OpenAI Agents SDK agent whose refund tool needs approval: each interruption becomes a
Countersign action, the decision becomes state.approve / state.reject, and the run resumes;
the tool runs with the reviewer's confirmed values. The model is scripted (no API key).

    COUNTERSIGN_URL=http://127.0.0.1:8787 COUNTERSIGN_KEY=cs_ingest_... python examples/openai_agents_refund.py
"""

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

from agents import Agent, ModelResponse, Usage, set_tracing_disabled
from agents.models.interface import Model
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from countersign import ApprovalSpec, Countersign, FieldSpec, Target
from countersign.openai_agents import OpenAIAgentsApprovals


class Scripted(Model):
    """Asks for the refund, then reports what the tool (or the reviewer) said."""

    async def get_response(self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any) -> ModelResponse:
        outputs = [i for i in input if isinstance(i, dict) and i.get("type") == "function_call_output"]
        if outputs:
            text = ResponseOutputText(type="output_text", text=f"Done: {outputs[-1]['output']}", annotations=[])
            out: Any = ResponseOutputMessage(id="m1", role="assistant", status="completed", type="message", content=[text])
        else:
            refund = {"order_id": "ord_1001", "amount": "40.00", "currency": "EUR"}
            out = ResponseFunctionToolCall(type="function_call", call_id="call_1", name="issue_refund",
                                           arguments=json.dumps(refund), id="fc_1", status="completed")
        return ModelResponse(output=[out], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError


def issue_refund(order_id: str, amount: str, currency: str) -> str:
    """Refund an order."""
    return f"refunded {amount} {currency} on {order_id}"  # the real write goes here


REFUND = ApprovalSpec(
    title=lambda a: f"Refund {a['amount']} {a['currency']} on {a['order_id']}",
    fields=[
        FieldSpec("amount", "money", confirm="reenter"),
        FieldSpec("currency", "currency", editable=False),
        FieldSpec("order_id", "identifier", editable=False),
    ],
    target=lambda a: Target("billing", a["order_id"]),
)


async def main() -> None:
    set_tracing_disabled(True)
    cs = Countersign(os.environ["COUNTERSIGN_URL"], key=os.environ["COUNTERSIGN_KEY"])
    with cs.run(workflow="refund_request", user_id="u_17", model="scripted") as run:
        approvals = OpenAIAgentsApprovals(cs, run_id=run.run_id)
        agent = Agent(name="refunds", model=Scripted(), tools=[approvals.tool(issue_refund, REFUND)])
        result = await approvals.run(agent, "Refund order ord_1001, it arrived damaged.")
        run.finish("success", outputs={"answer": result.final_output})
    print(result.final_output)


if __name__ == "__main__":
    asyncio.run(main())
