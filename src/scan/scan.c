/*
 * scan.c - reading a Delta snapshot into batches of the table's logical
 * schema (see scan.h).
 *
 * Three schemas are involved:
 *   T - the table's logical schema (borrowed from the snapshot);
 *   O - the output: T pruned to the requested columns, every field nullable
 *       (files may lack columns, partition values may be null);
 *   W - the working schema: O plus the columns the predicate needs (W == O
 *       when the predicate only uses selected columns).
 * Per data file, each W leaf is planned once: taken from a Parquet leaf
 * (matched by name, column-mapping physical name or field id, with its
 * definition levels remapped when the file's nullability differs and its
 * values widened when typeWidening changed the type), materialized from the
 * file's partition values, or filled with nulls (missing column; a missing
 * field inside an existing struct copies the struct's presence from a
 * sibling leaf). Unchanged leaves are moved, not copied, from the Parquet
 * reader's batch. Deletion vectors and the predicate produce a row mask;
 * only then are rows gathered into O. Files are pruned before they are
 * opened, by exact evaluation on partition values and by add.stats.
 */
#include "sc_int.h"

#include <stdlib.h>

enum { CM_NONE, CM_NAME, CM_ID };

enum lm_kind { LM_FOUND, LM_PART, LM_NULL_ROOT, LM_NULL_SIB };

enum conv {
    CV_COPY,
    CV_I32_I64,
    CV_I32_F64,
    CV_I64_F64,
    CV_F32_F64,
    CV_DATE_TS,
    CV_DEC, /* decimal/integer -> decimal: multiply by 10^k, widen representation */
};

typedef struct leafmap {
    int kind;
    int fleaf; /* FOUND: source leaf; NULL_SIB: sibling leaf (index in the file batch) */
    int conv;
    int dec_k;       /* CV_DEC: scale difference */
    bool swap;       /* FOUND + CV_COPY + identical levels: move buffers */
    uint8_t *defmap; /* file def -> W def (NULL = identity); NULL_SIB: prefix map */
    int def_cap;     /* FOUND: the file leaf's max def; NULL_SIB: file def of the anchor
                      * struct (defs above it are clamped) */
    int rep_cut;     /* NULL_SIB: slots with rep > this continue a list inside the anchor */
    int fileleaf;    /* FOUND: the leaf in the file's full schema (for its statistics) */
} leafmap;

struct ls_scan {
    ls_delta_table *t;
    const ls_delta_snapshot *snap;
    const ls_schema *T;
    ls_schema *O, *W; /* W == O when no extra columns are needed */
    int *o2w;         /* O leaf -> W leaf */
    int *w_part;      /* W leaf -> index in partition_columns, or -1 */
    int cmode;
    char **pcols;
    int n_pcols;
    sc_pred *pred;
    int *conj_wleaf;
    bool row_filter; /* some conjunct must be evaluated per row */

    const ls_delta_add **files;
    size_t n_files, next_file;
    size_t files_total, files_skipped;
    size_t rg_total, rg_skipped; /* row groups of the opened files / pruned by statistics */
    ls_delta_add *owned;
    size_t n_owned;
    size_t batch_rows;

    /* current file */
    bool open;
    const ls_delta_add *add;
    char *loc;
    ls_input *in;
    ls_pq_reader *rd;
    ls_batch *fb;
    bool no_read; /* no Parquet column needed: rows are counted, not read */
    uint64_t file_rows, row_base;
    leafmap *lm;
    ls_batch *pv; /* one row of partition values (bound to W) */
    sc_dv *dv;

    ls_batch *wb, *ob;
    uint8_t *mask;
    size_t mask_cap;
    ls_batch *pending;
    size_t pending_off;
    ls_arena arena; /* stats JSON */
    bool failed;
};

/* ---- output / working schemas ---------------------------------------------------- */

typedef struct selnode selnode;
struct selnode {
    const ls_field *tf;
    bool all;
    int n, cap;
    selnode *kids; /* in first-mention order */
};

static void sel_free(selnode *s)
{
    for (int i = 0; i < s->n; i++)
        sel_free(&s->kids[i]);
    free(s->kids);
}

static selnode *sel_child(selnode *s, const ls_field *tf)
{
    for (int i = 0; i < s->n; i++)
        if (s->kids[i].tf == tf) return &s->kids[i];
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->kids = ls_xrealloc(s->kids, (size_t)s->cap * sizeof(selnode));
    }
    selnode *k = &s->kids[s->n++];
    memset(k, 0, sizeof *k);
    k->tf = tf;
    return k;
}

static void sel_add(selnode *root, const ls_field *const *segs, int n)
{
    selnode *s = root;
    for (int i = 0; i < n && !s->all; i++)
        s = sel_child(s, segs[i]);
    if (!s->all) {
        s->all = true;
        for (int i = 0; i < s->n; i++)
            sel_free(&s->kids[i]);
        s->n = 0;
    }
}

static void make_nullable(ls_field *f)
{
    f->nullable = true; /* map keys are made required again by ls_schema_finalize */
    for (int i = 0; i < f->n_children; i++)
        make_nullable(&f->children[i]);
}

static void sel_build(ls_field *dst, const selnode *s, bool top)
{
    /* nested kids follow the table's order; top-level ones the order of mention */
    int n = s->n;
    const selnode **ord = ls_xmalloc((size_t)(n ? n : 1) * sizeof(selnode *));
    for (int i = 0; i < n; i++)
        ord[i] = &s->kids[i];
    if (!top && s->tf) {
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && ord[j - 1]->tf > ord[j]->tf; j--) {
                const selnode *x = ord[j];
                ord[j] = ord[j - 1];
                ord[j - 1] = x;
            }
    }
    for (int i = 0; i < n; i++) {
        const selnode *k = ord[i];
        dst->children =
            ls_xrealloc(dst->children, (size_t)(dst->n_children + 1) * sizeof(ls_field));
        ls_field *c = &dst->children[dst->n_children++];
        if (k->all) {
            ls_field_copy(c, k->tf);
            make_nullable(c);
        } else {
            memset(c, 0, sizeof *c);
            c->name = ls_xstrdup(k->tf->name);
            c->type = k->tf->type;
            c->nullable = true;
            c->field_id = k->tf->field_id;
            c->physical_name = k->tf->physical_name ? ls_xstrdup(k->tf->physical_name) : NULL;
            c->leaf_index = -1;
            sel_build(c, k, false);
        }
    }
    free(ord);
}

