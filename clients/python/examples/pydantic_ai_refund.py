"""A pydantic-ai agent whose refund tool needs approval: the deferred call becomes a
Countersign action, the reviewer's decision (edits included) comes back as
DeferredToolResults, and the run continues. The model is scripted, so no LLM is called.

    COUNTERSIGN_URL=http://127.0.0.1:8787 COUNTERSIGN_KEY=cs_ingest_... python examples/pydantic_ai_refund.py
"""

import asyncio
import os

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.tools import DeferredToolRequests

from countersign import ApprovalSpec, Countersign, FieldSpec, Target
from countersign.pydantic_ai import PydanticAIApprovals


def scripted(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Asks for the refund, then reports what the tool (or the reviewer) said."""
    returns = [p for p in getattr(messages[-1], "parts", []) if isinstance(p, ToolReturnPart)]
    if returns:
        return ModelResponse(parts=[TextPart(f"Done: {returns[0].content}")])
    args = {"order_id": "ord_1001", "amount": "40.00", "currency": "EUR"}
    return ModelResponse(parts=[ToolCallPart("issue_refund", args, tool_call_id="call_1")])


agent = Agent(FunctionModel(scripted), output_type=[str, DeferredToolRequests])


@agent.tool_plain(requires_approval=True)
def issue_refund(order_id: str, amount: str, currency: str) -> str:
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
    cs = Countersign(os.environ["COUNTERSIGN_URL"], key=os.environ["COUNTERSIGN_KEY"])
    with cs.run(workflow="refund_request", user_id="u_17", model="scripted") as run:
        approvals = PydanticAIApprovals(cs, run_id=run.run_id, specs={"issue_refund": REFUND})
        result = await approvals.run(agent, "Refund order ord_1001, it arrived damaged.")
        run.finish("success", outputs={"answer": result.output})
    print(result.output)


if __name__ == "__main__":
    asyncio.run(main())
