"""Print only what the trail says: every value a book prints is checked against the audit trail.

The services write every mark, comment, absence, conduct and result together with its trace entry. A
value changed behind their back (an SQL ``UPDATE``, a restored backup, a bad import) has no entry that
produces it. Before an edition is signed (``layouts.publish.check_publication``), ``require_traced``
replays the trail of the school(s) concerned and compares it with the rows the book is built from:

* marks (enrolment, subject, term, kind, slot → value), subject comments, absences, conduct and
  homeroom comments: the last traced state of each natural key must equal the stored row, and every
  stored row must have one;
* student results (``student_result`` entries, ``compute`` merged with ``summer``): every traced
  field of the stored row (averages, learning, conduct, title, absences, promotion, summer decisions)
  and every subject result (the ``subjects`` and ``retakes`` of the same entries).

Each replayed entry's hash is recomputed, so an entry edited to match a forged value is refused too
(an entry rewritten *and* re-hashed with the whole chain is caught by the published seals,
``records.audit``). A mismatch stops the print with ``IntegrityError`` naming class, student, subject
and column. The replay of a chain is kept per process and extended with the entries appended since
(checked by the hash of the last one replayed), so a batch of books replays each chain once. Given the
printing key (``signer``), the replay is also written as a signed snapshot (``trail_cache``), and the
first book of a later process starts from it — the book's enrolments only, plus the entries appended
since — instead of replaying the whole chain (``bench/bench_trail.py``: before / after, per page). An
entry edited after a process replayed it (or after the snapshot) is not hash-checked again at print:
``audit verify`` and the published seals cover that; the stored values are always compared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from records.audit import FORMAT_VERSION, HASHED_FIELDS, _at_text, _encode_envelope, chain_of
from records.db import autoflush, core_rows
from records.errors import IntegrityError
from records.models import (
    Attendance,
    AuditEntry,
    Class,
    Conduct,
    Enrolment,
    Grade,
    HomeroomComment,
    Mark,
    MarkKind,
    Period,
    Student,
    StudentResult,
    Subject,
    SubjectComment,
    SubjectResult,
    Term,
)
from records.services import trail_cache

VALUE_ENTITIES = ("mark", "subject_comment", "attendance", "conduct", "homeroom_comment", "student_result")
RESULT_FIELDS = ("overall_average", "learning", "learning_adjusted", "conduct", "title", "days_absent_excused",
                 "days_absent_unexcused", "promotion", "final_promotion", "learning_after_summer",
                 "conduct_after_summer")
_FIELD_VI = {"overall_average": "điểm trung bình các môn", "learning": "kết quả học tập", "learning_adjusted":
             "kết quả học tập (điều chỉnh)", "conduct": "rèn luyện / hạnh kiểm", "title": "danh hiệu",
             "days_absent_excused": "số ngày nghỉ có phép", "days_absent_unexcused": "số ngày nghỉ không phép",
             "promotion": "lên lớp / ở lại", "final_promotion": "quyết định sau hè",
             "learning_after_summer": "học tập sau kiểm tra lại", "conduct_after_summer": "rèn luyện hè"}
_CHUNK = 500
_MISSING = object()
_RESULT = "student_result_row"
_SUBJECT_RESULT = "subject_result_row"
#: the tables of stored values, in the order of their digests (``_digests``): the first element of every key
TABLES = ("mark", "subject_comment", "attendance", "conduct", "homeroom_comment", _RESULT, _SUBJECT_RESULT)
#: the tables whose values a book of each kind prints (read by its reader in ``records.books``): a book
#: compares the digests of these tables only with the run's verdict (``Verdict.of``). A mark book prints
#: from every table; a transcript (``read_transcript(s)``) reads subject results and comments, the
#: student's results (conduct, absences, promotion are columns of it) and homeroom comments, never a mark,
#: an absence or a conduct row; a register (``read_register``) reads the year's student result only.
PRINTED_TABLES = {"markbook": TABLES,
                  "transcript": ("subject_comment", "homeroom_comment", _RESULT, _SUBJECT_RESULT),
                  "register": (_RESULT,)}
_DIGEST = 16


@dataclass(frozen=True)
class Mismatch:
    """A stored value the trail does not produce."""

    class_name: str
    student: str
    subject: str  # "" when the value is not a subject's
    column: str
    stored: str
    traced: str

    @property
    def text_vi(self) -> str:
        """"lớp 9A1, học sinh …, môn Toán, cột ĐĐGtx1 (HK I): CSDL 9 — nhật kí 6"."""
        subject = f", môn {self.subject}" if self.subject else ""
        return (f"lớp {self.class_name}, học sinh {self.student}{subject}, {self.column}: "
                f"dữ liệu {self.stored} — nhật kí {self.traced}")


@dataclass(frozen=True)
class TrailReport:
    """What was compared and what differs."""

    values: int
    entries: int
    mismatches: tuple[Mismatch, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every stored value is the trail's."""
        return not self.mismatches


