// The office's print page (office/print.html), without inline script (the Content-Security-Policy allows
// scripts from web/static only): a new school year reloads the form; only the choices of the chosen book
// are shown (without script every choice stays visible and the server ignores the others).
(function () {
  const year = document.querySelector("#year-choice select[name=nam]");
  if (year) {
    year.addEventListener("change", function () { year.form.submit(); });
  }
  const form = document.getElementById("print-form");
  if (!form) {
    return;
  }
  function show() {
    const chosen = form.querySelector("input[name=book]:checked");
    const book = chosen ? chosen.value : "";
    form.querySelectorAll("[data-books]").forEach(function (el) {
      el.hidden = !el.dataset.books.split(" ").includes(book);
    });
  }
  form.querySelectorAll("input[name=book]").forEach(function (el) { el.addEventListener("change", show); });
  show();
})();
