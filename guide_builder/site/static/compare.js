/* The compare page: up to four cards side by side, the choice kept in the URL (?gpus=slug,slug).
 *
 * Every cell comes formatted (in the page's language) from the JSON file named in
 * .gb-compare[data-src]; this script only lays it out. Runs from one
 * document$.subscribe, like the charts (instant navigation re-runs inline scripts).
 */
(function () {
  "use strict";

  function chosen(max) {
    var raw = new URLSearchParams(window.location.search).get("gpus") || "";
    var out = [];
    raw.split(",").forEach(function (slug) {
      slug = slug.trim();
      if (slug && out.indexOf(slug) < 0 && out.length < max) out.push(slug);
    });
    return out;
  }

  function cell(tag, text) {
    var el = document.createElement(tag);
    el.textContent = text;
    return el;
  }

  function table(root, data, slugs) {
    var tbl = root.querySelector(".gb-compare-table");
    tbl.textContent = "";
    root.querySelector(".gb-compare-empty").hidden = slugs.length > 0;
    if (!slugs.length) return;
    var head = tbl.createTHead().insertRow();
    head.appendChild(cell("th", data.words.card));
    slugs.forEach(function (slug) {
      var th = document.createElement("th");
      var a = document.createElement("a");
      a.href = data.cards[slug].href;
      a.textContent = data.cards[slug].name;
      th.appendChild(a);
      head.appendChild(th);
    });
    var body = tbl.createTBody();
    data.rows.forEach(function (row) {
      var values = slugs.map(function (slug) { return data.cards[slug].cells[row.key]; });
      if (values.every(function (v) { return v === undefined; })) return; // nobody has this row
      var tr = body.insertRow();
      tr.appendChild(cell("th", row.label));
      values.forEach(function (v) { tr.appendChild(cell("td", v === undefined ? "—" : v)); });
    });
  }

  function chart(root, data, slugs) {
    var el = root.querySelector(".gb-compare-chart");
    var note = root.querySelector(".gb-nochart");
    var cards = slugs.map(function (s) { return data.cards[s]; }).filter(function (c) { return c.chart; });
    if (!cards.length) {
      // no chart without data: a sentence says what is missing and how it gets measured
      el.hidden = true;
      el.dataset.state = "empty";
      if (window.Plotly && el.classList.contains("js-plotly-plot")) window.Plotly.purge(el);
      note.hidden = slugs.length === 0;
      note.textContent = data.words.no_chart;
      return;
    }
    note.hidden = true;
    el.hidden = false;
    var traces = {};
    cards.forEach(function (c) {
      var level = c.chart.evidence;
      var tr = traces[level] || (traces[level] = {
        type: "bar", name: data.evidence[level] || level, x: [], y: [],
        marker: { color: data.colours[level] || "#888888" },
        error_y: { type: "data", symmetric: false, array: [], arrayminus: [], visible: false },
        hovertemplate: "%{x}: %{y:.2f} s<extra>%{fullData.name}</extra>",
      });
      tr.x.push(c.name + " (" + c.chart.variant + ")");
      tr.y.push(c.chart.s);
      var hasInterval = c.chart.low !== null && c.chart.high !== null;
      tr.error_y.array.push(hasInterval ? Math.max(c.chart.high - c.chart.s, 0) : 0);
      tr.error_y.arrayminus.push(hasInterval ? Math.max(c.chart.s - c.chart.low, 0) : 0);
      if (hasInterval) tr.error_y.visible = true;
    });
    var figure = {
      data: Object.keys(traces).map(function (k) { return traces[k]; }),
      layout: {
        title: { text: data.words.title },
        yaxis: { title: { text: data.words.axis }, automargin: true },
        xaxis: { automargin: true },
        margin: { l: 60, r: 20, t: 50, b: 60 },
        showlegend: true, // colour = evidence level, even with one level
        legend: { orientation: "h", y: -0.3, title: { text: data.words.legend } },
        barmode: "group",
      },
    };
    el.dataset.state = "loading";
    window.gbCharts.plot(el, figure).then(function () {
      el.dataset.state = "drawn";
    }, function (error) {
      el.dataset.state = "error";
      console.error("compare chart failed:", error);
    });
  }

  function show(root, data) {
    var max = Number(root.dataset.max) || 4;
    var slugs = chosen(max).filter(function (s) { return data.cards[s]; });
    root.querySelectorAll("select[data-slot]").forEach(function (select, i) {
      select.value = slugs[i] || "";
    });
    table(root, data, slugs);
    chart(root, data, slugs);
  }

  function bind(root) {
    if (root.dataset.bound) return;
    root.dataset.bound = "1";
    fetch(root.dataset.src)
      .then(function (r) {
        if (!r.ok) throw new Error("compare data: HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        root.querySelectorAll("select[data-slot]").forEach(function (select) {
          select.addEventListener("change", function () {
            var slugs = [];
            root.querySelectorAll("select[data-slot]").forEach(function (s) {
              if (s.value && slugs.indexOf(s.value) < 0) slugs.push(s.value);
            });
            var url = new URL(window.location.href);
            if (slugs.length) url.searchParams.set("gpus", slugs.join(","));
            else url.searchParams.delete("gpus");
            // commas stay readable in the address: rtx-4090,rtx-5090-d
            window.history.replaceState(window.history.state, "", url.pathname + url.search.replace(/%2C/g, ",") + url.hash);
            show(root, data);
          });
        });
        show(root, data);
      })
      .catch(function (error) {
        console.error("compare page failed:", error);
      });
  }

  document$.subscribe(function () {
    document.querySelectorAll(".gb-compare[data-src]").forEach(bind);
  });
})();
