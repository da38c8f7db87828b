// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libgupdemo - the bounded fault-in-and-retry pin (gupdemo_pin_retry()) and
 * the fault-in it retries with.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gupdemo.h"
#include "internal.h"

/*
 * Checks in /proc/self/maps that [start, end) is covered by mappings without
 * gaps, each readable (and writable when @write).
 */
static int range_accessible(uintptr_t start, uintptr_t end, bool write)
{
	char *text, *line;
	uintptr_t covered = start;
	int ret;

	ret = gd_read_text("/proc/self/maps", &text);
	if (ret)
		return ret;
	for (line = text; line && *line && covered < end; ) {
		char *nl = strchr(line, '\n');
		uintptr_t lo, hi;
		char perms[5];

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s", &lo, &hi,
			   perms) == 3 && lo <= covered && covered < hi) {
			if (perms[0] != 'r' || (write && perms[1] != 'w'))
				break;
			covered = hi;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return covered >= end ? 0 : -EFAULT;
}

int gupdemo_fault_in(void *addr, size_t len, bool write)
{
	uintptr_t start = (uintptr_t)addr, end, p;
	long psz = sysconf(_SC_PAGESIZE);
	int ret;

	if (len == 0)
		return 0;
	if (psz <= 0)
		return -EINVAL;
	if (start + len < start)
		return -EOVERFLOW;
	end = start + len;
	ret = range_accessible(start, end, write);
	if (ret)
		return ret;

	for (p = start; p < end; p = (p & ~(uintptr_t)(psz - 1)) + (uintptr_t)psz) {
		if (write)
			/* A locked add of 0: a write fault, data preserved. */
			__atomic_fetch_add((char *)p, 0, __ATOMIC_RELAXED);
		else
			(void)*(volatile const char *)p;
		if (p > UINTPTR_MAX - (uintptr_t)psz)
			break;
	}
	return 0;
}

int gupdemo_pin_retry(int fd, struct gupdemo_pin *pin, unsigned int max_rounds,
		      unsigned int *rounds)
{
	struct gupdemo_pin in;
	long psz = sysconf(_SC_PAGESIZE);
	unsigned int n = 0;
	uint64_t span;
	int ret;

	if (!pin || psz <= 0)
		return -EINVAL;
	ret = gupdemo_page_span(pin->addr, pin->len, (uint64_t)psz, &span);
	if (ret)
		return ret;
	if (max_rounds == 0)
		max_rounds = 1;
	in = *pin;

	/*
	 * Bounded on purpose: on a special PTE the fault-in below succeeds
	 * but the fast / no-fault pin never does (see gupdemo.h).
	 */
	while (n < max_rounds) {
		*pin = in;
		ret = gupdemo_pin(fd, pin);
		n++;
		if (ret == 0 && pin->npages >= span)
			goto out;
		if (ret == 0) {
			/* A short NO_RETRY pin: give it back, fault in, retry. */
			ret = gupdemo_unpin_handle(fd, pin->handle, 0);
			if (ret)
				goto out;
		} else if (ret != -EFAULT) {
			goto out;
		}
		if (n == max_rounds)
			break;
		ret = gupdemo_fault_in((void *)(uintptr_t)in.addr, in.len,
				       in.flags & GUPDEMO_PIN_WRITE);
		if (ret)
			goto out;
	}
	ret = -EFAULT;
out:
	if (rounds)
		*rounds = n;
	return ret;
}
