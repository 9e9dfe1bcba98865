"""Replay recorded OpenSID responses (tests/fixtures/opensid/<release>/, made by scripts/record-opensid.py)
on a loopback server, so CI tests run against what a real OpenSID sent without a copy of OpenSID.

`variant="apache"` serves the responses of the apache-style front end (htaccess.txt's deny rules
applied); `variant="nginx"` replaces those with the nginx-style entries where recorded (desa/app_key,
desa/config/database.php and stored documents served as files). Paths never recorded get the recorded
answer for a path that does not exist (OpenSID's own 404 page), as the live site would. The recorded
origin (`http://127.0.0.1:PORT` at recording time) is replaced by the replay server's own in bodies and
headers, so absolute links and /ppid document URLs point back at the replay.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.servers import LoopbackServer, serve

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "opensid"
NOT_FOUND_PATH = "/ppid-audit-not-found.php"


@dataclass
class Recording:
    dir: Path
    manifest: dict[str, Any]

    @property
    def release(self) -> str:
        return self.manifest["release"]

    @property
    def theme(self) -> str:
        return self.manifest["theme"]

    def entry(self, path: str, variant: str = "apache") -> dict[str, Any] | None:
        found = None
        for e in self.manifest["entries"]:
            if e["path"] == path and e["variant"] in ("apache", variant):
                found = e if found is None or e["variant"] == variant else found
        return found

    def body(self, entry: dict[str, Any]) -> bytes:
        raw = (self.dir / entry["body"]).read_bytes()
        return gzip.decompress(raw) if entry["body"].endswith(".gz") else raw


def recordings() -> list[Recording]:
    return [load(p.parent) for p in sorted(FIXTURES.glob("*/manifest.json"))]


def load(path: Path | str) -> Recording:
    d = Path(path)
    if not d.is_absolute():
        d = FIXTURES / d
    return Recording(d, json.loads((d / "manifest.json").read_text(encoding="utf-8")))


def _rewrite(data: bytes, origins: list[str], own: str) -> bytes:
    for origin in origins:
        data = data.replace(origin.encode(), own.encode())
        data = data.replace(origin.replace("/", "\\/").encode(), own.replace("/", "\\/").encode())
    return data


@contextmanager
def replay(rec: Recording, variant: str = "apache") -> Iterator[LoopbackServer]:
    origins = [o for o in (rec.manifest["origin"], rec.manifest.get("nginx_origin")) if o]
    own: dict[str, str] = {}
    not_found = rec.entry(NOT_FOUND_PATH)

    def respond(entry: dict[str, Any]):
        body = _rewrite(rec.body(entry), origins, own["origin"])
        headers = [(k, _rewrite(v.encode("latin-1", "replace"), origins, own["origin"]).decode("latin-1"))
                   for k, v in entry["headers"]]
        return entry["status"], headers, body

    def route(handler):
        # php -S sends no Server header; Python's would be mistaken for the site's own.
        handler.server_version, handler.sys_version = "", ""
        target = handler.path
        entry = rec.entry(target, variant) or rec.entry(urlsplit(target).path, variant)
        if entry is None:
            if not_found is None:
                return 404, {"Content-Type": "text/html"}, b"not found"
            return respond(not_found)
        return respond(entry)

    with serve({}, default=route) as srv:
        own["origin"] = srv.url.rstrip("/")
        yield srv
