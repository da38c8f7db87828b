// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo info - the module, its parameters and counters, the kernel, the
 * vmstat pin counters: as text, or as one JSON document.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cmd_info.h"
#include "commands.h"
#include "json.h"

#define PARAM_DIR "/sys/module/" GUPDEMO_MODULE_NAME "/parameters"

static void print_version_code(uint32_t v)
{
	printf("%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

static void print_vmstat(const char *indent)
{
	struct gupdemo_vmstat vs;
	int ret = gupdemo_vmstat_read(&vs);

	if (ret) {
		printf("%spin counters    unavailable (%s)\n", indent,
		       strerror(-ret));
		return;
	}
	printf("%snr_foll_pin_acquired  %" PRIu64 "\n", indent, vs.acquired);
	printf("%snr_foll_pin_released  %" PRIu64 "\n", indent, vs.released);
	printf("%s(%s)\n", indent, vs.refreshed ?
	       "exact: read after /proc/sys/vm/stat_refresh" :
	       "approximate: stat_refresh needs root");
}

/* First line of a file of /sys/module/gupdemo into @buf; "" if none. */
static void read_sys_module(const char *name, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/module/%s/%s", GUPDEMO_MODULE_NAME,
		 name);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * Every parameter of the loaded module (sysfs), else GET_INFO's limit, in
 * their own section with the values in one column whatever the names.
 */
static void print_params(const struct gupdemo_info *info)
{
	struct dirent **ents = NULL;
	int n = scandir(PARAM_DIR, &ents, NULL, alphasort), shown = 0;
	int width = 16;

	for (int i = 0; i < n; i++)
		if (ents[i]->d_name[0] != '.' &&
		    (int)strlen(ents[i]->d_name) > width)
			width = (int)strlen(ents[i]->d_name);
	printf("module parameters\n");
	for (int i = 0; i < n; i++) {
		char name[300], val[64];

		if (ents[i]->d_name[0] != '.') {
			snprintf(name, sizeof(name), "parameters/%s",
				 ents[i]->d_name);
			read_sys_module(name, val, sizeof(val));
			printf("  %-*s %s\n", width, ents[i]->d_name, val);
			shown++;
		}
		free(ents[i]);
	}
	free(ents);
	if (!shown)
		printf("  %-*s %u\n", width, "max_pin_pages",
		       info->max_pin_pages);
}

void info_print(const struct gupdemo_info *info)
{
	struct utsname u;
	uint32_t running = 0;
	char param[64];

	uname(&u);
	gupdemo_kernel_version(&running);

	read_sys_module("version", param, sizeof(param));
	printf("gupdemo module\n");
	printf("  version          %s (this tool: " GUPDEMO_VERSION_STRING
	       ")\n", param[0] ? param : "unknown");
	printf("  uapi version     %u (library built for %d)\n",
	       info->uapi_version, GUPDEMO_UAPI_VERSION);
	printf("  built for        ");
	print_version_code(info->kernel_version);
	printf("\n  running kernel   %s (", u.release);
	print_version_code(running);
	printf(")%s\n", running == info->kernel_version ? "" :
	       "  <- differs from the module's");
	printf("  page size        %u\n", info->page_size);
	printf("  features        ");
	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name;

		if (!(info->features & (1ULL << bit)))
			continue;
		if (gupdemo_feature_name(bit, &name) == 0)
			printf(" %s", name);
		else
			printf(" bit%u", bit);
	}
	printf("%s\n", info->features ? "" : " (none)");
	printf("  DMA engines      %s%s%s\n",
	       info->features & GUPDEMO_FEAT_ENGINE_SOFT ? "soft " : "",
	       info->features & GUPDEMO_FEAT_ENGINE_EDU ? "edu (QEMU 1234:11e8)" : "",
	       info->features & (GUPDEMO_FEAT_ENGINE_SOFT |
				 GUPDEMO_FEAT_ENGINE_EDU) ? "" : "none");
	print_params(info);
	printf("module counters\n");
	printf("  pins held        %" PRIu64 " (%" PRIu64 " pages)\n",
	       (uint64_t)info->pins_held, (uint64_t)info->pages_held);
	printf("  pins total       %" PRIu64 "\n", (uint64_t)info->pins_total);
	printf("  failures total   %" PRIu64 "\n",
	       (uint64_t)info->failures_total);
	printf("vmstat pin counters\n");
	print_vmstat("  ");
}

static void json_u64(const char *key, uint64_t v, bool last)
{
	printf("    \"%s\": %" PRIu64 "%s\n", key, v, last ? "" : ",");
}

static void json_version_code(const char *key, uint32_t v)
{
	printf("  \"%s\": \"%u.%u.%u\",\n", key, v >> 16, (v >> 8) & 0xff,
	       v & 0xff);
}

/*
 * Every parameter of the loaded module, from /sys/module/gupdemo/parameters
 * (numbers as numbers); GET_INFO's when that directory cannot be read.
 */
static void print_params_json(const struct gupdemo_info *info)
{
	struct dirent **ents = NULL;
	int n = scandir(PARAM_DIR, &ents, NULL, alphasort), shown = 0;

	for (int i = 0; i < n; i++) {
		char name[300], val[64];

		if (ents[i]->d_name[0] != '.') {
			snprintf(name, sizeof(name), "parameters/%s",
				 ents[i]->d_name);
			read_sys_module(name, val, sizeof(val));
			printf("%s\n    ", shown++ ? "," : "");
			json_str(stdout, ents[i]->d_name);
			if (val[0] && strspn(val, "0123456789") == strlen(val) &&
			    strlen(val) < 20) {
				printf(": %s", val);
			} else {
				printf(": ");
				json_str(stdout, val);
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (!shown)
		printf("\n    \"max_pin_pages\": %u,\n    \"max_mirror_pages\": "
		       "%u,\n    \"max_mirror_pages_file\": %u", info->max_pin_pages,
		       info->max_mirror_pages, info->max_mirror_pages_file);
	printf("\n  ");
}

/* The feature bits by name ("bit<N>" for one this tool does not know). */
static void print_features_json(uint64_t features)
{
	bool first = true;
	char buf[16];

	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name;

		if (!(features & (1ULL << bit)))
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		if (gupdemo_feature_name(bit, &name) == 0) {
			json_str(stdout, name);
		} else {
			snprintf(buf, sizeof(buf), "bit%u", bit);
			json_str(stdout, buf);
		}
	}
}

/* `info --json`: the same facts as info_print(), one document. */
static void print_info_json(struct cli *cli, const struct gupdemo_info *info)
{
	struct gupdemo_vmstat vs;
	uint32_t running = 0;
	char buf[64];
	struct utsname u;
	int vret;

	uname(&u);
	gupdemo_kernel_version(&running);
	json_begin("gupdemo info");
	printf(",\n  \"device\": ");
	json_str(stdout, cli_dev_path(cli));
	read_sys_module("version", buf, sizeof(buf));
	printf(",\n  \"module_version\": ");
	json_str(stdout, buf);
	printf(",\n  \"uapi_version\": %u,\n  \"library_uapi_version\": %d,\n",
	       info->uapi_version, GUPDEMO_UAPI_VERSION);
	json_version_code("module_kernel_version", info->kernel_version);
	printf("  \"kernel\": ");
	json_str(stdout, u.release);
	printf(",\n");
	json_version_code("kernel_version", running);
	printf("  \"page_size\": %u,\n  \"features\": [", info->page_size);
	print_features_json(info->features);
	printf("],\n  \"parameters\": {");
	print_params_json(info);
	printf("},\n");
	printf("  \"counters\": {\n");
	json_u64("pins_held", info->pins_held, false);
	json_u64("pages_held", info->pages_held, false);
	json_u64("pins_total", info->pins_total, false);
	json_u64("failures_total", info->failures_total, false);
	json_u64("mirrors_held", info->mirrors_held, false);
	json_u64("mirror_pages_held", info->mirror_pages_held, true);
	printf("  },\n  \"vmstat\": ");
	vret = gupdemo_vmstat_read(&vs);
	if (vret) {
		printf("{\"error\": ");
		json_str(stdout, cli_errname(vret));
		printf("}\n}\n");
		return;
	}
	printf("{\"nr_foll_pin_acquired\": %" PRIu64 ", \"nr_foll_pin_released\": %"
	       PRIu64 ", \"exact\": %s}\n}\n", vs.acquired, vs.released,
	       vs.refreshed ? "true" : "false");
}

static const struct cli_opt info_options[] = {
	{ "json", 'j', NULL, cli_set_flag, NULL,
	  "one JSON document on stdout (format_version 1)" },
	{ "device", 'd', "PATH", cli_set_device, NULL,
	  "device node (default " GUPDEMO_DEV_PATH ")" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

static int cmd_info(struct cli *cli, int argc, char **argv)
{
	struct gupdemo_info info;
	bool json = false;
	int fd, ret, first;

	ret = cli_parse_opts(cli, &info_command, &json, argc, argv,
			     0, &first);
	if (ret >= 0)
		return ret;
	ret = cli_open_device(cli, &fd);
	if (ret)
		return ret;
	ret = cli_get_info(cli, fd, &info);
	if (ret == EXIT_OK && json) {
		print_info_json(cli, &info);
	} else if (ret == EXIT_OK) {
		printf("device             %s\n", cli_dev_path(cli));
		info_print(&info);
	}
	gupdemo_close(fd);
	return ret;
}


const struct command info_command = {
	"info", cmd_info,
	"module, uapi and kernel versions, features, module and vmstat counters",
	"info [--json] [--device PATH]", NULL, info_options, NULL,
};
