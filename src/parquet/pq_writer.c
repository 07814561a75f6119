/*
 * pq_writer.c - streaming Parquet file writer.
 *
 * Layout written (see parquet-format README "File Format"):
 *   PAR1 | row group 0: chunk 0 [dict page] data pages | chunk 1 ... | row group 1 ...
 *        | ColumnIndex x (row groups * leaves) | OffsetIndex x ... | FileMetaData | len | PAR1
 *
 * Choices, for the widest reader compatibility (parquet-brief.md section 13):
 * footer version 1, DATA_PAGE v1 headers with RLE levels, dictionary pages in
 * PLAIN_DICTIONARY (parquet-java v1 style) with PLAIN fallback once the
 * dictionary outgrows its limit, 3-level LIST / MAP, both LogicalType and
 * ConvertedType, min_value/max_value + column_orders, page index.
 *
 * Memory: one row group of compressed pages per column is buffered (pages
 * must be contiguous per column), plus one open page and one dictionary per
 * column. Nothing grows with the file size; footer metadata aside.
 *
 * Pages are cut only at row boundaries (rep level 0) so OffsetIndex
 * first_row_index is exact and page skipping is valid.
 */
#include "parquet.h"
#include "pq_codec.h"
#include "pq_enc.h"
#include "pq_meta.h"

#include <math.h>
#include <stdlib.h>

#define STATS_TRUNCATE 64 /* bytes kept of string min/max in chunk stats and ColumnIndex */
#define ROWS_PER_STEP 1024 /* rows appended to a page between size checks */

void ls_pq_writer_opts_default(ls_pq_writer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = PQ_CODEC_ZSTD;
    o->level = 0;
    o->row_group_bytes = 128u << 20;
    o->page_bytes = 1u << 20;
    o->max_page_rows = 20000;
    o->dict_bytes_limit = 1u << 20;
    o->dictionary = true;
    o->statistics = true;
    o->page_index = true;
    o->field_ids = true;
}

/* ---- statistics --------------------------------------------------------- */

typedef union pq_scalar {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint8_t b;
    uint8_t i128[16];
} pq_scalar;

typedef struct pq_stats {
    uint64_t null_count;
    bool has;        /* min/max valid */
    pq_scalar min, max;
    ls_buf minb, maxb; /* BYTES */
} pq_stats;

