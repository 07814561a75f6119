/*
 * test_csv.c - the CSV tokenizer and conversion (col_csv.c): quoting, CRLF,
 * embedded newlines, input split at every byte position and fed byte by byte
 * (same records, errors and line numbers as in one piece), malformed input
 * (errors with line numbers, then resynchronisation), limits with bounded
 * memory, delimiters, BOM, header binding, typed values into a batch, and a
 * throughput NOTE.
 */
#include "col/col.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* ---- helpers ---------------------------------------------------------------- */

/* Serialises what the tokenizer returns: records as [a|"b"|] (quoted fields in
 * quotes) followed by "/<lines_read>", errors as E<kind>@<line> (when a limit error
 * is noticed depends on how the input arrives, so lines_read is not shown there), and
 * at the end "#<lines_read>". */
static void describe(ls_csv_tok *t, int rc, bool got, ls_buf *out)
{
    if (rc) {
        ls_buf_printf(out, "E%d@%llu ", (int)t->last_error, (unsigned long long)t->line);
        return;
    }
    if (!got)
        return;
    ls_buf_printf(out, "%llu[", (unsigned long long)t->line);
    for (size_t i = 0; i < t->n_fields; i++) {
        size_t n;
        const char *s = ls_csv_field(t, i, &n);
        if (i)
            ls_buf_putc(out, '|');
        if (t->quoted[i])
            ls_buf_putc(out, '"');
        ls_buf_append(out, s, n);
        if (t->quoted[i])
            ls_buf_putc(out, '"');
    }
    ls_buf_printf(out, "]/%llu ", (unsigned long long)t->lines_read);
}

/* Tokenizes text, revealing it `step` bytes at a time (0 = all at once) after an
 * initial `first` bytes, like a reader filling a buffer. Returns the description. */
static char *tokenize(const char *text, size_t len, const ls_csv_opts *o, size_t first,
                      size_t step, size_t *max_text_cap)
{
    ls_csv_tok t;
    ls_csv_tok_init(&t, o);
    ls_buf out = {0};
    size_t head = 0, avail = step ? (first < len ? first : len) : len;
    int guard = 0;
    for (;;) {
        if (++guard > 10000000) {
            ls_buf_puts(&out, "LOOP");
            break;
        }
        bool eof = avail == len;
        size_t used = 0;
        bool got = false;
        ls_error err = {0};
        int rc = ls_csv_next(&t, text + head, avail - head, eof, &used, &got, &err);
        if (rc && strstr(err.msg, "line ") != err.msg)
            ls_buf_printf(&out, "BADMSG(%s)", err.msg);
        if (max_text_cap && t.text.cap > *max_text_cap)
            *max_text_cap = t.text.cap;
        describe(&t, rc, got, &out);
        if (used > avail - head) {
            ls_buf_puts(&out, "OVERUSE");
            break;
        }
        head += used;
        if (rc || got || used)
            continue;
        if (eof)
            break;
        avail = avail + step > len ? len : avail + step;
    }
    ls_buf_printf(&out, "#%llu", (unsigned long long)t.lines_read);
    ls_csv_tok_free(&t);
    return ls_buf_cstr(&out);
}

static void check_splits(const char *text, size_t len, const ls_csv_opts *o, const char *want)
{
    char *whole = tokenize(text, len, o, 0, 0, NULL);
    if (want)
        CHECK_STR(whole, want);
    for (size_t k = 0; k <= len; k++) {
        char *two = tokenize(text, len, o, k, len, NULL); /* two pieces: [0,k) then all */
        CHECK_MSG(!strcmp(two, whole), "split at %zu: '%s' vs '%s'", k, two, whole);
        free(two);
    }
    char *bytes = tokenize(text, len, o, 0, 1, NULL);
    CHECK_MSG(!strcmp(bytes, whole), "byte by byte: '%s' vs '%s'", bytes, whole);
    free(bytes);
    char *three = tokenize(text, len, o, 1, 3, NULL);
    CHECK_MSG(!strcmp(three, whole), "3 at a time: '%s' vs '%s'", three, whole);
    free(three);
    free(whole);
}

#define SPLITS(text, o, want) check_splits(text, sizeof(text) - 1, o, want)

