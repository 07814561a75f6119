/*
 * sc_int.h - private interface of src/scan: the --where predicate (parsing,
 * typing literals against the table schema, row evaluation, file pruning by
 * partition values and statistics) and deletion vectors (Z85, the
 * RoaringBitmapArray format, DV files). Exposed for the unit tests only.
 */
#ifndef LS_SC_INT_H
#define LS_SC_INT_H

#include "scan.h"

/* ---- typed values ---------------------------------------------------------- */

/* How a column's values are compared (derived from its ls_type). */
typedef enum sc_class {
    SC_C_I64, /* BOOLEAN (0/1), INT8..INT64, DATE (days), TIMESTAMP[_NTZ] (micros) */
    SC_C_F32,
    SC_C_F64,
    SC_C_I128,  /* DECIMAL, unscaled at the column's scale */
    SC_C_BYTES, /* STRING, BINARY: unsigned byte order */
    SC_C_NONE,  /* groups: not comparable */
} sc_class;

typedef struct sc_value {
    int64_t i;
    float f;
    double d;
    __int128 x;
    const char *s; /* BYTES (not NUL-terminated when from a batch) */
    size_t n;
} sc_value;

/* Result of converting text to a column's type. */
typedef enum sc_fit {
    SC_FIT_EXACT,
    SC_FIT_INEXACT, /* the true value lies strictly between v and v+1 (v = floor) */
    SC_FIT_ABOVE,   /* greater than every value of the type */
    SC_FIT_BELOW,   /* smaller than every value of the type */
} sc_fit;

typedef enum sc_lit_kind {
    SC_LIT_BARE,      /* unquoted token: number, date text, true/false, ... */
    SC_LIT_STRING,    /* 'quoted' */
    SC_LIT_DATE,      /* DATE 'x' */
    SC_LIT_TIMESTAMP, /* TIMESTAMP 'x' */
} sc_lit_kind;

sc_class sc_field_class(const ls_field *f);
/* Converts literal/stat text to f's comparison value. Strings are borrowed from text.
 * LS_ERR_INVALID (message names the text and type) when the text is not a value of it. */
int sc_value_from_text(const ls_field *f, const char *text, size_t n, sc_lit_kind kind,
                       sc_value *out, sc_fit *fit, ls_error *err);
/* Three-way comparison of two values of class c (NaN sorts above everything, -0 == 0). */
int sc_value_cmp(sc_class c, const sc_value *a, const sc_value *b);

/* ---- predicate ---------------------------------------------------------------- */

typedef enum sc_op {
    SC_EQ,
    SC_NE,
    SC_LT,
    SC_LE,
    SC_GT,
    SC_GE,
    SC_IN,
    SC_NOT_IN,
    SC_IS_NULL,
    SC_NOT_NULL,
    SC_FALSE, /* never true (e.g. int_col = 2.5) */
} sc_op;

typedef struct sc_conj {
    char *path; /* column as resolved, dotted logical names (malloc'ed) */
    int n_segs;
    const ls_field **segs; /* resolved fields root->leaf in the table schema (malloc'ed) */
    const ls_field *field; /* = segs[n_segs-1], a primitive not inside a list/map */
    sc_class cls;
    sc_op op;
    sc_value v;    /* comparisons */
    size_t n_list; /* IN / NOT IN (sorted, deduplicated) */
    sc_value *list;
    bool is_partition; /* top-level partition column */
} sc_conj;

typedef struct sc_pred {
    int n;
    sc_conj *c;
    ls_arena arena; /* literal text */
} sc_pred;

/* Parses text and binds it to schema (the table's logical schema). partition_columns
 * may be NULL. Unknown columns, type mismatches and syntax errors are LS_ERR_INVALID
 * naming the offending part. */
int sc_pred_compile(const char *text, const ls_schema *schema, const char *const *partition_columns,
                    int n_partition_columns, sc_pred **out, ls_error *err);
void sc_pred_free(sc_pred *p);

/* Evaluates conjunct c on a leaf without repetition (one slot per row) holding rows
 * [0, n_rows), ANDing the result into mask (1 = keep). The leaf's field must be of the
 * conjunct's column type. */
