/*
 * sc_pred.c - the --where predicate of scans: a conjunction of simple
 * conditions ("col OP literal", IS [NOT] NULL, [NOT] IN (...)), bound to the
 * table schema so that every literal is converted once to the column's
 * in-memory representation. Conditions whose literal cannot be represented
 * exactly (int_col < 2.5, tiny_col = 1000) are rewritten into equivalent ones
 * (int_col <= 2, FALSE), so evaluation compares like with like and never
 * converts per row. The same typed values drive file pruning from
 * partition values and from add.stats min/max/nullCount.
 */
#include "sc_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* ---- classes and comparison ------------------------------------------------- */

sc_class sc_field_class(const ls_field *f)
{
    switch (f->type) {
    case LS_BOOLEAN:
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
    case LS_INT64:
    case LS_DATE:
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ:
        return SC_C_I64;
    case LS_FLOAT:
        return SC_C_F32;
    case LS_DOUBLE:
        return SC_C_F64;
    case LS_DECIMAL:
        return SC_C_I128;
    case LS_STRING:
    case LS_BINARY:
        return SC_C_BYTES;
    default:
        return SC_C_NONE;
    }
}

static inline int cmp_f64(double a, double b)
{
    /* Spark's ordering: NaN equals NaN and is above everything; -0.0 == 0.0 */
    if (LS_UNLIKELY(a != a || b != b)) return (a != a) - (b != b);
    return (a > b) - (a < b);
}

static inline int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c < 0 ? -1 : 1;
    return (an > bn) - (an < bn);
}

int sc_value_cmp(sc_class c, const sc_value *a, const sc_value *b)
{
    switch (c) {
    case SC_C_I64:
        return (a->i > b->i) - (a->i < b->i);
    case SC_C_F32:
        return cmp_f64(a->f, b->f);
    case SC_C_F64:
        return cmp_f64(a->d, b->d);
    case SC_C_I128:
        return (a->x > b->x) - (a->x < b->x);
    case SC_C_BYTES:
        return cmp_bytes(a->s, a->n, b->s, b->n);
    default:
        return 0;
    }
}

/* ---- text -> value ------------------------------------------------------------ */

static const __int128 I128_10_38 =
    (__int128)10000000000000000000ULL * (__int128)10000000000000000000ULL; /* 10^38 */

static __int128 pow10_i128(int k)
{
    __int128 v = 1;
    while (k-- > 0)
        v *= 10;
    return v;
}

/* Parses an exact decimal number ("-12.5e3") and scales it to `scale` digits:
 * *v = floor(number * 10^scale); fit says whether that was exact or out of +-10^38. */
static bool parse_decimal(const char *s, size_t n, int scale, __int128 *v, sc_fit *fit)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    char digs[80];
    int nd = 0;     /* significant digits kept (leading zeros stripped) */
    long exp10 = 0; /* value = digits * 10^exp10 */
    bool dropped_nz = false, any = false;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        any = true;
        if (nd || s[i] != '0') {
            if (nd < 60)
                digs[nd++] = s[i];
            else {
                exp10++;
                dropped_nz |= s[i] != '0';
            }
        }
        i++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            any = true;
            if (nd || s[i] != '0') {
                if (nd < 60) {
                    digs[nd++] = s[i];
                    exp10--;
                } else {
                    dropped_nz |= s[i] != '0';
                }
            } else {
                exp10--;
            }
            i++;
        }
    }
    if (!any || (i == start)) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        size_t es = i;
        long e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (e < 1000000) e = e * 10 + (s[i] - '0');
            i++;
        }
        if (i == es) return false;
        exp10 += eneg ? -e : e;
    }
    if (i != n) return false;
    if (nd == 0) {
        *v = 0;
        *fit = dropped_nz ? SC_FIT_INEXACT : SC_FIT_EXACT;
        return true;
    }
    long k = exp10 + scale;
    __int128 q = 0;
    bool inexact = dropped_nz;
    int keep = k >= 0 ? nd : (int)(nd + k > 0 ? nd + k : 0);
    if (k >= 0 && nd + k > 38) {
        *fit = neg ? SC_FIT_BELOW : SC_FIT_ABOVE;
        return true;
    }
    if (keep > 38) {
        *fit = neg ? SC_FIT_BELOW : SC_FIT_ABOVE;
        return true;
    }
    for (int j = 0; j < keep; j++)
        q = q * 10 + (digs[j] - '0');
    for (int j = keep; j < nd; j++)
        inexact |= digs[j] != '0';
    if (k > 0) q *= pow10_i128((int)k);
    if (neg) {
        q = -q;
        if (inexact) q -= 1; /* floor */
    }
    *v = q;
    *fit = inexact ? SC_FIT_INEXACT : SC_FIT_EXACT;
    return true;
}

