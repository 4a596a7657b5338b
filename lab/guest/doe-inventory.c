// SPDX-License-Identifier: GPL-2.0
/*
 * doe-inventory: list every DOE Capability the guest kernel sees, and the
 * CDAT that the CXL drivers read, one short line each.
 *
 *   BDF  doe 0xOFF  MODE  AUXDEV  VVVV:TT ...
 *   BDF  cdat NAME  N bytes  checksum good|BAD
 *
 * When the DOE Capability has an auxiliary device (a child of the PCI
 * device on the auxiliary bus whose cap_offset is the Capability's; its
 * name, pci_doe.doe.<id>, is printed whole, the <id> is the kernel's
 * business), AUXDEV is its name and "bound" or "unbound";
 * while bound, MODE and the protocols come from its sysfs attributes
 * (interrupt, features/).  Otherwise AUXDEV is "-", MODE is read from the
 * hardware ("msix N" or "msi N" when DOE Interrupt Enable is set, else
 * "poll") and the protocols come from a Discovery run through config
 * space, which is safe because no kernel driver owns the Capability.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "doe_cfg.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Return the names in @path sorted; *n set to their number. */
static char **list_dir(const char *path, const char *prefix, int *n)
{
	char **names = NULL;
	struct dirent *de;
	DIR *d;

	*n = 0;
	d = opendir(path);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) || de->d_name[0] == '.')
			continue;
		names = realloc(names, sizeof(*names) * (*n + 1));
		names[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

/* The interrupt mode of a DOE Capability, as the hardware is programmed. */
static void doe_mode(int fd, const struct doe_cap *cap, char *buf, size_t len)
{
	uint32_t ctrl = 0, hdr, msgnum = (cap->cap & PCI_DOE_CAP_INT_MSG_NUM) >> 1;
	unsigned int pos = PCI_CAPABILITY_LIST, hops = 0;
	int msix = 0, msi = 0;
	uint8_t b;

	doe_cfg_read(fd, cap->offset + PCI_DOE_CTRL, &ctrl);
	if (!(ctrl & PCI_DOE_CTRL_INT_EN)) {
		snprintf(buf, len, "poll");
		return;
	}
	/* Walk the legacy capability list for MSI / MSI-X Enable. */
	if (pread(fd, &b, 1, pos) != 1)
		b = 0;
	pos = b;
	while (pos >= 0x40 && pos < 0x100 && hops++ < 48) {
		if (doe_cfg_read(fd, pos & ~3u, &hdr))
			break;
		hdr >>= (pos & 3) * 8;
		if ((hdr & 0xff) == PCI_CAP_ID_MSIX && (hdr >> 16) & PCI_MSIX_FLAGS_ENABLE)
			msix = 1;
		if ((hdr & 0xff) == PCI_CAP_ID_MSI && (hdr >> 16) & PCI_MSI_FLAGS_ENABLE)
			msi = 1;
		pos = (hdr >> 8) & 0xff;
	}
	snprintf(buf, len, "%s %u", msix ? "msix" : msi ? "msi" : "intx?", msgnum);
}

/*
 * Mode and protocols of a bound DOE auxiliary device, from sysfs.  The mode
 * is read after one Discovery exchange through the ioctl: the DOE
 * interrupt may be set up on first use.
 */
static void print_auxdev(const char *bdf, const char *name)
{
	char path[PATH_MAX], mode[32];
	uint32_t req = 0, rsp;
	char **feat;
	int i, n, fd;

	fd = doe_dev_open(name);
	if (fd >= 0) {
		doe_xchg(fd, 1, 0, &req, 4, &rsp, 4);
		close(fd);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s/interrupt", bdf, name);
	if (doe_sysfs_read(path, mode, sizeof(mode)))
		snprintf(mode, sizeof(mode), "?");
	printf("%-7s  %s bound  ", mode, name);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s/features", bdf, name);
	feat = list_dir(path, "", &n);
	for (i = 0; i < n; i++)
		printf(" %s", feat[i]);
	printf("\n");
}

static void list_doe(const char *bdf)
{
	struct doe_protocol prot[DOE_MAX_PROTOCOLS];
	struct doe_cap caps[DOE_MAX_CAPS];
	char mode[32];
	int i, j, n, np, fd;

	n = doe_cfg_find_caps(bdf, caps, DOE_MAX_CAPS);
	if (n <= 0)
		return;
	fd = doe_cfg_open(bdf);
	if (fd < 0)
		return;
	for (i = 0; i < n; i++) {
		char aux[64];
		int bound = 0;

		printf("%s  doe 0x%03x  ", bdf, caps[i].offset);
		if (doe_aux_find(bdf, caps[i].offset, aux, sizeof(aux)))
			snprintf(aux, sizeof(aux), "-");
		else
			bound = doe_aux_bound(aux);
		if (bound) {
			print_auxdev(bdf, aux);
			continue;
		}
		doe_mode(fd, &caps[i], mode, sizeof(mode));
		printf("%-7s  %s%s  ", mode, aux, strcmp(aux, "-") ? " unbound" : "");
		np = doe_cfg_discover(fd, &caps[i], prot, DOE_MAX_PROTOCOLS);
		if (np < 0)
			printf(" discovery failed: %s", strerror(-np));
		for (j = 0; j < np; j++)
			printf(" %04x:%02x", prot[j].vid, prot[j].type);
		printf("\n");
	}
	close(fd);
}

/* The PCI device behind a CXL port or endpoint: its uport, or uport's parent. */
static void cxl_bdf(const char *name, char *bdf, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];
	unsigned int a, b, c, d;

	snprintf(path, sizeof(path), "/sys/bus/cxl/devices/%s/uport", name);
	snprintf(bdf, len, "?");
	if (!realpath(path, real))
		return;
	if (sscanf(basename(real), "%x:%x:%x.%x", &a, &b, &c, &d) != 4)
		dirname(real);
	if (sscanf(basename(real), "%x:%x:%x.%x", &a, &b, &c, &d) == 4)
		snprintf(bdf, len, "%s", basename(real));
}

static void list_cdat(void)
{
	unsigned char buf[65536];
	char path[PATH_MAX], bdf[64];
	char **names;
	int i, n, fd;

	names = list_dir("/sys/bus/cxl/devices", "", &n);
	for (i = 0; i < n; i++) {
		ssize_t len = 0, r;
		unsigned int sum = 0, hdr_len;

		snprintf(path, sizeof(path), "/sys/bus/cxl/devices/%s/CDAT", names[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		while ((r = read(fd, buf + len, sizeof(buf) - len)) > 0)
			len += r;
		close(fd);
		if (len == 0)
			continue;	/* the port has no CDAT */
		for (r = 0; r < len; r++)
			sum += buf[r];
		hdr_len = len >= 4 ? buf[0] | buf[1] << 8 | buf[2] << 16 | buf[3] << 24 : 0;
		cxl_bdf(names[i], bdf, sizeof(bdf));
		printf("%s  cdat %-10s %zd bytes  checksum %s%s\n", bdf, names[i], len,
		       (sum & 0xff) == 0 ? "good" : "BAD",
		       hdr_len == len ? "" : "  (header length mismatch)");
	}
}

int main(void)
{
	char **devs;
	int i, n;

	devs = list_dir("/sys/bus/pci/devices", "", &n);
	for (i = 0; i < n; i++)
		list_doe(devs[i]);
	list_cdat();
	return 0;
}
