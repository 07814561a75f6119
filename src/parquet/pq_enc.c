/*
 * pq_enc.c - Parquet value and level encodings (Encodings.md of
 * apache/parquet-format): the RLE/bit-packed hybrid (levels, dictionary
 * indices, RLE booleans), legacy MSB-first BIT_PACKED levels, PLAIN booleans,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT.
 *
 * Design notes:
 *   - Bit-packing works on groups of 8 values (a group of width w is exactly
 *     w bytes). Packing and unpacking are written once as always-inline
 *     functions of a constant width and instantiated per width through a
 *     switch, so every width gets straight-line shift/mask code.
 *   - The unpackers read whole 64-bit words; they only do so when at least 8
 *     bytes of slack follow the group in the caller's input. Groups near the
 *     end of the input are first copied into a zero-padded scratch buffer, so
 *     a decoder never reads past the bytes it was given.
 *   - The hybrid encoder does not run a per-value state machine. For uint8
 *     levels it builds 64-bit "equal to the next value" masks eight bytes at a
 *     time (SWAR) and finds runs with shifts and ctz; for uint32 dictionary
 *     indices it probes every 4th value (any run of >= 8 contains some probed
 *     i with v[i] == v[i+4]). Candidate runs are measured with word-at-a-time
 *     scans, so all-equal levels cost a memcmp-like pass and random indices
 *     one compare per 4 values plus packing. Runs of >= 8 become RLE runs
 *     (>= 12 at width 2 and >= 24 at width 1, where shorter RLE runs would be
 *     larger than the bits they replace).
 *   - DELTA_BINARY_PACKED arithmetic is done in uint64_t (wrap-around is part
 *     of the format and signed overflow would be undefined behaviour).
 */
#include "pq_enc.h"

#include <stdlib.h>

#define PQ_INLINE static inline __attribute__((always_inline))

/* Spec limit for both run kinds: run length in [1, 2^31 - 1] values. */
#define RLE_MAX_RUN 0x7fffffffu
/* Bit-packed runs are emitted in chunks of at most this many groups (2^31 - 8 values). */
#define BP_MAX_GROUPS (RLE_MAX_RUN / 8)
/* Default expansion limit of DELTA_BYTE_ARRAY (prefix sharing can blow a tiny page up). */
#define DBA_DEFAULT_MAX_BYTES ((uint64_t)1 << 30)

/* Stand-in for a NULL input of length 0 (pointer arithmetic on NULL is undefined). */
static const uint8_t no_bytes[8];
#define FIX_NULL(p) ((p) ? (p) : no_bytes)

/* ---- varints --------------------------------------------------------------- */

