import type { JSONObject } from '@lumino/coreutils';
import { describe, expect, it } from 'vitest';

import { CellEdit, digest, ICellSnapshot } from '../src/cells';
import {
  EDIT_OP,
  ICellJSON,
  IMAGE_HEAD,
  INSERT_OP,
  OUTPUTS_OP,
  planNotebookOp,
  planRevert,
  readableCells,
  traceLinkOf
} from '../src/workspace';

type Cell = ICellSnapshot & {
  outputs?: JSONObject[];
  execution_count?: number | null;
};

/**
 * A notebook that performs edits as cellsync.applyEdits does on the shared model.
 */
function notebook(...sources: [string, string][]): Cell[] {
  return sources.map(([id, source]) => ({
    id,
    cell_type: 'code',
    source,
    metadata: {}
  }));
}

function apply(cells: Cell[], edits: readonly CellEdit[]): Cell[] {
  let result = cells.map(c => ({ ...c }));
  for (const edit of edits) {
    const cell = result.find(c => 'id' in edit && c.id === edit.id);
    switch (edit.type) {
      case 'insert':
        result.splice(edit.index, 0, { ...edit.cell });
        break;
      case 'delete':
        result = result.filter(c => c.id !== edit.id);
        break;
      case 'set-source':
        cell!.source = edit.source;
        break;
      case 'set-outputs':
        cell!.outputs = edit.outputs;
        cell!.execution_count = edit.execution_count;
        break;
      case 'set-metadata':
        cell!.metadata = { ...cell!.metadata, [edit.key]: edit.value };
        break;
      default:
        throw new Error(`unexpected edit ${edit.type}`);
    }
  }
  return result;
}

function planned(cells: Cell[], message: JSONObject): CellEdit[] {
  const result = planNotebookOp(cells, message);
  if ('error' in result) {
    throw new Error(result.error);
  }
  return result.edits;
}

const CHANGE = {
  kind: 'edit',
  run_id: 'r1',
  step: 2,
  call_id: 'c1',
  approval: 'approved'
};

describe('notebook-read', () => {
  it('sends every cell, cutting figures and long texts of cells not asked for whole', () => {
    const png = 'iVBORw0KGgo' + 'A'.repeat(5000);
    const cells = [
      {
        id: 'a',
        cell_type: 'code',
        source: 'plot()',
        outputs: [
          {
            output_type: 'display_data',
            data: { 'image/png': png, 'text/plain': '<Figure>' }
          },
          { output_type: 'stream', name: 'stdout', text: 'x'.repeat(30_000) }
        ]
      },
      {
        id: 'b',
        cell_type: 'code',
        source: 'plot()',
        outputs: [{ output_type: 'display_data', data: { 'image/png': png } }]
      }
    ] as unknown as ICellJSON[];
    const [a, b] = readableCells(cells, new Set(['b']));
    const [figure, text] = a['outputs'] as JSONObject[];
    expect((figure['data'] as JSONObject)['image/png']).toBe(
      png.slice(0, IMAGE_HEAD)
    );
    expect((figure['data'] as JSONObject)['text/plain']).toBe('<Figure>');
    expect((text['text'] as string).length).toBe(20_000);
    expect(
      ((b['outputs'] as JSONObject[])[0]['data'] as JSONObject)['image/png']
    ).toBe(png);
    expect(
      (cells[0] as unknown as { outputs: JSONObject[] }).outputs[1]['text']
    ).toHaveLength(30_000); // untouched
  });
});

describe('notebook-edit', () => {
  it('replaces exactly that cell and records what it replaced', () => {
    const cells = notebook(
      ['a', 'x = 1'],
      ['b', 'print(totl)'],
      ['c', 'y = 2']
    );
    const after = apply(
      cells,
      planned(cells, {
        op: EDIT_OP,
        id: 'b',
        source: 'print(total)',
        expect: 'print(totl)',
        change: { ...CHANGE, replaced: 'print(totl)' }
      })
    );
    expect(after.map(c => c.source)).toEqual([
      'x = 1',
      'print(total)',
      'y = 2'
    ]);
    const changes = (after[1].metadata['k2nb'] as JSONObject)[
      'changes'
    ] as JSONObject[];
    expect(changes).toEqual([
      { ...CHANGE, replaced: 'print(totl)', digest: digest('print(total)') }
    ]);
    expect(after[0].metadata).toEqual({});
  });

  it('refuses when the cell changed since the model read it, or is gone', () => {
    const cells = notebook(['b', 'print(totl)  # mine']);
    expect(
      planNotebookOp(cells, {
        op: EDIT_OP,
        id: 'b',
        source: 'z',
        expect: 'print(totl)'
      })
    ).toEqual({
      error:
        'the cell changed since it was read (someone edited it): read it again before editing'
    });
    expect(
      planNotebookOp(cells, { op: EDIT_OP, id: 'gone', source: 'z' })
    ).toEqual({ error: 'no cell with id gone (deleted?)' });
  });
});

