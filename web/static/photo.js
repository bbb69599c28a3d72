/* sodientu: choose the 3x4 part of a photo before uploading it. The box (3:4) is dragged with the mouse or a
   finger, or moved with the arrow keys; its size is a slider. The server crops the same box in the upright
   image's pixels (crop_left, crop_top, crop_width); without JavaScript it takes the centred 3:4 crop. */
(function () {
  "use strict";
  var file = document.getElementById("photo-file"), wrap = document.getElementById("crop");
  if (!file || !wrap) return;
  var img = document.getElementById("crop-img"), box = document.getElementById("crop-box"),
      size = document.getElementById("crop-size"), st = { x: 0, y: 0, w: 0 }, drag = null;
  function field(n, v) { document.getElementById(n).value = Math.round(v); }
  function maxW() { return Math.min(img.naturalWidth, img.naturalHeight * 3 / 4); }
  function draw() {
    var h = st.w * 4 / 3;
    st.x = Math.max(0, Math.min(st.x, img.naturalWidth - st.w)); st.y = Math.max(0, Math.min(st.y, img.naturalHeight - h));
    var k = img.clientWidth / img.naturalWidth;
    box.style.left = st.x * k + "px"; box.style.top = st.y * k + "px"; box.style.width = st.w * k + "px"; box.style.height = h * k + "px";
    field("crop_left", st.x); field("crop_top", st.y); field("crop_width", st.w);
  }
  function resize() {
    var cx = st.x + st.w / 2, cy = st.y + st.w * 2 / 3;
    st.w = Math.floor(maxW() * size.value / 100); st.x = cx - st.w / 2; st.y = cy - st.w * 2 / 3; draw();
  }
  file.addEventListener("change", function () {
    if (!file.files.length) { wrap.hidden = true; return; }
    img.onload = function () {
      wrap.hidden = false; size.value = 100; st.w = Math.floor(maxW());
      st.x = (img.naturalWidth - st.w) / 2; st.y = (img.naturalHeight - st.w * 4 / 3) / 2; draw();
    };
    img.onerror = function () { wrap.hidden = true; ["crop_left", "crop_top", "crop_width"].forEach(function (n) { document.getElementById(n).value = ""; }); };
    img.src = URL.createObjectURL(file.files[0]);
  });
  size.addEventListener("input", resize);
  box.tabIndex = 0;
  box.addEventListener("pointerdown", function (e) { drag = { x: e.clientX, y: e.clientY, sx: st.x, sy: st.y }; box.setPointerCapture(e.pointerId); });
  box.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var k = img.naturalWidth / img.clientWidth;
    st.x = drag.sx + (e.clientX - drag.x) * k; st.y = drag.sy + (e.clientY - drag.y) * k; draw();
  });
  box.addEventListener("pointerup", function () { drag = null; });
  box.addEventListener("keydown", function (e) {
    var d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (!d) return;
    e.preventDefault(); var s = Math.max(1, Math.round(st.w / 30)); st.x += d[0] * s; st.y += d[1] * s; draw();
  });
  window.addEventListener("resize", function () { if (!wrap.hidden) draw(); });
})();
