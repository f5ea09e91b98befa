// Charts (templates/macros/charts.html): each <canvas data-chart='…'> holds a tables.Table's
// figures as JSON (incubator/charts.py); this file draws them with Chart.js.
// No business logic here: the numbers come from the server, the same as the table beside the
// chart. Readable in grayscale (a dash pattern, a point style and a hatching per series),
// numbers in the page's language, no animation for who asks for less motion, redrawn after an
// htmx swap and at the printer's width.
(function () {
  "use strict";

  var COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#332288"];
  var DASHES = [[], [8, 4], [2, 3], [12, 3, 2, 3], [6, 6], [1, 1]];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "cross", "star", "crossRot", "line"];
  var charts = new Map();  // canvas id -> Chart

  function lang() { return document.documentElement.lang || "fr"; }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function formatter(kind, detailed) {
    var options;
    if (kind === "money") {
      options = { style: "currency", currency: "EUR",
                  maximumFractionDigits: detailed ? 2 : 0, minimumFractionDigits: detailed ? 2 : 0 };
    } else if (kind === "percent") {
      options = { style: "percent", maximumFractionDigits: 1 };
    } else if (kind === "count") {
      options = { maximumFractionDigits: 0 };
    } else {
      options = { maximumFractionDigits: 2 };
    }
    var format = new Intl.NumberFormat(lang(), options);
    return function (value) {
      if (value === null || value === undefined) { return ""; }
      return format.format(kind === "percent" ? value / 100 : value);
    };
  }

  // A hatching per series, so that bars and slices differ without their colour.
  function pattern(colour, index) {
    var size = 10;
    var tile = document.createElement("canvas");
    tile.width = size;
    tile.height = size;
    var ctx = tile.getContext("2d");
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "rgba(255, 255, 255, 0.75)";
    ctx.fillStyle = "rgba(255, 255, 255, 0.75)";
    ctx.lineWidth = 2;
    switch (index % 6) {
      case 1: ctx.beginPath(); ctx.moveTo(0, size); ctx.lineTo(size, 0); ctx.stroke(); break;
      case 2: ctx.beginPath(); ctx.arc(size / 2, size / 2, 2, 0, 2 * Math.PI); ctx.fill(); break;
      case 3: ctx.beginPath(); ctx.moveTo(0, size / 2); ctx.lineTo(size, size / 2); ctx.stroke(); break;
      case 4: ctx.beginPath(); ctx.moveTo(size / 2, 0); ctx.lineTo(size / 2, size); ctx.stroke(); break;
      case 5: ctx.beginPath(); ctx.moveTo(0, 0); ctx.lineTo(size, size); ctx.stroke(); break;
      default: break;  // the first series plain
    }
    return tile.getContext("2d").createPattern(tile, "repeat");
  }

  function datasets(data) {
    if (data.type === "doughnut") {
      var serie = data.series[0];
      return [{
        label: serie.label,
        data: serie.data,
        backgroundColor: data.labels.map(function (_, i) { return pattern(COLOURS[i % COLOURS.length], i); }),
        borderColor: "#fff",
        borderWidth: 2,
      }];
    }
    return data.series.map(function (serie, i) {
      var colour = COLOURS[i % COLOURS.length];
      var set = { label: serie.label, data: serie.data, borderColor: colour, borderWidth: 2 };
      if (data.type === "line") {
        set.backgroundColor = colour;
        set.borderDash = DASHES[i % DASHES.length];
        set.pointStyle = POINTS[i % POINTS.length];
        set.pointRadius = 4;
        set.spanGaps = false;
      } else {
        set.backgroundColor = pattern(colour, i);
      }
      return set;
    });
  }

  function config(data) {
    var kind = data.series.length ? data.series[0].kind : "count";
    var tick = formatter(kind, false);
    var colon = lang().slice(0, 2) === "fr" ? "\u202f: " : ": ";  // French: narrow space first
    var kinds = data.series.map(function (serie) { return formatter(serie.kind, true); });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      locale: lang(),
      animation: reducedMotion() ? false : { duration: 400 },
      plugins: {
        legend: { display: data.series.length > 1 || data.type === "doughnut",
                  labels: { usePointStyle: data.type === "line" } },
        tooltip: {
          callbacks: {
            label: function (item) {
              var text = kinds[item.datasetIndex](item.raw);
              var name = data.type === "doughnut" ? item.label : item.dataset.label;
              return name ? name + colon + text : text;
            },
          },
        },
      },
    };
    if (data.type !== "doughnut") {
      options.scales = {
        x: { stacked: data.stacked },
        // Counts and euros are shown whole: ticks at whole steps, or 0.5 reads "0 1 1 2 2".
        y: { stacked: data.stacked, beginAtZero: true,
             ticks: { precision: kind === "count" || kind === "money" ? 0 : undefined,
                      callback: function (value) { return tick(value); } } },
      };
    }
    return { type: data.type, data: { labels: data.labels, datasets: datasets(data) }, options: options };
  }

  function destroyWithin(root) {
    charts.forEach(function (chart, id) {
      if (!chart.canvas.isConnected || (root && root.contains(chart.canvas))) {
        chart.destroy();
        charts.delete(id);
      }
    });
  }

  function draw(root) {
    if (!window.Chart) { return; }
    destroyWithin(null);  // charts whose canvas left the page
    var scope = root && root.querySelectorAll ? root : document;
    var canvases = Array.prototype.slice.call(scope.querySelectorAll("canvas[data-chart]"));
    if (scope.matches && scope.matches("canvas[data-chart]")) { canvases.push(scope); }
    canvases.forEach(function (canvas) {
      var old = window.Chart.getChart(canvas);
      if (old) { old.destroy(); }
      var data;
      try { data = JSON.parse(canvas.getAttribute("data-chart")); } catch (e) { return; }
      canvas.parentElement.hidden = false;
      charts.set(canvas.id, new window.Chart(canvas, config(data)));
    });
  }

  function start() {
    window.Chart.defaults.color = getComputedStyle(document.body).color;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    draw(document);
    if (window.htmx) {
      window.htmx.onLoad(draw);  // each swapped-in fragment (and the page again: harmless)
      document.body.addEventListener("htmx:beforeCleanupElement", function (event) {
        destroyWithin(event.target);
      });
    }
    // Charts follow their box: redraw them at the paper's width and back.
    window.addEventListener("beforeprint", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    window.addEventListener("afterprint", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
