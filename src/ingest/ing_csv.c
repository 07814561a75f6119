/*
 * ing_csv.c - CSV input for ingest: RFC 4180 records (quoted cells may hold
 * commas, quotes and line breaks; CRLF or LF) and their conversion to one
 * JSON object per record, keyed by the header, so that CSV goes through the
 * same shredder, rescue and schema-evolution path as NDJSON.
 *
 * Cell conversion follows the target column's type: an empty unquoted cell is
 * null (an empty quoted cell is "" for strings); numbers and booleans are
 * emitted as JSON literals when they look like one (else as strings, which the
 * shredder then rescues as misfits); nested columns take the cell as JSON
 * text. Without a type (inference, or a column not in the schema) numbers and
 * true/false are guessed.
 */
#include "ingest.h"

#include <stdlib.h>

void ls_csv_record_free(ls_csv_record *r)
{
    ls_buf_free(&r->text);
    free(r->off);
    free(r->quoted);
    memset(r, 0, sizeof *r);
}

static void rec_cell(ls_csv_record *r, bool quoted)
{
    if (r->n + 2 > r->cap) {
        r->cap = r->cap ? 2 * r->cap : 32;
        r->off = ls_xrealloc(r->off, r->cap * sizeof(size_t));
        r->quoted = ls_xrealloc(r->quoted, r->cap * sizeof(bool));
    }
    r->quoted[r->n] = quoted;
    r->n++;
    r->off[r->n] = r->text.len;
}

int ls_csv_parse_record(const char *p, size_t n, bool eof, ls_csv_record *r, size_t *used,
                        uint64_t *newlines)
{
    r->n = 0;
    r->text.len = 0;
    if (!r->off) {
        r->cap = 32;
        r->off = ls_xmalloc(r->cap * sizeof(size_t));
        r->quoted = ls_xmalloc(r->cap * sizeof(bool));
    }
    r->off[0] = 0;
    size_t i = 0;
    uint64_t nl = 0;
    for (;;) {
        bool quoted = false;
        if (i < n && p[i] == '"') {
            quoted = true;
            i++;
            for (;;) {
                if (i >= n) {
                    if (!eof)
                        return 0;
                    *used = n;
                    *newlines += nl;
                    return -1;
                }
                char c = p[i];
                if (c == '"') {
                    if (i + 1 >= n && !eof)
                        return 0; /* "" or the closing quote: need the next byte */
                    if (i + 1 < n && p[i + 1] == '"') {
                        ls_buf_putc(&r->text, '"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (c == '\n')
                    nl++;
                /* copy a run of ordinary bytes at once */
                size_t s = i;
                while (i < n && p[i] != '"' && p[i] != '\n')
                    i++;
                if (i == s)
                    i++;
                ls_buf_append(&r->text, p + s, i - s);
            }
            if (i < n && p[i] == '\r' && (i + 1 >= n || p[i + 1] == '\n')) {
                if (i + 1 >= n && !eof)
                    return 0;
                i++;
            }
            if (i < n && p[i] != ',' && p[i] != '\n') {
                /* garbage after the closing quote: skip to the end of the line */
                const char *e = memchr(p + i, '\n', n - i);
                if (!e && !eof)
                    return 0;
                *used = e ? (size_t)(e - p) + 1 : n;
                *newlines += nl + (e ? 1 : 0);
                return -2;
            }
        } else {
            size_t s = i;
            while (i < n && p[i] != ',' && p[i] != '\n')
                i++;
            if (i >= n && !eof)
                return 0;
            size_t e = i;
            if (e > s && p[e - 1] == '\r' && (i >= n || p[i] == '\n'))
                e--;
            ls_buf_append(&r->text, p + s, e - s);
        }
        rec_cell(r, quoted);
        if (i >= n) {
            *used = n;
            *newlines += nl;
            return 1;
        }
        if (p[i] == ',') {
            i++;
            continue;
        }
        i++; /* '\n' */
        nl++;
        *used = i;
        *newlines += nl;
        return 1;
    }
}

static bool json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    if (s[i] == '0')
        i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    if (i < n && s[i] == '.') {
        i++;
        size_t f = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == f)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e)
            return false;
    }
    return i == n;
}

static void cell_json(const ls_field *f, const char *s, size_t n, bool quoted, ls_buf *out)
{
    bool textual = f && (f->type == LS_STRING || f->type == LS_BINARY);
    if (n == 0 && !(quoted && (textual || !f))) { /* "" is an empty string */
        ls_buf_puts(out, "null");
        return;
    }
    ls_type t = f ? f->type : LS_STRING;
    if (!f) { /* guess */
        if (!quoted && (ls_strn_ieq(s, n, "true") || ls_strn_ieq(s, n, "false"))) {
            ls_buf_puts(out, s[0] == 't' || s[0] == 'T' ? "true" : "false");
            return;
        }
        if (!quoted && json_number(s, n)) {
            ls_buf_append(out, s, n);
            return;
        }
        ls_buf_json_str(out, s, n);
        return;
    }
    switch (t) {
    case LS_BOOLEAN:
        if (ls_strn_ieq(s, n, "true")) {
            ls_buf_puts(out, "true");
            return;
        }
        if (ls_strn_ieq(s, n, "false")) {
            ls_buf_puts(out, "false");
            return;
        }
        break;
    case LS_INT8:
    case LS_INT16:
    case LS_INT32:
    case LS_INT64:
    case LS_FLOAT:
    case LS_DOUBLE:
    case LS_DECIMAL:
        if (json_number(s, n)) {
            ls_buf_append(out, s, n);
            return;
        }
        break;
    case LS_STRUCT:
    case LS_LIST:
    case LS_MAP: {
        ls_arena a;
        ls_arena_init(&a, 4096);
        ls_json *v = NULL;
        ls_error e = {0};
        bool ok = ls_json_parse(s, n, &a, &v, &e) == LS_OK;
        ls_arena_free(&a);
        if (ok) { /* nested values are JSON text in CSV */
            ls_buf_append(out, s, n);
            return;
        }
        break;
    }
    default: break;
    }
    ls_buf_json_str(out, s, n);
}

void ls_csv_to_json(const ls_csv_record *header, const ls_csv_record *rec,
                    const ls_field *const *cols, ls_buf *out)
{
    ls_buf_putc(out, '{');
    for (size_t i = 0; i < rec->n && i < header->n; i++) {
        if (i)
            ls_buf_putc(out, ',');
        ls_buf_json_str(out, (const char *)header->text.data + header->off[i],
                        header->off[i + 1] - header->off[i]);
        ls_buf_putc(out, ':');
        cell_json(cols ? cols[i] : NULL, (const char *)rec->text.data + rec->off[i],
                  rec->off[i + 1] - rec->off[i], rec->quoted[i], out);
    }
    ls_buf_putc(out, '}');
}
