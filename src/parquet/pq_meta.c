/*
 * pq_meta.c - Parquet footer and page metadata (pq_meta.h structs) to and
 * from Thrift compact bytes (pq_thrift.h).
 *
 * Writing: fields in increasing id order with the wire types of
 * apache/parquet-format parquet.thrift; optional fields only when their
 * has_* flag is set (lists without a flag: only when non-empty).
 *
 * Parsing rules (one function per thrift struct, all alike):
 *   - unknown field ids are skipped, whatever their type;
 *   - a known field with an unexpected wire type is an error if the field
 *     is required and skipped if it is optional (pre-release writers put
 *     different types under some optional ids, e.g. corpus
 *     dict-page-offset-zero.parquet, ColumnMetaData 15 = list); integer
 *     widths (i8/i16/i32/i64) are interchangeable, values are range-checked;
 *   - required fields must be present; counts and sizes that cannot be
 *     negative are rejected when negative, except the advisory statistics
 *     counts (Statistics null_count/distinct_count, ColumnIndex null_counts),
 *     which are dropped instead (has_* = false: parquet-mr 1.13 writes -1 for
 *     "unknown" null counts in ColumnIndex); the physical Type enum must be
 *     one we know (PARQUET-1481 has -7); other enums are returned as read;
 *   - lists: the element type is checked, the count is checked against the
 *     bytes left (times the smallest encoding of one element) before the
 *     arena allocation, so memory stays proportional to the input;
 *   - strings and binaries are copied into the arena (strings NUL-terminated),
 *     so the input buffer may be freed after parsing;
 *   - errors are LS_ERR_CORRUPT, e.g. "FileMetaData.row_groups[0]:
 *     RowGroup.columns[3]: ColumnChunk.meta_data: ColumnMetaData.num_values:
 *     value -1 out of range [0, 9223372036854775807] at offset 812".
 * Unions: LogicalType members we do not know (and TIME/TIMESTAMP with an
 * unknown TimeUnit) give PQ_LT_OTHER (written back as no LogicalType);
 * ColumnOrder gives 1 for TYPE_ORDER and 0 for any other member
 * (IEEE_754_TOTAL_ORDER, INT96_TIMESTAMP_ORDER, newer ones), so statistics
 * under an order we do not implement are never taken for TYPE_ORDER.
 */
#include "pq_meta.h"

#include "pq_thrift.h"

#include <stdio.h>

/* ---- names ------------------------------------------------------------ */

#define NAME_OF(tab, v) ((v) >= 0 && (size_t)(v) < sizeof(tab) / sizeof((tab)[0]) ? (tab)[v] : NULL)

