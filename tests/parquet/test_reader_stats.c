/*
 * test_reader_stats.c - column chunk statistics as the reader reports them
 * (ls_pq_reader_chunk_stats): values decoded into the leaf representation,
 * the rules that make statistics unusable (sort order, deprecated fields,
 * PARQUET-251 writers, NaN, widths, column orders, min > max), exactness
 * flags; row-group skipping with consecutive batch row indexes
 * (ls_pq_reader_batch_first_row); and corpus files with known statistics
 * (truncated strings, NaN counts, FLOAT16, legacy min/max) when
 * $LS_SHARED_DIR is set.
 */
#include "parquet/parquet.h"
#include "parquet/pq_meta.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

/* ---- helpers ---------------------------------------------------------------- */

static ls_schema *ddl(const char *s)
{
    ls_schema *sc = NULL;
    ls_error err = {0};
    if (ls_schema_parse_ddl(s, &sc, &err) != LS_OK) {
        printf("bad DDL in test: %s: %s\n", s, err.msg);
        exit(2);
    }
    return sc;
}

static char *tmp_path(const char *name)
{
    const char *d = getenv("LS_TMP");
    return ls_xasprintf("%s/%s", d && *d ? d : "/tmp", name);
}

/* Writes each NDJSON text as one write call; with row_group_bytes = 1 each becomes a
 * row group. The file's bytes are returned in out. */
static void write_groups(const char *name, const char *ddl_s, const char *const *groups, int n,
                         bool statistics, ls_buf *out)
{
    ls_schema *s = ddl(ddl_s);
    char *path = tmp_path(name);
    ls_error err = {0};
    ls_output *o = NULL;
    ls_pq_writer *w = NULL;
    ls_pq_writer_opts wo;
    ls_pq_writer_opts_default(&wo);
    wo.row_group_bytes = 1;
    wo.statistics = statistics;
    int rc = ls_output_open_file(path, &o, &err);
    if (!rc) rc = ls_pq_writer_new(o, s, &wo, &w, &err);
    ls_json_opts jo = {.strict = true};
    ls_json_reader *jr = ls_json_reader_new(s, &jo);
    ls_batch *b = ls_batch_new(s);
    for (int i = 0; i < n && !rc; i++) {
        uint64_t lines = 0;
        ls_batch_reset(b);
        rc = ls_json_read_buffer(jr, b, groups[i], strlen(groups[i]), 1, &lines, &err);
        if (!rc) rc = ls_pq_writer_write(w, b, &err);
    }
    if (!rc) rc = ls_pq_writer_close(w, &err);
    ls_pq_writer_free(w);
    if (!rc) rc = ls_output_commit(o, &err);
    else if (o) ls_output_abort(o);
    if (!rc) rc = ls_read_file(path, out, &err);
    if (rc) {
        printf("writing %s failed: %s\n", path, err.msg);
        exit(2);
    }
    ls_batch_free(b);
    ls_json_reader_free(jr);
    ls_schema_free(s);
    free(path);
}

/* Re-encodes the footer of an in-memory file after fn changed it. */
typedef void (*footer_fn)(pq_file_meta *m, ls_arena *a, const void *arg);

static void rewrite_footer(ls_buf *file, footer_fn fn, const void *arg)
{
    uint32_t flen = ls_load_u32le(file->data + file->len - 8);
    size_t foff = file->len - 8 - flen;
    ls_arena a;
    ls_arena_init(&a, 4096);
    pq_file_meta m;
    ls_error err = {0};
    if (pq_parse_file_meta(file->data + foff, flen, &a, &m, &err) != LS_OK) {
        printf("footer parse failed: %s\n", err.msg);
        exit(2);
    }
    fn(&m, &a, arg);
    ls_buf nf = {0};
    pq_write_file_meta(&nf, &m);
    file->len = foff;
    ls_buf_append(file, nf.data, nf.len);
    ls_buf_put_u32le(file, (uint32_t)nf.len);
    ls_buf_append(file, "PAR1", 4);
    ls_buf_free(&nf);
    ls_arena_free(&a);
}

