// SPDX-License-Identifier: GPL-2.0
/*
 * DOE Capabilities as seen through config space (PCIe r6.2 sec 7.9.24),
 * and Discovery exchanges (sec 6.30.1.1) driven from userspace after the
 * kernel handed the DOE Capability over: the fixture unbinds the generic
 * DOE driver from every DOE auxiliary device, and binds it again after.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "../../kselftest_harness.h"
#include "doe_cfg.h"

#define MAX_CAPS	(DOE_MAX_CAPS * 4)

struct found {
	struct doe_cap caps[MAX_CAPS];
	char aux[MAX_CAPS][NAME_MAX + 1];		/* auxiliary device, "" if none */
	int n;
};

static void find_all(struct found *f)
{
	struct dirent *de;
	DIR *d;
	int n;

	f->n = 0;
	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n = doe_cfg_find_caps(de->d_name, f->caps + f->n,
				      MAX_CAPS - f->n);
		if (n > 0)
			f->n += n;
	}
	closedir(d);
}

FIXTURE(doe) {
	struct found f;
};

/* Hand every DOE Capability the kernel drives to userspace */
FIXTURE_SETUP(doe)
{
	int i;

	find_all(&self->f);
	ASSERT_GT(self->f.n, 0) TH_LOG("no DOE Capability in any PCI device");
	for (i = 0; i < self->f.n; i++) {
		if (doe_aux_find(self->f.caps[i].bdf, self->f.caps[i].offset,
				 self->f.aux[i], sizeof(self->f.aux[i])))
			self->f.aux[i][0] = 0;
		if (self->f.aux[i][0] && doe_aux_bound(self->f.aux[i]))
			ASSERT_EQ(doe_aux_drv("unbind", self->f.aux[i]), 0);
	}
}

/* ... and take them back */
FIXTURE_TEARDOWN(doe)
{
	int i;

	for (i = 0; i < self->f.n; i++)
		if (self->f.aux[i][0] && !doe_aux_bound(self->f.aux[i]))
			EXPECT_EQ(doe_aux_drv("bind", self->f.aux[i]), 0);
}

/*
 * The kernel's walk of the DOE Capabilities and ours agree: a PCI function
 * whose driver created DOE auxiliary devices has one per DOE Capability
 * this test's walk of config space found, and each cap_offset is one of
 * them.
 */
TEST_F(doe, cap_offsets_match_kernel)
{
	static struct doe_aux aux[MAX_CAPS];
	int i, j, n, walked, listed, fns = 0;

	n = doe_aux_list(aux, MAX_CAPS, 0);
	ASSERT_GT(n, 0) TH_LOG("no DOE auxiliary device");
	for (i = 0; i < n; i++) {
		if (i > 0 && !strcmp(aux[i].bdf, aux[i - 1].bdf))
			continue;	/* one function at a time */
		fns++;
		walked = 0;
		for (j = 0; j < self->f.n; j++)
			walked += !strcmp(self->f.caps[j].bdf, aux[i].bdf);
		listed = 0;
		for (j = i; j < n && !strcmp(aux[j].bdf, aux[i].bdf); j++) {
			int k, found = 0;

			listed++;
			for (k = 0; k < self->f.n; k++)
				found |= !strcmp(self->f.caps[k].bdf, aux[j].bdf) &&
					 self->f.caps[k].offset == aux[j].offset;
			EXPECT_TRUE(found)
				TH_LOG("%s: cap_offset 0x%x of %s is no DOE Capability",
				       aux[j].name, aux[j].offset, aux[j].bdf);
		}
		EXPECT_EQ(listed, walked)
			TH_LOG("%s: %d DOE auxiliary devices, %d DOE Capabilities",
			       aux[i].bdf, listed, walked);
	}
	TH_LOG("%d DOE auxiliary devices on %d PCI functions, %d DOE Capabilities",
	       n, fns, self->f.n);
}

