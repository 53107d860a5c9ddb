// hardbench HTML report: the host filter. The page is whole without it
// (the status filter is CSS alone); this shows the host selector and hides
// what belongs to other hosts. It makes no request and writes nothing but
// the hidden attribute.
"use strict";
(function () {
  var select = document.getElementById("filter-host");
  var items = document.querySelectorAll("[data-host]");
  function apply() {
    var host = select.value;
    for (var i = 0; i < items.length; i++) {
      // A row may stand for several hosts: data-host lists them.
      var hosts = " " + items[i].getAttribute("data-host") + " ";
      items[i].hidden = host !== "" && hosts.indexOf(" " + host + " ") < 0;
    }
  }
  select.addEventListener("change", apply);
  select.parentNode.hidden = false;
  apply();
})();
