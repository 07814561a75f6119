/*
 * io_local.c - the local-disk backend of io.h: object-store semantics on a
 * POSIX filesystem.
 *
 * DESIGN
 *   - A key is a path relative to the root; missing directories are created
 *     on write (mkdir -p), each new directory made durable by an fsync of its
 *     parent.
 *   - Nothing is ever written in place. Every write goes to a temp file in
 *     the target's own directory, named ".<base>.ls-tmp-<16 hex>", which is
 *     fsync'ed and then published:
 *       put            rename(2) over the key (atomic replace);
 *       put_if_absent  link(2) to the key: the kernel refuses with EEXIST if
 *                      the name exists, so exactly one of any number of
 *                      racing processes wins, and readers only ever see the
 *                      complete temp file under the final name. Filesystems
 *                      without hard links fall back to renameat2(NOREPLACE);
 *       output commit  rename(2), like put.
 *     and the directory is fsync'ed so the new name survives a crash.
 *     A crash before publishing leaves at worst a temp file, which list
 *     skips and vacuum removes.
 *   - list walks the deepest directory the prefix names, collects with
 *     readdir (no per-file stat for names that are filtered out) and leaves
 *     sorting to io.c.
 */
#include "io_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define TMP_MARK ".ls-tmp-"
#define TMP_BASE_MAX 96 /* keep temp names under NAME_MAX for long basenames */
#define LIST_DEPTH_MAX 256
#define FILE_MODE 0666 /* umask decides, as for any tool */
#define DIR_MODE 0777

typedef struct local_store {
    char *root; /* no trailing '/', except "/" itself */
} local_store;

static const struct ls_store_ops local_ops;

/* ---- small path helpers ----------------------------------------------- */

static char *join(const char *root, const char *key)
{
    size_t rl = strlen(root);
    if (rl && root[rl - 1] == '/')
        return ls_xasprintf("%s%s", root, key);
    return ls_xasprintf("%s/%s", root, key);
}

static char *local_join(const ls_store *s, const char *key)
{
    return join(((const local_store *)s->impl)->root, key);
}

/* malloc'ed directory part of path: "." without a slash, "/" for "/x". */
static char *dir_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    if (!sl)
        return ls_xstrdup(".");
    if (sl == path)
        return ls_xstrdup("/");
    return ls_xstrndup(path, (size_t)(sl - path));
}

static const char *base_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    return sl ? sl + 1 : path;
}

static void random_hex(char out[17])
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        /* O_EXCL makes names unique anyway; this only has to spread. */
        int local;
        r = ls_hash_u64((uint64_t)getpid() ^ (uint64_t)ls_monotonic_nanos() ^
                        (uint64_t)(uintptr_t)&local);
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        out[i] = hex[(r >> (i * 4)) & 15];
    out[16] = 0;
}

/* ---- durable syscalls -------------------------------------------------- */

/* Makes directory entries in dir durable (new files, renames, links). */
static int fsync_dir(const char *dir, ls_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return ls_err(err, LS_ERR_IO, "%s: open directory for fsync: %s", dir, strerror(e));
    }
    int rc = LS_OK;
    if (fsync(fd) != 0) {
        int e = errno;
        /* Some filesystems cannot sync directories; nothing more we can do there. */
        if (e != EINVAL && e != EROFS)
            rc = ls_err(err, LS_ERR_IO, "%s: fsync directory: %s", dir, strerror(e));
    }
    close(fd);
    return rc;
}

static int write_all(int fd, const void *data, size_t n, const char *name, ls_error *err)
{
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            return ls_err(err, LS_ERR_IO, "%s: write: %s", name, strerror(e));
        }
        p += w;
        n -= (size_t)w;
    }
    return LS_OK;
}

