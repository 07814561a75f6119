/*
 * cmd_ingest.c - `lakestream ingest TABLE --source SRC [--source SRC2] [options]`:
 * option parsing and signal handling around ls_ingest_run (src/ingest).
 *
 * Signals: the first SIGTERM/SIGINT asks the engine to finish the batch in
 * progress, commit it and exit 0; a second one aborts the batch without
 * committing (the table stays at its last commit; exit 1); a third exits at
 * once. The handler only sets flags: the flags are the one piece of process-
 * global state, which a signal handler cannot avoid.
 *
 * Memory: the Parquet writer fills large fresh buffers for every file; with 4 KiB
 * pages the page faults cost about a quarter of the ingest time, so the command
 * runs with glibc's malloc on transparent huge pages and one malloc arena
 * (cli_use_huge_pages, cli_mem.c). LS_NO_HUGEPAGES=1 turns this off.
 */
#include "cli.h"
#include "cmd_ingest.h"
#include "ingest/ingest.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop, g_abort, g_signals;

static void on_signal(int sig)
{
    (void)sig;
    g_signals++;
    if (g_signals == 1) {
        g_stop = 1;
    } else if (g_signals == 2) {
        g_abort = 1;
        static const char msg[] = "lakestream ingest: second signal: aborting the batch in "
                                  "progress (not committed)\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
    } else {
        _exit(1);
    }
}

static int parse_count(const char *cmd, const char *opt, const char *v, uint64_t *out)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || v[0] == '-')
        return cli_usage_error(cmd, "--%s: expected a non-negative integer, got '%s'", opt, v);
    *out = x;
    return 0;
}

#define MAX_PROPS 64

static void ingest_help(void)
{
    fputs("usage: lakestream ingest TABLE --source DIR|- [--source DIR2 ...] [options]\n"
          "       lakestream ingest TABLE --show-position\n"
          "\n"
          "Streams NDJSON/CSV from landing folders (gzip/zstd files too) or stdin ('-') into\n"
          "the Delta table in micro-batches, exactly once across kills and restarts.\n"
          "\n"
          "sources and triggers:\n"
          "  --source DIR|-            a landing folder, or - for stdin (repeatable)\n"
          "  --app-id ID               the position's name in the table (one, or one per source)\n"
          "  --format auto|ndjson|csv  auto: .csv/.tsv files are CSV, the rest NDJSON\n"
          "  --trigger interval:1s|available-now|once\n"
          "  --max-batch-rows N, --max-batch-bytes B, --max-batch-files N\n"
          "  --discovery auto|inotify|listing, --settle DURATION (default 500ms)\n"
          "  --stdin-resume auto|skip|new\n"
          "        what a restart does with stdin when earlier runs committed part of it:\n"
          "        auto (default): if stdin starts like the committed stream (a fingerprint\n"
          "          of its first bytes, up to 4 KiB) and, for a file, is at least as long,\n"
          "          it is a replay: the committed bytes are skipped (a file redirected with\n"
          "          '<' is seeked, a pipe is read and dropped); otherwise it is a new stream,\n"
          "          ingested from its first byte (logged, recorded as a new stream segment)\n"
          "        skip: always skip the committed bytes (an error if stdin is shorter)\n"
          "        new: always ingest stdin from its first byte as a new stream\n"
          "table and data:\n"
          "  --create, --schema DDL, --partition-by \"day(ts) AS dt, kind, bucket(16, id)\"\n"
          "  --property k=v, --infer-rows N (default 10000)\n"
          "  --merge-schema, --no-rescue, --flatten, --explode COL, --max-line-bytes B\n"
          "  --codec zstd|snappy|gzip|lz4|brotli|none, --compression-level N,\n"
          "  --target-file-size B, --max-records-per-file N, --row-group-size B\n"
          "operation:\n"
          "  --threads 1|2, --status-file PATH, --quiet\n"
          "  --show-position           print each source's committed position and exit\n"
          "\n"
          "SIGTERM/SIGINT finish and commit the batch in progress; a second signal aborts it.\n",
          stdout);
}


