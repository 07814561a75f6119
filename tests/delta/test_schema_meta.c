/*
 * test_schema_meta.c - Delta schema field metadata and type widening:
 * parse -> serialize keeps every metadata key of every struct field (comments,
 * invariants, generation expressions, delta.typeChanges, column mapping, nested
 * objects, escapes); clone/copy keep it. Which type changes are widenings
 * (PROTOCOL.md §Type Widening); ls_delta_evolve_schema appending to the
 * delta.typeChanges history (fieldPath below arrays/maps, nested struct fields,
 * tableVersion on preview tables), enabling delta.enableTypeWidening and adding
 * the typeWidening feature; its refusals. Table features: legacy protocol
 * versions converted to feature lists. End to end: the commit refuses an
 * undeclared widening; a declared one commits, and a scan reads old INT32/FLOAT
 * files and new INT64/DOUBLE files as BIGINT/DOUBLE, also after a checkpoint.
 */
#include "delta/dl_int.h"
#include "scan/scan.h"
#include "test.h"

#include <ftw.h>
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

/* ---- JSON comparison ignoring object key order ----------------------------------------- */

static bool json_same(const ls_json *a, const ls_json *b)
{
    if (!a || !b || a->type != b->type)
        return false;
    switch (a->type) {
    case LS_JSON_NULL: return true;
    case LS_JSON_BOOL: return a->b == b->b;
    case LS_JSON_NUMBER: return a->num == b->num;
    case LS_JSON_STRING: return a->len == b->len && !memcmp(a->text, b->text, a->len);
    case LS_JSON_ARRAY:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!json_same(&a->items[i], &b->items[i]))
                return false;
        return true;
    case LS_JSON_OBJECT:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!json_same(&a->items[i], ls_json_get(b, a->keys[i])))
                return false;
        return true;
    }
    return false;
}

static bool json_text_same(const char *x, const char *y)
{
    ls_arena a;
    ls_arena_init(&a, 4096);
    ls_json *jx = NULL, *jy = NULL;
    ls_error err = {0};
    bool ok = ls_json_parse(x, strlen(x), &a, &jx, &err) == LS_OK &&
              ls_json_parse(y, strlen(y), &a, &jy, &err) == LS_OK && json_same(jx, jy);
    ls_arena_free(&a);
    return ok;
}

static char *schema_json(const ls_schema *s)
{
    ls_buf b = {0};
    ls_delta_schema_to_json(s, &b);
    return ls_buf_cstr(&b);
}

/* ---- metadata round trip -------------------------------------------------------------- */