/* pread exactly len bytes; a file shorter than off+len is LS_ERR_CORRUPT. */
static int pread_all(int fd, uint64_t off, size_t len, uint8_t *dst, const char *name,
                     ls_error *err)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, dst + got, len - got, (off_t)(off + got));
        if (r < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            return ls_err(err, e == EISDIR ? LS_ERR_NOTFOUND : LS_ERR_IO,
                          "%s: read at offset %llu: %s", name,
                          (unsigned long long)(off + got), strerror(e));
        }
        if (r == 0)
            return ls_err(err, LS_ERR_CORRUPT,
                          "%s: short read: file ends at offset %llu, wanted %zu bytes at "
                          "offset %llu",
                          name, (unsigned long long)(off + got), len, (unsigned long long)off);
        got += (size_t)r;
    }
    return LS_OK;
}

int ls_local_read_fd(int fd, const char *name, uint64_t size_hint, ls_buf *out, ls_error *err)
{
    size_t orig = out->len;
    if (size_hint > SIZE_MAX / 2)
        return ls_err(err, LS_ERR_LIMIT, "%s: file of %llu bytes is too large to load",
                      name, (unsigned long long)size_hint);
    ls_buf_reserve(out, (size_t)size_hint + 1); /* +1: the EOF read needs room */
    for (;;) {
        if (out->cap == out->len)
            ls_buf_reserve(out, out->len < 65536 ? 65536 : out->len);
        ssize_t r = read(fd, out->data + out->len, out->cap - out->len);
        if (r < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            size_t at = out->len - orig;
            out->len = orig;
            return ls_err(err, LS_ERR_IO, "%s: read at offset %zu: %s", name, at, strerror(e));
        }
        if (r == 0)
            return LS_OK;
        out->len += (size_t)r;
    }
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Creates every missing directory of path from byte offset from on (the part
 * before is known to exist); each one created is made durable in its parent. */
static int mkdir_p(const char *path, size_t from, ls_error *err)
{
    size_t n = strlen(path);
    char *p = ls_xstrdup(path);
    int rc = LS_OK;
    size_t i = from;
    while (i < n && p[i] == '/')
        i++;
    while (i <= n && rc == LS_OK) {
        while (i < n && p[i] != '/')
            i++;
        p[i] = 0; /* p = path up to this component */
        int e = mkdir(p, DIR_MODE) == 0 ? 0 : errno;
        if (e == 0) {
            char *parent = dir_of(p);
            rc = fsync_dir(parent, err);
            free(parent);
        } else if (e != EEXIST && !is_dir(p)) { /* e.g. EROFS/EACCES on an existing dir */
            rc = ls_err(err, e == ENOENT ? LS_ERR_NOTFOUND : LS_ERR_IO, "%s: mkdir: %s", p,
                        strerror(e));
        }
        if (i < n)
            p[i] = '/';
        i++;
        while (i < n && p[i] == '/')
            i++;
    }
    free(p);
    return rc;
}

/* Creates a fresh temp file beside final_path. On failure returns the errno in
 * *eno (0 if err was set for another reason) so callers can mkdir and retry. */
static int open_temp(const char *dir, const char *final_path, char **tmp_out, int *fd_out,
                     int *eno, ls_error *err)
{
    const char *base = base_of(final_path);
    int blen = (int)strnlen(base, TMP_BASE_MAX);
    *eno = 0;
    for (int attempt = 0; attempt < 16; attempt++) {
        char rnd[17];
        random_hex(rnd);
        char *tmp = ls_xasprintf("%s%s.%.*s" TMP_MARK "%s", dir,
                                 strcmp(dir, "/") == 0 ? "" : "/", blen, base, rnd);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, FILE_MODE);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return LS_OK;
        }
        int e = errno;
        if (e == EEXIST) {
            free(tmp);
            continue;
        }
        *eno = e;
        int rc = ls_err(err, e == ENOENT ? LS_ERR_NOTFOUND : LS_ERR_IO,
                        "%s: create temp file %s: %s", final_path, tmp, strerror(e));
        free(tmp);
        return rc;
    }
    return ls_err(err, LS_ERR_IO, "%s: could not find a free temp file name", final_path);
}

