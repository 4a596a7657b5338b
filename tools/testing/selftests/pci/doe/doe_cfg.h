/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace access to a DOE Capability through the config space file
 * /sys/bus/pci/devices/BDF/config (PCIe r6.2 sec 6.30, 7.9.24).
 *
 * Only safe while no kernel driver owns the DOE Capability: the kernel
 * hands a DOE Capability to userspace when its auxiliary device is unbound
 * from the generic DOE driver.
 */
#ifndef DOE_CFG_H
#define DOE_CFG_H

#include <stdint.h>
#include <stddef.h>

#define DOE_MAX_CAPS		16
#define DOE_MAX_PROTOCOLS	64

struct doe_cap {
	char bdf[16];		/* e.g. "0000:0d:00.0" */
	uint16_t offset;	/* config space offset of the DOE Capability */
	uint8_t version;	/* Capability Version of the extended header */
	uint32_t cap;		/* DOE Capabilities register */
};

struct doe_protocol {
	uint16_t vid;
	uint8_t type;
};

/* Open /sys/bus/pci/devices/@bdf/config read-write; returns fd or -errno. */
int doe_cfg_open(const char *bdf);

/* Config space dword access at @off; 0 or -errno. */
int doe_cfg_read(int fd, unsigned int off, uint32_t *val);
int doe_cfg_write(int fd, unsigned int off, uint32_t val);

/*
 * Find the DOE Capabilities of @bdf; fills at most @max entries of @caps.
 * Returns the number found or -errno.
 */
int doe_cfg_find_caps(const char *bdf, struct doe_cap *caps, int max);

/* Abort: set DOE Abort and wait up to 1 s for Busy, Error and Ready to clear. */
int doe_cfg_abort(int fd, const struct doe_cap *cap);

/*
 * One data object exchange.  @req holds @req_dw dwords including the two
 * header dwords (the Length field is filled in here).  The response, headers
 * included, goes to @rsp, at most @rsp_max dwords; the rest is drained.
 * Returns the response length in dwords or -errno: -EBUSY (Busy for 1 s),
 * -EIO (Error), -ETIMEDOUT (no Data Object Ready within 1 s).
 */
int doe_cfg_exchange(int fd, const struct doe_cap *cap, uint32_t *req,
		     size_t req_dw, uint32_t *rsp, size_t rsp_max);

/*
 * Run DOE Discovery (PCIe r6.2 sec 6.30.1.1) over all indices.  Returns the
 * number of protocols stored in @prot (at most @max) or -errno.
 */
int doe_cfg_discover(int fd, const struct doe_cap *cap,
		     struct doe_protocol *prot, int max);

/*
 * The DOE auxiliary devices (pci_doe.doe.<id>) and the generic driver
 * (pci_doe.generic), through sysfs.
 */
#define DOE_AUX_DEVS	"/sys/bus/auxiliary/devices"
#define DOE_DRV		"/sys/bus/auxiliary/drivers/pci_doe.generic"

/* Read a one-line sysfs attribute without its newline; 0 or -errno */
int doe_sysfs_read(const char *path, char *buf, size_t len);

/* Write @val to a sysfs file; 0 or -errno */
int doe_sysfs_write(const char *path, const char *val);

/* Is the generic DOE driver bound to auxiliary device @name? */
int doe_aux_bound(const char *name);

/*
 * The auxiliary device of the DOE Capability at @offset of PCI function
 * @bdf, into @name; 0, or -ENOENT if it has none.
 */
int doe_aux_find(const char *bdf, unsigned int offset, char *name, size_t len);

/* Unbind ("unbind") or bind ("bind") the generic driver; 0 or -errno */
int doe_aux_drv(const char *what, const char *name);

/* A DOE auxiliary device, its PCI function and DOE Capability offset */
struct doe_aux {
	char name[256];		/* pci_doe.doe.<id> */
	char bdf[32];		/* the PCI function */
	unsigned int offset;
};

/* Every DOE auxiliary device bound to the generic driver; the number found */
int doe_aux_find_bound(struct doe_aux *aux, int max);

/* Open /dev/<name>, the device of PCI_DOE_IOC_EXCHANGE; fd or -1 (errno) */
int doe_dev_open(const char *name);

/*
 * One exchange through PCI_DOE_IOC_EXCHANGE; the response payload bytes
 * stored in @rsp, or -errno.
 */
int doe_xchg(int fd, uint16_t vid, uint8_t type, const void *req,
	     uint32_t req_sz, void *rsp, uint32_t rsp_sz);

#endif /* DOE_CFG_H */
