// The projection screen (大屏): a clock, the time since voting opened, the arrival per 代表团
// (fetched again when 实到 changes: chair.js announces each live update as a "ballot:live"
// event), a count longer than one screen shown page by page, and text shrunk until its panel holds it.
(function () {
  "use strict";
  var root = document.querySelector(".pj");
  if (!root) { return; }
  var PAGE_SECONDS = 10;

  var clock = document.getElementById("pj-clock");
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = new Date();
    clock.textContent = two(now.getHours()) + ":" + two(now.getMinutes());
  }
  tick();
  window.setInterval(tick, 1000);

  var elapsed = document.getElementById("pj-elapsed");
  if (elapsed && elapsed.getAttribute("data-seconds") !== "") {
    var start = Date.now() - 1000 * Number(elapsed.getAttribute("data-seconds"));
    window.setInterval(function () {
      var s = Math.max(0, Math.floor((Date.now() - start) / 1000));
      var h = Math.floor(s / 3600);
      var m = Math.floor((s % 3600) / 60);
      elapsed.textContent = (h ? h + ":" + two(m) : String(m)) + ":" + two(s % 60);
    }, 1000);
  }

  // Shrink a panel's text until it fits (a long announcement, many 代表团), never below 40%.
  function fit(panel) {
    var size = 100;
    panel.style.fontSize = "";
    while (panel.scrollHeight > panel.clientHeight + 1 && size > 40) {
      size -= 5;
      panel.style.fontSize = size + "%";
    }
  }
  function fitAll() { document.querySelectorAll(".pj-fit").forEach(fit); }
  fitAll();
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fitAll); }
  window.addEventListener("resize", fitAll);

  var pages = document.querySelectorAll(".pj-page");
  var pager = document.getElementById("pj-pager");
  if (pages.length > 1) {
    var shown = 0;
    window.setInterval(function () {
      pages[shown].hidden = true;
      shown = (shown + 1) % pages.length;
      pages[shown].hidden = false;
      if (pager) { pager.textContent = (shown + 1) + " / " + pages.length; }
    }, PAGE_SECONDS * 1000);
  }

  var table = document.getElementById("pj-delegations");
  var url = root.getAttribute("data-delegations-url");
  var tile = root.querySelector('[data-live="present"]');
  var present = tile ? Number(tile.textContent) : null;
  function showDelegations(rows) {
    var unnamed = table.getAttribute("data-unnamed") || "";
    var body = document.createDocumentFragment();
    rows.forEach(function (d) {
      var tr = document.createElement("tr");
      if (d.present + d.leave >= d.expected) { tr.className = "done"; }
      var th = document.createElement("th");
      th.scope = "row";
      th.lang = "zh-CN";
      th.textContent = d.name || unnamed;
      var td = document.createElement("td");
      td.textContent = d.present + " / " + d.expected;
      tr.appendChild(th);
      tr.appendChild(td);
      body.appendChild(tr);
    });
    table.replaceChildren(body);
    fitAll();
  }
  document.addEventListener("ballot:live", function (event) {
    if (!table || !url || event.detail.state !== "checkin") { return; }
    if (event.detail.present === present) { return; }
    present = event.detail.present;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (rows) { if (rows) { showDelegations(rows); } })
      .catch(function () { /* the next change tries again */ });
  });
}());