/* open_temp for a key of store s: creates the key's directories if missing. */
static int open_temp_key(const ls_store *s, const char *dir, const char *path, char **tmp,
                         int *fd, ls_error *err)
{
    int eno;
    int rc = open_temp(dir, path, tmp, fd, &eno, err);
    const local_store *ls = s->impl;
    if (rc == LS_OK || eno != ENOENT || strlen(dir) <= strlen(ls->root))
        return rc; /* a vanished root is not silently recreated */
    rc = mkdir_p(dir, strlen(ls->root), err);
    if (rc)
        return rc;
    return open_temp(dir, path, tmp, fd, &eno, err);
}

/* Writes data to a new fsync'ed temp file beside path. */
static int write_temp(const ls_store *s, const char *dir, const char *path, const void *data,
                      size_t n, char **tmp_out, ls_error *err)
{
    char *tmp = NULL;
    int fd = -1;
    int rc = open_temp_key(s, dir, path, &tmp, &fd, err);
    if (rc)
        return rc;
    rc = write_all(fd, data, n, tmp, err);
    if (rc == LS_OK && fsync(fd) != 0) {
        int e = errno;
        rc = ls_err(err, LS_ERR_IO, "%s: fsync: %s", tmp, strerror(e));
    }
    if (close(fd) != 0 && rc == LS_OK) {
        int e = errno;
        rc = ls_err(err, LS_ERR_IO, "%s: close: %s", tmp, strerror(e));
    }
    if (rc) {
        unlink(tmp);
        free(tmp);
        return rc;
    }
    *tmp_out = tmp;
    return LS_OK;
}

/* ---- store operations -------------------------------------------------- */

static void local_free(ls_store *s)
{
    local_store *ls = s->impl;
    if (ls) {
        free(ls->root);
        free(ls);
    }
}

static char *local_path(const ls_store *s, const char *key) { return local_join(s, key); }

static int local_put(ls_store *s, const char *key, const void *data, size_t n, ls_error *err)
{
    char *path = local_join(s, key), *dir = dir_of(path), *tmp = NULL;
    int rc = write_temp(s, dir, path, data, n, &tmp, err);
    if (rc == LS_OK) {
        if (rename(tmp, path) != 0) {
            int e = errno;
            rc = ls_err(err, LS_ERR_IO, "%s: rename from %s: %s", path, tmp, strerror(e));
            unlink(tmp);
        } else {
            rc = fsync_dir(dir, err);
        }
    }
    free(tmp);
    free(dir);
    free(path);
    return rc;
}

static int local_put_if_absent(ls_store *s, const char *key, const void *data, size_t n,
                               ls_error *err)
{
    char *path = local_join(s, key), *dir = dir_of(path), *tmp = NULL;
    int rc = write_temp(s, dir, path, data, n, &tmp, err);
    if (rc)
        goto out;
    int e = 0;
    if (link(tmp, path) != 0) {
        e = errno;
        if (e == EPERM || e == EOPNOTSUPP || e == ENOSYS || e == EMLINK) {
            /* No hard links here (some FUSE/VFAT): the same guarantee via rename. */
            e = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0 ? 0 : errno;
        }
    }
    unlink(tmp); /* after link the key holds the data; after a failure it is junk */
    if (e == EEXIST) {
        rc = ls_err(err, LS_ERR_EXISTS, "%s: already exists", path);
        goto out;
    }
    if (e) {
        rc = ls_err(err, LS_ERR_IO, "%s: link from %s: %s", path, tmp, strerror(e));
        goto out;
    }
    rc = fsync_dir(dir, err);
    if (rc)
        ls_err_prefix(err, "%s: published, but may not survive a crash", path);
out:
    free(tmp);
    free(dir);
    free(path);
    return rc;
}

