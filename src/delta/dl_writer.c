/*
 * dl_writer.c - Delta data files: splits batches of the table schema by
 * partition value, writes one Parquet file per partition (rolling at the target
 * size or record count) under Spark's hive-style directories, and turns every
 * finished file into an `add` action with Spark-compatible statistics.
 *
 * Hot path: the per-row work is computing a compact binary partition key from
 * the partition leaves (compared with the previous row first, hashed only when
 * it changes) and copying runs of consecutive rows of one partition into that
 * partition's buffer batch; an unpartitioned table or a batch that falls into a
 * single partition is handed to the Parquet writer without any copy.
 */
#include "dl_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DL_MAX_OPEN_FILES 256  /* bounds memory with many partitions: LRU files are closed */
#define DL_STRING_PREFIX 32    /* spark.databricks.io.skipping.stringPrefixLength */

/* Parquet codec numbers (parquet.thrift CompressionCodec; stable by the format). */
static const char *codec_ext(int codec)
{
    switch (codec) {
    case 0: return NULL; /* uncompressed: Spark puts no codec in the name */
    case 1: return "snappy";
    case 2: return "gz";
    case 4: return "br";
    case 5: return "lz4";
    case 6: return "zstd";
    case 7: return "lz4raw";
    default: return "parquet";
    }
}

typedef struct dl_file { /* a finished, published data file */
    char *key;           /* store key: hive-escaped directories, not URI-encoded */
    int part;
    int64_t size, mtime, rows;
    char *stats;
} dl_file;

typedef struct dl_part {
    uint8_t *rawkey;
    size_t rawkey_len;
    uint64_t hash;
    char **values; /* partition value strings (NULL = null), one per partition column */
    char *dir;     /* "c1=v1/c2=v2/" (hive-escaped) or "" */
    ls_batch *buf; /* rows gathered from the current input batch (data schema) */
    ls_output *out;
    ls_pq_writer *pw;
    char *key; /* of the open file */
    uint64_t file_rows;
    uint64_t *lm_nulls; /* null counts of indexed list/map columns in the open file */
    uint64_t last_use;
    size_t gathered; /* rows gathered in the current input batch */
} dl_part;

typedef struct dl_run {
    size_t r0, r1;
    int part;
} dl_run;

struct ls_delta_writer {
    ls_store *store;
    ls_delta_writer_opts opts;
    ls_schema *table_schema; /* clone of the metadata's schema */
    ls_schema *data_schema;  /* without partition columns, physical names */
    int n_pcols;
    int *pcol_leaf;   /* table leaf index of each partition column */
    char **pcol_key;  /* partitionValues key (logical, or physical under column mapping) */
    char **pcol_dir;  /* hive-escaped column name for directories */
    int *data_src;    /* data leaf -> table leaf */
    /* statistics plan */
    bool *st_leaf;    /* per data leaf: in the indexed set */
    bool *st_lm;      /* per data leaf: the list/map column starting at it is indexed */
    int n_lm;
    const ls_field **lm; /* indexed list/map columns (data schema) */
    bool any_minmax, any_stats;
    bool tight_bounds; /* deletion vectors enabled: Spark adds "tightBounds":true */
    /* partitions */
    dl_part **parts;
    int n_parts, cap_parts;
    int32_t *ht;
    size_t ht_cap;
    int n_open;
    uint64_t clock;
    /* finished files */
    dl_file *files;
    size_t n_files, cap_files;
    uint64_t rows_total, bytes_done;
    int file_seq;
    bool failed, finished;
    /* scratch */
    const ls_schema *checked_schema;
    ls_buf key_a, key_b;
    dl_run *runs;
    size_t runs_cap;
    size_t *pcur;
    ls_leaf *view_leaves;
    ls_batch *slice;
};

void ls_delta_writer_opts_default(ls_delta_writer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->target_file_size = 128ull << 20;
    o->max_records_per_file = 0;
    ls_pq_writer_opts_default(&o->parquet);
    o->stats_columns = 32;
}

/* ---- string statistics truncation (Spark's truncateMin/MaxStringAgg) -------- *
 * Spark measures in UTF-16 code units (Java String.length) and compares values as
 * UTF-8 bytes. We walk the UTF-8 bytes, counting code units per code point. */

/* Decodes the code point at p (n > 0 bytes); invalid bytes count as one unit (U+FFFD). */
static size_t cp_at(const uint8_t *p, size_t n, uint32_t *cp, int *units)
{
    size_t k = ls_utf8_decode(p, n, cp);
    if (!k) {
        *cp = 0xfffd;
        *units = 1;
        return 1;
    }
    *units = *cp >= 0x10000 ? 2 : 1;
    return k;
}

/* Byte length of Spark's min prefix (prefix_len UTF-16 units, never splitting a pair). */
static size_t min_prefix(const uint8_t *s, size_t n, int prefix_len, size_t *units_out)
{
    size_t i = 0, units = 0;
    while (i < n && units < (size_t)prefix_len) {
        uint32_t cp;
        int u;
        i += cp_at(s + i, n - i, &cp, &u);
        units += (size_t)u;
    }
    if (units_out)
        *units_out = units;
    return i;
}

static size_t utf16_len(const uint8_t *s, size_t n)
{
    size_t i = 0, units = 0;
    while (i < n) {
        uint32_t cp;
        int u;
        i += cp_at(s + i, n - i, &cp, &u);
        units += (size_t)u;
    }
    return units;
}

size_t dl_stats_truncate_min(const uint8_t *s, size_t n, int prefix_len)
{
    if (prefix_len <= 0)
        return 0;
    return min_prefix(s, n, prefix_len, NULL);
}

