/*
 * dl_actions.c - Delta log actions: parsing from the JSON DOM into "arena
 * views" (no per-field malloc; the snapshot copies what it keeps), deep
 * copies and frees of the public structs, ls_kvlist, and serialization of
 * every action as one log line in Spark's field order (PROTOCOL.md
 * §Actions; Spark's case classes AddFile/RemoveFile/Metadata/Protocol/...
 * with Jackson's NON_ABSENT inclusion: optional fields that are absent are
 * not written).
 *
 * Parsing is lenient where real logs differ (unknown actions and fields are
 * ignored as §Protocol Evolution requires; optional fields may be null) and
 * strict where a wrong value would corrupt the snapshot (path, size, version
 * numbers, types of known fields).
 */
#include "dl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- ls_kvlist ------------------------------------------------------------ */

void ls_kvlist_set(ls_kvlist *l, const char *key, const char *value)
{
    for (int i = 0; i < l->n; i++) {
        if (strcmp(l->keys[i], key) == 0) {
            free(l->values[i]);
            l->values[i] = value ? ls_xstrdup(value) : NULL;
            return;
        }
    }
    if (l->n == l->cap) {
        int nc = l->cap ? l->cap * 2 : 4;
        l->keys = ls_xrealloc(l->keys, (size_t)nc * sizeof(char *));
        l->values = ls_xrealloc(l->values, (size_t)nc * sizeof(char *));
        l->cap = nc;
    }
    l->keys[l->n] = ls_xstrdup(key);
    l->values[l->n] = value ? ls_xstrdup(value) : NULL;
    l->n++;
}

const char *ls_kvlist_get(const ls_kvlist *l, const char *key, bool *found)
{
    for (int i = 0; i < l->n; i++) {
        if (strcmp(l->keys[i], key) == 0) {
            if (found)
                *found = true;
            return l->values[i];
        }
    }
    if (found)
        *found = false;
    return NULL;
}

void ls_kvlist_free(ls_kvlist *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->keys[i]);
        free(l->values[i]);
    }
    free(l->keys);
    free(l->values);
    memset(l, 0, sizeof *l);
}

void dl_kvlist_copy(ls_kvlist *dst, const ls_kvlist *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->n)
        return;
    dst->n = dst->cap = src->n;
    dst->keys = ls_xmalloc((size_t)src->n * sizeof(char *));
    dst->values = ls_xmalloc((size_t)src->n * sizeof(char *));
    for (int i = 0; i < src->n; i++) {
        dst->keys[i] = ls_xstrdup(src->keys[i]);
        dst->values[i] = src->values[i] ? ls_xstrdup(src->values[i]) : NULL;
    }
}

/* ---- frees and copies ------------------------------------------------------ */

static char *dup_or_null(const char *s) { return s ? ls_xstrdup(s) : NULL; }

void ls_delta_dv_free(ls_delta_dv *dv)
{
    if (!dv)
        return;
    free(dv->path_or_inline_dv);
    dv->path_or_inline_dv = NULL;
}

ls_delta_dv *dl_dv_copy(const ls_delta_dv *src)
{
    if (!src)
        return NULL;
    ls_delta_dv *d = ls_xmalloc(sizeof *d);
    *d = *src;
    d->path_or_inline_dv = dup_or_null(src->path_or_inline_dv);
    return d;
}

void ls_delta_add_free(ls_delta_add *a)
{
    if (!a)
        return;
    free(a->path);
    ls_kvlist_free(&a->partition_values);
    free(a->stats);
    ls_kvlist_free(&a->tags);
    if (a->dv) {
        ls_delta_dv_free(a->dv);
        free(a->dv);
    }
    free(a->clustering_provider);
    memset(a, 0, sizeof *a);
}

void dl_add_copy(ls_delta_add *dst, const ls_delta_add *src)
{
    *dst = *src;
    dst->path = dup_or_null(src->path);
    dl_kvlist_copy(&dst->partition_values, &src->partition_values);
    dst->stats = dup_or_null(src->stats);
    dl_kvlist_copy(&dst->tags, &src->tags);
    dst->dv = dl_dv_copy(src->dv);
    dst->clustering_provider = dup_or_null(src->clustering_provider);
}

void ls_delta_remove_free(ls_delta_remove *r)
{
    if (!r)
        return;
    free(r->path);
    ls_kvlist_free(&r->partition_values);
    if (r->dv) {
        ls_delta_dv_free(r->dv);
        free(r->dv);
    }
    memset(r, 0, sizeof *r);
}

