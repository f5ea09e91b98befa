// Board: Sortable.js drag and drop glued to htmx, and a poll that never disturbs the user.
// The server decides everything; this file only says where a card was dropped.
(function () {
  "use strict";

  function stateValues() {
    // The filters and the page's board state (token, last loaded card per column).
    var values = {};
    var filters = document.getElementById("board-filters");
    if (filters) { new FormData(filters).forEach(function (v, k) { values[k] = v; }); }
    document.querySelectorAll(".board-state").forEach(function (input) {
      values[input.name] = input.value;
    });
    return values;
  }

  // Where the dragged card was before the drag, to put it back if the move fails.
  var origin = null;

  function putBack(card, from) {
    // (Unless the answer replaced the card with the server's version.)
    if (from.list.isConnected && (card.isConnected || !document.getElementById(card.id))) {
      from.list.insertBefore(card, from.next && from.next.parentNode === from.list
        ? from.next : null);
    }
  }

  function onDrop(evt) {
    document.body.classList.remove("dragging");
    var card = evt.item;
    var from = origin;
    origin = null;
    if (evt.from === evt.to && evt.oldIndex === evt.newIndex) { return; }
    // A refused move (409, 422) comes back with the card as it really is (HX-Reswap: delete,
    // the server's card out of band); any other failure (network down, 401 and the login
    // page opens, 403, 500, a proxy's error page) leaves the card where it was dropped, so it
    // goes back to its true place here (app.js says why).
    card.addEventListener("htmx:afterRequest", function (done) {
      var xhr = done.detail.xhr;
      var status = xhr ? xhr.status : 0;
      if (status >= 200 && status < 300) { return; }
      if (xhr && xhr.getResponseHeader("HX-Reswap") === "delete") { return; }
      if (from) { putBack(card, from); }
    }, { once: true });
    var above = card.previousElementSibling;
    while (above && !above.classList.contains("card")) { above = above.previousElementSibling; }
    var values = stateValues();
    values.stage_id = evt.to.dataset.stageId;
    values.after_id = above ? above.dataset.id : "0";
    values.version = card.dataset.version;
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card, target: card, swap: "outerHTML", values: values
    });
  }

  htmx.onLoad(function (content) {
    var lists = content.classList && content.classList.contains("cards")
      ? [content] : content.querySelectorAll(".cards[data-stage-id]");
    lists.forEach(function (list) {
      if (list.sortable) { return; }
      list.sortable = new Sortable(list, {
        group: "board",
        animation: 150,
        draggable: ".card:not(.editing)",
        filter: "button, input, select, textarea, .card-move",
        preventOnFilter: false,
        ghostClass: "card-ghost",
        onStart: function (evt) {
          document.body.classList.add("dragging");
          origin = { list: evt.from, next: evt.item.nextElementSibling };
        },
        onEnd: onDrop
      });
    });
  });

  function busy() {
    // A drag in progress, an open move control, or a request of the user's under way.
    return document.body.classList.contains("dragging") ||
      document.querySelector("#board .card.editing, #board .htmx-request") !== null;
  }

  // The poll skips its turn while the user is busy, and drops an answer that arrives then.
  document.addEventListener("htmx:confirm", function (evt) {
    if (evt.target.id === "board-poll" && busy()) { evt.preventDefault(); }
  });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.elt && evt.detail.elt.id === "board-poll" && busy()) {
      evt.detail.shouldSwap = false;
    }
  });

  // Keep the keyboard focus on the card the user was working on across swaps.
  var focusedId = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest(".card") : null;
    focusedId = card ? card.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (focusedId && (document.activeElement === document.body || !document.activeElement)) {
      var again = document.getElementById(focusedId);
      if (again) { again.focus(); }
    }
  });
  // After a move, the server names the card to focus (it has a new place in the page).
  document.body.addEventListener("board:focus", function (evt) {
    window.setTimeout(function () {
      var card = document.getElementById(evt.detail.id);
      if (card) { card.focus(); }
    }, 0);
  });
})();
