/**
 * Hide or show the thinking of every k2nb trace in a notebook, live and saved.
 *
 * The state is the notebook's metadata `k2nb.hide_thinking` (saved with the
 * notebook, so a reopened notebook keeps it); this module mirrors it as the
 * class `k2nb-hide-thinking` on the notebook's node, which trace.css turns into
 * a note ("thinking hidden — show") in place of each thinking lane. Three
 * things change it: the toolbar button / palette command, the live view's
 * button (a `k2nb-thinking` DOM event, cancelled here so the view knows it was
 * handled), and a click on a note in a saved trace.
 */

import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { PartialJSONObject } from '@lumino/coreutils';

export const HIDE_CLASS = 'k2nb-hide-thinking';
export const THINKING_EVENT = 'k2nb-thinking';
export const METADATA_KEY = 'k2nb';
const NOTE_SELECTOR = '.k2nb-static .k2nb-thinking-block > summary';

/**
 * Whether the notebook-level k2nb metadata says thinking is hidden.
 */
export function hiddenIn(metadata: unknown): boolean {
  return (
    metadata !== null &&
    typeof metadata === 'object' &&
    (metadata as { hide_thinking?: unknown }).hide_thinking === true
  );
}

/**
 * The k2nb metadata with thinking hidden or shown; null when nothing is left
 * (the key is then removed, so a notebook that never hid thinking stays clean).
 */
export function withHidden(
  metadata: unknown,
  hidden: boolean
): PartialJSONObject | null {
  const base =
    metadata !== null &&
    typeof metadata === 'object' &&
    !Array.isArray(metadata)
      ? { ...(metadata as PartialJSONObject) }
      : {};
  if (hidden) {
    base['hide_thinking'] = true;
  } else {
    delete base['hide_thinking'];
  }
  return Object.keys(base).length === 0 ? null : base;
}

export function isThinkingHidden(panel: NotebookPanel | null): boolean {
  const model = panel?.content.model ?? null;
  return model !== null && hiddenIn(model.getMetadata(METADATA_KEY));
}

export function setThinkingHidden(panel: NotebookPanel, hidden: boolean): void {
  const model = panel.content.model;
  if (model === null) {
    return;
  }
  const next = withHidden(model.getMetadata(METADATA_KEY), hidden);
  if (next === null) {
    model.deleteMetadata(METADATA_KEY);
  } else {
    model.setMetadata(METADATA_KEY, next);
  }
  applyClass(panel);
}

function applyClass(panel: NotebookPanel): void {
  panel.content.node.classList.toggle(HIDE_CLASS, isThinkingHidden(panel));
}

/**
 * Keep one panel's class in step with its metadata (loading, undo, collaborators);
 * `changed` runs after every change, for the toolbar's label.
 */
export function trackPanel(panel: NotebookPanel, changed: () => void): void {
  const follow = (): void => {
    applyClass(panel);
    changed();
  };
  void panel.context.ready.then(() => {
    follow();
    panel.content.model?.metadataChanged.connect(follow);
  });
}

/**
 * Listen for the live view's toggle and for clicks on a saved trace's note.
 */
export function listenForToggles(
  tracker: INotebookTracker,
  changed: () => void
): void {
  const owner = (event: Event): NotebookPanel | null => {
    const path = event.composedPath();
    return (
      tracker.find(panel =>
        path.some(node => node instanceof Node && panel.node.contains(node))
      ) ?? null
    );
  };
  document.addEventListener(THINKING_EVENT, (event: Event) => {
    const panel = owner(event);
    if (panel === null) {
      return; // not in a notebook: the view toggles itself
    }
    const detail = (event as CustomEvent<{ hidden?: unknown }>).detail;
    event.preventDefault();
    setThinkingHidden(panel, detail?.hidden === true);
    changed();
  });
  document.addEventListener('click', (event: MouseEvent) => {
    const target = event.target;
    if (
      !(target instanceof Element) ||
      target.closest(NOTE_SELECTOR) === null
    ) {
      return;
    }
    const panel = owner(event);
    if (panel === null || !isThinkingHidden(panel)) {
      return; // shown: the summary folds and unfolds its lane as usual
    }
    event.preventDefault();
    setThinkingHidden(panel, false);
    changed();
  });
}
