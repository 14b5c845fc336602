/* Material's search worker, with Khmer queries split into the index's words
 * and queries of several words made to find pages that have them all.
 *
 * Loaded instead of Material's worker (khmer-search.js names it, with
 * Material's worker address in ?material=), this script imports Material's
 * worker and passes every message on to it, except that a query's runs of
 * Khmer are first split into words and the query is rewritten (below).
 *
 * Why not just Intl.Segmenter('km')?  The index was split at build time by
 * ICU (hooks/khmer_search_index.py), but browsers ship their own ICU builds
 * and dictionaries, which split some Khmer words differently (Chromium: for
 * example អ្នកជិតខាង as អ្នក|ជិត|ខាង, where ICU 78 keeps one word).  A query
 * split differently from the index finds nothing.  So the query is split
 * against the index's own vocabulary: the fewest known words that cover it,
 * cutting only between Khmer character clusters; a part no known word covers
 * keeps Intl.Segmenter's word boundaries (or stays whole without it).
 */
(function () {
  "use strict";
  var SETUP = 0, QUERY = 2, RESULT = 3;  // Material's SearchMessageType
  var KHMER_RUN = /[\u1780-\u17ff\u19e0-\u19ff]+/g;
  var KHMER_WORD = /^[\u1780-\u17ff\u19e0-\u19ff]+$/;
  var DEPENDENT = /[\u17b6-\u17d3\u17dd]/;  // vowel signs, signs and the coeng
  var LONGEST_WORD = 40;
  var vocabulary = new Set();
  var functionWords = new Set();
  var separator = /[\s\-\u200b]+/g;
  var segmenter = null;
  try { segmenter = new Intl.Segmenter("km", { granularity: "word" }); } catch (error) { segmenter = null; }

  /* Learn the words of the index (Khmer as written, others in lower case)
   * and the Khmer function words from the setup message. */
  function learn(index) {
    ((index.config.khmer || {}).function_words || []).forEach(function (word) { functionWords.add(word); });
    separator = new RegExp(index.config.separator, "g");
    index.docs.forEach(function (doc) {
      [doc.title, doc.text].forEach(function (field) {
        String(field || "").replace(/<[^>]*>/g, " ").split(separator).forEach(function (token) {
          if (token) vocabulary.add(token.toLowerCase());
        });
      });
    });
  }

  /* Positions between Khmer character clusters, where a word may end. */
  function clusterCuts(run) {
    var cuts = [0];
    for (var k = 1; k < run.length; k++)
      if (!DEPENDENT.test(run[k]) && run[k - 1] !== "\u17d2") cuts.push(k);
    cuts.push(run.length);
    return cuts;
  }

  /* Fewest known words covering the run; unknown parts cost far more. */
  function splitRun(run) {
    var cuts = clusterCuts(run), n = run.length;
    var icuEnd = {};
    if (segmenter) for (var part of segmenter.segment(run)) icuEnd[part.index] = part.index + part.segment.length;
    var cost = {}, back = {};
    cost[0] = 0;
    function relax(i, j, price) {
      if (cost[j] === undefined || cost[i] + price < cost[j]) { cost[j] = cost[i] + price; back[j] = i; }
    }
    for (var a = 0; a < cuts.length; a++) {
      var i = cuts[a];
      if (cost[i] === undefined) continue;
      for (var b = a + 1; b < cuts.length && cuts[b] - i <= LONGEST_WORD; b++)
        if (vocabulary.has(run.slice(i, cuts[b]))) relax(i, cuts[b], 1);
      var end = icuEnd[i] && cuts.indexOf(icuEnd[i]) >= 0 ? icuEnd[i] : (segmenter ? cuts[a + 1] : n);
      if (end !== undefined && end > i) relax(i, end, 100);
    }
    var words = [];
    for (var j = n; j > 0; j = back[j]) words.unshift(run.slice(back[j], j));
    return words;
  }

  /* Subscript DA and TA look alike; the index has TA only (hooks/khmer_search_index.py). */
  function splitQuery(query) {
    return String(query).replace(/\u17d2\u178a/g, "\u17d2\u178f").replace(KHMER_RUN, function (run) { return splitRun(run).join(" "); });
  }

  /* Material's worker gives every query term a trailing wildcard and joins
   * the terms with OR, so in a query of several words a common word (ការ*,
   * បាន*, the*, a*) matches hundreds of index words on every page and
   * outweighs the rare word the reader is looking for.  So, unless the reader
   * used lunr's own syntax (+ - * ~ ^ : "), the query Material gets is,
   * word by word (benchmarks/search_drawn_queries.py measured each part):
   *
   * - a function word, in a query that has other words (Khmer: the index's
   *   config.khmer.function_words, hooks/khmer_search_index.py; English:
   *   lunr's stop words): no wildcard; Khmer optional with weight 1 (ការ^1),
   *   English required as typed (+would); a query of function words only is
   *   treated as content words;
   * - another word the index has: required with the wildcard (+word*), so a
   *   result has all the words, and once more exact with a boost
   *   (word^EXACT), so the word outweighs longer words that begin with it;
   * - a word the index does not have (still being typed): as Material does;
   * - if no section of the site has all the required words, the same query
   *   with none required (`lenient`) is asked next. */
  var EXACT = 10;
  var SYNTAX = /[+\-*~^:"]/;

  function isFunctionWord(term) {
    if (KHMER_WORD.test(term)) return functionWords.has(term);
    return !!self.lunr && !self.lunr.stopWordFilter(term.toLowerCase());
  }

  function known(term) { return vocabulary.has(term.toLowerCase()); }

  function rewrite(query) {
    query = String(query);
    if (query.split(/\s+/).some(function (part) { return SYNTAX.test(part.charAt(0)) || /[*~^:"]/.test(part); }))
      return { strict: query, lenient: null };
    var terms = splitQuery(query).split(separator).filter(Boolean);
    var content = terms.filter(function (term) { return !isFunctionWord(term); });
    if (!content.length) content = terms;
    function render(required) {
      return terms.map(function (term) {
        if (content.indexOf(term) < 0) return KHMER_WORD.test(term) || !required ? term + "^1" : "+" + term;
        if (!known(term)) return term;
        return (required && terms.length > 1 ? "+" : "") + term + "* " + term + "^" + EXACT;
      }).filter(Boolean).join(" ");
    }
    var strict = render(true), lenient = render(false);
    return { strict: strict, lenient: strict === lenient ? null : lenient };
  }

  /* Stand between Material's message handler and the page. */
  var handlers = [];
  var fallbacks = [];  // per query forwarded, in order: the lenient query or null
  var addEventListener = self.addEventListener.bind(self);
  var postMessage = self.postMessage.bind(self);
  self.addEventListener = function (type, listener, options) {
    if (type === "message") handlers.push(listener); else addEventListener(type, listener, options);
  };
  function forward(message) {
    var event = new MessageEvent("message", { data: message });
    handlers.forEach(function (handler) { handler(event); });
  }
  self.postMessage = function (message) {
    if (message && message.type === RESULT) {
      var lenient = fallbacks.shift();
      if (lenient && !(message.data && message.data.items && message.data.items.length)) {
        fallbacks.push(null);
        forward({ type: QUERY, data: lenient });
        return;
      }
    }
    postMessage(message);
  };
  importScripts(new URL(location.href).searchParams.get("material"));
  self.addEventListener = addEventListener;
  addEventListener("message", function (event) {
    var message = event.data;
    if (message && message.type === SETUP) learn(message.data);
    if (message && message.type === QUERY) {
      var query = rewrite(message.data);
      fallbacks.push(query.lenient);
      message = { type: QUERY, data: query.strict };
    }
    forward(message);
  });
  self.ihcRewriteQuery = rewrite;  // for tests and the benchmark
})();
