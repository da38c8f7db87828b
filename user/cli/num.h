/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gupdemo CLI - numeric option arguments (num.c).
 */
#ifndef GUPDEMO_NUM_H
#define GUPDEMO_NUM_H

#include <stdbool.h>
#include <stdint.h>

#include "command.h"

/*
 * num.c: the one parser of numeric option arguments (sizes and counts).
 * Digits, then (sizes only) one suffix K, M or G; no sign; no overflow;
 * within [min, max].  -EINVAL with the reason in cli->why when refused.
 */
struct cli_num {
	uint64_t min, max;
	bool suffix;		/* a size: K, M, G allowed */
	bool zero_none;		/* lists: a lone "0" is the empty list */
};

int cli_parse_num(struct cli *cli, const char *s, const struct cli_num *spec,
		  uint64_t *out);
/* A comma-separated list of at most @max values into @out[0..*n). */
int cli_parse_num_list(struct cli *cli, const char *s,
		       const struct cli_num *spec, uint64_t *out,
		       unsigned int max, unsigned int *n);

#endif /* GUPDEMO_NUM_H */
