/*
 * pq_reader.c - the Parquet reader: footer checks, Parquet schema -> ls_schema
 * mapping (LogicalTypes.md incl. the backward-compatibility rules for LIST and
 * MAP), page-by-page decoding of column chunks into ls_batch leaves, and
 * ls_pq_meta_json.
 *
 * Design:
 *   - Each projected leaf has a column cursor (colr) over its chunk in the
 *     current row group. Pages are read one at a time through a small
 *     read-ahead window, decompressed into a per-column page buffer, and their
 *     levels decoded whole into per-column level arrays. Memory is bounded by
 *     the page sizes (and the per-page slot cap), never by the row group.
 *   - Values are emitted densely into the leaf straight from the page: PLAIN
 *     fixed-width values are copied (or converted) from the page bytes,
 *     dictionary pages are converted once to the leaf representation so data
 *     pages only gather, other encodings decode the page into a scratch array.
 *   - A batch is cut at row boundaries (rep level 0); a row may continue in
 *     the next v1 page, so a column peeks at the next page before finishing.
 *
 * Type mapping decisions (documented here because col.h has no TIME/unsigned):
 *   TIME (any unit)  -> BIGINT microseconds after midnight
 *   UINT_8/16/32     -> SMALLINT/INT/BIGINT (as Spark); UINT_64 -> DECIMAL(20,0)
 *   INT96            -> TIMESTAMP (Julian day + nanos, converted to micros)
 *   FLOAT16          -> FLOAT;  UUID -> STRING "xxxxxxxx-xxxx-..."
 *   unannotated BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY, BSON, INTERVAL, GEOMETRY,
 *   GEOGRAPHY        -> BINARY;  ENUM/JSON -> STRING
 *   DECIMAL precision > 38 -> refused (LS_ERR_UNSUPPORTED)
 *   optional MAP keys (Presto/Athena files) -> required keys; a null key is an error.
 */
#include "parquet.h"

#include "pq_codec.h"
#include "pq_enc.h"
#include "pq_meta.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define PQ_MAX_SLOTS_PER_PAGE ((size_t)1 << 26) /* level entries decoded from one page */
#define PQ_HDR_WINDOW 4096
#define PQ_HDR_MAX ((size_t)64 << 20)
/* Default rows per batch. Every buffer a batch touches is fresh memory the first time,
 * and first touches dominate the reading of small files (on the VMs we measure, a page
 * fault costs ~13 us: 8 MiB of new memory cost more than decoding 200k rows). 8192 rows
 * keep a batch of a wide table within a few MiB and in cache; larger batches were not
 * faster on big files either (measured: ~10% slower at 65,536 on 1.6M rows). */
#define PQ_DEFAULT_BATCH_ROWS 8192
/* Read-ahead windows: all columns together, and the bounds per column. A window only
 * saves read calls (each page header + body fetch is one ls_input_read otherwise); it
 * grows to the largest page the column borrows from it (uncompressed chunks), while
 * larger compressed pages are read into one buffer shared by all columns. */
#define PQ_READAHEAD_TOTAL ((size_t)1 << 20)
#define PQ_READAHEAD_MIN ((size_t)16 << 10)
#define PQ_READAHEAD_MAX ((size_t)256 << 10)

/* ---- small helpers ----------------------------------------------------- */

void ls_pq_read_opts_default(ls_pq_read_opts *o)
{
    memset(o, 0, sizeof *o);
    o->batch_rows = PQ_DEFAULT_BATCH_ROWS;
    o->verify_crc = false;
    o->max_page_bytes = (uint64_t)1 << 30;
}

static const char *enc_name(int e)
{
    const char *s = pq_encoding_name(e);
    return s ? s : "UNKNOWN";
}
static const char *type_name(int t)
{
    const char *s = pq_type_name(t);
    return s ? s : "UNKNOWN";
}
static const char *codec_name(int c)
{
    const char *s = pq_codec_name(c);
    return s ? s : "UNKNOWN";
}

/* ---- Parquet schema tree ---------------------------------------------- */

typedef struct pnode pnode;
struct pnode {
    const pq_schema_element *se;
    int n_children;
    pnode *children;
    pnode *parent;
    int max_def, max_rep; /* Parquet levels reached at this node */
    int leaf;             /* Parquet column index for leaves, -1 for groups */
    bool dropped;         /* OPTIONAL node mapped to a non-nullable ls field (map keys) */
};

/* Converters from a Parquet physical value to the leaf's in-memory value. */
enum cv {
    CV_BOOL,
    CV_ID4,       /* INT32/FLOAT -> 4 bytes */
    CV_ID8,       /* INT64/DOUBLE -> 8 bytes */
    CV_I32_I64,   /* sign-extend */
    CV_U32_I64,   /* UINT_32 */
    CV_I32_I128,
    CV_I64_I32,   /* DECIMAL(p<=9) stored in INT64: checked narrowing */
    CV_I64_I128,
    CV_U64_I128,  /* UINT_64 -> DECIMAL(20,0) */
    CV_MS32_US64, /* TIME(MILLIS) int32 -> micros */
    CV_MS64_US64, /* TIMESTAMP(MILLIS) -> micros (checked) */
    CV_NS64_US64, /* NANOS -> micros (floor) */
    CV_INT96_US,
    CV_F16_F32,
    CV_BE_DEC,    /* big-endian two's complement (FLBA/BYTE_ARRAY) -> I32/I64/I128 */
    CV_BYTES,     /* BYTE_ARRAY/FLBA -> bytes */
    CV_UUID,      /* FLBA(16) -> 36-char text */
};

typedef struct pq_leafinfo {
    const pq_schema_element *se;
    const pnode *node;
    int ptype;       /* enum pq_type */
    int type_length; /* FLBA width */
    int max_def, max_rep;
    int conv;        /* enum cv */
    ls_phys phys;    /* leaf in-memory representation */
    int dest_w;      /* bytes per value for fixed phys, 0 for BYTES */
    char *path;      /* dotted Parquet path, for messages */
    uint8_t *def_map; /* Parquet def -> ls def (255 = invalid), NULL when identity */
    uint8_t rep_def[LS_MAX_NESTING + 2]; /* def level of the r-th repeated ancestor */
} pq_leafinfo;

/* ---- value sources and sinks ------------------------------------------- */

enum { SRC_NONE, SRC_FIXED, SRC_PLAIN_BA, SRC_VAR, SRC_DICT };

typedef struct vsrc {
    int kind;
    const uint8_t *fx; /* SRC_FIXED: values of width w */
    size_t w;
    const uint8_t *ba, *ba_end; /* SRC_PLAIN_BA: next length-prefixed value */
    const uint64_t *voffs;      /* SRC_VAR: offsets into vdata */
    const uint8_t *vdata;
    const uint32_t *idx; /* SRC_DICT */
    size_t pos;          /* values consumed (not used by SRC_PLAIN_BA) */
    size_t n;            /* values available */
} vsrc;

typedef struct vout {
    uint8_t *fx;    /* next fixed-width destination */
    uint64_t *offs; /* BYTES: offs[0] is the current end; offs[1..] are written */
    ls_buf *bytes;
} vout;

/* A dictionary converted to the leaf representation. */
typedef struct pq_dict {
    size_t n;
    uint8_t *fx;
    size_t fx_cap;
    uint64_t *offs;
    size_t offs_cap;
    ls_buf bytes;
} pq_dict;

/* ---- the reader -------------------------------------------------------- */

typedef struct colr {
    int leaf; /* file leaf index */
    const pq_leafinfo *li;
    int rg;
    uint64_t chunk_start, chunk_end, pos;
    int codec;
    int64_t chunk_values; /* ColumnMetaData.num_values */
    int64_t values_seen;  /* sum of page num_values so far */
    uint64_t rows_seen;
    bool started, data_seen, have_dict;
    uint8_t last_def;
    /* read-ahead window over the chunk */
    ls_buf ra;
    uint64_t ra_off;
    pq_dict dict;
    /* current page */
    uint64_t page_off;
    size_t pg_n, pg_pos, pg_nn;
    uint8_t *def, *rep;
    size_t lvl_cap;
    vsrc src;
    ls_buf page;    /* decompressed page */
    ls_buf decoded; /* decoded fixed-width values */
    uint32_t *idx;
    size_t idx_cap;
    uint64_t *voffs;
    size_t voffs_cap;
    ls_buf vbytes;
} colr;

struct ls_pq_reader {
    ls_input *in;
    const char *name;
    ls_pq_read_opts opts;
    uint64_t file_size, data_end;
    ls_arena arena; /* footer */
    pq_file_meta meta;
    pnode root;
    int n_leaves;
    pq_leafinfo *leaves;
    ls_schema *schema;
    ls_schema *out; /* projected schema, or NULL = schema */
    int n_out;
    int *proj; /* out leaf -> file leaf */
    bool *keep;
    uint64_t num_rows;
    bool started, failed;
    int cur_rg; /* -1 before the first */
    uint64_t rg_left;
    uint64_t cur_row0;   /* file row index of the first row of cur_rg */
    uint64_t batch_row0; /* ... of the first row of the last batch */
    colr *cols;
    size_t readahead;
    size_t slot_cap;
    uint64_t batch_bytes; /* value + level bytes emitted into the current batch */
    uint64_t batch_hard;  /* LS_ERR_LIMIT beyond this */
    bool pad_chunks;      /* PARQUET-816 writer */
    ls_arena scratch; /* page headers */
    ls_buf body;      /* large compressed page bodies of all columns (see col_next_page) */
    pq_codec_ctx *codec;
};

/* Writes "<file>: column <path>, row group <g>, offset <o>: <msg>" into err. */
static int cerr(ls_error *err, const ls_pq_reader *r, const colr *c, int code, uint64_t off,
                const char *fmt, ...) LS_PRINTF(6, 7);
static int cerr(ls_error *err, const ls_pq_reader *r, const colr *c, int code, uint64_t off,
                const char *fmt, ...)
{
    char msg[LS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ls_err(err, code, "%s: column %s, row group %d, offset %llu: %s", r->name,
                  c->li->path, c->rg, (unsigned long long)off, msg);
}

/* Prefixes an error from a lower layer (pq_enc, pq_codec, pq_meta, io). */
static int cprefix(ls_error *err, const ls_pq_reader *r, const colr *c, uint64_t off, int rc)
{
    if (err)
        ls_err_prefix(err, "%s: column %s, row group %d, offset %llu", r->name, c->li->path,
                      c->rg, (unsigned long long)off);
    return rc;
}

/* ---- footer -------------------------------------------------------------- */

/* Reads the footer of in into meta (allocated from arena). *data_end receives
 * the offset where the footer begins (column data must end before it). */
static int read_footer(ls_input *in, ls_arena *arena, pq_file_meta *meta, uint64_t *data_end,
                       ls_error *err)
{
    const char *name = ls_input_name(in);
    uint64_t size = ls_input_size(in);
    if (size < 12)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: file is %llu bytes, too small to be a Parquet file (needs >= 12)", name,
                      (unsigned long long)size);
    uint8_t head[4], tail[8];
    int rc = ls_input_read(in, 0, 4, head, err);
    if (!rc)
        rc = ls_input_read(in, size - 8, 8, tail, err);
    if (rc)
        return rc;
    if (memcmp(tail + 4, "PARE", 4) == 0 || memcmp(head, "PARE", 4) == 0)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "%s: encrypted Parquet files are not supported (magic \"PARE\")", name);
    if (memcmp(tail + 4, "PAR1", 4) != 0)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: no \"PAR1\" magic at the end of the file (offset %llu); not a Parquet "
                      "file or truncated",
                      name, (unsigned long long)(size - 4));
    if (memcmp(head, "PAR1", 4) != 0)
        return ls_err(err, LS_ERR_CORRUPT, "%s: no \"PAR1\" magic at offset 0", name);
    uint32_t flen = ls_load_u32le(tail);
    if ((uint64_t)flen > size - 12)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: footer length %u (at offset %llu) exceeds the file size %llu", name,
                      flen, (unsigned long long)(size - 8), (unsigned long long)size);
    uint64_t foff = size - 8 - flen;
    uint8_t *buf = ls_xmalloc(flen ? flen : 1);
    rc = ls_input_read(in, foff, flen, buf, err);
    if (!rc) {
        rc = pq_parse_file_meta(buf, flen, arena, meta, err);
        if (rc)
            ls_err_prefix(err, "%s: footer (FileMetaData at offset %llu, %u bytes)", name,
                          (unsigned long long)foff, flen);
    }
    free(buf);
    *data_end = foff;
    return rc;
}

/* ---- schema tree --------------------------------------------------------- */

static int node_rep(const pnode *n)
{
    return n->se->has_repetition ? n->se->repetition : PQ_REQUIRED;
}

static int build_node(const pq_file_meta *m, int *idx, pnode *n, pnode *parent, int depth,
                      int *n_leaves, ls_arena *a, const char *fname, ls_error *err)
{
    if (*idx >= m->n_schema)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: schema: element list ends early (%d elements, more children declared)",
                      fname, m->n_schema);
    if (depth > LS_MAX_NESTING)
        return ls_err(err, LS_ERR_UNSUPPORTED, "%s: schema nested deeper than %d levels", fname,
                      LS_MAX_NESTING);
    int my = (*idx)++;
    const pq_schema_element *se = &m->schema[my];
    memset(n, 0, sizeof *n);
    n->se = se;
    n->parent = parent;
    n->leaf = -1;
    const char *nm = se->name ? se->name : "";
    if (parent) {
        int rep = node_rep(n);
        if (rep < PQ_REQUIRED || rep > PQ_REPEATED)
            return ls_err(err, LS_ERR_CORRUPT,
                          "%s: schema element %d ('%s') has invalid repetition %d", fname, my,
                          nm, rep);
        n->max_def = parent->max_def + (rep != PQ_REQUIRED);
        n->max_rep = parent->max_rep + (rep == PQ_REPEATED);
    }
    bool group = se->has_num_children && se->num_children > 0;
    if (!parent && !group) {
        n->n_children = 0; /* a schema without columns */
        return LS_OK;
    }
    if (group) {
        if (se->num_children > m->n_schema - *idx)
            return ls_err(err, LS_ERR_CORRUPT,
                          "%s: schema element %d ('%s') declares %d children but only %d "
                          "elements follow",
                          fname, my, nm, se->num_children, m->n_schema - *idx);
        n->n_children = se->num_children;
        n->children = ls_arena_calloc(a, (size_t)se->num_children * sizeof(pnode));
        for (int i = 0; i < n->n_children; i++) {
            int rc = build_node(m, idx, &n->children[i], n, depth + 1, n_leaves, a, fname, err);
            if (rc)
                return rc;
        }
        return LS_OK;
    }
    if (!se->has_type) {
        if (se->has_num_children)
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "%s: schema element %d ('%s') is an empty group", fname, my, nm);
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: schema element %d ('%s') has neither a type nor children", fname, my,
                      nm);
    }
    if (se->type < PQ_BOOLEAN || se->type > PQ_FIXED_LEN_BYTE_ARRAY)
        return ls_err(err, LS_ERR_CORRUPT, "%s: schema element %d ('%s') has unknown type %d",
                      fname, my, nm, se->type);
    if (se->type == PQ_FIXED_LEN_BYTE_ARRAY &&
        (!se->has_type_length || se->type_length <= 0 || se->type_length > (1 << 24)))
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: schema element %d ('%s'): FIXED_LEN_BYTE_ARRAY with invalid length %d",
                      fname, my, nm, se->has_type_length ? se->type_length : -1);
    n->leaf = (*n_leaves)++;
    return LS_OK;
}

