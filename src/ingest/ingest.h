/*
 * ingest.h - the interface of src/ingest: streaming ingest of a landing zone
 * (or stdin) into a Delta table in micro-batches, exactly once.
 *
 * The engine (ingest.c) runs a loop of micro-batches. Each batch reads whole
 * or partial source files, shreds NDJSON/CSV lines into column batches,
 * computes derived partition columns, writes data files through the Delta
 * writer and commits them together with its bookkeeping: one `txn` action per
 * source (appId = the source's app id, version = the source's batch number)
 * and one domainMetadata action `lakestream.ingest.<app-id>` holding the
 * source's manifest (the files fully ingested, by name + size + mtime, and the
 * position inside a partly ingested file). A restart reads the latest txn
 * version and manifest of each app id from the snapshot and continues from
 * there, so a kill -9 at any instant neither loses nor duplicates a row.
 *
 * Below the engine API are the building blocks, exposed for the unit tests:
 * partition expressions, CSV records, the line reader with decompression, the
 * landing-folder watcher, the manifest codec and the schema transforms.
 */
#ifndef LS_INGEST_H
#define LS_INGEST_H

#include "../delta/delta.h"

#include <signal.h>
#include <stdio.h>

/* ==== the engine ========================================================== */

typedef enum ls_ing_format {
    LS_ING_AUTO,   /* by extension: .csv -> CSV, anything else NDJSON */
    LS_ING_NDJSON,
    LS_ING_CSV,
} ls_ing_format;

typedef enum ls_ing_trigger {
    LS_TRIG_INTERVAL,      /* commit every interval while running (default 1 s) */
    LS_TRIG_AVAILABLE_NOW, /* everything present at start, in as many batches as needed */
    LS_TRIG_ONCE,          /* one batch (limits apply), then exit */
} ls_ing_trigger;

/* What to do when stdin is fed again after earlier runs committed part of it. */
typedef enum ls_stdin_resume {
    LS_STDIN_AUTO, /* same stream (fingerprint of its first bytes, and long enough): skip the
                      committed bytes; a different one: ingest it all as a new stream segment */
    LS_STDIN_SKIP, /* always skip the committed bytes (error if stdin is shorter) */
    LS_STDIN_NEW,  /* always a new stream: ingest everything from its first byte */
} ls_stdin_resume;

#define LS_INGEST_MAX_SOURCES 16
#define LS_RESCUED_COLUMN "_rescued_data"
#define LS_INGEST_DOMAIN_PREFIX "lakestream.ingest."

typedef struct ls_ingest_opts {
    const char *table; /* table URI (path or s3://...) */
    int n_sources;
    const char *sources[LS_INGEST_MAX_SOURCES]; /* landing folder path, or "-" for stdin */
    const char *app_ids[LS_INGEST_MAX_SOURCES]; /* NULL: derived from the source */
    ls_ing_format format;
    ls_ing_trigger trigger;
    int64_t interval_ms;
    uint64_t max_batch_rows, max_batch_bytes, max_batch_files; /* 0 = no limit */
    /* table creation */
    bool create;
    const char *schema_ddl;   /* table schema (or, with --flatten/--explode, the input's) */
    const char *partition_by; /* "day(ts) AS dt, kind, bucket(16, id)" */
    const ls_kvlist *properties;
    uint64_t infer_rows; /* lines sampled for schema inference (default 10,000) */
    ls_delta_writer_opts writer;
    /* data handling */
    bool rescue;       /* _rescued_data column (default true) */
    bool merge_schema; /* new fields become columns; int->long, float->double */
    bool flatten;      /* struct fields -> parent_child columns */
    const char *explode; /* top-level array column: one row per element */
    uint64_t max_line_bytes; /* longer lines are errors (default 64 MiB) */
    /* operation */
    int threads;       /* 1, or 2 = parse and encode in parallel (pipeline) */
    bool listing_only; /* no inotify: discover new files by listing */
    int64_t settle_ms; /* files found by listing must be this old (default 500) */
    const char *status_file;
    ls_stdin_resume stdin_resume; /* default LS_STDIN_AUTO */
    FILE *log; /* batch log lines (default stderr); NULL with quiet */
    bool quiet;
    /* set by signal handlers: stop = finish the batch, commit, return; abort = return
     * without committing the batch in progress */
    volatile sig_atomic_t *stop, *abort;
} ls_ingest_opts;

void ls_ingest_opts_default(ls_ingest_opts *o);

