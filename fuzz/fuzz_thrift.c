/*
 * fuzz_thrift.c - libFuzzer target for the Thrift compact reader and the
 * Parquet metadata parsers (pq_thrift.c, pq_meta.c).
 *
 * The input is parsed as FileMetaData, PageHeader, ColumnIndex and
 * OffsetIndex, each with a fresh arena; if it is a whole Parquet file, its
 * footer and first page header are parsed too. Whatever parses must survive a
 * round trip: write(parse(x)) parses again and writes the same bytes
 * (abort() otherwise, so the fuzzer reports it).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc -D_GNU_SOURCE -std=c11 \
 *   src/util/util.c src/parquet/pq_thrift.c src/parquet/pq_meta.c fuzz/fuzz_thrift.c \
 *   -lxxhash -lz -o /tmp/fz
 */
#include "parquet/pq_meta.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless b1 and b2 hold the same bytes. */
static void same_bytes(const ls_buf *b1, const ls_buf *b2)
{
    if (b1->len != b2->len || (b1->len && memcmp(b1->data, b2->data, b1->len) != 0)) abort();
}

static void fuzz_file_meta(const uint8_t *data, size_t size)
{
    ls_arena a;
    ls_error err;
    pq_file_meta m, m2;
    ls_buf b1 = {0}, b2 = {0};
    ls_arena_init(&a, 0);
    if (pq_parse_file_meta(data, size, &a, &m, &err) == LS_OK) {
        pq_write_file_meta(&b1, &m);
        if (pq_parse_file_meta(b1.data, b1.len, &a, &m2, &err) != LS_OK) abort();
        pq_write_file_meta(&b2, &m2);
        same_bytes(&b1, &b2);
    } else if (err.code != LS_ERR_CORRUPT) {
        abort();
    }
    ls_buf_free(&b1);
    ls_buf_free(&b2);
    ls_arena_free(&a);
}

static void fuzz_page_header(const uint8_t *data, size_t size)
{
    ls_arena a;
    ls_error err;
    pq_page_header h, h2;
    size_t used = 0;
    ls_buf b1 = {0}, b2 = {0};
    ls_arena_init(&a, 0);
    if (pq_parse_page_header(data, size, &a, &h, &used, &err) == LS_OK) {
        if (used > size) abort();
        pq_write_page_header(&b1, &h);
        if (pq_parse_page_header(b1.data, b1.len, &a, &h2, NULL, &err) != LS_OK) abort();
        pq_write_page_header(&b2, &h2);
        same_bytes(&b1, &b2);
    } else if (err.code != LS_ERR_CORRUPT) {
        abort();
    }
    ls_buf_free(&b1);
    ls_buf_free(&b2);
    ls_arena_free(&a);
}

static void fuzz_column_index(const uint8_t *data, size_t size)
{
    ls_arena a;
    ls_error err;
    pq_column_index ci, ci2;
    ls_buf b1 = {0}, b2 = {0};
    ls_arena_init(&a, 0);
    if (pq_parse_column_index(data, size, &a, &ci, &err) == LS_OK) {
        pq_write_column_index(&b1, &ci);
        if (pq_parse_column_index(b1.data, b1.len, &a, &ci2, &err) != LS_OK) abort();
        pq_write_column_index(&b2, &ci2);
        same_bytes(&b1, &b2);
    } else if (err.code != LS_ERR_CORRUPT) {
        abort();
    }
    ls_buf_free(&b1);
    ls_buf_free(&b2);
    ls_arena_free(&a);
}

static void fuzz_offset_index(const uint8_t *data, size_t size)
{
    ls_arena a;
    ls_error err;
    pq_offset_index oi, oi2;
    ls_buf b1 = {0}, b2 = {0};
    ls_arena_init(&a, 0);
    if (pq_parse_offset_index(data, size, &a, &oi, &err) == LS_OK) {
        pq_write_offset_index(&b1, &oi);
        if (pq_parse_offset_index(b1.data, b1.len, &a, &oi2, &err) != LS_OK) abort();
        pq_write_offset_index(&b2, &oi2);
        same_bytes(&b1, &b2);
    } else if (err.code != LS_ERR_CORRUPT) {
        abort();
    }
    ls_buf_free(&b1);
    ls_buf_free(&b2);
    ls_arena_free(&a);
}

/* Runs every parser on an exact-size copy of p[0, n) (so ASan sees over-reads). */
static void fuzz_range(const uint8_t *p, size_t n, bool footer_only)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) abort();
    if (n) memcpy(copy, p, n);
    fuzz_file_meta(copy, n);
    if (!footer_only) {
        fuzz_page_header(copy, n);
        fuzz_column_index(copy, n);
        fuzz_offset_index(copy, n);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file_meta(data, size);
    fuzz_page_header(data, size);
    fuzz_column_index(data, size);
    fuzz_offset_index(data, size);
    /* A whole Parquet file (fuzz/run.sh seeds with the corpus files): also
     * parse its footer and the page header after the leading magic. */
    if (size >= 12 && memcmp(data, "PAR1", 4) == 0 && memcmp(data + size - 4, "PAR1", 4) == 0) {
        uint32_t flen = ls_load_u32le(data + size - 8);
        if (flen <= size - 12) fuzz_range(data + size - 8 - flen, flen, true);
        fuzz_range(data + 4, size - 12 < 4096 ? size - 12 : 4096, false);
    }
    return 0;
}