bool dl_stats_truncate_max(const uint8_t *s, size_t n, int prefix_len, ls_buf *out)
{
    if (utf16_len(s, n) <= (size_t)(prefix_len > 0 ? prefix_len : 0)) {
        ls_buf_append(out, s, n);
        return true;
    }
    if (prefix_len <= 0)
        return false;
    size_t units;
    size_t cur = min_prefix(s, n, prefix_len, &units);
    size_t max_units = 2 * (size_t)prefix_len;
    while (units <= max_units) {
        if (cur >= n) {
            ls_buf_append(out, s, n);
            return true;
        }
        uint32_t cp;
        int u;
        size_t k = cp_at(s + cur, n - cur, &cp, &u);
        if (cp == 0x10ffff) { /* can't be beaten by the tie-breaker: keep it and go on */
            cur += k;
            units += 2;
            continue;
        }
        ls_buf_append(out, s, cur);
        if (cp < 0x7f)
            ls_buf_putc(out, 0x7f);
        else
            ls_buf_append(out, "\xf4\x8f\xbf\xbf", 4); /* U+10FFFF */
        return true;
    }
    return false; /* too long to bound: Spark writes no max */
}

/* ---- value text for statistics ------------------------------------------------ */

static void put_double(ls_buf *b, double d, bool is_float)
{
    char t[400];
    int n = snprintf(t, sizeof t, "%.*g", ls_shortest_precision(d, is_float), d);
    ls_buf_append(b, t, (size_t)n);
    if (!memchr(t, '.', (size_t)n) && !memchr(t, 'e', (size_t)n))
        ls_buf_puts(b, ".0"); /* as Spark (Jackson) writes doubles: 3.0, not 3 */
}

/* Timestamp at millisecond precision (truncated down, as Spark's stats are). */
static void put_ts_millis(ls_buf *b, int64_t micros, bool utc)
{
    int64_t ms = micros / 1000;
    if (micros % 1000 < 0)
        ms--;
    char t[48];
    int n = ls_format_timestamp(ms * 1000, false, t); /* "...SS.ffffff" */
    ls_buf_putc(b, '"');
    ls_buf_append(b, t, (size_t)(n - 3));
    if (utc)
        ls_buf_putc(b, 'Z');
    ls_buf_putc(b, '"');
}

static bool minmax_eligible(ls_type t)
{
    switch (t) {
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
    case LS_INT64:
    case LS_FLOAT:
    case LS_DOUBLE:
    case LS_DECIMAL:
    case LS_DATE:
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ:
    case LS_STRING:
        return true;
    default:
        return false;
    }
}

/* Writes the JSON value of a min (is_max false) or max statistic; false if none. */
static bool put_stat_value(ls_buf *b, const ls_field *f, const ls_pq_leaf_stats *st, bool is_max)
{
    if (!st || !st->has_minmax)
        return false;
    char t[24];
    switch (f->type) {
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
        ls_buf_printf(b, "%d", (int)(is_max ? st->max.i32 : st->min.i32));
        return true;
    case LS_INT64:
        ls_buf_printf(b, "%lld", (long long)(is_max ? st->max.i64 : st->min.i64));
        return true;
    case LS_FLOAT: {
        float v = is_max ? st->max.f32 : st->min.f32;
        if (!isfinite(v))
            return false; /* JSON has no Infinity; no bound is always safe */
        put_double(b, v, true);
        return true;
    }
    case LS_DOUBLE: {
        double v = is_max ? st->max.f64 : st->min.f64;
        if (!isfinite(v))
            return false;
        put_double(b, v, false);
        return true;
    }
    case LS_DECIMAL: {
        ls_phys ph = ls_type_phys(f);
        if (ph == LS_PHYS_I32) {
            int32_t v = is_max ? st->max.i32 : st->min.i32;
            ls_buf_put_decimal(b, (const uint8_t *)&v, 4, f->scale);
        } else if (ph == LS_PHYS_I64) {
            int64_t v = is_max ? st->max.i64 : st->min.i64;
            ls_buf_put_decimal(b, (const uint8_t *)&v, 8, f->scale);
        } else {
            ls_buf_put_decimal(b, is_max ? st->max.i128 : st->min.i128, 16, f->scale);
        }
        return true;
    }
    case LS_DATE:
        ls_format_date(is_max ? st->max.i32 : st->min.i32, t);
        ls_buf_putc(b, '"');
        ls_buf_puts(b, t);
        ls_buf_putc(b, '"');
        return true;
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ:
        put_ts_millis(b, is_max ? st->max.i64 : st->min.i64, f->type == LS_TIMESTAMP);
        return true;
    case LS_STRING: {
        const ls_buf *src = is_max ? &st->max_bytes : &st->min_bytes;
        if (!is_max) {
            size_t n = dl_stats_truncate_min(src->data, src->len, DL_STRING_PREFIX);
            ls_buf_json_str(b, (const char *)src->data, n);
            return true;
        }
        ls_buf tmp = {0};
        bool ok = dl_stats_truncate_max(src->data, src->len, DL_STRING_PREFIX, &tmp);
        if (ok)
            ls_buf_json_str(b, (const char *)tmp.data, tmp.len);
        ls_buf_free(&tmp);
        return ok;
    }
    default:
        return false;
    }
}

enum { SEC_MIN, SEC_MAX, SEC_NULLS };

/* Appends the members of struct f for one section; returns how many were written. */
static int stats_members(const ls_delta_writer *w, const dl_part *p, const ls_pq_writer *pw,
                         const ls_field *f, int sec, ls_buf *out)
{
    int written = 0;
    for (int i = 0; i < f->n_children; i++) {
        const ls_field *c = &f->children[i];
        size_t mark = out->len;
        if (written)
            ls_buf_putc(out, ',');
        ls_buf_json_str(out, c->name, strlen(c->name));
        ls_buf_putc(out, ':');
        bool ok = false;
        if (c->type == LS_STRUCT) {
            ls_buf_putc(out, '{');
            ok = stats_members(w, p, pw, c, sec, out) > 0;
            ls_buf_putc(out, '}');
        } else if (c->type == LS_LIST || c->type == LS_MAP) {
            if (sec == SEC_NULLS && w->st_lm[c->leaf_first]) {
                for (int k = 0; k < w->n_lm; k++)
                    if (w->lm[k] == c) {
                        ls_buf_printf(out, "%llu", (unsigned long long)p->lm_nulls[k]);
                        ok = true;
                    }
            }
        } else if (w->st_leaf[c->leaf_index]) {
            const ls_pq_leaf_stats *st = ls_pq_writer_leaf_stats(pw, c->leaf_index);
            if (sec == SEC_NULLS) {
                if (st) {
                    ls_buf_printf(out, "%llu", (unsigned long long)st->null_count);
                    ok = true;
                }
            } else if (minmax_eligible(c->type)) {
                ok = put_stat_value(out, c, st, sec == SEC_MAX);
            }
        }
        if (ok)
            written++;
        else
            out->len = mark;
    }
    return written;
}

