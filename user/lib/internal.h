/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgupdemo - helpers shared between the library's files, not exported
 * (the version script keeps only gupdemo_* symbols).
 */
#ifndef GUPDEMO_INTERNAL_H
#define GUPDEMO_INTERNAL_H

#include <stdint.h>

/*
 * Reads a whole file (procfs files report size 0) into a NUL-terminated
 * buffer the caller frees.  Returns 0 or -errno.
 */
int gd_read_text(const char *path, char **textp);

/*
 * The value part of a "name value" line: @p points just after the name;
 * at least one blank, a decimal number, optional blanks, then the end of
 * the line or text.  Returns 0, -EINVAL (malformed) or -ERANGE (beyond
 * 64 bits).
 */
int gd_parse_value(const char *p, uint64_t *value);

#endif /* GUPDEMO_INTERNAL_H */