/* Splits a user path on dots outside `backquotes` and resolves it through structs. */
static int resolve_user_path(const ls_schema *T, const char *path, const ls_field ***segs_out,
                             int *n_out, ls_error *err)
{
    const ls_field **segs = NULL;
    int n = 0, cap = 0;
    const ls_field *whole = ls_schema_find(T, path);
    if (whole && strchr(path, '.')) { /* a top-level name that contains dots */
        segs = ls_xmalloc(sizeof *segs);
        segs[0] = whole;
        *segs_out = segs;
        *n_out = 1;
        return LS_OK;
    }
    const ls_field *cur = &T->root;
    const char *p = path;
    ls_buf seg = {0};
    int rc = LS_OK;
    while (*p || n == 0) {
        ls_buf_reset(&seg);
        if (*p == '`') {
            p++;
            while (*p && !(*p == '`' && p[1] != '`')) {
                if (*p == '`') p++;
                ls_buf_putc(&seg, (uint8_t)*p++);
            }
            if (*p != '`') {
                rc = ls_err(err, LS_ERR_INVALID, "unterminated ` in column '%s'", path);
                break;
            }
            p++;
        } else {
            while (*p && *p != '.')
                ls_buf_putc(&seg, (uint8_t)*p++);
        }
        if (seg.len == 0) {
            rc = ls_err(err, LS_ERR_INVALID, "empty name in column '%s'", path);
            break;
        }
        if (cur->type != LS_STRUCT) {
            rc = ls_err(err, LS_ERR_INVALID,
                        "column '%s': cannot select inside '%s' of type %s (only struct fields)",
                        path, cur->name, ls_type_name(cur->type));
            break;
        }
        const ls_field *c = ls_field_find_child(cur, (const char *)seg.data, seg.len);
        if (!c) {
            rc = ls_err(err, LS_ERR_INVALID, "no column '%s' in the table", path);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            segs = ls_xrealloc(segs, (size_t)cap * sizeof *segs);
        }
        segs[n++] = c;
        cur = c;
        if (*p == '.') {
            p++;
            if (!*p) {
                rc = ls_err(err, LS_ERR_INVALID, "column '%s' ends with '.'", path);
                break;
            }
        } else if (*p) {
            rc = ls_err(err, LS_ERR_INVALID, "unexpected text after ` in column '%s'", path);
            break;
        }
    }
    ls_buf_free(&seg);
    if (rc) {
        free(segs);
        return rc;
    }
    *segs_out = segs;
    *n_out = n;
    return LS_OK;
}

static int build_schemas(ls_scan *s, const ls_scan_opts *o, ls_error *err)
{
    selnode osel = {0}, wsel = {0};
    int rc = LS_OK;
    if (!o->columns || o->n_columns <= 0) {
        for (int i = 0; i < s->T->root.n_children; i++) {
            const ls_field *f = &s->T->root.children[i];
            sel_add(&osel, &f, 1);
            sel_add(&wsel, &f, 1);
        }
    } else {
        for (int i = 0; i < o->n_columns && !rc; i++) {
            const ls_field **segs;
            int n;
            if ((rc = resolve_user_path(s->T, o->columns[i], &segs, &n, err))) break;
            sel_add(&osel, segs, n);
            sel_add(&wsel, segs, n);
            free(segs);
        }
    }
    if (!rc && s->pred)
        for (int i = 0; i < s->pred->n; i++)
            sel_add(&wsel, s->pred->c[i].segs, s->pred->c[i].n_segs);
    if (!rc) {
        s->O = ls_schema_new();
        sel_build(&s->O->root, &osel, true);
        rc = ls_schema_finalize(s->O, err);
    }
    if (!rc) {
        s->W = ls_schema_new();
        sel_build(&s->W->root, &wsel, true);
        rc = ls_schema_finalize(s->W, err);
        if (!rc && s->W->n_leaves == s->O->n_leaves) {
            ls_schema_free(s->W);
            s->W = s->O;
        }
    }
    sel_free(&osel);
    sel_free(&wsel);
    if (rc) return ls_err_prefix(err, "columns");
    s->o2w = ls_xcalloc((size_t)(s->O->n_leaves ? s->O->n_leaves : 1), sizeof(int));
    for (int i = 0; i < s->O->n_leaves; i++) {
        s->o2w[i] = i;
        if (s->W == s->O) continue;
        char *op = ls_field_path(s->O->leaves[i]);
        s->o2w[i] = -1;
        for (int j = 0; j < s->W->n_leaves && s->o2w[i] < 0; j++) {
            char *wp = ls_field_path(s->W->leaves[j]);
            if (!strcmp(op, wp)) s->o2w[i] = j;
            free(wp);
        }
        free(op);
        if (s->o2w[i] < 0)
            return ls_err(err, LS_ERR_INVALID, "internal: output column not in the working set");
    }
    s->w_part = ls_xcalloc((size_t)(s->W->n_leaves ? s->W->n_leaves : 1), sizeof(int));
    for (int i = 0; i < s->W->n_leaves; i++) {
        const ls_field *f = s->W->leaves[i];
        s->w_part[i] = -1;
        if (f->parent && !f->parent->parent)
            for (int k = 0; k < s->n_pcols; k++)
                if (ls_str_ieq(s->pcols[k], f->name)) s->w_part[i] = k;
    }
    if (s->pred) {
        s->conj_wleaf = ls_xcalloc((size_t)(s->pred->n ? s->pred->n : 1), sizeof(int));
        for (int c = 0; c < s->pred->n; c++) {
            s->conj_wleaf[c] = -1;
            for (int j = 0; j < s->W->n_leaves && s->conj_wleaf[c] < 0; j++) {
                char *wp = ls_field_path(s->W->leaves[j]);
                if (!strcmp(wp, s->pred->c[c].path)) s->conj_wleaf[c] = j;
                free(wp);
            }
            if (s->conj_wleaf[c] < 0)
                return ls_err(err, LS_ERR_INVALID, "internal: predicate column '%s' not read",
                              s->pred->c[c].path);
            if (s->W->leaves[s->conj_wleaf[c]]->rep_level > 0)
                return ls_err(err, LS_ERR_INVALID, "--where: column '%s' is inside a list or map",
                              s->pred->c[c].path);
            if (!s->pred->c[c].is_partition) s->row_filter = true;
        }
    }
    return LS_OK;
}

/* ---- partition values and pruning ------------------------------------------------- */

static const char *key_of(const ls_scan *s, const ls_field *f)
{
    return s->cmode != CM_NONE && f->physical_name ? f->physical_name : f->name;
}

/* The partition value text of top-level field f (NULL for null). */
static const char *part_value(const ls_scan *s, const ls_delta_add *a, const ls_field *f)
{
    bool found = false;
    const char *v = ls_kvlist_get(&a->partition_values, key_of(s, f), &found);
    if (!found) v = ls_kvlist_get(&a->partition_values, f->name, &found);
    if (!found) /* tolerate writers that differ in case */
        for (int i = 0; i < a->partition_values.n && !found; i++)
            if (ls_str_ieq(a->partition_values.keys[i], key_of(s, f))) {
                v = a->partition_values.values[i];
                found = true;
            }
    if (!found || !v || !*v) /* empty string and null both mean NULL */
        return NULL;
    return v;
}

/* Fills s->pv's partition leaves with one row of a's partition values. */
static int load_part_values(ls_scan *s, const ls_delta_add *a, bool only_pred, ls_error *err)
{
    ls_batch_reset(s->pv);
    for (int i = 0; i < s->W->n_leaves; i++) {
        if (s->w_part[i] < 0) continue;
        if (only_pred) {
            bool used = false;
            for (int c = 0; c < s->pred->n && !used; c++)
                used = s->conj_wleaf[c] == i;
            if (!used) continue;
        }
        const ls_field *f = s->W->leaves[i];
        int rc = ls_delta_partition_value_push(&s->pv->leaves[i], part_value(s, a, f), err);
        if (rc) return ls_err_prefix(err, "%s: partition column '%s'", a->path, f->name);
    }
    s->pv->n_rows = 1;
    return LS_OK;
}

static const ls_json *stats_at(const ls_scan *s, const ls_json *obj, const sc_conj *c)
{
    for (int i = 0; i < c->n_segs && obj; i++) {
        const ls_json *nx = ls_json_get(obj, key_of(s, c->segs[i]));
        if (!nx && s->cmode != CM_NONE) nx = ls_json_get(obj, c->segs[i]->name);
        obj = nx;
    }
    return obj;
}