const char *pq_type_name(int t)
{
    static const char *const n[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                    "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return NAME_OF(n, t);
}

const char *pq_encoding_name(int e)
{
    static const char *const n[] = {"PLAIN",
                                    NULL, /* 1: GROUP_VAR_INT, never used */
                                    "PLAIN_DICTIONARY",
                                    "RLE",
                                    "BIT_PACKED",
                                    "DELTA_BINARY_PACKED",
                                    "DELTA_LENGTH_BYTE_ARRAY",
                                    "DELTA_BYTE_ARRAY",
                                    "RLE_DICTIONARY",
                                    "BYTE_STREAM_SPLIT"};
    return NAME_OF(n, e);
}

const char *pq_codec_name(int c)
{
    static const char *const n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                    "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    return NAME_OF(n, c);
}

const char *pq_converted_name(int c)
{
    static const char *const n[] = {"UTF8",
                                    "MAP",
                                    "MAP_KEY_VALUE",
                                    "LIST",
                                    "ENUM",
                                    "DECIMAL",
                                    "DATE",
                                    "TIME_MILLIS",
                                    "TIME_MICROS",
                                    "TIMESTAMP_MILLIS",
                                    "TIMESTAMP_MICROS",
                                    "UINT_8",
                                    "UINT_16",
                                    "UINT_32",
                                    "UINT_64",
                                    "INT_8",
                                    "INT_16",
                                    "INT_32",
                                    "INT_64",
                                    "JSON",
                                    "BSON",
                                    "INTERVAL"};
    return NAME_OF(n, c);
}

const char *pq_page_type_name(int t)
{
    static const char *const n[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"};
    return NAME_OF(n, t);
}

/* ---- writing ------------------------------------------------------------ */
/* Each w_* writes the fields of a struct whose begin the caller has written
 * (pq_tw_field_struct or pq_tw_struct_begin) and then its STOP. */

static void w_bytes(pq_tw *w, int16_t id, pq_bytes b)
{
    pq_tw_field_binary(w, id, b.p, b.len);
}

static void w_statistics(pq_tw *w, const pq_statistics *s)
{
    if (s->has_max) w_bytes(w, 1, s->max);
    if (s->has_min) w_bytes(w, 2, s->min);
    if (s->has_null_count) pq_tw_field_i64(w, 3, s->null_count);
    if (s->has_distinct_count) pq_tw_field_i64(w, 4, s->distinct_count);
    if (s->has_max_value) w_bytes(w, 5, s->max_value);
    if (s->has_min_value) w_bytes(w, 6, s->min_value);
    if (s->has_is_max_value_exact) pq_tw_field_bool(w, 7, s->is_max_value_exact);
    if (s->has_is_min_value_exact) pq_tw_field_bool(w, 8, s->is_min_value_exact);
    if (s->has_nan_count) pq_tw_field_i64(w, 9, s->nan_count);
    pq_tw_struct_end(w);
}

static bool logical_writable(const pq_logical *l)
{
    return l->kind >= PQ_LT_STRING && l->kind <= PQ_LT_GEOGRAPHY && l->kind != 9;
}

static void w_logical(pq_tw *w, const pq_logical *l)
{
    pq_tw_field_struct(w, (int16_t)l->kind); /* the union member */
    switch (l->kind) {
    case PQ_LT_DECIMAL:
        pq_tw_field_i32(w, 1, l->scale);
        pq_tw_field_i32(w, 2, l->precision);
        break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        pq_tw_field_bool(w, 1, l->is_adjusted_to_utc);
        pq_tw_field_struct(w, 2);                /* TimeUnit union */
        pq_tw_field_struct(w, (int16_t)l->unit); /* MilliSeconds/MicroSeconds/NanoSeconds {} */
        pq_tw_struct_end(w);
        pq_tw_struct_end(w);
        break;
    case PQ_LT_INTEGER:
        pq_tw_field_i8(w, 1, l->bit_width);
        pq_tw_field_bool(w, 2, l->is_signed);
        break;
    default: /* empty member structs (VARIANT/GEOMETRY/GEOGRAPHY: optional fields unset) */
        break;
    }
    pq_tw_struct_end(w); /* member */
    pq_tw_struct_end(w); /* union */
}

static void w_schema_element(pq_tw *w, const pq_schema_element *e)
{
    if (e->has_type) pq_tw_field_i32(w, 1, e->type);
    if (e->has_type_length) pq_tw_field_i32(w, 2, e->type_length);
    if (e->has_repetition) pq_tw_field_i32(w, 3, e->repetition);
    pq_tw_field_string(w, 4, e->name);
    if (e->has_num_children) pq_tw_field_i32(w, 5, e->num_children);
    if (e->has_converted_type) pq_tw_field_i32(w, 6, e->converted_type);
    if (e->has_scale) pq_tw_field_i32(w, 7, e->scale);
    if (e->has_precision) pq_tw_field_i32(w, 8, e->precision);
    if (e->has_field_id) pq_tw_field_i32(w, 9, e->field_id);
    if (e->has_logical && logical_writable(&e->logical)) {
        pq_tw_field_struct(w, 10);
        w_logical(w, &e->logical);
    }
    pq_tw_struct_end(w);
}

static void w_kv_list(pq_tw *w, int16_t id, int32_t n, const pq_kv *kv)
{
    if (n <= 0 || !kv) return;
    pq_tw_field_list(w, id, PQ_TT_STRUCT, (uint32_t)n);
    for (int32_t i = 0; i < n; i++) {
        pq_tw_struct_begin(w);
        pq_tw_field_string(w, 1, kv[i].key);
        if (kv[i].value) pq_tw_field_string(w, 2, kv[i].value);
        pq_tw_struct_end(w);
    }
}

static void w_column_meta(pq_tw *w, const pq_column_meta *m)
{
    pq_tw_field_i32(w, 1, m->type);
    uint32_t ne = m->n_encodings > 0 && m->encodings ? (uint32_t)m->n_encodings : 0;
    pq_tw_field_list(w, 2, PQ_TT_I32, ne);
    for (uint32_t i = 0; i < ne; i++)
        pq_tw_i32(w, m->encodings[i]);
    uint32_t np = m->n_path > 0 && m->path ? (uint32_t)m->n_path : 0;
    pq_tw_field_list(w, 3, PQ_TT_BINARY, np);
    for (uint32_t i = 0; i < np; i++) {
        const char *s = m->path[i] ? m->path[i] : "";
        pq_tw_binary(w, s, strlen(s));
    }
    pq_tw_field_i32(w, 4, m->codec);
    pq_tw_field_i64(w, 5, m->num_values);
    pq_tw_field_i64(w, 6, m->total_uncompressed_size);
    pq_tw_field_i64(w, 7, m->total_compressed_size);
    w_kv_list(w, 8, m->n_kv, m->kv);
    pq_tw_field_i64(w, 9, m->data_page_offset);
    if (m->has_index_page_offset) pq_tw_field_i64(w, 10, m->index_page_offset);
    if (m->has_dictionary_page_offset) pq_tw_field_i64(w, 11, m->dictionary_page_offset);
    if (m->has_statistics) {
        pq_tw_field_struct(w, 12);
        w_statistics(w, &m->statistics);
    }
    if (m->n_encoding_stats > 0 && m->encoding_stats) {
        pq_tw_field_list(w, 13, PQ_TT_STRUCT, (uint32_t)m->n_encoding_stats);
        for (int32_t i = 0; i < m->n_encoding_stats; i++) {
            const pq_page_encoding_stats *s = &m->encoding_stats[i];
            pq_tw_struct_begin(w);
            pq_tw_field_i32(w, 1, s->page_type);
            pq_tw_field_i32(w, 2, s->encoding);
            pq_tw_field_i32(w, 3, s->count);
            pq_tw_struct_end(w);
        }
    }
    if (m->has_bloom_filter_offset) pq_tw_field_i64(w, 14, m->bloom_filter_offset);
    if (m->has_bloom_filter_length) pq_tw_field_i32(w, 15, m->bloom_filter_length);
    pq_tw_struct_end(w);
}

static void w_column_chunk(pq_tw *w, const pq_column_chunk *c)
{
    if (c->file_path) pq_tw_field_string(w, 1, c->file_path);
    pq_tw_field_i64(w, 2, c->file_offset);
    if (c->has_meta_data) {
        pq_tw_field_struct(w, 3);
        w_column_meta(w, &c->meta_data);
    }
    if (c->has_offset_index) {
        pq_tw_field_i64(w, 4, c->offset_index_offset);
        pq_tw_field_i32(w, 5, c->offset_index_length);
    }
    if (c->has_column_index) {
        pq_tw_field_i64(w, 6, c->column_index_offset);
        pq_tw_field_i32(w, 7, c->column_index_length);
    }
    /* 8 crypto_metadata / 9 encrypted_column_metadata: we do not write encrypted files */
    pq_tw_struct_end(w);
}

static void w_row_group(pq_tw *w, const pq_row_group *g)
{
    uint32_t nc = g->n_columns > 0 && g->columns ? (uint32_t)g->n_columns : 0;
    pq_tw_field_list(w, 1, PQ_TT_STRUCT, nc);
    for (uint32_t i = 0; i < nc; i++) {
        pq_tw_struct_begin(w);
        w_column_chunk(w, &g->columns[i]);
    }
    pq_tw_field_i64(w, 2, g->total_byte_size);
    pq_tw_field_i64(w, 3, g->num_rows);
    if (g->n_sorting_columns > 0 && g->sorting_columns) {
        pq_tw_field_list(w, 4, PQ_TT_STRUCT, (uint32_t)g->n_sorting_columns);
        for (int32_t i = 0; i < g->n_sorting_columns; i++) {
            const pq_sorting_column *s = &g->sorting_columns[i];
            pq_tw_struct_begin(w);
            pq_tw_field_i32(w, 1, s->column_idx);
            pq_tw_field_bool(w, 2, s->descending);
            pq_tw_field_bool(w, 3, s->nulls_first);
            pq_tw_struct_end(w);
        }
    }
    if (g->has_file_offset) pq_tw_field_i64(w, 5, g->file_offset);
    if (g->has_total_compressed_size) pq_tw_field_i64(w, 6, g->total_compressed_size);
    if (g->has_ordinal) pq_tw_field_i16(w, 7, g->ordinal);
    pq_tw_struct_end(w);
}

void pq_write_file_meta(ls_buf *out, const pq_file_meta *m)
{
    pq_tw w;
    pq_tw_init(&w, out);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, m->version);
    uint32_t ns = m->n_schema > 0 && m->schema ? (uint32_t)m->n_schema : 0;
    pq_tw_field_list(&w, 2, PQ_TT_STRUCT, ns);
    for (uint32_t i = 0; i < ns; i++) {
        pq_tw_struct_begin(&w);
        w_schema_element(&w, &m->schema[i]);
    }
    pq_tw_field_i64(&w, 3, m->num_rows);
    uint32_t ng = m->n_row_groups > 0 && m->row_groups ? (uint32_t)m->n_row_groups : 0;
    pq_tw_field_list(&w, 4, PQ_TT_STRUCT, ng);
    for (uint32_t i = 0; i < ng; i++) {
        pq_tw_struct_begin(&w);
        w_row_group(&w, &m->row_groups[i]);
    }
    w_kv_list(&w, 5, m->n_kv, m->kv);
    if (m->created_by) pq_tw_field_string(&w, 6, m->created_by);
    if (m->n_column_orders > 0 && m->column_orders) {
        pq_tw_field_list(&w, 7, PQ_TT_STRUCT, (uint32_t)m->n_column_orders);
        for (int32_t i = 0; i < m->n_column_orders; i++) {
            int o = m->column_orders[i];
            pq_tw_struct_begin(&w); /* ColumnOrder union */
            if (o == 1) {
                pq_tw_field_struct(&w, 1); /* TYPE_ORDER: TypeDefinedOrder {} */
                pq_tw_struct_end(&w);
            }
            pq_tw_struct_end(&w); /* other values: an empty union, read back as 0 */
        }
    }
    /* 8 encryption_algorithm: we do not write encrypted files */
    pq_tw_struct_end(&w);
}

static void w_data_page_header(pq_tw *w, const pq_data_page_header *h)
{
    pq_tw_field_i32(w, 1, h->num_values);
    pq_tw_field_i32(w, 2, h->encoding);
    pq_tw_field_i32(w, 3, h->definition_level_encoding);
    pq_tw_field_i32(w, 4, h->repetition_level_encoding);
    if (h->has_statistics) {
        pq_tw_field_struct(w, 5);
        w_statistics(w, &h->statistics);
    }
    pq_tw_struct_end(w);
}

void pq_write_page_header(ls_buf *out, const pq_page_header *h)
{
    pq_tw w;
    pq_tw_init(&w, out);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, h->type);
    pq_tw_field_i32(&w, 2, h->uncompressed_page_size);
    pq_tw_field_i32(&w, 3, h->compressed_page_size);
    if (h->has_crc) pq_tw_field_i32(&w, 4, h->crc);
    if (h->has_data_page_header) {
        pq_tw_field_struct(&w, 5);
        w_data_page_header(&w, &h->data_page_header);
    }
    if (h->has_dictionary_page_header) {
        const pq_dictionary_page_header *d = &h->dictionary_page_header;
        pq_tw_field_struct(&w, 7);
        pq_tw_field_i32(&w, 1, d->num_values);
        pq_tw_field_i32(&w, 2, d->encoding);
        if (d->has_is_sorted) pq_tw_field_bool(&w, 3, d->is_sorted);
        pq_tw_struct_end(&w);
    }
    if (h->has_data_page_header_v2) {
        const pq_data_page_header_v2 *v = &h->data_page_header_v2;
        pq_tw_field_struct(&w, 8);
        pq_tw_field_i32(&w, 1, v->num_values);
        pq_tw_field_i32(&w, 2, v->num_nulls);
        pq_tw_field_i32(&w, 3, v->num_rows);
        pq_tw_field_i32(&w, 4, v->encoding);
        pq_tw_field_i32(&w, 5, v->definition_levels_byte_length);
        pq_tw_field_i32(&w, 6, v->repetition_levels_byte_length);
        pq_tw_field_bool(&w, 7, v->is_compressed); /* explicit, as parquet-java does */
        if (v->has_statistics) {
            pq_tw_field_struct(&w, 8);
            w_statistics(&w, &v->statistics);
        }
        pq_tw_struct_end(&w);
    }
    pq_tw_struct_end(&w);
}

