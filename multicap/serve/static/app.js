// multicap serve: the selection to compare, attention overlays, the describe form. Text from the server
// is only ever set as textContent (never parsed as HTML), so a file name cannot become markup.
"use strict";

function pickedIds() {  // an image shown twice (a cluster's member and an outlier) counts once
  return [...new Set(Array.from(document.querySelectorAll("input.pick:checked")).map((b) => b.value))];
}

function updateSelection() {
  const ids = pickedIds();
  const button = document.getElementById("compare");
  if (button) {
    document.getElementById("picked").textContent = String(ids.length);
    button.disabled = ids.length < 2 || ids.length > 8;
  }
  document.querySelectorAll("input.pick").forEach((b) => {
    b.closest(".tile").classList.toggle("picked", b.checked);
  });
}

function tile(hit) {
  const fig = document.createElement("figure");
  fig.className = "tile";
  const link = document.createElement("a");
  link.href = "/image/" + encodeURIComponent(hit.id);
  const img = document.createElement("img");
  img.src = hit.thumbnail;
  img.alt = hit.name;
  link.appendChild(img);
  const cap = document.createElement("figcaption");
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = hit.name;
  cap.appendChild(name);
  fig.append(link, cap);
  return fig;
}

function levels(target, texts) {
  target.replaceChildren();
  for (const [level, text] of Object.entries(texts)) {
    const dt = document.createElement("dt");
    dt.textContent = level;
    const dd = document.createElement("dd");
    dd.textContent = text;
    target.append(dt, dd);
  }
}

async function postFile(url, form, status) {
  const file = form.querySelector("input[type=file]").files[0];
  if (!file) { status.textContent = "choose a file first"; return null; }
  const body = new FormData();
  body.append("file", file);
  status.textContent = "working…";
  const response = await fetch(url, { method: "POST", body });
  let data;
  try {
    data = await response.json();
  } catch {  // not JSON (a proxy's page): its status line is the error
    data = { error: `${response.status} ${response.statusText}` };
  }
  status.textContent = response.ok ? "" : data.error;
  return response.ok ? data : null;
}

// What an earlier file gave goes as a new one is sent: after an error it had stayed under the message.
function clearUploadOutput() {
  document.getElementById("describe-out").replaceChildren();
  document.getElementById("upload-results").replaceChildren();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input.pick").forEach((b) => b.addEventListener("change", updateSelection));
  const compare = document.getElementById("compare");
  if (compare) {
    compare.addEventListener("click", () => {
      const query = pickedIds().map((i) => "ids=" + encodeURIComponent(i)).join("&");
      window.location.href = "/compare?" + query;
    });
  }
  const boxes = document.getElementById("boxes");
  if (boxes) {
    boxes.addEventListener("change", () => document.getElementById("frame").classList.toggle("plain", !boxes.checked));
  }
  const attention = document.getElementById("attention");
  if (attention) {
    attention.addEventListener("click", async () => {
      const out = document.getElementById("attention-out");
      const level = document.getElementById("att-level").value;
      out.textContent = "captioning…";
      const response = await fetch(`/api/images/${attention.dataset.id}/attention?level=${encodeURIComponent(level)}`);
      const data = await response.json();
      out.replaceChildren();
      if (!response.ok) { out.textContent = data.error; return; }
      for (const w of data.words) {
        const fig = document.createElement("figure");
        fig.className = "tile";
        const img = document.createElement("img");
        img.src = w.overlay;
        img.alt = w.word;
        const cap = document.createElement("figcaption");
        cap.textContent = `${w.word} (${w.position})`;
        fig.append(img, cap);
        out.appendChild(fig);
      }
    });
  }
  const form = document.getElementById("describe-form");
  if (form) {
    const status = document.getElementById("describe-status");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearUploadOutput();
      const data = await postFile("/api/describe", form, status);
      if (data) levels(document.getElementById("describe-out"), data.texts);
    });
    document.getElementById("upload-search").addEventListener("click", async () => {
      clearUploadOutput();
      const data = await postFile("/api/search/image", form, status);
      if (data) document.getElementById("upload-results").replaceChildren(...data.hits.map(tile));
    });
  }
});
