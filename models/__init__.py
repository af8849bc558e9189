"""The domain: municipalities, neighbourhoods, units, clients, the region's policy and an instance.

"Model" in this project always means the domain; the optimisation model is the "formulation"
(see `matcher.solver.formulation`).

Each name is imported from its module when it is first used (PEP 562), so a command that needs
only `Problem` and `InvalidInstance` — `matcher --version`, every error path — does not pay for
building the pydantic models of clients, units and instances (issue 17, start-up).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.agreement import Agreement
    from models.client import Client
    from models.contact import Contact
    from models.instance import DeclinedPair, Instance, ProviderCapacity, SupportCapacity
    from models.places import Municipality, Neighbourhood
    from models.policy import Policy
    from models.problems import InvalidInstance, Problem
    from models.unit import Unit

HOMES = {
    "Agreement": "models.agreement",
    "Client": "models.client",
    "Contact": "models.contact",
    "DeclinedPair": "models.instance",
    "Instance": "models.instance",
    "InvalidInstance": "models.problems",
    "Municipality": "models.places",
    "Neighbourhood": "models.places",
    "Policy": "models.policy",
    "Problem": "models.problems",
    "ProviderCapacity": "models.instance",
    "SupportCapacity": "models.instance",
    "Unit": "models.unit",
}

__all__ = [
    "Agreement",
    "Client",
    "Contact",
    "DeclinedPair",
    "Instance",
    "InvalidInstance",
    "Municipality",
    "Neighbourhood",
    "Policy",
    "Problem",
    "ProviderCapacity",
    "SupportCapacity",
    "Unit",
]
assert sorted(__all__) == sorted(HOMES)


def __getattr__(name: str) -> Any:
    home = HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
