/*
 * ing_schema.c - the shapes of ingested data: the table schema derived from
 * the input schema (--explode, --flatten, _rescued_data, derived partition
 * columns), the batch transform from parsed rows to table rows, and schema
 * evolution (--merge-schema) driven by what a line could not store.
 *
 * Explode and flatten keep the depth-first order of leaves, so parsed leaf i
 * becomes table leaf i; only levels change. For each leaf a table maps every
 * definition level of the parsed leaf to the table leaf's: walking the field
 * chain from the top, a node removed by the transform (a flattened struct, the
 * exploded list and its repetition) contributes no level; the first kept node
 * becomes nullable when a removed ancestor could be null; a slot's new level
 * is the table level of the deepest kept node its old level says is defined.
 * Exploded leaves also drop the list's repetition level; the other leaves
 * repeat their row once per element (explode_outer: a null or empty array
 * gives one row with a null element, so no row is lost).
 */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- table schema ------------------------------------------------------------------ */

static void flatten_into(ls_field *dst_root, const ls_field *f, const char *prefix, bool nullable_up)
{
    char *name = *prefix ? ls_xasprintf("%s_%s", prefix, f->name) : ls_xstrdup(f->name);
    if (f->type == LS_STRUCT) {
        for (int i = 0; i < f->n_children; i++)
            flatten_into(dst_root, &f->children[i], name, nullable_up || f->nullable);
    } else {
        ls_field *c = ls_field_add_child(dst_root, "", LS_STRING, true);
        ls_field_clear(c);
        ls_field_copy(c, f);
        free(c->name);
        c->name = ls_xstrdup(name);
        c->field_id = -1;
        free(c->physical_name);
        c->physical_name = NULL;
        c->nullable = f->nullable || nullable_up;
    }
    free(name);
}

int ls_ing_table_schema(const ls_schema *input, const ls_ing_shape *shape, ls_schema **out,
                        ls_error *err)
{
    *out = NULL;
    ls_schema *t = ls_schema_new();
    const ls_field *root = &input->root;
    bool explode_found = false;
    for (int i = 0; i < root->n_children; i++) {
        const ls_field *f = &root->children[i];
        ls_field tmp;
        bool exploded = false;
        if (shape->explode && *shape->explode && ls_str_ieq(f->name, shape->explode)) {
            if (f->type != LS_LIST) {
                ls_schema_free(t);
                return ls_err(err, LS_ERR_INVALID, "--explode %s: the column has type %s, not "
                                                   "an array",
                              f->name, ls_type_name(f->type));
            }
            ls_field_copy(&tmp, &f->children[0]);
            free(tmp.name);
            tmp.name = ls_xstrdup(f->name);
            tmp.nullable = true;
            exploded = explode_found = true;
            f = &tmp;
        }
        if (shape->flatten && f->type == LS_STRUCT) {
            flatten_into(&t->root, f, "", false);
        } else {
            ls_field *c = ls_field_add_child(&t->root, "", LS_STRING, true);
            ls_field_clear(c);
            ls_field_copy(c, f);
        }
        if (exploded)
            ls_field_clear(&tmp);
    }
    if (shape->explode && *shape->explode && !explode_found) {
        ls_schema_free(t);
        return ls_err(err, LS_ERR_INVALID, "--explode %s: no such column in the input",
                      shape->explode);
    }
    if (shape->rescue && !ls_field_find_child(&t->root, LS_RESCUED_COLUMN, strlen(LS_RESCUED_COLUMN)))
        ls_field_add_child(&t->root, LS_RESCUED_COLUMN, LS_STRING, true);
    for (int i = 0; shape->derived && i < shape->derived->n; i++) {
        const ls_part_expr *e = &shape->derived->exprs[i];
        if (e->kind == LS_PX_IDENTITY)
            continue;
        const ls_field *have = ls_field_find_child(&t->root, e->name, strlen(e->name));
        if (have) {
            ls_schema_free(t);
            return ls_err(err, LS_ERR_INVALID,
                          "derived partition column '%s' clashes with a column of the input",
                          e->name);
        }
        ls_field_add_child(&t->root, e->name, ls_part_expr_type(e), true);
    }
    int rc = ls_schema_finalize(t, err);
    if (rc) {
        ls_err_prefix(err, "table schema");
        ls_schema_free(t);
        return rc;
    }
    *out = t;
    return LS_OK;
}

