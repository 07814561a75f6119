/*
 * test_snapshot_update.c - ls_delta_snapshot_update (and dl_snapshot_apply_commit) against
 * fresh loads: a table is built through many commits (adds, removes, deletion vectors with
 * the same path, URI-encoded and absolute paths, metadata and protocol changes, txn and
 * domainMetadata updates and removals, in-commit timestamps, checkpoints in between) and
 * after every commit the updated snapshot must equal a fresh load at the same version in
 * every field the snapshot exposes (compared as a full text dump). Also: failures (corrupt
 * commit, unsupported protocol, bad schema, missing target) leave the snapshot unchanged;
 * a log cleaned up before the snapshot's version does not matter, one cleaned up after it
 * falls back to the newer checkpoint; many pending commits go through the listing path.
 */
#include "delta/dl_int.h"
#include "test.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char t_root[512];
static int t_seq;

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    remove(p);
    return 0;
}

static char *new_dir(void)
{
    return ls_xasprintf("%s/t%d", t_root, ++t_seq);
}

/* ---- dumping every field a snapshot exposes ----------------------------------------- */

static void d_str(ls_buf *b, const char *k, const char *v)
{
    ls_buf_printf(b, "%s=", k);
    if (v)
        ls_buf_json_str(b, v, strlen(v));
    else
        ls_buf_puts(b, "NULL");
    ls_buf_putc(b, ' ');
}

static void d_kv(ls_buf *b, const char *k, const ls_kvlist *l)
{
    ls_buf_printf(b, "%s={", k);
    for (int i = 0; i < l->n; i++) {
        d_str(b, "k", l->keys[i]);
        d_str(b, "v", l->values[i]);
    }
    ls_buf_puts(b, "} ");
}

static void d_dv(ls_buf *b, const ls_delta_dv *dv)
{
    if (!dv) {
        ls_buf_puts(b, "dv=NULL ");
        return;
    }
    ls_buf_printf(b, "dv={type=%c ", dv->storage_type);
    d_str(b, "p", dv->path_or_inline_dv);
    ls_buf_printf(b, "has_off=%d off=%d size=%d card=%" PRId64 "} ", dv->has_offset,
                  dv->has_offset ? dv->offset : 0, dv->size_in_bytes, dv->cardinality);
}

