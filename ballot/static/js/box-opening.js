// The scrutiny page's box opening (开箱): a key card's QR code read by the device camera (jsQR)
// fills the card field and submits it once; a USB scanner types into the focused field and
// presses Enter by itself. The card's text is sent only in the form's POST body.
(function () {
  "use strict";
  var form = document.querySelector("form.ch-open-box");
  if (!form) { return; }
  var input = form.querySelector("#card");
  var video = document.getElementById("camera");
  var canvas = document.getElementById("camera-frame");
  var note = document.getElementById("camera-note");
  var start = document.getElementById("camera-start");
  var sent = false;

  start.addEventListener("click", function () {
    start.hidden = true;
    window.QrCamera.start({
      video: video,
      canvas: canvas,
      facingMode: "environment",
      onCode: function (text, stop) {
        if (sent || text.indexOf("BOX1-") !== 0) { return; }
        sent = true;
        stop();
        input.value = text;
        form.submit();
      },
      onUnavailable: function () { note.textContent = note.getAttribute("data-off"); }
    });
  });
}());
