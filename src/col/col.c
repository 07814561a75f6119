/*
 * col.c - schemas (building, finalizing levels, Spark DDL parse/print) and
 * the shredded columnar batch (growth, truncation, row slicing, checks).
 */
#include "col.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- types ------------------------------------------------------------- */

const char *ls_type_name(ls_type t)
{
    switch (t) {
    case LS_BOOLEAN: return "BOOLEAN";
    case LS_INT8: return "TINYINT";
    case LS_INT16: return "SMALLINT";
    case LS_INT32: return "INT";
    case LS_INT64: return "BIGINT";
    case LS_FLOAT: return "FLOAT";
    case LS_DOUBLE: return "DOUBLE";
    case LS_STRING: return "STRING";
    case LS_BINARY: return "BINARY";
    case LS_DATE: return "DATE";
    case LS_TIMESTAMP: return "TIMESTAMP";
    case LS_TIMESTAMP_NTZ: return "TIMESTAMP_NTZ";
    case LS_DECIMAL: return "DECIMAL";
    case LS_STRUCT: return "STRUCT";
    case LS_LIST: return "ARRAY";
    case LS_MAP: return "MAP";
    }
    return "?";
}

ls_phys ls_type_phys(const ls_field *f)
{
    switch (f->type) {
    case LS_BOOLEAN: return LS_PHYS_BOOL;
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
    case LS_DATE: return LS_PHYS_I32;
    case LS_INT64:
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ: return LS_PHYS_I64;
    case LS_FLOAT: return LS_PHYS_F32;
    case LS_DOUBLE: return LS_PHYS_F64;
    case LS_STRING:
    case LS_BINARY: return LS_PHYS_BYTES;
    case LS_DECIMAL:
        return f->precision <= 9 ? LS_PHYS_I32 : f->precision <= 18 ? LS_PHYS_I64 : LS_PHYS_I128;
    case LS_STRUCT:
    case LS_LIST:
    case LS_MAP: return LS_PHYS_NONE;
    }
    return LS_PHYS_NONE;
}

static size_t phys_size(ls_phys p)
{
    switch (p) {
    case LS_PHYS_BOOL: return 1;
    case LS_PHYS_I32:
    case LS_PHYS_F32: return 4;
    case LS_PHYS_I64:
    case LS_PHYS_F64: return 8;
    case LS_PHYS_I128: return 16;
    case LS_PHYS_BYTES:
    case LS_PHYS_NONE: return 0;
    }
    return 0;
}

/* ---- schema ------------------------------------------------------------- */

ls_schema *ls_schema_new(void)
{
    ls_schema *s = ls_xcalloc(1, sizeof *s);
    s->root.name = ls_xstrdup("");
    s->root.type = LS_STRUCT;
    s->root.field_id = -1;
    s->root.leaf_index = -1;
    return s;
}

void ls_field_clear(ls_field *f)
{
    for (int i = 0; i < f->n_children; i++)
        ls_field_clear(&f->children[i]);
    free(f->children);
    free(f->name);
    free(f->physical_name);
    free(f->metadata_json);
    f->children = NULL;
    f->n_children = 0;
    f->name = NULL;
    f->physical_name = NULL;
    f->metadata_json = NULL;
}

void ls_schema_free(ls_schema *s)
{
    if (!s)
        return;
    ls_field_clear(&s->root);
    free(s->leaves);
    free(s);
}

void ls_field_copy(ls_field *dst, const ls_field *src)
{
    *dst = *src;
    dst->name = ls_xstrdup(src->name ? src->name : "");
    dst->physical_name = src->physical_name ? ls_xstrdup(src->physical_name) : NULL;
    dst->metadata_json = src->metadata_json ? ls_xstrdup(src->metadata_json) : NULL;
    dst->children = NULL;
    if (src->n_children) {
        dst->children = ls_xcalloc((size_t)src->n_children, sizeof(ls_field));
        for (int i = 0; i < src->n_children; i++)
            ls_field_copy(&dst->children[i], &src->children[i]);
    }
    dst->parent = NULL;
}

ls_schema *ls_schema_clone(const ls_schema *s)
{
    ls_schema *c = ls_xcalloc(1, sizeof *c);
    ls_field_copy(&c->root, &s->root);
    ls_error err;
    if (ls_schema_finalize(c, &err) != LS_OK) {
        /* cannot fail: s was finalized */
        ls_schema_free(c);
        return NULL;
    }
    return c;
}

ls_field *ls_field_add_child(ls_field *parent, const char *name, ls_type t, bool nullable)
{
    parent->children =
        ls_xrealloc(parent->children, (size_t)(parent->n_children + 1) * sizeof(ls_field));
    ls_field *c = &parent->children[parent->n_children++];
    memset(c, 0, sizeof *c);
    c->name = ls_xstrdup(name);
    c->type = t;
    c->nullable = nullable;
    c->field_id = -1;
    c->leaf_index = -1;
    return c;
}

