import type { JSONObject, ReadonlyJSONObject } from '@lumino/coreutils';
import { describe, expect, it } from 'vitest';

import {
  CellEdit,
  digest,
  ICellSnapshot,
  isCollapsed,
  isPristine,
  planCellOp,
  planToggleThinking,
  shouldCollapseThinking
} from '../src/cells';

/**
 * A tiny in-memory notebook that performs edits like cellsync.applyEdits does.
 */
class Notebook {
  cells: {
    id: string;
    cell_type: string;
    source: string;
    metadata: JSONObject;
    outputs?: JSONObject[];
  }[] = [];

  constructor(...ids: string[]) {
    for (const id of ids) {
      this.cells.push({
        id,
        cell_type: 'code',
        source: `# ${id}`,
        metadata: {}
      });
    }
  }

  get snapshot(): ICellSnapshot[] {
    return this.cells.map(c => ({ ...c }));
  }

  apply(message: ReadonlyJSONObject): CellEdit[] {
    const edits = planCellOp(this.snapshot, message);
    for (const edit of edits) {
      const cell = this.cells.find(c => 'id' in edit && c.id === edit.id);
      switch (edit.type) {
        case 'insert':
          this.cells.splice(edit.index, 0, { ...edit.cell });
          break;
        case 'delete':
          this.cells = this.cells.filter(c => c.id !== edit.id);
          break;
        case 'append':
          cell!.source += edit.text;
          break;
        case 'set-source':
          cell!.source = edit.source;
          break;
        case 'set-outputs':
          cell!.outputs = edit.outputs;
          break;
        case 'set-metadata':
          cell!.metadata = { ...cell!.metadata, [edit.key]: edit.value };
          break;
      }
    }
    return edits;
  }

  get ids(): string[] {
    return this.cells.map(c => c.id);
  }

  get(id: string) {
    return this.cells.find(c => c.id === id)!;
  }
}

function insert(
  runId: string,
  id: string,
  after: string,
  role = 'thinking',
  cellType = 'markdown'
): JSONObject {
  return {
    op: 'cell-insert',
    run_id: runId,
    anchor: 'k2',
    after,
    cell: {
      id,
      cell_type: cellType,
      source: '',
      metadata: { k2nb: { run_id: runId, anchor: 'k2', role } }
    }
  };
}

function run(nb: Notebook, runId: string): string[] {
  nb.apply({ op: 'cells-begin', run_id: runId, anchor: 'k2' });
  const a = `${runId}-1`,
    b = `${runId}-2`,
    c = `${runId}-3`;
  nb.apply(insert(runId, a, 'k2'));
  nb.apply({ op: 'cell-append', id: a, text: 'thinking…' });
  nb.apply(insert(runId, b, a, 'code', 'code'));
  nb.apply({
    op: 'cell-update',
    id: b,
    source: 'print(1)',
    outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }]
  });
  nb.apply(insert(runId, c, b, 'answer'));
  nb.apply({ op: 'cell-append', id: c, text: 'The answer' });
  return [a, b, c];
}

describe('digest', () => {
  it('is FNV-1a over UTF-16 code units (same as k2nb/notebook/cells.py)', () => {
    expect(digest('')).toBe('811c9dc5');
    expect(digest('a')).toBe('e40c292c');
    expect(digest('💭 x')).toBe(digest('💭 x'));
    expect(digest('ab')).not.toBe(digest('ba'));
  });
});