void pq_write_offset_index(ls_buf *out, const pq_offset_index *oi)
{
    pq_tw w;
    pq_tw_init(&w, out);
    pq_tw_struct_begin(&w);
    uint32_t n =
        oi->n_page_locations > 0 && oi->page_locations ? (uint32_t)oi->n_page_locations : 0;
    pq_tw_field_list(&w, 1, PQ_TT_STRUCT, n);
    for (uint32_t i = 0; i < n; i++) {
        const pq_page_location *l = &oi->page_locations[i];
        pq_tw_struct_begin(&w);
        pq_tw_field_i64(&w, 1, l->offset);
        pq_tw_field_i32(&w, 2, l->compressed_page_size);
        pq_tw_field_i64(&w, 3, l->first_row_index);
        pq_tw_struct_end(&w);
    }
    pq_tw_struct_end(&w);
}

void pq_write_column_index(ls_buf *out, const pq_column_index *ci)
{
    pq_tw w;
    pq_tw_init(&w, out);
    pq_tw_struct_begin(&w);
    uint32_t n = ci->n_pages > 0 && ci->null_pages && ci->min_values && ci->max_values
                     ? (uint32_t)ci->n_pages
                     : 0;
    pq_tw_field_list(&w, 1, PQ_TT_BOOL, n);
    for (uint32_t i = 0; i < n; i++)
        pq_tw_bool_elem(&w, ci->null_pages[i]);
    pq_tw_field_list(&w, 2, PQ_TT_BINARY, n);
    for (uint32_t i = 0; i < n; i++)
        pq_tw_binary(&w, ci->min_values[i].p, ci->min_values[i].len);
    pq_tw_field_list(&w, 3, PQ_TT_BINARY, n);
    for (uint32_t i = 0; i < n; i++)
        pq_tw_binary(&w, ci->max_values[i].p, ci->max_values[i].len);
    pq_tw_field_i32(&w, 4, ci->boundary_order);
    if (ci->has_null_counts && (ci->null_counts || n == 0)) {
        pq_tw_field_list(&w, 5, PQ_TT_I64, n);
        for (uint32_t i = 0; i < n; i++)
            pq_tw_i64(&w, ci->null_counts[i]);
    }
    pq_tw_struct_end(&w);
}

/* ---- parsing: the field cursor ------------------------------------------- */

/* What a struct parser needs for its messages and its required-field check. */
typedef struct sdesc {
    const char *name;
    const char *const *fields; /* indexed by field id */
    size_t n_fields;
    uint32_t required; /* bit i = field id i is required */
} sdesc;

#define SDESC(var, sname, req, ...)                                                                \
    static const char *const var##_fields[] = {__VA_ARGS__};                                       \
    static const sdesc var = {sname, var##_fields, sizeof var##_fields / sizeof var##_fields[0],   \
                              req}
#define B(i) (1u << (i))

#if defined(__GNUC__)
#define PQ_COLD __attribute__((noinline, cold))
#define PQ_HOT_INLINE inline __attribute__((always_inline))
#else
#define PQ_COLD
#define PQ_HOT_INLINE inline
#endif

/*
 * Every struct parser is the same loop:
 *
 *     fields f;
 *     fields_init(&f, r, &D_X);
 *     while (fields_next(&f)) {
 *         switch (f.id) {
 *         case 1:
 *             if (want(&f, PQ_TT_I32))
 *                 f.rc = rd_i32(&f, I32_ANY, &x->a);
 *             break;
 *         default:
 *             skip_field(&f);
 *         }
 *     }
 *     return fields_end(&f);
 *
 * A case sets f.rc; fields_next() finishes the field (adds "Struct.field[i]"
 * to an error and stops, or records the field as seen) before reading the
 * next header; fields_end() checks the required fields.
 */
typedef struct fields {
    pq_tr *r;
    const sdesc *d;
    size_t start;  /* offset of the struct, for messages */
    uint32_t seen; /* bit i = field id i was read */
    int16_t last;  /* field-id delta state */
    int16_t id;    /* current field */
    unsigned t;    /* its wire type */
    unsigned elem; /* element type of the list rd_list read last */
    long idx;      /* list element being read, for messages (-1: none) */
    bool pending;  /* a field header was read and its value not finished */
    bool skipped;  /* the current field was skipped (not "seen") */
    int rc;
} fields;

