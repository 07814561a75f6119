/*
 * col_json.c - NDJSON -> shredded batch (the ingest hot path), and schema
 * inference from NDJSON samples.
 *
 * DESIGN
 *   The reader compiles the schema once into a tree of jnodes (field, levels,
 *   leaf range, a small open-addressing name table per struct and a learned
 *   "which member usually follows this one" guess). '\n' terminates every
 *   line: whitespace skipping stops there, string scanning sees a control
 *   character, numbers and literals end, so the lexer needs no bounds checks
 *   and never reads more than 16 bytes (SSE2, 8-byte loads) past that '\n'.
 *   ls_json_read_buffer therefore parses lines in place, without a copy or
 *   a newline search, except the last ones (whose '\n' is less than JPAD
 *   bytes from the end of the data); those, and ls_json_read_line's line,
 *   are copied into a buffer with '\n' and zero padding. The line is walked
 *   once, recursively (depth is bounded by LS_MAX_NESTING), and every value
 *   is written straight into its leaf: no DOM, no per-value allocation, no
 *   function pointers. Absent struct members are detected with a per-struct
 *   "seen" stamp array (one global counter, so nothing is cleared per row)
 *   and filled with nulls at the struct's definition level.
 *   Before a line, each leaf's slot count is recorded; any error truncates
 *   the leaves back (ls_leaf_truncate) so a failed line leaves no trace.
 *
 * CHOICES (documented behaviour)
 *   - Integers: exact, range-checked per type; a number with a zero fraction
 *     or an exponent that makes it integral (3.0, 1e2) is accepted, 3.5 is not.
 *   - FLOAT/DOUBLE: correctly rounded (exact fast paths, else strtod_l/strtof_l
 *     in the C locale). Finite text too large for the type becomes +-Infinity
 *     (IEEE rounding, as Jackson/Spark do). Strings "NaN", "+NaN", "-NaN",
 *     "Infinity", "+Infinity", "-Infinity", "INF", "+INF", "-INF" accepted.
 *   - DECIMAL(p,s): from JSON numbers or strings, exactly; extra fraction
 *     digits are rounded HALF_UP (Spark: BigDecimal.setScale(s, HALF_UP)),
 *     then more than p digits is an error (Spark raises too).
 *   - STRING: full JSON unescaping (\uXXXX, surrogate pairs -> UTF-8). JSON
 *     text must be UTF-8 (RFC 8259): invalid UTF-8 or a lone surrogate
 *     escape makes the whole line malformed (error in both modes), so stored
 *     strings are always valid UTF-8. A non-string value (number, boolean,
 *     object, array) stored into a STRING column keeps its raw JSON text, as
 *     Spark does.
 *   - BINARY: base64 string (standard alphabet, padding optional).
 *   - BOOLEAN: true/false only.
 *   - DATE: "YYYY-MM-DD", or an ISO timestamp string whose date part is
 *     taken as written (Spark's stringToDate ignores the time part).
 *   - TIMESTAMP: ISO strings only (ls_parse_timestamp); no offset = UTC.
 *     JSON numbers are rejected: seconds vs millis vs micros is a guess.
 *   - TIMESTAMP_NTZ: ISO strings without an offset; an offset is an error.
 *   - Duplicate member in one object: strict -> error; non-strict -> the
 *     first value is kept and the later one goes to the rescued object.
 *     Duplicate keys of a MAP object are stored as given (not detected).
 *   - MAP keys: STRING keys as text; other key types are parsed from the key
 *     text (numbers with the JSON number grammar, dates/timestamps as ISO...).
 *     A key that does not convert drops the entry (non-strict, rescued as
 *     "m[key]") or fails the line (strict).
 *   - Non-strict mode: a value that does not fit a nullable field is nulled
 *     and appended to *rescued as {"path": raw JSON, ...}; nothing is
 *     appended when nothing was rescued. Paths: struct members joined by
 *     '.', list elements "[i]", map entries "[key]". Unknown fields are
 *     rescued too unless ignore_unknown_fields. A misfit for a non-nullable
 *     field, null for a non-nullable field, malformed JSON and nesting
 *     deeper than LS_MAX_NESTING fail the line in both modes.
 *   - A UTF-8 byte order mark at the start of a line is skipped.
 *   - ls_json_read_buffer has no rescued output: rescued values are dropped
 *     there (use ls_json_read_line for rescue). It stops at the first
 *     failing line in both modes; *lines_read is then the count of lines
 *     before it (blank ones included), so the failing line is
 *     first_line_no + *lines_read.
 *
 * INFERENCE
 *   Lines are validated first, then merged into an arena tree (first-seen
 *   member order, case-insensitive member matching, first spelling kept).
 *   null-only -> STRING; ints (fitting int64) -> BIGINT; int+double or ints
 *   beyond int64 -> DOUBLE; bool -> BOOLEAN; strings that all parse as
 *   timestamps with an offset/Z -> TIMESTAMP, all "YYYY-MM-DD" -> DATE, else
 *   STRING; any other mix -> STRING (raw JSON text for objects/arrays);
 *   empty objects -> STRING (a struct needs a member); arrays -> ARRAY of
 *   the merged element type (empty arrays contribute nothing; no elements
 *   at all -> ARRAY<STRING>). All fields nullable. At most
 *   LS_INFER_MAX_FIELDS fields (members and list levels). A field name with
 *   \u0000 is refused (it could not round-trip through C strings).
 *   Invariant (fuzzed): every line inference accepted shreds into the
 *   inferred schema, unless it has duplicate keys (merged by inference).
 */
#include "col.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define JPAD 64 /* zero bytes after each line copy (>= 16 for SSE2 look-ahead) */
#define LS_INFER_MAX_FIELDS 10000

typedef __int128 i128;
typedef unsigned __int128 u128;

/* ---- lexing context and messages ------------------------------------------ */

typedef struct jcur {
    const char *buf;   /* start of the line */
    const char *end;   /* its terminating '\n', or NULL until an error needs it */
    const char *limit; /* end of the readable data, for finding `end` */
    uint64_t line_no;
    ls_error *err;
    int code; /* status of the last error */
} jcur;

static const char *jfail(jcur *c, int code, const char *fmt, ...) LS_PRINTF(3, 4);
static const char *jfail(jcur *c, int code, const char *fmt, ...)
{
    char msg[LS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->code = code;
    ls_err(c->err, code, "%s", msg);
    return NULL;
}

/* The line's terminating '\n' (found lazily: only errors need it when the
 * line is parsed in place). */
static const char *line_end(jcur *c)
{
    if (!c->end) {
        const char *nl = memchr(c->buf, '\n', (size_t)(c->limit - c->buf));
        c->end = nl ? nl : c->limit;
    }
    return c->end;
}

/* Syntax error at p: "line N, column C: ...". Always returns NULL. */
static const char *syn(jcur *c, const char *at, const char *what)
{
    size_t col = (size_t)(at - c->buf) + 1;
    if (at >= line_end(c)) {
        /* report the end as a copied line would (its trailing '\r' stripped) */
        const char *e = c->end;
        if (e > c->buf && e[-1] == '\r')
            e--;
        col = (size_t)(e - c->buf) + 1;
        return jfail(c, LS_ERR_INVALID, "line %llu, column %zu: unexpected end of line, %s",
                     (unsigned long long)c->line_no, col, what);
    }
    unsigned char ch = (unsigned char)*at;
    if (ch >= 0x20 && ch < 0x7f)
        return jfail(c, LS_ERR_INVALID, "line %llu, column %zu: unexpected '%c', %s",
                     (unsigned long long)c->line_no, col, ch, what);
    return jfail(c, LS_ERR_INVALID, "line %llu, column %zu: unexpected byte 0x%02x, %s",
                 (unsigned long long)c->line_no, col, ch, what);
}

static const char *syn_msg(jcur *c, const char *at, const char *msg)
{
    return jfail(c, LS_ERR_INVALID, "line %llu, column %zu: %s", (unsigned long long)c->line_no,
                 (size_t)(at - c->buf) + 1, msg);
}

static const char *too_deep(jcur *c, const char *at)
{
    return jfail(c, LS_ERR_LIMIT, "line %llu, column %zu: nesting deeper than %d levels",
                 (unsigned long long)c->line_no, (size_t)(at - c->buf) + 1, LS_MAX_NESTING);
}

/* Copies a line into buf, terminated by '\n' and JPAD zero bytes; returns the copy.
 * '\n' is the one terminator of every line: whitespace skipping stops at it,
 * string scanning sees a control character, numbers and literals end there. */
static const char *line_copy(ls_buf *b, const char *line, size_t len)
{
    b->len = 0;
    size_t need;
    if (ls_add_overflow(len, JPAD + 1, &need))
        ls_oom(SIZE_MAX);
    ls_buf_reserve(b, need);
    if (len)
        memcpy(b->data, line, len);
    b->data[len] = '\n';
    memset(b->data + len + 1, 0, JPAD);
    return (const char *)b->data;
}

/* ---- lexing ---------------------------------------------------------------- */

/* JSON whitespace except '\n', which ends the line. */
static inline const char *ws(const char *p)
{
    while (LS_UNLIKELY((unsigned char)*p <= ' ') && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

static inline bool is_digit(char c) { return (unsigned)(c - '0') < 10; }

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static inline int hex4(const char *p)
{
    int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), d = hexval(p[3]);
    if ((a | b | c | d) < 0)
        return -1;
    return a << 12 | b << 8 | c << 4 | d;
}

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0. Reads at
 * most 4 bytes; the NUL padding is never a continuation byte. */
static inline int utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* Validates the escape at p (p[0] == '\\'); returns the position after it. */
static const char *check_escape(jcur *c, const char *p)
{
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't': return p + 2;
    case 'u': {
        int u = hex4(p + 2);
        if (u < 0)
            return syn_msg(c, p, "invalid \\u escape (expected 4 hex digits)");
        if (u >= 0xD800 && u <= 0xDBFF) {
            int v = p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
            if (v < 0xDC00 || v > 0xDFFF)
                return syn_msg(c, p, "unpaired UTF-16 surrogate in \\u escape");
            return p + 12;
        }
        if (u >= 0xDC00 && u <= 0xDFFF)
            return syn_msg(c, p, "unpaired UTF-16 surrogate in \\u escape");
        return p + 6;
    }
    default: return syn_msg(c, p, "invalid escape sequence in string");
    }
}

#if defined(__SSE2__)
/* Bit i set when p[i] is '"', '\\', a control character or >= 0x80. */
static inline uint32_t str_special16(const char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    __m128i b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    __m128i lo = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), _mm_or_si128(lo, x)));
}
#endif

