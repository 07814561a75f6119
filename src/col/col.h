/*
 * col.h - logical types, schemas and columnar batches.
 *
 * A batch is held in *shredded* (Dremel) form: one ls_leaf per primitive
 * leaf of the schema, each with its definition/repetition levels and its
 * non-null values packed densely. This is exactly what a Parquet column
 * chunk stores, so the writer encodes it without reshaping and the reader
 * produces it without assembling records; record assembly (for NDJSON/CSV
 * output) walks the levels only when text is wanted.
 *
 * Levels: for a leaf with max definition level D and max repetition level R,
 * each level entry is one "slot": def == D means a value is present (and one
 * element is appended to the value arrays); def < D means a null or an empty
 * list/map at the depth def says. rep == 0 starts a new row.
 *
 * Physical storage per logical type:
 *   BOOLEAN                      -> uint8_t (0/1)
 *   INT8/INT16/INT32/DATE        -> int32_t (DATE = days since 1970-01-01)
 *   INT64/TIMESTAMP/TIMESTAMP_NTZ-> int64_t (timestamps: microseconds since epoch)
 *   FLOAT / DOUBLE               -> float / double
 *   DECIMAL p<=9 / p<=18         -> int32_t / int64_t (unscaled)
 *   DECIMAL p>18                 -> 16-byte little-endian two's complement (fixed)
 *   STRING/BINARY                -> offsets (n_values+1) + bytes
 *
 * Also here: the Spark DDL schema parser/printer, NDJSON -> batch shredding
 * (col_json.c) and schema inference from NDJSON samples.
 */
#ifndef LS_COL_H
#define LS_COL_H

#include "../util/util.h"

typedef enum ls_type {
    LS_BOOLEAN,
    LS_INT8,
    LS_INT16,
    LS_INT32,
    LS_INT64,
    LS_FLOAT,
    LS_DOUBLE,
    LS_STRING,
    LS_BINARY,
    LS_DATE,
    LS_TIMESTAMP,     /* instant, UTC-adjusted, microseconds */
    LS_TIMESTAMP_NTZ, /* local date-time, microseconds */
    LS_DECIMAL,
    LS_STRUCT,
    LS_LIST,
    LS_MAP,
} ls_type;

/* How a leaf's values are stored in memory (see the table above). */
typedef enum ls_phys {
    LS_PHYS_NONE, /* group types */
    LS_PHYS_BOOL,
    LS_PHYS_I32,
    LS_PHYS_I64,
    LS_PHYS_F32,
    LS_PHYS_F64,
    LS_PHYS_BYTES,
    LS_PHYS_I128,
} ls_phys;

#define LS_MAX_NESTING 100 /* levels are stored in uint8_t; keep well below 255 */

typedef struct ls_field ls_field;
struct ls_field {
    char *name;
    ls_type type;
    bool nullable;
    uint8_t precision, scale; /* DECIMAL */
    int n_children;
    ls_field *children; /* STRUCT: members; LIST: [0] element; MAP: [0] key, [1] value */
    int32_t field_id;   /* -1 if none (Delta column mapping / Iceberg) */
    char *physical_name; /* column-mapping physical name, or NULL (= name) */
    /* Other field metadata as JSON object text ("{...}"), or NULL: Delta comments,
     * invariants, generation expressions, delta.typeChanges, ... (never the column-mapping
     * keys, which are field_id/physical_name). Owned; copied and freed with the field. */
    char *metadata_json;
    /* Filled by ls_schema_finalize: */
    ls_field *parent;
    int def_level; /* definition level reached when this field is non-null */
    int rep_level; /* repetition level of this field's innermost enclosing list */
    int leaf_index;  /* index into schema->leaves, -1 for groups */
    int leaf_first, leaf_count; /* range of leaves below (self for a leaf) */
};

typedef struct ls_schema {
    ls_field root; /* STRUCT, not nullable, name "" */
    int n_leaves;
    ls_field **leaves; /* depth-first order, = Parquet column order */
} ls_schema;

const char *ls_type_name(ls_type t); /* Spark SQL name, e.g. "BIGINT" */
ls_phys ls_type_phys(const ls_field *f);
static inline bool ls_type_is_group(ls_type t)
{
    return t == LS_STRUCT || t == LS_LIST || t == LS_MAP;
}

