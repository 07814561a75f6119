/*
 * dl_commit.c - Delta transactions: collects the actions of one commit,
 * serializes them (commitInfo first, then protocol, metaData, txn,
 * domainMetadata, remove, add) and publishes _delta_log/<v>.json with
 * put-if-absent. Losing the race means reading each winning commit, applying
 * the conflict rules of the brief (§11, after Spark's ConflictChecker) and
 * retrying as the next version. After a successful commit at a multiple of
 * delta.checkpointInterval a checkpoint is written (best effort), from the
 * caller's snapshot when it asked for that one to be advanced to the new
 * version (ls_delta_commit_advance_snapshot; a full reload costs seconds on
 * large tables), else from a full load.
 *
 * Test-only fault injection: environment variable LS_CRASH_POINT=<name> makes
 * the process _exit(137) at that named point (see dl_crash_point). It is not
 * compiled out, but costs one getenv per point and does nothing unless set.
 * Points: after-data-write, before-log-write, mid-log-write (leaves a partial
 * temp file in _delta_log/), after-log-write, mid-checkpoint,
 * before-last-checkpoint.
 */
#include "dl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define DL_DEFAULT_MAX_RETRIES 100

/* ---- small shared helpers ------------------------------------------------------- */

void dl_uuid4(char out[37])
{
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof b) {
        /* no entropy source: fall back to time, pid and an address (unique enough) */
        uint64_t x = (uint64_t)ls_now_micros() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)out;
        for (size_t i = got; i < sizeof b; i++) {
            x = ls_hash_u64(x + i);
            b[i] = (uint8_t)x;
        }
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = 0;
}

int64_t dl_now_ms(void) { return ls_now_micros() / 1000; }

bool dl_crash_point_is(const char *name)
{
    const char *e = getenv("LS_CRASH_POINT");
    return e && !strcmp(e, name);
}

void dl_crash_point(const char *name)
{
    if (dl_crash_point_is(name)) {
        fprintf(stderr, "lakestream: LS_CRASH_POINT=%s: simulated crash\n", name);
        _exit(137);
    }
}

int64_t dl_config_int(const ls_delta_metadata *m, const char *key, int64_t dflt)
{
    bool found = false;
    const char *v = m ? ls_kvlist_get(&m->configuration, key, &found) : NULL;
    if (!found || !v)
        return dflt;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end)
        return dflt;
    return x;
}

bool dl_config_bool(const ls_delta_metadata *m, const char *key, bool dflt)
{
    bool found = false;
    const char *v = m ? ls_kvlist_get(&m->configuration, key, &found) : NULL;
    if (!found || !v)
        return dflt;
    if (ls_str_ieq(v, "true"))
        return true;
    if (ls_str_ieq(v, "false"))
        return false;
    return dflt;
}

/* ---- what this writer can honour ----------------------------------------------- */

static bool has_feature(const ls_delta_protocol *p, const char *name)
{
    for (int i = 0; i < p->n_writer_features; i++)
        if (!strcmp(p->writer_features[i], name))
            return true;
    return false;
}

/* ---- table features --------------------------------------------------------------- */

/* Features implied by legacy protocol versions (PROTOCOL.md §Writer/Reader Version
 * Requirements), in Spark's order. */
static const struct {
    const char *name;
    int reader, writer;
} legacy_features[] = {
    {"appendOnly", 1, 2},       {"invariants", 1, 2},       {"checkConstraints", 1, 3},
    {"changeDataFeed", 1, 4},   {"generatedColumns", 1, 4}, {"columnMapping", 2, 5},
    {"identityColumns", 1, 6},
};

/* Features readers must know too (PROTOCOL.md §Valid Feature Names, plus Spark's previews). */
static bool is_reader_writer_feature(const char *f)
{
    static const char *const rw[] = {
        "columnMapping",  "deletionVectors",      "timestampNtz",         "v2Checkpoint",
        "vacuumProtocolCheck", "typeWidening",    "typeWidening-preview", "variantType",
        "variantType-preview", "variantShredding", "variantShredding-preview",
        "catalogManaged", "geospatial",
    };
    for (size_t i = 0; i < sizeof rw / sizeof rw[0]; i++)
        if (!strcmp(rw[i], f))
            return true;
    return false;
}

static bool strv_has(char *const *v, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return true;
    return false;
}

bool ls_delta_protocol_supports(const ls_delta_protocol *p, const char *feature)
{
    if (!p)
        return false;
    if (p->min_writer_version < 7) {
        for (size_t i = 0; i < sizeof legacy_features / sizeof legacy_features[0]; i++)
            if (!strcmp(legacy_features[i].name, feature))
                return p->min_writer_version >= legacy_features[i].writer &&
                       p->min_reader_version >= legacy_features[i].reader;
        return false;
    }
    if (!strv_has(p->writer_features, p->n_writer_features, feature))
        return false;
    if (!is_reader_writer_feature(feature))
        return true;
    if (p->min_reader_version >= 3)
        return strv_has(p->reader_features, p->n_reader_features, feature);
    /* reader 2 implies column mapping; other reader features need reader 3 */
    return p->min_reader_version == 2 && !strcmp(feature, "columnMapping");
}

