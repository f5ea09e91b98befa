// Incubateur: the little JavaScript the pages need on top of htmx. No business logic here.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function showMessage(text, origin) {
    var area = document.getElementById("messages");
    if (!area) { return; }
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    area.replaceChildren(p);
    errorShown(p, origin);
  }

  // An error shown in #messages (a failed request, an error answer retargeted there): the
  // message "beside" an earlier change (#near-status) is no longer the news and goes; the
  // focus, when the request left it nowhere, goes to the error, so the keyboard user is not
  // sent back to the top of the page. "Nowhere" is <body> (htmx disabled the button while
  // the request ran), or still that button: the browser moves the focus off a disabled
  // button only at its next rendering step, and a request that fails at once gives the
  // button back first. The focus elsewhere (a field being typed into, another control while
  // a background poll failed) stays where it is.
  function errorShown(error, origin) {
    document.querySelectorAll(".near-status").forEach(function (old) { old.remove(); });
    document.querySelectorAll("[aria-describedby~=near-status]").forEach(function (el) {
      var ids = el.getAttribute("aria-describedby").split(/\s+/)
        .filter(function (one) { return one && one !== "near-status"; });
      if (ids.length) { el.setAttribute("aria-describedby", ids.join(" ")); }
      else { el.removeAttribute("aria-describedby"); }
    });
    window.setTimeout(function () {
      var active = document.activeElement;
      var onItsButton = origin && active && active.matches &&
        active.matches("button, input[type=submit]") &&
        (origin === active || origin.contains(active));
      var nowhere = !active || active === document.body || onItsButton;
      if (error.isConnected && nowhere) {
        error.setAttribute("tabindex", "-1");
        error.focus();
      }
    }, 0);
  }
  document.addEventListener("htmx:afterSettle", function (evt) {
    var area = evt.detail && evt.detail.target;
    if (!area || area.id !== "messages") { return; }
    var error = area.querySelector(".error-fragment");
    var config = evt.detail.requestConfig;
    if (error) { errorShown(error, config && config.elt); }
  });

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

  // A change (not a GET) whose answer did not come from the app: it may have been saved
  // before the connection broke or the proxy gave up (502, 504), so the message says that
  // it cannot tell, never "nothing was changed". The texts come translated from the page
  // (data-msg-… on <body>).
  function isChange(evt) {
    var config = evt.detail.requestConfig;
    return !!config && String(config.verb || "get").toLowerCase() !== "get";
  }

  // A section's own reload after a change (``data-refresh``: the history, the users table)
  // is not something the user did: its failure says nothing, for the change it follows was
  // saved and said so (a failed reload of the history told the user "Nothing was changed"
  // over "Next step added"); the section shows it at the next change or reload.
  function isRefresh(evt) {
    var elt = evt.detail.elt;
    return !!(elt && elt.hasAttribute && elt.hasAttribute("data-refresh"));
  }

  // A request whose answer never came (network down, server stopped, connection cut).
  // What the user typed stays in place: nothing was swapped.
  document.addEventListener("htmx:sendError", function (evt) {
    if (isRefresh(evt)) { return; }
    var data = document.body.dataset;
    showMessage((isChange(evt) && data.msgNetworkUnsure) || data.msgNetwork || "Network error",
      evt.detail.elt);
  });

  // An error answer that does not say where it goes (the app's own errors go to #messages
  // with HX-Retarget; a proxy's error page does not) is not swapped: what the user typed
  // stays in place, and the message says what happened. A proxy's 4xx refused the request
  // before the app saw it; its 5xx may come after the app saved the change.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (evt.detail.isError && isRefresh(evt)) {  // the app's own error message too
      evt.detail.shouldSwap = false;
      return;
    }
    if (evt.detail.isError && !xhr.getResponseHeader("HX-Retarget")) {
      evt.detail.shouldSwap = false;
      var data = document.body.dataset;
      var unsure = isChange(evt) && xhr.status >= 500 && data.msgFailedUnsure;
      showMessage((unsure || data.msgFailed || "Error %(status)s")
        .replace("%(status)s", String(xhr.status)), evt.detail.elt);
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

  // ---- Keyboard: Escape and the shortcuts list (issue 9, part C) ------------------------
  // Escape closes the innermost thing open around the focus: an open <details> (menus,
  // folded forms; the focus goes to its summary), or a control opened in place (an element
  // marked data-escape: its [data-cancel] button is pressed, and the server's answer puts
  // the focus back). With the focus elsewhere, it closes the open menus (the user menu, the
  // notifications), the focus going to their toggle. An open <dialog> handles Escape itself.
  var typing = "input:not([type=checkbox]):not([type=radio]):not([type=button]):not([type=submit])" +
    ":not([type=reset]), textarea, select, [contenteditable]:not([contenteditable=false])";

  function closeDetails(details) {
    details.open = false;
    var summary = details.querySelector("summary");
    if (summary) { summary.focus(); }
  }

  function closeNotificationMenu() {
    var link = document.getElementById("notification-bell-link");
    if (!link || link.getAttribute("aria-expanded") !== "true") { return false; }
    document.addEventListener("htmx:afterSettle", function () {
      var again = document.getElementById("notification-bell-link");
      if (again) { again.focus(); }
    }, { once: true });
    link.click();  // the bell toggles the menu (hx-get …?close=1 while open)
    return true;
  }

  function cancelInPlace(control, cancel) {
    // What comes back in its place (same id) gets the focus, on its first link or button
    // (the "Edit" that opened it), unless the answer placed the focus itself (a card).
    var id = control.id;
    document.addEventListener("htmx:afterSettle", function () {
      window.setTimeout(function () {
        var active = document.activeElement;
        if (active && active !== document.body) { return; }
        var back = id && document.getElementById(id);
        if (!back) { return; }
        var first = back.querySelector("[hx-target='#" + id + "']") ||
          back.querySelector("a[href], button, summary");
        if (first) { first.focus(); }
      }, 0);
    }, { once: true });
    cancel.click();
  }

  function closeAround() {
    var node = document.activeElement;
    for (; node && node !== document.body && node !== document.documentElement;
         node = node.parentElement) {
      if (node.tagName === "DETAILS" && node.open) { closeDetails(node); return true; }
      if (node.hasAttribute("data-escape")) {
        var cancel = node.querySelector("[data-cancel]");
        if (cancel) { cancelInPlace(node, cancel); return true; }
      }
      if (node.id === "notification-menu" || node.id === "notification-bell") {
        return closeNotificationMenu();
      }
    }
    if (closeNotificationMenu()) { return true; }
    var menu = document.querySelector("details.dropdown[open]");
    if (menu) { closeDetails(menu); return true; }
    return false;
  }

  var shortcuts = document.getElementById("shortcuts");
  var shortcutsOpener = null;

  function openShortcuts() {
    if (!shortcuts || shortcuts.open) { return; }
    shortcutsOpener = document.activeElement;
    shortcuts.showModal();
    // A list taller than the screen (a phone, a zoomed page) opens at its top with the focus
    // on its box, where the arrow keys scroll it (the "Close" button below is the next Tab);
    // focusing "Close" would scroll the list to its end, out of reach of the arrow keys.
    var box = shortcuts.querySelector("article");
    var close = shortcuts.querySelector("[data-shortcuts-close]");
    if (box && box.scrollHeight > box.clientHeight + 1) {
      box.setAttribute("tabindex", "0");
      box.scrollTop = 0;
      box.focus({ preventScroll: true });
    } else {
      if (box) { box.removeAttribute("tabindex"); }
      if (close) { close.focus(); }
    }
  }

  if (shortcuts) {
    document.querySelectorAll("[data-shortcuts], [data-needs-js]").forEach(function (elt) {
      elt.hidden = false;
    });
    shortcuts.addEventListener("close", function () {
      var back = shortcutsOpener;
      shortcutsOpener = null;
      // Replaced while the list was open (the board's refresh): its new version.
      if (back && !back.isConnected && back.id) { back = document.getElementById(back.id); }
      if (back && back.isConnected && back !== document.body) { back.focus(); }
    });
    // A click on the backdrop (outside the box) closes the list too.
    shortcuts.addEventListener("click", function (evt) {
      if (evt.target === shortcuts) { shortcuts.close(); }
    });
  }

  document.addEventListener("click", function (evt) {
    if (!evt.target.closest) { return; }
    if (evt.target.closest("[data-shortcuts]")) { openShortcuts(); }
    if (evt.target.closest("[data-shortcuts-close]")) { shortcuts.close(); }
  });

  document.addEventListener("keydown", function (evt) {
    if (evt.defaultPrevented || evt.ctrlKey || evt.metaKey || evt.altKey) { return; }
    if (evt.key === "Escape") {
      if (document.querySelector("dialog[open]")) { return; }
      if (closeAround()) { evt.preventDefault(); }
    } else if (evt.key === "?") {
      // Shift+/ (Shift+, on a French keyboard), never while typing in a field.
      if (evt.target.closest && evt.target.closest(typing)) { return; }
      if (!shortcuts || shortcuts.open) { return; }
      evt.preventDefault();
      openShortcuts();
    }
  });
  // ---- end of keyboard ------------------------------------------------------------------
  // ---- Focus after an htmx change, its message beside it (issue 9, part B) ----
  // The server names the element the keyboard focus goes to ("focus-target", fired once the
  // swap has settled; incubator/htmx.py focus_on). The message it swapped into #messages for
  // that change (data-near) is also shown beside the element: a sighted user sees it where
  // they work, and a screen reader reads it with the focused element (aria-describedby).
  var NEAR = "near-status";
  var CONTROL = /^(A|BUTTON|INPUT|SELECT|TEXTAREA|SUMMARY)$/;
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function placeNear(target, note) {
    if (CONTROL.test(target.tagName)) {
      (target.closest("form") || target).insertAdjacentElement("afterend", note);
    } else if (/^H[1-6]$/.test(target.tagName)) {
      target.insertAdjacentElement("afterend", note);
    } else {
      target.insertAdjacentElement("afterbegin", note);
    }
  }

  function describedBy(element, id, add) {
    var ids = (element.getAttribute("aria-describedby") || "").split(/\s+/)
      .filter(function (one) { return one && one !== id; });
    if (add) { ids.push(id); }
    if (ids.length) { element.setAttribute("aria-describedby", ids.join(" ")); }
    else { element.removeAttribute("aria-describedby"); }
  }

  function focusTarget(id) {
    var target = document.getElementById(id);
    if (!target) { return; }
    document.querySelectorAll("." + NEAR).forEach(function (old) { old.remove(); });
    document.querySelectorAll("[aria-describedby~=" + NEAR + "]").forEach(function (el) {
      describedBy(el, NEAR, false);
    });
    var message = document.querySelector("#messages [data-near]");
    if (message) {
      message.removeAttribute("data-near");
      var note = message.cloneNode(true);
      note.removeAttribute("tabindex");
      note.id = NEAR;
      note.classList.add(NEAR);
      placeNear(target, note);
      describedBy(target, NEAR, true);
    }
    if (!target.matches(FOCUSABLE)) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }
  document.body.addEventListener("focus-target", function (evt) {
    if (evt.detail && evt.detail.id) { focusTarget(evt.detail.id); }
  });

  // A form refused with errors shows a summary at its top ([data-error-summary], the
  // form_errors macro): the keyboard focus goes to it when the page loads and when htmx
  // swaps it in; each of its links moves the focus into its field.
  function focusSummary(root) {
    var summary = root.matches && root.matches("[data-error-summary]") ? root
      : root.querySelector && root.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }
  focusSummary(document);
  document.addEventListener("htmx:afterSettle", function (evt) { focusSummary(evt.target); });
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    evt.preventDefault();
    if (!field.matches(FOCUSABLE)) {
      field = field.querySelector("input, select, textarea, button") || field;
    }
    field.focus();
  });
  // ---- end of part B (focus after htmx changes) ----

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

