"""Bundled, dated data (release/EOL facts and the JS vulnerability repository), the user's refreshed copy,
and `data update`.

The package ships `data/software.json` and `data/jsrepo.json` (+ `jsrepo.meta.json`). `ppid-audit data
update` writes refreshed copies to the user data directory (never into the installed package); the
check uses whichever copy of each file is newer by its `as_of` date.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from checks.software.jslibs import JsRepo, looks_like_jsrepo, trim

BUNDLED_DIR = Path(__file__).resolve().parent / "data"
ENV_DATA_DIR = "PPID_AUDIT_DATA_DIR"
STALE_AFTER_DAYS = 90
SOFTWARE_FILE = "software.json"
JSREPO_FILE = "jsrepo.json"
JSREPO_META_FILE = "jsrepo.meta.json"


class DataError(Exception):
    """A data file is missing, unreadable or of the wrong shape."""


def user_data_dir(configured: str | Path | None = None, base_dir: Path | None = None) -> Path:
    if configured:
        p = Path(configured).expanduser()
        return p if p.is_absolute() or base_dir is None else base_dir / p
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "ppid-auditor" / "software"


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None


def validate_software(data: Any, source: str = "software data") -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("products"), dict):
        raise DataError(f"{source}: not a software data file (needs `products`)")
    if _parse_date(data.get("as_of")) is None:
        raise DataError(f"{source}: `as_of` must be a date (YYYY-MM-DD)")
    for name, prod in data["products"].items():
        if not isinstance(prod, dict) or "category" not in prod:
            raise DataError(f"{source}: products.{name}: needs `category`")
        for i, cyc in enumerate(prod.get("cycles") or []):
            if not isinstance(cyc, dict) or not isinstance(cyc.get("cycle"), str):
                raise DataError(f"{source}: products.{name}.cycles.{i}: needs a string `cycle`")
    return data


@dataclass
class DataFile:
    name: str
    as_of: date
    path: Path
    source: str


@dataclass
class SoftwareData:
    products: dict[str, Any]
    jsrepo: JsRepo
    files: list[DataFile] = field(default_factory=list)

    @property
    def oldest(self) -> date:
        return min(f.as_of for f in self.files)

    def age_days(self, now: datetime) -> int:
        return (now.astimezone(UTC).date() - self.oldest).days

    def stale(self, now: datetime) -> bool:
        return self.age_days(now) > STALE_AFTER_DAYS

    def describe(self) -> list[dict[str, Any]]:
        return [{"file": f.name, "as_of": f.as_of.isoformat(), "path": str(f.path), "source": f.source}
                for f in self.files]


def _candidates(name: str, user_dir: Path | None) -> list[Path]:
    paths = [BUNDLED_DIR / name]
    if user_dir is not None and (user_dir / name).is_file():
        paths.append(user_dir / name)
    return paths


def _newest_software(user_dir: Path | None) -> tuple[dict[str, Any], DataFile]:
    best: tuple[dict[str, Any], DataFile] | None = None
    for path in _candidates(SOFTWARE_FILE, user_dir):
        try:
            data = validate_software(_read_json(path), str(path))
        except DataError:
            if path.parent == BUNDLED_DIR:
                raise
            continue  # a broken user copy falls back to the bundled one
        as_of = _parse_date(data["as_of"])
        assert as_of is not None
        if best is None or as_of > best[1].as_of:
            src = "; ".join(sorted({u for v in (data.get("sources") or {}).values() for u in v}))[:300]
            best = (data, DataFile(SOFTWARE_FILE, as_of, path, src))
    assert best is not None
    return best


def _newest_jsrepo(user_dir: Path | None) -> tuple[dict[str, Any], DataFile]:
    best: tuple[dict[str, Any], DataFile] | None = None
    for path in _candidates(JSREPO_FILE, user_dir):
        try:
            data = _read_json(path)
            meta = _read_json(path.with_name(JSREPO_META_FILE))
            as_of = _parse_date(meta.get("as_of")) if isinstance(meta, dict) else None
            if not looks_like_jsrepo(data) or as_of is None:
                raise DataError(f"{path}: not a retire.js repository with a dated {JSREPO_META_FILE}")
        except DataError:
            if path.parent == BUNDLED_DIR:
                raise
            continue
        if best is None or as_of > best[1].as_of:
            best = (data, DataFile(JSREPO_FILE, as_of, path, str(meta.get("source", ""))))
    assert best is not None
    return best


_REPO_CACHE: dict[tuple[str, float], JsRepo] = {}


def load_data(user_dir: Path | None = None) -> SoftwareData:
    soft, soft_file = _newest_software(user_dir)
    repo, repo_file = _newest_jsrepo(user_dir)
    # Compiling ~200 patterns costs a second; scans of several sites in one process share it.
    key = (str(repo_file.path), repo_file.path.stat().st_mtime)
    if key not in _REPO_CACHE:
        _REPO_CACHE.clear()
        _REPO_CACHE[key] = JsRepo(repo)
    return SoftwareData(soft["products"], _REPO_CACHE[key], [soft_file, repo_file])


# -- update -----------------------------------------------------------------------------------------

def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # atomic: a scan never reads a half-written file


def import_data(raw: Any, origin: str, user_dir: Path, today: date) -> list[str]:
    """Store `raw` (a software data file, a retire.js repository, or a bundle of both) in `user_dir`.

    Returns one line per file written. A bundle is `{"software": {...}, "jsrepo": {...},
    "jsrepo_meta": {...}}`. A bare retire.js repository is dated `today` (it carries no date)."""
    written: list[str] = []
    if isinstance(raw, dict) and ("software" in raw or "jsrepo" in raw) and "products" not in raw:
        if "software" in raw:
            written += import_data(raw["software"], origin, user_dir, today)
        if "jsrepo" in raw:
            meta = raw.get("jsrepo_meta") if isinstance(raw.get("jsrepo_meta"), dict) else {}
            written += _import_jsrepo(raw["jsrepo"], origin, user_dir, today, meta)
        return written
    if isinstance(raw, dict) and "products" in raw:
        data = validate_software(raw, origin)
        _write_json(user_dir / SOFTWARE_FILE, data)
        return [f"{SOFTWARE_FILE}: {len(data['products'])} products, as of {data['as_of']} ({origin})"]
    if looks_like_jsrepo(raw):
        return _import_jsrepo(raw, origin, user_dir, today, {})
    raise DataError(f"{origin}: neither software release data nor a retire.js repository")


def _import_jsrepo(raw: Any, origin: str, user_dir: Path, today: date, meta: dict[str, Any]) -> list[str]:
    if not looks_like_jsrepo(raw):
        raise DataError(f"{origin}: not a retire.js repository")
    repo = trim(raw)
    if not repo:
        raise DataError(f"{origin}: none of the libraries we detect are in this repository")
    as_of = _parse_date(meta.get("as_of")) or today
    _write_json(user_dir / JSREPO_FILE, repo)
    _write_json(user_dir / JSREPO_META_FILE, {
        "kind": "jsrepo", "format": "retire.js repository v5", "as_of": as_of.isoformat(),
        "source": meta.get("source") or origin, "license": meta.get("license") or
        "retire.js repository: Apache-2.0 (see the bundled NOTICE.md)", "trimmed": "LIBRARIES"})
    return [f"{JSREPO_FILE}: {len(repo)} libraries, as of {as_of.isoformat()} ({origin})"]
