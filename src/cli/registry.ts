import type { Command } from "./command.js";
import { connectorCreateCommand } from "./commands/connector-create.js";
import { connectorGuessCommand } from "./commands/connector-guess.js";
import { connectorIssueCommand } from "./commands/connector-issue.js";
import { connectorDeleteCommand, connectorHistoryCommand, connectorListCommand, connectorShowCommand } from "./commands/connector-list.js";
import { connectorPreviewCommand } from "./commands/connector-preview.js";
import { connectorRunCommand } from "./commands/connector-run.js";
import { connectorUpdateCommand } from "./commands/connector-update.js";
import { daemonCommand } from "./commands/daemon.js";
import { doctorCommand } from "./commands/doctor.js";
import { fakeIterableCommand } from "./commands/fake-iterable.js";
import { iterableCampaignsCommand } from "./commands/iterable-campaigns.js";
import { iterableListsCommand } from "./commands/iterable-lists.js";
import { jobExecCommand } from "./commands/job-exec.js";
import { jobKillCommand } from "./commands/job-kill.js";
import { jobWorkerCommand } from "./commands/job-worker.js";
import { jobPruneCommand } from "./commands/job-prune.js";
import { jobListCommand, jobShowCommand } from "./commands/job.js";
import { scheduleNextCommand } from "./commands/schedule-next.js";
import { databaseListCommand, queryCommand, tableListCommand, tableShowCommand } from "./commands/warehouse.js";

/** Every `itd` command, in the order `itd help` lists them. */
export const COMMANDS: readonly Command[] = [
  connectorGuessCommand,
  connectorPreviewCommand,
  iterableListsCommand,
  iterableCampaignsCommand,
  connectorIssueCommand,
  connectorCreateCommand,
  connectorListCommand,
  connectorShowCommand,
  connectorUpdateCommand,
  connectorDeleteCommand,
  connectorHistoryCommand,
  connectorRunCommand,
  scheduleNextCommand,
  daemonCommand,
  doctorCommand,
  jobShowCommand,
  jobListCommand,
  jobKillCommand,
  jobPruneCommand,
  databaseListCommand,
  tableListCommand,
  tableShowCommand,
  queryCommand,
  fakeIterableCommand,
  jobExecCommand,
  jobWorkerCommand,
];