static void int_range(ls_type t, int64_t *lo, int64_t *hi)
{
    switch (t) {
    case LS_INT8:
        *lo = INT8_MIN, *hi = INT8_MAX;
        break;
    case LS_INT16:
        *lo = INT16_MIN, *hi = INT16_MAX;
        break;
    case LS_INT32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        break;
    default:
        *lo = INT64_MIN, *hi = INT64_MAX;
        break;
    }
}

/* Clamps an i128 floor value into [lo, hi]; values outside become ABOVE/BELOW. */
static void fit_range_i128(__int128 q, sc_fit *fit, __int128 lo, __int128 hi)
{
    if (*fit == SC_FIT_ABOVE || *fit == SC_FIT_BELOW) return;
    if (q > hi || (q == hi && *fit == SC_FIT_INEXACT))
        *fit = SC_FIT_ABOVE;
    else if (q < lo)
        *fit = SC_FIT_BELOW;
}

static bool text_ieq(const char *s, size_t n, const char *w)
{
    return ls_strn_ieq(s, n, w);
}

int sc_value_from_text(const ls_field *f, const char *text, size_t n, sc_lit_kind kind,
                       sc_value *out, sc_fit *fit, ls_error *err)
{
    memset(out, 0, sizeof *out);
    *fit = SC_FIT_EXACT;
    const char *tn = ls_type_name(f->type);
    switch (f->type) {
    case LS_BOOLEAN:
        if (kind == SC_LIT_DATE || kind == SC_LIT_TIMESTAMP) break;
        if (text_ieq(text, n, "true"))
            out->i = 1;
        else if (text_ieq(text, n, "false"))
            out->i = 0;
        else
            break;
        return LS_OK;
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
    case LS_INT64: {
        if (kind == SC_LIT_DATE || kind == SC_LIT_TIMESTAMP) break;
        __int128 q;
        if (!parse_decimal(text, n, 0, &q, fit)) break;
        int64_t lo, hi;
        int_range(f->type, &lo, &hi);
        fit_range_i128(q, fit, lo, hi);
        if (*fit == SC_FIT_EXACT || *fit == SC_FIT_INEXACT) out->i = (int64_t)q;
        return LS_OK;
    }
    case LS_DECIMAL: {
        if (kind == SC_LIT_DATE || kind == SC_LIT_TIMESTAMP) break;
        __int128 q;
        if (!parse_decimal(text, n, f->scale, &q, fit)) break;
        __int128 lim = pow10_i128(f->precision) - 1;
        if (lim >= I128_10_38) lim = I128_10_38 - 1;
        fit_range_i128(q, fit, -lim, lim);
        if (*fit == SC_FIT_EXACT || *fit == SC_FIT_INEXACT) out->x = q;
        return LS_OK;
    }
    case LS_FLOAT:
    case LS_DOUBLE: {
        if (kind == SC_LIT_DATE || kind == SC_LIT_TIMESTAMP || n == 0 || n > 400) break;
        char tmp[401];
        memcpy(tmp, text, n);
        tmp[n] = 0;
        double d;
        if (text_ieq(text, n, "nan"))
            d = NAN;
        else if (text_ieq(text, n, "infinity") || text_ieq(text, n, "+infinity") ||
                 text_ieq(text, n, "inf"))
            d = INFINITY;
        else if (text_ieq(text, n, "-infinity") || text_ieq(text, n, "-inf"))
            d = -INFINITY;
        else {
            /* only plain decimal syntax: strtod would also take hex and "infinity" forms */
            for (size_t k = 0; k < n; k++)
                if (!strchr("0123456789+-.eE", tmp[k])) goto bad;
            char *end;
            errno = 0;
            if (f->type == LS_FLOAT) {
                float fv = strtof(tmp, &end);
                if (end != tmp + n) break;
                out->f = fv;
                return LS_OK;
            }
            d = strtod(tmp, &end);
            if (end != tmp + n) break;
        }
        if (f->type == LS_FLOAT)
            out->f = (float)d;
        else
            out->d = d;
        return LS_OK;
    }
    case LS_DATE: {
        int32_t days;
        if (kind != SC_LIT_TIMESTAMP && ls_parse_date(text, n, &days)) {
            out->i = days;
            return LS_OK;
        }
        int64_t us;
        bool tz;
        if (!ls_parse_timestamp(text, n, &us, &tz)) break;
        int64_t d = us / 86400000000LL, r = us % 86400000000LL;
        if (r < 0) {
            d--;
            r += 86400000000LL;
        }
        out->i = d;
        *fit = r ? SC_FIT_INEXACT : SC_FIT_EXACT;
        return LS_OK;
    }
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ: {
        int64_t us;
        bool tz;
        if (!ls_parse_timestamp(text, n, &us, &tz)) break;
        out->i = us;
        return LS_OK;
    }
    case LS_STRING:
    case LS_BINARY:
        out->s = text;
        out->n = n;
        return LS_OK;
    default:
        return ls_err(err, LS_ERR_INVALID, "column '%s' of type %s cannot be compared", f->name,
                      tn);
    }
bad:
    return ls_err(err, LS_ERR_INVALID, "'%.*s' is not a valid %s value for column '%s'",
                  (int)(n > 200 ? 200 : n), text, tn, f->name);
}