static void strv_push(char ***v, int *n, const char *s)
{
    if (strv_has(*v, *n, s))
        return;
    *v = ls_xrealloc(*v, (size_t)(*n + 2) * sizeof(char *));
    (*v)[(*n)++] = ls_xstrdup(s);
    (*v)[*n] = NULL;
}

bool ls_delta_protocol_add_feature(const ls_delta_protocol *p, const char *feature,
                                   ls_delta_protocol *out)
{
    memset(out, 0, sizeof *out);
    if (ls_delta_protocol_supports(p, feature))
        return false;
    int rv = p->min_reader_version < 1 ? 1 : p->min_reader_version;
    /* writer features: the explicit list, or what the legacy writer version implies */
    if (p->min_writer_version >= 7) {
        for (int i = 0; i < p->n_writer_features; i++)
            strv_push(&out->writer_features, &out->n_writer_features, p->writer_features[i]);
    } else {
        for (size_t i = 0; i < sizeof legacy_features / sizeof legacy_features[0]; i++)
            if (p->min_writer_version >= legacy_features[i].writer &&
                rv >= legacy_features[i].reader)
                strv_push(&out->writer_features, &out->n_writer_features,
                          legacy_features[i].name);
    }
    strv_push(&out->writer_features, &out->n_writer_features, feature);
    out->min_writer_version = 7;
    if (rv >= 3 || is_reader_writer_feature(feature)) {
        /* reader 3 lists every reader-writer feature: the old explicit list, column mapping
         * that reader 2 implied, the new feature */
        if (rv >= 3)
            for (int i = 0; i < p->n_reader_features; i++)
                strv_push(&out->reader_features, &out->n_reader_features, p->reader_features[i]);
        for (int i = 0; i < out->n_writer_features; i++)
            if (is_reader_writer_feature(out->writer_features[i]))
                strv_push(&out->reader_features, &out->n_reader_features,
                          out->writer_features[i]);
        if (!out->reader_features)
            out->reader_features = ls_xcalloc(1, sizeof(char *));
        out->min_reader_version = 3;
    } else {
        out->min_reader_version = rv;
    }
    return true;
}

int dl_check_writable(const ls_delta_protocol *p, const ls_delta_metadata *m, bool adds_data,
                      bool removes_data, ls_error *err)
{
    if (!p)
        return LS_OK;
    if (p->min_reader_version > 3)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "unsupported Delta feature: minReaderVersion %d", p->min_reader_version);
    if (p->min_writer_version > 7)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "unsupported Delta feature: minWriterVersion %d", p->min_writer_version);
    if (p->min_writer_version == 7) {
        /* writer features whose obligations we meet (possibly by refusing below) */
        static const char *const ok[] = {
            "appendOnly",       "invariants",          "checkConstraints",
            "changeDataFeed",   "generatedColumns",    "columnMapping",
            "identityColumns",  "deletionVectors",     "timestampNtz",
            "domainMetadata",   "inCommitTimestamp",   "v2Checkpoint",
            "vacuumProtocolCheck", "typeWidening",     "typeWidening-preview",
            "clustering",       "allowColumnDefaults",
        };
        for (int i = 0; i < p->n_writer_features; i++) {
            bool known = false;
            for (size_t k = 0; k < sizeof ok / sizeof ok[0] && !known; k++)
                known = !strcmp(p->writer_features[i], ok[k]);
            if (!known)
                return ls_err(err, LS_ERR_UNSUPPORTED,
                              "unsupported Delta feature: writer feature '%s'",
                              p->writer_features[i]);
        }
    }
    bool v7 = p->min_writer_version == 7;
    if (!m)
        return LS_OK;
    const char *schema = m->schema_string ? m->schema_string : "";
    if (adds_data) {
        if ((v7 ? has_feature(p, "checkConstraints") : p->min_writer_version >= 3)) {
            for (int i = 0; i < m->configuration.n; i++)
                if (!strncmp(m->configuration.keys[i], "delta.constraints.", 18))
                    return ls_err(err, LS_ERR_UNSUPPORTED,
                                  "unsupported Delta feature: CHECK constraint '%s' "
                                  "(lakestream does not evaluate constraints)",
                                  m->configuration.keys[i] + 18);
        }
        if ((v7 ? has_feature(p, "generatedColumns") : p->min_writer_version >= 4) &&
            strstr(schema, "delta.generationExpression"))
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "unsupported Delta feature: generated columns");
        if ((v7 ? has_feature(p, "identityColumns") : p->min_writer_version >= 6) &&
            strstr(schema, "delta.identity."))
            return ls_err(err, LS_ERR_UNSUPPORTED, "unsupported Delta feature: identity columns");
        if ((v7 ? has_feature(p, "invariants") : p->min_writer_version >= 2) &&
            strstr(schema, "delta.invariants"))
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "unsupported Delta feature: column invariants");
    }
    if (removes_data) {
        if (dl_config_bool(m, "delta.appendOnly", false))
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "table is append-only (delta.appendOnly=true): cannot remove data");
        if ((v7 ? has_feature(p, "changeDataFeed") : p->min_writer_version >= 4) &&
            dl_config_bool(m, "delta.enableChangeDataFeed", false))
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "unsupported Delta feature: change data feed for data-changing "
                          "removes");
    }
    return LS_OK;
}