typedef struct ls_ingest_totals {
    uint64_t batches, rows, bytes_in, files, data_files, error_lines, rescued_rows,
        changed_files;
    int64_t table_version;
    bool aborted; /* a second signal stopped a batch without committing */
} ls_ingest_totals;

/* Runs until the trigger is done or *stop is set. LS_ERR_INTERRUPTED when aborted. */
int ls_ingest_run(const ls_ingest_opts *o, ls_ingest_totals *totals, ls_error *err);

/* Default app id of a source: "lakestream-ingest-<16 hex of a hash of the absolute
 * source path, or 'stdin'>". malloc'ed. */
char *ls_ingest_default_app_id(const char *source);

/* Writes a summary of every ingest manifest in the table (one line per app id:
 * batch number, files done, partial file) to out. */
int ls_ingest_describe(const char *table, ls_buf *out, ls_error *err);
/* The same for a loaded snapshot (e.g. for `describe`); returns the number of app ids
 * shown (nothing is written when there are none). For stdin, a second line gives the
 * bytes and lines committed of the current stream, which a producer resumes from. */
size_t ls_ingest_describe_snapshot(const ls_delta_snapshot *snap, ls_buf *out);

/* ==== building blocks (used by the engine; exposed for tests) ============= */

/* "250ms", "1s", "1.5s", "2m", "1h"; a bare number is seconds. */
int ls_ing_parse_duration(const char *s, int64_t *ms, ls_error *err);

/* ---- partition expressions (ing_part.c) ---- */

typedef enum ls_px_kind {
    LS_PX_IDENTITY,
    LS_PX_YEAR,   /* INT year of the (UTC) date */
    LS_PX_MONTH,  /* INT month 1..12 */
    LS_PX_DAY,    /* DATE */
    LS_PX_HOUR,   /* INT hour of the day 0..23 */
    LS_PX_BUCKET, /* INT Iceberg bucket: (murmur3_x86_32(value) & INT_MAX) % N */
} ls_px_kind;

typedef struct ls_part_expr {
    ls_px_kind kind;
    char *source; /* source column (top-level) */
    char *name;   /* partition column name (= source for identity) */
    int n_buckets;
} ls_part_expr;

typedef struct ls_part_spec {
    int n;
    ls_part_expr *exprs;
} ls_part_spec;

/* Parses "day(ts) AS dt, kind, bucket(16, id)"; also days/hours/months/years. Default
 * names: ts_day, ts_hour, ts_month, ts_year, id_bucket. */
int ls_part_spec_parse(const char *text, ls_part_spec *out, ls_error *err);
void ls_part_spec_free(ls_part_spec *s);
/* Table property holding a derived column's expression ("day(ts)"), key
 * "lakestream.derived.<name>". */
char *ls_part_expr_text(const ls_part_expr *e); /* malloc'ed */
/* Logical type of a derived column. */
ls_type ls_part_expr_type(const ls_part_expr *e);
/* Checks the sources exist with usable types in schema (top-level primitives). */
int ls_part_spec_check(const ls_part_spec *s, const ls_schema *schema, ls_error *err);

/* Computes the derived columns of batch b (all rows) from their sources; the derived
 * leaves are rewritten whatever they held. Indices are top-level leaf indices. */
typedef struct ls_derive_plan {
    int n;
    ls_px_kind kind[64];
    int src_leaf[64], dst_leaf[64];
    int n_buckets[64];
} ls_derive_plan;
int ls_derive_plan_build(const ls_part_spec *s, const ls_schema *schema, ls_derive_plan *p,
                         ls_error *err);
void ls_derive_apply(const ls_derive_plan *p, ls_batch *b);

uint32_t ls_murmur3_32(const void *data, size_t n, uint32_t seed);
int32_t ls_bucket_i64(int64_t v, int n);
int32_t ls_bucket_bytes(const void *p, size_t len, int n);

/* ---- line reader (ing_reader.c): a file (optionally gzip/zstd) or stdin ---- */

typedef enum ls_ing_codec { LS_ING_PLAIN, LS_ING_GZIP, LS_ING_ZSTD } ls_ing_codec;
ls_ing_codec ls_ing_codec_of(const char *name); /* by extension */
ls_ing_format ls_ing_format_of(const char *name, ls_ing_format dflt);
char ls_ing_csv_delim_of(const char *name); /* '\t' for .tsv (also compressed), else ',' */

