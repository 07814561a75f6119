/* test_writer.c - Parquet writer: footer contents, statistics (incl. string
 * truncation and NaN), row-group and page cutting, page index, dictionary
 * fallback, leaf statistics for Delta, and reading back through our reader. */
#include "parquet/parquet.h"
#include "parquet/pq_meta.h"
#include "test.h"

#include <math.h>

typedef struct mem_file {
    ls_buf data;
} mem_file;

/* Writes batch rows through a real local output and reads the bytes back. */
static int write_file(const ls_schema *s, const ls_batch *b, const ls_pq_writer_opts *o,
                      const char *path, ls_buf *out, ls_pq_writer **keep, ls_error *err)
{
    ls_output *op = NULL;
    int rc = ls_output_open_file(path, &op, err);
    if (rc)
        return rc;
    ls_pq_writer *w = NULL;
    if ((rc = ls_pq_writer_new(op, s, o, &w, err))) {
        ls_output_abort(op);
        return rc;
    }
    if ((rc = ls_pq_writer_write(w, b, err)) || (rc = ls_pq_writer_close(w, err))) {
        ls_pq_writer_free(w);
        ls_output_abort(op);
        return rc;
    }
    if ((rc = ls_output_commit(op, err))) {
        ls_pq_writer_free(w);
        return rc;
    }
    if (keep)
        *keep = w;
    else
        ls_pq_writer_free(w);
    out->len = 0;
    return ls_read_file(path, out, err);
}

static int parse_footer(const ls_buf *f, ls_arena *a, pq_file_meta *m, ls_error *err)
{
    if (f->len < 12 || memcmp(f->data + f->len - 4, "PAR1", 4) || memcmp(f->data, "PAR1", 4))
        return ls_err(err, LS_ERR_CORRUPT, "no magic");
    uint32_t flen = ls_load_u32le(f->data + f->len - 8);
    if (flen > f->len - 12)
        return ls_err(err, LS_ERR_CORRUPT, "bad footer length");
    return pq_parse_file_meta(f->data + f->len - 8 - flen, flen, a, m, err);
}

static char tmp_path[256];

static void test_stats_and_truncation(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK_OK(ls_schema_parse_ddl("s STRING, d DOUBLE, i INT NOT NULL, b BINARY", &s, &err), &err);
    ls_batch *b = ls_batch_new(s);
    char longa[100], longb[100];
    memset(longa, 'a', sizeof longa);
    memset(longb, 'b', sizeof longb);
    /* strings: a 100-char max that must be truncated to 64 bytes + incremented */
    ls_leaf_push_bytes(&b->leaves[0], 0, longa, 100);
    ls_leaf_push_bytes(&b->leaves[0], 0, longb, 100);
    ls_leaf_null(&b->leaves[0], 0, 0);
    ls_leaf_push_f64(&b->leaves[1], 0, NAN);
    ls_leaf_push_f64(&b->leaves[1], 0, -0.0);
    ls_leaf_push_f64(&b->leaves[1], 0, 2.5);
    for (int i = 0; i < 3; i++)
        ls_leaf_push_i32(&b->leaves[2], 0, 10 - i * 7);
    uint8_t ff[70];
    memset(ff, 0xFF, sizeof ff);
    ls_leaf_push_bytes(&b->leaves[3], 0, ff, 70); /* cannot be truncated upwards */
    ls_leaf_push_bytes(&b->leaves[3], 0, "\x00", 1);
    ls_leaf_push_bytes(&b->leaves[3], 0, "", 0);
    b->n_rows = 3;
    CHECK_OK(ls_batch_validate(b, &err), &err);
    ls_pq_writer_opts o;
    ls_pq_writer_opts_default(&o);
    ls_buf f = {0};
    ls_pq_writer *w = NULL;
    snprintf(tmp_path, sizeof tmp_path, "%s/w1.parquet", getenv("LS_TMP") ? getenv("LS_TMP") : "/tmp");
    CHECK_OK(write_file(s, b, &o, tmp_path, &f, &w, &err), &err);
    ls_arena a;
    ls_arena_init(&a, 0);
    pq_file_meta m;
    CHECK_OK(parse_footer(&f, &a, &m, &err), &err);
    CHECK(m.version == 1 && m.num_rows == 3 && m.n_row_groups == 1);
    CHECK_STR(m.created_by, LS_CREATED_BY);
    CHECK(m.n_column_orders == 4);
    pq_column_meta *c0 = &m.row_groups[0].columns[0].meta_data;
    CHECK(c0->statistics.has_min_value && c0->statistics.min_value.len == 64);
    CHECK(c0->statistics.has_max_value && c0->statistics.max_value.len == 64);
    CHECK(c0->statistics.max_value.p[63] == 'c'); /* 'b' * 63 + 'c' */
    CHECK(c0->statistics.has_is_max_value_exact && !c0->statistics.is_max_value_exact);
    CHECK(c0->statistics.null_count == 1);
    pq_column_meta *c1 = &m.row_groups[0].columns[1].meta_data;
    double mn, mx;
    memcpy(&mn, c1->statistics.min_value.p, 8);
    memcpy(&mx, c1->statistics.max_value.p, 8);
    CHECK(mn == 0 && signbit(mn) && mx == 2.5); /* NaN ignored, -0.0 as min */
    pq_column_meta *c2 = &m.row_groups[0].columns[2].meta_data;
    int32_t imin, imax;
    memcpy(&imin, c2->statistics.min_value.p, 4);
    memcpy(&imax, c2->statistics.max_value.p, 4);
    CHECK(imin == -4 && imax == 10);
    pq_column_meta *c3 = &m.row_groups[0].columns[3].meta_data;
    CHECK(c3->statistics.min_value.len == 0);
    CHECK(c3->statistics.max_value.len == 70); /* all 0xFF: kept whole */
    /* leaf stats for Delta are untruncated */
    const ls_pq_leaf_stats *ls0 = ls_pq_writer_leaf_stats(w, 0);
    CHECK(ls0 && ls0->has_minmax && ls0->max_bytes.len == 100 && ls0->null_count == 1);
    const ls_pq_leaf_stats *ls2 = ls_pq_writer_leaf_stats(w, 2);
    CHECK(ls2 && ls2->min.i32 == -4 && ls2->max.i32 == 10);
    /* every chunk has a page index */
    for (int i = 0; i < 4; i++)
        CHECK(m.row_groups[0].columns[i].has_offset_index &&
              m.row_groups[0].columns[i].has_column_index);
    ls_pq_writer_free(w);
    ls_arena_free(&a);
    ls_buf_free(&f);
    ls_batch_free(b);
    ls_schema_free(s);
}

