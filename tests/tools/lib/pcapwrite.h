/*
 * pcapwrite.h - writes synthetic but protocol-correct captures for tests
 * and benchmarks: Ethernet (optionally 802.1Q or QinQ tagged), IPv4 or
 * IPv6, TCP connections with handshake, data in both directions with
 * correct sequence and acknowledgement numbers, chosen segmentation,
 * out-of-order emission, retransmission with different content,
 * FIN/RST teardown, and UDP datagrams. Every checksum is correct, unless
 * pw_set_bad_checksums asks for wrong ones (insertion decoys, offload).
 *
 * Output is a classic pcap file (DLT_EN10MB, microsecond timestamps).
 * Nothing depends on the wall clock or on unseeded randomness: the same
 * calls write the same bytes.
 */
#ifndef PCAPWRITE_H
#define PCAPWRITE_H

#include <stddef.h>
#include <stdint.h>

/* Largest TCP or UDP payload one packet may carry. */
#define PW_MAX_PAYLOAD 65000

/* Largest Ethernet frame pw_frame accepts. */
#define PW_MAX_FRAME (PW_MAX_PAYLOAD + 128)

/* Default maximum segment size of a TCP connection. */
#define PW_DEFAULT_MSS 1460

/* Which way a packet of a connection or path travels. */
enum pw_dir {
	PW_TO_SERVER = 0, /* from the client (initiator) to the server */
	PW_TO_CLIENT = 1, /* from the server to the client */
};

/* One end of a conversation: address family, address, port, MAC. */
struct pw_endpoint {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; IPv4 uses the first 4 bytes */
	uint16_t port;	  /* host order */
	uint8_t mac[6];
};

/* The two ends of a conversation and the link-layer tags its frames carry. */
struct pw_path {
	struct pw_endpoint client; /* initiator */
	struct pw_endpoint server;
	uint16_t vlan_outer; /* VLAN id 1..4094 of the (outer) tag; 0 = untagged */
	uint16_t vlan_inner; /* inner VLAN id for QinQ; 0 = single tag */
	uint16_t outer_tpid; /* TPID of the outer tag; 0 = 0x88a8 for QinQ, 0x8100 otherwise */
};

/* An open capture file being written (opaque). */
struct pw_writer;

/*
 * Creates the capture file at path ("-" = stdout) and returns its writer,
 * with the clock at 0 and a per-packet gap of 0. On failure returns NULL
 * and puts a message into err (errlen bytes).
 */
struct pw_writer *pw_open(const char *path, char *err, size_t errlen);

/*
 * Flushes and closes the capture and frees w. Returns 0, or -1 when a
 * write failed at any point (the file is then incomplete).
 */
int pw_close(struct pw_writer *w);

/* Sets the clock (microseconds since the Unix epoch) used for the next packet. */
void pw_set_time(struct pw_writer *w, int64_t usec);

/* Moves the clock forward by usec (ignored when negative). */
void pw_advance(struct pw_writer *w, int64_t usec);

/* Returns the clock: the timestamp the next packet gets. */
int64_t pw_time(const struct pw_writer *w);

/* Sets how far the clock moves after each packet written (default 0). */
void pw_set_gap(struct pw_writer *w, int64_t usec);

/*
 * From now on, TCP and UDP packets travelling in the directions of mask
 * dirs (bit 1 << PW_TO_SERVER, 1 << PW_TO_CLIENT) carry a wrong checksum
 * (never zero), as a decoy an attacker inserts or a capture taken on a
 * host with checksum offload; 0 makes every checksum right again.
 */
void pw_set_bad_checksums(struct pw_writer *w, unsigned dirs);
/* The mask pw_set_bad_checksums set last (0 at first). */
unsigned pw_bad_checksums(const struct pw_writer *w);

/* Number of packets and of frame bytes written so far. */
uint64_t pw_packets(const struct pw_writer *w);
uint64_t pw_bytes(const struct pw_writer *w);

/* The message of the last failed call on w ("" when none failed). */
const char *pw_error(const struct pw_writer *w);

/*
 * Writes one complete Ethernet frame of len bytes (1..PW_MAX_FRAME)
 * at the current time, then advances the clock by the gap. Returns 0 or -1.
 */
int pw_frame(struct pw_writer *w, const uint8_t *frame, size_t len);

/*
 * Fills ep with an IPv4 address (host order), a port and a MAC derived
 * from the address (02:00:a:b:c:d), so different hosts differ.
 */
void pw_endpoint_ipv4(struct pw_endpoint *ep, uint32_t addr, uint16_t port);

/* Fills ep with an IPv6 address, a port and a MAC derived from the address's last 4 bytes. */
void pw_endpoint_ipv6(struct pw_endpoint *ep, const uint8_t addr[16], uint16_t port);

