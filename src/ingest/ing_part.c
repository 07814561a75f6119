/*
 * ing_part.c - partition expressions of `ingest --partition-by`: parsing
 * ("day(ts) AS dt, kind, bucket(16, id)"), type checking against a schema and
 * computing the derived columns of a batch, plus the Iceberg bucket hash
 * (murmur3 x86 32-bit) and duration parsing for --trigger.
 *
 * Derived columns are real columns of the table: they are computed per row
 * into the batch before it is written, so the Delta writer partitions by them
 * like any other column. Time transforms use the stored value: a TIMESTAMP is
 * an instant (UTC micros), so day(ts) is its UTC date; a TIMESTAMP_NTZ is a
 * wall-clock time taken as written; a DATE is a day.
 */
#include "ingest.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- durations ------------------------------------------------------------------ */

int ls_ing_parse_duration(const char *s, int64_t *ms, ls_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0) || isinf(v))
        return ls_err(err, LS_ERR_INVALID, "invalid duration '%s' (e.g. 500ms, 1s, 2m)", s);
    double mult = 1000; /* bare number: seconds */
    if (!*end || !strcmp(end, "s") || !strcmp(end, "sec") || !strcmp(end, "secs") ||
        !strcmp(end, "second") || !strcmp(end, "seconds"))
        mult = 1000;
    else if (!strcmp(end, "ms"))
        mult = 1;
    else if (!strcmp(end, "m") || !strcmp(end, "min") || !strcmp(end, "minute") ||
             !strcmp(end, "minutes"))
        mult = 60000;
    else if (!strcmp(end, "h") || !strcmp(end, "hour") || !strcmp(end, "hours"))
        mult = 3600000;
    else
        return ls_err(err, LS_ERR_INVALID, "invalid duration unit in '%s' (ms, s, m, h)", s);
    double r = v * mult;
    if (r > 9.0e15)
        return ls_err(err, LS_ERR_INVALID, "duration '%s' is too long", s);
    *ms = (int64_t)llround(r);
    return LS_OK;
}

