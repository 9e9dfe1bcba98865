"""The checks' key-value cache in the store (`check_cache`, `Store.check_cache()`), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.store import MIGRATIONS, Store
from tests.pg import fresh_database, postgres_server


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "c.sqlite")
    return fresh_database(request.getfixturevalue("pg_url"), f"c_{abs(hash(request.node.name)) % 10**8}")


def test_cache_round_trip_and_overwrite_and_reopen(db_url):
    store = Store(db_url)
    try:
        assert store.schema_version == len(MIGRATIONS)
        cache = store.check_cache()
        assert cache.get("ocr.v1", "abc:0") is None
        cache.put("ocr.v1", "abc:0", '{"text": "NIK", "confidence": 91}')
        cache.put("ocr.v1", "abc:0", '{"text": "NIK 2", "confidence": 92}')
        cache.put("other", "abc:0", "x")
        assert cache.get("ocr.v1", "abc:0") == '{"text": "NIK 2", "confidence": 92}'
        assert cache.get("other", "abc:0") == "x"
    finally:
        store.close()
    store = Store(db_url)
    try:
        assert store.check_cache().get("ocr.v1", "abc:0") == '{"text": "NIK 2", "confidence": 92}'
    finally:
        store.close()
