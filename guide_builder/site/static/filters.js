/* Table filters (.gb-filters[data-for=CLASS]) whose choice lives in the URL (?band=entry&vram=16).
 *
 * (CLASS marks the tables, or a box around them.) Each <select data-param=NAME> matches rows' data-NAME: equal by default, or
 * "at least" with data-match="min". A row of class gb-detail (a folded details
 * row) follows the row above it. One document$.subscribe (instant navigation).
 */
(function () {
  "use strict";

  function matches(row, selects) {
    return selects.every(function (select) {
      var want = select.value;
      if (!want) return true;
      var have = row.dataset[select.dataset.param] || "";
      if (select.dataset.match === "min") return have !== "" && Number(have) >= Number(want);
      return have === want;
    });
  }

  function apply(box) {
    var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-param]"));
    var shown = 0, total = 0;
    document.querySelectorAll("." + box.dataset.for + " tbody").forEach(function (body) {
      var visible = true;
      Array.prototype.forEach.call(body.rows, function (row) {
        if (row.classList.contains("gb-detail")) {
          row.hidden = !visible;
          return;
        }
        visible = matches(row, selects);
        row.hidden = !visible;
        total += 1;
        if (visible) shown += 1;
      });
    });
    var count = box.querySelector(".gb-filter-count");
    if (count) {
      var active = selects.some(function (s) { return s.value; });
      count.textContent = active
        ? count.dataset.shown.replace("{shown}", shown).replace("{total}", total)
        : "";
    }
  }

  function remember(box) {
    var url = new URL(window.location.href);
    box.querySelectorAll("select[data-param]").forEach(function (select) {
      if (select.value) url.searchParams.set(select.dataset.param, select.value);
      else url.searchParams.delete(select.dataset.param);
    });
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  }

  function bind(box) {
    if (box.dataset.bound) return;
    box.dataset.bound = "1";
    var params = new URLSearchParams(window.location.search);
    box.querySelectorAll("select[data-param]").forEach(function (select) {
      var wanted = params.get(select.dataset.param);
      if (wanted !== null && select.querySelector('option[value="' + CSS.escape(wanted) + '"]')) {
        select.value = wanted;
      }
      select.addEventListener("change", function () {
        remember(box);
        apply(box);
      });
    });
    apply(box);
  }

  document$.subscribe(function () {
    document.querySelectorAll(".gb-filters[data-for]").forEach(bind);
  });
})();