static void stat_text(const ls_json *v, bool *has, const char **t, size_t *n, bool *is_str)
{
    *has = false;
    if (!v) return;
    if (v->type == LS_JSON_NUMBER || v->type == LS_JSON_STRING) {
        *has = true;
        *t = v->text;
        *n = v->len;
        *is_str = v->type == LS_JSON_STRING;
    }
}

/* false when the file provably has no matching row. */
static int file_may_match(ls_scan *s, const ls_delta_add *a, bool *may, ls_error *err)
{
    *may = true;
    if (!s->pred) return LS_OK;
    bool any_part = false, any_stats = false;
    for (int c = 0; c < s->pred->n; c++) {
        if (s->pred->c[c].is_partition)
            any_part = true;
        else
            any_stats = true;
    }
    if (any_part) {
        int rc = load_part_values(s, a, true, err);
        if (rc) return rc;
        for (int c = 0; c < s->pred->n; c++) {
            if (!s->pred->c[c].is_partition) continue;
            uint8_t m = 1;
            sc_conj_eval_leaf(&s->pred->c[c], &s->pv->leaves[s->conj_wleaf[c]], 1, &m);
            if (!m) {
                *may = false;
                return LS_OK;
            }
        }
    }
    if (!any_stats || !a->stats) return LS_OK;
    ls_arena_reset(&s->arena);
    ls_json *root = NULL;
    ls_error jerr = {0};
    if (ls_json_parse(a->stats, strlen(a->stats), &s->arena, &root, &jerr) != LS_OK || !root ||
        root->type != LS_JSON_OBJECT)
        return LS_OK; /* unusable stats only cost the pruning */
    int64_t nrec = 0;
    bool has_nrec = ls_json_int64(ls_json_get(root, "numRecords"), &nrec);
    const ls_json *tb = ls_json_get(root, "tightBounds");
    bool tight = !(tb && tb->type == LS_JSON_BOOL && !tb->b);
    const ls_json *mins = ls_json_get(root, "minValues");
    const ls_json *maxs = ls_json_get(root, "maxValues");
    const ls_json *nulls = ls_json_get(root, "nullCount");
    for (int c = 0; c < s->pred->n; c++) {
        const sc_conj *cj = &s->pred->c[c];
        if (cj->is_partition) continue;
        sc_colstats st;
        memset(&st, 0, sizeof st);
        /* with deletion vectors numRecords counts physical rows; a loose nullCount could
         * then claim "all null" wrongly, so only min/max are used for loose stats */
        st.has_num_records = has_nrec && tight;
        st.num_records = nrec;
        if (tight) st.has_null_count = ls_json_int64(stats_at(s, nulls, cj), &st.null_count);
        stat_text(stats_at(s, mins, cj), &st.has_min, &st.min_text, &st.min_len, &st.min_is_string);
        stat_text(stats_at(s, maxs, cj), &st.has_max, &st.max_text, &st.max_len, &st.max_is_string);
        if (!sc_conj_may_match(cj, &st)) {
            *may = false;
            return LS_OK;
        }
    }
    return LS_OK;
}

/* ---- opening ------------------------------------------------------------------------ */

int ls_scan_open(ls_delta_table *t, const ls_delta_snapshot *snap, const ls_scan_opts *o,
                 ls_scan **out, ls_error *err)
{
    *out = NULL;
    ls_scan_opts dflt;
    if (!o) {
        memset(&dflt, 0, sizeof dflt);
        dflt.since_version = -1;
        o = &dflt;
    }
    ls_scan *s = ls_xcalloc(1, sizeof *s);
    s->t = t;
    s->snap = snap;
    s->T = ls_delta_snapshot_schema(snap);
    s->batch_rows = o->batch_rows ? o->batch_rows : LS_SCAN_DEFAULT_BATCH_ROWS;
    ls_arena_init(&s->arena, 16 * 1024);
    const ls_delta_metadata *md = ls_delta_snapshot_metadata(snap);
    int rc = LS_OK;
    if (!s->T || !md) {
        rc = ls_err(err, LS_ERR_INVALID, "snapshot has no schema");
        goto fail;
    }
    s->pcols = md->partition_columns;
    s->n_pcols = md->n_partition_columns;
    const char *mode = ls_delta_snapshot_property(snap, "delta.columnMapping.mode", "none");
    if (ls_str_ieq(mode, "none"))
        s->cmode = CM_NONE;
    else if (ls_str_ieq(mode, "name"))
        s->cmode = CM_NAME;
    else if (ls_str_ieq(mode, "id"))
        s->cmode = CM_ID;
    else {
        rc = ls_err(err, LS_ERR_UNSUPPORTED, "unsupported Delta feature: column mapping mode '%s'",
                    mode);
        goto fail;
    }
    if (o->where && *o->where &&
        (rc = sc_pred_compile(o->where, s->T, (const char *const *)s->pcols, s->n_pcols, &s->pred,
                              err)))
        goto fail;
    if ((rc = build_schemas(s, o, err))) goto fail;
    s->pv = ls_batch_new(s->W);
    s->wb = ls_batch_new(s->W);
    s->ob = ls_batch_new(s->O);

    /* the candidate files */
    size_t n = 0;
    const ls_delta_add **cand = NULL;
    if (o->since_version >= 0) {
        rc = ls_delta_adds_since(t, o->since_version, ls_delta_snapshot_version(snap), false,
                                 &s->owned, &s->n_owned, err);
        if (rc) goto fail;
        n = s->n_owned;
        cand = ls_xcalloc(n ? n : 1, sizeof *cand);
        for (size_t i = 0; i < n; i++)
            cand[i] = &s->owned[i];
    } else {
        n = ls_delta_snapshot_num_files(snap);
        cand = ls_xcalloc(n ? n : 1, sizeof *cand);
        for (size_t i = 0; i < n; i++)
            cand[i] = ls_delta_snapshot_file(snap, i);
    }
    s->files = cand;
    s->files_total = n;
    for (size_t i = 0; i < n; i++) {
        bool may;
        if ((rc = file_may_match(s, cand[i], &may, err))) goto fail;
        if (may)
            s->files[s->n_files++] = cand[i];
        else
            s->files_skipped++;
    }
    *out = s;
    return LS_OK;
fail:
    ls_scan_free(s);
    return rc;
}

const ls_schema *ls_scan_schema(const ls_scan *s)
{
    return s->O;
}

void ls_scan_counts(const ls_scan *s, size_t *files_total, size_t *files_skipped)
{
    if (files_total) *files_total = s->files_total;
    if (files_skipped) *files_skipped = s->files_skipped;
}

void ls_scan_rg_counts(const ls_scan *s, size_t *rg_total, size_t *rg_skipped)
{
    if (rg_total) *rg_total = s->rg_total;
    if (rg_skipped) *rg_skipped = s->rg_skipped;
}

/* ---- per-file planning ---------------------------------------------------------------- */

static int chain_of(const ls_field *f, const ls_field **out)
{
    int n = 0;
    for (const ls_field *p = f; p && p->parent && n <= LS_MAX_NESTING; p = p->parent)
        out[n++] = p;
    for (int i = 0; i < n / 2; i++) {
        const ls_field *x = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = x;
    }
    return n;
}

static int child_index(const ls_field *parent, const ls_field *c)
{
    return (int)(c - parent->children);
}

