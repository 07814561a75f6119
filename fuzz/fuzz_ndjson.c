/*
 * fuzz_ndjson.c - libFuzzer target for NDJSON shredding (col_json.c) and schema
 * inference. Besides "no crash, no sanitizer report", it checks:
 *   - every batch passes ls_batch_validate;
 *   - a failed line leaves the batch and the rescued buffer exactly as before;
 *   - ls_json_read_buffer (lines parsed in place) and ls_json_read_line (copied)
 *     produce identical batches and stop at the same line with the same
 *     message (unless that line has a '\r', which only the copy strips);
 *   - rescued text is a JSON object (it parses);
 *   - every line inference accepted shreds (strict) into the inferred schema,
 *     except for duplicate keys, which inference merges and shredding refuses.
 * Build: clang -fsanitize=fuzzer,address,undefined with src/util/util.c,
 * src/col/col.c, src/col/col_json.c (see fuzz/run.sh).
 */
#include "col/col.h"

#include <stdio.h>
#include <stdlib.h>

#define DDL                                                                                     \
    "id BIGINT, name STRING, score DOUBLE, f FLOAT, ok BOOLEAN, t TIMESTAMP, n TIMESTAMP_NTZ, "  \
    "d DATE, amt DECIMAL(12,3), big DECIMAL(38,6), small TINYINT, i INT, bin BINARY, "           \
    "tags ARRAY<STRING>, pts ARRAY<STRUCT<x: INT, y: ARRAY<DOUBLE NOT NULL>>>, "                 \
    "m MAP<STRING, ARRAY<INT>>, km MAP<INT, STRING>, dm MAP<DATE, DECIMAL(5,2)>, "               \
    "s STRUCT<a: STRING NOT NULL, b: STRUCT<c: ARRAY<MAP<STRING, BIGINT>>>>"

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_ndjson: %s: %s\n", what, detail ? detail : "");
    abort();
}

/* Byte-exact comparison of two batches over the same schema. */
static bool batch_same(const ls_batch *a, const ls_batch *b)
{
    if (a->n_rows != b->n_rows || a->n_leaves != b->n_leaves)
        return false;
    for (int i = 0; i < a->n_leaves; i++) {
        const ls_leaf *x = &a->leaves[i], *y = &b->leaves[i];
        if (x->n != y->n || x->n_values != y->n_values)
            return false;
        if (x->def && memcmp(x->def, y->def, x->n) != 0)
            return false;
        if (x->rep && memcmp(x->rep, y->rep, x->n) != 0)
            return false;
        if (x->phys == LS_PHYS_BYTES) {
            if (x->bytes.len != y->bytes.len ||
                (x->bytes.len && memcmp(x->bytes.data, y->bytes.data, x->bytes.len) != 0) ||
                memcmp(x->offsets, y->offsets, (x->n_values + 1) * sizeof(uint64_t)) != 0)
                return false;
        } else if (x->n_values) {
            size_t es = x->phys == LS_PHYS_BOOL                             ? 1
                        : x->phys == LS_PHYS_I32 || x->phys == LS_PHYS_F32 ? 4
                        : x->phys == LS_PHYS_I128                          ? 16
                                                                            : 8;
            if (memcmp(x->values, y->values, x->n_values * es) != 0)
                return false;
        }
    }
    return true;
}

typedef struct lines {
    const char *p, *e;
} lines;

/* Next line (without \n and a trailing \r); false at the end. */
static bool next_line(lines *it, const char **s, size_t *n, bool *blank)
{
    if (it->p >= it->e)
        return false;
    const char *nl = memchr(it->p, '\n', (size_t)(it->e - it->p));
    const char *le = nl ? nl : it->e;
    *s = it->p;
    *n = (size_t)(le - it->p);
    if (*n && (*s)[*n - 1] == '\r')
        (*n)--;
    *blank = true;
    for (size_t i = 0; i < *n; i++)
        if ((*s)[i] != ' ' && (*s)[i] != '\t' && (*s)[i] != '\r')
            *blank = false;
    it->p = nl ? nl + 1 : it->e;
    return true;
}

static void check_valid(const ls_batch *b, const char *what)
{
    ls_error err;
    if (ls_batch_validate(b, &err) != LS_OK)
        die(what, err.msg);
}

