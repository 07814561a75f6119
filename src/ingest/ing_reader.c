/*
 * ing_reader.c - the byte stream of one ingest source unit: a landing-zone
 * file (plain, gzip or zstd by extension) or stdin, delivered as a buffer of
 * decompressed bytes that the engine consumes line by line.
 *
 * Files are read with read(2), not mmap: a producer truncating a file while
 * it is being ingested must not kill the process with SIGBUS. A file is read
 * only up to the size it had when opened, so bytes appended afterwards are
 * never half-ingested (the engine reports the file as changed instead).
 * Decompression is streamed in bounded chunks (no whole-file buffers, so a
 * compression bomb costs time, not memory); gzip accepts concatenated
 * members, zstd concatenated frames; a truncated stream is an error.
 *
 * Stdin keeps a copy of its first LS_ING_PREFIX_MAX bytes (the engine
 * fingerprints them to recognise a replayed stream after a restart), and when
 * it is redirected from a regular file, skipping seeks instead of reading.
 */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define OUT_CHUNK (4u << 20) /* decompressed bytes added per fill */
#define RAW_CHUNK (1u << 20) /* compressed bytes read at a time */

struct ls_ing_reader {
    int fd;
    bool is_stdin;
    bool seekable;   /* a regular file (always, except a stdin pipe/tty/socket) */
    uint64_t start;  /* stdin: the file offset it stood at when opened */
    uint8_t *prefix; /* stdin: its first bytes, prefix_len <= LS_ING_PREFIX_MAX */
    size_t prefix_len;
    char *name;
    ls_ing_codec codec;
    uint64_t raw_limit, raw_read;
    bool raw_eof; /* no more raw input */
    bool eof;     /* no more decompressed output */
    ls_buf buf;
    size_t head;
    uint64_t consumed;
    /* codecs */
    uint8_t *in;
    size_t in_len, in_pos;
    z_stream zs;
    bool zs_init, zs_member_done;
    ZSTD_DStream *zds;
    size_t zstd_last; /* last ZSTD_decompressStream hint: 0 = frame complete */
};

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && ls_str_ieq(s + n - m, suf);
}

ls_ing_codec ls_ing_codec_of(const char *name)
{
    if (ends_with(name, ".gz") || ends_with(name, ".gzip"))
        return LS_ING_GZIP;
    if (ends_with(name, ".zst") || ends_with(name, ".zstd"))
        return LS_ING_ZSTD;
    return LS_ING_PLAIN;
}

/* name without a compression extension (.gz, .gzip, .zst, .zstd); caller frees */
static char *strip_codec_ext(const char *name)
{
    char *base = ls_xstrdup(name);
    static const char *const comp[] = {".gz", ".gzip", ".zst", ".zstd"};
    for (size_t i = 0; i < sizeof comp / sizeof comp[0]; i++)
        if (ends_with(base, comp[i])) {
            base[strlen(base) - strlen(comp[i])] = 0;
            break;
        }
    return base;
}

ls_ing_format ls_ing_format_of(const char *name, ls_ing_format dflt)
{
    if (dflt != LS_ING_AUTO)
        return dflt;
    char *base = strip_codec_ext(name);
    ls_ing_format f = ends_with(base, ".csv") || ends_with(base, ".tsv") ? LS_ING_CSV : LS_ING_NDJSON;
    free(base);
    return f;
}

char ls_ing_csv_delim_of(const char *name)
{
    char *base = strip_codec_ext(name);
    char d = ends_with(base, ".tsv") ? '\t' : ',';
    free(base);
    return d;
}

