/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to drivers/pci/doe.c and its KUnit test, drivers/pci/doe_kunit.c.
 */
#ifndef DRIVERS_PCI_DOE_H
#define DRIVERS_PCI_DOE_H

struct pci_dev;
struct pci_doe_dev;

#if IS_ENABLED(CONFIG_PCI_DOE_KUNIT_TEST)
void pci_doe_kunit_set_irq_hook(int (*hook)(struct pci_dev *pdev, u16 doe_cap));
int pci_doe_kunit_irq_events(struct pci_doe_dev *doe);
#endif

#endif /* DRIVERS_PCI_DOE_H */
