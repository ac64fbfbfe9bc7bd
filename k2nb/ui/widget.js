// @ts-check
// k2nb live trace view. Ops arrive batched and append-only: text deltas are appended to text
// nodes (never re-setting the accumulated text); HTML arrives already sanitized by the kernel.
// Type-checked by `tsc -p tsconfig.widget.json` (make lint); the types are JSDoc comments.

/**
 * The view's ops, as k2nb/ui/live.py sends them.
 * @typedef {{ op: "block", id: string, kind: string, title?: string, open?: boolean }} BlockOp
 * @typedef {{ op: "append", id: string, text: string }} AppendOp
 * @typedef {{ op: "html", id: string, html: string, mode?: "append", kind?: string }} HtmlOp
 * @typedef {{ op: "title", id: string, title?: string, open?: boolean, kind?: string }} TitleOp
 * @typedef {{ op: "approval", id: string, call_id: string, channel: string, code?: string | null,
 *   kind?: string, cell_type?: string }} ApprovalOp
 * @typedef {{ op: "approval_done", id: string }} ApprovalDoneOp
 * @typedef {{ op: "status", phase: string, text: string, final?: boolean, clock?: [number, number],
 *   elapsed?: number, at?: number, approvals?: string, cells?: { href: string, text: string } }} StatusOp
 * Presenter mode (k2nb/core/pause.py): the large layout and its keys, then a pause before each step.
 * @typedef {{ op: "present" }} PresentOp
 * @typedef {{ op: "pause", id: string, pause_id: string, step: number, channel: string }} PauseOp
 * @typedef {{ op: "resume", id: string }} ResumeOp
 * @typedef {BlockOp | AppendOp | HtmlOp | TitleOp | ApprovalOp | ApprovalDoneOp | StatusOp | PresentOp | PauseOp
 *   | ResumeOp} Op
 * @typedef {ArrayBuffer | ArrayBufferView} Buffer
 * @typedef {(msg: unknown, buffers?: Buffer[]) => void} Listener
 * The part of an anywidget model the view uses (reattach.ts feeds it the same way).
 * @typedef {{ get(name: string): unknown, on(event: string, listener: Listener): void,
 *   off(event: string, listener: Listener): void }} Model
 * A block of the trace: its element, title, body, and the text node appends go to.
 * @typedef {{ el: HTMLElement, summary: HTMLElement | null, body: HTMLElement, text: Text | null,
 *   approval?: HTMLElement }} Block
 * @typedef {(e: KeyboardEvent) => void} KeyHandler
 */

/**
 * What a run has sent so far, so late or re-rendered views rebuild; `ended` once its final status came.
 * @typedef {{ ops: Op[], views: Set<View>, ended: boolean }} RunLog
 */

// run_id -> its log. A log goes once its run has ended and no view shows it (the saved trace
// replaces the view), or when its model closes: else a long-lived page holds every run's ops.
/** @type {Map<string, RunLog>} */
const logs = new Map();

/** @param {Model} model */
function runIdOf(model) {
  const id = model.get('run_id');
  return typeof id === 'string' ? id : '';
}

/** @param {Model} model */
function logFor(model) {
  const key = runIdOf(model) || '_';
  let log = logs.get(key);
  if (!log) {
    log = { ops: [], views: new Set(), ended: false };
    logs.set(key, log);
  }
  return log;
}

/**
 * Forgets `log` once nothing can show it any more: its run has ended and no view is open.
 * @param {Model} model
 * @param {RunLog} log
 */
function release(model, log) {
  const key = runIdOf(model) || '_';
  if (log.ended && log.views.size === 0 && logs.get(key) === log)
    logs.delete(key);
}

/** The runs whose logs this page holds (the tests check that they go). */
export function heldRunLogs() {
  return [...logs.keys()];
}

/** @param {Buffer} buffer */
function bytesOf(buffer) {
  // ipywidgets hands buffers over as DataViews; other managers may pass ArrayBuffers.
  return ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
}

// The kernel deflates the run's batches as one stream, flushed at every message, each batch one
// line of JSON (k2nb/ui/live_codec.py). One DecompressionStream per run keeps the shared window.
/**
 * @param {(ops: Op[]) => void} onBatch
 * @param {(why: string) => void} onError
 * @returns {(buffer: Buffer) => void}
 */
