/*
 * api.c - the public C API (include/lakestream.h): a small, stable facade
 * over the delta, col and scan layers for programs that embed lakestream.
 * It sits at the top of the library, beside the CLI, and adds no logic of
 * its own beyond wiring the layers together.
 */
#include "lakestream.h"

#include "delta/delta.h"
#include "scan/scan.h"

#include <stdlib.h>

const char *ls_version(void) { return LS_CREATED_BY; }

int ls_table_create(const char *uri, const char *schema_ddl, const char *partition_by,
                    ls_error *err)
{
    ls_schema *schema = NULL;
    int rc = ls_schema_parse_ddl(schema_ddl, &schema, err);
    if (rc)
        return rc;
    char *parts[256];
    int n_parts = 0;
    char *copy = partition_by ? ls_xstrdup(partition_by) : NULL;
    for (char *save = NULL, *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t n = strlen(tok);
        while (n && tok[n - 1] == ' ')
            tok[--n] = 0;
        if (!n)
            continue;
        if (n_parts == 256) {
            rc = ls_err(err, LS_ERR_LIMIT, "too many partition columns");
            break;
        }
        parts[n_parts++] = tok;
    }
    ls_delta_table *t = NULL;
    if (rc == LS_OK)
        rc = ls_delta_open(uri, &t, err);
    if (rc == LS_OK) {
        ls_delta_create_opts o = {0};
        o.schema = schema;
        o.partition_columns = (const char *const *)parts;
        o.n_partition_columns = n_parts;
        rc = ls_delta_create(t, &o, err);
    }
    ls_delta_close(t);
    free(copy);
    ls_schema_free(schema);
    return rc;
}

int ls_table_version(const char *uri, int64_t *version, ls_error *err)
{
    ls_delta_table *t = NULL;
    int rc = ls_delta_open(uri, &t, err);
    if (rc)
        return rc;
    ls_delta_snapshot *s = NULL;
    ls_delta_snapshot_spec spec = {.at = LS_AT_LATEST};
    rc = ls_delta_snapshot_load(t, &spec, &s, err);
    if (rc == LS_OK)
        *version = ls_delta_snapshot_version(s);
    ls_delta_snapshot_free(s);
    ls_delta_close(t);
    return rc;
}

/* Rows are shredded in slices so a large buffer does not become one huge batch. */
#define API_BATCH_BYTES (16u << 20)

