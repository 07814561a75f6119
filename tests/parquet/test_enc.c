/*
 * test_enc.c - tests for src/parquet/pq_enc.c: round trips of every encoding
 * over every bit width and many lengths (seeded PRNG), the byte vectors of
 * Encodings.md, an independent bit-by-bit reference decoder for the hybrid,
 * malformed input (truncation at every position, huge counts, bad widths and
 * headers) and a small speed report printed as NOTE lines.
 */
#include "parquet/pq_enc.h"
#include "test.h"

#include <stdint.h>

/* Declared in pq_enc.c (not in pq_enc.h): DELTA_BYTE_ARRAY with an explicit output limit. */
int pq_delta_byte_array_decode_limit(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                                     uint64_t *offsets, uint64_t max_bytes, ls_error *err);

/* ---- helpers ---------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t rnd_bits(int w) { return w == 0 ? 0 : (uint32_t)(rnd() >> (64 - w)); }

/* Exact-size heap copy so ASan catches any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (n)
        memcpy(d, p, n);
    return d;
}

static void put_uleb(ls_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        ls_buf_putc(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    ls_buf_putc(b, (uint8_t)v);
}
static uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0); }

/* Independent bit-by-bit decoder of the hybrid. Also reports RLE runs shorter
 * than 8 that are not the last run (our encoder should never write those). */
static int ref_rle_decode(const uint8_t *p, size_t n, int w, uint32_t *out, size_t count,
                          int *short_rle)
{
    size_t pos = 0, done = 0;
    *short_rle = 0;
    while (done < count) {
        uint64_t h = 0;
        int sh = 0;
        uint8_t b;
        do {
            if (pos >= n || sh > 63)
                return -1;
            b = p[pos++];
            h |= (uint64_t)(b & 0x7f) << sh;
            sh += 7;
        } while (b & 0x80);
        if (h & 1) {
            uint64_t groups = h >> 1;
            for (uint64_t i = 0; i < groups * 8; i++) {
                uint32_t v = 0;
                for (int bit = 0; bit < w; bit++) {
                    uint64_t bp = i * (uint64_t)w + (uint64_t)bit;
                    if (pos + bp / 8 >= n)
                        return -1;
                    v |= (uint32_t)((p[pos + bp / 8] >> (bp % 8)) & 1) << bit;
                }
                if (done < count)
                    out[done++] = v;
            }
            pos += groups * (uint64_t)w;
        } else {
            uint64_t run = h >> 1;
            size_t vb = ((size_t)w + 7) / 8;
            if (pos + vb > n)
                return -1;
            uint32_t v = 0;
            for (size_t k = 0; k < vb; k++)
                v |= (uint32_t)p[pos + k] << (8 * k);
            pos += vb;
            for (uint64_t i = 0; i < run && done < count; i++)
                out[done++] = v;
            if (run < 8 && done < count)
                (*short_rle)++;
        }
    }
    return 0;
}

/* data generators: kind 0 random, 1 run-heavy, 2 constant, 3 mostly-max with rare others */
static void gen_u32(uint32_t *v, size_t n, int w, int kind)
{
    size_t i = 0;
    uint32_t c = rnd_bits(w);
    while (i < n) {
        if (kind == 0) {
            v[i++] = rnd_bits(w);
        } else if (kind == 1) {
            size_t run = 1 + rnd() % 40;
            uint32_t x = rnd_bits(w);
            for (size_t k = 0; k < run && i < n; k++)
                v[i++] = x;
        } else if (kind == 2) {
            v[i++] = c;
        } else {
            v[i++] = rnd() % 50 == 0 ? rnd_bits(w) : (w ? (uint32_t)((1ull << w) - 1) : 0);
        }
    }
}

/* ---- RLE / bit-packed hybrid -------------------------------------------------- */

static void test_rle_spec_example(void)
{
    /* Encodings.md: 0..7 with bit width 3 bit-pack to 10001000 11000110 11111010 */
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    ls_buf b = {0};
    pq_rle_encode_u32(&b, 3, v, 8);
    const uint8_t want[] = {0x03, 0x88, 0xC6, 0xFA}; /* header: 1 group, bit-packed */
    CHECK(b.len == sizeof(want) && memcmp(b.data, want, sizeof(want)) == 0);
    uint32_t o[8];
    ls_error err = {0};
    CHECK_OK(pq_rle_decode_u32(want, sizeof(want), 3, o, 8, &err), &err);
    CHECK(memcmp(o, v, sizeof(v)) == 0);
    uint8_t v8[8] = {0, 1, 2, 3, 4, 5, 6, 7}, o8[8];
    ls_buf_reset(&b);
    pq_rle_encode_u8(&b, 3, v8, 8);
    CHECK(b.len == sizeof(want) && memcmp(b.data, want, sizeof(want)) == 0);
    CHECK_OK(pq_rle_decode_u8(want, sizeof(want), 3, 7, o8, 8, &err), &err);
    CHECK(memcmp(o8, v8, 8) == 0);

    /* an RLE run: 300 x value 5 at width 3 -> varint(600) = 0xD8 0x04, value byte 0x05 */
    uint32_t r[300];
    for (int i = 0; i < 300; i++)
        r[i] = 5;
    ls_buf_reset(&b);
    pq_rle_encode_u32(&b, 3, r, 300);
    const uint8_t want2[] = {0xD8, 0x04, 0x05};
    CHECK(b.len == 3 && memcmp(b.data, want2, 3) == 0);
    /* a run of exactly 8 between literal groups becomes an RLE run (width >= 3) */
    uint32_t mix[24];
    for (int i = 0; i < 8; i++) {
        mix[i] = (uint32_t)i;
        mix[8 + i] = 5;
        mix[16 + i] = (uint32_t)i;
    }
    ls_buf_reset(&b);
    pq_rle_encode_u32(&b, 3, mix, 24);
    const uint8_t want3[] = {0x03, 0x88, 0xC6, 0xFA, 0x10, 0x05, 0x03, 0x88, 0xC6, 0xFA};
    CHECK(b.len == sizeof(want3) && memcmp(b.data, want3, sizeof(want3)) == 0);
    /* misaligned: 3 literals, then a run of 13 -> the literal group borrows 5 */
    uint32_t mis[16] = {1, 2, 3, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6};
    ls_buf_reset(&b);
    pq_rle_encode_u32(&b, 3, mis, 16);
    CHECK(b.len == 6 && b.data[0] == 0x03 && b.data[4] == 0x10 && b.data[5] == 6);
    CHECK_OK(pq_rle_decode_u32(b.data, b.len, 3, o, 8, &err), &err);
    /* width 0: the run header is still there (hardwood#901), no value bytes */
    uint32_t z[20] = {0};
    ls_buf_reset(&b);
    pq_rle_encode_u32(&b, 0, z, 20);
    CHECK(b.len == 1 && b.data[0] == 40);
    uint32_t oz[20];
    memset(oz, 0xff, sizeof(oz));
    CHECK_OK(pq_rle_decode_u32(b.data, b.len, 0, oz, 20, &err), &err);
    CHECK(memcmp(oz, z, sizeof(z)) == 0);
    /* width 0 bit-packed groups carry no bytes */
    const uint8_t bp0[] = {0x05}; /* 2 groups */
    CHECK_OK(pq_rle_decode_u32(bp0, 1, 0, oz, 16, &err), &err);
    CHECK(oz[15] == 0);
    /* width 32: RLE value is 4 bytes little endian */
    const uint8_t w32[] = {0x06, 0x78, 0x56, 0x34, 0x12};
    CHECK_OK(pq_rle_decode_u32(w32, 5, 32, oz, 3, &err), &err);
    CHECK(oz[0] == 0x12345678 && oz[2] == 0x12345678);
    ls_buf_free(&b);
}

