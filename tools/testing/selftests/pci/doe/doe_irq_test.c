// SPDX-License-Identifier: GPL-2.0
/*
 * The DOE interrupt beside the interrupts of the PCI function's driver,
 * across unbind and bind of that driver and of the generic DOE driver.
 *
 * A DOE Capability signals on the MSI/MSI-X vector of its Interrupt
 * Message Number (PCIe r6.2 sec 6.30.3), which the function's driver
 * (cxl_pci, the PCIe port driver) may use as well: the DOE handler is one
 * more action on that vector.  In /proc/interrupts a vector lists its
 * actions by name; the DOE's is its auxiliary device's name.  Every other
 * action on the function's vectors is the function driver's, or one left
 * behind.
 *
 * For each PCI function with DOE auxiliary devices, after boot, after 20
 * unbind/bind cycles of its driver and after 20 of the generic DOE
 * driver: once an exchange ran (the DOE handler may attach on first use),
 * the interrupt attribute is "msix N" (or "msi N" without MSI-X) with N
 * the DOE Interrupt Message Number; the vector of message N lists the
 * DOE's action, once, and no other vector lists it; the function has the
 * vectors, and the driver's actions on each, that it had before the
 * cycles, and no other action; the DOE interrupt count rises with
 * exchanges; Discovery works through PCI_DOE_IOC_EXCHANGE, and so does
 * CXL Table Access: the CDAT read through the ioctl is the kernel's where
 * the kernel read one before the cycles, else it is refused with EACCES
 * or has a good checksum.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "../../kselftest_harness.h"
#include "doe_cfg.h"

#define CYCLES		20
#define MAX_FNS		8
#define MAX_VECS	32
#define BIND_WAIT_MS	30000

/* One MSI/MSI-X vector of a PCI function, as /proc/interrupts lists it */
struct vec {
	long hwirq;		/* the message number */
	int msix;
	char drv[512];		/* the actions not of a DOE auxiliary device */
	char doe[512];		/* the DOE auxiliary devices' actions */
};

struct fn {
	char bdf[32];
	char drv[64];			/* its driver */
	unsigned int offset[DOE_MAX_CAPS];
	int ncaps;
	int kernel_cdat;		/* the kernel had read its CDAT */
	struct vec boot[MAX_VECS];	/* before the cycles */
	int nboot;
};

FIXTURE(irq) {
	struct fn fn[MAX_FNS];
	int nfn;
};

/* The name of the driver bound to PCI function @bdf into @drv; 0 or -1 */
static int pci_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	if (!realpath(path, real))
		return -1;
	snprintf(drv, len, "%s", strrchr(real, '/') + 1);
	return 0;
}

/* "bind" or "unbind" PCI function @f to or from its driver; 0 or -errno */
static int pci_drv(const struct fn *f, const char *what)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", f->drv, what);
	return doe_sysfs_write(path, f->bdf);
}

/* Append @name to the ", "-separated list @list */
static void list_add(char *list, size_t len, const char *name)
{
	size_t used = strlen(list);

	snprintf(list + used, len - used, "%s%s", used ? ", " : "", name);
}

/* How often @name appears in the ", "-separated list @list */
static int list_count(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;
	int n = 0;

	while (*p) {
		if (!strncmp(p, name, len) && (p[len] == 0 || p[len] == ','))
			n++;
		p = strchr(p, ',');
		if (!p)
			break;
		p += strspn(p, ", ");
	}
	return n;
}

/*
 * The MSI/MSI-X vectors of @bdf, in message order, each with its actions
 * split into those of a DOE auxiliary device of @bdf and the others
 */
