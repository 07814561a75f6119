/*
 * cmd_delta.c - Delta table commands of the CLI:
 *   create TABLE --schema DDL [--partition-by a,b] [--property k=v]...
 *   append TABLE --input FILE [--format ndjson|csv|parquet] [--app-id ID --txn-version N]
 *   describe TABLE [--version N]
 *   history TABLE [--limit N]
 *   checkpoint TABLE
 * An append is one commit: the input is parsed strictly against the table
 * schema (NDJSON through the column shredder; CSV with a header, RFC 4180,
 * converted per column type; Parquet mapped by column name), written as data
 * files and committed; on any failure the files written are deleted again.
 */
#include "cli.h"
#include "cmd_delta.h"
#include "delta/delta.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_ROWS 65536

/* ---- shared helpers ----------------------------------------------------------------- */

static int open_table(const char *cmd, const char *uri, ls_delta_table **t, ls_error *err)
{
    int rc = ls_delta_open(uri, t, err);
    if (rc)
        ls_err_prefix(err, "%s", uri);
    (void)cmd;
    return rc;
}

static int load_latest(ls_delta_table *t, const char *uri, ls_delta_snapshot **snap,
                       ls_error *err)
{
    ls_delta_snapshot_spec spec = {.at = LS_AT_LATEST};
    int rc = ls_delta_snapshot_load(t, &spec, snap, err);
    if (rc == LS_ERR_NOTFOUND)
        return ls_err(err, LS_ERR_NOTFOUND, "%s is not a Delta table (no _delta_log commits)",
                      uri);
    return rc;
}

/* Splits "a,b , c" into trimmed, non-empty malloc'ed parts. */
static int split_list(const char *s, char ***out)
{
    int cap = 8, n = 0;
    char **v = ls_xmalloc((size_t)cap * sizeof(char *));
    const char *p = s;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        const char *b = p;
        while (len && (*b == ' ' || *b == '\t')) {
            b++;
            len--;
        }
        while (len && (b[len - 1] == ' ' || b[len - 1] == '\t'))
            len--;
        if (len) {
            if (n == cap) {
                cap *= 2;
                v = ls_xrealloc(v, (size_t)cap * sizeof(char *));
            }
            v[n++] = ls_xstrndup(b, len);
        }
        if (!c)
            break;
        p = c + 1;
    }
    *out = v;
    return n;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void fmt_ms(int64_t ms, char out[48])
{
    char t[48];
    int n = ls_format_timestamp(ms * 1000, false, t); /* "...SS.ffffff" */
    memcpy(out, t, (size_t)(n - 3));
    out[n - 3] = 'Z';
    out[n - 2] = 0;
}

/* ---- create ----------------------------------------------------------------------------- */

#define MAX_PROPS 256

int cmd_delta_create(int argc, char **argv)
{
    const char *cmd = "create";
    const char *ddl = NULL, *part = NULL, *name = NULL, *desc = NULL;
    const char *props[MAX_PROPS];
    int n_props = 0;
    cli_opt opts[] = {
        OPT_VAL("schema", &ddl),
        OPT_VAL("partition-by", &part),
        OPT_MULTI("property", props, &n_props, MAX_PROPS),
        OPT_VAL("name", &name),
        OPT_VAL("description", &desc),
    };
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos,
                        cmd)))
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected the table: create TABLE --schema DDL");
    if (!ddl)
        return cli_usage_error(cmd, "--schema DDL is required (e.g. \"id BIGINT, name STRING\")");
    ls_kvlist kv = {0};
    for (int i = 0; i < n_props; i++) {
        const char *eq = strchr(props[i], '=');
        if (!eq || eq == props[i]) {
            ls_kvlist_free(&kv);
            return cli_usage_error(cmd, "--property expects key=value, got '%s'", props[i]);
        }
        char *k = ls_xstrndup(props[i], (size_t)(eq - props[i]));
        ls_kvlist_set(&kv, k, eq + 1);
        free(k);
    }
    ls_error err = {0};
    ls_schema *schema = NULL;
    ls_delta_table *t = NULL;
    char **pcols = NULL;
    int n_pcols = 0;
    if ((rc = ls_schema_parse_ddl(ddl, &schema, &err)))
        goto out;
    if (part)
        n_pcols = split_list(part, &pcols);
    if ((rc = open_table(cmd, pos[0], &t, &err)))
        goto out;
    ls_delta_create_opts co = {
        .schema = schema,
        .partition_columns = (const char *const *)pcols,
        .n_partition_columns = n_pcols,
        .properties = &kv,
        .name = name,
        .description = desc,
    };
    rc = ls_delta_create(t, &co, &err);
    if (rc == LS_OK)
        printf("created table %s (version 0)\n", pos[0]);
