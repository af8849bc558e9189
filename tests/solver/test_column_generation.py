"""Column generation and the class formulation: the priced LP equals the full LP, every round's
bound is valid, and rows over a class of interchangeable units count every unit in it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from builders import client, instance, unit
from hypothesis import HealthCheck, given, settings
from strategies import instances, write_instance
from test_unit_classes import instances_with_copies

from matcher.io.read import read_instance
from matcher.rules.arrays import build_arrays
from matcher.rules.eligibility import client_sets, eligible_pairs
from matcher.solver import column_generation as pricing
from matcher.solver.backend import Clock as _Clock
from matcher.solver.backend import solve_model as _solve
from matcher.solver.formulation import build_formulation, candidate_pairs
from matcher.solver.unit_classes import class_pairs, interchangeable_units
from models import Neighbourhood


def class_formulation(inst):
    arrays = build_arrays(inst)
    candidates = candidate_pairs(arrays, eligible_pairs(inst, arrays, client_sets(inst, arrays)))
    classes = interchangeable_units(arrays, candidates)
    return build_formulation(arrays, class_pairs(candidates, classes), classes.capacity)


def activity(f, chosen) -> dict[str, np.ndarray]:
    x = np.zeros(f.n_pairs)
    x[chosen] = 1
    return {block.rule: (block.matrix @ x, block.upper) for block in f.blocks}


def test_a_cap_over_a_class_of_units_still_binds():
    """Two alike units in a neighbourhood with room for one light client: as one class with room
    for two clients, the cap row must still be posted and stop the second."""
    tight = Neighbourhood(
        neighbourhood_id="WK039201", municipality_id="GM0392", name="Oude Stad", dwellings=1000, cap=1
    )
    inst = instance(
        [client(client_id="C1"), client(client_id="C2")],
        [unit(unit_id="U1"), unit(unit_id="U2")],
        neighbourhoods=[
            tight,
            Neighbourhood(
                neighbourhood_id="WK040501", municipality_id="GM0405", name="Binnenstad", dwellings=1000
            ),
        ],
    )
    f = class_formulation(inst)
    assert f.n_pairs == 2  # two clients × one class
    rows = activity(f, [0, 1])
    assert len(rows["one_client_per_unit"][1]) == 0  # two clients fit a class of two: no row needed
    used, room = rows["neighbourhood_cap"]
    assert np.any(used > room)
    used, room = activity(f, [0])["neighbourhood_cap"]
    assert np.all(used <= room)


def test_a_class_takes_as_many_clients_as_it_has_units():
    inst = instance([client(client_id=f"C{k}") for k in range(3)], [unit(unit_id="U1"), unit(unit_id="U2")])
    f = class_formulation(inst)
    used, upper = activity(f, [0, 1])["one_client_per_unit"]
    assert np.all(used <= upper)
    used, upper = activity(f, [0, 1, 2])["one_client_per_unit"]
    assert np.any(used > upper)


def _full_lp(f, objective, extra_columns=None, extra_rows=()):
    model = f.to_model(
        objective, True, integral=False, extra_columns=extra_columns, extra_rows=list(extra_rows)
    )
    _status, solver = _solve(model, "glop", "", _Clock(None))
    return float(solver.objective_value)


def _weighted_lp(tables):
    """The class formulation of `tables`, a W-then-P objective over it and its full LP optimum."""
    with tempfile.TemporaryDirectory() as folder:
        f = class_formulation(read_instance(write_instance(tables, Path(folder))))
    objective = (f.candidates.weight * 100 + f.candidates.preference).astype(float)
    return f, objective, _full_lp(f, objective) if f.n_pairs else 0.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_with_copies() | instances())
def test_priced_lp_equals_the_full_lp_and_every_bound_holds(tables):
    """From a nearly empty start, pricing reaches the full LP optimum, and the Lagrangian bound
    it reports at every round is never below that optimum."""
    f, objective, optimum = _weighted_lp(tables)
    if f.n_pairs == 0:
        return
    bounds = []

    def record(values, bound):
        bounds.append(bound)
        return False

    priced = pricing.priced_lp(f, objective, [], np.array([0]), _Clock(None), proven=record)
    assert abs(priced.objective - optimum) < 1e-6
    assert all(bound >= optimum - 1e-6 for bound in bounds)
    assert abs(priced.bound - optimum) < 1e-6  # no pair left to enter: the bound is the LP optimum


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_priced_lp_with_an_extra_column_and_fixed_pairs(tables):
    """A spreading-like level: minimise U with Σ load·x − cap·U ≤ 0 and at least as many
    placements as a fixed pair set; priced with U always in and fixed pairs respected."""
    import scipy.sparse as sparse

    from matcher.solver.formulation import Rows

    with tempfile.TemporaryDirectory() as folder:
        f = class_formulation(read_instance(write_instance(tables, Path(folder))))
    n = f.n_pairs
    if n < 2:
        return
    f.fixed_pairs = np.full(n, -1, dtype=np.int8)
    f.fixed_pairs[-1] = 0  # one pair may not be used
    load = np.where(f.candidates.load > 0, f.candidates.load, 1).astype(float)
    rows = [
        Rows(
            "spread",
            sparse.csr_matrix(np.r_[load, -1.0].reshape(1, -1)),
            np.array([-np.inf]),
            np.array([0.0]),
        ),
        Rows(
            "placed",
            sparse.csr_matrix(np.r_[np.ones(n), 0.0].reshape(1, -1)),
            np.array([1.0]),
            np.array([np.inf]),
        ),
    ]
    objective = np.r_[np.zeros(n), -1.0]  # maximise −U
    columns = (np.array([0.0]), np.array([1e6]))
    optimum = _full_lp(f, objective, columns, rows)
    priced = pricing.priced_lp(
        f,
        objective,
        rows,
        np.flatnonzero(f.fixed_pairs != 0)[:1],
        _Clock(None),
        extra_columns=columns,
    )
    assert abs(priced.objective - optimum) < 1e-6
    assert priced.bound >= optimum - 1e-6
    assert priced.values[-1] == 0 and n - 1 not in priced.columns.tolist()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_with_copies() | instances())
def test_a_round_cut_off_by_the_clock_leaves_the_last_solved_round(tables):
    """When time runs out inside a later round, the last solved round's solution and its bound
    come back (the bound is valid at every round), never an empty answer."""
    from matcher.solver import lp_model as mb
    from matcher.solver.restricted_lp import RestrictedLP, Round

    f, objective, optimum = _weighted_lp(tables)
    if f.n_pairs == 0:
        return
    calls = []
    solve = RestrictedLP.solve

    def solve_once(self, columns):
        calls.append(columns)
        if len(calls) > 1:
            return Round(mb.SolveStatus.NOT_SOLVED, np.zeros(0), np.zeros(0), np.nan)
        return solve(self, columns)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RestrictedLP, "solve", solve_once)
        priced = pricing.priced_lp(f, objective, [], np.array([0]), _Clock(None))
    assert priced.status == mb.SolveStatus.OPTIMAL and priced.rounds == 1
    assert priced.bound >= optimum - 1e-6
    x = priced.values
    assert np.all((x >= -1e-9) & (x <= 1 + 1e-9)) and np.all(
        x[np.setdiff1d(np.arange(f.n_pairs), priced.columns)] == 0
    )