/* Opens path for reading; a missing file or a directory is LS_ERR_NOTFOUND when
 * dir_is_missing, other non-regular files are refused (O_NONBLOCK: a FIFO must
 * not hang us). */
static int open_regular(const char *path, bool dir_is_missing, int *fd_out, struct stat *st,
                        ls_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        return ls_err(err, e == ENOENT || e == ENOTDIR ? LS_ERR_NOTFOUND : LS_ERR_IO,
                      "%s: open: %s", path, strerror(e));
    }
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        return ls_err(err, LS_ERR_IO, "%s: fstat: %s", path, strerror(e));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        if (S_ISDIR(st->st_mode) && dir_is_missing)
            return ls_err(err, LS_ERR_NOTFOUND, "%s: is a directory, not an object", path);
        return ls_err(err, LS_ERR_INVALID, "%s: not a regular file", path);
    }
    *fd_out = fd;
    return LS_OK;
}

static int local_get(ls_store *s, const char *key, ls_buf *out, ls_error *err)
{
    char *path = local_join(s, key);
    int fd;
    struct stat st;
    int rc = open_regular(path, true, &fd, &st, err);
    if (rc == LS_OK) {
        rc = ls_local_read_fd(fd, path, (uint64_t)st.st_size, out, err);
        close(fd);
    }
    free(path);
    return rc;
}

static int local_get_range(ls_store *s, const char *key, uint64_t off, size_t len,
                           uint8_t *dst, ls_error *err)
{
    char *path = local_join(s, key);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    int rc;
    if (fd < 0) {
        int e = errno;
        rc = ls_err(err, e == ENOENT || e == ENOTDIR ? LS_ERR_NOTFOUND : LS_ERR_IO,
                    "%s: open: %s", path, strerror(e));
    } else {
        rc = pread_all(fd, off, len, dst, path, err);
        close(fd);
    }
    free(path);
    return rc;
}

static int64_t mtime_ms(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

static int local_head(ls_store *s, const char *key, ls_obj_info *info, ls_error *err)
{
    char *path = local_join(s, key);
    struct stat st;
    int rc = LS_OK;
    if (stat(path, &st) != 0) {
        int e = errno;
        rc = ls_err(err, e == ENOENT || e == ENOTDIR ? LS_ERR_NOTFOUND : LS_ERR_IO,
                    "%s: stat: %s", path, strerror(e));
    } else if (S_ISDIR(st.st_mode)) {
        rc = ls_err(err, LS_ERR_NOTFOUND, "%s: is a directory, not an object", path);
    } else if (!S_ISREG(st.st_mode)) {
        rc = ls_err(err, LS_ERR_INVALID, "%s: not a regular file", path);
    } else {
        info->size = (uint64_t)st.st_size;
        info->mtime_ms = mtime_ms(&st);
    }
    free(path);
    return rc;
}

static int local_del(ls_store *s, const char *key, ls_error *err)
{
    char *path = local_join(s, key);
    int rc = LS_OK;
    /* No directory fsync: a delete that is undone by a crash is harmless
     * (vacuum retries), and vacuum deletes many files. */
    if (unlink(path) != 0) {
        int e = errno;
        if (e != ENOENT && e != ENOTDIR && e != EISDIR)
            rc = ls_err(err, LS_ERR_IO, "%s: unlink: %s", path, strerror(e));
    }
    free(path);
    return rc;
}

/* ---- list -------------------------------------------------------------- */

typedef struct walk_ctx {
    const char *root;
    const char *prefix;
    size_t plen;
    const char *start_after; /* NULL: none */
    ls_obj_list *out;
    ls_buf key; /* key of the directory being walked, with trailing '/' (or empty) */
    ls_error *err;
} walk_ctx;

static void list_push(ls_obj_list *l, const char *key, size_t klen, const struct stat *st)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = ls_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    ls_obj_info *it = &l->items[l->n++];
    it->key = ls_xstrndup(key, klen);
    it->size = (uint64_t)st->st_size;
    it->mtime_ms = mtime_ms(st);
}