static ls_schema *mk(const char *ddl)
{
    ls_schema *s = NULL;
    ls_error err = {0};
    if (ls_schema_parse_ddl(ddl, &s, &err) != LS_OK) {
        printf("FAIL schema '%s': %s\n", ddl, err.msg);
        abort();
    }
    return s;
}

/* Reads CSV text into a batch of ddl with ls_csv_reader; returns NDJSON of the rows
 * or "ERR <msg>". */
static char *read_csv(const char *ddl, const char *text, size_t max_rows)
{
    ls_schema *s = mk(ddl);
    ls_batch *b = ls_batch_new(s);
    ls_csv_reader *r = ls_csv_reader_new(s, NULL);
    ls_error err = {0};
    size_t len = strlen(text), pos = 0;
    ls_buf out = {0};
    int rc = LS_OK;
    for (int guard = 0; guard < 1000; guard++) {
        size_t used = 0, before = b->n_rows;
        rc = ls_csv_read(r, b, text + pos, len - pos, true, max_rows, &used, &err);
        pos += used;
        if (rc || b->n_rows - before < max_rows)
            break;
    }
    if (rc) {
        ls_buf_printf(&out, "ERR %s", err.msg);
    } else {
        CHECK_OK(ls_batch_validate(b, &err), &err);
        CHECK_OK(ls_batch_format(b, 0, b->n_rows, LS_FMT_NDJSON, false, &out, &err), &err);
    }
    ls_csv_reader_free(r);
    ls_batch_free(b);
    ls_schema_free(s);
    return ls_buf_cstr(&out);
}

/* ---- tokenizer -------------------------------------------------------------- */

static void test_records(void)
{
    /* quoting, doubled quotes, delimiter and newlines inside quotes, CRLF and LF,
     * empty fields, a quoted empty field, a last record without a newline */
    SPLITS("a,b,c\r\n1,\"x, \"\"y\"\"\",\r\n2,\"multi\nline\",z\n3,,\"\"\nlast,\"q\",e",
           NULL,
           "1[a|b|c]/1 2[1|\"x, \"y\"\"|]/2 3[2|\"multi\nline\"|z]/4 5[3||\"\"]/5 "
           "6[last|\"q\"|e]/6 #6");
    /* blank lines are one empty unquoted field; a trailing delimiter adds an empty field */
    SPLITS("\n\r\na,\n,\n", NULL, "1[]/1 2[]/2 3[a|]/3 4[|]/4 #4");
    SPLITS("a,", NULL, "1[a|]/1 #1");
    SPLITS("", NULL, "#0");
    /* a lone CR is data; a CR at the very end ends the record; CRLF after a quote */
    SPLITS("a\rb,c\r", NULL, "1[a\rb|c]/1 #1");
    SPLITS("\"a\"\r\n\"b\"\r", NULL, "1[\"a\"]/1 2[\"b\"]/2 #2");
    /* quoted CRLF kept as data; quotes-only field; field of just a doubled quote */
    SPLITS("\"x\r\ny\",\"\"\"\"\n", NULL, "1[\"x\r\ny\"|\"\"\"]/2 #2");
    /* a UTF-8 BOM at the start only */
    SPLITS("\xEF\xBB\xBFid,v\n\xEF\xBB\xBF\n", NULL, "1[id|v]/1 2[\xEF\xBB\xBF]/2 #2");
    SPLITS("\xEF\xBB", NULL, "1[\xEF\xBB]/1 #1");
    /* other delimiters: the comma is then data */
    ls_csv_opts tab = {.delim = '\t'};
    SPLITS("a\tb,c\n\"x\ty\"\t\n", &tab, "1[a|b,c]/1 2[\"x\ty\"|]/2 #2");
    ls_csv_opts semi = {.delim = ';'};
    SPLITS("1;2,5;\"a;b\"", &semi, "1[1|2,5|\"a;b\"]/1 #1");
    /* long runs (the 8-byte fast path) and UTF-8 */
    SPLITS("abcdefghijklmnopqrstuvwxyz0123456789,\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\nsecond line "
           "of it\",h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC\n",
           NULL,
           "1[abcdefghijklmnopqrstuvwxyz0123456789|\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\nsecond line "
           "of it\"|h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC]/2 #2");
}