static void stats_reset(pq_stats *s)
{
    s->null_count = 0;
    s->has = false;
    s->minb.len = s->maxb.len = 0;
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static int cmp_i128(const uint8_t *a, const uint8_t *b)
{
    __int128 x, y;
    memcpy(&x, a, 16);
    memcpy(&y, b, 16);
    return x < y ? -1 : x > y;
}

static void stats_bytes(pq_stats *s, const uint8_t *p, size_t n)
{
    if (!s->has) {
        s->has = true;
        s->minb.len = s->maxb.len = 0;
        ls_buf_append(&s->minb, p, n);
        ls_buf_append(&s->maxb, p, n);
        return;
    }
    if (cmp_bytes(p, n, s->minb.data, s->minb.len) < 0) {
        s->minb.len = 0;
        ls_buf_append(&s->minb, p, n);
    } else if (cmp_bytes(p, n, s->maxb.data, s->maxb.len) > 0) {
        s->maxb.len = 0;
        ls_buf_append(&s->maxb, p, n);
    }
}

/* Merges page/chunk stats src into dst. */
static void stats_merge(pq_stats *dst, const pq_stats *src, ls_phys phys)
{
    dst->null_count += src->null_count;
    if (!src->has)
        return;
    if (phys == LS_PHYS_BYTES) {
        stats_bytes(dst, src->minb.data, src->minb.len);
        stats_bytes(dst, src->maxb.data, src->maxb.len);
        return;
    }
    if (!dst->has) {
        dst->has = true;
        dst->min = src->min;
        dst->max = src->max;
        return;
    }
    switch (phys) {
    case LS_PHYS_BOOL:
        if (src->min.b < dst->min.b) dst->min.b = src->min.b;
        if (src->max.b > dst->max.b) dst->max.b = src->max.b;
        break;
    case LS_PHYS_I32:
        if (src->min.i32 < dst->min.i32) dst->min.i32 = src->min.i32;
        if (src->max.i32 > dst->max.i32) dst->max.i32 = src->max.i32;
        break;
    case LS_PHYS_I64:
        if (src->min.i64 < dst->min.i64) dst->min.i64 = src->min.i64;
        if (src->max.i64 > dst->max.i64) dst->max.i64 = src->max.i64;
        break;
    case LS_PHYS_F32:
        if (src->min.f32 < dst->min.f32 || (src->min.f32 == 0 && signbit(src->min.f32)))
            dst->min.f32 = src->min.f32;
        if (src->max.f32 > dst->max.f32 || (src->max.f32 == 0 && !signbit(src->max.f32)))
            dst->max.f32 = src->max.f32;
        break;
    case LS_PHYS_F64:
        if (src->min.f64 < dst->min.f64 || (src->min.f64 == 0 && signbit(src->min.f64)))
            dst->min.f64 = src->min.f64;
        if (src->max.f64 > dst->max.f64 || (src->max.f64 == 0 && !signbit(src->max.f64)))
            dst->max.f64 = src->max.f64;
        break;
    case LS_PHYS_I128:
        if (cmp_i128(src->min.i128, dst->min.i128) < 0) memcpy(dst->min.i128, src->min.i128, 16);
        if (cmp_i128(src->max.i128, dst->max.i128) > 0) memcpy(dst->max.i128, src->max.i128, 16);
        break;
    default: break;
    }
}

/* ---- dictionary ----------------------------------------------------------- */

typedef struct pq_dict {
    uint32_t *slots; /* open addressing: entry index + 1, 0 = empty */
    size_t mask;
    uint32_t n;
    size_t es;         /* fixed width, 0 for BYTES */
    ls_buf vals;       /* fixed: raw values; BYTES: concatenated payloads */
    uint64_t *offs;    /* BYTES: n + 1 offsets into vals */
    uint32_t *hashes;  /* per entry */
    uint32_t *stamp;   /* per entry: last page number whose stats saw it */
    size_t cap;        /* capacity of the per-entry arrays */
    size_t plain_size; /* PLAIN-encoded size of the dictionary page body */
} pq_dict;

static void dict_clear(pq_dict *d)
{
    if (d->slots)
        memset(d->slots, 0, (d->mask + 1) * sizeof(uint32_t));
    d->n = 0;
    d->vals.len = 0;
    d->plain_size = 0;
    if (d->offs)
        d->offs[0] = 0;
}

static void dict_free(pq_dict *d)
{
    free(d->slots);
    free(d->offs);
    free(d->hashes);
    free(d->stamp);
    ls_buf_free(&d->vals);
}

static void dict_rehash(pq_dict *d)
{
    size_t nsz = d->slots ? (d->mask + 1) * 2 : 1024;
    uint32_t *ns = ls_xcalloc(nsz, sizeof(uint32_t));
    size_t mask = nsz - 1;
    for (uint32_t i = 0; i < d->n; i++) {
        size_t h = d->hashes[i] & mask;
        while (ns[h])
            h = (h + 1) & mask;
        ns[h] = i + 1;
    }
    free(d->slots);
    d->slots = ns;
    d->mask = mask;
}

static void dict_grow_entries(pq_dict *d)
{
    size_t cap = d->cap ? d->cap * 2 : 1024;
    d->hashes = ls_xrealloc(d->hashes, cap * sizeof(uint32_t));
    d->stamp = ls_xrealloc(d->stamp, cap * sizeof(uint32_t));
    if (!d->es)
        d->offs = ls_xrealloc(d->offs, (cap + 1) * sizeof(uint64_t));
    d->cap = cap;
}

/* Returns the entry index of the value, inserting it; *is_new set when inserted. */
static inline uint32_t dict_fixed(pq_dict *d, const void *v, bool *is_new)
{
    uint64_t bits = 0;
    memcpy(&bits, v, d->es <= 8 ? d->es : 8);
    if (d->es == 16) {
        uint64_t hi;
        memcpy(&hi, (const uint8_t *)v + 8, 8);
        bits ^= ls_hash_u64(hi);
    }
    uint32_t h = (uint32_t)ls_hash_u64(bits);
    size_t i = h & d->mask;
    for (;;) {
        uint32_t s = d->slots[i];
        if (!s)
            break;
        if (d->hashes[s - 1] == h && memcmp(d->vals.data + (size_t)(s - 1) * d->es, v, d->es) == 0) {
            *is_new = false;
            return s - 1;
        }
        i = (i + 1) & d->mask;
    }
    uint32_t e = d->n++;
    if (e == d->cap)
        dict_grow_entries(d);
    d->hashes[e] = h;
    d->stamp[e] = UINT32_MAX;
    ls_buf_append(&d->vals, v, d->es);
    d->plain_size += d->es;
    d->slots[i] = e + 1;
    if (d->n * 2 > d->mask + 1)
        dict_rehash(d);
    *is_new = true;
    return e;
}

static inline uint32_t dict_bytes(pq_dict *d, const uint8_t *p, size_t n, bool *is_new)
{
    uint32_t h = (uint32_t)ls_hash64(p, n, 0);
    size_t i = h & d->mask;
    for (;;) {
        uint32_t s = d->slots[i];
        if (!s)
            break;
        uint32_t e = s - 1;
        if (d->hashes[e] == h && d->offs[e + 1] - d->offs[e] == n &&
            memcmp(d->vals.data + d->offs[e], p, n) == 0) {
            *is_new = false;
            return e;
        }
        i = (i + 1) & d->mask;
    }
    uint32_t e = d->n++;
    if (e == d->cap)
        dict_grow_entries(d);
    d->hashes[e] = h;
    d->stamp[e] = UINT32_MAX;
    ls_buf_append(&d->vals, p, n);
    d->offs[e + 1] = d->vals.len;
    d->plain_size += 4 + n;
    d->slots[i] = e + 1;
    if (d->n * 2 > d->mask + 1)
        dict_rehash(d);
    *is_new = true;
    return e;
}

/* ---- per column state ----------------------------------------------------- */

typedef struct pq_page_rec {
    int64_t offset; /* relative to the chunk's data pages start */
    int32_t size;   /* compressed page size including header */
    uint32_t seg;   /* where the page's bytes (header + data) are held: segs[seg] */
    size_t seg_off;
    int64_t first_row;
    bool null_page;
    uint64_t null_count;
    ls_buf min, max; /* encoded (truncated) ColumnIndex bounds */
} pq_page_rec;

typedef struct pq_colw {
    const ls_field *field;
    ls_phys phys;
    int ptype, type_length;
    int max_def, max_rep;
    size_t es; /* in-memory width of a value */
    /* the open page */
    ls_buf pdef, prep; /* raw levels, one byte each */
    size_t page_slots, page_rows;
    ls_buf pvals; /* PLAIN mode: encoded values */
    uint32_t *pidx; /* dictionary mode: indices */
    size_t pidx_n, pidx_cap;
    pq_stats page_st, chunk_st, file_st;
    uint32_t page_no;
    /* dictionary */
    bool use_dict;  /* pages are currently dictionary-encoded */
    bool dict_used; /* some page in this chunk used the dictionary */
    pq_dict dict;
    uint64_t values_seen; /* in dictionary mode, for the cardinality check */
    /* The chunk: data pages (header + compressed data) are compressed straight
     * into segments that are kept for the writer's life, so a page is never
     * copied (a growing contiguous buffer would be copied by realloc) and
     * row groups after the first touch no new memory. */
    ls_buf *segs;
    uint32_t n_segs, segs_cap, cur_seg;
    size_t chunk_bytes; /* sum of the pages' sizes */
    /* The first column's chunk opens the row group, so when it has no dictionary its
     * pages go straight to the output (from stream_start on) instead of being held:
     * ids and other unique first columns are often the largest chunk of a file. */
    bool streamed;
    int64_t stream_start;
    int64_t chunk_values, chunk_unc, chunk_rows;
    int32_t n_dict_data_pages, n_plain_pages;
    pq_page_rec *pages;
    size_t n_pages, pages_cap;
    int zstd_level; /* chosen on the first sizeable page (0 = not yet) */
    /* scratch */
    ls_buf enc, comp, hdr;
} pq_colw;

typedef struct pq_rg_out {
    pq_row_group rg;
    ls_buf *col_index; /* per column: serialized ColumnIndex (empty if none) */
    ls_buf *off_index; /* per column: serialized OffsetIndex */
} pq_rg_out;

struct ls_pq_writer {
    ls_output *out;
    const ls_schema *schema;
    ls_pq_writer_opts opts;
    pq_codec_ctx *codec;
    ls_arena arena; /* footer metadata */
    int n_cols;
    pq_colw *cols;
    pq_schema_element *elems;
    int n_elems;
    const char ***paths; /* per column path_in_schema */
    int *path_len;
    pq_rg_out *rgs;
    int n_rgs, rgs_cap;
    uint64_t rows_total, rg_rows;
    uint64_t offset; /* bytes written to out */
    bool closed, failed;
    ls_pq_leaf_stats *leaf_stats;
};

/* ---- schema mapping ------------------------------------------------------- */

static int decimal_flba_len(int precision)
{
    /* smallest n with 2^(8n-1) > 10^precision */
    for (int n = 1; n <= 16; n++) {
        double maxv = ldexp(1.0, 8 * n - 1);
        if (maxv > pow(10.0, precision))
            return n;
    }
    return 16;
}

static void set_leaf_type(pq_schema_element *e, const ls_field *f)
{
    e->has_type = true;
    switch (f->type) {
    case LS_BOOLEAN: e->type = PQ_BOOLEAN; break;
    case LS_INT8:
    case LS_INT16:
        e->type = PQ_INT32;
        e->has_logical = true;
        e->logical.kind = PQ_LT_INTEGER;
        e->logical.bit_width = f->type == LS_INT8 ? 8 : 16;
        e->logical.is_signed = true;
        e->has_converted_type = true;
        e->converted_type = f->type == LS_INT8 ? PQ_CT_INT_8 : PQ_CT_INT_16;
        break;
    case LS_INT32: e->type = PQ_INT32; break;
    case LS_INT64: e->type = PQ_INT64; break;
    case LS_FLOAT: e->type = PQ_FLOAT; break;
    case LS_DOUBLE: e->type = PQ_DOUBLE; break;
    case LS_STRING:
        e->type = PQ_BYTE_ARRAY;
        e->has_logical = true;
        e->logical.kind = PQ_LT_STRING;
        e->has_converted_type = true;
        e->converted_type = PQ_CT_UTF8;
        break;
    case LS_BINARY: e->type = PQ_BYTE_ARRAY; break;
    case LS_DATE:
        e->type = PQ_INT32;
        e->has_logical = true;
        e->logical.kind = PQ_LT_DATE;
        e->has_converted_type = true;
        e->converted_type = PQ_CT_DATE;
        break;
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ:
        e->type = PQ_INT64;
        e->has_logical = true;
        e->logical.kind = PQ_LT_TIMESTAMP;
        e->logical.is_adjusted_to_utc = f->type == LS_TIMESTAMP;
        e->logical.unit = PQ_UNIT_MICROS;
        e->has_converted_type = true;
        e->converted_type = PQ_CT_TIMESTAMP_MICROS;
        break;
    case LS_DECIMAL:
        if (f->precision <= 9)
            e->type = PQ_INT32;
        else if (f->precision <= 18)
            e->type = PQ_INT64;
        else {
            e->type = PQ_FIXED_LEN_BYTE_ARRAY;
            e->has_type_length = true;
            e->type_length = decimal_flba_len(f->precision);
        }
        e->has_logical = true;
        e->logical.kind = PQ_LT_DECIMAL;
        e->logical.precision = f->precision;
        e->logical.scale = f->scale;
        e->has_converted_type = true;
        e->converted_type = PQ_CT_DECIMAL;
        e->has_scale = e->has_precision = true;
        e->scale = f->scale;
        e->precision = f->precision;
        break;
    default: break;
    }
}

typedef struct schema_build {
    ls_pq_writer *w;
    int cap;
    const char *path[LS_MAX_NESTING * 2 + 4];
    int depth;
} schema_build;

static pq_schema_element *new_elem(schema_build *sb, const char *name, int repetition)
{
    ls_pq_writer *w = sb->w;
    if (w->n_elems == sb->cap) {
        sb->cap = sb->cap ? sb->cap * 2 : 64;
        w->elems = ls_xrealloc(w->elems, (size_t)sb->cap * sizeof(pq_schema_element));
    }
    pq_schema_element *e = &w->elems[w->n_elems++];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->has_repetition = repetition >= 0;
    e->repetition = repetition;
    return e;
}

static void add_leaf_path(schema_build *sb, const ls_field *f)
{
    ls_pq_writer *w = sb->w;
    const char **p = ls_arena_alloc(&w->arena, (size_t)sb->depth * sizeof(char *));
    memcpy(p, sb->path, (size_t)sb->depth * sizeof(char *));
    w->paths[f->leaf_index] = p;
    w->path_len[f->leaf_index] = sb->depth;
}

static void build_field(schema_build *sb, const ls_field *f, const char *name, int repetition)
{
    ls_pq_writer *w = sb->w;
    int idx = w->n_elems;
    pq_schema_element *e = new_elem(sb, name, repetition);
    if (w->opts.field_ids && f->field_id >= 0) {
        e->has_field_id = true;
        e->field_id = f->field_id;
    }
    sb->path[sb->depth++] = name;
    switch (f->type) {
    case LS_STRUCT:
        e->has_num_children = true;
        e->num_children = f->n_children;
        for (int i = 0; i < f->n_children; i++)
            build_field(sb, &f->children[i], f->children[i].name,
                        f->children[i].nullable ? PQ_OPTIONAL : PQ_REQUIRED);
        break;
    case LS_LIST: {
        e->has_num_children = true;
        e->num_children = 1;
        e->has_logical = true;
        e->logical.kind = PQ_LT_LIST;
        e->has_converted_type = true;
        e->converted_type = PQ_CT_LIST;
        pq_schema_element *g = new_elem(sb, "list", PQ_REPEATED);
        g->has_num_children = true;
        g->num_children = 1;
        sb->path[sb->depth++] = "list";
        const ls_field *el = &f->children[0];
        build_field(sb, el, "element", el->nullable ? PQ_OPTIONAL : PQ_REQUIRED);
        sb->depth--;
        break;
    }
    case LS_MAP: {
        e->has_num_children = true;
        e->num_children = 1;
        e->has_logical = true;
        e->logical.kind = PQ_LT_MAP;
        e->has_converted_type = true;
        e->converted_type = PQ_CT_MAP;
        pq_schema_element *g = new_elem(sb, "key_value", PQ_REPEATED);
        g->has_num_children = true;
        g->num_children = 2;
        sb->path[sb->depth++] = "key_value";
        build_field(sb, &f->children[0], "key", PQ_REQUIRED);
        build_field(sb, &f->children[1], "value",
                    f->children[1].nullable ? PQ_OPTIONAL : PQ_REQUIRED);
        sb->depth--;
        break;
    }
    default:
        set_leaf_type(&w->elems[idx], f);
        add_leaf_path(sb, f);
        break;
    }
    sb->depth--;
}

/* ---- page encoding ---------------------------------------------------------- */

/* With ZSTD at the default level, each column picks its level on its first sizeable
 * page: level 1 unless level 3 saves more than 10% (it does on floating-point data,
 * where the stronger match finder pays; on ids and text it rarely does). */
#define ZSTD_FAST 1
#define ZSTD_STRONG 3
#define ZSTD_TRIAL_MIN (16 * 1024)

static int compress_page(ls_pq_writer *w, pq_colw *c, const ls_buf *body, ls_buf *out,
                         ls_error *err)
{
    if (w->opts.codec != PQ_CODEC_ZSTD || w->opts.level != 0)
        return pq_compress(w->codec, w->opts.codec, w->opts.level, body->data, body->len, out,
                           err);
    if (c->zstd_level == 0 && body->len >= ZSTD_TRIAL_MIN) {
        size_t at = out->len;
        int rc = pq_compress(w->codec, PQ_CODEC_ZSTD, ZSTD_FAST, body->data, body->len, out, err);
        if (rc)
            return rc;
        ls_buf strong = {0};
        rc = pq_compress(w->codec, PQ_CODEC_ZSTD, ZSTD_STRONG, body->data, body->len, &strong, err);
        if (rc == LS_OK && strong.len * 10 < (out->len - at) * 9) {
            out->len = at;
            ls_buf_append(out, strong.data, strong.len);
            c->zstd_level = ZSTD_STRONG;
        } else {
            c->zstd_level = ZSTD_FAST;
        }
        ls_buf_free(&strong);
        return rc;
    }
    return pq_compress(w->codec, PQ_CODEC_ZSTD, c->zstd_level ? c->zstd_level : ZSTD_FAST,
                       body->data, body->len, out, err);
}

/* Serializes into hdr the header of a page whose compressed bytes are comp[0..clen). */
static void page_header(ls_buf *hdr, int page_type, size_t body_len, const uint8_t *comp,
                        size_t clen, int32_t num_values, int encoding)
{
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = page_type;
    h.uncompressed_page_size = (int32_t)body_len;
    h.compressed_page_size = (int32_t)clen;
    h.has_crc = true;
    h.crc = (int32_t)ls_crc32(0, comp, clen);
    if (page_type == PQ_PAGE_DICTIONARY) {
        h.has_dictionary_page_header = true;
        h.dictionary_page_header.num_values = num_values;
        h.dictionary_page_header.encoding = encoding;
    } else {
        h.has_data_page_header = true;
        h.data_page_header.num_values = num_values;
        h.data_page_header.encoding = encoding;
        h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
        h.data_page_header.repetition_level_encoding = PQ_ENC_RLE;
    }
    hdr->len = 0;
    pq_write_page_header(hdr, &h);
}

/* Room reserved in front of each page's compressed data for its header, which is
 * written once the compressed size and CRC are known (a data page header without
 * statistics is at most ~40 bytes). */
#define PAGE_HDR_MAX 96

/* Returns a segment of c with at least need free bytes: the current one, the next one
 * kept from an earlier row group, or a new one (sizes grow geometrically to 8 MiB, so
 * narrow tables don't reserve much and wide pages still fit). */
static ls_buf *seg_for(pq_colw *c, size_t need)
{
    if (c->n_segs && c->segs[c->cur_seg].cap - c->segs[c->cur_seg].len >= need)
        return &c->segs[c->cur_seg];
    if (c->n_segs && c->cur_seg + 1 < c->n_segs) {
        ls_buf *s = &c->segs[++c->cur_seg]; /* empty since the last chunk was emitted */
        if (s->cap < need)
            ls_buf_free(s); /* free + malloc: realloc would copy the old bytes */
        ls_buf_reserve(s, need);
        return s;
    }
    if (c->n_segs == c->segs_cap) {
        c->segs_cap = c->segs_cap ? c->segs_cap * 2 : 4;
        c->segs = ls_xrealloc(c->segs, c->segs_cap * sizeof(ls_buf));
    }
    size_t size = (size_t)64 * 1024 << (c->n_segs < 7 ? c->n_segs : 7);
    ls_buf *s = &c->segs[c->n_segs];
    memset(s, 0, sizeof *s);
    ls_buf_reserve(s, size > need ? size : need);
    c->cur_seg = c->n_segs++;
    return s;
}

static int emit(ls_pq_writer *w, const void *p, size_t n, ls_error *err);

/* Compresses a data page straight into the chunk's segments and records where it is
 * (or, for a streamed first column, writes it out and reuses the space). */
static int write_data_page(ls_pq_writer *w, pq_colw *c, const ls_buf *body, int32_t num_values,
                           int encoding, pq_page_rec *pr, ls_error *err)
{
    size_t bound = pq_compress_bound(w->opts.codec, body->len);
    if (body->len > INT32_MAX || bound > (size_t)INT32_MAX)
        return ls_err(err, LS_ERR_LIMIT, "column %s: page larger than 2 GiB", c->field->name);
    ls_buf *seg = seg_for(c, PAGE_HDR_MAX + bound);
    uint32_t si = (uint32_t)(seg - c->segs);
    size_t at = seg->len;
    seg->len += PAGE_HDR_MAX;
    int rc = compress_page(w, c, body, seg, err);
    if (rc) {
        seg->len = at;
        return rc;
    }
    size_t data_at = at + PAGE_HDR_MAX, clen = seg->len - data_at;
    if (clen > INT32_MAX)
        return ls_err(err, LS_ERR_LIMIT, "column %s: page larger than 2 GiB", c->field->name);
    page_header(&c->hdr, PQ_PAGE_DATA, body->len, seg->data + data_at, clen, num_values,
                encoding);
    if (c->hdr.len > PAGE_HDR_MAX)
        return ls_err(err, LS_ERR_LIMIT, "column %s: page header of %zu bytes is too long", c->field->name,
                      c->hdr.len);
    size_t start = data_at - c->hdr.len;
    memcpy(seg->data + start, c->hdr.data, c->hdr.len);
    pr->seg = si;
    pr->seg_off = start;
    pr->offset = (int64_t)c->chunk_bytes;
    pr->size = (int32_t)(c->hdr.len + clen);
    if (c == w->cols && !c->use_dict && !c->dict_used && (c->streamed || c->n_pages == 0)) {
        if (!c->streamed) {
            c->streamed = true;
            c->stream_start = (int64_t)w->offset;
        }
        if ((rc = emit(w, seg->data + start, (size_t)pr->size, err)))
            return rc;
        seg->len = at; /* written: the space serves the next page */
        pr->seg = UINT32_MAX;
    }
    c->chunk_bytes += c->hdr.len + clen;
    c->chunk_unc += (int64_t)(c->hdr.len + body->len);
    return LS_OK;
}

/* Compresses and emits the dictionary page; *len = its size with header. */
static int write_dict_page(ls_pq_writer *w, pq_colw *c, const ls_buf *body, int32_t num_values,
                           int64_t *len, ls_error *err)
{
    if (body->len > INT32_MAX)
        return ls_err(err, LS_ERR_LIMIT, "column %s: dictionary larger than 2 GiB",
                      c->field->name);
    c->comp.len = 0;
    int rc = compress_page(w, c, body, &c->comp, err);
    if (rc)
        return rc;
    if (c->comp.len > INT32_MAX)
        return ls_err(err, LS_ERR_LIMIT, "column %s: dictionary larger than 2 GiB",
                      c->field->name);
    page_header(&c->hdr, PQ_PAGE_DICTIONARY, body->len, c->comp.data, c->comp.len, num_values,
                PQ_ENC_PLAIN_DICTIONARY);
    if ((rc = emit(w, c->hdr.data, c->hdr.len, err)) || (rc = emit(w, c->comp.data, c->comp.len, err)))
        return rc;
    *len = (int64_t)(c->hdr.len + c->comp.len);
    c->chunk_unc += (int64_t)(c->hdr.len + body->len);
    return LS_OK;
}

static void append_levels(ls_buf *enc, const ls_buf *levels, int max_level)
{
    size_t at = enc->len;
    ls_buf_put_u32le(enc, 0);
    pq_rle_encode_u8(enc, ls_bit_width((uint64_t)max_level), levels->data, levels->len);
    ls_store_u32le(enc->data + at, (uint32_t)(enc->len - at - 4));
}

/* Encodes a statistic bound in PLAIN form (the thrift min_value/max_value bytes). */
static void encode_bound(const pq_colw *c, const pq_stats *s, bool is_max, ls_buf *out,
                         bool truncate, bool *exact)
{
    const pq_scalar *v = is_max ? &s->max : &s->min;
    *exact = true;
    switch (c->phys) {
    case LS_PHYS_BOOL: ls_buf_putc(out, v->b); break;
    case LS_PHYS_I32: ls_buf_append(out, &v->i32, 4); break;
    case LS_PHYS_I64: ls_buf_append(out, &v->i64, 8); break;
    case LS_PHYS_F32: {
        float f = v->f32;
        if (f == 0)
            f = is_max ? 0.0f : -0.0f; /* PARQUET-1222: -0.0 as min, +0.0 as max */
        ls_buf_append(out, &f, 4);
        break;
    }
    case LS_PHYS_F64: {
        double d = v->f64;
        if (d == 0)
            d = is_max ? 0.0 : -0.0;
        ls_buf_append(out, &d, 8);
        break;
    }
    case LS_PHYS_I128: {
        uint8_t be[16];
        for (int i = 0; i < c->type_length; i++)
            be[i] = v->i128[c->type_length - 1 - i];
        ls_buf_append(out, be, (size_t)c->type_length);
        break;
    }
    case LS_PHYS_BYTES: {
        const ls_buf *b = is_max ? &s->maxb : &s->minb;
        if (!truncate || b->len <= STATS_TRUNCATE) {
            ls_buf_append(out, b->data, b->len);
            break;
        }
        size_t n = STATS_TRUNCATE;
        bool utf8 = c->field->type == LS_STRING;
        if (utf8)
            while (n > 0 && (b->data[n] & 0xC0) == 0x80)
                n--; /* cut at a character boundary */
        if (!is_max) {
            ls_buf_append(out, b->data, n);
            *exact = false;
            break;
        }
        /* Upper bound: increment the last incrementable unit of the prefix. */
        size_t at = out->len;
        ls_buf_append(out, b->data, n);
        uint8_t *p = out->data + at;
        while (n > 0) {
            if (utf8) {
                /* find the start of the last character and bump its code point */
                size_t st = n - 1;
                while (st > 0 && (p[st] & 0xC0) == 0x80)
                    st--;
                size_t clen = n - st;
                uint32_t cp;
                if (clen == 1)
                    cp = p[st];
                else if (clen == 2)
                    cp = (uint32_t)(p[st] & 0x1F) << 6 | (p[st + 1] & 0x3F);
                else if (clen == 3)
                    cp = (uint32_t)(p[st] & 0x0F) << 12 | (uint32_t)(p[st + 1] & 0x3F) << 6 |
                         (p[st + 2] & 0x3F);
                else
                    cp = (uint32_t)(p[st] & 0x07) << 18 | (uint32_t)(p[st + 1] & 0x3F) << 12 |
                         (uint32_t)(p[st + 2] & 0x3F) << 6 | (p[st + 3] & 0x3F);
                uint32_t nc = cp + 1;
                if (nc >= 0xD800 && nc <= 0xDFFF)
                    nc = 0xE000;
                /* keep the same encoded length so the prefix stays a valid bound */
                uint32_t lim = clen == 1 ? 0x7F : clen == 2 ? 0x7FF : clen == 3 ? 0xFFFF : 0x10FFFF;
                if (nc <= lim) {
                    if (clen == 1)
                        p[st] = (uint8_t)nc;
                    else if (clen == 2) {
                        p[st] = (uint8_t)(0xC0 | nc >> 6);
                        p[st + 1] = (uint8_t)(0x80 | (nc & 0x3F));
                    } else if (clen == 3) {
                        p[st] = (uint8_t)(0xE0 | nc >> 12);
                        p[st + 1] = (uint8_t)(0x80 | ((nc >> 6) & 0x3F));
                        p[st + 2] = (uint8_t)(0x80 | (nc & 0x3F));
                    } else {
                        p[st] = (uint8_t)(0xF0 | nc >> 18);
                        p[st + 1] = (uint8_t)(0x80 | ((nc >> 12) & 0x3F));
                        p[st + 2] = (uint8_t)(0x80 | ((nc >> 6) & 0x3F));
                        p[st + 3] = (uint8_t)(0x80 | (nc & 0x3F));
                    }
                    out->len = at + n;
                    *exact = false;
                    return;
                }
                n = st;
            } else {
                if (p[n - 1] != 0xFF) {
                    p[n - 1]++;
                    out->len = at + n;
                    *exact = false;
                    return;
                }
                n--;
            }
        }
        /* no upper bound shorter than the value exists: keep it whole */
        out->len = at;
        ls_buf_append(out, b->data, b->len);
        break;
    }
    default: break;
    }
}

static int flush_page(ls_pq_writer *w, pq_colw *c, ls_error *err)
{
    if (c->page_slots == 0)
        return LS_OK;
    ls_buf *enc = &c->enc;
    enc->len = 0;
    if (c->max_rep > 0)
        append_levels(enc, &c->prep, c->max_rep);
    if (c->max_def > 0)
        append_levels(enc, &c->pdef, c->max_def);
    int encoding;
    if (c->use_dict) {
        int bw = ls_bit_width(c->dict.n ? c->dict.n - 1 : 0);
        ls_buf_putc(enc, (uint8_t)bw);
        pq_rle_encode_u32(enc, bw, c->pidx, c->pidx_n);
        encoding = PQ_ENC_PLAIN_DICTIONARY;
        c->n_dict_data_pages++;
        c->dict_used = true;
    } else {
        if (c->phys == LS_PHYS_BOOL) {
            /* pvals holds one byte per value; bit-pack now */
            pq_plain_encode_bool(enc, c->pvals.data, c->pvals.len);
        } else {
            ls_buf_append(enc, c->pvals.data, c->pvals.len);
        }
        encoding = PQ_ENC_PLAIN;
        c->n_plain_pages++;
    }
    if (c->page_slots > INT32_MAX)
        return ls_err(err, LS_ERR_LIMIT, "column %s: too many values in one page",
                      c->field->name);
    if (c->n_pages == c->pages_cap) {
        c->pages_cap = c->pages_cap ? c->pages_cap * 2 : 16;
        c->pages = ls_xrealloc(c->pages, c->pages_cap * sizeof(pq_page_rec));
    }
    pq_page_rec *pr = &c->pages[c->n_pages];
    memset(pr, 0, sizeof *pr);
    int rc = write_data_page(w, c, enc, (int32_t)c->page_slots, encoding, pr, err);
    if (rc)
        return rc;
    c->n_pages++;
    pr->first_row = c->chunk_rows;
    pr->null_count = c->page_st.null_count;
    pr->null_page = !c->page_st.has;
    if (w->opts.page_index && c->page_st.has) {
        bool ex;
        encode_bound(c, &c->page_st, false, &pr->min, true, &ex);
        encode_bound(c, &c->page_st, true, &pr->max, true, &ex);
    }
    c->chunk_values += (int64_t)c->page_slots;
    c->chunk_rows += (int64_t)c->page_rows;
    stats_merge(&c->chunk_st, &c->page_st, c->phys);
    stats_reset(&c->page_st);
    c->page_no++;
    c->pdef.len = c->prep.len = c->pvals.len = 0;
    c->pidx_n = 0;
    c->page_slots = c->page_rows = 0;
    return LS_OK;
}

static size_t page_estimate(const pq_colw *c)
{
    size_t lv = (c->pdef.len + c->prep.len) / 8; /* levels compress to well under a bit each */
    if (c->use_dict) {
        int bw = ls_bit_width(c->dict.n ? c->dict.n - 1 : 0);
        return lv + c->pidx_n * (size_t)bw / 8 + 1;
    }
    return lv + c->pvals.len;
}

/* Appends the PLAIN encoding of dictionary entry e to the open page. */
static void plain_dict_entry(pq_colw *c, uint32_t e)
{
    const pq_dict *d = &c->dict;
    if (c->phys == LS_PHYS_BYTES) {
        uint64_t a = d->offs[e], b = d->offs[e + 1];
        ls_buf_put_u32le(&c->pvals, (uint32_t)(b - a));
        ls_buf_append(&c->pvals, d->vals.data + a, (size_t)(b - a));
    } else if (c->phys == LS_PHYS_I128) {
        const uint8_t *v = d->vals.data + 16 * (size_t)e;
        uint8_t be[16];
        for (int k = 0; k < c->type_length; k++)
            be[k] = v[c->type_length - 1 - k];
        ls_buf_append(&c->pvals, be, (size_t)c->type_length);
    } else {
        ls_buf_append(&c->pvals, d->vals.data + c->es * (size_t)e, c->es);
    }
}

/* Switch from dictionary to PLAIN for the rest of the chunk. When no page of the
 * chunk has used the dictionary yet, the open page is re-encoded as PLAIN from its
 * indices and the chunk gets no dictionary page at all: a dictionary of mostly
 * distinct values would store every value twice (in small files, where the first
 * page is most of the chunk, that costs ~20% of the file). */
static int dict_fallback(ls_pq_writer *w, pq_colw *c, ls_error *err)
{
    if (c->n_dict_data_pages == 0) {
        c->pvals.len = 0;
        for (size_t k = 0; k < c->pidx_n; k++)
            plain_dict_entry(c, c->pidx[k]);
        c->pidx_n = 0;
        c->use_dict = false;
        dict_clear(&c->dict);
        return LS_OK;
    }
    int rc = flush_page(w, c, err);
    if (rc)
        return rc;
    c->use_dict = false;
    return LS_OK;
}

/* Appends the plain encoding of value i of leaf l to the page (PLAIN mode). */
static inline void plain_value(pq_colw *c, const ls_leaf *l, size_t i)
{
    switch (c->phys) {
    case LS_PHYS_BOOL: ls_buf_putc(&c->pvals, ((const uint8_t *)l->values)[i]); break;
    case LS_PHYS_I32: ls_buf_append(&c->pvals, (const int32_t *)l->values + i, 4); break;
    case LS_PHYS_I64: ls_buf_append(&c->pvals, (const int64_t *)l->values + i, 8); break;
    case LS_PHYS_F32: ls_buf_append(&c->pvals, (const float *)l->values + i, 4); break;
    case LS_PHYS_F64: ls_buf_append(&c->pvals, (const double *)l->values + i, 8); break;
    case LS_PHYS_I128: {
        const uint8_t *v = (const uint8_t *)l->values + 16 * i;
        uint8_t be[16];
        for (int k = 0; k < c->type_length; k++)
            be[k] = v[c->type_length - 1 - k];
        ls_buf_append(&c->pvals, be, (size_t)c->type_length);
        break;
    }
    case LS_PHYS_BYTES: {
        size_t n;
        const uint8_t *p = ls_leaf_bytes_at(l, i, &n);
        ls_buf_reserve(&c->pvals, n + 4);
        ls_store_u32le(c->pvals.data + c->pvals.len, (uint32_t)n);
        memcpy(c->pvals.data + c->pvals.len + 4, p, n);
        c->pvals.len += n + 4;
        break;
    }
    default: break;
    }
}

/* Widens scalar bounds (member fld of pq_scalar) to include v. */
#define STATS_SCALAR(s, fld, v)                                                                  \
    do {                                                                                         \
        if (!(s)->has) {                                                                         \
            (s)->has = true;                                                                     \
            (s)->min.fld = (s)->max.fld = (v);                                                   \
        } else {                                                                                 \
            if ((v) < (s)->min.fld)                                                              \
                (s)->min.fld = (v);                                                              \
            if ((v) > (s)->max.fld)                                                              \
                (s)->max.fld = (v);                                                              \
        }                                                                                        \
    } while (0)

/* Updates page stats with value i of l. */
static inline void stats_value(pq_stats *s, ls_phys phys, const ls_leaf *l, size_t i)
{
    switch (phys) {
    case LS_PHYS_BOOL: {
        uint8_t v = ((const uint8_t *)l->values)[i];
        STATS_SCALAR(s, b, v);
        break;
    }
    case LS_PHYS_I32: {
        int32_t v = ((const int32_t *)l->values)[i];
        STATS_SCALAR(s, i32, v);
        break;
    }
    case LS_PHYS_I64: {
        int64_t v = ((const int64_t *)l->values)[i];
        STATS_SCALAR(s, i64, v);
        break;
    }
    case LS_PHYS_F32: {
        float v = ((const float *)l->values)[i];
        if (!isnan(v)) /* never NaN in bounds */
            STATS_SCALAR(s, f32, v);
        break;
    }
    case LS_PHYS_F64: {
        double v = ((const double *)l->values)[i];
        if (!isnan(v))
            STATS_SCALAR(s, f64, v);
        break;
    }
    case LS_PHYS_I128: {
        const uint8_t *v = (const uint8_t *)l->values + 16 * i;
        if (!s->has) {
            s->has = true;
            memcpy(s->min.i128, v, 16);
            memcpy(s->max.i128, v, 16);
        } else {
            if (cmp_i128(v, s->min.i128) < 0) memcpy(s->min.i128, v, 16);
            if (cmp_i128(v, s->max.i128) > 0) memcpy(s->max.i128, v, 16);
        }
        break;
    }
    case LS_PHYS_BYTES: {
        size_t n;
        const uint8_t *p = ls_leaf_bytes_at(l, i, &n);
        stats_bytes(s, p, n);
        break;
    }
    default: break;
    }
}

/* Appends values [v0, v1) of l to the open page. */
static int append_values(ls_pq_writer *w, pq_colw *c, const ls_leaf *l, size_t v0, size_t v1,
                         ls_error *err)
{
    bool stats = w->opts.statistics || w->opts.page_index;
    if (c->use_dict) {
        if (c->pidx_cap < c->pidx_n + (v1 - v0)) {
            size_t cap = c->pidx_cap ? c->pidx_cap * 2 : 4096;
            while (cap < c->pidx_n + (v1 - v0))
                cap *= 2;
            c->pidx = ls_xrealloc(c->pidx, cap * sizeof(uint32_t));
            c->pidx_cap = cap;
        }
        uint32_t *out = c->pidx + c->pidx_n;
        pq_dict *d = &c->dict;
        uint32_t page = c->page_no;
        if (c->phys == LS_PHYS_BYTES) {
            for (size_t i = v0; i < v1; i++) {
                size_t n;
                const uint8_t *p = ls_leaf_bytes_at(l, i, &n);
                bool is_new;
                uint32_t e = dict_bytes(d, p, n, &is_new);
                *out++ = e;
                if (stats && d->stamp[e] != page) {
                    d->stamp[e] = page;
                    stats_bytes(&c->page_st, p, n);
                }
            }
        } else {
            const uint8_t *base = l->values;
            for (size_t i = v0; i < v1; i++) {
                bool is_new;
                uint32_t e = dict_fixed(d, base + i * c->es, &is_new);
                *out++ = e;
                if (stats && d->stamp[e] != page) {
                    d->stamp[e] = page;
                    stats_value(&c->page_st, c->phys, l, i);
                }
            }
        }
        c->pidx_n += v1 - v0;
        c->values_seen += v1 - v0;
        /* Fall back to PLAIN when the dictionary outgrows its budget, or when it is
         * clearly not paying off (mostly distinct values, e.g. uuids). */
        if (d->plain_size > w->opts.dict_bytes_limit ||
            (c->values_seen >= 16384 && d->n > c->values_seen * 3 / 4))
            return dict_fallback(w, c, err);
        return LS_OK;
    }
    if (c->phys == LS_PHYS_I32 || c->phys == LS_PHYS_I64 || c->phys == LS_PHYS_F32 ||
        c->phys == LS_PHYS_F64) {
        ls_buf_append(&c->pvals, (const uint8_t *)l->values + v0 * c->es, (v1 - v0) * c->es);
        if (stats)
            for (size_t i = v0; i < v1; i++)
                stats_value(&c->page_st, c->phys, l, i);
        return LS_OK;
    }
    for (size_t i = v0; i < v1; i++) {
        plain_value(c, l, i);
        if (stats)
            stats_value(&c->page_st, c->phys, l, i);
    }
    return LS_OK;
}

/* Appends slots [s0, s1) (whole rows) of leaf l, whose first value index is v0. */
static int append_slots(ls_pq_writer *w, pq_colw *c, const ls_leaf *l, size_t s0, size_t s1,
                        size_t v0, size_t *v_end, ls_error *err)
{
    size_t ns = s1 - s0;
    size_t nv = ns, rows = ns;
    if (c->max_def > 0) {
        ls_buf_append(&c->pdef, l->def + s0, ns);
        nv = 0;
        const uint8_t *d = l->def + s0;
        uint8_t md = (uint8_t)c->max_def;
        for (size_t i = 0; i < ns; i++)
            nv += d[i] == md;
        /* null_count counts null *values* at the leaf: slots with def < max_def that are
         * not empty-list markers count too (parquet-java counts all of them). */
        c->page_st.null_count += ns - nv;
    }
    if (c->max_rep > 0) {
        ls_buf_append(&c->prep, l->rep + s0, ns);
        rows = 0;
        const uint8_t *r = l->rep + s0;
        for (size_t i = 0; i < ns; i++)
            rows += r[i] == 0;
    }
    c->page_slots += ns;
    c->page_rows += rows;
    *v_end = v0 + nv;
    return append_values(w, c, l, v0, v0 + nv, err);
}

static int colw_init(ls_pq_writer *w, pq_colw *c, const ls_field *f, const pq_schema_element *e)
{
    memset(c, 0, sizeof *c);
    c->field = f;
    c->phys = ls_type_phys(f);
    c->ptype = e->type;
    c->type_length = e->has_type_length ? e->type_length : 0;
    c->max_def = f->def_level;
    c->max_rep = f->rep_level;
    switch (c->phys) {
    case LS_PHYS_BOOL: c->es = 1; break;
    case LS_PHYS_I32:
    case LS_PHYS_F32: c->es = 4; break;
    case LS_PHYS_I64:
    case LS_PHYS_F64: c->es = 8; break;
    case LS_PHYS_I128: c->es = 16; break;
    default: c->es = 0;
    }
    c->dict.es = c->es;
    c->use_dict = w->opts.dictionary && c->phys != LS_PHYS_BOOL;
    if (c->use_dict) {
        dict_rehash(&c->dict);
        dict_grow_entries(&c->dict);
        if (c->dict.offs)
            c->dict.offs[0] = 0;
    }
    return LS_OK;
}

static void colw_free(pq_colw *c)
{
    ls_buf_free(&c->pdef);
    ls_buf_free(&c->prep);
    ls_buf_free(&c->pvals);
    free(c->pidx);
    ls_buf_free(&c->page_st.minb);
    ls_buf_free(&c->page_st.maxb);
    ls_buf_free(&c->chunk_st.minb);
    ls_buf_free(&c->chunk_st.maxb);
    ls_buf_free(&c->file_st.minb);
    ls_buf_free(&c->file_st.maxb);
    dict_free(&c->dict);
    for (uint32_t i = 0; i < c->n_segs; i++)
        ls_buf_free(&c->segs[i]);
    free(c->segs);
    for (size_t i = 0; i < c->n_pages; i++) {
        ls_buf_free(&c->pages[i].min);
        ls_buf_free(&c->pages[i].max);
    }
    free(c->pages);
    ls_buf_free(&c->enc);
    ls_buf_free(&c->comp);
    ls_buf_free(&c->hdr);
}

/* ---- output ----------------------------------------------------------------- */

static int emit(ls_pq_writer *w, const void *p, size_t n, ls_error *err)
{
    int rc = ls_output_write(w->out, p, n, err);
    if (rc) {
        w->failed = true;
        return rc;
    }
    w->offset += n;
    return LS_OK;
}

static pq_bytes arena_bytes(ls_arena *a, const ls_buf *b)
{
    pq_bytes r;
    uint8_t *p = ls_arena_alloc(a, b->len ? b->len : 1);
    if (b->len)
        memcpy(p, b->data, b->len);
    r.p = p;
    r.len = (uint32_t)b->len;
    return r;
}

static void fill_stats(ls_pq_writer *w, const pq_colw *c, pq_statistics *st)
{
    memset(st, 0, sizeof *st);
    st->has_null_count = true;
    st->null_count = (int64_t)c->chunk_st.null_count;
    if (!c->chunk_st.has)
        return;
    ls_buf mn = {0}, mx = {0};
    bool exmin, exmax;
    encode_bound(c, &c->chunk_st, false, &mn, true, &exmin);
    encode_bound(c, &c->chunk_st, true, &mx, true, &exmax);
    st->has_min_value = st->has_max_value = true;
    st->min_value = arena_bytes(&w->arena, &mn);
    st->max_value = arena_bytes(&w->arena, &mx);
    st->has_is_min_value_exact = st->has_is_max_value_exact = true;
    st->is_min_value_exact = exmin;
    st->is_max_value_exact = exmax;
    /* Deprecated min/max (signed order) for readers predating min_value/max_value. */
    if (c->phys != LS_PHYS_BYTES && c->phys != LS_PHYS_I128) {
        st->has_min = st->has_max = true;
        st->min = st->min_value;
        st->max = st->max_value;
    }
    ls_buf_free(&mn);
    ls_buf_free(&mx);
}

/* Compares two PLAIN-encoded page bounds in the column's sort order; 2 when the
 * type has no order we claim (FLBA decimals), so the boundary order stays UNORDERED. */
static int cmp_bound(ls_phys phys, const ls_buf *a, const ls_buf *b)
{
    switch (phys) {
    case LS_PHYS_BYTES: return cmp_bytes(a->data, a->len, b->data, b->len);
    case LS_PHYS_BOOL: return a->data[0] < b->data[0] ? -1 : a->data[0] > b->data[0];
    case LS_PHYS_I32: {
        int32_t x, y;
        memcpy(&x, a->data, 4);
        memcpy(&y, b->data, 4);
        return x < y ? -1 : x > y;
    }
    case LS_PHYS_I64: {
        int64_t x, y;
        memcpy(&x, a->data, 8);
        memcpy(&y, b->data, 8);
        return x < y ? -1 : x > y;
    }
    case LS_PHYS_F32: {
        float x, y;
        memcpy(&x, a->data, 4);
        memcpy(&y, b->data, 4);
        return x < y ? -1 : x > y;
    }
    case LS_PHYS_F64: {
        double x, y;
        memcpy(&x, a->data, 8);
        memcpy(&y, b->data, 8);
        return x < y ? -1 : x > y;
    }
    default: return 2;
    }
}

static int flush_row_group(ls_pq_writer *w, ls_error *err)
{
    int rc;
    for (int i = 0; i < w->n_cols; i++)
        if ((rc = flush_page(w, &w->cols[i], err)))
            return rc;
    if (w->rg_rows == 0)
        return LS_OK;
    if (w->n_rgs == w->rgs_cap) {
        w->rgs_cap = w->rgs_cap ? w->rgs_cap * 2 : 8;
        w->rgs = ls_xrealloc(w->rgs, (size_t)w->rgs_cap * sizeof(pq_rg_out));
    }
    if (w->n_rgs >= INT16_MAX)
        return ls_err(err, LS_ERR_LIMIT, "too many row groups in one file (%d)", w->n_rgs);
    pq_rg_out *ro = &w->rgs[w->n_rgs];
    memset(ro, 0, sizeof *ro);
    pq_row_group *rg = &ro->rg;
    rg->n_columns = w->n_cols;
    rg->columns = ls_arena_calloc(&w->arena, (size_t)w->n_cols * sizeof(pq_column_chunk));
    rg->num_rows = (int64_t)w->rg_rows;
    rg->has_file_offset = rg->has_total_compressed_size = rg->has_ordinal = true;
    rg->file_offset = w->cols[0].streamed ? w->cols[0].stream_start : (int64_t)w->offset;
    rg->ordinal = (int16_t)w->n_rgs;
    ro->col_index = ls_xcalloc((size_t)w->n_cols, sizeof(ls_buf));
    ro->off_index = ls_xcalloc((size_t)w->n_cols, sizeof(ls_buf));
    int64_t total_unc = 0, total_comp = 0;
    for (int i = 0; i < w->n_cols; i++) {
        pq_colw *c = &w->cols[i];
        pq_column_chunk *cc = &rg->columns[i];
        pq_column_meta *m = &cc->meta_data;
        cc->has_meta_data = true;
        m->type = c->ptype;
        m->codec = w->opts.codec;
        m->n_path = w->path_len[i];
        m->path = w->paths[i];
        int64_t chunk_start = c->streamed ? c->stream_start : (int64_t)w->offset;
        int64_t dict_len = 0;
        /* Dictionary page first, if any page used it. */
        if (c->dict_used) {
            ls_buf body = {0};
            if (c->phys == LS_PHYS_BYTES) {
                ls_buf_reserve(&body, c->dict.plain_size);
                for (uint32_t k = 0; k < c->dict.n; k++) {
                    uint64_t a = c->dict.offs[k], b = c->dict.offs[k + 1];
                    ls_buf_put_u32le(&body, (uint32_t)(b - a));
                    ls_buf_append(&body, c->dict.vals.data + a, (size_t)(b - a));
                }
            } else if (c->phys == LS_PHYS_I128) {
                for (uint32_t k = 0; k < c->dict.n; k++) {
                    const uint8_t *v = c->dict.vals.data + 16 * (size_t)k;
                    uint8_t be[16];
                    for (int j = 0; j < c->type_length; j++)
                        be[j] = v[c->type_length - 1 - j];
                    ls_buf_append(&body, be, (size_t)c->type_length);
                }
            } else {
                ls_buf_append(&body, c->dict.vals.data, c->dict.vals.len);
            }
            rc = write_dict_page(w, c, &body, (int32_t)c->dict.n, &dict_len, err);
            ls_buf_free(&body);
            if (rc)
                return rc;
            m->has_dictionary_page_offset = true;
            m->dictionary_page_offset = chunk_start;
        }
        int64_t data_start = c->streamed ? c->stream_start : (int64_t)w->offset;
        for (size_t k = 0; k < c->n_pages && !c->streamed; k++) {
            const pq_page_rec *pr = &c->pages[k];
            if ((rc = emit(w, c->segs[pr->seg].data + pr->seg_off, (size_t)pr->size, err)))
                return rc;
        }
        m->data_page_offset = data_start;
        m->num_values = c->chunk_values;
        m->total_uncompressed_size = c->chunk_unc;
        m->total_compressed_size = dict_len + (int64_t)c->chunk_bytes;
        total_unc += m->total_uncompressed_size;
        total_comp += m->total_compressed_size;
        /* encodings and encoding stats */
        int32_t *encs = ls_arena_alloc(&w->arena, 4 * sizeof(int32_t));
        int ne = 0;
        if (c->dict_used)
            encs[ne++] = PQ_ENC_PLAIN_DICTIONARY;
        if (c->n_plain_pages || c->dict_used)
            encs[ne++] = PQ_ENC_PLAIN; /* the dictionary page's values are PLAIN */
        encs[ne++] = PQ_ENC_RLE;
        m->n_encodings = ne;
        m->encodings = encs;
        pq_page_encoding_stats *es = ls_arena_alloc(&w->arena, 3 * sizeof *es);
        int nes = 0;
        if (c->dict_used)
            es[nes++] = (pq_page_encoding_stats){PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN_DICTIONARY, 1};
        if (c->n_dict_data_pages)
            es[nes++] = (pq_page_encoding_stats){PQ_PAGE_DATA, PQ_ENC_PLAIN_DICTIONARY,
                                                 c->n_dict_data_pages};
        if (c->n_plain_pages)
            es[nes++] = (pq_page_encoding_stats){PQ_PAGE_DATA, PQ_ENC_PLAIN, c->n_plain_pages};
        m->n_encoding_stats = nes;
        m->encoding_stats = es;
        if (w->opts.statistics) {
            m->has_statistics = true;
            fill_stats(w, c, &m->statistics);
        }
        /* page index for this chunk (written at close, offsets patched then) */
        if (w->opts.page_index && c->n_pages) {
            pq_offset_index oi;
            oi.n_page_locations = (int32_t)c->n_pages;
            oi.page_locations = ls_xmalloc(c->n_pages * sizeof(pq_page_location));
            pq_column_index ci;
            memset(&ci, 0, sizeof ci);
            ci.n_pages = (int32_t)c->n_pages;
            ci.null_pages = ls_xmalloc(c->n_pages * sizeof(bool));
            ci.min_values = ls_xmalloc(c->n_pages * sizeof(pq_bytes));
            ci.max_values = ls_xmalloc(c->n_pages * sizeof(pq_bytes));
            ci.null_counts = ls_xmalloc(c->n_pages * sizeof(int64_t));
            ci.has_null_counts = true;
            bool asc = true, desc = true;
            int prev = -1;
            for (size_t k = 0; k < c->n_pages; k++) {
                pq_page_rec *pr = &c->pages[k];
                oi.page_locations[k].offset = data_start + pr->offset;
                oi.page_locations[k].compressed_page_size = pr->size;
                oi.page_locations[k].first_row_index = pr->first_row;
                ci.null_pages[k] = pr->null_page;
                ci.min_values[k] = (pq_bytes){pr->min.data, (uint32_t)pr->min.len};
                ci.max_values[k] = (pq_bytes){pr->max.data, (uint32_t)pr->max.len};
                ci.null_counts[k] = (int64_t)pr->null_count;
                if (!pr->null_page) {
                    if (prev >= 0) {
                        pq_page_rec *pp = &c->pages[prev];
                        int cmin = cmp_bound(c->phys, &pr->min, &pp->min);
                        int cmax = cmp_bound(c->phys, &pr->max, &pp->max);
                        if (cmin == 2 || cmin < 0 || cmax < 0)
                            asc = false;
                        if (cmin == 2 || cmin > 0 || cmax > 0)
                            desc = false;
                    }
                    prev = (int)k;
                }
            }
            ci.boundary_order = asc ? PQ_ASCENDING : desc ? PQ_DESCENDING : PQ_UNORDERED;
            pq_write_offset_index(&ro->off_index[i], &oi);
            pq_write_column_index(&ro->col_index[i], &ci);
            free(oi.page_locations);
            free(ci.null_pages);
            free(ci.min_values);
            free(ci.max_values);
            free(ci.null_counts);
        }
        /* file-level stats and reset of the chunk */
        stats_merge(&c->file_st, &c->chunk_st, c->phys);
        stats_reset(&c->chunk_st);
        for (uint32_t k = 0; k < c->n_segs; k++)
            c->segs[k].len = 0;
        c->cur_seg = 0;
        c->chunk_bytes = 0;
        c->streamed = false;
        c->chunk_values = c->chunk_unc = c->chunk_rows = 0;
        c->n_dict_data_pages = c->n_plain_pages = 0;
        for (size_t k = 0; k < c->n_pages; k++) {
            ls_buf_free(&c->pages[k].min);
            ls_buf_free(&c->pages[k].max);
        }
        c->n_pages = 0;
        c->dict_used = false;
        c->values_seen = 0;
        dict_clear(&c->dict);
        c->use_dict = w->opts.dictionary && c->phys != LS_PHYS_BOOL;
    }
    rg->total_byte_size = total_unc;
    rg->total_compressed_size = total_comp;
    w->n_rgs++;
    w->rg_rows = 0;
    return LS_OK;
}

/* Encoded bytes of the open row group (written or held), estimated for the open pages. */
static size_t buffered_bytes(const ls_pq_writer *w)
{
    size_t t = 0;
    for (int i = 0; i < w->n_cols; i++) {
        const pq_colw *c = &w->cols[i];
        t += c->chunk_bytes + page_estimate(c) / 2 + (c->dict_used || c->use_dict ? c->dict.plain_size / 2 : 0);
    }
    return t;
}

/* ---- public API ------------------------------------------------------------- */

int ls_pq_writer_new(ls_output *out, const ls_schema *schema, const ls_pq_writer_opts *opts,
                     ls_pq_writer **wp, ls_error *err)
{
    if (schema->n_leaves == 0)
        return ls_err(err, LS_ERR_INVALID, "cannot write a Parquet file without columns");
    ls_pq_writer *w = ls_xcalloc(1, sizeof *w);
    w->out = out;
    w->schema = schema;
    if (opts)
        w->opts = *opts;
    else
        ls_pq_writer_opts_default(&w->opts);
    if (w->opts.page_bytes == 0)
        w->opts.page_bytes = 1u << 20;
    if (w->opts.max_page_rows == 0)
        w->opts.max_page_rows = 20000;
    if (w->opts.row_group_bytes == 0)
        w->opts.row_group_bytes = 128u << 20;
    ls_arena_init(&w->arena, 64 * 1024);
    w->codec = pq_codec_ctx_new();
    /* validate the codec early (empty input compresses in every supported codec) */
    ls_buf probe = {0};
    int rc = pq_compress(w->codec, w->opts.codec, w->opts.level, (const uint8_t *)"", 0, &probe, err);
    ls_buf_free(&probe);
    if (rc) {
        pq_codec_ctx_free(w->codec);
        ls_arena_free(&w->arena);
        free(w);
        return rc;
    }
    w->n_cols = schema->n_leaves;
    w->paths = ls_xcalloc((size_t)w->n_cols, sizeof(char **));
    w->path_len = ls_xcalloc((size_t)w->n_cols, sizeof(int));
    schema_build sb = {0};
    sb.w = w;
    pq_schema_element *root =
        new_elem(&sb, w->opts.root_name ? w->opts.root_name : "schema", -1);
    root->has_num_children = true;
    root->num_children = schema->root.n_children;
    for (int i = 0; i < schema->root.n_children; i++) {
        const ls_field *f = &schema->root.children[i];
        build_field(&sb, f, f->name, f->nullable ? PQ_OPTIONAL : PQ_REQUIRED);
    }
    w->cols = ls_xcalloc((size_t)w->n_cols, sizeof(pq_colw));
    int leaf = 0;
    for (int i = 0; i < w->n_elems; i++) {
        if (w->elems[i].has_type) {
            colw_init(w, &w->cols[leaf], schema->leaves[leaf], &w->elems[i]);
            leaf++;
        }
    }
    rc = emit(w, "PAR1", 4, err);
    if (rc) {
        ls_pq_writer_free(w);
        return rc;
    }
    *wp = w;
    return LS_OK;
}

int ls_pq_writer_write(ls_pq_writer *w, const ls_batch *b, ls_error *err)
{
    if (w->closed || w->failed)
        return ls_err(err, LS_ERR_INVALID, "parquet writer is %s", w->closed ? "closed" : "failed");
    if (b->n_leaves != w->n_cols)
        return ls_err(err, LS_ERR_INVALID, "batch has %d columns, writer expects %d",
                      b->n_leaves, w->n_cols);
    if (b->n_rows == 0)
        return LS_OK;
    /* Per leaf cursors: slot and value positions. Process ROWS_PER_STEP rows at a time so
     * pages and row groups are cut at row boundaries with bounded overshoot. */
    size_t *slot = ls_xcalloc((size_t)w->n_cols, sizeof(size_t));
    size_t *val = ls_xcalloc((size_t)w->n_cols, sizeof(size_t));
    int rc = LS_OK;
    size_t row = 0;
    while (row < b->n_rows && rc == LS_OK) {
        size_t step = b->n_rows - row < ROWS_PER_STEP ? b->n_rows - row : ROWS_PER_STEP;
        for (int i = 0; i < w->n_cols && rc == LS_OK; i++) {
            const ls_leaf *l = &b->leaves[i];
            pq_colw *c = &w->cols[i];
            size_t s0 = slot[i], s1;
            if (!l->rep) {
                s1 = s0 + step;
            } else {
                size_t seen = 0;
                s1 = s0;
                while (s1 < l->n) {
                    if (l->rep[s1] == 0) {
                        if (seen == step)
                            break;
                        seen++;
                    }
                    s1++;
                }
            }
            if (s1 > l->n) {
                rc = ls_err(err, LS_ERR_INVALID, "batch column %d has fewer rows than the batch",
                            i);
                break;
            }
            size_t vend;
            rc = append_slots(w, c, l, s0, s1, val[i], &vend, err);
            slot[i] = s1;
            val[i] = vend;
            if (!rc && (page_estimate(c) >= w->opts.page_bytes ||
                        c->page_rows >= w->opts.max_page_rows))
                rc = flush_page(w, c, err);
        }
        row += step;
        w->rg_rows += step;
        w->rows_total += step;
        if (rc == LS_OK && buffered_bytes(w) >= w->opts.row_group_bytes)
            rc = flush_row_group(w, err);
    }
    free(slot);
    free(val);
    if (rc)
        w->failed = true;
    return rc;
}

int ls_pq_writer_close(ls_pq_writer *w, ls_error *err)
{
    if (w->closed)
        return LS_OK;
    if (w->failed)
        return ls_err(err, LS_ERR_INVALID, "parquet writer failed earlier");
    int rc = flush_row_group(w, err);
    if (rc)
        return rc;
    /* Page indexes: all ColumnIndex structures, then all OffsetIndex structures. */
    for (int g = 0; g < w->n_rgs; g++) {
        for (int i = 0; i < w->n_cols; i++) {
            ls_buf *ci = &w->rgs[g].col_index[i];
            if (!ci->len)
                continue;
            pq_column_chunk *cc = &w->rgs[g].rg.columns[i];
            cc->has_column_index = true;
            cc->column_index_offset = (int64_t)w->offset;
            cc->column_index_length = (int32_t)ci->len;
            if ((rc = emit(w, ci->data, ci->len, err)))
                return rc;
        }
    }
    for (int g = 0; g < w->n_rgs; g++) {
        for (int i = 0; i < w->n_cols; i++) {
            ls_buf *oi = &w->rgs[g].off_index[i];
            if (!oi->len)
                continue;
            pq_column_chunk *cc = &w->rgs[g].rg.columns[i];
            cc->has_offset_index = true;
            cc->offset_index_offset = (int64_t)w->offset;
            cc->offset_index_length = (int32_t)oi->len;
            if ((rc = emit(w, oi->data, oi->len, err)))
                return rc;
        }
    }
    pq_file_meta fm;
    memset(&fm, 0, sizeof fm);
    fm.version = 1;
    fm.n_schema = w->n_elems;
    fm.schema = w->elems;
    fm.num_rows = (int64_t)w->rows_total;
    fm.n_row_groups = w->n_rgs;
    pq_row_group *rgs = ls_arena_alloc(&w->arena, (size_t)(w->n_rgs ? w->n_rgs : 1) * sizeof *rgs);
    for (int g = 0; g < w->n_rgs; g++)
        rgs[g] = w->rgs[g].rg;
    fm.row_groups = rgs;
    fm.created_by = LS_CREATED_BY;
    if (w->opts.n_kv) {
        fm.n_kv = (int32_t)w->opts.n_kv;
        fm.kv = ls_arena_alloc(&w->arena, w->opts.n_kv * sizeof(pq_kv));
        for (size_t i = 0; i < w->opts.n_kv; i++) {
            fm.kv[i].key = w->opts.kv_keys[i];
            fm.kv[i].value = w->opts.kv_values[i];
        }
    }
    if (w->opts.statistics || w->opts.page_index) {
        fm.n_column_orders = w->n_cols;
        fm.column_orders = ls_arena_alloc(&w->arena, (size_t)w->n_cols * sizeof(int32_t));
        for (int i = 0; i < w->n_cols; i++)
            fm.column_orders[i] = 1;
    }
    ls_buf footer = {0};
    pq_write_file_meta(&footer, &fm);
    ls_buf_put_u32le(&footer, (uint32_t)footer.len);
    ls_buf_append(&footer, "PAR1", 4);
    rc = emit(w, footer.data, footer.len, err);
    ls_buf_free(&footer);
    if (rc)
        return rc;
    /* statistics for callers (Delta add.stats) */
    w->leaf_stats = ls_xcalloc((size_t)w->n_cols, sizeof(ls_pq_leaf_stats));
    for (int i = 0; i < w->n_cols; i++) {
        pq_colw *c = &w->cols[i];
        ls_pq_leaf_stats *s = &w->leaf_stats[i];
        s->null_count = c->file_st.null_count;
        s->has_minmax = c->file_st.has;
        memcpy(&s->min, &c->file_st.min, sizeof s->min);
        memcpy(&s->max, &c->file_st.max, sizeof s->max);
        if (c->phys == LS_PHYS_BYTES && c->file_st.has) {
            ls_buf_append(&s->min_bytes, c->file_st.minb.data, c->file_st.minb.len);
            ls_buf_append(&s->max_bytes, c->file_st.maxb.data, c->file_st.maxb.len);
        }
    }
    w->closed = true;
    return LS_OK;
}

uint64_t ls_pq_writer_rows(const ls_pq_writer *w) { return w->rows_total; }

uint64_t ls_pq_writer_size(const ls_pq_writer *w)
{
    /* a streamed first column's bytes are in both w->offset and buffered_bytes */
    return w->offset + buffered_bytes(w) - (w->cols[0].streamed ? w->cols[0].chunk_bytes : 0);
}

const ls_pq_leaf_stats *ls_pq_writer_leaf_stats(const ls_pq_writer *w, int leaf)
{
    if (!w->leaf_stats || leaf < 0 || leaf >= w->n_cols)
        return NULL;
    return &w->leaf_stats[leaf];
}

void ls_pq_writer_free(ls_pq_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n_cols && w->cols; i++)
        colw_free(&w->cols[i]);
    free(w->cols);
    for (int g = 0; g < w->n_rgs; g++) {
        for (int i = 0; i < w->n_cols; i++) {
            ls_buf_free(&w->rgs[g].col_index[i]);
            ls_buf_free(&w->rgs[g].off_index[i]);
        }
        free(w->rgs[g].col_index);
        free(w->rgs[g].off_index);
    }
    free(w->rgs);
    if (w->leaf_stats) {
        for (int i = 0; i < w->n_cols; i++) {
            ls_buf_free(&w->leaf_stats[i].min_bytes);
            ls_buf_free(&w->leaf_stats[i].max_bytes);
        }
        free(w->leaf_stats);
    }
    free(w->elems);
    free(w->paths);
    free(w->path_len);
    pq_codec_ctx_free(w->codec);
    ls_arena_free(&w->arena);
    free(w);
}