/* The file field matching W field wc (child of W field wp) under file field fp, or NULL. */
static const ls_field *match_child(const ls_scan *s, const ls_field *fp, const ls_field *wp,
                                   const ls_field *wc)
{
    if (wp->type == LS_LIST || wp->type == LS_MAP) {
        int k = child_index(wp, wc);
        return k < fp->n_children ? &fp->children[k] : NULL;
    }
    if (s->cmode == CM_ID && wc->field_id >= 0) {
        bool ids = false;
        for (int i = 0; i < fp->n_children; i++) {
            if (fp->children[i].field_id == wc->field_id) return &fp->children[i];
            ids |= fp->children[i].field_id >= 0;
        }
        if (ids) return NULL;
    }
    if (s->cmode != CM_NONE) {
        const char *pn = wc->physical_name ? wc->physical_name : wc->name;
        for (int i = 0; i < fp->n_children; i++)
            if (!strcmp(fp->children[i].name, pn)) return &fp->children[i];
        return NULL;
    }
    return ls_field_find_child(fp, wc->name, strlen(wc->name));
}

static bool is_int(ls_type t)
{
    return t == LS_INT8 || t == LS_INT16 || t == LS_INT32 || t == LS_INT64;
}

/* Chooses how file leaf f's values become W leaf w's (typeWidening). */
static int pick_conv(const ls_field *w, const ls_field *f, int *conv, int *dec_k, ls_error *err)
{
    *conv = CV_COPY;
    *dec_k = 0;
    ls_type wt = w->type, ft = f->type;
    bool ok = false;
    switch (wt) {
    case LS_BOOLEAN:
    case LS_FLOAT:
    case LS_DATE:
        ok = ft == wt;
        break;
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
        ok = ft == LS_INT8 || ft == LS_INT16 || ft == LS_INT32;
        break;
    case LS_INT64:
        ok = is_int(ft);
        if (ft != LS_INT64) *conv = CV_I32_I64;
        break;
    case LS_DOUBLE:
        ok = ft == LS_DOUBLE || ft == LS_FLOAT || is_int(ft);
        *conv = ft == LS_FLOAT   ? CV_F32_F64
                : ft == LS_INT64 ? CV_I64_F64
                : is_int(ft)     ? CV_I32_F64
                                 : CV_COPY;
        break;
    case LS_TIMESTAMP:
        ok = ft == LS_TIMESTAMP || ft == LS_TIMESTAMP_NTZ;
        break;
    case LS_TIMESTAMP_NTZ:
        ok = ft == LS_TIMESTAMP || ft == LS_TIMESTAMP_NTZ || ft == LS_DATE;
        if (ft == LS_DATE) *conv = CV_DATE_TS;
        break;
    case LS_STRING:
    case LS_BINARY:
        ok = ft == LS_STRING || ft == LS_BINARY;
        break;
    case LS_DECIMAL:
        if (ft == LS_DECIMAL || is_int(ft)) {
            int fs = ft == LS_DECIMAL ? f->scale : 0;
            *dec_k = w->scale - fs;
            ok = *dec_k >= 0;
            if (ok && (*dec_k != 0 || ls_type_phys(w) != ls_type_phys(f))) *conv = CV_DEC;
        }
        break;
    default:
        break;
    }
    if (!ok) {
        char *p = ls_field_path(w);
        ls_buf ft_s = {0}, wt_s = {0};
        ls_field_type_to_ddl(f, &ft_s);
        ls_field_type_to_ddl(w, &wt_s);
        int rc = ls_err(err, LS_ERR_CORRUPT, "column '%s': the data file has type %s, the table %s",
                        p, ls_buf_cstr(&ft_s), ls_buf_cstr(&wt_s));
        free(p);
        ls_buf_free(&ft_s);
        ls_buf_free(&wt_s);
        return rc;
    }
    return LS_OK;
}

/* Def-level map from a file path to the matching W path (same shape, possibly
 * different nullability): returns a malloc'ed table of maxF+1 entries, or NULL when
 * it is the identity. */
static uint8_t *build_defmap(const ls_field *const *wf, const ls_field *const *ff, int m, int *maxF)
{
    uint8_t inW[2 * (LS_MAX_NESTING + 2)], inF[2 * (LS_MAX_NESTING + 2)];
    int ne = 0, nf = 0, nw = 0;
    for (int j = 0; j < m; j++) {
        if (wf[j]->nullable || ff[j]->nullable) {
            inW[ne] = wf[j]->nullable;
            inF[ne] = ff[j]->nullable;
            nw += inW[ne];
            nf += inF[ne];
            ne++;
        }
        if (wf[j]->type == LS_LIST || wf[j]->type == LS_MAP) {
            inW[ne] = inF[ne] = 1;
            nw++;
            nf++;
            ne++;
        }
    }
    *maxF = nf;
    /* 256 entries: a level beyond the maximum (never produced by the reader) still
     * indexes inside the table */
    uint8_t *map = ls_xmalloc(256);
    bool ident = nf == nw;
    for (int d = 0; d <= nf; d++) {
        int wc = 0, fc = 0;
        for (int e = 0; e < ne; e++) {
            if (inF[e]) {
                if (fc == d) break;
                fc++;
            }
            wc += inW[e];
        }
        map[d] = (uint8_t)wc;
        ident &= wc == d;
    }
    if (ident) {
        free(map);
        return NULL;
    }
    for (int d = nf + 1; d < 256; d++)
        map[d] = map[nf];
    return map;
}

/* Same file field in the projected schema P (walks names from the root). */
static int projected_leaf(const ls_schema *P, const ls_field *const *fchain, int n)
{
    const ls_field *cur = &P->root;
    for (int i = 0; i < n; i++) {
        const ls_field *parent_in_full = i ? fchain[i - 1] : NULL;
        const ls_field *nx = NULL;
        if (parent_in_full && (parent_in_full->type == LS_LIST || parent_in_full->type == LS_MAP)) {
            int k = child_index(parent_in_full, fchain[i]);
            nx = k < cur->n_children ? &cur->children[k] : NULL;
        } else {
            for (int c = 0; c < cur->n_children && !nx; c++)
                if (!strcmp(cur->children[c].name, fchain[i]->name)) nx = &cur->children[c];
        }
        if (!nx) return -1;
        cur = nx;
    }
    return cur->leaf_index;
}

static void close_file(ls_scan *s)
{
    if (s->lm)
        for (int i = 0; i < s->W->n_leaves; i++)
            free(s->lm[i].defmap);
    free(s->lm);
    s->lm = NULL;
    ls_batch_free(s->fb);
    s->fb = NULL;
    ls_pq_reader_free(s->rd);
    s->rd = NULL;
    ls_input_free(s->in);
    s->in = NULL;
    free(s->loc);
    s->loc = NULL;
    sc_dv_free(s->dv);
    s->dv = NULL;
    s->open = false;
    s->add = NULL;
}