void dl_remove_copy(ls_delta_remove *dst, const ls_delta_remove *src)
{
    *dst = *src;
    dst->path = dup_or_null(src->path);
    dl_kvlist_copy(&dst->partition_values, &src->partition_values);
    dst->dv = dl_dv_copy(src->dv);
}

static char **strv_copy(char *const *v, int n)
{
    if (!n)
        return NULL;
    char **o = ls_xmalloc((size_t)n * sizeof(char *));
    for (int i = 0; i < n; i++)
        o[i] = ls_xstrdup(v[i]);
    return o;
}

static void strv_free(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ls_delta_protocol_free(ls_delta_protocol *p)
{
    if (!p)
        return;
    strv_free(p->reader_features, p->n_reader_features);
    strv_free(p->writer_features, p->n_writer_features);
    memset(p, 0, sizeof *p);
}

void dl_protocol_copy(ls_delta_protocol *dst, const ls_delta_protocol *src)
{
    *dst = *src;
    dst->reader_features = strv_copy(src->reader_features, src->n_reader_features);
    dst->writer_features = strv_copy(src->writer_features, src->n_writer_features);
}

void ls_delta_metadata_free(ls_delta_metadata *m)
{
    if (!m)
        return;
    free(m->id);
    free(m->name);
    free(m->description);
    free(m->format_provider);
    free(m->schema_string);
    ls_schema_free(m->schema);
    strv_free(m->partition_columns, m->n_partition_columns);
    ls_kvlist_free(&m->configuration);
    memset(m, 0, sizeof *m);
}

void dl_metadata_copy(ls_delta_metadata *dst, const ls_delta_metadata *src)
{
    *dst = *src;
    dst->id = dup_or_null(src->id);
    dst->name = dup_or_null(src->name);
    dst->description = dup_or_null(src->description);
    dst->format_provider = dup_or_null(src->format_provider);
    dst->schema_string = dup_or_null(src->schema_string);
    dst->schema = src->schema ? ls_schema_clone(src->schema) : NULL;
    dst->partition_columns = strv_copy(src->partition_columns, src->n_partition_columns);
    dl_kvlist_copy(&dst->configuration, &src->configuration);
}

void dl_txn_copy(ls_delta_txn_action *dst, const ls_delta_txn_action *src)
{
    *dst = *src;
    dst->app_id = dup_or_null(src->app_id);
}

void dl_txn_free(ls_delta_txn_action *t)
{
    if (!t)
        return;
    free(t->app_id);
    t->app_id = NULL;
}

void dl_domain_copy(ls_delta_domain *dst, const ls_delta_domain *src)
{
    *dst = *src;
    dst->domain = dup_or_null(src->domain);
    dst->configuration = dup_or_null(src->configuration);
}

void dl_domain_free(ls_delta_domain *d)
{
    if (!d)
        return;
    free(d->domain);
    free(d->configuration);
    d->domain = d->configuration = NULL;
}

void ls_delta_commit_info_free(ls_delta_commit_info *ci)
{
    if (!ci)
        return;
    free(ci->operation);
    free(ci->operation_parameters);
    free(ci->operation_metrics);
    free(ci->engine_info);
    free(ci->raw);
    ci->operation = ci->operation_parameters = ci->operation_metrics = NULL;
    ci->engine_info = ci->raw = NULL;
}

void dl_commit_info_copy(ls_delta_commit_info *dst, const ls_delta_commit_info *src)
{
    *dst = *src;
    dst->operation = dup_or_null(src->operation);
    dst->operation_parameters = dup_or_null(src->operation_parameters);
    dst->operation_metrics = dup_or_null(src->operation_metrics);
    dst->engine_info = dup_or_null(src->engine_info);
    dst->raw = dup_or_null(src->raw);
}

/* ---- DV identity ------------------------------------------------------------- */

void dl_dv_unique_id(const ls_delta_dv *dv, ls_buf *out)
{
    if (!dv)
        return;
    ls_buf_putc(out, (uint8_t)dv->storage_type);
    if (dv->path_or_inline_dv)
        ls_buf_puts(out, dv->path_or_inline_dv);
    if (dv->has_offset)
        ls_buf_printf(out, "@%" PRId32, dv->offset);
}

bool dl_dv_same(const ls_delta_dv *a, const ls_delta_dv *b)
{
    if (!a || !b)
        return a == b;
    if (a->storage_type != b->storage_type || a->has_offset != b->has_offset)
        return false;
    if (a->has_offset && a->offset != b->offset)
        return false;
    const char *pa = a->path_or_inline_dv ? a->path_or_inline_dv : "";
    const char *pb = b->path_or_inline_dv ? b->path_or_inline_dv : "";
    return strcmp(pa, pb) == 0;
}

/* ---- parsing ----------------------------------------------------------------- */

typedef struct pctx {
    ls_arena *a;
    ls_error *err;
    const char *action; /* for messages */
} pctx;

static int bad(pctx *c, const char *field, const char *expected)
{
    return ls_err(c->err, LS_ERR_CORRUPT, "%s: field '%s' %s", c->action, field, expected);
}

static inline bool is_null(const ls_json *v) { return !v || v->type == LS_JSON_NULL; }

/* Strings are already NUL-terminated arena copies, so views just point at them. */
static int get_str(pctx *c, const ls_json *o, const char *k, bool required, char **out)
{
    const ls_json *v = ls_json_get(o, k);
    *out = NULL;
    if (is_null(v))
        return required ? bad(c, k, "is missing (required string)") : LS_OK;
    if (v->type != LS_JSON_STRING)
        return bad(c, k, "must be a string");
    *out = (char *)v->text;
    return LS_OK;
}

static int get_i64(pctx *c, const ls_json *o, const char *k, bool required, bool *has,
                   int64_t *out)
{
    const ls_json *v = ls_json_get(o, k);
    if (has)
        *has = false;
    if (is_null(v))
        return required ? bad(c, k, "is missing (required integer)") : LS_OK;
    if (!ls_json_int64(v, out))
        return bad(c, k, "must be an integer in the range of a long");
    if (has)
        *has = true;
    return LS_OK;
}

static int get_i32(pctx *c, const ls_json *o, const char *k, bool required, bool *has,
                   int32_t *out)
{
    int64_t v = 0;
    bool h = false;
    int rc = get_i64(c, o, k, required, &h, &v);
    if (rc)
        return rc;
    if (h && (v < INT32_MIN || v > INT32_MAX))
        return bad(c, k, "must be an integer in the range of an int");
    if (h)
        *out = (int32_t)v;
    if (has)
        *has = h;
    return LS_OK;
}

static int get_bool(pctx *c, const ls_json *o, const char *k, bool dflt, bool *out)
{
    const ls_json *v = ls_json_get(o, k);
    *out = dflt;
    if (is_null(v))
        return LS_OK;
    if (v->type != LS_JSON_BOOL)
        return bad(c, k, "must be a boolean");
    *out = v->b;
    return LS_OK;
}

/* map<string,string|null>; scalars other than strings are kept as their literal text
 * (some non-Spark writers emit numbers for partition values). */
static int get_map(pctx *c, const ls_json *o, const char *k, ls_kvlist *out)
{
    memset(out, 0, sizeof *out);
    const ls_json *v = ls_json_get(o, k);
    if (is_null(v))
        return LS_OK;
    if (v->type != LS_JSON_OBJECT)
        return bad(c, k, "must be an object of strings");
    if (v->n > (size_t)INT32_MAX)
        return bad(c, k, "has too many entries");
    if (!v->n)
        return LS_OK;
    out->n = out->cap = (int)v->n;
    out->keys = ls_arena_alloc(c->a, v->n * sizeof(char *));
    out->values = ls_arena_alloc(c->a, v->n * sizeof(char *));
    for (size_t i = 0; i < v->n; i++) {
        const ls_json *e = &v->items[i];
        out->keys[i] = (char *)v->keys[i];
        switch (e->type) {
        case LS_JSON_NULL: out->values[i] = NULL; break;
        case LS_JSON_STRING:
        case LS_JSON_NUMBER: out->values[i] = (char *)e->text; break;
        case LS_JSON_BOOL: out->values[i] = (char *)(e->b ? "true" : "false"); break;
        default: return bad(c, k, "must map to strings");
        }
    }
    return LS_OK;
}

static int get_strv(pctx *c, const ls_json *o, const char *k, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    const ls_json *v = ls_json_get(o, k);
    if (is_null(v))
        return LS_OK;
    if (v->type != LS_JSON_ARRAY)
        return bad(c, k, "must be an array of strings");
    if (v->n > (size_t)INT32_MAX)
        return bad(c, k, "has too many entries");
    if (!v->n)
        return LS_OK;
    char **a = ls_arena_alloc(c->a, v->n * sizeof(char *));
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i].type != LS_JSON_STRING)
            return bad(c, k, "must be an array of strings");
        a[i] = (char *)v->items[i].text;
    }
    *out = a;
    *n = (int)v->n;
    return LS_OK;
}