/* ---- the transaction object ------------------------------------------------------- */

struct ls_delta_commit {
    ls_delta_table *t;
    const ls_delta_snapshot *snap;
    char *operation, *params;
    int n_metrics, cap_metrics;
    char **mkeys;
    int64_t *mvals;
    ls_delta_protocol *protocol;
    ls_delta_metadata *metadata;
    ls_delta_add *adds;
    size_t n_adds, cap_adds;
    ls_delta_remove *removes;
    size_t n_removes, cap_removes;
    ls_delta_txn_action *txns;
    int n_txns, cap_txns;
    ls_delta_domain *domains;
    int n_domains, cap_domains;
    char **reads; /* URI-decoded paths the transaction read */
    size_t n_reads, cap_reads;
    int max_retries;
    ls_delta_snapshot *advance; /* brought to the committed version after a run; borrowed */
};

ls_delta_commit *ls_delta_commit_new(ls_delta_table *t, const ls_delta_snapshot *read_snap)
{
    ls_delta_commit *c = ls_xcalloc(1, sizeof *c);
    c->t = t;
    c->snap = read_snap;
    c->max_retries = DL_DEFAULT_MAX_RETRIES;
    return c;
}

void ls_delta_commit_advance_snapshot(ls_delta_commit *c, ls_delta_snapshot *s)
{
    c->advance = s;
}

void ls_delta_commit_free(ls_delta_commit *c)
{
    if (!c)
        return;
    free(c->operation);
    free(c->params);
    for (int i = 0; i < c->n_metrics; i++)
        free(c->mkeys[i]);
    free(c->mkeys);
    free(c->mvals);
    if (c->protocol) {
        ls_delta_protocol_free(c->protocol);
        free(c->protocol);
    }
    if (c->metadata) {
        ls_delta_metadata_free(c->metadata);
        free(c->metadata);
    }
    for (size_t i = 0; i < c->n_adds; i++)
        ls_delta_add_free(&c->adds[i]);
    free(c->adds);
    for (size_t i = 0; i < c->n_removes; i++)
        ls_delta_remove_free(&c->removes[i]);
    free(c->removes);
    for (int i = 0; i < c->n_txns; i++)
        dl_txn_free(&c->txns[i]);
    free(c->txns);
    for (int i = 0; i < c->n_domains; i++)
        dl_domain_free(&c->domains[i]);
    free(c->domains);
    for (size_t i = 0; i < c->n_reads; i++)
        free(c->reads[i]);
    free(c->reads);
    free(c);
}

void ls_delta_commit_set_operation(ls_delta_commit *c, const char *operation,
                                   const char *params_json)
{
    free(c->operation);
    free(c->params);
    c->operation = operation ? ls_xstrdup(operation) : NULL;
    c->params = params_json && *params_json ? ls_xstrdup(params_json) : NULL;
}

void ls_delta_commit_set_metric(ls_delta_commit *c, const char *key, int64_t value)
{
    for (int i = 0; i < c->n_metrics; i++)
        if (!strcmp(c->mkeys[i], key)) {
            c->mvals[i] = value;
            return;
        }
    if (c->n_metrics == c->cap_metrics) {
        c->cap_metrics = c->cap_metrics ? 2 * c->cap_metrics : 8;
        c->mkeys = ls_xrealloc(c->mkeys, (size_t)c->cap_metrics * sizeof(char *));
        c->mvals = ls_xrealloc(c->mvals, (size_t)c->cap_metrics * sizeof(int64_t));
    }
    c->mkeys[c->n_metrics] = ls_xstrdup(key);
    c->mvals[c->n_metrics++] = value;
}

void ls_delta_commit_set_protocol(ls_delta_commit *c, const ls_delta_protocol *p)
{
    if (c->protocol)
        ls_delta_protocol_free(c->protocol);
    else
        c->protocol = ls_xcalloc(1, sizeof *c->protocol);
    dl_protocol_copy(c->protocol, p);
}

void ls_delta_commit_set_metadata(ls_delta_commit *c, const ls_delta_metadata *m)
{
    if (c->metadata)
        ls_delta_metadata_free(c->metadata);
    else
        c->metadata = ls_xcalloc(1, sizeof *c->metadata);
    dl_metadata_copy(c->metadata, m);
}

void ls_delta_commit_add(ls_delta_commit *c, const ls_delta_add *a)
{
    if (c->n_adds == c->cap_adds) {
        c->cap_adds = c->cap_adds ? 2 * c->cap_adds : 16;
        c->adds = ls_xrealloc(c->adds, c->cap_adds * sizeof(ls_delta_add));
    }
    dl_add_copy(&c->adds[c->n_adds++], a);
}

