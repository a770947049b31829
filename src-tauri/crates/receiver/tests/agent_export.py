"""A real instrumented agent exporting its spans over OTLP/HTTP, for the receiver's tests.

A pydantic-ai agent (model: pydantic-ai's scripted FunctionModel, so it runs offline) searches
a knowledge base (documents -> citations) and looks up an order, instrumented with
OpenTelemetry GenAI spans that a real OTLP/HTTP exporter posts to ENDPOINT:

    python agent_export.py ENDPOINT --encoding proto|json [--gzip] [--simple]
        [--model NAME] [--conversation ID]

--simple exports every span in its own request as it ends (SimpleSpanProcessor) instead of
one batch at shutdown. Prints one JSON line: {"trace_ids": [hex], "spans": n, "ok": bool}.
Created by scripts/venv-otel.sh (pinned versions).
"""

import argparse
import json
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.instrumented import InstrumentationSettings

DOCS = [
    {"id": "kb_102", "title": "Refund policy (EU)",
     "content": "Customers may request a refund within 14 days of delivery."},
    {"id": "kb_207", "title": "Shipping delays",
     "content": "Orders delayed more than 10 days qualify for a shipping credit."},
]


class Recording(SpanExporter):
    """Wraps the real exporter: remembers trace ids and whether every export succeeded."""

    def __init__(self, inner: SpanExporter):
        self.inner = inner
        self.trace_ids: list[str] = []
        self.spans = 0
        self.ok = True

    def export(self, spans):
        for s in spans:
            tid = format(s.context.trace_id, "032x")
            if tid not in self.trace_ids:
                self.trace_ids.append(tid)
        self.spans += len(spans)
        result = self.inner.export(spans)
        self.ok = self.ok and result == SpanExportResult.SUCCESS
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def exporter(endpoint: str, encoding: str, gzip: bool) -> SpanExporter:
    if encoding == "proto":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.common.http import Compression
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(endpoint=endpoint, compression=Compression("gzip" if gzip else "none"), timeout=10)


def last_tool_returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    last = messages[-1]
    return [p for p in getattr(last, "parts", []) if isinstance(p, ToolReturnPart)]


def support_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    names = {r.tool_name for r in last_tool_returns(messages)}
    if not names:
        return ModelResponse(parts=[ToolCallPart("search_kb", {"query": "refund window"}, tool_call_id="call_search_1")])
    if "search_kb" in names:
        return ModelResponse(parts=[ToolCallPart("lookup_order", {"order_id": "A-1001"}, tool_call_id="call_order_1")])
    return ModelResponse(parts=[TextPart("Order A-1001 was delivered 5 days ago, so it is within the 14-day refund window [kb_102].")])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("--encoding", choices=["proto", "json"], required=True)
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--simple", action="store_true")
    ap.add_argument("--model", default="gpt-4o-mini")
    ap.add_argument("--conversation", default="conv-receiver-1")
    a = ap.parse_args()

    rec = Recording(exporter(a.endpoint, a.encoding, a.gzip))
    tp = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    tp.add_span_processor(SimpleSpanProcessor(rec) if a.simple else BatchSpanProcessor(rec))
    agent = Agent(FunctionModel(support_model, model_name=a.model), name="support_triage")
    agent.instrument = InstrumentationSettings(tracer_provider=tp)

    @agent.tool_plain
    def search_kb(query: str) -> list[dict]:
        """Search the knowledge base."""
        return DOCS

    @agent.tool_plain
    def lookup_order(order_id: str) -> dict:
        """Look up an order."""
        return {"order_id": order_id, "status": "delivered", "days_since_delivery": 5}

    agent.run_sync("Can I still get a refund for order A-1001?", conversation_id=a.conversation)
    tp.shutdown()  # flushes the batch processor: the export has been answered when this returns
    print(json.dumps({"trace_ids": rec.trace_ids, "spans": rec.spans, "ok": rec.ok}))
    return 0 if rec.ok else 1


if __name__ == "__main__":
    sys.exit(main())