@dataclass
class _Replay:
    """The last traced state of every value of one chain, by enrolment."""

    last_seq: int = 0
    last_hash: str = ""
    entries: int = 0
    values: dict[int, dict[tuple[Any, ...], Any]] = field(default_factory=dict)
    bad_entries: list[int] = field(default_factory=list)  # seq of entries whose hash does not verify


_CACHE: dict[tuple[str, int], _Replay] = {}


def _value_of(entity: str, state: dict[str, Any]) -> Any:
    if entity == "mark":
        return state["value"]
    if entity in ("subject_comment", "homeroom_comment"):
        return state["text"]
    if entity == "attendance":
        return (bool(state["excused"]), state.get("reason"))
    return state["level"]


_DECODE = json.JSONDecoder().raw_decode


def _loads(text: str) -> Any:
    """``json.loads`` of a state text without its per-call overhead (the replay decodes ~330,000 texts);
    text after the value is refused as ``json.loads`` refuses it."""
    value, end = _DECODE(text)
    if end != len(text):
        raise ValueError(f"extra data in a traced state at {end}")
    return value


def _apply(replay: _Replay, entity: str, entity_id: str, before: str | None, after: str | None,
           only: set[int] | None = None) -> None:
    if entity == "student_result":
        enrolment, period = entity_id.split(":", 1)
        if only is not None and int(enrolment) not in only:
            return
        after_state = _loads(after) if after is not None else None
        values = replay.values.setdefault(int(enrolment), {})
        if after_state is None:
            values.pop(("student_result", period), None)
        else:
            values.setdefault(("student_result", period), {}).update(after_state)
        return
    after_state = _loads(after) if after is not None else None
    state = after_state if after_state is not None else (_loads(before) if before is not None else None)
    if state is None or "enrolment_id" not in state:
        return
    enrolment_id = int(state["enrolment_id"])
    if only is not None and enrolment_id not in only:
        return
    # the natural key of the value, inlined (the replay applies ~330,000 entries); "mark" first: ~90 % of them
    if entity == "mark":
        key: tuple[Any, ...] = ("mark", state["subject_id"], state["term_id"], state["kind"], int(state["slot"]))
    elif entity == "subject_comment":
        key = ("subject_comment", state["subject_id"], state["period"])
    elif entity == "attendance":
        key = ("attendance", state["day"])
    else:
        key = (entity, state["period"])  # conduct, homeroom_comment
    mine = replay.values.get(enrolment_id)
    if mine is None:
        mine = replay.values[enrolment_id] = {}
    if after_state is None:
        mine.pop(key, None)
    elif entity == "mark":
        mine[key] = after_state["value"]
    else:
        mine[key] = _value_of(entity, after_state)


def _replay(session: Session, chain: int) -> _Replay:
    """The chain's replay, extended with the entries appended since the cached one (rebuilt if it changed)."""
    cache_key = (trail_cache.db_name(session), chain)
    replay = _CACHE.get(cache_key)
    if replay is not None and replay.last_seq:
        current = session.scalar(select(AuditEntry.hash).where(AuditEntry.chain == chain,
                                                               AuditEntry.seq == replay.last_seq))
        if current != replay.last_hash:
            replay = None
    if replay is None:
        replay = _Replay()
    _scan(session, chain, replay)
    _CACHE[cache_key] = replay
    return replay


