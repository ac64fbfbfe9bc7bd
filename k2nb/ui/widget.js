// k2nb live trace view. Ops arrive batched and append-only: text deltas are appended to text
// nodes (never re-setting the accumulated text); HTML arrives already sanitized by the kernel.
const logs = new Map(); // run_id -> ops received so far, so late or re-rendered views rebuild

function logFor(model) {
  const key = model.get("run_id") || "_";
  if (!logs.has(key)) logs.set(key, { ops: [], views: new Set() });
  return logs.get(key);
}

function initialize({ model }) {
  // Registered here, not in render: messages sent before a view renders would be lost.
  const onMsg = (msg) => {
    if (!msg || !Array.isArray(msg.ops)) return;
    const log = logFor(model);
    for (const op of msg.ops) log.ops.push(op);
    for (const view of log.views) view.apply(msg.ops);
  };
  model.on("msg:custom", onMsg);
  return () => model.off("msg:custom", onMsg);
}

class View {
  constructor(el) {
    this.root = document.createElement("div");
    this.root.className = "k2nb-live";
    this.blocksEl = document.createElement("div");
    this.statusEl = document.createElement("div");
    this.statusEl.className = "k2nb-status";
    this.root.append(this.blocksEl, this.statusEl);
    el.append(this.root);
    this.blocks = new Map();
  }

  block(op) {
    const details = document.createElement("details");
    details.className = `k2nb-kind-${op.kind}`;
    details.open = op.open !== false;
    const summary = document.createElement("summary");
    summary.textContent = op.title || "";
    const body = document.createElement("div");
    body.className = "k2nb-body";
    if (!op.title) {
      // Untitled blocks (answer text, notices) are plain sections, not foldable.
      const plain = document.createElement("div");
      plain.className = `k2nb-plain-block k2nb-kind-${op.kind}`;
      plain.append(body);
      this.blocksEl.append(plain);
      this.blocks.set(op.id, { el: plain, summary: null, body, text: null });
      return;
    }
    details.append(summary, body);
    this.blocksEl.append(details);
    this.blocks.set(op.id, { el: details, summary, body, text: null });
  }

  apply(ops) {
    for (const op of ops) {
      const b = this.blocks.get(op.id);
      switch (op.op) {
        case "block":
          if (!b) this.block(op);
          break;
        case "append":
          if (!b) break;
          if (!b.text) {
            b.text = document.createTextNode("");
            b.body.append(b.text);
          }
          b.text.appendData(op.text);
          break;
        case "html":
          if (!b) break;
          if (op.mode === "append") {
            b.body.insertAdjacentHTML("beforeend", op.html);
          } else {
            b.body.innerHTML = op.html;
            b.text = null;
            b.body.classList.add("k2nb-rendered");
          }
          if (op.kind) b.el.className = b.el.className.replace(/k2nb-kind-\S+/, `k2nb-kind-${op.kind}`);
          break;
        case "title":
          if (!b) break;
          if (b.summary) b.summary.textContent = op.title;
          if (op.open !== undefined && b.el.tagName === "DETAILS") b.el.open = op.open;
          if (op.kind) b.el.className = `k2nb-kind-${op.kind}`;
          break;
        case "status":
          this.statusEl.textContent = op.text;
          this.root.dataset.phase = op.phase;
          break;
      }
    }
  }
}

function render({ model, el }) {
  const view = new View(el);
  const log = logFor(model);
  view.apply(log.ops);
  log.views.add(view);
  return () => log.views.delete(view);
}

export default { initialize, render };