static void dump(const ls_delta_snapshot *s, ls_buf *b)
{
    ls_buf_reset(b);
    ls_buf_printf(b, "version %" PRId64 " timestamp %" PRId64 "\n", ls_delta_snapshot_version(s),
                  ls_delta_snapshot_timestamp(s));
    const ls_delta_protocol *p = ls_delta_snapshot_protocol(s);
    ls_buf_printf(b, "protocol %d %d r[", p->min_reader_version, p->min_writer_version);
    for (int i = 0; i < p->n_reader_features; i++)
        ls_buf_printf(b, "%s,", p->reader_features[i]);
    ls_buf_puts(b, "] w[");
    for (int i = 0; i < p->n_writer_features; i++)
        ls_buf_printf(b, "%s,", p->writer_features[i]);
    ls_buf_puts(b, "]\n");
    const ls_delta_metadata *m = ls_delta_snapshot_metadata(s);
    ls_buf_puts(b, "metadata ");
    d_str(b, "id", m->id);
    d_str(b, "name", m->name);
    d_str(b, "desc", m->description);
    d_str(b, "provider", m->format_provider);
    d_str(b, "schemaString", m->schema_string);
    ls_buf_puts(b, "parts[");
    for (int i = 0; i < m->n_partition_columns; i++)
        ls_buf_printf(b, "%s,", m->partition_columns[i]);
    ls_buf_puts(b, "] ");
    d_kv(b, "conf", &m->configuration);
    ls_buf_printf(b, "created=%" PRId64 " same_schema_ptr=%d\nschema ", m->created_time,
                  m->schema == ls_delta_snapshot_schema(s));
    ls_delta_schema_to_json(ls_delta_snapshot_schema(s), b);
    ls_buf_printf(b, "\nfiles %zu\n", ls_delta_snapshot_num_files(s));
    for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++) {
        const ls_delta_add *a = ls_delta_snapshot_file(s, i);
        ls_buf_puts(b, " add ");
        d_str(b, "path", a->path);
        d_kv(b, "pv", &a->partition_values);
        ls_buf_printf(b, "size=%" PRId64 " mtime=%" PRId64 " dc=%d ", a->size, a->modification_time,
                      a->data_change);
        d_str(b, "stats", a->stats);
        d_kv(b, "tags", &a->tags);
        d_dv(b, a->dv);
        ls_buf_printf(b, "brid=%d:%" PRId64 " drcv=%d:%" PRId64 " ", a->has_base_row_id,
                      a->has_base_row_id ? a->base_row_id : 0, a->has_default_row_commit_version,
                      a->has_default_row_commit_version ? a->default_row_commit_version : 0);
        d_str(b, "clustering", a->clustering_provider);
        ls_buf_putc(b, '\n');
    }
    ls_buf_printf(b, "tombstones %zu\n", ls_delta_snapshot_num_tombstones(s));
    for (size_t i = 0; i < ls_delta_snapshot_num_tombstones(s); i++) {
        const ls_delta_remove *r = ls_delta_snapshot_tombstone(s, i);
        ls_buf_puts(b, " remove ");
        d_str(b, "path", r->path);
        ls_buf_printf(b, "dts=%d:%" PRId64 " dc=%d ext=%d ", r->has_deletion_timestamp,
                      r->has_deletion_timestamp ? r->deletion_timestamp : 0, r->data_change,
                      r->extended_file_metadata);
        d_kv(b, "pv", &r->partition_values);
        ls_buf_printf(b, "size=%d:%" PRId64 " ", r->has_size, r->has_size ? r->size : 0);
        d_dv(b, r->dv);
        ls_buf_putc(b, '\n');
    }
    ls_buf_printf(b, "txns %zu\n", ls_delta_snapshot_num_txns(s));
    for (size_t i = 0; i < ls_delta_snapshot_num_txns(s); i++) {
        const ls_delta_txn_action *x = ls_delta_snapshot_txn(s, i);
        ls_buf_puts(b, " txn ");
        d_str(b, "app", x->app_id);
        ls_buf_printf(b, "v=%" PRId64 " lu=%d:%" PRId64 " lookup=%" PRId64 "\n", x->version,
                      x->has_last_updated, x->has_last_updated ? x->last_updated : 0,
                      ls_delta_snapshot_txn_version(s, x->app_id));
    }
    ls_buf_printf(b, "domains %zu\n", dl_snapshot_num_domains(s));
    for (size_t i = 0; i < dl_snapshot_num_domains(s); i++) {
        const ls_delta_domain *d = dl_snapshot_domain_at(s, i);
        ls_buf_puts(b, " domain ");
        d_str(b, "name", d->domain);
        d_str(b, "conf", d->configuration);
        ls_buf_printf(b, "removed=%d lookup_same=%d\n", d->removed,
                      ls_delta_snapshot_domain(s, d->domain) == d);
    }
    ls_buf_cstr(b);
}

/* Prints the first differing line of two dumps. */
static bool same_dump(ls_buf *a, ls_buf *b, const char *what)
{
    if (a->len == b->len && memcmp(a->data, b->data, a->len) == 0) return true;
    const char *x = (const char *)a->data, *y = (const char *)b->data;
    int line = 1;
    while (*x && *x == *y) {
        if (*x == '\n') line++;
        x++, y++;
    }
    while (x > (const char *)a->data && x[-1] != '\n')
        x--, y--;
    printf("  %s differs at dump line %d:\n    update: %.300s\n    fresh:  %.300s\n", what, line, x,
           y);
    return false;
}

/* s must equal a fresh load of t at s's version. */
static bool matches_fresh(ls_delta_table *t, const ls_delta_snapshot *s, const char *what)
{
    ls_error err = {0};
    ls_delta_snapshot *f = NULL;
    ls_delta_snapshot_spec spec = {.at = LS_AT_VERSION, .version = ls_delta_snapshot_version(s)};
    int rc = ls_delta_snapshot_load(t, &spec, &f, &err);
    CHECK_OK(rc, &err);
    if (rc) return false;
    ls_buf a = {0}, b = {0};
    dump(s, &a);
    dump(f, &b);
    bool ok = same_dump(&a, &b, what);
    ls_buf_free(&a);
    ls_buf_free(&b);
    ls_delta_snapshot_free(f);
    return ok;
}

/* ---- building tables ------------------------------------------------------------------ */

static ls_delta_table *create_table(const char *ddl, const char *props, char **dir_out)
{
    ls_error err = {0};
    char *dir = new_dir();
    ls_delta_table *t = NULL;
    ls_schema *s = NULL;
    CHECK_OK(ls_schema_parse_ddl(ddl, &s, &err), &err);
    CHECK_OK(ls_delta_open(dir, &t, &err), &err);
    const char *pc[1] = {"p"};
    ls_kvlist kv = {0};
    char prbuf[512];
    if (props) {
        snprintf(prbuf, sizeof prbuf, "%s", props);
        for (char *tok = strtok(prbuf, ";"); tok; tok = strtok(NULL, ";")) {
            char *eq = strchr(tok, '=');
            *eq = 0;
            ls_kvlist_set(&kv, tok, eq + 1);
        }
    }
    ls_delta_create_opts o = {
        .schema = s, .partition_columns = pc, .n_partition_columns = 1, .properties = &kv};
    CHECK_OK(ls_delta_create(t, &o, &err), &err);
    ls_kvlist_free(&kv);
    ls_schema_free(s);
    if (dir_out)
        *dir_out = dir;
    else
        free(dir);
    return t;
}

