/*
 * test_io.c - tests of io.h on the local-disk backend: every store
 * operation, key validation, listing order, atomic publish of outputs,
 * inputs, and the crash/concurrency guarantees (fork-based: racing
 * put_if_absent, a writer killed before commit or during put).
 */
#include "io/io.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char t_root[512]; /* scratch directory of this run */

/* ---- helpers ------------------------------------------------------------ */

static char *tpath(const char *rel) { return ls_xasprintf("%s/%s", t_root, rel); }

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    remove(p);
    return 0;
}

static void rm_rf(const char *p) { nftw(p, rm_cb, 32, FTW_DEPTH | FTW_PHYS); }

static int tmp_count_cb_n;
static int tmp_count_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag;
    if (strstr(p + f->base, ".ls-tmp-"))
        tmp_count_cb_n++;
    return 0;
}

/* Number of temp files anywhere under dir. */
static int count_tmp(const char *dir)
{
    tmp_count_cb_n = 0;
    nftw(dir, tmp_count_cb, 32, FTW_PHYS);
    return tmp_count_cb_n;
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static void write_raw(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("FAIL cannot create %s: %s\n", path, strerror(errno));
        t_cur_failed = 1;
        return;
    }
    if (n && write(fd, data, n) != (ssize_t)n)
        t_cur_failed = 1;
    close(fd);
}

static ls_store *open_store(const char *name)
{
    char *p = tpath(name);
    ls_store *s = NULL;
    ls_error err = {0};
    int rc = ls_store_open(p, true, &s, &err);
    if (rc) {
        printf("FAIL open store %s: %s\n", p, err.msg);
        t_cur_failed = 1;
    }
    free(p);
    return s;
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}

/* ---- open / uri --------------------------------------------------------- */

static void test_open(void)
{
    ls_error err = {0};
    ls_store *s = NULL;
    char *missing = tpath("open/missing");
    CHECK(ls_store_open(missing, false, &s, &err) == LS_ERR_NOTFOUND && !s);
    CHECK(strstr(err.msg, missing) != NULL);

    char *deep = tpath("open/a/b/c/");
    CHECK_OK(ls_store_open(deep, true, &s, &err), &err);
    if (s) {
        char *want = tpath("open/a/b/c");
        CHECK_STR(ls_store_uri(s), want);
        CHECK(ls_store_is_local(s));
        char *lp = ls_store_local_path(s, "x/y.parquet");
        char *want_lp = tpath("open/a/b/c/x/y.parquet");
        CHECK_STR(lp, want_lp);
        CHECK(ls_store_local_path(s, "../etc/passwd") == NULL);
        free(lp);
        free(want_lp);
        free(want);
        ls_store_free(s);
        s = NULL;
    }
    /* opening again without create works now */
    CHECK_OK(ls_store_open(deep, false, &s, &err), &err);
    ls_store_free(s);
    s = NULL;

    /* root is a file */
    char *file = tpath("open/file");
    write_raw(file, "x", 1);
    CHECK(ls_store_open(file, false, &s, &err) == LS_ERR_INVALID);
    CHECK(ls_store_open(file, true, &s, &err) != LS_OK);

    /* file:// uris */
    char *furi = ls_xasprintf("file://%s", deep);
    CHECK_OK(ls_store_open(furi, false, &s, &err), &err);
    if (s) {
        CHECK(strncmp(ls_store_uri(s), "file://", 7) == 0);
        ls_store_free(s);
        s = NULL;
    }
    CHECK(ls_store_open("file://relative/path", false, &s, &err) == LS_ERR_INVALID);

    /* S3 is not built yet; other schemes are refused */
    CHECK(ls_store_open("s3://bucket/table", true, &s, &err) == LS_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "S3 support is not built yet") != NULL);
    CHECK(ls_store_open("gs://bucket/table", true, &s, &err) == LS_ERR_UNSUPPORTED);
    CHECK(ls_store_open("", true, &s, &err) == LS_ERR_INVALID);
    CHECK(!s);
    ls_store_free(NULL);
    free(furi);
    free(file);
    free(deep);
    free(missing);
}

/* ---- keys --------------------------------------------------------------- */

