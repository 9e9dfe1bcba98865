"""Rule records of the personal-data check (`checks.rules`). The older `pii.*` rules still build their
findings in `evidence.findings_for` from its tables; new rules are records here."""

from __future__ import annotations

from auditor.catalogue import t
from checks.base import Severity
from checks.rules import Rule, RuleBook

REFERENCES = ("https://peraturan.bpk.go.id/Details/229798/uu-no-27-tahun-2022",
              "https://peraturan.bpk.go.id/Details/39047/uu-no-14-tahun-2008")

RULEBOOK = RuleBook("pii", [
    Rule(id="pii.id_card_image", severity=Severity.CRITICAL,
         title=t("id_card_title", "id"), title_en=t("id_card_title", "en"),
         remediation=t("id_card_remediation", "id"), remediation_en=t("id_card_remediation", "en"),
         references=REFERENCES),
])
