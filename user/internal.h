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

/*
 * One number in a procfs or sysfs file (e.g. /proc/sys/vm/nr_hugepages):
 * read it, or write it followed by a newline.  Return 0 or -errno.
 */
int gd_read_u64(const char *path, unsigned long long *v);
int gd_write_u64(const char *path, unsigned long long v);

#endif /* GUPDEMO_INTERNAL_H */
