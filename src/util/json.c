/*
 * json.c - a small strict JSON DOM (RFC 8259) for documents such as Delta log
 * actions, _last_checkpoint, stats and schema strings.
 *
 * Everything the DOM holds is allocated from the caller's arena, so a whole
 * document is released with one ls_arena_reset. Containers are built on a
 * parser-local value stack and copied into the arena when they close, which
 * keeps each array/object a single contiguous allocation. Nesting is limited
 * to LS_JSON_MAX_DEPTH so hostile input cannot exhaust the C stack. Strings
 * must be valid UTF-8; \u escapes are decoded incl. surrogate pairs (lone
 * surrogates are rejected). Every error names the byte offset.
 */
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct jstack_ent {
    ls_json v;
    const char *key;
    size_t key_len;
} jstack_ent;

typedef struct jparser {
    const char *s;
    size_t n, i;
    ls_arena *arena;
    ls_error *err;
    jstack_ent *stack; /* pending members of the open containers */
    size_t sp, cap;
    bool heap;
    int depth;
} jparser;

#define JSTACK_INLINE 64

static int jerr(jparser *p, size_t at, const char *what)
{
    return ls_err(p->err, LS_ERR_CORRUPT, "json: %s at offset %zu", what, at);
}

static inline void skip_ws(jparser *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            break;
        p->i++;
    }
}

static jstack_ent *stack_push(jparser *p)
{
    if (p->sp == p->cap) {
        size_t nc = p->cap * 2;
        jstack_ent *ns = ls_xmalloc(nc * sizeof *ns);
        memcpy(ns, p->stack, p->sp * sizeof *ns);
        if (p->heap)
            free(p->stack);
        p->stack = ns;
        p->cap = nc;
        p->heap = true;
    }
    return &p->stack[p->sp++];
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex4(const char *s, size_t n, size_t at, unsigned *out)
{
    if (at + 4 > n)
        return false;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s[at + (size_t)k]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}


static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Non-zero when some byte of w is '"', '\\', < 0x20 or >= 0x80. */
static inline uint64_t swar_special(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    uint64_t zq = (q - ONES) & ~q;
    uint64_t zb = (b - ONES) & ~b;
    uint64_t lt = (w - ONES * 0x20) & ~w;
    return (zq | zb | lt | w) & HIGHS;
}

/* p->i is at the opening quote. Produces an arena copy, unescaped and NUL-terminated. */
static int parse_string(jparser *p, const char **out, size_t *out_len)
{
    const char *s = p->s;
    size_t n = p->n;
    size_t start = ++p->i;
    size_t i = start;
    bool escapes = false;
    /* Pass 1: validate and find the end. */
    for (;;) {
        /* skip 8 plain ASCII bytes at a time (no quote, backslash, control or non-ASCII) */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (swar_special(w))
                break;
            i += 8;
        }
        if (LS_UNLIKELY(i >= n))
            return jerr(p, start - 1, "unterminated string");
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            break;
        if (c == '\\') {
            escapes = true;
            if (i + 1 >= n)
                return jerr(p, i, "unterminated escape");
            char e = s[i + 1];
            if (e == 'u') {
                unsigned cp;
                if (!hex4(s, n, i + 2, &cp))
                    return jerr(p, i, "invalid \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (i + 7 >= n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
                        !hex4(s, n, i + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return jerr(p, i, "unpaired UTF-16 surrogate in \\u escape");
                    i += 12;
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return jerr(p, i, "unpaired UTF-16 surrogate in \\u escape");
                } else {
                    i += 6;
                }
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                i += 2;
            } else {
                return jerr(p, i, "invalid escape");
            }
        } else if (c < 0x20) {
            return jerr(p, i, "control character in string");
        } else if (c < 0x80) {
            i++;
        } else {
            size_t k = ls_utf8_seq((const uint8_t *)s + i, n - i);
            if (!k)
                return jerr(p, i, "invalid UTF-8 in string");
            i += k;
        }
    }
    size_t raw = i - start;
    p->i = i + 1;
    if (!escapes) {
        *out = ls_arena_strndup(p->arena, s + start, raw);
        *out_len = raw;
        return LS_OK;
    }
    /* Pass 2: decode (escapes never expand the text). */
    char *o = ls_arena_alloc(p->arena, raw + 1);
    size_t w = 0;
    for (size_t j = start; j < i;) {
        char c = s[j];
        if (c != '\\') {
            const char *bs = memchr(s + j, '\\', i - j);
            size_t run = bs ? (size_t)(bs - (s + j)) : i - j;
            memcpy(o + w, s + j, run);
            w += run;
            j += run;
            continue;
        }
        char e = s[j + 1];
        switch (e) {
        case 'b': o[w++] = '\b'; j += 2; break;
        case 'f': o[w++] = '\f'; j += 2; break;
        case 'n': o[w++] = '\n'; j += 2; break;
        case 'r': o[w++] = '\r'; j += 2; break;
        case 't': o[w++] = '\t'; j += 2; break;
        case 'u': {
            unsigned cp, lo;
            hex4(s, n, j + 2, &cp);
            j += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                hex4(s, n, j + 2, &lo);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                j += 6;
            }
            w += put_utf8(o + w, cp);
            break;
        }
        default: o[w++] = e; j += 2; break; /* " \ / */
        }
    }
    o[w] = 0;
    *out = o;
    *out_len = w;
    return LS_OK;
}

