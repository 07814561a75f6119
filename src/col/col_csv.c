/*
 * col_csv.c - CSV input: an incremental RFC 4180 tokenizer, the header, the
 * conversion of a record to a JSON object line (so CSV shares the JSON
 * shredder's value rules, rescue and schema evolution in ingest), and a
 * strict CSV -> batch reader on top (the CLI's append). Rules: see col.h.
 *
 * DESIGN
 *   The tokenizer is a four-state machine (field start, unquoted, quoted,
 *   after a closing quote) that copies unescaped field bytes into one buffer
 *   with an offset per field. Its state survives a "need more input" return,
 *   so a record arriving in pieces is scanned once, not once per piece (a
 *   slowly trickled hostile record cannot make it quadratic). Bytes it cannot
 *   decide yet (a '"' that may be doubled, a CR that may precede LF) are left
 *   for the next call. Runs of ordinary bytes are skipped 8 at a time (SWAR).
 *   After a syntax error the rest of that line is skipped; after a limit the
 *   rest of the record is scanned without storing anything (mode DISCARD).
 *   Line numbers: every '\n' consumed counts, including those inside quotes.
 */
#include "col.h"

#include <stdlib.h>

enum { ST_FIELD, ST_UNQ, ST_QUOTED, ST_AFTER_QUOTE };
enum { M_NORMAL, M_DISCARD_PENDING, M_DISCARD, M_SKIP_LINE };

#define SWAR_LO 0x0101010101010101ULL
#define SWAR_HI 0x8080808080808080ULL

/* Non-zero when some byte of w equals the byte repeated in pat. */
static inline uint64_t swar_has(uint64_t w, uint64_t pat)
{
    uint64_t x = w ^ pat;
    return (x - SWAR_LO) & ~x & SWAR_HI;
}

/* ---- tokenizer ------------------------------------------------------------------ */

void ls_csv_tok_init(ls_csv_tok *t, const ls_csv_opts *opts)
{
    memset(t, 0, sizeof *t);
    if (opts)
        t->opts = *opts;
}

void ls_csv_tok_reset(ls_csv_tok *t)
{
    t->n_fields = 0;
    t->text.len = 0;
    t->line = t->lines_read = 0;
    t->last_error = LS_CSV_OK;
    t->pos = 0;
    t->nl = t->qline = 0;
    t->st = ST_FIELD;
    t->mode = M_NORMAL;
    t->in_rec = t->started = t->mid_line = false;
}

void ls_csv_tok_free(ls_csv_tok *t)
{
    ls_buf_free(&t->text);
    free(t->off);
    free(t->quoted);
    ls_csv_opts o = t->opts;
    memset(t, 0, sizeof *t);
    t->opts = o;
}

static void push_field(ls_csv_tok *t, bool quoted, size_t max_fields)
{
    if (t->mode != M_NORMAL)
        return;
    if (t->n_fields >= max_fields) {
        t->mode = M_DISCARD_PENDING; /* reported when the scan stops */
        return;
    }
    if (t->n_fields + 2 > t->cap) {
        size_t nc = t->cap * 2;
        if (nc < 32)
            nc = 32;
        if (nc > max_fields + 2)
            nc = max_fields + 2;
        t->off = ls_xrealloc(t->off, nc * sizeof(size_t));
        t->quoted = ls_xrealloc(t->quoted, nc * sizeof(bool));
        t->cap = nc;
    }
    t->quoted[t->n_fields++] = quoted;
    t->off[t->n_fields] = t->text.len;
}

/* Drops p[0..i): line accounting, and the scan restarts at the new p[0]. */
static void consume(ls_csv_tok *t, const char *p, size_t n, bool eof, size_t i, size_t *used)
{
    *used = i;
    t->lines_read += t->nl;
    t->nl = 0;
    t->pos = 0;
    if (i > 0)
        t->mid_line = p[i - 1] != '\n';
    if (eof && i == n && t->mid_line) {
        t->lines_read++; /* the last line has no '\n' */
        t->mid_line = false;
    }
}

static int limit_error(ls_csv_tok *t, ls_error *err, size_t max_fields, size_t max_bytes)
{
    if (t->mode == M_DISCARD_PENDING) {
        t->last_error = LS_CSV_E_FIELDS;
        return ls_err(err, LS_ERR_LIMIT, "line %llu: more than %zu fields in one record",
                      (unsigned long long)t->line, max_fields);
    }
    t->last_error = LS_CSV_E_BYTES;
    return ls_err(err, LS_ERR_LIMIT, "line %llu: record longer than %zu bytes",
                  (unsigned long long)t->line, max_bytes);
}

