// Clicking a timecode plays the audio from there; without audio the link still cites the passage.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-start]");
  const player = document.querySelector("audio.player");
  if (!link || !player) return;
  player.currentTime = parseFloat(link.dataset.start);
  player.play();
});