static const char *field_name(const sdesc *d, int id)
{
    return id >= 0 && (size_t)id < d->n_fields ? d->fields[id] : NULL;
}

/* Prefixes the error of the current field with "Struct.field[idx]". */
static PQ_COLD void field_err(fields *f)
{
    ls_error *err = f->r->err;
    if (!err) return;
    const char *name = field_name(f->d, f->id);
    char ix[32] = "";
    if (f->idx >= 0) snprintf(ix, sizeof ix, "[%ld]", f->idx);
    if (name)
        ls_err_prefix(err, "%s.%s%s", f->d->name, name, ix);
    else
        ls_err_prefix(err, "%s field %d%s", f->d->name, f->id, ix);
    err->code = f->rc;
}

static inline void fields_init(fields *f, pq_tr *r, const sdesc *d)
{
    f->r = r;
    f->d = d;
    f->start = pq_tr_offset(r);
    f->seen = 0;
    f->last = 0;
    f->id = 0;
    f->t = 0;
    f->elem = 0;
    f->idx = -1;
    f->pending = false;
    f->skipped = false;
    f->rc = LS_OK;
}

static PQ_COLD void struct_err(fields *f)
{
    if (f->r->err) {
        ls_err_prefix(f->r->err, "%s", f->d->name);
        f->r->err->code = f->rc;
    }
}

static PQ_HOT_INLINE bool fields_next(fields *f)
{
    if (f->pending) {
        f->pending = false;
        if (LS_UNLIKELY(f->rc)) {
            field_err(f);
            return false;
        }
        if (!f->skipped && f->id >= 0 && f->id < 32) f->seen |= B(f->id);
    }
    f->rc = pq_tr_field(f->r, &f->last, &f->id, &f->t);
    if (LS_UNLIKELY(f->rc)) {
        struct_err(f);
        return false;
    }
    if (f->t == PQ_TT_STOP) return false;
    f->pending = true;
    f->skipped = false;
    f->idx = -1;
    return true;
}

static int fields_end(fields *f)
{
    if (LS_UNLIKELY(f->rc)) return f->rc;
    uint32_t miss = f->d->required & ~f->seen;
    if (LS_LIKELY(!miss)) return LS_OK;
    int id = __builtin_ctz(miss);
    const char *name = field_name(f->d, id);
    return f->rc = pq_tr_fail(f->r, f->start,
                              "%s: required field %s (id %d) missing in the struct starting",
                              f->d->name, name ? name : "?", id);
}

static bool type_ok(unsigned got, unsigned want)
{
    switch (want) {
    case PQ_TT_I32: /* any integer width; values are range-checked */
        return pq_tt_is_int(got);
    case PQ_TT_TRUE:
        return pq_tt_is_bool(got);
    case PQ_TT_LIST:
        return got == PQ_TT_LIST || got == PQ_TT_SET;
    default:
        return got == want;
    }
}

static const char *want_name(unsigned want)
{
    return want == PQ_TT_I32 ? "integer" : pq_tt_name(want);
}

static inline void skip_field(fields *f)
{
    f->rc = pq_tr_skip(f->r, f->t);
    f->skipped = true;
}

/* True if the current field has the wire type `type` (PQ_TT_I32 = any integer,
 * PQ_TT_TRUE = bool, PQ_TT_LIST = list or set). Otherwise a required field is
 * an error and an optional one is skipped. */
static inline bool want(fields *f, unsigned type)
{
    if (LS_LIKELY(type_ok(f->t, type))) return true;
    if (f->id >= 0 && f->id < 32 && (f->d->required & B(f->id)))
        f->rc = pq_tr_fail(f->r, pq_tr_offset(f->r), "wire type %s, expected %s", pq_tt_name(f->t),
                           want_name(type));
    else
        skip_field(f);
    return false;
}

static inline bool rd_bool(fields *f)
{
    return f->t == PQ_TT_TRUE;
}

#define I32_ANY INT32_MIN, INT32_MAX
#define I32_NONNEG 0, INT32_MAX
#define I64_ANY INT64_MIN, INT64_MAX
#define I64_NONNEG 0, INT64_MAX

/* Integer of wire type t (the field's, or a list's element type). */
static int rd_i32t(pq_tr *r, unsigned t, int64_t lo, int64_t hi, int32_t *dst)
{
    int64_t v;
    int rc = pq_tr_int_range(r, t, lo, hi, &v);
    *dst = (int32_t)v;
    return rc;
}

static inline int rd_i32(fields *f, int64_t lo, int64_t hi, int32_t *dst)
{
    return rd_i32t(f->r, f->t, lo, hi, dst);
}

static inline int rd_i64(fields *f, int64_t lo, int64_t hi, int64_t *dst)
{
    return pq_tr_int_range(f->r, f->t, lo, hi, dst);
}

static int rd_str(pq_tr *r, ls_arena *a, const char **dst)
{
    const uint8_t *p;
    uint32_t n;
    int rc = pq_tr_binary(r, &p, &n);
    if (rc) return rc;
    *dst = ls_arena_strndup(a, (const char *)p, n);
    return LS_OK;
}

static int rd_bytes(pq_tr *r, ls_arena *a, pq_bytes *dst)
{
    const uint8_t *p;
    uint32_t n;
    int rc = pq_tr_binary(r, &p, &n);
    if (rc) return rc;
    if (n == 0) {
        dst->p = (const uint8_t *)"";
    } else {
        uint8_t *q = ls_arena_alloc(a, n);
        memcpy(q, p, n);
        dst->p = q;
    }
    dst->len = n;
    return LS_OK;
}

/*
 * Reads the header of the current (list-typed) field: elements must have
 * type want (checked for non-empty lists only); n elements of at least
 * min_bytes each must fit in what is left. Returns an arena array of n
 * elements of elem_size (NULL when n == 0 or on error, with *n_out = 0 and
 * f->rc set). f->elem gets the element type.
 */
static void *rd_list(fields *f, ls_arena *a, unsigned want, size_t min_bytes, size_t elem_size,
                     int32_t *n_out)
{
    pq_tr *r = f->r;
    size_t off = pq_tr_offset(r), need, bytes;
    uint32_t n;
    *n_out = 0;
    f->rc = pq_tr_list(r, &f->elem, &n);
    if (f->rc) return NULL;
    if (n > 0 && !type_ok(f->elem, want)) {
        f->rc = pq_tr_fail(r, off, "list element type %s, expected %s", pq_tt_name(f->elem),
                           want_name(want));
        return NULL;
    }
    if (ls_mul_overflow(n, min_bytes, &need) || need > pq_tr_left(r)) {
        f->rc = pq_tr_fail(r, off, "list of %u elements cannot fit in the %zu bytes left", n,
                           pq_tr_left(r));
        return NULL;
    }
    if (ls_mul_overflow(n, elem_size, &bytes)) {
        f->rc = pq_tr_fail(r, off, "list of %u elements too large", n);
        return NULL;
    }
    *n_out = (int32_t)n;
    return n ? ls_arena_alloc(a, bytes) : NULL;
}

/* Reads the n elements of a list with expr (which uses f.idx), stopping at
 * the first error; f.idx then names the failing element. */