static void collect_leaves(pnode *n, pq_leafinfo *out)
{
    if (n->leaf >= 0) {
        out[n->leaf].node = n;
        return;
    }
    for (int i = 0; i < n->n_children; i++)
        collect_leaves(&n->children[i], out);
}

/* Fills path, levels, rep_def and def_map of a leaf from its node chain. */
static void leafinfo_init(pq_leafinfo *li)
{
    const pnode *chain[LS_MAX_NESTING + 2];
    int n = 0;
    for (const pnode *p = li->node; p && p->parent && n < LS_MAX_NESTING + 1; p = p->parent)
        chain[n++] = p;
    ls_buf b = {0};
    bool any_drop = false;
    int r = 0;
    for (int i = n - 1; i >= 0; i--) {
        if (b.len)
            ls_buf_putc(&b, '.');
        ls_buf_puts(&b, chain[i]->se->name ? chain[i]->se->name : "");
        if (node_rep(chain[i]) == PQ_REPEATED)
            li->rep_def[++r] = (uint8_t)chain[i]->max_def;
        any_drop |= chain[i]->dropped;
    }
    li->path = ls_xstrdup(b.len ? ls_buf_cstr(&b) : "");
    ls_buf_free(&b);
    li->se = li->node->se;
    li->ptype = li->se->type;
    li->type_length = li->se->has_type_length ? li->se->type_length : 0;
    li->max_def = li->node->max_def;
    li->max_rep = li->node->max_rep;
    if (any_drop) {
        /* kept[k]: whether the k-th definition increment along the path exists in ls */
        bool kept[LS_MAX_NESTING + 2];
        int k = 0;
        for (int i = n - 1; i >= 0; i--)
            if (node_rep(chain[i]) != PQ_REQUIRED)
                kept[++k] = !chain[i]->dropped;
        li->def_map = ls_xmalloc((size_t)li->max_def + 1);
        int d_ls = 0;
        for (int d = 0; d <= li->max_def; d++) {
            if (d > 0 && kept[d])
                d_ls++;
            li->def_map[d] = (d < li->max_def && !kept[d + 1]) ? 255 : (uint8_t)d_ls;
        }
    }
}

/* ---- Parquet -> ls schema ---------------------------------------------- */

enum ann_kind {
    A_NONE, A_STRING, A_ENUM, A_JSON, A_BSON, A_UUID, A_DECIMAL, A_DATE, A_TIME, A_TS, A_INT,
    A_F16, A_INTERVAL, A_BINARY, A_LIST, A_MAP,
};

typedef struct ann {
    int kind;
    int precision, scale;
    int unit; /* enum pq_time_unit */
    bool utc;
    int bits;
    bool is_signed;
} ann;

/* Normalizes LogicalType (preferred) or ConvertedType into one annotation. */
static ann get_ann(const pq_schema_element *se)
{
    ann a = {0};
    a.kind = A_NONE;
    if (se->has_logical) {
        const pq_logical *l = &se->logical;
        switch (l->kind) {
        case PQ_LT_STRING: a.kind = A_STRING; return a;
        case PQ_LT_MAP: a.kind = A_MAP; return a;
        case PQ_LT_LIST: a.kind = A_LIST; return a;
        case PQ_LT_ENUM: a.kind = A_ENUM; return a;
        case PQ_LT_DECIMAL:
            a.kind = A_DECIMAL;
            a.precision = l->precision;
            a.scale = l->scale;
            return a;
        case PQ_LT_DATE: a.kind = A_DATE; return a;
        case PQ_LT_TIME:
            a.kind = A_TIME;
            a.unit = l->unit;
            a.utc = l->is_adjusted_to_utc;
            return a;
        case PQ_LT_TIMESTAMP:
            a.kind = A_TS;
            a.unit = l->unit;
            a.utc = l->is_adjusted_to_utc;
            return a;
        case PQ_LT_INTEGER:
            a.kind = A_INT;
            a.bits = l->bit_width;
            a.is_signed = l->is_signed;
            return a;
        case PQ_LT_JSON: a.kind = A_JSON; return a;
        case PQ_LT_BSON: a.kind = A_BSON; return a;
        case PQ_LT_UUID: a.kind = A_UUID; return a;
        case PQ_LT_FLOAT16: a.kind = A_F16; return a;
        case PQ_LT_GEOMETRY:
        case PQ_LT_GEOGRAPHY: a.kind = A_BINARY; return a;
        case PQ_LT_UNKNOWN: return a; /* always-null column: physical type */
        default: break;             /* VARIANT (a group), unknown ids: fall back */
        }
    }
    if (!se->has_converted_type)
        return a;
    switch (se->converted_type) {
    case PQ_CT_UTF8: a.kind = A_STRING; break;
    case PQ_CT_MAP:
    case PQ_CT_MAP_KEY_VALUE: a.kind = A_MAP; break;
    case PQ_CT_LIST: a.kind = A_LIST; break;
    case PQ_CT_ENUM: a.kind = A_ENUM; break;
    case PQ_CT_DECIMAL:
        a.kind = A_DECIMAL;
        a.precision = se->has_precision ? se->precision : 0;
        a.scale = se->has_scale ? se->scale : 0;
        break;
    case PQ_CT_DATE: a.kind = A_DATE; break;
    case PQ_CT_TIME_MILLIS: a.kind = A_TIME; a.unit = PQ_UNIT_MILLIS; a.utc = true; break;
    case PQ_CT_TIME_MICROS: a.kind = A_TIME; a.unit = PQ_UNIT_MICROS; a.utc = true; break;
    case PQ_CT_TIMESTAMP_MILLIS: a.kind = A_TS; a.unit = PQ_UNIT_MILLIS; a.utc = true; break;
    case PQ_CT_TIMESTAMP_MICROS: a.kind = A_TS; a.unit = PQ_UNIT_MICROS; a.utc = true; break;
    case PQ_CT_UINT_8: a.kind = A_INT; a.bits = 8; break;
    case PQ_CT_UINT_16: a.kind = A_INT; a.bits = 16; break;
    case PQ_CT_UINT_32: a.kind = A_INT; a.bits = 32; break;
    case PQ_CT_UINT_64: a.kind = A_INT; a.bits = 64; break;
    case PQ_CT_INT_8: a.kind = A_INT; a.bits = 8; a.is_signed = true; break;
    case PQ_CT_INT_16: a.kind = A_INT; a.bits = 16; a.is_signed = true; break;
    case PQ_CT_INT_32: a.kind = A_INT; a.bits = 32; a.is_signed = true; break;
    case PQ_CT_INT_64: a.kind = A_INT; a.bits = 64; a.is_signed = true; break;
    case PQ_CT_JSON: a.kind = A_JSON; break;
    case PQ_CT_BSON: a.kind = A_BSON; break;
    case PQ_CT_INTERVAL: a.kind = A_INTERVAL; break;
    default: break;
    }
    return a;
}

typedef struct lmap {
    ls_type t;
    int precision, scale;
    int conv;
} lmap;

static int dec_width(int precision) { return precision <= 9 ? 4 : precision <= 18 ? 8 : 16; }

/* Chooses the ls type and converter of a primitive leaf. */
static int map_leaf(const char *fname, const pnode *n, lmap *o, ls_error *err)
{
    const pq_schema_element *se = n->se;
    ann a = get_ann(se);
    int pt = se->type;
    const char *nm = se->name ? se->name : "";
    memset(o, 0, sizeof *o);
    if (a.kind == A_DECIMAL &&
        (pt == PQ_INT32 || pt == PQ_INT64 || pt == PQ_BYTE_ARRAY ||
         pt == PQ_FIXED_LEN_BYTE_ARRAY)) {
        if (a.precision < 1 || a.scale < 0 || a.scale > a.precision)
            return ls_err(err, LS_ERR_CORRUPT, "%s: column '%s': invalid DECIMAL(%d,%d)", fname,
                          nm, a.precision, a.scale);
        if (a.precision > 38)
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "%s: column '%s': DECIMAL(%d,%d) has more than 38 digits (not "
                          "supported)",
                          fname, nm, a.precision, a.scale);
        o->t = LS_DECIMAL;
        o->precision = a.precision;
        o->scale = a.scale;
        int w = dec_width(a.precision);
        if (pt == PQ_INT32)
            o->conv = w == 4 ? CV_ID4 : w == 8 ? CV_I32_I64 : CV_I32_I128;
        else if (pt == PQ_INT64)
            o->conv = w == 4 ? CV_I64_I32 : w == 8 ? CV_ID8 : CV_I64_I128;
        else
            o->conv = CV_BE_DEC;
        return LS_OK;
    }
    switch (pt) {
    case PQ_BOOLEAN: o->t = LS_BOOLEAN; o->conv = CV_BOOL; break;
    case PQ_INT32:
        o->t = LS_INT32;
        o->conv = CV_ID4;
        if (a.kind == A_DATE)
            o->t = LS_DATE;
        else if (a.kind == A_TIME && a.unit == PQ_UNIT_MILLIS) {
            o->t = LS_INT64;
            o->conv = CV_MS32_US64;
        } else if (a.kind == A_INT && a.bits <= 32) {
            if (a.is_signed)
                o->t = a.bits == 8 ? LS_INT8 : a.bits == 16 ? LS_INT16 : LS_INT32;
            else if (a.bits == 8)
                o->t = LS_INT16;
            else if (a.bits == 16)
                o->t = LS_INT32;
            else {
                o->t = LS_INT64;
                o->conv = CV_U32_I64;
            }
        }
        break;
    case PQ_INT64:
        o->t = LS_INT64;
        o->conv = CV_ID8;
        if (a.kind == A_TS || a.kind == A_TIME) {
            if (a.kind == A_TS)
                o->t = a.utc ? LS_TIMESTAMP : LS_TIMESTAMP_NTZ;
            if (a.unit == PQ_UNIT_MILLIS)
                o->conv = CV_MS64_US64;
            else if (a.unit == PQ_UNIT_NANOS)
                o->conv = CV_NS64_US64;
            else if (a.unit != PQ_UNIT_MICROS)
                return ls_err(err, LS_ERR_UNSUPPORTED, "%s: column '%s': unknown time unit %d",
                              fname, nm, a.unit);
        } else if (a.kind == A_INT && a.bits == 64 && !a.is_signed) {
            o->t = LS_DECIMAL;
            o->precision = 20;
            o->scale = 0;
            o->conv = CV_U64_I128;
        }
        break;
    case PQ_INT96: o->t = LS_TIMESTAMP; o->conv = CV_INT96_US; break;
    case PQ_FLOAT: o->t = LS_FLOAT; o->conv = CV_ID4; break;
    case PQ_DOUBLE: o->t = LS_DOUBLE; o->conv = CV_ID8; break;
    case PQ_BYTE_ARRAY:
        o->conv = CV_BYTES;
        o->t = (a.kind == A_STRING || a.kind == A_ENUM || a.kind == A_JSON) ? LS_STRING
                                                                              : LS_BINARY;
        break;
    case PQ_FIXED_LEN_BYTE_ARRAY:
        o->conv = CV_BYTES;
        o->t = LS_BINARY;
        if (a.kind == A_UUID && se->type_length == 16) {
            o->t = LS_STRING;
            o->conv = CV_UUID;
        } else if (a.kind == A_F16 && se->type_length == 2) {
            o->t = LS_FLOAT;
            o->conv = CV_F16_F32;
        } else if (a.kind == A_STRING || a.kind == A_ENUM || a.kind == A_JSON) {
            o->t = LS_STRING;
        }
        break;
    default:
        return ls_err(err, LS_ERR_CORRUPT, "%s: column '%s': unknown physical type %d", fname,
                      nm, pt);
    }
    return LS_OK;
}

typedef struct mapctx {
    const char *fname;
    pq_leafinfo *leaves;
    ls_error *err;
} mapctx;

static int add_node(mapctx *mc, ls_field *parent, pnode *n, const char *name, bool force_req);

static void set_field_id(ls_field *f, const pnode *n)
{
    if (n->se->has_field_id && n->se->field_id >= 0)
        f->field_id = n->se->field_id;
}

static bool list_shape(const pnode *n)
{
    return n->n_children == 1 && node_rep(&n->children[0]) == PQ_REPEATED;
}

static bool map_shape(const pnode *n)
{
    if (n->n_children != 1)
        return false;
    const pnode *kv = &n->children[0];
    return node_rep(kv) == PQ_REPEATED && kv->leaf < 0 &&
           (kv->n_children == 1 || kv->n_children == 2);
}

static int add_list(mapctx *mc, ls_field *parent, pnode *n, const char *name, bool nullable)
{
    pnode *r = &n->children[0];
    ls_field *f = ls_field_add_child(parent, name, LS_LIST, nullable);
    set_field_id(f, n);
    const char *nname = n->se->name ? n->se->name : "";
    const char *rname = r->se->name ? r->se->name : "";
    size_t nl = strlen(nname);
    bool tuple = strlen(rname) == nl + 6 && memcmp(rname, nname, nl) == 0 &&
                 strcmp(rname + nl, "_tuple") == 0;
    if (r->leaf >= 0 ||                                    /* rule 1 */
        r->n_children > 1 ||                               /* rule 2 */
        node_rep(&r->children[0]) == PQ_REPEATED ||        /* rule 3 */
        strcmp(rname, "array") == 0 || tuple)              /* rule 4 */
        return add_node(mc, f, r, "element", true);
    return add_node(mc, f, &r->children[0], "element", false); /* rule 5: 3-level */
}

static int add_map(mapctx *mc, ls_field *parent, pnode *n, const char *name, bool nullable)
{
    pnode *kv = &n->children[0];
    if (kv->n_children == 1) {
        /* key-only map (a set): read as a list of keys, like arrow-rs */
        ls_field *f = ls_field_add_child(parent, name, LS_LIST, nullable);
        set_field_id(f, n);
        return add_node(mc, f, &kv->children[0], "element", false);
    }
    ls_field *f = ls_field_add_child(parent, name, LS_MAP, nullable);
    set_field_id(f, n);
    pnode *key = &kv->children[0];
    bool opt_key = node_rep(key) == PQ_OPTIONAL;
    if (opt_key)
        key->dropped = true; /* ls map keys are never null; a null key fails at read */
    int rc = add_node(mc, f, key, "key", opt_key);
    if (rc)
        return rc;
    return add_node(mc, f, &kv->children[1], "value", false);
}