int ls_ing_parse_schema(const ls_schema *input, bool rescue, ls_schema **out, ls_error *err)
{
    ls_schema *p = ls_schema_new();
    ls_field_clear(&p->root);
    ls_field_copy(&p->root, &input->root);
    if (rescue && !ls_field_find_child(&p->root, LS_RESCUED_COLUMN, strlen(LS_RESCUED_COLUMN)))
        ls_field_add_child(&p->root, LS_RESCUED_COLUMN, LS_STRING, true);
    int rc = ls_schema_finalize(p, err);
    if (rc) {
        ls_schema_free(p);
        return rc;
    }
    *out = p;
    return LS_OK;
}

/* ---- level maps ------------------------------------------------------------------------- */

typedef struct leaf_map {
    uint8_t dmap[256];
    bool exploded;  /* leaf under the exploded list */
    int list_rep;   /* rep level of the exploded list's elements */
} leaf_map;

/* Builds the map of P leaf f to the table (see the header comment). */
static int build_map(const ls_field *f, const ls_ing_shape *shape, int t_max_def, leaf_map *m,
                     ls_error *err)
{
    const ls_field *chain[LS_MAX_NESTING + 2];
    int k = 0;
    for (const ls_field *a = f; a && a->parent; a = a->parent) {
        if (k == LS_MAX_NESTING + 1)
            return ls_err(err, LS_ERR_LIMIT, "nesting too deep");
        chain[k++] = a;
    }
    /* thresholds: (P level, T level) for every kept node, in chain order from the top */
    int pth[2 * (LS_MAX_NESTING + 2)], tth[2 * (LS_MAX_NESTING + 2)], nth = 0;
    int tlev = 0;
    bool at_top = true, removed_nullable = false;
    memset(m, 0, sizeof *m);
    for (int j = k - 1; j >= 0; j--) {
        const ls_field *a = chain[j];
        bool removed = false;
        if (j == k - 1 && shape->explode && *shape->explode && a->type == LS_LIST &&
            ls_str_ieq(a->name, shape->explode)) {
            /* the list and its repetition go; its element becomes the top-level field */
            m->exploded = true;
            m->list_rep = a->rep_level + 1;
            removed_nullable = true;
            continue;
        }
        if (at_top && shape->flatten && a->type == LS_STRUCT) {
            removed = true;
            removed_nullable |= a->nullable;
        }
        if (removed)
            continue;
        bool nullable = a->nullable || (at_top && removed_nullable);
        at_top = false;
        if (nullable)
            tlev++;
        pth[nth] = a->def_level;
        tth[nth] = tlev;
        nth++;
        if (a->type == LS_LIST || a->type == LS_MAP) {
            tlev++;
            pth[nth] = a->def_level + 1;
            tth[nth] = tlev;
            nth++;
        }
    }
    for (int d = 0; d <= f->def_level; d++) {
        int v = 0;
        for (int i = 0; i < nth && pth[i] <= d; i++)
            v = tth[i];
        m->dmap[d] = (uint8_t)v;
    }
    if (m->dmap[f->def_level] != t_max_def)
        return ls_err(err, LS_ERR_INVALID,
                      "internal: level map of '%s' does not match the table schema (%d vs %d)",
                      f->name, m->dmap[f->def_level], t_max_def);
    return LS_OK;
}

static size_t phys_width(ls_phys p)
{
    switch (p) {
    case LS_PHYS_BOOL: return 1;
    case LS_PHYS_I32:
    case LS_PHYS_F32: return 4;
    case LS_PHYS_I128: return 16;
    case LS_PHYS_BYTES: return 0;
    default: return 8;
    }
}

/* Appends slots [s0, s1) of s (whose first value is v0) to d through m. Returns the number
 * of values copied. explode_elem: rewrite the repetition of an exploded leaf. */