typedef struct ls_ing_reader ls_ing_reader;
/* Opens path (fd 0 when path is "-"); reads at most limit raw bytes of a file (its size
 * when opened: bytes appended later are not read). size and mtime_ms from fstat. */
int ls_ing_reader_open(const char *path, ls_ing_codec codec, ls_ing_reader **out,
                       uint64_t *size, int64_t *mtime_ms, ls_error *err);
void ls_ing_reader_free(ls_ing_reader *r);
/* Reads more data into the buffer (up to a chunk). For stdin, waits at most wait_ms
 * (0 = do not wait, -1 = block). */
int ls_ing_reader_fill(ls_ing_reader *r, int wait_ms, ls_error *err);
/* Unconsumed bytes (decompressed). */
void ls_ing_reader_data(const ls_ing_reader *r, const char **p, size_t *n);
void ls_ing_reader_consume(ls_ing_reader *r, size_t n);
bool ls_ing_reader_eof(const ls_ing_reader *r); /* no more input after the buffer */
uint64_t ls_ing_reader_offset(const ls_ing_reader *r); /* decompressed bytes consumed */
/* Skips n decompressed bytes (resume); a plain file, or stdin redirected from one, seeks
 * past the buffered bytes instead of reading them. */
int ls_ing_reader_skip(ls_ing_reader *r, uint64_t n, ls_error *err);
int ls_ing_reader_fd(const ls_ing_reader *r); /* for poll() on stdin */
/* stdin redirected from a regular file: true, with *size = its bytes from where stdin
 * stood when opened to its current end (ls_ing_reader_skip then seeks). */
bool ls_ing_reader_seekable(const ls_ing_reader *r, uint64_t *size);
/* stdin: its first bytes as read so far (at most LS_ING_PREFIX_MAX), for fingerprints. */
#define LS_ING_PREFIX_MAX 4096
void ls_ing_reader_prefix(const ls_ing_reader *r, const char **p, size_t *n);

/* ---- landing folder (ing_folder.c) ---- */

typedef enum ls_obs_kind { LS_OBS_READY, LS_OBS_DELETED } ls_obs_kind;
typedef struct ls_file_obs {
    char *name; /* relative to the folder, '/'-separated */
    uint64_t size;
    int64_t mtime_ms;
    ls_obs_kind kind;
} ls_file_obs;
typedef struct ls_obs_list {
    size_t n, cap;
    ls_file_obs *items;
} ls_obs_list;
void ls_obs_list_clear(ls_obs_list *l);
void ls_obs_list_free(ls_obs_list *l);

typedef struct ls_folder ls_folder;
/* Watches dir (recursively; names starting with '.' or '_' are ignored, as Spark does):
 * inotify when available and !listing_only, else listing on every poll. The first poll
 * reports every settled file present. Known names are never stat'ed again by listing;
 * with inotify, a closed/moved/touched known file is re-stat'ed and reported again if
 * its size or mtime changed. */
int ls_folder_open(const char *dir, bool listing_only, int64_t settle_ms, ls_folder **out,
                   ls_error *err);
void ls_folder_free(ls_folder *f);
int ls_folder_poll(ls_folder *f, ls_obs_list *out, ls_error *err);
int ls_folder_fd(const ls_folder *f); /* inotify fd, or -1 (listing) */
bool ls_folder_has_unsettled(const ls_folder *f);
const char *ls_folder_path(const ls_folder *f);
bool ls_folder_uses_inotify(const ls_folder *f);

/* ---- manifest (ing_manifest.c): a source's position ---- */

typedef struct ls_mf_file {
    char *name;
    uint64_t size;
    int64_t mtime_ms;
} ls_mf_file;

#define LS_STREAM_HEAD 128     /* stdin: first bytes kept as they are */
#define LS_STREAM_FP_LEVELS 2  /* and hashes of the first 1024 and 4096 */
typedef struct ls_manifest {
    char *source;
    int64_t batch; /* = txn version of the commit that wrote it */
    /* fully ingested files, hashed by name */
    size_t n_files, cap; /* open addressing, cap a power of two */
    ls_mf_file *slots;   /* name == NULL: empty */
    /* a file ingested up to offset (decompressed bytes) / line */
    bool has_partial;
    ls_mf_file partial;
    uint64_t partial_offset, partial_line;
    /* stdin: bytes and lines committed (totals over all stream segments) */
    uint64_t stream_offset, stream_lines;
    /* stdin: the current stream segment (a new one starts when stdin turns out to be a
     * different stream than the committed one): its number, the totals where it starts,
     * its first head_len = min(committed, LS_STREAM_HEAD) bytes (compared byte by byte,
     * so a new live stream is told by its first differing byte, without waiting for KiBs
     * of it) and fingerprints fp[i] = XXH3 (ls_hash64, seed LS_STREAM_FP_SEED) of its
     * first fp_len[i] = min(committed, 1024 / 4096) bytes, when longer than the head */
    uint64_t seg_no, seg_offset, seg_lines;
    uint8_t head[LS_STREAM_HEAD];
    size_t head_len;
    int n_fp;
    uint64_t fp_len[LS_STREAM_FP_LEVELS], fp[LS_STREAM_FP_LEVELS];
    char *input_schema; /* DDL of the nested input schema (--flatten/--explode) or NULL */
} ls_manifest;

