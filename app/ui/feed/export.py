"""Feed rows as CSV or JSON text; the page writes the text, tests call these directly."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from app.ui.feed.model import FeedRow

FORMATS = {"csv": "CSV files (*.csv)", "json": "JSON files (*.json)"}


def _fields(row: FeedRow) -> dict[str, str]:
    return {"time": row.time.astimezone().isoformat(timespec="seconds"), "vendor": row.vendor,
            "device": row.device, "device_id": row.deviceid, "kind": row.kind,
            "summary": row.summary}


def rows_to_csv(rows: list[FeedRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time", "vendor", "device", "device_id", "kind", "summary"])
    for row in rows:
        writer.writerow(_fields(row).values())
    return buffer.getvalue()


def rows_to_json(rows: list[FeedRow]) -> str:
    return json.dumps([_fields(row) for row in rows], indent=2, ensure_ascii=False) + "\n"


def format_of(path: Path) -> str:
    """"json" for a .json name, else "csv" (the long-standing default)."""
    return "json" if path.suffix.lower() == ".json" else "csv"


def export_text(rows: list[FeedRow], fmt: str) -> str:
    return rows_to_json(rows) if fmt == "json" else rows_to_csv(rows)
