/*
 * dl_int.h - private to src/delta: what the files of this directory share
 * beyond delta.h. Sections are owned by the read side (actions, schema,
 * partition values, log listing, checkpoints) and the write side (commits,
 * writer, checkpoint writing); keep each section marked.
 */
#ifndef LS_DL_INT_H
#define LS_DL_INT_H

#include "delta.h"

/* ========================================================================
 * READ SIDE (dl_actions.c, dl_schema.c, dl_partition.c, dl_snapshot.c,
 * dl_checkpoint_read.c)
 * ======================================================================== */

/* Ownership notes for delta.h functions implemented here:
 *   - ls_delta_dv_free frees the members only, like the other *_free functions;
 *     ls_delta_add_free / ls_delta_remove_free also free (and free) their dv pointer.
 *   - ls_delta_history / ls_delta_adds_since return malloc'ed arrays: free each element
 *     (ls_delta_commit_info_free / ls_delta_add_free), then the array with free().
 *   - ls_delta_resolve_path returns (malloc'ed) either a store key (relative, no scheme),
 *     an absolute local path (leading '/', from "file:" URIs outside the table root), or
 *     another "scheme://..." URI; always percent-decoded exactly once.
 *   - partitionValues keys and stats keys are physical names under column mapping.
 *   - ls_delta_store opens (and creates) the table root lazily when ls_delta_open found
 *     no directory; it returns NULL if that fails. */

#define DL_LOG_DIR "_delta_log/"
#define DL_SIDECAR_DIR "_delta_log/_sidecars/"

/* ---- actions (dl_actions.c) ------------------------------------------- */

typedef enum dl_kind {
    DL_ACT_NONE = 0, /* unknown action (ignored, as the protocol requires) */
    DL_ACT_PROTOCOL,
    DL_ACT_METADATA,
    DL_ACT_ADD,
    DL_ACT_REMOVE,
    DL_ACT_TXN,
    DL_ACT_COMMIT_INFO,
    DL_ACT_DOMAIN,
    DL_ACT_CDC,
    DL_ACT_CHECKPOINT_METADATA,
    DL_ACT_SIDECAR,
} dl_kind;

typedef struct dl_cdc {
    char *path;
    ls_kvlist partition_values;
    int64_t size;
    bool data_change;
} dl_cdc;

typedef struct dl_sidecar {
    char *path; /* relative to _delta_log/_sidecars/ or absolute */
    int64_t size_in_bytes;
    int64_t modification_time;
} dl_sidecar;

typedef struct dl_checkpoint_metadata {
    int64_t version;
} dl_checkpoint_metadata;

/* One parsed action. Produced by dl_action_parse*: every string, array and kvlist inside
 * lives in the arena given to the parser ("arena view"): never pass it to ls_delta_*_free or
 * ls_kvlist_set/free; deep-copy with the dl_*_copy functions below to own it. */
typedef struct dl_action {
    dl_kind kind;
    union {
        ls_delta_protocol protocol;
        ls_delta_metadata metadata; /* .schema is NULL (schema_string only) */
        ls_delta_add add;
        ls_delta_remove remove;
        ls_delta_txn_action txn;
        ls_delta_commit_info commit_info; /* .version = -1, .timestamp -1 if absent */
        ls_delta_domain domain;
        dl_cdc cdc;
        dl_checkpoint_metadata checkpoint_metadata;
        dl_sidecar sidecar;
    } u;
} dl_action;

/* Parses one action object ({"add":{...}}). Unknown action names give DL_ACT_NONE; unknown
 * fields are ignored; missing required fields / wrong types are LS_ERR_CORRUPT naming the
 * action and field. */
int dl_action_from_json(const ls_json *line, ls_arena *a, dl_action *out, ls_error *err);
/* Same from text (one line without its newline). */
int dl_action_parse_line(const char *line, size_t len, ls_arena *a, dl_action *out,
                         ls_error *err);
/* Parses a whole NDJSON commit / JSON checkpoint file: blank lines skipped, \r\n tolerated,
 * unknown actions dropped. *acts is an arena array of *n actions. Errors name the line
 * number (prefix with the file name at the caller). */
int dl_commit_parse(const char *data, size_t len, ls_arena *a, dl_action **acts, size_t *n,
                    ls_error *err);

/* Deep copies into malloc'ed memory (free with the ls_delta_*_free functions of delta.h,
 * dl_txn_free, dl_domain_free). dst is overwritten (not freed first). */
void dl_kvlist_copy(ls_kvlist *dst, const ls_kvlist *src);
ls_delta_dv *dl_dv_copy(const ls_delta_dv *src); /* NULL -> NULL */
void dl_add_copy(ls_delta_add *dst, const ls_delta_add *src);
void dl_remove_copy(ls_delta_remove *dst, const ls_delta_remove *src);
void dl_protocol_copy(ls_delta_protocol *dst, const ls_delta_protocol *src);
/* Copies the schema with ls_schema_clone when src->schema is set. */
void dl_metadata_copy(ls_delta_metadata *dst, const ls_delta_metadata *src);
void dl_txn_copy(ls_delta_txn_action *dst, const ls_delta_txn_action *src);
void dl_txn_free(ls_delta_txn_action *t);
void dl_domain_copy(ls_delta_domain *dst, const ls_delta_domain *src);
void dl_domain_free(ls_delta_domain *d);
void dl_commit_info_copy(ls_delta_commit_info *dst, const ls_delta_commit_info *src);