def _scan(session: Session, chain: int, replay: _Replay, only: set[int] | None = None,
          limit: int | None = None) -> bool:
    """Apply the chain's value entries after ``replay.last_seq`` (of the ``only`` enrolments), each hash checked.

    False when more than ``limit`` entries were there (the replay is then incomplete).
    """
    # Core on the session's connection (its transaction): no ORM result wrapping; ``at`` read as the driver
    # gives it and converted (then turned into the hashed text) once per distinct value: the entries of a
    # bulk append share one time stamp (~1,000 distinct values for ~330,000 entries on the demo school)
    autoflush(session)
    connection = session.connection()
    table = AuditEntry.__table__
    columns = [type_coerce(table.c.at, NullType()) if name == "at" else table.c[name] for name in HASHED_FIELDS]
    query = select(*columns, table.c.hash).where(
        table.c.chain == chain, table.c.seq > replay.last_seq, table.c.entity.in_(VALUE_ENTITIES)) \
        .order_by(table.c.seq)
    at_type = table.c.at.type.dialect_impl(connection.dialect)
    to_datetime: Callable[[Any], Any] = at_type.result_processor(connection.dialect, None) or (lambda value: value)
    at_texts: dict[Any, str] = {}
    rows = connection.execute(query.execution_options(yield_per=5000))
    encode, sha256, version, apply = _encode_envelope, hashlib.sha256, FORMAT_VERSION, _apply
    seen = 0
    for (chain_, seq, at, school_id, actor_id, actor_name, action, entity, entity_id, before, after, reason,
         request_id, prev_hash, hash_) in rows:
        seen += 1
        if limit is not None and seen > limit:
            rows.close()
            replay.entries += limit
            return False
        at_text = at_texts.get(at)
        if at_text is None:
            at_text = at_texts[at] = _at_text(to_datetime(at))
        if sha256(encode([version, chain_, seq, at_text, school_id, actor_id, actor_name, action, entity, entity_id,
                          before, after, reason, request_id, prev_hash]).encode()).hexdigest() != hash_:
            replay.bad_entries.append(seq)
        apply(replay, entity, entity_id, before, after, only)
        replay.last_seq, replay.last_hash = seq, hash_
    replay.entries += seen
    return True


#: a snapshot older than this many value entries is not continued: the chain is replayed and written again
SNAPSHOT_LAG = 3000
_SAVED: dict[tuple[str, int, str], int] = {}  # (database, chain, key id) -> seq of the snapshot this process wrote


def _replay_for(session: Session, chain: int, ids: Sequence[int],
                signer: trail_cache.SnapshotSigner | None, later: list[tuple[int, _Replay]] | None = None) -> _Replay:
    """The replay of these enrolments: from the process's replay, else from the snapshot, else the whole chain.

    ``later``: a new snapshot is not written now but noted there (``save_snapshots`` writes it after the caller's
    answer is out: a print run's verdict is not delayed by a file written for later processes)."""
    if signer is None:
        return _replay(session, chain)
    db = trail_cache.db_name(session)
    if (db, chain) not in _CACHE:
        snapshot = trail_cache.load(session, signer, chain, ids)
        if snapshot is not None:
            partial = _Replay(snapshot.seq, snapshot.hash, snapshot.entries, dict(snapshot.values))
            if _scan(session, chain, partial, only=set(ids), limit=SNAPSHOT_LAG) and not partial.bad_entries:
                return partial
            if partial.bad_entries:
                return partial  # refused by the caller, naming the entries
    replay = _replay(session, chain)
    if later is not None:
        later.append((chain, replay))
    else:
        _save_snapshot(session, signer, chain, replay)
    return replay


def _save_snapshot(session: Session, signer: trail_cache.SnapshotSigner, chain: int, replay: _Replay) -> None:
    db = trail_cache.db_name(session)
    saved = _SAVED.get((db, chain, signer.key_id))
    stale = saved is None or replay.entries - saved > SNAPSHOT_LAG // 2
    if not replay.bad_entries and stale and trail_cache.save(session, signer, chain, replay.last_seq,
                                                             replay.last_hash, replay.entries, replay.values):
        _SAVED[(db, chain, signer.key_id)] = replay.entries


def save_snapshots(session: Session, signer: trail_cache.SnapshotSigner, later: Sequence[tuple[int, _Replay]]) -> None:
    """Write the snapshots a check noted in ``later`` (``verify_enrolments(..., later=)``), in the session (the
    transaction) the check read: the same snapshot as written at once, only after the check's answer."""
    for chain, replay in later:
        _save_snapshot(session, signer, chain, replay)


def forget() -> None:
    """Drop the replays kept by this process (tests, benchmarks: what a new process sees)."""
    _CACHE.clear()
    _SAVED.clear()


# --- comparing -----------------------------------------------------------------------------------


_DECIMALS: dict[str, Decimal] = {}  # a traced value's text -> its Decimal (the marks' ~100 texts)


