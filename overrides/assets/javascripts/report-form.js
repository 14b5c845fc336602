/* The report form, a little better with JavaScript (it works fully without):
 * - the contact fields show only while "Report anonymously" is unticked
 *   (without JavaScript they always show, and the service keeps none of them
 *   for an anonymous report);
 * - after an error, the summary takes focus so it is read out first. */
(function () {
  "use strict";
  var form = document.querySelector("[data-ihc-report-form]");
  if (!form) return;
  var anonymous = form.querySelector("input[name=anonymous]");
  var contact = form.querySelector("[data-ihc-contact]");
  if (anonymous && contact) {
    var sync = function () { contact.hidden = anonymous.checked; };
    anonymous.addEventListener("change", sync);
    sync();
  }
  var summary = document.querySelector("[data-ihc-error-summary]");
  // After the page has loaded: the browser's move to #ihc-report comes first.
  if (summary) window.addEventListener("load", function () { summary.focus(); });
})();
