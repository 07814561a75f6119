/*
 * test_meta.c - tests of the Thrift compact layer (pq_thrift.c) and of the
 * Parquet metadata structs (pq_meta.c): round trips of every struct, wire
 * edge cases, truncation and byte-mutation robustness, fuzz regressions and
 * the parquet-testing corpus footers (LS_SHARED_DIR).
 */
#include "test.h"

#include "parquet/pq_meta.h"
#include "parquet/pq_thrift.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#define CHECKF(cond, ...) CHECK_MSG(cond, __VA_ARGS__)

/* ---- deterministic PRNG (xorshift64*) ---------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---- comparison helpers -------------------------------------------------- */

static bool bytes_eq(pq_bytes a, pq_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static void cmp_stats(const pq_statistics *a, const pq_statistics *b, const char *where)
{
    CHECKF(a->has_max == b->has_max && (!a->has_max || bytes_eq(a->max, b->max)), "%s max", where);
    CHECKF(a->has_min == b->has_min && (!a->has_min || bytes_eq(a->min, b->min)), "%s min", where);
    CHECKF(a->has_null_count == b->has_null_count &&
               (!a->has_null_count || a->null_count == b->null_count),
           "%s null_count", where);
    CHECKF(a->has_distinct_count == b->has_distinct_count &&
               (!a->has_distinct_count || a->distinct_count == b->distinct_count),
           "%s distinct_count", where);
    CHECKF(a->has_max_value == b->has_max_value &&
               (!a->has_max_value || bytes_eq(a->max_value, b->max_value)),
           "%s max_value", where);
    CHECKF(a->has_min_value == b->has_min_value &&
               (!a->has_min_value || bytes_eq(a->min_value, b->min_value)),
           "%s min_value", where);
    CHECKF(a->has_is_max_value_exact == b->has_is_max_value_exact &&
               (!a->has_is_max_value_exact || a->is_max_value_exact == b->is_max_value_exact),
           "%s is_max_value_exact", where);
    CHECKF(a->has_is_min_value_exact == b->has_is_min_value_exact &&
               (!a->has_is_min_value_exact || a->is_min_value_exact == b->is_min_value_exact),
           "%s is_min_value_exact", where);
}

static void cmp_logical(const pq_logical *a, const pq_logical *b, const char *where)
{
    CHECKF(a->kind == b->kind, "%s logical kind %d vs %d", where, a->kind, b->kind);
    if (a->kind != b->kind) return;
    if (a->kind == PQ_LT_DECIMAL)
        CHECKF(a->scale == b->scale && a->precision == b->precision, "%s decimal", where);
    if (a->kind == PQ_LT_TIME || a->kind == PQ_LT_TIMESTAMP)
        CHECKF(a->unit == b->unit && a->is_adjusted_to_utc == b->is_adjusted_to_utc, "%s time",
               where);
    if (a->kind == PQ_LT_INTEGER)
        CHECKF(a->bit_width == b->bit_width && a->is_signed == b->is_signed, "%s int", where);
}

static void cmp_schema(const pq_schema_element *a, const pq_schema_element *b, int i)
{
    char w[64];
    snprintf(w, sizeof w, "schema[%d]", i);
#define SE(f) CHECKF(a->has_##f == b->has_##f && (!a->has_##f || a->f == b->f), "%s " #f, w)
    SE(type);
    SE(type_length);
    SE(repetition);
    SE(num_children);
    SE(converted_type);
    SE(scale);
    SE(precision);
    SE(field_id);
#undef SE
    CHECKF(str_eq(a->name ? a->name : "", b->name), "%s name", w);
    CHECKF(a->has_logical == b->has_logical, "%s has_logical", w);
    if (a->has_logical && b->has_logical) cmp_logical(&a->logical, &b->logical, w);
}

static void cmp_kvs(int32_t na, const pq_kv *a, int32_t nb, const pq_kv *b, const char *w)
{
    CHECKF(na == nb, "%s n_kv %d vs %d", w, na, nb);
    for (int32_t i = 0; i < na && i < nb; i++)
        CHECKF(str_eq(a[i].key, b[i].key) && str_eq(a[i].value, b[i].value), "%s kv[%d]", w, i);
}

static void cmp_cmd(const pq_column_meta *a, const pq_column_meta *b, const char *w)
{
    CHECKF(a->type == b->type, "%s type", w);
    CHECKF(a->n_encodings == b->n_encodings, "%s n_encodings", w);
    for (int i = 0; i < a->n_encodings && i < b->n_encodings; i++)
        CHECKF(a->encodings[i] == b->encodings[i], "%s encodings[%d]", w, i);
    CHECKF(a->n_path == b->n_path, "%s n_path", w);
    for (int i = 0; i < a->n_path && i < b->n_path; i++)
        CHECKF(str_eq(a->path[i], b->path[i]), "%s path[%d]", w, i);
    CHECKF(a->codec == b->codec, "%s codec", w);
    CHECKF(a->num_values == b->num_values, "%s num_values", w);
    CHECKF(a->total_uncompressed_size == b->total_uncompressed_size, "%s tus", w);
    CHECKF(a->total_compressed_size == b->total_compressed_size, "%s tcs", w);
    cmp_kvs(a->n_kv, a->kv, b->n_kv, b->kv, w);
    CHECKF(a->data_page_offset == b->data_page_offset, "%s data_page_offset", w);
#define OPT(h, f) CHECKF(a->h == b->h && (!a->h || a->f == b->f), "%s " #f, w)
    OPT(has_index_page_offset, index_page_offset);
    OPT(has_dictionary_page_offset, dictionary_page_offset);
    OPT(has_bloom_filter_offset, bloom_filter_offset);
    OPT(has_bloom_filter_length, bloom_filter_length);
#undef OPT
    CHECKF(a->has_statistics == b->has_statistics, "%s has_statistics", w);
    if (a->has_statistics && b->has_statistics) cmp_stats(&a->statistics, &b->statistics, w);
    CHECKF(a->n_encoding_stats == b->n_encoding_stats, "%s n_encoding_stats", w);
    for (int i = 0; i < a->n_encoding_stats && i < b->n_encoding_stats; i++)
        CHECKF(a->encoding_stats[i].page_type == b->encoding_stats[i].page_type &&
                   a->encoding_stats[i].encoding == b->encoding_stats[i].encoding &&
                   a->encoding_stats[i].count == b->encoding_stats[i].count,
               "%s encoding_stats[%d]", w, i);
}

static void cmp_chunk(const pq_column_chunk *a, const pq_column_chunk *b, const char *w)
{
    CHECKF(str_eq(a->file_path, b->file_path), "%s file_path", w);
    CHECKF(a->file_offset == b->file_offset, "%s file_offset", w);
    CHECKF(a->has_meta_data == b->has_meta_data, "%s has_meta_data", w);
    if (a->has_meta_data && b->has_meta_data) cmp_cmd(&a->meta_data, &b->meta_data, w);
    CHECKF(a->has_offset_index == b->has_offset_index &&
               (!a->has_offset_index || (a->offset_index_offset == b->offset_index_offset &&
                                         a->offset_index_length == b->offset_index_length)),
           "%s offset index", w);
    CHECKF(a->has_column_index == b->has_column_index &&
               (!a->has_column_index || (a->column_index_offset == b->column_index_offset &&
                                         a->column_index_length == b->column_index_length)),
           "%s column index", w);
    CHECKF(a->has_crypto_metadata == b->has_crypto_metadata, "%s crypto", w);
}

static void cmp_rg(const pq_row_group *a, const pq_row_group *b, int gi)
{
    char w[64];
    CHECKF(a->n_columns == b->n_columns, "rg[%d] n_columns", gi);
    for (int i = 0; i < a->n_columns && i < b->n_columns; i++) {
        snprintf(w, sizeof w, "rg[%d].col[%d]", gi, i);
        cmp_chunk(&a->columns[i], &b->columns[i], w);
    }
    CHECKF(a->total_byte_size == b->total_byte_size, "rg[%d] total_byte_size", gi);
    CHECKF(a->num_rows == b->num_rows, "rg[%d] num_rows", gi);
    CHECKF(a->n_sorting_columns == b->n_sorting_columns, "rg[%d] n_sorting", gi);
    for (int i = 0; i < a->n_sorting_columns && i < b->n_sorting_columns; i++)
        CHECKF(a->sorting_columns[i].column_idx == b->sorting_columns[i].column_idx &&
                   a->sorting_columns[i].descending == b->sorting_columns[i].descending &&
                   a->sorting_columns[i].nulls_first == b->sorting_columns[i].nulls_first,
               "rg[%d] sorting[%d]", gi, i);
    CHECKF(a->has_file_offset == b->has_file_offset &&
               (!a->has_file_offset || a->file_offset == b->file_offset),
           "rg[%d] file_offset", gi);
    CHECKF(
        a->has_total_compressed_size == b->has_total_compressed_size &&
            (!a->has_total_compressed_size || a->total_compressed_size == b->total_compressed_size),
        "rg[%d] tcs", gi);
    CHECKF(a->has_ordinal == b->has_ordinal && (!a->has_ordinal || a->ordinal == b->ordinal),
           "rg[%d] ordinal", gi);
}

static void cmp_fmd(const pq_file_meta *a, const pq_file_meta *b)
{
    CHECK(a->version == b->version);
    CHECKF(a->n_schema == b->n_schema, "n_schema %d vs %d", a->n_schema, b->n_schema);
    for (int i = 0; i < a->n_schema && i < b->n_schema; i++)
        cmp_schema(&a->schema[i], &b->schema[i], i);
    CHECK(a->num_rows == b->num_rows);
    CHECKF(a->n_row_groups == b->n_row_groups, "n_row_groups");
    for (int i = 0; i < a->n_row_groups && i < b->n_row_groups; i++)
        cmp_rg(&a->row_groups[i], &b->row_groups[i], i);
    cmp_kvs(a->n_kv, a->kv, b->n_kv, b->kv, "file");
    CHECK(str_eq(a->created_by, b->created_by));
    CHECKF(a->n_column_orders == b->n_column_orders, "n_column_orders");
    for (int i = 0; i < a->n_column_orders && i < b->n_column_orders; i++)
        CHECKF(a->column_orders[i] == b->column_orders[i], "column_orders[%d]", i);
    CHECK(a->has_encryption_algorithm == b->has_encryption_algorithm);
}

static void cmp_page_header(const pq_page_header *a, const pq_page_header *b)
{
    CHECK(a->type == b->type);
    CHECK(a->uncompressed_page_size == b->uncompressed_page_size);
    CHECK(a->compressed_page_size == b->compressed_page_size);
    CHECK(a->has_crc == b->has_crc && (!a->has_crc || a->crc == b->crc));
    CHECK(a->has_data_page_header == b->has_data_page_header);
    if (a->has_data_page_header && b->has_data_page_header) {
        const pq_data_page_header *x = &a->data_page_header, *y = &b->data_page_header;
        CHECK(x->num_values == y->num_values && x->encoding == y->encoding &&
              x->definition_level_encoding == y->definition_level_encoding &&
              x->repetition_level_encoding == y->repetition_level_encoding);
        CHECK(x->has_statistics == y->has_statistics);
        if (x->has_statistics && y->has_statistics)
            cmp_stats(&x->statistics, &y->statistics, "dph");
    }
    CHECK(a->has_dictionary_page_header == b->has_dictionary_page_header);
    if (a->has_dictionary_page_header && b->has_dictionary_page_header) {
        const pq_dictionary_page_header *x = &a->dictionary_page_header,
                                        *y = &b->dictionary_page_header;
        CHECK(x->num_values == y->num_values && x->encoding == y->encoding);
        CHECK(x->has_is_sorted == y->has_is_sorted &&
              (!x->has_is_sorted || x->is_sorted == y->is_sorted));
    }
    CHECK(a->has_data_page_header_v2 == b->has_data_page_header_v2);
    if (a->has_data_page_header_v2 && b->has_data_page_header_v2) {
        const pq_data_page_header_v2 *x = &a->data_page_header_v2, *y = &b->data_page_header_v2;
        CHECK(x->num_values == y->num_values && x->num_nulls == y->num_nulls &&
              x->num_rows == y->num_rows && x->encoding == y->encoding &&
              x->definition_levels_byte_length == y->definition_levels_byte_length &&
              x->repetition_levels_byte_length == y->repetition_levels_byte_length &&
              x->is_compressed == y->is_compressed);
        CHECK(x->has_statistics == y->has_statistics);
        if (x->has_statistics && y->has_statistics)
            cmp_stats(&x->statistics, &y->statistics, "dph2");
    }
}

/* ---- builders ------------------------------------------------------------ */

static const uint8_t k_bin[] = {0, 1, 2, 0xff, 0x80, 0, 'x'};

static pq_bytes mkbytes(const void *p, size_t n)
{
    pq_bytes b = {(const uint8_t *)p, (uint32_t)n};
    return b;
}

static void fill_stats(pq_statistics *s, int variant)
{
    memset(s, 0, sizeof *s);
    s->has_max = s->has_min = true;
    s->max = mkbytes(k_bin, sizeof k_bin);
    s->min = mkbytes("", 0);
    s->has_null_count = true;
    s->null_count = variant ? 0 : 123456789012LL;
    s->has_distinct_count = variant & 1;
    s->distinct_count = 77;
    s->has_max_value = s->has_min_value = true;
    s->max_value = mkbytes("zzz", 3);
    s->min_value = mkbytes(k_bin, 3);
    s->has_is_max_value_exact = true;
    s->is_max_value_exact = variant & 1;
    s->has_is_min_value_exact = true;
    s->is_min_value_exact = !(variant & 1);
}

static const int k_kinds[] = {
    PQ_LT_STRING, PQ_LT_MAP,       PQ_LT_LIST,    PQ_LT_ENUM,     PQ_LT_DECIMAL,   PQ_LT_DATE,
    PQ_LT_TIME,   PQ_LT_TIMESTAMP, PQ_LT_INTEGER, PQ_LT_UNKNOWN,  PQ_LT_JSON,      PQ_LT_BSON,
    PQ_LT_UUID,   PQ_LT_FLOAT16,   PQ_LT_VARIANT, PQ_LT_GEOMETRY, PQ_LT_GEOGRAPHY, PQ_LT_NONE,
};
#define N_KINDS ((int)(sizeof k_kinds / sizeof k_kinds[0]))

/* A footer exercising every field: root + n_leaves leaves (+ one group),
 * n_rg row groups. Memory from arena a. */
static pq_file_meta build_meta(ls_arena *a, int n_leaves, int n_rg)
{
    pq_file_meta m;
    memset(&m, 0, sizeof m);
    m.version = 1;
    m.n_schema = n_leaves + 2;
    m.schema = ls_arena_calloc(a, sizeof(pq_schema_element) * (size_t)m.n_schema);
    pq_schema_element *root = &m.schema[0];
    root->name = "schema";
    root->has_num_children = true;
    root->num_children = n_leaves + 1;
    for (int i = 0; i < n_leaves; i++) {
        pq_schema_element *e = &m.schema[1 + i];
        char name[32];
        snprintf(name, sizeof name, "col_%d", i);
        e->name = ls_arena_strdup(a, name);
        e->has_type = true;
        e->type = i % 8;
        e->has_type_length = e->type == PQ_FIXED_LEN_BYTE_ARRAY;
        e->type_length = 16;
        e->has_repetition = true;
        e->repetition = i % 3;
        e->has_field_id = true;
        e->field_id = i * 1000 - 5;
        int kind = k_kinds[i % N_KINDS];
        if (kind != PQ_LT_NONE) {
            e->has_logical = true;
            e->logical.kind = kind;
            if (kind == PQ_LT_DECIMAL) {
                e->logical.scale = 2;
                e->logical.precision = 38;
                e->has_scale = e->has_precision = true;
                e->scale = 2;
                e->precision = 38;
                e->has_converted_type = true;
                e->converted_type = PQ_CT_DECIMAL;
            } else if (kind == PQ_LT_TIME || kind == PQ_LT_TIMESTAMP) {
                e->logical.unit = 1 + (i / N_KINDS) % 3;
                e->logical.is_adjusted_to_utc = (i / N_KINDS) & 1;
            } else if (kind == PQ_LT_INTEGER) {
                static const int8_t widths[] = {8, 16, 32, 64};
                e->logical.bit_width = widths[(i / N_KINDS) % 4];
                e->logical.is_signed = !((i / N_KINDS) & 1);
                e->has_converted_type = true;
                e->converted_type = PQ_CT_INT_8;
            } else if (kind == PQ_LT_STRING) {
                e->has_converted_type = true;
                e->converted_type = PQ_CT_UTF8;
            }
        }
    }
    pq_schema_element *g = &m.schema[n_leaves + 1];
    g->name = "empty_group";
    g->has_repetition = true;
    g->repetition = PQ_OPTIONAL;
    g->has_num_children = true;
    g->num_children = 0;

    m.n_row_groups = n_rg;
    m.row_groups = ls_arena_calloc(a, sizeof(pq_row_group) * (size_t)(n_rg ? n_rg : 1));
    int64_t total_rows = 0;
    for (int gi = 0; gi < n_rg; gi++) {
        pq_row_group *rg = &m.row_groups[gi];
        rg->n_columns = n_leaves;
        rg->columns =
            ls_arena_calloc(a, sizeof(pq_column_chunk) * (size_t)(n_leaves ? n_leaves : 1));
        for (int i = 0; i < n_leaves; i++) {
            pq_column_chunk *c = &rg->columns[i];
            c->file_path = (i % 7 == 3) ? "other/file.parquet" : NULL;
            c->file_offset = i % 5 == 0 ? 0 : -(int64_t)i; /* deprecated: anything goes */
            c->has_meta_data = i % 11 != 10;
            pq_column_meta *cm = &c->meta_data;
            cm->type = i % 8;
            cm->n_encodings = 1 + i % 3;
            cm->encodings = ls_arena_alloc(a, sizeof(int32_t) * 3);
            cm->encodings[0] = PQ_ENC_PLAIN;
            cm->encodings[1] = PQ_ENC_RLE;
            cm->encodings[2] = PQ_ENC_RLE_DICTIONARY;
            cm->n_path = 1 + i % 2;
            cm->path = ls_arena_alloc(a, sizeof(char *) * 2);
            cm->path[0] = m.schema[1 + i].name;
            cm->path[1] = "element";
            cm->codec = i % 8;
            cm->num_values = (int64_t)1 << (i % 40);
            cm->total_uncompressed_size = 1000 + i;
            cm->total_compressed_size = 500 + i;
            if (i % 4 == 1) {
                cm->n_kv = 2;
                cm->kv = ls_arena_alloc(a, sizeof(pq_kv) * 2);
                cm->kv[0].key = "k";
                cm->kv[0].value = "v";
                cm->kv[1].key = "only-key";
                cm->kv[1].value = NULL;
            }
            cm->data_page_offset = 4 + (int64_t)i * 1000;
            cm->has_index_page_offset = i % 9 == 2;
            cm->index_page_offset = 5;
            cm->has_dictionary_page_offset = i % 2 == 0;
            cm->dictionary_page_offset = i == 0 ? 0 : 4 + (int64_t)i * 1000 - 1;
            cm->has_statistics = i % 3 != 2;
            fill_stats(&cm->statistics, i);
            if (i % 3 == 0) {
                cm->n_encoding_stats = 2;
                cm->encoding_stats = ls_arena_alloc(a, sizeof(pq_page_encoding_stats) * 2);
                cm->encoding_stats[0] = (pq_page_encoding_stats){PQ_PAGE_DICTIONARY, 0, 1};
                cm->encoding_stats[1] = (pq_page_encoding_stats){PQ_PAGE_DATA, 8, 70000};
            }
            cm->has_bloom_filter_offset = i % 5 == 1;
            cm->bloom_filter_offset = 1LL << 40;
            cm->has_bloom_filter_length = i % 5 == 1;
            cm->bloom_filter_length = 4096 + 17;
            c->has_offset_index = i % 2 == 1;
            c->offset_index_offset = 99999999999LL;
            c->offset_index_length = 33;
            c->has_column_index = i % 4 == 1;
            c->column_index_offset = 88888888888LL;
            c->column_index_length = 44;
        }
        rg->total_byte_size = 123456 + gi;
        rg->num_rows = 1000 + gi;
        total_rows += rg->num_rows;
        if (gi == 0 && n_leaves > 1) {
            rg->n_sorting_columns = 2;
            rg->sorting_columns = ls_arena_alloc(a, sizeof(pq_sorting_column) * 2);
            rg->sorting_columns[0] = (pq_sorting_column){1, true, false};
            rg->sorting_columns[1] = (pq_sorting_column){0, false, true};
        }
        rg->has_file_offset = gi % 2 == 0;
        rg->file_offset = 4;
        rg->has_total_compressed_size = true;
        rg->total_compressed_size = 654321;
        rg->has_ordinal = true;
        rg->ordinal = (int16_t)(gi == 2 ? -32768 : gi);
    }
    m.num_rows = total_rows;
    m.n_kv = 3;
    m.kv = ls_arena_alloc(a, sizeof(pq_kv) * 3);
    m.kv[0] = (pq_kv){"ARROW:schema", "/////base64=="};
    m.kv[1] = (pq_kv){"no-value", NULL};
    m.kv[2] = (pq_kv){"", ""};
    m.created_by = "lakestream version 0.1.0 (build test)";
    m.n_column_orders = n_leaves;
    m.column_orders = ls_arena_alloc(a, sizeof(int32_t) * (size_t)(n_leaves ? n_leaves : 1));
    for (int i = 0; i < n_leaves; i++)
        m.column_orders[i] = i % 9 == 4 ? 0 : 1;
    return m;
}

/* Serializes m; parses it back into arena b; compares. Returns the bytes. */
static void roundtrip_fmd(const pq_file_meta *m, ls_buf *out)
{
    ls_arena a;
    ls_error err = {0};
    pq_file_meta back;
    ls_arena_init(&a, 0);
    ls_buf_reset(out);
    pq_write_file_meta(out, m);
    CHECK_OK(pq_parse_file_meta(out->data, out->len, &a, &back, &err), &err);
    if (err.code == LS_OK) cmp_fmd(m, &back);
    /* writing the parsed struct gives the same bytes */
    ls_buf again = {0};
    if (err.code == LS_OK) {
        pq_write_file_meta(&again, &back);
        CHECK(again.len == out->len && memcmp(again.data, out->data, out->len) == 0);
    }
    ls_buf_free(&again);
    ls_arena_free(&a);
}

/* ---- round trips ----------------------------------------------------------- */

static void test_roundtrip_file_meta(void)
{
    ls_arena a;
    ls_buf buf = {0};
    ls_arena_init(&a, 0);
    int shapes[][2] = {{0, 0}, {1, 1}, {3, 2}, {N_KINDS * 4, 3}, {40, 1}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        pq_file_meta m = build_meta(&a, shapes[s][0], shapes[s][1]);
        roundtrip_fmd(&m, &buf);
    }
    /* minimal: only required fields */
    pq_file_meta m;
    memset(&m, 0, sizeof m);
    pq_schema_element root = {0};
    root.name = "r";
    m.n_schema = 1;
    m.schema = &root;
    roundtrip_fmd(&m, &buf);
    ls_buf_free(&buf);
    ls_arena_free(&a);
}

static void test_roundtrip_page_headers(void)
{
    ls_arena a;
    ls_error err = {0};
    ls_buf buf = {0};
    ls_arena_init(&a, 0);
    for (int v = 0; v < 8; v++) {
        pq_page_header h;
        memset(&h, 0, sizeof h);
        h.type = v % 4;
        h.uncompressed_page_size = 1 << (v * 3);
        h.compressed_page_size = v * 1000;
        h.has_crc = v & 1;
        h.crc = v == 1 ? INT32_MIN : -12345;
        if (v % 3 == 0) {
            h.has_data_page_header = true;
            h.data_page_header.num_values = 20000 + v;
            h.data_page_header.encoding = PQ_ENC_PLAIN_DICTIONARY;
            h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
            h.data_page_header.repetition_level_encoding = PQ_ENC_BIT_PACKED;
            h.data_page_header.has_statistics = v == 3;
            fill_stats(&h.data_page_header.statistics, v);
        }
        if (v % 3 == 1) {
            h.has_dictionary_page_header = true;
            h.dictionary_page_header.num_values = v * 7;
            h.dictionary_page_header.encoding = PQ_ENC_PLAIN;
            h.dictionary_page_header.has_is_sorted = v > 3;
            h.dictionary_page_header.is_sorted = v == 4;
        }
        if (v % 3 == 2 || v == 6) {
            h.has_data_page_header_v2 = true;
            pq_data_page_header_v2 *d = &h.data_page_header_v2;
            d->num_values = 100;
            d->num_nulls = 7;
            d->num_rows = 90;
            d->encoding = PQ_ENC_DELTA_BINARY_PACKED;
            d->definition_levels_byte_length = 12;
            d->repetition_levels_byte_length = v == 2 ? 0 : 3;
            d->is_compressed = v != 5;
            d->has_statistics = v == 5;
            fill_stats(&d->statistics, v);
        }
        ls_buf_reset(&buf);
        pq_write_page_header(&buf, &h);
        size_t hdr_len = buf.len;
        ls_buf_append(&buf, "page bytes follow", 17); /* the page body after the header */
        pq_page_header back;
        size_t consumed = 0;
        CHECK_OK(pq_parse_page_header(buf.data, buf.len, &a, &back, &consumed, &err), &err);
        CHECK(consumed == hdr_len);
        cmp_page_header(&h, &back);
    }
    /* is_compressed absent means true (thrift default) */
    {
        pq_tw w;
        ls_buf_reset(&buf);
        pq_tw_init(&w, &buf);
        pq_tw_struct_begin(&w);
        pq_tw_field_i32(&w, 1, PQ_PAGE_DATA_V2);
        pq_tw_field_i32(&w, 2, 10);
        pq_tw_field_i32(&w, 3, 10);
        pq_tw_field_struct(&w, 8);
        for (int16_t f = 1; f <= 6; f++)
            pq_tw_field_i32(&w, f, 1);
        pq_tw_struct_end(&w);
        pq_tw_struct_end(&w);
        pq_page_header back;
        CHECK_OK(pq_parse_page_header(buf.data, buf.len, &a, &back, NULL, &err), &err);
        CHECK(back.has_data_page_header_v2 && back.data_page_header_v2.is_compressed);
    }
    ls_buf_free(&buf);
    ls_arena_free(&a);
}

static void test_roundtrip_page_index(void)
{
    ls_arena a;
    ls_error err = {0};
    ls_buf buf = {0};
    ls_arena_init(&a, 0);
    int sizes[] = {0, 1, 14, 15, 16, 200, 5000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        /* OffsetIndex */
        pq_offset_index oi = {n, ls_arena_alloc(&a, sizeof(pq_page_location) * (size_t)(n + 1))};
        for (int i = 0; i < n; i++)
            oi.page_locations[i] =
                (pq_page_location){4 + (int64_t)i * 1048576, 1048576 + i, (int64_t)i * 20000};
        ls_buf_reset(&buf);
        pq_write_offset_index(&buf, &oi);
        pq_offset_index oi2;
        CHECK_OK(pq_parse_offset_index(buf.data, buf.len, &a, &oi2, &err), &err);
        CHECK(oi2.n_page_locations == n);
        for (int i = 0; i < n && i < oi2.n_page_locations; i++)
            CHECK(oi2.page_locations[i].offset == oi.page_locations[i].offset &&
                  oi2.page_locations[i].compressed_page_size ==
                      oi.page_locations[i].compressed_page_size &&
                  oi2.page_locations[i].first_row_index == oi.page_locations[i].first_row_index);
        /* ColumnIndex */
        pq_column_index ci;
        memset(&ci, 0, sizeof ci);
        ci.n_pages = n;
        ci.null_pages = ls_arena_alloc(&a, (size_t)n + 1);
        ci.min_values = ls_arena_alloc(&a, sizeof(pq_bytes) * (size_t)(n + 1));
        ci.max_values = ls_arena_alloc(&a, sizeof(pq_bytes) * (size_t)(n + 1));
        ci.null_counts = ls_arena_alloc(&a, sizeof(int64_t) * (size_t)(n + 1));
        ci.boundary_order = (int)(s % 3);
        ci.has_null_counts = s != 2;
        for (int i = 0; i < n; i++) {
            ci.null_pages[i] = i % 3 == 2;
            ci.min_values[i] = ci.null_pages[i] ? mkbytes("", 0) : mkbytes(k_bin, (size_t)(i % 7));
            ci.max_values[i] = ci.null_pages[i] ? mkbytes("", 0) : mkbytes("max", 3);
            ci.null_counts[i] = (int64_t)i * 3;
        }
        ls_buf_reset(&buf);
        pq_write_column_index(&buf, &ci);
        pq_column_index ci2;
        CHECK_OK(pq_parse_column_index(buf.data, buf.len, &a, &ci2, &err), &err);
        CHECK(ci2.n_pages == n && ci2.boundary_order == ci.boundary_order &&
              ci2.has_null_counts == ci.has_null_counts);
        for (int i = 0; i < n && i < ci2.n_pages; i++) {
            CHECK(ci2.null_pages[i] == ci.null_pages[i]);
            CHECK(bytes_eq(ci2.min_values[i], ci.min_values[i]));
            CHECK(bytes_eq(ci2.max_values[i], ci.max_values[i]));
            if (ci.has_null_counts) CHECK(ci2.null_counts[i] == ci.null_counts[i]);
        }
    }
    ls_buf_free(&buf);
    ls_arena_free(&a);
}

/* ---- thrift wire edge cases --------------------------------------------- */

static void test_thrift_field_ids(void)
{
    ls_buf buf = {0};
    pq_tw w;
    pq_tw_init(&w, &buf);
    pq_tw_struct_begin(&w);
    static const int16_t ids[] = {1, 17, 18, 33, 5, 5, 0, -1, -300, 32767, 2};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        pq_tw_field_i32(&w, ids[i], (int32_t)i);
    pq_tw_field_struct(&w, 40); /* nested struct restarts the delta at 0 */
    pq_tw_field_i32(&w, 3, 3);
    pq_tw_struct_end(&w);
    pq_tw_field_i32(&w, 41, 41); /* delta 1 from 40 again */
    pq_tw_struct_end(&w);
    /* spot-check the bytes: id 1 short form, 17 long form (delta 16) */
    CHECK(buf.data[0] == 0x15 && buf.data[1] == 0x00);
    CHECK(buf.data[2] == 0x05 && buf.data[3] == 34 && buf.data[4] == 2);
    CHECK(buf.data[5] == 0x15); /* 18: delta 1 */

    pq_tr r;
    ls_error err = {0};
    pq_tr_init(&r, buf.data, buf.len, &err);
    int16_t last = 0, id = 0;
    unsigned t;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        CHECK_OK(pq_tr_field(&r, &last, &id, &t), &err);
        CHECKF(id == ids[i] && t == PQ_TT_I32, "field %zu id %d", i, id);
        int64_t v = -1;
        CHECK_OK(pq_tr_int(&r, t, &v), &err);
        CHECK(v == (int64_t)i);
    }
    CHECK_OK(pq_tr_field(&r, &last, &id, &t), &err);
    CHECK(id == 40 && t == PQ_TT_STRUCT);
    int16_t inner = 0;
    CHECK_OK(pq_tr_field(&r, &inner, &id, &t), &err);
    CHECK(id == 3);
    int64_t v;
    CHECK_OK(pq_tr_int(&r, t, &v), &err);
    CHECK_OK(pq_tr_field(&r, &inner, &id, &t), &err);
    CHECK(t == PQ_TT_STOP);
    CHECK_OK(pq_tr_field(&r, &last, &id, &t), &err);
    CHECK(id == 41);
    CHECK_OK(pq_tr_int(&r, t, &v), &err);
    CHECK(v == 41);
    CHECK_OK(pq_tr_field(&r, &last, &id, &t), &err);
    CHECK(t == PQ_TT_STOP && pq_tr_left(&r) == 0);

    /* short-form delta that would overflow i16 */
    uint8_t ovf[] = {0x05, 0xfe, 0xff, 0x03 /* id 32767 */, 0x00, 0x15, 0x00};
    pq_tr_init(&r, ovf, sizeof ovf, &err);
    last = 0;
    CHECK_OK(pq_tr_field(&r, &last, &id, &t), &err);
    CHECK(id == 32767);
    CHECK_OK(pq_tr_int(&r, t, &v), &err);
    CHECK(pq_tr_field(&r, &last, &id, &t) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "overflows") != NULL);
    /* long-form id outside i16 */
    uint8_t big[] = {0x05, 0x80, 0x80, 0x04};
    pq_tr_init(&r, big, sizeof big, &err);
    last = 0;
    CHECK(pq_tr_field(&r, &last, &id, &t) == LS_ERR_CORRUPT);
    /* invalid type nibble */
    uint8_t badt[] = {0x1e};
    pq_tr_init(&r, badt, sizeof badt, &err);
    last = 0;
    CHECK(pq_tr_field(&r, &last, &id, &t) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "offset 0") != NULL);
    ls_buf_free(&buf);
}