static int walk_dir(walk_ctx *c, int dfd, int depth);

/* Considers one directory entry; c->key already holds its full key. */
static int walk_entry(walk_ctx *c, int dfd, const char *name, unsigned char dtype, int depth)
{
    const char *key = (const char *)c->key.data;
    size_t klen = c->key.len;
    struct stat st;
    bool have_st = false, is_dir = false, is_file = false;

    if (dtype == DT_DIR) {
        is_dir = true;
    } else if (dtype == DT_REG) {
        is_file = true;
    } else {
        /* Unknown type or symlink: symlinks to files count, to directories not
         * (no cycles). */
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return errno == ENOENT ? LS_OK : ls_err(c->err, LS_ERR_IO, "%s/%.*s: stat: %s",
                                                    c->root, (int)klen, key, strerror(errno));
        if (S_ISLNK(st.st_mode)) {
            if (fstatat(dfd, name, &st, 0) != 0 || !S_ISREG(st.st_mode))
                return LS_OK;
            have_st = true;
            is_file = true;
        } else if (S_ISDIR(st.st_mode)) {
            is_dir = true;
        } else if (S_ISREG(st.st_mode)) {
            have_st = true;
            is_file = true;
        }
    }

    if (is_file) {
        if (klen < c->plen || memcmp(key, c->prefix, c->plen) != 0)
            return LS_OK;
        if (c->start_after && strcmp(key, c->start_after) <= 0)
            return LS_OK; /* filtered before the stat: the cheap path for _delta_log */
        if (!have_st && fstatat(dfd, name, &st, 0) != 0) {
            if (errno == ENOENT) /* deleted under us */
                return LS_OK;
            return ls_err(c->err, LS_ERR_IO, "%s/%.*s: stat: %s", c->root, (int)klen, key,
                          strerror(errno));
        }
        if (S_ISREG(st.st_mode))
            list_push(c->out, key, klen, &st);
        return LS_OK;
    }
    if (!is_dir)
        return LS_OK;

    /* Descend only if keys under "key/" can both match the prefix and come
     * after start_after. */
    ls_buf_putc(&c->key, '/');
    key = ls_buf_cstr(&c->key);
    size_t dl = c->key.len;
    bool want = dl >= c->plen ? memcmp(key, c->prefix, c->plen) == 0
                              : memcmp(key, c->prefix, dl) == 0;
    if (want && c->start_after && strncmp(c->start_after, key, dl) > 0)
        want = false;
    if (!want)
        return LS_OK;
    if (depth >= LIST_DEPTH_MAX)
        return ls_err(c->err, LS_ERR_LIMIT, "%s/%.*s: directories nested deeper than %d",
                      c->root, (int)dl, key, LIST_DEPTH_MAX);
    int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR || e == ELOOP)
            return LS_OK;
        return ls_err(c->err, LS_ERR_IO, "%s/%.*s: open directory: %s", c->root, (int)dl, key,
                      strerror(e));
    }
    return walk_dir(c, sub, depth + 1);
}

/* Walks the directory open as dfd (takes ownership) whose key is c->key. */
static int walk_dir(walk_ctx *c, int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return ls_err(c->err, LS_ERR_IO, "%s/%.*s: opendir: %s", c->root, (int)c->key.len,
                      (const char *)c->key.data, strerror(e));
    }
    size_t base = c->key.len;
    int rc = LS_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) {
                int e = errno;
                rc = ls_err(c->err, LS_ERR_IO, "%s/%.*s: readdir: %s", c->root, (int)base,
                            (const char *)c->key.data, strerror(e));
            }
            break;
        }
        const char *name = de->d_name;
        if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
            continue;
        if (strstr(name, TMP_MARK))
            continue;
        c->key.len = base;
        ls_buf_puts(&c->key, name);
        ls_buf_cstr(&c->key); /* keys are compared with strcmp */
        rc = walk_entry(c, dirfd(d), name, de->d_type, depth);
        c->key.len = base;
        if (rc)
            break;
    }
    closedir(d);
    return rc;
}