static size_t copy_slots(ls_leaf *d, const ls_leaf *s, size_t s0, size_t s1, size_t v0,
                         const leaf_map *m, bool explode_elem)
{
    size_t ns = s1 - s0;
    if (ns == 0)
        return 0;
    if (d->cap - d->n < ns)
        ls_leaf_grow_levels(d, ns);
    size_t nv = 0;
    for (size_t i = s0; i < s1; i++) {
        int def = s->def ? s->def[i] : s->max_def;
        int rep = s->rep ? s->rep[i] : 0;
        if (def == s->max_def)
            nv++;
        if (d->def)
            d->def[d->n] = m->dmap[def];
        if (d->rep) {
            int r = rep;
            if (explode_elem)
                r = rep <= m->list_rep ? 0 : rep - m->list_rep;
            d->rep[d->n] = (uint8_t)r;
        }
        d->n++;
    }
    if (nv) {
        if (d->vcap - d->n_values < nv)
            ls_leaf_grow_values(d, nv);
        if (s->phys == LS_PHYS_BYTES) {
            uint64_t base = s->offsets[v0];
            uint64_t dbase = d->bytes.len;
            ls_buf_append(&d->bytes, s->bytes.data + base, (size_t)(s->offsets[v0 + nv] - base));
            for (size_t k = 1; k <= nv; k++)
                d->offsets[d->n_values + k] = dbase + (s->offsets[v0 + k] - base);
        } else {
            size_t w = phys_width(s->phys);
            memcpy((uint8_t *)d->values + d->n_values * w, (const uint8_t *)s->values + v0 * w,
                   nv * w);
        }
        d->n_values += nv;
    }
    return nv;
}

int ls_ing_transform(const ls_batch *in, const ls_ing_shape *shape, ls_batch *out,
                     ls_error *err)
{
    int np = in->n_leaves;
    if (out->n_leaves < np)
        return ls_err(err, LS_ERR_INVALID, "transform: table batch has fewer columns (%d) than "
                                           "the parsed batch (%d)",
                      out->n_leaves, np);
    leaf_map *maps = ls_xcalloc((size_t)np + 1, sizeof(leaf_map));
    int rc = LS_OK, xleaf = -1;
    for (int i = 0; i < np && rc == LS_OK; i++) {
        const ls_leaf *s = &in->leaves[i];
        const ls_leaf *d = &out->leaves[i];
        if (s->phys != d->phys) {
            rc = ls_err(err, LS_ERR_INVALID, "transform: column %d changes type", i);
            break;
        }
        rc = build_map(s->field, shape, d->max_def, &maps[i], err);
        if (maps[i].exploded && xleaf < 0)
            xleaf = i;
    }
    if (rc) {
        free(maps);
        return rc;
    }
    size_t rows_out = 0;
    if (xleaf < 0) {
        for (int i = 0; i < np; i++)
            copy_slots(&out->leaves[i], &in->leaves[i], 0, in->leaves[i].n, 0, &maps[i], false);
        rows_out = in->n_rows;
    } else {
        /* per row: the number of elements of the exploded list (from its first leaf) */
        size_t **idx = ls_batch_row_index(in);
        size_t *vcur = ls_xcalloc((size_t)np, sizeof(size_t)); /* value index at row start */
        const ls_leaf *xl = &in->leaves[xleaf];
        int lrep = maps[xleaf].list_rep;
        int elem_def = 0; /* P level at which an element slot exists */
        {
            const ls_field *a = xl->field;
            while (a->parent && a->parent->parent)
                a = a->parent;
            elem_def = a->def_level + 1;
        }
        size_t *estart = NULL, ecap = 0;
        for (size_t r = 0; r < in->n_rows; r++) {
            /* element starts in the first exploded leaf */
            size_t a0 = idx[xleaf][r], a1 = idx[xleaf][r + 1], ne = 0;
            bool has_elems = a1 > a0 && xl->def && xl->def[a0] >= elem_def;
            if (!xl->def)
                has_elems = a1 > a0;
            for (size_t sidx = a0; has_elems && sidx < a1; sidx++)
                if (!xl->rep || xl->rep[sidx] <= lrep)
                    ne++;
            size_t copies = ne ? ne : 1;
            for (int i = 0; i < np; i++) {
                const ls_leaf *s = &in->leaves[i];
                ls_leaf *d = &out->leaves[i];
                size_t s0 = idx[i][r], s1 = idx[i][r + 1];
                if (!maps[i].exploded) { /* the row, once per element */
                    size_t nv = 0;
                    for (size_t c = 0; c < copies; c++)
                        nv = copy_slots(d, s, s0, s1, vcur[i], &maps[i], false);
                    vcur[i] += nv;
                    continue;
                }
                if (!ne) {
                    vcur[i] += copy_slots(d, s, s0, s1, vcur[i], &maps[i], true);
                    continue;
                }
                /* split this leaf's slots of the row into elements */
                size_t n_el = 0;
                if (ecap < (s1 - s0) + 1) {
                    ecap = (s1 - s0) + 1;
                    estart = ls_xrealloc(estart, ecap * sizeof(size_t));
                }
                for (size_t q = s0; q < s1; q++)
                    if (!s->rep || s->rep[q] <= lrep)
                        estart[n_el++] = q;
                estart[n_el] = s1;
                for (size_t e = 0; e < n_el; e++)
                    vcur[i] += copy_slots(d, s, estart[e], estart[e + 1], vcur[i], &maps[i], true);
                if (n_el != ne)
                    rc = ls_err(err, LS_ERR_CORRUPT, "explode: leaf %d has %zu elements in row "
                                                     "%zu, expected %zu",
                                i, n_el, r, ne);
            }
            rows_out += copies;
            if (rc)
                break;
        }
        free(estart);
        free(vcur);
        ls_row_index_free(in, idx);
    }
    free(maps);
    if (rc)
        return rc;
    for (int i = np; i < out->n_leaves; i++)
        for (size_t r = 0; r < rows_out; r++)
            ls_leaf_null(&out->leaves[i], 0, 0);
    out->n_rows += rows_out;
    return LS_OK;
}

