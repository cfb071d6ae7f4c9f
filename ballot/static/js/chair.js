// The chair's screen: follow the live figures and refresh the page when the session moves on
// (voting opened or closed elsewhere, the count confirmed on the scrutiny page), so the projector
// never shows a stale state. Where the server offers it (data-stream-url) the figures are pushed
// as they change (server-sent events); otherwise, or when the stream is refused, the screen asks
// for them every 1.5 s.
(function () {
  "use strict";
  var screen = document.querySelector("[data-live-url]");
  if (!screen) { return; }
  var url = screen.getAttribute("data-live-url");
  var PERIOD = 1500;
  var failures = 0;

  function setText(key, value) {
    var node = screen.querySelector('[data-live="' + key + '"]');
    if (node && value !== undefined && value !== null && node.textContent !== String(value)) {
      node.textContent = String(value);
    }
  }

  function showQuorum(data) {
    var node = screen.querySelector('[data-live="quorum"]');
    if (!node) { return; }
    var ok = Boolean(data.quorum_met);
    node.classList.toggle("ok", ok);
    node.classList.toggle("warn", !ok);
    node.textContent = ok ? node.getAttribute("data-ok-text")
      : node.getAttribute("data-warn-text").replace("{n}", String(data.quorum_needed));
  }

  function moved(data) {
    // A detail panel being filled in (a confirmation) is never thrown away by a reload.
    if (document.querySelector("details.ch-confirm[open]")) { return false; }
    // During check-in the open-voting control depends on the quorum: redraw when it flips.
    var quorum = screen.querySelector('[data-live="quorum"]');
    var quorumFlipped = data.state === "checkin" && quorum !== null &&
      Boolean(data.quorum_met) !== quorum.classList.contains("ok");
    return quorumFlipped || data.state !== screen.getAttribute("data-state") ||
      String(data.round || "") !== screen.getAttribute("data-round") ||
      String(data.round_state || "") !== screen.getAttribute("data-round-state") ||
      String(data.confirmations) !== screen.getAttribute("data-confirmations") ||
      String(data.box_presented || 0) !== (screen.getAttribute("data-box-presented") || "0");
  }

  function apply(data) {
    if (moved(data)) { window.location.reload(); return; }
    document.dispatchEvent(new window.CustomEvent("ballot:live", { detail: data }));
    ["expected", "present", "leave", "late", "issued", "issued_paper", "returned"].forEach(function (key) {
      setText(key, data[key]);
    });
    // A note shown only while its figure is not zero (the paper ballots among those issued).
    Array.prototype.forEach.call(screen.querySelectorAll("[data-live-show]"), function (node) {
      node.hidden = !data[node.getAttribute("data-live-show")];
    });
    showQuorum(data);
  }

  function connection(ok) {
    var node = screen.querySelector('[data-live="connection"]');
    if (node) { node.hidden = ok; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) { failures = 0; connection(true); apply(data); })
      .catch(function () { failures += 1; if (failures >= 2) { connection(false); } })
      .then(function () { window.setTimeout(poll, PERIOD); });
  }

  function follow(streamUrl) {
    var source = new window.EventSource(streamUrl);
    source.onopen = function () { failures = 0; connection(true); };
    source.onmessage = function (event) { failures = 0; connection(true); apply(JSON.parse(event.data)); };
    source.addEventListener("reconnect", function () {  // the server ends each stream after a while
      source.close();
      follow(streamUrl);
    });
    source.onerror = function () {
      if (source.readyState === window.EventSource.CLOSED) {  // refused: ask instead
        source.close();
        window.setTimeout(poll, PERIOD);
        return;
      }
      failures += 1;  // the browser reconnects by itself
      if (failures >= 2) { connection(false); }
    };
  }

  var streamUrl = screen.getAttribute("data-stream-url");
  if (streamUrl && window.EventSource) {
    follow(streamUrl);
  } else {
    window.setTimeout(poll, PERIOD);
  }
}());
