/*
 * test_snapshot.c - the read side of src/delta and the JSON DOM: JSON
 * validity/limits/unicode, action parse/serialize round trips (incl. exact
 * re-serialization of Spark's own log lines), Delta schema JSON round trips,
 * partition values of every type, Hive/URI path escaping, replay semantics on
 * synthetic logs, malformed logs, time travel, history and "adds since", and
 * the reader-conformance corpus in $LS_SHARED_DIR/testdata/delta (facts from
 * its INDEX.md).
 */
#include "delta/dl_int.h"
#include "test.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------- */

static ls_arena g_arena;

static int jparse(const char *s, ls_json **out, ls_error *err)
{
    return ls_json_parse(s, strlen(s), &g_arena, out, err);
}

static char *jwrite(const ls_json *v)
{
    ls_buf b = {0};
    ls_json_write(v, &b);
    return ls_buf_cstr(&b);
}

static char g_tmp_root[256];

static const char *tmp_root(void)
{
    if (!g_tmp_root[0]) {
        snprintf(g_tmp_root, sizeof g_tmp_root, "/tmp/ls_test_snapshot_XXXXXX");
        if (!mkdtemp(g_tmp_root))
            abort();
    }
    return g_tmp_root;
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char *p = ls_xasprintf("%s/%s", path, e->d_name);
                rm_rf(p);
                free(p);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A fresh table directory under the temp root. */
static char *new_table_dir(const char *name)
{
    char *p = ls_xasprintf("%s/%s", tmp_root(), name);
    rm_rf(p);
    mkdir(p, 0755);
    return p;
}

static void put_file(const char *dir, const char *key, const char *data, size_t n)
{
    ls_store *s;
    ls_error err = {0};
    if (ls_store_open(dir, true, &s, &err) != LS_OK) {
        printf("store open %s: %s\n", dir, err.msg);
        abort();
    }
    if (ls_store_put(s, key, data, n, &err) != LS_OK) {
        printf("put %s: %s\n", key, err.msg);
        abort();
    }
    ls_store_free(s);
}

static void put_commit(const char *dir, int64_t v, const char *text)
{
    char key[64];
    snprintf(key, sizeof key, "_delta_log/%020lld.json", (long long)v);
    put_file(dir, key, text, strlen(text));
}

static void copy_file(const char *src, const char *dst)
{
    ls_buf b = {0};
    ls_error err = {0};
    if (ls_read_file(src, &b, &err) != LS_OK) {
        printf("read %s: %s\n", src, err.msg);
        abort();
    }
    FILE *f = fopen(dst, "wb");
    if (!f)
        abort();
    fwrite(b.data, 1, b.len, f);
    fclose(f);
    ls_buf_free(&b);
}

static void copy_tree(const char *src, const char *dst)
{
    struct stat st;
    if (stat(src, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        mkdir(dst, 0755);
        DIR *d = opendir(src);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *a = ls_xasprintf("%s/%s", src, e->d_name);
            char *b = ls_xasprintf("%s/%s", dst, e->d_name);
            copy_tree(a, b);
            free(a);
            free(b);
        }
        if (d)
            closedir(d);
    } else {
        copy_file(src, dst);
    }
}

/* Snapshots keep a borrowed table pointer; tests free both. */
static void unload(ls_delta_snapshot *s, ls_delta_table *t)
{
    ls_delta_snapshot_free(s);
    ls_delta_close(t);
}

static const char *P12 = "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n";
static const char *MD_AB =
    "{\"metaData\":{\"id\":\"t1\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
    "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"a\\\","
    "\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},{\\\"name\\\":\\\"p\\\","
    "\\\"type\\\":\\\"string\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\","
    "\"partitionColumns\":[\"p\"],\"configuration\":{\"delta.checkpointInterval\":\"5\"},"
    "\"createdTime\":1000}}\n";

static char *add_line(const char *path, const char *extra)
{
    return ls_xasprintf("{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"x\"},\"size\":10,"
                        "\"modificationTime\":1,\"dataChange\":true%s}}\n",
                        path, extra ? extra : "");
}

static char *rm_line(const char *path, const char *extra)
{
    return ls_xasprintf("{\"remove\":{\"path\":\"%s\",\"deletionTimestamp\":5,\"dataChange\":true%s}}"
                        "\n",
                        path, extra ? extra : "");
}

static bool snap_has_file(const ls_delta_snapshot *s, const char *path)
{
    for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++)
        if (!strcmp(ls_delta_snapshot_file(s, i)->path, path))
            return true;
    return false;
}

/* ---- JSON DOM ---------------------------------------------------------------------- */

static void test_json_valid(void)
{
    ls_error err = {0};
    ls_json *v;
    CHECK_OK(jparse(" {\"a\": [1, -2.5e3, true, false, null, \"x\"], \"b\": {}, \"c\": []} ", &v,
                    &err),
             &err);
    CHECK(v && v->type == LS_JSON_OBJECT && v->n == 3);
    const ls_json *a = ls_json_get(v, "a");
    CHECK(a && a->type == LS_JSON_ARRAY && a->n == 6);
    if (a && a->n == 6) {
        CHECK(a->items[0].type == LS_JSON_NUMBER && a->items[0].num == 1);
        CHECK(a->items[1].num == -2500.0);
        CHECK_STR(a->items[1].text, "-2.5e3");
        CHECK(a->items[2].type == LS_JSON_BOOL && a->items[2].b);
        CHECK(a->items[3].type == LS_JSON_BOOL && !a->items[3].b);
        CHECK(a->items[4].type == LS_JSON_NULL);
        CHECK_STR(ls_json_str(&a->items[5]), "x");
    }
    CHECK(ls_json_get(v, "b")->type == LS_JSON_OBJECT && ls_json_get(v, "b")->n == 0);
    CHECK(ls_json_get(v, "zz") == NULL);
    CHECK(ls_json_get(a, "a") == NULL);
    char *w = jwrite(v);
    CHECK_STR(w, "{\"a\":[1,-2.5e3,true,false,null,\"x\"],\"b\":{},\"c\":[]}");
    free(w);

    /* escapes and unicode */
    CHECK_OK(jparse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83d\\ude00\"", &v, &err),
             &err);
    CHECK(v && v->type == LS_JSON_STRING);
    if (v)
        CHECK(v->len == 12 + 2 + 3 + 4 && !memcmp(v->text,
                                                  "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac"
                                                  "\xf0\x9f\x98\x80",
                                                  v->len));
    /* raw UTF-8 passes */
    CHECK_OK(jparse("\"\xf0\x9f\x98\x88 \xc3\xa9\"", &v, &err), &err);
    /* NUL via escape keeps its length */
    CHECK_OK(jparse("\"a\\u0000b\"", &v, &err), &err);
    CHECK(v && v->len == 3 && v->text[1] == 0);
    w = jwrite(v);
    CHECK_STR(w, "\"a\\u0000b\"");
    free(w);

    /* numbers */
    const char *nums[] = {"0", "-0", "1.5", "1e10", "1E+2", "-1.25e-3", "123456789012345678901234"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        CHECK_OK(jparse(nums[i], &v, &err), &err);
        CHECK(v && v->type == LS_JSON_NUMBER && v->num == strtod(nums[i], NULL));
    }
    int64_t x;
    CHECK(jparse("9223372036854775807", &v, &err) == 0 && ls_json_int64(v, &x) &&
          x == INT64_MAX);
    CHECK(jparse("-9223372036854775808", &v, &err) == 0 && ls_json_int64(v, &x) &&
          x == INT64_MIN);
    CHECK(jparse("9223372036854775808", &v, &err) == 0 && !ls_json_int64(v, &x));
    CHECK(jparse("1.0", &v, &err) == 0 && ls_json_int64(v, &x) && x == 1);
    CHECK(jparse("1e3", &v, &err) == 0 && ls_json_int64(v, &x) && x == 1000);
    CHECK(jparse("1.5", &v, &err) == 0 && !ls_json_int64(v, &x));
    CHECK(jparse("\"5\"", &v, &err) == 0 && !ls_json_int64(v, &x));
    /* duplicate keys: first wins for lookups, both kept */
    CHECK(jparse("{\"k\":1,\"k\":2}", &v, &err) == 0 && v->n == 2 &&
          ls_json_get(v, "k")->num == 1);
    ls_arena_reset(&g_arena);
}

static void test_json_invalid(void)
{
    const char *bad[] = {
        "",         " ",          "{",          "}",         "[1,]",       "[,1]",
        "{\"a\" 1}", "{\"a\":1,}", "{a:1}",      "01",        "1.",         ".5",
        "-",        "+1",         "1e",         "1e+",       "tru",        "nul",
        "NaN",      "Infinity",   "[1] 2",      "\"abc",     "\"\\x\"",    "\"\\u12\"",
        "\"\\u12G4\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "'a'", "[1 2]",
        "{\"a\":1 \"b\":2}", "\"\x01\"", "\"a\nb\"", "\"\xc3\x28\"", "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xff\"", "\"\xe2\x82\"", "[\"a\"]]",
        "{\"a\":}", "[true false]", "\xef\xbb\xbf{}", "0x10", "1.e5", "--1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error err = {0};
        ls_json *v = (ls_json *)1;
        int rc = jparse(bad[i], &v, &err);
        CHECK_MSG(rc == LS_ERR_CORRUPT, "input #%zu '%s' accepted", i, bad[i]);
        CHECK_MSG(v == NULL, "input #%zu: out not NULL", i);
        CHECK_MSG(strstr(err.msg, "offset") != NULL, "input #%zu: message '%s'", i, err.msg);
    }
    /* the offset points at the problem */
    ls_error err = {0};
    ls_json *v;
    CHECK(jparse("[1, 2, x]", &v, &err) == LS_ERR_CORRUPT);
    CHECK_MSG(strstr(err.msg, "offset 7") != NULL, "%s", err.msg);
    /* an embedded NUL byte inside a string is a control character */
    CHECK(ls_json_parse("\"a\0b\"", 5, &g_arena, &v, &err) == LS_ERR_CORRUPT);
    ls_arena_reset(&g_arena);
}

static void test_json_depth(void)
{
    ls_error err = {0};
    ls_json *v;
    char buf[1024];
    int d = LS_JSON_MAX_DEPTH;
    memset(buf, '[', (size_t)d);
    memset(buf + d, ']', (size_t)d);
    buf[2 * d] = 0;
    CHECK_OK(jparse(buf, &v, &err), &err);
    memset(buf, '[', (size_t)d + 1);
    memset(buf + d + 1, ']', (size_t)d + 1);
    buf[2 * d + 2] = 0;
    CHECK(jparse(buf, &v, &err) == LS_ERR_CORRUPT && strstr(err.msg, "deep"));
    /* very deep hostile input does not overflow the stack */
    size_t n = 1000000;
    char *big = ls_xmalloc(n + 1);
    memset(big, '[', n);
    big[n] = 0;
    CHECK(ls_json_parse(big, n, &g_arena, &v, &err) == LS_ERR_CORRUPT);
    for (size_t i = 0; i < n; i += 2) {
        big[i] = '{';
        big[i + 1] = i + 1 < n ? '}' : '}';
    }
    /* a large flat array (stack growth path) */
    ls_buf b = {0};
    ls_buf_putc(&b, '[');
    for (int i = 0; i < 10000; i++)
        ls_buf_printf(&b, "%s{\"k\":%d}", i ? "," : "", i);
    ls_buf_putc(&b, ']');
    CHECK_OK(ls_json_parse((const char *)b.data, b.len, &g_arena, &v, &err), &err);
    CHECK(v && v->n == 10000 && ls_json_get(&v->items[9999], "k")->num == 9999);
    ls_buf_free(&b);
    free(big);
    ls_arena_reset(&g_arena);
}

