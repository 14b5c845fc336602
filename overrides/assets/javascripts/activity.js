/* "What would you do?" games and quizzes, played one scenario at a time.
 * hooks/activities.py writes the markup, complete without JavaScript: each
 * choice is a <details> that opens on its feedback.  Here each choice becomes
 * a button; the feedback of the one chosen appears below the choices, with
 * the help route and a Next button.  The state lives in these variables only:
 * nothing is stored in the browser or sent anywhere. */
(function () {
  "use strict";
  var KHMER_DIGITS = "០១២៣៤៥៦៧៨៩";

  function setUp(root) {
    var strings = JSON.parse(root.getAttribute("data-ihc-strings"));
    var kind = root.getAttribute("data-ihc-activity");
    var items = Array.prototype.slice.call(root.querySelectorAll(".ihc-activity__item"));
    var end = root.querySelector(".ihc-activity__end");
    var result = root.querySelector("[data-ihc-result]");
    var firstAnswers = [];

    function digits(text) {
      text = String(text);
      return strings.digits ? text.replace(/[0-9]/g, function (d) { return KHMER_DIGITS[d]; }) : text;
    }
    function focusHeading(section) {
      var heading = section.querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    function show(index) {
      items.forEach(function (item, i) { item.hidden = i !== index; });
      end.hidden = index < items.length;
      if (index < items.length) {
        focusHeading(items[index]);
        return;
      }
      var right = firstAnswers.filter(function (verdict) { return verdict === "right"; }).length;
      var text = kind === "quiz" ? strings.score.replace("{right}", right) : strings.played;
      result.textContent = digits(text.replace("{total}", items.length));
      result.hidden = false;
      focusHeading(end);
    }
    function reset() {
      firstAnswers = [];
      items.forEach(function (item) {
        item.querySelectorAll(".ihc-activity__option").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
        item.querySelector(".ihc-activity__response").textContent = "";
        item.querySelector(".ihc-activity__help").hidden = true;
        item.querySelector(".ihc-activity__next").hidden = true;
      });
      show(0);
    }

    items.forEach(function (item, index) {
      var help = item.querySelector(".ihc-activity__help");
      var response = document.createElement("div");
      response.className = "ihc-activity__response";
      response.setAttribute("aria-live", "polite");
      help.parentNode.insertBefore(response, help);
      var next = document.createElement("button");
      next.type = "button";
      next.className = "md-button md-button--primary ihc-activity__next";
      next.textContent = index === items.length - 1 ? strings.last : strings.next;
      next.hidden = true;
      next.addEventListener("click", function () { show(index + 1); });
      help.parentNode.insertBefore(next, help.nextSibling);
      help.hidden = true;

      item.querySelectorAll(".ihc-activity__choice").forEach(function (details) {
        var option = document.createElement("button");
        option.type = "button";
        option.className = "ihc-activity__option";
        option.setAttribute("aria-pressed", "false");
        // The summary is the page's own markup, written at build time.
        option.innerHTML = details.querySelector("summary").innerHTML;
        option.addEventListener("click", function () {
          item.querySelectorAll(".ihc-activity__option").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
          option.setAttribute("aria-pressed", "true");
          if (firstAnswers[index] === undefined) firstAnswers[index] = details.getAttribute("data-verdict");
          response.setAttribute("data-verdict", details.getAttribute("data-verdict"));
          response.innerHTML = "";
          response.appendChild(details.querySelector(".ihc-activity__feedback").cloneNode(true));
          help.hidden = false;
          next.hidden = false;
        });
        details.parentNode.replaceChild(option, details);
      });
    });

    var again = document.createElement("button");
    again.type = "button";
    again.className = "md-button ihc-activity__again";
    again.textContent = strings.again;
    again.addEventListener("click", reset);
    result.parentNode.insertBefore(again, result.nextSibling);

    root.classList.add("ihc-activity--playing");
    items.forEach(function (item, i) { item.hidden = i !== 0; });
    end.hidden = true;
  }

  document.querySelectorAll("[data-ihc-activity]").forEach(setUp);
})();