static void test_key_validation(void)
{
    ls_store *s = open_store("keys");
    if (!s)
        return;
    ls_error err = {0};
    static const char *const bad[] = {
        "", "/abs", "a//b", "a/", "..", "../x", "a/../b", "a/..", ".", "./a", "a/./b",
        "x.ls-tmp-0123", "dir/.f.ls-tmp-ab/c",
    };
    uint8_t byte = 0;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *k = bad[i];
        ls_buf b = {0};
        ls_obj_info info;
        ls_output *o = NULL;
        ls_input *in = NULL;
        CHECK_MSG(ls_store_put(s, k, "x", 1, &err) == LS_ERR_INVALID, "put '%s'", k);
        CHECK_MSG(ls_store_put_if_absent(s, k, "x", 1, &err) == LS_ERR_INVALID, "pia '%s'", k);
        CHECK_MSG(ls_store_get(s, k, &b, &err) == LS_ERR_INVALID, "get '%s'", k);
        CHECK_MSG(ls_store_get_range(s, k, 0, 1, &byte, &err) == LS_ERR_INVALID, "range '%s'",
                  k);
        CHECK_MSG(ls_store_head(s, k, &info, &err) == LS_ERR_INVALID, "head '%s'", k);
        CHECK_MSG(ls_store_delete(s, k, &err) == LS_ERR_INVALID, "delete '%s'", k);
        CHECK_MSG(ls_output_open(s, k, &o, &err) == LS_ERR_INVALID && !o, "output '%s'", k);
        CHECK_MSG(ls_input_open_store(s, k, &in, &err) == LS_ERR_INVALID && !in, "input '%s'",
                  k);
        CHECK_MSG(ls_store_local_path(s, k) == NULL, "local_path '%s'", k);
        ls_buf_free(&b);
    }
    CHECK(ls_store_put(s, "a/../b", "x", 1, &err) == LS_ERR_INVALID);
    CHECK(strstr(err.msg, "a/../b") != NULL);

    /* unusual but valid names */
    static const char *const good[] = {".hidden", "a..b", "...", "x/.y/z", "sp ace/é"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        CHECK_OK(ls_store_put(s, good[i], "ok", 2, &err), &err);
        ls_buf b = {0};
        CHECK_OK(ls_store_get(s, good[i], &b, &err), &err);
        CHECK(b.len == 2 && memcmp(b.data, "ok", 2) == 0);
        ls_buf_free(&b);
    }
    /* nothing escaped the root */
    char *outside = tpath("b");
    CHECK(!exists(outside));
    free(outside);

    /* list prefixes: the directory part must be clean, the tail is free text */
    ls_obj_list l = {0};
    CHECK(ls_store_list(s, "/a", NULL, &l, &err) == LS_ERR_INVALID);
    CHECK(ls_store_list(s, "a//", NULL, &l, &err) == LS_ERR_INVALID);
    CHECK(ls_store_list(s, "../", NULL, &l, &err) == LS_ERR_INVALID);
    CHECK(ls_store_list(s, "x/../", NULL, &l, &err) == LS_ERR_INVALID);
    CHECK_OK(ls_store_list(s, "..", NULL, &l, &err), &err);
    CHECK(l.n == 1 && l.items && strcmp(l.items[0].key, "...") == 0);
    ls_obj_list_free(&l);
    CHECK_OK(ls_store_list(s, "x/.", NULL, &l, &err), &err);
    CHECK(l.n == 1 && l.items && strcmp(l.items[0].key, "x/.y/z") == 0);
    ls_obj_list_free(&l);
    ls_store_free(s);
}

/* ---- put / get / head / delete ------------------------------------------ */

static void test_put_get(void)
{
    ls_store *s = open_store("putget");
    if (!s)
        return;
    ls_error err = {0};
    CHECK_OK(ls_store_put(s, "a/b/c.txt", "hello", 5, &err), &err);
    ls_buf b = {0};
    ls_buf_puts(&b, "pre:");
    CHECK_OK(ls_store_get(s, "a/b/c.txt", &b, &err), &err);
    CHECK(b.len == 9 && memcmp(b.data, "pre:hello", 9) == 0);

    /* replace */
    CHECK_OK(ls_store_put(s, "a/b/c.txt", "bye", 3, &err), &err);
    b.len = 0;
    CHECK_OK(ls_store_get(s, "a/b/c.txt", &b, &err), &err);
    CHECK(b.len == 3 && memcmp(b.data, "bye", 3) == 0);

    ls_obj_info info;
    CHECK_OK(ls_store_head(s, "a/b/c.txt", &info, &err), &err);
    CHECK(info.size == 3);
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    CHECK(info.mtime_ms > now_ms - 86400000 && info.mtime_ms < now_ms + 86400000);
    CHECK(info.key == NULL);

    /* empty object */
    CHECK_OK(ls_store_put(s, "empty", NULL, 0, &err), &err);
    b.len = 0;
    CHECK_OK(ls_store_get(s, "empty", &b, &err), &err);
    CHECK(b.len == 0);
    CHECK_OK(ls_store_head(s, "empty", &info, &err), &err);
    CHECK(info.size == 0);

    /* big object */
    size_t big_n = 5u << 20;
    uint8_t *big = ls_xmalloc(big_n);
    fill_pattern(big, big_n, 7);
    CHECK_OK(ls_store_put(s, "big.bin", big, big_n, &err), &err);
    b.len = 0;
    CHECK_OK(ls_store_get(s, "big.bin", &b, &err), &err);
    CHECK(b.len == big_n && memcmp(b.data, big, big_n) == 0);
    free(big);

    /* missing things */
    b.len = 0;
    CHECK(ls_store_get(s, "nope", &b, &err) == LS_ERR_NOTFOUND);
    CHECK(strstr(err.msg, "nope") && strstr(err.msg, "No such file or directory"));
    CHECK(b.len == 0);
    CHECK(ls_store_head(s, "nope", &info, &err) == LS_ERR_NOTFOUND);
    CHECK(ls_store_head(s, "a/b", &info, &err) == LS_ERR_NOTFOUND);         /* a directory */
    CHECK(ls_store_get(s, "a/b", &b, &err) == LS_ERR_NOTFOUND);             /* a directory */
    CHECK(ls_store_get(s, "a/b/c.txt/x", &b, &err) == LS_ERR_NOTFOUND);     /* under a file */
    CHECK(ls_store_head(s, "a/b/c.txt/x", &info, &err) == LS_ERR_NOTFOUND);

    /* delete: missing is fine, parent directories stay */
    CHECK_OK(ls_store_delete(s, "a/b/c.txt", &err), &err);
    CHECK(ls_store_head(s, "a/b/c.txt", &info, &err) == LS_ERR_NOTFOUND);
    CHECK_OK(ls_store_delete(s, "a/b/c.txt", &err), &err);
    CHECK_OK(ls_store_delete(s, "never/was/here", &err), &err);
    CHECK_OK(ls_store_delete(s, "a/b", &err), &err); /* a directory is no object */
    char *dir = tpath("putget/a/b");
    CHECK(exists(dir));
    free(dir);

    /* writing under an existing file fails with the OS reason and the path */
    CHECK(ls_store_put(s, "empty/child", "x", 1, &err) == LS_ERR_IO);
    CHECK(strstr(err.msg, "empty") && strstr(err.msg, "Not a directory"));
    CHECK(ls_store_put_if_absent(s, "empty/child", "x", 1, &err) == LS_ERR_IO);

    /* a directory in the way of the object */
    CHECK(ls_store_put(s, "a", "x", 1, &err) != LS_OK);

    char *root = tpath("putget");
    CHECK(count_tmp(root) == 0);
    free(root);
    ls_buf_free(&b);
    ls_store_free(s);
}

