// Small progressive enhancements; every page works without them (links and plain forms).
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch (error) {
    document.execCommand("copy"); // older browsers, or no clipboard permission
  }
  if (status) status.textContent = button.dataset.done;
  button.dataset.copied = "true";
});
// Long actions (finding proposals, moving, publishing): say so and prevent a double submit.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.hasAttribute("data-busy")) return;
  const button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
  const status = form.querySelector(".busy-text");
  if (status) status.textContent = "…";
});
// The overview's print button (print / save as PDF; the print stylesheet drops the page's chrome).
document.addEventListener("click", (event) => {
  if (event.target.closest("button[data-print]")) window.print();
});
