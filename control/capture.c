#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "cli.h"

/* File magics, as read in the file's own byte order. */
#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_MAGIC_KUZNETZOV 0xa1b2cd34u /* a patched libpcap's: 24-byte record headers */
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_BOM 0x1a2b3c4du

/* pcapng block types nwsim reads; the others are skipped, as Wireshark skips them. */
#define PCAPNG_IDB 1u
#define PCAPNG_OPB 2u /* obsolete packet block */
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u
#define PCAPNG_JOURNAL 9u /* systemd journal export: a record Wireshark counts, holding no packet */

/* pcapng interface options. */
#define IDB_OPT_TSRESOL 9
#define IDB_OPT_TSOFFSET 14

/* Bits 16-25 of a pcap header's link type field are reserved and must be 0. */
#define PCAP_LINKTYPE_RESERVED 0x03ff0000u

#define CAP_CHUNK (256u << 10)

static uint32_t swap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint32_t rd32(const struct cap_file *cf, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return cf->swapped ? swap32(v) : v;
}

static uint16_t rd16(const struct cap_file *cf, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return cf->swapped ? __builtin_bswap16(v) : v;
}

static uint64_t rd64(const struct cap_file *cf, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return cf->swapped ? __builtin_bswap64(v) : v;
}

/* ---- the source: a file descriptor or memory, inflated when gzip-compressed ------------------ */

static ssize_t raw_read(struct cap_file *cf, uint8_t *dst, size_t n)
{
	if (cf->fd < 0) {
		size_t k = cf->memlen - cf->mempos < n ? cf->memlen - cf->mempos : n;

		memcpy(dst, cf->mem + cf->mempos, k);
		cf->mempos += k;
		cf->raw_done += k;
		return (ssize_t)k;
	}
	for (;;) {
		ssize_t r = read(cf->fd, dst, n);

		if (r >= 0) {
			cf->raw_done += (uint64_t)r;
			return r;
		}
		if (errno != EINTR) {
			snprintf(cf->ioerr, sizeof(cf->ioerr), "read error: %s", strerror(errno));
			return -1;
		}
	}
}

/* Up to n decoded bytes into dst; 0 at the end, -1 (cf->ioerr) on an error. */
static ssize_t src_read(struct cap_file *cf, uint8_t *dst, size_t n)
{
	if (!cf->gz)
		return raw_read(cf, dst, n);
	z_stream *z = &cf->z;

	z->next_out = dst;
	z->avail_out = (uInt)n;
	while (z->avail_out == n) {
		if (z->avail_in == 0) {
			ssize_t r = raw_read(cf, cf->zin, CAP_CHUNK);

			if (r < 0)
				return -1;
			if (r == 0) {
				if (!cf->z_live)
					return 0; /* the last member ended where the file does */
				snprintf(cf->ioerr, sizeof(cf->ioerr), "the gzip stream ends early (the file was cut short)");
				return -1;
			}
			z->next_in = cf->zin;
			z->avail_in = (uInt)r;
		}
		if (!cf->z_live) { /* another gzip member follows the last one (as `cat a.gz b.gz` makes) */
			if (inflateReset(z) != Z_OK) {
				snprintf(cf->ioerr, sizeof(cf->ioerr), "gzip: cannot restart the decoder");
				return -1;
			}
			cf->z_live = true;
		}
		int rc = inflate(z, Z_NO_FLUSH);

		if (rc == Z_STREAM_END) {
			cf->z_live = false;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(cf->ioerr, sizeof(cf->ioerr), "gzip: %s", z->msg ? z->msg : "invalid compressed data");
			return -1;
		}
	}
	return (ssize_t)(n - z->avail_out);
}

/*
 * At least n bytes from buf[pos] when the file has them. Returns how many there are (fewer only
 * at the end), or -1 on a read or gzip error. n is at most CAP_MAX_BLOCK + a block's header.
 */
