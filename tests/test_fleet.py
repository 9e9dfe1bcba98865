"""Fleet mode without a queue: the sites CSV, the fleet config block, the task policy, the local pool
(idempotent per batch, bounded retries) and the ranking report. Real loopback sites, SQLite store."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.config import FleetConfig, load_config
from auditor.errors import ConfigError
from auditor.fleet import scan_all
from auditor.fleet import state as fleet_state
from auditor.fleet.policy import task_policy
from auditor.store import Store, StoredFinding
from reports.fleet.ranking import Cell, FleetRow, compliance_cell, headers_cell, rank_rows
from reports.policy import score
from tests.fleet_sites import closed_port_url, village_sites, write_sites_csv

# -- sites_file -----------------------------------------------------------------------------------


def _cfg(tmp: Path, body: str, csv_text: str | None = None, name: str = "sites.csv"):
    if csv_text is not None:
        (tmp / name).write_bytes(csv_text.encode("utf-8"))
    (tmp / "config.yaml").write_text(body)
    return load_config(tmp / "config.yaml")


def test_sites_file_merges_with_yaml_sites_and_reads_excel_exports(tmp_path):
    (tmp_path / "daftar").mkdir()
    (tmp_path / "daftar" / "katongan.yaml").write_text("items: []\n")
    csv_text = ("\ufeffName;URL;allowed_hosts;approved_content\n"  # Excel: BOM, `;`, capitalised header
                "katongan;https://katongan.desa.id/;cdn.desa.id, katongan.id;daftar/katongan.yaml\n"
                "\n"
                "#nglipar;https://nglipar.desa.id/;;\n"
                "kedungpoh;https://kedungpoh.desa.id/;;\n")
    cfg = _cfg(tmp_path, "sites:\n  - {name: induk, url: 'https://kab.go.id/'}\nsites_file: sites.csv\n", csv_text)
    assert [s.name for s in cfg.sites] == ["induk", "katongan", "kedungpoh"]
    kat = cfg.site("katongan")
    assert kat.allowed_hosts == ["cdn.desa.id", "katongan.id"]
    assert kat.approved_content == (tmp_path / "daftar" / "katongan.yaml").resolve()  # relative to the CSV


def test_sites_file_alone_is_enough(tmp_path):
    cfg = _cfg(tmp_path, "sites_file: sites.csv\n", "name,url\na,http://127.0.0.1:1/\nb,http://127.0.0.1:2/\n")
    assert [s.name for s in cfg.sites] == ["a", "b"]


@pytest.mark.parametrize("csv_text, message", [
    ("name,url\nok,https://a.desa.id/\nbad,ftp://b.desa.id/\n", "sites.csv:3: url: not an http(s) URL"),
    ("name,url\nok,https://a.desa.id/\nok,https://b.desa.id/\n", "sites.csv:3: name: duplicate site name 'ok'"),
    ("name,url,kabupaten\na,https://a.desa.id/,x\n", "sites.csv:1: unknown column 'kabupaten'"),
    ("name\na\n", "sites.csv:1: missing column(s) url"),
    ("name,url\n", "sites.csv: no site rows"),
    ("name,url\na b,https://a.desa.id/\n", "sites.csv:2: name: String should match pattern"),
    ("name,url\na,https://a.desa.id/,extra\n", "sites.csv:2: more cells than header columns"),
    ("name,url\ninduk,https://b.desa.id/\n", "sites.csv:2: name: duplicate site name 'induk'"),
])
def test_sites_file_errors_name_file_and_line(tmp_path, csv_text, message):
    with pytest.raises(ConfigError) as err:
        _cfg(tmp_path, "sites:\n  - {name: induk, url: 'https://kab.go.id/'}\nsites_file: sites.csv\n", csv_text)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_sites_file_missing_or_not_utf8(tmp_path):
    with pytest.raises(ConfigError, match="nope.csv: sites_file not found"):
        _cfg(tmp_path, "sites_file: nope.csv\n")
    (tmp_path / "latin.csv").write_bytes("name,url\nd\xe9sa,https://a.desa.id/\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="latin.csv: not UTF-8"):
        _cfg(tmp_path, "sites_file: latin.csv\n")


def test_fleet_block_is_validated(tmp_path):
    with pytest.raises(ConfigError, match="fleet.queue: not a redis:// URL"):
        _cfg(tmp_path, "sites: [{name: a, url: 'https://a.desa.id/'}]\nfleet: {queue: 'amqp://x/'}\n")
    with pytest.raises(ConfigError, match="fleet.retriez: unknown key"):
        _cfg(tmp_path, "sites: [{name: a, url: 'https://a.desa.id/'}]\nfleet: {retriez: 1}\n")
    cfg = _cfg(tmp_path, "sites: [{name: a, url: 'https://a.desa.id/'}]\n"
                         "fleet: {queue: 'redis://127.0.0.1:6379/2', concurrency: 8}\n")
    assert cfg.fleet.queue.endswith("/2") and cfg.fleet.concurrency == 8


# -- task policy ----------------------------------------------------------------------------------


def test_policy_limits_and_backoff_are_bounded():
    p = task_policy(FleetConfig(task_time_limit_s=600, retries=4, retry_backoff_s=10, retry_backoff_max_s=60))
    assert p.soft_limit_s < p.hard_limit_s < p.lease_s
    assert p.visibility_timeout_s > p.hard_limit_s + p.backoff_max_s  # never redelivered while still legal
    rng = random.Random(7)
    for attempt in range(8):
        base = min(60, 10 * 2 ** attempt)
        waits = [p.backoff(attempt, rng) for _ in range(50)]
        assert all(base / 2 <= w <= base for w in waits)
        assert len(set(waits)) > 1  # jitter: sites that failed together do not come back together
    odd = task_policy(FleetConfig(task_time_limit_s=5, task_soft_time_limit_s=9))
    assert odd.soft_limit_s < odd.hard_limit_s


# -- local pool -----------------------------------------------------------------------------------


def _local_config(tmp: Path, servers, *, retries: int = 1) -> Path:
    write_sites_csv(tmp / "sites.csv", servers, extra=[("desa-mati", closed_port_url())])
    (tmp / "config.yaml").write_text(f"""