static int finalize_rec(ls_schema *s, ls_field *f, ls_field *parent, int def, int rep, int depth,
                        size_t *cap, ls_error *err)
{
    if (depth > LS_MAX_NESTING)
        return ls_err(err, LS_ERR_LIMIT, "schema nesting deeper than %d levels", LS_MAX_NESTING);
    f->parent = parent;
    f->def_level = def + (f->nullable ? 1 : 0);
    f->rep_level = rep;
    f->leaf_first = s->n_leaves;
    if (f->type == LS_STRUCT) {
        for (int i = 0; i < f->n_children; i++) {
            for (int j = 0; j < i; j++)
                if (ls_str_ieq(f->children[i].name, f->children[j].name))
                    return ls_err(err, LS_ERR_INVALID, "duplicate field name '%s'",
                                  f->children[i].name);
            int rc = finalize_rec(s, &f->children[i], f, f->def_level, rep, depth + 1, cap, err);
            if (rc)
                return rc;
        }
        if (f->n_children == 0 && parent)
            return ls_err(err, LS_ERR_INVALID, "struct field '%s' has no fields", f->name);
    } else if (f->type == LS_LIST || f->type == LS_MAP) {
        int want = f->type == LS_LIST ? 1 : 2;
        if (f->n_children != want)
            return ls_err(err, LS_ERR_INVALID, "%s field '%s' must have %d child(ren)",
                          ls_type_name(f->type), f->name, want);
        if (f->type == LS_MAP && f->children[0].nullable)
            f->children[0].nullable = false; /* map keys are never null */
        for (int i = 0; i < f->n_children; i++) {
            int rc = finalize_rec(s, &f->children[i], f, f->def_level + 1, rep + 1, depth + 1,
                                  cap, err);
            if (rc)
                return rc;
        }
    } else {
        if (f->type == LS_DECIMAL && (f->precision < 1 || f->precision > 38 ||
                                      f->scale > f->precision))
            return ls_err(err, LS_ERR_INVALID, "invalid DECIMAL(%d,%d) for '%s'", f->precision,
                          f->scale, f->name);
        if (f->def_level > 255 - 1 || f->rep_level > 255 - 1)
            return ls_err(err, LS_ERR_LIMIT, "field '%s' nested too deeply", f->name);
        if ((size_t)s->n_leaves == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            s->leaves = ls_xrealloc(s->leaves, *cap * sizeof(ls_field *));
        }
        f->leaf_index = s->n_leaves;
        s->leaves[s->n_leaves++] = f;
    }
    if (ls_type_is_group(f->type))
        f->leaf_index = -1;
    f->leaf_count = s->n_leaves - f->leaf_first;
    return LS_OK;
}

int ls_schema_finalize(ls_schema *s, ls_error *err)
{
    free(s->leaves);
    s->leaves = NULL;
    s->n_leaves = 0;
    size_t cap = 0;
    s->root.nullable = false;
    s->root.type = LS_STRUCT;
    int rc = finalize_rec(s, &s->root, NULL, 0, 0, 0, &cap, err);
    if (rc)
        return rc;
    return LS_OK;
}

ls_field *ls_field_find_child(const ls_field *f, const char *name, size_t n)
{
    for (int i = 0; i < f->n_children; i++)
        if (strlen(f->children[i].name) == n && memcmp(f->children[i].name, name, n) == 0)
            return &f->children[i];
    for (int i = 0; i < f->n_children; i++)
        if (ls_strn_ieq(name, n, f->children[i].name))
            return &f->children[i];
    return NULL;
}

ls_field *ls_schema_find(const ls_schema *s, const char *name)
{
    return ls_field_find_child(&s->root, name, strlen(name));
}

char *ls_field_path(const ls_field *f)
{
    const ls_field *chain[LS_MAX_NESTING + 2];
    int n = 0;
    for (const ls_field *p = f; p && p->parent && n < LS_MAX_NESTING + 1; p = p->parent)
        chain[n++] = p;
    ls_buf b = {0};
    for (int i = n - 1; i >= 0; i--) {
        if (b.len)
            ls_buf_putc(&b, '.');
        ls_buf_puts(&b, chain[i]->name);
    }
    return ls_buf_cstr(&b);
}

