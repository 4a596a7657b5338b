#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-table.py LOGS OUT: the table of "make bench" from the guest results
($LOGS/<setup>-bench-<kernel>-<phase>/results.log), QEMU's config access
traces ($OUT/cfgtrace-<kernel>.log) and the KUnit log ($OUT/kunit.log)."""

import os
import re
import sys

LOGS, OUT = sys.argv[1], sys.argv[2]
KERNELS = ('base', 'series')
DOE_CAP = 0x190            # cxl-type3's DOE Capability in QEMU 7.2
# The spec's minimum config accesses (PCIe r6.2 sec 6.30.2): the request
# dwords and Go written, one DOE Status read, each response dword read and
# acknowledged.  Requests are 3 dwords (2 header, 1 payload); responses are
# 3 dwords for Discovery and 7 for CDAT entry 0 (header, Table Access
# header, the 4-dword CDAT header), as the floor run reads them.
SPEC_MIN = {'discovery': 3 + 1 + 1 + 2 * 3, 'cdat': 3 + 1 + 1 + 2 * 7}
problems = []


def section(kernel, setup, phase, name):
    path = os.path.join(LOGS, '%s-bench-%s-%s' % (setup, kernel, phase), 'results.log')
    text = open(path, errors='replace').read().replace('\r', '')
    m = re.search(r'^LAB-BEGIN %s\n(.*?)^LAB-END %s' % (name, name), text, re.S | re.M)
    return m.group(1) if m else ''


def console(kernel, setup, phase):
    path = os.path.join(LOGS, '%s-bench-%s-%s' % (setup, kernel, phase), 'console.log')
    return open(path, errors='replace').read().replace('\r', '')


def bench_lines(kernel, setup, phase):
    """The bench module's lines from the kernel console, without prefixes"""
    return '\n'.join(m.group(1) for m in
                     re.finditer(r'^\[[^]]*\]\[[^]]*\] (doe_bench: .*)$',
                                 console(kernel, setup, phase), re.M))


def kv(line):
    return dict(re.findall(r'(\w+)=(\S+)', line))


def ratio(a, b):
    return '%.2f' % (a / b) if a is not None and b else 'n/a'


def fmt_us(ns):
    return '%.1f' % (ns / 1000.0) if ns is not None else 'n/a'


rows = []


def row(metric, base, series, r, note=''):
    rows.append((metric, base, series, r, note))


# 1. Latency and 1b. the floor
lat = {}
for k in KERNELS:
    for line in bench_lines(k, 'cxl', 'main').splitlines():
        m = re.match(r'doe_bench: (\w+) (\w+) (lat|floor) (\w+) (.*)', line)
        if m:
            lat[(k, m.group(2), m.group(3), m.group(4))] = kv(m.group(5))


def lat_ns(k, mode, what, ex, q='median_ns'):
    d = lat.get((k, mode, what, ex))
    return int(d[q]) if d else None


for ex in ('discovery', 'cdat'):
    for q, qn in (('median_ns', 'median'), ('p99_ns', 'p99')):
        b = lat_ns('base', 'poll', 'lat', ex, q)
        s = lat_ns('series', 'poll', 'lat', ex, q)
        row('latency %s %s, polling (us)' % (ex, qn), fmt_us(b), fmt_us(s), ratio(s, b))
        si = lat_ns('series', 'irq', 'lat', ex, q)
        row('latency %s %s, interrupt (us)' % (ex, qn), '-', fmt_us(si), ratio(si, b),
            'ratio against base polling')
    fb = lat_ns('base', 'poll', 'floor', ex)
    fs = lat_ns('series', 'poll', 'floor', ex)
    b = lat_ns('base', 'poll', 'lat', ex)
    s = lat_ns('series', 'poll', 'lat', ex)
    row('floor %s median (us)' % ex, fmt_us(fb), fmt_us(fs), ratio(fs, fb),
        'spec-minimum accesses, no DOE machinery')
    row('latency/floor %s, polling' % ex, ratio(b, fb), ratio(s, fs), ratio(s and s / fs, b and b / fb),
        'each kernel against its own run\'s floor')
    for k in KERNELS:
        d = lat.get((k, 'poll', 'floor', ex))
        if d and int(d.get('rsp_dw', 0)) != (3 if ex == 'discovery' else 7):
            problems.append('%s floor %s: response %s dwords, the spec minimum assumes %d'
                            % (k, ex, d.get('rsp_dw'), 3 if ex == 'discovery' else 7))

