// The console's only script: the 日志 page follows new records live (server-sent events).
// Lines are added as text (textContent), never as markup.
(function () {
  "use strict";
  var list = document.getElementById("logs");
  if (!list || !window.EventSource) { return; }
  var source = new EventSource(list.getAttribute("data-stream"));
  source.onmessage = function (event) {
    var line = JSON.parse(event.data);
    var item = document.createElement("li");
    item.className = "lv-" + String(line.level).toLowerCase();
    item.textContent = line.text;
    list.insertBefore(item, list.firstChild);
    var empty = document.getElementById("no-logs");
    if (empty) { empty.remove(); }
    while (list.children.length > 500) { list.removeChild(list.lastChild); }
  };
})();
