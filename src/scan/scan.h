/*
 * scan.h - the interface of src/scan: reading Delta tables into ls_batch.
 *
 * A scan takes a snapshot (any version: time travel), optionally only the
 * files added after a version (incremental reads), prunes files by partition
 * values and statistics, and row groups by their Parquet column statistics, for
 * a --where predicate, reads the Parquet data files
 * with projection, applies deletion vectors, materializes partition columns,
 * maps column-mapping physical names to logical ones, reads columns missing
 * from older files as null, widens types (typeWidening), and filters rows.
 */
#ifndef LS_SCAN_H
#define LS_SCAN_H

#include "../delta/delta.h"

typedef struct ls_scan_opts {
    const char *const *columns; /* top-level or dotted paths; NULL = all */
    int n_columns;
    /* Predicate: conjunction of comparisons "col OP literal" with OP in = != < <= > >=,
     * "col IS NULL", "col IS NOT NULL", "col IN (a, b)", joined by AND; literals are
     * numbers, 'strings', true/false, DATE 'x' / TIMESTAMP 'x' or plain strings compared
     * by the column's type. NULL = no filter. */
    const char *where;
    int64_t since_version; /* >= 0: only rows of files added after this version; -1: the
                            * whole snapshot (note: a zeroed struct means "since 0") */
    size_t batch_rows;     /* default LS_SCAN_DEFAULT_BATCH_ROWS */
} ls_scan_opts;

/* Small batches: their buffers stay in cache and cost little to touch the first time. */
#define LS_SCAN_DEFAULT_BATCH_ROWS 8192

typedef struct ls_scan ls_scan;

int ls_scan_open(ls_delta_table *t, const ls_delta_snapshot *snap, const ls_scan_opts *o,
                 ls_scan **out, ls_error *err);
/* Schema of the batches produced (borrowed). */
const ls_schema *ls_scan_schema(const ls_scan *s);
/* Resets batch (bound to ls_scan_schema) and fills it; *eof when done. */
int ls_scan_next(ls_scan *s, ls_batch *batch, bool *eof, ls_error *err);
/* Files considered / skipped by pruning, for tests and EXPLAIN-like output. */
void ls_scan_counts(const ls_scan *s, size_t *files_total, size_t *files_skipped);
/* Row groups of the data files opened so far / skipped because their column chunk
 * statistics rule the predicate out (so far: complete after the last batch). */
void ls_scan_rg_counts(const ls_scan *s, size_t *rg_total, size_t *rg_skipped);
void ls_scan_free(ls_scan *s);

#endif
