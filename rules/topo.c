#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <strings.h>

#include "topo.h"

void topo_free(struct topo *t)
{
	if (!t)
		return;
	nws_arena_free(&t->arena);
	free(t);
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint32_t)tolower((unsigned char)*s)) * 16777619u;
	return h;
}

/* Names are reached through a stride so VMs and NICs share the code. */
static int index_build(struct topo *t, struct topo_index *ix, const void *base, size_t n, size_t stride)
{
	size_t cap = 16;

	while (cap < n * 2)
		cap *= 2;
	ix->slot = nws_arena_array(&t->arena, cap, sizeof(*ix->slot));
	if (!ix->slot)
		return -1;
	ix->mask = cap - 1;
	for (size_t i = 0; i <= ix->mask; i++)
		ix->slot[i] = -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = *(const char *const *)((const char *)base + i * stride);
		size_t h = name_hash(name) & ix->mask;

		while (ix->slot[h] >= 0)
			h = (h + 1) & ix->mask;
		ix->slot[h] = (int32_t)i;
	}
	return 0;
}

static int index_find(const struct topo_index *ix, const void *base, size_t stride, const char *name)
{
	if (!ix->slot)
		return -1;
	for (size_t h = name_hash(name) & ix->mask; ix->slot[h] >= 0; h = (h + 1) & ix->mask) {
		const char *cand = *(const char *const *)((const char *)base + (size_t)ix->slot[h] * stride);

		if (!strcasecmp(cand, name))
			return ix->slot[h];
	}
	return -1;
}

_Static_assert(offsetof(struct topo_vm, name) == 0, "index_build reads the name first");
_Static_assert(offsetof(struct topo_nic, name) == 0, "index_build reads the name first");

int topo_index_build(struct topo *t)
{
	if (index_build(t, &t->vm_index, t->vms, t->nvms, sizeof(*t->vms)) < 0 ||
	    index_build(t, &t->nic_index, t->nics, t->nnics, sizeof(*t->nics)) < 0)
		return -1;
	return 0;
}

int topo_find_vm(const struct topo *t, const char *name)
{
	return index_find(&t->vm_index, t->vms, sizeof(*t->vms), name);
}

int topo_find_nic(const struct topo *t, const char *name)
{
	return index_find(&t->nic_index, t->nics, sizeof(*t->nics), name);
}

int topo_find_ipcfg(const struct topo *t, int nic, const struct nws_ip *ip)
{
	const struct topo_nic *n = &t->nics[nic];

	for (size_t i = 0; i < n->nipcfgs; i++)
		if (nws_ip_eq(&n->ipcfgs[i].ip, ip))
			return (int)i;
	return -1;
}

int topo_nic_vnet(const struct topo *t, int nic)
{
	return t->subnets[t->nics[nic].ipcfgs[0].subnet].vnet;
}

const char *topo_tag_name(const struct topo *t, int tag)
{
	if (tag < AZ_TAG_BUILTIN_COUNT)
		return az_tag_name[tag];
	return t->tags[tag - AZ_TAG_BUILTIN_COUNT].name;
}

bool topo_plist_contains(const struct topo_plist *l, const struct nws_ip *ip)
{
	for (size_t i = 0; i < l->n; i++)
		if (nws_prefix_contains(&l->p[i], ip))
			return true;
	return false;
}
