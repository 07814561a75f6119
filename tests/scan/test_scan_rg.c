/*
 * test_scan_rg.c - row-group pruning of scans by Parquet column chunk
 * statistics: a data file of many row groups (and no Delta stats, so the
 * file itself is never pruned) is scanned with predicates that rule out most
 * groups; every result is compared with the rows computed here, and the
 * groups skipped are counted (ls_scan_rg_counts). Covers nulls (IS NULL,
 * all-null groups), NaN (which a Parquet max leaves out), strings with
 * truncated statistics, files without statistics, deletion vectors across
 * skipped groups, small batches, columns missing from a file, and a column
 * widened from INT to BIGINT.
 */
#include "parquet/pq_meta.h"
#include "scan/sc_int.h"
#include "test.h"

#include <math.h>
#include <roaring/roaring.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define GROUPS 10
#define PER 50
#define ROWS (GROUPS * PER)

static char tmp_root[512];

/* ---- the data ----------------------------------------------------------------------------
 * row r: id = r, s = "s%04d", x = 1.5 r (null when r % 13 == 0, NaN at r == 107),
 * n = r % 7 from row 250 on (null before), w = r (INT in the file, BIGINT in the table). */

static bool x_null(int r) { return r % 13 == 0; }
static bool x_nan(int r) { return r == 107; }

static void row_json(ls_buf *b, int r, bool with_z)
{
    ls_buf_printf(b, "{\"id\":%d,\"s\":\"s%04d\",\"x\":", r, r);
    if (x_null(r))
        ls_buf_puts(b, "null");
    else if (x_nan(r))
        ls_buf_puts(b, "\"NaN\"");
    else
        ls_buf_printf(b, "%g", 1.5 * r);
    if (r >= 250)
        ls_buf_printf(b, ",\"n\":%d", r % 7);
    else
        ls_buf_puts(b, ",\"n\":null");
    ls_buf_printf(b, ",\"w\":%d", r);
    if (with_z) ls_buf_printf(b, ",\"z\":%d", r % 3);
    ls_buf_puts(b, "}\n");
}

/* ---- helpers -------------------------------------------------------------------------------- */

static void mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(buf, 0755);
            *p = '/';
        }
    mkdir(buf, 0755);
}

static char *table_dir(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", tmp_root, name);
    mkdirs(buf);
    return buf;
}

static void write_bytes(const char *dir, const char *rel, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    mkdirs(path);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        printf("cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
}

/* Rows [r0, r1) as a Parquet file of row groups of PER rows. */
static void write_data(const char *dir, const char *rel, int r0, int r1, bool with_z,
                       bool statistics)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    ls_schema *s = NULL;
    ls_error err = {0};
    const char *ddl = with_z ? "id BIGINT, s STRING, x DOUBLE, n INT, w INT, z INT"
                             : "id BIGINT, s STRING, x DOUBLE, n INT, w INT";
    int rc = ls_schema_parse_ddl(ddl, &s, &err);
    ls_output *o = NULL;
    ls_pq_writer *w = NULL;
    ls_pq_writer_opts wo;
    ls_pq_writer_opts_default(&wo);
    wo.row_group_bytes = 1; /* one row group per write */
    wo.statistics = statistics;
    if (!rc) rc = ls_output_open_file(path, &o, &err);
    if (!rc) rc = ls_pq_writer_new(o, s, &wo, &w, &err);
    ls_json_opts jo = {.strict = true};
    ls_json_reader *jr = rc ? NULL : ls_json_reader_new(s, &jo);
    ls_batch *b = rc ? NULL : ls_batch_new(s);
    for (int g = r0; g < r1 && !rc; g += PER) {
        ls_buf t = {0};
        for (int r = g; r < g + PER && r < r1; r++)
            row_json(&t, r, with_z);
        uint64_t lines = 0;
        ls_batch_reset(b);
        rc = ls_json_read_buffer(jr, b, (const char *)t.data, t.len, 1, &lines, &err);
        if (!rc) rc = ls_pq_writer_write(w, b, &err);
        ls_buf_free(&t);
    }
    if (!rc) rc = ls_pq_writer_close(w, &err);
    ls_pq_writer_free(w);
    if (!rc) rc = ls_output_commit(o, &err);
    if (rc) {
        printf("writing %s failed: %s\n", path, err.msg);
        exit(2);
    }
    ls_batch_free(b);
    ls_json_reader_free(jr);
    ls_schema_free(s);
}

/* Rewrites the footer of a data file after fn changed it. */
typedef void (*footer_fn)(pq_file_meta *m, ls_arena *a);

