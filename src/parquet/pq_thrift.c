/*
 * pq_thrift.c - Thrift compact protocol writer and hardened reader (see
 * pq_thrift.h for the wire format and the reader's rules).
 *
 * The hot paths (one-byte varints, short field headers) are inline in the
 * header; this file has the slow paths, the container/skip logic and the
 * writer.
 */
#include "pq_thrift.h"

#include <stdio.h>
#include <stdlib.h>

const char *pq_tt_name(unsigned t)
{
    static const char *const names[] = {"stop",   "bool",   "bool", "i8",  "i16", "i32",    "i64",
                                        "double", "binary", "list", "set", "map", "struct", "uuid"};
    return t < sizeof names / sizeof names[0] ? names[t] : "invalid";
}

/* ---- writer ------------------------------------------------------------ */

void pq_tw_init(pq_tw *w, ls_buf *out)
{
    w->out = out;
    w->sp = 0;
    w->last = 0;
}

void pq_tw_struct_begin(pq_tw *w)
{
    if (w->sp >= PQ_THRIFT_MAX_DEPTH)
        abort(); /* programmer error: our structs nest a handful of levels */
    w->stack[w->sp++] = w->last;
    w->last = 0;
}

void pq_tw_struct_end(pq_tw *w)
{
    ls_buf_putc(w->out, PQ_TT_STOP);
    if (w->sp > 0) w->last = w->stack[--w->sp];
}

void pq_tw_varint(pq_tw *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    ls_buf_append(w->out, tmp, n);
}

void pq_tw_field(pq_tw *w, int16_t id, unsigned type)
{
    int d = (int)id - (int)w->last;
    if (d > 0 && d <= 15) {
        ls_buf_putc(w->out, (uint8_t)((unsigned)d << 4 | type));
    } else {
        ls_buf_putc(w->out, (uint8_t)type);
        pq_tw_varint(w, pq_zigzag64(id));
    }
    w->last = id;
}

void pq_tw_binary(pq_tw *w, const void *p, size_t n)
{
    pq_tw_varint(w, n);
    ls_buf_append(w->out, p, n);
}

void pq_tw_list(pq_tw *w, unsigned elem_type, uint32_t n)
{
    if (n < 15) {
        ls_buf_putc(w->out, (uint8_t)(n << 4 | elem_type));
    } else {
        ls_buf_putc(w->out, (uint8_t)(0xF0 | elem_type));
        pq_tw_varint(w, n);
    }
}

void pq_tw_map(pq_tw *w, unsigned key_type, unsigned val_type, uint32_t n)
{
    pq_tw_varint(w, n);
    if (n > 0) ls_buf_putc(w->out, (uint8_t)(key_type << 4 | val_type));
}

void pq_tw_field_bool(pq_tw *w, int16_t id, bool v)
{
    pq_tw_field(w, id, v ? PQ_TT_TRUE : PQ_TT_FALSE);
}

void pq_tw_field_i8(pq_tw *w, int16_t id, int8_t v)
{
    pq_tw_field(w, id, PQ_TT_I8);
    ls_buf_putc(w->out, (uint8_t)v);
}

void pq_tw_field_i16(pq_tw *w, int16_t id, int16_t v)
{
    pq_tw_field(w, id, PQ_TT_I16);
    pq_tw_varint(w, pq_zigzag64(v));
}

void pq_tw_field_i32(pq_tw *w, int16_t id, int32_t v)
{
    pq_tw_field(w, id, PQ_TT_I32);
    pq_tw_varint(w, pq_zigzag64(v));
}

void pq_tw_field_i64(pq_tw *w, int16_t id, int64_t v)
{
    pq_tw_field(w, id, PQ_TT_I64);
    pq_tw_varint(w, pq_zigzag64(v));
}

void pq_tw_field_double(pq_tw *w, int16_t id, double v)
{
    uint8_t b[8];
    memcpy(b, &v, 8); /* little-endian host (util.c checks) */
    pq_tw_field(w, id, PQ_TT_DOUBLE);
    ls_buf_append(w->out, b, 8);
}

void pq_tw_field_binary(pq_tw *w, int16_t id, const void *p, size_t n)
{
    pq_tw_field(w, id, PQ_TT_BINARY);
    pq_tw_binary(w, p, n);
}

void pq_tw_field_string(pq_tw *w, int16_t id, const char *s)
{
    if (!s) s = "";
    pq_tw_field_binary(w, id, s, strlen(s));
}

void pq_tw_field_struct(pq_tw *w, int16_t id)
{
    pq_tw_field(w, id, PQ_TT_STRUCT);
    pq_tw_struct_begin(w);
}

void pq_tw_field_list(pq_tw *w, int16_t id, unsigned elem_type, uint32_t n)
{
    pq_tw_field(w, id, PQ_TT_LIST);
    pq_tw_list(w, elem_type, n);
}

/* ---- reader ------------------------------------------------------------ */