def _decimal(value: Any) -> Decimal:
    """``Decimal(str(value))``, the Decimal of a text converted once (equal to it: a Decimal is compared as is)."""
    if isinstance(value, Decimal):
        return value  # Decimal(str(d)) == d
    if type(value) is str:
        found = _DECIMALS.get(value)
        if found is None:
            found = Decimal(value)
            if found.is_finite() and len(_DECIMALS) < 10_000:  # no NaN: ``_check`` compares the kept ones with ==
                _DECIMALS[value] = found
        return found
    return Decimal(str(value))


def _same(stored: Any, traced: Any) -> bool:
    if stored is None or traced is None:
        return stored is None and traced is None
    if isinstance(stored, Decimal) or isinstance(traced, Decimal):
        try:
            return _decimal(stored) == _decimal(traced)
        except InvalidOperation:
            return False
    if isinstance(stored, bool) or isinstance(traced, bool):
        return bool(stored) == bool(traced)
    return stored == traced


def _shown(value: Any) -> str:
    if value is _MISSING:
        return "(không có)"
    if value is None:
        return "(trống)"
    return str(value)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


@dataclass(frozen=True)
class _Who:
    class_name: str
    student: str
    regime: str
    chain: int


def _people(session: Session, enrolment_ids: Sequence[int]) -> dict[int, _Who]:
    out = {}
    for chunk in _chunks(enrolment_ids):
        for eid, cname, school_id, regime, family, middle, given in session.execute(
                select(Enrolment.id, Class.name, Class.school_id, Grade.regime, Student.family_name,
                       Student.middle_name, Student.given_name)
                .join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
                .join(Student, Student.id == Enrolment.student_id).where(Enrolment.id.in_(chunk))):
            name = " ".join(p for p in (family, middle, given) if p)
            out[eid] = _Who(cname, name, regime, chain_of(school_id))
    return out


#: the stored values' tables compared with the replay's values (the results apart: ``_check_results``)
_VALUE_TABLES = TABLES[:5]
_KIND_VALUE = {kind.value: kind.value for kind in MarkKind}  # a member or its value -> the value (str enums)
_PERIOD_VALUE = {period.value: period.value for period in Period}
_PERIODS = {period.value: period for period in Period}

Stored = dict[int, dict[str, list[tuple[tuple[Any, ...], Any]]]]


def _stored_tables(session: Session, enrolment_ids: Sequence[int], tables: Sequence[str] = TABLES) -> Stored:
    """The stored values of these enrolments, of these tables: per enrolment, per table, its (key, value) pairs
    in the replay's shape (results: ``_RESULT`` and ``_SUBJECT_RESULT`` keys, rows of ``RESULT_FIELDS`` and
    (value, retake)), in the rows' order.

    Read as Core rows of the tables' columns (same column types, so the same values as the ORM attributes give)
    on the session's connection, without the ORM's per-row loading and result wrapping (the run's check reads
    ~330,000 rows); one query per table and chunk of enrolments, only the tables asked for."""
    mk, sc, at, cd, hc = (model.__table__.c for model in (Mark, SubjectComment, Attendance, Conduct, HomeroomComment))
    sr, sj = StudentResult.__table__.c, SubjectResult.__table__.c
    kind_value, period_value = _KIND_VALUE, _PERIOD_VALUE
    out: Stored = {}

    def raw(column: Any) -> Any:
        # an enum column's stored text (``str_enum`` stores the members' values): the key holds the value
        return type_coerce(column, String())

    def pairs(eid: int, table: str) -> list[tuple[tuple[Any, ...], Any]]:
        groups = out.get(eid)
        if groups is None:
            groups = out[eid] = {}
        found = groups.get(table)
        if found is None:
            found = groups[table] = []
        return found

    for chunk in _chunks(enrolment_ids):
        if "mark" in tables:
            last, items = None, []
            for e, sub, term, kind, slot, score, grade in core_rows(session, select(
                    mk.enrolment_id, mk.subject_id, mk.term_id, raw(mk.kind), mk.slot, mk.score, mk.grade)
                    .where(mk.enrolment_id.in_(chunk))):
                if e != last:
                    last, items = e, pairs(e, "mark")
                items.append((("mark", sub, term, kind_value.get(kind) or MarkKind(kind).value, slot),
                              score if score is not None else grade))
        if "subject_comment" in tables:
            for e, sub, period, text_ in core_rows(session, select(sc.enrolment_id, sc.subject_id, raw(sc.period), sc.text)
                                                            .where(sc.enrolment_id.in_(chunk))):
                pairs(e, "subject_comment").append(
                    (("subject_comment", sub, period_value.get(period) or Period(period).value), text_))
        if "attendance" in tables:
            last, items = None, []
            for e, day, excused, reason in core_rows(session, select(at.enrolment_id, at.day, at.excused, at.reason)
                                                              .where(at.enrolment_id.in_(chunk))):
                if e != last:
                    last, items = e, pairs(e, "attendance")
                items.append((("attendance", day.isoformat()), (bool(excused), reason)))
        for columns, entity, column in ((cd, "conduct", cd.level), (hc, "homeroom_comment", hc.text)):
            if entity in tables:
                for e, period, value in core_rows(session, select(columns.enrolment_id, raw(columns.period), column)
                                                           .where(columns.enrolment_id.in_(chunk))):
                    pairs(e, entity).append(((entity, period_value.get(period) or Period(period).value), value))
        if _RESULT in tables:
            for e, period, *row in core_rows(session, select(sr.enrolment_id, raw(sr.period),
                                                             *[sr[name] for name in RESULT_FIELDS])
                                                      .where(sr.enrolment_id.in_(chunk))):
                pairs(e, _RESULT).append(((_RESULT, period_value.get(period) or Period(period).value), tuple(row)))
        if _SUBJECT_RESULT in tables:
            for e, sub, period, average, grade, r_score, r_grade in core_rows(session, select(
                    sj.enrolment_id, sj.subject_id, raw(sj.period), sj.average, sj.grade, sj.reassessed_score,
                    sj.reassessed_grade).where(sj.enrolment_id.in_(chunk))):
                pairs(e, _SUBJECT_RESULT).append(
                    ((_SUBJECT_RESULT, sub, period_value.get(period) or Period(period).value),
                     (average if average is not None else grade, r_score if r_score is not None else r_grade)))
    return out