int ls_table_append_ndjson(const char *uri, const char *ndjson, size_t len, const char *app_id,
                           int64_t txn_version, int *committed, int64_t *version,
                           ls_error *err)
{
    if (committed)
        *committed = 0;
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    ls_delta_writer *w = NULL;
    ls_delta_commit *c = NULL;
    ls_json_reader *jr = NULL;
    ls_batch *batch = NULL;
    int rc = ls_delta_open(uri, &t, err);
    ls_delta_snapshot_spec spec = {.at = LS_AT_LATEST};
    if (rc == LS_OK)
        rc = ls_delta_snapshot_load(t, &spec, &snap, err);
    if (rc)
        goto out;
    if (app_id && ls_delta_snapshot_txn_version(snap, app_id) >= txn_version) {
        if (version)
            *version = ls_delta_snapshot_version(snap);
        goto out; /* already committed: exactly-once */
    }
    ls_delta_writer_opts wo;
    ls_delta_writer_opts_default(&wo);
    if ((rc = ls_delta_writer_new(t, ls_delta_snapshot_metadata(snap), &wo, &w, err)))
        goto out;
    const ls_schema *schema = ls_delta_snapshot_schema(snap);
    ls_json_opts jo = {.strict = true};
    jr = ls_json_reader_new(schema, &jo);
    batch = ls_batch_new(schema);
    size_t pos = 0;
    uint64_t line_no = 1;
    while (pos < len && rc == LS_OK) {
        size_t end = len - pos > API_BATCH_BYTES ? pos + API_BATCH_BYTES : len;
        if (end < len) { /* cut after a newline */
            const char *nl = memchr(ndjson + end, '\n', len - end);
            end = nl ? (size_t)(nl - ndjson) + 1 : len;
        }
        uint64_t lines = 0;
        ls_batch_reset(batch);
        rc = ls_json_read_buffer(jr, batch, ndjson + pos, end - pos, line_no, &lines, err);
        if (rc == LS_OK)
            rc = ls_delta_writer_write(w, batch, err);
        line_no += lines;
        pos = end;
    }
    if (rc)
        goto out;
    c = ls_delta_commit_new(t, snap);
    if ((rc = ls_delta_writer_finish(w, c, err)))
        goto out;
    uint64_t files = 0, bytes = 0, rows = 0;
    ls_delta_writer_totals(w, &files, &bytes, &rows);
    ls_delta_commit_set_operation(c, "WRITE", "{\"mode\":\"Append\",\"partitionBy\":\"[]\"}");
    ls_delta_commit_set_metric(c, "numFiles", (int64_t)files);
    ls_delta_commit_set_metric(c, "numOutputRows", (int64_t)rows);
    ls_delta_commit_set_metric(c, "numOutputBytes", (int64_t)bytes);
    if (app_id)
        ls_delta_commit_set_txn(c, app_id, txn_version);
    int64_t v = -1;
    if ((rc = ls_delta_commit_run(c, &v, err)))
        goto out;
    ls_delta_writer_free(w);
    w = NULL;
    if (committed)
        *committed = 1;
    if (version)
        *version = v;
out:
    if (w)
        ls_delta_writer_abort(w); /* not committed: remove the data files */
    ls_delta_commit_free(c);
    ls_batch_free(batch);
    ls_json_reader_free(jr);
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
    return rc;
}

int ls_table_read_ndjson(const char *uri, int64_t version, const char *where, const char *columns,
                         char **out, size_t *out_len, ls_error *err)
{
    *out = NULL;
    *out_len = 0;
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    ls_scan *sc = NULL;
    ls_batch *batch = NULL;
    ls_buf text = {0};
    char *cols_copy = columns ? ls_xstrdup(columns) : NULL;
    const char *cols[256];
    int n_cols = 0;
    int rc = LS_OK;
    for (char *save = NULL, *tok = cols_copy ? strtok_r(cols_copy, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (n_cols == 256) {
            rc = ls_err(err, LS_ERR_LIMIT, "too many columns");
            break;
        }
        cols[n_cols++] = tok;
    }
    if (rc == LS_OK)
        rc = ls_delta_open(uri, &t, err);
    ls_delta_snapshot_spec spec = {.at = version < 0 ? LS_AT_LATEST : LS_AT_VERSION,
                                   .version = version};
    if (rc == LS_OK)
        rc = ls_delta_snapshot_load(t, &spec, &snap, err);
    if (rc == LS_OK) {
        ls_scan_opts so = {0};
        so.columns = n_cols ? cols : NULL;
        so.n_columns = n_cols;
        so.where = where;
        so.since_version = -1;
        rc = ls_scan_open(t, snap, &so, &sc, err);
    }
    if (rc == LS_OK) {
        batch = ls_batch_new(ls_scan_schema(sc));
        for (;;) {
            bool eof = false;
            if ((rc = ls_scan_next(sc, batch, &eof, err)) || eof)
                break;
            if ((rc = ls_batch_format(batch, 0, batch->n_rows, LS_FMT_NDJSON, false, &text, err)))
                break;
        }
    }
    if (rc == LS_OK) {
        *out_len = text.len;
        *out = (char *)ls_buf_cstr(&text); /* ownership passes to the caller */
    } else {
        ls_buf_free(&text);
    }
    ls_batch_free(batch);
    ls_scan_free(sc);
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
    free(cols_copy);
    return rc;
}