/* ---- actions ------------------------------------------------------------------------ */

static char *reserialize(const dl_action *a)
{
    ls_buf b = {0};
    switch (a->kind) {
    case DL_ACT_ADD: dl_write_add(&b, &a->u.add); break;
    case DL_ACT_REMOVE: dl_write_remove(&b, &a->u.remove); break;
    case DL_ACT_PROTOCOL: dl_write_protocol(&b, &a->u.protocol); break;
    case DL_ACT_METADATA: dl_write_metadata(&b, &a->u.metadata); break;
    case DL_ACT_TXN: dl_write_txn(&b, &a->u.txn); break;
    case DL_ACT_DOMAIN: dl_write_domain(&b, &a->u.domain); break;
    case DL_ACT_COMMIT_INFO: dl_write_commit_info(&b, &a->u.commit_info); break;
    case DL_ACT_SIDECAR: dl_write_sidecar(&b, &a->u.sidecar); break;
    case DL_ACT_CHECKPOINT_METADATA:
        dl_write_checkpoint_metadata(&b, a->u.checkpoint_metadata.version);
        break;
    default: break;
    }
    return ls_buf_cstr(&b);
}

static void test_actions_roundtrip(void)
{
    ls_error err = {0};
    const char *lines[] = {
        "{\"add\":{\"path\":\"p=1/a%20b.parquet\",\"partitionValues\":{\"p\":\"1\",\"q\":null},"
        "\"size\":736,\"modificationTime\":1688691720000,\"dataChange\":true,\"stats\":"
        "\"{\\\"numRecords\\\":3}\",\"tags\":{\"INSERTION_TIME\":\"1\"},\"deletionVector\":"
        "{\"storageType\":\"u\",\"pathOrInlineDv\":\"0X9F0q2<2yJ-f)Gm2!e0\",\"offset\":1,"
        "\"sizeInBytes\":34,\"cardinality\":1},\"baseRowId\":7,\"defaultRowCommitVersion\":2,"
        "\"clusteringProvider\":\"liquid\"}}\n",
        "{\"add\":{\"path\":\"x\",\"partitionValues\":{},\"size\":0,\"modificationTime\":0,"
        "\"dataChange\":false}}\n",
        "{\"remove\":{\"path\":\"part=0/f.parquet\",\"deletionTimestamp\":1688691741121,"
        "\"dataChange\":true,\"extendedFileMetadata\":true,\"partitionValues\":{\"part\":\"0\"},"
        "\"size\":736}}\n",
        "{\"remove\":{\"path\":\"f\",\"dataChange\":false}}\n",
        "{\"remove\":{\"path\":\"f\",\"deletionTimestamp\":1,\"dataChange\":true,"
        "\"extendedFileMetadata\":true,\"partitionValues\":{},\"size\":765,\"deletionVector\":"
        "{\"storageType\":\"i\",\"pathOrInlineDv\":\"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L\","
        "\"sizeInBytes\":40,\"cardinality\":6}}}\n",
        "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n",
        "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":"
        "[\"deletionVectors\"],\"writerFeatures\":[\"deletionVectors\",\"appendOnly\"]}}\n",
        "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":"
        "[\"inCommitTimestamp\"]}}\n",
        "{\"metaData\":{\"id\":\"testId\",\"name\":\"n\",\"description\":\"d\",\"format\":"
        "{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":\"{\\\"type\\\":\\\"struct\\\","
        "\\\"fields\\\":[]}\",\"partitionColumns\":[\"part\"],\"configuration\":"
        "{\"delta.enableDeletionVectors\":\"true\"},\"createdTime\":1688691715853}}\n",
        "{\"metaData\":{\"id\":\"x\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
        "\"schemaString\":\"{}\",\"partitionColumns\":[],\"configuration\":{}}}\n",
        "{\"txn\":{\"appId\":\"fakeAppId\",\"version\":3,\"lastUpdated\":200}}\n",
        "{\"txn\":{\"appId\":\"a\",\"version\":-1}}\n",
        "{\"domainMetadata\":{\"domain\":\"delta.rowTracking\",\"configuration\":"
        "\"{\\\"rowIdHighWaterMark\\\":4}\",\"removed\":false}}\n",
        "{\"commitInfo\":{\"timestamp\":1,\"operation\":\"WRITE\",\"x\":[1,{\"y\":null}]}}\n",
        "{\"checkpointMetadata\":{\"version\":2}}\n",
        "{\"sidecar\":{\"path\":\"a.parquet\",\"sizeInBytes\":9367,\"modificationTime\":1714496115780}}\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        dl_action a;
        size_t n = strlen(lines[i]) - 1;
        CHECK_OK(dl_action_parse_line(lines[i], n, &g_arena, &a, &err), &err);
        char *w = reserialize(&a);
        CHECK_STR(w, lines[i]);
        free(w);
        /* deep copies re-serialize the same way and free cleanly */
        ls_buf b = {0};
        if (a.kind == DL_ACT_ADD) {
            ls_delta_add c;
            dl_add_copy(&c, &a.u.add);
            dl_write_add(&b, &c);
            ls_delta_add_free(&c);
        } else if (a.kind == DL_ACT_REMOVE) {
            ls_delta_remove c;
            dl_remove_copy(&c, &a.u.remove);
            dl_write_remove(&b, &c);
            ls_delta_remove_free(&c);
        } else if (a.kind == DL_ACT_METADATA) {
            ls_delta_metadata c;
            dl_metadata_copy(&c, &a.u.metadata);
            dl_write_metadata(&b, &c);
            ls_delta_metadata_free(&c);
        } else if (a.kind == DL_ACT_PROTOCOL) {
            ls_delta_protocol c;
            dl_protocol_copy(&c, &a.u.protocol);
            dl_write_protocol(&b, &c);
            ls_delta_protocol_free(&c);
        } else {
            ls_buf_puts(&b, lines[i]);
        }
        CHECK_STR(ls_buf_cstr(&b), lines[i]);
        ls_buf_free(&b);
    }
    /* parsed values */
    dl_action a;
    CHECK_OK(dl_action_parse_line(lines[0], strlen(lines[0]), &g_arena, &a, &err), &err);
    CHECK(a.kind == DL_ACT_ADD && a.u.add.size == 736 && a.u.add.dv &&
          a.u.add.dv->storage_type == 'u' && a.u.add.dv->has_offset && a.u.add.dv->offset == 1);
    bool found;
    CHECK(ls_kvlist_get(&a.u.add.partition_values, "q", &found) == NULL && found);
    CHECK_STR(ls_kvlist_get(&a.u.add.partition_values, "p", NULL), "1");
    ls_buf id = {0};
    dl_dv_unique_id(a.u.add.dv, &id);
    CHECK_STR(ls_buf_cstr(&id), "u0X9F0q2<2yJ-f)Gm2!e0@1");
    ls_buf_free(&id);

    /* unknown actions / fields, nulls */
    const char *l1 = "{\"some_new_action\":{\"a\":1}}";
    CHECK_OK(dl_action_parse_line(l1, strlen(l1), &g_arena, &a, &err), &err);
    CHECK(a.kind == DL_ACT_NONE);
    const char *l2 = "{\"add\":null,\"remove\":{\"path\":\"f\",\"dataChange\":true,\"future\":[1]}}";
    CHECK_OK(dl_action_parse_line(l2, strlen(l2), &g_arena, &a, &err), &err);
    CHECK(a.kind == DL_ACT_REMOVE && !a.u.remove.has_deletion_timestamp);
    /* errors */
    const char *bad[] = {
        "{\"add\":{\"size\":1}}",
        "{\"add\":{\"path\":\"a\"}}",
        "{\"add\":{\"path\":\"a\",\"size\":\"1\"}}",
        "{\"add\":{\"path\":\"a\",\"size\":-1}}",
        "{\"add\":{\"path\":\"a\",\"size\":1,\"dataChange\":1}}",
        "{\"add\":{\"path\":\"a\",\"size\":1,\"partitionValues\":[]}}",
        "{\"add\":{\"path\":\"a\",\"size\":1,\"deletionVector\":{\"storageType\":\"z\"}}}",
        "{\"add\":{\"path\":\"\",\"size\":1}}",
        "{\"protocol\":{\"minReaderVersion\":1}}",
        "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":99999999999}}",
        "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[1]}}",
        "{\"metaData\":{\"id\":\"x\"}}",
        "{\"txn\":{\"appId\":\"a\"}}",
        "{\"add\":5}",
        "[1]",
        "{\"add\":{\"path\":\"a\",\"size\":1.5}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = dl_action_parse_line(bad[i], strlen(bad[i]), &g_arena, &a, &err);
        CHECK_MSG(rc == LS_ERR_CORRUPT, "bad action #%zu accepted: %s", i, bad[i]);
    }
    /* a whole commit: blank lines, CRLF, unknown actions, error line numbers */
    const char *commit = "{\"commitInfo\":{\"timestamp\":5}}\r\n\n{\"x\":{}}\n  \n"
                         "{\"txn\":{\"appId\":\"a\",\"version\":1}}";
    dl_action *acts;
    size_t na;
    CHECK_OK(dl_commit_parse(commit, strlen(commit), &g_arena, &acts, &na, &err), &err);
    CHECK(na == 2 && acts[0].kind == DL_ACT_COMMIT_INFO && acts[1].kind == DL_ACT_TXN);
    const char *bc = "{\"txn\":{\"appId\":\"a\",\"version\":1}}\n{\"txn\":{\"appId\":\n";
    CHECK(dl_commit_parse(bc, strlen(bc), &g_arena, &acts, &na, &err) == LS_ERR_CORRUPT);
    CHECK_MSG(strstr(err.msg, "line 2") != NULL, "%s", err.msg);

    /* kvlist */
    ls_kvlist kv = {0};
    ls_kvlist_set(&kv, "a", "1");
    ls_kvlist_set(&kv, "b", NULL);
    ls_kvlist_set(&kv, "a", "2");
    for (int i = 0; i < 20; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        ls_kvlist_set(&kv, k, k);
    }
    CHECK(kv.n == 22);
    CHECK_STR(ls_kvlist_get(&kv, "a", NULL), "2");
    CHECK(ls_kvlist_get(&kv, "b", &found) == NULL && found);
    CHECK(ls_kvlist_get(&kv, "zz", &found) == NULL && !found);
    CHECK_STR(ls_kvlist_get(&kv, "k19", NULL), "k19");
    ls_kvlist_free(&kv);
    ls_arena_reset(&g_arena);
}

/* Every add/protocol/metaData/txn/domainMetadata line Spark wrote in the corpus re-serializes
 * byte for byte (removes too when they carry no fields we do not model). */
static int spark_lines_ok, spark_lines_total;

static void roundtrip_dir(const char *logdir)
{
    DIR *d = opendir(logdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl != 25 || strcmp(e->d_name + 20, ".json") != 0)
            continue;
        char *p = ls_xasprintf("%s/%s", logdir, e->d_name);
        ls_buf b = {0};
        ls_error err = {0};
        if (ls_read_file(p, &b, &err) == LS_OK) {
            char *s = ls_buf_cstr(&b);
            bool spark = strstr(s, "Apache-Spark") != NULL;
            for (char *line = s; spark && *line;) {
                char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                dl_action a;
                if (len && dl_action_parse_line(line, len, &g_arena, &a, &err) == LS_OK &&
                    a.kind != DL_ACT_NONE && a.kind != DL_ACT_COMMIT_INFO &&
                    a.kind != DL_ACT_CDC &&
                    !(a.kind == DL_ACT_REMOVE && (strstr(line, "\"stats\"") ||
                                                  strstr(line, "\"tags\"") ||
                                                  strstr(line, "\"baseRowId\""))) &&
                    !(a.kind == DL_ACT_METADATA && strstr(line, "\":null"))) {
                    char *w = reserialize(&a);
                    spark_lines_total++;
                    if (strlen(w) == len + 1 && !memcmp(w, line, len))
                        spark_lines_ok++;
                    else
                        CHECK_MSG(0, "%s: re-serialized line differs:\n  %.*s\n  %s", p,
                                  (int)len, line, w);
                    free(w);
                }
                line += len + (end ? 1 : 0);
            }
        }
        ls_buf_free(&b);
        free(p);
        ls_arena_reset(&g_arena);
    }
    closedir(d);
}

