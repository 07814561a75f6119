/*
 * main.c - the lakestream command-line tool: argument parsing, dispatch,
 * error reporting ("lakestream: <what failed>: <why>", exit 1; usage errors
 * exit 2) and progress display on a TTY.
 */
#include "cli.h"
#include "cmd_cat.h"
#include "cmd_delta.h"
#include "cmd_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lakestream <command> <table-uri> [options]\n"
            "\n"
            "single Parquet files:\n"
            "  parquet write OUT.parquet --input IN.ndjson [--schema DDL] [--codec zstd|snappy|gzip|none]\n"
            "                [--compression-level N] [--row-group-size BYTES] [--page-size BYTES]\n"
            "                [--fsync]    (fsync before publishing; table writes always do)\n"
            "  parquet meta FILE          metadata as JSON\n"
            "  parquet cat FILE [--columns a,b.c] [--limit N] [--format ndjson|csv]\n"
            "\n"
            "Delta tables (table-uri is a local path; s3://bucket/prefix comes with S3 support):\n"
            "  create TABLE --schema DDL [--partition-by cols] [--property k=v]\n"
            "  append TABLE --input FILE [--format ndjson|csv|parquet] [--app-id ID --txn-version N]\n"
            "  ingest TABLE --source DIR|- [--trigger interval:1s|available-now|once] [--create] ...\n"
            "  cat TABLE [--version N | --timestamp T] [--where PRED] [--columns a,b]\n"
            "            [--since-version N] [--format ndjson|csv|parquet] [--limit N]\n"
            "  describe TABLE, history TABLE [--limit N], checkpoint TABLE\n"
            "  not built yet: optimize, vacuum, manifest, import, serve\n"
            "\n"
            "  lakestream --version\n");
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lakestream: %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'lakestream --help')\n");
    va_end(ap);
    return 2;
}

int cli_fail(const char *what, const ls_error *err)
{
    fprintf(stderr, "lakestream: %s: %s\n", what, err->msg[0] ? err->msg : ls_strerror_code(err->code));
    return 1;
}

/* ---- option parsing --------------------------------------------------------- */

int cli_parse(int argc, char **argv, const cli_opt *opts, int n_opts, const char **positional,
              int max_positional, int *n_positional, const char *cmd)
{
    *n_positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *eq = strchr(a, '=');
            size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            const cli_opt *o = NULL;
            for (int k = 0; k < n_opts; k++)
                if (strlen(opts[k].name) == nlen && memcmp(opts[k].name, a + 2, nlen) == 0)
                    o = &opts[k];
            if (!o)
                return cli_usage_error(cmd, "unknown option '%s'", a);
            if (o->is_flag) {
                if (eq)
                    return cli_usage_error(cmd, "option --%s takes no value", o->name);
                *o->flag = true;
                continue;
            }
            const char *v = eq ? eq + 1 : NULL;
            if (!v) {
                if (i + 1 >= argc)
                    return cli_usage_error(cmd, "option --%s needs a value", o->name);
                v = argv[++i];
            }
            if (o->multi) {
                if (*o->n_multi >= o->max_multi)
                    return cli_usage_error(cmd, "too many --%s options", o->name);
                o->multi[(*o->n_multi)++] = v;
            } else {
                *o->value = v;
            }
        } else {
            if (*n_positional >= max_positional)
                return cli_usage_error(cmd, "unexpected argument '%s'", a);
            positional[(*n_positional)++] = a;
        }
    }
    return 0;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *v, uint64_t *out)
{
    ls_error err = {0};
    if (ls_parse_size(v, out, &err) != LS_OK)
        return cli_usage_error(cmd, "--%s: %s", opt, err.msg);
    return 0;
}

/* ---- progress ------------------------------------------------------------------- */

void cli_progress_init(cli_progress *p, const char *label)
{
    memset(p, 0, sizeof *p);
    p->label = label;
    p->enabled = isatty(2) && !getenv("LS_NO_PROGRESS");
    p->start_ns = ls_monotonic_nanos();
    p->last_ns = p->start_ns;
}

void cli_progress_update(cli_progress *p, uint64_t rows, uint64_t bytes)
{
    if (!p->enabled)
        return;
    int64_t now = ls_monotonic_nanos();
    if (now - p->last_ns < 500000000)
        return;
    p->last_ns = now;
    double s = (double)(now - p->start_ns) / 1e9;
    fprintf(stderr, "\r%s: %llu rows, %.1f MB, %.0f rows/s   ", p->label,
            (unsigned long long)rows, (double)bytes / 1e6, s > 0 ? (double)rows / s : 0.0);
    p->shown = true;
}

void cli_progress_done(cli_progress *p)
{
    if (p->enabled && p->shown)
        fprintf(stderr, "\r\033[K");
}

/* ---- dispatch ------------------------------------------------------------------ */

typedef struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *issue; /* where unimplemented commands are tracked */
} cli_cmd;

static int not_yet(const char *name, const char *issue)
{
    fprintf(stderr, "lakestream: %s: not implemented yet (%s)\n", name, issue);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("%s\n", LS_CREATED_BY);
        return 0;
    }
    if (!strcmp(cmd, "parquet")) {
        if (argc < 3)
            return cli_usage_error("parquet", "expected write, meta or cat");
        const char *sub = argv[2];
        if (!strcmp(sub, "write"))
            return cmd_parquet_write(argc - 3, argv + 3);
        if (!strcmp(sub, "meta"))
            return cmd_parquet_meta(argc - 3, argv + 3);
        if (!strcmp(sub, "cat"))
            return cmd_parquet_cat(argc - 3, argv + 3);
        return cli_usage_error("parquet", "unknown subcommand '%s' (expected write, meta or cat)",
                               sub);
    }
    static const cli_cmd cmds[] = {
        {"create", cmd_delta_create, NULL},         {"append", cmd_delta_append, NULL},
        {"cat", cmd_cat, NULL},                     {"describe", cmd_delta_describe, NULL},
        {"history", cmd_delta_history, NULL},       {"checkpoint", cmd_delta_checkpoint, NULL},
        {"ingest", cmd_ingest, NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name))
            return cmds[i].fn(argc - 2, argv + 2);
    static const cli_cmd later[] = {
        {"optimize", NULL, "maintenance"},
        {"vacuum", NULL, "maintenance"},               {"manifest", NULL, "maintenance"},
        {"import", NULL, "bulk import"},               {"serve", NULL, "HTTP ingest server"},
    };
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
        if (!strcmp(cmd, later[i].name))
            return not_yet(cmd, later[i].issue);
    fprintf(stderr, "lakestream: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
