/*
 * io_int.h - private to src/io: the backend vtable behind io.h and the
 * generic structs (store, output, input) that io.c and the backends share.
 *
 * io.c owns everything backend-independent: uri dispatch, key validation,
 * bounds checks of ranged reads, the write buffer of ls_output and memory
 * inputs. A backend (io_local.c, later io_s3.c) supplies one static const
 * struct ls_store_ops and a constructor called from ls_store_open. Keys
 * reaching a backend have already been validated by ls_key_check().
 */
#ifndef LS_IO_INT_H
#define LS_IO_INT_H

#include "io.h"

struct ls_store_ops {
    const char *scheme; /* "file", "s3" - for messages */
    bool is_local;
    void (*free)(ls_store *s); /* frees s->impl only */
    /* malloc'ed local path of key, or NULL for remote backends (may be NULL). */
    char *(*local_path)(const ls_store *s, const char *key);

    int (*put)(ls_store *s, const char *key, const void *data, size_t n, ls_error *err);
    int (*put_if_absent)(ls_store *s, const char *key, const void *data, size_t n,
                         ls_error *err);
    int (*get)(ls_store *s, const char *key, ls_buf *out, ls_error *err);
    /* off + len does not overflow (checked by io.c). */
    int (*get_range)(ls_store *s, const char *key, uint64_t off, size_t len, uint8_t *dst,
                     ls_error *err);
    /* Fills size and mtime_ms; io.c sets info->key. */
    int (*head)(ls_store *s, const char *key, ls_obj_info *info, ls_error *err);
    /* Appends matching objects to out in any order; io.c sorts. prefix is validated:
     * its directory part (up to the last '/') is a valid key or empty. */
    int (*list)(ls_store *s, const char *prefix, const char *start_after, ls_obj_list *out,
                ls_error *err);
    int (*del)(ls_store *s, const char *key, ls_error *err);

    /* Sequential output. output_open creates the ls_output with ls_output_new. The
     * generic layer buffers: output_write receives chunks of at least the buffer
     * capacity given to ls_output_new, except the last one (flushed by commit). */
    int (*output_open)(ls_store *s, const char *key, ls_output **out, ls_error *err);
    int (*output_write)(ls_output *o, const void *data, size_t n, ls_error *err);
    /* Publishes atomically and frees o->impl (also on failure, after cleaning up). */
    int (*output_commit)(ls_output *o, ls_error *err);
    /* Discards the temp object and frees o->impl. */
    void (*output_abort)(ls_output *o);

    /* Random-access input. input_open creates the ls_input with ls_input_new. */
    int (*input_open)(ls_store *s, const char *key, ls_input **out, ls_error *err);
    /* [off, off+len) lies within in->size (checked by io.c). A shorter object than
     * announced is LS_ERR_CORRUPT. */
    int (*input_read)(ls_input *in, uint64_t off, size_t len, uint8_t *dst, ls_error *err);
    void (*input_close)(ls_input *in); /* frees in->impl */
};

struct ls_store {
    const struct ls_store_ops *ops;
    char *uri; /* normalised, no trailing '/' */
    void *impl;
};

struct ls_output {
    const struct ls_store_ops *ops;
    void *impl;
    char *name;      /* for messages: the final path / uri */
    uint8_t *buf;    /* write buffer: alloc bytes, grown on demand up to cap */
    size_t len, alloc, cap;
    uint64_t offset; /* bytes accepted so far (buffered or written) */
    bool failed;     /* a write failed: commit must not publish */
    bool not_durable; /* ls_output_set_durable(o, false): publish without fsync */
};

struct ls_input {
    const struct ls_store_ops *ops; /* NULL for memory inputs */
    void *impl;
    char *name;
    uint64_t size;
    const uint8_t *mem; /* memory inputs */
};

/* Default ls_output buffer (the local backend uses it). */
#define LS_OUTPUT_BUF_DEFAULT ((size_t)1 << 20)

/* Checks a key: non-empty, '/'-separated, no leading '/', no empty, "." or ".."
 * components, no reserved ".ls-tmp-" in it. what names the argument in the message. */
int ls_key_check(const char *key, const char *what, ls_error *err);

ls_store *ls_store_new(const struct ls_store_ops *ops, void *impl, const char *uri);
ls_output *ls_output_new(const struct ls_store_ops *ops, void *impl, const char *name,
                         size_t buf_cap);
ls_input *ls_input_new(const struct ls_store_ops *ops, void *impl, const char *name,
                       uint64_t size);

/* ---- local backend (io_local.c) ----------------------------------------- */
/* root is a local directory path (already stripped of "file://"). */
int ls_local_store_open(const char *root, bool create_root, const char *uri, ls_store **out,
                        ls_error *err);
int ls_local_output_open_path(const char *path, ls_output **out, ls_error *err);
int ls_local_input_open_path(const char *path, ls_input **out, ls_error *err);
/* Reads fd until EOF, appending to out (restored on error); name for messages. */
int ls_local_read_fd(int fd, const char *name, uint64_t size_hint, ls_buf *out, ls_error *err);

#endif