static char *build_stats(const ls_delta_writer *w, const dl_part *p, const ls_pq_writer *pw,
                         uint64_t rows)
{
    ls_buf b = {0};
    ls_buf_printf(&b, "{\"numRecords\":%llu", (unsigned long long)rows);
    static const char *const names[] = {"minValues", "maxValues", "nullCount"};
    for (int sec = SEC_MIN; sec <= SEC_NULLS; sec++) {
        if (sec != SEC_NULLS ? !w->any_minmax : !w->any_stats)
            continue;
        ls_buf_printf(&b, ",\"%s\":{", names[sec]);
        stats_members(w, p, pw, &w->data_schema->root, sec, &b);
        ls_buf_putc(&b, '}');
    }
    if (w->tight_bounds)
        ls_buf_puts(&b, ",\"tightBounds\":true");
    ls_buf_putc(&b, '}');
    char *s = ls_xstrndup((const char *)b.data, b.len);
    ls_buf_free(&b);
    return s;
}

/* ---- statistics plan ------------------------------------------------------------ */

static void mark_all(ls_delta_writer *w, const ls_field *f)
{
    if (f->type == LS_STRUCT) {
        for (int i = 0; i < f->n_children; i++)
            mark_all(w, &f->children[i]);
    } else if (f->type == LS_LIST || f->type == LS_MAP) {
        w->st_lm[f->leaf_first] = true;
    } else {
        w->st_leaf[f->leaf_index] = true;
    }
}

/* Spark's truncateSchema: the first `budget` leaves, a struct recursing, anything else
 * (primitives, arrays, maps) counting as one. Returns the leaves used. */
static int mark_first(ls_delta_writer *w, const ls_field *st, int budget)
{
    int acc = 0;
    for (int i = 0; i < st->n_children && acc < budget; i++) {
        const ls_field *c = &st->children[i];
        if (c->type == LS_STRUCT) {
            acc += mark_first(w, c, budget - acc);
        } else {
            mark_all(w, c);
            acc++;
        }
    }
    return acc;
}

/* delta.dataSkippingStatsColumns: "a, b.c, `x.y`" paths of logical names. */
static void mark_named(ls_delta_writer *w, const char *spec)
{
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p)
            break;
        /* one path: parts separated by '.', each plain or `quoted` */
        const ls_field *cur = &w->table_schema->root;
        bool ok = true;
        for (;;) {
            char part[256];
            size_t n = 0;
            if (*p == '`') {
                p++;
                while (*p && !(*p == '`' && p[1] != '`')) {
                    if (*p == '`')
                        p++; /* `` is an escaped backquote */
                    if (n + 1 < sizeof part)
                        part[n++] = *p;
                    p++;
                }
                if (*p == '`')
                    p++;
            } else {
                while (*p && *p != '.' && *p != ',') {
                    if (n + 1 < sizeof part)
                        part[n++] = *p;
                    p++;
                }
                while (n && (part[n - 1] == ' ' || part[n - 1] == '\t'))
                    n--;
            }
            part[n] = 0;
            const ls_field *next =
                ok && cur && cur->type == LS_STRUCT ? ls_field_find_child(cur, part, n) : NULL;
            if (!next)
                ok = false;
            cur = next;
            while (*p == ' ')
                p++;
            if (*p != '.')
                break;
            p++;
        }
        while (*p && *p != ',')
            p++;
        if (!ok || !cur)
            continue;
        /* map the table field to the data schema through its leaves */
        for (int t = cur->leaf_first; t < cur->leaf_first + cur->leaf_count; t++) {
            for (int d = 0; d < w->data_schema->n_leaves; d++) {
                if (w->data_src[d] != t)
                    continue;
                /* find the outermost list/map on the data leaf's path (stats stop there) */
                const ls_field *lf = w->data_schema->leaves[d], *lm = NULL;
                for (const ls_field *a = lf; a && a->parent; a = a->parent)
                    if (a->type == LS_LIST || a->type == LS_MAP)
                        lm = a;
                if (lm)
                    w->st_lm[lm->leaf_first] = true;
                else
                    w->st_leaf[d] = true;
            }
        }
    }
}

static void collect_lm(ls_delta_writer *w, const ls_field *f)
{
    for (int i = 0; i < f->n_children; i++) {
        const ls_field *c = &f->children[i];
        if (c->type == LS_STRUCT) {
            collect_lm(w, c);
        } else if (c->type == LS_LIST || c->type == LS_MAP) {
            if (w->st_lm[c->leaf_first]) {
                w->lm[w->n_lm++] = c;
                w->any_stats = true;
            }
        } else if (w->st_leaf[c->leaf_index]) {
            w->any_stats = true;
            if (minmax_eligible(c->type))
                w->any_minmax = true;
        }
    }
}

/* ---- writer setup ------------------------------------------------------------------ */

static int rename_physical(ls_field *f, ls_error *err)
{
    for (int i = 0; i < f->n_children; i++) {
        ls_field *c = &f->children[i];
        /* list elements and map keys/values keep their Parquet names */
        if (f->type == LS_STRUCT) {
            if (!c->physical_name || !*c->physical_name)
                return ls_err(err, LS_ERR_CORRUPT,
                              "column mapping is enabled but field '%s' has no "
                              "delta.columnMapping.physicalName",
                              c->name);
            free(c->name);
            c->name = ls_xstrdup(c->physical_name);
        }
        int rc = rename_physical(c, err);
        if (rc)
            return rc;
    }
    return LS_OK;
}