bool ls_field_equal(const ls_field *a, const ls_field *b)
{
    if (a->type != b->type || a->nullable != b->nullable || a->n_children != b->n_children ||
        strcmp(a->name, b->name) != 0)
        return false;
    if (a->type == LS_DECIMAL && (a->precision != b->precision || a->scale != b->scale))
        return false;
    for (int i = 0; i < a->n_children; i++)
        if (!ls_field_equal(&a->children[i], &b->children[i]))
            return false;
    return true;
}

/* ---- DDL ---------------------------------------------------------------- */

typedef struct ddl {
    const char *s;
    size_t i, n;
    ls_error *err;
} ddl;

static void ddl_ws(ddl *d)
{
    while (d->i < d->n && isspace((unsigned char)d->s[d->i]))
        d->i++;
}

static bool ddl_peek(ddl *d, char c)
{
    ddl_ws(d);
    return d->i < d->n && d->s[d->i] == c;
}

static bool ddl_eat(ddl *d, char c)
{
    if (ddl_peek(d, c)) {
        d->i++;
        return true;
    }
    return false;
}

static int ddl_expect(ddl *d, char c)
{
    if (ddl_eat(d, c))
        return LS_OK;
    return ls_err(d->err, LS_ERR_INVALID, "schema: expected '%c' at position %zu", c, d->i + 1);
}

/* Reads an identifier or `quoted` name into a malloc'ed string. */
static int ddl_name(ddl *d, char **out)
{
    ddl_ws(d);
    if (d->i < d->n && d->s[d->i] == '`') {
        ls_buf b = {0};
        d->i++;
        for (;;) {
            if (d->i >= d->n) {
                ls_buf_free(&b);
                return ls_err(d->err, LS_ERR_INVALID, "schema: unterminated `name`");
            }
            char c = d->s[d->i++];
            if (c == '`') {
                if (d->i < d->n && d->s[d->i] == '`') {
                    ls_buf_putc(&b, '`');
                    d->i++;
                    continue;
                }
                break;
            }
            ls_buf_putc(&b, (uint8_t)c);
        }
        *out = ls_xstrdup(ls_buf_cstr(&b));
        ls_buf_free(&b);
        return LS_OK;
    }
    size_t st = d->i;
    while (d->i < d->n && (isalnum((unsigned char)d->s[d->i]) || d->s[d->i] == '_' ||
                           (unsigned char)d->s[d->i] >= 0x80))
        d->i++;
    if (d->i == st)
        return ls_err(d->err, LS_ERR_INVALID, "schema: expected a name at position %zu", st + 1);
    *out = ls_xstrndup(d->s + st, d->i - st);
    return LS_OK;
}

static bool ddl_word(ddl *d, const char *w)
{
    ddl_ws(d);
    size_t n = strlen(w);
    if (d->i + n > d->n || !ls_strn_ieq(d->s + d->i, n, w))
        return false;
    if (d->i + n < d->n && (isalnum((unsigned char)d->s[d->i + n]) || d->s[d->i + n] == '_'))
        return false;
    d->i += n;
    return true;
}

static int ddl_int(ddl *d, int *out)
{
    ddl_ws(d);
    size_t st = d->i;
    long v = 0;
    while (d->i < d->n && isdigit((unsigned char)d->s[d->i]) && v < 100000)
        v = v * 10 + (d->s[d->i++] - '0');
    if (st == d->i)
        return ls_err(d->err, LS_ERR_INVALID, "schema: expected a number at position %zu",
                      st + 1);
    *out = (int)v;
    return LS_OK;
}

static int ddl_type(ddl *d, ls_field *f, int depth);

/* name [:] type [NOT NULL] [COMMENT '...'] */
static int ddl_member(ddl *d, ls_field *parent, bool colon_ok, int depth)
{
    char *name = NULL;
    int rc = ddl_name(d, &name);
    if (rc)
        return rc;
    if (colon_ok)
        ddl_eat(d, ':');
    ls_field *c = ls_field_add_child(parent, name, LS_STRING, true);
    free(name);
    rc = ddl_type(d, c, depth + 1);
    if (rc)
        return rc;
    if (ddl_word(d, "NOT")) {
        if (!ddl_word(d, "NULL"))
            return ls_err(d->err, LS_ERR_INVALID, "schema: expected NULL after NOT at %zu",
                          d->i + 1);
        c->nullable = false;
    } else if (ddl_word(d, "NULL")) {
        c->nullable = true;
    }
    if (ddl_word(d, "COMMENT")) {
        ddl_ws(d);
        if (d->i >= d->n || (d->s[d->i] != '\'' && d->s[d->i] != '"'))
            return ls_err(d->err, LS_ERR_INVALID, "schema: expected a quoted comment at %zu",
                          d->i + 1);
        char q = d->s[d->i++];
        while (d->i < d->n && d->s[d->i] != q)
            d->i += d->s[d->i] == '\\' ? 2 : 1;
        if (d->i >= d->n)
            return ls_err(d->err, LS_ERR_INVALID, "schema: unterminated comment");
        d->i++;
    }
    return LS_OK;
}