/* Logical DV id for file keys: storageType + pathOrInlineDv [+ "@" + offset]; appended to
 * out (nothing when dv is NULL). */
void dl_dv_unique_id(const ls_delta_dv *dv, ls_buf *out);
/* True when both are NULL or describe the same DV (same unique id). */
bool dl_dv_same(const ls_delta_dv *a, const ls_delta_dv *b);

/* Serializers: each appends one complete log line `{"<action>":{...}}\n` with Spark's field
 * order and omissions (null/absent optional fields are not written; a NULL partition value
 * is written as JSON null). */
void dl_write_add(ls_buf *out, const ls_delta_add *a);
void dl_write_remove(ls_buf *out, const ls_delta_remove *r);
void dl_write_protocol(ls_buf *out, const ls_delta_protocol *p);
/* Uses m->schema_string, or serializes m->schema when schema_string is NULL. */
void dl_write_metadata(ls_buf *out, const ls_delta_metadata *m);
void dl_write_txn(ls_buf *out, const ls_delta_txn_action *t);
void dl_write_domain(ls_buf *out, const ls_delta_domain *d);
/* Writes ci->raw when set, else the fields present: inCommitTimestamp, timestamp, operation,
 * operationParameters, isBlindAppend, operationMetrics, engineInfo. */
void dl_write_commit_info(ls_buf *out, const ls_delta_commit_info *ci);
void dl_write_checkpoint_metadata(ls_buf *out, int64_t version);
void dl_write_sidecar(ls_buf *out, const dl_sidecar *s);
/* The JSON value alone (no newline): {"storageType":..} / {"k":"v",...}. */
void dl_write_dv_json(ls_buf *out, const ls_delta_dv *dv);
void dl_write_kvlist_json(ls_buf *out, const ls_kvlist *l);

/* ---- schema (dl_schema.c) ----------------------------------------------- */

/* Parses one Delta type (a JSON string such as "long" or an object) into f (type fields
 * only). For stats/typed checkpoint columns. */
int dl_schema_parse_type(const ls_json *t, ls_field *f, int depth, ls_error *err);
/* Serializes one field's type (the value of "type"). */
void dl_schema_type_to_json(const ls_field *f, ls_buf *out);

/* ---- partition values (dl_partition.c) ---------------------------------- */

/* Hive directory escaping of a partition value (or column name) as Spark's
 * ExternalCatalogUtils.escapePathName: %XX (uppercase) for 0x00-0x1F, 0x7F and
 * " # % ' * / : = ? \ { [ ] ^. NULL or "" -> "__HIVE_DEFAULT_PARTITION__". malloc'ed. */
char *dl_partition_path_escape(const char *value);
#define DL_HIVE_DEFAULT_PARTITION "__HIVE_DEFAULT_PARTITION__"
/* RFC 2396 path encoding of a relative data-file path, as Hadoop Path.toUri does (what
 * add.path holds): '%' ' ' '"' '#' '<' '>' '?' '[' '\' ']' '^' '`' '{' '|' '}' and control
 * bytes -> %XX; non-ASCII kept raw. Appends to out. */
void dl_uri_encode_path(const char *path, ls_buf *out);
/* One percent-decode (invalid escapes are kept literally, '+' stays '+'). malloc'ed. */
char *dl_uri_decode(const char *s, size_t n);
/* Formats a typed value of leaf l (value index i) as the log's partition string (Spark
 * form; timestamps as ISO-8601 UTC with microseconds and Z). Appends to out. */
void dl_partition_value_format(const ls_leaf *l, size_t i, ls_buf *out);

/* ---- protocol (dl_snapshot.c) -------------------------------------------- */

/* LS_OK when this reader supports p (reader version <= 3, every reader feature known:
 * deletionVectors, columnMapping, timestampNtz, v2Checkpoint, vacuumProtocolCheck,
 * typeWidening(-preview)); else LS_ERR_UNSUPPORTED "unsupported Delta feature: X". */
int dl_protocol_check_read(const ls_delta_protocol *p, ls_error *err);

/* ---- replay (dl_snapshot.c) ---------------------------------------------------
 * Log replay without files: apply actions in log order (checkpoint rows first, then
 * commits ascending), then finish into a snapshot (checks protocol support, requires
 * protocol + metaData, parses the schema). t may be NULL (no table root to strip from
 * absolute paths; the snapshot then has no table). */
typedef struct dl_replay dl_replay;
dl_replay *dl_replay_new(ls_delta_table *t);
int dl_replay_apply(dl_replay *r, const dl_action *act, ls_error *err);
int dl_replay_finish(dl_replay *r, int64_t version, int64_t timestamp_ms,
                     ls_delta_snapshot **out, ls_error *err);
void dl_replay_free(dl_replay *r);

