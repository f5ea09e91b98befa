"""Writes for the stage settings (/admin/stages): add, edit, reorder, retire and bring
back a support stage. Flush, never commit: the route commits once.

History is never rewritten: a stage keeps its id whatever its name or place, so the stage
moves (``stage_moves``) keep pointing at it and the review reads the current names and
order. Every change appends a ``StageSettingChange`` (what the stage became, what changed,
who and when).

Concurrency:
- an edit, a retirement and a return are version-checked (``versions.save_version`` on
  ``stages.version``): a stale page gets ``StaleVersion`` (409);
- the order is checked on the positions themselves: the page sends the order it showed
  (ids of the active stages, top first); a different current order raises ``StaleOrder``.
  The active stages are read ``FOR UPDATE`` by every change of the order, so two at once
  run one after the other and the second sees the first's order; each position is also
  written by an UPDATE that requires the position read.
Positions are 1, 2, 3… for the active stages, renumbered in the one transaction of each
change; a retired stage keeps its last position (unused) and comes back at the end.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Project, ProjectStatus, Stage, StageSettingChange, User
from ..versions import StaleVersion, save_version

#: The settings a manager edits (the form's fields), in the order the history names them.
FIELDS = ("name", "name_en", "description", "description_en", "wip_limit", "stalled_days")
#: Projects that hold a stage: on the board (active) or paused there.
HOLDING = (ProjectStatus.ACTIVE.value, ProjectStatus.PAUSED.value)


class StageSettingsError(Exception):
    """A stage change that cannot be made; ``status`` is the HTTP answer."""

    status = 422


class StaleOrder(StageSettingsError):
    """The stages' order changed since the page showed it (or the page's list is not the
    list of active stages)."""

    status = 409


class NotActive(StageSettingsError):
    """The stage is retired: it has no place in the order (a form of another page)."""


class StageBusy(StageSettingsError):
    """Projects (active or paused) are still in the stage: ``count`` of them."""

    status = 409

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class LastActiveStage(StageSettingsError):
    """The stage is the only active one: the board and the idea intake need one."""

    status = 409


def _record(by: User, stage: Stage, action: str, changed: list[str] | tuple[str, ...]) -> None:
    db.session.add(StageSettingChange(
        stage_id=stage.id, action=action, changed_fields=",".join(changed),
        name=stage.name, name_en=stage.name_en or "", description=stage.description or "",
        description_en=stage.description_en or "", position=stage.position,
        wip_limit=stage.wip_limit, stalled_days=stage.stalled_days, active=stage.active,
        changed_by_id=by.id))


def _active_in_order() -> list[Stage]:
    """The active stages in order, locked until the commit (PostgreSQL: ``FOR UPDATE``;
    SQLite has one writer at a time anyway): two changes of the order run one after the
    other, and the second then reads the first's order (and is refused as stale)."""
    stages = list(db.session.scalars(
        select(Stage).where(Stage.active).order_by(Stage.position, Stage.id)
        .with_for_update().execution_options(populate_existing=True)))
    # PostgreSQL sorts before it locks: a row it waited for comes back with its new
    # position but in its old place, hence the order taken again here.
    stages.sort(key=lambda stage: (stage.position, stage.id))
    return stages


