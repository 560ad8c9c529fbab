from __future__ import annotations

import re
from pathlib import Path

import pytest

from jianguan.settings import PROJECT_ROOT, Settings


def test_every_setting_is_listed_in_env_example() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?JIANGUAN_([A-Z_]+)=", text, flags=re.MULTILINE))
    assert listed == {name.upper() for name in Settings.model_fields}


def test_settings_come_from_jianguan_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JIANGUAN_LAKEHOUSE_ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("JIANGUAN_SPARK_SHUFFLE_PARTITIONS", "3")
    settings = Settings()
    assert settings.spark_shuffle_partitions == 3
    assert (
        settings.table_path("bronze", "penalties") == (tmp_path / "lake" / "bronze" / "penalties").resolve()
    )


def test_invalid_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIANGUAN_SPARK_SHUFFLE_PARTITIONS", "0")
    with pytest.raises(ValueError, match="spark_shuffle_partitions"):
        Settings()