static inline void put_uleb(ls_buf *b, uint64_t v)
{
    uint8_t t[10];
    size_t k = 0;
    while (v >= 0x80) {
        t[k++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[k++] = (uint8_t)v;
    ls_buf_append(b, t, k);
}

/* Returns the number of bytes used, 0 if the input ends first or the varint
 * does not fit 64 bits. */
static inline size_t get_uleb(const uint8_t *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 10; i++) {
        uint8_t c = p[i];
        if (i == 9 && c > 1)
            return 0;
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

static inline uint64_t zigzag_enc(uint64_t x) { return (x << 1) ^ (0 - (x >> 63)); }
static inline uint64_t zigzag_dec(uint64_t u) { return (u >> 1) ^ (0 - (u & 1)); }

/* ---- bit unpacking: groups of 8 values, LSB-first --------------------------- */

#define WIDTHS_1_32(X)                                                                          \
    X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16)      \
    X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)   \
    X(32)
#define WIDTHS_1_8(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8)

/* Needs w + 8 readable bytes at in (the 64-bit load of the last value). */
PQ_INLINE void unpack8_u32_w(const uint8_t *in, uint32_t *out, const int w)
{
    const uint64_t mask = (w == 32) ? 0xffffffffu : ((1ull << w) - 1);
#define UNPACK_ONE(i) out[i] = (uint32_t)((ls_load_u64le(in + (i) * w / 8) >> ((i) * w % 8)) & mask)
    UNPACK_ONE(0); UNPACK_ONE(1); UNPACK_ONE(2); UNPACK_ONE(3);
    UNPACK_ONE(4); UNPACK_ONE(5); UNPACK_ONE(6); UNPACK_ONE(7);
#undef UNPACK_ONE
}

/* Unpacks ngroups groups of width w (1..32) from in, where avail bytes are
 * readable at in (avail >= ngroups * w, or the last group may be short when the
 * caller clipped a final run: missing bytes read as zero). */
static void unpack_groups_u32(const uint8_t *in, size_t avail, uint32_t *out, size_t ngroups,
                              int w)
{
    if (ngroups == 0)
        return;
    if (w == 0) {
        memset(out, 0, ngroups * 8 * sizeof(uint32_t));
        return;
    }
    size_t nfast = avail >= (size_t)w + 8 ? (avail - 8) / (size_t)w : 0;
    if (nfast > ngroups)
        nfast = ngroups;
    switch (w) {
#define CASE(W)                                                                                 \
    case W:                                                                                     \
        for (size_t g = 0; g < nfast; g++)                                                      \
            unpack8_u32_w(in + g * W, out + g * 8, W);                                          \
        break;
        WIDTHS_1_32(CASE)
#undef CASE
    default:
        break;
    }
    for (size_t g = nfast; g < ngroups; g++) {
        uint8_t tmp[48] = {0};
        size_t off = g * (size_t)w;
        size_t have = off < avail ? avail - off : 0;
        memcpy(tmp, in + off, have < (size_t)w ? have : (size_t)w);
        switch (w) {
#define CASE(W)                                                                                 \
    case W:                                                                                     \
        unpack8_u32_w(tmp, out + g * 8, W);                                                     \
        break;
            WIDTHS_1_32(CASE)
#undef CASE
        default:
            break;
        }
    }
}

/* 8 bits of b -> 8 bytes of 0/1 (LSB first). */
static inline uint64_t spread_bits(uint8_t b)
{
    uint64_t y = ((uint64_t)b * 0x0101010101010101ull) & 0x8040201008040201ull;
    return ((y + 0x7f7f7f7f7f7f7f7full) >> 7) & 0x0101010101010101ull;
}

/* Needs 8 readable bytes at in. */
PQ_INLINE void unpack8_u8_w(const uint8_t *in, uint8_t *out, const int w)
{
    uint64_t x = ls_load_u64le(in);
    if (w == 8) {
        memcpy(out, in, 8);
        return;
    }
    if (w == 1) {
        ls_store_u64le(out, spread_bits((uint8_t)x));
        return;
    }
    const uint64_t mask = (1u << w) - 1;
#define UNPACK_ONE(i) out[i] = (uint8_t)((x >> ((i) * w)) & mask)
    UNPACK_ONE(0); UNPACK_ONE(1); UNPACK_ONE(2); UNPACK_ONE(3);
    UNPACK_ONE(4); UNPACK_ONE(5); UNPACK_ONE(6); UNPACK_ONE(7);
#undef UNPACK_ONE
}

static void unpack_groups_u8(const uint8_t *in, size_t avail, uint8_t *out, size_t ngroups, int w)
{
    if (ngroups == 0)
        return;
    if (w == 0) {
        memset(out, 0, ngroups * 8);
        return;
    }
    /* group g is fast when g * w + 8 <= avail */
    size_t nfast = avail >= 8 ? (avail - 8) / (size_t)w + 1 : 0;
    if (nfast > ngroups)
        nfast = ngroups;
    switch (w) {
#define CASE(W)                                                                                 \
    case W:                                                                                     \
        for (size_t g = 0; g < nfast; g++)                                                      \
            unpack8_u8_w(in + g * W, out + g * 8, W);                                           \
        break;
        WIDTHS_1_8(CASE)
#undef CASE
    default:
        break;
    }
    for (size_t g = nfast; g < ngroups; g++) {
        uint8_t tmp[8] = {0};
        size_t off = g * (size_t)w;
        size_t have = off < avail ? avail - off : 0;
        memcpy(tmp, in + off, have < (size_t)w ? have : (size_t)w);
        switch (w) {
#define CASE(W)                                                                                 \
    case W:                                                                                     \
        unpack8_u8_w(tmp, out + g * 8, W);                                                      \
        break;
            WIDTHS_1_8(CASE)
#undef CASE
        default:
            break;
        }
    }
}

/* ---- bit packing ------------------------------------------------------------ */

/* Writes exactly w bytes. Values are masked to w bits. */
PQ_INLINE void pack8_u32_w(const uint32_t *in, uint8_t *out, const int w)
{
    const uint32_t mask = (w == 32) ? 0xffffffffu : ((1u << w) - 1);
    uint64_t acc = 0;
    int nb = 0;
#define PACK_ONE(i)                                                                             \
    acc |= (uint64_t)(in[i] & mask) << nb;                                                      \
    nb += w;                                                                                    \
    if (nb >= 32) {                                                                             \
        ls_store_u32le(out, (uint32_t)acc);                                                     \
        out += 4;                                                                               \
        acc >>= 32;                                                                             \
        nb -= 32;                                                                               \
    }
    PACK_ONE(0) PACK_ONE(1) PACK_ONE(2) PACK_ONE(3)
    PACK_ONE(4) PACK_ONE(5) PACK_ONE(6) PACK_ONE(7)
#undef PACK_ONE
    /* 8 * w bits in total and whole 32-bit words flushed: nb is a multiple of 8 */
    for (int k = 0; k < nb / 8; k++)
        out[k] = (uint8_t)(acc >> (8 * k));
}

static void pack_groups_u32(const uint32_t *in, size_t ngroups, int w, uint8_t *out)
{
    switch (w) {
#define CASE(W)                                                                                 \
    case W:                                                                                     \
        for (size_t g = 0; g < ngroups; g++)                                                    \
            pack8_u32_w(in + g * 8, out + g * W, W);                                            \
        break;
        WIDTHS_1_32(CASE)
#undef CASE
    default:
        break; /* width 0: nothing to write */
    }
}

/* Bytes of 0/1 (any nonzero byte counts as 1) -> 8 bits, LSB first. */
static inline uint8_t gather_bits(uint64_t x)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t nz = (((x & lo7) + lo7) | x) & 0x8080808080808080ull; /* high bit = byte != 0 */
    return (uint8_t)(((nz >> 7) * 0x0102040810204080ull) >> 56);
}

