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
#include "dp_eal.h"
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
#define MARGIN 60 /* left and right of the columns: room for the outer channels of a path */
#define TOP 170
/* Between the boxes above the columns (on-premises, internet: y 30..86) and the columns: lanes. */
#define LANE_TOP 102
#define LANE_STEP 8
#define LANES 6
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
	int notes_y; /* below the columns: where the path's issues are written */
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
		int x = MARGIN + (int)v * (COL_W + COL_GAP), y = TOP + 56;

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
	L->width = 2 * MARGIN + (int)(t->nvnets ? t->nvnets : 1) * (COL_W + COL_GAP) - COL_GAP;
	if (L->width < 700)
		L->width = 700;
	L->internet = (struct box){ L->width / 2 - 90, 100 - 70, 180, 56 };
	/* Keep the internet clear of the on-premises boxes above the columns. */
	for (size_t v = 0; v < t->nvnets; v++)
		if (t->vnets[v].gateway && L->onprem[v].x < L->internet.x + L->internet.w && L->onprem[v].x + L->onprem[v].w > L->internet.x)
			L->internet.x = L->width - 200;
	L->notes_y = maxh + 28;
	L->height = maxh + 24; /* write_svg makes room for the path's notes, when it has some */
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
 * dot node's name. False for a hop with no place in the drawing (a Destination no NIC owns).
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

/* A box, its group named for the tests: kind and name, and node as the path's hops name it (hop_node). */
static void svg_box(FILE *f, const struct box *b, const char *cls, const char *kind, const char *name, const char *node, int rx)
{
	fprintf(f, "<g class=\"node %s\" data-kind=\"%s\" data-node=\"%s\" data-name=\"", cls, kind, node);
	esc(f, name);
	fprintf(f, "\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"%d\"/>", b->x, b->y, b->w, b->h, rx);
}

static void svg_text(FILE *f, int x, int y, const char *cls, const char *s)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"%s\">", x, y, cls);
	esc(f, s);
	fputs("</text>", f);
}

/* ---- the path, routed around the boxes -------------------------------------------------------- */

struct pt {
	int x, y;
};

/* The column a hop's box stands in; -1 for the boxes above the columns (internet, on-premises). */
static int hop_col(const struct topo *t, const struct conn_hop *h)
{
	if (h->nic >= 0)
		return t->subnets[t->nics[h->nic].ipcfgs[0].subnet].vnet;
	if (h->gw_vnet >= 0 && strcmp(h->type, "OnPremises"))
		return h->gw_vnet;
	return -1;
}

/* The channel beside column c, in the gap between columns, off being this segment's own lane in it. */
static int channel(const struct layout *L, int c, bool right, int off)
{
	return (right ? L->vnet[c].x + COL_W + COL_GAP / 2 : L->vnet[c].x - COL_GAP / 2) + off;
}

/*
 * Segment k of the path, from box a (in column ca, -1 above the columns) to box b, as an
 * orthogonal line that never crosses another box: out of a's side, along the channel beside its
 * column, through a lane between the columns and the boxes above them when it has columns to
 * pass, down the channel beside b's column and into b's side (or up into a box above the
 * columns). Boxes are columns' contents, so the gaps and the lanes are always clear.
 */
static int route_segment(const struct layout *L, const struct box *a, int ca, const struct box *b, int cb, int k,
			 struct pt *p)
{
	int off = (k % 5 - 2) * 5, lane = LANE_TOP + (k % LANES) * LANE_STEP, n = 0;
	/* A box's way out sits below its middle and its way in above: a hop's two lines stay apart. */
	int ya = a->y + a->h / 2 + 4, yb = b->y + b->h / 2 - 4;