static void test_actions_spark_lines(void)
{
    const char *sh = t_shared_dir();
    if (!sh) {
        printf("SKIP spark line round trip: LS_SHARED_DIR not set\n");
        return;
    }
    const char *groups[] = {"dat", "golden", "deltars", "kernelrs", "spark"};
    for (size_t g = 0; g < 5; g++) {
        char *gd = ls_xasprintf("%s/testdata/delta/%s", sh, groups[g]);
        DIR *d = opendir(gd);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char *ld = ls_xasprintf("%s/%s/delta/_delta_log", gd, e->d_name);
            roundtrip_dir(ld);
            free(ld);
        }
        if (d)
            closedir(d);
        free(gd);
    }
    printf("spark log lines re-serialized byte-exact: %d/%d\n", spark_lines_ok,
           spark_lines_total);
    CHECK(spark_lines_total > 100);
}

/* ---- schema --------------------------------------------------------------------------- */

static void test_schema_roundtrip(void)
{
    ls_error err = {0};
    const char *js =
        "{\"type\":\"struct\",\"fields\":["
        "{\"name\":\"s\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"l\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
        "{\"name\":\"i\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"sh\",\"type\":\"short\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"by\",\"type\":\"byte\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"f\",\"type\":\"float\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"d\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"bo\",\"type\":\"boolean\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"bi\",\"type\":\"binary\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"dt\",\"type\":\"date\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"ts\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"tn\",\"type\":\"timestamp_ntz\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"de\",\"type\":\"decimal(38,18)\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"d5\",\"type\":\"decimal(5,3)\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"elementType\":\"integer\","
        "\"containsNull\":false},\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":"
        "{\"type\":\"array\",\"elementType\":{\"type\":\"struct\",\"fields\":[{\"name\":\"x\","
        "\"type\":\"double\",\"nullable\":true,\"metadata\":{}}]},\"containsNull\":true},"
        "\"valueContainsNull\":true},\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"st\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"a.b\",\"type\":"
        "\"long\",\"nullable\":true,\"metadata\":{\"delta.columnMapping.id\":7,"
        "\"delta.columnMapping.physicalName\":\"col-abc\"}}]},\"nullable\":true,\"metadata\":"
        "{\"delta.columnMapping.id\":6,\"delta.columnMapping.physicalName\":\"col-st\"}}"
        "]}";
    ls_schema *s = NULL;
    CHECK_OK(ls_delta_schema_parse(js, &s, &err), &err);
    if (!s)
        return;
    CHECK(s->root.n_children == 17);
    ls_type want[] = {LS_STRING, LS_INT64,   LS_INT32,   LS_INT16, LS_INT8,   LS_FLOAT,
                      LS_DOUBLE, LS_BOOLEAN, LS_BINARY, LS_DATE,  LS_TIMESTAMP,
                      LS_TIMESTAMP_NTZ, LS_DECIMAL, LS_DECIMAL, LS_LIST, LS_MAP, LS_STRUCT};
    for (int i = 0; i < 17 && i < s->root.n_children; i++)
        CHECK_MSG(s->root.children[i].type == want[i], "field %d", i);
    CHECK(!s->root.children[1].nullable);
    CHECK(s->root.children[12].precision == 38 && s->root.children[12].scale == 18);
    CHECK(!s->root.children[14].children[0].nullable);
    const ls_field *st = &s->root.children[16];
    CHECK(st->field_id == 6 && st->physical_name && !strcmp(st->physical_name, "col-st"));
    CHECK(st->children[0].field_id == 7 && !strcmp(st->children[0].physical_name, "col-abc"));
    CHECK(s->root.children[0].field_id == -1 && s->root.children[0].physical_name == NULL);
    ls_buf b = {0};
    ls_delta_schema_to_json(s, &b);
    CHECK_STR(ls_buf_cstr(&b), js);
    ls_buf_free(&b);
    ls_schema_free(s);

    /* other spellings and accepted metadata */
    const char *js2 = "{\"type\":\"struct\",\"fields\":[{\"name\":\"v\",\"type\":\"void\","
                      "\"nullable\":true,\"metadata\":{}},{\"name\":\"d\",\"type\":\"decimal\","
                      "\"nullable\":true},{\"name\":\"w\",\"type\":\"long\",\"nullable\":true,"
                      "\"metadata\":{\"delta.typeChanges\":[{\"fromType\":\"integer\","
                      "\"toType\":\"long\"}],\"comment\":\"x\",\"delta.invariants\":\"w > 0\"}}]}";
    CHECK_OK(ls_delta_schema_parse(js2, &s, &err), &err);
    if (s) {
        CHECK(s->root.children[0].type == LS_STRING && s->root.children[0].nullable);
        CHECK(s->root.children[1].precision == 10 && s->root.children[1].scale == 0);
        ls_schema_free(s);
    }
    CHECK_OK(ls_delta_schema_parse("{\"type\":\"struct\",\"fields\":[]}", &s, &err), &err);
    ls_schema_free(s);

    const char *bad[] = {
        "", "[]", "{\"type\":\"array\"}", "{\"type\":\"struct\"}",
        "{\"type\":\"struct\",\"fields\":[{\"type\":\"long\"}]}",
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"bogus\"}]}",
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"decimal(39,1)\"}]}",
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"decimal(5,6)\"}]}",
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"decimal(5\"}]}",
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"decimal(99999999999999,1)\"}]}",
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"A\","
        "\"type\":\"long\"}]}",
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"map\",\"keyType\":"
        "{\"type\":\"array\",\"elementType\":\"long\"},\"valueType\":\"long\"}}]}",
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"metadata\":"
        "{\"delta.columnMapping.id\":\"x\"}}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = NULL;
        int rc = ls_delta_schema_parse(bad[i], &s, &err);
        CHECK_MSG(rc != LS_OK && s == NULL, "bad schema #%zu accepted", i);
    }
    CHECK(ls_delta_schema_parse("{\"type\":\"struct\",\"fields\":[{\"name\":\"v\",\"type\":"
                                "\"variant\"}]}",
                                &s, &err) == LS_ERR_UNSUPPORTED &&
          strstr(err.msg, "unsupported Delta feature: variantType"));
    /* deep nesting is refused, not a crash */
    ls_buf deep = {0};
    ls_buf_puts(&deep, "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":");
    for (int i = 0; i < 150; i++)
        ls_buf_puts(&deep, "{\"type\":\"array\",\"elementType\":");
    ls_buf_puts(&deep, "\"long\"");
    for (int i = 0; i < 150; i++)
        ls_buf_putc(&deep, '}');
    ls_buf_puts(&deep, "}]}");
    CHECK(ls_delta_schema_parse(ls_buf_cstr(&deep), &s, &err) != LS_OK);
    ls_buf_free(&deep);
}

/* ---- partition values ------------------------------------------------------------------- */

static void test_partition_values(void)
{
    ls_error err = {0};
    ls_schema *sc;
    CHECK_OK(ls_schema_parse_ddl("s STRING, b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INT, "
                                 "i64 BIGINT, f FLOAT, d DOUBLE, dt DATE, ts TIMESTAMP, "
                                 "tn TIMESTAMP_NTZ, d1 DECIMAL(9,2), d2 DECIMAL(18,5), "
                                 "d3 DECIMAL(38,18), bin BINARY, nn BIGINT NOT NULL",
                                 &sc, &err),
             &err);
    if (!sc)
        return;
    ls_batch *bt = ls_batch_new(sc);
    ls_leaf *L = bt->leaves;
    enum { S, B, I8, I16, I32, I64, F, D, DT, TS, TN, D1, D2, D3, BIN, NN };
#define PUSH_OK(leaf, v) CHECK_OK(ls_delta_partition_value_push(&L[leaf], v, &err), &err)
#define PUSH_BAD(leaf, v)                                                                       \
    CHECK_MSG(ls_delta_partition_value_push(&L[leaf], v, &err) != LS_OK, "accepted '%s'", (const char *)(v) ? (const char *)(v) : "NULL")
    PUSH_OK(S, "A/A");
    PUSH_OK(S, "");
    PUSH_OK(S, NULL);
    PUSH_OK(S, "bar+%21");
    CHECK(L[S].n == 4 && L[S].n_values == 2);
    size_t n;
    const uint8_t *p = ls_leaf_bytes_at(&L[S], 1, &n);
    CHECK(n == 7 && !memcmp(p, "bar+%21", 7));
    PUSH_OK(B, "true");
    PUSH_OK(B, "FALSE");
    PUSH_BAD(B, "yes");
    CHECK(((uint8_t *)L[B].values)[0] == 1 && ((uint8_t *)L[B].values)[1] == 0);
    PUSH_OK(I8, "-128");
    PUSH_BAD(I8, "128");
    PUSH_OK(I16, "32767");
    PUSH_BAD(I16, "-32769");
    PUSH_OK(I32, "-2147483648");
    PUSH_BAD(I32, "2147483648");
    PUSH_BAD(I32, "1.0");
    PUSH_BAD(I32, "12a");
    PUSH_OK(I64, "9223372036854775807");
    PUSH_OK(I64, "-9223372036854775808");
    PUSH_BAD(I64, "9223372036854775808");
    CHECK(((int32_t *)L[I8].values)[0] == -128 && ((int32_t *)L[I32].values)[0] == INT32_MIN);
    CHECK(((int64_t *)L[I64].values)[1] == INT64_MIN);
    PUSH_OK(F, "1.5");
    PUSH_OK(F, "NaN");
    PUSH_OK(D, "1.0E10");
    PUSH_OK(D, "-Infinity");
    PUSH_OK(D, "0.0");
    PUSH_BAD(D, "0x10");
    PUSH_BAD(D, "inf");
    CHECK(((float *)L[F].values)[0] == 1.5f && isnan(((float *)L[F].values)[1]));
    CHECK(((double *)L[D].values)[0] == 1e10 && isinf(((double *)L[D].values)[1]));
    PUSH_OK(DT, "2021-09-08");
    PUSH_OK(DT, "0001-01-01");
    PUSH_BAD(DT, "2021-02-30");
    CHECK(((int32_t *)L[DT].values)[0] == 18878);
    /* timestamps: legacy zone-less (UTC session), ISO with Z, with offset, micros */
    PUSH_OK(TS, "2021-09-08 11:11:11");
    PUSH_OK(TS, "2024-01-01T10:00:00.000000Z");
    PUSH_OK(TS, "2020-01-01 08:09:10.001");
    PUSH_OK(TS, "2021-09-08T11:11:11.123456-07:00");
    PUSH_OK(TS, "1970-01-01 00:00:00");
    PUSH_BAD(TS, "yesterday");
    int64_t *tv = L[TS].values;
    CHECK(tv[0] == 1631099471000000LL);
    CHECK(tv[1] == 1704103200000000LL);
    CHECK(tv[2] == 1577866150001000LL);
    CHECK(tv[3] == 1631099471123456LL + 7 * 3600 * 1000000LL);
    CHECK(tv[4] == 0);
    PUSH_OK(TN, "2024-04-02 20:58:52.292957");
    CHECK(((int64_t *)L[TN].values)[0] == 1712091532292957LL);
    /* decimals */
    PUSH_OK(D1, "1.23");
    PUSH_OK(D1, "-0.5");
    PUSH_OK(D1, "1.234"); /* HALF_UP at scale 2 */
    PUSH_OK(D1, "1E+2");
    PUSH_BAD(D1, "12345678.9");
    PUSH_BAD(D1, "1.2.3");
    int32_t *dv1 = L[D1].values;
    CHECK(dv1[0] == 123 && dv1[1] == -50 && dv1[2] == 123 && dv1[3] == 10000);
    PUSH_OK(D2, "2342222.23454");
    PUSH_OK(D2, "0.00004");
    PUSH_OK(D2, "-2342342.23423");
    int64_t *dv2 = L[D2].values;
    CHECK(dv2[0] == 234222223454LL && dv2[1] == 4 && dv2[2] == -234234223423LL);
    PUSH_OK(D3, "200.000000000000000000");
    PUSH_OK(D3, "-12.000000000000000001");
    PUSH_BAD(D3, "123456789012345678901.5");
    PUSH_OK(BIN, "\x01raw");
    PUSH_OK(NN, "5");
    PUSH_BAD(NN, NULL);

    /* formatting back to the log's strings */
    ls_buf b = {0};
#define FMT(leaf, i, want)                                                                     \
    do {                                                                                       \
        ls_buf_reset(&b);                                                                      \
        dl_partition_value_format(&L[leaf], i, &b);                                            \
        CHECK_STR(ls_buf_cstr(&b), want);                                                      \
    } while (0)
    FMT(S, 0, "A/A");
    FMT(B, 0, "true");
    FMT(I8, 0, "-128");
    FMT(I64, 1, "-9223372036854775808");
    FMT(F, 0, "1.5");
    FMT(F, 1, "NaN");
    FMT(D, 0, "1.0E10");
    FMT(D, 1, "-Infinity");
    FMT(D, 2, "0.0");
    FMT(DT, 1, "0001-01-01");
    FMT(TS, 0, "2021-09-08T11:11:11.000000Z");
    FMT(TN, 0, "2024-04-02 20:58:52.292957");
    FMT(D1, 1, "-0.50");
    FMT(D2, 1, "0.00004");
    FMT(D3, 0, "200.000000000000000000");
    FMT(D3, 1, "-12.000000000000000001");
    /* Java Double.toString forms */
    double dv[] = {0.1, 100.0, 1234567.0, 12345678.0, 0.001, 0.0001, -1.5e-7, 3.14159};
    const char *dw[] = {"0.1", "100.0", "1234567.0", "1.2345678E7", "0.001", "1.0E-4",
                        "-1.5E-7", "3.14159"};
    ls_schema *ds;
    CHECK_OK(ls_schema_parse_ddl("d DOUBLE", &ds, &err), &err);
    ls_batch *db = ls_batch_new(ds);
    for (int i = 0; i < 8; i++) {
        ls_leaf_push_f64(&db->leaves[0], 0, dv[i]);
        ls_buf_reset(&b);
        dl_partition_value_format(&db->leaves[0], (size_t)i, &b);
        CHECK_STR(ls_buf_cstr(&b), dw[i]);
    }
    ls_batch_free(db);
    ls_schema_free(ds);
    ls_buf_free(&b);
    ls_batch_free(bt);
    ls_schema_free(sc);
}

static void test_paths(void)
{
    struct {
        const char *in, *dir;
    } hv[] = {
        {"A/A", "A%2FA"},
        {"B B", "B B"},
        {"bar+%21", "bar+%2521"},
        {"\xf0\x9f\x98\x88", "\xf0\x9f\x98\x88"},
        {"2021-09-08 11:11:11", "2021-09-08 11%3A11%3A11"},
        {"/%20%f", "%2F%2520%25f"},
        {"a\"#'*=?\\{[]^}b", "a%22%23%27%2A%3D%3F%5C%7B%5B%5D%5E}b"},
        {"\x01\x7f", "%01%7F"},
        {"", DL_HIVE_DEFAULT_PARTITION},
        {NULL, DL_HIVE_DEFAULT_PARTITION},
    };
    for (size_t i = 0; i < sizeof hv / sizeof hv[0]; i++) {
        char *e = dl_partition_path_escape(hv[i].in);
        CHECK_STR(e, hv[i].dir);
        free(e);
    }
    struct {
        const char *dir, *path;
    } uv[] = {
        {"as_timestamp=2021-09-08 11%3A11%3A11/f.parquet",
         "as_timestamp=2021-09-08%2011%253A11%253A11/f.parquet"},
        {"letter=%2F%2520%25f", "letter=%252F%252520%2525f"},
        {"_2=bar+%2521", "_2=bar+%252521"},
        {"data=\xf0\x9f\x98\x88", "data=\xf0\x9f\x98\x88"},
        {"x=A%2FA", "x=A%252FA"},
        {"a\"#<>?[\\]^`{|}b", "a%22%23%3C%3E%3F%5B%5C%5D%5E%60%7B%7C%7Db"},
        {"t=1971-07-22T03:06:40.000000Z", "t=1971-07-22T03:06:40.000000Z"},
    };
    for (size_t i = 0; i < sizeof uv / sizeof uv[0]; i++) {
        ls_buf b = {0};
        dl_uri_encode_path(uv[i].dir, &b);
        CHECK_STR(ls_buf_cstr(&b), uv[i].path);
        char *d = dl_uri_decode(uv[i].path, strlen(uv[i].path));
        CHECK_STR(d, uv[i].dir);
        free(d);
        ls_buf_free(&b);
    }
    char *d = dl_uri_decode("a%2", 3);
    CHECK_STR(d, "a%2");
    free(d);
    d = dl_uri_decode("%zz%41+", 7);
    CHECK_STR(d, "%zzA+");
    free(d);

    /* log file names */
    dl_log_name nm;
    dl_log_name_parse("00000000000000000010.json", &nm);
    CHECK(nm.kind == DL_FILE_COMMIT && nm.version == 10);
    dl_log_name_parse("00000000000000000010.checkpoint.parquet", &nm);
    CHECK(nm.kind == DL_FILE_CHECKPOINT && nm.version == 10);
    dl_log_name_parse("00000000000000000001.checkpoint.0000000002.0000000002.parquet", &nm);
    CHECK(nm.kind == DL_FILE_CHECKPOINT_MP && nm.part == 2 && nm.parts == 2);
    dl_log_name_parse("00000000000000000002.checkpoint.e8fa2696-9728-4e9c-b285-634743fdd4fb.json",
                      &nm);
    CHECK(nm.kind == DL_FILE_CHECKPOINT_V2 && nm.json && nm.version == 2);
    dl_log_name_parse("00000000000000000006.00000000000000000010.compacted.json", &nm);
    CHECK(nm.kind == DL_FILE_COMPACTED && nm.version == 6);
    dl_log_name_parse(".00000000000000000000.json.crc", &nm);
    CHECK(nm.kind == DL_FILE_OTHER);
    dl_log_name_parse("99999999999999999999.json", &nm);
    CHECK(nm.kind == DL_FILE_OTHER);
    dl_log_name_parse("0000000000000000001.json", &nm);
    CHECK(nm.kind == DL_FILE_OTHER);
    dl_log_name_parse("_last_checkpoint", &nm);
    CHECK(nm.kind == DL_FILE_LAST_CHECKPOINT);
}

/* ---- replay semantics on synthetic logs ------------------------------------------------ */

static void test_replay_semantics(void)
{
    ls_error err = {0};
    char *dir = new_table_dir("replay");
    char *a1 = add_line("p=x/f1.parquet", NULL);
    char *a2 = add_line("p=x/f%202.parquet", NULL);
    char *a3 = add_line("p=x/f3.parquet", ",\"tags\":{\"k\":\"v\"}");
    ls_buf c0 = {0};
    ls_buf_printf(&c0, "{\"commitInfo\":{\"timestamp\":1000,\"operation\":\"WRITE\"}}\n%s%s%s%s%s",
                  P12, MD_AB, a1, a2, a3);
    put_commit(dir, 0, ls_buf_cstr(&c0));
    /* v1: remove f1 (tombstone), txn, domain, unknown action, cdc */
    char *r1 = rm_line("p=x/f1.parquet", NULL);
    ls_buf c1 = {0};
    ls_buf_printf(&c1,
                  "{\"commitInfo\":{\"timestamp\":2000,\"operation\":\"DELETE\"}}\n%s"
                  "{\"txn\":{\"appId\":\"app\",\"version\":5}}\n"
                  "{\"txn\":{\"appId\":\"other\",\"version\":1}}\n"
                  "{\"domainMetadata\":{\"domain\":\"d1\",\"configuration\":\"{}\","
                  "\"removed\":false}}\n"
                  "{\"domainMetadata\":{\"domain\":\"d2\",\"configuration\":\"c2\","
                  "\"removed\":false}}\n"
                  "{\"some_new_action\":{\"x\":1}}\n"
                  "{\"cdc\":{\"path\":\"_change_data/c.parquet\",\"partitionValues\":{},"
                  "\"size\":1,\"dataChange\":false}}\n",
                  r1);
    put_commit(dir, 1, ls_buf_cstr(&c1));
    /* v2: re-add f1 (tombstone dropped), txn goes down (latest wins), d2 removed, DV swap on
     * f3: remove (f3, no DV) and add (f3, DV) in the same commit, in either order */
    char *a1b = add_line("p=x/f1.parquet", ",\"stats\":\"{\\\"numRecords\\\":4}\"");
    char *a3dv = add_line("p=x/f3.parquet",
                          ",\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"abc\","
                          "\"offset\":1,\"sizeInBytes\":34,\"cardinality\":2}");
    char *r3 = rm_line("p=x/f3.parquet", NULL);
    ls_buf c2 = {0};
    ls_buf_printf(&c2,
                  "{\"commitInfo\":{\"timestamp\":3000,\"inCommitTimestamp\":2500}}\n%s%s%s"
                  "{\"txn\":{\"appId\":\"app\",\"version\":3}}\n"
                  "{\"domainMetadata\":{\"domain\":\"d2\",\"configuration\":\"\",\"removed\":"
                  "true}}\n",
                  a1b, a3dv, r3);
    put_commit(dir, 2, ls_buf_cstr(&c2));
    /* v3: absolute and file: paths canonicalize to the same files; remove with a wrong DV
     * does not remove the live file */
    char *root_abs = realpath(dir, NULL);
    char *absrm = ls_xasprintf("file:%s/p=x/f%%202.parquet", root_abs);
    char *r2 = rm_line(absrm, NULL);
    char *r3wrong = rm_line("p=x/f3.parquet",
                            ",\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":"
                            "\"zzz\",\"offset\":1,\"sizeInBytes\":34,\"cardinality\":1}");
    char *a4 = add_line("/elsewhere/with%20space/p@%23h", NULL);
    char *r4 = rm_line("file:/elsewhere/with%20space/p@%23h", NULL);
    ls_buf c3 = {0};
    ls_buf_printf(&c3, "%s%s%s%s", r2, r3wrong, a4, r4);
    put_commit(dir, 3, ls_buf_cstr(&c3));

    ls_delta_table *t;
    ls_delta_snapshot *s = NULL;
    CHECK_OK(ls_delta_open(dir, &t, &err), &err);
    bool ex = false;
    CHECK_OK(ls_delta_exists(t, &ex, &err), &err);
    CHECK(ex);
    CHECK_OK(ls_delta_snapshot_load(t, NULL, &s, &err), &err);
    if (s) {
        CHECK(ls_delta_snapshot_version(s) == 3);
        CHECK(ls_delta_snapshot_num_files(s) == 2);
        CHECK(snap_has_file(s, "p=x/f1.parquet"));
        CHECK(snap_has_file(s, "p=x/f3.parquet"));
        /* sorted by path */
        if (ls_delta_snapshot_num_files(s) == 2) {
            const ls_delta_add *f1 = ls_delta_snapshot_file(s, 0);
            const ls_delta_add *f3 = ls_delta_snapshot_file(s, 1);
            CHECK_STR(f1->path, "p=x/f1.parquet");
            CHECK_STR(f1->stats, "{\"numRecords\":4}");
            CHECK(f3->dv && f3->dv->cardinality == 2);
            CHECK_STR(ls_kvlist_get(&f3->partition_values, "p", NULL), "x");
        }
        CHECK(ls_delta_snapshot_file(s, 99) == NULL);
        CHECK(ls_delta_snapshot_txn_version(s, "app") == 3);
        CHECK(ls_delta_snapshot_txn_version(s, "other") == 1);
        CHECK(ls_delta_snapshot_txn_version(s, "nope") == -1);
        CHECK(ls_delta_snapshot_num_txns(s) == 2);
        CHECK(ls_delta_snapshot_domain(s, "d1") != NULL);
        CHECK(ls_delta_snapshot_domain(s, "d2") == NULL);
        /* tombstones: f1 was re-added (dropped), f3 (no DV), f2 (file: path), the wrong-DV
         * f3 remove, and the absolute path */
        CHECK_MSG(ls_delta_snapshot_num_tombstones(s) == 4, "%zu",
                  ls_delta_snapshot_num_tombstones(s));
        const ls_delta_metadata *m = ls_delta_snapshot_metadata(s);
        CHECK(m->n_partition_columns == 1 && !strcmp(m->partition_columns[0], "p"));
        CHECK(m->created_time == 1000);
        CHECK_STR(ls_delta_snapshot_property(s, "delta.checkpointInterval", "10"), "5");
        CHECK_STR(ls_delta_snapshot_property(s, "delta.x", "dflt"), "dflt");
        const ls_schema *sc = ls_delta_snapshot_schema(s);
        CHECK(sc && sc->root.n_children == 2 && !strcmp(sc->root.children[1].name, "p"));
        CHECK(ls_delta_snapshot_protocol(s)->min_writer_version == 2);
        ls_delta_snapshot_free(s);
        s = NULL;
    }
    /* time travel by version */
    ls_delta_snapshot_spec sp = {LS_AT_VERSION, 1, 0};
    CHECK_OK(ls_delta_snapshot_load(t, &sp, &s, &err), &err);
    if (s) {
        CHECK(ls_delta_snapshot_version(s) == 1 && ls_delta_snapshot_num_files(s) == 2);
        CHECK(ls_delta_snapshot_timestamp(s) == 2000);
        CHECK(ls_delta_snapshot_domain(s, "d2") != NULL);
        ls_delta_snapshot_free(s);
        s = NULL;
    }
    sp.version = 4;
    CHECK(ls_delta_snapshot_load(t, &sp, &s, &err) == LS_ERR_NOTFOUND);
    /* by timestamp: commit timestamps 1000, 2000, 2500 (ICT), v3 has no commitInfo: mtime */
    ls_delta_snapshot_spec ts = {LS_AT_TIMESTAMP, 0, 2200};
    CHECK_OK(ls_delta_snapshot_load(t, &ts, &s, &err), &err);
    if (s) {
        CHECK(ls_delta_snapshot_version(s) == 1);
        ls_delta_snapshot_free(s);
        s = NULL;
    }
    ts.timestamp_ms = 2500;
    CHECK_OK(ls_delta_snapshot_load(t, &ts, &s, &err), &err);
    if (s) {
        CHECK(ls_delta_snapshot_version(s) == 2);
        CHECK(ls_delta_snapshot_timestamp(s) == 2500);
        ls_delta_snapshot_free(s);
        s = NULL;
    }
    ts.timestamp_ms = 999;
    CHECK(ls_delta_snapshot_load(t, &ts, &s, &err) == LS_ERR_NOTFOUND);
    CHECK_MSG(strstr(err.msg, "before the earliest") != NULL, "%s", err.msg);
    ts.timestamp_ms = INT64_MAX;
    CHECK_OK(ls_delta_snapshot_load(t, &ts, &s, &err), &err);
    if (s) {
        CHECK(ls_delta_snapshot_version(s) == 3);
        ls_delta_snapshot_free(s);
        s = NULL;
    }

    /* history, newest first */
    ls_delta_commit_info *h = NULL;
    size_t nh = 0;
    CHECK_OK(ls_delta_history(t, 0, -1, &h, &nh, &err), &err);
    CHECK(nh == 4);
    if (nh == 4) {
        CHECK(h[0].version == 3 && h[0].operation == NULL);
        CHECK(h[1].version == 2 && h[1].in_commit_timestamp == 2500 && h[1].timestamp == 3000);
        CHECK(h[3].version == 0 && !strcmp(h[3].operation, "WRITE") && h[3].raw);
    }
    for (size_t i = 0; i < nh; i++)
        ls_delta_commit_info_free(&h[i]);
    free(h);
    CHECK_OK(ls_delta_history(t, 1, 2, &h, &nh, &err), &err);
    CHECK(nh == 2 && h[0].version == 2 && h[1].version == 1);
    for (size_t i = 0; i < nh; i++)
        ls_delta_commit_info_free(&h[i]);
    free(h);

    /* adds since: v1 removes data -> refused unless allowed */
    ls_delta_add *adds = NULL;
    size_t na = 0;
    CHECK(ls_delta_adds_since(t, 0, -1, false, &adds, &na, &err) == LS_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.msg, "DELETE") != NULL, "%s", err.msg);
    CHECK_OK(ls_delta_adds_since(t, 0, -1, true, &adds, &na, &err), &err);
    CHECK(na == 3); /* v2: f1, f3+dv; v3: absolute path */
    for (size_t i = 0; i < na; i++)
        ls_delta_add_free(&adds[i]);
    free(adds);
    CHECK_OK(ls_delta_adds_since(t, 3, -1, false, &adds, &na, &err), &err);
    CHECK(na == 0);
    free(adds);
    CHECK(ls_delta_adds_since(t, 5, -1, false, &adds, &na, &err) != LS_OK);
    CHECK_OK(ls_delta_adds_since(t, -1, 0, false, &adds, &na, &err), &err);
    CHECK(na == 3);
    for (size_t i = 0; i < na; i++)
        ls_delta_add_free(&adds[i]);
    free(adds);

    /* path resolution */
    char *rp = ls_delta_resolve_path(t, "p=x/f%202.parquet");
    CHECK_STR(rp, "p=x/f 2.parquet");
    free(rp);
    char *abs_in = ls_xasprintf("file://%s/a%%252Fb", root_abs);
    rp = ls_delta_resolve_path(t, abs_in);
    CHECK_STR(rp, "a%2Fb");
    free(rp);
    free(abs_in);
    rp = ls_delta_resolve_path(t, "file:/other/x%20y");
    CHECK_STR(rp, "/other/x y");
    free(rp);
    rp = ls_delta_resolve_path(t, "s3://bucket/k%3Dv");
    CHECK_STR(rp, "s3://bucket/k=v");
    free(rp);
    CHECK(ls_delta_store(t) != NULL);
    ls_delta_close(t);

    free(root_abs);
    free(absrm);
    free(a1), free(a2), free(a3), free(r1), free(a1b), free(a3dv), free(r3), free(r2);
    free(r3wrong), free(a4), free(r4);
    ls_buf_free(&c0), ls_buf_free(&c1), ls_buf_free(&c2), ls_buf_free(&c3);
    free(dir);
}