int ls_delta_writer_new(ls_delta_table *t, const ls_delta_metadata *meta,
                        const ls_delta_writer_opts *opts, ls_delta_writer **out, ls_error *err)
{
    *out = NULL;
    if (!meta || !meta->schema)
        return ls_err(err, LS_ERR_INVALID, "delta writer: table metadata has no parsed schema");
    ls_delta_writer *w = ls_xcalloc(1, sizeof *w);
    w->store = ls_delta_store(t);
    if (opts)
        w->opts = *opts;
    else
        ls_delta_writer_opts_default(&w->opts);
    if (w->opts.target_file_size == 0)
        w->opts.target_file_size = 128ull << 20;
    int rc = LS_OK;
    w->table_schema = ls_schema_clone(meta->schema);
    if ((rc = ls_schema_finalize(w->table_schema, err)))
        goto fail;

    bool found;
    const char *mode = ls_kvlist_get(&meta->configuration, "delta.columnMapping.mode", &found);
    bool mapped = found && mode && (!strcmp(mode, "name") || !strcmp(mode, "id"));

    /* partition columns: top-level primitives */
    const ls_field *root = &w->table_schema->root;
    w->n_pcols = meta->n_partition_columns;
    w->pcol_leaf = ls_xcalloc((size_t)w->n_pcols + 1, sizeof(int));
    w->pcol_key = ls_xcalloc((size_t)w->n_pcols + 1, sizeof(char *));
    w->pcol_dir = ls_xcalloc((size_t)w->n_pcols + 1, sizeof(char *));
    bool *is_pcol = ls_xcalloc((size_t)root->n_children + 1, sizeof(bool));
    for (int k = 0; k < w->n_pcols; k++) {
        const char *name = meta->partition_columns[k];
        const ls_field *f = ls_field_find_child(root, name, strlen(name));
        if (!f) {
            free(is_pcol);
            rc = ls_err(err, LS_ERR_CORRUPT, "partition column '%s' is not in the table schema",
                        name);
            goto fail;
        }
        if (ls_type_is_group(f->type)) {
            free(is_pcol);
            rc = ls_err(err, LS_ERR_UNSUPPORTED,
                        "partition column '%s' has type %s; only primitive columns can "
                        "partition a table",
                        name, ls_type_name(f->type));
            goto fail;
        }
        if (is_pcol[f - root->children]) {
            free(is_pcol);
            rc = ls_err(err, LS_ERR_CORRUPT, "partition column '%s' is listed twice", name);
            goto fail;
        }
        is_pcol[f - root->children] = true;
        w->pcol_leaf[k] = f->leaf_index;
        const char *key = mapped && f->physical_name ? f->physical_name : name;
        w->pcol_key[k] = ls_xstrdup(key);
        w->pcol_dir[k] = dl_partition_path_escape(key);
    }
    if (w->n_pcols > 0 && w->n_pcols >= root->n_children) {
        free(is_pcol);
        rc = ls_err(err, LS_ERR_UNSUPPORTED,
                    "every column is a partition column: data files would have no columns");
        goto fail;
    }

    /* data schema: non-partition columns, physical names under column mapping */
    w->data_schema = ls_schema_new();
    for (int i = 0; i < root->n_children; i++) {
        if (is_pcol[i])
            continue;
        ls_field *dst = ls_field_add_child(&w->data_schema->root, root->children[i].name,
                                           root->children[i].type, root->children[i].nullable);
        ls_field_clear(dst);
        ls_field_copy(dst, &root->children[i]);
    }
    if (mapped && (rc = rename_physical(&w->data_schema->root, err))) {
        free(is_pcol);
        goto fail;
    }
    if ((rc = ls_schema_finalize(w->data_schema, err))) {
        free(is_pcol);
        goto fail;
    }
    int nd = w->data_schema->n_leaves;
    w->data_src = ls_xcalloc((size_t)nd + 1, sizeof(int));
    for (int i = 0, d = 0; i < root->n_children; i++) {
        if (is_pcol[i])
            continue;
        const ls_field *f = &root->children[i];
        for (int k = 0; k < f->leaf_count; k++)
            w->data_src[d++] = f->leaf_first + k;
    }
    free(is_pcol);

    /* statistics plan */
    w->st_leaf = ls_xcalloc((size_t)nd + 1, sizeof(bool));
    w->st_lm = ls_xcalloc((size_t)nd + 1, sizeof(bool));
    w->lm = ls_xcalloc((size_t)nd + 1, sizeof(ls_field *));
    const char *named = ls_kvlist_get(&meta->configuration, "delta.dataSkippingStatsColumns", &found);
    if (found && named) {
        mark_named(w, named);
    } else {
        int budget = w->opts.stats_columns;
        const char *nic =
            ls_kvlist_get(&meta->configuration, "delta.dataSkippingNumIndexedCols", &found);
        if (found && nic) {
            char *end;
            long v = strtol(nic, &end, 10);
            if (end != nic && !*end && v >= INT_MIN && v <= INT_MAX)
                budget = (int)v;
        }
        if (budget < 0)
            budget = INT_MAX;
        mark_first(w, &w->data_schema->root, budget);
    }
    collect_lm(w, &w->data_schema->root);
    w->tight_bounds = dl_config_bool(meta, "delta.enableDeletionVectors", false);

    w->view_leaves = ls_xcalloc((size_t)nd + 1, sizeof(ls_leaf));
    w->pcur = ls_xcalloc((size_t)w->n_pcols + 1, sizeof(size_t));
    w->slice = ls_batch_new(w->data_schema);
    w->ht_cap = 64;
    w->ht = ls_xmalloc(w->ht_cap * sizeof(int32_t));
    memset(w->ht, 0xff, w->ht_cap * sizeof(int32_t));
    *out = w;
    return LS_OK;
fail:
    ls_delta_writer_free(w);
    return rc;
}

/* ---- partitions -------------------------------------------------------------------- */

static void ht_insert(ls_delta_writer *w, int idx)
{
    size_t mask = w->ht_cap - 1;
    size_t h = (size_t)w->parts[idx]->hash & mask;
    while (w->ht[h] >= 0)
        h = (h + 1) & mask;
    w->ht[h] = idx;
}

static void ht_grow(ls_delta_writer *w)
{
    free(w->ht);
    w->ht_cap *= 2;
    w->ht = ls_xmalloc(w->ht_cap * sizeof(int32_t));
    memset(w->ht, 0xff, w->ht_cap * sizeof(int32_t));
    for (int i = 0; i < w->n_parts; i++)
        ht_insert(w, i);
}