static ssize_t need(struct cap_file *cf, size_t n)
{
	while (cf->len - cf->pos < n && !cf->src_end) {
		if (cf->pos > 0) {
			memmove(cf->buf, cf->buf + cf->pos, cf->len - cf->pos);
			cf->len -= cf->pos;
			cf->pos = 0;
		}
		size_t want = n > CAP_CHUNK ? n : CAP_CHUNK;

		if (cf->cap < want) {
			uint8_t *nb = realloc(cf->buf, want);

			if (!nb) {
				snprintf(cf->ioerr, sizeof(cf->ioerr), "out of memory");
				return -1;
			}
			cf->buf = nb;
			cf->cap = want;
		}
		ssize_t r = src_read(cf, cf->buf + cf->len, cf->cap - cf->len);

		if (r < 0)
			return -1;
		if (r == 0)
			cf->src_end = true;
		cf->len += (size_t)r;
	}
	return (ssize_t)(cf->len - cf->pos);
}

static void take(struct cap_file *cf, size_t n)
{
	cf->pos += n;
	cf->offset += n;
}

/* ---- link types ---------------------------------------------------------------------------- */

int cap_link_of(uint16_t linktype, enum dp_link *l)
{
	switch (linktype) {
	case 1: /* LINKTYPE_ETHERNET */
		*l = DP_LINK_ETHERNET;
		return 0;
	case 113: /* LINKTYPE_LINUX_SLL */
		*l = DP_LINK_LINUX_SLL;
		return 0;
	case 276: /* LINKTYPE_LINUX_SLL2 */
		*l = DP_LINK_LINUX_SLL2;
		return 0;
	case 101: /* LINKTYPE_RAW */
	case 12:  /* DLT_RAW as most systems number it, found in old files */
	case 14:  /* DLT_RAW on BSD/OS and OpenBSD */
	case 228: /* LINKTYPE_IPV4 */
	case 229: /* LINKTYPE_IPV6 */
		*l = DP_LINK_RAW;
		return 0;
	case 0:   /* LINKTYPE_NULL: the address family in the capturing host's byte order */
	case 108: /* LINKTYPE_LOOP: the same in network byte order */
		*l = DP_LINK_NULL;
		return 0;
	case 104: /* LINKTYPE_C_HDLC: Cisco HDLC */
		*l = DP_LINK_C_HDLC;
		return 0;
	case 9:  /* LINKTYPE_PPP */
	case 50: /* LINKTYPE_PPP_HDLC */
		*l = DP_LINK_PPP;
		return 0;
	default:
		return -1;
	}
}

const char *cap_linktype_name(uint16_t linktype, char *buf, size_t len)
{
	/* libpcap names DLT_ values; a file's LINKTYPE_RAW is its DLT_RAW. */
	int dlt = linktype == 101 || linktype == 14 ? DLT_RAW : linktype;
	const char *n = pcap_datalink_val_to_name(dlt);

	if (n)
		return n;
	snprintf(buf, len, "LINKTYPE_%u", linktype);
	return buf;
}

static int add_iface(struct cap_file *cf, uint16_t linktype, uint32_t snaplen)
{
	if (cf->nifs == cf->ifcap) {
		size_t nc = cf->ifcap ? cf->ifcap * 2 : 4;
		struct cap_iface *ni = realloc(cf->ifs, nc * sizeof(*ni));

		if (!ni)
			return -1;
		cf->ifs = ni;
		cf->ifcap = nc;
	}
	struct cap_iface *i = &cf->ifs[cf->nifs++];
	enum dp_link l;

	*i = (struct cap_iface){ .linktype = linktype, .snaplen = snaplen, .tsres = 6, .link = -1 };
	if (cap_link_of(linktype, &l) == 0)
		i->link = (int)l;
	if (!cf->have_first) {
		cf->first_linktype = linktype;
		cf->have_first = true;
	}
	return 0;
}

/* ---- opening ------------------------------------------------------------------------------ */

