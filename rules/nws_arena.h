/* Bump allocator: a loaded topology and everything derived from it die together. */
#ifndef NWS_ARENA_H
#define NWS_ARENA_H

#include <stddef.h>

struct nws_arena_blk;

struct nws_arena {
	struct nws_arena_blk *head;
};

/* Zeroed memory; NULL only when out of memory. */
void *nws_arena_alloc(struct nws_arena *a, size_t size);
void *nws_arena_array(struct nws_arena *a, size_t n, size_t size);
char *nws_arena_strdup(struct nws_arena *a, const char *s);
char *nws_arena_printf(struct nws_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nws_arena_free(struct nws_arena *a);

#endif
