/*
 * delta.h - the interface of src/delta: Delta Lake transaction log (actions,
 * log replay into snapshots, time travel), commits with optimistic
 * concurrency through put-if-absent, data-file writing with partitions and
 * statistics, and checkpoints. PROTOCOL.md in delta-io/delta is the spec;
 * ../shared/docs/delta-protocol.md is our brief of it.
 *
 * Everything goes through the object-store interface (src/io), so the same
 * code runs on local disk and S3. Private headers of this directory are
 * named dl_*.h.
 */
#ifndef LS_DELTA_H
#define LS_DELTA_H

#include "../col/col.h"
#include "../io/io.h"
#include "../parquet/parquet.h"

#define LS_ENGINE_INFO "lakestream/" LS_VERSION

/* ---- actions ------------------------------------------------------------ */

typedef struct ls_kvlist {
    int n, cap;
    char **keys;
    char **values; /* a value may be NULL (e.g. a null partition value) */
} ls_kvlist;
void ls_kvlist_set(ls_kvlist *l, const char *key, const char *value); /* copies; replaces */
const char *ls_kvlist_get(const ls_kvlist *l, const char *key, bool *found);
void ls_kvlist_free(ls_kvlist *l);

typedef struct ls_delta_protocol {
    int min_reader_version, min_writer_version;
    int n_reader_features, n_writer_features;
    char **reader_features; /* only when min_reader_version >= 3 */
    char **writer_features; /* only when min_writer_version >= 7 */
} ls_delta_protocol;

typedef struct ls_delta_metadata {
    char *id;
    char *name, *description; /* may be NULL */
    char *format_provider;    /* "parquet" */
    char *schema_string;      /* Delta schema JSON, as in the log */
    ls_schema *schema;        /* parsed (logical names; physical names/ids from column mapping) */
    int n_partition_columns;
    char **partition_columns;
    ls_kvlist configuration;
    int64_t created_time; /* -1 if absent */
} ls_delta_metadata;

typedef struct ls_delta_dv {
    char storage_type; /* 'u' relative uuid path, 'i' inline, 'p' absolute path */
    char *path_or_inline_dv;
    bool has_offset;
    int32_t offset;
    int32_t size_in_bytes;
    int64_t cardinality;
} ls_delta_dv;

typedef struct ls_delta_add {
    char *path; /* as in the log (URI-encoded, relative or absolute) */
    ls_kvlist partition_values;
    int64_t size;
    int64_t modification_time;
    bool data_change;
    char *stats; /* JSON text or NULL */
    ls_kvlist tags;
    ls_delta_dv *dv; /* NULL if none */
    bool has_base_row_id, has_default_row_commit_version;
    int64_t base_row_id, default_row_commit_version;
    char *clustering_provider;
} ls_delta_add;

typedef struct ls_delta_remove {
    char *path;
    bool has_deletion_timestamp;
    int64_t deletion_timestamp;
    bool data_change;
    bool extended_file_metadata;
    ls_kvlist partition_values;
    bool has_size;
    int64_t size;
    ls_delta_dv *dv;
} ls_delta_remove;

typedef struct ls_delta_txn_action {
    char *app_id;
    int64_t version;
    bool has_last_updated;
    int64_t last_updated;
} ls_delta_txn_action;

typedef struct ls_delta_domain {
    char *domain;
    char *configuration;
    bool removed;
} ls_delta_domain;

/* One commit's provenance (from commitInfo; fields absent in the log are NULL/-1). */
typedef struct ls_delta_commit_info {
    int64_t version;
    int64_t timestamp;          /* commitInfo.timestamp, else file mtime */
    int64_t in_commit_timestamp; /* -1 if absent */
    char *operation;
    char *operation_parameters; /* JSON object text */
    char *operation_metrics;    /* JSON object text */
    char *engine_info;
    bool is_blind_append;
    char *raw; /* the whole commitInfo object as JSON text */
} ls_delta_commit_info;
void ls_delta_commit_info_free(ls_delta_commit_info *ci);

void ls_delta_add_free(ls_delta_add *a); /* frees members, not a itself */
void ls_delta_remove_free(ls_delta_remove *r);
void ls_delta_protocol_free(ls_delta_protocol *p);
void ls_delta_metadata_free(ls_delta_metadata *m);
void ls_delta_dv_free(ls_delta_dv *dv);

/* Delta schema JSON <-> ls_schema. Column mapping metadata
 * ("delta.columnMapping.id", "delta.columnMapping.physicalName") goes to
 * ls_field.field_id / physical_name, every other metadata key to
 * ls_field.metadata_json (written back as it was). */
