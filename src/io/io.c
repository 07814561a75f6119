/*
 * io.c - the backend-independent half of io.h: uri dispatch, key checks,
 * sorting of listings, the write buffer of ls_output, bounds checks of
 * ls_input reads, memory inputs and ls_read_file.
 *
 * Backends (io_local.c, later io_s3.c) plug in through struct ls_store_ops
 * (io_int.h); everything a caller can get wrong is checked here once so the
 * backends all refuse the same things with the same messages.
 */
#include "io_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- keys ------------------------------------------------------------- */

#define LS_TMP_MARK ".ls-tmp-"

/* Checks the '/'-separated components of p[0..n): each non-empty, not "." or "..". */
static int check_components(const char *p, size_t n, const char *what, const char *whole,
                            ls_error *err)
{
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t clen = j - i;
        if (clen == 0)
            return ls_err(err, LS_ERR_INVALID, "%s '%s': empty path component at offset %zu",
                          what, whole, i);
        if ((clen == 1 && p[i] == '.') || (clen == 2 && p[i] == '.' && p[i + 1] == '.'))
            return ls_err(err, LS_ERR_INVALID,
                          "%s '%s': '.' and '..' components are not allowed (offset %zu)", what,
                          whole, i);
        i = j + 1;
    }
    return LS_OK;
}

int ls_key_check(const char *key, const char *what, ls_error *err)
{
    if (!key || !*key)
        return ls_err(err, LS_ERR_INVALID, "%s is empty", what);
    if (key[0] == '/')
        return ls_err(err, LS_ERR_INVALID, "%s '%s' must be relative (no leading '/')", what,
                      key);
    if (strstr(key, LS_TMP_MARK))
        return ls_err(err, LS_ERR_INVALID,
                      "%s '%s' contains '" LS_TMP_MARK "', which is reserved for temp files",
                      what, key);
    return check_components(key, strlen(key), what, key, err);
}

/* A list prefix is free text after its last '/', but the directory part before it
 * must be a valid key (the local backend opens it). */
static int prefix_check(const char *prefix, ls_error *err)
{
    if (prefix[0] == '/')
        return ls_err(err, LS_ERR_INVALID, "list prefix '%s' must be relative", prefix);
    const char *slash = strrchr(prefix, '/');
    if (!slash)
        return LS_OK;
    return check_components(prefix, (size_t)(slash - prefix), "list prefix", prefix, err);
}

/* ---- stores ----------------------------------------------------------- */

ls_store *ls_store_new(const struct ls_store_ops *ops, void *impl, const char *uri)
{
    ls_store *s = ls_xcalloc(1, sizeof *s);
    s->ops = ops;
    s->impl = impl;
    s->uri = ls_xstrdup(uri);
    return s;
}

/* Length of a "scheme://" prefix (scheme = [A-Za-z][A-Za-z0-9+.-]*), or 0. */
static size_t scheme_len(const char *uri)
{
    size_t i = 0;
    if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
        return 0;
    while (uri[i] && uri[i] != ':' && uri[i] != '/')
        i++;
    if (uri[i] == ':' && uri[i + 1] == '/' && uri[i + 2] == '/')
        return i;
    return 0;
}

int ls_store_open(const char *uri, bool create_root, ls_store **out, ls_error *err)
{
    *out = NULL;
    if (!uri || !*uri)
        return ls_err(err, LS_ERR_INVALID, "store uri is empty");
    const char *path = uri;
    size_t sl = scheme_len(uri);
    if (sl) {
        if (sl == 2 && ls_strn_ieq(uri, 2, "s3"))
            return ls_err(err, LS_ERR_UNSUPPORTED, "%s: S3 support is not built yet", uri);
        if (sl == 4 && ls_strn_ieq(uri, 4, "file")) {
            path = uri + 7;
            if (path[0] != '/')
                return ls_err(err, LS_ERR_INVALID,
                              "%s: file:// uris must hold an absolute path (file:///dir)", uri);
        } else {
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "%s: unsupported uri scheme '%.*s' (use a local path or s3://)", uri,
                          (int)sl, uri);
        }
    }
    /* Strip trailing slashes (but keep "/"), so keys join with exactly one. */
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t un = strlen(uri);
    while (un > 1 && uri[un - 1] == '/' && un > (size_t)(path - uri) + 1)
        un--;
    char *root = ls_xstrndup(path, n);
    char *norm_uri = ls_xstrndup(uri, un);
    int rc = ls_local_store_open(root, create_root, norm_uri, out, err);
    free(root);
    free(norm_uri);
    return rc;
}

void ls_store_free(ls_store *s)
{
    if (!s)
        return;
    if (s->ops->free)
        s->ops->free(s);
    free(s->uri);
    free(s);
}

const char *ls_store_uri(const ls_store *s) { return s->uri; }

bool ls_store_is_local(const ls_store *s) { return s->ops->is_local; }