#define EACH(f, n, expr)                                                                           \
    do {                                                                                           \
        for ((f).idx = 0; !(f).rc && (f).idx < (long)(n) && ((f).rc = (expr)) == LS_OK;            \
             (f).idx++) {                                                                          \
        }                                                                                          \
    } while (0)

/* ---- parsing: structs ---------------------------------------------------- */

SDESC(D_STATS, "Statistics", 0, NULL, "max", "min", "null_count", "distinct_count", "max_value",
      "min_value", "is_max_value_exact", "is_min_value_exact", "nan_count");

static int parse_statistics(pq_tr *r, ls_arena *a, pq_statistics *s)
{
    fields f;
    memset(s, 0, sizeof *s);
    fields_init(&f, r, &D_STATS);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_BINARY)) {
                f.rc = rd_bytes(r, a, &s->max);
                s->has_max = true;
            }
            break;
        case 2:
            if (want(&f, PQ_TT_BINARY)) {
                f.rc = rd_bytes(r, a, &s->min);
                s->has_min = true;
            }
            break;
        case 3: /* advisory: a negative count means "unknown" */
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i64(&f, I64_ANY, &s->null_count);
                s->has_null_count = s->null_count >= 0;
            }
            break;
        case 4:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i64(&f, I64_ANY, &s->distinct_count);
                s->has_distinct_count = s->distinct_count >= 0;
            }
            break;
        case 5:
            if (want(&f, PQ_TT_BINARY)) {
                f.rc = rd_bytes(r, a, &s->max_value);
                s->has_max_value = true;
            }
            break;
        case 6:
            if (want(&f, PQ_TT_BINARY)) {
                f.rc = rd_bytes(r, a, &s->min_value);
                s->has_min_value = true;
            }
            break;
        case 7:
            if (want(&f, PQ_TT_TRUE)) {
                s->is_max_value_exact = rd_bool(&f);
                s->has_is_max_value_exact = true;
            }
            break;
        case 8:
            if (want(&f, PQ_TT_TRUE)) {
                s->is_min_value_exact = rd_bool(&f);
                s->has_is_min_value_exact = true;
            }
            break;
        case 9: /* advisory like null_count: negative means unknown */
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i64(&f, I64_ANY, &s->nan_count);
                s->has_nan_count = s->nan_count >= 0;
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_DECIMAL, "DecimalType", B(1) | B(2), NULL, "scale", "precision");

static int parse_decimal(pq_tr *r, pq_logical *l)
{
    fields f;
    fields_init(&f, r, &D_DECIMAL);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &l->scale);
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &l->precision);
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_TIMEUNIT, "TimeUnit", 0, NULL, "MILLIS", "MICROS", "NANOS");

/* *unit = 1..3, or 0 for a member we do not know. */
static int parse_time_unit(pq_tr *r, int *unit)
{
    fields f;
    *unit = 0;
    fields_init(&f, r, &D_TIMEUNIT);
    while (fields_next(&f)) {
        switch (f.id) {
        case PQ_UNIT_MILLIS:
        case PQ_UNIT_MICROS:
        case PQ_UNIT_NANOS:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = pq_tr_skip(r, PQ_TT_STRUCT); /* empty struct (or fields we ignore) */
                *unit = f.id;
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_TIME, "TimeType", B(1) | B(2), NULL, "isAdjustedToUTC", "unit");
SDESC(D_TIMESTAMP, "TimestampType", B(1) | B(2), NULL, "isAdjustedToUTC", "unit");

static int parse_time(pq_tr *r, const sdesc *d, pq_logical *l)
{
    fields f;
    fields_init(&f, r, d);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_TRUE)) l->is_adjusted_to_utc = rd_bool(&f);
            break;
        case 2:
            if (want(&f, PQ_TT_STRUCT)) f.rc = parse_time_unit(r, &l->unit);
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_INT, "IntType", B(1) | B(2), NULL, "bitWidth", "isSigned");

static int parse_int_type(pq_tr *r, pq_logical *l)
{
    fields f;
    int32_t bw = 0;
    fields_init(&f, r, &D_INT);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1: /* i8 on the wire; other widths accepted with the same range */
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, INT8_MIN, INT8_MAX, &bw);
                l->bit_width = (int8_t)bw;
            }
            break;
        case 2:
            if (want(&f, PQ_TT_TRUE)) l->is_signed = rd_bool(&f);
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_LOGICAL, "LogicalType", 0, NULL, "STRING", "MAP", "LIST", "ENUM", "DECIMAL", "DATE", "TIME",
      "TIMESTAMP", NULL, "INTEGER", "UNKNOWN", "JSON", "BSON", "UUID", "FLOAT16", "VARIANT",
      "GEOMETRY", "GEOGRAPHY");

static int parse_logical(pq_tr *r, pq_logical *l)
{
    fields f;
    memset(l, 0, sizeof *l);
    fields_init(&f, r, &D_LOGICAL);
    while (fields_next(&f)) {
        switch (f.id) {
        case PQ_LT_DECIMAL:
            if (want(&f, PQ_TT_STRUCT)) {
                l->kind = PQ_LT_DECIMAL;
                f.rc = parse_decimal(r, l);
            }
            break;
        case PQ_LT_TIME:
        case PQ_LT_TIMESTAMP:
            if (want(&f, PQ_TT_STRUCT)) {
                l->kind = f.id;
                f.rc = parse_time(r, f.id == PQ_LT_TIME ? &D_TIME : &D_TIMESTAMP, l);
            }
            break;
        case PQ_LT_INTEGER:
            if (want(&f, PQ_TT_STRUCT)) {
                l->kind = PQ_LT_INTEGER;
                f.rc = parse_int_type(r, l);
            }
            break;
        case PQ_LT_STRING:
        case PQ_LT_MAP:
        case PQ_LT_LIST:
        case PQ_LT_ENUM:
        case PQ_LT_DATE:
        case PQ_LT_UNKNOWN:
        case PQ_LT_JSON:
        case PQ_LT_BSON:
        case PQ_LT_UUID:
        case PQ_LT_FLOAT16:
        case PQ_LT_VARIANT:
        case PQ_LT_GEOMETRY:
        case PQ_LT_GEOGRAPHY:
            /* members without fields we keep (VARIANT version, GEO crs/algorithm) */
            if (want(&f, PQ_TT_STRUCT)) {
                l->kind = f.id;
                f.rc = pq_tr_skip(r, PQ_TT_STRUCT);
            }
            break;
        default:
            skip_field(&f);
        }
    }
    int rc = fields_end(&f);
    if (l->kind == PQ_LT_NONE)
        l->kind = PQ_LT_OTHER; /* only unknown members (or none): treat as unannotated */
    if ((l->kind == PQ_LT_TIME || l->kind == PQ_LT_TIMESTAMP) && l->unit == 0)
        l->kind = PQ_LT_OTHER; /* a TimeUnit we do not know */
    return rc;
}

SDESC(D_SCHEMA, "SchemaElement", B(4), NULL, "type", "type_length", "repetition_type", "name",
      "num_children", "converted_type", "scale", "precision", "field_id", "logicalType",
      "vector_length");

