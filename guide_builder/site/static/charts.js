/* Draws every chart (.gb-chart[data-src]) of the guide with the one self-hosted plotly.js.
 *
 * Why this shape: Material's instant navigation swaps page content without a
 * page load and re-runs inline scripts, so charts are drawn from ONE
 * document$.subscribe() in this file (listed in extra_javascript, loaded once),
 * and their data comes from JSON files named in data- attributes.
 */
(function () {
  "use strict";

  // A CSS colour variable resolved to rgb(): Material's dark palette uses hsla(var(--md-hue)...).
  function resolved(variable, fallback) {
    var probe = document.createElement("span");
    probe.style.display = "none";
    probe.style.color = "var(" + variable + ", " + fallback + ")";
    document.body.appendChild(probe);
    var colour = getComputedStyle(probe).color;
    probe.remove();
    return colour || fallback;
  }

  function theme() {
    var bg = resolved("--md-default-bg-color", "#ffffff");
    var fg = resolved("--md-default-fg-color", "#000000");
    var grid = resolved("--md-default-fg-color--lightest", "#dddddd");
    return {
      paper_bgcolor: bg,
      plot_bgcolor: bg,
      "font.color": fg,
      "xaxis.gridcolor": grid,
      "yaxis.gridcolor": grid,
    };
  }

  function applyTheme(layout) {
    var t = theme();
    layout.paper_bgcolor = t.paper_bgcolor;
    layout.plot_bgcolor = t.plot_bgcolor;
    layout.font = Object.assign({}, layout.font, { color: t["font.color"] });
    ["xaxis", "yaxis"].forEach(function (axis) {
      layout[axis] = Object.assign({}, layout[axis], { gridcolor: t[axis + ".gridcolor"] });
    });
    return layout;
  }

  function draw(el) {
    if (el.dataset.state) return; // already drawn (or drawing) on this page view
    el.dataset.state = "loading";
    fetch(el.dataset.src)
      .then(function (response) {
        if (!response.ok) throw new Error("chart data " + el.dataset.src + ": HTTP " + response.status);
        return response.json();
      })
      .then(function (figure) {
        var layout = applyTheme(figure.layout || {});
        layout.autosize = true;
        return Plotly.newPlot(el, figure.data || [], layout, {
          responsive: true,
          displaylogo: false,
          showLink: false,
        });
      })
      .then(function () {
        el.dataset.state = "drawn";
      })
      .catch(function (error) {
        el.dataset.state = "error";
        console.error("guide chart failed:", error);
      });
  }

  function drawAll() {
    document.querySelectorAll(".gb-chart[data-src]").forEach(draw);
  }

  // Light/dark toggle: Material sets data-md-color-scheme on <body>.
  new MutationObserver(function () {
    var update = theme();
    document.querySelectorAll(".gb-chart.js-plotly-plot").forEach(function (el) {
      Plotly.relayout(el, update);
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  // A chart drawn inside a hidden content tab has no width: resize when its tab opens.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".tabbed-set > input")) return;
    var set = input.closest(".tabbed-set");
    window.requestAnimationFrame(function () {
      set.querySelectorAll(".gb-chart.js-plotly-plot").forEach(function (el) {
        Plotly.Plots.resize(el);
      });
    });
  });

  document$.subscribe(drawAll);
})();