/* ---- incremental update (dl_snapshot.c) --------------------------------------------
 * Applies the bytes of commit `version` (which must be s's version + 1), e.g. a commit this
 * process just wrote, without reading it from storage; same guarantees as
 * ls_delta_snapshot_update (unchanged on failure). */
int dl_snapshot_apply_commit(ls_delta_snapshot *s, int64_t version, const void *data, size_t len,
                             ls_error *err);

/* ---- log listing and checkpoints (dl_snapshot.c / dl_checkpoint_read.c) -- */

typedef enum dl_file_kind {
    DL_FILE_OTHER = 0,
    DL_FILE_COMMIT,        /* <v>.json */
    DL_FILE_CHECKPOINT,    /* <v>.checkpoint.parquet */
    DL_FILE_CHECKPOINT_MP, /* <v>.checkpoint.<part>.<parts>.parquet */
    DL_FILE_CHECKPOINT_V2, /* <v>.checkpoint.<uuid>.json|parquet */
    DL_FILE_CRC,           /* <v>.crc */
    DL_FILE_COMPACTED,     /* <v>.<v2>.compacted.json */
    DL_FILE_LAST_CHECKPOINT,
} dl_file_kind;

typedef struct dl_log_name {
    dl_file_kind kind;
    int64_t version;
    int part, parts;  /* multi-part checkpoints */
    bool json;        /* V2 checkpoint in JSON */
} dl_log_name;

/* Classifies a key's file name inside _delta_log/ (name only, no directory). */
void dl_log_name_parse(const char *name, dl_log_name *out);

/* Sink for checkpoint rows: the actions are arena views valid during the call. */
typedef int (*dl_action_fn)(void *ctx, const dl_action *act, ls_error *err);

/* Reads every action of one checkpoint Parquet file (classic part, V2 parquet or sidecar)
 * and passes it to fn. */
int dl_checkpoint_read_parquet(ls_store *store, const char *key, dl_action_fn fn, void *ctx,
                               ls_error *err);
/* Reads a checkpoint made of files keys[0..n) (classic: 1, multi-part: n parts, V2: 1 file in
 * JSON or Parquet; its sidecars are read too). */
int dl_checkpoint_read(ls_store *store, const char *const *keys, size_t n, bool v2_json,
                       dl_action_fn fn, void *ctx, ls_error *err);

/* ========================================================================
 * WRITE SIDE (dl_commit.c, dl_writer.c, dl_checkpoint_write.c, dl_create.c)
 * ======================================================================== */

/* ---- commits (dl_commit.c) ------------------------------------------------ */

/* Random (version 4) UUID, lowercase "8-4-4-4-12". */
void dl_uuid4(char out[37]);
int64_t dl_now_ms(void); /* wall clock, ms since epoch */
/* Refuses (LS_ERR_UNSUPPORTED, naming the feature) tables whose protocol or settings this
 * writer cannot honour: unknown writer version/features, CHECK constraints, generated or
 * identity columns, invariants, row tracking, CDF with data-changing removes, append-only
 * with data-changing removes. m may be NULL. */
int dl_check_writable(const ls_delta_protocol *p, const ls_delta_metadata *m, bool adds_data,
                      bool removes_data, ls_error *err);
/* Test-only fault injection: when env LS_CRASH_POINT equals name, the process
 * _exit(137)s right there (used by tests/delta/t_delta_cli.sh to simulate crashes). */
void dl_crash_point(const char *name);
bool dl_crash_point_is(const char *name);
/* Value of a table property parsed as an integer, or dflt when absent/invalid. */
int64_t dl_config_int(const ls_delta_metadata *m, const char *key, int64_t dflt);
bool dl_config_bool(const ls_delta_metadata *m, const char *key, bool dflt);

/* ---- data files (dl_writer.c) ----------------------------------------------- */

/* Spark's string statistics truncation (prefix_len in UTF-16 code units, as Java):
 * min = byte length of the prefix (never splitting a surrogate pair); max = prefix +
 * U+007F or U+10FFFF tie-breaker appended to out, false when no bound fits in
 * 2 * prefix_len units (Spark then writes no max). */
size_t dl_stats_truncate_min(const uint8_t *s, size_t n, int prefix_len);
bool dl_stats_truncate_max(const uint8_t *s, size_t n, int prefix_len, ls_buf *out);

/* ---- checkpoints (dl_checkpoint_write.c) ------------------------------------- */

/* REQUESTED FROM THE READ SIDE (dl_snapshot.c): the checkpoint writer must copy every live
 * domainMetadata of a snapshot, and delta.h only looks domains up by name. Declared weak
 * until dl_snapshot.c defines them, so the library links either way; without them
 * ls_delta_checkpoint_write refuses tables that have the domainMetadata feature. */
size_t dl_snapshot_num_domains(const ls_delta_snapshot *s) __attribute__((weak));
const ls_delta_domain *dl_snapshot_domain_at(const ls_delta_snapshot *s, size_t i)
    __attribute__((weak));

/* The Spark checkpoint schema (classic V1 layout, see the brief §4.2), finalized; with
 * add.clusteringProvider when any live file has one. */
ls_schema *dl_checkpoint_schema(bool clustering_provider);

#endif