/* Nested JSON object kept as its text (operationParameters etc.). */
static char *json_text(pctx *c, const ls_json *v)
{
    if (is_null(v))
        return NULL;
    if (v->type == LS_JSON_STRING)
        return (char *)v->text;
    ls_buf b = {0};
    ls_json_write(v, &b);
    char *s = ls_arena_strndup(c->a, (const char *)b.data, b.len);
    ls_buf_free(&b);
    return s;
}

static int parse_dv(pctx *c, const ls_json *o, ls_delta_dv **out)
{
    *out = NULL;
    const ls_json *v = ls_json_get(o, "deletionVector");
    if (is_null(v))
        return LS_OK;
    if (v->type != LS_JSON_OBJECT)
        return bad(c, "deletionVector", "must be an object");
    ls_delta_dv *dv = ls_arena_calloc(c->a, sizeof *dv);
    char *st;
    int rc;
    const char *saved = c->action;
    c->action = "deletionVector";
    if ((rc = get_str(c, v, "storageType", true, &st)))
        goto out;
    if (strlen(st) != 1 || (st[0] != 'u' && st[0] != 'i' && st[0] != 'p')) {
        rc = bad(c, "storageType", "must be \"u\", \"i\" or \"p\"");
        goto out;
    }
    dv->storage_type = st[0];
    if ((rc = get_str(c, v, "pathOrInlineDv", true, &dv->path_or_inline_dv)) ||
        (rc = get_i32(c, v, "offset", false, &dv->has_offset, &dv->offset)) ||
        (rc = get_i32(c, v, "sizeInBytes", true, NULL, &dv->size_in_bytes)) ||
        (rc = get_i64(c, v, "cardinality", true, NULL, &dv->cardinality)))
        goto out;
    if (dv->size_in_bytes < 0 || dv->cardinality < 0 || (dv->has_offset && dv->offset < 0)) {
        rc = bad(c, "sizeInBytes/cardinality/offset", "must not be negative");
        goto out;
    }
    *out = dv;
out:
    c->action = saved;
    return rc;
}

