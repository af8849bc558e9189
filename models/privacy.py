"""Guards against personal data where only pseudonyms belong.

Client ids must be the scheme's pseudonyms. A citizen service number (BSN) is recognised exactly
by its 11-test; a person's name only heuristically (`looks_like_name`), tuned so that the usual
pseudonym shapes (`C-FL-0001`, `MO-2024-0173`, `BW123`, `X7K2P9`) are never flagged.
"""

from __future__ import annotations

import re

_DIGIT_RUN = re.compile(r"\d{8,9}")
_ANY_DIGITS = re.compile(r"\d+")


def passes_eleven_test(digits: str) -> bool:
    """True when 8 or 9 digits form a valid Dutch citizen service number (BSN, elfproef)."""
    if not digits.isdigit() or len(digits) not in (8, 9):
        return False
    digits = digits.zfill(9)
    if digits == "000000000":
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:8], range(9, 1, -1)))
    return (total - int(digits[8])) % 11 == 0


def looks_like_bsn(identifier: str) -> bool:
    """True when the id is, or contains, a run of 8–9 digits that passes the BSN 11-test."""
    for match in _DIGIT_RUN.finditer(identifier):
        run = match.group()
        # a longer digit run is not a BSN on its own, but any 9-digit window of it could be
        if passes_eleven_test(run):
            return True
    long_runs = re.findall(r"\d{10,}", identifier)
    return any(
        passes_eleven_test(run[start : start + 9]) for run in long_runs for start in range(len(run) - 8)
    )


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

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_INITIALS_THEN_NAME = re.compile(r"^(?:[A-Z]\.\s?)+\s*(?:[a-z]+\s)*[A-Z][a-z]")
_NAME_COMMA_INITIALS = re.compile(r"^[A-Z][a-z]+(?:[\s-][A-Z]?[a-z]+)*,\s*(?:[A-Z]\.?\s?)+$")


def _is_titlecase(word: str) -> bool:
    return len(word) >= 2 and word[0].isupper() and word[1:].islower()


def looks_like_name(identifier: str) -> bool:
    """True when the id looks like a person's name rather than a pseudonym (a heuristic).

    Flagged: a common Dutch first name or surname as a word of the id (`jansen`, `Anna-12`), two
    or more capitalised words without digits (`Anna Smit`, `Ilse Zwanenburg`), initials before a
    surname or after it (`J. Pietersma`, `Pietersma, J.`), or a surname particle before a word (`van Dijk`, `de vries`).
    Not flagged: ids of codes and numbers (`C-FL-0001`, `MO-2024-0173`, `BW123`). Short
    all-capital words (`BOS`, `JAN`) count as codes, not names.
    """
    text = identifier.strip()
    words = _WORD.findall(text)
    if not words:
        return False
    for word in words:
        if word.isupper() and len(word) <= 4:
            continue  # a code such as HLM, BOS or MO
        if word.lower() in SURNAMES or word.lower() in FIRST_NAMES:
            return True
    if _ANY_DIGITS.search(text):
        return False
    if _INITIALS_THEN_NAME.match(text) or _NAME_COMMA_INITIALS.match(text):
        return True
    lowered = [word.lower() for word in words]
    if len(words) >= 2 and any(
        lowered[k] in PARTICLES and len(words[k + 1]) >= 3 for k in range(len(words) - 1)
    ):
        return True
    titled = [word for word in words if _is_titlecase(word) and word.lower() not in PARTICLES]
    return len(words) >= 2 and len(titled) >= 2


# --- scrubbing text meant for logs -------------------------------------------------------------

_BSN_CANDIDATE = re.compile(r"(?<!\d)\d{8,9}(?!\d)")
BSN_REMOVED = "<BSN removed>"


def scrub(text: str) -> str:
    """The text with every 8–9 digit run that passes the BSN 11-test replaced, for logs."""
    return _BSN_CANDIDATE.sub(
        lambda match: BSN_REMOVED if passes_eleven_test(match.group()) else match.group(), text
    )
