/*
 * cmd_delta.h - entry points of the Delta table commands implemented in
 * cmd_delta.c (create, append, describe, history, checkpoint). Each takes the
 * arguments after the command name and returns the process exit code
 * (0 ok, 1 failure, 2 usage error).
 */
#ifndef LS_CMD_DELTA_H
#define LS_CMD_DELTA_H

int cmd_delta_create(int argc, char **argv);
int cmd_delta_append(int argc, char **argv);
int cmd_delta_describe(int argc, char **argv);
int cmd_delta_history(int argc, char **argv);
int cmd_delta_checkpoint(int argc, char **argv);

#endif