static int parse_add(pctx *c, const ls_json *o, ls_delta_add *a)
{
    int rc;
    memset(a, 0, sizeof *a);
    a->modification_time = 0;
    if ((rc = get_str(c, o, "path", true, &a->path)) ||
        (rc = get_map(c, o, "partitionValues", &a->partition_values)) ||
        (rc = get_i64(c, o, "size", true, NULL, &a->size)) ||
        (rc = get_i64(c, o, "modificationTime", false, NULL, &a->modification_time)) ||
        (rc = get_bool(c, o, "dataChange", true, &a->data_change)) ||
        (rc = get_map(c, o, "tags", &a->tags)) || (rc = parse_dv(c, o, &a->dv)) ||
        (rc = get_i64(c, o, "baseRowId", false, &a->has_base_row_id, &a->base_row_id)) ||
        (rc = get_i64(c, o, "defaultRowCommitVersion", false, &a->has_default_row_commit_version,
                      &a->default_row_commit_version)) ||
        (rc = get_str(c, o, "clusteringProvider", false, &a->clustering_provider)))
        return rc;
    if (!*a->path)
        return bad(c, "path", "must not be empty");
    if (a->size < 0)
        return bad(c, "size", "must not be negative");
    /* stats is a JSON string; tolerate an inline object (written by some tools). */
    const ls_json *st = ls_json_get(o, "stats");
    if (!is_null(st)) {
        if (st->type != LS_JSON_STRING && st->type != LS_JSON_OBJECT)
            return bad(c, "stats", "must be a string");
        a->stats = json_text(c, st);
    }
    return LS_OK;
}

static int parse_remove(pctx *c, const ls_json *o, ls_delta_remove *r)
{
    int rc;
    memset(r, 0, sizeof *r);
    if ((rc = get_str(c, o, "path", true, &r->path)) ||
        (rc = get_i64(c, o, "deletionTimestamp", false, &r->has_deletion_timestamp,
                      &r->deletion_timestamp)) ||
        (rc = get_bool(c, o, "dataChange", true, &r->data_change)) ||
        (rc = get_bool(c, o, "extendedFileMetadata", false, &r->extended_file_metadata)) ||
        (rc = get_map(c, o, "partitionValues", &r->partition_values)) ||
        (rc = get_i64(c, o, "size", false, &r->has_size, &r->size)) ||
        (rc = parse_dv(c, o, &r->dv)))
        return rc;
    if (!*r->path)
        return bad(c, "path", "must not be empty");
    return LS_OK;
}

static int parse_protocol(pctx *c, const ls_json *o, ls_delta_protocol *p)
{
    int rc;
    memset(p, 0, sizeof *p);
    int32_t r = 0, w = 0;
    if ((rc = get_i32(c, o, "minReaderVersion", true, NULL, &r)) ||
        (rc = get_i32(c, o, "minWriterVersion", true, NULL, &w)) ||
        (rc = get_strv(c, o, "readerFeatures", &p->reader_features, &p->n_reader_features)) ||
        (rc = get_strv(c, o, "writerFeatures", &p->writer_features, &p->n_writer_features)))
        return rc;
    if (r < 1 || w < 1)
        return bad(c, r < 1 ? "minReaderVersion" : "minWriterVersion", "must be >= 1");
    p->min_reader_version = r;
    p->min_writer_version = w;
    return LS_OK;
}