static void test_thrift_varint_zigzag(void)
{
    CHECK(pq_zigzag64(0) == 0 && pq_zigzag64(-1) == 1 && pq_zigzag64(1) == 2);
    CHECK(pq_zigzag64(INT64_MIN) == UINT64_MAX && pq_zigzag64(INT64_MAX) == UINT64_MAX - 1);
    static const int64_t vals[] = {0,         1,         -1,          63,        -64,
                                   64,        -65,       INT32_MAX,   INT32_MIN, INT64_MAX,
                                   INT64_MIN, 1LL << 35, -(1LL << 35)};
    ls_buf buf = {0};
    pq_tw w;
    pq_tw_init(&w, &buf);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        pq_tw_i64(&w, vals[i]);
    pq_tw_varint(&w, UINT64_MAX);
    pq_tr r;
    ls_error err = {0};
    pq_tr_init(&r, buf.data, buf.len, &err);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int64_t v;
        CHECK_OK(pq_tr_int(&r, PQ_TT_I64, &v), &err);
        CHECKF(v == vals[i], "value %zu", i);
    }
    uint64_t u;
    CHECK_OK(pq_tr_varint(&r, &u), &err);
    CHECK(u == UINT64_MAX && pq_tr_left(&r) == 0);
    CHECK(buf.data[buf.len - 1] == 0x01); /* 10th byte of UINT64_MAX */

    /* 11 bytes, 10th overflowing, truncated */
    uint8_t eleven[11], ovf[10];
    memset(eleven, 0xff, sizeof eleven);
    eleven[10] = 0x01;
    memset(ovf, 0xff, sizeof ovf);
    ovf[9] = 0x02;
    pq_tr_init(&r, eleven, sizeof eleven, &err);
    CHECK(pq_tr_varint(&r, &u) == LS_ERR_CORRUPT && strstr(err.msg, "longer than 10"));
    pq_tr_init(&r, ovf, sizeof ovf, &err);
    CHECK(pq_tr_varint(&r, &u) == LS_ERR_CORRUPT && strstr(err.msg, "overflows"));
    pq_tr_init(&r, eleven, 5, &err);
    CHECK(pq_tr_varint(&r, &u) == LS_ERR_CORRUPT && strstr(err.msg, "truncated"));
    /* range checks: i32 field with a value beyond i32 */
    ls_buf_reset(&buf);
    pq_tw_i64(&w, (int64_t)INT32_MAX + 1);
    pq_tr_init(&r, buf.data, buf.len, &err);
    int64_t v;
    CHECK(pq_tr_int_range(&r, PQ_TT_I32, INT32_MIN, INT32_MAX, &v) == LS_ERR_CORRUPT);
    /* i8 is a raw byte */
    uint8_t i8[] = {0xfe};
    pq_tr_init(&r, i8, 1, &err);
    CHECK_OK(pq_tr_int(&r, PQ_TT_I8, &v), &err);
    CHECK(v == -2);
    CHECK(pq_tr_int(&r, PQ_TT_I8, &v) == LS_ERR_CORRUPT);
    ls_buf_free(&buf);
}

