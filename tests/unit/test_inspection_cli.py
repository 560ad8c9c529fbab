"""`jianguan inspections verify`: exit 0 for a published draw that re-derives, 1 when it does not."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from jianguan.errors import JianguanError
from jianguan.inspection import cli, synthetic
from jianguan.inspection.draw import draw
from jianguan.inspection.plans import load_config
from jianguan.inspection.publish import LAYER, SNAPSHOTS, publish
from jianguan.lake import LakeTable
from jianguan.settings import Settings


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="jianguan")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_verify_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(lakehouse_root=tmp_path / "lakehouse")
    prov = synthetic.province(300, seed=21)
    result = draw(
        synthetic.plan_for(prov, class_ratios={"D": 0.9}), load_config(), prov.entities, prov.officers
    )
    publish(settings, [result], [], published_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))

    args = _parse(["inspections", "verify", result.draw_id])
    assert args.handler(args, settings) == 0
    assert "VERIFIED" in capsys.readouterr().out

    snapshots = LakeTable(settings.table_path(LAYER, SNAPSHOTS))
    officer = snapshots.read(filter=pc.field("row_kind") == "officer").to_pylist()[0]
    # A forged officer appended to the snapshot (append-only tables allow appends) breaks the recorded hash.
    forged = {
        **officer,
        "candidate_key": "ZF-FORGED",
        "payload": officer["payload"].replace(officer["candidate_key"], "ZF-FORGED"),
    }
    snapshots.append(pa.Table.from_pylist([forged], schema=snapshots.schema()))
    args = _parse(["inspections", "verify", result.draw_id])
    assert args.handler(args, settings) == 1
    assert "MISMATCH" in capsys.readouterr().out

    args = _parse(["inspections", "verify", "P-UNKNOWN-000000000000"])
    with pytest.raises(JianguanError):  # the CLI turns it into exit code 2 with the message
        args.handler(args, settings)
