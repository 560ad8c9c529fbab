"""The batch gate's stored validation results and the GE data-docs site built from them (no Spark)."""

from __future__ import annotations

import json
import shutil
import socket
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jianguan.ingest.data_docs import build_data_docs
from jianguan.ingest.file_ingest import FileOutcome
from jianguan.ingest.gate import validation_file
from jianguan.ingest.run import ingest_path
from jianguan.lake.maintenance import refresh_data_docs
from jianguan.settings import Settings
from tests.sim_helpers import lakehouse_settings, simulate_tiny

DAY = date(2026, 11, 2)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("data_docs")
    settings = lakehouse_settings(root)
    simulate_tiny(settings.landing_root, settings.truth_root, start=DAY, days=1, seed=7)
    return settings


@pytest.fixture(scope="module")
def outcome(settings: Settings) -> FileOutcome:
    """One small file (行政强制 of the market regulator) ingested, so its batch went through the gate."""
    (path,) = (settings.landing_root / "dept_samr" / DAY.isoformat()).glob("xzqz_*.jsonl")
    result = ingest_path(settings, path)
    assert result.status == "loaded" and result.rows_loaded and result.table
    return result


def _stored(settings: Settings, outcome: FileOutcome) -> Path:
    assert outcome.table is not None
    return validation_file(settings.resolved_lakehouse_root, outcome.table, outcome.batch_id)


def _site_files(index: Path) -> set[str]:
    return {str(p.relative_to(index.parent)) for p in index.parent.rglob("*") if p.is_file()}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_gate_stores_its_full_validation_result(settings: Settings, outcome: FileOutcome) -> None:
    path = _stored(settings, outcome)
    assert path.parent == settings.resolved_lakehouse_root / "_quality" / "validations" / outcome.table
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["batch_id"] == outcome.batch_id and record["table"] == outcome.table
    assert record["logical_date"] == DAY.isoformat() and record["source_file"] == outcome.source_file
    result = record["validation_result"]
    assert result["suite_name"] == f"bronze__{outcome.table}__batch" == record["suite"]["name"]
    assert result["success"] == outcome.gate_success == record["success"]
    assert result["statistics"]["evaluated_expectations"] == len(result["results"]) > 0
    assert len(record["suite"]["expectations"]) == len(result["results"])

    # A rerun of the same batch replaces its file instead of adding one.
    again = ingest_path(settings, settings.landing_root / outcome.source_file, force=True)
    assert again.batch_id == outcome.batch_id
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert json.loads(path.read_text(encoding="utf-8"))["validated_at"] >= record["validated_at"]


@pytest.mark.usefixtures("no_network")
def test_data_docs_site_lists_the_stored_validations(settings: Settings, outcome: FileOutcome) -> None:
    root = settings.resolved_lakehouse_root
    suite = f"bronze__{outcome.table}__batch"
    index = build_data_docs(root)
    assert index == root / "data_docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    page_name = _stored(settings, outcome).stem + ".html"
    (page,) = (index.parent / "validations" / suite / DAY.isoformat()).glob(f"*/{page_name}")
    assert f"validations/{suite}/{DAY.isoformat()}/{page.parent.name}/{page_name}" in html
    assert f"expectations/{suite}.html" in html
    assert (index.parent / "expectations" / f"{suite}.html").is_file()
    assert f"'asset_name': '{outcome.table}'" in html
    text = page.read_text(encoding="utf-8")
    assert outcome.batch_id in text and outcome.source_file in text

    first = _site_files(index)
    assert build_data_docs(root) == index
    assert _site_files(index) == first  # same stored results, same site
    assert not list((root / "_quality").glob("data_docs.*")), "staging folders are cleaned up"


@pytest.mark.usefixtures("no_network")
def test_site_keeps_only_the_latest_results_per_table(settings: Settings, outcome: FileOutcome) -> None:
    root = settings.resolved_lakehouse_root
    stored = _stored(settings, outcome)
    record = json.loads(stored.read_text(encoding="utf-8"))
    later_id = outcome.batch_id.replace(DAY.isoformat(), "2026-11-03")
    later = validation_file(root, record["table"], later_id)
    later.write_text(
        json.dumps(
            {
                **record,
                "batch_id": later_id,
                "logical_date": "2026-11-03",
                "validated_at": "2026-11-03T20:00:00+00:00",
            }
        ),
        encoding="utf-8",
    )
    broken = later.with_name(later.name.replace("2026-11-03", "2026-11-04"))
    broken.write_text("{not json", encoding="utf-8")  # newest, unreadable: skipped, not counted
    try:
        index = build_data_docs(root, keep=1)
        pages = {p.name for p in (index.parent / "validations").rglob("*.html")}
        assert pages == {later.stem + ".html"}
        assert stored.exists(), "the stored results themselves are kept"
        both = build_data_docs(root, keep=2)
        assert {p.name for p in (both.parent / "validations").rglob("*.html")} == {
            later.stem + ".html",
            stored.stem + ".html",
        }
    finally:
        later.unlink()
        broken.unlink()
    with pytest.raises(ValueError, match="keep"):
        build_data_docs(root, keep=0)


def test_cli_command_prints_the_index(
    settings: Settings,
    outcome: FileOutcome,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jianguan.cli import main

    monkeypatch.setenv("JIANGUAN_LAKEHOUSE_ROOT", str(settings.resolved_lakehouse_root))
    capsys.readouterr()
    assert main(["lake", "data-docs"]) == 0
    index = settings.resolved_lakehouse_root / "data_docs" / "index.html"
    assert capsys.readouterr().out.strip() == str(index)
    assert main(["lake", "data-docs", "--keep", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"index": str(index), "keep": 5}
    assert main(["lake", "data-docs", "--keep", "0"]) == 2


def test_maintenance_refreshes_the_site_and_survives_its_failure(
    settings: Settings,
    outcome: FileOutcome,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Maintenance (the maintain__lakehouse DAG, `jianguan lake maintain`): the tables, then the site refresh,
    whose failure is reported without failing the maintenance of the tables."""
    from jianguan.cli import main

    root = settings.resolved_lakehouse_root
    shutil.rmtree(root / "data_docs", ignore_errors=True)
    assert refresh_data_docs(settings) == {"index": str(root / "data_docs" / "index.html")}
    assert (root / "data_docs" / "index.html").is_file()

    def broken(*args: Any, **kwargs: Any) -> Path:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr("jianguan.ingest.data_docs.build_data_docs", broken)
    assert refresh_data_docs(settings) == {"index": None, "error": "RuntimeError: renderer exploded"}
    monkeypatch.setenv("JIANGUAN_LAKEHOUSE_ROOT", str(root))
    capsys.readouterr()
    assert main(["lake", "maintain", "--json"]) == 0  # the tables are maintained all the same
    printed = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in printed["tables"]} >= {outcome.table, "ingestion_log"}
    assert printed["data_docs"] == {"index": None, "error": "RuntimeError: renderer exploded"}

    empty = refresh_data_docs(Settings(lakehouse_root=tmp_path / "empty"))
    assert empty["index"] is None and "skipped" in empty