/* A syntax error at p[i]: report it and skip to the end of that line. */
static int syntax_error(ls_csv_tok *t, const char *p, size_t n, bool eof, size_t i,
                        ls_csv_errkind kind, size_t *used, ls_error *err)
{
    unsigned long long line = (unsigned long long)(t->line + t->nl);
    size_t field = t->n_fields + 1;
    unsigned char c = (unsigned char)p[i];
    t->last_error = kind;
    if (kind == LS_CSV_E_QUOTE)
        ls_err(err, LS_ERR_INVALID,
               "line %llu, field %zu: '\"' inside an unquoted field (quote the whole field "
               "and double the quote)",
               line, field);
    else if (c >= 0x20 && c < 0x7f)
        ls_err(err, LS_ERR_INVALID,
               "line %llu, field %zu: unexpected '%c' after a closing quote (expected the "
               "delimiter or the end of the line)",
               line, field - 1, c);
    else
        ls_err(err, LS_ERR_INVALID,
               "line %llu, field %zu: unexpected byte 0x%02x after a closing quote", line,
               field - 1, c);
    const char *e = memchr(p + i, '\n', n - i);
    t->in_rec = false;
    t->n_fields = 0;
    if (e) {
        t->nl++;
        consume(t, p, n, eof, (size_t)(e - p) + 1, used);
    } else {
        if (!eof)
            t->mode = M_SKIP_LINE;
        consume(t, p, n, eof, n, used);
    }
    return LS_ERR_INVALID;
}

