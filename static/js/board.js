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

  // Keep the keyboard focus on the card the user was working on across swaps; if the card
  // left the page (closed or paused, moved below what a column has loaded, filtered out,
  // closed by someone else), on the card next to it in its column, else the one above it,
  // else the board's tab stop (a card of another column, or the empty board itself).
  // A column's "Load more" the focus was on (it loads when it comes into view) goes away
  // with the load: the focus goes to the first card it brought.
  var focusedId = null, nearIds = [], moreOf = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest("#board .card") : null;
    focusedId = card ? card.id : null;
    nearIds = [];
    var more = active && active.closest ? active.closest("#board .load-more") : null;
    var list = more && more.closest(".column").querySelector(".cards[data-stage-id]");
    var loaded = list ? cardsOf(list) : [];
    moreOf = list ? { list: list.id, last: loaded.length ? loaded[loaded.length - 1].id : null }
      : null;
    for (var step = 0; card && step < 2; step++) {
      var near = card;
      do { near = step ? near.previousElementSibling : near.nextElementSibling; }
      while (near && !near.classList.contains("card"));
      if (near) { nearIds.push(near.id); }
    }
  });
  // The focus goes to `element` through app.js's "focus-target" (the confirmation of the
  // change that took the card away, if any, is shown beside it).
  function focusWithMessage(element) {
    if (!element.id) { element.focus(); return; }
    document.body.dispatchEvent(new CustomEvent("focus-target", { detail: { id: element.id } }));
  }
  document.addEventListener("htmx:afterSettle", function () {
    var lost = document.activeElement === document.body || !document.activeElement;
    var from = moreOf;
    moreOf = null;
    if (from && lost) {
      var list = document.getElementById(from.list);
      var last = from.last && document.getElementById(from.last);
      var first = last ? last.nextElementSibling : list && list.querySelector(PLAIN);
      while (first && !first.matches(PLAIN)) { first = first.nextElementSibling; }
      if (first) { goTo(first); return; }
    }
    if (focusedId && lost) {
      var ids = [focusedId].concat(nearIds);
      for (var i = 0; i < ids.length; i++) {
        var again = document.getElementById(ids[i]);
        if (again && again.closest("#board")) { focusWithMessage(again); return; }
      }
      var stop = document.querySelector("#board .card[tabindex='0']") ||
        document.querySelector("#board " + PLAIN) || document.querySelector("#board[tabindex]");
      if (stop) { focusWithMessage(stop); }
    }
  });
  // ---- Keyboard: one tab stop for the board, arrow keys, M to move (issue 9, part C) ----
  // Roving focus: one card of the board has tabindex 0 (the last one the user was on, else
  // the first) and the links inside cards are out of the tab order, so Tab enters the board
  // once and leaves it. On a card: arrow keys go to the card above or below, or to the
  // nearest card of the previous or next column; Home and End to the first and last card of
  // the column; Enter opens the project (the card's link); M opens the move control (its
  // "Move…" link). Enter is left to the link, as everywhere else; M is the same key on
  // French and English keyboards. A card opened for moving keeps its natural tab order.
  // (An open move control is told by its data-escape: its class says "editing" only once
  // htmx has settled it.)
  var current = null;
  var PLAIN = ".card:not(.editing):not([data-escape])";

  function editing(card) {
    return card.classList.contains("editing") || card.hasAttribute("data-escape");
  }

  function cardsOf(list) {
    return Array.prototype.filter.call(list.children, function (child) {
      return child.classList.contains("card") && !editing(child);
    });
  }

  function rove(card) {
    var board = document.getElementById("board");
    if (!board) { return; }
    var cards = board.querySelectorAll(PLAIN);
    if (!card || !board.contains(card) || editing(card)) {
      card = (current && document.getElementById(current)) || null;
      if (!card || !board.contains(card) || editing(card)) {
        card = cards[0] || null;
      }
    }
    cards.forEach(function (each) {
      each.setAttribute("tabindex", each === card ? "0" : "-1");
      if (!each.hasAttribute("aria-describedby") && document.getElementById("board-keys")) {
        each.setAttribute("aria-describedby", "board-keys");
      }
      each.querySelectorAll("a[href], button").forEach(function (inner) {
        inner.setAttribute("tabindex", "-1");
      });
    });
    current = card ? card.id : current;
    // A board without any card is a scrolling region that takes the focus itself.
    if (card || board.querySelector(".card")) { board.removeAttribute("tabindex"); }
    else { board.setAttribute("tabindex", "0"); }
  }

  function goTo(card) {
    if (!card) { return; }
    rove(card);
    card.focus();
    // The browser scrolls a focused element into view only if none of it shows: a card the
    // arrows reach half hidden in the sideways-scrolling board (a narrow screen) is shown whole.
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function neighbour(card, step) {
    var lists = Array.prototype.slice.call(
      document.querySelectorAll("#board .cards[data-stage-id]"));
    var index = lists.indexOf(card.parentElement);
    var box = card.getBoundingClientRect();
    var middle = box.top + box.height / 2;
    for (var i = index + step; i >= 0 && i < lists.length; i += step) {
      var cards = cardsOf(lists[i]);
      if (!cards.length) { continue; }  // an empty column is skipped
      var best = null, distance = Infinity;
      cards.forEach(function (other) {
        var b = other.getBoundingClientRect();
        var d = Math.abs(b.top + b.height / 2 - middle);
        if (d < distance) { best = other; distance = d; }
      });
      return best;
    }
    return null;
  }

  function loadMoreThenGo(card, index) {
    // Past the last card loaded in a column that has more: load them (the column's "Load
    // more" control), then go to the one at ``index`` ("down": the next; "end": the last).
    var column = card.closest(".column");
    var more = column && column.querySelector(".load-more [hx-get]");
    if (!more) { return false; }
    var list = card.parentElement;
    list.addEventListener("htmx:afterSettle", function () {
      var cards = cardsOf(list);
      goTo(index === "end" ? cards[cards.length - 1] : cards[index]);
    }, { once: true });
    if (!more.classList.contains("htmx-request")) { htmx.trigger(more, "click"); }
    return true;
  }

  document.addEventListener("keydown", function (evt) {
    if (evt.defaultPrevented || evt.ctrlKey || evt.metaKey || evt.altKey) { return; }
    var target = evt.target;
    if (!target.closest) { return; }
    // Enter on the stage list of an open move control moves the card (a list does not
    // submit its form by itself).
    if (evt.key === "Enter" && target.tagName === "SELECT" &&
        target.closest("#board .card[data-escape] .move-form")) {
      evt.preventDefault();
      target.form.requestSubmit();
      return;
    }
    var card = target.closest("#board " + PLAIN);
    if (!card) { return; }
    var cards = cardsOf(card.parentElement);
    var at = cards.indexOf(card);
    var next;
    switch (evt.key) {
      case "ArrowDown": next = cards[at + 1]; break;
      case "ArrowUp": next = cards[at - 1]; break;
      case "Home": next = cards[0]; break;
      case "End": next = cards[cards.length - 1]; break;
      case "ArrowRight": next = neighbour(card, 1); break;
      case "ArrowLeft": next = neighbour(card, -1); break;
      case "m": case "M":
        evt.preventDefault();
        var move = card.querySelector(".card-move");
        if (move) { move.click(); }
        return;
      case "Enter":
        if (target !== card) { return; }  // a link inside does its own job
        evt.preventDefault();
        card.querySelector(".card-title").click();
        return;
      default: return;
    }
    evt.preventDefault();  // no page scroll, even at the end of a column
    if (!next && evt.key === "ArrowDown" && loadMoreThenGo(card, at + 1)) { return; }
    if (evt.key === "End" && next === card && loadMoreThenGo(card, "end")) { return; }
    goTo(next);
  });

  document.addEventListener("focusin", function (evt) {
    var card = evt.target.closest && evt.target.closest("#board " + PLAIN);
    if (card && card.getAttribute("tabindex") !== "0") { rove(card); }
  });
  // After any swap (a move, a filter, the poll, "load more": htmx calls this once per new
  // element), once per turn of the event loop however many cards came.
  var roving = false;
  htmx.onLoad(function () {
    if (roving) { return; }
    roving = true;
    window.setTimeout(function () { roving = false; rove(null); }, 0);
  });
  // ---- end of keyboard --------------------------------------------------------------

  // After a move, the server names the card to focus (it has a new place in the page).
  document.body.addEventListener("board:focus", function (evt) {
    window.setTimeout(function () {
      var card = document.getElementById(evt.detail.id);
      if (card) { card.focus(); card.scrollIntoView({ block: "nearest", inline: "nearest" }); }
    }, 0);
  });
})();
