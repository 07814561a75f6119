/*
 * pq_enc.h - Parquet value and level encodings (Encodings.md in
 * apache/parquet-format): RLE/bit-packed hybrid, bit-packing, PLAIN helpers,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT. Encoders append to an ls_buf; decoders never read past
 * the input they are given and fail with LS_ERR_CORRUPT naming the problem.
 *
 * Private to src/parquet.
 */
#ifndef LS_PQ_ENC_H
#define LS_PQ_ENC_H

#include "../util/util.h"

/* ---- RLE / bit-packed hybrid (no length prefix; callers add it) ---------- */

/* Encodes n values of bit_width bits (0..32). Chooses RLE runs for repeats long enough
 * to be smaller than packing them (8 values from width 3 up, 12 at width 2, 24 at
 * width 1) and bit-packed groups otherwise. */
void pq_rle_encode_u8(ls_buf *out, int bit_width, const uint8_t *vals, size_t n);
void pq_rle_encode_u32(ls_buf *out, int bit_width, const uint32_t *vals, size_t n);

/* Decodes exactly count values. Fails if the input ends first, a run header is
 * malformed, or (u8 variant) a value exceeds max_value. Trailing input is ignored. */
int pq_rle_decode_u8(const uint8_t *p, size_t n, int bit_width, uint8_t max_value, uint8_t *out,
                     size_t count, ls_error *err);
int pq_rle_decode_u32(const uint8_t *p, size_t n, int bit_width, uint32_t *out, size_t count,
                      ls_error *err);

/* Legacy BIT_PACKED level encoding (MSB-first, deprecated): count values. */
int pq_bitpacked_legacy_decode_u8(const uint8_t *p, size_t n, int bit_width, uint8_t max_value,
                                  uint8_t *out, size_t count, ls_error *err);

/* PLAIN booleans: LSB-first bit-packing of 0/1 bytes. */
void pq_plain_encode_bool(ls_buf *out, const uint8_t *vals, size_t n);
int pq_plain_decode_bool(const uint8_t *p, size_t n, uint8_t *out, size_t count, ls_error *err);

/* ---- DELTA_BINARY_PACKED ------------------------------------------------ */
/* Decode count values; *consumed = bytes used (DELTA_LENGTH needs it). */
int pq_delta_decode_i32(const uint8_t *p, size_t n, int32_t *out, size_t count, size_t *consumed,
                        ls_error *err);
int pq_delta_decode_i64(const uint8_t *p, size_t n, int64_t *out, size_t count, size_t *consumed,
                        ls_error *err);
/* Encoder (block 128, 4 miniblocks), for tests and future writer use. */
void pq_delta_encode_i64(ls_buf *out, const int64_t *vals, size_t n);

/* ---- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY --------------------------
 * Decode count byte arrays: appends payload to *bytes and writes count+1 offsets
 * (offsets[0] = bytes->len at entry, relative to bytes->data). */
int pq_delta_length_decode(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                           uint64_t *offsets, ls_error *err);
int pq_delta_byte_array_decode(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                               uint64_t *offsets, ls_error *err);
/* Same as pq_delta_byte_array_decode with an explicit cap on the decoded bytes
 * (shared prefixes can expand a tiny page enormously): LS_ERR_LIMIT beyond it. */
int pq_delta_byte_array_decode_limit(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                                     uint64_t *offsets, uint64_t max_bytes, ls_error *err);
void pq_delta_length_encode(ls_buf *out, const uint8_t *data, const uint64_t *offsets, size_t n);
void pq_delta_byte_array_encode(ls_buf *out, const uint8_t *data, const uint64_t *offsets,
                                size_t n);

/* ---- BYTE_STREAM_SPLIT (width 2,4,8 or FLBA width) ----------------------- */
int pq_bss_decode(const uint8_t *p, size_t n, size_t width, size_t count, uint8_t *out,
                  ls_error *err);
void pq_bss_encode(ls_buf *out, const uint8_t *vals, size_t width, size_t count);

#endif