/* Many files through the replay API: chunked file memory, removal, DV swaps, sorting. */
static void test_replay_many(void)
{
    ls_error err = {0};
    ls_arena a;
    ls_arena_init(&a, 64 * 1024);
    dl_replay *r = dl_replay_new(NULL);
    dl_action act;
    const char *boot[] = {P12, MD_AB};
    for (int i = 0; i < 2; i++) {
        CHECK_OK(dl_action_parse_line(boot[i], strlen(boot[i]) - 1, &a, &act, &err), &err);
        CHECK_OK(dl_replay_apply(r, &act, &err), &err);
    }
    const int N = 30000;
    char path[128], line[512];
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        /* shared prefixes, different lengths, some paths prefixes of others */
        int len = snprintf(path, sizeof path, "p=%c/part-%05u-%x%s", 'a' + (int)(x % 3),
                           (x >> 8) % 100, i, (i % 7 == 0) ? "" : ".c000.snappy.parquet");
        (void)len;
        snprintf(line, sizeof line,
                 "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"%c\"},"
                 "\"size\":%d,\"modificationTime\":1,\"dataChange\":true,\"stats\":"
                 "\"{\\\"numRecords\\\":%d}\"}}",
                 path, 'a' + (int)(x % 3), i, i);
        CHECK_OK(dl_action_parse_line(line, strlen(line), &a, &act, &err), &err);
        CHECK_OK(dl_replay_apply(r, &act, &err), &err);
        /* remove every third file again, and give every fifth a DV (remove + add) */
        if (i % 3 == 0) {
            snprintf(line, sizeof line,
                     "{\"remove\":{\"path\":\"%s\",\"deletionTimestamp\":9,\"dataChange\":true}}",
                     path);
            CHECK_OK(dl_action_parse_line(line, strlen(line), &a, &act, &err), &err);
            CHECK_OK(dl_replay_apply(r, &act, &err), &err);
        } else if (i % 5 == 0) {
            snprintf(line, sizeof line,
                     "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"%c\"},"
                     "\"size\":%d,\"modificationTime\":2,\"dataChange\":true,"
                     "\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"x%d\","
                     "\"sizeInBytes\":1,\"cardinality\":1}}}",
                     path, 'a' + (int)(x % 3), i, i);
            CHECK_OK(dl_action_parse_line(line, strlen(line), &a, &act, &err), &err);
            CHECK_OK(dl_replay_apply(r, &act, &err), &err);
            snprintf(line, sizeof line,
                     "{\"remove\":{\"path\":\"%s\",\"deletionTimestamp\":9,\"dataChange\":true}}",
                     path);
            CHECK_OK(dl_action_parse_line(line, strlen(line), &a, &act, &err), &err);
            CHECK_OK(dl_replay_apply(r, &act, &err), &err);
        }
        ls_arena_reset(&a);
    }
    ls_delta_snapshot *s = NULL;
    CHECK_OK(dl_replay_finish(r, 7, 123, &s, &err), &err);
    if (s) {
        size_t want = 0, dvs = 0;
        for (int i = 0; i < N; i++)
            if (i % 3 != 0) {
                want++;
                if (i % 5 == 0)
                    dvs++;
            }
        CHECK_MSG(ls_delta_snapshot_num_files(s) == want, "%zu files, want %zu",
                  ls_delta_snapshot_num_files(s), want);
        CHECK(ls_delta_snapshot_version(s) == 7 && ls_delta_snapshot_timestamp(s) == 123);
        size_t got_dv = 0;
        for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++) {
            const ls_delta_add *f = ls_delta_snapshot_file(s, i);
            if (i)
                CHECK_MSG(strcmp(ls_delta_snapshot_file(s, i - 1)->path, f->path) < 0,
                          "not sorted at %zu", i);
            CHECK(f->size % 3 != 0);
            if (f->dv) {
                got_dv++;
                CHECK(f->size % 5 == 0 && f->modification_time == 2);
            }
        }
        CHECK(got_dv == dvs);
        /* tombstones: one per removed file, plus the no-DV remove of each DV swap */
        CHECK_MSG(ls_delta_snapshot_num_tombstones(s) == (size_t)(N - want) + dvs, "%zu",
                  ls_delta_snapshot_num_tombstones(s));
        for (size_t i = 1; i < ls_delta_snapshot_num_tombstones(s); i++)
            CHECK(strcmp(ls_delta_snapshot_tombstone(s, i - 1)->path,
                         ls_delta_snapshot_tombstone(s, i)->path) <= 0);
        ls_delta_snapshot_free(s);
    }
    dl_replay_free(r);
    ls_arena_free(&a);
}

