/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgupdemo - helpers shared between the library's files, not exported
 * (the version script keeps only gupdemo_* symbols).
 */
#ifndef GUPDEMO_INTERNAL_H
#define GUPDEMO_INTERNAL_H

/*
 * Reads a whole file (procfs files report size 0) into a NUL-terminated
 * buffer the caller frees.  Returns 0 or -errno.
 */
int gd_read_text(const char *path, char **textp);

#endif /* GUPDEMO_INTERNAL_H */