static int parse_metadata(pctx *c, const ls_json *o, ls_delta_metadata *m)
{
    int rc;
    memset(m, 0, sizeof *m);
    m->created_time = -1;
    bool has_ct = false;
    if ((rc = get_str(c, o, "id", false, &m->id)) ||
        (rc = get_str(c, o, "name", false, &m->name)) ||
        (rc = get_str(c, o, "description", false, &m->description)) ||
        (rc = get_str(c, o, "schemaString", true, &m->schema_string)) ||
        (rc = get_strv(c, o, "partitionColumns", &m->partition_columns,
                       &m->n_partition_columns)) ||
        (rc = get_map(c, o, "configuration", &m->configuration)) ||
        (rc = get_i64(c, o, "createdTime", false, &has_ct, &m->created_time)))
        return rc;
    if (!has_ct)
        m->created_time = -1;
    const ls_json *f = ls_json_get(o, "format");
    if (!is_null(f)) {
        if (f->type != LS_JSON_OBJECT)
            return bad(c, "format", "must be an object");
        if ((rc = get_str(c, f, "provider", false, &m->format_provider)))
            return rc;
    }
    if (!m->format_provider)
        m->format_provider = (char *)"parquet";
    return LS_OK;
}

static int parse_txn(pctx *c, const ls_json *o, ls_delta_txn_action *t)
{
    memset(t, 0, sizeof *t);
    int rc;
    if ((rc = get_str(c, o, "appId", true, &t->app_id)) ||
        (rc = get_i64(c, o, "version", true, NULL, &t->version)) ||
        (rc = get_i64(c, o, "lastUpdated", false, &t->has_last_updated, &t->last_updated)))
        return rc;
    return LS_OK;
}

static int parse_domain(pctx *c, const ls_json *o, ls_delta_domain *d)
{
    memset(d, 0, sizeof *d);
    int rc;
    if ((rc = get_str(c, o, "domain", true, &d->domain)) ||
        (rc = get_bool(c, o, "removed", false, &d->removed)))
        return rc;
    const ls_json *cf = ls_json_get(o, "configuration");
    d->configuration = json_text(c, cf);
    if (!d->configuration)
        d->configuration = (char *)"";
    return LS_OK;
}

static int parse_commit_info(pctx *c, const ls_json *o, ls_delta_commit_info *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->version = -1;
    ci->timestamp = -1;
    ci->in_commit_timestamp = -1;
    /* commitInfo is free-form: a field of an unexpected type is ignored, not an error. */
    int64_t v;
    if (ls_json_int64(ls_json_get(o, "timestamp"), &v))
        ci->timestamp = v;
    if (ls_json_int64(ls_json_get(o, "inCommitTimestamp"), &v))
        ci->in_commit_timestamp = v;
    ci->operation = (char *)ls_json_str(ls_json_get(o, "operation"));
    ci->engine_info = (char *)ls_json_str(ls_json_get(o, "engineInfo"));
    const ls_json *p = ls_json_get(o, "operationParameters");
    if (p && p->type == LS_JSON_OBJECT)
        ci->operation_parameters = json_text(c, p);
    p = ls_json_get(o, "operationMetrics");
    if (p && p->type == LS_JSON_OBJECT)
        ci->operation_metrics = json_text(c, p);
    p = ls_json_get(o, "isBlindAppend");
    ci->is_blind_append = p && p->type == LS_JSON_BOOL && p->b;
    ci->raw = json_text(c, o);
    return LS_OK;
}

static int parse_cdc(pctx *c, const ls_json *o, dl_cdc *d)
{
    memset(d, 0, sizeof *d);
    int rc;
    if ((rc = get_str(c, o, "path", true, &d->path)) ||
        (rc = get_map(c, o, "partitionValues", &d->partition_values)) ||
        (rc = get_i64(c, o, "size", false, NULL, &d->size)) ||
        (rc = get_bool(c, o, "dataChange", false, &d->data_change)))
        return rc;
    return LS_OK;
}

static int parse_sidecar(pctx *c, const ls_json *o, dl_sidecar *s)
{
    memset(s, 0, sizeof *s);
    int rc;
    if ((rc = get_str(c, o, "path", true, &s->path)) ||
        (rc = get_i64(c, o, "sizeInBytes", false, NULL, &s->size_in_bytes)) ||
        (rc = get_i64(c, o, "modificationTime", false, NULL, &s->modification_time)))
        return rc;
    if (!*s->path)
        return bad(c, "path", "must not be empty");
    return LS_OK;
}

