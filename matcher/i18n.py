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
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def speaking(code: str | None) -> Iterator[None]:
    """Use this language inside the `with` block only (None: the one in use), then the language
    chosen before, whatever happens inside (a run folder written in the language of its run)."""
    global _chosen
    before = _chosen
    if code is not None:
        set_language(code)
    try:
        yield
    finally:
        _chosen = before


def language() -> str:
    """The language in use: 'nl' or 'en'."""
    if _chosen is not None:
        return _chosen
    wanted = os.environ.get("MATCHER_LANG", "").strip().lower()[:2]
    return wanted if wanted in LANGUAGES else DEFAULT


COMPILED = "catalogue.json"  # the .po files parsed once (`python -m matcher.i18n`), with their digest


def _po_files(code: str) -> list[Path]:
    return sorted((LOCALE / code).glob("*.po"))


def po_digest(code: str) -> str:
    """The sha256 of a language's .po files (names and bytes): what `catalogue.json` was made from."""
    import hashlib

    digest = hashlib.sha256()
    for path in _po_files(code):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def parse_po(code: str) -> dict[str, str]:
    """msgid → msgstr of every translated, non-fuzzy message in a language's .po files (Babel)."""
    from babel.messages.pofile import read_po

    messages: dict[str, str] = {}
    for path in _po_files(code):
        with path.open("rb") as file:
            for message in read_po(file, locale=code):
                if message.id and message.string and not message.fuzzy and isinstance(message.id, str):
                    messages[message.id] = str(message.string)
    return messages


@cache
def catalogue(code: str) -> dict[str, str]:
    """msgid → msgstr of every translated, non-fuzzy message of one language.

    The .po files are the source. Parsing them with Babel costs about 0.07 s at every start, so
    `catalogue.json` beside them holds the parse with the digest of the files it was made from;
    it is used only while that digest still matches (an edited .po file is parsed again, and
    tests/test_i18n.py says to run `python -m matcher.i18n`)."""
    folder = LOCALE / code
    if not folder.is_dir():
        return {}
    import json

    try:
        compiled = json.loads((folder / COMPILED).read_text(encoding="utf-8"))
        if compiled.get("digest") == po_digest(code) and isinstance(compiled.get("messages"), dict):
            return {str(k): str(v) for k, v in compiled["messages"].items()}
    except (OSError, ValueError, AttributeError):
        pass
    return parse_po(code)


def compile_catalogues() -> list[Path]:
    """Write each language's `catalogue.json` from its .po files; return them (a developer's tool)."""
    import json

    written = []
    for folder in sorted(path for path in LOCALE.iterdir() if path.is_dir()):
        code = folder.name
        data = {"digest": po_digest(code), "messages": dict(sorted(parse_po(code).items()))}
        (folder / COMPILED).write_text(
            json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )
        written.append(folder / COMPILED)
    return written


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


if __name__ == "__main__":  # python -m matcher.i18n: after editing a .po file
    for path in compile_catalogues():
        print(f"written {path}")