static void test_put_if_absent(void)
{
    ls_store *s = open_store("pia");
    if (!s)
        return;
    ls_error err = {0};
    CHECK_OK(ls_store_put_if_absent(s, "_delta_log/00000000000000000000.json", "first", 5,
                                    &err),
             &err);
    CHECK(ls_store_put_if_absent(s, "_delta_log/00000000000000000000.json", "second!", 7,
                                 &err) == LS_ERR_EXISTS);
    CHECK(strstr(err.msg, "00000000000000000000.json") != NULL);
    ls_buf b = {0};
    CHECK_OK(ls_store_get(s, "_delta_log/00000000000000000000.json", &b, &err), &err);
    CHECK(b.len == 5 && memcmp(b.data, "first", 5) == 0);
    ls_buf_free(&b);
    /* a plain put may replace it */
    CHECK_OK(ls_store_put(s, "_delta_log/00000000000000000000.json", "third", 5, &err), &err);
    char *root = tpath("pia");
    CHECK(count_tmp(root) == 0);
    free(root);
    ls_store_free(s);
}

/* ---- ranges and inputs ------------------------------------------------- */

static void test_get_range(void)
{
    ls_store *s = open_store("range");
    if (!s)
        return;
    ls_error err = {0};
    uint8_t data[1000];
    fill_pattern(data, sizeof data, 3);
    CHECK_OK(ls_store_put(s, "d/obj", data, sizeof data, &err), &err);
    uint8_t got[1000];
    CHECK_OK(ls_store_get_range(s, "d/obj", 0, 1000, got, &err), &err);
    CHECK(memcmp(got, data, 1000) == 0);
    CHECK_OK(ls_store_get_range(s, "d/obj", 123, 456, got, &err), &err);
    CHECK(memcmp(got, data + 123, 456) == 0);
    CHECK_OK(ls_store_get_range(s, "d/obj", 1000, 0, got, &err), &err);

    CHECK(ls_store_get_range(s, "d/obj", 900, 101, got, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "d/obj") && strstr(err.msg, "900") && strstr(err.msg, "1000"));
    CHECK(ls_store_get_range(s, "d/obj", 5000, 1, got, &err) == LS_ERR_CORRUPT);
    CHECK(ls_store_get_range(s, "d/obj", UINT64_MAX - 1, 4, got, &err) == LS_ERR_CORRUPT);
    CHECK(ls_store_get_range(s, "d/none", 0, 1, got, &err) == LS_ERR_NOTFOUND);
    ls_store_free(s);
}

