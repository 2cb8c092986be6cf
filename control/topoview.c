/*
 * nwsim topology: the network drawn. Virtual networks with their subnets, NICs (appliances
 * marked), NSGs and route tables, gateways with their on-premises networks, peerings, the
 * internet; as Graphviz dot, as SVG laid out here (no Graphviz needed), or as one self-contained
 * HTML page. With --path-from/--path-to, a probe goes through the workers as test-connectivity
 * sends it, and its path is drawn over the network, the hop that stops it marked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "cmds.h"
#include "connect.h"
#include "feed.h"

static const char usage_text[] =
	"usage: nwsim topology -t TOPOLOGY [-o html|svg|dot] [--output-file FILE]\n"
	"                      [--path-from VM --path-to VM|IP|FQDN [--port N] [--protocol Tcp|Icmp]]\n"
	"\n"
	"Draws the topology: virtual networks, subnets, NICs (appliances marked), NSGs, route tables,\n"
	"gateways, on-premises networks, peerings and the internet. -o html (the default): one\n"
	"self-contained page, the drawing beside a table of the path's hops; svg: the drawing alone; dot:\n"
	"Graphviz's input. It goes to standard output, or to --output-file FILE. With --path-from and\n"
	"--path-to, a probe goes through the dataplane as test-connectivity sends it, and its path is\n"
	"drawn hop by hop, numbered as the table numbers them, routed around the boxes, and the hop that\n"
	"stops it is marked with the issue. --port defaults to 443.\n";

/* ---- layout ---------------------------------------------------------------------------------- */

#define COL_W 300
#define COL_GAP 90
#define TOP 170
#define NIC_H 34
#define SUB_HEAD 44
#define GW_H 46

struct box {
	int x, y, w, h;
};

struct layout {
	struct box *vnet, *subnet, *nic, *gw, *onprem; /* onprem: per vnet with a gateway */
	struct box internet;
	int width, height;
};

static int lay_out(const struct topo *t, struct layout *L)
{
	L->vnet = calloc(t->nvnets + 1, sizeof(struct box));
	L->subnet = calloc(t->nsubnets + 1, sizeof(struct box));
	L->nic = calloc(t->nnics + 1, sizeof(struct box));
	L->gw = calloc(t->nvnets + 1, sizeof(struct box));
	L->onprem = calloc(t->nvnets + 1, sizeof(struct box));
	if (!L->vnet || !L->subnet || !L->nic || !L->gw || !L->onprem)
		return -1;
	int maxh = 0;

	for (size_t v = 0; v < t->nvnets; v++) {
		const struct topo_vnet *vn = &t->vnets[v];
		int x = 40 + (int)v * (COL_W + COL_GAP), y = TOP + 56;

		for (size_t s = vn->first_subnet; s < vn->first_subnet + vn->nsubnets; s++) {
			int n = 0;

			for (size_t k = 0; k < t->nnics; k++)
				if (t->subnets[t->nics[k].ipcfgs[0].subnet].vnet == (int)v && t->nics[k].ipcfgs[0].subnet == (int)s) {
					L->nic[k] = (struct box){ x + 22, y + SUB_HEAD + n * NIC_H, COL_W - 44, NIC_H - 6 };
					n++;
				}
			L->subnet[s] = (struct box){ x + 12, y, COL_W - 24, SUB_HEAD + (n ? n : 1) * NIC_H };
			y += L->subnet[s].h + 14;
		}
		if (vn->gateway) {
			L->gw[v] = (struct box){ x + 12, y, COL_W - 24, GW_H };
			L->onprem[v] = (struct box){ x + 30, 30, COL_W - 60, 56 };
			y += GW_H + 14;
		}
		L->vnet[v] = (struct box){ x, TOP, COL_W, y - TOP };
		if (y > maxh)
			maxh = y;
	}
	L->width = 80 + (int)(t->nvnets ? t->nvnets : 1) * (COL_W + COL_GAP) - COL_GAP;
	if (L->width < 700)
		L->width = 700;
	L->internet = (struct box){ L->width / 2 - 90, 100 - 70, 180, 56 };
	/* Keep the internet clear of the on-premises boxes above the columns. */
	for (size_t v = 0; v < t->nvnets; v++)
		if (t->vnets[v].gateway && L->onprem[v].x < L->internet.x + L->internet.w && L->onprem[v].x + L->onprem[v].w > L->internet.x)
			L->internet.x = L->width - 200;
	L->height = maxh + 140;
	return 0;
}

