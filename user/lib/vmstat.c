// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - the FOLL_PIN counters of /proc/vmstat.
 *
 * nr_foll_pin_acquired / nr_foll_pin_released are node counters with per-cpu
 * deltas that are folded in lazily: a read right after a pin can be off by a
 * few pages.  Writing to /proc/sys/vm/stat_refresh folds them first, which
 * makes the totals exact.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gupdemo.h"
#include "internal.h"

#define VMSTAT_ACQUIRED	"nr_foll_pin_acquired"
#define VMSTAT_RELEASED	"nr_foll_pin_released"

int gd_parse_value(const char *p, uint64_t *value)
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

int gupdemo_vmstat_parse_field(const char *text, const char *name,
			       uint64_t *value)
{
	size_t nlen;
	const char *line;
	uint64_t v = 0;
	bool found = false;

	if (!text || !name || !value)
		return -EINVAL;
	nlen = strlen(name);
	if (nlen == 0)
		return -EINVAL;

	for (line = text; *line; ) {
		const char *nl = strchr(line, '\n');

		/* line[nlen] is readable once the first nlen bytes matched. */
		if (strncmp(line, name, nlen) == 0 &&
		    (line[nlen] == ' ' || line[nlen] == '\t' ||
		     line[nlen] == '\n' || line[nlen] == '\0')) {
			int ret;

			if (found)
				return -EINVAL; /* a name appears twice */
			ret = gd_parse_value(line + nlen, &v);
			if (ret)
				return ret;
			found = true;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!found)
		return -ENOENT;
	*value = v;
	return 0;
}

int gupdemo_vmstat_parse(const char *text, struct gupdemo_vmstat *vs)
{
	uint64_t acq, rel;
	int ret;

	if (!vs)
		return -EINVAL;
	ret = gupdemo_vmstat_parse_field(text, VMSTAT_ACQUIRED, &acq);
	if (ret)
		return ret;
	ret = gupdemo_vmstat_parse_field(text, VMSTAT_RELEASED, &rel);
	if (ret)
		return ret;
	vs->acquired = acq;
	vs->released = rel;
	vs->refreshed = false;
	return 0;
}

static int stat_refresh(const char *path)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int gd_read_text(const char *path, char **textp)
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

int gupdemo_vmstat_read_paths(const char *refresh_path, const char *vmstat_path,
			      struct gupdemo_vmstat *vs)
{
	bool refreshed = false;
	char *text;
	int ret;

	if (!vmstat_path || !vs)
		return -EINVAL;
	if (refresh_path)
		refreshed = stat_refresh(refresh_path) == 0;
	ret = gd_read_text(vmstat_path, &text);
	if (ret)
		return ret;
	ret = gupdemo_vmstat_parse(text, vs);
	free(text);
	if (ret)
		return ret;
	vs->refreshed = refreshed;
	return 0;
}

int gupdemo_vmstat_read(struct gupdemo_vmstat *vs)
{
	return gupdemo_vmstat_read_paths(GUPDEMO_STAT_REFRESH_PATH,
					 GUPDEMO_VMSTAT_PATH, vs);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int gupdemo_vmstat_settle_paths(const char *refresh_path,
				const char *vmstat_path,
				const struct gupdemo_vmstat *before,
				struct gupdemo_vmstat *after,
				unsigned int timeout_ms)
{
	const struct timespec tick = { .tv_nsec = 1000 * 1000 };
	uint64_t start = ms_now();
	int ret;

	if (!before || !after)
		return -EINVAL;
	for (;;) {
		ret = gupdemo_vmstat_read_paths(refresh_path, vmstat_path,
						after);
		if (ret)
			return ret;
		if (after->released - before->released >=
		    after->acquired - before->acquired)
			return 0;
		if (ms_now() - start >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

int gupdemo_vmstat_settle(const struct gupdemo_vmstat *before,
			  struct gupdemo_vmstat *after, unsigned int timeout_ms)
{
	return gupdemo_vmstat_settle_paths(GUPDEMO_STAT_REFRESH_PATH,
					   GUPDEMO_VMSTAT_PATH, before, after,
					   timeout_ms);
}
