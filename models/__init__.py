"""The domain: municipalities, neighbourhoods, units, clients, the region's policy and an instance.

"Model" in this project always means the domain; the optimisation model is the "formulation"
(see `matcher.solver.formulation`).
"""

from models.client import Client
from models.instance import DeclinedPair, Instance, SupportCapacity
from models.places import Municipality, Neighbourhood
from models.policy import Policy
from models.problems import InvalidInstance, Problem
from models.unit import Unit

__all__ = [
    "Client",
    "DeclinedPair",
    "Instance",
    "InvalidInstance",
    "Municipality",
    "Neighbourhood",
    "Policy",
    "Problem",
    "SupportCapacity",
    "Unit",
]
