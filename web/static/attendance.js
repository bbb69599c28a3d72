/* sodientu: the attendance grid (students x school days). Keyboard: arrows move, P/K set and move right,
   space/Delete/Backspace clear, Enter moves down, Ctrl+S saves; pasting a row of "P K  P" fills cells.
   Without JavaScript the grid is a plain form of text boxes. */
(function () {
  "use strict";
  var grid = document.getElementById("att-grid"), form = document.getElementById("attendance");
  if (!grid || !form) return;
  var dirty = false, note = document.getElementById("dirty");
  function cell(r, c) { return grid.querySelector('input.cell[data-r="' + r + '"][data-c="' + c + '"]'); }
  function pos(el) { return [+el.dataset.r, +el.dataset.c]; }
  function step(el, dr, dc) {  // the next enabled cell that way (days a student was not on the roll are skipped)
    var p = pos(el), r = p[0] + dr, c = p[1] + dc, rows = grid.tBodies[0].rows.length, cols = grid.tHead.rows[0].cells.length;
    for (var i = 0; i < cols + rows; i++, r += dr, c += dc) {
      if (r < 0 || c < 0 || r >= rows || c >= cols) return null;
      var next = cell(r, c);
      if (next) return next;
    }
    return null;
  }
  function go(el) { if (el) { el.focus(); el.select(); } }
  function totals(row) {
    var p = 0, k = 0;
    row.querySelectorAll("input.cell").forEach(function (i) { if (i.value === "P") p++; else if (i.value === "K") k++; });
    row.querySelectorAll("span.off").forEach(function (s) { if (s.textContent === "P") p++; else if (s.textContent === "K") k++; });
    row.querySelector(".tot-p").textContent = p || ""; row.querySelector(".tot-k").textContent = k || "";
  }
  function set(el, v) {
    if (el.value !== v) { el.value = v; dirty = true; if (note) note.hidden = false; }
    el.parentNode.classList.toggle("absent-p", v === "P"); el.parentNode.classList.toggle("absent-k", v === "K");
    totals(el.closest("tr"));
  }
  grid.querySelectorAll("input.cell").forEach(function (i) { set(i, i.value.toUpperCase()); });
  dirty = false; if (note) note.hidden = true;
  grid.addEventListener("keydown", function (e) {
    var el = e.target;
    if (!el.matches || !el.matches("input.cell") || e.altKey || e.metaKey) return;
    var save = document.getElementById("save-attendance");
    if (e.ctrlKey) { if ((e.key === "s" || e.key === "S") && save && !save.disabled) { e.preventDefault(); form.requestSubmit(); } return; }
    var k = e.key, moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0], Enter: [1, 0] };
    if (moves[k]) { e.preventDefault(); go(step(el, moves[k][0], moves[k][1])); return; }
    if (el.readOnly) return;  // a locked month: move around, change nothing
    if (k === "p" || k === "P" || k === "k" || k === "K") { e.preventDefault(); set(el, k.toUpperCase()); go(step(el, 0, 1) || el); return; }
    if (k === " " || k === "Delete" || k === "Backspace") { e.preventDefault(); set(el, ""); if (k === " ") go(step(el, 0, 1) || el); return; }
    if (k.length === 1) e.preventDefault();  // nothing but P, K or blank goes into a cell
  });
  grid.addEventListener("paste", function (e) {  // a row copied from a spreadsheet: one value per day
    var el = e.target;
    if (!el.matches || !el.matches("input.cell") || el.readOnly) return;
    e.preventDefault();
    var values = (e.clipboardData.getData("text") || "").split(/\r?\n/)[0].split("\t");
    values.forEach(function (v) { if (el) { v = v.trim().toUpperCase(); set(el, v === "P" || v === "K" ? v : ""); el = step(el, 0, 1); } });
  });
  grid.addEventListener("focusin", function (e) { if (e.target.matches("input.cell")) e.target.select(); });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (e) { if (dirty) { e.preventDefault(); e.returnValue = ""; } });
})();