sites_file: sites.csv
storage: {{database: var/fleet.sqlite}}
checks: {{enabled: [links, headers]}}
crawl: {{max_pages: 10, timeout_s: 3}}
reports: {{organisation: Diskominfo Kabupaten Contoh, output_dir: out}}
fleet: {{concurrency: 3, retries: {retries}, retry_backoff_s: 0.1, retry_backoff_max_s: 0.2}}
""")
    return tmp / "config.yaml"


def test_local_pool_audits_every_site_once_and_bounds_retries(tmp_path, capsys):
    with village_sites(8) as servers:
        cfg = load_config(_local_config(tmp_path, servers, retries=2))
        code = scan_all(cfg, cfg.database_path, None, batch="b1", lang="en")
        out = capsys.readouterr()
        assert code == 3  # one site unreachable after its retries
        assert "unreachable" in out.out and "connection refused" in out.out
        store = Store(cfg.database_path)
        runs = store.runs(batch="b1", status=None)
        by_site: dict[str, list[str]] = {}
        for r in runs:
            by_site.setdefault(r.site, []).append(r.status)
        assert {s: v for s, v in by_site.items() if s != "desa-mati"} == {
            f"desa-{i:03d}": ["complete"] for i in range(8)}
        assert by_site["desa-mati"] == ["failed"] * 3  # 1 + retries, then given up
        tasks = {r["site"]: r for r in fleet_state.batch_tasks(store, "b1")}
        assert tasks["desa-mati"]["status"] == "failed" and tasks["desa-mati"]["attempts"] == 3

        # the same batch again is a no-op: nothing is audited twice
        hits = sum(s.stats["requests"] for s in servers)
        assert scan_all(cfg, cfg.database_path, None, batch="b1", quiet=True) == 3
        assert len(store.runs(batch="b1", status=None)) == len(runs)
        assert sum(s.stats["requests"] for s in servers) == hits
        # a new batch audits again, and --fail-on sees the stored findings (links: broken link = low)
        from checks.base import Severity
        assert scan_all(cfg, cfg.database_path, None, batch="b2", quiet=True, fail_on=Severity.LOW,
                        site_names=["desa-001", "desa-002"]) == 1
        assert scan_all(cfg, cfg.database_path, None, batch="b3", quiet=True, fail_on=Severity.HIGH,
                        site_names=["desa-001", "desa-002"]) == 0
        store.close()


def test_scan_all_arguments(tmp_path):
    import argparse

    from auditor.fleet import scan_all_args

    def ns(**kw):
        base = {"all": True, "queue": None, "site": None, "json": None, "sarif": None, "quiet": True,
                "fail_on": None}
        return argparse.Namespace(**{**base, **kw})

    with village_sites(2) as servers:
        write_sites_csv(tmp_path / "sites.csv", servers)
        (tmp_path / "config.yaml").write_text("sites_file: sites.csv\nstorage: {database: db.sqlite}\n"
                                              "checks: {enabled: [links]}\n")
        cfg = load_config(tmp_path / "config.yaml")
        for bad, msg in ((ns(all=False, queue="redis://127.0.0.1:1/0"), "--queue needs --all"),
                         (ns(site="desa-000"), "--all and --site"), (ns(json="f.json"), "--json"),
                         (ns(queue=""), "set fleet.queue")):
            with pytest.raises(ConfigError, match=msg):
                scan_all_args(bad, cfg, None, "id")
        assert scan_all_args(ns(), cfg, None, "id") == 0  # no --queue: the local pool
        assert len(Store(cfg.database_path).runs(status="complete")) == 2


def test_hard_time_limit_closes_the_claim_from_the_worker_main_process(tmp_path):
    """Celery calls `on_failure` in the worker's main process after a hard limit killed the pool child."""
    from celery.exceptions import TimeLimitExceeded

    from auditor.fleet.celery_app import TASK_NAME, configure_worker, make_app
    from auditor.fleet.policy import celery_owner

    (tmp_path / "config.yaml").write_text("sites: [{name: a, url: 'http://127.0.0.1:9/'}]\n"
                                          "storage: {database: db.sqlite}\nfleet: {task_time_limit_s: 7}\n")
    cfg = load_config(tmp_path / "config.yaml")
    st = configure_worker(cfg, cfg.database_path)
    store = st.store()
    fleet_state.create_batch(store, "b", ["a"], None)
    assert fleet_state.claim_task(store, "b", "a", celery_owner("t-1"), 60)[0] == "claimed"
    task = make_app("redis://127.0.0.1:9/0", st.policy).tasks[TASK_NAME]
    task.on_failure(ValueError("not a time limit"), "t-1", ("b", {"name": "a"}), {}, None)
    assert fleet_state.batch_tasks(store, "b")[0]["status"] == "running"
    task.on_failure(TimeLimitExceeded(7), "t-1", ("b", {"name": "a"}), {}, None)
    row = fleet_state.batch_tasks(store, "b")[0]
    assert row["status"] == "timeout" and "hard time limit (7 s)" in row["error"]
    assert fleet_state.claim_task(store, "b", "a", celery_owner("t-1"), 60) == ("timeout", None)  # final: not redone
    store.close()


