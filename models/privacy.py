"""Guards against personal data where only pseudonyms belong.

Client ids are copied to every output (proposals, landlord workbooks, the solved instance, logs),
so they must be pseudonyms. `personal_data(identifier)` names the kind of personal data an id
looks like, or gives None for a pseudonym. It is the union of small named predicates below, one
per shape a coordinator might paste instead of the pseudonym.

The rule: a pseudonym is codes and numbers, a letters prefix plus digits with separators
(`C-ZK-0011`, `U-ZK-0023`, `C01`, `MO-2024-0173`, `HLM/2025/17`, the redacted `C-QXWJKTRMABCD`).
An id is refused when it holds

- a citizen service number: 8–9 digits passing the BSN 11-test, or 8–9 digits written in groups
  as a BSN is written (`111.222.333`, `1112 22 333`), whether or not they pass it;
- an e-mail address (any `@` between two characters);
- a phone number (`06-12345678`, `020-1234567`, `+31 6 12345678`);
- a calendar date (`1984-03-12`, `12-03-1984`, `12/03/1984`, `19840312`, `12 mrt 1984`);
- a postcode with a house number (`2011AB-12`, `2011 AB 12`);
- words that read as a name: two words (`ilse zwanenburg`, `ilse_zwanenburg`), a camel-cased
  pair (`IlseZwanenburg`), initials with a surname (`I. Zwanenburg`, `Pietersma, J.`), a surname
  particle before a word (`van Dijk`), a word with a birth year (`Zwanenburg-1984`), a common
  Dutch first name or surname (`Anna-12`), or a bare word (`Zwanenburg`).

Capital codes of at most three letters (`MO`, `WBW`, `HLM`, `JAN`, `BOS`) are never words. A
refused pseudonym costs a coordinator one edit; a leaked identity cannot be taken back, so the
predicates lean towards refusing.

`shown(value)` is how a problem message may echo an id: quoted in full when it is a pseudonym,
masked (`'I… Z…' (masked personal data)`) when it looks like personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from matcher.i18n import N_

PSEUDONYM_EXAMPLE = "C-0042"

# The kinds of personal data an id can look like, as a message names them.
# the kinds of personal data, as English messages (translated with `_()` where they are shown)
KINDS: dict[str, str] = {
    "email": N_("an e-mail address"),
    "phone": N_("a phone number"),
    "date": N_("a date (of birth)"),
    "address": N_("a postcode with a house number"),
    "bsn": N_("a citizen service number (BSN)"),
    "name": N_("a person's name"),
}


# --- citizen service numbers ---------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
_DIGIT_GROUPS = re.compile(r"(?<!\d)\d++(?:[ .\-/_]{1,3}\d++)+")  # possessive: linear in the id
_YEAR = re.compile(r"(?:19|20)\d\d")


def passes_eleven_test(digits: str) -> bool:
    """True when 8 or 9 digits form a valid Dutch citizen service number (BSN, elfproef)."""
    if not digits.isdigit() or len(digits) not in (8, 9):
        return False
    digits = digits.zfill(9)
    if digits == "000000000":
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:8], range(9, 1, -1)))
    return (total - int(digits[8])) % 11 == 0


def has_eleven_proof_number(identifier: str) -> bool:
    """A run of 8–9 digits passing the 11-test, or a 9-digit window of a longer run that does.

    `123456782` and `MO-123456782` are refused; `MO-123456789` fails the test and is a fine id.
    """
    for run in _DIGITS.findall(identifier):
        if len(run) in (8, 9) and passes_eleven_test(run):
            return True
        if len(run) >= 10 and any(passes_eleven_test(run[k : k + 9]) for k in range(len(run) - 8)):
            return True
    return False


def is_grouped_bsn(identifier: str) -> bool:
    """8–9 digits written in groups as a BSN is written, 11-test or not.

    Three consecutive groups of 2–4 digits (`111.222.333`, `111-222-333`, `1112 22 333`,
    `1234.56.789`), or two groups unless one is a year: `MO-2024-0173`, a year and a serial
    number, is the pseudonym style the docs recommend and stays accepted.
    """
    for chain in _DIGIT_GROUPS.finditer(identifier):
        groups = _DIGITS.findall(chain.group())
        for start in range(len(groups) - 1):
            pair, triple = groups[start : start + 2], groups[start : start + 3]
            if (
                len(triple) == 3
                and all(2 <= len(group) <= 4 for group in triple)
                and sum(map(len, triple)) in (8, 9)
            ):
                return True
            if sum(map(len, pair)) in (8, 9) and not any(_YEAR.fullmatch(group) for group in pair):
                return True
    return False


def looks_like_bsn(identifier: str) -> bool:
    """True when the id holds a citizen service number: 11-test proof, or written in groups."""
    return has_eleven_proof_number(identifier) or is_grouped_bsn(identifier)


# --- contact data, dates and addresses -----------------------------------------------------------

_EMAIL = re.compile(r"[^\s@]@[^\s@]")
_NUMBER_CHAIN = re.compile(r"\+?\(?\d[\d ().\-/]*")  # no backtracking: linear in the id
# Dutch and English month abbreviations; the pattern below also takes their longer forms
_MONTHS = "jan|feb|mrt|maa|mar|apr|mei|may|jun|jul|aug|sep|okt|oct|nov|dec"
_SEPARATED_DATE = re.compile(r"(?<!\d)(\d{1,4})([-./ ])(\d{1,2})\2(\d{1,4})(?!\d)")
_EIGHT_DIGITS = re.compile(r"(?<!\d)\d{8}(?!\d)")
_WRITTEN_MONTH = re.compile(
    rf"(?<!\d)(\d{{1,2}})[-./ ]?(?:{_MONTHS})[^\W\d_]*\.?[-./ ]?(\d{{4}}|\d{{2}})(?!\d)", re.IGNORECASE
)
_POSTCODE_HOUSE_NUMBER = re.compile(r"(?<![^\W_])[1-9]\d{3} ?[A-Za-z]{2}(?![^\W\d_])[ .,\-_/]*\d{1,5}(?!\d)")


def is_email_address(identifier: str) -> bool:
    """An `@` between two characters: `ilse.zwanenburg@gmail.com`, `i.z@zorg.nl`."""
    return bool(_EMAIL.search(identifier))


def is_phone_number(identifier: str) -> bool:
    """A Dutch or international phone number, separators and `(0)` allowed.

    Ten digits starting with 0 and an area or mobile code (`0201234567`, `020-1234567`,
    `06-12345678`), or a country code after `+` or `00` (`+31 6 12345678`, `0031612345678`).
    """
    for chain in _NUMBER_CHAIN.finditer(identifier):
        text = chain.group().replace("(0)", "")
        digits = re.sub(r"\D", "", text)
        if text.startswith("+") and 9 <= len(digits) <= 15 and digits[0] != "0":
            return True
        if digits.startswith("00") and 11 <= len(digits) <= 15 and digits[2] != "0":
            return True
        if len(digits) == 10 and digits[0] == "0" and digits[1] != "0":
            return True
    return False


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def has_date(identifier: str) -> bool:
    """A calendar date of the years 1900–2099, as a date of birth is written.

    `1984-03-12`, `12-03-1984`, `12/03/1984`, `12.03.84`, `19840312`, `12031984`, `12 mrt 1984`.
    Any date is refused, not only plausible birth dates: a date has no place in a pseudonym.
    """
    for match in _SEPARATED_DATE.finditer(identifier):
        first, _, middle, last = match.groups()
        month = int(middle)
        if len(first) == 4 and len(last) <= 2 and _YEAR.fullmatch(first):
            if _is_day(int(first), month, int(last)):
                return True
        elif len(first) <= 2 and len(last) == 4 and _YEAR.fullmatch(last):
            if _is_day(int(last), month, int(first)):
                return True
        elif len(first) <= 2 and len(last) == 2 and _is_day(2000, month, int(first)):
            return True
    for match in _EIGHT_DIGITS.finditer(identifier):
        run = match.group()
        if _YEAR.fullmatch(run[:4]) and _is_day(int(run[:4]), int(run[4:6]), int(run[6:])):
            return True
        if _YEAR.fullmatch(run[4:]) and _is_day(int(run[4:]), int(run[2:4]), int(run[:2])):
            return True
    return any(1 <= int(match.group(1)) <= 31 for match in _WRITTEN_MONTH.finditer(identifier))


def has_postcode_with_house_number(identifier: str) -> bool:
    """A Dutch postcode followed by a house number: `2011AB-12`, `2011 AB 12`, `2011ab12`.

    A postcode alone (`2011AB`) is a neighbourhood of some twenty addresses, not a person, and
    is not refused.
    """
    return bool(_POSTCODE_HOUSE_NUMBER.search(identifier))


# --- names -------------------------------------------------------------------------------------

# Surname particles (tussenvoegsels) and their counterparts in names common among clients.
PARTICLES = frozenset(
    {
        "van",
        "de",
        "der",
        "den",
        "het",
        "ter",
        "ten",
        "te",
        "t",
        "op",
        "in",
        "uit",
        "onder",
        "el",
        "al",
        "ben",
        "bin",
        "ibn",
        "abu",
        "von",
        "le",
        "la",
        "di",
        "da",
        "dos",
        "du",
    }
)

# The most common Dutch surnames (CBS / Meertens naamdatabank) and the first names most often
# given in the Netherlands over the last decades, including those common in the main migrant
# communities. A word from these lists anywhere in an id is enough to flag it.
_SURNAMES = """
jong jansen vries berg dijk bakker janssen visser smit meijer meyer boer mulder groot bos vos
peters hendriks leeuwen dekker brouwer wit dijkstra smits graaf meer linden kok jacobs haan
vermeulen heuvel veen broek bruijn bruin heijden schouten beek willems vliet ven hoekstra maas
verhoeven koster dam wal prins blom huisman peeters jonge kuipers veen post kuiper veenstra
kramer brink scholten wijk postma martens vink ruiter timmermans groen gerritsen jonker loon
velde willemsen smeets lange bosch dongen schipper koning laan velden driessen doorn hermans
evers bosman wouters sanders zanden hofman meulen verbeek hoek claassen jacobsen mohamed
yilmaz kaya demir sahin celik yildiz aydin ozturk arslan dogan kilic amrani bouzid
"""

_FIRST_NAMES = """
jan johannes johan hans pieter piet kees cornelis hendrik henk willem wim gerrit klaas dirk
jacob jacobus joost jeroen mark marco martin michel peter paul rob robert erik eric frank
sander bas tom tim thijs lars bram daan sem lucas levi finn milan noah liam luuk jesse ruben
stijn niels koen rick dennis kevin patrick richard ronald rene ricardo mohammed mohamed ahmed
mustafa ali omar youssef ayoub hamza ibrahim mehmet emre yusuf
maria anna johanna cornelia elisabeth wilhelmina hendrika emma sophie julia tess sanne lisa
anne eva fleur sara sarah nora mila zoe noor lotte iris femke anouk marieke ingrid petra esther
linda sandra monique patricia karin marloes saskia mirjam annemarie fatima fatma aisha aicha
yasmine yasmina khadija samira naima zeynep elif
"""
SURNAMES = frozenset(_SURNAMES.split())
FIRST_NAMES = frozenset(_FIRST_NAMES.split())

_LETTERS = r"[^\W\d_]"  # one letter of any alphabet
_WORD = re.compile(rf"{_LETTERS}++(?:['’]{_LETTERS}++)*+")  # possessive: never backtracks
_NO_ALNUM_BEFORE = r"(?<![^\W_])"  # at the start, or after a character that is no letter or digit
_BIRTH_YEAR = r"(?:19\d\d|20[01]\d)"  # 1900–2019; later years are registration years, not births
_WORD_AND_YEAR = re.compile(rf"(?<!{_LETTERS}){_LETTERS}{{4,}}[ ._\-/]?{_BIRTH_YEAR}(?!\d)")
_YEAR_AND_WORD = re.compile(rf"(?<!\d){_BIRTH_YEAR}[ ._\-/]?{_LETTERS}{{4,}}")
_INITIAL = rf"{_LETTERS}(?:\.\s*|[\s_]+)"
_PARTICLE = "|".join(sorted(PARTICLES, key=len, reverse=True))
_INITIALS_THEN_WORD = re.compile(
    rf"{_NO_ALNUM_BEFORE}(?:{_INITIAL}){{1,4}}(?:(?:{_PARTICLE})[\s._]+)*({_WORD.pattern})", re.IGNORECASE
)
_WORD_THEN_INITIALS = re.compile(
    rf"(?<!{_LETTERS})(?<!{_LETTERS}['’])({_WORD.pattern})(?:\s*,\s*|[\s_]+)(?:{_LETTERS}(?:\.\s*|\s+|$)){{1,4}}$"
)
_PARTICLE_THEN_WORD = re.compile(
    rf"{_NO_ALNUM_BEFORE}(?:{_PARTICLE}|'t|’t)[\s._\-]+({_WORD.pattern})", re.IGNORECASE
)


def _is_code(word: str) -> bool:
    """Capitals of at most three letters (`MO`, `WBW`, `HLM`, `JAN`) are a code, not a word."""
    return word.isupper() and len(word) <= 3


def _camel_parts(word: str) -> list[str]:
    """`IlseZwanenburg` → `Ilse`, `Zwanenburg`: a new part at each capital after a small letter."""
    parts = [word[:1]]
    for previous, char in zip(word, word[1:]):
        if char.isupper() and previous.islower():
            parts.append(char)
        else:
            parts[-1] += char
    return parts


def _is_name_word(word: str, shortest: int) -> bool:
    return len(word) >= shortest and not _is_code(word)


def has_two_words(identifier: str) -> bool:
    """Two or more words, as a first name and a surname: `ilse zwanenburg`, `ilse_zwanenburg`.

    Without digits any two words of two or more letters count (`de Vries`, `JAN JANSEN`); with
    digits only words of four or more letters do, so lower-case codes stay pseudonyms
    (`jz 2025 004`, `zk-mo-0012`, `client-0042`).
    """
    shortest = 4 if any(char.isdigit() for char in identifier) else 2
    return sum(_is_name_word(word, shortest) for word in _WORD.findall(identifier)) >= 2


def has_camel_cased_pair(identifier: str) -> bool:
    """Two words glued in camel case: `IlseZwanenburg`, `ilseZwanenburg`, `DeVries`."""
    for word in _WORD.findall(identifier):
        parts = _camel_parts(word)
        for first, second in zip(parts, parts[1:]):
            if len(first) >= 2 and len(second) >= 2 and second[1:].islower():
                return True
    return False


def has_word_and_birth_year(identifier: str) -> bool:
    """A word of four or more letters next to a year 1900–2019: `Zwanenburg-1984`, `ilse1984`.

    Later years are registration years of pseudonym schemes (`jeugd-2025-03` is accepted).
    """
    return bool(_WORD_AND_YEAR.search(identifier) or _YEAR_AND_WORD.search(identifier))


def has_initials_and_surname(identifier: str) -> bool:
    """Initials before or after a surname: `I Zwanenburg`, `I. Zwanenburg`, `J.P. de Vries`,
    `Pietersma, J.`, `Ilse Z.`.

    An initial is one letter followed by a dot, a space or an underscore; a dash does not count,
    so `C-QXWJKTRMABCD` (a redacted pseudonym) is not read as `C. Qxwjktrmabcd`.
    """
    text = identifier.strip()
    return any(
        _is_name_word(found.group(1), 3)
        for pattern in (_INITIALS_THEN_WORD, _WORD_THEN_INITIALS)
        for found in pattern.finditer(text)
    )


def has_particle_and_word(identifier: str) -> bool:
    """A surname particle before a word: `van Dijk`, `de vries`, `El Amrani`, `'t Hart`."""
    return any(_is_name_word(found.group(1), 3) for found in _PARTICLE_THEN_WORD.finditer(identifier))


def has_common_name(identifier: str) -> bool:
    """A common Dutch first name or surname as a word: `jansen`, `Anna-12`, `Kees`, `Yilmaz`.

    Capital codes of at most three letters are not names: `JAN-01` and `BOS-0001` stay accepted.
    """
    return any(
        part.lower() in SURNAMES or part.lower() in FIRST_NAMES
        for word in _WORD.findall(identifier)
        for part in _camel_parts(word)
        if not _is_code(part)
    )


def is_bare_word(identifier: str) -> bool:
    """The whole id is one word of three or more letters: `Zwanenburg`, `ilse`, `ZWANENBURG`."""
    text = identifier.strip()
    return bool(_WORD.fullmatch(text)) and _is_name_word(text, 3)


NAME_PREDICATES: tuple[Callable[[str], bool], ...] = (
    has_two_words,
    has_camel_cased_pair,
    has_word_and_birth_year,
    has_initials_and_surname,
    has_particle_and_word,
    has_common_name,
    is_bare_word,
)


def looks_like_name(identifier: str) -> bool:
    """True when the id reads as a person's name rather than a pseudonym (any name predicate)."""
    return any(predicate(identifier) for predicate in NAME_PREDICATES)