void ls_delta_commit_remove(ls_delta_commit *c, const ls_delta_remove *r)
{
    if (c->n_removes == c->cap_removes) {
        c->cap_removes = c->cap_removes ? 2 * c->cap_removes : 16;
        c->removes = ls_xrealloc(c->removes, c->cap_removes * sizeof(ls_delta_remove));
    }
    dl_remove_copy(&c->removes[c->n_removes++], r);
}

void ls_delta_commit_set_txn(ls_delta_commit *c, const char *app_id, int64_t version)
{
    for (int i = 0; i < c->n_txns; i++)
        if (!strcmp(c->txns[i].app_id, app_id)) {
            c->txns[i].version = version;
            return;
        }
    if (c->n_txns == c->cap_txns) {
        c->cap_txns = c->cap_txns ? 2 * c->cap_txns : 4;
        c->txns = ls_xrealloc(c->txns, (size_t)c->cap_txns * sizeof(ls_delta_txn_action));
    }
    ls_delta_txn_action *t = &c->txns[c->n_txns++];
    memset(t, 0, sizeof *t);
    t->app_id = ls_xstrdup(app_id);
    t->version = version;
    t->has_last_updated = true;
    t->last_updated = dl_now_ms();
}

void ls_delta_commit_set_domain(ls_delta_commit *c, const ls_delta_domain *d)
{
    for (int i = 0; i < c->n_domains; i++)
        if (!strcmp(c->domains[i].domain, d->domain)) {
            dl_domain_free(&c->domains[i]);
            dl_domain_copy(&c->domains[i], d);
            return;
        }
    if (c->n_domains == c->cap_domains) {
        c->cap_domains = c->cap_domains ? 2 * c->cap_domains : 4;
        c->domains = ls_xrealloc(c->domains, (size_t)c->cap_domains * sizeof(ls_delta_domain));
    }
    dl_domain_copy(&c->domains[c->n_domains++], d);
}

void ls_delta_commit_read_file(ls_delta_commit *c, const char *path)
{
    if (c->n_reads == c->cap_reads) {
        c->cap_reads = c->cap_reads ? 2 * c->cap_reads : 16;
        c->reads = ls_xrealloc(c->reads, c->cap_reads * sizeof(char *));
    }
    c->reads[c->n_reads++] = dl_uri_decode(path, strlen(path));
}

/* ---- conflict detection ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool in_sorted(char **v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof(char *), cmp_str) != NULL;
}

typedef struct conflict_ctx {
    char **reads; /* sorted, decoded: files read (incl. the ones we remove) */
    size_t n_reads;
    char **removes; /* sorted, decoded: files we remove */
    size_t n_removes;
    bool depends_on_files; /* not a blind append */
    bool snapshot_isolation; /* every file action is dataChange=false (compaction) */
    bool whole_table; /* changes metadata/protocol: every concurrent data change conflicts */
} conflict_ctx;

/* Checks the winning commit `version` (its text) against our transaction. Also reports
 * the winner's inCommitTimestamp (or -1). */
static int check_winner(const ls_delta_commit *c, const conflict_ctx *cc, int64_t version,
                        const ls_buf *text, int64_t *winner_ict, ls_error *err)
{
    ls_arena arena;
    ls_arena_init(&arena, 64 * 1024);
    dl_action *acts = NULL;
    size_t n = 0;
    *winner_ict = -1;
    int rc = dl_commit_parse((const char *)text->data, text->len, &arena, &acts, &n, err);
    if (rc) {
        ls_err_prefix(err, "reading concurrent commit %020" PRId64 ".json", version);
        goto out;
    }
    bool winner_blind = false, winner_adds = false, winner_removes = false;
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        const dl_action *a = &acts[i];
        switch (a->kind) {
        case DL_ACT_PROTOCOL:
            rc = ls_err(err, LS_ERR_CONFLICT,
                        "concurrent commit %" PRId64 " changed the table protocol "
                        "(ProtocolChanged); retry the operation",
                        version);
            break;
        case DL_ACT_METADATA:
            rc = ls_err(err, LS_ERR_CONFLICT,
                        "concurrent commit %" PRId64 " changed the table metadata "
                        "(MetadataChanged); retry the operation",
                        version);
            break;
        case DL_ACT_TXN:
            for (int k = 0; k < c->n_txns && rc == LS_OK; k++)
                if (!strcmp(c->txns[k].app_id, a->u.txn.app_id))
                    rc = ls_err(err, LS_ERR_CONFLICT,
                                "concurrent commit %" PRId64 " wrote transaction version %" PRId64
                                " for appId '%s' (ConcurrentTransaction): re-check the "
                                "table's txn version before retrying",
                                version, a->u.txn.version, a->u.txn.app_id);
            break;
        case DL_ACT_DOMAIN:
            for (int k = 0; k < c->n_domains && rc == LS_OK; k++)
                if (!strcmp(c->domains[k].domain, a->u.domain.domain))
                    rc = ls_err(err, LS_ERR_CONFLICT,
                                "concurrent commit %" PRId64 " changed domain metadata '%s'",
                                version, a->u.domain.domain);
            break;
        case DL_ACT_REMOVE: {
            if (a->u.remove.data_change)
                winner_removes = true;
            char *p = dl_uri_decode(a->u.remove.path, strlen(a->u.remove.path));
            if (in_sorted(cc->removes, cc->n_removes, p))
                rc = ls_err(err, LS_ERR_CONFLICT,
                            "concurrent commit %" PRId64 " removed file '%s' that this "
                            "transaction also removes (ConcurrentDeleteDelete)",
                            version, p);
            else if (in_sorted(cc->reads, cc->n_reads, p))
                rc = ls_err(err, LS_ERR_CONFLICT,
                            "concurrent commit %" PRId64 " removed file '%s' that this "
                            "transaction read (ConcurrentDeleteRead)",
                            version, p);
            free(p);
            break;
        }
        case DL_ACT_ADD:
            if (a->u.add.data_change)
                winner_adds = true;
            break;
        case DL_ACT_COMMIT_INFO:
            winner_blind = a->u.commit_info.is_blind_append;
            *winner_ict = a->u.commit_info.in_commit_timestamp;
            break;
        default:
            break;
        }
    }
    if (rc == LS_OK && cc->whole_table && (winner_adds || winner_removes))
        rc = ls_err(err, LS_ERR_CONFLICT,
                    "concurrent commit %" PRId64 " changed data while this transaction changes "
                    "the table's metadata or protocol",
                    version);
    if (rc == LS_OK && cc->depends_on_files && !cc->snapshot_isolation && winner_adds &&
        !winner_blind)
        rc = ls_err(err, LS_ERR_CONFLICT,
                    "concurrent commit %" PRId64 " added data this transaction may have needed "
                    "to read (ConcurrentAppend)",
                    version);
