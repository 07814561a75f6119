/*
 * io.h - the object-store interface every layer above uses to touch storage.
 *
 * Semantics are those of an object store, whatever the backend: objects are
 * written whole (no append, no rename), put_if_absent is atomic and is the
 * commit primitive of the Delta log, list is by prefix and sorted, reads may
 * be ranged. The local-disk backend gives the same guarantees with temp
 * files, fsync and link(2); the S3 backend uses conditional PUT.
 *
 * Large outputs (Parquet files) are written through ls_output, a sequential
 * stream that becomes visible only on ls_output_commit (atomic publish) and
 * leaves nothing behind on ls_output_abort or a crash (a stray temp file at
 * worst, named *.ls-tmp-*, which vacuum removes).
 */
#ifndef LS_IO_H
#define LS_IO_H

#include "../util/util.h"

typedef struct ls_store ls_store;

typedef struct ls_obj_info {
    char *key;        /* relative to the store root, '/'-separated */
    uint64_t size;
    int64_t mtime_ms; /* last modification, milliseconds since epoch */
} ls_obj_info;

typedef struct ls_obj_list {
    size_t n, cap;
    ls_obj_info *items;
} ls_obj_list;
void ls_obj_list_free(ls_obj_list *l);

/* Opens a store rooted at uri: a local path (created if create_root) or s3://bucket/prefix. */
int ls_store_open(const char *uri, bool create_root, ls_store **out, ls_error *err);
void ls_store_free(ls_store *s);
const char *ls_store_uri(const ls_store *s); /* borrowed */
bool ls_store_is_local(const ls_store *s);
/* Local path of key for a local store (malloc'ed), or NULL for remote stores. */
char *ls_store_local_path(const ls_store *s, const char *key);

int ls_store_put(ls_store *s, const char *key, const void *data, size_t n, ls_error *err);
/* LS_ERR_EXISTS if key already exists (and then nothing was changed). */
int ls_store_put_if_absent(ls_store *s, const char *key, const void *data, size_t n,
                           ls_error *err);
/* Whole object into out (appended). LS_ERR_NOTFOUND if missing. */
int ls_store_get(ls_store *s, const char *key, ls_buf *out, ls_error *err);
/* Bytes [off, off+len) into dst; short objects are LS_ERR_CORRUPT (caller asked for bytes
 * that the size it knows says exist). */
int ls_store_get_range(ls_store *s, const char *key, uint64_t off, size_t len, uint8_t *dst,
                       ls_error *err);
/* Fills size and mtime_ms; info->key is set to NULL (the caller knows the key). */
int ls_store_head(ls_store *s, const char *key, ls_obj_info *info, ls_error *err);
/* All objects whose key starts with prefix, sorted by key; start_after (may be NULL)
 * excludes keys <= it. Recursive (no delimiter). */
int ls_store_list(ls_store *s, const char *prefix, const char *start_after, ls_obj_list *out,
                  ls_error *err);
int ls_store_delete(ls_store *s, const char *key, ls_error *err); /* missing is OK */

/* ---- sequential output with atomic publish ------------------------------ */
typedef struct ls_output ls_output;
int ls_output_open(ls_store *s, const char *key, ls_output **out, ls_error *err);
int ls_output_write(ls_output *o, const void *data, size_t n, ls_error *err);
uint64_t ls_output_offset(const ls_output *o);
/* Makes the object visible (replacing one of the same key); frees o. */
int ls_output_commit(ls_output *o, ls_error *err);
/* Discards everything written; frees o. */
void ls_output_abort(ls_output *o);
/* Whether commit makes the data durable first (fsync of the file and its directory on
 * local disk). Default true, and always true for objects of a table (a commit must
 * never name a file a power loss can take away); a plain output file may opt out, as
 * cp and most conversion tools do: the temp-file + rename publish stays atomic. */
void ls_output_set_durable(ls_output *o, bool durable);

/* ---- plain local files (CLI inputs/outputs outside any table) ----------- */
/* Random-access reader over a local file or an object of a store. */
typedef struct ls_input ls_input;
int ls_input_open_file(const char *path, ls_input **out, ls_error *err);
int ls_input_open_store(ls_store *s, const char *key, ls_input **out, ls_error *err);
/* Wraps caller memory (borrowed; must outlive the input). For tests and fuzzers. */
ls_input *ls_input_from_memory(const void *data, size_t n, const char *name);
uint64_t ls_input_size(const ls_input *in);
const char *ls_input_name(const ls_input *in); /* borrowed */
/* Reads exactly len bytes at off; reading past the end is LS_ERR_CORRUPT naming the input. */
int ls_input_read(ls_input *in, uint64_t off, size_t len, uint8_t *dst, ls_error *err);
void ls_input_free(ls_input *in);

/* Atomic local-file output: writes to a temp file beside path, renames on commit. */
int ls_output_open_file(const char *path, ls_output **out, ls_error *err);

/* Reads a whole local file (appends to out). */
int ls_read_file(const char *path, ls_buf *out, ls_error *err);

#endif
