// Staff pages during check-in and voting: each kiosk online or offline, refreshed every 10 s,
// with an alert naming the kiosks that are offline (it clears itself when they come back).
(function () {
  "use strict";
  var panel = document.getElementById("kiosk-health");
  if (!panel) { return; }
  var T = JSON.parse(panel.getAttribute("data-strings"));
  var rows = document.getElementById("kiosk-health-rows");
  var alertBox = document.getElementById("kiosk-alert");
  var PERIOD = 10000;

  function cell(text, className, strong) {
    var td = document.createElement("td");
    var inner = document.createElement(strong ? "strong" : "span");
    inner.textContent = text;
    if (className) { inner.className = className; }
    td.appendChild(inner);
    return td;
  }

  function show(data) {
    var offline = [];
    var body = document.createDocumentFragment();
    data.kiosks.forEach(function (k) {
      var tr = document.createElement("tr");
      tr.appendChild(cell(k.name));
      tr.appendChild(cell(T[k.mode] || k.mode));
      tr.appendChild(k.online ? cell(T.online, "ok") : cell(T.offline, "danger", true));
      tr.appendChild(cell(k.last_seen || T.never));
      body.appendChild(tr);
      if (!k.online) { offline.push(k.name); }
    });
    if (data.kiosks.length) { rows.replaceChildren(body); }
    var text = data.watch && offline.length ? T.alert.replace("{names}", offline.join(T.sep)) : "";
    if (alertBox.textContent !== text) { alertBox.textContent = text; }
    alertBox.hidden = !text;
  }

  function poll() {
    fetch(panel.getAttribute("data-health-url"), { credentials: "same-origin", cache: "no-store",
                                                   headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(show, function () { alertBox.textContent = T.lost; alertBox.hidden = false; })
      .then(function () { window.setTimeout(poll, PERIOD); });
  }
  poll();
}());