/* Appends row r's canonical binary partition key (null flag + raw value per column;
 * "" and null collapse, -0.0 and 0.0 collapse, all NaNs collapse: they share a
 * partition string). Advances the value cursors. */
static void row_key(ls_delta_writer *w, const ls_batch *b, size_t r, ls_buf *key)
{
    key->len = 0;
    for (int k = 0; k < w->n_pcols; k++) {
        const ls_leaf *l = &b->leaves[w->pcol_leaf[k]];
        if (l->def && l->def[r] < l->max_def) {
            ls_buf_putc(key, 0);
            continue;
        }
        size_t vi = w->pcur[k]++;
        const uint8_t *v = (const uint8_t *)l->values;
        switch (l->phys) {
        case LS_PHYS_BOOL:
            ls_buf_putc(key, 1);
            ls_buf_putc(key, v[vi]);
            break;
        case LS_PHYS_I32:
            ls_buf_putc(key, 1);
            ls_buf_append(key, v + 4 * vi, 4);
            break;
        case LS_PHYS_I64:
            ls_buf_putc(key, 1);
            ls_buf_append(key, v + 8 * vi, 8);
            break;
        case LS_PHYS_F32: {
            float f;
            memcpy(&f, v + 4 * vi, 4);
            if (f == 0)
                f = 0;
            else if (isnan(f))
                f = NAN;
            ls_buf_putc(key, 1);
            ls_buf_append(key, &f, 4);
            break;
        }
        case LS_PHYS_F64: {
            double d;
            memcpy(&d, v + 8 * vi, 8);
            if (d == 0)
                d = 0;
            else if (isnan(d))
                d = NAN;
            ls_buf_putc(key, 1);
            ls_buf_append(key, &d, 8);
            break;
        }
        case LS_PHYS_I128:
            ls_buf_putc(key, 1);
            ls_buf_append(key, v + 16 * vi, 16);
            break;
        case LS_PHYS_BYTES: {
            size_t n;
            const uint8_t *p = ls_leaf_bytes_at(l, vi, &n);
            if (n == 0) {
                ls_buf_putc(key, 0);
                break;
            }
            uint32_t n32 = (uint32_t)n;
            ls_buf_putc(key, 1);
            ls_buf_append(key, &n32, 4);
            ls_buf_append(key, p, n);
            break;
        }
        default:
            ls_buf_putc(key, 0);
        }
    }
}

/* Creates the partition of row r (whose value cursors have already advanced past it). */
static int part_new(ls_delta_writer *w, const ls_batch *b, size_t r, const ls_buf *key,
                    uint64_t hash)
{
    dl_part *p = ls_xcalloc(1, sizeof *p);
    p->rawkey = ls_xmalloc(key->len + 1);
    if (key->len)
        memcpy(p->rawkey, key->data, key->len);
    p->rawkey_len = key->len;
    p->hash = hash;
    p->values = ls_xcalloc((size_t)w->n_pcols + 1, sizeof(char *));
    ls_buf dir = {0}, val = {0};
    for (int k = 0; k < w->n_pcols; k++) {
        const ls_leaf *l = &b->leaves[w->pcol_leaf[k]];
        bool null = l->def && l->def[r] < l->max_def;
        if (!null) {
            size_t vi = w->pcur[k] - 1;
            val.len = 0;
            if ((l->phys == LS_PHYS_F32 || l->phys == LS_PHYS_F64) &&
                (l->phys == LS_PHYS_F32 ? ((const float *)l->values)[vi] == 0
                                        : ((const double *)l->values)[vi] == 0))
                ls_buf_puts(&val, "0.0"); /* Spark normalizes -0.0 */
            else
                dl_partition_value_format(l, vi, &val);
            if (val.len > 0)
                p->values[k] = ls_xstrndup((const char *)val.data, val.len);
        }
        char *esc = dl_partition_path_escape(p->values[k]);
        ls_buf_puts(&dir, w->pcol_dir[k]);
        ls_buf_putc(&dir, '=');
        ls_buf_puts(&dir, esc);
        ls_buf_putc(&dir, '/');
        free(esc);
    }
    p->dir = ls_xstrndup(dir.data ? (const char *)dir.data : "", dir.len);
    ls_buf_free(&dir);
    ls_buf_free(&val);
    p->buf = ls_batch_new(w->data_schema);
    p->lm_nulls = ls_xcalloc((size_t)w->n_lm + 1, sizeof(uint64_t));
    if (w->n_parts == w->cap_parts) {
        w->cap_parts = w->cap_parts ? 2 * w->cap_parts : 16;
        w->parts = ls_xrealloc(w->parts, (size_t)w->cap_parts * sizeof(dl_part *));
    }
    w->parts[w->n_parts++] = p;
    if ((size_t)w->n_parts * 2 > w->ht_cap)
        ht_grow(w);
    else
        ht_insert(w, w->n_parts - 1);
    return w->n_parts - 1;
}

static int part_find(ls_delta_writer *w, const ls_batch *b, size_t r, const ls_buf *key)
{
    uint64_t h = ls_hash64(key->data, key->len, 0x64656c7461ull);
    size_t mask = w->ht_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        int idx = w->ht[i];
        if (idx < 0)
            break;
        dl_part *p = w->parts[idx];
        if (p->hash == h && p->rawkey_len == key->len &&
            (key->len == 0 || memcmp(p->rawkey, key->data, key->len) == 0))
            return idx;
    }
    return part_new(w, b, r, key, h);
}

/* ---- files --------------------------------------------------------------------------- */