/* A table that does not exist; open does not create it. */
static void test_missing_table(void)
{
    ls_error err = {0};
    char *dir = ls_xasprintf("%s/does-not-exist", tmp_root());
    ls_delta_table *t;
    CHECK_OK(ls_delta_open(dir, &t, &err), &err);
    bool ex = true;
    CHECK_OK(ls_delta_exists(t, &ex, &err), &err);
    CHECK(!ex);
    ls_delta_snapshot *s;
    CHECK(ls_delta_snapshot_load(t, NULL, &s, &err) == LS_ERR_NOTFOUND);
    struct stat st;
    CHECK(stat(dir, &st) != 0);
    ls_delta_close(t);
    /* an empty directory is not a table either */
    char *e = new_table_dir("empty");
    CHECK_OK(ls_delta_open(e, &t, &err), &err);
    CHECK_OK(ls_delta_exists(t, &ex, &err), &err);
    CHECK(!ex);
    CHECK(ls_delta_snapshot_load(t, NULL, &s, &err) == LS_ERR_NOTFOUND);
    ls_delta_close(t);
    free(e);
    free(dir);
}

/* ---- malformed logs -------------------------------------------------------------------- */

static void expect_load_fail(const char *dir, int64_t version, int code, const char *needle)
{
    ls_error err = {0};
    ls_delta_table *t;
    ls_delta_snapshot *s = NULL;
    ls_delta_open(dir, &t, &err);
    ls_delta_snapshot_spec spec = {version < 0 ? LS_AT_LATEST : LS_AT_VERSION, version, 0};
    int rc = ls_delta_snapshot_load(t, &spec, &s, &err);
    CHECK_MSG(rc == code, "%s: rc %d (want %d): %s", dir, rc, code, err.msg);
    if (needle)
        CHECK_MSG(strstr(err.msg, needle) != NULL, "%s: message '%s' lacks '%s'", dir, err.msg,
                  needle);
    if (rc == LS_OK)
        ls_delta_snapshot_free(s);
    ls_delta_close(t);
}