static int add_node(mapctx *mc, ls_field *parent, pnode *n, const char *name, bool force_req)
{
    int rep = node_rep(n);
    if (rep == PQ_REPEATED && !force_req) {
        /* un-annotated repeated field: a required list of required elements */
        ls_field *l = ls_field_add_child(parent, name, LS_LIST, false);
        set_field_id(l, n);
        return add_node(mc, l, n, "element", true);
    }
    bool nullable = !force_req && rep == PQ_OPTIONAL;
    if (n->leaf < 0) {
        ann a = get_ann(n->se);
        if (a.kind == A_LIST && list_shape(n))
            return add_list(mc, parent, n, name, nullable);
        if (a.kind == A_MAP && map_shape(n))
            return add_map(mc, parent, n, name, nullable);
        ls_field *s = ls_field_add_child(parent, name, LS_STRUCT, nullable);
        set_field_id(s, n);
        for (int i = 0; i < n->n_children; i++) {
            pnode *c = &n->children[i];
            int rc = add_node(mc, s, c, c->se->name ? c->se->name : "", false);
            if (rc)
                return rc;
        }
        return LS_OK;
    }
    lmap lm;
    int rc = map_leaf(mc->fname, n, &lm, mc->err);
    if (rc)
        return rc;
    ls_field *f = ls_field_add_child(parent, name, lm.t, nullable);
    f->precision = (uint8_t)lm.precision;
    f->scale = (uint8_t)lm.scale;
    set_field_id(f, n);
    mc->leaves[n->leaf].conv = lm.conv;
    return LS_OK;
}

static int check_leaf_levels(const char *fname, const pq_leafinfo *li, const ls_field *f,
                             ls_error *err)
{
    int want_def = li->def_map ? li->def_map[li->max_def] : li->max_def;
    if (f->def_level != want_def || f->rep_level != li->max_rep)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "%s: column %s: cannot map the Parquet levels (D%d R%d) onto the schema "
                      "(D%d R%d)",
                      fname, li->path, li->max_def, li->max_rep, f->def_level, f->rep_level);
    return LS_OK;
}

/* ---- value conversion ----------------------------------------------------- */

static inline int32_t ld_i32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline int64_t ld_i64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void st_i32(uint8_t *p, int32_t v) { memcpy(p, &v, 4); }
static inline void st_i64(uint8_t *p, int64_t v) { memcpy(p, &v, 8); }
static inline void st_i128_from_i64(uint8_t *p, int64_t v)
{
    int64_t hi = v < 0 ? -1 : 0;
    memcpy(p, &v, 8);
    memcpy(p + 8, &hi, 8);
}

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 0x3ff, bits;
    float f;
    if (e == 0) {
        f = (float)m * 5.9604644775390625e-8f; /* m * 2^-24 */
        return sign ? -f : f;
    }
    if (e == 31)
        bits = sign | 0x7f800000u | (m << 13);
    else
        bits = sign | ((e + 112) << 23) | (m << 13);
    memcpy(&f, &bits, 4);
    return f;
}

/* Big-endian two's complement of len bytes -> little-endian value of w (4/8/16) bytes.
 * Returns false if the value does not fit. */
static bool be_to_dec(const uint8_t *p, size_t len, int w, uint8_t *out)
{
    uint8_t v[16];
    if (len == 0) {
        memset(out, 0, (size_t)w);
        return true;
    }
    uint8_t fill = (p[0] & 0x80) ? 0xff : 0x00;
    if (len > 16) {
        /* leading bytes must be pure sign extension */
        for (size_t i = 0; i < len - 16; i++)
            if (p[i] != fill)
                return false;
        if ((p[len - 16] & 0x80) != (fill & 0x80))
            return false;
        p += len - 16;
        len = 16;
    }
    for (size_t i = 0; i < 16; i++)
        v[i] = i < len ? p[len - 1 - i] : fill;
    if (w < 16) {
        uint8_t s = (v[w - 1] & 0x80) ? 0xff : 0x00;
        for (int i = w; i < 16; i++)
            if (v[i] != s)
                return false;
    }
    memcpy(out, v, (size_t)w);
    return true;
}

static void fmt_uuid(ls_buf *b, const uint8_t *p)
{
    static const char hx[] = "0123456789abcdef";
    char t[36];
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            t[k++] = '-';
        t[k++] = hx[p[i] >> 4];
        t[k++] = hx[p[i] & 15];
    }
    ls_buf_append(b, t, 36);
}

/* INT96: 8 bytes nanoseconds of day + 4 bytes Julian day -> micros since epoch.
 * The arithmetic wraps modulo 2^64 like Spark's (julianDay * MICROS_PER_DAY +
 * nanos / 1000 in Java longs): Spark writes instants beyond the INT96 range with
 * a wrapped day number, and wrapping back returns exactly the instant it wrote
 * (corpus int96_from_spark.parquet, year 290000). */
static int64_t int96_to_us(const uint8_t *p)
{
    int64_t nanos = ld_i64(p);
    int64_t jd = (int64_t)ld_i32(p + 8);
    return (int64_t)((uint64_t)(jd - 2440588) * 86400000000ULL + (uint64_t)(nanos / 1000));
}

/* One variable-length (or FLBA) value -> slot i of o. */
static int conv_var_one(const ls_pq_reader *r, const colr *c, const uint8_t *p, size_t len,
                        vout *o, size_t i, ls_error *err)
{
    const pq_leafinfo *li = c->li;
    if (li->ptype == PQ_FIXED_LEN_BYTE_ARRAY && len != (size_t)li->type_length)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "FIXED_LEN_BYTE_ARRAY(%d) value has %zu bytes", li->type_length, len);
    switch (li->conv) {
    case CV_BYTES:
        ls_buf_append(o->bytes, p, len);
        o->offs[i + 1] = o->bytes->len;
        return LS_OK;
    case CV_UUID:
        fmt_uuid(o->bytes, p);
        o->offs[i + 1] = o->bytes->len;
        return LS_OK;
    case CV_F16_F32: {
        float f = f16_to_f32((uint16_t)(p[0] | p[1] << 8));
        memcpy(o->fx + 4 * i, &f, 4);
        return LS_OK;
    }
    case CV_BE_DEC:
        if (!be_to_dec(p, len, li->dest_w, o->fx + (size_t)li->dest_w * i))
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "DECIMAL value of %zu bytes does not fit in %d bytes", len, li->dest_w);
        return LS_OK;
    default:
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "byte-array value cannot be converted to %s",
                    ls_type_name(LS_BINARY));
    }
}

/* n fixed-width source values of width w -> o. */
static int conv_fixed(const ls_pq_reader *r, const colr *c, const uint8_t *s, size_t n, size_t w,
                      vout *o, ls_error *err)
{
    uint8_t *d = o->fx;
    switch (c->li->conv) {
    case CV_BOOL:
        memcpy(d, s, n);
        return LS_OK;
    case CV_ID4:
        memcpy(d, s, n * 4);
        return LS_OK;
    case CV_ID8:
        memcpy(d, s, n * 8);
        return LS_OK;
    case CV_I32_I64:
        for (size_t i = 0; i < n; i++)
            st_i64(d + 8 * i, (int64_t)ld_i32(s + 4 * i));
        return LS_OK;
    case CV_U32_I64:
        for (size_t i = 0; i < n; i++)
            st_i64(d + 8 * i, (int64_t)(uint32_t)ld_i32(s + 4 * i));
        return LS_OK;
    case CV_I32_I128:
        for (size_t i = 0; i < n; i++)
            st_i128_from_i64(d + 16 * i, (int64_t)ld_i32(s + 4 * i));
        return LS_OK;
    case CV_I64_I32:
        for (size_t i = 0; i < n; i++) {
            int64_t v = ld_i64(s + 8 * i);
            if (v < INT32_MIN || v > INT32_MAX)
                return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                            "DECIMAL value %lld does not fit its precision", (long long)v);
            st_i32(d + 4 * i, (int32_t)v);
        }
        return LS_OK;
    case CV_I64_I128:
        for (size_t i = 0; i < n; i++)
            st_i128_from_i64(d + 16 * i, ld_i64(s + 8 * i));
        return LS_OK;
    case CV_U64_I128:
        for (size_t i = 0; i < n; i++) {
            memcpy(d + 16 * i, s + 8 * i, 8);
            memset(d + 16 * i + 8, 0, 8);
        }
        return LS_OK;
    case CV_MS32_US64:
        for (size_t i = 0; i < n; i++)
            st_i64(d + 8 * i, (int64_t)ld_i32(s + 4 * i) * 1000);
        return LS_OK;
    case CV_MS64_US64:
        for (size_t i = 0; i < n; i++) {
            int64_t v;
            if (__builtin_mul_overflow(ld_i64(s + 8 * i), (int64_t)1000, &v))
                return cerr(err, r, c, LS_ERR_UNSUPPORTED, c->page_off,
                            "millisecond value %lld is out of the microsecond range",
                            (long long)ld_i64(s + 8 * i));
            st_i64(d + 8 * i, v);
        }
        return LS_OK;
    case CV_NS64_US64:
        for (size_t i = 0; i < n; i++) {
            int64_t v = ld_i64(s + 8 * i), q = v / 1000;
            if (v % 1000 < 0)
                q--;
            st_i64(d + 8 * i, q);
        }
        return LS_OK;
    case CV_INT96_US:
        for (size_t i = 0; i < n; i++)
            st_i64(d + 8 * i, int96_to_us(s + 12 * i));
        return LS_OK;
    case CV_BE_DEC:
        if (w >= 1 && w <= 8) {
            /* short FLBA decimals (Spark's legacy format writes every decimal as FLBA) */
            int dw = c->li->dest_w;
            for (size_t i = 0; i < n; i++) {
                const uint8_t *p = s + i * w;
                uint64_t u = (uint64_t)(int64_t)(int8_t)p[0];
                for (size_t k = 1; k < w; k++)
                    u = u << 8 | p[k];
                int64_t v = (int64_t)u;
                if (dw == 4) {
                    if (v < INT32_MIN || v > INT32_MAX)
                        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                                    "DECIMAL value of %zu bytes does not fit in 4 bytes", w);
                    st_i32(d + 4 * i, (int32_t)v);
                } else if (dw == 8) {
                    st_i64(d + 8 * i, v);
                } else {
                    st_i128_from_i64(d + 16 * i, v);
                }
            }
            return LS_OK;
        }
        break;
    case CV_BYTES:
        if (c->li->ptype == PQ_FIXED_LEN_BYTE_ARRAY) {
            /* FLBA -> bytes: one bulk copy, offsets are multiples of w */
            uint64_t base = o->offs[0];
            ls_buf_append(o->bytes, s, n * w);
            for (size_t i = 0; i < n; i++)
                o->offs[i + 1] = base + (uint64_t)(i + 1) * w;
            return LS_OK;
        }
        break;
    default:
        break;
    }
    for (size_t i = 0; i < n; i++) { /* per value: FLBA -> text/float16/long decimals */
        int rc = conv_var_one(r, c, s + i * w, w, o, i, err);
        if (rc)
            return rc;
    }
    return LS_OK;
}

/* Adds n value bytes to the batch budget; LS_ERR_LIMIT when it is exceeded. */
static int budget(ls_pq_reader *r, const colr *c, uint64_t n, ls_error *err)
{
    r->batch_bytes += n;
    if (r->batch_bytes > r->batch_hard)
        return cerr(err, r, c, LS_ERR_LIMIT, c->page_off,
                    "decoded batch exceeds %llu bytes (rows too large for one batch?)",
                    (unsigned long long)r->batch_hard);
    return LS_OK;
}

/* Moves the next n values of src into o (converted). o must have room for n fixed
 * values / n offsets; byte payloads are appended to o->bytes. */
static int produce(ls_pq_reader *r, const colr *c, const pq_dict *dict, vsrc *s, size_t n,
                   vout *o, ls_error *err)
{
    const pq_leafinfo *li = c->li;
    if (n > s->n - s->pos)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "page holds %zu values, %zu needed", s->n, s->pos + n);
    int rc = LS_OK;
    switch (s->kind) {
    case SRC_FIXED:
        rc = budget(r, c, (uint64_t)n * (li->dest_w ? (size_t)li->dest_w : s->w), err);
        if (!rc)
            rc = conv_fixed(r, c, s->fx + s->pos * s->w, n, s->w, o, err);
        break;
    case SRC_PLAIN_BA: {
        const uint8_t *p = s->ba, *end = s->ba_end;
        if (li->conv == CV_BYTES) {
            size_t room = (size_t)(end - p);
            ls_buf_reserve(o->bytes, room);
            uint8_t *bd = o->bytes->data;
            size_t bl = o->bytes->len;
            for (size_t i = 0; i < n; i++) {
                if ((size_t)(end - p) < 4) {
                    rc = cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                              "PLAIN BYTE_ARRAY value %zu: length prefix past the page end",
                              s->pos + i);
                    break;
                }
                uint32_t len = ls_load_u32le(p);
                p += 4;
                if (len > (size_t)(end - p)) {
                    rc = cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                              "PLAIN BYTE_ARRAY value %zu: length %u exceeds the %zu bytes left",
                              s->pos + i, len, (size_t)(end - p));
                    break;
                }
                memcpy(bd + bl, p, len);
                bl += len;
                p += len;
                o->offs[i + 1] = bl;
            }
            o->bytes->len = bl;
            if (!rc)
                rc = budget(r, c, (uint64_t)(p - s->ba), err);
        } else {
            for (size_t i = 0; i < n && !rc; i++) {
                if ((size_t)(end - p) < 4) {
                    rc = cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                              "PLAIN BYTE_ARRAY value %zu: length prefix past the page end",
                              s->pos + i);
                    break;
                }
                uint32_t len = ls_load_u32le(p);
                p += 4;
                if (len > (size_t)(end - p)) {
                    rc = cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                              "PLAIN BYTE_ARRAY value %zu: length %u exceeds the %zu bytes left",
                              s->pos + i, len, (size_t)(end - p));
                    break;
                }
                rc = conv_var_one(r, c, p, len, o, i, err);
                p += len;
            }
            if (!rc)
                rc = budget(r, c, (uint64_t)n * (li->dest_w ? (size_t)li->dest_w : 36), err);
        }
        s->ba = p;
        break;
    }
    case SRC_VAR: {
        const uint64_t *vo = s->voffs + s->pos;
        if (li->conv == CV_BYTES && li->ptype == PQ_BYTE_ARRAY) {
            uint64_t from = vo[0], to = vo[n];
            rc = budget(r, c, to - from, err);
            if (rc)
                break;
            uint64_t base = o->offs[0];
            ls_buf_append(o->bytes, s->vdata + from, (size_t)(to - from));
            for (size_t i = 0; i < n; i++)
                o->offs[i + 1] = base + (vo[i + 1] - from);
        } else {
            rc = budget(r, c, (vo[n] - vo[0]) + (uint64_t)n * (size_t)li->dest_w, err);
            for (size_t i = 0; i < n && !rc; i++)
                rc = conv_var_one(r, c, s->vdata + vo[i], (size_t)(vo[i + 1] - vo[i]), o, i,
                                  err);
        }
        break;
    }
    case SRC_DICT: {
        const uint32_t *ix = s->idx + s->pos;
        int w = li->dest_w;
        if (w) {
            rc = budget(r, c, (uint64_t)n * (size_t)w, err);
            if (rc)
                break;
            const uint8_t *D = dict->fx;
            uint8_t *d = o->fx;
            switch (w) {
            case 1:
                for (size_t i = 0; i < n; i++)
                    d[i] = D[ix[i]];
                break;
            case 4:
                for (size_t i = 0; i < n; i++)
                    memcpy(d + 4 * i, D + 4 * (size_t)ix[i], 4);
                break;
            case 8:
                for (size_t i = 0; i < n; i++)
                    memcpy(d + 8 * i, D + 8 * (size_t)ix[i], 8);
                break;
            default:
                for (size_t i = 0; i < n; i++)
                    memcpy(d + 16 * i, D + 16 * (size_t)ix[i], 16);
                break;
            }
        } else {
            const uint64_t *DO = dict->offs;
            const uint8_t *DB = dict->bytes.data ? dict->bytes.data : (const uint8_t *)"";
            uint64_t total = 0;
            for (size_t i = 0; i < n; i++)
                total += DO[ix[i] + 1] - DO[ix[i]];
            rc = budget(r, c, total, err);
            if (rc)
                break;
            ls_buf_reserve(o->bytes, (size_t)total);
            uint8_t *bd = o->bytes->data;
            size_t bl = o->bytes->len;
            for (size_t i = 0; i < n; i++) {
                uint64_t a = DO[ix[i]], len = DO[ix[i] + 1] - a;
                if (len)
                    memcpy(bd + bl, DB + a, (size_t)len);
                bl += (size_t)len;
                o->offs[i + 1] = bl;
            }
            o->bytes->len = bl;
        }
        break;
    }
    default:
        rc = cerr(err, r, c, LS_ERR_CORRUPT, c->page_off, "no values in page");
    }
    if (!rc)
        s->pos += n;
    return rc;
}

