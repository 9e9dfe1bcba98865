"""Judge a detected version against the bundled release/EOL data. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from checks.software.versions import compare, in_cycle


@dataclass
class Verdict:
    status: str  # eol / outdated / behind / current / newer / unknown
    version: str
    latest: str | None = None  # newest release of the version's own branch (or of the product)
    newest: str | None = None  # newest release of the product overall
    cycle: str | None = None
    eol: str | None = None  # ISO date the branch lost support
    reason: str = ""


def _date(value: Any) -> date | None:
    if value is True:
        return date.min
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def numeric(version: str) -> str:
    """`8.2.36-1~deb12u1` -> `8.2.36`: distribution suffixes are not part of the upstream version."""
    m = re.match(r"\d+(?:\.\d+)*", version)
    return m.group(0) if m else version


def yymm(version: str) -> date | None:
    m = re.match(r"v?(\d{2})\.?(\d{2})", version)
    if not m:
        return None
    year, month = 2000 + int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or year < 2015:
        return None
    return date(year, month, 1)


def judge(product: dict[str, Any], version: str, now: datetime) -> Verdict:
    today = now.date()
    if product.get("scheme") == "yymm":
        released = yymm(version)
        if released is None:
            return Verdict("unknown", version, reason="version not in the year-month scheme")
        months = (today.year - released.year) * 12 + today.month - released.month
        limit = int(product.get("outdated_after_months") or 12)
        if months > limit:
            return Verdict("outdated", version, reason=f"released {released:%Y-%m}, {months} months ago")
        return Verdict("current", version, reason=f"released {released:%Y-%m}")
    v = numeric(version)
    newest = product.get("latest")
    eol_below = product.get("eol_below")
    if eol_below and compare(v, eol_below) < 0:
        return Verdict("eol", v, newest=newest, reason=product.get("eol_below_note", "")
                       or f"older than {eol_below}")
    cycles = sorted(product.get("cycles") or [], key=lambda c: len(c["cycle"]), reverse=True)
    cyc = next((c for c in cycles if in_cycle(v, c["cycle"])), None)
    if cyc is not None:
        eol = _date(cyc.get("eol"))
        if eol is not None and eol <= today:
            return Verdict("eol", v, cyc.get("latest"), newest, cyc["cycle"], str(cyc.get("eol")),
                           f"branch {cyc['cycle']} unsupported since {cyc.get('eol')}")
        if cyc.get("latest") and compare(v, cyc["latest"]) < 0:
            return Verdict("outdated", v, cyc["latest"], newest, cyc["cycle"],
                           str(cyc.get("eol")) if cyc.get("eol") else None,
                           f"branch {cyc['cycle']} has {cyc['latest']}")
    elif cycles and product.get("cycles_complete"):
        oldest = min((c["cycle"] for c in cycles), key=lambda c: tuple(int(x) for x in c.split(".")))
        if compare(v, oldest) < 0:
            return Verdict("eol", v, None, newest, None, None, f"older than every supported branch ({oldest})")
    if newest and compare(v, newest) < 0:
        if cyc is None or not cyc.get("latest") or compare(cyc["latest"], newest) < 0 or product.get("only_latest_supported"):
            return Verdict("behind", v, cyc.get("latest") if cyc else None, newest,
                           cyc["cycle"] if cyc else None, None, f"newest release is {newest}")
    if newest and compare(v, newest) > 0:
        return Verdict("newer", v, None, newest, cyc["cycle"] if cyc else None, None,
                       "newer than the bundled data")
    if cyc is None and not newest:
        return Verdict("unknown", v, reason="no data for this branch")
    return Verdict("current", v, cyc.get("latest") if cyc else newest, newest, cyc["cycle"] if cyc else None)
