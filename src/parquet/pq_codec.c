/*
 * pq_codec.c - Parquet page compression (Compression.md of
 * apache/parquet-format) on top of the system libraries: snappy-c, zlib,
 * libzstd, liblz4 and libbrotli.
 *
 * A pq_codec_ctx caches the expensive library state (ZSTD contexts, zlib
 * streams) so compressing or decompressing a page allocates nothing after
 * warm-up. Decompression is exact: the output must be precisely the size the
 * page header promised, never more (the libraries are given a buffer of
 * exactly dst_len bytes) and never less.
 *
 * Defaults (level 0):
 *   ZSTD   level 1  - about twice as fast as level 3 on encoded pages with a
 *                     small size cost; this is the ingest hot path.
 *   GZIP   level 6  - zlib's own default; gzip is chosen for reach, not speed.
 *   BROTLI quality 3 - qualities >= 5 switch to slower block splitting and
 *                     drop to tens of MB/s; 1-3 stay in zstd's speed class and
 *                     3 gives noticeably better ratios than 1 (measured in
 *                     tests/parquet/test_codec.c, see its NOTE lines).
 */
#include "pq_codec.h"
#include "pq_meta.h"

#include <limits.h>
#include <stdlib.h>

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#define PQ_ZSTD_DEFAULT_LEVEL 1
#define PQ_GZIP_DEFAULT_LEVEL 6
#define PQ_BROTLI_DEFAULT_QUALITY 3

struct pq_codec_ctx {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    z_stream def; /* gzip writer, valid when def_level != 0 */
    int def_level;
    z_stream inf; /* gzip/zlib/raw-deflate reader, valid when inf_ready */
    bool inf_ready;
};

pq_codec_ctx *pq_codec_ctx_new(void)
{
    pq_codec_ctx *c = ls_xcalloc(1, sizeof(*c));
    return c;
}

void pq_codec_ctx_free(pq_codec_ctx *c)
{
    if (!c)
        return;
    ZSTD_freeCCtx(c->zc);
    ZSTD_freeDCtx(c->zd);
    if (c->def_level)
        deflateEnd(&c->def);
    if (c->inf_ready)
        inflateEnd(&c->inf);
    free(c);
}

static const char *codec_name(int codec)
{
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED: return "UNCOMPRESSED";
    case PQ_CODEC_SNAPPY: return "SNAPPY";
    case PQ_CODEC_GZIP: return "GZIP";
    case PQ_CODEC_LZO: return "LZO";
    case PQ_CODEC_BROTLI: return "BROTLI";
    case PQ_CODEC_LZ4: return "LZ4";
    case PQ_CODEC_ZSTD: return "ZSTD";
    case PQ_CODEC_LZ4_RAW: return "LZ4_RAW";
    default: return "unknown";
    }
}

int pq_codec_from_name(const char *name)
{
    static const struct {
        const char *name;
        int codec;
    } names[] = {
        {"none", PQ_CODEC_UNCOMPRESSED}, {"uncompressed", PQ_CODEC_UNCOMPRESSED},
        {"snappy", PQ_CODEC_SNAPPY},     {"gzip", PQ_CODEC_GZIP},
        {"lzo", PQ_CODEC_LZO},           {"brotli", PQ_CODEC_BROTLI},
        {"lz4", PQ_CODEC_LZ4},           {"zstd", PQ_CODEC_ZSTD},
        {"lz4_raw", PQ_CODEC_LZ4_RAW},   {"lz4raw", PQ_CODEC_LZ4_RAW},
    };
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (ls_str_ieq(name, names[i].name))
            return names[i].codec;
    return -1;
}

/* ---- compression ------------------------------------------------------------ */