void ls_manifest_init(ls_manifest *m);
void ls_manifest_free(ls_manifest *m);
const ls_mf_file *ls_manifest_find(const ls_manifest *m, const char *name);
void ls_manifest_put(ls_manifest *m, const char *name, uint64_t size, int64_t mtime_ms);
bool ls_manifest_remove(ls_manifest *m, const char *name);
void ls_manifest_set_partial(ls_manifest *m, const char *name, uint64_t size, int64_t mtime,
                             uint64_t offset, uint64_t line);
void ls_manifest_clear_partial(ls_manifest *m);
#define LS_STREAM_FP_SEED 0x57d1f00dULL
/* Sets m's head and fingerprints from the segment's first bytes p[0..n) for its committed
 * bytes (unchanged when n is too short for them). */
void ls_manifest_set_fingerprints(ls_manifest *m, const char *p, size_t n);
/* Compact JSON: files sorted by name and front-coded [[shared, "suffix", size, mtime]...]. */
void ls_manifest_encode(const ls_manifest *m, ls_buf *out);
int ls_manifest_decode(const char *json, ls_manifest *m, ls_error *err);

/* ---- schemas and transforms (ing_schema.c) ---- */

typedef struct ls_ing_shape {
    bool flatten;
    const char *explode; /* or NULL */
    bool rescue;
    const ls_part_spec *derived; /* derived (non-identity) partition columns */
} ls_ing_shape;

/* Table schema for an input schema: explode, flatten, then _rescued_data (if rescue and
 * not there) and the derived columns appended. Finalized. */
int ls_ing_table_schema(const ls_schema *input, const ls_ing_shape *shape, ls_schema **out,
                        ls_error *err);
/* Whether the shape needs a transform between the parsed batch and the table batch. */
static inline bool ls_ing_shape_transforms(const ls_ing_shape *s)
{
    return s->flatten || (s->explode && *s->explode);
}
/* Parse schema in transform mode: input + _rescued_data (when rescue). Finalized. */
int ls_ing_parse_schema(const ls_schema *input, bool rescue, ls_schema **out, ls_error *err);
/* Appends the rows of in (parse schema) to out (table schema) applying explode/flatten;
 * leaves of out beyond in's leaves (derived columns) get a null per row. */
int ls_ing_transform(const ls_batch *in, const ls_ing_shape *shape, ls_batch *out,
                     ls_error *err);

/* Schema evolution from the rescued object of one line ({"path": raw JSON, ...}): unknown
 * fields are added (type inferred from the value) where the path can be resolved, INT8/16/32
 * leaves whose value is an integer are widened to BIGINT and FLOAT to DOUBLE. Returns true
 * in *changed and the new schema in *out (finalized) when anything changed. */
int ls_ing_evolve(const ls_schema *schema, const char *rescued_json, size_t len, bool *changed,
                  ls_schema **out, ls_error *err);
/* Whether b extends a: every leaf of a is in b (same path) with the same or a wider type. */
bool ls_ing_schema_extends(const ls_schema *a, const ls_schema *b);
/* Makes the evolved table schema nt the schema of meta (the next commit's metaData), keeping
 * the table's field metadata and declaring type widening (delta.typeChanges,
 * delta.enableTypeWidening, the typeWidening feature: ls_delta_evolve_schema). The
 * commit's protocol: *proto when *need_protocol, else table_proto; when it must change,
 * *proto is replaced and *need_protocol set. next_version: the version the commit expects. */
int ls_ing_apply_schema(ls_delta_metadata *meta, const ls_schema *nt,
                        const ls_delta_protocol *table_proto, int64_t next_version,
                        ls_delta_protocol *proto, bool *need_protocol, ls_error *err);

#endif
