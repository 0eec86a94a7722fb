// Sign-in pages: a small canvas signature pad, the in-page QR scan button (BarcodeDetector),
// the rotating projector QR, the live roster and the JSON posts. No framework, no build.
"use strict";

function SignaturePad(canvas) {
  const ctx = canvas.getContext("2d");
  let drawing = false, inked = false, last = null;
  function resize() {
    const ratio = window.devicePixelRatio || 1, box = canvas.getBoundingClientRect();
    canvas.width = Math.round(box.width * ratio); canvas.height = Math.round(box.height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#102a5c";
    inked = false;
  }
  function point(e) { const b = canvas.getBoundingClientRect(); return [e.clientX - b.left, e.clientY - b.top]; }
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true; last = point(e); canvas.setPointerCapture(e.pointerId); e.preventDefault();
    ctx.beginPath(); ctx.arc(last[0], last[1], 1.2, 0, 2 * Math.PI); ctx.fill(); inked = true;
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const p = point(e);
    ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
    last = p; inked = true; e.preventDefault();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach((t) => canvas.addEventListener(t, () => { drawing = false; }));
  resize();
  // A pad inside a hidden form has no size yet: size it when it appears (or rotates).
  if ("ResizeObserver" in window) new ResizeObserver(() => { if (!inked) resize(); }).observe(canvas);
  return {
    isEmpty: () => !inked,
    clear: () => { ctx.clearRect(0, 0, canvas.width, canvas.height); inked = false; },
    toDataURL: () => canvas.toDataURL("image/png"),
  };
}

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = { message: "Réponse inattendue du serveur." }; }
  return { ok: response.ok, status: response.status, data };
}

function show(el, text, kind) {
  el.textContent = text; el.className = "notice " + (kind || ""); el.hidden = false;
}

function pads() {
  const found = {};
  document.querySelectorAll("canvas[data-signature-pad]").forEach((canvas) => {
    const pad = SignaturePad(canvas);
    found[canvas.id] = pad;
    const clear = document.querySelector(`[data-clear="${canvas.id}"]`);
    if (clear) clear.addEventListener("click", (e) => { e.preventDefault(); pad.clear(); });
  });
  return found;
}

// A sign form: data-endpoint, JSON fields from data-* and inputs; shows the answer.
function wireSignForm(form, pad, extra) {
  const out = form.querySelector(".result") || document.getElementById("result");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (pad.isEmpty()) { show(out, "Signez dans le cadre avant de valider.", "error"); return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const body = Object.assign({ signature: pad.toDataURL() }, extra ? extra() : {});
    const { ok, data } = await postJSON(form.dataset.endpoint, body);
    button.disabled = false;
    if (ok) {
      form.dispatchEvent(new CustomEvent("signed", { detail: data }));
    } else if (data.code === "ALREADY_SIGNED") {
      show(out, data.message, "ok"); form.dispatchEvent(new CustomEvent("signed", { detail: data }));
    } else {
      show(out, data.message || "Erreur : réessayez.", "error");
    }
  });
}

function hhmm(iso) {
  return new Date(iso).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris" });
}

// In-page scanner: BarcodeDetector where the browser has it; otherwise the camera app.
async function scanQr(video, onValue, onError) {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
    onError("Ce navigateur ne sait pas lire les QR codes : utilisez l'appareil photo du téléphone.");
    return;
  }
  try {
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream; video.hidden = false; await video.play();
    const tick = async () => {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length) { stream.getTracks().forEach((t) => t.stop()); video.hidden = true; onValue(codes[0].rawValue); return; }
      requestAnimationFrame(tick);
    };
    tick();
  } catch (err) {
    onError("Caméra indisponible : autorisez la caméra ou utilisez l'appareil photo du téléphone.");
  }
}

function wireScanButton() {
  const button = document.getElementById("scan");
  if (!button) return;
  const video = document.getElementById("scan-video"), out = document.getElementById("scan-result");
  button.addEventListener("click", () => scanQr(video, (value) => {
    const url = new URL(value, location.href);
    if (url.origin === location.origin) location.href = url.href;
    else show(out, "Ce QR code n'est pas celui d'une séance.", "error");
  }, (message) => show(out, message, "error")));
}

