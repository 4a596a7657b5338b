// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace DOE exchanges through the sysfs config space file.
 * See doe_cfg.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/pci-doe.h>
#include <linux/pci_regs.h>

#include "doe_cfg.h"

#define DOE_TIMEOUT_NS		1000000000LL	/* PCIe r6.2 sec 6.30.2: 1 s */
#define DOE_MAX_LENGTH		0x40000		/* Length 0 encodes 2^18 dwords */
#define EXT_CAP_START		0x100
#define EXT_CAP_END		0x1000

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int doe_cfg_open(const char *bdf)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int doe_cfg_read(int fd, unsigned int off, uint32_t *val)
{
	ssize_t n = pread(fd, val, 4, off);

	if (n == 4)
		return 0;
	return n < 0 ? -errno : -EIO;
}

int doe_cfg_write(int fd, unsigned int off, uint32_t val)
{
	ssize_t n = pwrite(fd, &val, 4, off);

	if (n == 4)
		return 0;
	return n < 0 ? -errno : -EIO;
}

uint32_t doe_cfg_status(const char *bdf, unsigned int offset)
{
	uint32_t status = ~0u;
	int fd = doe_cfg_open(bdf);

	if (fd < 0)
		return ~0u;
	if (doe_cfg_read(fd, offset + PCI_DOE_STATUS, &status))
		status = ~0u;
	close(fd);
	return status;
}

int doe_cfg_find_caps(const char *bdf, struct doe_cap *caps, int max)
{
	unsigned int pos = EXT_CAP_START, hops = 0;
	uint32_t hdr;
	int fd, n = 0, rc;

	fd = doe_cfg_open(bdf);
	if (fd < 0)
		return fd;
	/* At most (4096 - 256) / 8 capabilities fit: stop a looping list. */
	while (pos >= EXT_CAP_START && pos < EXT_CAP_END && hops++ < 480) {
		rc = doe_cfg_read(fd, pos, &hdr);
		if (rc || hdr == 0 || hdr == 0xffffffff)
			break;
		if (PCI_EXT_CAP_ID(hdr) == PCI_EXT_CAP_ID_DOE && n < max) {
			struct doe_cap *c = &caps[n++];

			snprintf(c->bdf, sizeof(c->bdf), "%s", bdf);
			c->offset = pos;
			c->version = PCI_EXT_CAP_VER(hdr);
			if (doe_cfg_read(fd, pos + PCI_DOE_CAP, &c->cap))
				c->cap = 0;
		}
		pos = PCI_EXT_CAP_NEXT(hdr);
	}
	close(fd);
	return n;
}

/* Wait up to 1 s until (Status & @mask) == @want; 0, -ETIMEDOUT or -ENODEV. */
static int doe_cfg_wait(int fd, const struct doe_cap *cap, uint32_t mask,
			uint32_t want, uint32_t *status)
{
	long long end = now_ns() + DOE_TIMEOUT_NS;
	int rc;

	for (;;) {
		rc = doe_cfg_read(fd, cap->offset + PCI_DOE_STATUS, status);
		if (rc)
			return rc;
		if (*status == 0xffffffff)
			return -ENODEV;
		if ((*status & mask) == want)
			return 0;
		if (now_ns() > end)
			return -ETIMEDOUT;
		usleep(100);
	}
}

int doe_cfg_abort(int fd, const struct doe_cap *cap)
{
	uint32_t status;
	int rc;

	rc = doe_cfg_write(fd, cap->offset + PCI_DOE_CTRL, PCI_DOE_CTRL_ABORT);
	if (rc)
		return rc;
	return doe_cfg_wait(fd, cap,
			    PCI_DOE_STATUS_BUSY | PCI_DOE_STATUS_ERROR |
			    PCI_DOE_STATUS_DATA_OBJECT_READY, 0, &status);
}

