"""Who may do what in the console: a data table, read by one decorator (change the table, not the code).

Roles follow the SOP: the operator checks documents before uploading them (A2), the Kepala Seksi decides
on findings and starts scans (B1-B3, C1), the Ketua PPID approves the content list and the reports
(A1, B4-B5), the Atasan PPID reads the evaluation (C2); `admin` may do everything but sign: a signature
is a person's act in their own office, so only the signatory roles sign, each as itself (reports.signing).
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("operator", "kepala_seksi", "ketua_ppid", "atasan_ppid", "admin")

# permission -> roles holding it
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),  # dashboards, findings, programme, content list, reports, runs
    "check_file": frozenset({"operator", "kepala_seksi", "ketua_ppid", "admin"}),
    "triage": frozenset({"kepala_seksi", "admin"}),
    "content_import": frozenset({"ketua_ppid", "admin"}),
    "report_make": frozenset({"kepala_seksi", "ketua_ppid", "admin"}),
    "scan_start": frozenset({"kepala_seksi", "admin"}),
    # Signing a report PDF, as the user's own role only, when the SOP order says it is that role's turn.
    "report_sign": frozenset({"operator", "kepala_seksi", "ketua_ppid", "atasan_ppid"}),
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, frozenset())


def permissions_of(role: str) -> frozenset[str]:
    return frozenset(p for p, roles in PERMISSIONS.items() if role in roles)
