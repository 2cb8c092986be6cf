#include "target.h"

#include <stdio.h>

int target_vm(const struct topo *t, const char *name, struct nws_err *err)
{
	int vm = topo_find_vm(t, name);

	if (vm < 0)
		return nws_err_set(err, "--vm: no virtual machine '%s' in %s", name, t->file);
	return vm;
}

int target_resolve(const struct topo *t, int vm, const char *nic_name, const char *opt, const char *addr_text,
		   const struct nws_ip *addr, int *nic_out, int *ipcfg_out, struct nws_err *err)
{
	const struct topo_vm *v = &t->vms[vm];
	int nic = -1, ipcfg = -1;

	if (nic_name) {
		nic = topo_find_nic(t, nic_name);
		if (nic < 0 || t->nics[nic].vm != vm)
			return nws_err_set(err, "--nic: virtual machine '%s' has no network interface '%s'", v->name, nic_name);
	} else if (v->nnics > 1) {
		/* Azure's rule: with several NICs and IP forwarding on any, the NIC must be named. */
		for (size_t i = v->first_nic; i < v->first_nic + v->nnics; i++)
			if (t->nics[i].ip_forwarding)
				return nws_err_set(err, "--nic is required: '%s' has several network interfaces and IP forwarding is enabled on '%s'",
						   v->name, t->nics[i].name);
	}
	for (size_t i = v->first_nic; i < v->first_nic + v->nnics && ipcfg < 0; i++) {
		if (nic >= 0 && (int)i != nic)
			continue;
		ipcfg = topo_find_ipcfg(t, (int)i, addr);
		*nic_out = (int)i;
	}
	if (ipcfg < 0) {
		/* Every address it has, so that a VM with several IP configurations says which to use. */
		char b[NWS_IP_STRLEN], has[256] = "";
		size_t off = 0, shown = 0;

		for (size_t i = v->first_nic; i < v->first_nic + v->nnics; i++) {
			if (nic >= 0 && (int)i != nic)
				continue;
			for (size_t k = 0; k < t->nics[i].nipcfgs && off < sizeof(has); k++, shown++)
				off += (size_t)snprintf(has + off, sizeof(has) - off, "%s%s", shown ? ", " : "",
							nws_ip_str(&t->nics[i].ipcfgs[k].ip, b));
		}
		return nws_err_set(err, "%s: %s is not an address of %s '%s' (it has %s)", opt, addr_text,
				   nic >= 0 ? "network interface" : "virtual machine", nic >= 0 ? t->nics[nic].name : v->name, has);
	}
	*ipcfg_out = ipcfg;
	return 0;
}
