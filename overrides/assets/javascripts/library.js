/* The library's filters (hooks/resource_library.py writes the list and the
 * form).  Without JavaScript the form stays hidden and every resource shows;
 * with it, choosing who it is for, an age, a topic or a type hides the rest.
 * Each choice is kept in the address (#audience=schools&age=6-8), so a
 * filtered list can be shared and survives going back. */
(function () {
  "use strict";
  var form = document.querySelector("[data-ihc-filters]");
  if (!form) return;
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-ihc-library] [data-resource]"));
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-filter]"));
  var count = form.querySelector("[data-ihc-count]");
  var none = form.querySelector("[data-ihc-none]");
  var khmer = document.documentElement.lang === "km";

  function values(item, name) {
    var text = item.getAttribute("data-" + name) || "";
    return name === "types" ? text.split("|") : text.split(" ");
  }

  function digits(number) {
    var text = String(number);
    return khmer ? text.replace(/[0-9]/g, function (d) { return String.fromCharCode(0x17e0 + Number(d)); }) : text;
  }

  function apply() {
    var shown = 0;
    items.forEach(function (item) {
      var match = selects.every(function (select) {
        return !select.value || values(item, select.getAttribute("data-filter")).indexOf(select.value) >= 0;
      });
      item.hidden = !match;
      if (match) shown += 1;
    });
    count.textContent = digits(shown);
    none.hidden = shown > 0;
    var chosen = selects.filter(function (s) { return s.value; })
      .map(function (s) { return s.getAttribute("data-filter") + "=" + encodeURIComponent(s.value); });
    if (chosen.length) history.replaceState(null, "", "#" + chosen.join("&"));
    else if (location.hash.indexOf("=") >= 0) history.replaceState(null, "", location.pathname + location.search);
  }

  // Choices from the address, if any.
  location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
    var parts = pair.split("=");
    var select = form.querySelector('select[data-filter="' + parts[0] + '"]');
    if (select && parts[1]) select.value = decodeURIComponent(parts[1]);
  });
  selects.forEach(function (select) { select.addEventListener("change", apply); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();
