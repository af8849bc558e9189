"""Regression anchors: the proven W and P of every committed instance under instances/.

Like the best-known solutions a routing library keeps: the engine proves these optima
(W = W_bound, P = P_bound); a change that moves any of them changes behaviour.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.io.read import read_instance
from matcher.proposal import solve

INSTANCES = Path(__file__).resolve().parents[1] / "instances"

ANCHORS = [  # (folder, W, P, placed)
    ("flevoland-week", 5534, 545, 33),
    ("flevoland-year", 39295, 7050, 280),
    ("tiny", 751, 120, 5),
    ("west-brabant-west-week", 4148, 430, 25),
    ("west-brabant-west-year", 29001, 5140, 202),
    ("west-friesland-week", 4840, 335, 25),
    ("west-friesland-year", 25147, 4420, 179),
    ("zuid-kennemerland-week", 7178, 1095, 43),
    ("zuid-kennemerland-year", 52278, 8855, 357),
]


def test_every_committed_instance_has_an_anchor():
    folders = {p.parent.name for p in INSTANCES.glob("*/policy.yaml")}
    assert folders == {name for name, *_ in ANCHORS}


@pytest.mark.parametrize(("name", "w", "p", "placed"), ANCHORS, ids=[a[0] for a in ANCHORS])
def test_proven_w_and_p(name, w, p, placed):
    proposal = solve(read_instance(INSTANCES / name))
    assert proposal.proven_optimal
    assert (proposal.priority, proposal.preference, len(proposal.pairs_chosen())) == (w, p, placed)