static int fn_vectors(const char *bdf, struct vec *v, int max)
{
	static struct doe_irq_line l[512];
	char path[PATH_MAX + 600], names[512], *name, *save;
	size_t blen = strlen(bdf), clen;
	unsigned int off;
	int i, j, n, nv = 0;

	n = doe_proc_interrupts(l, 512);
	for (i = 0; i < n && nv < max; i++) {
		clen = strlen(l[i].chip);
		if (clen <= blen + 1 || strcmp(l[i].chip + clen - blen, bdf) ||
		    l[i].chip[clen - blen - 1] != '-' || !strstr(l[i].chip, "PCI-MSI"))
			continue;
		memset(&v[nv], 0, sizeof(v[nv]));
		v[nv].hwirq = l[i].hwirq;
		v[nv].msix = !!strstr(l[i].chip, "PCI-MSIX-");
		snprintf(names, sizeof(names), "%s", l[i].actions);
		for (name = strtok_r(names, ", ", &save); name;
		     name = strtok_r(NULL, ", ", &save)) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s",
				 bdf, name);
			if (doe_aux_is_doe(path, &off))
				list_add(v[nv].doe, sizeof(v[nv].doe), name);
			else
				list_add(v[nv].drv, sizeof(v[nv].drv), name);
		}
		nv++;
	}
	/* Message order: /proc/interrupts lists by Linux IRQ number */
	for (i = 1; i < nv; i++)
		for (j = i; j > 0 && v[j - 1].hwirq > v[j].hwirq; j--) {
			struct vec t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return nv;
}

static void log_vectors(struct __test_metadata *_metadata, const struct fn *f,
			const char *when, const struct vec *v, int n)
{
	int i;

	TH_LOG("%s (%s) %s: %d vectors", f->bdf, f->drv, when, n);
	for (i = 0; i < n; i++)
		TH_LOG("  %s %ld: %s [%s], DOE [%s]", v[i].msix ? "MSI-X" : "MSI",
		       v[i].hwirq, f->drv, v[i].drv, v[i].doe);
}

FIXTURE_SETUP(irq)
{
	struct doe_aux aux[DOE_MAX_CAPS * MAX_FNS];
	static uint8_t cdat[65536];
	char name[256];
	int i, j, n;

	n = doe_aux_list(aux, DOE_MAX_CAPS * MAX_FNS, 0);
	self->nfn = 0;
	for (i = 0; i < n; i++) {
		struct fn *f = self->nfn ? &self->fn[self->nfn - 1] : NULL;

		if (!f || strcmp(f->bdf, aux[i].bdf)) {
			if (self->nfn == MAX_FNS)
				break;
			f = &self->fn[self->nfn++];
			memset(f, 0, sizeof(*f));
			snprintf(f->bdf, sizeof(f->bdf), "%s", aux[i].bdf);
			ASSERT_EQ(pci_driver(f->bdf, f->drv, sizeof(f->drv)), 0)
				TH_LOG("%s has DOE auxiliary devices, no driver", f->bdf);
		}
		if (f->ncaps < DOE_MAX_CAPS)
			f->offset[f->ncaps++] = aux[i].offset;
	}
	if (!self->nfn)
		SKIP(return, "no DOE auxiliary device");
	for (i = 0; i < self->nfn; i++) {
		struct fn *f = &self->fn[i];

		/* Every DOE handler attached, before the snapshot */
		for (j = 0; j < f->ncaps; j++) {
			ASSERT_EQ(doe_aux_wait_bound(f->bdf, f->offset[j], name,
						     sizeof(name), BIND_WAIT_MS), 0)
				TH_LOG("%s DOE 0x%x: not bound", f->bdf, f->offset[j]);
		}
		f->nboot = fn_vectors(f->bdf, f->boot, MAX_VECS);
		f->kernel_cdat = doe_kernel_cdat(f->bdf, cdat, sizeof(cdat)) > 0;
		log_vectors(_metadata, f, "before", f->boot, f->nboot);
		TH_LOG("%s: the kernel %s its CDAT", f->bdf,
		       f->kernel_cdat ? "read" : "did not read");
	}
}

/* In the parent, also after a test killed by a signal: bind what it left */
FIXTURE_TEARDOWN_PARENT(irq)
{
	char name[256], drv[64];
	int i, j;

	for (i = 0; i < self->nfn; i++) {
		if (pci_driver(self->fn[i].bdf, drv, sizeof(drv)))
			EXPECT_EQ(pci_drv(&self->fn[i], "bind"), 0);
		for (j = 0; j < self->fn[i].ncaps; j++)
			if (!doe_aux_find(self->fn[i].bdf, self->fn[i].offset[j], name,
					  sizeof(name)) && !doe_aux_bound(name))
				doe_aux_drv("bind", name);
	}
}

