// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gupdemo lab kit - reading and writing procfs and sysfs files (whole
 * texts, one number, a sysfs store in one write()).  libgupdemo keeps its
 * own private reader of /proc/vmstat and /proc/self/maps: the installed
 * library exports none of this.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gupdemo-lab.h"

int gupdemo_lab_read_text(const char *path, char **textp)
{
	size_t cap = 16384, len = 0;
	char *buf = NULL;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (!buf || len + 1 >= cap) {
			char *nb;

			if (buf)
				cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*textp = buf;
	return 0;
}

int gupdemo_lab_write_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	/* sysfs takes a store in one write(): a short count is not retried. */
	n = write(fd, text, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int gupdemo_lab_read_u64(const char *path, unsigned long long *v)
{
	char *text;
	int ret = gupdemo_lab_read_text(path, &text);

	if (ret)
		return ret;
	ret = sscanf(text, "%llu", v) == 1 ? 0 : -EINVAL;
	free(text);
	return ret;
}

int gupdemo_lab_write_u64(const char *path, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu\n", v);
	return gupdemo_lab_write_text(path, buf);
}

int gupdemo_lab_parse_value(const char *p, uint64_t *value)
{
	uint64_t v = 0;
	int digits = 0;

	if (*p != ' ' && *p != '\t')
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (!digits)
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\n' && *p != '\0')
		return -EINVAL;
	*value = v;
	return 0;
}