void pq_tr_init(pq_tr *r, const uint8_t *p, size_t n, ls_error *err)
{
    static const uint8_t empty[1] = {0};
    if (!p) p = empty, n = 0; /* keep pointer arithmetic defined */
    r->base = p;
    r->p = p;
    r->end = p + n;
    r->err = err;
    r->depth = 0;
}

int pq_tr_fail(pq_tr *r, size_t off, const char *fmt, ...)
{
    if (r->err) {
        char msg[LS_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        ls_err(r->err, LS_ERR_CORRUPT, "%s at offset %zu", msg, off);
    }
    return LS_ERR_CORRUPT;
}

int pq_tr_varint_slow(pq_tr *r, uint64_t *v)
{
    const uint8_t *p = r->p;
    uint64_t x = 0;
    if (LS_LIKELY(r->end - p >= 10)) {
        /* common case: no bounds checks needed for a varint of at most 10 bytes */
        for (unsigned i = 0; i < 9; i++) {
            unsigned b = p[i];
            x |= (uint64_t)(b & 0x7f) << (7 * i);
            if (!(b & 0x80)) {
                r->p = p + i + 1;
                *v = x;
                return LS_OK;
            }
        }
        if (p[9] <= 1) {
            r->p = p + 10;
            *v = x | (uint64_t)p[9] << 63;
            return LS_OK;
        }
    }
    /* near the end of the input, or malformed: the careful loop */
    size_t off = pq_tr_offset(r);
    x = 0;
    *v = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (p >= r->end)
            return pq_tr_fail(r, off, "truncated varint (%u of at most 10 bytes present)", i);
        unsigned b = *p++;
        if (i == 9 && b > 1)
            return pq_tr_fail(
                r, off, b & 0x80 ? "varint longer than 10 bytes" : "varint overflows 64 bits");
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            r->p = p;
            *v = x;
            return LS_OK;
        }
    }
    return pq_tr_fail(r, off, "varint longer than 10 bytes"); /* not reached */
}

int pq_tr_range_fail(pq_tr *r, size_t off, int64_t v, int64_t lo, int64_t hi)
{
    return pq_tr_fail(r, off, "value %lld out of range [%lld, %lld]", (long long)v, (long long)lo,
                      (long long)hi);
}

int pq_tr_binary(pq_tr *r, const uint8_t **p, uint32_t *n)
{
    size_t off = pq_tr_offset(r);
    uint64_t len;
    int rc = pq_tr_varint(r, &len);
    if (rc) return rc;
    if (LS_UNLIKELY(len > pq_tr_left(r) || len > UINT32_MAX))
        return pq_tr_fail(r, off, "binary length %llu exceeds the %zu bytes left",
                          (unsigned long long)len, pq_tr_left(r));
    *p = r->p;
    *n = (uint32_t)len;
    r->p += len;
    return LS_OK;
}

int pq_tr_field_slow(pq_tr *r, int16_t *last, int16_t *id, unsigned *type)
{
    size_t off = pq_tr_offset(r);
    if (r->p >= r->end) return pq_tr_fail(r, off, "truncated struct (no field header or STOP)");
    unsigned b = *r->p;
    unsigned t = b & 15, d = b >> 4;
    if (b == 0) {
        r->p++;
        *type = PQ_TT_STOP;
        return LS_OK;
    }
    if (t == 0 || t > PQ_TT_UUID)
        return pq_tr_fail(r, off, "invalid field type %u in field header 0x%02x", t, b);
    r->p++;
    if (d) {
        int nid = (int)*last + (int)d;
        if (nid > INT16_MAX) return pq_tr_fail(r, off, "field id %d overflows i16", nid);
        *id = (int16_t)nid;
    } else {
        int64_t v;
        int rc = pq_tr_int_range(r, PQ_TT_I16, INT16_MIN, INT16_MAX, &v);
        if (rc) return rc;
        *id = (int16_t)v;
    }
    *last = *id;
    *type = t;
    return LS_OK;
}

int pq_tr_list(pq_tr *r, unsigned *elem, uint32_t *n)
{
    size_t off = pq_tr_offset(r);
    if (r->p >= r->end) return pq_tr_fail(r, off, "truncated list header");
    unsigned b = *r->p++;
    unsigned t = b & 15;
    uint64_t size = b >> 4;
    if (size == 15) {
        int rc = pq_tr_varint(r, &size);
        if (rc) return rc;
        if (size > INT32_MAX)
            return pq_tr_fail(r, off, "list size %llu too large", (unsigned long long)size);
    }
    if (t == PQ_TT_FALSE) t = PQ_TT_BOOL;
    if ((t == 0 && size > 0) || t > PQ_TT_UUID)
        return pq_tr_fail(r, off, "invalid list element type %u", t);
    /* every element takes at least one byte */
    if (size > pq_tr_left(r))
        return pq_tr_fail(r, off, "list of %llu elements but only %zu bytes left",
                          (unsigned long long)size, pq_tr_left(r));
    *elem = t;
    *n = (uint32_t)size;
    return LS_OK;
}

