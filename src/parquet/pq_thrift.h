/*
 * pq_thrift.h - Thrift compact protocol: a writer that appends to an ls_buf
 * and a hardened reader (a bounds-checked cursor over a byte range).
 * Private to src/parquet; pq_meta.c builds the Parquet structs on top.
 *
 * Wire format (apache/thrift doc/specs/thrift-compact-protocol.md):
 *   varint       unsigned LEB128, at most 10 bytes
 *   i16/i32/i64  zigzag, then varint;  i8 = one raw byte;  double = 8 bytes LE
 *   binary       varint length, then the bytes
 *   struct       fields, then STOP (0x00). Field header: `dddd tttt` with
 *                dddd = id delta (1..15) from the previous field of the same
 *                struct, or `0000 tttt` + zigzag-varint i16 id (long form).
 *                A bool field's value is its type nibble (1 true, 2 false).
 *   list/set     `ssss tttt` (size 0..14) or `1111 tttt` + varint size;
 *                bool elements are one byte each.
 *   map          varint size, then (if size > 0) one byte `kkkk vvvv`.
 *
 * Reader rules: every read is checked against the end of the range; list,
 * set and map sizes and binary lengths are checked against the remaining
 * bytes before anyone allocates for them (every element takes >= 1 byte);
 * skipping unknown fields recurses at most PQ_THRIFT_MAX_DEPTH levels.
 * Errors are LS_ERR_CORRUPT with "... at offset N" (N from the start of the
 * range); callers prefix the struct and field names.
 *
 * Threading: a pq_tr / pq_tw is used by one thread at a time.
 */
#ifndef LS_PQ_THRIFT_H
#define LS_PQ_THRIFT_H

#include "../util/util.h"

/* Compact-protocol type codes (field headers and container element types). */
enum pq_tt {
    PQ_TT_STOP = 0,
    PQ_TT_TRUE = 1, /* bool field with value true; also "bool" as element type */
    PQ_TT_FALSE = 2,
    PQ_TT_I8 = 3,
    PQ_TT_I16 = 4,
    PQ_TT_I32 = 5,
    PQ_TT_I64 = 6,
    PQ_TT_DOUBLE = 7,
    PQ_TT_BINARY = 8,
    PQ_TT_LIST = 9,
    PQ_TT_SET = 10,
    PQ_TT_MAP = 11,
    PQ_TT_STRUCT = 12,
    PQ_TT_UUID = 13,
};
/* Element type of list<bool>. The spec says 2, Thrift Java/C++ (parquet-mr,
 * Arrow C++) write 1; we write 1 and read both (pq_tr_list maps 2 to 1). */
#define PQ_TT_BOOL PQ_TT_TRUE

#define PQ_THRIFT_MAX_DEPTH 64

/* Name of a type code for messages ("i32", "list", ...; "type N" is not
 * possible without state, so unknown codes give "invalid"). */
const char *pq_tt_name(unsigned t);

static inline bool pq_tt_is_int(unsigned t)
{
    return t >= PQ_TT_I8 && t <= PQ_TT_I64;
}
static inline bool pq_tt_is_bool(unsigned t)
{
    return t == PQ_TT_TRUE || t == PQ_TT_FALSE;
}

