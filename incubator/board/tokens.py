"""Keeping the page's board token in step after the user's own change.

The token holds each column's fingerprint (count, sum of versions, sum of id × version).
After a change we know exactly how it moved those sums, so we shift the token the page sent
by the same amounts: if the page was up to date, it still is (and the next poll answers 204);
if it had missed someone else's change, it still differs and the poll refreshes the column.
"""

from __future__ import annotations

from ..models import Project, ProjectStatus
from ..params import parse_int
from .queries import parse_token

# A column's sums: count and versions fit a bigint; id × version sums get a margin.
_FINGERPRINT_BOUND = 10**30


def _shift(fingerprint: str, count: int, versions: int, weighted: int) -> str | None:
    parts = fingerprint.split("-")
    if len(parts) == 1 and parts[0] == "0":
        parts = ["0", "0", "0"]
    if len(parts) != 3:
        return None
    numbers = [parse_int(p, -_FINGERPRINT_BOUND, _FINGERPRINT_BOUND, max_digits=31)
               for p in parts]
    if None in numbers:  # e.g. '²' or '١': isdigit() but not ASCII digits
        return None
    c, v, w = numbers
    c, v, w = c + count, v + versions, w + weighted
    return "0" if c == 0 else f"{c}-{v}-{w}"


def shift_token(token: str | None, project: Project, from_stage_id: int | None, *,
                was_on_board: bool = True, old_version: int | None = None) -> str | None:
    """The page's token after ``project`` (now at ``project.version``) left its card in
    ``from_stage_id`` (if ``was_on_board``) and, when active, has one in its current stage.
    None when the page sent no usable token (the next poll then refreshes what it must)."""
    held = parse_token(token or "")
    if not held:
        return None
    new = project.version
    old = old_version if old_version is not None else new - 1
    pid = project.id
    changes: dict[int, list[int]] = {}
    if was_on_board and from_stage_id is not None:
        changes.setdefault(from_stage_id, [0, 0, 0])
        for i, value in enumerate((-1, -old, -pid * old)):
            changes[from_stage_id][i] += value
    if project.status == ProjectStatus.ACTIVE and project.stage_id is not None:
        changes.setdefault(project.stage_id, [0, 0, 0])
        for i, value in enumerate((1, new, pid * new)):
            changes[project.stage_id][i] += value
    for stage_id, delta in changes.items():
        if stage_id not in held:
            return None
        shifted = _shift(held[stage_id], *delta)
        if shifted is None:
            return None
        held[stage_id] = shifted
    return ".".join(f"{sid}:{fp}" for sid, fp in sorted(held.items()))
