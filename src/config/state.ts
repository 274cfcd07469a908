/**
 * The `state` setting (issue 14), resolved like the warehouse's: the global
 * `--state` flag over `$ITD_STATE` over the config file's `state:` over the
 * default, the home's `state.db`. A PostgreSQL URL puts schedules, jobs,
 * cursors and leases in a database several daemons on several hosts share.
 */
import { resolveEngine, type EngineLayers, type EngineSetting, type ResolvedEngine } from "./engine-setting.js";

export const STATE_ALLOWED = "expected sqlite (the home's state.db, the default) or postgresql://USER@HOST:PORT/DBNAME";

export type StateSetting = EngineSetting;
export type StateLayers = EngineLayers;
export type ResolvedState = ResolvedEngine<StateSetting>;

export function resolveState(layers: StateLayers): ResolvedState {
  return resolveEngine(layers, { flag: "--state", env: "ITD_STATE", key: "state" }, STATE_ALLOWED);
}

/** Where the state is, for logs and doctor: the home's state.db, or the server (password masked). */
export function describeState(setting: StateSetting, home: string): string {
  return setting.engine === "sqlite" ? `${home}/state.db` : setting.target.shown;
}
