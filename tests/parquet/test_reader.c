/*
 * test_reader.c - the Parquet reader against the shared conformance corpus
 * ($LS_SHARED_DIR/testdata/parquet, apache/parquet-testing): every readable
 * file is read fully with the expected row count (from INDEX.md's validator
 * columns), values are compared with the *_expect.csv files and with values
 * INDEX.md states, malformed and encrypted files must fail with a message,
 * small batches must give the same rows as one big batch, projection and
 * row-group selection, CRC verification, metadata JSON, and the fuzz
 * regression inputs in tests/parquet/regress/.
 */
#include "parquet/parquet.h"
#include "parquet/pq_enc.h"
#include "parquet/pq_meta.h"
#include "test.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

static char g_dir[4096];

/* ---- helpers ---------------------------------------------------------------- */

static char *path_of(const char *rel)
{
    return ls_xasprintf("%s/%s", g_dir, rel);
}

typedef struct readres {
    int rc;
    ls_error err;
    uint64_t rows;
    ls_buf text; /* NDJSON (or CSV) of all rows */
    char *ddl;
} readres;

static void readres_free(readres *r)
{
    ls_buf_free(&r->text);
    free(r->ddl);
}

/* Reads a whole file; every batch is validated and formatted. */
static void read_file(const char *path, const ls_pq_read_opts *opts, const char *const *proj,
                      int n_proj, const bool *keep, ls_text_format fmt, readres *res)
{
    memset(res, 0, sizeof *res);
    ls_input *in = NULL;
    ls_pq_reader *r = NULL;
    ls_batch *b = NULL;
    res->rc = ls_input_open_file(path, &in, &res->err);
    if (!res->rc)
        res->rc = ls_pq_reader_open(in, opts, &r, &res->err);
    if (!res->rc && proj)
        res->rc = ls_pq_reader_project(r, proj, n_proj, &res->err);
    if (!res->rc && keep)
        res->rc = ls_pq_reader_select_row_groups(r, keep, &res->err);
    if (!res->rc) {
        ls_buf ddl = {0};
        ls_schema_to_ddl(ls_pq_reader_out_schema(r), &ddl);
        res->ddl = ls_xstrdup(ls_buf_cstr(&ddl));
        ls_buf_free(&ddl);
        b = ls_batch_new(ls_pq_reader_out_schema(r));
        bool eof = false, first = true;
        while (!(res->rc = ls_pq_reader_next(r, b, &eof, &res->err)) && !eof) {
            res->rows += b->n_rows;
            if ((res->rc = ls_batch_validate(b, &res->err)))
                break;
            if ((res->rc = ls_batch_format(b, 0, b->n_rows, fmt, first, &res->text, &res->err)))
                break;
            first = false;
        }
    }
    ls_batch_free(b);
    ls_pq_reader_free(r);
    ls_input_free(in);
}

/* Line k (0-based) of text, in a static buffer. */
static const char *line_at(const ls_buf *t, size_t k)
{
    static char out[65536];
    size_t i = 0, line = 0;
    while (i < t->len && line < k) {
        if (t->data[i] == '\n')
            line++;
        i++;
    }
    if (line < k || i >= t->len)
        return "(no such line)";
    size_t j = i;
    while (j < t->len && t->data[j] != '\n')
        j++;
    size_t n = j - i < sizeof out - 1 ? j - i : sizeof out - 1;
    memcpy(out, t->data + i, n);
    out[n] = 0;
    return out;
}

static size_t count_substr(const ls_buf *t, const char *needle)
{
    size_t n = 0, nl = strlen(needle);
    for (size_t i = 0; i + nl <= t->len; i++)
        if (memcmp(t->data + i, needle, nl) == 0)
            n++;
    return n;
}

/* ---- INDEX.md: which files exist, what each must do -------------------------- */

typedef struct corpus_file {
    char *rel;
    int64_t rows; /* expected rows, -1 unknown */
    bool reject;
    bool in_index;
} corpus_file;

static corpus_file g_files[1024];
static int g_nfiles;

static corpus_file *find_file(const char *rel)
{
    for (int i = 0; i < g_nfiles; i++)
        if (strcmp(g_files[i].rel, rel) == 0)
            return &g_files[i];
    return NULL;
}

static bool is_parquet_name(const char *s)
{
    size_t n = strlen(s);
    return (n > 8 && strcmp(s + n - 8, ".parquet") == 0) ||
           (n > 18 && strcmp(s + n - 18, ".parquet.encrypted") == 0);
}

static void add_file(const char *rel, int64_t rows, bool reject, bool in_index)
{
    if (find_file(rel) || g_nfiles >= (int)(sizeof g_files / sizeof *g_files))
        return;
    corpus_file *f = &g_files[g_nfiles++];
    f->rel = ls_xstrdup(rel);
    f->rows = rows;
    f->reject = reject;
    f->in_index = in_index;
}

/* Parses one table line of INDEX.md: | `path` | ... | Expected | Validators | */
static void parse_index_line(char *line)
{
    char *a = strchr(line, '`');
    char *b = a ? strchr(a + 1, '`') : NULL;
    if (!a || !b)
        return;
    *b = 0;
    const char *rel = a + 1;
    if (!is_parquet_name(rel))
        return;
    char *rest = b + 1;
    /* cells: split on '|' */
    char *cells[16];
    int nc = 0;
    for (char *p = rest; *p && nc < 16; p++)
        if (*p == '|')
            cells[nc++] = p + 1;
    const char *validators = nc >= 2 ? cells[nc - 2] : "";
    const char *expected = nc >= 3 ? cells[nc - 3] : "";
    int64_t rows = -1;
    for (const char *p = validators; (p = strstr(p, "ok(")) != NULL; p += 3) {
        long long v = strtoll(p + 3, NULL, 10);
        if (v > rows)
            rows = v;
    }
    while (*expected == ' ')
        expected++;
    size_t rl = strlen(rel);
    bool reject = (strncmp(rel, "bad_data/", 9) == 0 && strncmp(expected, "REJECT", 6) == 0) ||
                  (rl > 10 && strcmp(rel + rl - 10, ".encrypted") == 0);
    add_file(rel, reject ? -1 : rows, reject, true);
}

static void load_index(void)
{
    char *p = path_of("INDEX.md");
    ls_buf t = {0};
    ls_error err;
    if (ls_read_file(p, &t, &err) == LS_OK) {
        ls_buf_putc(&t, 0);
        char *s = (char *)t.data;
        for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
            if (strncmp(line, "| `", 3) == 0)
                parse_index_line(line);
    }
    ls_buf_free(&t);
    free(p);
}

/* Adds every Parquet file of a corpus directory that INDEX.md does not list. */
static void scan_dir(const char *sub)
{
    char *p = path_of(sub);
    DIR *d = opendir(p);
    free(p);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_parquet_name(e->d_name))
            continue;
        char *rel = ls_xasprintf("%s/%s", sub, e->d_name);
        size_t rl = strlen(rel);
        bool reject = strncmp(sub, "bad_data", 8) == 0 ||
                      (rl > 10 && strcmp(rel + rl - 10, ".encrypted") == 0);
        add_file(rel, -1, reject, false);
        free(rel);
    }
    closedir(d);
}

/* ---- the corpus sweep --------------------------------------------------------- */

static int g_read_ok, g_read_total, g_rej_ok, g_rej_total;
static ls_buf g_failures;

static bool large_enabled(void)
{
    const char *e = getenv("LS_TEST_LARGE");
    return e && *e && *e != '0';
}

