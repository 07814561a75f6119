/*
 * util.h - the bottom layer of liblakestream: errors, growable buffers,
 * arenas, hashing, varints, small string helpers.
 *
 * Everything above includes this header; it includes nothing of ours.
 * Conventions used throughout the library:
 *   - functions return an int status (LS_OK == 0) and fill an ls_error
 *     with a human message naming what failed and why;
 *   - allocation failure is fatal (ls_xmalloc aborts with a message):
 *     sizes derived from untrusted input are validated *before* allocating,
 *     so an abort here means the machine is really out of memory.
 */
#ifndef LS_UTIL_H
#define LS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- status codes and ls_error: defined by the public header ----------- */
#include "../../include/lakestream.h"

#if defined(__GNUC__)
#define LS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define LS_LIKELY(x) __builtin_expect(!!(x), 1)
#define LS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LS_NORETURN __attribute__((noreturn))
#define LS_UNUSED __attribute__((unused))
#else
#define LS_PRINTF(a, b)
#define LS_LIKELY(x) (x)
#define LS_UNLIKELY(x) (x)
#define LS_NORETURN
#define LS_UNUSED
#endif

/* Sets err (if non-NULL) and returns code, so callers can write
 * `return ls_err(err, LS_ERR_CORRUPT, "%s: bad footer", path);` */
int ls_err(ls_error *err, int code, const char *fmt, ...) LS_PRINTF(3, 4);
int ls_verr(ls_error *err, int code, const char *fmt, va_list ap);
/* Prepends "prefix: " to an existing message (keeps the code). */
int ls_err_prefix(ls_error *err, const char *fmt, ...) LS_PRINTF(2, 3);
void ls_error_clear(ls_error *err);
const char *ls_strerror_code(int code);

/* ---- memory ----------------------------------------------------------- */

void *ls_xmalloc(size_t n);
void *ls_xcalloc(size_t n, size_t size);
void *ls_xrealloc(void *p, size_t n);
char *ls_xstrdup(const char *s);
char *ls_xstrndup(const char *s, size_t n);
LS_NORETURN void ls_oom(size_t n);
/* malloc'ed printf. */
char *ls_xasprintf(const char *fmt, ...) LS_PRINTF(1, 2);

/* Overflow-checked arithmetic for sizes that come from files. */
static inline bool ls_add_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out);
}
static inline bool ls_mul_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

/* ---- growable byte buffer --------------------------------------------- */

typedef struct ls_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} ls_buf;

void ls_buf_free(ls_buf *b);
void ls_buf_grow_slow(ls_buf *b, size_t need);
static inline void ls_buf_reserve(ls_buf *b, size_t extra)
{
    if (LS_UNLIKELY(b->cap - b->len < extra))
        ls_buf_grow_slow(b, extra);
}
static inline void ls_buf_append(ls_buf *b, const void *p, size_t n)
{
    ls_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}
static inline void ls_buf_putc(ls_buf *b, uint8_t c)
{
    ls_buf_reserve(b, 1);
    b->data[b->len++] = c;
}
static inline void ls_buf_puts(ls_buf *b, const char *s) { ls_buf_append(b, s, strlen(s)); }
static inline void ls_buf_reset(ls_buf *b) { b->len = 0; }
void ls_buf_printf(ls_buf *b, const char *fmt, ...) LS_PRINTF(2, 3);
/* NUL-terminates without counting the NUL in len; returns data. */
char *ls_buf_cstr(ls_buf *b);
static inline void ls_buf_put_u32le(ls_buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    ls_buf_append(b, t, 4);
}
/* Appends s as a JSON string literal (with quotes and escapes). */
void ls_buf_json_str(ls_buf *b, const char *s, size_t n);
/* Appends the JSON escape of c: '"', '\\' or a control character (< 0x20). */
void ls_buf_json_escape(ls_buf *b, unsigned char c);

/* ---- arena: bump allocator for per-batch / per-parse memory ----------- */

typedef struct ls_arena_block ls_arena_block;
typedef struct ls_arena {
    ls_arena_block *head;
    size_t block_size;
    size_t total; /* bytes handed out, for accounting */
} ls_arena;

void ls_arena_init(ls_arena *a, size_t block_size);
void *ls_arena_alloc(ls_arena *a, size_t n); /* 16-byte aligned, uninitialised */
void *ls_arena_calloc(ls_arena *a, size_t n);
char *ls_arena_strndup(ls_arena *a, const char *s, size_t n);
char *ls_arena_strdup(ls_arena *a, const char *s);
void ls_arena_reset(ls_arena *a); /* keeps the first block */
void ls_arena_free(ls_arena *a);

/* ---- hashing ---------------------------------------------------------- */

uint64_t ls_hash64(const void *p, size_t n, uint64_t seed); /* XXH3 */
static inline uint64_t ls_hash_u64(uint64_t x)
{
    /* splitmix64 finaliser: good spread for integer dictionary keys */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}
uint32_t ls_crc32(uint32_t crc, const void *p, size_t n); /* zlib CRC-32 */

/* ---- little-endian loads/stores --------------------------------------- */