static void test_malformed(void)
{
    /* a quote inside an unquoted field: error naming the line, the rest of that line is
     * skipped and the next record parses */
    SPLITS("a,b\nx,y\"z,w\nc,d\n", NULL, "1[a|b]/1 E2@2 3[c|d]/3 #3");
    /* garbage after a closing quote */
    SPLITS("a\n\"q\"x,b\nc\n", NULL, "1[a]/1 E3@2 3[c]/3 #3");
    SPLITS("\"q\"\rx\nc", NULL, "E3@1 2[c]/2 #2");
    /* the bad line is the last one, with and without a newline */
    SPLITS("a\nb\"", NULL, "1[a]/1 E2@2 #2");
    /* an unterminated quote at EOF: everything after it is swallowed */
    SPLITS("a,b\n1,\"open\nmore\nlines", NULL, "1[a|b]/1 E1@2 #4");
    /* the error line of a multi-line record is the line of the problem */
    ls_csv_tok t;
    ls_csv_tok_init(&t, NULL);
    const char *s = "h\n\"a\nb\"c\n";
    size_t used, n = strlen(s);
    bool got;
    ls_error err = {0};
    CHECK(ls_csv_next(&t, s, n, true, &used, &got, &err) == LS_OK && got && used == 2);
    CHECK(ls_csv_next(&t, s + 2, n - 2, true, &used, &got, &err) == LS_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "line 3, field 1") != NULL, "%s", err.msg);
    CHECK(t.line == 2 && used == n - 2 && t.lines_read == 3);
    ls_csv_tok_reset(&t);
    s = "x\n\"never closed\n";
    n = strlen(s);
    CHECK(ls_csv_next(&t, s, n, true, &used, &got, &err) == LS_OK && got);
    CHECK(ls_csv_next(&t, s + used, n - used, true, &used, &got, &err) == LS_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "line 2, field 1: quoted field not closed") != NULL, "%s",
              err.msg);
    CHECK(t.last_error == LS_CSV_E_UNTERMINATED);
    ls_csv_tok_free(&t);
}

static void test_limits(void)
{
    /* too many fields: LS_ERR_LIMIT, the rest of that record (even a quoted line
     * break) is skipped, the next record is fine */
    ls_csv_opts o = {.max_fields = 3};
    SPLITS("a,b,c\n1,2,3,4,\"5\n6\",7\nx,y\n", &o, "1[a|b|c]/1 E4@2 4[x|y]/4 #4");
    /* a record longer than max_record_bytes */
    ls_csv_opts o2 = {.max_record_bytes = 16};
    SPLITS("short,ok\n\"this is a much longer quoted, field\nwith a break\",x\nnext\n", &o2,
           NULL);
    char *w = tokenize("short,ok\n\"this is a much longer quoted, field\nwith a break\",x\nnext\n",
                       strlen("short,ok\n\"this is a much longer quoted, field\nwith a "
                              "break\",x\nnext\n"),
                       &o2, 0, 0, NULL);
    CHECK_STR(w, "1[short|ok]/1 E5@2 4[next]/4 #4");
    free(w);
    /* a hostile 8 MiB quoted field arriving 4 KiB at a time: memory stays near the
     * limit, the next record parses, and the scan is linear */
    size_t big = 8u << 20;
    char *text = ls_xmalloc(big + 64);
    size_t len = 0;
    text[len++] = '"';
    for (size_t i = 0; i < big; i++)
        text[len++] = (i % 1000 == 999) ? '\n' : (i % 3000 == 1) ? ',' : 'x';
    memcpy(text + len, "\",z\nok,1\n", 9);
    len += 9;
    ls_csv_opts o3 = {.max_record_bytes = 64 << 10};
    size_t cap = 0;
    clock_t c0 = clock();
    w = tokenize(text, len, &o3, 0, 4096, &cap);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    CHECK_STR(w, "E5@1 8390[ok|1]/8390 #8390");
    CHECK_MSG(cap <= (256u << 10), "text capacity %zu", cap);
    CHECK_MSG(secs < 5, "%.2fs", secs);
    free(w);
    /* without the limit (default 64 MiB) it is one record */
    cap = 0;
    w = tokenize(text, len, NULL, 0, 1 << 20, &cap);
    CHECK_MSG(strncmp(w, "1[\"", 3) == 0 && strstr(w, "]/8389 8390[ok|1]/8390 #8390") != NULL,
              "%.40s", w);
    free(w);
    free(text);
}