static const char *META_SCHEMA =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{\"comment\":\"the key "
    "\\\"id\\\" \\u00e9\\n\",\"delta.invariants\":\"{\\\"expression\\\":{\\\"expression\\\":"
    "\\\"id > 0\\\"}}\"}},"
    "{\"name\":\"v\",\"type\":\"long\",\"nullable\":true,\"metadata\":{\"delta.typeChanges\":["
    "{\"fromType\":\"short\",\"toType\":\"integer\"},{\"tableVersion\":4,\"fromType\":\"integer\","
    "\"toType\":\"long\"}]}},"
    "{\"name\":\"g\",\"type\":\"date\",\"nullable\":true,\"metadata\":{"
    "\"delta.generationExpression\":\"CAST(ts AS DATE)\",\"x\":{\"n\":[1,2.5e3,-0.0,true,null]}}},"
    "{\"name\":\"cm\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{"
    "\"delta.columnMapping.id\":7,\"comment\":\"mapped\","
    "\"delta.columnMapping.physicalName\":\"col-abc\"}},"
    "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"elementType\":{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"inner\",\"type\":\"double\",\"nullable\":true,\"metadata\":{\"comment\":\"deep\"}}]},"
    "\"containsNull\":true},\"nullable\":true,\"metadata\":{\"delta.typeChanges\":[{\"fromType\":"
    "\"float\",\"toType\":\"double\",\"fieldPath\":\"element.inner\"}]}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\","
    "\"valueContainsNull\":true},\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"plain\",\"type\":\"string\",\"nullable\":true}"
    "]}";

static void test_metadata_round_trip(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK_OK(ls_delta_schema_parse(META_SCHEMA, &s, &err), &err);
    if (!s)
        return;
    const ls_field *cm = ls_schema_find(s, "cm");
    CHECK(cm && cm->field_id == 7 && cm->physical_name && !strcmp(cm->physical_name, "col-abc"));
    CHECK(cm && cm->metadata_json && !strstr(cm->metadata_json, "columnMapping"));
    CHECK(ls_schema_find(s, "m")->metadata_json == NULL);     /* {} keeps nothing */
    CHECK(ls_schema_find(s, "plain")->metadata_json == NULL); /* absent */
    char *out = schema_json(s);
    /* semantically equal to the input, apart from "metadata":{} added where it was absent */
    char *expect = ls_xstrdup(META_SCHEMA);
    char *pl = strstr(expect, "\"nullable\":true}]}");
    CHECK(pl != NULL);
    ls_buf e2 = {0};
    if (pl) {
        ls_buf_append(&e2, expect, (size_t)(pl - expect));
        ls_buf_puts(&e2, "\"nullable\":true,\"metadata\":{}}]}");
    }
    CHECK_MSG(json_text_same(out, ls_buf_cstr(&e2)), "%s", out);
    /* clone and a second round are stable */
    ls_schema *c = ls_schema_clone(s);
    char *out2 = schema_json(c);
    CHECK_STR(out2, out);
    ls_schema *s2 = NULL;
    CHECK_OK(ls_delta_schema_parse(out, &s2, &err), &err);
    char *out3 = s2 ? schema_json(s2) : NULL;
    CHECK_STR(out3, out);
    /* metadata not an object is corrupt */
    ls_schema *bad = NULL;
    CHECK(ls_delta_schema_parse("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":"
                                "\"long\",\"nullable\":true,\"metadata\":[1]}]}",
                                &bad, &err) == LS_ERR_CORRUPT);
    free(out);
    free(out2);
    free(out3);
    free(expect);
    ls_buf_free(&e2);
    ls_schema_free(s);
    ls_schema_free(s2);
    ls_schema_free(c);
}

/* ---- which changes are widenings ------------------------------------------------------- */

static int changes(const char *from_ddl, const char *to_ddl, int *n)
{
    ls_error err = {0};
    ls_schema *a = NULL, *b = NULL;
    CHECK_OK(ls_schema_parse_ddl(from_ddl, &a, &err), &err);
    CHECK_OK(ls_schema_parse_ddl(to_ddl, &b, &err), &err);
    *n = -1;
    int rc = a && b ? ls_delta_schema_type_changes(a, b, n, &err) : -1;
    ls_schema_free(a);
    ls_schema_free(b);
    return rc;
}

static void test_widening_rules(void)
{
    static const struct {
        const char *from, *to;
        int n; /* -1: refused */
    } cases[] = {
        {"a INT", "a BIGINT", 1},
        {"a TINYINT, b SMALLINT", "a INT, b BIGINT", 2},
        {"a TINYINT", "a SMALLINT", 1},
        {"a FLOAT", "a DOUBLE", 1},
        {"a INT", "a DOUBLE", 1},
        {"a DATE", "a TIMESTAMP_NTZ", 1},
        {"a DECIMAL(6,2)", "a DECIMAL(10,4)", 1},
        {"a INT", "a DECIMAL(10,0)", 1},
        {"a BIGINT", "a DECIMAL(22,2)", 1},
        {"a INT, b STRING", "a INT, b STRING, c BIGINT", 0}, /* added fields do not count */
        {"s STRUCT<x: INT, y: FLOAT>", "s STRUCT<x: BIGINT, y: DOUBLE, z: INT>", 2},
        {"l ARRAY<INT>, m MAP<INT, FLOAT>", "l ARRAY<BIGINT>, m MAP<BIGINT, DOUBLE>", 3},
        {"a BIGINT", "a INT", -1},
        {"a DOUBLE", "a FLOAT", -1},
        {"a STRING", "a INT", -1},
        {"a BIGINT", "a DOUBLE", -1},
        {"a DATE", "a TIMESTAMP", -1},
        {"a DECIMAL(10,2)", "a DECIMAL(10,3)", -1},
        {"a DECIMAL(10,2)", "a DECIMAL(11,1)", -1},
        {"a INT", "a DECIMAL(9,0)", -1},
        {"a BIGINT", "a DECIMAL(20,1)", -1},
        {"s STRUCT<x: INT>", "s INT", -1},
        {"l ARRAY<INT>", "l MAP<INT, INT>", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = 0;
        int rc = changes(cases[i].from, cases[i].to, &n);
        if (cases[i].n < 0)
            CHECK_MSG(rc == LS_ERR_UNSUPPORTED, "%s -> %s: rc %d", cases[i].from, cases[i].to, rc);
        else
            CHECK_MSG(rc == LS_OK && n == cases[i].n, "%s -> %s: rc %d n %d", cases[i].from,
                      cases[i].to, rc, n);
    }
}

/* ---- table features --------------------------------------------------------------------- */

static bool strv_is(char **v, int n, const char *list)
{
    /* list: comma separated, in order */
    ls_buf b = {0};
    for (int i = 0; i < n; i++) {
        if (i)
            ls_buf_putc(&b, ',');
        ls_buf_puts(&b, v[i]);
    }
    bool ok = !strcmp(ls_buf_cstr(&b), list);
    if (!ok)
        printf("    features: '%s', expected '%s'\n", ls_buf_cstr(&b), list);
    ls_buf_free(&b);
    return ok;
}

static void test_protocol_features(void)
{
    ls_delta_protocol out;
    ls_delta_protocol p12 = {.min_reader_version = 1, .min_writer_version = 2};
    CHECK(ls_delta_protocol_supports(&p12, "appendOnly"));
    CHECK(!ls_delta_protocol_supports(&p12, "checkConstraints"));
    CHECK(!ls_delta_protocol_supports(&p12, "typeWidening"));
    CHECK(ls_delta_protocol_add_feature(&p12, "domainMetadata", &out));
    CHECK(out.min_reader_version == 1 && out.min_writer_version == 7);
    CHECK(strv_is(out.writer_features, out.n_writer_features, "appendOnly,invariants,domainMetadata"));
    CHECK(out.n_reader_features == 0);
    ls_delta_protocol_free(&out);

    CHECK(ls_delta_protocol_add_feature(&p12, "typeWidening", &out));
    CHECK(out.min_reader_version == 3 && out.min_writer_version == 7);
    CHECK(strv_is(out.reader_features, out.n_reader_features, "typeWidening"));
    CHECK(strv_is(out.writer_features, out.n_writer_features, "appendOnly,invariants,typeWidening"));
    CHECK(ls_delta_protocol_supports(&out, "typeWidening"));
    CHECK(ls_delta_protocol_supports(&out, "invariants"));
    ls_delta_protocol again;
    CHECK(!ls_delta_protocol_add_feature(&out, "typeWidening", &again));
    CHECK(again.writer_features == NULL);
    ls_delta_protocol_free(&out);

    /* reader 2 = column mapping: it must become a reader feature too */
    ls_delta_protocol p25 = {.min_reader_version = 2, .min_writer_version = 5};
    CHECK(ls_delta_protocol_supports(&p25, "columnMapping"));
    CHECK(ls_delta_protocol_add_feature(&p25, "typeWidening", &out));
    CHECK(out.min_reader_version == 3);
    CHECK(strv_is(out.reader_features, out.n_reader_features, "columnMapping,typeWidening"));
    CHECK(strv_is(out.writer_features, out.n_writer_features,
                  "appendOnly,invariants,checkConstraints,changeDataFeed,generatedColumns,"
                  "columnMapping,typeWidening"));
    ls_delta_protocol_free(&out);

    /* (1,6): identity columns, no column mapping without reader 2 */
    ls_delta_protocol p16 = {.min_reader_version = 1, .min_writer_version = 6};
    CHECK(!ls_delta_protocol_supports(&p16, "columnMapping"));
    CHECK(ls_delta_protocol_add_feature(&p16, "domainMetadata", &out));
    CHECK(strv_is(out.writer_features, out.n_writer_features,
                  "appendOnly,invariants,checkConstraints,changeDataFeed,generatedColumns,"
                  "identityColumns,domainMetadata"));
    ls_delta_protocol_free(&out);

    /* writer features on reader 2 */
    char *w27[] = {"columnMapping", "domainMetadata"};
    ls_delta_protocol p27 = {.min_reader_version = 2, .min_writer_version = 7,
                             .writer_features = w27, .n_writer_features = 2};
    CHECK(ls_delta_protocol_supports(&p27, "columnMapping"));
    CHECK(!ls_delta_protocol_supports(&p27, "appendOnly")); /* no legacy features on v7 */
    CHECK(ls_delta_protocol_add_feature(&p27, "typeWidening", &out));
    CHECK(strv_is(out.reader_features, out.n_reader_features, "columnMapping,typeWidening"));
    CHECK(strv_is(out.writer_features, out.n_writer_features,
                  "columnMapping,domainMetadata,typeWidening"));
    ls_delta_protocol_free(&out);

    /* (3,7): lists extended, nothing lost */
    char *r37[] = {"deletionVectors"}, *w37[] = {"deletionVectors", "inCommitTimestamp"};
    ls_delta_protocol p37 = {.min_reader_version = 3, .min_writer_version = 7,
                             .reader_features = r37, .n_reader_features = 1,
                             .writer_features = w37, .n_writer_features = 2};
    CHECK(ls_delta_protocol_add_feature(&p37, "typeWidening", &out));
    CHECK(strv_is(out.reader_features, out.n_reader_features, "deletionVectors,typeWidening"));
    CHECK(strv_is(out.writer_features, out.n_writer_features,
                  "deletionVectors,inCommitTimestamp,typeWidening"));
    ls_delta_protocol_free(&out);
    CHECK(ls_delta_protocol_add_feature(&p37, "domainMetadata", &out));
    CHECK(out.min_reader_version == 3);
    CHECK(strv_is(out.reader_features, out.n_reader_features, "deletionVectors"));
    ls_delta_protocol_free(&out);
    /* a reader-writer feature listed for writers only is not supported */
    char *wonly[] = {"typeWidening"};
    ls_delta_protocol pw = {.min_reader_version = 1, .min_writer_version = 7,
                            .writer_features = wonly, .n_writer_features = 1};
    CHECK(!ls_delta_protocol_supports(&pw, "typeWidening"));
}

/* ---- evolving a schema ---------------------------------------------------------------- */

static const char *EVOLVE_OLD =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{\"comment\":\"key\"}},"
    "{\"name\":\"v\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{\"delta.typeChanges\":"
    "[{\"fromType\":\"short\",\"toType\":\"integer\"}],\"comment\":\"c\"}},"
    "{\"name\":\"l\",\"type\":{\"type\":\"array\",\"elementType\":{\"type\":\"map\",\"keyType\":"
    "\"string\",\"valueType\":\"float\",\"valueContainsNull\":true},\"containsNull\":true},"
    "\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"s\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"byte\","
    "\"nullable\":true,\"metadata\":{\"comment\":\"inner\"}}]},\"nullable\":true,\"metadata\":{}}"
    "]}";

/* m: a metadata whose schema is EVOLVE_OLD; the new schema from DDL (no metadata). */
static void evolve_setup(ls_delta_metadata *m, ls_schema **nw, const char *ddl)
{
    ls_error err = {0};
    memset(m, 0, sizeof *m);
    m->id = ls_xstrdup("id");
    m->schema_string = ls_xstrdup(EVOLVE_OLD);
    CHECK_OK(ls_delta_schema_parse(EVOLVE_OLD, &m->schema, &err), &err);
    CHECK_OK(ls_schema_parse_ddl(ddl, nw, &err), &err);
}

static void test_evolve_schema(void)
{
    ls_error err = {0};
    ls_delta_metadata m;
    ls_schema *nw = NULL;
    const char *ddl = "id INT, v BIGINT, l ARRAY<MAP<STRING, DOUBLE>>, s STRUCT<x: BIGINT>, "
                      "added BIGINT";
    evolve_setup(&m, &nw, ddl);
    ls_delta_protocol p12 = {.min_reader_version = 1, .min_writer_version = 2};
    ls_delta_protocol np;
    bool changed = false;
    CHECK_OK(ls_delta_evolve_schema(&p12, 5, &m, nw, &np, &changed, &err), &err);
    CHECK(changed && np.min_reader_version == 3 && np.min_writer_version == 7);
    CHECK(ls_delta_protocol_supports(&np, "typeWidening"));
    bool found = false;
    CHECK_STR(ls_kvlist_get(&m.configuration, "delta.enableTypeWidening", &found), "true");
    const char *want =
        "{\"type\":\"struct\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{\"comment\":\"key\"}},"
        "{\"name\":\"v\",\"type\":\"long\",\"nullable\":true,\"metadata\":{\"delta.typeChanges\":"
        "[{\"fromType\":\"short\",\"toType\":\"integer\"},{\"fromType\":\"integer\",\"toType\":"
        "\"long\"}],\"comment\":\"c\"}},"
        "{\"name\":\"l\",\"type\":{\"type\":\"array\",\"elementType\":{\"type\":\"map\",\"keyType\":"
        "\"string\",\"valueType\":\"double\",\"valueContainsNull\":true},\"containsNull\":true},"
        "\"nullable\":true,\"metadata\":{\"delta.typeChanges\":[{\"fromType\":\"float\","
        "\"toType\":\"double\",\"fieldPath\":\"element.value\"}]}},"
        "{\"name\":\"s\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"long\","
        "\"nullable\":true,\"metadata\":{\"comment\":\"inner\",\"delta.typeChanges\":[{\"fromType\":"
        "\"byte\",\"toType\":\"long\"}]}}]},\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"added\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}"
        "]}";
    CHECK_STR(m.schema_string, want);
    /* the history survives the next change and grows in order */
    char *s2 = schema_json(m.schema);
    CHECK_STR(s2, want);
    free(s2);
    ls_schema *n2 = NULL;
    CHECK_OK(ls_schema_parse_ddl("id BIGINT, v BIGINT, l ARRAY<MAP<STRING, DOUBLE>>, "
                                 "s STRUCT<x: BIGINT>, added BIGINT",
                                 &n2, &err),
             &err);
    ls_delta_protocol np2;
    bool changed2 = true;
    CHECK_OK(ls_delta_evolve_schema(&np, 6, &m, n2, &np2, &changed2, &err), &err);
    CHECK(!changed2); /* already supports typeWidening */
    CHECK(strstr(m.schema_string, "\"metadata\":{\"comment\":\"key\",\"delta.typeChanges\":"
                                  "[{\"fromType\":\"integer\",\"toType\":\"long\"}]}") != NULL);
    CHECK(strstr(m.schema_string, "[{\"fromType\":\"short\",\"toType\":\"integer\"},{\"fromType\":"
                                  "\"integer\",\"toType\":\"long\"}]") != NULL);
    ls_schema_free(n2);
    ls_delta_protocol_free(&np);
    ls_schema_free(nw);
    ls_delta_metadata_free(&m);

    /* delta.enableTypeWidening=false: refused, metadata untouched */
    evolve_setup(&m, &nw, ddl);
    ls_kvlist_set(&m.configuration, "delta.enableTypeWidening", "false");
    CHECK(ls_delta_evolve_schema(&p12, 5, &m, nw, &np, &changed, &err) == LS_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "delta.enableTypeWidening=false") != NULL);
    CHECK_STR(m.schema_string, EVOLVE_OLD);
    ls_schema_free(nw);
    ls_delta_metadata_free(&m);

    /* not a widening: refused, naming the field */
    evolve_setup(&m, &nw, "id STRING, v INT, l ARRAY<MAP<STRING, FLOAT>>, s STRUCT<x: TINYINT>");
    CHECK(ls_delta_evolve_schema(&p12, 5, &m, nw, &np, &changed, &err) == LS_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.msg, "'id'") && strstr(err.msg, "integer to string"), "%s", err.msg);
    ls_schema_free(nw);
    ls_delta_metadata_free(&m);

    /* preview feature: kept, entries carry tableVersion */
    evolve_setup(&m, &nw, ddl);
    char *rf[] = {"typeWidening-preview"}, *wf[] = {"typeWidening-preview"};
    ls_delta_protocol pv = {.min_reader_version = 3, .min_writer_version = 7,
                            .reader_features = rf, .n_reader_features = 1,
                            .writer_features = wf, .n_writer_features = 1};
    CHECK_OK(ls_delta_evolve_schema(&pv, 42, &m, nw, &np, &changed, &err), &err);
    CHECK(!changed);
    CHECK(strstr(m.schema_string, "{\"tableVersion\":42,\"fromType\":\"integer\",\"toType\":"
                                  "\"long\"}") != NULL);
    ls_schema_free(nw);
    ls_delta_metadata_free(&m);

    /* icebergCompatV2: int -> long fine, int -> double refused */
    char *wi[] = {"icebergCompatV2", "columnMapping"};
    ls_delta_protocol pi = {.min_reader_version = 2, .min_writer_version = 7,
                            .writer_features = wi, .n_writer_features = 2};
    evolve_setup(&m, &nw, ddl);
    CHECK_OK(ls_delta_evolve_schema(&pi, 1, &m, nw, &np, &changed, &err), &err);
    CHECK(changed && strv_is(np.reader_features, np.n_reader_features,
                             "columnMapping,typeWidening"));
    ls_delta_protocol_free(&np);
    ls_schema_free(nw);
    ls_delta_metadata_free(&m);
    evolve_setup(&m, &nw, "id DOUBLE");
    CHECK(ls_delta_evolve_schema(&pi, 1, &m, nw, &np, &changed, &err) == LS_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "Iceberg") != NULL);
    ls_schema_free(nw);
    ls_delta_metadata_free(&m);
}