/* ---- parsing -------------------------------------------------------------------- */

typedef struct lit {
    sc_lit_kind kind;
    const char *text; /* arena */
    size_t n;
    size_t at; /* offset, for messages */
} lit;

typedef struct praw {
    int n_segs;
    char **segs; /* arena */
    size_t at;
    sc_op op;
    int n_lits;
    lit *lits;
} praw;

typedef struct parser {
    const char *s;
    size_t n, i;
    ls_arena *arena;
    ls_error *err;
} parser;

static void skip_ws(parser *p)
{
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static bool ident_char(char c)
{
    return c && !strchr(" \t\r\n.()<>=!,'`\"", c);
}

/* Matches a keyword (case-insensitive) followed by a non-identifier char. */
static bool kw(parser *p, const char *w)
{
    size_t l = strlen(w);
    if (p->i + l > p->n || !ls_strn_ieq(p->s + p->i, l, w)) return false;
    if (p->i + l < p->n && ident_char(p->s[p->i + l])) return false;
    p->i += l;
    return true;
}

static int perr(parser *p, const char *what)
{
    if (p->i >= p->n)
        return ls_err(p->err, LS_ERR_INVALID, "--where: %s at the end of '%s'", what, p->s);
    return ls_err(p->err, LS_ERR_INVALID, "--where: %s at offset %zu ('%.20s')", what, p->i,
                  p->s + p->i);
}

static int parse_quoted(parser *p, char q, const char **out, size_t *n)
{
    size_t at = p->i;
    p->i++; /* opening quote */
    ls_buf b = {0};
    for (;;) {
        if (p->i >= p->n) {
            ls_buf_free(&b);
            p->i = at;
            return perr(p, "unterminated quoted text");
        }
        char c = p->s[p->i++];
        if (c == q) {
            if (p->i < p->n && p->s[p->i] == q) { /* doubled quote */
                ls_buf_putc(&b, (uint8_t)q);
                p->i++;
                continue;
            }
            break;
        }
        if (c == '\\' && q != '`' && p->i < p->n && (p->s[p->i] == q || p->s[p->i] == '\\')) {
            ls_buf_putc(&b, (uint8_t)p->s[p->i++]);
            continue;
        }
        ls_buf_putc(&b, (uint8_t)c);
    }
    *out = ls_arena_strndup(p->arena, (const char *)b.data ? (const char *)b.data : "", b.len);
    *n = b.len;
    ls_buf_free(&b);
    return LS_OK;
}

static int parse_path(parser *p, praw *r)
{
    int cap = 4;
    r->segs = ls_arena_alloc(p->arena, (size_t)cap * sizeof(char *));
    r->n_segs = 0;
    r->at = p->i;
    for (;;) {
        const char *seg;
        size_t len;
        if (p->i < p->n && p->s[p->i] == '`') {
            int rc = parse_quoted(p, '`', &seg, &len);
            if (rc) return rc;
        } else {
            size_t st = p->i;
            while (p->i < p->n && ident_char(p->s[p->i]))
                p->i++;
            if (p->i == st) return perr(p, "expected a column name");
            seg = ls_arena_strndup(p->arena, p->s + st, p->i - st);
            len = p->i - st;
        }
        (void)len;
        if (r->n_segs == cap) {
            char **ns = ls_arena_alloc(p->arena, (size_t)cap * 2 * sizeof(char *));
            memcpy(ns, r->segs, (size_t)cap * sizeof(char *));
            r->segs = ns;
            cap *= 2;
        }
        r->segs[r->n_segs++] = (char *)seg;
        if (p->i < p->n && p->s[p->i] == '.') {
            p->i++;
            continue;
        }
        return LS_OK;
    }
}

static int parse_lit(parser *p, lit *l)
{
    skip_ws(p);
    l->at = p->i;
    if (p->i >= p->n) return perr(p, "expected a value");
    char c = p->s[p->i];
    if (c == '\'' || c == '"') {
        l->kind = SC_LIT_STRING;
        return parse_quoted(p, c, &l->text, &l->n);
    }
    size_t save = p->i;
    sc_lit_kind k = SC_LIT_BARE;
    if (kw(p, "DATE"))
        k = SC_LIT_DATE;
    else if (kw(p, "TIMESTAMP") || kw(p, "TIMESTAMP_NTZ"))
        k = SC_LIT_TIMESTAMP;
    if (k != SC_LIT_BARE) {
        skip_ws(p);
        if (p->i < p->n && (p->s[p->i] == '\'' || p->s[p->i] == '"')) {
            l->kind = k;
            return parse_quoted(p, p->s[p->i], &l->text, &l->n);
        }
        p->i = save; /* a bare word that happens to be DATE */
    }
    size_t st = p->i;
    while (p->i < p->n && !strchr(" \t\r\n(),'\"`", p->s[p->i]))
        p->i++;
    if (p->i == st) return perr(p, "expected a value");
    if (ls_strn_ieq(p->s + st, p->i - st, "null")) {
        p->i = st;
        return perr(p, "comparison with NULL is never true (use IS NULL / IS NOT NULL)");
    }
    l->kind = SC_LIT_BARE;
    l->text = ls_arena_strndup(p->arena, p->s + st, p->i - st);
    l->n = p->i - st;
    return LS_OK;
}

static int parse_cond(parser *p, praw *r)
{
    skip_ws(p);
    int rc = parse_path(p, r);
    if (rc) return rc;
    skip_ws(p);
    r->n_lits = 0;
    r->lits = NULL;
    if (kw(p, "IS")) {
        skip_ws(p);
        bool neg = kw(p, "NOT");
        skip_ws(p);
        if (!kw(p, "NULL")) return perr(p, "expected NULL after IS");
        r->op = neg ? SC_NOT_NULL : SC_IS_NULL;
        return LS_OK;
    }
    bool neg = false;
    if (kw(p, "NOT")) {
        neg = true;
        skip_ws(p);
        if (!(p->i + 2 <= p->n && ls_strn_ieq(p->s + p->i, 2, "IN")))
            return perr(p, "expected IN after NOT");
    }
    if (kw(p, "IN")) {
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != '(') return perr(p, "expected '(' after IN");
        p->i++;
        int cap = 4;
        r->lits = ls_arena_alloc(p->arena, (size_t)cap * sizeof(lit));
        for (;;) {
            if (r->n_lits == cap) {
                lit *nl = ls_arena_alloc(p->arena, (size_t)cap * 2 * sizeof(lit));
                memcpy(nl, r->lits, (size_t)cap * sizeof(lit));
                r->lits = nl;
                cap *= 2;
            }
            if ((rc = parse_lit(p, &r->lits[r->n_lits]))) return rc;
            r->n_lits++;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == ')') {
                p->i++;
                break;
            }
            return perr(p, "expected ',' or ')' in the IN list");
        }
        r->op = neg ? SC_NOT_IN : SC_IN;
        return LS_OK;
    }
    static const struct {
        const char *t;
        sc_op op;
    } ops[] = {{"==", SC_EQ}, {"!=", SC_NE}, {"<>", SC_NE}, {"<=", SC_LE},
               {">=", SC_GE}, {"=", SC_EQ},  {"<", SC_LT},  {">", SC_GT}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t l = strlen(ops[k].t);
        if (p->i + l <= p->n && memcmp(p->s + p->i, ops[k].t, l) == 0) {
            p->i += l;
            r->op = ops[k].op;
            r->lits = ls_arena_alloc(p->arena, sizeof(lit));
            r->n_lits = 1;
            return parse_lit(p, &r->lits[0]);
        }
    }
    return perr(p, "expected a comparison (= != < <= > >=), IS [NOT] NULL or [NOT] IN");
}

