"""Every word a user reads comes from here: Dutch by default, English with `--lang en`.

The messages are written in English in the code, marked `_("…")`, and translated in the Dutch
catalogue: the `.po` files in `matcher/locale/nl/` (one per part of the product, e.g.
`report.po`, `monitor.po`, `cli.po`; gettext's format, read with Babel). A message with fields
names them: `_("{count} clients placed", count=n)`; the translation keeps the same fields.
`tests/test_i18n.py` checks that every marked message has a Dutch translation with the same
fields, so no English slips through to a Dutch user.

The language is, in order: `set_language()` (the CLI's `--lang`), the environment variable
`MATCHER_LANG`, else Dutch (`nl`). A message missing from the catalogue shows in English, never
as a code.

Terms are the programmes' own (docs/decisions.md, decision 91): voorrangsregeling, uitstroom,
doorstroom, instroom, wijk, corporatie, draagkracht, woonplaatsbeginsel, begeleiding.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

LANGUAGES = {"nl": "Nederlands", "en": "English"}
DEFAULT = "nl"
LOCALE = Path(__file__).resolve().parent / "locale"

_chosen: str | None = None


class UnknownLanguage(ValueError):
    """A language the product does not speak."""


def set_language(code: str | None) -> None:
    """Use this language from now on (None: back to MATCHER_LANG or the default)."""
    global _chosen
    if code is not None:
        code = code.strip().lower()
        if code not in LANGUAGES:
            raise UnknownLanguage(
                f"unknown language {code!r}: use one of {', '.join(LANGUAGES)} "
                f"({', '.join(f'{k} = {v}' for k, v in LANGUAGES.items())})"
            )
    _chosen = code


def language() -> str:
    """The language in use: 'nl' or 'en'."""
    if _chosen is not None:
        return _chosen
    wanted = os.environ.get("MATCHER_LANG", "").strip().lower()[:2]
    return wanted if wanted in LANGUAGES else DEFAULT


@cache
def catalogue(code: str) -> dict[str, str]:
    """msgid → msgstr of every translated, non-fuzzy message of one language."""
    folder = LOCALE / code
    if not folder.is_dir():
        return {}
    from babel.messages.pofile import read_po

    messages: dict[str, str] = {}
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as file:
            for message in read_po(file, locale=code):
                if message.id and message.string and not message.fuzzy and isinstance(message.id, str):
                    messages[message.id] = str(message.string)
    return messages


def _(message: str, /, **fields: object) -> str:
    """The message in the user's language, with its fields filled in."""
    text = message if language() == "en" else catalogue(language()).get(message, message)
    return text.format(**fields) if fields else text


def N_(message: str, /) -> str:
    """Mark a message for translation where it is defined (a table of labels); translate it with
    `_()` where it is shown."""
    return message


def both(message: str, /) -> tuple[str, ...]:
    """The message in every language (for input that accepts either: `ja` and `yes`)."""
    return tuple(dict.fromkeys([message, *(catalogue(code).get(message, message) for code in LANGUAGES)]))