# 2. Config accesses per exchange, from QEMU's trace
EV = re.compile(r'pci_cfg_(read|write) (\S+) \S+ @0x([0-9a-f]+)')


def count_accesses(k):
    """DOE register accesses, and where the bench module's markers (three
    reads of the DOE Capabilities register in a row) fall among them"""
    path = os.path.join(OUT, 'cfgtrace-%s.log' % k)
    marks, acc, run = [], [], 0
    for line in open(path, errors='replace'):
        m = EV.search(line)
        if not m or m.group(2) != 'cxl-type3':
            continue
        off = int(m.group(3), 16)
        if m.group(1) == 'read' and off == DOE_CAP + 4:
            run += 1
            if run == 3:
                marks.append(len(acc))
            continue
        run = 0
        if DOE_CAP + 8 <= off < DOE_CAP + 0x18:
            acc.append((m.group(1), off - DOE_CAP))
    return marks, acc


counts = {}
for k in KERNELS:
    res = bench_lines(k, 'cxl', 'count')
    runs = re.findall(r'doe_bench: \w+ (\w+) count .* n=(\d+) rc=(-?\d+)', res)
    try:
        marks, acc = count_accesses(k)
    except OSError as e:
        problems.append('%s: %s' % (k, e))
        continue
    for i, (mode, n, rc) in enumerate(runs):
        if rc != '0' or len(marks) < 3 * (i + 1):
            problems.append('%s %s count run failed (rc %s, %d markers)' % (k, mode, rc, len(marks)))
            continue
        m0, m1, m2 = marks[3 * i: 3 * i + 3]
        for ex, (a, b) in (('discovery', (m0, m1)), ('cdat', (m1, m2))):
            win = acc[a:b]
            counts[(k, mode, ex)] = {
                'total': len(win) / int(n),
                'status': sum(1 for rw, o in win if rw == 'read' and o == 0xc) / int(n),
            }

for ex in ('discovery', 'cdat'):
    for mode in ('poll', 'irq'):
        b = counts.get(('base', 'poll', ex))
        s = counts.get(('series', mode, ex))
        if mode == 'irq' and not s:
            continue
        row('config accesses/%s, %s' % (ex, 'polling' if mode == 'poll' else 'interrupt'),
            '%.1f' % b['total'] if b and mode == 'poll' else '-',
            '%.1f' % s['total'] if s else 'n/a',
            ratio(s and s['total'], b and b['total']),
            'spec minimum %d; DOE Status reads: base %s, series %s'
            % (SPEC_MIN[ex], '%.1f' % b['status'] if b else 'n/a',
               '%.1f' % s['status'] if s else 'n/a'))
        if s:
            row('  above the spec minimum', '%.1f' % (b['total'] - SPEC_MIN[ex]) if b and mode == 'poll' else '-',
                '%.1f' % (s['total'] - SPEC_MIN[ex]), '')

# 3. Boot cost, from the kernel log (PRINTK_CALLER gives the thread)
LINE = re.compile(r'^\[\s*([\d.]+)\]\[\s*([TC]\d+)\] (.*)$')


def boot_cost(k, setup, phase, expect):
    log = console(k, setup, phase)
    start, caps = None, {}
    for line in log.splitlines():
        if 'lab-bench: boot done' in line:	# the guest's own work follows
            break
        m = LINE.match(line)
        if not m:
            continue
        t, who, msg = float(m.group(1)), m.group(2), m.group(3)
        if start is None and 'PCI host bridge to bus 0000:00' in msg:
            start = t
        d = re.search(r'(\w{4}:\w\w:\w\w\.\d): (?:DOE: )?\[([0-9a-f]+)\] (Issuing Abort|Abort|[Ff]ound protocol)', msg)
        if not d:
            continue
        c = caps.setdefault((d.group(1), d.group(2)), {'first': t, 'last': t, 'sync': False})
        c['last'] = t
        if d.group(3).lower() == 'found protocol':
            c['found'] = True
            c['sync'] |= who == 'T1'
    found = {c: v for c, v in caps.items() if v.get('found')}
    if start is None or len(found) != expect:
        problems.append('%s %s: %d of %d DOE Capabilities discovered in the log'
                        % (k, setup, len(found), expect))
        return None
    return {
        'all': max(v['last'] for v in found.values()) - start,
        'work': sum(v['last'] - v['first'] for v in found.values()),
        'sync': sum(v['last'] - v['first'] for v in found.values() if v['sync']),
        'nsync': sum(1 for v in found.values() if v['sync']),
        'first': min(v['first'] for v in found.values()) - start,
    }


