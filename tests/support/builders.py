"""Small instances built in code, for rule-by-rule tests."""

from __future__ import annotations

from models import Client, DeclinedPair, Instance, Municipality, Neighbourhood, Policy, SupportCapacity, Unit


def instance(
    clients=None,
    units=None,
    *,
    policy=None,
    neighbourhoods=None,
    municipalities=None,
    support_capacity=(),
    declined=(),
) -> Instance:
    """Two municipalities in two regions, two neighbourhoods; override any part."""
    municipalities = municipalities or [
        Municipality(municipality_id="GM0392", name="Haarlem", region="ZK", population=160000),
        Municipality(municipality_id="GM0405", name="Hoorn", region="WF", population=75000),
    ]
    neighbourhoods = neighbourhoods or [
        Neighbourhood(
            neighbourhood_id="WK039201", municipality_id="GM0392", name="Oude Stad", dwellings=1000
        ),
        Neighbourhood(
            neighbourhood_id="WK040501", municipality_id="GM0405", name="Binnenstad", dwellings=1000
        ),
    ]
    return Instance(
        municipalities=tuple(municipalities),
        neighbourhoods=tuple(neighbourhoods),
        units=tuple(units or [unit()]),
        clients=tuple(clients or [client()]),
        support_capacity=tuple(SupportCapacity(**row) for row in support_capacity),
        declined=tuple(DeclinedPair(**row) for row in declined),
        policy=policy or Policy(period={"start": "2026-11-23"}),
    )


def client(**fields) -> Client:
    """A light-support MO client from Haarlem, registered 10 weeks before the period."""
    base = dict(
        client_id="C1",
        source="MO",
        origin_municipality_id="GM0392",
        support_intensity="light",
        registered_on="2026-09-14",
    )
    return Client.model_validate(base | fields)


def unit(**fields) -> Unit:
    """A social-rental unit in Haarlem's Oude Stad, available now, rent 600."""
    base = dict(
        unit_id="U1",
        type="social_rental",
        landlord="Pré Wonen",
        municipality_id="GM0392",
        neighbourhood_id="WK039201",
        rent=600,
        available_from="2026-11-01",
    )
    return Unit.model_validate(base | fields)