/* ---- binding ------------------------------------------------------------------ */

static char *join_path(const ls_field *const *segs, int n)
{
    ls_buf b = {0};
    for (int i = 0; i < n; i++) {
        if (i) ls_buf_putc(&b, '.');
        ls_buf_puts(&b, segs[i]->name);
    }
    char *s = ls_xstrdup(ls_buf_cstr(&b));
    ls_buf_free(&b);
    return s;
}

static char *raw_path(const praw *r)
{
    ls_buf b = {0};
    for (int i = 0; i < r->n_segs; i++) {
        if (i) ls_buf_putc(&b, '.');
        ls_buf_puts(&b, r->segs[i]);
    }
    char *s = ls_xstrdup(ls_buf_cstr(&b));
    ls_buf_free(&b);
    return s;
}

/* Rewrites a comparison whose literal did not fit exactly (see the file comment). */
static sc_op adjust_op(sc_op op, sc_fit fit)
{
    if (fit == SC_FIT_EXACT) return op;
    if (op == SC_EQ) return SC_FALSE;
    if (op == SC_NE) return SC_NOT_NULL;
    if (fit == SC_FIT_INEXACT) /* literal in (v, v+1) */
        return op == SC_LT || op == SC_LE ? SC_LE : SC_GT;
    bool above = fit == SC_FIT_ABOVE;
    if (op == SC_LT || op == SC_LE) return above ? SC_NOT_NULL : SC_FALSE;
    return above ? SC_FALSE : SC_NOT_NULL;
}

