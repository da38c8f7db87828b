/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - a tiny TAP producer for gupdemo's C tests (header only).
 *
 *	int main(void)
 *	{
 *		tap_plan(2);                    // or no plan and done_testing()
 *		ok(x == 1, "x is one");
 *		is_errno(ret, ENOENT, "unknown handle -> ENOENT");
 *		return done_testing();
 *	}
 *
 * Every check prints one "ok N - description" / "not ok N - description"
 * line; a failure adds "#" lines with file:line and got/expected values.
 * done_testing() prints the plan if none was given and returns the exit
 * status: 0 when every test passed and the count matched the plan, else
 * non-zero.  Output is flushed after every line (a guest can crash at any
 * moment) and goes to stdout.  Checks are not thread-safe: call them from
 * the main thread only.  In a forked child, call nothing from here and
 * leave with _exit().
 */
#ifndef GUPDEMO_TAP_H
#define GUPDEMO_TAP_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_state {
	int planned;		/* -1: no plan yet */
	int count;		/* tests run so far */
	int failed;		/* tests that failed */
	bool plan_printed;
};

static struct tap_state tap_state_ = { .planned = -1 };

static inline void tap_plan(int n)
{
	tap_state_.planned = n;
	tap_state_.plan_printed = true;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* A "# ..." line, for notes and section headers. */
__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Stops the whole run: "Bail out!" and exit status 255. */
__attribute__((format(printf, 1, 2), noreturn))
static inline void bail_out(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	exit(255);
}

static inline bool tap_result_v(bool pass, const char *file, int line,
				const char *fmt, va_list ap)
{
	char desc[512];

	vsnprintf(desc, sizeof(desc), fmt, ap);
	/* '#' would start a TAP directive in the description. */
	for (char *p = desc; *p; p++)
		if (*p == '#' || *p == '\n')
			*p = ' ';
	tap_state_.count++;
	printf("%sok %d - %s\n", pass ? "" : "not ", tap_state_.count, desc);
	if (!pass) {
		tap_state_.failed++;
		printf("#   Failed test '%s'\n#   at %s line %d.\n", desc, file,
		       line);
	}
	fflush(stdout);
	return pass;
}

__attribute__((format(printf, 4, 5)))
static inline bool tap_ok_(bool pass, const char *file, int line,
			   const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result_v(pass, file, line, fmt, ap);
	va_end(ap);
	return r;
}

__attribute__((format(printf, 5, 6)))
static inline bool tap_is_i64_(int64_t got, int64_t exp, const char *file,
			       int line, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result_v(got == exp, file, line, fmt, ap);
	va_end(ap);
	if (!r) {
		printf("#          got: %" PRId64 "\n#     expected: %" PRId64 "\n",
		       got, exp);
		fflush(stdout);
	}
	return r;
}

__attribute__((format(printf, 5, 6)))
static inline bool tap_is_u64_(uint64_t got, uint64_t exp, const char *file,
			       int line, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result_v(got == exp, file, line, fmt, ap);
	va_end(ap);
	if (!r) {
		printf("#          got: %" PRIu64 " (0x%" PRIx64 ")\n"
		       "#     expected: %" PRIu64 " (0x%" PRIx64 ")\n",
		       got, got, exp, exp);
		fflush(stdout);
	}
	return r;
}

__attribute__((format(printf, 5, 6)))
static inline bool tap_is_str_(const char *got, const char *exp,
			       const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result_v(got && exp && strcmp(got, exp) == 0, file, line, fmt,
			 ap);
	va_end(ap);
	if (!r) {
		printf("#          got: '%s'\n#     expected: '%s'\n",
		       got ? got : "(null)", exp ? exp : "(null)");
		fflush(stdout);
	}
	return r;
}

/* "0 (success)" or "-ENOENT (No such file or directory)". */
static inline const char *tap_errstr_(int ret, char *buf, size_t len)
{
	if (ret == 0) {
		snprintf(buf, len, "0 (success)");
	} else if (ret < 0) {
		const char *name = strerrorname_np(-ret);

		snprintf(buf, len, "-%s (%s)", name ? name : "E?",
			 strerror(-ret));
	} else {
		snprintf(buf, len, "%d (positive, not an errno)", ret);
	}
	return buf;
}

/*
 * @ret is a "0 or -errno" value; @exp_errno a positive errno, or 0 when
 * success is expected.
 */
__attribute__((format(printf, 5, 6)))
static inline bool tap_is_errno_(int ret, int exp_errno, const char *file,
				 int line, const char *fmt, ...)
{
	char a[96], b[96];
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result_v(ret == -exp_errno, file, line, fmt, ap);
	va_end(ap);
	if (!r) {
		printf("#          got: %s\n#     expected: %s\n",
		       tap_errstr_(ret, a, sizeof(a)),
		       tap_errstr_(-exp_errno, b, sizeof(b)));
		fflush(stdout);
	}
	return r;
}

#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define pass(...) tap_ok_(true, __FILE__, __LINE__, __VA_ARGS__)
#define fail(...) tap_ok_(false, __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, exp, ...) \
	tap_is_i64_((int64_t)(got), (int64_t)(exp), __FILE__, __LINE__, __VA_ARGS__)
#define is_u64(got, exp, ...) \
	tap_is_u64_((uint64_t)(got), (uint64_t)(exp), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, exp, ...) \
	tap_is_str_((got), (exp), __FILE__, __LINE__, __VA_ARGS__)
#define is_errno(ret, exp_errno, ...) \
	tap_is_errno_((ret), (exp_errno), __FILE__, __LINE__, __VA_ARGS__)
/* For calls that return -1 and set errno (plain syscalls). */
#define is_syscall_errno(ret, exp_errno, ...) \
	tap_is_errno_((ret) < 0 ? -errno : (int)(ret), (exp_errno), __FILE__, \
		      __LINE__, __VA_ARGS__)

/* Reports @n tests as skipped with @reason (no '#' inside). */
__attribute__((format(printf, 2, 3)))
static inline void skip(int n, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n; i++) {
		tap_state_.count++;
		printf("ok %d # SKIP %s\n", tap_state_.count, reason);
	}
	fflush(stdout);
}

/* Prints the plan if none was given; returns the process exit status. */
static inline int done_testing(void)
{
	if (!tap_state_.plan_printed) {
		printf("1..%d\n", tap_state_.count);
		tap_state_.planned = tap_state_.count;
		tap_state_.plan_printed = true;
	}
	if (tap_state_.failed)
		printf("# Looks like you failed %d test%s of %d.\n",
		       tap_state_.failed, tap_state_.failed == 1 ? "" : "s",
		       tap_state_.count);
	if (tap_state_.planned != tap_state_.count)
		printf("# Looks like you planned %d tests but ran %d.\n",
		       tap_state_.planned, tap_state_.count);
	fflush(stdout);
	if (tap_state_.planned != tap_state_.count)
		return 255;
	return tap_state_.failed > 254 ? 254 : tap_state_.failed;
}

/* Number of failures so far (for "stop here if setup failed" decisions). */
static inline int tap_failures(void)
{
	return tap_state_.failed;
}

#endif /* GUPDEMO_TAP_H */
