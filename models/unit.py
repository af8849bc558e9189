"""A unit a corporation or landlord has made available to the priority scheme."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from matcher.i18n import _
from models.fields import FROZEN, Bool, Day, Id, UnitType

# The unit's address and references (issue 15): about a home, not a person, so the reader accepts
# street names, postcodes and house numbers in exactly these columns (`matcher.io.read`).
ADDRESS_COLUMNS: tuple[str, ...] = ("street", "house_number", "postcode", "place", "complex_name")
REFERENCE_COLUMNS: tuple[str, ...] = ("landlord_reference", "bag_id")
HOME_COLUMNS: tuple[str, ...] = ADDRESS_COLUMNS + REFERENCE_COLUMNS
# what proposals.csv adds after its columns when units have an address (not the BAG id)
PROPOSAL_ADDRESS_COLUMNS: tuple[str, ...] = (*ADDRESS_COLUMNS, "landlord_reference")

# The tenancy a unit is offered with (issue 14): `permanent`, a home the client can stay in
# (instroomwoning, a normal tenancy), or `trajectory`, rented only for the duration of the
# support trajectory, after which the client moves again. Empty cells are `permanent`.
Tenancy = Literal["permanent", "trajectory"]
TENANCIES: tuple[str, ...] = ("permanent", "trajectory")

_POSTCODE = re.compile(r"^([1-9]\d{3})\s*([A-Za-z]{2})$")
_HOUSE_NUMBER = re.compile(r"^[1-9]\d{0,4}(?:[ \-/]?[A-Za-z0-9]{1,6}){0,2}$")
_BAG_ID = re.compile(r"^\d{16}$")


def _text(value: str) -> str:
    """Plain text: not empty, no formula start, no control character."""
    if not value:
        raise ValueError(_("must not be empty"))
    if value[:1] in ("=", "+", "-", "@"):
        raise ValueError(
            _(
                "begins with {char}: spreadsheet programs would run it as a formula; "
                "start with a letter or digit",
                char=repr(value[0]),
            )
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError(_("holds a control character: remove it so the value is plain text"))
    return value


def _postcode(value: object) -> object:
    """`1234ab`, `1234 AB`, `1234  ab` → `1234 AB`; any other shape is refused."""
    if not isinstance(value, str):
        return value
    found = _POSTCODE.match(value.strip())
    if not found:
        raise ValueError(_("not a Dutch postcode: write four digits and two letters, e.g. 2011 AB"))
    return f"{found[1]} {found[2].upper()}"


def _house_number(value: str) -> str:
    if not _HOUSE_NUMBER.match(value):
        raise ValueError(
            _("not a house number: write the number and any addition, e.g. 12, 12A, 12-2 or 12 bis")
        )
    return value


def _bag_id(value: str) -> str:
    if not _BAG_ID.match(value):
        if value.isdigit() and len(value) < 16:
            raise ValueError(
                _(
                    "a BAG id has 16 digits, this one {count}: a spreadsheet drops leading zeros, "
                    "so format the column as text and type the id again, e.g. 0392010000123456",
                    count=len(value),
                )
            )
        raise ValueError(
            _("not a BAG id: write the verblijfsobject's 16 digits, digits only, e.g. 0392010000123456")
        )
    return value


def _tenancy(value: object) -> object:
    """`Permanent`, ` TRAJECTORY ` → the code; the Dutch words are read by `matcher.io.read`."""
    return value.strip().lower() if isinstance(value, str) else value


Text = Annotated[str, AfterValidator(_text)]
Postcode = Annotated[str, BeforeValidator(_postcode)]
HouseNumber = Annotated[str, AfterValidator(_house_number)]
BagId = Annotated[str, AfterValidator(_bag_id)]


class Unit(BaseModel):
    """A social-rental home, room, cluster place or Skaeve Huis."""

    model_config = FROZEN

    unit_id: Id
    type: UnitType
    landlord: Id
    municipality_id: Id
    neighbourhood_id: Id
    site_id: Id | None = None  # an id like the others: no formula start, no control characters
    rent: float = Field(ge=0)
    max_household: int = Field(default=1, ge=1)
    accessible: Bool = False
    available_from: Day
    # the tenancy offered: empty is permanent (an instroomwoning); `trajectory` for the
    # duration of the support trajectory only
    tenancy: Annotated[Tenancy, BeforeValidator(_tenancy)] | None = None
    # a jongerenwoning let on a jongerencontract (the temporary contract for tenants 18 to 27):
    # only for a young adult (eligibility rule 11, issue 14 item 6)
    young_adults_only: Bool = False
    # where the home is and how its corporation refers to it: optional, never read by the solve
    street: Text | None = None
    house_number: HouseNumber | None = None
    postcode: Postcode | None = None
    place: Text | None = None  # woonplaats
    complex_name: Text | None = None
    landlord_reference: Text | None = None  # the corporation's own reference for the unit
    bag_id: BagId | None = None  # the BAG verblijfsobject id: 16 digits

    @model_validator(mode="after")
    def _site_for_grouped_housing(self) -> Unit:
        if self.type in ("cluster", "skaeve_huis") and not self.site_id:
            raise ValueError(_("site_id is required for a {type} unit: name its site", type=self.type))
        return self

    @property
    def permanent(self) -> bool:
        """Whether the unit is a home the client can stay in (tenancy permanent or empty)."""
        return self.tenancy != "trajectory"

    @property
    def has_address(self) -> bool:
        """Whether any address or reference column is filled in."""
        return any(getattr(self, column) for column in HOME_COLUMNS)

    def street_line(self) -> str:
        """`Kleine Houtstraat 12A` (what is known of street and house number)."""
        return " ".join(part for part in (self.street, self.house_number) if part)

    def address(self) -> str:
        """`Kleine Houtstraat 12A, 2011 DR Haarlem` (what is known; empty without an address)."""
        town = " ".join(part for part in (self.postcode, self.place) if part)
        return ", ".join(part for part in (self.street_line(), town) if part)