static void test_malformed(void)
{
    char *base = ls_xasprintf("%s%s", P12, MD_AB);
    char *a1 = add_line("f1", NULL);
    /* truncated commit */
    char *d = new_table_dir("trunc");
    put_commit(d, 0, base);
    put_commit(d, 1, "{\"add\":{\"path\":\"f1\",\"partitionVal");
    expect_load_fail(d, -1, LS_ERR_CORRUPT, "00000000000000000001.json");
    expect_load_fail(d, 0, LS_OK, NULL);
    free(d);
    /* garbage */
    d = new_table_dir("garbage");
    put_commit(d, 0, base);
    put_file(d, "_delta_log/00000000000000000001.json", "\x00\xff garbage\n", 10);
    expect_load_fail(d, -1, LS_ERR_CORRUPT, "line 1");
    free(d);
    /* wrong types in a known action */
    d = new_table_dir("badtype");
    put_commit(d, 0, base);
    put_commit(d, 1, "{\"add\":{\"path\":\"f1\",\"size\":\"big\",\"dataChange\":true}}\n");
    expect_load_fail(d, -1, LS_ERR_CORRUPT, "size");
    free(d);
    /* missing version in the middle */
    d = new_table_dir("gap");
    put_commit(d, 0, base);
    put_commit(d, 1, a1);
    put_commit(d, 3, a1);
    expect_load_fail(d, -1, LS_ERR_CORRUPT, "missing commit 2");
    expect_load_fail(d, 1, LS_OK, NULL);
    expect_load_fail(d, 3, LS_ERR_CORRUPT, "missing commit 2");
    free(d);
    /* commit 0 removed without a checkpoint */
    d = new_table_dir("nozero");
    put_commit(d, 1, base);
    put_commit(d, 2, a1);
    expect_load_fail(d, -1, LS_ERR_CORRUPT, "missing commit 0");
    free(d);
    /* no protocol / no metadata */
    d = new_table_dir("noproto");
    put_commit(d, 0, MD_AB);
    expect_load_fail(d, -1, LS_ERR_CORRUPT, "protocol");
    free(d);
    d = new_table_dir("nometa");
    put_commit(d, 0, P12);
    expect_load_fail(d, -1, LS_ERR_CORRUPT, "metaData");
    free(d);
    /* bad schema string */
    d = new_table_dir("badschema");
    put_commit(d, 0, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
                     "{\"metaData\":{\"id\":\"x\",\"schemaString\":\"{not json\","
                     "\"partitionColumns\":[],\"configuration\":{}}}\n");
    expect_load_fail(d, -1, LS_ERR_CORRUPT, "schemaString");
    free(d);
    /* unsupported features */
    d = new_table_dir("variant");
    put_commit(d, 0, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
                     "\"readerFeatures\":[\"variantType\"],\"writerFeatures\":[\"variantType\"]}}\n");
    put_commit(d, 1, MD_AB);
    expect_load_fail(d, -1, LS_ERR_UNSUPPORTED, "unsupported Delta feature: variantType");
    free(d);
    d = new_table_dir("futurereader");
    put_commit(d, 0, "{\"protocol\":{\"minReaderVersion\":4,\"minWriterVersion\":7}}\n");
    put_commit(d, 1, MD_AB);
    expect_load_fail(d, -1, LS_ERR_UNSUPPORTED, "unsupported Delta feature");
    free(d);
    /* an unsupported protocol wins over a later malformed commit */
    d = new_table_dir("unsupported-then-bad");
    put_commit(d, 0, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
                     "\"readerFeatures\":[\"catalogManaged\"],\"writerFeatures\":[]}}\n");
    put_commit(d, 1, "{\"futureAction\":{}}\n{\"add\":{\"path\":1}}\n");
    expect_load_fail(d, -1, LS_ERR_UNSUPPORTED, "catalogManaged");
    free(d);

    const char *sh = t_shared_dir();
    if (!sh) {
        printf("SKIP malformed checkpoint tests: LS_SHARED_DIR not set\n");
    } else {
        /* corrupt _last_checkpoint: must fall back to listing */
        char *src = ls_xasprintf("%s/testdata/delta/dat/with_checkpoint/delta", sh);
        const char *lcs[] = {"", "garbage{", "{\"version\":99,\"size\":1}",
                             "{\"version\":-5}", "{\"version\":0,\"size\":3}"};
        for (size_t i = 0; i < sizeof lcs / sizeof lcs[0]; i++) {
            char name[32];
            snprintf(name, sizeof name, "lastcp%zu", i);
            d = new_table_dir(name);
            copy_tree(src, d);
            char *lc = ls_xasprintf("%s/_delta_log/_last_checkpoint", d);
            chmod(lc, 0644);
            FILE *f = fopen(lc, "wb");
            if (f) {
                fwrite(lcs[i], 1, strlen(lcs[i]), f);
                fclose(f);
            }
            ls_delta_snapshot *s;
            ls_error err = {0};
            ls_delta_table *t;
            ls_delta_open(d, &t, &err);
            CHECK_OK(ls_delta_snapshot_load(t, NULL, &s, &err), &err);
            if (ls_delta_snapshot_version(s) != 3 || ls_delta_snapshot_num_files(s) != 1)
                CHECK_MSG(0, "lastcp %zu: v%lld files %zu", i,
                          (long long)ls_delta_snapshot_version(s),
                          ls_delta_snapshot_num_files(s));
            unload(s, t);
            free(lc);
            free(d);
        }
        /* damaged checkpoint Parquet: clean error */
        for (size_t i = 0; i < 3; i++) {
            char name[32];
            snprintf(name, sizeof name, "badcp%zu", i);
            d = new_table_dir(name);
            copy_tree(src, d);
            char *cp = ls_xasprintf("%s/_delta_log/00000000000000000002.checkpoint.parquet", d);
            ls_buf b = {0};
            ls_error err = {0};
            ls_read_file(cp, &b, &err);
            chmod(cp, 0644);
            FILE *f = fopen(cp, "wb");
            if (f) {
                if (i == 0)
                    fwrite(b.data, 1, b.len / 2, f);
                else if (i == 1)
                    for (size_t k = 0; k < b.len; k++)
                        fputc((int)(k * 131 % 251), f);
                else {
                    memset(b.data + b.len - 8, 0, 4);
                    fwrite(b.data, 1, b.len, f);
                }
                fclose(f);
            }
            ls_buf_free(&b);
            expect_load_fail(d, -1, LS_ERR_CORRUPT, "checkpoint");
            /* versions before the checkpoint still load from the commits */
            expect_load_fail(d, 1, LS_OK, NULL);
            free(cp);
            free(d);
        }
        /* checkpoint with a missing part of a multi-part set is ignored */
        char *mp = ls_xasprintf("%s/testdata/delta/golden/multi-part-checkpoint/delta", sh);
        d = new_table_dir("mp-missing");
        copy_tree(mp, d);
        char *part =
            ls_xasprintf("%s/_delta_log/00000000000000000001.checkpoint.0000000002.0000000002.parquet",
                         d);
        unlink(part);
        expect_load_fail(d, -1, LS_OK, NULL);
        free(part);
        free(d);
        free(mp);
        /* version older than the oldest checkpoint when commits are gone */
        char *nr = ls_xasprintf("%s/testdata/delta/dat/no_replay/delta", sh);
        /* commits 0-1 are gone, checkpoints at 2 and 4 */
        expect_load_fail(nr, 1, LS_ERR_NOTFOUND, "cannot be reconstructed");
        expect_load_fail(nr, 0, LS_ERR_NOTFOUND, "cannot be reconstructed");
        expect_load_fail(nr, 2, LS_OK, NULL);
        expect_load_fail(nr, 3, LS_OK, NULL);
        expect_load_fail(nr, 4, LS_OK, NULL);
        expect_load_fail(nr, 6, LS_ERR_NOTFOUND, "does not exist");
        free(nr);
        free(src);
    }
    free(base);
    free(a1);
}

/* ---- the corpus ------------------------------------------------------------------------- */

typedef struct expect {
    char path[160];
    char proto[512], version[32], result[2048], verdict[512];
} expect;

static char *cell_trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

/* Splits one INDEX.md table row into its 8 cells. */
static bool parse_row(const char *line, expect *e)
{
    if (strncmp(line, "| `", 3) != 0)
        return false;
    char *copy = ls_xstrdup(line);
    char *cells[9];
    int nc = 0;
    char *p = copy + 1;
    while (nc < 9) {
        char *bar = strstr(p, " | ");
        if (!bar) {
            cells[nc++] = p;
            break;
        }
        *bar = 0;
        cells[nc++] = p;
        p = bar + 3;
    }
    bool ok = nc == 8;
    if (ok) {
        char *c0 = cell_trim(cells[0]);
        char *b1 = strchr(c0, '`'), *b2 = b1 ? strchr(b1 + 1, '`') : NULL;
        ok = b1 && b2 && b2 - b1 - 1 < (long)sizeof e->path;
        if (ok) {
            memset(e, 0, sizeof *e);
            memcpy(e->path, b1 + 1, (size_t)(b2 - b1 - 1));
            size_t pl = strlen(e->path);
            if (pl && e->path[pl - 1] == '/')
                e->path[pl - 1] = 0;
            snprintf(e->proto, sizeof e->proto, "%s", cell_trim(cells[3]));
            snprintf(e->version, sizeof e->version, "%s", cell_trim(cells[4]));
            snprintf(e->result, sizeof e->result, "%s", cell_trim(cells[5]));
            snprintf(e->verdict, sizeof e->verdict, "%s", cell_trim(cells[6]));
        }
    }
    free(copy);
    return ok;
}

