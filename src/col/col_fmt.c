/*
 * col_fmt.c - batch -> text: record assembly from Dremel levels into NDJSON
 * or CSV, and lakestream's stable formatting of single values (see the
 * "batch -> text" section of col.h).
 *
 * Record assembly keeps one slot cursor and one value cursor per leaf and
 * walks the schema for each row. A field's presence is read from the
 * definition level of the first leaf below it: below a null (or an empty
 * list/map) every leaf holds exactly one slot for that occurrence, so skipping
 * it advances every leaf below by one slot. A list continues while the next
 * slot of its first leaf repeats at the list's element level. Inconsistent
 * batches (levels disagreeing between leaves) fail with LS_ERR_INVALID; the
 * cursors are bounds-checked so they never read outside the leaf arrays.
 */
#include "col.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- single values -------------------------------------------------------- */

/* Bytes of value i (never a NULL pointer, also when the payload buffer is empty). */
static inline const uint8_t *leaf_bytes(const ls_leaf *l, size_t i, size_t *n)
{
    *n = (size_t)(l->offsets[i + 1] - l->offsets[i]);
    return l->bytes.data ? l->bytes.data + l->offsets[i] : (const uint8_t *)"";
}

static void put_i64(ls_buf *b, int64_t v)
{
    char t[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    ls_buf_reserve(b, (size_t)n + 1);
    if (v < 0)
        b->data[b->len++] = '-';
    while (n)
        b->data[b->len++] = (uint8_t)t[--n];
}

/* Shortest text that reads back as the same value, laid out as JavaScript does. */
static void put_shortest(ls_buf *b, double d, bool is_float)
{
    if (ls_buf_put_json_nonfinite(b, d))
        return;
    char t[400];
    int lo = ls_shortest_precision(d, is_float);
    /* Lay the shortest digits out as JavaScript does: positional for exponents in
     * [-6, 21), otherwise d.ddde+X (so 850 prints as 850, not 8.5e+02). */
    snprintf(t, sizeof t, "%.*e", lo - 1, d);
    char digits[32];
    int nd = 0, exp10 = 0;
    bool neg = t[0] == '-';
    const char *q = t + (neg ? 1 : 0);
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9' && nd < (int)sizeof digits - 1)
            digits[nd++] = *q;
    if (*q == 'e')
        exp10 = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        ls_buf_putc(b, '-');
    if (exp10 >= -6 && exp10 < 21) {
        if (exp10 >= nd - 1) {
            ls_buf_append(b, digits, (size_t)nd);
            for (int i = 0; i < exp10 - (nd - 1); i++)
                ls_buf_putc(b, '0');
        } else if (exp10 >= 0) {
            ls_buf_append(b, digits, (size_t)exp10 + 1);
            ls_buf_putc(b, '.');
            ls_buf_append(b, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
        } else {
            ls_buf_puts(b, "0.");
            for (int i = 0; i < -exp10 - 1; i++)
                ls_buf_putc(b, '0');
            ls_buf_append(b, digits, (size_t)nd);
        }
    } else {
        ls_buf_putc(b, (uint8_t)digits[0]);
        if (nd > 1) {
            ls_buf_putc(b, '.');
            ls_buf_append(b, digits + 1, (size_t)nd - 1);
        }
        ls_buf_printf(b, "e%c%d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}

/* JSON string of arbitrary bytes: invalid UTF-8 becomes U+FFFD. */
static void put_json_text(ls_buf *b, const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = ls_utf8_seq(s + i, n - i);
        if (!k)
            break;
        i += k;
    }
    if (i == n) {
        ls_buf_json_str(b, (const char *)s, n);
        return;
    }
    ls_buf t = {0};
    for (i = 0; i < n;) {
        size_t k = ls_utf8_seq(s + i, n - i);
        if (k) {
            ls_buf_append(&t, s + i, k);
            i += k;
        } else {
            ls_buf_append(&t, "\xef\xbf\xbd", 3);
            i++;
        }
    }
    ls_buf_json_str(b, (const char *)t.data, t.len);
    ls_buf_free(&t);
}

void ls_leaf_format_value(const ls_leaf *l, size_t i, ls_buf *out)
{
    const ls_field *f = l->field;
    const uint8_t *vals = (const uint8_t *)l->values;
    char t[48];
    switch (f->type) {
    case LS_BOOLEAN:
        ls_buf_puts(out, vals[i] ? "true" : "false");
        return;
    case LS_INT8:
    case LS_INT16:
    case LS_INT32: {
        int32_t v;
        memcpy(&v, vals + 4 * i, 4);
        put_i64(out, v);
        return;
    }
    case LS_INT64: {
        int64_t v;
        memcpy(&v, vals + 8 * i, 8);
        put_i64(out, v);
        return;
    }
    case LS_FLOAT: {
        float v;
        memcpy(&v, vals + 4 * i, 4);
        put_shortest(out, v, true);
        return;
    }
    case LS_DOUBLE: {
        double v;
        memcpy(&v, vals + 8 * i, 8);
        put_shortest(out, v, false);
        return;
    }
    case LS_STRING: {
        size_t n;
        const uint8_t *p = leaf_bytes(l, i, &n);
        put_json_text(out, p, n);
        return;
    }
    case LS_BINARY: {
        size_t n;
        const uint8_t *p = leaf_bytes(l, i, &n);
        ls_buf_putc(out, '"');
        ls_base64_encode(out, p, n);
        ls_buf_putc(out, '"');
        return;
    }
    case LS_DATE: {
        int32_t v;
        memcpy(&v, vals + 4 * i, 4);
        ls_format_date(v, t);
        ls_buf_putc(out, '"');
        ls_buf_puts(out, t);
        ls_buf_putc(out, '"');
        return;
    }
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ: {
        int64_t v;
        memcpy(&v, vals + 8 * i, 8);
        int n = ls_format_timestamp(v, f->type == LS_TIMESTAMP, t);
        ls_buf_putc(out, '"');
        ls_buf_append(out, t, (size_t)n);
        ls_buf_putc(out, '"');
        return;
    }
    case LS_DECIMAL: {
        int w = l->phys == LS_PHYS_I32 ? 4 : l->phys == LS_PHYS_I64 ? 8 : 16;
        bool quote = f->precision > 15;
        if (quote)
            ls_buf_putc(out, '"');
        ls_buf_put_decimal(out, vals + (size_t)w * i, (size_t)w, f->scale);
        if (quote)
            ls_buf_putc(out, '"');
        return;
    }
    case LS_STRUCT:
    case LS_LIST:
    case LS_MAP:
        break;
    }
    ls_buf_puts(out, "null");
}

/* ---- record assembly -------------------------------------------------------- */

typedef struct asm_ctx {
    const ls_batch *b;
    size_t *slot; /* per leaf: next level slot */
    size_t *val;  /* per leaf: next dense value */
    ls_buf *out;
    ls_buf tmp;
    bool bad; /* inconsistency seen */
} asm_ctx;

static inline int lv_def(const ls_leaf *l, size_t s) { return l->def ? l->def[s] : 0; }
static inline int lv_rep(const ls_leaf *l, size_t s) { return l->rep ? l->rep[s] : 0; }

/* Skips one null/empty occurrence of f in every leaf below it. */
static void skip_one(asm_ctx *c, const ls_field *f)
{
    for (int k = f->leaf_first; k < f->leaf_first + f->leaf_count; k++) {
        const ls_leaf *l = &c->b->leaves[k];
        if (c->slot[k] >= l->n) {
            c->bad = true;
            continue;
        }
        if (lv_def(l, c->slot[k]) >= l->max_def) {
            c->bad = true; /* a value where an ancestor says null */
            c->val[k]++;
        }
        c->slot[k]++;
    }
}

static void write_value(asm_ctx *c, const ls_field *f, int depth);

/* Writes f's value as JSON text into c->out. */
static void write_value(asm_ctx *c, const ls_field *f, int depth)
{
    ls_buf *out = c->out;
    int k0 = f->leaf_first;
    if (f->leaf_count == 0 || depth > LS_MAX_NESTING + 1) {
        c->bad = true;
        ls_buf_puts(out, "null");
        return;
    }
    const ls_leaf *l0 = &c->b->leaves[k0];
    size_t s = c->slot[k0];
    if (s >= l0->n) {
        c->bad = true;
        ls_buf_puts(out, "null");
        return;
    }
    int d = lv_def(l0, s);
    if (!ls_type_is_group(f->type)) {
        if (d >= l0->max_def) {
            if (c->val[k0] < l0->n_values)
                ls_leaf_format_value(l0, c->val[k0], out);
            else {
                c->bad = true;
                ls_buf_puts(out, "null");
            }
            c->val[k0]++;
        } else {
            ls_buf_puts(out, "null");
        }
        c->slot[k0]++;
        return;
    }
    if (d < f->def_level) {
        ls_buf_puts(out, "null");
        skip_one(c, f);
        return;
    }
    if (f->type == LS_STRUCT) {
        ls_buf_putc(out, '{');
        for (int i = 0; i < f->n_children; i++) {
            const ls_field *ch = &f->children[i];
            if (i)
                ls_buf_putc(out, ',');
            ls_buf_json_str(out, ch->name, strlen(ch->name));
            ls_buf_putc(out, ':');
            write_value(c, ch, depth + 1);
        }
        ls_buf_putc(out, '}');
        return;
    }
    bool is_map = f->type == LS_MAP;
    ls_buf_putc(out, is_map ? '{' : '[');
    if (d < f->def_level + 1) { /* present but empty */
        skip_one(c, f);
        ls_buf_putc(out, is_map ? '}' : ']');
        return;
    }
    const ls_field *e = &f->children[0];
    int elem_rep = e->rep_level;
    for (bool first = true;; first = false) {
        if (!first)
            ls_buf_putc(out, ',');
        if (is_map) {
            const ls_field *kf = &f->children[0], *vf = &f->children[1];
            /* keys become JSON object keys: strings as they are, anything else as its
             * JSON text in a string */
            size_t mark = out->len;
            write_value(c, kf, depth + 1);
            if (out->len > mark && out->data[mark] != '"') {
                ls_buf_reset(&c->tmp);
                ls_buf_append(&c->tmp, out->data + mark, out->len - mark);
                out->len = mark;
                ls_buf_json_str(out, (const char *)c->tmp.data, c->tmp.len);
            }
            ls_buf_putc(out, ':');
            write_value(c, vf, depth + 1);
        } else {
            write_value(c, e, depth + 1);
        }
        size_t ns = c->slot[k0];
        if (ns >= l0->n || lv_rep(l0, ns) != elem_rep)
            break;
        if (lv_def(l0, ns) < f->def_level + 1) {
            c->bad = true;
            break;
        }
    }
    ls_buf_putc(out, is_map ? '}' : ']');
}

/* CSV field: quoted when it holds a separator, quote or line break (RFC 4180). */
static void put_csv(ls_buf *out, const uint8_t *p, size_t n, bool force_quote)
{
    if (!p)
        p = (const uint8_t *)""; /* empty buffer */
    bool q = force_quote;
    for (size_t i = 0; i < n && !q; i++)
        q = p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r';
    if (!q) {
        ls_buf_append(out, p, n);
        return;
    }
    ls_buf_putc(out, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            ls_buf_append(out, p + start, i + 1 - start);
            ls_buf_putc(out, '"');
            start = i + 1;
        }
    }
    ls_buf_append(out, p + start, n - start);
    ls_buf_putc(out, '"');
}

/* A top-level field as CSV text: null -> empty, strings raw ("" when empty),
 * scalars as their JSON text without quotes, nested values as JSON text. */
static void write_csv_field(asm_ctx *c, const ls_field *f, ls_buf *cell)
{
    ls_buf *saved = c->out;
    int k0 = f->leaf_first;
    ls_buf_reset(cell);
    if (!ls_type_is_group(f->type) && f->leaf_count == 1) {
        const ls_leaf *l = &c->b->leaves[k0];
        size_t s = c->slot[k0];
        if (s >= l->n) {
            c->bad = true;
            return;
        }
        if (lv_def(l, s) < l->max_def) {
            c->slot[k0]++;
            return;
        }
        size_t vi = c->val[k0];
        c->slot[k0]++;
        c->val[k0]++;
        if (vi >= l->n_values) {
            c->bad = true;
            return;
        }
        if (f->type == LS_STRING) {
            size_t n;
            const uint8_t *p = leaf_bytes(l, vi, &n);
            put_csv(c->out, p, n, n == 0);
            return;
        }
        if (f->type == LS_BINARY) {
            size_t n;
            const uint8_t *p = leaf_bytes(l, vi, &n);
            ls_base64_encode(cell, p, n);
            put_csv(c->out, cell->data, cell->len, n == 0);
            return;
        }
        ls_leaf_format_value(l, vi, cell);
        const uint8_t *p = cell->data;
        size_t n = cell->len;
        if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
            p++;
            n -= 2;
        }
        put_csv(c->out, p, n, false);
        return;
    }
    /* nested: JSON text, null stays empty */
    const ls_leaf *l0 = f->leaf_count ? &c->b->leaves[k0] : NULL;
    if (l0 && c->slot[k0] < l0->n && lv_def(l0, c->slot[k0]) < f->def_level) {
        skip_one(c, f);
        return;
    }
    c->out = cell;
    write_value(c, f, 0);
    c->out = saved;
    put_csv(c->out, cell->data, cell->len, false);
}

int ls_batch_format(const ls_batch *b, size_t row_begin, size_t row_end, ls_text_format fmt,
                    bool with_header, ls_buf *out, ls_error *err)
{
    const ls_schema *sc = b->schema;
    const ls_field *root = &sc->root;
    if (row_end > b->n_rows || row_begin > row_end)
        return ls_err(err, LS_ERR_INVALID, "rows [%zu, %zu) outside the batch of %zu rows",
                      row_begin, row_end, b->n_rows);
    if (fmt == LS_FMT_CSV && with_header) {
        for (int i = 0; i < root->n_children; i++) {
            if (i)
                ls_buf_putc(out, ',');
            const char *nm = root->children[i].name;
            put_csv(out, (const uint8_t *)nm, strlen(nm), false);
        }
        ls_buf_putc(out, '\n');
    }
    if (row_begin == row_end)
        return LS_OK;
    int nl = b->n_leaves;
    asm_ctx c = {0};
    c.b = b;
    c.out = out;
    c.slot = ls_xcalloc((size_t)(nl ? nl : 1), sizeof(size_t));
    c.val = ls_xcalloc((size_t)(nl ? nl : 1), sizeof(size_t));
    /* position every leaf at the first slot of row_begin */
    for (int k = 0; k < nl; k++) {
        const ls_leaf *l = &b->leaves[k];
        size_t s = 0, v = 0, rows = 0;
        if (l->max_rep == 0) {
            s = row_begin <= l->n ? row_begin : l->n;
            if (l->max_def == 0)
                v = s;
            else
                for (size_t i = 0; i < s; i++)
                    v += l->def[i] >= l->max_def;
        } else {
            for (; s < l->n; s++) {
                if (l->rep[s] == 0) {
                    if (rows == row_begin)
                        break;
                    rows++;
                }
                v += lv_def(l, s) >= l->max_def;
            }
        }
        c.slot[k] = s;
        c.val[k] = v;
    }
    ls_buf cell = {0};
    for (size_t row = row_begin; row < row_end && !c.bad; row++) {
        if (fmt == LS_FMT_NDJSON) {
            ls_buf_putc(out, '{');
            for (int i = 0; i < root->n_children; i++) {
                const ls_field *f = &root->children[i];
                if (i)
                    ls_buf_putc(out, ',');
                ls_buf_json_str(out, f->name, strlen(f->name));
                ls_buf_putc(out, ':');
                write_value(&c, f, 0);
            }
            ls_buf_puts(out, "}\n");
        } else {
            for (int i = 0; i < root->n_children; i++) {
                if (i)
                    ls_buf_putc(out, ',');
                write_csv_field(&c, &root->children[i], &cell);
            }
            ls_buf_putc(out, '\n');
        }
        /* every leaf must now be at the start of the next row */
        for (int k = 0; k < nl && !c.bad; k++) {
            const ls_leaf *l = &b->leaves[k];
            size_t s = c.slot[k];
            if (s > l->n || (s < l->n && lv_rep(l, s) != 0) || (s == l->n && row + 1 < b->n_rows))
                c.bad = true;
        }
    }
    ls_buf_free(&cell);
    ls_buf_free(&c.tmp);
    free(c.slot);
    free(c.val);
    if (c.bad)
        return ls_err(err, LS_ERR_INVALID,
                      "batch levels are inconsistent: cannot assemble the rows (see "
                      "ls_batch_validate)");
    return LS_OK;
}