ls_schema *ls_schema_new(void); /* empty struct root */
void ls_schema_free(ls_schema *s);
ls_schema *ls_schema_clone(const ls_schema *s);
/* Adds a child to a STRUCT/LIST/MAP field; returns the new child (name copied). */
ls_field *ls_field_add_child(ls_field *parent, const char *name, ls_type t, bool nullable);
void ls_field_clear(ls_field *f); /* frees name and children */
void ls_field_copy(ls_field *dst, const ls_field *src);
/* Computes levels, leaf indices and the leaves array. Fails when nesting is too deep
 * or names collide. Must be called after building/changing a schema. */
int ls_schema_finalize(ls_schema *s, ls_error *err);
/* Finds a top-level field by name (case-insensitive), or NULL. */
ls_field *ls_schema_find(const ls_schema *s, const char *name);
ls_field *ls_field_find_child(const ls_field *f, const char *name, size_t n);
/* Path of a field from the root as dotted text (for messages). Returns malloc'ed. */
char *ls_field_path(const ls_field *f);
bool ls_field_equal(const ls_field *a, const ls_field *b);

/* Spark DDL: "id BIGINT NOT NULL, tags ARRAY<STRING>, m MAP<STRING,INT>,
 *             s STRUCT<a: INT, b: DECIMAL(10,2)>" (backquoted names allowed). */
int ls_schema_parse_ddl(const char *ddl, ls_schema **out, ls_error *err);
/* Type-only form, e.g. "ARRAY<STRING>", into an (already named) field. */
int ls_field_parse_type(const char *text, ls_field *f, ls_error *err);
/* Prints a schema back as DDL (round-trips through ls_schema_parse_ddl). */
void ls_schema_to_ddl(const ls_schema *s, ls_buf *out);
void ls_field_type_to_ddl(const ls_field *f, ls_buf *out);

/* ---- leaves and batches ---------------------------------------------- */

typedef struct ls_leaf {
    const ls_field *field; /* borrowed from the batch's schema */
    ls_phys phys;
    int max_def, max_rep;
    size_t n;   /* level slots */
    size_t cap; /* capacity of def/rep */
    uint8_t *def; /* NULL when max_def == 0 */
    uint8_t *rep; /* NULL when max_rep == 0 */
    size_t n_values; /* non-null values stored */
    size_t vcap;     /* capacity in values */
    void *values;    /* typed array (not for BYTES) */
    uint64_t *offsets; /* BYTES: n_values + 1 entries, offsets[0] == 0 */
    ls_buf bytes;      /* BYTES payload */
} ls_leaf;

typedef struct ls_batch {
    const ls_schema *schema; /* borrowed; must outlive the batch */
    size_t n_rows;
    int n_leaves;
    ls_leaf *leaves;
} ls_batch;

ls_batch *ls_batch_new(const ls_schema *schema);
void ls_batch_free(ls_batch *b);
/* Empties the batch, keeping allocated capacity for reuse. */
void ls_batch_reset(ls_batch *b);
/* Rebinds to a (possibly evolved) schema with the same leading leaves; new leaves are
 * back-filled with nulls for existing rows. Fails if the leaves are incompatible. */
int ls_batch_rebind(ls_batch *b, const ls_schema *schema, ls_error *err);
/* Bytes held by values and levels (an estimate of the encoded size). */
size_t ls_batch_mem_size(const ls_batch *b);
/* Appends rows [row_begin, row_end) of src (same schema) to dst. */
void ls_batch_append_rows(ls_batch *dst, const ls_batch *src, size_t row_begin, size_t row_end);
/* For every leaf, fills starts[leaf][row] = first slot index of each row (n_rows+1 entries).
 * Returns an array of n_leaves malloc'ed arrays; free with ls_row_index_free. */
size_t **ls_batch_row_index(const ls_batch *b);
void ls_row_index_free(const ls_batch *b, size_t **idx);
/* Checks internal consistency (levels vs values vs rows); for tests and after decoding. */
int ls_batch_validate(const ls_batch *b, ls_error *err);

void ls_leaf_grow_levels(ls_leaf *l, size_t extra);
void ls_leaf_grow_values(ls_leaf *l, size_t extra);
/* Appends slots [s0, s0+ns) of s (same type as d), whose values are [v0, v0+nv), to d.
 * The caller has checked both ranges against s. */
void ls_leaf_append_slots(ls_leaf *d, const ls_leaf *s, size_t s0, size_t ns, size_t v0, size_t nv);

