/* The counters on the home and transparency pages, filled from the report
 * service (/api/v1/stats, at the site's root).  The labels and the messages
 * for "scripts off" and "no answer" are in the page, in its language; figures
 * are written in Khmer digits on Khmer pages. */
(function () {
  "use strict";
  var list = document.querySelector("[data-ihc-counters]");
  if (!list) return;
  var fallback = document.querySelector("[data-ihc-counters-fallback]");
  var failure = document.querySelector("[data-ihc-counters-error]");
  // The offline kit (file://) has no service to ask.
  if (location.protocol === "file:") {
    fallback.hidden = true;
    failure.hidden = false;
    return;
  }
  // This file is at assets/javascripts/: the site's root is two folders up.
  var stats = new URL("../../api/v1/stats", document.currentScript.src);
  var khmer = document.documentElement.lang === "km";
  var grouping = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
  function format(value) {
    var text = grouping.format(value);
    if (!khmer) return text;
    // Khmer pages: Khmer digits (០–៩) with "." between thousands, as CLDR
    // writes Khmer digits (km-u-nu-khmr: ១.២៣៤) and as the pages do
    // (CONTENT.md).  Done by hand: not every browser's Intl has Khmer digits.
    return text.replace(/,/g, ".").replace(/[0-9]/g, function (d) { return String.fromCharCode(0x17e0 + Number(d)); });
  }

  fetch(stats, { credentials: "omit", headers: { Accept: "application/json" } })
    .then(function (answer) {
      if (!answer.ok) throw new Error("stats answered " + answer.status);
      return answer.json();
    })
    .then(function (figures) {
      list.querySelectorAll("[data-ihc-counter]").forEach(function (cell) {
        var value = figures[cell.getAttribute("data-ihc-counter")];
        if (typeof value !== "number") throw new Error("stats without a figure");
        cell.textContent = format(value);
      });
      fallback.hidden = true;
      list.hidden = false;
    })
    .catch(function () {
      fallback.hidden = true;
      failure.hidden = false;
    });
})();