static void lay_free(struct layout *L)
{
	free(L->vnet);
	free(L->subnet);
	free(L->nic);
	free(L->gw);
	free(L->onprem);
}

/* ---- text ------------------------------------------------------------------------------------ */

/* XML-escaped text (also safe inside dot's double quotes). */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
}

static const char *vm_name(const struct topo *t, int nic)
{
	return t->nics[nic].vm >= 0 ? t->vms[t->nics[nic].vm].name : "-";
}

static bool is_appliance(const struct topo *t, int nic)
{
	return t->nics[nic].ip_forwarding;
}

static bool stopped(const struct topo *t, int nic)
{
	return t->nics[nic].vm >= 0 && !t->vms[t->nics[nic].vm].running;
}

static void pfx_list(char *out, size_t len, const struct topo_plist *pl)
{
	char b[NWS_PREFIX_STRLEN];
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < pl->n && o + 2 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", nws_prefix_str(&pl->p[i], b));
}

/* ---- the path -------------------------------------------------------------------------------- */

/*
 * The drawn element a hop of the check's response stands for: its box (with a layout) and its
 * dot node's name. False for hops drawn as links (peerings).
 */
static bool hop_node(const struct layout *L, const struct conn_hop *h, const struct box **b, char *name, size_t len)
{
	if (h->nic >= 0) {
		*b = L ? &L->nic[h->nic] : NULL;
		snprintf(name, len, "nic%d", h->nic);
	} else if (h->gw_vnet >= 0) {
		bool onprem = !strcmp(h->type, "OnPremises");

		*b = L ? onprem ? &L->onprem[h->gw_vnet] : &L->gw[h->gw_vnet] : NULL;
		snprintf(name, len, "%s%d", onprem ? "onprem" : "gw", h->gw_vnet);
	} else if (!strcmp(h->type, "Internet")) {
		*b = L ? &L->internet : NULL;
		snprintf(name, len, "internet");
	} else {
		return false;
	}
	return true;
}

static const struct conn_issue_rec *first_error(const struct conn_hop *h)
{
	for (int i = 0; i < h->nissues; i++)
		if (!strcmp(h->issues[i].severity, "Error"))
			return &h->issues[i];
	return NULL;
}

/* ---- SVG ------------------------------------------------------------------------------------- */

static void svg_box(FILE *f, const struct box *b, const char *cls, const char *kind, const char *name, int rx)
{
	fprintf(f, "<g class=\"node %s\" data-kind=\"%s\" data-name=\"", cls, kind);
	esc(f, name);
	fprintf(f, "\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"%d\"/>", b->x, b->y, b->w, b->h, rx);
}

static void svg_text(FILE *f, int x, int y, const char *cls, const char *s)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"%s\">", x, y, cls);
	esc(f, s);
	fputs("</text>", f);
}