/* What a file that is not a capture looks like, so that the refusal says what to do. */
static void not_a_capture(const struct cap_file *cf, const uint8_t *p, size_t n, struct nws_err *err)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *what;
	} known[] = {
		{ "BZh", 3, "this is bzip2-compressed: pipe it through bzcat (nwsim reads gzip itself)" },
		{ "\xfd" "7zXZ", 5, "this is xz-compressed: pipe it through xzcat (nwsim reads gzip itself)" },
		{ "\x28\xb5\x2f\xfd", 4, "this is zstd-compressed: pipe it through zstdcat (nwsim reads gzip itself)" },
		{ "PK\x03\x04", 4, "this is a zip archive: unzip it first" },
		{ "snoop\0\0\0", 8, "this is a Solaris snoop capture: convert it to pcap with editcap" },
	};

	if (n == 0) {
		nws_err_set(err, "%s: empty file: not a pcap or pcapng capture", cf->name);
		return;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (n >= known[i].len && !memcmp(p, known[i].magic, known[i].len)) {
			nws_err_set(err, "%s: %s", cf->name, known[i].what);
			return;
		}
	size_t k = 0;

	while (k < n && (p[k] == ' ' || p[k] == '\n' || p[k] == '\r' || p[k] == '\t'))
		k++;
	if (k < n && (p[k] == '{' || p[k] == '[')) {
		nws_err_set(err, "%s: this is JSON, not a pcap or pcapng capture", cf->name);
		return;
	}
	bool text = true;

	for (size_t i = 0; i < n && i < 8; i++)
		text &= (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' || p[i] == '\r' || p[i] == '\t';
	if (text) {
		nws_err_set(err, "%s: this is text, not a pcap or pcapng capture", cf->name);
		return;
	}
	char hex[3 * 8 + 1] = "";
	size_t used = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		used += (size_t)snprintf(hex + used, sizeof(hex) - used, "%s%02x", i ? " " : "", p[i]);
	nws_err_set(err, "%s: not a pcap or pcapng capture (it begins %s)", cf->name, hex);
}

static int open_pcap(struct cap_file *cf, uint32_t magic, struct nws_err *err)
{
	if (need(cf, 24) < 24)
		return nws_err_set(err, "%s: cut short in the pcap file header (%zu of 24 bytes)", cf->name, cf->len - cf->pos);
	const uint8_t *h = cf->buf + cf->pos;
	uint16_t major = rd16(cf, h + 4), minor = rd16(cf, h + 6);
	uint32_t snaplen = rd32(cf, h + 16), ltfield = rd32(cf, h + 20);

	if (major < 2)
		return nws_err_set(err, "%s: pcap version %u.%u is archaic (before libpcap 0.4, 1998): nwsim reads versions 2.0 to 2.4", cf->name, major, minor);
	if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0)))
		return nws_err_set(err, "%s: pcap version %u.%u is not one nwsim reads (2.0 to 2.4)", cf->name, major, minor);
	if (ltfield & PCAP_LINKTYPE_RESERVED)
		return nws_err_set(err, "%s: the link type field 0x%08x has reserved bits set (16-25): the file header is damaged",
				   cf->name, ltfield);
	cf->nsec = magic == PCAP_MAGIC_NSEC;
	cf->hdrlen = magic == PCAP_MAGIC_KUZNETZOV ? 24 : 16;
	/* Versions before 2.3 (and DG/UX's 543.0) put the wire length first; some 2.3 files too. */
	cf->lengths_swapped = major == 543 || (major == 2 && minor < 3) ? 1 : major == 2 && minor == 3 ? 2 : 0;
	if (snaplen == 0 || snaplen > CAP_MAX_CAPLEN)
		snaplen = CAP_MAX_CAPLEN;
	if (add_iface(cf, (uint16_t)(ltfield & 0xffff), snaplen) < 0)
		return nws_err_set(err, "%s: out of memory", cf->name);
	take(cf, 24);
	return 0;
}