static int parse_number(jparser *p, ls_json *v)
{
    const char *s = p->s;
    size_t n = p->n, st = p->i, i = p->i;
    bool neg = false, is_int = true;
    if (s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n || s[i] < '0' || s[i] > '9')
        return jerr(p, st, "invalid number");
    uint64_t mant = 0;
    int ndig = 0;
    if (s[i] == '0') {
        i++;
        ndig = 1;
    } else {
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (ndig < 19)
                mant = mant * 10 + (uint64_t)(s[i] - '0');
            ndig++;
            i++;
        }
    }
    if (i < n && s[i] == '.') {
        is_int = false;
        i++;
        size_t fs = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == fs)
            return jerr(p, st, "invalid number (digits expected after '.')");
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        is_int = false;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t es = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == es)
            return jerr(p, st, "invalid number (digits expected in exponent)");
    }
    size_t len = i - st;
    char *t = ls_arena_strndup(p->arena, s + st, len);
    v->type = LS_JSON_NUMBER;
    v->text = t;
    v->len = len;
    if (is_int && ndig <= 15)
        v->num = neg ? -(double)mant : (double)mant; /* exact */
    else
        v->num = strtod(t, NULL);
    p->i = i;
    return LS_OK;
}

static bool lit(jparser *p, const char *w, size_t wl)
{
    if (p->n - p->i < wl || memcmp(p->s + p->i, w, wl) != 0)
        return false;
    p->i += wl;
    return true;
}

static int parse_value(jparser *p, ls_json *v);

/* Moves the top `count` stack entries into an arena array/object. */
static void close_container(jparser *p, ls_json *v, size_t base, bool object)
{
    size_t cnt = p->sp - base;
    v->n = cnt;
    v->items = NULL;
    v->keys = NULL;
    v->key_lens = NULL;
    if (cnt) {
        v->items = ls_arena_alloc(p->arena, cnt * sizeof(ls_json));
        for (size_t k = 0; k < cnt; k++)
            v->items[k] = p->stack[base + k].v;
        if (object) {
            v->keys = ls_arena_alloc(p->arena, cnt * sizeof(char *));
            v->key_lens = ls_arena_alloc(p->arena, cnt * sizeof(size_t));
            for (size_t k = 0; k < cnt; k++) {
                v->keys[k] = p->stack[base + k].key;
                v->key_lens[k] = p->stack[base + k].key_len;
            }
        }
    }
    p->sp = base;
}

static int parse_container(jparser *p, ls_json *v, bool object)
{
    size_t open_at = p->i;
    if (++p->depth > LS_JSON_MAX_DEPTH)
        return jerr(p, open_at, "nesting too deep");
    p->i++;
    size_t base = p->sp;
    v->type = object ? LS_JSON_OBJECT : LS_JSON_ARRAY;
    char close = object ? '}' : ']';
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        close_container(p, v, base, object);
        p->depth--;
        return LS_OK;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        int rc;
        if (object) {
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != '"')
                return jerr(p, p->i, p->i >= p->n ? "unexpected end (object key expected)"
                                                  : "object key (string) expected");
            if ((rc = parse_string(p, &key, &key_len)))
                return rc;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return jerr(p, p->i, "':' expected after object key");
            p->i++;
        }
        ls_json tmp;
        if ((rc = parse_value(p, &tmp)))
            return rc;
        jstack_ent *e = stack_push(p);
        e->v = tmp;
        e->key = key;
        e->key_len = key_len;
        skip_ws(p);
        if (p->i >= p->n)
            return jerr(p, p->i, object ? "unexpected end (',' or '}' expected)"
                                        : "unexpected end (',' or ']' expected)");
        char c = p->s[p->i];
        if (c == ',') {
            p->i++;
            continue;
        }
        if (c == close) {
            p->i++;
            break;
        }
        return jerr(p, p->i, object ? "',' or '}' expected" : "',' or ']' expected");
    }
    close_container(p, v, base, object);
    p->depth--;
    return LS_OK;
}