char *ls_store_local_path(const ls_store *s, const char *key)
{
    if (!s->ops->local_path || ls_key_check(key, "key", NULL) != LS_OK)
        return NULL;
    return s->ops->local_path(s, key);
}

int ls_store_put(ls_store *s, const char *key, const void *data, size_t n, ls_error *err)
{
    int rc = ls_key_check(key, "key", err);
    return rc ? rc : s->ops->put(s, key, data, n, err);
}

int ls_store_put_if_absent(ls_store *s, const char *key, const void *data, size_t n,
                           ls_error *err)
{
    int rc = ls_key_check(key, "key", err);
    return rc ? rc : s->ops->put_if_absent(s, key, data, n, err);
}

int ls_store_get(ls_store *s, const char *key, ls_buf *out, ls_error *err)
{
    int rc = ls_key_check(key, "key", err);
    return rc ? rc : s->ops->get(s, key, out, err);
}

int ls_store_get_range(ls_store *s, const char *key, uint64_t off, size_t len, uint8_t *dst,
                       ls_error *err)
{
    int rc = ls_key_check(key, "key", err);
    if (rc)
        return rc;
    if (off > (uint64_t)INT64_MAX || (uint64_t)len > (uint64_t)INT64_MAX - off)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s/%s: range of %zu bytes at offset %llu overflows the object size",
                      s->uri, key, len, (unsigned long long)off);
    return s->ops->get_range(s, key, off, len, dst, err);
}

int ls_store_head(ls_store *s, const char *key, ls_obj_info *info, ls_error *err)
{
    /* head fills size and mtime only: the caller already has the key, and a
     * malloc'ed copy here would be a leak trap. */
    info->key = NULL;
    info->size = 0;
    info->mtime_ms = 0;
    int rc = ls_key_check(key, "key", err);
    return rc ? rc : s->ops->head(s, key, info, err);
}

void ls_obj_list_free(ls_obj_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].key);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

static int obj_cmp(const void *a, const void *b)
{
    /* strcmp compares as unsigned char: bytewise order, as S3 lists. */
    return strcmp(((const ls_obj_info *)a)->key, ((const ls_obj_info *)b)->key);
}

int ls_store_list(ls_store *s, const char *prefix, const char *start_after, ls_obj_list *out,
                  ls_error *err)
{
    if (!prefix)
        prefix = "";
    int rc = prefix_check(prefix, err);
    if (rc)
        return rc;
    if (start_after && !*start_after)
        start_after = NULL;
    size_t base = out->n;
    rc = s->ops->list(s, prefix, start_after, out, err);
    if (rc) {
        for (size_t i = base; i < out->n; i++)
            free(out->items[i].key);
        out->n = base;
        return rc;
    }
    if (out->n - base > 1)
        qsort(out->items + base, out->n - base, sizeof *out->items, obj_cmp);
    return LS_OK;
}

int ls_store_delete(ls_store *s, const char *key, ls_error *err)
{
    int rc = ls_key_check(key, "key", err);
    return rc ? rc : s->ops->del(s, key, err);
}

/* ---- outputs ---------------------------------------------------------- */

ls_output *ls_output_new(const struct ls_store_ops *ops, void *impl, const char *name,
                         size_t buf_cap)
{
    ls_output *o = ls_xcalloc(1, sizeof *o);
    o->ops = ops;
    o->impl = impl;
    o->name = ls_xstrdup(name);
    o->cap = buf_cap ? buf_cap : LS_OUTPUT_BUF_DEFAULT;
    return o; /* buf is allocated on first use: small outputs stay small */
}

static void output_free(ls_output *o)
{
    free(o->buf);
    free(o->name);
    free(o);
}

int ls_output_open(ls_store *s, const char *key, ls_output **out, ls_error *err)
{
    *out = NULL;
    int rc = ls_key_check(key, "key", err);
    return rc ? rc : s->ops->output_open(s, key, out, err);
}

int ls_output_open_file(const char *path, ls_output **out, ls_error *err)
{
    *out = NULL;
    return ls_local_output_open_path(path, out, err);
}

static int output_sink(ls_output *o, const void *data, size_t n, ls_error *err)
{
    int rc = o->ops->output_write(o, data, n, err);
    if (rc)
        o->failed = true;
    return rc;
}

/* Grows the buffer geometrically to hold need bytes (need <= cap). */
static void output_grow(ls_output *o, size_t need)
{
    size_t a = o->alloc ? o->alloc : 64 * 1024;
    while (a < need && a < o->cap)
        a *= 2;
    if (a > o->cap)
        a = o->cap;
    if (a > o->alloc) {
        o->buf = ls_xrealloc(o->buf, a);
        o->alloc = a;
    }
}