static void test_thrift_lists(void)
{
    ls_buf buf = {0};
    pq_tw w;
    ls_error err = {0};
    pq_tw_init(&w, &buf);
    static const uint32_t sizes[] = {0, 1, 14, 15, 16, 127, 128, 1000, 100000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        ls_buf_reset(&buf);
        pq_tw_list(&w, PQ_TT_I32, sizes[s]);
        for (uint32_t i = 0; i < sizes[s]; i++)
            pq_tw_i32(&w, (int32_t)(i % 2 ? -(int32_t)i : (int32_t)i * 1000));
        if (sizes[s] == 14) CHECK(buf.data[0] == 0xE5);
        if (sizes[s] == 15) CHECK(buf.data[0] == 0xF5 && buf.data[1] == 15);
        pq_tr r;
        pq_tr_init(&r, buf.data, buf.len, &err);
        unsigned elem;
        uint32_t n;
        CHECK_OK(pq_tr_list(&r, &elem, &n), &err);
        CHECK(n == sizes[s] && (n == 0 || elem == PQ_TT_I32));
        bool ok = true;
        for (uint32_t i = 0; i < n; i++) {
            int64_t v;
            if (pq_tr_int(&r, elem, &v) || v != (i % 2 ? -(int64_t)i : (int64_t)i * 1000))
                ok = false;
        }
        CHECK(ok && pq_tr_left(&r) == 0);
    }
    /* a count larger than what is left fails before anyone allocates */
    uint8_t huge[] = {0xF5, 0xc0, 0x84, 0x3d, 0x00, 0x00};
    pq_tr r;
    pq_tr_init(&r, huge, sizeof huge, &err);
    unsigned elem;
    uint32_t n;
    CHECK(pq_tr_list(&r, &elem, &n) == LS_ERR_CORRUPT && strstr(err.msg, "bytes left"));
    /* ...also inside a footer: schema list of 1e6 elements in a 10-byte input */
    uint8_t fm[] = {0x15, 0x02, 0x19, 0xFC, 0xc0, 0x84, 0x3d, 0x00, 0x00, 0x00};
    ls_arena a;
    ls_arena_init(&a, 0);
    pq_file_meta m;
    CHECK(pq_parse_file_meta(fm, sizeof fm, &a, &m, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "FileMetaData.schema") != NULL);
    CHECK(a.total < 1024);
    ls_arena_free(&a);
    ls_buf_free(&buf);
}

