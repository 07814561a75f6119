/*
 * dl_checkpoint_read.c - reads Delta checkpoints (PROTOCOL.md §Checkpoints):
 * classic single-file and multi-part Parquet checkpoints, V2 (UUID-named)
 * checkpoints in JSON or Parquet, and the sidecar files V2 checkpoints point
 * to under _delta_log/_sidecars/.
 *
 * Parquet checkpoints are read with a projection on the action columns we use
 * (whichever of them the file has: writers differ in column order, optional
 * columns and nullability, see the brief §4.2 and §18 #3/#4), straight from
 * the shredded leaves: each row holds one action; the action is present when
 * the levels of its group's first leaf reach the group's definition level.
 * Actions are handed to the caller as arena views, one batch at a time.
 */
#include "dl_int.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- per-leaf row cursor ------------------------------------------------------ */

typedef struct lcur {
    const ls_leaf *l;
    const ls_field *f;
    size_t slot, val;     /* position after the current row */
    size_t s0, s1, v0;    /* current row: slots [s0, s1), first value index v0 */
} lcur;

static inline int slot_def(const ls_leaf *l, size_t k) { return l->def ? l->def[k] : 0; }

static void lcur_next_row(lcur *c)
{
    const ls_leaf *l = c->l;
    size_t s = c->slot, e = s;
    if (e < l->n)
        e++;
    if (l->rep)
        while (e < l->n && l->rep[e] != 0)
            e++;
    c->s0 = s;
    c->s1 = e;
    c->v0 = c->val;
    if (l->max_def == 0) {
        c->val += e - s;
    } else {
        for (size_t k = s; k < e; k++)
            if (l->def[k] == l->max_def)
                c->val++;
    }
    c->slot = e;
}

/* ---- the columns we read ---------------------------------------------------- */

enum {
    C_ADD_PATH, C_ADD_PV_K, C_ADD_PV_V, C_ADD_SIZE, C_ADD_MTIME, C_ADD_DC, C_ADD_STATS,
    C_ADD_TAGS_K, C_ADD_TAGS_V, C_ADD_DV_ST, C_ADD_DV_P, C_ADD_DV_OFF, C_ADD_DV_SZ, C_ADD_DV_CARD,
    C_ADD_BRID, C_ADD_DRCV, C_ADD_CLUST,
    C_RM_PATH, C_RM_DTS, C_RM_DC, C_RM_EXT, C_RM_PV_K, C_RM_PV_V, C_RM_SIZE, C_RM_DV_ST, C_RM_DV_P,
    C_RM_DV_OFF, C_RM_DV_SZ, C_RM_DV_CARD,
    C_MD_ID, C_MD_NAME, C_MD_DESC, C_MD_PROV, C_MD_SCHEMA, C_MD_PCOLS, C_MD_CONF_K, C_MD_CONF_V,
    C_MD_CT,
    C_PR_R, C_PR_W, C_PR_RF, C_PR_WF,
    C_TXN_APP, C_TXN_VER, C_TXN_LU,
    C_DM_DOMAIN, C_DM_CONF, C_DM_REMOVED,
    C_CPM_VER,
    C_SC_PATH, C_SC_SIZE, C_SC_MTIME,
    C_COUNT
};

/* Paths of the columns; map/list entries name the key/value/element leaf by the
 * ls_schema child index after the group path (":0", ":1"). */
static const char *const col_paths[C_COUNT] = {
    "add.path", "add.partitionValues:0", "add.partitionValues:1", "add.size",
    "add.modificationTime", "add.dataChange", "add.stats", "add.tags:0", "add.tags:1",
    "add.deletionVector.storageType", "add.deletionVector.pathOrInlineDv",
    "add.deletionVector.offset", "add.deletionVector.sizeInBytes",
    "add.deletionVector.cardinality", "add.baseRowId", "add.defaultRowCommitVersion",
    "add.clusteringProvider",
    "remove.path", "remove.deletionTimestamp", "remove.dataChange",
    "remove.extendedFileMetadata", "remove.partitionValues:0", "remove.partitionValues:1",
    "remove.size", "remove.deletionVector.storageType", "remove.deletionVector.pathOrInlineDv",
    "remove.deletionVector.offset", "remove.deletionVector.sizeInBytes",
    "remove.deletionVector.cardinality",
    "metaData.id", "metaData.name", "metaData.description", "metaData.format.provider",
    "metaData.schemaString", "metaData.partitionColumns:0", "metaData.configuration:0",
    "metaData.configuration:1", "metaData.createdTime",
    "protocol.minReaderVersion", "protocol.minWriterVersion", "protocol.readerFeatures:0",
    "protocol.writerFeatures:0",
    "txn.appId", "txn.version", "txn.lastUpdated",
    "domainMetadata.domain", "domainMetadata.configuration", "domainMetadata.removed",
    "checkpointMetadata.version",
    "sidecar.path", "sidecar.sizeInBytes", "sidecar.modificationTime",
};