static pq_bytes bytes_of(ls_arena *a, const void *p, size_t n)
{
    pq_bytes b;
    uint8_t *q = ls_arena_alloc(a, n ? n : 1);
    if (n) memcpy(q, p, n);
    b.p = q;
    b.len = (uint32_t)n;
    return b;
}

typedef struct opened {
    ls_input *in;
    ls_pq_reader *r;
} opened;

static bool open_mem(const ls_buf *f, opened *o)
{
    ls_error err = {0};
    o->in = ls_input_from_memory(f->data, f->len, "stats.parquet");
    o->r = NULL;
    int rc = ls_pq_reader_open(o->in, NULL, &o->r, &err);
    if (rc) printf("open failed: %s\n", err.msg);
    return rc == LS_OK;
}

static void close_mem(opened *o)
{
    ls_pq_reader_free(o->r);
    ls_input_free(o->in);
}

static ls_pq_chunk_stats stats(const ls_pq_reader *r, int rg, int leaf)
{
    ls_pq_chunk_stats st;
    ls_error err = {0};
    if (ls_pq_reader_chunk_stats(r, rg, leaf, &st, &err) != LS_OK)
        printf("chunk stats (%d, %d) failed: %s\n", rg, leaf, err.msg);
    return st;
}

static bool bytes_eq(const ls_pq_value *v, const char *s)
{
    return v->len == strlen(s) && memcmp(v->bytes, s, v->len) == 0;
}

static __int128 i128_of(const ls_pq_value *v)
{
    __int128 x;
    memcpy(&x, v->v.i128, 16);
    return x;
}

/* ---- files written by lakestream ------------------------------------------------------ */

#define DDL_ALL                                                                                    \
    "i BIGINT, s STRING, d DOUBLE, dec DECIMAL(10,2), ts TIMESTAMP, dt DATE, b BOOLEAN, "        \
    "f FLOAT, n INT, t TINYINT, big DECIMAL(25,1)"
enum { L_I, L_S, L_D, L_DEC, L_TS, L_DT, L_B, L_F, L_N, L_T, L_BIG };

/* 5 row groups of 20 rows: i = 20g .. 20g+19, s = "k<i>", d = i/2 (NaN at one row of
 * group 1, null at odd i of group 3), dec = i + 0.25, ts = i seconds, dt = i days,
 * b = (i >= 40), f = -i, n always null, t = g, big = -i - 0.5 (16 bytes, FLBA). */
static void write_all(ls_buf *f, bool statistics)
{
    static char txt[5][8192];
    const char *groups[5];
    for (int g = 0; g < 5; g++) {
        ls_buf b = {0};
        for (int k = 0; k < 20; k++) {
            int i = 20 * g + k;
            char d[32];
            if (g == 1 && k == 7)
                snprintf(d, sizeof d, "\"NaN\"");
            else if (g == 3 && (i & 1))
                snprintf(d, sizeof d, "null");
            else
                snprintf(d, sizeof d, "%g", i / 2.0);
            ls_buf_printf(&b,
                          "{\"i\":%d,\"s\":\"k%03d\",\"d\":%s,\"dec\":%d.25,\"ts\":\"1970-01-01T00:"
                          "00:%02dZ\",\"dt\":\"1970-01-%02d\",\"b\":%s,\"f\":%d,\"n\":null,"
                          "\"t\":%d,\"big\":-%d.5}\n",
                          i, i, d, i, i % 60, 1 + i % 28, i >= 40 ? "true" : "false", -i, g, i);
        }
        snprintf(txt[g], sizeof txt[g], "%s", ls_buf_cstr(&b));
        groups[g] = txt[g];
        ls_buf_free(&b);
    }
    write_groups(statistics ? "all.parquet" : "all_nostats.parquet", DDL_ALL, groups, 5,
                 statistics, f);
}

