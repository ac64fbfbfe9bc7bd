/**
 * The k2nb labextension: links each notebook to its kernel over a `k2nb` comm,
 * so the kernel side of k2nb can reach the notebook while a cell runs.
 */

import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { ILinkSettings, KernelLink } from './link';
import { VERSION } from './version';

const PLUGIN_ID = 'k2nb:plugin';

/**
 * The plugin's settings, updated in place when the user changes them.
 */
class Settings implements ILinkSettings {
  materializeCells = false;

  update(settings: ISettingRegistry.ISettings): void {
    this.materializeCells = settings.get('materializeCells').composite === true;
  }
}

function activate(
  _app: JupyterFrontEnd,
  tracker: INotebookTracker,
  settingRegistry: ISettingRegistry | null
): void {
  const settings = new Settings();
  if (settingRegistry !== null) {
    settingRegistry
      .load(PLUGIN_ID)
      .then(loaded => {
        settings.update(loaded);
        loaded.changed.connect(() => settings.update(loaded));
      })
      .catch((reason: unknown) => {
        console.warn('k2nb: could not load settings, using defaults', reason);
      });
  }

  const link = (panel: NotebookPanel): void => {
    const kernelLink = new KernelLink({ panel, version: VERSION, settings });
    panel.disposed.connect(() => kernelLink.dispose());
  };
  tracker.forEach(link);
  tracker.widgetAdded.connect((_tracker, panel) => link(panel));

  console.log(`k2nb ${VERSION}: labextension activated`);
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Opens a k2nb comm between each notebook and its kernel, so the agent can reach the notebook mid-cell.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry],
  activate
};

export default plugin;