static void write_svg(FILE *f, const struct topo *t, const struct layout *L, const struct conn_result *cr)
{
	char buf[512], ip[NWS_IP_STRLEN], pl[256];

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		L->width, L->height, L->width, L->height);
	fputs("<style>.node rect{stroke:#445;fill:#fff}.vnet>rect{fill:#eef4fb;stroke:#5b7fa6}.subnet>rect{fill:#f8fbff;stroke:#8aa}"
	      ".nic>rect{fill:#fff}.appliance>rect{fill:#fff4dc;stroke:#c58a00}.stopped>rect{fill:#eee;stroke-dasharray:4 3}"
	      ".gateway>rect{fill:#efe8fb;stroke:#7456a6}.internet>rect,.onprem>rect{fill:#f3f3f3}"
	      ".title{font-weight:bold;font-size:13px}.small{font-size:10px;fill:#556}.badge{font-size:10px;fill:#803}"
	      ".peering{stroke:#5b7fa6;stroke-width:2;stroke-dasharray:6 4;fill:none}.path{stroke:#0a7d32;stroke-width:3;fill:none;opacity:.7}"
	      ".path.blocked{stroke:#c0182a}.block circle{fill:#c0182a}.block text{fill:#fff;font-weight:bold}.issue{fill:#c0182a;font-size:11px}"
	      "</style>\n",
	      f);
	/* Peerings first, under the boxes: an arc over the columns. */
	for (size_t v = 0; v < t->nvnets; v++)
		for (size_t p = 0; p < t->vnets[v].npeerings; p++) {
			int r = t->vnets[v].peerings[p].remote;

			if (r < (int)v)
				continue; /* each pair once */
			int x1 = L->vnet[v].x + COL_W / 2, x2 = L->vnet[r].x + COL_W / 2, ym = TOP - 26 - 8 * (r - (int)v);

			fprintf(f, "<path class=\"peering\" data-kind=\"peering\" data-name=\"");
			esc(f, t->vnets[v].peerings[p].name);
			fprintf(f, "\" d=\"M%d %d C%d %d %d %d %d %d\"/>\n", x1, TOP, x1, ym, x2, ym, x2, TOP);
		}
	for (size_t v = 0; v < t->nvnets; v++) {
		const struct topo_vnet *vn = &t->vnets[v];
		const struct box *b = &L->vnet[v];

		svg_box(f, b, "vnet", "vnet", vn->name, 10);
		svg_text(f, b->x + 12, b->y + 22, "title", vn->name);
		pfx_list(pl, sizeof(pl), &vn->space);
		svg_text(f, b->x + 12, b->y + 40, "small", pl);
		fputs("</g>\n", f);
		for (size_t s = vn->first_subnet; s < vn->first_subnet + vn->nsubnets; s++) {
			const struct topo_subnet *sn = &t->subnets[s];
			const struct box *sb = &L->subnet[s];

			snprintf(buf, sizeof(buf), "%s/%s", vn->name, sn->name);
			svg_box(f, sb, "subnet", "subnet", buf, 6);
			pfx_list(pl, sizeof(pl), &sn->pfx);
			snprintf(buf, sizeof(buf), "%s  %s", sn->name, pl);
			svg_text(f, sb->x + 10, sb->y + 17, "title", buf);
			buf[0] = 0;
			if (sn->nsg >= 0)
				snprintf(buf, sizeof(buf), "NSG %s", t->nsgs[sn->nsg].name);
			if (sn->rt >= 0)
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%sroutes %s", buf[0] ? "  " : "", t->rts[sn->rt].name);
			svg_text(f, sb->x + 10, sb->y + 33, "badge", buf);
			fputs("</g>\n", f);
		}
		if (vn->gateway) {
			snprintf(buf, sizeof(buf), "%s (%s)", vn->gateway->name, vn->gateway->vpn ? "VPN" : "ExpressRoute");
			svg_box(f, &L->gw[v], "gateway", "gateway", vn->gateway->name, 6);
			svg_text(f, L->gw[v].x + 10, L->gw[v].y + 19, "title", buf);
			svg_text(f, L->gw[v].x + 10, L->gw[v].y + 35, "small",
				 vn->gateway->has_public_ip ? nws_ip_str(&vn->gateway->public_ip, ip) : "");
			fputs("</g>\n", f);
			buf[0] = 0;
			for (size_t i = 0; i < vn->gateway->nlocalnets; i++) {
				pfx_list(pl, sizeof(pl), &vn->gateway->localnets[i].pfx);
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s %s", i ? "; " : "", vn->gateway->localnets[i].name, pl);
			}
			svg_box(f, &L->onprem[v], "onprem", "onprem", vn->gateway->name, 14);
			svg_text(f, L->onprem[v].x + 10, L->onprem[v].y + 22, "title", "on-premises");
			svg_text(f, L->onprem[v].x + 10, L->onprem[v].y + 40, "small", buf);
			fputs("</g>\n", f);
			/* Down the column's left margin, clear of the subnets. */
			fprintf(f, "<polyline points=\"%d,%d %d,%d %d,%d %d,%d\" stroke=\"#7456a6\" stroke-width=\"1.5\" fill=\"none\"/>\n",
				L->onprem[v].x + 12, L->onprem[v].y + L->onprem[v].h, L->onprem[v].x + 12, TOP - 12, L->vnet[v].x - 14,
				TOP - 12, L->vnet[v].x - 14, L->gw[v].y + GW_H / 2);
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#7456a6\" stroke-width=\"1.5\"/>\n",
				L->vnet[v].x - 14, L->gw[v].y + GW_H / 2, L->gw[v].x, L->gw[v].y + GW_H / 2);
		}
	}
	for (size_t k = 0; k < t->nnics; k++) {
		const struct topo_nic *n = &t->nics[k];
		const char *cls = stopped(t, (int)k) ? "nic stopped" : is_appliance(t, (int)k) ? "nic appliance" : "nic";

		svg_box(f, &L->nic[k], cls, "nic", n->name, 4);
		snprintf(buf, sizeof(buf), "%s  %s  %s%s%s", vm_name(t, (int)k), nws_ip_str(&n->ipcfgs[0].ip, ip),
			 is_appliance(t, (int)k) ? "appliance" : "", stopped(t, (int)k) ? " stopped" : "",
			 n->nsg >= 0 ? "" : "");
		svg_text(f, L->nic[k].x + 8, L->nic[k].y + 18, "", buf);
		if (n->nsg >= 0) {
			snprintf(buf, sizeof(buf), "NSG %s", t->nsgs[n->nsg].name);
			svg_text(f, L->nic[k].x + L->nic[k].w - 8 - 6 * (int)strlen(buf), L->nic[k].y + 18, "badge", buf);
		}
		fputs("</g>\n", f);
	}
	svg_box(f, &L->internet, "internet", "internet", "Internet", 26);
	svg_text(f, L->internet.x + 58, L->internet.y + 33, "title", "Internet");
	fputs("</g>\n", f);
	if (!cr)
		goto end;
	/* The path: a line through the hops that have a place, a mark where it stops. */
	{
		int px = -1, py = -1, nblocked = 0;
		bool blocked = cr->reachable == 0;

		fprintf(f, "<g class=\"probe-path\" data-status=\"%s\">\n", cr->reachable ? "Reachable" : "Unreachable");
		for (int i = 0; i < cr->nhops; i++) {
			const struct conn_hop *h = &cr->hops[i];
			const struct conn_issue_rec *e = first_error(h);
			const struct box *b;
			char node[32];

			if (!hop_node(L, h, &b, node, sizeof(node)))
				continue;
			int x = b->x + b->w / 2, y = b->y + b->h / 2;

			if (px >= 0)
				fprintf(f, "<line class=\"path%s\" data-kind=\"path\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
					blocked ? " blocked" : "", px, py, x, y);
			fprintf(f, "<circle class=\"hop\" data-kind=\"hop\" data-type=\"%s\" cx=\"%d\" cy=\"%d\" r=\"6\" fill=\"%s\"/>\n", h->type, x,
				y, e ? "#c0182a" : "#0a7d32");
			if (e) {
				fprintf(f, "<g class=\"block\" data-kind=\"blocked\" data-issue=\"%s\"><circle cx=\"%d\" cy=\"%d\" r=\"11\"/>"
					   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">&#x2715;</text></g>\n",
					e->type, x + 16, y - 14, x + 16, y - 10);
				snprintf(buf, sizeof(buf), "%s %s=%s", e->type, e->key, e->value);
				svg_text(f, x - 60, y + 30 + 14 * nblocked++, "issue", buf);
				fputc('\n', f);
			}
			px = x;
			py = y;
		}
		fputs("</g>\n", f);
	}
