/*
 * fuzz_decoders.c - libFuzzer target for src/parquet/pq_enc.c and
 * src/parquet/pq_codec.c. The first 4 bytes choose what to exercise and its
 * parameters; the rest is the input:
 *   byte 0: mode      byte 1: parameter (bit width, codec, value width ...)
 *   bytes 2-3: little-endian count (values to decode / output size), so
 *   every allocation is bounded.
 * Decoder modes feed the bytes to a decoder and only require "no crash, no
 * out-of-bounds access, sane status". Round-trip modes use the bytes as values
 * for an encoder or compressor and abort() if decoding does not give them back.
 *
 * Build (see the report of the encodings work; not part of `make all`):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     fuzz/fuzz_decoders.c src/util/util.c src/parquet/pq_enc.c src/parquet/pq_codec.c \
 *     -lzstd -lsnappy -lz -llz4 -lbrotlienc -lbrotlidec -lxxhash -lcrypto -lm
 */
#include "parquet/pq_codec.h"
#include "parquet/pq_enc.h"
#include "parquet/pq_meta.h"

#include <stdio.h>
#include <stdlib.h>

int pq_delta_byte_array_decode_limit(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                                     uint64_t *offsets, uint64_t max_bytes, ls_error *err);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                              \
    do {                                                                                        \
        if (!(c)) {                                                                             \
            fprintf(stderr, "fuzz_decoders: check failed: %s (line %d)\n", #c, __LINE__);      \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

static void status_ok(int rc)
{
    REQUIRE(rc == LS_OK || rc == LS_ERR_CORRUPT || rc == LS_ERR_LIMIT ||
            rc == LS_ERR_UNSUPPORTED);
}

/* one context for the whole run: decompression state must survive garbage */
static pq_codec_ctx *ctx;

static void decode_modes(int mode, uint8_t prm, size_t cnt, const uint8_t *p, size_t n)
{
    ls_error err;
    switch (mode) {
    case 0: { /* hybrid, u8 levels */
        uint8_t *o = malloc(cnt + 1);
        status_ok(pq_rle_decode_u8(p, n, prm % 10, (uint8_t)(prm * 37), o, cnt, &err));
        free(o);
        break;
    }
    case 1: { /* hybrid, u32 indices */
        uint32_t *o = malloc((cnt + 1) * sizeof(uint32_t));
        status_ok(pq_rle_decode_u32(p, n, prm % 34, o, cnt, &err));
        free(o);
        break;
    }
    case 2: {
        uint8_t *o = malloc(cnt + 1);
        status_ok(pq_bitpacked_legacy_decode_u8(p, n, prm % 10, (uint8_t)(prm * 37), o, cnt, &err));
        free(o);
        break;
    }
    case 3: {
        uint8_t *o = malloc(cnt + 1);
        int rc = pq_plain_decode_bool(p, n, o, cnt, &err);
        status_ok(rc);
        if (rc == 0)
            for (size_t i = 0; i < cnt; i++)
                REQUIRE(o[i] <= 1);
        free(o);
        break;
    }
    case 4: {
        int32_t *o = malloc((cnt + 1) * sizeof(int32_t));
        size_t used = 0;
        int rc = pq_delta_decode_i32(p, n, o, cnt, &used, &err);
        status_ok(rc);
        if (rc == 0)
            REQUIRE(used <= n);
        free(o);
        break;
    }
    case 5: {
        int64_t *o = malloc((cnt + 1) * sizeof(int64_t));
        size_t used = 0;
        int rc = pq_delta_decode_i64(p, n, o, cnt, &used, &err);
        status_ok(rc);
        if (rc == 0)
            REQUIRE(used <= n);
        free(o);
        break;
    }
    case 6:
    case 7: {
        uint64_t *o = malloc((cnt + 1) * sizeof(uint64_t));
        ls_buf bytes = {0};
        if (prm & 1)
            ls_buf_puts(&bytes, "prefix");
        size_t base = bytes.len;
        int rc = mode == 6 ? pq_delta_length_decode(p, n, cnt, &bytes, o, &err)
                           : pq_delta_byte_array_decode_limit(p, n, cnt, &bytes, o, 1 << 24, &err);
        status_ok(rc);
        if (rc == 0) {
            REQUIRE(o[0] == base && o[cnt] == bytes.len);
            for (size_t i = 0; i < cnt; i++)
                REQUIRE(o[i] <= o[i + 1]);
        }
        ls_buf_free(&bytes);
        free(o);
        break;
    }
    case 8: {
        size_t w = (size_t)(prm % 17);
        uint8_t *o = malloc(cnt * (w ? w : 1) + 1);
        status_ok(pq_bss_decode(p, n, w, cnt, o, &err));
        free(o);
        break;
    }
    case 9: { /* decompress with every codec id, exact output size */
        int codec = prm % 9;
        size_t dst_len = cnt * (size_t)(1 + (prm >> 4));
        uint8_t *o = malloc(dst_len ? dst_len : 1);
        int rc = pq_decompress(ctx, codec, p, n, dst_len ? o : NULL, dst_len, &err);
        status_ok(rc);
        free(o);
        break;
    }
    default:
        break;
    }
}

static void roundtrip_modes(int mode, uint8_t prm, size_t cnt, const uint8_t *p, size_t n)
{
    ls_error err;
    ls_buf enc = {0};
    switch (mode) {
    case 10: { /* hybrid u8: values from the input, masked to the width */
        int w = prm % 9;
        uint8_t mask = (uint8_t)((1u << w) - 1);
        uint8_t *v = calloc(n + 1, 1), *o = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            v[i] = p[i] & mask;
        pq_rle_encode_u8(&enc, w, v, n);
        REQUIRE(pq_rle_decode_u8(enc.data, enc.len, w, mask, o, n, &err) == 0);
        REQUIRE(n == 0 || memcmp(o, v, n) == 0);
        free(v);
        free(o);
        break;
    }
    case 11: { /* hybrid u32 */
        int w = prm % 33;
        uint32_t mask = w == 32 ? 0xffffffffu : ((1u << w) - 1);
        size_t k = n / 2;
        uint32_t *v = calloc(k + 1, 4), *o = malloc((k + 1) * 4);
        /* 2 bytes per value, widened by the parameter so long runs stay likely */
        for (size_t i = 0; i < k; i++)
            v[i] = ((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8) * (prm | 1u) & mask;
        pq_rle_encode_u32(&enc, w, v, k);
        REQUIRE(pq_rle_decode_u32(enc.data, enc.len, w, o, k, &err) == 0);
        REQUIRE(k == 0 || memcmp(o, v, k * 4) == 0);
        free(v);
        free(o);
        break;
    }
    case 12: { /* DELTA_BINARY_PACKED i64 */
        size_t k = n / 8;
        int64_t *v = calloc(k + 1, 8), *o = malloc((k + 1) * 8);
        for (size_t i = 0; i < k; i++)
            v[i] = (int64_t)(ls_load_u64le(p + 8 * i) >> (prm % 64));
        pq_delta_encode_i64(&enc, v, k);
        size_t used = 0;
        REQUIRE(pq_delta_decode_i64(enc.data, enc.len, o, k, &used, &err) == 0);
        REQUIRE(used == enc.len && (k == 0 || memcmp(o, v, k * 8) == 0));
        free(v);
        free(o);
        break;
    }
    case 13:
    case 14: { /* DLBA / DBA: strings split at bytes equal to the parameter */
        uint64_t *offs = malloc((n + 2) * 8), *o = malloc((n + 2) * 8);
        size_t k = 0;
        offs[0] = 0;
        for (size_t i = 0; i < n; i++)
            if (p[i] == prm)
                offs[++k] = i;
        offs[++k] = n;
        if (mode == 13)
            pq_delta_length_encode(&enc, p, offs, k);
        else
            pq_delta_byte_array_encode(&enc, p, offs, k);
        ls_buf bytes = {0};
        int rc = mode == 13 ? pq_delta_length_decode(enc.data, enc.len, k, &bytes, o, &err)
                            : pq_delta_byte_array_decode(enc.data, enc.len, k, &bytes, o, &err);
        REQUIRE(rc == 0);
        REQUIRE(bytes.len == n && (n == 0 || memcmp(bytes.data, p, n) == 0));
        for (size_t i = 0; i <= k; i++)
            REQUIRE(o[i] == offs[i]);
        ls_buf_free(&bytes);
        free(offs);
        free(o);
        break;
    }
    case 15: { /* BYTE_STREAM_SPLIT */
        size_t w = 1 + prm % 16, k = n / w;
        uint8_t *o = malloc(k * w + 1);
        pq_bss_encode(&enc, p, w, k);
        REQUIRE(pq_bss_decode(enc.data, enc.len, w, k, o, &err) == 0);
        REQUIRE(k == 0 || memcmp(o, p, k * w) == 0);
        free(o);
        break;
    }
    case 16: { /* PLAIN booleans */
        uint8_t *v = calloc(n + 1, 1), *o = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            v[i] = p[i] & 1;
        pq_plain_encode_bool(&enc, v, n);
        REQUIRE(pq_plain_decode_bool(enc.data, enc.len, o, n, &err) == 0);
        REQUIRE(n == 0 || memcmp(o, v, n) == 0);
        free(v);
        free(o);
        break;
    }
    case 17: { /* compress + decompress with each writable codec */
        static const int codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,
                                     PQ_CODEC_ZSTD,         PQ_CODEC_LZ4_RAW, PQ_CODEC_BROTLI};
        int codec = codecs[prm % 6];
        int level = codec == PQ_CODEC_BROTLI || codec == PQ_CODEC_GZIP ? 1 + (prm >> 4) % 9
                                                                         : (prm >> 4) % 4;
        REQUIRE(pq_compress(ctx, codec, level, p, n, &enc, &err) == 0);
        uint8_t *o = malloc(n + 1);
        REQUIRE(pq_decompress(ctx, codec, enc.data, enc.len, n ? o : NULL, n, &err) == 0);
        REQUIRE(n == 0 || memcmp(o, p, n) == 0);
        if (n > 0)
            REQUIRE(pq_decompress(ctx, codec, enc.data, enc.len, o, n - 1, &err) ==
                    LS_ERR_CORRUPT);
        free(o);
        break;
    }
    default:
        break;
    }
    ls_buf_free(&enc);
    (void)cnt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (!ctx)
        ctx = pq_codec_ctx_new();
    int mode = data[0] % 18;
    uint8_t prm = data[1];
    size_t cnt = (size_t)data[2] | (size_t)data[3] << 8;
    const uint8_t *p = data + 4;
    size_t n = size - 4;
    if (mode < 10)
        decode_modes(mode, prm, cnt, p, n);
    else
        roundtrip_modes(mode, prm, cnt, p, n);
    return 0;
}