def test_unreachable_queue_is_one_clear_line(tmp_path):
    from tests.fleet_sites import free_port

    (tmp_path / "config.yaml").write_text("sites: [{name: a, url: 'http://127.0.0.1:9/'}]\n"
                                          "storage: {database: db.sqlite}\n")
    url = f"redis://:rahasia@127.0.0.1:{free_port()}/0"  # nothing listens; the password is never shown
    from auditor.fleet.dispatch import QueueError

    cfg = load_config(tmp_path / "config.yaml")
    with pytest.raises(QueueError) as err:
        scan_all(cfg, cfg.database_path, url, quiet=True)
    assert "cannot send the batch to redis://***@127.0.0.1:" in str(err.value)
    assert "rahasia" not in str(err.value) and err.value.exit_code == 2


# -- ranking --------------------------------------------------------------------------------------


def _row(name: str, sevs, scored=True) -> FleetRow:
    na = Cell("—", "na")
    return FleetRow(name, f"https://{name}.desa.id/", score(sevs, scored=scored), 1, None, na, na, na, na, na)


def test_ranking_orders_by_score_shares_ties_and_puts_unscanned_last():
    from checks.base import Severity as S
    rows = rank_rows([_row("c", [S.HIGH]), _row("z", [], scored=False), _row("a", []), _row("b", [S.HIGH]),
                      _row("d", [S.CRITICAL])])
    assert [(r.site, r.rank) for r in rows] == [("a", 1), ("b", 2), ("c", 2), ("d", 4), ("z", None)]


