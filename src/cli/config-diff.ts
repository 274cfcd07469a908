import { dump } from "js-yaml";

/** A config diff as td prints it (`YAML.dump`): block YAML, without the `---` line (the dumps print it). */
export function configDiffYaml(diff: unknown): string {
  if (diff === null || diff === undefined) return "";
  return dump(diff, { lineWidth: -1, noRefs: true, sortKeys: false }).trimEnd();
}