/*
 * The registers of each DOE Capability (PCIe r6.2 sec 7.9.24): the
 * Capability Version is at least 1, the Next Capability Offset is 0 or
 * points into extended config space outside this Capability; DOE Abort
 * and DOE Go read 0, also right after Go and after Abort; and once the
 * kernel handed the Capability back, DOE Interrupt Enable is off.
 */
TEST_F(doe, cap_registers)
{
	uint32_t hdr, ctrl, status, req[3] = { 0x00000001, 3, 0 }, val;
	unsigned int next;
	int i, j, fd;

	for (i = 0; i < self->f.n; i++) {
		struct doe_cap *c = &self->f.caps[i];

		fd = doe_cfg_open(c->bdf);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(doe_cfg_read(fd, c->offset, &hdr), 0);
		EXPECT_EQ(PCI_EXT_CAP_ID(hdr), PCI_EXT_CAP_ID_DOE);
		EXPECT_GE(PCI_EXT_CAP_VER(hdr), 1);
		next = PCI_EXT_CAP_NEXT(hdr);
		if (next) {
			EXPECT_GE(next, 0x100);
			EXPECT_TRUE(next + 4 <= c->offset ||
				    next >= c->offset + PCI_DOE_CAP_SIZEOF)
				TH_LOG("%s DOE 0x%x: next 0x%x inside it", c->bdf,
				       c->offset, next);
		}

		ASSERT_EQ(doe_cfg_read(fd, c->offset + PCI_DOE_CTRL, &ctrl), 0);
		EXPECT_EQ(ctrl & (PCI_DOE_CTRL_ABORT | PCI_DOE_CTRL_GO), 0);
		if (self->f.aux[i][0]) {
			EXPECT_EQ(ctrl & PCI_DOE_CTRL_INT_EN, 0)
				TH_LOG("%s DOE 0x%x: Interrupt Enable left on by %s",
				       c->bdf, c->offset, self->f.aux[i]);
		}

		/* Discovery index 0 by hand, reading Control after Go */
		ASSERT_EQ(doe_cfg_abort(fd, c), 0);
		for (j = 0; j < 3; j++)
			ASSERT_EQ(doe_cfg_write(fd, c->offset + PCI_DOE_WRITE, req[j]), 0);
		ASSERT_EQ(doe_cfg_write(fd, c->offset + PCI_DOE_CTRL, PCI_DOE_CTRL_GO), 0);
		ASSERT_EQ(doe_cfg_read(fd, c->offset + PCI_DOE_CTRL, &ctrl), 0);
		EXPECT_EQ(ctrl & (PCI_DOE_CTRL_ABORT | PCI_DOE_CTRL_GO), 0);
		for (j = 0; j < 1000; j++) {
			ASSERT_EQ(doe_cfg_read(fd, c->offset + PCI_DOE_STATUS, &status), 0);
			if (status & (PCI_DOE_STATUS_DATA_OBJECT_READY | PCI_DOE_STATUS_ERROR))
				break;
			usleep(1000);
		}
		EXPECT_EQ(status & (PCI_DOE_STATUS_DATA_OBJECT_READY | PCI_DOE_STATUS_ERROR),
			  PCI_DOE_STATUS_DATA_OBJECT_READY);
		ASSERT_EQ(doe_cfg_read(fd, c->offset + PCI_DOE_READ, &val), 0);
		EXPECT_EQ(val, req[0]);		/* the response's Header 1 */

		/* Abort mid-response: Control reads 0, the response is gone */
		ASSERT_EQ(doe_cfg_write(fd, c->offset + PCI_DOE_CTRL, PCI_DOE_CTRL_ABORT), 0);
		ASSERT_EQ(doe_cfg_read(fd, c->offset + PCI_DOE_CTRL, &ctrl), 0);
		EXPECT_EQ(ctrl & (PCI_DOE_CTRL_ABORT | PCI_DOE_CTRL_GO), 0);
		ASSERT_EQ(doe_cfg_abort(fd, c), 0);
		ASSERT_EQ(doe_cfg_read(fd, c->offset + PCI_DOE_STATUS, &status), 0);
		EXPECT_EQ(status & (PCI_DOE_STATUS_BUSY | PCI_DOE_STATUS_ERROR |
				    PCI_DOE_STATUS_DATA_OBJECT_READY), 0);
		close(fd);
	}
}