static int ddl_type(ddl *d, ls_field *f, int depth)
{
    if (depth > LS_MAX_NESTING)
        return ls_err(d->err, LS_ERR_LIMIT, "schema: nesting deeper than %d", LS_MAX_NESTING);
    ddl_ws(d);
    size_t at = d->i;
    int rc;
    if (ddl_word(d, "BOOLEAN") || ddl_word(d, "BOOL"))
        f->type = LS_BOOLEAN;
    else if (ddl_word(d, "TINYINT") || ddl_word(d, "BYTE"))
        f->type = LS_INT8;
    else if (ddl_word(d, "SMALLINT") || ddl_word(d, "SHORT"))
        f->type = LS_INT16;
    else if (ddl_word(d, "INT") || ddl_word(d, "INTEGER"))
        f->type = LS_INT32;
    else if (ddl_word(d, "BIGINT") || ddl_word(d, "LONG"))
        f->type = LS_INT64;
    else if (ddl_word(d, "FLOAT") || ddl_word(d, "REAL"))
        f->type = LS_FLOAT;
    else if (ddl_word(d, "DOUBLE"))
        f->type = LS_DOUBLE;
    else if (ddl_word(d, "STRING") || ddl_word(d, "TEXT"))
        f->type = LS_STRING;
    else if (ddl_word(d, "VARCHAR") || ddl_word(d, "CHAR")) {
        f->type = LS_STRING;
        if (ddl_eat(d, '(')) {
            int n;
            if ((rc = ddl_int(d, &n)) || (rc = ddl_expect(d, ')')))
                return rc;
        }
    } else if (ddl_word(d, "BINARY"))
        f->type = LS_BINARY;
    else if (ddl_word(d, "DATE"))
        f->type = LS_DATE;
    else if (ddl_word(d, "TIMESTAMP_NTZ"))
        f->type = LS_TIMESTAMP_NTZ;
    else if (ddl_word(d, "TIMESTAMP") || ddl_word(d, "TIMESTAMP_LTZ"))
        f->type = LS_TIMESTAMP;
    else if (ddl_word(d, "DECIMAL") || ddl_word(d, "DEC") || ddl_word(d, "NUMERIC")) {
        f->type = LS_DECIMAL;
        int p = 10, sc = 0; /* Spark's default DECIMAL is (10,0) */
        if (ddl_eat(d, '(')) {
            if ((rc = ddl_int(d, &p)))
                return rc;
            if (ddl_eat(d, ',') && (rc = ddl_int(d, &sc)))
                return rc;
            if ((rc = ddl_expect(d, ')')))
                return rc;
        }
        if (p < 1 || p > 38 || sc > p)
            return ls_err(d->err, LS_ERR_INVALID,
                          "schema: DECIMAL(%d,%d) out of range (precision 1..38, scale <= "
                          "precision)",
                          p, sc);
        f->precision = (uint8_t)p;
        f->scale = (uint8_t)sc;
    } else if (ddl_word(d, "ARRAY")) {
        f->type = LS_LIST;
        if ((rc = ddl_expect(d, '<')))
            return rc;
        ls_field *e = ls_field_add_child(f, "element", LS_STRING, true);
        if ((rc = ddl_type(d, e, depth + 1)))
            return rc;
        if (ddl_word(d, "NOT")) {
            if (!ddl_word(d, "NULL"))
                return ls_err(d->err, LS_ERR_INVALID, "schema: expected NULL after NOT");
            f->children[0].nullable = false;
        }
        if ((rc = ddl_expect(d, '>')))
            return rc;
    } else if (ddl_word(d, "MAP")) {
        f->type = LS_MAP;
        if ((rc = ddl_expect(d, '<')))
            return rc;
        ls_field *k = ls_field_add_child(f, "key", LS_STRING, false);
        if ((rc = ddl_type(d, k, depth + 1)))
            return rc;
        if (ls_type_is_group(f->children[0].type))
            return ls_err(d->err, LS_ERR_UNSUPPORTED, "schema: MAP keys must be primitive");
        if ((rc = ddl_expect(d, ',')))
            return rc;
        ls_field *v = ls_field_add_child(f, "value", LS_STRING, true);
        if ((rc = ddl_type(d, v, depth + 1)))
            return rc;
        if (ddl_word(d, "NOT")) {
            if (!ddl_word(d, "NULL"))
                return ls_err(d->err, LS_ERR_INVALID, "schema: expected NULL after NOT");
            f->children[1].nullable = false;
        }
        if ((rc = ddl_expect(d, '>')))
            return rc;
    } else if (ddl_word(d, "STRUCT")) {
        f->type = LS_STRUCT;
        if ((rc = ddl_expect(d, '<')))
            return rc;
        if (!ddl_peek(d, '>')) {
            do {
                if ((rc = ddl_member(d, f, true, depth)))
                    return rc;
            } while (ddl_eat(d, ','));
        }
        if ((rc = ddl_expect(d, '>')))
            return rc;
        if (f->n_children == 0)
            return ls_err(d->err, LS_ERR_INVALID, "schema: empty STRUCT<> at position %zu",
                          at + 1);
    } else {
        size_t e = at;
        while (e < d->n && (isalnum((unsigned char)d->s[e]) || d->s[e] == '_'))
            e++;
        return ls_err(d->err, LS_ERR_INVALID, "schema: unknown type '%.*s' at position %zu",
                      (int)(e - at), d->s + at, at + 1);
    }
    return LS_OK;
}