int ls_ing_reader_open(const char *path, ls_ing_codec codec, ls_ing_reader **out,
                       uint64_t *size, int64_t *mtime_ms, ls_error *err)
{
    *out = NULL;
    ls_ing_reader *r = ls_xcalloc(1, sizeof *r);
    r->codec = codec;
    if (!strcmp(path, "-")) {
        r->fd = 0;
        r->is_stdin = true;
        r->name = ls_xstrdup("stdin");
        r->raw_limit = UINT64_MAX;
        r->codec = LS_ING_PLAIN;
        r->prefix = ls_xmalloc(LS_ING_PREFIX_MAX);
        struct stat st;
        off_t at = -1;
        if (fstat(0, &st) == 0 && S_ISREG(st.st_mode) && (at = lseek(0, 0, SEEK_CUR)) >= 0) {
            r->seekable = true;
            r->start = (uint64_t)at;
            posix_fadvise(0, 0, 0, POSIX_FADV_SEQUENTIAL);
        }
        if (size)
            *size = 0;
        if (mtime_ms)
            *mtime_ms = 0;
    } else {
        r->name = ls_xstrdup(path);
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            int e = errno;
            free(r->name);
            free(r);
            return ls_err(err, e == ENOENT ? LS_ERR_NOTFOUND : LS_ERR_IO, "%s: %s", path,
                          strerror(e));
        }
        struct stat st;
        if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            int rc = ls_err(err, LS_ERR_IO, "%s: not a regular file", path);
            ls_ing_reader_free(r);
            return rc;
        }
        r->raw_limit = (uint64_t)st.st_size;
        r->seekable = true;
        if (size)
            *size = (uint64_t)st.st_size;
        if (mtime_ms)
            *mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    if (r->codec != LS_ING_PLAIN)
        r->in = ls_xmalloc(RAW_CHUNK);
    if (r->codec == LS_ING_GZIP) {
        memset(&r->zs, 0, sizeof r->zs);
        if (inflateInit2(&r->zs, 15 + 32) != Z_OK) { /* +32: gzip or zlib header */
            ls_ing_reader_free(r);
            return ls_err(err, LS_ERR_IO, "%s: cannot initialise zlib", path);
        }
        r->zs_init = true;
    } else if (r->codec == LS_ING_ZSTD) {
        r->zds = ZSTD_createDStream();
        if (!r->zds || ZSTD_isError(ZSTD_initDStream(r->zds))) {
            ls_ing_reader_free(r);
            return ls_err(err, LS_ERR_IO, "%s: cannot initialise zstd", path);
        }
        /* bound the window a hostile frame may ask for (default limit is 128 MiB; keep it) */
    }
    *out = r;
    return LS_OK;
}

void ls_ing_reader_free(ls_ing_reader *r)
{
    if (!r)
        return;
    if (!r->is_stdin && r->fd >= 0)
        close(r->fd);
    if (r->zs_init)
        inflateEnd(&r->zs);
    if (r->zds)
        ZSTD_freeDStream(r->zds);
    free(r->in);
    free(r->prefix);
    free(r->name);
    ls_buf_free(&r->buf);
    free(r);
}

/* Reads up to max raw bytes into dst; *n = 0 at the end. Files stop at raw_limit. */
static int raw_read(ls_ing_reader *r, uint8_t *dst, size_t max, size_t *n, ls_error *err)
{
    *n = 0;
    if (r->raw_read >= r->raw_limit) {
        r->raw_eof = true;
        return LS_OK;
    }
    if (r->raw_limit - r->raw_read < max)
        max = (size_t)(r->raw_limit - r->raw_read);
    for (;;) {
        ssize_t k = read(r->fd, dst, max);
        if (k < 0) {
            if (errno == EINTR && !r->is_stdin)
                continue;
            if (errno == EINTR || errno == EAGAIN)
                return LS_OK; /* stdin: a signal arrived; the caller checks its flags */
            return ls_err(err, LS_ERR_IO, "%s: read failed: %s", r->name, strerror(errno));
        }
        if (k == 0) {
            r->raw_eof = true;
            if (!r->is_stdin && r->raw_read < r->raw_limit)
                return ls_err(err, LS_ERR_IO, "%s: file shrank while being read (%llu of %llu "
                                              "bytes)",
                              r->name, (unsigned long long)r->raw_read,
                              (unsigned long long)r->raw_limit);
            return LS_OK;
        }
        r->raw_read += (uint64_t)k;
        *n = (size_t)k;
        return LS_OK;
    }
}

static void compact(ls_ing_reader *r)
{
    if (r->head == 0)
        return;
    size_t rest = r->buf.len - r->head;
    if (rest)
        memmove(r->buf.data, r->buf.data + r->head, rest);
    r->buf.len = rest;
    r->head = 0;
}