static int gzip_compress(pq_codec_ctx *c, int level, const uint8_t *src, size_t n, ls_buf *out,
                         ls_error *err)
{
    if (level < 1 || level > 9)
        return ls_err(err, LS_ERR_INVALID, "GZIP: level %d is out of range 1..9", level);
    if (c->def_level != level) {
        if (c->def_level)
            deflateEnd(&c->def);
        c->def_level = 0;
        memset(&c->def, 0, sizeof(c->def));
        /* windowBits 15 + 16: RFC 1952 gzip wrapper, as Compression.md requires */
        if (deflateInit2(&c->def, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return ls_err(err, LS_ERR_INVALID, "GZIP: deflateInit2 failed");
        c->def_level = level;
    } else if (deflateReset(&c->def) != Z_OK) {
        return ls_err(err, LS_ERR_INVALID, "GZIP: deflateReset failed");
    }
    z_stream *z = &c->def;
    uLong bound = deflateBound(z, n > ULONG_MAX ? ULONG_MAX : (uLong)n);
    ls_buf_reserve(out, bound + 64);
    z->next_in = (Bytef *)(uintptr_t)src;
    size_t in_left = n;
    int ret;
    do {
        /* zlib counts in 32-bit uInt: feed huge pages in slices */
        if (z->avail_in == 0 && in_left > 0) {
            uInt k = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            z->avail_in = k;
            in_left -= k;
        }
        if (out->cap - out->len < 64)
            ls_buf_reserve(out, out->cap / 2 + 64);
        size_t room = out->cap - out->len;
        uInt ao = room > UINT_MAX ? UINT_MAX : (uInt)room;
        z->next_out = out->data + out->len;
        z->avail_out = ao;
        ret = deflate(z, in_left ? Z_NO_FLUSH : Z_FINISH);
        out->len += ao - z->avail_out;
        if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
            return ls_err(err, LS_ERR_INVALID, "GZIP: deflate failed (%d)", ret);
    } while (ret != Z_STREAM_END);
    return LS_OK;
}

int pq_compress(pq_codec_ctx *c, int codec, int level, const uint8_t *src, size_t n, ls_buf *out,
                ls_error *err)
{
    static const uint8_t empty[1];
    if (!src)
        src = empty; /* libraries want a valid pointer even for 0 bytes */
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        ls_buf_append(out, src, n);
        return LS_OK;
    case PQ_CODEC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        ls_buf_reserve(out, cap);
        size_t len = cap;
        if (snappy_compress((const char *)src, n, (char *)out->data + out->len, &len) != SNAPPY_OK)
            return ls_err(err, LS_ERR_INVALID, "SNAPPY: compression of %zu bytes failed", n);
        out->len += len;
        return LS_OK;
    }
    case PQ_CODEC_GZIP:
        return gzip_compress(c, level ? level : PQ_GZIP_DEFAULT_LEVEL, src, n, out, err);
    case PQ_CODEC_ZSTD: {
        if (!c->zc && !(c->zc = ZSTD_createCCtx()))
            ls_oom(sizeof(void *));
        size_t cap = ZSTD_compressBound(n);
        if (ZSTD_isError(cap))
            return ls_err(err, LS_ERR_LIMIT, "ZSTD: %zu bytes is too large to compress", n);
        ls_buf_reserve(out, cap);
        /* one-shot: the frame records the content size */
        size_t r = ZSTD_compressCCtx(c->zc, out->data + out->len, cap, src, n,
                                     level ? level : PQ_ZSTD_DEFAULT_LEVEL);
        if (ZSTD_isError(r))
            return ls_err(err, LS_ERR_INVALID, "ZSTD: compression failed: %s",
                          ZSTD_getErrorName(r));
        out->len += r;
        return LS_OK;
    }
    case PQ_CODEC_LZ4_RAW: {
        if (n > LZ4_MAX_INPUT_SIZE)
            return ls_err(err, LS_ERR_LIMIT, "LZ4_RAW: %zu bytes exceed the LZ4 block limit %d", n,
                          LZ4_MAX_INPUT_SIZE);
        int cap = LZ4_compressBound((int)n);
        ls_buf_reserve(out, (size_t)cap);
        int r = LZ4_compress_default((const char *)src, (char *)out->data + out->len, (int)n, cap);
        if (r <= 0)
            return ls_err(err, LS_ERR_INVALID, "LZ4_RAW: compression of %zu bytes failed", n);
        out->len += (size_t)r;
        return LS_OK;
    }
    case PQ_CODEC_BROTLI: {
        int q = level ? level : PQ_BROTLI_DEFAULT_QUALITY;
        if (q < BROTLI_MIN_QUALITY || q > BROTLI_MAX_QUALITY)
            return ls_err(err, LS_ERR_INVALID, "BROTLI: quality %d is out of range %d..%d", q,
                          BROTLI_MIN_QUALITY, BROTLI_MAX_QUALITY);
        size_t cap = BrotliEncoderMaxCompressedSize(n);
        if (cap == 0)
            return ls_err(err, LS_ERR_LIMIT, "BROTLI: %zu bytes is too large to compress", n);
        ls_buf_reserve(out, cap);
        size_t len = cap;
        if (!BrotliEncoderCompress(q, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n, src, &len,
                                   out->data + out->len))
            return ls_err(err, LS_ERR_INVALID, "BROTLI: compression of %zu bytes failed", n);
        out->len += len;
        return LS_OK;
    }
    case PQ_CODEC_LZ4:
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "codec LZ4 (Hadoop-framed) is deprecated and not written; use LZ4_RAW");
    case PQ_CODEC_LZO:
        return ls_err(err, LS_ERR_UNSUPPORTED, "codec LZO is not supported");
    default:
        return ls_err(err, LS_ERR_UNSUPPORTED, "unknown compression codec %d", codec);
    }
}