int doe_cfg_exchange(int fd, const struct doe_cap *cap, uint32_t *req,
		     size_t req_dw, uint32_t *rsp, size_t rsp_max)
{
	unsigned int off = cap->offset;
	uint32_t status, ctrl, val;
	size_t i, len;
	int rc;

	if (req_dw < 2 || req_dw > DOE_MAX_LENGTH)
		return -EINVAL;
	req[1] = req_dw == DOE_MAX_LENGTH ? 0 : req_dw;

	rc = doe_cfg_wait(fd, cap, PCI_DOE_STATUS_BUSY, 0, &status);
	if (rc)
		return rc == -ETIMEDOUT ? -EBUSY : rc;
	if (status & (PCI_DOE_STATUS_ERROR | PCI_DOE_STATUS_DATA_OBJECT_READY)) {
		rc = doe_cfg_abort(fd, cap);
		if (rc)
			return rc == -ETIMEDOUT ? -EIO : rc;
	}

	for (i = 0; i < req_dw; i++) {
		rc = doe_cfg_write(fd, off + PCI_DOE_WRITE, req[i]);
		if (rc)
			return rc;
	}
	rc = doe_cfg_read(fd, off + PCI_DOE_CTRL, &ctrl);
	if (rc)
		return rc;
	rc = doe_cfg_write(fd, off + PCI_DOE_CTRL,
			   (ctrl & PCI_DOE_CTRL_INT_EN) | PCI_DOE_CTRL_GO);
	if (rc)
		return rc;

	rc = doe_cfg_wait(fd, cap, PCI_DOE_STATUS_DATA_OBJECT_READY,
			  PCI_DOE_STATUS_DATA_OBJECT_READY, &status);
	if (rc == 0 && (status & PCI_DOE_STATUS_ERROR))
		rc = -EIO;
	if (rc) {
		doe_cfg_abort(fd, cap);
		return rc;
	}

	/* Header 2 carries the Length; read both headers first. */
	len = 2;
	for (i = 0; i < len; i++) {
		rc = doe_cfg_read(fd, off + PCI_DOE_READ, &val);
		if (!rc)
			rc = doe_cfg_write(fd, off + PCI_DOE_READ, 0);
		if (rc)
			return rc;
		if (i < rsp_max)
			rsp[i] = val;
		if (i == 1) {
			len = val & PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH;
			if (len == 0)
				len = DOE_MAX_LENGTH;
			if (len < 2) {
				doe_cfg_abort(fd, cap);
				return -EIO;
			}
		}
	}

	rc = doe_cfg_read(fd, off + PCI_DOE_STATUS, &status);
	if (rc)
		return rc;
	if (status & PCI_DOE_STATUS_ERROR) {
		doe_cfg_abort(fd, cap);
		return -EIO;
	}
	return len;
}

int doe_cfg_discover(int fd, const struct doe_cap *cap,
		     struct doe_protocol *prot, int max)
{
	uint32_t req[3], rsp[3];
	unsigned int index = 0, ver;
	int n = 0, rc, hops = 0;

	/* Discovery version 2 when the Capability Version is 2 or more. */
	ver = cap->version >= 2 ? 2 : 0;
	do {
		req[0] = 0x00000001;	/* Vendor ID 0001h, type 00h: Discovery */
		req[2] = index | ver << 8;
		rc = doe_cfg_exchange(fd, cap, req, 3, rsp, 3);
		if (rc < 0)
			return rc;
		if (rc < 3 || rsp[0] != req[0])
			return -EIO;
		if (n < max) {
			prot[n].vid = rsp[2] & PCI_DOE_DATA_OBJECT_DISC_RSP_3_VID;
			prot[n].type = (rsp[2] >> 16) & 0xff;
			n++;
		}
		index = rsp[2] >> 24;
	} while (index && hops++ < 256);
	return n;
}

int doe_sysfs_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int doe_feature_read(const char *aux, uint16_t vid, uint8_t type,
		     char *buf, size_t len)
{
	char path[PATH_MAX], want[16];
	ssize_t n;
	int fd;

	buf[0] = 0;
	snprintf(want, sizeof(want), "%04x:%02x\n", vid, type);
	snprintf(path, sizeof(path), DOE_AUX_DEVS "/%s/features/%.7s", aux, want);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = 0;
	return strcmp(buf, want) ? 1 : 0;
}

int doe_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int doe_aux_bound(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DOE_AUX_DEVS "/%s/driver", name);
	return access(path, F_OK) == 0;
}

/*
 * Bind or unbind the generic DOE driver.  A bind returns before the
 * driver's Abort and Discovery have run; wait (at most 10 s) until they
 * did, which the character device shows.
 */
int doe_aux_drv(const char *what, const char *name)
{
	char path[PATH_MAX];
	int rc, i;

	snprintf(path, sizeof(path), DOE_DRV "/%s", what);
	rc = doe_sysfs_write(path, name);
	if (rc || strcmp(what, "bind"))
		return rc;
	snprintf(path, sizeof(path), "/dev/%s", name);
	for (i = 0; i < 1000 && access(path, F_OK); i++)
		usleep(10000);
	return access(path, F_OK) ? -ETIMEDOUT : 0;
}

