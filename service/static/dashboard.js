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

// A story page follows its story's events (GET /v1/events?story=ID) and, when something is
// committed, reads the page again and swaps its content in: the server renders, as always.
(function () {
  const main = document.querySelector("[data-events]");
  if (!main || !window.EventSource) {
    return;
  }
  const status = document.getElementById("live");
  const source = new EventSource(main.dataset.events);
  let pending = null;
  function refresh() {
    pending = null;
    fetch(window.location.href, { headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById(main.id);
        if (!fresh) {
          return;
        }
        main.replaceChildren(...Array.from(fresh.childNodes, function (node) {
          return document.importNode(node, true);
        }));
        main.dataset.refreshed = String(Number(main.dataset.refreshed || "0") + 1);
      })
      .catch(function () {
        if (status) {
          status.textContent = "changed: reload the page";
        }
      });
  }
  function changed() {
    if (pending === null) {
      pending = window.setTimeout(refresh, 300);
    }
  }
  ["article.added", "verdict.changed", "claim.contested", "story.edited"].forEach(function (type) {
    source.addEventListener(type, changed);
  });
  source.addEventListener("resync", changed);
  source.onopen = function () {
    if (status) {
      status.textContent = "live";
    }
  };
  source.onerror = function () {
    if (status) {
      status.textContent = "reconnecting";
    }
  };
})();
