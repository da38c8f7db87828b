// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - device access, ioctl wrappers, names, kernel version.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "gupdemo.h"

int gupdemo_open(const char *path, int *fdp)
{
	int fd;

	if (!fdp)
		return -EINVAL;
	fd = open(path ? path : GUPDEMO_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*fdp = fd;
	return 0;
}

int gupdemo_close(int fd)
{
	/* Linux always frees the descriptor, even when close() fails. */
	if (close(fd) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

int gupdemo_ioctl(int fd, unsigned long cmd, void *arg)
{
	if (ioctl(fd, cmd, arg) < 0)
		return -errno;
	return 0;
}

int gupdemo_get_info(int fd, struct gupdemo_info *info)
{
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return gupdemo_ioctl(fd, GUPDEMO_IOC_GET_INFO, info);
}

int gupdemo_pin(int fd, struct gupdemo_pin *pin)
{
	if (!pin)
		return -EINVAL;
	pin->size = sizeof(*pin);
	return gupdemo_ioctl(fd, GUPDEMO_IOC_PIN, pin);
}

int gupdemo_pin_range(int fd, const void *addr, size_t len, uint32_t api,
		      uint32_t flags, uint32_t *handle, uint64_t *npages)
{
	struct gupdemo_pin pin = {
		.flags = flags,
		.addr = (uintptr_t)addr,
		.len = len,
		.api = api,
	};
	int ret;

	if (!handle)
		return -EINVAL;
	ret = gupdemo_pin(fd, &pin);
	if (ret)
		return ret;
	*handle = pin.handle;
	if (npages)
		*npages = pin.npages;
	return 0;
}

int gupdemo_unpin(int fd, struct gupdemo_unpin *unpin)
{
	if (!unpin)
		return -EINVAL;
	unpin->size = sizeof(*unpin);
	return gupdemo_ioctl(fd, GUPDEMO_IOC_UNPIN, unpin);
}

int gupdemo_unpin_handle(int fd, uint32_t handle, uint32_t flags)
{
	struct gupdemo_unpin unpin = { .flags = flags, .handle = handle };

	return gupdemo_unpin(fd, &unpin);
}

int gupdemo_query(int fd, struct gupdemo_query *query)
{
	uint32_t handle;

	if (!query)
		return -EINVAL;
	handle = query->handle;
	memset(query, 0, sizeof(*query));
	query->size = sizeof(*query);
	query->handle = handle;
	return gupdemo_ioctl(fd, GUPDEMO_IOC_QUERY, query);
}

int gupdemo_dma(int fd, struct gupdemo_dma *dma)
{
	if (!dma)
		return -EINVAL;
	dma->size = sizeof(*dma);
	return gupdemo_ioctl(fd, GUPDEMO_IOC_DMA, dma);
}

int gupdemo_mirror(int fd, struct gupdemo_mirror *mirror)
{
	if (!mirror)
		return -EINVAL;
	mirror->size = sizeof(*mirror);
	return gupdemo_ioctl(fd, GUPDEMO_IOC_MIRROR, mirror);
}

int gupdemo_mirror_range(int fd, const void *addr, size_t len, uint32_t flags,
			 uint32_t *handle, uint64_t *npages)
{
	struct gupdemo_mirror m = {
		.flags = flags, .addr = (uintptr_t)addr, .len = len,
	};
	int ret;

	if (!handle)
		return -EINVAL;
	ret = gupdemo_mirror(fd, &m);
	if (ret)
		return ret;
	*handle = m.handle;
	if (npages)
		*npages = m.npages;
	return 0;
}

int gupdemo_unmirror(int fd, uint32_t handle)
{
	struct gupdemo_unmirror u = { .size = sizeof(u), .handle = handle };

	return gupdemo_ioctl(fd, GUPDEMO_IOC_UNMIRROR, &u);
}

int gupdemo_mirror_query(int fd, struct gupdemo_mirror_query *query)
{
	uint32_t handle;

	if (!query)
		return -EINVAL;
	handle = query->handle;
	memset(query, 0, sizeof(*query));
	query->size = sizeof(*query);
	query->handle = handle;
	return gupdemo_ioctl(fd, GUPDEMO_IOC_MIRROR_QUERY, query);
}

int gupdemo_bench(int fd, struct gupdemo_bench *bench)
{
	if (!bench)
		return -EINVAL;
	bench->size = sizeof(*bench);
	return gupdemo_ioctl(fd, GUPDEMO_IOC_BENCH, bench);
}

int gupdemo_page_span(uint64_t addr, uint64_t len, uint64_t page_size,
		      uint64_t *npages)
{
	uint64_t last;

	if (!npages || page_size == 0 || (page_size & (page_size - 1)))
		return -EINVAL;
	if (len == 0) {
		*npages = 0;
		return 0;
	}
	if (addr + (len - 1) < addr)
		return -EOVERFLOW;
	last = addr + (len - 1);
	*npages = last / page_size - addr / page_size + 1;
	return 0;
}

/* ---- names ---- */

static const char *const api_names[GUPDEMO_API_COUNT] = {
	[GUPDEMO_API_PIN_FAST] = "pin_fast",
	[GUPDEMO_API_PIN] = "pin",
	[GUPDEMO_API_PIN_UNLOCKED] = "pin_unlocked",
	[GUPDEMO_API_PIN_REMOTE] = "pin_remote",
	[GUPDEMO_API_PIN_FAST_ONLY] = "pin_fast_only",
	[GUPDEMO_API_GET_FAST] = "get_fast",
};

static const char *const feature_names[] = {
	"pin", "pin_fast_only", "longterm_unlocked", "fail_inject",
	"mmap_pfnmap", "dma", "engine_soft", "engine_edu", "bench", "mirror",
	"dma_iova", "dma_keep", "mirror_live",
};

int gupdemo_api_name(uint32_t api, const char **name)
{
	if (!name || api >= GUPDEMO_API_COUNT)
		return -EINVAL;
	*name = api_names[api];
	return 0;
}

int gupdemo_api_from_name(const char *name, uint32_t *api)
{
	uint32_t i;

	if (!name || !api)
		return -EINVAL;
	for (i = 0; i < GUPDEMO_API_COUNT; i++) {
		if (strcmp(name, api_names[i]) == 0) {
			*api = i;
			return 0;
		}
	}
	return -EINVAL;
}

int gupdemo_feature_name(unsigned int bit, const char **name)
{
	if (!name || bit >= sizeof(feature_names) / sizeof(feature_names[0]))
		return -EINVAL;
	*name = feature_names[bit];
	return 0;
}

/* ---- kernel version ---- */

/* Parses "A.B" or "A.B.C" at @s; returns the number of components (0..3). */
static int parse_xyz(const char *s, unsigned long v[3], const char **end)
{
	int n = 0;

	v[0] = v[1] = v[2] = 0;
	while (n < 3) {
		char *e;

		if (*s < '0' || *s > '9')
			break;
		errno = 0;
		v[n] = strtoul(s, &e, 10);
		if (errno)
			return 0;
		n++;
		s = e;
		if (n < 3 && *s == '.' && s[1] >= '0' && s[1] <= '9')
			s++;
		else
			break;
	}
	if (end)
		*end = s;
	return n;
}

int gupdemo_kernel_version_parse(const char *release, const char *version,
				 uint32_t *code)
{
	unsigned long r[3], d[3];
	const char *p;

	if (!release || !code)
		return -EINVAL;
	if (parse_xyz(release, r, NULL) < 2)
		return -EINVAL;
	if (r[0] > 255 || r[1] > 255)
		return -EINVAL;

	/* Debian: "... Debian 6.1.192-2 (...)": the real sublevel. */
	for (p = version; p && (p = strstr(p, "Debian ")); p++) {
		if (parse_xyz(p + strlen("Debian "), d, NULL) == 3 &&
		    d[0] == r[0] && d[1] == r[1]) {
			r[2] = d[2];
			break;
		}
	}
	*code = GUPDEMO_KERNEL_VERSION(r[0], r[1], r[2]);
	return 0;
}

int gupdemo_kernel_version(uint32_t *code)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	return gupdemo_kernel_version_parse(u.release, u.version, code);
}