out:
    ls_arena_free(&arena);
    return rc;
}

/* ---- serialization ------------------------------------------------------------------ */

static void put_metrics(const ls_delta_commit *c, ls_buf *b)
{
    ls_buf_putc(b, '{');
    for (int i = 0; i < c->n_metrics; i++) {
        if (i)
            ls_buf_putc(b, ',');
        ls_buf_json_str(b, c->mkeys[i], strlen(c->mkeys[i]));
        /* Spark writes metric values as strings */
        ls_buf_printf(b, ":\"%" PRId64 "\"", c->mvals[i]);
    }
    ls_buf_putc(b, '}');
}

/* The commitInfo object (Spark's field order). */
static char *commit_info_json(const ls_delta_commit *c, int64_t ts, int64_t ict, bool blind,
                              bool snapshot_iso, const char *txn_id)
{
    ls_buf b = {0};
    ls_buf_putc(&b, '{');
    if (ict >= 0)
        ls_buf_printf(&b, "\"inCommitTimestamp\":%" PRId64 ",", ict);
    ls_buf_printf(&b, "\"timestamp\":%" PRId64 ",\"operation\":", ts);
    const char *op = c->operation ? c->operation : "WRITE";
    ls_buf_json_str(&b, op, strlen(op));
    ls_buf_puts(&b, ",\"operationParameters\":");
    ls_buf_puts(&b, c->params ? c->params : "{}");
    if (c->snap)
        ls_buf_printf(&b, ",\"readVersion\":%" PRId64, ls_delta_snapshot_version(c->snap));
    ls_buf_printf(&b, ",\"isolationLevel\":\"%s\"",
                  snapshot_iso ? "SnapshotIsolation" : "Serializable");
    ls_buf_printf(&b, ",\"isBlindAppend\":%s,\"operationMetrics\":", blind ? "true" : "false");
    put_metrics(c, &b);
    ls_buf_puts(&b, ",\"engineInfo\":\"" LS_ENGINE_INFO "\",\"txnId\":\"");
    ls_buf_puts(&b, txn_id);
    ls_buf_puts(&b, "\"}");
    char *s = ls_xstrndup((const char *)b.data, b.len);
    ls_buf_free(&b);
    return s;
}

/* Everything after commitInfo. */
static void body_json(const ls_delta_commit *c, ls_buf *b)
{
    if (c->protocol)
        dl_write_protocol(b, c->protocol);
    if (c->metadata)
        dl_write_metadata(b, c->metadata);
    for (int i = 0; i < c->n_txns; i++)
        dl_write_txn(b, &c->txns[i]);
    for (int i = 0; i < c->n_domains; i++)
        dl_write_domain(b, &c->domains[i]);
    for (size_t i = 0; i < c->n_removes; i++)
        dl_write_remove(b, &c->removes[i]);
    for (size_t i = 0; i < c->n_adds; i++)
        dl_write_add(b, &c->adds[i]);
}

/* Commit-level rules of the protocol (§2.10): at most one add and one remove per
 * (path, DV); partition values complete. */
