// supportdesk: small progressive enhancements. No inline scripts (Content-Security-Policy).
"use strict";

// Forms marked data-once cannot be sent twice by a double click while the first one is on its way.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) {
    return;
  }
  if (event.submitter && event.submitter.getAttribute("formmethod") === "get") {
    return;
  }
  if (form.dataset.sent === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (button) {
    button.setAttribute("aria-busy", "true");
  });
});

// A page restored from the back/forward cache must be sendable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    delete form.dataset.sent;
  });
});

// The queue: between two refreshes (htmx polls the list), the business time left of each row
// counts down while its calendar is open, and "updated N s ago" counts up. The server sends the
// minutes left at render time (data-left) and whether the clock runs (data-ticking); the next
// refresh corrects any drift (a calendar closing in between stops the count there).
(function () {
  const MAX_TICK_SECONDS = 300;

  function formatLeft(minutes, unitH, unitMin) {
    const total = Math.floor(Math.abs(minutes));
    const hours = Math.floor(total / 60);
    const mins = total % 60;
    const parts = [];
    if (hours) {
      parts.push(hours + " " + unitH);
    }
    if (mins || !hours) {
      parts.push(mins + " " + unitMin);
    }
    const text = parts.join(" ");
    return minutes < 0 && total ? "\u2212" + text : text;
  }

  function tick() {
    const nowSeconds = Date.now() / 1000;
    document.querySelectorAll("[data-rendered-at]").forEach(function (live) {
      if (!live.dataset.loadedAt) {
        live.dataset.loadedAt = String(nowSeconds);
      }
      const elapsed = Math.max(nowSeconds - Number(live.dataset.loadedAt), 0);
      const updated = live.querySelector(".updated");
      if (updated && live.dataset.updatedTemplate) {
        updated.textContent = live.dataset.updatedTemplate.replace("%(s)s", String(Math.floor(elapsed)));
      }
      const running = Math.min(elapsed, MAX_TICK_SECONDS) / 60;
      live.querySelectorAll("[data-left][data-ticking]").forEach(function (cell) {
        const left = Number(cell.dataset.left) - running;
        cell.textContent = formatLeft(left, live.dataset.unitH, live.dataset.unitMin);
        if (left <= 0 && !cell.classList.contains("sla-breached")) {
          cell.classList.remove("sla-ok", "sla-warning");
          cell.classList.add("sla-breached");
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSwap", tick);
// Canned replies (workspace/_canned_picker.html): the chosen text goes into the form's textarea at
// the cursor (or at the end), then the picker resets so the same reply can be inserted again.
document.addEventListener("change", function (event) {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.dataset.cannedField) {
    return;
  }
  const option = select.selectedOptions[0];
  const form = select.closest("form");
  const area = form && form.querySelector('textarea[name="' + select.dataset.cannedField + '"]');
  if (!option || !option.dataset.text || !area) {
    return;
  }
  const text = option.dataset.text;
  const start = area.selectionStart ?? area.value.length;
  const end = area.selectionEnd ?? area.value.length;
  area.value = area.value.slice(0, start) + text + area.value.slice(end);
  area.focus();
  area.setSelectionRange(start + text.length, start + text.length);
  area.dispatchEvent(new Event("input", { bubbles: true }));
  select.value = "";
});

// Presence (workspace ticket page): typing in a composer marks the agent as typing for 15 s and
// reports it at once; the page's presence form polls every 10 s anyway.
(function () {
  let idleTimer = null;
  document.addEventListener("input", function (event) {
    const field = document.getElementById("presence-typing");
    const target = event.target;
    if (!field || !(target instanceof HTMLTextAreaElement) || !target.closest("form:not(#presence)")) {
      return;
    }
    const wasIdle = field.value !== "1";
    field.value = "1";
    if (wasIdle) {
      document.body.dispatchEvent(new Event("sd-typing"));
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () {
      field.value = "0";
    }, 15000);
  });
})();