static void test_written_stats(void)
{
    ls_buf f = {0};
    write_all(&f, true);
    opened o;
    if (!open_mem(&f, &o)) {
        CHECK(0);
        ls_buf_free(&f);
        return;
    }
    CHECK(ls_pq_reader_num_row_groups(o.r) == 5);
    for (int g = 0; g < 5; g++) {
        CHECK(ls_pq_reader_row_group_rows(o.r, g) == 20);
        ls_pq_chunk_stats st = stats(o.r, g, L_I);
        CHECK(st.num_values == 20 && st.has_null_count && st.null_count == 0);
        CHECK(st.has_min && st.has_max && st.min.v.i64 == 20 * g && st.max.v.i64 == 20 * g + 19);
        CHECK(st.min_exact && st.max_exact);
        st = stats(o.r, g, L_S);
        char mn[8], mx[8];
        snprintf(mn, sizeof mn, "k%03d", 20 * g);
        snprintf(mx, sizeof mx, "k%03d", 20 * g + 19);
        CHECK_MSG(st.has_min && st.has_max && bytes_eq(&st.min, mn) && bytes_eq(&st.max, mx),
                  "group %d strings", g);
        st = stats(o.r, g, L_DEC); /* unscaled, DECIMAL(10,2) is 8 bytes */
        CHECK(st.has_min && st.min.v.i64 == 2000 * g + 25 && st.max.v.i64 == 2000 * g + 1925);
        st = stats(o.r, g, L_TS); /* micros */
        CHECK(st.has_min && st.min.v.i64 == (int64_t)((20 * g) % 60) * 1000000);
        st = stats(o.r, g, L_DT);
        int dmin = 99, dmax = -1;
        for (int i = 20 * g; i < 20 * g + 20; i++) {
            dmin = i % 28 < dmin ? i % 28 : dmin;
            dmax = i % 28 > dmax ? i % 28 : dmax;
        }
        CHECK(st.has_min && st.min.v.i32 == dmin && st.max.v.i32 == dmax);
        st = stats(o.r, g, L_B);
        CHECK(st.has_min && st.has_max && st.min.v.b == (g >= 2) && st.max.v.b == (g >= 2));
        st = stats(o.r, g, L_F);
        CHECK(st.has_min && st.min.v.f32 == -(float)(20 * g + 19) &&
              st.max.v.f32 == -(float)(20 * g));
        st = stats(o.r, g, L_N); /* all null: no bounds */
        CHECK(st.has_null_count && st.null_count == 20 && !st.has_min && !st.has_max);
        st = stats(o.r, g, L_T);
        CHECK(st.has_min && st.min.v.i32 == g && st.max.v.i32 == g);
        st = stats(o.r, g, L_BIG);
        CHECK(st.has_min && st.has_max && i128_of(&st.min) == -(20 * g + 19) * 10 - 5 &&
              i128_of(&st.max) == -(20 * g) * 10 - 5);
    }
    /* doubles: the NaN is not in the bounds; nulls counted */
    ls_pq_chunk_stats st = stats(o.r, 1, L_D);
    CHECK(st.has_min && st.has_max && st.min.v.f64 == 10.0 && st.max.v.f64 == 19.5);
    CHECK(!isnan(st.max.v.f64));
    st = stats(o.r, 3, L_D);
    CHECK(st.has_null_count && st.null_count == 10 && st.min.v.f64 == 30.0 && st.max.v.f64 == 39.0);
    /* out of range */
    ls_error err = {0};
    CHECK(ls_pq_reader_chunk_stats(o.r, 5, 0, &st, &err) == LS_ERR_INVALID);
    CHECK(ls_pq_reader_chunk_stats(o.r, 0, 11, &st, &err) == LS_ERR_INVALID);
    CHECK(ls_pq_reader_chunk_stats(o.r, -1, 0, &st, &err) == LS_ERR_INVALID);
    CHECK(ls_pq_reader_row_group_rows(o.r, 9) == -1);
    close_mem(&o);
    ls_buf_free(&f);

    /* without statistics nothing is claimed */
    write_all(&f, false);
    if (open_mem(&f, &o)) {
        for (int l = 0; l < 11; l++) {
            st = stats(o.r, 2, l);
            CHECK(st.num_values == 20 && !st.has_min && !st.has_max && !st.has_null_count);
        }
        close_mem(&o);
    }
    ls_buf_free(&f);
}

