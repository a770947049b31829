"""The records the client sends and receives, as typed dataclasses.

Field names follow the protocol (`docs/openapi.yaml`, tag `agents`). Money is exact: decimal
strings (``"23.50"``) in review fields and reservations, integer micro-dollars in runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Union

__all__ = [
    "ActionTicket",
    "ApprovalSpec",
    "BudgetStop",
    "Decision",
    "DecisionOutcome",
    "FieldKind",
    "FieldSpec",
    "Reservation",
    "ReviewField",
    "Risk",
    "Rollback",
    "RollbackRequest",
    "RunReport",
    "Target",
    "Webhook",
    "from_field_value",
    "to_field_value",
]

FieldKind = Literal["money", "currency", "region", "identifier", "text", "bool"]
Risk = Literal["low", "medium", "high", "critical"]
ConfirmMode = Literal["tick", "reenter"]
ActionStatus = Literal[
    "pending", "approved", "denied", "expired", "executed", "rolled_back", "failed"
]
DecisionOutcome = Literal["pending", "approved", "edited", "denied", "expired"]


@dataclass(frozen=True)
class ReviewField:
    """One value the reviewer must confirm (and may edit, when ``editable``)."""

    name: str
    value: str
    kind: FieldKind = "text"
    label: str | None = None
    confirm: ConfirmMode = "tick"
    editable: bool = True
    current: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "label": self.label or self.name.replace("_", " ").capitalize(),
            "kind": self.kind,
            "value": self.value,
            "confirm": self.confirm,
            "editable": self.editable,
        }
        if self.current is not None:
            out["current"] = self.current
        return out


@dataclass(frozen=True)
class FieldSpec:
    """How a function or tool argument is shown for review: its kind, label, confirmation."""

    name: str
    kind: FieldKind = "text"
    label: str | None = None
    confirm: ConfirmMode = "tick"
    editable: bool = True

    def with_value(self, value: Any) -> ReviewField:
        return ReviewField(
            name=self.name,
            value=to_field_value(value, self.kind),
            kind=self.kind,
            label=self.label,
            confirm=self.confirm,
            editable=self.editable,
        )


@dataclass(frozen=True)
class Target:
    """The record the write changes (both parts: printable ASCII without spaces)."""

    system: str
    record_id: str


@dataclass(frozen=True)
class Rollback:
    """How the agent would undo the write (kept with the action for the reviewer)."""

    supported: bool
    description: str = ""
    inverse: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"supported": self.supported, "description": self.description, "inverse": self.inverse}


def to_field_value(value: Any, kind: FieldKind = "text") -> str:
    """A Python value as review-field text: booleans ``true``/``false``, numbers exact
    (a float goes through its shortest repr, never binary noise), JSON for containers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def from_field_value(text: str, like: Any) -> Any:
    """Review-field text back to the type of ``like`` (the value the agent proposed)."""
    if isinstance(like, bool):
        return text.strip().lower() == "true"
    if isinstance(like, Decimal):
        return Decimal(text)
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            return Decimal(text)
    if isinstance(like, float):
        return float(text)
    if isinstance(like, (dict, list)):
        return json.loads(text)
    return text


ArgsFn = Callable[[Mapping[str, Any]], str]
TargetFn = Callable[[Mapping[str, Any]], Target]


@dataclass(frozen=True)
class ApprovalSpec:
    """How a tool call (or function call) becomes a Countersign action.

    ``fields`` name the arguments the reviewer must confirm; ``None`` means every argument,
    as text (booleans as bool). Arguments not listed still travel in ``proposed``.
    ``title`` and ``target`` may be functions of the arguments.
    """

    kind: str | None = None
    title: str | ArgsFn | None = None
    fields: Sequence[FieldSpec] | None = None
    target: Target | TargetFn | None = None
    risk: Risk = "high"
    expires_in_secs: int = 900
    rationale: str | ArgsFn | None = None
    rollback: Rollback | None = None
    tenant: str | None = None
    allowed_decisions: Sequence[str] | None = None

    def field_specs(self, args: Mapping[str, Any]) -> list[FieldSpec]:
        if self.fields is not None:
            return list(self.fields)
        return [
            FieldSpec(name, "bool" if isinstance(value, bool) else "text")
            for name, value in args.items()
        ]

    def request(
        self,
        name: str,
        args: Mapping[str, Any],
        *,
        run_id: str,
        idempotency_key: str,
        webhook_url: str | None = None,
    ) -> dict[str, Any]:
        """The body of ``POST /v1/actions`` for a call of ``name`` with ``args``."""
        kind = self.kind or name
        missing = [f.name for f in self.field_specs(args) if f.name not in args]
        if missing:
            raise ValueError(f"{kind}: review fields {missing} are not arguments of the call")
        fields = [f.with_value(args[f.name]).to_json() for f in self.field_specs(args)]
        if isinstance(self.title, str):
            title = self.title
        elif self.title is not None:
            title = self.title(args)
        else:
            title = kind.replace("_", " ").capitalize()
        if isinstance(self.target, Target):
            target = self.target
        elif self.target is not None:
            target = self.target(args)
        else:
            target = Target(system="agent", record_id=kind)
        body: dict[str, Any] = {
            "idempotency_key": idempotency_key,
            "run_id": run_id,
            "kind": kind,
            "title": title,
            "target": {"system": target.system, "record_id": target.record_id},
            "risk": self.risk,
            "fields": fields,
            "proposed": {k: _jsonable(v) for k, v in args.items()},
            "expires_in_secs": self.expires_in_secs,
        }
        if self.rationale is not None:
            body["rationale"] = self.rationale if isinstance(self.rationale, str) else self.rationale(args)
        if self.rollback is not None:
            body["rollback"] = self.rollback.to_json()
        if self.tenant is not None:
            body["tenant"] = self.tenant
        if self.allowed_decisions is not None:
            body["allowed_decisions"] = list(self.allowed_decisions)
        if webhook_url is not None:
            body["webhook_url"] = webhook_url
        return body

    def apply(self, args: Mapping[str, Any], decision: Decision) -> dict[str, Any]:
        """The arguments to execute with: ``args`` with the reviewer's confirmed values (edits
        included), each converted back to the type the agent proposed."""
        out = dict(args)
        for name, text in decision.fields.items():
            if name in out:
                out[name] = from_field_value(text, out[name])
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