/* Every record/error boundary is also found when the input is fed in pieces, for a
 * pseudo-random mix of the tricky bytes. */
static void test_random_splits(void)
{
    static const char alphabet[] = {'a', ',', '"', '\n', '\r', 'b', '"', ','};
    uint64_t x = 88172645463325252ULL;
    for (int round = 0; round < 300; round++) {
        char text[40];
        size_t len = 1 + round % 39;
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            text[i] = alphabet[x % sizeof alphabet];
        }
        ls_csv_opts o = {.max_fields = 4 + round % 3, .max_record_bytes = 8 + round % 17};
        check_splits(text, len, round & 1 ? &o : NULL, NULL);
        if (t_cur_failed) {
            printf("  input: '%.*s'\n", (int)len, text);
            break;
        }
    }
}

/* ---- header and conversion -------------------------------------------------------- */

static void test_json_lines(void)
{
    ls_schema *s = mk("a INT, b STRING, c STRING, d DOUBLE, e BOOLEAN, l ARRAY<INT>");
    const char *text = "A,b,c,d,e,l,extra\n"
                       "007,\"x, \"\"y\"\"\",,+1.,TRUE,\"[1,\n2]\",\"\"\n"
                       ",,\"\",-.5,false,,-0.5e3\n"
                       "x,\"\\u0000\ttab\",,NaN,yes,\"[1],\"\"b\"\":2\",True\n";
    ls_csv_tok t = {0};
    ls_csv_header h = {0};
    ls_error err = {0};
    size_t pos = 0, len = strlen(text), used;
    bool got;
    CHECK(ls_csv_next(&t, text, len, true, &used, &got, &err) == LS_OK && got);
    pos += used;
    ls_csv_header_set(&h, &t);
    CHECK(h.n == 7 && h.line == 1);
    CHECK(ls_csv_header_bind(&h, s, true, &err) == LS_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "line 1: header column 'extra' is not in the table schema"),
              "%s", err.msg);
    CHECK_OK(ls_csv_header_bind(&h, s, false, &err), &err);
    CHECK(h.cols[0] == &s->root.children[0] && h.cols[6] == NULL);
    ls_buf j = {0};
    const char *want[] = {
        /* key a in the schema's spelling; leading zeros, '+' and "1." normalised;
         * nested JSON text with its line break made a space; "" is "" untyped */
        "{\"a\":7,\"b\":\"x, \\\"y\\\"\",\"c\":null,\"d\":1,\"e\":true,\"l\":[1, 2],"
        "\"extra\":\"\"}",
        /* empty unquoted is null; quoted empty is "" for STRING, null for INT; untyped
         * numbers in JSON grammar */
        "{\"a\":null,\"b\":null,\"c\":\"\",\"d\":-0.5,\"e\":false,\"l\":null,\"extra\":-0.5e3}",
        /* misfits stay strings (the shredder names them); a nested cell that is not one
         * JSON value is a string, not injected members; untyped True is a boolean */
        "{\"a\":\"x\",\"b\":\"\\\\u0000\\ttab\",\"c\":null,\"d\":\"NaN\",\"e\":\"yes\","
        "\"l\":\"[1],\\\"b\\\":2\",\"extra\":true}",
    };
    for (int k = 0; k < 3; k++) {
        CHECK(ls_csv_next(&t, text + pos, len - pos, true, &used, &got, &err) == LS_OK && got);
        pos += used;
        j.len = 0;
        CHECK_OK(ls_csv_record_json(&h, &t, &j, &err), &err);
        CHECK_STR(ls_buf_cstr(&j), want[k]);
    }
    /* field count and UTF-8 errors leave out unchanged */
    const char *bad = "1,2\n1,\xff,3,4,5,6,7\n";
    ls_csv_tok_reset(&t);
    CHECK(ls_csv_next(&t, bad, strlen(bad), true, &used, &got, &err) == LS_OK && got);
    j.len = 0;
    ls_buf_puts(&j, "keep");
    CHECK(ls_csv_record_json(&h, &t, &j, &err) == LS_ERR_INVALID);
    CHECK_STR(err.msg, "line 1: 2 fields, the header has 7");
    CHECK(ls_csv_next(&t, bad + used, strlen(bad) - used, true, &used, &got, &err) == LS_OK);
    CHECK(ls_csv_record_json(&h, &t, &j, &err) == LS_ERR_INVALID);
    CHECK_STR(err.msg, "line 2: field b: invalid UTF-8");
    CHECK(j.len == 4);
    /* untyped header (inference) */
    ls_csv_header u = {0};
    ls_csv_header_set(&u, &t);
    CHECK(u.n == 7 && u.cols[0] == NULL);
    ls_buf_free(&j);
    ls_csv_header_free(&u);
    ls_csv_header_free(&h);
    ls_csv_tok_free(&t);
    ls_schema_free(s);
}

