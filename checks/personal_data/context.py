"""Where the context words of a text are, found once per text; the scanner reads its windows from here.

Reading each value's window with a regex costs a few hundred machine instructions per character, and
on a number-dense document the windows together cover the whole text, more than once when the words
after a value are read too. One `str.find` pass per term over the lower-cased text costs a few
instructions per character, so the scanner builds this index on first need and then answers each
window with a couple of C-level byte searches.

A hit is an occurrence of a term (every occurrence, overlapping ones included); a single word counts
only when no letter touches it on either side (see `lexicon.is_letter`). A window holds the hits that
lie entirely inside it, which is how the reference implementation reads context. Hits are recorded at
their first character: no term contains a digit or '+', so a hit starting before a value's first
character also ends before it, and "starts inside the window" is "lies inside the window".
"""

from __future__ import annotations

from checks.personal_data.lexicon import CONTEXT_PHRASES, CONTEXT_WORDS, ENABLING_KINDS, is_letter

# (term, kind, single word?) for every context term
_TERMS = tuple((w, k, True) for k, ws in CONTEXT_WORDS.items() for w in ws) + tuple(
    (p, k, False) for k, ps in CONTEXT_PHRASES.items() for p in ps)
_KINDS = tuple(sorted({k for _t, k, _w in _TERMS}))
_BIT = {k: 1 << i for i, k in enumerate(_KINDS)}
# every byte value (an OR of kind bits) -> the kinds it stands for
_DECODE = tuple(tuple(k for k in _KINDS if v & _BIT[k]) for v in range(1 << len(_KINDS)))
assert len(_KINDS) <= 8  # one byte per position


class ContextIndex:
    """Per position of the text: `kinds` holds the kind bits of the hits starting there, `enabling` is 1
    where an NPWP, BPJS or bank-account hit starts, `account` is 1 where a bank-account hit starts and
    `account_len` its length (the shortest, should two start at the same place)."""

    __slots__ = ("kinds", "enabling", "account", "account_len")

    def __init__(self, text: str, low: str):
        n = len(low)
        letter = str.isalpha if text.isascii() else is_letter  # the same test on ASCII, cheaper
        self.kinds = kinds = bytearray(n + 1)
        self.enabling = enabling = bytearray(n + 1)
        self.account = account = bytearray(n + 1)
        self.account_len = account_len = bytearray(n + 1)
        find = low.find
        for term, kind, word in _TERMS:
            size, bit = len(term), _BIT[kind]
            is_enabling, is_account = kind in ENABLING_KINDS, kind == "account"
            i = find(term)
            while i != -1:
                j = i + size
                if not word or ((i == 0 or not letter(low[i - 1])) and (j >= n or not letter(low[j]))):
                    kinds[i] |= bit
                    if is_enabling:
                        enabling[i] = 1
                    if is_account and (not account[i] or size < account_len[i]):
                        account[i], account_len[i] = 1, size
                i = find(term, i + 1)

    def kinds_from(self, lo: int, hi: int, into: set[str]) -> set[str]:
        """Adds to `into` the kinds of the hits starting in [lo, hi)."""
        for v in set(self.kinds[lo:hi]):
            if v:
                into.update(_DECODE[v])
        return into

    def account_inside(self, lo: int, hi: int) -> bool:
        """Whether a bank-account hit lies inside [lo, hi)."""
        find, size = self.account.find, self.account_len
        p = find(1, lo, hi)
        while p != -1:
            if p + size[p] <= hi:
                return True
            p = find(1, p + 1, hi)
        return False