/* The options of an interface description block: timestamp resolution and offset. */
static void idb_options(struct cap_file *cf, struct cap_iface *i, const uint8_t *o, size_t n)
{
	while (n >= 4) {
		uint16_t code = rd16(cf, o), len = rd16(cf, o + 2);
		size_t padded = ((size_t)len + 3) & ~(size_t)3;

		if (code == 0 || padded > n - 4)
			return; /* opt_endofopt, or an option that runs past the block: the rest is ignored */
		if (code == IDB_OPT_TSRESOL && len == 1)
			i->tsres = o[4];
		else if (code == IDB_OPT_TSOFFSET && len == 8)
			i->tsoffset = (int64_t)rd64(cf, o + 4);
		o += 4 + padded;
		n -= 4 + padded;
	}
}

/* Ticks of an interface's resolution in nanoseconds. */
static uint64_t ticks_ns(const struct cap_iface *i, uint64_t ticks)
{
	unsigned __int128 v = ticks;
	uint8_t e = i->tsres & 0x7f;

	if (i->tsres & 0x80) {
		v = e < 64 ? (v * 1000000000u) >> e : 0;
	} else if (e <= 9) {
		for (unsigned k = e; k < 9; k++)
			v *= 10;
	} else {
		for (unsigned k = 9; k < e && v; k++)
			v /= 10;
	}
	v += (unsigned __int128)((__int128)i->tsoffset * 1000000000);
	return (uint64_t)v;
}

static int open_common(struct cap_file *cf, struct nws_err *err)
{
	uint8_t head[2];
	ssize_t r = cf->fd >= 0 ? raw_read(cf, head, 2) : (ssize_t)(cf->memlen < 2 ? cf->memlen : 2);

	if (r < 0)
		return nws_err_set(err, "%s: %s", cf->name, cf->ioerr);
	if (cf->fd < 0)
		memcpy(head, cf->mem, (size_t)r);
	cf->gz = r == 2 && head[0] == 0x1f && head[1] == 0x8b;
	cf->buf = malloc(CAP_CHUNK);
	cf->zin = cf->gz ? malloc(CAP_CHUNK) : NULL;
	if (!cf->buf || (cf->gz && !cf->zin))
		return nws_err_set(err, "%s: out of memory", cf->name);
	cf->cap = CAP_CHUNK;
	if (cf->gz) {
		/* 16 + MAX_WBITS: a gzip header and trailer around the deflate stream. */
		if (inflateInit2(&cf->z, 16 + MAX_WBITS) != Z_OK)
			return nws_err_set(err, "%s: gzip: cannot start the decoder", cf->name);
		cf->z_live = true;
		if (cf->fd >= 0) {
			memcpy(cf->zin, head, 2);
			cf->z.next_in = cf->zin;
			cf->z.avail_in = 2;
		}
	} else if (cf->fd >= 0) {
		memcpy(cf->buf, head, (size_t)r);
		cf->len = (size_t)r;
	}
	ssize_t n = need(cf, 8);

	if (n < 0)
		return nws_err_set(err, "%s: %s", cf->name, cf->ioerr);
	if (n < 4) {
		not_a_capture(cf, cf->buf + cf->pos, (size_t)n, err);
		return -1;
	}
	uint32_t m;

	memcpy(&m, cf->buf + cf->pos, 4);
	if (m == PCAPNG_SHB) {
		cf->ng = true;
		if (need(cf, 12) < 12)
			return nws_err_set(err, "%s: cut short in the pcapng section header", cf->name);
		return 0; /* the section header is read as the first block */
	}
	if (m == PCAP_MAGIC_USEC || m == PCAP_MAGIC_NSEC || m == PCAP_MAGIC_KUZNETZOV)
		return open_pcap(cf, m, err);
	m = swap32(m);
	if (m == PCAP_MAGIC_USEC || m == PCAP_MAGIC_NSEC || m == PCAP_MAGIC_KUZNETZOV) {
		cf->swapped = true;
		return open_pcap(cf, m, err);
	}
	not_a_capture(cf, cf->buf + cf->pos, (size_t)n, err);
	return -1;
}

static int blocks_until_packet(struct cap_file *cf, struct nws_err *err);