static int local_list(ls_store *s, const char *prefix, const char *start_after,
                      ls_obj_list *out, ls_error *err)
{
    const local_store *ls = s->impl;
    walk_ctx c = {.root = ls->root,
                  .prefix = prefix,
                  .plen = strlen(prefix),
                  .start_after = start_after,
                  .out = out,
                  .err = err};
    /* The deepest directory the prefix names: everything up to its last '/'. */
    const char *sl = strrchr(prefix, '/');
    size_t dlen = sl ? (size_t)(sl - prefix) + 1 : 0;
    char *dir = dlen ? ls_xasprintf("%s%s%.*s", ls->root, strcmp(ls->root, "/") ? "/" : "",
                                    (int)(dlen - 1), prefix)
                     : ls_xstrdup(ls->root);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = LS_OK;
    if (fd < 0) {
        int e = errno;
        if (e != ENOENT && e != ENOTDIR)
            rc = ls_err(err, LS_ERR_IO, "%s: open directory: %s", dir, strerror(e));
    } else {
        ls_buf_append(&c.key, prefix, dlen);
        rc = walk_dir(&c, fd, 0);
    }
    ls_buf_free(&c.key);
    free(dir);
    return rc;
}

/* ---- outputs ------------------------------------------------------------ */

typedef struct local_out {
    int fd;
    char *tmp, *path, *dir;
} local_out;

static void local_out_free(local_out *lo)
{
    free(lo->tmp);
    free(lo->path);
    free(lo->dir);
    free(lo);
}

static ls_output *local_out_new(char *path, char *dir, char *tmp, int fd)
{
    local_out *lo = ls_xcalloc(1, sizeof *lo);
    lo->fd = fd;
    lo->tmp = tmp;
    lo->path = path;
    lo->dir = dir;
    return ls_output_new(&local_ops, lo, path, LS_OUTPUT_BUF_DEFAULT);
}

static int local_output_open(ls_store *s, const char *key, ls_output **out, ls_error *err)
{
    char *path = local_join(s, key), *dir = dir_of(path), *tmp = NULL;
    int fd = -1;
    int rc = open_temp_key(s, dir, path, &tmp, &fd, err);
    if (rc) {
        free(path);
        free(dir);
        return rc;
    }
    *out = local_out_new(path, dir, tmp, fd);
    return LS_OK;
}