size_t pq_compress_bound(int codec, size_t n)
{
    switch (codec) {
    case PQ_CODEC_SNAPPY: return snappy_max_compressed_length(n);
    case PQ_CODEC_ZSTD: {
        size_t b = ZSTD_compressBound(n);
        return ZSTD_isError(b) ? SIZE_MAX : b;
    }
    case PQ_CODEC_LZ4_RAW:
        return n > LZ4_MAX_INPUT_SIZE ? SIZE_MAX : (size_t)LZ4_compressBound((int)n);
    case PQ_CODEC_BROTLI: {
        size_t b = BrotliEncoderMaxCompressedSize(n);
        return b ? b : SIZE_MAX;
    }
    case PQ_CODEC_GZIP: /* deflate's bound plus the gzip header and trailer */
        return n > (SIZE_MAX - 64) / 2 ? SIZE_MAX : (size_t)compressBound((uLong)n) + 64;
    default: return n;
    }
}

/* ---- decompression ----------------------------------------------------------- */

static int size_mismatch(ls_error *err, int codec, size_t got, size_t want)
{
    return ls_err(err, LS_ERR_CORRUPT,
                  "%s: page decompresses to %zu bytes, header says %zu", codec_name(codec), got,
                  want);
}

/* Inflates a sequence of gzip members (zlib streams, or one raw deflate stream,
 * are accepted too) into exactly dst_len bytes. */