/* ---- murmur3 x86_32 (Iceberg's bucket hash) ---------------------------------------- */

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t ls_murmur3_32(const void *data, size_t n, uint32_t seed)
{
    const uint8_t *p = data;
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h = seed;
    size_t nblocks = n / 4;
    for (size_t i = 0; i < nblocks; i++) {
        uint32_t k = ls_load_u32le(p + 4 * i);
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64;
    }
    const uint8_t *tail = p + 4 * nblocks;
    uint32_t k = 0;
    switch (n & 3) {
    case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)n;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

int32_t ls_bucket_i64(int64_t v, int n)
{
    uint8_t b[8];
    ls_store_u64le(b, (uint64_t)v);
    return (int32_t)((ls_murmur3_32(b, 8, 0) & 0x7fffffffu) % (uint32_t)n);
}

int32_t ls_bucket_bytes(const void *p, size_t len, int n)
{
    return (int32_t)((ls_murmur3_32(p, len, 0) & 0x7fffffffu) % (uint32_t)n);
}

/* ---- parsing ------------------------------------------------------------------------ */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* An identifier: [A-Za-z0-9_]+ or `backquoted` (`` for a backquote). malloc'ed. */
static const char *parse_ident(const char *p, char **out)
{
    *out = NULL;
    if (*p == '`') {
        ls_buf b = {0};
        p++;
        for (;;) {
            if (!*p) {
                ls_buf_free(&b);
                return NULL;
            }
            if (*p == '`') {
                if (p[1] == '`') {
                    ls_buf_putc(&b, '`');
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            ls_buf_putc(&b, (uint8_t)*p++);
        }
        if (b.len == 0) {
            ls_buf_free(&b);
            return NULL;
        }
        *out = ls_xstrdup(ls_buf_cstr(&b));
        ls_buf_free(&b);
        return p;
    }
    const char *s = p;
    while (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80)
        p++;
    if (p == s)
        return NULL;
    *out = ls_xstrndup(s, (size_t)(p - s));
    return p;
}

static int parse_one(const char *item, ls_part_expr *e, ls_error *err)
{
    memset(e, 0, sizeof *e);
    const char *p = skip_ws(item);
    char *id = NULL;
    const char *q = parse_ident(p, &id);
    if (!q)
        return ls_err(err, LS_ERR_INVALID, "--partition-by: expected a column or day(col), "
                                           "hour(col), month(col), year(col), bucket(N, col) "
                                           "at '%s'",
                      p);
    q = skip_ws(q);
    if (*q == '(' && p[0] != '`') {
        static const struct {
            const char *name;
            ls_px_kind kind;
            const char *suffix;
        } fns[] = {
            {"year", LS_PX_YEAR, "year"},     {"years", LS_PX_YEAR, "year"},
            {"month", LS_PX_MONTH, "month"},  {"months", LS_PX_MONTH, "month"},
            {"day", LS_PX_DAY, "day"},        {"days", LS_PX_DAY, "day"},
            {"date", LS_PX_DAY, "day"},       {"to_date", LS_PX_DAY, "day"},
            {"hour", LS_PX_HOUR, "hour"},     {"hours", LS_PX_HOUR, "hour"},
            {"bucket", LS_PX_BUCKET, "bucket"},
        };
        int fi = -1;
        for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
            if (ls_str_ieq(id, fns[i].name))
                fi = (int)i;
        if (fi < 0) {
            int rc = ls_err(err, LS_ERR_INVALID,
                            "--partition-by: unknown function '%s' (year, month, day, hour, "
                            "bucket)",
                            id);
            free(id);
            return rc;
        }
        free(id);
        e->kind = fns[fi].kind;
        q = skip_ws(q + 1);
        if (e->kind == LS_PX_BUCKET) {
            char *end;
            errno = 0;
            long n = strtol(q, &end, 10);
            if (end == q || errno || n < 1 || n > 1000000)
                return ls_err(err, LS_ERR_INVALID,
                              "--partition-by: bucket(N, col) needs N in 1..1000000 at '%s'", q);
            e->n_buckets = (int)n;
            q = skip_ws(end);
            if (*q != ',')
                return ls_err(err, LS_ERR_INVALID, "--partition-by: expected ',' in bucket(N, "
                                                   "col) at '%s'",
                              q);
            q = skip_ws(q + 1);
        }
        q = parse_ident(q, &e->source);
        if (!q)
            return ls_err(err, LS_ERR_INVALID, "--partition-by: expected a column name in %s(...)",
                          fns[fi].name);
        q = skip_ws(q);
        if (*q != ')')
            return ls_err(err, LS_ERR_INVALID, "--partition-by: expected ')' after %s(%s",
                          fns[fi].name, e->source);
        q = skip_ws(q + 1);
        e->name = ls_xasprintf("%s_%s", e->source, fns[fi].suffix);
    } else {
        e->kind = LS_PX_IDENTITY;
        e->source = id;
        e->name = ls_xstrdup(id);
    }
    /* optional AS name */
    if ((q[0] == 'A' || q[0] == 'a') && (q[1] == 'S' || q[1] == 's') &&
        (q[2] == ' ' || q[2] == '\t' || q[2] == '`')) {
        q = skip_ws(q + 2);
        char *name = NULL;
        const char *r = parse_ident(q, &name);
        if (!r)
            return ls_err(err, LS_ERR_INVALID, "--partition-by: expected a name after AS at '%s'",
                          q);
        if (e->kind == LS_PX_IDENTITY && strcmp(name, e->source) != 0) {
            int rc = ls_err(err, LS_ERR_INVALID,
                            "--partition-by: '%s AS %s': a plain column cannot be renamed",
                            e->source, name);
            free(name);
            return rc;
        }
        free(e->name);
        e->name = name;
        q = skip_ws(r);
    }
    if (*q)
        return ls_err(err, LS_ERR_INVALID, "--partition-by: unexpected '%s'", q);
    return LS_OK;
}

int ls_part_spec_parse(const char *text, ls_part_spec *out, ls_error *err)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return LS_OK;
    size_t len = strlen(text);
    char *copy = ls_xstrdup(text);
    int cap = 4;
    out->exprs = ls_xcalloc((size_t)cap, sizeof(ls_part_expr));
    int depth = 0, rc = LS_OK;
    bool bq = false;
    size_t start = 0;
    for (size_t i = 0; i <= len && rc == LS_OK; i++) {
        char c = copy[i];
        if (c == '`')
            bq = !bq;
        if (!bq && c == '(')
            depth++;
        if (!bq && c == ')')
            depth--;
        if (i < len && (bq || depth > 0 || c != ','))
            continue;
        copy[i] = 0;
        const char *item = skip_ws(copy + start);
        start = i + 1;
        if (!*item) {
            if (i < len || out->n > 0)
                rc = ls_err(err, LS_ERR_INVALID, "--partition-by: empty item in '%s'", text);
            continue;
        }
        if (out->n == 64) {
            rc = ls_err(err, LS_ERR_LIMIT, "--partition-by: more than 64 columns");
            break;
        }
        if (out->n == cap) {
            cap *= 2;
            out->exprs = ls_xrealloc(out->exprs, (size_t)cap * sizeof(ls_part_expr));
        }
        rc = parse_one(item, &out->exprs[out->n], err);
        out->n++;
        /* trailing blanks are kept in the item; parse_one skips them */
    }
    if (rc == LS_OK && (depth != 0 || bq))
        rc = ls_err(err, LS_ERR_INVALID, "--partition-by: unbalanced parentheses or quotes in "
                                         "'%s'",
                    text);
    for (int i = 0; rc == LS_OK && i < out->n; i++)
        for (int j = 0; j < i; j++)
            if (ls_str_ieq(out->exprs[i].name, out->exprs[j].name))
                rc = ls_err(err, LS_ERR_INVALID, "--partition-by: column '%s' appears twice",
                            out->exprs[i].name);
    free(copy);
    if (rc)
        ls_part_spec_free(out);
    return rc;
}

void ls_part_spec_free(ls_part_spec *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->exprs[i].source);
        free(s->exprs[i].name);
    }
    free(s->exprs);
    memset(s, 0, sizeof *s);
}