int ls_csv_next(ls_csv_tok *t, const char *p, size_t n, bool eof, size_t *used, bool *got,
                ls_error *err)
{
    const char d = t->opts.delim ? t->opts.delim : ',';
    size_t max_fields = t->opts.max_fields ? t->opts.max_fields : LS_CSV_MAX_FIELDS;
    if (max_fields > SIZE_MAX / 64)
        max_fields = SIZE_MAX / 64; /* keeps the capacity arithmetic below overflow */
    const size_t max_bytes =
        t->opts.max_record_bytes ? t->opts.max_record_bytes : LS_CSV_MAX_RECORD;
    *used = 0;
    *got = false;
    t->last_error = LS_CSV_OK;
    if (t->pos > n) { /* not the bytes scanned before: start that record over */
        t->in_rec = false;
        t->pos = 0;
        t->nl = 0;
        if (t->mode == M_DISCARD_PENDING || t->mode == M_DISCARD)
            t->mode = M_NORMAL;
    }
    if (t->mode == M_SKIP_LINE) {
        const char *e = n ? memchr(p, '\n', n) : NULL;
        size_t i = e ? (size_t)(e - p) + 1 : n;
        if (e) {
            t->nl++;
            t->mode = M_NORMAL;
        } else if (eof) {
            t->mode = M_NORMAL;
        }
        consume(t, p, n, eof, i, used);
        return LS_OK;
    }
    size_t i = t->pos;
    if (!t->started) {
        static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
        if (n < 3 && !eof && (n == 0 || memcmp(p, bom, n) == 0))
            return LS_OK; /* maybe a BOM: need more */
        t->started = true;
        if (n >= 3 && memcmp(p, bom, 3) == 0)
            i = 3;
    }
    if (!t->in_rec) {
        t->in_rec = true;
        t->n_fields = 0;
        t->text.len = 0;
        if (!t->off) {
            t->cap = 32;
            t->off = ls_xmalloc(t->cap * sizeof(size_t));
            t->quoted = ls_xmalloc(t->cap * sizeof(bool));
            ls_buf_reserve(&t->text, 256); /* data is never NULL for ls_csv_field */
        }
        t->off[0] = 0;
        t->st = ST_FIELD;
        t->nl = 0;
        if (t->mode == M_NORMAL)
            t->line = t->lines_read + 1;
    }
    const uint64_t pd = SWAR_LO * (unsigned char)d, pn = SWAR_LO * '\n', pr = SWAR_LO * '\r',
                   pq = SWAR_LO * '"';
    for (;;) {
        if (t->mode == M_NORMAL && i > max_bytes)
            goto too_long;
        if (i >= n) {
            if (!eof)
                goto need_more;
            /* end of input */
            if (t->st == ST_QUOTED) {
                if (t->mode == M_NORMAL) {
                    t->last_error = LS_CSV_E_UNTERMINATED;
                    uint64_t last = t->line + t->nl - (p[n - 1] == '\n' ? 1 : 0);
                    ls_err(err, LS_ERR_INVALID,
                           "line %llu, field %zu: quoted field not closed before the end of "
                           "the input (line %llu)",
                           (unsigned long long)t->qline, t->n_fields + 1,
                           (unsigned long long)last);
                    t->in_rec = false;
                    t->n_fields = 0;
                    consume(t, p, n, eof, n, used);
                    return LS_ERR_INVALID;
                }
                break; /* discarding: the record just ends */
            }
            if (t->st == ST_FIELD && t->n_fields == 0 && t->mode == M_NORMAL) {
                /* nothing (left) in the input */
                t->in_rec = false;
                consume(t, p, n, eof, i, used);
                return LS_OK;
            }
            if (t->st == ST_FIELD || t->st == ST_UNQ)
                push_field(t, false, max_fields);
            break;
        }
        switch (t->st) {
        case ST_FIELD: {
            char c = p[i];
            if (c == '"') {
                t->st = ST_QUOTED;
                t->qline = t->line + t->nl;
                i++;
            } else if (c == d) {
                push_field(t, false, max_fields);
                i++;
            } else {
                t->st = ST_UNQ;
            }
            continue;
        }
        case ST_UNQ: {
            size_t s = i;
            while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (swar_has(w, pd) | swar_has(w, pn) | swar_has(w, pr) | swar_has(w, pq))
                    break;
                i += 8;
            }
            while (i < n) {
                char c = p[i];
                if (c == d || c == '\n' || c == '\r' || c == '"')
                    break;
                i++;
            }
            if (t->mode == M_NORMAL)
                ls_buf_append(&t->text, p + s, i - s);
            if (i >= n || (t->mode == M_NORMAL && i > max_bytes))
                continue;
            char c = p[i];
            if (c == d) {
                push_field(t, false, max_fields);
                t->st = ST_FIELD;
                i++;
                continue;
            }
            if (c == '\n') {
                push_field(t, false, max_fields);
                i++;
                t->nl++;
                break;
            }
            if (c == '\r') {
                if (i + 1 < n) {
                    if (p[i + 1] == '\n') {
                        push_field(t, false, max_fields);
                        i += 2;
                        t->nl++;
                                break;
                    }
                    if (t->mode == M_NORMAL)
                        ls_buf_putc(&t->text, '\r'); /* a lone CR is data */
                    i++;
                    continue;
                }
                if (!eof)
                    goto need_more; /* CR LF split between reads? */
                push_field(t, false, max_fields);
                i++;
                break;
            }
            /* '"' in an unquoted field */
            if (t->mode != M_NORMAL) {
                i++; /* discarding: no opinion */
                continue;
            }
            return syntax_error(t, p, n, eof, i, LS_CSV_E_QUOTE, used, err);
        }
        case ST_QUOTED: {
            size_t s = i;
            while (i + 8 <= n) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (swar_has(w, pq) | swar_has(w, pn))
                    break;
                i += 8;
            }
            while (i < n && p[i] != '"' && p[i] != '\n')
                i++;
            if (t->mode == M_NORMAL)
                ls_buf_append(&t->text, p + s, i - s);
            if (i >= n || (t->mode == M_NORMAL && i > max_bytes))
                continue;
            if (p[i] == '\n') {
                if (t->mode == M_NORMAL)
                    ls_buf_putc(&t->text, '\n');
                t->nl++;
                i++;
                continue;
            }
            /* '"': doubled, or the closing quote */
            if (i + 1 >= n && !eof)
                goto need_more;
            if (i + 1 < n && p[i + 1] == '"') {
                if (t->mode == M_NORMAL)
                    ls_buf_putc(&t->text, '"');
                i += 2;
                continue;
            }
            i++;
            push_field(t, true, max_fields);
            t->st = ST_AFTER_QUOTE;
            continue;
        }
        default: { /* ST_AFTER_QUOTE */
            char c = p[i];
            if (c == d) {
                t->st = ST_FIELD;
                i++;
                continue;
            }
            if (c == '\n') {
                i++;
                t->nl++;
                break;
            }
            if (c == '\r') {
                if (i + 1 >= n) {
                    if (!eof)
                        goto need_more;
                    i++;
                    break;
                }
                if (p[i + 1] == '\n') {
                    i += 2;
                    t->nl++;
                        break;
                }
            }
            if (t->mode != M_NORMAL) {
                t->st = ST_UNQ; /* discarding: resynchronise on the next separator */
                continue;
            }
            return syntax_error(t, p, n, eof, i, LS_CSV_E_AFTER_QUOTE, used, err);
        }
        }
        break; /* the record ended */
    }
    /* the record is complete: p[0..i) */
    t->in_rec = false;
    if (t->mode == M_DISCARD) {
        t->mode = M_NORMAL;
        t->n_fields = 0;
        consume(t, p, n, eof, i, used);
        return LS_OK;
    }
    if (t->mode == M_DISCARD_PENDING || i > max_bytes) {
        int rc = limit_error(t, err, max_fields, max_bytes);
        t->mode = M_NORMAL;
        t->n_fields = 0;
        consume(t, p, n, eof, i, used);
        return rc;
    }
    consume(t, p, n, eof, i, used);
    *got = true;
    return LS_OK;