static void fixed_schema(const uint8_t *data, size_t size, const ls_schema *s, bool strict)
{
    ls_json_opts o = {.strict = strict, .ignore_unknown_fields = false};
    ls_json_reader *r1 = ls_json_reader_new(s, &o), *r2 = ls_json_reader_new(s, &o);
    ls_batch *b1 = ls_batch_new(s), *b2 = ls_batch_new(s);
    ls_error err, err1 = {0};
    uint64_t nread = 0;
    int rc1 = ls_json_read_buffer(r1, b1, (const char *)data, size, 1, &nread, &err1);
    check_valid(b1, "read_buffer batch");

    /* the same lines one by one, with rescue and rollback checks */
    lines it = {(const char *)data, (const char *)data + size};
    const char *ln;
    size_t len;
    bool blank;
    uint64_t no = 0, stopped_at = UINT64_MAX;
    bool stop_has_cr = false;
    ls_buf rescued = {0};
    ls_infer *rj = ls_infer_new(); /* parses rescued objects */
    while (next_line(&it, &ln, &len, &blank)) {
        no++;
        if (blank)
            continue;
        size_t rows = b2->n_rows;
        size_t *ns = malloc(sizeof(size_t) * 3 * (size_t)(b2->n_leaves + 1));
        for (int i = 0; i < b2->n_leaves; i++) {
            ns[3 * i] = b2->leaves[i].n;
            ns[3 * i + 1] = b2->leaves[i].n_values;
            ns[3 * i + 2] = b2->leaves[i].bytes.len;
        }
        rescued.len = 0;
        ls_buf_puts(&rescued, "x");
        int rc = ls_json_read_line(r2, b2, ln, len, no, &rescued, &err);
        if (rc != LS_OK) {
            if (b2->n_rows != rows || rescued.len != 1)
                die("failed line changed the row count or rescued data", err.msg);
            for (int i = 0; i < b2->n_leaves; i++)
                if (b2->leaves[i].n != ns[3 * i] || b2->leaves[i].n_values != ns[3 * i + 1] ||
                    b2->leaves[i].bytes.len != ns[3 * i + 2])
                    die("failed line not rolled back", err.msg);
            if (err.msg[0] == 0)
                die("error without a message", NULL);
            if (stopped_at == UINT64_MAX) {
                stopped_at = no;
                stop_has_cr = memchr(ln, '\r', len + (ln + len < it.e && ln[len] == '\r')) != NULL;
            }
        } else {
            if (b2->n_rows != rows + 1)
                die("row not counted", NULL);
            if (rescued.len > 1) {
                if (strict)
                    die("rescued data in strict mode", ls_buf_cstr(&rescued));
                ls_error e2;
                if (ls_infer_line(rj, (const char *)rescued.data + 1, rescued.len - 1, no, &e2) !=
                        LS_OK &&
                    e2.code != LS_ERR_LIMIT)
                    die("rescued text is not a JSON object", ls_buf_cstr(&rescued));
            }
        }
        free(ns);
        if (stopped_at != UINT64_MAX)
            break;
    }
    check_valid(b2, "read_line batch");
    /* read_buffer stops at the first failing line: compare up to there */
    if ((rc1 != LS_OK) != (stopped_at != UINT64_MAX))
        die("read_buffer and read_line disagree on failure", err1.msg);
    if (rc1 != LS_OK && nread + 1 != stopped_at)
        die("read_buffer stopped at another line", err1.msg);
    if (rc1 != LS_OK && !stop_has_cr && strcmp(err1.msg, err.msg) != 0) {
        fprintf(stderr, "read_buffer: %s\nread_line:   %s\n", err1.msg, err.msg);
        die("read_buffer and read_line messages differ", NULL);
    }
    if (!batch_same(b1, b2))
        die("read_buffer and read_line batches differ", NULL);
    ls_infer_free(rj);
    ls_buf_free(&rescued);
    ls_batch_free(b1);
    ls_batch_free(b2);
    ls_json_reader_free(r1);
    ls_json_reader_free(r2);
}

static void inference(const uint8_t *data, size_t size)
{
    ls_infer *inf = ls_infer_new();
    lines it = {(const char *)data, (const char *)data + size};
    const char *ln;
    size_t len;
    bool blank;
    uint64_t no = 0;
    ls_error err;
    bool *ok = calloc(size + 2, 1);
    while (next_line(&it, &ln, &len, &blank)) {
        no++;
        if (blank)
            continue;
        int rc = ls_infer_line(inf, ln, len, no, &err);
        if (rc == LS_ERR_LIMIT)
            break; /* the tree may hold part of this line */
        ok[no] = rc == LS_OK;
    }
    ls_schema *s = NULL;
    if (ls_infer_schema(inf, &s, &err) == LS_OK) {
        ls_json_opts o = {.strict = true};
        ls_json_reader *r = ls_json_reader_new(s, &o);
        ls_batch *b = ls_batch_new(s);
        if (!r)
            die("no reader for an inferred schema", NULL);
        it = (lines){(const char *)data, (const char *)data + size};
        no = 0;
        while (next_line(&it, &ln, &len, &blank)) {
            no++;
            if (!ok[no])
                continue;
            if (ls_json_read_line(r, b, ln, len, no, NULL, &err) != LS_OK &&
                !strstr(err.msg, "duplicate key"))
                die("inferred schema rejects a sampled line", err.msg);
        }
        check_valid(b, "inferred batch");
        ls_batch_free(b);
        ls_json_reader_free(r);
        ls_schema_free(s);
    }
    free(ok);
    ls_infer_free(inf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_schema *s = NULL;
    ls_error err;
    if (ls_schema_parse_ddl(DDL, &s, &err) != LS_OK)
        die("schema", err.msg);
    fixed_schema(data, size, s, true);
    fixed_schema(data, size, s, false);
    ls_schema_free(s);
    inference(data, size);
    return 0;
}
