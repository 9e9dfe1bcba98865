"""An identity card photo (KTP-el) or family card (Kartu Keluarga) recognised by its printed labels.

The labels are printed on every card (Permendagri 9/2011 on the e-KTP blank; Permendukcapil forms for
the KK), so OCR reads them far more reliably than the handwritten-looking or blurred numbers: a card is
recognised even when its NIK is unreadable. Patterns tolerate the usual OCR slips (0/O, 1/l, dots and
slashes lost, spaces added).
"""

from __future__ import annotations

import re

# label -> pattern on lower-cased OCR text
LABELS: dict[str, str] = {
    "provinsi": r"pr[o0]v[i1l]ns[i1l]",
    "kabupaten": r"kabupaten|kab\s*/\s*k[o0]ta",
    "nik": r"\bn\s*[i1l]\s*k\b",
    "tempat_tgl_lahir": r"tempat\s*/?\s*t[g9]l\.?\s*lah[i1l]r",
    "jenis_kelamin": r"jen[i1l]s\s*ke[l1]am[i1l]n",
    "gol_darah": r"g[o0][l1]\.?\s*darah|g[o0][l1]ongan\s*darah",
    "alamat": r"a[l1]amat",
    "rt_rw": r"rt\s*/\s*rw",
    "kel_desa": r"ke[l1]\s*/\s*desa|desa\s*/\s*ke[l1]urahan",
    "kecamatan": r"kecamatan",
    "agama": r"agama",
    "status_perkawinan": r"status\s*perkaw[i1l]nan",
    "pekerjaan": r"peker[jy]aan",
    "kewarganegaraan": r"kewarganegaraan",
    "berlaku_hingga": r"ber[l1]aku\s*h[i1l]ngga",
    "kartu_keluarga": r"kartu\s*ke[l1]uarga",
    "kepala_keluarga": r"kepa[l1]a\s*ke[l1]uarga",
    "hubungan_keluarga": r"hubungan\s*da[l1]am\s*ke[l1]uarga",
}
# Printed on a card, rarely a column of a published list.
CARD_ONLY = frozenset({"gol_darah", "kewarganegaraan", "berlaku_hingga", "tempat_tgl_lahir", "kel_desa",
                       "kepala_keluarga", "hubungan_keluarga"})
MIN_LABELS = 5
MIN_CARD_ONLY = 2
_COMPILED = {k: re.compile(v) for k, v in LABELS.items()}


def card_labels(text: str) -> set[str]:
    low = text.lower()
    return {k for k, rx in _COMPILED.items() if rx.search(low)}


def is_id_card(labels: set[str]) -> bool:
    return len(labels) >= MIN_LABELS and len(labels & CARD_ONLY) >= MIN_CARD_ONLY