/* ColumnIndex bytes with a hand-written null_pages list header/elements. */
static int parse_ci_with_bools(uint8_t elem_type, const uint8_t *vals, int n, pq_column_index *ci,
                               ls_arena *a, ls_error *err)
{
    ls_buf buf = {0};
    pq_tw w;
    pq_tw_init(&w, &buf);
    pq_tw_struct_begin(&w);
    pq_tw_field(&w, 1, PQ_TT_LIST);
    ls_buf_putc(&buf, (uint8_t)(n << 4 | elem_type));
    ls_buf_append(&buf, vals, (size_t)n);
    pq_tw_field_list(&w, 2, PQ_TT_BINARY, (uint32_t)n);
    for (int i = 0; i < n; i++)
        pq_tw_binary(&w, "a", 1);
    pq_tw_field_list(&w, 3, PQ_TT_BINARY, (uint32_t)n);
    for (int i = 0; i < n; i++)
        pq_tw_binary(&w, "b", 1);
    pq_tw_field_i32(&w, 4, PQ_ASCENDING);
    pq_tw_struct_end(&w);
    int rc = pq_parse_column_index(buf.data, buf.len, a, ci, err);
    ls_buf_free(&buf);
    return rc;
}

static void test_thrift_bool_list(void)
{
    ls_arena a;
    ls_error err = {0};
    ls_arena_init(&a, 0);
    const uint8_t vals[] = {1, 2, 0, 1};
    for (uint8_t et = 1; et <= 2; et++) { /* parquet-mr writes 1, the spec says 2 */
        pq_column_index ci;
        CHECK_OK(parse_ci_with_bools(et, vals, 4, &ci, &a, &err), &err);
        CHECK(ci.n_pages == 4 && ci.null_pages[0] && !ci.null_pages[1] && !ci.null_pages[2] &&
              ci.null_pages[3] && !ci.has_null_counts && ci.boundary_order == PQ_ASCENDING);
    }
    const uint8_t bad[] = {1, 3};
    pq_column_index ci;
    CHECK(parse_ci_with_bools(1, bad, 2, &ci, &a, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "ColumnIndex.null_pages[1]") != NULL);
    /* element type must be bool */
    CHECK(parse_ci_with_bools(PQ_TT_I8, vals, 2, &ci, &a, &err) == LS_ERR_CORRUPT);
    /* our writer: header elem type 1, elements 1/2 */
    bool np[2] = {true, false};
    pq_bytes mv[2] = {{(const uint8_t *)"", 0}, {(const uint8_t *)"x", 1}};
    pq_column_index w = {2, np, mv, mv, PQ_UNORDERED, false, NULL};
    ls_buf buf = {0};
    pq_write_column_index(&buf, &w);
    CHECK(buf.len > 3 && buf.data[0] == 0x19 && buf.data[1] == 0x21 && buf.data[2] == 1 &&
          buf.data[3] == 2);
    ls_buf_free(&buf);
    ls_arena_free(&a);
}

