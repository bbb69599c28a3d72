/* sodientu grid: a plain HTML form table made to feel like a spreadsheet. No framework, no build step.
 *
 * Markup it works on (everything is optional except the table):
 *   <table data-grid data-regime="tt22" data-required-regular="3" data-comment="0">
 *     <tr data-row="…"><td><input data-validate="mark|comment|int|text|absence" [data-min data-max]
 *                                 [data-required] [data-kind="tx" data-weight="1"] [data-mine="…"]></td> …
 *         <output data-compute="term-average|count|count-value" [data-value="P"]></output></tr>
 *   [data-grid-status]   a line that says how many cells are missing / invalid
 *   [data-grid-dirty]    shown (hidden removed) once a cell differs from the page as loaded
 *   [data-apply-mine]    a button that puts every [data-mine] value back (after a save conflict; any page)
 *   form[data-sheet]     posts the names of the fields changed on the page in "changed" (see trackChanges)
 * Cells are addressed by table column (td index): a td without an input (a day a student was not on the roll)
 * or with a disabled one is skipped when moving; a readonly input is visited but never changed.
 * Keys: arrows move (left/right when the caret is at the edge), Enter moves down (Shift+Enter up), Tab is
 * the browser's (right), Escape puts back the cell's saved value, Ctrl+S submits the form (when its submit
 * button is enabled). An "absence" cell (P / K / blank) takes one key: P or K sets it and moves right, space
 * clears and moves right, Delete/Backspace clear, any other character is ignored, arrows always move.
 * Pasting text with tabs or newlines (a block copied from Excel) fills the cells downward and rightward from
 * the cell pasted into, lined up with the columns and rows on screen; values landing on a read-only cell are
 * dropped. Validation runs as you type; the server checks everything again.
 */
