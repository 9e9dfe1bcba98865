"""Finding each approved item on the crawled site: Indonesian-aware normalisation and scoring.

An item is looked for by its `url` first, then by its `match` patterns (or its title) against page
titles, headings, the texts of links pointing at a resource, and document names. Abbreviations common
in village administration are expanded on both sides, so "Perdes APBDes 2026" matches "Peraturan Desa
tentang Anggaran Pendapatan dan Belanja Desa".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from urllib.parse import unquote, urlsplit

from auditor.htmldoc import text_of
from auditor.snapshot import Page, Site

# Expansions as data; keys are single normalised tokens.
ABBREVIATIONS: dict[str, str] = {
    "perdes": "peraturan desa",
    "perkades": "peraturan kepala desa",
    "perbup": "peraturan bupati",
    "perda": "peraturan daerah",
    "sk": "surat keputusan",
    "kades": "kepala desa",
    "sekdes": "sekretaris desa",
    "pemdes": "pemerintah desa",
    "apbdes": "anggaran pendapatan dan belanja desa",
    "apbdesa": "anggaran pendapatan dan belanja desa",
    "apb": "anggaran pendapatan dan belanja",
    "rpjmdes": "rencana pembangunan jangka menengah desa",
    "rpjmdesa": "rencana pembangunan jangka menengah desa",
    "rkpdes": "rencana kerja pemerintah desa",
    "rkpdesa": "rencana kerja pemerintah desa",
    "durkp": "daftar usulan rencana kerja pemerintah",
    "lppd": "laporan penyelenggaraan pemerintahan desa",
    "lkppd": "laporan keterangan penyelenggaraan pemerintahan desa",
    "lpj": "laporan pertanggungjawaban",
    "bpd": "badan permusyawaratan desa",
    "bumdes": "badan usaha milik desa",
    "bumdesa": "badan usaha milik desa",
    "musdes": "musyawarah desa",
    "musrenbangdes": "musyawarah perencanaan pembangunan desa",
    "blt": "bantuan langsung tunai",
    "dd": "dana desa",
    "add": "alokasi dana desa",
    "dip": "daftar informasi publik",
    "ppid": "pejabat pengelola informasi dan dokumentasi",
    "sop": "standar operasional prosedur",
    # "Desa atau yang disebut dengan nama lain" (Perki 1/2018 Pasal 1): DIY, Sumatera Barat, Aceh, Lampung...
    "kalurahan": "desa", "nagari": "desa", "gampong": "desa", "pekon": "desa",
    "perkal": "peraturan desa", "apbkal": "anggaran pendapatan dan belanja desa",
    "rpjmkal": "rencana pembangunan jangka menengah desa", "rkpkal": "rencana kerja pemerintah desa",
    "th": "tahun", "thn": "tahun", "ta": "tahun anggaran",
    "tgl": "tanggal", "no": "nomor", "nmr": "nomor",
    "ds": "desa", "kec": "kecamatan", "kab": "kabupaten",
}
# Multi-token spellings joined before expansion ("apb des", "apb-desa" -> "apbdes").
_JOINS = [(re.compile(r"\bapb\s+des(a)?\b"), "apbdes"), (re.compile(r"\brpjm\s+des(a)?\b"), "rpjmdes"),
          (re.compile(r"\brkp\s+des(a)?\b"), "rkpdes"), (re.compile(r"\bbum\s+des(a)?\b"), "bumdes"),
          (re.compile(r"\bdu\s+rkp\b"), "durkp")]
STOPWORDS = frozenset("dan atau yang di ke dari tentang untuk pada dengan dalam oleh serta the of and for".split())
# Words that name the kind of thing rather than the thing: not required for a match.
GENERIC = frozenset("dokumen informasi data berkas file unduh download pdf doc docx xls xlsx halaman".split())
_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 16)  # the same titles and link texts are scored against every item's patterns
def normalise(text: str) -> str:
    """Lower-case, accents and punctuation removed, abbreviations expanded."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").lower()
    text = _NON_WORD.sub(" ", text)
    for rx, joined in _JOINS:
        text = rx.sub(joined, text)
    return " ".join(ABBREVIATIONS.get(tok, tok) for tok in text.split())


@lru_cache(maxsize=1 << 16)
def tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in normalise(text).split() if t not in STOPWORDS)


@lru_cache(maxsize=1 << 16)
def _token_set(text: str) -> frozenset[str]:
    return frozenset(tokens(text))


@dataclass
class Candidate:
    """A crawled resource and the texts that name it."""

    resource: Page
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text)

    @property
    def url(self) -> str:
        return self.resource.final_url or self.resource.url


def doc_name(url: str) -> str:
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return re.sub(r"\.[A-Za-z0-9]{2,5}$", "", name)


def build_candidates(site: Site) -> list[Candidate]:
    by_url: dict[str, Candidate] = {}
    out: list[Candidate] = []
    for res in site.all_resources():
        if not res.ok:
            continue
        cand = Candidate(res)
        out.append(cand)
        for u in {res.url, res.final_url or res.url}:
            by_url[u] = cand
            by_url[u.rstrip("/")] = cand
        name = doc_name(cand.url)
        if name:
            cand.texts.append(("nama dokumen" if res.kind == "document" else "alamat", name))
        if res.title:
            cand.texts.append(("judul", res.title))
        root = res.document if res.kind != "document" else None
        if root is not None:
            title = next(root.iter("title"), None) if not res.title else None  # the crawl read it already
            if title is not None and title.text and len(title) == 0:
                cand.texts.append(("judul", title.text.strip()))
            for h in islice(root.iter("h1", "h2", "h3"), 12):
                txt = text_of(h)
                if txt:
                    cand.texts.append(("judul bagian", txt))
    settled: set[tuple[str, str]] = set()  # a menu link is on every page: its text is settled once
    for page in site.pages:
        for link in page.links:
            pair = (link.url, link.text)
            if pair in settled:
                continue
            target = by_url.get(link.url) or by_url.get(link.url.rstrip("/"))
            if target is None or not link.text:
                settled.add(pair)
            elif target.resource is not page:  # a page's link to itself names nothing (another page's may)
                if ("teks tautan", link.text) not in target.texts:
                    target.texts.append(("teks tautan", link.text))
                settled.add(pair)
    return out


