/*
 * test_codec.c - tests for src/parquet/pq_codec.c: round trips of every
 * writable codec (empty, small, 1 MiB random and compressible data, several
 * levels), exact-size semantics, corrupt and truncated input, concatenated
 * gzip members, zlib / raw deflate, multi-frame zstd, Hadoop-framed LZ4 with
 * raw fallback, codec names; plus corpus checks that walk the pages of
 * parquet-testing files (a tiny Thrift-compact page-header reader lives here)
 * and decompress and decode them with pq_codec.c and pq_enc.c. Speed and
 * ratio figures are printed as NOTE lines.
 */
#include "parquet/pq_codec.h"
#include "parquet/pq_enc.h"
#include "parquet/pq_meta.h"
#include "test.h"

#include <lz4.h>
#include <math.h>
#include <stdint.h>
#include <zlib.h>
#include <zstd.h>

static uint64_t rng_state = 0x1234567887654321ull;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (n)
        memcpy(d, p, n);
    return d;
}

static const int writable[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,
                               PQ_CODEC_ZSTD,         PQ_CODEC_LZ4_RAW, PQ_CODEC_BROTLI};
#define N_WRITABLE (sizeof(writable) / sizeof(writable[0]))

/* compressible: text-ish with repeats, like an encoded page of strings */
static void fill_compressible(uint8_t *p, size_t n)
{
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "2024-01-01T00:00:00Z",
                                  "user_", "event", "click", "view", "\x00\x00\x00\x07"};
    size_t i = 0;
    while (i < n) {
        const char *w = words[rnd() % 10];
        size_t l = strlen(w);
        if (l == 0)
            l = 4;
        for (size_t k = 0; k < l && i < n; k++)
            p[i++] = (uint8_t)w[k];
        if (i < n)
            p[i++] = (uint8_t)('0' + rnd() % 10);
    }
}

static void roundtrip(pq_codec_ctx *c, int codec, int level, const uint8_t *src, size_t n)
{
    ls_error err = {0};
    ls_buf out = {0};
    ls_buf_append(&out, "hdr", 3); /* compress appends */
    int rc = pq_compress(c, codec, level, src, n, &out, &err);
    CHECK_MSG(rc == 0, "codec %d level %d n=%zu: %s", codec, level, n, err.msg);
    if (rc)
        return;
    CHECK(memcmp(out.data, "hdr", 3) == 0);
    size_t clen = out.len - 3;
    uint8_t *comp = dup_exact(out.data + 3, clen);
    uint8_t *dst = malloc(n ? n : 1);
    rc = pq_decompress(c, codec, comp, clen, dst, n, &err);
    CHECK_MSG(rc == 0, "codec %d level %d n=%zu: %s", codec, level, n, err.msg);
    CHECK_MSG(n == 0 || memcmp(dst, src, n) == 0, "codec %d n=%zu mismatch", codec, n);
    free(dst);
    /* one byte short: must fail and must not write past the exact-size buffer */
    if (n > 0) {
        uint8_t *small = malloc(n - 1 ? n - 1 : 1);
        rc = pq_decompress(c, codec, comp, clen, n - 1 ? small : NULL, n - 1, &err);
        CHECK_MSG(rc == LS_ERR_CORRUPT, "codec %d n=%zu short dst rc=%d", codec, n, rc);
        free(small);
    }
    /* one byte too many: must fail */
    uint8_t *big = malloc(n + 1);
    rc = pq_decompress(c, codec, comp, clen, big, n + 1, &err);
    CHECK_MSG(rc == LS_ERR_CORRUPT, "codec %d n=%zu long dst rc=%d", codec, n, rc);
    free(big);
    free(comp);
    ls_buf_free(&out);
}

static void test_roundtrip_all(void)
{
    pq_codec_ctx *c = pq_codec_ctx_new();
    size_t sizes[] = {0, 1, 2, 7, 100, 4096, 65537, 1 << 20};
    uint8_t *buf = malloc(1 << 20);
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t n = sizes[si];
        for (int kind = 0; kind < 3; kind++) {
            if (kind == 0)
                for (size_t i = 0; i < n; i++)
                    buf[i] = (uint8_t)rnd();
            else if (kind == 1)
                fill_compressible(buf, n);
            else
                memset(buf, 'z', n);
            for (size_t k = 0; k < N_WRITABLE; k++)
                roundtrip(c, writable[k], 0, buf, n);
        }
    }
    /* explicit levels; the context must survive level changes */
    fill_compressible(buf, 200000);
    int levels[] = {1, 3, 9, 1, -5, 19};
    for (size_t li = 0; li < sizeof(levels) / sizeof(levels[0]); li++) {
        roundtrip(c, PQ_CODEC_ZSTD, levels[li], buf, 200000);
        if (levels[li] >= 1 && levels[li] <= 9)
            roundtrip(c, PQ_CODEC_GZIP, levels[li], buf, 200000);
        if (levels[li] >= 1 && levels[li] <= 11)
            roundtrip(c, PQ_CODEC_BROTLI, levels[li], buf, 200000);
    }
    ls_error err = {0};
    ls_buf out = {0};
    CHECK(pq_compress(c, PQ_CODEC_GZIP, 12, buf, 10, &out, &err) == LS_ERR_INVALID);
    CHECK(pq_compress(c, PQ_CODEC_BROTLI, 12, buf, 10, &out, &err) == LS_ERR_INVALID);
    ls_buf_free(&out);
    free(buf);
    pq_codec_ctx_free(c);
    pq_codec_ctx_free(NULL);
}