	if (ca < 0 && cb < 0) { /* two boxes above the columns: under them, through a lane */
		p[n++] = (struct pt){ a->x + a->w / 2, a->y + a->h };
		p[n++] = (struct pt){ a->x + a->w / 2, lane };
		p[n++] = (struct pt){ b->x + b->w / 2, lane };
		p[n++] = (struct pt){ b->x + b->w / 2, b->y + b->h };
		return n;
	}
	if (ca < 0) { /* into the columns from above: the way out of them, reversed */
		n = route_segment(L, b, cb, a, ca, k, p);
		for (int i = 0; i < n / 2; i++) {
			struct pt x = p[i];

			p[i] = p[n - 1 - i];
			p[n - 1 - i] = x;
		}
		return n;
	}
	if (cb < 0) { /* up to a box above the columns */
		int tx = b->x + b->w / 2 + 2 * off;
		bool right = tx > L->vnet[ca].x + COL_W / 2;
		int ch = channel(L, ca, right, off);

		p[n++] = (struct pt){ right ? a->x + a->w : a->x, ya };
		p[n++] = (struct pt){ ch, ya };
		p[n++] = (struct pt){ ch, lane };
		p[n++] = (struct pt){ tx, lane };
		p[n++] = (struct pt){ tx, b->y + b->h };
		return n;
	}
	if (ca == cb) { /* the same column: out and back in on the right */
		int ch = channel(L, ca, true, off), d = a == b ? 6 : 0;

		p[n++] = (struct pt){ a->x + a->w, ya - d };
		p[n++] = (struct pt){ ch, ya - d };
		p[n++] = (struct pt){ ch, yb + d };
		p[n++] = (struct pt){ b->x + b->w, yb + d };
		return n;
	}
	bool right = cb > ca;
	int ch1 = channel(L, ca, right, off), ch2 = channel(L, cb, !right, off);

	p[n++] = (struct pt){ right ? a->x + a->w : a->x, ya };
	p[n++] = (struct pt){ ch1, ya };
	if (ch1 != ch2) { /* columns between: over them, through a lane */
		p[n++] = (struct pt){ ch1, lane };
		p[n++] = (struct pt){ ch2, lane };
	}
	p[n++] = (struct pt){ ch2, yb };
	p[n++] = (struct pt){ right ? b->x : b->x + b->w, yb };
	return n;
}

/* What a probe found at a hop: nothing, an issue that stops it, or an end nothing is known of. */
enum hop_mark { MARK_NONE, MARK_BLOCKED, MARK_UNANSWERED };

static enum hop_mark hop_mark(const struct conn_hop *h, const struct conn_issue_rec **e)
{
	*e = first_error(h);
	if (!*e)
		return MARK_NONE;
	/* A routing question (no facts about the host at the far end) is not a block. */
	return h->no_facts ? MARK_UNANSWERED : MARK_BLOCKED;
}

/*
 * The probe's outcome as the drawing shows it: Reachable; Routed, when all that stopped it is an
 * end the topology says nothing of (no host to answer: a routing question); else Unreachable.
 */
static const char *path_state(const struct conn_result *cr)
{
	const struct conn_issue_rec *e;
	bool unanswered = false;

	if (cr->reachable)
		return "Reachable";
	for (int i = 0; i < cr->nhops; i++)
		switch (hop_mark(&cr->hops[i], &e)) {
		case MARK_BLOCKED:
			return "Unreachable";
		case MARK_UNANSWERED:
			unanswered = true;
			break;
		default:
			break;
		}
	return unanswered ? "Routed" : "Unreachable";
}

/* The issues the path meets, one line each below the columns, numbered as the hops are. */
static int path_notes(const struct conn_result *cr)
{
	int n = 0;
	const struct conn_issue_rec *e;

	for (int i = 0; cr && i < cr->nhops; i++)
		n += hop_mark(&cr->hops[i], &e) != MARK_NONE;
	return n;
}

/*
 * The path: each hop that has a box numbered as the hops table numbers it (from 1), each step an
 * arrow routed around the other boxes; a ✕ where an issue stops the probe, a ? where the probe
 * reached an end nothing is known of (a routing question), and each such issue written out
 * below the drawing, inside it.
 */
