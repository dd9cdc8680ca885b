// Uploads on a folder page: drag and drop or pick many files; small ones in one request, large ones as a
// resumable upload (POST /api/v1/files/uploads, then PUT chunk by chunk; after a dropped connection the
// upload asks where it stands and goes on from there). Without this script the form still posts.
const form = document.getElementById("fl-upload");
const MAX_ATTEMPTS = 8;

function csrf() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

function row(name) {
  const li = document.createElement("li");
  const label = document.createElement("span");
  label.textContent = name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  const state = document.createElement("span");
  state.className = "small muted";
  li.append(label, bar, state);
  document.getElementById("fl-progress").append(li);
  return { bar, state, li };
}

function send(method, url, body, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("X-CSRFToken", csrf());
    if (contentType) xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress && onProgress(e.loaded);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      resolve({ status: xhr.status, data });
    };
    xhr.onerror = () => reject(new Error("network"));
    xhr.send(body);
  });
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

async function uploadSmall(file, onConflict, ui) {
  const body = new FormData();
  body.append("file", file);
  body.append("name", file.name); // exactly: a multipart filename may lose characters (U+3000)
  body.append("folder", form.dataset.folder);
  body.append("on_conflict", onConflict);
  const res = await send("POST", "/api/v1/files", body, null, (n) => (ui.bar.value = (100 * n) / file.size));
  if (res.status >= 300) throw new Error(res.data?.detail || form.dataset.msgFailed);
}

async function uploadResumable(file, onConflict, ui) {
  const begin = await send("POST", "/api/v1/files/uploads", JSON.stringify({
    name: file.name, size: file.size, folder: Number(form.dataset.folder), on_conflict: onConflict,
  }), "application/json");
  if (begin.status !== 201) throw new Error(begin.data?.detail || form.dataset.msgFailed);
  const session = begin.data;
  let offset = 0;
  let attempts = 0;
  while (offset < file.size) {
    const chunk = file.slice(offset, offset + session.chunk_size);
    try {
      const res = await send("PUT", `/api/v1/files/uploads/${session.id}?offset=${offset}`, chunk,
        "application/octet-stream", (n) => (ui.bar.value = (100 * (offset + n)) / file.size));
      if (res.status === 200) {
        offset = res.data.offset;
        attempts = 0;
        continue;
      }
      if (res.status !== 409) throw new Error(res.data?.detail || form.dataset.msgFailed);
    } catch (error) {
      if (error.message !== "network" || ++attempts > MAX_ATTEMPTS) throw error;
      ui.state.textContent = form.dataset.msgRetry;
      await wait(Math.min(30000, 1000 * 2 ** attempts));
    }
    // Lost or refused: ask where the upload stands and go on from there.
    const status = await send("GET", `/api/v1/files/uploads/${session.id}`);
    if (status.status !== 200) throw new Error(form.dataset.msgFailed);
    offset = status.data.offset;
    ui.state.textContent = "";
  }
}

async function uploadAll(files) {
  const onConflict = document.getElementById("fl-as-version").checked ? "version" : "rename";
  const limit = Number(form.dataset.maxRequest);
  let failures = 0;
  for (const file of files) {
    const ui = row(file.name);
    try {
      await (file.size <= limit ? uploadSmall : uploadResumable)(file, onConflict, ui);
      ui.bar.value = 100;
      ui.state.textContent = form.dataset.msgDone;
    } catch (error) {
      failures += 1;
      ui.li.classList.add("fl-failed");
      ui.state.textContent = error.message;
    }
  }
  if (!failures) window.location.reload();
}

if (form) {
  const input = document.getElementById("fl-input");
  input.addEventListener("change", () => uploadAll([...input.files]));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    uploadAll([...input.files]);
  });
  for (const type of ["dragenter", "dragover"]) {
    form.addEventListener(type, (e) => {
      e.preventDefault();
      form.classList.add("fl-dragging");
    });
  }
  form.addEventListener("dragleave", () => form.classList.remove("fl-dragging"));
  form.addEventListener("drop", (e) => {
    e.preventDefault();
    form.classList.remove("fl-dragging");
    uploadAll([...e.dataTransfer.files]);
  });
}