/* ---- column chunk reading -------------------------------------------------- */

static bool in_window(const colr *c, uint64_t off, size_t len)
{
    return off >= c->ra_off && off - c->ra_off <= c->ra.len && len <= c->ra.len - (off - c->ra_off);
}

/* Makes file bytes [off, off+len) (inside the chunk) available at *p, through the
 * column's read-ahead window. The pointer stays valid until the next fetch. */
static int col_fetch(ls_pq_reader *r, colr *c, uint64_t off, size_t len, const uint8_t **p,
                     ls_error *err)
{
    if (in_window(c, off, len)) {
        *p = c->ra.data + (off - c->ra_off);
        return LS_OK;
    }
    size_t want = len > r->readahead ? len : r->readahead;
    if (want > c->chunk_end - off)
        want = (size_t)(c->chunk_end - off);
    if (want < len)
        want = len;
    ls_buf_reset(&c->ra);
    c->ra_off = off;
    ls_buf_reserve(&c->ra, want ? want : 1);
    int rc = ls_input_read(r->in, off, want, c->ra.data, err);
    if (rc)
        return cprefix(err, r, c, off, rc);
    c->ra.len = want;
    *p = c->ra.data;
    return LS_OK;
}

static void lvl_reserve(colr *c, size_t n)
{
    if (n <= c->lvl_cap)
        return;
    size_t cap = c->lvl_cap ? c->lvl_cap : 1024;
    while (cap < n)
        cap *= 2;
    c->def = ls_xrealloc(c->def, cap);
    c->rep = ls_xrealloc(c->rep, cap);
    c->lvl_cap = cap;
}

/* Decompresses (or borrows) a page body. */
static int page_body(ls_pq_reader *r, colr *c, bool compressed, const uint8_t *src, size_t comp,
                     size_t unc, const uint8_t **out, size_t *out_len, ls_error *err)
{
    if (!compressed || c->codec == PQ_CODEC_UNCOMPRESSED) {
        if (c->codec == PQ_CODEC_UNCOMPRESSED && compressed && comp != unc)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "uncompressed page: compressed size %zu != uncompressed size %zu", comp,
                        unc);
        *out = src;
        *out_len = comp;
        return LS_OK;
    }
    ls_buf_reset(&c->page);
    ls_buf_reserve(&c->page, unc ? unc : 1);
    int rc = pq_decompress(r->codec, c->codec, src, comp, c->page.data, unc, err);
    if (rc) {
        ls_err_prefix(err, "%s page (%zu -> %zu bytes)", codec_name(c->codec), comp, unc);
        return cprefix(err, r, c, c->page_off, rc);
    }
    c->page.len = unc;
    *out = c->page.data;
    *out_len = unc;
    return LS_OK;
}

/* Fixed width of a physical type's PLAIN encoding (0 for BYTE_ARRAY, 1 bit -> 0 for BOOLEAN). */
static size_t plain_width(const pq_leafinfo *li)
{
    switch (li->ptype) {
    case PQ_INT32:
    case PQ_FLOAT: return 4;
    case PQ_INT64:
    case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY: return (size_t)li->type_length;
    default: return 0;
    }
}

static void dict_reset(pq_dict *d)
{
    d->n = 0;
    ls_buf_reset(&d->bytes);
}

static int load_dict(ls_pq_reader *r, colr *c, const pq_page_header *h, const uint8_t *bp,
                     size_t comp, ls_error *err)
{
    const pq_leafinfo *li = c->li;
    if (!h->has_dictionary_page_header)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "DICTIONARY_PAGE without a DictionaryPageHeader");
    if (c->have_dict)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off, "second dictionary page in the chunk");
    if (c->data_seen)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off, "dictionary page after data pages");
    const pq_dictionary_page_header *dh = &h->dictionary_page_header;
    if (dh->encoding != PQ_ENC_PLAIN && dh->encoding != PQ_ENC_PLAIN_DICTIONARY)
        return cerr(err, r, c, LS_ERR_UNSUPPORTED, c->page_off,
                    "dictionary page encoding %s is not supported", enc_name(dh->encoding));
    if (dh->num_values < 0)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "dictionary page has negative num_values %d", dh->num_values);
    size_t n = (size_t)dh->num_values;
    const uint8_t *d;
    size_t L;
    int rc = page_body(r, c, true, bp, comp, (size_t)h->uncompressed_page_size, &d, &L, err);
    if (rc)
        return rc;
    size_t w = plain_width(li);
    size_t minsz = li->ptype == PQ_BYTE_ARRAY ? 4 : w;
    bool fits = li->ptype == PQ_BOOLEAN ? n <= L * 8 : (n == 0 || L / minsz >= n);
    if (!fits || n > r->slot_cap)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "dictionary page claims %zu values but holds %zu bytes", n, L);
    vsrc s = {0};
    s.n = n;
    if (li->ptype == PQ_BOOLEAN) {
        ls_buf_reset(&c->decoded);
        ls_buf_reserve(&c->decoded, n ? n : 1);
        rc = pq_plain_decode_bool(d, L, c->decoded.data, n, err);
        if (rc)
            return cprefix(err, r, c, c->page_off, rc);
        s.kind = SRC_FIXED;
        s.fx = c->decoded.data;
        s.w = 1;
    } else if (li->ptype == PQ_BYTE_ARRAY) {
        s.kind = SRC_PLAIN_BA;
        s.ba = d;
        s.ba_end = d + L;
    } else {
        s.kind = SRC_FIXED;
        s.fx = d;
        s.w = w;
    }
    pq_dict *dc = &c->dict;
    dict_reset(dc);
    vout o = {0};
    if (li->dest_w) {
        size_t need = (n ? n : 1) * (size_t)li->dest_w;
        if (need > dc->fx_cap) {
            dc->fx = ls_xrealloc(dc->fx, need);
            dc->fx_cap = need;
        }
        o.fx = dc->fx;
    } else {
        if (n + 1 > dc->offs_cap) {
            dc->offs = ls_xrealloc(dc->offs, (n + 1) * sizeof(uint64_t));
            dc->offs_cap = n + 1;
        }
        dc->offs[0] = 0;
        o.offs = dc->offs;
        o.bytes = &dc->bytes;
    }
    uint64_t saved = r->batch_bytes;
    r->batch_bytes = 0;
    if (n)
        rc = produce(r, c, dc, &s, n, &o, err);
    r->batch_bytes = saved;
    if (rc)
        return rc;
    dc->n = n;
    c->have_dict = true;
    return LS_OK;
}

/* v1 level section: RLE (int32 length prefix) or legacy BIT_PACKED. */
static int levels_v1(ls_pq_reader *r, colr *c, int enc, int maxl, const uint8_t **pp, size_t *rem,
                     uint8_t *out, size_t nv, const char *what, ls_error *err)
{
    int bw = ls_bit_width((uint64_t)maxl);
    const uint8_t *p = *pp;
    int rc;
    if (enc == PQ_ENC_RLE) {
        if (*rem < 4)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "%s levels: length prefix past the page end", what);
        uint32_t len = ls_load_u32le(p);
        if (len > *rem - 4)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "%s levels: %u bytes declared, %zu left in the page", what, len,
                        *rem - 4);
        rc = pq_rle_decode_u8(p + 4, len, bw, (uint8_t)maxl, out, nv, err);
        *pp = p + 4 + len;
        *rem -= 4 + (size_t)len;
    } else if (enc == PQ_ENC_BIT_PACKED) {
        size_t bytes = (nv * (size_t)bw + 7) / 8;
        if (bytes > *rem)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "%s levels: %zu BIT_PACKED bytes needed, %zu left", what, bytes, *rem);
        rc = pq_bitpacked_legacy_decode_u8(p, bytes, bw, (uint8_t)maxl, out, nv, err);
        *pp = p + bytes;
        *rem -= bytes;
    } else {
        return cerr(err, r, c, LS_ERR_UNSUPPORTED, c->page_off,
                    "%s level encoding %s is not supported", what, enc_name(enc));
    }
    if (rc) {
        ls_err_prefix(err, "%s levels", what);
        return cprefix(err, r, c, c->page_off, rc);
    }
    return LS_OK;
}

/* After the levels of a data page are decoded: counts values, checks structure. */
static int levels_done(ls_pq_reader *r, colr *c, size_t nv, ls_error *err)
{
    const pq_leafinfo *li = c->li;
    c->pg_n = nv;
    c->pg_pos = 0;
    if (li->max_def == 0) {
        c->pg_nn = nv;
    } else {
        size_t k = 0;
        const uint8_t *d = c->def, md = (uint8_t)li->max_def;
        for (size_t i = 0; i < nv; i++)
            k += d[i] == md;
        c->pg_nn = k;
    }
    if (li->max_rep > 0 && nv > 0) {
        const uint8_t *rp = c->rep, *d = c->def;
        size_t i = 0;
        uint8_t prev = c->last_def;
        if (!c->started) {
            if (rp[0] != 0)
                return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                            "first repetition level of the column chunk is %d, must be 0",
                            rp[0]);
            prev = d[0];
            i = 1;
        }
        for (; i < nv; i++) {
            if (rp[i]) {
                uint8_t need = li->rep_def[rp[i]];
                if (d[i] < need || prev < need)
                    return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                                "slot %zu: repetition level %d continues a list that is null or "
                                "empty (definition levels %d, %d)",
                                i, rp[i], prev, d[i]);
            }
            prev = d[i];
        }
    }
    if (li->def_map) {
        for (size_t i = 0; i < nv; i++)
            if (li->def_map[c->def[i]] == 255)
                return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                            "slot %zu: null map key (definition level %d)", i, c->def[i]);
    }
    if (nv > 0) {
        c->started = true;
        if (li->max_def > 0)
            c->last_def = c->def[nv - 1];
    }
    c->data_seen = true;
    return LS_OK;
}

static void *grow_arr(void *p, size_t *cap, size_t n, size_t es)
{
    if (n <= *cap)
        return p;
    size_t c = *cap ? *cap : 1024;
    while (c < n)
        c *= 2;
    *cap = c;
    return ls_xrealloc(p, c * es);
}

/* Sets up c->src for the values section [p, p+L) of the current page. */
static int setup_values(ls_pq_reader *r, colr *c, int enc, const uint8_t *p, size_t L,
                        ls_error *err)
{
    const pq_leafinfo *li = c->li;
    size_t nn = c->pg_nn;
    vsrc *s = &c->src;
    memset(s, 0, sizeof *s);
    s->n = nn;
    if (nn == 0) {
        s->kind = SRC_NONE;
        return LS_OK;
    }
    int pt = li->ptype, rc = LS_OK;
    size_t w = plain_width(li);
    switch (enc) {
    case PQ_ENC_PLAIN:
        if (pt == PQ_BOOLEAN) {
            ls_buf_reset(&c->decoded);
            ls_buf_reserve(&c->decoded, nn);
            rc = pq_plain_decode_bool(p, L, c->decoded.data, nn, err);
            s->kind = SRC_FIXED;
            s->fx = c->decoded.data;
            s->w = 1;
        } else if (pt == PQ_BYTE_ARRAY) {
            if (L / 4 < nn)
                return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                            "page has %zu non-null values but only %zu value bytes", nn, L);
            s->kind = SRC_PLAIN_BA;
            s->ba = p;
            s->ba_end = p + L;
        } else {
            if (L / w < nn)
                return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                            "page has %zu non-null values of %zu bytes but only %zu value bytes",
                            nn, w, L);
            s->kind = SRC_FIXED;
            s->fx = p;
            s->w = w;
        }
        break;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: {
        if (!c->have_dict)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "dictionary-encoded page but the chunk has no dictionary page");
        if (L < 1)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "dictionary-encoded page without a bit width byte");
        int bw = p[0];
        if (bw > 32)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "dictionary index bit width %d (max 32)", bw);
        c->idx = grow_arr(c->idx, &c->idx_cap, nn, sizeof(uint32_t));
        rc = pq_rle_decode_u32(p + 1, L - 1, bw, c->idx, nn, err);
        if (rc)
            break;
        uint32_t mx = 0;
        for (size_t i = 0; i < nn; i++)
            mx = c->idx[i] > mx ? c->idx[i] : mx;
        if (mx >= c->dict.n)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "dictionary index %u out of range (dictionary has %zu entries)", mx,
                        c->dict.n);
        s->kind = SRC_DICT;
        s->idx = c->idx;
        break;
    }
    case PQ_ENC_RLE: {
        if (pt != PQ_BOOLEAN)
            goto unsupported;
        if (L < 4)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "RLE boolean values: length prefix past the page end");
        uint32_t len = ls_load_u32le(p);
        if (len > L - 4)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "RLE boolean values: %u bytes declared, %zu left", len, L - 4);
        ls_buf_reset(&c->decoded);
        ls_buf_reserve(&c->decoded, nn);
        rc = pq_rle_decode_u8(p + 4, len, 1, 1, c->decoded.data, nn, err);
        s->kind = SRC_FIXED;
        s->fx = c->decoded.data;
        s->w = 1;
        break;
    }
    case PQ_ENC_DELTA_BINARY_PACKED: {
        if (pt != PQ_INT32 && pt != PQ_INT64)
            goto unsupported;
        size_t used;
        ls_buf_reset(&c->decoded);
        ls_buf_reserve(&c->decoded, nn * w);
        if (pt == PQ_INT32)
            rc = pq_delta_decode_i32(p, L, (int32_t *)(void *)c->decoded.data, nn, &used, err);
        else
            rc = pq_delta_decode_i64(p, L, (int64_t *)(void *)c->decoded.data, nn, &used, err);
        s->kind = SRC_FIXED;
        s->fx = c->decoded.data;
        s->w = w;
        break;
    }
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (pt != PQ_BYTE_ARRAY && !(pt == PQ_FIXED_LEN_BYTE_ARRAY && enc == PQ_ENC_DELTA_BYTE_ARRAY))
            goto unsupported;
        c->voffs = grow_arr(c->voffs, &c->voffs_cap, nn + 1, sizeof(uint64_t));
        ls_buf_reset(&c->vbytes);
        if (enc == PQ_ENC_DELTA_LENGTH_BYTE_ARRAY)
            rc = pq_delta_length_decode(p, L, nn, &c->vbytes, c->voffs, err);
        else
            rc = pq_delta_byte_array_decode(p, L, nn, &c->vbytes, c->voffs, err);
        s->kind = SRC_VAR;
        s->voffs = c->voffs;
        s->vdata = c->vbytes.data ? c->vbytes.data : (const uint8_t *)""; /* all values empty */
        break;
    case PQ_ENC_BYTE_STREAM_SPLIT:
        if (w == 0 || pt == PQ_INT96)
            goto unsupported;
        if (L / w < nn)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "BYTE_STREAM_SPLIT page has %zu values of %zu bytes but %zu bytes", nn,
                        w, L);
        ls_buf_reset(&c->decoded);
        ls_buf_reserve(&c->decoded, nn * w);
        rc = pq_bss_decode(p, L, w, nn, c->decoded.data, err);
        s->kind = SRC_FIXED;
        s->fx = c->decoded.data;
        s->w = w;
        break;
    default:
        goto unsupported;
    }
    if (rc)
        return cprefix(err, r, c, c->page_off, rc);
    return LS_OK;