def cdat_ready(k, setup, phase, expect):
    """Seconds from enumeration to bench-init's line saying that every
    endpoint's CDAT reads back, or None"""
    start = None
    for line in console(k, setup, phase).splitlines():
        m = LINE.match(line)
        if not m:
            continue
        t, msg = float(m.group(1)), m.group(3)
        if start is None and 'PCI host bridge to bus 0000:00' in msg:
            start = t
        r = re.search(r'lab-bench: endpoint CDATs readable: (\d+) of (\d+)', msg)
        if r and start is not None:
            if int(r.group(1)) == int(r.group(2)) == expect:
                return t - start
            problems.append('%s %s: %s of %s endpoint CDATs readable, %d expected'
                            % (k, setup, r.group(1), r.group(2), expect))
            return None
    problems.append('%s %s: no endpoint CDAT line in the log' % (k, setup))
    return None


for setup, phase, n in (('cxl', 'main', 2), ('cxl8', 'boot8', 8)):
    bc = {k: boot_cost(k, setup, phase, n) for k in KERNELS}
    b, s = bc['base'], bc['series']

    def ms(d, key):
        return '%.1f' % (1000 * d[key]) if d else 'n/a'

    cb, cs = (cdat_ready(k, setup, phase, n) for k in KERNELS)
    row('boot: enumeration to the last endpoint CDAT readable, %d devices (ms)' % n,
        '%.1f' % (1000 * cb) if cb is not None else 'n/a',
        '%.1f' % (1000 * cs) if cs is not None else 'n/a', ratio(cs, cb),
        'what users wait for; /init polls every 10 ms from its start')
    row('boot: enumeration to all discovered, %d caps (ms)' % n, ms(b, 'all'), ms(s, 'all'),
        ratio(s and s['all'], b and b['all']),
        'different moments: the base discovers at enumeration, the series once cxl_pci binds')
    row('boot: enumeration to the first DOE access, %d caps (ms)' % n, ms(b, 'first'), ms(s, 'first'),
        ratio(s and s['first'], b and b['first']), 'the series starts when cxl_pci binds')
    row('boot: DOE work, Abort to last protocol, %d caps (ms)' % n, ms(b, 'work'), ms(s, 'work'),
        ratio(s and s['work'], b and b['work']))
    row('boot: DOE work in the boot thread, %d caps (ms)' % n, ms(b, 'sync'), ms(s, 'sync'), '',
        'Capabilities discovered synchronously: base %s, series %s'
        % (b['nsync'] if b else 'n/a', s['nsync'] if s else 'n/a'))

# 4. Memory: allocations matched by address between two trace windows
KM_ALLOC = re.compile(r'(kmalloc|kmem_cache_alloc|percpu_alloc_percpu):.* ptr=(\S+).* bytes_alloc=(\d+)')
KM_FREE = re.compile(r'(kfree|kmem_cache_free|percpu_free_percpu):.* ptr=(\S+)')


def kmem_window(k, name):
    return section(k, 'cxl', 'main', 'kmem ' + name)


def matched_bytes(k, alloc_win, free_win):
    """Bytes allocated in one window and freed in the other"""
    allocs = {}		# live at the end of the allocation window
    for line in kmem_window(k, alloc_win).splitlines():
        m = KM_ALLOC.search(line)
        if m:
            allocs[(m.group(1).startswith('percpu'), m.group(2))] = int(m.group(3))
            continue
        m = KM_FREE.search(line)
        if m:
            allocs.pop((m.group(1).startswith('percpu'), m.group(2)), None)
    total, seen = 0, 0
    for line in kmem_window(k, free_win).splitlines():
        m = KM_FREE.search(line)
        if m:
            key = (m.group(1).startswith('percpu'), m.group(2))
            if key in allocs:
                total += allocs.pop(key)
                seen += 1
    return total, seen


