// The interview page: timecodes play the audio; historians annotate a selection of the transcript.
// Without this script everything still works: highlights and the list are server-rendered, and each passage has an
// "annotate" link to a form for the whole passage.

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-start]");
  const player = document.querySelector("audio.player");
  if (!link || !player) return;
  player.currentTime = parseFloat(link.dataset.start);
  player.play();
});

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

  function update() {
    if (!panel.hidden) return;
    chosen = current();
    trigger.hidden = !chosen;
  }

  function open() {
    chosen = chosen || current();
    if (!chosen) return;
    field("start").value = chosen.start;
    field("end").value = chosen.end;
    field("exact").value = chosen.exact;
    field("segment").value = "";
    document.getElementById("annotator-quote").textContent = chosen.exact;
    panel.hidden = false;
    trigger.hidden = true;
    (panel.querySelector("input[type=search]:not([hidden])") || panel.querySelector("input[type=checkbox]")).focus();
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
    if (event.altKey && (event.key === "a" || event.key === "A")) {
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