const pages = {
  sign(body, found) {
    // Coming back later reuses this phone's ticket, not the short-lived QR code.
    history.replaceState(null, "", `${location.pathname}?t=${encodeURIComponent(body.dataset.ticket)}`);
    const form = document.getElementById("sign-form");
    if (!form) return;
    wireSignForm(form, found["signature"], () => ({ slot_id: Number(body.dataset.slot), token: body.dataset.ticket }));
    form.addEventListener("signed", (e) => {
      const d = e.detail, done = document.getElementById("done");
      form.hidden = true;
      done.querySelector(".when").textContent = d.signed_at ? hhmm(d.signed_at) : hhmm(d.details.signed_at);
      if (d.late_minutes) done.querySelector(".late").textContent = `Retard enregistré : ${d.late_minutes} min.`;
      done.hidden = false;
    });
  },
  link(body, found) {
    const form = document.getElementById("sign-form");
    if (!form) return;
    wireSignForm(form, found["signature"], () => {
      const declaration = document.getElementById("declaration");
      return { token: body.dataset.token, declaration: declaration ? declaration.value : null };
    });
    form.addEventListener("signed", () => { form.hidden = true; document.getElementById("done").hidden = false; });
  },
  tutor(body, found) {
    const out = document.getElementById("result");
    document.querySelectorAll("button[data-day]").forEach((button) => button.addEventListener("click", async () => {
      if (found["signature"].isEmpty()) { show(out, "Signez dans le cadre avant de confirmer.", "error"); return; }
      const { ok, data } = await postJSON("/api/signins/tutor", {
        token: body.dataset.token, slot_id: Number(button.dataset.day),
        present: button.dataset.present === "1", signature: found["signature"].toDataURL() });
      if (ok || data.code === "ALREADY_SIGNED") {
        const row = button.closest("tr");
        row.querySelector(".state").textContent = ok ? (data.status === "present" ? "Présent(e) — confirmé" : "Absent(e) — confirmé") : data.message;
        row.querySelectorAll("button").forEach((b) => b.remove());
      } else show(out, data.message, "error");
    }));
  },
  kiosk(body, found) {
    const form = document.getElementById("kiosk-form"), out = document.getElementById("result");
    let trainee = null, card = null;
    function choose(id, name) {
      trainee = id; form.hidden = false; document.getElementById("who").textContent = name;
      document.getElementById("pin").value = ""; found["signature"].clear(); out.hidden = true;
      document.getElementById("names").hidden = true;
    }
    function reset() { trainee = null; card = null; form.hidden = true; document.getElementById("names").hidden = false; }
    document.querySelectorAll("button[data-trainee]").forEach((b) => b.addEventListener("click", () => choose(Number(b.dataset.trainee), b.textContent)));
    document.getElementById("cancel").addEventListener("click", (e) => { e.preventDefault(); reset(); });
    const cardButton = document.getElementById("scan-card");
    cardButton.addEventListener("click", () => scanQr(document.getElementById("scan-video"), (value) => {
      card = value; trainee = null; form.hidden = false; document.getElementById("names").hidden = true;
      document.getElementById("who").textContent = "Carte QR lue";
    }, (message) => show(out, message, "error")));
    wireSignForm(form, found["signature"], () => ({ trainee_id: trainee, pin: card ? null : document.getElementById("pin").value, card }));
    form.addEventListener("signed", (e) => {
      const id = e.detail.trainee_id || trainee;
      const button = document.querySelector(`button[data-trainee="${id}"]`);
      if (button) { button.disabled = true; button.classList.add("done"); }
      reset();
      show(document.getElementById("kiosk-done"), "Émargement enregistré. Au suivant !", "ok");
    });
  },
  qr(body) {
    const box = document.getElementById("qr"), count = document.getElementById("signed-count");
    const shortLine = document.getElementById("short-line"), shortCode = document.getElementById("short-code");
    async function rotate() {
      const response = await fetch(body.dataset.source, { credentials: "same-origin", cache: "no-store" });
      let next = Number(body.dataset.rotation) * 1000;
      if (response.ok) {
        const data = await response.json();
        box.innerHTML = data.svg; box.dataset.url = data.url; count.textContent = data.signed;
        shortCode.textContent = `${data.short_code.slice(0, 3)} ${data.short_code.slice(3)}`;
        shortCode.dataset.code = data.short_code; shortLine.hidden = false;
        // Ask again as the rotation ends (the server's clock), not a full period later.
        next = Math.max(250, data.changes_in_ms + 150);
      } else {
        shortLine.hidden = true;
        // Outside the sign-in window: say when the code shows; after the end, stop asking.
        let data = {};
        try { data = await response.json(); } catch (e) { data = {}; }
        if (data.code === "OUTSIDE_SLOT_WINDOW") {
          const notice = document.createElement("p");
          show(notice, data.message);
          box.replaceChildren(notice); delete box.dataset.url;
          if (data.details && data.details.too === "late") return;
        }
      }
      setTimeout(rotate, next);
    }
    if (body.dataset.closed !== "1") rotate();
  },
  roster(body, found) {
    const tbody = document.getElementById("rows");
    if (tbody && body.dataset.live === "1") {
      setInterval(async () => {
        if (document.activeElement && tbody.contains(document.activeElement)) return;
        const response = await fetch(body.dataset.rows, { credentials: "same-origin", cache: "no-store" });
        if (response.ok) tbody.innerHTML = await response.text();
      }, 4000);
    }
    const form = document.getElementById("validate-form");
    if (form) form.addEventListener("submit", (e) => {
      if (found["trainer-signature"].isEmpty()) { e.preventDefault(); alert("Signez avant de valider la séance."); return; }
      form.querySelector("input[name=signature]").value = found["trainer-signature"].toDataURL();
    });
  },
};

document.addEventListener("DOMContentLoaded", () => {
  const found = pads();
  wireScanButton();
  const root = document.querySelector("[data-page]");
  if (root && pages[root.dataset.page]) pages[root.dataset.page](root, found);
});