unsupported:
    return cerr(err, r, c, LS_ERR_UNSUPPORTED, c->page_off,
                "value encoding %s (%d) is not supported for %s columns", enc_name(enc), enc,
                type_name(pt));
}

static int check_nv(ls_pq_reader *r, colr *c, int32_t nv, ls_error *err)
{
    if (nv < 0)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off, "negative num_values %d", nv);
    if ((size_t)nv > r->slot_cap)
        return cerr(err, r, c, LS_ERR_LIMIT, c->page_off,
                    "page has %d values, more than the limit of %zu per page", nv, r->slot_cap);
    c->values_seen += nv;
    if (c->values_seen > c->chunk_values)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "pages hold more values (%lld) than ColumnMetaData.num_values (%lld)",
                    (long long)c->values_seen, (long long)c->chunk_values);
    lvl_reserve(c, (size_t)nv);
    return LS_OK;
}

static int setup_v1(ls_pq_reader *r, colr *c, const pq_page_header *h, const uint8_t *bp,
                    size_t comp, ls_error *err)
{
    if (!h->has_data_page_header)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off, "DATA_PAGE without a DataPageHeader");
    const pq_data_page_header *dp = &h->data_page_header;
    int rc = check_nv(r, c, dp->num_values, err);
    if (rc)
        return rc;
    size_t nv = (size_t)dp->num_values, L;
    const uint8_t *p;
    rc = page_body(r, c, true, bp, comp, (size_t)h->uncompressed_page_size, &p, &L, err);
    if (rc)
        return rc;
    const pq_leafinfo *li = c->li;
    if (li->max_rep > 0 &&
        (rc = levels_v1(r, c, dp->repetition_level_encoding, li->max_rep, &p, &L, c->rep, nv,
                        "repetition", err)))
        return rc;
    if (li->max_def > 0 &&
        (rc = levels_v1(r, c, dp->definition_level_encoding, li->max_def, &p, &L, c->def, nv,
                        "definition", err)))
        return rc;
    if ((rc = levels_done(r, c, nv, err)))
        return rc;
    return setup_values(r, c, dp->encoding, p, L, err);
}

static int setup_v2(ls_pq_reader *r, colr *c, const pq_page_header *h, const uint8_t *bp,
                    size_t comp, ls_error *err)
{
    if (!h->has_data_page_header_v2)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "DATA_PAGE_V2 without a DataPageHeaderV2");
    const pq_data_page_header_v2 *dp = &h->data_page_header_v2;
    int rc = check_nv(r, c, dp->num_values, err);
    if (rc)
        return rc;
    size_t nv = (size_t)dp->num_values, unc = (size_t)h->uncompressed_page_size;
    if (dp->repetition_levels_byte_length < 0 || dp->definition_levels_byte_length < 0)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off, "negative level section length");
    size_t rl = (size_t)dp->repetition_levels_byte_length;
    size_t dl = (size_t)dp->definition_levels_byte_length;
    if (rl + dl > comp || rl + dl > unc)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                    "level sections (%zu + %zu bytes) exceed the page (%zu/%zu bytes)", rl, dl,
                    comp, unc);
    const pq_leafinfo *li = c->li;
    if (li->max_rep > 0) {
        rc = pq_rle_decode_u8(bp, rl, ls_bit_width((uint64_t)li->max_rep), (uint8_t)li->max_rep,
                              c->rep, nv, err);
        if (rc) {
            ls_err_prefix(err, "repetition levels");
            return cprefix(err, r, c, c->page_off, rc);
        }
    }
    if (li->max_def > 0) {
        rc = pq_rle_decode_u8(bp + rl, dl, ls_bit_width((uint64_t)li->max_def),
                              (uint8_t)li->max_def, c->def, nv, err);
        if (rc) {
            ls_err_prefix(err, "definition levels");
            return cprefix(err, r, c, c->page_off, rc);
        }
    }
    if ((rc = levels_done(r, c, nv, err)))
        return rc;
    const uint8_t *vp = bp + rl + dl, *p = vp;
    size_t vcomp = comp - rl - dl, vunc = unc - rl - dl, L = 0;
    if (vcomp > 0) {
        rc = page_body(r, c, dp->is_compressed, vp, vcomp, vunc, &p, &L, err);
        if (rc)
            return rc;
    }
    return setup_values(r, c, dp->encoding, p, L, err);
}

/* Loads the next data page of the chunk (dictionary and index pages are consumed on
 * the way). *got = false at the end of the chunk. */
static int col_next_page(ls_pq_reader *r, colr *c, bool *got, ls_error *err)
{
    *got = false;
    c->pg_n = c->pg_pos = c->pg_nn = 0;
    c->src.kind = SRC_NONE;
    while (c->pos < c->chunk_end) {
        /* padded chunks (PARQUET-816) end when all their values have been seen */
        if (r->pad_chunks && c->data_seen && c->values_seen >= c->chunk_values)
            break;
        uint64_t hoff = c->pos;
        size_t avail = (size_t)(c->chunk_end - hoff);
        size_t cap = avail < PQ_HDR_MAX ? avail : PQ_HDR_MAX;
        size_t win = avail < PQ_HDR_WINDOW ? avail : PQ_HDR_WINDOW;
        pq_page_header h;
        size_t hlen = 0;
        c->page_off = hoff;
        for (;;) {
            const uint8_t *p;
            int rc = col_fetch(r, c, hoff, win, &p, err);
            if (rc)
                return rc;
            ls_arena_reset(&r->scratch);
            rc = pq_parse_page_header(p, win, &r->scratch, &h, &hlen, err);
            if (!rc)
                break;
            if (win >= cap) {
                ls_err_prefix(err, "page header");
                return cprefix(err, r, c, hoff, rc);
            }
            win = win * 16 < cap ? win * 16 : cap;
        }
        if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0)
            return cerr(err, r, c, LS_ERR_CORRUPT, hoff, "negative page size (%d/%d)",
                        h.compressed_page_size, h.uncompressed_page_size);
        uint64_t body = hoff + hlen;
        size_t comp = (size_t)h.compressed_page_size;
        if (comp > c->chunk_end - body)
            return cerr(err, r, c, LS_ERR_CORRUPT, hoff,
                        "page body of %zu bytes at offset %llu extends past the column chunk end "
                        "%llu",
                        comp, (unsigned long long)body, (unsigned long long)c->chunk_end);
        if ((uint64_t)h.uncompressed_page_size > r->opts.max_page_bytes ||
            (uint64_t)comp > r->opts.max_page_bytes)
            return cerr(err, r, c, LS_ERR_LIMIT, hoff,
                        "page of %zu (uncompressed %d) bytes exceeds max_page_bytes %llu", comp,
                        h.uncompressed_page_size, (unsigned long long)r->opts.max_page_bytes);
        /* A compressed page is decompressed before col_next_page returns: a large one is
         * read into one buffer shared by all columns instead of growing the column's
         * window to it (each column would keep a buffer as large as its largest page:
         * fresh memory, which is what reading a small file mostly costs). */
        bool transient = c->codec != PQ_CODEC_UNCOMPRESSED &&
                         (h.type == PQ_PAGE_DICTIONARY || h.type == PQ_PAGE_DATA ||
                          (h.type == PQ_PAGE_DATA_V2 && h.has_data_page_header_v2 &&
                           h.data_page_header_v2.is_compressed));
        const uint8_t *bp;
        int rc;
        if (transient && comp > r->readahead && !in_window(c, body, comp)) {
            ls_buf_reset(&r->body);
            ls_buf_reserve(&r->body, comp);
            rc = ls_input_read(r->in, body, comp, r->body.data, err);
            if (rc)
                return cprefix(err, r, c, body, rc);
            bp = r->body.data;
        } else if ((rc = col_fetch(r, c, body, comp, &bp, err))) {
            return rc;
        }
        if (r->opts.verify_crc && h.has_crc) {
            uint32_t crc = ls_crc32(0, bp, comp);
            if (crc != (uint32_t)h.crc)
                return cerr(err, r, c, LS_ERR_CORRUPT, hoff,
                            "page CRC mismatch (header says %08x, data has %08x)",
                            (uint32_t)h.crc, crc);
        }
        c->pos = body + comp;
        switch (h.type) {
        case PQ_PAGE_DICTIONARY:
            if ((rc = load_dict(r, c, &h, bp, comp, err)))
                return rc;
            continue;
        case PQ_PAGE_DATA:
            rc = setup_v1(r, c, &h, bp, comp, err);
            *got = rc == LS_OK;
            return rc;
        case PQ_PAGE_DATA_V2:
            rc = setup_v2(r, c, &h, bp, comp, err);
            *got = rc == LS_OK;
            return rc;
        case PQ_PAGE_INDEX:
            continue;
        default:
            return cerr(err, r, c, LS_ERR_CORRUPT, hoff, "unknown page type %d", h.type);
        }
    }
    return LS_OK;
}

/* Copies slots [pg_pos, pg_pos+take) with their values into leaf. */
static int col_emit(ls_pq_reader *r, colr *c, ls_leaf *leaf, size_t take, ls_error *err)
{
    const pq_leafinfo *li = c->li;
    size_t s0 = c->pg_pos;
    if (leaf->cap - leaf->n < take)
        ls_leaf_grow_levels(leaf, take);
    if (leaf->max_def > 0) {
        if (li->def_map) {
            uint8_t *d = leaf->def + leaf->n;
            for (size_t i = 0; i < take; i++)
                d[i] = li->def_map[c->def[s0 + i]];
        } else {
            memcpy(leaf->def + leaf->n, c->def + s0, take);
        }
    }
    if (leaf->max_rep > 0)
        memcpy(leaf->rep + leaf->n, c->rep + s0, take);
    size_t nn = take;
    if (s0 == 0 && take == c->pg_n) {
        nn = c->pg_nn; /* the whole page: counted when its levels were decoded */
    } else if (li->max_def > 0) {
        const uint8_t *d = c->def + s0, md = (uint8_t)li->max_def;
        nn = 0;
        for (size_t i = 0; i < take; i++)
            nn += d[i] == md;
    }
    leaf->n += take;
    c->pg_pos += take;
    int rc = budget(r, c, (uint64_t)take * 2, err);
    if (rc || nn == 0)
        return rc;
    if (leaf->vcap - leaf->n_values < nn)
        ls_leaf_grow_values(leaf, nn);
    vout o = {0};
    if (leaf->phys == LS_PHYS_BYTES) {
        o.offs = leaf->offsets + leaf->n_values;
        o.bytes = &leaf->bytes;
    } else {
        o.fx = (uint8_t *)leaf->values + leaf->n_values * (size_t)li->dest_w;
    }
    rc = produce(r, c, &c->dict, &c->src, nn, &o, err);
    if (rc)
        return rc;
    leaf->n_values += nn;
    return LS_OK;
}

/* Appends the next `rows` rows of the column to leaf. */
static int col_read(ls_pq_reader *r, colr *c, ls_leaf *leaf, size_t rows, ls_error *err)
{
    size_t got = 0;
    bool repeated = c->li->max_rep > 0;
    for (;;) {
        if (c->pg_pos == c->pg_n) {
            if (got == rows && !repeated)
                break;
            bool have;
            int rc = col_next_page(r, c, &have, err);
            if (rc)
                return rc;
            if (!have) {
                if (got < rows)
                    return cerr(err, r, c, LS_ERR_CORRUPT, c->pos,
                                "column chunk ends after %llu rows but the row group has %lld",
                                (unsigned long long)(c->rows_seen + got),
                                (long long)r->meta.row_groups[c->rg].num_rows);
                break;
            }
            continue;
        }
        size_t start = c->pg_pos, avail = c->pg_n - start, take;
        if (!repeated) {
            take = rows - got < avail ? rows - got : avail;
            got += take;
        } else {
            const uint8_t *rp = c->rep + start;
            size_t i = 0;
            for (; i < avail; i++) {
                if (rp[i] == 0) {
                    if (got == rows)
                        break;
                    got++;
                }
            }
            take = i;
        }
        if (take) {
            int rc = col_emit(r, c, leaf, take, err);
            if (rc)
                return rc;
        }
        if (c->pg_pos < c->pg_n)
            break; /* stopped at the start of a row that belongs to the next batch */
    }
    c->rows_seen += got;
    return LS_OK;
}

/* At the end of a row group: the chunk must hold no further rows and its pages
 * must add up to ColumnMetaData.num_values. */
static int col_finish(ls_pq_reader *r, colr *c, ls_error *err)
{
    int64_t nrows = r->meta.row_groups[c->rg].num_rows;
    for (;;) {
        if (c->pg_pos < c->pg_n)
            return cerr(err, r, c, LS_ERR_CORRUPT, c->page_off,
                        "column chunk holds more rows than RowGroup.num_rows (%lld)",
                        (long long)nrows);
        bool have;
        int rc = col_next_page(r, c, &have, err);
        if (rc)
            return rc;
        if (!have)
            break;
    }
    if (c->values_seen != c->chunk_values)
        return cerr(err, r, c, LS_ERR_CORRUPT, c->chunk_start,
                    "pages hold %lld values but ColumnMetaData.num_values is %lld",
                    (long long)c->values_seen, (long long)c->chunk_values);
    return LS_OK;
}