static inline void ls_leaf_level(ls_leaf *l, int def, int rep)
{
    if (LS_UNLIKELY(l->n == l->cap))
        ls_leaf_grow_levels(l, 1);
    if (l->def)
        l->def[l->n] = (uint8_t)def;
    if (l->rep)
        l->rep[l->n] = (uint8_t)rep;
    l->n++;
}
/* A null/absent slot at definition level def. */
static inline void ls_leaf_null(ls_leaf *l, int def, int rep) { ls_leaf_level(l, def, rep); }

static inline void ls_leaf_push_bool(ls_leaf *l, int rep, bool v)
{
    ls_leaf_level(l, l->max_def, rep);
    if (LS_UNLIKELY(l->n_values == l->vcap))
        ls_leaf_grow_values(l, 1);
    ((uint8_t *)l->values)[l->n_values++] = v;
}
static inline void ls_leaf_push_i32(ls_leaf *l, int rep, int32_t v)
{
    ls_leaf_level(l, l->max_def, rep);
    if (LS_UNLIKELY(l->n_values == l->vcap))
        ls_leaf_grow_values(l, 1);
    ((int32_t *)l->values)[l->n_values++] = v;
}
static inline void ls_leaf_push_i64(ls_leaf *l, int rep, int64_t v)
{
    ls_leaf_level(l, l->max_def, rep);
    if (LS_UNLIKELY(l->n_values == l->vcap))
        ls_leaf_grow_values(l, 1);
    ((int64_t *)l->values)[l->n_values++] = v;
}
static inline void ls_leaf_push_f32(ls_leaf *l, int rep, float v)
{
    ls_leaf_level(l, l->max_def, rep);
    if (LS_UNLIKELY(l->n_values == l->vcap))
        ls_leaf_grow_values(l, 1);
    ((float *)l->values)[l->n_values++] = v;
}
static inline void ls_leaf_push_f64(ls_leaf *l, int rep, double v)
{
    ls_leaf_level(l, l->max_def, rep);
    if (LS_UNLIKELY(l->n_values == l->vcap))
        ls_leaf_grow_values(l, 1);
    ((double *)l->values)[l->n_values++] = v;
}
static inline void ls_leaf_push_i128(ls_leaf *l, int rep, const uint8_t v[16])
{
    ls_leaf_level(l, l->max_def, rep);
    if (LS_UNLIKELY(l->n_values == l->vcap))
        ls_leaf_grow_values(l, 1);
    memcpy((uint8_t *)l->values + 16 * l->n_values++, v, 16);
}
static inline void ls_leaf_push_bytes(ls_leaf *l, int rep, const void *p, size_t len)
{
    ls_leaf_level(l, l->max_def, rep);
    if (LS_UNLIKELY(l->n_values == l->vcap))
        ls_leaf_grow_values(l, 1);
    ls_buf_append(&l->bytes, p, len);
    l->offsets[++l->n_values] = l->bytes.len;
}
/* Removes the last slot (and its value if it had one); used to undo a partial row. */
void ls_leaf_truncate(ls_leaf *l, size_t n_slots);
static inline const uint8_t *ls_leaf_bytes_at(const ls_leaf *l, size_t i, size_t *len)
{
    *len = (size_t)(l->offsets[i + 1] - l->offsets[i]);
    return l->bytes.data + l->offsets[i];
}

/* ---- NDJSON -> batch (col_json.c) ------------------------------------- */

typedef struct ls_json_opts {
    /* When true, a value that does not fit its column is an error naming line and field;
     * when false it is nulled and reported through the rescued callback (ingest). */
    bool strict;
    bool ignore_unknown_fields; /* fields not in the schema are skipped silently */
    /* (Timestamps without an offset are read as UTC, Spark's default with session tz UTC.) */
} ls_json_opts;

typedef struct ls_json_reader ls_json_reader;
/* The reader shreds NDJSON lines straight into the batch's leaves (no DOM). */
ls_json_reader *ls_json_reader_new(const ls_schema *schema, const ls_json_opts *opts);
void ls_json_reader_free(ls_json_reader *r);
/* Parses one line (without its newline) into one row of batch. line_no is for messages.
 * On error the batch is left exactly as before the call. Rescued fields (non-strict) are
 * appended as a JSON object text to *rescued (if non-NULL) and the fields set to null. */
int ls_json_read_line(ls_json_reader *r, ls_batch *batch, const char *line, size_t len,
                      uint64_t line_no, ls_buf *rescued, ls_error *err);
/* Parses a whole buffer of NDJSON (lines separated by \n, \r\n tolerated, blank lines
 * skipped). Stops at the first error (strict). *lines_read counts lines consumed. */