function inflater(onBatch, onError) {
  if (typeof DecompressionStream === 'undefined') {
    onError(
      'this browser cannot inflate the live stream (no DecompressionStream); set K2NB_LIVE_COMPRESSION=0 for the kernel'
    );
    return () => {};
  }
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  const reader = stream.readable
    .pipeThrough(new TextDecoderStream())
    .getReader();
  (async () => {
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      rest += value;
      let end;
      while ((end = rest.indexOf('\n')) >= 0) {
        onBatch(JSON.parse(rest.slice(0, end)));
        rest = rest.slice(end + 1);
      }
    }
  })().catch(err => onError(`the live stream broke (${err})`));
  return buffer => writer.write(bytesOf(buffer)).catch(() => {});
}

/** @param {{ model: Model }} props */
function initialize({ model }) {
  // Registered here, not in render: messages sent before a view renders would be lost.
  /** @param {Op[]} ops */
  const onBatch = ops => {
    const log = logFor(model);
    for (const op of ops) {
      log.ops.push(op);
      if (op.op === 'status' && op.final) log.ended = true;
    }
    for (const view of log.views) view.apply(ops, true);
    release(model, log);
  };
  /** @param {string} why */
  const onError = why =>
    onBatch([
      {
        op: 'status',
        phase: 'stream error',
        text: `live view stopped: ${why}; the full trace appears when the run ends`
      }
    ]);
  /** @type {((buffer: Buffer) => void) | null} */
  let inflate = null;
  /** @type {Listener} */
  const onMsg = (data, buffers) => {
    const msg =
      /** @type {{ ops?: unknown, z?: unknown } | null | undefined} */ (data);
    if (msg && Array.isArray(msg.ops)) onBatch(msg.ops);
    else if (msg && msg.z && buffers && buffers.length) {
      inflate = inflate || inflater(onBatch, onError);
      inflate(buffers[0]);
    }
  };
  model.on('msg:custom', onMsg);
  // anywidget calls this when the model closes: no view of it can render again.
  return () => {
    model.off('msg:custom', onMsg);
    logs.delete(runIdOf(model) || '_');
  };
}

// Answers (approvals, Stop) leave the view as a DOM event; the k2nb labextension relays it to
// the kernel over its comm, which reaches Python while the cell is still running. Without the
// labextension nothing listens, and the kernel asks on stdin instead.
/**
 * @param {HTMLElement} el
 * @param {Record<string, unknown>} detail
 */
function answer(el, detail) {
  el.dispatchEvent(
    new CustomEvent('k2nb-answer', { detail, bubbles: true, composed: true })
  );
}

const THINKING_EVENT = 'k2nb-thinking';
// Icons are SVG masks drawn by trace.css beside a text label: no emoji font needed.
/** @type {Record<string, string>} */
const ICONS = { thinking: 'thinking', tool: 'tool' };

/** @param {string} name */
function icon(name) {
  const span = document.createElement('span');
  span.className = `k2nb-icon k2nb-icon-${name}`;
  span.setAttribute('aria-hidden', 'true');
  return span;
}

/**
 * @param {string} text
 * @param {string} className
 */
function label(text, className) {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}

/**
 * @param {string} label
 * @param {string} title
 * @param {() => void} onClick
 */