/* Scans a string body (p just after the opening quote), validating escapes and
 * UTF-8. Returns the closing quote; *esc tells whether a backslash was seen. */
static const char *scan_string(jcur *c, const char *p, bool *esc)
{
    bool e = false;
    for (;;) {
#if defined(__SSE2__)
        uint32_t m = str_special16(p);
        if (!m) {
            p += 16;
            continue;
        }
        p += __builtin_ctz(m);
#else
        while (!((unsigned char)*p < 0x20 || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x80))
            p++;
#endif
        unsigned char ch = (unsigned char)*p;
        if (ch == '"') {
            *esc = e;
            return p;
        }
        if (ch == '\\') {
            e = true;
            p = check_escape(c, p);
            if (!p)
                return NULL;
            continue;
        }
        if (ch >= 0x80) {
            int k = utf8_len((const unsigned char *)p);
            if (!k)
                return syn_msg(c, p, "invalid UTF-8 in string");
            p += k;
            continue;
        }
        if (p >= line_end(c) || (*p == '\r' && p + 1 == c->end))
            return syn_msg(c, p, "unterminated string");
        return syn_msg(c, p, "control character in string (must be escaped)");
    }
}

/* Inline fast path: a short plain string ends within the first 16 bytes. */
static inline const char *scan_str(jcur *c, const char *p, bool *esc)
{
#if defined(__SSE2__)
    uint32_t m = str_special16(p);
    if (LS_LIKELY(m)) {
        const char *q = p + __builtin_ctz(m);
        if (LS_LIKELY(*q == '"')) {
            *esc = false;
            return q;
        }
    }
#endif
    return scan_string(c, p, esc);
}

