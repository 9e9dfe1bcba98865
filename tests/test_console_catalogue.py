"""Every word the console shows comes from the catalogue, in Bahasa Indonesia and English."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.catalogue import messages
from auditor.console.findings import DECISION_FILTERS, STATES
from auditor.console.permissions import ROLES
from auditor.console.signing import RESULTS

CONSOLE = Path(__file__).resolve().parents[1] / "auditor" / "console"
YAML = CONSOLE.parent / "messages" / "console.yaml"


def test_every_literal_key_exists_in_both_languages():
    used = set()
    for path in [*CONSOLE.glob("templates/*.j2"), *CONSOLE.glob("*.py")]:
        used |= set(re.findall(r'\bt\(\s*"([a-z][a-z0-9_]*)"', path.read_text()))
        used |= set(re.findall(r'\(\s*"((?:login|upload|import|err|site)_[a-z_0-9]+)"', path.read_text()))
    prefixed = ([f"c_role_{r}" for r in ROLES] + [f"c_state_{s}" for s in STATES] + ["c_dec_none"]
                + [f"dec_{d}" for d in DECISION_FILTERS if d != "none"]
                + [f"c_run_{s}" for s in ("running", "starting", "complete", "incomplete", "failed", "none")]
                + [f"err_{c}" for c in (401, 403, 404, 405, 413, 429, 500)] + ["err_csrf"]
                + [f"c_sign_res_{r}" for r in RESULTS]  # the signing trail and its refusals (issue 22)
                + [f"c_sign_err_{r}" for r in RESULTS if r != "ok"] + ["c_sign_err_bad_password_locked"])
    cat = messages()
    used = {k for k in used if not k.endswith("_")}  # t("area_" + area): prefixes, expanded above
    missing = sorted(k for k in used | set(prefixed) if k not in cat)
    assert not missing, missing
    one_language = sorted(k for k in used | set(prefixed) if not (cat[k].get("id") and cat[k].get("en")))
    assert not one_language, one_language
    assert len(used) > 60


def test_no_key_written_twice_in_console_yaml():
    keys = [line.split(":", 1)[0] for line in YAML.read_text().splitlines() if re.match(r"^[a-z]", line)]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
