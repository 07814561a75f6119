/*
 * cmd_cat.c - `lakestream cat TABLE [--version N | --timestamp T]
 * [--columns a,b.c] [--where PRED] [--since-version N]
 * [--format ndjson|csv|parquet] [--limit N]`.
 *
 * Rows stream from the scan straight to stdout as text. For --format parquet
 * the file is written to a private temporary file first (the writer needs an
 * ls_output, and stdout may be a pipe) and then copied to stdout, so a
 * failure never leaves a truncated Parquet file behind on stdout.
 */
#include "cli.h"
#include "cmd_cat.h"
#include "scan/scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_nonneg(const char *cmd, const char *opt, const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < 0)
        return cli_usage_error(cmd, "--%s: expected a non-negative integer, got '%s'", opt, v);
    *out = x;
    return 0;
}

/* Epoch milliseconds, or ISO-8601 (without an offset: UTC). */
static int parse_when(const char *cmd, const char *v, int64_t *ms)
{
    bool digits = *v != 0;
    for (const char *p = v; *p; p++)
        digits &= *p >= '0' && *p <= '9';
    if (digits) return parse_nonneg(cmd, "timestamp", v, ms);
    int64_t us;
    bool tz;
    if (!ls_parse_timestamp(v, strlen(v), &us, &tz))
        return cli_usage_error(cmd,
                               "--timestamp: expected epoch milliseconds or ISO-8601 "
                               "(2024-01-31T12:00:00Z), got '%s'",
                               v);
    /* floor to ms: "the latest commit at or before T" must not see a later one */
    *ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    return 0;
}

/* Splits a comma-separated column list; commas inside `backquotes` belong to names. */
static char **split_columns(const char *s, int *n)
{
    int cap = 8, cnt = 0;
    char **v = ls_xmalloc((size_t)cap * sizeof(char *));
    const char *p = s;
    for (;;) {
        const char *q = p;
        bool bq = false;
        while (*q && (bq || *q != ',')) {
            if (*q == '`') bq = !bq;
            q++;
        }
        const char *a = p, *b = q;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a) {
            if (cnt == cap) {
                cap *= 2;
                v = ls_xrealloc(v, (size_t)cap * sizeof(char *));
            }
            v[cnt++] = ls_xstrndup(a, (size_t)(b - a));
        }
        if (!*q) break;
        p = q + 1;
    }
    *n = cnt;
    return v;
}

static int write_all(FILE *f, const void *p, size_t n, ls_error *err)
{
    if (n && fwrite(p, 1, n, f) != n)
        return ls_err(err, LS_ERR_IO, "writing to stdout failed: %s", strerror(errno));
    return LS_OK;
}

static int copy_to_stdout(const char *path, ls_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ls_err(err, LS_ERR_IO, "%s: %s", path, strerror(errno));
    char *buf = ls_xmalloc(1 << 20);
    int rc = LS_OK;
    size_t n;
    while (!rc && (n = fread(buf, 1, 1 << 20, f)) > 0)
        rc = write_all(stdout, buf, n, err);
    if (!rc && ferror(f)) rc = ls_err(err, LS_ERR_IO, "%s: read failed", path);
    free(buf);
    fclose(f);
    return rc;
}

typedef enum { OUT_NDJSON, OUT_CSV, OUT_PARQUET } out_fmt;

