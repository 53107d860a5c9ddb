// hardbench HTML report: the host filter. The page is whole without it
// (the status filter is CSS alone); this shows the host selector and hides
// what belongs to other hosts. The host chosen is kept in the address
// (`report.html#host=3`, the host's index in the report), so that a link
// opens one host's view. It makes no request and changes nothing but the
// hidden attributes and the address's fragment.
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
  var linked = /^#host=(\d+)$/.exec(location.hash);
  if (linked && select.querySelector('option[value="' + linked[1] + '"]')) {
    select.value = linked[1];
  }
  select.addEventListener("change", function () {
    location.hash = select.value === "" ? "" : "host=" + select.value;
    apply();
  });
  select.parentNode.hidden = false;
  apply();
})();
