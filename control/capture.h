/*
 * Reading captures: pcap and pcapng files, plain or gzip-compressed, from a file, standard input
 * or memory, one record at a time, and what a record becomes for the engine. Shared by replay and
 * the capture fuzz harness, so that what is fuzzed is what replay runs.
 *
 * nwsim reads the files itself rather than through libpcap: libpcap's pcapng reader refuses a
 * file whose interfaces differ in link type or snapshot length (merged captures), and its
 * errors end a capture the same way its end does. Here every record is read or the file is
 * named damaged at that record, with the reason.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <zlib.h>

#include "dp_engine.h"
#include "nws_err.h"

/* The most a record may hold, as libpcap and Wireshark bound it for the link types nwsim reads. */
#define CAP_MAX_CAPLEN 262144u
/* A pcapng block larger than this is taken for damage (Wireshark's bound is of the same order). */
#define CAP_MAX_BLOCK (16u << 20)

/* One interface of a pcapng section (a pcap file has one). */
struct cap_iface {
	uint16_t linktype; /* LINKTYPE_ value as the file has it */
	int link;          /* enum dp_link, or -1 when nwsim does not read this link type */
	uint32_t snaplen;
	uint8_t tsres;     /* if_tsresol: bit 7 set, a power of two; else a power of ten */
	int64_t tsoffset;  /* if_tsoffset, seconds */
};

/* The reader's state; written by cap_open and cap_next only. */
struct cap_file {
	const char *name;
	int fd;                  /* -1 when reading from memory */
	const uint8_t *mem;      /* the memory read from (fd -1) */
	size_t memlen, mempos;
	bool gz;                 /* gzip-compressed: inflated as it is read */
	bool z_live;
	z_stream z;
	uint8_t *zin;            /* compressed bytes waiting for inflate */
	uint8_t *buf;            /* decoded bytes; a record points into it until the next call */
	size_t cap, len, pos;
	bool src_end;            /* the source has nothing more */
	char ioerr[160];         /* why the source failed, when it did */
	uint64_t raw_done;       /* bytes of the file taken so far (progress) */
	uint64_t raw_size;       /* the file's size; 0 when unknown (a pipe) */
	uint64_t offset;         /* offset in the decoded stream of buf[pos] */
	bool ng;                 /* pcapng, else pcap */
	bool swapped;            /* the file (pcap) or the section (pcapng) is in the other byte order */
	/* pcap */
	uint32_t hdrlen;         /* a record header's size: 16, or 24 in Kuznetzov's variant */
	bool nsec;               /* timestamps in nanoseconds */
	int lengths_swapped;     /* 0 no, 1 yes, 2 when the captured length exceeds the wire length */
	/* pcap: ifs[0]; pcapng: the current section's interfaces */
	struct cap_iface *ifs;
	size_t nifs, ifcap;
	uint16_t first_linktype; /* of the first interface the file describes */
	bool have_first;
	uint64_t records;        /* packet records read so far */
	uint64_t last_ts;        /* the last timestamp (a pcapng simple packet has none) */
	bool dead;               /* the file failed: no more records */
	bool opening;            /* cap_open reads the first blocks: errors name no record */
};

/* One record, as cap_next returned it. */
struct cap_rec {
	uint64_t no;          /* its number in the file, from 1 (tshark's frame number) */
	const uint8_t *data;  /* caplen bytes, valid until the next cap_next */
	uint32_t caplen, len; /* captured, and on the wire */
	uint64_t ts_ns;
	uint16_t linktype;
	int link;             /* enum dp_link, or -1 when nwsim does not read the record's link type */
	bool packet;          /* false for a record that holds no packet (a pcapng journal entry) */
	int why;              /* cap_next's -1: DP_UNPARSED_CAPTURE_CUT or _DAMAGED when the failed
			       * record is to be counted, -1 when no record was under way */
};

/*
 * Open path ("-": standard input) and read its file header; a gzip-compressed file is inflated
 * as it is read. -1 with err ("FILE: why") when it is not a capture nwsim can read.
 */
int cap_open(struct cap_file *cf, const char *path, struct nws_err *err);
/* The same over size bytes in memory, read as name. */
int cap_open_mem(struct cap_file *cf, const char *name, const uint8_t *data, size_t size, struct nws_err *err);
/*
 * The next record: 1, with rec filled; 0 at the end of the file; -1 when the file is cut short
 * or damaged ("FILE: record N: why"), rec->no and rec->why saying which record and whether it
 * counts. Nothing more is read after -1.
 */
int cap_next(struct cap_file *cf, struct cap_rec *rec, struct nws_err *err);
void cap_close(struct cap_file *cf);

/* The file's link type (of its first interface) by name ("EN10MB"), for summaries. */
const char *cap_linktype_name(uint16_t linktype, char *buf, size_t len);
/* The parser's link layer for a LINKTYPE_ value; -1 when nwsim cannot read it. */
int cap_link_of(uint16_t linktype, enum dp_link *l);

/* One record into an item: parsed, or unparsed with a reason. */
void cap_item(const struct cap_rec *rec, struct dp_item *it);
/* The item for a record cap_next could not finish (rec->why set): counted unparsed. */
void cap_item_failed(const struct cap_rec *rec, struct dp_item *it);

/* A pcap file written as records come (--write-allowed/--write-denied): nanosecond timestamps. */
struct cap_writer {
	const char *path;
	FILE *f;           /* open once the first record came (NULL before) */
	uint16_t linktype;
};

/* Open w->path for linktype's records; -1 when it cannot be written or holds another link type. */
int cap_writer_open(struct cap_writer *w, uint16_t linktype, struct nws_err *err);
int cap_writer_put(struct cap_writer *w, uint64_t ts_ns, uint32_t len, const uint8_t *data, uint32_t caplen);
/* Flush and close; -1 with err when anything written was lost. */
int cap_writer_close(struct cap_writer *w, struct nws_err *err);

#endif