/*
 * Parses "a.b.c.d:port" or "[ipv6]:port" into ep (MAC derived from the
 * address as above). Returns 0, or -1 when text is not of that form.
 */
int pw_endpoint_parse(struct pw_endpoint *ep, const char *text);

/* Parses "xx:xx:xx:xx:xx:xx" into mac. Returns 0 or -1. */
int pw_mac_parse(uint8_t mac[6], const char *text);

/*
 * Writes one UDP datagram of len bytes (at most PW_MAX_PAYLOAD) along
 * path p in direction dir. Returns 0 or -1. The path's families must match.
 */
int pw_udp(struct pw_writer *w, const struct pw_path *p, enum pw_dir dir, const uint8_t *data,
	   size_t len);

/*
 * A TCP connection being written. Callers may set mss after pw_tcp_init;
 * the other fields are theirs to read only.
 */
struct pw_tcp {
	struct pw_writer *w;
	struct pw_path path;
	uint32_t next_seq[2]; /* next sequence number each direction sends */
	uint16_t ip_id[2];    /* next IPv4 identification each direction uses */
	size_t mss;	      /* default segment size of pw_tcp_send, announced in the SYN */
	int state;	      /* PW_TCP_* */
};

enum pw_tcp_state {
	PW_TCP_NEW = 0,	   /* nothing sent yet */
	PW_TCP_OPEN = 1,   /* handshake done (or mid-stream): data may flow */
	PW_TCP_CLOSED = 2, /* FIN exchange or RST sent: nothing more may be sent */
};

/*
 * Sets up c for a connection along p written to w, with the given initial
 * sequence numbers of client and server, and a segment size of
 * PW_DEFAULT_MSS. Writes nothing.
 */
void pw_tcp_init(struct pw_tcp *c, struct pw_writer *w, const struct pw_path *p,
		 uint32_t client_isn, uint32_t server_isn);

/*
 * Writes the three-way handshake (SYN with MSS, window scale and
 * SACK-permitted options; SYN-ACK; ACK) and opens c. Returns 0, or -1
 * when c is not new.
 */
int pw_tcp_handshake(struct pw_tcp *c);

/*
 * Opens c without a handshake, as when a capture starts in the middle
 * of a connection. Returns 0, or -1 when c is not new.
 */
int pw_tcp_midstream(struct pw_tcp *c);

/* How pw_tcp_send splits and emits one message. Zero-filled = defaults. */
struct pw_send_opts {
	size_t segment;	     /* payload bytes per segment; 0 = the connection's mss */
	int reverse;	     /* emit the segments last to first */
	const size_t *order; /* emit segments in this order (a permutation of 0..n-1), or NULL */
	size_t order_len;    /* entries in order: must equal the number of segments */
	int no_ack;	     /* the peer sends no ACK after the message */
	/*
	 * When rtx_data is not NULL: after the message's segments, the
	 * sender retransmits bytes [rtx_off, rtx_off + rtx_len) of the
	 * message with the content rtx_data instead (a conflicting overlap:
	 * under "first data wins" the original bytes stand).
	 */
	const uint8_t *rtx_data;
	size_t rtx_off;
	size_t rtx_len;
};

/*
 * Sends one message of len bytes (len >= 1) in direction dir on the open
 * connection c: its segments (ACK set, PSH on the last one) in the order
 * opts asks for, then any retransmission, then the peer's ACK of the
 * whole message. opts may be NULL for defaults. Returns 0, or -1 when c
 * is not open or opts are inconsistent (then nothing is written) or a
 * packet could not be built.
 */
int pw_tcp_send(struct pw_tcp *c, enum pw_dir dir, const uint8_t *data, size_t len,
		const struct pw_send_opts *opts);

/*
 * Writes one TCP segment in direction dir with the given flags
 * (PW_TCP_FLAG_*) and sequence number, acknowledging everything the peer
 * sent, without moving c's sequence numbers. For tests that need packets
 * pw_tcp_send does not make. Returns 0 or -1.
 */
int pw_tcp_segment(struct pw_tcp *c, enum pw_dir dir, uint8_t flags, uint32_t seq,
		   const uint8_t *data, size_t len);

#define PW_TCP_FLAG_FIN 0x01
#define PW_TCP_FLAG_SYN 0x02
#define PW_TCP_FLAG_RST 0x04
#define PW_TCP_FLAG_PSH 0x08
#define PW_TCP_FLAG_ACK 0x10

/*
 * Closes c from the side dir: FIN+ACK from dir, FIN+ACK from the peer,
 * and the last ACK. Returns 0, or -1 when c is not open.
 */
int pw_tcp_fin(struct pw_tcp *c, enum pw_dir dir);

/* Aborts c with one RST+ACK from the side dir. Returns 0, or -1 when c is not open. */
int pw_tcp_rst(struct pw_tcp *c, enum pw_dir dir);

#endif