static void test_input(void)
{
    ls_error err = {0};
    uint8_t data[4096];
    fill_pattern(data, sizeof data, 11);
    char *path = tpath("input.bin");
    write_raw(path, data, sizeof data);

    ls_input *in = NULL;
    CHECK_OK(ls_input_open_file(path, &in, &err), &err);
    if (in) {
        CHECK(ls_input_size(in) == sizeof data);
        CHECK_STR(ls_input_name(in), path);
        uint8_t got[4096];
        CHECK_OK(ls_input_read(in, 4000, 96, got, &err), &err);
        CHECK(memcmp(got, data + 4000, 96) == 0);
        CHECK_OK(ls_input_read(in, 0, 4096, got, &err), &err);
        CHECK(memcmp(got, data, 4096) == 0);
        CHECK_OK(ls_input_read(in, 4096, 0, NULL, &err), &err);
        CHECK(ls_input_read(in, 4000, 97, got, &err) == LS_ERR_CORRUPT);
        CHECK(strstr(err.msg, path) && strstr(err.msg, "4000"));
        CHECK(ls_input_read(in, UINT64_MAX, 2, got, &err) == LS_ERR_CORRUPT);
        /* the file shrinks under an open input: a short read is corrupt, not garbage */
        CHECK(truncate(path, 100) == 0);
        CHECK(ls_input_read(in, 50, 100, got, &err) == LS_ERR_CORRUPT);
        CHECK(strstr(err.msg, "short read") && strstr(err.msg, "100"));
        ls_input_free(in);
    }
    ls_input_free(NULL);

    char *missing = tpath("no-such-input");
    CHECK(ls_input_open_file(missing, &in, &err) == LS_ERR_NOTFOUND && !in);
    CHECK(strstr(err.msg, missing) && strstr(err.msg, "No such file"));
    CHECK(ls_input_open_file(t_root, &in, &err) == LS_ERR_INVALID); /* a directory */
    CHECK(ls_input_open_file("", &in, &err) == LS_ERR_INVALID);
    free(missing);

    /* memory */
    in = ls_input_from_memory(data, sizeof data, "mem");
    CHECK(ls_input_size(in) == sizeof data);
    CHECK_STR(ls_input_name(in), "mem");
    uint8_t got[16];
    CHECK_OK(ls_input_read(in, 10, 16, got, &err), &err);
    CHECK(memcmp(got, data + 10, 16) == 0);
    CHECK(ls_input_read(in, 4090, 16, got, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "mem") != NULL);
    ls_input_free(in);
    in = ls_input_from_memory(NULL, 0, NULL);
    CHECK(ls_input_size(in) == 0 && ls_input_name(in) != NULL);
    CHECK_OK(ls_input_read(in, 0, 0, NULL, &err), &err);
    CHECK(ls_input_read(in, 0, 1, got, &err) == LS_ERR_CORRUPT);
    ls_input_free(in);

    /* store */
    ls_store *s = open_store("instore");
    if (s) {
        CHECK_OK(ls_store_put(s, "p/q.bin", data, 777, &err), &err);
        in = NULL;
        CHECK_OK(ls_input_open_store(s, "p/q.bin", &in, &err), &err);
        if (in) {
            CHECK(ls_input_size(in) == 777);
            CHECK(strstr(ls_input_name(in), "p/q.bin") != NULL);
            CHECK_OK(ls_input_read(in, 761, 16, got, &err), &err);
            CHECK(memcmp(got, data + 761, 16) == 0);
            CHECK(ls_input_read(in, 770, 8, got, &err) == LS_ERR_CORRUPT);
            ls_input_free(in);
        }
        in = NULL;
        CHECK(ls_input_open_store(s, "p/none", &in, &err) == LS_ERR_NOTFOUND && !in);
        CHECK(ls_input_open_store(s, "p", &in, &err) == LS_ERR_NOTFOUND && !in);
        ls_store_free(s);
    }
    free(path);
}

static void test_read_file(void)
{
    ls_error err = {0};
    char *path = tpath("readme.txt");
    write_raw(path, "some text\n", 10);
    ls_buf b = {0};
    ls_buf_puts(&b, ">");
    CHECK_OK(ls_read_file(path, &b, &err), &err);
    CHECK(b.len == 11 && memcmp(b.data, ">some text\n", 11) == 0);
    char *missing = tpath("missing.txt");
    CHECK(ls_read_file(missing, &b, &err) == LS_ERR_NOTFOUND);
    CHECK(strstr(err.msg, missing) && strstr(err.msg, "No such file or directory"));
    CHECK(ls_read_file(t_root, &b, &err) == LS_ERR_INVALID);
    CHECK(b.len == 11);
    /* non-regular files are read to EOF */
    b.len = 0;
    CHECK_OK(ls_read_file("/dev/null", &b, &err), &err);
    CHECK(b.len == 0);
    ls_buf_free(&b);
    free(missing);
    free(path);
}

/* ---- list --------------------------------------------------------------- */

static bool list_is(ls_store *s, const char *prefix, const char *after, const char *const *want,
                    size_t nwant)
{
    ls_obj_list l = {0};
    ls_error err = {0};
    int rc = ls_store_list(s, prefix, after, &l, &err);
    bool ok = rc == LS_OK && l.n == nwant;
    for (size_t i = 0; ok && i < nwant; i++)
        ok = strcmp(l.items[i].key, want[i]) == 0;
    if (!ok) {
        printf("  list('%s', after '%s') rc=%d %s got %zu:", prefix, after ? after : "(null)", rc,
               err.msg, l.n);
        for (size_t i = 0; i < l.n; i++)
            printf(" %s", l.items[i].key);
        printf("\n");
    }
    ls_obj_list_free(&l);
    return ok;
}

#define LIST_IS(s, prefix, after, ...)                                                         \
    do {                                                                                       \
        static const char *const w_[] = {__VA_ARGS__};                                         \
        CHECK_MSG(list_is(s, prefix, after, w_, sizeof w_ / sizeof *w_), "list '%s'", (const char *)(prefix ? prefix : "")); \
    } while (0)
#define LIST_EMPTY(s, prefix, after) CHECK(list_is(s, prefix, after, NULL, 0))