static int open_finish(struct cap_file *cf, struct nws_err *err)
{
	if (open_common(cf, err) < 0)
		goto fail;
	if (!cf->ng) {
		enum dp_link l;

		if (cap_link_of(cf->ifs[0].linktype, &l) < 0) {
			char nb[32];

			nws_err_set(err, "%s: link type %u (%s) is not supported: Ethernet, Linux cooked, raw IP, BSD loopback, Cisco HDLC or PPP",
				    cf->name, cf->ifs[0].linktype, cap_linktype_name(cf->ifs[0].linktype, nb, sizeof(nb)));
			goto fail;
		}
		return 0;
	}
	/* The section header and the interfaces described before the first packet, so that the
	 * file's link type is known now; a damaged header refuses the file. */
	if (blocks_until_packet(cf, err) < 0)
		goto fail;
	return 0;
fail:;
	/* Nothing is left open; the name stays, for the caller's report. */
	const char *name = cf->name;

	cap_close(cf);
	cf->name = name;
	return -1;
}

int cap_open(struct cap_file *cf, const char *path, struct nws_err *err)
{
	struct stat st;

	memset(cf, 0, sizeof(*cf));
	cf->name = strcmp(path, "-") ? path : "stdin";
	cf->fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	if (cf->fd < 0)
		return nws_err_set(err, "%s: %s", cf->name, strerror(errno));
	if (fstat(cf->fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			close(cf->fd);
			cf->fd = -1;
			return nws_err_set(err, "%s: is a directory", cf->name);
		}
		if (S_ISREG(st.st_mode))
			cf->raw_size = (uint64_t)st.st_size;
	}
	return open_finish(cf, err);
}

int cap_open_mem(struct cap_file *cf, const char *name, const uint8_t *data, size_t size, struct nws_err *err)
{
	memset(cf, 0, sizeof(*cf));
	cf->name = name;
	cf->fd = -1;
	cf->mem = data;
	cf->memlen = size;
	cf->raw_size = size;
	return open_finish(cf, err);
}

void cap_close(struct cap_file *cf)
{
	if (cf->fd >= 0)
		close(cf->fd);
	if (cf->gz)
		inflateEnd(&cf->z);
	free(cf->zin);
	free(cf->buf);
	free(cf->ifs);
	memset(cf, 0, sizeof(*cf));
	cf->fd = -1;
}

/* ---- records ------------------------------------------------------------------------------- */