/* Reads all batches; returns the first row index and first i of each batch as text. */
static void batches_text(ls_pq_reader *r, ls_buf *out)
{
    ls_batch *b = ls_batch_new(ls_pq_reader_out_schema(r));
    ls_error err = {0};
    for (;;) {
        bool eof;
        int rc = ls_pq_reader_next(r, b, &eof, &err);
        if (rc) {
            ls_buf_printf(out, "ERR %s", err.msg);
            break;
        }
        if (eof) break;
        const int64_t *iv = b->leaves[0].values;
        ls_buf_printf(out, "%llu:%lld+%zu ", (unsigned long long)ls_pq_reader_batch_first_row(r),
                      (long long)iv[0], b->n_rows);
    }
    ls_buf_cstr(out);
    ls_batch_free(b);
}

static void test_skip_row_groups(void)
{
    ls_buf f = {0};
    write_all(&f, true);
    ls_error err = {0};
    const char *cols[] = {"i"};
    struct {
        size_t batch;
        bool keep[5];
        const char *want;
    } cases[] = {
        {1000, {1, 1, 1, 1, 1}, "0:0+100 "},
        {1000, {1, 0, 1, 1, 0}, "0:0+20 40:40+40 "},
        {1000, {0, 0, 0, 0, 1}, "80:80+20 "},
        {1000, {0, 0, 0, 0, 0}, ""},
        {15, {0, 1, 0, 1, 1}, "20:20+15 35:35+5 60:60+15 75:75+15 90:90+10 "},
        {30, {1, 1, 0, 1, 0}, "0:0+30 30:30+10 60:60+20 "},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ls_input *in = ls_input_from_memory(f.data, f.len, "skip.parquet");
        ls_pq_reader *r = NULL;
        ls_pq_read_opts ro;
        ls_pq_read_opts_default(&ro);
        ro.batch_rows = cases[k].batch;
        CHECK_OK(ls_pq_reader_open(in, &ro, &r, &err), &err);
        if (r) {
            CHECK_OK(ls_pq_reader_project(r, cols, 1, &err), &err);
            CHECK_OK(ls_pq_reader_select_row_groups(r, cases[k].keep, &err), &err);
            ls_buf t = {0};
            batches_text(r, &t);
            CHECK_MSG(strcmp((char *)t.data, cases[k].want) == 0, "case %zu: '%s' want '%s'", k,
                      (char *)t.data, cases[k].want);
            ls_buf_free(&t);
        }
        ls_pq_reader_free(r);
        ls_input_free(in);
    }
    ls_buf_free(&f);
}

/* ---- footers changed by hand ------------------------------------------------------------ */

typedef struct mut {
    const char *created_by;
    int leaf;
    int kind;
} mut;

enum {
    M_NONE,
    M_LEGACY,       /* min_value/max_value moved to the deprecated min/max */
    M_ORDER0,       /* column order of leaf: unknown */
    M_NO_ORDERS,    /* no column_orders at all */
    M_ORDERS_SHORT, /* a column_orders list of the wrong length */
    M_NAN_MIN,      /* double min = NaN */
    M_NAN_MAX,
    M_WIDTH,        /* 4-byte value for an 8-byte column */
    M_SWAP,         /* min and max exchanged */
    M_NULLS_BIG,    /* null_count > num_values */
    M_NAN_COUNT,    /* nan_count = 0 */
    M_INEXACT,      /* is_max_value_exact = false, is_min_value_exact = true */
    M_TRUNC,        /* strings truncated: min "k0", max "k1" inexact */
    M_NOFLAGS,      /* no is_*_value_exact flags */
};

