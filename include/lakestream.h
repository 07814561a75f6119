/*
 * lakestream.h - the public C API of liblakestream.
 *
 * lakestream keeps Delta Lake tables (Parquet data files plus the
 * _delta_log/ transaction log) fed from streams of events, and reads them
 * back. This header is the stable surface for programs that link
 * build/liblakestream.a; everything under src/ is internal and may change.
 *
 * Conventions: every function returns an int status (LS_OK == 0, otherwise
 * one of the LS_ERR_* codes) and, when it fails, fills the caller's ls_error
 * with a human message naming what failed and why. Memory handed to the
 * caller is released with the matching *_free function (or free() where
 * stated). Table URIs are local paths (s3://bucket/prefix comes with the S3
 * backend). Link with: -llakestream -lzstd -lsnappy -lz -llz4 -lbrotlienc
 * -lbrotlidec -lxxhash -lroaring -lcrypto -lpthread -lm.
 */
#ifndef LAKESTREAM_H
#define LAKESTREAM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and errors ------------------------------------------------- */

enum {
    LS_OK = 0,
    LS_ERR_INVALID = 1,     /* bad argument or input that does not fit */
    LS_ERR_IO = 2,          /* operating system or network failure */
    LS_ERR_CORRUPT = 3,     /* malformed file or stream */
    LS_ERR_UNSUPPORTED = 4, /* valid but not implemented / refused feature */
    LS_ERR_NOTFOUND = 5,
    LS_ERR_EXISTS = 6,   /* put-if-absent lost, file already there */
    LS_ERR_CONFLICT = 7, /* concurrent commit conflict */
    LS_ERR_LIMIT = 8,    /* a configured or safety limit was exceeded */
    LS_ERR_INTERRUPTED = 9,
};

#define LS_ERROR_MSG_MAX 1024

typedef struct ls_error {
    int code;
    char msg[LS_ERROR_MSG_MAX];
} ls_error;

/* "lakestream version X.Y.Z" */
const char *ls_version(void);

/* ---- tables -------------------------------------------------------------- */

/* Creates a table. schema_ddl is Spark DDL ("id BIGINT, tags ARRAY<STRING>, ...");
 * partition_by is a comma-separated list of top-level columns or NULL.
 * LS_ERR_EXISTS if the table already has a log. */
int ls_table_create(const char *uri, const char *schema_ddl, const char *partition_by,
                    ls_error *err);

/* Appends NDJSON rows (one JSON object per line) in one commit. Values must fit the
 * table schema (an error names the line and field and nothing is committed).
 * When app_id is non-NULL the commit records (app_id, txn_version) and an append whose
 * txn_version is not greater than the recorded one is skipped (exactly-once):
 * *committed is then 0. *version (may be NULL) receives the table version after the call. */
int ls_table_append_ndjson(const char *uri, const char *ndjson, size_t len, const char *app_id,
                           int64_t txn_version, int *committed, int64_t *version,
                           ls_error *err);

/* Latest version of a table. */
int ls_table_version(const char *uri, int64_t *version, ls_error *err);

/* Reads a table as NDJSON (lakestream's value formatting, see README): version -1 for
 * the latest; where/columns (comma-separated) may be NULL. *out is malloc'ed (free()). */
int ls_table_read_ndjson(const char *uri, int64_t version, const char *where,
                         const char *columns, char **out, size_t *out_len, ls_error *err);

#ifdef __cplusplus
}
#endif

#endif