/* The column as an identifier: backquoted unless it is plain. */
static char *quote_ident(const char *n)
{
    bool plain = *n != 0;
    for (const char *p = n; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || *p == '_';
    if (plain)
        return ls_xstrdup(n);
    ls_buf b = {0};
    ls_buf_putc(&b, '`');
    for (const char *p = n; *p; p++) {
        if (*p == '`')
            ls_buf_putc(&b, '`');
        ls_buf_putc(&b, (uint8_t)*p);
    }
    ls_buf_putc(&b, '`');
    char *r = ls_xstrdup(ls_buf_cstr(&b));
    ls_buf_free(&b);
    return r;
}

char *ls_part_expr_text(const ls_part_expr *e)
{
    char *q = quote_ident(e->source), *r;
    switch (e->kind) {
    case LS_PX_YEAR: r = ls_xasprintf("year(%s)", q); break;
    case LS_PX_MONTH: r = ls_xasprintf("month(%s)", q); break;
    case LS_PX_DAY: r = ls_xasprintf("day(%s)", q); break;
    case LS_PX_HOUR: r = ls_xasprintf("hour(%s)", q); break;
    case LS_PX_BUCKET: r = ls_xasprintf("bucket(%d, %s)", e->n_buckets, q); break;
    default: r = ls_xstrdup(q); break;
    }
    free(q);
    return r;
}

ls_type ls_part_expr_type(const ls_part_expr *e)
{
    return e->kind == LS_PX_DAY ? LS_DATE : LS_INT32;
}

static bool time_type(ls_type t)
{
    return t == LS_TIMESTAMP || t == LS_TIMESTAMP_NTZ || t == LS_DATE;
}

static bool bucket_type(ls_type t)
{
    switch (t) {
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
    case LS_INT64:
    case LS_DATE:
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ:
    case LS_STRING:
    case LS_BINARY: return true;
    default: return false;
    }
}

int ls_part_spec_check(const ls_part_spec *s, const ls_schema *schema, ls_error *err)
{
    for (int i = 0; i < s->n; i++) {
        const ls_part_expr *e = &s->exprs[i];
        const ls_field *f = ls_field_find_child(&schema->root, e->source, strlen(e->source));
        if (!f)
            return ls_err(err, LS_ERR_INVALID, "--partition-by: column '%s' is not in the schema",
                          e->source);
        if (ls_type_is_group(f->type))
            return ls_err(err, LS_ERR_INVALID,
                          "--partition-by: column '%s' has type %s; partition sources must be "
                          "primitive",
                          e->source, ls_type_name(f->type));
        if (e->kind == LS_PX_HOUR && !(f->type == LS_TIMESTAMP || f->type == LS_TIMESTAMP_NTZ))
            return ls_err(err, LS_ERR_INVALID,
                          "--partition-by: hour(%s) needs a TIMESTAMP column, not %s", e->source,
                          ls_type_name(f->type));
        if ((e->kind == LS_PX_YEAR || e->kind == LS_PX_MONTH || e->kind == LS_PX_DAY) &&
            !time_type(f->type))
            return ls_err(err, LS_ERR_INVALID,
                          "--partition-by: %s needs a TIMESTAMP or DATE column; '%s' is %s",
                          e->kind == LS_PX_DAY ? "day()" : e->kind == LS_PX_MONTH ? "month()"
                                                                                   : "year()",
                          e->source, ls_type_name(f->type));
        if (e->kind == LS_PX_BUCKET && !bucket_type(f->type))
            return ls_err(err, LS_ERR_INVALID,
                          "--partition-by: bucket() of a %s column is not supported (integers, "
                          "strings, binary, dates, timestamps)",
                          ls_type_name(f->type));
    }
    return LS_OK;
}

/* ---- computing derived columns ---------------------------------------------------------- */

int ls_derive_plan_build(const ls_part_spec *s, const ls_schema *schema, ls_derive_plan *p,
                         ls_error *err)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < s->n; i++) {
        const ls_part_expr *e = &s->exprs[i];
        if (e->kind == LS_PX_IDENTITY)
            continue;
        const ls_field *src = ls_field_find_child(&schema->root, e->source, strlen(e->source));
        const ls_field *dst = ls_field_find_child(&schema->root, e->name, strlen(e->name));
        if (!src || ls_type_is_group(src->type))
            return ls_err(err, LS_ERR_INVALID, "derived column %s: source '%s' is not a "
                                               "top-level primitive column",
                          e->name, e->source);
        if (!dst || dst->type != ls_part_expr_type(e) || ls_type_is_group(dst->type))
            return ls_err(err, LS_ERR_INVALID,
                          "derived column '%s' is missing from the table or has the wrong type "
                          "(expected %s)",
                          e->name, ls_type_name(ls_part_expr_type(e)));
        if (!dst->nullable)
            return ls_err(err, LS_ERR_INVALID, "derived column '%s' must be nullable", e->name);
        if (p->n == 64)
            return ls_err(err, LS_ERR_LIMIT, "too many derived columns");
        p->kind[p->n] = e->kind;
        p->src_leaf[p->n] = src->leaf_index;
        p->dst_leaf[p->n] = dst->leaf_index;
        p->n_buckets[p->n] = e->n_buckets;
        p->n++;
    }
    return LS_OK;
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Value of a time transform for a timestamp (micros) or date (days). */
static int32_t time_part(ls_px_kind k, int64_t v, bool is_date)
{
    int64_t days = is_date ? v : floor_div(v, 86400000000LL);
    switch (k) {
    case LS_PX_DAY: return (int32_t)days;
    case LS_PX_HOUR: return (int32_t)(floor_div(v, 3600000000LL) - days * 24);
    default: {
        int64_t y;
        unsigned m, d;
        ls_civil_from_days(days, &y, &m, &d);
        return k == LS_PX_YEAR ? (int32_t)y : (int32_t)m;
    }
    }
}

