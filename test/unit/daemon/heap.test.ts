import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { comesBefore, SlotHeap, type HeapItem } from "../../../src/daemon/index.js";

const item = (name: string, at: number, priority = 0): HeapItem => ({ name, at, priority });

function drain(heap: SlotHeap<HeapItem>): string[] {
  const names: string[] = [];
  for (let top = heap.pop(); top !== undefined; top = heap.pop()) names.push(top.name);
  return names;
}

describe("SlotHeap", () => {
  it("pops by time, then higher priority, then name", () => {
    const heap = new SlotHeap<HeapItem>();
    for (const i of [item("late", 20), item("b", 10, 0), item("a", 10, 0), item("high", 10, 2), item("low", 10, -2)]) heap.push(i);
    expect(drain(heap)).toEqual(["high", "a", "b", "low", "late"]);
  });

  it("moves an item changed in place when told to", () => {
    const heap = new SlotHeap<HeapItem>();
    const a = item("a", 10);
    heap.push(a);
    heap.push(item("b", 20));
    a.at = 30;
    heap.update("a");
    expect(heap.peek()?.name).toBe("b");
    a.at = 5;
    heap.update("a");
    expect(heap.peek()?.name).toBe("a");
  });

  it("removes by name and replaces an item pushed twice", () => {
    const heap = new SlotHeap<HeapItem>();
    heap.push(item("a", 10));
    heap.push(item("b", 20));
    heap.push(item("a", 30));
    expect(heap.size).toBe(2);
    expect(heap.remove("b")?.at).toBe(20);
    expect(heap.remove("b")).toBeUndefined();
    expect(heap.has("b")).toBe(false);
    expect(heap.get("a")?.at).toBe(30);
    expect(drain(heap)).toEqual(["a"]);
  });

  it("always agrees with a sorted list under random pushes, updates, removes and pops", () => {
    const name = fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h");
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), name, at: fc.integer({ min: 0, max: 20 }), priority: fc.integer({ min: -2, max: 2 }) }),
      fc.record({ kind: fc.constant("update" as const), name, at: fc.integer({ min: 0, max: 20 }), priority: fc.integer({ min: -2, max: 2 }) }),
      fc.record({ kind: fc.constant("remove" as const), name }),
      fc.record({ kind: fc.constant("pop" as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const heap = new SlotHeap<HeapItem>();
        let model: HeapItem[] = [];
        const sorted = (): HeapItem[] => [...model].sort((x, y) => (comesBefore(x, y) ? -1 : 1));
        for (const o of ops) {
          if (o.kind === "push") {
            model = model.filter((m) => m.name !== o.name);
            const it = item(o.name, o.at, o.priority);
            model.push(it);
            heap.push(it);
          } else if (o.kind === "update") {
            const it = heap.get(o.name);
            if (it !== undefined) {
              it.at = o.at;
              it.priority = o.priority;
              heap.update(o.name);
            }
          } else if (o.kind === "remove") {
            model = model.filter((m) => m.name !== o.name);
            heap.remove(o.name);
          } else {
            const expected = sorted()[0];
            expect(heap.pop()).toBe(expected);
            model = model.filter((m) => m !== expected);
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peek()).toBe(sorted()[0]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
