"""Countersign client for agents: report runs and tool calls, hold high-risk writes until a
reviewer decides, report their execution once, and ask the budget before spending.

The framework adapters live in :mod:`countersign.pydantic_ai` and
:mod:`countersign.openai_agents` (each imports its framework).
"""

from .approval import Gate, requires_approval
from .client import Countersign, RunReporter, current_run
from .errors import (
    AlreadyExecuted,
    ApprovalDenied,
    ApprovalExpired,
    BudgetStopped,
    Conflict,
    CountersignError,
    DecisionTimeout,
    Forbidden,
    InvalidRequest,
    NotFound,
    ProblemError,
    RateLimited,
    ServerError,
    TooLarge,
    TransportError,
    Unauthorized,
)
from .models import (
    ActionTicket,
    ApprovalSpec,
    BudgetStop,
    Decision,
    FieldSpec,
    Reservation,
    ReviewField,
    Rollback,
    RollbackRequest,
    RunReport,
    Target,
    Webhook,
)

__all__ = [
    "ActionTicket",
    "AlreadyExecuted",
    "ApprovalDenied",
    "ApprovalExpired",
    "ApprovalSpec",
    "BudgetStop",
    "BudgetStopped",
    "Conflict",
    "Countersign",
    "CountersignError",
    "Decision",
    "DecisionTimeout",
    "FieldSpec",
    "Forbidden",
    "Gate",
    "InvalidRequest",
    "NotFound",
    "ProblemError",
    "RateLimited",
    "Reservation",
    "ReviewField",
    "Rollback",
    "RollbackRequest",
    "RunReport",
    "RunReporter",
    "ServerError",
    "Target",
    "TooLarge",
    "TransportError",
    "Unauthorized",
    "Webhook",
    "current_run",
    "requires_approval",
]