int ls_json_read_buffer(ls_json_reader *r, ls_batch *batch, const char *data, size_t len,
                        uint64_t first_line_no, uint64_t *lines_read, ls_error *err);

/* Schema inference from NDJSON samples: ints widen to BIGINT then DOUBLE; mixed
 * types become STRING; objects become STRUCT (fields in first-seen order), arrays
 * LIST of the merged element type; all-null fields become STRING. Strings that all
 * parse as ISO timestamps with offset become TIMESTAMP. */
typedef struct ls_infer ls_infer;
ls_infer *ls_infer_new(void);
void ls_infer_free(ls_infer *inf);
int ls_infer_line(ls_infer *inf, const char *line, size_t len, uint64_t line_no, ls_error *err);
/* Builds the schema (finalized). */
int ls_infer_schema(ls_infer *inf, ls_schema **out, ls_error *err);

/* ---- CSV -> JSON lines / batch (col_csv.c) ------------------------------
 * Records (RFC 4180): fields split by a delimiter (',' by default), records by
 * LF or CRLF. A field starting with '"' is quoted and may hold delimiters, line
 * breaks and doubled quotes (""). Errors: a '"' inside an unquoted field,
 * anything but a delimiter or line end after a closing quote, a quoted field
 * still open at the end of input. A lone CR inside an unquoted field is data;
 * a CR at the very end of the input ends the record. A UTF-8 BOM at the start
 * of the input is skipped. A record of one empty unquoted field (a blank line)
 * carries no row: the readers skip it.
 * Values: an empty UNQUOTED field is null; a QUOTED empty field ("") is the
 * empty string for STRING/BINARY and untyped columns, null for other types.
 * Typed conversion goes through the JSON shredder (one set of value rules):
 * numbers may have a '+', leading zeros, "1." or ".5"; booleans are true/false
 * in any case; DATE/TIMESTAMP/DECIMAL/BINARY(base64)/NaN/Infinity text as for
 * JSON strings; nested columns hold JSON text (what `cat --format csv` writes).
 * A value that does not convert fails with "line N: field NAME: ...".
 * Untyped columns (not in the schema, or inference): unquoted true/false and
 * JSON-grammar numbers are guessed, anything else is a string.
 * Limits: at most max_fields fields and max_record_bytes raw bytes per record;
 * beyond that the record is an LS_ERR_LIMIT error and its rest is skipped, so
 * memory stays bounded however long a hostile record is. */
#define LS_CSV_MAX_FIELDS 65536
#define LS_CSV_MAX_RECORD ((size_t)64 << 20)

typedef struct ls_csv_opts {
    char delim;              /* 0 = ',' */
    size_t max_fields;       /* 0 = LS_CSV_MAX_FIELDS */
    size_t max_record_bytes; /* 0 = LS_CSV_MAX_RECORD */
} ls_csv_opts;

typedef enum ls_csv_errkind {
    LS_CSV_OK,
    LS_CSV_E_UNTERMINATED, /* quoted field open at the end of input */
    LS_CSV_E_QUOTE,        /* '"' inside an unquoted field */
    LS_CSV_E_AFTER_QUOTE,  /* garbage after a closing quote */
    LS_CSV_E_FIELDS,       /* more than max_fields fields */
    LS_CSV_E_BYTES,        /* record longer than max_record_bytes */
} ls_csv_errkind;

/* Incremental tokenizer. A zeroed struct is a valid tokenizer with default options.
 * Feed it the unconsumed input p[0..n) (which may end mid-record); after every call
 * drop the first *used bytes, then:
 *   rc != LS_OK     : a bad record (err says line and why; t->line is its first line,
 *                     t->last_error its kind); its bytes are skipped by *used and later
 *                     calls, so a lenient caller may go on, a strict one stops;
 *   *got            : a record is in n_fields/text/off/quoted until the next call;
 *   !*got, *used > 0: skipped input, call again;
 *   !*got, *used==0 : need more input: call again with the same bytes plus more
 *                     (scanning resumes where it stopped), or, at eof, the end.
 * lines_read counts input lines consumed (a last line without '\n' counts at eof);
 * set it when starting mid-input, while at a record boundary. */
typedef struct ls_csv_tok {
    ls_csv_opts opts;
    /* the last record: field i = text[off[i] .. off[i+1]), quoted[i] */
    size_t n_fields;
    ls_buf text;
    size_t *off;
    bool *quoted;
    uint64_t line;       /* first line of the last record (or bad record) */
    uint64_t lines_read; /* lines consumed so far */
    ls_csv_errkind last_error;
    /* internal state */
    size_t cap, pos;
    uint64_t nl, qline;
    int st, mode;
    bool in_rec, started, mid_line;
} ls_csv_tok;