static void check_rle_roundtrip_u32(const uint32_t *v, size_t n, int w)
{
    ls_buf b = {0};
    ls_error err = {0};
    pq_rle_encode_u32(&b, w, v, n);
    uint8_t *enc = dup_exact(b.data, b.len);
    uint32_t *o = malloc((n + 1) * sizeof(uint32_t));
    int rc = pq_rle_decode_u32(enc, b.len, w, o, n, &err);
    CHECK_MSG(rc == 0, "w=%d n=%zu: %s", w, n, err.msg);
    if (rc == 0)
        CHECK_MSG(n == 0 || memcmp(o, v, n * sizeof(uint32_t)) == 0, "w=%d n=%zu mismatch", w, n);
    int short_rle = 0;
    memset(o, 0, (n + 1) * sizeof(uint32_t));
    CHECK_MSG(ref_rle_decode(enc, b.len, w, o, n, &short_rle) == 0, "ref w=%d n=%zu", w, n);
    CHECK_MSG(n == 0 || memcmp(o, v, n * sizeof(uint32_t)) == 0, "ref w=%d n=%zu mismatch", w, n);
    CHECK_MSG(short_rle == 0, "w=%d n=%zu: %d short RLE runs", w, n, short_rle);
    /* a prefix decodes too */
    if (n > 3) {
        size_t k = n / 3;
        CHECK(pq_rle_decode_u32(enc, b.len, w, o, k, &err) == 0);
        CHECK(memcmp(o, v, k * sizeof(uint32_t)) == 0);
    }
    free(o);
    free(enc);
    ls_buf_free(&b);
}

static void test_rle_roundtrip_u32(void)
{
    size_t maxn = 1000;
    uint32_t *v = malloc(maxn * sizeof(uint32_t));
    for (int w = 0; w <= 32; w++) {
        for (size_t n = 0; n <= maxn; n += (n < 80 ? 1 : 7)) {
            for (int kind = 0; kind < 4; kind++) {
                gen_u32(v, n, w, kind);
                check_rle_roundtrip_u32(v, n, w);
            }
        }
    }
    /* runs of every length 1..40 at every phase against literal groups */
    for (size_t pre = 0; pre < 17; pre++)
        for (size_t run = 1; run < 40; run++) {
            size_t n = 0;
            for (size_t i = 0; i < pre; i++)
                v[n++] = (uint32_t)(i & 3);
            for (size_t i = 0; i < run; i++)
                v[n++] = 9;
            for (size_t i = 0; i < 5; i++)
                v[n++] = (uint32_t)(i & 1);
            check_rle_roundtrip_u32(v, n, 4);
        }
    free(v);
}

static void test_rle_sizes(void)
{
    /* all-equal data is one RLE run; random data is bit-packed with ~w bits/value */
    size_t n = 100000;
    uint32_t *v = malloc(n * sizeof(uint32_t));
    ls_buf b = {0};
    for (size_t i = 0; i < n; i++)
        v[i] = 3;
    pq_rle_encode_u32(&b, 2, v, n);
    CHECK(b.len == 4); /* varint(200000) = 3 bytes + 1 value byte */
    for (int w = 1; w <= 32; w++) {
        gen_u32(v, n, w, 0);
        ls_buf_reset(&b);
        pq_rle_encode_u32(&b, w, v, n);
        size_t ideal = n * (size_t)w / 8;
        CHECK_MSG(b.len <= ideal + ideal / 50 + 16, "w=%d: %zu bytes vs %zu ideal", w, b.len, ideal);
    }
    free(v);
    ls_buf_free(&b);
}

static void test_rle_roundtrip_u8(void)
{
    size_t maxn = 1000;
    uint8_t *v = malloc(maxn), *o = malloc(maxn + 1);
    uint32_t *v32 = malloc(maxn * sizeof(uint32_t));
    ls_buf b = {0};
    ls_error err = {0};
    for (int w = 0; w <= 8; w++) {
        uint8_t maxv = (uint8_t)((1u << w) - 1);
        for (size_t n = 0; n <= maxn; n++) {
            int kind = (int)(n % 4);
            gen_u32(v32, n, w, kind);
            for (size_t i = 0; i < n; i++)
                v[i] = (uint8_t)v32[i];
            ls_buf_reset(&b);
            pq_rle_encode_u8(&b, w, v, n);
            uint8_t *enc = dup_exact(b.data, b.len);
            int rc = pq_rle_decode_u8(enc, b.len, w, maxv, o, n, &err);
            CHECK_MSG(rc == 0, "w=%d n=%zu: %s", w, n, err.msg);
            CHECK_MSG(n == 0 || memcmp(o, v, n) == 0, "w=%d n=%zu", w, n);
            /* the u8 and u32 encoders agree */
            ls_buf b32 = {0};
            pq_rle_encode_u32(&b32, w, v32, n);
            CHECK_MSG(b32.len == b.len && (b.len == 0 || memcmp(b32.data, b.data, b.len) == 0),
                      "u8/u32 encoders differ w=%d n=%zu", w, n);
            ls_buf_free(&b32);
            free(enc);
        }
    }
    free(v);
    free(o);
    free(v32);
    ls_buf_free(&b);
}

static void test_rle_max_value(void)
{
    /* levels above max_value are corrupt, in RLE runs and in bit-packed runs */
    uint8_t v[64], o[64];
    ls_error err = {0};
    ls_buf b = {0};
    for (int i = 0; i < 64; i++)
        v[i] = (uint8_t)(i % 3); /* 0..2, width 2 */
    pq_rle_encode_u8(&b, 2, v, 64);
    CHECK(pq_rle_decode_u8(b.data, b.len, 2, 2, o, 64, &err) == 0);
    CHECK(pq_rle_decode_u8(b.data, b.len, 2, 1, o, 64, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "exceeds") != NULL);
    memset(v, 3, sizeof(v));
    ls_buf_reset(&b);
    pq_rle_encode_u8(&b, 2, v, 64);
    CHECK(pq_rle_decode_u8(b.data, b.len, 2, 2, o, 64, &err) == LS_ERR_CORRUPT);
    CHECK(pq_rle_decode_u8(b.data, b.len, 2, 3, o, 64, &err) == 0);
    ls_buf_free(&b);
}

