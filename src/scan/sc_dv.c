/*
 * sc_dv.c - deletion vectors (PROTOCOL.md "Deletion Vectors", "Deletion
 * Vector Format"): Z85 decoding of inline DVs and of the UUID in relative
 * DV paths, the DV file framing (version byte; per DV a big-endian size,
 * the bitmap, a big-endian CRC-32), and the RoaringBitmapArray payload in
 * both serializations Delta defines: "portable" (LE magic 1681511377, LE
 * bucket count, per bucket LE high key + portable 32-bit Roaring bitmap;
 * what Spark writes) and "native" (BE magic 1681511376, BE count, per
 * bitmap BE length + bitmap, the index being the high key; the spec's
 * inline example). Bitmaps are decoded with Debian's CRoaring.
 *
 * The bitmaps are kept in Roaring form and iterated in row order as the
 * scan advances, so memory is that of the serialized DV, whatever number of
 * rows it claims; every row is checked against the file's row count.
 */
#include "sc_int.h"

#include <roaring/roaring.h>
#include <stdlib.h>

#define DV_MAGIC 1681511377u
#define DV_MAX_BYTES ((uint64_t)1 << 30)

/* ---- Z85 -------------------------------------------------------------------- */

static const char z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int sc_z85_decode(const char *s, size_t n, ls_buf *out, ls_error *err)
{
    if (n % 5)
        return ls_err(err, LS_ERR_CORRUPT, "Z85 text of %zu characters is not a multiple of 5", n);
    int8_t dec[256];
    memset(dec, -1, sizeof dec);
    for (int i = 0; z85_chars[i]; i++)
        dec[(uint8_t)z85_chars[i]] = (int8_t)i;
    ls_buf_reserve(out, n / 5 * 4);
    for (size_t i = 0; i < n; i += 5) {
        uint64_t v = 0;
        for (int k = 0; k < 5; k++) {
            int d = dec[(uint8_t)s[i + (size_t)k]];
            if (d < 0)
                return ls_err(err, LS_ERR_CORRUPT, "invalid Z85 character at offset %zu",
                              i + (size_t)k);
            v = v * 85 + (uint64_t)d;
        }
        if (v > 0xffffffffu)
            return ls_err(err, LS_ERR_CORRUPT, "Z85 group at offset %zu overflows 32 bits", i);
        uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        ls_buf_append(out, b, 4);
    }
    return LS_OK;
}

int sc_dv_relative_path(const char *s, char **out, ls_error *err)
{
    *out = NULL;
    size_t n = strlen(s);
    if (n < 20)
        return ls_err(err, LS_ERR_CORRUPT,
                      "deletion vector path '%s' is shorter than its 20-character UUID", s);
    ls_buf u = {0};
    int rc = sc_z85_decode(s + n - 20, 20, &u, err);
    if (rc) {
        ls_buf_free(&u);
        return ls_err_prefix(err, "deletion vector path '%s'", s);
    }
    const uint8_t *b = u.data;
    char uuid[40];
    static const char hx[] = "0123456789abcdef";
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) uuid[k++] = '-';
        uuid[k++] = hx[b[i] >> 4];
        uuid[k++] = hx[b[i] & 15];
    }
    uuid[k] = 0;
    ls_buf_free(&u);
    if (n > 20)
        *out = ls_xasprintf("%.*s/deletion_vector_%s.bin", (int)(n - 20), s, uuid);
    else
        *out = ls_xasprintf("deletion_vector_%s.bin", uuid);
    return LS_OK;
}

/* ---- RoaringBitmapArray --------------------------------------------------------- */

/* The bitmaps stay in Roaring form (runs stay compressed): deleted rows are produced
 * in increasing order by an iterator as the scan advances through the file, so memory
 * never depends on how many rows a (possibly hostile) DV claims. */
typedef struct dv_bucket {
    uint64_t high; /* key << 32 */
    roaring_bitmap_t *bm;
} dv_bucket;

struct sc_dv {
    dv_bucket *b;
    size_t nb;
    uint64_t max_rows;
    uint64_t card; /* sum of the bitmaps' cardinalities */
    size_t cur;    /* bucket of the iterator */
    roaring_uint32_iterator_t it;
    bool started;
    uint64_t next; /* next deleted row, UINT64_MAX when done */
    bool have_prev;
    uint64_t prev;
};