/* Old parquet-mr (before 1.2.9) left the dictionary page header out of
 * total_compressed_size (PARQUET-816 / IMPALA-694), so its chunks look a few
 * bytes short. For those writers only, a chunk may extend up to 100 bytes
 * beyond its declared size (never past the column data area). */
static bool parquet_816_writer(const char *created_by)
{
    if (!created_by || strncmp(created_by, "parquet-mr", 10) != 0)
        return false;
    const char *v = strstr(created_by, "version ");
    if (!v)
        return true;
    int a = 0, b = 0, c = 0;
    if (sscanf(v + 8, "%d.%d.%d", &a, &b, &c) < 2)
        return true;
    return a < 1 || (a == 1 && (b < 2 || (b == 2 && c < 9)));
}

static int col_open(ls_pq_reader *r, colr *c, int rg, ls_error *err)
{
    const pq_row_group *g = &r->meta.row_groups[rg];
    const pq_column_chunk *cc = &g->columns[c->leaf];
    const pq_leafinfo *li = c->li;
    c->rg = rg;
    c->pg_n = c->pg_pos = c->pg_nn = 0;
    c->src.kind = SRC_NONE;
    c->have_dict = c->started = c->data_seen = false;
    c->last_def = 0;
    c->values_seen = 0;
    c->rows_seen = 0;
    dict_reset(&c->dict);
    ls_buf_reset(&c->ra);
    c->ra_off = 0;
    c->page_off = 0;
    if (cc->has_crypto_metadata)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "%s: column %s, row group %d: the column is encrypted (Parquet modular "
                      "encryption is not supported)",
                      r->name, li->path, rg);
    if (cc->file_path)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "%s: column %s, row group %d: column data stored in another file ('%s') is "
                      "not supported",
                      r->name, li->path, rg, cc->file_path);
    if (!cc->has_meta_data)
        return ls_err(err, LS_ERR_CORRUPT, "%s: column %s, row group %d: no ColumnMetaData",
                      r->name, li->path, rg);
    const pq_column_meta *m = &cc->meta_data;
    if (m->type != li->ptype)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: column %s, row group %d: chunk type %s but the schema says %s",
                      r->name, li->path, rg, type_name(m->type), type_name(li->ptype));
    if (m->num_values < 0 || m->total_compressed_size < 0)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: column %s, row group %d: negative num_values or size", r->name,
                      li->path, rg);
    int64_t start = m->data_page_offset;
    if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 &&
        (start <= 0 || m->dictionary_page_offset < start))
        start = m->dictionary_page_offset;
    uint64_t end;
    if (start < 4 || (uint64_t)start > r->data_end ||
        __builtin_add_overflow((uint64_t)start, (uint64_t)m->total_compressed_size, &end) ||
        end > r->data_end)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: column %s, row group %d: column chunk [%lld, +%lld) lies outside the "
                      "data area [4, %llu)",
                      r->name, li->path, rg, (long long)start,
                      (long long)m->total_compressed_size, (unsigned long long)r->data_end);
    if (r->pad_chunks)
        end = r->data_end - end < 100 ? r->data_end : end + 100;
    c->chunk_start = (uint64_t)start;
    c->chunk_end = end;
    c->pos = c->chunk_start;
    c->codec = m->codec;
    c->chunk_values = m->num_values;
    return LS_OK;
}

static void col_free(colr *c)
{
    ls_buf_free(&c->ra);
    free(c->dict.fx);
    free(c->dict.offs);
    ls_buf_free(&c->dict.bytes);
    free(c->def);
    free(c->rep);
    ls_buf_free(&c->page);
    ls_buf_free(&c->decoded);
    free(c->idx);
    free(c->voffs);
    ls_buf_free(&c->vbytes);
}

/* ---- reader API -------------------------------------------------------------- */

/* Builds pnode tree + leaf infos + ls schema from the footer. */
static int build_schema(ls_pq_reader *r, ls_error *err)
{
    const pq_file_meta *m = &r->meta;
    if (m->n_schema < 1)
        return ls_err(err, LS_ERR_CORRUPT, "%s: footer has an empty schema", r->name);
    int idx = 0, n_leaves = 0;
    int rc = build_node(m, &idx, &r->root, NULL, 0, &n_leaves, &r->arena, r->name, err);
    if (rc)
        return rc;
    if (idx != m->n_schema)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: schema has %d elements but its tree uses only %d", r->name,
                      m->n_schema, idx);
    r->n_leaves = n_leaves;
    r->leaves = ls_xcalloc((size_t)(n_leaves ? n_leaves : 1), sizeof(pq_leafinfo));
    collect_leaves(&r->root, r->leaves);
    r->schema = ls_schema_new();
    mapctx mc = {r->name, r->leaves, err};
    for (int i = 0; i < r->root.n_children; i++) {
        pnode *c = &r->root.children[i];
        rc = add_node(&mc, &r->schema->root, c, c->se->name ? c->se->name : "", false);
        if (rc)
            return rc;
    }
    for (int i = 0; i < n_leaves; i++)
        leafinfo_init(&r->leaves[i]); /* after add_node: needs the dropped flags */
    rc = ls_schema_finalize(r->schema, err);
    if (rc) {
        ls_err_prefix(err, "%s: schema", r->name);
        return rc;
    }
    if (r->schema->n_leaves != n_leaves)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "%s: schema maps %d Parquet columns onto %d leaves", r->name, n_leaves,
                      r->schema->n_leaves);
    for (int i = 0; i < n_leaves; i++) {
        pq_leafinfo *li = &r->leaves[i];
        const ls_field *f = r->schema->leaves[i];
        if ((rc = check_leaf_levels(r->name, li, f, err)))
            return rc;
        li->phys = ls_type_phys(f);
        switch (li->phys) {
        case LS_PHYS_BOOL: li->dest_w = 1; break;
        case LS_PHYS_I32:
        case LS_PHYS_F32: li->dest_w = 4; break;
        case LS_PHYS_I64:
        case LS_PHYS_F64: li->dest_w = 8; break;
        case LS_PHYS_I128: li->dest_w = 16; break;
        default: li->dest_w = 0; break;
        }
    }
    return LS_OK;
}

int ls_pq_reader_open(ls_input *in, const ls_pq_read_opts *opts, ls_pq_reader **out,
                      ls_error *err)
{
    *out = NULL;
    ls_pq_reader *r = ls_xcalloc(1, sizeof *r);
    r->in = in;
    r->name = ls_input_name(in);
    if (opts)
        r->opts = *opts;
    else
        ls_pq_read_opts_default(&r->opts);
    if (r->opts.batch_rows == 0)
        r->opts.batch_rows = PQ_DEFAULT_BATCH_ROWS;
    if (r->opts.max_page_bytes == 0)
        r->opts.max_page_bytes = (uint64_t)1 << 30;
    r->slot_cap = r->opts.max_page_bytes < PQ_MAX_SLOTS_PER_PAGE ? (size_t)r->opts.max_page_bytes
                                                                  : PQ_MAX_SLOTS_PER_PAGE;
    r->batch_hard = r->opts.max_page_bytes * 4;
    if (r->batch_hard < ((uint64_t)256 << 20))
        r->batch_hard = (uint64_t)256 << 20;
    r->cur_rg = -1;
    r->file_size = ls_input_size(in);
    ls_arena_init(&r->arena, 64 * 1024);
    ls_arena_init(&r->scratch, 4096);
    int rc = read_footer(in, &r->arena, &r->meta, &r->data_end, err);
    if (!rc)
        rc = build_schema(r, err);
    if (!rc) {
        r->pad_chunks = parquet_816_writer(r->meta.created_by);
        uint64_t total = 0;
        for (int i = 0; i < r->meta.n_row_groups && !rc; i++) {
            const pq_row_group *g = &r->meta.row_groups[i];
            if (g->num_rows < 0)
                rc = ls_err(err, LS_ERR_CORRUPT, "%s: row group %d has negative num_rows %lld",
                            r->name, i, (long long)g->num_rows);
            else if (g->n_columns != r->n_leaves)
                rc = ls_err(err, LS_ERR_CORRUPT,
                            "%s: row group %d has %d column chunks but the schema has %d "
                            "columns",
                            r->name, i, g->n_columns, r->n_leaves);
            else if (__builtin_add_overflow(total, (uint64_t)g->num_rows, &total))
                rc = ls_err(err, LS_ERR_CORRUPT, "%s: row counts overflow", r->name);
        }
        r->num_rows = total;
    }
    if (rc) {
        ls_pq_reader_free(r);
        return rc;
    }
    r->keep = ls_xcalloc((size_t)(r->meta.n_row_groups ? r->meta.n_row_groups : 1), 1);
    for (int i = 0; i < r->meta.n_row_groups; i++)
        r->keep[i] = true;
    r->codec = pq_codec_ctx_new();
    *out = r;
    return LS_OK;
}

void ls_pq_reader_free(ls_pq_reader *r)
{
    if (!r)
        return;
    if (r->cols) {
        for (int i = 0; i < r->n_out; i++)
            col_free(&r->cols[i]);
        free(r->cols);
    }
    if (r->leaves) {
        for (int i = 0; i < r->n_leaves; i++) {
            free(r->leaves[i].path);
            free(r->leaves[i].def_map);
        }
        free(r->leaves);
    }
    ls_schema_free(r->out);
    ls_schema_free(r->schema);
    free(r->proj);
    free(r->keep);
    if (r->codec)
        pq_codec_ctx_free(r->codec);
    ls_arena_free(&r->scratch);
    ls_arena_free(&r->arena);
    ls_buf_free(&r->body);
    free(r);
}

const ls_schema *ls_pq_reader_schema(const ls_pq_reader *r) { return r->schema; }
uint64_t ls_pq_reader_num_rows(const ls_pq_reader *r) { return r->num_rows; }
int ls_pq_reader_num_row_groups(const ls_pq_reader *r) { return r->meta.n_row_groups; }
const ls_schema *ls_pq_reader_out_schema(const ls_pq_reader *r)
{
    return r->out ? r->out : r->schema;
}

static void copy_pruned(ls_field *dst, const ls_field *src, const bool *sel)
{
    for (int i = 0; i < src->n_children; i++) {
        const ls_field *c = &src->children[i];
        bool any = false;
        for (int k = c->leaf_first; k < c->leaf_first + c->leaf_count && !any; k++)
            any = sel[k];
        if (!any)
            continue;
        ls_field *nc = ls_field_add_child(dst, c->name, c->type, c->nullable);
        nc->precision = c->precision;
        nc->scale = c->scale;
        nc->field_id = c->field_id;
        if (c->physical_name)
            nc->physical_name = ls_xstrdup(c->physical_name);
        if (ls_type_is_group(c->type))
            copy_pruned(nc, c, sel);
    }
}

int ls_pq_reader_project(ls_pq_reader *r, const char *const *paths, int n_paths, ls_error *err)
{
    if (r->started)
        return ls_err(err, LS_ERR_INVALID, "%s: projection must be set before reading", r->name);
    ls_schema_free(r->out);
    r->out = NULL;
    free(r->proj);
    r->proj = NULL;
    if (!paths || n_paths <= 0)
        return LS_OK;
    int nl = r->schema->n_leaves;
    bool *sel = ls_xcalloc((size_t)(nl ? nl : 1), 1);
    for (int i = 0; i < n_paths; i++) {
        const char *p = paths[i];
        const ls_field *f = &r->schema->root;
        while (*p) {
            const char *dot = strchr(p, '.');
            size_t len = dot ? (size_t)(dot - p) : strlen(p);
            const ls_field *c = ls_field_find_child(f, p, len);
            if (!c) {
                free(sel);
                return ls_err(err, LS_ERR_NOTFOUND, "%s: no column '%s' in the file", r->name,
                              paths[i]);
            }
            f = c;
            p += len + (dot ? 1 : 0);
        }
        /* a map is read whole: its keys and values cannot be split */
        const ls_field *g = f;
        for (const ls_field *q = f->parent; q; q = q->parent)
            if (q->type == LS_MAP)
                g = q;
        for (int k = g->leaf_first; k < g->leaf_first + g->leaf_count; k++)
            sel[k] = true;
    }
    ls_schema *s = ls_schema_new();
    copy_pruned(&s->root, &r->schema->root, sel);
    int rc = ls_schema_finalize(s, err);
    if (rc) {
        free(sel);
        ls_schema_free(s);
        return rc;
    }
    r->proj = ls_xcalloc((size_t)(nl ? nl : 1), sizeof(int));
    int j = 0;
    for (int k = 0; k < nl; k++)
        if (sel[k])
            r->proj[j++] = k;
    free(sel);
    if (j != s->n_leaves) {
        ls_schema_free(s);
        return ls_err(err, LS_ERR_INVALID, "%s: projection produced an inconsistent schema",
                      r->name);
    }
    r->out = s;
    return LS_OK;
}

int ls_pq_reader_select_row_groups(ls_pq_reader *r, const bool *keep, ls_error *err)
{
    if (r->started)
        return ls_err(err, LS_ERR_INVALID, "%s: row groups must be selected before reading",
                      r->name);
    for (int i = 0; i < r->meta.n_row_groups; i++)
        r->keep[i] = keep ? keep[i] : true;
    return LS_OK;
}

int64_t ls_pq_reader_row_group_rows(const ls_pq_reader *r, int rg)
{
    if (rg < 0 || rg >= r->meta.n_row_groups)
        return -1;
    return r->meta.row_groups[rg].num_rows;
}

uint64_t ls_pq_reader_batch_first_row(const ls_pq_reader *r) { return r->batch_row0; }

/* ---- column chunk statistics --------------------------------------------------- */

enum { SO_SIGNED, SO_UNSIGNED, SO_UNKNOWN };

/* The sort order of a leaf's statistics (parquet.thrift ColumnOrder, TYPE_ORDER). */
static int sort_order(const pq_leafinfo *li)
{
    const pq_schema_element *se = li->se;
    if (se->has_logical) {
        switch (se->logical.kind) {
        case PQ_LT_OTHER: /* a type we do not know orders its values its own way */
        case PQ_LT_VARIANT:
        case PQ_LT_GEOMETRY:
        case PQ_LT_GEOGRAPHY:
            return SO_UNKNOWN;
        default:
            break;
        }
    }
    ann a = get_ann(se);
    switch (li->ptype) {
    case PQ_BOOLEAN:
    case PQ_FLOAT:
    case PQ_DOUBLE:
        return SO_SIGNED;
    case PQ_INT32:
    case PQ_INT64:
        return a.kind == A_INT && !a.is_signed ? SO_UNSIGNED : SO_SIGNED;
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (a.kind == A_DECIMAL || a.kind == A_F16)
            return SO_SIGNED;
        return a.kind == A_INTERVAL ? SO_UNKNOWN : SO_UNSIGNED;
    default: /* INT96: only INT96_TIMESTAMP_ORDER defines one */
        return SO_UNKNOWN;
    }
}