int cmd_cat(int argc, char **argv)
{
    const char *cmd = "cat";
    const char *version_s = NULL, *ts_s = NULL, *columns = NULL, *where = NULL;
    const char *since_s = NULL, *format = "ndjson", *limit_s = NULL;
    cli_opt opts[] = {
        OPT_VAL("version", &version_s),     OPT_VAL("timestamp", &ts_s),
        OPT_VAL("columns", &columns),       OPT_VAL("where", &where),
        OPT_VAL("since-version", &since_s), OPT_VAL("format", &format),
        OPT_VAL("limit", &limit_s),
    };
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos, cmd)))
        return rc;
    if (npos != 1) return cli_usage_error(cmd, "expected a table: cat TABLE [options]");
    if (version_s && ts_s)
        return cli_usage_error(cmd, "--version and --timestamp are mutually exclusive");
    ls_delta_snapshot_spec spec = {LS_AT_LATEST, 0, 0};
    if (version_s) {
        spec.at = LS_AT_VERSION;
        if ((rc = parse_nonneg(cmd, "version", version_s, &spec.version))) return rc;
    }
    if (ts_s) {
        spec.at = LS_AT_TIMESTAMP;
        if ((rc = parse_when(cmd, ts_s, &spec.timestamp_ms))) return rc;
    }
    int64_t since = -1;
    if (since_s && (rc = parse_nonneg(cmd, "since-version", since_s, &since))) return rc;
    out_fmt fmt;
    if (!strcmp(format, "ndjson") || !strcmp(format, "json"))
        fmt = OUT_NDJSON;
    else if (!strcmp(format, "csv"))
        fmt = OUT_CSV;
    else if (!strcmp(format, "parquet"))
        fmt = OUT_PARQUET;
    else
        return cli_usage_error(cmd, "--format must be ndjson, csv or parquet");
    if (fmt == OUT_PARQUET && isatty(1))
        return cli_usage_error(cmd, "refusing to write Parquet to a terminal (redirect stdout)");
    uint64_t limit = UINT64_MAX;
    if (limit_s) {
        int64_t l;
        if ((rc = parse_nonneg(cmd, "limit", limit_s, &l))) return rc;
        limit = (uint64_t)l;
    }

    ls_error err = {0};
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    ls_scan *scan = NULL;
    ls_batch *batch = NULL, *part = NULL;
    char **cols = NULL;
    int ncols = 0;
    ls_buf out = {0};
    ls_output *pq_out = NULL;
    ls_pq_writer *pw = NULL;
    char tmp_path[4096] = "";

    if ((rc = ls_delta_open(pos[0], &t, &err))) goto done;
    if ((rc = ls_delta_snapshot_load(t, &spec, &snap, &err))) goto done;
    if (columns) cols = split_columns(columns, &ncols);
    ls_scan_opts so;
    memset(&so, 0, sizeof so);
    so.columns = (const char *const *)cols;
    so.n_columns = ncols;
    so.where = where;
    so.since_version = since;
    if ((rc = ls_scan_open(t, snap, &so, &scan, &err))) goto done;
    const ls_schema *schema = ls_scan_schema(scan);
    batch = ls_batch_new(schema);

    if (fmt == OUT_PARQUET) {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir) dir = "/tmp";
        snprintf(tmp_path, sizeof tmp_path, "%s/lakestream-cat-XXXXXX", dir);
        int fd = mkstemp(tmp_path);
        if (fd < 0) {
            rc = ls_err(&err, LS_ERR_IO, "cannot create a temporary file in %s: %s", dir,
                        strerror(errno));
            tmp_path[0] = 0;
            goto done;
        }
        close(fd);
        if ((rc = ls_output_open_file(tmp_path, &pq_out, &err))) goto done;
        ls_pq_writer_opts wo;
        ls_pq_writer_opts_default(&wo);
        if ((rc = ls_pq_writer_new(pq_out, schema, &wo, &pw, &err))) goto done;
    }

    uint64_t emitted = 0;
    bool header = fmt == OUT_CSV;
    while (emitted < limit) {
        bool eof = false;
        if ((rc = ls_scan_next(scan, batch, &eof, &err))) goto done;
        if (eof) break;
        size_t n = batch->n_rows;
        if ((uint64_t)n > limit - emitted) n = (size_t)(limit - emitted);
        if (fmt == OUT_PARQUET) {
            const ls_batch *src = batch;
            if (n < batch->n_rows) {
                if (!part) part = ls_batch_new(schema);
                ls_batch_reset(part);
                ls_batch_append_rows(part, batch, 0, n);
                src = part;
            }
            if ((rc = ls_pq_writer_write(pw, src, &err))) goto done;
        } else {
            out.len = 0;
            if ((rc = ls_batch_format(batch, 0, n, fmt == OUT_CSV ? LS_FMT_CSV : LS_FMT_NDJSON,
                                      header, &out, &err)))
                goto done;
            header = false;
            if ((rc = write_all(stdout, out.data, out.len, &err))) goto done;
        }
        emitted += n;
    }
    if (header) { /* no rows: CSV still gets its header */
        out.len = 0;
        ls_batch_reset(batch);
        if ((rc = ls_batch_format(batch, 0, 0, LS_FMT_CSV, true, &out, &err))) goto done;
        if ((rc = write_all(stdout, out.data, out.len, &err))) goto done;
    }
    if (fmt == OUT_PARQUET) {
        if ((rc = ls_pq_writer_close(pw, &err))) goto done;
        ls_pq_writer_free(pw);
        pw = NULL;
        rc = ls_output_commit(pq_out, &err);
        pq_out = NULL;
        if (rc) goto done;
        if ((rc = copy_to_stdout(tmp_path, &err))) goto done;
    }
done:
    ls_pq_writer_free(pw);
    if (pq_out) ls_output_abort(pq_out);
    if (tmp_path[0]) unlink(tmp_path);
    for (int i = 0; i < ncols; i++)
        free(cols[i]);
    free(cols);
    ls_buf_free(&out);
    ls_batch_free(part);
    ls_batch_free(batch);
    ls_scan_free(scan);
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
    if (fflush(stdout) != 0 && rc == 0)
        rc = ls_err(&err, LS_ERR_IO, "writing to stdout failed: %s", strerror(errno));
    return rc ? cli_fail(cmd, &err) : 0;
}
