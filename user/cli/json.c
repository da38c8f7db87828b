// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo CLI - JSON string output and the head every document starts
 * with.  The rest of the JSON is printf(): numbers are integers or finite
 * doubles, keys are fixed.
 */
#include <stdio.h>

#include "json.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
	     p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void json_begin(const char *tool)
{
	printf("{\n  \"format_version\": %d,\n  \"tool\": ",
	       CLI_JSON_FORMAT_VERSION);
	json_str(stdout, tool);
	printf(",\n  \"gupdemo_version\": ");
	json_str(stdout, GUPDEMO_VERSION_STRING);
}
