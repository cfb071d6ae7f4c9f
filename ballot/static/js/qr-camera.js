// The device camera as a QR reader (jsQR), shared by the check-in kiosk and the scrutiny page's
// box opening: frames are drawn to a canvas and decoded; each code read goes to onCode(text, stop).
// Nothing is sent anywhere from here; the page decides what to do with the text.
(function () {
  "use strict";

  function start(options) {
    var video = options.video;
    var canvas = options.canvas;
    var stopped = false;

    function stop() {
      stopped = true;
      if (video.srcObject) { video.srcObject.getTracks().forEach(function (t) { t.stop(); }); }
    }

    function loop() {
      if (stopped) { return; }
      if (video.readyState === video.HAVE_ENOUGH_DATA && !(options.paused && options.paused())) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        var ctx = canvas.getContext("2d", { willReadFrequently: true });
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        if (code && code.data) { options.onCode(code.data, stop); }
      }
      window.requestAnimationFrame(loop);
    }

    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      options.onUnavailable();
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: options.facingMode }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play();
      })
      .then(function () { window.requestAnimationFrame(loop); })
      .catch(function () { options.onUnavailable(); });
  }

  window.QrCamera = { start: start };
}());