static int bind_one(sc_pred *pr, const praw *r, const ls_schema *schema, const char *const *pcols,
                    int n_pcols, sc_conj *c, ls_error *err)
{
    memset(c, 0, sizeof *c);
    const ls_field *cur = &schema->root;
    c->segs = ls_xcalloc((size_t)r->n_segs, sizeof(ls_field *));
    for (int i = 0; i < r->n_segs; i++) {
        if (cur->type != LS_STRUCT) {
            char *rp = raw_path(r);
            int rc = ls_err(err, LS_ERR_INVALID,
                            "--where: cannot filter on '%s': '%s' is %s, not a struct", rp,
                            cur->name, ls_type_name(cur->type));
            free(rp);
            return rc;
        }
        const ls_field *ch = ls_field_find_child(cur, r->segs[i], strlen(r->segs[i]));
        if (!ch) {
            char *rp = raw_path(r);
            int rc = ls_err(err, LS_ERR_INVALID, "--where: unknown column '%s'", rp);
            free(rp);
            return rc;
        }
        c->segs[i] = ch;
        cur = ch;
    }
    c->n_segs = r->n_segs;
    c->field = cur;
    c->path = join_path(c->segs, c->n_segs);
    c->cls = sc_field_class(cur);
    if (c->cls == SC_C_NONE)
        return ls_err(err, LS_ERR_INVALID, "--where: cannot compare column '%s' of type %s",
                      c->path, ls_type_name(cur->type));
    if (c->n_segs == 1)
        for (int k = 0; k < n_pcols; k++)
            if (ls_str_ieq(pcols[k], cur->name)) c->is_partition = true;
    c->op = r->op;
    if (r->op == SC_IS_NULL || r->op == SC_NOT_NULL) return LS_OK;
    if (r->op == SC_IN || r->op == SC_NOT_IN) {
        c->list = ls_arena_alloc(&pr->arena, (size_t)r->n_lits * sizeof(sc_value));
        for (int k = 0; k < r->n_lits; k++) {
            const lit *l = &r->lits[k];
            sc_value v;
            sc_fit fit;
            int rc = sc_value_from_text(cur, l->text, l->n, l->kind, &v, &fit, err);
            if (rc) return ls_err_prefix(err, "--where (offset %zu)", l->at);
            if (fit != SC_FIT_EXACT) continue; /* can never be equal to a value of the column */
            bool dup = false;
            for (size_t j = 0; j < c->n_list && !dup; j++)
                dup = sc_value_cmp(c->cls, &c->list[j], &v) == 0;
            if (!dup) c->list[c->n_list++] = v;
        }
        if (c->n_list == 0) c->op = r->op == SC_IN ? SC_FALSE : SC_NOT_NULL;
        return LS_OK;
    }
    const lit *l = &r->lits[0];
    sc_fit fit;
    int rc = sc_value_from_text(cur, l->text, l->n, l->kind, &c->v, &fit, err);
    if (rc) return ls_err_prefix(err, "--where (offset %zu)", l->at);
    c->op = adjust_op(r->op, fit);
    return LS_OK;
}

