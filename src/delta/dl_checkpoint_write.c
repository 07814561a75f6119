/*
 * dl_checkpoint_write.c - classic single-file checkpoints:
 * _delta_log/<v>.checkpoint.parquet with exactly the column layout Spark
 * writes (brief §4.2: txn, add, remove, metaData, protocol, domainMetadata;
 * every column an optional group, one action per row, the others null),
 * followed by _delta_log/_last_checkpoint (one atomic put, no "parts").
 *
 * The stats JSON is kept; stats_parsed / partitionValues_parsed are not
 * written (optional, brief §4.2). As Spark does, actions in a checkpoint carry
 * dataChange=false, removes carry no stats/tags, and only tombstones younger
 * than delta.deletedFileRetentionDuration (default 1 week) are kept.
 */
#include "dl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define CP_BATCH_ROWS 8192

#define CP_DV "STRUCT<storageType: STRING, pathOrInlineDv: STRING, `offset`: INT, " \
              "sizeInBytes: INT, cardinality: BIGINT, maxRowIndex: BIGINT>"

ls_schema *dl_checkpoint_schema(bool clustering_provider)
{
    const char *ddl_fmt =
        "txn STRUCT<appId: STRING, `version`: BIGINT, lastUpdated: BIGINT>, "
        "`add` STRUCT<path: STRING, partitionValues: MAP<STRING, STRING>, `size`: BIGINT, "
        "modificationTime: BIGINT, dataChange: BOOLEAN, tags: MAP<STRING, STRING>, "
        "deletionVector: " CP_DV ", baseRowId: BIGINT, defaultRowCommitVersion: BIGINT, "
        "%sstats: STRING>, "
        "remove STRUCT<path: STRING, deletionTimestamp: BIGINT, dataChange: BOOLEAN, "
        "extendedFileMetadata: BOOLEAN, partitionValues: MAP<STRING, STRING>, `size`: BIGINT, "
        "deletionVector: " CP_DV ", baseRowId: BIGINT, defaultRowCommitVersion: BIGINT>, "
        "metaData STRUCT<id: STRING, name: STRING, description: STRING, "
        "format: STRUCT<provider: STRING, options: MAP<STRING, STRING>>, schemaString: STRING, "
        "partitionColumns: ARRAY<STRING>, configuration: MAP<STRING, STRING>, "
        "createdTime: BIGINT>, "
        "protocol STRUCT<minReaderVersion: INT, minWriterVersion: INT, "
        "readerFeatures: ARRAY<STRING>, writerFeatures: ARRAY<STRING>>, "
        "domainMetadata STRUCT<domain: STRING, configuration: STRING, removed: BOOLEAN>";
    char *ddl = ls_xasprintf(ddl_fmt, clustering_provider ? "clusteringProvider: STRING, " : "");
    ls_schema *s = NULL;
    ls_error err = {0};
    int rc = ls_schema_parse_ddl(ddl, &s, &err);
    free(ddl);
    if (rc) { /* a constant: cannot fail unless the DDL parser changed */
        fprintf(stderr, "lakestream: internal error: checkpoint schema: %s\n", err.msg);
        abort();
    }
    return s;
}

/* ---- row building -------------------------------------------------------------- *
 * Every helper writes one field of the current row. pdef is the definition level of
 * the enclosing struct when present: the level a null of this field is written at. */

typedef struct cp_ctx {
    ls_batch *b;
    const ls_field *top[6]; /* txn, add, remove, metaData, protocol, domainMetadata */
} cp_ctx;

enum { T_TXN, T_ADD, T_REMOVE, T_META, T_PROTOCOL, T_DOMAIN };

static ls_leaf *leaf(cp_ctx *c, const ls_field *f) { return &c->b->leaves[f->leaf_index]; }

static const ls_field *child(const ls_field *f, const char *name)
{
    const ls_field *c = ls_field_find_child(f, name, strlen(name));
    if (!c) {
        fprintf(stderr, "lakestream: internal error: checkpoint field %s.%s\n", f->name, name);
        abort();
    }
    return c;
}

static void put_null(cp_ctx *c, const ls_field *f, int pdef)
{
    for (int i = f->leaf_first; i < f->leaf_first + f->leaf_count; i++)
        ls_leaf_null(&c->b->leaves[i], pdef, 0);
}

