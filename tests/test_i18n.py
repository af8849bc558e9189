"""The message catalogue: every message marked `_()` or `N_()` in the code has a Dutch
translation with the same fields, and the language switch works (matcher/i18n.py)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher import i18n
from matcher.i18n import _, catalogue, set_language

ROOT = Path(__file__).resolve().parents[1] / "matcher"


def marked_messages() -> dict[str, list[str]]:
    """Every literal first argument of _() or N_() in matcher/, with where it is."""
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"_", "N_"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
                found.setdefault(node.args[0].value, []).append(where)
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_marked_message_has_a_dutch_translation_with_the_same_fields():
    dutch = catalogue("nl")
    missing = [
        f"{where[0]}: {message!r}" for message, where in marked_messages().items() if message not in dutch
    ]
    assert not missing, "messages without a Dutch translation in matcher/locale/nl/*.po:\n" + "\n".join(
        missing
    )
    wrong = [
        f"{message!r} → {dutch[message]!r}"
        for message in marked_messages()
        if fields(dutch[message]) != fields(message)
    ]
    assert not wrong, "translations whose {fields} differ from the message's:\n" + "\n".join(wrong)


def test_no_message_is_translated_twice_differently():
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((i18n.LOCALE / "nl").glob("*.po")):
        with path.open("rb") as file:
            for message in read_po(file, locale="nl"):
                if not message.id:
                    continue
                if message.id in seen and seen[message.id][1] != message.string:
                    clashes.append(f"{message.id!r}: {seen[message.id][0]} and {path.name}")
                seen[message.id] = (path.name, str(message.string))
    assert not clashes, "\n".join(clashes)


@pytest.fixture
def restore_language():
    yield
    set_language(None)


def test_dutch_is_the_default_and_english_is_chosen(monkeypatch, restore_language):
    monkeypatch.delenv("MATCHER_LANG", raising=False)
    set_language(None)
    assert i18n.language() == "nl"
    monkeypatch.setenv("MATCHER_LANG", "en_GB.UTF-8")
    assert i18n.language() == "en"
    set_language("NL")
    assert i18n.language() == "nl"
    with pytest.raises(i18n.UnknownLanguage, match="use one of nl, en"):
        set_language("de")


def test_a_message_with_fields_is_filled_in_both_languages(monkeypatch, restore_language):
    dutch = catalogue("nl")
    message = next((m for m in dutch if fields(m)), None)
    if message is None:
        pytest.skip("no message with fields in the catalogue yet")
    values = dict.fromkeys(fields(message), 7)
    set_language("en")
    assert _(message, **values) == message.format(**values)
    set_language("nl")
    assert _(message, **values) == dutch[message].format(**values)


def test_an_unknown_message_shows_in_english_not_as_a_code(restore_language):
    set_language("nl")
    assert _("a message nobody translated: {x}", x=3) == "a message nobody translated: 3"


def test_the_cli_takes_lang(restore_language):
    from matcher.cli import main

    result = CliRunner().invoke(main, ["--lang", "de", "--version"])
    assert result.exit_code == 2
    assert "nl" in result.output and "en" in result.output


def test_the_compiled_catalogue_is_the_po_files():
    """catalogue.json (read at start instead of parsing the .po files) holds exactly what Babel
    reads from them now; after editing a .po file, run `python -m matcher.i18n`."""
    import json

    from matcher.i18n import COMPILED, LOCALE, parse_po, po_digest

    compiled = json.loads((LOCALE / "nl" / COMPILED).read_text(encoding="utf-8"))
    assert compiled["digest"] == po_digest("nl"), "a .po file changed: run `python -m matcher.i18n`"
    assert compiled["messages"] == parse_po("nl")


def test_an_edited_po_file_is_read_even_before_it_is_compiled(tmp_path, monkeypatch):
    """A stale catalogue.json (its digest no longer the .po files') is never used."""
    import shutil

    import matcher.i18n as i18n

    shutil.copytree(i18n.LOCALE, tmp_path / "locale")
    po = tmp_path / "locale" / "nl" / "common.po"
    po.write_text(
        po.read_text(encoding="utf-8") + '\nmsgid "a brand new message"\nmsgstr "een nieuw bericht"\n'
    )
    monkeypatch.setattr(i18n, "LOCALE", tmp_path / "locale")
    i18n.catalogue.cache_clear()
    try:
        assert i18n.catalogue("nl")["a brand new message"] == "een nieuw bericht"
    finally:
        i18n.catalogue.cache_clear()


def test_speaking_a_language_for_one_block_restores_the_one_chosen_before():
    """`speaking` sets the language inside its block only, and gives the earlier choice back even
    when the block fails (a run folder is written, or a week repeated, in its run's language)."""
    from matcher import i18n

    i18n.set_language("nl")
    try:
        with i18n.speaking("en"):
            assert i18n.language() == "en"
        assert i18n.language() == "nl"
        with pytest.raises(RuntimeError), i18n.speaking("en"):
            raise RuntimeError("inside")
        assert i18n.language() == "nl"
        with i18n.speaking(None):  # None keeps the language in use
            assert i18n.language() == "nl"
    finally:
        i18n.set_language(None)
