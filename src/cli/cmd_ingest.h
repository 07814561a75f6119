/*
 * cmd_ingest.h - `lakestream ingest TABLE --source SRC ...`: streaming ingest
 * of a landing folder (or stdin) into a Delta table in micro-batches,
 * exactly once (src/ingest). Returns the process exit code (0 ok, also after
 * SIGTERM/SIGINT finished the batch; 1 failure or abort; 2 usage error).
 */
#ifndef LS_CMD_INGEST_H
#define LS_CMD_INGEST_H

int cmd_ingest(int argc, char **argv);

#endif