out:
    if (pcols)
        free_list(pcols, n_pcols);
    ls_kvlist_free(&kv);
    ls_schema_free(schema);
    ls_delta_close(t);
    return rc ? cli_fail(cmd, &err) : 0;
}

/* ---- input sources ---------------------------------------------------------------------- */

typedef struct append_ctx {
    ls_delta_writer *w;
    ls_batch *batch;
    const ls_schema *schema;
    cli_progress prog;
    uint64_t bytes_in;
} append_ctx;

static int flush_batch(append_ctx *a, bool force, ls_error *err)
{
    if (a->batch->n_rows == 0 || (!force && a->batch->n_rows < BATCH_ROWS))
        return LS_OK;
    int rc = ls_delta_writer_write(a->w, a->batch, err);
    ls_batch_reset(a->batch);
    uint64_t rows = 0;
    ls_delta_writer_totals(a->w, NULL, NULL, &rows);
    cli_progress_update(&a->prog, rows, a->bytes_in);
    return rc;
}

static int read_ndjson(append_ctx *a, const char *path, ls_error *err)
{
    cli_input src;
    int rc = cli_input_open(&src, path, err);
    if (rc)
        return rc;
    ls_json_opts jo = {.strict = true, .ignore_unknown_fields = false};
    ls_json_reader *jr = ls_json_reader_new(a->schema, &jo);
    uint64_t line_no = 1;
    for (;;) {
        if ((rc = cli_input_fill(&src, err)))
            break;
        const char *p = (const char *)src.buf.data + src.head;
        size_t n = src.buf.len - src.head;
        if (!src.eof) {
            const char *nl = n ? memrchr(p, '\n', n) : NULL;
            n = nl ? (size_t)(nl - p) + 1 : 0;
        }
        if (n) {
            uint64_t lines = 0;
            rc = ls_json_read_buffer(jr, a->batch, p, n, line_no, &lines, err);
            if (rc) {
                ls_err_prefix(err, "%s", src.name);
                break;
            }
            line_no += lines;
            src.head += n;
            a->bytes_in += n;
            if ((rc = flush_batch(a, true, err)))
                break;
        }
        if (src.eof)
            break;
    }
    ls_json_reader_free(jr);
    cli_input_close(&src);
    return rc;
}

/* ---- CSV (RFC 4180, with a header line; col_csv.c) --------------------------------------- */

static int read_csv(append_ctx *a, const char *path, ls_error *err)
{
    cli_input src;
    int rc = cli_input_open(&src, path, err);
    if (rc)
        return rc;
    ls_csv_reader *cr = ls_csv_reader_new(a->schema, NULL);
    for (;;) {
        if ((rc = cli_input_fill(&src, err)))
            break;
        size_t rows;
        do { /* whole batches of rows, then more input */
            size_t used = 0, before = a->batch->n_rows;
            rc = ls_csv_read(cr, a->batch, (const char *)src.buf.data + src.head,
                             src.buf.len - src.head, src.eof, BATCH_ROWS - before, &used, err);
            src.head += used;
            a->bytes_in += used;
            rows = a->batch->n_rows - before;
            if (rc) {
                ls_err_prefix(err, "%s", src.name);
                goto out;
            }
            if ((rc = flush_batch(a, false, err)))
                goto out;
        } while (a->batch->n_rows == 0 && rows > 0);
        if (src.eof)
            break;
    }
    if (rc == LS_OK)
        rc = flush_batch(a, true, err);
out:
    ls_csv_reader_free(cr);
    cli_input_close(&src);
    return rc;
}

/* ---- Parquet input: columns mapped by name ---------------------------------------------- */