void sc_conj_eval_leaf(const sc_conj *c, const ls_leaf *l, size_t n_rows, uint8_t *mask);
/* Evaluates c on a single value (is_null, or v). */
bool sc_conj_eval_value(const sc_conj *c, bool is_null, const sc_value *v);

/* Per-file statistics of one column, as found in add.stats (text as in the JSON). */
typedef struct sc_colstats {
    bool has_num_records;
    int64_t num_records;
    bool has_null_count;
    int64_t null_count;
    bool has_min, has_max;
    const char *min_text, *max_text; /* JSON number literal or unescaped string */
    size_t min_len, max_len;
    bool min_is_string, max_is_string;
} sc_colstats;

/* false when the statistics prove no row of the file satisfies c (the file can be
 * skipped); true when they don't (or are unusable). */
bool sc_conj_may_match(const sc_conj *c, const sc_colstats *st);

/* Typed bounds of a column over some rows (a file, a Parquet row group), as values of the
 * conjunct's class. */
typedef struct sc_bounds {
    bool has_num_records;
    int64_t num_records;
    bool has_null_count;
    int64_t null_count;
    bool has_min, has_max; /* min <= every non-null value <= max (a NaN is above every
                            * value: a max that excludes NaNs is no max) */
    sc_value min, max;
    bool eq_exact; /* min == max == v proves every non-null value equals v */
} sc_bounds;

/* sc_conj_may_match on typed bounds. */
bool sc_conj_may_match_bounds(const sc_conj *c, const sc_bounds *b);

/* ---- deletion vectors ------------------------------------------------------------ */

/* Z85 (ZeroMQ RFC 32) decoding; n must be a multiple of 5. Appends n/5*4 bytes. */
int sc_z85_decode(const char *s, size_t n, ls_buf *out, ls_error *err);
/* Decodes the 20-char Z85 UUID at the end of a 'u' DV's pathOrInlineDv into the relative
 * key "<prefix>/deletion_vector_<uuid>.bin" (malloc'ed). */
int sc_dv_relative_path(const char *path_or_inline, char **out, ls_error *err);
/* A decoded deletion vector: the deleted rows of one data file, produced in increasing
 * order while the scan advances (memory stays that of the serialized bitmaps). */
typedef struct sc_dv sc_dv;
/* Parses a serialized RoaringBitmapArray (portable: 4-byte LE magic 1681511377, 8-byte LE
 * bucket count, per bucket 4-byte LE high key + portable 32-bit Roaring bitmap; or native:
 * BE magic 1681511376, BE count, per bitmap BE length + bitmap) for a file of max_rows rows. */
int sc_dv_from_bytes(const uint8_t *p, size_t n, uint64_t max_rows, sc_dv **out, ls_error *err);
/* Loads the DV of a data file with max_rows physical rows (inline, 'u' or 'p' storage). */
int sc_dv_load(ls_delta_table *t, const ls_delta_dv *dv, uint64_t max_rows, sc_dv **out,
               ls_error *err);
void sc_dv_free(sc_dv *dv);
/* Sum of the bitmaps' cardinalities as stored (trust it only when it agrees with the log). */
uint64_t sc_dv_cardinality(const sc_dv *dv);
/* true when a deleted row < end has not been applied yet. */
bool sc_dv_pending_before(const sc_dv *dv, uint64_t end);
/* Passes over the deleted rows below row (rows that are not read: skipped row groups),
 * with the same checks as sc_dv_apply. */
int sc_dv_skip_to(sc_dv *dv, uint64_t row, ls_error *err);
/* Clears mask[r - base] for every deleted row r in [base, base + n). Calls must cover the
 * file's rows in order. Rows out of order or beyond the file are LS_ERR_CORRUPT. */
int sc_dv_apply(sc_dv *dv, uint64_t base, size_t n, uint8_t *mask, size_t *cleared, ls_error *err);
/* Test helper: all deleted rows as a sorted array (malloc'ed, NULL when empty). */
int sc_dv_parse_bitmap(const uint8_t *p, size_t n, uint64_t max_rows, uint64_t **rows,
                       size_t *n_rows, ls_error *err);
/* Opens a location as returned by ls_delta_resolve_path (store key, absolute local path,
 * file: URI, or a URI inside the table's store). */
int sc_open_location(ls_delta_table *t, const char *loc, ls_input **out, ls_error *err);

#endif
