// Long lists of choices (events, places, people) get a box that narrows them as one types. A list of a vocabulary's
// entries (data-match) asks the server which entries match, because names are matched across scripts by the server's
// one rule (Уштобе finds Ushtobe); other lists, or the list while the server cannot answer, match the words as shown.
// A ticked choice is never hidden.
document.querySelectorAll("fieldset.choices").forEach((fieldset) => {
  const filter = fieldset.querySelector(".choice-filter");
  if (!filter) return;
  filter.hidden = false;
  const items = Array.from(fieldset.querySelectorAll("li"));
  const show = (keep) => items.forEach((item) => {
    const box = item.querySelector("input");
    item.hidden = !(box && box.checked) && !keep(item, box);
  });
  const asShown = (words) => show((item) => !words || item.textContent.toLowerCase().includes(words));
  let asked = 0;
  filter.addEventListener("input", async () => {
    const typed = filter.value.trim();
    const words = typed.toLowerCase();
    if (!filter.dataset.match || !typed) {
      asShown(words);
      return;
    }
    const question = ++asked;
    try {
      const answer = await fetch(`${filter.dataset.match}?q=${encodeURIComponent(typed)}`,
        { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!answer.ok) throw new Error(answer.status);
      const ids = new Set((await answer.json()).ids);
      if (question === asked) show((item, box) => box && ids.has(box.value));
    } catch (error) {
      if (question === asked) asShown(words);
    }
  });
});

// A box with a character limit (data-max-chars) says how much is typed, and the form is not sent while a box holds
// more than its limit: the browser's own maxlength would cut pasted text without a word, so it is not used.
document.querySelectorAll("textarea[data-max-chars]").forEach((box) => {
  const limit = Number(box.dataset.maxChars);
  const counter = document.getElementById(`${box.id}-counter`);
  if (!counter || !limit) return;
  const localeNumber = (n) => n.toLocaleString(document.documentElement.lang || undefined);
  const update = () => {
    const count = [...box.value].length;
    const over = count > limit;
    counter.hidden = count < limit * 0.8 && !over;
    counter.textContent = over ? counter.dataset.tooLong + " " : "";
    counter.textContent += counter.dataset.count
      .replace("{count}", localeNumber(count)).replace("{limit}", localeNumber(limit));
    counter.classList.toggle("error", over);
    box.setAttribute("aria-invalid", over ? "true" : "false");
    return over;
  };
  box.addEventListener("input", update);
  box.form?.addEventListener("submit", (event) => {
    if (update()) {
      event.preventDefault();
      counter.hidden = false;
      box.focus();
    }
  });
  update();
});

// A form whose decision cannot be taken back (approving or declining a family's testimony) carries its question in
// data-confirm, already in the page's language: it is sent only when the person says yes.
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});