static const struct {
    const char *name;
    dl_kind kind;
} action_names[] = {
    {"add", DL_ACT_ADD},
    {"remove", DL_ACT_REMOVE},
    {"metaData", DL_ACT_METADATA},
    {"protocol", DL_ACT_PROTOCOL},
    {"txn", DL_ACT_TXN},
    {"commitInfo", DL_ACT_COMMIT_INFO},
    {"domainMetadata", DL_ACT_DOMAIN},
    {"cdc", DL_ACT_CDC},
    {"checkpointMetadata", DL_ACT_CHECKPOINT_METADATA},
    {"sidecar", DL_ACT_SIDECAR},
};

int dl_action_from_json(const ls_json *line, ls_arena *a, dl_action *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    if (!line || line->type != LS_JSON_OBJECT)
        return ls_err(err, LS_ERR_CORRUPT, "action must be a JSON object");
    for (size_t i = 0; i < line->n; i++) {
        const ls_json *v = &line->items[i];
        if (v->type == LS_JSON_NULL)
            continue; /* e.g. {"add":null,"remove":{...}} from row-to-JSON converters */
        const char *k = line->keys[i];
        for (size_t j = 0; j < sizeof action_names / sizeof action_names[0]; j++) {
            if (strcmp(k, action_names[j].name) != 0)
                continue;
            pctx c = {a, err, action_names[j].name};
            if (v->type != LS_JSON_OBJECT)
                return ls_err(err, LS_ERR_CORRUPT, "action '%s' must be a JSON object", k);
            dl_kind kind = action_names[j].kind;
            out->kind = kind;
            int rc = LS_OK;
            switch (kind) {
            case DL_ACT_ADD: rc = parse_add(&c, v, &out->u.add); break;
            case DL_ACT_REMOVE: rc = parse_remove(&c, v, &out->u.remove); break;
            case DL_ACT_METADATA: rc = parse_metadata(&c, v, &out->u.metadata); break;
            case DL_ACT_PROTOCOL: rc = parse_protocol(&c, v, &out->u.protocol); break;
            case DL_ACT_TXN: rc = parse_txn(&c, v, &out->u.txn); break;
            case DL_ACT_COMMIT_INFO: rc = parse_commit_info(&c, v, &out->u.commit_info); break;
            case DL_ACT_DOMAIN: rc = parse_domain(&c, v, &out->u.domain); break;
            case DL_ACT_CDC: rc = parse_cdc(&c, v, &out->u.cdc); break;
            case DL_ACT_CHECKPOINT_METADATA:
                rc = get_i64(&c, v, "version", true, NULL, &out->u.checkpoint_metadata.version);
                break;
            case DL_ACT_SIDECAR: rc = parse_sidecar(&c, v, &out->u.sidecar); break;
            case DL_ACT_NONE: break;
            }
            if (rc)
                out->kind = DL_ACT_NONE;
            return rc;
        }
    }
    return LS_OK; /* unknown action: ignored */
}

int dl_action_parse_line(const char *line, size_t len, ls_arena *a, dl_action *out,
                         ls_error *err)
{
    ls_json *j;
    int rc = ls_json_parse(line, len, a, &j, err);
    if (rc)
        return rc;
    return dl_action_from_json(j, a, out, err);
}

int dl_commit_parse(const char *data, size_t len, ls_arena *a, dl_action **acts, size_t *n,
                    ls_error *err)
{
    *acts = NULL;
    *n = 0;
    size_t lines = 1;
    for (const char *p = data, *e = data + len; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        lines++;
    dl_action *arr = ls_arena_alloc(a, lines * sizeof *arr);
    size_t cnt = 0, line_no = 0;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t le = end;
        line_no++;
        if (le > i && data[le - 1] == '\r')
            le--;
        bool blank = true;
        for (size_t k = i; k < le; k++) {
            char ch = data[k];
            if (ch != ' ' && ch != '\t') {
                blank = false;
                break;
            }
        }
        if (!blank) {
            int rc = dl_action_parse_line(data + i, le - i, a, &arr[cnt], err);
            if (rc)
                return ls_err_prefix(err, "line %zu", line_no);
            if (arr[cnt].kind != DL_ACT_NONE)
                cnt++;
        }
        i = end + 1;
    }
    *acts = arr;
    *n = cnt;
    return LS_OK;
}

/* ---- serialization ------------------------------------------------------------ */