need_more:
    if (t->mode == M_DISCARD) {
        consume(t, p, n, eof, i, used); /* nothing is kept: let the caller drop it */
        return LS_OK;
    }
    if (t->mode == M_NORMAL) {
        t->pos = i;
        return LS_OK;
    }
too_long: /* (or too many fields): report now, skip the rest of the record */
    {
        int rc = limit_error(t, err, max_fields, max_bytes);
        t->mode = M_DISCARD;
        t->n_fields = 0;
        t->text.len = 0;
        consume(t, p, n, eof, i, used);
        return rc;
    }
}

/* ---- JSON text -------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n) (s[0] >= 0x80), or 0. */

/* Appends s as a JSON string; false on invalid UTF-8 (or, with repair, U+FFFD for
 * each bad byte and true). */
static bool json_str(ls_buf *b, const char *s, size_t n, bool repair)
{
    const unsigned char *u = (const unsigned char *)s;
    ls_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    size_t start = 0, i = 0;
    const uint64_t pq = SWAR_LO * '"', pb = SWAR_LO * '\\';
    while (i < n) {
        /* 8 plain ASCII bytes at a time: no high bit, no control, no '"' or '\\' */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if ((w & SWAR_HI) | ((w - SWAR_LO * 0x20) & ~w & SWAR_HI) | swar_has(w, pq) |
                swar_has(w, pb))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = ls_utf8_seq(u + i, n - i);
            if (k) {
                i += k;
                continue;
            }
            if (!repair)
                return false;
            ls_buf_append(b, s + start, i - start);
            ls_buf_append(b, "\xEF\xBF\xBD", 3);
            start = ++i;
            continue;
        }
        ls_buf_append(b, s + start, i - start);
        start = ++i;
        ls_buf_json_escape(b, c);
    }
    ls_buf_append(b, s + start, n - start);
    ls_buf_putc(b, '"');
    return true;
}

static inline bool is_digit(char c) { return (unsigned)(c - '0') < 10; }

/* Strict JSON number grammar (for guessing untyped columns). */
static bool json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !is_digit(s[i]))
        return false;
    if (s[i] == '0')
        i++;
    else
        while (i < n && is_digit(s[i]))
            i++;
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == f)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == e)
            return false;
    }
    return i == n;
}

/* A CSV number ([+-] digits [. digits] [e [+-] digits], digits on at least one side
 * of the point) appended as a JSON number; false when s is not one. */
static bool put_number(ls_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    size_t a = i;
    while (i < n && is_digit(s[i]))
        i++;
    size_t ae = i, f = i, fe = i;
    if (i < n && s[i] == '.') {
        f = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        fe = i;
    }
    if (ae == a && fe == f)
        return false;
    size_t x = i;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == e)
            return false;
    }
    if (i != n)
        return false;
    ls_buf_reserve(out, n + 3);
    if (neg)
        ls_buf_putc(out, '-');
    while (a + 1 < ae && s[a] == '0')
        a++; /* JSON has no leading zeros */
    if (a == ae)
        ls_buf_putc(out, '0');
    else
        ls_buf_append(out, s + a, ae - a);
    if (fe > f) {
        ls_buf_putc(out, '.');
        ls_buf_append(out, s + f, fe - f);
    }
    ls_buf_append(out, s + x, n - x);
    return true;
}