# --- the rule ----------------------------------------------------------------------------------

# In this order, so that a date is called a date (not a BSN) and a phone number a phone number.
CHECKS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("email", is_email_address),
    ("phone", is_phone_number),
    ("date", has_date),
    ("address", has_postcode_with_house_number),
    ("bsn", looks_like_bsn),
    ("name", looks_like_name),
)


def personal_data(identifier: str) -> str | None:
    """The kind of personal data the id looks like (a key of `KINDS`), or None for a pseudonym."""
    text = identifier.strip()
    for kind, predicate in CHECKS:
        if predicate(text):
            return kind
    return None


_NINE_DIGITS = re.compile(r"(?<![\d.\-])(?:\d[ .\-]?){8}\d(?![\d.\-]?\d)")


def has_bsn_in_text(text: str) -> bool:
    """Nine digits (separators allowed) that pass the 11-test, anywhere in a text; stricter than
    `looks_like_bsn`, which reads a whole id and would take a date's eight digits."""
    return any(passes_eleven_test(re.sub(r"\D", "", match.group())) for match in _NINE_DIGITS.finditer(text))


TEXT_CHECKS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("email", is_email_address),
    ("phone", is_phone_number),
    ("address", has_postcode_with_house_number),
    ("bsn", has_bsn_in_text),
)