@dataclass(frozen=True)
class ActionTicket:
    """A posted action: its id and state (``replayed`` when the key had been used before)."""

    action_id: str
    status: str
    expires_at: str
    replayed: bool
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What the agent learns of its action (`AgentDecision`)."""

    action_id: str
    status: str
    decided: bool
    expires_at: str
    fields: Mapping[str, str] = field(default_factory=dict)
    edited: tuple[str, ...] = ()
    reason: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    escalated_to: str | None = None
    result: Mapping[str, Any] | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Decision:
        fields = body.get("fields") or {}
        result = body.get("result")
        return cls(
            action_id=str(body["action_id"]),
            status=str(body["status"]),
            decided=bool(body.get("decided", False)),
            expires_at=str(body.get("expires_at", "")),
            fields={str(k): str(v) for k, v in fields.items()},
            edited=tuple(str(x) for x in body.get("edited") or ()),
            reason=_opt_str(body.get("reason")),
            decided_by=_opt_str(body.get("decided_by")),
            decided_at=_opt_str(body.get("decided_at")),
            escalated_to=_opt_str(body.get("escalated_to")),
            result=result if isinstance(result, Mapping) else None,
        )

    @property
    def outcome(self) -> DecisionOutcome:
        """``approved`` or ``edited`` (approved with changed values), ``denied``, ``expired``,
        or ``pending``. An action whose result was already reported keeps its approval's
        outcome (see ``status`` and ``result``)."""
        if self.status in ("approved", "executed", "failed", "rolled_back"):
            return "edited" if self.edited else "approved"
        if self.status == "denied":
            return "denied"
        if self.status == "expired":
            return "expired"
        return "pending"

    @property
    def approved(self) -> bool:
        return self.outcome in ("approved", "edited")

    @property
    def result_reported(self) -> bool:
        return self.status in ("executed", "failed", "rolled_back")


@dataclass(frozen=True)
class BudgetStop:
    """The hard cap that refused a reservation."""

    budget_id: str
    limit: str
    max: int
    used: int
    requested: int
    period: str

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> BudgetStop:
        return cls(
            budget_id=str(body.get("budget_id", "")),
            limit=str(body.get("limit", "")),
            max=int(body.get("max", 0)),
            used=int(body.get("used", 0)),
            requested=int(body.get("requested", 0)),
            period=str(body.get("period", "")),
        )


@dataclass(frozen=True)
class Reservation:
    """Money (and tool calls) held for a run until settled or ``expires_at``."""

    reservation_id: str
    expires_at: str


@dataclass(frozen=True)
class RunReport:
    """The server's answer to a run report: ``created``, ``replaced`` or ``ignored``."""

    run_id: str
    status: str
    revision: int


def _opt_str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


JsonValue = Union[None, bool, int, float, str, list[Any], dict[str, Any]]


@dataclass(frozen=True)
class Webhook:
    """A registered webhook; ``secret`` only in the answer to the registration."""

    webhook_id: str
    url: str
    secret: str | None


@dataclass(frozen=True)
class RollbackRequest:
    """Where the rollback of an executed action stands, as its agent sees it."""

    action_id: str
    #: The action's status (``executed``, ``rolled_back``, ...).
    status: str
    #: ``none``, ``requested``, ``rolled_back`` or ``failed``.
    state: str
    #: Who asked, when and why (``requested_by``, ``requested_at``, ``reason``).
    request: dict[str, Any] | None
    #: The rollback descriptor the agent posted with the action.
    rollback: Any

    @staticmethod
    def from_json(v: Mapping[str, Any]) -> RollbackRequest:
        req = v.get("request")
        return RollbackRequest(
            action_id=str(v["action_id"]),
            status=str(v["status"]),
            state=str(v["state"]),
            request=dict(req) if isinstance(req, Mapping) else None,
            rollback=v.get("rollback"),
        )

    @property
    def reason(self) -> str | None:
        """The reviewer's reason, if given."""
        r = (self.request or {}).get("reason")
        return None if r is None else str(r)