static int parse_value(jparser *p, ls_json *v)
{
    skip_ws(p);
    memset(v, 0, sizeof *v);
    if (p->i >= p->n)
        return jerr(p, p->i, "unexpected end (value expected)");
    char c = p->s[p->i];
    switch (c) {
    case '{': return parse_container(p, v, true);
    case '[': return parse_container(p, v, false);
    case '"': {
        v->type = LS_JSON_STRING;
        return parse_string(p, &v->text, &v->len);
    }
    case 't':
        if (!lit(p, "true", 4))
            break;
        v->type = LS_JSON_BOOL;
        v->b = true;
        return LS_OK;
    case 'f':
        if (!lit(p, "false", 5))
            break;
        v->type = LS_JSON_BOOL;
        return LS_OK;
    case 'n':
        if (!lit(p, "null", 4))
            break;
        v->type = LS_JSON_NULL;
        return LS_OK;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(p, v);
        break;
    }
    return jerr(p, p->i, "invalid value");
}

int ls_json_parse(const char *text, size_t len, ls_arena *arena, ls_json **out, ls_error *err)
{
    jstack_ent inline_stack[JSTACK_INLINE];
    jparser p = {text, len, 0, arena, err, inline_stack, 0, JSTACK_INLINE, false, 0};
    ls_json *root = ls_arena_alloc(arena, sizeof *root);
    int rc = parse_value(&p, root);
    if (rc == LS_OK) {
        skip_ws(&p);
        if (p.i != p.n)
            rc = jerr(&p, p.i, "unexpected data after the value");
    }
    if (p.heap)
        free(p.stack);
    *out = rc == LS_OK ? root : NULL;
    return rc;
}

const ls_json *ls_json_get(const ls_json *v, const char *key)
{
    if (!v || v->type != LS_JSON_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < v->n; i++)
        if (v->key_lens[i] == kl && memcmp(v->keys[i], key, kl) == 0)
            return &v->items[i];
    return NULL;
}

const char *ls_json_str(const ls_json *v)
{
    return v && v->type == LS_JSON_STRING ? v->text : NULL;
}

bool ls_json_int64(const ls_json *v, int64_t *out)
{
    if (!v || v->type != LS_JSON_NUMBER || !v->text)
        return false;
    const char *s = v->text;
    size_t n = v->len, i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    uint64_t acc = 0;
    size_t ds = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (UINT64_MAX - d) / 10)
            return false;
        acc = acc * 10 + d;
        i++;
    }
    if (i == ds)
        return false;
    if (i == n) {
        uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if (acc > lim)
            return false;
        *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
        return true;
    }
    /* Fraction/exponent: accept when the value is an exact integer a double can hold
     * exactly (e.g. "1.0", "1e3"), as some writers emit longs that way. */
    double d = v->num;
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
        return false;
    *out = (int64_t)d;
    return true;
}

static void write_rec(const ls_json *v, ls_buf *out)
{
    switch (v->type) {
    case LS_JSON_NULL: ls_buf_append(out, "null", 4); break;
    case LS_JSON_BOOL:
        if (v->b)
            ls_buf_append(out, "true", 4);
        else
            ls_buf_append(out, "false", 5);
        break;
    case LS_JSON_NUMBER:
        if (v->text)
            ls_buf_append(out, v->text, v->len);
        else if (isfinite(v->num))
            ls_buf_printf(out, "%.17g", v->num);
        else
            ls_buf_append(out, "null", 4); /* JSON has no NaN/Infinity */
        break;
    case LS_JSON_STRING: ls_buf_json_str(out, v->text ? v->text : "", v->text ? v->len : 0); break;
    case LS_JSON_ARRAY:
        ls_buf_putc(out, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                ls_buf_putc(out, ',');
            write_rec(&v->items[i], out);
        }
        ls_buf_putc(out, ']');
        break;
    case LS_JSON_OBJECT:
        ls_buf_putc(out, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                ls_buf_putc(out, ',');
            ls_buf_json_str(out, v->keys[i], v->key_lens[i]);
            ls_buf_putc(out, ':');
            write_rec(&v->items[i], out);
        }
        ls_buf_putc(out, '}');
        break;
    }
}

void ls_json_write(const ls_json *v, ls_buf *out)
{
    if (!v) {
        ls_buf_append(out, "null", 4);
        return;
    }
    write_rec(v, out);
}