static void test_reader(void)
{
    const char *ddl = "id BIGINT NOT NULL, name STRING, ok BOOLEAN, d DATE, amt DECIMAL(10,2), "
                      "ts TIMESTAMP, tags ARRAY<STRING>, bin BINARY";
    char *got = read_csv(ddl,
                         "\xEF\xBB\xBFID,name,ok,d,amt,ts,tags,bin\r\n"
                         "1,\"comma, inside\",true,2024-01-02,12.5,2024-01-02T03:04:05Z,"
                         "\"[\"\"a\"\",\"\"b\"\"]\",aGk=\r\n"
                         "\r\n"
                         "2,\"multi\nline\",FALSE,,-1.005,,,\"\"\r\n",
                         1000);
    CHECK_STR(got, "{\"id\":1,\"name\":\"comma, inside\",\"ok\":true,\"d\":\"2024-01-02\","
                   "\"amt\":12.50,\"ts\":\"2024-01-02T03:04:05.000000Z\",\"tags\":[\"a\",\"b\"],"
                   "\"bin\":\"aGk=\"}\n"
                   "{\"id\":2,\"name\":\"multi\\nline\",\"ok\":false,\"d\":null,\"amt\":-1.01,"
                   "\"ts\":null,\"tags\":null,\"bin\":\"\"}\n");
    free(got);
    /* columns may be left out and reordered; one row per call works too */
    got = read_csv("a INT, b STRING", "b,a\nx,1\ny,2\n,\n", 1);
    CHECK_STR(got, "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n{\"a\":null,\"b\":null}\n");
    free(got);
    got = read_csv("a INT, b STRING", "b\nx\n", 10);
    CHECK_STR(got, "{\"a\":null,\"b\":\"x\"}\n");
    free(got);
    /* errors name the line and the column */
    got = read_csv(ddl, "id,name\n1,x\n\nnotanumber,y\n", 100);
    CHECK_STR(got, "ERR line 4: field id: expected BIGINT, got string \"notanumber\"");
    free(got);
    got = read_csv(ddl, "id,d\n1,2024-13-01\n", 100);
    CHECK_MSG(!strncmp(got, "ERR line 2: field d: expected DATE", 34), "%s", got);
    free(got);
    got = read_csv(ddl, "id,name\n,x\n", 100);
    CHECK_MSG(!strncmp(got, "ERR line 2: field id", 20), "%s", got);
    free(got);
    got = read_csv(ddl, "id,nope\n", 100);
    CHECK_STR(got, "ERR line 1: header column 'nope' is not in the table schema");
    free(got);
    got = read_csv(ddl, "id,ID\n", 100);
    CHECK_STR(got, "ERR line 1: column 'ID' appears twice in the header");
    free(got);
    got = read_csv(ddl, "id,name\n1,x\n2\n", 100);
    CHECK_STR(got, "ERR line 3: 1 fields, the header has 2");
    free(got);
    got = read_csv(ddl, "id,name\n1,\"x\n\n2,y\n", 100);
    CHECK_MSG(!strncmp(got, "ERR line 2, field 2: quoted field not closed", 44), "%s", got);
    free(got);
    got = read_csv(ddl, "id,name\n1,a\"b\n", 100);
    CHECK_MSG(!strncmp(got, "ERR line 2, field 2: '\"' inside an unquoted field", 48), "%s",
              got);
    free(got);
    got = read_csv(ddl, "id,tags\n1,\"[1],\"\"id\"\":2\"\n", 100);
    CHECK_MSG(!strncmp(got, "ERR line 2: field tags: expected ARRAY<STRING>, got string", 58),
              "%s", got);
    free(got);
    /* empty input and header only: no rows */
    got = read_csv(ddl, "", 100);
    CHECK_STR(got, "");
    free(got);
    got = read_csv(ddl, "id\n", 100);
    CHECK_STR(got, "");
    free(got);
}