static int parse_schema_element(pq_tr *r, ls_arena *a, pq_schema_element *e)
{
    fields f;
    memset(e, 0, sizeof *e);
    fields_init(&f, r, &D_SCHEMA);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, PQ_BOOLEAN, PQ_FIXED_LEN_BYTE_ARRAY, &e->type);
                e->has_type = true;
            }
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_NONNEG, &e->type_length);
                e->has_type_length = true;
            }
            break;
        case 3:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_ANY, &e->repetition);
                e->has_repetition = true;
            }
            break;
        case 4:
            if (want(&f, PQ_TT_BINARY)) f.rc = rd_str(r, a, &e->name);
            break;
        case 5:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_NONNEG, &e->num_children);
                e->has_num_children = true;
            }
            break;
        case 6:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_ANY, &e->converted_type);
                e->has_converted_type = true;
            }
            break;
        case 7:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_ANY, &e->scale);
                e->has_scale = true;
            }
            break;
        case 8:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_ANY, &e->precision);
                e->has_precision = true;
            }
            break;
        case 9:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_ANY, &e->field_id);
                e->has_field_id = true;
            }
            break;
        case 10:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = parse_logical(r, &e->logical);
                e->has_logical = true;
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_KV, "KeyValue", B(1), NULL, "key", "value");

/* Smallest encoding of a KeyValue: key header + length + STOP. */
#define KV_MIN_BYTES 3

static int parse_kv(pq_tr *r, ls_arena *a, pq_kv *kv)
{
    fields f;
    kv->key = NULL;
    kv->value = NULL;
    fields_init(&f, r, &D_KV);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_BINARY)) f.rc = rd_str(r, a, &kv->key);
            break;
        case 2:
            if (want(&f, PQ_TT_BINARY)) f.rc = rd_str(r, a, &kv->value);
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

/* The value of a list<KeyValue> field. */
static int rd_kv_list(fields *f, ls_arena *a, int32_t *n, pq_kv **kv)
{
    *kv = rd_list(f, a, PQ_TT_STRUCT, KV_MIN_BYTES, sizeof(pq_kv), n);
    EACH(*f, *n, parse_kv(f->r, a, &(*kv)[f->idx]));
    return f->rc;
}

SDESC(D_PES, "PageEncodingStats", B(1) | B(2) | B(3), NULL, "page_type", "encoding", "count");

static int parse_page_encoding_stats(pq_tr *r, pq_page_encoding_stats *s)
{
    fields f;
    memset(s, 0, sizeof *s);
    fields_init(&f, r, &D_PES);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &s->page_type);
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &s->encoding);
            break;
        case 3:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &s->count);
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_CMD, "ColumnMetaData", B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(9), NULL, "type",
      "encodings", "path_in_schema", "codec", "num_values", "total_uncompressed_size",
      "total_compressed_size", "key_value_metadata", "data_page_offset", "index_page_offset",
      "dictionary_page_offset", "statistics", "encoding_stats", "bloom_filter_offset",
      "bloom_filter_length", "size_statistics", "geospatial_statistics");

static int parse_column_meta(pq_tr *r, ls_arena *a, pq_column_meta *m)
{
    fields f;
    memset(m, 0, sizeof *m);
    fields_init(&f, r, &D_CMD);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32))
                f.rc = rd_i32(&f, PQ_BOOLEAN, PQ_FIXED_LEN_BYTE_ARRAY, &m->type);
            break;
        case 2:
            if (want(&f, PQ_TT_LIST)) {
                m->encodings = rd_list(&f, a, PQ_TT_I32, 1, sizeof(int32_t), &m->n_encodings);
                EACH(f, m->n_encodings, rd_i32t(r, f.elem, I32_ANY, &m->encodings[f.idx]));
            }
            break;
        case 3:
            if (want(&f, PQ_TT_LIST)) {
                m->path = rd_list(&f, a, PQ_TT_BINARY, 1, sizeof(const char *), &m->n_path);
                EACH(f, m->n_path, rd_str(r, a, &m->path[f.idx]));
            }
            break;
        case 4:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &m->codec);
            break;
        case 5:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &m->num_values);
            break;
        case 6:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &m->total_uncompressed_size);
            break;
        case 7:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &m->total_compressed_size);
            break;
        case 8:
            if (want(&f, PQ_TT_LIST)) rd_kv_list(&f, a, &m->n_kv, &m->kv);
            break;
        case 9:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &m->data_page_offset);
            break;
        case 10:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i64(&f, I64_NONNEG, &m->index_page_offset);
                m->has_index_page_offset = true;
            }
            break;
        case 11:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i64(&f, I64_NONNEG, &m->dictionary_page_offset);
                m->has_dictionary_page_offset = true;
            }
            break;
        case 12:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = parse_statistics(r, a, &m->statistics);
                m->has_statistics = true;
            }
            break;
        case 13:
            if (want(&f, PQ_TT_LIST)) {
                /* three required fields (>= 2 bytes each) and STOP */
                m->encoding_stats = rd_list(&f, a, PQ_TT_STRUCT, 7, sizeof(pq_page_encoding_stats),
                                            &m->n_encoding_stats);
                EACH(f, m->n_encoding_stats,
                     parse_page_encoding_stats(r, &m->encoding_stats[f.idx]));
            }
            break;
        case 14:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i64(&f, I64_NONNEG, &m->bloom_filter_offset);
                m->has_bloom_filter_offset = true;
            }
            break;
        case 15:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_NONNEG, &m->bloom_filter_length);
                m->has_bloom_filter_length = true;
            }
            break;
        default: /* 16 size_statistics, 17 geospatial_statistics, newer fields */
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_CHUNK, "ColumnChunk", B(2), NULL, "file_path", "file_offset", "meta_data",
      "offset_index_offset", "offset_index_length", "column_index_offset", "column_index_length",
      "crypto_metadata", "encrypted_column_metadata");

static int parse_column_chunk(pq_tr *r, ls_arena *a, pq_column_chunk *c)
{
    fields f;
    memset(c, 0, sizeof *c);
    fields_init(&f, r, &D_CHUNK);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_BINARY)) f.rc = rd_str(r, a, &c->file_path);
            break;
        case 2: /* deprecated; any value goes */
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_ANY, &c->file_offset);
            break;
        case 3:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = parse_column_meta(r, a, &c->meta_data);
                c->has_meta_data = true;
            }
            break;
        case 4:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &c->offset_index_offset);
            break;
        case 5:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &c->offset_index_length);
            break;
        case 6:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &c->column_index_offset);
            break;
        case 7:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &c->column_index_length);
            break;
        case 8: /* ColumnCryptoMetaData: we only note that the column is encrypted */
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = pq_tr_skip(r, PQ_TT_STRUCT);
                c->has_crypto_metadata = true;
            }
            break;
        default: /* 9 encrypted_column_metadata, newer fields */
            skip_field(&f);
        }
    }
    c->has_offset_index = (f.seen & (B(4) | B(5))) == (B(4) | B(5));
    c->has_column_index = (f.seen & (B(6) | B(7))) == (B(6) | B(7));
    return fields_end(&f);
}

SDESC(D_SORT, "SortingColumn", B(1) | B(2) | B(3), NULL, "column_idx", "descending", "nulls_first");