static int plan_file(ls_scan *s, ls_error *err)
{
    const ls_schema *F = ls_pq_reader_schema(s->rd);
    int nw = s->W->n_leaves;
    s->lm = ls_xcalloc((size_t)(nw ? nw : 1), sizeof(leafmap));
    const ls_field **src =
        ls_xcalloc((size_t)(nw ? nw : 1), sizeof *src); /* file leaf per W leaf */
    const ls_field *wch[LS_MAX_NESTING + 2], *fch[LS_MAX_NESTING + 2];
    int rc = LS_OK;
    for (int i = 0; i < nw && !rc; i++) {
        leafmap *m = &s->lm[i];
        m->fleaf = -1;
        m->fileleaf = -1;
        if (s->w_part[i] >= 0) {
            m->kind = LM_PART;
            continue;
        }
        const ls_field *wl = s->W->leaves[i];
        int k = chain_of(wl, wch);
        const ls_field *fp = &F->root;
        const ls_field *wp = &s->W->root;
        int j = 0;
        for (; j < k; j++) {
            if ((wp->type == LS_STRUCT && fp->type != LS_STRUCT) ||
                ((wp->type == LS_LIST || wp->type == LS_MAP) && fp->type != wp->type))
                break; /* shape differs: reported below */
            const ls_field *fc = match_child(s, fp, wp, wch[j]);
            if (!fc) break;
            fch[j] = fc;
            fp = fc;
            wp = wch[j];
        }
        if (j == k && !ls_type_is_group(fp->type) && !ls_type_is_group(wl->type)) {
            m->kind = LM_FOUND;
            m->fileleaf = fp->leaf_index;
            src[i] = fp;
            if ((rc = pick_conv(wl, fp, &m->conv, &m->dec_k, err))) break;
            m->defmap = build_defmap(wch, fch, k, &m->def_cap);
            continue;
        }
        if (j < k && wp->type == LS_STRUCT && fp->type == LS_STRUCT) {
            /* wch[j] is absent below the struct wp (or the root): nulls */
            if (j == 0) {
                m->kind = LM_NULL_ROOT;
                continue;
            }
            if (fp->leaf_count == 0) {
                m->kind = LM_NULL_ROOT; /* cannot happen for a valid file */
                continue;
            }
            const ls_field *best = NULL;
            for (int q = fp->leaf_first; q < fp->leaf_first + fp->leaf_count; q++)
                if (!best || F->leaves[q]->rep_level < best->rep_level) best = F->leaves[q];
            m->kind = LM_NULL_SIB;
            src[i] = best;
            int maxF;
            m->defmap = build_defmap(wch, fch, j, &maxF);
            if (!m->defmap) { /* identity: materialize it, the fill always maps */
                m->defmap = ls_xmalloc(256);
                for (int d = 0; d < 256; d++)
                    m->defmap[d] = (uint8_t)(d <= maxF ? d : maxF);
            }
            m->def_cap = maxF;
            m->rep_cut = wp->rep_level;
            continue;
        }
        char *p = ls_field_path(wl);
        rc = ls_err(err, LS_ERR_CORRUPT,
                    "column '%s': the data file's structure (%s) does not match the table's", p,
                    ls_type_name(fp->type));
        free(p);
    }
    /* project what is needed */
    const char **paths = NULL;
    int np = 0;
    bool all = false;
    if (!rc) {
        paths = ls_xcalloc((size_t)(nw ? nw : 1), sizeof *paths);
        for (int i = 0; i < nw; i++) {
            if (!src[i]) continue;
            char *p = ls_field_path(src[i]);
            int n = chain_of(src[i], fch);
            for (int q = 0; q < n; q++)
                if (strchr(fch[q]->name, '.'))
                    all = true; /* the reader's paths are dotted: read everything */
            bool dup = false;
            for (int q = 0; q < np && !dup; q++)
                dup = !strcmp(paths[q], p);
            if (dup)
                free(p);
            else
                paths[np++] = p;
        }
        s->no_read = np == 0;
        if (np > 0 && !all) rc = ls_pq_reader_project(s->rd, paths, np, err);
        for (int q = 0; q < np; q++)
            free((char *)paths[q]);
        free(paths);
    }
    if (!rc && !s->no_read) {
        const ls_schema *P = ls_pq_reader_out_schema(s->rd);
        for (int i = 0; i < nw && !rc; i++) {
            if (!src[i]) continue;
            int n = chain_of(src[i], fch);
            int li = projected_leaf(P, fch, n);
            if (li < 0) {
                rc = ls_err(err, LS_ERR_INVALID, "internal: projected column missing");
                break;
            }
            leafmap *m = &s->lm[i];
            m->fleaf = li;
            const ls_field *pl = P->leaves[li];
            const ls_field *wl = s->W->leaves[i];
            if (m->kind == LM_FOUND && pl->def_level != m->def_cap) {
                rc = ls_err(err, LS_ERR_INVALID, "internal: definition levels of '%s' disagree",
                            pl->name);
                break;
            }
            if (m->kind == LM_FOUND)
                m->swap = m->conv == CV_COPY && !m->defmap && pl->def_level == wl->def_level &&
                          pl->rep_level == wl->rep_level && ls_type_phys(pl) == ls_type_phys(wl);
            /* a leaf that is also some missing field's sibling is safe to move: the
             * null fills read the file batch before any move (next_chunk) */
        }
        /* a file leaf claimed by two table columns (corrupt column mapping) is copied,
         * never moved, so both get its values */
        int *uses = ls_xcalloc((size_t)(P->n_leaves ? P->n_leaves : 1), sizeof(int));
        for (int i = 0; i < nw; i++)
            if (s->lm[i].kind == LM_FOUND && s->lm[i].fleaf >= 0) uses[s->lm[i].fleaf]++;
        for (int i = 0; i < nw; i++)
            if (s->lm[i].kind == LM_FOUND && s->lm[i].fleaf >= 0 && uses[s->lm[i].fleaf] > 1)
                s->lm[i].swap = false;
        free(uses);
        if (!rc) s->fb = ls_batch_new(P);
    }
    free(src);
    return rc;
}

/* ---- row-group pruning ------------------------------------------------------------------ */

/* A bound of file leaf ff (in the reader's representation) as a value of conjunct c's
 * class, through the same widening the rows get (fill_found); false if it has none. */
static bool bound_value(const sc_conj *c, const leafmap *m, const ls_field *ff,
                        const ls_pq_value *v, sc_value *out)
{
    memset(out, 0, sizeof *out);
    ls_phys ph = ls_type_phys(ff);
    __int128 x = 0;
    bool is_int = true;
    switch (ph) {
    case LS_PHYS_BOOL:
        x = v->v.b;
        break;
    case LS_PHYS_I32:
        x = v->v.i32;
        break;
    case LS_PHYS_I64:
        x = v->v.i64;
        break;
    case LS_PHYS_I128:
        memcpy(&x, v->v.i128, 16);
        break;
    default:
        is_int = false;
        break;
    }
    switch (c->cls) {
    case SC_C_I64:
        if (!is_int) return false;
        if (m->conv == CV_DATE_TS) x *= 86400000000LL; /* days: no overflow in 128 bits */
        if (x < INT64_MIN || x > INT64_MAX) return false;
        out->i = (int64_t)x;
        return true;
    case SC_C_I128: {
        if (!is_int) return false;
        const __int128 lim = (__int128)10000000000000000000ULL * 10000000000000000000ULL;
        if (m->conv == CV_DEC)
            for (int q = 0; q < m->dec_k; q++) {
                if (x >= lim / 10 || x <= -lim / 10) return false;
                x *= 10;
            }
        out->x = x;
        return true;
    }
    case SC_C_F32:
        if (ph != LS_PHYS_F32) return false;
        out->f = v->v.f32;
        return true;
    case SC_C_F64:
        if (ph == LS_PHYS_F64)
            out->d = v->v.f64;
        else if (ph == LS_PHYS_F32)
            out->d = v->v.f32;
        else if (is_int)
            out->d = (double)x; /* rounding is monotonic: still a bound */
        else
            return false;
        return true;
    case SC_C_BYTES:
        if (ph != LS_PHYS_BYTES) return false;
        out->s = (const char *)v->bytes;
        out->n = v->len;
        return true;
    default:
        return false;
    }
}