end:
	fputs("</svg>\n", f);
}

/* ---- dot ------------------------------------------------------------------------------------- */

static void write_dot(FILE *f, const struct topo *t, const struct conn_result *cr)
{
	char ip[NWS_IP_STRLEN], pl[256];

	fputs("digraph topology {\n  compound=true; rankdir=TB; node [shape=box, fontname=\"sans-serif\", fontsize=10];\n", f);
	fputs("  internet [label=\"Internet\", shape=ellipse];\n", f);
	for (size_t v = 0; v < t->nvnets; v++) {
		const struct topo_vnet *vn = &t->vnets[v];

		pfx_list(pl, sizeof(pl), &vn->space);
		fprintf(f, "  subgraph cluster_vnet%zu {\n    label=\"", v);
		esc(f, vn->name);
		fprintf(f, " %s\"; style=rounded; color=\"#5b7fa6\";\n    vnet%zu [shape=point, style=invis];\n", pl, v);
		for (size_t s = vn->first_subnet; s < vn->first_subnet + vn->nsubnets; s++) {
			const struct topo_subnet *sn = &t->subnets[s];

			pfx_list(pl, sizeof(pl), &sn->pfx);
			fprintf(f, "    subgraph cluster_subnet%zu {\n      label=\"", s);
			esc(f, sn->name);
			fprintf(f, " %s%s", pl, sn->nsg >= 0 ? "\\nNSG " : "");
			if (sn->nsg >= 0)
				esc(f, t->nsgs[sn->nsg].name);
			if (sn->rt >= 0) {
				fputs("\\nroutes ", f);
				esc(f, t->rts[sn->rt].name);
			}
			fprintf(f, "\";\n      subnet%zu [shape=point, style=invis];\n", s);
			for (size_t k = 0; k < t->nnics; k++) {
				if (t->nics[k].ipcfgs[0].subnet != (int)s)
					continue;
				fprintf(f, "      nic%zu [label=\"", k);
				esc(f, vm_name(t, (int)k));
				fputs("\\n", f);
				esc(f, t->nics[k].name);
				fprintf(f, " %s%s%s\"%s];\n", nws_ip_str(&t->nics[k].ipcfgs[0].ip, ip),
					is_appliance(t, (int)k) ? "\\nappliance" : "", stopped(t, (int)k) ? "\\nstopped" : "",
					is_appliance(t, (int)k) ? ", style=filled, fillcolor=\"#fff4dc\"" : "");
			}
			fputs("    }\n", f);
		}
		if (vn->gateway) {
			fprintf(f, "    gw%zu [label=\"", v);
			esc(f, vn->gateway->name);
			fprintf(f, "\\n%s\", shape=hexagon];\n", vn->gateway->vpn ? "VPN gateway" : "ExpressRoute gateway");
		}
		fputs("  }\n", f);
		if (vn->gateway) {
			fprintf(f, "  onprem%zu [label=\"on-premises", v);
			for (size_t i = 0; i < vn->gateway->nlocalnets; i++) {
				pfx_list(pl, sizeof(pl), &vn->gateway->localnets[i].pfx);
				fputs("\\n", f);
				esc(f, vn->gateway->localnets[i].name);
				fprintf(f, " %s", pl);
			}
			fprintf(f, "\", shape=folder];\n  onprem%zu -> gw%zu [dir=both, color=\"#7456a6\"];\n", v, v);
		}
	}
	for (size_t v = 0; v < t->nvnets; v++)
		for (size_t p = 0; p < t->vnets[v].npeerings; p++)
			if (t->vnets[v].peerings[p].remote > (int)v) {
				fprintf(f, "  vnet%zu -> vnet%d [ltail=cluster_vnet%zu, lhead=cluster_vnet%d, dir=both, style=dashed, label=\"peering\"];\n",
					v, t->vnets[v].peerings[p].remote, v, t->vnets[v].peerings[p].remote);
			}
	if (cr) {
		/* The probe's hops that are nodes here, in order. */
		const char *prev = NULL;
		char cur[32], last[32] = "";

		for (int i = 0; i < cr->nhops; i++) {
			const struct conn_hop *h = &cr->hops[i];

			const struct box *b;

			if (!hop_node(NULL, h, &b, cur, sizeof(cur)))
				continue;
			const struct conn_issue_rec *e = first_error(h);

			if (prev)
				fprintf(f, "  %s -> %s [color=\"%s\", penwidth=3];\n", last, cur, cr->reachable ? "#0a7d32" : "#c0182a");
			if (e) {
				fprintf(f, "  %s [color=\"#c0182a\", penwidth=3, xlabel=\"", cur);
				esc(f, e->type);
				fputs(" ", f);
				esc(f, e->value);
				fputs("\"];\n", f);
			}
			snprintf(last, sizeof(last), "%s", cur);
			prev = last;
		}
	}
	fputs("}\n", f);
}