void sc_dv_free(sc_dv *dv)
{
    if (!dv) return;
    for (size_t i = 0; i < dv->nb; i++)
        roaring_bitmap_free(dv->b[i].bm);
    free(dv->b);
    free(dv);
}

uint64_t sc_dv_cardinality(const sc_dv *dv)
{
    return dv->card;
}

/* Moves to the next value across buckets. */
static void dv_advance(sc_dv *dv)
{
    if (dv->started && dv->cur < dv->nb && roaring_advance_uint32_iterator(&dv->it)) {
        dv->next = dv->b[dv->cur].high | dv->it.current_value;
        return;
    }
    size_t k = dv->started ? dv->cur + 1 : 0;
    dv->started = true;
    for (; k < dv->nb; k++) {
        roaring_init_iterator(dv->b[k].bm, &dv->it);
        if (dv->it.has_value) {
            dv->cur = k;
            dv->next = dv->b[k].high | dv->it.current_value;
            return;
        }
    }
    dv->cur = dv->nb;
    dv->next = UINT64_MAX;
}

bool sc_dv_pending_before(const sc_dv *dv, uint64_t end)
{
    return dv->next < end;
}

/* Checks the next deleted row (inside the file, after the previous one) and moves on. */
static int dv_take(sc_dv *dv, ls_error *err)
{
    uint64_t r = dv->next;
    if (r >= dv->max_rows)
        return ls_err(err, LS_ERR_CORRUPT,
                      "deletion vector deletes row %llu but the data file has %llu rows",
                      (unsigned long long)r, (unsigned long long)dv->max_rows);
    if (dv->have_prev && r <= dv->prev)
        return ls_err(err, LS_ERR_CORRUPT, "deletion vector rows are not in increasing order");
    dv->have_prev = true;
    dv->prev = r;
    dv_advance(dv);
    return LS_OK;
}

int sc_dv_apply(sc_dv *dv, uint64_t base, size_t n, uint8_t *mask, size_t *cleared, ls_error *err)
{
    size_t c = 0;
    uint64_t end = base + n;
    while (dv->next < end) {
        uint64_t r = dv->next;
        if (r < base)
            return ls_err(err, LS_ERR_CORRUPT, "deletion vector rows are not in increasing order");
        int rc = dv_take(dv, err);
        if (rc) return rc;
        mask[r - base] = 0;
        c++;
    }
    if (dv->next != UINT64_MAX && dv->next >= dv->max_rows)
        return ls_err(err, LS_ERR_CORRUPT,
                      "deletion vector deletes row %llu but the data file has %llu rows",
                      (unsigned long long)dv->next, (unsigned long long)dv->max_rows);
    if (cleared) *cleared = c;
    return LS_OK;
}

int sc_dv_skip_to(sc_dv *dv, uint64_t row, ls_error *err)
{
    while (dv->next < row) {
        int rc = dv_take(dv, err);
        if (rc) return rc;
    }
    return LS_OK;
}

static uint32_t load_u32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walks a portable 32-bit Roaring bitmap (RoaringFormatSpec) and returns its exact size, or
 * 0 if it is malformed or longer than avail. CRoaring 0.2.x sizes its allocations from the
 * header before checking them against the input, so hostile headers are rejected here. */
static size_t portable_size(const uint8_t *p, size_t avail)
{
    if (avail < 4) return 0;
    uint32_t cookie = ls_load_u32le(p);
    size_t n, pos;
    const uint8_t *runs = NULL;
    if ((cookie & 0xffff) == 12347) { /* SERIAL_COOKIE: count in the high half, run bitmap */
        n = (cookie >> 16) + 1;
        pos = 4;
        runs = p + pos;
        pos += (n + 7) / 8;
    } else if (cookie == 12346) { /* SERIAL_COOKIE_NO_RUNCONTAINER */
        if (avail < 8) return 0;
        n = ls_load_u32le(p + 4);
        if (n > 65536) return 0;
        pos = 8;
    } else {
        return 0;
    }
    if (pos > avail || n * 4 > avail - pos) return 0;
    const uint8_t *kc = p + pos;
    pos += n * 4;
    if (!runs || n >= 4) { /* offset header */
        if (n * 4 > avail - pos) return 0;
        pos += n * 4;
    }
    int prev_key = -1;
    for (size_t i = 0; i < n; i++) {
        int key = kc[4 * i] | kc[4 * i + 1] << 8;
        size_t card = (size_t)(kc[4 * i + 2] | kc[4 * i + 3] << 8) + 1;
        if (key <= prev_key) return 0;
        prev_key = key;
        size_t sz;
        if (runs && (runs[i / 8] >> (i % 8) & 1)) {
            if (avail - pos < 2) return 0;
            size_t nruns = (size_t)(p[pos] | p[pos + 1] << 8);
            sz = 2 + nruns * 4;
        } else if (card > 4096) {
            sz = 8192;
        } else {
            sz = card * 2;
        }
        if (sz > avail - pos) return 0;
        pos += sz;
    }
    return pos;
}

