"""The free-text safety net (`redact_text`) masks personal numbers and e-mail addresses but leaves dates
and version strings readable: a Berita Acara that prints "data retire.js per 2**…" hides the one thing the
reader needs, and teaches people that masking is noise."""

from __future__ import annotations

import pytest

from auditor.redact import redact_text

NIK = "3403015708900001"
PHONE = "0812-3456-7890"


def test_dates_and_versions_stay_next_to_masked_personal_data() -> None:
    text = (f"data retire.js per 2025-10-01; jQuery 1.12.4, PHP/7.2.34, OpenSID 2410.0.0, Chromium "
            f"156.0.8078 dilihat 01-10-2025 dan 2025.10.01 12:30; NIK {NIK}, HP {PHONE}, budi.santoso@desa.id")
    out = redact_text(text)
    for kept in ("2025-10-01", "1.12.4", "7.2.34", "2410.0.0", "156.0.8078", "01-10-2025", "2025.10.01 12:30"):
        assert kept in out, (kept, out)
    assert NIK not in out and "3403**********01" in out
    assert PHONE not in out and "3456" not in out
    assert "budi.santoso" not in out and "b***@desa.id" in out


@pytest.mark.parametrize("personal", [
    "3403.0157.0890.0001",  # NIK written in groups of four: not a version
    "0812.3456.7890",  # mobile number with dots: starts with 0
    "62.812.3456.7890",  # 12 digits: longer than any version we keep
    "34-03-2015-0890-0001",  # NIK with dashes that starts like a date
    "3403 2025-10-01",  # digits glued to a date by a space belong to one number
    "2025-13-45",  # not a real date: 8 digits, masked like any other
])
def test_number_shapes_that_only_resemble_dates_or_versions_are_masked(personal: str) -> None:
    out = redact_text(f"nomor {personal} tercantum")
    assert personal not in out, out
