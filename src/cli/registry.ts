/**
 * Every `itd` command, in the order `itd help` lists them: names, help and
 * behaviour flags here; each command's code is imported only when it runs,
 * so `itd help` or `itd job:list` never load an HTTP client, a YAML schema or
 * the daemon (issue 11: start-up). Imports here must stay light.
 */
import type { Command } from "./command.js";
import { API_KEY_ENV, DEFAULT_QUERY_ROWS, DEFAULT_QUERY_TIMEOUT_S, GUESS_SAMPLE, JOB_STATUSES } from "./defaults.js";

export const COMMANDS: readonly Command[] = [
  {
    name: "connector:guess",
    finishesOnClosedPipe: true,
    aliases: ["connector"],
    summary: "Read a sample from Iterable and write load.yml with the guessed columns",
    usage: `itd connector:guess SEED.yml [-o load.yml]

Reads up to ${GUESS_SAMPLE} records through the real source (one request) and writes the config with
in.columns guessed from them (names snake_case, types boolean/long/double/string/timestamp/json).
An existing output file is first kept as FILE.0, FILE.1, …

Example:
  itd connector:guess seed.yml -o load.yml`,
    load: async () => (await import("./commands/connector-guess.js")).connectorGuessCommand,
  },
  {
    name: "connector:preview",
    summary: "Show the first rows of a load as they would be stored, without writing anything",
    usage: `itd connector:preview load.yml [-f table|tsv|csv|json] [--limit N] [--time-column COL]

Example:
  itd connector:preview load.yml`,
    load: async () => (await import("./commands/connector-preview.js")).connectorPreviewCommand,
  },
  {
    name: "iterable:lists",
    summary: "Show the lists of the Iterable project (id, name, type, created), to pick a list_id",
    usage: `itd iterable:lists [load.yml] [-f table|tsv|csv|json] [--region us|eu] [--base-url URL]

Asks Iterable for the lists (GET /api/lists, one request) of the project whose key is the load.yml's
in.api_key (in.region, in.base_url say where it belongs). Only the connection has to be complete: a seed
with data_type: list and no list_id yet will do. Without a load.yml the key comes from $${API_KEY_ENV},
and --region (default us) or --base-url say where it belongs.

Sorted by id; Created is UTC. Iterable's list response has no member count (its size endpoint allows
5 requests a minute), so none is shown.

Examples:
  itd iterable:lists seed.yml
  itd iterable:lists --region eu -f csv      # key from $${API_KEY_ENV}`,
    load: async () => (await import("./commands/iterable-lists.js")).iterableListsCommand,
  },
  {
    name: "iterable:campaigns",
    summary: "Show the campaigns of the Iterable project (id, name, type, medium, state, created), newest first",
    usage: `itd iterable:campaigns [load.yml] [-f table|tsv|csv|json] [--limit N] [--region us|eu] [--base-url URL]

Asks Iterable for every campaign (GET /api/campaigns, 1000 a page, following nextPageUrl) of the project
whose key is the load.yml's in.api_key (in.region, in.base_url say where it belongs); only the connection
has to be complete. Without a load.yml the key comes from $${API_KEY_ENV}, and --region (default us) or
--base-url say where it belongs.

Sorted by id, descending (normally newest first); Created is UTC. --limit N shows the first N rows
(every page is still read, to sort them). Put ids in in.campaign_ids (data_type: campaign) or
in.campaign_id (export_data of one campaign).

Examples:
  itd iterable:campaigns seed.yml --limit 20
  itd iterable:campaigns -f json > campaigns.json      # key from $${API_KEY_ENV}`,
    load: async () => (await import("./commands/iterable-campaigns.js")).iterableCampaignsCommand,
  },
  {
    name: "connector:issue",
    finishesOnClosedPipe: true,
    summary: "Run a load now, in the foreground, and record it as a job",
    usage: `itd connector:issue load.yml --database DB --table TABLE [--time-column COL] [--auto-create-table] [-f table|json]

Imports into the warehouse table DB.TABLE, printing the job's log as it goes (and a progress line on a
terminal). Exits 0 only when the job succeeds. Re-running an incremental load continues from its cursor;
re-running a load whose previous run failed continues where that one stopped.

Examples:
  itd connector:issue load.yml --database td_sample_db --table td_sample_table
  itd connector:issue load.yml --database td_sample_db --table td_sample_table --time-column created_at --auto-create-table`,
    load: async () => (await import("./commands/connector-issue.js")).connectorIssueCommand,
  },
  {
    name: "connector:create",
    summary: "Create a schedule: a load that the daemon runs on a cron",
    usage: `itd connector:create NAME CRON DATABASE TABLE load.yml [--time-column COL] [-t|--timezone TZ] [-D|--delay SECONDS]
                     [--priority -2..2] [--catchup all|latest|none] [--auto-create-table]

CRON: 5 fields (min hour day month weekday), or 6 with seconds first; @hourly @daily @weekly @monthly @yearly;
"" for no schedule (run only with connector:run). TZ: an IANA name (default UTC). The run of each slot starts
DELAY seconds after it and imports up to the slot's time.

Examples:
  itd connector:create daily_import "10 0 * * *" td_sample_db td_sample_table load.yml -t Asia/Tokyo -D 600
  itd connector:create hourly_opens @hourly td_sample_db opens opens.yml --time-column created_at --catchup latest`,
    load: async () => (await import("./commands/connector-create.js")).connectorCreateCommand,
  },
  {
    name: "connector:list",
    summary: "List the schedules (made with the CLI and from schedules/*.yml)",
    usage: "itd connector:list [-f table|tsv|csv|json]\n\nExample:\n  itd connector:list",
    load: async () => (await import("./commands/connector-list.js")).connectorListCommand,
  },
  {
    name: "connector:show",
    summary: "Show a schedule: its settings, config, config diff and next runs",
    usage: "itd connector:show NAME [-f table|json]\n\nExamples:\n  itd connector:show daily_import\n  itd connector:show daily_import -f json",
    load: async () => (await import("./commands/connector-show.js")).connectorShowCommand,
  },
  {
    name: "connector:update",
    summary: "Change a schedule made with the CLI",
    usage: `itd connector:update NAME [load.yml | -c load.yml] [-n NEWNAME] [-d DATABASE] [-t TABLE] [-s [CRON]] [-z TZ]
                     [-D DELAY] [-T TIME_COLUMN] [--priority P] [--catchup all|latest|none] [--config-diff FILE]
                     [--pause|--resume] [--auto-create-table]

As in TD, -t is the table here (the timezone is -z); a bare -s removes the cron (runs only with connector:run).
-c/--config is the load config (td's); the itd config file is then --itd-config FILE. A new -d/-t must exist
(or --auto-create-table). --config-diff FILE replaces the stored cursor (e.g. {in: {start_time: '2026-01-01T00:00:00Z'}}).

Examples:
  itd connector:update daily_import -c load.yml -s '@daily'
  itd connector:update daily_import -s "30 1 * * *" -z Asia/Tokyo
  itd connector:update daily_import load.yml --pause`,
    load: async () => (await import("./commands/connector-update.js")).connectorUpdateCommand,
  },
  {
    name: "connector:delete",
    summary: "Delete a schedule (its job history stays)",
    usage: "itd connector:delete NAME\n\nExample:\n  itd connector:delete daily_import",
    load: async () => (await import("./commands/connector-show.js")).connectorDeleteCommand,
  },
  {
    name: "connector:history",
    summary: "Show a schedule's runs, newest first",
    usage: "itd connector:history NAME [-n LIMIT] [-f table|tsv|csv|json]\n\nExample:\n  itd connector:history daily_import -n 20",
    load: async () => (await import("./commands/connector-list.js")).connectorHistoryCommand,
  },
  {
    name: "connector:run",
    finishesOnClosedPipe: true,
    summary: "Queue a schedule's run for a slot (or a backfill of several) for the daemon",
    usage: `itd connector:run NAME [TIME] [-n COUNT] [-w] [--foreground]

Queues the run of the slot at TIME (default now; epoch seconds or RFC 3339, UTC unless an offset is given),
or COUNT consecutive slots of the schedule's cron from TIME (a backfill). The daemon runs queued jobs in slot
order; a slot in the future runs when it is due (slot + delay). --foreground runs due slots here and now
instead, one at a time, and is refused while another run of the schedule goes on. -w waits for the final status
(exit 1 unless every run succeeds); with no daemon running, -w runs due slots here as --foreground does, and
refuses a future slot rather than wait for a daemon that is not there.

Examples:
  itd connector:run daily_import
  itd connector:run daily_import 2026-11-01T00:10:00+09:00 -n 7 -w`,
    load: async () => (await import("./commands/connector-run.js")).connectorRunCommand,
  },
  {
    name: "schedule:next",
    summary: "Show the next fire times of a cron in a time zone, as the daemon will fire them",
    usage: `itd schedule:next CRON [-t TZ] [--from TIME] [-n N] [-f table|tsv|csv|json]

DST as cron does it: a fixed time skipped by the clock change runs once, right after the jump; one that repeats
runs once, at the first occurrence; patterns with */N or * in the hour follow the wall clock.

Examples:
  itd schedule:next "30 2 * * *" -t America/New_York --from 2026-03-07 -n 3
  itd schedule:next "*/15 * * * *" -t Europe/London -n 8`,
    load: async () => (await import("./commands/schedule-next.js")).scheduleNextCommand,
  },
  {
    name: "daemon",
    finishesOnClosedPipe: true,
    logsErrors: true,
    summary: "Run the scheduler: fire every schedule at its slots, run queued jobs (leave it running; systemd unit in config/)",
    usage: `itd daemon [--home DIR] [--config FILE] [--log-level LEVEL]

Loads the schedules from the store and from schedules/*.yml, fires each slot at its time + delay, runs jobs in
child processes (max_concurrent_jobs at once, one per schedule; job_processes of them kept warm, so a job starts
in milliseconds), and records everything in state.db. Logs are
JSON lines on stdout. A job running longer than job_timeout is stopped (status killed). SIGHUP reloads;
SIGTERM/SIGINT stop firing, give running jobs shutdown_grace seconds, then stop them (status killed).
Health and metrics: GET /healthz and /metrics on 127.0.0.1:http_port.

Examples:
  itd daemon --config /etc/itd/itd.yml
  ITD_HOME=/var/lib/itd itd daemon --log-level debug`,
    load: async () => (await import("./commands/daemon.js")).daemonCommand,
  },
  {
    name: "doctor",
    summary: "Check an installation: config, home, HTTP port, schedules' ${ENV}, API keys, warehouse (one line each)",
    usage: `itd doctor [--config FILE] [--home DIR] [--environment-file FILE]

Checks what the daemon needs, as the user it runs as, and prints one line per finding, "ok" or "FAIL":
  env-file   each --environment-file is readable (its values are used below, never shown)
  config     the itd config file is readable and valid
  home       the home exists (or can be created), belongs to this user and is writable
  schedules  the schedules of the store and of schedules/*.yml load
  env        every \${VARIABLE} a schedule names is set
  port       http_host:http_port is free (or served by this home's running daemon)
  iterable   each distinct API key answers Iterable (GET /api/lists, one request per key, at its region or base_url)
  warehouse  every database opens read-only, and this user could write it
Exits 1 when anything failed. It changes nothing, and prints no secret.

  --environment-file FILE   read KEY=VALUE lines (systemd's EnvironmentFile=, e.g. /etc/itd/itd.env) as the
                            daemon's environment; repeatable. (Not --env-file: Node 20 takes that one for itself.)

Examples:
  sudo -u itd ITD_HOME=/var/lib/itd itd doctor --config /etc/itd/itd.yml --environment-file /etc/itd/itd.env
  itd doctor`,
    load: async () => (await import("./commands/doctor.js")).doctorCommand,
  },
  {
    name: "job:show",
    aliases: ["job"],
    ownsVerbose: true,
    summary: "Show a job's status, counts and config (-v: its log; -w: wait for it)",
    usage: `itd job:show JOB_ID [-v] [-w] [-f table|json]

  -v, --verbose   also print the job's log
  -w, --wait      wait for a queued or running job to end, printing its log as it is written; the exit code is
                  0 if it ends in success, 1 otherwise (and 1 when no daemon runs to start a queued job for 30 s)
  -f json         the job as one JSON object (its log under "log" with -v)

Examples:
  itd job:show 12 -v
  itd job 12 -w`,
    load: async () => (await import("./commands/job-show.js")).jobShowCommand,
  },
  {
    name: "job:list",
    aliases: ["jobs"],
    summary: "List jobs, newest first",
    usage: `itd job:list [MAX] [-p PAGE] [-s SKIP] [-R | -S | -E | --status STATUS] [-f table|tsv|csv|json]

  MAX (or -l MAX)     how many jobs (default 20)
  -p, --page PAGE     skip PAGE × MAX jobs (td's paging: -p 1 is the second page)
  -s, --skip N        skip N jobs (added to the page)
  -R, --running       only running jobs; -S, --success: only succeeded; -E, --error: only failed
  --status STATUS     only jobs in STATUS: ${JOB_STATUSES.join(", ")}

Examples:
  itd jobs
  itd job:list 50 -E
  itd jobs --page 1`,
    load: async () => (await import("./commands/job.js")).jobListCommand,
  },
  {
    name: "job:kill",
    aliases: ["kill"],
    summary: "Kill a queued or running job: it ends `killed`, its uncommitted slice never visible",
    usage: `itd job:kill JOB_ID

A queued job ends killed at once (the daemon never starts it). A running job's process (a daemon's job or
a foreground run on this host) is sent SIGTERM: it stops its current slice — rows not committed are never
seen — records killed, and the command waits for that. The slots it did not import stay killed: to import
them, 'itd connector:run NAME TIME' again. A finished job is left as it is.

Example:
  itd job:kill 1461`,
    load: async () => (await import("./commands/job-kill.js")).jobKillCommand,
  },
  {
    name: "job:prune",
    summary: "Delete finished jobs older than an age from the history (cursors are kept)",
    usage: `itd job:prune --older-than AGE [--dry-run | --yes]

Says how many finished jobs (success, error, killed, skipped) ended more than AGE ago, and from when to when,
then asks before deleting them (on a terminal); elsewhere it needs --yes. --dry-run only says. Queued and
running jobs, cursors and each schedule's place in its cron are never deleted.

Examples:
  itd job:prune --older-than 90d --dry-run
  itd job:prune --older-than 90d --yes`,
    load: async () => (await import("./commands/job-prune.js")).jobPruneCommand,
  },
  {
    name: "db:list",
    aliases: ["database:list", "dbs", "databases", "show-databases", "show-dbs"],
    summary: "List the warehouse's databases",
    usage: "itd db:list [-f table|tsv|csv|json]\n\nExamples:\n  itd db:list\n  itd dbs",
    load: async () => (await import("./commands/warehouse.js")).databaseListCommand,
  },
  {
    name: "table:list",
    aliases: ["tables", "show-tables"],
    summary: "List the tables of a database (or of every database)",
    usage: "itd table:list [DATABASE] [-f table|tsv|csv|json]\n\nExamples:\n  itd table:list td_sample_db\n  itd tables",
    load: async () => (await import("./commands/warehouse.js")).tableListCommand,
  },
  {
    name: "table:show",
    aliases: ["table", "show-table"],
    summary: "Show a table's columns, types, row count and time range",
    usage: "itd table:show DATABASE TABLE [-f table|json]\n\nExamples:\n  itd table:show td_sample_db td_sample_table\n  itd table td_sample_db td_sample_table -f json",
    load: async () => (await import("./commands/warehouse.js")).tableShowCommand,
  },
  {
    name: "query",
    summary: "Run a read-only SQL query on a warehouse database",
    usage: `itd query -d DATABASE ["SELECT …" | -q FILE | -] [-w] [-f table|tsv|csv|json] [-l ROWS] [--timeout SECONDS]

The database is opened read-only: a statement that would write is refused.
  -q, --query FILE     read the SQL from FILE; - as the SQL argument reads it from stdin
  -w, --wait           accepted for td's habit: itd runs the query at once and waits for it anyway
  -l, --limit ROWS     show at most ROWS rows (default ${DEFAULT_QUERY_ROWS}; 0 = all); a note on stderr says when more were cut
  --timeout SECONDS    stop the query after SECONDS (default ${DEFAULT_QUERY_TIMEOUT_S}; 0 = no limit); exits 1 with "query: timed out after N s"

Examples:
  itd query -d td_sample_db -w "SELECT count(*) FROM td_sample_table"
  itd query -d td_sample_db -f csv "SELECT email, created_at FROM td_sample_table ORDER BY time DESC LIMIT 10"
  itd query -d td_sample_db -q report.sql -f csv -l 0 --timeout 3600
  echo "SELECT count(*) FROM td_sample_table" | itd query -d td_sample_db -`,
    load: async () => (await import("./commands/warehouse.js")).queryCommand,
  },
  {
    name: "fake-iterable",
    finishesOnClosedPipe: true,
    summary: "Run the bundled fake Iterable API server (for demos, tests and reproducing problems)",
    usage: `itd fake-iterable [--host 127.0.0.1] [--port 0] [--api-key KEY] [--seed N] [--events-per-day N] [--users N]
                     [--user-updates N] [--campaigns N] [--lists N] [--now TIME] [--data-start TIME] [--no-rate-limits]
                     [--late-share P --late-by DURATION] [--rate-limit ENDPOINT=N/WINDOW]… [--fault SPEC]…

Prints 'listening on http://HOST:PORT' as its first line and serves until SIGINT/SIGTERM.

  --fault SPEC        ENDPOINT:KIND[=ARG][@N|@P%]  ENDPOINT: campaigns metrics lists getUsers export
                      export.json export.csv *;  KIND: 500 503 429 html cut=BYTES malformed slow=MS stall=MS;
                      @N = the next N requests (default 1), @P% = that share of requests
  --rate-limit SPEC   override a limit, e.g. export.json=4/10s (default: Iterable's documented limits)
  --now TIME          freeze the fake's clock (range=Today etc. and the newest data are relative to it)
  --data-start TIME   where the data begins (default 2025-01-01, or a year before --now when --now is given)
  --late-share P      hold back this share of event records (0.05 or 5%; default 0), as Iterable does with
                      events sent with a past createdAt: each is served only once now ≥ its createdAt + its delay
  --late-by DURATION  the longest delay of a late record (90s, 30m, 2h, 1d); delays are whole seconds in (0, DURATION]
  --user-updates N    profile versions per user (1 to 1000; default 1): the user export holds N versions of each
                      user (same email and userId, other fields changed) at rising profileUpdatedAt over the year

Control endpoints (no Api-Key): GET /_fake/stats; GET|POST|DELETE /_fake/faults {"faults": [SPEC, …]};
GET /_fake/now; POST /_fake/now {"now": EPOCH_MS} or {"advanceMs": MS} freezes now there (late records arrive).

Examples:
  itd fake-iterable --port 8080 --api-key demo-key
  itd fake-iterable --events-per-day 1000000 --no-rate-limits
  itd fake-iterable --fault export:503@2 --fault 'getUsers:cut=100@10%'
  itd fake-iterable --now 2026-06-02T00:00:00Z --late-share 5% --late-by 2h
  itd fake-iterable --users 200 --user-updates 3`,
    load: async () => (await import("./commands/fake-iterable.js")).fakeIterableCommand,
  },
  {
    name: "__job",
    finishesOnClosedPipe: true,
    summary: "Run one job for the daemon (internal)",
    usage: "itd __job JOB_ID",
    hidden: true,
    load: async () => (await import("./commands/job-exec.js")).jobExecCommand,
  },
  {
    name: "__jobs",
    finishesOnClosedPipe: true,
    summary: "Run jobs for the daemon, one at a time (internal)",
    usage: "itd __jobs",
    hidden: true,
    load: async () => (await import("./commands/job-worker.js")).jobWorkerCommand,
  },
];