def _same_value(stored: Any, traced: Any) -> bool:
    if isinstance(stored, tuple) or isinstance(traced, tuple):
        return stored == traced
    return _same(stored, traced)


def check_traced(session: Session, enrolment_ids: Iterable[int], *,
                 signer: trail_cache.SnapshotSigner | None = None) -> TrailReport:
    """Compare every stored value of these enrolments with the trail's replay (reads only).

    ``signer`` (the printing key): the replay may start from the signed snapshot of an earlier process
    and is written as one (``records.services.trail_cache``).
    """
    return _check(session, sorted(set(enrolment_ids)), signer)[0]


def _check(session: Session, ids: list[int], signer: trail_cache.SnapshotSigner | None,
           later: list[tuple[int, _Replay]] | None = None) -> tuple[TrailReport, dict[int, bytes], set[int]]:
    """(report, digest of the stored values of each enrolment, enrolments with a mismatch)."""
    if not ids:
        return TrailReport(0, 0), {}, set()
    who = _people(session, ids)
    chains = sorted({w.chain for w in who.values()})
    replays = {chain: _replay_for(session, chain, [e for e in ids if e in who and who[e].chain == chain], signer,
                                  later) for chain in chains}
    subjects = {sid: (code, name) for sid, code, name in session.execute(select(Subject.id, Subject.code, Subject.name))}
    terms = {tid: number for tid, number in session.execute(select(Term.id, Term.number))}
    mismatches: list[Mismatch] = []
    bad = sorted({seq for r in replays.values() for seq in r.bad_entries})
    if bad:
        raise IntegrityError(f"Nhật kí lưu vết bị sửa (mục số {', '.join(map(str, bad[:5]))} không khớp mã băm): "
                             "không in.", f"audit entries {bad[:5]} fail their hash; print refused")
    failed: set[int] = set()
    digests: dict[int, bytes] = {}
    count = 0
    results_of = [("student_result", period.value) for period in Period]
    decimals = _DECIMALS
    for chunk in _chunks(ids):  # the stored values a chunk at a time: a run's check holds the replay and one chunk
        stored = _stored_tables(session, chunk)
        for eid in chunk:
            w = who.get(eid)
            if w is None:
                continue  # no such enrolment: nothing stored, nothing printed
            traced = replays[w.chain].values.get(eid, {})
            groups = stored.get(eid, {})
            # every stored value against the traced one; then the traced values no row has (the keys are unique)
            found = 0
            for table in _VALUE_TABLES:
                for key, s_value in groups.get(table, ()):
                    count += 1
                    t_value = traced.get(key, _MISSING)
                    if t_value is not _MISSING:
                        found += 1
                        # a score and its traced text (most values): ``_same``'s Decimal comparison, at once
                        known = decimals.get(t_value) if type(t_value) is str and type(s_value) is Decimal else None
                        if s_value == known if known is not None else _same_value(s_value, t_value):
                            continue
                    subject, column = _describe(key, subjects, terms, w.regime)
                    mismatches.append(Mismatch(w.class_name, w.student, subject, column, _shown(s_value),
                                               _shown(t_value)))
                    failed.add(eid)
            # at least the traced value keys no stored row has (results of an unknown period counted as values):
            # when none, there is none
            if len(traced) - found - sum(1 for key in results_of if key in traced) > 0:
                keys = {key for table in _VALUE_TABLES for key, _value in groups.get(table, ())}
                for key, t_value in traced.items():
                    if key[0] != "student_result" and key not in keys:
                        count += 1
                        subject, column = _describe(key, subjects, terms, w.regime)
                        mismatches.append(Mismatch(w.class_name, w.student, subject, column, _shown(_MISSING),
                                                   _shown(t_value)))
                        failed.add(eid)
        count += _check_results(chunk, who, replays, subjects, stored, mismatches, failed)
        digests.update((eid, _digest(stored.get(eid, {}))) for eid in chunk if eid not in failed)
        del stored
    return TrailReport(count, sum(r.entries for r in replays.values()), tuple(mismatches)), digests, failed


