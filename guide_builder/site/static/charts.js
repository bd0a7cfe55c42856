/* Draws every chart (.gb-chart[data-src]) of the guide with the self-hosted plotly.js bundle.
 *
 * Why this shape: Material's instant navigation swaps page content without a
 * page load and re-runs inline scripts, so charts are drawn from ONE
 * document$.subscribe() in this file (listed in extra_javascript, loaded once),
 * and their data comes from JSON files named in data- attributes.
 *
 * plotly.js is heavy, so only pages with charts load it: the plugin puts a
 * deferred <script data-gb-plotly> in their <head>; after instant navigation
 * from a chart-free page there is none, and this file loads the bundle (a
 * sibling of this script: vendor/plotly-basic.min.js) the first time a page
 * with charts shows up.
 */
(function () {
  "use strict";

  var BUNDLE = new URL("vendor/plotly-basic.min.js", document.currentScript.src).href;
  // Only the tag of the page first loaded runs: one that instant navigation copies
  // into <head> later is inert (scripts inserted that way never execute).
  var initialTag = document.querySelector("script[data-gb-plotly]");
  var loading = null;

  // Resolves when window.Plotly exists: the deferred tag's load, or a tag added here.
  function plotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (loading) return loading;
    loading = new Promise(function (resolve, reject) {
      var tag = initialTag;
      if (!tag) {
        tag = document.createElement("script");
        tag.src = BUNDLE;
        tag.async = true;
        document.head.appendChild(tag);
      }
      tag.addEventListener("load", function () { resolve(window.Plotly); });
      tag.addEventListener("error", function () {
        loading = null;
        reject(new Error("plotly.js failed to load"));
      });
    }).then(function (P) {
      if (!P) throw new Error("plotly.js loaded without defining Plotly");
      return P;
    });
    return loading;
  }

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

  // Draws one figure ({data, layout}) into el; compare.js uses it for its own chart.
  function plot(el, figure) {
    return plotly().then(function (P) {
      var layout = applyTheme(figure.layout || {});
      layout.autosize = true;
      return P.newPlot(el, figure.data || [], layout, {
        responsive: true,
        displaylogo: false,
        showLink: false,
      });
    });
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
        return plot(el, figure);
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
    document.querySelectorAll(".js-plotly-plot").forEach(function (el) {
      window.Plotly.relayout(el, update);
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  // A chart drawn inside a hidden content tab has no width: resize when its tab opens.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".tabbed-set > input")) return;
    var set = input.closest(".tabbed-set");
    window.requestAnimationFrame(function () {
      set.querySelectorAll(".js-plotly-plot").forEach(function (el) {
        window.Plotly.Plots.resize(el);
      });
    });
  });

  window.gbCharts = { plot: plot, theme: theme };
  document$.subscribe(drawAll);
})();
