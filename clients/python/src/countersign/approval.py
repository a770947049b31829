"""``@requires_approval``: any function (sync or async) held until a reviewer decides.

The call posts a Countersign action built from its arguments, blocks until the decision,
then runs the function with the confirmed values (a reviewer's edits included, converted
back to the argument's type) and reports the result once. A denial raises
:class:`ApprovalDenied`, an expiry :class:`ApprovalExpired`; the function never runs then.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar, cast, overload

from .client import Countersign, current_run
from .errors import AlreadyExecuted, ApprovalDenied, ApprovalExpired
from .models import ApprovalSpec, Decision, FieldSpec, Risk, Rollback, Target

__all__ = ["Gate", "RunApprovals", "requires_approval", "result_detail"]

P = ParamSpec("P")
R = TypeVar("R")


def result_detail(value: Any) -> Any:
    """A function's return value as JSON for the result report (``repr`` when it is not)."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return {"repr": repr(value)}


class Gate:
    """The blocking part of an approval, shared by the decorator and the adapters: post the
    action, wait, and tell what to execute."""

    def __init__(self, client: Countersign, *, timeout: float | None = None) -> None:
        self.client = client
        self.timeout = timeout

    def decide(
        self,
        name: str,
        args: Mapping[str, Any],
        spec: ApprovalSpec,
        *,
        run_id: str,
        idempotency_key: str,
    ) -> Decision:
        body = spec.request(name, args, run_id=run_id, idempotency_key=idempotency_key)
        ticket = self.client.post_action(body)
        return self.client.wait_for_decision(ticket.action_id, timeout=self.timeout)

    def execute(
        self,
        decision: Decision,
        call: Callable[[], R],
    ) -> R:
        """Runs ``call`` for an approved decision and reports its result once."""
        if decision.result_reported:
            raise AlreadyExecuted(decision)
        if decision.outcome == "denied":
            raise ApprovalDenied(decision)
        if decision.outcome == "expired":
            raise ApprovalExpired(decision)
        try:
            value = call()
        except Exception as e:
            self.client.report_result(decision.action_id, "failed", error=f"{type(e).__name__}: {e}")
            raise
        self.client.report_result(decision.action_id, "executed", detail=result_detail(value))
        return value



class RunApprovals:
    """What the framework adapters share: one agent run's tool calls, each decided in
    Countersign under the idempotency key ``<run_id>/<call_id>`` with the tool's review spec."""

    def __init__(
        self,
        client: Countersign,
        *,
        run_id: str,
        specs: Mapping[str, ApprovalSpec] | None = None,
        default: ApprovalSpec | None = None,
        timeout: float | None = None,
    ) -> None:
        self.client = client
        self.run_id = run_id
        self.specs = dict(specs or {})
        self.default = default or ApprovalSpec()
        self.gate = Gate(client, timeout=timeout)
        # call id -> decision, for every call decided.
        self.decisions: dict[str, Decision] = {}

    def spec_for(self, tool_name: str) -> ApprovalSpec:
        """The review spec of a tool (its own, else the default)."""
        return self.specs.get(tool_name, self.default)

    async def decide(self, tool_name: str, args: Mapping[str, Any], call_id: str) -> Decision:
        """Posts one call as an action and waits for its decision (off the event loop)."""
        decision = await asyncio.to_thread(
            self.gate.decide,
            tool_name,
            args,
            self.spec_for(tool_name),
            run_id=self.run_id,
            idempotency_key=f"{self.run_id}/{call_id}",
        )
        self.decisions[call_id] = decision
        return decision

