// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: gupdemo has one version, and every copy agrees with its one
 * place, MODULE_VERSION in module/main.c: dkms.conf's PACKAGE_VERSION, the
 * built gupdemo.pc's Version:, `gupdemo -V`, the library's soname (MAJOR)
 * and the last node of user/lib/libgupdemo.map (GUPDEMO_MAJOR.MINOR, or
 * GUPDEMO_MAJOR for MAJOR.0).  The rule for bumping it is written beside
 * that map; this test is what keeps the copies honest.
 */
#include <regex.h>
#include <stdio.h>

#ifndef GUPDEMO_CLI_PATH
#define GUPDEMO_CLI_PATH "build/user/gupdemo"
#endif
#ifndef GUPDEMO_TOP
#define GUPDEMO_TOP "."
#endif
#ifndef GUPDEMO_BUILD_USER
#define GUPDEMO_BUILD_USER "build/user"
#endif

#include "clirun.h"

/*
 * The first match of @re's group 1 in @path's lines (the last one when
 * @last) into @out; false when none.
 */
static bool grep_file(const char *path, const char *re, bool last, char *out,
		      size_t size)
{
	regex_t rx;
	regmatch_t m[2];
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (!f)
		return false;
	if (regcomp(&rx, re, REG_EXTENDED)) {
		fclose(f);
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		if (regexec(&rx, line, 2, m, 0) || m[1].rm_so < 0)
			continue;
		snprintf(out, size, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
			 line + m[1].rm_so);
		found = true;
		if (!last)
			break;
	}
	regfree(&rx);
	fclose(f);
	return found;
}

int main(void)
{
	static struct run r;
	char ver[64], got[64], want[80], path[512];
	unsigned int major, minor, patch;

	if (!grep_file(GUPDEMO_TOP "/module/main.c",
		       "^MODULE_VERSION\\(\"([^\"]*)\"\\);", false, ver,
		       sizeof(ver)))
		bail_out("no MODULE_VERSION(\"...\") in module/main.c");
	ok(sscanf(ver, "%u.%u.%u", &major, &minor, &patch) == 3,
	   "MODULE_VERSION '%s' is MAJOR.MINOR.PATCH", ver);
	is_str(ver, GUPDEMO_VERSION_STRING,
	       "the build's GUPDEMO_VERSION_STRING is MODULE_VERSION");

	grep_file(GUPDEMO_TOP "/dkms.conf", "^PACKAGE_VERSION=\"([^\"]*)\"",
		  false, got, sizeof(got));
	is_str(got, ver, "dkms.conf PACKAGE_VERSION is MODULE_VERSION");

	grep_file(GUPDEMO_BUILD_USER "/gupdemo.pc", "^Version: *([^ \n]*)",
		  false, got, sizeof(got));
	is_str(got, ver, "gupdemo.pc Version: is MODULE_VERSION");

	RUN(&r, "-V");
	snprintf(want, sizeof(want), "gupdemo %s ", ver);
	ok(r.status == 0 && strncmp(r.out, want, strlen(want)) == 0,
	   "gupdemo -V starts with '%s' (got '%.40s')", want, r.out);

	snprintf(path, sizeof(path), GUPDEMO_BUILD_USER "/libgupdemo.so.%u",
		 major);
	ok(access(path, R_OK) == 0, "the library's soname is libgupdemo.so.%u "
	   "(MAJOR)", major);

	grep_file(GUPDEMO_TOP "/user/lib/libgupdemo.map",
		  "^(GUPDEMO_[0-9.]+) *\\{", true, got, sizeof(got));
	if (minor)
		snprintf(want, sizeof(want), "GUPDEMO_%u.%u", major, minor);
	else
		snprintf(want, sizeof(want), "GUPDEMO_%u", major);
	is_str(got, want, "the last node of libgupdemo.map matches MAJOR.MINOR");
	ok(grep_file(GUPDEMO_TOP "/user/lib/libgupdemo.map", "(bump)", false, got,
		     sizeof(got)), "libgupdemo.map says how to bump the version");
	return done_testing();
}