/* Same logical type tree (names and nullability aside). */
static bool same_shape(const ls_field *a, const ls_field *b)
{
    if (a->type != b->type || a->n_children != b->n_children)
        return false;
    if (a->type == LS_DECIMAL && (a->precision != b->precision || a->scale != b->scale))
        return false;
    for (int i = 0; i < a->n_children; i++) {
        const ls_field *bc = &b->children[i];
        if (a->type == LS_STRUCT) /* struct members by name */
            bc = ls_field_find_child(b, a->children[i].name, strlen(a->children[i].name));
        if (!bc || !same_shape(&a->children[i], bc))
            return false;
        if (a->type == LS_STRUCT && bc != &b->children[i])
            return false; /* reordered members: leaves would not line up */
    }
    return true;
}

static void copy_leaf(ls_leaf *d, const ls_leaf *s, bool synth_def)
{
    size_t ns = s->n, nv = s->n_values;
    ls_leaf_grow_levels(d, ns);
    if (d->def) {
        if (synth_def)
            memset(d->def + d->n, d->max_def, ns);
        else
            memcpy(d->def + d->n, s->def, ns);
    }
    if (d->rep)
        memcpy(d->rep + d->n, s->rep, ns);
    d->n += ns;
    ls_leaf_grow_values(d, nv);
    if (s->phys == LS_PHYS_BYTES) {
        uint64_t dbase = d->bytes.len;
        ls_buf_append(&d->bytes, s->bytes.data, s->bytes.len);
        for (size_t k = 1; k <= nv; k++)
            d->offsets[d->n_values + k] = dbase + s->offsets[k];
    } else {
        size_t es = s->phys == LS_PHYS_BOOL                               ? 1
                    : s->phys == LS_PHYS_I32 || s->phys == LS_PHYS_F32 ? 4
                    : s->phys == LS_PHYS_I128                          ? 16
                                                                       : 8;
        memcpy((uint8_t *)d->values + d->n_values * es, s->values, nv * es);
    }
    d->n_values += nv;
}

static int read_parquet_file(append_ctx *a, const char *path, ls_error *err)
{
    ls_input *in = NULL;
    ls_pq_reader *r = NULL;
    ls_batch *fb = NULL;
    const ls_schema *ts = a->schema;
    int nt = ts->root.n_children;
    const ls_field **src = ls_xcalloc((size_t)nt + 1, sizeof(ls_field *));
    bool *synth = ls_xcalloc((size_t)nt + 1, sizeof(bool));
    int rc = ls_input_open_file(path, &in, err);
    if (rc)
        goto out;
    ls_pq_read_opts ro;
    ls_pq_read_opts_default(&ro);
    if ((rc = ls_pq_reader_open(in, &ro, &r, err)))
        goto out;
    const ls_schema *fs = ls_pq_reader_schema(r);
    for (int i = 0; i < fs->root.n_children; i++) {
        const ls_field *f = &fs->root.children[i];
        if (!ls_field_find_child(&ts->root, f->name, strlen(f->name))) {
            rc = ls_err(err, LS_ERR_INVALID, "%s: column '%s' is not in the table schema", path,
                        f->name);
            goto out;
        }
    }
    for (int i = 0; i < nt; i++) {
        const ls_field *tf = &ts->root.children[i];
        const ls_field *ff = ls_field_find_child(&fs->root, tf->name, strlen(tf->name));
        if (!ff) {
            if (!tf->nullable) {
                rc = ls_err(err, LS_ERR_INVALID,
                            "%s: NOT NULL column '%s' is missing from the file", path, tf->name);
                goto out;
            }
            continue;
        }
        if (!same_shape(tf, ff)) {
            rc = ls_err(err, LS_ERR_INVALID,
                        "%s: column '%s' has a different type in the file than in the table",
                        path, tf->name);
            goto out;
        }
        for (int k = 0; k < tf->leaf_count; k++) {
            const ls_field *tl = ts->leaves[tf->leaf_first + k];
            const ls_field *fl = fs->leaves[ff->leaf_first + k];
            if (tl->def_level == fl->def_level && tl->rep_level == fl->rep_level)
                continue;
            if (tf->leaf_count == 1 && !ls_type_is_group(tf->type) && tf->nullable &&
                !ff->nullable) {
                synth[i] = true; /* REQUIRED in the file, nullable in the table */
                continue;
            }
            rc = ls_err(err, LS_ERR_INVALID,
                        "%s: column '%s' has different nullability in the file than in the "
                        "table",
                        path, tf->name);
            goto out;
        }
        src[i] = ff;
    }
    fb = ls_batch_new(ls_pq_reader_out_schema(r));
    for (;;) {
        bool eof = false;
        if ((rc = ls_pq_reader_next(r, fb, &eof, err)))
            goto out;
        if (eof)
            break;
        const ls_schema *os = ls_pq_reader_out_schema(r);
        for (int i = 0; i < nt; i++) {
            const ls_field *tf = &ts->root.children[i];
            if (!src[i]) {
                for (int k = 0; k < tf->leaf_count; k++)
                    for (size_t row = 0; row < fb->n_rows; row++)
                        ls_leaf_null(&a->batch->leaves[tf->leaf_first + k], 0, 0);
                continue;
            }
            const ls_field *of = ls_field_find_child(&os->root, tf->name, strlen(tf->name));
            for (int k = 0; k < tf->leaf_count; k++)
                copy_leaf(&a->batch->leaves[tf->leaf_first + k],
                          &fb->leaves[of->leaf_first + k], synth[i]);
        }
        a->batch->n_rows += fb->n_rows;
        a->bytes_in = 0;
        if ((rc = flush_batch(a, true, err)))
            goto out;
    }
out:
    free(src);
    free(synth);
    ls_batch_free(fb);
    ls_pq_reader_free(r);
    ls_input_free(in);
    return rc;
}