static void derive_one(const ls_derive_plan *p, int i, ls_batch *b)
{
    const ls_leaf *s = &b->leaves[p->src_leaf[i]];
    ls_leaf *d = &b->leaves[p->dst_leaf[i]];
    ls_leaf_truncate(d, 0);
    size_t n = b->n_rows;
    if (d->cap < n)
        ls_leaf_grow_levels(d, n - d->n);
    if (d->vcap < n)
        ls_leaf_grow_values(d, n - d->n_values);
    ls_px_kind k = p->kind[i];
    bool is_date = s->field->type == LS_DATE;
    size_t vi = 0;
    for (size_t r = 0; r < n && r < s->n; r++) {
        bool present = s->max_def == 0 || s->def[r] == s->max_def;
        if (!present) {
            ls_leaf_null(d, 0, 0);
            continue;
        }
        int32_t out;
        if (k == LS_PX_BUCKET) {
            int nb = p->n_buckets[i];
            switch (s->phys) {
            case LS_PHYS_I32: out = ls_bucket_i64(((const int32_t *)s->values)[vi], nb); break;
            case LS_PHYS_I64: out = ls_bucket_i64(((const int64_t *)s->values)[vi], nb); break;
            case LS_PHYS_BYTES: {
                size_t len;
                const uint8_t *bp = ls_leaf_bytes_at(s, vi, &len);
                out = ls_bucket_bytes(bp, len, nb);
                break;
            }
            default: out = 0; break;
            }
        } else {
            int64_t v = s->phys == LS_PHYS_I32 ? ((const int32_t *)s->values)[vi]
                                               : ((const int64_t *)s->values)[vi];
            out = time_part(k, v, is_date);
        }
        vi++;
        ls_leaf_push_i32(d, 0, out);
    }
    for (size_t r = s->n; r < n; r++) /* defensive: a short source leaf */
        ls_leaf_null(d, 0, 0);
}

void ls_derive_apply(const ls_derive_plan *p, ls_batch *b)
{
    for (int i = 0; i < p->n; i++)
        derive_one(p, i, b);
}
