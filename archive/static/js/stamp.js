// The stamp mode of the times page (/interviews/<id>/times): while the recording plays, the M key (by its place on
// the keyboard, so on a Russian or Korean layout too) or the "Mark" button gives the next passage the time the
// recording has reached, in continuous time (the part's data-offset added). The times land in the page's own form
// fields, which the historian then saves (a plain form POST with its CSRF token). Without this script the form is
// typed by hand.
(() => {
  const controls = document.getElementById("stamp-controls");
  const rows = [...document.querySelectorAll(".times .time-row")];
  if (!controls || !rows.length) return;
  const toggle = document.getElementById("stamp-mode");
  const mark = document.getElementById("stamp-mark");
  const undo = document.getElementById("stamp-undo");
  const status = document.getElementById("stamp-status");
  const players = [...document.querySelectorAll(".listen .player")];
  const marked = []; // the rows marked in this session, for undo: [row, the value it had before]
  let on = false;

  const say = (template, values = {}) => {
    status.textContent = template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : ""));
  };
  const input = (row) => row.querySelector("input.time");
  // The next passage to mark: the first without a time that comes after the last one marked.
  const next = () => {
    const last = marked.length ? rows.indexOf(marked[marked.length - 1][0]) : -1;
    return rows.find((row, i) => i > last && !input(row).value.trim()) || null;
  };
  const current = () => {
    const player = players.find((p) => !p.hidden) || players[0];
    return player ? parseFloat(player.dataset.offset || "0") + player.currentTime : 0;
  };
  const clock = (seconds) => {
    const whole = Math.floor(seconds);
    const tenths = Math.round((seconds - whole) * 10) % 10;
    const pad = (n) => String(n).padStart(2, "0");
    return `${Math.floor(whole / 3600)}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}${tenths ? "." + tenths : ""}`;
  };
  const announceNext = () => {
    const row = next();
    if (row) say(status.dataset.next, { n: row.dataset.n });
    else say(status.dataset.done);
    mark.disabled = !on || !row;
    undo.disabled = !marked.length;
  };

  const stamp = () => {
    const row = next();
    if (!on || !row) return;
    const field = input(row);
    const time = Math.round(current() * 10) / 10;
    marked.push([row, field.value]);
    field.value = clock(time);
    row.classList.add("stamped");
    row.scrollIntoView({ block: "nearest" });
    say(status.dataset.marked, { n: row.dataset.n, time: clock(time) });
    mark.disabled = !next();
    undo.disabled = false;
  };

  toggle.addEventListener("click", () => {
    on = !on;
    toggle.setAttribute("aria-pressed", String(on));
    document.body.classList.toggle("stamping", on);
    say(on ? status.dataset.on : status.dataset.off);
    if (on) announceNext();
    else mark.disabled = true;
  });
  mark.addEventListener("click", stamp);
  undo.addEventListener("click", () => {
    const last = marked.pop();
    if (!last) return;
    input(last[0]).value = last[1];
    last[0].classList.remove("stamped");
    announceNext();
  });
  document.addEventListener("keydown", (event) => {
    if (!on || event.code !== "KeyM" || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select")) return; // typing a time by hand
    event.preventDefault();
    stamp();
  });
  // The next part of a recording in several parts plays on from where the last one ended.
  players.forEach((player, i) => {
    player.addEventListener("ended", () => {
      const following = players[i + 1];
      if (!following) return;
      player.hidden = true;
      following.hidden = false;
      following.play();
    });
  });
  controls.hidden = false;
})();