/* The file ends or breaks at record rec->no: say so, and whether that record counts. */
static int fail(struct cap_file *cf, struct cap_rec *rec, int why, struct nws_err *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(struct cap_file *cf, struct cap_rec *rec, int why, struct nws_err *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf->dead = true;
	rec->no = cf->records + 1;
	rec->why = why;
	if (why >= 0)
		cf->records++;
	/* Before the first record (opening), the file is what is damaged: no record to name. */
	if (cf->opening)
		return nws_err_set(err, "%s: %s", cf->name, msg);
	return nws_err_set(err, "%s: record %" PRIu64 ": %s", cf->name, rec->no, msg);
}

/* A read error, or the source's end inside something that was under way. */
static int cut(struct cap_file *cf, struct cap_rec *rec, bool counted, struct nws_err *err, const char *where, size_t have,
	       size_t want)
{
	int why = counted ? DP_UNPARSED_CAPTURE_CUT : -1;

	if (cf->ioerr[0])
		return fail(cf, rec, counted ? DP_UNPARSED_CAPTURE_DAMAGED : -1, err, "%s", cf->ioerr);
	return fail(cf, rec, why, err, "the file is cut short in %s (%zu of %zu bytes)", where, have, want);
}

static int pcap_next_rec(struct cap_file *cf, struct cap_rec *rec, struct nws_err *err)
{
	ssize_t n = need(cf, cf->hdrlen);

	if (n == 0)
		return 0;
	if (n < (ssize_t)cf->hdrlen)
		return cut(cf, rec, n > 0, err, "a record header", n > 0 ? (size_t)n : 0, cf->hdrlen);
	const uint8_t *h = cf->buf + cf->pos;
	uint32_t sec = rd32(cf, h), frac = rd32(cf, h + 4), caplen = rd32(cf, h + 8), len = rd32(cf, h + 12);

	if (cf->lengths_swapped == 1 || (cf->lengths_swapped == 2 && caplen > len)) {
		uint32_t t = caplen;

		caplen = len;
		len = t;
	}
	if (caplen > CAP_MAX_CAPLEN)
		return fail(cf, rec, DP_UNPARSED_CAPTURE_DAMAGED, err, "invalid packet capture length %" PRIu32 ", bigger than the maximum of %u",
			    caplen, CAP_MAX_CAPLEN);
	n = need(cf, cf->hdrlen + caplen);
	if (n < (ssize_t)(cf->hdrlen + caplen))
		return cut(cf, rec, true, err, "a packet", n > (ssize_t)cf->hdrlen ? (size_t)n - cf->hdrlen : 0, caplen);
	h = cf->buf + cf->pos;
	rec->no = ++cf->records;
	rec->data = h + cf->hdrlen;
	rec->caplen = caplen;
	rec->len = len < caplen ? caplen : len;
	rec->ts_ns = (uint64_t)sec * 1000000000u + (cf->nsec ? frac : (uint64_t)frac * 1000u);
	rec->linktype = cf->ifs[0].linktype;
	rec->link = cf->ifs[0].link;
	rec->packet = true;
	rec->why = -1;
	take(cf, cf->hdrlen + caplen);
	return 1;
}

/* A section header block at buf[pos] (12 bytes there): the byte order, the version. */
static int pcapng_section(struct cap_file *cf, struct cap_rec *rec, struct nws_err *err, uint32_t *total)
{
	uint32_t bom;

	memcpy(&bom, cf->buf + cf->pos + 8, 4);
	if (bom == PCAPNG_BOM)
		cf->swapped = false;
	else if (swap32(bom) == PCAPNG_BOM)
		cf->swapped = true;
	else
		return fail(cf, rec, -1, err, "section header at offset %" PRIu64 ": byte-order magic 0x%08x is neither 0x1a2b3c4d nor its reverse",
			    cf->offset, bom);
	*total = rd32(cf, cf->buf + cf->pos + 4);
	return 0;
}

/* The next block of a pcapng file: a packet record (1), the end (0) or damage (-1). */
static int pcapng_next_rec(struct cap_file *cf, struct cap_rec *rec, bool stop_before_packet, struct nws_err *err)
{
	for (;;) {
		ssize_t n = need(cf, 12);

		if (n == 0)
			return 0;
		if (n < 0 || n < 12)
			return cut(cf, rec, false, err, "a block header", n > 0 ? (size_t)n : 0, 12);
		const uint8_t *b = cf->buf + cf->pos;
		uint32_t type, total = 0;

		memcpy(&type, b, 4);
		if (type == PCAPNG_SHB) {
			if (pcapng_section(cf, rec, err, &total) < 0)
				return -1;
		} else {
			type = rd32(cf, b);
			total = rd32(cf, b + 4);
		}
		bool is_packet = type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_OPB || type == PCAPNG_JOURNAL;

		if (is_packet && stop_before_packet)
			return 1;
		if (total < 12 || total % 4)
			return fail(cf, rec, is_packet ? DP_UNPARSED_CAPTURE_DAMAGED : -1, err,
				    "block at offset %" PRIu64 " (type 0x%08x): length %" PRIu32 " is %s", cf->offset, type, total,
				    total < 12 ? "below the 12 bytes a block takes" : "not a multiple of 4");
		if (total > CAP_MAX_BLOCK)
			return fail(cf, rec, is_packet ? DP_UNPARSED_CAPTURE_DAMAGED : -1, err,
				    "block at offset %" PRIu64 " (type 0x%08x): length %" PRIu32 " is larger than the %u MiB nwsim takes for a block",
				    cf->offset, type, total, CAP_MAX_BLOCK >> 20);
		n = need(cf, total);
		if (n < (ssize_t)total)
			return cut(cf, rec, is_packet, err, is_packet ? "a packet" : "a block", n > 0 ? (size_t)n : 0, total);
		b = cf->buf + cf->pos;
		if (rd32(cf, b + total - 4) != total)
			return fail(cf, rec, is_packet ? DP_UNPARSED_CAPTURE_DAMAGED : -1, err,
				    "block at offset %" PRIu64 " (type 0x%08x): its closing length %" PRIu32 " differs from its opening %" PRIu32,
				    cf->offset, type, rd32(cf, b + total - 4), total);
		const uint8_t *body = b + 8;
		uint32_t blen = total - 12;

		switch (type) {
		case PCAPNG_SHB: {
			if (blen < 16)
				return fail(cf, rec, -1, err, "section header at offset %" PRIu64 ": %" PRIu32 " bytes, below 28",
					    cf->offset, total);
			uint16_t major = rd16(cf, body + 4), minor = rd16(cf, body + 6);

			if (major != 1)
				return fail(cf, rec, -1, err, "section header at offset %" PRIu64 ": pcapng version %u.%u is not 1.x",
					    cf->offset, major, minor);
			cf->nifs = 0; /* a new section describes its interfaces anew */
			break;
		}
		case PCAPNG_IDB: {
			if (blen < 8)
				return fail(cf, rec, -1, err, "interface description at offset %" PRIu64 ": %" PRIu32 " bytes, below 20",
					    cf->offset, total);
			uint32_t snap = rd32(cf, body + 4);

			if (add_iface(cf, rd16(cf, body), snap == 0 || snap > CAP_MAX_CAPLEN ? CAP_MAX_CAPLEN : snap) < 0)
				return fail(cf, rec, -1, err, "out of memory");
			idb_options(cf, &cf->ifs[cf->nifs - 1], body + 8, blen - 8);
			break;
		}
		case PCAPNG_EPB:
		case PCAPNG_OPB:
		case PCAPNG_SPB:
		case PCAPNG_JOURNAL: {
			uint32_t ifid = 0, caplen, len, hdr;
			uint64_t ts = 0;
			bool has_ts = true;

			if (type == PCAPNG_EPB || type == PCAPNG_OPB) {
				hdr = 20;
				if (blen < hdr)
					return fail(cf, rec, DP_UNPARSED_CAPTURE_DAMAGED, err, "packet block of %" PRIu32 " bytes, below 32", total);
				ifid = type == PCAPNG_EPB ? rd32(cf, body) : rd16(cf, body);
				ts = (uint64_t)rd32(cf, body + 4) << 32 | rd32(cf, body + 8);
				caplen = rd32(cf, body + 12);
				len = rd32(cf, body + 16);
			} else if (type == PCAPNG_SPB) {
				hdr = 4;
				if (blen < hdr)
					return fail(cf, rec, DP_UNPARSED_CAPTURE_DAMAGED, err, "simple packet block of %" PRIu32 " bytes, below 16", total);
				len = rd32(cf, body);
				caplen = len < blen - hdr ? len : blen - hdr;
				has_ts = false;
			} else {
				hdr = 0;
				len = caplen = blen;
				has_ts = false;
			}
			if (type != PCAPNG_JOURNAL && ifid >= cf->nifs)
				return fail(cf, rec, DP_UNPARSED_CAPTURE_DAMAGED, err, "interface %" PRIu32 " is not described (the section describes %zu)",
					    ifid, cf->nifs);
			const struct cap_iface *i = type == PCAPNG_JOURNAL ? NULL : &cf->ifs[ifid];

			if (type == PCAPNG_SPB && i->snaplen && caplen > i->snaplen)
				caplen = i->snaplen;
			if (caplen > CAP_MAX_CAPLEN)
				return fail(cf, rec, DP_UNPARSED_CAPTURE_DAMAGED, err,
					    "invalid packet capture length %" PRIu32 ", bigger than the maximum of %u", caplen, CAP_MAX_CAPLEN);
			if (caplen > blen - hdr)
				return fail(cf, rec, DP_UNPARSED_CAPTURE_DAMAGED, err,
					    "packet capture length %" PRIu32 " runs past its %" PRIu32 "-byte block", caplen, total);
			rec->no = ++cf->records;
			rec->data = body + hdr;
			rec->caplen = caplen;
			rec->len = len < caplen ? caplen : len;
			rec->ts_ns = has_ts ? ticks_ns(i, ts) : cf->last_ts;
			cf->last_ts = rec->ts_ns;
			rec->linktype = i ? i->linktype : 0;
			rec->link = i ? i->link : -1;
			rec->packet = i != NULL;
			rec->why = -1;
			take(cf, total);
			return 1;
		}
		default:
			break; /* name resolution, statistics, secrets, custom blocks: nothing to replay */
		}
		take(cf, total);
	}
}

static int blocks_until_packet(struct cap_file *cf, struct nws_err *err)
{
	struct cap_rec rec;
	int rc;

	cf->opening = true;
	rc = pcapng_next_rec(cf, &rec, true, err);
	cf->opening = false;
	return rc < 0 ? -1 : 0;
}

int cap_next(struct cap_file *cf, struct cap_rec *rec, struct nws_err *err)
{
	if (cf->dead)
		return 0;
	return cf->ng ? pcapng_next_rec(cf, rec, false, err) : pcap_next_rec(cf, rec, err);
}

/* ---- items --------------------------------------------------------------------------------- */

void cap_item(const struct cap_rec *rec, struct dp_item *it)
{
	it->wire_len = rec->len;
	it->ts_ns = rec->ts_ns;
	if (!rec->packet) {
		it->unparsed = DP_UNPARSED_NOT_A_PACKET;
		return;
	}
	if (rec->link < 0) {
		it->unparsed = DP_UNPARSED_LINK_TYPE;
		return;
	}
	it->unparsed = dp_parse((enum dp_link)rec->link, rec->data, rec->caplen, &it->pkt, &it->unparsed) < 0 ? it->unparsed : -1;
}

void cap_item_failed(const struct cap_rec *rec, struct dp_item *it)
{
	it->unparsed = rec->why;
	it->wire_len = 0;
	it->ts_ns = 0;
}

/* ---- writing ------------------------------------------------------------------------------- */

int cap_writer_open(struct cap_writer *w, uint16_t linktype, struct nws_err *err)
{
	char a[32], b[32];

	if (!w->path)
		return 0;
	if (w->f) {
		if (w->linktype != linktype)
			return nws_err_set(err, "%s: the packets have different link types (%s and %s); one output capture holds one",
					   w->path, cap_linktype_name(w->linktype, a, sizeof(a)), cap_linktype_name(linktype, b, sizeof(b)));
		return 0;
	}
	/* The nanosecond pcap header: magic, version 2.4, zone, accuracy, snapshot length, link type. */
	uint32_t hdr[6] = { PCAP_MAGIC_NSEC, 2u | 4u << 16, 0, 0, CAP_MAX_CAPLEN, linktype };

	w->f = fopen(w->path, "wb");
	if (!w->f || fwrite(hdr, sizeof(hdr), 1, w->f) != 1)
		return nws_err_set(err, "%s: cannot write: %s", w->path, strerror(errno));
	w->linktype = linktype;
	return 0;
}

int cap_writer_put(struct cap_writer *w, uint64_t ts_ns, uint32_t len, const uint8_t *data, uint32_t caplen)
{
	uint32_t h[4] = { (uint32_t)(ts_ns / 1000000000u), (uint32_t)(ts_ns % 1000000000u), caplen, len };

	if (fwrite(h, sizeof(h), 1, w->f) != 1 || (caplen && fwrite(data, caplen, 1, w->f) != 1))
		return -1;
	return 0;
}

int cap_writer_close(struct cap_writer *w, struct nws_err *err)
{
	int rc = w->f ? cli_close_file(w->f, w->path, err) : 0;

	w->f = NULL;
	return rc;
}
