/* What every harness checks of an error: one line, non-empty, naming the place it starts with. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nws_err.h"

static inline void fuzz_check_error(const struct nws_err *err, const char *place)
{
	const char *m = err->msg;

	if (!m[0] || strchr(m, '\n') || strncmp(m, place, strlen(place))) {
		fprintf(stderr, "error message is not one line naming %s: '%s'\n", place, m);
		abort();
	}
}

#define FUZZ_ASSERT(c)                                                                              \
	do {                                                                                        \
		if (!(c)) {                                                                         \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);                      \
			abort();                                                                    \
		}                                                                                   \
	} while (0)

#endif