/* Bounds of the column of conjunct c (W leaf wl) in row group rg of the open file. */
static void rg_bounds(ls_scan *s, const sc_conj *c, int wl, int rg, sc_bounds *b)
{
    memset(b, 0, sizeof *b);
    int64_t rows = ls_pq_reader_row_group_rows(s->rd, rg);
    const leafmap *m = &s->lm[wl];
    if (m->kind == LM_NULL_ROOT || m->kind == LM_NULL_SIB) { /* not in the file: all null */
        b->has_num_records = b->has_null_count = true;
        b->num_records = b->null_count = rows;
        return;
    }
    if (m->kind != LM_FOUND || m->fileleaf < 0) return;
    ls_pq_chunk_stats st;
    if (ls_pq_reader_chunk_stats(s->rd, rg, m->fileleaf, &st, NULL) != LS_OK) return;
    /* the predicate's columns are outside lists: one level entry per row */
    b->has_num_records = rows >= 0 && st.num_values == (uint64_t)rows;
    b->num_records = rows;
    b->has_null_count = st.has_null_count && st.null_count <= (uint64_t)INT64_MAX;
    b->null_count = (int64_t)st.null_count;
    const ls_field *ff = ls_pq_reader_schema(s->rd)->leaves[m->fileleaf];
    b->has_min = st.has_min && bound_value(c, m, ff, &st.min, &b->min);
    b->has_max = st.has_max && bound_value(c, m, ff, &st.max, &b->max);
    /* Parquet bounds leave NaNs out, and a NaN is above every value here */
    if ((ff->type == LS_FLOAT || ff->type == LS_DOUBLE) && !(st.has_nan_count && st.nan_count == 0))
        b->has_max = false;
    b->eq_exact = true; /* true bounds: min == max means every value is that one */
}

/* Skips the row groups of the open file whose statistics rule the predicate out. *none:
 * not one row group is left (the file can be closed unread). */
static int prune_row_groups(ls_scan *s, bool *none, ls_error *err)
{
    *none = false;
    int n = ls_pq_reader_num_row_groups(s->rd);
    s->rg_total += (size_t)(n > 0 ? n : 0);
    if (!s->pred || n <= 0) return LS_OK;
    bool any = false;
    for (int c = 0; c < s->pred->n; c++)
        any |= !s->pred->c[c].is_partition;
    if (!any) return LS_OK;
    bool *keep = ls_xmalloc((size_t)n);
    int kept = 0;
    for (int g = 0; g < n; g++) {
        keep[g] = true;
        for (int c = 0; c < s->pred->n && keep[g]; c++) {
            const sc_conj *cj = &s->pred->c[c];
            if (cj->is_partition) continue;
            sc_bounds b;
            rg_bounds(s, cj, s->conj_wleaf[c], g, &b);
            keep[g] = sc_conj_may_match_bounds(cj, &b);
        }
        kept += keep[g];
    }
    int rc = LS_OK;
    if (kept == 0) {
        *none = true;
        s->rg_skipped += (size_t)n;
    } else if (kept < n && !s->no_read) { /* counted rows (no_read) are filtered per row */
        rc = ls_pq_reader_select_row_groups(s->rd, keep, err);
        s->rg_skipped += (size_t)(n - kept);
    }
    free(keep);
    return rc;
}

static int open_next_file(ls_scan *s, bool *have, ls_error *err)
{
    *have = false;
    while (s->next_file < s->n_files) {
        const ls_delta_add *a = s->files[s->next_file++];
        s->add = a;
        s->open = true;
        s->row_base = 0;
        int rc;
        s->loc = ls_delta_resolve_path(s->t, a->path);
        if (!s->loc)
            return ls_err(err, LS_ERR_INVALID, "cannot resolve data file path '%s'", a->path);
        if ((rc = sc_open_location(s->t, s->loc, &s->in, err))) goto fail;
        ls_pq_read_opts ro;
        ls_pq_read_opts_default(&ro);
        ro.batch_rows = s->batch_rows;
        if ((rc = ls_pq_reader_open(s->in, &ro, &s->rd, err))) goto fail;
        s->file_rows = ls_pq_reader_num_rows(s->rd);
        if (a->dv) {
            if ((rc = sc_dv_load(s->t, a->dv, s->file_rows, &s->dv, err))) goto fail;
            /* everything deleted (when the bitmap and the log agree on the count) */
            uint64_t card = sc_dv_cardinality(s->dv);
            if (card >= s->file_rows && (int64_t)card == a->dv->cardinality) {
                close_file(s);
                continue;
            }
        }
        if ((rc = plan_file(s, err))) goto fail;
        bool none;
        if ((rc = prune_row_groups(s, &none, err))) goto fail;
        if (none) {
            close_file(s);
            continue;
        }
        if ((rc = load_part_values(s, a, false, err))) goto fail;
        *have = true;
        return LS_OK;
    fail:
        ls_err_prefix(err, "data file '%s'", a->path);
        close_file(s);
        return rc;
    }
    return LS_OK;
}

/* ---- filling W leaves -------------------------------------------------------------------- */

static void swap_leaf(ls_leaf *a, ls_leaf *b)
{
#define SW(f)                                                                                      \
    do {                                                                                           \
        __typeof__(a->f) t_ = a->f;                                                                \
        a->f = b->f;                                                                               \
        b->f = t_;                                                                                 \
    } while (0)
    SW(n);
    SW(cap);
    SW(def);
    SW(rep);
    SW(n_values);
    SW(vcap);
    SW(values);
    SW(offsets);
    SW(bytes);
#undef SW
}

static void fill_null_root(ls_leaf *w, size_t n)
{
    ls_leaf_grow_levels(w, n);
    if (w->def) memset(w->def + w->n, 0, n);
    if (w->rep) memset(w->rep + w->n, 0, n);
    w->n += n;
}

static void fill_null_sib(ls_leaf *w, const ls_leaf *sib, const leafmap *m)
{
    ls_leaf_grow_levels(w, sib->n);
    for (size_t k = 0; k < sib->n; k++) {
        int r = sib->rep ? sib->rep[k] : 0;
        if (r > m->rep_cut) continue;
        int d = sib->def ? sib->def[k] : sib->max_def;
        if (d > m->def_cap) d = m->def_cap;
        if (w->def) w->def[w->n] = m->defmap[d];
        if (w->rep) w->rep[w->n] = (uint8_t)r;
        w->n++;
    }
}

static void fill_part(ls_leaf *w, const ls_leaf *pv, size_t n)
{
    bool present = pv->n_values == 1;
    ls_leaf_grow_levels(w, n);
    if (w->def) memset(w->def + w->n, present ? w->max_def : 0, n);
    if (w->rep) memset(w->rep + w->n, 0, n);
    w->n += n;
    if (!present) return;
    ls_leaf_grow_values(w, n);
    size_t v0 = w->n_values;
    switch (w->phys) {
    case LS_PHYS_BOOL:
        memset((uint8_t *)w->values + v0, ((const uint8_t *)pv->values)[0], n);
        break;
    case LS_PHYS_I32: {
        int32_t x = ((const int32_t *)pv->values)[0];
        for (size_t k = 0; k < n; k++)
            ((int32_t *)w->values)[v0 + k] = x;
        break;
    }
    case LS_PHYS_I64: {
        int64_t x = ((const int64_t *)pv->values)[0];
        for (size_t k = 0; k < n; k++)
            ((int64_t *)w->values)[v0 + k] = x;
        break;
    }
    case LS_PHYS_F32: {
        float x = ((const float *)pv->values)[0];
        for (size_t k = 0; k < n; k++)
            ((float *)w->values)[v0 + k] = x;
        break;
    }
    case LS_PHYS_F64: {
        double x = ((const double *)pv->values)[0];
        for (size_t k = 0; k < n; k++)
            ((double *)w->values)[v0 + k] = x;
        break;
    }
    case LS_PHYS_I128:
        for (size_t k = 0; k < n; k++)
            memcpy((uint8_t *)w->values + 16 * (v0 + k), pv->values, 16);
        break;
    case LS_PHYS_BYTES: {
        size_t len;
        const uint8_t *p = ls_leaf_bytes_at(pv, 0, &len);
        ls_buf_reserve(&w->bytes, len * n);
        for (size_t k = 0; k < n; k++) {
            ls_buf_append(&w->bytes, p, len);
            w->offsets[v0 + k + 1] = w->bytes.len;
        }
        break;
    }
    default:
        break;
    }
    w->n_values += n;
}

