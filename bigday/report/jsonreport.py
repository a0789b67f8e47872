"""The JSON report: manifest, verdicts and alerts in one document for other tools."""

from __future__ import annotations

import json

from bigday.report.data import ReportData

REPORT_FORMAT_VERSION = 1


def render_json(data: ReportData) -> str:
    return (
        json.dumps(
            {
                "format": "bigday-report",
                "version": REPORT_FORMAT_VERSION,
                "run_id": data.run_id,
                "manifest": data.manifest.to_json(),
                "verdicts": data.verdicts.to_json(),
                "alerts": [a.to_json() for a in data.alerts],
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