int ls_schema_parse_ddl(const char *text, ls_schema **out, ls_error *err)
{
    ddl d = {text, 0, strlen(text), err};
    ls_schema *s = ls_schema_new();
    int rc = LS_OK;
    ddl_ws(&d);
    if (d.i == d.n) {
        rc = ls_err(err, LS_ERR_INVALID, "schema: empty");
        goto fail;
    }
    /* Accept an outer STRUCT<...> too. */
    size_t save = d.i;
    if (ddl_word(&d, "STRUCT") && ddl_peek(&d, '<')) {
        ls_field tmp = {0};
        d.i = save;
        tmp.type = LS_STRUCT;
        tmp.name = ls_xstrdup("");
        if ((rc = ddl_type(&d, &tmp, 0))) {
            ls_field_clear(&tmp);
            goto fail;
        }
        free(s->root.name);
        s->root = tmp;
        s->root.field_id = -1;
    } else {
        d.i = save;
        do {
            if ((rc = ddl_member(&d, &s->root, false, 0)))
                goto fail;
        } while (ddl_eat(&d, ','));
    }
    ddl_ws(&d);
    if (d.i != d.n) {
        rc = ls_err(err, LS_ERR_INVALID, "schema: unexpected '%c' at position %zu", d.s[d.i],
                    d.i + 1);
        goto fail;
    }
    if ((rc = ls_schema_finalize(s, err)))
        goto fail;
    *out = s;
    return LS_OK;
fail:
    ls_schema_free(s);
    return rc;
}

int ls_field_parse_type(const char *text, ls_field *f, ls_error *err)
{
    ddl d = {text, 0, strlen(text), err};
    int rc = ddl_type(&d, f, 0);
    if (rc)
        return rc;
    ddl_ws(&d);
    if (d.i != d.n)
        return ls_err(err, LS_ERR_INVALID, "type: unexpected text at position %zu", d.i + 1);
    return LS_OK;
}