static void rewrite_footer(const char *dir, const char *rel, footer_fn fn)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    ls_buf f = {0};
    ls_error err = {0};
    if (ls_read_file(path, &f, &err) != LS_OK) {
        printf("cannot read %s: %s\n", path, err.msg);
        exit(2);
    }
    uint32_t flen = ls_load_u32le(f.data + f.len - 8);
    size_t foff = f.len - 8 - flen;
    ls_arena a;
    ls_arena_init(&a, 4096);
    pq_file_meta m;
    if (pq_parse_file_meta(f.data + foff, flen, &a, &m, &err) != LS_OK) {
        printf("footer parse failed: %s\n", err.msg);
        exit(2);
    }
    fn(&m, &a);
    ls_buf nf = {0};
    pq_write_file_meta(&nf, &m);
    f.len = foff;
    ls_buf_append(&f, nf.data, nf.len);
    ls_buf_put_u32le(&f, (uint32_t)nf.len);
    ls_buf_append(&f, "PAR1", 4);
    write_bytes(dir, rel, f.data, f.len);
    ls_buf_free(&nf);
    ls_buf_free(&f);
    ls_arena_free(&a);
}

#define F(name, type) "{\"name\":\"" name "\",\"type\":" type ",\"nullable\":true,\"metadata\":{}}"
#define SCHEMA_FIELDS                                                                              \
    F("id", "\"long\"") "," F("s", "\"string\"") "," F("x", "\"double\"") "," F(                   \
        "n", "\"integer\"") "," F("w", "\"long\"")