static void put_str(cp_ctx *c, const ls_field *f, int pdef, const char *s)
{
    if (s)
        ls_leaf_push_bytes(leaf(c, f), 0, s, strlen(s));
    else
        ls_leaf_null(leaf(c, f), pdef, 0);
}

static void put_i64(cp_ctx *c, const ls_field *f, int pdef, bool has, int64_t v)
{
    if (has)
        ls_leaf_push_i64(leaf(c, f), 0, v);
    else
        ls_leaf_null(leaf(c, f), pdef, 0);
}

static void put_i32(cp_ctx *c, const ls_field *f, int pdef, bool has, int32_t v)
{
    if (has)
        ls_leaf_push_i32(leaf(c, f), 0, v);
    else
        ls_leaf_null(leaf(c, f), pdef, 0);
}

static void put_bool(cp_ctx *c, const ls_field *f, bool v)
{
    ls_leaf_push_bool(leaf(c, f), 0, v);
}

/* MAP<STRING,STRING>: NULL kv -> null map; no entries -> empty map. */
static void put_map(cp_ctx *c, const ls_field *f, int pdef, const ls_kvlist *kv)
{
    ls_leaf *k = leaf(c, &f->children[0]), *v = leaf(c, &f->children[1]);
    if (!kv) {
        ls_leaf_null(k, pdef, 0);
        ls_leaf_null(v, pdef, 0);
        return;
    }
    if (kv->n == 0) {
        ls_leaf_null(k, f->def_level, 0);
        ls_leaf_null(v, f->def_level, 0);
        return;
    }
    for (int i = 0; i < kv->n; i++) {
        int rep = i == 0 ? 0 : k->max_rep;
        ls_leaf_push_bytes(k, rep, kv->keys[i], strlen(kv->keys[i]));
        if (kv->values[i])
            ls_leaf_push_bytes(v, rep, kv->values[i], strlen(kv->values[i]));
        else
            ls_leaf_null(v, k->max_def, rep); /* entry present, value null */
    }
}

/* ARRAY<STRING>: present=false -> null list. */
static void put_strv(cp_ctx *c, const ls_field *f, int pdef, bool present, char *const *s, int n)
{
    ls_leaf *e = leaf(c, &f->children[0]);
    if (!present) {
        ls_leaf_null(e, pdef, 0);
        return;
    }
    if (n == 0) {
        ls_leaf_null(e, f->def_level, 0);
        return;
    }
    for (int i = 0; i < n; i++) {
        int rep = i == 0 ? 0 : e->max_rep;
        if (s[i])
            ls_leaf_push_bytes(e, rep, s[i], strlen(s[i]));
        else
            ls_leaf_null(e, e->max_def - 1, rep);
    }
}

static void put_dv(cp_ctx *c, const ls_field *f, int pdef, const ls_delta_dv *dv)
{
    if (!dv) {
        put_null(c, f, pdef);
        return;
    }
    int d = f->def_level;
    char st[2] = {dv->storage_type, 0};
    put_str(c, child(f, "storageType"), d, st);
    put_str(c, child(f, "pathOrInlineDv"), d, dv->path_or_inline_dv);
    put_i32(c, child(f, "offset"), d, dv->has_offset, dv->offset);
    put_i32(c, child(f, "sizeInBytes"), d, true, dv->size_in_bytes);
    put_i64(c, child(f, "cardinality"), d, true, dv->cardinality);
    put_i64(c, child(f, "maxRowIndex"), d, false, 0);
}

/* Starts a row whose only non-null top-level column is top[which]; returns its field. */
static const ls_field *row_begin(cp_ctx *c, int which)
{
    for (int i = 0; i < 6; i++)
        if (i != which)
            put_null(c, c->top[i], 0);
    c->b->n_rows++;
    return c->top[which];
}

static void row_txn(cp_ctx *c, const ls_delta_txn_action *t)
{
    const ls_field *f = row_begin(c, T_TXN);
    int d = f->def_level;
    put_str(c, child(f, "appId"), d, t->app_id);
    put_i64(c, child(f, "version"), d, true, t->version);
    put_i64(c, child(f, "lastUpdated"), d, t->has_last_updated, t->last_updated);
}

