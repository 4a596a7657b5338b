// SPDX-License-Identifier: GPL-2.0
/*
 * The pci_doe tracepoints (include/trace/events/pci_doe.h), read through
 * tracefs while exchanges run through PCI_DOE_IOC_EXCHANGE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "doe_cfg.h"

FIXTURE(trace) {
	struct doe_aux aux;
	char prefix[96];	/* "BDF doe 0xOFF " */
	bool irq;
	int fd;
};

FIXTURE_SETUP(trace)
{
	char path[512], mode[32];

	ASSERT_GT(doe_aux_find_bound(&self->aux, 1), 0)
		TH_LOG("no DOE auxiliary device bound to pci_doe.generic");
	self->fd = doe_dev_open(self->aux.name);
	ASSERT_GE(self->fd, 0) TH_LOG("open /dev/%s: %s", self->aux.name,
				      strerror(errno));
	snprintf(self->prefix, sizeof(self->prefix), "%s doe %#x ",
		 self->aux.bdf, self->aux.offset);
	snprintf(path, sizeof(path), DOE_AUX_DEVS "/%s/interrupt", self->aux.name);
	ASSERT_EQ(doe_sysfs_read(path, mode, sizeof(mode)), 0);
	self->irq = !strncmp(mode, "msi", 3);

	if (access(DOE_TRACEFS "/events", F_OK))
		ASSERT_EQ(mount("nodev", DOE_TRACEFS, "tracefs", 0, NULL), 0)
			TH_LOG("mount tracefs: %s", strerror(errno));
	ASSERT_EQ(access(DOE_TRACEFS "/events/pci_doe/pci_doe_submit", F_OK), 0)
		TH_LOG("no pci_doe events in tracefs");
	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "0"), 0);
	ASSERT_EQ(doe_trace_clear(), 0);
	ASSERT_EQ(doe_trace_write("tracing_on", "1"), 0);
}

FIXTURE_TEARDOWN(trace)
{
	doe_trace_write("events/pci_doe/enable", "0");
	if (self->fd >= 0)
		close(self->fd);
}

/* Print the pci_doe lines of @trace into the test log */
static void log_events(struct __test_metadata *_metadata, const char *trace)
{
	const char *p = trace, *nl;

	while ((p = strstr(p, "pci_doe_"))) {
		const char *bol = p;

		while (bol > trace && bol[-1] != '\n')
			bol--;
		nl = strchrnul(p, '\n');
		TH_LOG("%.*s", (int)(nl - bol), bol);
		p = nl;
	}
}

/*
 * A Discovery exchange: submit, request, response, complete, and the DOE
 * interrupt when the Capability uses one.  QEMU sets Data Object Ready on
 * Go, so the first DOE Status read may find it before the interrupt
 * arrives: the interrupt follows the request, at any point after it.
 */
TEST_F(trace, exchange_events)
{
	const char *submit, *req, *rsp, *done;
	uint32_t dreq = 0, drsp;
	char *t = NULL;
	int i;

	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "1"), 0);
	/*
	 * An interrupt that comes after its exchange already found Data
	 * Object Ready is not claimed (it costs the shared vector nothing):
	 * up to 20 exchanges for one the DOE interrupt completes.
	 */
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(doe_xchg(self->fd, 1, 0, &dreq, 4, &drsp, 4), 4);
		usleep(10000);
		free(t);
		t = doe_trace_read();
		ASSERT_NE(t, NULL);
		if (!self->irq || doe_trace_find(t, "pci_doe_irq", self->prefix, ""))
			break;
	}
	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "0"), 0);

	log_events(_metadata, t);
	submit = doe_trace_find(t, "pci_doe_submit", self->prefix, "0001:00 request_bytes=4");
	ASSERT_NE(submit, NULL);
	req = doe_trace_find(submit, "pci_doe_request", self->prefix, "0001:00 length_dw=3");
	ASSERT_NE(req, NULL);
	rsp = doe_trace_find(req, "pci_doe_response", self->prefix, "0001:00 length_dw=3");
	ASSERT_NE(rsp, NULL);
	done = doe_trace_find(rsp, "pci_doe_complete", self->prefix, "0001:00 rv=4");
	ASSERT_NE(done, NULL);
	if (self->irq)
		EXPECT_NE(doe_trace_find(req, "pci_doe_irq", self->prefix, ""), NULL);
	EXPECT_EQ(doe_trace_find(t, "pci_doe_abort", self->prefix, ""), NULL);
	free(t);
}

/* QEMU drops a Discovery without its index: timeout, then Abort */
TEST_F(trace, timeout_events)
{
	const char *tmo, *abort, *done;
	uint32_t drsp;
	char *t;

	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "1"), 0);
	ASSERT_EQ(doe_xchg(self->fd, 1, 0, NULL, 0, &drsp, 4), -ETIMEDOUT);
	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "0"), 0);

	t = doe_trace_read();
	ASSERT_NE(t, NULL);
	log_events(_metadata, t);
	EXPECT_EQ(doe_trace_find(t, "pci_doe_response", self->prefix, ""), NULL);
	tmo = doe_trace_find(t, "pci_doe_timeout", self->prefix, "0001:00 Data Object Ready");
	ASSERT_NE(tmo, NULL);
	abort = doe_trace_find(tmo, "pci_doe_abort", self->prefix, "0001:00 timeout");
	ASSERT_NE(abort, NULL);
	done = doe_trace_find(abort, "pci_doe_complete", self->prefix, "0001:00 rv=-110");
	ASSERT_NE(done, NULL);
	free(t);
}

/* Binding the generic driver aborts outside any exchange: ffff:ff */
TEST_F(trace, bind_abort_event)
{
	char *t;

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "1"), 0);
	ASSERT_EQ(doe_aux_drv("unbind", self->aux.name), 0);
	ASSERT_EQ(doe_aux_drv("bind", self->aux.name), 0);
	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "0"), 0);
	ASSERT_TRUE(doe_aux_bound(self->aux.name));

	t = doe_trace_read();
	ASSERT_NE(t, NULL);
	log_events(_metadata, t);
	EXPECT_NE(doe_trace_find(t, "pci_doe_abort", self->prefix, "ffff:ff bind"), NULL);
	/* Discovery runs at bind, without submit and complete */
	EXPECT_NE(doe_trace_find(t, "pci_doe_response", self->prefix, "0001:00 length_dw=3"),
		  NULL);
	EXPECT_EQ(doe_trace_find(t, "pci_doe_submit", self->prefix, ""), NULL);
	free(t);
}

/* Disabled events record nothing */
TEST_F(trace, disabled_records_nothing)
{
	uint32_t dreq = 0, drsp;
	char *t;

	ASSERT_EQ(doe_xchg(self->fd, 1, 0, &dreq, 4, &drsp, 4), 4);
	t = doe_trace_read();
	ASSERT_NE(t, NULL);
	EXPECT_EQ(strstr(t, "pci_doe_"), NULL);
	free(t);
}

TEST_HARNESS_MAIN
