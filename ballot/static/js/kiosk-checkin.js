// Check-in kiosk: takes card scans from a keyboard-style QR scanner (always-focused input, Enter)
// or the device camera (jsQR), posts them, shows the greeting or the reason, then returns.
(function () {
  "use strict";

  var app = document.getElementById("checkin-app");
  if (!app) { return; }
  var strings = JSON.parse(app.dataset.strings);
  var resultMs = parseInt(app.dataset.resultSeconds, 10) * 1000;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var input = document.getElementById("scan-input");
  var form = document.getElementById("scan-form");
  var scanScreen = document.getElementById("screen-scan");
  var resultScreen = document.getElementById("screen-result");
  var video = document.getElementById("camera");
  var canvas = document.getElementById("camera-frame");
  var cameraNote = document.getElementById("camera-note");
  var busy = false;
  var backTimer = null;
  var lastCameraText = "";
  var lastCameraAt = 0;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function focusInput() {
    if (!resultScreen.hidden) { return; }
    if (document.activeElement !== input) { input.focus({ preventScroll: true }); }
  }

  // Focus that left for nowhere goes back to the scanner's input; focus a keyboard user moved
  // to a control (大字, 高对比度, the camera) stays there.
  function focusInputIfLost() {
    var active = document.activeElement;
    if (!active || active === document.body || active === document.documentElement) { focusInput(); }
  }

  function showScan() {
    clearTimeout(backTimer);
    resultScreen.hidden = true;
    scanScreen.hidden = false;
    busy = false;
    input.value = "";
    focusInput();
  }

  function showResult(kind, title, name, seat, message) {
    var box = document.getElementById("result-box");
    box.className = "k-result k-result-" + kind;
    document.getElementById("result-title").textContent = title;
    document.getElementById("result-name").textContent = name || "";
    document.getElementById("result-seat").textContent = seat || "";
    document.getElementById("result-message").textContent = message || "";
    scanScreen.hidden = true;
    resultScreen.hidden = false;
    clearTimeout(backTimer);
    backTimer = setTimeout(showScan, kind === "ok" ? resultMs : resultMs + 2000);
  }

  function submit(text) {
    text = text.trim();
    if (!text || busy) { return; }
    busy = true;
    fetch(app.dataset.scanUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ text: text })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (reply) {
      var b = reply.body;
      if (reply.ok && b.status === "checked_in") {
        showResult("ok", strings.checked_in, fill(strings.welcome, b), fill(strings.seat, b), b.late ? strings.late : "");
      } else if (reply.ok && b.status === "already") {
        showResult("info", strings.already_title, fill(strings.welcome, b), fill(strings.seat, b),
                   fill(strings.already, b));
      } else if (b.error === "kiosk_unknown") {
        window.location.reload();
      } else {
        showResult("error", strings.failed, "", "", b.message || strings.offline);
      }
      refreshStatus();
    }).catch(function () {
      showResult("error", strings.failed, "", "", strings.offline);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    submit(text);
  });
  // Keep the scanner's keystrokes landing in the input whatever was touched (a tap, not a key).
  document.addEventListener("pointerup", function () { setTimeout(focusInput, 50); });
  input.addEventListener("blur", function () { setTimeout(focusInputIfLost, 50); });
  // With a control focused, a scanner's characters go to the input and its Enter submits them.
  var lastKey = -Infinity;
  document.addEventListener("keydown", function (event) {
    if (!resultScreen.hidden || document.activeElement === input) { return; }
    var typed = event.key.length === 1 && event.key !== " " && !event.ctrlKey && !event.altKey &&
      !event.metaKey;
    if (typed) {
      event.preventDefault();
      lastKey = event.timeStamp;
      input.value += event.key;
      input.focus({ preventScroll: true });
    } else if (event.key === "Enter" && input.value && event.timeStamp - lastKey < 1000) {
      event.preventDefault();
      input.focus({ preventScroll: true });
      form.requestSubmit();
    }
  }, true);
  document.getElementById("result-back").addEventListener("click", showScan);
  // The greeting goes after a few seconds; a delegate who needs longer to read it keeps it.
  var MORE_MS = 30000;
  document.getElementById("result-more").addEventListener("click", function () {
    clearTimeout(backTimer);
    backTimer = setTimeout(showScan, MORE_MS);
  });
  // The next delegate in the queue scans while the last greeting is still shown: the scanner's
  // first key brings the scan screen back so that none of its keystrokes are lost.
  document.addEventListener("keydown", function (event) {
    if (!resultScreen.hidden && event.key.length === 1) { showScan(); }
  }, true);

  function refreshStatus() {
    fetch(app.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.error === "kiosk_unknown") { window.location.reload(); return; }
        document.getElementById("counts").textContent = fill(strings.counts, s);
        var banner = document.getElementById("not-open");
        banner.hidden = s.open;
        banner.textContent = s.open ? "" : fill(strings.not_open, { state: s.state_label });
      })
      .catch(function () { /* offline: the next poll retries */ });
  }

  document.getElementById("camera-start").addEventListener("click", function (event) {
    event.currentTarget.hidden = true;
    window.QrCamera.start({
      video: video,
      canvas: canvas,
      facingMode: "user",
      paused: function () { return !resultScreen.hidden || busy; },
      onCode: function (text) {
        var now = Date.now();
        // The same card held in front of the camera is sent once, not on every frame.
        if (text !== lastCameraText || now - lastCameraAt > resultMs + 3000) {
          lastCameraText = text;
          lastCameraAt = now;
          submit(text);
        }
      },
      onUnavailable: function () { cameraNote.textContent = strings.camera_off; }
    });
  });

  refreshStatus();
  setInterval(refreshStatus, 10000);
  showScan();
}());
