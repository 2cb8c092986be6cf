#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_port.h"

#define RX_DESC 1024
#define TX_DESC 1024

int dp_ports_start(struct dp_ports *p, unsigned mbufs, struct nws_err *err)
{
	uint16_t pid;

	memset(p, 0, sizeof(*p));
	if (rte_eth_dev_count_avail() == 0)
		return nws_err_set(err, "no port: give one after '--', for example --vdev net_pcap0,iface=eth0 or a PCI address");
	p->pool = rte_pktmbuf_pool_create("nwsim-mbufs", mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!p->pool)
		return nws_err_set(err, "mbuf pool of %u: %s", mbufs, rte_strerror(rte_errno));
	RTE_ETH_FOREACH_DEV(pid) {
		struct rte_eth_conf conf;
		struct rte_eth_dev_info info;
		int rc;

		if (p->n == DP_PORT_MAX)
			break;
		memset(&conf, 0, sizeof(conf));
		if (rte_eth_dev_info_get(pid, &info) != 0)
			return nws_err_set(err, "port %u: cannot read its device information", pid);
		rc = rte_eth_dev_configure(pid, 1, 1, &conf);
		if (rc == 0)
			rc = rte_eth_rx_queue_setup(pid, 0, RX_DESC, rte_eth_dev_socket_id(pid), NULL, p->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(pid, 0, TX_DESC, rte_eth_dev_socket_id(pid), NULL);
		if (rc == 0)
			rc = rte_eth_dev_start(pid);
		if (rc != 0)
			return nws_err_set(err, "port %u (%s): cannot start: %s", pid, info.driver_name, rte_strerror(-rc));
		/* nwsim sees every packet, whatever its MAC: it judges traffic, it is not an endpoint. */
		rte_eth_promiscuous_enable(pid);
		p->id[p->n] = pid;
		rte_eth_dev_get_name_by_port(pid, p->name[p->n]);
		snprintf(p->driver[p->n], sizeof(p->driver[0]), "%s", info.driver_name);
		p->n++;
	}
	return 0;
}

void dp_ports_stop(struct dp_ports *p)
{
	for (uint16_t i = 0; i < p->n; i++) {
		rte_eth_dev_stop(p->id[i]);
		rte_eth_dev_close(p->id[i]);
	}
	rte_mempool_free(p->pool);
	memset(p, 0, sizeof(*p));
}

int dp_port_stats(uint16_t port, struct dp_port_stats *s)
{
	struct rte_eth_stats st;

	if (rte_eth_stats_get(port, &st) != 0)
		return -1;
	*s = (struct dp_port_stats){ .ipackets = st.ipackets, .opackets = st.opackets, .imissed = st.imissed,
				     .ierrors = st.ierrors, .oerrors = st.oerrors };
	return 0;
}