/* Writes a value of every thrift type as field `id` (for skip tests). */
static void write_junk_field(pq_tw *w, int16_t id, int depth)
{
    pq_tw_field_struct(w, id);
    pq_tw_field_bool(w, 1, true);
    pq_tw_field_bool(w, 2, false);
    pq_tw_field_i8(w, 3, -1);
    pq_tw_field_i16(w, 4, -300);
    pq_tw_field_i32(w, 5, 1 << 30);
    pq_tw_field_i64(w, 6, INT64_MIN);
    pq_tw_field_double(w, 7, 3.25);
    pq_tw_field_binary(w, 8, k_bin, sizeof k_bin);
    pq_tw_field_list(w, 9, PQ_TT_BOOL, 3);
    pq_tw_bool_elem(w, true);
    pq_tw_bool_elem(w, false);
    ls_buf_putc(w->out, 0);
    pq_tw_field(w, 10, PQ_TT_SET);
    pq_tw_list(w, PQ_TT_UUID, 2);
    ls_buf_append(w->out, "0123456789abcdef0123456789abcdef", 32);
    pq_tw_field(w, 11, PQ_TT_MAP);
    pq_tw_map(w, PQ_TT_BINARY, PQ_TT_LIST, 2);
    for (int i = 0; i < 2; i++) {
        pq_tw_binary(w, "key", 3);
        pq_tw_list(w, PQ_TT_DOUBLE, 16);
        for (int j = 0; j < 16; j++)
            ls_buf_append(w->out, "\0\0\0\0\0\0\xf0\x3f", 8);
    }
    pq_tw_field(w, 12, PQ_TT_MAP);
    pq_tw_map(w, PQ_TT_I32, PQ_TT_I32, 0); /* empty map: no type byte */
    pq_tw_field(w, 13, PQ_TT_UUID);
    ls_buf_append(w->out, "0123456789abcdef", 16);
    pq_tw_field_list(w, 14, PQ_TT_STRUCT, 2);
    pq_tw_struct_begin(w);
    pq_tw_field_list(w, 1, PQ_TT_I64, 20);
    for (int j = 0; j < 20; j++)
        pq_tw_i64(w, -j * 1000000007LL);
    pq_tw_struct_end(w);
    pq_tw_struct_begin(w);
    pq_tw_struct_end(w);
    pq_tw_field(w, 15, PQ_TT_MAP);
    pq_tw_map(w, PQ_TT_BOOL, PQ_TT_I8, 1);
    ls_buf_putc(w->out, 1);
    ls_buf_putc(w->out, 0x7f);
    if (depth > 0) write_junk_field(w, 300, depth - 1);
    pq_tw_struct_end(w);
}

static void write_min_schema(pq_tw *w)
{
    pq_tw_field_list(w, 2, PQ_TT_STRUCT, 2);
    pq_tw_struct_begin(w);
    pq_tw_field_string(w, 4, "root");
    pq_tw_field_i32(w, 5, 1);
    pq_tw_struct_end(w);
    pq_tw_struct_begin(w);
    pq_tw_field_i32(w, 1, PQ_INT64);
    pq_tw_field_i32(w, 3, PQ_OPTIONAL);
    pq_tw_field_string(w, 4, "x");
    pq_tw_struct_end(w);
}

static void test_thrift_skip_unknown(void)
{
    ls_arena a;
    ls_error err = {0};
    ls_buf buf = {0};
    pq_tw w;
    ls_arena_init(&a, 0);
    pq_tw_init(&w, &buf);
    pq_tw_struct_begin(&w);
    write_junk_field(&w, -7, 3); /* negative id: long form */
    pq_tw_field_i32(&w, 1, 2);
    write_min_schema(&w);
    write_junk_field(&w, 2000, 2);
    pq_tw_field_i64(&w, 3, 42);
    pq_tw_field_list(&w, 4, PQ_TT_STRUCT, 0);
    write_junk_field(&w, 100, 0);
    pq_tw_field_binary(&w, 32767, "ext", 3); /* extension id */
    pq_tw_struct_end(&w);
    pq_file_meta m;
    CHECK_OK(pq_parse_file_meta(buf.data, buf.len, &a, &m, &err), &err);
    CHECK(m.version == 2 && m.n_schema == 2 && m.num_rows == 42 && m.n_row_groups == 0);
    if (m.n_schema == 2) {
        CHECK_STR(m.schema[0].name, "root");
        CHECK_STR(m.schema[1].name, "x");
        CHECK(m.schema[1].has_type && m.schema[1].type == PQ_INT64);
        CHECK(!m.schema[1].has_logical);
    }
    ls_buf_free(&buf);
    ls_arena_free(&a);
}

static void test_thrift_depth_limit(void)
{
    ls_arena a;
    ls_error err = {0};
    ls_arena_init(&a, 0);
    for (int kind = 0; kind < 2; kind++) {
        for (int depth = 60; depth <= 70; depth += 10) {
            ls_buf buf = {0};
            pq_tw w;
            pq_tw_init(&w, &buf);
            pq_tw_struct_begin(&w);
            pq_tw_field_i32(&w, 1, 1);
            write_min_schema(&w);
            pq_tw_field_i64(&w, 3, 0);
            pq_tw_field_list(&w, 4, PQ_TT_STRUCT, 0);
            if (kind == 0) {
                /* nested structs: the writer's own stack is 64 deep, so emit bytes */
                pq_tw_field(&w, 99, PQ_TT_STRUCT);
                for (int d = 1; d < depth; d++)
                    ls_buf_putc(&buf, 0x1C); /* field 1, struct */
                for (int d = 0; d < depth; d++)
                    ls_buf_putc(&buf, 0);
            } else {
                pq_tw_field(&w, 99, PQ_TT_LIST);
                for (int d = 1; d < depth; d++)
                    ls_buf_putc(&buf, 0x19); /* list of 1 list */
                ls_buf_putc(&buf, 0x05);     /* empty list<i32> */
            }
            pq_tw_struct_end(&w);
            pq_file_meta m;
            int rc = pq_parse_file_meta(buf.data, buf.len, &a, &m, &err);
            if (depth <= PQ_THRIFT_MAX_DEPTH) {
                CHECK_OK(rc, &err);
            } else {
                CHECK(rc == LS_ERR_CORRUPT);
                CHECK(strstr(err.msg, "nesting") != NULL);
            }
            ls_buf_free(&buf);
        }
    }
    ls_arena_free(&a);
}

/* ---- semantic checks ----------------------------------------------------- */

static void test_logical_unknown_members(void)
{
    ls_arena a;
    ls_error err = {0};
    ls_arena_init(&a, 0);
    for (int c = 0; c < 4; c++) {
        ls_buf buf = {0};
        pq_tw w;
        pq_tw_init(&w, &buf);
        pq_tw_struct_begin(&w);
        pq_tw_field_i32(&w, 1, 1);
        pq_tw_field_list(&w, 2, PQ_TT_STRUCT, 1);
        pq_tw_struct_begin(&w);
        pq_tw_field_i32(&w, 1, PQ_BYTE_ARRAY);
        pq_tw_field_string(&w, 4, "u");
        pq_tw_field_struct(&w, 10); /* LogicalType */
        if (c == 0) {               /* unknown member 2555 (corpus unknown-logical-type) */
            pq_tw_field_struct(&w, 2555);
            pq_tw_field_string(&w, 1, "payload");
            pq_tw_struct_end(&w);
        } else if (c == 1) { /* TIMESTAMP with an unknown TimeUnit member */
            pq_tw_field_struct(&w, 8);
            pq_tw_field_bool(&w, 1, true);
            pq_tw_field_struct(&w, 2);
            pq_tw_field_struct(&w, 9);
            pq_tw_struct_end(&w);
            pq_tw_struct_end(&w);
            pq_tw_struct_end(&w);
        } else if (c == 2) { /* VECTOR (19) is newer than our enum */
            pq_tw_field_struct(&w, 19);
            pq_tw_struct_end(&w);
        } else { /* VARIANT with its optional version, GEOGRAPHY fields */
            pq_tw_field_struct(&w, 16);
            pq_tw_field_i8(&w, 1, 1);
            pq_tw_struct_end(&w);
        }
        pq_tw_struct_end(&w);
        pq_tw_struct_end(&w);
        pq_tw_field_i64(&w, 3, 0);
        pq_tw_field_list(&w, 4, PQ_TT_STRUCT, 0);
        pq_tw_struct_end(&w);
        pq_file_meta m;
        CHECK_OK(pq_parse_file_meta(buf.data, buf.len, &a, &m, &err), &err);
        if (err.code == LS_OK) {
            CHECK(m.schema[0].has_logical);
            CHECKF(m.schema[0].logical.kind == (c == 3 ? PQ_LT_VARIANT : PQ_LT_OTHER), "case %d",
                   c);
        }
        ls_buf_free(&buf);
    }
    ls_arena_free(&a);
}

static void test_column_orders(void)
{
    ls_arena a;
    ls_error err = {0};
    ls_buf buf = {0};
    pq_tw w;
    ls_arena_init(&a, 0);
    pq_tw_init(&w, &buf);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, 1);
    write_min_schema(&w);
    pq_tw_field_i64(&w, 3, 0);
    pq_tw_field_list(&w, 4, PQ_TT_STRUCT, 0);
    static const int16_t members[] = {1, 2, 3, 0, 7, 1};
    pq_tw_field_list(&w, 7, PQ_TT_STRUCT, 6);
    for (int i = 0; i < 6; i++) {
        pq_tw_struct_begin(&w);
        if (members[i]) {
            pq_tw_field_struct(&w, members[i]);
            pq_tw_struct_end(&w);
        }
        pq_tw_struct_end(&w);
    }
    pq_tw_struct_end(&w);
    pq_file_meta m;
    CHECK_OK(pq_parse_file_meta(buf.data, buf.len, &a, &m, &err), &err);
    CHECK(m.n_column_orders == 6);
    static const int32_t expect[] = {1, 0, 0, 0, 0, 1};
    for (int i = 0; i < 6 && i < m.n_column_orders; i++)
        CHECKF(m.column_orders[i] == expect[i], "order %d = %d", i, m.column_orders[i]);
    ls_buf_free(&buf);
    ls_arena_free(&a);
}

/* Footer with one row group / one chunk; knobs select corruptions. */
enum {
    K_NONE,
    K_BAD_TYPE,
    K_NO_NAME,
    K_NEG_ROWS,
    K_NO_NUM_VALUES,
    K_WRONG_OPT_TYPE,
    K_WRONG_REQ_TYPE,
    K_CRYPTO,
    K_DUP_FIELD,
    K_COUNT
};

