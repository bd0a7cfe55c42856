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
    // A row of class gb-detail (a folded details row) travels with the row above it.
    var groups = [];
    Array.prototype.forEach.call(body.rows, function (row) {
      if (row.classList.contains("gb-detail") && groups.length) groups[groups.length - 1].push(row);
      else groups.push([row]);
    });
    groups.sort(function (g1, g2) {
      var order = compare(key(g1[0].cells[index]), key(g2[0].cells[index]));
      return ascending ? order : -order;
    });
    groups.forEach(function (group) {
      group.forEach(function (row) { body.appendChild(row); });
    });
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
