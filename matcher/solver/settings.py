"""Solver parameters, kept apart from the problem data: seed, time limit, workers, backend."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.solver.size_guard import DEFAULT_MAX_PAIRS


class SolveSettings(BaseModel):
    """How to solve: same instance + same settings ⇒ same proposal, also with a time limit as long
    as W and P finish within it (the tie-break levels never read the clock)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit: float | None = Field(default=None, gt=0, description="seconds for all levels together")
    seed: int = Field(default=0, ge=0)
    workers: int = Field(default=1, ge=1)
    backend: Literal["highs", "scip"] = "highs"
    max_pairs: int = Field(
        default=DEFAULT_MAX_PAIRS,
        ge=1,
        description="refuse instances estimated above this many eligible pairs",
    )
    # the tie-break levels (spreading, fair share) stop at a deterministic work budget, never at
    # the clock (matcher.solver.level_steps): what it does not prove is reported `feasible`
    late_level_steps: int = Field(
        default=4, ge=0, description="MIPs per tie-break level after its LP, at most"
    )
    late_level_nodes: int = Field(
        default=200, ge=1, description="branch-and-bound nodes per neighbourhood MIP, at most"
    )
    late_level_free_pairs: int = Field(
        default=1_200, ge=1, description="pairs one such MIP may change, at most"
    )
