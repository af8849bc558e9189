"""The four regions the generator knows: CBS label, shelter municipalities and landlords.

Landlord names are real housing corporations (and two municipal housing companies) active in
these municipalities, found in public performance agreements (prestatieafspraken) and regional
press; which corporation gets which generated unit is illustrative, not their real portfolio.
See instances/README.md for the sources.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """One regional priority scheme: how the generator names it and where its shelters are."""

    key: str
    code: str
    label: str
    shelter_municipalities: dict[str, float]
    landlords: dict[str, dict[str, float]]

    @property
    def central_municipality(self) -> str:
        """The municipality with the largest share of shelter places."""
        return max(self.shelter_municipalities, key=self.shelter_municipalities.__getitem__)


REGIONS: dict[str, Region] = {
    region.key: region
    for region in (
        Region(
            key="west-friesland",
            code="WF",
            label="West-Friesland",
            # Hoorn is the centrumgemeente for shelter and sheltered housing of the seven
            # West-Frisian municipalities.
            shelter_municipalities={"GM0405": 1.0},
            landlords={
                "GM0405": {"Intermaris": 0.85, "Woonzorg Nederland": 0.15},  # Hoorn
                "GM0388": {"Welwonen": 1.0},  # Enkhuizen
                "GM0532": {"Het Grootslag": 1.0},  # Stede Broec
                "GM0498": {"Het Grootslag": 1.0},  # Drechterland
                "GM0420": {
                    "Woonschakel": 0.5,
                    "Wooncompagnie": 0.3,
                    "Het Grootslag": 0.2,
                },  # Medemblik
                "GM0432": {"Gemeentelijk Woningbedrijf Opmeer": 0.8, "Woonschakel": 0.2},  # Opmeer
                "GM1598": {
                    "Gemeentelijk Woningbedrijf Koggenland": 0.75,
                    "Wooncompagnie": 0.25,
                },  # Koggenland
            },
        ),
        Region(
            key="zuid-kennemerland",
            code="ZK",
            label="Zuid-Kennemerland/IJmond/Haarlemmermeer",
            # Haarlem is the centrumgemeente for the nine municipalities.
            shelter_municipalities={"GM0392": 1.0},
            landlords={
                "GM0392": {"Pré Wonen": 0.45, "Elan Wonen": 0.3, "Ymere": 0.25},  # Haarlem
                "GM0394": {
                    "Ymere": 0.75,
                    "Eigen Haard": 0.15,
                    "Woonzorg Nederland": 0.1,
                },  # Haarlemmermeer
                "GM0453": {
                    "Woningbedrijf Velsen": 0.6,
                    "Pré Wonen": 0.25,
                    "Brederode Wonen": 0.15,
                },  # Velsen
                "GM0375": {"Pré Wonen": 0.55, "Woonopmaat": 0.45},  # Beverwijk
                "GM0396": {"Woonopmaat": 0.7, "Pré Wonen": 0.3},  # Heemskerk
                "GM0377": {"Brederode Wonen": 0.6, "Pré Wonen": 0.4},  # Bloemendaal
                "GM0397": {"Elan Wonen": 0.6, "Pré Wonen": 0.4},  # Heemstede
                "GM0473": {"Pré Wonen": 1.0},  # Zandvoort
                "GM0450": {"Kennemer Wonen": 1.0},  # Uitgeest
            },
        ),
        Region(
            key="flevoland",
            code="FL",
            label="Flevoland",
            # Almere runs its own shelters; Lelystad is centrumgemeente for the rest of Flevoland.
            shelter_municipalities={"GM0034": 0.65, "GM0995": 0.35},
            landlords={
                "GM0034": {"Ymere": 0.35, "de Alliantie": 0.35, "GoedeStede": 0.3},  # Almere
                "GM0995": {"Centrada": 1.0},  # Lelystad
                "GM0303": {"Oost-Flevoland Woondiensten": 1.0},  # Dronten
                "GM0171": {"Mercatus": 1.0},  # Noordoostpolder
                "GM0184": {"Patrimonium": 1.0},  # Urk
                "GM0050": {"Woonpalet": 0.9, "de Alliantie": 0.1},  # Zeewolde
            },
        ),
        Region(
            key="west-brabant-west",
            code="WBW",
            label="West-Brabant West",
            # Bergen op Zoom is the centrumgemeente; Roosendaal runs crisis and night shelter.
            shelter_municipalities={"GM0748": 0.6, "GM1674": 0.4},
            landlords={
                "GM0748": {"Stadlander": 1.0},  # Bergen op Zoom
                "GM1674": {"Alwel": 0.85, "Stadlander": 0.15},  # Roosendaal (Stadlander: Wouw)
                "GM1655": {"Woonkwartier": 1.0},  # Halderberge
                "GM0840": {"Thuisvester": 1.0},  # Rucphen
                "GM0851": {"Stadlander": 0.7, "Woonkwartier": 0.3},  # Steenbergen
                "GM0873": {"Woningstichting Woensdrecht": 0.5, "Stadlander": 0.5},  # Woensdrecht
            },
        ),
    )
}

ALL = "all"
REGION_NAMES: tuple[str, ...] = (*REGIONS, ALL)

# Opmeer and Koggenland let their social homes through a municipal housing company, which CBS
# does not count as a corporation; their social stock is estimated in `generate.social_stock`.
MUNICIPAL_HOUSING_COMPANIES: frozenset[str] = frozenset({"GM0432", "GM1598"})


def regions_for(name: str) -> list[Region]:
    """The regions a --region value stands for, in a fixed order."""
    if name == ALL:
        return list(REGIONS.values())
    try:
        return [REGIONS[name]]
    except KeyError:
        raise ValueError(f"unknown region {name!r}: choose one of {', '.join(REGION_NAMES)}") from None