@overload
def requires_approval(
    client: Countersign | Callable[[], Countersign],
    *,
    kind: str | None = ...,
    title: str | Callable[[Mapping[str, Any]], str] | None = ...,
    fields: Sequence[FieldSpec] | None = ...,
    target: Target | Callable[[Mapping[str, Any]], Target] | None = ...,
    risk: Risk = ...,
    expires_in_secs: int = ...,
    rationale: str | Callable[[Mapping[str, Any]], str] | None = ...,
    rollback: Rollback | None = ...,
    run_id: str | Callable[[], str] | None = ...,
    idempotency_key: Callable[[Mapping[str, Any]], str] | None = ...,
    timeout: float | None = ...,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


@overload
def requires_approval(
    client: Countersign | Callable[[], Countersign],
    *,
    spec: ApprovalSpec,
    run_id: str | Callable[[], str] | None = ...,
    idempotency_key: Callable[[Mapping[str, Any]], str] | None = ...,
    timeout: float | None = ...,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def requires_approval(
    client: Countersign | Callable[[], Countersign],
    *,
    spec: ApprovalSpec | None = None,
    kind: str | None = None,
    title: str | Callable[[Mapping[str, Any]], str] | None = None,
    fields: Sequence[FieldSpec] | None = None,
    target: Target | Callable[[Mapping[str, Any]], Target] | None = None,
    risk: Risk = "high",
    expires_in_secs: int = 900,
    rationale: str | Callable[[Mapping[str, Any]], str] | None = None,
    rollback: Rollback | None = None,
    run_id: str | Callable[[], str] | None = None,
    idempotency_key: Callable[[Mapping[str, Any]], str] | None = None,
    timeout: float | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Holds every call of the decorated function until a reviewer decides.

    ``fields`` are the arguments the reviewer confirms (all, as text, when omitted). The run
    is ``run_id``, else the run opened by ``with client.run(...)`` around the call. The
    idempotency key is new per call unless ``idempotency_key(args)`` derives it -- derive it
    from the arguments to make a restarted agent find its earlier action instead of asking
    twice (a result already reported raises :class:`AlreadyExecuted`).
    """
    the_spec = spec or ApprovalSpec(
        kind=kind,
        title=title,
        fields=fields,
        target=target,
        risk=risk,
        expires_in_secs=expires_in_secs,
        rationale=rationale,
        rollback=rollback,
    )

    def resolve_client() -> Countersign:
        return client if isinstance(client, Countersign) else client()

    def resolve_run() -> str:
        if isinstance(run_id, str):
            return run_id
        if run_id is not None:
            return run_id()
        run = current_run()
        if run is None:
            raise RuntimeError(
                "requires_approval: no run_id given and no `with client.run(...)` around the call"
            )
        return run.run_id

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        sig = inspect.signature(fn)
        name = the_spec.kind or fn.__name__

        def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            return dict(bound.arguments)

        def call_with(target: Callable[..., Any], arguments: Mapping[str, Any]) -> Any:
            ba = inspect.BoundArguments(sig, dict(arguments))  # type: ignore[arg-type,unused-ignore]
            return target(*ba.args, **ba.kwargs)

        def plan(arguments: Mapping[str, Any]) -> tuple[Gate, str, str]:
            rid = resolve_run()
            key = idempotency_key(arguments) if idempotency_key else f"{rid}/{name}/{uuid.uuid4()}"
            return Gate(resolve_client(), timeout=timeout), rid, key

        def record(gate: Gate, decision: Decision, arguments: Mapping[str, Any], value: Any) -> None:
            run = current_run()
            if run is not None and run.client is gate.client:
                run.tool_call(
                    name,
                    {k: _plain(v) for k, v in arguments.items()},
                    result=result_detail(value),
                    call_id=f"approval-{decision.action_id}",
                )

        if inspect.iscoroutinefunction(fn):
            afn = cast(Callable[..., Awaitable[Any]], fn)

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                arguments = bind(args, kwargs)
                gate, rid, key = plan(arguments)
                decision = await asyncio.to_thread(
                    gate.decide, name, arguments, the_spec, run_id=rid, idempotency_key=key
                )
                if decision.result_reported:
                    raise AlreadyExecuted(decision)
                if not decision.approved:
                    gate.execute(decision, lambda: None)  # raises the denial or expiry
                final = the_spec.apply(arguments, decision)
                try:
                    value = await call_with(afn, final)
                except Exception as e:
                    await asyncio.to_thread(
                        gate.client.report_result,
                        decision.action_id,
                        "failed",
                        error=f"{type(e).__name__}: {e}",
                    )
                    raise
                await asyncio.to_thread(
                    gate.client.report_result,
                    decision.action_id,
                    "executed",
                    detail=result_detail(value),
                )
                await asyncio.to_thread(record, gate, decision, final, value)
                return value

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            arguments = bind(args, kwargs)
            gate, rid, key = plan(arguments)
            decision = gate.decide(name, arguments, the_spec, run_id=rid, idempotency_key=key)
            final = the_spec.apply(arguments, decision) if decision.approved else arguments
            value = gate.execute(decision, lambda: call_with(fn, final))
            record(gate, decision, final, value)
            return value

        return cast(Callable[P, R], wrapper)

    return decorate


def _plain(v: Any) -> Any:
    return result_detail(v) if not isinstance(v, (str, int, float, bool)) else v
