/*
 * util.c - errors, memory, buffers, arenas, hashing and time helpers shared
 * by every layer of liblakestream.
 */
#include "util.h"

/* gcc 12 with -fsanitize=undefined reports a false "null format string" in the
 * vsnprintf size probes below; the formats come from callers and are never NULL. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xxhash.h>
#include <zlib.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lakestream assumes a little-endian host (Parquet and Delta are little-endian on disk)"
#endif

/* ---- errors ----------------------------------------------------------- */

int ls_verr(ls_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int ls_err(ls_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ls_verr(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int ls_err_prefix(ls_error *err, const char *fmt, ...)
{
    if (!err)
        return LS_ERR_INVALID;
    char pre[LS_ERROR_MSG_MAX], old[LS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t pl = strnlen(pre, sizeof pre - 1);
    if (pl > sizeof err->msg - 3)
        pl = sizeof err->msg - 3;
    memcpy(err->msg, pre, pl);
    err->msg[pl] = ':';
    err->msg[pl + 1] = ' ';
    size_t room = sizeof err->msg - pl - 3;
    size_t ol = strnlen(old, room);
    memcpy(err->msg + pl + 2, old, ol);
    err->msg[pl + 2 + ol] = 0;
    if (err->code == LS_OK)
        err->code = LS_ERR_INVALID;
    return err->code;
}

void ls_error_clear(ls_error *err)
{
    if (err) {
        err->code = LS_OK;
        err->msg[0] = 0;
    }
}

const char *ls_strerror_code(int code)
{
    switch (code) {
    case LS_OK: return "ok";
    case LS_ERR_INVALID: return "invalid input";
    case LS_ERR_IO: return "i/o error";
    case LS_ERR_CORRUPT: return "corrupt data";
    case LS_ERR_UNSUPPORTED: return "unsupported";
    case LS_ERR_NOTFOUND: return "not found";
    case LS_ERR_EXISTS: return "already exists";
    case LS_ERR_CONFLICT: return "conflict";
    case LS_ERR_LIMIT: return "limit exceeded";
    case LS_ERR_INTERRUPTED: return "interrupted";
    }
    return "error";
}

/* ---- memory ----------------------------------------------------------- */

void ls_oom(size_t n)
{
    fprintf(stderr, "lakestream: out of memory allocating %zu bytes\n", n);
    abort();
}

void *ls_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        ls_oom(n);
    return p;
}

void *ls_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        ls_oom(n * size);
    return p;
}

void *ls_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        ls_oom(n);
    return q;
}

char *ls_xstrdup(const char *s) { return ls_xstrndup(s, strlen(s)); }

char *ls_xstrndup(const char *s, size_t n)
{
    char *p = ls_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *ls_xasprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = ls_xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* ---- buffers ---------------------------------------------------------- */

void ls_buf_free(ls_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ls_buf_grow_slow(ls_buf *b, size_t need)
{
    size_t want;
    if (ls_add_overflow(b->len, need, &want))
        ls_oom(SIZE_MAX);
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want) {
        if (cap > SIZE_MAX / 2)
            ls_oom(want);
        cap *= 2;
    }
    b->data = ls_xrealloc(b->data, cap);
    b->cap = cap;
}

void ls_buf_printf(ls_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        ls_buf_reserve(b, (size_t)n + 1);
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

char *ls_buf_cstr(ls_buf *b)
{
    ls_buf_reserve(b, 1);
    b->data[b->len] = 0;
    return (char *)b->data;
}

void ls_buf_json_escape(ls_buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"': ls_buf_append(b, "\\\"", 2); break;
    case '\\': ls_buf_append(b, "\\\\", 2); break;
    case '\n': ls_buf_append(b, "\\n", 2); break;
    case '\r': ls_buf_append(b, "\\r", 2); break;
    case '\t': ls_buf_append(b, "\\t", 2); break;
    case '\b': ls_buf_append(b, "\\b", 2); break;
    case '\f': ls_buf_append(b, "\\f", 2); break;
    default: {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        ls_buf_append(b, u, 6);
    }
    }
}

void ls_buf_json_str(ls_buf *b, const char *s, size_t n)
{
    ls_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        ls_buf_append(b, s + start, i - start);
        start = i + 1;
        ls_buf_json_escape(b, c);
    }
    ls_buf_append(b, s + start, n - start);
    ls_buf_putc(b, '"');
}

/* ---- arena ------------------------------------------------------------ */

