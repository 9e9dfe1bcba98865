"""Pure fingerprinting: page HTML, headers and probe bodies -> `Signal`s -> aggregated `Detection`s.

Every signal names its source and carries a weight: what the server says about itself in a header is
cheap to fake or forget to update (weight 1 for CMS claims), a `generator` tag somewhat less so (2),
a file only the product ships, read back with its content verified (feed generator, REST index,
manifest), is strong (3). Judgements are only made on corroborated detections (see `aggregate`).
"""

from __future__ import annotations

import html as htmlmod
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, urljoin, urlsplit

from auditor.snapshot import Headers

PRODUCTS = {
    "wordpress": ("WordPress", "cms"), "joomla": ("Joomla!", "cms"), "drupal": ("Drupal", "cms"),
    "opensid": ("OpenSID", "cms"), "apache": ("Apache HTTP Server", "server"), "nginx": ("nginx", "server"),
    "openresty": ("OpenResty", "server"), "litespeed": ("LiteSpeed", "server"), "iis": ("Microsoft IIS", "server"),
    "php": ("PHP", "language"),
}
V = r"(\d+(?:\.\d+)+[a-z0-9\-]*)"


@dataclass(frozen=True)
class Signal:
    product: str
    version: str | None
    source: str  # short name of the evidence kind, e.g. "meta generator", "Server header"
    evidence: str  # the text that matched (short, no personal data: these are software strings)
    url: str = ""
    weight: int = 1


@dataclass
class Detection:
    product: str
    name: str
    category: str
    version: str | None
    confidence: str  # presence: high / medium / low
    version_confidence: str | None
    evidence: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # other versions claimed, with their sources
    score: int = 0

    def to_json(self) -> dict:
        return {"product": self.product, "name": self.name, "category": self.category,
                "version": self.version, "confidence": self.confidence,
                "version_confidence": self.version_confidence, "evidence": self.evidence[:8],
                "conflicts": self.conflicts}