PQ_INLINE void pack8_u8_w(const uint8_t *in, uint8_t *out, const int w)
{
    if (w == 8) {
        memcpy(out, in, 8);
        return;
    }
    uint64_t x = ls_load_u64le(in);
    if (w == 1) {
        out[0] = (uint8_t)(((x & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56);
        return;
    }
    const uint64_t mask = (1u << w) - 1;
    uint64_t acc = 0;
#define PACK_ONE(i) acc |= ((x >> (8 * (i))) & mask) << ((i) * w)
    PACK_ONE(0); PACK_ONE(1); PACK_ONE(2); PACK_ONE(3);
    PACK_ONE(4); PACK_ONE(5); PACK_ONE(6); PACK_ONE(7);
#undef PACK_ONE
    uint8_t t[8];
    ls_store_u64le(t, acc);
    memcpy(out, t, (size_t)w);
}

static void pack_groups_u8(const uint8_t *in, size_t ngroups, int w, uint8_t *out)
{
    switch (w) {
#define CASE(W)                                                                                 \
    case W:                                                                                     \
        for (size_t g = 0; g < ngroups; g++)                                                    \
            pack8_u8_w(in + g * 8, out + g * W, W);                                             \
        break;
        WIDTHS_1_8(CASE)
#undef CASE
    default:
        break;
    }
}

/* ---- RLE / bit-packed hybrid: encoder --------------------------------------- */

/* First index j >= from with a[j] != v (or n). */
static size_t run_end_u8(const uint8_t *a, size_t j, size_t n, uint8_t v)
{
    const uint64_t pat = 0x0101010101010101ull * v;
    while (j + 32 <= n) {
        uint64_t x = (ls_load_u64le(a + j) ^ pat) | (ls_load_u64le(a + j + 8) ^ pat) |
                     (ls_load_u64le(a + j + 16) ^ pat) | (ls_load_u64le(a + j + 24) ^ pat);
        if (x)
            break;
        j += 32;
    }
    while (j + 8 <= n) {
        uint64_t x = ls_load_u64le(a + j) ^ pat;
        if (x)
            return j + (size_t)(__builtin_ctzll(x) / 8);
        j += 8;
    }
    while (j < n && a[j] == v)
        j++;
    return j;
}

static size_t run_end_u32(const uint32_t *a, size_t j, size_t n, uint32_t v)
{
    while (j + 8 <= n) {
        uint32_t d = 0;
        for (int k = 0; k < 8; k++)
            d |= a[j + k] ^ v;
        if (d)
            break;
        j += 8;
    }
    while (j < n && a[j] == v)
        j++;
    return j;
}

static void emit_rle_run(ls_buf *out, int w, uint32_t v, size_t len)
{
    size_t vb = ((size_t)w + 7) / 8;
    uint8_t vbytes[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    while (len > 0) {
        size_t c = len < RLE_MAX_RUN ? len : RLE_MAX_RUN;
        ls_buf_reserve(out, 10 + vb);
        put_uleb(out, (uint64_t)c << 1);
        memcpy(out->data + out->len, vbytes, vb);
        out->len += vb;
        len -= c;
    }
}

/* Bit-packs cnt values (the last group zero-padded when cnt % 8 != 0, which is
 * only done for the final run of a stream). esz is 1 (uint8) or 4 (uint32). */
PQ_INLINE void emit_literal(ls_buf *out, int w, const void *vals, size_t cnt, const int esz)
{
    while (cnt > 0) {
        size_t groups = (cnt + 7) / 8;
        if (groups > BP_MAX_GROUPS)
            groups = BP_MAX_GROUPS;
        size_t take = groups * 8 < cnt ? groups * 8 : cnt;
        size_t full = take / 8;
        ls_buf_reserve(out, 10 + groups * (size_t)w);
        put_uleb(out, ((uint64_t)groups << 1) | 1);
        uint8_t *dst = out->data + out->len;
        if (esz == 1)
            pack_groups_u8((const uint8_t *)vals, full, w, dst);
        else
            pack_groups_u32((const uint32_t *)vals, full, w, dst);
        if (take % 8) {
            if (esz == 1) {
                uint8_t tmp[8] = {0};
                memcpy(tmp, (const uint8_t *)vals + full * 8, take % 8);
                pack_groups_u8(tmp, 1, w, dst + full * (size_t)w);
            } else {
                uint32_t tmp[8] = {0};
                memcpy(tmp, (const uint32_t *)vals + full * 8, (take % 8) * sizeof(uint32_t));
                pack_groups_u32(tmp, 1, w, dst + full * (size_t)w);
            }
        }
        out->len += groups * (size_t)w;
        vals = (const uint8_t *)vals + take * (size_t)esz;
        cnt -= take;
    }
}

/* Bit k set iff a[k] == a[k + 1], for k in 0..63 (reads a[0..64]). SWAR: a zero
 * byte of x ^ (x >> 8) marks an equal neighbour pair. */
static inline uint64_t eqmask64_u8(const uint8_t *a)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, hi = 0x8080808080808080ull;
    uint64_t m = 0;
    for (int q = 0; q < 8; q++) {
        uint64_t d = ls_load_u64le(a + 8 * q) ^ ls_load_u64le(a + 8 * q + 1);
        uint64_t z = ~(((d & lo7) + lo7) | d) & hi; /* high bit set where the byte is 0 */
        m |= (((z >> 7) * 0x0102040810204080ull) >> 56) << (8 * q);
    }
    return m;
}

/* Bits p of m such that bits p..p+len-1 are all set. */
static inline uint64_t streaks(uint64_t m, unsigned len)
{
    unsigned have = 1;
    while (have < len) {
        unsigned step = have < len - have ? have : len - have;
        m &= m >> step;
        have += step;
    }
    return m;
}

/* Neighbour-equality masks of aligned 64-value chunks, cached two at a time so
 * that a 64-bit window at any position costs two shifts. */
typedef struct {
    const uint8_t *a;
    size_t n;
    size_t c; /* chunk of m0; m1 is chunk c + 1; SIZE_MAX = none */
    uint64_t m0, m1;
} eqscan;

static inline uint64_t eqscan_window(eqscan *st, size_t i)
{
    size_t c = i >> 6;
    if (c != st->c) {
        st->m0 = st->c != SIZE_MAX && c == st->c + 1 ? st->m1 : eqmask64_u8(st->a + 64 * c);
        st->m1 = eqmask64_u8(st->a + 64 * (c + 1));
        st->c = c;
    }
    unsigned sh = (unsigned)(i & 63);
    return sh ? (st->m0 >> sh) | (st->m1 << (64 - sh)) : st->m0;
}

/* Finds the first run of >= T equal values starting at or after i, where i is
 * a run boundary (0 or just after a run). Returns false if there is none. */
static bool find_run_u8(eqscan *st, size_t i, size_t T, size_t *ps, size_t *pe)
{
    const uint8_t *a = st->a;
    size_t n = st->n;
    /* 64 neighbour comparisons per window; a window without a streak of T - 1
     * equal pairs lets us skip 66 - T positions (both chunks must be readable:
     * eqmask64_u8 reads 65 bytes) */
    while (((i >> 6) + 1) * 64 + 65 <= n) {
        uint64_t r = streaks(eqscan_window(st, i), (unsigned)T - 1);
        if (!r) {
            i += 66 - T;
            continue;
        }
        size_t s = i + (size_t)__builtin_ctzll(r);
        *ps = s;
        *pe = run_end_u8(a, s + T, n, a[s]);
        return true;
    }
    while (i + T <= n) {
        size_t e = run_end_u8(a, i + 1, n, a[i]);
        if (e - i >= T) {
            *ps = i;
            *pe = e;
            return true;
        }
        i = e;
    }
    return false;
}

static bool find_run_u32(const uint32_t *a, size_t i, size_t n, size_t T, size_t *ps, size_t *pe)
{
    /* any run of >= 8 contains a probed position p (every 4th) with a[p] == a[p + 4] */
    size_t lo = i;
    while (i + 4 < n) {
        uint32_t v = a[i];
        if (v != a[i + 4]) {
            i += 4;
            continue;
        }
        size_t s = i;
        while (s > lo && a[s - 1] == v)
            s--;
        size_t e = run_end_u32(a, i + 1, n, v);
        if (e - s >= T) {
            *ps = s;
            *pe = e;
            return true;
        }
        i = lo = e;
    }
    return false;
}

/* Shortest run written as RLE: 8 (parquet-java/arrow) except at widths 1 and 2,
 * where an RLE run (header + value byte + the header of the bit-packed run that
 * follows, ~3 bytes) only beats packing the same values for longer runs
 * (measured on 10% random nulls at width 1: 20% smaller output than with 8, and
 * fewer runs to emit). */
static inline size_t rle_min_run(int w) { return w == 1 ? 24 : w == 2 ? 12 : 8; }

PQ_INLINE void rle_encode_core(ls_buf *out, int w, const void *vp, size_t n, const int esz)
{
    const uint8_t *v8 = (const uint8_t *)vp;
    const uint32_t *v32 = (const uint32_t *)vp;
#define GET(i) (esz == 1 ? (uint32_t)v8[i] : v32[i])
#define AT(i) ((const void *)(v8 + (size_t)(i) * esz))
    const uint32_t mask = w >= 32 ? 0xffffffffu : ((1u << w) - 1);
    const size_t T = rle_min_run(w);
    size_t lit = 0, i = 0, s, e;
    eqscan st = {v8, n, SIZE_MAX, 0, 0};
    while (esz == 1 ? find_run_u8(&st, i, T, &s, &e) : find_run_u32(v32, i, n, T, &s, &e)) {
        /* the literal section before an RLE run must hold a multiple of 8 values:
         * lend it the first k values of the run */
        size_t k = (8 - ((s - lit) & 7)) & 7;
        if (e - s - k >= T) {
            emit_literal(out, w, AT(lit), s + k - lit, esz);
            emit_rle_run(out, w, GET(s) & mask, e - s - k);
            lit = e;
        }
        i = e;
    }
    if (lit < n) {
        uint32_t v = GET(lit);
        size_t re = esz == 1 ? run_end_u8(v8, lit + 1, n, (uint8_t)v) : run_end_u32(v32, lit + 1, n, v);
        if (re == n)
            emit_rle_run(out, w, v & mask, n - lit);
        else
            emit_literal(out, w, AT(lit), n - lit, esz);
    }
#undef GET
#undef AT
}

void pq_rle_encode_u8(ls_buf *out, int bit_width, const uint8_t *vals, size_t n)
{
    if (bit_width < 0)
        bit_width = 0;
    if (bit_width > 8)
        bit_width = 8; /* uint8 values never need more; keeps the packer in range */
    rle_encode_core(out, bit_width, vals, n, 1);
}

void pq_rle_encode_u32(ls_buf *out, int bit_width, const uint32_t *vals, size_t n)
{
    if (bit_width < 0)
        bit_width = 0;
    if (bit_width > 32)
        bit_width = 32;
    rle_encode_core(out, bit_width, vals, n, 4);
}

/* ---- RLE / bit-packed hybrid: decoder --------------------------------------- */

PQ_INLINE int rle_decode_core(const uint8_t *p, size_t n, int w, void *outv, size_t count,
                              uint8_t max_value, const int esz, ls_error *err)
{
    p = FIX_NULL(p);
    uint8_t *o8 = (uint8_t *)outv;
    uint32_t *o32 = (uint32_t *)outv;
    const size_t vb = ((size_t)w + 7) / 8;
    const bool check_max = esz == 1 && (unsigned)max_value < ((1u << w) - 1);
    size_t pos = 0, done = 0;
    while (done < count) {
        uint64_t h;
        size_t hl;
        if (LS_LIKELY(pos < n && p[pos] < 0x80)) {
            h = p[pos];
            hl = 1;
        } else {
            hl = get_uleb(p + pos, n - pos, &h);
            if (!hl)
                return ls_err(err, LS_ERR_CORRUPT,
                              "RLE/bit-packed hybrid: %s run header at byte %zu of %zu "
                              "(decoded %zu of %zu values)",
                              pos >= n ? "missing" : "truncated or overlong", pos, n, done, count);
        }
        size_t hpos = pos;
        pos += hl;
        size_t want = count - done;
        size_t avail = n - pos;
        size_t take;
        if (h & 1) {
            uint64_t groups = h >> 1;
            uint64_t need_groups = (want + 7) / 8;
            size_t nbytes;
            if (groups >= need_groups) {
                /* final run: decode only what is needed, need only the bits those use */
                take = want;
                uint64_t bits;
                if (__builtin_mul_overflow((uint64_t)take, (uint64_t)w, &bits))
                    bits = UINT64_MAX;
                nbytes = bits / 8 + (bits % 8 != 0);
                if (bits == UINT64_MAX || nbytes > avail)
                    return ls_err(err, LS_ERR_CORRUPT,
                                  "RLE/bit-packed hybrid: bit-packed run at byte %zu needs %zu "
                                  "bytes for %zu values of width %d, only %zu left",
                                  hpos, bits == UINT64_MAX ? SIZE_MAX : nbytes, take, w, avail);
            } else {
                take = (size_t)groups * 8;
                nbytes = (size_t)groups * (size_t)w;
                if (nbytes > avail)
                    return ls_err(err, LS_ERR_CORRUPT,
                                  "RLE/bit-packed hybrid: bit-packed run at byte %zu of %zu "
                                  "groups (width %d) needs %zu bytes, only %zu left",
                                  hpos, (size_t)groups, w, nbytes, avail);
            }
            size_t full = take / 8, rem = take % 8;
            if (esz == 1) {
                unpack_groups_u8(p + pos, avail, o8 + done, full, w);
                if (rem) {
                    uint8_t tmp[8];
                    unpack_groups_u8(p + pos + full * (size_t)w,
                                     avail - full * (size_t)w, tmp, 1, w);
                    memcpy(o8 + done + full * 8, tmp, rem);
                }
                if (check_max) {
                    uint8_t bad = 0;
                    for (size_t j = 0; j < take; j++)
                        bad |= (uint8_t)(o8[done + j] > max_value);
                    if (bad) {
                        size_t j = 0;
                        while (o8[done + j] <= max_value)
                            j++;
                        return ls_err(err, LS_ERR_CORRUPT,
                                      "RLE/bit-packed hybrid: level %u at index %zu exceeds the "
                                      "maximum %u (bit-packed run at byte %zu)",
                                      o8[done + j], done + j, max_value, hpos);
                    }
                }
            } else {
                unpack_groups_u32(p + pos, avail, o32 + done, full, w);
                if (rem) {
                    uint32_t tmp[8];
                    unpack_groups_u32(p + pos + full * (size_t)w,
                                      avail - full * (size_t)w, tmp, 1, w);
                    memcpy(o32 + done + full * 8, tmp, rem * sizeof(uint32_t));
                }
            }
            pos += nbytes;
        } else {
            uint64_t run = h >> 1;
            if (vb > avail)
                return ls_err(err, LS_ERR_CORRUPT,
                              "RLE/bit-packed hybrid: RLE run at byte %zu needs a %zu-byte value, "
                              "only %zu left",
                              hpos, vb, avail);
            uint32_t v = 0;
            for (size_t k = 0; k < vb; k++)
                v |= (uint32_t)p[pos + k] << (8 * k);
            pos += vb;
            take = run < want ? (size_t)run : want;
            if (esz == 1) {
                if (v > max_value)
                    return ls_err(err, LS_ERR_CORRUPT,
                                  "RLE/bit-packed hybrid: level %u in RLE run at byte %zu exceeds "
                                  "the maximum %u",
                                  v, hpos, max_value);
                memset(o8 + done, (int)v, take);
            } else {
                uint32_t *d = o32 + done;
                for (size_t j = 0; j < take; j++)
                    d[j] = v;
            }
        }
        done += take;
    }
    return LS_OK;
}

int pq_rle_decode_u8(const uint8_t *p, size_t n, int bit_width, uint8_t max_value, uint8_t *out,
                     size_t count, ls_error *err)
{
    if (bit_width < 0 || bit_width > 8)
        return ls_err(err, LS_ERR_CORRUPT,
                      "RLE/bit-packed hybrid: bit width %d is out of range 0..8 for levels",
                      bit_width);
    return rle_decode_core(p, n, bit_width, out, count, max_value, 1, err);
}

int pq_rle_decode_u32(const uint8_t *p, size_t n, int bit_width, uint32_t *out, size_t count,
                      ls_error *err)
{
    if (bit_width < 0 || bit_width > 32)
        return ls_err(err, LS_ERR_CORRUPT,
                      "RLE/bit-packed hybrid: bit width %d is out of range 0..32", bit_width);
    return rle_decode_core(p, n, bit_width, out, count, 0, 4, err);
}

/* ---- legacy BIT_PACKED levels (MSB first) ------------------------------------ */

int pq_bitpacked_legacy_decode_u8(const uint8_t *p, size_t n, int bit_width, uint8_t max_value,
                                  uint8_t *out, size_t count, ls_error *err)
{
    if (bit_width < 0 || bit_width > 8)
        return ls_err(err, LS_ERR_CORRUPT,
                      "BIT_PACKED levels: bit width %d is out of range 0..8", bit_width);
    if (count == 0)
        return LS_OK;
    if (bit_width == 0) {
        memset(out, 0, count);
        return LS_OK;
    }
    if (count > SIZE_MAX / 8)
        return ls_err(err, LS_ERR_CORRUPT, "BIT_PACKED levels: count %zu is too large", count);
    size_t need = (count * (size_t)bit_width + 7) / 8;
    if (need > n)
        return ls_err(err, LS_ERR_CORRUPT,
                      "BIT_PACKED levels: %zu values of width %d need %zu bytes, only %zu given",
                      count, bit_width, need, n);
    const unsigned w = (unsigned)bit_width, mask = (1u << w) - 1;
    uint32_t acc = 0;
    unsigned nb = 0;
    size_t pos = 0;
    uint8_t bad = 0;
    for (size_t i = 0; i < count; i++) {
        if (nb < w) {
            acc = (acc << 8) | p[pos++];
            nb += 8;
        }
        uint8_t v = (uint8_t)((acc >> (nb - w)) & mask);
        nb -= w;
        out[i] = v;
        bad |= (uint8_t)(v > max_value);
    }
    if (bad) {
        size_t i = 0;
        while (out[i] <= max_value)
            i++;
        return ls_err(err, LS_ERR_CORRUPT, "BIT_PACKED levels: level %u at index %zu exceeds %u",
                      out[i], i, max_value);
    }
    return LS_OK;
}

/* ---- PLAIN booleans ------------------------------------------------------------ */

void pq_plain_encode_bool(ls_buf *out, const uint8_t *vals, size_t n)
{
    if (n == 0)
        return;
    size_t nbytes = (n + 7) / 8;
    ls_buf_reserve(out, nbytes);
    uint8_t *d = out->data + out->len;
    size_t full = n / 8;
    for (size_t i = 0; i < full; i++)
        d[i] = gather_bits(ls_load_u64le(vals + 8 * i));
    if (n % 8) {
        uint8_t t[8] = {0};
        memcpy(t, vals + full * 8, n % 8);
        d[full] = gather_bits(ls_load_u64le(t));
    }
    out->len += nbytes;
}

int pq_plain_decode_bool(const uint8_t *p, size_t n, uint8_t *out, size_t count, ls_error *err)
{
    size_t nbytes = count / 8 + (count % 8 != 0);
    if (nbytes > n)
        return ls_err(err, LS_ERR_CORRUPT,
                      "PLAIN booleans: %zu values need %zu bytes, only %zu given", count, nbytes,
                      n);
    size_t full = count / 8;
    for (size_t i = 0; i < full; i++)
        ls_store_u64le(out + 8 * i, spread_bits(p[i]));
    if (count % 8) {
        uint8_t t[8];
        ls_store_u64le(t, spread_bits(p[full]));
        memcpy(out + full * 8, t, count % 8);
    }
    return LS_OK;
}

/* ---- DELTA_BINARY_PACKED --------------------------------------------------------- */

enum { DBP_I32, DBP_I64, DBP_I32_AS_I64 };

/* 32 values of width w in 33..64 from 4 * w bytes at in (copied to a padded buffer). */
static void unpack32_u64_wide(const uint8_t *in, uint64_t *out, unsigned w)
{
    uint8_t buf[4 * 64 + 16];
    memcpy(buf, in, 4 * (size_t)w);
    memset(buf + 4 * (size_t)w, 0, 16);
    const uint64_t mask = w == 64 ? UINT64_MAX : ((1ull << w) - 1);
    for (unsigned j = 0; j < 32; j++) {
        unsigned bit = j * w, b = bit >> 3, s = bit & 7;
        uint64_t v = ls_load_u64le(buf + b) >> s;
        if (s + w > 64)
            v |= (uint64_t)buf[b + 8] << (64 - s);
        out[j] = v & mask;
    }
}

PQ_INLINE void dbp_store(void *out, size_t i, uint64_t v, const int kind)
{
    if (kind == DBP_I32)
        ((int32_t *)out)[i] = (int32_t)(uint32_t)v;
    else if (kind == DBP_I64)
        ((int64_t *)out)[i] = (int64_t)v;
    else
        ((int64_t *)out)[i] = (int64_t)(int32_t)(uint32_t)v;
}

PQ_INLINE int dbp_decode(const uint8_t *p, size_t n, void *out, size_t count, size_t *consumed,
                         const int kind, ls_error *err)
{
    const char *what = kind == DBP_I64 ? "DELTA_BINARY_PACKED int64" : "DELTA_BINARY_PACKED int32";
    const unsigned maxw = kind == DBP_I64 ? 64 : 32;
    p = FIX_NULL(p);
    size_t pos = 0, k;
    uint64_t hdr[4];
    static const char *const names[4] = {"block size", "miniblock count", "total value count",
                                         "first value"};
    for (int i = 0; i < 4; i++) {
        k = get_uleb(p + pos, n - pos, &hdr[i]);
        if (!k)
            return ls_err(err, LS_ERR_CORRUPT, "%s: truncated or overlong %s at byte %zu of %zu",
                          what, names[i], pos, n);
        pos += k;
    }
    uint64_t bs = hdr[0], nmb = hdr[1], total = hdr[2];
    if (bs == 0 || bs % 128 != 0)
        return ls_err(err, LS_ERR_CORRUPT, "%s: block size %llu is not a positive multiple of 128",
                      what, (unsigned long long)bs);
    if (nmb == 0 || bs % nmb != 0 || (bs / nmb) % 32 != 0)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: %llu miniblocks do not split a block of %llu into multiples of 32",
                      what, (unsigned long long)nmb, (unsigned long long)bs);
    if (total < count)
        return ls_err(err, LS_ERR_CORRUPT, "%s: header holds %llu values, %zu expected", what,
                      (unsigned long long)total, count);
    const uint64_t vpm = bs / nmb;
    uint64_t last = zigzag_dec(hdr[3]);
    size_t done = 0;
    if (count > 0)
        dbp_store(out, done++, last, kind);
    uint64_t deltas_left = total ? total - 1 : 0;
    while (deltas_left > 0) {
        size_t bpos = pos;
        uint64_t zz;
        k = get_uleb(p + pos, n - pos, &zz);
        if (!k)
            return ls_err(err, LS_ERR_CORRUPT,
                          "%s: truncated min delta of block at byte %zu (%zu of %zu values read)",
                          what, pos, done, count);
        pos += k;
        const uint64_t md = zigzag_dec(zz);
        if (nmb > n - pos)
            return ls_err(err, LS_ERR_CORRUPT,
                          "%s: block at byte %zu needs %llu miniblock widths, only %zu bytes left",
                          what, bpos, (unsigned long long)nmb, n - pos);
        const uint8_t *widths = p + pos;
        pos += (size_t)nmb;
        for (uint64_t m = 0; m < nmb && deltas_left > 0; m++) {
            unsigned w = widths[m];
            if (w > maxw)
                return ls_err(err, LS_ERR_CORRUPT,
                              "%s: miniblock %llu of block at byte %zu has bit width %u > %u", what,
                              (unsigned long long)m, bpos, w, maxw);
            uint64_t mb_bytes;
            if (__builtin_mul_overflow(vpm / 8, (uint64_t)w, &mb_bytes) || mb_bytes > n - pos)
                return ls_err(err, LS_ERR_CORRUPT,
                              "%s: miniblock %llu of block at byte %zu (width %u, %llu values) is "
                              "truncated: %zu bytes left",
                              what, (unsigned long long)m, bpos, w, (unsigned long long)vpm,
                              n - pos);
            uint64_t in_mb = vpm < deltas_left ? vpm : deltas_left;
            size_t to_out = count - done;
            if (to_out > in_mb)
                to_out = (size_t)in_mb;
            const uint8_t *mb = p + pos;
            if (w == 0) {
                for (size_t j = 0; j < to_out; j++) {
                    last += md;
                    dbp_store(out, done + j, last, kind);
                }
            } else {
                for (size_t c = 0; c * 32 < to_out; c++) {
                    size_t cnt = to_out - c * 32 < 32 ? to_out - c * 32 : 32;
                    const uint8_t *src = mb + c * 4 * (size_t)w;
                    size_t o = done + c * 32;
                    if (w <= 32) {
                        uint32_t t[32];
                        unpack_groups_u32(src, (size_t)(n - (size_t)(src - p)), t, 4, (int)w);
                        for (size_t j = 0; j < cnt; j++) {
                            last += md + t[j];
                            dbp_store(out, o + j, last, kind);
                        }
                    } else {
                        uint64_t t[32];
                        unpack32_u64_wide(src, t, w);
                        for (size_t j = 0; j < cnt; j++) {
                            last += md + t[j];
                            dbp_store(out, o + j, last, kind);
                        }
                    }
                }
            }
            done += to_out;
            pos += (size_t)mb_bytes;
            deltas_left -= in_mb;
        }
    }
    if (consumed)
        *consumed = pos;
    return LS_OK;
}

int pq_delta_decode_i32(const uint8_t *p, size_t n, int32_t *out, size_t count, size_t *consumed,
                        ls_error *err)
{
    return dbp_decode(p, n, out, count, consumed, DBP_I32, err);
}

int pq_delta_decode_i64(const uint8_t *p, size_t n, int64_t *out, size_t count, size_t *consumed,
                        ls_error *err)
{
    return dbp_decode(p, n, out, count, consumed, DBP_I64, err);
}

/* Bit writer for the DELTA encoder: appends cnt <= 32 bits. */
typedef struct {
    uint8_t *out;
    uint64_t acc;
    unsigned nb;
} bitw;

static inline void bitw_put(bitw *b, uint64_t bits, unsigned cnt)
{
    b->acc |= bits << b->nb;
    b->nb += cnt;
    if (b->nb >= 32) {
        ls_store_u32le(b->out, (uint32_t)b->acc);
        b->out += 4;
        b->acc >>= 32;
        b->nb -= 32;
    }
}

void pq_delta_encode_i64(ls_buf *out, const int64_t *vals, size_t n)
{
    enum { BLOCK = 128, NMB = 4, VPM = BLOCK / NMB };
    put_uleb(out, BLOCK);
    put_uleb(out, NMB);
    put_uleb(out, n);
    put_uleb(out, zigzag_enc(n ? (uint64_t)vals[0] : 0));
    uint64_t rel[BLOCK];
    for (size_t i = 1; i < n; i += BLOCK) {
        size_t k = n - i < BLOCK ? n - i : BLOCK;
        int64_t mn = INT64_MAX;
        for (size_t j = 0; j < k; j++) {
            uint64_t d = (uint64_t)vals[i + j] - (uint64_t)vals[i + j - 1];
            rel[j] = d;
            if ((int64_t)d < mn)
                mn = (int64_t)d;
        }
        for (size_t j = 0; j < k; j++)
            rel[j] -= (uint64_t)mn;
        for (size_t j = k; j < BLOCK; j++)
            rel[j] = 0;
        uint8_t widths[NMB];
        size_t body = 0;
        for (int m = 0; m < NMB; m++) {
            uint64_t acc = 0;
            if ((size_t)m * VPM < k)
                for (int j = 0; j < VPM; j++)
                    acc |= rel[m * VPM + j];
            widths[m] = (uint8_t)ls_bit_width(acc);
            body += (size_t)widths[m] * VPM / 8;
        }
        ls_buf_reserve(out, 10 + NMB + body);
        put_uleb(out, zigzag_enc((uint64_t)mn));
        memcpy(out->data + out->len, widths, NMB);
        out->len += NMB;
        bitw bw = {out->data + out->len, 0, 0};
        for (int m = 0; m < NMB; m++) {
            unsigned w = widths[m];
            if (w == 0)
                continue;
            if (w <= 32) { /* the common case: the width-specialised packers */
                uint32_t t[VPM];
                for (int j = 0; j < VPM; j++)
                    t[j] = (uint32_t)rel[m * VPM + j];
                pack_groups_u32(t, VPM / 8, (int)w, bw.out);
                bw.out += (size_t)w * VPM / 8;
                continue;
            }
            for (int j = 0; j < VPM; j++) {
                uint64_t v = rel[m * VPM + j];
                if (w <= 32) {
                    bitw_put(&bw, v, w);
                } else {
                    bitw_put(&bw, v & 0xffffffffu, 32);
                    bitw_put(&bw, (v >> 32) & ((w == 64 ? 0 : (1ull << (w - 32))) - 1), w - 32);
                }
            }
        }
        out->len += body;
    }
}

/* ---- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY ------------------------------------ */

int pq_delta_length_decode(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                           uint64_t *offsets, ls_error *err)
{
    offsets[0] = bytes->len;
    if (count == 0)
        return LS_OK;
    size_t used = 0;
    /* lengths land in offsets[1..count] and are turned into offsets in place */
    int64_t *lens = (int64_t *)(offsets + 1);
    int rc = dbp_decode(p, n, lens, count, &used, DBP_I32_AS_I64, err);
    if (rc)
        return ls_err_prefix(err, "DELTA_LENGTH_BYTE_ARRAY lengths");
    size_t avail = n - used, sum = 0;
    for (size_t i = 0; i < count; i++) {
        int64_t l = lens[i];
        if (l < 0)
            return ls_err(err, LS_ERR_CORRUPT,
                          "DELTA_LENGTH_BYTE_ARRAY: value %zu has negative length %lld", i,
                          (long long)l);
        if ((uint64_t)l > avail - sum)
            return ls_err(err, LS_ERR_CORRUPT,
                          "DELTA_LENGTH_BYTE_ARRAY: value %zu of length %lld overruns the page "
                          "(%zu of %zu data bytes used)",
                          i, (long long)l, sum, avail);
        sum += (size_t)l;
    }
    uint64_t base = bytes->len;
    for (size_t i = 0; i < count; i++) {
        base += (uint64_t)lens[i];
        offsets[i + 1] = base;
    }
    ls_buf_append(bytes, p + used, sum);
    return LS_OK;
}

/* pq_delta_byte_array_decode with an explicit cap on the decoded bytes (LS_ERR_LIMIT
 * beyond it). Not in pq_enc.h yet; the reader may want it with its max_page_bytes. */
int pq_delta_byte_array_decode_limit(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                                     uint64_t *offsets, uint64_t max_bytes, ls_error *err);
int pq_delta_byte_array_decode_limit(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                                     uint64_t *offsets, uint64_t max_bytes, ls_error *err)
{
    offsets[0] = bytes->len;
    if (count == 0)
        return LS_OK;
    if (count > SIZE_MAX / sizeof(int32_t))
        return ls_err(err, LS_ERR_CORRUPT, "DELTA_BYTE_ARRAY: count %zu is too large", count);
    int32_t *pre = ls_xmalloc(count * sizeof(int32_t));
    size_t used1 = 0, used2 = 0;
    int rc = dbp_decode(p, n, pre, count, &used1, DBP_I32, err);
    if (rc) {
        free(pre);
        return ls_err_prefix(err, "DELTA_BYTE_ARRAY prefix lengths");
    }
    int64_t *suf = (int64_t *)(offsets + 1);
    rc = dbp_decode(p + used1, n - used1, suf, count, &used2, DBP_I32_AS_I64, err);
    if (rc) {
        free(pre);
        return ls_err_prefix(err, "DELTA_BYTE_ARRAY suffix lengths (at byte %zu)", used1);
    }
    const uint8_t *sdata = p + used1 + used2;
    size_t avail = n - used1 - used2, sufsum = 0;
    uint64_t total = 0, prev = 0;
    for (size_t i = 0; i < count; i++) {
        int64_t pl = pre[i], sl = suf[i];
        if (pl < 0 || (uint64_t)pl > prev) {
            free(pre);
            return ls_err(err, LS_ERR_CORRUPT,
                          "DELTA_BYTE_ARRAY: value %zu has prefix length %lld but the previous "
                          "value is %llu bytes long",
                          i, (long long)pl, (unsigned long long)prev);
        }
        if (sl < 0 || (uint64_t)sl > avail - sufsum) {
            free(pre);
            return ls_err(err, LS_ERR_CORRUPT,
                          "DELTA_BYTE_ARRAY: value %zu has suffix length %lld (%zu of %zu suffix "
                          "bytes used)",
                          i, (long long)sl, sufsum, avail);
        }
        sufsum += (size_t)sl;
        prev = (uint64_t)pl + (uint64_t)sl;
        total += prev; /* each term < 2^33 * 2: no overflow before the limit check trips */
        if (total > max_bytes) {
            free(pre);
            return ls_err(err, LS_ERR_LIMIT,
                          "DELTA_BYTE_ARRAY: decoded values exceed %llu bytes at value %zu",
                          (unsigned long long)max_bytes, i);
        }
    }
    ls_buf_reserve(bytes, (size_t)total);
    size_t prev_start = bytes->len, spos = 0;
    for (size_t i = 0; i < count; i++) {
        size_t pl = (size_t)pre[i], sl = (size_t)suf[i];
        if (pl)
            memcpy(bytes->data + bytes->len, bytes->data + prev_start, pl);
        if (sl)
            memcpy(bytes->data + bytes->len + pl, sdata + spos, sl);
        spos += sl;
        prev_start = bytes->len;
        bytes->len += pl + sl;
        offsets[i + 1] = bytes->len;
    }
    free(pre);
    return LS_OK;
}

int pq_delta_byte_array_decode(const uint8_t *p, size_t n, size_t count, ls_buf *bytes,
                               uint64_t *offsets, ls_error *err)
{
    return pq_delta_byte_array_decode_limit(p, n, count, bytes, offsets, DBA_DEFAULT_MAX_BYTES,
                                            err);
}

void pq_delta_length_encode(ls_buf *out, const uint8_t *data, const uint64_t *offsets, size_t n)
{
    int64_t *lens = ls_xmalloc((n ? n : 1) * sizeof(int64_t));
    for (size_t i = 0; i < n; i++)
        lens[i] = (int64_t)(offsets[i + 1] - offsets[i]);
    pq_delta_encode_i64(out, lens, n);
    free(lens);
    if (n && offsets[n] > offsets[0])
        ls_buf_append(out, data + offsets[0], (size_t)(offsets[n] - offsets[0]));
}

void pq_delta_byte_array_encode(ls_buf *out, const uint8_t *data, const uint64_t *offsets,
                                size_t n)
{
    int64_t *pre = ls_xmalloc((n ? n : 1) * 2 * sizeof(int64_t));
    int64_t *suf = pre + (n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        size_t len = (size_t)(offsets[i + 1] - offsets[i]), pl = 0;
        if (i > 0 && len > 0) {
            size_t plen = (size_t)(offsets[i] - offsets[i - 1]);
            size_t lim = plen < len ? plen : len;
            const uint8_t *a = data + offsets[i - 1], *b = data + offsets[i];
            while (pl + 8 <= lim && ls_load_u64le(a + pl) == ls_load_u64le(b + pl))
                pl += 8;
            while (pl < lim && a[pl] == b[pl])
                pl++;
        }
        pre[i] = (int64_t)pl;
        suf[i] = (int64_t)(len - pl);
    }
    pq_delta_encode_i64(out, pre, n);
    pq_delta_encode_i64(out, suf, n);
    for (size_t i = 0; i < n; i++)
        if (suf[i] > 0)
            ls_buf_append(out, data + offsets[i] + pre[i], (size_t)suf[i]);
    free(pre);
}

/* ---- BYTE_STREAM_SPLIT ---------------------------------------------------------------- */

int pq_bss_decode(const uint8_t *p, size_t n, size_t width, size_t count, uint8_t *out,
                  ls_error *err)
{
    if (width == 0)
        return ls_err(err, LS_ERR_CORRUPT, "BYTE_STREAM_SPLIT: value width 0");
    if (n % width != 0)
        return ls_err(err, LS_ERR_CORRUPT,
                      "BYTE_STREAM_SPLIT: %zu bytes is not a multiple of the value width %zu", n,
                      width);
    /* the streams span the whole page: stride = values in the page */
    size_t stride = n / width;
    if (count > stride)
        return ls_err(err, LS_ERR_CORRUPT,
                      "BYTE_STREAM_SPLIT: %zu values of width %zu expected, page holds %zu", count,
                      width, stride);
    if (count == 0)
        return LS_OK;
    if (width == 4) {
        const uint8_t *s0 = p, *s1 = p + stride, *s2 = p + 2 * stride, *s3 = p + 3 * stride;
        for (size_t i = 0; i < count; i++)
            ls_store_u32le(out + 4 * i, (uint32_t)s0[i] | (uint32_t)s1[i] << 8 |
                                            (uint32_t)s2[i] << 16 | (uint32_t)s3[i] << 24);
    } else if (width == 8) {
        const uint8_t *s[8];
        for (int k = 0; k < 8; k++)
            s[k] = p + (size_t)k * stride;
        for (size_t i = 0; i < count; i++) {
            uint64_t v = 0;
            for (int k = 0; k < 8; k++)
                v |= (uint64_t)s[k][i] << (8 * k);
            ls_store_u64le(out + 8 * i, v);
        }
    } else {
        for (size_t k = 0; k < width; k++) {
            const uint8_t *s = p + k * stride;
            for (size_t i = 0; i < count; i++)
                out[i * width + k] = s[i];
        }
    }
    return LS_OK;
}

void pq_bss_encode(ls_buf *out, const uint8_t *vals, size_t width, size_t count)
{
    size_t total;
    if (ls_mul_overflow(width, count, &total))
        ls_oom(SIZE_MAX);
    if (total == 0)
        return;
    ls_buf_reserve(out, total);
    uint8_t *d = out->data + out->len;
    if (width == 4) {
        uint8_t *s0 = d, *s1 = d + count, *s2 = d + 2 * count, *s3 = d + 3 * count;
        for (size_t i = 0; i < count; i++) {
            uint32_t v = ls_load_u32le(vals + 4 * i);
            s0[i] = (uint8_t)v;
            s1[i] = (uint8_t)(v >> 8);
            s2[i] = (uint8_t)(v >> 16);
            s3[i] = (uint8_t)(v >> 24);
        }
    } else {
        for (size_t k = 0; k < width; k++) {
            uint8_t *s = d + k * count;
            for (size_t i = 0; i < count; i++)
                s[i] = vals[i * width + k];
        }
    }
    out->len += total;
}