static void ddl_put_name(ls_buf *out, const char *name)
{
    bool plain = name[0] && !isdigit((unsigned char)name[0]);
    for (const char *p = name; *p && plain; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            plain = false;
    if (plain) {
        ls_buf_puts(out, name);
        return;
    }
    ls_buf_putc(out, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`')
            ls_buf_putc(out, '`');
        ls_buf_putc(out, (uint8_t)*p);
    }
    ls_buf_putc(out, '`');
}

void ls_field_type_to_ddl(const ls_field *f, ls_buf *out)
{
    switch (f->type) {
    case LS_DECIMAL: ls_buf_printf(out, "DECIMAL(%d,%d)", f->precision, f->scale); break;
    case LS_LIST:
        ls_buf_puts(out, "ARRAY<");
        ls_field_type_to_ddl(&f->children[0], out);
        if (!f->children[0].nullable)
            ls_buf_puts(out, " NOT NULL");
        ls_buf_putc(out, '>');
        break;
    case LS_MAP:
        ls_buf_puts(out, "MAP<");
        ls_field_type_to_ddl(&f->children[0], out);
        ls_buf_puts(out, ", ");
        ls_field_type_to_ddl(&f->children[1], out);
        if (!f->children[1].nullable)
            ls_buf_puts(out, " NOT NULL");
        ls_buf_putc(out, '>');
        break;
    case LS_STRUCT:
        ls_buf_puts(out, "STRUCT<");
        for (int i = 0; i < f->n_children; i++) {
            if (i)
                ls_buf_puts(out, ", ");
            ddl_put_name(out, f->children[i].name);
            ls_buf_puts(out, ": ");
            ls_field_type_to_ddl(&f->children[i], out);
            if (!f->children[i].nullable)
                ls_buf_puts(out, " NOT NULL");
        }
        ls_buf_putc(out, '>');
        break;
    default: ls_buf_puts(out, ls_type_name(f->type));
    }
}

void ls_schema_to_ddl(const ls_schema *s, ls_buf *out)
{
    for (int i = 0; i < s->root.n_children; i++) {
        const ls_field *f = &s->root.children[i];
        if (i)
            ls_buf_puts(out, ", ");
        ddl_put_name(out, f->name);
        ls_buf_putc(out, ' ');
        ls_field_type_to_ddl(f, out);
        if (!f->nullable)
            ls_buf_puts(out, " NOT NULL");
    }
    ls_buf_cstr(out);
}

/* ---- batches ------------------------------------------------------------ */

static void leaf_init(ls_leaf *l, const ls_field *f)
{
    memset(l, 0, sizeof *l);
    l->field = f;
    l->phys = ls_type_phys(f);
    l->max_def = f->def_level;
    l->max_rep = f->rep_level;
    if (l->phys == LS_PHYS_BYTES) {
        l->offsets = ls_xcalloc(1, sizeof(uint64_t));
        l->vcap = 0;
    }
}

static void leaf_free(ls_leaf *l)
{
    free(l->def);
    free(l->rep);
    free(l->values);
    free(l->offsets);
    ls_buf_free(&l->bytes);
}

ls_batch *ls_batch_new(const ls_schema *schema)
{
    ls_batch *b = ls_xcalloc(1, sizeof *b);
    b->schema = schema;
    b->n_leaves = schema->n_leaves;
    b->leaves = ls_xcalloc((size_t)(b->n_leaves ? b->n_leaves : 1), sizeof(ls_leaf));
    for (int i = 0; i < b->n_leaves; i++)
        leaf_init(&b->leaves[i], schema->leaves[i]);
    return b;
}

void ls_batch_free(ls_batch *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->n_leaves; i++)
        leaf_free(&b->leaves[i]);
    free(b->leaves);
    free(b);
}

void ls_batch_reset(ls_batch *b)
{
    b->n_rows = 0;
    for (int i = 0; i < b->n_leaves; i++) {
        ls_leaf *l = &b->leaves[i];
        l->n = 0;
        l->n_values = 0;
        l->bytes.len = 0;
        if (l->offsets)
            l->offsets[0] = 0;
    }
}

void ls_leaf_grow_levels(ls_leaf *l, size_t extra)
{
    size_t need = l->n + extra;
    if (need <= l->cap)
        return;
    size_t cap = l->cap ? l->cap * 2 : 1024;
    while (cap < need)
        cap *= 2;
    if (l->max_def > 0)
        l->def = ls_xrealloc(l->def, cap);
    if (l->max_rep > 0)
        l->rep = ls_xrealloc(l->rep, cap);
    l->cap = cap;
}

void ls_leaf_grow_values(ls_leaf *l, size_t extra)
{
    size_t need = l->n_values + extra;
    if (need <= l->vcap)
        return;
    size_t cap = l->vcap ? l->vcap * 2 : 1024;
    while (cap < need)
        cap *= 2;
    if (l->phys == LS_PHYS_BYTES) {
        l->offsets = ls_xrealloc(l->offsets, (cap + 1) * sizeof(uint64_t));
    } else {
        size_t es = phys_size(l->phys);
        size_t bytes;
        if (ls_mul_overflow(cap, es, &bytes))
            ls_oom(SIZE_MAX);
        l->values = ls_xrealloc(l->values, bytes);
    }
    l->vcap = cap;
}

void ls_leaf_truncate(ls_leaf *l, size_t n_slots)
{
    if (n_slots >= l->n)
        return;
    size_t removed = 0;
    if (l->max_def == 0)
        removed = l->n - n_slots;
    else
        for (size_t i = n_slots; i < l->n; i++)
            removed += l->def[i] == l->max_def;
    l->n = n_slots;
    l->n_values -= removed;
    if (l->phys == LS_PHYS_BYTES)
        l->bytes.len = (size_t)l->offsets[l->n_values];
}

size_t ls_batch_mem_size(const ls_batch *b)
{
    size_t total = 0;
    for (int i = 0; i < b->n_leaves; i++) {
        const ls_leaf *l = &b->leaves[i];
        total += l->n_values * phys_size(l->phys) + l->bytes.len;
        if (l->phys == LS_PHYS_BYTES)
            total += l->n_values * 4; /* PLAIN length prefixes */
        total += (l->max_def ? l->n / 4 : 0) + (l->max_rep ? l->n / 4 : 0);
    }
    return total;
}

