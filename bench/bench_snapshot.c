/*
 * bench_snapshot - Delta log replay at scale, for bench/bench_snapshot.sh.
 *
 *   bench_snapshot gen DIR --commits C --files F   build (or finish) a table
 *   bench_snapshot load DIR                        time ls_delta_snapshot_load at latest
 *   bench_snapshot checkpoint DIR                  load, then time ls_delta_checkpoint_write
 *   bench_snapshot uncheckpoint DIR                delete checkpoints and _last_checkpoint
 *   bench_snapshot update DIR [--behind N]         load at latest-N, then time N single-commit
 *                                                  ls_delta_snapshot_update calls vs a full load
 *
 * gen writes the commit files directly with ls_store_put_if_absent (going through
 * ls_delta_commit_run for 100,000 commits would replay the log each time), in the
 * layout Spark writes (PROTOCOL.md): commitInfo, then (version 0 only) protocol and
 * metaData, then F/C `add` actions per commit with realistic paths, partition values
 * and stats. The content is a pure function of (version, C, F), so an interrupted gen
 * resumes where it stopped (existing versions are skipped) and a finished table is
 * reused. The table is partitioned by `day` (one new day every 1,000 commits).
 *
 * load/checkpoint print one line for the script (wall and CPU seconds of the process:
 * the machines are shared and loaded, CPU time is the steadier figure; peak RSS from
 * getrusage, so run each measurement in a fresh process):
 *   load: seconds S cpu_seconds C version V files N bytes B rss_kb K
 *   checkpoint: load_seconds S write_seconds W write_cpu_seconds C version V files N ... rss_kb K
 * update prints one line per figure (milliseconds; the table is only read, never written):
 * the base load, the first update (which builds the file index), the median/p90/max of the
 * others, a no-op update at the latest version, reading one commit file alone, and a full
 * load at the latest version (what a reload after each commit costs).
 */
#include "delta/delta.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* splitmix64: a stateless hash of (version, file) gives deterministic "random" ids. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void put_uuid(ls_buf *b, uint64_t seed)
{
    uint64_t hi = mix64(seed), lo = mix64(seed ^ 0x5bd1e995ULL);
    hi = (hi & ~0xf000ULL) | 0x4000ULL;                            /* version 4 */
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant */
    ls_buf_printf(b, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
                  hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, (uint64_t)(lo & 0xffffffffffffULL));
}