static void test_refused_and_names(void)
{
    pq_codec_ctx *c = pq_codec_ctx_new();
    ls_error err = {0};
    ls_buf out = {0};
    uint8_t x[4] = {1, 2, 3, 4}, d[4];
    CHECK(pq_compress(c, PQ_CODEC_LZ4, 0, x, 4, &out, &err) == LS_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "LZ4_RAW") != NULL);
    CHECK(pq_compress(c, PQ_CODEC_LZO, 0, x, 4, &out, &err) == LS_ERR_UNSUPPORTED);
    CHECK(pq_compress(c, 99, 0, x, 4, &out, &err) == LS_ERR_UNSUPPORTED);
    CHECK(pq_decompress(c, PQ_CODEC_LZO, x, 4, d, 4, &err) == LS_ERR_UNSUPPORTED);
    CHECK(pq_decompress(c, -1, x, 4, d, 4, &err) == LS_ERR_UNSUPPORTED);
    CHECK(out.len == 0);
    CHECK(pq_codec_from_name("zstd") == PQ_CODEC_ZSTD);
    CHECK(pq_codec_from_name("ZSTD") == PQ_CODEC_ZSTD);
    CHECK(pq_codec_from_name("snappy") == PQ_CODEC_SNAPPY);
    CHECK(pq_codec_from_name("gzip") == PQ_CODEC_GZIP);
    CHECK(pq_codec_from_name("none") == PQ_CODEC_UNCOMPRESSED);
    CHECK(pq_codec_from_name("Uncompressed") == PQ_CODEC_UNCOMPRESSED);
    CHECK(pq_codec_from_name("lz4_raw") == PQ_CODEC_LZ4_RAW);
    CHECK(pq_codec_from_name("brotli") == PQ_CODEC_BROTLI);
    CHECK(pq_codec_from_name("lz4") == PQ_CODEC_LZ4);
    CHECK(pq_codec_from_name("zip") == -1);
    CHECK(pq_codec_from_name("") == -1);
    CHECK(pq_codec_from_name(NULL) == -1);
    ls_buf_free(&out);
    pq_codec_ctx_free(c);
}

static void test_empty(void)
{
    pq_codec_ctx *c = pq_codec_ctx_new();
    ls_error err = {0};
    uint8_t d[4];
    for (int codec = 0; codec <= PQ_CODEC_LZ4_RAW; codec++) {
        if (codec == PQ_CODEC_LZO)
            continue;
        /* empty section, empty page: no library call, success */
        CHECK_OK(pq_decompress(c, codec, NULL, 0, NULL, 0, &err), &err);
        CHECK(pq_decompress(c, codec, NULL, 0, d, 4, &err) == LS_ERR_CORRUPT);
    }
    /* each codec's own encoding of nothing also decodes to nothing */
    for (size_t k = 0; k < N_WRITABLE; k++) {
        ls_buf out = {0};
        CHECK_OK(pq_compress(c, writable[k], 0, NULL, 0, &out, &err), &err);
        CHECK_OK(pq_decompress(c, writable[k], out.data, out.len, NULL, 0, &err), &err);
        ls_buf_free(&out);
    }
    pq_codec_ctx_free(c);
}

static void test_corrupt_input(void)
{
    pq_codec_ctx *c = pq_codec_ctx_new();
    ls_error err = {0};
    size_t n = 20000;
    uint8_t *src = malloc(n), *dst = malloc(n);
    fill_compressible(src, n);
    for (size_t k = 0; k < N_WRITABLE; k++) {
        int codec = writable[k];
        ls_buf out = {0};
        CHECK_OK(pq_compress(c, codec, 0, src, n, &out, &err), &err);
        /* truncation at many positions: always an error (never a crash) */
        for (size_t cut = 0; cut < out.len; cut += 1 + cut / 16) {
            uint8_t *t = dup_exact(out.data, cut);
            int rc = pq_decompress(c, codec, t, cut, dst, n, &err);
            CHECK_MSG(rc == LS_ERR_CORRUPT, "codec %d cut %zu/%zu rc=%d", codec, cut, out.len, rc);
            free(t);
        }
        /* random byte flips: error or (when the codec has no checksum) some output,
         * never a crash or an out-of-bounds access */
        for (int it = 0; it < 300; it++) {
            uint8_t *t = dup_exact(out.data, out.len);
            int flips = 1 + (int)(rnd() % 4);
            for (int f = 0; f < flips; f++)
                t[rnd() % out.len] ^= (uint8_t)(1 + rnd() % 255);
            int rc = pq_decompress(c, codec, t, out.len, dst, n, &err);
            CHECK(rc == 0 || rc == LS_ERR_CORRUPT);
            if (codec == PQ_CODEC_GZIP && rc == 0)
                CHECK(memcmp(dst, src, n) == 0); /* CRC-32 protected */
            free(t);
        }
        /* random garbage */
        for (int it = 0; it < 300; it++) {
            size_t len = 1 + rnd() % 200;
            uint8_t *g = malloc(len);
            for (size_t i = 0; i < len; i++)
                g[i] = (uint8_t)rnd();
            size_t want = rnd() % 1000;
            int rc = pq_decompress(c, codec, g, len, dst, want, &err);
            CHECK(rc == 0 || rc == LS_ERR_CORRUPT || rc == LS_ERR_LIMIT);
            free(g);
        }
        ls_buf_free(&out);
    }
    /* garbage through the LZ4 (Hadoop or raw) path */
    for (int it = 0; it < 2000; it++) {
        size_t len = 1 + rnd() % 64;
        uint8_t *g = malloc(len);
        for (size_t i = 0; i < len; i++)
            g[i] = (uint8_t)rnd();
        if (len >= 8 && (it & 1)) { /* plausible framing */
            g[0] = g[1] = 0;
            g[4] = g[5] = g[6] = 0;
            g[7] = (uint8_t)(len - 8);
        }
        int rc = pq_decompress(c, PQ_CODEC_LZ4, g, len, dst, rnd() % 300, &err);
        CHECK(rc == 0 || rc == LS_ERR_CORRUPT);
        free(g);
    }
    free(src);
    free(dst);
    pq_codec_ctx_free(c);
}

