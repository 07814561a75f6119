/*
 * ingest.c - the streaming ingest engine: sources -> micro-batches -> Delta
 * commits, exactly once.
 *
 * LOOP. A batch starts empty; the engine takes work from its sources (files
 * of a landing folder in discovery order, or stdin as it arrives), parses it
 * into column batches as it comes (so the work of a batch is done by the time
 * its deadline passes), and commits when the trigger interval has elapsed or
 * a limit (rows, bytes, files) is reached. A batch may end inside a file: its
 * position (decompressed byte offset and line number) is committed and the
 * next batch continues from it.
 *
 * EXACTLY ONCE. A commit holds the batch's data files, and for every source
 * that moved, a txn action (appId = the source's app id, version = its batch
 * number) and a domainMetadata action `lakestream.ingest.<app-id>` with the
 * source's manifest (files fully ingested, the partial file and offset, the
 * stdin position). All of it is published by one put-if-absent of the commit
 * file, so data and position are committed together or not at all. On start
 * the engine reads the latest txn version and manifest of each app id and
 * skips what they say is done: a restart after kill -9 neither loses nor
 * duplicates rows. Data files of an uncommitted batch are never referenced
 * (vacuum removes them); its error file is replaced by the next attempt.
 *
 * BAD DATA. Lines are first shredded strictly (fast path, in place); a line
 * that fails goes through the lenient shredder: values that do not fit their
 * column are nulled and kept as JSON in _rescued_data; with --merge-schema the
 * rescued paths first evolve the schema (new columns, int->long,
 * float->double) and the line is parsed again; a line that is not valid
 * JSON/CSV goes to _errors/<app-id>/batch-<n>.ndjson in the table with its
 * source, line number, reason and raw text, and is counted in the commit's
 * operationMetrics and the batch log line.
 *
 * THREADS. With threads=2, encoding (the Delta/Parquet writer) runs in a
 * second thread, fed batch by batch; parsing continues in the calling thread.
 * Encoding costs more than parsing, so when the encoder already has a batch
 * waiting, the parsing thread encodes the next one itself with a second
 * writer: the two threads share the encoding and both cores stay busy (a
 * batch then has up to two files per partition). Everything is drained and
 * both writers finish before every commit or schema change.
 */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES (2u << 20)   /* input parsed per step */
#define FLUSH_ROWS 65536         /* rows per batch handed to the writer */
#define FLUSH_MEM (48u << 20)
#define MAX_ERRS_BYTES (64u << 20) /* error records kept in memory per batch */
#define N_BUFS 3
#define DEFAULT_MAX_FILES 1000

/* ---- structures -------------------------------------------------------------------- */

typedef struct unit {
    char *name;
    uint64_t size;
    int64_t mtime;
} unit;

typedef struct source {
    int idx;
    char *uri, *app_id, *domain, *err_prefix;
    bool is_stdin;
    ls_folder *folder;
    ls_manifest man;
    int64_t txn; /* last committed batch number, -1 if none */
    /* ready files not yet ingested, FIFO; pend mirrors it by name for updates */
    unit *q;
    size_t q_head, q_len, q_cap;
    ls_manifest pend;
    /* the unit being read */
    ls_ing_reader *rd;
    unit cur;
    ls_ing_format cur_fmt;
    uint64_t cur_line; /* lines consumed */
    bool skip_long;    /* discarding the rest of an over-long line */
    ls_csv_tok csv_tok; /* col_csv.c: resumes a record split between reads */
    ls_csv_header csv_header;
    bool csv_have_header;
    bool exhausted; /* stdin at EOF */
    uint64_t stream_base, lines_base; /* stdin: committed by earlier runs */
    /* this batch */
    bool touched;
    ls_buf errs;
    uint64_t n_errs;
} source;

typedef struct bufset {
    ls_batch *pb; /* parse schema */
    ls_batch *tb; /* table schema (== pb without transforms) */
} bufset;

typedef struct engine {
    const ls_ingest_opts *o;
    FILE *log;
    ls_delta_table *t;
    ls_delta_snapshot *snap;
    ls_delta_metadata meta;
    bool have_meta, meta_changed;
    bool need_protocol;
    ls_delta_protocol proto;
    ls_schema *input;   /* transform mode: nested input schema */
    ls_schema *pschema; /* parse schema */
    ls_ing_shape shape;
    ls_part_spec spec;
    ls_derive_plan dplan;
    int rescue_leaf;
    int n_pleaves, pleaf[64];
    ls_json_reader *strict, *lenient;
    bufset bufs[N_BUFS];
    int cur;
    size_t *undo; /* leaf slot counts before a lenient parse */
    /* writer + pipeline: w is the encoding thread's writer (or the only one), w2 the
     * parsing thread's when it encodes a batch itself because the encoder is behind */
    ls_delta_writer *w, *w2;
    ls_delta_commit *c;
    bool threaded;
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int q[N_BUFS], qn;
    bool busy, shutdown, buf_free[N_BUFS];
    int wrc;
    ls_error werr;
    /* batch */
    int64_t batch_start_ns, deadline_ns;
    uint64_t b_rows, b_bytes, b_files, b_errors, b_rescued, b_changed, b_src_done;
    uint64_t b_out_files, b_out_bytes, b_out_rows;
    int64_t b_min_arrival_ms;
    uint64_t *pset;
    size_t pset_cap, pset_n;
    uint64_t last_pkey;
    bool have_last_pkey;
    bool limit_hit;
    int64_t version;
    ls_ingest_totals tot;
    uint64_t last_rows, last_errors;
    double last_ms, last_lag_s;
    source src[LS_INGEST_MAX_SOURCES];
    int n_src, rr;
    ls_buf resc, json;
    ls_obs_list obs;
} engine;

static bool stop_requested(const engine *e) { return e->o->stop && *e->o->stop; }
static bool abort_requested(const engine *e) { return e->o->abort && *e->o->abort; }
static int64_t wall_ms(void) { return ls_now_micros() / 1000; }

