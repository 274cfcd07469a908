/** GET /api/lists and GET /api/lists/getUsers (plain text, one identifier per line). */
import { BadParams } from "./errors.js";
import { listMembers } from "./members.js";
import { boolParam, intParam } from "./params.js";
import { pumpLines, type Route } from "./route.js";
import { listsFor, worldFor } from "./world.js";

export const lists: Route = async (ctx) => {
  const all = listsFor(ctx.cfg);
  await ctx.writer.send(200, "application/json", JSON.stringify({ lists: all }));
  ctx.stats.records(ctx.endpoint, all.length);
};

export const getUsers: Route = async (ctx) => {
  const listId = intParam(ctx.params, "listId");
  if (listId === undefined) throw new BadParams("listId is required");
  // An unknown list is a 400 BadParams (Iterable's answer for ids that are not the project's lists).
  const list = worldFor(ctx.cfg).listsById.get(listId);
  if (!list) throw new BadParams(`listId ${listId} does not exist`, { listId });
  const members = listMembers(ctx.cfg, listId, boolParam(ctx.params, "preferUserId") ?? false);
  await ctx.writer.start(200, { "content-type": "text/plain; charset=utf-8" });
  await pumpLines(
    ctx,
    () => {
      const r = members.next();
      return r.done === true ? undefined : r.value;
    },
    { garbage: () => "%%% \u0000garbage line, not an identifier %%%", garbageAt: Math.floor((ctx.cfg.users * list.memberShare) / 2) },
  );
};
