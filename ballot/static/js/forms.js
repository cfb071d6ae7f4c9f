// The browser's own "Please fill out this field." follows the browser's language, not the page's:
// required fields say it in the page's language instead (<meta name="required-message">).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="required-message"]');
  if (!meta) { return; }
  var message = meta.getAttribute("content");
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
