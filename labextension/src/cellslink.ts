/**
 * The link in a `%%k2 --cells` run's output ("↓ the steps are in the cells
 * below", `href="#k2nb-run-RUN_ID"`, k2nb/ui/cells_link.py): a click scrolls
 * the notebook to the first cell whose `k2nb` metadata has that `run_id`.
 *
 * Pure (no JupyterLab at runtime), so it can be unit-tested; index.ts wires it
 * to clicks in linked notebooks.
 */

import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

/**
 * The class of the link, in the live view and in the saved output.
 */
export const CELLS_LINK_CLASS = 'k2nb-cells-link';

const PREFIX = '#k2nb-run-';

/**
 * The run id a link's `href` points at, or null when it is not a cells link.
 */
export function runOfHref(href: string | null): string | null {
  if (href === null || !href.startsWith(PREFIX)) {
    return null;
  }
  const run = href.slice(PREFIX.length);
  return /^[\w-]+$/.test(run) ? run : null;
}

/**
 * The index of the first cell materialized by `run`, or -1.
 */
export function firstCellOfRun(
  metadata: readonly ReadonlyPartialJSONObject[],
  run: string
): number {
  return metadata.findIndex(meta => {
    const k2nb = meta['k2nb'];
    return (
      k2nb !== null &&
      typeof k2nb === 'object' &&
      !Array.isArray(k2nb) &&
      (k2nb as ReadonlyPartialJSONObject)['run_id'] === run
    );
  });
}
