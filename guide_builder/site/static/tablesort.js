/* Click-to-sort for table.gb-sortable (no CDN). Cells may carry data-sort with the raw value. */
(function () {
  "use strict";

  function key(cell) {
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    var number = raw === "" ? NaN : Number(raw);
    return { raw: raw, number: number };
  }

  function compare(a, b) {
    var an = !isNaN(a.number), bn = !isNaN(b.number);
    if (an && bn) return a.number - b.number;
    if (a.raw === "" || b.raw === "") return a.raw === "" ? 1 : -1; // missing values last
    if (an !== bn) return an ? -1 : 1;
    return a.raw.localeCompare(b.raw);
  }

  function sortBy(table, index, th) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var order = compare(key(r1.cells[index]), key(r2.cells[index]));
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function bind(table) {
    if (table.dataset.sortable === "bound") return;
    table.dataset.sortable = "bound";
    table.querySelectorAll("thead th").forEach(function (th, index) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, index, th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(table, index, th); });
    });
  }

  document$.subscribe(function () {
    document.querySelectorAll("table.gb-sortable").forEach(bind);
  });
})();