def personal_data_in_text(text: str) -> str | None:
    """The kind of contact data or citizen service number a free-text note holds (e-mail, phone,
    postcode with house number, BSN), or None. Dates and names are not looked for: a note says
    when a unit is free and who at the corporation decided."""
    for kind, predicate in TEXT_CHECKS:
        if predicate(text):
            return kind
    return None


def refusal(kind: str) -> str:
    """The problem message for an id that looks like personal data of this kind; it never
    repeats the id."""
    from matcher.i18n import _

    return _(
        "looks like {kind}, personal data that would be copied to every output: "
        "use a pseudonymous id such as {example}",
        kind=_(KINDS[kind]),
        example=PSEUDONYM_EXAMPLE,
    )


# --- showing ids in messages -------------------------------------------------------------------

_RUN = re.compile(r"[^\W\d_]+|\d+")


def mask(value: str) -> str:
    """The value with each word cut to its first letter and each number hidden:
    `Ilse Zwanenburg` → `I… Z…`, `Zwanenburg-1984` → `Z…-…`, `IlseZwanenburg` → `I…Z…`."""

    def hide(run: str) -> str:
        if run.isdigit():
            return "…"
        return "".join(part[0] + ("…" if len(part) > 1 else "") for part in _camel_parts(run))

    return _RUN.sub(lambda match: hide(match.group()), value)


def shown(value: str) -> str:
    """How a problem message shows an id: quoted in full (`'C-ZK-0011'`) when it is a pseudonym,
    masked (`'I… Z…' (masked personal data)`) when it looks like personal data."""
    if personal_data(value) is None:
        return repr(value)
    return f"'{mask(value.strip())}' (masked personal data)"


# --- scrubbing text meant for logs -------------------------------------------------------------

_BSN_CANDIDATE = re.compile(r"(?<!\d)\d{8,9}(?!\d)")
BSN_REMOVED = "<BSN removed>"


def scrub(text: str) -> str:
    """The text with every 8–9 digit run that passes the BSN 11-test replaced, for logs."""
    return _BSN_CANDIDATE.sub(
        lambda match: BSN_REMOVED if passes_eleven_test(match.group()) else match.group(), text
    )