def test_ranking_cells_follow_the_tables():
    def t(key, **kw):
        return key

    from checks.facts import HeadersFacts

    assert headers_cell([], HeadersFacts(grade={"grade": "A+", "score": 105}), True, t) == Cell("A+ (105)", "ok")
    assert headers_cell([], HeadersFacts(grade={"grade": "F", "score": 0}), True, t).level == "bad"
    assert headers_cell([], HeadersFacts(grade={"error": "x"}), False, t) == Cell("—", "na")
    assert compliance_cell(0.9, True, t, lambda v: f"{v:.0%}") == Cell("90%", "ok")
    assert compliance_cell(0.5, True, t, str).level == "warn"
    assert compliance_cell(None, True, t, str) == Cell("cell_no_list", "na")


def test_report_fleet_ranks_every_site_html_and_pdf(tmp_path, capsys):
    with village_sites(6) as servers:
        cfg_path = _local_config(tmp_path, servers, retries=0)
        cfg = load_config(cfg_path)
        assert scan_all(cfg, cfg.database_path, None, quiet=True) == 3
        store = Store(cfg.database_path)
        month = store.runs(site="desa-000")[0].started.strftime("%Y-%m")
        store.close()
    res = subprocess.run([sys.executable, "-m", "auditor", "report", "fleet", "--config", str(cfg_path),
                          "--month", month, "--lang", "en"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    paths = [Path(p) for p in res.stdout.split()]
    assert sorted(p.suffix for p in paths) == [".html", ".pdf"]
    html = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert paths[-1].read_bytes()[:5] == b"%PDF-" or paths[0].read_bytes()[:5] == b"%PDF-"
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 7
    # even sites send security headers, odd ones do not: every even site ranks above every odd one
    order = [next(n for n in [f"desa-{i:03d}" for i in range(6)] + ["desa-mati"] if n in r) for r in rows]
    evens = [order.index(f"desa-{i:03d}") for i in (0, 2, 4)]
    odds = [order.index(f"desa-{i:03d}") for i in (1, 3, 5)]
    assert max(evens) < min(odds)
    assert order[-1] == "desa-mati" and "Not assessed" in rows[-1]
    from auditor.cli import main
    assert main(["report", "fleet", "--config", str(cfg_path), "--month", "2026-13"]) == 2
    assert "--month 2026-13" in capsys.readouterr().err


def test_fleet_cell_names_the_worst_severity_in_the_report_language() -> None:
    from checks.base import Finding, Severity
    from reports.fleet.ranking import count_cell
    from reports.fleet.render import translator

    found = [StoredFinding("r1", Finding(check="tls", rule="tls.cert.expired", severity=sev, title="x"), fp, "new")
             for sev, fp in ((Severity.LOW, "a"), (Severity.HIGH, "b"))]
    assert count_cell(found, True, translator("id")).text == "2 temuan (tinggi)"
    assert count_cell(found, True, translator("en")).text == "2 finding(s) (high)"
    assert count_cell([], False, translator("id")).text == "—"
