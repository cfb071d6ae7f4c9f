// The browser's own "Please fill out this field." follows the browser's language, not the page's:
// required fields say it in the page's language instead (the message is on <html>).
(function () {
  "use strict";
  var message = document.documentElement.getAttribute("data-required-message");
  if (!message) { return; }
  document.addEventListener("invalid", function (event) {
    var field = event.target;
    if (field.validity && field.validity.valueMissing) { field.setCustomValidity(message); }
  }, true);
  document.addEventListener("input", function (event) {
    if (event.target.setCustomValidity) { event.target.setCustomValidity(""); }
  }, true);
  document.addEventListener("change", function (event) {
    if (event.target.setCustomValidity) { event.target.setCustomValidity(""); }
  }, true);
}());