static ls_delta_snapshot *load(ls_delta_table *t, int64_t version)
{
    ls_error err = {0};
    ls_delta_snapshot *s = NULL;
    ls_delta_snapshot_spec spec = {.at = version < 0 ? LS_AT_LATEST : LS_AT_VERSION,
                                   .version = version};
    CHECK_OK(ls_delta_snapshot_load(t, &spec, &s, &err), &err);
    return s;
}

static void set_add(ls_delta_add *a, const char *path, const char *p, int64_t size)
{
    memset(a, 0, sizeof *a);
    a->path = (char *)path;
    ls_kvlist_set(&a->partition_values, "p", p);
    a->size = size;
    a->modification_time = 1700000000000 + size;
    a->data_change = true;
}

static void add_file(ls_delta_commit *c, const char *path, const char *p, int64_t size,
                     const ls_delta_dv *dv, bool with_stats)
{
    ls_delta_add a;
    set_add(&a, path, p, size);
    char stats[128];
    snprintf(stats, sizeof stats, "{\"numRecords\":%" PRId64 ",\"nullCount\":{\"id\":0}}", size);
    if (with_stats) a.stats = stats;
    if (size % 3 == 0) ls_kvlist_set(&a.tags, "INSERTION_TIME", "1700000000000000");
    a.dv = (ls_delta_dv *)dv;
    ls_delta_commit_add(c, &a);
    ls_kvlist_free(&a.partition_values);
    ls_kvlist_free(&a.tags);
}

static void remove_file(ls_delta_commit *c, const char *path, const char *p, int64_t size,
                        const ls_delta_dv *dv)
{
    ls_delta_remove r;
    memset(&r, 0, sizeof r);
    r.path = (char *)path;
    /* recent: a checkpoint drops tombstones older than the retention (a fresh load from it
     * would then differ from the replayed commits, by design) */
    r.has_deletion_timestamp = true;
    r.deletion_timestamp = ls_now_micros() / 1000 + size;
    r.data_change = true;
    r.extended_file_metadata = true;
    ls_kvlist_set(&r.partition_values, "p", p);
    r.has_size = true;
    r.size = size;
    r.dv = (ls_delta_dv *)dv;
    ls_delta_commit_remove(c, &r);
    ls_kvlist_free(&r.partition_values);
}

static int64_t run(ls_delta_commit *c)
{
    ls_error err = {0};
    int64_t v = -1;
    CHECK_OK(ls_delta_commit_run(c, &v, &err), &err);
    ls_delta_commit_free(c);
    return v;
}

static void raw_commit(ls_delta_table *t, int64_t v, const char *text, bool overwrite)
{
    ls_error err = {0};
    char key[64];
    snprintf(key, sizeof key, "_delta_log/%020" PRId64 ".json", v);
    if (overwrite)
        CHECK_OK(ls_store_put(ls_delta_store(t), key, text, strlen(text), &err), &err);
    else
        CHECK_OK(ls_store_put_if_absent(ls_delta_store(t), key, text, strlen(text), &err), &err);
}

static void del_key(ls_delta_table *t, const char *fmt, int64_t v)
{
    ls_error err = {0};
    char key[96];
    snprintf(key, sizeof key, fmt, v);
    CHECK_OK(ls_store_delete(ls_delta_store(t), key, &err), &err);
}

static ls_buf read_key(ls_delta_table *t, int64_t v)
{
    ls_error err = {0};
    ls_buf b = {0};
    char key[64];
    snprintf(key, sizeof key, "_delta_log/%020" PRId64 ".json", v);
    CHECK_OK(ls_store_get(ls_delta_store(t), key, &b, &err), &err);
    return b;
}

static const ls_delta_dv DV1 = {'u', "ab^-aqEH.-t@S}K{vb[*k^", true, 1, 40, 6};
static const ls_delta_dv DV2 = {'u', "ab^-aqEH.-t@S}K{vb[*k^", true, 77, 41, 9};
static const ls_delta_dv DV3 = {
    'i', "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", false, 0, 40, 2};

/* ---- the main comparison ------------------------------------------------------------------ */

/* One commit per step, through the commit API with the updated snapshot as read snapshot (as
 * the ingest engine does); after each: s updated with ls_delta_snapshot_update, s2 with
 * dl_snapshot_apply_commit, both compared with fresh loads. */
