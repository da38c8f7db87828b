/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo CLI - JSON output (json.c): strings, and the head every document
 * starts with.
 */
#ifndef GUPDEMO_JSON_H
#define GUPDEMO_JSON_H

#include <stdio.h>

/* Writes @s as a JSON string, quotes included. */
void json_str(FILE *f, const char *s);

/*
 * Version of the layout of every JSON document the CLI prints (run, bench,
 * info, list): bumped when a key is removed or changes meaning; adding keys
 * keeps it.  Documented in --help and gupdemo(1).
 */
#define CLI_JSON_FORMAT_VERSION	1

/* GUPDEMO_VERSION_STRING: the package version, from user/user.mk. */
#ifndef GUPDEMO_VERSION_STRING
/* Only cppcheck (make lint-cppcheck) reads the code without it. */
#define GUPDEMO_VERSION_STRING "0.0.0-unknown"
#endif

/*
 * Opens a document on stdout: "{", format_version, tool, gupdemo_version;
 * the caller goes on with ",\n  \"key\": ..." and closes it.
 */
void json_begin(const char *tool);

#endif /* GUPDEMO_JSON_H */
