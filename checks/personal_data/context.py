"""Where the context words of a text are, found once per text; the scanner reads its windows from here.

Reading each value's window with a regex costs a few hundred machine instructions per character, and
on a number-dense document the windows together cover the whole text, more than once when the words
after a value are read too. One Aho-Corasick pass over the lower-cased text (`ahocorasick-rs`, or one
`str.find` pass per term without it) costs a few instructions per character, so the scanner builds
this index on first need and then answers each window with a couple of C-level byte operations.

A hit is an occurrence of a term (every occurrence, overlapping ones included); a single word counts
only when no letter touches it on either side (see `lexicon.is_letter`). A window holds the hits that
lie entirely inside it, which is how the reference implementation reads context. Hits are recorded at
their first character: no term contains a digit or '+', so a hit starting before a value's first
character also ends before it, and "starts inside the window" is "lies inside the window".
"""

from __future__ import annotations

from checks.personal_data.lexicon import CONTEXT_PHRASES, CONTEXT_WORDS, ENABLING_KINDS, is_letter

try:  # one Aho-Corasick pass for all terms; without it, one `str.find` pass per term
    from ahocorasick_rs import AhoCorasick, BytesAhoCorasick, Implementation, MatchKind
except ImportError:  # pragma: no cover - the dependency ships wheels for the usual platforms
    AhoCorasick = BytesAhoCorasick = None

# (term, kind, single word?) for every context term
_TERMS = tuple((w, k, True) for k, ws in CONTEXT_WORDS.items() for w in ws) + tuple(
    (p, k, False) for k, ps in CONTEXT_PHRASES.items() for p in ps)
_KINDS = tuple(sorted({k for _t, k, _w in _TERMS}))
BIT = {k: 1 << i for i, k in enumerate(_KINDS)}  # a set of kinds is an int of these bits
assert len(_KINDS) <= 8  # one byte per position
_INFO = tuple((BIT[k], w, k in ENABLING_KINDS, k == "account") for _t, k, w in _TERMS)
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"  # the letters of lower-cased ASCII text
# Every occurrence of every term, overlapping ones included (as the `str.find` passes find them). ASCII
# text goes through the bytes automaton: the same offsets, and no character-index bookkeeping.
if AhoCorasick is not None:
    AUTOMATON = AhoCorasick([t for t, _k, _w in _TERMS], matchkind=MatchKind.Standard,
                            implementation=Implementation.DFA)
    BYTES_AUTOMATON = BytesAhoCorasick([t.encode() for t, _k, _w in _TERMS], matchkind=MatchKind.Standard,
                                       implementation=Implementation.DFA)
else:  # pragma: no cover
    AUTOMATON = BYTES_AUTOMATON = None


class ContextIndex:
    """Per position of the text: `kinds` holds the kind bits of the hits starting there, `account` is 1
    where a bank-account hit starts and `account_len` its length (the shortest, should two start at the
    same place). Two coarse masks, blind to line breaks: `near_before[s]` is 1 when an NPWP, BPJS or
    bank-account hit lies within `before` characters before s, `near_after[e]` when a bank-account hit
    lies within `after` characters after e."""

    __slots__ = ("kinds", "account", "account_len", "near_before", "near_after")

    def __init__(self, text: str, low: str, before: int, after: int):
        n = len(low)
        self.kinds = kinds = bytearray(n + 1)
        self.account = account = bytearray(n + 1)
        self.account_len = account_len = bytearray(n + 1)
        self.near_before = near_before = bytearray(n + 1)
        self.near_after = near_after = bytearray(n + 1)
        ones = memoryview(b"\x01" * (before + after + 2))
        ascii_text = text.isascii()
        if AUTOMATON is not None:
            occurrences = (BYTES_AUTOMATON.find_matches_as_indexes(low.encode("ascii"), overlapping=True)
                           if ascii_text else AUTOMATON.find_matches_as_indexes(low, overlapping=True))
        else:
            occurrences = []
            find = low.find
            for t, (term, _k, _w) in enumerate(_TERMS):
                i = find(term)
                while i != -1:
                    occurrences.append((t, i, i + len(term)))
                    i = find(term, i + 1)
        for t, i, j in occurrences:
            bit, word, enabling, account_term = _INFO[t]
            if word:  # a single word needs a non-letter on both sides
                if ascii_text:
                    if (i and low[i - 1] in _ASCII_LOWER) or (j < n and low[j] in _ASCII_LOWER):
                        continue
                elif (i and is_letter(low[i - 1])) or (j < n and is_letter(low[j])):
                    continue
            kinds[i] |= bit
            if not enabling:
                continue
            b = i + before + 1  # a hit [i, j) is before s when j <= s <= i + before
            if b > n + 1:
                b = n + 1
            near_before[j:b] = ones[:b - j]
            if account_term:  # ... and after e when j - after <= e <= i
                a = j - after if j > after else 0
                near_after[a:i + 1] = ones[:i + 1 - a]
                if not account[i] or j - i < account_len[i]:
                    account[i], account_len[i] = 1, j - i

    def bits_inside(self, lo: int, hi: int) -> int:
        """The kind bits of the hits starting in [lo, hi)."""
        bits = 0
        for v in self.kinds[lo:hi].translate(None, b"\x00"):
            bits |= v
        return bits

    def account_inside(self, lo: int, hi: int) -> bool:
        """Whether a bank-account hit lies inside [lo, hi)."""
        find, size = self.account.find, self.account_len
        p = find(1, lo, hi)
        while p != -1:
            if p + size[p] <= hi:
                return True
            p = find(1, p + 1, hi)
        return False