int ls_local_output_open_path(const char *path, ls_output **out, ls_error *err)
{
    if (!path || !*path)
        return ls_err(err, LS_ERR_INVALID, "output path is empty");
    const char *base = base_of(path);
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return ls_err(err, LS_ERR_INVALID, "output path '%s' does not name a file", path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return ls_err(err, LS_ERR_INVALID, "output path '%s' is a directory", path);
    char *dir = dir_of(path), *tmp = NULL;
    int fd = -1, eno;
    int rc = open_temp(dir, path, &tmp, &fd, &eno, err);
    if (rc) {
        if (eno == ENOENT)
            ls_err(err, LS_ERR_NOTFOUND, "%s: directory '%s' does not exist", path, dir);
        free(dir);
        return rc;
    }
    *out = local_out_new(ls_xstrdup(path), dir, tmp, fd);
    return LS_OK;
}

static int local_output_write(ls_output *o, const void *data, size_t n, ls_error *err)
{
    local_out *lo = o->impl;
    return write_all(lo->fd, data, n, lo->tmp, err);
}

static int local_output_commit(ls_output *o, ls_error *err)
{
    local_out *lo = o->impl;
    int rc = LS_OK;
    if (!o->not_durable && fsync(lo->fd) != 0) {
        int e = errno;
        rc = ls_err(err, LS_ERR_IO, "%s: fsync: %s", lo->tmp, strerror(e));
    }
    if (close(lo->fd) != 0 && rc == LS_OK) {
        int e = errno;
        rc = ls_err(err, LS_ERR_IO, "%s: close: %s", lo->tmp, strerror(e));
    }
    if (rc == LS_OK && rename(lo->tmp, lo->path) != 0) {
        int e = errno;
        rc = ls_err(err, LS_ERR_IO, "%s: rename from %s: %s", lo->path, lo->tmp, strerror(e));
    }
    if (rc)
        unlink(lo->tmp);
    else if (!o->not_durable)
        rc = fsync_dir(lo->dir, err);
    local_out_free(lo);
    o->impl = NULL;
    return rc;
}

static void local_output_abort(ls_output *o)
{
    local_out *lo = o->impl;
    if (!lo)
        return;
    close(lo->fd);
    unlink(lo->tmp);
    local_out_free(lo);
    o->impl = NULL;
}

/* ---- inputs ------------------------------------------------------------- */

typedef struct local_in {
    int fd;
} local_in;

static int input_open(const char *path, bool dir_is_missing, ls_input **out, ls_error *err)
{
    int fd;
    struct stat st;
    int rc = open_regular(path, dir_is_missing, &fd, &st, err);
    if (rc)
        return rc;
    local_in *li = ls_xmalloc(sizeof *li);
    li->fd = fd;
    *out = ls_input_new(&local_ops, li, path, (uint64_t)st.st_size);
    return LS_OK;
}

int ls_local_input_open_path(const char *path, ls_input **out, ls_error *err)
{
    return input_open(path, false, out, err);
}

static int local_input_open(ls_store *s, const char *key, ls_input **out, ls_error *err)
{
    char *path = local_join(s, key);
    int rc = input_open(path, true, out, err);
    free(path);
    return rc;
}

static int local_input_read(ls_input *in, uint64_t off, size_t len, uint8_t *dst,
                            ls_error *err)
{
    const local_in *li = in->impl;
    return pread_all(li->fd, off, len, dst, in->name, err);
}

static void local_input_close(ls_input *in)
{
    local_in *li = in->impl;
    if (li) {
        close(li->fd);
        free(li);
    }
    in->impl = NULL;
}

/* ---- open --------------------------------------------------------------- */

static const struct ls_store_ops local_ops = {
    .scheme = "file",
    .is_local = true,
    .free = local_free,
    .local_path = local_path,
    .put = local_put,
    .put_if_absent = local_put_if_absent,
    .get = local_get,
    .get_range = local_get_range,
    .head = local_head,
    .list = local_list,
    .del = local_del,
    .output_open = local_output_open,
    .output_write = local_output_write,
    .output_commit = local_output_commit,
    .output_abort = local_output_abort,
    .input_open = local_input_open,
    .input_read = local_input_read,
    .input_close = local_input_close,
};

int ls_local_store_open(const char *root, bool create_root, const char *uri, ls_store **out,
                        ls_error *err)
{
    *out = NULL;
    if (create_root) {
        int rc = mkdir_p(root, 0, err);
        if (rc)
            return ls_err_prefix(err, "create store root");
    }
    struct stat st;
    if (stat(root, &st) != 0) {
        int e = errno;
        return ls_err(err, e == ENOENT ? LS_ERR_NOTFOUND : LS_ERR_IO, "store root %s: %s", root,
                      strerror(e));
    }
    if (!S_ISDIR(st.st_mode))
        return ls_err(err, LS_ERR_INVALID, "store root %s is not a directory", root);
    local_store *ls = ls_xmalloc(sizeof *ls);
    ls->root = ls_xstrdup(root);
    *out = ls_store_new(&local_ops, ls, uri);
    return LS_OK;
}
