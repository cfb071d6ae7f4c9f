// Voting kiosk: idle (scan) → ballot → review → confirm → receipt → idle.
// The ballot token and the scanned card live only in this closure: never in a URL, cookie or
// browser storage. Every reset reloads the page with location.replace(), so nothing of the last
// ballot survives in memory and "back" cannot reach it.
(function () {
  "use strict";

  var app = document.getElementById("vote-app");
  if (!app) { return; }
  var T = JSON.parse(app.dataset.strings);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var receiptSeconds = parseInt(app.dataset.receiptSeconds, 10);
  var walkawaySeconds = parseInt(app.dataset.walkawaySeconds, 10);
  var warningSeconds = parseInt(app.dataset.warningSeconds, 10);

  var state = { screen: "idle", token: null, card: null, ballot: null, choices: {}, busy: false };
  var timers = { idle: null, warning: null, tick: null };

  function $(id) { return document.getElementById(id); }

  function fill(template, params) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return params[key] === undefined ? "" : String(params[key]);
    });
  }

  function show(screen) {
    state.screen = screen;
    var screens = document.querySelectorAll(".screen");
    for (var i = 0; i < screens.length; i++) {
      screens[i].hidden = screens[i].id !== "screen-" + screen;
    }
    window.scrollTo(0, 0);
    if (screen === "idle") {
      focusScanner();
    } else {
      var heading = document.querySelector("#screen-" + screen + " h1");
      if (heading) { heading.focus({ preventScroll: true }); }
    }
    armWalkaway();
    if (spoken.on) { speak(screenClips(screen)); }
  }

  function reset() {
    state.token = null;
    state.card = null;
    state.choices = {};
    window.location.replace(app.dataset.idleUrl);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(
        function (data) { return { status: response.status, data: data }; },
        function () { return { status: response.status, data: null }; }
      );
    });
  }

  // --- idle: keyboard-wedge scanner types the card text, then Enter -----------------------

  var scanInput = $("scan-input");

  function focusScanner() {
    if (state.screen === "idle" && document.activeElement !== scanInput) { scanInput.focus(); }
  }

  // Focus that left for nowhere (the page itself) goes back to the scanner's input; focus a
  // keyboard user moved to a control (大字, 高对比度) stays there.
  function focusScannerIfLost() {
    var active = document.activeElement;
    if (!active || active === document.body || active === document.documentElement) { focusScanner(); }
  }

  function idleMessage(text) {
    $("idle-message").textContent = text || "";
    if (text && spoken.on) { speak(message(text, "scan_failed")); }
  }

  $("scan-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var card = scanInput.value.trim();
    scanInput.value = "";
    if (!card || state.busy) { return; }
    state.busy = true;
    idleMessage("");
    post(app.dataset.issueUrl, { card: card }).then(function (result) {
      state.busy = false;
      if (result.status === 200 && result.data && result.data.token) {
        state.token = result.data.token;
        state.card = card;
        startBallot(result.data.ballot);
      } else {
        idleMessage(result.data && result.data.message ? result.data.message : T.network);
      }
    }, function () {
      state.busy = false;
      idleMessage(T.network);
    });
  });

  // An idle kiosk follows the session: when a round opens or closes (a tie-break round, say) it
  // redraws itself, unless a card is being scanned or a message is showing. Where the server
  // offers it (data-status-stream-url) the open round is pushed as it changes: waiting for voting
  // to open, the page follows at once (delegates stand in front of it); with a round open, from a
  // minute after it loaded, since a kiosk with a queue reloads after every ballot anyway and a
  // card scanned after the close is answered with the reason (a province's thousands of kiosks
  // on one morning would otherwise open a stream per ballot). Otherwise the page asks every 5 s
  // (waiting) or 15 s (a round is open).
  var WAITING_PERIOD_MS = 5000;
  var OPEN_PERIOD_MS = 15000;
  var OPEN_STREAM_DELAY_MS = 60000;
  var announced = false;  // whether the stream has said which round is open (announcedRound)
  var announcedRound = null;

  function idle() {
    return state.screen === "idle" && !state.busy && !scanInput.value && !$("idle-message").textContent;
  }
  function redrawIfMoved(round) {
    if (String(round || "") !== app.dataset.round && idle()) {
      window.location.replace(app.dataset.idleUrl);
    }
  }
  function followRound() {
    window.setTimeout(followRound, app.dataset.round ? OPEN_PERIOD_MS : WAITING_PERIOD_MS);
    if (!idle()) { return; }
    fetch(app.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { redrawIfMoved(data.round); } },
        function () { /* offline: try again at the next tick */ });
  }
  function streamRound(url) {
    var source = new window.EventSource(url);  // sends the kiosk's cookie: same origin
    source.onmessage = function (event) {
      announced = true;
      announcedRound = JSON.parse(event.data).round;
      redrawIfMoved(announcedRound);
    };
    source.addEventListener("reconnect", function () {  // the server ends each stream after a while
      source.close();
      streamRound(url);
    });
    source.onerror = function () {
      if (source.readyState === window.EventSource.CLOSED) {  // refused: ask instead
        source.close();
        announced = false;
        window.setTimeout(followRound, WAITING_PERIOD_MS);
      }  // otherwise the browser reconnects by itself
    };
  }
  if (app.dataset.statusStreamUrl && window.EventSource) {
    window.setTimeout(function () { streamRound(app.dataset.statusStreamUrl); },
      app.dataset.round ? OPEN_STREAM_DELAY_MS : 0);
    // A change announced while a delegate was busy is acted on once the kiosk is idle again.
    window.setInterval(function () {
      if (announced) { redrawIfMoved(announcedRound); }
    }, WAITING_PERIOD_MS);
  } else {
    window.setTimeout(followRound, app.dataset.round ? OPEN_PERIOD_MS : WAITING_PERIOD_MS);
  }

  // A heartbeat, so staff see this kiosk online (kiosk health) whatever it is doing: a stream or
  // a long ballot may otherwise leave minutes between its requests.
  var HEARTBEAT_MS = 60000;
  window.setInterval(function () {
    fetch(app.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .catch(function () { /* offline: staff see it; the next beat tries again */ });
  }, HEARTBEAT_MS);

  scanInput.addEventListener("blur", function () { window.setTimeout(focusScannerIfLost, 50); });
  // A tap (not a key) anywhere gives the scanner its input back: touch users need no focus.
  document.addEventListener("pointerdown", function () { window.setTimeout(focusScanner, 50); });

  // On the idle screen with a control focused, a scanner's characters go to the scanner's input
  // (not to the control), and its closing Enter submits the card rather than pressing the control.
  var lastIdleKey = -Infinity;
  document.addEventListener("keydown", function (event) {
    if (state.screen !== "idle" || document.activeElement === scanInput) { return; }
    var typed = event.key.length === 1 && event.key !== " " && !event.ctrlKey && !event.altKey &&
      !event.metaKey;
    if (typed) {
      event.preventDefault();
      lastIdleKey = event.timeStamp;
      scanInput.value += event.key;
      scanInput.focus();
    } else if (event.key === "Enter" && scanInput.value && event.timeStamp - lastIdleKey < 1000) {
      event.preventDefault();
      scanInput.focus();
      $("scan-form").requestSubmit();
    }
  }, true);

  // A scanner is a keyboard: off the idle screen its characters (and the Enter or Space right
  // after them) must never press a focused button on the delegate's ballot. Card texts have no
  // spaces, so a person's Tab, Space, Enter and arrows still work; they also keep the ballot open.
  var SCAN_BURST_MS = 1000;
  var lastScanKey = -Infinity;
  document.addEventListener("keydown", function (event) {
    if (state.screen === "idle") { return; }
    var typed = event.key.length === 1 && event.key !== " ";
    if (typed) { lastScanKey = event.timeStamp; }
    var afterScan = event.timeStamp - lastScanKey < SCAN_BURST_MS;
    if (typed || (afterScan && (event.key === "Enter" || event.key === " "))) {
      event.preventDefault();
      event.stopPropagation();
    } else if ($("walkaway").hidden) {
      armWalkaway();
    }
  }, true);

  // --- ballot ---------------------------------------------------------------------------------

  function forCount() {
    var n = 0;
    for (var code in state.choices) {
      if (state.choices[code] === "for") { n += 1; }
    }
    return n;
  }

  function ballotMessage(text) {
    var el = $("ballot-message");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function renderCount() {
    var b = state.ballot;
    var count = forCount();
    var el = $("for-count");
    el.textContent = fill(T.forCount, { count: count, quota: b.quota });
    el.classList.toggle("vk-full", b.contested && count >= b.quota);
  }

  // Each project's 赞成/反对/弃权 is one radio group: one Tab stop (the checked choice, or 赞成
  // while none is), arrow keys move within it and choose, as radio buttons do.
  function renderChoices(item, code) {
    var buttons = item.querySelectorAll(".vk-choice");
    var chosen = state.choices[code];
    for (var i = 0; i < buttons.length; i++) {
      var on = chosen === buttons[i].dataset.choice;
      buttons[i].classList.toggle("vk-on", on);
      buttons[i].setAttribute("aria-checked", on ? "true" : "false");
      buttons[i].tabIndex = on || (!chosen && i === 0) ? 0 : -1;
    }
  }

  var ARROWS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

  function arrowKey(event, item, code) {
    var step = ARROWS[event.key];
    if (!step) { return; }
    event.preventDefault();
    var buttons = Array.prototype.slice.call(item.querySelectorAll(".vk-choice"));
    var next = buttons[(buttons.indexOf(event.currentTarget) + step + buttons.length) % buttons.length];
    next.focus();
    choose(item, code, next.dataset.choice);
  }

  function choose(item, code, choice) {
    var b = state.ballot;
    if (choice === "for" && state.choices[code] !== "for" && b.contested && forCount() >= b.quota) {
      ballotMessage(fill(T.tooMany, { quota: b.quota }));
      if (spoken.on) { speak(["too_many"]); }
      return false;
    }
    ballotMessage("");
    state.choices[code] = choice;
    renderChoices(item, code);
    renderCount();
    if (spoken.on) { speak(["chosen", choice].concat(b.contested ? countClips() : [])); }
    return true;
  }

  function startBallot(ballot) {
    state.ballot = ballot;
    state.choices = {};
    spoken.current = 0;
    spoken.focused = -1;
    if (spoken.on) { speech.preload(ballotClips()); }
    if ($("round-label")) { $("round-label").textContent = fill(T.round, { number: ballot.round }); }
    var list = $("candidate-list");
    var template = $("candidate-template");
    list.textContent = "";
    ballot.candidates.forEach(function (c) {
      var item = template.content.firstElementChild.cloneNode(true);
      item.querySelector(".vk-code-badge").textContent = c.code;
      var title = item.querySelector(".vk-cand-title");
      title.textContent = c.title;
      title.id = "cand-title-" + c.code;
      item.querySelector(".vk-choices").setAttribute("aria-labelledby", title.id);
      var meta = [c.department];
      if (c.budget) { meta.push(fill(T.budget, { budget: c.budget })); }
      item.querySelector(".vk-cand-meta").textContent = meta.filter(Boolean).join(" · ");
      var summary = item.querySelector(".vk-summary");
      var toggle = item.querySelector(".vk-summary-toggle");
      summary.textContent = c.summary || "";
      toggle.textContent = T.summary;
      toggle.hidden = !c.summary;
      toggle.addEventListener("click", function () {
        summary.hidden = !summary.hidden;
        toggle.textContent = summary.hidden ? T.summary : T.hideSummary;
        toggle.setAttribute("aria-expanded", summary.hidden ? "false" : "true");
      });
      var buttons = item.querySelectorAll(".vk-choice");
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].textContent = T[buttons[i].dataset.choice];
        buttons[i].addEventListener("click", function (event) {
          choose(item, c.code, event.currentTarget.dataset.choice);
        });
        buttons[i].addEventListener("keydown", function (event) { arrowKey(event, item, c.code); });
      }
      renderChoices(item, c.code);
      list.appendChild(item);
    });
    renderCount();
    ballotMessage("");
    show("ballot");
  }

  // --- review and cast -------------------------------------------------------------------------

  $("to-review").addEventListener("click", function () {
    var list = $("review-list");
    list.textContent = "";
    var unmarked = 0;
    state.ballot.candidates.forEach(function (c) {
      var choice = state.choices[c.code];
      if (!choice) { unmarked += 1; }
      var item = document.createElement("li");
      item.className = "vk-review-item vk-review-" + (choice || "unmarked");
      var title = document.createElement("span");
      title.textContent = c.code + "  " + c.title;
      var mark = document.createElement("strong");
      mark.textContent = choice ? T[choice] : T.unmarked;
      item.appendChild(title);
      item.appendChild(mark);
      list.appendChild(item);
    });
    $("review-note").textContent = fill(T.forCount, { count: forCount(), quota: state.ballot.quota }) +
      (unmarked ? " " + fill(T.unmarkedNote, { count: unmarked }) : "");
    show("review");
  });

  $("back-to-ballot").addEventListener("click", function () { show("ballot"); });

  function cast() {
    if (state.busy) { return; }
    state.busy = true;
    show("sending");
    post(app.dataset.castUrl, { token: state.token, choices: state.choices }).then(function (result) {
      state.busy = false;
      if (result.status === 200 && result.data && result.data.tracking_code) {
        showReceipt(result.data);
      } else if (result.status >= 400 && result.status < 500 && result.data && result.data.error) {
        if (result.data.error === "too_many_approvals") {
          show("ballot");
          ballotMessage(result.data.message);
          if (spoken.on) { speak(["too_many"]); }
        } else {
          state.token = null;
          $("error-message").textContent = result.data.message;
          show("error");
        }
      } else {
        show("unknown");
      }
    }, function () {
      state.busy = false;
      show("unknown");
    });
  }

  $("confirm-cast").addEventListener("click", cast);
  $("retry-cast").addEventListener("click", cast);
  $("error-done").addEventListener("click", reset);

  function showReceipt(data) {
    state.token = null;
    state.card = null;
    state.choices = {};
    $("tracking-code").textContent = data.tracking_code;
    show("receipt");
    receiptCountdown();
  }

  // The receipt stays until 完成, or for receiptSeconds; 再看一会儿 starts the time again.
  function receiptCountdown() {
    window.clearInterval(timers.tick);
    var left = receiptSeconds;
    var line = $("receipt-countdown");
    line.textContent = fill(T.countdown, { seconds: left });
    timers.tick = window.setInterval(function () {
      left -= 1;
      line.textContent = fill(T.countdown, { seconds: left });
      if (left <= 0) { reset(); }
    }, 1000);
  }

  $("receipt-done").addEventListener("click", reset);
  $("receipt-more").addEventListener("click", receiptCountdown);

  // --- walk-away: no touch for a while → ask, then give the token back ----------------------

  function clearWalkaway() {
    window.clearTimeout(timers.idle);
    window.clearInterval(timers.warning);
    $("walkaway").hidden = true;
  }

  function armWalkaway() {
    clearWalkaway();
    if (!state.token || ["ballot", "review", "unknown"].indexOf(state.screen) < 0) { return; }
    // A spoken ballot takes longer to hear than a screen takes to read: twice the time.
    timers.idle = window.setTimeout(warnWalkaway, walkawaySeconds * (spoken.on ? 2 : 1) * 1000);
  }

  function warnWalkaway() {
    var left = warningSeconds;
    var line = $("walkaway-countdown");
    line.textContent = fill(T.walkaway, { seconds: left });
    $("walkaway").hidden = false;
    focusBeforeWalkaway = document.activeElement;
    $("walkaway-stay").focus();
    if (spoken.on) { speak(["walkaway"]); }
    timers.warning = window.setInterval(function () {
      left -= 1;
      line.textContent = fill(T.walkaway, { seconds: left });
      if (left <= 0) {
        window.clearInterval(timers.warning);
        giveBack();
      }
    }, 1000);
  }

  function giveBack() {
    var body = { token: state.token, card: state.card };
    state.token = null;
    state.card = null;
    $("walkaway").hidden = true;
    post(app.dataset.returnUrl, body).then(function (result) {
      $("error-title").textContent = "";
      $("error-message").textContent = result.status === 200 ? T.returned : T.returnFailed;
      show("error");
      window.setTimeout(reset, receiptSeconds * 1000);
    }, function () {
      $("error-message").textContent = T.returnFailed;
      show("error");
    });
  }

  var focusBeforeWalkaway = null;
  $("walkaway-stay").addEventListener("click", function () {
    armWalkaway();
    // Back where the delegate was on the ballot.
    if (focusBeforeWalkaway && document.contains(focusBeforeWalkaway)) { focusBeforeWalkaway.focus(); }
    focusBeforeWalkaway = null;
  });
  // The dialog is modal: Tab and Shift+Tab stay on its controls while it is shown.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab" || $("walkaway").hidden) { return; }
    var controls = $("walkaway").querySelectorAll("button");
    var index = Array.prototype.indexOf.call(controls, document.activeElement);
    event.preventDefault();
    var next = index < 0 ? 0 : (index + (event.shiftKey ? -1 : 1) + controls.length) % controls.length;
    controls[next].focus();
  }, true);
  document.addEventListener("pointerdown", function () {
    if ($("walkaway").hidden) { armWalkaway(); }
  });

  // --- the spoken ballot (语音) -----------------------------------------------------------------
  // 语音 (or the keypad's * key) turns it on: the screen is read out, each project (number,
  // title, current choice) as the focus reaches it, each choice as it is made, the review and the
  // receipt. Keys while it is on: ↑↓ project, 1 赞成 2 反对 3 弃权, Enter 下一步/确认, − or
  // Backspace 返回修改, 0 repeat. js/kiosk-speech.js speaks; this part decides what to say, as a
  // list of clip ids whose texts are fixed phrases, numbers and titles (see clipText).

  var S = T.speech;
  var spoken = { on: false, how: null, current: 0, focused: -1, last: [] };
  var speech = window.BallotSpeech.create({
    clipUrl: app.dataset.speechUrl, textOf: clipText, lang: document.documentElement.lang
  });

  function clipText(id) {
    if (id.charAt(0) === "=") { return id.slice(1); }
    var b = state.ballot;
    var dash = id.indexOf("-");
    if (dash < 0) {
      return fill(S[id] || "", { count: b ? b.candidates.length : "", quota: b ? b.quota : "" });
    }
    var kind = id.slice(0, dash);
    var arg = id.slice(dash + 1);
    if (kind === "num" || kind === "char") { return arg; }
    if (kind === "item") { return fill(S.item, { n: arg }); }
    if (kind === "cand" && b) {
      for (var i = 0; i < b.candidates.length; i++) {
        if (b.candidates[i].code === arg) { return b.candidates[i].title; }
      }
    }
    return "";
  }

  function fixedClips() {
    return Object.keys(S).filter(function (id) { return id !== "item"; });
  }

  // Every clip a ballot may need, asked for before the delegate marks anything.
  function ballotClips() {
    var b = state.ballot;
    var ids = fixedClips();
    var most = Math.max(b.candidates.length, b.quota);
    for (var n = 0; n <= most; n++) { ids.push("num-" + n); }
    b.candidates.forEach(function (c, i) { ids.push("item-" + (i + 1), "cand-" + c.code); });
    "0123456789ABCDEF".split("").forEach(function (c) { ids.push("char-" + c); });
    return ids;
  }

  function projectClips(index) {
    var c = state.ballot.candidates[index];
    return ["item-" + (index + 1), "cand-" + c.code, "current", state.choices[c.code] || "none"];
  }

  function countClips() { return ["for_count", "num-" + forCount(), "of_quota"]; }

  function screenClips(screen) {
    if (screen === "idle") { return ["idle"]; }
    if (screen === "ballot") { return ["ballot", "keys"].concat(projectClips(spoken.current)); }
    if (screen === "review") {
      var ids = ["review"];
      var unmarked = 0;
      state.ballot.candidates.forEach(function (c, i) {
        if (!state.choices[c.code]) { unmarked += 1; }
        ids.push("item-" + (i + 1), "cand-" + c.code, state.choices[c.code] || "none");
      });
      ids = ids.concat(countClips());
      if (unmarked) { ids.push("unmarked_before", "num-" + unmarked, "unmarked_after"); }
      return ids.concat(["review_keys"]);
    }
    if (screen === "receipt") {
      var code = $("tracking-code").textContent.replace(/[^0-9A-F]/g, "").split("");
      return ["receipt", "code"].concat(code.map(function (c) { return "char-" + c; }),
                                        ["receipt_keys"]);
    }
    if (screen === "error") {
      var text = $("error-message").textContent;
      return text === T.returned ? ["returned"] : ["error"].concat(message(text, null));
    }
    return S[screen] ? [screen] : [];  // sending, unknown
  }

  // A message from the server (why a card was refused, why a ballot was not cast): read as it is
  // by the kiosk's own voice ("=" marks a text that is never sent anywhere), replaced by the
  // fixed phrase ``fixed`` when speaking with the server's clips.
  function message(text, fixed) {
    if (spoken.how === "voice") { return ["=" + text]; }
    return fixed ? [fixed] : [];
  }

  function speak(ids) {
    spoken.last = ids;
    speech.say(ids, spoken.how);
  }

  function setSpoken(on) {
    spoken.on = on;
    $("speech-toggle").setAttribute("aria-pressed", on ? "true" : "false");
    $("speech-help").hidden = !on;
    armWalkaway();  // a spoken ballot is given twice the time before 您还在投票吗
    if (!on) {
      speech.say(["off"], spoken.how);
      return;
    }
    speech.ready().then(function (how) {
      spoken.how = how;
      $("speech-status").textContent = how === "none" ? T.speechNone : "";
      if (!spoken.on) { return; }
      speech.preload(state.ballot ? ballotClips() : fixedClips());
      speak(["on"].concat(screenClips(state.screen)));
    });
  }

  $("speech-toggle").addEventListener("click", function () { setSpoken(!spoken.on); });
  // A touch leaves the focus where it was (the scanner's input on the idle screen).
  $("speech-toggle").addEventListener("mousedown", function (event) { event.preventDefault(); });

  // The focus reaching another project (↑↓, Tab, a touch) reads it out.
  $("candidate-list").addEventListener("focusin", function (event) {
    var items = Array.prototype.slice.call($("candidate-list").children);
    var index = items.indexOf(event.target.closest(".vk-cand"));
    if (index < 0 || index === spoken.focused) { return; }
    spoken.focused = index;
    spoken.current = index;
    if (spoken.on) { speak(projectClips(index)); }
  });

  function focusProject(index) {
    var item = $("candidate-list").children[index];
    var stop = item.querySelector('.vk-choice[tabindex="0"]') || item.querySelector(".vk-choice");
    stop.focus();
  }

  function moveProject(step) {
    var next = spoken.current + step;
    if (spoken.focused < 0 && step > 0) { next = spoken.current; }  // from the heading: this one
    if (next < 0 || next >= state.ballot.candidates.length) {
      speak([step < 0 ? "first" : "last"]);
      return;
    }
    if (next === spoken.focused) { speak(projectClips(next)); }
    focusProject(next);
  }

  // A 测评 ballot keys 1 满意 2 基本满意 3 不满意 (the server's strings say so).
  var CHOICE_KEYS = T.keys || { 1: "for", 2: "against", 3: "abstain" };

  function chooseCurrent(choice) {
    var item = $("candidate-list").children[spoken.current];
    var code = state.ballot.candidates[spoken.current].code;
    if (choose(item, code, choice)) {
      spoken.focused = spoken.current;  // the focus stays on this project: nothing more to read
      item.querySelector('.vk-choice[data-choice="' + choice + '"]').focus();
    }
  }

  var ENTER_PRESSES = { ballot: "to-review", review: "confirm-cast", receipt: "receipt-done",
                        unknown: "retry-cast", error: "error-done" };

  // Non-character keys; true when the key was the spoken ballot's.
  function navigate(key) {
    if (key === "Enter" && ENTER_PRESSES[state.screen]) {
      $(ENTER_PRESSES[state.screen]).click();
    } else if ((key === "ArrowDown" || key === "ArrowUp") && state.screen === "ballot") {
      moveProject(key === "ArrowDown" ? 1 : -1);
    } else if (key === "Backspace" && state.screen === "review") {
      $("back-to-ballot").click();
    } else {
      return false;
    }
    return true;
  }

  function keypad(key) {
    if (key === "0") {
      speech.say(spoken.last, spoken.how);
    } else if (CHOICE_KEYS[key] && state.screen === "ballot") {
      chooseCurrent(CHOICE_KEYS[key]);
    } else if ((key === "-" || key === "−") && state.screen === "review") {
      $("back-to-ballot").click();
    }
  }

  // A scanner types a card's characters a few milliseconds apart and a person presses keys
  // further apart: a character key waits KEYPAD_MS, and is dropped when another follows within
  // that time (a card scanned over the ballot never marks it). The scanner guard above still
  // swallows every character key itself, so none reaches a focused button.
  var KEYPAD_MS = 100;
  var pending = null;
  var lastTyped = -Infinity;
  var burstAt = -Infinity;

  function firePending() {
    var key = pending.key;
    window.clearTimeout(pending.timer);
    pending = null;
    lastScanKey = -Infinity;  // a person's key: an Enter right after it is theirs too
    keypad(key);
    armWalkaway();
  }

  window.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    if (event.code === "NumpadMultiply") {  // the keypad's *, anywhere: a scanner never sends it
      event.preventDefault();
      event.stopImmediatePropagation();
      setSpoken(!spoken.on);
      return;
    }
    if (!spoken.on || state.screen === "idle" || !$("walkaway").hidden) { return; }
    if (event.key.length === 1 && event.key !== " ") {
      if (pending || event.timeStamp - lastTyped < KEYPAD_MS) {
        if (pending) { window.clearTimeout(pending.timer); pending = null; }
        burstAt = event.timeStamp;
      } else {
        pending = { key: event.key, timer: window.setTimeout(firePending, KEYPAD_MS) };
      }
      lastTyped = event.timeStamp;
      return;
    }
    if (event.timeStamp - burstAt < SCAN_BURST_MS) { return; }  // a scanner's Enter
    if (pending) { firePending(); }  // a key, then Enter at once: both the delegate's
    if (navigate(event.key)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      armWalkaway();
    }
  }, true);

  show("idle");
})();