static void logf_(engine *e, const char *fmt, ...) LS_PRINTF(2, 3);
static void logf_(engine *e, const char *fmt, ...)
{
    if (!e->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("lakestream ingest: ", e->log);
    vfprintf(e->log, fmt, ap);
    fputc('\n', e->log);
    fflush(e->log);
    va_end(ap);
}

void ls_ingest_opts_default(ls_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = LS_ING_AUTO;
    o->trigger = LS_TRIG_INTERVAL;
    o->interval_ms = 1000;
    o->max_batch_files = DEFAULT_MAX_FILES;
    o->infer_rows = 10000;
    ls_delta_writer_opts_default(&o->writer);
    o->rescue = true;
    o->max_line_bytes = 64u << 20;
    o->threads = 1;
    o->settle_ms = 500;
    o->log = stderr;
}

/* ---- app ids ------------------------------------------------------------------------- */

char *ls_ingest_default_app_id(const char *source)
{
    if (!strcmp(source, "-"))
        return ls_xstrdup("lakestream-ingest-stdin");
    char *abs = realpath(source, NULL);
    const char *p = abs ? abs : source;
    uint64_t h = ls_hash64(p, strlen(p), 0x1a6e57);
    /* a readable part: the folder's base name, restricted to safe characters */
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && p[b - 1] != '/')
        b--;
    char base[33];
    size_t k = 0;
    for (size_t i = b; i < n && k < 32; i++) {
        char c = p[i];
        base[k++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_')
                        ? c
                        : '_';
    }
    base[k] = 0;
    char *id = ls_xasprintf("lakestream-ingest-%s%s%016" PRIx64, base, k ? "-" : "", h);
    free(abs);
    return id;
}

static char *safe_name(const char *s)
{
    char *r = ls_xstrdup(s);
    for (char *p = r; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            *p = '_';
    if (r[0] == '.' || r[0] == '_' || !r[0]) {
        char *x = ls_xasprintf("a%s", r);
        free(r);
        r = x;
    }
    return r;
}

/* ---- metadata copies ------------------------------------------------------------------- */

static char *dup0(const char *s) { return s ? ls_xstrdup(s) : NULL; }

static void meta_copy(ls_delta_metadata *d, const ls_delta_metadata *s)
{
    memset(d, 0, sizeof *d);
    d->id = dup0(s->id);
    d->name = dup0(s->name);
    d->description = dup0(s->description);
    d->format_provider = dup0(s->format_provider);
    d->schema_string = dup0(s->schema_string);
    d->schema = s->schema ? ls_schema_clone(s->schema) : NULL;
    d->n_partition_columns = s->n_partition_columns;
    d->partition_columns = ls_xcalloc((size_t)s->n_partition_columns + 1, sizeof(char *));
    for (int i = 0; i < s->n_partition_columns; i++)
        d->partition_columns[i] = ls_xstrdup(s->partition_columns[i]);
    for (int i = 0; i < s->configuration.n; i++)
        ls_kvlist_set(&d->configuration, s->configuration.keys[i], s->configuration.values[i]);
    d->created_time = s->created_time;
}

static void meta_set_schema(ls_delta_metadata *m, const ls_schema *s)
{
    ls_schema_free(m->schema);
    m->schema = ls_schema_clone(s);
    ls_buf b = {0};
    ls_delta_schema_to_json(s, &b);
    free(m->schema_string);
    m->schema_string = ls_xstrdup(ls_buf_cstr(&b));
    ls_buf_free(&b);
}

/* The protocol with the domainMetadata writer feature, when the table lacks it. */
static bool protocol_upgrade(const ls_delta_protocol *p, ls_delta_protocol *out)
{
    return ls_delta_protocol_add_feature(p, "domainMetadata", out);
}

/* ---- the writer pipeline --------------------------------------------------------------- */

static void *writer_main(void *arg)
{
    engine *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (e->qn == 0 && !e->shutdown)
            pthread_cond_wait(&e->cv, &e->mu);
        if (e->qn == 0)
            break;
        int b = e->q[0];
        for (int i = 1; i < e->qn; i++)
            e->q[i - 1] = e->q[i];
        e->qn--;
        e->busy = true;
        bool skip = e->wrc != 0;
        ls_delta_writer *w = e->w;
        pthread_mutex_unlock(&e->mu);
        ls_error err = {0};
        int rc = skip ? LS_OK : ls_delta_writer_write(w, e->bufs[b].tb, &err);
        ls_batch_reset(e->bufs[b].tb);
        if (e->bufs[b].pb != e->bufs[b].tb)
            ls_batch_reset(e->bufs[b].pb);
        pthread_mutex_lock(&e->mu);
        if (rc && !e->wrc) {
            e->wrc = rc;
            e->werr = err;
        }
        e->buf_free[b] = true;
        e->busy = false;
        pthread_cond_broadcast(&e->cv);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

static int pipeline_start(engine *e, ls_error *err)
{
    for (int i = 0; i < N_BUFS; i++)
        e->buf_free[i] = i != 0;
    e->cur = 0;
    if (e->o->threads < 2)
        return LS_OK;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    /* signals go to the parsing thread, which polls and checks the flags */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = pthread_create(&e->thr, NULL, writer_main, e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        pthread_mutex_destroy(&e->mu);
        pthread_cond_destroy(&e->cv);
        return ls_err(err, LS_ERR_IO, "cannot start the writer thread: %s", strerror(r));
    }
    e->threaded = true;
    return LS_OK;
}

static void pipeline_stop(engine *e)
{
    if (!e->threaded)
        return;
    pthread_mutex_lock(&e->mu);
    e->shutdown = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->thr, NULL);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    e->threaded = false;
}

/* Waits until everything queued is written; returns the writer's status. */
static int drain(engine *e, ls_error *err)
{
    if (!e->threaded)
        return LS_OK;
    pthread_mutex_lock(&e->mu);
    while (e->qn > 0 || e->busy)
        pthread_cond_wait(&e->cv, &e->mu);
    int rc = e->wrc;
    if (rc)
        *err = e->werr;
    pthread_mutex_unlock(&e->mu);
    return rc;
}

static ls_batch *cur_pb(engine *e) { return e->bufs[e->cur].pb; }

/* ---- schemas, readers, batches ------------------------------------------------------------ */

static void free_bufs(engine *e)
{
    for (int i = 0; i < N_BUFS; i++) {
        if (e->bufs[i].tb != e->bufs[i].pb)
            ls_batch_free(e->bufs[i].tb);
        ls_batch_free(e->bufs[i].pb);
        e->bufs[i].pb = e->bufs[i].tb = NULL;
    }
}

static void csv_remap(engine *e, source *s)
{
    ls_error ignored = {0}; /* non-strict binding cannot fail */
    if (s->csv_have_header)
        ls_csv_header_bind(&s->csv_header, e->pschema, false, &ignored);
}

/* (Re)builds everything that depends on the schemas: meta.schema is the table schema,
 * e->input the input schema in transform mode. */
static int build_runtime(engine *e, ls_error *err)
{
    const ls_schema *ts = e->meta.schema;
    bool transform = ls_ing_shape_transforms(&e->shape);
    ls_schema *ps = NULL;
    int rc;
    if (transform) {
        if ((rc = ls_ing_parse_schema(e->input, e->shape.rescue, &ps, err)))
            return rc;
    } else {
        ps = ls_schema_clone(ts);
    }
    ls_derive_plan dp;
    if ((rc = ls_derive_plan_build(&e->spec, ts, &dp, err))) {
        ls_schema_free(ps);
        return rc;
    }
    ls_json_reader_free(e->strict);
    ls_json_reader_free(e->lenient);
    free_bufs(e);
    ls_schema_free(e->pschema);
    e->pschema = ps;
    e->dplan = dp;
    ls_json_opts so = {.strict = true, .ignore_unknown_fields = false};
    ls_json_opts lo = {.strict = false, .ignore_unknown_fields = false};
    e->strict = ls_json_reader_new(ps, &so);
    e->lenient = ls_json_reader_new(ps, &lo);
    for (int i = 0; i < N_BUFS; i++) {
        e->bufs[i].pb = ls_batch_new(ps);
        e->bufs[i].tb = transform ? ls_batch_new(ts) : e->bufs[i].pb;
    }
    free(e->undo);
    e->undo = ls_xcalloc((size_t)ps->n_leaves + 1, sizeof(size_t));
    e->rescue_leaf = -1;
    const ls_field *rf = ls_field_find_child(&ps->root, LS_RESCUED_COLUMN, strlen(LS_RESCUED_COLUMN));
    if (e->shape.rescue && rf && rf->type == LS_STRING && rf->nullable)
        e->rescue_leaf = rf->leaf_index;
    e->n_pleaves = 0;
    for (int i = 0; i < e->meta.n_partition_columns && e->n_pleaves < 64; i++) {
        const char *n = e->meta.partition_columns[i];
        const ls_field *f = ls_field_find_child(&ts->root, n, strlen(n));
        if (f && f->leaf_index >= 0)
            e->pleaf[e->n_pleaves++] = f->leaf_index;
    }
    for (int i = 0; i < e->n_src; i++)
        csv_remap(e, &e->src[i]);
    return LS_OK;
}

/* ---- partition counting (for the log line) ------------------------------------------------- */

static void pset_add(engine *e, uint64_t h)
{
    if (e->pset_n * 2 >= e->pset_cap) {
        size_t nc = e->pset_cap ? 2 * e->pset_cap : 64;
        uint64_t *nt = ls_xcalloc(nc, sizeof(uint64_t));
        for (size_t i = 0; i < e->pset_cap; i++)
            if (e->pset[i]) {
                size_t j = ls_hash_u64(e->pset[i]) & (nc - 1);
                while (nt[j])
                    j = (j + 1) & (nc - 1);
                nt[j] = e->pset[i];
            }
        free(e->pset);
        e->pset = nt;
        e->pset_cap = nc;
    }
    if (!h)
        h = 1;
    size_t j = ls_hash_u64(h) & (e->pset_cap - 1);
    while (e->pset[j] && e->pset[j] != h)
        j = (j + 1) & (e->pset_cap - 1);
    if (!e->pset[j]) {
        e->pset[j] = h;
        e->pset_n++;
    }
}

static void count_partitions(engine *e, const ls_batch *b)
{
    if (e->n_pleaves == 0) {
        if (b->n_rows)
            pset_add(e, 1);
        return;
    }
    size_t vi[64] = {0};
    for (size_t r = 0; r < b->n_rows; r++) {
        uint64_t h = 0x9e3779b97f4a7c15ULL;
        for (int k = 0; k < e->n_pleaves; k++) {
            const ls_leaf *l = &b->leaves[e->pleaf[k]];
            uint64_t v = 0x5bd1e995;
            if (r < l->n && (!l->def || l->def[r] == l->max_def)) {
                size_t i = vi[k]++;
                switch (l->phys) {
                case LS_PHYS_BOOL: v = ((const uint8_t *)l->values)[i] + 2; break;
                case LS_PHYS_I32:
                case LS_PHYS_F32: v = ls_load_u32le((const uint8_t *)l->values + 4 * i); break;
                case LS_PHYS_I64:
                case LS_PHYS_F64: v = ls_load_u64le((const uint8_t *)l->values + 8 * i); break;
                case LS_PHYS_BYTES: {
                    size_t len;
                    const uint8_t *p = ls_leaf_bytes_at(l, i, &len);
                    v = ls_hash64(p, len, 3);
                    break;
                }
                default: v = ls_hash64((const uint8_t *)l->values + 16 * i, 16, 3); break;
                }
            }
            h = ls_hash_u64(h ^ v);
        }
        if (e->have_last_pkey && h == e->last_pkey)
            continue;
        e->last_pkey = h;
        e->have_last_pkey = true;
        pset_add(e, h);
    }
}

/* ---- writing ------------------------------------------------------------------------------ */

static int ensure_commit(engine *e)
{
    if (!e->c) {
        e->c = ls_delta_commit_new(e->t, e->snap);
        /* the commit moves e->snap to its version, and checkpoints from it (no reload) */
        ls_delta_commit_advance_snapshot(e->c, e->snap);
    }
    return LS_OK;
}

static int ensure_writer(engine *e, ls_delta_writer **w, ls_error *err)
{
    if (*w)
        return LS_OK;
    return ls_delta_writer_new(e->t, &e->meta, &e->o->writer, w, err);
}

/* Hands the current parse batch to the writer (after transform and derivation). */
static int flush(engine *e, ls_error *err)
{
    bufset *bs = &e->bufs[e->cur];
    if (bs->pb->n_rows == 0)
        return LS_OK;
    int rc;
    if (bs->tb != bs->pb) {
        ls_batch_reset(bs->tb);
        if ((rc = ls_ing_transform(bs->pb, &e->shape, bs->tb, err)))
            return rc;
        ls_batch_reset(bs->pb);
    }
    ls_derive_apply(&e->dplan, bs->tb);
    count_partitions(e, bs->tb);
    if ((rc = ensure_writer(e, &e->w, err)))
        return rc;
    if (!e->threaded) {
        rc = ls_delta_writer_write(e->w, bs->tb, err);
        ls_batch_reset(bs->tb);
        return rc;
    }
    pthread_mutex_lock(&e->mu);
    if (e->wrc) {
        rc = e->wrc;
        *err = e->werr;
        pthread_mutex_unlock(&e->mu);
        return rc;
    }
    if (e->qn > 0) {
        /* the encoder has work waiting: encode this batch here */
        pthread_mutex_unlock(&e->mu);
        if ((rc = ensure_writer(e, &e->w2, err)))
            return rc;
        rc = ls_delta_writer_write(e->w2, bs->tb, err);
        ls_batch_reset(bs->tb);
        if (bs->pb != bs->tb)
            ls_batch_reset(bs->pb);
        return rc;
    }
    e->buf_free[e->cur] = false;
    e->q[e->qn++] = e->cur;
    pthread_cond_broadcast(&e->cv);
    int next = -1;
    while (next < 0) {
        for (int i = 0; i < N_BUFS; i++)
            if (e->buf_free[i]) {
                next = i;
                break;
            }
        if (next < 0)
            pthread_cond_wait(&e->cv, &e->mu);
    }
    e->buf_free[next] = false;
    e->cur = next;
    rc = e->wrc;
    if (rc)
        *err = e->werr;
    pthread_mutex_unlock(&e->mu);
    return rc;
}

static int maybe_flush(engine *e, ls_error *err)
{
    ls_batch *pb = cur_pb(e);
    if (pb->n_rows >= FLUSH_ROWS || (pb->n_rows && ls_batch_mem_size(pb) >= FLUSH_MEM))
        return flush(e, err);
    return LS_OK;
}

static int finish_one(engine *e, ls_delta_writer **w, ls_error *err)
{
    if (!*w)
        return LS_OK;
    uint64_t files = 0, bytes = 0, rows = 0;
    ensure_commit(e);
    int rc = ls_delta_writer_finish(*w, e->c, err);
    ls_delta_writer_totals(*w, &files, &bytes, &rows); /* complete once the files are closed */
    if (rc)
        return rc; /* *w stays: aborted (its files deleted) with the batch */
    ls_delta_writer_free(*w);
    *w = NULL;
    e->b_out_files += files;
    e->b_out_bytes += bytes;
    e->b_out_rows += rows;
    return LS_OK;
}

/* Ends the current writers (files so far become adds of the batch's commit). */
static int finish_writer(engine *e, ls_error *err)
{
    int rc = flush(e, err);
    if (rc == LS_OK)
        rc = drain(e, err);
    if (rc == LS_OK)
        rc = finish_one(e, &e->w, err);
    if (rc == LS_OK)
        rc = finish_one(e, &e->w2, err);
    return rc;
}

/* ---- schema change ------------------------------------------------------------------------ */

/* new_parse: the evolved parse schema. Writes what was parsed under the old schema, then
 * switches the table to the new one (a metaData action in this batch's commit). */
static int apply_evolution(engine *e, const ls_schema *new_parse, ls_error *err)
{
    ls_schema *nt = NULL, *ni = NULL;
    int rc;
    if (ls_ing_shape_transforms(&e->shape)) {
        /* the input schema is the parse schema without a _rescued_data we added */
        ni = ls_schema_clone(new_parse);
        bool in_input = ls_field_find_child(&e->input->root, LS_RESCUED_COLUMN,
                                            strlen(LS_RESCUED_COLUMN)) != NULL;
        if (!in_input) {
            ls_field *root = &ni->root;
            for (int i = 0; i < root->n_children; i++)
                if (!strcmp(root->children[i].name, LS_RESCUED_COLUMN)) {
                    ls_field_clear(&root->children[i]);
                    memmove(&root->children[i], &root->children[i + 1],
                            (size_t)(root->n_children - i - 1) * sizeof(ls_field));
                    root->n_children--;
                    break;
                }
            if ((rc = ls_schema_finalize(ni, err))) {
                ls_schema_free(ni);
                return rc;
            }
        }
        if ((rc = ls_ing_table_schema(ni, &e->shape, &nt, err))) {
            ls_schema_free(ni);
            return rc;
        }
    } else {
        nt = ls_schema_clone(new_parse);
    }
    if (!ls_ing_schema_extends(e->meta.schema, nt)) {
        ls_schema_free(nt);
        ls_schema_free(ni);
        return ls_err(err, LS_ERR_INVALID, "schema evolution would drop or narrow a column");
    }
    if ((rc = finish_writer(e, err))) {
        ls_schema_free(nt);
        ls_schema_free(ni);
        return rc;
    }
    ls_buf ddl = {0};
    ls_schema_to_ddl(nt, &ddl);
    logf_(e, "schema evolved (--merge-schema): %s", ls_buf_cstr(&ddl));
    ls_buf_free(&ddl);
    /* keeps field metadata; widened types declare typeWidening (protocol + metadata) */
    rc = ls_ing_apply_schema(&e->meta, nt, ls_delta_snapshot_protocol(e->snap),
                             ls_delta_snapshot_version(e->snap) + 1, &e->proto,
                             &e->need_protocol, err);
    ls_schema_free(nt);
    if (rc) {
        ls_schema_free(ni);
        return rc;
    }
    if (ni) {
        ls_schema_free(e->input);
        e->input = ni;
        for (int i = 0; i < e->n_src; i++) {
            ls_buf b = {0};
            ls_schema_to_ddl(ni, &b);
            free(e->src[i].man.input_schema);
            e->src[i].man.input_schema = ls_xstrdup(ls_buf_cstr(&b));
            ls_buf_free(&b);
            e->src[i].touched = true;
        }
    }
    e->meta_changed = true;
    return build_runtime(e, err);
}

/* ---- bad lines ---------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    size_t k;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        k = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        k = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (k > n)
        return 0;
    for (size_t j = 1; j < k; j++) {
        if ((s[j] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[j] & 0x3F);
    }
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* Records a line that could not be ingested: {source, line, reason, raw} (+ raw_base64 when
 * the bytes are not UTF-8, so nothing is lost). */
static void error_line(engine *e, source *s, uint64_t line_no, const char *reason,
                       const char *raw, size_t len)
{
    ls_buf *b = &s->errs;
    const char *src = s->is_stdin ? "stdin" : s->cur.name;
    ls_buf_puts(b, "{\"source\":");
    ls_buf_json_str(b, src, strlen(src));
    ls_buf_printf(b, ",\"line\":%" PRIu64 ",\"reason\":", line_no);
    ls_buf_json_str(b, reason, strlen(reason));
    ls_buf_puts(b, ",\"raw\":");
    if (utf8_valid((const uint8_t *)raw, len)) {
        ls_buf_json_str(b, raw, len);
    } else {
        /* replace invalid bytes for the text form, keep the exact bytes in base64 */
        ls_buf t = {0};
        for (size_t i = 0; i < len;) {
            size_t k = utf8_seq((const uint8_t *)raw + i, len - i);
            if (k) {
                ls_buf_append(&t, raw + i, k);
                i += k;
            } else {
                ls_buf_append(&t, "\xEF\xBF\xBD", 3);
                i++;
            }
        }
        ls_buf_json_str(b, (const char *)t.data, t.len);
        ls_buf_free(&t);
        ls_buf_puts(b, ",\"raw_base64\":\"");
        ls_base64_encode(b, (const uint8_t *)raw, len);
        ls_buf_putc(b, '"');
    }
    ls_buf_puts(b, "}\n");
    s->n_errs++;
    s->touched = true;
    e->b_errors++;
}

static void undo_row(engine *e, ls_batch *pb)
{
    for (int i = 0; i < pb->n_leaves; i++)
        ls_leaf_truncate(&pb->leaves[i], e->undo[i]);
    pb->n_rows--;
}

static void set_rescued(engine *e, ls_batch *pb)
{
    ls_leaf *l = &pb->leaves[e->rescue_leaf];
    ls_leaf_truncate(l, l->n - 1);
    ls_leaf_push_bytes(l, 0, e->resc.data, e->resc.len);
    e->b_rescued++;
}

/* A line the strict shredder refused (why = its message). */
static int bad_line(engine *e, source *s, const char *line, size_t len, uint64_t line_no,
                    const char *why, ls_error *err)
{
    bool can_rescue = e->rescue_leaf >= 0;
    if (!can_rescue && !e->o->merge_schema) {
        error_line(e, s, line_no, why, line, len);
        return LS_OK;
    }
    for (int attempt = 0; attempt < 4; attempt++) {
        ls_batch *pb = cur_pb(e);
        for (int i = 0; i < pb->n_leaves; i++)
            e->undo[i] = pb->leaves[i].n;
        e->resc.len = 0;
        ls_error le = {0};
        int rc = ls_json_read_line(e->lenient, pb, line, len, line_no, &e->resc, &le);
        if (rc) {
            error_line(e, s, line_no, le.msg, line, len);
            return LS_OK;
        }
        if (e->resc.len == 0) {
            e->b_rows++;
            return LS_OK; /* fits after all */
        }
        if (e->o->merge_schema) {
            bool changed = false;
            ls_schema *ns = NULL;
            ls_error ee = {0};
            if (ls_ing_evolve(e->pschema, (const char *)e->resc.data, e->resc.len, &changed, &ns,
                              &ee) == LS_OK &&
                changed) {
                undo_row(e, pb);
                rc = apply_evolution(e, ns, err);
                ls_schema_free(ns);
                if (rc)
                    return rc;
                ls_error se = {0};
                pb = cur_pb(e);
                if (ls_json_read_line(e->strict, pb, line, len, line_no, NULL, &se) == LS_OK) {
                    e->b_rows++;
                    return LS_OK;
                }
                can_rescue = e->rescue_leaf >= 0;
                continue; /* lenient again under the new schema (may evolve further) */
            }
        }
        if (can_rescue) {
            set_rescued(e, pb);
            e->b_rows++;
            return LS_OK;
        }
        undo_row(e, pb);
        ls_buf m = {0};
        ls_buf_printf(&m, "line %" PRIu64 ": values do not fit the schema: %.*s", line_no,
                      (int)(e->resc.len > 400 ? 400 : e->resc.len), (const char *)e->resc.data);
        error_line(e, s, line_no, ls_buf_cstr(&m), line, len);
        ls_buf_free(&m);
        return LS_OK;
    }
    error_line(e, s, line_no, "schema kept changing while parsing this line", line, len);
    return LS_OK;
}

/* One JSON object text (a CSV record converted, or one NDJSON line). */
static int ingest_line(engine *e, source *s, const char *line, size_t len, uint64_t line_no,
                       ls_error *err)
{
    ls_error se = {0};
    if (ls_json_read_line(e->strict, cur_pb(e), line, len, line_no, NULL, &se) == LS_OK) {
        e->b_rows++;
        return LS_OK;
    }
    return bad_line(e, s, line, len, line_no, se.msg, err);
}

/* Parses complete NDJSON lines data[0..n) (n ends after a '\n' or at EOF). */
static int parse_ndjson(engine *e, source *s, const char *data, size_t n, uint64_t first_line,
                        uint64_t *lines_out, ls_error *err)
{
    const char *p = data, *end = data + n;
    uint64_t line = first_line;
    int rc = LS_OK;
    while (p < end && rc == LS_OK) {
        uint64_t k = 0;
        ls_error pe = {0};
        ls_batch *pb = cur_pb(e);
        size_t before = pb->n_rows;
        rc = ls_json_read_buffer(e->strict, pb, p, (size_t)(end - p), line, &k, &pe);
        e->b_rows += pb->n_rows - before;
        if (rc == LS_OK) {
            line += k;
            break;
        }
        /* the failing line is the k-th after p */
        const char *q = p;
        for (uint64_t i = 0; i < k && q < end; i++) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            q = nl ? nl + 1 : end;
        }
        const char *nl = q < end ? memchr(q, '\n', (size_t)(end - q)) : NULL;
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - q);
        if (ll && q[ll - 1] == '\r')
            ll--;
        rc = bad_line(e, s, q, ll, line + k, pe.msg, err);
        line += k + 1;
        p = nl ? nl + 1 : end;
        if (rc == LS_OK)
            rc = maybe_flush(e, err);
    }
    *lines_out = line - first_line;
    return rc;
}

