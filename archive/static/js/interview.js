// The interview page: historians annotate a selection of the transcript (timecodes and the player: player.js).
// Without this script everything still works: highlights and the list are server-rendered, and each passage has an
// "annotate" link to a form for the whole passage.

// What describes the interview is folded on a phone, so that the testimony comes first; on a wide screen it stands
// open beside the transcript. A link to something inside a fold opens it.
const wideScreen = window.matchMedia("(min-width: 45.01rem)");
if (wideScreen.matches) document.querySelectorAll("details.fold").forEach((fold) => { fold.open = true; });
function openFoldOfTarget() {
  const target = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const fold = target && target.closest("details.fold");
  if (fold && !fold.open) {
    fold.open = true;
    target.scrollIntoView();
  }
}
openFoldOfTarget();
window.addEventListener("hashchange", openFoldOfTarget);

// A list entry and its highlight show each other.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-annotation]");
  if (!link) return;
  document.querySelectorAll("mark.current").forEach((m) => m.classList.remove("current"));
  document.querySelectorAll("mark[data-annotations]").forEach((m) => {
    if (m.dataset.annotations.split(" ").includes(link.dataset.annotation)) m.classList.add("current");
  });
});

(() => {
  const panel = document.getElementById("annotator");
  const trigger = document.getElementById("annotate-selection");
  if (!panel || !trigger) return;
  const form = panel.querySelector("form");
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const transcript = document.querySelector(".transcript");
  let chosen = null;

  // Positions count Unicode code points in the transcript's plain text, as the server and the W3C model do.
  const codePoints = (text) => Array.from(text).length;

  function offsetOf(node, offset) {
    const element = (node.nodeType === Node.TEXT_NODE ? node.parentElement : node);
    const span = element && element.closest(".segment .text");
    if (!span) return null;
    const walker = document.createTreeWalker(span, NodeFilter.SHOW_TEXT);
    let count = 0;
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      if (text === node) return parseInt(span.dataset.offset, 10) + count + codePoints(text.data.slice(0, offset));
      count += codePoints(text.data);
    }
    // the boundary is the span (or an element in it) rather than a text node: count the text before that child
    const before = document.createRange();
    before.selectNodeContents(span);
    before.setEnd(node, offset);
    return parseInt(span.dataset.offset, 10) + codePoints(before.toString());
  }

  function edge(range, atStart) {
    // a selection may begin or end outside the text spans (on a timecode, between passages): move it inside
    const spans = Array.from(transcript.querySelectorAll(".segment .text"));
    const node = atStart ? range.startContainer : range.endContainer;
    const offset = atStart ? range.startOffset : range.endOffset;
    const direct = offsetOf(node, offset);
    if (direct !== null) return direct;
    const inside = spans.filter((span) => range.intersectsNode(span));
    if (!inside.length) return null;
    const span = atStart ? inside[0] : inside[inside.length - 1];
    return parseInt(span.dataset.offset, 10) + (atStart ? 0 : codePoints(span.textContent));
  }

  function current() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    const range = selection.getRangeAt(0);
    if (!transcript.contains(range.commonAncestorContainer)) return null;
    const start = edge(range, true);
    const end = edge(range, false);
    if (start === null || end === null || end <= start) return null;
    const exact = textBetween(start, end);
    if (!exact.trim()) return null;
    return { start, end, exact };
  }

  // The words exactly as the server holds them (segments joined by one newline), whatever the browser adds.
  function textBetween(start, end) {
    let text = "";
    transcript.querySelectorAll(".segment .text").forEach((span) => {
      const from = parseInt(span.dataset.offset, 10);
      const chars = Array.from(span.textContent);
      const to = from + chars.length;
      if (to < start || from >= end) return;
      if (text && from > start) text += "\n";
      text += chars.slice(Math.max(start, from) - from, Math.min(end, to) - from).join("");
    });
    return text;
  }

  // Where the selected words are on the page now (their boxes, one per line), or null.
  function selectedBoxes() {
    const selection = window.getSelection();
    if (!selection || !selection.rangeCount) return null;
    const boxes = Array.from(selection.getRangeAt(0).getClientRects()).filter((r) => r.width && r.height);
    if (!boxes.length) return null;
    const whole = {
      top: Math.min(...boxes.map((r) => r.top)), bottom: Math.max(...boxes.map((r) => r.bottom)),
      left: Math.min(...boxes.map((r) => r.left)), right: Math.max(...boxes.map((r) => r.right)),
    };
    return { whole, last: boxes[boxes.length - 1] };
  }

  // Place an element (absolutely positioned) at a point of the window, in the page's coordinates, so that it moves
  // with the words when the page scrolls.
  function placeAt(element, left, top) {
    const origin = (element.offsetParent || document.body).getBoundingClientRect();
    element.style.left = `${Math.round(left - origin.left)}px`;
    element.style.top = `${Math.round(top - origin.top)}px`;
  }

  const GAP = 8;

  // The button stands just below the end of the selected words, never on them.
  function placeTrigger() {
    const where = selectedBoxes();
    if (!where) return;
    const width = trigger.offsetWidth;
    const left = Math.min(Math.max(GAP, where.last.right - width), document.documentElement.clientWidth - width - GAP);
    placeAt(trigger, left, where.last.bottom + GAP / 2);
  }

  // The panel opens beside the selected words: to their right or left where the window is wide enough, else below
  // them (the page scrolled once so that the words stand near the top of the window), else above them.
  function placePanel(where, scrolled = false) {
    const width = panel.offsetWidth;
    const viewWidth = document.documentElement.clientWidth;
    const viewHeight = window.innerHeight;
    const box = where.whole;
    if (viewWidth - box.right >= width + 2 * GAP || box.left >= width + 2 * GAP) {
      const left = viewWidth - box.right >= width + 2 * GAP ? box.right + GAP : box.left - GAP - width;
      panel.style.maxHeight = `${viewHeight - 2 * GAP}px`;
      placeAt(panel, left, Math.max(GAP, Math.min(box.top, viewHeight - panel.offsetHeight - GAP)));
      return;
    }
    const left = Math.max(GAP, Math.min(box.left, viewWidth - width - GAP));
    const wanted = Math.min(panel.scrollHeight, viewHeight * 0.7);
    const below = viewHeight - box.bottom - 2 * GAP;
    const above = box.top - 2 * GAP;
    if (below < wanted && !scrolled) {
      window.scrollBy(0, box.top - 2 * GAP);
      placePanel(selectedBoxes() || where, true);
    } else if (below >= Math.min(wanted, 160) || below >= above) {
      panel.style.maxHeight = `${Math.max(below, 160)}px`;
      placeAt(panel, left, box.bottom + GAP);
    } else {
      panel.style.maxHeight = `${above}px`;
      placeAt(panel, left, box.top - GAP - panel.offsetHeight);
    }
  }

  function update() {
    if (!panel.hidden) return;
    chosen = current();
    trigger.hidden = !chosen;
    if (chosen) placeTrigger();
  }

  function open() {
    chosen = chosen || current();
    if (!chosen) return;
    const where = selectedBoxes();
    field("start").value = chosen.start;
    field("end").value = chosen.end;
    field("exact").value = chosen.exact;
    field("segment").value = "";
    document.getElementById("annotator-quote").textContent = chosen.exact;
    panel.hidden = false;
    trigger.hidden = true;
    if (where) placePanel(where);
    (panel.querySelector("input[type=search]:not([hidden])") || panel.querySelector("input[type=checkbox]"))
      .focus({ preventScroll: true });
  }

  function close() {
    panel.hidden = true;
    chosen = null;
    trigger.hidden = true;
  }

  document.addEventListener("selectionchange", update);
  trigger.addEventListener("click", open);
  document.getElementById("annotator-cancel").addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    // the key's place (event.code), not its letter: Alt+A works on a Russian or Korean keyboard too
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyA") {
      update();
      if (chosen) {
        event.preventDefault();
        open();
      }
    } else if (event.key === "Escape" && !panel.hidden) {
      close();
      trigger.focus();
    }
  });

})();
