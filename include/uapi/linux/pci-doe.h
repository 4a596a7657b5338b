/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * PCI Data Object Exchange (DOE), PCIe r6.2 sec 6.30: userspace ABI
 *
 * The register layout of the DOE Capability and the fields of the data
 * object header and of Discovery are in <linux/pci_regs.h>
 * (PCI_DOE_CAP ... PCI_DOE_DATA_OBJECT_DISC_RSP_3_*); this header adds the
 * sizes and the kernel-mediated exchange.
 *
 * Each DOE Capability the generic DOE driver drives has a character device
 * /dev/pci_doe.doe.<id>, named after its auxiliary device.  It exists while
 * the kernel owns the DOE Capability; see Documentation/PCI/doe.rst.
 */
#ifndef _UAPI_LINUX_PCI_DOE_H
#define _UAPI_LINUX_PCI_DOE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* A data object: 2 header dwords plus payload, at most 2^18 dwords */
#define PCI_DOE_HEADER_DW		2
#define PCI_DOE_MAX_OBJECT_DW		(1 << 18)	/* Length 0 encodes it */

/* The most PCI_DOE_IOC_EXCHANGE copies each way */
#define PCI_DOE_IOC_MAX_PAYLOAD		(1 << 20)

/**
 * struct pci_doe_exchange - argument of PCI_DOE_IOC_EXCHANGE
 *
 * The same layout for 32-bit and 64-bit userspace: no pointers, no
 * padding, 8-byte members 8-byte aligned.
 *
 * @size: sizeof(struct pci_doe_exchange), the version of this layout
 * @flags: must be 0
 * @vid: Vendor ID of the data object protocol
 * @type: Data Object Type
 * @reserved: must be 0
 * @request: user address of the request payload: little-endian bytes,
 *	     without the 2 header dwords (the kernel builds those)
 * @response: user address of the buffer for the response payload
 * @request_size: bytes at @request; any length up to
 *		  PCI_DOE_IOC_MAX_PAYLOAD (the last dword is zero-padded)
 * @response_size: in: bytes at @response, 1 to PCI_DOE_IOC_MAX_PAYLOAD;
 *		   out: bytes of response payload stored there (a longer
 *		   response is truncated)
 */
struct pci_doe_exchange {
	__u32 size;
	__u32 flags;
	__u16 vid;
	__u8 type;
	__u8 reserved[5];
	__u64 request;
	__u64 response;
	__u32 request_size;
	__u32 response_size;
};

/*
 * Run one exchange through the kernel's DOE driver.  Needs CAP_SYS_ADMIN.
 * While the kernel owns the DOE Capability it serves Discovery and the
 * protocols a kernel user declared safe for userspace (default deny);
 * for anything else, unbind the generic DOE driver and use config space.
 * Errors: EPERM (no CAP_SYS_ADMIN, or the kernel is locked down), EINVAL
 * (bad size, flags or reserved field, or empty response buffer), E2BIG
 * (more than PCI_DOE_IOC_MAX_PAYLOAD or than a data object holds), EFAULT
 * (bad pointer), EOPNOTSUPP (Discovery did not list the protocol), EACCES
 * (no kernel user declared the protocol safe for userspace), EBUSY (a
 * kernel user claimed the protocol; or DOE Busy for 1 s), ENODEV (the
 * kernel no longer owns the DOE Capability), ENOMEM, EINTR (a fatal
 * signal; the exchange may still complete), and from the exchange
 * ETIMEDOUT, EIO and ECONNRESET (the function is being reset), as
 * pci_doe() returns them.
 */
#define PCI_DOE_IOC_EXCHANGE	_IOWR(0xDE, 0x00, struct pci_doe_exchange)

#endif /* _UAPI_LINUX_PCI_DOE_H */