/* Slot index where each row starts, plus n at the end. */
static size_t *leaf_row_starts(const ls_leaf *l, size_t n_rows)
{
    size_t *st = ls_xmalloc((n_rows + 1) * sizeof(size_t));
    if (!l->rep) {
        for (size_t r = 0; r <= n_rows; r++)
            st[r] = r < l->n ? r : l->n;
        return st;
    }
    size_t r = 0;
    for (size_t i = 0; i < l->n && r < n_rows; i++)
        if (l->rep[i] == 0)
            st[r++] = i;
    while (r <= n_rows)
        st[r++] = l->n;
    return st;
}

size_t **ls_batch_row_index(const ls_batch *b)
{
    size_t **idx = ls_xcalloc((size_t)(b->n_leaves ? b->n_leaves : 1), sizeof(size_t *));
    for (int i = 0; i < b->n_leaves; i++)
        idx[i] = leaf_row_starts(&b->leaves[i], b->n_rows);
    return idx;
}

void ls_row_index_free(const ls_batch *b, size_t **idx)
{
    if (!idx)
        return;
    for (int i = 0; i < b->n_leaves; i++)
        free(idx[i]);
    free(idx);
}

static size_t count_values(const ls_leaf *l, size_t from, size_t to)
{
    if (l->max_def == 0)
        return to - from;
    size_t c = 0;
    for (size_t i = from; i < to; i++)
        c += l->def[i] == l->max_def;
    return c;
}

void ls_leaf_append_slots(ls_leaf *d, const ls_leaf *s, size_t s0, size_t ns, size_t v0, size_t nv)
{
    ls_leaf_grow_levels(d, ns);
    if (d->def)
        memcpy(d->def + d->n, s->def + s0, ns);
    if (d->rep)
        memcpy(d->rep + d->n, s->rep + s0, ns);
    d->n += ns;
    ls_leaf_grow_values(d, nv);
    if (nv == 0) {
        /* only nulls: nothing to copy (and the value arrays may be NULL) */
    } else if (s->phys == LS_PHYS_BYTES) {
        uint64_t base = s->offsets[v0], end = s->offsets[v0 + nv];
        uint64_t dbase = d->bytes.len;
        ls_buf_append(&d->bytes, s->bytes.data + base, (size_t)(end - base));
        for (size_t k = 1; k <= nv; k++)
            d->offsets[d->n_values + k] = dbase + (s->offsets[v0 + k] - base);
    } else {
        size_t es = phys_size(s->phys);
        memcpy((uint8_t *)d->values + d->n_values * es, (const uint8_t *)s->values + v0 * es,
               nv * es);
    }
    d->n_values += nv;
}

void ls_batch_append_rows(ls_batch *dst, const ls_batch *src, size_t rb, size_t re)
{
    if (re > src->n_rows)
        re = src->n_rows;
    if (rb >= re)
        return;
    for (int li = 0; li < src->n_leaves; li++) {
        const ls_leaf *s = &src->leaves[li];
        ls_leaf *d = &dst->leaves[li];
        size_t s0, s1;
        if (!s->rep) {
            s0 = rb;
            s1 = re;
        } else {
            size_t r = 0, i = 0;
            s0 = s->n;
            for (; i < s->n; i++) {
                if (s->rep[i] == 0) {
                    if (r == rb) {
                        s0 = i;
                        break;
                    }
                    r++;
                }
            }
            s1 = s->n;
            for (; i < s->n; i++) {
                if (s->rep[i] == 0) {
                    if (r == re) {
                        s1 = i;
                        break;
                    }
                    r++;
                }
            }
        }
        size_t v0 = count_values(s, 0, s0);
        size_t nv = count_values(s, s0, s1);
        ls_leaf_append_slots(d, s, s0, s1 - s0, v0, nv);
    }
    dst->n_rows += re - rb;
}

