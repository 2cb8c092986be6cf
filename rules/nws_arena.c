#include "nws_arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLK_DEFAULT (64u * 1024u)

/*
 * Under AddressSanitizer the arena keeps what it has not handed out poisoned, and puts a
 * poisoned redzone after each allocation: a write past the end of an arena array is then
 * reported where it happens, as it would be for malloc, instead of landing silently in the next
 * allocation (the loader's subnet array overflowed so, unseen by the fuzzers, until it grew).
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define REDZONE 16u
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define REDZONE 0u
#endif

struct nws_arena_blk {
	struct nws_arena_blk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

void *nws_arena_alloc(struct nws_arena *a, size_t size)
{
	struct nws_arena_blk *b = a->head;

	if (size > SIZE_MAX - 32u)
		return NULL;
	size_t need = ((size + 15u) & ~(size_t)15u) + REDZONE;

	if (!b || b->size - b->used < need) {
		size_t bs = need > BLK_DEFAULT ? need : BLK_DEFAULT;

		b = malloc(sizeof(*b) + bs);
		if (!b)
			return NULL;
		b->used = 0;
		b->size = bs;
		b->next = a->head;
		a->head = b;
		ASAN_POISON_MEMORY_REGION(b->data, bs);
	}
	void *p = b->data + b->used;

	b->used += need;
	ASAN_UNPOISON_MEMORY_REGION(p, size);
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
		ASAN_UNPOISON_MEMORY_REGION(b->data, b->size);
		free(b);
	}
}
