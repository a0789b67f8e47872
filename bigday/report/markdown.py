"""Markdown report, for a pull-request comment or a CI job summary."""

from __future__ import annotations

from bigday.report.data import ReportData

_ICON = {"fail": "❌", "warn": "⚠️", "pass": "✅", "skipped": "⏭️"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(v: object) -> str:
    return "" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def render_markdown(data: ReportData) -> str:
    v = data.verdicts
    env = data.manifest.get("environment", {})
    out = [
        f"## bigday: {_ICON.get(v['outcome'], '')} {v['outcome'].upper()} — run `{data.run_id}`",
        "",
        f"{v['counts']['fail']} failed · {v['counts']['warn']} warned · {v['counts']['pass']} passed · "
        f"{v['counts']['skipped']} skipped  ",
        f"Environment: {env.get('browser', '?')} {env.get('browser_version', '?')}, profile "
        f"{env.get('profile', '?')}, {env.get('cpu_count', '?')} CPUs, web-vitals {env.get('web_vitals_version', '?')}",
        "",
    ]
    base = v.get("baseline")
    if base:
        if base.get("run_id"):
            out.append(f"Baseline `{base['spec']}`: run `{base['run_id']}` ({base.get('started_at')})  ")
        if base.get("note"):
            out.append(f"> {base['note']}")
        for d in base.get("environment_differences", []):
            out.append(f"> **Different environment:** {d}")
        out.append("")
    out += [
        "| | kind | page | metric | aggregate | actual | bound / baseline | detail |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in data.checks():
        if c["status"] == "skipped":
            continue
        other = c.get("bound") if c["kind"] != "regression" else c.get("baseline")
        out.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    _ICON.get(c["status"], c["status"]),
                    c["kind"],
                    c["page"],
                    c["metric"],
                    c.get("aggregate", ""),
                    f"{c['actual']:.4g}" if c.get("actual") is not None else "",
                    f"{other:.4g}" if other is not None else "",
                    c["message"],
                )
            )
            + " |"
        )
    if data.alerts:
        out += [
            "",
            "### Alerts",
            "",
            "| # | severity | type | page | metric | actual | threshold |",
            "|---|---|---|---|---|---|---|",
        ]
        for a in data.alerts:
            out.append(
                f"| {a['id']} | {a['severity']} | {a['type']} | {_cell(a['page'])} | {a['metric']} | "
                f"{_num(a['actual'])} | {_num(a['threshold'])} |"
            )
    if v.get("change_points"):
        out += ["", "### Trend steps", ""]
        out += [f"- {c['page']} {c['metric']}: {c['change']:+.1%} from {c['day']}" for c in v["change_points"]]
    if v.get("unsupported"):
        out += ["", "### Not checked (no bigday equivalent)", ""] + [f"- {u}" for u in v["unsupported"]]
    if v.get("notes"):
        out += ["", "### Notes", ""] + [f"- {n}" for n in v["notes"]]
    return "\n".join(out) + "\n"
