/*
 * pq_meta.h - Parquet footer and page metadata as C structs (the subset of
 * apache/parquet-format's parquet.thrift that lakestream reads and writes),
 * with Thrift-compact serialization and hardened parsing.
 *
 * Private to src/parquet. Field comments give the thrift field ids.
 * Optional fields have a has_* flag. Parsed structs own their memory
 * through the ls_arena passed to the parse function (one arena per footer),
 * so freeing a footer is one ls_arena_free.
 */
#ifndef LS_PQ_META_H
#define LS_PQ_META_H

#include "../util/util.h"

/* parquet.thrift enums (values are the thrift numbers) */
enum pq_type {
    PQ_BOOLEAN = 0,
    PQ_INT32 = 1,
    PQ_INT64 = 2,
    PQ_INT96 = 3,
    PQ_FLOAT = 4,
    PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6,
    PQ_FIXED_LEN_BYTE_ARRAY = 7,
};
enum pq_repetition { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
enum pq_converted {
    PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KEY_VALUE = 2, PQ_CT_LIST = 3, PQ_CT_ENUM = 4,
    PQ_CT_DECIMAL = 5, PQ_CT_DATE = 6, PQ_CT_TIME_MILLIS = 7, PQ_CT_TIME_MICROS = 8,
    PQ_CT_TIMESTAMP_MILLIS = 9, PQ_CT_TIMESTAMP_MICROS = 10, PQ_CT_UINT_8 = 11,
    PQ_CT_UINT_16 = 12, PQ_CT_UINT_32 = 13, PQ_CT_UINT_64 = 14, PQ_CT_INT_8 = 15,
    PQ_CT_INT_16 = 16, PQ_CT_INT_32 = 17, PQ_CT_INT_64 = 18, PQ_CT_JSON = 19, PQ_CT_BSON = 20,
    PQ_CT_INTERVAL = 21,
};
enum pq_encoding {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_PLAIN_DICTIONARY = 2,
    PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_ENC_BYTE_STREAM_SPLIT = 9,
};
enum pq_codec {
    PQ_CODEC_UNCOMPRESSED = 0,
    PQ_CODEC_SNAPPY = 1,
    PQ_CODEC_GZIP = 2,
    PQ_CODEC_LZO = 3,
    PQ_CODEC_BROTLI = 4,
    PQ_CODEC_LZ4 = 5, /* deprecated Hadoop-framed (or raw, in old files) */
    PQ_CODEC_ZSTD = 6,
    PQ_CODEC_LZ4_RAW = 7,
};
enum pq_page_type {
    PQ_PAGE_DATA = 0,
    PQ_PAGE_INDEX = 1,
    PQ_PAGE_DICTIONARY = 2,
    PQ_PAGE_DATA_V2 = 3,
};
enum pq_boundary_order { PQ_UNORDERED = 0, PQ_ASCENDING = 1, PQ_DESCENDING = 2 };

/* LogicalType union member (field id in parquet.thrift LogicalType). */
enum pq_logical_kind {
    PQ_LT_NONE = 0,
    PQ_LT_STRING = 1,
    PQ_LT_MAP = 2,
    PQ_LT_LIST = 3,
    PQ_LT_ENUM = 4,
    PQ_LT_DECIMAL = 5,
    PQ_LT_DATE = 6,
    PQ_LT_TIME = 7,
    PQ_LT_TIMESTAMP = 8,
    /* 9 reserved */
    PQ_LT_INTEGER = 10,
    PQ_LT_UNKNOWN = 11, /* "NullType" */
    PQ_LT_JSON = 12,
    PQ_LT_BSON = 13,
    PQ_LT_UUID = 14,
    PQ_LT_FLOAT16 = 15,
    PQ_LT_VARIANT = 16,
    PQ_LT_GEOMETRY = 17,
    PQ_LT_GEOGRAPHY = 18,
    PQ_LT_OTHER = 1000, /* an id we do not know: readers treat the column as unannotated */
};
enum pq_time_unit { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

typedef struct pq_logical {
    int kind; /* enum pq_logical_kind */
    /* DECIMAL */
    int32_t scale, precision;
    /* TIME / TIMESTAMP */
    bool is_adjusted_to_utc;
    int unit; /* enum pq_time_unit */
    /* INTEGER */
    int8_t bit_width;
    bool is_signed;
} pq_logical;

typedef struct pq_bytes {
    const uint8_t *p; /* points into the arena (parsed) or caller memory (writing) */
    uint32_t len;
} pq_bytes;

typedef struct pq_statistics {
    bool has_max, has_min, has_null_count, has_distinct_count, has_max_value, has_min_value;
    bool has_is_max_value_exact, has_is_min_value_exact, has_nan_count;
    pq_bytes max;       /* 1 (deprecated, signed order) */
    pq_bytes min;       /* 2 */
    int64_t null_count; /* 3 */
    int64_t distinct_count; /* 4 */
    pq_bytes max_value; /* 5 */
    pq_bytes min_value; /* 6 */
    bool is_max_value_exact; /* 7 */
    bool is_min_value_exact; /* 8 */
    int64_t nan_count;       /* 9 (FLOAT/DOUBLE/FLOAT16; absent = NaNs may be present) */
} pq_statistics;

typedef struct pq_schema_element {
    bool has_type, has_type_length, has_repetition, has_num_children, has_converted_type;
    bool has_scale, has_precision, has_field_id, has_logical;
    int32_t type;         /* 1 enum pq_type */
    int32_t type_length;  /* 2 */
    int32_t repetition;   /* 3 enum pq_repetition */
    const char *name;     /* 4 (NUL-terminated) */
    int32_t num_children; /* 5 */
    int32_t converted_type; /* 6 */
    int32_t scale;        /* 7 */
    int32_t precision;    /* 8 */
    int32_t field_id;     /* 9 */
    pq_logical logical;   /* 10 */
} pq_schema_element;

typedef struct pq_kv {
    const char *key;   /* 1 */
    const char *value; /* 2, NULL if absent */
} pq_kv;

typedef struct pq_page_encoding_stats {
    int32_t page_type; /* 1 */
    int32_t encoding;  /* 2 */
    int32_t count;     /* 3 */
} pq_page_encoding_stats;

typedef struct pq_column_meta {
    int32_t type;               /* 1 */
    int32_t n_encodings;        /* 2 list<Encoding> */
    int32_t *encodings;
    int32_t n_path;             /* 3 list<string> */
    const char **path;
    int32_t codec;              /* 4 */
    int64_t num_values;         /* 5 */
    int64_t total_uncompressed_size; /* 6 */
    int64_t total_compressed_size;   /* 7 */
    int32_t n_kv;               /* 8 */
    pq_kv *kv;
    int64_t data_page_offset;   /* 9 */
    bool has_index_page_offset, has_dictionary_page_offset, has_statistics;
    bool has_bloom_filter_offset, has_bloom_filter_length;
    int64_t index_page_offset;  /* 10 */
    int64_t dictionary_page_offset; /* 11 */
    pq_statistics statistics;   /* 12 */
    int32_t n_encoding_stats;   /* 13 */
    pq_page_encoding_stats *encoding_stats;
    int64_t bloom_filter_offset; /* 14 */
    int32_t bloom_filter_length; /* 15 */
} pq_column_meta;

typedef struct pq_column_chunk {
    const char *file_path; /* 1, NULL if absent */
    int64_t file_offset;   /* 2 */
    bool has_meta_data;
    pq_column_meta meta_data; /* 3 */
    bool has_offset_index, has_column_index;
    int64_t offset_index_offset; /* 4 */
    int32_t offset_index_length; /* 5 */
    int64_t column_index_offset; /* 6 */
    int32_t column_index_length; /* 7 */
    bool has_crypto_metadata;    /* 8 (present = column is encrypted) */
} pq_column_chunk;

typedef struct pq_sorting_column {
    int32_t column_idx; /* 1 */
    bool descending;    /* 2 */
    bool nulls_first;   /* 3 */
} pq_sorting_column;

typedef struct pq_row_group {
    int32_t n_columns; /* 1 */
    pq_column_chunk *columns;
    int64_t total_byte_size; /* 2 */
    int64_t num_rows;        /* 3 */
    int32_t n_sorting_columns; /* 4 */
    pq_sorting_column *sorting_columns;
    bool has_file_offset, has_total_compressed_size, has_ordinal;
    int64_t file_offset;           /* 5 */
    int64_t total_compressed_size; /* 6 */
    int16_t ordinal;               /* 7 */
} pq_row_group;

typedef struct pq_file_meta {
    int32_t version;   /* 1 */
    int32_t n_schema;  /* 2 */
    pq_schema_element *schema;
    int64_t num_rows;  /* 3 */
    int32_t n_row_groups; /* 4 */
    pq_row_group *row_groups;
    int32_t n_kv;      /* 5 */
    pq_kv *kv;
    const char *created_by; /* 6, NULL if absent */
    int32_t n_column_orders; /* 7: list<ColumnOrder>; we only know TYPE_ORDER (member 1) */
    int32_t *column_orders;  /* 1 = TYPE_ORDER, 0 = any other member (IEEE_754_TOTAL_ORDER,
                              * INT96_TIMESTAMP_ORDER, unknown): min/max are then ignored */
    bool has_encryption_algorithm; /* 8 (plaintext footer of an encrypted file) */
} pq_file_meta;

typedef struct pq_data_page_header {
    int32_t num_values;  /* 1 */
    int32_t encoding;    /* 2 */
    int32_t definition_level_encoding; /* 3 */
    int32_t repetition_level_encoding; /* 4 */
    bool has_statistics;
    pq_statistics statistics; /* 5 */
} pq_data_page_header;

typedef struct pq_dictionary_page_header {
    int32_t num_values; /* 1 */
    int32_t encoding;   /* 2 */
    bool has_is_sorted;
    bool is_sorted;     /* 3 */
} pq_dictionary_page_header;

typedef struct pq_data_page_header_v2 {
    int32_t num_values; /* 1 */
    int32_t num_nulls;  /* 2 */
    int32_t num_rows;   /* 3 */
    int32_t encoding;   /* 4 */
    int32_t definition_levels_byte_length; /* 5 */
    int32_t repetition_levels_byte_length; /* 6 */
    bool is_compressed; /* 7, default true */
    bool has_statistics;
    pq_statistics statistics; /* 8 */
} pq_data_page_header_v2;

typedef struct pq_page_header {
    int32_t type; /* 1 */
    int32_t uncompressed_page_size; /* 2 */
    int32_t compressed_page_size;   /* 3 */
    bool has_crc;
    int32_t crc; /* 4 */
    bool has_data_page_header, has_dictionary_page_header, has_data_page_header_v2;
    pq_data_page_header data_page_header;             /* 5 */
    pq_dictionary_page_header dictionary_page_header; /* 7 */
    pq_data_page_header_v2 data_page_header_v2;       /* 8 */
} pq_page_header;

typedef struct pq_page_location {
    int64_t offset;               /* 1 */
    int32_t compressed_page_size; /* 2 */
    int64_t first_row_index;      /* 3 */
} pq_page_location;

typedef struct pq_offset_index {
    int32_t n_page_locations; /* 1 */
    pq_page_location *page_locations;
} pq_offset_index;

typedef struct pq_column_index {
    int32_t n_pages;
    bool *null_pages;   /* 1 */
    pq_bytes *min_values; /* 2 */
    pq_bytes *max_values; /* 3 */
    int32_t boundary_order; /* 4 */
    bool has_null_counts;
    int64_t *null_counts;   /* 5 */
    /* 8 nan_counts is skipped: without it a float page's max does not bound its NaNs */
} pq_column_index;

/* ---- serialization (append thrift-compact bytes to out) ------------- */
void pq_write_file_meta(ls_buf *out, const pq_file_meta *m);
void pq_write_page_header(ls_buf *out, const pq_page_header *h);
void pq_write_offset_index(ls_buf *out, const pq_offset_index *oi);
void pq_write_column_index(ls_buf *out, const pq_column_index *ci);

/* ---- parsing (hardened: every length and count checked against the input) ----
 * All allocations come from arena. *consumed (if non-NULL) gets the bytes used.
 * Errors are LS_ERR_CORRUPT with a message naming the struct, field and offset. */
int pq_parse_file_meta(const uint8_t *p, size_t n, ls_arena *arena, pq_file_meta *out,
                       ls_error *err);
int pq_parse_page_header(const uint8_t *p, size_t n, ls_arena *arena, pq_page_header *out,
                         size_t *consumed, ls_error *err);
int pq_parse_offset_index(const uint8_t *p, size_t n, ls_arena *arena, pq_offset_index *out,
                          ls_error *err);
int pq_parse_column_index(const uint8_t *p, size_t n, ls_arena *arena, pq_column_index *out,
                          ls_error *err);

/* Names for printing metadata (e.g. "RLE_DICTIONARY", "ZSTD"); "UNKNOWN(n)" style fallback
 * written into a static table entry is not allowed (no global state): unknown -> NULL. */
const char *pq_type_name(int t);
const char *pq_encoding_name(int e);
const char *pq_codec_name(int c);
const char *pq_converted_name(int c);
const char *pq_page_type_name(int t);

#endif