/* ---- sources ------------------------------------------------------------------------------ */

static void q_push(source *s, const char *name, uint64_t size, int64_t mtime)
{
    if (ls_manifest_find(&s->pend, name)) {
        ls_manifest_put(&s->pend, name, size, mtime); /* newer stats, still pending */
        return;
    }
    if (s->q_head > 0 && s->q_head + s->q_len == s->q_cap) {
        memmove(s->q, s->q + s->q_head, s->q_len * sizeof(unit));
        s->q_head = 0;
    }
    if (s->q_head + s->q_len == s->q_cap) {
        s->q_cap = s->q_cap ? 2 * s->q_cap : 64;
        s->q = ls_xrealloc(s->q, s->q_cap * sizeof(unit));
    }
    s->q[s->q_head + s->q_len++] = (unit){ls_xstrdup(name), size, mtime};
    ls_manifest_put(&s->pend, name, size, mtime);
}

/* Pops the next pending unit (stale entries are skipped). */
static bool q_pop(source *s, unit *u)
{
    while (s->q_len > 0) {
        unit x = s->q[s->q_head++];
        s->q_len--;
        const ls_mf_file *pf = ls_manifest_find(&s->pend, x.name);
        if (!pf) {
            free(x.name);
            continue;
        }
        x.size = pf->size;
        x.mtime = pf->mtime_ms;
        ls_manifest_remove(&s->pend, x.name);
        *u = x;
        return true;
    }
    s->q_head = 0;
    return false;
}

static bool src_has_work(const source *s)
{
    if (s->is_stdin)
        return !s->exhausted;
    return s->rd != NULL || s->pend.n_files > 0;
}

static void report_changed(engine *e, source *s, const char *name, uint64_t osize, int64_t omt,
                           uint64_t nsize, int64_t nmt, const char *when)
{
    logf_(e,
          "WARNING: %s/%s changed %s (size %" PRIu64 " -> %" PRIu64 ", mtime %" PRId64
          " -> %" PRId64 "): not ingested again",
          s->uri, name, when, osize, nsize, omt, nmt);
    e->b_changed++;
    e->tot.changed_files++;
}

/* An observation of the landing folder. */
static void observe(engine *e, source *s, const ls_file_obs *ob)
{
    if (ob->kind == LS_OBS_DELETED) {
        /* forgotten (the manifest stays small); committed with the next batch */
        ls_manifest_remove(&s->man, ob->name);
        ls_manifest_remove(&s->pend, ob->name);
        return;
    }
    const ls_mf_file *done = ls_manifest_find(&s->man, ob->name);
    if (done) {
        if (done->size != ob->size || done->mtime_ms != ob->mtime_ms)
            report_changed(e, s, ob->name, done->size, done->mtime_ms, ob->size, ob->mtime_ms,
                           "after it was ingested");
        return;
    }
    if (s->rd && !strcmp(s->cur.name, ob->name)) {
        if (s->cur.size != ob->size || s->cur.mtime != ob->mtime_ms)
            report_changed(e, s, ob->name, s->cur.size, s->cur.mtime, ob->size, ob->mtime_ms,
                           "while it was being ingested (the original bytes are ingested)");
        return;
    }
    if (s->man.has_partial && !strcmp(s->man.partial.name, ob->name)) {
        if (s->man.partial.size != ob->size || s->man.partial.mtime_ms != ob->mtime_ms) {
            report_changed(e, s, ob->name, s->man.partial.size, s->man.partial.mtime_ms, ob->size,
                           ob->mtime_ms, "after it was partly ingested (the rest is skipped)");
            ls_manifest_put(&s->man, ob->name, s->man.partial.size, s->man.partial.mtime_ms);
            ls_manifest_clear_partial(&s->man);
            s->touched = true;
            return;
        }
    }
    q_push(s, ob->name, ob->size, ob->mtime_ms);
}

static int poll_sources(engine *e, ls_error *err)
{
    for (int i = 0; i < e->n_src; i++) {
        source *s = &e->src[i];
        if (!s->folder)
            continue;
        ls_obs_list_clear(&e->obs);
        int rc = ls_folder_poll(s->folder, &e->obs, err);
        if (rc)
            return rc;
        for (size_t k = 0; k < e->obs.n; k++)
            observe(e, s, &e->obs.items[k]);
    }
    return LS_OK;
}

static void close_unit(source *s)
{
    ls_ing_reader_free(s->rd);
    s->rd = NULL;
    free(s->cur.name);
    memset(&s->cur, 0, sizeof s->cur);
    s->cur_line = 0;
    s->skip_long = false;
    s->csv_have_header = false;
    ls_csv_tok_reset(&s->csv_tok);
}

static int csv_read_header(engine *e, source *s, ls_error *err);

/* Opens the next pending file of s (resuming a partial one). *opened=false when none. */
static int open_next(engine *e, source *s, bool *opened, ls_error *err)
{
    *opened = false;
    unit u;
    while (q_pop(s, &u)) {
        char *path = ls_xasprintf("%s/%s", ls_folder_path(s->folder), u.name);
        uint64_t size = 0;
        int64_t mtime = 0;
        ls_ing_reader *rd = NULL;
        ls_error oe = {0};
        int rc = ls_ing_reader_open(path, ls_ing_codec_of(u.name), &rd, &size, &mtime, &oe);
        free(path);
        if (rc == LS_ERR_NOTFOUND) {
            logf_(e, "note: %s/%s disappeared before it could be read", s->uri, u.name);
            free(u.name);
            continue;
        }
        if (rc) {
            free(u.name);
            *err = oe;
            return rc;
        }
        /* the stats of the open file are the ones recorded */
        const ls_mf_file *done = ls_manifest_find(&s->man, u.name);
        if (done) { /* replaced by a file with the same stats? (raced with a re-observation) */
            if (done->size != size || done->mtime_ms != mtime)
                report_changed(e, s, u.name, done->size, done->mtime_ms, size, mtime,
                               "after it was ingested");
            ls_ing_reader_free(rd);
            free(u.name);
            continue;
        }
        s->rd = rd;
        s->cur = (unit){u.name, size, mtime};
        s->cur_fmt = ls_ing_format_of(u.name, e->o->format);
        s->csv_tok.opts.delim = ls_ing_csv_delim_of(u.name);
        s->cur_line = 0;
        if (s->man.has_partial && !strcmp(s->man.partial.name, u.name)) {
            if (s->man.partial.size == size && s->man.partial.mtime_ms == mtime) {
                uint64_t off = s->man.partial_offset;
                if (s->cur_fmt == LS_ING_CSV && (rc = csv_read_header(e, s, err)))
                    return rc;
                uint64_t at = ls_ing_reader_offset(s->rd);
                if (off > at && (rc = ls_ing_reader_skip(s->rd, off - at, err)))
                    return rc;
                s->cur_line = s->man.partial_line;
            } else {
                report_changed(e, s, u.name, s->man.partial.size, s->man.partial.mtime_ms, size,
                               mtime, "after it was partly ingested (the rest is skipped)");
                ls_manifest_put(&s->man, u.name, s->man.partial.size, s->man.partial.mtime_ms);
                ls_manifest_clear_partial(&s->man);
                s->touched = true;
                close_unit(s);
                continue;
            }
        }
        e->b_files++;
        int64_t arr = mtime;
        if (e->b_min_arrival_ms == 0 || arr < e->b_min_arrival_ms)
            e->b_min_arrival_ms = arr;
        *opened = true;
        return LS_OK;
    }
    return LS_OK;
}

