/**
 * The k2nb labextension: links each notebook to its kernel over a `k2nb` comm,
 * so the kernel side of k2nb can reach the notebook while a cell runs: it relays
 * the live view's answers (approvals, Stop) to the kernel, materializes a
 * run's steps as notebook cells (`%%k2 --cells`), writes a finished run's
 * saved trace from a compressed copy (tracestatic.ts), and reads and changes
 * the notebook for the model's notebook tools (workspace.ts).
 */

import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CELL_HANDLERS } from './cellsync';
import { announce, writesForAll } from './collab';
import { CELLS_LINK_CLASS, firstCellOfRun, runOfHref } from './cellslink';
import { addCommands, addToolbarToggle } from './commands';
import { ILinkSettings, KernelLink } from './link';
import { liveRendererFactory, showOverSharedOutput } from './liveview';
import { OP_HANDLERS, OpHandler } from './protocol';
import { AttachedRuns } from './reattach';
import { ANSWER_EVENT, answerMessage, ownerOf } from './relay';
import { explainMissingMagic, LostRuns, markRunsLost } from './restart';
import { TRACE_STATIC_HANDLERS } from './tracestatic';
import { VERSION } from './version';
import { traceLinkOf } from './workspace';
import { followTraceLink, NOTEBOOK_HANDLERS } from './workspacesync';
import schema from '../schema/plugin.json';

const PLUGIN_ID = 'k2nb:plugin';

// The settings' defaults are the schema's (labextension/schema/plugin.json), their one source;
// the kernel reads the same file (k2nb/notebook/settings_schema.py).
const PROPERTIES = schema.properties;

/**
 * The heading of a finished thinking cell; `{seconds}` and `{tokens}` are filled in.
 */
export const DEFAULT_HEADING: string = PROPERTIES.headingFormat.default;

/**
 * The plugin's settings, updated in place when the user changes them.
 */
class Settings implements ILinkSettings {
  materializeCells: boolean = PROPERTIES.materializeCells.default;
  collapseThinking: boolean = PROPERTIES.collapseThinking.default;
  headingFormat = DEFAULT_HEADING;

  update(settings: ISettingRegistry.ISettings): void {
    this.materializeCells = settings.get('materializeCells').composite === true;
    this.collapseThinking =
      settings.get('collapseThinking').composite !== false;
    const heading = settings.get('headingFormat').composite;
    this.headingFormat =
      typeof heading === 'string' && heading.trim() !== ''
        ? heading
        : DEFAULT_HEADING;
  }
}

function activate(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  settingRegistry: ISettingRegistry | null,
  palette: ICommandPalette | null,
  rendermime: IRenderMimeRegistry | null
): void {
  // Runs still streaming when this page opened, shown live again (reattach.ts).
  const attached = new AttachedRuns(showOverSharedOutput);
  rendermime?.addFactory(liveRendererFactory(attached), 0);
  const handlers: ReadonlyMap<string, OpHandler> = new Map<string, OpHandler>([
    ...OP_HANDLERS,
    ...CELL_HANDLERS,
    ...attached.endingRuns(TRACE_STATIC_HANDLERS),
    ...NOTEBOOK_HANDLERS,
    ...(rendermime !== null ? attached.handlers : [])
  ]);
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
      handlers
    });
    links.add(kernelLink);
    addToolbarToggle(app, panel);
    // Collaborators' k2nb tabs agree on who writes what no kernel assigns (collab.ts).
    void panel.context.ready.then(() => announce(panel, VERSION));
    // A restart loses the runs streaming in the old kernel: say so where they were
    // (in a collaborative notebook, written by one of its clients: restart.ts).
    const lost = new LostRuns(() => writesForAll(panel));
    const onStatus = (_: unknown, status: string): void => {
      const action = lost.next(status);
      if (action !== 'none') {
        markRunsLost(panel, action === 'write');
        attached.clear();
      }
    };
    panel.sessionContext.statusChanged.connect(onStatus);
    panel.disposed.connect(() => {
      links.delete(kernelLink);
      kernelLink.dispose();
    });
  };
  tracker.forEach(link);
  tracker.widgetAdded.connect((_tracker, panel) => link(panel));

  // `%%k2` in a kernel that has not loaded k2nb (a new or restarted one): say how to load it.
  NotebookActions.executed.connect((_, { cell, success }) => {
    if (!success) {
      explainMissingMagic(cell);
    }
  });

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
      console.warn(
        'k2nb: an answer from outside a linked notebook was ignored'
      );
      return;
    }
    const message = answerMessage(
      (event as CustomEvent<unknown>).detail,
      clientId
    );
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

  // A trace's links to a cell the model changed: scroll to it, or revert the change (workspace.ts).
  document.addEventListener(
    'click',
    (event: MouseEvent) => {
      const target = event.target as Element | null;
      const anchor = target?.closest?.('a[href^="#k2nb-"]') ?? null;
      const link = traceLinkOf(anchor?.getAttribute('href') ?? null);
      const panel = [...links].find(
        l => anchor !== null && l.panel.node.contains(anchor)
      )?.panel;
      if (link === null || anchor === null || panel === undefined) {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      const said = followTraceLink(panel, link);
      if (said !== null) {
        anchor.textContent = said;
        anchor.classList.add('k2nb-link-done');
      }
    },
    true
  );

  // "↓ the steps are in the cells below" in a --cells run's output: scroll to those cells.
  document.addEventListener(
    'click',
    (event: MouseEvent) => {
      const target = event.target as Element | null;
      const anchor = target?.closest?.(`a.${CELLS_LINK_CLASS}`) ?? null;
      const run = runOfHref(anchor?.getAttribute('href') ?? null);
      const panel = [...links].find(
        l => anchor !== null && l.panel.node.contains(anchor)
      )?.panel;
      if (run === null || panel === undefined) {
        return;
      }
      const notebook = panel.content;
      const index = firstCellOfRun(
        notebook.widgets.map(cell => cell.model.metadata),
        run
      );
      event.preventDefault();
      if (index < 0) {
        console.warn(`k2nb: no cells of run ${run} in this notebook`);
        return;
      }
      notebook.activeCellIndex = index;
      void notebook.scrollToItem(index, 'start');
    },
    true
  );

  // The live view's Stop button relays through this plugin; without it, it says to interrupt instead.
  document.body.dataset.k2nbLabextension = VERSION;
  console.log(`k2nb ${VERSION}: labextension activated`);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Links each notebook to its kernel for k2nb: relays approvals and Stop mid-cell, and writes %%k2 runs as cells.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ICommandPalette, IRenderMimeRegistry],
  activate
};

export default plugin;