static inline uint64_t pq_zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t pq_unzigzag64(uint64_t u)
{
    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

/* ---- writer ------------------------------------------------------------ */

typedef struct pq_tw {
    ls_buf *out;
    int sp;       /* depth of nested structs (stack entries in use) */
    int16_t last; /* id of the previous field in the current struct */
    int16_t stack[PQ_THRIFT_MAX_DEPTH];
} pq_tw;

/* out is borrowed; bytes are appended to it. Begin the top-level struct
 * with pq_tw_struct_begin like any other. */
void pq_tw_init(pq_tw *w, ls_buf *out);
void pq_tw_struct_begin(pq_tw *w); /* saves the field-id state of the enclosing struct */
void pq_tw_struct_end(pq_tw *w);   /* writes STOP and restores it */
/* Field header; short form when 0 < id - last <= 15, else long form. */
void pq_tw_field(pq_tw *w, int16_t id, unsigned type);
void pq_tw_varint(pq_tw *w, uint64_t v);
static inline void pq_tw_i64(pq_tw *w, int64_t v)
{
    pq_tw_varint(w, pq_zigzag64(v));
}
static inline void pq_tw_i32(pq_tw *w, int32_t v)
{
    pq_tw_varint(w, pq_zigzag64(v));
}
void pq_tw_binary(pq_tw *w, const void *p, size_t n);
/* Container headers; write the n elements after them. */
void pq_tw_list(pq_tw *w, unsigned elem_type, uint32_t n);
void pq_tw_map(pq_tw *w, unsigned key_type, unsigned val_type, uint32_t n);
/* A bool list/set/map element: 1 = true, 2 = false (as Thrift Java/C++). */
static inline void pq_tw_bool_elem(pq_tw *w, bool v)
{
    ls_buf_putc(w->out, v ? 1 : 2);
}

void pq_tw_field_bool(pq_tw *w, int16_t id, bool v);
void pq_tw_field_i8(pq_tw *w, int16_t id, int8_t v);
void pq_tw_field_i16(pq_tw *w, int16_t id, int16_t v);
void pq_tw_field_i32(pq_tw *w, int16_t id, int32_t v);
void pq_tw_field_i64(pq_tw *w, int16_t id, int64_t v);
void pq_tw_field_double(pq_tw *w, int16_t id, double v);
void pq_tw_field_binary(pq_tw *w, int16_t id, const void *p, size_t n);
void pq_tw_field_string(pq_tw *w, int16_t id, const char *s); /* NULL writes "" */
/* Field header of type STRUCT + pq_tw_struct_begin; close with pq_tw_struct_end. */
void pq_tw_field_struct(pq_tw *w, int16_t id);
/* Field header of type LIST + list header. */
void pq_tw_field_list(pq_tw *w, int16_t id, unsigned elem_type, uint32_t n);

/* ---- reader ------------------------------------------------------------ */

typedef struct pq_tr {
    const uint8_t *base; /* start of the range (offsets in messages are from here) */
    const uint8_t *p;    /* cursor */
    const uint8_t *end;
    ls_error *err; /* may be NULL */
    int depth;     /* current nesting while skipping */
} pq_tr;

void pq_tr_init(pq_tr *r, const uint8_t *p, size_t n, ls_error *err);
static inline size_t pq_tr_offset(const pq_tr *r)
{
    return (size_t)(r->p - r->base);
}
static inline size_t pq_tr_left(const pq_tr *r)
{
    return (size_t)(r->end - r->p);
}
/* Sets err to LS_ERR_CORRUPT "<msg> at offset <off>" and returns LS_ERR_CORRUPT. */
int pq_tr_fail(pq_tr *r, size_t off, const char *fmt, ...) LS_PRINTF(3, 4);

int pq_tr_varint_slow(pq_tr *r, uint64_t *v);
static inline int pq_tr_varint(pq_tr *r, uint64_t *v)
{
    if (LS_LIKELY(r->p < r->end && *r->p < 0x80)) {
        *v = *r->p++;
        return LS_OK;
    }
    return pq_tr_varint_slow(r, v);
}

/* Reads an integer value of wire type I8, I16, I32 or I64 (integer widths are
 * accepted interchangeably; callers check the range). */
static inline int pq_tr_int(pq_tr *r, unsigned type, int64_t *v)
{
    if (LS_UNLIKELY(type == PQ_TT_I8)) {
        if (r->p >= r->end) {
            *v = 0;
            return pq_tr_fail(r, pq_tr_offset(r), "truncated i8");
        }
        *v = (int8_t)*r->p++;
        return LS_OK;
    }
    uint64_t u;
    int rc = pq_tr_varint(r, &u);
    *v = pq_unzigzag64(u);
    return rc;
}
int pq_tr_range_fail(pq_tr *r, size_t off, int64_t v, int64_t lo, int64_t hi);
/* pq_tr_int, then checks lo <= value <= hi ("value X out of range [lo, hi]"). */
static inline int pq_tr_int_range(pq_tr *r, unsigned type, int64_t lo, int64_t hi, int64_t *v)
{
    const uint8_t *start = r->p;
    int rc = pq_tr_int(r, type, v);
    if (LS_UNLIKELY(rc)) return rc;
    if (LS_UNLIKELY(*v < lo || *v > hi))
        return pq_tr_range_fail(r, (size_t)(start - r->base), *v, lo, hi);
    return LS_OK;
}

/* Binary/string: *p points into the input range (not copied). */
int pq_tr_binary(pq_tr *r, const uint8_t **p, uint32_t *n);

/* Reads a field header. On STOP, *type = PQ_TT_STOP and *id is unchanged.
 * last holds the previous field id of this struct (start it at 0). Rejects
 * type codes above 13. */
int pq_tr_field_slow(pq_tr *r, int16_t *last, int16_t *id, unsigned *type);
static inline int pq_tr_field(pq_tr *r, int16_t *last, int16_t *id, unsigned *type)
{
    if (LS_LIKELY(r->p < r->end)) {
        unsigned b = *r->p;
        unsigned t = b & 15, d = b >> 4;
        if (b == 0) {
            r->p++;
            *type = PQ_TT_STOP;
            return LS_OK;
        }
        /* short form with a valid type and no id overflow */
        if (LS_LIKELY(d != 0 && t != 0 && t <= PQ_TT_UUID && *last <= INT16_MAX - 15)) {
            r->p++;
            *last = (int16_t)(*last + (int16_t)d);
            *id = *last;
            *type = t;
            return LS_OK;
        }
    }
    return pq_tr_field_slow(r, last, id, type);
}

/* List or set header. *elem is the element type, with bool normalised to
 * PQ_TT_BOOL (1); *n is checked against the bytes left (>= 1 per element). */
int pq_tr_list(pq_tr *r, unsigned *elem, uint32_t *n);
/* A bool container element: 1 = true, 0 or 2 = false, anything else is corrupt. */
int pq_tr_bool_elem(pq_tr *r, bool *v);

/* Skips the value of a field of the given type (bool fields have no bytes). */
int pq_tr_skip(pq_tr *r, unsigned type);
/* Skips n container elements of type elem (bool elements are one byte). */
int pq_tr_skip_elems(pq_tr *r, unsigned elem, uint32_t n);

#endif