enum { G_ADD, G_REMOVE, G_METADATA, G_PROTOCOL, G_TXN, G_DOMAIN, G_CPMETA, G_SIDECAR, G_COUNT };
static const char *const group_names[G_COUNT] = {"add", "remove", "metaData", "protocol",
                                                "txn", "domainMetadata", "checkpointMetadata",
                                                "sidecar"};

/* Resolves "a.b.c[:i]" in schema s; NULL if absent. */
static const ls_field *find_path(const ls_schema *s, const char *path)
{
    const ls_field *f = &s->root;
    const char *p = path;
    while (*p) {
        size_t len = strcspn(p, ".:");
        const ls_field *c = NULL;
        for (int i = 0; i < f->n_children; i++)
            if (strlen(f->children[i].name) == len && memcmp(f->children[i].name, p, len) == 0)
                c = &f->children[i];
        if (!c)
            return NULL;
        f = c;
        p += len;
        if (*p == '.') {
            p++;
        } else if (*p == ':') {
            int idx = p[1] - '0';
            if ((f->type != LS_MAP && f->type != LS_LIST) || idx >= f->n_children)
                return NULL;
            f = &f->children[idx];
            /* 3-level lists/maps come out of the reader already collapsed */
            return f;
        }
    }
    return f;
}

typedef struct cpr {
    ls_store *store;
    const char *key;
    dl_action_fn fn;
    void *ctx;
    ls_error *err;
    ls_arena arena;
    lcur cols[C_COUNT];
    bool has[C_COUNT];
    int probe[G_COUNT]; /* column index whose first slot tells whether the group is present */
    const ls_field *group[G_COUNT];
    /* add.stats_parsed, read only when the file has no add.stats column (writers with
     * writeStatsAsJson=false): turned back into the stats JSON text */
    const ls_field *sp;
    lcur *sp_cur; /* one per leaf below sp */
    ls_buf sp_json;
} cpr;

static int cp_bad(cpr *r, int col, const char *what)
{
    return ls_err(r->err, LS_ERR_CORRUPT, "checkpoint %s: column %s %s", r->key, col_paths[col],
                  what);
}

/* Scalars of the current row (first slot): present when def == max_def. */
static bool cur_present(const lcur *c)
{
    return c->s1 > c->s0 && slot_def(c->l, c->s0) == c->l->max_def;
}

static int get_str(cpr *r, int col, bool required, char **out)
{
    *out = NULL;
    lcur *c = &r->cols[col];
    if (!r->has[col] || !cur_present(c))
        return required ? cp_bad(r, col, "is null in a row that has the action") : LS_OK;
    if (c->l->phys != LS_PHYS_BYTES)
        return cp_bad(r, col, "has an unexpected type (string expected)");
    size_t n;
    const uint8_t *p = ls_leaf_bytes_at(c->l, c->v0, &n);
    *out = ls_arena_strndup(&r->arena, (const char *)p, n);
    return LS_OK;
}

static int get_int(cpr *r, int col, bool required, bool *has, int64_t *out)
{
    lcur *c = &r->cols[col];
    if (has)
        *has = false;
    if (!r->has[col] || !cur_present(c))
        return required ? cp_bad(r, col, "is null in a row that has the action") : LS_OK;
    if (c->l->phys == LS_PHYS_I64)
        *out = ((const int64_t *)c->l->values)[c->v0];
    else if (c->l->phys == LS_PHYS_I32)
        *out = ((const int32_t *)c->l->values)[c->v0];
    else
        return cp_bad(r, col, "has an unexpected type (integer expected)");
    if (has)
        *has = true;
    return LS_OK;
}