function button(label, title, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'k2nb-button';
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

// Keys typed in an approval box belong to it, and so do keys in a presenter-mode view (→ / Space say
// next; a letter must not, say, insert a cell). Lumino reads the notebook's shortcuts from keydown on
// the document: JupyterLab in the bubbling phase, Notebook 7 in the capture phase (measured there:
// Ctrl+Z undid in the notebook and never reached the textarea; Shift+Enter re-queues the cell). So
// one capture listener on the window, ahead of both, stops every key that starts inside a box and
// hands it to the innermost handler up to the box; the browser's default (typing, undo, Tab, a
// button's Space) still happens. Only Ctrl/Cmd+S goes on to the notebook, so saving works. Shared
// by every copy of this module (versioned: a page keeps the listener of the first copy it ran).
const KEY_BOXES = ['k2nb-approval', 'k2nb-keys'];

function keyHandlers() {
  const shared =
    /** @type {{ __k2nbKeyHandlers2?: WeakMap<EventTarget, KeyHandler> }} */ (
      globalThis
    );
  if (!shared.__k2nbKeyHandlers2) {
    /** @type {WeakMap<EventTarget, KeyHandler>} */
    const handlers = new WeakMap();
    shared.__k2nbKeyHandlers2 = handlers;
    /** @param {KeyboardEvent} e */
    const claim = e => {
      const path = e.composedPath();
      const box = path.findIndex(
        n =>
          n instanceof Element &&
          KEY_BOXES.some(name => n.classList.contains(name))
      );
      if (box < 0) return;
      if (
        (e.ctrlKey || e.metaKey) &&
        !e.altKey &&
        !e.shiftKey &&
        (e.key || '').toLowerCase() === 's'
      )
        return;
      e.stopPropagation();
      const owner = path.slice(0, box + 1).find(n => handlers.has(n));
      const handler = owner && handlers.get(owner);
      if (handler) handler(e);
    };
    window.addEventListener('keydown', claim, true);
  }
  return shared.__k2nbKeyHandlers2;
}

/**
 * @param {HTMLElement} el
 * @param {KeyHandler} handler
 */
function onKeys(el, handler) {
  keyHandlers().set(el, handler);
}

const PY_KEYWORDS = new Set(
  'False None True and as assert async await break case class continue def del elif else except finally for from global if import in is lambda match nonlocal not or pass raise return try while with yield'.split(
    ' '
  )
);
const PY_BUILTINS = new Set(
  'abs all any bool dict enumerate filter float format getattr hasattr int isinstance len list map max min open print range repr reversed round self set sorted str sum super tuple type zip'.split(
    ' '
  )
);
// comment | string (prefixes, triple quotes; an unclosed one ends at its line or the end) | number | name
const PY_TOKEN =
  /(#[^\n]*)|((?:[rRbBuUfF]{1,2})?(?:"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:[^"\\\n]|\\.)*(?:"|(?=\n)|$)|'(?:[^'\\\n]|\\.)*(?:'|(?=\n)|$)))|((?:\b\d[\d_]*\.?[\d_]*|\B\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?\b|\b0[xXoObB][\da-fA-F_]+\b)|([A-Za-z_]\w*)/g;

/** @param {string} text */
function escapeHtml(text) {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

// A small Python highlighter for the editor (the kernel highlights everything else with Pygments).
/** @param {string} code */
function highlightPython(code) {
  let out = '';
  let last = 0;
  let previous = '';
  for (const m of code.matchAll(PY_TOKEN)) {
    out += escapeHtml(code.slice(last, m.index));
    last = m.index + m[0].length;
    let css = '';
    if (m[1]) css = 'com';
    else if (m[2]) css = 'str';
    else if (m[3]) css = 'num';
    else if (PY_KEYWORDS.has(m[4])) css = 'kw';
    else if (previous === 'def' || previous === 'class') css = 'def';
    else if (PY_BUILTINS.has(m[4])) css = 'bi';
    previous = m[4] || '';
    const text = escapeHtml(m[0]);
    out += css ? `<span class="k2nb-hl-${css}">${text}</span>` : text;
  }
  return out + escapeHtml(code.slice(last));
}

const INDENT = '    ';

// Typing through execCommand keeps the textarea's own undo history (setting .value would wipe it).
/**
 * @param {HTMLTextAreaElement} area
 * @param {string} text
 */
function typeText(area, text) {
  if (!document.execCommand('insertText', false, text)) {
    area.setRangeText(text, area.selectionStart, area.selectionEnd, 'end');
    area.dispatchEvent(new Event('input'));
  }
}

/**
 * @param {string} text
 * @param {number} at
 */
function lineStart(text, at) {
  return text.lastIndexOf('\n', at - 1) + 1;
}

// Tab / Shift+Tab: a caret indents to the next multiple of four (or outdents its line); a selection
// indents or outdents every line it touches, and stays selected.
/**
 * @param {HTMLTextAreaElement} area
 * @param {boolean} outdent
 */
function indent(area, outdent) {
  const { value, selectionStart: start, selectionEnd: end } = area;
  if (!outdent && !value.slice(start, end).includes('\n')) {
    const column = start - lineStart(value, start);
    typeText(area, INDENT.slice(column % INDENT.length));
    return;
  }
  const first = lineStart(value, start);
  const stop = end > start && value[end - 1] === '\n' ? end - 1 : end;
  let last = value.indexOf('\n', stop);
  if (last < 0) last = value.length;
  const lines = value.slice(first, last).split('\n');
  const changed = lines.map(line =>
    outdent
      ? line.slice(
          Math.min(INDENT.length, line.length - line.trimStart().length)
        )
      : line && INDENT + line
  );
  const block = changed.join('\n');
  if (block === lines.join('\n')) return;
  const caretOnly = start === end;
  const shift = changed[0].length - lines[0].length;
  area.setSelectionRange(first, last);
  typeText(area, block);
  if (caretOnly)
    area.setSelectionRange(
      Math.max(first, start + shift),
      Math.max(first, start + shift)
    );
  else area.setSelectionRange(first, first + block.length);
}

// Enter keeps the line's indentation.
/** @param {HTMLTextAreaElement} area */
function newline(area) {
  const { value, selectionStart: start } = area;
  const line = value.slice(lineStart(value, start), start);
  typeText(area, '\n' + line.slice(0, line.length - line.trimStart().length));
}

// The Edit box: a textarea (transparent text, visible caret) over a highlighted <pre> kept in sync;
// both wrap alike, and the <pre> sets the height. Ctrl/Shift+Enter runs, Esc cancels.
/**
 * @param {string} code
 * @param {{ run: () => void, cancel: () => void }} actions
 * @param {boolean} [plain] markdown (a notebook cell's): shown without Python highlighting
 */
function codeEditor(code, { run, cancel }, plain = false) {
  const el = document.createElement('div');
  el.className = 'k2nb-editor-wrap';
  const pre = document.createElement('pre');
  pre.className = 'k2nb-editor-highlight';
  pre.setAttribute('aria-hidden', 'true');
  const area = document.createElement('textarea');
  area.className = 'k2nb-editor';
  area.spellcheck = false;
  area.setAttribute('autocomplete', 'off');
  area.setAttribute('autocapitalize', 'off');
  area.setAttribute(
    'aria-label',
    'the code to run (Ctrl+Enter runs it, Esc cancels)'
  );
  // The trailing newline gives an empty last line its height.
  const paint = () =>
    (pre.innerHTML =
      (plain ? escapeHtml(area.value) : highlightPython(area.value)) + '\n');
  area.addEventListener('input', paint);
  onKeys(area, e => {
    if (e.isComposing) return;
    const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || e.shiftKey)) {
      e.preventDefault();
      run();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      cancel();
    } else if (e.key === 'Tab' && plain) {
      e.preventDefault();
      indent(area, e.shiftKey);
    } else if (e.key === 'Enter' && plain) {
      e.preventDefault();
      newline(area);
    }
  });
  /** @param {string} text */
  const reset = text => {
    area.value = text;
    paint();
  };
  reset(code);
  el.append(pre, area);
  return { el, area, reset };
}

// Appending to one ever-growing text node makes the browser lay out the whole trace on every
// batch (long tasks grow with the text); chunks of a few KB, split at line ends, keep each
// layout small. A chunk with no line end for a long time is split at a space.
const CHUNK = 2048;

/** @param {Block} b */
function newChunk(b) {
  const div = document.createElement('div');
  div.className = 'k2nb-chunk';
  const node = document.createTextNode('');
  b.text = node;
  div.append(node);
  b.body.append(div);
  return node;
}

/**
 * @param {Block} b
 * @param {string} text
 */
function appendText(b, text) {
  let node = b.text || newChunk(b);
  if (node.length >= CHUNK) {
    let cut = text.indexOf('\n') + 1;
    if (cut === 0 && node.length >= 4 * CHUNK) cut = text.indexOf(' ') + 1;
    if (cut > 0) {
      node.appendData(text.slice(0, cut));
      node = newChunk(b);
      text = text.slice(cut);
    }
  }
  node.appendData(text);
}

// Slow streams arrive as a batch every second or two (each message costs an envelope, so the kernel
// waits for enough text); revealing each batch's text over the expected gap until the next keeps
// it flowing instead of jumping. Anything but text first shows all pending text, so the view's
// order never changes; hidden tabs and large backlogs skip the animation.
const REVEAL_EVERY_MS = 50;

class Reveal {
  constructor() {
    /** @type {[Block, string][]} [block, text] pairs not shown yet */
    this.queue = [];
    this.queued = 0;
    // expected ms until the next batch: a moving average, at most two seconds (the kernel's max delay)
    this.gap = 1000;
    this.lastArrival = 0;
    this.deadline = 0;
    this.lastTick = 0;
    /** @type {ReturnType<typeof setTimeout> | 0} */
    this.timer = 0;
  }

  /**
   * @param {Block} b
   * @param {string} text
   */
  push(b, text) {
    const now = performance.now();
    if (this.lastArrival)
      this.gap = Math.min(
        2000,
        0.7 * this.gap + 0.3 * (now - this.lastArrival)
      );
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
    const share =
      left <= 0
        ? 1
        : Math.min(1, (now - this.lastTick) / (left + now - this.lastTick));
    this.emit(Math.ceil(this.queued * share));
    this.lastTick = now;
    if (this.queued) this.schedule();
  }

  schedule() {
    // About 20 reveals a second read as flowing text; each costs a layout (and a frame), so a
    // timer rather than one per animation frame.
    this.timer = setTimeout(() => this.tick(), REVEAL_EVERY_MS);
  }

  /** @param {number} count */
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

// The run's clock advances in the view between status ops: a slow stream may send none for
// seconds. Each status op says where its clock is in the text and its value then; one text
// update a second, and none once the run is final.
const TICK_MS = 1000;

class Clock {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    /** @type {ReturnType<typeof setInterval> | 0} */
    this.timer = 0;
  }

  /** @param {StatusOp} op */
  show(op) {
    this.stop();
    this.el.textContent = op.text;
    if (op.final || !Array.isArray(op.clock) || typeof op.elapsed !== 'number')
      return;
    // Kept on the op, so a view rendered later (the log replays) counts from its arrival too.
    if (op.at === undefined) op.at = performance.now();
    const { at, elapsed } = op;
    const head = op.text.slice(0, op.clock[0]);
    const tail = op.text.slice(op.clock[1]);
    const tick = () => {
      const seconds = elapsed + (performance.now() - at) / 1000;
      this.el.textContent = `${head}${seconds.toFixed(1)} s${tail}`;
    };
    tick();
    this.timer = setInterval(tick, TICK_MS);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = 0;
  }
}

// Every button and text field inside `root`, disabled (an answered approval, a lost run).
/** @param {ParentNode} root */
function disableControls(root) {
  /** @type {NodeListOf<HTMLButtonElement | HTMLTextAreaElement | HTMLInputElement>} */
  const controls = root.querySelectorAll('button, textarea, input');
  for (const el of controls) el.disabled = true;
}

class View {
  /**
   * @param {HTMLElement} el
   * @param {string} runId
   */
  constructor(el, runId) {
    this.runId = runId;
    this.root = document.createElement('div');
    this.root.className = 'k2nb-live k2nb-trace';
    this.root.dataset.runId = runId || '';
    // The labextension says so when the kernel restarts mid-run: the run is gone, its buttons with it.
    this.root.addEventListener('k2nb-lost', () => this.lost());
    this.blocksEl = document.createElement('div');
    this.blocksEl.className = 'k2nb-blocks';
    const bar = document.createElement('div');
    bar.className = 'k2nb-status';
    this.statusEl = document.createElement('span');
    this.stopButton = button(
      '■ Stop',
      'Stop this run (the trace so far is kept)',
      () => {
        // Only the k2nb labextension carries the click to the kernel mid-cell (it marks the page);
        // elsewhere (VS Code, Colab) say what does stop the run instead of "stopping…" forever.
        if (!document.body.dataset.k2nbLabextension) {
          this.stopButton.textContent = 'interrupt the kernel (■) to stop';
          return;
        }
        this.stopButton.disabled = true;
        this.stopButton.textContent = 'stopping…';
        answer(this.root, { kind: 'stop', run_id: this.runId });
      }
    );
    this.thinkingButton = button(
      '',
      'Hide or show the thinking of the traces in this notebook',
      () => this.toggleThinking()
    );
    // Its words follow the state through CSS (trace.css/widget.css), wherever the state was changed.
    this.thinkingButton.classList.add('k2nb-thinking-toggle');
    this.thinkingButton.append(
      icon('thinking'),
      label('hide thinking', 'k2nb-when-shown'),
      label('show thinking', 'k2nb-when-hidden')
    );
    // A hidden lane's note ("thinking hidden — show") is its summary: a click shows thinking again.
    this.root.addEventListener('click', event => {
      const summary =
        event.target instanceof Element
          ? event.target.closest('summary')
          : null;
      if (
        !summary ||
        !summary.parentElement?.classList.contains('k2nb-kind-thinking')
      )
        return;
      if (!this.root.closest('.k2nb-hide-thinking')) return;
      event.preventDefault();
      this.toggleThinking();
    });
    // After "Always" nothing asks; the status says so and this turns approvals back on (the click
    // is the user's; the kernel takes only "ask" from the view).
    this.askButton = button(
      'ask again',
      'Ask before each call of model code again, from the next call on',
      () => {
        this.askButton.disabled = true;
        this.askButton.textContent = '✓ the next call asks';
        answer(this.root, { kind: 'approvals', mode: 'ask' });
      }
    );
    this.askButton.hidden = true;
    // --cells: the trace is in the notebook's cells; this scrolls to them (the labextension does).
    this.cellsLink = document.createElement('a');
    this.cellsLink.className = 'k2nb-cells-link';
    this.cellsLink.hidden = true;
    this.clock = new Clock(this.statusEl);
    bar.append(
      this.statusEl,
      this.cellsLink,
      this.askButton,
      this.stopButton,
      this.thinkingButton
    );
    this.root.append(this.blocksEl, bar);
    el.append(this.root);
    /** @type {Map<string, Block>} */
    this.blocks = new Map();
    this.reveal = new Reveal();
    /** @type {(() => void) | null} presenter mode: what → / Space do while a step waits */
    this.next = null;
  }

  // Presenter mode: a large layout (trace.css), and the view takes the keys while it has focus
  // (a click anywhere in it gives it focus): → / Space / PageDown (a clicker's key) say next.
  present() {
    this.root.classList.add('k2nb-present', 'k2nb-keys');
    this.root.tabIndex = 0;
    onKeys(this.root, e => {
      if (e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
      // Space on a focused button presses that button (Next, Stop): the browser does it.
      const onButton = e.composedPath()[0] instanceof HTMLButtonElement;
      if (
        e.key === 'ArrowRight' ||
        e.key === 'PageDown' ||
        (e.key === ' ' && !onButton)
      ) {
        e.preventDefault();
        if (this.next) this.next();
      }
    });
  }

  /**
   * The pause before a step: Next ▶ (or the keys) lets the run send the step's request.
   * @param {PauseOp} op
   */
  pause(op) {
    const box = document.createElement('div');
    box.className = 'k2nb-pause';
    box.append(
      label(
        op.step === 1
          ? 'Paused before the first step: what will the model do?'
          : `Paused before step ${op.step}: what will the model do next?`,
        'k2nb-pause-text'
      )
    );
    if (op.channel === 'buttons') {
      const go = () => {
        if (next.disabled) return;
        // Focus stays in the view, so the next → / Space still reach it.
        if (box.contains(document.activeElement))
          this.root.focus({ preventScroll: true });
        next.disabled = true;
        this.next = null;
        answer(this.root, {
          kind: 'next',
          pause_id: op.pause_id,
          step: op.step
        });
      };
      const next = button(
        'Next ▶',
        `Let the model take step ${op.step} (→ or Space)`,
        go
      );
      next.classList.add('k2nb-next');
      this.next = go;
      box.append(next, label('→ / Space', 'k2nb-pause-hint'));
    } else {
      box.append(
        label(
          'press Enter in the prompt below for the next step',
          'k2nb-pause-hint'
        )
      );
    }
    this.blocksEl.append(box);
    this.blocks.set(op.id, { el: box, summary: null, body: box, text: null });
  }

  /** @param {string} id */
  resume(id) {
    const b = this.blocks.get(id);
    if (!b) return;
    const focused = b.el.contains(document.activeElement);
    b.el.remove();
    this.blocks.delete(id);
    this.next = null;
    if (focused) this.root.focus({ preventScroll: true });
  }

  lost() {
    if (this.root.dataset.final === '1') return;
    this.root.dataset.final = '1';
    this.root.dataset.phase = 'lost';
    disableControls(this.root);
    this.stopButton.hidden = true;
    this.root.classList.remove('k2nb-keys');
    this.next = null;
    this.clock.stop();
    this.statusEl.textContent = 'kernel restarted: this run was lost';
  }

  toggleThinking() {
    // The labextension owns the notebook's state (its toolbar button, saved traces, notebook
    // metadata) and cancels this event; without it, the toggle stays within this view.
    const hidden = !this.root.closest('.k2nb-hide-thinking');
    const handled = !this.root.dispatchEvent(
      new CustomEvent(THINKING_EVENT, {
        detail: { hidden },
        bubbles: true,
        composed: true,
        cancelable: true
      })
    );
    if (!handled) this.root.classList.toggle('k2nb-hide-thinking', hidden);
  }

  /**
   * @param {Block} b
   * @param {ApprovalOp} op
   */
  approval(b, op) {
    const box = document.createElement('div');
    box.className = 'k2nb-approval';
    b.approval = box;
    if (op.channel !== 'buttons') {
      box.textContent =
        'Waiting for your answer in the prompt below: [r]un / [e]dit / [s]kip / [a]lways';
      b.body.append(box);
      return;
    }
    /**
     * @param {string} decision
     * @param {{ code?: string, reason?: string }} extra
     */
    const send = (decision, extra = {}) => {
      disableControls(box);
      answer(this.root, {
        kind: 'approval',
        call_id: op.call_id,
        decision,
        ...extra
      });
    };
    // A notebook change (edit_cell, insert_cell, run_cell) is accepted or rejected; code is run or skipped.
    const change = ['edit', 'insert', 'run'].includes(op.kind || '');
    const words = change
      ? { run: 'Accept', skip: 'Reject', edited: 'Accept edited' }
      : { run: 'Run', skip: 'Skip', edited: 'Run edited' };
    // The read-only code (or the proposed change) above the box; the editor takes its place while editing.
    /** @type {HTMLElement | null} */
    const shown = b.body.querySelector('.k2nb-change-preview, pre.k2nb-code');
    const editor = codeEditor(
      op.code || '',
      {
        run: () => send('edit', { code: editor.area.value }),
        cancel: () => mode('ask', edit)
      },
      op.cell_type === 'markdown'
    );
    const reason = document.createElement('input');
    reason.className = 'k2nb-reason';
    reason.placeholder =
      'optional: why (sent to the model) · Enter skips · Esc cancels';
    onKeys(reason, e => {
      if (e.isComposing) return;
      if (e.key === 'Enter') {
        e.preventDefault();
        send('skip', { reason: reason.value });
      } else if (e.key === 'Escape') {
        e.preventDefault();
        mode('ask', skip);
      }
    });
    const run = button(
      words.run,
      change
        ? 'Make this change in the notebook'
        : 'Run this code in your kernel',
      () => send('run')
    );
    const edit = button(
      'Edit',
      change
        ? 'Change the proposed source, then accept it'
        : 'Change the code, then run it',
      () => {
        if (editor.el.hidden) {
          editor.reset(op.code || '');
          mode('edit', editor.area);
        } else {
          send('edit', { code: editor.area.value });
        }
      }
    );
    const skip = button(
      words.skip,
      change
        ? 'Leave the notebook as it is; tell the model why'
        : 'Do not run it; tell the model why',
      () => {
        if (reason.hidden) {
          mode('skip', reason);
        } else {
          send('skip', { reason: reason.value });
        }
      }
    );
    const always = button(
      'Always',
      change
        ? 'Accept this and every later change or call of this session without asking'
        : 'Run this and every later call of this session without asking',
      () => send('always')
    );
    const cancel = button(
      'Cancel',
      `Back to ${words.run} / Edit / ${words.skip} / Always (Esc)`,
      () => mode('ask', editor.el.hidden ? skip : edit)
    );
    const hint = document.createElement('span');
    hint.className = 'k2nb-editor-hint';
    hint.textContent = `Ctrl+Enter or Shift+Enter ${change ? 'accepts' : 'runs'} it · Tab / Shift+Tab indent · Esc cancels`;
    // ask: the four buttons; edit: the editor with Run edited; skip: the reason with Skip (send).
    /**
     * @param {"ask" | "edit" | "skip"} name
     * @param {HTMLElement} [focus]
     */
    const mode = (name, focus) => {
      run.hidden = always.hidden = name !== 'ask';
      edit.hidden = name === 'skip';
      skip.hidden = name === 'edit';
      cancel.hidden = name === 'ask';
      editor.el.hidden = hint.hidden = name !== 'edit';
      reason.hidden = name !== 'skip';
      if (shown) shown.hidden = name === 'edit';
      edit.textContent = name === 'edit' ? words.edited : 'Edit';
      skip.textContent = name === 'skip' ? `${words.skip} (send)` : words.skip;
      if (focus) focus.focus();
    };
    // The reason field before its buttons: Tab from it reaches Skip (send), not the Stop button.
    box.append(editor.el, reason, run, edit, skip, always, cancel, hint);
    mode('ask');
    b.body.append(box);
  }

  /** @param {BlockOp} op */
  block(op) {
    const details = document.createElement('details');
    details.className = `k2nb-kind-${op.kind}`;
    details.open = op.open !== false;
    const summary = document.createElement('summary');
    const title = label(op.title || '', 'k2nb-label');
    if (ICONS[op.kind]) summary.append(icon(ICONS[op.kind]));
    summary.append(title);
    const body = document.createElement('div');
    body.className = 'k2nb-body';
    if (!op.title) {
      // Untitled blocks (answer text, notices) are plain sections, not foldable.
      const plain = document.createElement('div');
      plain.className = `k2nb-plain-block k2nb-kind-${op.kind}`;
      plain.append(body);
      this.blocksEl.append(plain);
      this.blocks.set(op.id, { el: plain, summary: null, body, text: null });
      return;
    }
    details.append(summary, body);
    this.blocksEl.append(details);
    this.blocks.set(op.id, { el: details, summary: title, body, text: null });
  }

  /**
   * @param {Op[]} ops
   * @param {boolean} live
   */
  apply(ops, live = false) {
    for (const op of ops) {
      if (op.op === 'status') {
        if (op.final) this.reveal.drain();
        this.status(op);
        continue;
      }
      if (op.op === 'present') {
        this.present();
        continue;
      }
      const b = this.blocks.get(op.id);
      if (op.op === 'append') {
        if (b && live) this.reveal.push(b, op.text);
        else if (b) appendText(b, op.text);
        continue;
      }
      this.reveal.drain();
      switch (op.op) {
        case 'block':
          if (!b) this.block(op);
          break;
        case 'html':
          if (!b) break;
          if (op.mode === 'append') {
            b.body.insertAdjacentHTML('beforeend', op.html);
          } else {
            b.body.innerHTML = op.html;
            b.text = null;
            b.body.classList.add('k2nb-rendered');
          }
          if (op.kind)
            b.el.className = b.el.className.replace(
              /k2nb-kind-\S+/,
              `k2nb-kind-${op.kind}`
            );
          break;
        case 'title':
          if (!b) break;
          if (b.summary && op.title !== undefined)
            b.summary.textContent = op.title;
          if (op.open !== undefined && b.el instanceof HTMLDetailsElement)
            b.el.open = op.open;
          if (op.kind) b.el.className = `k2nb-kind-${op.kind}`;
          break;
        case 'approval':
          if (b) this.approval(b, op);
          break;
        case 'approval_done':
          if (b && b.approval) b.approval.remove();
          break;
        case 'pause':
          if (!b) this.pause(op);
          break;
        case 'resume':
          this.resume(op.id);
          break;
      }
    }
  }

  /** @param {StatusOp} op */
  status(op) {
    this.clock.show(op);
    this.root.dataset.phase = op.phase;
    this.askButton.hidden = op.approvals !== 'off' || op.final === true;
    if (op.cells) {
      this.cellsLink.href = op.cells.href;
      this.cellsLink.textContent = op.cells.text;
      this.cellsLink.hidden = false;
      this.root.classList.add('k2nb-compact');
    }
    if (op.final) {
      this.stopButton.hidden = true;
      this.root.dataset.final = '1';
      this.root.classList.remove('k2nb-keys'); // the run is over: keys are the notebook's again
    }
  }
}

/** @param {{ model: Model, el: HTMLElement }} props */
function render({ model, el }) {
  const view = new View(el, runIdOf(model));
  const log = logFor(model);
  view.apply(log.ops);
  log.views.add(view);
  return () => {
    log.views.delete(view);
    if (view.reveal.timer) clearTimeout(view.reveal.timer);
    view.clock.stop();
    release(model, log);
  };
}

export default { initialize, render };