static void test_list(void)
{
    ls_store *s = open_store("list");
    if (!s)
        return;
    ls_error err = {0};
    /* inserted in scrambled order; expected orders are bytewise */
    static const char *const keys[] = {
        "b/x/y/z",
        "a0",
        "a/c/d",
        "\xc3\xa9t\xc3\xa9",
        "_delta_log/00000000000000000001.json",
        "a.txt",
        "B",
        "a/b",
        "_delta_log/00000000000000000000.json",
        "a-b",
        "_delta_log/00000000000000000001.checkpoint.parquet",
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        CHECK_OK(ls_store_put(s, keys[i], keys[i], strlen(keys[i]), &err), &err);
    /* litter that must not show up: temp files, empty dirs */
    char *junk = tpath("list/a/.b.ls-tmp-0123456789abcdef");
    write_raw(junk, "junk", 4);
    char *emptydir = tpath("list/a/empty");
    CHECK(mkdir(emptydir, 0755) == 0);
    char *sym = tpath("list/a/link-to-b");
    CHECK(symlink("b", sym) == 0); /* symlinked file counts */
    char *symdir = tpath("list/a/link-to-c");
    CHECK(symlink("c", symdir) == 0); /* symlinked directory does not */

    LIST_IS(s, "", NULL, "B", "_delta_log/00000000000000000000.json",
            "_delta_log/00000000000000000001.checkpoint.parquet",
            "_delta_log/00000000000000000001.json", "a-b", "a.txt", "a/b", "a/c/d",
            "a/link-to-b", "a0", "b/x/y/z", "\xc3\xa9t\xc3\xa9");
    LIST_IS(s, NULL, NULL, "B", "_delta_log/00000000000000000000.json",
            "_delta_log/00000000000000000001.checkpoint.parquet",
            "_delta_log/00000000000000000001.json", "a-b", "a.txt", "a/b", "a/c/d",
            "a/link-to-b", "a0", "b/x/y/z", "\xc3\xa9t\xc3\xa9");
    LIST_IS(s, "a", NULL, "a-b", "a.txt", "a/b", "a/c/d", "a/link-to-b", "a0");
    LIST_IS(s, "a/", NULL, "a/b", "a/c/d", "a/link-to-b");
    LIST_IS(s, "a/c", NULL, "a/c/d");
    LIST_IS(s, "a/c/", NULL, "a/c/d");
    LIST_IS(s, "a/c/d", NULL, "a/c/d");
    LIST_IS(s, "b/x/", NULL, "b/x/y/z");
    LIST_EMPTY(s, "a/x", NULL);
    LIST_EMPTY(s, "a/c/d/", NULL);  /* a file, not a directory */
    LIST_EMPTY(s, "zz/", NULL);     /* missing directory */
    LIST_EMPTY(s, "zz/y/x", NULL);
    LIST_EMPTY(s, "a/empty/", NULL);
    LIST_IS(s, "_delta_log/", "_delta_log/00000000000000000000.json",
            "_delta_log/00000000000000000001.checkpoint.parquet",
            "_delta_log/00000000000000000001.json");
    LIST_IS(s, "_delta_log/0000", "_delta_log/00000000000000000001.checkpoint.parquet",
            "_delta_log/00000000000000000001.json");
    LIST_EMPTY(s, "_delta_log/", "_delta_log/00000000000000000001.json");
    LIST_EMPTY(s, "_delta_log/", "_delta_log/~");
    LIST_IS(s, "", "a/b", "a/c/d", "a/link-to-b", "a0", "b/x/y/z", "\xc3\xa9t\xc3\xa9");
    LIST_IS(s, "", "a/", "a/b", "a/c/d", "a/link-to-b", "a0", "b/x/y/z", "\xc3\xa9t\xc3\xa9");
    LIST_IS(s, "", "a/c", "a/c/d", "a/link-to-b", "a0", "b/x/y/z", "\xc3\xa9t\xc3\xa9");
    LIST_IS(s, "", "a/c/d", "a/link-to-b", "a0", "b/x/y/z", "\xc3\xa9t\xc3\xa9");
    LIST_IS(s, "", "b", "b/x/y/z", "\xc3\xa9t\xc3\xa9"); /* prunes a/ */
    LIST_IS(s, "", "", "B", "_delta_log/00000000000000000000.json",
            "_delta_log/00000000000000000001.checkpoint.parquet",
            "_delta_log/00000000000000000001.json", "a-b", "a.txt", "a/b", "a/c/d",
            "a/link-to-b", "a0", "b/x/y/z", "\xc3\xa9t\xc3\xa9");
    LIST_IS(s, "a", "a.txt", "a/b", "a/c/d", "a/link-to-b", "a0");

    /* sizes and mtimes come along */
    ls_obj_list l = {0};
    CHECK_OK(ls_store_list(s, "a/c/", NULL, &l, &err), &err);
    CHECK(l.n == 1 && l.items[0].size == 5 && l.items[0].mtime_ms > 0);
    /* a second list appends, sorted within its own part */
    CHECK_OK(ls_store_list(s, "a/", NULL, &l, &err), &err);
    CHECK(l.n == 4 && strcmp(l.items[0].key, "a/c/d") == 0 && strcmp(l.items[1].key, "a/b") == 0);
    ls_obj_list_free(&l);
    CHECK(l.n == 0 && l.items == NULL);
    ls_obj_list_free(&l);

    /* a store rooted at "/"-terminated path lists the same */
    free(symdir);
    free(sym);
    free(emptydir);
    free(junk);
    ls_store_free(s);
}

/* _delta_log with many files: correctness of the sort and a timing note. */
static void test_list_large(void)
{
    ls_store *s = open_store("large");
    if (!s)
        return;
    char *dir = tpath("large/_delta_log");
    CHECK(mkdir(dir, 0755) == 0);
    /* 20k keeps the suite quick; 100k measured the same way lists in ~0.4 s here,
     * bound by one fstatat per file. Raw creates: put() would fsync each one. */
    const int n = 20000;
    for (int i = n - 1; i >= 0; i--) {
        char p[600];
        snprintf(p, sizeof p, "%s/%020d.json", dir, i);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) {
            CHECK(fd >= 0);
            break;
        }
        close(fd);
    }
    ls_error err = {0};
    ls_obj_list l = {0};
    int64_t t0 = ls_monotonic_nanos();
    CHECK_OK(ls_store_list(s, "_delta_log/", NULL, &l, &err), &err);
    int64_t t1 = ls_monotonic_nanos();
    CHECK(l.n == (size_t)n);
    bool sorted = true;
    for (size_t i = 0; i < l.n && sorted; i++) {
        char k[64];
        snprintf(k, sizeof k, "_delta_log/%020zu.json", i);
        sorted = strcmp(l.items[i].key, k) == 0;
    }
    CHECK(sorted);
    ls_obj_list_free(&l);
    /* listing after a late version skips the stat of everything before it */
    char after[64];
    snprintf(after, sizeof after, "_delta_log/%020d.json", n - 11);
    int64_t t2 = ls_monotonic_nanos();
    CHECK_OK(ls_store_list(s, "_delta_log/", after, &l, &err), &err);
    int64_t t3 = ls_monotonic_nanos();
    CHECK(l.n == 10);
    ls_obj_list_free(&l);
    printf("NOTE list of %d files: %.1f ms; with start_after near the end: %.1f ms\n", n,
           (double)(t1 - t0) / 1e6, (double)(t3 - t2) / 1e6);
    free(dir);
    ls_store_free(s);
}

