"""Every file rendered from ``schemas/`` into the repository, and the drift check over them."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

from jianguan.spec.loader import Standard
from jianguan.spec.render.dbt_sources import render_all as render_dbt_sources
from jianguan.spec.render.expectations import bronze_batch_suite


def _without_ids(node: Any) -> Any:
    """GE gives every expectation a random id; the committed rendering must be deterministic."""
    if isinstance(node, dict):
        return {k: _without_ids(v) for k, v in node.items() if k not in {"id", "notes"}}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def render_suites(std: Standard, expectations_root: Path) -> dict[Path, str]:
    rendered: dict[Path, str] = {}
    for name in sorted(std.tables):
        suite = _without_ids(bronze_batch_suite(std, name).to_json_dict())
        text = json.dumps(suite, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
        rendered[expectations_root / "suites" / f"bronze__{name}__batch.json"] = text
    return rendered


def render_seeds(std: Standard, dbt_root: Path) -> dict[Path, str]:
    """dbt seeds whose data the project owns elsewhere:

    * the holiday calendar (``jianguan/data/holidays_cn.csv``, read by :class:`jianguan.calendar.WorkCalendar`)
      — one file, so dbt's SLA metrics and the jobs count the same days;
    * ``code_lists.csv`` — every code of ``schemas/codes/`` (list, code, label), which the staging models'
      accepted-codes tests check against.
    """
    holidays = resources.files("jianguan").joinpath("data/holidays_cn.csv").read_text(encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code_list", "code", "label_zh"])
    for name in sorted(std.codes):
        writer.writerows((name, code.code, code.label_zh) for code in std.codes[name].codes)
    return {
        dbt_root / "seeds" / "holidays_cn.csv": holidays,
        dbt_root / "seeds" / "code_lists.csv": buffer.getvalue(),
    }


def generated_files(std: Standard, project_root: Path) -> dict[Path, str]:
    return {
        **render_dbt_sources(std, project_root / "dbt_project"),
        **render_seeds(std, project_root / "dbt_project"),
        **render_suites(std, project_root / "expectations"),
    }


def write_generated(std: Standard, project_root: Path) -> list[Path]:
    """Write every generated file whose content changed; remove stale generated files. Returns changed paths."""
    wanted = generated_files(std, project_root)
    changed: list[Path] = []
    for path, text in wanted.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    for stale in _stale_generated(project_root, wanted):
        stale.unlink()
        changed.append(stale)
    return changed


def drifted_files(std: Standard, project_root: Path) -> list[Path]:
    """Generated files that are missing, differ from a fresh rendering, or are no longer generated."""
    wanted = generated_files(std, project_root)
    drifted = [p for p, text in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    return drifted + _stale_generated(project_root, wanted)


def _stale_generated(project_root: Path, wanted: dict[Path, str]) -> list[Path]:
    candidates = [
        *(project_root / "dbt_project" / "models" / "staging").glob("*/_*__sources.yml"),
        *(project_root / "dbt_project" / "models" / "staging").glob("*/_*__models.yml"),
        *(project_root / "dbt_project" / "models" / "staging").glob("*/stg_*.sql"),
        *(project_root / "expectations" / "suites").glob("bronze__*__batch.json"),
    ]
    return sorted(p for p in candidates if p not in wanted)
