// The composer: Enter sends, Shift+Enter is a new line, and a key press that belongs to an IME composition
// (Japanese input: Enter confirms the kana-to-kanji conversion) never sends. Attachments by drag-and-drop or
// the file picker, uploaded first with progress, then sent with the message.
import { MentionCompleter } from "./mention.js";
import { api, csrfToken, el, fileSize, t } from "./util.js";

export class Composer {
  constructor(form, { conversationId, threadRoot = null, onSent }) {
    this.form = form;
    this.conversationId = conversationId;
    this.threadRoot = threadRoot;
    this.onSent = onSent;
    this.textarea = form.querySelector("textarea");
    this.textarea.required = false; // a message may be files only; the API says when it is empty
    this.error = form.querySelector(".composer-error");
    this.fileList = form.querySelector(".composer-files");
    this.fileInput = form.querySelector('input[type="file"]');
    this.uploads = []; // {file, id, done, xhr, node}
    this.maxSize = Number(form.dataset.maxSize || 0);
    const menu = form.querySelector(".mention-menu");
    this.mentions = menu ? new MentionCompleter(this.textarea, menu) : null;

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.textarea.addEventListener("keydown", (event) => this.onKeydown(event));
    this.textarea.addEventListener("input", () => this.autosize());
    if (this.fileInput) {
      this.fileInput.addEventListener("change", () => {
        for (const file of this.fileInput.files) this.upload(file);
        this.fileInput.value = "";
      });
    }
    for (const name of ["dragenter", "dragover"]) {
      form.addEventListener(name, (event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        form.classList.add("is-dragover");
      });
    }
    form.addEventListener("dragleave", () => form.classList.remove("is-dragover"));
    form.addEventListener("drop", (event) => {
      form.classList.remove("is-dragover");
      if (!hasFiles(event)) return;
      event.preventDefault();
      for (const file of event.dataTransfer.files) this.upload(file);
    });
    this.textarea.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files || [])];
      if (files.length) {
        event.preventDefault();
        files.forEach((file) => this.upload(file));
      }
    });
  }

  onKeydown(event) {
    // keyCode 229: some browsers (Safari, older Chrome) report IME keys this way without isComposing.
    if (event.isComposing || event.keyCode === 229) return;
    if (this.mentions && this.mentions.onKeydown(event)) {
      event.preventDefault();
      return;
    }
    if (event.key === "ArrowUp" && this.textarea.value === "" && !this.threadRoot) {
      // As in Slack and Teams: ↑ in an empty box edits one's last message.
      event.preventDefault();
      this.form.dispatchEvent(new CustomEvent("edit-last", { bubbles: true }));
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      this.send();
    }
  }

  autosize() {
    this.textarea.style.height = "auto";
    this.textarea.style.height = `${Math.min(this.textarea.scrollHeight + 2, window.innerHeight * 0.4)}px`;
  }

  showError(text) {
    if (!this.error) return;
    this.error.textContent = text || "";
    this.error.hidden = !text;
  }

  upload(file) {
    this.showError("");
    if (this.maxSize && file.size > this.maxSize) {
      this.showError(t("tooLarge").replace("%s", file.name).replace("%m", fileSize(this.maxSize)));
      return;
    }
    const item = { file, id: null, done: false };
    const progress = el("progress", { max: "100", value: "0", "aria-label": file.name });
    const remove = el("button", { type: "button", "aria-label": t("removeFile"), text: "×" });
    item.node = el("li", {}, el("span", { text: `${file.name} (${fileSize(file.size)})` }), progress, remove);
    remove.addEventListener("click", () => {
      if (item.xhr && !item.done) item.xhr.abort();
      this.uploads = this.uploads.filter((u) => u !== item);
      item.node.remove();
    });
    this.fileList.append(item.node);
    this.uploads.push(item);

    const data = new FormData();
    data.append("file", file);
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    xhr.open("POST", `/api/v1/conversations/${this.conversationId}/attachments`);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    item.promise = new Promise((resolve) => {
      xhr.addEventListener("loadend", () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = null;
        }
        if (xhr.status >= 200 && xhr.status < 300 && body) {
          item.id = body.id;
          item.done = true;
          progress.value = 100;
        } else {
          this.showError((body && body.detail) || t("uploadFailed").replace("%s", file.name));
          this.uploads = this.uploads.filter((u) => u !== item);
          item.node.remove();
        }
        resolve();
      });
    });
    xhr.send(data);
  }

  // The box is cleared at once and sends go out one after another in the order typed, so a quick second
  // Enter is neither lost nor sent before the first. On failure the text comes back to the box.
  send() {
    const body = this.textarea.value;
    const uploads = this.uploads;
    if (!body.trim() && !uploads.length) return Promise.resolve();
    this.showError("");
    this.textarea.value = "";
    this.autosize();
    this.uploads = [];
    this.fileList.replaceChildren();
    this.chain = (this.chain || Promise.resolve()).then(() => this.post(body, uploads));
    return this.chain;
  }

  async post(body, uploads) {
    try {
      await Promise.all(uploads.map((u) => u.promise));
      const attachments = uploads.filter((u) => u.done).map((u) => u.id);
      if (!body.trim() && !attachments.length) return;
      const payload = { body };
      if (this.threadRoot) payload.thread_root = this.threadRoot;
      if (attachments.length) payload.attachments = attachments;
      const message = await api(`/api/v1/conversations/${this.conversationId}/messages`, {
        method: "POST",
        body: payload,
      });
      // The stored message goes through the same seq-ordered path as live events: never shown twice.
      if (this.onSent) this.onSent(message);
    } catch (error) {
      this.showError(error.message || t("sendFailed"));
      if (!this.textarea.value) {
        this.textarea.value = body;
        this.autosize();
      }
    }
  }
}

function hasFiles(event) {
  return event.dataTransfer && [...event.dataTransfer.types].includes("Files");
}
