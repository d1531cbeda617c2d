// Long lists of choices (events, places, people) get a box that narrows them as one types.
document.querySelectorAll("fieldset.choices").forEach((fieldset) => {
  const filter = fieldset.querySelector(".choice-filter");
  if (!filter) return;
  filter.hidden = false;
  filter.addEventListener("input", () => {
    const words = filter.value.trim().toLowerCase();
    fieldset.querySelectorAll("li").forEach((item) => {
      item.hidden = Boolean(words) && !item.textContent.toLowerCase().includes(words);
    });
  });
});
