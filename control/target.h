/* The VM a query is about: --vm, --nic and the VM's own address, resolved as Azure does. */
#ifndef TARGET_H
#define TARGET_H

#include "topo.h"

/* Index of the VM, or -1 with err set ("--vm: no virtual machine ..."). */
int target_vm(const struct topo *t, const char *name, struct nws_err *err);
/*
 * The NIC and IP configuration of vm that own addr (written addr_text, given with option opt).
 * nic_name is --nic or NULL; Azure requires it when the VM has several NICs and one forwards.
 */
int target_resolve(const struct topo *t, int vm, const char *nic_name, const char *opt, const char *addr_text,
		   const struct nws_ip *addr, int *nic, int *ipcfg, struct nws_err *err);

#endif