static void row_add(cp_ctx *c, const ls_delta_add *a, bool with_clustering, bool with_stats)
{
    const ls_field *f = row_begin(c, T_ADD);
    int d = f->def_level;
    put_str(c, child(f, "path"), d, a->path);
    put_map(c, child(f, "partitionValues"), d, &a->partition_values);
    put_i64(c, child(f, "size"), d, true, a->size);
    put_i64(c, child(f, "modificationTime"), d, true, a->modification_time);
    put_bool(c, child(f, "dataChange"), false);
    put_map(c, child(f, "tags"), d, a->tags.n ? &a->tags : NULL);
    put_dv(c, child(f, "deletionVector"), d, a->dv);
    put_i64(c, child(f, "baseRowId"), d, a->has_base_row_id, a->base_row_id);
    put_i64(c, child(f, "defaultRowCommitVersion"), d, a->has_default_row_commit_version,
            a->default_row_commit_version);
    if (with_clustering)
        put_str(c, child(f, "clusteringProvider"), d, a->clustering_provider);
    put_str(c, child(f, "stats"), d, with_stats ? a->stats : NULL);
}

static void row_remove(cp_ctx *c, const ls_delta_remove *r)
{
    const ls_field *f = row_begin(c, T_REMOVE);
    int d = f->def_level;
    put_str(c, child(f, "path"), d, r->path);
    put_i64(c, child(f, "deletionTimestamp"), d, r->has_deletion_timestamp,
            r->deletion_timestamp);
    put_bool(c, child(f, "dataChange"), false);
    put_bool(c, child(f, "extendedFileMetadata"), r->extended_file_metadata);
    put_map(c, child(f, "partitionValues"), d,
            r->extended_file_metadata || r->partition_values.n ? &r->partition_values : NULL);
    put_i64(c, child(f, "size"), d, r->has_size, r->size);
    put_dv(c, child(f, "deletionVector"), d, r->dv);
    put_i64(c, child(f, "baseRowId"), d, false, 0);
    put_i64(c, child(f, "defaultRowCommitVersion"), d, false, 0);
}

static void row_metadata(cp_ctx *c, const ls_delta_metadata *m)
{
    const ls_field *f = row_begin(c, T_META);
    int d = f->def_level;
    put_str(c, child(f, "id"), d, m->id);
    put_str(c, child(f, "name"), d, m->name);
    put_str(c, child(f, "description"), d, m->description);
    const ls_field *fmt = child(f, "format");
    put_str(c, child(fmt, "provider"), fmt->def_level,
            m->format_provider ? m->format_provider : "parquet");
    ls_kvlist empty = {0};
    put_map(c, child(fmt, "options"), fmt->def_level, &empty);
    ls_buf schema = {0};
    const char *ss = m->schema_string;
    if (!ss && m->schema) {
        ls_delta_schema_to_json(m->schema, &schema);
        ss = ls_buf_cstr(&schema);
    }
    put_str(c, child(f, "schemaString"), d, ss);
    ls_buf_free(&schema);
    put_strv(c, child(f, "partitionColumns"), d, true, m->partition_columns,
             m->n_partition_columns);
    put_map(c, child(f, "configuration"), d, &m->configuration);
    put_i64(c, child(f, "createdTime"), d, m->created_time >= 0, m->created_time);
}

static void row_protocol(cp_ctx *c, const ls_delta_protocol *p)
{
    const ls_field *f = row_begin(c, T_PROTOCOL);
    int d = f->def_level;
    put_i32(c, child(f, "minReaderVersion"), d, true, p->min_reader_version);
    put_i32(c, child(f, "minWriterVersion"), d, true, p->min_writer_version);
    put_strv(c, child(f, "readerFeatures"), d, p->min_reader_version >= 3, p->reader_features,
             p->n_reader_features);
    put_strv(c, child(f, "writerFeatures"), d, p->min_writer_version >= 7, p->writer_features,
             p->n_writer_features);
}

static void row_domain(cp_ctx *c, const ls_delta_domain *dm)
{
    const ls_field *f = row_begin(c, T_DOMAIN);
    int d = f->def_level;
    put_str(c, child(f, "domain"), d, dm->domain);
    put_str(c, child(f, "configuration"), d, dm->configuration ? dm->configuration : "");
    put_bool(c, child(f, "removed"), false);
}

/* ---- tombstone retention ------------------------------------------------------------ */

/* Spark interval text ("interval 1 week", "interval 7 days", "168 hours") in ms;
 * dflt when it can't be parsed. */
