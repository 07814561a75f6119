/*
 * cmd_cat.h - `lakestream cat TABLE ...`: a Delta table's rows as NDJSON, CSV
 * or one Parquet file on stdout (time travel, projection, filters,
 * incremental reads).
 */
#ifndef LS_CMD_CAT_H
#define LS_CMD_CAT_H

int cmd_cat(int argc, char **argv);

#endif
