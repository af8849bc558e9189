"""Benchmark instances: built once per (size, seed), cached under benchmarks/cache/, validated once.

- Regional sizes (300×200, 2,000×1,200 and any size below `NATIONAL_FROM_CLIENTS` clients):
  `generate_instance("zuid-kennemerland", clients, units, seed)`, the generator's default
  policy (`origin_rule: prefer`, so about 40–45 % of all pairs are eligible, as in one regional
  scheme where every client may take any unit of the region).
- National sizes (5,000×3,000 and 20,000×10,000): a synthetic country made by tiling the
  generator's four regions (`"all"`, 28 municipalities, 287 wijken) `TILES` times, each tile
  drawn with its own seed and every id relabelled with the tile number (`GM0392` → `GM0392-3`,
  `WK039201` → `WK039201-3`, region `West-Friesland` → `West-Friesland 3`, client and unit ids
  likewise), so there are about 2,870 neighbourhoods and 280 municipalities in 40 regions. The
  policy has `origin_rule: region` (a client may take units in the regions of their origin or
  preferred municipalities), which leaves about 1–2 % of all pairs eligible.

Caps bind: neighbourhood caps are the generator's (5 per 1,000 dwellings minus recent load; in
Zuid-Kennemerland at 2,000×1,200 the region's total room is below the load of its units),
municipal intake ceilings sit near the population share of units and support slots near the
expected demand, as in the generator.

The cache folder is `benchmarks/cache/<clients>x<units>-s<seed>/` (an instance folder as
`matcher generate` writes it) plus `<clients>x<units>-s<seed>.json` beside it, written only after
`read_instance` accepted the folder; a folder without its marker is built again.
"""

from __future__ import annotations

import json
import re
import time
from datetime import date
from pathlib import Path

import pandas as pd

from matcher import __version__
from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance

CACHE = Path(__file__).resolve().parent / "cache"
DEFAULT_SEED = 2026
REGION = "zuid-kennemerland"
NATIONAL_FROM_CLIENTS = 5_000  # sizes with at least this many clients are national (tiled)
TILES = 10
MARKER_VERSION = 1


def parse_size(text: str) -> tuple[int, int]:
    """'2000x1200' (or '2,000×1,200') → (2000, 1200)."""
    match = re.fullmatch(r"\s*([\d,_]+)\s*[x×]\s*([\d,_]+)\s*", text)
    if not match:
        raise ValueError(f"size {text!r}: expected CLIENTSxUNITS, e.g. 2000x1200")
    clients, units = (int(re.sub(r"[,_]", "", part)) for part in match.groups())
    if clients < 1 or units < 1:
        raise ValueError(f"size {text!r}: needs at least one client and one unit")
    return clients, units


def size_label(clients: int, units: int) -> str:
    return f"{clients}x{units}"


def is_national(clients: int) -> bool:
    return clients >= NATIONAL_FROM_CLIENTS


def _suffix(value, k: int):
    """'GM0392' → 'GM0392-k'; empty cells stay empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    return f"{value}-{k}"


def _suffix_list(value, k: int):
    """'GM0392;GM0394' → 'GM0392-k;GM0394-k'; empty cells stay empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA or value == "":
        return value
    return ";".join(f"{item}-{k}" for item in str(value).split(";"))


def relabel_tile(tables: dict, k: int) -> dict:
    """One tile with every id made unique by its tile number `k`."""
    out = {}
    m = tables["municipalities"].copy()
    m["municipality_id"] = m["municipality_id"].map(lambda v: _suffix(v, k))
    m["name"] = m["name"].map(lambda v: f"{v} {k}")
    m["region"] = m["region"].map(lambda v: f"{v} {k}")
    out["municipalities"] = m
    n = tables["neighbourhoods"].copy()
    for column in ("neighbourhood_id", "municipality_id"):
        n[column] = n[column].map(lambda v: _suffix(v, k))
    n["name"] = n["name"].map(lambda v: f"{v} {k}")
    out["neighbourhoods"] = n
    u = tables["units"].copy()
    for column in ("unit_id", "municipality_id", "neighbourhood_id", "site_id"):
        u[column] = u[column].map(lambda v: _suffix(v, k))
    out["units"] = u
    c = tables["clients"].copy()
    for column in ("client_id", "origin_municipality_id", "current_municipality_id"):
        c[column] = c[column].map(lambda v: _suffix(v, k))
    for column in ("preferred_municipalities", "excluded_municipalities", "excluded_neighbourhoods"):
        c[column] = c[column].map(lambda v: _suffix_list(v, k))
    out["clients"] = c
    s = tables["support_capacity"].copy()
    s["municipality_id"] = s["municipality_id"].map(lambda v: _suffix(v, k))
    out["support_capacity"] = s
    d = tables["declined"].copy()
    for column in ("client_id", "unit_id"):
        d[column] = d[column].map(lambda v: _suffix(v, k))
    out["declined"] = d
    return out


