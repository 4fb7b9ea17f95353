/* The dashboards: fetch the JSON endpoint, draw each chart with Chart.js (served from /static/),
   keep the CSV links and the address bar in step with the filters. */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root || typeof Chart === "undefined") { return; }
  var form = document.getElementById("dashboard-filters");
  var dataUrl = root.getAttribute("data-data-url");
  var csvUrl = root.getAttribute("data-csv-url");
  var charts = {};

  var PALETTE = ["#2957d8", "#e8731a", "#1a7f37", "#b42318", "#7a3fd1", "#0e8a9c", "#c4418d",
                 "#8a6d0b", "#5d6678", "#3b9dff", "#e5b400"];
  var REASON_COLOURS = { spam: "#b42318", joke: "#e8731a", praise: "#1a7f37", question: "#2957d8",
                         other: "#5d6678", unknown: "#9ca3af" };

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#5d6678";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value) { params.set(key, value); } });
    return params.toString();
  }

  function label(labels, kind, value) {
    var names = labels[kind] || {};
    return Object.prototype.hasOwnProperty.call(names, value) ? names[value] : value;
  }

  function shortDay(iso) {
    var d = new Date(iso + "T00:00:00");
    return d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
  }

  function column(table, index) {
    return table.rows.map(function (row) { return row[index]; });
  }

  function draw(name, config) {
    var canvas = root.querySelector('canvas[data-chart="' + name + '"]');
    if (charts[name]) { charts[name].destroy(); }
    charts[name] = new Chart(canvas, config);
  }

  function stackedDays(name, table, labels, kind, colours) {
    var series = table.columns.slice(1);
    draw(name, {
      type: "bar",
      data: {
        labels: column(table, 0).map(shortDay),
        datasets: series.map(function (value, i) {
          return {
            label: kind ? label(labels, kind, value) : value,
            data: column(table, i + 1),
            backgroundColor: (colours && colours[value]) || PALETTE[i % PALETTE.length],
            borderWidth: 0,
          };
        }),
      },
      options: {
        scales: { x: { stacked: true, grid: { display: false } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  function backlog(table) {
    draw("backlog", {
      type: "bar",
      data: {
        labels: column(table, 0).map(shortDay),
        datasets: [
          { type: "line", label: "Open at end of day", data: column(table, 3), borderColor: "#b42318",
            backgroundColor: "rgba(180,35,24,.08)", fill: true, tension: 0.25, pointRadius: 0, yAxisID: "open",
            order: 0 },
          { label: "Received that day", data: column(table, 1), backgroundColor: "rgba(41,87,216,.28)",
            yAxisID: "daily", order: 1 },
          { label: "Closed that day", data: column(table, 2), backgroundColor: "rgba(26,127,55,.32)",
            yAxisID: "daily", order: 1 },
        ],
      },
      options: {
        scales: {
          x: { grid: { display: false } },
          open: { position: "left", beginAtZero: true, ticks: { precision: 0 },
                  title: { display: true, text: "open" } },
          daily: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { display: false },
                   title: { display: true, text: "per day" } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  // Hours as people say them: 30 s, 20 min, 3 h, 2 d.
  function duration(hours) {
    if (hours === null || hours === undefined) { return "–"; }
    if (hours < 1 / 60) { return Math.round(hours * 3600) + " s"; }
    if (hours < 1) { return Math.round(hours * 60) + " min"; }
    if (hours < 48) { return (hours < 10 ? hours.toFixed(1).replace(/\.0$/, "") : Math.round(hours)) + " h"; }
    return (hours / 24).toFixed(1).replace(/\.0$/, "") + " d";
  }

  function responseTimes(table) {
    var lines = [
      ["First response, median", 1, "#2957d8", []],
      ["First response, 90th percentile", 2, "#2957d8", [5, 4]],
      ["Resolution, median", 3, "#1a7f37", []],
      ["Resolution, 90th percentile", 4, "#1a7f37", [5, 4]],
    ];
    // Down to seconds: a team that answers within minutes must still see a scale beside its points.
    var ticks = [1 / 360, 1 / 120, 1 / 60, 1 / 30, 1 / 12, 0.25, 0.5, 1, 2, 4, 8, 24, 48, 96, 168, 336];
    draw("response_times", {
      type: "line",
      data: {
        labels: column(table, 0).map(shortDay),
        datasets: lines.map(function (line) {
          return { label: line[0], data: column(table, line[1]), borderColor: line[2], backgroundColor: line[2],
                   borderDash: line[3], spanGaps: true, tension: 0.2, pointRadius: 1.5, borderWidth: 2 };
        }),
      },
      options: {
        scales: {
          x: { grid: { display: false } },
          // Logarithmic: first responses take minutes, resolutions days; both stay readable.
          y: { type: "logarithmic",
               afterBuildTicks: function (axis) {
                 axis.ticks = ticks.filter(function (v) { return v >= axis.min && v <= axis.max; })
                   .map(function (v) { return { value: v }; });
               },
               ticks: { callback: function (value) { return duration(value); } } },
        },
        plugins: {
          // A line sample in the legend shows which series is dashed (the 90th percentiles).
          legend: { position: "bottom", labels: { usePointStyle: true, pointStyle: "line", pointStyleWidth: 28 } },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + duration(ctx.parsed.y); } } },
        },
      },
    });
  }

  function trends(name, table, labels, kind) {
    var rows = table.rows.slice(0, 10);
    draw(name, {
      type: "bar",
      data: {
        labels: rows.map(function (r) {
          var mark = r[5] === "rising" ? " ▲" : r[5] === "falling" ? " ▼" : "";
          return label(labels, kind, r[0]) + mark;
        }),
        datasets: [
          { label: "Last week", data: rows.map(function (r) { return r[2]; }), backgroundColor: "#c7d2e4",
            maxBarThickness: 22 },
          { label: "This week", data: rows.map(function (r) { return r[1]; }), maxBarThickness: 22,
            backgroundColor: rows.map(function (r) {
              return r[5] === "rising" ? "#b42318" : r[5] === "falling" ? "#1a7f37" : "#2957d8";
            }) },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } },
        plugins: {
          legend: {
            position: "bottom",
            labels: {
              generateLabels: function () {
                return [["Last week", "#c7d2e4"], ["This week", "#2957d8"], ["Rising ▲", "#b42318"],
                        ["Falling ▼", "#1a7f37"]].map(function (item) {
                  return { text: item[0], fillStyle: item[1], strokeStyle: item[1], lineWidth: 0 };
                });
              },
            },
            onClick: null,
          },
        },
      },
    });
    var holder = root.querySelector('[data-trend-table="' + name + '"]');
    var html = "<table><thead><tr><th>" + (kind === "category" ? "Category" : "Source") +
      "</th><th>This week</th><th>Last week</th><th>Change</th><th>p</th><th></th></tr></thead><tbody>";
    table.rows.forEach(function (r) {
      var change = r[3] === null ? "new" : (r[3] > 0 ? "+" : "") + r[3] + "%";
      var flag = r[5] ? '<span class="badge ' + r[5] + '">' + r[5] + "</span>" : "";
      html += "<tr" + (r[5] ? ' class="flagged"' : "") + "><td>" + escapeHtml(label(labels, kind, r[0])) +
        "</td><td>" + r[1] + "</td><td>" + r[2] + "</td><td>" + change + "</td><td>" +
        (r[4] < 0.001 ? "&lt;0.001" : r[4].toFixed(3)) + "</td><td>" + flag + "</td></tr>";
    });
    holder.innerHTML = html + "</tbody></table>";
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = String(text);
    return div.innerHTML;
  }

  // Times in the internal zone (the one the days are cut in), not the browser's: the figures, the
  // queue and the complaint pages must all read the same clock.
  var timeZone;

  function clock(iso) {
    return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", timeZone: timeZone });
  }

  function moment(iso) {
    return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: timeZone });
  }

  // Volume spikes happening now (detected by monitoring every few minutes).
  function spikes(list, labels) {
    var holder = root.querySelector("[data-spikes]");
    holder.hidden = list.length === 0;
    holder.innerHTML = list.map(function (s) {
      return "<div><strong>Volume spike: " + escapeHtml(label(labels, s.scope, s.key)) + "</strong> · " +
        s.count + " complaints between " + clock(s.window_start) + " and " + clock(s.window_end) +
        " (usually about " + Math.round(s.usual) + ")</div>";
    }).join("");
  }

  function render(data) {
    var c = data.charts;
    timeZone = data.time_zone;
    var titles = {
      volume_by_source: "Complaints per day, by source",
      volume_by_category: "Complaints per day, by category",
      backlog: "Backlog",
      response_times: "Time to first response and to resolution",
      trends_by_category: "Rising categories: this week against last",
      trends_by_source: "Sources: this week against last",
      filtered: "Filtered messages (not complaints), by reason",
    };
    Object.keys(c).forEach(function (name) {
      var card = root.querySelector('[data-chart-card="' + name + '"]');
      card.querySelector("[data-chart-title]").textContent = titles[name] || c[name].title;
      card.querySelector("[data-csv]").href = csvUrl.replace("__chart__", name) + "?" + query();
      var empty = c[name].rows.length === 0 || (c[name].columns.length < 2);
      card.querySelector("[data-empty]").hidden = !empty;
      if (c[name].meta && c[name].meta.this_week) {
        var w = c[name].meta;
        card.querySelector("[data-chart-title]").title =
          "This week: " + w.this_week.join(" to ") + "; last week: " + w.last_week.join(" to ");
      }
    });
    stackedDays("volume_by_source", c.volume_by_source, data.labels, "source");
    stackedDays("volume_by_category", c.volume_by_category, data.labels, "category");
    backlog(c.backlog);
    responseTimes(c.response_times);
    trends("trends_by_category", c.trends_by_category, data.labels, "category");
    trends("trends_by_source", c.trends_by_source, data.labels, "source");
    stackedDays("filtered", c.filtered, data.labels, "reason", REASON_COLOURS);

    Object.keys(data.kpis).forEach(function (key) {
      var el = root.querySelector('[data-kpi="' + key + '"]');
      if (el) { el.textContent = Number(data.kpis[key]).toLocaleString(); }
    });
    spikes(data.spikes || [], data.labels);
    var f = data.freshness;
    var when = f.last_finished_at ? moment(f.last_finished_at) : "never";
    root.querySelector("[data-freshness]").textContent =
      "Days cut in " + data.time_zone + " · figures as of " + when +
      (f.days_queued ? " · " + f.days_queued + " day(s) waiting to be recomputed" : "") +
      (f.last_run_failed ? " · the last update failed" : "");
  }

  function load() {
    var q = query();
    root.setAttribute("data-state", "loading");
    history.replaceState(null, "", "?" + q);
    var error = root.querySelector("[data-error]");
    return fetch(dataUrl + "?" + q, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || ("HTTP " + response.status)); }
          return body;
        });
      })
      .then(function (data) {
        error.hidden = true;
        render(data);
        root.setAttribute("data-state", "ready");
      })
      .catch(function (exc) {
        error.textContent = "Could not load the figures: " + exc.message;
        error.hidden = false;
        root.setAttribute("data-state", "error");
      });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  load();
})();
