/* Read aloud with the device's own voice (the Web Speech API), for stories
 * and games ([data-ihc-read-aloud]).  The button appears only when the device
 * has a voice for the page's language: a Khmer page is never read with an
 * English voice.  Nothing leaves the device; speech stops when the page is
 * left (the quick exit included). */
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  var targets = document.querySelectorAll("[data-ihc-read-aloud]");
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function" || !targets.length) return;
  var lang = (document.documentElement.lang || "en").toLowerCase();
  var words = {
    en: { read: "Read aloud", stop: "Stop reading" },
    km: { read: "អានឱ្យស្តាប់", stop: "ឈប់អាន" }
  }[lang] || { read: "Read aloud", stop: "Stop reading" };
  var buttons = [];
  var speaking = null;

  function voiceFor() {
    var voices = synth.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      if ((voices[i].lang || "").toLowerCase().replace("_", "-").split("-")[0] === lang) return voices[i];
    }
    return null;
  }
  function stop() {
    synth.cancel();
    if (speaking) speaking.textContent = words.read;
    if (speaking) speaking.setAttribute("aria-pressed", "false");
    speaking = null;
  }
  function read(button, target, voice) {
    if (speaking === button) return stop();
    stop();
    speaking = button;
    button.textContent = words.stop;
    button.setAttribute("aria-pressed", "true");
    // One utterance per paragraph: long utterances stop part-way in some browsers.
    var parts = target.innerText.split(/\n+/).map(function (t) { return t.trim(); }).filter(Boolean);
    parts.forEach(function (text, i) {
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;
      if (i === parts.length - 1) utterance.onend = function () { if (speaking === button) stop(); };
      synth.speak(utterance);
    });
  }
  function offer() {
    var voice = voiceFor();
    if (!voice || buttons.length) return;
    targets.forEach(function (target) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "md-button ihc-read-aloud";
      button.textContent = words.read;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () { read(button, target, voice); });
      target.parentNode.insertBefore(button, target);
      buttons.push(button);
    });
  }
  offer();
  if (synth.addEventListener) synth.addEventListener("voiceschanged", offer);
  window.addEventListener("pagehide", stop);
})();
