/**
 * The k2nb labextension: links each notebook to its kernel over a `k2nb` comm,
 * so the kernel side of k2nb can reach the notebook while a cell runs: it relays
 * the live view's answers (approvals, Stop) to the kernel, materializes a
 * run's steps as notebook cells (`%%k2 --cells`), and writes a finished run's
 * saved trace from a compressed copy (tracestatic.ts).
 */

import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CELL_HANDLERS } from './cellsync';
import { addCommands, addToolbarToggle } from './commands';
import { ILinkSettings, KernelLink } from './link';
import { OP_HANDLERS, OpHandler } from './protocol';
import { ANSWER_EVENT, answerMessage, ownerOf } from './relay';
import { TRACE_STATIC_HANDLERS } from './tracestatic';
import { VERSION } from './version';

const PLUGIN_ID = 'k2nb:plugin';

/**
 * The heading of a finished thinking cell; `{seconds}` and `{tokens}` are filled in.
 */
export const DEFAULT_HEADING = '💭 Thought for {seconds} · {tokens}';

/**
 * The plugin's settings, updated in place when the user changes them.
 */
class Settings implements ILinkSettings {
  materializeCells = false;
  collapseThinking = true;
  headingFormat = DEFAULT_HEADING;

  update(settings: ISettingRegistry.ISettings): void {
    this.materializeCells = settings.get('materializeCells').composite === true;
    this.collapseThinking = settings.get('collapseThinking').composite !== false;
    const heading = settings.get('headingFormat').composite;
    this.headingFormat =
      typeof heading === 'string' && heading.trim() !== ''
        ? heading
        : DEFAULT_HEADING;
  }
}

const HANDLERS: ReadonlyMap<string, OpHandler> = new Map<string, OpHandler>([
  ...OP_HANDLERS,
  ...CELL_HANDLERS,
  ...TRACE_STATIC_HANDLERS
]);

function activate(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  settingRegistry: ISettingRegistry | null,
  palette: ICommandPalette | null
): void {
  const settings = new Settings();
  const links = new Set<KernelLink>();
  if (settingRegistry !== null) {
    settingRegistry
      .load(PLUGIN_ID)
      .then(loaded => {
        settings.update(loaded);
        loaded.changed.connect(() => {
          settings.update(loaded);
          links.forEach(link => link.sendSettings());
        });
      })
      .catch((reason: unknown) => {
        console.warn('k2nb: could not load settings, using defaults', reason);
      });
  }

  addCommands(app, tracker, palette);

  const link = (panel: NotebookPanel): void => {
    const kernelLink = new KernelLink({
      panel,
      version: VERSION,
      settings,
      handlers: HANDLERS
    });
    links.add(kernelLink);
    addToolbarToggle(app, panel);
    panel.disposed.connect(() => {
      links.delete(kernelLink);
      kernelLink.dispose();
    });
  };
  tracker.forEach(link);
  tracker.widgetAdded.connect((_tracker, panel) => link(panel));

  // Answers from the live view (approval buttons, Stop) reach the kernel over
  // the notebook's `k2nb` comm, which is served on a subshell mid-cell.
  document.addEventListener(ANSWER_EVENT, (event: Event) => {
    const owners = [...links].map(l => ({
      link: l,
      contains: (node: Node) => l.panel.node.contains(node)
    }));
    const owner = ownerOf(event.composedPath(), owners);
    const clientId = owner?.link.clientId ?? null;
    if (owner === null || clientId === null) {
      console.warn('k2nb: an answer from outside a linked notebook was ignored');
      return;
    }
    const message = answerMessage((event as CustomEvent<unknown>).detail, clientId);
    if (message === null) {
      console.warn('k2nb: ignored a malformed k2nb-answer event');
      return;
    }
    if (!owner.link.sendToKernel(message)) {
      console.warn(
        'k2nb: the notebook is not linked to its kernel (is k2nb loaded there?); the answer was dropped',
        message
      );
    }
  });

  console.log(`k2nb ${VERSION}: labextension activated`);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Links each notebook to its kernel for k2nb: relays approvals and Stop mid-cell, and writes %%k2 runs as cells.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ICommandPalette],
  activate
};

export default plugin;