static void test_update_matches_fresh_load(void)
{
    char *dir = NULL;
    ls_delta_table *t = create_table("id BIGINT, p STRING",
                                     "delta.enableDeletionVectors=true;"
                                     "delta.enableInCommitTimestamps=true",
                                     &dir);
    ls_delta_snapshot *s = load(t, -1), *s2 = load(t, -1);
    if (!s || !s2) return;
    ls_error err = {0};
    char path[256];
    int mismatches = 0, checkpoints = 0;
    for (int step = 1; step <= 45; step++) {
        ls_delta_commit *c = ls_delta_commit_new(t, s);
        ls_delta_commit_set_operation(c, "WRITE", "{\"mode\":\"Append\"}");
        const char *part = step % 3 == 0 ? "a" : step % 3 == 1 ? "b" : "c c";
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "p=%s/part-%03d-%d.parquet", step % 3 == 2 ? "c%20c" : part,
                     step, k);
            add_file(c, path, part, step * 10 + k, NULL, k != 1);
        }
        if (step % 3 == 0 && step > 3) { /* remove a file added three steps ago */
            snprintf(path, sizeof path, "p=a/part-%03d-0.parquet", step - 3);
            remove_file(c, path, "a", (step - 3) * 10, NULL);
        }
        if (step % 4 == 1) ls_delta_commit_set_txn(c, step % 8 == 1 ? "app-x" : "app-y", step);
        if (step % 5 == 2) {
            char conf[64];
            snprintf(conf, sizeof conf, "{\"step\":%d}", step);
            ls_delta_domain d = {.domain = step % 10 == 2 ? "dom.a" : "dom.b",
                                 .configuration = conf};
            ls_delta_commit_set_domain(c, &d);
        }
        if (step == 16 || step == 33) {
            ls_delta_domain d = {.domain = "dom.a", .configuration = "{}", .removed = true};
            ls_delta_commit_set_domain(c, &d);
        }
        if (step == 6 || step == 26) { /* metadata change: schema and a property */
            ls_delta_metadata m;
            dl_metadata_copy(&m, ls_delta_snapshot_metadata(s));
            free(m.schema_string);
            m.schema_string = NULL;
            ls_schema_free(m.schema);
            m.schema = NULL;
            CHECK_OK(ls_schema_parse_ddl(step == 6 ? "id BIGINT, p STRING, note STRING"
                                                   : "id BIGINT, p STRING, note STRING, x DOUBLE",
                                         &m.schema, &err),
                     &err);
            ls_kvlist_set(&m.configuration, "lakestream.test.step", step == 6 ? "6" : "26");
            free(m.description);
            m.description = ls_xstrdup(step == 6 ? "first change" : "second change");
            ls_delta_commit_set_metadata(c, &m);
            ls_delta_metadata_free(&m);
        }
        if (step == 8) { /* protocol change: add the domainMetadata writer feature */
            ls_delta_protocol p;
            dl_protocol_copy(&p, ls_delta_snapshot_protocol(s));
            bool has = false;
            for (int i = 0; i < p.n_writer_features; i++)
                has |= !strcmp(p.writer_features[i], "domainMetadata");
            if (!has) {
                p.writer_features = ls_xrealloc(p.writer_features,
                                                (size_t)(p.n_writer_features + 1) * sizeof(char *));
                p.writer_features[p.n_writer_features++] = ls_xstrdup("domainMetadata");
            }
            ls_delta_commit_set_protocol(c, &p);
            ls_delta_protocol_free(&p);
        }
        /* deletion vectors on one file: same path, changing DV */
        if (step == 11) {
            add_file(c, "p=b/dv-file.parquet", "b", 500, NULL, true);
            add_file(c, "p=b/revive.parquet", "b", 501, NULL, true);
        }
        if (step == 12) {
            remove_file(c, "p=b/dv-file.parquet", "b", 500, NULL);
            add_file(c, "p=b/dv-file.parquet", "b", 500, &DV1, true);
            remove_file(c, "p=b/revive.parquet", "b", 501, NULL);
        }
        if (step == 13) { /* add before remove in the same commit */
            add_file(c, "p=b/dv-file.parquet", "b", 500, &DV2, true);
            remove_file(c, "p=b/dv-file.parquet", "b", 500, &DV1);
        }
        if (step == 14) { /* a remove whose DV does not match: only a tombstone */
            remove_file(c, "p=b/dv-file.parquet", "b", 500, &DV3);
            add_file(c, "p=b/revive.parquet", "b", 502, NULL, true); /* tombstone revived */
        }
        if (step == 15) {
            remove_file(c, "p=b/dv-file.parquet", "b", 500, &DV2);
            add_file(c, "p=b/dv-file.parquet", "b", 500, &DV3, false);
        }
        if (step == 17) { /* the URI-encoded file is removed by its decoded path */
            remove_file(c, "p=c c/part-002-0.parquet", "c c", 20, NULL);
        }
        if (step == 18) { /* absolute path inside the table */
            char *rp = realpath(dir, NULL);
            snprintf(path, sizeof path, "file://%s/p=a/absolute.parquet", rp ? rp : dir);
            free(rp);
            add_file(c, path, "a", 900, NULL, true);
        }
        if (step == 19) remove_file(c, "p=a/absolute.parquet", "a", 900, NULL);
        int64_t v = run(c);
        if (v < 0) break;
        if (v % 10 == 0) checkpoints++;
        /* s: alternately to the latest and to the exact version */
        CHECK_OK(ls_delta_snapshot_update(s, t, step % 2 ? -1 : v, &err), &err);
        CHECK(ls_delta_snapshot_version(s) == v);
        char what[64];
        snprintf(what, sizeof what, "update at version %" PRId64, v);
        if (!matches_fresh(t, s, what)) mismatches++;
        /* s2: the commit's bytes applied directly */
        ls_buf b = read_key(t, v);
        CHECK_OK(dl_snapshot_apply_commit(s2, v, b.data, b.len, &err), &err);
        ls_buf_free(&b);
        snprintf(what, sizeof what, "apply_commit at version %" PRId64, v);
        if (!matches_fresh(t, s2, what)) mismatches++;
        /* nothing new: a no-op */
        CHECK_OK(ls_delta_snapshot_update(s, t, -1, &err), &err);
        CHECK(ls_delta_snapshot_version(s) == v);
    }
    CHECK(mismatches == 0);
    CHECK(checkpoints >= 4);
    /* the table state the steps were meant to produce */
    const ls_delta_domain *da = ls_delta_snapshot_domain(s, "dom.a"); /* removed at 33, set at 42 */
    CHECK(da && !strcmp(da->configuration, "{\"step\":42}"));
    const ls_delta_domain *db = ls_delta_snapshot_domain(s, "dom.b");
    CHECK(db && !strcmp(db->configuration, "{\"step\":37}"));
    CHECK(ls_delta_snapshot_txn_version(s, "app-x") == 41);
    CHECK(ls_delta_snapshot_txn_version(s, "app-y") == 45);
    CHECK_STR(ls_delta_snapshot_property(s, "lakestream.test.step", ""), "26");
    size_t dv_tombs = 0, dvf = 0;
    for (size_t i = 0; i < ls_delta_snapshot_num_tombstones(s); i++)
        if (!strcmp(ls_delta_snapshot_tombstone(s, i)->path, "p=b/dv-file.parquet")) dv_tombs++;
    for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++) {
        const ls_delta_add *a = ls_delta_snapshot_file(s, i);
        if (!strcmp(a->path, "p=b/dv-file.parquet")) dvf += a->dv && a->dv->storage_type == 'i';
        CHECK(strcmp(a->path, "p=b/revive.parquet") || a->size == 502);
        CHECK(!strstr(a->path, "absolute.parquet"));
        CHECK(strcmp(a->path, "p=c%20c/part-002-0.parquet"));
    }
    CHECK(dv_tombs == 3); /* (no DV), DV1, DV2; DV3's was revived by its add */
    CHECK(dvf == 1);
    /* a multi-commit update and a checkpoint written from an updated snapshot */
    ls_delta_snapshot *old = load(t, 20);
    CHECK_OK(ls_delta_snapshot_update(old, t, -1, &err), &err);
    CHECK(matches_fresh(t, old, "update 20 -> latest"));
    ls_delta_snapshot_free(old);
    CHECK_OK(ls_delta_checkpoint_write(t, s, &err), &err);
    CHECK(matches_fresh(t, s, "fresh load from the checkpoint of an updated snapshot"));
    ls_delta_snapshot_free(s);
    ls_delta_snapshot_free(s2);
    ls_delta_close(t);
    free(dir);
}