/* Discovery index 0 answers Discovery itself; the index chain ends. */
TEST_F(doe, discovery_over_config)
{
	struct doe_protocol prot[DOE_MAX_PROTOCOLS];
	int i, fd, n;

	for (i = 0; i < self->f.n; i++) {
		struct doe_cap *c = &self->f.caps[i];

		fd = doe_cfg_open(c->bdf);
		ASSERT_GE(fd, 0);
		n = doe_cfg_discover(fd, c, prot, DOE_MAX_PROTOCOLS);
		close(fd);
		ASSERT_GE(n, 1) TH_LOG("%s DOE 0x%x: %s", c->bdf, c->offset,
				       strerror(-n));
		EXPECT_EQ(prot[0].vid, 0x0001);
		EXPECT_EQ(prot[0].type, 0x00);
	}
}

/*
 * A request the responder drops (an unknown Vendor ID) gets no Data Object
 * Ready within 1 s: -ETIMEDOUT.  After the Abort that follows, the next
 * Discovery works.
 */
TEST_F(doe, dropped_request_times_out_then_recovers)
{
	struct doe_protocol prot[DOE_MAX_PROTOCOLS];
	struct doe_cap *c = &self->f.caps[0];
	uint32_t req[3] = { 0x00051234, 0, 0 }, rsp[8];
	int fd, rc;

	fd = doe_cfg_open(c->bdf);
	ASSERT_GE(fd, 0);
	rc = doe_cfg_exchange(fd, c, req, 3, rsp, 8);
	EXPECT_EQ(rc, -ETIMEDOUT);
	rc = doe_cfg_discover(fd, c, prot, DOE_MAX_PROTOCOLS);
	EXPECT_GE(rc, 1);
	close(fd);
}

/*
 * Binding the generic driver again takes the DOE Capability back: it
 * aborts what userspace left half done, rediscovers, and lists the same
 * protocols in features/ as a userspace Discovery found, each file named
 * VVVV:TT and holding "VVVV:TT\n".  Fails if no DOE Capability has an
 * auxiliary device: there is nothing to take back.
 */
TEST_F(doe, bind_takes_back)
{
	struct doe_protocol prot[DOE_MAX_PROTOCOLS];
	char buf[64];
	uint32_t req[3] = { 0x00000001, 0, 0 };
	int i, j, fd, n, seen = 0;

	for (i = 0; i < self->f.n; i++) {
		struct doe_cap *c = &self->f.caps[i];

		if (!self->f.aux[i][0])
			continue;
		seen++;
		fd = doe_cfg_open(c->bdf);
		ASSERT_GE(fd, 0);
		n = doe_cfg_discover(fd, c, prot, DOE_MAX_PROTOCOLS);
		ASSERT_GE(n, 1);
		/* Leave a request half written: no Go */
		ASSERT_EQ(doe_cfg_write(fd, c->offset + PCI_DOE_WRITE, req[0]), 0);
		close(fd);

		ASSERT_EQ(doe_aux_drv("bind", self->f.aux[i]), 0);
		ASSERT_TRUE(doe_aux_bound(self->f.aux[i]));
		for (j = 0; j < n; j++)
			EXPECT_EQ(doe_feature_read(self->f.aux[i], prot[j].vid,
						   prot[j].type, buf, sizeof(buf)), 0)
				TH_LOG("%s features/%04x:%02x: %s", self->f.aux[i],
				       prot[j].vid, prot[j].type, buf);
	}
	ASSERT_GT(seen, 0) TH_LOG("no DOE Capability has an auxiliary device");
}

TEST_HARNESS_MAIN