static int validate_actions(const ls_delta_commit *c, const ls_delta_metadata *m, ls_error *err)
{
    ls_buf key = {0};
    size_t n = c->n_adds > c->n_removes ? c->n_adds : c->n_removes;
    char **keys = ls_xcalloc(n + 1, sizeof(char *));
    int rc = LS_OK;
    for (int pass = 0; pass < 2 && rc == LS_OK; pass++) {
        size_t cnt = pass == 0 ? c->n_adds : c->n_removes;
        for (size_t i = 0; i < cnt; i++) {
            const char *path = pass == 0 ? c->adds[i].path : c->removes[i].path;
            const ls_delta_dv *dv = pass == 0 ? c->adds[i].dv : c->removes[i].dv;
            if (!path || !*path) {
                rc = ls_err(err, LS_ERR_INVALID, "%s action %zu has an empty path",
                            pass == 0 ? "add" : "remove", i);
                break;
            }
            /* path, '\x01', DV id: one add/remove per (path, DV) */
            key.len = 0;
            ls_buf_puts(&key, path);
            ls_buf_putc(&key, 1);
            dl_dv_unique_id(dv, &key);
            keys[i] = ls_xstrndup((const char *)key.data, key.len);
        }
        if (rc == LS_OK) {
            qsort(keys, cnt, sizeof(char *), cmp_str);
            for (size_t i = 1; i < cnt; i++)
                if (!strcmp(keys[i - 1], keys[i])) {
                    char *sep = strchr(keys[i], '\x01');
                    if (sep)
                        *sep = 0;
                    rc = ls_err(err, LS_ERR_INVALID,
                                "commit has two %s actions for file '%s' (the protocol allows "
                                "one per path)",
                                pass == 0 ? "add" : "remove", keys[i]);
                    break;
                }
        }
        for (size_t i = 0; i < cnt; i++) {
            free(keys[i]);
            keys[i] = NULL;
        }
    }
    free(keys);
    ls_buf_free(&key);
    if (rc == LS_OK && m) {
        for (size_t i = 0; i < c->n_adds; i++)
            if (c->adds[i].partition_values.n != m->n_partition_columns) {
                rc = ls_err(err, LS_ERR_INVALID,
                            "add '%s' has %d partition values, the table has %d partition "
                            "columns",
                            c->adds[i].path, c->adds[i].partition_values.n,
                            m->n_partition_columns);
                break;
            }
    }
    return rc;
}

/* ---- running the commit ---------------------------------------------------------------- */

/* A metaData action that changes the type of an existing column must be a widening the
 * table allows (PROTOCOL.md §Type Widening: feature supported, delta.enableTypeWidening). */
static int check_type_changes(const ls_delta_commit *c, const ls_delta_protocol *p,
                              ls_error *err)
{
    const ls_delta_metadata *om = c->snap ? ls_delta_snapshot_metadata(c->snap) : NULL;
    if (!c->metadata || !om || !om->schema)
        return LS_OK;
    ls_schema *parsed = NULL;
    const ls_schema *nw = c->metadata->schema;
    int rc = LS_OK;
    if (!nw) {
        if ((rc = ls_delta_schema_parse(c->metadata->schema_string, &parsed, err)))
            return rc;
        nw = parsed;
    }
    int n = 0;
    rc = ls_delta_schema_type_changes(om->schema, nw, &n, err);
    ls_schema_free(parsed);
    if (rc || n == 0)
        return rc;
    if (!ls_delta_protocol_supports(p, "typeWidening") &&
        !ls_delta_protocol_supports(p, "typeWidening-preview"))
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "the new schema widens %d column type(s) but the protocol does not "
                      "support the typeWidening table feature",
                      n);
    if (!dl_config_bool(c->metadata, "delta.enableTypeWidening", false))
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "the new schema widens %d column type(s) but delta.enableTypeWidening "
                      "is not true",
                      n);
    return LS_OK;
}

/* Whether the commit of version is followed by an automatic checkpoint. Decided before the
 * snapshot to advance moves (m and the protocol may point into it). */
static bool checkpoint_due(const ls_delta_commit *c, const ls_delta_metadata *m, int64_t version)
{
    int64_t interval = dl_config_int(m, "delta.checkpointInterval", 10);
    if (interval <= 0 || version <= 0 || version % interval != 0)
        return false;
    const ls_delta_protocol *p = c->protocol ? c->protocol
                                 : c->snap   ? ls_delta_snapshot_protocol(c->snap)
                                             : NULL;
    /* classic checkpoints are not allowed there; V2 writing is not implemented */
    return !(p && has_feature(p, "v2Checkpoint"));
}

/* Brings c->advance to the committed version v: our own commit's bytes are applied without
 * reading them back when it is the next version, else (races lost, an older snapshot) the
 * log is read from its version on. Best effort: on failure it stays where it was (the
 * caller sees its version) and the checkpoint falls back to a full load. */
static bool advance_snapshot(ls_delta_commit *c, int64_t v, const ls_buf *data)
{
    ls_delta_snapshot *s = c->advance;
    if (!s)
        return false;
    ls_error e = {0};
    int rc = ls_delta_snapshot_version(s) + 1 == v
                 ? dl_snapshot_apply_commit(s, v, data->data, data->len, &e)
                 : ls_delta_snapshot_update(s, c->t, v, &e);
    return rc == LS_OK && ls_delta_snapshot_version(s) == v;
}

