// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the module's KUnit tests (module/pinned_test.c), on a kernel
 * with KUnit (the debug kernel).  They ran when init loaded the module;
 * this reads their verdicts from /sys/kernel/debug/kunit/gupdemo_pinned/
 * results and repeats each case as a TAP line.  On a kernel without KUnit
 * the test is skipped with that reason.
 */
#include <ctype.h>
#include <stdio.h>

#include "guest.h"

#define KUNIT_DIR	"/sys/kernel/debug/kunit"
#define RESULTS		KUNIT_DIR "/gupdemo_pinned/results"
#define NCASES		8

int main(void)
{
	static char buf[65536];
	unsigned int cases = 0;
	char *line;

	if (access(KUNIT_DIR, F_OK)) {
		skip(1, "the kernel has no KUnit (no " KUNIT_DIR ")");
		return done_testing();
	}
	if (!ok(g_read_file(RESULTS, buf, sizeof(buf)) == 0,
		"the module's KUnit suite ran (" RESULTS ")"))
		return done_testing();
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		const char *p = line, *name;
		bool pass = true;

		while (isspace((unsigned char)*p))
			p++;
		if (!strncmp(p, "not ok ", 7)) {
			pass = false;
			p += 7;
		} else if (!strncmp(p, "ok ", 3)) {
			p += 3;
		} else {
			continue;
		}
		name = strchr(p, ' ');
		if (!name || strncmp(name + 1, "gupdemo_test_", 13))
			continue;
		cases++;
		if (pass && strstr(name, "# SKIP"))
			skip(1, "KUnit: %s", name + 1);
		else
			ok(pass, "KUnit: %s", name + 1);
	}
	is_int(cases, NCASES, "KUnit: %d cases reported", NCASES);
	return done_testing();
}