/* parquet-mr before 1.8.0 wrote wrong binary statistics (PARQUET-251); a parquet-mr
 * created_by without a readable version counts as old. */
static bool parquet_251_writer(const char *created_by)
{
    if (!created_by || strncmp(created_by, "parquet-mr", 10) != 0)
        return false;
    const char *v = strstr(created_by, "version ");
    int a = 0, b = 0;
    if (!v || sscanf(v + 8, "%d.%d", &a, &b) < 2)
        return true;
    return a < 1 || (a == 1 && b < 8);
}

/* A statistics value in the leaf's representation; false when it cannot be one (wrong
 * width, NaN, out of the representation's range). */
static bool stat_decode(const pq_leafinfo *li, const pq_bytes *v, ls_pq_value *out)
{
    const uint8_t *p = v->p;
    size_t n = v->len;
    memset(out, 0, sizeof *out);
    uint8_t *d = out->v.i128; /* the union's bytes: i32/i64/f32/f64 alias its start */
    switch (li->conv) {
    case CV_BOOL:
        if (n != 1 || p[0] > 1)
            return false;
        out->v.b = p[0];
        return true;
    case CV_ID4:
        if (n != 4)
            return false;
        memcpy(d, p, 4);
        return li->ptype != PQ_FLOAT || !isnan(out->v.f32);
    case CV_ID8:
        if (n != 8)
            return false;
        memcpy(d, p, 8);
        return li->ptype != PQ_DOUBLE || !isnan(out->v.f64);
    case CV_I32_I64:
    case CV_U32_I64:
    case CV_I32_I128:
    case CV_MS32_US64: {
        if (n != 4)
            return false;
        int32_t x = ld_i32(p);
        if (li->conv == CV_I32_I64)
            out->v.i64 = x;
        else if (li->conv == CV_U32_I64)
            out->v.i64 = (int64_t)(uint32_t)x;
        else if (li->conv == CV_MS32_US64)
            out->v.i64 = (int64_t)x * 1000;
        else
            st_i128_from_i64(d, x);
        return true;
    }
    case CV_I64_I32:
    case CV_I64_I128:
    case CV_U64_I128:
    case CV_MS64_US64:
    case CV_NS64_US64: {
        if (n != 8)
            return false;
        int64_t x = ld_i64(p);
        switch (li->conv) {
        case CV_I64_I32:
            if (x < INT32_MIN || x > INT32_MAX)
                return false;
            out->v.i32 = (int32_t)x;
            return true;
        case CV_I64_I128:
            st_i128_from_i64(d, x);
            return true;
        case CV_U64_I128:
            memcpy(d, p, 8); /* zero-extended: the upper half stays 0 */
            return true;
        case CV_MS64_US64:
            return !__builtin_mul_overflow(x, (int64_t)1000, &out->v.i64);
        default: /* nanoseconds: floor to micros, as the values are */
            out->v.i64 = x / 1000 - (x % 1000 < 0);
            return true;
        }
    }
    case CV_F16_F32:
        if (n != 2)
            return false;
        out->v.f32 = f16_to_f32((uint16_t)(p[0] | p[1] << 8));
        return !isnan(out->v.f32);
    case CV_BE_DEC:
        return n > 0 && be_to_dec(p, n, li->dest_w, d);
    case CV_BYTES:
        out->bytes = n ? p : (const uint8_t *)"";
        out->len = n;
        return true;
    default: /* INT96 (no order), UUID (shown as text, not its bytes) */
        return false;
    }
}

static inline __int128 ld_i128(const uint8_t *p)
{
    __int128 v;
    memcpy(&v, p, 16);
    return v;
}

/* Three-way comparison of two decoded (non-NaN) bounds of a leaf. */
static int bound_cmp(const pq_leafinfo *li, const ls_pq_value *a, const ls_pq_value *b)
{
    switch (li->phys) {
    case LS_PHYS_BOOL: return (a->v.b > b->v.b) - (a->v.b < b->v.b);
    case LS_PHYS_I32: return (a->v.i32 > b->v.i32) - (a->v.i32 < b->v.i32);
    case LS_PHYS_I64: return (a->v.i64 > b->v.i64) - (a->v.i64 < b->v.i64);
    case LS_PHYS_F32: return (a->v.f32 > b->v.f32) - (a->v.f32 < b->v.f32);
    case LS_PHYS_F64: return (a->v.f64 > b->v.f64) - (a->v.f64 < b->v.f64);
    case LS_PHYS_I128: {
        __int128 x = ld_i128(a->v.i128), y = ld_i128(b->v.i128);
        return (x > y) - (x < y);
    }
    case LS_PHYS_BYTES: {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->bytes, b->bytes, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return (a->len > b->len) - (a->len < b->len);
    }
    default: return 0;
    }
}

int ls_pq_reader_chunk_stats(const ls_pq_reader *r, int rg, int leaf, ls_pq_chunk_stats *out,
                             ls_error *err)
{
    memset(out, 0, sizeof *out);
    if (rg < 0 || rg >= r->meta.n_row_groups || leaf < 0 || leaf >= r->n_leaves)
        return ls_err(err, LS_ERR_INVALID,
                      "%s: no column chunk for row group %d, leaf %d (%d row groups, %d leaves)",
                      r->name, rg, leaf, r->meta.n_row_groups, r->n_leaves);
    const pq_leafinfo *li = &r->leaves[leaf];
    const pq_column_chunk *cc = &r->meta.row_groups[rg].columns[leaf];
    if (!cc->has_meta_data || cc->has_crypto_metadata || cc->meta_data.type != li->ptype ||
        cc->meta_data.num_values < 0)
        return LS_OK; /* reading the chunk reports what is wrong */
    const pq_column_meta *m = &cc->meta_data;
    out->num_values = (uint64_t)m->num_values;
    if (!m->has_statistics)
        return LS_OK;
    const pq_statistics *s = &m->statistics;
    if (s->has_null_count && (uint64_t)s->null_count <= out->num_values) {
        out->has_null_count = true;
        out->null_count = (uint64_t)s->null_count;
    }
    bool floating = li->ptype == PQ_FLOAT || li->ptype == PQ_DOUBLE || li->conv == CV_F16_F32;
    if (floating && s->has_nan_count && (uint64_t)s->nan_count <= out->num_values) {
        out->has_nan_count = true;
        out->nan_count = (uint64_t)s->nan_count;
    }
    /* which min/max (if any) mean something in the leaf's order */
    int order = sort_order(li);
    bool binary = li->ptype == PQ_BYTE_ARRAY || li->ptype == PQ_FIXED_LEN_BYTE_ARRAY;
    if (order == SO_UNKNOWN || (li->conv == CV_BYTES && order != SO_UNSIGNED) ||
        (binary && parquet_251_writer(r->meta.created_by)))
        return LS_OK;
    if (r->meta.n_column_orders > 0 &&
        (r->meta.n_column_orders != r->n_leaves || r->meta.column_orders[leaf] != 1))
        return LS_OK; /* an order we do not know: min and max are to be ignored */
    const pq_bytes *mn = NULL, *mx = NULL;
    bool legacy = false;
    if (s->has_min_value || s->has_max_value) {
        mn = s->has_min_value ? &s->min_value : NULL;
        mx = s->has_max_value ? &s->max_value : NULL;
    } else if (order == SO_SIGNED && !binary) {
        /* the deprecated fields: signed comparison, so right for signed orders only (and
         * binary ones compared bytes as signed) */
        mn = s->has_min ? &s->min : NULL;
        mx = s->has_max ? &s->max : NULL;
        legacy = true;
    }
    bool bytes = li->phys == LS_PHYS_BYTES;
    if (mn && stat_decode(li, mn, &out->min)) {
        out->has_min = true;
        out->min_exact = !legacy && s->has_is_min_value_exact ? s->is_min_value_exact : !bytes;
    }
    if (mx && stat_decode(li, mx, &out->max)) {
        out->has_max = true;
        out->max_exact = !legacy && s->has_is_max_value_exact ? s->is_max_value_exact : !bytes;
    }
    if (out->has_min && out->has_max && bound_cmp(li, &out->min, &out->max) > 0) {
        out->has_min = out->has_max = false; /* not bounds in our order: written otherwise */
        out->min_exact = out->max_exact = false;
    }
    return LS_OK;
}

static int start_reading(ls_pq_reader *r)
{
    const ls_schema *os = ls_pq_reader_out_schema(r);
    r->n_out = os->n_leaves;
    r->cols = ls_xcalloc((size_t)(r->n_out ? r->n_out : 1), sizeof(colr));
    for (int j = 0; j < r->n_out; j++) {
        colr *c = &r->cols[j];
        c->leaf = r->proj ? r->proj[j] : j;
        c->li = &r->leaves[c->leaf];
        c->rg = -1;
    }
    size_t ra = PQ_READAHEAD_TOTAL / (size_t)(r->n_out ? r->n_out : 1);
    if (ra < PQ_READAHEAD_MIN)
        ra = PQ_READAHEAD_MIN;
    if (ra > PQ_READAHEAD_MAX)
        ra = PQ_READAHEAD_MAX;
    r->readahead = ra;
    r->started = true;
    return LS_OK;
}

/* Finishes the current row group and opens the next selected non-empty one. */
static int advance_rg(ls_pq_reader *r, ls_error *err)
{
    int rc;
    if (r->cur_rg >= 0 && r->cur_rg < r->meta.n_row_groups)
        for (int j = 0; j < r->n_out; j++)
            if ((rc = col_finish(r, &r->cols[j], err)))
                return rc;
    for (;;) {
        if (r->cur_rg >= 0 && r->cur_rg < r->meta.n_row_groups)
            r->cur_row0 += (uint64_t)r->meta.row_groups[r->cur_rg].num_rows;
        r->cur_rg++;
        if (r->cur_rg >= r->meta.n_row_groups) {
            r->cur_rg = r->meta.n_row_groups;
            r->rg_left = 0;
            return LS_OK;
        }
        const pq_row_group *g = &r->meta.row_groups[r->cur_rg];
        if (!r->keep[r->cur_rg] || g->num_rows == 0)
            continue;
        for (int j = 0; j < r->n_out; j++)
            if ((rc = col_open(r, &r->cols[j], r->cur_rg, err)))
                return rc;
        r->rg_left = (uint64_t)g->num_rows;
        return LS_OK;
    }
}

#define PQ_STEP_ROWS 8192
#define PQ_SOFT_BATCH_BYTES ((uint64_t)256 << 20)

/* true when the next non-empty row group after the current one is not read: the rows of
 * a batch must stay consecutive in the file (callers map them to row indexes). */
static bool gap_ahead(const ls_pq_reader *r)
{
    for (int g = r->cur_rg + 1; g < r->meta.n_row_groups; g++)
        if (r->meta.row_groups[g].num_rows > 0)
            return !r->keep[g];
    return false;
}

int ls_pq_reader_next(ls_pq_reader *r, ls_batch *batch, bool *eof, ls_error *err)
{
    *eof = false;
    if (r->failed)
        return ls_err(err, LS_ERR_INVALID, "%s: the reader failed earlier", r->name);
    if (!r->started)
        start_reading(r);
    if (batch->n_leaves != r->n_out)
        return ls_err(err, LS_ERR_INVALID,
                      "%s: batch has %d leaves, the reader's output schema has %d", r->name,
                      batch->n_leaves, r->n_out);
    ls_batch_reset(batch);
    r->batch_bytes = 0;
    size_t want = r->opts.batch_rows, got = 0;
    int rc = LS_OK;
    r->batch_row0 = r->cur_row0; /* for an empty batch at the end */
    while (got < want) {
        if (r->rg_left == 0) {
            if (got > 0 && gap_ahead(r))
                break;
            if ((rc = advance_rg(r, err)))
                break;
            if (r->rg_left == 0) {
                if (got == 0)
                    r->batch_row0 = r->cur_row0;
                break;
            }
        }
        if (got == 0)
            r->batch_row0 = r->cur_row0 + ((uint64_t)r->meta.row_groups[r->cur_rg].num_rows -
                                           r->rg_left);
        size_t step = want - got;
        if (step > r->rg_left)
            step = (size_t)r->rg_left;
        if (step > PQ_STEP_ROWS)
            step = PQ_STEP_ROWS;
        for (int j = 0; j < r->n_out && !rc; j++)
            rc = col_read(r, &r->cols[j], &batch->leaves[j], step, err);
        if (rc)
            break;
        got += step;
        r->rg_left -= step;
        if (r->batch_bytes >= PQ_SOFT_BATCH_BYTES)
            break;
    }
    if (rc) {
        r->failed = true;
        ls_batch_reset(batch);
        return rc;
    }
    batch->n_rows = got;
    *eof = got == 0;
    return LS_OK;
}

/* ---- metadata as JSON ------------------------------------------------------- */

typedef struct jw {
    ls_buf *b;
    int depth;
    bool first[64];
} jw;

static void jw_indent(jw *w)
{
    ls_buf_putc(w->b, '\n');
    for (int i = 0; i < w->depth; i++)
        ls_buf_puts(w->b, "  ");
}
static void jw_item(jw *w, const char *key)
{
    if (w->depth > 0) {
        if (!w->first[w->depth])
            ls_buf_putc(w->b, ',');
        w->first[w->depth] = false;
        jw_indent(w);
    }
    if (key) {
        ls_buf_json_str(w->b, key, strlen(key));
        ls_buf_puts(w->b, ": ");
    }
}
static void jw_open(jw *w, const char *key, char c)
{
    jw_item(w, key);
    ls_buf_putc(w->b, (uint8_t)c);
    if (w->depth < 62)
        w->depth++;
    w->first[w->depth] = true;
}
static void jw_close(jw *w, char c)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (!empty)
        jw_indent(w);
    ls_buf_putc(w->b, (uint8_t)c);
}
static void jw_str(jw *w, const char *key, const char *s)
{
    jw_item(w, key);
    if (s)
        ls_buf_json_str(w->b, s, strlen(s));
    else
        ls_buf_puts(w->b, "null");
}
static void jw_int(jw *w, const char *key, long long v)
{
    jw_item(w, key);
    ls_buf_printf(w->b, "%lld", v);
}
static void jw_bool(jw *w, const char *key, bool v)
{
    jw_item(w, key);
    ls_buf_puts(w->b, v ? "true" : "false");
}
static void jw_raw(jw *w, const char *key, const char *text)
{
    jw_item(w, key);
    ls_buf_puts(w->b, text);
}
static void jw_name(jw *w, const char *key, const char *name, int code)
{
    if (name)
        jw_str(w, key, name);
    else
        jw_int(w, key, code);
}

static void hex_str(ls_buf *b, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    ls_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        ls_buf_putc(b, (uint8_t)hx[p[i] >> 4]);
        ls_buf_putc(b, (uint8_t)hx[p[i] & 15]);
    }
    ls_buf_putc(b, '"');
}