static void day_text(int64_t day_index, char out[40])
{
    /* days since 2024-01-01 -> YYYY-MM-DD (civil-from-days, Howard Hinnant's algorithm) */
    int64_t z = 19723 + day_index + 719468; /* 19723 = 2024-01-01 in days since 1970 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    snprintf(out, 40, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

#define T0_MS INT64_C(1704067200000) /* 2024-01-01T00:00:00Z */
#define COMMIT_STEP_MS INT64_C(60000)

static const char SCHEMA_JSON[] =
    "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":["
    "{\\\"name\\\":\\\"event_id\\\",\\\"type\\\":\\\"string\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},"
    "{\\\"name\\\":\\\"ts\\\",\\\"type\\\":\\\"timestamp\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},"
    "{\\\"name\\\":\\\"user_id\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},"
    "{\\\"name\\\":\\\"kind\\\",\\\"type\\\":\\\"string\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},"
    "{\\\"name\\\":\\\"amount\\\",\\\"type\\\":\\\"double\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},"
    "{\\\"name\\\":\\\"day\\\",\\\"type\\\":\\\"date\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}";

/* The whole commit file of version v (appended to b). */
static void commit_json(ls_buf *b, int64_t v, int64_t commits, int64_t files)
{
    /* files of this commit: [first, first + n) spread evenly over the commits */
    int64_t first = files * v / commits; /* both <= 1e9 (main checks): no overflow */
    int64_t n = files * (v + 1) / commits - first;
    int64_t ts = T0_MS + v * COMMIT_STEP_MS;
    char day[40];
    day_text(v / 1000, day);

    ls_buf_printf(b,
                  "{\"commitInfo\":{\"timestamp\":%" PRId64 ",\"operation\":\"WRITE\","
                  "\"operationParameters\":{\"mode\":\"Append\",\"partitionBy\":\"[\\\"day\\\"]\"},",
                  ts);
    if (v > 0)
        ls_buf_printf(b, "\"readVersion\":%" PRId64 ",", v - 1);
    ls_buf_printf(b,
                  "\"isolationLevel\":\"Serializable\",\"isBlindAppend\":true,"
                  "\"operationMetrics\":{\"numFiles\":\"%" PRId64 "\",\"numOutputRows\":\"%" PRId64
                  "\",\"numOutputBytes\":\"%" PRId64 "\"},"
                  "\"engineInfo\":\"lakestream-bench\",\"txnId\":\"",
                  n, n * 100000, n * 25000000);
    put_uuid(b, (uint64_t)v * 0x10001ULL + 7);
    ls_buf_puts(b, "\"}}\n");
    if (v == 0) {
        ls_buf_puts(b, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n");
        ls_buf_puts(b, "{\"metaData\":{\"id\":\"");
        put_uuid(b, 42);
        ls_buf_printf(b,
                      "\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":\"%s\","
                      "\"partitionColumns\":[\"day\"],\"configuration\":{},\"createdTime\":%" PRId64
                      "}}\n",
                      SCHEMA_JSON, T0_MS);
    }
    for (int64_t f = first; f < first + n; f++) {
        uint64_t h = mix64((uint64_t)f);
        int64_t size = 20000000 + (int64_t)(h % 10000000);
        int64_t rows = 90000 + (int64_t)(h % 20000);
        int64_t uid_min = (int64_t)(h % 1000), uid_max = 990000 + (int64_t)(h % 10000);
        int64_t nulls = (int64_t)(h % 3000);
        int64_t day_ms = T0_MS + (v / 1000) * INT64_C(86400000);
        int64_t t_lo = (int64_t)((ts - day_ms) % 86400000), t_hi = t_lo + 59999;
        ls_buf_printf(b, "{\"add\":{\"path\":\"day=%s/part-%05" PRId64 "-", day, f - first);
        put_uuid(b, (uint64_t)f);
        ls_buf_printf(b,
                      ".c000.zstd.parquet\",\"partitionValues\":{\"day\":\"%s\"},\"size\":%" PRId64
                      ",\"modificationTime\":%" PRId64 ",\"dataChange\":true,\"stats\":\""
                      "{\\\"numRecords\\\":%" PRId64 ",\\\"minValues\\\":{\\\"event_id\\\":\\\"0000",
                      day, size, ts, rows);
        ls_buf_printf(b,
                      "%04x\\\",\\\"ts\\\":\\\"%sT%02d:%02d:%02d.000Z\\\",\\\"user_id\\\":%" PRId64
                      ",\\\"kind\\\":\\\"click\\\",\\\"amount\\\":0.01},",
                      (unsigned)(h & 0xffff), day, (int)(t_lo / 3600000), (int)(t_lo / 60000 % 60),
                      (int)(t_lo / 1000 % 60), uid_min);
        ls_buf_printf(b,
                      "\\\"maxValues\\\":{\\\"event_id\\\":\\\"ffff%04x\\\",\\\"ts\\\":\\\"%sT%02d:"
                      "%02d:%02d.999Z\\\",\\\"user_id\\\":%" PRId64
                      ",\\\"kind\\\":\\\"view\\\",\\\"amount\\\":9999.99},",
                      (unsigned)((h >> 16) & 0xffff), day, (int)(t_hi / 3600000),
                      (int)(t_hi / 60000 % 60), (int)(t_hi / 1000 % 60), uid_max);
        ls_buf_printf(b,
                      "\\\"nullCount\\\":{\\\"event_id\\\":0,\\\"ts\\\":0,\\\"user_id\\\":0,"
                      "\\\"kind\\\":0,\\\"amount\\\":%" PRId64 "}}\"}}\n",
                      nulls);
    }
}

static void version_key(char *buf, size_t n, int64_t v)
{
    snprintf(buf, n, "_delta_log/%020" PRId64 ".json", v);
}

static int cmd_gen(const char *dir, int64_t commits, int64_t files)
{
    ls_error err = {0};
    ls_store *st = NULL;
    if (ls_store_open(dir, true, &st, &err) != LS_OK) {
        fprintf(stderr, "bench_snapshot gen: %s\n", err.msg);
        return 1;
    }
    char key[64];
    ls_obj_info info;
    version_key(key, sizeof key, commits - 1);
    if (ls_store_head(st, key, &info, &err) == LS_OK) {
        printf("gen: reusing %s (%" PRId64 " commits present)\n", dir, commits);
        ls_store_free(st);
        return 0;
    }
    double t0 = now_s();
    ls_buf b = {0};
    uint64_t bytes = 0;
    int64_t written = 0;
    for (int64_t v = 0; v < commits; v++) {
        b.len = 0;
        commit_json(&b, v, commits, files);
        version_key(key, sizeof key, v);
        ls_error_clear(&err);
        int rc = ls_store_put_if_absent(st, key, b.data, b.len, &err);
        if (rc == LS_ERR_EXISTS)
            continue; /* resumed: this version was written by an earlier run */
        if (rc != LS_OK) {
            fprintf(stderr, "bench_snapshot gen: version %" PRId64 ": %s\n", v, err.msg);
            ls_buf_free(&b);
            ls_store_free(st);
            return 1;
        }
        bytes += b.len;
        written++;
        if (written % 10000 == 0) {
            fprintf(stderr, "gen: %" PRId64 "/%" PRId64 " commits (%.0f s)\n", v + 1, commits,
                    now_s() - t0);
        }
    }
    printf("gen: wrote %" PRId64 " commits, %" PRIu64 " bytes of log in %.1f s\n", written, bytes,
           now_s() - t0);
    ls_buf_free(&b);
    ls_store_free(st);
    return 0;
}

static int load_latest(const char *dir, ls_delta_table **t, ls_delta_snapshot **s, ls_error *err)
{
    ls_delta_snapshot_spec spec = {.at = LS_AT_LATEST};
    int rc = ls_delta_open(dir, t, err);
    if (rc == LS_OK)
        rc = ls_delta_snapshot_load(*t, &spec, s, err);
    return rc;
}

static int cmd_load(const char *dir, bool checkpoint)
{
    ls_error err = {0};
    ls_delta_table *t = NULL;
    ls_delta_snapshot *s = NULL;
    double t0 = now_s(), c0 = cpu_s();
    int rc = load_latest(dir, &t, &s, &err);
    double t1 = now_s(), c1 = cpu_s();
    if (rc != LS_OK) {
        fprintf(stderr, "bench_snapshot: load %s: %s\n", dir, err.msg);
        ls_delta_close(t);
        return 1;
    }
    int64_t version = ls_delta_snapshot_version(s);
    size_t n_files = ls_delta_snapshot_num_files(s);
    /* touch the result so a lazy implementation can't hide work */
    uint64_t total = 0;
    for (size_t i = 0; i < n_files; i++)
        total += (uint64_t)ls_delta_snapshot_file(s, i)->size;
    double t2 = t1, c2 = c1;
    if (checkpoint) {
        t1 = now_s();
        c1 = cpu_s();
        rc = ls_delta_checkpoint_write(t, s, &err);
        t2 = now_s();
        c2 = cpu_s();
        if (rc != LS_OK) {
            fprintf(stderr, "bench_snapshot: checkpoint %s: %s\n", dir, err.msg);
            ls_delta_snapshot_free(s);
            ls_delta_close(t);
            return 1;
        }
    }
    long rss = peak_rss_kb();
    if (checkpoint)
        printf("load_seconds %.3f write_seconds %.3f write_cpu_seconds %.3f version %" PRId64
               " files %zu bytes %" PRIu64 " rss_kb %ld\n",
               t1 - t0, t2 - t1, c2 - c1, version, n_files, total, rss);
    else
        printf("seconds %.3f cpu_seconds %.3f version %" PRId64 " files %zu bytes %" PRIu64
               " rss_kb %ld\n",
               t1 - t0, c1 - c0, version, n_files, total, rss);
    ls_delta_snapshot_free(s);
    ls_delta_close(t);
    return 0;
}

static int cmd_uncheckpoint(const char *dir)
{
    ls_error err = {0};
    ls_store *st = NULL;
    ls_obj_list l = {0};
    int rc = ls_store_open(dir, false, &st, &err);
    if (rc == LS_OK)
        rc = ls_store_list(st, "_delta_log/", NULL, &l, &err);
    size_t n = 0;
    for (size_t i = 0; rc == LS_OK && i < l.n; i++) {
        const char *k = l.items[i].key + strlen("_delta_log/");
        if (strstr(k, ".checkpoint.") || !strcmp(k, "_last_checkpoint") ||
            !strncmp(k, "_sidecars/", 10)) {
            rc = ls_store_delete(st, l.items[i].key, &err);
            n++;
        }
    }
    ls_obj_list_free(&l);
    ls_store_free(st);
    if (rc != LS_OK) {
        fprintf(stderr, "bench_snapshot uncheckpoint: %s\n", err.msg);
        return 1;
    }
    printf("uncheckpoint: removed %zu objects\n", n);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The incremental update against a full load, on the existing table (read only). */
static int cmd_update(const char *dir, int64_t behind)
{
    ls_error err = {0};
    ls_delta_table *t = NULL;
    ls_delta_snapshot *s = NULL, *latest = NULL;
    int rc = load_latest(dir, &t, &latest, &err);
    if (rc != LS_OK) {
        fprintf(stderr, "bench_snapshot update: load %s: %s\n", dir, err.msg);
        ls_delta_close(t);
        return 1;
    }
    int64_t top = ls_delta_snapshot_version(latest);
    ls_delta_snapshot_free(latest);
    latest = NULL;
    if (behind < 1 || behind > top)
        behind = top < 100 ? top : 100;
    ls_delta_snapshot_spec spec = {.at = LS_AT_VERSION, .version = top - behind};
    double t0 = now_s(), c0 = cpu_s();
    rc = ls_delta_snapshot_load(t, &spec, &s, &err);
    double t1 = now_s(), c1 = cpu_s();
    if (rc != LS_OK) {
        fprintf(stderr, "bench_snapshot update: load version %" PRId64 ": %s\n", spec.version,
                err.msg);
        ls_delta_close(t);
        return 1;
    }
    printf("base_load version %" PRId64 " files %zu seconds %.3f cpu_seconds %.3f rss_kb %ld\n",
           ls_delta_snapshot_version(s), ls_delta_snapshot_num_files(s), t1 - t0, c1 - c0,
           peak_rss_kb());
    double *ms = malloc((size_t)behind * sizeof *ms), *cms = malloc((size_t)behind * sizeof *cms);
    if (!ms || !cms)
        return 1;
    for (int64_t i = 0; i < behind; i++) {
        double a = now_s(), ca = cpu_s();
        rc = ls_delta_snapshot_update(s, t, ls_delta_snapshot_version(s) + 1, &err);
        ms[i] = (now_s() - a) * 1e3;
        cms[i] = (cpu_s() - ca) * 1e3;
        if (rc != LS_OK) {
            fprintf(stderr, "bench_snapshot update: %s\n", err.msg);
            return 1;
        }
    }
    printf("first_update ms %.3f cpu_ms %.3f rss_kb %ld (builds the file index when the base "
           "load had none: a load exactly at a checkpoint)\n",
           ms[0], cms[0], peak_rss_kb());
    int64_t n = behind - 1;
    if (n > 0) {
        double sum = 0, csum = 0;
        for (int64_t i = 1; i < behind; i++)
            sum += ms[i], csum += cms[i];
        qsort(ms + 1, (size_t)n, sizeof *ms, cmp_double);
        qsort(cms + 1, (size_t)n, sizeof *cms, cmp_double);
        printf("next_updates n %" PRId64 " median_ms %.3f p90_ms %.3f max_ms %.3f mean_ms %.3f "
               "median_cpu_ms %.3f mean_cpu_ms %.3f\n",
               n, ms[1 + n / 2], ms[1 + n * 9 / 10], ms[n], sum / (double)n, cms[1 + n / 2],
               csum / (double)n);
    }
    /* nothing new: one failed open + _last_checkpoint */
    double a = now_s();
    int reps = 200;
    for (int i = 0; i < reps && rc == LS_OK; i++)
        rc = ls_delta_snapshot_update(s, t, -1, &err);
    printf("noop_update ms %.3f version %" PRId64 " files %zu\n", (now_s() - a) * 1e3 / reps,
           ls_delta_snapshot_version(s), ls_delta_snapshot_num_files(s));
    /* what re-reading one commit costs (the share an apply-my-own-commit API would save) */
    char key[64];
    version_key(key, sizeof key, top);
    ls_buf b = {0};
    a = now_s();
    for (int i = 0; i < reps && rc == LS_OK; i++) {
        b.len = 0;
        rc = ls_store_get(ls_delta_store(t), key, &b, &err);
    }
    printf("read_one_commit ms %.3f bytes %zu\n", (now_s() - a) * 1e3 / reps, b.len);
    ls_buf_free(&b);
    /* the full load a reload after each commit costs */
    spec.at = LS_AT_LATEST;
    a = now_s();
    double ca = cpu_s();
    rc = ls_delta_snapshot_load(t, &spec, &latest, &err);
    printf("full_load_latest ms %.1f cpu_ms %.1f version %" PRId64 "\n", (now_s() - a) * 1e3,
           (cpu_s() - ca) * 1e3, latest ? ls_delta_snapshot_version(latest) : -1);
    if (rc == LS_OK && ls_delta_snapshot_num_files(latest) != ls_delta_snapshot_num_files(s)) {
        fprintf(stderr, "bench_snapshot update: %zu files after updates, %zu in a fresh load\n",
                ls_delta_snapshot_num_files(s), ls_delta_snapshot_num_files(latest));
        rc = LS_ERR_CORRUPT;
    }
    free(ms);
    free(cms);
    ls_delta_snapshot_free(latest);
    ls_delta_snapshot_free(s);
    ls_delta_close(t);
    return rc == LS_OK ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_snapshot gen DIR --commits C --files F\n"
                    "       bench_snapshot load|checkpoint|uncheckpoint DIR\n"
                    "       bench_snapshot update DIR [--behind N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *cmd = argv[1], *dir = argv[2];
    if (!strcmp(cmd, "gen")) {
        int64_t commits = 100000, files = 1000000;
        for (int i = 3; i + 1 < argc; i += 2) {
            if (!strcmp(argv[i], "--commits"))
                commits = strtoll(argv[i + 1], NULL, 10);
            else if (!strcmp(argv[i], "--files"))
                files = strtoll(argv[i + 1], NULL, 10);
            else
                return usage();
        }
        if (commits < 1 || files < 0 || commits > INT64_C(1000000000) || files > INT64_C(1000000000))
            return usage();
        return cmd_gen(dir, commits, files);
    }
    if (!strcmp(cmd, "load"))
        return cmd_load(dir, false);
    if (!strcmp(cmd, "checkpoint"))
        return cmd_load(dir, true);
    if (!strcmp(cmd, "uncheckpoint"))
        return cmd_uncheckpoint(dir);
    if (!strcmp(cmd, "update")) {
        int64_t behind = 100;
        if (argc == 5 && !strcmp(argv[3], "--behind"))
            behind = strtoll(argv[4], NULL, 10);
        else if (argc != 3)
            return usage();
        return cmd_update(dir, behind);
    }
    return usage();
}
