"""The evaluation report: one self-contained HTML file with inline SVG charts (no scripts, fonts or CDNs).

Analysts would rather look than read, so the page shows, for each index (监管效能指数, 营商环境指数):

* **rankings** of the cities (all departments) and of the departments (province level) for the current month
  and year to date — bars, rank, change against the previous period;
* **trends**: the monthly composite of the province and every city, from every month stored so far;
* **worst indicators per department**: the lowest normalised scores of each department at province level;

then the indicators that could not be computed (absent sources) and the indicator definitions. The page is
rendered by :func:`render` from plain rows (a pure function, tested without Spark) and written by
:func:`write_report` to ``<lakehouse_root>/reports/evaluation/<date>/index.html``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as pads

from jianguan.evaluation.config import EvaluationConfig
from jianguan.evaluation.periods import period_containing
from jianguan.lake import LakeTable
from jianguan.settings import Settings

Row = Mapping[str, Any]
ALL = "ALL"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
           "#e6550d")  # fmt: skip
WORST_PER_DEPARTMENT = 3


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, as plain rows of the gold tables."""

    logical_date: date
    config: EvaluationConfig
    month_key: str
    year_key: str
    scores: Sequence[Row]
    """Score rows of the current month and year (all units)."""
    trend: Sequence[Row]
    """Monthly score rows of the province and cities (all departments), every stored month ≤ the current."""
    values: Sequence[Row]
    """Indicator value rows of the current month at province level (every department)."""
    notes: Mapping[str, str] = field(default_factory=dict)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return html.escape(str(value))


def _change(value: Any) -> str:
    if value is None:
        return '<span class="flat">—</span>'
    if value > 0:
        return (
            f'<span class="up">▲{value:g}</span>'
            if isinstance(value, int)
            else f'<span class="up">+{value:.1f}</span>'
        )
    if value < 0:
        return (
            f'<span class="down">▼{-value:g}</span>'
            if isinstance(value, int)
            else f'<span class="down">{value:.1f}</span>'
        )
    return '<span class="flat">0</span>'


