"""A ChangeReport as a terminal table, a pull-request comment (markdown) or JSON.

Every format puts what a reviewer must see first: data loss, blocked changes, then the duration.
"""

from __future__ import annotations

import json
from typing import Any

from changes.compare import ChangedInput, ChangeReport, ResourceChange

MAX_SHOWN_VALUE = 60


def render_json(report: ChangeReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_markdown(report: ChangeReport) -> str:
    lines = [f"### Changes: `{report.base}` → `{report.head}`", ""]
    lines += [f"- **Data loss:** {_count_or_none(report.data_loss)}"]
    lines += [f"  - {change.data_loss}" for change in report.data_loss]
    lines += [f"- **Blocked:** {_count_or_none(report.blocked)}"]
    lines += [f"  - {change.kind} {change.name}: {change.blocked}" for change in report.blocked]
    lines += [f"- **Duration:** {report.duration.summary()}", f"- **Summary:** {_summary(report)}"]
    if report.changes:
        lines += ["", "| action | resource | changed | impact |", "| --- | --- | --- | --- |"]
        for change in report.changes:
            changed = "<br>".join(_markdown_cell(_describe_input(item)) for item in change.changed) or "—"
            impact = "<br>".join(_markdown_cell(note) for note in _impact(change)) or "—"
            lines.append(f"| {change.action} | {change.kind} `{change.name}` | {changed} | {impact} |")
    if report.unknown_types:
        lines += [
            "",
            f"Types without lifecycle data (reported without data loss or duration): {', '.join(report.unknown_types)}",
        ]
    return "\n".join(lines) + "\n"


def render_table(report: ChangeReport) -> str:
    lines = [f"changes {report.base} → {report.head}"]
    lines.append(f"data loss: {_count_or_none(report.data_loss)}")
    lines += [f"  {change.data_loss}" for change in report.data_loss]
    lines.append(f"blocked: {_count_or_none(report.blocked)}")
    lines += [f"  {change.kind} {change.name}: {change.blocked}" for change in report.blocked]
    lines.append(f"duration: {report.duration.summary()}")
    lines.append(f"summary: {_summary(report)}")
    rows = [("ACTION", "RESOURCE", "TYPE")] + [(c.action, c.name, c.type) for c in report.changes]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    if report.changes:
        lines.append("")
        for index, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                continue
            change = report.changes[index - 1]
            lines += [f"    {_describe_input(item)}" for item in change.changed]
            lines += [f"    ! {note}" for note in _impact(change)]
    if report.unknown_types:
        lines.append(f"types without lifecycle data: {', '.join(report.unknown_types)}")
    return "\n".join(lines) + "\n"


def _summary(report: ChangeReport) -> str:
    counts = report.summary
    return (
        f"{counts['create']} to create, {counts['update']} to update, {counts['replace']} to replace, "
        f"{counts['delete']} to delete, {report.unchanged} unchanged"
    )


def _count_or_none(changes: list[ResourceChange]) -> str:
    return str(len(changes)) if changes else "none"


def _impact(change: ResourceChange) -> list[str]:
    notes = []
    if change.data_loss:
        notes.append("data loss")
    if change.blocked:
        notes.append("blocked")
    if change.disruption:
        notes.append(change.disruption)
    return notes


def _describe_input(item: ChangedInput) -> str:
    text = f"{item.path}: {_shown(item.old)} → {_shown(item.new)}"
    return f"{text} (forces replacement)" if item.forces_replacement else text


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= MAX_SHOWN_VALUE else text[: MAX_SHOWN_VALUE - 1] + "…"


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


RENDERERS = {"table": render_table, "markdown": render_markdown, "json": render_json}