int ls_delta_schema_parse(const char *json, ls_schema **out, ls_error *err);
void ls_delta_schema_to_json(const ls_schema *s, ls_buf *out);

/* Type widening (PROTOCOL.md §Type Widening). Counts in *n_changes the primitive type
 * changes from old to nw of existing columns, struct fields, array elements and map
 * keys/values (struct fields matched by name, case-insensitively; added fields ignored);
 * LS_ERR_UNSUPPORTED names the first change that is not an allowed widening. */
int ls_delta_schema_type_changes(const ls_schema *old, const ls_schema *nw, int *n_changes,
                                 ls_error *err);
/* Schema evolution of an existing table whose protocol is p: replaces m's schema (and
 * schemaString) with new_schema, keeping every field's metadata from m's schema (added
 * fields keep their own). Each widened type is appended to the delta.typeChanges history
 * of its nearest struct field ({"fromType","toType"} + "fieldPath" below arrays/maps;
 * + "tableVersion" = version on tables with typeWidening-preview), delta.enableTypeWidening
 * is set to "true", and when p lacks typeWidening(-preview) *proto_out gets p plus the
 * typeWidening feature and *proto_changed is set (free *proto_out then). Refuses
 * (LS_ERR_UNSUPPORTED, m untouched) changes that are not widenings, tables with
 * delta.enableTypeWidening set to anything but true, and promotions Iceberg lacks when
 * icebergCompatV1/V2 is supported. */
int ls_delta_evolve_schema(const ls_delta_protocol *p, int64_t version, ls_delta_metadata *m,
                           const ls_schema *new_schema, ls_delta_protocol *proto_out,
                           bool *proto_changed, ls_error *err);

/* Table features (PROTOCOL.md §Table Features). Whether p supports feature, explicitly or
 * through its legacy versions (writer 2: appendOnly, invariants; 3: checkConstraints;
 * 4: changeDataFeed, generatedColumns; 5: columnMapping (with reader 2); 6: identityColumns). */
bool ls_delta_protocol_supports(const ls_delta_protocol *p, const char *feature);
/* p plus feature: legacy versions become the feature lists they imply, writer version 7; a
 * reader-writer feature (or a p already on reader 3) gives reader version 3 with every
 * reader-writer feature in both lists. Returns false (and *out zeroed) when p already
 * supports it; otherwise *out is malloc'ed (ls_delta_protocol_free). */
bool ls_delta_protocol_add_feature(const ls_delta_protocol *p, const char *feature,
                                   ls_delta_protocol *out);

/* Partition values: parse the log's string form to a typed value in leaf form
 * (writes one slot into leaf l, null when value is NULL); and format a value
 * for the log / the hive-style path (Spark's escaping for paths). */
int ls_delta_partition_value_push(ls_leaf *l, const char *value, ls_error *err);

/* ---- tables and snapshots -------------------------------------------------- */

typedef struct ls_delta_table ls_delta_table;

/* Opens a table at uri (local path or s3://...). Does not require it to exist. */
int ls_delta_open(const char *uri, ls_delta_table **out, ls_error *err);
void ls_delta_close(ls_delta_table *t);
ls_store *ls_delta_store(ls_delta_table *t); /* borrowed */
/* LS_OK and *exists=false when _delta_log has no commit. */
int ls_delta_exists(ls_delta_table *t, bool *exists, ls_error *err);

typedef struct ls_delta_snapshot ls_delta_snapshot;

typedef enum ls_delta_at { LS_AT_LATEST, LS_AT_VERSION, LS_AT_TIMESTAMP } ls_delta_at;
typedef struct ls_delta_snapshot_spec {
    ls_delta_at at;
    int64_t version;      /* LS_AT_VERSION */
    int64_t timestamp_ms; /* LS_AT_TIMESTAMP: latest commit with timestamp <= this */
} ls_delta_snapshot_spec;

/* Replays the log: newest complete checkpoint <= target (classic, multi-part, V2 with
 * sidecars; _last_checkpoint only as a hint), then contiguous commits. Fails with
 * LS_ERR_NOTFOUND if the table has no log, LS_ERR_CORRUPT for gaps/malformed actions,
 * LS_ERR_UNSUPPORTED "unsupported Delta feature: X" for reader features we lack. */
int ls_delta_snapshot_load(ls_delta_table *t, const ls_delta_snapshot_spec *spec,
                           ls_delta_snapshot **out, ls_error *err);