int ls_batch_rebind(ls_batch *b, const ls_schema *schema, ls_error *err)
{
    ls_leaf *nl = ls_xcalloc((size_t)(schema->n_leaves ? schema->n_leaves : 1), sizeof(ls_leaf));
    bool *used = ls_xcalloc((size_t)(b->n_leaves ? b->n_leaves : 1), 1);
    int rc = LS_OK;
    for (int i = 0; i < schema->n_leaves && rc == LS_OK; i++) {
        const ls_field *f = schema->leaves[i];
        char *path = ls_field_path(f);
        int found = -1;
        for (int j = 0; j < b->n_leaves; j++) {
            char *op = ls_field_path(b->leaves[j].field);
            bool same = !used[j] && strcmp(op, path) == 0;
            free(op);
            if (same) {
                found = j;
                break;
            }
        }
        if (found >= 0) {
            ls_leaf *o = &b->leaves[found];
            if (ls_type_phys(f) != o->phys || f->def_level != o->max_def ||
                f->rep_level != o->max_rep) {
                rc = ls_err(err, LS_ERR_INVALID, "cannot rebind column '%s': type changed", path);
            } else {
                nl[i] = *o;
                nl[i].field = f;
                used[found] = true;
            }
        } else {
            /* New leaf: one null slot per row at the deepest existing ancestor's level. */
            leaf_init(&nl[i], f);
            if (f->rep_level > 0 && b->n_rows > 0) {
                rc = ls_err(err, LS_ERR_UNSUPPORTED,
                            "cannot add column '%s' inside a list to a non-empty batch", path);
            } else {
                int def = 0;
                /* Nested new leaf under an existing struct: mirror a sibling's presence. */
                const ls_field *par = f->parent;
                int sib = -1;
                if (par && par->parent) {
                    for (int j = 0; j < b->n_leaves && sib < 0; j++) {
                        for (const ls_field *q = b->leaves[j].field->parent; q; q = q->parent) {
                            char *qp = ls_field_path(q), *pp = ls_field_path(par);
                            bool eq = strcmp(qp, pp) == 0;
                            free(qp);
                            free(pp);
                            if (eq) {
                                if (b->leaves[j].max_rep == f->rep_level)
                                    sib = j;
                                break;
                            }
                        }
                    }
                }
                ls_leaf_grow_levels(&nl[i], b->n_rows);
                for (size_t r = 0; r < b->n_rows; r++) {
                    int d = def;
                    if (sib >= 0) {
                        int sd = b->leaves[sib].def ? b->leaves[sib].def[r] : b->leaves[sib].max_def;
                        int cap = par->def_level;
                        d = sd < cap ? sd : cap;
                    }
                    if (nl[i].def)
                        nl[i].def[r] = (uint8_t)d;
                    if (nl[i].rep)
                        nl[i].rep[r] = 0;
                }
                nl[i].n = b->n_rows;
                if (f->def_level == 0 && b->n_rows > 0)
                    rc = ls_err(err, LS_ERR_INVALID,
                                "cannot add non-nullable column '%s' to a non-empty batch", path);
            }
        }
        free(path);
    }
    if (rc) {
        for (int i = 0; i < schema->n_leaves; i++) {
            bool moved = false;
            for (int j = 0; j < b->n_leaves; j++)
                if (used[j] && nl[i].def == b->leaves[j].def && nl[i].values == b->leaves[j].values &&
                    nl[i].offsets == b->leaves[j].offsets)
                    moved = true;
            if (!moved)
                leaf_free(&nl[i]);
        }
        free(nl);
        free(used);
        return rc;
    }
    for (int j = 0; j < b->n_leaves; j++)
        if (!used[j])
            leaf_free(&b->leaves[j]);
    free(b->leaves);
    free(used);
    b->leaves = nl;
    b->n_leaves = schema->n_leaves;
    b->schema = schema;
    return LS_OK;
}

int ls_batch_validate(const ls_batch *b, ls_error *err)
{
    for (int i = 0; i < b->n_leaves; i++) {
        const ls_leaf *l = &b->leaves[i];
        char *path = ls_field_path(l->field);
        int rc = LS_OK;
        size_t rows = 0, vals = 0;
        for (size_t k = 0; k < l->n && rc == LS_OK; k++) {
            int d = l->def ? l->def[k] : 0, r = l->rep ? l->rep[k] : 0;
            if (d > l->max_def || r > l->max_rep)
                rc = ls_err(err, LS_ERR_CORRUPT, "column %s: level out of range at slot %zu", path, k);
            if (k == 0 && r != 0)
                rc = ls_err(err, LS_ERR_CORRUPT, "column %s: first repetition level is %d", path, r);
            rows += r == 0;
            vals += d == l->max_def;
        }
        if (!rc && rows != b->n_rows)
            rc = ls_err(err, LS_ERR_CORRUPT, "column %s: %zu rows, batch has %zu", path, rows,
                        b->n_rows);
        if (!rc && vals != l->n_values)
            rc = ls_err(err, LS_ERR_CORRUPT, "column %s: %zu values, levels say %zu", path,
                        l->n_values, vals);
        if (!rc && l->phys == LS_PHYS_BYTES) {
            if (l->offsets[0] != 0 || l->offsets[l->n_values] != l->bytes.len)
                rc = ls_err(err, LS_ERR_CORRUPT, "column %s: byte offsets inconsistent", path);
            for (size_t k = 0; k < l->n_values && !rc; k++)
                if (l->offsets[k] > l->offsets[k + 1])
                    rc = ls_err(err, LS_ERR_CORRUPT, "column %s: offsets decrease at %zu", path, k);
        }
        free(path);
        if (rc)
            return rc;
    }
    return LS_OK;
}