static void test_row_groups_pages_roundtrip(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK_OK(ls_schema_parse_ddl("id BIGINT NOT NULL, name STRING, tags ARRAY<INT>", &s, &err), &err);
    ls_batch *b = ls_batch_new(s);
    const size_t N = 300000;
    char buf[64];
    for (size_t r = 0; r < N; r++) {
        ls_leaf_push_i64(&b->leaves[0], 0, (int64_t)r);
        int n = snprintf(buf, sizeof buf, "name-%zu", r % 5000 == 0 ? r : r % 100);
        if (r % 7 == 0)
            ls_leaf_null(&b->leaves[1], 0, 0);
        else
            ls_leaf_push_bytes(&b->leaves[1], 0, buf, (size_t)n);
        ls_leaf *t = &b->leaves[2];
        if (r % 5 == 0)
            ls_leaf_null(t, 0, 0);
        else if (r % 5 == 1)
            ls_leaf_null(t, 1, 0);
        else
            for (size_t k = 0; k < r % 5; k++)
                ls_leaf_push_i32(t, k ? 1 : 0, (int32_t)(r + k));
        b->n_rows++;
    }
    ls_pq_writer_opts o;
    ls_pq_writer_opts_default(&o);
    o.row_group_bytes = 512 * 1024;
    o.page_bytes = 64 * 1024;
    o.codec = PQ_CODEC_SNAPPY;
    ls_buf f = {0};
    snprintf(tmp_path, sizeof tmp_path, "%s/w2.parquet", getenv("LS_TMP") ? getenv("LS_TMP") : "/tmp");
    CHECK_OK(write_file(s, b, &o, tmp_path, &f, NULL, &err), &err);
    ls_arena a;
    ls_arena_init(&a, 0);
    pq_file_meta m;
    CHECK_OK(parse_footer(&f, &a, &m, &err), &err);
    CHECK_MSG(m.n_row_groups > 2, "%d row groups", m.n_row_groups);
    int64_t total = 0;
    for (int g = 0; g < m.n_row_groups; g++) {
        total += m.row_groups[g].num_rows;
        for (int c = 0; c < 3; c++) {
            pq_column_chunk *cc = &m.row_groups[g].columns[c];
            /* the offset index points at real page headers whose first rows ascend */
            pq_offset_index oi;
            CHECK_OK(pq_parse_offset_index(f.data + cc->offset_index_offset,
                                           (size_t)cc->offset_index_length, &a, &oi, &err),
                     &err);
            int64_t prev = -1;
            for (int k = 0; k < oi.n_page_locations; k++) {
                pq_page_header h;
                size_t used;
                CHECK(oi.page_locations[k].first_row_index > prev);
                prev = oi.page_locations[k].first_row_index;
                CHECK_OK(pq_parse_page_header(f.data + oi.page_locations[k].offset,
                                              f.len - (size_t)oi.page_locations[k].offset, &a, &h,
                                              &used, &err),
                         &err);
                CHECK(h.type == PQ_PAGE_DATA);
                CHECK((int64_t)used + h.compressed_page_size ==
                      oi.page_locations[k].compressed_page_size);
            }
            if (c == 0) {
                pq_column_index ci;
                CHECK_OK(pq_parse_column_index(f.data + cc->column_index_offset,
                                               (size_t)cc->column_index_length, &a, &ci, &err),
                         &err);
                CHECK(ci.boundary_order == PQ_ASCENDING); /* ids increase */
            }
        }
    }
    CHECK(total == (int64_t)N);
    /* read everything back through our reader and compare to the source batch */
    ls_input *in = ls_input_from_memory(f.data, f.len, "w2.parquet");
    ls_pq_reader *r = NULL;
    ls_pq_read_opts ro;
    ls_pq_read_opts_default(&ro);
    CHECK_OK(ls_pq_reader_open(in, &ro, &r, &err), &err);
    if (r) {
        ls_batch *rb = ls_batch_new(ls_pq_reader_out_schema(r));
        ls_buf got = {0}, want = {0};
        size_t row = 0;
        bool eof = false;
        while (!eof) {
            CHECK_OK(ls_pq_reader_next(r, rb, &eof, &err), &err);
            if (err.code || eof)
                break;
            got.len = want.len = 0;
            CHECK_OK(ls_batch_format(rb, 0, rb->n_rows, LS_FMT_NDJSON, false, &got, &err), &err);
            CHECK_OK(ls_batch_format(b, row, row + rb->n_rows, LS_FMT_NDJSON, false, &want, &err),
                     &err);
            CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
            row += rb->n_rows;
        }
        CHECK(row == N);
        ls_buf_free(&got);
        ls_buf_free(&want);
        ls_batch_free(rb);
        ls_pq_reader_free(r);
    }
    ls_input_free(in);
    ls_arena_free(&a);
    ls_buf_free(&f);
    ls_batch_free(b);
    ls_schema_free(s);
}