static inline __int128 load_i128(const uint8_t *p)
{
    __int128 v;
    memcpy(&v, p, 16);
    return v;
}

static int fill_found(ls_leaf *w, ls_leaf *f, const leafmap *m, ls_error *err)
{
    if (m->swap) {
        swap_leaf(w, f);
        return LS_OK;
    }
    size_t n = f->n;
    ls_leaf_grow_levels(w, n);
    if (w->rep) {
        if (f->rep)
            memcpy(w->rep + w->n, f->rep, n);
        else
            memset(w->rep + w->n, 0, n);
    }
    if (w->def) {
        if (!f->def)
            memset(w->def + w->n, m->defmap ? m->defmap[0] : w->max_def, n);
        else if (m->defmap)
            for (size_t k = 0; k < n; k++)
                w->def[w->n + k] = m->defmap[f->def[k]];
        else
            memcpy(w->def + w->n, f->def, n);
    }
    w->n += n;
    size_t nv = f->n_values, v0 = w->n_values;
    ls_leaf_grow_values(w, nv);
    switch (m->conv) {
    case CV_COPY:
        if (w->phys == LS_PHYS_BYTES) {
            ls_buf_append(&w->bytes, f->bytes.data, f->bytes.len);
            uint64_t base = w->offsets[v0];
            for (size_t k = 1; k <= nv; k++)
                w->offsets[v0 + k] = base + f->offsets[k];
        } else {
            size_t es = w->phys == LS_PHYS_BOOL                            ? 1
                        : w->phys == LS_PHYS_I32 || w->phys == LS_PHYS_F32 ? 4
                        : w->phys == LS_PHYS_I128                          ? 16
                                                                           : 8;
            memcpy((uint8_t *)w->values + v0 * es, f->values, nv * es);
        }
        break;
    case CV_I32_I64:
        for (size_t k = 0; k < nv; k++)
            ((int64_t *)w->values)[v0 + k] = ((const int32_t *)f->values)[k];
        break;
    case CV_I32_F64:
        for (size_t k = 0; k < nv; k++)
            ((double *)w->values)[v0 + k] = ((const int32_t *)f->values)[k];
        break;
    case CV_I64_F64:
        for (size_t k = 0; k < nv; k++)
            ((double *)w->values)[v0 + k] = (double)((const int64_t *)f->values)[k];
        break;
    case CV_F32_F64:
        for (size_t k = 0; k < nv; k++)
            ((double *)w->values)[v0 + k] = ((const float *)f->values)[k];
        break;
    case CV_DATE_TS:
        for (size_t k = 0; k < nv; k++)
            ((int64_t *)w->values)[v0 + k] =
                (int64_t)((const int32_t *)f->values)[k] * 86400000000LL;
        break;
    case CV_DEC: {
        __int128 mul = 1;
        for (int q = 0; q < m->dec_k; q++)
            mul *= 10;
        for (size_t k = 0; k < nv; k++) {
            __int128 x;
            switch (f->phys) {
            case LS_PHYS_I32:
                x = ((const int32_t *)f->values)[k];
                break;
            case LS_PHYS_I64:
                x = ((const int64_t *)f->values)[k];
                break;
            default:
                x = load_i128((const uint8_t *)f->values + 16 * k);
                break;
            }
            x *= mul;
            switch (w->phys) {
            case LS_PHYS_I32:
                if (x < INT32_MIN || x > INT32_MAX) goto range;
                ((int32_t *)w->values)[v0 + k] = (int32_t)x;
                break;
            case LS_PHYS_I64:
                if (x < INT64_MIN || x > INT64_MAX) goto range;
                ((int64_t *)w->values)[v0 + k] = (int64_t)x;
                break;
            default:
                memcpy((uint8_t *)w->values + 16 * (v0 + k), &x, 16);
                break;
            }
        }
        break;
    range:
        return ls_err(err, LS_ERR_CORRUPT, "column '%s': decimal value out of range after widening",
                      w->field->name);
    }
    default:
        break;
    }
    w->n_values += nv;
    return LS_OK;
}

/* ---- row gather ---------------------------------------------------------------------- */

#define GATHER_VALUES(T)                                                                           \
    do {                                                                                           \
        const T *sv_ = (const T *)s->values;                                                       \
        T *dv_ = (T *)d->values;                                                                   \
        if (!s->rep && !s->def) {                                                                  \
            for (size_t r_ = 0; r_ < n_rows; r_++)                                                 \
                if (mask[r_]) dv_[nv++] = sv_[r_];                                                 \
            nsl = nv - d->n_values;                                                                \
        } else if (!s->rep) {                                                                      \
            for (size_t r_ = 0; r_ < n_rows; r_++) {                                               \
                uint8_t df_ = s->def[r_];                                                          \
                if (mask[r_]) {                                                                    \
                    d->def[d->n + nsl++] = df_;                                                    \
                    if (df_ == md) dv_[nv++] = sv_[vi];                                            \
                }                                                                                  \
                vi += df_ == md;                                                                   \
            }                                                                                      \
        } else {                                                                                   \
            size_t row_ = (size_t)-1;                                                              \
            for (size_t k_ = 0; k_ < s->n; k_++) {                                                 \
                row_ += s->rep[k_] == 0;                                                           \
                bool pres_ = !s->def || s->def[k_] == md;                                          \
                if (row_ < n_rows && mask[row_]) {                                                 \
                    if (d->def) d->def[d->n + nsl] = s->def[k_];                                   \
                    d->rep[d->n + nsl] = s->rep[k_];                                               \
                    nsl++;                                                                         \
                    if (pres_) dv_[nv++] = sv_[vi];                                                \
                }                                                                                  \
                vi += pres_;                                                                       \
            }                                                                                      \
        }                                                                                          \
    } while (0)

typedef struct i128_t {
    uint8_t b[16];
} i128_t;

static void gather_leaf(ls_leaf *d, const ls_leaf *s, const uint8_t *mask, size_t n_rows)
{
    ls_leaf_grow_levels(d, s->n);
    ls_leaf_grow_values(d, s->n_values);
    size_t nsl = 0, nv = d->n_values, vi = 0;
    uint8_t md = (uint8_t)s->max_def;
    if (s->phys == LS_PHYS_BYTES) {
        size_t row = (size_t)-1;
        for (size_t k = 0; k < s->n; k++) {
            if (s->rep)
                row += s->rep[k] == 0;
            else
                row = k;
            bool pres = !s->def || s->def[k] == md;
            if (row < n_rows && mask[row]) {
                if (d->def) d->def[d->n + nsl] = s->def[k];
                if (d->rep) d->rep[d->n + nsl] = s->rep[k];
                nsl++;
                if (pres) {
                    size_t len;
                    const uint8_t *p = ls_leaf_bytes_at(s, vi, &len);
                    ls_buf_append(&d->bytes, p, len);
                    d->offsets[++nv] = d->bytes.len;
                }
            }
            vi += pres;
        }
    } else {
        switch (s->phys) {
        case LS_PHYS_BOOL:
            GATHER_VALUES(uint8_t);
            break;
        case LS_PHYS_I32:
            GATHER_VALUES(int32_t);
            break;
        case LS_PHYS_F32:
            GATHER_VALUES(float);
            break;
        case LS_PHYS_I64:
            GATHER_VALUES(int64_t);
            break;
        case LS_PHYS_F64:
            GATHER_VALUES(double);
            break;
        case LS_PHYS_I128:
            GATHER_VALUES(i128_t);
            break;
        default:
            break;
        }
    }
    d->n += nsl;
    d->n_values = nv;
}

