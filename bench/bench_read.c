/*
 * bench_read - full decode of one Parquet file with the lakestream reader, for
 * bench/bench_parquet_read.sh.
 *
 *   bench_read FILE [--batch-rows N] [--repeat N]
 *
 * Opens FILE (ls_input_open_file), reads every column of every row group with
 * ls_pq_reader_next until EOF (into ls_batch leaves, no text formatting) and
 * times exactly that: open + footer + all batches, as wall time and as CPU time
 * of the process (the machines we run on are shared and loaded: CPU time is the
 * steadier figure). A checksum over every decoded value (integers and float bit
 * patterns summed, string lengths summed, definition levels summed; per leaf,
 * independent of batch boundaries) is printed so the decode can't be skipped
 * and files holding the same data can be compared. With --repeat the run with
 * the least CPU time is reported.
 *
 * Output (one line, for the script):
 *   seconds W cpu_seconds C rows R leaves L slots N values V checksum 0xHEX rss_kb K
 */
#include "parquet/parquet.h"

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

#define MAX_LEAVES 4096 /* more leaves are folded together (still all touched) */

typedef struct sums {
    uint64_t rows, slots, values;
    uint64_t leaf[MAX_LEAVES];
} sums;

/* Per-leaf sums mixed in leaf order, so swapped columns change the result. */
static uint64_t checksum_of(const sums *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < MAX_LEAVES; i++)
        h = (h ^ s->leaf[i]) * 0x100000001b3ULL;
    return h;
}

/* Touches every value of every leaf. Plain loops over the dense arrays: the
 * compiler vectorizes them, so this costs little next to the decode. */
static void checksum_batch(const ls_batch *b, sums *s)
{
    s->rows += b->n_rows;
    for (int i = 0; i < b->n_leaves; i++) {
        const ls_leaf *l = &b->leaves[i];
        uint64_t acc = 0;
        size_t n = l->n_values;
        s->slots += l->n;
        s->values += n;
        switch (l->phys) {
        case LS_PHYS_BOOL: {
            const uint8_t *v = l->values;
            for (size_t k = 0; k < n; k++)
                acc += v[k];
            break;
        }
        case LS_PHYS_I32:
        case LS_PHYS_F32: { /* float: its bit pattern (deterministic, NaN-safe) */
            const uint32_t *v = l->values;
            for (size_t k = 0; k < n; k++)
                acc += v[k];
            break;
        }
        case LS_PHYS_I64:
        case LS_PHYS_F64: {
            const uint64_t *v = l->values;
            for (size_t k = 0; k < n; k++)
                acc += v[k];
            break;
        }
        case LS_PHYS_I128: {
            const uint64_t *v = l->values;
            for (size_t k = 0; k < 2 * n; k++)
                acc += v[k];
            break;
        }
        case LS_PHYS_BYTES: { /* string lengths */
            const uint64_t *o = l->offsets;
            for (size_t k = 0; k < n; k++)
                acc += o[k + 1] - o[k];
            break;
        }
        case LS_PHYS_NONE:
            break;
        }
        if (l->def)
            for (size_t k = 0; k < l->n; k++)
                acc += l->def[k];
        s->leaf[i % MAX_LEAVES] += acc;
    }
}

static int read_once(const char *path, const ls_pq_read_opts *opts, double *secs, double *cpu,
                     sums *s, ls_error *err)
{
    ls_input *in = NULL;
    ls_pq_reader *r = NULL;
    ls_batch *b = NULL;
    memset(s, 0, sizeof *s);
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    int rc = ls_input_open_file(path, &in, err);
    if (rc == LS_OK)
        rc = ls_pq_reader_open(in, opts, &r, err);
    if (rc == LS_OK) {
        b = ls_batch_new(ls_pq_reader_out_schema(r));
        bool eof = false;
        while (rc == LS_OK) {
            rc = ls_pq_reader_next(r, b, &eof, err);
            if (rc != LS_OK || eof)
                break;
            checksum_batch(b, s);
        }
    }
    *secs = clock_s(CLOCK_MONOTONIC) - t0;
    *cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (rc == LS_OK && s->rows != ls_pq_reader_num_rows(r))
        rc = ls_err(err, LS_ERR_CORRUPT, "%s: read %" PRIu64 " rows, footer says %" PRIu64,
                    path, s->rows, ls_pq_reader_num_rows(r));
    if (b)
        ls_batch_free(b);
    ls_pq_reader_free(r);
    ls_input_free(in);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    ls_pq_read_opts opts;
    ls_pq_read_opts_default(&opts);
    int repeat = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--batch-rows") && i + 1 < argc)
            opts.batch_rows = (size_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            fprintf(stderr, "usage: bench_read FILE [--batch-rows N] [--repeat N]\n");
            return 2;
        }
    }
    if (!path || repeat < 1) {
        fprintf(stderr, "usage: bench_read FILE [--batch-rows N] [--repeat N]\n");
        return 2;
    }
    double best_wall = -1, best_cpu = -1;
    static sums s, first; /* large: not on the stack */
    for (int k = 0; k < repeat; k++) {
        ls_error err = {0};
        double secs, cpu;
        if (read_once(path, &opts, &secs, &cpu, &s, &err) != LS_OK) {
            fprintf(stderr, "bench_read: %s\n", err.msg);
            return 1;
        }
        if (k == 0)
            first = s;
        else if (checksum_of(&s) != checksum_of(&first) || s.values != first.values) {
            fprintf(stderr, "bench_read: run %d decoded different values than run 1\n", k + 1);
            return 1;
        }
        if (best_cpu < 0 || cpu < best_cpu) {
            best_cpu = cpu;
            best_wall = secs;
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int n_leaves = 0;
    {
        /* leaf count for the report (cheap: footer only) */
        ls_error err = {0};
        ls_input *in = NULL;
        ls_pq_reader *r = NULL;
        if (ls_input_open_file(path, &in, &err) == LS_OK &&
            ls_pq_reader_open(in, &opts, &r, &err) == LS_OK)
            n_leaves = ls_pq_reader_out_schema(r)->n_leaves;
        ls_pq_reader_free(r);
        ls_input_free(in);
    }
    printf("seconds %.4f cpu_seconds %.4f rows %" PRIu64 " leaves %d slots %" PRIu64 " values %" PRIu64
           " checksum 0x%016" PRIx64 " rss_kb %ld\n",
           best_wall, best_cpu, s.rows, n_leaves, s.slots, s.values, checksum_of(&s), ru.ru_maxrss);
    return 0;
}