static void mutate(pq_file_meta *m, ls_arena *a, const void *arg)
{
    const mut *x = arg;
    if (x->created_by) m->created_by = x->created_by;
    for (int g = 0; g < m->n_row_groups; g++) {
        pq_column_meta *cm = &m->row_groups[g].columns[x->leaf].meta_data;
        pq_statistics *s = &cm->statistics;
        switch (x->kind) {
        case M_LEGACY:
            s->has_min = s->has_min_value;
            s->min = s->min_value;
            s->has_max = s->has_max_value;
            s->max = s->max_value;
            s->has_min_value = s->has_max_value = false;
            s->has_is_min_value_exact = s->has_is_max_value_exact = false;
            break;
        case M_ORDER0:
            m->column_orders[x->leaf] = 0;
            break;
        case M_NO_ORDERS:
            m->n_column_orders = 0;
            break;
        case M_ORDERS_SHORT:
            m->n_column_orders = 3;
            break;
        case M_NAN_MIN:
        case M_NAN_MAX: {
            double nan = NAN;
            pq_bytes b = bytes_of(a, &nan, 8);
            if (x->kind == M_NAN_MIN)
                s->min_value = b;
            else
                s->max_value = b;
            break;
        }
        case M_WIDTH:
            s->min_value.len = 4;
            break;
        case M_SWAP: {
            pq_bytes t = s->min_value;
            s->min_value = s->max_value;
            s->max_value = t;
            break;
        }
        case M_NULLS_BIG:
            s->null_count = cm->num_values + 1;
            break;
        case M_NAN_COUNT:
            s->has_nan_count = true;
            s->nan_count = g == 1 ? 1 : 0;
            break;
        case M_INEXACT:
            s->has_is_max_value_exact = s->has_is_min_value_exact = true;
            s->is_max_value_exact = false;
            s->is_min_value_exact = true;
            break;
        case M_NOFLAGS:
            s->has_is_max_value_exact = s->has_is_min_value_exact = false;
            break;
        case M_TRUNC:
            s->min_value = bytes_of(a, "k0", 2);
            s->max_value = bytes_of(a, "k1", 2);
            s->has_is_max_value_exact = s->has_is_min_value_exact = true;
            s->is_max_value_exact = s->is_min_value_exact = false;
            break;
        default:
            break;
        }
    }
}

/* Stats of (group 2, leaf) after a mutation. */
static ls_pq_chunk_stats mutated(const ls_buf *orig, const mut *x)
{
    ls_buf f = {0};
    ls_buf_append(&f, orig->data, orig->len);
    rewrite_footer(&f, mutate, x);
    ls_pq_chunk_stats st;
    memset(&st, 0, sizeof st);
    opened o;
    if (open_mem(&f, &o)) {
        st = stats(o.r, 2, x->leaf);
        /* byte bounds point into the reader's footer: keep copies */
        static uint8_t mn[64], mx[64];
        if (st.has_min && st.min.bytes && st.min.len <= sizeof mn) {
            memcpy(mn, st.min.bytes, st.min.len);
            st.min.bytes = mn;
        }
        if (st.has_max && st.max.bytes && st.max.len <= sizeof mx) {
            memcpy(mx, st.max.bytes, st.max.len);
            st.max.bytes = mx;
        }
        close_mem(&o);
    } else {
        CHECK(0);
    }
    ls_buf_free(&f);
    return st;
}