/* ---- append ----------------------------------------------------------------------------------- */

int cmd_delta_append(int argc, char **argv)
{
    const char *cmd = "append";
    const char *input = NULL, *format = NULL, *app_id = NULL, *txn_s = NULL;
    const char *target_s = NULL, *maxrec_s = NULL, *codec = NULL;
    cli_opt opts[] = {
        OPT_VAL("input", &input),
        OPT_VAL("format", &format),
        OPT_VAL("app-id", &app_id),
        OPT_VAL("txn-version", &txn_s),
        OPT_VAL("target-file-size", &target_s),
        OPT_VAL("max-records-per-file", &maxrec_s),
        OPT_VAL("codec", &codec),
    };
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos,
                        cmd)))
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected the table: append TABLE --input FILE");
    if (!input)
        return cli_usage_error(cmd, "--input FILE is required (- for stdin)");
    if (!format) {
        size_t n = strlen(input);
        format = n > 4 && !strcmp(input + n - 4, ".csv")         ? "csv"
                 : n > 8 && !strcmp(input + n - 8, ".parquet") ? "parquet"
                                                               : "ndjson";
    }
    if (strcmp(format, "ndjson") && strcmp(format, "json") && strcmp(format, "csv") &&
        strcmp(format, "parquet"))
        return cli_usage_error(cmd, "--format must be ndjson, csv or parquet");
    if (!strcmp(format, "parquet") && !strcmp(input, "-"))
        return cli_usage_error(cmd, "parquet input must be a file, not stdin");
    if ((app_id == NULL) != (txn_s == NULL))
        return cli_usage_error(cmd, "--app-id and --txn-version go together");
    int64_t txn_version = -1;
    if (txn_s) {
        char *end;
        long long v = strtoll(txn_s, &end, 10);
        if (end == txn_s || *end || v < 0)
            return cli_usage_error(cmd, "--txn-version must be a non-negative integer");
        txn_version = v;
    }
    ls_delta_writer_opts wo;
    ls_delta_writer_opts_default(&wo);
    if (target_s && (rc = cli_parse_u64(cmd, "target-file-size", target_s, &wo.target_file_size)))
        return rc;
    if (maxrec_s) {
        char *end;
        unsigned long long v = strtoull(maxrec_s, &end, 10);
        if (end == maxrec_s || *end || maxrec_s[0] == '-')
            return cli_usage_error(cmd, "--max-records-per-file must be a positive integer");
        wo.max_records_per_file = v;
    }
    if (codec) {
        static const struct {
            const char *n;
            int c;
        } codecs[] = {{"none", 0}, {"uncompressed", 0}, {"snappy", 1}, {"gzip", 2},
                      {"zstd", 6}, {"lz4", 7},          {"brotli", 4}};
        int c = -1;
        for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
            if (!strcmp(codecs[i].n, codec))
                c = codecs[i].c;
        if (c < 0)
            return cli_usage_error(cmd, "unknown codec '%s' (zstd, snappy, gzip, lz4, brotli, none)",
                                   codec);
        wo.parquet.codec = c;
    }

    ls_error err = {0};
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    ls_delta_commit *c = NULL;
    append_ctx a;
    memset(&a, 0, sizeof a);
    cli_progress_init(&a.prog, "append");
    if ((rc = open_table(cmd, pos[0], &t, &err)) || (rc = load_latest(t, pos[0], &snap, &err)))
        goto out;
    if (app_id) {
        int64_t have = ls_delta_snapshot_txn_version(snap, app_id);
        if (have >= txn_version) {
            printf("skipped: appId %s already committed transaction version %" PRId64
                   " (table version %" PRId64 ")\n",
                   app_id, have, ls_delta_snapshot_version(snap));
            goto out;
        }
    }
    const ls_delta_metadata *meta = ls_delta_snapshot_metadata(snap);
    a.schema = ls_delta_snapshot_schema(snap);
    if ((rc = ls_delta_writer_new(t, meta, &wo, &a.w, &err)))
        goto out;
    a.batch = ls_batch_new(a.schema);
    if (!strcmp(format, "csv"))
        rc = read_csv(&a, input, &err);
    else if (!strcmp(format, "parquet"))
        rc = read_parquet_file(&a, input, &err);
    else
        rc = read_ndjson(&a, input, &err);
    if (rc == LS_OK)
        rc = flush_batch(&a, true, &err);
    if (rc)
        goto out;
    c = ls_delta_commit_new(t, snap);
    if ((rc = ls_delta_writer_finish(a.w, c, &err)))
        goto out;
    uint64_t files = 0, bytes = 0, rows = 0;
    ls_delta_writer_totals(a.w, &files, &bytes, &rows);
    if (rows == 0 && !app_id) { /* nothing to record (with --app-id the txn still counts) */
        cli_progress_done(&a.prog);
        printf("nothing to append: the input has no rows\n");
        goto out;
    }
    ls_delta_commit_set_operation(c, "WRITE", "{\"mode\":\"Append\",\"partitionBy\":\"[]\"}");
    ls_delta_commit_set_metric(c, "numFiles", (int64_t)files);
    ls_delta_commit_set_metric(c, "numOutputRows", (int64_t)rows);
    ls_delta_commit_set_metric(c, "numOutputBytes", (int64_t)bytes);
    if (app_id)
        ls_delta_commit_set_txn(c, app_id, txn_version);
    int64_t version = -1;
    if ((rc = ls_delta_commit_run(c, &version, &err)))
        goto out;
    cli_progress_done(&a.prog);
    printf("appended %" PRIu64 " rows in %" PRIu64 " files (%" PRIu64 " bytes) as version %" PRId64
           "\n",
           rows, files, bytes, version);
    ls_delta_writer_free(a.w);
    a.w = NULL;