/* The unit is fully read: it joins the manifest. */
static void unit_done(engine *e, source *s)
{
    if (!s->is_stdin) {
        ls_manifest_put(&s->man, s->cur.name, s->cur.size, s->cur.mtime);
        if (s->man.has_partial && !strcmp(s->man.partial.name, s->cur.name))
            ls_manifest_clear_partial(&s->man);
        e->b_src_done++;
        close_unit(s);
        s->touched = true;
    } else {
        s->exhausted = true; /* the position moved with the data, if any */
    }
}

/* Bytes of complete lines at the start of p[0..n) (everything at EOF). */
static size_t complete_prefix(const char *p, size_t n, bool eof)
{
    if (eof)
        return n;
    const char *nl = n ? memrchr(p, '\n', n) : NULL;
    return nl ? (size_t)(nl - p) + 1 : 0;
}

/* Cuts [0, n) so that it ends after a '\n' (or at n) and holds at most max_lines lines
 * and max_bytes bytes (at least one line). */
static size_t cut_lines(const char *p, size_t n, uint64_t max_lines, uint64_t max_bytes)
{
    if (!p || n == 0)
        return 0;
    if (n > max_bytes) {
        const char *nl = max_bytes ? memrchr(p, '\n', (size_t)max_bytes) : NULL;
        size_t c = nl ? (size_t)(nl - p) + 1 : 0;
        if (c == 0) { /* one line longer than the budget: take that line */
            const char *f = memchr(p, '\n', n);
            c = f ? (size_t)(f - p) + 1 : n;
        }
        n = c;
    }
    if (max_lines < UINT64_MAX) {
        const char *q = p, *e = p + n;
        uint64_t k = 0;
        while (q < e) {
            const char *nl = memchr(q, '\n', (size_t)(e - q));
            q = nl ? nl + 1 : e;
            if (++k >= max_lines)
                break;
        }
        n = (size_t)(q - p);
    }
    return n;
}

typedef enum { STEP_NONE, STEP_PROGRESS, STEP_LIMIT } step_result;

static uint64_t rows_budget(const engine *e)
{
    for (int i = 0; i < e->n_src; i++)
        if (e->src[i].errs.len >= MAX_ERRS_BYTES)
            return 0; /* error records are held in memory until the commit */
    uint64_t m = e->o->max_batch_rows;
    if (!m)
        return UINT64_MAX;
    uint64_t used = e->b_rows + e->b_errors;
    return used >= m ? 0 : m - used;
}

static uint64_t bytes_budget(const engine *e)
{
    uint64_t m = e->o->max_batch_bytes;
    if (!m)
        return UINT64_MAX;
    return e->b_bytes >= m ? 0 : m - e->b_bytes;
}

/* Handles a line longer than max_line_bytes: records it (truncated) and skips it. */
static void long_line(engine *e, source *s, const char *p, size_t n)
{
    char why[160];
    snprintf(why, sizeof why, "line %" PRIu64 ": longer than %" PRIu64 " bytes (the raw text is "
                              "truncated)",
             s->cur_line + 1, e->o->max_line_bytes);
    error_line(e, s, s->cur_line + 1, why, p, n > 4096 ? 4096 : n);
    s->skip_long = true;
}

