// Confirmation page of an action that answers with a download: once the yes is sent, disable
// the button (a second yes would issue the cards again) and go back to the page it came from.
(function () {
  "use strict";
  var form = document.querySelector("form[data-download-then]");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    window.setTimeout(function () {
      if (button) { button.disabled = true; }
      window.setTimeout(function () { window.location.assign(form.dataset.downloadThen); }, 1500);
    }, 0);
  });
})();
