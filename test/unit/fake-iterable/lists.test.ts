import { describe, expect, it } from "vitest";
import type { IterableList } from "../../../src/iterable/types.js";
import { exportRecords, generatorConfig, listMembers, listsFor } from "../../../src/fake-iterable/index.js";
import { BASE_OPTIONS, get, NOW, withFake } from "./helpers.js";

const cfg = generatorConfig(BASE_OPTIONS);

describe("GET /api/lists", () => {
  it("returns the lists with ids, names, epoch-ms createdAt and a list type", async () => {
    await withFake({}, async (fake) => {
      const r = await get(fake, "/api/lists");
      expect(r.status).toBe(200);
      const body = JSON.parse(r.text) as { lists: IterableList[] };
      expect(body.lists).toEqual(listsFor(cfg));
      expect(body.lists).toHaveLength(5);
      for (const l of body.lists) {
        expect(Number.isInteger(l.id)).toBe(true);
        expect(String(l.createdAt)).toMatch(/^\d{13}$/);
        expect(["Standard", "Dynamic", "Suppression", "Internal"]).toContain(l.listType);
        expect(l).not.toHaveProperty("memberShare");
      }
    });
  });
});

describe("GET /api/lists/getUsers", () => {
  const list = listsFor(cfg)[0] as IterableList;

  it("returns one email per line, a deterministic subset of the users", async () => {
    await withFake({}, async (fake) => {
      const r = await get(fake, "/api/lists/getUsers", { listId: list.id });
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^text\/plain/);
      const lines = r.text.split("\n").filter((l) => l.length > 0);
      expect(lines).toEqual([...listMembers(cfg, list.id, false)]);
      expect(lines.length).toBeGreaterThan(100);
      expect(lines.length).toBeLessThan(1000);
      for (const l of lines) expect(l).toMatch(/^[a-z]+\.[a-z]+\d+@[a-z.]+$/);
      expect(new Set(lines).size).toBe(lines.length);
      expect((await get(fake, "/api/lists/getUsers", { listId: list.id })).text).toBe(r.text);
    });
  });

  it("returns userIds for members that have one with preferUserId=true", async () => {
    await withFake({}, async (fake) => {
      const emails = (await get(fake, "/api/lists/getUsers", { listId: list.id, preferUserId: "false" })).text.trim().split("\n");
      const ids = (await get(fake, "/api/lists/getUsers", { listId: list.id, preferUserId: "true" })).text.trim().split("\n");
      expect(ids).toHaveLength(emails.length);
      const userIds = ids.filter((l) => /^u-\d+$/.test(l));
      expect(userIds.length).toBeGreaterThan(ids.length * 0.7);
      expect(userIds.length).toBeLessThan(ids.length);
      ids.forEach((id, i) => {
        if (!id.startsWith("u-")) expect(id).toBe(emails[i]);
      });
    });
  });

  it("agrees with the users' emailListIds in the user export", () => {
    const members = new Set(listMembers(cfg, list.id, false));
    const users = [...exportRecords({ ...cfg, now: NOW }, "user", { start: cfg.dataStart, end: NOW })];
    expect(users.length).toBeGreaterThan(100);
    for (const u of users) expect((u["emailListIds"] as number[]).includes(list.id)).toBe(members.has(u["email"] as string));
  });

  it("answers 400 BadParams for a missing, non-numeric or unknown listId", async () => {
    await withFake({}, async (fake) => {
      const missing = await get(fake, "/api/lists/getUsers");
      expect(missing.status).toBe(400);
      expect(JSON.parse(missing.text)).toMatchObject({ code: "BadParams", msg: "listId is required" });
      expect((await get(fake, "/api/lists/getUsers", { listId: "abc" })).text).toMatch(/listId must be an integer/);
      const unknown = await get(fake, "/api/lists/getUsers", { listId: 12345 });
      expect(unknown.status).toBe(400);
      expect(unknown.text).toMatch(/listId 12345 does not exist/);
      expect((await get(fake, "/api/lists/getUsers", { listId: list.id, preferUserId: "yes" })).text).toMatch(/preferUserId must be true or false/);
    });
  });
});