static int step_ndjson(engine *e, source *s, step_result *res, ls_error *err)
{
    *res = STEP_NONE;
    const char *p;
    size_t n;
    ls_ing_reader_data(s->rd, &p, &n);
    bool eof = ls_ing_reader_eof(s->rd);
    if (s->skip_long) {
        const char *nl = memchr(p, '\n', n);
        size_t k = nl ? (size_t)(nl - p) + 1 : n;
        ls_ing_reader_consume(s->rd, k);
        e->b_bytes += k;
        if (nl) {
            s->skip_long = false;
            s->cur_line++;
        }
        *res = STEP_PROGRESS;
        if (!nl && !eof)
            return ls_ing_reader_fill(s->rd, s->is_stdin ? 0 : -1, err);
        if (!nl && eof)
            s->cur_line++;
        return LS_OK;
    }
    size_t have = complete_prefix(p, n, eof);
    if (have == 0) {
        if (eof) {
            unit_done(e, s);
            *res = STEP_PROGRESS;
            return LS_OK;
        }
        if (n > e->o->max_line_bytes) {
            long_line(e, s, p, n);
            *res = STEP_PROGRESS;
            return LS_OK;
        }
        size_t before = n;
        int rc = ls_ing_reader_fill(s->rd, s->is_stdin ? 0 : -1, err);
        if (rc)
            return rc;
        ls_ing_reader_data(s->rd, &p, &n);
        if (n != before || ls_ing_reader_eof(s->rd))
            *res = STEP_PROGRESS;
        if (s->is_stdin && n > before && (e->b_min_arrival_ms == 0))
            e->b_min_arrival_ms = wall_ms();
        return LS_OK;
    }
    uint64_t rb = rows_budget(e), bb = bytes_budget(e);
    bool empty_batch = e->b_rows + e->b_errors == 0;
    if ((rb == 0 || bb == 0) && !empty_batch) {
        *res = STEP_LIMIT;
        return LS_OK;
    }
    if (rb == 0)
        rb = 1;
    if (bb == 0)
        bb = 1;
    size_t take = cut_lines(p, have, rb, bb < CHUNK_BYTES ? bb : CHUNK_BYTES);
    if (s->is_stdin && e->b_min_arrival_ms == 0)
        e->b_min_arrival_ms = wall_ms();
    uint64_t lines = 0;
    int rc = parse_ndjson(e, s, p, take, s->cur_line + 1, &lines, err);
    if (rc)
        return rc;
    ls_ing_reader_consume(s->rd, take);
    s->cur_line += lines;
    e->b_bytes += take;
    s->touched = true;
    if (s->is_stdin) {
        s->man.stream_offset = s->stream_base + ls_ing_reader_offset(s->rd);
        s->man.stream_lines = s->lines_base + s->cur_line;
    }
    *res = STEP_PROGRESS;
    return maybe_flush(e, err);
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* One CSV step: records from the buffer, tokenized and turned into JSON lines by
 * col_csv.c (an incomplete record is resumed after the next fill). */
static int csv_records(engine *e, source *s, bool header_only, step_result *res, ls_error *err)
{
    size_t step_bytes = 0; /* a step parses about CHUNK_BYTES, like an NDJSON step */
    for (int guard = 0; guard < 1 << 20 && step_bytes < CHUNK_BYTES; guard++) {
        const char *p;
        size_t n;
        ls_ing_reader_data(s->rd, &p, &n);
        bool eof = ls_ing_reader_eof(s->rd);
        if (ls_ing_reader_offset(s->rd) == 0 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
            ls_ing_reader_consume(s->rd, 3);
            continue;
        }
        if (n == 0) {
            if (eof) {
                if (!header_only)
                    unit_done(e, s);
                *res = STEP_PROGRESS;
                return LS_OK;
            }
            int rc = ls_ing_reader_fill(s->rd, s->is_stdin ? 0 : -1, err);
            if (rc)
                return rc;
            ls_ing_reader_data(s->rd, &p, &n);
            if (n == 0 && !ls_ing_reader_eof(s->rd))
                return LS_OK;
            continue;
        }
        if (!header_only && s->csv_have_header) {
            uint64_t rb = rows_budget(e), bb = bytes_budget(e);
            if ((rb == 0 || bb == 0) && e->b_rows + e->b_errors > 0) {
                *res = STEP_LIMIT;
                return LS_OK;
            }
        }
        size_t used = 0;
        bool got = false;
        ls_error te = {0};
        s->csv_tok.opts.max_record_bytes = (size_t)e->o->max_line_bytes;
        s->csv_tok.lines_read = s->cur_line;
        int r = ls_csv_next(&s->csv_tok, p, n, eof, &used, &got, &te);
        if (r == LS_OK && !got && used == 0) { /* need more input */
            int rc = ls_ing_reader_fill(s->rd, s->is_stdin ? 0 : -1, err);
            if (rc)
                return rc;
            const char *p2;
            size_t n2;
            ls_ing_reader_data(s->rd, &p2, &n2);
            if (n2 == n && !ls_ing_reader_eof(s->rd))
                return LS_OK; /* stdin: nothing more yet */
            continue;
        }
        uint64_t rec_line = s->csv_tok.line;
        s->cur_line = s->csv_tok.lines_read;
        *res = STEP_PROGRESS;
        size_t rl = used; /* the raw record, for _errors (an over-long one truncated) */
        while (rl && (p[rl - 1] == '\n' || p[rl - 1] == '\r'))
            rl--;
        if (rl > 4096 && (te.code == LS_ERR_LIMIT || rl > 65536))
            rl = 4096;
        ls_error ce = {0};
        if (r) {
            error_line(e, s, rec_line, te.msg, p, rl); /* malformed CSV, limits */
        } else if (!got || ls_csv_blank(&s->csv_tok)) {
            /* skipped input, or a blank line */
        } else if (!s->csv_have_header) {
            ls_csv_header_set(&s->csv_header, &s->csv_tok);
            s->csv_have_header = true;
            csv_remap(e, s);
        } else {
            e->json.len = 0;
            if (ls_csv_record_json(&s->csv_header, &s->csv_tok, &e->json, &ce)) {
                error_line(e, s, rec_line, ce.msg, p, rl); /* field count, UTF-8 */
            } else {
                int rc = ingest_line(e, s, (const char *)e->json.data, e->json.len, rec_line,
                                     err);
                if (rc)
                    return rc;
            }
        }
        ls_ing_reader_consume(s->rd, used);
        e->b_bytes += used;
        step_bytes += used;
        s->touched = true;
        if (s->is_stdin) {
            s->man.stream_offset = s->stream_base + ls_ing_reader_offset(s->rd);
            s->man.stream_lines = s->lines_base + s->cur_line;
        }
        if (header_only && s->csv_have_header)
            return LS_OK;
        if (!header_only && (guard & 1023) == 1023)
            return maybe_flush(e, err);
    }
    return maybe_flush(e, err);
}

static int csv_read_header(engine *e, source *s, ls_error *err)
{
    step_result r;
    uint64_t bytes = e->b_bytes;
    int rc = csv_records(e, s, true, &r, err);
    e->b_bytes = bytes; /* the header is re-read, not new input */
    return rc;
}

/* Does some work on source s. */
static int step_source(engine *e, source *s, step_result *res, ls_error *err)
{
    *res = STEP_NONE;
    if (s->is_stdin) {
        if (s->exhausted)
            return LS_OK;
    } else if (!s->rd) {
        if (e->o->max_batch_files && e->b_files >= e->o->max_batch_files) {
            if (s->pend.n_files > 0)
                *res = STEP_LIMIT;
            return LS_OK;
        }
        bool opened = false;
        int rc = open_next(e, s, &opened, err);
        if (rc || !opened)
            return rc;
        *res = STEP_PROGRESS;
    }
    step_result r = STEP_NONE;
    int rc = s->cur_fmt == LS_ING_CSV ? csv_records(e, s, false, &r, err)
                                      : step_ndjson(e, s, &r, err);
    if (r != STEP_NONE)
        *res = r;
    return rc;
}

/* ---- errors files, status ------------------------------------------------------------------ */

static char *errors_key(const source *s, int64_t batch)
{
    return ls_xasprintf("_errors/%s/batch-%010" PRId64 ".ndjson", s->err_prefix, batch);
}

static void put_str_field(ls_buf *b, const char *k, const char *v)
{
    ls_buf_json_str(b, k, strlen(k));
    ls_buf_putc(b, ':');
    if (v)
        ls_buf_json_str(b, v, strlen(v));
    else
        ls_buf_puts(b, "null");
}

static void write_status(engine *e, const char *state)
{
    if (!e->o->status_file)
        return;
    ls_buf b = {0};
    char ts[48];
    ls_format_timestamp(ls_now_micros(), true, ts);
    ls_buf_putc(&b, '{');
    put_str_field(&b, "table", e->o->table);
    ls_buf_putc(&b, ',');
    put_str_field(&b, "state", state);
    ls_buf_putc(&b, ',');
    put_str_field(&b, "updated", ts);
    ls_buf_printf(&b,
                  ",\"pid\":%d,\"table_version\":%" PRId64 ",\"batches\":%" PRIu64
                  ",\"rows\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"source_files\":%" PRIu64
                  ",\"data_files\":%" PRIu64 ",\"error_lines\":%" PRIu64
                  ",\"rescued_rows\":%" PRIu64 ",\"changed_files\":%" PRIu64,
                  (int)getpid(), e->tot.table_version, e->tot.batches, e->tot.rows,
                  e->tot.bytes_in, e->tot.files, e->tot.data_files, e->tot.error_lines,
                  e->tot.rescued_rows, e->tot.changed_files);
    ls_buf_printf(&b, ",\"last_batch\":{\"rows\":%" PRIu64 ",\"errors\":%" PRIu64
                      ",\"duration_ms\":%.0f,\"lag_s\":%.3f},\"sources\":[",
                  e->last_rows, e->last_errors, e->last_ms, e->last_lag_s);
    for (int i = 0; i < e->n_src; i++) {
        const source *s = &e->src[i];
        if (i)
            ls_buf_putc(&b, ',');
        ls_buf_putc(&b, '{');
        put_str_field(&b, "source", s->uri);
        ls_buf_putc(&b, ',');
        put_str_field(&b, "app_id", s->app_id);
        ls_buf_printf(&b, ",\"txn_version\":%" PRId64 ",\"files_done\":%zu,\"pending\":%zu",
                      s->txn, s->man.n_files, s->pend.n_files);
        if (s->is_stdin)
            ls_buf_printf(&b, ",\"stream_offset\":%" PRIu64 ",\"stream_lines\":%" PRIu64
                              ",\"stream_segment\":%" PRIu64 ",\"segment_offset\":%" PRIu64
                              ",\"segment_lines\":%" PRIu64,
                          s->man.stream_offset, s->man.stream_lines, s->man.seg_no,
                          s->man.stream_offset - s->man.seg_offset,
                          s->man.stream_lines - s->man.seg_lines);
        if (s->man.has_partial) {
            ls_buf_puts(&b, ",\"partial\":{");
            put_str_field(&b, "file", s->man.partial.name);
            ls_buf_printf(&b, ",\"offset\":%" PRIu64 ",\"line\":%" PRIu64 "}",
                          s->man.partial_offset, s->man.partial_line);
        }
        ls_buf_putc(&b, '}');
    }
    ls_buf_puts(&b, "]}\n");
    ls_output *out = NULL;
    ls_error err = {0};
    if (ls_output_open_file(e->o->status_file, &out, &err) == LS_OK) {
        if (ls_output_write(out, b.data, b.len, &err) == LS_OK)
            ls_output_commit(out, &err);
        else
            ls_output_abort(out);
    }
    ls_buf_free(&b);
}

/* ---- batches ------------------------------------------------------------------------------ */

static void batch_reset(engine *e)
{
    e->batch_start_ns = ls_monotonic_nanos();
    e->deadline_ns = e->o->trigger == LS_TRIG_INTERVAL
                         ? e->batch_start_ns + e->o->interval_ms * 1000000
                         : INT64_MAX;
    e->b_rows = e->b_bytes = e->b_files = e->b_errors = e->b_rescued = e->b_changed = 0;
    e->b_src_done = e->b_out_files = e->b_out_bytes = e->b_out_rows = 0;
    e->b_min_arrival_ms = 0;
    if (e->pset)
        memset(e->pset, 0, e->pset_cap * sizeof(uint64_t));
    e->pset_n = 0;
    e->have_last_pkey = false;
    e->limit_hit = false;
    for (int i = 0; i < e->n_src; i++) {
        source *s = &e->src[i];
        s->touched = false;
        s->errs.len = 0;
        s->n_errs = 0;
        /* a unit open across batches counts against the new batch's file limit */
        if (s->rd && !s->is_stdin)
            e->b_files++;
    }
    /* a continuing file or stream arrived before this batch started */
    for (int i = 0; i < e->n_src; i++)
        if (e->src[i].rd && !e->src[i].is_stdin &&
            (e->b_min_arrival_ms == 0 || e->src[i].cur.mtime < e->b_min_arrival_ms))
            e->b_min_arrival_ms = e->src[i].cur.mtime;
}

static void abort_batch(engine *e)
{
    if (e->threaded) {
        ls_error tmp;
        drain(e, &tmp);
    }
    if (e->w) {
        ls_delta_writer_abort(e->w);
        e->w = NULL;
    }
    if (e->w2) {
        ls_delta_writer_abort(e->w2);
        e->w2 = NULL;
    }
    ls_delta_commit_free(e->c);
    e->c = NULL;
}

static void fmt_bytes(uint64_t b, char *out, size_t n)
{
    if (b >= 1000000000)
        snprintf(out, n, "%.2f GB", (double)b / 1e9);
    else if (b >= 1000000)
        snprintf(out, n, "%.1f MB", (double)b / 1e6);
    else if (b >= 1000)
        snprintf(out, n, "%.1f kB", (double)b / 1e3);
    else
        snprintf(out, n, "%" PRIu64 " B", b);
}

/* Grows the fingerprints of the stdin segment with what this batch committed, up to
 * LS_ING_PREFIX_MAX bytes (the segment always starts at this run's first stdin byte). */
static void stdin_fingerprint(source *s)
{
    const char *p;
    size_t n;
    ls_ing_reader_prefix(s->rd, &p, &n);
    ls_manifest_set_fingerprints(&s->man, p, n);
}

static int commit_batch(engine *e, ls_error *err)
{
    int rc = finish_writer(e, err);
    if (rc)
        return rc;
    bool any_src = false;
    for (int i = 0; i < e->n_src; i++)
        any_src |= e->src[i].touched;
    if (!any_src && !e->meta_changed && e->b_out_files == 0) {
        ls_delta_commit_free(e->c);
        e->c = NULL;
        return LS_OK;
    }
    ensure_commit(e);
    /* the stream position of a source still being read */
    for (int i = 0; i < e->n_src; i++) {
        source *s = &e->src[i];
        if (s->rd && !s->is_stdin && s->touched)
            ls_manifest_set_partial(&s->man, s->cur.name, s->cur.size, s->cur.mtime,
                                    ls_ing_reader_offset(s->rd), s->cur_line);
        if (s->is_stdin && s->touched)
            stdin_fingerprint(s);
    }
    ls_buf params = {0}, doc = {0};
    ls_buf_puts(&params, "{\"outputMode\":\"Append\",\"queryId\":");
    ls_buf_json_str(&params, e->src[0].app_id, strlen(e->src[0].app_id));
    int64_t epoch = -1;
    for (int i = 0; i < e->n_src; i++) {
        source *s = &e->src[i];
        if (!s->touched)
            continue;
        int64_t n = s->txn + 1;
        if (epoch < 0)
            epoch = n;
        s->man.batch = n;
        ls_delta_commit_set_txn(e->c, s->app_id, n);
        doc.len = 0;
        ls_manifest_encode(&s->man, &doc);
        ls_delta_domain d = {s->domain, ls_buf_cstr(&doc), false};
        ls_delta_commit_set_domain(e->c, &d);
        char *key = errors_key(s, n);
        ls_error pe = {0};
        if (s->errs.len)
            rc = ls_store_put(ls_delta_store(e->t), key, s->errs.data, s->errs.len, &pe);
        else
            rc = ls_store_delete(ls_delta_store(e->t), key, &pe); /* a stale earlier attempt */
        free(key);
        if (rc) {
            *err = pe;
            ls_buf_free(&params);
            ls_buf_free(&doc);
            return rc;
        }
    }
    ls_buf_printf(&params, ",\"epochId\":\"%" PRId64 "\"}", epoch < 0 ? 0 : epoch);
    ls_delta_commit_set_operation(e->c, "STREAMING UPDATE", ls_buf_cstr(&params));
    ls_buf_free(&params);
    ls_buf_free(&doc);
    ls_delta_commit_set_metric(e->c, "numFiles", (int64_t)e->b_out_files);
    ls_delta_commit_set_metric(e->c, "numOutputRows", (int64_t)e->b_out_rows);
    ls_delta_commit_set_metric(e->c, "numOutputBytes", (int64_t)e->b_out_bytes);
    ls_delta_commit_set_metric(e->c, "numSourceFiles", (int64_t)e->b_src_done);
    ls_delta_commit_set_metric(e->c, "numSourceBytes", (int64_t)e->b_bytes);
    ls_delta_commit_set_metric(e->c, "numErrorLines", (int64_t)e->b_errors);
    ls_delta_commit_set_metric(e->c, "numRescuedRows", (int64_t)e->b_rescued);
    ls_delta_commit_set_metric(e->c, "numChangedSourceFiles", (int64_t)e->b_changed);
    if (e->need_protocol) {
        ls_delta_commit_set_protocol(e->c, &e->proto);
    }
    if (e->meta_changed)
        ls_delta_commit_set_metadata(e->c, &e->meta);
    if (abort_requested(e)) {
        abort_batch(e);
        return ls_err(err, LS_ERR_INTERRUPTED, "aborted by a second signal before the commit");
    }
    int64_t version = -1;
    int64_t commit_start = ls_monotonic_nanos();
    rc = ls_delta_commit_run(e->c, &version, err);
    ls_delta_commit_free(e->c);
    e->c = NULL;
    if (rc) {
        ls_err_prefix(err, "commit");
        return rc;
    }
    int64_t now = wall_ms();
    e->version = version;
    e->need_protocol = false;
    e->meta_changed = false;
    for (int i = 0; i < e->n_src; i++)
        if (e->src[i].touched)
            e->src[i].txn++;
    /* stats */
    e->tot.batches++;
    e->tot.rows += e->b_out_rows;
    e->tot.bytes_in += e->b_bytes;
    e->tot.files += e->b_src_done;
    e->tot.data_files += e->b_out_files;
    e->tot.error_lines += e->b_errors;
    e->tot.rescued_rows += e->b_rescued;
    e->tot.table_version = version;
    int64_t done_ns = ls_monotonic_nanos();
    double lat = (double)(done_ns - e->batch_start_ns) / 1e6;
    double cms = (double)(done_ns - commit_start) / 1e6;
    double lag = e->b_min_arrival_ms ? (double)(now - e->b_min_arrival_ms) / 1e3 : 0;
    char in[32], out[32];
    fmt_bytes(e->b_bytes, in, sizeof in);
    fmt_bytes(e->b_out_bytes, out, sizeof out);
    int64_t bn = -1;
    for (int i = 0; i < e->n_src; i++)
        if (e->src[i].touched && (bn < 0 || e->src[i].txn > bn))
            bn = e->src[i].txn;
    e->last_rows = e->b_out_rows;
    e->last_errors = e->b_errors;
    e->last_ms = lat;
    e->last_lag_s = lag;
    logf_(e,
          "batch %" PRId64 " -> v%" PRId64 ": %" PRIu64 " rows, %s in, %s out, %" PRIu64
          " files, %" PRIu64 " data files, %zu partitions, %" PRIu64 " errors, %" PRIu64
          " rescued, %" PRIu64 " changed, %.0f ms (commit %.0f ms), lag %.2f s",
          bn, version, e->b_out_rows, in, out, e->b_src_done, e->b_out_files, e->pset_n,
          e->b_errors, e->b_rescued, e->b_changed, lat, cms, lag);
    /* the next batch reads the table as of this commit */
    if ((rc = ls_delta_snapshot_update(e->snap, e->t, -1, err))) {
        ls_err_prefix(err, "updating the snapshot after commit %" PRId64, version);
        return rc;
    }
    write_status(e, "running");
    return LS_OK;
}

/* ---- set-up -------------------------------------------------------------------------------- */

static int load_snapshot(engine *e, bool *exists, ls_error *err)
{
    ls_delta_snapshot_spec spec = {.at = LS_AT_LATEST};
    int rc = ls_delta_snapshot_load(e->t, &spec, &e->snap, err);
    if (rc == LS_ERR_NOTFOUND) {
        *exists = false;
        ls_error_clear(err);
        return LS_OK;
    }
    *exists = rc == LS_OK;
    return rc;
}

/* Derived partition columns recorded in the table's properties. */
static int spec_from_table(engine *e, ls_error *err)
{
    const ls_delta_metadata *m = &e->meta;
    ls_buf text = {0};
    for (int i = 0; i < m->n_partition_columns; i++) {
        const char *pc = m->partition_columns[i];
        char *key = ls_xasprintf("lakestream.derived.%s", pc);
        bool found = false;
        const char *expr = ls_kvlist_get(&m->configuration, key, &found);
        free(key);
        if (text.len)
            ls_buf_puts(&text, ", ");
        if (found && expr) {
            ls_buf_printf(&text, "%s AS `", expr);
            for (const char *p = pc; *p; p++) {
                if (*p == '`')
                    ls_buf_putc(&text, '`');
                ls_buf_putc(&text, (uint8_t)*p);
            }
            ls_buf_putc(&text, '`');
        } else {
            ls_buf_putc(&text, '`');
            for (const char *p = pc; *p; p++) {
                if (*p == '`')
                    ls_buf_putc(&text, '`');
                ls_buf_putc(&text, (uint8_t)*p);
            }
            ls_buf_putc(&text, '`');
        }
    }
    int rc = ls_part_spec_parse(text.len ? ls_buf_cstr(&text) : NULL, &e->spec, err);
    ls_buf_free(&text);
    if (rc)
        ls_err_prefix(err, "the table's partition columns");
    return rc;
}

/* Samples the first data of any source and infers the input schema. */
static int infer_schema(engine *e, ls_schema **out, ls_error *err)
{
    *out = NULL;
    int64_t start = ls_monotonic_nanos();
    for (;;) {
        if (stop_requested(e) || abort_requested(e))
            return ls_err(err, LS_ERR_INTERRUPTED, "stopped before any data arrived");
        int rc = poll_sources(e, err);
        if (rc)
            return rc;
        source *s = NULL;
        for (int i = 0; i < e->n_src && !s; i++) {
            source *x = &e->src[i];
            if (x->is_stdin) {
                if (!x->exhausted)
                    s = x;
                continue;
            }
            if (!x->rd) {
                bool opened = false;
                if ((rc = open_next(e, x, &opened, err)))
                    return rc;
            }
            if (x->rd)
                s = x;
        }
        if (!s) {
            bool settling = false;
            for (int i = 0; i < e->n_src; i++)
                settling |= e->src[i].folder && ls_folder_has_unsettled(e->src[i].folder);
            if (e->o->trigger != LS_TRIG_INTERVAL && !settling &&
                (ls_monotonic_nanos() - start) / 1000000 > e->o->settle_ms)
                return ls_err(err, LS_ERR_NOTFOUND, "no data to infer the schema from");
            struct timespec ts = {0, 50 * 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        /* fill until enough lines are buffered (or EOF / 64 MiB / a slow stream had its
         * interval to show a few lines) */
        const char *p;
        size_t n;
        int64_t fill_start = ls_monotonic_nanos();
        int64_t patience = (e->o->interval_ms > 1000 ? e->o->interval_ms : 1000) * 1000000;
        for (;;) {
            ls_ing_reader_data(s->rd, &p, &n);
            uint64_t lines = 0;
            for (const char *q = p; q < p + n && lines < e->o->infer_rows;) {
                const char *nl = memchr(q, '\n', (size_t)(p + n - q));
                if (!nl)
                    break;
                lines++;
                q = nl + 1;
            }
            if (ls_ing_reader_eof(s->rd) || lines >= e->o->infer_rows || n >= (64u << 20) ||
                (lines > 0 && ls_monotonic_nanos() - fill_start > patience))
                break;
            if (stop_requested(e))
                return ls_err(err, LS_ERR_INTERRUPTED, "stopped before any data arrived");
            if ((rc = ls_ing_reader_fill(s->rd, s->is_stdin ? 200 : -1, err)))
                return rc;
        }
        ls_ing_reader_data(s->rd, &p, &n);
        if (n == 0 && ls_ing_reader_eof(s->rd)) { /* empty file: done, try another */
            unit_done(e, s);
            continue;
        }
        ls_infer *inf = ls_infer_new();
        uint64_t used = 0, lines = 0;
        ls_csv_tok tok = {0};
        tok.opts.delim = s->csv_tok.opts.delim;
        ls_csv_header hdr = {0};
        bool csv = s->cur_fmt == LS_ING_CSV, have_hdr = false;
        size_t pos = (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) ? 3 : 0;
        while (pos < n && lines < e->o->infer_rows) {
            if (csv) {
                size_t u = 0;
                bool got = false;
                ls_error ie = {0};
                int r = ls_csv_next(&tok, p + pos, n - pos, ls_ing_reader_eof(s->rd), &u, &got,
                                    &ie);
                pos += u;
                if (r == LS_OK && !got && u == 0)
                    break;
                if (r || !got || ls_csv_blank(&tok))
                    continue;
                if (!have_hdr) {
                    ls_csv_header_set(&hdr, &tok); /* unbound: types are guessed */
                    have_hdr = true;
                    continue;
                }
                e->json.len = 0;
                if (ls_csv_record_json(&hdr, &tok, &e->json, &ie))
                    continue;
                if (ls_infer_line(inf, (const char *)e->json.data, e->json.len, lines + 1, &ie) ==
                    LS_OK)
                    used++;
                lines++;
            } else {
                const char *nl = memchr(p + pos, '\n', n - pos);
                if (!nl && !ls_ing_reader_eof(s->rd))
                    break;
                size_t ll = (nl ? (size_t)(nl - p) : n) - pos;
                size_t l2 = ll;
                if (l2 && p[pos + l2 - 1] == '\r')
                    l2--;
                bool blank = true;
                for (size_t i = 0; i < l2 && blank; i++)
                    blank = p[pos + i] == ' ' || p[pos + i] == '\t';
                if (!blank) {
                    ls_error ie = {0};
                    if (ls_infer_line(inf, p + pos, l2, lines + 1, &ie) == LS_OK)
                        used++; /* invalid lines are left to the error path */
                    lines++;
                }
                pos += ll + (nl ? 1 : 0);
            }
        }
        ls_csv_header_free(&hdr);
        ls_csv_tok_free(&tok);
        if (used == 0) {
            ls_infer_free(inf);
            if (ls_ing_reader_eof(s->rd) || n >= (64u << 20)) {
                /* nothing usable here: its lines go to _errors later; look further */
                logf_(e, "note: no valid record in the first %" PRIu64 " lines of %s to infer "
                         "a schema from",
                      lines, s->is_stdin ? "stdin" : s->cur.name);
                if (s->is_stdin)
                    return ls_err(err, LS_ERR_INVALID,
                                  "cannot infer a schema: no valid record on stdin (use --schema)");
                /* put it back so that it is ingested (as errors) after creation */
                q_push(s, s->cur.name, s->cur.size, s->cur.mtime);
                close_unit(s);
                /* avoid re-sampling the same file forever: requires another file */
                return ls_err(err, LS_ERR_INVALID,
                              "cannot infer a schema from %s: no valid record (use --schema)",
                              s->uri);
            }
            continue;
        }
        rc = ls_infer_schema(inf, out, err);
        ls_infer_free(inf);
        if (rc == LS_OK)
            logf_(e, "inferred the schema from %" PRIu64 " records of %s", used,
                  s->is_stdin ? "stdin" : s->cur.name);
        return rc;
    }
}

static int create_table(engine *e, ls_error *err)
{
    const ls_ingest_opts *o = e->o;
    ls_schema *input = NULL;
    int rc;
    if (o->schema_ddl) {
        if ((rc = ls_schema_parse_ddl(o->schema_ddl, &input, err))) {
            ls_err_prefix(err, "--schema");
            return rc;
        }
    } else if ((rc = infer_schema(e, &input, err))) {
        return rc;
    }
    /* partition sources are checked on the table schema (flattened names) */
    ls_schema *ts = NULL;
    if ((rc = ls_ing_table_schema(input, &e->shape, &ts, err)) ||
        (rc = ls_part_spec_check(&e->spec, ts, err))) {
        ls_schema_free(input);
        ls_schema_free(ts);
        return rc;
    }
    /* partition columns: the spec's names, in order */
    const char *pcols[64];
    for (int i = 0; i < e->spec.n; i++)
        pcols[i] = e->spec.exprs[i].name;
    ls_kvlist props = {0};
    for (int i = 0; o->properties && i < o->properties->n; i++)
        ls_kvlist_set(&props, o->properties->keys[i], o->properties->values[i]);
    ls_kvlist_set(&props, "delta.feature.domainMetadata", "supported");
    for (int i = 0; i < e->spec.n; i++) {
        if (e->spec.exprs[i].kind == LS_PX_IDENTITY)
            continue;
        char *k = ls_xasprintf("lakestream.derived.%s", e->spec.exprs[i].name);
        char *v = ls_part_expr_text(&e->spec.exprs[i]);
        ls_kvlist_set(&props, k, v);
        free(k);
        free(v);
    }
    ls_delta_create_opts co = {
        .schema = ts,
        .partition_columns = pcols,
        .n_partition_columns = e->spec.n,
        .properties = &props,
    };
    rc = ls_delta_create(e->t, &co, err);
    ls_kvlist_free(&props);
    if (rc == LS_ERR_EXISTS) {
        ls_error_clear(err);
        rc = LS_OK; /* created meanwhile (by another run): use it */
    } else if (rc == LS_OK) {
        ls_buf d = {0};
        ls_schema_to_ddl(ts, &d);
        logf_(e, "created table %s: %s", o->table, ls_buf_cstr(&d));
        ls_buf_free(&d);
    }
    ls_schema_free(ts);
    if (rc) {
        ls_schema_free(input);
        return rc;
    }
    if (ls_ing_shape_transforms(&e->shape)) {
        ls_schema_free(e->input);
        e->input = input;
    } else {
        ls_schema_free(input);
    }
    return LS_OK;
}

/* Compares the table with what the options ask for and prepares the schemas. */
static int setup_from_table(engine *e, ls_error *err)
{
    const ls_ingest_opts *o = e->o;
    const ls_delta_metadata *sm = ls_delta_snapshot_metadata(e->snap);
    meta_copy(&e->meta, sm);
    e->have_meta = true;
    bool found;
    const char *cm = ls_kvlist_get(&e->meta.configuration, "delta.columnMapping.mode", &found);
    bool mapped = found && cm && strcmp(cm, "none") != 0;
    if (mapped && o->merge_schema)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "--merge-schema on a table with column mapping is not supported yet");
    /* partition spec: the table's, checked against --partition-by */
    ls_part_spec given = e->spec;
    memset(&e->spec, 0, sizeof e->spec);
    int rc = spec_from_table(e, err);
    if (rc) {
        ls_part_spec_free(&given);
        return rc;
    }
    if (given.n) {
        bool same = given.n == e->spec.n;
        for (int i = 0; same && i < given.n; i++) {
            const ls_part_expr *a = &given.exprs[i], *b = &e->spec.exprs[i];
            same = ls_str_ieq(a->name, b->name) &&
                   (a->kind == b->kind || b->kind == LS_PX_IDENTITY) &&
                   (b->kind == LS_PX_IDENTITY || (ls_str_ieq(a->source, b->source) &&
                                                  a->n_buckets == b->n_buckets));
        }
        if (!same) {
            ls_part_spec_free(&given);
            return ls_err(err, LS_ERR_INVALID,
                          "--partition-by does not match the table's partitioning");
        }
        /* the given expressions win (an older table may lack the derived-column properties) */
        ls_part_spec_free(&e->spec);
        e->spec = given;
    }
    e->shape.derived = &e->spec;
    /* rescue: a nullable top-level STRING _rescued_data column */
    const ls_field *rf = ls_field_find_child(&e->meta.schema->root, LS_RESCUED_COLUMN,
                                             strlen(LS_RESCUED_COLUMN));
    bool has_rescue = rf && rf->type == LS_STRING && rf->nullable;
    if (o->rescue && !has_rescue) {
        if (o->merge_schema && !rf && !ls_ing_shape_transforms(&e->shape)) {
            ls_schema *ns = ls_schema_clone(e->meta.schema);
            ls_field_add_child(&ns->root, LS_RESCUED_COLUMN, LS_STRING, true);
            if ((rc = ls_schema_finalize(ns, err))) {
                ls_schema_free(ns);
                return rc;
            }
            meta_set_schema(&e->meta, ns);
            ls_schema_free(ns);
            e->meta_changed = true;
            has_rescue = true;
        } else {
            logf_(e, "note: the table has no %s column: values that do not fit go to _errors",
                  LS_RESCUED_COLUMN);
        }
    }
    e->shape.rescue = o->rescue && has_rescue;
    /* derived columns must be in the table */
    ls_derive_plan dp;
    if ((rc = ls_derive_plan_build(&e->spec, e->meta.schema, &dp, err)))
        return rc;
    if (ls_ing_shape_transforms(&e->shape)) {
        if (!e->input) {
            const char *ddl = NULL;
            for (int i = 0; i < e->n_src && !ddl; i++)
                ddl = e->src[i].man.input_schema;
            if (!ddl)
                ddl = o->schema_ddl;
            if (!ddl)
                return ls_err(err, LS_ERR_INVALID,
                              "--flatten/--explode on an existing table need the input schema: "
                              "give it with --schema (it is remembered from then on)");
            if ((rc = ls_schema_parse_ddl(ddl, &e->input, err))) {
                ls_err_prefix(err, "input schema");
                return rc;
            }
        }
        ls_schema *want = NULL;
        if ((rc = ls_ing_table_schema(e->input, &e->shape, &want, err)))
            return rc;
        /* the table must be exactly the transform of the input (leaf for leaf) */
        const ls_schema *ts = e->meta.schema;
        bool ok = want->n_leaves == ts->n_leaves;
        for (int i = 0; ok && i < ts->n_leaves; i++) {
            char *a = ls_field_path(want->leaves[i]), *b = ls_field_path(ts->leaves[i]);
            ok = ls_str_ieq(a, b) && ls_type_phys(want->leaves[i]) == ls_type_phys(ts->leaves[i]) &&
                 want->leaves[i]->def_level == ts->leaves[i]->def_level &&
                 want->leaves[i]->rep_level == ts->leaves[i]->rep_level;
            free(a);
            free(b);
        }
        ls_schema_free(want);
        if (!ok)
            return ls_err(err, LS_ERR_INVALID,
                          "the table's schema is not what --flatten/--explode make of the input "
                          "schema");
        ls_buf b = {0};
        ls_schema_to_ddl(e->input, &b);
        for (int i = 0; i < e->n_src; i++)
            if (!e->src[i].man.input_schema)
                e->src[i].man.input_schema = ls_xstrdup(ls_buf_cstr(&b));
        ls_buf_free(&b);
    }
    /* protocol: domainMetadata is needed for the manifests */
    e->need_protocol = protocol_upgrade(ls_delta_snapshot_protocol(e->snap), &e->proto);
    return build_runtime(e, err);
}

/* Reads each source's committed position. */
static int load_positions(engine *e, ls_error *err)
{
    for (int i = 0; i < e->n_src; i++) {
        source *s = &e->src[i];
        s->txn = ls_delta_snapshot_txn_version(e->snap, s->app_id);
        const ls_delta_domain *d = ls_delta_snapshot_domain(e->snap, s->domain);
        ls_manifest_free(&s->man);
        if (d && !d->removed && d->configuration) {
            int rc = ls_manifest_decode(d->configuration, &s->man, err); /* inits s->man */
            if (rc) {
                ls_err_prefix(err, "domain %s", s->domain);
                return rc;
            }
            if (s->man.batch != s->txn && s->txn >= 0)
                return ls_err(err, LS_ERR_CORRUPT,
                              "ingest manifest of %s is for batch %" PRId64
                              " but the table's txn version is %" PRId64,
                              s->app_id, s->man.batch, s->txn);
        } else {
            ls_manifest_init(&s->man);
        }
        if ((!d || d->removed || !d->configuration) && s->txn >= 0) {
            logf_(e, "note: app id %s has txn version %" PRId64 " but no ingest manifest: "
                     "starting with no files known",
                  s->app_id, s->txn);
        }
        free(s->man.source);
        char *abs = s->is_stdin ? NULL : realpath(s->uri, NULL);
        s->man.source = ls_xstrdup(abs ? abs : s->uri);
        free(abs);
        s->stream_base = s->man.stream_offset;
        s->lines_base = s->man.stream_lines;
        if (s->txn >= 0)
            logf_(e, "%s: resuming after batch %" PRId64 " (%zu files done%s)", s->uri, s->txn,
                  s->man.n_files, s->man.has_partial ? ", one partly" : "");
    }
    return LS_OK;
}

/* ---- stdin across restarts --------------------------------------------------------------- */

/* Buffers at least want bytes of stdin (fewer only at its end). *stopped on a first signal. */
static int stdin_peek(engine *e, source *s, size_t want, bool *stopped, ls_error *err)
{
    int64_t t0 = ls_monotonic_nanos();
    bool told = false;
    for (;;) {
        const char *p;
        size_t n;
        ls_ing_reader_data(s->rd, &p, &n);
        if (n >= want || ls_ing_reader_eof(s->rd))
            return LS_OK;
        if (!told && ls_monotonic_nanos() - t0 > 3000000000LL) {
            told = true;
            logf_(e, "stdin: waiting for %zu bytes of it (%zu so far) to resume", want, n);
        }
        if (abort_requested(e))
            return ls_err(err, LS_ERR_INTERRUPTED, "aborted while reading stdin to resume");
        if (stop_requested(e)) {
            *stopped = true;
            return LS_OK;
        }
        int rc = ls_ing_reader_fill(s->rd, 200, err);
        if (rc)
            return rc;
    }
}

/* Reads and drops n bytes of a stdin pipe; *short_read when it ends first. */
static int stdin_discard(engine *e, source *s, uint64_t n, bool *short_read, bool *stopped,
                         ls_error *err)
{
    while (n > 0) {
        const char *p;
        size_t have;
        ls_ing_reader_data(s->rd, &p, &have);
        if (have) {
            size_t k = have < n ? have : (size_t)n;
            ls_ing_reader_consume(s->rd, k);
            n -= k;
            continue;
        }
        if (ls_ing_reader_eof(s->rd)) {
            *short_read = true;
            return LS_OK;
        }
        int rc = stdin_peek(e, s, 1, stopped, err);
        if (rc || *stopped)
            return rc;
    }
    return LS_OK;
}

/* stdin continues the committed segment from its start (stream_base/lines_base are where
 * the segment starts in the totals), or starts a new one (why says why). */
static void stdin_new_segment(engine *e, source *s, const char *why)
{
    ls_manifest *m = &s->man;
    if (m->stream_offset > m->seg_offset || m->stream_lines > m->seg_lines) {
        m->seg_no++;
        m->seg_offset = m->stream_offset;
        m->seg_lines = m->stream_lines;
        m->head_len = 0;
        m->n_fp = 0;
    }
    s->stream_base = m->seg_offset;
    s->lines_base = m->seg_lines;
    logf_(e, "stdin: a new stream (%s): ingesting it from its first byte as stream segment %" PRIu64
             " (committed before it: %" PRIu64 " bytes, %" PRIu64 " lines)",
          why, m->seg_no, m->seg_offset, m->seg_lines);
}

/* Before the first batch: decides whether stdin replays the stream segment committed by
 * earlier runs (then its committed bytes are skipped) or is a new stream (then all of it
 * is ingested), per --stdin-resume. A replay is recognised by the fingerprint of the
 * segment's first bytes and, for a file, a size of at least the committed bytes. CSV:
 * the header (at the stream's start) is read before the skip. */
static int stdin_resume(engine *e, source *s, ls_error *err)
{
    ls_manifest *m = &s->man;
    ls_stdin_resume mode = e->o->stdin_resume;
    uint64_t seg_bytes = m->stream_offset - m->seg_offset; /* decode checked the order */
    uint64_t seg_lines = m->stream_lines - m->seg_lines;
    s->stream_base = m->seg_offset;
    s->lines_base = m->seg_lines;
    if (seg_bytes == 0) /* nothing of this segment committed: it starts here either way */
        return LS_OK;
    bool stopped = false;
    uint64_t fsize = 0;
    bool seekable = ls_ing_reader_seekable(s->rd, &fsize);
    char why[200];
    if (mode == LS_STDIN_NEW) {
        stdin_new_segment(e, s, "--stdin-resume new");
        return LS_OK;
    }
    if (mode == LS_STDIN_SKIP && seekable && fsize < seg_bytes)
        return ls_err(err, LS_ERR_INVALID,
                      "--stdin-resume skip: stdin is a file of %" PRIu64 " bytes, shorter than "
                      "the %" PRIu64 " bytes (%" PRIu64 " lines) already committed from the "
                      "stream it should replay (segment %" PRIu64 "); if it is new data, use "
                      "--stdin-resume new",
                      fsize, seg_bytes, seg_lines, m->seg_no);
    bool known = m->head_len > 0; /* (tables of an earlier lakestream have no head) */
    if (mode == LS_STDIN_AUTO && !known) {
        stdin_new_segment(e, s, "the table holds no fingerprint of the committed stream; use "
                                "--stdin-resume skip if this replays it");
        return LS_OK;
    }
    if (mode == LS_STDIN_AUTO && seekable && fsize < seg_bytes) {
        snprintf(why, sizeof why,
                 "a file of %" PRIu64 " bytes, shorter than the %" PRIu64 " bytes committed",
                 fsize, seg_bytes);
        stdin_new_segment(e, s, why);
        return LS_OK;
    }
    /* the head byte by byte as it arrives (a new live stream is told by its first
     * differing byte, not after KiBs of it), then the longer fingerprints */
    int rc = LS_OK;
    const char *p;
    size_t n;
    bool same = known;
    why[0] = 0;
    for (size_t k = 0; same;) {
        ls_ing_reader_data(s->rd, &p, &n);
        size_t c = n < m->head_len ? n : m->head_len;
        if (c > k && memcmp(p + k, m->head + k, c - k) != 0) {
            snprintf(why, sizeof why, "its first bytes differ from the committed stream's");
            same = false;
        } else if (c == m->head_len) {
            break;
        } else if (ls_ing_reader_eof(s->rd)) {
            snprintf(why, sizeof why, "it ends within the first %zu bytes of the committed "
                                      "stream",
                     m->head_len);
            same = false;
        } else {
            k = c;
            if ((rc = stdin_peek(e, s, c + 1, &stopped, err)))
                return rc;
            if (stopped)
                goto stop;
        }
    }
    for (int i = 0; i < m->n_fp && same; i++) {
        uint64_t len = m->fp_len[i];
        if ((rc = stdin_peek(e, s, (size_t)len, &stopped, err)))
            return rc;
        if (stopped)
            goto stop;
        ls_ing_reader_data(s->rd, &p, &n);
        if (n < len)
            snprintf(why, sizeof why, "it ends within the first %" PRIu64 " bytes of the "
                                      "committed stream",
                     len);
        else if (ls_hash64(p, (size_t)len, LS_STREAM_FP_SEED) != m->fp[i])
            snprintf(why, sizeof why, "its first %" PRIu64 " bytes differ from the committed "
                                      "stream's",
                     len);
        else
            continue;
        same = false;
    }
    if (!same && mode == LS_STDIN_AUTO) {
        stdin_new_segment(e, s, why);
        return LS_OK;
    }
    if (!same && known)
        logf_(e, "warning: stdin does not start like the committed stream (%s); skipping its "
                 "first %" PRIu64 " bytes anyway (--stdin-resume skip)",
              why, seg_bytes);
    if (!same) { /* the segment goes on with this stream: the next commit fingerprints it */
        m->head_len = 0;
        m->n_fp = 0;
    }
    /* a replay: the header first, then skip what is committed */
    if (s->cur_fmt == LS_ING_CSV) {
        for (;;) {
            if ((rc = csv_read_header(e, s, err)))
                return rc;
            if (s->csv_have_header || ls_ing_reader_eof(s->rd))
                break;
            ls_ing_reader_data(s->rd, &p, &n);
            if ((rc = stdin_peek(e, s, n + 1, &stopped, err)))
                return rc;
            if (stopped)
                goto stop;
        }
    }
    uint64_t at = ls_ing_reader_offset(s->rd);
    if (seg_bytes > at) {
        bool short_read = false;
        if (seekable) {
            if (fsize < seg_bytes) /* (skip mode checked it before: the file shrank since) */
                short_read = true;
            else if ((rc = ls_ing_reader_skip(s->rd, seg_bytes - at, err)))
                return rc;
        } else if ((rc = stdin_discard(e, s, seg_bytes - at, &short_read, &stopped, err))) {
            return rc;
        }
        if (stopped)
            goto stop;
        if (short_read)
            return ls_err(err, LS_ERR_INVALID,
                          "stdin ended at byte %" PRIu64 ", before the %" PRIu64 " bytes (%" PRIu64
                          " lines) already committed from the stream it %s (segment %" PRIu64
                          "): nothing was ingested; if it is new data, use --stdin-resume new",
                          ls_ing_reader_offset(s->rd), seg_bytes, seg_lines,
                          same ? "replays (its first bytes match)" : "should replay",
                          m->seg_no);
        s->cur_line = seg_lines;
    }
    m->stream_offset = s->stream_base + ls_ing_reader_offset(s->rd);
    m->stream_lines = s->lines_base + s->cur_line;
    s->touched = false;
    logf_(e, "stdin: %s stream segment %" PRIu64 ": skipped the %" PRIu64 " bytes (%" PRIu64
             " lines) already in the table; continuing at line %" PRIu64,
          same ? "replays" : "taken as a replay of", m->seg_no, seg_bytes, seg_lines,
          s->cur_line + 1);
    return LS_OK;
stop:
    s->exhausted = true; /* a first signal: nothing more is read (nothing was ingested) */
    return LS_OK;
}

/* ---- the loop ----------------------------------------------------------------------------- */

static void wait_for_input(engine *e, int64_t until_ns)
{
    struct pollfd pf[LS_INGEST_MAX_SOURCES];
    int n = 0;
    bool need_tick = false;
    for (int i = 0; i < e->n_src; i++) {
        source *s = &e->src[i];
        if (s->is_stdin && !s->exhausted) {
            pf[n++] = (struct pollfd){ls_ing_reader_fd(s->rd), POLLIN, 0};
        } else if (s->folder) {
            int fd = ls_folder_fd(s->folder);
            if (fd >= 0)
                pf[n++] = (struct pollfd){fd, POLLIN, 0};
            else
                need_tick = true;
            if (ls_folder_has_unsettled(s->folder))
                need_tick = true;
        }
    }
    int64_t now = ls_monotonic_nanos();
    int64_t ms = until_ns == INT64_MAX ? 200 : (until_ns - now) / 1000000 + 1;
    if (ms > 200)
        ms = 200; /* signals and settling files are checked at least this often */
    if (need_tick && ms > 100)
        ms = 100;
    if (ms < 0)
        ms = 0;
    poll(pf, (nfds_t)n, (int)ms);
}

/* All present work done (available-now / once). */
static bool all_idle(engine *e)
{
    for (int i = 0; i < e->n_src; i++)
        if (src_has_work(&e->src[i]))
            return false;
    return true;
}

static int run_loop(engine *e, ls_error *err)
{
    const ls_ingest_opts *o = e->o;
    bool finite = o->trigger != LS_TRIG_INTERVAL;
    /* available-now and once take what was present at the start (found before the loop) */
    bool discover = !finite;
    int64_t last_poll = 0;
    int rc = LS_OK;
    for (;;) {
        batch_reset(e);
        bool end_after = false;
        for (;;) {
            if (abort_requested(e)) {
                abort_batch(e);
                e->tot.aborted = true;
                return ls_err(err, LS_ERR_INTERRUPTED,
                              "aborted by a second signal: the batch in progress was not "
                              "committed");
            }
            if (stop_requested(e)) {
                end_after = true;
                break;
            }
            if (ls_monotonic_nanos() >= e->deadline_ns)
                break;
            /* discovery at most every 50 ms while busy (a listing costs a readdir) */
            int64_t nowp = ls_monotonic_nanos();
            if (discover && nowp - last_poll >= 50000000) {
                last_poll = nowp;
                if ((rc = poll_sources(e, err)))
                    return rc;
            }
            /* round robin: one step on the next source with work */
            bool progress = false, limit = false;
            for (int k = 0; k < e->n_src && !progress; k++) {
                source *s = &e->src[(e->rr + k) % e->n_src];
                step_result r;
                if ((rc = step_source(e, s, &r, err)))
                    return rc;
                if (r == STEP_PROGRESS)
                    progress = true;
                if (r == STEP_LIMIT)
                    limit = true;
            }
            e->rr = (e->rr + 1) % e->n_src;
            if (limit && !progress) {
                e->limit_hit = true;
                break;
            }
            if (progress)
                continue;
            if (finite && all_idle(e)) {
                end_after = true;
                break;
            }
            if (!finite) {
                bool streams_left = false;
                for (int i = 0; i < e->n_src; i++)
                    streams_left |= !e->src[i].is_stdin || !e->src[i].exhausted;
                if (!streams_left) {
                    end_after = true;
                    break;
                }
            }
            wait_for_input(e, e->deadline_ns);
            last_poll = 0; /* something may have arrived: look now */
        }
        if ((rc = commit_batch(e, err)))
            return rc;
        if (end_after || o->trigger == LS_TRIG_ONCE)
            return LS_OK;
    }
}

static void engine_free(engine *e)
{
    pipeline_stop(e);
    if (e->w)
        ls_delta_writer_abort(e->w);
    if (e->w2)
        ls_delta_writer_abort(e->w2);
    ls_delta_commit_free(e->c);
    for (int i = 0; i < e->n_src; i++) {
        source *s = &e->src[i];
        close_unit(s);
        if (s->is_stdin)
            ls_ing_reader_free(s->rd);
        ls_folder_free(s->folder);
        ls_manifest_free(&s->man);
        ls_manifest_free(&s->pend);
        for (size_t k = 0; k < s->q_len; k++)
            free(s->q[s->q_head + k].name);
        free(s->q);
        ls_buf_free(&s->errs);
        ls_csv_header_free(&s->csv_header);
        ls_csv_tok_free(&s->csv_tok);
        free(s->uri);
        free(s->app_id);
        free(s->domain);
        free(s->err_prefix);
    }
    ls_json_reader_free(e->strict);
    ls_json_reader_free(e->lenient);
    free_bufs(e);
    free(e->undo);
    ls_schema_free(e->pschema);
    ls_schema_free(e->input);
    if (e->have_meta)
        ls_delta_metadata_free(&e->meta);
    ls_delta_protocol_free(&e->proto);
    ls_part_spec_free(&e->spec);
    free(e->pset);
    ls_buf_free(&e->resc);
    ls_buf_free(&e->json);
    ls_obs_list_free(&e->obs);
    ls_delta_snapshot_free(e->snap);
    ls_delta_close(e->t);
}

int ls_ingest_run(const ls_ingest_opts *o, ls_ingest_totals *totals, ls_error *err)
{
    if (!o->table || o->n_sources < 1 || o->n_sources > LS_INGEST_MAX_SOURCES)
        return ls_err(err, LS_ERR_INVALID, "ingest: a table and 1..%d sources are required",
                      LS_INGEST_MAX_SOURCES);
    if (o->trigger == LS_TRIG_INTERVAL && o->interval_ms <= 0)
        return ls_err(err, LS_ERR_INVALID, "ingest: the trigger interval must be positive");
    engine *e = ls_xcalloc(1, sizeof *e);
    e->o = o;
    e->log = o->quiet ? NULL : (o->log ? o->log : stderr);
    e->version = -1;
    e->tot.table_version = -1;
    e->rescue_leaf = -1;
    int rc = LS_OK;
    int n_stdin = 0;
    /* sources */
    for (int i = 0; i < o->n_sources && rc == LS_OK; i++) {
        source *s = &e->src[e->n_src++];
        s->idx = i;
        s->uri = ls_xstrdup(o->sources[i]);
        s->is_stdin = !strcmp(o->sources[i], "-");
        s->app_id = o->app_ids[i] ? ls_xstrdup(o->app_ids[i])
                                  : ls_ingest_default_app_id(o->sources[i]);
        s->domain = ls_xasprintf(LS_INGEST_DOMAIN_PREFIX "%s", s->app_id);
        s->err_prefix = safe_name(s->app_id);
        s->txn = -1;
        ls_manifest_init(&s->man);
        ls_manifest_init(&s->pend);
        for (int j = 0; j < i; j++)
            if (!strcmp(e->src[j].app_id, s->app_id))
                rc = ls_err(err, LS_ERR_INVALID, "two sources have the same app id '%s'",
                            s->app_id);
        if (rc)
            break;
        if (s->is_stdin) {
            if (++n_stdin > 1)
                rc = ls_err(err, LS_ERR_INVALID, "stdin ('-') can be a source only once");
            else
                rc = ls_ing_reader_open("-", LS_ING_PLAIN, &s->rd, NULL, NULL, err);
            s->cur_fmt = o->format == LS_ING_CSV ? LS_ING_CSV : LS_ING_NDJSON;
            s->cur.name = ls_xstrdup("stdin");
        } else {
            rc = ls_folder_open(o->sources[i], o->listing_only, o->settle_ms, &s->folder, err);
        }
    }
    /* shape and partitioning from the options (checked against the table later) */
    if (rc == LS_OK)
        rc = ls_part_spec_parse(o->partition_by, &e->spec, err);
    e->shape.flatten = o->flatten;
    e->shape.explode = o->explode;
    e->shape.rescue = o->rescue;
    e->shape.derived = &e->spec;
    if (rc == LS_OK)
        rc = ls_delta_open(o->table, &e->t, err);
    bool exists = false;
    if (rc == LS_OK)
        rc = load_snapshot(e, &exists, err);
    if (rc == LS_OK && !exists) {
        if (!o->create) {
            rc = ls_err(err, LS_ERR_NOTFOUND,
                        "%s is not a Delta table yet: add --create (with --schema, or the schema "
                        "is inferred from the first data)",
                        o->table);
        } else {
            rc = create_table(e, err);
            bool nothing = false;
            if (rc == LS_ERR_INTERRUPTED && !abort_requested(e)) {
                logf_(e, "stopped before any data arrived: the table was not created");
                nothing = true;
            } else if (rc == LS_ERR_NOTFOUND && o->trigger != LS_TRIG_INTERVAL) {
                logf_(e, "no data to infer the schema from: the table was not created");
                nothing = true;
            }
            if (nothing) {
                ls_error_clear(err);
                if (totals)
                    *totals = e->tot;
                engine_free(e);
                free(e);
                return LS_OK;
            }
            if (rc == LS_OK)
                rc = load_snapshot(e, &exists, err);
            if (rc == LS_OK && !exists)
                rc = ls_err(err, LS_ERR_NOTFOUND, "the table vanished after its creation");
        }
    }
    if (rc == LS_OK)
        rc = load_positions(e, err);
    if (rc == LS_OK)
        rc = setup_from_table(e, err);
    if (rc == LS_OK)
        rc = pipeline_start(e, err);
    for (int i = 0; i < e->n_src && rc == LS_OK; i++)
        if (e->src[i].is_stdin)
            rc = stdin_resume(e, &e->src[i], err);
    if (rc == LS_OK) {
        e->version = ls_delta_snapshot_version(e->snap);
        e->tot.table_version = e->version;
        /* partial files first: put them at the head of their queues */
        for (int i = 0; i < e->n_src; i++) {
            source *s = &e->src[i];
            if (s->man.has_partial && s->folder && !s->rd)
                q_push(s, s->man.partial.name, s->man.partial.size, s->man.partial.mtime_ms);
        }
        /* available-now: wait for files that are still settling at the start */
        if (o->trigger != LS_TRIG_INTERVAL) {
            int64_t t0 = ls_monotonic_nanos();
            for (;;) {
                if ((rc = poll_sources(e, err)))
                    break;
                bool settling = false;
                for (int i = 0; i < e->n_src; i++)
                    settling |= e->src[i].folder && ls_folder_has_unsettled(e->src[i].folder);
                if (!settling || (ls_monotonic_nanos() - t0) / 1000000 > 2 * o->settle_ms + 1000 ||
                    stop_requested(e))
                    break;
                struct timespec ts = {0, 50 * 1000000};
                nanosleep(&ts, NULL);
            }
        }
        write_status(e, "running");
    }
    if (rc == LS_OK)
        rc = run_loop(e, err);
    if (e->snap && e->t)
        write_status(e, rc == LS_OK ? "stopped" : "failed");
    if (totals)
        *totals = e->tot;
    engine_free(e);
    free(e);
    return rc;
}

/* ---- describe -------------------------------------------------------------------------------- */

int ls_ingest_describe(const char *table, ls_buf *out, ls_error *err)
{
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    int rc = ls_delta_open(table, &t, err);
    ls_delta_snapshot_spec spec = {.at = LS_AT_LATEST};
    if (rc == LS_OK)
        rc = ls_delta_snapshot_load(t, &spec, &snap, err);
    if (rc) {
        ls_delta_close(t);
        return rc;
    }
    if (!ls_ingest_describe_snapshot(snap, out))
        ls_buf_puts(out, "(no ingest positions in this table)\n");
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
    return LS_OK;
}

size_t ls_ingest_describe_snapshot(const ls_delta_snapshot *snap, ls_buf *out)
{
    size_t n = ls_delta_snapshot_num_txns(snap), shown = 0;
    for (size_t i = 0; i < n; i++) {
        const ls_delta_txn_action *tx = ls_delta_snapshot_txn(snap, i);
        char *dn = ls_xasprintf(LS_INGEST_DOMAIN_PREFIX "%s", tx->app_id);
        const ls_delta_domain *d = ls_delta_snapshot_domain(snap, dn);
        free(dn);
        if (!d || d->removed || !d->configuration)
            continue;
        ls_manifest m;
        ls_error me = {0};
        if (ls_manifest_decode(d->configuration, &m, &me) != LS_OK) {
            ls_buf_printf(out, "%s: txn %" PRId64 ", unreadable manifest (%s)\n", tx->app_id,
                          tx->version, me.msg);
            shown++;
            continue;
        }
        ls_buf_printf(out, "%s: source %s, batch %" PRId64 ", %zu files done", tx->app_id,
                      m.source ? m.source : "?", m.batch, m.n_files);
        if (m.has_partial)
            ls_buf_printf(out, ", partial %s at byte %" PRIu64 " (line %" PRIu64 ")",
                          m.partial.name, m.partial_offset, m.partial_line);
        if (m.stream_offset || m.stream_lines)
            ls_buf_printf(out, ", stdin at byte %" PRIu64 " (line %" PRIu64 ")", m.stream_offset,
                          m.stream_lines);
        ls_buf_putc(out, '\n');
        if (m.stream_offset || m.stream_lines || m.seg_no) {
            /* what a producer needs: where the current stream is committed up to */
            uint64_t sb = m.stream_offset - m.seg_offset, sl = m.stream_lines - m.seg_lines;
            ls_buf_printf(out, "  stdin stream segment %" PRIu64 ": %" PRIu64 " bytes, %" PRIu64
                               " lines committed (the next line is line %" PRIu64
                               ", at byte %" PRIu64 " of this stream)",
                          m.seg_no, sb, sl, sl + 1, sb);
            if (m.seg_no)
                ls_buf_printf(out, "; earlier streams: %" PRIu64 " bytes, %" PRIu64 " lines",
                              m.seg_offset, m.seg_lines);
            if (m.n_fp)
                ls_buf_printf(out, "; fingerprint of its first %" PRIu64 " bytes %016" PRIx64,
                              m.fp_len[m.n_fp - 1], m.fp[m.n_fp - 1]);
            else if (m.head_len)
                ls_buf_printf(out, "; its first %zu bytes are recorded", m.head_len);
            ls_buf_putc(out, '\n');
        }
        ls_manifest_free(&m);
        shown++;
    }
    return shown;
}