/* Nested column: the cell must be exactly one JSON value (else it could inject
 * members into the line); its line breaks (whitespace there) become spaces. */
static bool put_nested(ls_buf *out, const char *s, size_t n, ls_arena *a, bool *arena_used)
{
    if (!*arena_used) {
        ls_arena_init(a, 4096);
        *arena_used = true;
    }
    ls_json *v = NULL;
    ls_error e = {0};
    bool ok = ls_json_parse(s, n, a, &v, &e) == LS_OK;
    ls_arena_reset(a);
    if (!ok)
        return false;
    size_t at = out->len;
    ls_buf_append(out, s, n);
    for (size_t i = at; i < out->len; i++)
        if (out->data[i] == '\n' || out->data[i] == '\r')
            out->data[i] = ' ';
    return true;
}

/* ---- header ------------------------------------------------------------------------ */

static void header_keys(ls_csv_header *h)
{
    h->keys.len = 0;
    h->key_off[0] = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (h->cols[i])
            json_str(&h->keys, h->cols[i]->name, strlen(h->cols[i]->name), true);
        else
            json_str(&h->keys, (const char *)h->names.data + h->name_off[i],
                     h->name_off[i + 1] - h->name_off[i], true);
        ls_buf_putc(&h->keys, ':');
        h->key_off[i + 1] = h->keys.len;
    }
}

void ls_csv_header_set(ls_csv_header *h, const ls_csv_tok *rec)
{
    size_t n = rec->n_fields;
    h->n = n;
    h->line = rec->line;
    h->names.len = 0;
    ls_buf_reserve(&h->names, rec->off[n] + 1); /* data never NULL */
    ls_buf_append(&h->names, rec->text.data, rec->off[n]);
    h->name_off = ls_xrealloc(h->name_off, (n + 1) * sizeof(size_t));
    memcpy(h->name_off, rec->off, (n + 1) * sizeof(size_t));
    h->key_off = ls_xrealloc(h->key_off, (n + 1) * sizeof(size_t));
    free(h->cols);
    h->cols = ls_xcalloc(n + 1, sizeof(ls_field *));
    header_keys(h);
}

int ls_csv_header_bind(ls_csv_header *h, const ls_schema *schema, bool strict, ls_error *err)
{
    for (size_t i = 0; i < h->n; i++) {
        const char *nm = (const char *)h->names.data + h->name_off[i];
        size_t nl = h->name_off[i + 1] - h->name_off[i];
        h->cols[i] = schema ? ls_field_find_child(&schema->root, nm, nl) : NULL;
        if (!strict)
            continue;
        int shown = (int)(nl > 100 ? 100 : nl);
        if (!h->cols[i])
            return ls_err(err, LS_ERR_INVALID,
                          "line %llu: header column '%.*s' is not in the table schema",
                          (unsigned long long)h->line, shown, nm);
        for (size_t j = 0; j < i; j++)
            if (h->cols[j] == h->cols[i])
                return ls_err(err, LS_ERR_INVALID,
                              "line %llu: column '%.*s' appears twice in the header",
                              (unsigned long long)h->line, shown, nm);
    }
    header_keys(h);
    return LS_OK;
}

void ls_csv_header_free(ls_csv_header *h)
{
    ls_buf_free(&h->names);
    ls_buf_free(&h->keys);
    free(h->name_off);
    free(h->key_off);
    free(h->cols);
    memset(h, 0, sizeof *h);
}

/* ---- record -> JSON line ------------------------------------------------------------ */

