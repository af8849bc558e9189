"""A 26-week example run of the whole weekly cycle on Zuid-Kennemerland (issue 14).

    python examples/cycle.py --out examples/zuid-kennemerland-26-weeks [--seed 2026] [--weeks 26]

Starting from instances/zuid-kennemerland-week (period 2026-11-23), every week t:

a. the week's instance folder `weeks/<date>/instance/`: the clients still waiting (not housed
   according to the ledger) plus the week's new clients, the units not yet let plus the week's new
   vacancies (both from the stress module's arrival stream, `matcher.stress.arrivals.build_stream`,
   drawn by the generator with fresh ids), `period.start` moved on by 7 days a week, and every
   other table of the base instance (agreements.csv with the 2027 agreements added);
b. `matcher solve INSTANCE --out weeks/<date>/run --ledger ledger.sqlite`: the real command, run
   as a subprocess of the installed CLI (without --ledger in week 1, before the ledger exists);
c. `matcher review export` (one workbook per landlord, the proposal recorded in the ledger); each
   landlord's decisions filled into its workbook and read back with `matcher review import`; the
   clients' decisions on the matches their landlord accepted recorded with `matcher record --file`.
   Each decision is drawn with the seed: the landlord declines 5 % of the matches, the client
   accepts with a chance that depends on where the home lies for them (ACCEPT below), a decline
   with a reason code from the review reason list (illustrative numbers, not measured);
d. next week `solve --ledger` fixes the housed matches, applies the declines and lapses urgency
   after refusals, counts the agreements and the rolling load: all automatic.

At the end `matcher monitor` writes monitor.xlsx and monitor.html, and the script writes
weeks.csv (one row per week) and README.md (in Dutch, headline figures computed from weeks.csv).
The bulky run files (solved-instance copies, workbooks, manifests) are removed afterwards unless
--keep-runs is given. Everything is written inside --out; nothing else is touched.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "instances" / "zuid-kennemerland-week"
REGION = "zuid-kennemerland"
DEFAULT_WEEKS = 26
LEDGER = "ledger.sqlite"  # inside --out; the commands run there, so the ledger records relative paths

# New clients and vacancies a week: the yearly rates of instances/zuid-kennemerland-year, as in
# instances/scenarios/year-zuid-kennemerland.yaml (Poisson means; drawn by the stress module).
CLIENTS_PER_WEEK = 10.77
UNITS_PER_WEEK = 7.69
# A vacancy open this many weeks without a tenant goes back to the landlord (the stress module's
# default `vacancy_weeks`).
VACANCY_WEEKS = 4

# The decision model (illustrative, not measured): the landlord declines with LANDLORD_DECLINES;
# otherwise the client accepts with the chance for where the home lies for them (the first that
# applies: municipality of origin, a preferred municipality, the current municipality, elsewhere).
LANDLORD_DECLINES = 0.05
ACCEPT = {"origin": 0.92, "preferred": 0.88, "current": 0.80, "elsewhere": 0.75}
# A decline's reason code, drawn with these weights (codes of matcher/review/reasons.py).
LANDLORD_REASONS = {
    "unit_not_available": 0.15,
    "household_does_not_fit": 0.20,
    "support_not_arranged": 0.25,
    "neighbourhood_situation": 0.10,
    "rent_not_affordable": 0.10,
    "previous_tenancy": 0.15,
    "other": 0.05,
}
CLIENT_REASONS = {
    "location": 0.30,
    "unit_not_wanted": 0.25,
    "no_response": 0.15,
    "other": 0.05,
    "unsuitable": 0.10,
    "safety": 0.05,
    "circumstances_changed": 0.10,
}
NOTE = {"other": "andere reden (voorbeeld)"}  # an `other` decline is explained in the note
WORDS = {"accept": "accepteren", "decline": "afwijzen"}  # what a Dutch landlord picks in the workbook
WEEK_COLUMNS = [
    "period_start",
    "clients_in_pool",
    "units",
    "new_clients",
    "new_units",
    "proposed",
    "accepted",
    "declined_by_client",
    "declined_by_landlord",
    "accepted_in_origin",
    "wait_weeks_accepted",
    "urgency_lapsed",
    "units_returned",
    "W",
    "P",
    "proven_optimal",
    "agreements_behind",
    "max_utilisation",
    "engine_seconds",
]


# --- the installed command ---------------------------------------------------------------------


def matcher_command() -> list[str]:
    """The `matcher` console script of the interpreter running this script (the venv's)."""
    script = Path(sys.executable).with_name("matcher")  # not resolved: .venv/bin/python is a link
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from matcher.cli import main; sys.exit(main())"]


def run(out: Path, *args: object, env: dict[str, str] | None = None) -> str:
    """One `matcher` command in the output folder, in Dutch (the users' language); its output."""
    env = {**os.environ, "MATCHER_LANG": "nl", **(env or {})}
    done = subprocess.run(
        [*matcher_command(), *(str(a) for a in args)],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if done.returncode != 0:
        raise SystemExit(
            f"`matcher {' '.join(str(a) for a in args)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


# --- the pool from week to week ----------------------------------------------------------------


@dataclass
class Pool:
    """Who waits and what is open, carried from week to week."""

    clients: dict = field(default_factory=dict)  # client_id -> Client
    units: dict = field(default_factory=dict)  # unit_id -> Unit
    open_since: dict[str, int] = field(default_factory=dict)  # unit_id -> first week it was available
    declined: list = field(default_factory=list)  # the base's declined pairs


def stream_of(base, seed: int, weeks: int):
    """The arrivals of every week: the stress module's stream, from the generator."""
    from matcher.stress.arrivals import build_stream
    from matcher.stress.scenario import Sweep

    sweep = Sweep.model_validate(
        {
            "name": "cycle",
            "base": {
                "region": REGION,
                "clients": len(base.clients),
                "units": len(base.units),
                "week": base.policy.period.start,
            },
            "horizon_weeks": weeks,
            "arrivals": {
                "clients_per_week": CLIENTS_PER_WEEK,
                "units_per_week": UNITS_PER_WEEK,
                "source": "generator",
            },
            "seeds": [seed],
        }
    )
    return build_stream(sweep, seed, base=base)


def arrivals(stream, week: int, seed: int) -> tuple[list, list]:
    """The week's new clients (each with a care provider drawn as the generator draws them, and no
    current unit: the generator's would name a unit of its own draw) and new vacancies."""
    import pandas as pd

    from matcher.generate.instance import draw_providers

    clients = list(stream.clients[week])
    if clients:
        frame = pd.DataFrame(
            {"client_id": [c.client_id for c in clients], "source": [c.source for c in clients]}
        )
        providers = draw_providers(frame, seed + week)
        clients = [
            c.model_copy(update={"provider": p or None, "current_unit_id": None, "shares_home_with": None})
            for c, p in zip(clients, providers)
        ]
    return clients, list(stream.units[week])


def agreements_with_next_year(base) -> tuple:
    """The base's agreements plus, for each one of 2026, the same agreement for 2027 (same volumes,
    nothing placed yet), so that weeks in 2027 are covered."""
    rows = list(base.agreements)
    known = {a.agreement_id for a in rows}
    for agreement in base.agreements:
        if agreement.start.year != 2026 or agreement.end.year != 2026:
            continue
        new_id = agreement.agreement_id.replace("2026", "2027")
        if new_id == agreement.agreement_id:
            new_id = f"{agreement.agreement_id}-2027"
        if new_id in known:
            continue
        rows.append(
            agreement.model_copy(
                update={
                    "agreement_id": new_id,
                    "start": agreement.start.replace(year=2027),
                    "end": agreement.end.replace(year=2027),
                    "placed_so_far": 0,
                }
            )
        )
    return tuple(rows)


def week_instance(base, pool: Pool, monday: date, week: int, agreements: tuple):
    """The coordinator's instance of the week (the ledger is applied by `solve --ledger`)."""
    from models import Instance

    window = base.policy.spreading.window_weeks
    # the base's typed recent load was placed before week 1: it counts as placed evenly over the
    # window before it, so it fades out over the window (as the stress simulation fades it)
    neighbourhoods = tuple(
        n.model_copy(
            update={"recent_load": float(np.floor(n.recent_load * max(0, window - week) / window + 0.5))}
        )
        for n in base.neighbourhoods
    )
    fields = {name: getattr(base, name) for name in type(base).model_fields}
    # contacts.csv stays the region's standing list: a corporation without a vacancy this week
    # keeps its contact (decision 106)
    fields.update(
        clients=tuple(pool.clients[c] for c in sorted(pool.clients)),
        units=tuple(pool.units[u] for u in sorted(pool.units)),
        neighbourhoods=neighbourhoods,
        declined=tuple(d for d in pool.declined if d.client_id in pool.clients and d.unit_id in pool.units),
        agreements=agreements,
        policy=base.policy.model_copy(
            update={"period": base.policy.period.model_copy(update={"start": monday})}
        ),
    )
    return Instance(**fields)


def write_instance_folder(instance, folder: Path, base_policy: str, monday: date) -> None:
    """The instance's tables (every table the reader knows that has rows) and the base's
    policy.yaml with the period start moved on."""
    from matcher.io.read import read_instance
    from matcher.io.write_instance import instance_files_bytes, policy_yaml_bytes

    folder.mkdir(parents=True, exist_ok=True)
    for name, content in instance_files_bytes(instance).items():
        if name != "policy.yaml":
            (folder / name).write_bytes(content)
    policy, count = re.subn(
        r"^(period:.*?start:\s*)\d{4}-\d{2}-\d{2}",
        rf"\g<1>{monday.isoformat()}",
        base_policy,
        count=1,
        flags=re.M,
    )
    (folder / "policy.yaml").write_text(
        policy if count else policy_yaml_bytes(instance).decode(), encoding="utf-8"
    )
    if read_instance(folder).policy.period.start != monday:  # a policy.yaml laid out otherwise
        (folder / "policy.yaml").write_bytes(policy_yaml_bytes(instance))


# --- the week's decisions ----------------------------------------------------------------------


def match_class(client, unit) -> str:
    """Where the home lies for the client (as the preference score p ranks it)."""
    if unit.municipality_id == client.origin_municipality_id:
        return "origin"
    if unit.municipality_id in client.preferred_municipalities:
        return "preferred"
    if unit.municipality_id == client.current_municipality_id:
        return "current"
    return "elsewhere"


def draw_reason(rng: np.random.Generator, weights: dict[str, float]) -> str:
    codes = list(weights)
    chances = np.array([weights[c] for c in codes])
    return codes[int(rng.choice(len(codes), p=chances / chances.sum()))]


def decide(stream, seed: int, client, unit) -> tuple[tuple[str, str | None], tuple[str, str | None] | None]:
    """(landlord decision, reason) and, when the landlord accepts, (client decision, reason).

    The two uniforms are the stress module's offer draws (a function of the seed and the pair
    only); the reason codes come from a generator of the seed and the pair."""
    landlord_draw, client_draw = stream.offer_draws(client.client_id, unit.unit_id)
    rng = np.random.default_rng(
        [seed, 14, stream.client_number[client.client_id], stream.unit_number[unit.unit_id]]
    )
    if landlord_draw < LANDLORD_DECLINES:
        return ("decline", draw_reason(rng, LANDLORD_REASONS)), None
    if client_draw < ACCEPT[match_class(client, unit)]:
        return ("accept", None), ("accept", None)
    return ("accept", None), ("decline", draw_reason(rng, CLIENT_REASONS))


def review_rows(path: Path):
    """The Review sheet's rows of an exported workbook: (row number, client_id, unit_id)."""
    from openpyxl import load_workbook

    from matcher.review.workbook import FIRST_ROW, KEYS, META_SHEET

    book = load_workbook(path)
    sheet = next(s for s in book.worksheets if s.title != META_SHEET)  # the first sheet: Review / Beoordeling
    client, unit = KEYS.index("client_id") + 1, KEYS.index("unit_id") + 1
    rows = []
    for number in range(FIRST_ROW, sheet.max_row + 1):
        client_id = sheet.cell(number, client).value
        if client_id:
            rows.append((number, str(client_id), str(sheet.cell(number, unit).value)))
    return book, sheet, rows


def fill_workbook(path: Path, decisions: dict[tuple[str, str], tuple[str, str | None]]) -> None:
    """The landlord's decisions typed into its workbook, as the landlord returns it."""
    from matcher.review.workbook import KEYS

    book, sheet, rows = review_rows(path)
    decision, reason, note = (KEYS.index(k) + 1 for k in ("decision", "reason_code", "note"))
    for number, client_id, unit_id in rows:
        word, code = decisions[(client_id, unit_id)]
        sheet.cell(number, decision).value = WORDS[word]
        sheet.cell(number, reason).value = code
        if code in NOTE:
            sheet.cell(number, note).value = NOTE[code]
    book.save(path)


def proposal_pairs(run_folder: Path) -> list[tuple[str, str]]:
    import pandas as pd

    from matcher.io.headers import internal_columns

    frame = internal_columns(pd.read_csv(run_folder / "proposals.csv", dtype=str, keep_default_na=False))
    return list(zip(frame["client_id"], frame["unit_id"]))


def housed_in_ledger(ledger: Path) -> set[tuple[str, str]]:
    """The matches the ledger holds as housed: accepted by both, declined by neither."""
    from matcher.review.ledger import is_declined, is_placed, pair_status, read_ledger

    status = pair_status(read_ledger(str(ledger)).decisions)
    return {pair for pair, parties in status.items() if is_placed(parties) and not is_declined(parties)}


# --- the cycle ---------------------------------------------------------------------------------


def run_cycle(out: Path, seed: int, weeks: int) -> list[dict]:
    from matcher.io.read import read_instance

    base = read_instance(BASE)
    base_policy = (BASE / "policy.yaml").read_text(encoding="utf-8")
    # the stream's counts depend on its horizon: drawn for at least 26 weeks, a shorter run is
    # the first weeks of the full one
    stream = stream_of(base, seed, max(weeks, DEFAULT_WEEKS))
    agreements = agreements_with_next_year(base)
    pool = Pool(
        clients={c.client_id: c for c in base.clients},
        units={u.unit_id: u for u in base.units},
        declined=list(base.declined),
    )
    ledger = out / LEDGER
    rows: list[dict] = []
    seen_lapsed: set[str] = set()
    for week in range(weeks):
        monday = base.policy.period.start + timedelta(weeks=week)
        day = monday.isoformat()
        folder = Path("weeks") / day
        new_clients, new_units = arrivals(stream, week, seed) if week else ([], [])
        pool.clients.update({c.client_id: c for c in new_clients})
        pool.units.update({u.unit_id: u for u in new_units})
        end = monday + timedelta(days=base.policy.period.days - 1)
        for unit in pool.units.values():
            if unit.unit_id not in pool.open_since and unit.available_from <= end:
                pool.open_since[unit.unit_id] = week

        # a. the week's instance folder
        instance = week_instance(base, pool, monday, week, agreements)
        write_instance_folder(instance, out / folder / "instance", base_policy, monday)

        # b. the proposal (the ledger exists from the first export on)
        started = time.perf_counter()
        with_ledger = ("--ledger", LEDGER) if ledger.exists() else ()
        run(out, "solve", folder / "instance", "--out", folder / "run", *with_ledger)
        summary = json.loads((out / folder / "run" / "summary.json").read_text(encoding="utf-8"))
        pairs = proposal_pairs(out / folder / "run")

        # c. the proposal out to the landlords, their decisions back, the clients' decisions
        clients, units = dict(pool.clients), dict(pool.units)  # the week's pool, before anyone leaves
        landlord, client_side = {}, {}
        for c, u in pairs:
            landlord[(c, u)], answer = decide(stream, seed, clients[c], units[u])
            if answer is not None:
                client_side[(c, u)] = answer
        if pairs:
            run(out, "review", "export", folder / "instance", "--proposal", folder / "run",
                "--out", folder / "workbooks", "--ledger", LEDGER)  # fmt: skip
            books = sorted((out / folder / "workbooks").glob("*.xlsx"))
            for book in books:
                fill_workbook(book, landlord)
            run(out, "review", "import", *(b.relative_to(out) for b in books), "--ledger", LEDGER)
        if client_side:
            decisions_file = folder / "client-decisions.csv"
            with open(out / decisions_file, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(
                    ["client_id", "unit_id", "decision", "reason_code", "decided_by", "period_start", "note"]
                )
                for (c, u), (word, code) in sorted(client_side.items()):
                    writer.writerow([c, u, word, code or "", "client", day, NOTE.get(code or "", "")])
            run(out, "record", "--ledger", LEDGER, "--file", decisions_file)

        # d. what the ledger now holds decides next week's pool
        accepted = sorted(p for p, (word, _) in client_side.items() if word == "accept")
        housed = housed_in_ledger(ledger) if ledger.exists() else set()
        this_week = {p for p in housed if p in set(pairs)}
        if this_week != set(accepted):
            raise SystemExit(
                f"week {day}: the ledger holds {sorted(this_week)} as housed, the decisions were {accepted}"
            )
        gone = set()
        for c, u in accepted:
            pool.clients.pop(c, None)
            gone.add(u)
        for (_c, u), (word, code) in landlord.items():
            if word == "decline" and code == "unit_not_available":
                gone.add(u)
        returned = [
            u
            for u, since in pool.open_since.items()
            if u in pool.units and u not in gone and week - since + 1 >= VACANCY_WEEKS
        ]
        for u in (*gone, *returned):
            pool.units.pop(u, None)
            pool.open_since.pop(u, None)

        # the ledger lists every client of the pool at the refusal limit, every week: count each once
        lapsed = set(summary.get("ledger", {}).get("urgency_lapsed", [])) - seen_lapsed
        seen_lapsed |= lapsed
        objective = summary["objective"]
        rows.append(
            {
                "period_start": day,
                "clients_in_pool": len(instance.clients),
                "units": len(instance.units),
                "new_clients": len(new_clients),
                "new_units": len(new_units),
                "proposed": len(pairs),
                "accepted": len(accepted),
                "declined_by_client": sum(1 for word, _ in client_side.values() if word == "decline"),
                "declined_by_landlord": sum(1 for word, _ in landlord.values() if word == "decline"),
                "accepted_in_origin": sum(
                    1 for c, u in accepted if match_class(clients[c], units[u]) == "origin"
                ),
                "wait_weeks_accepted": sum(
                    max(0, (monday - clients[c].registered_on).days // 7) for c, _ in accepted
                ),
                "urgency_lapsed": len(lapsed),
                "units_returned": len(returned),
                "W": objective["W"],
                "P": objective["P"],
                "proven_optimal": bool(summary["proven_optimal"]),
                "agreements_behind": sum(
                    a.get("behind_after_this_week") or 0
                    for a in summary.get("agreements", [])
                    if a.get("applies_this_week", True)
                ),
                "max_utilisation": objective.get("max_utilisation"),
                "engine_seconds": round(float(summary["seconds"]["total"]), 3),
            }
        )
        print(
            f"{day}: {len(instance.clients)} clients, {len(instance.units)} units, {len(pairs)} proposed, "
            f"{len(accepted)} housed ({time.perf_counter() - started:.1f} s)",
            flush=True,
        )
    return rows


# --- after the last week -----------------------------------------------------------------------

KEEP_IN_RUN = ("summary.json", "proposals.csv", "unmatched.csv")


def prune(out: Path) -> None:
    """Drop the bulky files once used: per run folder only summary.json, proposals.csv and
    unmatched.csv stay; the workbooks and the ledger's signing key go."""
    for run_folder in sorted((out / "weeks").glob("*/run")):
        for path in run_folder.iterdir():
            if path.name not in KEEP_IN_RUN:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    for books in sorted((out / "weeks").glob("*/workbooks")):
        shutil.rmtree(books)
    (out / f"{LEDGER}.key").unlink(missing_ok=True)  # a signing secret: no workbook is signed any more


def write_weeks(out: Path, rows: list[dict]) -> None:
    with open(out / "weeks.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=WEEK_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def headline(out: Path) -> dict:
    """The headline figures, read back from weeks.csv."""
    with open(out / "weeks.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def total(column: str) -> int:
        return sum(int(row[column]) for row in rows)

    housed = total("accepted")
    last = rows[-1]
    return {
        "weeks": len(rows),
        "first": rows[0]["period_start"],
        "last": last["period_start"],
        "clients_start": int(rows[0]["clients_in_pool"]),
        "new_clients": total("new_clients"),
        "new_units": total("new_units"),
        "proposed": total("proposed"),
        "housed": housed,
        "declined_by_client": total("declined_by_client"),
        "declined_by_landlord": total("declined_by_landlord"),
        "origin_share": total("accepted_in_origin") / housed if housed else 0.0,
        "mean_wait": total("wait_weeks_accepted") / housed if housed else 0.0,
        "waiting_end": int(last["clients_in_pool"]) - int(last["accepted"]),
        "behind_end": int(last["agreements_behind"]),
        "urgency_lapsed": total("urgency_lapsed"),
        "units_returned": total("units_returned"),
        "proven": sum(1 for row in rows if row["proven_optimal"] == "True"),
        "max_utilisation": max(float(row["max_utilisation"] or 0) for row in rows),
        "engine_seconds": sum(float(row["engine_seconds"]) for row in rows),
    }


def percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def write_readme(out: Path, given: str, seed: int, weeks: int) -> None:
    """README.md of the output folder, in Dutch (the English terms in brackets); the figures are
    read from weeks.csv. `given`: the --out as given on the command line."""
    h = headline(out)
    command = f"examples/cycle.py --out {given}"
    if seed != 2026 or weeks != DEFAULT_WEEKS:
        command += f" --seed {seed} --weeks {weeks}"
    accept = ", ".join(f"{percent(ACCEPT[k])} {w}" for k, w in (
        ("origin", "in de gemeente van herkomst (origin)"),
        ("preferred", "in een voorkeursgemeente (preferred)"),
        ("current", "in de huidige gemeente (current)"),
        ("elsewhere", "elders (elsewhere)"),
    ))  # fmt: skip
    landlord_reasons = ", ".join(f"`{code}` {percent(share)}" for code, share in LANDLORD_REASONS.items())
    client_reasons = ", ".join(f"`{code}` {percent(share)}" for code, share in CLIENT_REASONS.items())
    text = f"""# Voorbeeld: {h["weeks"]} weken van de wekelijkse cyclus in Zuid-Kennemerland

Dit is een volledig doorgerekend voorbeeld van de wekelijkse cyclus (weekly loop, zie
[docs/review-loop.md](../../docs/review-loop.md)) over {h["weeks"]} weken, van de week van
{h["first"]} tot en met de week van {h["last"]}. Alle cliënten en woningen zijn synthetisch; de
gemeenten en wijken zijn de echte van het CBS.

Gemaakt met (vanuit de hoofdmap van de repository, na `make .venv/bin/.installed`):

```sh
.venv/bin/python {command}
```

Dezelfde `--seed` (standaard 2026) geeft dezelfde instanties, voorstellen en beslissingen.

## Wat er elke week gebeurt (what was run)

1. **Instantie (instance)** `weeks/<datum>/instance/`: de cliënten die nog wachten (niet
   gehuisvest volgens het beslissingenlogboek, *ledger*) plus de nieuwe cliënten van die week, de woningen
   die nog niet verhuurd zijn plus de nieuwe vacatures, en alle andere tabellen van
   `instances/zuid-kennemerland-week` (prestatieafspraken in `agreements.csv`, aangevuld met
   dezelfde afspraken voor 2027; `support_capacity.csv`, `provider_capacity.csv`,
   `other_placements.csv` en `contacts.csv`, de vaste contactlijst van de regio, ook met
   corporaties die die week geen woning aanbieden). `period.start` schuift elke week 7 dagen op. De
   getypte recente belasting (`recent_load`) van vóór week 1 dooft uit over het venster van 26
   weken, zoals in de stresstest; de belasting van wie volgens het beslissingenlogboek gehuisvest is, telt `solve --ledger` zelf mee.
   Nieuwe cliënten en vacatures komen uit de aankomststroom van de stresstest
   (`matcher.stress.arrivals.build_stream`, getrokken door de generator, met nieuwe ids):
   gemiddeld {number(CLIENTS_PER_WEEK, 2)} cliënten en {number(UNITS_PER_WEEK, 2)} vacatures per
   week (de jaarcijfers van `instances/zuid-kennemerland-year`). Een nieuwe cliënt krijgt een
   zorgaanbieder (provider) zoals de generator die trekt, en geen huidige woning
   (`current_unit_id`). Een vacature die {VACANCY_WEEKS} weken
   openstaat zonder huurder gaat terug naar de corporatie (zoals in de stresstest).
2. **Voorstel (propose)**: `matcher solve weeks/<datum>/instance --out weeks/<datum>/run --ledger
   ledger.sqlite` (in week 1 zonder `--ledger`: het beslissingenlogboek bestaat dan nog niet).
3. **Beoordeling (review)**: `matcher review export` schrijft één werkmap per corporatie en legt
   het voorstel vast in het beslissingenlogboek; de beslissingen van de corporaties worden in hun werkmap
   ingevuld en met `matcher review import` ingelezen; de beslissingen van de cliënten over de
   koppelingen die hun corporatie accepteerde gaan met `matcher record --file
   weeks/<datum>/client-decisions.csv` in het beslissingenlogboek.
4. **Volgende week** doet `matcher solve --ledger` de rest: gehuisveste koppelingen vastzetten,
   afwijzingen met hun reikwijdte toepassen, urgentie laten vervallen na weigeringen (refusals),
   de afspraken en de voortschrijdende belasting bijhouden.

Na de laatste week: `matcher monitor --ledger ledger.sqlite --instance weeks/<datum>/instance …
--out monitor` (monitor.xlsx en monitor.html; de instantie van elke week gaat mee, zodat de
afspraken vanaf hun getypte `placed_so_far` tellen en de cijfers dezelfde blijven zonder de
verwijderde run-bestanden), en `weeks.csv` met één regel per week.

### Het beslismodel: ter illustratie, niet gemeten (illustrative, not measured)

Elke koppeling wordt met de seed beslist: de corporatie wijst af met kans
{percent(LANDLORD_DECLINES)}; anders accepteert de cliënt met kans {accept}. Een afwijzing krijgt een
redencode uit de lijst van de beoordeling (reason codes, `matcher/review/reasons.py`): corporatie
{landlord_reasons}; cliënt {client_reasons}. Een `unit_not_available` van de corporatie haalt de
woning uit de pool. Deze getallen zijn aannames om de cyclus te laten zien, geen metingen.

## Kerncijfers (headline figures, berekend uit weeks.csv)

| | |
|---|---|
| gehuisvest (housed: geaccepteerd door cliënt en corporatie) | {h["housed"]} van {h["proposed"]} voorgestelde koppelingen |
| afgewezen door cliënt / corporatie | {h["declined_by_client"]} / {h["declined_by_landlord"]} |
| aandeel gehuisvest in de gemeente van herkomst (origin) | {percent(h["origin_share"])} |
| gemiddelde wachttijd bij huisvesting (mean wait: hele weken sinds `registered_on` tot de week van huisvesting) | {number(h["mean_wait"])} weken |
| cliënten in week 1 / nieuw in {h["weeks"]} weken / nog wachtend aan het eind | {h["clients_start"]} / {h["new_clients"]} / {h["waiting_end"]} |
| nieuwe vacatures / teruggegeven aan de corporatie | {h["new_units"]} / {h["units_returned"]} |
| urgentie vervallen na weigeringen (urgency lapsed) | {h["urgency_lapsed"]} |
| afspraken achter op schema aan het eind (agreements behind, som) | {h["behind_end"]} |
| hoogste benutting van een wijk (max utilisation) | {number(h["max_utilisation"], 2)} |
| weken met bewezen optimaal voorstel (proven optimal) | {h["proven"]} van {h["weeks"]} |
| rekentijd van de engine, alle weken samen (engine seconds) | {number(h["engine_seconds"])} s |

## Bestanden

- `weeks.csv`: per week: period_start, clients_in_pool, units, new_clients, new_units, proposed,
  accepted, declined_by_client, declined_by_landlord, accepted_in_origin, wait_weeks_accepted
  (som van de hele wachtweken van de gehuisveste cliënten), urgency_lapsed (cliënten van wie de
  urgentie die week verviel), units_returned (vacatures terug naar de corporatie), W, P,
  proven_optimal, agreements_behind (som van `behind_after_this_week` in summary.json),
  max_utilisation, engine_seconds.
- `weeks/<datum>/instance/`: de instantie van die week, zoals de coördinator die aanlevert.
- `weeks/<datum>/run/`: `summary.json`, `proposals.csv`, `unmatched.csv` van `matcher solve`
  (de kopie van de doorgerekende instantie, de werkmappen en de manifesten zijn na gebruik
  verwijderd om de map klein te houden).
- `weeks/<datum>/client-decisions.csv`: de beslissingen van de cliënten, zoals ingelezen met
  `matcher record --file`.
- `ledger.sqlite`: het beslissingenlogboek met alle voorstellen en beslissingen (`matcher history --ledger
  ledger.sqlite`, `matcher status --ledger ledger.sqlite`). De ondertekeningssleutel van de
  werkmappen is niet bewaard.
- `monitor/monitor.xlsx`, `monitor/monitor.html`: `matcher monitor` over alle weken.
"""
    (out / "README.md").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="output folder (made; must be empty if it exists)"
    )
    parser.add_argument(
        "--seed", type=int, default=2026, help="seed of the arrivals and decisions (default 2026)"
    )
    parser.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, help="number of weeks (default 26)")
    parser.add_argument(
        "--keep-runs", action="store_true", help="keep the run folders whole and the workbooks (for checks)"
    )
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    if out.exists() and any(out.iterdir()):
        parser.error(f"{args.out} is not empty: give a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = run_cycle(out, args.seed, args.weeks)
    write_weeks(out, rows)
    cache = out / ".matplotlib"  # the monitor's figures: matplotlib's cache stays inside --out
    env_cache = {"MPLCONFIGDIR": str(cache)}
    # every week's instance as given (the monitor reads the agreements' typed placed_so_far from
    # it, and the figures stay the same once the run folders are pruned)
    given = [arg for row in rows for arg in ("--instance", f"weeks/{row['period_start']}/instance")]
    run(out, "monitor", "--ledger", LEDGER, *given, "--out", "monitor", env=env_cache)
    shutil.rmtree(cache, ignore_errors=True)
    if not args.keep_runs:
        prune(out)
    write_readme(out, args.out.as_posix(), args.seed, args.weeks)
    print(f"{args.weeks} weeks in {time.perf_counter() - started:.0f} s: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