void ls_delta_snapshot_free(ls_delta_snapshot *s);
/* Brings s (loaded from t) forward to to_version (-1 = latest) by reading only the commits
 * after its version, with the same result as a fresh load at that version (falls back to a
 * load from a newer checkpoint when the commits after s's version were cleaned up, or when
 * that is much cheaper). No-op when already there; LS_ERR_INVALID for an older to_version,
 * LS_ERR_NOTFOUND when to_version does not exist. On failure s is unchanged (still valid at
 * its old version). On success, pointers obtained from s before (files, tombstones, txns,
 * domains; protocol/metadata/schema when the commits changed them) are invalid. Updates use
 * an index over the files (16-32 bytes per file, kept with the snapshot): taken over from
 * the load when it replayed commits after the checkpoint, else built by the first update
 * that touches files (~0.3 s CPU per million files). */
int ls_delta_snapshot_update(ls_delta_snapshot *s, ls_delta_table *t, int64_t to_version,
                             ls_error *err);
int64_t ls_delta_snapshot_version(const ls_delta_snapshot *s);
int64_t ls_delta_snapshot_timestamp(const ls_delta_snapshot *s); /* of its commit, ms */
const ls_delta_protocol *ls_delta_snapshot_protocol(const ls_delta_snapshot *s);
const ls_delta_metadata *ls_delta_snapshot_metadata(const ls_delta_snapshot *s);
/* Live files (reconciled by path + DV id), in a stable order (sorted by path). Snapshot
 * files and tombstones have data_change false (as in a checkpoint: it describes a commit). */
size_t ls_delta_snapshot_num_files(const ls_delta_snapshot *s);
const ls_delta_add *ls_delta_snapshot_file(const ls_delta_snapshot *s, size_t i);
/* Tombstones still in the snapshot (for vacuum), sorted by path, then DV. A checkpoint
 * drops those older than delta.deletedFileRetentionDuration; commits replayed after it
 * (by a load or by ls_delta_snapshot_update) keep theirs. */
size_t ls_delta_snapshot_num_tombstones(const ls_delta_snapshot *s);
const ls_delta_remove *ls_delta_snapshot_tombstone(const ls_delta_snapshot *s, size_t i);
/* Latest txn version for appId, or -1. */
int64_t ls_delta_snapshot_txn_version(const ls_delta_snapshot *s, const char *app_id);
size_t ls_delta_snapshot_num_txns(const ls_delta_snapshot *s);
const ls_delta_txn_action *ls_delta_snapshot_txn(const ls_delta_snapshot *s, size_t i);
const ls_delta_domain *ls_delta_snapshot_domain(const ls_delta_snapshot *s, const char *domain);
/* The table's logical schema incl. partition columns (borrowed). */
const ls_schema *ls_delta_snapshot_schema(const ls_delta_snapshot *s);
/* Table property with a default. */
const char *ls_delta_snapshot_property(const ls_delta_snapshot *s, const char *key,
                                       const char *dflt);
/* Resolves an add path to a store key (relative paths) or an absolute URI. malloc'ed. */
char *ls_delta_resolve_path(const ls_delta_table *t, const char *add_path);

/* commitInfo of each version in [from, to] (to = -1: latest), newest first. */
int ls_delta_history(ls_delta_table *t, int64_t from, int64_t to, ls_delta_commit_info **out,
                     size_t *n, ls_error *err);

/* Files added by commits (from, to]: for incremental reads "everything since version N".
 * Only data-changing adds; fails with LS_ERR_UNSUPPORTED if a commit in range removed
 * data with dataChange=true (a non-append change), unless allow_removes. */
int ls_delta_adds_since(ls_delta_table *t, int64_t from_version, int64_t to_version,
                        bool allow_removes, ls_delta_add **out, size_t *n, ls_error *err);

/* ---- commits ----------------------------------------------------------------- */

typedef struct ls_delta_commit ls_delta_commit;

/* Starts a transaction reading read_snap (NULL when creating a table). Borrowed. */
ls_delta_commit *ls_delta_commit_new(ls_delta_table *t, const ls_delta_snapshot *read_snap);
void ls_delta_commit_free(ls_delta_commit *c);
void ls_delta_commit_set_operation(ls_delta_commit *c, const char *operation,
                                   const char *params_json);