static int file_close(ls_delta_writer *w, dl_part *p, ls_error *err)
{
    int rc = ls_pq_writer_close(p->pw, err);
    uint64_t rows = ls_pq_writer_rows(p->pw);
    char *stats = NULL;
    if (rc == LS_OK)
        stats = build_stats(w, p, p->pw, rows);
    ls_pq_writer_free(p->pw);
    p->pw = NULL;
    w->n_open--;
    if (rc) {
        ls_output_abort(p->out);
        p->out = NULL;
        free(p->key);
        p->key = NULL;
        return ls_err_prefix(err, "writing data file");
    }
    uint64_t size = ls_output_offset(p->out);
    rc = ls_output_commit(p->out, err);
    p->out = NULL;
    if (rc) {
        free(stats);
        free(p->key);
        p->key = NULL;
        return ls_err_prefix(err, "publishing data file");
    }
    if (w->n_files == w->cap_files) {
        w->cap_files = w->cap_files ? 2 * w->cap_files : 16;
        w->files = ls_xrealloc(w->files, w->cap_files * sizeof(dl_file));
    }
    dl_file *f = &w->files[w->n_files++];
    f->key = p->key;
    p->key = NULL;
    f->part = -1;
    for (int i = 0; i < w->n_parts; i++)
        if (w->parts[i] == p)
            f->part = i;
    f->size = (int64_t)size;
    f->mtime = dl_now_ms();
    f->rows = (int64_t)rows;
    f->stats = stats;
    w->bytes_done += size;
    p->file_rows = 0;
    return LS_OK;
}

static int file_open(ls_delta_writer *w, dl_part *p, ls_error *err)
{
    /* keep memory bounded: close the least recently used file of another partition */
    if (w->n_open >= DL_MAX_OPEN_FILES) {
        dl_part *lru = NULL;
        for (int i = 0; i < w->n_parts; i++) {
            dl_part *q = w->parts[i];
            if (q != p && q->pw && (!lru || q->last_use < lru->last_use))
                lru = q;
        }
        if (lru) {
            int rc = file_close(w, lru, err);
            if (rc)
                return rc;
        }
    }
    char uuid[37];
    dl_uuid4(uuid);
    const char *ext = codec_ext(w->opts.parquet.codec);
    char *key = ext ? ls_xasprintf("%spart-%05d-%s.c000.%s.parquet", p->dir, w->file_seq, uuid, ext)
                    : ls_xasprintf("%spart-%05d-%s.c000.parquet", p->dir, w->file_seq, uuid);
    w->file_seq = (w->file_seq + 1) % 100000;
    int rc = ls_output_open(w->store, key, &p->out, err);
    if (rc) {
        free(key);
        return ls_err_prefix(err, "creating data file");
    }
    rc = ls_pq_writer_new(p->out, w->data_schema, &w->opts.parquet, &p->pw, err);
    if (rc) {
        ls_output_abort(p->out);
        p->out = NULL;
        free(key);
        return rc;
    }
    p->key = key;
    p->file_rows = 0;
    memset(p->lm_nulls, 0, ((size_t)w->n_lm + 1) * sizeof(uint64_t));
    w->n_open++;
    return LS_OK;
}

/* Null counts of indexed list/map columns (the column itself null, or an ancestor). */
static void count_lm_nulls(const ls_delta_writer *w, dl_part *p, const ls_batch *b)
{
    for (int k = 0; k < w->n_lm; k++) {
        const ls_field *f = w->lm[k];
        const ls_leaf *l = &b->leaves[f->leaf_first];
        if (!l->def)
            continue;
        uint64_t c = 0;
        int lvl = f->def_level;
        for (size_t s = 0; s < l->n; s++)
            c += (!l->rep || l->rep[s] == 0) && l->def[s] < lvl;
        p->lm_nulls[k] += c;
    }
}

/* Writes all rows of b (data schema layout) to p's files, rolling as configured. */
static int part_write(ls_delta_writer *w, dl_part *p, const ls_batch *b, ls_error *err)
{
    size_t row = 0;
    p->last_use = ++w->clock;
    while (row < b->n_rows) {
        int rc;
        if (!p->pw && (rc = file_open(w, p, err)))
            return rc;
        size_t take = b->n_rows - row;
        uint64_t maxr = w->opts.max_records_per_file;
        if (maxr && take > maxr - p->file_rows)
            take = (size_t)(maxr - p->file_rows);
        const ls_batch *chunk = b;
        if (row != 0 || take != b->n_rows) {
            ls_batch_reset(w->slice);
            ls_batch_append_rows(w->slice, b, row, row + take);
            chunk = w->slice;
        }
        count_lm_nulls(w, p, chunk);
        if ((rc = ls_pq_writer_write(p->pw, chunk, err)))
            return rc;
        p->file_rows += take;
        w->rows_total += take;
        row += take;
        if ((maxr && p->file_rows >= maxr) || ls_pq_writer_size(p->pw) >= w->opts.target_file_size)
            if ((rc = file_close(w, p, err)))
                return rc;
    }
    return LS_OK;
}

/* ---- batches ---------------------------------------------------------------------------- */

static int check_batch(ls_delta_writer *w, const ls_batch *b, ls_error *err)
{
    if (b->schema == w->checked_schema && b->n_leaves == w->table_schema->n_leaves)
        goto rows;
    if (b->n_leaves != w->table_schema->n_leaves || !b->schema ||
        b->schema->n_leaves != b->n_leaves)
        return ls_err(err, LS_ERR_INVALID,
                      "delta writer: batch has %d columns, the table schema has %d leaf columns",
                      b->n_leaves, w->table_schema->n_leaves);
    for (int i = 0; i < b->n_leaves; i++) {
        const ls_leaf *l = &b->leaves[i];
        const ls_field *f = w->table_schema->leaves[i];
        if (l->phys != ls_type_phys(f) || l->max_def != f->def_level ||
            l->max_rep != f->rep_level) {
            char *path = ls_field_path(f);
            int rc = ls_err(err, LS_ERR_INVALID,
                            "delta writer: batch column %d does not match table column '%s' "
                            "(%s)",
                            i, path, ls_type_name(f->type));
            free(path);
            return rc;
        }
    }
    w->checked_schema = b->schema;
rows:
    for (int k = 0; k < w->n_pcols; k++) {
        const ls_leaf *l = &b->leaves[w->pcol_leaf[k]];
        if (l->n != b->n_rows || (!l->def && l->n_values != l->n) || l->n_values > l->n)
            return ls_err(err, LS_ERR_INVALID,
                          "delta writer: partition column '%s' has %zu slots for %zu rows",
                          w->pcol_key[k], l->n, b->n_rows);
    }
    return LS_OK;
}