static void put_key(ls_buf *o, const char *k, bool *first)
{
    if (!*first)
        ls_buf_putc(o, ',');
    *first = false;
    ls_buf_putc(o, '"');
    ls_buf_puts(o, k);
    ls_buf_append(o, "\":", 2);
}

static void put_str(ls_buf *o, const char *k, const char *v, bool *first)
{
    put_key(o, k, first);
    ls_buf_json_str(o, v, strlen(v));
}

static void put_i64(ls_buf *o, const char *k, int64_t v, bool *first)
{
    put_key(o, k, first);
    ls_buf_printf(o, "%" PRId64, v);
}

static void put_bool(ls_buf *o, const char *k, bool v, bool *first)
{
    put_key(o, k, first);
    ls_buf_puts(o, v ? "true" : "false");
}

void dl_write_kvlist_json(ls_buf *out, const ls_kvlist *l)
{
    ls_buf_putc(out, '{');
    for (int i = 0; i < l->n; i++) {
        if (i)
            ls_buf_putc(out, ',');
        ls_buf_json_str(out, l->keys[i], strlen(l->keys[i]));
        ls_buf_putc(out, ':');
        if (l->values[i])
            ls_buf_json_str(out, l->values[i], strlen(l->values[i]));
        else
            ls_buf_append(out, "null", 4);
    }
    ls_buf_putc(out, '}');
}

void dl_write_dv_json(ls_buf *out, const ls_delta_dv *dv)
{
    bool f = true;
    ls_buf_putc(out, '{');
    char st[2] = {dv->storage_type, 0};
    put_str(out, "storageType", st, &f);
    put_str(out, "pathOrInlineDv", dv->path_or_inline_dv ? dv->path_or_inline_dv : "", &f);
    if (dv->has_offset)
        put_i64(out, "offset", dv->offset, &f);
    put_i64(out, "sizeInBytes", dv->size_in_bytes, &f);
    put_i64(out, "cardinality", dv->cardinality, &f);
    ls_buf_putc(out, '}');
}

void dl_write_add(ls_buf *out, const ls_delta_add *a)
{
    bool f = true;
    ls_buf_puts(out, "{\"add\":{");
    put_str(out, "path", a->path ? a->path : "", &f);
    put_key(out, "partitionValues", &f);
    dl_write_kvlist_json(out, &a->partition_values);
    put_i64(out, "size", a->size, &f);
    put_i64(out, "modificationTime", a->modification_time, &f);
    put_bool(out, "dataChange", a->data_change, &f);
    if (a->stats)
        put_str(out, "stats", a->stats, &f);
    if (a->tags.n) {
        put_key(out, "tags", &f);
        dl_write_kvlist_json(out, &a->tags);
    }
    if (a->dv) {
        put_key(out, "deletionVector", &f);
        dl_write_dv_json(out, a->dv);
    }
    if (a->has_base_row_id)
        put_i64(out, "baseRowId", a->base_row_id, &f);
    if (a->has_default_row_commit_version)
        put_i64(out, "defaultRowCommitVersion", a->default_row_commit_version, &f);
    if (a->clustering_provider)
        put_str(out, "clusteringProvider", a->clustering_provider, &f);
    ls_buf_puts(out, "}}\n");
}

void dl_write_remove(ls_buf *out, const ls_delta_remove *r)
{
    bool f = true;
    ls_buf_puts(out, "{\"remove\":{");
    put_str(out, "path", r->path ? r->path : "", &f);
    if (r->has_deletion_timestamp)
        put_i64(out, "deletionTimestamp", r->deletion_timestamp, &f);
    put_bool(out, "dataChange", r->data_change, &f);
    if (r->extended_file_metadata)
        put_bool(out, "extendedFileMetadata", true, &f);
    if (r->extended_file_metadata || r->partition_values.n) {
        put_key(out, "partitionValues", &f);
        dl_write_kvlist_json(out, &r->partition_values);
    }
    if (r->has_size)
        put_i64(out, "size", r->size, &f);
    if (r->dv) {
        put_key(out, "deletionVector", &f);
        dl_write_dv_json(out, r->dv);
    }
    ls_buf_puts(out, "}}\n");
}

static void put_strv(ls_buf *o, const char *k, char *const *v, int n, bool *first)
{
    put_key(o, k, first);
    ls_buf_putc(o, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            ls_buf_putc(o, ',');
        ls_buf_json_str(o, v[i], strlen(v[i]));
    }
    ls_buf_putc(o, ']');
}