static int gzip_decompress(pq_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst,
                           size_t dst_len, ls_error *err)
{
    z_stream *z = &c->inf;
    if (!c->inf_ready) {
        memset(z, 0, sizeof(*z));
        if (inflateInit2(z, 15 + 32) != Z_OK)
            return ls_err(err, LS_ERR_INVALID, "GZIP: inflateInit2 failed");
        c->inf_ready = true;
    }
    size_t in_pos = 0, out_pos = 0;
    int member = 0;
    for (;;) {
        /* choose the wrapper of this member: gzip (1f 8b), zlib (RFC 1950 header
         * check) or, failing both, raw deflate */
        int wbits = 15 + 32;
        const uint8_t *q = src + in_pos;
        size_t left = n - in_pos;
        bool is_gzip = left >= 2 && q[0] == 0x1f && q[1] == 0x8b;
        bool is_zlib = left >= 2 && (q[0] & 0x0f) == 8 && (q[0] >> 4) <= 7 &&
                       ((unsigned)q[0] << 8 | q[1]) % 31 == 0;
        if (!is_gzip && !is_zlib)
            wbits = -15;
        if (inflateReset2(z, wbits) != Z_OK)
            return ls_err(err, LS_ERR_INVALID, "GZIP: inflateReset2 failed");
        int ret;
        for (;;) {
            size_t il = n - in_pos, ol = dst_len - out_pos;
            uInt ai = il > UINT_MAX ? UINT_MAX : (uInt)il;
            uInt ao = ol > UINT_MAX ? UINT_MAX : (uInt)ol;
            uint8_t dummy;
            z->next_in = (Bytef *)(uintptr_t)(src + in_pos);
            z->avail_in = ai;
            z->next_out = ao ? dst + out_pos : &dummy;
            z->avail_out = ao;
            ret = inflate(z, Z_NO_FLUSH);
            in_pos += ai - z->avail_in;
            out_pos += ao - z->avail_out;
            if (ret == Z_STREAM_END)
                break;
            if (ret == Z_OK && (ai != z->avail_in || ao != z->avail_out))
                continue; /* progress; slices of > 4 GiB also land here */
            if (ret == Z_BUF_ERROR || ret == Z_OK) {
                if (out_pos == dst_len && in_pos < n)
                    return ls_err(err, LS_ERR_CORRUPT,
                                  "GZIP: page decompresses to more than the %zu bytes the header "
                                  "says",
                                  dst_len);
                return ls_err(err, LS_ERR_CORRUPT,
                              "GZIP: member %d is truncated after %zu of %zu input bytes "
                              "(%zu of %zu output bytes)",
                              member, in_pos, n, out_pos, dst_len);
            }
            return ls_err(err, LS_ERR_CORRUPT,
                          "GZIP: member %d is corrupt at input byte %zu: %s", member, in_pos,
                          z->msg ? z->msg : "inflate error");
        }
        member++;
        if (in_pos >= n)
            break;
        /* more input: another member (Compression.md: readers should accept
         * concatenated members); anything else after a complete page is
         * tolerated as trailing padding, as gzip(1) does */
        bool next_gzip = n - in_pos >= 2 && src[in_pos] == 0x1f && src[in_pos + 1] == 0x8b;
        if (!next_gzip) {
            if (out_pos == dst_len)
                break;
            return ls_err(err, LS_ERR_CORRUPT,
                          "GZIP: member %d ends at input byte %zu with %zu of %zu output bytes "
                          "and no gzip member follows",
                          member - 1, in_pos, out_pos, dst_len);
        }
    }
    if (out_pos != dst_len)
        return size_mismatch(err, PQ_CODEC_GZIP, out_pos, dst_len);
    return LS_OK;
}

static inline uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop BlockCompressorStream framing, as parquet-mr's LZ4 codec writes it:
 * repeated [BE32 uncompressed length] followed by one or more
 * [BE32 compressed length][LZ4 block] until that many bytes are produced.
 * Returns true only if the framing accounts for every input and output byte. */
static bool lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    size_t pos = 0, out = 0;
    if (n == 0)
        return false;
    while (pos < n) {
        if (n - pos < 8)
            return false;
        uint32_t ulen = load_be32(src + pos);
        pos += 4;
        if (ulen > dst_len - out)
            return false;
        size_t end = out + ulen;
        do {
            if (n - pos < 4)
                return false;
            uint32_t clen = load_be32(src + pos);
            pos += 4;
            if (clen > n - pos || clen > INT_MAX || clen == 0)
                return false;
            size_t room = end - out;
            int r = LZ4_decompress_safe((const char *)src + pos, (char *)dst + out, (int)clen,
                                        room > INT_MAX ? INT_MAX : (int)room);
            if (r < 0)
                return false;
            out += (size_t)r;
            pos += clen;
        } while (out < end);
    }
    return out == dst_len;
}

static int lz4_block(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                     ls_error *err)
{
    if (n > INT_MAX || dst_len > INT_MAX)
        return ls_err(err, LS_ERR_LIMIT, "%s: block of %zu -> %zu bytes exceeds the LZ4 limit",
                      codec_name(codec), n, dst_len);
    uint8_t dummy;
    int r = LZ4_decompress_safe((const char *)src, dst_len ? (char *)dst : (char *)&dummy,
                                (int)n, (int)dst_len);
    if (r < 0)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: corrupt LZ4 block (%zu bytes) or output larger than %zu bytes",
                      codec_name(codec), n, dst_len);
    if ((size_t)r != dst_len)
        return size_mismatch(err, codec, (size_t)r, dst_len);
    return LS_OK;
}