static void test_untrusted_stats(void)
{
    ls_buf f = {0};
    write_all(&f, true);
    ls_pq_chunk_stats st;
    /* PARQUET-251: parquet-mr before 1.8.0 -> no binary min/max, numbers still fine */
    mut m = {"parquet-mr version 1.7.0 (build abc)", L_S, M_NONE};
    st = mutated(&f, &m);
    CHECK(!st.has_min && !st.has_max && st.has_null_count);
    m.leaf = L_I;
    st = mutated(&f, &m);
    CHECK(st.has_min && st.has_max);
    m = (mut){"parquet-mr", L_S, M_NONE}; /* no version: counts as old */
    st = mutated(&f, &m);
    CHECK(!st.has_min);
    m = (mut){"parquet-mr version 1.8.1 (build 4aba4dae7bb0d4edbcf7923ae133)", L_S, M_NONE};
    st = mutated(&f, &m);
    CHECK(st.has_min && st.has_max);
    m = (mut){"parquet-cpp version 1.0.0", L_S, M_NONE};
    st = mutated(&f, &m);
    CHECK(st.has_min && st.has_max);
    /* deprecated min/max: signed comparison, so numbers yes, strings no */
    m = (mut){NULL, L_I, M_LEGACY};
    st = mutated(&f, &m);
    CHECK(st.has_min && st.has_max && st.min.v.i64 == 40 && st.max.v.i64 == 59);
    CHECK(st.min_exact && st.max_exact);
    m = (mut){NULL, L_S, M_LEGACY};
    st = mutated(&f, &m);
    CHECK(!st.has_min && !st.has_max);
    m = (mut){NULL, L_DEC, M_LEGACY};
    st = mutated(&f, &m);
    CHECK(st.has_min && st.min.v.i64 == 4025);
    /* column orders */
    m = (mut){NULL, L_I, M_ORDER0};
    st = mutated(&f, &m);
    CHECK(!st.has_min && !st.has_max && st.has_null_count);
    m = (mut){NULL, L_I, M_NO_ORDERS};
    st = mutated(&f, &m);
    CHECK(st.has_min && st.has_max);
    m = (mut){NULL, L_I, M_ORDERS_SHORT};
    st = mutated(&f, &m);
    CHECK(!st.has_min && !st.has_max);
    /* floats: NaN bounds are dropped one by one; nan_count reported */
    m = (mut){NULL, L_D, M_NAN_MIN};
    st = mutated(&f, &m);
    CHECK(!st.has_min && st.has_max && st.max.v.f64 == 29.5);
    m = (mut){NULL, L_D, M_NAN_MAX};
    st = mutated(&f, &m);
    CHECK(st.has_min && !st.has_max && st.min.v.f64 == 20.0);
    CHECK(!st.has_nan_count);
    m = (mut){NULL, L_D, M_NAN_COUNT};
    st = mutated(&f, &m);
    CHECK(st.has_nan_count && st.nan_count == 0);
    m = (mut){NULL, L_I, M_NAN_COUNT}; /* not a float column: ignored */
    st = mutated(&f, &m);
    CHECK(!st.has_nan_count);
    /* widths, order, counts */
    m = (mut){NULL, L_I, M_WIDTH};
    st = mutated(&f, &m);
    CHECK(!st.has_min && st.has_max);
    m = (mut){NULL, L_I, M_SWAP};
    st = mutated(&f, &m);
    CHECK(!st.has_min && !st.has_max);
    m = (mut){NULL, L_S, M_SWAP};
    st = mutated(&f, &m);
    CHECK(!st.has_min && !st.has_max);
    m = (mut){NULL, L_I, M_NULLS_BIG};
    st = mutated(&f, &m);
    CHECK(!st.has_null_count && st.has_min);
    /* exactness flags */
    m = (mut){NULL, L_I, M_INEXACT};
    st = mutated(&f, &m);
    CHECK(st.has_max && !st.max_exact && st.min_exact);
    m = (mut){NULL, L_S, M_NONE};
    st = mutated(&f, &m);
    CHECK(st.has_min && st.min_exact && st.max_exact); /* lakestream writes the flags */
    m = (mut){NULL, L_S, M_NOFLAGS};
    st = mutated(&f, &m);
    CHECK(st.has_min && !st.min_exact && !st.max_exact); /* no flags: bytes inexact */
    m = (mut){NULL, L_I, M_NOFLAGS};
    st = mutated(&f, &m);
    CHECK(st.has_min && st.min_exact && st.max_exact); /* ... numbers exact */
    m = (mut){NULL, L_S, M_TRUNC};
    st = mutated(&f, &m);
    CHECK(st.has_min && bytes_eq(&st.min, "k0") && bytes_eq(&st.max, "k1") && !st.max_exact);
    ls_buf_free(&f);
}

