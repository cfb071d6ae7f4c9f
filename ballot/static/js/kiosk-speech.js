// The voting kiosk's voice (the spoken ballot), used by kiosk-vote.js: window.BallotSpeech.
//
// What is said is a list of clip ids ("on", "item-3", "cand-07", "for", "num-2", "char-A"…); the
// ballot script turns each into its text. Two ways to say it:
//  - the browser's own speech synthesis, with a Chinese voice that runs on this machine
//    (localService): a network voice would send what it reads, the delegate's choices included,
//    to whoever runs it, so it is never used;
//  - otherwise audio clips made on the server (espeak-ng), one per id. They are all fetched
//    before the delegate marks anything (preload), so what the server sees never depends on the
//    delegate's choices; the choice is put together here from clips (已选择 + 赞成).
// Nothing is kept after the ballot: the page reloads for the next delegate.
(function () {
  "use strict";

  function create(options) {
    var clipUrl = options.clipUrl || "";  // "…/CLIP.wav", or "" where the server has no espeak-ng
    var textOf = options.textOf;          // clip id -> its text (for the browser's voice)
    var lang = options.lang || "zh-CN";
    var synth = window.speechSynthesis || null;
    var voice = null;
    var clips = {};                      // id -> Promise of an object URL (or null)
    var audio = null;
    var playing = 0;                     // bumped to stop what is being played

    function localVoice() {
      if (!synth || typeof synth.getVoices !== "function") { return null; }
      var wanted = lang.toLowerCase();
      var prefix = wanted.slice(0, 2);
      var local = (synth.getVoices() || []).filter(function (v) { return v.localService; });
      function tag(v) { return String(v.lang || "").replace("_", "-").toLowerCase(); }
      // zh-CN itself first, then Mandarin by another tag; any other zh (zh-HK is Cantonese) last.
      var tests = [function (t) { return t === wanted; },
                   function (t) { return prefix === "zh" && (t === "cmn" || t.indexOf("cmn-") === 0 || t === "zh"); },
                   function (t) { return t.slice(0, 2) === prefix; }];
      for (var i = 0; i < tests.length; i++) {
        for (var j = 0; j < local.length; j++) {
          if (tests[i](tag(local[j]))) { return local[j]; }
        }
      }
      return null;
    }

    // Which way this kiosk speaks: "voice", "audio" or "none". Voices may arrive a moment after
    // the page loads (voiceschanged): wait for one up to a second, once.
    var decided = null;
    function ready() {
      if (decided) { return decided; }
      decided = new Promise(function (resolve) {
        function done() {
          voice = localVoice();
          resolve(voice ? "voice" : (clipUrl ? "audio" : "none"));
        }
        if (localVoice() || !synth || !synth.addEventListener) { done(); return; }
        var timer = window.setTimeout(done, 1000);
        synth.addEventListener("voiceschanged", function () {
          if (localVoice()) { window.clearTimeout(timer); done(); }
        });
      });
      return decided;
    }

    function fetchClip(id) {
      if (id.charAt(0) === "=") { return Promise.resolve(null); }  // a text: never sent
      if (!clips[id]) {
        clips[id] = fetch(clipUrl.replace("CLIP", encodeURIComponent(id)),
                          { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.blob() : null; })
          .then(function (blob) { return blob ? URL.createObjectURL(blob) : null; },
                function () { return null; });
      }
      return clips[id];
    }

    // Fetch every clip in ``ids`` now (only for the server's audio).
    function preload(ids) {
      if (voice || !clipUrl) { return; }
      ids.forEach(fetchClip);
    }

    function stop() {
      playing += 1;
      if (synth && typeof synth.cancel === "function") { synth.cancel(); }
      if (audio) { audio.pause(); }
    }

    function sayWithVoice(ids) {
      ids.forEach(function (id) {
        var text = textOf(id);
        if (!text) { return; }
        var utterance = new window.SpeechSynthesisUtterance(text);
        utterance.lang = voice.lang || lang;
        try { utterance.voice = voice; } catch (e) { /* a voice object the browser rejects */ }
        synth.speak(utterance);
      });
    }

    function sayWithClips(ids) {
      var mine = playing;
      audio = audio || new window.Audio();
      var index = 0;
      function next() {
        if (mine !== playing || index >= ids.length) { return; }
        fetchClip(ids[index++]).then(function (url) {
          if (mine !== playing) { return; }
          if (!url) { next(); return; }
          audio.onended = next;
          audio.onerror = next;
          audio.src = url;
          var started = audio.play();
          if (started && started.catch) { started.catch(next); }
        });
      }
      next();
    }

    // Say the clips ``ids``, instead of whatever is being said.
    function say(ids, how) {
      stop();
      if (how === "voice" && voice) { sayWithVoice(ids); }
      else if (how === "audio" && clipUrl) { sayWithClips(ids); }
    }

    return { ready: ready, preload: preload, say: say, stop: stop };
  }

  window.BallotSpeech = { create: create };
}());