/* Deserializes one portable 32-bit bitmap (at most avail bytes) as bucket `key`. */
static int dv_add(sc_dv *dv, uint32_t key, const uint8_t *p, size_t avail, size_t at, size_t *used,
                  ls_error *err)
{
    size_t sz = portable_size(p, avail);
    if (sz && roaring_bitmap_portable_deserialize_size((const char *)p, avail) != sz) sz = 0;
    roaring_bitmap_t *bm =
        sz ? roaring_bitmap_portable_deserialize_safe((const char *)p, sz) : NULL;
    if (!bm)
        return ls_err(err, LS_ERR_CORRUPT, "deletion vector: invalid Roaring bitmap at byte %zu",
                      at);
    *used = sz;
    dv->b[dv->nb].high = (uint64_t)key << 32;
    dv->b[dv->nb].bm = bm;
    dv->nb++;
    dv->card += roaring_bitmap_get_cardinality(bm);
    return LS_OK;
}

int sc_dv_from_bytes(const uint8_t *p, size_t n, uint64_t max_rows, sc_dv **out, ls_error *err)
{
    *out = NULL;
    if (n < 8)
        return ls_err(err, LS_ERR_CORRUPT, "deletion vector bitmap of %zu bytes is too short", n);
    sc_dv *dv = ls_xcalloc(1, sizeof *dv);
    dv->max_rows = max_rows;
    int rc = LS_OK;
    if (ls_load_u32le(p) == DV_MAGIC) {
        /* portable: LE bucket count, then (LE key, bitmap) pairs with ascending keys */
        uint64_t buckets = n >= 12 ? ls_load_u64le(p + 4) : 0;
        size_t pos = 12;
        /* every bucket needs a 4-byte key and at least 8 bytes of bitmap */
        if (n < 12 || buckets > (n - pos) / 12) {
            rc = ls_err(err, LS_ERR_CORRUPT, "deletion vector claims %llu bitmaps in %zu bytes",
                        (unsigned long long)buckets, n);
            goto done;
        }
        dv->b = ls_xcalloc((size_t)buckets + 1, sizeof(dv_bucket));
        int64_t last_key = -1;
        for (uint64_t k = 0; k < buckets && !rc; k++) {
            if (n - pos < 4) {
                rc = ls_err(err, LS_ERR_CORRUPT, "deletion vector truncated at byte %zu", pos);
                break;
            }
            uint32_t key = ls_load_u32le(p + pos);
            pos += 4;
            if ((int64_t)key <= last_key) {
                rc = ls_err(err, LS_ERR_CORRUPT,
                            "deletion vector bitmap keys not ascending at byte %zu", pos - 4);
                break;
            }
            last_key = key;
            size_t used;
            if (!(rc = dv_add(dv, key, p + pos, n - pos, pos, &used, err))) pos += used;
        }
    } else if (load_u32be(p) == DV_MAGIC - 1) {
        /* native: BE bitmap count, then (BE length, bitmap) with the index as high key */
        uint32_t count = load_u32be(p + 4);
        size_t pos = 8;
        if (count > (n - pos) / 12) {
            rc = ls_err(err, LS_ERR_CORRUPT, "deletion vector claims %u bitmaps in %zu bytes",
                        count, n);
            goto done;
        }
        dv->b = ls_xcalloc((size_t)count + 1, sizeof(dv_bucket));
        for (uint32_t k = 0; k < count && !rc; k++) {
            if (n - pos < 4) {
                rc = ls_err(err, LS_ERR_CORRUPT, "deletion vector truncated at byte %zu", pos);
                break;
            }
            uint32_t len = load_u32be(p + pos);
            pos += 4;
            if (len > n - pos) {
                rc = ls_err(err, LS_ERR_CORRUPT,
                            "deletion vector bitmap %u of %u bytes exceeds the data", k, len);
                break;
            }
            size_t used;
            if (!(rc = dv_add(dv, k, p + pos, len, pos, &used, err))) pos += len;
        }
    } else {
        rc = ls_err(err, LS_ERR_CORRUPT,
                    "deletion vector bitmap has magic %u, expected %u (RoaringBitmapArray)",
                    ls_load_u32le(p), DV_MAGIC);
    }
done:
    if (rc) {
        sc_dv_free(dv);
        return rc;
    }
    dv_advance(dv);
    *out = dv;
    return LS_OK;
}