/* ---- HTML ------------------------------------------------------------------------------------ */

static void write_html(FILE *f, const struct topo *t, const struct layout *L, const struct conn_result *cr, const char *title)
{
	char ip[NWS_IP_STRLEN];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nwsim topology: ", f);
	esc(f, title);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:20px;color:#223}h1{font-size:18px}"
	      "#info{min-height:1.5em;color:#445}.node:hover rect{stroke-width:3}table{border-collapse:collapse;margin-top:12px}"
	      "td,th{border:1px solid #ccd;padding:3px 8px;font-size:12px;text-align:left}.err{color:#c0182a}</style></head>\n<body>\n<h1>",
	      f);
	esc(f, title);
	fprintf(f, "</h1>\n<p>%zu virtual networks, %zu subnets, %zu network interfaces, %zu NSGs, %zu route tables.",
		t->nvnets, t->nsubnets, t->nnics, t->nnsgs, t->nrts);
	if (cr)
		fprintf(f, " Probe: <b id=\"status\">%s</b>, %u sent, %u failed.", cr->reachable ? "Reachable" : "Unreachable", cr->probes_sent,
			cr->probes_failed);
	fputs("</p>\n<p id=\"info\">Point at a box for its details.</p>\n", f);
	write_svg(f, t, L, cr);
	fputs("<table id=\"hops\"><thead><tr><th>#</th><th>hop</th><th>resource</th><th>address</th><th>issues</th></tr></thead><tbody></tbody></table>\n", f);
	/* The hops as data; the script below fills the table from them and wires the hovering. */
	fputs("<script type=\"application/json\" id=\"hop-data\">[", f);
	for (int i = 0; cr && i < cr->nhops; i++) {
		const struct conn_hop *h = &cr->hops[i];
		const char *res = strrchr(h->resource, '/');

		fprintf(f, "%s{\"type\":\"%s\",\"resource\":\"", i ? "," : "", h->type);
		esc(f, res ? res + 1 : h->resource);
		fprintf(f, "\",\"address\":\"%s\",\"issues\":[", h->has_ip ? nws_ip_str(&h->ip, ip) : "");
		for (int k = 0; k < h->nissues; k++) {
			fprintf(f, "%s\"%s %s: ", k ? "," : "", h->issues[k].severity, h->issues[k].type);
			esc(f, h->issues[k].key);
			fputs("=", f);
			esc(f, h->issues[k].value);
			fputs("\"", f);
		}
		fputs("]}", f);
	}
	fputs("]</script>\n<script>\n"
	      "(function(){\n"
	      "  var hops = JSON.parse(document.getElementById('hop-data').textContent);\n"
	      "  var body = document.querySelector('#hops tbody');\n"
	      "  if (!hops.length) document.getElementById('hops').style.display = 'none';\n"
	      "  hops.forEach(function(h, i){\n"
	      "    var tr = document.createElement('tr'); tr.className = 'hop-row';\n"
	      "    [String(i), h.type, h.resource, h.address, h.issues.join('; ')].forEach(function(v, k){\n"
	      "      var td = document.createElement('td'); td.textContent = v; if (k == 4 && v) td.className = 'err'; tr.appendChild(td);\n"
	      "    });\n"
	      "    body.appendChild(tr);\n"
	      "  });\n"
	      "  document.querySelectorAll('.node').forEach(function(g){\n"
	      "    g.addEventListener('mouseenter', function(){\n"
	      "      document.getElementById('info').textContent = g.getAttribute('data-kind') + ': ' + g.getAttribute('data-name');\n"
	      "    });\n"
	      "  });\n"
	      "  document.body.setAttribute('data-ready', String(document.querySelectorAll('.node').length));\n"
	      "})();\n"
	      "</script>\n</body></html>\n",
	      f);
}