static void test_rle_malformed(void)
{
    ls_error err = {0};
    uint32_t o[4096];
    uint8_t o8[4096];
    /* bad widths */
    const uint8_t one[] = {0x02, 0x01};
    CHECK(pq_rle_decode_u32(one, 2, 33, o, 1, &err) == LS_ERR_CORRUPT);
    CHECK(pq_rle_decode_u32(one, 2, -1, o, 1, &err) == LS_ERR_CORRUPT);
    CHECK(pq_rle_decode_u8(one, 2, 9, 255, o8, 1, &err) == LS_ERR_CORRUPT);
    /* empty input */
    CHECK(pq_rle_decode_u32(NULL, 0, 3, o, 0, &err) == 0);
    CHECK(pq_rle_decode_u32(NULL, 0, 3, o, 1, &err) == LS_ERR_CORRUPT);
    CHECK(pq_rle_decode_u8(NULL, 0, 0, 0, o8, 1, &err) == LS_ERR_CORRUPT);
    /* overlong varint header */
    uint8_t ov[12];
    memset(ov, 0xff, sizeof(ov));
    CHECK(pq_rle_decode_u32(ov, sizeof(ov), 3, o, 1, &err) == LS_ERR_CORRUPT);
    /* huge RLE run clipped to count */
    ls_buf b = {0};
    put_uleb(&b, (uint64_t)0x7fffffff << 1);
    ls_buf_putc(&b, 7);
    CHECK_OK(pq_rle_decode_u32(b.data, b.len, 3, o, 4096, &err), &err);
    CHECK(o[0] == 7 && o[4095] == 7);
    CHECK_OK(pq_rle_decode_u8(b.data, b.len, 3, 7, o8, 4096, &err), &err);
    CHECK(o8[4095] == 7);
    /* huge bit-packed run with little data: error, no over-read */
    ls_buf_reset(&b);
    put_uleb(&b, ((uint64_t)1 << 40) | 1);
    ls_buf_putc(&b, 0xff);
    uint8_t *e = dup_exact(b.data, b.len);
    CHECK(pq_rle_decode_u32(e, b.len, 5, o, 100, &err) == LS_ERR_CORRUPT);
    CHECK(pq_rle_decode_u8(e, b.len, 5, 31, o8, 100, &err) == LS_ERR_CORRUPT);
    /* ... but enough bytes for the values actually needed is fine */
    CHECK_OK(pq_rle_decode_u32(e, b.len, 5, o, 1, &err), &err);
    CHECK(o[0] == 31);
    free(e);
    /* maximal varint header (2^64-1 groups) */
    ls_buf_reset(&b);
    put_uleb(&b, UINT64_MAX);
    CHECK(pq_rle_decode_u32(b.data, b.len, 32, o, 100, &err) == LS_ERR_CORRUPT);
    /* truncated RLE value */
    const uint8_t tv[] = {0x10, 0x34};
    CHECK(pq_rle_decode_u32(tv, 2, 16, o, 8, &err) == LS_ERR_CORRUPT);
    /* zero-length runs are skipped, not looped on */
    const uint8_t zr[] = {0x00, 0x01, 0x00, 0x01, 0x04, 0x05};
    CHECK_OK(pq_rle_decode_u32(zr, sizeof(zr), 3, o, 2, &err), &err);
    CHECK(o[0] == 5 && o[1] == 5);
    /* input that ends after the run headers */
    const uint8_t zr2[] = {0x00, 0x01, 0x00, 0x01};
    CHECK(pq_rle_decode_u32(zr2, sizeof(zr2), 3, o, 2, &err) == LS_ERR_CORRUPT);

    /* truncation at every position of a mixed stream: error or a correct prefix */
    size_t n = 3000;
    uint32_t *v = malloc(n * sizeof(uint32_t));
    int widths[] = {0, 1, 3, 8, 13, 17, 31, 32};
    for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++) {
        int w = widths[wi];
        gen_u32(v, n, w, 1);
        for (size_t i = 1000; i < 1500; i++)
            v[i] = rnd_bits(w);
        ls_buf_reset(&b);
        pq_rle_encode_u32(&b, w, v, n);
        for (size_t cut = 0; cut < b.len; cut++) {
            uint8_t *t = dup_exact(b.data, cut);
            uint32_t *oo = malloc(n * sizeof(uint32_t));
            int rc = pq_rle_decode_u32(t, cut, w, oo, n, &err);
            if (rc == 0)
                CHECK_MSG(memcmp(oo, v, n * sizeof(uint32_t)) == 0, "w=%d cut=%zu", w, cut);
            else
                CHECK(rc == LS_ERR_CORRUPT);
            free(oo);
            free(t);
        }
    }
    /* random garbage: must not crash or over-read */
    for (int it = 0; it < 20000; it++) {
        size_t len = rnd() % 64;
        uint8_t *g = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            g[i] = (uint8_t)rnd();
        int w = (int)(rnd() % 34);
        size_t cnt = rnd() % 600;
        (void)pq_rle_decode_u32(g, len, w, o, cnt, &err);
        (void)pq_rle_decode_u8(g, len, w % 9, (uint8_t)rnd(), o8, cnt, &err);
        free(g);
    }
    free(v);
    ls_buf_free(&b);
}

/* ---- legacy BIT_PACKED ---------------------------------------------------------- */

static void test_bitpacked_legacy(void)
{
    ls_error err = {0};
    /* Encodings.md: 0..7 at width 3, MSB first: 00000101 00111001 01110111 */
    const uint8_t spec[] = {0x05, 0x39, 0x77};
    uint8_t o[300];
    CHECK_OK(pq_bitpacked_legacy_decode_u8(spec, 3, 3, 7, o, 8, &err), &err);
    for (int i = 0; i < 8; i++)
        CHECK(o[i] == i);
    CHECK(pq_bitpacked_legacy_decode_u8(spec, 3, 3, 6, o, 8, &err) == LS_ERR_CORRUPT);
    CHECK(pq_bitpacked_legacy_decode_u8(spec, 2, 3, 7, o, 8, &err) == LS_ERR_CORRUPT);
    CHECK(pq_bitpacked_legacy_decode_u8(spec, 3, 9, 7, o, 1, &err) == LS_ERR_CORRUPT);
    CHECK_OK(pq_bitpacked_legacy_decode_u8(NULL, 0, 0, 0, o, 10, &err), &err);
    CHECK(o[9] == 0);
    /* round trip against a reference MSB-first packer */
    for (int w = 1; w <= 8; w++) {
        for (size_t n = 0; n < 300; n++) {
            uint8_t v[300], enc[300] = {0};
            for (size_t i = 0; i < n; i++) {
                v[i] = (uint8_t)rnd_bits(w);
                for (int bit = 0; bit < w; bit++) {
                    size_t bp = i * (size_t)w + (size_t)bit;
                    if ((v[i] >> (w - 1 - bit)) & 1)
                        enc[bp / 8] |= (uint8_t)(0x80 >> (bp % 8));
                }
            }
            size_t len = (n * (size_t)w + 7) / 8;
            uint8_t *e = dup_exact(enc, len);
            CHECK_OK(pq_bitpacked_legacy_decode_u8(e, len, w, 255, o, n, &err), &err);
            CHECK_MSG(n == 0 || memcmp(o, v, n) == 0, "w=%d n=%zu", w, n);
            if (len)
                CHECK(pq_bitpacked_legacy_decode_u8(e, len - 1, w, 255, o, n, &err) ==
                      LS_ERR_CORRUPT);
            free(e);
        }
    }
}

