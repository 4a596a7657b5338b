// SPDX-License-Identifier: GPL-2.0
/*
 * doe-spdm BDF: a few CMA/SPDM exchanges through the config space file of
 * a PCI function, for the lab's QEMU 10 experiments (lab/spdm/NOTES.md).
 * Lab scaffolding, not an SPDM requester.
 *
 * For each DOE Capability of BDF that no kernel driver owns (no auxiliary
 * device, or one unbound from pci_doe.generic), run Discovery; on the first
 * one that lists CMA/SPDM (0001:01) send GET_VERSION, then GET_CAPABILITIES
 * and NEGOTIATE_ALGORITHMS at SPDM 1.2, and print each request and response
 * in hex.  A DOE Capability the kernel owns is left alone.
 *
 * Built static with tools/testing/selftests/pci/doe/doe_cfg.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "doe_cfg.h"

#define CMA_VID		0x0001
#define CMA_TYPE	0x01

static void hex(const char *what, const uint32_t *dw, int n)
{
	const uint8_t *b = (const uint8_t *)dw;
	int i;

	printf("  %s doe %08x %08x | spdm", what, dw[0], dw[1]);
	for (i = 8; i < n * 4; i++)
		printf(" %02x", b[i]);
	printf("\n");
}

/* One SPDM request of @len bytes; returns the response length in dwords */
static int spdm(int fd, const struct doe_cap *cap, const uint8_t *msg,
		size_t len, uint32_t *rsp, size_t rsp_max)
{
	uint32_t req[16] = { CMA_VID | CMA_TYPE << 16 };
	size_t dw = 2 + (len + 3) / 4;
	int n;

	memcpy(&req[2], msg, len);
	req[1] = dw;
	hex("req", req, dw);
	n = doe_cfg_exchange(fd, cap, req, dw, rsp, rsp_max);
	if (n < 0) {
		printf("  exchange failed: %s\n", strerror(-n));
		return n;
	}
	hex("rsp", rsp, n);
	return n;
}

int main(int argc, char **argv)
{
	static const uint8_t get_version[] = { 0x10, 0x84, 0, 0 };
	static const uint8_t get_caps[] = { 0x12, 0xe1, 0, 0, 0, 12, 0, 0,
					    0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0 };
	static const uint8_t neg_algs[] = { 0x12, 0xe3, 0, 0, 32, 0, 0x01, 0,
					    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct doe_protocol prot[DOE_MAX_PROTOCOLS];
	struct doe_cap caps[DOE_MAX_CAPS];
	uint32_t rsp[64];
	int i, j, n, np, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BDF\n", argv[0]);
		return 2;
	}
	n = doe_cfg_find_caps(argv[1], caps, DOE_MAX_CAPS);
	if (n <= 0) {
		printf("%s: no DOE Capability\n", argv[1]);
		return 1;
	}
	fd = doe_cfg_open(argv[1]);
	if (fd < 0)
		return 1;
	for (i = 0; i < n; i++) {
		char aux[64];

		if (!doe_aux_find(argv[1], caps[i].offset, aux, sizeof(aux)) &&
		    doe_aux_bound(aux)) {
			printf("%s doe 0x%03x: owned by the kernel (%s bound); skipped\n",
			       argv[1], caps[i].offset, aux);
			continue;
		}
		np = doe_cfg_discover(fd, &caps[i], prot, DOE_MAX_PROTOCOLS);
		printf("%s doe 0x%03x: Discovery:", argv[1], caps[i].offset);
		for (j = 0; j < np; j++)
			printf(" %04x:%02x", prot[j].vid, prot[j].type);
		printf("%s\n", np < 0 ? " failed" : "");
		for (j = 0; j < np; j++)
			if (prot[j].vid == CMA_VID && prot[j].type == CMA_TYPE)
				break;
		if (j == np)
			continue;
		printf("GET_VERSION\n");
		if (spdm(fd, &caps[i], get_version, sizeof(get_version), rsp, 64) < 0)
			return 1;
		printf("GET_CAPABILITIES (1.2)\n");
		spdm(fd, &caps[i], get_caps, sizeof(get_caps), rsp, 64);
		printf("NEGOTIATE_ALGORITHMS (1.2, expect ERROR)\n");
		spdm(fd, &caps[i], neg_algs, sizeof(neg_algs), rsp, 64);
		close(fd);
		return 0;
	}
	printf("%s: no DOE Capability with CMA/SPDM that userspace may use\n", argv[1]);
	close(fd);
	return 1;
}