static void write_knob_footer(ls_buf *buf, int knob)
{
    pq_tw w;
    pq_tw_init(&w, buf);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, 1);
    pq_tw_field_list(&w, 2, PQ_TT_STRUCT, 2);
    pq_tw_struct_begin(&w);
    pq_tw_field_string(&w, 4, "schema");
    pq_tw_field_i32(&w, 5, 1);
    pq_tw_struct_end(&w);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, knob == K_BAD_TYPE ? -7 : PQ_INT32);
    pq_tw_field_i32(&w, 3, PQ_OPTIONAL);
    if (knob != K_NO_NAME) pq_tw_field_string(&w, 4, "Handle");
    pq_tw_struct_end(&w);
    pq_tw_field_i64(&w, 3, knob == K_NEG_ROWS ? -1 : 34);
    pq_tw_field_list(&w, 4, PQ_TT_STRUCT, 1);
    pq_tw_struct_begin(&w); /* RowGroup */
    pq_tw_field_list(&w, 1, PQ_TT_STRUCT, 1);
    pq_tw_struct_begin(&w); /* ColumnChunk */
    pq_tw_field_i64(&w, 2, 0);
    pq_tw_field_struct(&w, 3); /* ColumnMetaData */
    pq_tw_field_i32(&w, 1, PQ_INT32);
    pq_tw_field_list(&w, 2, PQ_TT_I32, 1);
    pq_tw_i32(&w, PQ_ENC_PLAIN);
    pq_tw_field_list(&w, 3, PQ_TT_BINARY, 1);
    pq_tw_binary(&w, "Handle", 6);
    pq_tw_field_i32(&w, 4, PQ_CODEC_SNAPPY);
    if (knob == K_WRONG_REQ_TYPE)
        pq_tw_field_binary(&w, 5, "34", 2);
    else if (knob != K_NO_NUM_VALUES)
        pq_tw_field_i64(&w, 5, 34);
    pq_tw_field_i64(&w, 6, 100);
    pq_tw_field_i64(&w, 7, 80);
    pq_tw_field_i64(&w, 9, 4);
    if (knob == K_DUP_FIELD) pq_tw_field_i64(&w, 9, 8); /* repeated field: the last one wins */
    if (knob == K_WRONG_OPT_TYPE) { /* dict-page-offset-zero.parquet: field 15 is a list */
        pq_tw_field_list(&w, 15, PQ_TT_I16, 2);
        pq_tw_i32(&w, 1);
        pq_tw_i32(&w, 2);
    }
    pq_tw_struct_end(&w);
    if (knob == K_CRYPTO) {
        pq_tw_field_struct(&w, 8); /* ColumnCryptoMetaData */
        pq_tw_field_struct(&w, 2); /* ENCRYPTION_WITH_COLUMN_KEY */
        pq_tw_field_list(&w, 1, PQ_TT_BINARY, 1);
        pq_tw_binary(&w, "Handle", 6);
        pq_tw_field_binary(&w, 2, "keymeta", 7);
        pq_tw_struct_end(&w);
        pq_tw_struct_end(&w);
        pq_tw_field_binary(&w, 9, "\x01\x02\x03", 3);
    }
    pq_tw_struct_end(&w); /* ColumnChunk */
    pq_tw_field_i64(&w, 2, 100);
    pq_tw_field_i64(&w, 3, 34);
    pq_tw_struct_end(&w); /* RowGroup */
    pq_tw_field_string(&w, 6, "parquet-cpp version 1.4.0");
    if (knob == K_CRYPTO) {
        pq_tw_field_struct(&w, 8); /* EncryptionAlgorithm */
        pq_tw_field_struct(&w, 1); /* AES_GCM_V1 */
        pq_tw_field_binary(&w, 2, "unique", 6);
        pq_tw_struct_end(&w);
        pq_tw_struct_end(&w);
        pq_tw_field_binary(&w, 9, "signing key", 11);
    }
    pq_tw_struct_end(&w);
}

static void test_semantic_checks(void)
{
    ls_arena a;
    ls_error err = {0};
    ls_arena_init(&a, 0);
    static const char *const expect[K_COUNT] = {
        [K_BAD_TYPE] = "SchemaElement.type: value -7 out of range",
        [K_NO_NAME] = "required field name (id 4) missing",
        [K_NEG_ROWS] = "FileMetaData.num_rows: value -1 out of range",
        [K_NO_NUM_VALUES] = "ColumnMetaData: required field num_values (id 5) missing",
        [K_WRONG_REQ_TYPE] = "ColumnMetaData.num_values: wire type binary, expected integer",
    };
    for (int k = 0; k < K_COUNT; k++) {
        ls_buf buf = {0};
        write_knob_footer(&buf, k);
        pq_file_meta m;
        ls_error_clear(&err);
        int rc = pq_parse_file_meta(buf.data, buf.len, &a, &m, &err);
        if (expect[k]) {
            CHECKF(rc == LS_ERR_CORRUPT && err.code == LS_ERR_CORRUPT, "knob %d rc %d", k, rc);
            CHECKF(strstr(err.msg, expect[k]) != NULL, "knob %d: %s", k, err.msg);
            CHECKF(strstr(err.msg, "at offset") != NULL, "knob %d: %s", k, err.msg);
        } else {
            CHECK_OK(rc, &err);
            if (rc) continue;
            CHECK(m.n_row_groups == 1 && m.row_groups[0].n_columns == 1);
            const pq_column_chunk *c = &m.row_groups[0].columns[0];
            CHECK(c->has_meta_data && c->meta_data.num_values == 34);
            CHECK(!c->meta_data.has_bloom_filter_length);
            CHECK(c->has_crypto_metadata == (k == K_CRYPTO));
            CHECK(m.has_encryption_algorithm == (k == K_CRYPTO));
            CHECK(c->meta_data.data_page_offset == (k == K_DUP_FIELD ? 8 : 4));
            CHECK_STR(m.created_by, "parquet-cpp version 1.4.0");
        }
        ls_buf_free(&buf);
    }
    /* errors name nested positions: row group 0, column 0 */
    ls_buf buf = {0};
    write_knob_footer(&buf, K_NO_NUM_VALUES);
    pq_file_meta m;
    CHECK(pq_parse_file_meta(buf.data, buf.len, &a, &m, &err) == LS_ERR_CORRUPT);
    CHECKF(strstr(err.msg, "FileMetaData.row_groups[0]: RowGroup.columns[0]: "
                           "ColumnChunk.meta_data: ColumnMetaData") != NULL,
           "%s", err.msg);
    ls_buf_free(&buf);

    /* negative counts in page headers (ARROW-RS-GH-6229-DICTHEADER) */
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DICTIONARY;
    h.uncompressed_page_size = 10;
    h.compressed_page_size = 10;
    h.has_dictionary_page_header = true;
    h.dictionary_page_header.num_values = -25;
    pq_write_page_header(&buf, &h);
    pq_page_header back;
    CHECK(pq_parse_page_header(buf.data, buf.len, &a, &back, NULL, &err) == LS_ERR_CORRUPT);
    CHECKF(strstr(err.msg, "PageHeader.dictionary_page_header: DictionaryPageHeader.num_values") !=
               NULL,
           "%s", err.msg);
    ls_buf_reset(&buf);
    h.dictionary_page_header.num_values = 25;
    h.compressed_page_size = -1;
    pq_write_page_header(&buf, &h);
    CHECK(pq_parse_page_header(buf.data, buf.len, &a, &back, NULL, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "PageHeader.compressed_page_size") != NULL);
    ls_buf_free(&buf);

    /* ColumnIndex lists of different lengths */
    pq_tw w;
    pq_tw_init(&w, &buf);
    pq_tw_struct_begin(&w);
    pq_tw_field_list(&w, 1, PQ_TT_BOOL, 2);
    pq_tw_bool_elem(&w, false);
    pq_tw_bool_elem(&w, false);
    pq_tw_field_list(&w, 2, PQ_TT_BINARY, 1);
    pq_tw_binary(&w, "a", 1);
    pq_tw_field_list(&w, 3, PQ_TT_BINARY, 2);
    pq_tw_binary(&w, "a", 1);
    pq_tw_binary(&w, "b", 1);
    pq_tw_field_i32(&w, 4, 0);
    pq_tw_struct_end(&w);
    pq_column_index ci;
    CHECK(pq_parse_column_index(buf.data, buf.len, &a, &ci, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "lengths differ") != NULL);
    ls_buf_free(&buf);

    /* advisory counts: negative = unknown (parquet-mr 1.13 ColumnIndex null_counts = -1) */
    {
        bool np[2] = {false, false};
        pq_bytes mv[2] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"b", 1}};
        int64_t nc[2] = {-1, -1};
        pq_column_index cw = {2, np, mv, mv, PQ_UNORDERED, true, nc};
        ls_buf_reset(&buf);
        pq_write_column_index(&buf, &cw);
        CHECK_OK(pq_parse_column_index(buf.data, buf.len, &a, &ci, &err), &err);
        CHECK(ci.n_pages == 2 && !ci.has_null_counts);
        memset(&h, 0, sizeof h);
        h.type = PQ_PAGE_DATA;
        h.has_data_page_header = true;
        h.data_page_header.has_statistics = true;
        h.data_page_header.statistics.has_null_count = true;
        h.data_page_header.statistics.null_count = -1;
        h.data_page_header.statistics.has_distinct_count = true;
        h.data_page_header.statistics.distinct_count = 5;
        ls_buf_reset(&buf);
        pq_write_page_header(&buf, &h);
        CHECK_OK(pq_parse_page_header(buf.data, buf.len, &a, &back, NULL, &err), &err);
        CHECK(back.data_page_header.has_statistics &&
              !back.data_page_header.statistics.has_null_count &&
              back.data_page_header.statistics.has_distinct_count &&
              back.data_page_header.statistics.distinct_count == 5);
        ls_buf_free(&buf);
    }

    /* empty input, NULL input */
    CHECK(pq_parse_file_meta(NULL, 0, &a, &m, &err) == LS_ERR_CORRUPT);
    CHECK(pq_parse_page_header((const uint8_t *)"", 0, &a, &back, NULL, &err) == LS_ERR_CORRUPT);
    ls_arena_free(&a);
}