static int64_t interval_ms(const char *s, int64_t dflt)
{
    if (!s)
        return dflt;
    while (*s == ' ')
        s++;
    if (!strncmp(s, "interval", 8) || !strncmp(s, "INTERVAL", 8))
        s += 8;
    int64_t total = 0;
    bool any = false;
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        char *end;
        long long n = strtoll(s, &end, 10);
        if (end == s)
            return dflt;
        s = end;
        while (*s == ' ')
            s++;
        const char *u = s;
        while (*s && *s != ' ')
            s++;
        size_t ul = (size_t)(s - u);
        static const struct {
            const char *name;
            int64_t ms;
        } units[] = {
            {"millisecond", 1},       {"second", 1000},          {"minute", 60000},
            {"hour", 3600000},        {"day", 86400000},         {"week", 604800000},
        };
        int64_t mul = -1;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t nl = strlen(units[i].name);
            if ((ul == nl || (ul == nl + 1 && (u[nl] == 's' || u[nl] == 'S'))) &&
                ls_strn_ieq(u, nl, units[i].name))
                mul = units[i].ms;
        }
        if (mul < 0 || n < 0 || n > INT64_MAX / mul / 2)
            return dflt;
        total += n * mul;
        any = true;
    }
    return any ? total : dflt;
}

/* ---- writing ------------------------------------------------------------------------------ */

static int flush(cp_ctx *c, ls_pq_writer *pw, ls_error *err)
{
    if (c->b->n_rows == 0)
        return LS_OK;
    int rc = ls_pq_writer_write(pw, c->b, err);
    ls_batch_reset(c->b);
    return rc;
}

