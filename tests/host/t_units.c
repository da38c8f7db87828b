// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: the human units of `gupdemo bench`'s table (user/cli/
 * bench_stat.c, compiled in here): sizes in B/KiB/MiB/GiB, times in
 * ns/µs/ms/s and rates in KiB/s..GiB/s with three significant digits, and
 * columns padded by what a terminal shows, not by bytes ("µ" is two).
 * The JSON and CSV keep the raw numbers: t_cli_guest parses them.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "../../user/cli/bench_stat.c"

static void check_size(uint64_t v, const char *exp)
{
	char buf[32];

	size_text(v, buf, sizeof(buf));
	is_str(buf, exp, "size %llu -> '%s'", (unsigned long long)v, exp);
}

static void check_time(double ns, const char *exp)
{
	char buf[32];

	time_text(ns, buf, sizeof(buf));
	is_str(buf, exp, "time %.1f ns -> '%s'", ns, exp);
}

static void check_rate(double bps, const char *exp)
{
	char buf[32];

	rate_text(bps, buf, sizeof(buf));
	is_str(buf, exp, "rate %.1f B/s -> '%s'", bps, exp);
}

/* What put_col() printed, through a pipe on stdout. */
static void check_col(const char *s, int width, const char *exp)
{
	char got[64] = "";
	int p[2], saved = dup(1);
	ssize_t n;

	if (saved < 0 || pipe(p))
		bail_out("pipe: %s", strerror(errno));
	fflush(stdout);
	dup2(p[1], 1);
	put_col(s, width);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(p[1]);
	n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	got[n > 0 ? n : 0] = '\0';
	is_str(got, exp, "put_col('%s', %d)", s, width);
}

int main(void)
{
	diag("sizes: whole units exact, others to a tenth");
	check_size(0, "0 B");
	check_size(1023, "1023 B");
	check_size(1024, "1 KiB");
	check_size(4224, "4.1 KiB");
	check_size(4194304, "4 MiB");
	check_size(16 * MIB + 512 * KIB, "16.5 MiB");
	check_size(GIB, "1 GiB");
	check_size(64 * GIB, "64 GiB");

	diag("times: three significant digits, the unit that keeps them");
	check_time(0, "0.00 ns");
	check_time(950, "950 ns");
	check_time(999.4, "999 ns");
	check_time(999.6, "1.00 µs");
	check_time(4328.7, "4.33 µs");
	check_time(509134, "509 µs");
	check_time(4328750, "4.33 ms");
	check_time(202353503, "202 ms");
	check_time(1.2e9, "1.20 s");
	check_time(3.6e12, "3600 s");
	check_time(-725707, "-726 µs");

	diag("rates: bytes per second in binary units");
	check_rate(5.0 * 1024, "5.00 KiB/s");
	check_rate(4.93 * 1024, "4.93 KiB/s");
	check_rate(0.153e9, "146 MiB/s");
	check_rate(2.362e9, "2.20 GiB/s");
	check_rate(100, "100 B/s");

	diag("columns: padded by terminal columns, never cut");
	is_int(text_cols("509 µs"), 6, "'509 µs' is 6 columns (7 bytes)");
	check_col("509 µs", 8, "  509 µs");
	check_col("509 µs", -8, "509 µs  ");
	check_col("1.00 ms", 4, "1.00 ms");
	check_col("x", 0, "x");
	return done_testing();
}
