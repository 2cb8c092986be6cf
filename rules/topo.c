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

int topo_find_vm(const struct topo *t, const char *name)
{
	for (size_t i = 0; i < t->nvms; i++)
		if (!strcasecmp(t->vms[i].name, name))
			return (int)i;
	return -1;
}

int topo_find_nic(const struct topo *t, const char *name)
{
	for (size_t i = 0; i < t->nnics; i++)
		if (!strcasecmp(t->nics[i].name, name))
			return (int)i;
	return -1;
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