/* The DOE Interrupt Message Number, and whether the function uses MSI-X */
static void doe_msg(struct __test_metadata *_metadata, const char *bdf,
		    unsigned int offset, unsigned int *msg, int *msix)
{
	uint32_t cap, hdr;
	unsigned int pos, hops = 0;
	uint8_t b = 0;
	int fd;

	fd = doe_cfg_open(bdf);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(doe_cfg_read(fd, offset + PCI_DOE_CAP, &cap), 0);
	ASSERT_NE(cap & PCI_DOE_CAP_INT_SUP, 0)
		TH_LOG("%s DOE 0x%x: no interrupt support", bdf, offset);
	*msg = (cap & PCI_DOE_CAP_INT_MSG_NUM) >> 1;
	*msix = 0;
	ASSERT_EQ(pread(fd, &b, 1, PCI_CAPABILITY_LIST), 1);
	for (pos = b; pos >= 0x40 && pos < 0x100 && hops++ < 48;
	     pos = (hdr >> 8) & 0xfc) {
		ASSERT_EQ(doe_cfg_read(fd, pos, &hdr), 0);
		if ((hdr & 0xff) == PCI_CAP_ID_MSIX)
			*msix = !!((hdr >> 16) & PCI_MSIX_FLAGS_ENABLE);
	}
	close(fd);
}

/* CXL Table Access through the ioctl on @fd, for function @f */
static void check_cdat(struct __test_metadata *_metadata, const struct fn *f,
		       int fd, const char *name, const char *when)
{
	static uint8_t a[65536], b[65536];
	unsigned int sum;
	int i, la, lb = -ENOENT;

	if (f->kernel_cdat) {
		/* cxl_port reads it again, asynchronously, after a bind */
		for (i = 0; i < BIND_WAIT_MS / 10; i++) {
			lb = doe_kernel_cdat(f->bdf, b, sizeof(b));
			if (lb > 0)
				break;
			usleep(10000);
		}
		ASSERT_GT(lb, 0) TH_LOG("%s: the kernel read no CDAT for %s", when, f->bdf);
		la = doe_ioctl_cdat(fd, a, sizeof(a));
		EXPECT_EQ(la, lb) TH_LOG("%s: %s: a CDAT of %d bytes, the kernel's %d",
					 when, name, la, lb);
		if (la == lb)
			EXPECT_EQ(memcmp(a, b, la), 0);
		return;
	}
	/* No kernel user declared CXL Table Access read-only safe */
	la = doe_ioctl_cdat(fd, a, sizeof(a));
	if (la == -EACCES)
		return;
	ASSERT_GE(la, 16) TH_LOG("%s: %s: CDAT read: %d", when, name, la);
	for (sum = 0, i = 0; i < la; i++)
		sum += a[i];
	EXPECT_EQ(sum & 0xff, 0);
}