int cmd_topology(int argc, char **argv)
{
	struct cli_common c = { 0 };
	const char *out = NULL, *from = NULL, *to = NULL, *port = NULL, *proto = NULL;
	const struct cli_opt opts[] = {
		{ "--output-file", 0, &out, NULL }, { "--path-from", 0, &from, NULL },
		{ "--path-to", 0, &to, NULL },      { "--port", 0, &port, NULL },  { "--protocol", 0, &proto, NULL },
		{ NULL, 0, NULL, NULL },
	};
	struct nws_err err = { { 0 } };
	struct app app = { 0 };
	static struct feeder fd;
	static struct conn_query q;
	static struct conn_result cr;
	struct layout L = { 0 };
	bool have_path = false;
	int rc, fmt = 2; /* 0 dot, 1 svg, 2 html */
	double v;
	FILE *f = stdout;

	if (cli_parse(argc, argv, opts, &c, NULL, NULL, &err) < 0 || cli_check_output(&c, CLI_FORMATS_DRAWING, &err) < 0)
		goto usage;
	if (c.help) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	if (c.output && !strcasecmp(c.output, "dot"))
		fmt = 0;
	else if (c.output && !strcasecmp(c.output, "svg"))
		fmt = 1;
	if (!from != !to) {
		nws_err_set(&err, "--path-from and --path-to go together");
		goto usage;
	}
	memset(&q, 0, sizeof(q));
	q.proto = AZ_PROTO_TCP;
	q.dst_port = 443;
	q.probes = 1;
	q.seed = 1;
	q.t0_ns = 1700000000ull * 1000000000ull;
	if (port) {
		if (cli_number(port, 1, 65535, true, &v) < 0) {
			nws_err_set(&err, "--port: '%s' is not a whole number in 1..65535", port);
			goto usage;
		}
		q.dst_port = (uint16_t)v;
	}
	if (proto) {
		if (!strcasecmp(proto, "Icmp"))
			q.proto = AZ_PROTO_ICMP;
		else if (strcasecmp(proto, "Tcp")) {
			nws_err_set(&err, "--protocol: '%s' is not Tcp or Icmp", proto);
			goto usage;
		}
	}
	rc = app_open(&app, &c, &err);
	if (rc != CLI_OK)
		goto done;
	const struct topo *t = app.t;

	if (from) {
		rc = CLI_USAGE;
		if ((q.src_vm = topo_find_vm(t, from)) < 0) {
			nws_err_set(&err, "topology: --path-from: no virtual machine '%s' in %s", from, t->file);
			goto done;
		}
		bool to_vm = topo_find_vm(t, to) >= 0;

		if (conn_target(t, to_vm ? to : NULL, to_vm ? NULL : to, &q, &err) < 0) {
			nws_err_prefix(&err, "topology: ");
			goto done;
		}
		rc = app_compile(&app, &c, APP_PATH, &err);
		if (rc != CLI_OK)
			goto done;
		rc = CLI_FAIL;
		if (feed_init(&fd, &app.path, 0, 1u << 12, false, &err) < 0 || feed_launch(&fd, &err) < 0 ||
		    conn_run(&app, &fd, &q, &cr, &err) < 0)
			goto done;
		feed_stop(&fd, t->nnics, false);
		have_path = true;
	}
	rc = CLI_FAIL;
	if (lay_out(t, &L) < 0) {
		nws_err_set(&err, "out of memory");
		goto done;
	}
	if (out && !(f = fopen(out, "w"))) {
		nws_err_set(&err, "%s: cannot write: %m", out);
		goto done;
	}
	if (fmt == 0)
		write_dot(f, t, have_path ? &cr : NULL);
	else if (fmt == 1)
		write_svg(f, t, &L, have_path ? &cr : NULL);
	else
		write_html(f, t, &L, have_path ? &cr : NULL, strrchr(t->file, '/') ? strrchr(t->file, '/') + 1 : t->file);
	if (out && cli_close_file(f, out, &err) < 0)
		goto done;
	rc = CLI_OK;
done:
	lay_free(&L);
	feed_free(&fd);
	app_close(&app);
	if (rc != CLI_OK)
		return cli_die(rc, &err);
	return rc;
usage:
	nws_err_prefix(&err, "topology: ");
	return cli_die(CLI_USAGE, &err);
}
