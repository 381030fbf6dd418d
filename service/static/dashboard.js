// crosscheck dashboard: the compare form's "Another article" button. Pages work without it.
"use strict";

(function () {
  const add = document.getElementById("add-slot");
  const slots = document.getElementById("slots");
  if (!add || !slots) {
    return;
  }
  add.hidden = false;
  add.addEventListener("click", function () {
    const all = slots.querySelectorAll("fieldset.slot");
    const copy = all[all.length - 1].cloneNode(true);
    copy.querySelector("legend").textContent = "Article " + (all.length + 1);
    copy.querySelectorAll("input, textarea").forEach(function (field) {
      field.value = "";
    });
    slots.appendChild(copy);
  });
})();