/* The reader fed in pieces (as cmd_delta does) gives the same batch. */
static void test_reader_pieces(void)
{
    ls_schema *s = mk("id BIGINT, name STRING, v DOUBLE");
    ls_buf text = {0};
    ls_buf_puts(&text, "id,name,v\n");
    for (int i = 0; i < 500; i++)
        ls_buf_printf(&text, "%d,\"n%d\n,\"\"q\"\"\",%d.5\r\n", i, i, i);
    ls_buf want = {0}, got = {0};
    ls_error err = {0};
    for (int mode = 0; mode < 2; mode++) {
        ls_batch *b = ls_batch_new(s);
        ls_csv_reader *r = ls_csv_reader_new(s, NULL);
        size_t head = 0, avail = mode ? 7 : text.len;
        for (int guard = 0; guard < 100000; guard++) {
            size_t used = 0, before = b->n_rows;
            bool eof = avail == text.len;
            int rc = ls_csv_read(r, b, (const char *)text.data + head, avail - head, eof, 64,
                                 &used, &err);
            CHECK_OK(rc, &err);
            if (rc)
                break;
            head += used;
            if (b->n_rows - before == 64)
                continue;
            if (eof)
                break;
            avail = avail + 13 > text.len ? text.len : avail + 13;
        }
        ls_buf *o = mode ? &got : &want;
        CHECK(b->n_rows == 500);
        CHECK_OK(ls_batch_format(b, 0, b->n_rows, LS_FMT_NDJSON, false, o, &err), &err);
        ls_csv_reader_free(r);
        ls_batch_free(b);
    }
    CHECK(want.len == got.len && !memcmp(want.data, got.data, want.len));
    ls_buf_free(&want);
    ls_buf_free(&got);
    ls_buf_free(&text);
    ls_schema_free(s);
}

static void test_throughput(void)
{
    ls_schema *s = mk("id BIGINT, ts TIMESTAMP, kind STRING, amount DOUBLE, note STRING");
    ls_buf text = {0};
    ls_buf_puts(&text, "id,ts,kind,amount,note\n");
    for (int i = 0; i < 200000; i++)
        ls_buf_printf(&text, "%d,2024-03-01T00:%02d:%02dZ,click,%d.%02d,\"said \"\"hi\"\", ok\"\n",
                      i, i / 60 % 60, i % 60, i % 1000, i % 100);
    ls_batch *b = ls_batch_new(s);
    ls_csv_reader *r = ls_csv_reader_new(s, NULL);
    ls_error err = {0};
    size_t used;
    int64_t t0 = ls_monotonic_nanos();
    CHECK_OK(ls_csv_read(r, b, (const char *)text.data, text.len, true, SIZE_MAX, &used, &err),
             &err);
    double secs = (double)(ls_monotonic_nanos() - t0) / 1e9;
    CHECK(b->n_rows == 200000 && used == text.len);
    /* the tokenizer alone */
    ls_csv_tok t = {0};
    size_t pos = 0, recs = 0;
    bool got;
    t0 = ls_monotonic_nanos();
    while (ls_csv_next(&t, (const char *)text.data + pos, text.len - pos, true, &used, &got,
                       &err) == LS_OK &&
           used) {
        pos += used;
        recs += got;
    }
    double tsecs = (double)(ls_monotonic_nanos() - t0) / 1e9;
    CHECK(recs == 200001);
    printf("NOTE csv: %.1f MB/s into a batch, %.1f MB/s tokenizing (%zu bytes)\n",
           (double)text.len / 1e6 / secs, (double)text.len / 1e6 / tsecs, text.len);
    ls_csv_tok_free(&t);
    ls_csv_reader_free(r);
    ls_batch_free(b);
    ls_buf_free(&text);
    ls_schema_free(s);
}

int main(void)
{
    RUN(test_records);
    RUN(test_malformed);
    RUN(test_limits);
    RUN(test_random_splits);
    RUN(test_json_lines);
    RUN(test_reader);
    RUN(test_reader_pieces);
    RUN(test_throughput);
    TEST_MAIN_END();
}