static int get_bool(cpr *r, int col, bool dflt, bool *out)
{
    lcur *c = &r->cols[col];
    *out = dflt;
    if (!r->has[col] || !cur_present(c))
        return LS_OK;
    if (c->l->phys != LS_PHYS_BOOL)
        return cp_bad(r, col, "has an unexpected type (boolean expected)");
    *out = ((const uint8_t *)c->l->values)[c->v0] != 0;
    return LS_OK;
}

static int get_map(cpr *r, int kcol, int vcol, ls_kvlist *out)
{
    memset(out, 0, sizeof *out);
    if (!r->has[kcol])
        return LS_OK;
    lcur *kc = &r->cols[kcol];
    lcur *vc = r->has[vcol] ? &r->cols[vcol] : NULL;
    if (kc->l->phys != LS_PHYS_BYTES || (vc && vc->l->phys != LS_PHYS_BYTES))
        return cp_bad(r, kcol, "has an unexpected type (map<string,string> expected)");
    size_t cnt = 0;
    for (size_t k = kc->s0; k < kc->s1; k++)
        if (slot_def(kc->l, k) == kc->l->max_def)
            cnt++;
    if (!cnt)
        return LS_OK;
    if (vc && vc->s1 - vc->s0 != kc->s1 - kc->s0)
        return cp_bad(r, kcol, "has keys and values that do not line up");
    if (cnt > INT32_MAX)
        return cp_bad(r, kcol, "has too many entries");
    out->keys = ls_arena_alloc(&r->arena, cnt * sizeof(char *));
    out->values = ls_arena_alloc(&r->arena, cnt * sizeof(char *));
    size_t ki = kc->v0, vi = vc ? vc->v0 : 0, w = 0;
    for (size_t k = kc->s0; k < kc->s1; k++) {
        if (slot_def(kc->l, k) != kc->l->max_def)
            continue;
        size_t n;
        const uint8_t *p = ls_leaf_bytes_at(kc->l, ki++, &n);
        out->keys[w] = ls_arena_strndup(&r->arena, (const char *)p, n);
        out->values[w] = NULL;
        if (vc) {
            size_t vs = vc->s0 + (k - kc->s0);
            if (slot_def(vc->l, vs) == vc->l->max_def) {
                p = ls_leaf_bytes_at(vc->l, vi++, &n);
                out->values[w] = ls_arena_strndup(&r->arena, (const char *)p, n);
            }
        }
        w++;
    }
    out->n = out->cap = (int)w;
    return LS_OK;
}

static int get_strv(cpr *r, int col, char ***out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (!r->has[col])
        return LS_OK;
    lcur *c = &r->cols[col];
    if (c->l->phys != LS_PHYS_BYTES)
        return cp_bad(r, col, "has an unexpected type (array<string> expected)");
    size_t cnt = 0;
    for (size_t k = c->s0; k < c->s1; k++)
        if (slot_def(c->l, k) == c->l->max_def)
            cnt++;
    if (!cnt)
        return LS_OK;
    if (cnt > INT32_MAX)
        return cp_bad(r, col, "has too many entries");
    char **v = ls_arena_alloc(&r->arena, cnt * sizeof(char *));
    size_t vi = c->v0;
    for (size_t i = 0; i < cnt; i++) {
        size_t n;
        const uint8_t *p = ls_leaf_bytes_at(c->l, vi++, &n);
        v[i] = ls_arena_strndup(&r->arena, (const char *)p, n);
    }
    *out = v;
    *n_out = (int)cnt;
    return LS_OK;
}

static int get_dv(cpr *r, int base, ls_delta_dv **out)
{
    *out = NULL;
    if (!r->has[base] || !cur_present(&r->cols[base]))
        return LS_OK;
    ls_delta_dv *dv = ls_arena_calloc(&r->arena, sizeof *dv);
    char *st;
    int64_t v;
    int rc;
    if ((rc = get_str(r, base, true, &st)))
        return rc;
    if (strlen(st) != 1 || (st[0] != 'u' && st[0] != 'i' && st[0] != 'p'))
        return cp_bad(r, base, "must be \"u\", \"i\" or \"p\"");
    dv->storage_type = st[0];
    if ((rc = get_str(r, base + 1, true, &dv->path_or_inline_dv)))
        return rc;
    if ((rc = get_int(r, base + 2, false, &dv->has_offset, &v)))
        return rc;
    if (dv->has_offset) {
        if (v < 0 || v > INT32_MAX)
            return cp_bad(r, base + 2, "is out of range");
        dv->offset = (int32_t)v;
    }
    if ((rc = get_int(r, base + 3, true, NULL, &v)))
        return rc;
    if (v < 0 || v > INT32_MAX)
        return cp_bad(r, base + 3, "is out of range");
    dv->size_in_bytes = (int32_t)v;
    if ((rc = get_int(r, base + 4, true, NULL, &dv->cardinality)))
        return rc;
    if (dv->cardinality < 0)
        return cp_bad(r, base + 4, "is negative");
    *out = dv;
    return LS_OK;
}

