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

  // A request that never reached the server (network down, server stopped).
  document.addEventListener("htmx:sendError", function () {
    // The text comes translated from the page (data-msg-network on <body>).
    showMessage(document.body.dataset.msgNetwork || "Network error");
  });
})();
