"""Dates, numbers and period labels in Bahasa Indonesia or English, for the reports and mails.

The words themselves come from the one catalogue (`auditor.catalogue`, month names and half-year labels
in `auditor/messages/reports.yaml`); this module only formats.
"""

from __future__ import annotations

from datetime import date, datetime

from auditor.catalogue import messages, t


def month_name(m: int, lang: str = "id") -> str:
    return messages()["month_names"][lang if lang in ("id", "en") else "id"][m - 1]


def month_label(key: str, lang: str = "id") -> str:
    """"2026-05" -> "Mei 2026" / "May 2026"."""
    y, m = key.split("-")
    return f"{month_name(int(m), lang)} {y}"


def half_label(key: str, lang: str = "id") -> str:
    """"2026-H1" -> "Semester I (Januari–Juni) 2026"."""
    y, h = key.split("-")
    return t("half_label_" + h.upper(), lang, year=y)


def fmt_date(value: date | datetime | str | None, lang: str = "id") -> str:
    if value is None or value == "":
        return t("not_available", lang)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return f"{value.day} {month_name(value.month, lang)} {value.year}"


def fmt_number(value: float | int | None, lang: str = "id", digits: int = 0) -> str:
    if value is None:
        return t("not_available", lang)
    text = f"{value:,.{digits}f}"
    if lang == "id":  # Indonesian: dot for thousands, comma for decimals
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def fmt_percent(value: float | None, lang: str = "id") -> str:
    return t("not_available", lang) if value is None else fmt_number(value * 100, lang) + "%"


def sop_citation(kind: str, lang: str = "id") -> str:
    """The document's basis line, e.g. "SOP Keamanan Pengelolaan Website PPID, C1 dan B1 (...)", with the
    steps taken from `reports.policy.SOP_STEPS` (consecutive steps of one section read "B3–B5")."""
    from reports.policy import SOP_STEPS

    steps = SOP_STEPS[kind]
    consecutive = len(steps) > 2 and len({s[0] for s in steps}) == 1 and [int(s[1:]) for s in steps] == list(
        range(int(steps[0][1:]), int(steps[0][1:]) + len(steps)))
    if consecutive:
        text = f"{steps[0]}–{steps[-1]}"
    else:
        text = f" {t('and', lang)} ".join(steps)
    return t("sop_" + kind, lang, steps=text)