/* Appends the JSON of struct f (below stats_parsed) for the current row. */
static void sp_struct_json(cpr *r, const ls_field *f, ls_buf *out)
{
    ls_buf_putc(out, '{');
    bool first = true;
    for (int i = 0; i < f->n_children; i++) {
        const ls_field *c = &f->children[i];
        if (c->type == LS_LIST || c->type == LS_MAP || c->leaf_count <= 0)
            continue;
        const lcur *lc = &r->sp_cur[c->leaf_first - r->sp->leaf_first];
        if (lc->s1 <= lc->s0 || slot_def(lc->l, lc->s0) < c->def_level)
            continue; /* null: left out, as Spark does */
        if (!first)
            ls_buf_putc(out, ',');
        first = false;
        ls_buf_json_str(out, c->name, strlen(c->name));
        ls_buf_putc(out, ':');
        if (c->type == LS_STRUCT)
            sp_struct_json(r, c, out);
        else if (c->type == LS_DECIMAL)
            dl_partition_value_format(lc->l, lc->v0, out); /* a JSON number */
        else
            ls_leaf_format_value(lc->l, lc->v0, out);
    }
    ls_buf_putc(out, '}');
}

static char *sp_stats(cpr *r)
{
    const lcur *lc = &r->sp_cur[0];
    if (lc->s1 <= lc->s0 || slot_def(lc->l, lc->s0) < r->sp->def_level)
        return NULL;
    ls_buf_reset(&r->sp_json);
    sp_struct_json(r, r->sp, &r->sp_json);
    return ls_arena_strndup(&r->arena, (const char *)r->sp_json.data, r->sp_json.len);
}

static bool group_present(cpr *r, int g)
{
    int col = r->probe[g];
    if (col < 0)
        return false;
    const lcur *c = &r->cols[col];
    if (c->s1 <= c->s0)
        return false;
    return slot_def(c->l, c->s0) >= r->group[g]->def_level;
}