/* ---- failures leave the snapshot as it was -------------------------------------------- */

static const char CI[] = "{\"commitInfo\":{\"timestamp\":1700000000000,\"operation\":\"WRITE\"}}\n";

static void test_failures_leave_snapshot_unchanged(void)
{
    ls_delta_table *t = create_table("id BIGINT, p STRING", NULL, NULL);
    ls_delta_snapshot *s = load(t, -1);
    if (!s) return;
    ls_error err = {0};
    ls_buf before = {0}, after = {0};
    char text[2048];
    snprintf(
        text, sizeof text,
        "%s{\"add\":{\"path\":\"p=a/1.parquet\",\"partitionValues\":{\"p\":\"a\"},\"size\":1,"
        "\"modificationTime\":1,\"dataChange\":true}}\n{\"txn\":{\"appId\":\"a\",\"version\":1}}\n",
        CI);
    raw_commit(t, 1, text, false);
    /* version 2: a good add, then a malformed line */
    snprintf(
        text, sizeof text,
        "%s{\"add\":{\"path\":\"p=a/2.parquet\",\"partitionValues\":{\"p\":\"a\"},\"size\":2,"
        "\"modificationTime\":1,\"dataChange\":true}}\n{\"remove\":{\"path\":\"p=a/1.parquet\","
        "\"dataChange\":true}}\n{\"txn\":{\"appId\":\"a\",\"version\":2}}\n{\"add\":{\"path\":\n",
        CI);
    raw_commit(t, 2, text, false);
    dump(s, &before);
    int rc = ls_delta_snapshot_update(s, t, -1, &err);
    CHECK(rc == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "00000000000000000002.json") != NULL);
    dump(s, &after);
    CHECK(same_dump(&after, &before, "after a corrupt commit"));
    CHECK(ls_delta_snapshot_version(s) == 0);
    CHECK(matches_fresh(t, s, "after a corrupt commit"));
    /* up to the good version works; beyond it fails again */
    CHECK_OK(ls_delta_snapshot_update(s, t, 1, &err), &err);
    CHECK(matches_fresh(t, s, "at version 1"));
    dump(s, &before);
    CHECK(ls_delta_snapshot_update(s, t, -1, &err) == LS_ERR_CORRUPT);
    dump(s, &after);
    CHECK(same_dump(&after, &before, "second failure"));
    CHECK(ls_delta_snapshot_update(s, t, 7, &err) == LS_ERR_CORRUPT); /* fails on the way */
    CHECK(ls_delta_snapshot_update(s, t, 0, &err) == LS_ERR_INVALID); /* in the past */
    dump(s, &after);
    CHECK(same_dump(&after, &before, "bad targets"));
    /* repaired: the whole commit applies */
    text[strlen(text) - strlen("{\"add\":{\"path\":\n")] = 0;
    raw_commit(t, 2, text, true);
    dump(s, &before);
    CHECK(ls_delta_snapshot_update(s, t, 7, &err) == LS_ERR_NOTFOUND); /* beyond the latest */
    dump(s, &after);
    CHECK(same_dump(&after, &before, "missing target"));
    CHECK_OK(ls_delta_snapshot_update(s, t, -1, &err), &err);
    CHECK(ls_delta_snapshot_version(s) == 2);
    CHECK(matches_fresh(t, s, "repaired"));
    CHECK(ls_delta_snapshot_txn_version(s, "a") == 2);
    /* an unsupported protocol */
    snprintf(text, sizeof text,
             "%s{\"protocol\":{\"minReaderVersion\":9,\"minWriterVersion\":9}}\n"
             "{\"add\":{\"path\":\"p=a/3.parquet\",\"partitionValues\":{\"p\":\"a\"},\"size\":3,"
             "\"modificationTime\":1,\"dataChange\":true}}\n",
             CI);
    raw_commit(t, 3, text, false);
    dump(s, &before);
    rc = ls_delta_snapshot_update(s, t, -1, &err);
    CHECK(rc == LS_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "unsupported Delta feature") != NULL);
    dump(s, &after);
    CHECK(same_dump(&after, &before, "unsupported protocol"));
    /* a schema that does not parse */
    snprintf(text, sizeof text,
             "%s{\"metaData\":{\"id\":\"x\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
             "\"schemaString\":\"{\\\"type\\\":\\\"nonsense\\\"}\",\"partitionColumns\":[],"
             "\"configuration\":{}}}\n",
             CI);
    raw_commit(t, 3, text, true);
    rc = ls_delta_snapshot_update(s, t, -1, &err);
    CHECK(rc != LS_OK);
    dump(s, &after);
    CHECK(same_dump(&after, &before, "bad schema"));
    CHECK(matches_fresh(t, s, "bad schema"));
    /* a commit without commitInfo: the timestamp comes from the file */
    snprintf(text, sizeof text,
             "{\"add\":{\"path\":\"p=a/3.parquet\",\"partitionValues\":{\"p\":\"a\"},\"size\":3,"
             "\"modificationTime\":1,\"dataChange\":true}}\n");
    raw_commit(t, 3, text, true);
    CHECK_OK(ls_delta_snapshot_update(s, t, -1, &err), &err);
    CHECK(matches_fresh(t, s, "no commitInfo"));
    ls_buf_free(&before);
    ls_buf_free(&after);
    ls_delta_snapshot_free(s);
    /* a snapshot of another table handle is refused */
    ls_delta_table *t2 = create_table("id BIGINT, p STRING", NULL, NULL);
    ls_delta_snapshot *s2 = load(t2, -1);
    CHECK(ls_delta_snapshot_update(s2, t, -1, &err) == LS_ERR_INVALID);
    ls_delta_snapshot_free(s2);
    ls_delta_close(t2);
    ls_delta_close(t);
}

