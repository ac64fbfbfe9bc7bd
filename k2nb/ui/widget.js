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

// Answers (approvals, Stop) leave the view as a DOM event; the k2nb labextension relays it to
// the kernel over its comm, which reaches Python while the cell is still running. Without the
// labextension nothing listens, and the kernel asks on stdin instead.
function answer(el, detail) {
  el.dispatchEvent(new CustomEvent("k2nb-answer", { detail, bubbles: true, composed: true }));
}

function button(label, title, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "k2nb-button";
  b.textContent = label;
  b.title = title;
  b.addEventListener("click", onClick);
  return b;
}

// Appending to one ever-growing text node makes the browser lay out the whole trace on every
// batch (long tasks grow with the text); chunks of a few KB, split at line ends, keep each
// layout small. A chunk with no line end for a long time is split at a space.
const CHUNK = 2048;

function newChunk(b) {
  const div = document.createElement("div");
  div.className = "k2nb-chunk";
  b.text = document.createTextNode("");
  div.append(b.text);
  b.body.append(div);
}

function appendText(b, text) {
  if (!b.text) newChunk(b);
  if (b.text.length >= CHUNK) {
    let cut = text.indexOf("\n") + 1;
    if (cut === 0 && b.text.length >= 4 * CHUNK) cut = text.indexOf(" ") + 1;
    if (cut > 0) {
      b.text.appendData(text.slice(0, cut));
      newChunk(b);
      text = text.slice(cut);
    }
  }
  b.text.appendData(text);
}

class View {
  constructor(el, runId) {
    this.runId = runId;
    this.root = document.createElement("div");
    this.root.className = "k2nb-live";
    this.blocksEl = document.createElement("div");
    const bar = document.createElement("div");
    bar.className = "k2nb-status";
    this.statusEl = document.createElement("span");
    this.stopButton = button("■ Stop", "Stop this run (the trace so far is kept)", () => {
      this.stopButton.disabled = true;
      this.stopButton.textContent = "stopping…";
      answer(this.root, { kind: "stop", run_id: this.runId });
    });
    this.thinkingButton = button("hide thinking", "Show or hide every thinking lane in this notebook", () =>
      this.toggleThinking(),
    );
    bar.append(this.statusEl, this.stopButton, this.thinkingButton);
    this.root.append(this.blocksEl, bar);
    el.append(this.root);
    this.blocks = new Map();
  }

  scope() {
    // Per notebook: the toggle marks the notebook panel, so every k2nb view in it follows.
    return this.root.closest(".jp-Notebook") || document.body;
  }

  toggleThinking() {
    const hidden = this.scope().classList.toggle("k2nb-hide-thinking");
    this.thinkingButton.textContent = hidden ? "show thinking (hidden)" : "hide thinking";
  }

  approval(b, op) {
    const box = document.createElement("div");
    box.className = "k2nb-approval";
    b.approval = box;
    if (op.channel !== "buttons") {
      box.textContent = "Waiting for your answer in the prompt below: [r]un / [e]dit / [s]kip / [a]lways";
      b.body.append(box);
      return;
    }
    const send = (decision, extra = {}) => {
      for (const el of box.querySelectorAll("button, textarea, input")) el.disabled = true;
      answer(this.root, { kind: "approval", call_id: op.call_id, decision, ...extra });
    };
    const editor = document.createElement("textarea");
    editor.className = "k2nb-editor";
    editor.value = op.code || "";
    editor.rows = Math.min(20, (op.code || "").split("\n").length + 1);
    editor.hidden = true;
    const reason = document.createElement("input");
    reason.className = "k2nb-reason";
    reason.placeholder = "optional: why (sent to the model)";
    reason.hidden = true;
    const run = button("Run", "Run this code in your kernel", () => send("run"));
    const edit = button("Edit", "Change the code, then run it", () => {
      if (editor.hidden) {
        editor.hidden = false;
        edit.textContent = "Run edited";
        editor.focus();
      } else {
        send("edit", { code: editor.value });
      }
    });
    const skip = button("Skip", "Do not run it; tell the model why", () => {
      if (reason.hidden) {
        reason.hidden = false;
        skip.textContent = "Skip (send)";
        reason.focus();
      } else {
        send("skip", { reason: reason.value });
      }
    });
    const always = button("Always", "Run this and every later call of this session without asking", () =>
      send("always"),
    );
    box.append(run, edit, skip, always, editor, reason);
    b.body.append(box);
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
          if (b) appendText(b, op.text);
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
          if (b.summary && op.title !== undefined) b.summary.textContent = op.title;
          if (op.open !== undefined && b.el.tagName === "DETAILS") b.el.open = op.open;
          if (op.kind) b.el.className = `k2nb-kind-${op.kind}`;
          break;
        case "approval":
          if (b) this.approval(b, op);
          break;
        case "approval_done":
          if (b && b.approval) b.approval.remove();
          break;
        case "status":
          this.statusEl.textContent = op.text;
          this.root.dataset.phase = op.phase;
          if (op.final) this.stopButton.hidden = true;
          break;
      }
    }
  }
}

function render({ model, el }) {
  const view = new View(el, model.get("run_id"));
  const log = logFor(model);
  view.apply(log.ops);
  log.views.add(view);
  return () => log.views.delete(view);
}

export default { initialize, render };
