// Draw the dashboard's Plotly figures from their data-figure attribute: the page carries data,
// never inline script (the Content-Security-Policy admits none).
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Plotly === "undefined") { return; }
  document.querySelectorAll(".plot[data-figure]").forEach(function (el) {
    var figure = JSON.parse(el.dataset.figure);
    Plotly.newPlot(el, figure.data, figure.layout || {}, { displaylogo: false, displayModeBar: false, responsive: true });
  });
});
