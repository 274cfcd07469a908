/**
 * A look at every database of a home that changes nothing (`itd doctor`): each
 * file opened read-only and its tables counted, and whether this process could
 * also write it, as a job must.
 */
import { accessSync, constants } from "node:fs";
import { dirname } from "node:path";
import { errorMessage } from "../errors.js";
import { explainAccess } from "../home.js";
import { openReadonly } from "./connection.js";
import { databaseFile, databaseFileNames, warehouseDir } from "./layout.js";
import { userTables } from "./schema.js";

export interface DatabaseProbe {
  name: string;
  file: string;
  /** Its tables (itd's own left out), when it could be read. */
  tables?: number;
  /** Why it cannot be read, or written by this process. */
  problem?: string;
}

/** Every `<home>/warehouse/*.db`, probed; none when there is no warehouse yet. Throws a StoreError when the directory cannot be read. */
export function probeDatabases(home: string): DatabaseProbe[] {
  const dir = warehouseDir(home);
  return databaseFileNames(dir).map((name): DatabaseProbe => {
    const file = databaseFile(dir, name);
    let tables: number;
    try {
      const conn = openReadonly(file);
      try {
        tables = userTables(conn).length;
      } finally {
        conn.close();
      }
    } catch (err) {
      return { name, file, problem: errorMessage(err) };
    }
    for (const [path, mode] of [[file, constants.R_OK | constants.W_OK], [dirname(file), constants.W_OK | constants.X_OK]] as const) {
      try {
        accessSync(path, mode);
      } catch (err) {
        return { name, file, tables, problem: `a job could not write it: ${explainAccess(path, err, "read-write")}` };
      }
    }
    return { name, file, tables };
  });
}