int ls_csv_record_json(const ls_csv_header *h, const ls_csv_tok *rec, ls_buf *out,
                       ls_error *err)
{
    if (rec->n_fields != h->n)
        return ls_err(err, LS_ERR_INVALID, "line %llu: %zu fields, the header has %zu",
                      (unsigned long long)rec->line, rec->n_fields, h->n);
    size_t start = out->len;
    ls_arena arena;
    bool arena_used = false;
    ls_buf_putc(out, '{');
    for (size_t i = 0; i < h->n; i++) {
        if (i)
            ls_buf_putc(out, ',');
        ls_buf_append(out, h->keys.data + h->key_off[i], h->key_off[i + 1] - h->key_off[i]);
        size_t n;
        const char *s = ls_csv_field(rec, i, &n);
        bool quoted = rec->quoted[i];
        const ls_field *f = h->cols[i];
        if (!f) { /* untyped: guess */
            if (n == 0 && !quoted) {
                ls_buf_append(out, "null", 4);
                continue;
            }
            if (!quoted && (ls_strn_ieq(s, n, "true") || ls_strn_ieq(s, n, "false"))) {
                ls_buf_puts(out, n == 4 ? "true" : "false");
                continue;
            }
            if (!quoted && json_number(s, n)) {
                ls_buf_append(out, s, n);
                continue;
            }
        } else if (n == 0 && (!quoted || (f->type != LS_STRING && f->type != LS_BINARY))) {
            ls_buf_append(out, "null", 4);
            continue;
        } else {
            switch (f->type) {
            case LS_BOOLEAN:
                if (ls_strn_ieq(s, n, "true")) {
                    ls_buf_append(out, "true", 4);
                    continue;
                }
                if (ls_strn_ieq(s, n, "false")) {
                    ls_buf_append(out, "false", 5);
                    continue;
                }
                break;
            case LS_INT8:
            case LS_INT16:
            case LS_INT32:
            case LS_INT64:
            case LS_FLOAT:
            case LS_DOUBLE:
            case LS_DECIMAL:
                if (put_number(out, s, n))
                    continue;
                break; /* a string: NaN/Infinity, or the shredder's type error */
            case LS_STRUCT:
            case LS_LIST:
            case LS_MAP:
                if (put_nested(out, s, n, &arena, &arena_used))
                    continue;
                break;
            default: break;
            }
        }
        if (!json_str(out, s, n, false)) {
            if (arena_used)
                ls_arena_free(&arena);
            out->len = start;
            size_t kl = h->name_off[i + 1] - h->name_off[i];
            return ls_err(err, LS_ERR_INVALID, "line %llu: field %.*s: invalid UTF-8",
                          (unsigned long long)rec->line, (int)(kl > 100 ? 100 : kl),
                          (const char *)h->names.data + h->name_off[i]);
        }
    }
    ls_buf_putc(out, '}');
    if (arena_used)
        ls_arena_free(&arena);
    return LS_OK;
}

/* ---- strict reader ------------------------------------------------------------------ */

struct ls_csv_reader {
    const ls_schema *schema;
    ls_csv_tok tok;
    ls_csv_header hdr;
    bool have_header;
    ls_json_reader *jr;
    ls_buf json;
};

ls_csv_reader *ls_csv_reader_new(const ls_schema *schema, const ls_csv_opts *opts)
{
    ls_csv_reader *r = ls_xcalloc(1, sizeof *r);
    r->schema = schema;
    ls_csv_tok_init(&r->tok, opts);
    ls_json_opts jo = {.strict = true, .ignore_unknown_fields = false};
    r->jr = ls_json_reader_new(schema, &jo);
    return r;
}

void ls_csv_reader_free(ls_csv_reader *r)
{
    if (!r)
        return;
    ls_csv_tok_free(&r->tok);
    ls_csv_header_free(&r->hdr);
    ls_json_reader_free(r->jr);
    ls_buf_free(&r->json);
    free(r);
}

int ls_csv_read(ls_csv_reader *r, ls_batch *batch, const char *p, size_t n, bool eof,
                size_t max_rows, size_t *used, ls_error *err)
{
    size_t pos = 0, rows = 0;
    int rc = LS_OK;
    while (rows < max_rows) {
        size_t u;
        bool got;
        rc = ls_csv_next(&r->tok, p + pos, n - pos, eof, &u, &got, err);
        pos += u;
        if (rc)
            break;
        if (!got) {
            if (u == 0)
                break; /* need more input, or the end */
            continue;
        }
        if (ls_csv_blank(&r->tok))
            continue;
        if (!r->have_header) {
            ls_csv_header_set(&r->hdr, &r->tok);
            if ((rc = ls_csv_header_bind(&r->hdr, r->schema, true, err)))
                break;
            r->have_header = true;
            continue;
        }
        r->json.len = 0;
        if ((rc = ls_csv_record_json(&r->hdr, &r->tok, &r->json, err)))
            break;
        rc = ls_json_read_line(r->jr, batch, (const char *)r->json.data, r->json.len,
                               r->tok.line, NULL, err);
        if (rc)
            break;
        rows++;
    }
    *used = pos;
    return rc;
}
