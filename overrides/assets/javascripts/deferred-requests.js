/* Requests a visitor does not need, held back or skipped.  Loaded before
 * Material's bundle.
 *
 * 1. Search on demand: the search index and worker download only when a
 *    visitor starts to search.
 * Material for MkDocs fetches search/search_index.json (both languages, the
 * largest file of the site) and starts its search worker on every page load.
 * Most visitors never search, and many read on slow, metered mobile data, so
 * this script, loaded before Material's bundle, holds both back until the
 * search box is used:
 *  - the XMLHttpRequest for the index is sent only then;
 *  - the search worker is a stand-in that queues messages and starts the real
 *    worker only then.
 *    Nothing else changes: the same index, worker and results as stock Material.
 *
 * 2. No sitemap lookups.  Material fetches "<alternate page>/sitemap.xml" for
 *    every hreflang alternate, to map the current page into another version
 *    (and a sitemap for instant navigation, which this site does not use).
 *    With mkdocs-static-i18n each alternate already is the same page in the
 *    other language, and those addresses mostly do not exist (wasted
 *    requests answered with the 404 page).  Such a request is never sent;
 *    Material then follows the language link as it is. */
(function () {
  "use strict";
  var INDEX = /\/search\/search_index\.json$/;
  var WORKER = /\/workers\/search\.[0-9a-f]+\.min\.js$/;
  var SITEMAP = /\/sitemap\.xml$/;
  var open = false;
  var waiting = [];

  function openGate() {
    if (open) return;
    open = true;
    var run = waiting;
    waiting = [];
    run.forEach(function (fn) { fn(); });
  }
  function whenOpen(fn) { if (open) fn(); else waiting.push(fn); }

  /* The index request: remember where it goes, send it when searching starts. */
  var xhrOpen = XMLHttpRequest.prototype.open;
  var xhrSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    var path = new URL(String(url), location.href).pathname;
    this.__ihcDeferred = INDEX.test(path);
    this.__ihcSkipped = SITEMAP.test(path);
    var args = Array.prototype.slice.call(arguments);
    if (this.__ihcDeferred && window.ihcSearch) args[1] = window.ihcSearch.indexUrl(url);  // khmer-search.js
    return xhrOpen.apply(this, args);
  };
  XMLHttpRequest.prototype.send = function () {
    var xhr = this, args = arguments;
    if (xhr.__ihcSkipped) return;  // never answered; Material falls back to the plain link
    if (!xhr.__ihcDeferred) return xhrSend.apply(xhr, args);
    whenOpen(function () { xhrSend.apply(xhr, args); });
  };

  /* The worker: a stand-in with the same interface until searching starts. */
  var RealWorker = window.Worker;
  if (RealWorker) {
    window.Worker = function (url, options) {
      if (!WORKER.test(String(url))) return new RealWorker(url, options);
      var stand = new EventTarget();
      var queue = [];
      var real = null;
      stand.postMessage = function (message) {
        if (real) real.postMessage(message); else queue.push(message);
      };
      stand.terminate = function () { if (real) real.terminate(); };
      whenOpen(function () {
        var script = window.ihcSearch ? window.ihcSearch.workerUrl(url) : url;  // khmer-search.js
        real = new RealWorker(script, options);
        real.addEventListener("message", function (event) {
          stand.dispatchEvent(new MessageEvent("message", { data: event.data }));
        });
        queue.forEach(function (message) { real.postMessage(message); });
        queue = [];
      });
      return stand;
    };
  }

  /* What counts as starting to search. */
  var params = new URLSearchParams(location.search);
  if (params.has("q") || params.has("h")) openGate();  // shared search links, highlights
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-md-component=search-query]")) openGate();
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "__search" && event.target.checked) openGate();
  });
})();
