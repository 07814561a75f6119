/*
 * fuzz_csv.c - libFuzzer target for CSV input (col_csv.c). The first byte picks
 * the options (delimiter, small field/record limits), the second the piece size
 * the rest is revealed in. Besides "no crash, no sanitizer report", it checks:
 *   - the tokenizer gives the same records, errors (kind and line) and line
 *     counts whether the input comes in one piece or in pieces, always makes
 *     progress, never consumes more than it was given, and ends with lines_read
 *     = the input's lines;
 *   - its memory stays bounded by the record limit plus one piece;
 *   - every record re-encoded as RFC 4180 (all fields quoted, or minimal quoting)
 *     tokenizes back to the same fields;
 *   - ls_csv_record_json gives one valid JSON object (ls_json_parse), typed by a
 *     header bound to a schema or untyped;
 *   - ls_csv_read into a batch leaves a batch that passes ls_batch_validate.
 * Build: see fuzz/run.sh (clang -fsanitize=fuzzer,address,undefined).
 */
#include "col/col.h"

#include <stdio.h>
#include <stdlib.h>

#define DDL                                                                                     \
    "a BIGINT, b STRING, c DOUBLE, d BOOLEAN, e DATE, f TIMESTAMP, g DECIMAL(9,2), h BINARY, "  \
    "i ARRAY<INT>, j STRUCT<x: INT, y: STRING>, k MAP<STRING, BIGINT>, l TINYINT, m FLOAT"

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_csv: %s: %s\n", what, detail ? detail : "");
    abort();
}

/* Records (fields with their quoted flags), errors (kind@line) and line counts. */
static void describe(const ls_csv_tok *t, int rc, bool got, ls_buf *out)
{
    if (rc) {
        ls_buf_printf(out, "E%d@%llu;", (int)t->last_error, (unsigned long long)t->line);
        return;
    }
    if (!got)
        return;
    ls_buf_printf(out, "R%llu:%zu:", (unsigned long long)t->line, t->n_fields);
    for (size_t i = 0; i < t->n_fields; i++) {
        size_t n;
        const char *s = ls_csv_field(t, i, &n);
        ls_buf_printf(out, "%zu%c", n, t->quoted[i] ? 'q' : 'u');
        ls_buf_append(out, s, n);
    }
    ls_buf_printf(out, "/%llu;", (unsigned long long)t->lines_read);
}

/* Tokenizes text revealed `step` bytes at a time (0 = whole). Calls fn on each record. */
typedef void (*rec_fn)(const ls_csv_tok *t, void *arg);
static void tokenize(const uint8_t *text, size_t len, const ls_csv_opts *o, size_t step,
                     ls_buf *out, rec_fn fn, void *arg)
{
    ls_csv_tok t;
    ls_csv_tok_init(&t, o);
    size_t max_rec = o->max_record_bytes ? o->max_record_bytes : LS_CSV_MAX_RECORD;
    size_t head = 0, avail = step ? (step < len ? step : len) : len;
    for (size_t calls = 0;; calls++) {
        if (calls > 4 * len + 16)
            die("no progress", NULL);
        bool eof = avail == len;
        size_t used = 0;
        bool got = false;
        ls_error err = {0};
        int rc = ls_csv_next(&t, (const char *)text + head, avail - head, eof, &used, &got, &err);
        if (rc && strncmp(err.msg, "line ", 5) != 0)
            die("error without a line", err.msg);
        if (used > avail - head)
            die("consumed more than given", NULL);
        if (t.text.cap > 2 * (max_rec + (step ? step : len)) + 4096)
            die("record memory not bounded", NULL);
        describe(&t, rc, got, out);
        if (got && fn)
            fn(&t, arg);
        head += used;
        if (rc || got || used)
            continue;
        if (eof)
            break;
        avail = avail + step > len ? len : avail + step;
    }
    uint64_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (len && text[len - 1] != '\n')
        lines++;
    if (head != len || t.lines_read != lines)
        die("input not fully consumed, or line count wrong", NULL);
    ls_csv_tok_free(&t);
}

/* Re-encodes a record and checks it tokenizes back to the same fields. */
typedef struct rt_ctx {
    char delim;
    bool all_quoted;
} rt_ctx;