static size_t phys_width(ls_phys p)
{
    return p == LS_PHYS_BOOL ? 1 : p == LS_PHYS_I32 || p == LS_PHYS_F32 ? 4 : p == LS_PHYS_I128 ? 16 : 8;
}

/* One value of a fixed-width leaf: constant-size copies the compiler inlines. */
static inline void copy_fixed(uint8_t *dst, const uint8_t *src, size_t es)
{
    switch (es) {
    case 1: *dst = *src; break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, 16); break;
    }
}

/* Hot path for leaves without repetition (slot == row): runs are often a single row, so
 * copy slot by slot without per-run calls; capacity was reserved by gather(). */
static int gather_flat(ls_delta_writer *w, const ls_leaf *s, int j, size_t n_runs, ls_error *err)
{
    size_t val = 0;
    const uint8_t maxd = (uint8_t)s->max_def;
    const bool bytes = s->phys == LS_PHYS_BYTES;
    const size_t es = bytes ? 0 : phys_width(s->phys);
    const uint8_t *sv = (const uint8_t *)s->values;
    for (size_t ri = 0; ri < n_runs; ri++) {
        const dl_run *run = &w->runs[ri];
        ls_leaf *d = &w->parts[run->part]->buf->leaves[j];
        size_t r0 = run->r0, r1 = run->r1;
        if (r1 > s->n)
            return ls_err(err, LS_ERR_INVALID,
                          "delta writer: batch column %d has fewer rows than the batch",
                          w->data_src[j]);
        for (size_t r = r0; r < r1; r++) {
            if (s->def) {
                uint8_t df = s->def[r];
                d->def[d->n++] = df;
                if (df != maxd)
                    continue;
            } else {
                d->n++;
            }
            if (val >= s->n_values)
                return ls_err(err, LS_ERR_INVALID,
                              "delta writer: batch column %d has fewer values than its levels",
                              w->data_src[j]);
            if (bytes) {
                uint64_t o0 = s->offsets[val], o1 = s->offsets[val + 1];
                ls_buf_append(&d->bytes, s->bytes.data + o0, (size_t)(o1 - o0));
                d->offsets[++d->n_values] = d->bytes.len;
            } else {
                copy_fixed((uint8_t *)d->values + d->n_values * es, sv + val * es, es);
                d->n_values++;
            }
            val++;
        }
    }
    return LS_OK;
}

/* Leaves with repetition: find each run's slot range by scanning rep levels. */
static int gather_nested(ls_delta_writer *w, const ls_leaf *s, int j, size_t n_runs,
                         ls_error *err)
{
    size_t slot = 0, val = 0;
    for (size_t ri = 0; ri < n_runs; ri++) {
        const dl_run *run = &w->runs[ri];
        size_t rows = run->r1 - run->r0, s0 = slot, s1 = s0, seen = 0;
        while (s1 < s->n) {
            if (s->rep[s1] == 0) {
                if (seen == rows)
                    break;
                seen++;
            }
            s1++;
        }
        if (seen != rows)
            return ls_err(err, LS_ERR_INVALID,
                          "delta writer: batch column %d has fewer rows than the batch",
                          w->data_src[j]);
        size_t nv;
        if (!s->def) {
            nv = s1 - s0;
        } else {
            nv = 0;
            for (size_t k = s0; k < s1; k++)
                nv += s->def[k] == s->max_def;
        }
        if (val + nv > s->n_values)
            return ls_err(err, LS_ERR_INVALID,
                          "delta writer: batch column %d has fewer values than its levels",
                          w->data_src[j]);
        ls_leaf_append_slots(&w->parts[run->part]->buf->leaves[j], s, s0, s1 - s0, val, nv);
        slot = s1;
        val += nv;
    }
    return LS_OK;
}

/* Copies each run of rows into its partition's buffer, leaf by leaf. */
static int gather(ls_delta_writer *w, const ls_batch *b, size_t n_runs, ls_error *err)
{
    int nd = w->data_schema->n_leaves;
    for (int pi = 0; pi < w->n_parts; pi++)
        w->parts[pi]->gathered = 0;
    for (size_t ri = 0; ri < n_runs; ri++)
        w->parts[w->runs[ri].part]->gathered += w->runs[ri].r1 - w->runs[ri].r0;
    /* reserve: flat leaves need at most one slot and one value per row */
    for (int pi = 0; pi < w->n_parts; pi++) {
        dl_part *p = w->parts[pi];
        if (p->gathered == 0)
            continue;
        for (int j = 0; j < nd; j++) {
            ls_leaf *d = &p->buf->leaves[j];
            if (d->rep)
                continue;
            ls_leaf_grow_levels(d, p->gathered);
            ls_leaf_grow_values(d, p->gathered);
        }
    }
    for (int j = 0; j < nd; j++) {
        const ls_leaf *s = &b->leaves[w->data_src[j]];
        int rc = s->rep ? gather_nested(w, s, j, n_runs, err) : gather_flat(w, s, j, n_runs, err);
        if (rc)
            return rc;
    }
    for (size_t ri = 0; ri < n_runs; ri++)
        w->parts[w->runs[ri].part]->buf->n_rows += w->runs[ri].r1 - w->runs[ri].r0;
    return LS_OK;
}

static void make_view(ls_delta_writer *w, const ls_batch *b, ls_batch *view)
{
    for (int j = 0; j < w->data_schema->n_leaves; j++)
        w->view_leaves[j] = b->leaves[w->data_src[j]];
    view->schema = w->data_schema;
    view->n_rows = b->n_rows;
    view->n_leaves = w->data_schema->n_leaves;
    view->leaves = w->view_leaves;
}