/* gzip member with zlib's own API (independent of pq_compress) */
static void zlib_deflate(ls_buf *out, const uint8_t *p, size_t n, int wbits)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    CHECK(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    ls_buf_reserve(out, deflateBound(&z, n) + 64);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)(out->cap - out->len);
    CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out->len += z.total_out;
    deflateEnd(&z);
}

static void test_gzip_variants(void)
{
    pq_codec_ctx *c = pq_codec_ctx_new();
    ls_error err = {0};
    size_t n = 100000;
    uint8_t *src = malloc(n), *dst = malloc(n);
    fill_compressible(src, n);
    /* three concatenated members (one empty), as Compression.md says readers accept */
    ls_buf g = {0};
    zlib_deflate(&g, src, 30000, 31);
    zlib_deflate(&g, src + 30000, 0, 31);
    zlib_deflate(&g, src + 30000, n - 30000, 31);
    uint8_t *e = dup_exact(g.data, g.len);
    CHECK_OK(pq_decompress(c, PQ_CODEC_GZIP, e, g.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    /* the first member alone is too short */
    CHECK(pq_decompress(c, PQ_CODEC_GZIP, e, g.len, dst, 29999, &err) == LS_ERR_CORRUPT);
    free(e);
    /* trailing zero padding after a complete page is tolerated */
    ls_buf_reset(&g);
    zlib_deflate(&g, src, n, 31);
    ls_buf_append(&g, "\0\0\0\0", 4);
    CHECK_OK(pq_decompress(c, PQ_CODEC_GZIP, g.data, g.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    /* ... but not when the page is still short */
    ls_buf_reset(&g);
    zlib_deflate(&g, src, n / 2, 31);
    ls_buf_append(&g, "\0\0\0\0", 4);
    CHECK(pq_decompress(c, PQ_CODEC_GZIP, g.data, g.len, dst, n, &err) == LS_ERR_CORRUPT);
    /* zlib wrapper and raw deflate are accepted too */
    ls_buf_reset(&g);
    zlib_deflate(&g, src, n, 15);
    CHECK_OK(pq_decompress(c, PQ_CODEC_GZIP, g.data, g.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    ls_buf_reset(&g);
    zlib_deflate(&g, src, n, -15);
    memset(dst, 0, n);
    CHECK_OK(pq_decompress(c, PQ_CODEC_GZIP, g.data, g.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    /* corrupted CRC is detected */
    ls_buf_reset(&g);
    zlib_deflate(&g, src, n, 31);
    g.data[g.len - 6] ^= 1;
    CHECK(pq_decompress(c, PQ_CODEC_GZIP, g.data, g.len, dst, n, &err) == LS_ERR_CORRUPT);
    ls_buf_free(&g);
    free(src);
    free(dst);
    pq_codec_ctx_free(c);
}

static void test_zstd_frames(void)
{
    pq_codec_ctx *c = pq_codec_ctx_new();
    ls_error err = {0};
    size_t n = 50000;
    uint8_t *src = malloc(n), *dst = malloc(n);
    fill_compressible(src, n);
    ls_buf z = {0};
    CHECK_OK(pq_compress(c, PQ_CODEC_ZSTD, 0, src, 20000, &z, &err), &err);
    CHECK_OK(pq_compress(c, PQ_CODEC_ZSTD, 5, src + 20000, n - 20000, &z, &err), &err);
    CHECK_OK(pq_decompress(c, PQ_CODEC_ZSTD, z.data, z.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    /* frame header records the content size (one-shot API) */
    CHECK(ZSTD_getFrameContentSize(z.data, z.len) == 20000);
    ls_buf_free(&z);
    free(src);
    free(dst);
    pq_codec_ctx_free(c);
}

static void put_be32(ls_buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    ls_buf_append(b, t, 4);
}

static void lz4_block_append(ls_buf *b, const uint8_t *p, size_t n, bool with_len)
{
    int cap = LZ4_compressBound((int)n);
    ls_buf_reserve(b, (size_t)cap + 4);
    int r = LZ4_compress_default((const char *)p, (char *)b->data + b->len + (with_len ? 4 : 0),
                                 (int)n, cap);
    CHECK(r > 0);
    if (with_len) {
        uint8_t *h = b->data + b->len;
        h[0] = (uint8_t)(r >> 24);
        h[1] = (uint8_t)(r >> 16);
        h[2] = (uint8_t)(r >> 8);
        h[3] = (uint8_t)r;
        b->len += 4;
    }
    b->len += (size_t)r;
}

static void test_lz4_hadoop(void)
{
    pq_codec_ctx *c = pq_codec_ctx_new();
    ls_error err = {0};
    size_t n = 300000;
    uint8_t *src = malloc(n), *dst = malloc(n);
    fill_compressible(src, n);
    ls_buf b = {0};
    /* one frame, one block */
    put_be32(&b, (uint32_t)n);
    lz4_block_append(&b, src, n, true);
    CHECK_OK(pq_decompress(c, PQ_CODEC_LZ4, b.data, b.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    CHECK(pq_decompress(c, PQ_CODEC_LZ4, b.data, b.len, dst, n - 1, &err) == LS_ERR_CORRUPT);
    /* several frames (parquet-mr cuts pages into 128 KiB-ish chunks) */
    ls_buf_reset(&b);
    for (size_t off = 0; off < n; off += 100000) {
        size_t k = n - off < 100000 ? n - off : 100000;
        put_be32(&b, (uint32_t)k);
        lz4_block_append(&b, src + off, k, true);
    }
    memset(dst, 0, n);
    CHECK_OK(pq_decompress(c, PQ_CODEC_LZ4, b.data, b.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    /* one frame split into several compressed blocks (Hadoop BlockCompressorStream) */
    ls_buf_reset(&b);
    put_be32(&b, (uint32_t)n);
    for (size_t off = 0; off < n; off += 65536) {
        size_t k = n - off < 65536 ? n - off : 65536;
        lz4_block_append(&b, src + off, k, true);
    }
    memset(dst, 0, n);
    CHECK_OK(pq_decompress(c, PQ_CODEC_LZ4, b.data, b.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    /* raw block under the LZ4 id (old parquet-cpp) falls back */
    ls_buf_reset(&b);
    lz4_block_append(&b, src, n, false);
    memset(dst, 0, n);
    CHECK_OK(pq_decompress(c, PQ_CODEC_LZ4, b.data, b.len, dst, n, &err), &err);
    CHECK(memcmp(dst, src, n) == 0);
    /* truncated framing fails both ways */
    ls_buf_reset(&b);
    put_be32(&b, (uint32_t)n);
    lz4_block_append(&b, src, n, true);
    for (size_t cut = 0; cut < b.len; cut += 1 + cut / 8) {
        uint8_t *t = dup_exact(b.data, cut);
        CHECK(pq_decompress(c, PQ_CODEC_LZ4, t, cut, dst, n, &err) == LS_ERR_CORRUPT);
        free(t);
    }
    ls_buf_free(&b);
    free(src);
    free(dst);
    pq_codec_ctx_free(c);
}

/* ---- corpus: a minimal page walker -------------------------------------------------- */

typedef struct {
    int64_t v[16][16]; /* [parent field (0 = top)][field id] for small int fields */
    bool has[16][16];
} tstruct;

typedef struct {
    const uint8_t *p;
    size_t n, pos;
    bool bad;
} trd;

static uint64_t t_uleb(trd *r)
{
    uint64_t v = 0;
    for (int sh = 0; sh < 64; sh += 7) {
        if (r->pos >= r->n) {
            r->bad = true;
            return 0;
        }
        uint8_t b = r->p[r->pos++];
        v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}
static int64_t t_zz(trd *r)
{
    uint64_t u = t_uleb(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static void t_skip(trd *r, int type, int depth);
static void t_struct(trd *r, tstruct *out, int parent, int depth)
{
    int fid = 0;
    while (!r->bad) {
        if (r->pos >= r->n) {
            r->bad = true;
            return;
        }
        uint8_t h = r->p[r->pos++];
        if (h == 0)
            return;
        int type = h & 0x0f, delta = h >> 4;
        fid = delta ? fid + delta : (int)t_zz(r);
        bool small = out && parent >= 0 && parent < 16 && fid > 0 && fid < 16;
        if (type == 1 || type == 2) {
            if (small) {
                out->v[parent][fid] = type == 1;
                out->has[parent][fid] = true;
            }
        } else if (type >= 3 && type <= 6) {
            int64_t v = type == 3 ? (r->pos < r->n ? (int8_t)r->p[r->pos++] : 0) : t_zz(r);
            if (small) {
                out->v[parent][fid] = v;
                out->has[parent][fid] = true;
            }
        } else if (type == 12) {
            if (depth > 8) {
                r->bad = true;
                return;
            }
            t_struct(r, parent == 0 ? out : NULL, fid, depth + 1);
        } else {
            t_skip(r, type, depth + 1);
        }
    }
}

static void t_skip(trd *r, int type, int depth)
{
    if (depth > 16) {
        r->bad = true;
        return;
    }
    switch (type) {
    case 1: case 2: break;
    case 3: r->pos++; break;
    case 4: case 5: case 6: t_uleb(r); break;
    case 7: r->pos += 8; break;
    case 8: {
        uint64_t l = t_uleb(r);
        if (l > r->n - r->pos)
            r->bad = true;
        else
            r->pos += l;
        break;
    }
    case 9: case 10: {
        if (r->pos >= r->n) {
            r->bad = true;
            return;
        }
        uint8_t h = r->p[r->pos++];
        uint64_t sz = h >> 4;
        if (sz == 15)
            sz = t_uleb(r);
        if (sz > r->n) {
            r->bad = true;
            return;
        }
        for (uint64_t i = 0; i < sz && !r->bad; i++)
            t_skip(r, (h & 0x0f) == 1 ? 2 : h & 0x0f, depth + 1);
        break;
    }
    case 11: {
        uint64_t sz = t_uleb(r);
        if (sz == 0)
            break;
        if (r->pos >= r->n || sz > r->n) {
            r->bad = true;
            return;
        }
        uint8_t kv = r->p[r->pos++];
        for (uint64_t i = 0; i < sz && !r->bad; i++) {
            t_skip(r, kv >> 4, depth + 1);
            t_skip(r, kv & 0x0f, depth + 1);
        }
        break;
    }
    case 12: t_struct(r, NULL, -1, depth + 1); break;
    default: r->bad = true;
    }
    if (r->pos > r->n)
        r->bad = true;
}

typedef struct {
    int type; /* 0 data v1, 2 dictionary, 3 data v2 */
    int32_t usize, csize;
    int32_t num_values, num_nulls, encoding, def_len, rep_len;
    bool is_compressed;
    const uint8_t *body;
} tpage;

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(sz > 0 ? (size_t)sz : 1);
    if (sz > 0 && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

/* Walks page headers from offset 4 up to the footer; stops at the first thing
 * that is not a page header (page index, bloom filter). */
static size_t walk_pages(const uint8_t *f, size_t n, tpage *pages, size_t max)
{
    if (n < 12)
        return 0;
    uint32_t flen = (uint32_t)f[n - 8] | (uint32_t)f[n - 7] << 8 | (uint32_t)f[n - 6] << 16 |
                    (uint32_t)f[n - 5] << 24;
    size_t end = n - 8 - flen, pos = 4, np = 0;
    while (pos < end && np < max) {
        tstruct ts;
        memset(&ts, 0, sizeof(ts));
        trd r = {f, end, pos, false};
        t_struct(&r, &ts, 0, 0);
        if (r.bad)
            break;
        tpage pg = {0};
        pg.type = (int)ts.v[0][1];
        pg.usize = (int32_t)ts.v[0][2];
        pg.csize = (int32_t)ts.v[0][3];
        int sub = pg.type == 0 ? 5 : pg.type == 2 ? 7 : 8;
        if (!ts.has[0][1] || !ts.has[0][2] || !ts.has[0][3] || pg.csize < 0 || pg.usize < 0 ||
            (pg.type != 0 && pg.type != 2 && pg.type != 3) || !ts.has[sub][1] ||
            (size_t)pg.csize > end - r.pos) {
            /* another Thrift struct between chunks (old writers put ColumnMetaData
             * after each chunk; page indexes follow the chunks): step over it */
            pos = r.pos;
            continue;
        }
        pg.num_values = (int32_t)ts.v[sub][1];
        pg.encoding = (int32_t)(pg.type == 3 ? ts.v[8][4] : ts.v[sub][2]);
        pg.num_nulls = pg.type == 3 ? (int32_t)ts.v[8][2] : 0;
        pg.def_len = pg.type == 3 ? (int32_t)ts.v[8][5] : 0;
        pg.rep_len = pg.type == 3 ? (int32_t)ts.v[8][6] : 0;
        pg.is_compressed = pg.type == 3 && ts.has[8][7] ? ts.v[8][7] != 0 : true;
        pg.body = f + r.pos;
        pages[np++] = pg;
        pos = r.pos + (size_t)pg.csize;
    }
    return np;
}

/* Decompresses a page into a malloc'ed buffer of usize bytes (v2: levels copied,
 * values decompressed when is_compressed). */
static uint8_t *page_bytes(pq_codec_ctx *c, int codec, const tpage *pg, ls_error *err, int *rc)
{
    uint8_t *out = malloc(pg->usize ? (size_t)pg->usize : 1);
    if (pg->type == 3) {
        size_t lv = (size_t)pg->def_len + (size_t)pg->rep_len;
        if (lv > (size_t)pg->csize || lv > (size_t)pg->usize) {
            *rc = LS_ERR_CORRUPT;
            return out;
        }
        memcpy(out, pg->body, lv);
        if (pg->is_compressed)
            *rc = pq_decompress(c, codec, pg->body + lv, (size_t)pg->csize - lv, out + lv,
                                (size_t)pg->usize - lv, err);
        else
            *rc = pq_decompress(c, PQ_CODEC_UNCOMPRESSED, pg->body + lv, (size_t)pg->csize - lv,
                                out + lv, (size_t)pg->usize - lv, err);
    } else {
        *rc = pq_decompress(c, codec, pg->body, (size_t)pg->csize, out, (size_t)pg->usize, err);
    }
    return out;
}

static char *corpus_path(const char *name)
{
    const char *sd = t_shared_dir();
    if (!sd)
        return NULL;
    return ls_xasprintf("%s/testdata/parquet/data/%s", sd, name);
}

static void test_corpus_decompress_all_pages(void)
{
    if (!t_shared_dir()) {
        printf("SKIP corpus codec tests: LS_SHARED_DIR is not set\n");
        return;
    }
    static const struct {
        const char *file;
        int codec;
        int min_pages;
    } files[] = {
        {"hadoop_lz4_compressed.parquet", PQ_CODEC_LZ4, 6},
        {"hadoop_lz4_compressed_larger.parquet", PQ_CODEC_LZ4, 1},
        {"non_hadoop_lz4_compressed.parquet", PQ_CODEC_LZ4, 6},
        {"lz4_raw_compressed.parquet", PQ_CODEC_LZ4_RAW, 3},
        {"lz4_raw_compressed_larger.parquet", PQ_CODEC_LZ4_RAW, 1},
        {"concatenated_gzip_members.parquet", PQ_CODEC_GZIP, 1},
        {"alltypes_plain.snappy.parquet", PQ_CODEC_SNAPPY, 21},
        {"byte_stream_split.zstd.parquet", PQ_CODEC_ZSTD, 2},
        {"byte_stream_split_extended.gzip.parquet", PQ_CODEC_GZIP, 14},
        {"datapage_v2.snappy.parquet", PQ_CODEC_SNAPPY, 8},
        {"datapage_v2_empty_datapage.snappy.parquet", PQ_CODEC_SNAPPY, 1},
        {"page_v2_empty_compressed.parquet", -1, 1},
        {"delta_length_byte_array.parquet", PQ_CODEC_ZSTD, 1},
        {"rle_boolean_encoding.parquet", PQ_CODEC_GZIP, 1},
        {"nested_lists.snappy.parquet", PQ_CODEC_SNAPPY, 4},
        {"data_index_bloom_encoding_stats.parquet", PQ_CODEC_GZIP, 1},
    };
    pq_codec_ctx *c = pq_codec_ctx_new();
    size_t total_pages = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = corpus_path(files[i].file);
        size_t n = 0;
        uint8_t *f = read_file(path, &n);
        CHECK_MSG(f != NULL, "cannot read %s", path);
        free(path);
        if (!f)
            continue;
        tpage pages[64];
        size_t np = walk_pages(f, n, pages, 64);
        CHECK_MSG(np >= (size_t)files[i].min_pages, "%s: %zu pages", files[i].file, np);
        int codec = files[i].codec;
        for (size_t k = 0; k < np; k++) {
            ls_error err = {0};
            int rc = 0;
            if (codec < 0) { /* codec unknown here: try the usual ones */
                int try[] = {PQ_CODEC_ZSTD, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_UNCOMPRESSED};
                for (int t = 0; t < 4; t++) {
                    uint8_t *b = page_bytes(c, try[t], &pages[k], &err, &rc);
                    free(b);
                    if (rc == 0)
                        break;
                }
            } else {
                uint8_t *b = page_bytes(c, codec, &pages[k], &err, &rc);
                free(b);
            }
            CHECK_MSG(rc == 0, "%s page %zu: %s", files[i].file, k, err.msg);
            total_pages++;
        }
        free(f);
    }
    printf("NOTE corpus: decompressed %zu pages of %zu files\n", total_pages,
           sizeof(files) / sizeof(files[0]));
    pq_codec_ctx_free(c);
}

static uint8_t *load_pages(const char *name, size_t *np, tpage *pages, size_t max)
{
    char *path = corpus_path(name);
    size_t n = 0;
    uint8_t *f = read_file(path, &n);
    CHECK_MSG(f != NULL, "cannot read %s", path);
    free(path);
    *np = f ? walk_pages(f, n, pages, max) : 0;
    return f;
}

static void test_corpus_concatenated_gzip(void)
{
    if (!t_shared_dir()) {
        printf("SKIP corpus gzip test: LS_SHARED_DIR is not set\n");
        return;
    }
    tpage pg[4];
    size_t np;
    uint8_t *f = load_pages("concatenated_gzip_members.parquet", &np, pg, 4);
    CHECK(np == 1 && pg[0].type == 3);
    if (np == 1) {
        pq_codec_ctx *c = pq_codec_ctx_new();
        ls_error err = {0};
        int rc;
        uint8_t *b = page_bytes(c, PQ_CODEC_GZIP, &pg[0], &err, &rc);
        CHECK_OK(rc, &err);
        /* values 1..513 PLAIN int64 after the v2 level sections */
        size_t off = (size_t)pg[0].def_len + (size_t)pg[0].rep_len;
        size_t nv = (size_t)(pg[0].num_values - pg[0].num_nulls);
        CHECK(nv == 513 && off + nv * 8 == (size_t)pg[0].usize);
        int ok = 1;
        for (size_t i = 0; i < nv && rc == 0; i++)
            ok &= ls_load_u64le(b + off + 8 * i) == i + 1;
        CHECK(ok);
        free(b);
        pq_codec_ctx_free(c);
    }
    free(f);
}

/* Parses one CSV line into fields (handles "quoted" fields; empty unquoted = NULL). */
static int csv_fields(char *line, char **fields, bool *quoted, int max)
{
    int nf = 0;
    char *p = line;
    while (nf < max) {
        if (*p == '"') {
            char *start = ++p, *w = p;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"')
                    p++;
                *w++ = *p++;
            }
            if (*p == '"')
                p++;
            *w = 0;
            fields[nf] = start;
            quoted[nf++] = true;
        } else {
            char *start = p;
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                p++;
            char endc = *p;
            *p = 0;
            fields[nf] = start;
            quoted[nf++] = false;
            if (endc == 0 || endc == '\n' || endc == '\r')
                return nf;
            p++;
            continue;
        }
        if (*p == ',') {
            p++;
            continue;
        }
        return nf;
    }
    return nf;
}

static char **csv_rows(const char *name, size_t *nrows)
{
    char *path = corpus_path(name);
    size_t n = 0;
    uint8_t *f = read_file(path, &n);
    free(path);
    *nrows = 0;
    if (!f)
        return NULL;
    char *text = malloc(n + 1);
    memcpy(text, f, n);
    text[n] = 0;
    free(f);
    size_t cap = 4096, k = 0;
    char **rows = malloc(cap * sizeof(char *));
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (k == cap) {
            cap *= 2;
            rows = realloc(rows, cap * sizeof(char *));
        }
        rows[k++] = ls_xstrdup(line);
    }
    free(text);
    *nrows = k;
    return rows;
}

static void free_rows(char **rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i]);
    free(rows);
}

static void test_corpus_delta_binary_packed(void)
{
    if (!t_shared_dir()) {
        printf("SKIP corpus DELTA_BINARY_PACKED test: LS_SHARED_DIR is not set\n");
        return;
    }
    tpage pg[80];
    size_t np, nrows;
    uint8_t *f = load_pages("delta_binary_packed.parquet", &np, pg, 80);
    char **rows = csv_rows("delta_binary_packed_expect.csv", &nrows);
    CHECK(np == 66 && nrows == 201);
    if (np != 66 || nrows != 201) {
        free(f);
        if (rows)
            free_rows(rows, nrows);
        return;
    }
    /* rows[1..200] -> int64 cells */
    int64_t(*cells)[66] = malloc(200 * sizeof(*cells));
    for (size_t r = 0; r < 200; r++) {
        char *fields[70];
        bool q[70];
        char *line = ls_xstrdup(rows[r + 1]);
        int nf = csv_fields(line, fields, q, 70);
        CHECK(nf == 66);
        for (int k = 0; k < 66 && k < nf; k++)
            cells[r][k] = strtoll(fields[k], NULL, 10);
        free(line);
    }
    size_t widths_seen = 0;
    for (size_t col = 0; col < 66; col++) {
        const tpage *p = &pg[col];
        CHECK(p->type == 3 && p->encoding == PQ_ENC_DELTA_BINARY_PACKED && p->num_nulls == 0);
        size_t off = (size_t)p->def_len + (size_t)p->rep_len;
        size_t nv = (size_t)p->num_values;
        ls_error err = {0};
        size_t used = 0;
        int ok = 1;
        if (col < 65) {
            int64_t out[200];
            CHECK_OK(pq_delta_decode_i64(p->body + off, (size_t)p->csize - off, out, nv, &used,
                                         &err),
                     &err);
            for (size_t r = 0; r < nv && r < 200; r++)
                ok &= out[r] == cells[r][col];
        } else { /* int_value: INT32 */
            int32_t out[200];
            CHECK_OK(pq_delta_decode_i32(p->body + off, (size_t)p->csize - off, out, nv, &used,
                                         &err),
                     &err);
            for (size_t r = 0; r < nv && r < 200; r++)
                ok &= out[r] == (int32_t)cells[r][col];
        }
        CHECK_MSG(ok, "column %zu differs from the CSV", col);
        CHECK_MSG(used == (size_t)p->csize - off, "column %zu: used %zu of %zu", col, used,
                  (size_t)p->csize - off);
        widths_seen += ok;
    }
    printf("NOTE corpus delta_binary_packed.parquet: %zu/66 columns match the CSV\n",
           widths_seen);
    free(cells);
    free_rows(rows, nrows);
    free(f);
}

static void test_corpus_delta_byte_array(void)
{
    if (!t_shared_dir()) {
        printf("SKIP corpus DELTA_BYTE_ARRAY test: LS_SHARED_DIR is not set\n");
        return;
    }
    tpage pg[16];
    size_t np, nrows;
    uint8_t *f = load_pages("delta_byte_array.parquet", &np, pg, 16);
    char **rows = csv_rows("delta_byte_array_expect.csv", &nrows);
    CHECK(np == 9 && nrows == 1001);
    if (np != 9 || nrows != 1001) {
        free(f);
        if (rows)
            free_rows(rows, nrows);
        return;
    }
    size_t matched = 0;
    for (size_t col = 0; col < 9; col++) {
        const tpage *p = &pg[col];
        CHECK(p->type == 3 && p->encoding == PQ_ENC_DELTA_BYTE_ARRAY);
        /* v2 def levels (width 1, no length prefix) tell which rows are present */
        uint8_t def[1000];
        ls_error err = {0};
        CHECK_OK(pq_rle_decode_u8(p->body + p->rep_len, (size_t)p->def_len, 1, 1, def, 1000, &err),
                 &err);
        size_t nv = (size_t)(p->num_values - p->num_nulls);
        size_t off = (size_t)p->def_len + (size_t)p->rep_len;
        ls_buf bytes = {0};
        uint64_t *o = malloc((nv + 1) * sizeof(uint64_t));
        CHECK_OK(pq_delta_byte_array_decode(p->body + off, (size_t)p->csize - off, nv, &bytes, o,
                                            &err),
                 &err);
        size_t vi = 0;
        int ok = 1;
        for (size_t r = 0; r < 1000; r++) {
            char *line = ls_xstrdup(rows[r + 1]);
            char *fields[12];
            bool q[12];
            int nf = csv_fields(line, fields, q, 12);
            bool null_csv = (int)col >= nf || (!q[col] && fields[col][0] == 0);
            if (def[r] == 0) {
                ok &= null_csv;
            } else if (vi < nv) {
                size_t len = (size_t)(o[vi + 1] - o[vi]);
                ok &= !null_csv && strlen(fields[col]) == len &&
                      memcmp(fields[col], bytes.data + o[vi], len) == 0;
                vi++;
            }
            free(line);
        }
        CHECK_MSG(ok && vi == nv, "column %zu differs from the CSV", col);
        matched += ok && vi == nv;
        free(o);
        ls_buf_free(&bytes);
    }
    printf("NOTE corpus delta_byte_array.parquet: %zu/9 columns match the CSV\n", matched);
    free_rows(rows, nrows);
    free(f);
}

static void test_corpus_dlba_bool_bss(void)
{
    if (!t_shared_dir()) {
        printf("SKIP corpus DLBA/boolean/BSS tests: LS_SHARED_DIR is not set\n");
        return;
    }
    pq_codec_ctx *c = pq_codec_ctx_new();
    ls_error err = {0};
    tpage pg[8];
    size_t np;
    int rc;
    /* DELTA_LENGTH_BYTE_ARRAY, ZSTD v2: 'apple_banana_mango' + str(i*i) */
    uint8_t *f = load_pages("delta_length_byte_array.parquet", &np, pg, 8);
    CHECK(np == 1 && pg[0].encoding == PQ_ENC_DELTA_LENGTH_BYTE_ARRAY);
    if (np == 1) {
        uint8_t *b = page_bytes(c, PQ_CODEC_ZSTD, &pg[0], &err, &rc);
        CHECK_OK(rc, &err);
        size_t off = (size_t)pg[0].def_len + (size_t)pg[0].rep_len;
        size_t nv = (size_t)(pg[0].num_values - pg[0].num_nulls);
        CHECK(nv == 1000);
        ls_buf bytes = {0};
        uint64_t *o = malloc((nv + 1) * sizeof(uint64_t));
        CHECK_OK(pq_delta_length_decode(b + off, (size_t)pg[0].usize - off, nv, &bytes, o, &err),
                 &err);
        int ok = 1;
        for (size_t i = 0; i < nv; i++) {
            char want[64];
            int l = snprintf(want, sizeof(want), "apple_banana_mango%zu", i * i);
            ok &= o[i + 1] - o[i] == (uint64_t)l && memcmp(bytes.data + o[i], want, (size_t)l) == 0;
        }
        CHECK(ok);
        free(o);
        ls_buf_free(&bytes);
        free(b);
    }
    free(f);
    /* RLE booleans in a v2 page: 4-byte length prefix, width 1; 36 true, 26 false, 6 null */
    f = load_pages("rle_boolean_encoding.parquet", &np, pg, 8);
    CHECK(np == 1 && pg[0].encoding == PQ_ENC_RLE);
    if (np == 1) {
        uint8_t *b = page_bytes(c, PQ_CODEC_GZIP, &pg[0], &err, &rc);
        CHECK_OK(rc, &err);
        uint8_t def[68], vals[68];
        CHECK_OK(pq_rle_decode_u8(b + pg[0].rep_len, (size_t)pg[0].def_len, 1, 1, def, 68, &err),
                 &err);
        size_t off = (size_t)pg[0].def_len + (size_t)pg[0].rep_len;
        size_t nv = (size_t)(pg[0].num_values - pg[0].num_nulls);
        CHECK(nv == 62);
        uint32_t len = ls_load_u32le(b + off);
        CHECK(off + 4 + len <= (size_t)pg[0].usize);
        CHECK_OK(pq_rle_decode_u8(b + off + 4, len, 1, 1, vals, nv, &err), &err);
        int t = 0, nnull = 0;
        for (size_t i = 0; i < nv; i++)
            t += vals[i];
        for (int i = 0; i < 68; i++)
            nnull += def[i] == 0;
        CHECK(t == 36 && nnull == 6);
        CHECK(def[0] == 1 && def[1] == 1 && vals[0] == 1 && vals[1] == 0);
        free(b);
    }
    free(f);
    /* BYTE_STREAM_SPLIT floats, ZSTD v1 page: row0 f32 = 1.7640524 */
    f = load_pages("byte_stream_split.zstd.parquet", &np, pg, 8);
    CHECK(np == 2 && pg[0].encoding == PQ_ENC_BYTE_STREAM_SPLIT);
    if (np == 2) {
        uint8_t *b = page_bytes(c, PQ_CODEC_ZSTD, &pg[0], &err, &rc);
        CHECK_OK(rc, &err);
        /* v1: <u32 def length><def levels><values> */
        uint32_t dl = ls_load_u32le(b);
        uint8_t def[300];
        CHECK_OK(pq_rle_decode_u8(b + 4, dl, 1, 1, def, 300, &err), &err);
        size_t nv = 0;
        for (int i = 0; i < 300; i++)
            nv += def[i];
        size_t off = 4 + dl;
        float *vals = malloc(300 * sizeof(float));
        CHECK_OK(pq_bss_decode(b + off, (size_t)pg[0].usize - off, 4, nv, (uint8_t *)vals, &err),
                 &err);
        CHECK(def[0] == 1 && fabsf(vals[0] - 1.7640524f) < 1e-6f);
        CHECK(def[1] == 1 && fabsf(vals[1] - 0.40015721f) < 1e-6f);
        free(vals);
        free(b);
    }
    free(f);
    pq_codec_ctx_free(c);
}

/* ---- speed / ratio report (not assertions) ------------------------------------------ */

static void test_speed_report(void)
{
    pq_codec_ctx *c = pq_codec_ctx_new();
    ls_error err = {0};
    size_t n = 4 << 20;
    uint8_t *src = malloc(n), *dst = malloc(n);
    /* page-like data: dictionary indices, small ints and strings */
    ls_buf tmp = {0};
    uint32_t *idx = malloc(200000 * sizeof(uint32_t));
    size_t pos = 0;
    while (pos < n) {
        size_t k = rnd() % 3;
        if (k == 0) {
            for (int i = 0; i < 200000; i++)
                idx[i] = (uint32_t)(rnd() % 1000);
            ls_buf_reset(&tmp);
            pq_rle_encode_u32(&tmp, 10, idx, 200000);
        } else if (k == 1) {
            ls_buf_reset(&tmp);
            ls_buf_reserve(&tmp, 65536);
            fill_compressible(tmp.data, 65536);
            tmp.len = 65536;
        } else {
            ls_buf_reset(&tmp);
            for (int i = 0; i < 16384; i++)
                ls_buf_put_u32le(&tmp, (uint32_t)(1000000 + rnd() % 50000));
        }
        size_t take = tmp.len < n - pos ? tmp.len : n - pos;
        memcpy(src + pos, tmp.data, take);
        pos += take;
    }
    memset(dst, 0, n);
    struct {
        int codec, level;
        const char *name;
    } cfg[] = {{PQ_CODEC_SNAPPY, 0, "snappy"},    {PQ_CODEC_LZ4_RAW, 0, "lz4_raw"},
               {PQ_CODEC_ZSTD, 0, "zstd(1)"},     {PQ_CODEC_ZSTD, 3, "zstd(3)"},
               {PQ_CODEC_GZIP, 0, "gzip(6)"},     {PQ_CODEC_BROTLI, 1, "brotli(1)"},
               {PQ_CODEC_BROTLI, 0, "brotli(3)"}, {PQ_CODEC_BROTLI, 5, "brotli(5)"}};
    ls_buf out = {0};
    for (size_t k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
        /* 1 MiB pages, like the writer */
        size_t page = 1 << 20;
        ls_buf_reset(&out);
        int64_t t0 = ls_monotonic_nanos();
        size_t clen[4];
        for (size_t p = 0; p < n / page; p++) {
            size_t before = out.len;
            CHECK_OK(pq_compress(c, cfg[k].codec, cfg[k].level, src + p * page, page, &out, &err),
                     &err);
            clen[p] = out.len - before;
        }
        double cs = (double)(ls_monotonic_nanos() - t0) / 1e9;
        t0 = ls_monotonic_nanos();
        size_t cpos = 0;
        for (size_t p = 0; p < n / page; p++) {
            CHECK_OK(pq_decompress(c, cfg[k].codec, out.data + cpos, clen[p], dst + p * page, page,
                                   &err),
                     &err);
            cpos += clen[p];
        }
        double ds = (double)(ls_monotonic_nanos() - t0) / 1e9;
        CHECK(memcmp(dst, src, n) == 0);
        printf("NOTE codec %-10s ratio %.3f  compress %5.0f MB/s  decompress %5.0f MB/s\n",
               cfg[k].name, (double)out.len / (double)n, (double)n / 1e6 / cs,
               (double)n / 1e6 / ds);
    }
    ls_buf_free(&out);
    ls_buf_free(&tmp);
    free(idx);
    free(src);
    free(dst);
    pq_codec_ctx_free(c);
}

int main(void)
{
    RUN(test_roundtrip_all);
    RUN(test_refused_and_names);
    RUN(test_empty);
    RUN(test_corrupt_input);
    RUN(test_gzip_variants);
    RUN(test_zstd_frames);
    RUN(test_lz4_hadoop);
    RUN(test_corpus_decompress_all_pages);
    RUN(test_corpus_concatenated_gzip);
    RUN(test_corpus_delta_binary_packed);
    RUN(test_corpus_delta_byte_array);
    RUN(test_corpus_dlba_bool_bss);
    RUN(test_speed_report);
    TEST_MAIN_END();
}
