// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo CLI - the one parser of every numeric option argument: sizes
 * (--sizes, --dma-sizes, --edu-sizes, --kmem-sizes) and counts (--batch,
 * --repeats).
 *
 * Grammar: one or more decimal digits, then for sizes an optional suffix K,
 * M or G (either case; powers of 1024).  Nothing else: no sign, no blank,
 * no hex, no "B", "i", "iB" or a second suffix.  The value must lie in the
 * option's range, checked without wrapping.  A refused argument leaves the
 * reason, naming the range and the suffixes, in cli->why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "num.h"

/* "64G", "4K", "1000": the shortest exact form of @v with a suffix. */
static void num_text(uint64_t v, bool suffix, char *buf, size_t size)
{
	static const char units[] = "KMG";
	int u = -1;

	while (suffix && v && u < 2 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%llu", (unsigned long long)v);
	else
		snprintf(buf, size, "%llu%c", (unsigned long long)v, units[u]);
}

/* What a valid argument looks like, for the messages. */
static void num_rule(const struct cli_num *spec, char *buf, size_t size)
{
	char lo[24], hi[24];

	num_text(spec->min, spec->suffix, lo, sizeof(lo));
	num_text(spec->max, spec->suffix, hi, sizeof(hi));
	if (spec->suffix)
		snprintf(buf, size, "a size is %s to %s bytes: digits and an "
			 "optional suffix K, M or G (x1024)", lo, hi);
	else
		snprintf(buf, size, "a count is %s to %s: digits only, no "
			 "suffix", lo, hi);
}

static int num_refuse(struct cli *cli, const struct cli_num *spec,
		      const char *what)
{
	char rule[128];

	num_rule(spec, rule, sizeof(rule));
	snprintf(cli->why, sizeof(cli->why), "%s; %s", what, rule);
	return -EINVAL;
}

/* Parses @len bytes at @s (one item, not NUL-terminated). */
/* What a size suffix multiplies by: K, M or G (either case); 0 for none. */
static uint64_t num_suffix(char c)
{
	switch (c) {
	case 'k': case 'K':
		return 1ULL << 10;
	case 'm': case 'M':
		return 1ULL << 20;
	case 'g': case 'G':
		return 1ULL << 30;
	default:
		return 0;
	}
}

static int num_parse_n(struct cli *cli, const char *s, size_t len,
		       const struct cli_num *spec, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	size_t i = 0;
	char what[96];

	if (len == 0)
		return num_refuse(cli, spec, "empty value");
	if (s[0] == '-' || s[0] == '+') {
		snprintf(what, sizeof(what), "'%.*s' has a sign", (int)len, s);
		return num_refuse(cli, spec, what);
	}
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10) {
			snprintf(what, sizeof(what), "'%.*s' is too large",
				 (int)len, s);
			return num_refuse(cli, spec, what);
		}
		v = v * 10 + d;
	}
	if (i == 0) {
		snprintf(what, sizeof(what), "'%.*s' does not start with a "
			 "digit", (int)len, s);
		return num_refuse(cli, spec, what);
	}
	if (i < len && spec->suffix && i + 1 == len && num_suffix(s[i]))
		mult = num_suffix(s[i++]);
	if (i < len) {
		snprintf(what, sizeof(what), "'%.*s': unknown suffix '%.*s'",
			 (int)len, s, (int)(len - i), s + i);
		return num_refuse(cli, spec, what);
	}
	if (v > UINT64_MAX / mult || v * mult > spec->max) {
		snprintf(what, sizeof(what), "'%.*s' is too large", (int)len,
			 s);
		return num_refuse(cli, spec, what);
	}
	v *= mult;
	if (v < spec->min) {
		snprintf(what, sizeof(what), "'%.*s' is too small%s", (int)len,
			 s, v == 0 && spec->zero_none ?
			 " (a lone 0 means none)" : "");
		return num_refuse(cli, spec, what);
	}
	*out = v;
	return 0;
}

int cli_parse_num(struct cli *cli, const char *s, const struct cli_num *spec,
		  uint64_t *out)
{
	cli->why[0] = '\0';
	return num_parse_n(cli, s, strlen(s), spec, out);
}

int cli_parse_num_list(struct cli *cli, const char *s,
		       const struct cli_num *spec, uint64_t *out,
		       unsigned int max, unsigned int *n)
{
	unsigned int count = 0;
	const char *p = s;

	cli->why[0] = '\0';
	if (spec->zero_none && strcmp(s, "0") == 0) {
		*n = 0;
		return 0;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		uint64_t v;
		int ret;

		if (count == max) {
			char what[32];

			snprintf(what, sizeof(what), "at most %u values", max);
			return num_refuse(cli, spec, what);
		}
		ret = num_parse_n(cli, p, len, spec, &v);
		if (ret)
			return ret;
		out[count++] = v;
		if (!p[len])
			break;
		p += len + 1;
	}
	*n = count;
	return 0;
}