/* ---- cleaned-up logs and long gaps -------------------------------------------------------- */

static int64_t api_commit(ls_delta_table *t, int i)
{
    ls_delta_snapshot *s = load(t, -1);
    if (!s) return -1;
    ls_delta_commit *c = ls_delta_commit_new(t, s);
    char path[64];
    snprintf(path, sizeof path, "p=q/f-%04d.parquet", i);
    add_file(c, path, "q", i + 1, NULL, true);
    if (i % 4 == 3) {
        snprintf(path, sizeof path, "p=q/f-%04d.parquet", i - 2);
        remove_file(c, path, "q", i - 1, NULL);
    }
    ls_delta_commit_set_txn(c, "app", i);
    int64_t v = run(c);
    ls_delta_snapshot_free(s);
    return v;
}

static void test_cleaned_log(void)
{
    ls_delta_table *t = create_table("id BIGINT, p STRING", NULL, NULL);
    ls_error err = {0};
    for (int i = 1; i <= 22; i++)
        api_commit(t, i);
    ls_delta_snapshot *recent = load(t, 22), *stale = load(t, 3), *stale2 = load(t, 5);
    if (!recent || !stale || !stale2) return;
    for (int i = 23; i <= 25; i++)
        api_commit(t, i);
    /* metadata cleanup: commits 0..19 and checkpoint 10 go (checkpoint 20 stays) */
    for (int64_t v = 0; v < 20; v++)
        del_key(t, "_delta_log/%020" PRId64 ".json", v);
    del_key(t, "_delta_log/%020" PRId64 ".checkpoint.parquet", 10);
    /* the log before the snapshot's version is gone: irrelevant */
    CHECK_OK(ls_delta_snapshot_update(recent, t, -1, &err), &err);
    CHECK(ls_delta_snapshot_version(recent) == 25);
    CHECK(matches_fresh(t, recent, "recent snapshot, log cleaned before it"));
    /* the commits after the snapshot's version are gone: load from checkpoint 20 */
    CHECK_OK(ls_delta_snapshot_update(stale, t, -1, &err), &err);
    CHECK(ls_delta_snapshot_version(stale) == 25);
    CHECK(matches_fresh(t, stale, "stale snapshot, log cleaned after it"));
    CHECK_OK(ls_delta_snapshot_update(stale2, t, 24, &err), &err);
    CHECK(ls_delta_snapshot_version(stale2) == 24);
    CHECK(matches_fresh(t, stale2, "stale snapshot to version 24"));
    /* and it keeps updating incrementally afterwards */
    api_commit(t, 26);
    CHECK_OK(ls_delta_snapshot_update(stale2, t, -1, &err), &err);
    CHECK(matches_fresh(t, stale2, "after the fallback"));
    /* without any checkpoint after it, a missing commit is an error and changes nothing */
    ls_delta_snapshot *s = load(t, 26);
    ls_buf before = {0}, after = {0};
    if (s) {
        dump(s, &before);
        raw_commit(t, 28, CI, false); /* 27 missing */
        CHECK(ls_delta_snapshot_update(s, t, 28, &err) == LS_ERR_CORRUPT);
        dump(s, &after);
        CHECK(same_dump(&after, &before, "missing commit"));
        CHECK_OK(ls_delta_snapshot_update(s, t, -1, &err), &err); /* 27 absent: latest is 26 */
        CHECK(ls_delta_snapshot_version(s) == 26);
    }
    ls_buf_free(&before);
    ls_buf_free(&after);
    ls_delta_snapshot_free(s);
    ls_delta_snapshot_free(recent);
    ls_delta_snapshot_free(stale);
    ls_delta_snapshot_free(stale2);
    ls_delta_close(t);
}

