"""One settings object, read from ``JIANGUAN_*`` environment variables at the edges only.

Code below an entrypoint receives a :class:`Settings` (or the paths it needs) as an argument; it never reads the
environment itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (``jobs/jianguan`` lives two levels below it)."""


class Settings(BaseSettings):
    """Settings of one process. Every key is listed, with its default, in ``.env.example``."""

    model_config = SettingsConfigDict(env_prefix="JIANGUAN_", env_file=None, extra="ignore")

    lakehouse_root: Path = Field(default=Path("./lakehouse"), description="root of the Delta tables")
    landing_root: Path = Field(default=Path("./landing"), description="where source files land")
    export_root: Path = Field(default=Path("./exports"), description="national export batches")
    truth_root: Path = Field(
        default=Path("./ground_truth"), description="simulator ground truth (never read by the pipeline)"
    )
    schemas_root: Path = Field(default=PROJECT_ROOT / "schemas", description="the data standard as YAML")
    province_code: str = Field(default="420000", description="GB/T 2260 code of the province")
    spark_master: str = Field(default="local[*]", description="Spark master URL")
    spark_driver_memory: str = Field(default="4g", description="Spark driver memory")
    spark_shuffle_partitions: int = Field(default=4, ge=1, description="spark.sql.shuffle.partitions")
    delta_jars_dir: Path | None = Field(
        default=None,
        description="folder with delta-spark jars; when set, Spark uses the native Delta connector",
    )
    dbt_target: Literal["local", "cluster"] = Field(
        default="local",
        description="dbt target: local (in-process session, offline delta) or cluster (Spark Thrift Server)",
    )
    dbt_thrift_host: str = Field(
        default="localhost", description="Spark Thrift Server host (dbt target cluster)"
    )
    dbt_thrift_port: int = Field(default=10000, ge=1, le=65535, description="Spark Thrift Server port")
    dbt_threads: int | None = Field(
        default=None, ge=1, description="models dbt builds at once; unset: the dbt profile's threads"
    )
    alert_email: str | None = Field(default=None, description="where pipeline alerts are e-mailed (optional)")
    smtp_host: str | None = Field(default=None, description="SMTP relay for alert e-mails (optional)")
    log_level: str = Field(default="INFO", description="root log level")
    log_json: bool = Field(default=False, description="log one JSON object per line")
    token_secret: str = Field(
        default="jianguan-dev-only-secret",
        description="HMAC key for tokenising personal data; set a real secret outside development",
    )

    @property
    def resolved_lakehouse_root(self) -> Path:
        # A plain property, not cached: ``model_copy(update=…)`` copies cached values and would keep the old root.
        return self.lakehouse_root.expanduser().resolve()

    def table_path(self, layer: str, table: str) -> Path:
        """``<lakehouse root>/<layer>/<table>/`` — the contract every consumer relies on."""
        return self.resolved_lakehouse_root / layer / table


def load_settings() -> Settings:
    """Read the settings from the environment. Call this only in entrypoints (CLI, DAG tasks, Spark jobs)."""
    return Settings()
