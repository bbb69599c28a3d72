"""How many times Typst lays a document out in one compile (typst-py exposes no count).

Typst lays a document out again while the introspection results its layout read (positions, counters,
queries, states — and the locations `measure` looks up for locatable elements that are also placed) are
not yet stable, up to 5 times. :func:`layout_iterations` compiles documents in a child Python run under
``gdb`` with two counting breakpoints (no stop): ``typst::compile::<PagedDocument>`` (once per compile or
query) and ``typst_layout::pages::layout_document`` (once per layout iteration), their mangled names read
from typst-py's shared object with ``nm``. The child runs at full speed between the few hits. Used by
``tests/layouts/test_iterations.py`` and ``bench/count_iterations.py``; :func:`available` says why not
where ``gdb``/``nm`` are missing.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

COMPILE = "typst::compile::<typst_layout::document::PagedDocument>"
LAYOUT = "typst_layout::pages::layout_document"

_GDB_SCRIPT = r'''
import gdb, os
events = []
class Count(gdb.Breakpoint):
    def __init__(self, spec, tag):
        super().__init__(spec, internal=True)
        self.tag = tag
        self.silent = True
    def stop(self):
        events.append(self.tag)
        return False
gdb.execute("set pagination off")
gdb.execute("set breakpoint pending on")
gdb.execute("set confirm off")
Count(os.environ["COUNT_COMPILE"], "C")
Count(os.environ["COUNT_LAYOUT"], "L")
gdb.execute("run")
with open(os.environ["COUNT_OUT"], "w") as fh:
    fh.write("".join(events))
'''


def typst_so() -> Path:
    import typst

    return next(Path(typst.__file__).parent.glob("_typst*.so"))


@functools.cache
def symbols() -> dict[str, str]:
    """Mangled names of the compile and layout entry points in typst-py's shared object."""
    def nm(*flags: str) -> list[str]:
        out = subprocess.run(["nm", "--defined-only", "-p", *flags, str(typst_so())], capture_output=True,
                             text=True, check=True).stdout
        return [line.split(" ", 2)[-1] for line in out.splitlines()]

    found = {d: m for m, d in zip(nm(), nm("-C"), strict=True) if d in (COMPILE, LAYOUT)}  # -p: one order
    if len(found) != 2:
        raise LookupError(f"{COMPILE} / {LAYOUT} not found in {typst_so()}")
    return found


def available() -> str | None:
    """None when iterations can be counted here, else the reason."""
    for tool in ("gdb", "nm"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    try:
        symbols()
    except (LookupError, OSError, subprocess.CalledProcessError, StopIteration) as exc:
        return f"typst-py's symbols: {exc}"
    return None


def layout_iterations(items: list[dict[str, str]]) -> list[int]:
    """Layout iterations of each item, compiled in order in ONE child process: ``{"source": typst
    text}`` (compiled bare), ``{"template": path of a .typ, "doc": JSON text}`` (compiled to PDF as
    ``layouts.render`` compiles, ``sys.inputs.doc``), or the same with ``"query": selector`` (queried as
    ``layouts.render.query_document`` queries a measuring document)."""
    syms = symbols()
    with tempfile.TemporaryDirectory() as tmp:
        lst, out, script = Path(tmp, "items.json"), Path(tmp, "events"), Path(tmp, "count.py")
        lst.write_text(json.dumps(items), "utf-8")
        script.write_text(_GDB_SCRIPT, "utf-8")
        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ, COUNT_COMPILE=syms[COMPILE], COUNT_LAYOUT=syms[LAYOUT], COUNT_OUT=str(out),
                   PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
        subprocess.run(["gdb", "-q", "-batch", "-nx", "-x", str(script), "--args", sys.executable, "-m",
                        "tests.layouts.typst_iterations", str(lst)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root)
        events = out.read_text()
    runs = [len(chunk) for chunk in events.split("C")[1:]]
    if len(runs) != len(items) or not events.startswith("C"):
        raise RuntimeError(f"{len(items)} documents but {len(runs)} compiles: {events[:200]}")
    return runs


def _child(list_file: Path) -> None:
    import typst

    from layouts import render
    from layouts.publish import PDF_STANDARD

    for item in json.loads(list_file.read_text("utf-8")):
        if "source" in item:
            typst.compile(item["source"].encode(), format="pdf")
            continue
        path = Path(item["template"])
        if "query" in item:
            typst.Compiler(input=str(path), root=str(path.parent), font_paths=render._fonts(),
                           ignore_system_fonts=True, sys_inputs={"doc": item["doc"]}).query(item["query"], field="value")
        else:
            render._compiler().compile(input=str(path), format="pdf", sys_inputs={"doc": item["doc"]},
                                       pdf_standards=[PDF_STANDARD],  # type: ignore[list-item]
                                       timestamp=render.FIXED_TIMESTAMP,
                                       pdf_tags=False, root=str(path.parent))


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