static int fill_plain(ls_ing_reader *r, ls_error *err)
{
    ls_buf_reserve(&r->buf, OUT_CHUNK);
    size_t got = 0;
    while (got < OUT_CHUNK && !r->raw_eof) {
        size_t k = 0;
        int rc = raw_read(r, r->buf.data + r->buf.len, OUT_CHUNK - got, &k, err);
        if (rc)
            return rc;
        if (k == 0)
            break;
        uint64_t at = r->raw_read - k; /* stream offset of these bytes */
        if (r->prefix && r->prefix_len < LS_ING_PREFIX_MAX && at == r->prefix_len) {
            size_t c = LS_ING_PREFIX_MAX - r->prefix_len;
            if (c > k)
                c = k;
            memcpy(r->prefix + r->prefix_len, r->buf.data + r->buf.len, c);
            r->prefix_len += c;
        }
        r->buf.len += k;
        got += k;
        if (r->is_stdin) {
            /* take more only if it is there right now */
            struct pollfd pf = {r->fd, POLLIN, 0};
            if (poll(&pf, 1, 0) <= 0 || !(pf.revents & (POLLIN | POLLHUP)))
                break;
        }
    }
    if (r->raw_eof)
        r->eof = true;
    return LS_OK;
}

static int refill_in(ls_ing_reader *r, ls_error *err)
{
    if (r->in_pos < r->in_len || r->raw_eof)
        return LS_OK;
    size_t k = 0;
    int rc = raw_read(r, r->in, RAW_CHUNK, &k, err);
    r->in_len = k;
    r->in_pos = 0;
    return rc;
}

static int fill_gzip(ls_ing_reader *r, ls_error *err)
{
    ls_buf_reserve(&r->buf, OUT_CHUNK);
    size_t start = r->buf.len;
    while (r->buf.len - start < OUT_CHUNK / 2 && !r->eof) {
        int rc = refill_in(r, err);
        if (rc)
            return rc;
        if (r->in_pos == r->in_len && r->raw_eof) {
            if (!r->zs_member_done && (r->zs.total_in > 0 || r->raw_read > 0))
                return ls_err(err, LS_ERR_CORRUPT, "%s: truncated gzip stream", r->name);
            r->eof = true;
            break;
        }
        if (r->zs_member_done) { /* another member follows */
            inflateReset(&r->zs);
            r->zs_member_done = false;
        }
        r->zs.next_in = r->in + r->in_pos;
        r->zs.avail_in = (uInt)(r->in_len - r->in_pos);
        r->zs.next_out = r->buf.data + r->buf.len;
        size_t room = r->buf.cap - r->buf.len;
        if (room > (1u << 30))
            room = 1u << 30;
        r->zs.avail_out = (uInt)room;
        int z = inflate(&r->zs, Z_NO_FLUSH);
        r->in_pos = r->in_len - r->zs.avail_in;
        r->buf.len = room - r->zs.avail_out + r->buf.len;
        if (z == Z_STREAM_END) {
            r->zs_member_done = true;
        } else if (z == Z_BUF_ERROR) {
            if (r->zs.avail_out == 0)
                break; /* output full */
        } else if (z != Z_OK) {
            return ls_err(err, LS_ERR_CORRUPT, "%s: corrupt gzip data (%s)", r->name,
                          r->zs.msg ? r->zs.msg : "inflate failed");
        }
        if (r->buf.cap - r->buf.len < 4096)
            break;
    }
    return LS_OK;
}

static int fill_zstd(ls_ing_reader *r, ls_error *err)
{
    ls_buf_reserve(&r->buf, OUT_CHUNK);
    size_t start = r->buf.len;
    while (r->buf.len - start < OUT_CHUNK / 2 && !r->eof) {
        int rc = refill_in(r, err);
        if (rc)
            return rc;
        if (r->in_pos == r->in_len && r->raw_eof) {
            if (r->zstd_last != 0)
                return ls_err(err, LS_ERR_CORRUPT, "%s: truncated zstd stream", r->name);
            r->eof = true;
            break;
        }
        ZSTD_inBuffer ib = {r->in, r->in_len, r->in_pos};
        ZSTD_outBuffer ob = {r->buf.data + r->buf.len, r->buf.cap - r->buf.len, 0};
        size_t z = ZSTD_decompressStream(r->zds, &ob, &ib);
        if (ZSTD_isError(z))
            return ls_err(err, LS_ERR_CORRUPT, "%s: corrupt zstd data (%s)", r->name,
                          ZSTD_getErrorName(z));
        r->zstd_last = z;
        r->in_pos = ib.pos;
        r->buf.len += ob.pos;
        if (r->buf.cap - r->buf.len < 4096)
            break;
    }
    return LS_OK;
}

