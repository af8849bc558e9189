"""Staff contacts: who at a corporation reviews its matches, and the coordinator they answer.

`contacts.csv` is optional. Its names, e-mail addresses and phone numbers are of staff (the
corporation's contact, the scheme's coordinator), never of clients: this is the one file where
the reader accepts them (`matcher.io.read`, `CONTACT_COLUMNS`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, model_validator

from matcher.i18n import _
from models.fields import FROZEN, Id
from models.unit import Text

ContactRole = Literal["landlord", "coordinator"]
# the words a coordinator may type for a role, Dutch ones included (compared without accents)
ROLE_WORDS = {
    "landlord": "landlord",
    "corporatie": "landlord",
    "woningcorporatie": "landlord",
    "verhuurder": "landlord",
    "coordinator": "coordinator",
    "coordinatie": "coordinator",
}
_EMAIL = re.compile(r"^[^@\s;,<>()\"']+@[^@\s;,<>()\"']+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d ()./-]+$")


def _plain_word(text: str) -> str:
    """Lower case without accents: `Coördinator` → `coordinator`."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _to_role(value: object) -> object:
    if isinstance(value, str):
        return ROLE_WORDS.get(_plain_word(value), value)
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(_("not an e-mail address: write it as name@example.org"))
    return value


def _phone(value: str) -> str:
    """A phone number of 6 to 15 digits, `+`, spaces, `-`, `.`, `/` and brackets allowed. A
    leading `'` (how a spreadsheet keeps `+31` as text) is dropped."""
    value = value.removeprefix("'").strip()
    digits = sum(char.isdigit() for char in value)
    if not _PHONE.match(value) or not 6 <= digits <= 15:
        raise ValueError(_("not a phone number: write digits, e.g. 023 123 4567 or +31 23 123 4567"))
    return value


Email = Annotated[str, AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_phone)]
Role = Annotated[ContactRole, BeforeValidator(_to_role)]


class Contact(BaseModel):
    """A staff contact: a corporation's (`role` landlord, its `landlord` as units.csv names it) or
    the coordinator's (for every corporation, or for the one `landlord` names)."""

    model_config = FROZEN

    role: Role
    landlord: Id | None = None
    name: Text | None = None
    email: Email | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _complete(self) -> Contact:
        if self.role == "landlord" and not self.landlord:
            raise ValueError(
                _("landlord is required for a landlord's contact: name the corporation as units.csv does")
            )
        if not (self.name or self.email or self.phone):
            raise ValueError(_("a contact needs a name, an e-mail address or a phone number: fill in one"))
        return self

    def words(self) -> str:
        """The contact as a line: `name, e-mail, phone` (what is known)."""
        return ", ".join(part for part in (self.name, self.email, self.phone) if part)


def landlord_contact(contacts: Iterable[Contact], landlord: str) -> Contact | None:
    """The landlord's own contact (the first row for it), or None."""
    return next((c for c in contacts if c.role == "landlord" and c.landlord == landlord), None)


def coordinator_contact(contacts: Iterable[Contact], landlord: str | None = None) -> Contact | None:
    """The coordinator a landlord answers: the one named for this landlord, else the first one
    for every landlord, else None."""
    coordinators = [c for c in contacts if c.role == "coordinator"]
    return next((c for c in coordinators if landlord and c.landlord == landlord), None) or next(
        (c for c in coordinators if not c.landlord), None
    )