int ls_delta_checkpoint_write(ls_delta_table *t, const ls_delta_snapshot *snap, ls_error *err)
{
    const ls_delta_protocol *p = ls_delta_snapshot_protocol(snap);
    const ls_delta_metadata *m = ls_delta_snapshot_metadata(snap);
    int64_t version = ls_delta_snapshot_version(snap);
    if (!p || !m)
        return ls_err(err, LS_ERR_INVALID, "checkpoint: snapshot has no protocol or metadata");
    for (int i = 0; i < p->n_writer_features; i++)
        if (!strcmp(p->writer_features[i], "v2Checkpoint"))
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "checkpoint: the table uses V2 checkpoints (feature v2Checkpoint), "
                          "which lakestream does not write");
    /* domainMetadata actions exist only with the writer feature of that name */
    bool has_domains = false;
    for (int i = 0; i < p->n_writer_features; i++)
        has_domains |= !strcmp(p->writer_features[i], "domainMetadata");
    if (has_domains && (!dl_snapshot_num_domains || !dl_snapshot_domain_at))
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "checkpoint: the table has domain metadata and this build cannot list a "
                      "snapshot's domains (dl_snapshot_num_domains missing)");
    ls_store *store = ls_delta_store(t);
    size_t n_files = ls_delta_snapshot_num_files(snap);
    bool clustering = false;
    for (size_t i = 0; i < n_files && !clustering; i++)
        clustering = ls_delta_snapshot_file(snap, i)->clustering_provider != NULL;

    /* delta.checkpoint.writeStatsAsJson=false: Spark leaves add.stats null */
    bool stats_json = dl_config_bool(m, "delta.checkpoint.writeStatsAsJson", true);
    ls_schema *schema = dl_checkpoint_schema(clustering);
    ls_buf spark_schema = {0};
    ls_delta_schema_to_json(schema, &spark_schema);
    ls_buf_cstr(&spark_schema);
    const char *kv_keys[] = {"org.apache.spark.sql.parquet.row.metadata"};
    const char *kv_values[] = {(const char *)spark_schema.data};

    ls_pq_writer_opts po;
    ls_pq_writer_opts_default(&po);
    po.codec = 1; /* SNAPPY, as Spark's checkpoints */
    po.root_name = "spark_schema";
    po.n_kv = 1;
    po.kv_keys = kv_keys;
    po.kv_values = kv_values;

    char key[96];
    snprintf(key, sizeof key, DL_LOG_DIR "%020" PRId64 ".checkpoint.parquet", version);
    ls_output *out = NULL;
    ls_pq_writer *pw = NULL;
    cp_ctx c = {0};
    c.b = ls_batch_new(schema);
    static const char *const tops[] = {"txn", "add", "remove", "metaData", "protocol",
                                       "domainMetadata"};
    for (int i = 0; i < 6; i++)
        c.top[i] = child(&schema->root, tops[i]);
    uint64_t rows = 0, n_adds = 0;
    ls_buf last = {0};
    int rc = ls_output_open(store, key, &out, err);
    if (rc)
        goto fail;
    if ((rc = ls_pq_writer_new(out, schema, &po, &pw, err)))
        goto fail;

    row_protocol(&c, p);
    row_metadata(&c, m);
    rows += 2;
    for (size_t i = 0; i < ls_delta_snapshot_num_txns(snap); i++) {
        row_txn(&c, ls_delta_snapshot_txn(snap, i));
        rows++;
    }
    if (has_domains) {
        for (size_t i = 0; i < dl_snapshot_num_domains(snap); i++) {
            const ls_delta_domain *d = dl_snapshot_domain_at(snap, i);
            if (d->removed)
                continue;
            row_domain(&c, d);
            rows++;
        }
    }
    if ((rc = flush(&c, pw, err)))
        goto fail;
    for (size_t i = 0; i < n_files; i++) {
        row_add(&c, ls_delta_snapshot_file(snap, i), clustering, stats_json);
        rows++;
        n_adds++;
        if (c.b->n_rows >= CP_BATCH_ROWS && (rc = flush(&c, pw, err)))
            goto fail;
        if (i == n_files / 2 && dl_crash_point_is("mid-checkpoint")) {
            flush(&c, pw, err);
            dl_crash_point("mid-checkpoint");
        }
    }
    int64_t retention = interval_ms(
        ls_delta_snapshot_property(snap, "delta.deletedFileRetentionDuration", NULL),
        7 * 86400000LL);
    int64_t cutoff = dl_now_ms() - retention;
    for (size_t i = 0; i < ls_delta_snapshot_num_tombstones(snap); i++) {
        const ls_delta_remove *r = ls_delta_snapshot_tombstone(snap, i);
        int64_t ts = r->has_deletion_timestamp ? r->deletion_timestamp : 0;
        if (ts <= cutoff)
            continue; /* expired: VACUUM may already have deleted the file */
        row_remove(&c, r);
        rows++;
        if (c.b->n_rows >= CP_BATCH_ROWS && (rc = flush(&c, pw, err)))
            goto fail;
    }
    if ((rc = flush(&c, pw, err)) || (rc = ls_pq_writer_close(pw, err)))
        goto fail;
    ls_pq_writer_free(pw);
    pw = NULL;
    uint64_t size = ls_output_offset(out);
    rc = ls_output_commit(out, err);
    out = NULL;
    if (rc)
        goto fail;
    dl_crash_point("before-last-checkpoint");

    /* never move _last_checkpoint backwards (a slow writer finishing an older checkpoint) */
    ls_buf prev = {0};
    ls_error e2 = {0};
    if (ls_store_get(store, DL_LOG_DIR "_last_checkpoint", &prev, &e2) == LS_OK) {
        ls_arena ar;
        ls_arena_init(&ar, 4096);
        ls_json *j = NULL;
        int64_t pv = -1;
        bool newer = ls_json_parse((const char *)prev.data, prev.len, &ar, &j, &e2) == LS_OK &&
                     ls_json_int64(ls_json_get(j, "version"), &pv) && pv > version;
        ls_arena_free(&ar);
        ls_buf_free(&prev);
        if (newer)
            goto done;
    }
    ls_buf_free(&prev);
    /* _last_checkpoint: no "parts" for a single file (trinodb/trino#26148) */
    ls_buf_printf(&last,
                  "{\"version\":%" PRId64 ",\"size\":%" PRIu64 ",\"sizeInBytes\":%" PRIu64
                  ",\"numOfAddFiles\":%" PRIu64 ",\"checkpointSchema\":",
                  version, rows, size, n_adds);
    ls_buf_append(&last, spark_schema.data, spark_schema.len);
    ls_buf_puts(&last, "}");
    rc = ls_store_put(store, DL_LOG_DIR "_last_checkpoint", last.data, last.len, err);
    if (rc)
        ls_err_prefix(err, "writing _last_checkpoint");
    goto done;
fail:
    ls_err_prefix(err, "writing checkpoint %020" PRId64, version);
    ls_pq_writer_free(pw);
    if (out)
        ls_output_abort(out);
done:
    ls_buf_free(&last);
    ls_buf_free(&spark_schema);
    ls_batch_free(c.b);
    ls_schema_free(schema);
    return rc;
}