typedef struct proto_exp {
    bool known;
    int r, w;
    int nrf, nwf;
    char rf[16][64], wf[24][64];
} proto_exp;

static void parse_list(const char *s, const char *tag, char out[][64], int max, int *n)
{
    *n = 0;
    const char *p = strstr(s, tag);
    if (!p)
        return;
    p += strlen(tag);
    while (*p && *p != ']' && *n < max) {
        size_t len = strcspn(p, ",]");
        if (len && len < 64) {
            memcpy(out[*n], p, len);
            out[*n][len] = 0;
            (*n)++;
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

static void parse_proto(const char *s, proto_exp *pe)
{
    memset(pe, 0, sizeof *pe);
    if (sscanf(s, "%d/%d", &pe->r, &pe->w) != 2)
        return;
    pe->known = true;
    parse_list(s, "R:[", pe->rf, 16, &pe->nrf);
    parse_list(s, "W:[", pe->wf, 24, &pe->nwf);
}

static bool same_set(char *const *got, int ng, char want[][64], int nw)
{
    if (ng != nw)
        return false;
    for (int i = 0; i < nw; i++) {
        bool f = false;
        for (int j = 0; j < ng; j++)
            if (!strcmp(got[j], want[i]))
                f = true;
        if (!f)
            return false;
    }
    return true;
}

/* Row facts in the "expected result" cell: "vN[:] M" pairs and the first "M row(s)". */
typedef struct vrows {
    int n;
    int64_t version[16], rows[16];
    int64_t latest_rows;  /* -1 if not given */
    int64_t live_files;   /* -1 if not given */
} vrows;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static void parse_result(const char *s, vrows *v)
{
    memset(v, 0, sizeof *v);
    v->latest_rows = -1;
    v->live_files = -1;
    /* first "M row" */
    for (const char *p = s; *p; p++) {
        if (is_digit(*p) && (p == s || !is_digit(p[-1]) ) &&
            (p == s || (p[-1] == ' ' || p[-1] == '(' || p[-1] == ':'))) {
            const char *q = p;
            int64_t x = 0;
            while (is_digit(*q))
                x = x * 10 + (*q++ - '0');
            if (!strncmp(q, " row", 4)) {
                if (strstr(s, "if the protocol were ignored") == NULL)
                    v->latest_rows = x;
                break;
            }
        }
    }
    /* "vN[:] M" followed by a delimiter */
    for (const char *p = s; *p && v->n < 16; p++) {
        if (*p != 'v' || !is_digit(p[1]) || (p > s && (isalnum((unsigned char)p[-1]) ||
                                                         p[-1] == '`' || p[-1] == '{' ||
                                                         p[-1] == ',')))
            continue;
        const char *q = p + 1;
        int64_t ver = 0;
        while (is_digit(*q))
            ver = ver * 10 + (*q++ - '0');
        if (*q == ':')
            q++;
        if (*q != ' ' || !is_digit(q[1]))
            continue;
        q++;
        int64_t rows = 0;
        while (is_digit(*q))
            rows = rows * 10 + (*q++ - '0');
        if (*q == 0 || *q == ',' || *q == ';' || *q == '.' || *q == ')' ||
            !strncmp(q, " row", 4) || !strncmp(q, " (", 2) || !strncmp(q, " \xe2\x80\x94", 4)) {
            v->version[v->n] = ver;
            v->rows[v->n] = rows;
            v->n++;
        }
    }
    /* live files */
    const char *lf = strstr(s, " live file");
    if (!lf)
        lf = strstr(s, " live add");
    if (lf) {
        const char *q = lf;
        while (q > s && q[-1] == '*')
            q--;
        const char *e = q;
        while (q > s && is_digit(q[-1]))
            q--;
        if (q < e)
            v->live_files = strtoll(q, NULL, 10);
    }
    const char *set = strstr(s, "live files {");
    if (set) {
        int ticks = 0;
        for (const char *q = set; *q && *q != '}'; q++)
            if (*q == '`')
                ticks++;
        v->live_files = ticks / 2;
    }
}

/* Sum of numRecords minus DV cardinalities, or -1 when some file has no numRecords. */
static int64_t snapshot_rows(const ls_delta_snapshot *s)
{
    int64_t total = 0;
    ls_arena a;
    ls_arena_init(&a, 16 * 1024);
    for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++) {
        const ls_delta_add *f = ls_delta_snapshot_file(s, i);
        ls_json *j;
        ls_error err = {0};
        int64_t nr;
        if (!f->stats || ls_json_parse(f->stats, strlen(f->stats), &a, &j, &err) != LS_OK ||
            !ls_json_int64(ls_json_get(j, "numRecords"), &nr)) {
            total = -1;
            break;
        }
        total += nr - (f->dv ? f->dv->cardinality : 0);
        ls_arena_reset(&a);
    }
    ls_arena_free(&a);
    return total;
}

static bool we_support(const proto_exp *pe)
{
    if (!pe->known)
        return true;
    if (pe->r > 3)
        return false;
    if (pe->r < 3)
        return true;
    ls_delta_protocol p = {pe->r, pe->w, pe->nrf, 0, NULL, NULL};
    char *rf[16];
    for (int i = 0; i < pe->nrf; i++)
        rf[i] = (char *)pe->rf[i];
    p.reader_features = rf;
    ls_error err = {0};
    return dl_protocol_check_read(&p, &err) == LS_OK;
}

/* Partition columns / field names INDEX.md states (by table, at the latest version unless
 * a version is given). */
static const struct {
    const char *table;
    int64_t version;
    const char *partition_columns; /* comma-separated */
    const char *fields;            /* comma-separated top-level names, or NULL */
} g_schema_facts[] = {
    {"dat/basic_partitioned", -1, "letter", NULL},
    {"dat/partitioned_with_null", -1, "letter", NULL},
    {"dat/multi_partitioned", -1, "letter,date,data", NULL},
    {"dat/multi_partitioned_2", -1, "bool,time,amount", "bool,time,amount,int"},
    {"dat/column_mapping", -1, "", "letter,new_int,date"},
    {"dat/column_mapping", 0, "", "letter,int,date"},
    {"dat/with_schema_change", -1, "", "num1,num2"},
    {"dat/with_schema_change", 0, "", "letter,number"},
    {"golden/basic-decimal-table", -1, "part", NULL},
    {"golden/time-travel-partition-changes-b", -1, "part2", "id,part2"},
    {"golden/time-travel-partition-changes-b", 0, "part5", "id,part5"},
    {"golden/log-replay-latest-metadata-protocol", -1, "", "col1,col2"},
    {"golden/log-replay-latest-metadata-protocol", 0, "", "col1"},
    {"golden/dv-partitioned-with-checkpoint", -1, "part", NULL},
    {"golden/data-reader-escaped-chars", -1, "_2", NULL},
    {"golden/kernel-timestamp-int96", -1, "part", NULL},
    {"deltars/cdc_ict_table", -1, "birthyear", NULL},
    {"deltars/delta-0.8.0-special-partition", -1, "x", NULL},
    {"kernelrs/void-column", -1, "", "id,void_col"},
    {"spark/delta-0.1.0", -1, "id", NULL},
};

static bool list_equals(char *const *got, int ng, const char *want)
{
    int i = 0;
    const char *p = want;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (i >= ng || strlen(got[i]) != len || memcmp(got[i], p, len))
            return false;
        i++;
        p += len + (p[len] == ',');
    }
    return i == ng;
}

static bool fields_equal(const ls_schema *s, const char *want)
{
    char *names[64];
    int n = 0;
    for (int i = 0; i < s->root.n_children && i < 64; i++)
        names[n++] = s->root.children[i].name;
    return list_equals(names, n, want);
}

static void check_schema_facts(const char *table, const char *uri, ls_buf *why)
{
    for (size_t i = 0; i < sizeof g_schema_facts / sizeof g_schema_facts[0]; i++) {
        if (strcmp(g_schema_facts[i].table, table))
            continue;
        ls_delta_table *t;
        ls_delta_snapshot *s;
        ls_error err = {0};
        ls_delta_open(uri, &t, &err);
        ls_delta_snapshot_spec spec = {g_schema_facts[i].version < 0 ? LS_AT_LATEST
                                                                     : LS_AT_VERSION,
                                       g_schema_facts[i].version, 0};
        if (ls_delta_snapshot_load(t, &spec, &s, &err) != LS_OK) {
            ls_buf_printf(why, "; load for schema facts: %s", err.msg);
            ls_delta_close(t);
            continue;
        }
        const ls_delta_metadata *m = ls_delta_snapshot_metadata(s);
        if (!list_equals(m->partition_columns, m->n_partition_columns,
                         g_schema_facts[i].partition_columns))
            ls_buf_printf(why, "; partition columns differ at v%lld",
                          (long long)g_schema_facts[i].version);
        if (g_schema_facts[i].fields && !fields_equal(ls_delta_snapshot_schema(s),
                                                      g_schema_facts[i].fields))
            ls_buf_printf(why, "; schema fields differ at v%lld",
                          (long long)g_schema_facts[i].version);
        unload(s, t);
    }
}

static bool check_table(const char *root, const expect *e, ls_buf *why)
{
    char *uri = ls_xasprintf("%s/%s/delta", root, e->path);
    proto_exp pe;
    parse_proto(e->proto, &pe);
    vrows vr;
    parse_result(e->result, &vr);
    bool must_fail = !strncmp(e->verdict, "ERROR", 5) || !we_support(&pe);
    bool refuse = !we_support(&pe);
    int64_t want_v = -1;
    if (e->version[0] == 'v' && is_digit(e->version[1]))
        want_v = strtoll(e->version + 1, NULL, 10);

    ls_delta_table *t;
    ls_delta_snapshot *s = NULL;
    ls_error err = {0};
    ls_delta_open(uri, &t, &err);
    int rc = ls_delta_snapshot_load(t, NULL, &s, &err);
    if (must_fail) {
        if (rc == LS_OK) {
            ls_buf_printf(why, "loaded v%lld but must fail (%s)",
                          (long long)ls_delta_snapshot_version(s), e->verdict);
            unload(s, t);
        } else {
            if (refuse && !strstr(err.msg, "unsupported Delta feature"))
                ls_buf_printf(why, "failed without 'unsupported Delta feature': %s", err.msg);
            ls_delta_close(t);
        }
        free(uri);
        return why->len == 0;
    }
    if (rc) {
        ls_buf_printf(why, "load failed: %s", err.msg);
        ls_delta_close(t);
        free(uri);
        return false;
    }
    if (want_v >= 0 && ls_delta_snapshot_version(s) != want_v)
        ls_buf_printf(why, "version %lld, INDEX says %lld",
                      (long long)ls_delta_snapshot_version(s), (long long)want_v);
    const ls_delta_protocol *p = ls_delta_snapshot_protocol(s);
    if (pe.known) {
        if (p->min_reader_version != pe.r || p->min_writer_version != pe.w)
            ls_buf_printf(why, "; protocol %d/%d, INDEX says %d/%d", p->min_reader_version,
                          p->min_writer_version, pe.r, pe.w);
        if (pe.r >= 3 && !same_set(p->reader_features, p->n_reader_features, pe.rf, pe.nrf))
            ls_buf_printf(why, "; reader features differ");
        if (pe.w >= 7 && !same_set(p->writer_features, p->n_writer_features, pe.wf, pe.nwf))
            ls_buf_printf(why, "; writer features differ");
    }
    if (vr.live_files >= 0 && (int64_t)ls_delta_snapshot_num_files(s) != vr.live_files &&
        !strstr(e->result, ".crc"))
        ls_buf_printf(why, "; %zu live files, INDEX says %lld", ls_delta_snapshot_num_files(s),
                      (long long)vr.live_files);
    int64_t rows = snapshot_rows(s);
    if (vr.latest_rows >= 0 && rows >= 0 && rows != vr.latest_rows)
        ls_buf_printf(why, "; %lld rows by stats, INDEX says %lld", (long long)rows,
                      (long long)vr.latest_rows);
    unload(s, t);
    /* every version INDEX.md names */
    for (int i = 0; i < vr.n; i++) {
        ls_delta_open(uri, &t, &err);
        ls_delta_snapshot_spec spec = {LS_AT_VERSION, vr.version[i], 0};
        if (ls_delta_snapshot_load(t, &spec, &s, &err) != LS_OK) {
            ls_buf_printf(why, "; v%lld: %s", (long long)vr.version[i], err.msg);
            ls_delta_close(t);
            continue;
        }
        if (ls_delta_snapshot_version(s) != vr.version[i])
            ls_buf_printf(why, "; asked v%lld got v%lld", (long long)vr.version[i],
                          (long long)ls_delta_snapshot_version(s));
        int64_t r = snapshot_rows(s);
        if (r >= 0 && r != vr.rows[i])
            ls_buf_printf(why, "; v%lld: %lld rows by stats, INDEX says %lld",
                          (long long)vr.version[i], (long long)r, (long long)vr.rows[i]);
        unload(s, t);
    }
    /* every older version loads too (time travel across checkpoints) */
    for (int64_t v = 0; want_v > 0 && v < want_v; v++) {
        ls_delta_open(uri, &t, &err);
        ls_delta_snapshot_spec spec = {LS_AT_VERSION, v, 0};
        rc = ls_delta_snapshot_load(t, &spec, &s, &err);
        if (rc == LS_OK) {
            if (ls_delta_snapshot_version(s) != v)
                ls_buf_printf(why, "; asked v%lld got another version", (long long)v);
            unload(s, t);
        } else {
            if (rc != LS_ERR_NOTFOUND)
                ls_buf_printf(why, "; v%lld: %s", (long long)v, err.msg);
            ls_delta_close(t);
        }
    }
    check_schema_facts(e->path, uri, why);
    free(uri);
    return why->len == 0;
}

static void test_corpus(void)
{
    const char *sh = t_shared_dir();
    if (!sh) {
        printf("SKIP delta log corpus: LS_SHARED_DIR not set\n");
        return;
    }
    char *root = ls_xasprintf("%s/testdata/delta", sh);
    char *idx = ls_xasprintf("%s/INDEX.md", root);
    ls_buf b = {0};
    ls_error err = {0};
    if (ls_read_file(idx, &b, &err) != LS_OK) {
        printf("SKIP delta log corpus: %s\n", err.msg);
        free(root);
        free(idx);
        return;
    }
    char *text = ls_buf_cstr(&b);
    int ok = 0, total = 0;
    ls_buf fails = {0};
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        expect e;
        if (parse_row(line, &e)) {
            total++;
            ls_buf why = {0};
            if (check_table(root, &e, &why))
                ok++;
            else
                ls_buf_printf(&fails, "  FAIL %s: %s\n", e.path, ls_buf_cstr(&why));
            ls_buf_free(&why);
        }
        line = nl ? nl + 1 : NULL;
    }
    printf("SUMMARY delta log corpus: %d/%d tables ok\n", ok, total);
    if (fails.len)
        printf("%s", ls_buf_cstr(&fails));
    CHECK(total >= 77);
    CHECK(ok == total);
    ls_buf_free(&fails);
    ls_buf_free(&b);
    free(idx);
    free(root);
}