int sc_pred_compile(const char *text, const ls_schema *schema, const char *const *pcols,
                    int n_pcols, sc_pred **out, ls_error *err)
{
    *out = NULL;
    sc_pred *pr = ls_xcalloc(1, sizeof *pr);
    ls_arena_init(&pr->arena, 4096);
    parser p = {text, strlen(text), 0, &pr->arena, err};
    int cap = 4, n = 0;
    praw *raws = ls_xmalloc((size_t)cap * sizeof(praw));
    int rc = LS_OK;
    skip_ws(&p);
    if (p.i >= p.n) rc = ls_err(err, LS_ERR_INVALID, "--where: empty predicate");
    while (!rc) {
        if (n == cap) {
            cap *= 2;
            raws = ls_xrealloc(raws, (size_t)cap * sizeof(praw));
        }
        if ((rc = parse_cond(&p, &raws[n]))) break;
        n++;
        skip_ws(&p);
        if (p.i >= p.n) break;
        if (kw(&p, "AND")) continue;
        if (kw(&p, "OR")) {
            p.i -= 2;
            rc = perr(&p, "OR is not supported (only conditions joined by AND)");
        } else {
            rc = perr(&p, "expected AND or the end of the predicate");
        }
    }
    if (!rc) {
        pr->c = ls_xcalloc((size_t)n, sizeof(sc_conj));
        for (int i = 0; i < n && !rc; i++) {
            rc = bind_one(pr, &raws[i], schema, pcols, n_pcols, &pr->c[i], err);
            pr->n = i + 1;
        }
    }
    free(raws);
    if (rc) {
        sc_pred_free(pr);
        return rc;
    }
    *out = pr;
    return LS_OK;
}

void sc_pred_free(sc_pred *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) {
        free(p->c[i].path);
        free(p->c[i].segs);
    }
    free(p->c);
    ls_arena_free(&p->arena);
    free(p);
}

/* ---- evaluation ------------------------------------------------------------------ */

/* acc[cmp + 1] says whether a comparison result (-1, 0, 1) satisfies op. */
static void op_accept(sc_op op, uint8_t acc[3])
{
    acc[0] = op == SC_NE || op == SC_LT || op == SC_LE;
    acc[1] = op == SC_EQ || op == SC_LE || op == SC_GE;
    acc[2] = op == SC_NE || op == SC_GT || op == SC_GE;
}

static bool in_list(const sc_conj *c, const sc_value *v)
{
    for (size_t k = 0; k < c->n_list; k++)
        if (sc_value_cmp(c->cls, &c->list[k], v) == 0) return true;
    return false;
}

bool sc_conj_eval_value(const sc_conj *c, bool is_null, const sc_value *v)
{
    switch (c->op) {
    case SC_IS_NULL:
        return is_null;
    case SC_NOT_NULL:
        return !is_null;
    case SC_FALSE:
        return false;
    case SC_IN:
        return !is_null && in_list(c, v);
    case SC_NOT_IN:
        return !is_null && !in_list(c, v);
    default: {
        if (is_null) return false;
        uint8_t acc[3];
        op_accept(c->op, acc);
        return acc[sc_value_cmp(c->cls, v, &c->v) + 1];
    }
    }
}