static void test_dictionary_fallback(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK_OK(ls_schema_parse_ddl("u STRING NOT NULL, k STRING NOT NULL", &s, &err), &err);
    ls_batch *b = ls_batch_new(s);
    char buf[64];
    for (int r = 0; r < 100000; r++) {
        int n = snprintf(buf, sizeof buf, "unique-%08d-xxxxxxxxxxxxxxxx", r * 7919);
        ls_leaf_push_bytes(&b->leaves[0], 0, buf, (size_t)n);
        ls_leaf_push_bytes(&b->leaves[1], 0, r % 2 ? "even" : "odd", r % 2 ? 4 : 3);
        b->n_rows++;
    }
    ls_pq_writer_opts o;
    ls_pq_writer_opts_default(&o);
    ls_buf f = {0};
    snprintf(tmp_path, sizeof tmp_path, "%s/w3.parquet", getenv("LS_TMP") ? getenv("LS_TMP") : "/tmp");
    CHECK_OK(write_file(s, b, &o, tmp_path, &f, NULL, &err), &err);
    ls_arena a;
    ls_arena_init(&a, 0);
    pq_file_meta m;
    CHECK_OK(parse_footer(&f, &a, &m, &err), &err);
    pq_column_meta *u = &m.row_groups[0].columns[0].meta_data;
    pq_column_meta *k = &m.row_groups[0].columns[1].meta_data;
    bool u_plain = false, k_dict_only = true;
    for (int i = 0; i < u->n_encoding_stats; i++)
        if (u->encoding_stats[i].page_type == PQ_PAGE_DATA &&
            u->encoding_stats[i].encoding == PQ_ENC_PLAIN)
            u_plain = true;
    for (int i = 0; i < k->n_encoding_stats; i++)
        if (k->encoding_stats[i].page_type == PQ_PAGE_DATA &&
            k->encoding_stats[i].encoding != PQ_ENC_PLAIN_DICTIONARY)
            k_dict_only = false;
    CHECK(u_plain);     /* distinct values fell back to PLAIN */
    CHECK(k_dict_only); /* two values stay dictionary-encoded */
    CHECK(k->has_dictionary_page_offset && k->dictionary_page_offset == 4 + u->total_compressed_size);
    ls_arena_free(&a);
    ls_buf_free(&f);
    ls_batch_free(b);
    ls_schema_free(s);
}

static void test_bad_codec_and_close(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK_OK(ls_schema_parse_ddl("a INT", &s, &err), &err);
    ls_output *op = NULL;
    snprintf(tmp_path, sizeof tmp_path, "%s/w4.parquet", getenv("LS_TMP") ? getenv("LS_TMP") : "/tmp");
    CHECK_OK(ls_output_open_file(tmp_path, &op, &err), &err);
    ls_pq_writer_opts o;
    ls_pq_writer_opts_default(&o);
    o.codec = PQ_CODEC_LZO;
    ls_pq_writer *w = NULL;
    CHECK(ls_pq_writer_new(op, s, &o, &w, &err) == LS_ERR_UNSUPPORTED);
    ls_output_abort(op);
    ls_schema_free(s);
}

int main(void)
{
    RUN(test_stats_and_truncation);
    RUN(test_row_groups_pages_roundtrip);
    RUN(test_dictionary_fallback);
    RUN(test_bad_codec_and_close);
    TEST_MAIN_END();
}
