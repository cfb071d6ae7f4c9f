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

  function loop() {
    if (sent) { return; }
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (code && code.data && code.data.indexOf("BOX1-") === 0) {
        sent = true;
        input.value = code.data;
        if (video.srcObject) { video.srcObject.getTracks().forEach(function (t) { t.stop(); }); }
        form.submit();
        return;
      }
    }
    window.requestAnimationFrame(loop);
  }

  start.addEventListener("click", function () {
    start.hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      note.textContent = note.getAttribute("data-off");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play();
      })
      .then(function () { window.requestAnimationFrame(loop); })
      .catch(function () { note.textContent = note.getAttribute("data-off"); });
  });
}());