int ls_delta_writer_write(ls_delta_writer *w, const ls_batch *b, ls_error *err)
{
    if (w->failed || w->finished)
        return ls_err(err, LS_ERR_INVALID, "delta writer: %s",
                      w->failed ? "an earlier write failed" : "already finished");
    int rc = check_batch(w, b, err);
    if (rc)
        return rc;
    if (b->n_rows == 0)
        return LS_OK;
    ls_batch view;
    if (w->n_pcols == 0) {
        if (w->n_parts == 0) {
            ls_buf empty = {0};
            part_new(w, b, 0, &empty, 0);
        }
        make_view(w, b, &view);
        rc = part_write(w, w->parts[0], &view, err);
        goto out;
    }
    /* partition of every row, as runs of consecutive rows */
    memset(w->pcur, 0, (size_t)w->n_pcols * sizeof(size_t));
    size_t n_runs = 0;
    ls_buf *cur = &w->key_a, *prev = &w->key_b;
    int prev_part = -1;
    for (size_t r = 0; r < b->n_rows; r++) {
        row_key(w, b, r, cur);
        int part;
        if (prev_part >= 0 && cur->len == prev->len &&
            (cur->len == 0 || memcmp(cur->data, prev->data, cur->len) == 0)) {
            part = prev_part;
        } else {
            part = part_find(w, b, r, cur);
            ls_buf *t = cur;
            cur = prev;
            prev = t;
        }
        if (n_runs && w->runs[n_runs - 1].part == part) {
            w->runs[n_runs - 1].r1 = r + 1;
        } else {
            if (n_runs == w->runs_cap) {
                w->runs_cap = w->runs_cap ? 2 * w->runs_cap : 64;
                w->runs = ls_xrealloc(w->runs, w->runs_cap * sizeof(dl_run));
            }
            w->runs[n_runs++] = (dl_run){r, r + 1, part};
        }
        prev_part = part;
    }
    if (n_runs == 1) { /* the whole batch is one partition: no copy */
        make_view(w, b, &view);
        rc = part_write(w, w->parts[w->runs[0].part], &view, err);
        goto out;
    }
    for (size_t ri = 0; ri < n_runs; ri++)
        ls_batch_reset(w->parts[w->runs[ri].part]->buf);
    if ((rc = gather(w, b, n_runs, err)))
        goto out;
    for (size_t ri = 0; ri < n_runs && rc == LS_OK; ri++) {
        dl_part *p = w->parts[w->runs[ri].part];
        if (p->buf->n_rows == 0)
            continue; /* already written for an earlier run */
        rc = part_write(w, p, p->buf, err);
        ls_batch_reset(p->buf);
    }
out:
    if (rc)
        w->failed = true;
    return rc;
}

int ls_delta_writer_finish(ls_delta_writer *w, ls_delta_commit *c, ls_error *err)
{
    if (w->failed)
        return ls_err(err, LS_ERR_INVALID, "delta writer: an earlier write failed");
    if (w->finished)
        return ls_err(err, LS_ERR_INVALID, "delta writer: already finished");
    int rc = LS_OK;
    for (int i = 0; i < w->n_parts && rc == LS_OK; i++)
        if (w->parts[i]->pw)
            rc = file_close(w, w->parts[i], err);
    if (rc) {
        w->failed = true;
        return rc;
    }
    w->finished = true;
    ls_buf path = {0};
    for (size_t i = 0; i < w->n_files; i++) {
        const dl_file *f = &w->files[i];
        ls_delta_add a;
        memset(&a, 0, sizeof a);
        path.len = 0;
        dl_uri_encode_path(f->key, &path);
        a.path = ls_xstrndup((const char *)path.data, path.len);
        const dl_part *p = f->part >= 0 ? w->parts[f->part] : NULL;
        for (int k = 0; k < w->n_pcols; k++)
            ls_kvlist_set(&a.partition_values, w->pcol_key[k], p ? p->values[k] : NULL);
        a.size = f->size;
        a.modification_time = f->mtime;
        a.data_change = true;
        a.stats = f->stats ? ls_xstrdup(f->stats) : NULL;
        ls_delta_commit_add(c, &a);
        ls_delta_add_free(&a);
    }
    ls_buf_free(&path);
    return LS_OK;
}

void ls_delta_writer_totals(const ls_delta_writer *w, uint64_t *files, uint64_t *bytes,
                            uint64_t *rows)
{
    uint64_t open_bytes = 0;
    for (int i = 0; i < w->n_parts; i++)
        if (w->parts[i]->pw)
            open_bytes += ls_pq_writer_size(w->parts[i]->pw);
    if (files)
        *files = w->n_files + (uint64_t)w->n_open;
    if (bytes)
        *bytes = w->bytes_done + open_bytes;
    if (rows)
        *rows = w->rows_total;
}

void ls_delta_writer_abort(ls_delta_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_parts; i++) {
        dl_part *p = w->parts[i];
        if (p->pw) {
            ls_pq_writer_free(p->pw);
            p->pw = NULL;
        }
        if (p->out) {
            ls_output_abort(p->out);
            p->out = NULL;
        }
    }
    for (size_t i = 0; i < w->n_files; i++) {
        ls_error e = {0};
        ls_store_delete(w->store, w->files[i].key, &e); /* best effort */
    }
    ls_delta_writer_free(w);
}

void ls_delta_writer_free(ls_delta_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_parts; i++) {
        dl_part *p = w->parts[i];
        if (p->pw)
            ls_pq_writer_free(p->pw);
        if (p->out)
            ls_output_abort(p->out); /* never published: nothing refers to it */
        for (int k = 0; k < w->n_pcols; k++)
            free(p->values[k]);
        free(p->values);
        free(p->rawkey);
        free(p->dir);
        free(p->key);
        free(p->lm_nulls);
        ls_batch_free(p->buf);
        free(p);
    }
    free(w->parts);
    free(w->ht);
    for (size_t i = 0; i < w->n_files; i++) {
        free(w->files[i].key);
        free(w->files[i].stats);
    }
    free(w->files);
    for (int k = 0; k < w->n_pcols; k++) {
        if (w->pcol_key)
            free(w->pcol_key[k]);
        if (w->pcol_dir)
            free(w->pcol_dir[k]);
    }
    free(w->pcol_key);
    free(w->pcol_dir);
    free(w->pcol_leaf);
    free(w->data_src);
    free(w->st_leaf);
    free(w->st_lm);
    free(w->lm);
    free(w->view_leaves);
    free(w->pcur);
    free(w->runs);
    ls_buf_free(&w->key_a);
    ls_buf_free(&w->key_b);
    ls_batch_free(w->slice);
    ls_schema_free(w->data_schema);
    ls_schema_free(w->table_schema);
    free(w);
}
