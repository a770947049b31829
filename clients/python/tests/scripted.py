"""Scripted models (no network): the model calls one tool with fixed arguments, then answers
with what the tool (or the denial) returned."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from agents import ModelResponse, Usage
from agents.models.interface import Model
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse as PaiResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel


def pydantic_model(tool: str, args: dict[str, Any], call_id: str = "call_1") -> FunctionModel:
    def script(messages: list[ModelMessage], info: AgentInfo) -> PaiResponse:
        last = messages[-1]
        if isinstance(last, ModelRequest):
            returns = [p for p in last.parts if isinstance(p, ToolReturnPart)]
            if returns:
                return PaiResponse(parts=[TextPart(f"tool said: {returns[0].content}")])
        return PaiResponse(parts=[ToolCallPart(tool, dict(args), tool_call_id=call_id)])

    return FunctionModel(script)


class OpenAIScripted(Model):
    """Calls ``tool`` with ``args`` once, then answers with the tool's output."""

    def __init__(self, tool: str, args: dict[str, Any], call_id: str = "call_1") -> None:
        self.tool, self.args, self.call_id = tool, args, call_id
        self.calls = 0

    async def get_response(self, system_instructions: Any, input: Any, model_settings: Any,
                           tools: Any, output_schema: Any, handoffs: Any, tracing: Any, *,
                           previous_response_id: Any = None, conversation_id: Any = None,
                           prompt: Any = None) -> ModelResponse:
        self.calls += 1
        items = input if isinstance(input, list) else []
        outputs = [i for i in items if isinstance(i, dict) and i.get("type") == "function_call_output"]
        if outputs:
            out = outputs[-1].get("output")
            text = out if isinstance(out, str) else json.dumps(out)
            msg = ResponseOutputMessage(
                id="msg_1", role="assistant", status="completed", type="message",
                content=[ResponseOutputText(type="output_text", text=f"tool said: {text}", annotations=[])],
            )
            return ModelResponse(output=[msg], usage=Usage(), response_id=None)
        call = ResponseFunctionToolCall(
            type="function_call", call_id=self.call_id, name=self.tool,
            arguments=json.dumps(self.args), id=f"fc_{self.call_id}", status="completed",
        )
        return ModelResponse(output=[call], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("the scripted model does not stream")
