/** The fake's now under test control: GET/POST /_fake/now and FakeIterable.setNow. */
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import type { FakeIterable } from "../../../src/fake-iterable/index.js";
import { DAY, get, ndjson, NOW, withFake } from "./helpers.js";

async function postNow(fake: FakeIterable, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${fake.url}/_fake/now`, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function getNow(fake: FakeIterable): Promise<Record<string, unknown>> {
  const res = await fetch(`${fake.url}/_fake/now`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** The createdAt days of range=Today's emailSend records. */
async function todays(fake: FakeIterable): Promise<Set<string>> {
  const r = await get(fake, "/api/export/data.json", { dataTypeName: "emailSend", range: "Today", onlyFields: "createdAt" });
  return new Set(ndjson(r.text).map((e) => String(e["createdAt"]).slice(0, 10)));
}

describe("/_fake/now", () => {
  it("answers the frozen now, sets it with {now} and moves it with {advanceMs}; the exports follow", async () => {
    await withFake({}, async (fake) => {
      expect(await getNow(fake)).toEqual({ now: NOW, iso: "2025-06-01T12:00:00.000Z", frozen: true });
      expect(await todays(fake)).toEqual(new Set(["2025-06-01"]));
      const next = NOW + DAY;
      expect(await postNow(fake, JSON.stringify({ now: next }))).toEqual({ status: 200, json: { now: next, iso: "2025-06-02T12:00:00.000Z", frozen: true } });
      expect(fake.now()).toBe(next);
      expect(await todays(fake)).toEqual(new Set(["2025-06-02"]));
      expect((await postNow(fake, JSON.stringify({ advanceMs: -DAY - 1000 }))).json["now"]).toBe(NOW - 1000);
      expect((await getNow(fake))["now"]).toBe(NOW - 1000);
    });
  });

  it("freezes a fake that ran on its clock, at the clock's time plus advanceMs", async () => {
    const clock = new FakeClock(NOW);
    await withFake({ now: undefined, clock }, async (fake) => {
      expect(await getNow(fake)).toMatchObject({ now: NOW, frozen: false });
      clock.advance(5000);
      expect(await getNow(fake)).toMatchObject({ now: NOW + 5000, frozen: false });
      expect((await postNow(fake, '{"advanceMs": 60000}')).json).toMatchObject({ now: NOW + 65_000, frozen: true });
      clock.advance(5000);
      expect(await getNow(fake)).toMatchObject({ now: NOW + 65_000, frozen: true });
    });
  });

  it("rejects bad bodies with 400 BadParams saying what it expects, and keeps its now", async () => {
    const bad: [string, RegExp][] = [
      ["", /expected a JSON body \{"now": <epoch ms>\} or \{"advanceMs": <ms>\}/],
      ["tomorrow", /expected a JSON body .*; got "tomorrow"/],
      ["[1]", /expected a JSON body .*; got \[1\]/],
      ["{}", /exactly one of the two\); got the keys \[\]/],
      ['{"now": 1, "advanceMs": 2}', /exactly one of the two\); got the keys \["now","advanceMs"\]/],
      ['{"time": 1}', /got the keys \["time"\]/],
      ['{"now": "2025-06-01"}', /now must be epoch milliseconds \(a whole number ≥ 0\); got "2025-06-01"/],
      ['{"now": 1.5}', /now must be epoch milliseconds .*; got 1.5/],
      ['{"now": -1}', /now must be epoch milliseconds .*; got -1/],
      ['{"advanceMs": "1h"}', /advanceMs must be a whole number of milliseconds; got "1h"/],
      ['{"advanceMs": -1e15}', /moves now out of range/],
    ];
    await withFake({}, async (fake) => {
      for (const [body, msg] of bad) {
        const r = await postNow(fake, body);
        expect(r.status, body).toBe(400);
        expect(r.json["code"], body).toBe("BadParams");
        expect(String(r.json["msg"]), body).toMatch(msg);
      }
      expect((await getNow(fake))["now"]).toBe(NOW);
      const put = await fetch(`${fake.url}/_fake/now`, { method: "PUT", body: "{}" });
      expect(put.status).toBe(404);
    });
  });

  it("setNow freezes the handle's now and refuses what is not epoch milliseconds", async () => {
    await withFake({}, async (fake) => {
      fake.setNow(NOW + 1234);
      expect(await getNow(fake)).toMatchObject({ now: NOW + 1234, frozen: true });
      expect(() => fake.setNow(Number.NaN)).toThrow(/now must be epoch milliseconds/);
      expect(() => fake.setNow(-5)).toThrow(/now must be epoch milliseconds/);
      expect(fake.now()).toBe(NOW + 1234);
    });
  });
});
