/**
 * The k2nb commands: the palette entries and the notebook toolbar toggles
 * (thinking cells of `--cells` runs; thinking lanes of the traces).
 */

import type { JupyterFrontEnd } from '@jupyterlab/application';
import { CommandToolbarButton, ICommandPalette } from '@jupyterlab/apputils';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { shouldCollapseThinking } from './cells';
import { setThinkingCollapsed, snapshot } from './cellsync';
import {
  isThinkingHidden,
  listenForToggles,
  setThinkingHidden,
  trackPanel
} from './thinking';

export namespace CommandIDs {
  export const toggleThinking = 'k2nb:toggle-thinking';
  export const toggleThinkingLanes = 'k2nb:toggle-thinking-lanes';
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

// The icons are trace.css's SVG masks (no emoji font needed), beside a text label.
const THINKING_ICON = 'k2nb-icon k2nb-icon-thinking';

/**
 * Register the commands (and the palette entry when there is a palette).
 */
export function addCommands(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  palette: ICommandPalette | null
): void {
  app.commands.addCommand(CommandIDs.toggleThinking, {
    describedBy: { args: { type: 'object', properties: {} } },
    label: 'k2nb: collapse/expand all thinking cells',
    caption: 'Collapse every thinking cell k2nb wrote, or expand them all',
    iconClass: THINKING_ICON,
    isEnabled: () => tracker.currentWidget !== null,
    execute: () => {
      const panel = tracker.currentWidget;
      return panel === null ? 0 : toggleThinking(panel);
    }
  });
  palette?.addItem({ command: CommandIDs.toggleThinking, category: 'k2nb' });

  // Thinking lanes of the traces (live and saved); the toolbar button names its own notebook.
  const panelOf = (args: { panel?: unknown }): NotebookPanel | null =>
    typeof args.panel === 'string'
      ? (tracker.find(p => p.id === args.panel) ?? null)
      : tracker.currentWidget;
  const changed = (): void =>
    app.commands.notifyCommandChanged(CommandIDs.toggleThinkingLanes);
  app.commands.addCommand(CommandIDs.toggleThinkingLanes, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          panel: {
            type: 'string',
            description:
              'The id of the notebook panel (default: the current notebook)'
          }
        }
      }
    },
    label: args => {
      if (args.panel === undefined) {
        return 'k2nb: hide/show thinking in traces';
      }
      return isThinkingHidden(panelOf(args))
        ? 'Thinking: hidden'
        : 'Thinking: shown';
    },
    caption:
      'Hide or show the thinking of every k2nb trace in this notebook (saved with the notebook)',
    iconClass: THINKING_ICON,
    isToggled: args => isThinkingHidden(panelOf(args)),
    isEnabled: args => panelOf(args) !== null,
    execute: args => {
      const panel = panelOf(args);
      if (panel !== null) {
        setThinkingHidden(panel, !isThinkingHidden(panel));
        changed();
      }
    }
  });
  palette?.addItem({
    command: CommandIDs.toggleThinkingLanes,
    category: 'k2nb'
  });
  listenForToggles(tracker, changed);
  tracker.widgetAdded.connect((_tracker, panel) => trackPanel(panel, changed));
  tracker.forEach(panel => trackPanel(panel, changed));
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
    label: 'Thinking cells'
  });
  button.addClass('k2nb-toggle-thinking');
  const buttonPlaced = panel.toolbar.insertAfter(
    'cellType',
    'k2nb-toggle-thinking',
    button
  );
  if (!buttonPlaced) {
    panel.toolbar.addItem('k2nb-toggle-thinking', button);
  }
  const lanes = new CommandToolbarButton({
    commands: app.commands,
    id: CommandIDs.toggleThinkingLanes,
    args: { panel: panel.id }
  });
  lanes.addClass('k2nb-thinking-lanes');
  const lanesPlaced = panel.toolbar.insertAfter(
    'k2nb-toggle-thinking',
    'k2nb-thinking-lanes',
    lanes
  );
  if (!lanesPlaced) {
    panel.toolbar.addItem('k2nb-thinking-lanes', lanes);
  }
}