# --- one check for a whole print run ---------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A print run's trail check (:func:`verify_enrolments`): the digests of the stored values of every
    enrolment found to be the trail's, one per table (``TABLES``), as they were read by the check. A book
    whose enrolments still read with these digests, of the tables it prints (``PRINTED_TABLES``), prints
    exactly the values the check verified (:func:`unchanged_since`). An enrolment with any mismatch has
    none: every book of it is checked alone."""

    digests: dict[int, bytes]  # all tables' (``_digest``)
    failed: frozenset[int] = frozenset()
    values: int = 0
    entries: int = 0

    def of(self, enrolment_id: int, tables: Sequence[str] = TABLES) -> bytes | None:
        """The verified digest of these tables of the enrolment (None: not verified)."""
        return select_tables(self.digests.get(enrolment_id), tables)


def verify_enrolments(session: Session, enrolment_ids: Iterable[int], *,
                      signer: trail_cache.SnapshotSigner | None = None,
                      later: list[tuple[int, _Replay]] | None = None) -> Verdict:
    """Check every stored value of these enrolments against the trail at once (one replay, one bulk read).

    Never raises for a mismatch: the enrolments concerned are left out of the digests (``failed``) and
    their books, checked alone (``require_traced``), fail with the values named. An entry failing its
    hash still raises ``IntegrityError`` (nothing of that chain prints). ``later``: see ``_replay_for`` (the
    snapshot for later processes written by ``save_snapshots`` once the verdict is out).
    """
    report, digests, failed = _check(session, sorted(set(enrolment_ids)), signer, later)
    return Verdict(digests, frozenset(failed), report.values, report.entries)


def unchanged_since(session: Session, enrolment_ids: Iterable[int], verdict: Verdict,
                    tables: Sequence[str] = TABLES) -> set[int]:
    """The enrolments whose stored values of these tables are NOT those the verdict verified (changed since,
    failed, or not checked); read in the caller's transaction, i.e. the one the book reads its values in."""
    digests = stored_digests(session, enrolment_ids, tables)
    return {eid for eid, digest in digests.items() if verdict.of(eid, tables) != digest}


def stored_digests(session: Session, enrolment_ids: Iterable[int], tables: Sequence[str] = TABLES) -> dict[int, bytes]:
    """The digest of the stored values of these tables of each enrolment, as this transaction reads them (what a
    book printed: ``PRINTED_TABLES`` of its kind); only these tables are read."""
    ids = sorted(set(enrolment_ids))
    if not ids:
        return {}
    stored = _stored_tables(session, ids, tables)
    return {eid: _digest(stored.get(eid, {}), tables) for eid in ids}


