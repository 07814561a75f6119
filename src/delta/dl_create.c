/*
 * dl_create.c - creating a Delta table: validates the schema, partition
 * columns and table properties, picks the lowest protocol that carries what
 * they need (1/2 by default, as Spark; table features only when required:
 * timestampNtz, inCommitTimestamp, deletionVectors, ...) and commits version 0
 * with protocol + metaData and a Spark-like "CREATE TABLE" commitInfo.
 *
 * Column mapping (delta.columnMapping.mode = name|id) assigns every struct
 * field an id and a "col-<uuid>" physical name and sets
 * delta.columnMapping.maxColumnId, like Spark.
 */
#include "dl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Table properties lakestream knows (Spark rejects unknown delta.* keys too, which
 * catches typos that would otherwise silently do nothing). */
static const char *const known_props[] = {
    "delta.appendOnly",
    "delta.autoOptimize.autoCompact",
    "delta.autoOptimize.optimizeWrite",
    "delta.checkpoint.writeStatsAsJson",
    "delta.checkpoint.writeStatsAsStruct",
    "delta.checkpointInterval",
    "delta.columnMapping.mode",
    "delta.compatibility.symlinkFormatManifest.enabled",
    "delta.dataSkippingNumIndexedCols",
    "delta.dataSkippingStatsColumns",
    "delta.deletedFileRetentionDuration",
    "delta.enableChangeDataFeed",
    "delta.enableDeletionVectors",
    "delta.enableExpiredLogCleanup",
    "delta.enableInCommitTimestamps",
    "delta.enableTypeWidening",
    "delta.isolationLevel",
    "delta.logRetentionDuration",
    "delta.randomizeFilePrefixes",
    "delta.randomPrefixLength",
    "delta.setTransactionRetentionDuration",
    "delta.targetFileSize",
    "delta.tuneFileSizesForRewrites",
    "delta.checkpointPolicy",
};

/* Features lakestream can put into a new table's protocol (reader+writer ones marked). */
static const struct {
    const char *name;
    bool reader;
} known_features[] = {
    {"appendOnly", false},      {"invariants", false},         {"checkConstraints", false},
    {"changeDataFeed", false},  {"columnMapping", true},       {"deletionVectors", true},
    {"timestampNtz", true},     {"domainMetadata", false},     {"inCommitTimestamp", false},
    {"vacuumProtocolCheck", true}, {"typeWidening", true},
};

typedef struct feat_set {
    int n;
    const char *names[32];
} feat_set;

static void feat_add(feat_set *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name))
            return;
    if (s->n < 32)
        s->names[s->n++] = name;
}

static bool feat_is_reader(const char *name)
{
    for (size_t i = 0; i < sizeof known_features / sizeof known_features[0]; i++)
        if (!strcmp(known_features[i].name, name))
            return known_features[i].reader;
    return false;
}

static bool has_type(const ls_field *f, ls_type t)
{
    if (f->type == t)
        return true;
    for (int i = 0; i < f->n_children; i++)
        if (has_type(&f->children[i], t))
            return true;
    return false;
}

/* Column mapping: ids and physical names for every struct member, depth first. */
static void assign_mapping(ls_field *f, int32_t *max_id)
{
    for (int i = 0; i < f->n_children; i++) {
        ls_field *c = &f->children[i];
        if (f->type == LS_STRUCT) {
            c->field_id = ++*max_id;
            char uuid[37];
            dl_uuid4(uuid);
            free(c->physical_name);
            c->physical_name = ls_xasprintf("col-%s", uuid);
        }
        assign_mapping(c, max_id);
    }
}

static void strip_mapping(ls_field *f)
{
    f->field_id = -1;
    free(f->physical_name);
    f->physical_name = NULL;
    for (int i = 0; i < f->n_children; i++)
        strip_mapping(&f->children[i]);
}

static bool prop_true(const ls_kvlist *props, const char *key)
{
    bool found = false;
    const char *v = props ? ls_kvlist_get(props, key, &found) : NULL;
    return found && v && ls_str_ieq(v, "true");
}