def _short(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- headers ---------------------------------------------------------------------------------------

_SERVER_TOKENS = [
    (re.compile(r"\bApache(?:/" + V + r")?", re.I), "apache"),
    (re.compile(r"\bnginx(?:/" + V + r")?", re.I), "nginx"),
    (re.compile(r"\bopenresty(?:/" + V + r")?", re.I), "openresty"),
    (re.compile(r"\bLiteSpeed(?:/" + V + r")?", re.I), "litespeed"),
    (re.compile(r"\bMicrosoft-IIS(?:/" + V + r")?", re.I), "iis"),
]
_PHP_TOKEN = re.compile(r"\bPHP/" + V, re.I)


def header_signals(url: str, headers: Headers) -> list[Signal]:
    out: list[Signal] = []
    for value in headers.get_all("server"):
        for rx, product in _SERVER_TOKENS:
            m = rx.search(value)
            if m:
                out.append(Signal(product, m.group(1), "Server header", _short(f"Server: {value}"), url, 3))
        m = _PHP_TOKEN.search(value)
        if m:
            out.append(Signal("php", m.group(1), "Server header", _short(f"Server: {value}"), url, 3))
    for value in headers.get_all("x-powered-by"):
        m = _PHP_TOKEN.search(value)
        if m:
            out.append(Signal("php", m.group(1), "X-Powered-By header", _short(f"X-Powered-By: {value}"), url, 3))
        elif re.search(r"\bPHP\b", value, re.I):
            out.append(Signal("php", None, "X-Powered-By header", _short(f"X-Powered-By: {value}"), url, 2))
        # A CMS named in X-Powered-By is a claim, not proof (plugins fake it): weight 1.
        for product, rx in (("wordpress", r"WordPress(?:\s+" + V + ")?"), ("joomla", r"Joomla!?(?:\s+" + V + ")?"),
                            ("drupal", r"Drupal(?:\s+(\d+(?:\.\d+)*))?"), ("opensid", r"OpenSID(?:\s+v?" + V + ")?")):
            m = re.search(rx, value, re.I)
            if m:
                out.append(Signal(product, m.group(1), "X-Powered-By header", _short(f"X-Powered-By: {value}"), url, 1))
    for value in headers.get_all("x-generator"):
        m = re.search(r"Drupal\s+(\d+(?:\.\d+)*)", value, re.I)
        if m:
            out.append(Signal("drupal", m.group(1), "X-Generator header", _short(f"X-Generator: {value}"), url, 1))
    if headers.get("x-drupal-cache") or headers.get("x-drupal-dynamic-cache"):
        out.append(Signal("drupal", None, "X-Drupal-Cache header", "X-Drupal-Cache", url, 1))
    for value in headers.get_all("x-content-encoded-by"):
        m = re.search(r"Joomla!?\s+(\d+(?:\.\d+)*)", value, re.I)
        if m:
            out.append(Signal("joomla", m.group(1), "X-Content-Encoded-By header", _short(value), url, 1))
    for value in headers.get_all("link"):
        if "api.w.org" in value:
            out.append(Signal("wordpress", None, "Link: api.w.org header", _short(f"Link: {value}"), url, 2))
    if headers.get("x-pingback", "").endswith("xmlrpc.php"):
        out.append(Signal("wordpress", None, "X-Pingback header", _short(f"X-Pingback: {headers.get('x-pingback')}"), url, 2))
    for value in headers.get_all("set-cookie"):
        if value.split("=", 1)[0].strip().upper() == "PHPSESSID":
            out.append(Signal("php", None, "PHPSESSID cookie", "Set-Cookie: PHPSESSID", url, 1))
    return out


# -- HTML ------------------------------------------------------------------------------------------

_META_GEN = re.compile(r"<meta\b[^>]*\bname\s*=\s*[\"']?generator[\"']?[^>]*>", re.I)
_CONTENT_ATTR = re.compile(r"\bcontent\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_ASSET_ATTR = re.compile(r"\b(?:src|href)\s*=\s*[\"']([^\"'<>\s]+)[\"']", re.I)
# Core WordPress files whose ?ver= is the WordPress version itself (not a bundled library's version).
_WP_CORE_VER = re.compile(
    r"/wp-includes/(?:css/dist/block-library/style|js/wp-emoji-release|js/wp-embed|css/dashicons|"
    r"css/admin-bar|js/admin-bar|js/comment-reply|css/buttons)(?:\.min)?\.(?:css|js)$")
_DRUPAL_CORE = re.compile(r"/core/(?:misc|assets/vendor|modules/system)/")
_OPENSID_VERSION = re.compile(
    r"OpenSID\s*(?:</[^>]+>\s*)?(?:versi\s+|version\s+)?v?\s?(\d{2}\.\d{2}(?:\.\d+)?|\d{4}\.\d+\.\d+)"
    r"(-(?:premium|umum|pasca|beta\d*|rc\d*))?", re.I)
_GENERATORS = [
    (re.compile(r"^WordPress\s+" + V, re.I), "wordpress"), (re.compile(r"^WordPress\b", re.I), "wordpress"),
    (re.compile(r"^Joomla!?\s+" + V, re.I), "joomla"), (re.compile(r"^Joomla!?", re.I), "joomla"),
    (re.compile(r"^Drupal\s+(\d+(?:\.\d+)*)", re.I), "drupal"), (re.compile(r"^Drupal\b", re.I), "drupal"),
    (re.compile(r"^OpenSID\s+v?(\d{2}\.\d{2}(?:\.\d+)?|\d{4}\.\d+\.\d+)", re.I), "opensid"),
    (re.compile(r"^OpenSID\b", re.I), "opensid"),
]


def meta_generators(text: str) -> list[str]:
    out = []
    for tag in _META_GEN.findall(text):
        m = _CONTENT_ATTR.search(tag)
        if m:
            out.append(htmlmod.unescape(m.group(1).strip("\"'")).strip())
    return out


@lru_cache(maxsize=128)  # the software check reads each page's assets twice (CMS signals, JS libraries)
def asset_urls(base: str, text: str) -> tuple[str, ...]:
    # JSON-escaped URLs (`http:\/\/x\/wp-includes\/...`) appear in inline settings such as WordPress's emoji.
    unescaped = text.replace("\\/", "/")
    urls = [urljoin(base, htmlmod.unescape(u)) for u in _ASSET_ATTR.findall(unescaped)]
    urls += re.findall(r"https?://[^\s\"'<>()]+?\.(?:js|css)(?:\?[^\s\"'<>()]*)?", unescaped)
    seen: set[str] = set()
    return tuple(u for u in urls if not (u in seen or seen.add(u)))


def html_signals(url: str, text: str) -> list[Signal]:
    out: list[Signal] = []
    for gen in meta_generators(text):
        for rx, product in _GENERATORS:
            m = rx.search(gen)
            if m:
                version = m.group(1) if m.groups() else None
                out.append(Signal(product, version, "meta generator", _short(f'generator="{gen}"'), url, 2))
                break
    host = urlsplit(url).hostname
    wp_assets = drupal_assets = joomla_assets = 0
    for asset in asset_urls(url, text):
        parts = urlsplit(asset)
        if parts.hostname and host and parts.hostname != host:
            continue  # a CDN or another site's files say nothing about this site's CMS
        path = parts.path
        if "/wp-content/" in path or "/wp-includes/" in path:
            wp_assets += 1
            if wp_assets <= 1:
                out.append(Signal("wordpress", None, "wp-content/wp-includes asset paths", _short(path), url, 2))
            ver = parse_qs(parts.query).get("ver", [None])[0]
            if ver and _WP_CORE_VER.search(path) and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", ver):
                out.append(Signal("wordpress", ver, "core asset ?ver=", _short(f"{path}?ver={ver}"), url, 2))
        elif _DRUPAL_CORE.search(path) or "/sites/default/files/" in path or path.endswith("/misc/drupal.js"):
            drupal_assets += 1
            if drupal_assets <= 1:
                out.append(Signal("drupal", None, "Drupal asset paths", _short(path), url, 2))
            v = parse_qs(parts.query).get("v", [None])[0]
            if v and _DRUPAL_CORE.search(path) and re.fullmatch(r"\d+\.\d+\.\d+", v):
                out.append(Signal("drupal", v, "core asset ?v=", _short(f"{path}?v={v}"), url, 2))
        elif "/media/jui/" in path or "/media/system/js/" in path or "/components/com_" in path:
            joomla_assets += 1
            if joomla_assets <= 1:
                out.append(Signal("joomla", None, "Joomla asset paths", _short(path), url, 2))
    if re.search(r"Drupal\.settings|data-drupal-selector|drupalSettings", text):
        out.append(Signal("drupal", None, "Drupal settings markup", "drupalSettings / data-drupal-selector", url, 2))
    if re.search(r"index\.php\?option=com_\w+", text):
        out.append(Signal("joomla", None, "Joomla component links", "index.php?option=com_…", url, 1))
    out += opensid_signals(url, text)
    return out


def opensid_signals(url: str, text: str) -> list[Signal]:
    out: list[Signal] = []
    plain = re.sub(r"<[^>]+>", " ", text)
    for src in (text, plain):
        m = _OPENSID_VERSION.search(src)
        if m:
            out.append(Signal("opensid", m.group(1) + (m.group(2) or ""), "OpenSID version text",
                              _short(m.group(0)), url, 3))
            break
    markers = [p for p in ("/index.php/first", "/first/artikel", "/siteman", "/desa/themes/",
                           "themes/klasik/", "themes/natra/", "github.com/OpenSID", "opendesa.id")
               if p.lower() in text.lower()]
    if markers:
        out.append(Signal("opensid", None, "OpenSID paths and links", ", ".join(markers[:4]), url,
                          2 if len(markers) >= 2 else 1))
    return out


# -- probe bodies (content-verified) ----------------------------------------------------------------

def feed_signals(url: str, text: str) -> list[Signal]:
    if "<rss" not in text and "<feed" not in text:
        return []
    m = re.search(r"<generator[^>]*>\s*https?://wordpress\.org/\?v=" + V + r"\s*</generator>", text)
    if m:
        return [Signal("wordpress", m.group(1), "RSS feed generator", _short(m.group(0)), url, 3)]
    m = re.search(r"<generator[^>]*uri=\"https?://wordpress\.org/\"[^>]*version=\"" + V, text)
    if m:
        return [Signal("wordpress", m.group(1), "Atom feed generator", _short(m.group(0)), url, 3)]
    m = re.search(r"<generator[^>]*>\s*Joomla!?[^<]*</generator>", text)
    if m:
        return [Signal("joomla", None, "feed generator", _short(m.group(0)), url, 2)]
    return []


def opml_signals(url: str, text: str) -> list[Signal]:
    m = re.search(r"<!--\s*generator=\"WordPress/" + V + r"\"\s*-->", text)
    if m and "<opml" in text:
        return [Signal("wordpress", m.group(1), "wp-links-opml.php generator", _short(m.group(0)), url, 3)]
    return []


def wp_readme_signals(url: str, text: str) -> list[Signal]:
    if "WordPress" not in text or "<html" not in text.lower():
        return []
    m = re.search(r"<br\s*/?>\s*(?:Version|Versi)\s+" + V, text, re.I)
    if m:
        return [Signal("wordpress", m.group(1), "readme.html", _short(m.group(0)), url, 2)]
    return [Signal("wordpress", None, "readme.html", "WordPress readme.html", url, 2)]


def wp_rest_signals(url: str, text: str) -> list[Signal]:
    if '"namespaces"' in text and '"wp/v2"' in text:
        return [Signal("wordpress", None, "REST API index", "namespaces: wp/v2", url, 3)]
    return []


def joomla_manifest_signals(url: str, text: str) -> list[Signal]:
    if "<extension" not in text or "files_joomla" not in text:
        return []
    m = re.search(r"<version>\s*" + V + r"\s*</version>", text)
    return [Signal("joomla", m.group(1) if m else None, "joomla.xml manifest",
                   _short(m.group(0) if m else "files_joomla"), url, 3)]


def drupal_changelog_signals(url: str, text: str) -> list[Signal]:
    if text.lstrip().startswith("<"):
        return []
    m = re.search(r"^Drupal\s+(\d+\.\d+(?:\.\d+)?)\s*,\s*\d{4}-\d{2}-\d{2}", text, re.M)
    return [Signal("drupal", m.group(1), "CHANGELOG.txt", _short(m.group(0)), url, 3)] if m else []


# -- aggregation ------------------------------------------------------------------------------------

def _level(score: int) -> str:
    return "high" if score >= 4 else "medium" if score >= 3 else "low"


def _consistent(a: str, b: str) -> bool:
    """`7` and `7.98` agree (one is a prefix of the other at a dot boundary)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def aggregate(signals: list[Signal]) -> list[Detection]:
    by_product: dict[str, list[Signal]] = {}
    for s in signals:
        by_product.setdefault(s.product, []).append(s)
    out: list[Detection] = []
    for product, sigs in by_product.items():
        name, category = PRODUCTS.get(product, (product, "other"))
        # One vote per kind of evidence: fifty wp-content links are one fact, not fifty.
        best_per_source: dict[tuple[str, str | None], Signal] = {}
        for s in sigs:
            key = (s.source, s.version)
            if key not in best_per_source or s.weight > best_per_source[key].weight:
                best_per_source[key] = s
        uniq = list(best_per_source.values())
        presence = sum(max(s.weight for s in uniq if s.source == src) for src in {s.source for s in uniq})
        votes: dict[str, int] = {}
        for s in uniq:
            if s.version:
                votes[s.version] = votes.get(s.version, 0) + s.weight
        version = vconf = None
        conflicts: list[str] = []
        if votes:
            # Merge major-only claims ("Drupal 7") into the specific versions they agree with.
            ranked = sorted(votes, key=lambda v: (votes[v], v.count("."), v), reverse=True)
            top = ranked[0]
            support = sum(w for v, w in votes.items() if _consistent(v, top))
            specific = max((v for v in votes if _consistent(v, top)), key=lambda v: (v.count("."), votes[v]))
            against = sum(w for v, w in votes.items() if not _consistent(v, top))
            version = specific
            level = _level(support)
            if against:
                conflicts = [f"{v} ({', '.join(s.source for s in uniq if s.version == v)})"
                             for v in votes if not _consistent(v, top)]
                level = "low" if against >= support else {"high": "medium", "medium": "low"}.get(level, "low")
            elif level == "low" and support >= 2 and _level(presence) == "high":
                # An uncontradicted generator tag on a site that is certainly this product is what
                # scanners such as whatweb and WPScan report; treat it as medium, never high.
                level = "medium"
            vconf = level
        evidence = [f"{s.source}: {s.evidence}" for s in sorted(uniq, key=lambda s: -s.weight)]
        out.append(Detection(product, name, category, version, _level(presence), vconf, evidence,
                             conflicts, presence))
    order = {"cms": 0, "server": 1, "language": 2}
    out.sort(key=lambda d: (order.get(d.category, 3), -d.score, d.product))
    return out