int sc_dv_parse_bitmap(const uint8_t *p, size_t n, uint64_t max_rows, uint64_t **rows,
                       size_t *n_rows, ls_error *err)
{
    *rows = NULL;
    *n_rows = 0;
    sc_dv *dv;
    int rc = sc_dv_from_bytes(p, n, max_rows, &dv, err);
    if (rc) return rc;
    /* materialize window by window: only for tests and small files */
    size_t cap = 0, cnt = 0;
    uint64_t *v = NULL;
    uint8_t mask[4096];
    while (!rc && dv->next != UINT64_MAX) {
        uint64_t base = dv->next & ~(uint64_t)4095;
        size_t w = sizeof mask;
        if (base >= max_rows) { /* let apply report the row beyond the file */
            rc = sc_dv_apply(dv, dv->next, 1, mask, NULL, err);
            if (!rc) rc = ls_err(err, LS_ERR_CORRUPT, "deletion vector row beyond the file");
            break;
        }
        if (max_rows - base < w) w = (size_t)(max_rows - base);
        memset(mask, 1, w);
        if ((rc = sc_dv_apply(dv, base, w, mask, NULL, err))) break;
        for (size_t k = 0; k < w; k++)
            if (!mask[k]) {
                if (cnt == cap) {
                    cap = cap ? cap * 2 : 64;
                    v = ls_xrealloc(v, cap * sizeof *v);
                }
                v[cnt++] = base + k;
            }
    }
    sc_dv_free(dv);
    if (rc) {
        free(v);
        return rc;
    }
    *rows = v;
    *n_rows = cnt;
    return LS_OK;
}

/* ---- loading ---------------------------------------------------------------------- */

int sc_open_location(ls_delta_table *t, const char *loc, ls_input **out, ls_error *err)
{
    ls_store *st = ls_delta_store(t);
    if (!strncmp(loc, "file:", 5)) {
        const char *p = loc + 5;
        if (p[0] == '/' && p[1] == '/') {
            p += 2;
            if (*p != '/') /* file://host/path: only the local host */
                p = strchr(p, '/');
            if (!p) return ls_err(err, LS_ERR_UNSUPPORTED, "unsupported file URI '%s'", loc);
        }
        return ls_input_open_file(p, out, err);
    }
    if (loc[0] == '/') return ls_input_open_file(loc, out, err);
    if (strstr(loc, "://")) {
        const char *root = ls_store_uri(st);
        size_t rl = strlen(root);
        while (rl && root[rl - 1] == '/')
            rl--;
        if (!strncmp(loc, root, rl) && loc[rl] == '/')
            return ls_input_open_store(st, loc + rl + 1, out, err);
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "'%s' is outside the table's storage (%s); not supported", loc, root);
    }
    return ls_input_open_store(st, loc, out, err);
}