static void test_names(void)
{
    CHECK_STR(pq_type_name(PQ_FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
    CHECK(pq_type_name(8) == NULL && pq_type_name(-7) == NULL);
    CHECK_STR(pq_encoding_name(PQ_ENC_RLE_DICTIONARY), "RLE_DICTIONARY");
    CHECK_STR(pq_encoding_name(PQ_ENC_BYTE_STREAM_SPLIT), "BYTE_STREAM_SPLIT");
    CHECK(pq_encoding_name(1) == NULL && pq_encoding_name(10) == NULL);
    CHECK_STR(pq_codec_name(PQ_CODEC_ZSTD), "ZSTD");
    CHECK_STR(pq_codec_name(PQ_CODEC_LZ4_RAW), "LZ4_RAW");
    CHECK(pq_codec_name(8) == NULL && pq_codec_name(-1) == NULL);
    CHECK_STR(pq_converted_name(PQ_CT_INTERVAL), "INTERVAL");
    CHECK_STR(pq_converted_name(PQ_CT_UTF8), "UTF8");
    CHECK(pq_converted_name(22) == NULL);
    CHECK_STR(pq_page_type_name(PQ_PAGE_DATA_V2), "DATA_PAGE_V2");
    CHECK(pq_page_type_name(4) == NULL);
    CHECK_STR(pq_tt_name(PQ_TT_LIST), "list");
}

/* ---- robustness ---------------------------------------------------------- */

/* Parses bytes as every struct; when a parse succeeds, write(parse(x)) must
 * parse again to a struct that writes the same bytes. Returns how many of
 * the four parses succeeded. */
static int parse_all(const uint8_t *p, size_t n, ls_arena *a)
{
    ls_error err;
    int ok = 0;
    ls_buf b1 = {0}, b2 = {0};
    pq_file_meta fm, fm2;
    if (pq_parse_file_meta(p, n, a, &fm, &err) == LS_OK) {
        ok++;
        pq_write_file_meta(&b1, &fm);
        CHECKF(pq_parse_file_meta(b1.data, b1.len, a, &fm2, &err) == LS_OK, "reparse: %s", err.msg);
        pq_write_file_meta(&b2, &fm2);
        CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    } else {
        CHECK(err.code == LS_ERR_CORRUPT && strstr(err.msg, "offset") != NULL);
    }
    ls_buf_reset(&b1);
    ls_buf_reset(&b2);
    pq_page_header ph, ph2;
    size_t used = 0;
    if (pq_parse_page_header(p, n, a, &ph, &used, &err) == LS_OK) {
        ok++;
        CHECK(used <= n);
        pq_write_page_header(&b1, &ph);
        CHECK(pq_parse_page_header(b1.data, b1.len, a, &ph2, NULL, &err) == LS_OK);
        pq_write_page_header(&b2, &ph2);
        CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    }
    ls_buf_reset(&b1);
    ls_buf_reset(&b2);
    pq_column_index ci, ci2;
    if (pq_parse_column_index(p, n, a, &ci, &err) == LS_OK) {
        ok++;
        pq_write_column_index(&b1, &ci);
        CHECK(pq_parse_column_index(b1.data, b1.len, a, &ci2, &err) == LS_OK);
        pq_write_column_index(&b2, &ci2);
        CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    }
    ls_buf_reset(&b1);
    ls_buf_reset(&b2);
    pq_offset_index oi, oi2;
    if (pq_parse_offset_index(p, n, a, &oi, &err) == LS_OK) {
        ok++;
        pq_write_offset_index(&b1, &oi);
        CHECK(pq_parse_offset_index(b1.data, b1.len, a, &oi2, &err) == LS_OK);
        pq_write_offset_index(&b2, &oi2);
        CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    }
    ls_buf_free(&b1);
    ls_buf_free(&b2);
    return ok;
}

static void test_truncation(void)
{
    ls_arena a, pa;
    ls_error err;
    ls_buf buf = {0};
    ls_arena_init(&a, 0);
    ls_arena_init(&pa, 0);
    pq_file_meta m = build_meta(&a, 25, 2);
    pq_write_file_meta(&buf, &m);
    size_t fails = 0;
    for (size_t len = 0; len < buf.len; len++) {
        /* exact-size copy so ASan sees any read past the end */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, buf.data, len);
        pq_file_meta back;
        int rc = pq_parse_file_meta(copy, len, &pa, &back, &err);
        if (rc == LS_OK)
            fails++;
        else
            CHECK(rc == LS_ERR_CORRUPT);
        free(copy);
        ls_arena_reset(&pa);
    }
    CHECKF(fails == 0, "%zu truncated footers parsed", fails);
    /* page headers and page indexes too */
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA;
    h.uncompressed_page_size = 1000;
    h.compressed_page_size = 900;
    h.has_crc = true;
    h.crc = 0x12345678;
    h.has_data_page_header = true;
    h.data_page_header.num_values = 100;
    h.data_page_header.has_statistics = true;
    fill_stats(&h.data_page_header.statistics, 0);
    ls_buf_reset(&buf);
    pq_write_page_header(&buf, &h);
    for (size_t len = 0; len < buf.len; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, buf.data, len);
        pq_page_header back;
        CHECK(pq_parse_page_header(copy, len, &pa, &back, NULL, &err) == LS_ERR_CORRUPT);
        free(copy);
    }
    ls_buf_free(&buf);
    ls_arena_free(&pa);
    ls_arena_free(&a);
}

static void test_mutation(void)
{
    ls_arena a, pa;
    ls_buf seed_fm = {0}, seed_ph = {0}, seed_ci = {0}, seed_oi = {0}, cur = {0};
    ls_arena_init(&a, 0);
    ls_arena_init(&pa, 0);
    pq_file_meta m = build_meta(&a, 20, 2);
    pq_write_file_meta(&seed_fm, &m);
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA_V2;
    h.has_data_page_header_v2 = true;
    h.data_page_header_v2.num_values = 10;
    h.data_page_header_v2.has_statistics = true;
    fill_stats(&h.data_page_header_v2.statistics, 1);
    pq_write_page_header(&seed_ph, &h);
    bool np[20];
    pq_bytes mv[20];
    int64_t nc[20];
    pq_page_location pl[20];
    for (int i = 0; i < 20; i++) {
        np[i] = i % 2;
        mv[i] = mkbytes(k_bin, (size_t)(i % 7));
        nc[i] = i;
        pl[i] = (pq_page_location){i * 100, 100, i * 10};
    }
    pq_column_index ci = {20, np, mv, mv, PQ_ASCENDING, true, nc};
    pq_write_column_index(&seed_ci, &ci);
    pq_offset_index oi = {20, pl};
    pq_write_offset_index(&seed_oi, &oi);

    const ls_buf *seeds[] = {&seed_fm, &seed_ph, &seed_ci, &seed_oi};
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    int iters = 20000, parsed = 0;
    for (int it = 0; it < iters; it++) {
        const ls_buf *s = seeds[it % 4];
        ls_buf_reset(&cur);
        ls_buf_append(&cur, s->data, s->len);
        int nmut = 1 + (int)(rng_next(&rng) % 8);
        for (int k = 0; k < nmut && cur.len > 0; k++) {
            uint64_t x = rng_next(&rng);
            size_t pos = (size_t)(x >> 8) % cur.len;
            switch (x % 6) {
            case 0: /* random byte */
                cur.data[pos] = (uint8_t)(x >> 40);
                break;
            case 1: /* bit flip */
                cur.data[pos] ^= (uint8_t)(1u << ((x >> 40) % 8));
                break;
            case 2: /* interesting byte */ {
                static const uint8_t vals[] = {0x00, 0xff, 0x7f, 0x80, 0x0f, 0xf0, 0x19, 0x1c};
                cur.data[pos] = vals[(x >> 40) % 8];
                break;
            }
            case 3: /* delete a byte */
                memmove(cur.data + pos, cur.data + pos + 1, cur.len - pos - 1);
                cur.len--;
                break;
            case 4: /* insert a byte */
                ls_buf_putc(&cur, 0);
                memmove(cur.data + pos + 1, cur.data + pos, cur.len - pos - 1);
                cur.data[pos] = (uint8_t)(x >> 40);
                break;
            default: /* truncate */
                cur.len = pos;
                break;
            }
        }
        uint8_t *copy = malloc(cur.len ? cur.len : 1);
        memcpy(copy, cur.data, cur.len);
        parsed += parse_all(copy, cur.len, &pa) > 0;
        free(copy);
        ls_arena_reset(&pa);
    }
    printf("NOTE mutation: %d iterations, %d inputs parsed as some struct\n", iters, parsed);
    ls_buf_free(&seed_fm);
    ls_buf_free(&seed_ph);
    ls_buf_free(&seed_ci);
    ls_buf_free(&seed_oi);
    ls_buf_free(&cur);
    ls_arena_free(&pa);
    ls_arena_free(&a);
}

/* Inputs the fuzzer found (or that were written to pin a rule); each must
 * parse without crashing, with the expected result. */
/* fuzz_thrift crash-980a3a2c: ColumnIndex.null_counts given twice, the second
 * list header failing (set 0x0a at top level, null_counts read as a NULL list) */
static const uint8_t k_fz_ci_null_counts[] = {
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x85, 0x85, 0x85,
    0x85, 0x85, 0x85, 0x0a, 0x0a, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
    0x13, 0x13, 0x13, 0xa5, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
    0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13,
    0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x0a, 0x0a, 0x2a};

static void test_fuzz_regressions(void)
{
    static const struct {
        const char *name;
        const uint8_t *p;
        size_t n;
    } cases[] = {
        {"empty", (const uint8_t *)"", 0},
        {"stop only", (const uint8_t *)"\x00", 1},
        {"map with huge count", (const uint8_t *)"\x0b\xff\xff\xff\xff\x0f\x11\x00", 8},
        {"set of structs nested", (const uint8_t *)"\x0a\x3c\x00\x00\x00\x00", 6},
        {"long-form field id 0", (const uint8_t *)"\x05\x00\x02\x00", 4},
        {"crash-980a3a2c", k_fz_ci_null_counts, sizeof k_fz_ci_null_counts},
        /* minimal form of the same: null_counts [0], then null_counts with a bad header */
        {"ci null_counts twice", (const uint8_t *)"\x59\x16\x00\x09\x0a", 5},
    };
    ls_arena a;
    ls_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *copy = malloc(cases[i].n ? cases[i].n : 1);
        memcpy(copy, cases[i].p, cases[i].n);
        parse_all(copy, cases[i].n, &a);
        free(copy);
        ls_arena_reset(&a);
    }
    ls_arena_free(&a);
}

/* Parse speed on a wide footer (informational: prints NOTE). */
static void test_parse_speed(void)
{
    ls_arena a, pa;
    ls_error err;
    ls_buf buf = {0};
    ls_arena_init(&a, 0);
    ls_arena_init(&pa, 1 << 20);
    pq_file_meta m = build_meta(&a, 5000, 2);
    pq_write_file_meta(&buf, &m);
    int reps = 20;
    int64_t t0 = ls_monotonic_nanos();
    for (int i = 0; i < reps; i++) {
        pq_file_meta back;
        CHECK_OK(pq_parse_file_meta(buf.data, buf.len, &pa, &back, &err), &err);
        CHECK(back.n_row_groups == 2 && back.row_groups[1].n_columns == 5000);
        ls_arena_reset(&pa);
    }
    double secs = (double)(ls_monotonic_nanos() - t0) / 1e9;
    printf("NOTE parse speed: footer of %zu bytes (2 x 5000 columns) in %.3f ms, %.0f MB/s\n",
           buf.len, secs * 1e3 / reps, (double)buf.len * reps / secs / 1e6);
    ls_buf_free(&buf);
    ls_arena_free(&pa);
    ls_arena_free(&a);
}

/* ---- corpus ------------------------------------------------------------- */

