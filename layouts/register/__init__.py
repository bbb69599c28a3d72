"""Sổ đăng bộ (the enrolment register of a course), one package: ``inputs`` (``records.books.register``
dataclasses), ``vocabulary`` (its printed words), ``pages`` (cover, list lines, closing page), ``plan``
(measured page plan, ``build_register``, ``render_register``, ``print_register``, ``publish_register``).
Every name importable from ``layouts.register`` before the split still is.
"""

# ruff: noqa: F401 - this module re-exports the book's names (the same as before the split)
from __future__ import annotations

from layouts.documents import (
    BookDocument,
    BookMeta,
    Page,
    Paper,
    page_sides,
)
from layouts.formatting import (
    format_date as fmt_date,  # imported from layouts.transcript before the split
)
from layouts.paginate import (
    Flow,
    paginate,
)
from layouts.register.inputs import (
    RegisterInput,
    RegisterLine,
    YearTrack,
    parse_course,
)
from layouts.register.pages import (
    COLUMNS,
    COLUMNS_MM,
    line_cells,
)
from layouts.register.plan import (
    TEMPLATE,
    build_register,
    plan_lines,
    print_register,
    publish_register,
    recorded_year,
    render_register,
)
from layouts.transcript.pages import (
    long_date,
    school_upper,
)
from records.errors import (
    ValidationError,
)