def confirm_printed(session: Session, printed: dict[int, bytes], *, tables: Sequence[str] = TABLES,
                    signer: trail_cache.SnapshotSigner | None = None) -> TrailReport:
    """Check these enrolments against the trail now (every value of them) and require that the values
    verified are those printed (``printed``: ``stored_digests`` of these tables, in the transaction the book
    was read in). ``IntegrityError`` names a value the trail does not produce; ``ConflictError`` when the
    values changed since the book read them."""
    from records.errors import ConflictError

    report, digests, _failed = _check(session, sorted(printed), signer)
    _refuse(report)
    changed = sorted(e for e, digest in printed.items() if select_tables(digests.get(e), tables) != digest)
    if changed:
        raise ConflictError("Dữ liệu của sổ vừa thay đổi trong lúc in; hãy in lại sổ này.",
                            f"the values of enrolments {changed[:5]} changed while the book was printed")
    return report


def _digest(groups: dict[str, list[tuple[tuple[Any, ...], Any]]], tables: Sequence[str] = TABLES) -> bytes:
    """The digests of an enrolment's stored values (``_stored_tables``: its (key, value) pairs per table), one
    per table of ``tables`` (in ``TABLES`` order, 16 bytes each, an empty table's too), joined (same database,
    same reads: same text). The pairs are sorted in place."""
    return b"".join(_table_digest(groups.get(t, [])) for t in TABLES if t in tables)


def _table_digest(items: list[tuple[Any, Any]]) -> bytes:
    """The digest of one table's (key, value) pairs of an enrolment, in key order (the rows' order is the query's)."""
    try:
        items.sort()  # the keys are unique: only keys are compared (a table's keys hold the same types)
    except TypeError:  # a key part None here, an int there
        items.sort(key=lambda item: repr(item[0]))
    return hashlib.blake2b(repr(items).encode(), digest_size=_DIGEST).digest()


def select_tables(digest: bytes | None, tables: Sequence[str]) -> bytes | None:
    """The part of an all-tables digest (``_digest``) that ``_digest(..., tables)`` gives."""
    if digest is None:
        return None
    return b"".join(digest[i * _DIGEST:(i + 1) * _DIGEST] for i, t in enumerate(TABLES) if t in tables)


def _describe(key: tuple[Any, ...], subjects: dict[int, tuple[str, str]], terms: dict[int, int],
              regime: str) -> tuple[str, str]:
    from records.services.corrections import column_label

    kind = key[0]
    if kind == "mark":
        term = terms.get(key[2], 0)
        column = f"cột {column_label(MarkKind(key[3]), key[4], regime)} (học kì {'I' if term == 1 else 'II'})"
        return subjects.get(key[1], ("", "?"))[1], column
    if kind == "subject_comment":
        return subjects.get(key[1], ("", "?"))[1], f"nhận xét {Period(key[2]).label_vi}"
    if kind == "attendance":
        return "", f"điểm danh ngày {key[1]}"
    if kind == "conduct":
        return "", f"rèn luyện / hạnh kiểm {Period(key[1]).label_vi}"
    return "", f"nhận xét của GVCN {Period(key[1]).label_vi}"


def _check_results(ids: Sequence[int], who: dict[int, _Who], replays: dict[int, _Replay],
                   subjects: dict[int, tuple[str, str]], stored: Stored,
                   mismatches: list[Mismatch], failed: set[int]) -> int:
    count = 0
    for eid in ids:
        w = who.get(eid)
        if w is None:
            continue
        traced_values = replays[w.chain].values.get(eid, {})
        groups = stored.get(eid, {})
        for key, row in (*groups.get(_RESULT, ()), *groups.get(_SUBJECT_RESULT, ())):  # the student's results first
            if key[0] == _RESULT:
                period = _PERIODS.get(key[1]) or Period(key[1])
                state = traced_values.get(("student_result", period.value))
                for name, value in zip(RESULT_FIELDS, row, strict=True):
                    count += 1
                    if state is None:
                        mismatches.append(Mismatch(w.class_name, w.student, "", f"{_FIELD_VI[name]} ({period.label_vi})",
                                                   _shown(value), _shown(_MISSING)))
                        failed.add(eid)
                        break
                    if name in state and not _same(value, state[name]):
                        mismatches.append(Mismatch(w.class_name, w.student, "", f"{_FIELD_VI[name]} ({period.label_vi})",
                                                   _shown(value), _shown(state[name])))
                        failed.add(eid)
                continue
            _kind, subject_id, period_value = key
            period = _PERIODS.get(period_value) or Period(period_value)
            code, name = subjects.get(subject_id, ("?", "?"))
            state = traced_values.get(("student_result", period.value)) or {}
            count += 1
            value, retake = row
            traced = state.get("subjects", {}).get(code, _MISSING)
            if traced is _MISSING or not _same(value, traced):
                mismatches.append(Mismatch(w.class_name, w.student, name, f"điểm trung bình môn ({period.label_vi})",
                                           _shown(value), _shown(traced)))
                failed.add(eid)
            traced_retake = state.get("retakes", {}).get(code)
            if not _same(retake, traced_retake):
                mismatches.append(Mismatch(w.class_name, w.student, name, "điểm kiểm tra lại",
                                           _shown(retake), _shown(traced_retake)))
                failed.add(eid)
    return count


