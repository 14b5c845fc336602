/* Khmer-aware, language-specific search.  Read by deferred-requests.js, which
 * is loaded after this file and before Material's bundle.
 *
 * - indexUrl(url): the index of the page's own language
 *   (search/search_index.km.json on Khmer pages; hooks/khmer_search_index.py
 *   writes one per language), so results are in the page's language and the
 *   download is about half the merged index.
 * - workerUrl(url): khmer-search-worker.js in place of Material's worker; it
 *   runs Material's worker and splits Khmer queries into the index's words.
 * - On Khmer pages, the counts Material writes into its Khmer strings
 *   ("រកឃើញ # ទំព័រ", "# ទៀតនៅលើទំព័រនេះ") are written with Western digits by
 *   its own code: they are put into Khmer digits as soon as they appear. */
(function () {
  "use strict";
  var LANGUAGES = ["en", "km"];
  var here = document.currentScript && document.currentScript.src;
  window.ihcSearch = {
    indexUrl: function (url) {
      var language = document.documentElement.lang;
      if (LANGUAGES.indexOf(language) < 0) return url;
      return String(url).replace(/search_index\.json(\?|$)/, "search_index." + language + ".json$1");
    },
    workerUrl: function (url) {
      // The offline kit: the worker's code came as a script (file:// can
      // start no worker from a file), so the worker starts from a blob.
      if (window.__ihcWorkerSource) {
        return URL.createObjectURL(new Blob([window.__ihcWorkerSource], { type: "text/javascript" }));
      }
      if (!here) return url;
      var material = new URL(String(url), location.href).href;
      return new URL("khmer-search-worker.js", here).href + "?material=" + encodeURIComponent(material);
    }
  };

  if (document.documentElement.lang !== "km" || !window.MutationObserver) return;
  var results = document.querySelector("[data-md-component=search-result]");
  if (!results) return;
  // Only Material's counts: the results' own text is the pages' text.
  var COUNTS = ".md-search-result__meta, .md-search-result__more > summary";
  function khmerDigits(text) {
    return text.replace(/[0-9]/g, function (d) { return String.fromCharCode(0x17e0 + Number(d)); });
  }
  new MutationObserver(function () {
    results.querySelectorAll(COUNTS).forEach(function (count) {
      var walker = document.createTreeWalker(count, NodeFilter.SHOW_TEXT);
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        if (/[0-9]/.test(node.nodeValue)) node.nodeValue = khmerDigits(node.nodeValue);
      }
    });
  }).observe(results, { childList: true, subtree: true, characterData: true });
})();