static void roundtrip(const ls_csv_tok *t, void *arg)
{
    const rt_ctx *c = arg;
    if (ls_csv_blank(t))
        return;
    ls_buf enc = {0};
    for (size_t i = 0; i < t->n_fields; i++) {
        size_t n;
        const char *s = ls_csv_field(t, i, &n);
        if (i)
            ls_buf_putc(&enc, (uint8_t)c->delim);
        bool q = c->all_quoted || t->quoted[i];
        for (size_t k = 0; k < n && !q; k++)
            q = s[k] == c->delim || s[k] == '"' || s[k] == '\n' || s[k] == '\r';
        if (!q && i == 0 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
            q = true; /* would read as a byte order mark */
        if (!q && t->n_fields == 1 && n == 0)
            q = true; /* a lone empty field is a blank line */
        if (q) {
            ls_buf_putc(&enc, '"');
            for (size_t k = 0; k < n; k++) {
                if (s[k] == '"')
                    ls_buf_putc(&enc, '"');
                ls_buf_putc(&enc, (uint8_t)s[k]);
            }
            ls_buf_putc(&enc, '"');
        } else {
            ls_buf_append(&enc, s, n);
        }
    }
    ls_buf_putc(&enc, '\n');
    ls_csv_opts o = {.delim = c->delim};
    ls_csv_tok u;
    ls_csv_tok_init(&u, &o);
    size_t used;
    bool got;
    ls_error err = {0};
    int rc = ls_csv_next(&u, (const char *)enc.data, enc.len, true, &used, &got, &err);
    if (rc || !got || used != enc.len || u.n_fields != t->n_fields)
        die("re-encoded record does not tokenize back", err.msg);
    for (size_t i = 0; i < t->n_fields; i++) {
        size_t a, b;
        const char *x = ls_csv_field(t, i, &a), *y = ls_csv_field(&u, i, &b);
        if (a != b || (a && memcmp(x, y, a)))
            die("re-encoded field differs", NULL);
    }
    ls_csv_tok_free(&u);
    ls_buf_free(&enc);
}

/* Header + JSON lines: every line is one valid JSON object. */
typedef struct json_ctx {
    ls_csv_header hdr, untyped;
    bool have;
    const ls_schema *schema;
    ls_buf line;
    ls_arena arena;
} json_ctx;

static void json_lines(const ls_csv_tok *t, void *arg)
{
    json_ctx *c = arg;
    if (ls_csv_blank(t))
        return;
    if (!c->have) {
        ls_csv_header_set(&c->hdr, t);
        ls_csv_header_set(&c->untyped, t);
        ls_error err = {0};
        if (ls_csv_header_bind(&c->hdr, c->schema, false, &err) != LS_OK)
            die("non-strict bind failed", err.msg);
        c->have = true;
        return;
    }
    for (int k = 0; k < 2; k++) {
        c->line.len = 0;
        ls_error err = {0};
        if (ls_csv_record_json(k ? &c->untyped : &c->hdr, t, &c->line, &err) != LS_OK) {
            if (c->line.len != 0 || strncmp(err.msg, "line ", 5) != 0)
                die("failed conversion changed the output or has no line", err.msg);
            continue;
        }
        ls_json *v = NULL;
        if (ls_json_parse((const char *)c->line.data, c->line.len, &c->arena, &v, &err) !=
                LS_OK ||
            v->type != LS_JSON_OBJECT || memchr(c->line.data, '\n', c->line.len))
            die("record_json is not one JSON object line", (const char *)ls_buf_cstr(&c->line));
        ls_arena_reset(&c->arena);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const char delims[4] = {',', '\t', ';', '|'};
    uint8_t o0 = data[0], o1 = data[1];
    ls_csv_opts o = {.delim = delims[o0 & 3]};
    if (o0 & 4)
        o.max_fields = 1 + (o0 >> 5);
    if (o0 & 8)
        o.max_record_bytes = 1 + (size_t)(o1 & 0x3f);
    size_t step = 1 + (o1 >> 2);
    const uint8_t *text = data + 2;
    size_t len = size - 2;

    ls_buf whole = {0}, pieces = {0}, bytes = {0};
    rt_ctx rc = {o.delim, (o0 & 16) != 0};
    tokenize(text, len, &o, 0, &whole, roundtrip, &rc);
    tokenize(text, len, &o, step, &pieces, NULL, NULL);
    if (whole.len != pieces.len || (whole.len && memcmp(whole.data, pieces.data, whole.len)))
        die("pieces differ from the whole", NULL);
    if (len < 512) {
        tokenize(text, len, &o, 1, &bytes, NULL, NULL);
        if (whole.len != bytes.len || (whole.len && memcmp(whole.data, bytes.data, whole.len)))
            die("byte by byte differs from the whole", NULL);
    }

    ls_schema *s = NULL;
    ls_error err = {0};
    if (ls_schema_parse_ddl(DDL, &s, &err) != LS_OK)
        die("schema", err.msg);
    json_ctx jc = {.schema = s};
    ls_arena_init(&jc.arena, 4096);
    ls_buf tmp = {0};
    tokenize(text, len, &o, 0, &tmp, json_lines, &jc);

    /* the strict reader, in pieces, a few rows per call */
    ls_batch *b = ls_batch_new(s);
    ls_csv_reader *r = ls_csv_reader_new(s, &o);
    size_t head = 0, avail = step < len ? step : len;
    for (size_t calls = 0; calls < 4 * len + 16; calls++) {
        bool eof = avail == len;
        size_t used = 0, before = b->n_rows;
        int rr = ls_csv_read(r, b, (const char *)text + head, avail - head, eof, 3, &used, &err);
        if (used > avail - head)
            die("reader consumed more than given", NULL);
        head += used;
        if (rr)
            break;
        if (b->n_rows - before == 3)
            continue;
        if (eof)
            break;
        avail = avail + step > len ? len : avail + step;
    }
    if (ls_batch_validate(b, &err) != LS_OK)
        die("batch invalid", err.msg);
    ls_csv_reader_free(r);
    ls_batch_free(b);

    ls_csv_header_free(&jc.hdr);
    ls_csv_header_free(&jc.untyped);
    ls_buf_free(&jc.line);
    ls_arena_free(&jc.arena);
    ls_buf_free(&tmp);
    ls_schema_free(s);
    ls_buf_free(&whole);
    ls_buf_free(&pieces);
    ls_buf_free(&bytes);
    return 0;
}