int doe_aux_is_doe(const char *dir, unsigned int *offset)
{
	char path[PATH_MAX], real[PATH_MAX], line[256], *end;
	int modalias = 0;
	unsigned long v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/subsystem", dir);
	if (!realpath(path, real) || strcmp(strrchr(real, '/'), "/auxiliary"))
		return 0;
	snprintf(path, sizeof(path), "%s/uevent", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		modalias |= !strcmp(line, "MODALIAS=auxiliary:pci_doe.doe\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/cap_offset", dir);
	if (!modalias || doe_sysfs_read(path, line, sizeof(line)))
		return 0;
	v = strtoul(line, &end, 0);
	if (end == line || *end || v < 0x100 || v > 0xfff)
		return 0;
	*offset = v;
	return 1;
}

static int doe_aux_cmp(const void *a, const void *b)
{
	const struct doe_aux *x = a, *y = b;
	int c = strcmp(x->bdf, y->bdf);

	return c ? c : (int)x->offset - (int)y->offset;
}

int doe_aux_list(struct doe_aux *aux, int max, int bound_only)
{
	char dir[PATH_MAX], path[2 * PATH_MAX];
	struct dirent *pde, *de;
	DIR *pd, *d;
	int n = 0;

	pd = opendir("/sys/bus/pci/devices");
	if (!pd)
		return 0;
	while ((pde = readdir(pd)) && n < max) {
		/* DDDD:BB:DD.F, or longer with a longer domain number */
		if (pde->d_name[0] == '.' || strlen(pde->d_name) >= sizeof(aux->bdf))
			continue;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", pde->d_name);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d)) && n < max) {
			unsigned int offset;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (!doe_aux_is_doe(path, &offset))
				continue;
			if (bound_only && !doe_aux_bound(de->d_name))
				continue;
			snprintf(aux[n].name, sizeof(aux[n].name), "%s", de->d_name);
			snprintf(aux[n].bdf, sizeof(aux[n].bdf), "%.*s",
				 (int)sizeof(aux[n].bdf) - 1, pde->d_name);
			aux[n].offset = offset;
			n++;
		}
		closedir(d);
	}
	closedir(pd);
	qsort(aux, n, sizeof(*aux), doe_aux_cmp);
	return n;
}

int doe_aux_find_bound(struct doe_aux *aux, int max)
{
	return doe_aux_list(aux, max, 1);
}

