// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo bench - the machine a run describes: kernel, accelerator (TCG or
 * KVM), CPUs, memory, THP setting and start time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_env.h"

static int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The CPU's hypervisor flag (first "flags" line of /proc/cpuinfo). */
static bool cpu_hypervisor(void)
{
	char text[65536];
	char *flags, *nl;

	if (read_text("/proc/cpuinfo", text, sizeof(text)))
		return false;
	flags = strstr(text, "\nflags");
	if (!flags)
		return false;
	nl = strchr(flags + 1, '\n');
	if (nl)
		*nl = '\0';
	return strstr(flags, " hypervisor") != NULL;
}

/*
 * TCG or KVM: the harness says so in GUPDEMO_ACCEL; otherwise guess from
 * the CPU's hypervisor flag, kvm-clock and the DMI vendor.
 */
static void detect_accel(char *buf, size_t size)
{
	char clk[256] = "", vendor[64] = "";
	const char *env = getenv("GUPDEMO_ACCEL");

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return;
	}
	read_text("/sys/devices/system/clocksource/clocksource0/"
		  "available_clocksource", clk, sizeof(clk));
	read_text("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	vendor[strcspn(vendor, "\n")] = '\0';
	if (!cpu_hypervisor())
		snprintf(buf, size, "none");
	else if (strstr(clk, "kvm-clock"))
		snprintf(buf, size, "kvm");
	else if (strcmp(vendor, "QEMU") == 0)
		snprintf(buf, size, "tcg");
	else
		snprintf(buf, size, "hypervisor");
}

static void cpu_model(char *buf, size_t size)
{
	char text[65536], *p;

	snprintf(buf, size, "unknown");
	if (read_text("/proc/cpuinfo", text, sizeof(text)) ||
	    !(p = strstr(text, "model name")) || !(p = strchr(p, ':')))
		return;
	p += 2;
	p[strcspn(p, "\n")] = '\0';
	snprintf(buf, size, "%s", p);
}

/* The bracketed choice of transparent_hugepage/enabled, or "unknown". */
static void thp_setting(char *buf, size_t size)
{
	char text[256], *p, *q;

	snprintf(buf, size, "unknown");
	if (read_text("/sys/kernel/mm/transparent_hugepage/enabled", text,
		      sizeof(text)) || !(p = strchr(text, '[')) ||
	    !(q = strchr(p, ']')))
		return;
	*q = '\0';
	snprintf(buf, size, "%s", p + 1);
}

void env_collect(struct env_info *e)
{
	char text[65536], *p;
	struct utsname u;
	time_t now = time(NULL);

	uname(&u);
	snprintf(e->kernel, sizeof(e->kernel), "%s", u.release);
	detect_accel(e->accel, sizeof(e->accel));
	e->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_model(e->cpu_model, sizeof(e->cpu_model));
	if (read_text("/proc/meminfo", text, sizeof(text)) == 0 &&
	    (p = strstr(text, "MemTotal:")))
		e->mem_kib = strtoull(p + 9, NULL, 10);
	thp_setting(e->thp, sizeof(e->thp));
	strftime(e->start, sizeof(e->start), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}
