"""The JSON report: the answer, manifest, verdicts and alerts in one document for other tools."""

from __future__ import annotations

import json

from bigday.report.data import ReportData

REPORT_FORMAT_VERSION = 2  # 2: the answer (GO / NO-GO / INCONCLUSIVE) first


def report_document(data: ReportData) -> dict[str, object]:
    return {
        "format": "bigday-report",
        "version": REPORT_FORMAT_VERSION,
        "run_id": data.run_id,
        "answer": data.answer.to_json(),
        "manifest": data.manifest.to_json(),
        "verdicts": data.verdicts.to_json(),
        "alerts": [a.to_json() for a in data.alerts],
        "recommendations": [r.to_json() for r in data.recommendations()],
    }


def render_json(data: ReportData) -> str:
    return json.dumps(report_document(data), indent=2, default=str) + "\n"