(function () {
  "use strict";

  var MARK = /^(\d{1,2})(?:[.,](\d)0*)?$/;
  var COMMENTS = {"đ": "Đ", "đạt": "Đ", "đạt yêu cầu": "Đ", "cđ": "CĐ", "chưa đạt": "CĐ", "chưa đạt yêu cầu": "CĐ"};
  var MESSAGES = {
    mark: "Điểm phải là số từ 0 đến 10, tối đa một chữ số thập phân (ví dụ 8,5 hoặc 8.5).",
    comment: "Môn đánh giá bằng nhận xét: chỉ nhập Đ (Đạt) hoặc CĐ (Chưa đạt).",
    int: "Phải là số nguyên",
    text: "Quá dài",
    absence: "Chỉ ghi P (nghỉ có phép), K (nghỉ không phép) hoặc để trống.",
    control: "Có ký tự điều khiển không in được."
  };

  function norm(text) { return text.normalize("NFC").trim().replace(/\s+/g, " "); }

  /* A mark in tenths (85 for "8,5"), or null when empty, or NaN when invalid. */
  function tenths(text) {
    var t = norm(text);
    if (t === "") { return null; }
    var m = MARK.exec(t);
    if (!m) { return NaN; }
    var v = parseInt(m[1], 10) * 10 + (m[2] ? parseInt(m[2], 10) : 0);
    return v <= 100 ? v : NaN;
  }

  function comment(text) {
    var t = norm(text).toLowerCase();
    if (t === "") { return null; }
    return Object.prototype.hasOwnProperty.call(COMMENTS, t) ? COMMENTS[t] : undefined;
  }

  /* Why a cell's value is refused ("" when it is fine). */
  function problem(input) {
    var v = input.value, rule = input.dataset.validate;
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) { return MESSAGES.control; }
    if (rule === "mark") { return isNaN(tenths(v)) ? MESSAGES.mark : ""; }
    if (rule === "comment") { return comment(v) === undefined ? MESSAGES.comment : ""; }
    if (rule === "absence") { return /^[PK]?$/i.test(norm(v)) ? "" : MESSAGES.absence; }
    if (rule === "int") {
      var t = norm(v);
      if (t === "") { return ""; }
      var lo = Number(input.dataset.min || 0), hi = Number(input.dataset.max || 1e9);
      if (!/^\d{1,9}$/.test(t) || Number(t) < lo || Number(t) > hi) {
        return MESSAGES.int + " từ " + lo + " đến " + hi + ".";
      }
      return "";
    }
    if (rule === "text" && input.dataset.max && v.length > Number(input.dataset.max)) {
      return MESSAGES.text + " (tối đa " + input.dataset.max + " ký tự).";
    }
    return "";
  }

  /* Computed cells: name -> function(row, table) -> text. */
  var computers = {
    /* The term average (weights 1, 2, 3; half up to 0.1) or the Đ/CĐ result, "" while incomplete —
       the same rules as records.services.mark_entry.term_result; the server recomputes on save. */
    "term-average": function (row, table) {
      var regime = table.dataset.regime, required = Number(table.dataset.requiredRegular || 0);
      var isComment = table.dataset.comment === "1";
      var by = {tx: [], dk: [], gk: [], ck: []};
      var inputs = row.querySelectorAll("input[data-kind]");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i], value = isComment ? comment(input.value) : tenths(input.value);
        if (value === undefined || (typeof value === "number" && isNaN(value))) { return ""; }
        if (value !== null) { by[input.dataset.kind].push([value, Number(input.dataset.weight)]); }
      }
      var periodic = by.dk.concat(by.gk);
      if (by.tx.length < required || periodic.length === 0 || by.ck.length !== 1) { return ""; }
      if (regime !== "tt58" && periodic.length !== 1) { return ""; }
      var all = by.tx.concat(periodic, by.ck);
      if (isComment) {
        var grades = all.map(function (p) { return p[0]; });
        var passed = grades.filter(function (g) { return g === "Đ"; }).length;
        if (regime === "tt22") { return passed === grades.length ? "Đ" : "CĐ"; }
        return by.ck[0][0] === "Đ" && 3 * passed >= 2 * grades.length ? "Đ" : "CĐ";
      }
      var num = 0, den = 0;
      all.forEach(function (p) { num += p[0] * p[1]; den += p[1]; });
      var avg = Math.floor((2 * num + den) / (2 * den)); /* tenths, rounded half up, exact in integers */
      return (avg / 10).toFixed(1).replace(".", ",");
    },
    /* A count of the row's non-empty cells. */
    "count": function (row) {
      return String(Array.prototype.filter.call(row.querySelectorAll("input[data-validate]"),
        function (i) { return norm(i.value) !== ""; }).length);
    },
    /* How many of the row's cells hold the output's data-value (an attendance row's P or K days), counting the
       read-only days shown as text ([data-value-cell]); "" for none. */
    "count-value": function (row, table, out) {
      var want = out.dataset.value, n = 0;
      Array.prototype.forEach.call(row.querySelectorAll("input[data-validate], [data-value-cell]"), function (c) {
        if (norm(c.matches("input") ? c.value : c.textContent).toUpperCase() === want) { n++; }
      });
      return n ? String(n) : "";
    }
  };

  /* The value a cell takes from a paste: an absence cell keeps only P / K (anything else leaves it blank). */
  function pasted(input, text) {
    var v = text.trim();
    if (input.dataset.validate === "absence") { v = v.toUpperCase(); return v === "P" || v === "K" ? v : ""; }
    return v;
  }

  function Grid(table) {
    this.table = table;
    this.rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    this.form = table.closest("form");
    this.status = document.querySelector("[data-grid-status]");
    this.dirtyNote = document.querySelector("[data-grid-dirty]");
    this.submitting = false;
    var self = this;
    this.cells().forEach(function (input) { self.check(input, true); });
    this.rows.forEach(function (row) { self.compute(row); });
    this.report();
    table.addEventListener("keydown", function (e) { self.key(e); });
    table.addEventListener("input", function (e) {
      if (e.target.matches("input")) { self.changed(e.target); }
    });
    table.addEventListener("paste", function (e) { self.paste(e); });
    table.addEventListener("focusin", function (e) { if (e.target.select) { e.target.select(); } });
    if (this.form) {
      this.form.addEventListener("submit", function (e) { self.submit(e); });
      window.addEventListener("beforeunload", function (e) {
        if (!self.submitting && self.dirty()) { e.preventDefault(); e.returnValue = ""; }
      });
    }
  }

  Grid.prototype.cells = function () {
    return Array.prototype.slice.call(this.table.querySelectorAll("tbody input"));
  };

  /* The input in row r, table column c: undefined outside the table, null in a cell without one. */
  Grid.prototype.at = function (r, c) {
    var row = this.rows[r];
    if (!row || c < 0 || c >= row.cells.length) { return undefined; }
    return row.cells[c].querySelector("input");
  };

  Grid.prototype.position = function (input) {
    return [this.rows.indexOf(input.closest("tr")), input.closest("td").cellIndex];
  };

  /* The next enabled cell from (r, c) in direction (dr, dc), skipping read-only rows and cells. */
  Grid.prototype.step = function (r, c, dr, dc) {
    for (;;) {
      r += dr; c += dc;
      var cell = this.at(r, c);
      if (cell === undefined) { return null; }
      if (cell && !cell.disabled) { return cell; }
    }
  };

  /* A cell's value changed (typed, pasted, set by a key): check it, recompute its row, say so. */
  Grid.prototype.changed = function (input, extra) {
    this.check(input); this.compute(input.closest("tr")); this.report(extra);
  };

  /* One key of an absence cell (P / K / blank); true when the key was handled. */
  Grid.prototype.absenceKey = function (e, input, pos) {
    var k = e.key, value = null, right = false;
    if (k === "p" || k === "P" || k === "k" || k === "K") { value = k.toUpperCase(); right = true; }
    else if (k === " ") { value = ""; right = true; }
    else if (k === "Delete" || k === "Backspace") { value = ""; }
    else if (k.length !== 1) { return false; }
    e.preventDefault(); /* nothing but P, K or blank goes into the cell */
    if (value === null || input.readOnly) { return true; }
    if (input.value !== value) { input.value = value; this.changed(input); }
    var next = right ? this.step(pos[0], pos[1], 0, 1) : null;
    if (next) { next.focus(); } else { input.select(); }
    return true;
  };

  Grid.prototype.key = function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input")) { return; }
    var pos = this.position(input), move = null;
    if (e.altKey || e.metaKey) { return; }
    if (e.ctrlKey) {
      var save = this.form && this.form.querySelector("button[type=submit]:not([disabled])");
      if ((e.key === "s" || e.key === "S") && save) { e.preventDefault(); this.form.requestSubmit(save); }
      return;
    }
    var absence = input.dataset.validate === "absence";
    if (absence && this.absenceKey(e, input, pos)) { return; }
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length;
    var all = absence || (input.selectionStart === 0 && input.selectionEnd === input.value.length);
    if (e.key === "ArrowDown" || (e.key === "Enter" && !e.shiftKey)) { move = [1, 0]; }
    else if (e.key === "ArrowUp" || (e.key === "Enter" && e.shiftKey)) { move = [-1, 0]; }
    else if (e.key === "ArrowLeft" && (atStart || all)) { move = [0, -1]; }
    else if (e.key === "ArrowRight" && (atEnd || all)) { move = [0, 1]; }
    if (e.key === "Escape" && input.value !== input.defaultValue) { /* undo the cell's unsaved change */
      input.value = input.defaultValue; this.changed(input); input.select(); return;
    }
    if (!move) { return; }
    e.preventDefault(); /* Enter never submits from a cell: the Save button does */
    var next = this.step(pos[0], pos[1], move[0], move[1]);
    if (next) { next.focus(); }
  };

  Grid.prototype.paste = function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input") || !e.clipboardData) { return; }
    var text = e.clipboardData.getData("text/plain");
    if (!/[\t\n\r]/.test(text)) { return; } /* one value: the browser pastes it */
    e.preventDefault();
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") { lines.pop(); }
    var pos = this.position(input), filled = 0, dropped = 0, touched = [];
    for (var i = 0; i < lines.length; i++) {
      var values = lines[i].split("\t");
      for (var j = 0; j < values.length; j++) {
        var cell = this.at(pos[0] + i, pos[1] + j);
        if (!cell || cell.disabled || cell.readOnly) { if (values[j].trim() !== "") { dropped++; } continue; }
        cell.value = pasted(cell, values[j]);
        this.check(cell);
        touched.push(cell.closest("tr"));
        filled++;
      }
    }
    var self = this;
    touched.forEach(function (row) { self.compute(row); });
    this.report(filled + " ô đã dán" + (dropped ? "; " + dropped + " giá trị rơi vào dòng/ô chỉ đọc hoặc ngoài bảng nên bị bỏ qua" : "") + ".");
  };

  Grid.prototype.check = function (input, initial) {
    var why = problem(input), td = input.closest("td");
    if (initial && !why && td.classList.contains("invalid")) { why = input.title || MESSAGES.mark; } /* the server's word */
    td.classList.toggle("invalid", !!why);
    if (why) { input.setAttribute("aria-invalid", "true"); input.title = why; }
    else { input.removeAttribute("aria-invalid"); input.removeAttribute("title"); }
    td.classList.toggle("missing", input.hasAttribute("data-required") && !input.disabled && norm(input.value) === "");
    td.classList.toggle("changed", input.value !== input.defaultValue);
    if (input.dataset.validate === "absence") {
      var v = norm(input.value).toUpperCase();
      td.classList.toggle("absent-p", v === "P"); td.classList.toggle("absent-k", v === "K");
    }
  };

  Grid.prototype.compute = function (row) {
    if (!row) { return; }
    var table = this.table;
    Array.prototype.forEach.call(row.querySelectorAll("[data-compute]"), function (out) {
      var f = computers[out.dataset.compute];
      if (f) { out.textContent = f(row, table, out); }
    });
  };

  Grid.prototype.count = function (selector) { return this.table.querySelectorAll(selector).length; };

  Grid.prototype.dirty = function () {
    return this.cells().some(function (i) { return i.value !== i.defaultValue; });
  };

  Grid.prototype.report = function (extra) {
    if (this.dirtyNote) { this.dirtyNote.hidden = !this.dirty(); }
    if (!this.status) { return; }
    var missing = this.count("td.missing"), invalid = this.count("td.invalid");
    var text = "Còn thiếu " + missing + " điểm bắt buộc";
    if (!this.table.querySelector("input[data-required]")) {
      text = "Đã nhập " + this.cells().filter(function (i) { return norm(i.value) !== ""; }).length + " " + (this.table.dataset.countLabel || "ô");
    }
    if (invalid) { text += "; " + invalid + " ô chưa hợp lệ (di chuột vào ô để xem lý do)"; }
    this.status.textContent = text + "." + (extra ? " " + extra : "");
    this.status.classList.toggle("bad", invalid > 0);
  };

  Grid.prototype.submit = function (e) {
    var bad = this.table.querySelector("td.invalid input");
    if (bad) {
      e.preventDefault();
      this.report("Chưa lưu: hãy sửa các ô được đánh dấu đỏ.");
      bad.focus();
      return;
    }
    this.submitting = true;
  };

  /* After a save conflict: put every field's data-mine value (inputs, selects, textareas, in a grid or not)
     back, as if typed, so the grid checks and recomputes them; the user then saves. */
  function applyMine() {
    var n = 0;
    Array.prototype.forEach.call(document.querySelectorAll("[data-mine]"), function (field) {
      if (field.disabled || field.readOnly) { return; }
      field.value = field.dataset.mine; n++;
      field.dispatchEvent(new Event("input", {bubbles: true}));
      field.dispatchEvent(new Event("change", {bubbles: true}));
    });
    var text = n + " giá trị của bạn đã được áp dụng lại; bấm Lưu để ghi.";
    var table = document.querySelector("table[data-grid]"), status = document.querySelector("[data-grid-status], [data-mine-status]");
    if (table && table.sodientuGrid) { table.sodientuGrid.report(text); } else if (status) { status.textContent = text; }
  }

  /* A sheet form (form[data-sheet]) posts, in a hidden "changed" field, the names of the fields the user changed
     on this page (plus those of data-changed: values typed before the page was shown again), so that after a
     save conflict only what the user changed is offered back as theirs — not the stale copy of cells someone
     else changed meanwhile. Without script no such field is posted and every differing cell is offered. */
  function differs(f) {
    if (f.tagName === "SELECT") {
      var d = Array.prototype.filter.call(f.options, function (o) { return o.defaultSelected; })[0] || f.options[0];
      return f.value !== (d ? d.value : "");
    }
    return f.value !== f.defaultValue;
  }
  function trackChanges(form) {
    form.addEventListener("submit", function () {
      var names = (form.dataset.changed || "").split(" ").filter(Boolean);
      Array.prototype.forEach.call(form.elements, function (f) {
        if (f.name && f.type !== "hidden" && f.type !== "submit" && !f.disabled && differs(f) && names.indexOf(f.name) < 0) {
          names.push(f.name);
        }
      });
      var box = form.querySelector("input[name=changed]");
      if (!box) { box = document.createElement("input"); box.type = "hidden"; box.name = "changed"; form.appendChild(box); }
      box.value = names.join(" ");
    });
  }

  window.SodientuGrid = {computers: computers, problem: problem, tenths: tenths};
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-grid]"), function (t) { t.sodientuGrid = new Grid(t); });
    Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) { el.classList.add("js-on"); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-apply-mine]"), function (b) { b.addEventListener("click", applyMine); });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sheet]"), trackChanges);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