/* ---- outputs ----------------------------------------------------------- */

static void test_output(void)
{
    ls_store *s = open_store("output");
    if (!s)
        return;
    ls_error err = {0};
    size_t total = 7u << 20;
    uint8_t *data = ls_xmalloc(total);
    fill_pattern(data, total, 5);
    ls_output *o = NULL;
    CHECK_OK(ls_output_open(s, "deep/dir/part-0.parquet", &o, &err), &err);
    if (!o) {
        free(data);
        ls_store_free(s);
        return;
    }
    /* chunk sizes around the 1 MiB buffer: tiny, exact, straddling, huge */
    static const size_t chunks[] = {1, 100, (1u << 20) - 101, 1u << 20, 3, (3u << 20) + 17, 0};
    size_t off = 0;
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        CHECK_OK(ls_output_write(o, data + off, chunks[i], &err), &err);
        off += chunks[i];
        CHECK(ls_output_offset(o) == off);
    }
    CHECK_OK(ls_output_write(o, data + off, total - off, &err), &err);
    CHECK(ls_output_offset(o) == total);
    /* invisible before commit */
    ls_obj_info info;
    CHECK(ls_store_head(s, "deep/dir/part-0.parquet", &info, &err) == LS_ERR_NOTFOUND);
    ls_obj_list l = {0};
    CHECK_OK(ls_store_list(s, "deep/", NULL, &l, &err), &err);
    CHECK(l.n == 0);
    ls_obj_list_free(&l);
    CHECK_OK(ls_output_commit(o, &err), &err);
    ls_buf b = {0};
    CHECK_OK(ls_store_get(s, "deep/dir/part-0.parquet", &b, &err), &err);
    CHECK(b.len == total && memcmp(b.data, data, total) == 0);

    /* replaces an existing object, only at commit */
    CHECK_OK(ls_output_open(s, "deep/dir/part-0.parquet", &o, &err), &err);
    CHECK_OK(ls_output_write(o, "new", 3, &err), &err);
    CHECK_OK(ls_store_head(s, "deep/dir/part-0.parquet", &info, &err), &err);
    CHECK(info.size == total);
    CHECK_OK(ls_output_commit(o, &err), &err);
    b.len = 0;
    CHECK_OK(ls_store_get(s, "deep/dir/part-0.parquet", &b, &err), &err);
    CHECK(b.len == 3 && memcmp(b.data, "new", 3) == 0);

    /* many small writes (the buffer grows, then flushes at 1 MiB) */
    CHECK_OK(ls_output_open(s, "small-writes.bin", &o, &err), &err);
    for (size_t at = 0; at < total; at += 317)
        CHECK_OK(ls_output_write(o, data + at, total - at < 317 ? total - at : 317, &err), &err);
    CHECK(ls_output_offset(o) == total);
    CHECK_OK(ls_output_commit(o, &err), &err);
    b.len = 0;
    CHECK_OK(ls_store_get(s, "small-writes.bin", &b, &err), &err);
    CHECK(b.len == total && memcmp(b.data, data, total) == 0);

    /* empty output */
    CHECK_OK(ls_output_open(s, "empty.bin", &o, &err), &err);
    CHECK_OK(ls_output_commit(o, &err), &err);
    CHECK_OK(ls_store_head(s, "empty.bin", &info, &err), &err);
    CHECK(info.size == 0);

    /* abort leaves nothing */
    CHECK_OK(ls_output_open(s, "gone/x.parquet", &o, &err), &err);
    CHECK_OK(ls_output_write(o, data, 3u << 20, &err), &err);
    ls_output_abort(o);
    ls_output_abort(NULL);
    CHECK(ls_store_head(s, "gone/x.parquet", &info, &err) == LS_ERR_NOTFOUND);
    char *root = tpath("output");
    CHECK(count_tmp(root) == 0);
    CHECK_OK(ls_store_list(s, "", NULL, &l, &err), &err);
    CHECK(l.n == 3);
    ls_obj_list_free(&l);
    free(root);
    ls_buf_free(&b);
    free(data);
    ls_store_free(s);
}