static int row_action(cpr *r, int g, dl_action *a)
{
    int rc = LS_OK;
    memset(a, 0, sizeof *a);
    switch (g) {
    case G_ADD: {
        ls_delta_add *x = &a->u.add;
        a->kind = DL_ACT_ADD;
        if ((rc = get_str(r, C_ADD_PATH, true, &x->path)) ||
            (rc = get_map(r, C_ADD_PV_K, C_ADD_PV_V, &x->partition_values)) ||
            (rc = get_int(r, C_ADD_SIZE, false, NULL, &x->size)) ||
            (rc = get_int(r, C_ADD_MTIME, false, NULL, &x->modification_time)) ||
            (rc = get_bool(r, C_ADD_DC, false, &x->data_change)) ||
            (rc = get_str(r, C_ADD_STATS, false, &x->stats)) ||
            (rc = get_map(r, C_ADD_TAGS_K, C_ADD_TAGS_V, &x->tags)) ||
            (rc = get_dv(r, C_ADD_DV_ST, &x->dv)) ||
            (rc = get_int(r, C_ADD_BRID, false, &x->has_base_row_id, &x->base_row_id)) ||
            (rc = get_int(r, C_ADD_DRCV, false, &x->has_default_row_commit_version,
                          &x->default_row_commit_version)) ||
            (rc = get_str(r, C_ADD_CLUST, false, &x->clustering_provider)))
            return rc;
        if (x->size < 0)
            return cp_bad(r, C_ADD_SIZE, "is negative");
        if (!x->stats && r->sp)
            x->stats = sp_stats(r);
        break;
    }
    case G_REMOVE: {
        ls_delta_remove *x = &a->u.remove;
        a->kind = DL_ACT_REMOVE;
        if ((rc = get_str(r, C_RM_PATH, true, &x->path)) ||
            (rc = get_int(r, C_RM_DTS, false, &x->has_deletion_timestamp,
                          &x->deletion_timestamp)) ||
            (rc = get_bool(r, C_RM_DC, false, &x->data_change)) ||
            (rc = get_bool(r, C_RM_EXT, false, &x->extended_file_metadata)) ||
            (rc = get_map(r, C_RM_PV_K, C_RM_PV_V, &x->partition_values)) ||
            (rc = get_int(r, C_RM_SIZE, false, &x->has_size, &x->size)) ||
            (rc = get_dv(r, C_RM_DV_ST, &x->dv)))
            return rc;
        break;
    }
    case G_METADATA: {
        ls_delta_metadata *x = &a->u.metadata;
        a->kind = DL_ACT_METADATA;
        bool has_ct;
        if ((rc = get_str(r, C_MD_ID, false, &x->id)) ||
            (rc = get_str(r, C_MD_NAME, false, &x->name)) ||
            (rc = get_str(r, C_MD_DESC, false, &x->description)) ||
            (rc = get_str(r, C_MD_PROV, false, &x->format_provider)) ||
            (rc = get_str(r, C_MD_SCHEMA, true, &x->schema_string)) ||
            (rc = get_strv(r, C_MD_PCOLS, &x->partition_columns, &x->n_partition_columns)) ||
            (rc = get_map(r, C_MD_CONF_K, C_MD_CONF_V, &x->configuration)) ||
            (rc = get_int(r, C_MD_CT, false, &has_ct, &x->created_time)))
            return rc;
        if (!has_ct)
            x->created_time = -1;
        if (!x->format_provider)
            x->format_provider = (char *)"parquet";
        break;
    }
    case G_PROTOCOL: {
        ls_delta_protocol *x = &a->u.protocol;
        a->kind = DL_ACT_PROTOCOL;
        int64_t rv = 0, wv = 0;
        if ((rc = get_int(r, C_PR_R, true, NULL, &rv)) ||
            (rc = get_int(r, C_PR_W, true, NULL, &wv)) ||
            (rc = get_strv(r, C_PR_RF, &x->reader_features, &x->n_reader_features)) ||
            (rc = get_strv(r, C_PR_WF, &x->writer_features, &x->n_writer_features)))
            return rc;
        if (rv < 1 || rv > INT32_MAX || wv < 1 || wv > INT32_MAX)
            return cp_bad(r, C_PR_R, "holds an invalid protocol version");
        x->min_reader_version = (int)rv;
        x->min_writer_version = (int)wv;
        break;
    }
    case G_TXN: {
        ls_delta_txn_action *x = &a->u.txn;
        a->kind = DL_ACT_TXN;
        if ((rc = get_str(r, C_TXN_APP, true, &x->app_id)) ||
            (rc = get_int(r, C_TXN_VER, true, NULL, &x->version)) ||
            (rc = get_int(r, C_TXN_LU, false, &x->has_last_updated, &x->last_updated)))
            return rc;
        break;
    }
    case G_DOMAIN: {
        ls_delta_domain *x = &a->u.domain;
        a->kind = DL_ACT_DOMAIN;
        if ((rc = get_str(r, C_DM_DOMAIN, true, &x->domain)) ||
            (rc = get_str(r, C_DM_CONF, false, &x->configuration)) ||
            (rc = get_bool(r, C_DM_REMOVED, false, &x->removed)))
            return rc;
        if (!x->configuration)
            x->configuration = (char *)"";
        break;
    }
    case G_CPMETA:
        a->kind = DL_ACT_CHECKPOINT_METADATA;
        rc = get_int(r, C_CPM_VER, true, NULL, &a->u.checkpoint_metadata.version);
        break;
    case G_SIDECAR: {
        dl_sidecar *x = &a->u.sidecar;
        a->kind = DL_ACT_SIDECAR;
        if ((rc = get_str(r, C_SC_PATH, true, &x->path)) ||
            (rc = get_int(r, C_SC_SIZE, false, NULL, &x->size_in_bytes)) ||
            (rc = get_int(r, C_SC_MTIME, false, NULL, &x->modification_time)))
            return rc;
        break;
    }
    }
    return rc;
}