/* ---- schema evolution ---------------------------------------------------------------- */

/* Type of a JSON value by inference, into a field named name. */
static int infer_value(const char *raw, size_t len, const char *name, ls_field *out,
                       ls_error *err)
{
    ls_buf line = {0};
    ls_buf_puts(&line, "{\"v\":");
    ls_buf_append(&line, raw, len);
    ls_buf_putc(&line, '}');
    ls_infer *inf = ls_infer_new();
    ls_schema *s = NULL;
    int rc = ls_infer_line(inf, (const char *)line.data, line.len, 1, err);
    if (rc == LS_OK)
        rc = ls_infer_schema(inf, &s, err);
    ls_infer_free(inf);
    ls_buf_free(&line);
    if (rc)
        return rc;
    if (s->root.n_children != 1) {
        ls_schema_free(s);
        return ls_err(err, LS_ERR_INVALID, "cannot infer a type for new field '%s'", name);
    }
    ls_field_copy(out, &s->root.children[0]);
    free(out->name);
    out->name = ls_xstrdup(name);
    ls_schema_free(s);
    return LS_OK;
}

static bool json_is_integer(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == d || i - d > 18)
        return false; /* beyond 18 digits it may not fit BIGINT: keep it rescued */
    return i == n;
}

static bool json_is_number(const char *s, size_t n)
{
    if (n == 0)
        return false;
    char c = s[0];
    return c == '-' || (c >= '0' && c <= '9');
}

/* Child of a struct whose name is the longest prefix of path (followed by end, '.' or '['). */
static ls_field *match_child(ls_field *st, const char *path, size_t n, size_t *used)
{
    ls_field *best = NULL;
    size_t best_len = 0;
    for (int i = 0; i < st->n_children; i++) {
        ls_field *c = &st->children[i];
        size_t cl = strlen(c->name);
        if (cl > n || cl <= best_len || !ls_strn_ieq(path, cl, c->name))
            continue;
        if (cl < n && path[cl] != '.' && path[cl] != '[')
            continue;
        best = c;
        best_len = cl;
    }
    *used = best_len;
    return best;
}

/* Applies one rescued (path, raw value) to the schema. */
static int evolve_one(ls_field *node, const char *path, size_t n, const char *raw, size_t rlen,
                      bool *changed, ls_error *err)
{
    for (int depth = 0; depth < LS_MAX_NESTING * 2; depth++) {
        if (node->type == LS_STRUCT) {
            size_t used = 0;
            ls_field *c = n ? match_child(node, path, n, &used) : NULL;
            if (!c) {
                if (n == 0)
                    return LS_OK; /* a misfit for the struct itself: stays rescued */
                /* an unknown field: add it */
                char *name = ls_xstrndup(path, n);
                ls_field nf;
                memset(&nf, 0, sizeof nf);
                int rc = infer_value(raw, rlen, name, &nf, err);
                free(name);
                if (rc)
                    return LS_OK; /* cannot type it: stays rescued */
                ls_field *slot = ls_field_add_child(node, "", LS_STRING, true);
                ls_field_clear(slot);
                *slot = nf;
                *changed = true;
                return LS_OK;
            }
            node = c;
            path += used;
            n -= used;
            if (n && *path == '.') {
                path++;
                n--;
            }
            continue;
        }
        if (node->type == LS_LIST || node->type == LS_MAP) {
            if (n == 0 || *path != '[')
                return LS_OK;
            /* "[i]" or "[key]": the segment ends at a ']' followed by end, '.' or '[' */
            size_t e = 1;
            while (e < n && !(path[e] == ']' && (e + 1 == n || path[e + 1] == '.' || path[e + 1] == '[')))
                e++;
            if (e >= n)
                return LS_OK;
            node = node->type == LS_LIST ? &node->children[0] : &node->children[1];
            path += e + 1;
            n -= e + 1;
            if (n && *path == '.') {
                path++;
                n--;
            }
            continue;
        }
        /* a primitive that did not fit */
        if (n != 0)
            return LS_OK;
        if ((node->type == LS_INT8 || node->type == LS_INT16 || node->type == LS_INT32) &&
            json_is_integer(raw, rlen)) {
            node->type = LS_INT64;
            *changed = true;
        } else if (node->type == LS_FLOAT && json_is_number(raw, rlen)) {
            node->type = LS_DOUBLE;
            *changed = true;
        }
        return LS_OK;
    }
    return LS_OK;
}

