/* Quick exit: leave the site at once.
 * Without JavaScript the link still works (a normal navigation).  With it, the
 * page is *replaced* so the Back button does not return here, and pressing
 * Escape twice within a second does the same from anywhere on the page.
 * Browser history is not cleared; the site says so next to the link. */
(function () {
  "use strict";
  var link = document.querySelector("[data-ihc-quick-exit]");
  if (!link) return;
  var target = link.getAttribute("href");
  function leave(event) {
    if (event) event.preventDefault();
    document.body.style.visibility = "hidden";  // hide the page before the next one paints
    window.location.replace(target);
  }
  link.addEventListener("click", leave);
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1000) leave(event);
    lastEscape = now;
  }, true);
})();
