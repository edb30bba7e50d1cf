// The little JavaScript the page uses: adding and removing data-item and safeguard rows and
// the report's print button (who asks is the signed-in identity: nothing to remember). Everything works
// without it except adding rows (the form then has one of each).
"use strict";

function renumber(row, prefix, index) {
  var pattern = new RegExp("^" + prefix + "-\\d+-");
  row.dataset.index = String(index);
  row.querySelectorAll("[name]").forEach(function (el) {
    el.name = el.name.replace(pattern, prefix + "-" + index + "-");
    if (el.id) { el.id = el.id.replace(pattern, prefix + "-" + index + "-"); }
  });
}

// A repeatable group (data items, safeguards): a fieldset.repeat with data-prefix, rows
// (.row) whose fields are named PREFIX-N-field, an .add-row button and .remove-row buttons.
// The last row is never removed: the server ignores a blank one.
function setUpRepeat(box) {
  var prefix = box.dataset.prefix;
  var add = box.querySelector(".add-row");
  if (!prefix || !add) { return; }
  add.addEventListener("click", function () {
    var rows = box.querySelectorAll(".row");
    var last = rows[rows.length - 1];
    var row = last.cloneNode(true);
    row.querySelectorAll("input, select").forEach(function (el) {
      if (el.type === "checkbox") { el.checked = false; }
      else if (el.tagName === "SELECT") { el.selectedIndex = 0; }
      else { el.value = ""; }
    });
    var next = 0;
    rows.forEach(function (r) { next = Math.max(next, Number(r.dataset.index) + 1); });
    renumber(row, prefix, next);
    last.after(row);
    var first = row.querySelector("select, input");
    if (first) { first.focus(); }
  });
  box.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement) || !target.classList.contains("remove-row")) { return; }
    var rows = box.querySelectorAll(".row");
    var row = target.closest(".row");
    if (rows.length > 1 && row) { row.remove(); }
  });
}

function setUpPrint() {
  document.querySelectorAll("[data-action=print]").forEach(function (el) {
    el.addEventListener("click", function () { window.print(); });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("fieldset.repeat").forEach(setUpRepeat);
  setUpPrint();
});