static void test_output_file(void)
{
    ls_error err = {0};
    char *dir = tpath("outfile");
    CHECK(mkdir(dir, 0755) == 0);
    char *path = tpath("outfile/out.parquet");
    ls_output *o = NULL;
    CHECK_OK(ls_output_open_file(path, &o, &err), &err);
    if (o) {
        CHECK_OK(ls_output_write(o, "PAR1", 4, &err), &err);
        CHECK(!exists(path));
        CHECK_OK(ls_output_commit(o, &err), &err);
    }
    ls_buf b = {0};
    CHECK_OK(ls_read_file(path, &b, &err), &err);
    CHECK(b.len == 4 && memcmp(b.data, "PAR1", 4) == 0);

    /* an aborted rewrite keeps the old file and leaves no temp */
    o = NULL;
    CHECK_OK(ls_output_open_file(path, &o, &err), &err);
    if (o) {
        CHECK_OK(ls_output_write(o, "XXXXXXXX", 8, &err), &err);
        ls_output_abort(o);
    }
    b.len = 0;
    CHECK_OK(ls_read_file(path, &b, &err), &err);
    CHECK(b.len == 4);
    char *fresh = tpath("outfile/fresh.parquet");
    CHECK_OK(ls_output_open_file(fresh, &o, &err), &err);
    if (o)
        ls_output_abort(o);
    CHECK(!exists(fresh));
    CHECK(count_tmp(dir) == 0);

    /* bad targets */
    o = NULL;
    char *nodir = tpath("outfile/no/such/dir/x.parquet");
    CHECK(ls_output_open_file(nodir, &o, &err) == LS_ERR_NOTFOUND && !o);
    CHECK(strstr(err.msg, "does not exist") != NULL);
    CHECK(ls_output_open_file(dir, &o, &err) == LS_ERR_INVALID && !o);
    CHECK(ls_output_open_file("", &o, &err) == LS_ERR_INVALID && !o);
    char *slash = tpath("outfile/");
    CHECK(ls_output_open_file(slash, &o, &err) == LS_ERR_INVALID && !o);

    /* a relative path writes beside it in the current directory */
    char cwd[1024];
    if (getcwd(cwd, sizeof cwd) && chdir(dir) == 0) {
        CHECK_OK(ls_output_open_file("rel.bin", &o, &err), &err);
        if (o) {
            CHECK_OK(ls_output_write(o, "r", 1, &err), &err);
            CHECK_OK(ls_output_commit(o, &err), &err);
        }
        CHECK(exists("rel.bin"));
        CHECK(chdir(cwd) == 0);
    }
    free(slash);
    free(nodir);
    free(fresh);
    ls_buf_free(&b);
    free(path);
    free(dir);
}

/* ---- concurrency and crashes (fork) ------------------------------------ */

#define RACE_PROCS 8
#define RACE_KEYS 50

static size_t race_len(int proc, int key) { return 3000 + (size_t)proc * 977 + (size_t)key * 31; }

static void race_content(uint8_t *buf, int proc, int key)
{
    fill_pattern(buf, race_len(proc, key), (uint32_t)(proc * 1000 + key + 1));
}

typedef struct race_result {
    int proc;
    int errors;
    uint64_t won;
    char msg[200];
} race_result;