/* Best effort: a failed checkpoint is a warning, never a failed commit. at_version is a
 * snapshot already at version (the advanced one), else the state is loaded in full. */
static void write_checkpoint(ls_delta_commit *c, int64_t version,
                             const ls_delta_snapshot *at_version)
{
    ls_error err = {0};
    ls_delta_snapshot *s = NULL;
    int rc = LS_OK;
    if (!at_version) {
        ls_delta_snapshot_spec spec = {.at = LS_AT_VERSION, .version = version};
        rc = ls_delta_snapshot_load(c->t, &spec, &s, &err);
        at_version = s;
    }
    if (rc == LS_OK)
        rc = ls_delta_checkpoint_write(c->t, at_version, &err);
    ls_delta_snapshot_free(s);
    if (rc)
        fprintf(stderr,
                "lakestream: warning: checkpoint at version %" PRId64
                " failed (the commit itself succeeded): %s\n",
                version, err.msg);
}

/* Simulates a crash in the middle of writing the commit: a partial temp file is left
 * behind in _delta_log/ and the process dies before publishing it. */
static void crash_mid_log_write(ls_store *store, const char *key, const ls_buf *data)
{
    if (!dl_crash_point_is("mid-log-write"))
        return;
    char *path = ls_store_local_path(store, key);
    if (path) {
        /* what a writer killed mid-write leaves: a partial temp file beside the target */
        char *slash = strrchr(path, '/');
        char *tmp = ls_xasprintf("%.*s/.%s.ls-tmp-crash%d", (int)(slash ? slash - path : 0),
                                 path, slash ? slash + 1 : path, (int)getpid());
        FILE *f = fopen(tmp, "wb");
        if (f) {
            fwrite(data->data, 1, data->len / 2, f);
            fclose(f);
        }
        free(tmp);
        free(path);
    } else {
        ls_output *o = NULL;
        ls_error e = {0};
        if (ls_output_open(store, key, &o, &e) == LS_OK)
            ls_output_write(o, data->data, data->len / 2, &e);
    }
    dl_crash_point("mid-log-write");
}

static bool is_our_commit(ls_store *store, const char *key, const char *txn_id, ls_buf *tmp)
{
    ls_error e = {0};
    tmp->len = 0;
    if (ls_store_get(store, key, tmp, &e) != LS_OK)
        return false;
    const char *nl = tmp->len ? memchr(tmp->data, '\n', tmp->len) : NULL;
    size_t first = nl ? (size_t)(nl - (const char *)tmp->data) : tmp->len;
    size_t tl = strlen(txn_id);
    /* the txnId is in the first line (commitInfo) */
    for (size_t i = 0; i + tl <= first; i++)
        if (tmp->data[i] == (uint8_t)txn_id[0] && !memcmp(tmp->data + i, txn_id, tl))
            return true;
    return false;
}