void dl_write_protocol(ls_buf *out, const ls_delta_protocol *p)
{
    bool f = true;
    ls_buf_puts(out, "{\"protocol\":{");
    put_i64(out, "minReaderVersion", p->min_reader_version, &f);
    put_i64(out, "minWriterVersion", p->min_writer_version, &f);
    if (p->min_reader_version >= 3)
        put_strv(out, "readerFeatures", p->reader_features, p->n_reader_features, &f);
    if (p->min_writer_version >= 7)
        put_strv(out, "writerFeatures", p->writer_features, p->n_writer_features, &f);
    ls_buf_puts(out, "}}\n");
}

void dl_write_metadata(ls_buf *out, const ls_delta_metadata *m)
{
    bool f = true;
    ls_buf_puts(out, "{\"metaData\":{");
    put_str(out, "id", m->id ? m->id : "", &f);
    if (m->name)
        put_str(out, "name", m->name, &f);
    if (m->description)
        put_str(out, "description", m->description, &f);
    put_key(out, "format", &f);
    ls_buf_puts(out, "{\"provider\":");
    const char *prov = m->format_provider ? m->format_provider : "parquet";
    ls_buf_json_str(out, prov, strlen(prov));
    ls_buf_puts(out, ",\"options\":{}}");
    put_key(out, "schemaString", &f);
    if (m->schema_string) {
        ls_buf_json_str(out, m->schema_string, strlen(m->schema_string));
    } else {
        ls_buf tmp = {0};
        if (m->schema)
            ls_delta_schema_to_json(m->schema, &tmp);
        else
            ls_buf_puts(&tmp, "{\"type\":\"struct\",\"fields\":[]}");
        ls_buf_json_str(out, (const char *)tmp.data, tmp.len);
        ls_buf_free(&tmp);
    }
    put_strv(out, "partitionColumns", m->partition_columns, m->n_partition_columns, &f);
    put_key(out, "configuration", &f);
    dl_write_kvlist_json(out, &m->configuration);
    if (m->created_time >= 0)
        put_i64(out, "createdTime", m->created_time, &f);
    ls_buf_puts(out, "}}\n");
}

void dl_write_txn(ls_buf *out, const ls_delta_txn_action *t)
{
    bool f = true;
    ls_buf_puts(out, "{\"txn\":{");
    put_str(out, "appId", t->app_id ? t->app_id : "", &f);
    put_i64(out, "version", t->version, &f);
    if (t->has_last_updated)
        put_i64(out, "lastUpdated", t->last_updated, &f);
    ls_buf_puts(out, "}}\n");
}

void dl_write_domain(ls_buf *out, const ls_delta_domain *d)
{
    bool f = true;
    ls_buf_puts(out, "{\"domainMetadata\":{");
    put_str(out, "domain", d->domain ? d->domain : "", &f);
    put_str(out, "configuration", d->configuration ? d->configuration : "", &f);
    put_bool(out, "removed", d->removed, &f);
    ls_buf_puts(out, "}}\n");
}

void dl_write_commit_info(ls_buf *out, const ls_delta_commit_info *ci)
{
    ls_buf_puts(out, "{\"commitInfo\":");
    if (ci->raw) {
        ls_buf_puts(out, ci->raw);
        ls_buf_puts(out, "}\n");
        return;
    }
    bool f = true;
    ls_buf_putc(out, '{');
    if (ci->in_commit_timestamp >= 0)
        put_i64(out, "inCommitTimestamp", ci->in_commit_timestamp, &f);
    if (ci->timestamp >= 0)
        put_i64(out, "timestamp", ci->timestamp, &f);
    if (ci->operation)
        put_str(out, "operation", ci->operation, &f);
    if (ci->operation_parameters) {
        put_key(out, "operationParameters", &f);
        ls_buf_puts(out, ci->operation_parameters);
    }
    put_bool(out, "isBlindAppend", ci->is_blind_append, &f);
    if (ci->operation_metrics) {
        put_key(out, "operationMetrics", &f);
        ls_buf_puts(out, ci->operation_metrics);
    }
    if (ci->engine_info)
        put_str(out, "engineInfo", ci->engine_info, &f);
    ls_buf_puts(out, "}}\n");
}

void dl_write_checkpoint_metadata(ls_buf *out, int64_t version)
{
    ls_buf_printf(out, "{\"checkpointMetadata\":{\"version\":%" PRId64 "}}\n", version);
}

void dl_write_sidecar(ls_buf *out, const dl_sidecar *s)
{
    bool f = true;
    ls_buf_puts(out, "{\"sidecar\":{");
    put_str(out, "path", s->path ? s->path : "", &f);
    put_i64(out, "sizeInBytes", s->size_in_bytes, &f);
    put_i64(out, "modificationTime", s->modification_time, &f);
    ls_buf_puts(out, "}}\n");
}