/* More pending commits than the probe reads one by one: the listing path (prefetch), and
 * with checkpoints in range possibly a load from the checkpoint. */
static void test_many_pending_commits(void)
{
    for (int variant = 0; variant < 2; variant++) {
        ls_delta_table *t = create_table("id BIGINT, p STRING",
                                         variant ? NULL : "delta.checkpointInterval=1000", NULL);
        ls_error err = {0};
        ls_delta_snapshot *s = load(t, -1);
        if (!s) return;
        for (int i = 1; i <= 75; i++)
            api_commit(t, i);
        CHECK_OK(ls_delta_snapshot_update(s, t, -1, &err), &err);
        CHECK(ls_delta_snapshot_version(s) == 75);
        CHECK(matches_fresh(t, s, variant ? "75 commits, checkpoints" : "75 commits"));
        ls_delta_snapshot *s2 = load(t, 2);
        CHECK_OK(ls_delta_snapshot_update(s2, t, 60, &err), &err);
        CHECK(matches_fresh(t, s2, "2 -> 60"));
        ls_delta_snapshot_free(s2);
        ls_delta_snapshot_free(s);
        ls_delta_close(t);
    }
}

/* Thousands of files: the snapshot's files live in the chunked allocator (past 2048 packs)
 * and updates free and add packs there; paths are spread so inserts land everywhere. */
