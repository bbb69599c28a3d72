"""Measure, then plan: page breaks of a book's tables come from what Typst lays out, never from estimates.

A *flow* is one logical table of a book (the roll, a subject's mark page of a term, a month's
attendance …) with ALL its rows, in the data its page kind renders. :func:`paginate` compiles one
measuring document (``book.measure = true``; ``templates/paginate.typ``) in which every flow is
drawn once: its page without rows (title, header, legend, signatures — everything that repeats on
each page of the flow) and the height of each of its rows, read back with ``typst.query`` from
``metadata`` elements labelled ``<measure>`` (the page body is laid out once, its grid reporting the
rows' heights and drawing its header only, and the fixed part is where that body ends: the same
height to the bit as the page measured without its rows, or with them). Python
then packs the rows into pages: a page takes rows while the page's fixed part plus its rows fit the
content height (less :data:`SLACK_PT`). The
builder makes one :class:`~layouts.documents.Page` per planned page (so page digests, QR codes and
whole-book numbering are unchanged) and the second, real pass renders them; the renderer's
page-count check stays as the safety net.

Flows of one ``group`` break at the same rows (the two facing halves of a month's attendance on
A4): they are packed on the elementwise largest row heights and the largest fixed part.

A template takes part by ending with ``#if is-measuring(doc) { measure-pages(doc, renderers) }
else { render-pages(doc, renderers) }`` and calling its grids with ``report: book.measure``. A book
of plain tables (the transcript, the register) draws each with ``table-flow`` (paginate.typ), which
reports its header's height with its rows (added to the page's fixed part), and ends with
``measure-pages(doc, renderers, flows-only: true)`` (its page bodies are then not measured twice).

API (small on purpose): :class:`Flow`, :func:`paginate` (→ row ranges per flow), :func:`measure`
(→ :class:`Measured` per flow, for a builder that also needs the height left), :func:`pack` (the
packing rule alone, pure), :data:`SLACK_PT`. A flow measured once is remembered by the process
(:func:`measure`: identical flows of later books are not measured again); :func:`prefetch` measures
the flows of several books to come in one compile (a batch task's transcripts).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from layouts.errors import RenderError

#: Safety margin (pt) kept free on every page: rounding in Typst's layout never adds a page.
SLACK_PT = 2.0


@dataclass(frozen=True)
class Flow:
    """A logical table to paginate: the page kind that draws it and its data holding every row."""

    kind: str
    data: Mapping[str, Any]
    group: str | None = None  # flows of one group share their page breaks
    orientation: str | None = None  # the page's orientation, when it overrides the book's
    reserve_rows: int = 0  # room kept for this many more one-line rows (rows still to come): may add a page


@dataclass(frozen=True)
class Measured:
    """What Typst measured of one flow (pt)."""

    fixed: float  # the page without rows: title, table header, legend, signatures
    room: float  # content height of the page
    rows: tuple[float, ...]  # height of each row


def pack(m: Measured, slack: float = SLACK_PT, reserve: float = 0.0) -> list[range]:
    """Row ranges, one per page: each page takes rows while they fit (at least one row a page).

    ``reserve`` (pt) is kept free after the last row; when the last page cannot keep it, an empty
    range is added: a page planned for rows still to come.
    """
    room = m.room - m.fixed - slack
    pages: list[range] = []
    start, used = 0, 0.0
    for i, h in enumerate(m.rows):
        if i > start and used + h > room:
            pages.append(range(start, i))
            start, used = i, 0.0
        used += h
    pages.append(range(start, len(m.rows)))
    if reserve > 0 and used + reserve > room:
        pages.append(range(len(m.rows), len(m.rows)))
    return pages


def measure(template: str, book: Mapping[str, Any], flows: Sequence[Flow]) -> list[Measured]:
    """What Typst measures of each flow (see the module docstring), from one measuring compile of the
    flows this process has not measured yet (see "what this process has measured" below)."""
    keys = [_flow_key(template, book, f) for f in flows]
    known = _measure_missing(template, book, flows, keys)[0]
    return [known[key] for key in keys]


def prefetch(template: str, book: Mapping[str, Any], flows: Sequence[Flow]) -> list[bool]:
    """Measure in one compile the flows this process has not measured yet, for the :func:`measure`
    calls to come (several books' flows: one compile instead of one a book; what a flow measures
    does not depend on the others). Whether each flow was measured by this call (False: it was
    remembered, or it is the same as an earlier flow of the list)."""
    keys = [_flow_key(template, book, f) for f in flows]
    missing = _measure_missing(template, book, flows, keys)[1]
    first = {key: i for i, key in reversed(list(enumerate(keys)))}
    return [key in missing and first[key] == i for i, key in enumerate(keys)]


def _measure_missing(template: str, book: Mapping[str, Any], flows: Sequence[Flow],
                     keys: Sequence[str]) -> tuple[dict[str, Measured], set[str]]:
    """Every flow's measurement by key (remembered, or measured now in one compile) and the keys measured now."""
    known: dict[str, Measured] = {}
    missing: dict[str, Flow] = {}
    with _measured_lock:
        for key, f in zip(keys, flows, strict=True):
            m = _MEASURED.get(key)
            if m is not None:
                known[key] = m
                _MEASURED.move_to_end(key)
            else:
                missing.setdefault(key, f)
    if missing:
        for key, m in zip(missing, _measure_compile(template, book, list(missing.values())), strict=True):
            known[key] = m
            _remember(key, m)
    return known, set(missing)