def _write_order(stages: list[Stage], expected: dict[int, int]) -> list[Stage]:
    """Give ``stages`` the positions 1, 2, 3… where they differ, each UPDATE requiring the
    position read before (``expected``: id → position). Returns the stages whose position
    changed. Raises StaleOrder when a row moved meanwhile."""
    changed = []
    for index, stage in enumerate(stages, start=1):
        if expected[stage.id] == index and stage.position == index:
            continue
        result = db.session.execute(
            update(Stage).where(Stage.id == stage.id, Stage.active,
                                Stage.position == expected[stage.id])
            .values(position=index).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise StaleOrder()
        set_committed_value(stage, "position", index)
        changed.append(stage)
    return changed


def add_stage(by: User, values: dict, after_id: int | None) -> Stage:
    """A new active stage with ``values`` (``FIELDS``; names already checked unique), at
    the end of the order (``after_id`` None), first (0) or right after the active stage
    ``after_id``; the stages below move down one place. Returns the stage (flushed).

    Raises NotActive when ``after_id`` names no active stage (a stale or forged page)."""
    stages = _active_in_order()
    expected = {stage.id: stage.position for stage in stages}
    if after_id is None:
        index = len(stages)
    elif after_id == 0:
        index = 0
    else:
        ids = [stage.id for stage in stages]
        if after_id not in ids:
            raise NotActive()
        index = ids.index(after_id) + 1
    stage = Stage(position=len(stages) + 1, active=True, version=1, **values)
    db.session.add(stage)
    db.session.flush()
    expected[stage.id] = stage.position
    stages.insert(index, stage)
    _write_order(stages, expected)
    _record(by, stage, "created", FIELDS)
    db.session.flush()
    return stage


def edit_stage(by: User, stage: Stage, seen_version: int | None, values: dict) -> list[str]:
    """Save ``values`` (``FIELDS``) on ``stage`` from the version the manager saw. Returns
    the names of the settings that changed (empty: nothing written).

    Raises StaleVersion when the stage changed since ``seen_version``."""
    if seen_version is None or stage.version != seen_version:
        raise StaleVersion()
    changed = [name for name in FIELDS if getattr(stage, name) != values[name]]
    if not changed:
        return []
    save_version(stage, seen_version, **{name: values[name] for name in changed})
    _record(by, stage, "edited", changed)
    db.session.flush()
    return changed


def _check_seen(stages: list[Stage], seen_order: list[int]) -> None:
    if [stage.id for stage in stages] != seen_order:
        raise StaleOrder()


def move_stage(by: User, stage: Stage, direction: str, seen_order: list[int]) -> bool:
    """Move ``stage`` one place up (``direction`` "up") or down ("down"), from the order
    the page showed (``seen_order``: active stage ids, top first). Returns False when it is
    already at that end (nothing written).

    Raises NotActive (a retired stage) or StaleOrder (the order changed since)."""
    if not stage.active:
        raise NotActive()
    stages = _active_in_order()
    _check_seen(stages, seen_order)
    expected = {s.id: s.position for s in stages}
    index = stages.index(stage)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(stages):
        return False
    stages[index], stages[other] = stages[other], stages[index]
    _write_order(stages, expected)
    _record(by, stage, "moved", ("position",))
    db.session.flush()
    return True


def reorder_stages(by: User, new_order: list[int], seen_order: list[int],
                   moved_id: int | None = None) -> list[Stage]:
    """Put the active stages in ``new_order`` (their ids, top first: drag and drop), from
    the order the page showed. The stage ``moved_id`` (the one dragged) is recorded as
    moved; without it, every stage whose place changed. Returns the stages in order.

    Raises StaleOrder (the order changed since, or ``new_order`` is not the same stages)."""
    stages = _active_in_order()
    _check_seen(stages, seen_order)
    by_id = {stage.id: stage for stage in stages}
    if set(new_order) != set(by_id) or len(new_order) != len(by_id):
        raise StaleOrder()
    expected = {stage.id: stage.position for stage in stages}
    ordered = [by_id[stage_id] for stage_id in new_order]
    changed = _write_order(ordered, expected)
    if changed:
        recorded = [by_id[moved_id]] if moved_id in by_id else changed
        for stage in recorded:
            _record(by, stage, "moved", ("position",))
        db.session.flush()
    return ordered


def holding_count(stage_id: int) -> int:
    """How many projects (active or paused) are in the stage now."""
    return db.session.scalar(
        select(func.count()).select_from(Project)
        .where(Project.stage_id == stage_id, Project.status.in_(HOLDING))) or 0


def retire_stage(by: User, stage: Stage, seen_version: int | None) -> None:
    """Retire ``stage``: no column on the board, no new project; its history stays. The
    active stages after it move up one place.

    Raises StaleVersion (changed since, or already retired), LastActiveStage (the only
    active stage) or StageBusy (projects, active or paused, are still in it)."""
    if seen_version is None or stage.version != seen_version or not stage.active:
        raise StaleVersion()
    stages = _active_in_order()
    if len(stages) <= 1:
        raise LastActiveStage()
    count = holding_count(stage.id)
    if count:
        raise StageBusy(count)
    expected = {s.id: s.position for s in stages}
    save_version(stage, seen_version, where=(Stage.active,), active=False)
    # Checked again after the write: a project moved in between the count and the UPDATE
    # (its move read the stage as active) is seen here, before the commit.
    count = holding_count(stage.id)
    if count:
        raise StageBusy(count)
    _write_order([s for s in stages if s.id != stage.id], expected)
    _record(by, stage, "retired", ("active",))
    db.session.flush()


def restore_stage(by: User, stage: Stage, seen_version: int | None) -> None:
    """Bring a retired ``stage`` back, at the end of the order.

    Raises StaleVersion (changed since, or already active)."""
    if seen_version is None or stage.version != seen_version or stage.active:
        raise StaleVersion()
    last = db.session.scalar(select(func.max(Stage.position)).where(Stage.active)) or 0
    save_version(stage, seen_version, where=(~Stage.active,), active=True, position=last + 1)
    _record(by, stage, "restored", ("active", "position"))
    db.session.flush()