struct ls_arena_block {
    ls_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void ls_arena_init(ls_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->total = 0;
}

void *ls_arena_alloc(ls_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    ls_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t sz = n > a->block_size ? n : a->block_size;
        b = ls_xmalloc(sizeof *b + sz);
        b->size = sz;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

void *ls_arena_calloc(ls_arena *a, size_t n)
{
    void *p = ls_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *ls_arena_strndup(ls_arena *a, const char *s, size_t n)
{
    char *p = ls_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *ls_arena_strdup(ls_arena *a, const char *s) { return ls_arena_strndup(a, s, strlen(s)); }

void ls_arena_reset(ls_arena *a)
{
    /* Keep the most recent block (usually the biggest) for reuse. */
    ls_arena_block *b = a->head;
    if (!b)
        return;
    ls_arena_block *rest = b->next;
    while (rest) {
        ls_arena_block *n = rest->next;
        free(rest);
        rest = n;
    }
    b->next = NULL;
    b->used = 0;
    a->total = 0;
}

void ls_arena_free(ls_arena *a)
{
    ls_arena_block *b = a->head;
    while (b) {
        ls_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->total = 0;
}

/* ---- hashing ---------------------------------------------------------- */

uint64_t ls_hash64(const void *p, size_t n, uint64_t seed) { return XXH3_64bits_withSeed(p, n, seed); }

uint32_t ls_crc32(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *q = p;
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, q, chunk);
        q += chunk;
        n -= chunk;
    }
    return crc;
}

/* ---- time ------------------------------------------------------------- */

int64_t ls_now_micros(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ls_monotonic_nanos(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Howard Hinnant's civil-calendar algorithms (public-domain description). */
int64_t ls_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ls_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int fmt_year(char *out, int64_t y)
{
    if (y >= 0 && y <= 9999)
        return sprintf(out, "%04d", (int)y);
    if (y < 0 && y >= -9999)
        return sprintf(out, "-%04d", (int)-y);
    return sprintf(out, "%+lld", (long long)y);
}

void ls_format_date(int32_t days, char out[16])
{
    int64_t y;
    unsigned m, d;
    ls_civil_from_days(days, &y, &m, &d);
    int n = fmt_year(out, y);
    sprintf(out + n, "-%02u-%02u", m, d);
}

int ls_format_timestamp(int64_t micros, bool utc, char *out)
{
    int64_t secs = micros / 1000000, us = micros % 1000000;
    if (us < 0) {
        us += 1000000;
        secs -= 1;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    int64_t y;
    unsigned m, d;
    ls_civil_from_days(days, &y, &m, &d);
    int n = fmt_year(out, y);
    n += sprintf(out + n, "-%02u-%02uT%02d:%02d:%02d.%06d%s", m, d, (int)(sod / 3600),
                 (int)(sod / 60 % 60), (int)(sod % 60), (int)us, utc ? "Z" : "");
    return n;
}

static bool digits(const char *s, size_t n, size_t at, size_t cnt, int *out)
{
    if (at + cnt > n)
        return false;
    int v = 0;
    for (size_t i = 0; i < cnt; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Parses the date part; returns the index after it or 0. */
static size_t parse_date_part(const char *s, size_t n, int64_t *days)
{
    int y, m, d;
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    size_t ys = i;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - ys < 6)
        i++;
    if (i - ys < 4 || !digits(s, n, ys, i - ys, &y))
        return 0;
    if (i >= n || s[i] != '-' || !digits(s, n, i + 1, 2, &m) || i + 3 >= n || s[i + 3] != '-' ||
        !digits(s, n, i + 4, 2, &d))
        return 0;
    int64_t yy = neg ? -y : y;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(yy, (unsigned)m))
        return 0;
    *days = ls_days_from_civil(yy, (unsigned)m, (unsigned)d);
    return i + 6;
}

bool ls_parse_date(const char *s, size_t n, int32_t *days)
{
    int64_t dd;
    size_t i = parse_date_part(s, n, &dd);
    if (!i || i != n || dd < INT32_MIN || dd > INT32_MAX)
        return false;
    *days = (int32_t)dd;
    return true;
}

bool ls_parse_timestamp(const char *s, size_t n, int64_t *micros, bool *has_tz)
{
    int64_t days;
    size_t i = parse_date_part(s, n, &days);
    if (!i)
        return false;
    int hh = 0, mi = 0, ss = 0;
    int64_t frac = 0;
    *has_tz = false;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        if (!digits(s, n, i + 1, 2, &hh) || i + 3 >= n || s[i + 3] != ':' ||
            !digits(s, n, i + 4, 2, &mi))
            return false;
        i += 6;
        if (i < n && s[i] == ':') {
            if (!digits(s, n, i + 1, 2, &ss))
                return false;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t fs = i;
                int64_t scale = 100000;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (i - fs < 6) {
                        frac += (s[i] - '0') * scale;
                        scale /= 10;
                    }
                    i++;
                }
                if (i == fs || i - fs > 9)
                    return false;
            }
        }
        if (hh > 23 || mi > 59 || ss > 60)
            return false;
        if (ss == 60)
            ss = 59; /* leap second: clamp, as Spark does */
    }
    int64_t off = 0;
    if (i < n) {
        if (s[i] == 'Z' || s[i] == 'z') {
            *has_tz = true;
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int oh, om = 0;
            int sign = s[i] == '-' ? -1 : 1;
            if (!digits(s, n, i + 1, 2, &oh))
                return false;
            i += 3;
            if (i < n && s[i] == ':')
                i++;
            if (i < n) {
                if (!digits(s, n, i, 2, &om))
                    return false;
                i += 2;
            }
            if (oh > 18 || om > 59)
                return false;
            off = sign * (oh * 3600 + om * 60);
            *has_tz = true;
        }
    }
    if (i != n)
        return false;
    int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - off;
    if (secs > INT64_MAX / 1000000 - 1 || secs < INT64_MIN / 1000000 + 1)
        return false;
    *micros = secs * 1000000 + frac;
    return true;
}

/* ---- strings ------------------------------------------------------------ */

static inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

bool ls_str_ieq(const char *a, const char *b)
{
    while (*a && *b) {
        if (lower(*a) != lower(*b))
            return false;
        a++;
        b++;
    }
    return *a == *b;
}

bool ls_strn_ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

int ls_parse_size(const char *s, uint64_t *out, ls_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return ls_err(err, LS_ERR_INVALID, "invalid size '%s'", s);
    while (*end == ' ')
        end++;
    double mult = 1;
    if (!*end || ls_str_ieq(end, "b"))
        mult = 1;
    else if (ls_str_ieq(end, "k") || ls_str_ieq(end, "kb"))
        mult = 1e3;
    else if (ls_str_ieq(end, "kib"))
        mult = 1024.0;
    else if (ls_str_ieq(end, "m") || ls_str_ieq(end, "mb"))
        mult = 1e6;
    else if (ls_str_ieq(end, "mib"))
        mult = 1024.0 * 1024;
    else if (ls_str_ieq(end, "g") || ls_str_ieq(end, "gb"))
        mult = 1e9;
    else if (ls_str_ieq(end, "gib"))
        mult = 1024.0 * 1024 * 1024;
    else
        return ls_err(err, LS_ERR_INVALID, "invalid size unit in '%s' (use B, KB, KiB, MB, MiB, GB, GiB)", s);
    double r = v * mult;
    if (r > 9.2e18)
        return ls_err(err, LS_ERR_INVALID, "size '%s' too large", s);
    *out = (uint64_t)r;
    return LS_OK;
}

void ls_base64_encode(ls_buf *out, const uint8_t *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    ls_buf_reserve(out, (n + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char t[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
        ls_buf_append(out, t, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char t[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], '=', '='};
        ls_buf_append(out, t, 4);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char t[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};
        ls_buf_append(out, t, 4);
    }
}

/* ---- text helpers shared by value formatting and statistics ------------- */

size_t ls_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t k;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        k = 1;
        v = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        k = 2;
        v = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        k = 3;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n <= k)
        return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((s[j] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[j] & 0x3f);
    }
    /* overlong forms and values past U+10FFFF are not UTF-8 */
    if ((k == 1 && v < 0x80) || (k == 2 && v < 0x800) || (k == 3 && v < 0x10000) || v > 0x10ffff)
        return 0;
    *cp = v;
    return k + 1;
}

size_t ls_utf8_seq(const uint8_t *s, size_t n)
{
    uint32_t cp;
    size_t k = ls_utf8_decode(s, n, &cp);
    return k && !(cp >= 0xd800 && cp <= 0xdfff) ? k : 0;
}

bool ls_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) { /* ASCII runs are the common case */
            i++;
            continue;
        }
        size_t k = ls_utf8_seq(s + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

void ls_buf_put_decimal(ls_buf *b, const uint8_t *le, size_t w, int scale)
{
    if (w > 16)
        w = 16;
    uint8_t full[16];
    bool neg = w > 0 && (le[w - 1] & 0x80) != 0;
    if (w)
        memcpy(full, le, w);
    memset(full + w, neg ? 0xff : 0x00, 16 - w); /* sign-extend to 128 bits */
    unsigned __int128 u;
    memcpy(&u, full, 16);
    if (neg)
        u = ~u + 1; /* magnitude; also right for the most negative value */
    if (scale > 38)
        scale = 38;
    char d[48]; /* 39 digits at most, or scale + 1 <= 39 with the leading zeros */
    int n = 0;
    do {
        d[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale)
        d[n++] = '0';
    if (neg)
        ls_buf_putc(b, '-');
    for (int i = n - 1; i >= 0; i--) {
        if (i == scale - 1)
            ls_buf_putc(b, '.');
        ls_buf_putc(b, (uint8_t)d[i]);
    }
}

int ls_shortest_precision(double d, bool is_float)
{
    char t[400]; /* %g with <= 17 digits needs < 32; room to spare */
    int lo = 1, hi = is_float ? 9 : 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(t, sizeof t, "%.*g", mid, d);
        bool ok = is_float ? strtof(t, NULL) == (float)d : strtod(t, NULL) == d;
        if (ok)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

bool ls_buf_put_json_nonfinite(ls_buf *b, double d)
{
    if (isnan(d)) {
        ls_buf_puts(b, "\"NaN\"");
        return true;
    }
    if (isinf(d)) {
        ls_buf_puts(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return true;
    }
    return false;
}
