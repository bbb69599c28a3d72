/* sodientu: the year's conduct sheet: put the level the regulation derives from the two terms into every empty
   box (the teacher reviews, then saves). Without JavaScript the hint column is read and chosen by hand. */
(function () {
  "use strict";
  var button = document.getElementById("apply-suggested");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    document.querySelectorAll("td.suggested[data-for]").forEach(function (td) {
      var box = document.getElementById(td.dataset.for), level = td.textContent.trim();
      if (box && !box.value && level) { box.value = level; box.parentNode.classList.add("differs"); }
    });
  });
})();