/* Everything the test asserts of function @f now; see the top */
static void check_fn(struct __test_metadata *_metadata, struct fn *f,
		     const char *when)
{
	struct doe_protocol prot[64];
	struct vec v[MAX_VECS];
	char name[256], path[PATH_MAX], mode[32], want[32];
	int i, j, k, n, fd, msix, found, cdat;
	unsigned int msg;
	long before, after;

	for (i = 0; i < f->ncaps; i++) {
		ASSERT_EQ(doe_aux_wait_bound(f->bdf, f->offset[i], name,
					     sizeof(name), BIND_WAIT_MS), 0)
			TH_LOG("%s: %s DOE 0x%x not bound", when, f->bdf, f->offset[i]);

		/* Discovery through the ioctl, then the interrupt mode */
		fd = doe_dev_open(name);
		ASSERT_GE(fd, 0) TH_LOG("open /dev/%s: %s", name, strerror(errno));
		n = doe_ioctl_discover(fd, prot, 64);
		ASSERT_GE(n, 1) TH_LOG("%s: %s Discovery: %d", when, name, n);
		cdat = 0;
		for (j = 0; j < n; j++)
			cdat |= prot[j].vid == DOE_CXL_VID &&
				prot[j].type == DOE_CXL_TABLE_ACCESS;
		snprintf(path, sizeof(path), DOE_AUX_DEVS "/%s/interrupt", name);
		ASSERT_EQ(doe_sysfs_read(path, mode, sizeof(mode)), 0);
		doe_msg(_metadata, f->bdf, f->offset[i], &msg, &msix);
		snprintf(want, sizeof(want), "%s %u", msix ? "msix" : "msi", msg);
		EXPECT_STREQ(mode, want) TH_LOG("%s: %s interrupt", when, name);

		/* The DOE's action on the vector of its message, once */
		n = fn_vectors(f->bdf, v, MAX_VECS);
		log_vectors(_metadata, f, when, v, n);
		found = 0;
		for (j = 0; j < n; j++) {
			k = list_count(v[j].doe, name);
			if (v[j].hwirq == msg && v[j].msix == msix) {
				found = 1;
				EXPECT_EQ(k, 1) TH_LOG("%s: %s on %s: [%s]", when,
						       name, mode, v[j].doe);
			} else {
				EXPECT_EQ(k, 0) TH_LOG("%s: %s on message %ld", when,
						       name, v[j].hwirq);
			}
		}
		ASSERT_TRUE(found) TH_LOG("%s: no vector for %s", when, mode);

		/*
		 * The interrupt fires: QEMU merges those of exchanges that
		 * end before the handler ran, not all
		 */
		before = doe_irq_count(name);
		for (j = 0; j < 5; j++)
			ASSERT_GE(doe_ioctl_discover(fd, prot, 64), 1);
		after = doe_irq_wait_above(name, before, 2000);
		EXPECT_GT(after, before)
			TH_LOG("%s: %s: %ld interrupts, %ld after 5 Discoveries, DOE Status %#x",
			       when, name, before, after,
			       doe_cfg_status(f->bdf, f->offset[i]));

		if (cdat)
			check_cdat(_metadata, f, fd, name, when);
		close(fd);
	}

	/* The driver's vectors and actions as before, nothing left behind */
	n = fn_vectors(f->bdf, v, MAX_VECS);
	EXPECT_EQ(n, f->nboot) TH_LOG("%s: %s: %d vectors, %d before", when,
				      f->bdf, n, f->nboot);
	for (j = 0; j < n && j < f->nboot; j++) {
		EXPECT_EQ(v[j].hwirq, f->boot[j].hwirq);
		EXPECT_STREQ(v[j].drv, f->boot[j].drv)
			TH_LOG("%s: %s message %ld: %s actions", when, f->bdf,
			       v[j].hwirq, f->drv);
	}
}

/* After boot */
TEST_F(irq, at_boot)
{
	int i;

	for (i = 0; i < self->nfn; i++)
		check_fn(_metadata, &self->fn[i], "at boot");
}

/* 20 unbind/bind cycles of each PCI function's driver */
TEST_F_TIMEOUT(irq, driver_rebind, 600)
{
	int i, c;

	for (c = 0; c < CYCLES; c++)
		for (i = 0; i < self->nfn; i++) {
			ASSERT_EQ(pci_drv(&self->fn[i], "unbind"), 0);
			ASSERT_EQ(pci_drv(&self->fn[i], "bind"), 0)
				TH_LOG("cycle %d: bind %s to %s", c, self->fn[i].bdf,
				       self->fn[i].drv);
		}
	for (i = 0; i < self->nfn; i++)
		check_fn(_metadata, &self->fn[i], "after 20 cycles of its driver");
}

/* 20 unbind/bind cycles of the generic DOE driver */
TEST_F_TIMEOUT(irq, generic_rebind, 600)
{
	char name[256];
	int i, j, c;

	for (c = 0; c < CYCLES; c++)
		for (i = 0; i < self->nfn; i++)
			for (j = 0; j < self->fn[i].ncaps; j++) {
				ASSERT_EQ(doe_aux_find(self->fn[i].bdf, self->fn[i].offset[j],
						       name, sizeof(name)), 0);
				ASSERT_EQ(doe_aux_drv("unbind", name), 0);
				ASSERT_EQ(doe_aux_drv("bind", name), 0);
			}
	for (i = 0; i < self->nfn; i++)
		check_fn(_metadata, &self->fn[i], "after 20 generic DOE driver cycles");
}

TEST_HARNESS_MAIN
