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

  // A request that never reached the server (network down, server stopped). What the user
  // typed stays in place: nothing was swapped.
  document.addEventListener("htmx:sendError", function () {
    // The text comes translated from the page (data-msg-network on <body>).
    showMessage(document.body.dataset.msgNetwork || "Network error");
  });

  // An error answer that does not say where it goes (the app's own errors go to #messages
  // with HX-Retarget; a proxy's error page does not) is not swapped: what the user typed
  // stays in place, and the message says what happened.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (evt.detail.isError && !xhr.getResponseHeader("HX-Retarget")) {
      evt.detail.shouldSwap = false;
      showMessage((document.body.dataset.msgFailed || "Error %(status)s")
        .replace("%(status)s", String(xhr.status)));
    }
  });

  // The last request that failed, for the "Send again" button of the error message.
  var failed = null;
  document.addEventListener("htmx:responseError", function (evt) { failed = evt.detail.elt; });

  // A new login (maybe in another tab) changed the session's CSRF token: the server sends the
  // new one with its refusal; the page's forms and htmx headers take it.
  document.body.addEventListener("csrf-token", function (evt) {
    var token = evt.detail.token;
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    headers["X-CSRFToken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
    document.querySelectorAll("input[name=csrf_token]").forEach(function (input) {
      input.value = token;
    });
  });

  // The user's own change of a project (advisor, holders, description) moved its version on:
  // the page's other forms made from the version before follow, so the next change is not
  // refused as a conflict with the user's own. Forms older than that keep their version.
  document.body.addEventListener("project-version", function (evt) {
    var moved = evt.detail;
    document.querySelectorAll("input[name=version][data-project-version]").forEach(function (input) {
      if (input.dataset.projectVersion === String(moved.project) &&
          input.value === String(moved.from)) {
        input.value = String(moved.to);
      }
    });
  });

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-resend]");
    if (!button || !failed || !failed.isConnected) { return; }
    var elt = failed;
    failed = null;
    button.closest(".error-fragment").remove();
    htmx.trigger(elt, elt.tagName === "FORM" ? "submit" : "click");
  });
})();

// --- Issue 9, part A: confirmations (templates/macros/confirm.html) --------------------------
// Opening the disclosure moves the focus to Confirm (its group is named by the question, which
// screen readers read first); Cancel and Escape close it and give the focus back to the button.
// Without JavaScript the disclosure works alone (Cancel, useless there, stays hidden).
(function () {
  function showCancels(root) {
    root.querySelectorAll("details[data-confirm] [data-confirm-cancel]").forEach(function (b) {
      b.hidden = false;
    });
  }
  function close(details) {
    details.open = false;
    details.querySelector("summary").focus();
  }
  document.addEventListener("DOMContentLoaded", function () { showCancels(document); });
  document.addEventListener("htmx:load", function (event) { showCancels(event.target); });
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.matches && details.matches("details[data-confirm]") && details.open) {
      details.querySelector("[data-confirm-yes]").focus();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("[data-confirm-cancel]");
    if (cancel) close(cancel.closest("details"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var details = event.target.closest("details[data-confirm][open]");
    if (details) {
      event.preventDefault();
      close(details);
    }
  });
})();
