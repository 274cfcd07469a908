/** The warehouse and state settings: one rule for both (flag > variable > config file > sqlite), and their errors. */
import { describe, expect, it } from "vitest";
import { resolveState } from "../../../src/config/state.js";
import { resolveWarehouse } from "../../../src/config/warehouse.js";

const URL_A = "postgresql://itd:${PGPW}@db-a:5432/s";
const URL_B = "postgresql://itd@db-b:5433/w";

describe("the state setting", () => {
  it("takes --state over $ITD_STATE over the file's state: over sqlite", () => {
    const env = { ITD_STATE: URL_B, PGPW: "pw" };
    const file = { value: "sqlite", name: "itd.yml" };
    expect(resolveState({ flag: URL_A, env, file })).toMatchObject({ origin: "--state", written: URL_A, setting: { engine: "postgres", target: { host: "db-a", port: 5432 } } });
    expect(resolveState({ env, file })).toMatchObject({ origin: "$ITD_STATE", setting: { engine: "postgres", target: { host: "db-b", port: 5433 } } });
    expect(resolveState({ env: {}, file })).toMatchObject({ origin: "itd.yml: state", setting: { engine: "sqlite" } });
    expect(resolveState({ env: {} })).toMatchObject({ origin: "the default", setting: { engine: "sqlite" } });
    // Each setting reads its own variable only.
    expect(resolveWarehouse({ env }).setting.engine).toBe("sqlite");
  });

  it("names where a bad value came from, never showing a password", () => {
    expect(() => resolveState({ env: { ITD_STATE: "mysql://root:hunter2@db/x" } })).toThrow(/^\$ITD_STATE: expected sqlite \(the home's state\.db, the default\) or postgresql:\/\/USER@HOST:PORT\/DBNAME; got 'mysql:\/\/root:\*\*\*@db\/x'$/);
    expect(() => resolveState({ flag: URL_A, env: {} })).toThrow(/^--state: \$\{PGPW\} is not set/);
  });
});