/* ---- end to end: commit guard, writing and scanning a widened table --------------------- */

static ls_delta_snapshot *latest(ls_delta_table *t)
{
    ls_error err = {0};
    ls_delta_snapshot *s = NULL;
    ls_delta_snapshot_spec spec = {.at = LS_AT_LATEST};
    CHECK_OK(ls_delta_snapshot_load(t, &spec, &s, &err), &err);
    return s;
}

/* Writes NDJSON rows under meta into commit c. */
static int write_rows(ls_delta_table *t, const ls_delta_metadata *meta, ls_delta_commit *c,
                      const char *text, ls_error *err)
{
    ls_delta_writer *w = NULL;
    int rc = ls_delta_writer_new(t, meta, NULL, &w, err);
    if (rc)
        return rc;
    ls_json_opts jo = {.strict = true};
    ls_json_reader *r = ls_json_reader_new(meta->schema, &jo);
    ls_batch *b = ls_batch_new(meta->schema);
    uint64_t lines = 0;
    rc = ls_json_read_buffer(r, b, text, strlen(text), 1, &lines, err);
    if (rc == LS_OK)
        rc = ls_delta_writer_write(w, b, err);
    if (rc == LS_OK)
        rc = ls_delta_writer_finish(w, c, err);
    if (rc)
        ls_delta_writer_abort(w);
    else
        ls_delta_writer_free(w);
    ls_batch_free(b);
    ls_json_reader_free(r);
    return rc;
}