/* One commit with the given add lines (files are added without Delta stats). */
static void make_table(const char *dir, bool with_z, bool dv_feature, const char *adds)
{
    ls_buf b = {0};
    if (dv_feature)
        ls_buf_puts(&b, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
                        "\"readerFeatures\":[\"deletionVectors\"],\"writerFeatures\":"
                        "[\"deletionVectors\"]}}\n");
    else
        ls_buf_puts(&b, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n");
    const char *schema = with_z ? "{\"type\":\"struct\",\"fields\":[" SCHEMA_FIELDS "," F(
                                      "z", "\"integer\"") "]}"
                                : "{\"type\":\"struct\",\"fields\":[" SCHEMA_FIELDS "]}";
    ls_buf js = {0};
    ls_buf_json_str(&js, schema, strlen(schema));
    ls_buf_printf(&b,
                  "{\"metaData\":{\"id\":\"8f0b5e8e-0000-4000-8000-000000000002\",\"format\":"
                  "{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":%s,"
                  "\"partitionColumns\":[],\"configuration\":{%s},\"createdTime\":1}}\n",
                  ls_buf_cstr(&js), dv_feature ? "\"delta.enableDeletionVectors\":\"true\"" : "");
    ls_buf_puts(&b, adds);
    write_bytes(dir, "_delta_log/00000000000000000000.json", b.data, b.len);
    ls_buf_free(&js);
    ls_buf_free(&b);
}

static void add_line(ls_buf *b, const char *path, const char *dv)
{
    ls_buf_printf(b,
                  "{\"add\":{\"path\":\"%s\",\"partitionValues\":{},\"size\":1,"
                  "\"modificationTime\":1,\"dataChange\":true",
                  path);
    if (dv) ls_buf_printf(b, ",\"deletionVector\":%s", dv);
    ls_buf_puts(b, "}}\n");
}

typedef struct result {
    int rc;
    ls_error err;
    ls_buf ids; /* "1,2,3," */
    size_t rg_total, rg_skipped, files_skipped;
} result;

/* Scans the table (column id only) with a predicate. */
static void scan_ids(const char *dir, const char *where, size_t batch_rows, result *res)
{
    memset(res, 0, sizeof *res);
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    ls_scan *sc = NULL;
    ls_batch *b = NULL;
    ls_scan_opts o;
    memset(&o, 0, sizeof o);
    o.since_version = -1;
    const char *cols[] = {"id"};
    o.columns = cols;
    o.n_columns = 1;
    o.where = where;
    o.batch_rows = batch_rows;
    int rc = ls_delta_open(dir, &t, &res->err);
    ls_delta_snapshot_spec spec = {LS_AT_LATEST, -1, 0};
    if (!rc) rc = ls_delta_snapshot_load(t, &spec, &snap, &res->err);
    if (!rc) rc = ls_scan_open(t, snap, &o, &sc, &res->err);
    if (!rc) {
        b = ls_batch_new(ls_scan_schema(sc));
        for (;;) {
            bool eof;
            if ((rc = ls_scan_next(sc, b, &eof, &res->err)) || eof) break;
            if ((rc = ls_batch_validate(b, &res->err))) break;
            const ls_leaf *l = &b->leaves[0];
            size_t vi = 0;
            for (size_t k = 0; k < l->n; k++) {
                if (l->def && l->def[k] != l->max_def)
                    ls_buf_puts(&res->ids, "null,");
                else
                    ls_buf_printf(&res->ids, "%lld,",
                                  (long long)((const int64_t *)l->values)[vi++]);
            }
        }
        ls_scan_rg_counts(sc, &res->rg_total, &res->rg_skipped);
        ls_scan_counts(sc, NULL, &res->files_skipped);
    }
    ls_buf_cstr(&res->ids);
    res->rc = rc;
    ls_batch_free(b);
    ls_scan_free(sc);
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
}

/* The ids in [r0, r1) for which keep(r) holds and that are not deleted. */
typedef bool (*row_pred)(int r);

static char *expect_ids(int r0, int r1, row_pred keep, const int *deleted, int n_del)
{
    ls_buf b = {0};
    for (int r = r0; r < r1; r++) {
        bool del = false;
        for (int k = 0; k < n_del; k++)
            del |= deleted[k] == r;
        if (!del && keep(r)) ls_buf_printf(&b, "%d,", r);
    }
    ls_buf_cstr(&b);
    return (char *)b.data;
}

#define CHECK_SCAN(dir, where, br, keepfn, del, ndel, skipped_want)                                \
    do {                                                                                           \
        result res_;                                                                               \
        scan_ids(dir, where, br, &res_);                                                           \
        char *want_ = expect_ids(0, ROWS, keepfn, del, ndel);                                      \
        CHECK_MSG(res_.rc == LS_OK, "%s: %s", where, res_.err.msg);                                \
        CHECK_MSG(strcmp((char *)res_.ids.data, want_) == 0,                                      \
                  "%s (batch %d): got %.300s want %.300s",                                         \
                  where, (int)(br), (char *)res_.ids.data, want_);                                 \
        if ((skipped_want) >= 0)                                                                   \
            CHECK_MSG(res_.rg_skipped == (size_t)(skipped_want) && res_.rg_total == GROUPS,        \
                      "%s: %zu of %zu row groups skipped, want %d", where, res_.rg_skipped,        \
                      res_.rg_total, (int)(skipped_want));                                         \
        free(want_);                                                                               \
        ls_buf_free(&res_.ids);                                                                    \
    } while (0)

static bool p_id_range(int r) { return r >= 120 && r < 135; }
static bool p_s_eq(int r) { return r == 255; }
static bool p_s_gt(int r) { return r >= 450; }
static bool p_x_gt(int r) { return !x_null(r) && (x_nan(r) || 1.5 * r > 740); }
static bool p_x_lt(int r) { return !x_null(r) && !x_nan(r) && 1.5 * r < 10; }
static bool p_n_null(int r) { return r < 250; }
static bool p_n_notnull(int r) { return r >= 250; }
static bool p_n_eq(int r) { return r >= 250 && r % 7 == 3; }
static bool p_id_ne(int r) { return r != 5; }
static bool p_none(int r) { return r < 0; }
static bool p_all(int r) { return r >= 0; }
static bool p_w_in(int r) { return r == 3 || r == 444; }
static bool p_id_gt(int r) { return r > 255; }
static bool p_w_in3(int r) { return r == 3 || r == 130 || r == 131 || r == 444; }

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_rg_prune(void)
{
    char *dir = ls_xstrdup(table_dir("rg"));
    write_data(dir, "f.parquet", 0, ROWS, false, true);
    ls_buf adds = {0};
    add_line(&adds, "f.parquet", NULL);
    make_table(dir, false, false, (const char *)ls_buf_cstr(&adds));
    static const size_t brs[] = {7, 64, 8192};
    for (int bi = 0; bi < 3; bi++) {
        size_t br = brs[bi];
        CHECK_SCAN(dir, "id >= 120 AND id < 135", br, p_id_range, NULL, 0, 9);
        CHECK_SCAN(dir, "s = 's0255'", br, p_s_eq, NULL, 0, 9);
        CHECK_SCAN(dir, "s > 's0449'", br, p_s_gt, NULL, 0, 9);
        /* NaN is above every value: x > 740 matches row 107, whose group's max is 159 */
        CHECK_SCAN(dir, "x > 740", br, p_x_gt, NULL, 0, 0);
        CHECK_SCAN(dir, "x < 10", br, p_x_lt, NULL, 0, 9);
        CHECK_SCAN(dir, "n IS NULL", br, p_n_null, NULL, 0, 5);
        CHECK_SCAN(dir, "n IS NOT NULL", br, p_n_notnull, NULL, 0, 5);
        CHECK_SCAN(dir, "n = 3", br, p_n_eq, NULL, 0, 5);
        CHECK_SCAN(dir, "id != 5", br, p_id_ne, NULL, 0, 0);
        CHECK_SCAN(dir, "id > 1000", br, p_none, NULL, 0, 10);
        CHECK_SCAN(dir, "id >= 0", br, p_all, NULL, 0, 0);
        CHECK_SCAN(dir, "w IN (3, 444)", br, p_w_in, NULL, 0, 8); /* INT file, BIGINT table */
        CHECK_SCAN(dir, "id > 255 AND n IS NOT NULL", br, p_id_gt, NULL, 0, 5);
    }
    ls_buf_free(&adds);
    free(dir);
}

/* nan_count = 0 where the group has no NaN: then the max bounds x */
static void set_nan_counts(pq_file_meta *m, ls_arena *a)
{
    (void)a;
    for (int g = 0; g < m->n_row_groups; g++) {
        pq_statistics *s = &m->row_groups[g].columns[2].meta_data.statistics;
        s->has_nan_count = true;
        s->nan_count = g == 2 ? 1 : 0;
    }
}

/* string bounds cut to 3 bytes: min "s02" (a prefix), max "s03" (prefix + 1), inexact */
static void truncate_strings(pq_file_meta *m, ls_arena *a)
{
    for (int g = 0; g < m->n_row_groups; g++) {
        pq_statistics *s = &m->row_groups[g].columns[1].meta_data.statistics;
        uint8_t *mn = ls_arena_alloc(a, 3), *mx = ls_arena_alloc(a, 3);
        memcpy(mn, s->min_value.p, 3);
        memcpy(mx, s->max_value.p, 3);
        mx[2]++;
        s->min_value.p = mn;
        s->min_value.len = 3;
        s->max_value.p = mx;
        s->max_value.len = 3;
        s->has_is_min_value_exact = s->has_is_max_value_exact = true;
        s->is_min_value_exact = s->is_max_value_exact = false;
    }
}

static void test_rg_nan_truncated(void)
{
    char *dir = ls_xstrdup(table_dir("rg_nan"));
    write_data(dir, "f.parquet", 0, ROWS, false, true);
    rewrite_footer(dir, "f.parquet", set_nan_counts);
    rewrite_footer(dir, "f.parquet", truncate_strings);
    ls_buf adds = {0};
    add_line(&adds, "f.parquet", NULL);
    make_table(dir, false, false, (const char *)ls_buf_cstr(&adds));
    /* groups 2 (the NaN) and 9 (1.5 r > 740) remain */
    CHECK_SCAN(dir, "x > 740", 8192, p_x_gt, NULL, 0, 8);
    CHECK_SCAN(dir, "x < 10", 100, p_x_lt, NULL, 0, 9);
    /* s0255 lies in [s02, s03]: groups 4 (s0200..s0249) and 5 (s0250..s0299) */
    CHECK_SCAN(dir, "s = 's0255'", 8192, p_s_eq, NULL, 0, 8);
    CHECK_SCAN(dir, "s > 's0449'", 8192, p_s_gt, NULL, 0, 8);
    ls_buf_free(&adds);
    free(dir);
}

static void test_rg_no_stats(void)
{
    char *dir = ls_xstrdup(table_dir("rg_nostats"));
    write_data(dir, "f.parquet", 0, ROWS, false, false);
    ls_buf adds = {0};
    add_line(&adds, "f.parquet", NULL);
    make_table(dir, false, false, (const char *)ls_buf_cstr(&adds));
    CHECK_SCAN(dir, "id >= 120 AND id < 135", 8192, p_id_range, NULL, 0, 0);
    CHECK_SCAN(dir, "n IS NOT NULL", 8192, p_n_notnull, NULL, 0, 0);
    CHECK_SCAN(dir, "x > 740", 8192, p_x_gt, NULL, 0, 0);
    ls_buf_free(&adds);
    free(dir);
}

/* Inline DV (portable RoaringBitmapArray, Z85) deleting rows. */
static char *inline_dv(const uint32_t *rows, int n)
{
    ls_buf bm = {0};
    ls_buf_put_u32le(&bm, 1681511377u);
    uint8_t cnt[8];
    ls_store_u64le(cnt, 1);
    ls_buf_append(&bm, cnt, 8);
    ls_buf_put_u32le(&bm, 0);
    roaring_bitmap_t *r = roaring_bitmap_of_ptr((size_t)n, rows);
    size_t sz = roaring_bitmap_portable_size_in_bytes(r);
    ls_buf_reserve(&bm, sz);
    roaring_bitmap_portable_serialize(r, (char *)bm.data + bm.len);
    bm.len += sz;
    roaring_bitmap_free(r);
    size_t real = bm.len;
    while (bm.len % 4)
        ls_buf_putc(&bm, 0);
    static const char z[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    ls_buf enc = {0};
    for (size_t i = 0; i < bm.len; i += 4) {
        uint32_t v = (uint32_t)bm.data[i] << 24 | (uint32_t)bm.data[i + 1] << 16 |
                     (uint32_t)bm.data[i + 2] << 8 | bm.data[i + 3];
        char c[5];
        for (int k = 4; k >= 0; k--) {
            c[k] = z[v % 85];
            v /= 85;
        }
        ls_buf_append(&enc, c, 5);
    }
    char *s = ls_xasprintf("{\"storageType\":\"i\",\"pathOrInlineDv\":\"%s\",\"sizeInBytes\":%zu,"
                           "\"cardinality\":%d}",
                           ls_buf_cstr(&enc), real, n);
    ls_buf_free(&bm);
    ls_buf_free(&enc);
    return s;
}

static void test_rg_dv(void)
{
    char *dir = ls_xstrdup(table_dir("rg_dv"));
    write_data(dir, "f.parquet", 0, ROWS, false, true);
    static const uint32_t del_u[] = {3, 120, 130, 134, 260, 301, 499};
    static const int del[] = {3, 120, 130, 134, 260, 301, 499};
    char *dv = inline_dv(del_u, 7);
    ls_buf adds = {0};
    add_line(&adds, "f.parquet", dv);
    make_table(dir, false, true, (const char *)ls_buf_cstr(&adds));
    static const size_t brs[] = {3, 50, 8192};
    for (int bi = 0; bi < 3; bi++) {
        size_t br = brs[bi];
        /* deleted rows in skipped groups (3, 260, ...) are passed over */
        CHECK_SCAN(dir, "id >= 120 AND id < 135", br, p_id_range, del, 7, 9);
        CHECK_SCAN(dir, "id > 255", br, p_id_gt, del, 7, 5);
        CHECK_SCAN(dir, "n IS NOT NULL", br, p_n_notnull, del, 7, 5);
        CHECK_SCAN(dir, "w IN (3, 444)", br, p_w_in, del, 7, 8);
        /* groups 0, 2 and 8: a deleted row behind each gap */
        CHECK_SCAN(dir, "w IN (3, 130, 131, 444)", br, p_w_in3, del, 7, 7);
    }
    ls_buf_free(&adds);
    free(dv);
    free(dir);
}

static bool p_z_eq1_new(int r) { return r >= 250 && r % 3 == 1; }
static bool p_z_null_old(int r) { return r < 250; }

/* Two files: rows 0..249 without column z (added later), rows 250..499 with it. */
static void test_rg_missing_column(void)
{
    char *dir = ls_xstrdup(table_dir("rg_missing"));
    write_data(dir, "old.parquet", 0, 250, false, true);
    write_data(dir, "new.parquet", 250, 500, true, true);
    ls_buf adds = {0};
    add_line(&adds, "old.parquet", NULL);
    add_line(&adds, "new.parquet", NULL);
    make_table(dir, true, false, (const char *)ls_buf_cstr(&adds));
    /* old.parquet: z is null everywhere, all its groups go; new.parquet: z in 0..2 */
    CHECK_SCAN(dir, "z = 1", 8192, p_z_eq1_new, NULL, 0, 5);
    CHECK_SCAN(dir, "z IS NULL", 8192, p_z_null_old, NULL, 0, 5);
    CHECK_SCAN(dir, "z = 5", 8192, p_none, NULL, 0, 10);
    ls_buf_free(&adds);
    free(dir);
}

int main(void)
{
    const char *tmp = getenv("LS_TMP");
    snprintf(tmp_root, sizeof tmp_root, "%s/scan-rg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_root)) {
        printf("FAIL cannot create a temporary directory\n");
        TEST_MAIN_END();
    }
    RUN(test_rg_prune);
    RUN(test_rg_nan_truncated);
    RUN(test_rg_no_stats);
    RUN(test_rg_dv);
    RUN(test_rg_missing_column);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0) printf("note: could not remove %s\n", tmp_root);
    TEST_MAIN_END();
}