@dataclass
class Match:
    candidate: Candidate
    score: float
    where: str  # which text matched
    text: str


def score_text(pattern: str, text: str) -> float:
    """0..1.2: every pattern keyword must be present (recall 1), then precision and phrase order count.
    Patterns starting with `re:` are regular expressions over the normalised text."""
    if pattern.startswith("re:"):
        try:
            return 1.0 if re.search(pattern[3:], normalise(text)) else 0.0
        except re.error:
            return 0.0
    p, t = tokens(pattern), tokens(text)
    if not p or not t:
        return 0.0
    required = [tok for tok in p if tok not in GENERIC] or p
    tset = _token_set(text)
    if any(tok not in tset for tok in required):
        return 0.0
    precision = len(set(required)) / len(tset - (GENERIC - set(required)))  if tset - (GENERIC - set(required)) else 1.0
    phrase = 0.2 if " ".join(required) in " ".join(t) else 0.0
    return 0.6 + 0.4 * precision + phrase


def find_matches(patterns: list[str], candidates: list[Candidate], *, min_score: float = 0.6) -> list[Match]:
    """Best match per resource, best first.

    Only texts holding every required keyword of some pattern can score (see `score_text`), so those are
    found through a keyword index of the candidates' texts instead of scoring every text against every
    pattern (the content check asks once per approved item and mandatory entry)."""
    flagged = _texts_worth_scoring(patterns, candidates) if min_score > 0 else None
    out: list[Match] = []
    for ci, cand in enumerate(candidates):
        worth = None if flagged is None else flagged.get(ci)
        if flagged is not None and worth is None:
            continue
        best: Match | None = None
        for ti, (where, text) in enumerate(cand.texts):
            if worth is not None and ti not in worth:
                continue
            for pat in patterns:
                s = score_text(pat, text)
                if s >= min_score and (best is None or s > best.score):
                    best = Match(cand, s, where, text)
        if best:
            out.append(best)
    out.sort(key=lambda m: (-m.score, m.candidate.url))
    return out


_Index = dict[str, set[tuple[int, int]]]
_INDEX: dict[tuple[int, int, int], tuple[list[Candidate], _Index]] = {}


def _keyword_index(candidates: list[Candidate]) -> _Index:
    key = (id(candidates), len(candidates), sum(len(c.texts) for c in candidates))
    hit = _INDEX.get(key)
    if hit is not None and hit[0] is candidates:
        return hit[1]
    index: _Index = {}
    for ci, cand in enumerate(candidates):
        for ti, (_where, text) in enumerate(cand.texts):
            for tok in _token_set(text):
                index.setdefault(tok, set()).add((ci, ti))
    if len(_INDEX) >= 4:  # a few candidate lists per content check run (all, and the PPID menu's subsets)
        _INDEX.pop(next(iter(_INDEX)))
    _INDEX[key] = (candidates, index)
    return index


def _texts_worth_scoring(patterns: list[str], candidates: list[Candidate]) -> dict[int, set[int]] | None:
    """candidate index -> indexes of its texts that hold every required keyword of some pattern; None when
    a regular-expression pattern needs every text."""
    if len(candidates) < 64 or any(p.startswith("re:") for p in patterns):
        return None  # a short list is scored faster than indexed
    index = _keyword_index(candidates)
    out: dict[int, set[int]] = {}
    for pat in patterns:
        p = tokens(pat)
        if not p:
            continue
        required = [tok for tok in p if tok not in GENERIC] or list(p)
        postings = sorted((index.get(tok, set()) for tok in set(required)), key=len)
        hits = set(postings[0]).intersection(*postings[1:]) if postings else set()
        for ci, ti in hits:
            out.setdefault(ci, set()).add(ti)
    return out


def linked(a: Candidate, b: Candidate) -> bool:
    """True when one resource links to the other (a page listing the document it names)."""
    urls_a = {link.url for link in a.resource.links}
    urls_b = {link.url for link in b.resource.links}
    return b.url in urls_a or b.resource.url in urls_a or a.url in urls_b or a.resource.url in urls_b


def tied(matches: list[Match], epsilon: float = 0.05) -> list[Match]:
    """The matches that cannot be told apart from the best one (ambiguity), unlinked to it."""
    if not matches:
        return []
    top = matches[0]
    return [top] + [m for m in matches[1:] if top.score - m.score <= epsilon
                    and not linked(top.candidate, m.candidate)]


@lru_cache(maxsize=1 << 14)
def url_key(u: str) -> str:
    """What `same_url` compares: equal keys, same resource (for dict lookups instead of pairwise tests)."""
    parts = urlsplit(u)
    return f"{(parts.hostname or '').lower()}:{parts.port or ''}{parts.path.rstrip('/') or '/'}?{parts.query}"


def same_url(a: str, b: str) -> bool:
    return url_key(a) == url_key(b)
