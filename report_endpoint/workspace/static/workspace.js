// Copy buttons: each [data-copy] button copies the text of the element it
// names (an address, a notice, a key) to the clipboard.  Addresses are only
// ever text: nothing here opens, fetches or previews them.  Without
// JavaScript the buttons stay hidden and the text can be selected.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    const label = button.textContent;
    const done = document.documentElement.lang === "km" ? "បានចម្លង" : "Copied";
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = done;
        button.setAttribute("aria-live", "polite");
        setTimeout(() => { button.textContent = label; }, 2000);
      } catch (error) {
        // Refused (no permission): select the text so Ctrl+C works.
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    });
  }
});
