/* global document, window, localStorage, fetch, htmx, uPlot */
// The console's only script (served with the page's CSP nonce): the live
// refresh selector and the charts. Everything else works without it.
(function () {
  "use strict";
  var KEY = "opskit.console.refresh";
  var timer = null;
  var charts = new Map();

  function rate() {
    var stored = localStorage.getItem(KEY);
    return stored === null ? 5 : Number(stored);
  }

  function drawChart(el) {
    var src = el.getAttribute("data-chart");
    fetch(src, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (chart) {
        if (!chart) return;
        var old = charts.get(el);
        if (old) {
          old.setData(chart.data);
          return;
        }
        var opts = {
          width: Math.max(240, el.clientWidth || 320),
          height: 160,
          series: [{}].concat(
            chart.series.map(function (s, i) {
              return {
                label: s,
                stroke: ["#2563eb", "#dc2626", "#16a34a", "#9333ea"][i % 4],
                width: 2,
              };
            }),
          ),
          // The last hour, whatever the samples cover (a chart with one sample keeps its scale).
          scales: {
            x: {
              time: true,
              range: function () {
                var now = Date.now() / 1000;
                return [now - 3600, now];
              },
            },
          },
          axes: [{}, { size: 50 }],
          legend: { show: true },
        };
        charts.set(el, new uPlot(opts, chart.data, el));
      })
      .catch(function () {
        /* the next tick tries again */
      });
  }

  function tick() {
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      htmx.trigger(el, "console-refresh");
    });
    document.querySelectorAll("[data-chart]").forEach(drawChart);
  }

  function schedule() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    var seconds = rate();
    // Paused while the tab is hidden: a console left open in a background tab costs nothing.
    if (seconds > 0 && document.visibilityState === "visible") {
      timer = window.setInterval(tick, seconds * 1000);
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && rate() > 0) tick();
    schedule();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("refresh-rate");
    if (select) {
      select.value = String(rate());
      select.addEventListener("change", function () {
        localStorage.setItem(KEY, select.value);
        schedule();
      });
    }
    document.querySelectorAll("[data-chart]").forEach(drawChart);
    schedule();
  });

  // For tests and the curious: what the refresh is doing now.
  window.opskitConsole = {
    rate: rate,
    running: function () {
      return timer !== null;
    },
    tick: tick,
  };
})();
