// Incubateur: the little JavaScript the pages need on top of htmx. No business logic here.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function showMessage(text) {
    var area = document.getElementById("messages");
    if (!area) { return; }
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    area.replaceChildren(p);
  }

  // A form marked data-once is sent once: its submit buttons are disabled while the request
  // runs (htmx forms say so with hx-disabled-elt; this covers plain submissions). They are
  // disabled just after the browser has read the form, so the clicked button's value is
  // still sent, and enabled again when the page is shown anew (back button) so the user can
  // retry. The server refuses a replay anyway (one-time form token).
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once") || evt.defaultPrevented) { return; }
    if (form.hasAttribute("hx-post")) { return; }  // htmx sends it and disables its buttons
    if (form.dataset.sending) { evt.preventDefault(); return; }
    form.dataset.sending = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")
        .forEach(function (button) { button.disabled = true; button.dataset.onceDisabled = "1"; });
    }, 0);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
      form.querySelectorAll("[data-once-disabled]").forEach(function (button) {
        button.disabled = false;
        delete button.dataset.onceDisabled;
      });
    });
  });

  // A request that never reached the server (network down, server stopped).
  document.addEventListener("htmx:sendError", function () {
    // The text comes translated from the page (data-msg-network on <body>).
    showMessage(document.body.dataset.msgNetwork || "Network error");
  });
})();