def enrolments_of(session: Session, *, class_id: int | None = None, student_id: int | None = None,
                  school_id: int | None = None, course: str | None = None) -> list[int]:
    """The enrolments whose values a book of this scope prints (a class, a student, a course)."""
    query = select(Enrolment.id)
    if class_id is not None:
        query = query.where(Enrolment.class_id == class_id)
    elif student_id is not None:
        query = query.where(Enrolment.student_id == student_id)
    elif course is not None and school_id is not None:
        query = query.join(Student, Student.id == Enrolment.student_id).where(
            Student.school_id == school_id, Student.course == course)
    else:
        return []
    return list(session.scalars(query))


def enrolments_of_books(session: Session, *, class_ids: Sequence[int] = (),
                        student_codes: Sequence[str] = ()) -> set[int]:
    """The enrolments whose values the classes' mark books and the students' transcripts print, read in
    bulk (a print run's trail check)."""
    ids: set[int] = set()
    classes, codes = list(class_ids), list(student_codes)
    for i in range(0, len(classes), 500):
        ids.update(session.scalars(select(Enrolment.id).where(Enrolment.class_id.in_(classes[i:i + 500]))))
    for i in range(0, len(codes), 500):
        ids.update(session.scalars(select(Enrolment.id).join(Student, Student.id == Enrolment.student_id)
                                   .where(Student.code.in_(codes[i:i + 500]))))
    return ids


def enrolments_by_owner(session: Session, *, class_ids: Sequence[int] = (),
                        student_ids: Sequence[int] = ()) -> dict[tuple[str, int], set[int]]:
    """The enrolments of these classes (key ``("class", id)``) and of these students (``("student", id)``), read
    in one query per 500 of each (a print task's books: ``layouts.batch``)."""
    found: dict[tuple[str, int], set[int]] = {}
    for name, column, keys in (("class", Enrolment.class_id, list(class_ids)),
                               ("student", Enrolment.student_id, list(student_ids))):
        for i in range(0, len(keys), 500):
            for enrolment_id, key in session.execute(select(Enrolment.id, column).where(column.in_(keys[i:i + 500]))):
                found.setdefault((name, key), set()).add(enrolment_id)
    return found


def require_traced(session: Session, enrolment_ids: Iterable[int], *,
                   signer: trail_cache.SnapshotSigner | None = None) -> TrailReport:
    """``check_traced``, raising ``IntegrityError`` naming the first values the trail does not produce."""
    report = check_traced(session, enrolment_ids, signer=signer)
    _refuse(report)
    return report


def _refuse(report: TrailReport) -> None:
    """Raise ``IntegrityError`` naming the first values the trail does not produce."""
    if report.mismatches:
        shown = "; ".join(m.text_vi for m in report.mismatches[:5])
        more = f" (và {len(report.mismatches) - 5} giá trị khác)" if len(report.mismatches) > 5 else ""
        raise IntegrityError(
            f"Không in: {len(report.mismatches)} giá trị trong cơ sở dữ liệu không khớp với nhật kí lưu vết (bị sửa "
            f"ngoài phần mềm?): {shown}{more}. Báo cho quản trị và Hiệu trưởng kiểm tra.",
            f"print refused: {len(report.mismatches)} stored values not produced by the audit trail: "
            + "; ".join(f"{m.class_name}/{m.student}/{m.subject}/{m.column}: {m.stored} != {m.traced}"
                        for m in report.mismatches[:5]))


__all__ = ["PRINTED_TABLES", "TABLES", "Mismatch", "TrailReport", "Verdict", "check_traced", "confirm_printed",
           "enrolments_of", "require_traced", "save_snapshots", "select_tables", "stored_digests", "unchanged_since", "verify_enrolments"]
