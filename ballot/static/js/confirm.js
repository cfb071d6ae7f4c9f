// Confirmation page of an action that answers with a download: once the yes is sent, the button
// is disabled (a second yes would issue the cards again) and the page says to go back once the
// download has started. It never navigates by itself: leaving the page while the server still
// builds a large file (400 cards) would cancel the download.
(function () {
  "use strict";
  var form = document.querySelector("form[data-download-then]");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    var note = document.getElementById("confirm-download-note");
    window.setTimeout(function () {
      if (button) { button.disabled = true; }
      if (note) { note.hidden = false; }
    }, 0);
  });
})();