// --- Issue 11: the close form's "if redirected" fields ([data-shown-for-outcome]) ------------
// Shown without JavaScript (with their hint); here, only while that outcome is chosen. The
// server decides what is required.
(function () {
  function sync(root) {
    root.querySelectorAll("[data-shown-for-outcome]").forEach(function (set) {
      var select = set.form && set.form.querySelector("select[name=outcome]");
      if (select) set.hidden = select.value !== set.getAttribute("data-shown-for-outcome");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { sync(document); });
  document.addEventListener("htmx:load", function (event) { sync(event.target); });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[name=outcome]") && event.target.form) {
      sync(event.target.form);
    }
  });
})();

// --- The review's tabs (templates/pipeline/_tabs.html) -----------------------------------
// On a phone the tab bar scrolls sideways inside itself: the current tab is brought into
// view when the page opens (the bar alone scrolls, never the page).
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var current = document.querySelector(".review-tabs a[aria-current=page]");
    var bar = current && current.closest("ul");
    if (!bar || bar.scrollWidth <= bar.clientWidth) return;
    var right = current.offsetLeft + current.offsetWidth - bar.offsetLeft;
    if (right > bar.clientWidth) bar.scrollLeft = right - bar.clientWidth;
  });
  // A tab reached with the keyboard comes whole into view (the browser would leave one
  // that is partly visible where it is).
  document.addEventListener("focusin", function (event) {
    var link = event.target;
    if (link.matches && link.matches(".review-tabs a")) {
      link.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  });
})();