int dl_checkpoint_read_parquet(ls_store *store, const char *key, dl_action_fn fn, void *ctx,
                               ls_error *err)
{
    ls_input *in = NULL;
    ls_pq_reader *pr = NULL;
    ls_batch *batch = NULL;
    cpr r;
    memset(&r, 0, sizeof r);
    r.store = store;
    r.key = key;
    r.fn = fn;
    r.ctx = ctx;
    r.err = err;
    ls_arena_init(&r.arena, 256 * 1024);
    int rc = ls_input_open_store(store, key, &in, err);
    if (rc)
        goto out;
    ls_pq_read_opts o;
    ls_pq_read_opts_default(&o);
    o.batch_rows = 16384;
    if ((rc = ls_pq_reader_open(in, &o, &pr, err))) {
        ls_err_prefix(err, "checkpoint %s", key);
        goto out;
    }
    /* Project the groups' sub-columns we use that the file has. */
    const ls_schema *fs = ls_pq_reader_schema(pr);
    const char *proj[C_COUNT + 1];
    char proj_buf[C_COUNT][64];
    int np = 0;
    for (int c = 0; c < C_COUNT; c++) {
        const ls_field *f = find_path(fs, col_paths[c]);
        if (!f || ls_type_is_group(f->type))
            continue;
        /* the projection takes the group path (a map/list is read whole) */
        size_t len = strcspn(col_paths[c], ":");
        if (len >= sizeof proj_buf[0])
            continue;
        memcpy(proj_buf[np], col_paths[c], len);
        proj_buf[np][len] = 0;
        bool dup = false;
        for (int k = 0; k < np; k++)
            if (strcmp(proj[k], proj_buf[np]) == 0)
                dup = true;
        if (!dup) {
            proj[np] = proj_buf[np];
            np++;
        }
    }
    if (np == 0) {
        rc = ls_err(err, LS_ERR_CORRUPT, "checkpoint %s has none of the Delta action columns",
                    key);
        goto out;
    }
    const ls_field *fsp = find_path(fs, "add.stats_parsed");
    if (!find_path(fs, "add.stats") && fsp && fsp->type == LS_STRUCT && fsp->leaf_count > 0)
        proj[np++] = "add.stats_parsed";
    if ((rc = ls_pq_reader_project(pr, proj, np, err))) {
        ls_err_prefix(err, "checkpoint %s", key);
        goto out;
    }
    const ls_schema *os = ls_pq_reader_out_schema(pr);
    for (int g = 0; g < G_COUNT; g++) {
        r.probe[g] = -1;
        r.group[g] = find_path(os, group_names[g]);
    }
    for (int c = 0; c < C_COUNT; c++) {
        const ls_field *f = find_path(os, col_paths[c]);
        if (!f || ls_type_is_group(f->type) || f->leaf_index < 0)
            continue;
        r.has[c] = true;
        r.cols[c].f = f;
        for (int g = 0; g < G_COUNT; g++) {
            size_t gl = strlen(group_names[g]);
            if (r.probe[g] < 0 && strncmp(col_paths[c], group_names[g], gl) == 0 &&
                col_paths[c][gl] == '.' && r.group[g])
                r.probe[g] = c;
        }
    }
    const ls_field *osp = find_path(os, "add.stats_parsed");
    if (osp && osp->type == LS_STRUCT && osp->leaf_count > 0) {
        r.sp = osp;
        r.sp_cur = ls_xcalloc((size_t)osp->leaf_count, sizeof(lcur));
    }
    batch = ls_batch_new(os);
    for (;;) {
        bool eof = false;
        if ((rc = ls_pq_reader_next(pr, batch, &eof, err))) {
            ls_err_prefix(err, "checkpoint %s", key);
            goto out;
        }
        if (eof || batch->n_rows == 0)
            break;
        for (int c = 0; c < C_COUNT; c++) {
            if (!r.has[c])
                continue;
            r.cols[c].l = &batch->leaves[r.cols[c].f->leaf_index];
            r.cols[c].slot = r.cols[c].val = 0;
        }
        if (r.sp) {
            for (int k = 0; k < r.sp->leaf_count; k++) {
                r.sp_cur[k].l = &batch->leaves[r.sp->leaf_first + k];
                r.sp_cur[k].slot = r.sp_cur[k].val = 0;
            }
        }
        for (size_t row = 0; row < batch->n_rows; row++) {
            for (int c = 0; c < C_COUNT; c++)
                if (r.has[c])
                    lcur_next_row(&r.cols[c]);
            if (r.sp)
                for (int k = 0; k < r.sp->leaf_count; k++)
                    lcur_next_row(&r.sp_cur[k]);
            for (int g = 0; g < G_COUNT; g++) {
                if (!group_present(&r, g))
                    continue;
                dl_action act;
                if ((rc = row_action(&r, g, &act)))
                    goto out;
                if ((rc = fn(ctx, &act, err)))
                    goto out;
            }
        }
        ls_arena_reset(&r.arena);
    }
out:
    free(r.sp_cur);
    ls_buf_free(&r.sp_json);
    ls_batch_free(batch);
    ls_pq_reader_free(pr);
    ls_input_free(in);
    ls_arena_free(&r.arena);
    return rc;
}