out:
    cli_progress_done(&a.prog);
    if (a.w)
        ls_delta_writer_abort(a.w); /* not committed: delete the data files again */
    ls_delta_commit_free(c);
    ls_batch_free(a.batch);
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
    return rc ? cli_fail(cmd, &err) : 0;
}

/* ---- describe ----------------------------------------------------------------------------------- */

int cmd_delta_describe(int argc, char **argv)
{
    const char *cmd = "describe";
    const char *version_s = NULL;
    cli_opt opts[] = {OPT_VAL("version", &version_s)};
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, opts, 1, pos, 1, &npos, cmd)))
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected the table: describe TABLE");
    ls_delta_snapshot_spec spec = {.at = LS_AT_LATEST};
    if (version_s) {
        char *end;
        long long v = strtoll(version_s, &end, 10);
        if (end == version_s || *end || v < 0)
            return cli_usage_error(cmd, "--version must be a non-negative integer");
        spec.at = LS_AT_VERSION;
        spec.version = v;
    }
    ls_error err = {0};
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    ls_buf b = {0};
    if ((rc = open_table(cmd, pos[0], &t, &err)))
        goto out;
    rc = ls_delta_snapshot_load(t, &spec, &snap, &err);
    if (rc == LS_ERR_NOTFOUND && spec.at == LS_AT_LATEST)
        rc = ls_err(&err, LS_ERR_NOTFOUND, "%s is not a Delta table (no _delta_log commits)",
                    pos[0]);
    if (rc)
        goto out;
    const ls_delta_metadata *m = ls_delta_snapshot_metadata(snap);
    const ls_delta_protocol *p = ls_delta_snapshot_protocol(snap);
    char ts[48];
    fmt_ms(ls_delta_snapshot_timestamp(snap), ts);
    ls_buf_printf(&b, "table: %s\n", pos[0]);
    ls_buf_printf(&b, "version: %" PRId64 "\n", ls_delta_snapshot_version(snap));
    ls_buf_printf(&b, "timestamp: %s\n", ts);
    ls_buf_printf(&b, "id: %s\n", m->id ? m->id : "");
    if (m->name)
        ls_buf_printf(&b, "name: %s\n", m->name);
    if (m->description)
        ls_buf_printf(&b, "description: %s\n", m->description);
    ls_buf_puts(&b, "schema: ");
    ls_schema_to_ddl(ls_delta_snapshot_schema(snap), &b);
    ls_buf_puts(&b, "\npartition columns: ");
    for (int i = 0; i < m->n_partition_columns; i++)
        ls_buf_printf(&b, "%s%s", i ? ", " : "", m->partition_columns[i]);
    ls_buf_printf(&b, "\nprotocol: reader %d, writer %d", p->min_reader_version,
                  p->min_writer_version);
    if (p->n_reader_features) {
        ls_buf_puts(&b, "; reader features:");
        for (int i = 0; i < p->n_reader_features; i++)
            ls_buf_printf(&b, " %s", p->reader_features[i]);
    }
    if (p->n_writer_features) {
        ls_buf_puts(&b, "; writer features:");
        for (int i = 0; i < p->n_writer_features; i++)
            ls_buf_printf(&b, " %s", p->writer_features[i]);
    }
    ls_buf_puts(&b, "\nproperties:");
    if (m->configuration.n == 0)
        ls_buf_puts(&b, " (none)");
    for (int i = 0; i < m->configuration.n; i++)
        ls_buf_printf(&b, "\n  %s=%s", m->configuration.keys[i],
                      m->configuration.values[i] ? m->configuration.values[i] : "");
    size_t nf = ls_delta_snapshot_num_files(snap);
    uint64_t bytes = 0, rows = 0;
    bool rows_known = true;
    ls_arena arena;
    ls_arena_init(&arena, 16 * 1024);
    for (size_t i = 0; i < nf; i++) {
        const ls_delta_add *f = ls_delta_snapshot_file(snap, i);
        bytes += f->size > 0 ? (uint64_t)f->size : 0;
        ls_json *st = NULL;
        int64_t nr;
        ls_error e2 = {0};
        if (rows_known && f->stats &&
            ls_json_parse(f->stats, strlen(f->stats), &arena, &st, &e2) == LS_OK &&
            ls_json_int64(ls_json_get(st, "numRecords"), &nr) && nr >= 0) {
            int64_t dropped = f->dv ? f->dv->cardinality : 0;
            rows += (uint64_t)(nr - dropped);
        } else {
            rows_known = false;
        }
        if ((i & 1023) == 1023)
            ls_arena_reset(&arena);
    }
    ls_arena_free(&arena);
    ls_buf_printf(&b, "\nfiles: %zu\nsize: %" PRIu64 " bytes\n", nf, bytes);
    if (rows_known)
        ls_buf_printf(&b, "rows: %" PRIu64 "\n", rows);
    else
        ls_buf_puts(&b, "rows: unknown (files without statistics)\n");
    size_t ntx = ls_delta_snapshot_num_txns(snap);
    ls_buf_puts(&b, "transactions:");
    if (ntx == 0)
        ls_buf_puts(&b, " (none)");
    for (size_t i = 0; i < ntx; i++) {
        const ls_delta_txn_action *tx = ls_delta_snapshot_txn(snap, i);
        ls_buf_printf(&b, "\n  %s=%" PRId64, tx->app_id, tx->version);
    }
    ls_buf_putc(&b, '\n');
    /* where streaming ingest stands per source (stdin: the bytes/lines a producer resumes from) */
    ls_buf ipos = {0};
    if (ls_ingest_describe_snapshot(snap, &ipos) > 0) {
        ls_buf_puts(&b, "ingest positions:");
        for (size_t i = 0; i < ipos.len; i++) { /* indent every line under the heading */
            if (i == 0 || ipos.data[i - 1] == '\n')
                ls_buf_puts(&b, "\n  ");
            if (ipos.data[i] != '\n')
                ls_buf_putc(&b, ipos.data[i]);
        }
        ls_buf_putc(&b, '\n');
    }
    ls_buf_free(&ipos);
    fwrite(b.data, 1, b.len, stdout);
