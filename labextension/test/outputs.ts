import type { PartialJSONObject } from '@lumino/coreutils';

export type Output = {
  output_type: string;
  data: PartialJSONObject;
  metadata: PartialJSONObject;
};

/**
 * A cell's output list as JupyterLab's IOutputAreaModel shows it to the modules.
 */
export class Outputs {
  constructor(public items: Output[]) {}
  get length(): number {
    return this.items.length;
  }
  get(index: number): { data: PartialJSONObject } {
    return this.items[index];
  }
  set(index: number, output: Output): void {
    this.items[index] = output;
  }
  add(output: Output): number {
    return this.items.push(output);
  }
}
