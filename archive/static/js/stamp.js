// The stamp mode, for historians giving an untimed transcript its times while listening: on the interview page
// (beside the transcript) and on the times page (/interviews/<id>/times). With the mode on, the M key (by its place
// on the keyboard, so on a Russian or Korean layout too) or the "Mark" button gives the next passage the time the
// recording has reached, in continuous time (the playing part's data-offset added). The times land in the fields of
// a plain form that posts to the times page with its CSRF token; "Save the times" sends it. Without this script the
// times page is a form typed by hand, and the interview page links to it.
(() => {
  const controls = document.getElementById("stamp-controls");
  if (!controls) return;
  const timesPage = document.querySelector(".times .time-row") !== null;
  const form = timesPage ? null : document.getElementById("stamp-form");
  const rows = timesPage
    ? [...document.querySelectorAll(".times .time-row")]
    : [...document.querySelectorAll(".transcript .segment")];
  const numberOf = (row) => (timesPage ? row.dataset.n : row.id.slice(1));
  const input = (row) =>
    timesPage ? row.querySelector("input.time") : form.querySelector(`input[name="time-${numberOf(row)}"]`);
  if (!rows.length || rows.some((row) => !input(row))) return;
  const toggle = document.getElementById("stamp-mode");
  const mark = document.getElementById("stamp-mark");
  const undo = document.getElementById("stamp-undo");
  const status = document.getElementById("stamp-status");
  const players = [...document.querySelectorAll("audio.player, video.player")];
  const marked = []; // for undo: [row, the field's value before, the anchor's text before]
  let on = false;

  const say = (template, values = {}) => {
    status.textContent = template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : ""));
  };
  // The next passage to mark: the first without a time after the last one marked.
  const next = () => {
    const last = marked.length ? rows.indexOf(marked[marked.length - 1][0]) : -1;
    return rows.find((row, i) => i > last && !input(row).value.trim()) || null;
  };
  const now = () => {
    const player = players.find((p) => !p.hidden) || players[0];
    return player ? parseFloat(player.dataset.offset || "0") + player.currentTime : 0;
  };
  const clock = (seconds) => {
    const whole = Math.floor(seconds);
    const tenths = Math.round((seconds - whole) * 10) % 10;
    const pad = (n) => String(n).padStart(2, "0");
    const base = `${Math.floor(whole / 3600)}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}`;
    return tenths ? `${base}.${tenths}` : base;
  };
  const anchor = (row) => (timesPage ? null : row.querySelector("a.anchor"));
  const announceNext = () => {
    const row = next();
    say(row ? status.dataset.next : status.dataset.done, { n: row ? numberOf(row) : "" });
    mark.disabled = !on || !row;
    undo.disabled = !marked.length;
  };

  const stamp = () => {
    const row = next();
    if (!on || !row) return;
    const field = input(row);
    const time = Math.round(now() * 10) / 10;
    const shown = anchor(row);
    marked.push([row, field.value, shown ? shown.textContent : ""]);
    field.value = clock(time);
    if (shown) shown.textContent = clock(time);
    row.classList.add("stamped");
    row.scrollIntoView({ block: "nearest" });
    say(status.dataset.marked, { n: numberOf(row), time: clock(time) });
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
    const [row, value, text] = last;
    input(row).value = value;
    if (anchor(row)) anchor(row).textContent = text;
    row.classList.remove("stamped");
    announceNext();
  });
  document.addEventListener(
    "keydown",
    (event) => {
      if (!on || event.code !== "KeyM" || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.closest("input, textarea, select, [contenteditable]")) return; // typing a time by hand
      event.preventDefault();
      event.stopImmediatePropagation(); // M marks a time here, whatever else the page would do with it
      stamp();
    },
    true,
  );
  if (timesPage) {
    // The times page has its own players: a recording in several parts plays on into the next part.
    players.forEach((player, i) => {
      player.addEventListener("ended", () => {
        const following = players[i + 1];
        if (!following) return;
        player.hidden = true;
        following.hidden = false;
        following.currentTime = 0; // from its start, wherever it was left
        following.play();
      });
    });
  } else {
    form.hidden = false;
    const link = document.querySelector(".stamp-link");
    if (link) link.hidden = true; // the mode is here; the page of time fields stays for typing them
  }
  controls.hidden = false;
})();
