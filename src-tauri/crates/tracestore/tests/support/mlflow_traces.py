"""Writes agent traces into a real MLflow tracking server with MLflow's own tracing SDK.

    python mlflow_traces.py TRACKING_URI EXPERIMENT COUNT [--first N] [--fail-every K]

Each trace is one refund-agent run, made the documented way (``@mlflow.trace`` and
``mlflow.start_span`` with span types AGENT, LLM, TOOL and RETRIEVER): an agent span with a
model call (token usage in ``mlflow.chat.tokenUsage``, model in ``mlflow.llm.model``), a
retrieval returning documents, a tool call and a second model call. The trace's user and
session are set with ``mlflow.update_current_trace``. Trace ``i`` (counted from ``--first``) is
made from ``i`` alone, so two runs of the script with the same arguments write the same data.
Every K-th trace's tool call raises (the trace ends in ERROR) when ``--fail-every K``.

Prints one JSON line: {"experiment_id": ..., "traces": [trace ids in the order written]}.
The SDK exports asynchronously; the script waits for the export queue before it prints.
"""

import argparse
import json

import mlflow
from mlflow.entities import Document, SpanType

MODEL = "support-scripted"


class ToolFailed(Exception):
    pass


def lookup_order(order_id: str, fail: bool) -> dict:
    with mlflow.start_span("lookup_order", span_type=SpanType.TOOL) as span:
        span.set_inputs({"order_id": order_id})
        if fail:
            raise ToolFailed(f"order {order_id} is locked")
        result = {"order_id": order_id, "status": "delivered", "amount": "42.50"}
        span.set_outputs(result)
        return result


def chat(messages: list, input_tokens: int, output_tokens: int, answer: str) -> str:
    with mlflow.start_span("chat " + MODEL, span_type=SpanType.LLM) as span:
        span.set_inputs({"model": MODEL, "messages": messages})
        span.set_attribute("mlflow.llm.model", MODEL)
        span.set_attribute(
            "mlflow.chat.tokenUsage",
            {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
        )
        span.set_outputs({"role": "assistant", "content": answer})
        return answer


@mlflow.trace(span_type=SpanType.RETRIEVER, name="search_kb")
def search_kb(query: str) -> list:
    return [
        Document(
            page_content="Refunds are accepted within 30 days of delivery.",
            metadata={"doc_uri": "https://kb.example.com/refunds", "chunk_id": "kb_102"},
            id="kb_102",
        )
    ]


def agent_run(i: int, fail: bool) -> str:
    with mlflow.start_span("refund_agent", span_type=SpanType.AGENT) as root:
        question = f"Please refund order A-{i}"
        root.set_inputs({"question": question})
        mlflow.update_current_trace(
            metadata={"mlflow.trace.user": f"customer-{i % 7}", "mlflow.trace.session": f"s-{i}"}
        )
        messages = [{"role": "user", "content": question}]
        chat(messages, 100 + i % 50, 20, "Looking up the order.")
        search_kb(question)
        try:
            lookup_order(f"A-{i}", fail)
        except ToolFailed:
            pass
        answer = chat(messages, 160 + i % 50, 25, f"Order A-{i} is refunded.")
        root.set_outputs({"answer": answer})
        return root.trace_id


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("tracking_uri")
    p.add_argument("experiment")
    p.add_argument("count", type=int)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--fail-every", type=int, default=0)
    a = p.parse_args()
    mlflow.set_tracking_uri(a.tracking_uri)
    experiment = mlflow.set_experiment(a.experiment)
    ids = []
    for i in range(a.first, a.first + a.count):
        fail = a.fail_every > 0 and i % a.fail_every == 0
        ids.append(agent_run(i, fail))
    mlflow.flush_trace_async_logging()
    print(json.dumps({"experiment_id": experiment.experiment_id, "traces": ids}), flush=True)


if __name__ == "__main__":
    main()
