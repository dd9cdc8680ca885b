// PDF preview with the vendored PDF.js: pages drawn on canvases at the width of the page (a phone too).
// No eval (isEvalSupported: false) and no WebAssembly, as the CSP wants; fonts are drawn as paths.
const box = document.getElementById("fl-pdf");
const BATCH = 5;

async function show() {
  const pdfjs = await import(box.dataset.lib);
  pdfjs.GlobalWorkerOptions.workerSrc = box.dataset.worker;
  const doc = await pdfjs.getDocument({
    url: box.dataset.url,
    cMapUrl: box.dataset.cmaps,
    cMapPacked: true,
    isEvalSupported: false,
    disableFontFace: true,
    useWasm: false,
    withCredentials: true,
  }).promise;
  box.textContent = "";
  let next = 1;
  const more = document.createElement("button");
  more.className = "btn";
  more.type = "button";
  more.textContent = box.dataset.msgMore;
  async function render() {
    more.remove();
    const last = Math.min(doc.numPages, next + BATCH - 1);
    for (; next <= last; next++) {
      const page = await doc.getPage(next);
      const base = page.getViewport({ scale: 1 });
      const scale = (box.clientWidth - 2) / base.width;
      const ratio = window.devicePixelRatio || 1;
      const viewport = page.getViewport({ scale: scale * ratio });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.className = "fl-page";
      canvas.setAttribute("aria-label", `${next} / ${doc.numPages}`);
      box.append(canvas);
      await page.render({ canvas, viewport }).promise;
    }
    if (next <= doc.numPages) box.append(more);
  }
  more.addEventListener("click", render);
  await render();
}

if (box) {
  show().catch(() => {
    box.textContent = box.dataset.msgError;
  });
}
