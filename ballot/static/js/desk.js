// Check-in desk: filter the roster as staff type (name, seat, delegation, pinyin initials) and
// by attendance, and pick a delegate into the action panel without reloading. Without this
// script the same search runs on the server (GET q, status) and "办理" links select a row.
(function () {
  "use strict";
  var search = document.getElementById("desk-search");
  var form = document.getElementById("desk-form");
  if (!search || !form) { return; }
  var input = document.getElementById("desk-q");
  var rows = Array.prototype.slice.call(document.querySelectorAll(".desk-table tbody tr[data-id]"));
  var count = document.getElementById("desk-count");
  var none = document.getElementById("desk-none");
  var countText = count.textContent.replace(/\d+\s*\/\s*\d+/, "{shown} / {total}");

  function status() {
    var checked = search.querySelector("input[name=status]:checked");
    return checked ? checked.value : "all";
  }

  function applyFilter() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = status();
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.dataset.search;
      var ok = (wanted === "all" || row.dataset.attendance === wanted) &&
        words.every(function (w) { return text.indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = countText.replace("{shown}", shown).replace("{total}", rows.length);
    none.hidden = shown !== 0;
    form.querySelector("input[name=q]").value = input.value;
    form.querySelector("input[name=status]").value = wanted;
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    url.searchParams.set("status", wanted);
    window.history.replaceState(null, "", url.toString());
  }

  function select(row) {
    rows.forEach(function (r) { r.classList.toggle("selected", r === row); });
    var id = row.dataset.id;
    var base = form.dataset.urlBase;
    document.getElementById("desk-selected").textContent = row.dataset.label;
    form.querySelectorAll("button[data-action]").forEach(function (button) {
      var when = button.dataset.when.split(" ");
      var state = row.dataset.attendance;
      button.formAction = base + id + "/" + button.dataset.action;
      // data-closed: not possible in the session's current state, whoever is selected.
      var action = button.dataset.action;
      button.hidden = button.dataset.closed === "1" || (action === "release"
        ? !row.dataset.issued : action === "paper"
          ? !row.dataset.paperable || state !== "present" : when.indexOf(state) === -1);
    });
    form.hidden = false;
    document.getElementById("desk-hint").hidden = true;
    var reason = document.getElementById("desk-reason");
    reason.value = "";
    reason.focus();
  }

  input.addEventListener("input", applyFilter);
  search.addEventListener("change", applyFilter);
  search.addEventListener("submit", function (event) { event.preventDefault(); applyFilter(); });
  document.querySelector(".desk-table").addEventListener("click", function (event) {
    var link = event.target.closest("a.desk-pick");
    if (!link) { return; }
    event.preventDefault();
    select(link.closest("tr"));
    document.getElementById("desk-panel").scrollIntoView({block: "start"});
  });
})();
