"""JUnit XML: one test case per check, one suite per page, so any CI shows bigday's verdicts natively.

The file follows the Apache Ant JUnit format (the one Jenkins, GitLab and GitHub test reporters read): each
suite carries ``timestamp`` (UTC, without a zone), ``hostname``, ``time`` and ``properties``; the measured
value, bound, aggregate, sample count and interval of every check are properties of its page's suite, since
the format gives test cases none.  Warnings go to the suite's ``system-out``.
"""

from __future__ import annotations

import platform
import xml.etree.ElementTree as ET
from collections import defaultdict

from bigday.metrics import format_number
from bigday.report.data import ReportData
from bigday.runfolder import Check, Status


def _name(c: Check) -> str:
    return f"{c.kind} {c.metric}" + (f" {c.aggregate}" if c.aggregate else "")


def _properties(suite: ET.Element, checks: list[Check], decision: str) -> None:
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="bigday.answer", value=decision)
    for c in checks:
        values: dict[str, object] = {
            "status": c.status.value,
            "actual": c.actual,
            "bound": c.bound,
            "n": c.n,
        }
        if c.comparison is not None:
            values |= {"baseline": c.comparison.baseline, "effect": c.comparison.effect, "q": c.comparison.q_value}
            if c.comparison.interval:
                lo, hi = c.comparison.interval
                values["interval"] = f"[{format_number(lo, 4)}, {format_number(hi, 4)}]"
        for key, v in values.items():
            if v is not None:
                text = format_number(v, 6) if isinstance(v, float) else str(v)
                ET.SubElement(props, "property", name=f"{_name(c)}.{key}", value=text)


def render_junit(data: ReportData) -> str:
    by_page: dict[str, list[Check]] = defaultdict(list)
    for c in data.checks():
        by_page[c.page].append(c)
    m = data.manifest
    started = m.started_at
    seconds = (m.finished_at - started).total_seconds() if m.finished_at else 0.0
    timestamp = started.strftime("%Y-%m-%dT%H:%M:%S")
    hostname = platform.node() or "localhost"
    root = ET.Element("testsuites")
    for i, (page, checks) in enumerate(sorted(by_page.items())):
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"bigday.{page}",
            package="bigday",
            id=str(i),
            timestamp=timestamp,
            hostname=hostname,
            time=f"{seconds:.3f}",
        )
        _properties(suite, checks, data.answer.decision.label)
        fails = skips = 0
        warnings = []
        for c in checks:
            case = ET.SubElement(suite, "testcase", classname=f"bigday.{page}", name=_name(c), time="0")
            if c.status is Status.FAIL:
                fails += 1
                ET.SubElement(case, "failure", message=c.message, type=c.kind.value).text = c.message
            elif c.status is Status.SKIPPED:
                skips += 1
                ET.SubElement(case, "skipped", message=c.message)
            elif c.status in (Status.WARN, Status.INCONCLUSIVE):
                warnings.append(f"{c.status.upper()}: {c.message}")
        ET.SubElement(suite, "system-out").text = "\n".join(warnings)
        ET.SubElement(suite, "system-err").text = ""
        suite.set("tests", str(len(checks)))
        suite.set("failures", str(fails))
        suite.set("errors", "0")
        suite.set("skipped", str(skips))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
