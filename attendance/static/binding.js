// A first-time phone in the room: the waiting page asks every few seconds whether the
// trainer approved (then opens the sign page), and the roster shows new requests as they
// come. No inline script (CSP): this file is loaded by both pages.
"use strict";

function pollBindingStatus(root) {
  async function ask() {
    try {
      const response = await fetch(root.dataset.status, { credentials: "same-origin", cache: "no-store" });
      const data = response.ok ? await response.json() : {};
      if (data.status && data.status !== "pending") { location.href = root.dataset.next; return; }
    } catch (e) { /* offline for a moment: ask again */ }
    setTimeout(ask, 3000);
  }
  setTimeout(ask, 3000);
}

function pollBindingRequests(section) {
  const live = section.closest("[data-live]");
  if (!live || live.dataset.live !== "1") return;
  setInterval(async () => {
    if (document.activeElement && section.contains(document.activeElement)) return;
    try {
      const response = await fetch(section.dataset.source, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const html = (await response.text()).trim();
      section.innerHTML = html; section.hidden = html === "";
    } catch (e) { /* the next poll will do */ }
  }, 4000);
}

document.addEventListener("DOMContentLoaded", () => {
  const waiting = document.querySelector("[data-page=binding-wait]");
  if (waiting) pollBindingStatus(waiting);
  const section = document.getElementById("binding-requests");
  if (section) pollBindingRequests(section);
});
