// The aligner's proposal (/interviews/<id>/alignment): each passage can be heard from its start to its end, and its
// start set to where the recording is ("Start it here"), so that a historian checks the proposal by ear and moves a
// single boundary before accepting. The times live in the plain form's fields; stamp.js (loaded too) stamps the
// passages whose fields were emptied. Without this script the fields are typed by hand.
(() => {
  const list = document.querySelector(".times.proposed");
  if (!list) return;
  const rows = [...list.querySelectorAll(".time-row")];
  const players = [...document.querySelectorAll("audio.player, video.player")];
  const said = document.getElementById("align-said");
  if (!players.length) return;
  const offset = (p) => parseFloat(p.dataset.offset || "0");
  let stopAt = null; // where the passage being played ends (continuous time), until reached or the listener takes over
  let ownSeek = false; // a seek of this script's, not the listener's
  const last = players[players.length - 1];
  const recordingEnd = last.dataset.duration ? offset(last) + parseFloat(last.dataset.duration) : Infinity;

  const say = (template, values) => {
    said.textContent = template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : ""));
  };
  // "754", "754,5", "12:34", "0:12:34.5" -> seconds, or null: what the server reads (segment_index.parse_time)
  const parse = (typed) => {
    const text = typed.trim().replace(",", ".");
    if (/^\d+(\.\d+)?$/.test(text)) return parseFloat(text);
    const clock = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(text);
    if (!clock) return null;
    const [, hours, minutes, rest] = clock;
    if ((hours !== undefined && parseInt(minutes, 10) >= 60) || parseFloat(rest) >= 60) return null;
    return parseInt(hours || "0", 10) * 3600 + parseInt(minutes, 10) * 60 + parseFloat(rest);
  };
  const clock = (seconds) => {
    const whole = Math.floor(seconds);
    const tenths = Math.round((seconds - whole) * 10) % 10;
    const pad = (n) => String(n).padStart(2, "0");
    const base = `${Math.floor(whole / 3600)}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}`;
    return tenths ? `${base}.${tenths}` : base;
  };
  const shown = () => players.find((p) => !p.hidden) || players[0];
  const now = () => offset(shown()) + shown().currentTime;
  // the part that holds a moment of continuous time, shown (the others hidden and paused)
  const partAt = (seconds) => {
    const found = players.filter((p) => offset(p) <= seconds + 0.001).pop() || players[0];
    players.forEach((p) => {
      if (p !== found) {
        p.pause();
        p.hidden = true;
      }
    });
    found.hidden = false;
    return found;
  };
  const input = (row) => row.querySelector("input.time");
  // where a passage ends: the proposed end while its start is the proposed one, else where the next passage starts
  const endOf = (row, start) => {
    const proposed = parseFloat(row.dataset.start);
    const next = rows.slice(rows.indexOf(row) + 1).map((r) => parse(input(r).value)).find((t) => t !== null);
    if (row.dataset.end && Math.abs(start - proposed) < 0.05) return parseFloat(row.dataset.end);
    return next !== undefined && next > start ? next : start + 10;
  };

  players.forEach((p) => {
    p.addEventListener("timeupdate", () => {
      if (stopAt !== null && offset(p) + p.currentTime >= stopAt) {
        stopAt = null;
        p.pause();
      }
    });
    // the listener pausing or seeking with the player's own controls ends the passage's playing; a part that ends
    // is not the listener's doing (stamp.js then plays the next part from its start: that seek is not theirs either)
    p.addEventListener("pause", () => {
      if (!ownSeek && !p.ended) stopAt = null;
    });
    p.addEventListener("ended", () => {
      if (stopAt !== null && p !== last) ownSeek = true;
    });
    p.addEventListener("seeking", () => {
      if (!ownSeek) stopAt = null;
    });
    p.addEventListener("seeked", () => {
      ownSeek = false;
    });
  });

  rows.forEach((row) => {
    const tools = row.querySelector(".align-tools");
    tools.hidden = false;
    tools.querySelector(".play-passage").addEventListener("click", () => {
      const start = parse(input(row).value);
      if (start === null) {
        input(row).focus();
        return;
      }
      if (start >= recordingEnd) {
        say(list.dataset.saidBeyond, { n: row.dataset.n });
        input(row).focus();
        return;
      }
      const player = partAt(start);
      ownSeek = true;
      player.currentTime = Math.max(0, start - offset(player));
      stopAt = endOf(row, start);
      player.play();
      say(list.dataset.saidPlaying, { n: row.dataset.n });
    });
    tools.querySelector(".set-start").addEventListener("click", () => {
      const time = Math.round(now() * 10) / 10;
      input(row).value = clock(time);
      row.classList.add("adjusted");
      say(list.dataset.saidSet, { n: row.dataset.n, time: clock(time) });
    });
  });
})();