def bar_chart(rows: Sequence[tuple[str, float | None]], *, title: str, width: int = 640) -> str:
    """Horizontal bars (0..100) with labels: one row per unit, best first."""
    bar_height, gap, label_width, top = 18, 6, 150, 24
    height = top + len(rows) * (bar_height + gap) + 10
    plot = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart bars" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{html.escape(title)}</title>',
        f'<text x="0" y="14" class="chart-title">{html.escape(title)}</text>',
    ]
    for tick in (0, 50, 100):
        x = label_width + plot * tick / 100
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 6}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{height}" class="tick">{tick}</text>')
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_height + gap)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 5}" class="label" text-anchor="end">'
            f"{html.escape(label)}</text>"
        )
        if value is not None:
            length = max(plot * min(max(value, 0.0), 100.0) / 100, 0.5)
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" class="bar">'
                f"<title>{html.escape(label)}: {value:.1f}</title></rect>"
            )
            parts.append(
                f'<text x="{label_width + length + 4:.1f}" y="{y + bar_height - 5}" class="value">{value:.1f}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    series: Mapping[str, Sequence[tuple[str, float | None]]],
    *,
    title: str,
    width: int = 640,
    height: int = 260,
) -> str:
    """One line per series over the period keys (x) on a 0..100 axis, with a legend."""
    keys = sorted({key for points in series.values() for key, _ in points})
    left, right, top, bottom = 40, 150, 24, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart lines" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{html.escape(title)}</title>',
        f'<text x="0" y="14" class="chart-title">{html.escape(title)}</text>',
    ]

    def x_of(key: str) -> float:
        return left + (plot_w * keys.index(key) / (len(keys) - 1) if len(keys) > 1 else plot_w / 2)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - min(max(value, 0.0), 100.0) / 100)

    for tick in (0, 25, 50, 75, 100):
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" class="tick" text-anchor="end">{tick}</text>')
    for key in keys:
        parts.append(
            f'<text x="{x_of(key):.1f}" y="{height - 10}" class="tick" text-anchor="middle">{html.escape(key)}</text>'
        )
    for i, (name, points) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        coords = [(x_of(k), y_of(v)) for k, v in sorted(points) if v is not None]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        legend_y = top + 14 * i
        parts.append(
            f'<rect x="{left + plot_w + 10}" y="{legend_y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + plot_w + 24}" y="{legend_y + 9}" class="legend">{html.escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _ranking_section(rows: Sequence[Row], *, title: str, label_key: str, rank_key: str, anchor: str) -> str:
    ranked = sorted(
        (r for r in rows if r.get(rank_key) is not None),
        key=lambda r: (r[rank_key], str(r.get(label_key))),
    )
    unranked = [r for r in rows if r.get(rank_key) is None]
    if not ranked and not unranked:
        return f'<section class="ranking" id="{anchor}"><h3>{html.escape(title)}</h3><p>无数据</p></section>'
    chart = bar_chart(
        [(str(r.get(label_key) or r.get("region_code")), r.get("composite_score")) for r in ranked],
        title=title,
    )
    body = "".join(
        f'<tr><td class="rank">{r[rank_key]}</td><td>{_fmt(r.get(label_key))}</td>'
        f"<td>{_fmt(r.get('composite_score'))}</td><td>{_change(r.get('composite_change'))}</td>"
        f"<td>{_change(r.get('rank_change_among_regions')) if rank_key == 'rank_among_regions' else ''}</td>"
        f"<td>{_fmt(r.get('weight_coverage'), 2)}</td></tr>"
        for r in ranked
    )
    body += "".join(
        f'<tr class="unranked"><td class="rank">—</td><td>{_fmt(r.get(label_key))}</td>'
        f"<td>{_fmt(r.get('composite_score'))}</td><td></td><td></td><td>{_fmt(r.get('weight_coverage'), 2)}</td></tr>"
        for r in unranked
    )
    return (
        f'<section class="ranking" id="{anchor}"><h3>{html.escape(title)}</h3>{chart}'
        "<table><thead><tr><th>排名</th><th>单位</th><th>综合得分</th><th>较上期</th><th>名次变化</th>"
        f"<th>权重覆盖</th></tr></thead><tbody>{body}</tbody></table></section>"
    )


def _trend_section(trend: Sequence[Row], index_code: str, title: str) -> str:
    series: dict[str, list[tuple[str, float | None]]] = {}
    ordered = sorted(
        (r for r in trend if r["index_code"] == index_code),
        key=lambda r: (r["region_level"] != "province", r["region_code"]),
    )
    for row in ordered:
        name = str(row.get("region_name_zh") or row["region_code"])
        series.setdefault(name, []).append((row["period_key"], row.get("composite_score")))
    if not series:
        return f'<section class="trend"><h3>{html.escape(title)}</h3><p>无数据</p></section>'
    return f'<section class="trend"><h3>{html.escape(title)}</h3>{line_chart(series, title=title)}</section>'


def _worst_section(values: Sequence[Row], config: EvaluationConfig, index_code: str) -> str:
    in_index = {i.id for i in config.indicators if i.index == index_code}
    by_department: dict[str, list[Row]] = {}
    for row in values:
        if (
            row["indicator_id"] in in_index
            and row.get("normalised_score") is not None
            and row["department_code"] != ALL
        ):
            by_department.setdefault(str(row["department_code"]), []).append(row)
    if not by_department:
        return '<section class="worst"><h3>各部门短板指标</h3><p>无数据</p></section>'
    lines = []
    for department in sorted(by_department):
        rows = sorted(by_department[department], key=lambda r: (r["normalised_score"], r["indicator_id"]))
        name = rows[0].get("department_name_zh") or department
        cells = "".join(
            f"<li>{_fmt(r.get('indicator_name_zh'))}：得分 {_fmt(r['normalised_score'])}，"
            f"值 {_fmt(r.get('value'), 3)}（{_fmt(r.get('numerator'), 0)} / {_fmt(r.get('denominator'), 0)}）</li>"
            for r in rows[:WORST_PER_DEPARTMENT]
        )
        lines.append(f"<tr><td>{_fmt(name)}</td><td><ul>{cells}</ul></td></tr>")
    return (
        '<section class="worst"><h3>各部门短板指标（省级，本月）</h3><table><thead><tr><th>部门</th>'
        f"<th>得分最低的指标</th></tr></thead><tbody>{''.join(lines)}</tbody></table></section>"
    )


def _definitions(config: EvaluationConfig) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(i.name_zh)}<br><code>{i.id}</code> v{i.version}</td><td>{html.escape(i.index)}</td>"
        f"<td>{html.escape(i.definition)}</td><td>{html.escape(i.numerator)} / {html.escape(i.denominator)}"
        f"{' × ' + format(i.scale, 'g') if i.scale != 1 else ''}</td><td>{'↑' if i.direction == 'higher_better' else '↓'}</td>"
        f"<td>{i.normalisation}</td><td>{i.weight:g}</td></tr>"
        for i in config.indicators
    )
    return (
        '<section id="definitions"><h2>指标定义</h2><table><thead><tr><th>指标</th><th>指数</th><th>定义</th>'
        "<th>分子 / 分母</th><th>方向</th><th>标准化</th><th>权重</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:19px;border-bottom:2px solid #1f77b4;padding-bottom:4px;margin-top:32px}
h3{font-size:16px}table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}th{background:#f0f4f8}
td.rank{text-align:center;font-weight:bold}.up{color:#2ca02c}.down{color:#d62728}.flat{color:#888}
.chart{display:block;margin:8px 0}.chart text{font-size:11px}.chart-title{font-weight:bold;font-size:12px}
.bar{fill:#1f77b4}.grid{stroke:#ddd}.tick{fill:#666}tr.unranked{color:#888}ul{margin:0;padding-left:18px}
.notes li{color:#a15c00}
"""


def render(data: ReportData) -> str:
    """The whole page as a string."""
    config = data.config
    sections = []
    for index in config.indices:
        parts = [
            f'<h2 id="index-{index.code}">{html.escape(index.name_zh)}</h2><p>{html.escape(index.description)}</p>'
        ]
        for period_key, label in ((data.month_key, "本月"), (data.year_key, "年度累计")):
            rows = [r for r in data.scores if r["index_code"] == index.code and r["period_key"] == period_key]
            cities = [r for r in rows if r["department_code"] == ALL and r["region_level"] == "prefecture"]
            parts.append(
                _ranking_section(
                    cities,
                    title=f"{index.name_zh} · 市级排名（全部部门）· {label} {period_key}",
                    label_key="region_name_zh",
                    rank_key="rank_among_regions",
                    anchor=f"ranking-{index.code}-cities-{period_key}",
                )
            )
            departments = [r for r in rows if r["department_code"] != ALL and r["region_level"] == "province"]
            parts.append(
                _ranking_section(
                    departments,
                    title=f"{index.name_zh} · 部门排名（省级）· {label} {period_key}",
                    label_key="department_name_zh",
                    rank_key="rank_among_departments",
                    anchor=f"ranking-{index.code}-departments-{period_key}",
                )
            )
        parts.append(_trend_section(data.trend, index.code, f"{index.name_zh} · 月度趋势"))
        parts.append(_worst_section(data.values, config, index.code))
        sections.append("".join(parts))
    notes = "".join(
        f"<li><code>{html.escape(k)}</code>：{html.escape(v)}</li>" for k, v in sorted(data.notes.items())
    )
    notes_html = f'<section class="notes"><h2>未能计算的指标</h2><ul>{notes}</ul></section>' if notes else ""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>监管效能评估与营商环境监测 {data.logical_date.isoformat()}</title><style>{STYLE}</style></head><body>"
        f"<h1>监管效能评估与营商环境监测报告</h1><p>逻辑日期 {data.logical_date.isoformat()} · 指标体系版本 "
        f"{html.escape(config.version)} · 本月 {data.month_key} · 年度 {data.year_key}</p>"
        f"{''.join(sections)}{notes_html}{_definitions(config)}</body></html>"
    )


def _read(path: Path, expression: pads.Expression) -> list[dict[str, Any]]:
    table = LakeTable(path)
    if not table.exists():
        return []
    return table.read(filter=expression).to_pylist()


def load_data(settings: Settings, logical_date: date, config: EvaluationConfig) -> ReportData:
    """The rows the page needs, read from the gold tables (delta-rs, no Spark)."""
    from jianguan.evaluation.job import SCORES_TABLE, VALUES_TABLE

    month = period_containing("month", logical_date, logical_date).key
    year = period_containing("year", logical_date, logical_date).key
    scores_path = settings.table_path("gold", SCORES_TABLE)
    current = pc.field("period_key").isin([month, year]) & pc.field("period_type").isin(["month", "year"])
    scores = _read(scores_path, current)
    trend = _read(
        scores_path,
        (pc.field("period_type") == "month")
        & (pc.field("period_key") <= month)
        & (pc.field("department_code") == ALL)
        & pc.field("region_level").isin(["province", "prefecture"]),
    )
    values = _read(
        settings.table_path("gold", VALUES_TABLE),
        (pc.field("period_type") == "month")
        & (pc.field("period_key") == month)
        & (pc.field("region_level") == "province"),
    )
    notes = {
        str(r["indicator_id"]): str(r["note"])
        for r in values
        if r.get("note") is not None and r["department_code"] == ALL
    }
    return ReportData(logical_date, config, month, year, scores, trend, values, notes)


def write_report(settings: Settings, logical_date: date, config: EvaluationConfig) -> Path:
    """Render the page for ``logical_date`` and write it under the lakehouse root; returns its path."""
    from jianguan.evaluation.job import report_path

    path = report_path(settings, logical_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render(load_data(settings, logical_date, config))
    temporary = path.with_suffix(".html.tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(path)
    return path
