/*
 * pq_codec.h - page compression codecs: UNCOMPRESSED, SNAPPY, GZIP (incl.
 * concatenated members on read), ZSTD, LZ4_RAW, LZ4 (Hadoop framing with raw
 * fallback, read only), BROTLI. Compression.md in apache/parquet-format.
 *
 * A pq_codec_ctx keeps reusable library contexts (ZSTD_CCtx/DCtx, z_stream)
 * so the hot path does not allocate per page. One context per thread.
 * Private to src/parquet.
 */
#ifndef LS_PQ_CODEC_H
#define LS_PQ_CODEC_H

#include "../util/util.h"

typedef struct pq_codec_ctx pq_codec_ctx;

pq_codec_ctx *pq_codec_ctx_new(void);
void pq_codec_ctx_free(pq_codec_ctx *c);

/* Appends the compressed form of src to out. codec is enum pq_codec; level 0 = codec
 * default (ZSTD: 1? see pq_codec.c; GZIP: 6). Writers support UNCOMPRESSED, SNAPPY, GZIP,
 * ZSTD, LZ4_RAW, BROTLI; LZ4 (5) and LZO are refused with LS_ERR_UNSUPPORTED. */
int pq_compress(pq_codec_ctx *c, int codec, int level, const uint8_t *src, size_t n, ls_buf *out,
                ls_error *err);

/* An upper bound of pq_compress's output size for n input bytes (SIZE_MAX if n is too
 * large for the codec), so a caller can reserve the space up front. */
size_t pq_compress_bound(int codec, size_t n);

/* Decompresses src into dst, which must become exactly dst_len bytes (the page header's
 * uncompressed size); a different size is LS_ERR_CORRUPT. Never writes past dst_len.
 * LZO is LS_ERR_UNSUPPORTED. */
int pq_decompress(pq_codec_ctx *c, int codec, const uint8_t *src, size_t n, uint8_t *dst,
                  size_t dst_len, ls_error *err);

/* Parses a codec name ("zstd", "snappy", "gzip", "none"/"uncompressed", "lz4_raw",
 * "brotli"); returns -1 if unknown. */
int pq_codec_from_name(const char *name);

#endif