/* ---- whole checkpoints (parts, V2 + sidecars) ------------------------------------ */

typedef struct v2ctx {
    dl_action_fn fn;
    void *ctx;
    size_t n_sidecars, cap;
    char **sidecars;
} v2ctx;

static int v2_collect(void *c, const dl_action *a, ls_error *err)
{
    v2ctx *v = c;
    if (a->kind == DL_ACT_SIDECAR) {
        if (v->n_sidecars == v->cap) {
            v->cap = v->cap ? v->cap * 2 : 8;
            v->sidecars = ls_xrealloc(v->sidecars, v->cap * sizeof(char *));
        }
        v->sidecars[v->n_sidecars++] = ls_xstrdup(a->u.sidecar.path);
        return LS_OK;
    }
    return v->fn(v->ctx, a, err);
}

/* Store key of a sidecar file: relative paths live in _delta_log/_sidecars/. */
static int sidecar_key(ls_store *store, const char *path, char **out, ls_error *err)
{
    char *dec = dl_uri_decode(path, strlen(path));
    if (!strchr(dec, ':') && dec[0] != '/') {
        *out = ls_xasprintf(DL_SIDECAR_DIR "%s", dec);
        free(dec);
        return LS_OK;
    }
    /* absolute: accept only when it points into this table's _delta_log/_sidecars/ */
    const char *p = dec;
    if (strncmp(p, "file://", 7) == 0)
        p += 7;
    else if (strncmp(p, "file:", 5) == 0)
        p += 5;
    char *root_key = ls_store_local_path(store, DL_SIDECAR_DIR "x");
    int rc = LS_ERR_UNSUPPORTED;
    if (root_key) {
        size_t rl = strlen(root_key) - 1; /* without the "x" */
        if (strncmp(p, root_key, rl) == 0 && p[rl]) {
            *out = ls_xasprintf(DL_SIDECAR_DIR "%s", p + rl);
            rc = LS_OK;
        }
        free(root_key);
    }
    if (rc)
        ls_err(err, rc, "sidecar path '%s' is outside the table's _delta_log/_sidecars/", path);
    free(dec);
    return rc;
}

int dl_checkpoint_read(ls_store *store, const char *const *keys, size_t n, bool v2_json,
                       dl_action_fn fn, void *ctx, ls_error *err)
{
    v2ctx v = {fn, ctx, 0, 0, NULL};
    int rc = LS_OK;
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        if (v2_json) {
            ls_buf b = {0};
            rc = ls_store_get(store, keys[i], &b, err);
            if (rc == LS_OK) {
                ls_arena a;
                ls_arena_init(&a, 64 * 1024);
                dl_action *acts;
                size_t na;
                rc = dl_commit_parse((const char *)b.data, b.len, &a, &acts, &na, err);
                if (rc)
                    ls_err_prefix(err, "checkpoint %s", keys[i]);
                for (size_t k = 0; rc == LS_OK && k < na; k++)
                    rc = v2_collect(&v, &acts[k], err);
                ls_arena_free(&a);
            }
            ls_buf_free(&b);
        } else {
            rc = dl_checkpoint_read_parquet(store, keys[i], v2_collect, &v, err);
        }
    }
    for (size_t i = 0; i < v.n_sidecars && rc == LS_OK; i++) {
        char *key = NULL;
        rc = sidecar_key(store, v.sidecars[i], &key, err);
        if (rc == LS_OK) {
            rc = dl_checkpoint_read_parquet(store, key, fn, ctx, err);
            if (rc == LS_ERR_NOTFOUND)
                rc = ls_err(err, LS_ERR_CORRUPT, "checkpoint sidecar %s is missing", key);
        }
        free(key);
    }
    for (size_t i = 0; i < v.n_sidecars; i++)
        free(v.sidecars[i]);
    free(v.sidecars);
    return rc;
}
