"""Exceptions of the Countersign client.

Every error the server answers is `application/problem+json` (RFC 9457); it becomes a
:class:`ProblemError` (or one of its subclasses by status) that keeps the problem's ``type``
slug, ``detail`` and the extension members that name the culprit (``field``,
``current_status``, ``budget_id``, ``action_id``). Outcomes an agent must handle on purpose
(denied, expired, stopped by a budget cap) have their own exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import BudgetStop, Decision

__all__ = [
    "AlreadyExecuted",
    "ApprovalDenied",
    "ApprovalExpired",
    "BudgetStopped",
    "Conflict",
    "CountersignError",
    "DecisionTimeout",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "ProblemError",
    "RateLimited",
    "ServerError",
    "TooLarge",
    "TransportError",
    "Unauthorized",
]


class CountersignError(Exception):
    """Base of every error this library raises."""


class TransportError(CountersignError):
    """The server could not be reached, or its answer was lost or cut short (after retries)."""


class ProblemError(CountersignError):
    """The server refused the request with a problem+json answer.

    ``slug`` is the last segment of the problem ``type`` (``invalid-field``, ``not-yours``,
    ``idempotency-key-reused`` ...); ``field`` names the bad field where there is one
    (``fields[0].value``, ``tool_calls[0].started_at``).
    """

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem: dict[str, Any] = dict(problem)
        type_uri = str(problem.get("type", ""))
        self.type = type_uri
        self.slug = type_uri.rsplit("/", 1)[-1] if type_uri else f"http-{status}"
        self.title = str(problem.get("title", ""))
        self.detail = str(problem.get("detail", ""))
        field = problem.get("field")
        self.field: str | None = field if isinstance(field, str) else None
        current = problem.get("current_status")
        self.current_status: str | None = current if isinstance(current, str) else None
        budget = problem.get("budget_id")
        self.budget_id: str | None = budget if isinstance(budget, str) else None
        action = problem.get("action_id")
        self.action_id: str | None = action if isinstance(action, str) else None
        super().__init__(self._message())

    def _message(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        state = f" [current status: {self.current_status}]" if self.current_status else ""
        text = self.detail or self.title or "no detail"
        return f"{self.status} {self.slug}{where}: {text}{state}"


class InvalidRequest(ProblemError):
    """400 or 422: the body, a field or a parameter was refused (see ``field``)."""


class Unauthorized(ProblemError):
    """401: the key is missing or unknown."""


class Forbidden(ProblemError):
    """403: the key's scope does not allow this (an ingest key cannot decide or read feeds)."""


class NotFound(ProblemError):
    """404: no such record, or it belongs to another agent."""


class Conflict(ProblemError):
    """409: the record is in a state that refuses this (see ``current_status``), or the
    idempotency key was used with another body."""


class TooLarge(ProblemError):
    """413: the request body is over the server's limit."""


class RateLimited(ProblemError):
    """429 still answered after the retries."""

    def __init__(self, status: int, problem: Mapping[str, Any], retry_after: float | None) -> None:
        self.retry_after = retry_after
        super().__init__(status, problem)


class ServerError(ProblemError):
    """5xx still answered after the retries."""


def problem_error(
    status: int, problem: Mapping[str, Any], retry_after: float | None = None
) -> ProblemError:
    """The exception for a problem answer with ``status``."""
    if status in (400, 422):
        return InvalidRequest(status, problem)
    if status == 401:
        return Unauthorized(status, problem)
    if status == 403:
        return Forbidden(status, problem)
    if status == 404:
        return NotFound(status, problem)
    if status == 409:
        return Conflict(status, problem)
    if status == 413:
        return TooLarge(status, problem)
    if status == 429:
        return RateLimited(status, problem, retry_after)
    if status >= 500:
        return ServerError(status, problem)
    return ProblemError(status, problem)


class BudgetStopped(CountersignError):
    """A hard budget cap refused the reservation; ``stop`` names the cap and its numbers."""

    def __init__(self, stop: BudgetStop) -> None:
        self.stop = stop
        self.budget_id = stop.budget_id
        super().__init__(
            f"stopped by budget cap {stop.budget_id} ({stop.limit}, per {stop.period}): "
            f"used {stop.used} + requested {stop.requested} > max {stop.max}"
        )


class ApprovalDenied(CountersignError):
    """The reviewer denied the action; ``reason`` is theirs."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.reason = decision.reason or ""
        by = f" by {decision.decided_by}" if decision.decided_by else ""
        super().__init__(f"action {decision.action_id} denied{by}: {self.reason}")


class ApprovalExpired(CountersignError):
    """Nobody decided before the action's deadline (``expired`` is never a denial)."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__(
            f"action {decision.action_id} expired at {decision.expires_at} without a decision"
        )


class DecisionTimeout(CountersignError):
    """The caller's own deadline passed while the action was still pending on the server."""

    def __init__(self, action_id: str, waited_secs: float) -> None:
        self.action_id = action_id
        self.waited_secs = waited_secs
        super().__init__(f"action {action_id} still pending after {waited_secs:.1f} s")


class AlreadyExecuted(CountersignError):
    """The action's result was already reported (by an earlier attempt of this agent): it is
    not executed again."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__(
            f"action {decision.action_id} was already reported {decision.status}; not executing it again"
        )
