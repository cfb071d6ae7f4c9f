// Kiosk display settings for the delegate at the screen: 大字 (larger text) and 高对比度 (high
// contrast), each a class on <html> switched by a [data-display] toggle button. They live only in
// this page: never in storage or a cookie. When a screen marked [data-display-reset] comes back
// (the voting kiosk's idle screen, the check-in kiosk's scan screen) the next delegate starts
// from the default display.
(function () {
  "use strict";

  var CLASSES = { large: "kd-large", contrast: "kd-contrast" };
  var root = document.documentElement;
  var buttons = document.querySelectorAll("[data-display]");

  function set(name, on) {
    root.classList.toggle(CLASSES[name], on);
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].dataset.display === name) {
        buttons[i].setAttribute("aria-pressed", on ? "true" : "false");
      }
    }
  }

  function reset() {
    Object.keys(CLASSES).forEach(function (name) { set(name, false); });
  }

  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      var name = button.dataset.display;
      set(name, !root.classList.contains(CLASSES[name]));
    });
    // A touch or click leaves the focus where it was (the scanner's input on an idle screen), so
    // a card scanned right after lands whole. Keyboard users still reach the buttons with Tab.
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
  });

  var observer = new MutationObserver(function (records) {
    records.forEach(function (record) {
      if (record.oldValue !== null && !record.target.hidden) { reset(); }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-display-reset]"), function (screen) {
    observer.observe(screen, { attributes: true, attributeFilter: ["hidden"], attributeOldValue: true });
  });

  reset();
}());
