// Stage settings: Sortable.js drag and drop glued to htmx. The server decides everything;
// this file only sends the new order (and the order the page showed, for the version check).
// The « Up » / « Down » forms do the same without JavaScript.
(function () {
  "use strict";

  function onDrop(evt) {
    var list = evt.from;
    if (evt.oldIndex === evt.newIndex) { return; }
    var ids = Array.prototype.map.call(list.querySelectorAll(":scope > li[data-id]"),
      function (item) { return item.dataset.id; });
    htmx.ajax("POST", list.dataset.orderUrl, {
      source: list, target: "#stage-list", swap: "outerHTML",
      values: { ids: ids.join(","), order: list.dataset.order, moved_id: evt.item.dataset.id }
    });
    // A failure that swaps nothing (network down) leaves the dropped order on screen; the
    // next change is then refused as stale (409) and shows the true order.
  }

  htmx.onLoad(function (content) {
    var lists = content.matches && content.matches("ol.stage-list[data-order-url]")
      ? [content] : content.querySelectorAll("ol.stage-list[data-order-url]");
    lists.forEach(function (list) {
      if (list.sortable) { return; }
      list.sortable = new Sortable(list, {
        animation: 150,
        handle: ".stage-handle",
        draggable: "li[data-id]",
        ghostClass: "stage-ghost",
        onEnd: onDrop
      });
    });
  });
}());