describe('planCellOp', () => {
  it('inserts a run below its %%k2 cell, in order, before the cells that follow', () => {
    const nb = new Notebook('top', 'k2', 'mine');
    const [a, b, c] = run(nb, 'r1');
    expect(nb.ids).toEqual(['top', 'k2', a, b, c, 'mine']);
    expect(nb.get(a).source).toBe('thinking…');
    expect(nb.get(b).source).toBe('print(1)');
    expect(nb.get(b).outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: '1\n' }
    ]);
    for (const id of [a, b, c]) {
      expect(isPristine(nb.get(id))).toBe(true);
    }
  });

  it('re-running replaces only its own earlier cells and detaches edited ones', () => {
    const nb = new Notebook('k2', 'mine');
    const [a, b] = run(nb, 'r1');
    nb.get(b).source = 'print(2)  # my fix';
    const other = {
      op: 'cell-insert',
      run_id: 'o1',
      anchor: 'other',
      after: 'mine',
      cell: {
        id: 'o1-1',
        cell_type: 'markdown',
        source: 'x',
        metadata: { k2nb: { run_id: 'o1', anchor: 'other', role: 'answer' } }
      }
    };
    nb.apply(other);
    const [a2, b2, c2] = run(nb, 'r2');
    expect(nb.ids).toEqual(['k2', a2, b2, c2, b, 'mine', 'o1-1']);
    expect(nb.ids).not.toContain(a);
    const kept = nb.get(b);
    expect(kept.source).toBe('print(2)  # my fix');
    expect((kept.metadata['k2nb'] as JSONObject)['detached']).toBe(true);
    // a third run leaves the detached cell alone
    run(nb, 'r3');
    expect(nb.ids).toContain(b);
    expect(nb.get(b).source).toBe('print(2)  # my fix');
  });

  it('never writes into a cell the user edited mid-run', () => {
    const nb = new Notebook('k2');
    nb.apply({ op: 'cells-begin', run_id: 'r', anchor: 'k2' });
    nb.apply(insert('r', 't', 'k2'));
    nb.apply({ op: 'cell-append', id: 't', text: 'abc' });
    nb.get('t').source = 'my note';
    expect(nb.apply({ op: 'cell-append', id: 't', text: 'def' })).toEqual([]);
    nb.apply({
      op: 'cell-update',
      id: 't',
      source: 'final',
      jupyter: { source_hidden: true }
    });
    expect(nb.get('t').source).toBe('my note');
    expect(isCollapsed(nb.get('t'))).toBe(false);
  });

  it('falls back when the cell to insert after is gone, and ignores duplicates', () => {
    const nb = new Notebook('k2', 'end');
    nb.apply(insert('r', 'x1', 'k2'));
    nb.cells = nb.cells.filter(c => c.id !== 'x1');
    nb.apply(insert('r', 'x2', 'x1'));
    expect(nb.ids).toEqual(['k2', 'x2', 'end']);
    nb.apply(insert('r', 'x3', 'gone'));
    expect(nb.ids).toEqual(['k2', 'x2', 'x3', 'end']);
    expect(nb.apply(insert('r', 'x3', 'k2'))).toEqual([]);
    const lost = new Notebook('a');
    lost.apply({ ...insert('q', 'q1', 'nowhere'), anchor: 'nowhere' });
    expect(lost.ids).toEqual(['a', 'q1']);
  });

  it('collapses with jupyter.source_hidden and keeps other jupyter metadata', () => {
    const nb = new Notebook('k2');
    nb.apply(insert('r', 't', 'k2'));
    nb.get('t').metadata['jupyter'] = { outputs_hidden: false };
    nb.apply({
      op: 'cell-update',
      id: 't',
      source: '💭 Thought for 1 s\n\nx',
      jupyter: { source_hidden: true }
    });
    expect(nb.get('t').metadata['jupyter']).toEqual({
      outputs_hidden: false,
      source_hidden: true
    });
    expect(isPristine(nb.get('t'))).toBe(true);
  });

  it('rejects malformed operations without touching the notebook', () => {
    const nb = new Notebook('k2');
    const bad: JSONObject[] = [
      { op: 'cell-insert', cell: { id: 'x', cell_type: 'raw', source: '' } },
      { op: 'cell-insert', cell: { cell_type: 'markdown', source: '' } },
      { op: 'cell-insert', cell: 'nope' },
      { op: 'cell-append', id: 'k2', text: 'x' },
      { op: 'cell-update', id: 'k2', source: 'x' },
      { op: 'cells-begin' },
      { op: 'unknown' }
    ];
    for (const message of bad) {
      expect(nb.apply(message)).toEqual([]);
    }
    expect(nb.ids).toEqual(['k2']);
    expect(nb.get('k2').source).toBe('# k2');
  });
});

describe('thinking toggle', () => {
  it('collapses all when any is open, expands all when all are collapsed', () => {
    const nb = new Notebook('k2');
    run(nb, 'r');
    nb.apply(insert('r', 't2', 'r-3'));
    nb.apply({
      op: 'cell-update',
      id: 'r-1',
      jupyter: { source_hidden: true }
    });
    expect(shouldCollapseThinking(nb.snapshot)).toBe(true);
    const collapse = planToggleThinking(nb.snapshot, true);
    expect(collapse.map(e => 'id' in e && e.id)).toEqual(['t2']);
    nb.get('t2').metadata['jupyter'] = { source_hidden: true };
    expect(shouldCollapseThinking(nb.snapshot)).toBe(false);
    const expand = planToggleThinking(nb.snapshot, false);
    expect(expand).toEqual([
      { type: 'set-metadata', id: 'r-1', key: 'jupyter', value: {} },
      { type: 'set-metadata', id: 't2', key: 'jupyter', value: {} }
    ]);
  });
});