static inline uint32_t ls_load_u32le(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v; /* the library only builds on little-endian hosts (checked in util.c) */
}
static inline uint64_t ls_load_u64le(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void ls_store_u32le(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void ls_store_u64le(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ---- misc ------------------------------------------------------------- */

static inline int ls_bit_width(uint64_t max_value)
{
    return max_value == 0 ? 0 : 64 - __builtin_clzll(max_value);
}
int64_t ls_now_micros(void);      /* wall clock, UTC */
int64_t ls_monotonic_nanos(void); /* for measuring durations */
bool ls_str_ieq(const char *a, const char *b);
bool ls_strn_ieq(const char *a, size_t an, const char *b);
/* Parses a size like "128MiB", "1GB", "4096"; returns LS_OK or LS_ERR_INVALID. */
int ls_parse_size(const char *s, uint64_t *out, ls_error *err);
/* Formats days since 1970-01-01 as YYYY-MM-DD (proleptic Gregorian). */
void ls_format_date(int32_t days, char out[16]);
/* Formats micros since epoch as ISO-8601 "YYYY-MM-DDTHH:MM:SS.ffffffZ" (utc=true) or
 * without the Z. Returns length. out must hold 40 bytes. */
int ls_format_timestamp(int64_t micros, bool utc, char *out);
/* Civil date <-> days since epoch. */
int64_t ls_days_from_civil(int64_t y, unsigned m, unsigned d);
void ls_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Parses "YYYY-MM-DD"; returns false if not a valid date. */
bool ls_parse_date(const char *s, size_t n, int32_t *days);
/* Parses ISO-8601 / Spark timestamp text: "YYYY-MM-DD[T| ]HH:MM[:SS[.f{1,9}]][Z|+HH:MM|-HH:MM]"
 * or a bare date. has_tz reports whether an offset was present (value is then UTC). */
bool ls_parse_timestamp(const char *s, size_t n, int64_t *micros, bool *has_tz);
/* Base64 (standard alphabet, padded). */
void ls_base64_encode(ls_buf *out, const uint8_t *p, size_t n);

/* ---- text helpers shared by value formatting and statistics ------------- */

/* Decodes one UTF-8 sequence at s (n >= 1 bytes left): returns its length (1..4) and sets
 * *cp, or 0 when malformed (bad lead or continuation byte, cut short, overlong, above
 * U+10FFFF). Surrogate code points (U+D800..DFFF) decode: Spark's statistics truncation
 * counts them as characters; strict callers use ls_utf8_seq / ls_utf8_valid. */
size_t ls_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
/* Length of the strictly valid UTF-8 sequence at s (n >= 1 bytes left), 0 if invalid. */
size_t ls_utf8_seq(const uint8_t *s, size_t n);
/* Whether s[0..n) is entirely valid UTF-8 (no surrogates, no overlongs). */
bool ls_utf8_valid(const uint8_t *s, size_t n);
/* Appends the exact text of a decimal: the unscaled value is w (1..16) little-endian two's
 * complement bytes, scale digits follow the point ("-1.50", "0.005", "42" for scale <= 0).
 * A scale above 38 (never valid) is written as 38 to keep within the digit buffer. */
void ls_buf_put_decimal(ls_buf *b, const uint8_t *le, size_t w, int scale);
/* Smallest %g precision (1..9 for a float, 1..17 for a double) whose text reads back as d
 * (as the same float when is_float); for finite d. Round-tripping is monotonic in the
 * precision, so this is a binary search. */
int ls_shortest_precision(double d, bool is_float);
/* NaN and the infinities as the JSON strings "NaN", "Infinity", "-Infinity" (quoted);
 * returns false, writing nothing, for a finite d. */
bool ls_buf_put_json_nonfinite(ls_buf *b, double d);

/* ---- JSON DOM (json.c): for small documents such as Delta log actions and
 * stats. Not the ingest hot path (that is col_json.c). All memory comes from
 * the arena. Depth is limited (LS_JSON_MAX_DEPTH) so hostile input cannot
 * overflow the stack. */
#define LS_JSON_MAX_DEPTH 128

typedef enum ls_json_type {
    LS_JSON_NULL,
    LS_JSON_BOOL,
    LS_JSON_NUMBER,
    LS_JSON_STRING,
    LS_JSON_ARRAY,
    LS_JSON_OBJECT,
} ls_json_type;

typedef struct ls_json ls_json;
struct ls_json {
    ls_json_type type;
    bool b;           /* BOOL */
    double num;       /* NUMBER (as double) */
    const char *text; /* NUMBER: the literal text; STRING: unescaped UTF-8, NUL-terminated */
    size_t len;       /* length of text */
    size_t n;         /* ARRAY/OBJECT: number of members */
    ls_json *items;   /* ARRAY elements / OBJECT values */
    const char **keys; /* OBJECT keys (unescaped, NUL-terminated) */
    size_t *key_lens;
};

/* Parses one JSON value (surrounding whitespace allowed, nothing else after it).
 * Errors name the byte offset. */
int ls_json_parse(const char *text, size_t len, ls_arena *arena, ls_json **out, ls_error *err);
/* Object member by exact key, or NULL (also NULL when v is not an object). */
const ls_json *ls_json_get(const ls_json *v, const char *key);
/* String value (NULL unless a string). */
const char *ls_json_str(const ls_json *v);
/* Integer value of a NUMBER that is an exact integer in range ("1.0" and "1e3" count). */
bool ls_json_int64(const ls_json *v, int64_t *out);
/* Serializes v compactly (keys in stored order). */
void ls_json_write(const ls_json *v, ls_buf *out);

#endif