void ls_csv_tok_init(ls_csv_tok *t, const ls_csv_opts *opts); /* opts may be NULL */
/* Forgets any partial record, position, line count and BOM state (new input). */
void ls_csv_tok_reset(ls_csv_tok *t);
void ls_csv_tok_free(ls_csv_tok *t);
int ls_csv_next(ls_csv_tok *t, const char *p, size_t n, bool eof, size_t *used, bool *got,
                ls_error *err);
static inline const char *ls_csv_field(const ls_csv_tok *t, size_t i, size_t *len)
{
    *len = t->off[i + 1] - t->off[i];
    return (const char *)t->text.data + t->off[i];
}
/* A blank line: one empty unquoted field. */
static inline bool ls_csv_blank(const ls_csv_tok *t)
{
    return t->n_fields == 1 && t->off[1] == 0 && !t->quoted[0];
}

/* Header: column names, each bound to a top-level schema field (case-insensitive)
 * or NULL (untyped). JSON keys are the schema's spelling when bound. */
typedef struct ls_csv_header {
    size_t n;
    uint64_t line;
    ls_buf names; /* name i = names[name_off[i] .. name_off[i+1]) */
    size_t *name_off;
    const ls_field **cols;
    ls_buf keys; /* `"name":` of column i = keys[key_off[i] .. key_off[i+1]) */
    size_t *key_off;
} ls_csv_header;

/* Takes the names from the tokenizer's current record (all columns unbound). */
void ls_csv_header_set(ls_csv_header *h, const ls_csv_tok *rec);
/* Binds the columns to schema's top-level fields. strict: a name that is not in the
 * schema, or two names for one field, is an error (unbound columns stay NULL else). */
int ls_csv_header_bind(ls_csv_header *h, const ls_schema *schema, bool strict, ls_error *err);
void ls_csv_header_free(ls_csv_header *h);
/* Appends the record as one JSON object line (no newline) keyed by the header.
 * Errors (out unchanged): field count differs from the header's, invalid UTF-8. */
int ls_csv_record_json(const ls_csv_header *h, const ls_csv_tok *rec, ls_buf *out,
                       ls_error *err);

/* Strict reader: header line, then records shredded into a batch of `schema`
 * (header names must be schema columns; absent columns are null). */
typedef struct ls_csv_reader ls_csv_reader;
ls_csv_reader *ls_csv_reader_new(const ls_schema *schema, const ls_csv_opts *opts);
void ls_csv_reader_free(ls_csv_reader *r);
/* Reads complete records of p[0..n) into batch, at most max_rows rows; *used bytes
 * were consumed (drop them). Fewer rows than max_rows means it needs more input (or,
 * at eof, is done). Stops at the first error, the batch then holding the rows
 * before the bad one. */
int ls_csv_read(ls_csv_reader *r, ls_batch *batch, const char *p, size_t n, bool eof,
                size_t max_rows, size_t *used, ls_error *err);

/* ---- batch -> text (col_fmt.c) -----------------------------------------
 * Record assembly from levels, with lakestream's documented, stable value
 * formatting: integers exact; FLOAT/DOUBLE shortest round-trip text, NaN and
 * +-Infinity as the JSON strings "NaN", "Infinity", "-Infinity"; STRING as JSON
 * strings; BINARY base64; DATE "YYYY-MM-DD"; TIMESTAMP "YYYY-MM-DDTHH:MM:SS.ffffffZ";
 * TIMESTAMP_NTZ the same without Z; DECIMAL exact text ("-12.30"), as a JSON string
 * when precision > 15 (so it survives JSON parsers) and as a number otherwise;
 * LIST as arrays, STRUCT as objects, MAP as objects keyed by the key's text.
 * NDJSON omits nothing: nulls are written as null. CSV: header line of top-level
 * names, nested values as their JSON text, RFC 4180 quoting. */
typedef enum ls_text_format { LS_FMT_NDJSON, LS_FMT_CSV } ls_text_format;
/* Appends rows [row_begin, row_end) of b; CSV header when with_header. */
int ls_batch_format(const ls_batch *b, size_t row_begin, size_t row_end, ls_text_format fmt,
                    bool with_header, ls_buf *out, ls_error *err);
/* Formats one non-null leaf value i (index into the dense values) as JSON text. */
void ls_leaf_format_value(const ls_leaf *l, size_t i, ls_buf *out);

#endif
