import { must } from './must.ts';
import type { Open, OpenSink } from './world.ts';

/** Min-heap of opens by (t, seq): contacts opened while simulating an hour (call-backs) join the queue. */
export class OpenQueue implements OpenSink {
  private readonly a: Open[] = [];
  private static less(x: Open, y: Open): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(o: Open): void {
    const a = this.a;
    a.push(o);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = must(a[p], 'heap parent');
      if (!OpenQueue.less(o, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = o;
  }
  pop(): Open | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const left = must(a[l], 'heap child');
      const right = a[r];
      const c = right !== undefined && OpenQueue.less(right, left) ? r : l;
      const child = c === r && right !== undefined ? right : left;
      if (!OpenQueue.less(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
