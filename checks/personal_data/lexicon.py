"""Vocabulary of the personal-data detectors: operator prefixes and the context words around values.

Kept apart from the detectors so the scanning engine (`scanner`) and the public helpers (`detectors`)
share one list, and so the word lists read as data.
"""

from __future__ import annotations

import re

# Mobile operator prefixes (the four digits after the leading 0), as allocated to Telkomsel, Indosat,
# XL/Axis, Tri and Smartfren. Landlines (0274..., 021...) are office numbers, never reported.
MOBILE_PREFIXES = frozenset(
    "0811 0812 0813 0821 0822 0823 0851 0852 0853"  # Telkomsel (incl. by.U)
    " 0814 0815 0816 0855 0856 0857 0858"  # Indosat Ooredoo
    " 0817 0818 0819 0859 0877 0878 0879"  # XL
    " 0831 0832 0833 0838"  # Axis
    " 0895 0896 0897 0898 0899"  # Tri
    " 0881 0882 0883 0884 0885 0886 0887 0888 0889"  # Smartfren
    " 0828".split()  # Ceria / Net1 (still in use)
)

# Context words per kind, looked up in the lower-cased text just before a value (and, for bank
# accounts, just after it). Single words must stand alone (no letter on either side); phrases match
# anywhere.
CONTEXT_WORDS: dict[str, tuple[str, ...]] = {
    "nik": ("nik", "ktp", "ektp"),
    "kk": ("kk",),
    "npwp": ("npwp",),
    "bpjs": ("bpjs", "jkn", "kis"),
    "phone": ("hp", "tel", "telp", "telepon", "ponsel", "handphone", "wa", "whatsapp", "seluler", "kontak",
              "hubungi"),
    "account": ("rekening", "rek", "bank", "bri", "bni", "mandiri", "bca", "bsi", "btn", "cimb", "danamon",
                "permata", "bpd"),
}
CONTEXT_PHRASES: dict[str, tuple[str, ...]] = {
    "nik": ("nomor induk kependudukan", "no. identitas", "no identitas", "n.i.k"),
    "kk": ("kartu keluarga",),
    "npwp": ("nomor pokok wajib pajak",),
    "bpjs": ("kartu indonesia sehat", "jaminan kesehatan", "kartu peserta"),
    "phone": ("whats app",),
    "account": ("atas nama", "a.n.", " a.n ", "a/n", "virtual account"),
}
WORD_KIND = {w: k for k, words in CONTEXT_WORDS.items() for w in words}
PHRASES = tuple((p, k) for k, phrases in CONTEXT_PHRASES.items() for p in phrases)
_TOKEN = re.compile(r"[a-z]+")

# Kinds whose context alone can turn a number into a finding (a 13-digit BPJS card, a 15-digit NPWP
# without dots, any bank account): runs far from these words only count on structure.
ENABLING_KINDS = ("npwp", "bpjs", "account")
_LETTER = re.compile(r"[^\W\d_]")


def is_letter(ch: str) -> bool:
    """A letter in the sense of word boundaries: a word character that is not a digit or '_' (so "nik:"
    and "NIK3403..." name a NIK, "teknik" does not)."""
    return _LETTER.match(ch) is not None


def lower_aligned(text: str) -> str:
    """`text.lower()` with every position kept (a few characters, like 'İ', lower to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(lc := c.lower()) != 1 else lc for c in text)


def context_kinds(text: str) -> set[str]:
    """Kinds announced anywhere in a short label (a column header, the cell on the left)."""
    low = text.lower()
    kinds = {WORD_KIND[w] for w in WORD_KIND.keys() & set(_TOKEN.findall(low))}
    for phrase, kind in PHRASES:
        if phrase in low:
            kinds.add(kind)
    return kinds