def _measure_compile(template: str, book: Mapping[str, Any], flows: Sequence[Flow]) -> list[Measured]:
    """One measuring compile of the given flows: one page each, in order."""
    from layouts.render import document_json, query_document

    pages = []
    for i, f in enumerate(flows):
        page: dict[str, Any] = {"no": i + 1, "kind": f.kind, "side": "recto", "part": "all", "qr": None,
                                "code": None, "data": dict(f.data)}
        if f.orientation:
            page["orientation"] = f.orientation
        pages.append(page)
    doc = {"schema_version": 1, "book": {**book, "measure": True, "duplex": False, "total_pages": len(flows)},
           "pages": pages}
    found = query_document(template, document_json(doc), "<measure>")
    out: list[Measured] = []
    for item in found:
        if item.get("what") == "page":
            out.append(Measured(float(item["fixed"]), float(item["room"]), ()))
        elif item.get("what") == "rows" and out:
            last = out[-1]
            out[-1] = Measured(last.fixed + float(item.get("fixed", 0.0)), last.room, tuple(float(h) for h in item["h"]))
        elif item.get("what") == "end" and out:  # where the page body ends: its fixed part (paginate.typ)
            last = out[-1]
            out[-1] = Measured(last.fixed + float(item["y"]), last.room, last.rows)
    if len(out) != len(flows):
        raise RenderError("Không in được sổ: lỗi khi đo trang. Vui lòng báo cho quản trị hệ thống.",
                          f"measuring pass of {template!r}: {len(out)} flows reported, {len(flows)} sent")
    return out


# --- what this process has measured ----------------------------------------------------------------
#
# A flow is measured on a page of its own (a recto of a one-sided book: both margins alike), its
# fixed part and its rows in the width of that page: what Typst reports for it depends only on the
# template, the book (less its page count), the page kind, orientation and data — not on the other
# flows of the measuring document nor on its place among them (tests/layouts/test_paginate.py
# checks it). So a flow measured once is never measured again by this process: a batch's year
# transcript and volume, a term-I and a year print of a mark book, a reprint, share their flows.

#: Flows remembered per process, the least recently used forgotten first (a worker of the 600-student
#: school year measures ~1,500 flows; a Measured of 45 rows takes ~2 KB).
MEASURED_FLOWS = 4096
_MEASURED: OrderedDict[str, Measured] = OrderedDict()
_measured_lock = threading.Lock()


def _flow_key(template: str, book: Mapping[str, Any], flow: Flow) -> str:
    """Digest of everything a flow's measurement depends on."""
    from layouts.render import document_json

    shown = {k: v for k, v in book.items() if k != "total_pages"}
    text = document_json({"t": template, "b": shown, "k": flow.kind, "o": flow.orientation, "d": flow.data})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _remember(key: str, m: Measured) -> None:
    with _measured_lock:
        _MEASURED[key] = m
        _MEASURED.move_to_end(key)
        while len(_MEASURED) > MEASURED_FLOWS:
            _MEASURED.popitem(last=False)


def forget_measurements() -> None:
    """Forget every flow measured by this process (tests; after changing the templates)."""
    with _measured_lock:
        _MEASURED.clear()


def paginate(template: str, book: Mapping[str, Any], flows: Sequence[Flow]) -> list[list[range]]:
    """Row ranges per page of each flow, from one measuring pass; flows of a group break alike."""
    measured = measure(template, book, flows)
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(flows):
        if f.group is not None:
            groups.setdefault(f.group, []).append(i)
    plans: list[list[range] | None] = [None] * len(flows)
    for members in groups.values():
        ms = [measured[i] for i in members]
        n = max(len(m.rows) for m in ms)
        rows = tuple(max((m.rows[k] for m in ms if k < len(m.rows)), default=0.0) for k in range(n))
        joint = pack(Measured(max(m.fixed for m in ms), min(m.room for m in ms), rows),
                     reserve=max(_reserve(flows[i], m) for i, m in zip(members, ms, strict=True)))
        for i in members:
            plans[i] = joint
    return [p if p is not None else pack(m, reserve=_reserve(f, m))
            for p, m, f in zip(plans, measured, flows, strict=True)]


def _reserve(flow: Flow, m: Measured) -> float:
    """Room (pt) for ``flow.reserve_rows`` rows as tall as the flow's shortest row."""
    return flow.reserve_rows * min(m.rows, default=0.0)


__all__ = ["MEASURED_FLOWS", "SLACK_PT", "Flow", "Measured", "forget_measurements", "measure", "pack", "paginate",
           "prefetch"]