static void test_corpus(void)
{
    for (int i = 0; i < g_nfiles; i++) {
        corpus_file *f = &g_files[i];
        bool large = strstr(f->rel, "large_string_map") != NULL;
        ls_pq_read_opts o;
        ls_pq_read_opts_default(&o);
        if (large) {
            if (!large_enabled()) {
                printf("NOTE %s not read (2 GiB of strings, ~70 s; set LS_TEST_LARGE=1)\n",
                       f->rel);
                continue;
            }
            o.max_page_bytes = (uint64_t)2 << 30;
        }
        char *p = path_of(f->rel);
        readres r;
        read_file(p, &o, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        if (f->reject) {
            g_rej_total++;
            bool ok = r.rc != LS_OK && r.err.msg[0] != 0;
            if (ok)
                g_rej_ok++;
            else
                ls_buf_printf(&g_failures, "  %s: expected an error, read %llu rows\n", f->rel,
                              (unsigned long long)r.rows);
            CHECK_MSG(ok, "%s must be rejected", f->rel);
        } else {
            g_read_total++;
            bool ok = r.rc == LS_OK && (f->rows < 0 || (int64_t)r.rows == f->rows);
            if (ok)
                g_read_ok++;
            else if (r.rc)
                ls_buf_printf(&g_failures, "  %s: %s\n", f->rel, r.err.msg);
            else
                ls_buf_printf(&g_failures, "  %s: %llu rows, expected %lld\n", f->rel,
                              (unsigned long long)r.rows, (long long)f->rows);
            CHECK_MSG(ok, "%s: rc=%d rows=%llu expected=%lld: %s", f->rel, r.rc,
                      (unsigned long long)r.rows, (long long)f->rows, r.err.msg);
        }
        readres_free(&r);
        free(p);
    }
}

/* Every readable file gives the same rows in batches of 7 (and 1 for small files)
 * as in one batch: exercises cutting rows across pages and row groups. */
static void test_small_batches(void)
{
    for (int i = 0; i < g_nfiles; i++) {
        corpus_file *f = &g_files[i];
        if (f->reject || strstr(f->rel, "large_string_map"))
            continue;
        char *p = path_of(f->rel);
        ls_pq_read_opts o;
        ls_pq_read_opts_default(&o);
        readres a, b;
        read_file(p, &o, NULL, 0, NULL, LS_FMT_NDJSON, &a);
        o.batch_rows = a.rows <= 100 ? 1 : 7;
        read_file(p, &o, NULL, 0, NULL, LS_FMT_NDJSON, &b);
        if (a.rc == LS_OK) {
            CHECK_MSG(b.rc == LS_OK && a.rows == b.rows && a.text.len == b.text.len &&
                          (a.text.len == 0 || memcmp(a.text.data, b.text.data, a.text.len) == 0),
                      "%s: batch_rows=%zu differs from one batch (%s)", f->rel, o.batch_rows,
                      b.err.msg);
        }
        readres_free(&a);
        readres_free(&b);
        free(p);
    }
}

/* ---- values -------------------------------------------------------------------- */

static void expect_lines(const char *rel, const char *const *lines, size_t n)
{
    char *p = path_of(rel);
    readres r;
    read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
    CHECK_MSG(r.rc == LS_OK, "%s: %s", rel, r.err.msg);
    for (size_t i = 0; i < n && r.rc == LS_OK; i++) {
        if (!lines[i])
            continue;
        const char *got = line_at(&r.text, i);
        CHECK_MSG(strcmp(got, lines[i]) == 0, "%s line %zu:\n   got %s\n  want %s", rel, i, got,
                  lines[i]);
    }
    readres_free(&r);
    free(p);
}

#define EXPECT_LINES(rel, ...)                                                                 \
    do {                                                                                       \
        static const char *const l_[] = {__VA_ARGS__};                                         \
        expect_lines(rel, l_, sizeof l_ / sizeof *l_);                                         \
    } while (0)

static void test_values_flat(void)
{
    EXPECT_LINES("data/alltypes_plain.parquet",
                 "{\"id\":4,\"bool_col\":true,\"tinyint_col\":0,\"smallint_col\":0,\"int_col\":0,"
                 "\"bigint_col\":0,\"float_col\":0,\"double_col\":0,\"date_string_col\":"
                 "\"MDMvMDEvMDk=\",\"string_col\":\"MA==\",\"timestamp_col\":\"2009-03-01T00:00:"
                 "00.000000Z\"}",
                 "{\"id\":5,\"bool_col\":false,\"tinyint_col\":1,\"smallint_col\":1,\"int_col\":1,"
                 "\"bigint_col\":10,\"float_col\":1.1,\"double_col\":10.1,\"date_string_col\":"
                 "\"MDMvMDEvMDk=\",\"string_col\":\"MQ==\",\"timestamp_col\":\"2009-03-01T00:01:"
                 "00.000000Z\"}");
    /* ids [4,5,6,7,2,3,0,1], timestamp_col[2] 2009-04-01 */
    {
        char *p = path_of("data/alltypes_plain.parquet");
        static const char *const cols[] = {"id", "timestamp_col"};
        readres r;
        read_file(p, NULL, cols, 2, NULL, LS_FMT_NDJSON, &r);
        CHECK_OK(r.rc, &r.err);
        static const int ids[] = {4, 5, 6, 7, 2, 3, 0, 1};
        for (int i = 0; i < 8 && !r.rc; i++) {
            char want[64];
            snprintf(want, sizeof want, "{\"id\":%d,", ids[i]);
            CHECK_MSG(strncmp(line_at(&r.text, (size_t)i), want, strlen(want)) == 0, "row %d: %s",
                      i, line_at(&r.text, (size_t)i));
        }
        CHECK_STR(line_at(&r.text, 2), "{\"id\":6,\"timestamp_col\":\"2009-04-01T00:00:00.000000Z\"}");
        CHECK_STR(r.ddl, "id INT, timestamp_col TIMESTAMP");
        readres_free(&r);
        free(p);
    }
    EXPECT_LINES("data/alltypes_dictionary.parquet", NULL, NULL);
    {
        char *p = path_of("data/alltypes_dictionary.parquet");
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(strstr(line_at(&r.text, 0), "\"id\":0,") != NULL);
        CHECK(strstr(line_at(&r.text, 0), "\"2009-01-01T00:00:00.000000Z\"") != NULL);
        CHECK(strstr(line_at(&r.text, 1), "\"2009-01-01T00:01:00.000000Z\"") != NULL);
        /* date_string_col '01/01/09' (unannotated binary -> base64) */
        CHECK(strstr(line_at(&r.text, 0), "\"MDEvMDEvMDk=\"") != NULL);
        readres_free(&r);
        free(p);
    }
    {
        char *p = path_of("data/alltypes_plain.snappy.parquet");
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(strncmp(line_at(&r.text, 0), "{\"id\":6,", 8) == 0);
        CHECK(strncmp(line_at(&r.text, 1), "{\"id\":7,", 8) == 0);
        CHECK(strstr(line_at(&r.text, 1), "\"2009-04-01T00:01:00.000000Z\"") != NULL);
        readres_free(&r);
        free(p);
    }
    EXPECT_LINES("data/alltypes_tiny_pages.parquet",
                 "{\"id\":122,\"bool_col\":true,\"tinyint_col\":2,\"smallint_col\":2,\"int_col\":2,"
                 "\"bigint_col\":20,\"float_col\":2.2,\"double_col\":20.2,\"date_string_col\":"
                 "\"01/13/09\",\"string_col\":\"2\",\"timestamp_col\":\"2009-01-13T01:02:05."
                 "410000Z\",\"year\":2009,\"month\":1}");
    EXPECT_LINES("data/binary.parquet", "{\"foo\":\"AA==\"}", "{\"foo\":\"AQ==\"}",
                 "{\"foo\":\"Ag==\"}", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                 "{\"foo\":\"Cw==\"}");
    EXPECT_LINES("data/byte_stream_split.zstd.parquet",
                 "{\"f32\":1.7640524,\"f64\":-1.3065268517353166}",
                 "{\"f32\":0.4001572,\"f64\":1.658130679618188}");
    EXPECT_LINES("data/datapage_v1-uncompressed-checksum.parquet",
                 "{\"a\":50462976,\"b\":1734763876}");
    EXPECT_LINES("data/datapage_v1-snappy-compressed-checksum.parquet",
                 "{\"a\":50462976,\"b\":1734763876}");
    EXPECT_LINES("data/datapage_v2.snappy.parquet",
                 "{\"a\":\"abc\",\"b\":1,\"c\":2,\"d\":true,\"e\":[1,2,3]}",
                 "{\"a\":\"abc\",\"b\":2,\"c\":3,\"d\":true,\"e\":null}",
                 "{\"a\":\"abc\",\"b\":3,\"c\":4,\"d\":true,\"e\":null}",
                 "{\"a\":null,\"b\":4,\"c\":5,\"d\":false,\"e\":[1,2,3]}",
                 "{\"a\":\"abc\",\"b\":5,\"c\":2,\"d\":true,\"e\":[1,2]}");
    EXPECT_LINES("data/datapage_v2_empty_datapage.snappy.parquet", "{\"value\":null}");
    EXPECT_LINES("data/fixed_length_byte_array.parquet", "{\"flba_field\":\"AAAD6A==\"}",
                 "{\"flba_field\":null}");
    EXPECT_LINES("data/float16_nonzeros_and_nans.parquet", "{\"x\":null}", "{\"x\":1}",
                 "{\"x\":-2}", "{\"x\":\"NaN\"}", "{\"x\":0}", "{\"x\":-1}", "{\"x\":-0}",
                 "{\"x\":2}");
    EXPECT_LINES("data/float16_zeros_and_nans.parquet", "{\"x\":null}", "{\"x\":0}",
                 "{\"x\":\"NaN\"}");
    EXPECT_LINES("data/hadoop_lz4_compressed.parquet",
                 "{\"c0\":1593604800,\"c1\":\"YWJj\",\"v11\":42}",
                 "{\"c0\":1593604800,\"c1\":\"ZGVm\",\"v11\":7.7}",
                 "{\"c0\":1593604801,\"c1\":\"YWJj\",\"v11\":42.125}",
                 "{\"c0\":1593604801,\"c1\":\"ZGVm\",\"v11\":7.7}");
    EXPECT_LINES("data/hadoop_lz4_compressed_larger.parquet",
                 "{\"a\":\"c7ce6bef-d5b0-4863-b199-8ea8c7fb117b\"}");
    EXPECT_LINES("data/lz4_raw_compressed_larger.parquet",
                 "{\"a\":\"c7ce6bef-d5b0-4863-b199-8ea8c7fb117b\"}");
    EXPECT_LINES("data/nan_in_stats.parquet", "{\"x\":1}", "{\"x\":\"NaN\"}");
    EXPECT_LINES("data/single_nan.parquet", "{\"mycol\":null}");
    EXPECT_LINES("data/plain-dict-uncompressed-checksum.parquet",
                 "{\"long_field\":0,\"binary_field\":\"YTY1NWZkMGUtOTk0OS00MDU5LWJjYWUtZmQ2YTAwMmE0NjUy\"}");
    EXPECT_LINES("data/rle-dict-snappy-checksum.parquet",
                 "{\"long_field\":0,\"binary_field\":\"Yzk1ZTI2M2EtZjVkNC00MDFmLTgxMDctNWNhNzE0NmExZjk4\"}");
    EXPECT_LINES("data/sort_columns.parquet", "{\"a\":null,\"b\":\"a\"}", "{\"a\":2,\"b\":\"b\"}",
                 "{\"a\":1,\"b\":\"c\"}", "{\"a\":null,\"b\":\"a\"}", "{\"a\":2,\"b\":\"b\"}",
                 "{\"a\":1,\"b\":\"c\"}");
    EXPECT_LINES("data/unknown-logical-type.parquet",
                 "{\"column with known type\":\"known string 1\",\"column with unknown "
                 "type\":\"dW5rbm93biBzdHJpbmcgMQ==\"}");
    EXPECT_LINES("data/data_index_bloom_encoding_stats.parquet", "{\"String\":\"Hello\"}",
                 "{\"String\":\"This is\"}", "{\"String\":\"a\"}", "{\"String\":\"test\"}",
                 "{\"String\":\"How\"}", "{\"String\":\"are you\"}", "{\"String\":\"doing \"}",
                 "{\"String\":\"today\"}", "{\"String\":\"the quick\"}",
                 "{\"String\":\"brown fox\"}", "{\"String\":\"jumps\"}", "{\"String\":\"over\"}",
                 "{\"String\":\"the lazy\"}", "{\"String\":\"dog\"}");
    EXPECT_LINES("data/nation.dict-malformed.parquet",
                 "{\"nation_key\":0,\"name\":\"QUxHRVJJQQ==\",\"region_key\":0,\"comment_col\":"
                 "\"IGhhZ2dsZS4gY2FyZWZ1bGx5IGZpbmFsIGRlcG9zaXRzIGRldGVjdCBzbHlseSBhZ2Fp\"}");
    EXPECT_LINES("bad_data/ARROW-GH-43605.parquet", "{\"min_fl\":0}", "{\"min_fl\":0}");
    EXPECT_LINES("data/geospatial/geography-points.parquet", NULL);
    {
        char *p = path_of("data/geospatial/geography-points.parquet");
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(strncmp(line_at(&r.text, 0), "{\"id\":122,", 10) == 0);
        readres_free(&r);
        free(p);
    }
}

static void test_values_types(void)
{
    /* decimals on every physical type: 1.00 .. 24.00 */
    static const char *const dec[] = {"data/byte_array_decimal.parquet",
                                      "data/int32_decimal.parquet", "data/int64_decimal.parquet",
                                      "data/fixed_length_decimal_legacy.parquet",
                                      "data/fixed_length_decimal.parquet"};
    for (size_t k = 0; k < sizeof dec / sizeof *dec; k++) {
        char *p = path_of(dec[k]);
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK_MSG(r.rc == LS_OK && r.rows == 24, "%s: %s", dec[k], r.err.msg);
        bool quoted = strstr(dec[k], "fixed_length_decimal.parquet") != NULL; /* precision 25 */
        for (int i = 0; i < 24 && !r.rc; i++) {
            char want[64];
            snprintf(want, sizeof want, quoted ? "{\"value\":\"%d.00\"}" : "{\"value\":%d.00}",
                     i + 1);
            CHECK_MSG(strcmp(line_at(&r.text, (size_t)i), want) == 0, "%s row %d: %s", dec[k], i,
                      line_at(&r.text, (size_t)i));
        }
        readres_free(&r);
        free(p);
    }
    /* INT96 incl. a year-290000 value (micros from INDEX.md) */
    {
        char *p = path_of("data/int96_from_spark.parquet");
        ls_error err;
        ls_input *in;
        ls_pq_reader *r;
        CHECK_OK(ls_input_open_file(p, &in, &err), &err);
        CHECK_OK(ls_pq_reader_open(in, NULL, &r, &err), &err);
        ls_batch *b = ls_batch_new(ls_pq_reader_out_schema(r));
        bool eof;
        CHECK_OK(ls_pq_reader_next(r, b, &eof, &err), &err);
        static const int64_t want[] = {1704141296123456LL, 1704070800000000LL,
                                       253402225200000000LL, 1735599600000000LL,
                                       9089380393200000000LL};
        CHECK(b->n_rows == 6 && b->leaves[0].n_values == 5);
        for (int i = 0; i < 5 && b->leaves[0].n_values == 5; i++)
            CHECK_MSG(((int64_t *)b->leaves[0].values)[i] == want[i], "int96 value %d: %lld", i,
                      (long long)((int64_t *)b->leaves[0].values)[i]);
        CHECK(b->leaves[0].def[4] == 0);
        ls_batch_free(b);
        ls_pq_reader_free(r);
        ls_input_free(in);
        free(p);
    }
    /* UINT_64 -> DECIMAL(20,0); values 1..513 over concatenated gzip members */
    {
        char *p = path_of("data/concatenated_gzip_members.parquet");
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK_OK(r.rc, &r.err);
        CHECK_STR(r.ddl, "long_col DECIMAL(20,0)");
        CHECK_STR(line_at(&r.text, 0), "{\"long_col\":\"1\"}");
        CHECK_STR(line_at(&r.text, 512), "{\"long_col\":\"513\"}");
        readres_free(&r);
        free(p);
    }
    /* DELTA_LENGTH_BYTE_ARRAY: 'apple_banana_mango' + str(i*i) */
    {
        char *p = path_of("data/delta_length_byte_array.parquet");
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK_OK(r.rc, &r.err);
        for (int i = 0; i < 1000 && !r.rc; i += 37) {
            char want[80];
            snprintf(want, sizeof want, "{\"FRUIT\":\"apple_banana_mango%d\"}", i * i);
            CHECK_STR(line_at(&r.text, (size_t)i), want);
        }
        readres_free(&r);
        free(p);
    }
    /* counts: nulls, booleans */
    {
        char *p = path_of("data/int32_with_null_pages.parquet");
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(count_substr(&r.text, "null") == 275);
        readres_free(&r);
        free(p);
        p = path_of("data/fixed_length_byte_array.parquet");
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(count_substr(&r.text, "null") == 105);
        readres_free(&r);
        free(p);
        p = path_of("data/rle_boolean_encoding.parquet");
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(count_substr(&r.text, "true") == 36 && count_substr(&r.text, "false") == 26 &&
              count_substr(&r.text, "null") == 6);
        readres_free(&r);
        free(p);
        p = path_of("data/overflow_i16_page_cnt.parquet");
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(r.rows == 40000 && count_substr(&r.text, "false") == 40000);
        readres_free(&r);
        free(p);
        p = path_of("data/page_v2_empty_compressed.parquet");
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(r.rows == 10 && count_substr(&r.text, "null") == 10);
        readres_free(&r);
        free(p);
        p = path_of("data/dict-page-offset-zero.parquet");
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(r.rows == 39 && count_substr(&r.text, "{\"l_partkey\":1552}") == 39);
        readres_free(&r);
        free(p);
    }
    /* BYTE_STREAM_SPLIT twins equal their PLAIN columns */
    {
        char *p = path_of("data/byte_stream_split_extended.gzip.parquet");
        static const char *const pairs[][2] = {
            {"float16_plain", "float16_byte_stream_split"},
            {"float_plain", "float_byte_stream_split"},
            {"double_plain", "double_byte_stream_split"},
            {"int32_plain", "int32_byte_stream_split"},
            {"int64_plain", "int64_byte_stream_split"},
            {"flba5_plain", "flba5_byte_stream_split"},
            {"decimal_plain", "decimal_byte_stream_split"}};
        for (size_t k = 0; k < 7; k++) {
            readres a, b;
            read_file(p, NULL, &pairs[k][0], 1, NULL, LS_FMT_CSV, &a);
            read_file(p, NULL, &pairs[k][1], 1, NULL, LS_FMT_CSV, &b);
            CHECK_MSG(a.rc == 0 && b.rc == 0 && a.rows == 200 && b.rows == 200,
                      "%s: %s %s", pairs[k][0], a.err.msg, b.err.msg);
            /* skip the header line */
            const char *ta = strchr((const char *)ls_buf_cstr(&a.text), '\n');
            const char *tb = strchr((const char *)ls_buf_cstr(&b.text), '\n');
            CHECK_MSG(ta && tb && strcmp(ta, tb) == 0, "%s differs from its BSS twin", pairs[k][0]);
            readres_free(&a);
            readres_free(&b);
        }
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK(strstr(line_at(&r.text, 0), "\"float16_plain\":10.3046875,") != NULL);
        CHECK(strstr(line_at(&r.text, 0), "\"float_plain\":10.337575,") != NULL);
        CHECK(strstr(line_at(&r.text, 0), "\"double_plain\":9.82038858616854,") != NULL);
        CHECK(strstr(line_at(&r.text, 0), "\"int32_plain\":24191,") != NULL);
        readres_free(&r);
        free(p);
    }
    /* same data, different codecs / writers */
    static const char *const same[][2] = {
        {"data/hadoop_lz4_compressed.parquet", "data/lz4_raw_compressed.parquet"},
        {"data/hadoop_lz4_compressed.parquet", "data/non_hadoop_lz4_compressed.parquet"},
        {"data/hadoop_lz4_compressed_larger.parquet", "data/lz4_raw_compressed_larger.parquet"},
        {"data/alltypes_tiny_pages.parquet", "data/alltypes_tiny_pages_plain.parquet"},
        {"data/datapage_v1-uncompressed-checksum.parquet",
         "data/datapage_v1-snappy-compressed-checksum.parquet"},
        {"data/data_index_bloom_encoding_stats.parquet",
         "data/data_index_bloom_encoding_with_length.parquet"}};
    for (size_t k = 0; k < sizeof same / sizeof *same; k++) {
        char *pa = path_of(same[k][0]), *pb = path_of(same[k][1]);
        readres a, b;
        read_file(pa, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &a);
        read_file(pb, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &b);
        CHECK_MSG(a.rc == 0 && b.rc == 0 && a.text.len == b.text.len &&
                      (a.text.len == 0 || memcmp(a.text.data, b.text.data, a.text.len) == 0),
                  "%s and %s differ", same[k][0], same[k][1]);
        readres_free(&a);
        readres_free(&b);
        free(pa);
        free(pb);
    }
}

static void test_values_nested(void)
{
    EXPECT_LINES("data/nested_lists.snappy.parquet",
                 "{\"a\":[[[\"a\",\"b\"],[\"c\"]],[null,[\"d\"]]],\"b\":1}",
                 "{\"a\":[[[\"a\",\"b\"],[\"c\",\"d\"]],[null,[\"e\"]]],\"b\":1}",
                 "{\"a\":[[[\"a\",\"b\"],[\"c\",\"d\"],[\"e\"]],[null,[\"f\"]]],\"b\":1}");
    EXPECT_LINES("data/nested_maps.snappy.parquet",
                 "{\"a\":{\"a\":{\"1\":true,\"2\":false}},\"b\":1,\"c\":1}",
                 "{\"a\":{\"b\":{\"1\":true}},\"b\":1,\"c\":1}",
                 "{\"a\":{\"c\":null},\"b\":1,\"c\":1}", "{\"a\":{\"d\":{}},\"b\":1,\"c\":1}",
                 "{\"a\":{\"e\":{\"1\":true}},\"b\":1,\"c\":1}",
                 "{\"a\":{\"f\":{\"3\":true,\"4\":false,\"5\":true}},\"b\":1,\"c\":1}");
    EXPECT_LINES("data/list_columns.parquet",
                 "{\"int64_list\":[1,2,3],\"utf8_list\":[\"abc\",\"efg\",\"hij\"]}",
                 "{\"int64_list\":[null,1],\"utf8_list\":null}",
                 "{\"int64_list\":[4],\"utf8_list\":[\"efg\",null,\"hij\",\"xyz\"]}");
    EXPECT_LINES("data/null_list.parquet", "{\"emptylist\":[]}");
    EXPECT_LINES("data/nulls.snappy.parquet", "{\"b_struct\":{\"b_c_int\":null}}",
                 "{\"b_struct\":{\"b_c_int\":null}}", NULL, NULL, NULL, NULL, NULL,
                 "{\"b_struct\":{\"b_c_int\":null}}");
    EXPECT_LINES("data/old_list_structure.parquet", "{\"a\":[[1,2],[3,4]]}");
    EXPECT_LINES("data/repeated_no_annotation.parquet", "{\"id\":1,\"phoneNumbers\":null}",
                 "{\"id\":2,\"phoneNumbers\":null}", "{\"id\":3,\"phoneNumbers\":{\"phone\":[]}}",
                 "{\"id\":4,\"phoneNumbers\":{\"phone\":[{\"number\":5555555555,\"kind\":null}]}}",
                 "{\"id\":5,\"phoneNumbers\":{\"phone\":[{\"number\":1111111111,\"kind\":"
                 "\"home\"}]}}",
                 "{\"id\":6,\"phoneNumbers\":{\"phone\":[{\"number\":1111111111,\"kind\":"
                 "\"home\"},{\"number\":2222222222,\"kind\":null},{\"number\":3333333333,"
                 "\"kind\":\"mobile\"}]}}");
    EXPECT_LINES("data/repeated_primitive_no_list.parquet",
                 "{\"Int32_list\":[0,1,2,3],\"String_list\":[\"foo\",\"zero\",\"one\",\"two\"],"
                 "\"group_of_lists\":{\"Int32_list_in_group\":[0,1,2,3],\"String_list_in_"
                 "group\":[\"foo\",\"zero\",\"one\",\"two\"]}}",
                 "{\"Int32_list\":[],\"String_list\":[\"three\"],\"group_of_lists\":{\"Int32_"
                 "list_in_group\":[],\"String_list_in_group\":[\"three\"]}}",
                 "{\"Int32_list\":[4],\"String_list\":[\"four\"],\"group_of_lists\":{\"Int32_"
                 "list_in_group\":[4],\"String_list_in_group\":[\"four\"]}}",
                 "{\"Int32_list\":[5,6,7,8],\"String_list\":[\"five\",\"six\",\"seven\","
                 "\"eight\"],\"group_of_lists\":{\"Int32_list_in_group\":[5,6,7,8],\"String_"
                 "list_in_group\":[\"five\",\"six\",\"seven\",\"eight\"]}}");
    EXPECT_LINES("data/map_no_value.parquet",
                 "{\"my_map\":{\"1\":null,\"2\":null,\"3\":null},\"my_map_no_v\":[1,2,3],"
                 "\"my_list\":[1,2,3]}",
                 "{\"my_map\":{\"4\":null,\"5\":null,\"6\":null},\"my_map_no_v\":[4,5,6],"
                 "\"my_list\":[4,5,6]}",
                 "{\"my_map\":{\"7\":null,\"8\":null,\"9\":null},\"my_map_no_v\":[7,8,9],"
                 "\"my_list\":[7,8,9]}");
    EXPECT_LINES("data/incorrect_map_schema.parquet",
                 "{\"my_map\":{\"parent\":\"another\",\"name\":\"report\"}}");
    EXPECT_LINES("data/nonnullable.impala.parquet",
                 "{\"ID\":8,\"Int_Array\":[-1],\"int_array_array\":[[-1,-2],[]],\"Int_Map\":{"
                 "\"k1\":-1},\"int_map_array\":[{},{\"k1\":1},{},{}],\"nested_Struct\":{\"a\":-1,"
                 "\"B\":[-1],\"c\":{\"D\":[[{\"e\":-1,\"f\":\"nonnullable\"}]]},\"G\":{}}}");
    EXPECT_LINES(
        "data/nullable.impala.parquet",
        "{\"id\":1,\"int_array\":[1,2,3],\"int_array_Array\":[[1,2],[3,4]],\"int_map\":{\"k1\":1,"
        "\"k2\":100},\"int_Map_Array\":[{\"k1\":1}],\"nested_struct\":{\"A\":1,\"b\":[1],\"C\":{"
        "\"d\":[[{\"E\":10,\"F\":\"aaa\"},{\"E\":-10,\"F\":\"bbb\"}],[{\"E\":11,\"F\":\"c\"}]]},"
        "\"g\":{\"foo\":{\"H\":{\"i\":[1.1]}}}}}",
        "{\"id\":2,\"int_array\":[null,1,2,null,3,null],\"int_array_Array\":[[null,1,2,null],[3,"
        "null,4],[],null],\"int_map\":{\"k1\":2,\"k2\":null},\"int_Map_Array\":[{\"k3\":null,"
        "\"k1\":1},null,{}],\"nested_struct\":{\"A\":null,\"b\":[null],\"C\":{\"d\":[[{\"E\":"
        "null,\"F\":null},{\"E\":10,\"F\":\"aaa\"},{\"E\":null,\"F\":null},{\"E\":-10,\"F\":"
        "\"bbb\"},{\"E\":null,\"F\":null}],[{\"E\":11,\"F\":\"c\"},null],[],null]},\"g\":{"
        "\"g1\":{\"H\":{\"i\":[2.2,null]}},\"g2\":{\"H\":{\"i\":[]}},\"g3\":null,\"g4\":{\"H\":{"
        "\"i\":null}},\"g5\":{\"H\":null}}}}",
        "{\"id\":3,\"int_array\":[],\"int_array_Array\":[null],\"int_map\":{},\"int_Map_Array\":"
        "[null,null],\"nested_struct\":{\"A\":null,\"b\":null,\"C\":{\"d\":[]},\"g\":{}}}",
        NULL, NULL,
        "{\"id\":6,\"int_array\":null,\"int_array_Array\":null,\"int_map\":null,\"int_Map_Array\":"
        "null,\"nested_struct\":null}");
    {
        char *p = path_of("data/nested_structs.rust.parquet");
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK_OK(r.rc, &r.err);
        static const char want[] =
            "{\"roll_num\":{\"min\":190406409000602,\"max\":190407175004000,\"mean\":"
            "190406671229999,\"count\":\"495\",\"sum\":94251302258849568,\"variance\":0}";
        CHECK(strncmp(line_at(&r.text, 0), want, strlen(want)) == 0);
        readres_free(&r);
        free(p);
    }
    /* schema mapping of the legacy forms */
    {
        char *p = path_of("data/old_list_structure.parquet");
        readres r;
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK_STR(r.ddl, "a ARRAY<ARRAY<INT NOT NULL> NOT NULL> NOT NULL");
        readres_free(&r);
        free(p);
        p = path_of("data/repeated_no_annotation.parquet");
        read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK_STR(r.ddl, "id INT NOT NULL, phoneNumbers STRUCT<phone: ARRAY<STRUCT<number: BIGINT "
                         "NOT NULL, kind: STRING> NOT NULL> NOT NULL>");
        readres_free(&r);
        free(p);
    }
}

/* ---- expected CSVs ------------------------------------------------------------- */

typedef struct csv_cell {
    char *text;
    bool quoted;
} csv_cell;

/* Minimal RFC 4180 parser: rows of cells; returns number of rows. */
static size_t parse_csv(const char *s, size_t n, csv_cell ***rows_out, size_t **ncells_out)
{
    size_t cap = 16, nr = 0;
    csv_cell **rows = ls_xmalloc(cap * sizeof *rows);
    size_t *nc = ls_xmalloc(cap * sizeof *nc);
    size_t i = 0;
    while (i < n) {
        size_t ccap = 8, k = 0;
        csv_cell *cells = ls_xmalloc(ccap * sizeof *cells);
        for (;;) {
            ls_buf t = {0};
            bool q = false;
            if (i < n && s[i] == '"') {
                q = true;
                i++;
                while (i < n) {
                    if (s[i] == '"') {
                        if (i + 1 < n && s[i + 1] == '"') {
                            ls_buf_putc(&t, '"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    ls_buf_putc(&t, (uint8_t)s[i++]);
                }
            }
            while (i < n && s[i] != ',' && s[i] != '\n' && s[i] != '\r')
                ls_buf_putc(&t, (uint8_t)s[i++]);
            if (k == ccap) {
                ccap *= 2;
                cells = ls_xrealloc(cells, ccap * sizeof *cells);
            }
            cells[k].text = ls_xstrdup(t.len ? ls_buf_cstr(&t) : "");
            cells[k].quoted = q;
            k++;
            ls_buf_free(&t);
            if (i < n && s[i] == ',') {
                i++;
                continue;
            }
            if (i < n && s[i] == '\r')
                i++;
            if (i < n && s[i] == '\n')
                i++;
            break;
        }
        if (nr == cap) {
            cap *= 2;
            rows = ls_xrealloc(rows, cap * sizeof *rows);
            nc = ls_xrealloc(nc, cap * sizeof *nc);
        }
        rows[nr] = cells;
        nc[nr++] = k;
    }
    *rows_out = rows;
    *ncells_out = nc;
    return nr;
}

static void free_csv(csv_cell **rows, size_t *nc, size_t nr)
{
    for (size_t r = 0; r < nr; r++) {
        for (size_t k = 0; k < nc[r]; k++)
            free(rows[r][k].text);
        free(rows[r]);
    }
    free(rows);
    free(nc);
}

static void test_expect_csv(void)
{
    static const char *const files[] = {"delta_binary_packed", "delta_byte_array",
                                        "delta_encoding_optional_column",
                                        "delta_encoding_required_column"};
    for (size_t f = 0; f < 4; f++) {
        char *pq = ls_xasprintf("%s/data/%s.parquet", g_dir, files[f]);
        char *ex = ls_xasprintf("%s/data/%s_expect.csv", g_dir, files[f]);
        readres r;
        read_file(pq, NULL, NULL, 0, NULL, LS_FMT_CSV, &r);
        CHECK_MSG(r.rc == LS_OK, "%s: %s", files[f], r.err.msg);
        ls_buf e = {0};
        ls_error err;
        CHECK_OK(ls_read_file(ex, &e, &err), &err);
        csv_cell **ga, **ea;
        size_t *gn, *en;
        size_t ng = parse_csv((const char *)r.text.data, r.text.len, &ga, &gn);
        size_t ne = parse_csv((const char *)e.data, e.len, &ea, &en);
        CHECK_MSG(ng == ne, "%s: %zu rows vs %zu expected", files[f], ng, ne);
        size_t bad = 0;
        for (size_t i = 1; i < ng && i < ne; i++) { /* row 0 = header (names may differ) */
            if (gn[i] != en[i]) {
                bad++;
                continue;
            }
            for (size_t k = 0; k < gn[i]; k++) {
                bool gnull = !ga[i][k].quoted && !ga[i][k].text[0];
                bool enull = !ea[i][k].quoted && !ea[i][k].text[0];
                if (gnull != enull || strcmp(ga[i][k].text, ea[i][k].text) != 0) {
                    if (bad < 5)
                        printf("  %s row %zu col %zu: got '%s'%s want '%s'%s\n", files[f], i, k,
                               ga[i][k].text, gnull ? " (null)" : "", ea[i][k].text,
                               enull ? " (null)" : "");
                    bad++;
                }
            }
        }
        CHECK_MSG(bad == 0, "%s: %zu cells differ from the expected CSV", files[f], bad);
        free_csv(ga, gn, ng);
        free_csv(ea, en, ne);
        ls_buf_free(&e);
        readres_free(&r);
        free(pq);
        free(ex);
    }
}

/* ---- options ------------------------------------------------------------------- */

static void test_projection(void)
{
    char *p = path_of("data/nullable.impala.parquet");
    readres all, r;
    read_file(p, NULL, NULL, 0, NULL, LS_FMT_NDJSON, &all);
    static const char *const cols[] = {"nested_struct.C", "int_map.value", "ID"};
    read_file(p, NULL, cols, 3, NULL, LS_FMT_NDJSON, &r);
    CHECK_OK(r.rc, &r.err);
    /* a map is read whole; struct members are pruned; names match case-insensitively */
    CHECK_STR(r.ddl, "id BIGINT, int_map MAP<STRING, INT>, nested_struct STRUCT<C: "
                     "STRUCT<d: ARRAY<ARRAY<STRUCT<E: INT, F: STRING>>>>>");
    CHECK_STR(line_at(&r.text, 0),
              "{\"id\":1,\"int_map\":{\"k1\":1,\"k2\":100},\"nested_struct\":{\"C\":{\"d\":[[{"
              "\"E\":10,\"F\":\"aaa\"},{\"E\":-10,\"F\":\"bbb\"}],[{\"E\":11,\"F\":\"c\"}]]}}}");
    CHECK_STR(line_at(&r.text, 5), "{\"id\":6,\"int_map\":null,\"nested_struct\":null}");
    readres_free(&r);
    static const char *const nope[] = {"no_such_column"};
    read_file(p, NULL, nope, 1, NULL, LS_FMT_NDJSON, &r);
    CHECK(r.rc == LS_ERR_NOTFOUND);
    readres_free(&r);
    readres_free(&all);
    free(p);

    /* row-group selection: sort_columns has 2 identical row groups of 3 rows */
    p = path_of("data/sort_columns.parquet");
    bool keep[2] = {false, true};
    read_file(p, NULL, NULL, 0, keep, LS_FMT_NDJSON, &r);
    CHECK(r.rc == LS_OK && r.rows == 3);
    CHECK_STR(line_at(&r.text, 2), "{\"a\":1,\"b\":\"c\"}");
    readres_free(&r);
    free(p);
    p = path_of("data/geospatial/geography-points.parquet");
    bool keep50[50] = {0};
    keep50[49] = true;
    read_file(p, NULL, NULL, 0, keep50, LS_FMT_NDJSON, &r);
    CHECK(r.rc == LS_OK && r.rows == 10);
    readres_free(&r);
    free(p);
}

static void test_crc(void)
{
    ls_pq_read_opts o;
    ls_pq_read_opts_default(&o);
    o.verify_crc = true;
    static const char *const good[] = {"data/datapage_v1-uncompressed-checksum.parquet",
                                       "data/datapage_v1-snappy-compressed-checksum.parquet",
                                       "data/plain-dict-uncompressed-checksum.parquet",
                                       "data/rle-dict-snappy-checksum.parquet",
                                       "data/fixed_length_byte_array.parquet",
                                       "data/int32_with_null_pages.parquet"};
    static const char *const bad[] = {"data/datapage_v1-corrupt-checksum.parquet",
                                      "data/rle-dict-uncompressed-corrupt-checksum.parquet"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char *p = path_of(good[i]);
        readres r;
        read_file(p, &o, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK_MSG(r.rc == LS_OK, "%s with CRC checks: %s", good[i], r.err.msg);
        readres_free(&r);
        free(p);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *p = path_of(bad[i]);
        readres r;
        read_file(p, &o, NULL, 0, NULL, LS_FMT_NDJSON, &r);
        CHECK_MSG(r.rc == LS_ERR_CORRUPT && strstr(r.err.msg, "CRC"), "%s: %d %s", bad[i], r.rc,
                  r.err.msg);
        readres_free(&r);
        free(p);
    }
}

static void test_meta_json(void)
{
    for (int i = 0; i < g_nfiles; i++) {
        char *p = path_of(g_files[i].rel);
        ls_input *in;
        ls_error err;
        if (ls_input_open_file(p, &in, &err) == LS_OK) {
            ls_buf out = {0};
            int rc = ls_pq_meta_json(in, &out, &err);
            size_t rl = strlen(g_files[i].rel);
            bool footer_encrypted = rl > 10 && strcmp(g_files[i].rel + rl - 10, ".encrypted") == 0 &&
                                    !strstr(g_files[i].rel, "plaintext_footer");
            if (!g_files[i].reject || strstr(g_files[i].rel, "plaintext_footer"))
                CHECK_MSG(rc == LS_OK, "%s meta: %s", g_files[i].rel, err.msg);
            if (footer_encrypted)
                CHECK(rc == LS_ERR_UNSUPPORTED && strstr(err.msg, "encrypted"));
            ls_buf_free(&out);
            ls_input_free(in);
        }
        free(p);
    }
    /* a close look at one file */
    char *p = path_of("data/int32_with_null_pages.parquet");
    ls_input *in;
    ls_error err;
    CHECK_OK(ls_input_open_file(p, &in, &err), &err);
    ls_buf out = {0};
    CHECK_OK(ls_pq_meta_json(in, &out, &err), &err);
    const char *j = ls_buf_cstr(&out);
    CHECK(strstr(j, "\"min_value\": -2136906554") && strstr(j, "\"max_value\": 2145722375"));
    CHECK(strstr(j, "\"null_count\": 275"));
    CHECK(strstr(j, "\"path\": \"int32_field\""));
    CHECK(strstr(j, "\"offset_index_offset\""));
    ls_buf_free(&out);
    ls_input_free(in);
    free(p);
    p = path_of("data/binary_truncated_min_max.parquet");
    CHECK_OK(ls_input_open_file(p, &in, &err), &err);
    CHECK_OK(ls_pq_meta_json(in, &out, &err), &err);
    j = ls_buf_cstr(&out);
    CHECK(strstr(j, "\"min_value\": \"Al\"") && strstr(j, "\"max_value\": \"Kf\""));
    CHECK(strstr(j, "\"max_value_hex\": \"ffff0102\""));
    CHECK(strstr(j, "\"is_max_value_exact\": false"));
    ls_buf_free(&out);
    ls_input_free(in);
    free(p);
    p = path_of("data/alltypes_tiny_pages.parquet");
    CHECK_OK(ls_input_open_file(p, &in, &err), &err);
    CHECK_OK(ls_pq_meta_json(in, &out, &err), &err);
    j = ls_buf_cstr(&out);
    CHECK(strstr(j, "\"created_by\": \"parquet-mr version 1.12.0-SNAPSHOT"));
    CHECK(strstr(j, "\"encodings\": ["));
    CHECK(strstr(j, "\"PLAIN_DICTIONARY\""));
    ls_buf_free(&out);
    ls_input_free(in);
    free(p);
}

/* ---- hand-built files: rows split across pages, v1 + v2 pages ---------------- */

typedef struct pagespec {
    int nv;               /* level slots */
    const uint8_t *rep, *def;
    const int32_t *vals;  /* non-null values */
    int nvals;
    bool v2;
} pagespec;

/* optional group l (LIST) { repeated group list { optional int32 element } } in one
 * row group of rg_rows rows; meta_values < 0 = the true sum of the pages' slots. */
static void build_list_file(ls_buf *out, const pagespec *pg, int np, int64_t rg_rows,
                            int64_t meta_values)
{
    ls_buf_reset(out);
    ls_buf_append(out, "PAR1", 4);
    int64_t total_nv = 0;
    for (int i = 0; i < np; i++) {
        ls_buf rep = {0}, def = {0}, body = {0};
        pq_rle_encode_u8(&rep, 1, pg[i].rep, (size_t)pg[i].nv);
        pq_rle_encode_u8(&def, 2, pg[i].def, (size_t)pg[i].nv);
        if (!pg[i].v2) {
            ls_buf_put_u32le(&body, (uint32_t)rep.len);
            ls_buf_append(&body, rep.data, rep.len);
            ls_buf_put_u32le(&body, (uint32_t)def.len);
            ls_buf_append(&body, def.data, def.len);
        } else {
            ls_buf_append(&body, rep.data, rep.len);
            ls_buf_append(&body, def.data, def.len);
        }
        for (int k = 0; k < pg[i].nvals; k++)
            ls_buf_put_u32le(&body, (uint32_t)pg[i].vals[k]);
        pq_page_header h;
        memset(&h, 0, sizeof h);
        h.uncompressed_page_size = h.compressed_page_size = (int32_t)body.len;
        if (!pg[i].v2) {
            h.type = PQ_PAGE_DATA;
            h.has_data_page_header = true;
            h.data_page_header.num_values = pg[i].nv;
            h.data_page_header.encoding = PQ_ENC_PLAIN;
            h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
            h.data_page_header.repetition_level_encoding = PQ_ENC_RLE;
        } else {
            h.type = PQ_PAGE_DATA_V2;
            h.has_data_page_header_v2 = true;
            pq_data_page_header_v2 *v = &h.data_page_header_v2;
            v->num_values = pg[i].nv;
            v->num_nulls = pg[i].nv - pg[i].nvals;
            v->num_rows = 0;
            for (int k = 0; k < pg[i].nv; k++)
                v->num_rows += pg[i].rep[k] == 0;
            v->encoding = PQ_ENC_PLAIN;
            v->repetition_levels_byte_length = (int32_t)rep.len;
            v->definition_levels_byte_length = (int32_t)def.len;
            v->is_compressed = false;
        }
        pq_write_page_header(out, &h);
        ls_buf_append(out, body.data, body.len);
        total_nv += pg[i].nv;
        ls_buf_free(&rep);
        ls_buf_free(&def);
        ls_buf_free(&body);
    }
    int64_t chunk_len = (int64_t)out->len - 4;
    pq_schema_element se[4];
    memset(se, 0, sizeof se);
    se[0].name = "schema";
    se[0].has_num_children = true;
    se[0].num_children = 1;
    se[1].name = "l";
    se[1].has_repetition = true;
    se[1].repetition = PQ_OPTIONAL;
    se[1].has_num_children = true;
    se[1].num_children = 1;
    se[1].has_converted_type = true;
    se[1].converted_type = PQ_CT_LIST;
    se[2].name = "list";
    se[2].has_repetition = true;
    se[2].repetition = PQ_REPEATED;
    se[2].has_num_children = true;
    se[2].num_children = 1;
    se[3].name = "element";
    se[3].has_repetition = true;
    se[3].repetition = PQ_OPTIONAL;
    se[3].has_type = true;
    se[3].type = PQ_INT32;
    int32_t encs[2] = {PQ_ENC_PLAIN, PQ_ENC_RLE};
    const char *path[3] = {"l", "list", "element"};
    pq_column_chunk cc;
    memset(&cc, 0, sizeof cc);
    cc.has_meta_data = true;
    pq_column_meta *m = &cc.meta_data;
    m->type = PQ_INT32;
    m->n_encodings = 2;
    m->encodings = encs;
    m->n_path = 3;
    m->path = path;
    m->codec = PQ_CODEC_UNCOMPRESSED;
    m->num_values = meta_values >= 0 ? meta_values : total_nv;
    m->total_uncompressed_size = m->total_compressed_size = chunk_len;
    m->data_page_offset = 4;
    pq_row_group rg;
    memset(&rg, 0, sizeof rg);
    rg.n_columns = 1;
    rg.columns = &cc;
    rg.total_byte_size = chunk_len;
    rg.num_rows = rg_rows;
    pq_file_meta fm;
    memset(&fm, 0, sizeof fm);
    fm.version = 1;
    fm.n_schema = 4;
    fm.schema = se;
    fm.num_rows = rg_rows;
    fm.n_row_groups = 1;
    fm.row_groups = &rg;
    fm.created_by = "lakestream test";
    size_t foot = out->len;
    pq_write_file_meta(out, &fm);
    ls_buf_put_u32le(out, (uint32_t)(out->len - foot));
    ls_buf_append(out, "PAR1", 4);
}

static int read_mem_ndjson(const ls_buf *f, size_t batch_rows, ls_buf *text, ls_error *err)
{
    ls_input *in = ls_input_from_memory(f->data, f->len, "built.parquet");
    ls_pq_read_opts o;
    ls_pq_read_opts_default(&o);
    o.batch_rows = batch_rows;
    ls_pq_reader *r;
    int rc = ls_pq_reader_open(in, &o, &r, err);
    if (!rc) {
        ls_batch *b = ls_batch_new(ls_pq_reader_out_schema(r));
        bool eof;
        while (!(rc = ls_pq_reader_next(r, b, &eof, err)) && !eof) {
            if ((rc = ls_batch_validate(b, err)))
                break;
            if ((rc = ls_batch_format(b, 0, b->n_rows, LS_FMT_NDJSON, false, text, err)))
                break;
        }
        ls_batch_free(b);
        ls_pq_reader_free(r);
    }
    ls_input_free(in);
    return rc;
}

static void test_built_pages(void)
{
    /* rows [1,2,3], [4,5], null, [], [6], [null]: row 0 is split over pages 1 and 2,
     * row 4 over pages 2 and 3 (a v2 page would not split rows; page 4 is v2). */
    static const uint8_t r1[] = {0, 1}, d1[] = {3, 3};
    static const int32_t v1[] = {1, 2};
    static const uint8_t r2[] = {1, 0, 1, 0, 0, 0}, d2[] = {3, 3, 3, 0, 1, 3};
    static const int32_t v2[] = {3, 4, 5, 6};
    static const uint8_t r3[] = {0}, d3[] = {2};
    pagespec pg[3] = {{2, r1, d1, v1, 2, false}, {6, r2, d2, v2, 4, false},
                      {1, r3, d3, NULL, 0, true}};
    static const char want[] = "{\"l\":[1,2,3]}\n{\"l\":[4,5]}\n{\"l\":null}\n{\"l\":[]}\n"
                               "{\"l\":[6]}\n{\"l\":[null]}\n";
    ls_buf f = {0}, t = {0};
    ls_error err;
    build_list_file(&f, pg, 3, 6, -1);
    for (size_t br = 1; br <= 7; br++) {
        ls_buf_reset(&t);
        CHECK_OK(read_mem_ndjson(&f, br, &t, &err), &err);
        CHECK_MSG(t.len == strlen(want) && memcmp(t.data, want, t.len) == 0,
                  "batch_rows %zu: %.*s", br, (int)t.len, (const char *)t.data);
    }
    /* row group claims 7 rows: the chunk ends early */
    build_list_file(&f, pg, 3, 7, -1);
    ls_buf_reset(&t);
    CHECK(read_mem_ndjson(&f, 4, &t, &err) == LS_ERR_CORRUPT &&
          strstr(err.msg, "column l.list.element, row group 0") && strstr(err.msg, "ends after 6 rows"));
    /* row group claims 5 rows: the chunk holds more */
    build_list_file(&f, pg, 3, 5, -1);
    CHECK(read_mem_ndjson(&f, 100, &t, &err) == LS_ERR_CORRUPT && strstr(err.msg, "more rows"));
    /* ColumnMetaData.num_values disagrees with the pages */
    build_list_file(&f, pg, 3, 6, 8);
    CHECK(read_mem_ndjson(&f, 100, &t, &err) == LS_ERR_CORRUPT && strstr(err.msg, "num_values"));
    build_list_file(&f, pg, 3, 6, 10);
    CHECK(read_mem_ndjson(&f, 100, &t, &err) == LS_ERR_CORRUPT && strstr(err.msg, "num_values"));
    /* a chunk that starts in the middle of a row */
    build_list_file(&f, pg + 1, 2, 4, -1);
    CHECK(read_mem_ndjson(&f, 100, &t, &err) == LS_ERR_CORRUPT &&
          strstr(err.msg, "first repetition level"));
    /* a continuation (rep 1) after a null list */
    static const uint8_t r4[] = {0, 1}, d4[] = {0, 3};
    static const int32_t v4[] = {7};
    pagespec bad[1] = {{2, r4, d4, v4, 1, false}};
    build_list_file(&f, bad, 1, 1, -1);
    CHECK(read_mem_ndjson(&f, 100, &t, &err) == LS_ERR_CORRUPT && strstr(err.msg, "continues a list"));
    /* fewer values than the definition levels promise */
    pagespec few[1] = {{2, r1, d1, v1, 1, false}};
    build_list_file(&f, few, 1, 1, -1);
    CHECK(read_mem_ndjson(&f, 100, &t, &err) == LS_ERR_CORRUPT);
    ls_buf_free(&f);
    ls_buf_free(&t);
}

/* Reads a file held in memory; returns rc (never crashes, under ASan in `make asan`). */
static int read_memory(const uint8_t *p, size_t n, size_t batch_rows, ls_error *err)
{
    ls_input *in = ls_input_from_memory(p, n, "mutant.parquet");
    ls_pq_read_opts o;
    ls_pq_read_opts_default(&o);
    o.batch_rows = batch_rows;
    o.max_page_bytes = 1 << 20;
    ls_pq_reader *r;
    int rc = ls_pq_reader_open(in, &o, &r, err);
    if (!rc) {
        ls_batch *b = ls_batch_new(ls_pq_reader_out_schema(r));
        bool eof = false;
        ls_buf t = {0};
        while ((rc = ls_pq_reader_next(r, b, &eof, err)) == LS_OK && !eof) {
            ls_error e2;
            CHECK_MSG(ls_batch_validate(b, &e2) == LS_OK, "invalid batch: %s", e2.msg);
            ls_buf_reset(&t);
            (void)ls_batch_format(b, 0, b->n_rows, LS_FMT_NDJSON, false, &t, &e2);
        }
        ls_buf_free(&t);
        ls_batch_free(b);
        ls_pq_reader_free(r);
    }
    ls_buf m = {0};
    ls_error e3;
    (void)ls_pq_meta_json(in, &m, &e3);
    ls_buf_free(&m);
    ls_input_free(in);
    return rc;
}

/* Deterministic mutations of small corpus files (every byte flipped/zeroed/maxed,
 * truncations): each read must succeed or fail with a message. */
static void test_mutations(void)
{
    static const char *const files[] = {
        "data/alltypes_plain.parquet",      "data/nested_lists.snappy.parquet",
        "data/nested_maps.snappy.parquet",  "data/nullable.impala.parquet",
        "data/datapage_v2.snappy.parquet",  "data/list_columns.parquet",
        "data/repeated_no_annotation.parquet", "data/incorrect_map_schema.parquet",
        "data/delta_encoding_optional_column.parquet", "data/int96_from_spark.parquet",
        "data/fixed_length_decimal.parquet", "data/byte_stream_split.zstd.parquet"};
    size_t runs = 0, failed_clean = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char *p = path_of(files[f]);
        ls_buf src = {0};
        ls_error err;
        if (ls_read_file(p, &src, &err) != LS_OK) {
            CHECK_MSG(0, "%s: %s", files[f], err.msg);
            free(p);
            continue;
        }
        uint8_t *m = ls_xmalloc(src.len);
        size_t stride = src.len > 1200 ? src.len / 1200 : 1;
        static const uint8_t pat[] = {0xff, 0x00, 0x7f};
        for (size_t i = 0; i < src.len; i += stride) {
            for (size_t k = 0; k < 3; k++) {
                memcpy(m, src.data, src.len);
                m[i] = (k == 0) ? (uint8_t)(m[i] ^ 0xff) : pat[k];
                err.msg[0] = 0;
                int rc = read_memory(m, src.len, 1 + (i + k) % 5, &err);
                runs++;
                if (rc) {
                    failed_clean++;
                    CHECK_MSG(err.msg[0], "%s byte %zu: error %d without a message", files[f], i, rc);
                }
            }
        }
        for (size_t cut = 0; cut < src.len; cut += stride * 7 + 1) {
            err.msg[0] = 0;
            int rc = read_memory(src.data, cut, 3, &err);
            runs++;
            CHECK_MSG(rc != LS_OK && err.msg[0], "%s truncated to %zu bytes: rc %d", files[f], cut,
                      rc);
        }
        free(m);
        ls_buf_free(&src);
        free(p);
    }
    printf("NOTE mutation sweep: %zu reads, %zu rejected with an error\n", runs, failed_clean);
}

/* Fuzzer finds: must fail cleanly (files named ok-* must read). */
static void test_regress(void)
{
    const char *root = getenv("LS_ROOT");
    char *dir = ls_xasprintf("%s/tests/parquet/regress", root && *root ? root : ".");
    DIR *d = opendir(dir);
    int n = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t nl = strlen(e->d_name);
            if (e->d_name[0] == '.' || nl < 8 || strcmp(e->d_name + nl - 8, ".parquet") != 0)
                continue;
            char *p = ls_xasprintf("%s/%s", dir, e->d_name);
            readres r;
            ls_pq_read_opts o;
            ls_pq_read_opts_default(&o);
            o.max_page_bytes = 1 << 20; /* what the fuzzer uses */
            read_file(p, &o, NULL, 0, NULL, LS_FMT_NDJSON, &r);
            if (strncmp(e->d_name, "ok-", 3) == 0)
                CHECK_MSG(r.rc == LS_OK, "%s: %s", e->d_name, r.err.msg);
            else
                CHECK_MSG(r.rc != LS_OK && r.err.msg[0], "%s: no error", e->d_name);
            ls_input *in;
            ls_error err;
            if (ls_input_open_file(p, &in, &err) == LS_OK) {
                ls_buf out = {0};
                (void)ls_pq_meta_json(in, &out, &err);
                ls_buf_free(&out);
                ls_input_free(in);
            }
            readres_free(&r);
            free(p);
            n++;
        }
        closedir(d);
    }
    printf("NOTE %d fuzz regression inputs\n", n);
    free(dir);
}

int main(void)
{
    const char *sd = t_shared_dir();
    if (!sd) {
        printf("SKIP parquet corpus: LS_SHARED_DIR is not set\n");
        TEST_MAIN_END();
    }
    snprintf(g_dir, sizeof g_dir, "%s/testdata/parquet", sd);
    struct stat st;
    if (stat(g_dir, &st) != 0) {
        printf("SKIP parquet corpus: %s not found\n", g_dir);
        TEST_MAIN_END();
    }
    load_index();
    scan_dir("data");
    scan_dir("data/aes256");
    scan_dir("data/geospatial");
    scan_dir("bad_data");
    scan_dir("shredded_variant");
    RUN(test_corpus);
    printf("SUMMARY parquet corpus: %d/%d data files read, %d/%d bad files rejected\n",
           g_read_ok, g_read_total, g_rej_ok, g_rej_total);
    if (g_failures.len)
        printf("failures:\n%s", ls_buf_cstr(&g_failures));
    RUN(test_small_batches);
    RUN(test_values_flat);
    RUN(test_values_types);
    RUN(test_values_nested);
    RUN(test_expect_csv);
    RUN(test_projection);
    RUN(test_crc);
    RUN(test_meta_json);
    RUN(test_built_pages);
    RUN(test_mutations);
    RUN(test_regress);
    ls_buf_free(&g_failures);
    for (int i = 0; i < g_nfiles; i++)
        free(g_files[i].rel);
    TEST_MAIN_END();
}