// --- Live searches typed into before the scripts ran ----------------------------------------
// A live search (a form whose hx-trigger listens to "input") only hears what is typed once
// htmx has processed the page; on a slow network someone may type first, and htmx takes the
// typed text as the field's starting value. Once htmx is ready, a form whose text differs
// from what the page was served with is submitted, which htmx sends as its search.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[hx-trigger*='input']").forEach(function (form) {
      var typed = Array.prototype.some.call(
        form.querySelectorAll("input[type=search], input[type=text]"),
        function (input) { return input.value !== input.defaultValue; });
      if (typed && form.requestSubmit) form.requestSubmit();
    });
  });
})();

// A request the user started shows as under way until its answer came (or failed): the
// button, link or card it came from is marked aria-busy="true", which Pico draws as a
// spinner and assistive technologies announce as busy. On a slow network a click on
// « Afficher toutes les cartes », a saved form or a dropped card otherwise showed nothing
// for seconds. Polls (the board's changes, the bell) come from elements that are none of
// these and show nothing.
(function () {
  "use strict";
  var busy = new WeakMap();  // request (XMLHttpRequest) -> the element marked for it

  function busyElement(evt) {
    var elt = evt.detail.elt;
    if (!elt || !elt.matches) return null;
    if (elt.matches("button, a, [role=button], .card")) return elt;
    if (elt.tagName !== "FORM") return null;
    var config = evt.detail.requestConfig || {};
    var trigger = config.triggeringEvent;
    return (trigger && trigger.submitter) ||
      elt.querySelector("button[type=submit], button:not([type]), input[type=submit]");
  }

  // On beforeSend, not beforeRequest: a request another listener cancels at beforeRequest
  // gets no afterRequest, and its mark would stay.
  document.addEventListener("htmx:beforeSend", function (evt) {
    var marked = busyElement(evt);
    if (marked && evt.detail.xhr && !marked.hasAttribute("aria-busy")) {
      marked.setAttribute("aria-busy", "true");
      busy.set(evt.detail.xhr, marked);
    }
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var marked = evt.detail.xhr && busy.get(evt.detail.xhr);
    if (marked) {
      marked.removeAttribute("aria-busy");
      busy.delete(evt.detail.xhr);
    }
  });
})();

// An answer whose target left the page while it was on its way (another answer replaced
// the section around it: a step ticked, then a step added at once; an invitation sent
// again, then another revoked) was dropped by htmx, so the page showed the step open or
// the invitation pending although the change was saved. Such an answer goes into the
// element that now holds the target's id, if there is one; a target removed for good
// (no element with its id) is left alone, as before.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSend", function (evt) {
    var target = evt.detail.target;
    var xhr = evt.detail.xhr;
    if (!target || !target.id || !xhr || !target.addEventListener) return;
    var id = target.id;
    // On the target itself: htmx fires beforeSwap there, and an event on an element that
    // left the page does not reach the document.
    function retarget(swap) {
      if (swap.detail.xhr !== xhr) return;
      target.removeEventListener("htmx:beforeSwap", retarget);
      if (document.body.contains(target) || swap.detail.isError) return;
      var now = document.getElementById(id);
      if (now) swap.detail.target = now;
    }
    target.addEventListener("htmx:beforeSwap", retarget);
    xhr.addEventListener("loadend", function () {
      // No swap came (an error, an empty answer): nothing stays behind on the element.
      window.setTimeout(function () { target.removeEventListener("htmx:beforeSwap", retarget); }, 0);
    });
  });
})();
