/*
 * parquet.h - the interface of src/parquet: a streaming Parquet file writer
 * (ls_batch in, bounded memory, footer v1, data page v1, dictionary with
 * PLAIN fallback, statistics and page index) and a reader that reads what
 * the world writes (every type, encoding and codec of the format) into
 * ls_batch, with projection and statistics-based skipping.
 *
 * Everything else in src/parquet (pq_*.h) is private to this directory.
 */
#ifndef LS_PARQUET_H
#define LS_PARQUET_H

#include "../col/col.h"
#include "../io/io.h"

#define LS_VERSION "0.1.0"
#define LS_CREATED_BY "lakestream version " LS_VERSION

/* ---- writer ------------------------------------------------------------ */

typedef struct ls_pq_writer_opts {
    int codec;                 /* enum pq_codec (pq_meta.h numbers); default ZSTD */
    int level;                 /* codec level, 0 = default */
    uint64_t row_group_bytes;  /* cut a row group at this much encoded data; default 128 MiB */
    uint64_t page_bytes;       /* target data page size; default 1 MiB */
    uint64_t max_page_rows;    /* also cut pages at this many rows; default 20,000 */
    uint64_t dict_bytes_limit; /* dictionary larger than this -> PLAIN fallback; default 1 MiB */
    bool dictionary;           /* default true */
    bool statistics;           /* chunk statistics; default true */
    bool page_index;           /* ColumnIndex + OffsetIndex; default true */
    bool field_ids;            /* write ls_field.field_id when >= 0; default true */
    const char *root_name;     /* name of the schema root element; NULL = "schema" (Spark
                                * checkpoints use "spark_schema"); borrowed */
    size_t n_kv;               /* extra key/value metadata (borrowed strings) */
    const char *const *kv_keys;
    const char *const *kv_values;
} ls_pq_writer_opts;

void ls_pq_writer_opts_default(ls_pq_writer_opts *o);

/* Per-leaf statistics of a finished file (for Delta add.stats). min/max are in the
 * leaf's in-memory representation (see col.h): for BYTES the bytes are copied (and not
 * truncated); has_minmax is false when the column had no non-null values (or only NaN). */
typedef struct ls_pq_leaf_stats {
    uint64_t null_count;
    bool has_minmax;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        uint8_t b;
        uint8_t i128[16];
    } min, max;
    ls_buf min_bytes, max_bytes;
} ls_pq_leaf_stats;

typedef struct ls_pq_writer ls_pq_writer;

/* out and schema are borrowed and must outlive the writer. */
int ls_pq_writer_new(ls_output *out, const ls_schema *schema, const ls_pq_writer_opts *opts,
                     ls_pq_writer **w, ls_error *err);
/* Appends all rows of batch (schema must be the writer's). May flush a row group. */
int ls_pq_writer_write(ls_pq_writer *w, const ls_batch *batch, ls_error *err);
/* Flushes the last row group and writes the footer. Does not commit the output. */
int ls_pq_writer_close(ls_pq_writer *w, ls_error *err);
uint64_t ls_pq_writer_rows(const ls_pq_writer *w);
/* Bytes written so far plus buffered (estimate of the final size). */
uint64_t ls_pq_writer_size(const ls_pq_writer *w);
/* After close: statistics of leaf i (borrowed; valid until free). */
const ls_pq_leaf_stats *ls_pq_writer_leaf_stats(const ls_pq_writer *w, int leaf);
void ls_pq_writer_free(ls_pq_writer *w);

/* ---- reader ------------------------------------------------------------ */

typedef struct ls_pq_read_opts {
    size_t batch_rows;    /* rows per ls_pq_reader_next batch; default 8,192 */
    bool verify_crc;      /* verify page CRCs when present; default false */
    uint64_t max_page_bytes; /* refuse pages larger than this (uncompressed); default 1 GiB */
} ls_pq_read_opts;

void ls_pq_read_opts_default(ls_pq_read_opts *o);

typedef struct ls_pq_reader ls_pq_reader;

/* Reads and validates the footer; builds the logical schema. in is borrowed. */
int ls_pq_reader_open(ls_input *in, const ls_pq_read_opts *opts, ls_pq_reader **out,
                      ls_error *err);