/* All rows of the latest snapshot as NDJSON lines (in file order), and the scan schema DDL. */
static char *scan_all(ls_delta_table *t, char **ddl)
{
    ls_error err = {0};
    ls_delta_snapshot *s = latest(t);
    ls_scan_opts o = {.since_version = -1};
    ls_scan *sc = NULL;
    ls_buf out = {0}, d = {0};
    if (s)
        CHECK_OK(ls_scan_open(t, s, &o, &sc, &err), &err);
    if (sc) {
        ls_schema_to_ddl(ls_scan_schema(sc), &d);
        ls_batch *b = ls_batch_new(ls_scan_schema(sc));
        bool eof = false;
        while (!eof) {
            int rc = ls_scan_next(sc, b, &eof, &err);
            CHECK_OK(rc, &err);
            if (rc)
                break;
            CHECK_OK(ls_batch_format(b, 0, b->n_rows, LS_FMT_NDJSON, false, &out, &err), &err);
        }
        ls_batch_free(b);
        ls_scan_free(sc);
    }
    ls_delta_snapshot_free(s);
    *ddl = ls_buf_cstr(&d);
    return ls_buf_cstr(&out);
}

static void test_widen_table_end_to_end(void)
{
    ls_error err = {0};
    char *dir = ls_xasprintf("%s/t%d", t_root, ++t_seq);
    ls_delta_table *t = NULL;
    CHECK_OK(ls_delta_open(dir, &t, &err), &err);
    ls_schema *s0 = NULL;
    CHECK_OK(ls_schema_parse_ddl("id INT, f FLOAT, st STRUCT<x: SMALLINT>, p INT", &s0, &err),
             &err);
    const char *pc[] = {"p"};
    ls_delta_create_opts co = {.schema = s0, .partition_columns = pc, .n_partition_columns = 1};
    CHECK_OK(ls_delta_create(t, &co, &err), &err);
    ls_schema_free(s0);

    /* v1: old types */
    ls_delta_snapshot *snap = latest(t);
    ls_delta_commit *c = ls_delta_commit_new(t, snap);
    CHECK_OK(write_rows(t, ls_delta_snapshot_metadata(snap), c,
                        "{\"id\":1,\"f\":1.5,\"st\":{\"x\":-7},\"p\":1}\n"
                        "{\"id\":2,\"f\":0.1,\"st\":null,\"p\":2}\n",
                        &err),
             &err);
    int64_t v = -1;
    CHECK_OK(ls_delta_commit_run(c, &v, &err), &err);
    CHECK(v == 1);
    ls_delta_commit_free(c);

    /* the wide schema without declaring type widening: the commit refuses it */
    ls_schema *wide = NULL;
    CHECK_OK(ls_schema_parse_ddl("id BIGINT, f DOUBLE, st STRUCT<x: BIGINT>, p BIGINT", &wide,
                                 &err),
             &err);
    ls_delta_snapshot_free(snap);
    snap = latest(t);
    ls_delta_metadata md;
    dl_metadata_copy(&md, ls_delta_snapshot_metadata(snap));
    ls_schema_free(md.schema);
    md.schema = ls_schema_clone(wide);
    free(md.schema_string);
    md.schema_string = schema_json(wide);
    c = ls_delta_commit_new(t, snap);
    ls_delta_commit_set_metadata(c, &md);
    CHECK(ls_delta_commit_run(c, &v, &err) == LS_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.msg, "typeWidening") != NULL, "%s", err.msg);
    ls_delta_commit_free(c);
    ls_delta_metadata_free(&md);

    /* declared: protocol + metadata + rows of the new types in one commit */
    dl_metadata_copy(&md, ls_delta_snapshot_metadata(snap));
    ls_delta_protocol np;
    bool pchanged = false;
    CHECK_OK(ls_delta_evolve_schema(ls_delta_snapshot_protocol(snap),
                                    ls_delta_snapshot_version(snap) + 1, &md, wide, &np,
                                    &pchanged, &err),
             &err);
    CHECK(pchanged);
    c = ls_delta_commit_new(t, snap);
    ls_delta_commit_set_protocol(c, &np);
    ls_delta_commit_set_metadata(c, &md);
    CHECK_OK(write_rows(t, &md, c,
                        "{\"id\":5000000000,\"f\":1e300,\"st\":{\"x\":40000},\"p\":3000000000}\n"
                        "{\"id\":4,\"f\":0.1,\"st\":{\"x\":null},\"p\":2}\n",
                        &err),
             &err);
    CHECK_OK(ls_delta_commit_run(c, &v, &err), &err);
    CHECK(v == 2);
    ls_delta_commit_free(c);
    ls_delta_protocol_free(&np);
    ls_delta_metadata_free(&md);
    ls_schema_free(wide);
    ls_delta_snapshot_free(snap);

    /* the log: protocol with typeWidening for readers and writers, property, history */
    ls_buf log = {0};
    CHECK_OK(ls_store_get(ls_delta_store(t), "_delta_log/00000000000000000002.json", &log, &err),
             &err);
    const char *l = ls_buf_cstr(&log);
    CHECK(strstr(l, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
                    "\"readerFeatures\":[\"typeWidening\"],\"writerFeatures\":[\"appendOnly\","
                    "\"invariants\",\"typeWidening\"]}}") != NULL);
    CHECK(strstr(l, "\"configuration\":{\"delta.enableTypeWidening\":\"true\"}") != NULL);
    CHECK(strstr(l, "{\\\"name\\\":\\\"x\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,"
                    "\\\"metadata\\\":{\\\"delta.typeChanges\\\":[{\\\"fromType\\\":\\\"short\\\","
                    "\\\"toType\\\":\\\"long\\\"}]}}") != NULL);
    ls_buf_free(&log);

    /* reading: old INT32/FLOAT files and new INT64/DOUBLE files as the wide types */
    for (int round = 0; round < 2; round++) {
        char *ddl = NULL;
        char *rows = scan_all(t, &ddl);
        CHECK_STR(ddl, "id BIGINT, f DOUBLE, st STRUCT<x: BIGINT>, p BIGINT");
        static const char *want[] = {
            "{\"id\":1,\"f\":1.5,\"st\":{\"x\":-7},\"p\":1}",
            "{\"id\":2,\"f\":0.10000000149011612,\"st\":null,\"p\":2}",
            "{\"id\":5000000000,\"f\":1e+300,\"st\":{\"x\":40000},\"p\":3000000000}",
            "{\"id\":4,\"f\":0.1,\"st\":{\"x\":null},\"p\":2}",
        };
        int lines = 0;
        for (const char *q = rows; q && *q; q++)
            lines += *q == '\n';
        CHECK_MSG(lines == 4, "%d rows:\n%s", lines, rows);
        for (size_t i = 0; i < 4; i++)
            CHECK_MSG(strstr(rows, want[i]) != NULL, "missing %s in\n%s", want[i], rows);
        free(rows);
        free(ddl);
        if (round == 0) {
            /* a checkpoint keeps the metadata too */
            ls_delta_snapshot *s = latest(t);
            CHECK_OK(ls_delta_checkpoint_write(t, s, &err), &err);
            ls_delta_snapshot_free(s);
            s = latest(t);
            const ls_delta_metadata *m = s ? ls_delta_snapshot_metadata(s) : NULL;
            CHECK(m && strstr(m->schema_string, "delta.typeChanges"));
            const ls_field *x = m ? ls_schema_find(m->schema, "st") : NULL;
            CHECK(x && x->children[0].metadata_json &&
                  strstr(x->children[0].metadata_json, "\"toType\":\"long\""));
            ls_delta_snapshot_free(s);
        }
    }
    ls_delta_close(t);
    free(dir);
}

int main(void)
{
    const char *base = getenv("LS_TMP");
    snprintf(t_root, sizeof t_root, "%s/test_schema_meta.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(t_root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_metadata_round_trip);
    RUN(test_widening_rules);
    RUN(test_protocol_features);
    RUN(test_evolve_schema);
    RUN(test_widen_table_end_to_end);
    nftw(t_root, rm_cb, 32, FTW_DEPTH | FTW_PHYS);
    TEST_MAIN_END();
}
