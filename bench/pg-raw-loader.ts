/**
 * The PostgreSQL benchmark's raw baseline (issue 13), one whole process: the
 * rows already in COPY text form (a file prepared before the timing, so no
 * conversion), piped with pg-copy-streams into a new table of the given
 * column definitions, in one transaction.
 * Usage: node pg-raw-loader.js URL SCHEMA TABLE COLUMNS_SQL COPY_FILE.
 * Prints one JSON line: {variant, records, bytes, ms, maxRssMb}.
 */
import { createReadStream, statSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import copyStreams from "pg-copy-streams";

const [url, schema, table, columnsSql, file] = process.argv.slice(2) as [string, string, string, string, string];
const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const t0 = performance.now();
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query("BEGIN");
await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
await client.query(`CREATE TABLE ${q(schema)}.${q(table)} (${columnsSql})`);
const copy = client.query(copyStreams.from(`COPY ${q(schema)}.${q(table)} FROM STDIN`));
await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), copy);
await client.query("COMMIT");
await client.end();
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ variant: "raw", records: copy.rowCount, bytes: statSync(file).size, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