/* ---- producing batches ------------------------------------------------------------------ */

/* Reads the next chunk of the current file into wb, then masks/gathers. Sets *got to
 * the batch holding the result (wb or ob), or NULL at the end of the file. */
static int next_chunk(ls_scan *s, ls_batch **got, ls_error *err)
{
    *got = NULL;
    size_t n;
    ls_batch_reset(s->wb);
    if (s->no_read) {
        uint64_t left = s->file_rows - s->row_base;
        if (left == 0) return LS_OK;
        n = left < s->batch_rows ? (size_t)left : s->batch_rows;
    } else {
        bool eof;
        int rc = ls_pq_reader_next(s->rd, s->fb, &eof, err);
        if (rc) return rc;
        if (eof) return LS_OK;
        n = s->fb->n_rows;
    }
    int nw = s->W->n_leaves;
    /* fills that read the file batch first, then the moves that take its buffers */
    for (int i = 0; i < nw; i++) {
        leafmap *m = &s->lm[i];
        ls_leaf *w = &s->wb->leaves[i];
        if (m->kind == LM_NULL_ROOT)
            fill_null_root(w, n);
        else if (m->kind == LM_NULL_SIB)
            fill_null_sib(w, &s->fb->leaves[m->fleaf], m);
        else if (m->kind == LM_PART)
            fill_part(w, &s->pv->leaves[i], n);
    }
    for (int i = 0; i < nw; i++) {
        leafmap *m = &s->lm[i];
        if (m->kind != LM_FOUND) continue;
        int rc = fill_found(&s->wb->leaves[i], &s->fb->leaves[m->fleaf], m, err);
        if (rc) return rc;
    }
    s->wb->n_rows = n;
    /* the file row index of the chunk's first row (row groups may have been skipped) */
    uint64_t base = s->no_read ? s->row_base : ls_pq_reader_batch_first_row(s->rd);
    s->row_base = base + n;

    /* row mask: deletion vector, then the predicate */
    if (s->dv) {
        int rc = sc_dv_skip_to(s->dv, base, err);
        if (rc) return rc;
    }
    bool masked = s->dv && sc_dv_pending_before(s->dv, base + n);
    if (masked || s->row_filter) {
        if (s->mask_cap < n) {
            free(s->mask);
            s->mask_cap = n;
            s->mask = ls_xmalloc(n);
        }
        memset(s->mask, 1, n);
        if (masked) {
            int rc = sc_dv_apply(s->dv, base, n, s->mask, NULL, err);
            if (rc) return rc;
        }
        if (s->pred)
            for (int c = 0; c < s->pred->n; c++)
                if (!s->pred->c[c].is_partition)
                    sc_conj_eval_leaf(&s->pred->c[c], &s->wb->leaves[s->conj_wleaf[c]], n, s->mask);
        size_t kept = 0;
        for (size_t r = 0; r < n; r++)
            kept += s->mask[r];
        masked = kept != n;
        if (kept == 0) {
            s->ob->n_rows = 0;
            *got = s->ob;
            return LS_OK;
        }
        if (masked || s->W != s->O) {
            ls_batch_reset(s->ob);
            for (int i = 0; i < s->O->n_leaves; i++)
                gather_leaf(&s->ob->leaves[i], &s->wb->leaves[s->o2w[i]], s->mask, n);
            s->ob->n_rows = kept;
            *got = s->ob;
            return LS_OK;
        }
    } else if (s->W != s->O) {
        ls_batch_reset(s->ob);
        for (int i = 0; i < s->O->n_leaves; i++)
            swap_leaf(&s->ob->leaves[i], &s->wb->leaves[s->o2w[i]]);
        s->ob->n_rows = n;
        *got = s->ob;
        return LS_OK;
    }
    *got = s->wb;
    return LS_OK;
}

/* Appends rows [rb, re) of src to dst (same schema): the row gather with a range mask. */
static void append_range(ls_scan *s, ls_batch *dst, const ls_batch *src, size_t rb, size_t re)
{
    size_t n = src->n_rows;
    uint8_t *m = ls_xcalloc(n ? n : 1, 1);
    memset(m + rb, 1, re - rb);
    for (int i = 0; i < s->O->n_leaves; i++)
        gather_leaf(&dst->leaves[i], &src->leaves[i], m, n);
    dst->n_rows += re - rb;
    free(m);
}

int ls_scan_next(ls_scan *s, ls_batch *batch, bool *eof, ls_error *err)
{
    *eof = false;
    if (s->failed) return ls_err(err, LS_ERR_INVALID, "scan failed earlier");
    if (batch->n_leaves != s->O->n_leaves)
        return ls_err(err, LS_ERR_INVALID, "batch is not bound to the scan's schema");
    ls_batch_reset(batch);
    int rc = LS_OK;
    while (batch->n_rows < s->batch_rows) {
        ls_batch *p = s->pending;
        if (p && s->pending_off < p->n_rows) {
            size_t avail = p->n_rows - s->pending_off;
            size_t want = s->batch_rows - batch->n_rows;
            if (batch->n_rows == 0 && s->pending_off == 0 && avail <= want) {
                for (int i = 0; i < s->O->n_leaves; i++)
                    swap_leaf(&batch->leaves[i], &p->leaves[i]);
                batch->n_rows = avail;
                p->n_rows = 0;
                s->pending_off = 0;
                ls_batch_reset(p);
                continue;
            }
            size_t k = avail < want ? avail : want;
            append_range(s, batch, p, s->pending_off, s->pending_off + k);
            s->pending_off += k;
            continue;
        }
        s->pending = NULL;
        s->pending_off = 0;
        if (!s->open) {
            bool have;
            if ((rc = open_next_file(s, &have, err))) break;
            if (!have) break;
        }
        ls_batch *got;
        if ((rc = next_chunk(s, &got, err))) {
            ls_err_prefix(err, "data file '%s'", s->add->path);
            break;
        }
        if (!got) {
            close_file(s);
            continue;
        }
        s->pending = got;
    }
    if (rc) {
        s->failed = true;
        ls_batch_reset(batch);
        return rc;
    }
    *eof = batch->n_rows == 0;
    return LS_OK;
}

void ls_scan_free(ls_scan *s)
{
    if (!s) return;
    close_file(s);
    ls_batch_free(s->pv);
    ls_batch_free(s->wb);
    ls_batch_free(s->ob);
    free(s->mask);
    free(s->o2w);
    free(s->w_part);
    free(s->conj_wleaf);
    sc_pred_free(s->pred);
    if (s->W != s->O) ls_schema_free(s->W);
    ls_schema_free(s->O);
    free(s->files);
    for (size_t i = 0; i < s->n_owned; i++)
        ls_delta_add_free(&s->owned[i]);
    free(s->owned);
    ls_arena_free(&s->arena);
    free(s);
}
