/**
 * The k2nb commands: the palette entry and the notebook toolbar toggle.
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import { CommandToolbarButton, ICommandPalette } from '@jupyterlab/apputils';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { shouldCollapseThinking } from './cells';
import { setThinkingCollapsed, snapshot } from './cellsync';

export namespace CommandIDs {
  export const toggleThinking = 'k2nb:toggle-thinking';
}

/**
 * Collapse every thinking cell of the notebook if any is expanded, else expand them all.
 * Returns the number of cells changed.
 */
export function toggleThinking(panel: NotebookPanel): number {
  const model = panel.content.model;
  if (model === null) {
    return 0;
  }
  const collapse = shouldCollapseThinking(snapshot(model.sharedModel));
  return setThinkingCollapsed(panel, collapse);
}

/**
 * Register the commands (and the palette entry when there is a palette).
 */
export function addCommands(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  palette: ICommandPalette | null
): void {
  app.commands.addCommand(CommandIDs.toggleThinking, {
    label: 'k2nb: collapse/expand all thinking cells',
    caption: 'Collapse every 💭 thinking cell k2nb wrote, or expand them all',
    isEnabled: () => tracker.currentWidget !== null,
    execute: () => {
      const panel = tracker.currentWidget;
      return panel === null ? 0 : toggleThinking(panel);
    }
  });
  palette?.addItem({ command: CommandIDs.toggleThinking, category: 'k2nb' });
}

/**
 * Add the thinking toggle to a notebook's toolbar.
 */
export function addToolbarToggle(
  app: JupyterFrontEnd,
  panel: NotebookPanel
): void {
  const button = new CommandToolbarButton({
    commands: app.commands,
    id: CommandIDs.toggleThinking,
    label: '💭'
  });
  button.addClass('k2nb-toggle-thinking');
  if (!panel.toolbar.insertAfter('cellType', 'k2nb-toggle-thinking', button)) {
    panel.toolbar.addItem('k2nb-toggle-thinking', button);
  }
}