static void svg_path(FILE *f, const struct topo *t, const struct layout *L, const struct conn_result *cr)
{
	const struct box *prev = NULL;
	int pcol = -1, seg = 0, note = 0;
	const struct box *drawn[CONN_MAX_HOPS];
	int ndrawn = 0;
	const struct conn_issue_rec *e;
	char buf[512], node[32];
	const char *state = path_state(cr);
	const char *cls = !strcmp(state, "Reachable") ? "" : !strcmp(state, "Routed") ? " routed" : " blocked";

	fprintf(f, "<g class=\"probe-path\" data-status=\"%s\">\n", state);
	for (int i = 0; i < cr->nhops; i++) {
		const struct conn_hop *h = &cr->hops[i];
		const struct box *b;

		if (!hop_node(L, h, &b, node, sizeof(node)))
			continue;
		int col = hop_col(t, h);

		if (prev) {
			struct pt pts[8];
			int n = route_segment(L, prev, pcol, b, col, seg++, pts);

			fprintf(f, "<polyline class=\"path%s\" data-kind=\"path\" marker-end=\"url(#arrow%s)\" points=\"", cls, cls[0] ? cls + 1 : "");
			for (int k = 0; k < n; k++)
				fprintf(f, "%s%d,%d", k ? " " : "", pts[k].x, pts[k].y);
			fputs("\"/>\n", f);
		}
		prev = b;
		pcol = col;
		drawn[ndrawn++] = b;
	}
	/* Marks after the lines, so that they sit on top: hop numbers, then what stopped the probe. */
	for (int i = 0, d = 0; i < cr->nhops; i++) {
		const struct conn_hop *h = &cr->hops[i];
		const struct box *b;

		if (!hop_node(L, h, &b, node, sizeof(node)))
			continue;
		int dup = 0;

		for (int j = 0; j < d; j++)
			dup += drawn[j] == b;
		d++;
		enum hop_mark m = hop_mark(h, &e);
		int cx = b->x + 10 * (dup + 1) + 6 * dup, cy = b->y;

		fprintf(f, "<g class=\"hop-num\" data-kind=\"hop\" data-hop=\"%d\" data-type=\"%s\" data-node=\"%s\">"
			   "<circle cx=\"%d\" cy=\"%d\" r=\"8\"/><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text></g>\n",
			i + 1, h->type, node, cx, cy, cx, cy + 4, i + 1);
		if (m == MARK_NONE)
			continue;
		int mx = b->x + b->w - 2, my = b->y;

		if (m == MARK_BLOCKED)
			fprintf(f, "<g class=\"block\" data-kind=\"blocked\" data-issue=\"%s\" data-hop=\"%d\"><circle cx=\"%d\" cy=\"%d\" r=\"10\"/>"
				   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">&#x2715;</text></g>\n",
				e->type, i + 1, mx, my, mx, my + 4);
		else
			fprintf(f, "<g class=\"unanswered\" data-kind=\"unanswered\" data-issue=\"%s\" data-hop=\"%d\"><circle cx=\"%d\" cy=\"%d\" r=\"10\"/>"
				   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">?</text></g>\n",
				e->type, i + 1, mx, my, mx, my + 4);
		if (m == MARK_BLOCKED)
			snprintf(buf, sizeof(buf), "\u2715 hop %d: %s%s%s%s%s", i + 1, e->type, e->key[0] ? " " : "", e->key,
				 e->key[0] ? "=" : "", conn_issue_label(e));
		else
			snprintf(buf, sizeof(buf), "? hop %d: routed here; no externalHosts entry says how this host answers", i + 1);
		fprintf(f, "<text class=\"%s\" data-kind=\"note\" x=\"%d\" y=\"%d\">", m == MARK_BLOCKED ? "issue" : "note",
			MARGIN - 40, L->notes_y + 18 * note++);
		esc(f, buf);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

static void write_svg(FILE *f, const struct topo *t, const struct layout *L, const struct conn_result *cr)
{
	char buf[512], ip[NWS_IP_STRLEN], pl[256], node[32];
	/* Room for the path's notes below the columns: every label stays inside the drawing. */
	int notes = path_notes(cr), w = L->width, h = L->height;

	if (notes && L->notes_y + 18 * (notes - 1) + 12 > h)
		h = L->notes_y + 18 * (notes - 1) + 12;
	for (int i = 0; cr && i < cr->nhops; i++) {
		const struct conn_issue_rec *e;

		if (hop_mark(&cr->hops[i], &e) != MARK_BLOCKED)
			continue;
		/* The note's width: about 6.5 pixels a character at 11 px, from the left margin. */
		int right = MARGIN - 40 + (int)(6.5 * (double)(strlen(e->type) + strlen(e->key) + strlen(conn_issue_label(e)) + 14)) + 20;

		if (right > w)
			w = right;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		w, h, w, h);
	fputs("<style>.node rect{stroke:#445;fill:#fff}.vnet>rect{fill:#eef4fb;stroke:#5b7fa6}.subnet>rect{fill:#f8fbff;stroke:#8aa}"
	      ".nic>rect{fill:#fff}.appliance>rect{fill:#fff4dc;stroke:#c58a00}.stopped>rect{fill:#eee;stroke-dasharray:4 3}"
	      ".gateway>rect{fill:#efe8fb;stroke:#7456a6}.internet>rect,.onprem>rect{fill:#f3f3f3}"
	      ".title{font-weight:bold;font-size:13px}.small{font-size:10px;fill:#556}.badge{font-size:10px;fill:#803}"
	      ".peering{stroke:#5b7fa6;stroke-width:2;stroke-dasharray:6 4;fill:none}"
	      ".path{stroke:#0a7d32;stroke-width:2.5;fill:none;stroke-linejoin:round}.path.blocked{stroke:#c0182a}.path.routed{stroke:#3a6ea5}"
	      ".hop-num circle{fill:#223;stroke:#fff;stroke-width:1.5}.hop-num text{fill:#fff;font-size:10px;font-weight:bold}"
	      ".block circle{fill:#c0182a}.block text{fill:#fff;font-weight:bold}.unanswered circle{fill:#3a6ea5}"
	      ".unanswered text{fill:#fff;font-weight:bold}.issue{fill:#c0182a;font-size:11px}.note{fill:#3a6ea5;font-size:11px}"
	      "</style>\n"
	      "<defs>"
	      "<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
	      "<path d=\"M0 0L10 5L0 10z\" fill=\"#0a7d32\"/></marker>"
	      "<marker id=\"arrowblocked\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
	      "<path d=\"M0 0L10 5L0 10z\" fill=\"#c0182a\"/></marker>"
	      "<marker id=\"arrowrouted\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
	      "<path d=\"M0 0L10 5L0 10z\" fill=\"#3a6ea5\"/></marker>"
	      "</defs>\n",
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

		snprintf(node, sizeof(node), "vnet%zu", v);
		svg_box(f, b, "vnet", "vnet", vn->name, node, 10);
		svg_text(f, b->x + 12, b->y + 22, "title", vn->name);
		pfx_list(pl, sizeof(pl), &vn->space);
		svg_text(f, b->x + 12, b->y + 40, "small", pl);
		fputs("</g>\n", f);
		for (size_t s = vn->first_subnet; s < vn->first_subnet + vn->nsubnets; s++) {
			const struct topo_subnet *sn = &t->subnets[s];
			const struct box *sb = &L->subnet[s];

			snprintf(buf, sizeof(buf), "%s/%s", vn->name, sn->name);
			snprintf(node, sizeof(node), "subnet%zu", s);
			svg_box(f, sb, "subnet", "subnet", buf, node, 6);
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
			snprintf(node, sizeof(node), "gw%zu", v);
			svg_box(f, &L->gw[v], "gateway", "gateway", vn->gateway->name, node, 6);
			svg_text(f, L->gw[v].x + 10, L->gw[v].y + 19, "title", buf);
			svg_text(f, L->gw[v].x + 10, L->gw[v].y + 35, "small",
				 vn->gateway->has_public_ip ? nws_ip_str(&vn->gateway->public_ip, ip) : "");
			fputs("</g>\n", f);
			buf[0] = 0;
			for (size_t i = 0; i < vn->gateway->nlocalnets; i++) {
				pfx_list(pl, sizeof(pl), &vn->gateway->localnets[i].pfx);
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s %s", i ? "; " : "", vn->gateway->localnets[i].name, pl);
			}
			snprintf(node, sizeof(node), "onprem%zu", v);
			svg_box(f, &L->onprem[v], "onprem", "onprem", vn->gateway->name, node, 14);
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

		snprintf(node, sizeof(node), "nic%zu", k);
		svg_box(f, &L->nic[k], cls, "nic", n->name, node, 4);
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
	svg_box(f, &L->internet, "internet", "internet", "Internet", "internet", 26);
	svg_text(f, L->internet.x + 58, L->internet.y + 33, "title", "Internet");
	fputs("</g>\n", f);
	if (cr)
		svg_path(f, t, L, cr);
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

			const char *state = path_state(cr), *color = !strcmp(state, "Reachable") ? "#0a7d32"
								 : !strcmp(state, "Routed")  ? "#3a6ea5"
											      : "#c0182a";

			/* Each step labelled with the number of the hop it leads to, as the hops are numbered. */
			if (prev)
				fprintf(f, "  %s -> %s [color=\"%s\", penwidth=3, label=\"%d\", fontcolor=\"%s\"];\n", last, cur, color, i + 1,
					color);
			if (e) {
				fprintf(f, "  %s [color=\"%s\", penwidth=3, xlabel=\"%s%d: ", cur, h->no_facts ? "#3a6ea5" : "#c0182a",
					h->no_facts ? "? " : "", i + 1);
				esc(f, e->type);
				fputs(" ", f);
				esc(f, conn_issue_label(e));
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
	/*
	 * The drawing and the hops side by side, the drawing scaled to what is left beside the table;
	 * narrower than both can be read side by side, the table under a shorter drawing.
	 */
	fputs("</title>\n<style>body{font-family:sans-serif;margin:16px;color:#223}h1{font-size:18px;margin:0 0 6px}"
	      "p{margin:4px 0}#info{min-height:1.5em;color:#445}.node:hover rect{stroke-width:3}"
	      "#main{display:flex;gap:16px;align-items:flex-start}#drawing{flex:1 1 auto;min-width:0}"
	      "#drawing svg{display:block;width:100%;height:auto;max-height:calc(100vh - 110px)}"
	      "#side{flex:0 0 400px}table{border-collapse:collapse;width:100%}"
	      "td,th{border:1px solid #ccd;padding:3px 6px;font-size:12px;text-align:left;vertical-align:top;overflow-wrap:break-word}"
	      "td small{color:#556}.err{color:#c0182a}.unans{color:#3a6ea5}"
	      "@media (max-width:1100px){#main{flex-direction:column}#side{flex:none;width:100%}"
	      "#drawing svg{max-height:55vh}}</style></head>\n<body>\n<h1>",
	      f);
	esc(f, title);
	fprintf(f, "</h1>\n<p>%zu virtual networks, %zu subnets, %zu network interfaces, %zu NSGs, %zu route tables.",
		t->nvnets, t->nsubnets, t->nnics, t->nnsgs, t->nrts);
	if (cr)
		fprintf(f, " Probe: <b id=\"status\">%s</b>%s, %u sent, %u failed.", path_state(cr),
			strcmp(path_state(cr), "Routed") ? "" : " (to an end the topology has no host facts for: no answer simulated)",
			cr->probes_sent, cr->probes_failed);
	fputs("</p>\n<p id=\"info\">Point at a box for its details.</p>\n<div id=\"main\"><div id=\"drawing\">\n", f);
	write_svg(f, t, L, cr);
	fputs("</div>\n<div id=\"side\"><table id=\"hops\"><thead><tr><th>#</th><th>hop</th><th>address</th>"
	      "<th>issues</th></tr></thead><tbody></tbody></table></div></div>\n", f);
	/* The hops as data; the script below fills the table from them and wires the hovering. */
	fputs("<script type=\"application/json\" id=\"hop-data\">[", f);
	for (int i = 0; cr && i < cr->nhops; i++) {
		const struct conn_hop *h = &cr->hops[i];
		const char *res = strrchr(h->resource, '/');

		fprintf(f, "%s{\"type\":\"%s\",\"unanswered\":%s,\"resource\":\"", i ? "," : "", h->type, h->no_facts ? "true" : "false");
		esc(f, res ? res + 1 : h->resource);
		fprintf(f, "\",\"address\":\"%s\",\"issues\":[", h->has_ip ? nws_ip_str(&h->ip, ip) : "");
		for (int k = 0; k < h->nissues; k++) {
			fprintf(f, "%s\"%s %s", k ? "," : "", h->issues[k].severity, h->issues[k].type);
			if (h->issues[k].key[0]) {
				fputs(": ", f);
				esc(f, h->issues[k].key);
				fputs("=", f);
				esc(f, conn_issue_label(&h->issues[k]));
			}
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
	      "    [String(i + 1), h.type, h.address, h.issues.join('; ')].forEach(function(v, k){\n"
	      "      var td = document.createElement('td'); td.textContent = v;\n"
	      "      if (k == 1 && h.resource) { td.appendChild(document.createElement('br'));\n"
	      "        var s = document.createElement('small'); s.textContent = h.resource; td.appendChild(s); }\n"
	      "      if (k == 3 && v) td.className = h.unanswered ? 'unans' : 'err'; tr.appendChild(td);\n"
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
		{ "--output-file", 0, &out, NULL, NULL }, { "--path-from", 0, &from, NULL, NULL },
		{ "--path-to", 0, &to, NULL, NULL },      { "--port", 0, &port, NULL, NULL },  { "--protocol", 0, &proto, NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
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
		if (conn_feed_init(&fd, &app, 0, &err) < 0 || feed_launch(&fd, &err) < 0 ||
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
	dp_eal_exit_begin();
	feed_free(&fd);
	app_close(&app);
	if (rc != CLI_OK)
		return cli_die(rc, &err);
	return rc;
usage:
	nws_err_prefix(&err, "topology: ");
	return cli_die(CLI_USAGE, &err);
}
