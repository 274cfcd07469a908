import { describe, expect, test } from "vitest";
import { configDiffFor, planExportWindows, resolveDateRange } from "../../../src/connector/plan.js";
import { ConfigError } from "../../../src/errors.js";

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2024, 0, 1);

describe("planExportWindows", () => {
  test("a first run covers start to now in consecutive slices, the last one shorter", () => {
    const plan = planExportWindows({ start: T0, incremental: false, now: T0 + 2 * D + 5 * H, sliceMs: D });
    expect(plan.windows).toEqual([
      { start: T0, end: T0 + D },
      { start: T0 + D, end: T0 + 2 * D },
      { start: T0 + 2 * D, end: T0 + 2 * D + 5 * H },
    ]);
    expect(plan.nextCursor).toBeUndefined();
  });

  test("end_time bounds the window", () => {
    const plan = planExportWindows({ start: T0, end: T0 + 10 * H, incremental: false, now: T0 + 5 * D, sliceMs: 4 * H });
    expect(plan.windows).toEqual([
      { start: T0, end: T0 + 4 * H },
      { start: T0 + 4 * H, end: T0 + 8 * H },
      { start: T0 + 8 * H, end: T0 + 10 * H },
    ]);
  });

  test("end_time in the future is capped at now", () => {
    const plan = planExportWindows({ start: T0, end: T0 + 10 * D, incremental: false, now: T0 + H, sliceMs: D });
    expect(plan.windows).toEqual([{ start: T0, end: T0 + H }]);
  });

  test("a scheduled run ends at its scheduled time", () => {
    const plan = planExportWindows({ start: T0, incremental: true, scheduledTime: T0 + 6 * H, now: T0 + 6 * H + 90_000, sliceMs: D });
    expect(plan.windows).toEqual([{ start: T0, end: T0 + 6 * H }]);
    expect(plan.nextCursor).toBe(T0 + 6 * H);
  });

  test("a scheduled time in the future is capped at now", () => {
    const plan = planExportWindows({ start: T0, incremental: false, scheduledTime: T0 + 2 * D, now: T0 + D, sliceMs: 7 * D });
    expect(plan.windows).toEqual([{ start: T0, end: T0 + D }]);
  });

  test("later incremental runs start at the config diff's start_time", () => {
    const plan = planExportWindows({ start: T0, cursorStart: T0 + 3 * D, incremental: true, now: T0 + 4 * D, sliceMs: D });
    expect(plan.windows).toEqual([{ start: T0 + 3 * D, end: T0 + 4 * D }]);
    expect(plan.nextCursor).toBe(T0 + 4 * D);
  });

  test("a cursor is ignored when the load is not incremental", () => {
    const plan = planExportWindows({ start: T0, cursorStart: T0 + 3 * D, incremental: false, now: T0 + 4 * D, sliceMs: 4 * D });
    expect(plan.windows).toEqual([{ start: T0, end: T0 + 4 * D }]);
  });

  test("nothing to do when the start is not before the end", () => {
    expect(planExportWindows({ start: T0, incremental: true, now: T0, sliceMs: D })).toEqual({ windows: [] });
    expect(planExportWindows({ start: T0 + D, incremental: true, now: T0, sliceMs: D })).toEqual({ windows: [] });
    expect(planExportWindows({ start: T0, end: T0, incremental: false, now: T0 + D, sliceMs: D })).toEqual({ windows: [] });
    expect(planExportWindows({ start: T0, cursorStart: T0 + 2 * D, end: T0 + D, incremental: true, now: T0 + 5 * D, sliceMs: D })).toEqual({ windows: [] });
  });

  test("bounds are whole seconds, as Iterable's dates are", () => {
    const plan = planExportWindows({ start: T0 + 1500, incremental: true, now: T0 + 10_999, sliceMs: D });
    expect(plan.windows).toEqual([{ start: T0 + 1000, end: T0 + 10_000 }]);
  });

  test("an infinite slice gives one window", () => {
    expect(planExportWindows({ start: T0, incremental: false, now: T0 + 400 * D, sliceMs: Infinity }).windows).toEqual([
      { start: T0, end: T0 + 400 * D },
    ]);
  });

  test("without a start there is no window to plan", () => {
    expect(() => planExportWindows({ incremental: false, now: T0, sliceMs: D })).toThrow(ConfigError);
    expect(() => planExportWindows({ incremental: false, now: T0, sliceMs: D })).toThrow(/in\.start_time: required/);
  });

  test("a slice length that is not positive is a programming error", () => {
    expect(() => planExportWindows({ start: T0, incremental: false, now: T0 + D, sliceMs: 0 })).toThrow(RangeError);
  });
});

describe("configDiffFor and resolveDateRange", () => {
  test("the config diff holds the window end as RFC 3339 UTC", () => {
    expect(configDiffFor(Date.UTC(2024, 0, 1, 8, 51))).toEqual({ in: { start_time: "2024-01-01T08:51:00Z" } });
    expect(configDiffFor(Date.UTC(2024, 0, 1, 8, 51, 0, 250))).toEqual({ in: { start_time: "2024-01-01T08:51:00.250Z" } });
  });

  test("date_range values map to Iterable's range names", () => {
    expect(resolveDateRange("today")).toBe("Today");
    expect(resolveDateRange("yesterday")).toBe("Yesterday");
    expect(resolveDateRange("before_today")).toBe("BeforeToday");
    expect(resolveDateRange("all")).toBe("All");
  });
});