void ls_delta_commit_set_metric(ls_delta_commit *c, const char *key, int64_t value);
void ls_delta_commit_set_protocol(ls_delta_commit *c, const ls_delta_protocol *p); /* copies */
void ls_delta_commit_set_metadata(ls_delta_commit *c, const ls_delta_metadata *m); /* copies */
void ls_delta_commit_add(ls_delta_commit *c, const ls_delta_add *a);               /* copies */
void ls_delta_commit_remove(ls_delta_commit *c, const ls_delta_remove *r);         /* copies */
void ls_delta_commit_set_txn(ls_delta_commit *c, const char *app_id, int64_t version);
void ls_delta_commit_set_domain(ls_delta_commit *c, const ls_delta_domain *d);
/* Declares that the transaction read these files (removes by others conflict). */
void ls_delta_commit_read_file(ls_delta_commit *c, const char *path);
/* Writes the next version with put-if-absent; on a lost race reads the winning commits,
 * applies the conflict rules (metadata/protocol change, same appId txn, concurrent removal
 * of files read, ...) and retries at the following version (up to max_retries, default
 * 100). LS_ERR_CONFLICT if a real conflict. Writes a checkpoint afterwards when the
 * version is a multiple of delta.checkpointInterval (default 10); a failed checkpoint
 * does not fail the commit. */
int ls_delta_commit_run(ls_delta_commit *c, int64_t *version, ls_error *err);
/* After a successful ls_delta_commit_run, s (loaded from the same table handle; may be the
 * read snapshot itself; borrowed) is brought forward to the committed version in place, as
 * ls_delta_snapshot_update would (our own commit applied without reading it back), and the
 * automatic checkpoint is written from it instead of from a full reload. Best effort: if it
 * cannot be advanced, s stays valid at its old version (compare ls_delta_snapshot_version
 * with the committed one) and the commit still succeeds. s must not be used by anyone else
 * during the run; pointers obtained from it before are invalid afterwards. */
void ls_delta_commit_advance_snapshot(ls_delta_commit *c, ls_delta_snapshot *s);

/* ---- data files ------------------------------------------------------------------ */

typedef struct ls_delta_writer_opts {
    uint64_t target_file_size;  /* default 128 MiB */
    uint64_t max_records_per_file; /* 0 = no limit */
    ls_pq_writer_opts parquet;
    int stats_columns;          /* delta.dataSkippingNumIndexedCols, default 32 */
} ls_delta_writer_opts;
void ls_delta_writer_opts_default(ls_delta_writer_opts *o);

typedef struct ls_delta_writer ls_delta_writer;

/* Writes batches of rows of the snapshot's table schema (partition columns included, as
 * real columns) into Parquet files under hive-style partition directories (Spark's path
 * escaping), one open file per partition, rolling at target size. The data files hold
 * only non-partition columns. */
int ls_delta_writer_new(ls_delta_table *t, const ls_delta_metadata *meta,
                        const ls_delta_writer_opts *opts, ls_delta_writer **out, ls_error *err);
int ls_delta_writer_write(ls_delta_writer *w, const ls_batch *b, ls_error *err);
/* Closes every open file and adds one `add` action per file (with stats JSON: numRecords,
 * minValues, maxValues, nullCount; Spark's truncation) to c. */
int ls_delta_writer_finish(ls_delta_writer *w, ls_delta_commit *c, ls_error *err);
/* Number of files / bytes / rows written so far. */
void ls_delta_writer_totals(const ls_delta_writer *w, uint64_t *files, uint64_t *bytes,
                            uint64_t *rows);
/* Deletes files written and not yet committed (best effort) and frees w. */
void ls_delta_writer_abort(ls_delta_writer *w);
void ls_delta_writer_free(ls_delta_writer *w);

/* ---- checkpoints -------------------------------------------------------------- */

/* Writes a classic single-file checkpoint of snap in Spark's exact layout, then
 * _last_checkpoint (atomic put). */
int ls_delta_checkpoint_write(ls_delta_table *t, const ls_delta_snapshot *snap, ls_error *err);

/* ---- creating tables ------------------------------------------------------------ */

typedef struct ls_delta_create_opts {
    const ls_schema *schema;   /* borrowed */
    const char *const *partition_columns;
    int n_partition_columns;
    const ls_kvlist *properties; /* borrowed, may be NULL */
    const char *name, *description;
} ls_delta_create_opts;

/* Commits version 0 (protocol 1/2 unless a feature needs more, metaData). LS_ERR_EXISTS if
 * the table already has a log. */
int ls_delta_create(ls_delta_table *t, const ls_delta_create_opts *o, ls_error *err);

#endif
