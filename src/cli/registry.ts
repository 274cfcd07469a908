import type { Command } from "./command.js";
import { fakeIterableCommand } from "./commands/fake-iterable.js";
import { databaseListCommand, queryCommand, tableListCommand, tableShowCommand } from "./commands/warehouse.js";

/** Every `itd` command, in the order `itd help` lists them. */
export const COMMANDS: readonly Command[] = [
  databaseListCommand,
  tableListCommand,
  tableShowCommand,
  queryCommand,
  fakeIterableCommand,
];