/* One loop per value representation; TEST(v) yields 0/1 for a present value v. */
#define EVAL_LOOP(T, TEST)                                                                         \
    do {                                                                                           \
        const T *vals_ = (const T *)l->values;                                                     \
        if (!l->def) {                                                                             \
            for (size_t r_ = 0; r_ < n_rows; r_++) {                                               \
                T v = vals_[r_];                                                                   \
                mask[r_] &= (uint8_t)(TEST);                                                       \
            }                                                                                      \
        } else {                                                                                   \
            size_t vi_ = 0;                                                                        \
            const uint8_t md_ = (uint8_t)l->max_def;                                               \
            for (size_t r_ = 0; r_ < n_rows; r_++) {                                               \
                if (l->def[r_] == md_) {                                                           \
                    T v = vals_[vi_++];                                                            \
                    mask[r_] &= (uint8_t)(TEST);                                                   \
                } else {                                                                           \
                    mask[r_] &= null_keep;                                                         \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static inline __int128 load_i128(const uint8_t *p)
{
    __int128 v;
    memcpy(&v, p, 16);
    return v;
}

void sc_conj_eval_leaf(const sc_conj *c, const ls_leaf *l, size_t n_rows, uint8_t *mask)
{
    uint8_t null_keep = c->op == SC_IS_NULL;
    if (c->op == SC_FALSE) {
        memset(mask, 0, n_rows);
        return;
    }
    if (c->op == SC_IS_NULL || c->op == SC_NOT_NULL) {
        uint8_t present = c->op == SC_NOT_NULL;
        if (!l->def) {
            if (!present) memset(mask, 0, n_rows);
            return;
        }
        for (size_t r = 0; r < n_rows; r++)
            mask[r] &= (uint8_t)((l->def[r] == l->max_def) == present);
        return;
    }
    if (c->op == SC_IN || c->op == SC_NOT_IN) {
        /* generic path through sc_value: IN lists are short and rare */
        bool want = c->op == SC_IN;
        size_t vi = 0;
        for (size_t r = 0; r < n_rows; r++) {
            bool present = !l->def || l->def[r] == l->max_def;
            if (!present) {
                mask[r] = 0;
                continue;
            }
            sc_value v;
            memset(&v, 0, sizeof v);
            switch (l->phys) {
            case LS_PHYS_BOOL:
                v.i = ((const uint8_t *)l->values)[vi];
                break;
            case LS_PHYS_I32:
                if (c->cls == SC_C_I128)
                    v.x = ((const int32_t *)l->values)[vi];
                else
                    v.i = ((const int32_t *)l->values)[vi];
                break;
            case LS_PHYS_I64:
                if (c->cls == SC_C_I128)
                    v.x = ((const int64_t *)l->values)[vi];
                else
                    v.i = ((const int64_t *)l->values)[vi];
                break;
            case LS_PHYS_F32:
                v.f = ((const float *)l->values)[vi];
                break;
            case LS_PHYS_F64:
                v.d = ((const double *)l->values)[vi];
                break;
            case LS_PHYS_I128:
                v.x = load_i128((const uint8_t *)l->values + 16 * vi);
                break;
            case LS_PHYS_BYTES: {
                size_t len;
                v.s = (const char *)ls_leaf_bytes_at(l, vi, &len);
                v.n = len;
                break;
            }
            default:
                break;
            }
            vi++;
            mask[r] &= (uint8_t)(in_list(c, &v) == want);
        }
        return;
    }
    uint8_t acc[3];
    op_accept(c->op, acc);
    null_keep = 0;
    switch (l->phys) {
    case LS_PHYS_BOOL: {
        int64_t lit = c->v.i;
        EVAL_LOOP(uint8_t, acc[((int64_t)v > lit) - ((int64_t)v < lit) + 1]);
        break;
    }
    case LS_PHYS_I32:
        if (c->cls == SC_C_I128) {
            __int128 lit = c->v.x;
            EVAL_LOOP(int32_t, acc[((__int128)v > lit) - ((__int128)v < lit) + 1]);
        } else {
            int64_t lit = c->v.i;
            EVAL_LOOP(int32_t, acc[((int64_t)v > lit) - ((int64_t)v < lit) + 1]);
        }
        break;
    case LS_PHYS_I64:
        if (c->cls == SC_C_I128) {
            __int128 lit = c->v.x;
            EVAL_LOOP(int64_t, acc[((__int128)v > lit) - ((__int128)v < lit) + 1]);
        } else {
            int64_t lit = c->v.i;
            EVAL_LOOP(int64_t, acc[(v > lit) - (v < lit) + 1]);
        }
        break;
    case LS_PHYS_F32: {
        float lit = c->v.f;
        EVAL_LOOP(float, acc[cmp_f64(v, lit) + 1]);
        break;
    }
    case LS_PHYS_F64: {
        double lit = c->v.d;
        EVAL_LOOP(double, acc[cmp_f64(v, lit) + 1]);
        break;
    }
    case LS_PHYS_I128: {
        __int128 lit = c->v.x;
        size_t vi = 0;
        for (size_t r = 0; r < n_rows; r++) {
            if (!l->def || l->def[r] == l->max_def) {
                __int128 v = load_i128((const uint8_t *)l->values + 16 * vi++);
                mask[r] &= acc[(v > lit) - (v < lit) + 1];
            } else {
                mask[r] = 0;
            }
        }
        break;
    }
    case LS_PHYS_BYTES: {
        size_t vi = 0;
        for (size_t r = 0; r < n_rows; r++) {
            if (!l->def || l->def[r] == l->max_def) {
                size_t len;
                const uint8_t *p = ls_leaf_bytes_at(l, vi++, &len);
                mask[r] &= acc[cmp_bytes((const char *)p, len, c->v.s, c->v.n) + 1];
            } else {
                mask[r] = 0;
            }
        }
        break;
    }
    default:
        break;
    }
}

/* ---- pruning by statistics --------------------------------------------------------- */

static bool stat_value(const sc_conj *c, const char *t, size_t n, bool is_str, bool is_max,
                       sc_value *v)
{
    ls_error e = {0};
    sc_fit fit;
    if (sc_value_from_text(c->field, t, n, is_str ? SC_LIT_STRING : SC_LIT_BARE, v, &fit, &e))
        return false;
    if (fit == SC_FIT_ABOVE || fit == SC_FIT_BELOW) return false;
    if (fit == SC_FIT_INEXACT && is_max) { /* floor -> an upper bound one step up */
        if (c->cls == SC_C_I64) {
            if (v->i == INT64_MAX) return false;
            v->i++;
        } else if (c->cls == SC_C_I128) {
            v->x++;
        }
    }
    if (c->cls == SC_C_F64 && isfinite(v->d)) {
        /* a DOUBLE column may have been widened from FLOAT (typeWidening): old files'
         * stats are the float's shortest text, up to half a float ulp off the double */
        double slack = fabs(v->d) * 1.2e-7;
        v->d += is_max ? slack : -slack;
    }
    if (is_max && (c->field->type == LS_TIMESTAMP || c->field->type == LS_TIMESTAMP_NTZ)) {
        /* stats are truncated to milliseconds: the true max may be up to 999 us larger */
        if (v->i > INT64_MAX - 999) return false;
        v->i += 999;
    }
    return true;
}

bool sc_conj_may_match(const sc_conj *c, const sc_colstats *st)
{
    sc_bounds b;
    memset(&b, 0, sizeof b);
    b.has_num_records = st->has_num_records;
    b.num_records = st->num_records;
    b.has_null_count = st->has_null_count;
    b.null_count = st->null_count;
    /* only what the comparisons need: a failed conversion just loses that bound */
    bool cmp = c->op != SC_FALSE && c->op != SC_IS_NULL && c->op != SC_NOT_NULL;
    b.has_min = cmp && st->has_min &&
                stat_value(c, st->min_text, st->min_len, st->min_is_string, false, &b.min);
    b.has_max = cmp && st->has_max &&
                stat_value(c, st->max_text, st->max_len, st->max_is_string, true, &b.max);
    /* timestamps are truncated to milliseconds in Delta stats: never "all equal" */
    b.eq_exact = c->field->type != LS_TIMESTAMP && c->field->type != LS_TIMESTAMP_NTZ;
    return sc_conj_may_match_bounds(c, &b);
}

bool sc_conj_may_match_bounds(const sc_conj *c, const sc_bounds *b)
{
    if (b->has_num_records && b->num_records == 0) return false;
    bool all_null = b->has_null_count && b->has_num_records && b->null_count >= b->num_records;
    switch (c->op) {
    case SC_FALSE:
        return false;
    case SC_IS_NULL:
        return !(b->has_null_count && b->null_count == 0);
    case SC_NOT_NULL:
        return !all_null;
    default:
        break;
    }
    if (all_null) return false;
    bool has_min = b->has_min, has_max = b->has_max;
    const sc_value *mn = &b->min, *mx = &b->max;
    if (!has_min && !has_max) return true;
    sc_class k = c->cls;
    switch (c->op) {
    case SC_EQ:
        return !((has_min && sc_value_cmp(k, &c->v, mn) < 0) ||
                 (has_max && sc_value_cmp(k, &c->v, mx) > 0));
    case SC_NE:
        return !(b->eq_exact && has_min && has_max && sc_value_cmp(k, mn, &c->v) == 0 &&
                 sc_value_cmp(k, mx, &c->v) == 0);
    case SC_LT:
        return !(has_min && sc_value_cmp(k, mn, &c->v) >= 0);
    case SC_LE:
        return !(has_min && sc_value_cmp(k, mn, &c->v) > 0);
    case SC_GT:
        return !(has_max && sc_value_cmp(k, mx, &c->v) <= 0);
    case SC_GE:
        return !(has_max && sc_value_cmp(k, mx, &c->v) < 0);
    case SC_IN:
        for (size_t j = 0; j < c->n_list; j++) {
            const sc_value *x = &c->list[j];
            if (!((has_min && sc_value_cmp(k, x, mn) < 0) ||
                  (has_max && sc_value_cmp(k, x, mx) > 0)))
                return true;
        }
        return false;
    case SC_NOT_IN:
        if (b->eq_exact && has_min && has_max && sc_value_cmp(k, mn, mx) == 0 && in_list(c, mn))
            return false;
        return true;
    default:
        return true;
    }
}