int cmd_ingest(int argc, char **argv)
{
    const char *cmd = "ingest";
    const char *sources[LS_INGEST_MAX_SOURCES], *app_ids[LS_INGEST_MAX_SOURCES];
    int n_sources = 0, n_app_ids = 0;
    const char *format = NULL, *trigger = NULL, *max_rows = NULL, *max_bytes = NULL,
               *max_files = NULL, *schema = NULL, *partition_by = NULL, *infer_rows = NULL,
               *target = NULL, *max_records = NULL, *codec = NULL, *level = NULL,
               *explode = NULL, *max_line = NULL, *threads = NULL, *discovery = NULL,
               *settle = NULL, *status_file = NULL, *row_group = NULL, *stdin_resume = NULL;
    const char *props[MAX_PROPS];
    int n_props = 0;
    bool create = false, merge = false, no_rescue = false, flatten = false, quiet = false,
         show = false, help = false;
    cli_opt opts[] = {
        OPT_MULTI("source", sources, &n_sources, LS_INGEST_MAX_SOURCES),
        OPT_MULTI("app-id", app_ids, &n_app_ids, LS_INGEST_MAX_SOURCES),
        OPT_VAL("format", &format),
        OPT_VAL("trigger", &trigger),
        OPT_VAL("max-batch-rows", &max_rows),
        OPT_VAL("max-batch-bytes", &max_bytes),
        OPT_VAL("max-batch-files", &max_files),
        OPT_FLAG("create", &create),
        OPT_VAL("schema", &schema),
        OPT_VAL("partition-by", &partition_by),
        OPT_MULTI("property", props, &n_props, MAX_PROPS),
        OPT_VAL("infer-rows", &infer_rows),
        OPT_VAL("target-file-size", &target),
        OPT_VAL("max-records-per-file", &max_records),
        OPT_VAL("codec", &codec),
        OPT_VAL("row-group-size", &row_group),
        OPT_VAL("compression-level", &level),
        OPT_FLAG("merge-schema", &merge),
        OPT_FLAG("no-rescue", &no_rescue),
        OPT_FLAG("flatten", &flatten),
        OPT_VAL("explode", &explode),
        OPT_VAL("max-line-bytes", &max_line),
        OPT_VAL("threads", &threads),
        OPT_VAL("discovery", &discovery),
        OPT_VAL("settle", &settle),
        OPT_VAL("status-file", &status_file),
        OPT_FLAG("quiet", &quiet),
        OPT_FLAG("show-position", &show),
        OPT_VAL("stdin-resume", &stdin_resume),
        OPT_FLAG("help", &help),
    };
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos,
                        cmd)))
        return rc;
    if (help) {
        ingest_help();
        return 0;
    }
    if (npos != 1)
        return cli_usage_error(cmd, "expected the table: ingest TABLE --source DIR|- [options]");
    ls_error err = {0};
    if (show) {
        ls_buf out = {0};
        if ((rc = ls_ingest_describe(pos[0], &out, &err))) {
            ls_buf_free(&out);
            return cli_fail(cmd, &err);
        }
        fwrite(out.data, 1, out.len, stdout);
        ls_buf_free(&out);
        return 0;
    }
    if (n_sources == 0)
        return cli_usage_error(cmd, "--source DIR (a landing folder) or --source - (stdin) is "
                                    "required");
    cli_use_huge_pages();
    if (n_app_ids > 1 && n_app_ids != n_sources)
        return cli_usage_error(cmd, "give one --app-id per --source (or one, which is suffixed "
                                    "with the source number)");

    ls_ingest_opts o;
    ls_ingest_opts_default(&o);
    o.table = pos[0];
    o.n_sources = n_sources;
    char *owned_ids[LS_INGEST_MAX_SOURCES] = {0};
    for (int i = 0; i < n_sources; i++) {
        o.sources[i] = sources[i];
        if (n_app_ids == n_sources)
            o.app_ids[i] = app_ids[i];
        else if (n_app_ids == 1)
            o.app_ids[i] = owned_ids[i] = n_sources == 1 ? ls_xstrdup(app_ids[0])
                                                         : ls_xasprintf("%s-%d", app_ids[0], i);
    }
    int ret = 2;
    ls_kvlist kv = {0};
    if (format) {
        if (!strcmp(format, "ndjson") || !strcmp(format, "json"))
            o.format = LS_ING_NDJSON;
        else if (!strcmp(format, "csv"))
            o.format = LS_ING_CSV;
        else if (!strcmp(format, "auto"))
            o.format = LS_ING_AUTO;
        else {
            cli_usage_error(cmd, "--format must be auto, ndjson or csv");
            goto out;
        }
    }
    if (trigger) {
        if (!strcmp(trigger, "available-now") || !strcmp(trigger, "availableNow")) {
            o.trigger = LS_TRIG_AVAILABLE_NOW;
        } else if (!strcmp(trigger, "once")) {
            o.trigger = LS_TRIG_ONCE;
        } else if (!strncmp(trigger, "interval:", 9) || !strncmp(trigger, "interval=", 9)) {
            o.trigger = LS_TRIG_INTERVAL;
            if (ls_ing_parse_duration(trigger + 9, &o.interval_ms, &err) || o.interval_ms <= 0) {
                cli_usage_error(cmd, "--trigger: %s", err.msg[0] ? err.msg : "interval must be > 0");
                goto out;
            }
        } else {
            cli_usage_error(cmd, "--trigger must be interval:<duration> (e.g. interval:1s), "
                                 "available-now or once");
            goto out;
        }
    }
    if ((max_rows && parse_count(cmd, "max-batch-rows", max_rows, &o.max_batch_rows)) ||
        (max_bytes && cli_parse_u64(cmd, "max-batch-bytes", max_bytes, &o.max_batch_bytes)) ||
        (max_files && parse_count(cmd, "max-batch-files", max_files, &o.max_batch_files)) ||
        (infer_rows && parse_count(cmd, "infer-rows", infer_rows, &o.infer_rows)) ||
        (target && cli_parse_u64(cmd, "target-file-size", target, &o.writer.target_file_size)) ||
        (max_records &&
         parse_count(cmd, "max-records-per-file", max_records, &o.writer.max_records_per_file)) ||
        (max_line && cli_parse_u64(cmd, "max-line-bytes", max_line, &o.max_line_bytes)) ||
        (row_group &&
         cli_parse_u64(cmd, "row-group-size", row_group, &o.writer.parquet.row_group_bytes)))
        goto out;
    if (row_group && o.writer.parquet.row_group_bytes < 1024) {
        cli_usage_error(cmd, "--row-group-size must be at least 1024 bytes");
        goto out;
    }
    if (infer_rows && o.infer_rows == 0) {
        cli_usage_error(cmd, "--infer-rows must be at least 1");
        goto out;
    }
    if (max_line && o.max_line_bytes < 1024) {
        cli_usage_error(cmd, "--max-line-bytes must be at least 1024");
        goto out;
    }
    if (codec) {
        static const struct {
            const char *n;
            int c;
        } codecs[] = {{"none", 0}, {"uncompressed", 0}, {"snappy", 1}, {"gzip", 2},
                      {"zstd", 6}, {"lz4", 7},          {"lz4_raw", 7}, {"brotli", 4}};
        int c = -1;
        for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
            if (!strcmp(codecs[i].n, codec))
                c = codecs[i].c;
        if (c < 0) {
            cli_usage_error(cmd, "unknown codec '%s' (zstd, snappy, gzip, lz4, brotli, none)",
                            codec);
            goto out;
        }
        o.writer.parquet.codec = c;
    }
    if (level) {
        char *end;
        long lv = strtol(level, &end, 10);
        if (!*level || *end || lv < -50 || lv > 22) {
            cli_usage_error(cmd, "--compression-level: invalid '%s'", level);
            goto out;
        }
        o.writer.parquet.level = (int)lv;
    }
    if (threads) {
        uint64_t t = 0;
        if (parse_count(cmd, "threads", threads, &t))
            goto out;
        if (t < 1 || t > 2) {
            cli_usage_error(cmd, "--threads must be 1 or 2 (parse and encode in parallel)");
            goto out;
        }
        o.threads = (int)t;
    }
    if (discovery) {
        if (!strcmp(discovery, "listing"))
            o.listing_only = true;
        else if (strcmp(discovery, "inotify") && strcmp(discovery, "auto")) {
            cli_usage_error(cmd, "--discovery must be auto, inotify or listing");
            goto out;
        }
    }
    if (stdin_resume) {
        bool has_stdin = false;
        for (int i = 0; i < n_sources; i++)
            has_stdin |= !strcmp(sources[i], "-");
        if (!strcmp(stdin_resume, "auto"))
            o.stdin_resume = LS_STDIN_AUTO;
        else if (!strcmp(stdin_resume, "skip"))
            o.stdin_resume = LS_STDIN_SKIP;
        else if (!strcmp(stdin_resume, "new"))
            o.stdin_resume = LS_STDIN_NEW;
        else {
            cli_usage_error(cmd, "--stdin-resume must be auto, skip or new");
            goto out;
        }
        if (!has_stdin) {
            cli_usage_error(cmd, "--stdin-resume applies to stdin: it needs --source -");
            goto out;
        }
    }
    if (settle && ls_ing_parse_duration(settle, &o.settle_ms, &err)) {
        cli_usage_error(cmd, "--settle: %s", err.msg);
        goto out;
    }
    for (int i = 0; i < n_props; i++) {
        const char *eq = strchr(props[i], '=');
        if (!eq || eq == props[i]) {
            cli_usage_error(cmd, "--property expects key=value, got '%s'", props[i]);
            goto out;
        }
        char *k = ls_xstrndup(props[i], (size_t)(eq - props[i]));
        ls_kvlist_set(&kv, k, eq + 1);
        free(k);
    }
    o.properties = &kv;
    o.create = create;
    o.schema_ddl = schema;
    o.partition_by = partition_by;
    o.merge_schema = merge;
    o.rescue = !no_rescue;
    o.flatten = flatten;
    o.explode = explode;
    o.status_file = status_file;
    o.quiet = quiet;
    o.stop = &g_stop;
    o.abort = &g_abort;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking read/poll returns so the flags are seen */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    ls_ingest_totals tot;
    memset(&tot, 0, sizeof tot);
    rc = ls_ingest_run(&o, &tot, &err);
    if (rc == LS_ERR_INTERRUPTED || tot.aborted) {
        fprintf(stderr, "lakestream: ingest: %s\n", err.msg[0] ? err.msg : "aborted");
        ret = 1;
    } else if (rc) {
        ret = cli_fail(cmd, &err);
    } else {
        if (!quiet)
            fprintf(stderr,
                    "lakestream ingest: done: %" PRIu64 " batches, %" PRIu64 " rows, %" PRIu64
                    " source files, %" PRIu64 " error lines, %" PRIu64 " rescued rows, %" PRIu64
                    " changed files reported, table version %" PRId64 "\n",
                    tot.batches, tot.rows, tot.files, tot.error_lines, tot.rescued_rows,
                    tot.changed_files, tot.table_version);
        ret = 0;
    }
out:
    ls_kvlist_free(&kv);
    for (int i = 0; i < n_sources; i++)
        free(owned_ids[i]);
    return ret;
}