int pq_decompress(pq_codec_ctx *c, int codec, const uint8_t *src, size_t n, uint8_t *dst,
                  size_t dst_len, ls_error *err)
{
    static const uint8_t empty[1];
    if (!src)
        src = empty;
    if (n == 0) {
        /* libraries reject empty input; an empty page section is just empty */
        if (codec < 0 || codec > PQ_CODEC_LZ4_RAW)
            return ls_err(err, LS_ERR_UNSUPPORTED, "unknown compression codec %d", codec);
        if (codec == PQ_CODEC_LZO)
            return ls_err(err, LS_ERR_UNSUPPORTED, "codec LZO is not supported");
        if (dst_len != 0)
            return size_mismatch(err, codec, 0, dst_len);
        return LS_OK;
    }
    uint8_t dummy[1];
    uint8_t *d = dst_len ? dst : dummy; /* some libraries dislike NULL even for 0 bytes */
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (n != dst_len)
            return size_mismatch(err, codec, n, dst_len);
        memcpy(d, src, n);
        return LS_OK;
    case PQ_CODEC_SNAPPY: {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK)
            return ls_err(err, LS_ERR_CORRUPT, "SNAPPY: bad length header (%zu input bytes)", n);
        if (ulen != dst_len)
            return size_mismatch(err, codec, ulen, dst_len);
        /* snappy_uncompress bounds-checks every copy against the output it is given */
        size_t len = dst_len;
        if (snappy_uncompress((const char *)src, n, (char *)d, &len) != SNAPPY_OK)
            return ls_err(err, LS_ERR_CORRUPT, "SNAPPY: corrupt input (%zu bytes)", n);
        if (len != dst_len)
            return size_mismatch(err, codec, len, dst_len);
        return LS_OK;
    }
    case PQ_CODEC_GZIP:
        return gzip_decompress(c, src, n, d, dst_len, err);
    case PQ_CODEC_ZSTD: {
        if (!c->zd && !(c->zd = ZSTD_createDCtx()))
            ls_oom(sizeof(void *));
        /* decodes every frame in src; fails if dst is too small */
        size_t r = ZSTD_decompressDCtx(c->zd, d, dst_len, src, n);
        if (ZSTD_isError(r))
            return ls_err(err, LS_ERR_CORRUPT, "ZSTD: %s (%zu input bytes, %zu expected out)",
                          ZSTD_getErrorName(r), n, dst_len);
        if (r != dst_len)
            return size_mismatch(err, codec, r, dst_len);
        return LS_OK;
    }
    case PQ_CODEC_LZ4_RAW:
        return lz4_block(codec, src, n, d, dst_len, err);
    case PQ_CODEC_LZ4:
        /* parquet-mr frames blocks Hadoop-style; old parquet-cpp wrote raw
         * blocks under the same codec id, so fall back when the framing does
         * not account for the page exactly */
        if (lz4_hadoop(src, n, d, dst_len))
            return LS_OK;
        return lz4_block(codec, src, n, d, dst_len, err);
    case PQ_CODEC_BROTLI: {
        BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
        if (!s)
            ls_oom(sizeof(void *));
        size_t ai = n, ao = dst_len;
        const uint8_t *ni = src;
        uint8_t *no = d;
        BrotliDecoderResult r = BrotliDecoderDecompressStream(s, &ai, &ni, &ao, &no, NULL);
        const char *msg = r == BROTLI_DECODER_RESULT_ERROR
                              ? BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s))
                              : NULL;
        BrotliDecoderDestroyInstance(s);
        if (r == BROTLI_DECODER_RESULT_SUCCESS) {
            if (ao != 0)
                return size_mismatch(err, codec, dst_len - ao, dst_len);
            return LS_OK;
        }
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
            return ls_err(err, LS_ERR_CORRUPT,
                          "BROTLI: page decompresses to more than the %zu bytes the header says",
                          dst_len);
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
            return ls_err(err, LS_ERR_CORRUPT,
                          "BROTLI: truncated stream (%zu input bytes, %zu of %zu output bytes)", n,
                          dst_len - ao, dst_len);
        return ls_err(err, LS_ERR_CORRUPT, "BROTLI: corrupt stream: %s",
                      msg ? msg : "decoder error");
    }
    case PQ_CODEC_LZO:
        return ls_err(err, LS_ERR_UNSUPPORTED, "codec LZO is not supported");
    default:
        return ls_err(err, LS_ERR_UNSUPPORTED, "unknown compression codec %d", codec);
    }
}
