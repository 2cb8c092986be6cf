#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_engine.h"
#include "dp_port.h"

#define RX_DESC 1024
#define TX_DESC 1024

static bool is_af_packet(const struct rte_eth_dev_info *info)
{
	return !strcmp(info->driver_name, "net_af_packet");
}

/*
 * Receive queues a port would spread flows over symmetrically with `want` workers, or 0. The
 * kernel's packet fanout hashes flows symmetrically, but its queue count is the qpairs given.
 */
static unsigned symmetric_queues(const struct rte_eth_dev_info *info, unsigned want)
{
	if (is_af_packet(info))
		return info->max_rx_queues > 1 ? info->max_rx_queues : 0;
	if ((info->flow_type_rss_offloads & RTE_ETH_RSS_IP) && info->max_rx_queues >= want && want > 1 &&
	    info->hash_key_size > 0)
		return want;
	return 0;
}

int dp_ports_start(struct dp_ports *p, unsigned mbufs, unsigned workers, struct nws_err *err)
{
	uint16_t pid;
	struct rte_eth_dev_info info[DP_PORT_MAX];
	unsigned nq = 0;

	memset(p, 0, sizeof(*p));
	if (rte_eth_dev_count_avail() == 0)
		return nws_err_set(err, "no port: give one after '--', for example --vdev net_pcap0,iface=eth0 or a PCI address");
	RTE_ETH_FOREACH_DEV(pid) {
		if (p->n == DP_PORT_MAX)
			break;
		if (rte_eth_dev_info_get(pid, &info[p->n]) != 0)
			return nws_err_set(err, "port %u: cannot read its device information", pid);
		p->id[p->n++] = pid;
	}
	/* Workers poll queues only when every port spreads flows alike (same hash, same count). */
	p->per_worker = workers > 0;
	for (uint16_t i = 0; i < p->n; i++) {
		unsigned q = symmetric_queues(&info[i], workers);

		if (!q || (nq && q != nq) || info[i].max_tx_queues < (workers < q ? workers : q))
			p->per_worker = false;
		nq = q;
	}
	p->ntxq = p->per_worker ? (uint16_t)(workers < nq ? workers : nq) : 1;
	p->pool = rte_pktmbuf_pool_create("nwsim-mbufs", mbufs + (p->per_worker ? 2048u * nq * p->n : 0), 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!p->pool)
		return nws_err_set(err, "mbuf pool of %u: %s", mbufs, rte_strerror(rte_errno));
	for (uint16_t i = 0; i < p->n; i++) {
		struct rte_eth_conf conf;
		uint8_t key[256];
		int rc;

		pid = p->id[i];
		memset(&conf, 0, sizeof(conf));
		/* An af_packet port delivers on every qpair it was given: all must be polled. */
		p->nrxq[i] = p->per_worker ? (uint16_t)nq : is_af_packet(&info[i]) && info[i].max_rx_queues > 1 ? info[i].max_rx_queues : 1;
		if (p->per_worker && !is_af_packet(&info[i])) {
			/* A key of one repeated 16-bit word makes Toeplitz symmetric in source and destination. */
			unsigned klen = info[i].hash_key_size; /* a uint8_t: within key */

			for (unsigned k = 0; k < klen; k++)
				key[k] = k % 2 ? 0x5a : 0x6d;
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf = (struct rte_eth_rss_conf){
				.rss_key = key, .rss_key_len = (uint8_t)klen, .rss_hf = RTE_ETH_RSS_IP & info[i].flow_type_rss_offloads,
			};
		}
		rc = rte_eth_dev_configure(pid, p->nrxq[i], p->ntxq, &conf);
		for (uint16_t q = 0; rc == 0 && q < p->nrxq[i]; q++)
			rc = rte_eth_rx_queue_setup(pid, q, RX_DESC, rte_eth_dev_socket_id(pid), NULL, p->pool);
		for (uint16_t q = 0; rc == 0 && q < p->ntxq; q++)
			rc = rte_eth_tx_queue_setup(pid, q, TX_DESC, rte_eth_dev_socket_id(pid), NULL);
		if (rc == 0)
			rc = rte_eth_dev_start(pid);
		if (rc != 0)
			return nws_err_set(err, "port %u (%s): cannot start: %s", pid, info[i].driver_name, rte_strerror(-rc));
		/* nwsim sees every packet, whatever its MAC: it judges traffic, it is not an endpoint. */
		rte_eth_promiscuous_enable(pid);
		rte_eth_dev_get_name_by_port(pid, p->name[i]);
		snprintf(p->driver[i], sizeof(p->driver[0]), "%s", info[i].driver_name);
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

void dp_port_item(struct dp_item *it, struct rte_mbuf *m, uint64_t ts_ns)
{
	uint8_t hdr[256];
	uint32_t len = rte_pktmbuf_pkt_len(m) < sizeof(hdr) ? rte_pktmbuf_pkt_len(m) : sizeof(hdr);
	const uint8_t *d = rte_pktmbuf_read(m, 0, len, hdr);

	it->wire_len = rte_pktmbuf_pkt_len(m);
	it->ts_ns = ts_ns;
	if (!d)
		it->unparsed = DP_UNPARSED_TRUNCATED_LINK;
	else if (dp_parse(DP_LINK_ETHERNET, d, len, &it->pkt, &it->unparsed) == 0)
		it->unparsed = -1;
}