static void test_put_if_absent_race(void)
{
    char *root = tpath("race");
    int go[2], res[2];
    CHECK(pipe(go) == 0 && pipe(res) == 0);
    pid_t pids[RACE_PROCS];
    for (int p = 0; p < RACE_PROCS; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            close(go[1]);
            close(res[0]);
            char c;
            while (read(go[0], &c, 1) < 0 && errno == EINTR) /* wait for the start */
                ;
            race_result r = {.proc = p};
            ls_error err = {0};
            ls_store *s = NULL;
            if (ls_store_open(root, true, &s, &err) != LS_OK) {
                r.errors = 1;
                snprintf(r.msg, sizeof r.msg, "%.199s", err.msg);
            }
            uint8_t *buf = ls_xmalloc(race_len(RACE_PROCS, RACE_KEYS));
            for (int k = 0; s && k < RACE_KEYS; k++) {
                char key[64];
                snprintf(key, sizeof key, "_delta_log/%020d.json", k);
                race_content(buf, p, k);
                int rc = ls_store_put_if_absent(s, key, buf, race_len(p, k), &err);
                if (rc == LS_OK) {
                    r.won |= 1ULL << k;
                } else if (rc != LS_ERR_EXISTS) {
                    r.errors++;
                    snprintf(r.msg, sizeof r.msg, "%.199s", err.msg);
                }
            }
            free(buf);
            ls_store_free(s);
            _exit(write(res[1], &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
        }
    }
    close(go[0]);
    close(go[1]); /* every child starts now */
    close(res[1]);
    uint64_t all = 0;
    int results = 0, errors = 0, winner[RACE_KEYS] = {0};
    bool disjoint = true;
    race_result r;
    while (read(res[0], &r, sizeof r) == (ssize_t)sizeof r) {
        results++;
        errors += r.errors;
        if (r.errors)
            printf("  child %d: %s\n", r.proc, r.msg);
        if (all & r.won)
            disjoint = false;
        all |= r.won;
        for (int k = 0; k < RACE_KEYS; k++)
            if (r.won >> k & 1)
                winner[k] = r.proc;
    }
    close(res[0]);
    for (int p = 0; p < RACE_PROCS; p++) {
        int st;
        CHECK(waitpid(pids[p], &st, 0) == pids[p] && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    CHECK(results == RACE_PROCS);
    CHECK(errors == 0);
    CHECK_MSG(disjoint, "two processes won the same key");
    CHECK(all == (1ULL << RACE_KEYS) - 1);
    if (all == (1ULL << RACE_KEYS) - 1) {
        ls_error err = {0};
        ls_store *s = open_store("race");
        uint8_t *want = ls_xmalloc(race_len(RACE_PROCS, RACE_KEYS));
        ls_buf b = {0};
        int bad = 0;
        for (int k = 0; s && k < RACE_KEYS; k++) {
            char key[64];
            snprintf(key, sizeof key, "_delta_log/%020d.json", k);
            b.len = 0;
            race_content(want, winner[k], k);
            if (ls_store_get(s, key, &b, &err) != LS_OK || b.len != race_len(winner[k], k) ||
                memcmp(b.data, want, b.len) != 0)
                bad++;
        }
        CHECK_MSG(bad == 0, "%d keys do not hold their winner's full content", bad);
        ls_buf_free(&b);
        free(want);
        ls_store_free(s);
    }
    CHECK(count_tmp(root) == 0);
    free(root);
}

/* A writer that dies before commit leaves no visible object. */
static void test_crash_before_commit(void)
{
    ls_store *s = open_store("crash");
    char *outpath = tpath("crash-out.parquet");
    if (!s)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        ls_error err = {0};
        ls_output *o = NULL, *fo = NULL;
        size_t n = 3u << 20;
        uint8_t *data = ls_xcalloc(1, n);
        if (ls_output_open(s, "crash/part-0.parquet", &o, &err) ||
            ls_output_write(o, data, n, &err) || ls_output_open_file(outpath, &fo, &err) ||
            ls_output_write(fo, data, n, &err))
            _exit(2);
        _exit(0); /* "crash": no commit, no abort */
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ls_error err = {0};
    ls_obj_info info;
    CHECK(ls_store_head(s, "crash/part-0.parquet", &info, &err) == LS_ERR_NOTFOUND);
    ls_obj_list l = {0};
    CHECK_OK(ls_store_list(s, "", NULL, &l, &err), &err);
    CHECK(l.n == 0);
    ls_obj_list_free(&l);
    CHECK(!exists(outpath));
    /* what remains is a stray temp file (vacuum's job) */
    char *root = tpath("crash");
    CHECK(count_tmp(root) == 1);
    free(root);
    free(outpath);
    ls_store_free(s);
}

/* A process killed at a random point of repeated puts leaves either the old or
 * the new version, never a mixture or a truncated file. */
static size_t version_len(uint32_t v) { return 8 + (v * 7919u) % 300000; }

static void test_crash_during_put(void)
{
    ls_store *s = open_store("killput");
    if (!s)
        return;
    ls_error err = {0};
    bool seen = false; /* some round published: the object can never vanish again */
    for (int round = 0; round < 6; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            uint8_t *buf = ls_xmalloc(300016); /* > any version_len */
            for (uint32_t v = 1;; v++) {
                size_t n = version_len(v);
                memset(buf, (int)(v & 0xff), n);
                ls_store_u32le(buf, v);
                ls_store_u32le(buf + 4, (uint32_t)n);
                if (ls_store_put(s, "atomic/obj", buf, n, NULL) != LS_OK)
                    _exit(3);
            }
        }
        struct timespec ts = {0, (long)(3 + round * 7) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
        ls_buf b = {0};
        int rc = ls_store_get(s, "atomic/obj", &b, &err);
        if (rc == LS_ERR_NOTFOUND) {
            CHECK(!seen); /* killed before the very first publish (slow machine) */
        } else {
            seen = true;
            CHECK_OK(rc, &err);
            bool ok = b.len >= 8;
            if (ok) {
                uint32_t v = ls_load_u32le(b.data), n = ls_load_u32le(b.data + 4);
                ok = n == b.len && n == version_len(v);
                for (size_t i = 8; ok && i < b.len; i++)
                    ok = b.data[i] == (uint8_t)(v & 0xff);
            }
            CHECK_MSG(ok, "round %d: object is torn (%zu bytes)", round, b.len);
        }
        ls_buf_free(&b);
    }
    ls_obj_list l = {0};
    CHECK_OK(ls_store_list(s, "atomic/", NULL, &l, &err), &err);
    CHECK(l.n <= 1); /* temp files never show */
    ls_obj_list_free(&l);
    ls_store_free(s);
}

int main(void)
{
    const char *base = getenv("LS_TMP");
    snprintf(t_root, sizeof t_root, "%s/test_io.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(t_root)) {
        printf("FAIL mkdtemp %s: %s\n", t_root, strerror(errno));
        printf("RESULT 0 1\n");
        return 1;
    }
    RUN(test_open);
    RUN(test_key_validation);
    RUN(test_put_get);
    RUN(test_put_if_absent);
    RUN(test_get_range);
    RUN(test_input);
    RUN(test_read_file);
    RUN(test_list);
    RUN(test_list_large);
    RUN(test_output);
    RUN(test_output_file);
    RUN(test_put_if_absent_race);
    RUN(test_crash_before_commit);
    RUN(test_crash_during_put);
    rm_rf(t_root);
    TEST_MAIN_END();
}