static int parse_sorting_column(pq_tr *r, pq_sorting_column *s)
{
    fields f;
    memset(s, 0, sizeof *s);
    fields_init(&f, r, &D_SORT);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &s->column_idx);
            break;
        case 2:
            if (want(&f, PQ_TT_TRUE)) s->descending = rd_bool(&f);
            break;
        case 3:
            if (want(&f, PQ_TT_TRUE)) s->nulls_first = rd_bool(&f);
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_RG, "RowGroup", B(1) | B(2) | B(3), NULL, "columns", "total_byte_size", "num_rows",
      "sorting_columns", "file_offset", "total_compressed_size", "ordinal");

static int parse_row_group(pq_tr *r, ls_arena *a, pq_row_group *g)
{
    fields f;
    int32_t ord = 0;
    memset(g, 0, sizeof *g);
    fields_init(&f, r, &D_RG);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_LIST)) {
                /* a ColumnChunk has at least file_offset (2 bytes) and STOP */
                g->columns =
                    rd_list(&f, a, PQ_TT_STRUCT, 3, sizeof(pq_column_chunk), &g->n_columns);
                EACH(f, g->n_columns, parse_column_chunk(r, a, &g->columns[f.idx]));
            }
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &g->total_byte_size);
            break;
        case 3:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &g->num_rows);
            break;
        case 4:
            if (want(&f, PQ_TT_LIST)) {
                /* column_idx (2 bytes), two bools (1 byte each) and STOP */
                g->sorting_columns = rd_list(&f, a, PQ_TT_STRUCT, 5, sizeof(pq_sorting_column),
                                             &g->n_sorting_columns);
                EACH(f, g->n_sorting_columns, parse_sorting_column(r, &g->sorting_columns[f.idx]));
            }
            break;
        case 5:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i64(&f, I64_NONNEG, &g->file_offset);
                g->has_file_offset = true;
            }
            break;
        case 6:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i64(&f, I64_NONNEG, &g->total_compressed_size);
                g->has_total_compressed_size = true;
            }
            break;
        case 7:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, INT16_MIN, INT16_MAX, &ord);
                g->ordinal = (int16_t)ord;
                g->has_ordinal = true;
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_CORDER, "ColumnOrder", 0, NULL, "TYPE_ORDER", "IEEE_754_TOTAL_ORDER",
      "INT96_TIMESTAMP_ORDER");

/* *order = 1 for TYPE_ORDER, 0 for any other (or no) member. */

static int parse_column_order(pq_tr *r, int32_t *order)
{
    fields f;
    *order = 0;
    fields_init(&f, r, &D_CORDER);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1: /* TYPE_ORDER */
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = pq_tr_skip(r, PQ_TT_STRUCT);
                *order = 1;
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_FMD, "FileMetaData", B(1) | B(2) | B(3) | B(4), NULL, "version", "schema", "num_rows",
      "row_groups", "key_value_metadata", "created_by", "column_orders", "encryption_algorithm",
      "footer_signing_key_metadata");

static int parse_file_meta(pq_tr *r, ls_arena *a, pq_file_meta *m)
{
    fields f;
    memset(m, 0, sizeof *m);
    fields_init(&f, r, &D_FMD);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &m->version);
            break;
        case 2:
            if (want(&f, PQ_TT_LIST)) {
                /* a SchemaElement has at least a name (2 bytes) and STOP */
                m->schema =
                    rd_list(&f, a, PQ_TT_STRUCT, 3, sizeof(pq_schema_element), &m->n_schema);
                EACH(f, m->n_schema, parse_schema_element(r, a, &m->schema[f.idx]));
            }
            break;
        case 3:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &m->num_rows);
            break;
        case 4:
            if (want(&f, PQ_TT_LIST)) {
                /* columns list (2 bytes), total_byte_size (2), num_rows (2) and STOP */
                m->row_groups =
                    rd_list(&f, a, PQ_TT_STRUCT, 7, sizeof(pq_row_group), &m->n_row_groups);
                EACH(f, m->n_row_groups, parse_row_group(r, a, &m->row_groups[f.idx]));
            }
            break;
        case 5:
            if (want(&f, PQ_TT_LIST)) rd_kv_list(&f, a, &m->n_kv, &m->kv);
            break;
        case 6:
            if (want(&f, PQ_TT_BINARY)) f.rc = rd_str(r, a, &m->created_by);
            break;
        case 7:
            if (want(&f, PQ_TT_LIST)) {
                m->column_orders =
                    rd_list(&f, a, PQ_TT_STRUCT, 1, sizeof(int32_t), &m->n_column_orders);
                EACH(f, m->n_column_orders, parse_column_order(r, &m->column_orders[f.idx]));
            }
            break;
        case 8: /* EncryptionAlgorithm: plaintext footer of an encrypted file */
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = pq_tr_skip(r, PQ_TT_STRUCT);
                m->has_encryption_algorithm = true;
            }
            break;
        default: /* 9 footer_signing_key_metadata, newer fields */
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_DPH, "DataPageHeader", B(1) | B(2) | B(3) | B(4), NULL, "num_values", "encoding",
      "definition_level_encoding", "repetition_level_encoding", "statistics");

static int parse_data_page_header(pq_tr *r, ls_arena *a, pq_data_page_header *h)
{
    fields f;
    memset(h, 0, sizeof *h);
    fields_init(&f, r, &D_DPH);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &h->num_values);
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &h->encoding);
            break;
        case 3:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &h->definition_level_encoding);
            break;
        case 4:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &h->repetition_level_encoding);
            break;
        case 5:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = parse_statistics(r, a, &h->statistics);
                h->has_statistics = true;
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_DICT, "DictionaryPageHeader", B(1) | B(2), NULL, "num_values", "encoding", "is_sorted");

static int parse_dictionary_page_header(pq_tr *r, pq_dictionary_page_header *h)
{
    fields f;
    memset(h, 0, sizeof *h);
    fields_init(&f, r, &D_DICT);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &h->num_values);
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &h->encoding);
            break;
        case 3:
            if (want(&f, PQ_TT_TRUE)) {
                h->is_sorted = rd_bool(&f);
                h->has_is_sorted = true;
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_DPH2, "DataPageHeaderV2", B(1) | B(2) | B(3) | B(4) | B(5) | B(6), NULL, "num_values",
      "num_nulls", "num_rows", "encoding", "definition_levels_byte_length",
      "repetition_levels_byte_length", "is_compressed", "statistics");

static int parse_data_page_header_v2(pq_tr *r, ls_arena *a, pq_data_page_header_v2 *h)
{
    fields f;
    memset(h, 0, sizeof *h);
    h->is_compressed = true; /* thrift default */
    fields_init(&f, r, &D_DPH2);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &h->num_values);
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &h->num_nulls);
            break;
        case 3:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &h->num_rows);
            break;
        case 4:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &h->encoding);
            break;
        case 5:
            if (want(&f, PQ_TT_I32))
                f.rc = rd_i32(&f, I32_NONNEG, &h->definition_levels_byte_length);
            break;
        case 6:
            if (want(&f, PQ_TT_I32))
                f.rc = rd_i32(&f, I32_NONNEG, &h->repetition_levels_byte_length);
            break;
        case 7:
            if (want(&f, PQ_TT_TRUE)) h->is_compressed = rd_bool(&f);
            break;
        case 8:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = parse_statistics(r, a, &h->statistics);
                h->has_statistics = true;
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_PH, "PageHeader", B(1) | B(2) | B(3), NULL, "type", "uncompressed_page_size",
      "compressed_page_size", "crc", "data_page_header", "index_page_header",
      "dictionary_page_header", "data_page_header_v2");