def _split_even(total: int, parts: int) -> list[int]:
    return [total // parts + (k < total % parts) for k in range(parts)]


def national_tables(
    clients: int, units: int, seed: int, tiles: int = TILES, week: date | None = None, days: int = 7
) -> dict:
    """The tiled national instance as generator tables (see the module docstring)."""
    parts: dict[str, list[pd.DataFrame]] = {}
    policy = None
    for k, (n_c, n_u) in enumerate(zip(_split_even(clients, tiles), _split_even(units, tiles)), start=1):
        tile = generate_instance("all", max(1, n_c), max(1, n_u), seed * 1000 + k, week=week, days=days)
        policy = tile["policy"]
        for name, frame in relabel_tile(tile, k).items():
            parts.setdefault(name, []).append(frame)
    tables: dict = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
    policy = dict(policy)
    policy["origin_rule"] = "region"
    tables["policy"] = policy
    tables["meta"] = {
        "region": f"national ({tiles} tiles of all four regions)",
        "clients": clients,
        "units": units,
        "seed": seed,
        "week": (policy["period"]["start"]).isoformat(),
        "days": days,
    }
    return tables


def instance_tables(clients: int, units: int, seed: int) -> dict:
    """Generator tables for one benchmark size."""
    if is_national(clients):
        return national_tables(clients, units, seed)
    return generate_instance(REGION, clients, units, seed)


def describe(clients: int, units: int) -> str:
    if is_national(clients):
        return f"national: {TILES} relabelled tiles of `all` (4 regions), origin_rule region"
    return f"regional: {REGION}, origin_rule prefer"


def ensure_instance(
    clients: int, units: int, seed: int = DEFAULT_SEED, cache: Path = CACHE, log=print
) -> tuple[Path, dict]:
    """The cached instance folder for this size and seed (built and validated if missing)
    and its marker (counts, how it was made, seconds to generate and validate)."""
    key = f"{size_label(clients, units)}-s{seed}"
    folder = cache / key
    marker = cache / f"{key}.json"
    if folder.is_dir() and marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        if info.get("marker_version") == MARKER_VERSION:
            return folder, info
    log(f"building instance {key} ({describe(clients, units)}) ...")
    began = time.perf_counter()
    tables = instance_tables(clients, units, seed)
    write_instance(tables, folder)
    generated = time.perf_counter() - began
    began = time.perf_counter()
    instance = read_instance(folder)  # raises InvalidInstance with every problem
    validated = time.perf_counter() - began
    info = {
        "marker_version": MARKER_VERSION,
        "key": key,
        "clients": len(instance.clients),
        "units": len(instance.units),
        "municipalities": len(instance.municipalities),
        "neighbourhoods": len(instance.neighbourhoods),
        "regions": len({m.region for m in instance.municipalities}),
        "origin_rule": instance.policy.origin_rule,
        "kind": describe(clients, units),
        "seed": seed,
        "matcher_version": __version__,
        "seconds_generate": round(generated, 2),
        "seconds_validate": round(validated, 2),
    }
    marker.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log(
        f"  {info['clients']} clients, {info['units']} units, {info['neighbourhoods']} neighbourhoods, "
        f"{info['municipalities']} municipalities; generated in {generated:.1f} s, validated in {validated:.1f} s"
    )
    return folder, info