static inline size_t utf8_put(char *o, uint32_t u)
{
    if (u < 0x80) {
        o[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        o[0] = (char)(0xC0 | u >> 6);
        o[1] = (char)(0x80 | (u & 63));
        return 2;
    }
    if (u < 0x10000) {
        o[0] = (char)(0xE0 | u >> 12);
        o[1] = (char)(0x80 | (u >> 6 & 63));
        o[2] = (char)(0x80 | (u & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | u >> 18);
    o[1] = (char)(0x80 | (u >> 12 & 63));
    o[2] = (char)(0x80 | (u >> 6 & 63));
    o[3] = (char)(0x80 | (u & 63));
    return 4;
}

/* Unescapes a string body already validated by scan_string. dst needs n bytes
 * (the output is never longer than the input). Returns the output length. */
static size_t unescape(const char *s, size_t n, char *dst)
{
    const char *e = s + n;
    char *o = dst;
    while (s < e) {
        const char *b = memchr(s, '\\', (size_t)(e - s));
        if (!b) {
            memcpy(o, s, (size_t)(e - s));
            o += e - s;
            break;
        }
        memcpy(o, s, (size_t)(b - s));
        o += b - s;
        s = b;
        char ch = s[1];
        switch (ch) {
        case 'b': *o++ = '\b'; s += 2; break;
        case 'f': *o++ = '\f'; s += 2; break;
        case 'n': *o++ = '\n'; s += 2; break;
        case 'r': *o++ = '\r'; s += 2; break;
        case 't': *o++ = '\t'; s += 2; break;
        case 'u': {
            uint32_t u = (uint32_t)hex4(s + 2);
            s += 6;
            if (u >= 0xD800 && u <= 0xDBFF) {
                uint32_t v = (uint32_t)hex4(s + 2);
                s += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
            }
            o += utf8_put(o, u);
            break;
        }
        default: *o++ = ch; s += 2; break; /* '"', '\\', '/' */
        }
    }
    return (size_t)(o - dst);
}

/* A JSON number as lexed: value = mant * 10^exp10, plus a non-zero tail when
 * inexact (more than 19 significant digits). */
typedef struct jnum {
    uint64_t mant;
    int64_t exp10;
    bool neg, is_int, inexact;
} jnum;

/* SWAR: the value of 8 ASCII digits (first byte most significant). */
static inline uint32_t parse_8digits(uint64_t v)
{
    v -= 0x3030303030303030ULL;
    v = v * 10 + (v >> 8); /* byte 2i = two-digit pair i */
    v = ((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32)) +
         ((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32))) >>
        32;
    return (uint32_t)v;
}

/* Number of leading ASCII digits among the 8 bytes of v (first byte = lowest). */
static inline int digit_run8(uint64_t v)
{
    uint64_t x = v ^ 0x3030303030303030ULL; /* digits -> 0x00..0x09 */
    uint64_t y = (x & 0x7F7F7F7F7F7F7F7FULL) + 0x7676767676767676ULL; /* >= 0x0A sets bit 7 */
    uint64_t nd = (x | y) & 0x8080808080808080ULL;
    return nd ? __builtin_ctzll(nd) >> 3 : 8;
}

/* Value of the first k (1..7) digits of v: shifted to the top and padded with '0'. */
static inline uint32_t parse_digits(uint64_t v, int k)
{
    return parse_8digits(v << (8 * (8 - k)) | 0x3030303030303030ULL >> (8 * k));
}

static const uint64_t pow10_8[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                   100000000};

/* Lexes a JSON number at p; returns the position after it or NULL (bad syntax).
 * Digits are taken up to 8 at a time while the mantissa has room for 19; the rest
 * one by one. Callers guarantee 8 readable bytes past any position (line padding). */
static inline const char *scan_number(const char *p, jnum *j)
{
    uint64_t m = 0, w;
    int nd = 0, k;
    int64_t e = 0;
    bool inexact = false, is_int = true;
    j->neg = *p == '-';
    p += j->neg;
    if (*p == '0') {
        p++;
    } else if ((unsigned)(*p - '1') < 9) {
        for (;;) {
            memcpy(&w, p, 8);
            k = digit_run8(w);
            if (k == 0 || nd + k > 19)
                break;
            m = k == 8 ? m * 100000000 + parse_8digits(w) : m * pow10_8[k] + parse_digits(w, k);
            nd += k;
            p += k;
            if (k < 8)
                break;
        }
        while (is_digit(*p)) { /* beyond 19 significant digits */
            unsigned d = (unsigned)(*p - '0');
            if (nd < 19) {
                m = m * 10 + d;
                nd++;
            } else {
                e++;
                inexact |= d != 0;
            }
            p++;
        }
    } else {
        return NULL;
    }
    if (*p == '.') {
        is_int = false;
        p++;
        if (!is_digit(*p))
            return NULL;
        /* leading zeros of the fraction count as digits here, which at worst sends a
         * long number to the exact slow path */
        for (;;) {
            memcpy(&w, p, 8);
            k = digit_run8(w);
            if (k == 0 || nd + k > 19)
                break;
            m = k == 8 ? m * 100000000 + parse_8digits(w) : m * pow10_8[k] + parse_digits(w, k);
            nd += k;
            e -= k;
            p += k;
            if (k < 8)
                break;
        }
        while (is_digit(*p)) {
            unsigned d = (unsigned)(*p - '0');
            if (nd < 19) {
                if (m || d) {
                    m = m * 10 + d;
                    nd++;
                }
                e--;
            } else {
                inexact |= d != 0;
            }
            p++;
        }
    }
    if (*p == 'e' || *p == 'E') {
        is_int = false;
        p++;
        bool eneg = false;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        if (!is_digit(*p))
            return NULL;
        int64_t x = 0;
        do {
            if (x < 1000000000)
                x = x * 10 + (*p - '0');
            p++;
        } while (is_digit(*p));
        e += eneg ? -x : x;
    }
    j->mant = m;
    j->exp10 = e;
    j->inexact = inexact;
    j->is_int = is_int;
    return p;
}

/* "a.b" etc. for a literal at p; returns the position after it or NULL. */
static inline const char *scan_literal(const char *p, const char *lit, size_t n)
{
    return memcmp(p, lit, n) == 0 ? p + n : NULL;
}

/* Expects a member key at p: string, ws, ':', ws. Returns the value start. */
static const char *skip_key(jcur *c, const char *p)
{
    if (*p != '"')
        return syn(c, p, "expected a string key");
    bool esc;
    p = scan_string(c, p + 1, &esc);
    if (!p)
        return NULL;
    p = ws(p + 1);
    if (*p != ':')
        return syn(c, p, "expected ':' after key");
    return ws(p + 1);
}

/* Validates and skips one JSON value at p (no leading ws). depth = containers
 * already open around it. Iterative: the bracket stack is bounded by the limit. */
static const char *skip_value(jcur *c, const char *p, int depth)
{
    char stack[LS_MAX_NESTING + 1];
    int sp = 0;
    for (;;) {
        switch (*p) {
        case '{':
            if (depth + sp + 1 > LS_MAX_NESTING)
                return too_deep(c, p);
            p = ws(p + 1);
            if (*p == '}') {
                p++;
                break;
            }
            stack[sp++] = '}';
            if (!(p = skip_key(c, p)))
                return NULL;
            continue;
        case '[':
            if (depth + sp + 1 > LS_MAX_NESTING)
                return too_deep(c, p);
            p = ws(p + 1);
            if (*p == ']') {
                p++;
                break;
            }
            stack[sp++] = ']';
            continue;
        case '"': {
            bool esc;
            if (!(p = scan_string(c, p + 1, &esc)))
                return NULL;
            p++;
            break;
        }
        case 't': {
            const char *q = scan_literal(p, "true", 4);
            if (!q)
                return syn_msg(c, p, "invalid literal (expected true)");
            p = q;
            break;
        }
        case 'f': {
            const char *q = scan_literal(p, "false", 5);
            if (!q)
                return syn_msg(c, p, "invalid literal (expected false)");
            p = q;
            break;
        }
        case 'n': {
            const char *q = scan_literal(p, "null", 4);
            if (!q)
                return syn_msg(c, p, "invalid literal (expected null)");
            p = q;
            break;
        }
        default: {
            if (*p != '-' && !is_digit(*p))
                return syn(c, p, "expected a JSON value");
            jnum j;
            const char *q = scan_number(p, &j);
            if (!q)
                return syn_msg(c, p, "invalid number");
            p = q;
            break;
        }
        }
        /* after a value: close containers or move to the next element */
        for (;;) {
            if (sp == 0)
                return p;
            p = ws(p);
            if (*p == ',') {
                p = ws(p + 1);
                if (stack[sp - 1] == '}' && !(p = skip_key(c, p)))
                    return NULL;
                break;
            }
            if (*p == stack[sp - 1]) {
                p++;
                sp--;
                continue;
            }
            return syn(c, p, stack[sp - 1] == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
}

/* ---- number conversions ------------------------------------------------------ */

static const uint64_t pow10u[20] = {1ULL,
                                    10ULL,
                                    100ULL,
                                    1000ULL,
                                    10000ULL,
                                    100000ULL,
                                    1000000ULL,
                                    10000000ULL,
                                    100000000ULL,
                                    1000000000ULL,
                                    10000000000ULL,
                                    100000000000ULL,
                                    1000000000000ULL,
                                    10000000000000ULL,
                                    100000000000000ULL,
                                    1000000000000000ULL,
                                    10000000000000000ULL,
                                    100000000000000000ULL,
                                    1000000000000000000ULL,
                                    10000000000000000000ULL};

static const double pow10d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const float pow10f[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

static inline u128 pow10_128(int k)
{
    return k <= 19 ? (u128)pow10u[k] : (u128)pow10u[19] * pow10u[k - 19];
}

enum { NUM_OK = 0, NUM_FRACTION = 1, NUM_RANGE = 2 };

/* JSON number -> int64 (exact). */
static int num_to_i64(const jnum *j, int64_t *out)
{
    uint64_t m = j->mant;
    if (j->is_int) {
        if (j->inexact || j->exp10 != 0)
            return NUM_RANGE; /* 20+ digits */
    } else {
        if (m == 0) {
            *out = 0;
            return NUM_OK;
        }
        if (j->inexact)
            return j->exp10 >= 0 ? NUM_RANGE : NUM_FRACTION;
        int64_t e = j->exp10;
        if (e >= 0) {
            if (e > 19)
                return NUM_RANGE;
            for (int64_t i = 0; i < e; i++)
                if (__builtin_mul_overflow(m, (uint64_t)10, &m))
                    return NUM_RANGE;
        } else {
            if (-e > 19)
                return NUM_FRACTION;
            uint64_t p = pow10u[-e];
            if (m % p)
                return NUM_FRACTION;
            m /= p;
        }
    }
    if (j->neg) {
        if (m > (1ULL << 63))
            return NUM_RANGE;
        *out = m == (1ULL << 63) ? INT64_MIN : -(int64_t)m;
    } else {
        if (m > (uint64_t)INT64_MAX)
            return NUM_RANGE;
        *out = (int64_t)m;
    }
    return NUM_OK;
}

/* Exact fast paths for text -> double; false when the slow path is needed. */
static inline bool num_to_f64_fast(const jnum *j, double *out)
{
    if (j->inexact)
        return false;
    if (j->mant == 0) {
        *out = j->neg ? -0.0 : 0.0;
        return true;
    }
    int64_t e = j->exp10;
    if (j->mant <= (1ULL << 53) && e >= -22 && e <= 22) {
        /* both operands exact: one correctly rounded operation (Clinger) */
        double d = (double)j->mant;
        d = e < 0 ? d / pow10d[-e] : d * pow10d[e];
        *out = j->neg ? -d : d;
        return true;
    }
#if defined(__x86_64__) && LDBL_MANT_DIG == 64
    if (e >= -27 && e <= 27) {
        /* 80-bit x87: mant (< 2^64) and 10^|e| (5^27 < 2^64) are exact, the operation
         * rounds once to 64 bits; rounding that to 53 bits is correct unless the 11
         * dropped bits sit at (or next to) the halfway point. */
        static const long double p10l[28] = {
            1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
            1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
            1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
        long double x = (long double)j->mant;
        x = e < 0 ? x / p10l[-e] : x * p10l[e];
        uint64_t bits;
        memcpy(&bits, &x, 8); /* x87 significand, explicit integer bit */
        unsigned low = (unsigned)(bits & 0x7FF);
        if (low >= 0x3FF && low <= 0x401)
            return false;
        double d = (double)x;
        *out = j->neg ? -d : d;
        return true;
    }
#endif
    return false;
}

/* ---- decimal ----------------------------------------------------------------- */

enum { DEC_OK = 0, DEC_SYNTAX = 1, DEC_OVERFLOW = 2, DEC_INEXACT = 3 };

/* Parses decimal text exactly into an unscaled integer at `scale`. Grammar:
 * [+-]? (digits [. digits?] | . digits) ([eE][+-]?digits)?. Extra fraction digits
 * round HALF_UP (Spark), or fail with DEC_INEXACT when exact (integer columns).
 * |result| must be < 10^prec. */
static int dec_parse(const char *s, size_t n, int prec, int scale, bool exact, i128 *out)
{
    const char *p = s, *e = s + n;
    bool neg = false;
    if (p < e && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    const char *ip = p;
    while (p < e && is_digit(*p))
        p++;
    size_t ni = (size_t)(p - ip);
    const char *fp = p;
    size_t nf = 0;
    if (p < e && *p == '.') {
        fp = ++p;
        while (p < e && is_digit(*p))
            p++;
        nf = (size_t)(p - fp);
    }
    if (ni + nf == 0)
        return DEC_SYNTAX;
    int64_t ex = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        bool en = false;
        if (p < e && (*p == '+' || *p == '-'))
            en = *p++ == '-';
        if (p == e || !is_digit(*p))
            return DEC_SYNTAX;
        while (p < e && is_digit(*p)) {
            if (ex < 1000000000)
                ex = ex * 10 + (*p - '0');
            p++;
        }
        if (en)
            ex = -ex;
    }
    if (p != e)
        return DEC_SYNTAX;
    int64_t D = (int64_t)(ni + nf);
#define DG(i) ((i) < (int64_t)ni ? ip[(i)] - '0' : fp[(i) - (int64_t)ni] - '0')
    int64_t z = 0;
    while (z < D && DG(z) == 0)
        z++;
    if (z == D) {
        *out = 0;
        return DEC_OK;
    }
    /* unscaled = digits * 10^k; digits [0, keep) survive */
    int64_t k = ex - (int64_t)nf + scale;
    int64_t keep = D + k;
    if (keep - z > prec)
        return DEC_OVERFLOW;
    u128 v = 0;
    int64_t lim = keep < D ? keep : D;
    for (int64_t i = z; i < lim; i++)
        v = v * 10 + (unsigned)DG(i);
    for (int64_t i = D; i < keep; i++)
        v *= 10;
    if (keep < D) {
        if (exact) {
            for (int64_t i = keep > z ? keep : z; i < D; i++)
                if (DG(i) != 0)
                    return DEC_INEXACT;
        } else if (keep >= 0 && DG(keep) >= 5) {
            v += 1;
        }
    }
#undef DG
    if (v >= pow10_128(prec))
        return DEC_OVERFLOW;
    *out = neg ? -(i128)v : (i128)v;
    return DEC_OK;
}

/* ---- base64 ------------------------------------------------------------------- */

static inline int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Standard alphabet, padding optional. out needs n*3/4+3 bytes. */
static bool b64_decode(const char *s, size_t n, uint8_t *out, size_t *outlen)
{
    if (n % 4 == 0 && n > 0 && s[n - 1] == '=') {
        n--;
        if (s[n - 1] == '=')
            n--;
    }
    if (n % 4 == 1)
        return false;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *outlen = o;
    return true;
}

/* ==== the reader ================================================================ */

typedef struct jnode jnode;
struct jnode {
    const ls_field *f;
    ls_type type;
    ls_phys phys;
    bool nullable;
    uint8_t prec, scale;
    int def, rep; /* levels when present; rep = number of repeated ancestors */
    int leaf;     /* leaf index, -1 for groups */
    int leaf_first, leaf_count;
    const char *name;
    uint32_t name_len;
    uint64_t kw[2], km[2]; /* first 16 name bytes and masks, for key_eq */
    /* the member token `"name":` as it appears in compact JSON (up to 24 bytes; tlen 0
     * when longer or when the name needs escaping), for the fast key match */
    uint64_t tw[3], tm[3];
    uint32_t tlen;
    int n_children;
    jnode **child;
    /* STRUCT: name tables (child index or -1), learned successor guesses (the
     * child that followed child i last time; [n_children] = the first one),
     * offset of this struct's slots in the reader's seen[] array. */
    uint32_t hmask;
    int32_t *htab, *htab_ci;
    int32_t *succ;
    uint32_t seen_off;
};

enum { FR_ROOT, FR_FIELD, FR_UNKNOWN, FR_ELEM, FR_MAPVAL };

/* Where a value sits in the line, for messages and rescue paths. */
typedef struct jframe {
    const struct jframe *up;
    const jnode *node;
    const char *key; /* FR_UNKNOWN / FR_MAPVAL: raw key text */
    size_t klen;
    int64_t idx; /* FR_ELEM */
    int kind;
} jframe;

typedef struct ts_cache {
    uint64_t w; /* first 10 bytes of the last date seen */
    uint16_t w2;
    bool valid;
    int64_t days;
} ts_cache;

struct ls_json_reader {
    ls_json_opts opts;
    ts_cache tsc;
    const ls_schema *schema;
    ls_arena arena;
    jnode *root;
    int n_leaves;
    uint64_t *seen; /* per struct member: stamp of the instance that last had it */
    uint64_t stamp;
    uint32_t n_seen;
    size_t *snap;
    ls_buf line, scratch, msg, path;
    locale_t cloc;
    /* per line */
    jcur c;
    ls_leaf *leaves;
    ls_buf *rescued;
    size_t n_rescued;
    const ls_batch *bound;
    const ls_schema *bound_schema;
};

static inline uint32_t key_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static inline uint32_t key_hash_ci(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = (uint8_t)s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (uint8_t)(ch + 32);
        h = (h ^ ch) * 16777619u;
    }
    return h;
}

static bool mem_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

static jnode *build_node(ls_json_reader *r, const ls_field *f)
{
    jnode *n = ls_arena_calloc(&r->arena, sizeof *n);
    n->f = f;
    n->type = f->type;
    n->phys = ls_type_phys(f);
    n->nullable = f->nullable;
    n->prec = f->precision;
    n->scale = f->scale;
    n->def = f->def_level;
    n->rep = f->rep_level;
    n->leaf = f->leaf_index;
    n->leaf_first = f->leaf_first;
    n->leaf_count = f->leaf_count;
    n->name = f->name ? f->name : "";
    n->name_len = (uint32_t)strlen(n->name);
    char w[16] = {0};
    memcpy(w, n->name, n->name_len < 16 ? n->name_len : 16);
    memcpy(n->kw, w, 16);
    for (int i = 0; i < 2; i++) {
        uint32_t have = n->name_len > 8u * (uint32_t)i ? n->name_len - 8u * (uint32_t)i : 0;
        n->km[i] = have >= 8 ? ~0ULL : (1ULL << (8 * have)) - 1;
    }
    n->tlen = 0;
    bool plain = true;
    for (uint32_t i = 0; i < n->name_len; i++)
        plain &= (unsigned char)n->name[i] >= 0x20 && n->name[i] != '"' && n->name[i] != '\\';
    if (plain && n->name_len + 3 <= 24) {
        char t[24] = {0};
        t[0] = '"';
        memcpy(t + 1, n->name, n->name_len);
        t[n->name_len + 1] = '"';
        t[n->name_len + 2] = ':';
        n->tlen = n->name_len + 3;
        memcpy(n->tw, t, 24);
        for (int i = 0; i < 3; i++) {
            uint32_t have = n->tlen > 8u * (uint32_t)i ? n->tlen - 8u * (uint32_t)i : 0;
            n->tm[i] = have >= 8 ? ~0ULL : (1ULL << (8 * have)) - 1;
        }
    }
    if (!ls_type_is_group(f->type))
        return n;
    n->n_children = f->n_children;
    n->child = ls_arena_calloc(&r->arena, sizeof(jnode *) * (size_t)(f->n_children + 1));
    for (int i = 0; i < f->n_children; i++)
        n->child[i] = build_node(r, &f->children[i]);
    if (f->type == LS_STRUCT) {
        uint32_t sz = 8;
        while (sz < (uint32_t)f->n_children * 2)
            sz *= 2;
        n->hmask = sz - 1;
        n->htab = ls_arena_alloc(&r->arena, sizeof(int32_t) * sz);
        n->htab_ci = ls_arena_alloc(&r->arena, sizeof(int32_t) * sz);
        for (uint32_t i = 0; i < sz; i++)
            n->htab[i] = n->htab_ci[i] = -1;
        for (int i = 0; i < n->n_children; i++) {
            const jnode *ch = n->child[i];
            uint32_t h = key_hash(ch->name, ch->name_len) & n->hmask;
            while (n->htab[h] >= 0)
                h = (h + 1) & n->hmask;
            n->htab[h] = i;
            h = key_hash_ci(ch->name, ch->name_len) & n->hmask;
            while (n->htab_ci[h] >= 0)
                h = (h + 1) & n->hmask;
            n->htab_ci[h] = i;
        }
        n->succ = ls_arena_alloc(&r->arena, sizeof(int32_t) * (size_t)(n->n_children + 1));
        for (int i = 0; i <= n->n_children; i++)
            n->succ[i] = i < n->n_children ? i + 1 : 0; /* schema order until learned */
        n->seen_off = r->n_seen;
        r->n_seen += (uint32_t)n->n_children;
    }
    return n;
}

/* Exact key compare with two masked 8-byte loads; k must have 16 readable bytes
 * (line buffers do, and the unescape scratch is reserved with room). */
static inline bool key_eq(const jnode *ch, const char *k, size_t kl)
{
    if (ch->name_len != kl)
        return false;
    uint64_t a, b;
    memcpy(&a, k, 8);
    if ((a & ch->km[0]) != ch->kw[0])
        return false;
    if (kl <= 8)
        return true;
    memcpy(&b, k + 8, 8);
    if ((b & ch->km[1]) != ch->kw[1])
        return false;
    return kl <= 16 || memcmp(ch->name + 16, k + 16, kl - 16) == 0;
}

/* Does the member token of ch (`"name":`) start at p? Reads 24 bytes: the line
 * padding (JPAD) makes that safe anywhere in a line. */
static inline bool token_eq(const jnode *ch, const char *p)
{
    uint64_t a[3];
    memcpy(a, p, 24);
    return ch->tlen && ((a[0] & ch->tm[0]) == ch->tw[0]) && ((a[1] & ch->tm[1]) == ch->tw[1]) &&
           ((a[2] & ch->tm[2]) == ch->tw[2]);
}

/* Child index for a key: exact match first, then ASCII case-insensitive. */
static int lookup_child(const jnode *n, const char *k, size_t kl)
{
    uint32_t h = key_hash(k, kl) & n->hmask;
    for (int32_t i; (i = n->htab[h]) >= 0; h = (h + 1) & n->hmask) {
        if (key_eq(n->child[i], k, kl))
            return i;
    }
    h = key_hash_ci(k, kl) & n->hmask;
    for (int32_t i; (i = n->htab_ci[h]) >= 0; h = (h + 1) & n->hmask) {
        const jnode *ch = n->child[i];
        if (ch->name_len == kl && mem_ieq(ch->name, k, kl))
            return i;
    }
    return -1;
}

ls_json_reader *ls_json_reader_new(const ls_schema *schema, const ls_json_opts *opts)
{
    if (!schema || schema->root.type != LS_STRUCT || schema->root.leaf_count != schema->n_leaves)
        return NULL;
    for (int i = 0; i < schema->n_leaves; i++)
        if (!schema->leaves || schema->leaves[i]->leaf_index != i)
            return NULL; /* not finalized */
    ls_json_reader *r = ls_xcalloc(1, sizeof *r);
    if (opts)
        r->opts = *opts;
    r->schema = schema;
    ls_arena_init(&r->arena, 16 * 1024);
    r->root = build_node(r, &schema->root);
    r->n_leaves = schema->n_leaves;
    r->seen = ls_xcalloc(r->n_seen ? r->n_seen : 1, sizeof(uint64_t));
    r->snap = ls_xcalloc((size_t)(r->n_leaves ? r->n_leaves : 1), sizeof(size_t));
    r->cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (r->cloc == (locale_t)0) {
        ls_json_reader_free(r);
        return NULL;
    }
    return r;
}

void ls_json_reader_free(ls_json_reader *r)
{
    if (!r)
        return;
    ls_arena_free(&r->arena);
    free(r->seen);
    free(r->snap);
    ls_buf_free(&r->line);
    ls_buf_free(&r->scratch);
    ls_buf_free(&r->msg);
    ls_buf_free(&r->path);
    if (r->cloc != (locale_t)0)
        freelocale(r->cloc);
    free(r);
}

/* ---- messages and rescue ---------------------------------------------------- */

static void path_append(const jframe *fr, ls_buf *b, size_t start)
{
    if (!fr || fr->kind == FR_ROOT)
        return;
    path_append(fr->up, b, start);
    switch (fr->kind) {
    case FR_FIELD:
        if (b->len > start)
            ls_buf_putc(b, '.');
        ls_buf_append(b, fr->node->name, fr->node->name_len);
        break;
    case FR_UNKNOWN:
        if (b->len > start)
            ls_buf_putc(b, '.');
        ls_buf_append(b, fr->key, fr->klen);
        break;
    case FR_ELEM: ls_buf_printf(b, "[%lld]", (long long)fr->idx); break;
    case FR_MAPVAL:
        ls_buf_putc(b, '[');
        ls_buf_append(b, fr->key, fr->klen);
        ls_buf_putc(b, ']');
        break;
    }
}

static const char *path_of(ls_json_reader *r, const jframe *fr)
{
    r->path.len = 0;
    path_append(fr, &r->path, 0);
    return ls_buf_cstr(&r->path);
}

static const char *field_fail(ls_json_reader *r, const jframe *fr, const char *what)
{
    return jfail(&r->c, LS_ERR_INVALID, "line %llu: field %s: %s",
                 (unsigned long long)r->c.line_no, path_of(r, fr), what);
}

static const char *value_kind(char c)
{
    switch (c) {
    case '"': return "string";
    case '{': return "object";
    case '[': return "array";
    case 't':
    case 'f': return "boolean";
    default: return "number";
    }
}

/* "expected T, got kind preview (why)" for a value [vs, ve) into n. */
static const char *type_fail(ls_json_reader *r, const jnode *n, const jframe *fr, const char *vs,
                             const char *ve, const char *why)
{
    ls_buf *m = &r->msg;
    m->len = 0;
    ls_buf_puts(m, "expected ");
    ls_field_type_to_ddl(n->f, m);
    ls_buf_printf(m, ", got %s", value_kind(*vs));
    if (*vs != '{' && *vs != '[') {
        size_t len = (size_t)(ve - vs), cut = len > 48 ? 48 : len;
        while (cut < len && cut > 0 && ((unsigned char)vs[cut] & 0xC0) == 0x80)
            cut--; /* do not split a UTF-8 sequence */
        ls_buf_putc(m, ' ');
        ls_buf_append(m, vs, cut);
        if (cut < len)
            ls_buf_puts(m, "...");
    }
    if (why && *why)
        ls_buf_printf(m, " (%s)", why);
    return field_fail(r, fr, ls_buf_cstr(m));
}

static void rescue(ls_json_reader *r, const jframe *fr, const char *vs, const char *ve)
{
    ls_buf *b = r->rescued;
    if (!b)
        return;
    ls_buf_putc(b, r->n_rescued++ ? ',' : '{');
    const char *path = path_of(r, fr);
    ls_buf_json_str(b, path, r->path.len);
    ls_buf_putc(b, ':');
    ls_buf_append(b, vs, (size_t)(ve - vs));
}

/* Null (or absent/empty) at definition level def for every leaf below n. */
static inline void put_null(ls_json_reader *r, const jnode *n, int def, int rep)
{
    if (n->leaf >= 0) {
        ls_leaf_null(&r->leaves[n->leaf], def, rep);
        return;
    }
    for (int i = n->leaf_first, e = n->leaf_first + n->leaf_count; i < e; i++)
        ls_leaf_null(&r->leaves[i], def, rep);
}

/* A value that does not fit n: error (strict, or n not nullable) or null + rescue.
 * ve == NULL means the value at vs still has to be skipped. */
static const char *misfit(ls_json_reader *r, const jnode *n, const jframe *fr, const char *vs,
                          const char *ve, int rep, int depth, const char *why)
{
    if (!ve && !(ve = skip_value(&r->c, vs, depth)))
        return NULL;
    if (r->opts.strict || !n->nullable)
        return type_fail(r, n, fr, vs, ve, why);
    put_null(r, n, n->def - 1, rep);
    rescue(r, fr, vs, ve);
    return ve;
}

/* ---- leaf values from text ---------------------------------------------------- */

static bool float_special(const char *s, size_t n, double *out)
{
    static const struct {
        const char *t;
        double v;
    } tab[] = {{"NaN", NAN},         {"+NaN", NAN},       {"-NaN", NAN},
               {"Infinity", INFINITY}, {"+Infinity", INFINITY}, {"-Infinity", -INFINITY},
               {"INF", INFINITY},    {"+INF", INFINITY},  {"-INF", -INFINITY}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strlen(tab[i].t) == n && memcmp(tab[i].t, s, n) == 0) {
            *out = tab[i].v;
            return true;
        }
    return false;
}

/* Slow path: strtod_l/strtof_l on a NUL-terminated copy of [s, e). */
static double slow_strtod(ls_json_reader *r, const char *s, const char *e, bool as_float)
{
    char tmp[96];
    size_t n = (size_t)(e - s);
    char *b = tmp;
    if (n >= sizeof tmp) {
        r->scratch.len = 0;
        ls_buf_append(&r->scratch, s, n);
        b = ls_buf_cstr(&r->scratch);
    } else {
        memcpy(tmp, s, n);
        tmp[n] = 0;
    }
    if (as_float)
        return (double)strtof_l(b, NULL, r->cloc);
    return strtod_l(b, NULL, r->cloc);
}

/* Pushes a JSON number [s, e) (lexed as j) into a numeric leaf. Returns NULL or
 * the reason it does not fit ("" = wrong type). */
static const char *push_number(ls_json_reader *r, const jnode *n, ls_leaf *l, int rep,
                               const jnum *j, const char *s, const char *e)
{
    switch (n->type) {
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
    case LS_INT64: {
        int64_t v;
        int rc = num_to_i64(j, &v);
        if (rc == NUM_FRACTION)
            return "not an integer";
        if (rc == NUM_RANGE)
            return "out of range";
        if (n->type == LS_INT64) {
            ls_leaf_push_i64(l, rep, v);
            return NULL;
        }
        int64_t lim = n->type == LS_INT8 ? 127 : n->type == LS_INT16 ? 32767 : INT32_MAX;
        if (v > lim || v < -lim - 1)
            return "out of range";
        ls_leaf_push_i32(l, rep, (int32_t)v);
        return NULL;
    }
    case LS_DOUBLE: {
        double d;
        if (!num_to_f64_fast(j, &d))
            d = slow_strtod(r, s, e, false);
        if (LS_UNLIKELY(isinf(d)))
            return "out of the DOUBLE range"; /* a finite literal must not become Infinity */
        ls_leaf_push_f64(l, rep, d);
        return NULL;
    }
    case LS_FLOAT: {
        float f;
        if (!j->inexact && j->mant <= (1u << 24) && j->exp10 >= -10 && j->exp10 <= 10) {
            f = (float)j->mant;
            f = j->exp10 < 0 ? f / pow10f[-j->exp10] : f * pow10f[j->exp10];
            if (j->neg)
                f = -f;
        } else {
            f = (float)slow_strtod(r, s, e, true);
            if (LS_UNLIKELY(isinf(f)))
                return "out of the FLOAT range"; /* a DOUBLE column would hold it */
        }
        ls_leaf_push_f32(l, rep, f);
        return NULL;
    }
    case LS_DECIMAL: {
        i128 v;
        int rc = dec_parse(s, (size_t)(e - s), n->prec, n->scale, false, &v);
        if (rc == DEC_OVERFLOW)
            return "exceeds the precision";
        if (rc != DEC_OK)
            return "";
        if (n->phys == LS_PHYS_I32)
            ls_leaf_push_i32(l, rep, (int32_t)v);
        else if (n->phys == LS_PHYS_I64)
            ls_leaf_push_i64(l, rep, (int64_t)v);
        else {
            uint8_t b[16];
            memcpy(b, &v, 16); /* little-endian host */
            ls_leaf_push_i128(l, rep, b);
        }
        return NULL;
    }
    default: return "";
    }
}

static inline int dig2(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* The common shape "YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z]" without calling into the
 * general parser; false means "let ls_parse_timestamp decide" (same results).
 * The last date seen is cached: event streams repeat it line after line. */
static inline bool ts_fast(ts_cache *tc, const char *s, size_t n, int64_t *us, bool *tz)
{
    if (n < 19 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        return false;
    uint64_t w;
    uint16_t w2;
    memcpy(&w, s, 8);
    memcpy(&w2, s + 8, 2);
    int64_t days;
    if (tc->valid && w == tc->w && w2 == tc->w2) {
        days = tc->days;
    } else {
        static const int pos[8] = {0, 1, 2, 3, 5, 6, 8, 9};
        static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (s[4] != '-' || s[7] != '-')
            return false;
        for (int i = 0; i < 8; i++)
            if (!is_digit(s[pos[i]]))
                return false;
        int y = dig2(s) * 100 + dig2(s + 2), mo = dig2(s + 5), d = dig2(s + 8);
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (mo < 1 || mo > 12 || d < 1 || d > dm[mo - 1] + (mo == 2 && leap))
            return false;
        days = ls_days_from_civil(y, (unsigned)mo, (unsigned)d);
        tc->w = w;
        tc->w2 = w2;
        tc->days = days;
        tc->valid = true;
    }
    if (!is_digit(s[11]) || !is_digit(s[12]) || !is_digit(s[14]) || !is_digit(s[15]) ||
        !is_digit(s[17]) || !is_digit(s[18]))
        return false;
    int h = dig2(s + 11), mi = dig2(s + 14), sec = dig2(s + 17);
    if (h > 23 || mi > 59 || sec > 59)
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        size_t fs = ++i;
        int64_t scale = 100000;
        while (i < n && is_digit(s[i])) {
            if (i - fs < 6) {
                frac += (s[i] - '0') * scale;
                scale /= 10;
            }
            i++;
        }
        if (i == fs || i - fs > 9)
            return false;
    }
    if (i == n)
        *tz = false;
    else if (i + 1 == n && s[i] == 'Z')
        *tz = true;
    else
        return false;
    *us = (days * 86400 + h * 3600 + mi * 60 + sec) * 1000000 + frac;
    return true;
}

/* Pushes text (a string value's content, or a map key) into leaf n. For
 * numeric types only map keys are parsed (is_key); a JSON string is not a number,
 * except the special float names and decimals. Returns NULL or a reason. */
static const char *push_text(ls_json_reader *r, const jnode *n, ls_leaf *l, int rep,
                             const char *s, size_t len, bool is_key)
{
    switch (n->type) {
    case LS_STRING: ls_leaf_push_bytes(l, rep, s, len); return NULL;
    case LS_BINARY: {
        ls_leaf_level(l, l->max_def, rep);
        if (LS_UNLIKELY(l->n_values == l->vcap))
            ls_leaf_grow_values(l, 1);
        ls_buf_reserve(&l->bytes, len / 4 * 3 + 3);
        size_t out;
        if (!b64_decode(s, len, l->bytes.data + l->bytes.len, &out)) {
            l->n--; /* undo the level slot */
            return "invalid base64";
        }
        l->bytes.len += out;
        l->offsets[++l->n_values] = l->bytes.len;
        return NULL;
    }
    case LS_BOOLEAN:
        if (!is_key)
            return "";
        if (len == 4 && memcmp(s, "true", 4) == 0)
            ls_leaf_push_bool(l, rep, true);
        else if (len == 5 && memcmp(s, "false", 5) == 0)
            ls_leaf_push_bool(l, rep, false);
        else
            return "";
        return NULL;
    case LS_DATE: {
        int32_t d;
        if (!ls_parse_date(s, len, &d)) {
            int64_t us;
            bool tz;
            if (!ls_parse_timestamp(s, len, &us, &tz))
                return "not a date";
            size_t i = 1; /* date part as written: up to the 'T' or ' ' */
            while (i < len && s[i] != 'T' && s[i] != ' ')
                i++;
            if (!ls_parse_date(s, i, &d))
                return "not a date";
        }
        ls_leaf_push_i32(l, rep, d);
        return NULL;
    }
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ: {
        int64_t us;
        bool tz;
        if (!ts_fast(&r->tsc, s, len, &us, &tz) && !ls_parse_timestamp(s, len, &us, &tz))
            return "not an ISO-8601 timestamp";
        if (tz && n->type == LS_TIMESTAMP_NTZ)
            return "TIMESTAMP_NTZ cannot have a time zone offset";
        ls_leaf_push_i64(l, rep, us);
        return NULL;
    }
    case LS_DECIMAL: {
        i128 v;
        int rc = dec_parse(s, len, n->prec, n->scale, false, &v);
        if (rc == DEC_OVERFLOW)
            return "exceeds the precision";
        if (rc != DEC_OK)
            return "not a decimal number";
        if (n->phys == LS_PHYS_I32)
            ls_leaf_push_i32(l, rep, (int32_t)v);
        else if (n->phys == LS_PHYS_I64)
            ls_leaf_push_i64(l, rep, (int64_t)v);
        else {
            uint8_t b[16];
            memcpy(b, &v, 16);
            ls_leaf_push_i128(l, rep, b);
        }
        return NULL;
    }
    case LS_FLOAT:
    case LS_DOUBLE: {
        double d;
        if (float_special(s, len, &d)) {
            if (n->type == LS_FLOAT)
                ls_leaf_push_f32(l, rep, (float)d);
            else
                ls_leaf_push_f64(l, rep, d);
            return NULL;
        }
    }
        /* fall through */
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
    case LS_INT64: {
        if (!is_key || len == 0)
            return "";
        /* s is followed by '"' (in the line) or NUL (scratch): the lexer stops there */
        jnum j;
        const char *e = scan_number(s, &j);
        if (!e || e != s + len)
            return "not a number";
        return push_number(r, n, l, rep, &j, s, e);
    }
    default: return "";
    }
}

/* The content of a string value: the raw span, or unescaped into scratch
 * (NUL-terminated so number lexing stops). */
static const char *string_text(ls_json_reader *r, const char *s, size_t len, bool esc,
                               size_t *outlen)
{
    if (!esc) {
        *outlen = len;
        return s;
    }
    r->scratch.len = 0;
    ls_buf_reserve(&r->scratch, len + 17); /* NUL + key_eq's look-ahead */
    size_t n = unescape(s, len, (char *)r->scratch.data);
    r->scratch.data[n] = 0;
    *outlen = n;
    return (const char *)r->scratch.data;
}

/* ---- shredding ----------------------------------------------------------------- */

static const char *shred(ls_json_reader *r, const jnode *n, const char *p, int rep, int depth,
                         const jframe *fr);

static const char *shred_struct(ls_json_reader *r, const jnode *n, const char *p, int rep,
                                int depth, const jframe *fr)
{
    /* p is just after '{'; depth counts this object */
    if (depth > LS_MAX_NESTING)
        return too_deep(&r->c, p - 1);
    /* 64 bits never wrap (a 32-bit stamp would, within minutes of ingest, and
     * clearing seen[] then would corrupt the structs still open) */
    const uint64_t stamp = ++r->stamp;
    uint64_t *seen = r->seen + n->seen_off;
    const int nc = n->n_children;
    int nseen = 0, prev = nc;
    p = ws(p);
    if (*p == '}') {
        p++;
        goto done;
    }
    for (;;) {
        if (*p != '"')
            return syn(&r->c, p, "expected a string key");
        int idx = -1;
        const char *ks = p + 1;
        size_t kl = 0;
        /* fast path: the member that followed the previous one last time, written
         * compactly (`"name":`) - the common case for machine-written NDJSON */
        if (nc && n->succ[prev] < nc && token_eq(n->child[n->succ[prev]], p)) {
            idx = n->succ[prev];
            p = ws(p + n->child[idx]->tlen);
            goto have_key;
        }
        bool esc;
        const char *ke = scan_str(&r->c, ks, &esc);
        if (!ke)
            return NULL;
        kl = (size_t)(ke - ks);
        p = ws(ke + 1);
        if (*p != ':')
            return syn(&r->c, p, "expected ':' after key");
        p = ws(p + 1);
        if (LS_LIKELY(!esc)) {
            int g = n->succ[prev];
            if (g < nc && key_eq(n->child[g], ks, kl))
                idx = g;
            else if (nc)
                idx = lookup_child(n, ks, kl);
        } else if (nc) {
            size_t ul;
            const char *u = string_text(r, ks, kl, true, &ul);
            idx = lookup_child(n, u, ul);
        }
    have_key:
        if (LS_LIKELY(idx >= 0)) {
            const jnode *ch = n->child[idx];
            jframe f = {fr, ch, NULL, 0, -1, FR_FIELD};
            if (LS_UNLIKELY(seen[idx] == stamp)) {
                /* duplicate member: keep the first value */
                const char *ve = skip_value(&r->c, p, depth);
                if (!ve)
                    return NULL;
                if (r->opts.strict)
                    return field_fail(r, &f, "duplicate key in object");
                rescue(r, &f, p, ve);
                p = ve;
            } else {
                seen[idx] = stamp;
                nseen++;
                n->succ[prev] = idx;
                prev = idx;
                p = shred(r, ch, p, rep, depth, &f);
                if (!p)
                    return NULL;
            }
        } else {
            const char *ve = skip_value(&r->c, p, depth);
            if (!ve)
                return NULL;
            if (!r->opts.ignore_unknown_fields) {
                jframe f = {fr, NULL, ks, kl, -1, FR_UNKNOWN};
                if (r->opts.strict)
                    return field_fail(r, &f, "not in the schema");
                rescue(r, &f, p, ve);
            }
            p = ve;
        }
        p = ws(p);
        if (*p == ',') {
            p = ws(p + 1);
            continue;
        }
        if (*p == '}') {
            p++;
            break;
        }
        return syn(&r->c, p, "expected ',' or '}'");
    }
done:
    if (nseen != nc) {
        for (int i = 0; i < nc; i++) {
            if (seen[i] == stamp)
                continue;
            const jnode *ch = n->child[i];
            if (!ch->nullable) {
                jframe f = {fr, ch, NULL, 0, -1, FR_FIELD};
                return field_fail(r, &f, "missing value for a non-nullable field");
            }
            put_null(r, ch, ch->def - 1, rep);
        }
    }
    return p;
}

static const char *shred_list(ls_json_reader *r, const jnode *n, const char *p, int rep,
                              int depth, const jframe *fr)
{
    if (depth > LS_MAX_NESTING)
        return too_deep(&r->c, p - 1);
    p = ws(p);
    if (*p == ']') {
        put_null(r, n, n->def, rep); /* present but empty */
        return p + 1;
    }
    const jnode *e = n->child[0];
    int erep = e->rep;
    for (int64_t i = 0;; i++) {
        jframe f = {fr, e, NULL, 0, i, FR_ELEM};
        p = shred(r, e, p, i == 0 ? rep : erep, depth, &f);
        if (!p)
            return NULL;
        p = ws(p);
        if (*p == ',') {
            p = ws(p + 1);
            continue;
        }
        if (*p == ']')
            return p + 1;
        return syn(&r->c, p, "expected ',' or ']'");
    }
}

static const char *shred_map(ls_json_reader *r, const jnode *n, const char *p, int rep, int depth,
                             const jframe *fr)
{
    if (depth > LS_MAX_NESTING)
        return too_deep(&r->c, p - 1);
    const jnode *kn = n->child[0], *vn = n->child[1];
    int erep = kn->rep;
    size_t pushed = 0;
    p = ws(p);
    if (*p == '}')
        p++;
    else
        for (;;) {
            if (*p != '"')
                return syn(&r->c, p, "expected a string key");
            const char *ks = p + 1;
            bool esc;
            const char *ke = scan_str(&r->c, ks, &esc);
            if (!ke)
                return NULL;
            size_t kl = (size_t)(ke - ks);
            p = ws(ke + 1);
            if (*p != ':')
                return syn(&r->c, p, "expected ':' after key");
            p = ws(p + 1);
            int erp = pushed ? erep : rep;
            jframe f = {fr, vn, ks, kl, -1, FR_MAPVAL};
            size_t tl;
            const char *t = string_text(r, ks, kl, esc, &tl);
            const char *why = push_text(r, kn, &r->leaves[kn->leaf], erp, t, tl, true);
            if (why) {
                const char *ve = skip_value(&r->c, p, depth);
                if (!ve)
                    return NULL;
                if (r->opts.strict) {
                    jframe kf = {fr, kn, ks, kl, -1, FR_MAPVAL};
                    return type_fail(r, kn, &kf, ks - 1, ke + 1, why);
                }
                rescue(r, &f, p, ve);
                p = ve;
            } else {
                pushed++;
                p = shred(r, vn, p, erp, depth, &f);
                if (!p)
                    return NULL;
            }
            p = ws(p);
            if (*p == ',') {
                p = ws(p + 1);
                continue;
            }
            if (*p == '}') {
                p++;
                break;
            }
            return syn(&r->c, p, "expected ',' or '}'");
        }
    if (!pushed)
        put_null(r, n, n->def, rep); /* present but empty */
    return p;
}

/* Shreds the value at p (no leading ws) into node n; depth = open containers. */
static const char *shred(ls_json_reader *r, const jnode *n, const char *p, int rep, int depth,
                         const jframe *fr)
{
    const char c = *p;
    if (c == 'n') {
        const char *q = scan_literal(p, "null", 4);
        if (!q)
            return syn_msg(&r->c, p, "invalid literal (expected null)");
        if (LS_UNLIKELY(!n->nullable))
            return field_fail(r, fr, "null value for a non-nullable field");
        put_null(r, n, n->def - 1, rep);
        return q;
    }
    ls_leaf *l = n->leaf >= 0 ? &r->leaves[n->leaf] : NULL;
    switch (n->type) {
    case LS_STRUCT:
        if (c != '{')
            return misfit(r, n, fr, p, NULL, rep, depth, NULL);
        return shred_struct(r, n, p + 1, rep, depth + 1, fr);
    case LS_LIST:
        if (c != '[')
            return misfit(r, n, fr, p, NULL, rep, depth, NULL);
        return shred_list(r, n, p + 1, rep, depth + 1, fr);
    case LS_MAP:
        if (c != '{')
            return misfit(r, n, fr, p, NULL, rep, depth, NULL);
        return shred_map(r, n, p + 1, rep, depth + 1, fr);
    case LS_STRING:
        if (LS_LIKELY(c == '"')) {
            const char *s = p + 1;
            bool esc;
            const char *e = scan_str(&r->c, s, &esc);
            if (!e)
                return NULL;
            size_t len = (size_t)(e - s);
            ls_leaf_level(l, l->max_def, rep);
            if (LS_UNLIKELY(l->n_values == l->vcap))
                ls_leaf_grow_values(l, 1);
            ls_buf_reserve(&l->bytes, len);
            if (LS_LIKELY(!esc)) {
                if (len) /* data may still be NULL for "" */
                    memcpy(l->bytes.data + l->bytes.len, s, len);
                l->bytes.len += len;
            } else {
                l->bytes.len += unescape(s, len, (char *)l->bytes.data + l->bytes.len);
            }
            l->offsets[++l->n_values] = l->bytes.len;
            return e + 1;
        } else {
            /* non-string value: keep its raw JSON text */
            const char *e = skip_value(&r->c, p, depth);
            if (!e)
                return NULL;
            ls_leaf_push_bytes(l, rep, p, (size_t)(e - p));
            return e;
        }
    case LS_BOOLEAN:
        if (c == 't' || c == 'f') {
            const char *q = c == 't' ? scan_literal(p, "true", 4) : scan_literal(p, "false", 5);
            if (!q)
                return syn_msg(&r->c, p, "invalid literal");
            ls_leaf_push_bool(l, rep, c == 't');
            return q;
        }
        return misfit(r, n, fr, p, NULL, rep, depth, NULL);
    default: break;
    }
    /* remaining leaf types: numbers and strings */
    if (c == '"') {
        const char *s = p + 1;
        bool esc;
        const char *e = scan_str(&r->c, s, &esc);
        if (!e)
            return NULL;
        size_t tl;
        const char *t = string_text(r, s, (size_t)(e - s), esc, &tl);
        const char *why = push_text(r, n, l, rep, t, tl, false);
        if (LS_UNLIKELY(why != NULL))
            return misfit(r, n, fr, p, e + 1, rep, depth, why);
        return e + 1;
    }
    if (c == '-' || is_digit(c)) {
        jnum j;
        const char *e = scan_number(p, &j);
        if (!e)
            return syn_msg(&r->c, p, "invalid number");
        const char *why = push_number(r, n, l, rep, &j, p, e);
        if (LS_UNLIKELY(why != NULL))
            return misfit(r, n, fr, p, e, rep, depth, why);
        return e;
    }
    if (c == '{' || c == '[' || c == 't' || c == 'f')
        return misfit(r, n, fr, p, NULL, rep, depth, NULL);
    return syn(&r->c, p, "expected a JSON value");
}

/* Checks that the batch's leaves have the levels/physical types the reader
 * compiled for (a batch of another schema would be corrupted silently). */
static int bind_batch(ls_json_reader *r, const ls_batch *b, ls_error *err)
{
    if (b->n_leaves != r->n_leaves)
        return ls_err(err, LS_ERR_INVALID,
                      "NDJSON reader: batch has %d columns, the reader's schema %d", b->n_leaves,
                      r->n_leaves);
    for (int i = 0; i < b->n_leaves; i++) {
        const ls_leaf *l = &b->leaves[i];
        const ls_field *f = r->schema->leaves[i];
        if (l->max_def != f->def_level || l->max_rep != f->rep_level || l->phys != ls_type_phys(f))
            return ls_err(err, LS_ERR_INVALID,
                          "NDJSON reader: batch column %d (%s) does not match the reader's schema",
                          i, f->name);
    }
    r->bound = b;
    r->bound_schema = b->schema;
    return LS_OK;
}

static inline int check_bound(ls_json_reader *r, const ls_batch *batch, ls_error *err)
{
    if (LS_LIKELY(batch == r->bound && batch->schema == r->bound_schema &&
                  batch->n_leaves == r->n_leaves))
        return LS_OK;
    return bind_batch(r, batch, err);
}

/* Shreds the line at buf into one row. The line ends at its first '\n' (end, when
 * known, must be that position). On success *stop is the '\n'; on failure the
 * batch and *rescued are restored. */
static int parse_row(ls_json_reader *r, ls_batch *batch, const char *buf, const char *end,
                     const char *limit, uint64_t line_no, ls_buf *rescued, ls_error *err,
                     const char **stop)
{
    r->c = (jcur){buf, end, limit, line_no, err, LS_OK};
    r->leaves = batch->leaves;
    for (int i = 0; i < r->n_leaves; i++)
        r->snap[i] = batch->leaves[i].n;
    r->rescued = (!r->opts.strict && rescued) ? rescued : NULL;
    size_t rescued_start = rescued ? rescued->len : 0;
    r->n_rescued = 0;

    const char *p = buf;
    if (memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* UTF-8 byte order mark */
    p = ws(p);
    if (*p != '{') {
        if (p >= line_end(&r->c))
            p = syn_msg(&r->c, p, "empty line (expected a JSON object)");
        else
            p = syn(&r->c, p, "expected a JSON object");
    } else {
        jframe root = {NULL, r->root, NULL, 0, -1, FR_ROOT};
        p = shred_struct(r, r->root, p + 1, 0, 1, &root);
        if (p) {
            p = ws(p);
            if (*p != '\n' || (end && p != end))
                p = syn(&r->c, p, "expected end of line after the object");
        }
    }
    if (LS_UNLIKELY(!p)) {
        for (int i = 0; i < r->n_leaves; i++)
            ls_leaf_truncate(&batch->leaves[i], r->snap[i]);
        if (rescued)
            rescued->len = rescued_start;
        r->rescued = NULL;
        return r->c.code ? r->c.code : LS_ERR_INVALID;
    }
    if (r->n_rescued)
        ls_buf_putc(rescued, '}');
    r->rescued = NULL;
    batch->n_rows++;
    *stop = p;
    return LS_OK;
}

int ls_json_read_line(ls_json_reader *r, ls_batch *batch, const char *line, size_t len,
                      uint64_t line_no, ls_buf *rescued, ls_error *err)
{
    int rc = check_bound(r, batch, err);
    if (rc)
        return rc;
    const char *buf = line_copy(&r->line, line, len), *stop;
    return parse_row(r, batch, buf, buf + len, buf + len + 1, line_no, rescued, err, &stop);
}

int ls_json_read_buffer(ls_json_reader *r, ls_batch *batch, const char *data, size_t len,
                        uint64_t first_line_no, uint64_t *lines_read, ls_error *err)
{
    int rc = check_bound(r, batch, err);
    if (rc)
        return rc;
    const char *p = data, *e = data + len;
    uint64_t n = 0;
    /* Lines whose '\n' lies at least JPAD bytes before the end of the data are parsed
     * in place, with no copy and no separate newline search: the parser stops at the
     * first '\n' and never reads more than 16 bytes past it. */
    const char *inplace_end = len > JPAD ? memrchr(data, '\n', len - JPAD) : NULL;
    while (inplace_end && p <= inplace_end) {
        const char *q = ws(p), *stop;
        if (*q == '\n') { /* blank line */
            n++;
            p = q + 1;
            continue;
        }
        rc = parse_row(r, batch, p, NULL, e, first_line_no + n, NULL, err, &stop);
        if (rc) {
            if (lines_read)
                *lines_read = n;
            return rc;
        }
        n++;
        p = stop + 1;
    }
    /* the tail: split and copy */
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        const char *q = p;
        while (q < p + ll && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < p + ll) {
            const char *buf = line_copy(&r->line, p, ll), *stop;
            rc = parse_row(r, batch, buf, buf + ll, buf + ll + 1, first_line_no + n, NULL, err,
                           &stop);
            if (rc) {
                if (lines_read)
                    *lines_read = n;
                return rc;
            }
        }
        n++;
        p = nl ? nl + 1 : e;
    }
    if (lines_read)
        *lines_read = n;
    return LS_OK;
}

/* ==== schema inference ============================================================ */

enum { I_NULL, I_BOOL, I_INT, I_DOUBLE, I_STR, I_STRUCT, I_LIST };
enum { S_PLAIN, S_TS, S_DATE };

typedef struct inode inode;
struct inode {
    int kind, skind;
    inode *parent;
    char *name;
    size_t name_len;
    inode *first, *last, *next; /* struct members in first-seen order */
    inode *hnext;               /* hash chain (parent, lowercase name) */
    uint64_t hash;
    inode *elem;                /* list element */
};

struct ls_infer {
    ls_arena arena;
    inode *root;
    inode **htab;
    size_t hcap, n_members, n_nodes; /* hashed members; all nodes (for the limit) */
    ls_buf line, scratch;
    jcur c;
};

ls_infer *ls_infer_new(void)
{
    ls_infer *inf = ls_xcalloc(1, sizeof *inf);
    ls_arena_init(&inf->arena, 64 * 1024);
    inf->root = ls_arena_calloc(&inf->arena, sizeof(inode));
    inf->root->kind = I_STRUCT;
    inf->hcap = 256;
    inf->htab = ls_xcalloc(inf->hcap, sizeof(inode *));
    return inf;
}

void ls_infer_free(ls_infer *inf)
{
    if (!inf)
        return;
    ls_arena_free(&inf->arena);
    free(inf->htab);
    ls_buf_free(&inf->line);
    ls_buf_free(&inf->scratch);
    free(inf);
}

static uint64_t member_hash(const inode *parent, const char *k, size_t n)
{
    uint64_t h = (uint64_t)(uintptr_t)parent * 0x9E3779B97F4A7C15ULL;
    return ls_hash_u64(h ^ key_hash_ci(k, n));
}

static inode *inode_new(ls_infer *inf, int kind)
{
    inode *n = ls_arena_calloc(&inf->arena, sizeof *n);
    n->kind = kind;
    return n;
}

/* Finds or adds member k (unescaped) of struct node s. NULL when over the limit. */
static inode *member(ls_infer *inf, inode *s, const char *k, size_t kl)
{
    uint64_t h = member_hash(s, k, kl);
    for (inode *m = inf->htab[h & (inf->hcap - 1)]; m; m = m->hnext)
        if (m->hash == h && m->parent == s && m->name_len == kl && mem_ieq(m->name, k, kl))
            return m;
    if (inf->n_nodes >= LS_INFER_MAX_FIELDS)
        return NULL;
    inode *m = inode_new(inf, I_NULL);
    inf->n_nodes++;
    m->parent = s;
    m->name = ls_arena_strndup(&inf->arena, k, kl);
    m->name_len = kl;
    m->hash = h;
    if (s->last)
        s->last->next = m;
    else
        s->first = m;
    s->last = m;
    inf->n_members++;
    if (inf->n_members * 2 > inf->hcap) {
        size_t nc = inf->hcap * 2;
        inode **nt = ls_xcalloc(nc, sizeof(inode *));
        for (size_t i = 0; i < inf->hcap; i++)
            for (inode *x = inf->htab[i], *nx; x; x = nx) {
                nx = x->hnext;
                x->hnext = nt[x->hash & (nc - 1)];
                nt[x->hash & (nc - 1)] = x;
            }
        free(inf->htab);
        inf->htab = nt;
        inf->hcap = nc;
    }
    m->hnext = inf->htab[h & (inf->hcap - 1)];
    inf->htab[h & (inf->hcap - 1)] = m;
    return m;
}

static void to_string(inode *n)
{
    n->kind = I_STR;
    n->skind = S_PLAIN;
}

static void merge_scalar(inode *n, int kind)
{
    if (n->kind == I_NULL)
        n->kind = kind;
    else if (n->kind == kind)
        return;
    else if ((n->kind == I_INT && kind == I_DOUBLE) || (n->kind == I_DOUBLE && kind == I_INT))
        n->kind = I_DOUBLE;
    else
        to_string(n);
}

static const char *too_many(jcur *c)
{
    return jfail(c, LS_ERR_LIMIT, "line %llu: schema inference: more than %d fields",
                 (unsigned long long)c->line_no, LS_INFER_MAX_FIELDS);
}

/* Walks a value already validated by skip_value, merging its type into n. A
 * failure (field limit, NUL in a name) can leave this line's earlier members
 * merged: inference is then abandoned anyway. */
static const char *infer_value(ls_infer *inf, inode *n, const char *p, int depth)
{
    jcur *c = &inf->c;
    switch (*p) {
    case 'n': return p + 4;
    case 't': merge_scalar(n, I_BOOL); return p + 4;
    case 'f': merge_scalar(n, I_BOOL); return p + 5;
    case '"': {
        bool esc;
        const char *s = p + 1, *e = scan_str(c, s, &esc);
        if (!e)
            return NULL;
        size_t len = (size_t)(e - s);
        if (n->kind != I_NULL && n->kind != I_STR)
            to_string(n);
        else if (!(n->kind == I_STR && n->skind == S_PLAIN)) {
            const char *t = s;
            if (esc) {
                inf->scratch.len = 0;
                ls_buf_reserve(&inf->scratch, len + 1);
                len = unescape(s, len, (char *)inf->scratch.data);
                t = (const char *)inf->scratch.data;
            }
            int32_t d;
            int64_t us;
            bool tz = false;
            int sk = ls_parse_date(t, len, &d)                                ? S_DATE
                     : (ls_parse_timestamp(t, len, &us, &tz) && tz) ? S_TS
                                                                            : S_PLAIN;
            if (n->kind == I_NULL) {
                n->kind = I_STR;
                n->skind = sk;
            } else if (n->skind != sk) {
                n->skind = S_PLAIN;
            }
        }
        return e + 1;
    }
    case '{': {
        if (n->kind == I_NULL)
            n->kind = I_STRUCT;
        if (n->kind != I_STRUCT) {
            to_string(n);
            return skip_value(c, p, depth);
        }
        if (depth + 1 > LS_MAX_NESTING)
            return too_deep(c, p);
        p = ws(p + 1);
        if (*p == '}')
            return p + 1;
        for (;;) {
            const char *ks = p + 1;
            bool esc;
            const char *ke = scan_str(c, ks, &esc);
            if (!ke)
                return NULL;
            size_t kl = (size_t)(ke - ks);
            const char *k = ks;
            if (esc) {
                inf->scratch.len = 0;
                ls_buf_reserve(&inf->scratch, kl + 1);
                kl = unescape(ks, kl, (char *)inf->scratch.data);
                k = (const char *)inf->scratch.data;
                if (memchr(k, 0, kl))
                    return jfail(c, LS_ERR_INVALID,
                                 "line %llu, column %zu: a field name contains \\u0000",
                                 (unsigned long long)c->line_no, (size_t)(ks - c->buf) + 1);
            }
            inode *m = member(inf, n, k, kl);
            if (!m)
                return too_many(c);
            p = ws(ws(ke + 1) + 1); /* ':' was validated */
            if (!(p = infer_value(inf, m, p, depth + 1)))
                return NULL;
            p = ws(p);
            if (*p == '}')
                return p + 1;
            p = ws(p + 1); /* ',' */
        }
    }
    case '[': {
        if (n->kind == I_NULL) {
            if (inf->n_nodes >= LS_INFER_MAX_FIELDS)
                return too_many(c);
            n->kind = I_LIST;
            n->elem = inode_new(inf, I_NULL);
            inf->n_nodes++;
        }
        if (n->kind != I_LIST) {
            to_string(n);
            return skip_value(c, p, depth);
        }
        if (depth + 1 > LS_MAX_NESTING)
            return too_deep(c, p);
        p = ws(p + 1);
        if (*p == ']')
            return p + 1;
        for (;;) {
            if (!(p = infer_value(inf, n->elem, p, depth + 1)))
                return NULL;
            p = ws(p);
            if (*p == ']')
                return p + 1;
            p = ws(p + 1);
        }
    }
    default: {
        jnum j;
        const char *e = scan_number(p, &j);
        if (!e)
            return syn_msg(c, p, "invalid number");
        int64_t v;
        merge_scalar(n, j.is_int && num_to_i64(&j, &v) == NUM_OK ? I_INT : I_DOUBLE);
        return e;
    }
    }
}

int ls_infer_line(ls_infer *inf, const char *line, size_t len, uint64_t line_no, ls_error *err)
{
    const char *buf = line_copy(&inf->line, line, len);
    inf->c = (jcur){buf, buf + len, buf + len + 1, line_no, err, LS_OK};
    const char *p = buf;
    if (memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    p = ws(p);
    if (*p != '{') {
        if (p >= inf->c.end)
            syn_msg(&inf->c, p, "empty line (expected a JSON object)");
        else
            syn(&inf->c, p, "expected a JSON object");
        return inf->c.code;
    }
    /* validate the whole line first so a bad line leaves the tree untouched */
    const char *e = skip_value(&inf->c, p, 0);
    if (e) {
        e = ws(e);
        if (e != inf->c.end)
            e = syn(&inf->c, e, "expected end of line after the object");
    }
    if (!e)
        return inf->c.code;
    if (!infer_value(inf, inf->root, p, 0))
        return inf->c.code;
    return LS_OK;
}

static ls_type inode_type(const inode *n)
{
    switch (n->kind) {
    case I_BOOL: return LS_BOOLEAN;
    case I_INT: return LS_INT64;
    case I_DOUBLE: return LS_DOUBLE;
    case I_STR: return n->skind == S_TS ? LS_TIMESTAMP : n->skind == S_DATE ? LS_DATE : LS_STRING;
    case I_STRUCT: return n->first ? LS_STRUCT : LS_STRING; /* a struct needs a member */
    case I_LIST: return LS_LIST;
    default: return LS_STRING;
    }
}

static void build_inferred(const inode *n, ls_field *parent, const char *name)
{
    ls_type t = inode_type(n);
    ls_field *f = ls_field_add_child(parent, name, t, true);
    if (t == LS_STRUCT) {
        for (const inode *m = n->first; m; m = m->next)
            build_inferred(m, f, m->name); /* grows f->children; f itself stays put */
    } else if (t == LS_LIST) {
        build_inferred(n->elem, f, "element");
    }
}

int ls_infer_schema(ls_infer *inf, ls_schema **out, ls_error *err)
{
    *out = NULL;
    if (!inf->root->first)
        return ls_err(err, LS_ERR_INVALID, "schema inference: no fields found in the sample");
    ls_schema *s = ls_schema_new();
    for (const inode *m = inf->root->first; m; m = m->next)
        build_inferred(m, &s->root, m->name);
    int rc = ls_schema_finalize(s, err);
    if (rc) {
        ls_err_prefix(err, "schema inference");
        ls_schema_free(s);
        return rc;
    }
    *out = s;
    return LS_OK;
}
