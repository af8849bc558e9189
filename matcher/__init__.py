"""Housing-matching optimisation engine for Dutch regional priority schemes.

The library's public face; the command line, the stress simulation and the audit use only this::

    from matcher import read_instance, solve, solve_week, write_proposal, SolveSettings

    instance = read_instance("instances/zuid-kennemerland-week")
    week = solve_week(instance, SolveSettings(), ledger="decisions.sqlite")
    write_proposal(week, "instances/zuid-kennemerland-week", "out/week-48")

Names are loaded on first use, so `import matcher` (and `matcher --version`) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# public name -> the module that defines it
_PUBLIC = {
    "Instance": "models",
    "InvalidInstance": "models",
    "Problem": "models",
    "read_instance": "matcher.io.read",
    "write_proposal": "matcher.io.write",
    "SolveSettings": "matcher.solver.settings",
    "Proposal": "matcher.proposal",
    "solve": "matcher.proposal",
    "Week": "matcher.week",
    "solve_week": "matcher.week",
    "check_proposal": "matcher.review.check",
    "explain_client": "matcher.review.explain",
    "explain_unit": "matcher.review.explain",
    "audit_proposal": "matcher.audit.rerun",
}

__all__ = [  # noqa: RUF022  (grouped as in _PUBLIC)
    "__version__",
    "Instance",
    "InvalidInstance",
    "Problem",
    "read_instance",
    "write_proposal",
    "SolveSettings",
    "Proposal",
    "solve",
    "Week",
    "solve_week",
    "check_proposal",
    "explain_client",
    "explain_unit",
    "audit_proposal",
]

if TYPE_CHECKING:
    from matcher.audit.rerun import audit_proposal
    from matcher.io.read import read_instance
    from matcher.io.write import write_proposal
    from matcher.proposal import Proposal, solve
    from matcher.review.check import check_proposal
    from matcher.review.explain import explain_client, explain_unit
    from matcher.solver.settings import SolveSettings
    from matcher.week import Week, solve_week
    from models import Instance, InvalidInstance, Problem


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matcher' has no attribute {name!r}")
