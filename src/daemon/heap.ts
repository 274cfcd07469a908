/**
 * A binary min-heap of named items ordered by (at, then priority, higher
 * first, then name), with a position index so that push, pop, update and
 * remove by name are all O(log n) and peek is O(1).
 */

export interface HeapItem {
  readonly name: string;
  /** When the item is due (epoch ms). */
  at: number;
  /** −2 … 2; higher comes first among items due at the same instant. */
  priority: number;
}

/** Whether `a` comes strictly before `b`. Names are unique, so this is a total order. */
export function comesBefore(a: HeapItem, b: HeapItem): boolean {
  if (a.at !== b.at) return a.at < b.at;
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.name < b.name;
}

export class SlotHeap<T extends HeapItem> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  get(name: string): T | undefined {
    const i = this.index.get(name);
    return i === undefined ? undefined : this.items[i];
  }

  /** Adds an item; an item of the same name already present is replaced. */
  push(item: T): void {
    if (this.index.has(item.name)) this.remove(item.name);
    this.items.push(item);
    this.index.set(item.name, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top.name);
    return top;
  }

  /** Restores the order after the caller changed the named item's `at` or `priority` in place. */
  update(name: string): void {
    const i = this.index.get(name);
    if (i === undefined) return;
    this.down(this.up(i));
  }

  /** Takes the named item out; returns it, or undefined when absent. */
  remove(name: string): T | undefined {
    const i = this.index.get(name);
    if (i === undefined) return undefined;
    const item = this.at(i);
    const last = this.items.pop();
    this.index.delete(name);
    if (last !== undefined && last !== item) {
      this.place(last, i);
      this.down(this.up(i));
    }
    return item;
  }

  /** Every item, in no particular order. */
  values(): readonly T[] {
    return this.items;
  }

  private up(i: number): number {
    const item = this.at(i);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.at(parent);
      if (!comesBefore(item, p)) break;
      this.place(p, i);
      i = parent;
    }
    this.place(item, i);
    return i;
  }

  private down(i: number): void {
    const item = this.at(i);
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && comesBefore(this.at(right), this.at(left)) ? right : left;
      const c = this.at(child);
      if (!comesBefore(c, item)) break;
      this.place(c, i);
      i = child;
    }
    this.place(item, i);
  }

  private at(i: number): T {
    const item = this.items[i];
    if (item === undefined) throw new Error(`heap: no item at ${i}`);
    return item;
  }

  private place(item: T, i: number): void {
    this.items[i] = item;
    this.index.set(item.name, i);
  }
}
