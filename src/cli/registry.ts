import type { Command } from "./command.js";
import { fakeIterableCommand } from "./commands/fake-iterable.js";

/** Every `itd` command, in the order `itd help` lists them. */
export const COMMANDS: readonly Command[] = [fakeIterableCommand];