/* ---- PLAIN booleans ---------------------------------------------------------------- */

static void test_plain_bool(void)
{
    ls_error err = {0};
    ls_buf b = {0};
    uint8_t v[200] = {0}, o[200];
    for (size_t n = 0; n < 200; n++) {
        for (size_t i = 0; i < n; i++)
            v[i] = (uint8_t)(rnd() & 1);
        ls_buf_reset(&b);
        pq_plain_encode_bool(&b, v, n);
        CHECK(b.len == (n + 7) / 8);
        /* reference: LSB first */
        int ok = 1;
        for (size_t i = 0; i < n; i++)
            ok &= ((b.data[i / 8] >> (i % 8)) & 1) == v[i];
        if (n % 8)
            ok &= (b.data[n / 8] >> (n % 8)) == 0; /* padding bits are zero */
        CHECK_MSG(ok, "n=%zu", n);
        uint8_t *e = dup_exact(b.data, b.len);
        CHECK_OK(pq_plain_decode_bool(e, b.len, o, n, &err), &err);
        CHECK(n == 0 || memcmp(o, v, n) == 0);
        if (n)
            CHECK(pq_plain_decode_bool(e, b.len - 1, o, n, &err) == LS_ERR_CORRUPT);
        free(e);
    }
    /* nonzero bytes other than 1 count as true */
    uint8_t odd[9] = {2, 0, 0x80, 0, 0xff, 0, 0, 0x10, 7};
    ls_buf_reset(&b);
    pq_plain_encode_bool(&b, odd, 9);
    CHECK(b.len == 2 && b.data[0] == 0x95 && b.data[1] == 0x01);
    ls_buf_free(&b);
}

/* ---- DELTA_BINARY_PACKED --------------------------------------------------------- */

/* Reference encoder with arbitrary block geometry; is32 wraps deltas in 32 bits.
 * pad_garbage fills unused widths of the last block and padding bits with junk. */
static void ref_dbp_encode(ls_buf *out, const int64_t *v, size_t n, unsigned bs, unsigned nmb,
                           int is32, int pad_garbage)
{
    unsigned vpm = bs / nmb;
    put_uleb(out, bs);
    put_uleb(out, nmb);
    put_uleb(out, n);
    put_uleb(out, zz(n ? v[0] : 0));
    uint64_t *rel = malloc(bs * sizeof(uint64_t));
    for (size_t i = 1; i < n; i += bs) {
        size_t k = n - i < bs ? n - i : bs;
        int64_t mn = INT64_MAX;
        for (size_t j = 0; j < k; j++) {
            uint64_t d = (uint64_t)v[i + j] - (uint64_t)v[i + j - 1];
            int64_t sd = is32 ? (int64_t)(int32_t)(uint32_t)d : (int64_t)d;
            rel[j] = (uint64_t)sd;
            if (sd < mn)
                mn = sd;
        }
        for (size_t j = 0; j < k; j++) {
            rel[j] -= (uint64_t)mn;
            if (is32)
                rel[j] &= 0xffffffffu;
        }
        put_uleb(out, zz(mn));
        unsigned used = (unsigned)((k + vpm - 1) / vpm);
        uint8_t wd[256];
        for (unsigned m = 0; m < nmb; m++) {
            uint64_t acc = 0;
            for (size_t j = (size_t)m * vpm; j < (size_t)(m + 1) * vpm && j < k; j++)
                acc |= rel[j];
            wd[m] = m < used ? (uint8_t)ls_bit_width(acc) : (pad_garbage ? (uint8_t)rnd() : 0);
            ls_buf_putc(out, wd[m]);
        }
        for (unsigned m = 0; m < used; m++) {
            unsigned w = wd[m];
            size_t bytes = (size_t)vpm * w / 8, base = out->len;
            ls_buf_reserve(out, bytes);
            memset(out->data + base, 0, bytes);
            for (size_t j = 0; j < vpm; j++) {
                size_t idx = (size_t)m * vpm + j;
                uint64_t x = idx < k ? rel[idx] : (pad_garbage ? rnd() : 0);
                for (unsigned bit = 0; bit < w; bit++) {
                    size_t bp = j * w + bit;
                    if ((x >> bit) & 1)
                        out->data[base + bp / 8] |= (uint8_t)(1u << (bp % 8));
                }
            }
            out->len += bytes;
        }
    }
    free(rel);
}