/* ---- corpus files --------------------------------------------------------------------- */

static char g_dir[4096];

static bool open_corpus(const char *rel, opened *o)
{
    char *p = ls_xasprintf("%s/%s", g_dir, rel);
    ls_error err = {0};
    o->in = NULL;
    o->r = NULL;
    int rc = ls_input_open_file(p, &o->in, &err);
    if (!rc) rc = ls_pq_reader_open(o->in, NULL, &o->r, &err);
    if (rc) {
        printf("FAIL open %s: %s\n", p, err.msg);
        ls_input_free(o->in);
        o->in = NULL;
    }
    free(p);
    return rc == LS_OK;
}

static void test_corpus_stats(void)
{
    if (!g_dir[0]) {
        printf("SKIP parquet statistics corpus: LS_SHARED_DIR is not set\n");
        return;
    }
    opened o;
    ls_pq_chunk_stats st;
    /* strings truncated to 2 bytes with exactness flags (parquet-rs 55) */
    if (open_corpus("data/binary_truncated_min_max.parquet", &o)) {
        for (int l = 0; l < 6; l++) {
            st = stats(o.r, 0, l);
            CHECK(st.has_min && bytes_eq(&st.min, "Al"));
        }
        st = stats(o.r, 0, 0);
        CHECK(bytes_eq(&st.max, "Kf") && !st.min_exact && !st.max_exact);
        st = stats(o.r, 0, 2);
        CHECK(bytes_eq(&st.max, "\xf0\x9f\x9a\x80Kevin Bacon") && st.max_exact && !st.min_exact);
        st = stats(o.r, 0, 3);
        CHECK(st.has_max && st.max.len == 4 && memcmp(st.max.bytes, "\xff\xff\x01\x02", 4) == 0);
        st = stats(o.r, 0, 4);
        CHECK(bytes_eq(&st.max, "Ke") && st.min_exact && st.max_exact);
        close_mem(&o);
    }
    /* TYPE_ORDER floats with nan_count: 5 groups (no NaN, mixed, all NaN, zero min,
     * zero max); the IEEE_754_TOTAL_ORDER columns are not understood: no bounds */
    if (open_corpus("data/floating_orders_nan_count.parquet", &o)) {
        CHECK(ls_pq_reader_num_row_groups(o.r) == 5);
        for (int g = 0; g < 5; g++) {
            for (int l = 0; l < 6; l += 2) { /* *_ieee754 */
                st = stats(o.r, g, l);
                CHECK_MSG(!st.has_min && !st.has_max, "group %d leaf %d", g, l);
            }
            for (int l = 1; l < 6; l += 2) { /* *_typedef */
                st = stats(o.r, g, l);
                CHECK_MSG(st.has_nan_count, "group %d leaf %d", g, l);
                if (g == 0) CHECK(st.nan_count == 0 && st.has_min && st.has_max);
                if (g == 1) /* the writer left min/max out */
                    CHECK(st.nan_count == 4 && !st.has_min && !st.has_max);
                if (g == 2) CHECK(st.nan_count == 10 && !st.has_min && !st.has_max);
                if (st.has_min && st.has_max) {
                    double mn = l == 3 ? st.min.v.f64 : st.min.v.f32;
                    double mx = l == 3 ? st.max.v.f64 : st.max.v.f32;
                    CHECK(!isnan(mn) && !isnan(mx) && mn <= mx);
                    if (g == 3) CHECK(mn == 0 && mx == 5);
                    if (g == 4) CHECK(mn == -5 && mx == 0);
                }
            }
        }
        close_mem(&o);
    }
    /* an old writer put NaN into min/max: those bounds are dropped */
    if (open_corpus("data/nan_in_stats.parquet", &o)) {
        st = stats(o.r, 0, 0);
        CHECK(!(st.has_min && isnan(st.min.v.f64)) && !(st.has_max && isnan(st.max.v.f64)));
        CHECK(!st.has_max || !st.has_min || st.min.v.f64 <= st.max.v.f64);
        close_mem(&o);
    }
    if (open_corpus("data/int32_with_null_pages.parquet", &o)) {
        st = stats(o.r, 0, 0);
        CHECK(st.has_min && st.min.v.i32 == -2136906554 && st.max.v.i32 == 2145722375);
        CHECK(st.has_null_count && st.null_count == 275 && st.num_values == 1000);
        close_mem(&o);
    }
    /* parquet-mr 1.8.1: deprecated min/max only: numbers kept, UTF8 dropped */
    if (open_corpus("data/datapage_v2.snappy.parquet", &o)) {
        st = stats(o.r, 0, 0);
        CHECK(!st.has_min && !st.has_max);
        st = stats(o.r, 0, 1);
        CHECK(st.has_min && st.min.v.i32 == 1 && st.max.v.i32 == 5);
        st = stats(o.r, 0, 2);
        CHECK(st.has_min && st.min.v.f64 == 2.0 && st.max.v.f64 == 5.0);
        close_mem(&o);
    }
    /* deprecated stats of a decimal on INT32 (signed) vs on FLBA (bytes compared signed) */
    if (open_corpus("data/int32_decimal.parquet", &o)) {
        st = stats(o.r, 0, 0);
        CHECK(st.has_min && st.min.v.i32 == 100 && st.max.v.i32 == 2400);
        close_mem(&o);
    }
    if (open_corpus("data/fixed_length_decimal.parquet", &o)) {
        st = stats(o.r, 0, 0);
        CHECK(!st.has_min && !st.has_max);
        close_mem(&o);
    }
    /* FLOAT16 read as FLOAT: min -2, max 2 (the NaN is not in the bounds) */
    if (open_corpus("data/float16_nonzeros_and_nans.parquet", &o)) {
        st = stats(o.r, 0, 0);
        CHECK(st.has_min && st.min.v.f32 == -2.0f && st.max.v.f32 == 2.0f);
        CHECK(st.null_count == 1);
        close_mem(&o);
    }
    /* INT96 has no usable order */
    if (open_corpus("data/int96_from_spark.parquet", &o)) {
        st = stats(o.r, 0, 0);
        CHECK(!st.has_min && !st.has_max && st.has_null_count && st.null_count == 1);
        close_mem(&o);
    }
    /* no statistics at all */
    if (open_corpus("data/alltypes_plain.parquet", &o)) {
        for (int l = 0; l < 11; l++) {
            st = stats(o.r, 0, l);
            CHECK(!st.has_min && !st.has_max && !st.has_null_count);
        }
        close_mem(&o);
    }
}

int main(void)
{
    const char *sd = t_shared_dir();
    struct stat sb;
    if (sd) {
        snprintf(g_dir, sizeof g_dir, "%s/testdata/parquet", sd);
        if (stat(g_dir, &sb) != 0) {
            printf("SKIP parquet statistics corpus: %s not found\n", g_dir);
            g_dir[0] = 0;
        }
    }
    RUN(test_written_stats);
    RUN(test_skip_row_groups);
    RUN(test_untrusted_stats);
    RUN(test_corpus_stats);
    TEST_MAIN_END();
}