static int load_from_file(ls_delta_table *t, const ls_delta_dv *dv, ls_buf *bytes, ls_error *err)
{
    char *rel = NULL, *loc = NULL;
    int rc;
    if (dv->storage_type == 'u') {
        if ((rc = sc_dv_relative_path(dv->path_or_inline_dv, &rel, err))) return rc;
        loc = ls_delta_resolve_path(t, rel);
    } else {
        loc = ls_delta_resolve_path(t, dv->path_or_inline_dv);
    }
    ls_input *in = NULL;
    if ((rc = sc_open_location(t, loc, &in, err))) {
        ls_err_prefix(err, "deletion vector file");
        goto done;
    }
    uint64_t off = dv->has_offset ? (uint64_t)(uint32_t)dv->offset : 1;
    uint64_t fsz = ls_input_size(in);
    uint8_t hdr[4];
    if (dv->has_offset && dv->offset < 0) {
        rc = ls_err(err, LS_ERR_CORRUPT, "%s: negative deletion vector offset %d", loc, dv->offset);
        goto done;
    }
    if (fsz < 1 || off > fsz || fsz - off < 8) {
        rc = ls_err(err, LS_ERR_CORRUPT,
                    "%s: deletion vector at offset %llu lies outside the %llu-byte file", loc,
                    (unsigned long long)off, (unsigned long long)fsz);
        goto done;
    }
    if ((rc = ls_input_read(in, 0, 1, hdr, err))) goto done;
    if (hdr[0] != 1) {
        rc = ls_err(err, LS_ERR_UNSUPPORTED, "%s: deletion vector file version %u (expected 1)",
                    loc, hdr[0]);
        goto done;
    }
    if ((rc = ls_input_read(in, off, 4, hdr, err))) goto done;
    uint32_t size =
        (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (dv->size_in_bytes > 0 && size != (uint32_t)dv->size_in_bytes) {
        rc = ls_err(err, LS_ERR_CORRUPT,
                    "%s: deletion vector at offset %llu has %u bytes, the log says %d", loc,
                    (unsigned long long)off, size, dv->size_in_bytes);
        goto done;
    }
    if (size > DV_MAX_BYTES || (uint64_t)size + 8 > fsz - off) {
        rc = ls_err(err, LS_ERR_CORRUPT,
                    "%s: deletion vector of %u bytes at offset %llu exceeds the file", loc, size,
                    (unsigned long long)off);
        goto done;
    }
    ls_buf_reserve(bytes, (size_t)size + 4);
    if ((rc = ls_input_read(in, off + 4, (size_t)size + 4, bytes->data, err))) goto done;
    bytes->len = size;
    const uint8_t *c = bytes->data + size;
    uint32_t want = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
    uint32_t got = ls_crc32(0, bytes->data, size);
    if (want != got)
        rc = ls_err(err, LS_ERR_CORRUPT,
                    "%s: deletion vector at offset %llu fails its CRC-32 (stored %08x, computed "
                    "%08x)",
                    loc, (unsigned long long)off, want, got);
done:
    ls_input_free(in);
    free(rel);
    free(loc);
    return rc;
}

int sc_dv_load(ls_delta_table *t, const ls_delta_dv *dv, uint64_t max_rows, sc_dv **out,
               ls_error *err)
{
    *out = NULL;
    ls_buf bytes = {0};
    int rc;
    if (!dv->path_or_inline_dv)
        return ls_err(err, LS_ERR_CORRUPT, "deletion vector without pathOrInlineDv");
    if (dv->storage_type == 'i') {
        if ((rc = sc_z85_decode(dv->path_or_inline_dv, strlen(dv->path_or_inline_dv), &bytes,
                                err))) {
            ls_buf_free(&bytes);
            return ls_err_prefix(err, "inline deletion vector");
        }
        /* the encoding pads to 4-byte groups: sizeInBytes is the real length */
        if (dv->size_in_bytes < 0 || (size_t)dv->size_in_bytes > bytes.len) {
            ls_buf_free(&bytes);
            return ls_err(err, LS_ERR_CORRUPT,
                          "inline deletion vector: sizeInBytes %d but %zu bytes encoded",
                          dv->size_in_bytes, bytes.len);
        }
        bytes.len = (size_t)dv->size_in_bytes;
    } else if (dv->storage_type == 'u' || dv->storage_type == 'p') {
        if ((rc = load_from_file(t, dv, &bytes, err))) {
            ls_buf_free(&bytes);
            return rc;
        }
    } else {
        return ls_err(err, LS_ERR_UNSUPPORTED, "deletion vector storage type '%c'",
                      dv->storage_type);
    }
    rc = sc_dv_from_bytes(bytes.data, bytes.len, max_rows, out, err);
    ls_buf_free(&bytes);
    return rc;
}