describe('notebook-insert and notebook-outputs', () => {
  it('inserts after the given cell and answers its position', () => {
    const cells = notebook(['a', '1'], ['k2', '%%k2'], ['z', '2']);
    const cell = {
      id: 'new',
      cell_type: 'markdown',
      source: '## Note',
      metadata: { k2nb: { changes: [{ ...CHANGE, kind: 'insert' }] } }
    };
    const result = planNotebookOp(cells, { op: INSERT_OP, after: 'k2', cell });
    expect('position' in result && result.position).toBe(3);
    const after = apply(cells, 'edits' in result ? result.edits : []);
    expect(after.map(c => c.id)).toEqual(['a', 'k2', 'new', 'z']);
    expect(
      ((after[2].metadata['k2nb'] as JSONObject)['changes'] as JSONObject[])[0][
        'digest'
      ]
    ).toBe(digest('## Note'));
    expect(planNotebookOp(after, { op: INSERT_OP, after: 'k2', cell })).toEqual(
      { error: 'a cell with id new exists already' }
    );
  });

  it("writes a run's outputs and execution count into that cell", () => {
    const cells = notebook(['a', 'print(1)']);
    const outputs = [{ output_type: 'stream', name: 'stdout', text: '1\n' }];
    const after = apply(
      cells,
      planned(cells, {
        op: OUTPUTS_OP,
        id: 'a',
        outputs,
        execution_count: 7,
        change: { ...CHANGE, kind: 'run' }
      })
    );
    expect(after[0].outputs).toEqual(outputs);
    expect(after[0].execution_count).toBe(7);
    expect(after[0].source).toBe('print(1)');
  });
});

describe('revert', () => {
  it('gives an edited cell its old source back, once, and not after someone changed it', () => {
    const cells = notebook(['b', 'print(totl)']);
    const edited = apply(
      cells,
      planned(cells, {
        op: EDIT_OP,
        id: 'b',
        source: 'print(total)',
        change: { ...CHANGE, replaced: 'print(totl)' }
      })
    );
    const revert = planRevert(edited, 'b', 'c1', '2026-12-01T00:00:00Z');
    const reverted = apply(edited, 'edits' in revert ? revert.edits : []);
    expect(reverted[0].source).toBe('print(totl)');
    expect(planRevert(reverted, 'b', 'c1', 'later')).toEqual({
      error: 'already reverted'
    });
    const touched = edited.map(c => ({
      ...c,
      source: 'print(total)  # and mine'
    }));
    expect(planRevert(touched, 'b', 'c1', 'now')).toEqual({
      error:
        'the cell was changed since: revert it by hand (Ctrl+Z in the cell)'
    });
  });

  it('removes an inserted cell', () => {
    const cells = notebook(['k2', '%%k2']);
    const cell = {
      id: 'new',
      cell_type: 'code',
      source: 'plot()',
      metadata: { k2nb: { changes: [{ ...CHANGE, kind: 'insert' }] } }
    };
    const inserted = apply(
      cells,
      planned(cells, { op: INSERT_OP, after: 'k2', cell })
    );
    const revert = planRevert(inserted, 'new', 'c1', 'now');
    expect(
      apply(inserted, 'edits' in revert ? revert.edits : []).map(c => c.id)
    ).toEqual(['k2']);
  });
});

describe('trace links', () => {
  it('reads the cell link and the revert link', () => {
    expect(traceLinkOf('#k2nb-cell-abc-1')).toEqual({
      kind: 'cell',
      cell: 'abc-1'
    });
    expect(traceLinkOf('#k2nb-revert-abc~functions.edit_cell%3A3')).toEqual({
      kind: 'revert',
      cell: 'abc',
      call: 'functions.edit_cell:3'
    });
    expect(traceLinkOf('#k2nb-run-x')).toBeNull();
    expect(traceLinkOf('#k2nb-revert-abc')).toBeNull();
  });
});
