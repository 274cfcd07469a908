import type { Command } from "./command.js";
import { connectorGuessCommand } from "./commands/connector-guess.js";
import { connectorIssueCommand } from "./commands/connector-issue.js";
import { connectorPreviewCommand } from "./commands/connector-preview.js";
import { fakeIterableCommand } from "./commands/fake-iterable.js";
import { jobListCommand, jobShowCommand } from "./commands/job.js";
import { databaseListCommand, queryCommand, tableListCommand, tableShowCommand } from "./commands/warehouse.js";

/** Every `itd` command, in the order `itd help` lists them. */
export const COMMANDS: readonly Command[] = [
  connectorGuessCommand,
  connectorPreviewCommand,
  connectorIssueCommand,
  jobShowCommand,
  jobListCommand,
  databaseListCommand,
  tableListCommand,
  tableShowCommand,
  queryCommand,
  fakeIterableCommand,
];