int ls_output_write(ls_output *o, const void *data, size_t n, ls_error *err)
{
    if (o->failed)
        return ls_err(err, LS_ERR_IO, "%s: write after an earlier write failed", o->name);
    const uint8_t *p = data;
    uint64_t total = o->offset + n;
    if (total < o->offset)
        return ls_err(err, LS_ERR_LIMIT, "%s: output larger than 2^64 bytes", o->name);
    if (LS_LIKELY(n <= o->alloc - o->len)) {
        if (n)
            memcpy(o->buf + o->len, p, n);
        o->len += n;
        o->offset = total;
        return LS_OK;
    }
    int rc = LS_OK;
    if (o->len == 0 && n >= o->cap) {
        /* Large write, empty buffer: straight through, no copy. */
        rc = output_sink(o, p, n, err);
    } else if (n <= o->cap - o->len) {
        output_grow(o, o->len + n);
        memcpy(o->buf + o->len, p, n);
        o->len += n;
    } else {
        /* Top the buffer up to cap and flush it; a large remainder goes
         * straight through, a small one is buffered. */
        output_grow(o, o->cap);
        size_t k = o->cap - o->len;
        memcpy(o->buf + o->len, p, k);
        p += k;
        n -= k;
        rc = output_sink(o, o->buf, o->cap, err);
        o->len = 0;
        if (rc == LS_OK && n >= o->cap) {
            rc = output_sink(o, p, n, err);
            n = 0;
        }
        if (rc == LS_OK && n) {
            memcpy(o->buf, p, n);
            o->len = n;
        }
    }
    if (rc == LS_OK)
        o->offset = total;
    return rc;
}

uint64_t ls_output_offset(const ls_output *o) { return o->offset; }

void ls_output_set_durable(ls_output *o, bool durable) { o->not_durable = !durable; }

int ls_output_commit(ls_output *o, ls_error *err)
{
    int rc = LS_OK;
    if (o->failed) {
        rc = ls_err(err, LS_ERR_IO, "%s: not published because an earlier write failed",
                    o->name);
    } else if (o->len) {
        rc = output_sink(o, o->buf, o->len, err);
    }
    if (rc) {
        o->ops->output_abort(o);
        output_free(o);
        return rc;
    }
    rc = o->ops->output_commit(o, err);
    output_free(o);
    return rc;
}

void ls_output_abort(ls_output *o)
{
    if (!o)
        return;
    o->ops->output_abort(o);
    output_free(o);
}

/* ---- inputs ----------------------------------------------------------- */

ls_input *ls_input_new(const struct ls_store_ops *ops, void *impl, const char *name,
                       uint64_t size)
{
    ls_input *in = ls_xcalloc(1, sizeof *in);
    in->ops = ops;
    in->impl = impl;
    in->name = ls_xstrdup(name ? name : "<memory>");
    in->size = size;
    return in;
}

int ls_input_open_file(const char *path, ls_input **out, ls_error *err)
{
    *out = NULL;
    if (!path || !*path)
        return ls_err(err, LS_ERR_INVALID, "input path is empty");
    return ls_local_input_open_path(path, out, err);
}

int ls_input_open_store(ls_store *s, const char *key, ls_input **out, ls_error *err)
{
    *out = NULL;
    int rc = ls_key_check(key, "key", err);
    return rc ? rc : s->ops->input_open(s, key, out, err);
}

ls_input *ls_input_from_memory(const void *data, size_t n, const char *name)
{
    ls_input *in = ls_input_new(NULL, NULL, name, n);
    in->mem = data;
    return in;
}

uint64_t ls_input_size(const ls_input *in) { return in->size; }

const char *ls_input_name(const ls_input *in) { return in->name; }

int ls_input_read(ls_input *in, uint64_t off, size_t len, uint8_t *dst, ls_error *err)
{
    if (off > in->size || (uint64_t)len > in->size - off)
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: read of %zu bytes at offset %llu is past the end (size %llu)",
                      in->name, len, (unsigned long long)off, (unsigned long long)in->size);
    if (len == 0)
        return LS_OK;
    if (!in->ops) {
        memcpy(dst, in->mem + off, len);
        return LS_OK;
    }
    return in->ops->input_read(in, off, len, dst, err);
}

void ls_input_free(ls_input *in)
{
    if (!in)
        return;
    if (in->ops && in->ops->input_close)
        in->ops->input_close(in);
    free(in->name);
    free(in);
}

/* ---- whole local files ------------------------------------------------ */

int ls_read_file(const char *path, ls_buf *out, ls_error *err)
{
    if (!path || !*path)
        return ls_err(err, LS_ERR_INVALID, "file path is empty");
    /* No O_NONBLOCK: pipes and /dev/stdin are fine here, read to EOF. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return ls_err(err, e == ENOENT ? LS_ERR_NOTFOUND : LS_ERR_IO, "%s: open: %s", path,
                      strerror(e));
    }
    struct stat st;
    uint64_t hint = 0;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            return ls_err(err, LS_ERR_INVALID, "%s: is a directory, not a file", path);
        }
        if (S_ISREG(st.st_mode) && st.st_size > 0)
            hint = (uint64_t)st.st_size;
    }
    int rc = ls_local_read_fd(fd, path, hint, out, err);
    close(fd);
    return rc;
}