/* Corpus tables with facts beyond INDEX.md's cells (from the source projects' own tests). */
static void test_corpus_details(void)
{
    const char *sh = t_shared_dir();
    if (!sh) {
        printf("SKIP delta corpus details: LS_SHARED_DIR not set\n");
        return;
    }
    ls_error err = {0};
    ls_delta_table *t;
    ls_delta_snapshot *s;
    char *u = ls_xasprintf("%s/testdata/delta/golden/checkpoint/delta", sh);
    CHECK_OK(ls_delta_open(u, &t, &err), &err);
    if (ls_delta_snapshot_load(t, NULL, &s, &err) == LS_OK) {
        CHECK(ls_delta_snapshot_num_files(s) == 1 &&
              !strcmp(ls_delta_snapshot_file(s, 0)->path, "15"));
        unload(s, t);
    } else {
        CHECK_MSG(0, "%s", err.msg);
        ls_delta_close(t);
    }
    free(u);
    u = ls_xasprintf("%s/testdata/delta/golden/delete-re-add-same-file-different-transactions/"
                     "delta",
                     sh);
    ls_delta_open(u, &t, &err);
    if (ls_delta_snapshot_load(t, NULL, &s, &err) == LS_OK) {
        CHECK(snap_has_file(s, "foo") && snap_has_file(s, "bar"));
        for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++)
            if (!strcmp(ls_delta_snapshot_file(s, i)->path, "foo"))
                CHECK(ls_delta_snapshot_file(s, i)->modification_time == 1700000000000LL);
        unload(s, t);
    } else {
        ls_delta_close(t);
    }
    free(u);
    u = ls_xasprintf("%s/testdata/delta/golden/deltalog-getChanges/delta", sh);
    ls_delta_open(u, &t, &err);
    if (ls_delta_snapshot_load(t, NULL, &s, &err) == LS_OK) {
        CHECK(ls_delta_snapshot_txn_version(s, "fakeAppId") == 3);
        CHECK(ls_delta_snapshot_txn_version(s, "other") == -1);
        unload(s, t);
    } else {
        ls_delta_close(t);
    }
    free(u);
    /* special partitions: values come from the log, paths decode once */
    u = ls_xasprintf("%s/testdata/delta/deltars/delta-0.8.0-special-partition/delta", sh);
    ls_delta_open(u, &t, &err);
    if (ls_delta_snapshot_load(t, NULL, &s, &err) == LS_OK) {
        int seen = 0;
        for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++) {
            const ls_delta_add *f = ls_delta_snapshot_file(s, i);
            const char *x = ls_kvlist_get(&f->partition_values, "x", NULL);
            char *key = ls_delta_resolve_path(t, f->path);
            if (x && !strcmp(x, "A/A")) {
                CHECK(!strncmp(key, "x=A%2FA/", 8));
                seen++;
            }
            if (x && !strcmp(x, "B B")) {
                CHECK(!strncmp(key, "x=B%20B/", 8));
                seen++;
            }
            /* the resolved key exists in the store */
            ls_obj_info info;
            CHECK_MSG(ls_store_head(ls_delta_store(t), key, &info, &err) == LS_OK, "%s: %s",
                      key, err.msg);
            free(key);
        }
        CHECK(seen == 2);
        unload(s, t);
    } else {
        ls_delta_close(t);
    }
    free(u);
    /* every live file of every readable table resolves to an object in the store, except
     * in log-only tables */
    const char *tables[] = {"dat/multi_partitioned", "golden/data-reader-escaped-chars",
                            "golden/data-reader-partition-values",
                            "kernelrs/timestamp-partitioned-table",
                            "golden/kernel-timestamp-partition-col-ISO8601",
                            "golden/v2-checkpoint-parquet", "golden/v2-checkpoint-json"};
    for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++) {
        u = ls_xasprintf("%s/testdata/delta/%s/delta", sh, tables[k]);
        ls_delta_open(u, &t, &err);
        if (ls_delta_snapshot_load(t, NULL, &s, &err) == LS_OK) {
            for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++) {
                char *key = ls_delta_resolve_path(t, ls_delta_snapshot_file(s, i)->path);
                ls_obj_info info;
                CHECK_MSG(ls_store_head(ls_delta_store(t), key, &info, &err) == LS_OK,
                          "%s: %s", tables[k], err.msg);
                free(key);
            }
            unload(s, t);
        } else {
            CHECK_MSG(0, "%s: %s", tables[k], err.msg);
            ls_delta_close(t);
        }
        free(u);
    }
    /* checkpoints without a stats column: stats rebuilt from stats_parsed */
    u = ls_xasprintf("%s/testdata/delta/deltars/delta-1.2.1-only-struct-stats/delta", sh);
    ls_delta_open(u, &t, &err);
    if (ls_delta_snapshot_load(t, NULL, &s, &err) == LS_OK) {
        CHECK(snapshot_rows(s) == 12);
        for (size_t i = 0; i < ls_delta_snapshot_num_files(s); i++) {
            const char *st = ls_delta_snapshot_file(s, i)->stats;
            CHECK(st && strstr(st, "\"minValues\":{\"integer\":"));
        }
        unload(s, t);
    } else {
        CHECK_MSG(0, "%s", err.msg);
        ls_delta_close(t);
    }
    free(u);
    /* the ICT table: timestamp travel by inCommitTimestamp */
    u = ls_xasprintf("%s/testdata/delta/deltars/cdc_ict_table/delta", sh);
    ls_delta_open(u, &t, &err);
    ls_delta_commit_info *h;
    size_t nh;
    if (ls_delta_history(t, 0, -1, &h, &nh, &err) == LS_OK) {
        CHECK(nh == 4);
        for (size_t i = 0; i < nh; i++) {
            if (h[i].in_commit_timestamp < 0)
                continue;
            /* v1's ICT is deliberately out of order: the answer is a version whose
             * timestamp is <= T while the next version's is > T */
            int64_t T = h[i].in_commit_timestamp;
            ls_delta_snapshot_spec spec = {LS_AT_TIMESTAMP, 0, T};
            if (ls_delta_snapshot_load(t, &spec, &s, &err) == LS_OK) {
                int64_t v = ls_delta_snapshot_version(s);
                CHECK_MSG(ls_delta_snapshot_timestamp(s) <= T, "ts %lld -> v%lld", (long long)T,
                          (long long)v);
                for (size_t k = 0; k < nh; k++)
                    if (h[k].version == v + 1)
                        CHECK(h[k].in_commit_timestamp > T);
                if (i == 0) /* the newest commit */
                    CHECK(v == h[0].version);
                ls_delta_snapshot_free(s);
            } else {
                CHECK_MSG(0, "%s", err.msg);
            }
        }
        for (size_t i = 0; i < nh; i++)
            ls_delta_commit_info_free(&h[i]);
        free(h);
    }
    ls_delta_close(t);
    free(u);
}

int main(void)
{
    ls_arena_init(&g_arena, 64 * 1024);
    RUN(test_json_valid);
    RUN(test_json_invalid);
    RUN(test_json_depth);
    RUN(test_actions_roundtrip);
    RUN(test_actions_spark_lines);
    RUN(test_schema_roundtrip);
    RUN(test_partition_values);
    RUN(test_paths);
    RUN(test_replay_semantics);
    RUN(test_replay_many);
    RUN(test_missing_table);
    RUN(test_malformed);
    RUN(test_corpus);
    RUN(test_corpus_details);
    ls_arena_free(&g_arena);
    rm_rf(tmp_root());
    TEST_MAIN_END();
}