typedef struct corpus_stats {
    int parsed, failed, encrypted, valid_failed, pages_walked, page_notes;
} corpus_stats;

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long sz = ftell(f);
    if (sz < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    uint8_t *p = malloc((size_t)sz + 1);
    if (fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

/* Walks the schema tree from index *i; returns false on a malformed tree.
 * Leaf types are appended to leaf_types. */
static bool walk_schema(const pq_file_meta *m, int *i, int depth, int32_t *leaf_types,
                        int *n_leaves)
{
    if (*i >= m->n_schema || depth > 100) return false;
    const pq_schema_element *e = &m->schema[(*i)++];
    if (!e->has_num_children || (depth > 0 && e->num_children == 0 && e->has_type)) {
        if (!e->has_type) return false;
        leaf_types[(*n_leaves)++] = e->type;
        return true;
    }
    for (int32_t c = 0; c < e->num_children; c++)
        if (!walk_schema(m, i, depth + 1, leaf_types, n_leaves)) return false;
    return true;
}

/* Walks the pages of one column chunk; notes mismatches. Returns false if a
 * page header failed to parse. */
static bool walk_pages(const uint8_t *file, size_t footer_start, const pq_column_meta *cm,
                       const char *path, int col, ls_arena *a, corpus_stats *st)
{
    int64_t start = cm->data_page_offset;
    if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
        cm->dictionary_page_offset < start)
        start = cm->dictionary_page_offset;
    if (start < 4 || start >= (int64_t)footer_start) {
        printf("NOTE %s col %d: chunk starts at %lld, outside the data area\n", path, col,
               (long long)start);
        st->page_notes++;
        return true;
    }
    int64_t end = (int64_t)footer_start;
    if (cm->total_compressed_size <= (int64_t)footer_start - start) {
        end = start + cm->total_compressed_size;
    } else {
        printf("NOTE %s col %d: chunk at %lld + %lld runs into the footer; walking to %lld\n", path,
               col, (long long)start, (long long)cm->total_compressed_size,
               (long long)footer_start);
        st->page_notes++;
    }
    int64_t pos = start, values = 0;
    while (pos < end) {
        pq_page_header h;
        ls_error err;
        size_t used = 0;
        if (pq_parse_page_header(file + pos, (size_t)(end - pos), a, &h, &used, &err) != LS_OK) {
            printf("NOTE %s col %d: page header at %lld: %s\n", path, col, (long long)pos, err.msg);
            return false;
        }
        st->pages_walked++;
        if (h.has_data_page_header) values += h.data_page_header.num_values;
        if (h.has_data_page_header_v2) values += h.data_page_header_v2.num_values;
        pos += (int64_t)used + h.compressed_page_size;
    }
    if (values != cm->num_values || pos != end) {
        printf("NOTE %s col %d: pages hold %lld values (chunk says %lld), end %lld vs %lld\n", path,
               col, (long long)values, (long long)cm->num_values, (long long)pos, (long long)end);
        st->page_notes++;
    }
    return true;
}

static void check_page_index(const uint8_t *file, size_t footer_start, const pq_column_chunk *c,
                             const char *path, int col, ls_arena *a, bool must_parse)
{
    ls_error err;
    if (c->has_offset_index &&
        c->offset_index_offset <= (int64_t)footer_start - c->offset_index_length) {
        pq_offset_index oi;
        int rc = pq_parse_offset_index(file + c->offset_index_offset,
                                       (size_t)c->offset_index_length, a, &oi, &err);
        if (must_parse) CHECKF(rc == LS_OK, "%s col %d offset index: %s", path, col, err.msg);
        for (int i = 1; rc == LS_OK && i < oi.n_page_locations; i++)
            if (oi.page_locations[i].offset <= oi.page_locations[i - 1].offset && must_parse)
                printf("NOTE %s col %d: offset index not increasing\n", path, col);
    }
    if (c->has_column_index &&
        c->column_index_offset <= (int64_t)footer_start - c->column_index_length) {
        pq_column_index ci;
        int rc = pq_parse_column_index(file + c->column_index_offset,
                                       (size_t)c->column_index_length, a, &ci, &err);
        if (must_parse) CHECKF(rc == LS_OK, "%s col %d column index: %s", path, col, err.msg);
    }
}

static void corpus_file(const char *path, bool valid, corpus_stats *st)
{
    size_t n = 0;
    uint8_t *file = read_file(path, &n);
    if (!file) {
        CHECKF(0, "cannot read %s", path);
        return;
    }
    if (n < 12) {
        CHECKF(!valid, "%s: too small", path);
        free(file);
        return;
    }
    bool pare = memcmp(file + n - 4, "PARE", 4) == 0;
    bool par1 = memcmp(file + n - 4, "PAR1", 4) == 0;
    uint32_t flen = ls_load_u32le(file + n - 8);
    if ((!pare && !par1) || flen > n - 12) {
        CHECKF(!valid, "%s: bad magic or footer length %u", path, flen);
        free(file);
        return;
    }
    size_t footer_start = n - 8 - flen;
    /* exact-size copy of the footer so that ASan catches over-reads */
    uint8_t *footer = malloc(flen ? flen : 1);
    memcpy(footer, file + footer_start, flen);
    ls_arena a;
    ls_arena_init(&a, 0);
    ls_error err;
    pq_file_meta m;
    int rc = pq_parse_file_meta(footer, flen, &a, &m, &err);
    if (pare) {
        /* encrypted footer: FileCryptoMetaData + ciphertext; must not crash */
        st->encrypted++;
        printf("NOTE %s: encrypted footer (PARE), skipped (parse %s)\n", path,
               rc == LS_OK ? "returned ok" : "failed cleanly");
        goto out;
    }
    if (rc != LS_OK) {
        st->failed++;
        CHECKF(err.code == LS_ERR_CORRUPT && strstr(err.msg, "offset"), "%s: bad error", path);
        if (valid) {
            st->valid_failed++;
            CHECKF(0, "%s: %s", path, err.msg);
        } else {
            printf("NOTE %s: rejected: %s\n", path, err.msg);
        }
        goto out;
    }
    st->parsed++;
    /* structure: schema tree, leaves vs columns, row counts */
    int32_t *leaf_types = malloc(sizeof(int32_t) * (size_t)(m.n_schema + 1));
    int n_leaves = 0, idx = 0;
    bool tree_ok =
        m.n_schema > 0 && walk_schema(&m, &idx, 0, leaf_types, &n_leaves) && idx == m.n_schema;
    if (valid) CHECKF(tree_ok, "%s: malformed schema tree", path);
    int64_t rows = 0;
    for (int g = 0; g < m.n_row_groups; g++) {
        const pq_row_group *rg = &m.row_groups[g];
        rows += rg->num_rows;
        if (valid && tree_ok)
            CHECKF(rg->n_columns == n_leaves, "%s rg %d: %d columns, %d leaves", path, g,
                   rg->n_columns, n_leaves);
        for (int c = 0; c < rg->n_columns; c++) {
            const pq_column_chunk *cc = &rg->columns[c];
            if (cc->has_crypto_metadata || !cc->has_meta_data) {
                if (valid && !cc->has_crypto_metadata)
                    CHECKF(cc->has_meta_data, "%s rg %d col %d: no meta_data", path, g, c);
                continue;
            }
            const pq_column_meta *cm = &cc->meta_data;
            if (valid && tree_ok && c < n_leaves)
                CHECKF(cm->type == leaf_types[c], "%s rg %d col %d: type %d vs leaf %d", path, g, c,
                       cm->type, leaf_types[c]);
            if (valid) CHECKF(cm->n_path >= 1, "%s rg %d col %d: empty path", path, g, c);
            if (m.has_encryption_algorithm) continue;
            if (!walk_pages(file, footer_start, cm, path, c, &a, st) && valid) {
                CHECKF(0, "%s rg %d col %d: page header failed to parse", path, g, c);
            }
            check_page_index(file, footer_start, cc, path, c, &a, valid);
        }
    }
    if (rows != m.num_rows && valid)
        printf("NOTE %s: num_rows %lld but row groups sum to %lld\n", path, (long long)m.num_rows,
               (long long)rows);
    if (m.has_encryption_algorithm)
        printf("NOTE %s: plaintext footer of an encrypted file (pages not walked)\n", path);
    free(leaf_types);
out:
    free(footer);
    free(file);
    ls_arena_free(&a);
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void corpus_dir(const char *dir, bool valid, corpus_stats *st, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) {
        if (d) closedir(d);
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = ls_xasprintf("%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(names[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            corpus_dir(names[i], valid, st, depth + 1);
        else if (has_suffix(names[i], ".parquet") || has_suffix(names[i], ".parquet.encrypted"))
            corpus_file(names[i], valid, st);
        free(names[i]);
    }
    free(names);
}

static void test_corpus(void)
{
    const char *shared = t_shared_dir();
    if (!shared) {
        printf("SKIP corpus: LS_SHARED_DIR not set\n");
        return;
    }
    corpus_stats st = {0};
    char *data = ls_xasprintf("%s/testdata/parquet/data", shared);
    char *bad = ls_xasprintf("%s/testdata/parquet/bad_data", shared);
    char *variant = ls_xasprintf("%s/testdata/parquet/shredded_variant", shared);
    struct stat sb;
    if (stat(data, &sb) != 0) {
        printf("SKIP corpus: %s not found\n", data);
    } else {
        corpus_dir(data, true, &st, 0);
        corpus_dir(variant, true, &st, 0);
        int valid_failed = st.valid_failed;
        corpus_dir(bad, false, &st, 0);
        CHECKF(valid_failed == 0, "%d valid corpus footers failed", valid_failed);
        CHECK(st.parsed > 100);
        printf("NOTE corpus: %d encrypted footers skipped, %d page headers walked, %d page "
               "notes\n",
               st.encrypted, st.pages_walked, st.page_notes);
        printf("SUMMARY corpus footers: %d parsed, %d failed\n", st.parsed, st.failed);
    }
    free(data);
    free(bad);
    free(variant);
}

int main(void)
{
    RUN(test_roundtrip_file_meta);
    RUN(test_roundtrip_page_headers);
    RUN(test_roundtrip_page_index);
    RUN(test_thrift_field_ids);
    RUN(test_thrift_varint_zigzag);
    RUN(test_thrift_lists);
    RUN(test_thrift_bool_list);
    RUN(test_thrift_skip_unknown);
    RUN(test_thrift_depth_limit);
    RUN(test_logical_unknown_members);
    RUN(test_column_orders);
    RUN(test_semantic_checks);
    RUN(test_names);
    RUN(test_truncation);
    RUN(test_mutation);
    RUN(test_fuzz_regressions);
    RUN(test_parse_speed);
    RUN(test_corpus);
    TEST_MAIN_END();
}