int ls_delta_create(ls_delta_table *t, const ls_delta_create_opts *o, ls_error *err)
{
    if (!o || !o->schema)
        return ls_err(err, LS_ERR_INVALID, "create table: a schema is required");
    if (o->schema->root.n_children == 0)
        return ls_err(err, LS_ERR_INVALID, "create table: the schema has no columns");
    bool exists = false;
    int rc = ls_delta_exists(t, &exists, err);
    if (rc)
        return rc;
    if (exists)
        return ls_err(err, LS_ERR_EXISTS, "create table: %s already has a Delta log",
                      ls_store_uri(ls_delta_store(t)));

    ls_schema *schema = ls_schema_clone(o->schema);
    if (!schema)
        return ls_err(err, LS_ERR_INVALID, "create table: the schema is not valid");
    /* column names must be unique case-insensitively (Delta/Spark rule) */
    const ls_field *root = &schema->root;
    for (int i = 0; i < root->n_children; i++)
        for (int j = i + 1; j < root->n_children; j++)
            if (ls_str_ieq(root->children[i].name, root->children[j].name)) {
                rc = ls_err(err, LS_ERR_INVALID,
                            "create table: columns '%s' and '%s' differ only in case",
                            root->children[i].name, root->children[j].name);
                ls_schema_free(schema);
                return rc;
            }

    ls_delta_metadata m;
    memset(&m, 0, sizeof m);
    ls_delta_protocol p;
    memset(&p, 0, sizeof p);
    feat_set feats = {0};
    int reader = 1, writer = 2;
    ls_buf buf = {0};

    /* partition columns: existing, top-level, primitive, distinct */
    m.n_partition_columns = o->n_partition_columns;
    m.partition_columns = ls_xcalloc((size_t)o->n_partition_columns + 1, sizeof(char *));
    for (int i = 0; i < o->n_partition_columns; i++) {
        const char *name = o->partition_columns[i];
        const ls_field *f = ls_field_find_child(root, name, strlen(name));
        if (!f) {
            rc = ls_err(err, LS_ERR_INVALID,
                        "create table: partition column '%s' is not in the schema", name);
            goto out;
        }
        if (ls_type_is_group(f->type)) {
            rc = ls_err(err, LS_ERR_INVALID,
                        "create table: partition column '%s' has type %s; partition columns "
                        "must be primitive",
                        name, ls_type_name(f->type));
            goto out;
        }
        for (int j = 0; j < i; j++)
            if (ls_str_ieq(m.partition_columns[j], f->name)) {
                rc = ls_err(err, LS_ERR_INVALID,
                            "create table: partition column '%s' is listed twice", name);
                goto out;
            }
        m.partition_columns[i] = ls_xstrdup(f->name); /* the schema's spelling */
    }
    if (o->n_partition_columns >= root->n_children) {
        rc = ls_err(err, LS_ERR_INVALID,
                    "create table: cannot use all columns as partition columns");
        goto out;
    }

    /* properties */
    const ls_kvlist *props = o->properties;
    for (int i = 0; props && i < props->n; i++) {
        const char *k = props->keys[i], *v = props->values[i] ? props->values[i] : "";
        if (strncmp(k, "delta.", 6) != 0) {
            ls_kvlist_set(&m.configuration, k, v);
            continue;
        }
        if (!strcmp(k, "delta.minReaderVersion") || !strcmp(k, "delta.minWriterVersion")) {
            char *end;
            long n = strtol(v, &end, 10);
            bool rd = k[9] == 'R';
            if (end == v || *end || n < 1 || n > (rd ? 3 : 7)) {
                rc = ls_err(err, LS_ERR_INVALID, "create table: %s must be 1..%d, not '%s'", k,
                            rd ? 3 : 7, v);
                goto out;
            }
            if (rd && n > reader)
                reader = (int)n;
            if (!rd && n > writer)
                writer = (int)n;
            continue; /* a protocol request, not stored (as Spark) */
        }
        if (!strncmp(k, "delta.feature.", 14)) {
            const char *fname = k + 14;
            bool known = false;
            for (size_t j = 0; j < sizeof known_features / sizeof known_features[0]; j++)
                if (!strcmp(known_features[j].name, fname)) {
                    feat_add(&feats, known_features[j].name);
                    known = true;
                }
            if (!known || (!ls_str_ieq(v, "supported") && !ls_str_ieq(v, "enabled"))) {
                rc = ls_err(err, LS_ERR_UNSUPPORTED,
                            "create table: %s=%s: lakestream cannot write tables with that "
                            "feature",
                            k, v);
                goto out;
            }
            continue;
        }
        if (!strncmp(k, "delta.constraints.", 18)) {
            ls_kvlist_set(&m.configuration, k, v);
            if (writer < 3)
                writer = 3;
            continue;
        }
        bool known = false;
        for (size_t j = 0; j < sizeof known_props / sizeof known_props[0] && !known; j++)
            known = !strcmp(known_props[j], k);
        if (!known) {
            rc = ls_err(err, LS_ERR_INVALID, "create table: unknown table property '%s'", k);
            goto out;
        }
        ls_kvlist_set(&m.configuration, k, v);
    }

    /* what the schema and properties need */
    if (has_type(root, LS_TIMESTAMP_NTZ))
        feat_add(&feats, "timestampNtz");
    if (prop_true(&m.configuration, "delta.enableInCommitTimestamps"))
        feat_add(&feats, "inCommitTimestamp");
    if (prop_true(&m.configuration, "delta.enableDeletionVectors"))
        feat_add(&feats, "deletionVectors");
    if (prop_true(&m.configuration, "delta.enableTypeWidening"))
        feat_add(&feats, "typeWidening");
    if (prop_true(&m.configuration, "delta.enableChangeDataFeed") && writer < 4)
        writer = 4;
    bool found;
    const char *cm = ls_kvlist_get(&m.configuration, "delta.columnMapping.mode", &found);
    bool mapped = found && cm && (!strcmp(cm, "name") || !strcmp(cm, "id"));
    if (mapped) {
        int32_t max_id = 0;
        assign_mapping(&schema->root, &max_id);
        char idtext[16];
        snprintf(idtext, sizeof idtext, "%d", (int)max_id);
        ls_kvlist_set(&m.configuration, "delta.columnMapping.maxColumnId", idtext);
        if (reader < 2)
            reader = 2;
        if (writer < 5)
            writer = 5;
    } else if (found && cm && strcmp(cm, "none")) {
        rc = ls_err(err, LS_ERR_INVALID,
                    "create table: delta.columnMapping.mode must be none, name or id, not '%s'",
                    cm);
        goto out;
    } else {
        strip_mapping(&schema->root);
    }
    if ((rc = ls_schema_finalize(schema, err)))
        goto out;

    /* protocol: legacy versions unless a feature list is needed */
    if (feats.n > 0 || reader == 3 || writer == 7) {
        bool any_reader = false;
        for (int i = 0; i < feats.n; i++)
            any_reader |= feat_is_reader(feats.names[i]);
        /* the legacy capabilities of the writer version become features; a requested
         * version 7 keeps those of the default 2 and what constraints / CDF need (as Spark
         * merging the default protocol) */
        int lw = writer;
        if (lw >= 7) {
            lw = 2;
            for (int i = 0; i < m.configuration.n; i++)
                if (!strncmp(m.configuration.keys[i], "delta.constraints.", 18))
                    lw = 3;
            if (prop_true(&m.configuration, "delta.enableChangeDataFeed"))
                lw = 4;
        }
        if (lw >= 2) {
            feat_add(&feats, "appendOnly");
            feat_add(&feats, "invariants");
        }
        if (lw >= 3)
            feat_add(&feats, "checkConstraints");
        if (lw >= 4) {
            feat_add(&feats, "changeDataFeed");
            feat_add(&feats, "generatedColumns");
        }
        if (lw >= 6)
            feat_add(&feats, "identityColumns");
        if ((lw >= 5 && reader >= 2) || mapped) {
            feat_add(&feats, "columnMapping");
            any_reader = true;
        }
        writer = 7;
        reader = any_reader ? 3 : 1;
    }
    p.min_reader_version = reader;
    p.min_writer_version = writer;
    if (writer == 7) {
        p.writer_features = ls_xcalloc((size_t)feats.n + 1, sizeof(char *));
        p.reader_features = ls_xcalloc((size_t)feats.n + 1, sizeof(char *));
        for (int i = 0; i < feats.n; i++) {
            p.writer_features[p.n_writer_features++] = ls_xstrdup(feats.names[i]);
            if (reader == 3 && feat_is_reader(feats.names[i]))
                p.reader_features[p.n_reader_features++] = ls_xstrdup(feats.names[i]);
        }
    }

    /* metadata */
    char uuid[37];
    dl_uuid4(uuid);
    m.id = ls_xstrdup(uuid);
    m.name = o->name ? ls_xstrdup(o->name) : NULL;
    m.description = o->description ? ls_xstrdup(o->description) : NULL;
    m.format_provider = ls_xstrdup("parquet");
    ls_delta_schema_to_json(schema, &buf);
    m.schema_string = ls_xstrdup(ls_buf_cstr(&buf));
    m.schema = schema;
    schema = NULL;
    m.created_time = dl_now_ms();

    /* Spark's CREATE TABLE operationParameters: every value a JSON-encoded string */
    buf.len = 0;
    ls_buf inner = {0};
    ls_buf_putc(&inner, '[');
    for (int i = 0; i < m.n_partition_columns; i++) {
        if (i)
            ls_buf_putc(&inner, ',');
        ls_buf_json_str(&inner, m.partition_columns[i], strlen(m.partition_columns[i]));
    }
    ls_buf_putc(&inner, ']');
    ls_buf_puts(&buf, "{\"partitionBy\":");
    ls_buf_json_str(&buf, (const char *)inner.data, inner.len);
    ls_buf_puts(&buf, ",\"clusterBy\":\"[]\",\"description\":");
    if (m.description)
        ls_buf_json_str(&buf, m.description, strlen(m.description));
    else
        ls_buf_puts(&buf, "null");
    ls_buf_puts(&buf, ",\"isManaged\":\"false\",\"properties\":");
    inner.len = 0;
    dl_write_kvlist_json(&inner, &m.configuration);
    ls_buf_json_str(&buf, (const char *)inner.data, inner.len);
    ls_buf_putc(&buf, '}');
    ls_buf_free(&inner);

    ls_delta_commit *c = ls_delta_commit_new(t, NULL);
    ls_delta_commit_set_operation(c, "CREATE TABLE", ls_buf_cstr(&buf));
    ls_delta_commit_set_protocol(c, &p);
    ls_delta_commit_set_metadata(c, &m);
    int64_t v = -1;
    rc = ls_delta_commit_run(c, &v, err);
    ls_delta_commit_free(c);
    if (rc == LS_ERR_EXISTS)
        ls_err(err, LS_ERR_EXISTS, "create table: %s already has a Delta log (created "
                                   "concurrently)",
               ls_store_uri(ls_delta_store(t)));
out:
    ls_buf_free(&buf);
    ls_schema_free(schema);
    ls_delta_metadata_free(&m);
    ls_delta_protocol_free(&p);
    return rc;
}
