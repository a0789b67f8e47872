"""JUnit XML: one test case per check, grouped by page, so any CI shows bigday's verdicts natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from bigday.report.data import ReportData
from bigday.runfolder import Check, Status


def render_junit(data: ReportData) -> str:
    by_page: dict[str, list[Check]] = defaultdict(list)
    for c in data.checks():
        by_page[c.page].append(c)
    root = ET.Element("testsuites", name=f"bigday {data.run_id}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for page, checks in sorted(by_page.items()):
        suite = ET.SubElement(root, "testsuite", name=f"bigday.{page}")
        fails = skips = 0
        for c in checks:
            name = f"{c.kind} {c.metric}" + (f" {c.aggregate}" if c.aggregate else "")
            case = ET.SubElement(suite, "testcase", classname=f"bigday.{page}", name=name)
            if c.status is Status.FAIL:
                fails += 1
                ET.SubElement(case, "failure", message=c.message, type=c.kind.value).text = c.message
            elif c.status is Status.SKIPPED:
                skips += 1
                ET.SubElement(case, "skipped", message=c.message)
            elif c.status is Status.WARN:
                ET.SubElement(case, "system-out").text = "WARNING: " + c.message
        suite.set("tests", str(len(checks)))
        suite.set("failures", str(fails))
        suite.set("errors", "0")
        suite.set("skipped", str(skips))
        totals["tests"] += len(checks)
        totals["failures"] += fails
        totals["skipped"] += skips
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
