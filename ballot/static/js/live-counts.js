// Live attendance on staff pages: polls the counts API every 1.5 s and updates the
// <dl class="counters" data-counts-url=...> cells. Counts come from the database, so every
// app process serves the same numbers.
(function () {
  "use strict";

  var INTERVAL_MS = 1500;
  var panels = document.querySelectorAll("dl.counters[data-counts-url]");

  function quorumCell(cell, counts) {
    var met = cell.dataset.met;
    var unmet = cell.dataset.unmet;
    if (!met || !unmet) { return; }
    var span = document.createElement("span");
    span.className = counts.quorum_met ? "ok" : "warn";
    span.textContent = counts.quorum_met ? met : unmet.replace("{n}", counts.quorum_needed);
    cell.replaceChildren(span);
  }

  function update(panel, counts) {
    panel.querySelectorAll("[data-count]").forEach(function (cell) {
      var key = cell.dataset.count;
      if (key === "quorum") {
        quorumCell(cell, counts);
      } else if (counts[key] !== undefined && cell.textContent !== String(counts[key])) {
        cell.textContent = counts[key];
      }
    });
    panel.classList.remove("stale");
  }

  function poll(panel) {
    var busy = false;
    function tick() {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(panel.dataset.countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (counts) { update(panel, counts); })
        .catch(function () { panel.classList.add("stale"); })
        .finally(function () { busy = false; });
    }
    tick();
    setInterval(tick, INTERVAL_MS);
  }

  panels.forEach(poll);
}());