int ls_delta_commit_run(ls_delta_commit *c, int64_t *version, ls_error *err)
{
    dl_crash_point("after-data-write");
    ls_store *store = ls_delta_store(c->t);
    const ls_delta_metadata *m =
        c->metadata ? c->metadata : c->snap ? ls_delta_snapshot_metadata(c->snap) : NULL;
    const ls_delta_protocol *p =
        c->protocol ? c->protocol : c->snap ? ls_delta_snapshot_protocol(c->snap) : NULL;
    if (!c->snap && (!c->metadata || !c->protocol))
        return ls_err(err, LS_ERR_INVALID,
                      "the first commit of a table must contain protocol and metaData");
    bool adds_data = false, removes_data = false, any_data_change = false;
    for (size_t i = 0; i < c->n_adds; i++)
        if (c->adds[i].data_change)
            adds_data = any_data_change = true;
    for (size_t i = 0; i < c->n_removes; i++)
        if (c->removes[i].data_change)
            removes_data = any_data_change = true;
    int rc = dl_check_writable(p, m, adds_data, removes_data, err);
    if (rc == LS_OK && c->snap && c->protocol) /* also the protocol being replaced */
        rc = dl_check_writable(ls_delta_snapshot_protocol(c->snap), m, false, false, err);
    if (rc == LS_OK)
        rc = validate_actions(c, m, err);
    if (rc == LS_OK)
        rc = check_type_changes(c, p, err);
    if (rc)
        return rc;

    /* conflict context */
    conflict_ctx cc = {0};
    cc.n_reads = c->n_reads + c->n_removes;
    cc.reads = ls_xcalloc(cc.n_reads + 1, sizeof(char *));
    cc.n_removes = c->n_removes;
    cc.removes = ls_xcalloc(cc.n_removes + 1, sizeof(char *));
    for (size_t i = 0; i < c->n_reads; i++)
        cc.reads[i] = ls_xstrdup(c->reads[i]);
    for (size_t i = 0; i < c->n_removes; i++) {
        cc.removes[i] = dl_uri_decode(c->removes[i].path, strlen(c->removes[i].path));
        cc.reads[c->n_reads + i] = ls_xstrdup(cc.removes[i]);
    }
    qsort(cc.reads, cc.n_reads, sizeof(char *), cmp_str);
    qsort(cc.removes, cc.n_removes, sizeof(char *), cmp_str);
    cc.depends_on_files = c->n_reads > 0 || c->n_removes > 0;
    cc.snapshot_isolation = (c->n_adds + c->n_removes) > 0 && !any_data_change;
    cc.whole_table = c->snap && (c->metadata || c->protocol);
    bool blind = !cc.depends_on_files;

    bool ict_on = m && dl_config_bool(m, "delta.enableInCommitTimestamps", false);
    int64_t prev_ict = c->snap && ict_on ? ls_delta_snapshot_timestamp(c->snap) : -1;
    /* turning ICT on for an existing table records where it starts (§In-Commit Timestamps) */
    bool ict_enabling = ict_on && c->snap && c->metadata &&
                        !dl_config_bool(ls_delta_snapshot_metadata(c->snap),
                                        "delta.enableInCommitTimestamps", false);

    ls_buf body = {0}, data = {0}, winner = {0};
    body_json(c, &body);
    char txn_id[37];
    dl_uuid4(txn_id);
    int64_t v = c->snap ? ls_delta_snapshot_version(c->snap) + 1 : 0;
    for (int attempt = 0;; attempt++) {
        int64_t now = dl_now_ms();
        int64_t ict = -1;
        if (ict_on)
            ict = prev_ict >= 0 && prev_ict + 1 > now ? prev_ict + 1 : now;
        if (ict_enabling) {
            char num[24];
            snprintf(num, sizeof num, "%" PRId64, v);
            ls_kvlist_set(&c->metadata->configuration, "delta.inCommitTimestampEnablementVersion",
                          num);
            snprintf(num, sizeof num, "%" PRId64, ict);
            ls_kvlist_set(&c->metadata->configuration,
                          "delta.inCommitTimestampEnablementTimestamp", num);
            body.len = 0;
            body_json(c, &body);
        }
        char *ci_json = commit_info_json(c, ict >= 0 ? ict : now, ict, blind,
                                         cc.snapshot_isolation, txn_id);
        ls_delta_commit_info ci;
        memset(&ci, 0, sizeof ci);
        ci.raw = ci_json;
        data.len = 0;
        dl_write_commit_info(&data, &ci);
        free(ci_json);
        ls_buf_append(&data, body.data, body.len);

        char key[64];
        snprintf(key, sizeof key, DL_LOG_DIR "%020" PRId64 ".json", v);
        dl_crash_point("before-log-write");
        crash_mid_log_write(store, key, &data);
        rc = ls_store_put_if_absent(store, key, data.data, data.len, err);
        if (rc == LS_OK)
            break;
        /* An error (or EXISTS after a retried request) may hide a put that did land: then
         * the version is ours, and reporting failure would make the caller delete data
         * files a committed version references. Our txnId identifies it. */
        if (is_our_commit(store, key, txn_id, &winner)) {
            rc = LS_OK;
            ls_error_clear(err);
            break;
        }
        if (rc != LS_ERR_EXISTS)
            goto out;
        if (!c->snap) {
            rc = ls_err(err, LS_ERR_EXISTS, "the table already exists (version 0 is taken)");
            goto out;
        }
        if (attempt >= c->max_retries) {
            rc = ls_err(err, LS_ERR_CONFLICT,
                        "gave up after %d attempts: other writers keep committing first",
                        attempt + 1);
            goto out;
        }
        /* lost the race for v: check every commit that won (v, v+1, ... while they
         * exist), then try the first free version; one retry however many won */
        for (;;) {
            winner.len = 0;
            snprintf(key, sizeof key, DL_LOG_DIR "%020" PRId64 ".json", v);
            rc = ls_store_get(store, key, &winner, err);
            if (rc == LS_ERR_NOTFOUND && winner.len == 0) {
                rc = LS_OK;
                ls_error_clear(err);
                break;
            }
            if (rc)
                goto out;
            int64_t w_ict = -1;
            if ((rc = check_winner(c, &cc, v, &winner, &w_ict, err)))
                goto out;
            if (w_ict >= 0)
                prev_ict = w_ict;
            else if (ict_on)
                prev_ict = prev_ict > now ? prev_ict : now;
            v++;
        }
    }
    if (version)
        *version = v;
    dl_crash_point("after-log-write");
    {
        bool cp = checkpoint_due(c, m, v);
        bool advanced = advance_snapshot(c, v, &data);
        if (cp)
            write_checkpoint(c, v, advanced ? c->advance : NULL);
    }
out:
    for (size_t i = 0; i < cc.n_reads; i++)
        free(cc.reads[i]);
    for (size_t i = 0; i < cc.n_removes; i++)
        free(cc.removes[i]);
    free(cc.reads);
    free(cc.removes);
    ls_buf_free(&body);
    ls_buf_free(&data);
    ls_buf_free(&winner);
    return rc;
}
