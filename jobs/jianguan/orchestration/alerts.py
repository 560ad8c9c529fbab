"""Alert records for failed tasks and missed deadlines: ``ops/alerts`` (one row per alert), optionally e-mailed.

Airflow's failure callbacks call :func:`record_alert` with plain values (no Airflow objects), so the logic is
tested without Airflow. E-mail goes out only when ``JIANGUAN_ALERT_EMAIL`` and an SMTP host are configured.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pyarrow as pa

from jianguan.lake.tables import LIBRARY_PROPERTY, LakeTable

log = logging.getLogger(__name__)

ALERTS_SCHEMA = pa.schema(
    [
        pa.field("alert_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # task_failed | deadline_missed | gate_failed
        pa.field("dag_id", pa.string()),
        pa.field("task_id", pa.string()),
        pa.field("run_id", pa.string()),
        pa.field("logical_date", pa.date32()),
        pa.field("try_number", pa.int64()),
        pa.field("message", pa.string()),
        pa.field("raised_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def alerts_table(lakehouse_root: Path) -> LakeTable:
    return LakeTable.create(
        lakehouse_root / "ops" / "alerts",
        ALERTS_SCHEMA,
        properties={LIBRARY_PROPERTY: "ops"},
        name="alerts",
        description="alerts raised by the nightly pipeline (failed tasks, missed deadlines)",
        exist_ok=True,
    )


def record_alert(
    lakehouse_root: Path,
    *,
    kind: str,
    dag_id: str | None,
    task_id: str | None,
    run_id: str | None,
    logical_date: object | None,
    try_number: int | None,
    message: str,
    email_to: str | None = None,
    smtp_host: str | None = None,
) -> str:
    """Append one alert (idempotent per dag/task/run/try/kind) and e-mail it when configured."""
    alert_id = f"{kind}:{dag_id}:{task_id}:{run_id}:{try_number}"
    table = alerts_table(lakehouse_root)
    row = {
        "alert_id": alert_id,
        "kind": kind,
        "dag_id": dag_id,
        "task_id": task_id,
        "run_id": run_id,
        "logical_date": logical_date,
        "try_number": try_number,
        "message": message[:2000],
        "raised_at": datetime.now(UTC),
    }
    table.merge(pa.Table.from_pylist([row], schema=ALERTS_SCHEMA), ["alert_id"])
    log.error("alert %s: %s", alert_id, message[:300])
    if email_to and smtp_host:
        _email(email_to, smtp_host, f"[jianguan] {kind} {dag_id}.{task_id}", message)
    return alert_id


def _email(to: str, host: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = f"jianguan@{host}"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(host, timeout=10) as smtp:
            smtp.send_message(message)
    except OSError:
        log.exception("alert e-mail to %s via %s failed (the alert record is kept)", to, host)