int ls_ing_evolve(const ls_schema *schema, const char *rescued_json, size_t len, bool *changed,
                  ls_schema **out, ls_error *err)
{
    *changed = false;
    *out = NULL;
    ls_arena a;
    ls_arena_init(&a, 16 * 1024);
    ls_json *obj = NULL;
    int rc = ls_json_parse(rescued_json, len, &a, &obj, err);
    if (rc || obj->type != LS_JSON_OBJECT) {
        ls_arena_free(&a);
        return rc ? rc : ls_err(err, LS_ERR_INVALID, "rescued data is not an object");
    }
    ls_schema *s = ls_schema_new();
    ls_field_clear(&s->root);
    ls_field_copy(&s->root, &schema->root);
    ls_buf raw = {0};
    for (size_t i = 0; i < obj->n && rc == LS_OK; i++) {
        raw.len = 0;
        ls_json_write(&obj->items[i], &raw);
        rc = evolve_one(&s->root, obj->keys[i], obj->key_lens[i], (const char *)raw.data, raw.len,
                        changed, err);
    }
    ls_buf_free(&raw);
    ls_arena_free(&a);
    if (rc == LS_OK && *changed)
        rc = ls_schema_finalize(s, err);
    if (rc || !*changed) {
        ls_schema_free(s);
        *changed = rc ? false : *changed;
        return rc;
    }
    *out = s;
    return LS_OK;
}

static bool type_extends(const ls_field *a, const ls_field *b)
{
    if (a->type == b->type)
        return true;
    if ((a->type == LS_INT8 || a->type == LS_INT16 || a->type == LS_INT32) &&
        (b->type == LS_INT16 || b->type == LS_INT32 || b->type == LS_INT64))
        return b->type >= a->type;
    return a->type == LS_FLOAT && b->type == LS_DOUBLE;
}

static bool field_extends(const ls_field *a, const ls_field *b)
{
    if (!type_extends(a, b))
        return false;
    if (a->type == LS_DECIMAL && (a->precision != b->precision || a->scale != b->scale))
        return false;
    if (a->type == LS_STRUCT) {
        for (int i = 0; i < a->n_children; i++) {
            const ls_field *bc = ls_field_find_child(b, a->children[i].name,
                                                     strlen(a->children[i].name));
            if (!bc || !field_extends(&a->children[i], bc))
                return false;
        }
        return true;
    }
    if (a->n_children != b->n_children)
        return false;
    for (int i = 0; i < a->n_children; i++)
        if (!field_extends(&a->children[i], &b->children[i]))
            return false;
    return true;
}

bool ls_ing_schema_extends(const ls_schema *a, const ls_schema *b)
{
    return field_extends(&a->root, &b->root);
}

int ls_ing_apply_schema(ls_delta_metadata *meta, const ls_schema *nt,
                        const ls_delta_protocol *table_proto, int64_t next_version,
                        ls_delta_protocol *proto, bool *need_protocol, ls_error *err)
{
    const ls_delta_protocol *cur = *need_protocol ? proto : table_proto;
    ls_delta_protocol np;
    bool changed = false;
    int rc = ls_delta_evolve_schema(cur, next_version, meta, nt, &np, &changed, err);
    if (rc)
        return ls_err_prefix(err, "--merge-schema");
    if (changed) {
        ls_delta_protocol_free(proto); /* the pending upgrade (np builds on it) or a stale one */
        *proto = np;
        *need_protocol = true;
    }
    return LS_OK;
}