out:
    ls_buf_free(&b);
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
    return rc ? cli_fail(cmd, &err) : 0;
}

/* ---- history -------------------------------------------------------------------------------------- */

int cmd_delta_history(int argc, char **argv)
{
    const char *cmd = "history";
    const char *limit_s = NULL;
    cli_opt opts[] = {OPT_VAL("limit", &limit_s)};
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, opts, 1, pos, 1, &npos, cmd)))
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected the table: history TABLE [--limit N]");
    uint64_t limit = UINT64_MAX;
    if (limit_s) {
        char *end;
        unsigned long long v = strtoull(limit_s, &end, 10);
        if (end == limit_s || *end || limit_s[0] == '-')
            return cli_usage_error(cmd, "--limit must be a non-negative integer");
        limit = v;
    }
    ls_error err = {0};
    ls_delta_table *t = NULL;
    ls_delta_commit_info *ci = NULL;
    size_t n = 0;
    ls_buf b = {0};
    if ((rc = open_table(cmd, pos[0], &t, &err)))
        goto out;
    int64_t from = 0;
    if (limit != UINT64_MAX) {
        /* only read the newest commits: find the latest version by listing the log */
        ls_obj_list l = {0};
        if (ls_delta_store(t) &&
            ls_store_list(ls_delta_store(t), "_delta_log/", NULL, &l, &err) == LS_OK) {
            int64_t latest = -1;
            for (size_t i = 0; i < l.n; i++) {
                const char *k = l.items[i].key + 11;
                if (strlen(k) == 25 && !strcmp(k + 20, ".json") && strspn(k, "0123456789") == 20)
                    latest = strtoll(k, NULL, 10);
            }
            if (latest >= 0 && (uint64_t)latest >= limit)
                from = latest - (int64_t)limit + 1;
        }
        ls_obj_list_free(&l);
        ls_error_clear(&err);
    }
    if ((rc = ls_delta_history(t, from, -1, &ci, &n, &err))) {
        if (rc == LS_ERR_NOTFOUND)
            rc = ls_err(&err, LS_ERR_NOTFOUND, "%s is not a Delta table (no _delta_log commits)",
                        pos[0]);
        goto out;
    }
    for (size_t i = 0; i < n && i < limit; i++) {
        char ts[48];
        fmt_ms(ci[i].timestamp, ts);
        ls_buf_printf(&b, "%" PRId64 "\t%s\t%s\t%s\t%s\n", ci[i].version, ts,
                      ci[i].operation ? ci[i].operation : "-",
                      ci[i].operation_parameters ? ci[i].operation_parameters : "{}",
                      ci[i].operation_metrics ? ci[i].operation_metrics : "{}");
    }
    fwrite(b.data, 1, b.len, stdout);
out:
    for (size_t i = 0; i < n; i++)
        ls_delta_commit_info_free(&ci[i]);
    free(ci);
    ls_buf_free(&b);
    ls_delta_close(t);
    return rc ? cli_fail(cmd, &err) : 0;
}

/* ---- checkpoint --------------------------------------------------------------------------------- */

int cmd_delta_checkpoint(int argc, char **argv)
{
    const char *cmd = "checkpoint";
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, NULL, 0, pos, 1, &npos, cmd)))
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected the table: checkpoint TABLE");
    ls_error err = {0};
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    if ((rc = open_table(cmd, pos[0], &t, &err)) || (rc = load_latest(t, pos[0], &snap, &err)))
        goto out;
    if ((rc = ls_delta_checkpoint_write(t, snap, &err)))
        goto out;
    printf("checkpoint written at version %" PRId64 " (%zu files)\n",
           ls_delta_snapshot_version(snap), ls_delta_snapshot_num_files(snap));
out:
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
    return rc ? cli_fail(cmd, &err) : 0;
}