void ls_pq_reader_free(ls_pq_reader *r);
/* Full logical schema of the file (borrowed). */
const ls_schema *ls_pq_reader_schema(const ls_pq_reader *r);
uint64_t ls_pq_reader_num_rows(const ls_pq_reader *r);
int ls_pq_reader_num_row_groups(const ls_pq_reader *r);
/* Restricts reading to the given column paths ("a", "s.b", "m" ...; a group selects all
 * leaves below it). NULL/0 = all. Must be called before the first next(). */
int ls_pq_reader_project(ls_pq_reader *r, const char *const *paths, int n_paths, ls_error *err);
/* Schema of the batches next() produces (borrowed). */
const ls_schema *ls_pq_reader_out_schema(const ls_pq_reader *r);
/* Skips whole row groups: keep[i] == false means row group i is not read. */
int ls_pq_reader_select_row_groups(ls_pq_reader *r, const bool *keep, ls_error *err);
/* Resets batch (bound to the out schema) and fills it with up to batch_rows rows.
 * *eof is set when no rows remain (batch then has 0 rows). */
int ls_pq_reader_next(ls_pq_reader *r, ls_batch *batch, bool *eof, ls_error *err);

/* Rows of row group rg (0 <= rg < ls_pq_reader_num_row_groups), -1 if out of range. */
int64_t ls_pq_reader_row_group_rows(const ls_pq_reader *r, int rg);
/* File row index (0-based, counting the rows of every row group, read or skipped) of the
 * first row of the batch the last ls_pq_reader_next returned. Rows inside one batch are
 * consecutive in the file: a batch never spans a skipped row group. */
uint64_t ls_pq_reader_batch_first_row(const ls_pq_reader *r);

/* ---- column chunk statistics (for pruning) ----------------------------------------------
 * A bound in the leaf's in-memory representation (col.h: the value a batch would hold, after
 * the reader's conversions: TIMESTAMP(MILLIS/NANOS) as micros, DECIMAL unscaled in 4/8/16
 * bytes, UINT_32 as BIGINT, UINT_64 as DECIMAL(20,0) ...). BYTES are borrowed from the
 * footer (valid until the reader is freed). */
typedef struct ls_pq_value {
    union {
        uint8_t b; /* BOOLEAN: 0/1 */
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        uint8_t i128[16]; /* little-endian two's complement */
    } v;
    const uint8_t *bytes;
    size_t len;
} ls_pq_value;

/* The statistics of one column chunk that the reader trusts. Whatever is unreliable is
 * reported absent, never as an error: min/max of a column whose sort order lakestream does
 * not know (INT96, INTERVAL, unknown logical types, a ColumnOrder other than TYPE_ORDER),
 * the deprecated min/max fields unless the order is signed and the type numeric (they were
 * computed with signed comparison), binary statistics of parquet-mr before 1.8.0
 * (PARQUET-251), NaN bounds of floats, bounds of the wrong byte width, bounds that do not
 * fit the leaf representation, and min > max.
 *
 * min <= every non-null value <= max in the column's order (floats: every non-NaN value;
 * NaN sorts above everything in lakestream's comparisons, so a max bounds the NaNs only when
 * has_nan_count && nan_count == 0). Bounds may be truncated (long strings: a prefix as min,
 * an incremented prefix as max): min_exact / max_exact say whether the bound is a value of
 * the chunk (the writer's is_min_value_exact / is_max_value_exact; without those flags,
 * numeric bounds are taken as exact and byte-string bounds as inexact). */
typedef struct ls_pq_chunk_stats {
    uint64_t num_values; /* level entries of the chunk incl. nulls (= rows outside lists) */
    bool has_null_count;
    uint64_t null_count;
    bool has_nan_count; /* FLOAT, DOUBLE, FLOAT16 */
    uint64_t nan_count;
    bool has_min, has_max;
    bool min_exact, max_exact;
    ls_pq_value min, max;
} ls_pq_chunk_stats;

/* Statistics of the chunk of file leaf `leaf` (index into ls_pq_reader_schema's leaves) in
 * row group rg. LS_ERR_INVALID only when rg or leaf is out of range. */
int ls_pq_reader_chunk_stats(const ls_pq_reader *r, int rg, int leaf, ls_pq_chunk_stats *out,
                             ls_error *err);

/* Writes the file's metadata (schema, row groups, chunks, encodings, codecs, statistics
 * decoded per type, page index presence) as pretty JSON. */
int ls_pq_meta_json(ls_input *in, ls_buf *out, ls_error *err);

#endif
