/* Khmer-aware, language-specific search.  Read by deferred-requests.js, which
 * is loaded after this file and before Material's bundle.
 *
 * - indexUrl(url): the index of the page's own language
 *   (search/search_index.km.json on Khmer pages; hooks/khmer_search_index.py
 *   writes one per language), so results are in the page's language and the
 *   download is about half the merged index.
 * - workerUrl(url): khmer-search-worker.js in place of Material's worker; it
 *   runs Material's worker and splits Khmer queries into the index's words. */
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
})();
