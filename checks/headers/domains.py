"""Registrable domains ("same site") from the Public Suffix List, offline.

Mirrors `tldts.parse(...).domain` as the Observatory uses it (ICANN section only): None for IP
addresses, `localhost` and bare public suffixes; hosts under a TLD missing from the list fall back to
their last two labels (tldts's implicit `*` rule).
"""

from __future__ import annotations

import functools
import ipaddress
import logging


@functools.cache
def _extractor():
    try:
        import tldextract
    except ImportError:  # the dependency is declared; degrade to the two-label rule if it is missing
        return None
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    # No network: use the snapshot bundled with tldextract, no cache directory.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def registrable_domain(host: str) -> str | None:
    host = (host or "").strip().rstrip(".").lower()
    if not host or is_ip(host) or "." not in host:
        return None
    ex = _extractor()
    if ex is not None:
        r = ex(host)
        if r.suffix:
            return f"{r.domain}.{r.suffix}" if r.domain else None
    labels = host.split(".")
    return ".".join(labels[-2:])


def is_public_suffix(domain: str) -> bool:
    domain = (domain or "").strip().rstrip(".").lower()
    ex = _extractor()
    if not domain or ex is None:
        return False
    r = ex(domain)
    return bool(r.suffix) and not r.domain
