#include "nws_arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLK_DEFAULT (64u * 1024u)

struct nws_arena_blk {
	struct nws_arena_blk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

void *nws_arena_alloc(struct nws_arena *a, size_t size)
{
	struct nws_arena_blk *b = a->head;

	size = (size + 15u) & ~(size_t)15u;
	if (!b || b->size - b->used < size) {
		size_t bs = size > BLK_DEFAULT ? size : BLK_DEFAULT;

		b = malloc(sizeof(*b) + bs);
		if (!b)
			return NULL;
		b->used = 0;
		b->size = bs;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;

	b->used += size;
	memset(p, 0, size);
	return p;
}

void *nws_arena_array(struct nws_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return nws_arena_alloc(a, n * size > 0 ? n * size : 1);
}

char *nws_arena_strdup(struct nws_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = nws_arena_alloc(a, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

char *nws_arena_printf(struct nws_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = nws_arena_alloc(a, (size_t)n + 1);

	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void nws_arena_free(struct nws_arena *a)
{
	struct nws_arena_blk *b;

	if (!a)
		return;
	while ((b = a->head)) {
		a->head = b->next;
		free(b);
	}
}