static void test_delta_spec_examples(void)
{
    ls_error err = {0};
    ls_buf b = {0};
    int64_t o[16];
    size_t used;
    /* Example 1 exactly as written in Encodings.md (block size 8) must be refused:
     * the spec says 8 is "invalid" in real files. */
    const uint8_t ex1_spec[] = {0x08, 0x01, 0x05, 0x02, 0x02, 0x00};
    CHECK(pq_delta_decode_i64(ex1_spec, sizeof(ex1_spec), o, 5, &used, &err) == LS_ERR_CORRUPT);
    /* Example 1 (1,2,3,4,5) with block 128 / 4 miniblocks: min delta 1, all widths 0 */
    int64_t v1[] = {1, 2, 3, 4, 5};
    pq_delta_encode_i64(&b, v1, 5);
    const uint8_t ex1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
    CHECK(b.len == sizeof(ex1) && memcmp(b.data, ex1, sizeof(ex1)) == 0);
    CHECK_OK(pq_delta_decode_i64(ex1, sizeof(ex1), o, 5, &used, &err), &err);
    CHECK(used == sizeof(ex1) && o[0] == 1 && o[4] == 5);
    /* Example 2 (7,5,3,1,2,3,4,5): min delta -2, relative 0,0,0,3,3,3,3 at width 2 */
    int64_t v2[] = {7, 5, 3, 1, 2, 3, 4, 5};
    ls_buf_reset(&b);
    pq_delta_encode_i64(&b, v2, 8);
    const uint8_t ex2[] = {0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0x00, 0x00,
                           0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK(b.len == sizeof(ex2) && memcmp(b.data, ex2, sizeof(ex2)) == 0);
    CHECK_OK(pq_delta_decode_i64(ex2, sizeof(ex2), o, 8, &used, &err), &err);
    CHECK(used == sizeof(ex2));
    for (int i = 0; i < 8; i++)
        CHECK(o[i] == v2[i]);
    int32_t o32[8];
    CHECK_OK(pq_delta_decode_i32(ex2, sizeof(ex2), o32, 8, &used, &err), &err);
    CHECK(o32[0] == 7 && o32[3] == 1 && o32[7] == 5);
    /* empty and single-value streams are header only */
    ls_buf_reset(&b);
    pq_delta_encode_i64(&b, NULL, 0);
    CHECK(b.len == 5); /* 0x80 0x01 (128), 4, 0, 0 */
    CHECK_OK(pq_delta_decode_i64(b.data, b.len, o, 0, &used, &err), &err);
    CHECK(used == 5);
    ls_buf_reset(&b);
    int64_t one = -42;
    pq_delta_encode_i64(&b, &one, 1);
    CHECK(b.len == 5);
    CHECK_OK(pq_delta_decode_i64(b.data, b.len, o, 1, &used, &err), &err);
    CHECK(o[0] == -42 && used == 5);
    ls_buf_free(&b);
}

static void test_delta_roundtrip(void)
{
    ls_error err = {0};
    ls_buf b = {0};
    size_t maxn = 1200;
    int64_t *v = malloc(maxn * sizeof(int64_t)), *o = malloc((maxn + 1) * sizeof(int64_t));
    int32_t *o32 = malloc((maxn + 1) * sizeof(int32_t));
    for (size_t n = 0; n <= maxn; n += (n < 300 ? 1 : 13)) {
        int kind = (int)(n % 5);
        int64_t x = (int64_t)rnd();
        for (size_t i = 0; i < n; i++) {
            switch (kind) {
            case 0: v[i] = (int64_t)rnd(); break; /* full 64-bit chaos: wraps */
            case 1: x += (int64_t)(rnd() % 1000); v[i] = x; break;
            case 2: v[i] = (int64_t)(rnd() % 3) - 1; break;
            case 3: v[i] = rnd() & 1 ? INT64_MAX : INT64_MIN; break;
            default: v[i] = (int64_t)(rnd() >> (rnd() % 64)); break;
            }
        }
        ls_buf_reset(&b);
        pq_delta_encode_i64(&b, v, n);
        size_t len = b.len;
        ls_buf_append(&b, "junk", 4); /* consumed must stop before trailing bytes */
        uint8_t *e = dup_exact(b.data, b.len);
        size_t used = 0;
        int rc = pq_delta_decode_i64(e, b.len, o, n, &used, &err);
        CHECK_MSG(rc == 0, "n=%zu kind=%d: %s", n, kind, err.msg);
        CHECK_MSG(n == 0 || memcmp(o, v, n * sizeof(int64_t)) == 0, "n=%zu kind=%d", n, kind);
        CHECK_MSG(used == len, "n=%zu used=%zu len=%zu", n, used, len);
        /* fewer values than the header holds: consumed still covers the whole stream */
        if (n > 2) {
            used = 0;
            CHECK_OK(pq_delta_decode_i64(e, b.len, o, n / 2, &used, &err), &err);
            CHECK(used == len && memcmp(o, v, (n / 2) * sizeof(int64_t)) == 0);
            /* more values than the header holds is an error */
            CHECK(pq_delta_decode_i64(e, b.len, o, n + 1, &used, &err) == LS_ERR_CORRUPT);
        }
        free(e);
    }
    /* i32 streams with 32-bit wrap-around, odd block geometries and garbage padding */
    unsigned geo[][2] = {{128, 4}, {128, 1}, {256, 8}, {128, 2}, {512, 4}, {1024, 32}};
    for (size_t g = 0; g < sizeof(geo) / sizeof(geo[0]); g++) {
        for (size_t n = 0; n <= maxn; n += 1 + n / 7) {
            for (size_t i = 0; i < n; i++)
                v[i] = (g & 1) ? (int32_t)(uint32_t)rnd() : (int32_t)(rnd() % 100) - 50;
            for (int garbage = 0; garbage < 2; garbage++) {
                ls_buf_reset(&b);
                ref_dbp_encode(&b, v, n, geo[g][0], geo[g][1], 1, garbage);
                uint8_t *e = dup_exact(b.data, b.len);
                size_t used = 0;
                int rc = pq_delta_decode_i32(e, b.len, o32, n, &used, &err);
                CHECK_MSG(rc == 0, "geo %zu n=%zu: %s", g, n, err.msg);
                int ok = 1;
                for (size_t i = 0; i < n && rc == 0; i++)
                    ok &= o32[i] == (int32_t)v[i];
                CHECK_MSG(ok, "geo %zu n=%zu garbage=%d", g, n, garbage);
                CHECK(used == b.len);
                free(e);
                /* the same stream through the i64 reader with 64-bit geometry */
                if (!garbage) {
                    ls_buf_reset(&b);
                    ref_dbp_encode(&b, v, n, geo[g][0], geo[g][1], 0, 0);
                    CHECK_OK(pq_delta_decode_i64(b.data, b.len, o, n, &used, &err), &err);
                    CHECK(n == 0 || memcmp(o, v, n * sizeof(int64_t)) == 0);
                }
            }
        }
    }
    /* every miniblock width 0..64 (i64) and 0..32 (i32) */
    for (int w = 0; w <= 64; w++) {
        size_t n = 129;
        v[0] = 0;
        for (size_t i = 1; i < n; i++)
            v[i] = (int64_t)((uint64_t)v[i - 1] +
                             (w == 0 ? 0 : (w == 64 ? rnd() : rnd() >> (64 - w))));
        ls_buf_reset(&b);
        ref_dbp_encode(&b, v, n, 128, 4, 0, 1);
        size_t used;
        CHECK_OK(pq_delta_decode_i64(b.data, b.len, o, n, &used, &err), &err);
        CHECK_MSG(memcmp(o, v, n * sizeof(int64_t)) == 0, "w=%d", w);
        ls_buf_reset(&b);
        pq_delta_encode_i64(&b, v, n);
        CHECK_OK(pq_delta_decode_i64(b.data, b.len, o, n, &used, &err), &err);
        CHECK_MSG(memcmp(o, v, n * sizeof(int64_t)) == 0, "own encoder w=%d", w);
    }
    free(v);
    free(o);
    free(o32);
    ls_buf_free(&b);
}

static void test_delta_malformed(void)
{
    ls_error err = {0};
    ls_buf b = {0};
    int64_t o[600];
    int32_t o32[600];
    size_t used;
    struct {
        uint64_t bs, nmb, total;
    } bad[] = {{0, 1, 1}, {100, 1, 1}, {128, 0, 1}, {128, 3, 1}, {128, 8, 1}, {8, 1, 1}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ls_buf_reset(&b);
        put_uleb(&b, bad[i].bs);
        put_uleb(&b, bad[i].nmb);
        put_uleb(&b, bad[i].total);
        put_uleb(&b, 0);
        CHECK(pq_delta_decode_i64(b.data, b.len, o, 1, &used, &err) == LS_ERR_CORRUPT);
    }
    /* width 33 is fine for i64, not for i32; 65 for neither */
    for (int w = 32; w <= 65; w += 1) {
        ls_buf_reset(&b);
        put_uleb(&b, 128);
        put_uleb(&b, 4);
        put_uleb(&b, 2);
        put_uleb(&b, 0);
        put_uleb(&b, 0);
        uint8_t wd[4] = {(uint8_t)w, 0, 0, 0};
        ls_buf_append(&b, wd, 4);
        for (int k = 0; k < 4 * w; k++)
            ls_buf_putc(&b, 0);
        int r64 = pq_delta_decode_i64(b.data, b.len, o, 2, &used, &err);
        int r32 = pq_delta_decode_i32(b.data, b.len, o32, 2, &used, &err);
        CHECK_MSG(r64 == (w <= 64 ? 0 : LS_ERR_CORRUPT), "w=%d", w);
        CHECK_MSG(r32 == (w <= 32 ? 0 : LS_ERR_CORRUPT), "w=%d", w);
    }
    /* huge total with zero widths: only the requested values are produced */
    ls_buf_reset(&b);
    put_uleb(&b, (uint64_t)1 << 40);
    put_uleb(&b, 1);
    put_uleb(&b, ((uint64_t)1 << 40) + 1);
    put_uleb(&b, zz(5));
    put_uleb(&b, zz(-1));
    ls_buf_putc(&b, 0);
    CHECK_OK(pq_delta_decode_i64(b.data, b.len, o, 600, &used, &err), &err);
    CHECK(o[0] == 5 && o[599] == 5 - 599 && used == b.len);
    /* a total beyond what the input holds fails once it needs another block */
    ls_buf_reset(&b);
    put_uleb(&b, 128);
    put_uleb(&b, 4);
    put_uleb(&b, UINT64_MAX);
    put_uleb(&b, 0);
    CHECK(pq_delta_decode_i64(b.data, b.len, o, 10, &used, &err) == LS_ERR_CORRUPT);
    /* overlong header varint */
    uint8_t ov[12];
    memset(ov, 0x80, sizeof(ov));
    CHECK(pq_delta_decode_i64(ov, sizeof(ov), o, 1, &used, &err) == LS_ERR_CORRUPT);
    CHECK(pq_delta_decode_i64(NULL, 0, o, 0, &used, &err) == LS_ERR_CORRUPT);
    /* truncation at every position fails (every byte of a tight stream is needed) */
    int64_t v[500];
    for (size_t i = 0; i < 500; i++)
        v[i] = (int64_t)(rnd() % 100000);
    ls_buf_reset(&b);
    pq_delta_encode_i64(&b, v, 500);
    for (size_t cut = 0; cut < b.len; cut++) {
        uint8_t *t = dup_exact(b.data, cut);
        CHECK_MSG(pq_delta_decode_i64(t, cut, o, 500, &used, &err) == LS_ERR_CORRUPT, "cut %zu",
                  cut);
        CHECK_MSG(pq_delta_decode_i32(t, cut, o32, 500, &used, &err) == LS_ERR_CORRUPT,
                  "cut %zu", cut);
        free(t);
    }
    /* random garbage */
    for (int it = 0; it < 20000; it++) {
        size_t len = rnd() % 48;
        uint8_t *g = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            g[i] = (uint8_t)rnd();
        if (len > 0)
            g[0] = (uint8_t)(0x80 | (rnd() & 0x7f)); /* bias towards a block size of k*128 */
        if (len > 1)
            g[1] = (uint8_t)(rnd() % 5);
        if (len > 2)
            g[2] = (uint8_t)(1 + rnd() % 4);
        size_t cnt = rnd() % 600;
        (void)pq_delta_decode_i64(g, len, o, cnt, &used, &err);
        (void)pq_delta_decode_i32(g, len, o32, cnt, &used, &err);
        free(g);
    }
    ls_buf_free(&b);
}

/* ---- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY -------------------------------------- */

static void test_dlba_dba_spec(void)
{
    ls_error err = {0};
    /* DELTA_LENGTH_BYTE_ARRAY example: lengths (5,5,6,6) then the bytes */
    const char *words = "HelloWorldFoobarABCDEF";
    uint64_t offs[5] = {0, 5, 10, 16, 22};
    ls_buf enc = {0}, want = {0};
    pq_delta_length_encode(&enc, (const uint8_t *)words, offs, 4);
    int64_t lens[4] = {5, 5, 6, 6};
    pq_delta_encode_i64(&want, lens, 4);
    ls_buf_append(&want, words, 22);
    CHECK(enc.len == want.len && memcmp(enc.data, want.data, enc.len) == 0);
    ls_buf out = {0};
    ls_buf_append(&out, "xyz", 3); /* offsets are relative to out->data, starting at len */
    uint64_t o[5];
    CHECK_OK(pq_delta_length_decode(enc.data, enc.len, 4, &out, o, &err), &err);
    CHECK(o[0] == 3 && o[1] == 8 && o[4] == 25 && out.len == 25);
    CHECK(memcmp(out.data + 3, words, 22) == 0);

    /* DELTA_BYTE_ARRAY example: prefixes (0,2,0,3), suffixes (4,2,6,5), "axislebabbleyhood" */
    const char *strs = "axisaxlebabblebabyhood";
    uint64_t so[5] = {0, 4, 8, 14, 22};
    ls_buf_reset(&enc);
    ls_buf_reset(&want);
    pq_delta_byte_array_encode(&enc, (const uint8_t *)strs, so, 4);
    int64_t pre[4] = {0, 2, 0, 3}, suf[4] = {4, 2, 6, 5};
    pq_delta_encode_i64(&want, pre, 4);
    pq_delta_encode_i64(&want, suf, 4);
    ls_buf_puts(&want, "axislebabbleyhood");
    CHECK(enc.len == want.len && memcmp(enc.data, want.data, enc.len) == 0);
    ls_buf_reset(&out);
    CHECK_OK(pq_delta_byte_array_decode(enc.data, enc.len, 4, &out, o, &err), &err);
    CHECK(out.len == 22 && memcmp(out.data, strs, 22) == 0);
    CHECK(o[0] == 0 && o[1] == 4 && o[2] == 8 && o[3] == 14 && o[4] == 22);
    ls_buf_free(&enc);
    ls_buf_free(&want);
    ls_buf_free(&out);
}

static void test_dlba_dba_roundtrip(void)
{
    ls_error err = {0};
    size_t maxn = 700;
    uint64_t *offs = malloc((maxn + 1) * sizeof(uint64_t)), *o = malloc((maxn + 1) * 8);
    ls_buf data = {0}, enc = {0}, out = {0};
    static const char *stems[] = {"", "a", "apple", "apple_banana", "apricot", "b", "banana"};
    for (size_t n = 0; n <= maxn; n += 1 + n / 5) {
        ls_buf_reset(&data);
        offs[0] = 0;
        for (size_t i = 0; i < n; i++) {
            if (rnd() % 4) {
                ls_buf_puts(&data, stems[rnd() % 7]);
                size_t extra = rnd() % 6;
                for (size_t k = 0; k < extra; k++)
                    ls_buf_putc(&data, (uint8_t)("xyz\0\xff"[rnd() % 5]));
            } else {
                size_t len = rnd() % 300;
                for (size_t k = 0; k < len; k++)
                    ls_buf_putc(&data, (uint8_t)rnd());
            }
            offs[i + 1] = data.len;
        }
        for (int which = 0; which < 2; which++) {
            ls_buf_reset(&enc);
            if (which == 0)
                pq_delta_length_encode(&enc, data.data, offs, n);
            else
                pq_delta_byte_array_encode(&enc, data.data, offs, n);
            uint8_t *e = dup_exact(enc.data, enc.len);
            ls_buf_reset(&out);
            ls_buf_puts(&out, "pre");
            int rc = which == 0 ? pq_delta_length_decode(e, enc.len, n, &out, o, &err)
                                : pq_delta_byte_array_decode(e, enc.len, n, &out, o, &err);
            CHECK_MSG(rc == 0, "which=%d n=%zu: %s", which, n, err.msg);
            if (rc == 0) {
                CHECK(o[0] == 3 && out.len == 3 + data.len);
                CHECK(data.len == 0 || memcmp(out.data + 3, data.data, data.len) == 0);
                int ok = 1;
                for (size_t i = 0; i <= n; i++)
                    ok &= o[i] == offs[i] + 3;
                CHECK_MSG(ok, "which=%d n=%zu offsets", which, n);
            }
            /* truncations: error or (for a cut inside trailing data only) never a crash */
            for (size_t cut = 0; cut < enc.len && n > 0; cut += 1 + cut / 3) {
                uint8_t *t = dup_exact(enc.data, cut);
                ls_buf_reset(&out);
                rc = which == 0 ? pq_delta_length_decode(t, cut, n, &out, o, &err)
                                : pq_delta_byte_array_decode(t, cut, n, &out, o, &err);
                CHECK_MSG(rc == LS_ERR_CORRUPT, "which=%d n=%zu cut=%zu rc=%d", which, n, cut, rc);
                free(t);
            }
            free(e);
        }
    }
    free(offs);
    free(o);
    ls_buf_free(&data);
    ls_buf_free(&enc);
    ls_buf_free(&out);
}

static void test_dlba_dba_malformed(void)
{
    ls_error err = {0};
    ls_buf enc = {0}, out = {0};
    uint64_t o[8];
    /* negative length (written as a 32-bit stream) */
    int64_t lens[3] = {2, -1, 1};
    ref_dbp_encode(&enc, lens, 3, 128, 4, 1, 0);
    ls_buf_puts(&enc, "abcdef");
    CHECK(pq_delta_length_decode(enc.data, enc.len, 3, &out, o, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "negative") != NULL);
    /* lengths beyond the data */
    ls_buf_reset(&enc);
    int64_t big[2] = {3, 100};
    pq_delta_encode_i64(&enc, big, 2);
    ls_buf_puts(&enc, "abcdef");
    CHECK(pq_delta_length_decode(enc.data, enc.len, 2, &out, o, &err) == LS_ERR_CORRUPT);
    /* huge length that would wrap a size_t sum */
    ls_buf_reset(&enc);
    int64_t huge[2] = {INT32_MAX, INT32_MAX};
    ref_dbp_encode(&enc, huge, 2, 128, 4, 1, 0);
    CHECK(pq_delta_length_decode(enc.data, enc.len, 2, &out, o, &err) == LS_ERR_CORRUPT);
    /* DBA: first prefix must be 0; a prefix may not exceed the previous value */
    int64_t pre_bad0[2] = {1, 0}, suf[2] = {2, 2};
    ls_buf_reset(&enc);
    pq_delta_encode_i64(&enc, pre_bad0, 2);
    pq_delta_encode_i64(&enc, suf, 2);
    ls_buf_puts(&enc, "abcd");
    CHECK(pq_delta_byte_array_decode(enc.data, enc.len, 2, &out, o, &err) == LS_ERR_CORRUPT);
    int64_t pre_bad1[2] = {0, 3};
    ls_buf_reset(&enc);
    pq_delta_encode_i64(&enc, pre_bad1, 2);
    pq_delta_encode_i64(&enc, suf, 2);
    ls_buf_puts(&enc, "abcd");
    CHECK(pq_delta_byte_array_decode(enc.data, enc.len, 2, &out, o, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "prefix") != NULL);
    int64_t pre_ok[2] = {0, 2};
    ls_buf_reset(&enc);
    pq_delta_encode_i64(&enc, pre_ok, 2);
    pq_delta_encode_i64(&enc, suf, 2);
    ls_buf_puts(&enc, "abcd");
    ls_buf_reset(&out);
    CHECK_OK(pq_delta_byte_array_decode(enc.data, enc.len, 2, &out, o, &err), &err);
    CHECK(out.len == 6 && memcmp(out.data, "ababcd", 6) == 0);
    /* negative suffix */
    int64_t suf_neg[2] = {2, -2};
    ls_buf_reset(&enc);
    pq_delta_encode_i64(&enc, pre_ok, 2);
    ref_dbp_encode(&enc, suf_neg, 2, 128, 4, 1, 0);
    ls_buf_puts(&enc, "abcd");
    CHECK(pq_delta_byte_array_decode(enc.data, enc.len, 2, &out, o, &err) == LS_ERR_CORRUPT);
    /* expansion limit: 1 KiB value repeated through prefixes */
    enum { N = 5000 };
    int64_t *pre = malloc(N * sizeof(int64_t)), *sl = malloc(N * sizeof(int64_t));
    for (int i = 0; i < N; i++) {
        pre[i] = i ? 1024 : 0;
        sl[i] = i ? 0 : 1024;
    }
    ls_buf_reset(&enc);
    pq_delta_encode_i64(&enc, pre, N);
    pq_delta_encode_i64(&enc, sl, N);
    for (int k = 0; k < 1024; k++)
        ls_buf_putc(&enc, (uint8_t)k);
    uint64_t *oo = malloc((N + 1) * sizeof(uint64_t));
    ls_buf_reset(&out);
    CHECK(pq_delta_byte_array_decode_limit(enc.data, enc.len, N, &out, oo, 1 << 20, &err) ==
          LS_ERR_LIMIT);
    ls_buf_reset(&out);
    CHECK_OK(pq_delta_byte_array_decode_limit(enc.data, enc.len, N, &out, oo, 1 << 23, &err),
             &err);
    CHECK(out.len == (size_t)N * 1024 && oo[N] == (uint64_t)N * 1024);
    free(pre);
    free(sl);
    free(oo);
    /* count 0 needs no input */
    CHECK_OK(pq_delta_length_decode(NULL, 0, 0, &out, o, &err), &err);
    CHECK_OK(pq_delta_byte_array_decode(NULL, 0, 0, &out, o, &err), &err);
    CHECK(o[0] == out.len);
    ls_buf_free(&enc);
    ls_buf_free(&out);
}

/* ---- BYTE_STREAM_SPLIT ------------------------------------------------------------- */

static void test_bss(void)
{
    ls_error err = {0};
    /* Encodings.md example: three floats AA BB CC DD | 00 11 22 33 | A3 B4 C5 D6 */
    const uint8_t raw[12] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
    const uint8_t split[12] = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4,
                               0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
    ls_buf b = {0};
    pq_bss_encode(&b, raw, 4, 3);
    CHECK(b.len == 12 && memcmp(b.data, split, 12) == 0);
    uint8_t o[2000];
    CHECK_OK(pq_bss_decode(split, 12, 4, 3, o, &err), &err);
    CHECK(memcmp(o, raw, 12) == 0);
    for (size_t w = 1; w <= 16; w++) {
        for (size_t n = 0; n <= 100; n++) {
            uint8_t v[1600];
            for (size_t i = 0; i < n * w; i++)
                v[i] = (uint8_t)rnd();
            ls_buf_reset(&b);
            pq_bss_encode(&b, v, w, n);
            CHECK(b.len == n * w);
            uint8_t *e = dup_exact(b.data, b.len);
            CHECK_OK(pq_bss_decode(e, b.len, w, n, o, &err), &err);
            CHECK_MSG(n == 0 || memcmp(o, v, n * w) == 0, "w=%zu n=%zu", w, n);
            if (n > 0) {
                CHECK(pq_bss_decode(e, b.len, w, n + 1, o, &err) == LS_ERR_CORRUPT);
                if (w > 1)
                    CHECK(pq_bss_decode(e, b.len - 1, w, n - 1, o, &err) == LS_ERR_CORRUPT);
            }
            free(e);
        }
    }
    CHECK(pq_bss_decode(split, 12, 0, 0, o, &err) == LS_ERR_CORRUPT);
    ls_buf_free(&b);
}

/* ---- speed report (not an assertion) ------------------------------------------------- */

static double secs_since(int64_t t0) { return (double)(ls_monotonic_nanos() - t0) / 1e9; }

static void test_speed_report(void)
{
    size_t n = 10 * 1000 * 1000;
    uint8_t *lv = malloc(n), *lo = malloc(n);
    uint32_t *iv = malloc(n * sizeof(uint32_t)), *io = malloc(n * sizeof(uint32_t));
    ls_buf b = {0};
    ls_error err = {0};
    int reps = 5;
    memset(lo, 0, n); /* fault the pages in before timing */
    memset(io, 0, n * sizeof(uint32_t));

    for (size_t i = 0; i < n; i++)
        lv[i] = 1;
    int64_t t0 = ls_monotonic_nanos();
    for (int r = 0; r < reps; r++) {
        ls_buf_reset(&b);
        pq_rle_encode_u8(&b, 1, lv, n);
    }
    double s = secs_since(t0) / reps;
    printf("NOTE rle encode 10M def levels all==max: %.0f MB/s (%.2f ms, %zu bytes)\n",
           (double)n / 1e6 / s, s * 1e3, b.len);
    CHECK(b.len < 16);

    for (size_t i = 0; i < n; i++)
        lv[i] = (uint8_t)(rnd() % 10 != 0); /* 10% nulls, randomly placed */
    t0 = ls_monotonic_nanos();
    for (int r = 0; r < reps; r++) {
        ls_buf_reset(&b);
        pq_rle_encode_u8(&b, 1, lv, n);
    }
    s = secs_since(t0) / reps;
    printf("NOTE rle encode 10M def levels 10%% random nulls: %.0f MB/s (%zu bytes)\n",
           (double)n / 1e6 / s, b.len);
    t0 = ls_monotonic_nanos();
    for (int r = 0; r < reps; r++)
        CHECK(pq_rle_decode_u8(b.data, b.len, 1, 1, lo, n, &err) == 0);
    s = secs_since(t0) / reps;
    printf("NOTE rle decode 10M def levels 10%% random nulls: %.0f M values/s\n",
           (double)n / 1e6 / s);
    CHECK(memcmp(lo, lv, n) == 0);

    int widths[] = {4, 10, 17};
    for (size_t k = 0; k < 3; k++) {
        int w = widths[k];
        for (size_t i = 0; i < n; i++)
            iv[i] = rnd_bits(w);
        t0 = ls_monotonic_nanos();
        for (int r = 0; r < reps; r++) {
            ls_buf_reset(&b);
            pq_rle_encode_u32(&b, w, iv, n);
        }
        s = secs_since(t0) / reps;
        double enc_mb = (double)n * 4 / 1e6 / s;
        CHECK(pq_rle_decode_u32(b.data, b.len, w, io, n, &err) == 0); /* warm-up */
        t0 = ls_monotonic_nanos();
        for (int r = 0; r < reps; r++)
            CHECK(pq_rle_decode_u32(b.data, b.len, w, io, n, &err) == 0);
        double ds = secs_since(t0) / reps;
        CHECK(memcmp(io, iv, n * 4) == 0);
        printf("NOTE dict-index bit packing w=%d random: encode %.0f MB/s of u32 (%.0f M "
               "values/s), decode %.0f M values/s\n",
               w, enc_mb, (double)n / 1e6 / s, (double)n / 1e6 / ds);
    }
    free(lv);
    free(lo);
    free(iv);
    free(io);
    ls_buf_free(&b);
}

int main(void)
{
    RUN(test_rle_spec_example);
    RUN(test_rle_roundtrip_u32);
    RUN(test_rle_sizes);
    RUN(test_rle_roundtrip_u8);
    RUN(test_rle_max_value);
    RUN(test_rle_malformed);
    RUN(test_bitpacked_legacy);
    RUN(test_plain_bool);
    RUN(test_delta_spec_examples);
    RUN(test_delta_roundtrip);
    RUN(test_delta_malformed);
    RUN(test_dlba_dba_spec);
    RUN(test_dlba_dba_roundtrip);
    RUN(test_dlba_dba_malformed);
    RUN(test_bss);
    RUN(test_speed_report);
    TEST_MAIN_END();
}