size, wq, binding = {}, {}, None
for k in KERNELS:
    m = re.search(r'doe_bench: \w+ size struct=(\d+)', bench_lines(k, 'cxl', 'main'))
    if m:
        size[k] = int(m.group(1))
    b, nobj = matched_bytes(k, 'wq-alloc', 'wq-free')
    if nobj:
        wq[k] = b / 16.0
m = re.search(r'^caps (\d+)', bench_lines('series', 'cxl', 'main') + '\n' +
              section('series', 'cxl', 'main', 'bench'), re.M)
if m:
    b, nobj = matched_bytes('series', 'bind', 'unbind')
    if nobj:
        binding = b / float(m.group(1))
if 'base' in size and 'base' in wq:
    base_mem = size['base'] + wq['base']
else:
    base_mem = None
    problems.append('no memory figures for the base')
if 'series' in size and binding is not None:
    row('memory per DOE Capability, bound (bytes)', '%d' % base_mem if base_mem else 'n/a',
        '%d' % (size['series'] + binding), ratio(size['series'] + binding, base_mem),
        'base: struct pci_doe_mb %d + ordered workqueue %d; series: struct pci_doe_dev %d '
        '+ binding %d' % (size.get('base', 0), wq.get('base', 0), size['series'], binding))
    row('memory per DOE Capability, unbound (bytes)', '-', '%d' % size['series'],
        ratio(size['series'], base_mem),
        'struct pci_doe_dev only, not its sysfs directory; the base cannot unbind')
else:
    problems.append('no memory figures for the series')

# 5. Concurrency
conc = {}
for k in KERNELS:
    for line in bench_lines(k, 'cxl8', 'boot8').splitlines():
        m = re.match(r'doe_bench: \w+ \w+ conc threads=4 caps=(\d+) exchanges=\d+ per_s=(\d+)', line)
        if m:
            conc[(k, int(m.group(1)))] = int(m.group(2))
for c in (4, 1):
    b, s = conc.get(('base', c)), conc.get(('series', c))
    row('throughput, 4 submitters on %d cap%s (exchanges/s)' % (c, 's' if c > 1 else ''),
        b or 'n/a', s or 'n/a', ratio(s, b))
if all((k, c) in conc for k in KERNELS for c in (1, 4)):
    row('throughput scaling, 4 caps / 1 cap', ratio(conc[('base', 4)], conc[('base', 1)]),
        ratio(conc[('series', 4)], conc[('series', 1)]), '')

# Slow device: the KUnit responder
try:
    kl = open(os.path.join(OUT, 'kunit.log'), errors='replace').read()
    m = re.search(r'doe-bench slow_responder delay_us=(\d+) exchanges=(\d+) irq_median_us=(\d+) poll_median_us=(\d+) irq_status_reads=(\d+) poll_status_reads=(\d+)', kl)
except OSError:
    m = None
if m:
    irq, poll = int(m.group(3)), int(m.group(4))
    row('KUnit responder, %s us delay: median (us)' % m.group(1), '-',
        'irq %d / poll %d' % (irq, poll), ratio(irq, poll),
        'interrupt / polling, series only; DOE Status reads per exchange: irq %s, poll %s'
        % (m.group(5), m.group(6)))
else:
    problems.append('no KUnit slow responder result')

w = [max(len(str(r[i])) for r in rows + [('metric', 'base', 'series', 'series/base', '')])
     for i in range(4)]
print('%-*s  %*s  %*s  %*s  %s' % (w[0], 'metric', w[1], 'base', w[2], 'series', w[3],
                                    'series/base', 'note'))
for r in rows:
    print('%-*s  %*s  %*s  %*s  %s' % (w[0], r[0], w[1], r[1], w[2], r[2], w[3], r[3], r[4]))
for p in problems:
    print('PROBLEM: %s' % p)
sys.exit(1 if problems else 0)
