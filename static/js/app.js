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
