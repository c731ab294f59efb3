// The manager dashboard's charts (Chart.js, vendored in static/vendor). The data comes from
// <script type="application/json"> blocks written by the server (json_script); no inline code.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") {
    return;
  }
  function data(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }
  const options = { responsive: true, maintainAspectRatio: false, animation: false };

  const flow = data("flow-data");
  const flowCanvas = document.getElementById("flow-chart");
  if (flow && flowCanvas) {
    new Chart(flowCanvas, {
      type: "line",
      data: {
        labels: flow.days,
        datasets: [
          { label: flowCanvas.dataset.opened, data: flow.opened, borderColor: "#1f4fa3", pointRadius: 0 },
          { label: flowCanvas.dataset.closed, data: flow.closed, borderColor: "#1e7b47", pointRadius: 0 },
        ],
      },
      options: Object.assign({}, options, { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }),
    });
  }

  const compliance = data("compliance-data");
  const complianceCanvas = document.getElementById("compliance-chart");
  if (compliance && complianceCanvas) {
    new Chart(complianceCanvas, {
      type: "bar",
      data: {
        labels: compliance.map(function (row) { return row.label; }),
        datasets: [
          { label: complianceCanvas.dataset.reaction, data: compliance.map(function (row) { return row.reaction_percent; }), backgroundColor: "#8fb3ff" },
          { label: complianceCanvas.dataset.resolution, data: compliance.map(function (row) { return row.resolution_percent; }), backgroundColor: "#1f4fa3" },
        ],
      },
      options: Object.assign({}, options, { scales: { y: { min: 0, max: 100 } } }),
    });
  }
});
