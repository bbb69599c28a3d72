"""The table of rights as data for screens and documentation (granting is in ``records.services.setup``).

``rights_table()`` reads ``records.permissions.POLICY``: one row per action, one cell per role.
"""

from __future__ import annotations

from dataclasses import dataclass

from records.models import Role
from records.permissions import POLICY, Action


@dataclass(frozen=True)
class RightsRow:
    """Who may perform one action: per role, "" (no), "✓" (yes) or the condition that applies."""

    action: Action
    label_vi: str
    system: bool
    cells: tuple[tuple[Role, str], ...]


def rights_table() -> list[RightsRow]:
    """Every action and, for every role, whether and under which condition it may act."""
    rows = []
    for action in Action:
        rules = POLICY[action]
        cells = []
        for role in Role:
            conditions = [r.condition for r in rules if r.role is role]
            if not conditions:
                cells.append((role, ""))
            elif any(c is None for c in conditions):
                cells.append((role, "✓"))
            else:
                cells.append((role, "; ".join(c.description_vi for c in conditions if c is not None)))
        rows.append(RightsRow(action, action.label_vi, any(r.role is None for r in rules), tuple(cells)))
    return rows


def rights_markdown() -> str:
    """The rights table as Markdown (docs/GOVERNANCE.md embeds it; a test keeps them equal)."""
    header = ["Action", "Hệ thống"] + [role.label_vi for role in Role]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rights_table():
        cells = [f"`{row.action.value}` {row.label_vi}", "✓" if row.system else ""]
        cells += [cell for _, cell in row.cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