static void shortest_double(double d, bool is_float, ls_buf *b)
{
    if (ls_buf_put_json_nonfinite(b, d))
        return;
    ls_buf_printf(b, "%.*g", ls_shortest_precision(d, is_float), d);
}

/* Writes one statistics value decoded by the leaf's type, or "<key>_hex". */
static void stat_value(jw *w, const char *key, const pq_bytes *v, const pnode *leaf)
{
    char kh[64];
    snprintf(kh, sizeof kh, "%s_hex", key);
    if (!leaf) {
        jw_item(w, kh);
        hex_str(w->b, v->p, v->len);
        return;
    }
    const pq_schema_element *se = leaf->se;
    ann a = get_ann(se);
    if (a.kind == A_DECIMAL && (a.scale < 0 || a.scale > 38 || a.precision < 1))
        a.kind = A_NONE; /* unusable annotation: fall back to the physical type */
    const uint8_t *p = v->p;
    size_t n = v->len;
    ls_buf *b = w->b;
    char t[64];
    uint8_t d16[16];
    switch (se->type) {
    case PQ_BOOLEAN:
        if (n != 1)
            break;
        jw_bool(w, key, p[0] != 0);
        return;
    case PQ_INT32: {
        if (n != 4)
            break;
        int32_t x = ld_i32(p);
        jw_item(w, key);
        if (a.kind == A_DATE) {
            ls_format_date(x, t);
            ls_buf_json_str(b, t, strlen(t));
        } else if (a.kind == A_DECIMAL) {
            st_i128_from_i64(d16, x);
            ls_buf_putc(b, '"');
            ls_buf_put_decimal(b, d16, 16, a.scale);
            ls_buf_putc(b, '"');
        } else if (a.kind == A_INT && !a.is_signed) {
            ls_buf_printf(b, "%u", (uint32_t)x);
        } else {
            ls_buf_printf(b, "%d", x);
        }
        return;
    }
    case PQ_INT64: {
        if (n != 8)
            break;
        int64_t x = ld_i64(p);
        if (a.kind == A_TS) {
            int64_t us = x;
            if (a.unit == PQ_UNIT_MILLIS && __builtin_mul_overflow(x, (int64_t)1000, &us))
                break;
            if (a.unit == PQ_UNIT_NANOS)
                us = x / 1000 - (x % 1000 < 0);
            ls_format_timestamp(us, a.utc, t);
            jw_str(w, key, t);
            return;
        }
        jw_item(w, key);
        if (a.kind == A_DECIMAL) {
            st_i128_from_i64(d16, x);
            ls_buf_putc(b, '"');
            ls_buf_put_decimal(b, d16, 16, a.scale);
            ls_buf_putc(b, '"');
        } else if (a.kind == A_INT && !a.is_signed) {
            ls_buf_printf(b, "%llu", (unsigned long long)x);
        } else {
            ls_buf_printf(b, "%lld", (long long)x);
        }
        return;
    }
    case PQ_INT96: {
        if (n != 12)
            break;
        ls_format_timestamp(int96_to_us(p), true, t);
        jw_str(w, key, t);
        return;
    }
    case PQ_FLOAT: {
        if (n != 4)
            break;
        float f;
        memcpy(&f, p, 4);
        jw_item(w, key);
        shortest_double(f, true, b);
        return;
    }
    case PQ_DOUBLE: {
        if (n != 8)
            break;
        double f;
        memcpy(&f, p, 8);
        jw_item(w, key);
        shortest_double(f, false, b);
        return;
    }
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (a.kind == A_DECIMAL) {
            if (!be_to_dec(p, n, 16, d16))
                break;
            jw_item(w, key);
            ls_buf_putc(b, '"');
            ls_buf_put_decimal(b, d16, 16, a.scale);
            ls_buf_putc(b, '"');
            return;
        }
        if (a.kind == A_UUID && n == 16) {
            jw_item(w, key);
            ls_buf_putc(b, '"');
            fmt_uuid(b, p);
            ls_buf_putc(b, '"');
            return;
        }
        if (a.kind == A_F16 && n == 2) {
            jw_item(w, key);
            shortest_double(f16_to_f32((uint16_t)(p[0] | p[1] << 8)), true, b);
            return;
        }
        if ((a.kind == A_STRING || a.kind == A_ENUM || a.kind == A_JSON) && ls_utf8_valid(p, n)) {
            jw_item(w, key);
            ls_buf_json_str(b, n ? (const char *)p : "", n);
            return;
        }
        break;
    default: break;
    }
    jw_item(w, kh);
    hex_str(b, p, n);
}

static void logical_json(jw *w, const pq_logical *l)
{
    static const char *const names[] = {
        "NONE", "STRING", "MAP", "LIST", "ENUM", "DECIMAL", "DATE", "TIME", "TIMESTAMP", "?",
        "INTEGER", "UNKNOWN", "JSON", "BSON", "UUID", "FLOAT16", "VARIANT", "GEOMETRY",
        "GEOGRAPHY"};
    jw_open(w, "logical_type", '{');
    if (l->kind >= 0 && l->kind < (int)(sizeof names / sizeof *names))
        jw_str(w, "type", names[l->kind]);
    else
        jw_str(w, "type", "OTHER");
    static const char *const units[] = {"?", "MILLIS", "MICROS", "NANOS"};
    switch (l->kind) {
    case PQ_LT_DECIMAL:
        jw_int(w, "precision", l->precision);
        jw_int(w, "scale", l->scale);
        break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        jw_bool(w, "is_adjusted_to_utc", l->is_adjusted_to_utc);
        jw_str(w, "unit", l->unit >= 1 && l->unit <= 3 ? units[l->unit] : "?");
        break;
    case PQ_LT_INTEGER:
        jw_int(w, "bit_width", l->bit_width);
        jw_bool(w, "is_signed", l->is_signed);
        break;
    default: break;
    }
    jw_close(w, '}');
}

static void stats_json(jw *w, const char *key, const pq_statistics *s, const pnode *leaf)
{
    jw_open(w, key, '{');
    if (s->has_null_count)
        jw_int(w, "null_count", (long long)s->null_count);
    if (s->has_distinct_count)
        jw_int(w, "distinct_count", (long long)s->distinct_count);
    if (s->has_min_value)
        stat_value(w, "min_value", &s->min_value, leaf);
    if (s->has_max_value)
        stat_value(w, "max_value", &s->max_value, leaf);
    if (s->has_is_min_value_exact)
        jw_bool(w, "is_min_value_exact", s->is_min_value_exact);
    if (s->has_is_max_value_exact)
        jw_bool(w, "is_max_value_exact", s->is_max_value_exact);
    if (s->has_nan_count)
        jw_int(w, "nan_count", (long long)s->nan_count);
    if (s->has_min)
        stat_value(w, "min", &s->min, leaf);
    if (s->has_max)
        stat_value(w, "max", &s->max, leaf);
    jw_close(w, '}');
}

static void kv_json(jw *w, const char *key, const pq_kv *kv, int n)
{
    jw_open(w, key, '[');
    for (int i = 0; i < n; i++) {
        jw_open(w, NULL, '{');
        jw_str(w, "key", kv[i].key);
        jw_str(w, "value", kv[i].value);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

int ls_pq_meta_json(ls_input *in, ls_buf *out, ls_error *err)
{
    ls_arena a;
    ls_arena_init(&a, 64 * 1024);
    pq_file_meta m;
    uint64_t data_end;
    int rc = read_footer(in, &a, &m, &data_end, err);
    if (rc) {
        ls_arena_free(&a);
        return rc;
    }
    const char *name = ls_input_name(in);
    /* The schema tree gives statistics their types; without it they are printed as hex. */
    pnode root;
    int idx = 0, nl = 0;
    ls_error e2;
    pq_leafinfo *lv = NULL;
    if (m.n_schema >= 1 && build_node(&m, &idx, &root, NULL, 0, &nl, &a, name, &e2) == LS_OK &&
        idx == m.n_schema) {
        lv = ls_xcalloc((size_t)(nl ? nl : 1), sizeof *lv);
        collect_leaves(&root, lv);
    } else {
        nl = 0;
    }
    jw w = {.b = out};
    jw_open(&w, NULL, '{');
    jw_str(&w, "file", name);
    jw_int(&w, "file_size", (long long)ls_input_size(in));
    jw_int(&w, "footer_offset", (long long)data_end);
    jw_int(&w, "version", m.version);
    jw_str(&w, "created_by", m.created_by);
    jw_int(&w, "num_rows", (long long)m.num_rows);
    jw_int(&w, "num_row_groups", m.n_row_groups);
    if (m.has_encryption_algorithm)
        jw_bool(&w, "encrypted_columns", true);
    kv_json(&w, "key_value_metadata", m.kv, m.n_kv);
    jw_open(&w, "schema", '[');
    static const char *const reps[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
    for (int i = 0; i < m.n_schema; i++) {
        const pq_schema_element *se = &m.schema[i];
        jw_open(&w, NULL, '{');
        jw_str(&w, "name", se->name);
        if (se->has_type)
            jw_name(&w, "type", pq_type_name(se->type), se->type);
        if (se->has_type_length)
            jw_int(&w, "type_length", se->type_length);
        if (se->has_repetition)
            jw_name(&w, "repetition",
                    se->repetition >= 0 && se->repetition <= 2 ? reps[se->repetition] : NULL,
                    se->repetition);
        if (se->has_num_children)
            jw_int(&w, "num_children", se->num_children);
        if (se->has_converted_type)
            jw_name(&w, "converted_type", pq_converted_name(se->converted_type),
                    se->converted_type);
        if (se->has_logical)
            logical_json(&w, &se->logical);
        if (se->has_precision)
            jw_int(&w, "precision", se->precision);
        if (se->has_scale)
            jw_int(&w, "scale", se->scale);
        if (se->has_field_id)
            jw_int(&w, "field_id", se->field_id);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    if (m.n_column_orders) {
        jw_open(&w, "column_orders", '[');
        for (int i = 0; i < m.n_column_orders; i++)
            jw_raw(&w, NULL, m.column_orders[i] == 1 ? "\"TYPE_ORDER\"" : "\"UNKNOWN\"");
        jw_close(&w, ']');
    }
    jw_open(&w, "row_groups", '[');
    for (int g = 0; g < m.n_row_groups; g++) {
        const pq_row_group *rg = &m.row_groups[g];
        jw_open(&w, NULL, '{');
        jw_int(&w, "num_rows", (long long)rg->num_rows);
        jw_int(&w, "total_byte_size", (long long)rg->total_byte_size);
        if (rg->has_total_compressed_size)
            jw_int(&w, "total_compressed_size", (long long)rg->total_compressed_size);
        if (rg->has_file_offset)
            jw_int(&w, "file_offset", (long long)rg->file_offset);
        if (rg->has_ordinal)
            jw_int(&w, "ordinal", rg->ordinal);
        if (rg->n_sorting_columns) {
            jw_open(&w, "sorting_columns", '[');
            for (int i = 0; i < rg->n_sorting_columns; i++) {
                jw_open(&w, NULL, '{');
                jw_int(&w, "column_idx", rg->sorting_columns[i].column_idx);
                jw_bool(&w, "descending", rg->sorting_columns[i].descending);
                jw_bool(&w, "nulls_first", rg->sorting_columns[i].nulls_first);
                jw_close(&w, '}');
            }
            jw_close(&w, ']');
        }
        jw_open(&w, "columns", '[');
        for (int ci = 0; ci < rg->n_columns; ci++) {
            const pq_column_chunk *cc = &rg->columns[ci];
            const pnode *leaf = ci < nl ? lv[ci].node : NULL;
            jw_open(&w, NULL, '{');
            if (cc->file_path)
                jw_str(&w, "file_path", cc->file_path);
            if (cc->has_crypto_metadata)
                jw_bool(&w, "encrypted", true);
            if (cc->has_meta_data) {
                const pq_column_meta *cm = &cc->meta_data;
                ls_buf path = {0};
                for (int k = 0; k < cm->n_path; k++) {
                    if (k)
                        ls_buf_putc(&path, '.');
                    ls_buf_puts(&path, cm->path[k] ? cm->path[k] : "");
                }
                jw_item(&w, "path");
                ls_buf_json_str(out, path.len ? (const char *)path.data : "", path.len);
                ls_buf_free(&path);
                if (leaf && leaf->se->type != cm->type)
                    leaf = NULL; /* inconsistent: do not decode statistics by it */
                jw_name(&w, "type", pq_type_name(cm->type), cm->type);
                jw_name(&w, "codec", pq_codec_name(cm->codec), cm->codec);
                jw_open(&w, "encodings", '[');
                for (int k = 0; k < cm->n_encodings; k++)
                    jw_name(&w, NULL, pq_encoding_name(cm->encodings[k]), cm->encodings[k]);
                jw_close(&w, ']');
                jw_int(&w, "num_values", (long long)cm->num_values);
                jw_int(&w, "total_compressed_size", (long long)cm->total_compressed_size);
                jw_int(&w, "total_uncompressed_size", (long long)cm->total_uncompressed_size);
                jw_int(&w, "data_page_offset", (long long)cm->data_page_offset);
                if (cm->has_dictionary_page_offset)
                    jw_int(&w, "dictionary_page_offset", (long long)cm->dictionary_page_offset);
                if (cm->has_index_page_offset)
                    jw_int(&w, "index_page_offset", (long long)cm->index_page_offset);
                if (cm->has_statistics)
                    stats_json(&w, "statistics", &cm->statistics, leaf);
                if (cm->n_encoding_stats) {
                    jw_open(&w, "encoding_stats", '[');
                    for (int k = 0; k < cm->n_encoding_stats; k++) {
                        const pq_page_encoding_stats *es = &cm->encoding_stats[k];
                        jw_open(&w, NULL, '{');
                        jw_name(&w, "page_type", pq_page_type_name(es->page_type), es->page_type);
                        jw_name(&w, "encoding", pq_encoding_name(es->encoding), es->encoding);
                        jw_int(&w, "count", es->count);
                        jw_close(&w, '}');
                    }
                    jw_close(&w, ']');
                }
                if (cm->has_bloom_filter_offset)
                    jw_int(&w, "bloom_filter_offset", (long long)cm->bloom_filter_offset);
                if (cm->has_bloom_filter_length)
                    jw_int(&w, "bloom_filter_length", cm->bloom_filter_length);
                if (cm->n_kv)
                    kv_json(&w, "key_value_metadata", cm->kv, cm->n_kv);
            }
            if (cc->has_offset_index) {
                jw_int(&w, "offset_index_offset", (long long)cc->offset_index_offset);
                jw_int(&w, "offset_index_length", cc->offset_index_length);
            }
            if (cc->has_column_index) {
                jw_int(&w, "column_index_offset", (long long)cc->column_index_offset);
                jw_int(&w, "column_index_length", cc->column_index_length);
            }
            jw_close(&w, '}');
        }
        jw_close(&w, ']');
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_close(&w, '}');
    ls_buf_putc(out, '\n');
    free(lv);
    ls_arena_free(&a);
    return LS_OK;
}