int ls_ing_reader_fill(ls_ing_reader *r, int wait_ms, ls_error *err)
{
    if (r->eof)
        return LS_OK;
    if (r->head > 0 && (r->head >= r->buf.len / 2 || r->buf.cap - r->buf.len < OUT_CHUNK))
        compact(r);
    if (r->is_stdin && wait_ms >= 0) {
        struct pollfd pf = {r->fd, POLLIN, 0};
        int k = poll(&pf, 1, wait_ms);
        if (k < 0 && errno != EINTR)
            return ls_err(err, LS_ERR_IO, "stdin: poll failed: %s", strerror(errno));
        if (k <= 0)
            return LS_OK;
    }
    switch (r->codec) {
    case LS_ING_GZIP: return fill_gzip(r, err);
    case LS_ING_ZSTD: return fill_zstd(r, err);
    default: return fill_plain(r, err);
    }
}

void ls_ing_reader_data(const ls_ing_reader *r, const char **p, size_t *n)
{
    *p = (const char *)r->buf.data + r->head;
    *n = r->buf.len - r->head;
}

void ls_ing_reader_consume(ls_ing_reader *r, size_t n)
{
    if (n > r->buf.len - r->head)
        n = r->buf.len - r->head;
    r->head += n;
    r->consumed += n;
    if (r->head == r->buf.len) {
        r->head = 0;
        r->buf.len = 0;
    }
}

bool ls_ing_reader_eof(const ls_ing_reader *r) { return r->eof; }
uint64_t ls_ing_reader_offset(const ls_ing_reader *r) { return r->consumed; }
int ls_ing_reader_fd(const ls_ing_reader *r) { return r->fd; }

bool ls_ing_reader_seekable(const ls_ing_reader *r, uint64_t *size)
{
    *size = 0;
    if (!r->is_stdin || !r->seekable)
        return false;
    struct stat st;
    if (fstat(r->fd, &st) != 0)
        return false;
    if ((uint64_t)st.st_size > r->start)
        *size = (uint64_t)st.st_size - r->start;
    return true;
}

void ls_ing_reader_prefix(const ls_ing_reader *r, const char **p, size_t *n)
{
    *p = (const char *)r->prefix;
    *n = r->prefix ? r->prefix_len : 0;
}

int ls_ing_reader_skip(ls_ing_reader *r, uint64_t n, ls_error *err)
{
    if (n == 0)
        return LS_OK;
    size_t have = r->buf.len - r->head;
    if (r->codec == LS_ING_PLAIN && r->seekable && n > have) {
        /* past the buffered bytes: seek (raw and decompressed offsets are the same) */
        if (n > UINT64_MAX - r->consumed)
            return ls_err(err, LS_ERR_INVALID, "%s: resume offset overflows", r->name);
        uint64_t target = r->consumed + n, end = r->raw_limit;
        if (r->is_stdin)
            ls_ing_reader_seekable(r, &end);
        if (target > end)
            return ls_err(err, LS_ERR_CORRUPT, "%s: resume offset %llu is past the end (%llu "
                                               "bytes)",
                          r->name, (unsigned long long)target, (unsigned long long)end);
        if (target > (uint64_t)INT64_MAX - r->start ||
            lseek(r->fd, (off_t)(r->start + target), SEEK_SET) < 0)
            return ls_err(err, LS_ERR_IO, "%s: seek failed: %s", r->name, strerror(errno));
        r->head = r->buf.len = 0;
        r->raw_read = target;
        r->consumed = target;
        r->raw_eof = r->eof = !r->is_stdin && r->raw_read >= r->raw_limit;
        return LS_OK;
    }
    while (n > 0) {
        have = r->buf.len - r->head;
        if (have == 0) {
            if (r->eof)
                return ls_err(err, LS_ERR_CORRUPT, "%s: resume offset is past the end of the "
                                                   "data",
                              r->name);
            int rc = ls_ing_reader_fill(r, -1, err);
            if (rc)
                return rc;
            continue;
        }
        size_t k = have < n ? have : (size_t)n;
        ls_ing_reader_consume(r, k);
        n -= k;
    }
    return LS_OK;
}
