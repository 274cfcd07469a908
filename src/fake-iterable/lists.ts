/**
 * The fake's lists: ids, names and types from the seed, and which users are
 * members (a deterministic share of the users, per list).
 */
import type { IterableList } from "../iterable/types.js";
import type { GeneratorConfig } from "./options.js";
import { hash32, Rng, unit } from "./prng.js";
import { DAY_MS } from "./time.js";
import { LIST_NAMES } from "./vocab.js";

const LIST_SALT = 0x4c157;

/** A list plus the share of users in it (not served). */
export interface FakeList extends IterableList {
  memberShare: number;
}

function listType(name: string, j: number): string {
  if (name.startsWith("Suppression")) return "Suppression";
  if (name.startsWith("Internal")) return "Internal";
  if (name.startsWith("VIP") || j % 7 === 4) return "Dynamic";
  return "Standard";
}

const SHARE: Record<string, [number, number]> = {
  Standard: [0.25, 0.6],
  Dynamic: [0.08, 0.3],
  Suppression: [0.01, 0.04],
  Internal: [0.005, 0.02],
};

export function buildLists(cfg: GeneratorConfig): FakeList[] {
  const lists: FakeList[] = [];
  const rng = new Rng();
  for (let j = 0; j < cfg.lists; j++) {
    rng.reset(hash32(cfg.seed, LIST_SALT, j));
    const base = LIST_NAMES[j % LIST_NAMES.length] as string;
    const name = j < LIST_NAMES.length ? base : `${base} ${Math.floor(j / LIST_NAMES.length) + 1}`;
    const type = listType(name, j);
    const [lo, hi] = SHARE[type] as [number, number];
    const list: FakeList = {
      id: 949_800 + j * 10 + rng.int(10),
      name,
      createdAt: cfg.dataStart - 400 * DAY_MS + rng.int(300 * DAY_MS),
      listType: type,
      memberShare: lo + (hi - lo) * rng.float(),
    };
    if (rng.chance(0.6)) list.description = `${name} — imported from CRM, "${type}"`;
    lists.push(list);
  }
  return lists;
}

/** Whether user `u` belongs to `list`. */
export function isMember(seed: number, list: FakeList, u: number): boolean {
  return unit(hash32(seed, list.id, u, LIST_SALT)) < list.memberShare;
}

/** The list as Iterable serves it (without the fake's bookkeeping). */
export function publicList(list: FakeList): IterableList {
  const { memberShare: _memberShare, ...rest } = list;
  return rest;
}
