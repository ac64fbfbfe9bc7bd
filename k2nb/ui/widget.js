// k2nb live trace view. Ops arrive batched and append-only: text deltas are appended to text
// nodes (never re-setting the accumulated text); HTML arrives already sanitized by the kernel.
// run_id -> ops received so far, so late or re-rendered views rebuild
const logs = new Map();

function logFor(model) {
  const key = model.get("run_id") || "_";
  if (!logs.has(key)) logs.set(key, { ops: [], views: new Set() });
  return logs.get(key);
}

function bytesOf(buffer) {
  // ipywidgets hands buffers over as DataViews; other managers may pass ArrayBuffers.
  return buffer.buffer ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
}

// The kernel deflates the run's batches as one stream, flushed at every message, each batch one
// line of JSON (k2nb/ui/live_codec.py). One DecompressionStream per run keeps the shared window.
function inflater(onBatch, onError) {
  if (typeof DecompressionStream === "undefined") {
    onError("this browser cannot inflate the live stream (no DecompressionStream); set K2NB_LIVE_COMPRESSION=0 for the kernel");
    return () => {};
  }
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.pipeThrough(new TextDecoderStream()).getReader();
  (async () => {
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      rest += value;
      let end;
      while ((end = rest.indexOf("\n")) >= 0) {
        onBatch(JSON.parse(rest.slice(0, end)));
        rest = rest.slice(end + 1);
      }
    }
  })().catch((err) => onError(`the live stream broke (${err})`));
  return (buffer) => writer.write(bytesOf(buffer)).catch(() => {});
}

function initialize({ model }) {
  // Registered here, not in render: messages sent before a view renders would be lost.
  const log = () => logFor(model);
  const onBatch = (ops) => {
    const l = log();
    for (const op of ops) l.ops.push(op);
    for (const view of l.views) view.apply(ops, true);
  };
  const onError = (why) =>
    onBatch([{ op: "status", phase: "stream error", text: `live view stopped: ${why}; the full trace appears when the run ends` }]);
  let inflate = null;
  const onMsg = (msg, buffers) => {
    if (msg && Array.isArray(msg.ops)) onBatch(msg.ops);
    else if (msg && msg.z && buffers && buffers.length) {
      inflate = inflate || inflater(onBatch, onError);
      inflate(buffers[0]);
    }
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

// Slow streams arrive as a batch every second or two (each message costs an envelope, so the kernel
// waits for enough text); revealing each batch's text over the expected gap until the next keeps
// it flowing instead of jumping. Anything but text first shows all pending text, so the view's
// order never changes; hidden tabs and large backlogs skip the animation.
const REVEAL_EVERY_MS = 50;

class Reveal {
  constructor() {
    // [block, text] pairs not shown yet
    this.queue = [];
    this.queued = 0;
    // expected ms until the next batch: a moving average, at most two seconds (the kernel's max delay)
    this.gap = 1000;
    this.lastArrival = 0;
    this.deadline = 0;
    this.lastTick = 0;
    this.timer = 0;
  }

  push(b, text) {
    const now = performance.now();
    if (this.lastArrival) this.gap = Math.min(2000, 0.7 * this.gap + 0.3 * (now - this.lastArrival));
    this.lastArrival = now;
    this.queue.push([b, text]);
    this.queued += text.length;
    this.deadline = now + this.gap;
    if (this.queued > 65536 || document.hidden) {
      this.drain();
    } else if (!this.timer) {
      this.lastTick = now;
      this.schedule();
    }
  }

  tick() {
    this.timer = 0;
    const now = performance.now();
    const left = this.deadline - now;
    const share = left <= 0 ? 1 : Math.min(1, (now - this.lastTick) / (left + now - this.lastTick));
    this.emit(Math.ceil(this.queued * share));
    this.lastTick = now;
    if (this.queued) this.schedule();
  }

  schedule() {
    // About 20 reveals a second read as flowing text; each costs a layout (and a frame), so a
    // timer rather than one per animation frame.
    this.timer = setTimeout(() => this.tick(), REVEAL_EVERY_MS);
  }

  emit(count) {
    while (count > 0 && this.queue.length) {
      const item = this.queue[0];
      const [b, text] = item;
      if (text.length <= count) {
        this.queue.shift();
        appendText(b, text);
        count -= text.length;
        this.queued -= text.length;
      } else {
        appendText(b, text.slice(0, count));
        item[1] = text.slice(count);
        this.queued -= count;
        count = 0;
      }
    }
  }

  drain() {
    this.emit(this.queued);
  }
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
    this.reveal = new Reveal();
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

  apply(ops, live = false) {
    for (const op of ops) {
      const b = this.blocks.get(op.id);
      if (op.op === "append") {
        if (b && live) this.reveal.push(b, op.text);
        else if (b) appendText(b, op.text);
        continue;
      }
      if (op.op !== "status" || op.final) this.reveal.drain();
      switch (op.op) {
        case "block":
          if (!b) this.block(op);
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
  return () => {
    log.views.delete(view);
    if (view.reveal.timer) clearTimeout(view.reveal.timer);
  };
}

export default { initialize, render };
