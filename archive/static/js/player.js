// Reading while listening (issue 15): the interview page follows the voice.
// Time here is continuous time, the time of the segments, of links (?t=754, #t=754) and of the index: a part that
// starts at `data-offset` plays its own seconds from 0, so the continuous time is offset + the part's currentTime.
// Without this script the page still works: every player has its controls, and every timecode is a link.

(() => {
  const listen = document.querySelector("section.listen");
  if (!listen) return;
  const players = Array.from(listen.querySelectorAll(".player[data-part]"));
  if (!players.length) return;
  const segments = Array.from(document.querySelectorAll(".segment[data-start]"));
  const said = document.getElementById("listen-said");
  const follow = document.getElementById("follow");
  const FOLLOW_KEY = "archive.player.follow";

  // ---- time and parts

  const offsetOf = (player) => parseFloat(player.dataset.offset || "0") || 0;
  function lengthOf(player) {
    const given = parseFloat(player.dataset.duration);
    if (Number.isFinite(given)) return given;
    return Number.isFinite(player.duration) ? player.duration : Infinity;
  }
  let active = players.find((p) => !p.hidden) || players[0];

  const now = () => offsetOf(active) + active.currentTime;

  function partAt(seconds) {
    // the last part starting at or before the time (a time past the end goes to the last part's end)
    let chosen = players[0];
    for (const player of players) if (offsetOf(player) <= seconds) chosen = player;
    return chosen;
  }

  function show(player) {
    if (player === active) return;
    const playing = !active.paused;
    active.pause();
    players.forEach((p) => { p.hidden = p !== player; });
    active = player;
    if (playing) active.play().catch(() => {});
  }

  function whenReady(player, then) {
    if (player.readyState >= 1) then();
    else player.addEventListener("loadedmetadata", then, { once: true });
  }

  function seek(seconds, play) {
    const target = Math.max(0, seconds);
    const player = partAt(target);
    show(player);
    whenReady(player, () => {
      const within = Math.min(target - offsetOf(player), lengthOf(player));
      player.currentTime = Math.max(0, within);
      keepUp(true);
      if (play) player.play().catch(() => {});
    });
  }

  players.forEach((player, i) => {
    player.addEventListener("ended", () => {
      const next = players[i + 1];
      if (!next || player !== active) return;
      show(next);
      whenReady(next, () => {
        next.currentTime = 0;
        next.play().catch(() => {});
      });
    });
    player.addEventListener("timeupdate", () => { if (player === active) keepUp(false); });
    player.addEventListener("seeked", () => { if (player === active) keepUp(true); });
    player.addEventListener("loadedmetadata", placeTicks);
  });

  // ---- words for people: h:mm:ss as the page writes timecodes, hh:mm:ss in citations

  function clock(seconds, padHours) {
    const whole = Math.max(0, Math.floor(seconds));
    const h = Math.floor(whole / 3600);
    const m = String(Math.floor((whole % 3600) / 60)).padStart(2, "0");
    const s = String(whole % 60).padStart(2, "0");
    return `${padHours ? String(h).padStart(2, "0") : h}:${m}:${s}`;
  }

  function say(name, seconds) {
    const text = listen.dataset[name] || "";
    if (!said || !text) return;
    // a new text node each time, so that a screen reader announces the same words twice in a row too
    said.textContent = "";
    said.append(document.createTextNode(text.replace("{time}", clock(seconds ?? now(), false))));
  }

  // ---- the spoken passage, highlighted and kept in view

  if (follow) {
    follow.checked = localStorage.getItem(FOLLOW_KEY) !== "off";
    follow.addEventListener("change", () => {
      localStorage.setItem(FOLLOW_KEY, follow.checked ? "on" : "off");
      if (follow.checked) keepUp(true);
    });
  }

  let speaking = null;
  function segmentAt(seconds) {
    let found = null;
    for (const segment of segments) {
      const start = parseFloat(segment.dataset.start);
      if (start > seconds + 0.001) break;
      const end = parseFloat(segment.dataset.end);
      found = Number.isFinite(end) && seconds >= end && end > start ? null : segment;
    }
    return found;
  }

  function keepUp(moved) {
    const segment = segmentAt(now());
    if (segment === speaking && !moved) return;
    if (speaking && speaking !== segment) {
      speaking.classList.remove("speaking");
      speaking.removeAttribute("aria-current");
    }
    speaking = segment;
    if (!segment) return;
    segment.classList.add("speaking");
    segment.setAttribute("aria-current", "time");
    if (follow && follow.checked) {
      const box = segment.getBoundingClientRect();
      const hidden = box.top < listen.getBoundingClientRect().bottom || box.bottom > window.innerHeight;
      if (hidden) segment.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }

  // ---- clicks: a timecode, an index point, a found passage, a tick, an annotation with a time

  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const link = event.target.closest("a[data-start]");
    if (link) {
      const start = parseFloat(link.dataset.start);
      if (!Number.isFinite(start)) return;
      // a link to a passage (#s4) still goes there; a link to a moment (?t=, #t=) is played here, not reloaded
      const href = link.getAttribute("href") || "";
      if (/[?&#]t=/.test(href)) event.preventDefault();
      seek(start, true);
      return;
    }
    const note = event.target.closest("a[data-annotation]");
    if (note) {
      const start = document.getElementById(`a-${note.dataset.annotation}`);
      const segment = start && start.closest(".segment[data-start]");
      if (segment) seek(parseFloat(segment.dataset.start), false);
    }
  });

  // ---- ?t=754 and #t=754 (also #t=12:34 or #t=npt:754,800): start there

  function parseTime(text) {
    if (!text) return null;
    const first = text.replace(/^npt:/, "").split(",")[0].trim();
    if (/^\d+(\.\d+)?$/.test(first)) return parseFloat(first);
    const clockMatch = first.match(/^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/);
    if (clockMatch) {
      return (parseInt(clockMatch[1] || "0", 10) * 3600) + (parseInt(clockMatch[2], 10) * 60)
        + parseFloat(clockMatch[3]);
    }
    const words = first.match(/^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/);
    if (words && first) {
      return (parseInt(words[1] || "0", 10) * 3600) + (parseInt(words[2] || "0", 10) * 60)
        + parseFloat(words[3] || "0");
    }
    return null;
  }

  function askedTime() {
    const hash = location.hash.match(/^#t=([^&]*)/);
    if (hash) {
      const t = parseTime(decodeURIComponent(hash[1]));
      if (t !== null) return t;
    }
    return parseTime(new URLSearchParams(location.search).get("t"));
  }

  function startWhereAsked() {
    const t = askedTime();
    if (t === null) return;
    seek(t, false);
    const segment = segmentAt(t);
    if (segment && !location.hash.startsWith("#s")) segment.scrollIntoView({ block: "center" });
  }
  startWhereAsked();
  window.addEventListener("hashchange", () => { if (location.hash.startsWith("#t=")) startWhereAsked(); });

  // ---- keyboard: K play or pause, J back 5 s, L forward 5 s, N next passage, P previous passage.
  // Keys are read by their place on the keyboard (event.code), so they work with a Russian or Korean layout too;
  // never while typing in a field, never with Ctrl, Alt (the annotator's Alt+A) or Cmd.

  function typing(target) {
    return target instanceof Element && (target.isContentEditable
      || target.closest("input, textarea, select, [contenteditable]") !== null);
  }

  function passage(step) {
    const t = now();
    const starts = segments.map((s) => parseFloat(s.dataset.start));
    let index = -1;
    starts.forEach((start, i) => { if (start <= t + 0.25) index = i; });
    // "previous" from the middle of a passage goes to the passage before, as from its start
    const target = step > 0 ? index + 1 : index - 1;
    if (target < 0) return say("saidFirst");
    if (target >= starts.length) return say("saidLast");
    seek(starts[target], !active.paused);
    say("saidPassage", starts[target]);
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || (event.repeat && event.code === "KeyK")) return;
    if (typing(event.target) || document.querySelector("#annotator:not([hidden])")) return;
    switch (event.code) {
      case "KeyK":
        if (active.paused) {
          active.play().catch(() => {});
          say("saidPlaying");
        } else {
          active.pause();
          say("saidPaused");
        }
        break;
      case "KeyJ": {
        const t = Math.max(0, now() - 5);
        seek(t, !active.paused);
        say("saidBack", t);
        break;
      }
      case "KeyL": {
        const t = now() + 5;
        seek(t, !active.paused);
        say("saidForward", t);
        break;
      }
      case "KeyN":
        passage(1);
        break;
      case "KeyP":
        passage(-1);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // ---- cite this moment: a permanent address with the time, and a citation; copied, or shown to copy by hand

  const citeButton = document.getElementById("cite-moment");
  const copyBox = listen.querySelector(".moment-copy");
  const copyField = document.getElementById("moment-text");

  function moment() {
    const t = Math.floor(now());
    const url = `${listen.dataset.url}?t=${t}`;
    const text = (listen.dataset.citation || "").replace("{url}", url).replace("{time}", clock(t, true));
    return { url, text };
  }

  function showToCopy(text) {
    copyField.value = text;
    copyBox.hidden = false;
    copyField.focus();
    copyField.select();
  }

  if (citeButton) {
    citeButton.addEventListener("click", () => {
      const { text } = moment();
      const refused = () => {
        showToCopy(text);
        say("saidNotCopied");
      };
      if (!navigator.clipboard || !window.isSecureContext) return refused();
      navigator.clipboard.writeText(text).then(() => {
        copyField.value = text;
        say("saidCopied");
      }, refused);
    });
  }

  // ---- the passages found by "search within", as ticks along the recording

  const ticks = listen.querySelector("nav.ticks");
  function total() {
    const last = players[players.length - 1];
    return offsetOf(last) + lengthOf(last);
  }
  function placeTicks() {
    if (!ticks) return;
    const length = total();
    if (!Number.isFinite(length) || length <= 0) return;
    ticks.replaceChildren();
    document.querySelectorAll("#within a[data-start]").forEach((found) => {
      const start = parseFloat(found.dataset.start);
      if (!Number.isFinite(start) || start > length) return;
      const tick = document.createElement("a");
      tick.className = "tick";
      tick.href = found.href;
      tick.dataset.start = found.dataset.start;
      tick.setAttribute("aria-label", found.textContent.trim());
      tick.title = found.textContent.trim();
      tick.style.left = `${(100 * start) / length}%`;
      ticks.append(tick);
    });
    ticks.hidden = ticks.childElementCount === 0;
  }
  placeTicks();

  document.querySelectorAll(".listen-tools, details.keys").forEach((tools) => { tools.hidden = false; });
})();