static int parse_page_header(pq_tr *r, ls_arena *a, pq_page_header *h)
{
    fields f;
    memset(h, 0, sizeof *h);
    fields_init(&f, r, &D_PH);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &h->type);
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &h->uncompressed_page_size);
            break;
        case 3:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &h->compressed_page_size);
            break;
        case 4:
            if (want(&f, PQ_TT_I32)) {
                f.rc = rd_i32(&f, I32_ANY, &h->crc);
                h->has_crc = true;
            }
            break;
        case 5:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = parse_data_page_header(r, a, &h->data_page_header);
                h->has_data_page_header = true;
            }
            break;
        case 7:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = parse_dictionary_page_header(r, &h->dictionary_page_header);
                h->has_dictionary_page_header = true;
            }
            break;
        case 8:
            if (want(&f, PQ_TT_STRUCT)) {
                f.rc = parse_data_page_header_v2(r, a, &h->data_page_header_v2);
                h->has_data_page_header_v2 = true;
            }
            break;
        default: /* 6 index_page_header (an empty struct), newer fields */
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_PLOC, "PageLocation", B(1) | B(2) | B(3), NULL, "offset", "compressed_page_size",
      "first_row_index");

static int parse_page_location(pq_tr *r, pq_page_location *l)
{
    fields f;
    memset(l, 0, sizeof *l);
    fields_init(&f, r, &D_PLOC);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &l->offset);
            break;
        case 2:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_NONNEG, &l->compressed_page_size);
            break;
        case 3:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i64(&f, I64_NONNEG, &l->first_row_index);
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_OI, "OffsetIndex", B(1), NULL, "page_locations", "unencoded_byte_array_data_bytes");

static int parse_offset_index(pq_tr *r, ls_arena *a, pq_offset_index *oi)
{
    fields f;
    memset(oi, 0, sizeof *oi);
    fields_init(&f, r, &D_OI);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_LIST)) {
                /* three required fields (>= 2 bytes each) and STOP */
                oi->page_locations = rd_list(&f, a, PQ_TT_STRUCT, 7, sizeof(pq_page_location),
                                             &oi->n_page_locations);
                EACH(f, oi->n_page_locations, parse_page_location(r, &oi->page_locations[f.idx]));
            }
            break;
        default:
            skip_field(&f);
        }
    }
    return fields_end(&f);
}

SDESC(D_CI, "ColumnIndex", B(1) | B(2) | B(3) | B(4), NULL, "null_pages", "min_values",
      "max_values", "boundary_order", "null_counts", "repetition_level_histograms",
      "definition_level_histograms", "nan_counts");

static int parse_column_index(pq_tr *r, ls_arena *a, pq_column_index *ci)
{
    fields f;
    int32_t n_null = 0, n_min = 0, n_max = 0, n_counts = 0;
    memset(ci, 0, sizeof *ci);
    fields_init(&f, r, &D_CI);
    while (fields_next(&f)) {
        switch (f.id) {
        case 1:
            if (want(&f, PQ_TT_LIST)) {
                ci->null_pages = rd_list(&f, a, PQ_TT_BOOL, 1, sizeof(bool), &n_null);
                EACH(f, n_null, pq_tr_bool_elem(r, &ci->null_pages[f.idx]));
            }
            break;
        case 2:
            if (want(&f, PQ_TT_LIST)) {
                ci->min_values = rd_list(&f, a, PQ_TT_BINARY, 1, sizeof(pq_bytes), &n_min);
                EACH(f, n_min, rd_bytes(r, a, &ci->min_values[f.idx]));
            }
            break;
        case 3:
            if (want(&f, PQ_TT_LIST)) {
                ci->max_values = rd_list(&f, a, PQ_TT_BINARY, 1, sizeof(pq_bytes), &n_max);
                EACH(f, n_max, rd_bytes(r, a, &ci->max_values[f.idx]));
            }
            break;
        case 4:
            if (want(&f, PQ_TT_I32)) f.rc = rd_i32(&f, I32_ANY, &ci->boundary_order);
            break;
        case 5:
            if (want(&f, PQ_TT_LIST)) {
                ci->null_counts = rd_list(&f, a, PQ_TT_I32, 1, sizeof(int64_t), &n_counts);
                EACH(f, n_counts, pq_tr_int(r, f.elem, &ci->null_counts[f.idx]));
                /* advisory: parquet-mr 1.13 writes -1 for "unknown" (corpus
                 * datapage_v1-*-checksum.parquet); any negative entry drops the list */
                ci->has_null_counts = true;
                for (int32_t i = 0; !f.rc && i < n_counts; i++)
                    if (ci->null_counts[i] < 0) ci->has_null_counts = false;
            }
            break;
        default: /* 6/7 level histograms, 8 nan_counts, newer fields */
            skip_field(&f);
        }
    }
    int rc = fields_end(&f);
    if (rc) return rc;
    if (n_min != n_null || n_max != n_null || (ci->has_null_counts && n_counts != n_null))
        return pq_tr_fail(r, f.start,
                          "ColumnIndex: list lengths differ (null_pages %d, min_values %d, "
                          "max_values %d, null_counts %d) in the struct starting",
                          n_null, n_min, n_max, ci->has_null_counts ? n_counts : n_null);
    ci->n_pages = n_null;
    return LS_OK;
}

/* ---- entry points ------------------------------------------------------- */

int pq_parse_file_meta(const uint8_t *p, size_t n, ls_arena *arena, pq_file_meta *out,
                       ls_error *err)
{
    pq_tr r;
    pq_file_meta m;
    pq_tr_init(&r, p, n, err);
    int rc = parse_file_meta(&r, arena, &m);
    if (rc == LS_OK) *out = m;
    return rc;
}

int pq_parse_page_header(const uint8_t *p, size_t n, ls_arena *arena, pq_page_header *out,
                         size_t *consumed, ls_error *err)
{
    pq_tr r;
    pq_page_header h;
    pq_tr_init(&r, p, n, err);
    int rc = parse_page_header(&r, arena, &h);
    if (rc == LS_OK) {
        *out = h;
        if (consumed) *consumed = pq_tr_offset(&r);
    }
    return rc;
}

int pq_parse_offset_index(const uint8_t *p, size_t n, ls_arena *arena, pq_offset_index *out,
                          ls_error *err)
{
    pq_tr r;
    pq_offset_index oi;
    pq_tr_init(&r, p, n, err);
    int rc = parse_offset_index(&r, arena, &oi);
    if (rc == LS_OK) *out = oi;
    return rc;
}

int pq_parse_column_index(const uint8_t *p, size_t n, ls_arena *arena, pq_column_index *out,
                          ls_error *err)
{
    pq_tr r;
    pq_column_index ci;
    pq_tr_init(&r, p, n, err);
    int rc = parse_column_index(&r, arena, &ci);
    if (rc == LS_OK) *out = ci;
    return rc;
}