int pq_tr_bool_elem(pq_tr *r, bool *v)
{
    if (r->p >= r->end) return pq_tr_fail(r, pq_tr_offset(r), "truncated bool element");
    unsigned b = *r->p;
    if (b > 2) return pq_tr_fail(r, pq_tr_offset(r), "invalid bool element 0x%02x", b);
    r->p++;
    *v = b == 1;
    return LS_OK;
}

static int skip_value(pq_tr *r, unsigned t, bool in_container);

static int skip_fixed(pq_tr *r, size_t n, size_t count, const char *what)
{
    size_t total;
    if (ls_mul_overflow(n, count, &total) || total > pq_tr_left(r))
        return pq_tr_fail(r, pq_tr_offset(r), "truncated %s", what);
    r->p += total;
    return LS_OK;
}

int pq_tr_skip_elems(pq_tr *r, unsigned elem, uint32_t n)
{
    int rc;
    switch (elem) {
    case PQ_TT_TRUE:
    case PQ_TT_FALSE:
    case PQ_TT_I8:
        return skip_fixed(r, 1, n, "list elements");
    case PQ_TT_DOUBLE:
        return skip_fixed(r, 8, n, "list of doubles");
    case PQ_TT_UUID:
        return skip_fixed(r, 16, n, "list of uuids");
    case PQ_TT_I16:
    case PQ_TT_I32:
    case PQ_TT_I64:
        for (uint32_t i = 0; i < n; i++) {
            uint64_t v;
            if ((rc = pq_tr_varint(r, &v))) return rc;
        }
        return LS_OK;
    default:
        for (uint32_t i = 0; i < n; i++)
            if ((rc = skip_value(r, elem, true))) return rc;
        return LS_OK;
    }
}

static int skip_struct(pq_tr *r)
{
    int16_t last = 0, id;
    unsigned t;
    for (;;) {
        int rc = pq_tr_field(r, &last, &id, &t);
        if (rc) return rc;
        if (t == PQ_TT_STOP) return LS_OK;
        if ((rc = skip_value(r, t, false))) return rc;
    }
}

static int skip_map(pq_tr *r)
{
    size_t off = pq_tr_offset(r);
    uint64_t n;
    int rc = pq_tr_varint(r, &n);
    if (rc) return rc;
    if (n == 0) return LS_OK;
    if (n > pq_tr_left(r) / 2 || n > INT32_MAX) /* key and value take >= 1 byte each */
        return pq_tr_fail(r, off, "map of %llu entries but only %zu bytes left",
                          (unsigned long long)n, pq_tr_left(r));
    unsigned kv = *r->p++; /* n > 0 so at least 2 bytes were left */
    unsigned k = kv >> 4, v = kv & 15;
    if (k == PQ_TT_FALSE) k = PQ_TT_BOOL;
    if (v == PQ_TT_FALSE) v = PQ_TT_BOOL;
    if (k == 0 || k > PQ_TT_UUID || v == 0 || v > PQ_TT_UUID)
        return pq_tr_fail(r, off, "invalid map key/value types 0x%02x", kv);
    for (uint64_t i = 0; i < n; i++) {
        if ((rc = skip_value(r, k, true)) || (rc = skip_value(r, v, true))) return rc;
    }
    return LS_OK;
}

static int skip_value(pq_tr *r, unsigned t, bool in_container)
{
    int rc;
    uint64_t v;
    switch (t) {
    case PQ_TT_TRUE:
    case PQ_TT_FALSE:
        return in_container ? skip_fixed(r, 1, 1, "bool") : LS_OK;
    case PQ_TT_I8:
        return skip_fixed(r, 1, 1, "i8");
    case PQ_TT_I16:
    case PQ_TT_I32:
    case PQ_TT_I64:
        return pq_tr_varint(r, &v);
    case PQ_TT_DOUBLE:
        return skip_fixed(r, 8, 1, "double");
    case PQ_TT_UUID:
        return skip_fixed(r, 16, 1, "uuid");
    case PQ_TT_BINARY: {
        const uint8_t *p;
        uint32_t n;
        return pq_tr_binary(r, &p, &n);
    }
    case PQ_TT_LIST:
    case PQ_TT_SET:
    case PQ_TT_MAP:
    case PQ_TT_STRUCT:
        if (r->depth >= PQ_THRIFT_MAX_DEPTH)
            return pq_tr_fail(r, pq_tr_offset(r), "nesting deeper than %d levels",
                              PQ_THRIFT_MAX_DEPTH);
        r->depth++;
        if (t == PQ_TT_STRUCT) {
            rc = skip_struct(r);
        } else if (t == PQ_TT_MAP) {
            rc = skip_map(r);
        } else {
            unsigned elem;
            uint32_t n;
            rc = pq_tr_list(r, &elem, &n);
            if (!rc) rc = pq_tr_skip_elems(r, elem, n);
        }
        r->depth--;
        return rc;
    default:
        return pq_tr_fail(r, pq_tr_offset(r), "invalid type %u", t);
    }
}

int pq_tr_skip(pq_tr *r, unsigned type)
{
    return skip_value(r, type, false);
}