static void test_large_table(void)
{
    ls_delta_table *t = create_table("id BIGINT, p STRING", NULL, NULL);
    ls_error err = {0};
    ls_buf b = {0};
    ls_buf_puts(&b, CI);
    for (int i = 0; i < 4000; i++)
        ls_buf_printf(
            &b,
            "{\"add\":{\"path\":\"p=%c/f-%05d.parquet\",\"partitionValues\":{\"p\":\"%c\"},"
            "\"size\":%d,\"modificationTime\":1,\"dataChange\":true,\"stats\":"
            "\"{\\\"numRecords\\\":%d}\"}}\n",
            'a' + i % 7, (i * 7919) % 10007, 'a' + i % 7, i, i);
    raw_commit(t, 1, ls_buf_cstr(&b), false);
    ls_delta_snapshot *s = load(t, 1);
    if (!s) {
        ls_buf_free(&b);
        return;
    }
    int mismatches = 0;
    int64_t now = ls_now_micros() / 1000;
    for (int v = 2; v <= 12; v++) {
        ls_buf_reset(&b);
        ls_buf_puts(&b, CI);
        for (int k = 0; k < 150; k++) { /* remove 150 files of the first commit */
            int i = (v * 150 + k * 13) % 4000;
            ls_buf_printf(
                &b,
                "{\"remove\":{\"path\":\"p=%c/f-%05d.parquet\",\"deletionTimestamp\":%" PRId64
                ",\"dataChange\":true}}\n",
                'a' + i % 7, (i * 7919) % 10007, now);
        }
        for (int k = 0; k < 80; k++) /* and add 80 new ones */
            ls_buf_printf(
                &b,
                "{\"add\":{\"path\":\"p=%c/g-%02d-%03d.parquet\",\"partitionValues\":{\"p\":"
                "\"%c\"},\"size\":%d,\"modificationTime\":2,\"dataChange\":true}}\n",
                'a' + k % 7, v, (k * 37) % 101, 'a' + k % 7, k);
        raw_commit(t, v, ls_buf_cstr(&b), false);
        if (v == 6) { /* a checkpoint in between, for the fresh loads */
            ls_delta_snapshot *f = load(t, 6);
            if (f) CHECK_OK(ls_delta_checkpoint_write(t, f, &err), &err);
            ls_delta_snapshot_free(f);
        }
        CHECK_OK(ls_delta_snapshot_update(s, t, -1, &err), &err);
        char what[64];
        snprintf(what, sizeof what, "large table at version %d", v);
        if (!matches_fresh(t, s, what)) mismatches++;
    }
    CHECK(mismatches == 0);
    CHECK(ls_delta_snapshot_num_files(s) > 2000);
    /* loaded exactly at the checkpoint (no index from the replay): built by the update */
    ls_delta_snapshot *c6 = load(t, 6);
    if (c6) {
        CHECK_OK(ls_delta_snapshot_update(c6, t, 9, &err), &err);
        CHECK(matches_fresh(t, c6, "from the checkpoint at 6 to 9"));
        CHECK_OK(ls_delta_snapshot_update(c6, t, -1, &err), &err);
        CHECK(matches_fresh(t, c6, "from 9 to the latest"));
    }
    ls_delta_snapshot_free(c6);
    ls_buf_free(&b);
    ls_delta_snapshot_free(s);
    ls_delta_close(t);
}

int main(void)
{
    const char *base = getenv("LS_TMP");
    snprintf(t_root, sizeof t_root, "%s/test_snapshot_update.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(t_root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_update_matches_fresh_load);
    RUN(test_failures_leave_snapshot_unchanged);
    RUN(test_cleaned_log);
    RUN(test_many_pending_commits);
    RUN(test_large_table);
    nftw(t_root, rm_cb, 32, FTW_DEPTH | FTW_PHYS);
    TEST_MAIN_END();
}