int doe_aux_find(const char *bdf, unsigned int offset, char *name, size_t len)
{
	char dir[PATH_MAX], path[2 * PATH_MAX];
	unsigned int off;
	struct dirent *de;
	int rc = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (doe_aux_is_doe(path, &off) && off == offset) {
			snprintf(name, len, "%s", de->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

/*
 * The generic driver probes asynchronously when the PCI function's driver
 * adds the auxiliary device, and the driver link appears before its probe
 * ends: wait for the character device and one Discovery exchange through
 * it.
 */
int doe_aux_wait_bound(const char *bdf, unsigned int offset, char *name,
		       size_t len, int ms)
{
	long long end = now_ns() + ms * 1000000LL;
	uint32_t req = 0, rsp;
	int fd, rc;

	do {
		if (!doe_aux_find(bdf, offset, name, len) && doe_aux_bound(name)) {
			fd = doe_dev_open(name);
			if (fd >= 0) {
				rc = doe_xchg(fd, 1, 0, &req, 4, &rsp, 4);
				close(fd);
				if (rc == 4)
					return 0;
			}
		}
		usleep(10000);
	} while (now_ns() < end);
	return -ETIMEDOUT;
}

int doe_proc_interrupts(struct doe_irq_line *l, int max)
{
	char line[2048], *p, *end;
	int n = 0, ncpu = 0, i;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -errno;
	/* The header names one column per CPU */
	if (fgets(line, sizeof(line), f))
		for (p = line; (p = strstr(p, "CPU")); p += 3)
			ncpu++;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct doe_irq_line *d = &l[n];
		char hw[64];
		int used;

		line[strcspn(line, "\n")] = 0;
		d->irq = strtol(line, &end, 10);
		if (end == line || *end != ':')
			continue;	/* NMI:, LOC:, ERR: ... */
		p = end + 1;
		d->count = 0;
		for (i = 0; i < ncpu; i++, p = end) {
			d->count += strtol(p, &end, 10);
			if (end == p)
				break;
		}
		if (sscanf(p, " %63s%n", d->chip, &used) != 1)
			continue;
		p += used;
		/* The hardware irq and the flow: "0-edge" */
		d->hwirq = -1;
		if (sscanf(p, " %63s%n", hw, &used) == 1 && hw[0] >= '0' &&
		    hw[0] <= '9' && strchr(hw, '-')) {
			d->hwirq = strtol(hw, NULL, 10);
			p += used;
		}
		p += strspn(p, " ");
		snprintf(d->actions, sizeof(d->actions), "%s", p);
		n++;
	}
	fclose(f);
	return n;
}

int doe_irq_has_action(const struct doe_irq_line *l, const char *name)
{
	size_t len = strlen(name);
	const char *p = l->actions;

	for (;;) {
		if (!strncmp(p, name, len) && (p[len] == 0 || p[len] == ','))
			return 1;
		p = strchr(p, ',');
		if (!p)
			return 0;
		p += strspn(p, ", ");
	}
}

long doe_irq_count(const char *name)
{
	static struct doe_irq_line l[512];
	long total = -1;
	int i, n;

	n = doe_proc_interrupts(l, 512);
	for (i = 0; i < n; i++) {
		if (!doe_irq_has_action(&l[i], name))
			continue;
		total = (total < 0 ? 0 : total) + l[i].count;
	}
	return total;
}

long doe_irq_wait_above(const char *name, long before, int ms)
{
	long long end = now_ns() + ms * 1000000LL;
	long count;

	for (;;) {
		count = doe_irq_count(name);
		if (count > before || now_ns() > end)
			return count;
		usleep(1000);
	}
}

int doe_dev_open(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/%s", name);
	return open(path, O_RDWR | O_CLOEXEC);
}

int doe_xchg(int fd, uint16_t vid, uint8_t type, const void *req,
	     uint32_t req_sz, void *rsp, uint32_t rsp_sz)
{
	struct pci_doe_exchange ex = {
		.size = sizeof(ex),
		.vid = vid,
		.type = type,
		.request = (uintptr_t)req,
		.response = (uintptr_t)rsp,
		.request_size = req_sz,
		.response_size = rsp_sz,
	};

	if (ioctl(fd, PCI_DOE_IOC_EXCHANGE, &ex))
		return -errno;
	return ex.response_size;
}

int doe_ioctl_discover(int fd, struct doe_protocol *prot, int max)
{
	unsigned int index = 0, i = 0;
	uint32_t req, rsp;
	int n = 0, rc;

	/* Indices are 8 bits: 256 exchanges see every entry */
	do {
		req = index;
		rc = doe_xchg(fd, 1, 0, &req, 4, &rsp, 4);
		if (rc < 0)
			return rc;
		if (rc != 4)
			return -EIO;
		if (n < max) {
			prot[n].vid = rsp & 0xffff;
			prot[n].type = (rsp >> 16) & 0xff;
			n++;
		}
		index = rsp >> 24;
	} while (index && ++i < 256);
	return n;
}

int doe_ioctl_cdat(int fd, uint8_t *buf, size_t max)
{
	uint32_t req, rsp[1024];
	unsigned int handle = 0;
	size_t len = 0;
	int rc, n;

	do {
		req = handle << 16;	/* read entry, table type 0 (CDAT) */
		rc = doe_xchg(fd, DOE_CXL_VID, DOE_CXL_TABLE_ACCESS, &req, 4,
			      rsp, sizeof(rsp));
		if (rc < 4)
			return rc < 0 ? rc : -EIO;
		n = rc - 4;
		if (len + n > max)
			return -E2BIG;
		memcpy(buf + len, &rsp[1], n);
		len += n;
		handle = rsp[0] >> 16;
	} while (handle != 0xffff && len < max);
	return len;
}

int doe_kernel_cdat(const char *bdf, uint8_t *buf, size_t max)
{
	char path[PATH_MAX + 300], real[PATH_MAX], *base, *parent;
	struct dirent *de;
	int fd, len = -ENOENT, r;
	DIR *d;

	d = opendir("/sys/bus/cxl/devices");
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/bus/cxl/devices/%s/uport", de->d_name);
		if (!realpath(path, real))
			continue;
		base = strrchr(real, '/');
		*base++ = 0;
		parent = strrchr(real, '/');
		if (strcmp(base, bdf) &&
		    (strncmp(base, "mem", 3) || !parent || strcmp(parent + 1, bdf)))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/cxl/devices/%s/CDAT", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = 0;
		while ((r = read(fd, buf + len, max - len)) > 0)
			len += r;
		close(fd);
		break;
	}
	closedir(d);
	return len;
}

/* tracefs */

#define TRACE_BUF	(1024 * 1024)

int doe_trace_write(const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), DOE_TRACEFS "/%s", file);
	return doe_sysfs_write(path, val);
}

/* Empty the trace buffer: opening "trace" with O_TRUNC does that */
int doe_trace_clear(void)
{
	int fd = open(DOE_TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The whole trace buffer as text, NUL-terminated; NULL on error */
char *doe_trace_read(void)
{
	char *buf = malloc(TRACE_BUF);
	ssize_t n, len = 0;
	int fd;

	if (!buf)
		return NULL;
	fd = open(DOE_TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while (len < TRACE_BUF - 1 &&
	       (n = read(fd, buf + len, TRACE_BUF - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/*
 * Where the event line "@event: @prefix@rest" is in @trace, searching from
 * @from; NULL if absent.
 */
const char *doe_trace_find(const char *from, const char *event,
			   const char *prefix, const char *rest)
{
	char want[256];

	snprintf(want, sizeof(want), "%s: %s%s", event, prefix, rest);
	return strstr(from, want);
}
