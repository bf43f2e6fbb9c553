/*
 * The insights page's charts: the server puts what to draw (labels already in the page's language, the numbers) in a
 * JSON block, and this draws each chart with Chart.js (served by the bot, no CDN). The same numbers are in a table
 * under each chart for screen readers, and in the CSV.
 */
(function () {
  'use strict';
  var block = document.getElementById('insights-charts');
  if (!block || typeof Chart === 'undefined') return;
  var specs = JSON.parse(block.textContent || '{}');
  var palette = ['#0b5cab', '#2e9d6a', '#d97706', '#c2410c', '#7c3aed', '#0891b2', '#be185d', '#4b5563'];

  Object.keys(specs).forEach(function (id) {
    var canvas = document.getElementById('chart-' + id);
    if (!canvas) return;
    var spec = specs[id];
    var round = spec.type === 'doughnut';
    var datasets = spec.datasets.map(function (set, index) {
      // A doughnut colours its slices; bars colour each series.
      var colour = round
        ? spec.labels.map(function (_label, i) {
            return palette[i % palette.length];
          })
        : palette[index % palette.length];
      return { label: set.label, data: set.data, backgroundColor: colour, borderColor: round ? '#ffffff' : colour, borderWidth: round ? 2 : 0 };
    });
    var valueAxis = { beginAtZero: true, ticks: { precision: 0 } };
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        // Drawn at once: nothing moves on a page people read numbers from.
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? 'y' : 'x',
        plugins: { legend: { display: round || datasets.length > 1, position: 'bottom' } },
        // Every label of a bar list is shown (Chart.js would skip some when they are tight).
        scales: round ? {} : spec.horizontal ? { x: valueAxis, y: { ticks: { autoSkip: false } } } : { y: valueAxis },
      },
    });
    canvas.setAttribute('data-drawn', 'true');
  });
})();
