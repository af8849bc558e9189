"""Solver parameters, kept apart from the problem data: seed, time limit, workers, backend."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.solver.size_guard import DEFAULT_MAX_PAIRS


class SolveSettings(BaseModel):
    """How to solve: same instance + same settings (without a time limit) ⇒ same proposal."""

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
